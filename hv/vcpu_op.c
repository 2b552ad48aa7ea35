/*
 * vcpu_op.c: __HYPERVISOR_vcpu_op (cmd, vcpuid, arg), the operations an
 * HVM guest uses, as Xen's do_vcpu_op():
 *
 *   VCPUOP_register_vcpu_info     move a vCPU's vcpu_info into guest RAM
 *                                 (Xen 4.18+ checks and errors)
 *   VCPUOP_initialise             a secondary vCPU's starting state (PVH's
 *                                 struct vcpu_hvm_context)
 *   VCPUOP_up / down / is_up      the vCPU's online state (is_up); up
 *                                 starts a down vCPU through the backend's
 *                                 vcpu_up()
 *   VCPUOP_set/stop_singleshot_timer   the one-shot timer (caller only)
 *   VCPUOP_stop_periodic_timer    accepted: xenemu runs no periodic timer
 *                                 (Linux uses this call to pick the
 *                                 one-shot timer interface)
 *
 * Anything else is -ENOSYS, before the vCPU id is looked at (as Xen's HVM
 * filter of vcpu_op does).
 */
#include <pthread.h>
#include <stddef.h>

#include "evtchn_private.h"
#include "hypercalls.h"
#include "xenemu/sched.h"
#include "xenemu/x86.h"

/* struct vcpu_set_singleshot_timer in compat mode: uint64_t is 4-aligned
 * on i386, so there is no tail padding. */
#define COMPAT_SINGLESHOT_SIZE 12u

/* Guest-shared vcpu_info is copied in 4-byte atomic words: a registered
 * area is only 4-aligned in compat mode. */
#define VCPU_INFO_WORDS (sizeof(struct vcpu_info) / sizeof(uint32_t))
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info layout");
_Static_assert(sizeof(struct vcpu_info_x86_32) == 64, "vcpu_info layout");

static bool is_known(uint32_t cmd)
{
    switch (cmd) {
    case VCPUOP_initialise:
    case VCPUOP_up:
    case VCPUOP_down:
    case VCPUOP_is_up:
    case VCPUOP_stop_periodic_timer:
    case VCPUOP_set_singleshot_timer:
    case VCPUOP_stop_singleshot_timer:
    case VCPUOP_register_vcpu_info:
        return true;
    default:
        return false;
    }
}

/* ---- VCPUOP_register_vcpu_info ---- */

/* Copy vcpu_info (src), or zeros when NULL, into (dst); both may be
 * written by the guest concurrently. */
static void vcpu_info_copy(void *dst, const void *src)
{
    uint32_t *to = dst;
    const uint32_t *from = src;

    for (size_t i = 0; i < VCPU_INFO_WORDS; i++)
        __atomic_store_n(&to[i],
                         from ? __atomic_load_n(&from[i], __ATOMIC_RELAXED) : 0,
                         __ATOMIC_RELAXED);
}

/* Every selector bit set, in the domain's layout, so that the guest
 * rescans all pending words (spurious events are expected). */
static void select_all(const struct domain *d, uint8_t *info)
{
    if (__atomic_load_n(&d->shinfo_compat, __ATOMIC_RELAXED)) {
        uint32_t *sel = (uint32_t *)(info + offsetof(struct vcpu_info_x86_32,
                                                     evtchn_pending_sel));
        __atomic_store_n(sel, UINT32_MAX, __ATOMIC_SEQ_CST);
    } else {
        uint64_t *sel =
            (uint64_t *)(info + offsetof(struct vcpu_info, evtchn_pending_sel));
        __atomic_store_n(sel, UINT64_MAX, __ATOMIC_SEQ_CST);
    }
}

/* Where the new area goes: its host address, or a negative Xen errno. */
static int area_check(struct vcpu *v, uint64_t gaddr, uint8_t **out)
{
    struct domain *d = v->domain;
    unsigned int align =
        __atomic_load_n(&d->shinfo_compat, __ATOMIC_RELAXED) ? 4 : 8;
    uint64_t offset = gaddr & (GUEST_PAGE_SIZE - 1);
    uint8_t *page;

    if (v->vcpu_info_registered)
        return -XEN_EBUSY; /* once per vCPU */
    if (offset + sizeof(struct vcpu_info) > GUEST_PAGE_SIZE)
        return -XEN_ENXIO; /* must not cross a page */
    if (gaddr & (align - 1))
        return -XEN_ENXIO; /* xen_ulong_t aligned */
    page = gfn_to_host(d, gaddr >> GUEST_PAGE_SHIFT);
    if (!page)
        return -XEN_EINVAL; /* not guest RAM */
    *out = page + offset;
    return 0;
}

/*
 * Switch (v) to (area).  Caller holds d->event_lock; abi_lock (write)
 * keeps out the other domains' raises (they hold it for reading), so no
 * event lands in the old area after it is copied.
 */
static void area_switch(struct vcpu *v, uint8_t *area)
{
    struct domain *d = v->domain;
    void *old = v->vcpu_info;

    pthread_rwlock_wrlock(&d->abi_lock);
    if (v->dummy_vcpu_info && old == v->dummy_vcpu_info) {
        /* Nothing the guest could see yet: start clean, masked (Xen). */
        vcpu_info_copy(area, NULL);
        __atomic_store_n(area + offsetof(struct vcpu_info, evtchn_upcall_mask),
                         1, __ATOMIC_RELAXED);
    } else {
        vcpu_info_copy(area, old);
    }
    select_all(d, area);
    /* Publish the filled area: pairs with the acquire load in
     * vcpu_info_of(). */
    __atomic_store_n(&v->vcpu_info, (void *)area, __ATOMIC_RELEASE);
    pthread_rwlock_unlock(&d->abi_lock);
    v->vcpu_info_registered = true;
}

static long register_vcpu_info(struct hv_call *call, struct vcpu *v,
                               uint64_t arg)
{
    struct domain *d = v->domain;
    struct vcpu_register_vcpu_info info;
    uint64_t gaddr;
    uint8_t *area;
    int rc;

    if (copy_from_guest(call, &info, arg, sizeof(info)))
        return -XEN_EFAULT;
    /* The frame and offset must name one address: no carry out of the
     * offset, no overflow, not the all-ones "unmap" address. */
    gaddr = (info.mfn << GUEST_PAGE_SHIFT) + info.offset;
    if (gaddr == UINT64_MAX || gaddr >> GUEST_PAGE_SHIFT != info.mfn)
        return -XEN_EINVAL;
    pthread_mutex_lock(&d->event_lock);
    rc = area_check(v, gaddr, &area);
    if (rc == 0) {
        area_switch(v, area);
        hv_call_side_effects(call);
        vcpu_mark_events_pending(v); /* rescan, as Xen does */
    }
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

/* ---- online state ---- */

/* Xen's checks of a VCPU_HVM_MODE_64B context: long mode with paging. */
static bool hvm_ctx_valid(const struct vcpu_hvm_context *ctx)
{
    const struct vcpu_hvm_x86_64 *r = &ctx->cpu_regs.x86_64;

    if (ctx->pad)
        return false;
    if (ctx->mode == VCPU_HVM_MODE_32B)
        return true;
    if (ctx->mode != VCPU_HVM_MODE_64B)
        return false;
    return (r->cr0 & X86_CR0_PE) && (r->cr0 & X86_CR0_PG) &&
           (r->cr4 & X86_CR4_PAE) && (r->efer & EFER_LME);
}

/*
 * VCPUOP_initialise on an HVM vCPU: -EFAULT for an unreadable context,
 * -EEXIST once the vCPU is initialised (vCPU 0 from creation), -EINVAL for
 * a context Xen would refuse.
 */
static long vcpu_initialise(struct hv_call *call, struct vcpu *v, uint64_t arg)
{
    struct domain *d = v->domain;
    struct vcpu_hvm_context ctx;
    long rc = 0;

    if (copy_from_guest(call, &ctx, arg, sizeof(ctx)))
        return -XEN_EFAULT;
    pthread_mutex_lock(&d->event_lock);
    if (v->initialised) {
        rc = -XEN_EEXIST;
    } else if (!hvm_ctx_valid(&ctx)) {
        rc = -XEN_EINVAL;
    } else {
        v->hvm_ctx = ctx;
        /* Pairs with the acquire load in vcpu_up(): a vCPU seen
         * initialised has its context. */
        __atomic_store_n(&v->initialised, true, __ATOMIC_RELEASE);
        hv_call_side_effects(call);
    }
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

/* VCPUOP_up: -EINVAL before VCPUOP_initialise; starting an up vCPU does
 * nothing. */
static long vcpu_up(struct hv_call *call, struct vcpu *v)
{
    const struct hv_backend_ops *be = v->domain->hv->backend;

    if (!__atomic_load_n(&v->initialised, __ATOMIC_ACQUIRE))
        return -XEN_EINVAL;
    /* One caller wins the down->up transition and starts the vCPU. */
    if (__atomic_exchange_n(&v->is_up, true, __ATOMIC_ACQ_REL))
        return 0;
    hv_call_side_effects(call);
    if (be && be->vcpu_up)
        be->vcpu_up(v);
    return 0;
}

static bool other_vcpu_up(const struct domain *d, const struct vcpu *v)
{
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpus[i] != v &&
            __atomic_load_n(&d->vcpus[i]->is_up, __ATOMIC_RELAXED))
            return true;
    return false;
}

/* Taking the last vCPU down powers the domain off instead (Xen). */
static long vcpu_down(struct hv_call *call, struct vcpu *v)
{
    if (!other_vcpu_up(v->domain, v))
        sched_domain_shutdown(v->domain, SHUTDOWN_poweroff);
    else
        __atomic_store_n(&v->is_up, false, __ATOMIC_RELAXED);
    hv_call_side_effects(call);
    return 0;
}

/* ---- one-shot timer ---- */

static long singleshot_set(struct hv_call *call, struct vcpu *v, uint64_t arg)
{
    struct vcpu_set_singleshot_timer t = {0};
    size_t size = call->compat ? COMPAT_SINGLESHOT_SIZE : sizeof(t);

    if (v != call->v)
        return -XEN_EINVAL; /* a vCPU sets only its own timer */
    if (copy_from_guest(call, &t, arg, size))
        return -XEN_EFAULT;
    /* Xen up to 4.17 honoured VCPU_SSHOTTMR_future; 4.18 ignores it. */
    if (v->domain->xen_version < XENEMU_VERSION(4, 18) &&
        (t.flags & VCPU_SSHOTTMR_future) &&
        t.timeout_abs_ns < hv_now_ns(v->domain->hv))
        return -XEN_ETIME;
    vcpu_timer_set(v, t.timeout_abs_ns);
    hv_call_side_effects(call);
    return 0;
}

static long singleshot_stop(struct hv_call *call, struct vcpu *v)
{
    if (v != call->v)
        return -XEN_EINVAL;
    vcpu_timer_set(v, 0);
    hv_call_side_effects(call);
    return 0;
}

long do_vcpu_op(struct hv_call *call, uint64_t args[5])
{
    uint32_t cmd = (uint32_t)args[0];
    struct vcpu *v;

    if (!is_known(cmd))
        return -XEN_ENOSYS;
    v = domain_vcpu(call->v->domain, (uint32_t)args[1]);
    if (!v)
        return -XEN_ENOENT;
    switch (cmd) {
    case VCPUOP_initialise:
        return vcpu_initialise(call, v, args[2]);
    case VCPUOP_up:
        return vcpu_up(call, v);
    case VCPUOP_down:
        return vcpu_down(call, v);
    case VCPUOP_is_up:
        return __atomic_load_n(&v->is_up, __ATOMIC_RELAXED) ? 1 : 0;
    case VCPUOP_stop_periodic_timer:
        return 0;
    case VCPUOP_set_singleshot_timer:
        return singleshot_set(call, v, args[2]);
    case VCPUOP_stop_singleshot_timer:
        return singleshot_stop(call, v);
    default: /* VCPUOP_register_vcpu_info */
        return register_vcpu_info(call, v, args[2]);
    }
}
