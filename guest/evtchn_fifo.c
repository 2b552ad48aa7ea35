/*
 * evtchn_fifo.c: the FIFO-based event-channel ABI (Xen 4.4+).
 *
 * Each port has a 32-bit event word in the event array (pages the guest
 * gives Xen with EVTCHNOP_expand_array): PENDING, MASKED, LINKED, BUSY and
 * a 17-bit LINK to the next port in its queue.  Each vCPU has a control
 * block with 16 queue heads (one per priority, 0 highest) and a READY
 * bitmap of non-empty queues.  Xen links a raised, unmasked event at the
 * tail of its queue; the guest consumes from the head.
 *
 * Who writes what (xen-abi.md 5.4): Xen writes LINK (of the tail word,
 * by cmpxchg while LINKED is set), head[] (of an empty queue) and READY;
 * the guest may set/clear MASKED, clear PENDING, and clear LINKED
 * together with LINK.  All word updates are atomic RMWs on both sides.
 */
#include "evtchn_abi.h"
#include "hypercall.h"
#include "lib.h"
#include "mm.h"

#define W_PENDING (1u << EVTCHN_FIFO_PENDING)
#define W_MASKED  (1u << EVTCHN_FIFO_MASKED)
#define W_LINKED  (1u << EVTCHN_FIFO_LINKED)
#define W_BUSY    (1u << EVTCHN_FIFO_BUSY)
#define W_LINK    ((event_word_t)EVTCHN_FIFO_LINK_MASK)

/* (port)'s event word, or NULL if the array does not cover it yet. */
static event_word_t *event_word(struct kernel *k, evtchn_port_t port)
{
    /* Acquire: pairs with the release store of nr_pages in
     * add_array_page(), made only once Xen accepted the page: a page
     * counted by nr_pages is filled in, its pointer visible, and it is
     * never taken back. */
    unsigned int nr = __atomic_load_n(&k->fifo.nr_pages, __ATOMIC_ACQUIRE);
    unsigned int idx = port / FIFO_WORDS_PER_PAGE;

    if (idx >= nr)
        return NULL;
    return &__atomic_load_n(&k->fifo.page[idx],
                            __ATOMIC_RELAXED)[port % FIFO_WORDS_PER_PAGE];
}

/* EVTCHNOP_init_control for (c), with a fresh control block page. */
static int init_control(struct cpu *c)
{
    struct evtchn_fifo_control_block *cb = kpage_alloc(&c->kernel->mm);
    struct evtchn_init_control op = {0};
    long rc;

    if (!cb)
        return -XEN_ENOMEM;
    op.control_gfn = arch_virt_to_phys(cb) >> PAGE_SHIFT;
    op.offset = 0;
    op.vcpu = c->id;
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &op);
    if (rc < 0) {
        kpage_free(&c->kernel->mm, cb);
        return (int)rc;
    }
    memset(c->fifo_head, 0, sizeof(c->fifo_head));
    c->fifo_cb = cb;
    return 0;
}

int ec_fifo_init(struct cpu *c)
{
    /* The first init_control switches the domain to FIFO; the event array
     * starts empty and grows as ports are bound (setup_port_fifo). */
    return init_control(c);
}

/*
 * Give Xen one more event-array page.  Xen does not initialise it, so
 * every word starts MASKED (as Linux does): a port becomes unmasked only
 * once its handler is installed.
 *
 * The page is published to the upcalls (page[], then nr_pages with a
 * release store) only after EVTCHNOP_expand_array succeeded, so a reader
 * on another vCPU never sees a page that is later taken back.  Publishing
 * this late loses nothing: Xen cannot link an event on a page it does not
 * have yet, and once it has it, every word there is MASKED, so Xen links
 * none of them until we unmask one, which goes through event_word() and
 * so through the publication.  If Xen refuses the page, it was never
 * published: it is simply freed.  Caller holds k->evtchn_lock (the only
 * writer of k->fifo).
 */
static int add_array_page(struct kernel *k)
{
    /* Relaxed: we are the only writer (k->evtchn_lock). */
    unsigned int nr = __atomic_load_n(&k->fifo.nr_pages, __ATOMIC_RELAXED);
    struct evtchn_expand_array op = {0};
    event_word_t *page;
    long rc;

    if (nr == FIFO_MAX_ARRAY_PAGES)
        return -XEN_ENOSPC;
    page = kpage_alloc(&k->mm);
    if (!page)
        return -XEN_ENOMEM;
    for (unsigned int i = 0; i < FIFO_WORDS_PER_PAGE; i++)
        page[i] = W_MASKED;
    op.array_gfn = arch_virt_to_phys(page) >> PAGE_SHIFT;
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &op);
    if (rc < 0) {
        kpage_free(&k->mm, page);
        return (int)rc;
    }
    /* Not yet covered by nr_pages, so no reader looks at page[nr] yet:
     * the release store below publishes it. */
    __atomic_store_n(&k->fifo.page[nr], page, __ATOMIC_RELAXED);
    /* Release: pairs with the acquire load in event_word(), so whoever
     * sees nr + 1 pages sees page[nr] and its MASKED words. */
    __atomic_store_n(&k->fifo.nr_pages, nr + 1, __ATOMIC_RELEASE);
    return 0;
}

static void mask_fifo(struct kernel *k, evtchn_port_t port)
{
    event_word_t *w = event_word(k, port);

    if (w) /* beyond the array: Xen treats it as masked anyway */
        __atomic_fetch_or(w, W_MASKED, __ATOMIC_SEQ_CST);
}

/* Caller holds k->evtchn_lock (array growth is serialised). */
static int setup_port_fifo(struct kernel *k, evtchn_port_t port)
{
    /* Relaxed: we are the only writer of nr_pages. */
    while (port / FIFO_WORDS_PER_PAGE >=
           __atomic_load_n(&k->fifo.nr_pages, __ATOMIC_RELAXED)) {
        int rc = add_array_page(k);

        if (rc < 0)
            return rc;
    }
    mask_fifo(k, port);
    return 0;
}

static event_word_t load_word(event_word_t *w)
{
    return __atomic_load_n(w, __ATOMIC_SEQ_CST);
}

static bool is_pending_fifo(struct kernel *k, evtchn_port_t port)
{
    event_word_t *w = event_word(k, port);

    return w && (load_word(w) & W_PENDING);
}

static bool is_masked_fifo(struct kernel *k, evtchn_port_t port)
{
    event_word_t *w = event_word(k, port);

    return !w || (load_word(w) & W_MASKED);
}

static void hyp_unmask(evtchn_port_t port)
{
    struct evtchn_unmask op = {.port = port};

    HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
}

/*
 * A pending event must be linked by Xen, so then EVTCHNOP_unmask does the
 * unmasking (Xen clears MASKED and links the event).  Otherwise clear
 * MASKED ourselves with a cmpxchg whose expected value has BUSY clear: it
 * fails (and we retry) while Xen is linking through this word, and it
 * fails if PENDING appears meanwhile, sending us to the first case.
 */
static void unmask_fifo(struct kernel *k, evtchn_port_t port)
{
    event_word_t *w = event_word(k, port);
    event_word_t old;

    if (!w)
        return;
    old = load_word(w);
    for (;;) {
        event_word_t expect = old & ~W_BUSY;

        if (!(old & W_MASKED))
            return;
        if (old & W_PENDING) {
            hyp_unmask(port);
            return;
        }
        if (__atomic_compare_exchange_n(w, &expect, expect & ~W_MASKED, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return;
        old = expect;
        arch_relax();
    }
}

static void clear_pending_fifo(struct kernel *k, evtchn_port_t port)
{
    event_word_t *w = event_word(k, port);

    if (w)
        __atomic_fetch_and(w, ~W_PENDING, __ATOMIC_SEQ_CST);
}

static int init_cpu_fifo(struct cpu *c)
{
    return init_control(c);
}

/* ---- consuming ---- */

/* Unlink the head word (w): clear LINKED and LINK together, returning the
 * next port of the queue (0: this was the tail when we unlinked it; Xen
 * then starts the queue afresh through head[]). */
static evtchn_port_t unlink_head(event_word_t *w)
{
    event_word_t old = load_word(w);

    while (!__atomic_compare_exchange_n(w, &old, old & ~(W_LINKED | W_LINK),
                                        false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
        ;
    return old & W_LINK;
}

/* Clear PENDING if the port is not masked; true if we did (the event is
 * ours to handle).  A masked event stays pending, for unmask to re-raise. */
static bool take_pending(event_word_t *w)
{
    event_word_t old = load_word(w);

    do {
        if (!(old & W_PENDING) || (old & W_MASKED))
            return false;
    } while (!__atomic_compare_exchange_n(w, &old, old & ~W_PENDING, false,
                                          __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    return true;
}

/* Consume the head event of queue (q) of vCPU (c); clear q in (*ready)
 * when the queue is (as far as we know) empty. */
static void consume_one(struct cpu *c, unsigned int q, uint32_t *ready)
{
    evtchn_port_t port = c->fifo_head[q], next;
    event_word_t *w;

    if (!port) {
        /* We took the tail last time, so Xen restarted the queue at
         * head[q] before setting READY bit q, which we saw.  Acquire:
         * pairs with Xen's barrier between the two writes. */
        port = __atomic_load_n(&c->fifo_cb->head[q], __ATOMIC_ACQUIRE);
    }
    w = port ? event_word(c->kernel, port) : NULL;
    if (!w) { /* spurious: nothing (valid) to consume */
        *ready &= ~(1u << q);
        c->fifo_head[q] = 0;
        return;
    }
    next = unlink_head(w);
    if (!next)
        *ready &= ~(1u << q);
    if (take_pending(w))
        ec_dispatch(c, port);
    c->fifo_head[q] = next;
}

/* Queues in priority order: the lowest set READY bit is the highest
 * priority, and READY is re-read after every event so that a newly
 * raised higher-priority event overtakes the rest. */
static void handle_events_fifo(struct cpu *c)
{
    struct evtchn_fifo_control_block *cb = c->fifo_cb;
    uint32_t ready;

    if (!cb)
        return;
    /* Acquire (seq-cst) exchange: pairs with Xen's test-and-set of READY
     * after it wrote head[]. */
    ready = __atomic_exchange_n(&cb->ready, 0, __ATOMIC_SEQ_CST);
    while (ready) {
        consume_one(c, lowest_bit(ready), &ready);
        ready |= __atomic_exchange_n(&cb->ready, 0, __ATOMIC_SEQ_CST);
    }
}

const struct ec_ops ec_ops_fifo = {
    .name = "FIFO",
    .init_cpu = init_cpu_fifo,
    .setup_port = setup_port_fifo,
    .mask = mask_fifo,
    .unmask = unmask_fifo,
    .is_pending = is_pending_fifo,
    .is_masked = is_masked_fifo,
    .clear_pending = clear_pending_fifo,
    .handle_events = handle_events_fifo,
};
