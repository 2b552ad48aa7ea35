/*
 * hvm_op.c: __HYPERVISOR_hvm_op: HVM parameters (HVMOP_set_param,
 * HVMOP_get_param) and per-vCPU upcall vectors
 * (HVMOP_set_evtchn_upcall_vector), with the checks of Xen's
 * hvmop_set_param() / hvm_allow_set_param() / hvm_set_param() and their
 * get counterparts, in Xen's order.  Every other HVMOP answers -ENOSYS.
 *
 * A guest acting on itself may set and read only the parameters Xen lets
 * guests touch; a controlling domain (the toolstack) may touch any.
 */
#include <pthread.h>

#include "hypercalls.h"
#include "xenemu/hvm.h"

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

/* Xen's checks of a set, after the caller may act on (d) at all.  (self):
 * the guest acts on itself.  Caller holds d->event_lock. */
static int check_set(const struct domain *d, uint32_t index, uint64_t value,
                     bool self)
{
    uint64_t cur = d->hvm_params[index];

    if (param_deprecated(index))
        return -XEN_EINVAL;
    if (self && !guest_may_set(index))
        return -XEN_EPERM;
    if (param_set_once(index) && cur != 0 && value != cur)
        return -XEN_EEXIST;
    if (index == HVM_PARAM_X87_FIP_WIDTH && value != 0 && value != 4 &&
        value != 8)
        return -XEN_EINVAL;
    return 0;
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
    int rc;

    pthread_mutex_lock(&d->event_lock);
    rc = check_set(d, index, value, self);
    if (rc == 0) {
        /* Atomic: hvm_callback_vector() reads without the lock (relaxed
         * on both sides: a single value, nothing published with it). */
        __atomic_store_n(&d->hvm_params[index], value, __ATOMIC_RELAXED);
        /* The guest's mode now decides its shared_info layout, as at
         * Xen's hvm_latch_shinfo_size(). */
        if (index == HVM_PARAM_CALLBACK_IRQ && self)
            domain_latch_shinfo_compat(d, compat);
    }
    pthread_mutex_unlock(&d->event_lock);
    if (rc == 0 && index == HVM_PARAM_CALLBACK_IRQ) {
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            if (__atomic_load_n(&d->vcpus[i]->is_up, __ATOMIC_RELAXED))
                reassert_upcall(d->vcpus[i]);
    }
    return rc;
}

static int param_get(struct domain *d, uint32_t index, uint64_t *value,
                     bool self)
{
    if (param_deprecated(index))
        return -XEN_EINVAL;
    if (self && !guest_may_get(index))
        return -XEN_EPERM;
    pthread_mutex_lock(&d->event_lock);
    *value = d->hvm_params[index];
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

long do_hvm_op(struct hv_call *call, uint64_t args[5])
{
    switch (args[0]) {
    case HVMOP_set_param:
        return hvmop_param(call, true, args[1]);
    case HVMOP_get_param:
        return hvmop_param(call, false, args[1]);
    case HVMOP_set_evtchn_upcall_vector:
        return hvmop_upcall_vector(call, args[1]);
    default:
        return -XEN_ENOSYS;
    }
}
