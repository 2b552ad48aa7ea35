/*
 * mem.c: hypervisor pages in the guest's physical address space
 * (XENMEM_add_to_physmap of shared_info and grant frames -> map_page).
 *
 * Each mapped page is a 4 KiB memslot of its own over the core's page.
 * Deviation from Xen: KVM memslots cannot overlap, so a page can only go
 * into a hole, never over RAM (gfns inside RAM get -EINVAL).  Guests map
 * shared_info in a hole anyway (GRUB does; xenemu's guest uses
 * XENEMU_GUEST_HOLE_GFN).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"

/* Slot 0 is RAM; hypervisor pages use 1 + their index in kvm->pages. */
#define PAGE_SLOT_BASE 1u

static int set_slot(struct kvm_vm *kvm, uint32_t slot, uint64_t gfn, void *page,
                    uint64_t size)
{
    struct kvm_userspace_memory_region r = {
        .slot = slot,
        .guest_phys_addr = gfn << GUEST_PAGE_SHIFT,
        .memory_size = size,
        .userspace_addr = (uintptr_t)page,
    };

    return ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

static struct kvm_page_slot *find(struct kvm_vm *kvm, bool by_page,
                                  uint64_t gfn, const void *page)
{
    for (unsigned int i = 0; i < kvm->nr_pages; i++) {
        struct kvm_page_slot *p = &kvm->pages[i];

        if (p->used && (by_page ? p->page == page : p->gfn == gfn))
            return p;
    }
    return NULL;
}

static struct kvm_page_slot *new_slot(struct kvm_vm *kvm)
{
    struct kvm_page_slot *grown;

    for (unsigned int i = 0; i < kvm->nr_pages; i++)
        if (!kvm->pages[i].used)
            return &kvm->pages[i];
    grown = realloc(kvm->pages, (kvm->nr_pages + 8) * sizeof(*grown));
    if (!grown)
        return NULL;
    memset(grown + kvm->nr_pages, 0, 8 * sizeof(*grown));
    for (unsigned int i = kvm->nr_pages; i < kvm->nr_pages + 8; i++)
        grown[i].slot = PAGE_SLOT_BASE + i;
    kvm->pages = grown;
    kvm->nr_pages += 8;
    return &kvm->pages[kvm->nr_pages - 8];
}

static void unmap(struct kvm_vm *kvm, struct kvm_page_slot *p)
{
    set_slot(kvm, p->slot, p->gfn, p->page, 0); /* size 0 deletes it */
    p->used = false;
}

int kvm_map_page(struct domain *d, uint64_t gfn, void *page)
{
    struct vm *vm = vm_of(d);
    struct kvm_vm *kvm;
    struct kvm_page_slot *p;
    int rc = 0;

    if (!vm)
        return 0;
    kvm = kvm_vm_of(vm);
    if (gfn < kvm->ram_size >> GUEST_PAGE_SHIFT)
        return -XEN_EINVAL; /* over RAM: see the deviation above */
    pthread_mutex_lock(&kvm->lock);
    /* Xen moves a page that is mapped elsewhere, and replaces whatever
     * was at (gfn). */
    if ((p = find(kvm, true, 0, page))) {
        if (p->gfn == gfn)
            goto out;
        unmap(kvm, p);
    }
    if ((p = find(kvm, false, gfn, NULL)))
        unmap(kvm, p);
    if (!(p = new_slot(kvm))) {
        rc = -XEN_ENOMEM;
        goto out;
    }
    if (set_slot(kvm, p->slot, gfn, page, GUEST_PAGE_SIZE) < 0) {
        kvm_log(kvm, "map_page gfn %#llx: %s", (unsigned long long)gfn,
                strerror(errno));
        rc = errno == ENOMEM ? -XEN_ENOMEM : -XEN_EINVAL;
        goto out;
    }
    p->gfn = gfn;
    p->page = page;
    p->used = true;
out:
    pthread_mutex_unlock(&kvm->lock);
    return rc;
}
