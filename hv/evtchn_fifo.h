/*
 * evtchn_fifo.h: FIFO ABI state shared by evtchn_fifo.c (port operations)
 * and evtchn_fifo_setup.c (init_control, expand_array, leaving FIFO).
 */
#ifndef XENEMU_EVTCHN_FIFO_H
#define XENEMU_EVTCHN_FIFO_H

#include <pthread.h>

#include "evtchn_private.h"
#include "xenemu/guest_mem.h"

#define WORDS_PER_PAGE  (GUEST_PAGE_SIZE / sizeof(event_word_t))
#define MAX_ARRAY_PAGES (EVTCHN_FIFO_NR_CHANNELS / WORDS_PER_PAGE)

struct evtchn_fifo_queue {
    uint32_t *head;     /* &cb->head[priority], in guest memory */
    evtchn_port_t tail; /* last port linked, 0 if the queue is empty */
};

struct evtchn_fifo_vcpu {
    pthread_mutex_t lock; /* this vCPU's queues */
    /* NULL until EVTCHNOP_init_control names this vCPU; store-release
     * after the queue heads are set (XSA-358), load-acquire in raisers. */
    struct evtchn_fifo_control_block *cb;
    struct evtchn_fifo_queue queue[EVTCHN_FIFO_MAX_QUEUES];
};

struct evtchn_fifo_domain {
    event_word_t *array[MAX_ARRAY_PAGES];
    /* Ports with an event word: store-release after array[] is filled
     * (expand_array), load-acquire in event_word(). */
    uint32_t num_evtchns;
};

_Static_assert(sizeof(struct evtchn_fifo_control_block) == 72, "ABI");

/* The event word of (port), or NULL if its page was not given yet. */
static inline event_word_t *event_word(const struct domain *d,
                                       evtchn_port_t port)
{
    const struct evtchn_fifo_domain *f = d->fifo;

    if (port >= __atomic_load_n(&f->num_evtchns, __ATOMIC_ACQUIRE))
        return NULL;
    return f->array[port / WORDS_PER_PAGE] + port % WORDS_PER_PAGE;
}

#endif /* XENEMU_EVTCHN_FIFO_H */
