/*
 * vcpu_op.c: __HYPERVISOR_vcpu_op (cmd, vcpuid, arg), as Xen 4.17 answers
 * an HVM guest (xen/arch/x86/domain.c:do_vcpu_op(),
 * xen/arch/x86/x86_64/domain.c:compat_vcpu_op(),
 * xen/common/domain.c:common_vcpu_op()).
 *
 * The vCPU id is checked first, for every command (-ENOENT); then an
 * unknown command is -ENOSYS.  4.17 has no HVM filter of vcpu_op (it went
 * in 4.7), so every command 0 to 13 is implemented:
 *
 *   initialise, up, down, is_up     a vCPU's starting state and online
 *                                   state (this file)
 *   get_runstate_info, register_runstate_memory_area,
 *   register_vcpu_time_memory_area  hv/runstate.c
 *   set/stop_periodic_timer, set/stop_singleshot_timer   the timers
 *                                   (this file; firing in hv/sched.c)
 *   register_vcpu_info              hv/vcpu_info.c
 *   send_nmi, get_physid            this file
 */
#include <pthread.h>
#include <stddef.h>

#include "vcpu_op.h"
#include "xenemu/compat.h"
#include "xenemu/runstate.h"
#include "xenemu/sched.h"
#include "xenemu/x86.h"

/* ---- online state ---- */

/* Is (rip) canonical for 48-bit virtual addresses? */
static bool canonical(uint64_t rip)
{
    return (uint64_t)((int64_t)(rip << 16) >> 16) == rip;
}

/*
 * Xen 4.17's checks of a VCPU_HVM_MODE_64B context
 * (xen/arch/x86/hvm/domain.c:arch_set_info_hvm_guest()): a canonical RIP,
 * CR0.PG, CR4.PAE and EFER.LME (CR0.PE is not checked; Xen sets LMA
 * itself).  32-bit contexts are taken as they are (the segment checks of
 * that function are not made: a deliberate difference, docs/hypercalls.md).
 */
static bool hvm_ctx_valid(const struct vcpu_hvm_context *ctx)
{
    const struct vcpu_hvm_x86_64 *r = &ctx->cpu_regs.x86_64;

    if (ctx->pad)
        return false;
    if (ctx->mode == VCPU_HVM_MODE_32B)
        return true;
    if (ctx->mode != VCPU_HVM_MODE_64B)
        return false;
    return canonical(r->rip) && (r->cr0 & X86_CR0_PG) &&
           (r->cr4 & X86_CR4_PAE) && (r->efer & EFER_LME);
}

/*
 * VCPUOP_initialise (xen/common/domain.c:common_vcpu_op()): up to 4.18, a
 * vCPU still on the dummy vcpu_info (id 32 and up, not registered) is
 * -EINVAL before anything is read (4.19 dropped that for HVM); then
 * -EFAULT for an unreadable context, -EEXIST once initialised (vCPU 0 from
 * creation), -EINVAL for a context Xen refuses.
 */
static long vcpu_initialise(struct hv_call *call, struct vcpu *v, uint64_t arg)
{
    struct domain *d = v->domain;
    struct vcpu_hvm_context ctx;
    long rc = 0;

    if (d->xen_version < XENEMU_VERSION(4, 19) && v->dummy_vcpu_info &&
        vcpu_info_of(v) == v->dummy_vcpu_info)
        return -XEN_EINVAL;
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
    runstate_change(v, RUNSTATE_running);
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
    if (!other_vcpu_up(v->domain, v)) {
        sched_domain_shutdown(v->domain, SHUTDOWN_poweroff);
    } else {
        __atomic_store_n(&v->is_up, false, __ATOMIC_RELAXED);
        runstate_change(v, RUNSTATE_offline);
    }
    hv_call_side_effects(call);
    return 0;
}

/* ---- timers ---- */

/*
 * VCPUOP_set_singleshot_timer (xen/common/domain.c:common_vcpu_op()): only
 * on the caller (-EINVAL), checked after the copy in compat mode and before
 * it otherwise (xen/common/compat/domain.c reads the argument first).  A
 * past deadline, 0 included, fires at once.  VCPU_SSHOTTMR_future with a
 * past deadline is -ETIME before 4.17 (4.17.3 and later ignore the flag,
 * commit 7b5155a79e; xenemu's 4.17 is the branch's last release).
 */
static long singleshot_set(struct hv_call *call, struct vcpu *v, uint64_t arg)
{
    struct vcpu_set_singleshot_timer t = {0};
    uint64_t now = hv_now_ns(v->domain->hv);

    if (!call->compat && v != call->v)
        return -XEN_EINVAL;
    if (copy_from_guest(call, &t, arg,
                        call->compat ? COMPAT_SINGLESHOT_SIZE : sizeof(t)))
        return -XEN_EFAULT;
    if (v != call->v)
        return -XEN_EINVAL;
    if (v->domain->xen_version < XENEMU_VERSION(4, 17) &&
        (t.flags & VCPU_SSHOTTMR_future) && t.timeout_abs_ns < now)
        return -XEN_ETIME;
    /* vcpu_timer_set() takes 0 as "stop": a deadline of 0 is in the past
     * and fires now. */
    vcpu_timer_set(v, t.timeout_abs_ns ? t.timeout_abs_ns : 1);
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

/* Xen's MILLISECS(1) and STIME_DELTA_MAX: the periodic timer's bounds. */
#define PERIOD_MIN_NS 1000000ull
#define PERIOD_MAX_NS ((1ull << 62) - 1)

/* VCPUOP_set_periodic_timer (xen/common/domain.c:common_vcpu_op()): any
 * vCPU of the caller's domain; a period under 1 ms or above
 * STIME_DELTA_MAX is -EINVAL (not clamped). */
static long periodic_set(struct hv_call *call, struct vcpu *v, uint64_t arg)
{
    struct vcpu_set_periodic_timer t;

    if (copy_from_guest(call, &t, arg, sizeof(t)))
        return -XEN_EFAULT;
    if (t.period_ns < PERIOD_MIN_NS || t.period_ns > PERIOD_MAX_NS)
        return -XEN_EINVAL;
    vcpu_periodic_set(v, t.period_ns);
    hv_call_side_effects(call);
    return 0;
}

/* ---- NMIs and physical ids ---- */

/* VCPUOP_send_nmi (xen/arch/x86/domain.c:do_vcpu_op()): no argument
 * (-EINVAL otherwise); an NMI already pending absorbs the new one; any
 * vCPU, even a down one.  The backend delivers it when the vCPU next
 * enters the guest. */
static long send_nmi(struct hv_call *call, struct vcpu *v, uint64_t arg)
{
    const struct hv_backend_ops *be = v->domain->hv->backend;

    if (arg)
        return -XEN_EINVAL;
    hv_call_side_effects(call);
    /* Pairs with the exchange of the backend that delivers it. */
    if (!__atomic_exchange_n(&v->nmi_pending, true, __ATOMIC_ACQ_REL) && be &&
        be->kick)
        be->kick(v);
    return 0;
}

long do_vcpu_op(struct hv_call *call, uint64_t args[5])
{
    uint32_t cmd = (uint32_t)args[0];
    struct vcpu *v = domain_vcpu(call->v->domain, (uint32_t)args[1]);

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
    case VCPUOP_get_runstate_info:
        return vcpuop_get_runstate_info(call, v, args[2]);
    case VCPUOP_register_runstate_memory_area:
        return vcpuop_register_runstate_area(call, v, args[2]);
    case VCPUOP_set_periodic_timer:
        return periodic_set(call, v, args[2]);
    case VCPUOP_stop_periodic_timer:
        vcpu_periodic_set(v, 0);
        hv_call_side_effects(call);
        return 0;
    case VCPUOP_set_singleshot_timer:
        return singleshot_set(call, v, args[2]);
    case VCPUOP_stop_singleshot_timer:
        return singleshot_stop(call, v);
    case VCPUOP_register_vcpu_info:
        return vcpuop_register_vcpu_info(call, v, args[2]);
    case VCPUOP_send_nmi:
        return send_nmi(call, v, args[2]);
    case VCPUOP_get_physid:
        /* Only the hardware domain's vCPUs pinned to one physical CPU have
         * one (is_hwdom_pinned_vcpu()); xenemu pins none. */
        return -XEN_EINVAL;
    case VCPUOP_register_vcpu_time_memory_area:
        return vcpuop_register_time_area(call, v, args[2]);
    default:
        return -XEN_ENOSYS;
    }
}
