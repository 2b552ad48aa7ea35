/*
 * grant_table.c: __HYPERVISOR_grant_table_op as Xen 4.17 answers an
 * HVM/PVH domU (common/grant_table.c:do_grant_table_op(), common/compat/
 * grant_table.c, arch/x86/hvm/hypercall.c:hvm_grant_table_op()), checks in
 * Xen's order: the table's state, query_size, setup_table, set_version,
 * get_version and the dispatch.  GNTTABOP_copy is in grant_copy.c,
 * map_grant_ref, unmap_grant_ref and swap_grant_ref in grant_map.c.
 */
#include <string.h>

#include "hypercalls.h"
#include "xenemu/compat.h"
#include "xenemu/grant_table.h"

/* Overlay slot of grant frame i (see struct domain). */
#define SLOT_GRANT(i) (1u + (i))

/* Status frames needed for (frames) v2 shared frames. */
static unsigned int status_frames_for(unsigned int frames)
{
    unsigned int entries = frames * GT_V2_PER_FRAME;

    return (entries + GT_STATUS_PER_FRAME - 1) / GT_STATUS_PER_FRAME;
}

int grant_table_init(struct domain *d, unsigned int max_version)
{
    unsigned int max = d->nr_overlays - 1;
    struct grant_table *gt;

    gt = hv_zalloc(sizeof(*gt));
    if (!gt)
        return -XEN_ENOMEM;
    pthread_mutex_init(&gt->lock, NULL);
    gt->version = 1;
    gt->max_version = max_version ? max_version : 2;
    gt->max_frames = max;
    /* INITIAL_NR_GRANT_FRAMES (1), allocated on use.  xenemu: a domain
     * created with max_grant_frames 0 (Xen refuses it; the host's dom0
     * here) gets an empty table. */
    gt->nr_frames = max ? 1 : 0;
    /* One more slot than needed: no zero-sized allocation at max 0. */
    gt->shared = hv_zalloc((max + 1) * sizeof(*gt->shared));
    gt->active = hv_zalloc((max + 1) * sizeof(*gt->active));
    gt->status = hv_zalloc((status_frames_for(max) + 1) * sizeof(*gt->status));
    d->grant_table = gt;
    if (!gt->shared || !gt->active || !gt->status)
        return -XEN_ENOMEM;
    return 0;
}

static void status_free(struct grant_table *gt)
{
    for (unsigned int i = 0; i < gt->nr_status_frames; i++) {
        hv_free_page(gt->status[i]);
        gt->status[i] = NULL;
    }
    gt->nr_status_frames = 0;
}

void grant_table_free(struct domain *d)
{
    struct grant_table *gt = d->grant_table;

    if (!gt)
        return;
    /* The shared frames are the overlays' pages: domain.c frees them. */
    for (unsigned int i = 0; gt->active && i < gt->max_frames; i++)
        hv_free(gt->active[i], GT_ACTIVE_PER_FRAME * sizeof(**gt->active));
    if (gt->status)
        status_free(gt);
    hv_free(gt->status,
            (status_frames_for(gt->max_frames) + 1) * sizeof(*gt->status));
    hv_free(gt->active, (gt->max_frames + 1) * sizeof(*gt->active));
    hv_free(gt->shared, (gt->max_frames + 1) * sizeof(*gt->shared));
    pthread_mutex_destroy(&gt->lock);
    hv_free(gt, sizeof(*gt));
    d->grant_table = NULL;
}

int gt_sync(struct domain *d, unsigned int want)
{
    struct grant_table *gt = d->grant_table;
    unsigned int n = gt->nr_frames, need;
    int rc = 0;

    /* The overlay pages are set under physmap_lock (memory_op.c's
     * physmap_map() and here), so they are read under it too. */
    pthread_mutex_lock(&d->physmap_lock);
    for (unsigned int i = gt->max_frames; i > n; i--)
        if (d->overlays[SLOT_GRANT(i - 1)].page) {
            n = i;
            break;
        }
    if (want > n)
        n = want;
    for (unsigned int i = 0; i < n && !rc; i++) {
        struct guest_overlay *o = &d->overlays[SLOT_GRANT(i)];

        if (!o->page && !(o->page = hv_zalloc_page()))
            rc = -XEN_ENOMEM;
        else if (!gt->active[i] &&
                 !(gt->active[i] =
                       hv_zalloc(GT_ACTIVE_PER_FRAME * sizeof(**gt->active))))
            rc = -XEN_ENOMEM;
        else
            gt->shared[i] = o->page;
    }
    pthread_mutex_unlock(&d->physmap_lock);
    if (rc)
        return rc;
    need = gt->version == 2 ? status_frames_for(n) : 0;
    while (gt->nr_status_frames < need) {
        void *p = hv_zalloc_page();

        if (!p)
            return -XEN_ENOMEM;
        gt->status[gt->nr_status_frames++] = p;
    }
    gt->nr_frames = n;
    return 0;
}

unsigned int gt_nr_entries(const struct grant_table *gt)
{
    return gt->nr_frames *
           (gt->version == 1 ? GT_V1_PER_FRAME : GT_V2_PER_FRAME);
}

struct gt_active *gt_active_of(struct grant_table *gt, grant_ref_t ref)
{
    return &gt->active[ref / GT_ACTIVE_PER_FRAME][ref % GT_ACTIVE_PER_FRAME];
}

uint32_t *gt_header(struct grant_table *gt, grant_ref_t ref)
{
    if (gt->version == 1)
        return (uint32_t *)(gt->shared[ref / GT_V1_PER_FRAME] +
                            (ref % GT_V1_PER_FRAME) * 8);
    return (uint32_t *)(gt->shared[ref / GT_V2_PER_FRAME] +
                        (ref % GT_V2_PER_FRAME) * 16);
}

uint16_t *gt_status(struct grant_table *gt, grant_ref_t ref)
{
    /* v1: the flags half of the header (little-endian: the low half). */
    if (gt->version == 1)
        return (uint16_t *)gt_header(gt, ref);
    return &gt->status[ref / GT_STATUS_PER_FRAME][ref % GT_STATUS_PER_FRAME];
}

/* The guest's 32-bit header.  Relaxed atomic: the guest writes it at any
 * time, and each use below works on the one value loaded. */
static uint32_t hdr_load(const uint32_t *h)
{
    return __atomic_load_n(h, __ATOMIC_RELAXED);
}

static bool type_ok(uint16_t flags, bool mapflag)
{
    uint16_t mask = GTF_type_mask | (mapflag ? GTF_sub_page : 0);

    if ((flags & mask) == GTF_permit_access)
        return true;
    return !mapflag && (flags & mask) == GTF_transitive;
}

int gt_set_status(struct grant_table *gt, grant_ref_t ref,
                  const struct gt_active *act, bool ro, bool mapflag,
                  domid_t ldom)
{
    uint32_t *h = gt_header(gt, ref), cur = hdr_load(h);
    uint16_t want = GTF_reading | (ro ? 0 : GTF_writing), *st;

    if (gt->version == 1) {
        uint16_t mask = GTF_type_mask | (mapflag ? GTF_sub_page : 0);

        /* common/grant_table.c:_set_status_v1(): a bounded cmpxchg loop
         * (the guest may change the entry as we set the flags). */
        for (unsigned int tries = 0;; tries++) {
            uint16_t f = GT_HDR_FLAGS(cur);

            if (!act->pin &&
                ((f & mask) != GTF_permit_access || GT_HDR_DOMID(cur) != ldom))
                return GNTST_general_error;
            if (!ro && (f & GTF_readonly))
                return GNTST_general_error;
            /* Pairs with nothing in the core: the guest reads the flags
             * with its own atomics; seq_cst orders it against them. */
            if (__atomic_compare_exchange_n(h, &cur, cur | want, false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
                return GNTST_okay;
            if (tries == 4)
                return GNTST_general_error; /* "unstable" */
        }
    }
    /* _set_status_v2(): the flags go to the status word, then the entry
     * is read again in case the guest changed it meanwhile. */
    if (!act->pin &&
        (!type_ok(GT_HDR_FLAGS(cur), mapflag) || GT_HDR_DOMID(cur) != ldom))
        return GNTST_general_error;
    if (!ro && (GT_HDR_FLAGS(cur) & GTF_readonly))
        return GNTST_general_error;
    st = gt_status(gt, ref);
    /* seq_cst: the status store is ordered before the second read of the
     * header (Xen's smp_mb()); pairs with the guest's own barrier between
     * revoking the entry and reading the status. */
    __atomic_fetch_or(st, want, __ATOMIC_SEQ_CST);
    cur = __atomic_load_n(h, __ATOMIC_SEQ_CST);
    if (!act->pin) {
        if (!type_ok(GT_HDR_FLAGS(cur), mapflag) || GT_HDR_DOMID(cur) != ldom ||
            (!ro && (GT_HDR_FLAGS(cur) & GTF_readonly))) {
            __atomic_fetch_and(st, (uint16_t) ~(GTF_reading | GTF_writing),
                               __ATOMIC_SEQ_CST);
            return GNTST_general_error;
        }
    } else if (GT_HDR_FLAGS(cur) & GTF_readonly) {
        __atomic_fetch_and(st, (uint16_t)~GTF_writing, __ATOMIC_SEQ_CST);
        return GNTST_general_error;
    }
    return GNTST_okay;
}

void gt_reduce_status(struct grant_table *gt, grant_ref_t ref,
                      const struct gt_active *act, bool ro)
{
    uint16_t clear = act->pin ? 0 : GTF_reading;

    if (!ro && !(act->pin & GT_PIN_HSTW_MASK))
        clear |= GTF_writing;
    /* An atomic and on the 16 bits only: the guest owns the rest of the
     * entry (Xen's gnttab_clear_flags()); pairs with the guest's reads. */
    if (clear)
        __atomic_fetch_and(gt_status(gt, ref), (uint16_t)~clear,
                           __ATOMIC_SEQ_CST);
}

uint8_t *gt_paged_frame(struct domain *rd, uint64_t gfn)
{
    /* check_get_page_from_gfn(): RAM or a page in the physmap. */
    return gfn_to_host(rd, gfn);
}

/* ---- query_size, setup_table ---- */

/* struct gnttab_query_size is the same in both modes. */
static long query_size(struct hv_call *call, uint64_t uop, uint32_t count)
{
    struct gnttab_query_size op;
    struct domain *d;

    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest(call, &op, uop, sizeof(op)))
        return -XEN_EFAULT;
    d = domain_get_by_any_id(call->v->domain, op.dom);
    if (!d) {
        op.status = GNTST_bad_domain;
    } else if (!domain_may_control(call->v->domain, d)) {
        op.status = GNTST_permission_denied; /* XSM_TARGET */
    } else {
        struct grant_table *gt = d->grant_table;

        pthread_mutex_lock(&gt->lock);
        gt_sync(d, 0); /* only counts frames: cannot fail at want 0 */
        op.nr_frames = gt->nr_frames;
        op.max_nr_frames = gt->max_frames;
        op.status = GNTST_okay;
        pthread_mutex_unlock(&gt->lock);
    }
    if (d)
        domain_put(d);
    return copy_to_guest(call, uop, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

/* The frame list compat_grant_table_op() has room for in its translation
 * area: (2 pages - the native struct) / 8-byte frames. */
#define COMPAT_SETUP_MAX ((2u * 4096u - 24u) / 8u)

static long setup_table(struct hv_call *call, uint64_t uop, uint32_t count)
{
    struct compat_gnttab_setup_table c;
    struct gnttab_setup_table n;
    struct domain *d;
    uint64_t list;
    uint32_t nr;
    int16_t status;

    if (call->compat) {
        /* compat_grant_table_op(): no entry is no work, more than one
         * -EINVAL. */
        if (count == 0)
            return 0;
        if (count > 1)
            return -XEN_EINVAL;
        if (copy_from_guest(call, &c, uop, sizeof(c)))
            return -XEN_EFAULT;
        n.dom = c.dom;
        nr = c.nr_frames;
        list = c.frame_list;
    } else {
        if (count != 1)
            return -XEN_EINVAL;
        if (copy_from_guest(call, &n, uop, sizeof(n)))
            return -XEN_EFAULT;
        nr = n.nr_frames;
        memcpy(&list, &n.frame_list, sizeof(list));
    }
    d = domain_get_by_any_id(call->v->domain, n.dom);
    if (!d) {
        status = GNTST_bad_domain;
    } else if (!domain_may_control(call->v->domain, d)) {
        status = GNTST_permission_denied;
    } else {
        struct grant_table *gt = d->grant_table;

        pthread_mutex_lock(&gt->lock);
        gt_sync(d, 0);
        if (nr > gt->max_frames || (call->compat && nr > COMPAT_SETUP_MAX)) {
            status = GNTST_general_error;
        } else if (gt_sync(d, nr)) {
            status = GNTST_general_error; /* gnttab_grow_table() failed */
        } else {
            hv_call_side_effects(call);
            status = GNTST_okay;
            for (uint32_t i = 0; i < nr; i++) {
                /* The frame's gfn (an invalid M2P entry when unmapped);
                 * pairs with the release stores in memory_op.c. */
                uint64_t gfn = __atomic_load_n(&d->overlays[SLOT_GRANT(i)].gfn,
                                               __ATOMIC_ACQUIRE);
                uint32_t gfn32 = (uint32_t)gfn;
                int bad = call->compat
                              ? copy_to_guest(call, list + 4ull * i, &gfn32, 4)
                              : copy_to_guest(call, list + 8ull * i, &gfn, 8);

                if (bad)
                    status = GNTST_bad_virt_addr;
            }
        }
        pthread_mutex_unlock(&gt->lock);
    }
    if (d)
        domain_put(d);
    if (call->compat) {
        /* The translated struct goes back whole. */
        c.status = status;
        return copy_to_guest(call, uop, &c, sizeof(c)) ? -XEN_EFAULT : 0;
    }
    return copy_to_guest(call,
                         uop + offsetof(struct gnttab_setup_table, status),
                         &status, sizeof(status))
               ? -XEN_EFAULT
               : 0;
}

/* ---- set_version, get_version ---- */

/* gnttab_set_version()'s switch of (d)'s table to (version), the checks
 * after the lock.  Caller holds gt->lock. */
static long switch_version(struct domain *d, unsigned int version)
{
    struct grant_table *gt = d->grant_table;
    grant_entry_v1_t keep[GNTTAB_NR_RESERVED_ENTRIES];
    unsigned int n = gt_nr_entries(gt);

    /* Only the reserved entries may be in use across a switch. */
    for (unsigned int i = GNTTAB_NR_RESERVED_ENTRIES; i < n; i++)
        if (gt_active_of(gt, i)->pin)
            return -XEN_EBUSY;
    if (gt->version == 2) {
        if (gt->nr_v2_ops)
            return -XEN_EAGAIN;
        for (unsigned int i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
            uint8_t *e = (uint8_t *)gt_header(gt, i);
            uint16_t type =
                GT_HDR_FLAGS(hdr_load((uint32_t *)e)) & GTF_type_mask;

            if (type == GTF_transitive ||
                (type == GTF_permit_access && gt_word_load(e + 8) >> 32))
                return -XEN_ERANGE; /* not representable in v1 */
        }
    }
    /* Keep the first entries (the toolstack's) across the switch. */
    for (unsigned int i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
        uint8_t *e = (uint8_t *)gt_header(gt, i);
        uint64_t w = gt_word_load(e);
        uint16_t flags = (uint16_t)w;

        if (gt->version == 1) {
            memcpy(&keep[i], &w, sizeof(w));
        } else if ((flags & GTF_type_mask) == GTF_permit_access) {
            keep[i].flags =
                flags | __atomic_load_n(gt_status(gt, i), __ATOMIC_RELAXED);
            keep[i].domid = GT_HDR_DOMID((uint32_t)w);
            keep[i].frame = (uint32_t)gt_word_load(e + 8);
        } else {
            memset(&keep[i], 0, sizeof(keep[i]));
        }
    }
    if (version == 2 && status_frames_for(gt->nr_frames) > 0) {
        gt->version = 2; /* gt_sync() populates the status frames */
        if (gt_sync(d, 0)) {
            status_free(gt);
            gt->version = 1;
            return -XEN_ENOMEM;
        }
    } else if (version == 1) {
        status_free(gt);
    }
    for (unsigned int i = 0; i < gt->nr_frames; i++)
        for (unsigned int w = 0; w < HV_PAGE_SIZE / 8; w++)
            gt_word_store(gt->shared[i] + 8 * w, 0);
    gt->version = version;
    for (unsigned int i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
        uint8_t *e = (uint8_t *)gt_header(gt, i);
        uint64_t w;

        if (version == 1) {
            memcpy(&w, &keep[i], sizeof(w));
            gt_word_store(e, w);
            continue;
        }
        __atomic_store_n(
            gt_status(gt, i),
            (uint16_t)(keep[i].flags & (GTF_reading | GTF_writing)),
            __ATOMIC_RELAXED);
        w = (uint16_t)(keep[i].flags & ~(GTF_reading | GTF_writing)) |
            (uint64_t)keep[i].domid << 16;
        gt_word_store(e, w);
        gt_word_store(e + 8, keep[i].frame);
    }
    return 0;
}

/* struct gnttab_set_version is one uint32_t in both modes. */
static long set_version(struct hv_call *call, uint64_t uop)
{
    struct domain *d = call->v->domain;
    struct grant_table *gt = d->grant_table;
    uint32_t version;
    long rc;

    if (copy_from_guest(call, &version, uop, sizeof(version)))
        return -XEN_EFAULT;
    pthread_mutex_lock(&gt->lock);
    if (version != 1 && version != 2) {
        rc = -XEN_EINVAL;
    } else if (version == 2 && gt->max_version == 1) {
        rc = -XEN_ENOSYS; /* as before set_version existed */
    } else if (version == gt->version) {
        rc = 0;
    } else {
        hv_call_side_effects(call);
        gt_sync(d, 0);
        rc = switch_version(d, version);
    }
    version = gt->version;
    pthread_mutex_unlock(&gt->lock);
    if (copy_to_guest(call, uop, &version, sizeof(version)))
        rc = -XEN_EFAULT;
    return rc;
}

static long get_version(struct hv_call *call, uint64_t uop)
{
    struct gnttab_get_version op;
    struct domain *d;

    if (copy_from_guest(call, &op, uop, sizeof(op)))
        return -XEN_EFAULT;
    d = domain_get_by_any_id(call->v->domain, op.dom);
    if (!d)
        return -XEN_ESRCH;
    if (!domain_may_control(call->v->domain, d)) {
        domain_put(d);
        return -XEN_EPERM; /* XSM_TARGET */
    }
    pthread_mutex_lock(&d->grant_table->lock);
    op.version = d->grant_table->version;
    pthread_mutex_unlock(&d->grant_table->lock);
    domain_put(d);
    return copy_to_guest(call,
                         uop + offsetof(struct gnttab_get_version, version),
                         &op.version, sizeof(op.version))
               ? -XEN_EFAULT
               : 0;
}

/* ---- the hypercall ---- */

long do_grant_table_op(struct hv_call *call, uint64_t args[5])
{
    /* The handler's cmd and count are unsigned int. */
    uint32_t cmd = (uint32_t)args[0], count = (uint32_t)args[2];
    uint64_t uop = args[1];
    size_t size;
    long rc;

    /* hvm_grant_table_op() matches the whole cmd: continuation bits make
     * any sub-op unknown. */
    switch (cmd) {
    case GNTTABOP_query_size:
    case GNTTABOP_setup_table:
    case GNTTABOP_set_version:
    case GNTTABOP_get_version:
    case GNTTABOP_copy:
    case GNTTABOP_map_grant_ref:
    case GNTTABOP_unmap_grant_ref:
    case GNTTABOP_swap_grant_ref:
        break;
    default:
        return -XEN_ENOSYS;
    }
    if ((int32_t)count < 0)
        return -XEN_EINVAL;
    switch (cmd) {
    case GNTTABOP_query_size:
        return query_size(call, uop, count);
    case GNTTABOP_setup_table:
        return setup_table(call, uop, count);
    case GNTTABOP_set_version:
        return set_version(call, uop);
    case GNTTABOP_get_version:
        return get_version(call, uop);
    case GNTTABOP_copy:
        return gt_copy_op(call, uop, count, args);
    case GNTTABOP_map_grant_ref:
        rc = gt_map_grant_ref(call, uop, count);
        size = sizeof(struct gnttab_map_grant_ref);
        break;
    case GNTTABOP_unmap_grant_ref:
        rc = gt_unmap_grant_ref(call, uop, count);
        size = sizeof(gnttab_unmap_grant_ref_t);
        break;
    default:
        rc = gt_swap_grant_ref(call, uop, count);
        size = sizeof(gnttab_swap_grant_ref_t);
        break;
    }
    if (rc > 0) {
        /* The continuation: the rest of the array. */
        args[1] = uop + (uint64_t)rc * size;
        if (call->compat)
            args[1] = (uint32_t)args[1];
        args[2] = count - (uint32_t)rc;
        return -HV_ERESTART;
    }
    return rc;
}
