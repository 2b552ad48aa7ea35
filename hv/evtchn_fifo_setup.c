/*
 * evtchn_fifo_setup.c: entering and leaving the FIFO ABI.
 *
 * The first EVTCHNOP_init_control gives every vCPU its queues, maps the
 * named vCPU's control block and switches the domain's port ops to FIFO;
 * events pending under 2-level are carried over and re-raised as the pages
 * of the event array arrive (EVTCHNOP_expand_array).  EVTCHNOP_reset
 * (evtchn.c) returns to 2-level through evtchn_fifo_to_2l().
 */
#include <pthread.h>

#include "evtchn_fifo.h"

static void fifo_free(struct domain *d)
{
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];

        if (!v->fifo)
            continue;
        pthread_mutex_destroy(&v->fifo->lock);
        hv_free(v->fifo, sizeof(*v->fifo));
        v->fifo = NULL;
    }
    hv_free(d->fifo, sizeof(*d->fifo));
    d->fifo = NULL;
}

/* Allocate the FIFO state of (d) and its vCPUs (not yet in use). */
static int fifo_alloc(struct domain *d)
{
    d->fifo = hv_zalloc(sizeof(*d->fifo));
    if (!d->fifo)
        return -XEN_ENOMEM;
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct evtchn_fifo_vcpu *fv = hv_zalloc(sizeof(*fv));

        if (!fv) {
            fifo_free(d);
            return -XEN_ENOMEM;
        }
        pthread_mutex_init(&fv->lock, NULL);
        d->vcpus[i]->fifo = fv;
    }
    return 0;
}

/* Give (v) the control block at (gfn, offset).  -EINVAL if it has one or
 * the frame is not guest RAM. */
static int map_control_block(struct vcpu *v, uint64_t gfn, uint32_t offset)
{
    struct evtchn_fifo_vcpu *fv = v->fifo;
    uint8_t *page;
    struct evtchn_fifo_control_block *cb;

    if (fv->cb)
        return -XEN_EINVAL;
    page = gfn_to_host(v->domain, gfn);
    if (!page)
        return -XEN_EINVAL;
    cb = (struct evtchn_fifo_control_block *)(page + offset);
    /* Raisers on other vCPUs read our tails (an event's last queue may be
     * here) under fv->lock, whether or not we have a block yet. */
    pthread_mutex_lock(&fv->lock);
    for (unsigned int i = 0; i < EVTCHN_FIFO_MAX_QUEUES; i++) {
        fv->queue[i].head = &cb->head[i];
        fv->queue[i].tail = 0;
    }
    /* Heads before the block: pairs with the acquire load of fv->cb in
     * evtchn_fifo_set_pending() (XSA-358). */
    __atomic_store_n(&fv->cb, cb, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&fv->lock);
    return 0;
}

/*
 * Switch (d) to FIFO.  Events pending under 2-level are remembered in
 * fifo_pending and raised when expand_array gives their words.  abi_lock
 * keeps other domains' raises out while the bitmaps are read, so none is
 * lost between the two ABIs.
 */
static void switch_to_fifo(struct domain *d)
{
    uint32_t old_limit = evtchn_port_ops_2l.max_ports(d);

    pthread_rwlock_wrlock(&d->abi_lock);
    for (evtchn_port_t port = 1; port < old_limit; port++) {
        struct evtchn *chn = evtchn_from_port(d, port);

        if (!chn)
            break;
        __atomic_store_n(&chn->priority, EVTCHN_FIFO_PRIORITY_DEFAULT,
                         __ATOMIC_RELAXED);
        if (evtchn_usable(chn) && evtchn_2l_port_pending(d, port))
            __atomic_store_n(&chn->fifo_pending, true, __ATOMIC_RELAXED);
    }
    evtchn_set_ops(d, &evtchn_port_ops_fifo);
    pthread_rwlock_unlock(&d->abi_lock);
}

int evtchn_fifo_init_control(struct domain *d, struct evtchn_init_control *op)
{
    struct vcpu *v = domain_vcpu(d, op->vcpu);
    int rc;

    if (!v)
        return -XEN_ENOENT;
    if (op->offset > GUEST_PAGE_SIZE - sizeof(struct evtchn_fifo_control_block))
        return -XEN_EINVAL;
    if (op->offset & 7)
        return -XEN_EINVAL;

    pthread_mutex_lock(&d->event_lock);
    if (d->evtchn_ops == &evtchn_port_ops_fifo) {
        rc = map_control_block(v, op->control_gfn, op->offset);
    } else {
        rc = fifo_alloc(d);
        if (rc == 0)
            rc = map_control_block(v, op->control_gfn, op->offset);
        if (rc == 0)
            switch_to_fifo(d);
        else if (d->fifo)
            fifo_free(d); /* the domain stays 2-level */
    }
    pthread_mutex_unlock(&d->event_lock);
    if (rc == 0)
        op->link_bits = EVTCHN_FIFO_LINK_BITS;
    return rc;
}

/* Raise the events remembered for ports [first, first + count). */
static void raise_remembered(struct domain *d, evtchn_port_t first,
                             uint32_t count)
{
    for (evtchn_port_t port = first; port < first + count; port++) {
        struct evtchn *chn = evtchn_from_port(d, port);

        if (!chn)
            break;
        if (__atomic_exchange_n(&chn->fifo_pending, false, __ATOMIC_RELAXED))
            evtchn_raise(d, chn);
    }
}

int evtchn_fifo_expand_array(struct domain *d,
                             const struct evtchn_expand_array *op)
{
    struct evtchn_fifo_domain *f;
    uint32_t pages;
    event_word_t *page;
    int rc = 0;

    /* XSA-505: whether FIFO is active is only asked under the lock. */
    pthread_mutex_lock(&d->event_lock);
    f = d->fifo;
    if (d->evtchn_ops != &evtchn_port_ops_fifo) {
        rc = -XEN_EOPNOTSUPP;
        goto out;
    }
    pages = f->num_evtchns / WORDS_PER_PAGE;
    if (pages >= MAX_ARRAY_PAGES) {
        rc = -XEN_ENOSPC;
        goto out;
    }
    page = gfn_to_host(d, op->array_gfn);
    if (!page) {
        rc = -XEN_EINVAL;
        goto out;
    }
    /* Other domains raising here see either no word (and remember the
     * event) or the word; abi_lock makes the remembering and our scan
     * below exclusive. */
    pthread_rwlock_wrlock(&d->abi_lock);
    f->array[pages] = page;
    /* Pairs with the acquire load in event_word(). */
    __atomic_store_n(&f->num_evtchns, (pages + 1) * WORDS_PER_PAGE,
                     __ATOMIC_RELEASE);
    raise_remembered(d, pages * WORDS_PER_PAGE, WORDS_PER_PAGE);
    pthread_rwlock_unlock(&d->abi_lock);
out:
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

int evtchn_set_priority(struct domain *d, const struct evtchn_set_priority *op)
{
    const struct evtchn_port_ops *ops;
    struct evtchn *chn;
    int rc;

    pthread_mutex_lock(&d->event_lock);
    ops = d->evtchn_ops;
    chn = evtchn_from_port(d, op->port);
    if (!chn)
        rc = -XEN_EINVAL;
    else if (!ops->set_priority)
        rc = -XEN_ENOSYS; /* 2-level has no priorities */
    else if (!evtchn_usable(chn))
        rc = -XEN_EACCES;
    else
        rc = ops->set_priority(d, chn, op->priority);
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

void evtchn_fifo_to_2l(struct domain *d)
{
    if (d->evtchn_ops != &evtchn_port_ops_fifo)
        return;
    pthread_rwlock_wrlock(&d->abi_lock);
    evtchn_set_ops(d, &evtchn_port_ops_2l);
    fifo_free(d);
    pthread_rwlock_unlock(&d->abi_lock);
}
