/*
 * demo.c: the core's self-demonstration.
 *
 * Two domains in one in-process hypervisor act as minimal guests: each
 * "boots" an event-channel driver that tries the FIFO ABI and falls back to
 * 2-level on any error (as Linux does), binds an interdomain channel to the
 * other, and the two ping-pong events through the real hypercall path, each
 * side consuming events from its own ABI's shared structures.  Then the
 * seed's hibernation problem: a resumed 2-level image misses events once
 * its boot kernel switched the domain to FIFO, unless the domain was
 * created with XEN_DOMCTL_CDF_disable_fifo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "xenemu/domain.h"
#include "xenemu/guest_mem.h"
#include "xenemu/hv.h"
#include "xenemu/hypercall.h"

#define RAM_PAGES 16u
#define ARG_GPA   0x1000u /* frame 1: hypercall arguments */
#define CB_GFN    2u      /* FIFO control block of vCPU 0 */
#define ARRAY_GFN 3u      /* first (only) FIFO event-array page */

struct guest {
    const char *name;
    struct domain *d;
    uint8_t *ram;
    bool fifo;
    evtchn_port_t port; /* our end of the interdomain channel */
};

static long evtchn_call(struct guest *g, unsigned int cmd, void *arg,
                        size_t size)
{
    uint64_t args[5] = {cmd, ARG_GPA, 0, 0, 0};
    struct hv_call call;
    long rc;

    gpa_write(g->d, ARG_GPA, arg, size);
    hv_call_init(&call, g->d->vcpus[0], false, false, 0);
    rc = hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args);
    gpa_read(g->d, arg, ARG_GPA, size);
    return rc;
}

static int guest_create(struct hv *hv, struct guest *g, const char *name,
                        uint32_t flags, uint32_t version)
{
    struct domain_config cfg = {
        .create.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap | flags,
        .create.max_vcpus = 1,
        .create.max_evtchn_port = 1023,
        .create.max_grant_frames = -1,
        .create.max_maptrack_frames = -1,
        .xen_version = version,
    };
    int rc = domain_create(hv, 0, &cfg, &g->d);

    if (rc) {
        fprintf(stderr, "demo: creating %s failed: %d\n", name, rc);
        return rc;
    }
    g->name = name;
    g->ram = calloc(RAM_PAGES, GUEST_PAGE_SIZE);
    if (!g->ram)
        return -XEN_ENOMEM;
    domain_set_ram(g->d, g->ram, (uint64_t)RAM_PAGES * GUEST_PAGE_SIZE);
    return domain_unpause(g->d);
}

static void guest_destroy(struct guest *g)
{
    domain_destroy(g->d);
    domain_put(g->d);
    free(g->ram);
}

/* The guest's driver start-up: FIFO if allowed and accepted, else 2L. */
static void guest_init_events(struct guest *g, bool try_fifo)
{
    struct evtchn_init_control init = {.control_gfn = CB_GFN};
    struct evtchn_expand_array expand = {.array_gfn = ARRAY_GFN};
    long rc = -XEN_ENOSYS;

    g->fifo = false;
    if (try_fifo)
        rc = evtchn_call(g, EVTCHNOP_init_control, &init, sizeof(init));
    if (rc == 0)
        rc = evtchn_call(g, EVTCHNOP_expand_array, &expand, sizeof(expand));
    g->fifo = rc == 0;
    printf("  %s: %s", g->name, g->fifo ? "FIFO ABI" : "2-level ABI");
    if (try_fifo && !g->fifo)
        printf(" (init_control said %ld)", rc);
    printf("\n");
}

/* Consume every pending event on (g)'s ABI; count those on g->port. */
static unsigned int consume_2l(struct guest *g)
{
    struct shared_info *s = g->d->shared_info;
    struct vcpu_info *vi = &s->vcpu_info[0];
    unsigned int got = 0;
    xen_ulong_t sel;

    __atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    for (unsigned int w = 0; sel; w++, sel >>= 1) {
        xen_ulong_t bits;

        if (!(sel & 1))
            continue;
        bits = __atomic_exchange_n(&s->evtchn_pending[w], 0, __ATOMIC_SEQ_CST);
        if (w == g->port / 64 && (bits >> (g->port % 64)) & 1)
            got++;
    }
    return got;
}

static unsigned int consume_fifo(struct guest *g)
{
    struct evtchn_fifo_control_block *cb =
        (void *)(g->ram + CB_GFN * GUEST_PAGE_SIZE);
    event_word_t *words = (void *)(g->ram + ARRAY_GFN * GUEST_PAGE_SIZE);
    uint32_t ready;
    unsigned int got = 0;
    struct vcpu_info *vi = vcpu_info_of(g->d->vcpus[0]);

    __atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    ready = __atomic_exchange_n(&cb->ready, 0, __ATOMIC_SEQ_CST);
    for (unsigned int q = 0; q < EVTCHN_FIFO_MAX_QUEUES; q++) {
        evtchn_port_t port;

        if (!(ready & (1u << q)))
            continue;
        port = __atomic_load_n(&cb->head[q], __ATOMIC_ACQUIRE);
        while (port) {
            event_word_t w = __atomic_fetch_and(&words[port],
                                                ~((1u << EVTCHN_FIFO_LINKED) |
                                                  (1u << EVTCHN_FIFO_PENDING) |
                                                  EVTCHN_FIFO_LINK_MASK),
                                                __ATOMIC_SEQ_CST);

            if (port == g->port && (w & (1u << EVTCHN_FIFO_PENDING)))
                got++;
            port = w & EVTCHN_FIFO_LINK_MASK;
        }
    }
    return got;
}

static unsigned int consume(struct guest *g)
{
    return g->fifo ? consume_fifo(g) : consume_2l(g);
}

static int connect(struct guest *a, struct guest *b)
{
    struct evtchn_alloc_unbound alloc = {.dom = DOMID_SELF,
                                         .remote_dom = b->d->domid};
    struct evtchn_bind_interdomain bind = {.remote_dom = a->d->domid};

    if (evtchn_call(a, EVTCHNOP_alloc_unbound, &alloc, sizeof(alloc)))
        return -1;
    bind.remote_port = alloc.port;
    if (evtchn_call(b, EVTCHNOP_bind_interdomain, &bind, sizeof(bind)))
        return -1;
    a->port = alloc.port;
    b->port = bind.local_port;
    consume(b); /* a new interdomain port starts pending */
    return 0;
}

/* (events) sends each way; every one must arrive exactly once. */
static int pingpong(struct guest *a, struct guest *b, unsigned int events)
{
    struct evtchn_send sa = {.port = 0}, sb = {.port = 0};
    unsigned int at_b = 0, at_a = 0;

    if (connect(a, b))
        return -1;
    sa.port = a->port;
    sb.port = b->port;
    for (unsigned int i = 0; i < events; i++) {
        if (evtchn_call(a, EVTCHNOP_send, &sa, sizeof(sa)))
            return -1;
        at_b += consume(b);
        if (evtchn_call(b, EVTCHNOP_send, &sb, sizeof(sb)))
            return -1;
        at_a += consume(a);
    }
    printf("  %s -> %s: %u of %u events delivered; %s -> %s: %u of %u\n",
           a->name, b->name, at_b, events, b->name, a->name, at_a, events);
    return at_a == events && at_b == events ? 0 : -1;
}

struct scenario {
    const char *title;
    uint32_t flags_a, flags_b;
    uint32_t version;
    bool try_fifo;
    bool expect_fifo_a, expect_fifo_b;
};

static const struct scenario scenarios[] = {
    {"Xen 4.17, drivers prefer FIFO", 0, 0, 0, true, true, true},
    {"guests booted with fifo_events=0", 0, 0, 0, false, false, false},
    {"dom-b created with XEN_DOMCTL_CDF_disable_fifo", 0,
     XEN_DOMCTL_CDF_disable_fifo, 0, true, true, false},
    {"both domains emulate Xen 4.3 (no FIFO yet)", 0, 0, XENEMU_VERSION(4, 3),
     true, false, false},
};

static int run_scenario(struct hv *hv, const struct scenario *s,
                        unsigned int events)
{
    struct guest a = {0}, b = {0};
    int rc;

    printf("%s\n", s->title);
    rc = guest_create(hv, &a, "dom-a", s->flags_a, s->version);
    if (rc == 0)
        rc = guest_create(hv, &b, "dom-b", s->flags_b, s->version);
    if (rc == 0) {
        guest_init_events(&a, s->try_fifo);
        guest_init_events(&b, s->try_fifo);
        rc = a.fifo == s->expect_fifo_a && b.fifo == s->expect_fifo_b ? 0 : -1;
    }
    if (rc == 0)
        rc = pingpong(&a, &b, events);
    if (a.d)
        guest_destroy(&a);
    if (b.d)
        guest_destroy(&b);
    printf("  %s\n", rc ? "FAILED" : "ok");
    return rc;
}

/*
 * The seed's problem: the boot kernel brings up FIFO, then jumps into an
 * image hibernated on pre-4.4 Xen that only reads the 2-level bitmaps.
 */
static int hibernation(struct hv *hv, uint32_t flags, bool expect_seen)
{
    struct guest a = {0}, b = {0};
    bool seen;
    int rc;

    printf("hibernation resume, dom-b created %s\n",
           flags ? "with XEN_DOMCTL_CDF_disable_fifo" : "without the flag");
    rc = guest_create(hv, &a, "dom-a", 0, 0);
    if (rc == 0)
        rc = guest_create(hv, &b, "dom-b", flags, 0);
    if (rc == 0) {
        guest_init_events(&b, true); /* the boot kernel */
        b.fifo = false;              /* the resumed image reads 2L only */
        rc = connect(&a, &b);
    }
    if (rc == 0) {
        struct evtchn_send send = {.port = a.port};

        consume_2l(&b);
        rc = evtchn_call(&a, EVTCHNOP_send, &send, sizeof(send)) ? -1 : 0;
        seen = consume_2l(&b) == 1;
        printf("  resumed image %s the event\n", seen ? "sees" : "never sees");
        if (seen != expect_seen)
            rc = -1;
    }
    if (a.d)
        guest_destroy(&a);
    if (b.d)
        guest_destroy(&b);
    printf("  %s\n", rc ? "FAILED" : "as expected");
    return rc;
}

int demo_run(unsigned int events)
{
    struct hv *hv;
    int rc = hv_create(NULL, NULL, &hv), failed = 0;

    if (rc) {
        fprintf(stderr, "demo: cannot create the hypervisor: %d\n", rc);
        return -1;
    }
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
        failed |= run_scenario(hv, &scenarios[i], events);
    failed |= hibernation(hv, 0, false);
    failed |= hibernation(hv, XEN_DOMCTL_CDF_disable_fifo, true);
    hv_destroy(hv);
    printf("demo: %s\n", failed ? "FAILED" : "all scenarios behaved as Xen");
    return failed ? -1 : 0;
}
