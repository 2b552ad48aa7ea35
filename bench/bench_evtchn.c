/*
 * bench_evtchn.c: what an event channel costs, in time and memory, next to
 * the physical floor measured in the same run.  Built and run by
 * `make bench` (gcc -O2); prints a table and exits 0 unless an operation
 * fails functionally (a hypercall error, an event that did not arrive, a
 * leak).  The targets are informational: PASS/MISS does not change the exit
 * status.
 *
 * Method.  Every figure is measured in 31 batches of 100000 operations;
 * a batch's mean (CLOCK_MONOTONIC around the whole batch) is one sample, and
 * the table shows the median and the 90th percentile (nearest rank) of the
 * samples.  Every operation goes through the hypercall entry exactly as a
 * backend issues it: hv_call_init() then hypercall_dispatch() with the
 * argument struct in guest RAM (physical addressing).
 *
 * An event must really be delivered each time, so between two sends the
 * benchmark plays the receiving guest and consumes the event the way Linux
 * does (2-level: clear evtchn_upcall_pending, xchg the selector word, clear
 * the pending bit; FIFO: clear upcall_pending, xchg READY, read the queue
 * head, clear LINKED with a cmpxchg, clear PENDING), checking on the way
 * that every bit the send should have set is set.  That guest work is timed
 * on its own in a batch of its own right after each batch of sends; "net" is
 * the per-batch difference, the cost of the hypercall alone, from entry to
 * the pending bit, the link and the upcall flag.  The backend's kick (an IPI
 * or signal to the vCPU thread in a real backend) is a no-op here, so the
 * figures are the core's own cost.
 *
 * Baseline ("floor"): one __atomic_fetch_or on a shared uint64_t, then a
 * plain atomic store clearing it: raising an event can never cost less than
 * one locked read-modify-write of the word the guest reads.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xenemu/domain.h"
#include "xenemu/evtchn.h"
#include "xenemu/guest_mem.h"
#include "xenemu/hv.h"
#include "xenemu/hypercall.h"

/* Defaults; `bench_evtchn BATCHES OPS` overrides them (e.g. `1 10000` for
 * a quick run under valgrind --tool=callgrind). */
#define DEFAULT_BATCHES 31u
#define DEFAULT_OPS     100000u
#define MAX_BATCHES     101u

static unsigned int batches = DEFAULT_BATCHES, ops = DEFAULT_OPS;

/* Guest RAM layout of every benchmark domain. */
#define GFN_ARGS     1u  /* argument structs */
#define GFN_CB       2u  /* FIFO control block of vCPU v: GFN_CB + v */
#define GFN_ARRAY    16u /* FIFO event array: 128 pages from here */
#define ARRAY_PAGES  128u
#define RAM_PAGES_2L 16u
#define RAM_PAGES_FIFO                                                         \
    (GFN_ARRAY + ARRAY_PAGES + 16u) /* 160 pages: array + slack */

#define GPA(gfn, off) ((uint64_t)(gfn) << GUEST_PAGE_SHIFT | (off))
#define GPA_SEND      GPA(GFN_ARGS, 0x000) /* struct evtchn_send */
#define GPA_UNMASK    GPA(GFN_ARGS, 0x040) /* struct evtchn_unmask */
#define GPA_ALLOC     GPA(GFN_ARGS, 0x080) /* struct evtchn_alloc_unbound */
#define GPA_CLOSE     GPA(GFN_ARGS, 0x0c0) /* struct evtchn_close */
#define GPA_SETUP     GPA(GFN_ARGS, 0x800) /* anything during setup */

#define FIFO_BIG_PORTS  EVTCHN_FIFO_NR_CHANNELS /* 131072: ports 0..131071 */
#define FIFO_SMALL_PORT 64u

/* Targets from the project brief. */
#define TARGET_SEND_NS        100.0
#define TARGET_FIFO_SCALING   1.5
#define TARGET_BYTES_PER_PORT 64.0

/* ------------------------------------------------------------------ */
/* Failing functionally ends the run with status 1.                    */

static void fail(const char *what, long rc)
{
    fprintf(stderr, "bench_evtchn: FAILED: %s (%ld)\n", what, rc);
    exit(1);
}

/* ------------------------------------------------------------------ */
/* The backend: nothing runs; kick() and friends do nothing.           */

static void be_vcpu(struct vcpu *v)
{
    (void)v;
}

static void be_block(struct vcpu *v, uint64_t deadline_ns)
{
    (void)v;
    (void)deadline_ns;
}

static const struct hv_backend_ops bench_backend = {
    .kick = be_vcpu,
    .wake = be_vcpu,
    .block = be_block,
};

/* ------------------------------------------------------------------ */
/* Domains and hypercalls.                                             */

static struct hv *hv;

static struct domain *new_domain(unsigned int vcpus, uint32_t max_port,
                                 unsigned int ram_pages)
{
    struct domain_config cfg = {
        .create.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
        .create.max_vcpus = vcpus,
        .create.max_evtchn_port = max_port,
        .create.max_grant_frames = -1,
        .create.max_maptrack_frames = -1,
    };
    size_t size = (size_t)ram_pages * GUEST_PAGE_SIZE;
    struct domain *d;
    uint8_t *ram;
    int rc = domain_create(hv, 0, &cfg, &d);

    if (rc)
        fail("domain_create", rc);
    ram = aligned_alloc(GUEST_PAGE_SIZE, size);
    if (!ram)
        fail("guest RAM", 0);
    memset(ram, 0, size);
    domain_set_ram(d, ram, size);
    rc = domain_unpause(d);
    if (rc)
        fail("domain_unpause", rc);
    return d;
}

static void free_domain(struct domain *d)
{
    uint8_t *ram = d->ram;

    domain_destroy(d);
    domain_put(d);
    free(ram); /* after the domain: it maps the RAM until then */
}

/* The measured path: one EVTCHNOP as a backend issues it. */
static inline long evtchn_call(struct domain *d, unsigned int vcpu,
                               unsigned int cmd, uint64_t gpa)
{
    uint64_t args[5] = {cmd, gpa, 0, 0, 0};
    struct hv_call call;

    hv_call_init(&call, d->vcpus[vcpu], false, false, 0);
    return hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args);
}

/* Setup: EVTCHNOP (cmd) with (arg) at GPA_SETUP, OUT fields copied back. */
static void setup_op(struct domain *d, unsigned int vcpu, unsigned int cmd,
                     void *arg, size_t size, const char *what)
{
    long rc;

    if (gpa_write(d, GPA_SETUP, arg, size))
        fail("gpa_write", 0);
    rc = evtchn_call(d, vcpu, cmd, GPA_SETUP);
    if (rc)
        fail(what, rc);
    if (gpa_read(d, arg, GPA_SETUP, size))
        fail("gpa_read", 0);
}

static evtchn_port_t alloc_unbound(struct domain *d, domid_t remote)
{
    struct evtchn_alloc_unbound op = {.dom = DOMID_SELF, .remote_dom = remote};

    setup_op(d, 0, EVTCHNOP_alloc_unbound, &op, sizeof(op), "alloc_unbound");
    return op.port;
}

static evtchn_port_t bind_interdomain(struct domain *d, domid_t remote,
                                      evtchn_port_t rport)
{
    struct evtchn_bind_interdomain op = {.remote_dom = remote,
                                         .remote_port = rport};

    setup_op(d, 0, EVTCHNOP_bind_interdomain, &op, sizeof(op),
             "bind_interdomain");
    return op.local_port;
}

static void fifo_init(struct domain *d, unsigned int pages)
{
    for (unsigned int v = 0; v < d->max_vcpus; v++) {
        struct evtchn_init_control op = {.control_gfn = GFN_CB + v, .vcpu = v};

        setup_op(d, v, EVTCHNOP_init_control, &op, sizeof(op), "init_control");
    }
    for (unsigned int p = 0; p < pages; p++) {
        struct evtchn_expand_array op = {.array_gfn = GFN_ARRAY + p};

        setup_op(d, 0, EVTCHNOP_expand_array, &op, sizeof(op), "expand_array");
    }
}

/* Put the one-field struct {port} that send/unmask/close take at (gpa). */
static void put_port_arg(struct domain *d, uint64_t gpa, evtchn_port_t port)
{
    if (gpa_write(d, gpa, &port, sizeof(port)))
        fail("gpa_write", 0);
}

/* Host address of guest-physical (gpa): the guest's own view. */
static void *guest_ptr(struct domain *d, uint64_t gpa)
{
    uint8_t *page = gfn_to_host(d, gpa >> GUEST_PAGE_SHIFT);

    if (!page)
        fail("gfn_to_host", 0);
    return page + (gpa & (GUEST_PAGE_SIZE - 1));
}

/* ------------------------------------------------------------------ */
/* The receiving guest: 2-level.                                       */

struct rx_2l {
    struct shared_info *si; /* 64-bit layout */
    struct vcpu_info *vi;   /* the notified vCPU's */
    xen_ulong_t *pending, *mask, bit, selbit;
};

static struct rx_2l rx_2l(struct domain *d, unsigned int vcpu,
                          evtchn_port_t port)
{
    struct shared_info *si = d->shared_info;
    unsigned int bits = sizeof(xen_ulong_t) * 8;

    return (struct rx_2l){
        .si = si,
        .vi = vcpu_info_of(d->vcpus[vcpu]),
        .pending = &si->evtchn_pending[port / bits],
        .mask = &si->evtchn_mask[port / bits],
        .bit = (xen_ulong_t)1 << (port % bits),
        .selbit = (xen_ulong_t)1 << (port / bits),
    };
}

/*
 * Consume the event as Linux's 2-level upcall handler and ack do; with
 * (check), fail unless the upcall flag, the selector bit and the pending
 * bit were all set.
 */
static inline void consume_2l(const struct rx_2l *r, bool check)
{
    uint8_t up =
        __atomic_load_n(&r->vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE);
    xen_ulong_t sel, pend;

    __atomic_store_n(&r->vi->evtchn_upcall_pending, 0, __ATOMIC_RELEASE);
    sel = __atomic_exchange_n(&r->vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    pend = __atomic_fetch_and(r->pending, ~r->bit, __ATOMIC_SEQ_CST);
    if (check && (!up || !(sel & r->selbit) || !(pend & r->bit)))
        fail("2-level event not delivered", 0);
}

/* Mask the port again after an unmask delivered it (pending stays set). */
static inline void remask_2l(const struct rx_2l *r, bool check)
{
    uint8_t up =
        __atomic_load_n(&r->vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE);
    xen_ulong_t mask, sel;

    mask = __atomic_fetch_or(r->mask, r->bit, __ATOMIC_SEQ_CST);
    __atomic_store_n(&r->vi->evtchn_upcall_pending, 0, __ATOMIC_RELEASE);
    sel = __atomic_exchange_n(&r->vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    if (check && (!up || !(sel & r->selbit) || (mask & r->bit) ||
                  !(__atomic_load_n(r->pending, __ATOMIC_RELAXED) & r->bit)))
        fail("2-level unmask did not deliver", 0);
}

/* ------------------------------------------------------------------ */
/* The receiving guest: FIFO.                                          */

#define WBIT(b) ((event_word_t)1 << (b))

struct rx_fifo {
    struct vcpu_info *vi;
    struct evtchn_fifo_control_block *cb;
    event_word_t *word;
    evtchn_port_t port;
    unsigned int prio;
};

static struct rx_fifo rx_fifo(struct domain *d, unsigned int vcpu,
                              evtchn_port_t port)
{
    uint64_t word_gpa = GPA(GFN_ARRAY + port / 1024, (port % 1024) * 4);

    return (struct rx_fifo){
        .vi = vcpu_info_of(d->vcpus[vcpu]),
        .cb = guest_ptr(d, GPA(GFN_CB + vcpu, 0)),
        .word = guest_ptr(d, word_gpa),
        .port = port,
        .prio = EVTCHN_FIFO_PRIORITY_DEFAULT,
    };
}

/* Linux's clear_linked(): drop LINKED and LINK in one cmpxchg. */
static inline event_word_t clear_linked(event_word_t *word)
{
    event_word_t w = __atomic_load_n(word, __ATOMIC_RELAXED), n;

    do {
        n = w & ~(WBIT(EVTCHN_FIFO_LINKED) | EVTCHN_FIFO_LINK_MASK);
    } while (!__atomic_compare_exchange_n(word, &w, n, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_RELAXED));
    return w;
}

/*
 * Take the upcall and the one event off its queue, as Linux's FIFO handler
 * does (upcall flag, READY, head, clear_linked); (ack) also clears PENDING
 * as the irq ack does.  With (check), fail unless the send set all of it.
 */
static inline void consume_fifo(const struct rx_fifo *r, bool ack, bool check)
{
    uint8_t up =
        __atomic_load_n(&r->vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE);
    uint32_t ready, head;
    event_word_t w;

    __atomic_store_n(&r->vi->evtchn_upcall_pending, 0, __ATOMIC_RELEASE);
    ready = __atomic_exchange_n(&r->cb->ready, 0, __ATOMIC_SEQ_CST);
    head = __atomic_load_n(&r->cb->head[r->prio], __ATOMIC_ACQUIRE);
    w = clear_linked(r->word);
    if (ack)
        __atomic_fetch_and(r->word, ~WBIT(EVTCHN_FIFO_PENDING),
                           __ATOMIC_SEQ_CST);
    if (check &&
        (!up || !(ready & (1u << r->prio)) || head != r->port ||
         !(w & WBIT(EVTCHN_FIFO_LINKED)) || !(w & WBIT(EVTCHN_FIFO_PENDING))))
        fail("FIFO event not delivered", 0);
}

/* Mask again and take the event off its queue, leaving PENDING set. */
static inline void remask_fifo(const struct rx_fifo *r, bool check)
{
    event_word_t w =
        __atomic_fetch_or(r->word, WBIT(EVTCHN_FIFO_MASKED), __ATOMIC_SEQ_CST);

    if (check && (w & WBIT(EVTCHN_FIFO_MASKED)))
        fail("FIFO unmask left the port masked", 0);
    consume_fifo(r, false, check);
}

/* ------------------------------------------------------------------ */
/* Timing.                                                             */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One benchmark: (op) does (n) operations, (reset) the guest work alone. */
struct bench {
    void (*op)(void *ctx, unsigned int n);
    void (*reset)(void *ctx, unsigned int n); /* NULL: none needed */
    void *ctx;
};

struct result {
    double net_med, net_p90; /* per op, reset subtracted batch by batch */
    double net_min;          /* the quietest batch: host noise only adds */
    double gross_med;        /* op + guest reset */
    double reset_med;        /* guest reset alone */
};

#define MAX_BENCH 16

static double batch_ns(void (*fn)(void *, unsigned int), void *ctx)
{
    uint64_t t0 = now_ns();

    fn(ctx, ops);
    return (double)(now_ns() - t0) / ops;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Nearest-rank percentile (pct in 1..100) of n samples; sorts them. */
static double percentile(double *v, unsigned int n, unsigned int pct)
{
    unsigned int rank = (pct * n + 99) / 100;

    qsort(v, n, sizeof(*v), cmp_double);
    return v[rank ? rank - 1 : 0];
}

/*
 * Measure (n) benchmarks, interleaved: round i runs batch i of every
 * benchmark in turn.  The host is a shared VM whose speed drifts over
 * seconds; interleaving spreads a slow period over every row instead of
 * spoiling one, and makes the rows that are compared with each other (FIFO
 * at 64 and at 131072 ports) paired samples of the same moments.
 */
static void measure(const struct bench *b, struct result *r, unsigned int n)
{
    static double net[MAX_BENCH][MAX_BATCHES], gross[MAX_BENCH][MAX_BATCHES],
        reset[MAX_BENCH][MAX_BATCHES];

    /* One untimed batch of each: caches, branch predictors, page tables. */
    for (unsigned int j = 0; j < n; j++) {
        b[j].op(b[j].ctx, ops);
        if (b[j].reset)
            b[j].reset(b[j].ctx, ops);
    }
    for (unsigned int i = 0; i < batches; i++) {
        for (unsigned int j = 0; j < n; j++) {
            gross[j][i] = batch_ns(b[j].op, b[j].ctx);
            reset[j][i] = b[j].reset ? batch_ns(b[j].reset, b[j].ctx) : 0.0;
            net[j][i] = gross[j][i] - reset[j][i];
        }
    }
    for (unsigned int j = 0; j < n; j++) {
        r[j].net_p90 = percentile(net[j], batches, 90);
        r[j].net_min = percentile(net[j], batches, 1);
        r[j].net_med = percentile(net[j], batches, 50);
        r[j].gross_med = percentile(gross[j], batches, 50);
        r[j].reset_med = percentile(reset[j], batches, 50);
    }
}

/* ------------------------------------------------------------------ */
/* The operations.                                                     */

static uint64_t floor_word;

static void op_floor(void *ctx, unsigned int n)
{
    (void)ctx;
    for (unsigned int i = 0; i < n; i++) {
        /* test-and-set: the old value is used, as a raise uses it */
        if (__atomic_fetch_or(&floor_word, 1, __ATOMIC_SEQ_CST) & 1)
            fail("floor word was not clear", 0);
        __atomic_store_n(&floor_word, 0, __ATOMIC_RELAXED);
    }
}

/* A send from (tx) and the guest at the other end consuming it. */
struct send_2l_ctx {
    struct domain *tx;
    unsigned int tx_vcpu;
    struct rx_2l rx;
};

static void op_send_2l(void *ctx, unsigned int n)
{
    struct send_2l_ctx *c = ctx;

    for (unsigned int i = 0; i < n; i++) {
        long rc = evtchn_call(c->tx, c->tx_vcpu, EVTCHNOP_send, GPA_SEND);

        if (rc)
            fail("EVTCHNOP_send", rc);
        consume_2l(&c->rx, true);
    }
}

static void reset_send_2l(void *ctx, unsigned int n)
{
    struct send_2l_ctx *c = ctx;

    for (unsigned int i = 0; i < n; i++)
        consume_2l(&c->rx, false);
}

struct send_fifo_ctx {
    struct domain *tx;
    struct rx_fifo rx;
};

static void op_send_fifo(void *ctx, unsigned int n)
{
    struct send_fifo_ctx *c = ctx;

    for (unsigned int i = 0; i < n; i++) {
        long rc = evtchn_call(c->tx, 0, EVTCHNOP_send, GPA_SEND);

        if (rc)
            fail("EVTCHNOP_send", rc);
        consume_fifo(&c->rx, true, true);
    }
}

static void reset_send_fifo(void *ctx, unsigned int n)
{
    struct send_fifo_ctx *c = ctx;

    for (unsigned int i = 0; i < n; i++)
        consume_fifo(&c->rx, true, false);
}

/* EVTCHNOP_unmask by the port's owner (rx_dom), then masked again. */
struct unmask_2l_ctx {
    struct domain *d;
    struct rx_2l rx;
};

static void op_unmask_2l(void *ctx, unsigned int n)
{
    struct unmask_2l_ctx *c = ctx;

    for (unsigned int i = 0; i < n; i++) {
        long rc = evtchn_call(c->d, 0, EVTCHNOP_unmask, GPA_UNMASK);

        if (rc)
            fail("EVTCHNOP_unmask", rc);
        remask_2l(&c->rx, true);
    }
}

static void reset_unmask_2l(void *ctx, unsigned int n)
{
    struct unmask_2l_ctx *c = ctx;

    for (unsigned int i = 0; i < n; i++)
        remask_2l(&c->rx, false);
}

struct unmask_fifo_ctx {
    struct domain *d;
    struct rx_fifo rx;
};

static void op_unmask_fifo(void *ctx, unsigned int n)
{
    struct unmask_fifo_ctx *c = ctx;

    for (unsigned int i = 0; i < n; i++) {
        long rc = evtchn_call(c->d, 0, EVTCHNOP_unmask, GPA_UNMASK);

        if (rc)
            fail("EVTCHNOP_unmask", rc);
        remask_fifo(&c->rx, true);
    }
}

static void reset_unmask_fifo(void *ctx, unsigned int n)
{
    struct unmask_fifo_ctx *c = ctx;

    for (unsigned int i = 0; i < n; i++)
        remask_fifo(&c->rx, false);
}

/* alloc_unbound then close of the port it returned, as a guest does it:
 * read the port from the OUT field, write it into the close argument. */
struct bind_close_ctx {
    struct domain *d;
    evtchn_port_t expect;
    evtchn_port_t *alloc_port; /* OUT field in guest RAM */
    evtchn_port_t *close_port; /* IN field in guest RAM */
};

static void op_bind_close(void *ctx, unsigned int n)
{
    struct bind_close_ctx *c = ctx;

    for (unsigned int i = 0; i < n; i++) {
        long rc = evtchn_call(c->d, 0, EVTCHNOP_alloc_unbound, GPA_ALLOC);
        evtchn_port_t port;

        if (rc)
            fail("EVTCHNOP_alloc_unbound", rc);
        port = __atomic_load_n(c->alloc_port, __ATOMIC_RELAXED);
        if (port != c->expect)
            fail("alloc_unbound returned an unexpected port", port);
        __atomic_store_n(c->close_port, port, __ATOMIC_RELAXED);
        rc = evtchn_call(c->d, 0, EVTCHNOP_close, GPA_CLOSE);
        if (rc)
            fail("EVTCHNOP_close", rc);
    }
}

/* ------------------------------------------------------------------ */
/* Setups.                                                             */

/* A FIFO receiver with ports 1..(nports) in use, the last one bound to a
 * 2-level sender's port; the sender's send argument names its port. */
struct fifo_pair {
    struct domain *tx, *rx;
    evtchn_port_t rx_port;
};

static struct fifo_pair fifo_pair(uint32_t max_port, unsigned int pages,
                                  uint32_t nports)
{
    struct fifo_pair p;
    evtchn_port_t port = 0, tx_port;

    p.tx = new_domain(1, 1023, RAM_PAGES_2L);
    p.rx = new_domain(1, max_port, RAM_PAGES_FIFO);
    fifo_init(p.rx, pages);
    for (uint32_t i = 0; i < nports; i++)
        port = alloc_unbound(p.rx, p.tx->domid);
    if (port != nports)
        fail("ports not allocated in order", port);
    tx_port = bind_interdomain(p.tx, p.rx->domid, port);
    put_port_arg(p.tx, GPA_SEND, tx_port);
    p.rx_port = port;
    return p;
}

static struct bind_close_ctx bind_close_ctx(struct domain *d,
                                            evtchn_port_t expect)
{
    struct evtchn_alloc_unbound op = {.dom = DOMID_SELF,
                                      .remote_dom = DOMID_SELF};

    if (gpa_write(d, GPA_ALLOC, &op, sizeof(op)))
        fail("gpa_write", 0);
    return (struct bind_close_ctx){
        .d = d,
        .expect = expect,
        .alloc_port = guest_ptr(
            d, GPA_ALLOC + offsetof(struct evtchn_alloc_unbound, port)),
        .close_port = guest_ptr(d, GPA_CLOSE),
    };
}

/* Hypervisor memory per port: bind (nports) ports in a fresh FIFO domain. */
struct mem_result {
    uint32_t nports;
    size_t domain_bytes; /* domain, vCPUs, FIFO state: before binding */
    size_t bind_bytes;   /* what binding the ports added */
};

static struct mem_result measure_memory(uint32_t max_port, unsigned int pages,
                                        uint32_t nports)
{
    size_t m0 = hv_mem_in_use(), m1, m2;
    struct domain *d = new_domain(1, max_port, RAM_PAGES_FIFO);
    evtchn_port_t port = 0;

    fifo_init(d, pages);
    m1 = hv_mem_in_use();
    for (uint32_t i = 0; i < nports; i++)
        port = alloc_unbound(d, DOMID_SELF);
    m2 = hv_mem_in_use();
    if (port != nports)
        fail("ports not allocated in order", port);
    free_domain(d);
    if (hv_mem_in_use() != m0)
        fail("hypervisor memory not returned on destroy",
             (long)(hv_mem_in_use() - m0));
    return (struct mem_result){nports, m1 - m0, m2 - m1};
}

/* ------------------------------------------------------------------ */
/* Output.                                                             */

static double floor_ns;

static const char *verdict(bool ok)
{
    return ok ? "PASS" : "MISS";
}

static void row(const char *name, const struct result *r, const char *target,
                const char *result)
{
    printf("%-32s %7.1f %7.1f %7.1f %7.1f %7.1f %6.1fx  %-9s %s\n", name,
           r->net_med, r->net_p90, r->net_min, r->gross_med, r->reset_med,
           r->net_med / floor_ns, target, result);
}

static void send_row(const char *name, const struct result *r)
{
    row(name, r, "<= 100 ns", verdict(r->net_med <= TARGET_SEND_NS));
}

/* A domain with an IPI port on vCPU 0, masked, with its event pending:
 * what EVTCHNOP_unmask has to deliver. */
static struct domain *masked_ipi(uint32_t max_port, unsigned int fifo_pages,
                                 evtchn_port_t *port)
{
    struct domain *d = new_domain(1, max_port, RAM_PAGES_FIFO);
    struct evtchn_bind_ipi bi = {.vcpu = 0};

    if (fifo_pages)
        fifo_init(d, fifo_pages);
    setup_op(d, 0, EVTCHNOP_bind_ipi, &bi, sizeof(bi), "bind_ipi");
    if (fifo_pages) {
        struct rx_fifo r = rx_fifo(d, 0, bi.port);

        __atomic_fetch_or(r.word, WBIT(EVTCHN_FIFO_MASKED), __ATOMIC_SEQ_CST);
    } else {
        struct rx_2l r = rx_2l(d, 0, bi.port);

        __atomic_fetch_or(r.mask, r.bit, __ATOMIC_SEQ_CST);
    }
    put_port_arg(d, GPA_SEND, bi.port);
    if (evtchn_call(d, 0, EVTCHNOP_send, GPA_SEND))
        fail("EVTCHNOP_send", 0);
    put_port_arg(d, GPA_UNMASK, bi.port);
    *port = bi.port;
    return d;
}

enum {
    B_FLOOR,
    B_SEND_2L,
    B_SEND_IPI,
    B_SEND_FIFO64,
    B_SEND_FIFOBIG,
    B_UNMASK_2L,
    B_UNMASK_FIFO,
    B_BC64,
    B_BCBIG,
    NR_BENCH
};

int main(int argc, char **argv)
{
    struct bench b[NR_BENCH];
    struct result r[NR_BENCH];
    struct mem_result mem64, membig;
    int rc = hv_create(&bench_backend, NULL, &hv);

    _Static_assert(NR_BENCH <= MAX_BENCH, "MAX_BENCH");
    if (argc > 1)
        batches = (unsigned int)strtoul(argv[1], NULL, 0);
    if (argc > 2)
        ops = (unsigned int)strtoul(argv[2], NULL, 0);
    if (batches < 1 || batches > MAX_BATCHES || ops < 1) {
        fprintf(stderr, "usage: %s [BATCHES (1-%u) [OPS]]\n", argv[0],
                MAX_BATCHES);
        return 2;
    }
    if (rc)
        fail("hv_create", rc);

    /* Memory first, on a quiet heap. */
    mem64 = measure_memory(1023, 1, 64);
    membig =
        measure_memory(FIFO_BIG_PORTS - 1, ARRAY_PAGES, FIFO_BIG_PORTS - 1);

    b[B_FLOOR] = (struct bench){op_floor, NULL, NULL};

    /* 2-level interdomain: A sends, B receives on vCPU 0. */
    struct domain *a = new_domain(1, 1023, RAM_PAGES_2L);
    struct domain *bd = new_domain(1, 1023, RAM_PAGES_2L);
    evtchn_port_t b_port = alloc_unbound(bd, a->domid);
    evtchn_port_t a_port = bind_interdomain(a, bd->domid, b_port);
    struct send_2l_ctx c2l = {a, 0, rx_2l(bd, 0, b_port)};

    put_port_arg(a, GPA_SEND, a_port);
    b[B_SEND_2L] = (struct bench){op_send_2l, reset_send_2l, &c2l};

    /* 2-level IPI: vCPU 0 of C to vCPU 1 of C. */
    struct domain *c = new_domain(2, 1023, RAM_PAGES_2L);
    struct evtchn_bind_ipi bi = {.vcpu = 1};
    struct send_2l_ctx cipi;

    setup_op(c, 0, EVTCHNOP_bind_ipi, &bi, sizeof(bi), "bind_ipi");
    put_port_arg(c, GPA_SEND, bi.port);
    cipi = (struct send_2l_ctx){c, 0, rx_2l(c, 1, bi.port)};
    b[B_SEND_IPI] = (struct bench){op_send_2l, reset_send_2l, &cipi};

    /* FIFO interdomain: 64 ports in use, and 131070 of 131072 (port
     * 131071 stays free for bind+close). */
    struct fifo_pair p64 = fifo_pair(1023, 1, FIFO_SMALL_PORT);
    struct fifo_pair pbig =
        fifo_pair(FIFO_BIG_PORTS - 1, ARRAY_PAGES, FIFO_BIG_PORTS - 2);
    struct send_fifo_ctx cf64 = {p64.tx, rx_fifo(p64.rx, 0, p64.rx_port)};
    struct send_fifo_ctx cfbig = {pbig.tx, rx_fifo(pbig.rx, 0, pbig.rx_port)};

    b[B_SEND_FIFO64] = (struct bench){op_send_fifo, reset_send_fifo, &cf64};
    b[B_SEND_FIFOBIG] = (struct bench){op_send_fifo, reset_send_fifo, &cfbig};

    /* Unmask: a masked IPI port with its event pending, 2L and FIFO. */
    evtchn_port_t um_port, umf_port;
    struct domain *um = masked_ipi(1023, 0, &um_port);
    struct domain *umf = masked_ipi(1023, 1, &umf_port);
    struct unmask_2l_ctx cu2l = {um, rx_2l(um, 0, um_port)};
    struct unmask_fifo_ctx cufifo = {umf, rx_fifo(umf, 0, umf_port)};

    b[B_UNMASK_2L] = (struct bench){op_unmask_2l, reset_unmask_2l, &cu2l};
    b[B_UNMASK_FIFO] =
        (struct bench){op_unmask_fifo, reset_unmask_fifo, &cufifo};

    /* bind+close next to 64 and to 131070 ports in use (the FIFO
     * receivers above; their sends use other ports). */
    struct bind_close_ctx cbc64 = bind_close_ctx(p64.rx, FIFO_SMALL_PORT + 1);
    struct bind_close_ctx cbcbig = bind_close_ctx(pbig.rx, FIFO_BIG_PORTS - 1);

    b[B_BC64] = (struct bench){op_bind_close, NULL, &cbc64};
    b[B_BCBIG] = (struct bench){op_bind_close, NULL, &cbcbig};

    measure(b, r, NR_BENCH);
    floor_ns = r[B_FLOOR].net_med;

    /* ---- the table ---- */
    printf("xenemu event channels: %u batches x %u ops, ns per op; "
           "net = op - guest reset (per batch)\n\n",
           batches, ops);
    printf("%-32s %7s %7s %7s %7s %7s %7s  %-9s %s\n", "operation", "net med",
           "net p90", "net min", "op+rst", "reset", "x floor", "target",
           "result");
    row("floor: atomic fetch_or + clear", &r[B_FLOOR], "", "(baseline)");
    send_row("send 2L interdomain", &r[B_SEND_2L]);
    send_row("send 2L IPI (vCPU 0 -> 1)", &r[B_SEND_IPI]);
    send_row("send FIFO interdom, 64 ports", &r[B_SEND_FIFO64]);
    send_row("send FIFO interdom, 131072 ports", &r[B_SEND_FIFOBIG]);
    row("unmask 2L (masked, pending)", &r[B_UNMASK_2L], "", "");
    row("unmask FIFO (masked, pending)", &r[B_UNMASK_FIFO], "", "");
    row("alloc+close, 64 ports", &r[B_BC64], "", "");
    row("alloc+close, 131072 ports", &r[B_BCBIG], "", "");
    printf(
        "\nnet: the hypercall alone (op+rst minus the guest's reset, batch by "
        "batch); min: the\nquietest batch.  alloc+close: "
        "EVTCHNOP_alloc_unbound then EVTCHNOP_close.\n");

    double scale = r[B_SEND_FIFOBIG].net_med / r[B_SEND_FIFO64].net_med;

    printf("\nFIFO send scaling, 131072 vs 64 ports: %.2fx (target <= %.1fx)"
           "  %s\n",
           scale, TARGET_FIFO_SCALING, verdict(scale <= TARGET_FIFO_SCALING));

    printf("\n%-34s %10s %12s %12s %12s  %-10s %s\n", "hypervisor memory",
           "ports", "domain B", "binding B", "B/port", "target", "result");
    for (int i = 0; i < 2; i++) {
        const struct mem_result *m = i ? &membig : &mem64;
        double per = (double)m->bind_bytes / m->nports;

        printf("%-34s %10u %12zu %12zu %12.1f  %-10s %s\n",
               i ? "FIFO, max_evtchn_port 131071"
                 : "FIFO, max_evtchn_port 1023",
               m->nports, m->domain_bytes, m->bind_bytes, per, "<= 64 B",
               verdict(per <= TARGET_BYTES_PER_PORT));
        printf("%-34s %10s %12s %12s %12.1f\n", "  incl. domain + FIFO setup",
               "", "", "",
               (double)(m->domain_bytes + m->bind_bytes) / m->nports);
    }

    free_domain(a);
    free_domain(bd);
    free_domain(c);
    free_domain(p64.tx);
    free_domain(p64.rx);
    free_domain(pbig.tx);
    free_domain(pbig.rx);
    free_domain(um);
    free_domain(umf);
    hv_destroy(hv);
    return 0;
}
