/*
 * evtchn_private.h: event-channel internals shared by evtchn.c (the
 * ABI-independent operations), evtchn_2l.c and evtchn_fifo.c (one port-ops
 * table per ABI).
 */
#ifndef XENEMU_EVTCHN_PRIVATE_H
#define XENEMU_EVTCHN_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "xenemu/domain.h"
#include "xenemu/evtchn.h"

/* One event channel: 32 bytes, allocated in groups of EVTCHNS_PER_GROUP. */
struct evtchn {
    uint8_t state;     /* enum evtchn_state */
    uint8_t priority;  /* FIFO queue, EVTCHN_FIFO_PRIORITY_* */
    bool fifo_pending; /* FIFO: raised while its event word did not exist */
    uint8_t pad;
    evtchn_port_t port;
    uint32_t notify_vcpu;
    uint32_t fifo_lastq; /* FIFO: queue last linked on (see evtchn_fifo.c) */
    union {
        domid_t unbound_remote; /* ECS_UNBOUND: who may bind */
        struct {
            struct domain *dom;
            evtchn_port_t port;
        } interdomain;
        uint32_t virq;
        uint32_t pirq;
    } u;
};
_Static_assert(sizeof(struct evtchn) == 32, "keep channels at 32 bytes");

/*
 * Ports become valid a group at a time: group 0 at creation, the next one
 * when the allocator first reaches it.  64 is Xen 4.17's EVTCHNS_PER_BUCKET
 * (a page of 64-byte channels, xen/include/xen/sched.h), so valid_evtchns,
 * and with it which ports answer -EINVAL, is the same as in 4.17.  xenemu's
 * channels stay 32 bytes: a group is 2 KiB.
 */
#define EVTCHNS_PER_GROUP 64u

/*
 * The operations whose meaning depends on the ABI.  One const table per ABI
 * (evtchn_port_ops_2l, evtchn_port_ops_fifo); d->evtchn_ops points at the
 * active one.  All are called with the channel's domain stable: either its
 * event_lock or (from another domain raising an event) its abi_lock held for
 * reading.
 */
struct evtchn_port_ops {
    /* Highest port count the ABI allows for (d). */
    uint32_t (*max_ports)(const struct domain *d);
    /* Raise (chn) on (v): set pending, and signal (v) unless masked. */
    void (*set_pending)(struct vcpu *v, struct evtchn *chn);
    void (*clear_pending)(struct domain *d, struct evtchn *chn);
    /* EVTCHNOP_unmask: unmask and re-raise if pending. */
    void (*unmask)(struct domain *d, struct evtchn *chn);
    bool (*is_pending)(const struct domain *d, const struct evtchn *chn);
    bool (*is_masked)(const struct domain *d, const struct evtchn *chn);
    /* May the port not be reused yet (FIFO: still LINKED)?  Optional. */
    bool (*is_busy)(const struct domain *d, const struct evtchn *chn);
    /* EVTCHNOP_set_priority; NULL when the ABI has no priorities. */
    int (*set_priority)(struct domain *d, struct evtchn *chn,
                        uint32_t priority);
};

extern const struct evtchn_port_ops evtchn_port_ops_2l;
extern const struct evtchn_port_ops evtchn_port_ops_fifo;

/* The active ops of (d): an acquire load, paired with the release store in
 * evtchn_set_ops() so that a reader sees the ABI's state initialised. */
static inline const struct evtchn_port_ops *evtchn_ops(const struct domain *d)
{
    return __atomic_load_n(&d->evtchn_ops, __ATOMIC_ACQUIRE);
}

static inline void evtchn_set_ops(struct domain *d,
                                  const struct evtchn_port_ops *ops)
{
    __atomic_store_n(&d->evtchn_ops, ops, __ATOMIC_RELEASE);
}

/* The channel of a port already known to be below valid_evtchns. */
static inline struct evtchn *evtchn_slot(const struct domain *d,
                                         evtchn_port_t port)
{
    return &d->evtchn_groups[port / EVTCHNS_PER_GROUP]
                            [port % EVTCHNS_PER_GROUP];
}

/*
 * The one check of a guest-supplied port: the channel for (port), or NULL
 * if the port was never allocated.  valid_evtchns only grows, and its
 * release store (evtchn_grow()) follows the initialisation of the group, so
 * the acquire load here makes the group visible (XSA-340).
 */
static inline struct evtchn *evtchn_from_port(const struct domain *d,
                                              evtchn_port_t port)
{
    if (port >= __atomic_load_n(&d->valid_evtchns, __ATOMIC_ACQUIRE))
        return NULL;
    return evtchn_slot(d, port);
}

/* Bound to a guest-visible purpose (not free, not the reserved port 0). */
static inline bool evtchn_usable(const struct evtchn *chn)
{
    return chn->state > ECS_RESERVED;
}

/*
 * The lowest port of (d) that is free and not busy, below max_evtchn_port
 * and the ABI's limit; nothing is claimed.  Caller holds d->event_lock.
 * 0, -ENOSPC (none left), -EINVAL (domain dying) or -ENOMEM.
 */
int evtchn_get_free_port(struct domain *d, evtchn_port_t *out);

/* Bind the free (port) of (d) in (state), notifying (notify_vcpu). */
struct evtchn *evtchn_claim_port(struct domain *d, evtchn_port_t port,
                                 enum evtchn_state state, uint32_t notify_vcpu);

/* evtchn_get_free_port() then evtchn_claim_port(). */
int evtchn_alloc_channel(struct domain *d, enum evtchn_state state,
                         uint32_t notify_vcpu, struct evtchn **out);

/* Return (chn) to ECS_FREE, clearing its event.  Caller holds event_lock. */
void evtchn_free_channel(struct domain *d, struct evtchn *chn);

/* Raise (chn) of (d) on its notify vCPU (caller holds what ops need). */
void evtchn_raise(struct domain *d, struct evtchn *chn);

/* An event on (port) of (d) became pending: wake vCPUs polling it. */
void evtchn_check_pollers(struct domain *d, evtchn_port_t port);

/*
 * Mark an upcall pending on (v): set evtchn_upcall_pending and, if it was
 * clear, kick (v) through the backend.  Shared by both ABIs.
 */
void vcpu_mark_events_pending(struct vcpu *v);

/* Leave the FIFO ABI: free its state and reinstall the 2-level ops.
 * Caller holds d->event_lock and no ports are bound. */
void evtchn_fifo_to_2l(struct domain *d);

/* 2L pending bit of (port), read when switching to FIFO. */
bool evtchn_2l_port_pending(const struct domain *d, evtchn_port_t port);

#endif /* XENEMU_EVTCHN_PRIVATE_H */
