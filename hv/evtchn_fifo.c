/*
 * evtchn_fifo.c: the FIFO-based event-channel ABI: its port operations.
 * Entering and leaving the ABI is in evtchn_fifo_setup.c.
 *
 * Each port has a 32-bit event word in guest pages the guest hands over with
 * EVTCHNOP_expand_array (1024 words a page, up to 128 pages).  Each vCPU has
 * a control block (EVTCHNOP_init_control) with a ready bitmap and the heads
 * of 16 priority queues; the hypervisor links a newly pending, unmasked event
 * onto the tail of its queue through the LINK field of the previous tail's
 * word, and writes the queue head only when the queue was empty.
 *
 * What the guest may change in a LINKED word: set or clear MASKED, clear
 * PENDING, clear LINKED together with LINK (consuming the event).  It must
 * not clear MASKED while BUSY is set.  Only we write LINK (on a tail) and
 * head[] (of an empty queue).
 *
 * Locking: a vCPU's queues are protected by its fifo->lock.  An event is
 * linked under the lock of the vCPU it was last linked on (fifo_lastq) and
 * of the vCPU it is linked on now, taken in address order.
 */
#include <pthread.h>
#include <stdio.h>

#include "evtchn_fifo.h"

#define WORD_BIT(b) ((event_word_t)1 << (b))

/* How many times a raise retries when its event moves between queues. */
#define LASTQ_TRIES 3
/* How many times we retry linking against a guest changing the tail. */
#define LINK_TRIES 4

static bool word_test(const event_word_t *w, unsigned int bit)
{
    return __atomic_load_n(w, __ATOMIC_SEQ_CST) & WORD_BIT(bit);
}

static bool word_test_and_set(event_word_t *w, unsigned int bit)
{
    return __atomic_fetch_or(w, WORD_BIT(bit), __ATOMIC_SEQ_CST) &
           WORD_BIT(bit);
}

static void word_clear(event_word_t *w, unsigned int bit)
{
    __atomic_fetch_and(w, ~WORD_BIT(bit), __ATOMIC_SEQ_CST);
}

/* fifo_lastq: the vCPU id and priority of the queue an event was last
 * linked on (written under that queue's vCPU lock). */
static uint32_t lastq_make(unsigned int vcpu, unsigned int prio)
{
    return (uint32_t)vcpu << 8 | prio;
}

/*
 * Link (port) after the tail word (tail).  False when the tail is no longer
 * LINKED (the guest consumed it: the queue is empty and the caller must
 * write the head instead).  When the guest keeps changing the word, we set
 * BUSY, which stops the guest from unmasking it, and retry a bounded number
 * of times.
 */
static bool set_link(event_word_t *tail, evtchn_port_t port)
{
    event_word_t w = __atomic_load_n(tail, __ATOMIC_SEQ_CST);
    const event_word_t keep =
        ~(WORD_BIT(EVTCHN_FIFO_BUSY) | EVTCHN_FIFO_LINK_MASK);

    for (int try = 0; try <= LINK_TRIES; try++) {
        if (!(w & WORD_BIT(EVTCHN_FIFO_LINKED))) {
            /* Consumed while we retried: drop the BUSY we set, as Xen. */
            if (try > 0)
                word_clear(tail, EVTCHN_FIFO_BUSY);
            return false;
        }
        if (__atomic_compare_exchange_n(tail, &w, (w & keep) | port, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return true; /* BUSY cleared with the same store */
        if (try == 0)
            w = __atomic_or_fetch(tail, WORD_BIT(EVTCHN_FIFO_BUSY),
                                  __ATOMIC_SEQ_CST);
    }
    word_clear(tail, EVTCHN_FIFO_BUSY);
    fprintf(stderr, "xenemu: evtchn port %u not linked: guest contention\n",
            port);
    return true;
}

/* Lock the vCPU queues of (a) and (b) (possibly the same), address order. */
static void lock_two(struct evtchn_fifo_vcpu *a, struct evtchn_fifo_vcpu *b)
{
    if (a == b) {
        pthread_mutex_lock(&a->lock);
        return;
    }
    if (a > b) {
        struct evtchn_fifo_vcpu *t = a;
        a = b;
        b = t;
    }
    pthread_mutex_lock(&a->lock);
    pthread_mutex_lock(&b->lock);
}

static void unlock_two(struct evtchn_fifo_vcpu *a, struct evtchn_fifo_vcpu *b)
{
    pthread_mutex_unlock(&a->lock);
    if (a != b)
        pthread_mutex_unlock(&b->lock);
}

/* Lock (fv) and the vCPU of (chn)'s last queue; returns that vCPU's state,
 * or NULL when the last queue kept moving (the event is dropped, as Xen
 * drops it). */
static struct evtchn_fifo_vcpu *lock_queues(struct domain *d,
                                            struct evtchn *chn,
                                            struct evtchn_fifo_vcpu *fv,
                                            uint32_t *lastq)
{
    for (int try = 0; try < LASTQ_TRIES; try++) {
        uint32_t q = __atomic_load_n(&chn->fifo_lastq, __ATOMIC_ACQUIRE);
        struct vcpu *ov = domain_vcpu(d, q >> 8);
        struct evtchn_fifo_vcpu *old = ov ? ov->fifo : fv;

        lock_two(fv, old);
        if (__atomic_load_n(&chn->fifo_lastq, __ATOMIC_RELAXED) == q) {
            *lastq = q;
            return old;
        }
        unlock_two(fv, old);
    }
    fprintf(stderr, "xenemu: evtchn port %u dropped: queue kept moving\n",
            chn->port);
    return NULL;
}

/* Link the event of (port) on queue (prio) of (v); true if the queue was
 * empty (its head written).  Both queue locks are held. */
static bool link_event(struct vcpu *v, struct evtchn *chn,
                       struct evtchn_fifo_vcpu *old, uint32_t lastq,
                       unsigned int prio)
{
    struct evtchn_fifo_queue *q = &v->fifo->queue[prio];
    struct evtchn_fifo_queue *oq = &old->queue[lastq & 0xff];
    evtchn_port_t port = chn->port;
    bool linked = false;

    /* Our event was the old queue's tail and the guest consumed it: that
     * queue is empty, and must not link anything after our word. */
    if (oq->tail == port)
        oq->tail = 0;
    if (oq != q)
        __atomic_store_n(&chn->fifo_lastq, lastq_make(v->id, prio),
                         __ATOMIC_RELEASE);
    if (q->tail) {
        event_word_t *tail = event_word(v->domain, q->tail);

        linked = tail && set_link(tail, port);
    }
    if (!linked)
        __atomic_store_n(q->head, port, __ATOMIC_RELEASE);
    q->tail = port;
    return !linked;
}

static void evtchn_fifo_set_pending(struct vcpu *v, struct evtchn *chn)
{
    struct domain *d = v->domain;
    struct evtchn_fifo_vcpu *fv = v->fifo, *old;
    struct evtchn_fifo_control_block *cb;
    event_word_t *word = event_word(d, chn->port);
    unsigned int prio = __atomic_load_n(&chn->priority, __ATOMIC_RELAXED);
    bool was_pending, new_head = false;
    uint32_t lastq;

    if (!word) {
        /* No event word yet: expand_array raises it when the page comes. */
        __atomic_store_n(&chn->fifo_pending, true, __ATOMIC_RELAXED);
        return;
    }
    /* No control block on (v): dropped, without even PENDING (XSA-107). */
    cb = __atomic_load_n(&fv->cb, __ATOMIC_ACQUIRE);
    if (!cb)
        return;
    old = lock_queues(d, chn, fv, &lastq);
    if (!old)
        return;
    was_pending = word_test_and_set(word, EVTCHN_FIFO_PENDING);
    if (!word_test(word, EVTCHN_FIFO_MASKED) &&
        !word_test_and_set(word, EVTCHN_FIFO_LINKED))
        new_head = link_event(v, chn, old, lastq, prio);
    unlock_two(fv, old);

    if (new_head &&
        !(__atomic_fetch_or(&cb->ready, 1u << prio, __ATOMIC_SEQ_CST) &
          (1u << prio)))
        vcpu_mark_events_pending(v);
    if (!was_pending)
        evtchn_check_pollers(d, chn->port);
}

static void evtchn_fifo_clear_pending(struct domain *d, struct evtchn *chn)
{
    event_word_t *word = event_word(d, chn->port);

    if (word)
        word_clear(word, EVTCHN_FIFO_PENDING);
}

static void evtchn_fifo_unmask(struct domain *d, struct evtchn *chn)
{
    event_word_t *word = event_word(d, chn->port);
    uint32_t id = __atomic_load_n(&chn->notify_vcpu, __ATOMIC_RELAXED);
    struct vcpu *v = domain_vcpu(d, id);

    if (!word || !v)
        return;
    word_clear(word, EVTCHN_FIFO_MASKED);
    if (word_test(word, EVTCHN_FIFO_PENDING))
        evtchn_fifo_set_pending(v, chn); /* relink */
}

static bool evtchn_fifo_is_pending(const struct domain *d,
                                   const struct evtchn *chn)
{
    const event_word_t *word = event_word(d, chn->port);

    return word && word_test(word, EVTCHN_FIFO_PENDING);
}

static bool evtchn_fifo_is_masked(const struct domain *d,
                                  const struct evtchn *chn)
{
    const event_word_t *word = event_word(d, chn->port);

    return !word || word_test(word, EVTCHN_FIFO_MASKED);
}

static bool evtchn_fifo_is_busy(const struct domain *d,
                                const struct evtchn *chn)
{
    const event_word_t *word = event_word(d, chn->port);

    return word && word_test(word, EVTCHN_FIFO_LINKED);
}

static int evtchn_fifo_set_priority(struct domain *d, struct evtchn *chn,
                                    uint32_t priority)
{
    (void)d;
    if (priority > EVTCHN_FIFO_PRIORITY_MIN)
        return -XEN_EINVAL;
    /* Only later links use it; an event already linked stays queued. */
    __atomic_store_n(&chn->priority, (uint8_t)priority, __ATOMIC_RELAXED);
    return 0;
}

static uint32_t evtchn_fifo_max_ports(const struct domain *d)
{
    (void)d;
    return EVTCHN_FIFO_NR_CHANNELS;
}

const struct evtchn_port_ops evtchn_port_ops_fifo = {
    .max_ports = evtchn_fifo_max_ports,
    .set_pending = evtchn_fifo_set_pending,
    .clear_pending = evtchn_fifo_clear_pending,
    .unmask = evtchn_fifo_unmask,
    .is_pending = evtchn_fifo_is_pending,
    .is_masked = evtchn_fifo_is_masked,
    .is_busy = evtchn_fifo_is_busy,
    .set_priority = evtchn_fifo_set_priority,
};
