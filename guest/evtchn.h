/*
 * evtchn.h: the event-channel driver's interface to the rest of the
 * kernel.
 *
 * Binding returns the port MASKED with its handler installed: the caller
 * finishes its own set-up, then calls ec_unmask(), after which the
 * handler runs in the upcall of the port's vCPU, interrupts disabled.
 * Handlers must be short (guest kernel code is emulated on KVM), must not
 * take locks or block, and may send events.
 *
 * Every function returns 0 / a port, or a negative Xen errno.
 */
#ifndef XENEMU_GUEST_EVTCHN_H
#define XENEMU_GUEST_EVTCHN_H

#include <stdbool.h>

#include "kernel.h"

/* Choose the ABI (FIFO unless the command line or Xen says otherwise)
 * and set it up for vCPU 0; panics on fifo_fallback=enosys violations.
 * Sets k->evtchn and k->evtchn_why. */
void ec_init(struct kernel *k);
/* Per-vCPU set-up on a secondary vCPU (FIFO: its control block). */
int ec_init_cpu(struct cpu *c);
bool ec_is_fifo(const struct kernel *k);

int ec_alloc_unbound(struct kernel *k, domid_t remote, ec_handler_t fn,
                     void *arg, evtchn_port_t *port);
int ec_bind_interdomain(struct kernel *k, domid_t remote,
                        evtchn_port_t remote_port, ec_handler_t fn, void *arg,
                        evtchn_port_t *port);
/* A per-vCPU VIRQ or an IPI, notifying vCPU (c). */
int ec_bind_virq(struct cpu *c, uint32_t virq, ec_handler_t fn, void *arg,
                 evtchn_port_t *port);
int ec_bind_ipi(struct cpu *c, ec_handler_t fn, void *arg, evtchn_port_t *port);
int ec_send(evtchn_port_t port);
/* Mask, forget the handler, EVTCHNOP_close. */
int ec_close(struct kernel *k, evtchn_port_t port);
/* FIFO only: 0 (highest) .. 15; -ENOSYS under 2-level. */
int ec_set_priority(evtchn_port_t port, unsigned int priority);

void ec_mask(struct kernel *k, evtchn_port_t port);
void ec_unmask(struct kernel *k, evtchn_port_t port);
bool ec_is_pending(struct kernel *k, evtchn_port_t port);
void ec_clear_pending(struct kernel *k, evtchn_port_t port);

#endif /* XENEMU_GUEST_EVTCHN_H */
