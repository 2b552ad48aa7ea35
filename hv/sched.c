/*
 * sched.c: __HYPERVISOR_sched_op and __HYPERVISOR_set_timer_op, as Xen's
 * do_sched_op() and do_set_timer_op(): yielding, blocking and polling
 * (the waiting itself is the backend's block()), domain shutdown, the
 * domain watchdog (SCHEDOP_watchdog), SCHEDOP_pin_override, and the
 * per-vCPU one-shot timer.
 */
#include <stddef.h>
#include <string.h>

#include "hypercalls.h"
#include "xenemu/compat.h"
#include "xenemu/evtchn.h"
#include "xenemu/hvm.h"
#include "xenemu/runstate.h"
#include "xenemu/sched.h"

/* SCHEDOP_poll's limit on ports (Xen: "fairly arbitrary"). */
#define POLL_MAX_PORTS 128u

/*
 * set_timer_op: a deadline at least 2^50 ns (about 13 days) ahead, or
 * negative as a signed value, is taken for a guest's wrapped jiffies
 * arithmetic and replaced by "100 ms from now", as Xen does.
 */
#define TIMER_FAR_NS      (1ull << 50)
#define TIMER_FALLBACK_NS 100000000ull

static const struct hv_backend_ops *backend_of(const struct domain *d)
{
    return d->hv->backend;
}

/* ---- timers ---- */

/*
 * A vCPU has two timers, the one-shot (set_timer_op,
 * VCPUOP_set_singleshot_timer) and the periodic (VCPUOP_set_periodic_timer),
 * both raising VIRQ_TIMER.  The backend runs one host timer per vCPU, armed
 * at the earlier of the two (vcpu_timer_next()); vcpu_timer_fire() raises
 * whichever is due.  timer_lock makes the check and the raise of a fire one
 * step against a re-arm, so once a guest's set returns, no event of its old
 * deadline can still arrive (regression: the guest's timer test saw one as
 * the new deadline firing early).
 */

/* The earlier armed deadline of (v)'s two timers, 0 if neither is. */
static uint64_t next_deadline(const struct vcpu *v)
{
    /* Pairs with the release stores in vcpu_timer_set() (the periodic
     * fields are under timer_lock, which callers hold). */
    return deadline_min(__atomic_load_n(&v->timer_deadline, __ATOMIC_ACQUIRE),
                        v->periodic_next);
}

uint64_t vcpu_timer_next(struct vcpu *v)
{
    uint64_t next;

    pthread_mutex_lock(&v->timer_lock);
    next = next_deadline(v);
    pthread_mutex_unlock(&v->timer_lock);
    return next;
}

/* Tell the backend the new earliest deadline.  Caller holds timer_lock. */
static void timer_reprogram(struct vcpu *v)
{
    const struct hv_backend_ops *be = backend_of(v->domain);

    if (be && be->timer_changed)
        be->timer_changed(v, next_deadline(v));
}

void vcpu_timer_set(struct vcpu *v, uint64_t deadline_ns)
{
    /* Xen's deadlines are signed (s_time_t): 2^63 and above lie in the
     * past and expire at once, as does anything up to now. */
    bool expired = deadline_ns && ((int64_t)deadline_ns < 0 ||
                                   deadline_ns <= hv_now_ns(v->domain->hv));
    uint64_t armed = expired ? 0 : deadline_ns;

    pthread_mutex_lock(&v->timer_lock);
    /* Pairs with the acquire loads in next_deadline() and
     * vcpu_timer_fire(). */
    __atomic_store_n(&v->timer_deadline, armed, __ATOMIC_RELEASE);
    timer_reprogram(v);
    /* Xen's set_timer() with a past expiry runs the handler at once. */
    if (expired)
        evtchn_send_vcpu_virq(v, VIRQ_TIMER);
    pthread_mutex_unlock(&v->timer_lock);
}

/* Xen's vcpu_periodic_timer_work_locked(): an event when a period has
 * passed since the last one (which starts at system time 0), then the
 * next one period from the last.  Caller holds timer_lock. */
static bool periodic_work(struct vcpu *v, uint64_t now)
{
    bool due = now >= v->periodic_last + v->periodic_period;

    if (due)
        v->periodic_last = now;
    v->periodic_next = v->periodic_last + v->periodic_period;
    return due;
}

void vcpu_periodic_set(struct vcpu *v, uint64_t period_ns)
{
    uint64_t now = hv_now_ns(v->domain->hv);
    bool raise = false;

    pthread_mutex_lock(&v->timer_lock);
    v->periodic_period = period_ns;
    v->periodic_next = 0;
    if (period_ns)
        raise = periodic_work(v, now);
    timer_reprogram(v);
    if (raise)
        evtchn_send_vcpu_virq(v, VIRQ_TIMER);
    pthread_mutex_unlock(&v->timer_lock);
}

void vcpu_timer_fire(struct vcpu *v)
{
    uint64_t now = hv_now_ns(v->domain->hv);
    bool raise = false;

    pthread_mutex_lock(&v->timer_lock);
    /* Pairs with the release store in vcpu_timer_set(). */
    uint64_t one = __atomic_load_n(&v->timer_deadline, __ATOMIC_ACQUIRE);

    if (one && one <= now) {
        __atomic_store_n(&v->timer_deadline, 0, __ATOMIC_RELEASE);
        raise = true;
    }
    /* One event however many periods passed (periodic_work()). */
    if (v->periodic_next && v->periodic_next <= now && periodic_work(v, now))
        raise = true;
    if (raise) {
        timer_reprogram(v);
        evtchn_send_vcpu_virq(v, VIRQ_TIMER);
    }
    pthread_mutex_unlock(&v->timer_lock);
}

long do_set_timer_op(struct hv_call *call, uint64_t args[5])
{
    struct vcpu *v = call->v;
    /* Compat passes the 64-bit timeout in two registers, low half first. */
    uint64_t timeout =
        call->compat ? (args[0] & UINT32_MAX) | (args[1] << 32) : args[0];
    uint64_t now = hv_now_ns(v->domain->hv);

    if (timeout && ((int64_t)timeout < 0 ||
                    (timeout > now && timeout - now >= TIMER_FAR_NS)))
        timeout = now + TIMER_FALLBACK_NS;
    vcpu_timer_set(v, timeout);
    hv_call_side_effects(call);
    return 0;
}

/* ---- shutdown ---- */

void sched_record_shutdown_code(struct domain *d, unsigned int reason)
{
    unsigned int none = 0;

    /* The first code wins (Xen's SHUTDOWN_CODE_INVALID check); pairs with
     * the acquire load in sched_domain_shutdown(). */
    __atomic_compare_exchange_n(&d->shutdown_code, &none,
                                DOMAIN_SHUTDOWN_CODE_SET | (reason & 0xffu),
                                false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

void sched_domain_shutdown(struct domain *d, unsigned int reason)
{
    const struct hv_backend_ops *be = backend_of(d);
    unsigned int code;

    sched_record_shutdown_code(d, reason);
    /* Pairs with the CAS in sched_record_shutdown_code(). */
    code = __atomic_load_n(&d->shutdown_code, __ATOMIC_ACQUIRE) & 0xffu;
    if (__atomic_load_n(&d->is_shutdown, __ATOMIC_ACQUIRE))
        return;
    /* Racing first shutdowns all store the same (first) code; the store
     * is published by the exchange below, which picks the one caller that
     * tells the backend. */
    __atomic_store_n(&d->shutdown_reason, code, __ATOMIC_RELAXED);
    if (__atomic_exchange_n(&d->is_shutdown, true, __ATOMIC_ACQ_REL))
        return;
    if (be && be->shutdown)
        be->shutdown(d, code);
}

static long sched_shutdown(struct hv_call *call, uint64_t arg, bool code_only)
{
    struct domain *d = call->v->domain;
    struct sched_shutdown op;

    if (copy_from_guest(call, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    /* The reason is not validated: Xen records any value (as u8). */
    if (code_only)
        sched_record_shutdown_code(d, op.reason);
    else
        sched_domain_shutdown(d, op.reason);
    hv_call_side_effects(call);
    return 0;
}

static long sched_remote_shutdown(struct hv_call *call, uint64_t arg)
{
    struct domain *caller = call->v->domain, *d;
    struct sched_remote_shutdown op;
    long rc = 0;

    if (copy_from_guest(call, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    /* A real id only: Xen looks it up with rcu_lock_domain_by_id(). */
    d = domain_get(caller->hv, op.domain_id);
    if (!d)
        return -XEN_ESRCH;
    /* XSM_DM_PRIV: only the control domain (no device-model targets). */
    if (!caller->is_privileged) {
        rc = -XEN_EPERM;
    } else {
        sched_domain_shutdown(d, op.reason);
        hv_call_side_effects(call);
    }
    domain_put(d);
    return rc;
}

/* ---- block and poll ---- */

/*
 * Xen's local_events_need_delivery() for an HVM vCPU, as far as the core
 * can know it: an NMI waits (only the NMI and interrupt shadows, which the
 * core does not see, would hold it back), or an upcall is pending, there
 * is a vector to take it through (a per-vCPU upcall vector or a
 * callback-via of type vector: a GSI or PCI INTx via reaches no vIOAPIC or
 * vPIC here) and the vCPU can take it now (interrupts enabled).  Not seen:
 * the STI / MOV-SS shadow and the TPR.
 */
static bool events_need_delivery(const struct hv_call *call)
{
    const struct vcpu *v = call->v;

    /* Pairs with the exchange in VCPUOP_send_nmi (hv/vcpu_op.c) and the
     * backend's taking it (an exchange, e.g. backend/kvm/irq.c). */
    if (__atomic_load_n(&v->nmi_pending, __ATOMIC_ACQUIRE))
        return true;
    return call->irqs_on && vcpu_upcall_pending(v) && hvm_callback_vector(v);
}

static long sched_block(struct hv_call *call)
{
    struct vcpu *v = call->v;
    const struct hv_backend_ops *be = backend_of(v->domain);
    uint8_t *mask = (uint8_t *)vcpu_info_of(v) +
                    offsetof(struct vcpu_info, evtchn_upcall_mask);

    /* Xen enables event delivery before blocking (the mask byte is at the
     * same offset in both layouts; HVM guests ignore it). */
    __atomic_store_n(mask, 0, __ATOMIC_SEQ_CST);
    hv_call_side_effects(call);
    /* With interrupts off a pending upcall does not end the block (nor
     * does it kick again): a guest must block with interrupts on. */
    if (events_need_delivery(call))
        return 0;
    if (be && be->block) {
        runstate_change(v, RUNSTATE_blocked);
        be->block(v, vcpu_timer_next(v));
        runstate_change(v, RUNSTATE_running);
    }
    return 0;
}

struct poll_args {
    uint64_t ports; /* guest address of the evtchn_port_t array */
    uint32_t nr_ports;
    uint64_t timeout; /* absolute system time, 0 = none */
};

/* A 64-bit guest handle holds the guest address of the array. */
static uint64_t handle_addr(const void *handle)
{
    uint64_t addr;

    memcpy(&addr, handle, sizeof(addr));
    return addr;
}

static int poll_args_read(struct hv_call *call, uint64_t arg,
                          struct poll_args *p)
{
    if (call->compat) {
        struct compat_sched_poll c;

        if (copy_from_guest(call, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        p->ports = c.ports;
        p->nr_ports = c.nr_ports;
        p->timeout = c.timeout_lo | (uint64_t)c.timeout_hi << 32;
    } else {
        struct sched_poll n;

        _Static_assert(sizeof(n.ports) == sizeof(uint64_t), "handle size");
        if (copy_from_guest(call, &n, arg, sizeof(n)))
            return -XEN_EFAULT;
        p->ports = handle_addr(&n.ports);
        p->nr_ports = n.nr_ports;
        p->timeout = n.timeout;
    }
    return 0;
}

/*
 * Read the ports array up to the first entry that cannot be read; returns
 * how many were read.  Xen reads one entry at a time while it checks them
 * (-EFAULT only once it reaches the unreadable one); reading ahead lets a
 * single-port poll publish its port before the checks.
 */
static uint32_t poll_ports_read(struct hv_call *call, const struct poll_args *p,
                                evtchn_port_t *ports)
{
    uint32_t n = 0;

    if (!copy_from_guest(call, ports, p->ports, p->nr_ports * sizeof(ports[0])))
        return p->nr_ports;
    while (n < p->nr_ports &&
           !copy_from_guest(call, &ports[n], p->ports + n * sizeof(ports[0]),
                            sizeof(ports[0])))
        n++;
    return n;
}

/*
 * Xen's do_poll() checks, in its order: 1 if the poll is over (events need
 * delivery, or a polled port is pending), 0 if it must wait, -EINVAL for
 * a port that is not a usable channel, -EFAULT on reaching an entry that
 * could not be read (only the first (nread) of (nr_ports) were).
 */
static int poll_ready(const struct hv_call *call, const evtchn_port_t *ports,
                      uint32_t nread, uint32_t nr_ports)
{
    struct vcpu *v = call->v;

    if (events_need_delivery(call))
        return 1;
    for (uint32_t i = 0; i < nread; i++) {
        int rc = evtchn_poll_check(v->domain, ports[i]);

        if (rc)
            return rc;
    }
    return nread < nr_ports ? -XEN_EFAULT : 0;
}

static long sched_poll(struct hv_call *call, uint64_t arg)
{
    struct vcpu *v = call->v;
    struct domain *d = v->domain;
    const struct hv_backend_ops *be = backend_of(d);
    evtchn_port_t ports[POLL_MAX_PORTS];
    struct poll_args p;
    uint32_t polling, nread;
    enum hv_fault fault;
    int rc = poll_args_read(call, arg, &p);

    if (rc)
        return rc;
    if (p.nr_ports > POLL_MAX_PORTS)
        return -XEN_EINVAL;
    /* (Xen's guest_handle_okay() always holds for an HVM guest.) */
    fault = call->fault;
    nread = poll_ports_read(call, &p, ports);
    /* Only a single-port poll is woken by that port alone (as Xen). */
    polling = p.nr_ports == 1 && nread == 1 ? ports[0] : VCPU_POLL_MANY;
    /*
     * Publish, then test the ports.  Pairs with evtchn_check_pollers(),
     * which sets a pending bit and then reads nr_pollers and poll_port
     * (all seq_cst): either we see the bit or it sees us and wakes us.
     */
    __atomic_store_n(&v->poll_port, polling, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&d->nr_pollers, 1, __ATOMIC_SEQ_CST);
    rc = poll_ready(call, ports, nread, p.nr_ports);
    /* A fault reading ahead that Xen would not have reached is not the
     * call's. */
    if (rc != -XEN_EFAULT)
        call->fault = fault;
    /* A raiser that already claimed us (poll_port cleared) has woken us. */
    if (rc == 0 && be && be->block &&
        __atomic_load_n(&v->poll_port, __ATOMIC_SEQ_CST) == polling) {
        runstate_change(v, RUNSTATE_blocked);
        be->block(v, p.timeout);
        runstate_change(v, RUNSTATE_running);
    }
    __atomic_store_n(&v->poll_port, VCPU_POLL_NONE, __ATOMIC_SEQ_CST);
    __atomic_fetch_sub(&d->nr_pollers, 1, __ATOMIC_SEQ_CST);
    return rc < 0 ? rc : 0;
}

/* ---- watchdog ---- */

/*
 * SCHEDOP_watchdog, as Xen's domain_watchdog(): DOMAIN_WATCHDOG_SLOTS
 * slots per domain, each a one-shot deadline; when one passes the domain
 * shuts down with SHUTDOWN_watchdog.  The slots are under d->event_lock;
 * the backend runs one host timer per domain, armed at the earliest
 * deadline (watchdog_changed()), and calls sched_watchdog_fire() when it
 * passes.
 */

/* The earliest armed deadline of (d), 0 if none.  Caller holds
 * event_lock. */
static uint64_t watchdog_next(const struct domain *d)
{
    uint64_t next = 0;

    for (unsigned int i = 0; i < DOMAIN_WATCHDOG_SLOTS; i++)
        next = deadline_min(next, d->watchdog_deadline[i]);
    return next;
}

uint64_t sched_watchdog_next(struct domain *d)
{
    uint64_t next;

    pthread_mutex_lock(&d->event_lock);
    next = watchdog_next(d);
    pthread_mutex_unlock(&d->event_lock);
    return next;
}

/* Tell the backend the earliest deadline.  Caller holds event_lock, so
 * the backend hears of changes in order. */
static void watchdog_reprogram(struct domain *d)
{
    const struct hv_backend_ops *be = backend_of(d);

    if (be && be->watchdog_changed)
        be->watchdog_changed(d, watchdog_next(d));
}

/* Disarm the slots whose deadline has passed; true if there was one.
 * Caller holds event_lock. */
static bool watchdog_expire(struct domain *d, uint64_t now)
{
    bool fired = false;

    for (unsigned int i = 0; i < DOMAIN_WATCHDOG_SLOTS; i++) {
        if (d->watchdog_deadline[i] && d->watchdog_deadline[i] <= now) {
            /* The slot stays in use (Xen keeps its bit after a fire). */
            d->watchdog_deadline[i] = 0;
            fired = true;
        }
    }
    return fired;
}

/* A slot fired: Xen's domain_watchdog_timeout(), which leaves a domain
 * that is already shutting down or dying alone. */
static void watchdog_shutdown(struct domain *d)
{
    /* Pair with the exchanges in sched_domain_shutdown() and
     * domain_destroy() (hv/domain.c); a shutdown racing past this check
     * still wins, as sched_domain_shutdown() keeps the first. */
    if (__atomic_load_n(&d->is_shutdown, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&d->is_dying, __ATOMIC_ACQUIRE))
        return;
    sched_domain_shutdown(d, SHUTDOWN_watchdog);
}

void sched_watchdog_fire(struct domain *d)
{
    bool fired;

    pthread_mutex_lock(&d->event_lock);
    fired = watchdog_expire(d, hv_now_ns(d->hv));
    if (fired)
        watchdog_reprogram(d);
    pthread_mutex_unlock(&d->event_lock);
    if (fired)
        watchdog_shutdown(d);
}

static long sched_watchdog(struct hv_call *call, uint64_t arg)
{
    struct domain *d = call->v->domain;
    struct sched_watchdog op;
    uint64_t now, deadline;
    unsigned int slot;
    bool fired;
    long rc;

    if (copy_from_guest(call, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.id > DOMAIN_WATCHDOG_SLOTS)
        return -XEN_EINVAL;
    now = hv_now_ns(d->hv);
    /* Seconds, from now; up to 2^32 s fits a signed 64-bit deadline. */
    deadline = now + (uint64_t)op.timeout * 1000000000u;

    pthread_mutex_lock(&d->event_lock);
    if (op.id == 0) {
        /* A new slot, armed even for a timeout of 0 (it fires at once). */
        for (slot = 0; slot < DOMAIN_WATCHDOG_SLOTS; slot++)
            if (!(d->watchdog_inuse & (1u << slot)))
                break;
        if (slot == DOMAIN_WATCHDOG_SLOTS) {
            rc = -XEN_ENOSPC;
        } else {
            d->watchdog_inuse |= 1u << slot;
            d->watchdog_deadline[slot] = deadline;
            rc = slot + 1;
        }
    } else {
        slot = op.id - 1;
        if (!(d->watchdog_inuse & (1u << slot))) {
            rc = -XEN_EINVAL;
        } else if (op.timeout == 0) {
            d->watchdog_deadline[slot] = 0; /* stop it and free the slot */
            d->watchdog_inuse &= ~(1u << slot);
            rc = 0;
        } else {
            d->watchdog_deadline[slot] = deadline;
            rc = 0;
        }
    }
    /* A deadline of now has passed: fire it here rather than hand the
     * backend a timer that is already due. */
    fired = rc >= 0 && watchdog_expire(d, now);
    if (rc >= 0)
        watchdog_reprogram(d);
    pthread_mutex_unlock(&d->event_lock);
    if (rc >= 0)
        hv_call_side_effects(call);
    if (fired)
        watchdog_shutdown(d);
    return rc;
}

/*
 * SCHEDOP_pin_override: only the hardware domain may pin (-EPERM before
 * the argument is read).  xenemu's hardware domain is dom0, the host: it
 * has no pCPUs to pin to and so never an override to clear, which Xen's
 * vcpu_temporary_affinity() answers -EINVAL.
 */
static long sched_pin_override(struct hv_call *call, uint64_t arg)
{
    struct sched_pin_override op;

    if (call->v->domain->domid != 0)
        return -XEN_EPERM;
    if (copy_from_guest(call, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    return -XEN_EINVAL;
}

long do_sched_op(struct hv_call *call, uint64_t args[5])
{
    uint32_t cmd = (uint32_t)args[0];

    switch (cmd) {
    case SCHEDOP_yield:
        return 0; /* the backend's scheduler decides; nothing to do */
    case SCHEDOP_block:
        return sched_block(call);
    case SCHEDOP_shutdown:
        return sched_shutdown(call, args[1], false);
    case SCHEDOP_poll:
        return sched_poll(call, args[1]);
    case SCHEDOP_remote_shutdown:
        return sched_remote_shutdown(call, args[1]);
    case SCHEDOP_shutdown_code:
        return sched_shutdown(call, args[1], true);
    case SCHEDOP_watchdog:
        return sched_watchdog(call, args[1]);
    case SCHEDOP_pin_override:
        return sched_pin_override(call, args[1]);
    default:
        return -XEN_ENOSYS;
    }
}
