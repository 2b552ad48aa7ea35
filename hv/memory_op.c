/*
 * memory_op.c: __HYPERVISOR_memory_op as Xen 4.17 answers an HVM/PVH
 * domain (common/memory.c:do_memory_op(), common/compat/memory.c, the x86
 * arch_memory_op() and subarch_memory_op(), hvm/hypercall.c's filter),
 * checks in Xen's order.  Guest RAM is one flat block the backend owns, so
 * the domain's memory never grows or shrinks: tot_pages and max_pages are
 * its RAM frames, an allocation fails at the first extent (as Xen's does at
 * max_pages), and what would remove or move RAM is refused (see
 * docs/hypercalls.md for each deliberate difference).
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
    case XENMAPSPACE_grant_table: {
        /* gnttab_map_frame() takes the index as an unsigned int. */
        uint32_t idx = (uint32_t)a->idx;

        /* Status frames exist only for grant tables v2, which xenemu
         * does not offer; under v1 the index is out of range anyway. */
        if (idx & XENMAPIDX_grant_table_status)
            return -XEN_EINVAL;
        if (idx >= d->nr_overlays - 1)
            return -XEN_EINVAL; /* beyond max_grant_frames */
        return (long)SLOT_GRANT(idx);
    }
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

    /* A continuation's start extent must fit xatp.size (16 bits); the
     * compat path reads its argument first (compat_memory_op()). */
    if (!call->compat && (cmd >> MEMOP_EXTENT_SHIFT) > UINT16_MAX)
        return -XEN_EDOM;
    if (physmap_args_read(call, arg, &a))
        return -XEN_EFAULT;
    if ((cmd >> MEMOP_EXTENT_SHIFT) > UINT16_MAX)
        return -XEN_EDOM;
    /* Foreign frames only through XENMEM_add_to_physmap_batch. */
    if (a.space == XENMAPSPACE_gmfn_foreign)
        return -XEN_ENOSYS;
    d = domain_get_by_any_id(caller, a.domid);
    if (!d)
        return -XEN_ESRCH;
    /* xatp_permission_check(): dev_mmio only for the hardware domain (the
     * host's dom0, domain 0) on itself, then the XSM target check. */
    if (a.space == XENMAPSPACE_dev_mmio && (d->domid != 0 || d != caller)) {
        rc = -XEN_EACCES;
    } else if (!domain_may_control(caller, d)) {
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
    struct domain *d = call->v->domain;
    uint8_t small[DOMAIN_E820_MAX * E820_ENTRY_SIZE], *entries = small;
    uint64_t buffer;
    uint32_t nr;
    long rc = 0;

    /* nr_entries is the first field in both layouts. */
    _Static_assert(offsetof(struct xen_memory_map, nr_entries) == 0, "layout");
    _Static_assert(offsetof(struct compat_memory_map, nr_entries) == 0,
                   "layout");
    if (memory_map_read(call, arg, &nr, &buffer))
        return -XEN_EFAULT;
    pthread_mutex_lock(&d->e820_lock);
    if (d->nr_e820 == 0) {
        pthread_mutex_unlock(&d->e820_lock);
        return -XEN_ENOSYS; /* Xen: "backwards compatibility" */
    }
    if (nr > d->nr_e820)
        nr = d->nr_e820;
    /* A map the guest set may be larger than the inline entries. */
    if (nr > DOMAIN_E820_MAX && !(entries = hv_zalloc(nr * E820_ENTRY_SIZE))) {
        pthread_mutex_unlock(&d->e820_lock);
        return -XEN_ENOMEM; /* the host is out of memory */
    }
    for (uint32_t i = 0; i < nr; i++)
        e820_put(entries + i * E820_ENTRY_SIZE, &d->e820[i]);
    pthread_mutex_unlock(&d->e820_lock);
    if (copy_to_guest(call, buffer, entries, nr * E820_ENTRY_SIZE) ||
        copy_to_guest(call, arg, &nr, sizeof(nr)))
        rc = -XEN_EFAULT;
    if (entries != small)
        hv_free(entries, nr * E820_ENTRY_SIZE);
    return rc;
}

static uint64_t get_le(const uint8_t *p, unsigned int bytes)
{
    uint64_t v = 0;

    for (unsigned int i = bytes; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/*
 * XENMEM_set_memory_map (arch_memory_op()): the memory map of (domid), the
 * caller itself or, for the control domain, any domain.  -EINVAL for more
 * than E820MAX entries, before the lookup; the entries are read after the
 * XSM check and replace the map whole (0 entries: memory_map is then
 * -ENOSYS).
 */
static long set_memory_map(struct hv_call *call, uint64_t arg)
{
    struct domain *d;
    struct domain_e820 *map = NULL;
    uint8_t *raw = NULL;
    uint64_t buffer;
    uint32_t nr;
    domid_t domid;
    long rc = 0;

    if (call->compat) {
        struct compat_foreign_memory_map c;

        if (copy_from_guest(call, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        domid = c.domid;
        nr = c.nr_entries;
        buffer = c.buffer;
    } else {
        struct xen_foreign_memory_map n;

        if (copy_from_guest(call, &n, arg, sizeof(n)))
            return -XEN_EFAULT;
        domid = n.domid;
        nr = n.map.nr_entries;
        memcpy(&buffer, &n.map.buffer, sizeof(buffer)); /* the guest address */
    }
    if (nr > DOMAIN_E820_GUEST_MAX)
        return -XEN_EINVAL;
    d = domain_get_by_any_id(call->v->domain, domid);
    if (!d)
        return -XEN_ESRCH;
    if (!domain_may_control(call->v->domain, d)) { /* XSM_TARGET */
        domain_put(d);
        return -XEN_EPERM;
    }
    if (nr && (!(raw = hv_zalloc((size_t)nr * E820_ENTRY_SIZE)) ||
               !(map = hv_zalloc(nr * sizeof(*map))))) {
        rc = -XEN_ENOMEM;
    } else if (nr && copy_from_guest(call, raw, buffer, nr * E820_ENTRY_SIZE)) {
        rc = -XEN_EFAULT;
    } else {
        for (uint32_t i = 0; i < nr; i++) {
            const uint8_t *e = raw + i * E820_ENTRY_SIZE;

            map[i] = (struct domain_e820){get_le(e, 8), get_le(e + 8, 8),
                                          (uint32_t)get_le(e + 16, 4)};
        }
        hv_call_side_effects(call);
        domain_replace_memory_map(d, map, nr);
        map = NULL; /* d's now */
    }
    hv_free(map, nr * sizeof(*map));
    hv_free(raw, (size_t)nr * E820_ENTRY_SIZE);
    domain_put(d);
    return rc;
}

/* ---- the reservation ops and the domain's sizes ---- */

/* Guest RAM frames of (d): its tot_pages, and its max_pages (the flat
 * block can neither grow nor shrink). */
static long ram_pages(const struct domain *d)
{
    return (long)(d->ram_size >> GUEST_PAGE_SHIFT);
}

/*
 * XENMEM_increase_reservation, decrease_reservation, populate_physmap:
 * never an errno, the number of extents done.  Xen answers start_extent
 * for an unreadable argument, too many extents to encode a continuation,
 * start_extent past the end, an unknown domain or an XSM refusal.  After
 * those checks xenemu does no extent either: allocation (increase,
 * populate) fails at the first extent, as Xen's does with tot_pages at
 * max_pages; decrease cannot free a frame of the flat RAM (deliberate).
 */
static long reservation(struct hv_call *call, uint64_t cmd, uint64_t arg)
{
    long start = (long)(cmd >> MEMOP_EXTENT_SHIFT);
    struct domain *d;
    uint64_t nr;
    domid_t domid;

    if (call->compat) {
        struct compat_memory_reservation c;

        if (copy_from_guest(call, &c, arg, sizeof(c)))
            return start;
        nr = c.nr_extents;
        domid = c.domid;
    } else {
        struct xen_memory_reservation n;

        if (copy_from_guest(call, &n, arg, sizeof(n)))
            return start;
        nr = n.nr_extents;
        domid = n.domid;
    }
    if (nr > (UINT32_MAX >> MEMOP_EXTENT_SHIFT) || (uint64_t)start >= nr)
        return start;
    d = domain_get_by_any_id(call->v->domain, domid);
    if (!d)
        return start;
    /* xsm_memory_adjust_reservation(): the target policy; either way no
     * extent is done. */
    domain_put(d);
    return start;
}

/* XENMEM_current_reservation, maximum_reservation, maximum_gpfn. */
static long domain_size(struct hv_call *call, unsigned int op, uint64_t arg)
{
    struct domain *d;
    domid_t domid;
    long rc;

    /* struct xen_memory_domain is one domid_t in both modes. */
    if (copy_from_guest(call, &domid, arg, sizeof(domid)))
        return -XEN_EFAULT;
    d = domain_get_by_any_id(call->v->domain, domid);
    if (!d)
        return -XEN_ESRCH;
    if (!domain_may_control(call->v->domain, d)) {
        rc = -XEN_EPERM;
    } else if (op != XENMEM_maximum_gpfn) {
        rc = ram_pages(d);
    } else {
        /* The p2m's highest mapped frame: the top of RAM or an overlay
         * above it.  xenemu: from the overlays mapped now (Xen's
         * max_mapped_pfn never goes down). */
        uint64_t max = d->ram_size >> GUEST_PAGE_SHIFT;

        max = max ? max - 1 : 0;
        pthread_mutex_lock(&d->physmap_lock);
        for (unsigned int i = 0; i < d->overlays_used; i++)
            if (d->overlays[i].gfn != GFN_INVALID && d->overlays[i].gfn > max)
                max = d->overlays[i].gfn;
        pthread_mutex_unlock(&d->physmap_lock);
        rc = (long)max;
    }
    domain_put(d);
    return rc;
}

/* XENMEM_remove_from_physmap: checks as Xen; a frame with nothing mapped
 * is -ENOENT.  xenemu cannot unmap a mapped one (the backend keeps its
 * mapping; flat RAM has no holes to make): -EOPNOTSUPP (deliberate). */
static long remove_from_physmap(struct hv_call *call, uint64_t cmd,
                                uint64_t arg)
{
    struct domain *d;
    uint64_t gpfn;
    domid_t domid;
    long rc;

    /* compat_memory_op() reads the argument before do_memory_op()'s
     * start-extent check. */
    if (!call->compat && (cmd >> MEMOP_EXTENT_SHIFT))
        return -XEN_EINVAL;
    if (call->compat) {
        struct compat_remove_from_physmap c;

        if (copy_from_guest(call, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        domid = c.domid;
        gpfn = c.gpfn;
    } else {
        struct xen_remove_from_physmap n;

        if (copy_from_guest(call, &n, arg, sizeof(n)))
            return -XEN_EFAULT;
        domid = n.domid;
        gpfn = n.gpfn;
    }
    if (cmd >> MEMOP_EXTENT_SHIFT)
        return -XEN_EINVAL;
    d = domain_get_by_any_id(call->v->domain, domid);
    if (!d)
        return -XEN_ESRCH;
    if (!domain_may_control(call->v->domain, d))
        rc = -XEN_EPERM;
    else if (!gfn_to_host(d, gpfn))
        rc = -XEN_ENOENT;
    else
        rc = -XEN_EOPNOTSUPP;
    domain_put(d);
    return rc;
}

/* XENMEM_get_vnumainfo: xenemu domains have no vNUMA: -EOPNOTSUPP after
 * the pad, lookup and XSM checks. */
static long get_vnumainfo(struct hv_call *call, uint64_t cmd, uint64_t arg)
{
    struct xen_vnuma_topology_info t;
    struct domain *d;
    long rc;

    if (!call->compat && (cmd >> MEMOP_EXTENT_SHIFT))
        return -XEN_EINVAL;
    if (copy_from_guest(call, &t, arg, sizeof(t)))
        return -XEN_EFAULT;
    if (cmd >> MEMOP_EXTENT_SHIFT)
        return -XEN_EINVAL;
    if (t.pad != 0)
        return -XEN_EINVAL;
    d = domain_get_by_any_id(call->v->domain, t.domid);
    if (!d)
        return -XEN_ESRCH;
    rc = domain_may_control(call->v->domain, d) ? -XEN_EOPNOTSUPP : -XEN_EPERM;
    domain_put(d);
    return rc;
}

/* XENMEM_claim_pages: the lookup is by id only (DOMID_SELF is -EINVAL),
 * and claiming needs the control domain. */
static long claim_pages(struct hv_call *call, uint64_t cmd, uint64_t arg)
{
    struct xen_memory_reservation n;
    struct compat_memory_reservation c;
    uint64_t handle;
    uint32_t order, flags;
    domid_t domid;
    struct domain *d;
    long rc;

    if (cmd >> MEMOP_EXTENT_SHIFT)
        return -XEN_EINVAL;
    if (call->compat) {
        if (copy_from_guest(call, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        handle = c.extent_start;
        order = c.extent_order;
        flags = c.mem_flags;
        domid = c.domid;
    } else {
        if (copy_from_guest(call, &n, arg, sizeof(n)))
            return -XEN_EFAULT;
        memcpy(&handle, &n.extent_start, sizeof(handle));
        order = n.extent_order;
        flags = n.mem_flags;
        domid = n.domid;
    }
    if (handle != 0 || order != 0 || flags != 0)
        return -XEN_EINVAL;
    d = domain_get(call->v->domain->hv, domid);
    if (!d)
        return -XEN_EINVAL;
    /* xenemu: a claim needs pages to set aside; there are none beyond the
     * flat RAM, so the control domain's claim is accepted as empty. */
    rc = call->v->domain->is_privileged ? 0 : -XEN_EPERM;
    domain_put(d);
    return rc;
}

/*
 * XENMEM_set_pod_target / get_pod_target (arch_memory_op()): the control
 * domain's only (XSM_PRIV), after the lookup; every xenemu domain is HVM.
 * No domain has populate-on-demand, so p2m_pod_set_mem_target() finds
 * nothing outstanding and does nothing; both report the domain's pages,
 * an empty PoD cache and no PoD entries, writing back the whole argument.
 */
static long pod_target(struct hv_call *call, uint64_t cmd, uint64_t arg)
{
    struct xen_pod_target t;
    struct compat_pod_target c;
    struct domain *d;
    long rc = 0;

    if (call->compat) {
        if (copy_from_guest(call, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        t = (struct xen_pod_target){.target_pages = c.target_pages,
                                    .domid = c.domid};
    } else if (copy_from_guest(call, &t, arg, sizeof(t))) {
        return -XEN_EFAULT;
    }
    d = domain_get_by_any_id(call->v->domain, t.domid);
    if (!d)
        return -XEN_ESRCH;
    if (!call->v->domain->is_privileged)
        rc = -XEN_EPERM;
    else if (cmd == XENMEM_set_pod_target &&
             t.target_pages > (uint64_t)ram_pages(d))
        rc = -XEN_EINVAL; /* above max_pages */
    if (rc == 0) {
        /* p2m_pod_get_mem_target() */
        t.tot_pages = (uint64_t)ram_pages(d);
        t.pod_cache_pages = 0;
        t.pod_entries = 0;
        if (call->compat) {
            c.tot_pages = t.tot_pages;
            c.pod_cache_pages = 0;
            c.pod_entries = 0;
            if (copy_to_guest(call, arg, &c, sizeof(c)))
                rc = -XEN_EFAULT;
        } else if (copy_to_guest(call, arg, &t, sizeof(t))) {
            rc = -XEN_EFAULT;
        }
    }
    domain_put(d);
    return rc;
}

/*
 * XENMEM_access_op (common/mem_access.c:mem_access_memop()): a remote
 * domain by id (DOMID_SELF is -ESRCH, the caller's own id -EPERM), then
 * the sanity check (an HVM domain on VMX with HAP, which passes), then
 * XSM_DM_PRIV (-EPERM but for the control domain; xenemu has no device
 * model domains), then -ENODEV: no domain has a vm_event monitor ring, so
 * no sub-op is reached.
 */
static long access_op(struct hv_call *call, uint64_t arg)
{
    struct domain *caller = call->v->domain, *d;
    domid_t domid;
    long rc;

    if (call->compat) {
        struct compat_mem_access_op c;

        if (copy_from_guest(call, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        domid = c.domid;
    } else {
        struct xen_mem_access_op n;

        if (copy_from_guest(call, &n, arg, sizeof(n)))
            return -XEN_EFAULT;
        domid = n.domid;
    }
    d = domain_get(caller->hv, domid);
    if (!d)
        return -XEN_ESRCH;
    if (d == caller || !caller->is_privileged)
        rc = -XEN_EPERM;
    else
        rc = -XEN_ENODEV;
    domain_put(d);
    return rc;
}

/* ---- XENMEM_add_to_physmap_batch ---- */

/* struct xen_add_to_physmap_batch in either mode, widened. */
struct batch_args {
    domid_t domid;
    uint16_t space;
    uint16_t size;
    uint16_t u; /* foreign_domid (gmfn_foreign) or res0 */
    uint64_t idxs, gpfns, errs;
};

/* Compat entries are marshalled this many at a time (Xen's translation
 * area: two pages, less the native struct, over an index and a gpfn). */
#define COMPAT_BATCH_CHUNK ((2 * 4096 - 32) / 16)

/*
 * One foreign frame (p2m_add_foreign()): only into the hardware domain;
 * the foreign domain is remote by id (-ESRCH, -EPERM for the caller
 * itself), not (d) (-EINVAL), and its frame must be RAM (-EINVAL).
 * xenemu cannot map another domain's frame: -EOPNOTSUPP (deliberate).
 */
static int batch_foreign(struct hv_call *call, struct domain *d,
                         domid_t foreign, uint64_t fgfn)
{
    struct domain *f;
    int rc;

    if (d->domid != 0)
        return -XEN_EPERM;
    if (foreign == DOMID_XEN)
        return -XEN_EOPNOTSUPP; /* Xen's own frames are not exposed */
    f = domain_get(d->hv, foreign);
    if (!f)
        return -XEN_ESRCH;
    if (f == call->v->domain)
        rc = -XEN_EPERM;
    else if (f == d)
        rc = -XEN_EINVAL;
    else if (!gfn_to_host(f, fgfn))
        rc = -XEN_EINVAL;
    else
        rc = -XEN_EOPNOTSUPP;
    domain_put(f);
    return rc;
}

/* One entry (x86's xenmem_add_to_physmap_one()). */
static int batch_one(struct hv_call *call, struct domain *d,
                     const struct batch_args *a, uint64_t idx, uint64_t gpfn)
{
    struct physmap_args pa = {a->domid, a->space, idx, gpfn};
    long slot;

    if (a->space == XENMAPSPACE_gmfn_foreign)
        return batch_foreign(call, d, a->u, idx);
    /* dev_mmio and unknown spaces find no frame on x86: -EINVAL. */
    slot = physmap_slot(d, &pa);
    if (slot < 0)
        return (int)slot;
    hv_call_side_effects(call);
    return physmap_map(d, (unsigned int)slot, gpfn);
}

/*
 * Entries [extent, size) of the batch (common/memory.c:
 * xenmem_add_to_physmap_batch()): each result goes to errs[]; an
 * unreadable entry or an invalid gpfn ends the call.  (cidx, cgpfn): a
 * compat chunk already read, from (extent) on; NULL: read the native
 * arrays entry by entry.
 */
static long batch_entries(struct hv_call *call, struct domain *d,
                          const struct batch_args *a, unsigned int size,
                          unsigned int extent, const uint32_t *cidx,
                          const uint32_t *cgpfn)
{
    const unsigned int first = extent;

    if (size < extent)
        return -XEN_EILSEQ;
    if (size == extent)
        return extent ? -XEN_EILSEQ : 0;
    if (a->space == XENMAPSPACE_dev_mmio && a->u)
        return -XEN_EOPNOTSUPP; /* res0 must be 0 */
    for (; extent < size; extent++) {
        uint64_t idx, gpfn;
        int32_t err;

        if (cidx) {
            idx = cidx[extent - first];
            gpfn = cgpfn[extent - first];
        } else if (copy_from_guest(call, &idx, a->idxs + 8ull * extent, 8) ||
                   copy_from_guest(call, &gpfn, a->gpfns + 8ull * extent, 8)) {
            return -XEN_EFAULT;
        }
        if (gpfn == GFN_INVALID)
            return -XEN_EINVAL;
        err = batch_one(call, d, a, idx, gpfn);
        if (copy_to_guest(call, a->errs + 4ull * extent, &err, sizeof(err)))
            return -XEN_EFAULT;
    }
    return 0;
}

/* do_memory_op()'s part for entries [start, size): its checks, in order,
 * then the entries. */
static long batch_native(struct hv_call *call, const struct batch_args *a,
                         uint64_t start, unsigned int size,
                         const uint32_t *cidx, const uint32_t *cgpfn)
{
    struct domain *caller = call->v->domain, *d;
    long rc;

    if (start > UINT16_MAX)
        return -XEN_EDOM;
    if (a->space == XENMAPSPACE_gmfn_range)
        return -XEN_EOPNOTSUPP;
    d = domain_get_by_any_id(caller, a->domid);
    if (!d)
        return -XEN_ESRCH;
    /* xatp_permission_check(), as for add_to_physmap. */
    if (a->space == XENMAPSPACE_dev_mmio && (d->domid != 0 || d != caller))
        rc = -XEN_EACCES;
    else if (!domain_may_control(caller, d))
        rc = -XEN_EPERM;
    else
        rc = batch_entries(call, d, a, size, (unsigned int)start, cidx, cgpfn);
    domain_put(d);
    return rc;
}

/*
 * XENMEM_add_to_physmap_batch.  The native call checks the start extent
 * before reading its argument.  compat_memory_op() reads its argument,
 * then each chunk's indexes and gpfns (32 bits each) before the native
 * checks run for that chunk.  xenemu does the whole batch in one call
 * (Xen may preempt between entries; not guest-visible).
 */
static long add_to_physmap_batch(struct hv_call *call, uint64_t cmd,
                                 uint64_t arg)
{
    uint64_t start = cmd >> MEMOP_EXTENT_SHIFT;
    struct batch_args a;

    if (!call->compat && start > UINT16_MAX)
        return -XEN_EDOM;
    if (call->compat) {
        struct compat_add_to_physmap_batch c;

        if (copy_from_guest(call, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        a = (struct batch_args){c.domid, c.space, c.size, c.u,
                                c.idxs,  c.gpfns, c.errs};
    } else {
        struct xen_add_to_physmap_batch n;

        if (copy_from_guest(call, &n, arg, sizeof(n)))
            return -XEN_EFAULT;
        a = (struct batch_args){
            .domid = n.domid, .space = n.space, .size = n.size, .u = n.u.res0};
        memcpy(&a.idxs, &n.idxs, sizeof(a.idxs)); /* guest addresses */
        memcpy(&a.gpfns, &n.gpfns, sizeof(a.gpfns));
        memcpy(&a.errs, &n.errs, sizeof(a.errs));
        return batch_native(call, &a, start, a.size, NULL, NULL);
    }
    for (;;) {
        uint32_t idx[COMPAT_BATCH_CHUNK], gpfn[COMPAT_BATCH_CHUNK];
        uint64_t end = start + COMPAT_BATCH_CHUNK;
        long rc;

        if (end > a.size)
            end = a.size;
        if (end > start && (copy_from_guest(call, idx, a.idxs + 4 * start,
                                            (size_t)(end - start) * 4) ||
                            copy_from_guest(call, gpfn, a.gpfns + 4 * start,
                                            (size_t)(end - start) * 4)))
            return -XEN_EFAULT;
        rc = batch_native(call, &a, start, (unsigned int)end, idx, gpfn);
        if (rc || end >= a.size)
            return rc;
        start = end; /* the next chunk */
    }
}

/*
 * XENMEM_reserved_device_memory_map: the host's reserved device memory
 * (RMRRs, IVMD), not a domain's.  xenemu's host has none (as a host
 * without them, or without an IOMMU): after 4.17's checks, nr_entries
 * becomes 0 and the argument is written back.
 */
static long reserved_device_memory_map(struct hv_call *call, uint64_t cmd,
                                       uint64_t arg)
{
    if (cmd >> MEMOP_EXTENT_SHIFT)
        return -XEN_EINVAL;
    if (call->compat) {
        struct compat_reserved_device_memory_map c;

        if (copy_from_guest(call, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        if (c.flags & ~(uint32_t)XENMEM_RDM_ALL)
            return -XEN_EINVAL;
        c.nr_entries = 0;
        if (copy_to_guest(call, arg, &c, sizeof(c)))
            return -XEN_EFAULT;
    } else {
        struct xen_reserved_device_memory_map n;

        if (copy_from_guest(call, &n, arg, sizeof(n)))
            return -XEN_EFAULT;
        if (n.flags & ~(uint32_t)XENMEM_RDM_ALL)
            return -XEN_EINVAL;
        n.nr_entries = 0;
        if (copy_to_guest(call, arg, &n, sizeof(n)))
            return -XEN_EFAULT;
    }
    return 0;
}

/* The sub-ops x86's arch_memory_op() and subarch_memory_op() answer:
 * selected on the whole cmd, so any start-extent bits give -ENOSYS. */
static long arch_memory_op(struct hv_call *call, uint64_t cmd, uint64_t arg)
{
    switch (cmd) {
    case XENMEM_set_memory_map:
        return set_memory_map(call, arg);
    case XENMEM_memory_map:
        return memory_map(call, arg);
    case XENMEM_set_pod_target:
    case XENMEM_get_pod_target:
        return pod_target(call, cmd, arg);
    case XENMEM_machphys_mfn_list:
        /* compat_arch_memory_op(): no 32-bit PV, no compat M2P. */
        if (call->compat)
            return -XEN_EOPNOTSUPP;
        return -XEN_ENOSYS; /* xenemu: no M2P to list (deliberate) */
    case XENMEM_machphys_compat_mfn_list:
        return -XEN_EOPNOTSUPP; /* !opt_pv32 */
    case XENMEM_get_sharing_freed_pages:
    case XENMEM_get_sharing_shared_pages:
        return 0; /* built without MEM_SHARING: nothing shared */
    default:
        return -XEN_ENOSYS;
    }
}

long do_memory_op(struct hv_call *call, uint64_t args[5])
{
    uint64_t cmd = args[0];
    unsigned int op = (unsigned int)(cmd & MEMOP_CMD_MASK);
    long rc;

    switch (op) {
    /* hvm_memory_op(): refused for HVM on the masked cmd. */
    case XENMEM_machine_memory_map:
    case XENMEM_machphys_mapping:
        return -XEN_ENOSYS;
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        rc = reservation(call, cmd, args[1]);
        break;
    case XENMEM_maximum_ram_page:
        if (cmd >> MEMOP_EXTENT_SHIFT)
            return -XEN_EINVAL;
        /* xenemu: the host's max_page is not shown; the machine a guest
         * sees is its own RAM. */
        rc = ram_pages(call->v->domain);
        break;
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
        if (cmd >> MEMOP_EXTENT_SHIFT)
            return -XEN_EINVAL;
        rc = domain_size(call, op, args[1]);
        break;
    case XENMEM_add_to_physmap:
        return add_to_physmap(call, cmd, args[1]);
    case XENMEM_remove_from_physmap:
        return remove_from_physmap(call, cmd, args[1]);
    case XENMEM_claim_pages:
        return claim_pages(call, cmd, args[1]);
    case XENMEM_get_vnumainfo:
        return get_vnumainfo(call, cmd, args[1]);
    case XENMEM_access_op:
        return access_op(call, args[1]);
    case XENMEM_add_to_physmap_batch:
        return add_to_physmap_batch(call, cmd, args[1]);
    case XENMEM_reserved_device_memory_map:
        return reserved_device_memory_map(call, cmd, args[1]);
    case XENMEM_acquire_resource:
        /* arch_acquire_resource_check(): only the hardware domain may,
         * among translated callers. */
        if (call->v->domain->domid != 0)
            return -XEN_EACCES;
        return -XEN_ENOSYS; /* xenemu: no resources to map */
    default:
        return arch_memory_op(call, cmd, args[1]);
    }
    /* compat_memory_op() clamps to an int. */
    if (call->compat && rc > INT32_MAX)
        rc = INT32_MAX;
    return rc;
}
