/*
 * memory_op.c: __HYPERVISOR_memory_op, the two sub-ops an HVM guest needs
 * from xenemu: XENMEM_add_to_physmap (place shared_info or a grant-table
 * frame in its physmap) and XENMEM_memory_map (its E820 map).  Checks in
 * Xen's order (xen/common/memory.c and the x86 arch_memory_op()).
 */
#include <stdlib.h>
#include <string.h>

#include "hypercalls.h"
#include "xenemu/compat.h"

/* XENMEM_memory_map entries: BIOS INT 15h E820 records, 20 bytes each. */
#define E820_ENTRY_SIZE 20

/* Overlay slots (see struct domain): 0 is shared_info, 1 + i grant
 * frame i. */
#define SLOT_SHARED_INFO 0u
#define SLOT_GRANT(i)    (1u + (unsigned int)(i))

/* struct xen_add_to_physmap in either mode, widened. */
struct physmap_args {
    domid_t domid;
    uint32_t space;
    uint64_t idx;
    uint64_t gpfn;
};

static int physmap_args_read(struct hv_call *call, uint64_t arg,
                             struct physmap_args *a)
{
    if (call->compat) {
        struct compat_add_to_physmap c;

        if (copy_from_guest(call, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        *a = (struct physmap_args){c.domid, c.space, c.idx, c.gpfn};
    } else {
        struct xen_add_to_physmap n;

        if (copy_from_guest(call, &n, arg, sizeof(n)))
            return -XEN_EFAULT;
        *a = (struct physmap_args){n.domid, n.space, n.idx, n.gpfn};
    }
    return 0;
}

/*
 * A frame holds one page: unmap any other overlay at (gfn), as Xen's
 * guest_physmap_add_page() replaces what was mapped there.  Caller holds
 * physmap_lock.
 */
static void evict_others(struct domain *d, unsigned int slot, uint64_t gfn)
{
    for (unsigned int i = 0; i < d->overlays_used; i++) {
        if (i == slot || d->overlays[i].gfn != gfn)
            continue;
        /* Pairs with the acquire loads in overlay_at() (guest_mem.c). */
        __atomic_store_n(&d->overlays[i].gfn, GFN_INVALID, __ATOMIC_RELEASE);
    }
}

/* Map overlay (slot) of (d) at (gfn), then tell the backend. */
static int physmap_map(struct domain *d, unsigned int slot, uint64_t gfn)
{
    const struct hv_backend_ops *be = d->hv->backend;
    struct guest_overlay *o = &d->overlays[slot];
    int rc = 0;

    pthread_mutex_lock(&d->physmap_lock);
    if (!o->page && !(o->page = hv_zalloc_page())) {
        rc = -XEN_ENOMEM;
        goto out;
    }
    /*
     * The page is set before the gfn is published, and the gfn before the
     * slot count: both release stores pair with the acquire loads of
     * overlays_used and each gfn in overlay_at() (guest_mem.c), so a
     * reader that finds the gfn also sees the page.
     */
    __atomic_store_n(&o->gfn, gfn, __ATOMIC_RELEASE);
    if (d->overlays_used < slot + 1)
        __atomic_store_n(&d->overlays_used, slot + 1, __ATOMIC_RELEASE);
    evict_others(d, slot, gfn);
    /* Under the lock, so the backend sees remaps in the core's order. */
    if (be && be->map_page)
        rc = be->map_page(d, gfn, o->page);
out:
    pthread_mutex_unlock(&d->physmap_lock);
    return rc;
}

/* The overlay slot for (space, idx), or a negative Xen errno. */
static long physmap_slot(const struct domain *d, const struct physmap_args *a)
{
    switch (a->space) {
    case XENMAPSPACE_shared_info:
        return a->idx == 0 ? (long)SLOT_SHARED_INFO : -XEN_EINVAL;
    case XENMAPSPACE_grant_table:
        /* Status frames exist only for grant tables v2, which xenemu
         * does not offer. */
        if (a->idx & XENMAPIDX_grant_table_status)
            return -XEN_EINVAL;
        if (a->idx >= d->nr_overlays - 1)
            return -XEN_EINVAL; /* beyond max_grant_frames */
        return (long)SLOT_GRANT(a->idx);
    case XENMAPSPACE_gmfn:
    case XENMAPSPACE_gmfn_range:
        /* Moving guest RAM needs a p2m; guest RAM here is one flat
         * mapping owned by the backend. */
        return -XEN_EOPNOTSUPP;
    default:
        return -XEN_EINVAL;
    }
}

static long add_to_physmap(struct hv_call *call, uint64_t cmd, uint64_t arg)
{
    struct domain *caller = call->v->domain, *d;
    struct physmap_args a;
    long rc;

    /* A continuation's start extent must fit xatp.size (16 bits). */
    if ((cmd >> MEMOP_EXTENT_SHIFT) > UINT16_MAX)
        return -XEN_EDOM;
    if (physmap_args_read(call, arg, &a))
        return -XEN_EFAULT;
    /* Foreign frames only through XENMEM_add_to_physmap_batch. */
    if (a.space == XENMAPSPACE_gmfn_foreign)
        return -XEN_ENOSYS;
    d = domain_get_by_any_id(caller, a.domid);
    if (!d)
        return -XEN_ESRCH;
    if (!domain_may_control(caller, d)) {
        rc = -XEN_EPERM;
    } else if (a.gpfn == GFN_INVALID) {
        rc = -XEN_EINVAL;
    } else if ((rc = physmap_slot(d, &a)) >= 0) {
        hv_call_side_effects(call);
        rc = physmap_map(d, (unsigned int)rc, a.gpfn);
    }
    domain_put(d);
    return rc;
}

static void put_le(uint8_t *p, uint64_t v, unsigned int bytes)
{
    for (unsigned int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* struct e820entry {u64 addr; u64 size; u32 type;}, packed, little-endian. */
static void e820_put(uint8_t *p, const struct domain_e820 *e)
{
    put_le(p, e->addr, 8);
    put_le(p + 8, e->size, 8);
    put_le(p + 16, e->type, 4);
}

/* struct xen_memory_map in either mode: read (nr, buffer), write nr. */
static int memory_map_read(struct hv_call *call, uint64_t arg, uint32_t *nr,
                           uint64_t *buffer)
{
    if (call->compat) {
        struct compat_memory_map c;

        if (copy_from_guest(call, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        *nr = c.nr_entries;
        *buffer = c.buffer;
    } else {
        struct xen_memory_map n;

        _Static_assert(sizeof(n.buffer) == sizeof(uint64_t), "handle size");
        if (copy_from_guest(call, &n, arg, sizeof(n)))
            return -XEN_EFAULT;
        *nr = n.nr_entries;
        memcpy(buffer, &n.buffer, sizeof(*buffer)); /* the guest address */
    }
    return 0;
}

static long memory_map(struct hv_call *call, uint64_t arg)
{
    const struct domain *d = call->v->domain;
    uint8_t entries[DOMAIN_E820_MAX * E820_ENTRY_SIZE];
    uint64_t buffer;
    uint32_t nr;

    /* nr_entries is the first field in both layouts. */
    _Static_assert(offsetof(struct xen_memory_map, nr_entries) == 0, "layout");
    _Static_assert(offsetof(struct compat_memory_map, nr_entries) == 0,
                   "layout");
    if (memory_map_read(call, arg, &nr, &buffer))
        return -XEN_EFAULT;
    if (d->nr_e820 == 0)
        return -XEN_ENOSYS; /* Xen: "backwards compatibility" */
    if (nr > d->nr_e820)
        nr = d->nr_e820;
    for (uint32_t i = 0; i < nr; i++)
        e820_put(entries + i * E820_ENTRY_SIZE, &d->e820[i]);
    if (copy_to_guest(call, buffer, entries, nr * E820_ENTRY_SIZE) ||
        copy_to_guest(call, arg, &nr, sizeof(nr)))
        return -XEN_EFAULT;
    return 0;
}

long do_memory_op(struct hv_call *call, uint64_t args[5])
{
    uint64_t cmd = args[0];

    switch (cmd & MEMOP_CMD_MASK) {
    case XENMEM_add_to_physmap:
        return add_to_physmap(call, cmd, args[1]);
    case XENMEM_memory_map:
        return memory_map(call, args[1]);
    default: /* XENMEM_machphys_mapping and the rest: not provided */
        return -XEN_ENOSYS;
    }
}
