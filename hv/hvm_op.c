/*
 * hvm_op.c: __HYPERVISOR_hvm_op as Xen 4.17's do_hvm_op() answers an
 * HVM/PVH guest: HVM parameters (HVMOP_set_param, HVMOP_get_param, with the
 * checks of hvmop_set_param() / hvm_allow_set_param() / hvm_set_param() and
 * their get counterparts, in Xen's order), per-vCPU upcall vectors
 * (HVMOP_set_evtchn_upcall_vector), and flush_tlbs, pagetable_dying,
 * get_time, xentrace, get_mem_type, guest_request_vm_event and altp2m.
 * Every other HVMOP answers -ENOSYS.
 *
 * A guest acting on itself may set and read only the parameters Xen lets
 * guests touch; a controlling domain (the toolstack) may touch any.
 *
 * What xenemu lacks answers as a Xen without it would: no emulated ACPI PM
 * block (ACPI_IOPORTS_LOCATION -ENODEV, as for PVH), no machine-check
 * emulation (MCA_CAP: a host without LMCE), no trace buffers (xentrace is
 * accepted and dropped, as when xentrace is not running), no vm_event
 * monitor (guest_request_vm_event does nothing), altp2m not enabled (Xen's
 * default, altp2m=0).
 */
#include <cpuid.h>
#include <pthread.h>

#include "hypercalls.h"
#include "xenemu/guest_mem.h"
#include "xenemu/hvm.h"
#include "xenemu/sched.h"

/* Type field of HVM_PARAM_CALLBACK_IRQ (bits 63:56). */
#define CALLBACK_TYPE_SHIFT 56

/* Vectors below 0x10 are reserved for exceptions. */
#define MIN_UPCALL_VECTOR 0x10

/* Parameters whose meaning Xen has withdrawn: -EINVAL for everyone. */
static bool param_deprecated(uint32_t index)
{
    switch (index) {
    case HVM_PARAM_PAE_ENABLED:
    case HVM_PARAM_DM_DOMAIN:
    case HVM_PARAM_MEMORY_EVENT_CR0:
    case HVM_PARAM_MEMORY_EVENT_CR3:
    case HVM_PARAM_MEMORY_EVENT_CR4:
    case HVM_PARAM_MEMORY_EVENT_INT3:
    case HVM_PARAM_NESTEDHVM:
    case HVM_PARAM_MEMORY_EVENT_SINGLE_STEP:
    case HVM_PARAM_BUFIOREQ_EVTCHN:
    case HVM_PARAM_MEMORY_EVENT_MSR:
        return true;
    default:
        return false;
    }
}

/* What a guest may set on itself. */
static bool guest_may_set(uint32_t index)
{
    switch (index) {
    case HVM_PARAM_CALLBACK_IRQ:
    case HVM_PARAM_VM86_TSS:
    case HVM_PARAM_VM86_TSS_SIZED:
    case HVM_PARAM_ACPI_IOPORTS_LOCATION:
    case HVM_PARAM_VM_GENERATION_ID_ADDR:
    case HVM_PARAM_STORE_EVTCHN:
    case HVM_PARAM_CONSOLE_EVTCHN:
    case HVM_PARAM_X87_FIP_WIDTH:
        return true;
    default:
        return false;
    }
}

/* What a guest may read about itself: what it may set, and where the
 * toolstack put its xenstore and console rings. */
static bool guest_may_get(uint32_t index)
{
    return guest_may_set(index) || index == HVM_PARAM_STORE_PFN ||
           index == HVM_PARAM_CONSOLE_PFN || index == HVM_PARAM_ALTP2M;
}

/* Parameters that may change only from 0 (then only to the same value). */
static bool param_set_once(uint32_t index)
{
    switch (index) {
    case HVM_PARAM_VIRIDIAN:
    case HVM_PARAM_IOREQ_PFN:
    case HVM_PARAM_BUFIOREQ_PFN:
    case HVM_PARAM_IOREQ_SERVER_PFN:
    case HVM_PARAM_NR_IOREQ_SERVER_PAGES:
    case HVM_PARAM_MCA_CAP:
    case HVM_PARAM_ALTP2M:
        return true;
    default:
        return false;
    }
}

/* HVM_PARAM_VM86_TSS_SIZED: the TSS must be rebuilt before next use.  Kept
 * in the stored value, never reported by a get. */
#define VM86_TSS_UPDATED (1ull << 63)
/* Sizes in HVM_PARAM_VM86_TSS_SIZED (bits 63:32, 62:32 once stored): the
 * 32-bit TSS itself; what HVM_PARAM_VM86_TSS implies (old firmware assumed
 * 128 bytes); the most that can be of use (the TSS, the 256-bit interrupt
 * redirection map, the 65536-bit I/O map and one byte past it). */
#define TSS32_SIZE        104ull
#define VM86_TSS_OLD_SIZE 128ull
#define VM86_TSS_MAX_SIZE (TSS32_SIZE + 0x100 / 8 + 0x10000 / 8 + 1)

/* HVM_PARAM_NR_IOREQ_SERVER_PAGES: Xen keeps one bit per page in an
 * unsigned long. */
#define MAX_IOREQ_SERVER_PAGES 64u

/* From 4.19 HVM_PARAM_ALTP2M is set at domain creation and read-only. */
#define ALTP2M_READ_ONLY_VERSION XENEMU_VERSION(4, 19)

/* HVM_PARAM_ACPI_S_STATE values: running, suspended to RAM. */
#define ACPI_S0 0u
#define ACPI_S3 3u

/* Where a set stores what, and whether it crashes the calling guest. */
struct param_store {
    uint32_t index; /* the slot of hvm_params[] that changes */
    uint64_t value;
    bool crash;
};

/*
 * What Xen's hvm_allow_set_param() checks: the allow-list, the deprecated
 * parameters, the read-only one (from 4.19) and the set-once ones, in its
 * order.  (self): the guest acts on itself.  Caller holds d->event_lock.
 */
static int allow_set(const struct domain *d, uint32_t index, uint64_t value,
                     bool self)
{
    uint64_t cur = d->hvm_params[index];

    if (index == HVM_PARAM_ALTP2M && d->xen_version >= ALTP2M_READ_ONLY_VERSION)
        return -XEN_EEXIST;
    if (param_deprecated(index))
        return -XEN_EINVAL;
    if (self && !guest_may_set(index))
        return -XEN_EPERM;
    if (param_set_once(index) && cur != 0 && value != cur)
        return -XEN_EEXIST;
    return 0;
}

/*
 * The per-parameter part of Xen's hvm_set_param(): the value checks, and
 * where the value goes (*st, preset to index and value).  Caller holds
 * d->event_lock.
 */
static int check_value(const struct domain *d, uint32_t index, bool self,
                       struct param_store *st)
{
    uint64_t value = st->value;
    int rc = 0;

    switch (index) {
    case HVM_PARAM_TIMER_MODE:
        return value > HVMPTM_one_missed_tick_pending ? -XEN_EINVAL : 0;
    case HVM_PARAM_VIRIDIAN:
        /* Known feature bits only, and the base set among them. */
        return (value & ~(uint64_t)HVMPV_feature_mask) ||
                       !(value & HVMPV_base_freq)
                   ? -XEN_EINVAL
                   : 0;
    case HVM_PARAM_ACPI_S_STATE:
        if (value == ACPI_S0)
            return 0; /* not suspended: nothing to resume */
        /* Deliberate: there is no firmware or device model to suspend to
         * RAM through (Xen's hvm_s3_suspend() succeeds). */
        return value == ACPI_S3 ? -XEN_EOPNOTSUPP : -XEN_EINVAL;
    case HVM_PARAM_ACPI_IOPORTS_LOCATION:
        /* Xen's pmtimer_change_ioport(): the domain has no emulated ACPI
         * PM block (a PVH domain's answer). */
        return -XEN_ENODEV;
    case HVM_PARAM_ALTP2M:
        /* XSM_PRIV holds: a guest cannot reach this on itself (-EPERM
         * above), and only the control domain controls another. */
        if (value > XEN_ALTP2M_limited ||
            (value && (d->cdf_flags & XEN_DOMCTL_CDF_nested_virt)))
            return -XEN_EINVAL;
        return 0;
    case HVM_PARAM_TRIPLE_FAULT_REASON:
        return value > SHUTDOWN_MAX ? -XEN_EINVAL : 0;
    case HVM_PARAM_NR_IOREQ_SERVER_PAGES:
        return value == 0 || value > MAX_IOREQ_SERVER_PAGES ? -XEN_EINVAL : 0;
    case HVM_PARAM_X87_FIP_WIDTH:
        return value != 0 && value != 4 && value != 8 ? -XEN_EINVAL : 0;
    case HVM_PARAM_VM86_TSS:
        /* A base above 4 GiB would be truncated by the hardware: the guest
         * that asks for one is crashed. */
        if (value != (uint32_t)value) {
            st->crash = self;
            rc = -XEN_EINVAL;
        }
        /* Kept as the sized form, with the old firmware's size. */
        if (value)
            value |= VM86_TSS_OLD_SIZE << 32 | VM86_TSS_UPDATED;
        st->index = HVM_PARAM_VM86_TSS_SIZED;
        st->value = value;
        return rc;
    case HVM_PARAM_VM86_TSS_SIZED:
        if ((value >> 32) < TSS32_SIZE) {
            st->crash = self;
            rc = -XEN_EINVAL;
        }
        if ((value >> 32) > VM86_TSS_MAX_SIZE)
            value = (uint32_t)value | VM86_TSS_MAX_SIZE << 32;
        st->value = value | VM86_TSS_UPDATED;
        return rc;
    case HVM_PARAM_MCA_CAP:
        /* Xen's vmce_enable_mca_cap(): LMCE is the only capability, and
         * xenemu emulates no machine checks (a host without LMCE). */
        return value & ~(uint64_t)XEN_HVM_MCA_CAP_MASK ||
                       value & XEN_HVM_MCA_CAP_LMCE
                   ? -XEN_EINVAL
                   : 0;
    default:
        return 0;
    }
}

/* The callback changed: deliver upcalls already pending on (v) through it
 * (Xen's hvm_assert_evtchn_irq()). */
static void reassert_upcall(struct vcpu *v)
{
    const struct hv_backend_ops *be = v->domain->hv->backend;

    if (vcpu_upcall_pending(v) && be && be->kick)
        be->kick(v);
}

static int param_set(struct domain *d, uint32_t index, uint64_t value,
                     bool self, bool compat)
{
    struct param_store st = {.index = index, .value = value};
    int rc;

    pthread_mutex_lock(&d->event_lock);
    rc = allow_set(d, index, value, self);
    if (rc == 0)
        rc = check_value(d, index, self, &st);
    if (rc == 0) {
        /* Atomic: hvm_callback_vector() reads without the lock (relaxed
         * on both sides: a single value, nothing published with it). */
        __atomic_store_n(&d->hvm_params[st.index], st.value, __ATOMIC_RELAXED);
        if (index == HVM_PARAM_X87_FIP_WIDTH)
            d->x87_fip_width_set = true;
        /* The guest's mode now decides its shared_info layout, as at
         * Xen's hvm_latch_shinfo_size(). */
        if (index == HVM_PARAM_CALLBACK_IRQ && self)
            domain_latch_shinfo_compat(d, compat);
    }
    pthread_mutex_unlock(&d->event_lock);
    /* Xen's domain_crash() of the calling guest; the call still answers
     * -EINVAL. */
    if (st.crash)
        sched_domain_shutdown(d, SHUTDOWN_crash);
    if (rc == 0 && index == HVM_PARAM_CALLBACK_IRQ) {
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            if (__atomic_load_n(&d->vcpus[i]->is_up, __ATOMIC_RELAXED))
                reassert_upcall(d->vcpus[i]);
    }
    return rc;
}

uint64_t hvm_x87_fip_default(void)
{
    unsigned int eax, ebx, ecx, edx;

    /* CPUID.(7,0).EBX[13]: the FPU stores CS and DS as zero, so only the
     * 64-bit FIP/FDP matter (Xen's !cpu_has_fpu_sel). */
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ebx & (1u << 13)))
        return 8;
    return 0;
}

/* What a get reports for (index), as Xen's hvm_get_param().  Caller holds
 * d->event_lock. */
static uint64_t param_value(const struct domain *d, uint32_t index)
{
    switch (index) {
    case HVM_PARAM_ACPI_S_STATE:
        return ACPI_S0; /* never suspended (see check_value()) */
    case HVM_PARAM_VM86_TSS:
        return (uint32_t)d->hvm_params[HVM_PARAM_VM86_TSS_SIZED];
    case HVM_PARAM_VM86_TSS_SIZED:
        return d->hvm_params[HVM_PARAM_VM86_TSS_SIZED] & ~VM86_TSS_UPDATED;
    case HVM_PARAM_X87_FIP_WIDTH:
        return d->x87_fip_width_set ? d->hvm_params[index]
                                    : hvm_x87_fip_default();
    default:
        return d->hvm_params[index];
    }
}

static int param_get(struct domain *d, uint32_t index, uint64_t *value,
                     bool self)
{
    if (param_deprecated(index))
        return -XEN_EINVAL;
    if (self && !guest_may_get(index))
        return -XEN_EPERM;
    pthread_mutex_lock(&d->event_lock);
    *value = param_value(d, index);
    pthread_mutex_unlock(&d->event_lock);
    return 0;
}

int hvm_param_set(struct domain *d, uint32_t index, uint64_t value)
{
    if (index >= HVM_NR_PARAMS)
        return -XEN_EINVAL;
    return param_set(d, index, value, false, false);
}

int hvm_param_get(struct domain *d, uint32_t index, uint64_t *value)
{
    if (index >= HVM_NR_PARAMS)
        return -XEN_EINVAL;
    return param_get(d, index, value, false);
}

uint8_t hvm_callback_vector(const struct vcpu *v)
{
    /* Relaxed: single values, each stored atomically (param_set(),
     * upcall_vector()); nothing else is read through them. */
    uint8_t vector = __atomic_load_n(&v->upcall_vector, __ATOMIC_RELAXED);
    uint64_t via;

    if (vector)
        return vector;
    via = __atomic_load_n(&v->domain->hvm_params[HVM_PARAM_CALLBACK_IRQ],
                          __ATOMIC_RELAXED);
    if ((via >> CALLBACK_TYPE_SHIFT) == HVM_PARAM_CALLBACK_TYPE_VECTOR)
        return (uint8_t)via;
    return 0;
}

static bool is_hvm(const struct domain *d)
{
    return d->cdf_flags & XEN_DOMCTL_CDF_hvm;
}

/* HVMOP_set_param (set) or HVMOP_get_param. */
static long hvmop_param(struct hv_call *call, bool set, uint64_t arg)
{
    struct domain *caller = call->v->domain, *d;
    struct xen_hvm_param a;
    long rc;

    if (copy_from_guest(call, &a, arg, sizeof(a)))
        return -XEN_EFAULT;
    if (a.index >= HVM_NR_PARAMS)
        return -XEN_EINVAL;
    d = domain_get_by_any_id(caller, a.domid);
    if (!d)
        return -XEN_ESRCH;
    if (!is_hvm(d))
        rc = -XEN_EINVAL;
    else if (!domain_may_control(caller, d))
        rc = -XEN_EPERM; /* XSM_TARGET */
    else if (set)
        rc = param_set(d, a.index, a.value, d == caller, call->compat);
    else
        rc = param_get(d, a.index, &a.value, d == caller);
    domain_put(d);
    if (rc)
        return rc;
    if (set) {
        hv_call_side_effects(call);
        return 0;
    }
    return copy_to_guest(call, arg, &a, sizeof(a)) ? -XEN_EFAULT : 0;
}

static long hvmop_upcall_vector(struct hv_call *call, uint64_t arg)
{
    struct domain *d = call->v->domain;
    struct xen_hvm_evtchn_upcall_vector op;
    struct vcpu *v;

    if (!is_hvm(d))
        return -XEN_EINVAL;
    if (copy_from_guest(call, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.vector < MIN_UPCALL_VECTOR)
        return -XEN_EINVAL;
    v = domain_vcpu(d, op.vcpu);
    if (!v)
        return -XEN_ENOENT;
    /* Read lock-free by hvm_callback_vector() (relaxed, single value). */
    __atomic_store_n(&v->upcall_vector, op.vector, __ATOMIC_RELAXED);
    hv_call_side_effects(call);
    reassert_upcall(v);
    return 0;
}

/* HVMOP_flush_tlbs: a NULL argument only. */
static long hvmop_flush_tlbs(struct hv_call *call, uint64_t arg)
{
    if (arg)
        return -XEN_EINVAL;
    if (!is_hvm(call->v->domain))
        return -XEN_EINVAL;
    /*
     * Xen flushes every vCPU's guest TLB (paging_flush_tlb()).  The core
     * has no backend op for that: the sim backend has no guest TLB, and
     * KVM flushes a vCPU's TLB only on its own events (see
     * docs/hypercalls.md).
     */
    return 0;
}

/* HVMOP_pagetable_dying: a hint for shadow paging, on the caller only. */
static long hvmop_pagetable_dying(struct hv_call *call, uint64_t arg)
{
    struct domain *caller = call->v->domain, *d;
    struct xen_hvm_pagetable_dying a;
    long rc;

    if (copy_from_guest(call, &a, arg, sizeof(a)))
        return -XEN_EFAULT;
    d = domain_get_by_any_id(caller, a.domid);
    if (!d)
        return -XEN_ESRCH;
    if (d != caller)
        rc = -XEN_EOPNOTSUPP;
    else if (is_hvm(d) && !(d->cdf_flags & XEN_DOMCTL_CDF_hap))
        rc = 0; /* shadow paging: the hint changes nothing a guest sees */
    else
        rc = -XEN_EINVAL; /* HAP (or not HVM): no shadows to drop */
    domain_put(d);
    return rc;
}

/* HVMOP_get_time: system time, as NOW(). */
static long hvmop_get_time(struct hv_call *call, uint64_t arg)
{
    struct xen_hvm_get_time t = {.now = hv_now_ns(call->v->domain->hv)};

    return copy_to_guest(call, arg, &t, sizeof(t)) ? -XEN_EFAULT : 0;
}

/* HVMOP_xentrace: checked, then dropped (no trace buffers: Xen's
 * trace_var() does nothing while xentrace is not running). */
static long hvmop_xentrace(struct hv_call *call, uint64_t arg)
{
    struct xen_hvm_xentrace tr;

    if (copy_from_guest(call, &tr, arg, sizeof(tr)))
        return -XEN_EFAULT;
    if (tr.extra_bytes > sizeof(tr.extra) ||
        (tr.event & ~((1u << TRC_SUBCLS_SHIFT) - 1)))
        return -XEN_EINVAL;
    return 0;
}

/* HVMOP_get_mem_type: the p2m type of a frame, for the caller or a domain
 * it controls. */
static long hvmop_get_mem_type(struct hv_call *call, uint64_t arg)
{
    struct domain *caller = call->v->domain, *d;
    struct xen_hvm_get_mem_type a;
    long rc;

    if (copy_from_guest(call, &a, arg, sizeof(a)))
        return -XEN_EFAULT;
    d = domain_get_by_any_id(caller, a.domid);
    if (!d)
        return -XEN_ESRCH;
    if (!domain_may_control(caller, d)) { /* XSM_TARGET */
        rc = -XEN_EPERM;
    } else if (!is_hvm(d)) {
        rc = -XEN_EINVAL;
    } else {
        /* RAM and the hypervisor pages placed in the physmap are
         * ordinary RAM (p2m_ram_rw); anything else is not memory, which
         * Xen reports as device-model MMIO. */
        a.mem_type = gfn_to_host(d, a.pfn) ? HVMMEM_ram_rw : HVMMEM_mmio_dm;
        rc = copy_to_guest(call, arg, &a, sizeof(a)) ? -XEN_EFAULT : 0;
    }
    domain_put(d);
    return rc;
}

long do_hvm_op(struct hv_call *call, uint64_t args[5])
{
    switch (args[0]) {
    case HVMOP_set_param:
        return hvmop_param(call, true, args[1]);
    case HVMOP_get_param:
        return hvmop_param(call, false, args[1]);
    case HVMOP_flush_tlbs:
        return hvmop_flush_tlbs(call, args[1]);
    case HVMOP_pagetable_dying:
        return hvmop_pagetable_dying(call, args[1]);
    case HVMOP_get_time:
        return hvmop_get_time(call, args[1]);
    case HVMOP_xentrace:
        return hvmop_xentrace(call, args[1]);
    case HVMOP_get_mem_type:
        return hvmop_get_mem_type(call, args[1]);
    case HVMOP_set_evtchn_upcall_vector:
        return hvmop_upcall_vector(call, args[1]);
    case HVMOP_guest_request_vm_event:
        /* No vm_event monitor: Xen's monitor_guest_request() then does
         * nothing. */
        return args[1] ? -XEN_EINVAL : 0;
    case HVMOP_altp2m:
        /* altp2m is off unless Xen boots with altp2m=1 (not the default):
         * refused before the argument is read. */
        return -XEN_EOPNOTSUPP;
    default:
        return -XEN_ENOSYS;
    }
}
