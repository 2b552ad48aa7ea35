/*
 * grant_map.c: GNTTABOP_map_grant_ref, unmap_grant_ref and swap_grant_ref
 * for an HVM/PVH domU, as Xen 4.17 (xen/common/grant_table.c:
 * map_grant_ref(), unmap_common(), gnttab_swap_grant_ref()).
 *
 * map_grant_ref runs every check and pin of Xen's up to the point where
 * the foreign frame would enter the caller's physmap, then fails the entry
 * as Xen does when that fails (GNTST_general_error): flat guest RAM has no
 * p2m and the backends can neither unmap nor map read-only
 * (docs/hypercalls.md).  So no mapping ever exists, and every unmap is
 * GNTST_bad_handle.
 */
#include <string.h>

#include "hypercalls.h"
#include "xenemu/compat.h"
#include "xenemu/grant_table.h"

/* ---- swap_grant_ref ---- */

static int16_t swap_one(struct hv_call *call, grant_ref_t a, grant_ref_t b)
{
    struct domain *d = call->v->domain;
    struct grant_table *gt = d->grant_table;
    int16_t rc = GNTST_okay;
    unsigned int words;

    pthread_mutex_lock(&gt->lock);
    gt_sync(d, 0);
    if (a >= gt_nr_entries(gt) || b >= gt_nr_entries(gt)) {
        rc = GNTST_bad_gntref;
    } else if (a == b) {
        rc = GNTST_okay;
    } else if (gt_active_of(gt, a)->pin || gt_active_of(gt, b)->pin) {
        rc = GNTST_eagain; /* a first, then b: the same answer */
    } else {
        uint8_t *ea = (uint8_t *)gt_header(gt, a);
        uint8_t *eb = (uint8_t *)gt_header(gt, b);

        words = gt->version == 1 ? 1 : 2;
        hv_call_side_effects(call);
        for (unsigned int w = 0; w < words; w++) {
            uint64_t t = gt_word_load(ea + 8 * w);

            gt_word_store(ea + 8 * w, gt_word_load(eb + 8 * w));
            gt_word_store(eb + 8 * w, t);
        }
        if (gt->version == 2) {
            uint16_t *sa = gt_status(gt, a), *sb = gt_status(gt, b);
            uint16_t t = __atomic_load_n(sa, __ATOMIC_RELAXED);

            __atomic_store_n(sa, __atomic_load_n(sb, __ATOMIC_RELAXED),
                             __ATOMIC_RELAXED);
            __atomic_store_n(sb, t, __ATOMIC_RELAXED);
        }
    }
    pthread_mutex_unlock(&gt->lock);
    return rc;
}

/* Batch ops return the entries done when preempted (> 0), 0 or -EFAULT. */
long gt_swap_grant_ref(struct hv_call *call, uint64_t uop, uint32_t count)
{
    for (uint32_t i = 0; i < count;
         i++, uop += sizeof(gnttab_swap_grant_ref_t)) {
        gnttab_swap_grant_ref_t op;

        if (i && i % GT_PREEMPT_EVERY == 0)
            return i;
        if (copy_from_guest(call, &op, uop, sizeof(op)))
            return -XEN_EFAULT;
        op.status = swap_one(call, op.ref_a, op.ref_b);
        if (copy_to_guest(call, uop + offsetof(gnttab_swap_grant_ref_t, status),
                          &op.status, sizeof(op.status)))
            return -XEN_EFAULT;
    }
    return 0;
}

/* ---- map_grant_ref, unmap_grant_ref ---- */

static int16_t map_one(struct hv_call *call, struct gnttab_map_grant_ref *op)
{
    struct domain *ld = call->v->domain, *rd;
    bool ro = op->flags & GNTMAP_readonly;
    uint32_t inc = 0;
    struct grant_table *gt;
    struct gt_active *act;
    int16_t rc = GNTST_okay;

    /* map_grant_ref(), in its order. */
    if (op->flags & GNTMAP_device_map)
        inc |= 1; /* a device pin: refused below for HVM */
    if (op->flags & GNTMAP_host_map)
        inc = ro ? GT_PIN_HSTR_INC : GT_PIN_HSTW_INC;
    if (!inc)
        return GNTST_bad_gntref;
    if (op->flags &
        (GNTMAP_device_map | GNTMAP_application_map | GNTMAP_contains_pte))
        return GNTST_general_error;   /* no device mappings for HVM */
    rd = domain_get(ld->hv, op->dom); /* by id: DOMID_SELF is not one */
    if (!rd)
        return GNTST_bad_domain;
    /* XSM_HOOK passes; a maptrack handle is always free (none is kept). */
    gt = rd->grant_table;
    pthread_mutex_lock(&gt->lock);
    gt_sync(rd, 0);
    if (op->ref >= gt_nr_entries(gt)) {
        rc = GNTST_bad_gntref;
        goto unlock;
    }
    act = gt_active_of(gt, op->ref);
    if (act->pin && (act->domid != ld->domid ||
                     (act->pin & GT_PIN_OFLOW(inc)) || act->is_sub_page)) {
        rc = GNTST_general_error;
        goto unlock;
    }
    if (!act->pin || (!ro && !(act->pin & GT_PIN_HSTW_MASK))) {
        rc = (int16_t)gt_set_status(gt, op->ref, act, ro, true, ld->domid);
        if (rc != GNTST_okay)
            goto unlock;
        if (!act->pin) {
            uint8_t *e = (uint8_t *)gt_header(gt, op->ref);
            uint64_t gfn = gt->version == 1 ? (uint32_t)(gt_word_load(e) >> 32)
                                            : gt_word_load(e + 8);
            uint8_t *page = gt_paged_frame(rd, gfn);

            if (!page) {
                rc = GNTST_bad_page;
                gt_reduce_status(gt, op->ref, act, ro);
                goto unlock;
            }
            *act = (struct gt_active){.domid = ld->domid,
                                      .length = GUEST_PAGE_SIZE,
                                      .page = page,
                                      .trans = rd,
                                      .trans_gref = op->ref};
        }
    }
    hv_call_side_effects(call);
    act->pin += inc;
    /*
     * Here Xen enters the frame in the caller's p2m at host_addr
     * (arch/x86/hvm/grant_table.c:create_grant_p2m_mapping()), which is
     * GNTST_general_error when it cannot.  xenemu never can (flat RAM, no
     * unmap or read-only backend mapping; deliberate, docs/hypercalls.md):
     * the pin is undone as in map_grant_ref()'s undo path.
     */
    act->pin -= inc;
    gt_reduce_status(gt, op->ref, act, ro);
    rc = GNTST_general_error;
unlock:
    pthread_mutex_unlock(&gt->lock);
    domain_put(rd);
    return rc;
}

/* struct gnttab_map_grant_ref: the same in both modes, written back whole. */
long gt_map_grant_ref(struct hv_call *call, uint64_t uop, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        struct gnttab_map_grant_ref op;
        uint64_t at = uop + (uint64_t)i * sizeof(op);

        if (i && i % GT_PREEMPT_EVERY == 0)
            return i;
        if (copy_from_guest(call, &op, at, sizeof(op)))
            return -XEN_EFAULT;
        op.status = map_one(call, &op);
        if (copy_to_guest(call, at, &op, sizeof(op)))
            return -XEN_EFAULT;
    }
    return 0;
}

/* Xen unmaps in batches of 32 (GNTTAB_UNMAP_BATCH_SIZE) and may yield
 * after each. */
#define UNMAP_BATCH 32u

long gt_unmap_grant_ref(struct hv_call *call, uint64_t uop, uint32_t count)
{
    uint32_t done = 0;

    while (count) {
        uint32_t c = count < UNMAP_BATCH ? count : UNMAP_BATCH;

        for (uint32_t i = 0; i < c;
             i++, uop += sizeof(gnttab_unmap_grant_ref_t)) {
            gnttab_unmap_grant_ref_t op;

            if (copy_from_guest(call, &op, uop, sizeof(op)))
                return -XEN_EFAULT;
            /* unmap_common(): no handle was ever handed out. */
            op.status = GNTST_bad_handle;
            if (copy_to_guest(call,
                              uop + offsetof(gnttab_unmap_grant_ref_t, status),
                              &op.status, sizeof(op.status)))
                return -XEN_EFAULT;
        }
        count -= c;
        done += c;
        if (count && done % GT_PREEMPT_EVERY == 0)
            return done;
    }
    return 0;
}
