/*
 * evtchn_abi.h: what an event-channel ABI (2-level or FIFO) provides to
 * the common driver (evtchn.c).  One const table per ABI; the kernel
 * points at one of them after boot-time negotiation, as Xen itself does.
 */
#ifndef XENEMU_GUEST_EVTCHN_ABI_H
#define XENEMU_GUEST_EVTCHN_ABI_H

#include <stdbool.h>

#include "kernel.h"

struct ec_ops {
    const char *name;
    /* Per-vCPU set-up, on that vCPU before it binds anything. */
    int (*init_cpu)(struct cpu *c);
    /* Make (port) usable (FIFO: grow the event array to cover it).  The
     * port's state must end up masked.  Caller holds k->evtchn_lock. */
    int (*setup_port)(struct kernel *k, evtchn_port_t port);
    void (*mask)(struct kernel *k, evtchn_port_t port);
    /* Unmask, and have Xen raise the event if it is pending. */
    void (*unmask)(struct kernel *k, evtchn_port_t port);
    bool (*is_pending)(struct kernel *k, evtchn_port_t port);
    bool (*is_masked)(struct kernel *k, evtchn_port_t port);
    void (*clear_pending)(struct kernel *k, evtchn_port_t port);
    /* The upcall's work on vCPU (c): consume events, call
     * ec_dispatch() for each. */
    void (*handle_events)(struct cpu *c);
};

extern const struct ec_ops ec_ops_2l;
extern const struct ec_ops ec_ops_fifo;

/* Set up the 2-level ABI (all ports masked). */
void ec_2l_init(struct kernel *k);
/* Switch the domain to FIFO with vCPU (c)'s control block: 0, or the
 * negative errno of EVTCHNOP_init_control (nothing changed then). */
int ec_fifo_init(struct cpu *c);

/* Run (port)'s handler on (c), if the port has one. */
void ec_dispatch(struct cpu *c, evtchn_port_t port);
/* The vCPU Xen notifies for (port), as recorded at binding. */
uint32_t ec_port_vcpu(struct kernel *k, evtchn_port_t port);

#endif /* XENEMU_GUEST_EVTCHN_ABI_H */
