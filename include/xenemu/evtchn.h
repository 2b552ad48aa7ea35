/*
 * evtchn.h: event channels, Xen's semantics and error codes.
 *
 * One worker per EVTCHNOP, called by the hypercall decoder (hv/evtchn_op.c)
 * with the argument already copied in; OUT fields are filled only on
 * success.  (d) is always the calling domain.  Every worker returns 0 or a
 * negative Xen errno, exactly what Xen returns for the same request.
 *
 * A domain starts with the 2-level ABI; the first successful
 * EVTCHNOP_init_control switches it to FIFO, and EVTCHNOP_reset switches it
 * back.  Nothing outside hv/evtchn*.c knows which ABI is active.
 */
#ifndef XENEMU_EVTCHN_H
#define XENEMU_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>

#include "xenemu/domain.h"

/* Internal channel states (Xen's ECS_*); EVTCHNOP_status maps them. */
enum evtchn_state {
    ECS_FREE,
    ECS_RESERVED,
    ECS_UNBOUND,
    ECS_INTERDOMAIN,
    ECS_PIRQ,
    ECS_VIRQ,
    ECS_IPI,
};

/* Any EVTCHNOP argument: the decoder's buffer, and what tests tabulate. */
union evtchn_op_arg {
    struct evtchn_bind_interdomain bind_interdomain;
    struct evtchn_bind_virq bind_virq;
    struct evtchn_bind_pirq bind_pirq;
    struct evtchn_close close;
    struct evtchn_send send;
    struct evtchn_status status;
    struct evtchn_alloc_unbound alloc_unbound;
    struct evtchn_bind_ipi bind_ipi;
    struct evtchn_bind_vcpu bind_vcpu;
    struct evtchn_unmask unmask;
    struct evtchn_reset reset;
    struct evtchn_init_control init_control;
    struct evtchn_expand_array expand_array;
    struct evtchn_set_priority set_priority;
};

int evtchn_alloc_unbound(struct domain *d, struct evtchn_alloc_unbound *op);
int evtchn_bind_interdomain(struct domain *d,
                            struct evtchn_bind_interdomain *op);
int evtchn_bind_virq(struct domain *d, struct evtchn_bind_virq *op);
int evtchn_bind_ipi(struct domain *d, struct evtchn_bind_ipi *op);
int evtchn_bind_pirq(struct domain *d, struct evtchn_bind_pirq *op);
int evtchn_close(struct domain *d, evtchn_port_t port);
int evtchn_send(struct domain *d, evtchn_port_t port);
int evtchn_status(struct domain *d, struct evtchn_status *op);
int evtchn_bind_vcpu(struct domain *d, evtchn_port_t port, uint32_t vcpu);
int evtchn_unmask(struct domain *d, evtchn_port_t port);

/*
 * EVTCHNOP_reset / EVTCHNOP_reset_cont of domain (dom) by (caller).  Returns
 * HV_ERESTART when preempted (every 64 ports): the caller must continue with
 * (resuming) set, as Xen's continuation does with EVTCHNOP_reset_cont.
 */
int evtchn_reset(struct domain *caller, domid_t dom, bool resuming);

/* FIFO ABI operations (hv/evtchn_fifo.c). */
int evtchn_fifo_init_control(struct domain *d, struct evtchn_init_control *op);
int evtchn_fifo_expand_array(struct domain *d,
                             const struct evtchn_expand_array *op);
int evtchn_set_priority(struct domain *d, const struct evtchn_set_priority *op);

/* Raise (virq) on (v) / on the domain's VIRQ port (vCPU 0), if bound. */
void evtchn_send_vcpu_virq(struct vcpu *v, unsigned int virq);
void evtchn_send_domain_virq(struct domain *d, unsigned int virq);

/*
 * Is (port) of (d) a usable channel with its event pending?  -EINVAL when
 * it is not a usable channel (SCHEDOP_poll's check), else 0 or 1.
 */
int evtchn_poll_check(struct domain *d, evtchn_port_t port);

/* Domain lifecycle (domain.c). */
int evtchn_domain_init(struct domain *d, uint32_t max_evtchn_port);
void evtchn_domain_close_all(struct domain *d);
void evtchn_domain_free(struct domain *d);

/* Introspection for tests and debugging: state (ECS_*), or -EINVAL. */
int evtchn_port_state(struct domain *d, evtchn_port_t port);
bool evtchn_port_is_pending(struct domain *d, evtchn_port_t port);
bool evtchn_port_is_masked(struct domain *d, evtchn_port_t port);
bool evtchn_domain_is_fifo(struct domain *d);

#endif /* XENEMU_EVTCHN_H */
