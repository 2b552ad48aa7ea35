/*
 * evtchn.c: the ABI-independent event-channel operations, with Xen's
 * semantics and error codes, checked in Xen's order.
 *
 * Locking: a domain's event_lock covers its port table.  Operations that
 * touch two domains (bind_interdomain, close of an interdomain port) take
 * both event_locks, lower domid first.  send raises the event on the peer
 * while holding its own event_lock, which keeps the link stable (closing
 * needs both locks), and the peer's abi_lock for reading, which keeps the
 * peer's ABI from switching underneath.
 */
#include <pthread.h>

#include "evtchn_private.h"

enum virq_type { VIRQ_TYPE_VCPU, VIRQ_TYPE_DOMAIN, VIRQ_TYPE_GLOBAL };

/*
 * The first Xen whose bind_virq refuses a global VIRQ to a domain that is
 * not its handler (-EBUSY, commit eba922abdb) and that treats VIRQ_ARGO as
 * a per-domain VIRQ (commit bb1accab69): Xen 4.21.0.
 */
#define XENEMU_VIRQ_OWNER_VERSION XENEMU_VERSION(4, 21)

/*
 * The class of (virq) as (d)'s emulated Xen sees it.  Up to 4.20
 * (xen/common/event_channel.c:virq_is_global()) TIMER, DEBUG, XENOPROF and
 * XENPMU are per-vCPU and everything else, ARGO and ARCH_0..7 on x86
 * included, is global.  4.21 (get_virq_type()) moves ARGO to a per-domain
 * class of its own.  Per-vCPU VIRQs are bound once per vCPU; the others on
 * vCPU 0, and they may move.
 */
static enum virq_type virq_type(const struct domain *d, uint32_t virq)
{
    switch (virq) {
    case VIRQ_TIMER:
    case VIRQ_DEBUG:
    case VIRQ_XENOPROF:
    case VIRQ_XENPMU:
        return VIRQ_TYPE_VCPU;
    case VIRQ_ARGO:
        return d->xen_version >= XENEMU_VIRQ_OWNER_VERSION ? VIRQ_TYPE_DOMAIN
                                                           : VIRQ_TYPE_GLOBAL;
    default:
        return VIRQ_TYPE_GLOBAL;
    }
}

static void lock_pair(struct domain *a, struct domain *b)
{
    if (a == b) {
        pthread_mutex_lock(&a->event_lock);
    } else if (a->domid < b->domid) {
        pthread_mutex_lock(&a->event_lock);
        pthread_mutex_lock(&b->event_lock);
    } else {
        pthread_mutex_lock(&b->event_lock);
        pthread_mutex_lock(&a->event_lock);
    }
}

static void unlock_pair(struct domain *a, struct domain *b)
{
    pthread_mutex_unlock(&a->event_lock);
    if (a != b)
        pthread_mutex_unlock(&b->event_lock);
}

int evtchn_alloc_unbound(struct domain *d, struct evtchn_alloc_unbound *op)
{
    struct domain *ud = domain_get_by_any_id(d, op->dom);
    evtchn_port_t port;
    struct evtchn *chn;
    int rc;

    if (!ud)
        return -XEN_ESRCH;
    pthread_mutex_lock(&ud->event_lock);
    /* Xen looks for a port before it asks XSM: -ENOSPC wins over -EPERM. */
    rc = evtchn_get_free_port(ud, &port);
    if (rc == 0 && !domain_may_control(d, ud))
        rc = -XEN_EPERM;
    if (rc == 0) {
        chn = evtchn_claim_port(ud, port, ECS_UNBOUND, 0);
        /* DOMID_SELF names the caller, not (dom); Xen checks no further. */
        chn->u.unbound_remote =
            op->remote_dom == DOMID_SELF ? d->domid : op->remote_dom;
        op->port = port;
    }
    pthread_mutex_unlock(&ud->event_lock);
    domain_put(ud);
    return rc;
}

int evtchn_bind_interdomain(struct domain *d,
                            struct evtchn_bind_interdomain *op)
{
    domid_t rdom = op->remote_dom == DOMID_SELF ? d->domid : op->remote_dom;
    struct domain *rd = domain_get(d->hv, rdom);
    struct evtchn *lchn, *rchn;
    evtchn_port_t lport;
    int rc;

    if (!rd)
        return -XEN_ESRCH;
    lock_pair(d, rd);
    /* Xen allocates the local port before it looks at the remote one. */
    rc = evtchn_get_free_port(d, &lport);
    if (rc)
        goto out;
    rchn = evtchn_from_port(rd, op->remote_port);
    if (!rchn || rchn->state != ECS_UNBOUND ||
        rchn->u.unbound_remote != d->domid) {
        rc = -XEN_EINVAL;
        goto out;
    }
    lchn = evtchn_claim_port(d, lport, ECS_INTERDOMAIN, 0);
    lchn->u.interdomain.dom = rd;
    lchn->u.interdomain.port = rchn->port;
    rchn->state = ECS_INTERDOMAIN;
    rchn->u.interdomain.dom = d;
    rchn->u.interdomain.port = lport;
    /* The peer may have sent while the port was unbound: always start
     * with the new local port pending. */
    evtchn_raise(d, lchn);
    op->local_port = lport;
out:
    unlock_pair(d, rd);
    domain_put(rd);
    return rc;
}

/*
 * Xen's evtchn_bind_virq().  Until 4.20 any domain may bind a global VIRQ
 * on vCPU 0 and gets a port that only the VIRQ's handler would ever see
 * raised; from 4.21 a domain that is not the handler gets -EBUSY, checked
 * under the lock before -EEXIST.  xenemu has no
 * XEN_DOMCTL_set_virq_handler, so the handler of every global VIRQ is the
 * hardware domain (the privileged one).
 */
int evtchn_bind_virq(struct domain *d, struct evtchn_bind_virq *op)
{
    uint32_t virq = op->virq;
    enum virq_type type;
    struct evtchn *chn;
    struct vcpu *v;
    int rc;

    if (virq >= NR_VIRQS)
        return -XEN_EINVAL;
    type = virq_type(d, virq);
    if (type != VIRQ_TYPE_VCPU && op->vcpu != 0)
        return -XEN_EINVAL;
    v = domain_vcpu(d, op->vcpu);
    if (!v)
        return -XEN_ENOENT;
    pthread_mutex_lock(&d->event_lock);
    if (type == VIRQ_TYPE_GLOBAL && !d->is_privileged &&
        d->xen_version >= XENEMU_VIRQ_OWNER_VERSION) {
        rc = -XEN_EBUSY;
        goto out;
    }
    if (v->virq_to_evtchn[virq]) {
        rc = -XEN_EEXIST;
        goto out;
    }
    rc = evtchn_alloc_channel(d, ECS_VIRQ, v->id, &chn);
    if (rc)
        goto out; /* nothing was changed yet */
    chn->u.virq = virq;
    __atomic_store_n(&v->virq_to_evtchn[virq], chn->port, __ATOMIC_RELEASE);
    op->port = chn->port;
out:
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

int evtchn_bind_ipi(struct domain *d, struct evtchn_bind_ipi *op)
{
    struct evtchn *chn;
    int rc;

    if (!domain_vcpu(d, op->vcpu))
        return -XEN_ENOENT;
    pthread_mutex_lock(&d->event_lock);
    rc = evtchn_alloc_channel(d, ECS_IPI, op->vcpu, &chn);
    if (rc == 0)
        op->port = chn->port;
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

/*
 * nr_pirqs of an x86 domU in Xen 4.17 (xen/common/domain.c:domain_create()):
 * nr_static_irqs, which on x86 is nr_irqs_gsi, plus extra_domU_irqs
 * (default 32).  nr_irqs_gsi is the host's GSI count, never below the 16
 * ISA IRQs; xenemu's virtual host has no IO-APIC pins beyond those.
 */
#define EVTCHN_NR_PIRQS (16u + 32u)

/* Is (pirq) bound to a port of (d)?  Caller holds d->event_lock.  Xen
 * keeps the port in its per-pirq record; bind_pirq is rare, so a scan of
 * the table saves the per-domain array. */
static bool pirq_bound(const struct domain *d, uint32_t pirq)
{
    for (uint32_t port = 1; port < d->valid_evtchns; port++) {
        const struct evtchn *chn = evtchn_slot(d, port);

        if (chn->state == ECS_PIRQ && chn->u.pirq == pirq)
            return true;
    }
    return false;
}

/*
 * Xen 4.17's evtchn_bind_pirq() for an HVM domain on x86: no permission
 * check and no physical binding (pirq_guest_bind() is PV only), so the
 * result is a PIRQ port on vCPU 0 that nothing ever raises, since xenemu
 * maps no PIRQ to an interrupt.  BIND_PIRQ__WILL_SHARE is ignored, as in
 * Xen for HVM.
 */
int evtchn_bind_pirq(struct domain *d, struct evtchn_bind_pirq *op)
{
    uint32_t pirq = op->pirq;
    struct evtchn *chn;
    int rc;

    if (pirq >= EVTCHN_NR_PIRQS)
        return -XEN_EINVAL;
    pthread_mutex_lock(&d->event_lock);
    if (pirq_bound(d, pirq)) {
        rc = -XEN_EEXIST;
        goto out;
    }
    rc = evtchn_alloc_channel(d, ECS_PIRQ, 0, &chn);
    if (rc)
        goto out;
    chn->u.pirq = pirq;
    op->port = chn->port;
out:
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

/* Undo what a VIRQ binding recorded on its vCPU(s). */
static void unbind_virq(struct domain *d, const struct evtchn *chn)
{
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];

        if (v->virq_to_evtchn[chn->u.virq] == chn->port)
            __atomic_store_n(&v->virq_to_evtchn[chn->u.virq], 0,
                             __ATOMIC_RELEASE);
    }
}

/*
 * Close (port) of (d).  An interdomain port needs the peer's lock too, taken
 * in domid order; if (d) had to be unlocked for that, the port is looked at
 * again, and a port re-bound meanwhile to another peer answers -EINVAL as
 * Xen does.
 */
int evtchn_close(struct domain *d, evtchn_port_t port)
{
    struct domain *peer = NULL;
    struct evtchn *chn, *rchn;
    int rc = 0;

again:
    pthread_mutex_lock(&d->event_lock);
    chn = evtchn_from_port(d, port);
    if (!chn || !evtchn_usable(chn)) {
        rc = -XEN_EINVAL;
        goto out;
    }
    switch (chn->state) {
    case ECS_VIRQ:
        unbind_virq(d, chn);
        break;
    case ECS_INTERDOMAIN:
        if (!peer) {
            peer = chn->u.interdomain.dom;
            /* The link keeps (peer) alive only while we hold our lock. */
            __atomic_fetch_add(&peer->refcnt, 1, __ATOMIC_RELAXED);
            if (peer != d && peer->domid < d->domid) {
                pthread_mutex_unlock(&d->event_lock);
                pthread_mutex_lock(&peer->event_lock);
                goto again;
            }
            if (peer != d)
                pthread_mutex_lock(&peer->event_lock);
        } else if (chn->u.interdomain.dom != peer) {
            rc = -XEN_EINVAL;
            goto out;
        }
        rchn = evtchn_from_port(peer, chn->u.interdomain.port);
        rchn->state = ECS_UNBOUND;
        rchn->u.unbound_remote = d->domid;
        break;
    default: /* ECS_UNBOUND, ECS_IPI, ECS_PIRQ (nothing routed to it) */
        break;
    }
    evtchn_free_channel(d, chn);
out:
    pthread_mutex_unlock(&d->event_lock);
    if (peer) {
        if (peer != d)
            pthread_mutex_unlock(&peer->event_lock);
        domain_put(peer);
    }
    return rc;
}

/* Raise the event on the peer end of (chn); (d)'s event_lock is held. */
static void send_interdomain(struct domain *d, const struct evtchn *chn)
{
    struct domain *rd = chn->u.interdomain.dom;
    struct evtchn *rchn;

    if (rd == d) {
        evtchn_raise(d, evtchn_from_port(d, chn->u.interdomain.port));
        return;
    }
    /* Our lock keeps the link; rd's abi_lock keeps rd's ABI in place. */
    pthread_rwlock_rdlock(&rd->abi_lock);
    rchn = evtchn_from_port(rd, chn->u.interdomain.port);
    evtchn_raise(rd, rchn);
    pthread_rwlock_unlock(&rd->abi_lock);
}

int evtchn_send(struct domain *d, evtchn_port_t port)
{
    struct evtchn *chn;
    int rc = 0;

    pthread_mutex_lock(&d->event_lock);
    chn = evtchn_from_port(d, port);
    if (!chn) {
        rc = -XEN_EINVAL;
        goto out;
    }
    switch (chn->state) {
    case ECS_INTERDOMAIN:
        send_interdomain(d, chn);
        break;
    case ECS_IPI:
        evtchn_raise(d, chn);
        break;
    case ECS_UNBOUND:
        break; /* nobody to tell: dropped, and Xen reports success */
    default:
        rc = -XEN_EINVAL;
        break;
    }
out:
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

int evtchn_status(struct domain *d, struct evtchn_status *op)
{
    struct domain *sd = domain_get_by_any_id(d, op->dom);
    struct evtchn *chn;
    int rc = 0;

    if (!sd)
        return -XEN_ESRCH;
    pthread_mutex_lock(&sd->event_lock);
    chn = evtchn_from_port(sd, op->port);
    if (!chn) {
        rc = -XEN_EINVAL; /* Xen checks the port before the permission */
        goto out;
    }
    if (!domain_may_control(d, sd)) {
        rc = -XEN_EPERM;
        goto out;
    }
    switch (chn->state) {
    case ECS_UNBOUND:
        op->status = EVTCHNSTAT_unbound;
        op->u.unbound.dom = chn->u.unbound_remote;
        break;
    case ECS_INTERDOMAIN:
        op->status = EVTCHNSTAT_interdomain;
        op->u.interdomain.dom = chn->u.interdomain.dom->domid;
        op->u.interdomain.port = chn->u.interdomain.port;
        break;
    case ECS_PIRQ:
        op->status = EVTCHNSTAT_pirq;
        op->u.pirq = chn->u.pirq;
        break;
    case ECS_VIRQ:
        op->status = EVTCHNSTAT_virq;
        op->u.virq = chn->u.virq;
        break;
    case ECS_IPI:
        op->status = EVTCHNSTAT_ipi;
        break;
    default: /* ECS_FREE, ECS_RESERVED */
        op->status = EVTCHNSTAT_closed;
        break;
    }
    op->vcpu = __atomic_load_n(&chn->notify_vcpu, __ATOMIC_RELAXED);
out:
    pthread_mutex_unlock(&sd->event_lock);
    domain_put(sd);
    return rc;
}

int evtchn_bind_vcpu(struct domain *d, evtchn_port_t port, uint32_t vcpu)
{
    struct evtchn *chn;
    int rc = 0;

    if (!domain_vcpu(d, vcpu))
        return -XEN_ENOENT;
    pthread_mutex_lock(&d->event_lock);
    chn = evtchn_from_port(d, port);
    if (!chn) {
        rc = -XEN_EINVAL;
        goto out;
    }
    switch (chn->state) {
    case ECS_VIRQ:
        if (virq_type(d, chn->u.virq) == VIRQ_TYPE_VCPU) {
            rc = -XEN_EINVAL; /* per-vCPU VIRQs stay where bound */
            break;
        }
        /* fall through */
    case ECS_UNBOUND:
    case ECS_INTERDOMAIN:
    case ECS_PIRQ: /* Xen also moves the IRQ's affinity: there is none */
        /* Raisers read notify_vcpu without our lock (the peer's send). */
        __atomic_store_n(&chn->notify_vcpu, vcpu, __ATOMIC_RELAXED);
        break;
    default: /* ECS_IPI, ECS_FREE, ECS_RESERVED */
        rc = -XEN_EINVAL;
        break;
    }
out:
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

int evtchn_unmask(struct domain *d, evtchn_port_t port)
{
    struct evtchn *chn;
    int rc = 0;

    pthread_mutex_lock(&d->event_lock);
    chn = evtchn_from_port(d, port);
    if (!chn)
        rc = -XEN_EINVAL;
    else if (evtchn_usable(chn)) /* a no-op on unusable channels */
        d->evtchn_ops->unmask(d, chn);
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

/* Ports closed between two preemption checks of EVTCHNOP_reset. */
#define RESET_PORTS_PER_STEP 64

/* Close ports of (d) from (port) on; HV_ERESTART after a step. */
static int reset_close_ports(struct domain *d, uint32_t port)
{
    for (; evtchn_from_port(d, port); port++) {
        evtchn_close(d, port); /* free ports answer -EINVAL: fine */
        if (port % RESET_PORTS_PER_STEP == 0) {
            pthread_mutex_lock(&d->event_lock);
            d->reset_next_port = port + 1;
            pthread_mutex_unlock(&d->event_lock);
            return HV_ERESTART;
        }
    }
    return 0;
}

/* End of a reset: back to 2-level unless ports were opened meanwhile. */
static int reset_finish(struct domain *d)
{
    int rc = 0;

    pthread_mutex_lock(&d->event_lock);
    d->reset_next_port = 0;
    if (d->active_evtchns > 0) {
        rc = -XEN_EAGAIN; /* XSA-343: bound concurrently with the reset */
    } else {
        evtchn_fifo_to_2l(d);
    }
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

int evtchn_reset(struct domain *caller, domid_t dom, bool resuming)
{
    struct domain *d = domain_get_by_any_id(caller, dom);
    uint32_t port;
    int rc;

    if (!d)
        return -XEN_ESRCH;
    rc = -XEN_EPERM;
    if (!domain_may_control(caller, d))
        goto out;
    rc = -XEN_EINVAL;
    pthread_mutex_lock(&d->event_lock);
    if (d != caller && !d->pause_count) {
        pthread_mutex_unlock(&d->event_lock);
        goto out; /* another domain's ports only while it is paused */
    }
    /* Start a reset, or continue the one in progress; else -EBUSY. */
    port = resuming ? d->reset_next_port : (d->reset_next_port ? 0 : 1);
    if (port)
        d->reset_next_port = port;
    pthread_mutex_unlock(&d->event_lock);
    rc = -XEN_EBUSY;
    if (!port)
        goto out;
    rc = reset_close_ports(d, port);
    if (rc == 0)
        rc = reset_finish(d);
out:
    domain_put(d);
    return rc;
}

void evtchn_send_vcpu_virq(struct vcpu *v, unsigned int virq)
{
    struct domain *d = v->domain;
    evtchn_port_t port;

    if (virq >= NR_VIRQS)
        return;
    pthread_mutex_lock(&d->event_lock);
    port = v->virq_to_evtchn[virq];
    if (port)
        evtchn_raise(d, evtchn_from_port(d, port));
    pthread_mutex_unlock(&d->event_lock);
}

void evtchn_send_domain_virq(struct domain *d, unsigned int virq)
{
    struct vcpu *v0 = domain_vcpu(d, 0);

    if (v0)
        evtchn_send_vcpu_virq(v0, virq);
}

int evtchn_poll_check(struct domain *d, evtchn_port_t port)
{
    struct evtchn *chn;
    int rc;

    pthread_mutex_lock(&d->event_lock);
    chn = evtchn_from_port(d, port);
    if (!chn || !evtchn_usable(chn))
        rc = -XEN_EINVAL; /* XSA-221: never-allocated ports included */
    else
        rc = d->evtchn_ops->is_pending(d, chn);
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

void evtchn_domain_close_all(struct domain *d)
{
    uint32_t valid = __atomic_load_n(&d->valid_evtchns, __ATOMIC_ACQUIRE);

    for (uint32_t port = 1; port < valid; port++)
        evtchn_close(d, port);
    pthread_mutex_lock(&d->event_lock);
    evtchn_fifo_to_2l(d);
    pthread_mutex_unlock(&d->event_lock);
}
