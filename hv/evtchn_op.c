/*
 * evtchn_op.c: __HYPERVISOR_event_channel_op: copy the argument in, run the
 * operation, copy OUT fields back on success, as Xen's
 * do_event_channel_op().  The layouts are the same in 64-bit and compat
 * mode.
 */
#include <stddef.h>

#include "hypercalls.h"
#include "xenemu/evtchn.h"

/* Argument size of each EVTCHNOP, and whether it has OUT fields. */
static const struct {
    uint8_t size;
    bool out;
} evtchn_args[] = {
    [EVTCHNOP_bind_interdomain] = {sizeof(struct evtchn_bind_interdomain), 1},
    [EVTCHNOP_bind_virq] = {sizeof(struct evtchn_bind_virq), 1},
    [EVTCHNOP_bind_pirq] = {sizeof(struct evtchn_bind_pirq), 1},
    [EVTCHNOP_close] = {sizeof(struct evtchn_close), 0},
    [EVTCHNOP_send] = {sizeof(struct evtchn_send), 0},
    [EVTCHNOP_status] = {sizeof(struct evtchn_status), 1},
    [EVTCHNOP_alloc_unbound] = {sizeof(struct evtchn_alloc_unbound), 1},
    [EVTCHNOP_bind_ipi] = {sizeof(struct evtchn_bind_ipi), 1},
    [EVTCHNOP_bind_vcpu] = {sizeof(struct evtchn_bind_vcpu), 0},
    [EVTCHNOP_unmask] = {sizeof(struct evtchn_unmask), 0},
    [EVTCHNOP_reset] = {sizeof(struct evtchn_reset), 0},
    [EVTCHNOP_init_control] = {sizeof(struct evtchn_init_control), 1},
    [EVTCHNOP_expand_array] = {sizeof(struct evtchn_expand_array), 0},
    [EVTCHNOP_set_priority] = {sizeof(struct evtchn_set_priority), 0},
    [EVTCHNOP_reset_cont] = {sizeof(struct evtchn_reset), 0},
};

#define NR_EVTCHNOPS (sizeof(evtchn_args) / sizeof(evtchn_args[0]))

static bool is_fifo_op(unsigned int cmd)
{
    return cmd == EVTCHNOP_init_control || cmd == EVTCHNOP_expand_array ||
           cmd == EVTCHNOP_set_priority;
}

static int run(struct hv_call *call, unsigned int cmd, union evtchn_op_arg *a,
               uint64_t args[5])
{
    struct domain *d = call->v->domain;
    int rc;

    switch (cmd) {
    case EVTCHNOP_bind_interdomain:
        return evtchn_bind_interdomain(d, &a->bind_interdomain);
    case EVTCHNOP_bind_virq:
        return evtchn_bind_virq(d, &a->bind_virq);
    case EVTCHNOP_bind_pirq:
        return evtchn_bind_pirq(d, &a->bind_pirq);
    case EVTCHNOP_close:
        return evtchn_close(d, a->close.port);
    case EVTCHNOP_send:
        return evtchn_send(d, a->send.port);
    case EVTCHNOP_status:
        return evtchn_status(d, &a->status);
    case EVTCHNOP_alloc_unbound:
        return evtchn_alloc_unbound(d, &a->alloc_unbound);
    case EVTCHNOP_bind_ipi:
        return evtchn_bind_ipi(d, &a->bind_ipi);
    case EVTCHNOP_bind_vcpu:
        return evtchn_bind_vcpu(d, a->bind_vcpu.port, a->bind_vcpu.vcpu);
    case EVTCHNOP_unmask:
        return evtchn_unmask(d, a->unmask.port);
    case EVTCHNOP_init_control:
        return evtchn_fifo_init_control(d, &a->init_control);
    case EVTCHNOP_expand_array:
        return evtchn_fifo_expand_array(d, &a->expand_array);
    case EVTCHNOP_set_priority:
        return evtchn_set_priority(d, &a->set_priority);
    default: /* EVTCHNOP_reset, EVTCHNOP_reset_cont */
        rc = evtchn_reset(d, a->reset.dom, cmd == EVTCHNOP_reset_cont);
        if (rc == HV_ERESTART) {
            args[0] = EVTCHNOP_reset_cont; /* same argument, continued */
            return -HV_ERESTART;
        }
        return rc;
    }
}

long do_event_channel_op(struct hv_call *call, uint64_t args[5])
{
    unsigned int cmd = (unsigned int)args[0];
    uint64_t arg = args[1];
    union evtchn_op_arg a;
    int rc;

    if (cmd >= NR_EVTCHNOPS || !evtchn_args[cmd].size)
        return -XEN_ENOSYS;
    /* Hidden FIFO ops look exactly like unknown ones (pre-4.4 Xen). */
    if (is_fifo_op(cmd) && !domain_has_fifo(call->v->domain))
        return -XEN_ENOSYS;
    if (copy_from_guest(call, &a, arg, evtchn_args[cmd].size))
        return -XEN_EFAULT;
    rc = run(call, cmd, &a, args);
    if (cmd != EVTCHNOP_status && (rc == 0 || rc == -HV_ERESTART))
        hv_call_side_effects(call);
    if (rc == 0 && evtchn_args[cmd].out &&
        copy_to_guest(call, arg, &a, evtchn_args[cmd].size))
        return -XEN_EFAULT;
    return rc;
}
