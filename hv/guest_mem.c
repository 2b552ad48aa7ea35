/*
 * guest_mem.c: checked access to guest memory, by guest-physical address
 * and by guest-virtual address through the guest's x86-64 page tables.
 */
#include <string.h>

#include "xenemu/guest_mem.h"

/* Page-table entry bits (Intel SDM vol. 3, 4.5). */
#define PTE_PRESENT  (1ull << 0)
#define PTE_WRITABLE (1ull << 1)
#define PTE_LARGE    (1ull << 7) /* PS: 1 GiB in a PDPTE, 2 MiB in a PDE */
#define PTE_ADDR     0x000ffffffffff000ull

/* A hypervisor page the guest placed at (gfn), or NULL. */
static void *overlay_at(struct domain *d, uint64_t gfn)
{
    /* Pairs with the release store of overlays_used in physmap code. */
    unsigned int used = __atomic_load_n(&d->overlays_used, __ATOMIC_ACQUIRE);

    for (unsigned int i = 0; i < used; i++)
        if (__atomic_load_n(&d->overlays[i].gfn, __ATOMIC_ACQUIRE) == gfn)
            return d->overlays[i].page;
    return NULL;
}

void *gfn_to_host(struct domain *d, uint64_t gfn)
{
    void *page;

    /* Unmapped overlay slots hold GFN_INVALID: never a match. */
    if (gfn == GFN_INVALID)
        return NULL;
    page = overlay_at(d, gfn);

    if (page)
        return page;
    if (gfn >= d->ram_size >> GUEST_PAGE_SHIFT)
        return NULL;
    return d->ram + (gfn << GUEST_PAGE_SHIFT);
}

/* Host address of (gpa) and how many bytes follow it in the same page. */
static uint8_t *gpa_to_host(struct domain *d, gpa_t gpa, size_t *in_page)
{
    uint8_t *page = gfn_to_host(d, gpa >> GUEST_PAGE_SHIFT);
    size_t off = gpa & (GUEST_PAGE_SIZE - 1);

    *in_page = GUEST_PAGE_SIZE - off;
    return page ? page + off : NULL;
}

/* Check every page of [gpa, gpa + len) before copying anything. */
static int gpa_check(struct domain *d, gpa_t gpa, size_t len)
{
    size_t chunk;

    if (gpa + len < gpa)
        return -XEN_EFAULT;
    while (len) {
        if (!gpa_to_host(d, gpa, &chunk))
            return -XEN_EFAULT;
        if (chunk > len)
            chunk = len;
        gpa += chunk;
        len -= chunk;
    }
    return 0;
}

/* Host address of [gpa, gpa + len) if it lies in one guest page, else
 * NULL: the common case of a hypercall argument, translated once. */
static uint8_t *gpa_one_page(struct domain *d, gpa_t gpa, size_t len)
{
    size_t in_page;
    uint8_t *p = gpa_to_host(d, gpa, &in_page);

    return p && len <= in_page ? p : NULL;
}

int gpa_read(struct domain *d, void *dst, gpa_t gpa, size_t len)
{
    uint8_t *out = dst, *one = gpa_one_page(d, gpa, len);
    size_t chunk;
    int rc;

    if (one) {
        memcpy(dst, one, len);
        return 0;
    }
    rc = gpa_check(d, gpa, len);

    while (rc == 0 && len) {
        uint8_t *src = gpa_to_host(d, gpa, &chunk);

        if (chunk > len)
            chunk = len;
        memcpy(out, src, chunk);
        out += chunk;
        gpa += chunk;
        len -= chunk;
    }
    return rc;
}

int gpa_write(struct domain *d, gpa_t gpa, const void *src, size_t len)
{
    const uint8_t *in = src;
    uint8_t *one = gpa_one_page(d, gpa, len);
    size_t chunk;
    int rc;

    if (one) {
        memcpy(one, src, len);
        return 0;
    }
    rc = gpa_check(d, gpa, len);

    while (rc == 0 && len) {
        uint8_t *dst = gpa_to_host(d, gpa, &chunk);

        if (chunk > len)
            chunk = len;
        memcpy(dst, in, chunk);
        in += chunk;
        gpa += chunk;
        len -= chunk;
    }
    return rc;
}

int gva_to_gpa(struct domain *d, uint64_t cr3, gva_t gva, bool write,
               gpa_t *gpa)
{
    uint64_t table = cr3 & PTE_ADDR;

    /* Non-canonical addresses fault (bits 63:47 must all be equal). */
    if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva)
        return -XEN_EFAULT;
    for (int level = 4; level >= 1; level--) {
        unsigned int shift = 12 + 9 * (level - 1);
        uint64_t index = (gva >> shift) & 511, entry;

        if (gpa_read(d, &entry, table + index * 8, sizeof(entry)))
            return -XEN_EFAULT;
        if (!(entry & PTE_PRESENT) || (write && !(entry & PTE_WRITABLE)))
            return -XEN_EFAULT;
        /* A large page ends the walk at level 3 (1 GiB) or 2 (2 MiB). */
        if (level == 1 || ((level == 2 || level == 3) && (entry & PTE_LARGE))) {
            uint64_t mask = (1ull << shift) - 1;

            *gpa = ((entry & PTE_ADDR) & ~mask) | (gva & mask);
            return 0;
        }
        table = entry & PTE_ADDR;
    }
    return -XEN_EFAULT; /* not reached */
}
