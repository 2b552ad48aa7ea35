/*
 * grant_copy.c: GNTTABOP_copy as Xen 4.17 does it (common/grant_table.c:
 * gnttab_copy() and its helpers acquire_grant_for_copy(),
 * release_grant_for_copy(), gnttab_copy_one(); common/compat/
 * grant_table.c for the 32-bit layout): each entry copies up to a page
 * between a frame of the caller (DOMID_SELF) or a grant of another domain
 * and another such place.  A granted frame is pinned for the copy, with
 * GTF_reading (and GTF_writing for a destination) in the granter's entry
 * until it is released; consecutive entries that name the same source or
 * destination keep it pinned, as in Xen.  Guest RAM is flat, so a frame is
 * gfn_to_host() of its owner.
 */
#include <string.h>

#include "hypercalls.h"
#include "xenemu/compat.h"
#include "xenemu/grant_table.h"

/* Xen's ERESTART from acquire_grant_for_copy(): the grant changed while
 * its lock was dropped; the whole call is continued. */
#define COPY_RETRY 1

/* One entry, widened from either layout.  (u) is the ref / gmfn union as
 * 64 bits: a ref is its low half. */
struct copy_op {
    uint64_t src_u, dst_u;
    domid_t src_dom, dst_dom;
    uint16_t src_off, dst_off;
    uint16_t len, flags;
    int16_t status;
};

/* A source or destination held across entries (Xen's gnttab_copy_buf). */
struct copy_buf {
    domid_t domid;     /* as the guest named it (DOMID_SELF stays) */
    struct domain *d;  /* a reference, or NULL */
    uint64_t u;        /* the ref / gmfn union it was claimed for */
    uint8_t *virt;     /* the frame, NULL when not claimed */
    uint16_t off, len; /* the usable range */
    bool ro, have_grant;
};

static int acquire(struct domain *rd, grant_ref_t gref, domid_t ldom, bool ro,
                   uint8_t **page, uint16_t *off, uint16_t *len,
                   bool allow_trans);

/* release_grant_for_copy(). */
static void release(struct domain *rd, grant_ref_t gref, bool ro)
{
    struct grant_table *gt = rd->grant_table;
    struct gt_active *act;
    struct domain *td = rd;
    grant_ref_t tref = gref;

    pthread_mutex_lock(&gt->lock);
    act = gt_active_of(gt, gref);
    if (gt->version == 2) {
        td = act->trans;
        tref = act->trans_gref;
    }
    act->pin -= ro ? GT_PIN_HSTR_INC : GT_PIN_HSTW_INC;
    /* gnttab_mark_dirty(): no log-dirty mode here. */
    gt_reduce_status(gt, gref, act, ro);
    if (!act->pin && act->is_sub_page)
        gt->nr_v2_ops--;
    pthread_mutex_unlock(&gt->lock);
    if (td != rd) {
        /* One level at most: the inner grant is never transitive. */
        release(td, tref, ro);
        domain_put(td); /* the reference its acquire took */
    }
}

/* A transitive v2 grant (ref) of (rd): acquire the grant it names, with
 * rd's lock dropped meanwhile, as acquire_grant_for_copy() does.  Entered
 * and left with gt->lock held. */
static int acquire_transitive(struct domain *rd, grant_ref_t ref, domid_t ldom,
                              bool ro, uint32_t old_pin, bool allow_trans)
{
    struct grant_table *gt = rd->grant_table;
    uint8_t *e = (uint8_t *)gt_header(gt, ref), *page;
    struct gt_active *act = gt_active_of(gt, ref);
    uint16_t off, len;
    struct domain *td;
    grant_ref_t tref;
    domid_t tdom;
    int rc;

    if ((!old_pin || (!ro && !(old_pin & GT_PIN_HSTW_MASK))) &&
        (rc = gt_set_status(gt, ref, act, ro, false, ldom)) != GNTST_okay)
        return rc;
    /* The guest's fields, each loaded once. */
    tdom = __atomic_load_n((uint16_t *)(e + 4), __ATOMIC_RELAXED);
    tref = __atomic_load_n((uint32_t *)(e + 8), __ATOMIC_RELAXED);
    if (!allow_trans || tdom == rd->domid || !(td = domain_get(rd->hv, tdom))) {
        gt_reduce_status(gt, ref, act, ro);
        return GNTST_general_error;
    }
    gt->nr_v2_ops++;
    pthread_mutex_unlock(&gt->lock);
    rc = acquire(td, tref, rd->domid, ro, &page, &off, &len, false);
    pthread_mutex_lock(&gt->lock);
    if (rc != GNTST_okay) {
        gt->nr_v2_ops--;
        domain_put(td);
        gt_reduce_status(gt, ref, act, ro);
        return rc;
    }
    if (gt->version != 2 || act->pin != old_pin ||
        (old_pin &&
         (act->domid != ldom || act->page != page || act->start != off ||
          act->length != len || act->trans != td || act->trans_gref != tref ||
          !act->is_sub_page))) {
        /* Changed while unlocked: undo, and retry the call. */
        pthread_mutex_unlock(&gt->lock);
        release(td, tref, ro);
        domain_put(td);
        pthread_mutex_lock(&gt->lock);
        gt->nr_v2_ops--;
        gt_reduce_status(gt, ref, act, ro);
        return COPY_RETRY;
    }
    if (!old_pin)
        /* Always a sub-page: that keeps it from being mapped. */
        *act = (struct gt_active){.domid = ldom,
                                  .start = off,
                                  .length = len,
                                  .is_sub_page = true,
                                  .page = page,
                                  .trans = td,
                                  .trans_gref = tref};
    else
        gt->nr_v2_ops--;
    return GNTST_okay;
}

/* The first pin of a permit_access grant (or the first write pin).
 * Caller holds gt->lock. */
static int acquire_direct(struct domain *rd, grant_ref_t ref, domid_t ldom,
                          bool ro)
{
    struct grant_table *gt = rd->grant_table;
    struct gt_active *act = gt_active_of(gt, ref);
    uint8_t *e = (uint8_t *)gt_header(gt, ref), *page;
    uint16_t off = 0, len = GUEST_PAGE_SIZE;
    bool sub = false;
    uint64_t gfn;
    int rc;

    rc = gt_set_status(gt, ref, act, ro, false, ldom);
    if (rc != GNTST_okay)
        return rc;
    if (gt->version == 1) {
        gfn = __atomic_load_n((uint32_t *)(e + 4), __ATOMIC_RELAXED);
    } else {
        uint64_t w0 = __atomic_load_n((uint64_t *)e, __ATOMIC_RELAXED);

        gfn = __atomic_load_n((uint64_t *)(e + 8), __ATOMIC_RELAXED);
        if (GT_HDR_FLAGS(w0) & GTF_sub_page) {
            sub = true;
            /* Xen keeps the start in 15 bits: the top bit is lost. */
            off = (uint16_t)(w0 >> 32) & 0x7fffu;
            len = (uint16_t)(w0 >> 48);
        }
    }
    page = gt_paged_frame(rd, gfn);
    if (!page) {
        gt_reduce_status(gt, ref, act, ro);
        return GNTST_bad_page;
    }
    if (!act->pin) {
        *act = (struct gt_active){.domid = ldom,
                                  .start = off,
                                  .length = len,
                                  .is_sub_page = sub,
                                  .page = page,
                                  .trans = rd,
                                  .trans_gref = ref};
        if (sub)
            gt->nr_v2_ops++;
    } else if (act->page != page || act->trans != rd ||
               act->trans_gref != ref ||
               (act->is_sub_page &&
                (!sub || act->start != off || act->length != len))) {
        gt_reduce_status(gt, ref, act, ro);
        return GNTST_general_error;
    }
    return GNTST_okay;
}

/* acquire_grant_for_copy(): pin grant (ref) of (rd) for domain (ldom). */
static int acquire(struct domain *rd, grant_ref_t ref, domid_t ldom, bool ro,
                   uint8_t **page, uint16_t *off, uint16_t *len,
                   bool allow_trans)
{
    struct grant_table *gt = rd->grant_table;
    uint32_t inc = ro ? GT_PIN_HSTR_INC : GT_PIN_HSTW_INC, old_pin;
    struct gt_active *act;
    int rc = GNTST_okay;

    pthread_mutex_lock(&gt->lock);
    gt_sync(rd, 0);
    if (ref >= gt_nr_entries(gt)) {
        rc = GNTST_bad_gntref;
        goto out;
    }
    act = gt_active_of(gt, ref);
    if (act->pin && (act->domid != ldom || (act->pin & GT_PIN_OFLOW(inc)))) {
        rc = GNTST_general_error;
        goto out;
    }
    old_pin = act->pin;
    if (gt->version == 2 &&
        (GT_HDR_FLAGS(__atomic_load_n(gt_header(gt, ref), __ATOMIC_RELAXED)) &
         GTF_type_mask) == GTF_transitive)
        rc = acquire_transitive(rd, ref, ldom, ro, old_pin, allow_trans);
    else if (!old_pin || (!ro && !(old_pin & GT_PIN_HSTW_MASK)))
        rc = acquire_direct(rd, ref, ldom, ro);
    else if (__atomic_load_n(&rd->is_dying, __ATOMIC_ACQUIRE)) {
        /* Pinned already: the owner must still be alive. */
        gt_reduce_status(gt, ref, act, ro);
        rc = GNTST_bad_domain;
    }
    if (rc != GNTST_okay)
        goto out;
    act->pin += inc;
    *page = act->page;
    *off = act->start;
    *len = act->length;
out:
    pthread_mutex_unlock(&gt->lock);
    return rc;
}

static void buf_release(struct copy_buf *b)
{
    if (b->have_grant)
        release(b->d, (grant_ref_t)b->u, b->ro);
    b->have_grant = false;
    b->virt = NULL;
}

static void bufs_unlock(struct copy_buf *src, struct copy_buf *dst)
{
    if (src->d)
        domain_put(src->d);
    if (dst->d)
        domain_put(dst->d);
    src->d = dst->d = NULL;
}

/* gnttab_copy_lock_domain(): a frame only of DOMID_SELF. */
static int buf_lock(struct hv_call *call, domid_t domid, bool is_gref,
                    struct copy_buf *b)
{
    if (domid != DOMID_SELF && !is_gref)
        return GNTST_permission_denied;
    b->d = domain_get_by_any_id(call->v->domain, domid);
    if (!b->d)
        return GNTST_bad_domain;
    b->domid = domid;
    return GNTST_okay;
}

/* gnttab_copy_claim_buf(). */
static int buf_claim(struct hv_call *call, const struct copy_op *op,
                     bool source, struct copy_buf *b)
{
    unsigned int gref_flag = source ? GNTCOPY_source_gref : GNTCOPY_dest_gref;
    uint64_t u = source ? op->src_u : op->dst_u;

    b->ro = source;
    if (op->flags & gref_flag) {
        int rc = acquire(b->d, (grant_ref_t)u, call->v->domain->domid, b->ro,
                         &b->virt, &b->off, &b->len, true);

        if (rc != GNTST_okay) {
            b->virt = NULL;
            return rc;
        }
        /* Only the ref half of the union is replaced, as in Xen. */
        b->u = (b->u & ~0xffffffffull) | (uint32_t)u;
        b->have_grant = true;
    } else {
        b->virt = gt_paged_frame(b->d, u);
        if (!b->virt)
            return GNTST_bad_page;
        b->u = u;
        b->off = 0;
        b->len = GUEST_PAGE_SIZE;
    }
    /* get_page_type(PGT_writable_page) holds for every RAM frame. */
    return GNTST_okay;
}

/* gnttab_copy_buf_valid(). */
static bool buf_valid(uint64_t u, const struct copy_buf *b, bool gref)
{
    if (!b->virt)
        return false;
    if (gref)
        return b->have_grant && (uint32_t)u == (uint32_t)b->u;
    return u == b->u;
}

/* gnttab_copy_one() with gnttab_copy_buf(). */
static int copy_one(struct hv_call *call, const struct copy_op *op,
                    struct copy_buf *dst, struct copy_buf *src)
{
    int rc;

    if (!src->d || op->src_dom != src->domid || !dst->d ||
        op->dst_dom != dst->domid) {
        buf_release(src);
        buf_release(dst);
        bufs_unlock(src, dst);
        rc = buf_lock(call, op->src_dom, op->flags & GNTCOPY_source_gref, src);
        if (rc == GNTST_okay)
            rc =
                buf_lock(call, op->dst_dom, op->flags & GNTCOPY_dest_gref, dst);
        /* xsm_grant_copy() is XSM_HOOK: allowed. */
        if (rc != GNTST_okay) {
            bufs_unlock(src, dst);
            return rc;
        }
    }
    if (!buf_valid(op->src_u, src, op->flags & GNTCOPY_source_gref)) {
        buf_release(src);
        if ((rc = buf_claim(call, op, true, src)) != GNTST_okay)
            return rc;
    }
    if (!buf_valid(op->dst_u, dst, op->flags & GNTCOPY_dest_gref)) {
        buf_release(dst);
        if ((rc = buf_claim(call, op, false, dst)) != GNTST_okay)
            return rc;
    }
    if (op->src_off + op->len > GUEST_PAGE_SIZE ||
        op->dst_off + op->len > GUEST_PAGE_SIZE)
        return GNTST_bad_copy_arg;
    if (op->src_off < src->off || op->src_off + op->len > src->off + src->len)
        return GNTST_general_error; /* outside the granted range */
    if (op->dst_off < dst->off || op->dst_off + op->len > dst->off + dst->len)
        return GNTST_general_error;
    hv_call_side_effects(call);
    /* memmove: source and destination may be the same frame. */
    memmove(dst->virt + op->dst_off, src->virt + op->src_off, op->len);
    return GNTST_okay;
}

static void from_native(struct copy_op *op, const struct gnttab_copy *n)
{
    memcpy(&op->src_u, &n->source.u, sizeof(op->src_u));
    memcpy(&op->dst_u, &n->dest.u, sizeof(op->dst_u));
    op->src_dom = n->source.domid;
    op->dst_dom = n->dest.domid;
    op->src_off = n->source.offset;
    op->dst_off = n->dest.offset;
    op->len = n->len;
    op->flags = n->flags;
}

/*
 * gnttab_copy(): (count) entries from (batch) (compat, translated
 * already; statuses left there) or read one by one at (uop) (native).
 * 0, -EFAULT, or the entries left when preempted (or retried).
 */
static long copy_run(struct hv_call *call, uint64_t uop, struct copy_op *batch,
                     uint32_t count)
{
    struct copy_buf src = {0}, dst = {0};
    long rc = 0;

    for (uint32_t i = 0; i < count; i++) {
        struct gnttab_copy n;
        struct copy_op op;
        int st;

        if (i && i % GT_PREEMPT_EVERY == 0) {
            rc = count - i;
            break;
        }
        if (batch) {
            op = batch[i];
        } else if (copy_from_guest(call, &n, uop + (uint64_t)i * sizeof(n),
                                   sizeof(n))) {
            rc = -XEN_EFAULT;
            break;
        } else {
            from_native(&op, &n);
        }
        st = copy_one(call, &op, &dst, &src);
        if (st > 0) {
            rc = count - i;
            break;
        }
        if (st != GNTST_okay) {
            buf_release(&src);
            buf_release(&dst);
        }
        if (batch) {
            batch[i].status = (int16_t)st;
        } else {
            int16_t s = (int16_t)st;

            if (copy_to_guest(call,
                              uop + (uint64_t)i * sizeof(n) +
                                  offsetof(struct gnttab_copy, status),
                              &s, sizeof(s))) {
                rc = -XEN_EFAULT;
                break;
            }
        }
    }
    buf_release(&src);
    buf_release(&dst);
    bufs_unlock(&src, &dst);
    return rc;
}

/* What compat_grant_table_op() translates at a time: its 2-page area
 * holds this many native entries. */
#define COMPAT_COPY_BATCH ((2u * 4096u) / sizeof(struct gnttab_copy))

/* compat_grant_table_op()'s GNTTABOP_copy: read a batch, run it, write
 * its statuses back.  0, -EFAULT, or > 0: the entries done, preempted. */
static long copy_compat(struct hv_call *call, uint64_t uop, uint32_t count,
                        uint32_t *done)
{
    struct copy_op batch[COMPAT_COPY_BATCH];
    uint32_t i = 0;
    long rc = 0;

    while (i < count && rc == 0) {
        uint32_t n = 0;

        for (; n < COMPAT_COPY_BATCH && i < count && rc == 0; i++, n++) {
            struct compat_gnttab_copy c;

            if (copy_from_guest(call, &c, uop + (uint64_t)i * sizeof(c),
                                sizeof(c))) {
                rc = -XEN_EFAULT;
                break;
            }
            batch[n] = (struct copy_op){.src_u = c.source.u,
                                        .dst_u = c.dest.u,
                                        .src_dom = c.source.domid,
                                        .dst_dom = c.dest.domid,
                                        .src_off = c.source.offset,
                                        .dst_off = c.dest.offset,
                                        .len = c.len,
                                        .flags = c.flags};
        }
        if (rc)
            break; /* none of this batch was run */
        rc = copy_run(call, 0, batch, n);
        if (rc > 0) {
            i -= (uint32_t)rc;
            n -= (uint32_t)rc;
        }
        for (uint32_t k = 0; k < n; k++) {
            if (copy_to_guest(call,
                              uop +
                                  (uint64_t)(i - n + k) *
                                      sizeof(struct compat_gnttab_copy) +
                                  offsetof(struct compat_gnttab_copy, status),
                              &batch[k].status, sizeof(batch[k].status)))
                rc = -XEN_EFAULT;
        }
    }
    *done = i;
    return rc;
}

long gt_copy_op(struct hv_call *call, uint64_t uop, uint32_t count,
                uint64_t args[5])
{
    uint32_t done;
    long rc;

    if (call->compat) {
        rc = copy_compat(call, uop, count, &done);
        if (rc <= 0)
            return rc;
        args[1] = (uint32_t)(uop + (uint64_t)done *
                                       sizeof(struct compat_gnttab_copy));
    } else {
        rc = copy_run(call, uop, NULL, count);
        if (rc <= 0)
            return rc;
        done = count - (uint32_t)rc;
        args[1] = uop + (uint64_t)done * sizeof(struct gnttab_copy);
    }
    /* The continuation: the rest of the array. */
    args[2] = count - done;
    return -HV_ERESTART;
}
