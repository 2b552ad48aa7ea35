/*
 * evtchn_port.c: the per-domain port table: growing it, finding a free
 * port, freeing a channel, raising an event on a channel, and waking the
 * vCPUs that poll it.  ABI-specific work goes through d->evtchn_ops.
 */
#include <limits.h>
#include <pthread.h>

#include "evtchn_private.h"
#include "xenemu/guest_mem.h"

/* Ports the table can ever hold: the FIFO ABI's limit. */
#define EVTCHN_TABLE_PORTS EVTCHN_FIFO_NR_CHANNELS

static uint32_t nr_groups(const struct domain *d)
{
    return d->max_evtchn_port / EVTCHNS_PER_GROUP + 1;
}

static size_t group_bytes(void)
{
    return EVTCHNS_PER_GROUP * sizeof(struct evtchn);
}

/* Add the next group of channels.  Caller holds d->event_lock. */
static int evtchn_grow(struct domain *d)
{
    uint32_t valid = d->valid_evtchns;
    uint32_t g = valid / EVTCHNS_PER_GROUP;
    struct evtchn *group;

    if (g >= nr_groups(d))
        return -XEN_ENOSPC;
    group = hv_zalloc(group_bytes());
    if (!group)
        return -XEN_ENOMEM;
    for (uint32_t i = 0; i < EVTCHNS_PER_GROUP; i++) {
        group[i].port = valid + i;
        group[i].priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
    }
    d->evtchn_groups[g] = group;
    /* Publish the group before the ports in it: pairs with the acquire
     * load in evtchn_from_port() (XSA-340). */
    __atomic_store_n(&d->valid_evtchns, valid + EVTCHNS_PER_GROUP,
                     __ATOMIC_RELEASE);
    return 0;
}

int evtchn_domain_init(struct domain *d, uint32_t max_evtchn_port)
{
    struct evtchn *chn;
    int rc;

    /* Xen clamps the limit to INT_MAX; no ABI reaches past the FIFO one. */
    if (max_evtchn_port > EVTCHN_TABLE_PORTS - 1)
        max_evtchn_port = EVTCHN_TABLE_PORTS - 1;
    d->max_evtchn_port = max_evtchn_port;
    d->evtchn_groups = hv_zalloc(nr_groups(d) * sizeof(*d->evtchn_groups));
    if (!d->evtchn_groups)
        return -XEN_ENOMEM;
    d->evtchn_ops = &evtchn_port_ops_2l;
    rc = evtchn_grow(d);
    if (rc)
        return rc;
    /* Port 0 is never handed out. */
    chn = evtchn_from_port(d, 0);
    chn->state = ECS_RESERVED;
    d->first_free_port = 1;
    return 0;
}

void evtchn_domain_free(struct domain *d)
{
    if (!d->evtchn_groups)
        return;
    for (uint32_t g = 0; g < nr_groups(d); g++)
        hv_free(d->evtchn_groups[g], group_bytes());
    hv_free(d->evtchn_groups, nr_groups(d) * sizeof(*d->evtchn_groups));
    d->evtchn_groups = NULL;
}

/*
 * The lowest port of (d) that is free and not busy, up to max_evtchn_port
 * and the ABI's limit.  Caller holds d->event_lock.  -ENOSPC when none is
 * left, -EINVAL for a dying domain, -ENOMEM.
 */
int evtchn_get_free_port(struct domain *d, evtchn_port_t *out)
{
    const struct evtchn_port_ops *ops = d->evtchn_ops;
    uint32_t limit = ops->max_ports(d);
    uint32_t port;

    if (__atomic_load_n(&d->is_dying, __ATOMIC_ACQUIRE))
        return -XEN_EINVAL;
    if (limit > d->max_evtchn_port + 1)
        limit = d->max_evtchn_port + 1;
    for (port = d->first_free_port; port < limit; port++) {
        struct evtchn *chn;
        int rc;

        if (port >= d->valid_evtchns && (rc = evtchn_grow(d)) != 0)
            return rc;
        chn = evtchn_from_port(d, port);
        if (chn->state != ECS_FREE) {
            if (port == d->first_free_port)
                d->first_free_port = port + 1;
            continue;
        }
        /* A FIFO port still LINKED cannot be reused until the guest
         * unlinks it. */
        if (ops->is_busy && ops->is_busy(d, chn))
            continue;
        *out = port;
        return 0;
    }
    return -XEN_ENOSPC;
}

struct evtchn *evtchn_claim_port(struct domain *d, evtchn_port_t port,
                                 enum evtchn_state state, uint32_t notify_vcpu)
{
    struct evtchn *chn = evtchn_slot(d, port);

    /* Read without our lock by other domains raising the event. */
    __atomic_store_n(&chn->priority, EVTCHN_FIFO_PRIORITY_DEFAULT,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&chn->notify_vcpu, notify_vcpu, __ATOMIC_RELAXED);
    chn->state = state;
    d->active_evtchns++;
    return chn;
}

int evtchn_alloc_channel(struct domain *d, enum evtchn_state state,
                         uint32_t notify_vcpu, struct evtchn **out)
{
    evtchn_port_t port;
    int rc = evtchn_get_free_port(d, &port);

    if (rc == 0)
        *out = evtchn_claim_port(d, port, state, notify_vcpu);
    return rc;
}

void evtchn_free_channel(struct domain *d, struct evtchn *chn)
{
    /* Clear the event so a later binding of the port starts clean. */
    d->evtchn_ops->clear_pending(d, chn);
    __atomic_store_n(&chn->fifo_pending, false, __ATOMIC_RELAXED);
    chn->state = ECS_FREE;
    __atomic_store_n(&chn->notify_vcpu, 0, __ATOMIC_RELAXED);
    /* Read without our lock by other domains raising the event. */
    __atomic_store_n(&chn->priority, EVTCHN_FIFO_PRIORITY_DEFAULT,
                     __ATOMIC_RELAXED);
    d->active_evtchns--;
    if (chn->port < d->first_free_port)
        d->first_free_port = chn->port;
}

void evtchn_raise(struct domain *d, struct evtchn *chn)
{
    uint32_t id = __atomic_load_n(&chn->notify_vcpu, __ATOMIC_RELAXED);
    struct vcpu *v = domain_vcpu(d, id);

    if (v)
        evtchn_ops(d)->set_pending(v, chn);
}

void vcpu_mark_events_pending(struct vcpu *v)
{
    /* evtchn_upcall_pending is byte 0 of vcpu_info in both layouts.  The
     * guest clears it before scanning; a locked RMW orders our earlier
     * bitmap updates before it. */
    uint8_t *upcall = vcpu_info_of(v);
    const struct hv_backend_ops *be = v->domain->hv->backend;

    if (__atomic_fetch_or(upcall, 1, __ATOMIC_SEQ_CST) & 1)
        return;
    if (be && be->kick)
        be->kick(v);
}

void evtchn_check_pollers(struct domain *d, evtchn_port_t port)
{
    const struct hv_backend_ops *be = d->hv->backend;

    /*
     * Pairs with the increment in sched_poll(): the poller publishes itself
     * and then tests the ports, we set the pending bit (a locked RMW) and
     * then test for pollers, so one of the two sees the other.
     */
    if (!__atomic_load_n(&d->nr_pollers, __ATOMIC_SEQ_CST))
        return;
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        uint32_t p = __atomic_load_n(&v->poll_port, __ATOMIC_SEQ_CST);

        if (p == VCPU_POLL_NONE || (p != VCPU_POLL_MANY && p != port))
            continue;
        if (!__atomic_compare_exchange_n(&v->poll_port, &p, VCPU_POLL_NONE,
                                         false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST))
            continue;
        if (be && be->wake)
            be->wake(v);
    }
}

int evtchn_port_state(struct domain *d, evtchn_port_t port)
{
    struct evtchn *chn = evtchn_from_port(d, port);

    return chn ? chn->state : -XEN_EINVAL;
}

bool evtchn_port_is_pending(struct domain *d, evtchn_port_t port)
{
    struct evtchn *chn = evtchn_from_port(d, port);
    bool pending;

    if (!chn)
        return false;
    pthread_mutex_lock(&d->event_lock);
    pending = d->evtchn_ops->is_pending(d, chn);
    pthread_mutex_unlock(&d->event_lock);
    return pending;
}

bool evtchn_port_is_masked(struct domain *d, evtchn_port_t port)
{
    struct evtchn *chn = evtchn_from_port(d, port);
    bool masked;

    if (!chn)
        return true;
    pthread_mutex_lock(&d->event_lock);
    masked = d->evtchn_ops->is_masked(d, chn);
    pthread_mutex_unlock(&d->event_lock);
    return masked;
}

bool evtchn_domain_is_fifo(struct domain *d)
{
    return evtchn_ops(d) == &evtchn_port_ops_fifo;
}
