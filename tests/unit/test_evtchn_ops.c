/*
 * test_evtchn_ops.c: every EVTCHNOP sub-op and every error path of
 * reference section 6.4, in Xen's order of checks, table-driven.  Each row
 * runs in a fresh "world" (dom0 plus two guests A and B with a known set of
 * ports) under the 2-level ABI and again under FIFO.
 *
 * Every expected value is Xen 4.17.7's: each group of rows names the Xen
 * function it comes from, and a comment says where xenemu deliberately
 * differs (docs/event-channels.md).  A row may also set up or check state
 * with other operations; those follow the same functions.
 *
 * Besides the row's own expectations, every row checks the generic rules of
 * the dispatcher (xen/common/event_channel.c:do_event_channel_op() copies
 * OUT fields back only on success): a failed operation changes no port (state,
 * pending bit, count) of any domain, kicks no vCPU, and writes no OUT field
 * back.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define DOM_A   1
#define DOM_B   2
#define NO_DOM  77
#define BIGPORT 5000u /* beyond every domain's port table */
#define MAXPORT 63u   /* A's and B's max_evtchn_port */
#define SCAN    (MAXPORT + 1)
/* A guest-physical address outside the test domains' RAM. */
#define BAD_GPA ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE + 0x100)

/* The ports a world starts with (A's ports; B has B_PORT only). */
enum {
    A_UNBOUND_B = 1,    /* unbound, B may bind */
    A_IPI1 = 2,         /* IPI on vCPU 1 */
    A_TIMER0 = 3,       /* VIRQ_TIMER on vCPU 0 */
    A_ARGO = 4,         /* VIRQ_ARGO (per-domain) on vCPU 0 */
    A_INTER_B = 5,      /* interdomain with B's port B_PORT */
    A_UNBOUND_SELF = 6, /* unbound, A may bind (loopback) */
    A_FREE = 7,         /* was allocated, then closed: A's lowest free port */
    B_PORT = 1,         /* B: interdomain with A_INTER_B */
    B_FREE = 2,
};

enum who { W_NONE, W_A, W_B, W_DOM0 };

struct world {
    struct hv *hv;
    struct domain *a, *b, *dom0;
    uint8_t *dom0_ram;
    bool fifo;
    uint64_t a_array, b_array; /* first FIFO event-array frames */
    unsigned int base[3][2];   /* kicks counted before the operation */
};

/* ---- the world ---------------------------------------------------------- */

static struct domain *who_dom(struct world *w, enum who who)
{
    switch (who) {
    case W_A:
        return w->a;
    case W_B:
        return w->b;
    case W_DOM0:
        return w->dom0;
    default:
        fail_msg("bad who %d", who);
        return NULL;
    }
}

static struct domain *dom_by_id(struct world *w, domid_t id)
{
    return id == DOM_A ? w->a : id == DOM_B ? w->b : w->dom0;
}

static int dom_index(struct world *w, const struct domain *d)
{
    return d == w->a ? 0 : d == w->b ? 1 : 2;
}

/* Count kicks from here on. */
static void rebase(struct world *w)
{
    struct domain *doms[3] = {w->a, w->b, w->dom0};

    for (int i = 0; i < 3; i++)
        for (unsigned int v = 0; v < doms[i]->max_vcpus && v < 2; v++)
            w->base[i][v] = kicks(doms[i], v);
}

/* Kicks of (d)'s vCPU (v) since rebase(). */
static unsigned int kicked(struct world *w, struct domain *d, unsigned int v)
{
    return kicks(d, v) - w->base[dom_index(w, d)][v];
}

/* Guest-visible events of (d) cleared, as if the guest consumed them all. */
static void clear_events(struct world *w, struct domain *d)
{
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        shinfo(d)->vcpu_info[i].evtchn_upcall_pending = 0;
        shinfo(d)->vcpu_info[i].evtchn_pending_sel = 0;
    }
    memset(shinfo(d)->evtchn_pending, 0, sizeof(shinfo(d)->evtchn_pending));
    if (!w->fifo || d == w->dom0)
        return;
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        memset(fifo_cb(d, i), 0, sizeof(struct evtchn_fifo_control_block));
    for (evtchn_port_t p = 0; p < 1024; p++) {
        event_word_t *word =
            fifo_word(d, d == w->a ? w->a_array : w->b_array, p);

        *word &= ~(EVTCHN_FIFO_LINK_MASK | 1u << EVTCHN_FIFO_PENDING |
                   1u << EVTCHN_FIFO_LINKED);
    }
}

static void mask_port(struct world *w, struct domain *d, evtchn_port_t p,
                      bool masked)
{
    event_word_t *word;

    if (!w->fifo || d == w->dom0) {
        mask_2l(d, p, masked);
        return;
    }
    word = fifo_word(d, d == w->a ? w->a_array : w->b_array, p);
    if (masked)
        __atomic_fetch_or(word, 1u << EVTCHN_FIFO_MASKED, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(word, ~(1u << EVTCHN_FIFO_MASKED), __ATOMIC_SEQ_CST);
}

static struct evtchn_status status_of(struct world *w, struct domain *d,
                                      evtchn_port_t port)
{
    struct evtchn_status st = {.dom = d->domid, .port = port};

    /* dom0 may look at anyone's ports. */
    assert_int_equal(evtchn_status(w->dom0, &st), 0);
    return st;
}

static void world_up(struct world *w, bool fifo)
{
    struct evtchn_bind_virq virq;
    struct rec_vcpu *rec;

    memset(w, 0, sizeof(*w));
    w->fifo = fifo;
    w->hv = harness_hv();
    w->a = harness_domain(w->hv, &(struct harness_dom_opts){
                                     .vcpus = 2, .max_evtchn_port = MAXPORT});
    w->b = harness_domain(
        w->hv, &(struct harness_dom_opts){.max_evtchn_port = MAXPORT});
    assert_int_equal(w->a->domid, DOM_A);
    assert_int_equal(w->b->domid, DOM_B);

    /* dom0 gets RAM and a recorder, so it can issue hypercalls too. */
    w->dom0 = domain_get(w->hv, 0);
    assert_non_null(w->dom0);
    w->dom0_ram = aligned_alloc(GUEST_PAGE_SIZE, 16 * GUEST_PAGE_SIZE);
    assert_non_null(w->dom0_ram);
    memset(w->dom0_ram, 0, 16 * GUEST_PAGE_SIZE);
    domain_set_ram(w->dom0, w->dom0_ram, 16 * GUEST_PAGE_SIZE);
    rec = calloc(1, sizeof(*rec));
    assert_non_null(rec);
    w->dom0->vcpus[0]->backend_priv = rec;

    if (fifo) {
        w->a_array = harness_fifo_init(w->a, 1);
        w->b_array = harness_fifo_init(w->b, 1);
    }
    assert_int_equal(must_alloc_unbound(w->a, DOM_B), A_UNBOUND_B);
    assert_int_equal(must_bind_ipi(w->a, 1), A_IPI1);
    virq = (struct evtchn_bind_virq){.virq = VIRQ_TIMER, .vcpu = 0};
    assert_int_equal(evtchn_op(w->a, EVTCHNOP_bind_virq, &virq, sizeof(virq)),
                     0);
    assert_int_equal(virq.port, A_TIMER0);
    virq = (struct evtchn_bind_virq){.virq = VIRQ_ARGO, .vcpu = 0};
    assert_int_equal(evtchn_op(w->a, EVTCHNOP_bind_virq, &virq, sizeof(virq)),
                     0);
    assert_int_equal(virq.port, A_ARGO);
    assert_int_equal(must_alloc_unbound(w->b, DOM_A), B_PORT);
    assert_int_equal(must_bind_interdomain(w->a, DOM_B, B_PORT), A_INTER_B);
    assert_int_equal(must_alloc_unbound(w->a, DOMID_SELF), A_UNBOUND_SELF);
    assert_int_equal(must_alloc_unbound(w->a, DOM_B), A_FREE);
    assert_int_equal(do_close(w->a, A_FREE), 0);
    clear_events(w, w->a);
    clear_events(w, w->b);
    rebase(w);
}

static void world_down(struct world *w)
{
    void *rec = w->dom0->vcpus[0]->backend_priv;

    harness_domain_free(w->a);
    harness_domain_free(w->b);
    domain_put(w->dom0);
    hv_destroy(w->hv);
    free(w->dom0_ram);
    free(rec);
}

/* ---- preparations a row may ask for ------------------------------------ */

static void fill(struct domain *d)
{
    struct evtchn_alloc_unbound op;
    long rc;

    do {
        op = (struct evtchn_alloc_unbound){.dom = DOMID_SELF,
                                           .remote_dom = DOMID_SELF};
        rc = evtchn_op(d, EVTCHNOP_alloc_unbound, &op, sizeof(op));
    } while (rc == 0);
    assert_int_equal(rc, -XEN_ENOSPC);
}

static void prep_fill_a(struct world *w)
{
    fill(w->a);
}

static void prep_fill_b(struct world *w)
{
    fill(w->b);
}

static void prep_close_unbound(struct world *w)
{
    assert_int_equal(do_close(w->a, A_UNBOUND_B), 0);
}

/* A_UNBOUND_SELF <-> A_FREE, a loopback pair. */
static void prep_loopback(struct world *w)
{
    assert_int_equal(must_bind_interdomain(w->a, DOMID_SELF, A_UNBOUND_SELF),
                     A_FREE);
    clear_events(w, w->a);
}

static void prep_pause_a(struct world *w)
{
    assert_int_equal(domain_pause(w->a), 0);
}

static void prep_mask_sender(struct world *w)
{
    mask_port(w, w->a, A_INTER_B, true);
}

static void prep_mask_receiver(struct world *w)
{
    mask_port(w, w->b, B_PORT, true);
}

/* A's IPI port masked with an event pending behind the mask. */
static void prep_masked_pending(struct world *w)
{
    mask_port(w, w->a, A_IPI1, true);
    assert_int_equal(do_send(w->a, A_IPI1), 0);
    assert_true(evtchn_port_is_pending(w->a, A_IPI1));
    assert_int_equal(kicked(w, w->a, 1), 0);
}

static void prep_dom0_console(struct world *w)
{
    struct evtchn_bind_virq op = {.virq = VIRQ_CONSOLE, .vcpu = 0};

    assert_int_equal(evtchn_bind_virq(w->dom0, &op), 0);
    assert_int_equal(op.port, 1);
}

/* pirq 5 bound on A_FREE. */
static void prep_pirq5(struct world *w)
{
    struct evtchn_bind_pirq op = {.pirq = 5};

    assert_int_equal(evtchn_op(w->a, EVTCHNOP_bind_pirq, &op, sizeof(op)), 0);
    assert_int_equal(op.port, A_FREE);
}

/* ---- checks a row may ask for ------------------------------------------- */

static void check_rebind_pirq5(struct world *w, const union evtchn_op_arg *out)
{
    (void)out;
    prep_pirq5(w);
}

static void check_rebind_timer(struct world *w, const union evtchn_op_arg *out)
{
    struct evtchn_bind_virq op = {.virq = VIRQ_TIMER, .vcpu = 0};

    (void)out;
    assert_int_equal(evtchn_op(w->a, EVTCHNOP_bind_virq, &op, sizeof(op)), 0);
    assert_int_equal(op.port, A_TIMER0);
}

/* Checklist 11: the closer may bind to the now-unbound peer again. */
static void check_rebind_peer(struct world *w, const union evtchn_op_arg *out)
{
    (void)out;
    assert_int_equal(must_bind_interdomain(w->a, DOM_B, B_PORT), A_INTER_B);
    assert_int_equal(status_of(w, w->b, B_PORT).u.interdomain.port, A_INTER_B);
}

static void check_send_ipi(struct world *w, const union evtchn_op_arg *out)
{
    (void)out;
    assert_true(evtchn_port_is_pending(w->a, A_IPI1));
    assert_int_equal(kicked(w, w->a, 1), 1);
    assert_int_equal(kicked(w, w->a, 0), 0);
}

static void check_send_to_b(struct world *w, const union evtchn_op_arg *out)
{
    (void)out;
    assert_true(evtchn_port_is_pending(w->b, B_PORT));
    assert_false(evtchn_port_is_pending(w->a, A_INTER_B));
    assert_int_equal(kicked(w, w->b, 0), 1);
    assert_int_equal(kicked(w, w->a, 0), 0);
}

static void check_send_masked(struct world *w, const union evtchn_op_arg *out)
{
    (void)out;
    assert_true(evtchn_port_is_pending(w->b, B_PORT));
    assert_int_equal(kicked(w, w->b, 0), 0);
}

static void check_send_to_a(struct world *w, const union evtchn_op_arg *out)
{
    (void)out;
    assert_true(evtchn_port_is_pending(w->a, A_INTER_B));
    assert_int_equal(kicked(w, w->a, 0), 1);
}

static void check_send_unbound(struct world *w, const union evtchn_op_arg *out)
{
    (void)out;
    assert_false(evtchn_port_is_pending(w->a, A_UNBOUND_B));
    assert_int_equal(kicked(w, w->a, 0), 0);
    assert_int_equal(kicked(w, w->a, 1), 0);
}

static void check_send_loopback(struct world *w, const union evtchn_op_arg *out)
{
    (void)out;
    assert_true(evtchn_port_is_pending(w->a, A_UNBOUND_SELF));
    assert_false(evtchn_port_is_pending(w->a, A_FREE));
    assert_int_equal(kicked(w, w->a, 0), 1);
}

/* After bind_vcpu(A_INTER_B, 1), B's send notifies A's vCPU 1. */
static void check_moved_interdomain(struct world *w,
                                    const union evtchn_op_arg *out)
{
    (void)out;
    assert_int_equal(do_send(w->b, B_PORT), 0);
    assert_true(evtchn_port_is_pending(w->a, A_INTER_B));
    assert_int_equal(kicked(w, w->a, 1), 1);
    assert_int_equal(kicked(w, w->a, 0), 0);
}

static void check_unmasked_raises(struct world *w,
                                  const union evtchn_op_arg *out)
{
    (void)out;
    assert_false(evtchn_port_is_masked(w->a, A_IPI1));
    assert_true(evtchn_port_is_pending(w->a, A_IPI1));
    assert_int_equal(kicked(w, w->a, 1), 1);
    /* A second unmask raises nothing more. */
    assert_int_equal(do_unmask(w->a, A_IPI1), 0);
    assert_int_equal(kicked(w, w->a, 1), 1);
}

static void check_reset_a(struct world *w, const union evtchn_op_arg *out)
{
    (void)out;
    for (evtchn_port_t p = 1; p < SCAN; p++)
        if (evtchn_port_state(w->a, p) >= 0)
            assert_int_equal(evtchn_port_state(w->a, p), ECS_FREE);
    assert_int_equal(w->a->active_evtchns, 0);
    assert_false(evtchn_domain_is_fifo(w->a));
    /* B's end became unbound, bindable by A again. */
    assert_int_equal(status_of(w, w->b, B_PORT).status, EVTCHNSTAT_unbound);
    assert_int_equal(status_of(w, w->b, B_PORT).u.unbound.dom, DOM_A);
    /* A allocates from port 1 again. */
    assert_int_equal(must_alloc_unbound(w->a, DOM_B), 1);
}

static void check_reset_paused(struct world *w, const union evtchn_op_arg *out)
{
    check_reset_a(w, out);
    assert_int_equal(domain_unpause(w->a), 0);
}

/* ---- the table ---------------------------------------------------------- */

struct st_expect {
    enum who who; /* W_NONE: no expectation */
    evtchn_port_t port;
    uint32_t status;
    uint32_t vcpu;
    uint32_t u0; /* unbound.dom, interdomain.dom, virq or pirq */
    uint32_t u1; /* interdomain.port */
};

struct op_case {
    const char *name;
    enum who caller;
    unsigned int cmd;
    union evtchn_op_arg arg;
    long rc;
    evtchn_port_t port; /* expected OUT port when rc == 0 (0: none) */
    void (*prep)(struct world *w);
    struct st_expect st[2];
    enum who pending_who; /* must be pending afterwards */
    evtchn_port_t pending_port;
    void (*check)(struct world *w, const union evtchn_op_arg *out);
};

#define ARG(member, ...) .arg.member = {__VA_ARGS__}
#define ST(w, p, s, v, a, b)                                                   \
    {                                                                          \
        w, p, s, v, a, b                                                       \
    }
/* The union of a status argument filled with a sentinel. */
#define STATUS_ARG(d, p)                                                       \
    .arg.status = {                                                            \
        .dom = (d), .port = (p), .u.interdomain = {0xabcd, 0x12345678}}

static const struct op_case cases[] = {
    /* alloc_unbound {dom, remote_dom}:
       xen/common/event_channel.c:evtchn_alloc_unbound() */
    {"alloc_unbound self", W_A, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = DOMID_SELF, .remote_dom = DOM_B), 0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_unbound, 0, DOM_B, 0)}},
    {"alloc_unbound own domid", W_A, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = DOM_A, .remote_dom = DOM_B), 0, A_FREE},
    {"alloc_unbound remote SELF is the caller", W_DOM0, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = DOM_A, .remote_dom = DOMID_SELF), 0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_unbound, 0, 0, 0)}},
    {"alloc_unbound remote not validated", W_A, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = DOMID_SELF, .remote_dom = DOMID_INVALID), 0,
     A_FREE, .st = {ST(W_A, A_FREE, EVTCHNSTAT_unbound, 0, DOMID_INVALID, 0)}},
    {"alloc_unbound remote nonexistent", W_A, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = DOMID_SELF, .remote_dom = NO_DOM), 0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_unbound, 0, NO_DOM, 0)}},
    {"alloc_unbound unknown dom", W_A, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = NO_DOM, .remote_dom = DOMID_SELF), -XEN_ESRCH},
    {"alloc_unbound reserved dom", W_A, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = DOMID_IO, .remote_dom = DOMID_SELF), -XEN_ESRCH},
    {"alloc_unbound in another domU", W_A, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = DOM_B, .remote_dom = DOMID_SELF), -XEN_EPERM},
    {"alloc_unbound in dom0", W_A, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = 0, .remote_dom = DOMID_SELF), -XEN_EPERM},
    {"alloc_unbound by dom0 for A", W_DOM0, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = DOM_A, .remote_dom = DOM_B), 0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_unbound, 0, DOM_B, 0)}},
    {"alloc_unbound full", W_A, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = DOMID_SELF, .remote_dom = DOM_B), -XEN_ENOSPC,
     .prep = prep_fill_a},
    {"alloc_unbound ENOSPC before EPERM", W_A, EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = DOM_B, .remote_dom = DOMID_SELF), -XEN_ENOSPC,
     .prep = prep_fill_b},

    /* bind_interdomain {remote_dom, remote_port}:
     * xen/common/event_channel.c:evtchn_bind_interdomain() */
    {"bind_interdomain", W_B, EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = DOM_A, .remote_port = A_UNBOUND_B), 0,
     B_FREE,
     .st = {ST(W_B, B_FREE, EVTCHNSTAT_interdomain, 0, DOM_A, A_UNBOUND_B),
            ST(W_A, A_UNBOUND_B, EVTCHNSTAT_interdomain, 0, DOM_B, B_FREE)},
     .pending_who = W_B, .pending_port = B_FREE},
    {"bind_interdomain loopback SELF", W_A, EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = DOMID_SELF,
         .remote_port = A_UNBOUND_SELF),
     0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_interdomain, 0, DOM_A, A_UNBOUND_SELF),
            ST(W_A, A_UNBOUND_SELF, EVTCHNSTAT_interdomain, 0, DOM_A, A_FREE)},
     .pending_who = W_A, .pending_port = A_FREE},
    {"bind_interdomain loopback own domid", W_A, EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = DOM_A, .remote_port = A_UNBOUND_SELF),
     0, A_FREE, .pending_who = W_A, .pending_port = A_FREE},
    {"bind_interdomain unknown dom", W_B, EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = NO_DOM, .remote_port = 1), -XEN_ESRCH},
    {"bind_interdomain port beyond table", W_B, EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = DOM_A, .remote_port = BIGPORT),
     -XEN_EINVAL},
    {"bind_interdomain port 0", W_B, EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = DOM_A, .remote_port = 0), -XEN_EINVAL},
    {"bind_interdomain free port", W_B, EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = DOM_A, .remote_port = A_FREE),
     -XEN_EINVAL},
    {"bind_interdomain IPI port", W_B, EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = DOM_A, .remote_port = A_IPI1),
     -XEN_EINVAL},
    {"bind_interdomain bound port", W_B, EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = DOM_A, .remote_port = A_INTER_B),
     -XEN_EINVAL},
    {"bind_interdomain not the allowed domain", W_B, EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = DOM_A, .remote_port = A_UNBOUND_SELF),
     -XEN_EINVAL},
    {"bind_interdomain dom0 is not B", W_DOM0, EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = DOM_A, .remote_port = A_UNBOUND_B),
     -XEN_EINVAL},
    {"bind_interdomain ENOSPC before the remote port", W_B,
     EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = DOM_A, .remote_port = BIGPORT),
     -XEN_ENOSPC, .prep = prep_fill_b},

    /* bind_virq {virq, vcpu}: xen/common/event_channel.c:evtchn_bind_virq(),
     * classes from virq_is_global() */
    {"bind_virq timer vcpu1", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_TIMER, .vcpu = 1), 0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_virq, 1, VIRQ_TIMER, 0)}},
    {"bind_virq debug vcpu0", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_DEBUG, .vcpu = 0), 0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_virq, 0, VIRQ_DEBUG, 0)}},
    {"bind_virq xenoprof vcpu1", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_XENOPROF, .vcpu = 1), 0, A_FREE},
    {"bind_virq xenpmu vcpu1", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_XENPMU, .vcpu = 1), 0, A_FREE},
    {"bind_virq timer twice", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_TIMER, .vcpu = 0), -XEN_EEXIST},
    {"bind_virq argo twice", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_ARGO, .vcpu = 0), -XEN_EEXIST},
    {"bind_virq 24", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = NR_VIRQS, .vcpu = 0), -XEN_EINVAL},
    {"bind_virq negative", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = 0xffffffffu, .vcpu = 0), -XEN_EINVAL},
    {"bind_virq argo vcpu1", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_ARGO, .vcpu = 1), -XEN_EINVAL},
    {"bind_virq argo vcpu9999: EINVAL before ENOENT", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_ARGO, .vcpu = 9999), -XEN_EINVAL},
    {"bind_virq timer vcpu2", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_TIMER, .vcpu = 2), -XEN_ENOENT},
    {"bind_virq timer vcpu9999", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_TIMER, .vcpu = 9999), -XEN_ENOENT},
    /* A 4.17 domU may bind a global VIRQ on vCPU 0 (no handler check before
     * 4.21; test_bind_virq_421() has that one). */
    {"bind_virq console from domU", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_CONSOLE, .vcpu = 0), 0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_virq, 0, VIRQ_CONSOLE, 0)}},
    {"bind_virq dom_exc from domU", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_DOM_EXC, .vcpu = 0), 0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_virq, 0, VIRQ_DOM_EXC, 0)}},
    {"bind_virq unused 5 is global", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = 5, .vcpu = 0), 0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_virq, 0, 5, 0)}},
    {"bind_virq unused 5 is global: vcpu1", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = 5, .vcpu = 1), -XEN_EINVAL},
    {"bind_virq arch 0 is global", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_ARCH_0, .vcpu = 0), 0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_virq, 0, VIRQ_ARCH_0, 0)}},
    {"bind_virq arch 7 is global: vcpu1", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_ARCH_7, .vcpu = 1), -XEN_EINVAL},
    {"bind_virq console full", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_CONSOLE, .vcpu = 0), -XEN_ENOSPC,
     .prep = prep_fill_a},
    {"bind_virq console vcpu1", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_CONSOLE, .vcpu = 1), -XEN_EINVAL},
    {"bind_virq console from dom0", W_DOM0, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_CONSOLE, .vcpu = 0), 0, 1,
     .st = {ST(W_DOM0, 1, EVTCHNSTAT_virq, 0, VIRQ_CONSOLE, 0)}},
    {"bind_virq dom_exc dom0 vcpu1", W_DOM0, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_DOM_EXC, .vcpu = 1), -XEN_EINVAL},
    {"bind_virq console twice from dom0", W_DOM0, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_CONSOLE, .vcpu = 0), -XEN_EEXIST,
     .prep = prep_dom0_console},
    {"bind_virq full", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_DEBUG, .vcpu = 0), -XEN_ENOSPC,
     .prep = prep_fill_a},
    {"bind_virq full: EEXIST before ENOSPC", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_TIMER, .vcpu = 0), -XEN_EEXIST,
     .prep = prep_fill_a},
    {"bind_virq full: ENOENT before ENOSPC", W_A, EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_TIMER, .vcpu = 7), -XEN_ENOENT,
     .prep = prep_fill_a},

    /* bind_ipi {vcpu}: xen/common/event_channel.c:evtchn_bind_ipi() */
    {"bind_ipi vcpu1", W_A, EVTCHNOP_bind_ipi, ARG(bind_ipi, .vcpu = 1), 0,
     A_FREE, .st = {ST(W_A, A_FREE, EVTCHNSTAT_ipi, 1, 0, 0)}},
    {"bind_ipi vcpu2", W_A, EVTCHNOP_bind_ipi, ARG(bind_ipi, .vcpu = 2),
     -XEN_ENOENT},
    {"bind_ipi vcpu9999", W_A, EVTCHNOP_bind_ipi, ARG(bind_ipi, .vcpu = 9999),
     -XEN_ENOENT},
    {"bind_ipi full", W_A, EVTCHNOP_bind_ipi, ARG(bind_ipi, .vcpu = 0),
     -XEN_ENOSPC, .prep = prep_fill_a},
    {"bind_ipi full: ENOENT before ENOSPC", W_A, EVTCHNOP_bind_ipi,
     ARG(bind_ipi, .vcpu = 9999), -XEN_ENOENT, .prep = prep_fill_a},

    /* bind_pirq {pirq, flags}: xen/common/event_channel.c:evtchn_bind_pirq()
     * of 4.17 on x86 for an HVM caller: -EINVAL for pirq >= nr_pirqs (for
     * a domU nr_static_irqs, the host's nr_irqs_gsi, + 32 extra_domU_irqs,
     * xen/common/domain.c:domain_create()), no -EPERM for HVM, -EEXIST
     * when bound, else a PIRQ port on vCPU 0 that nothing raises.  xenemu
     * uses 48, the least a 4.17 domU can have (16 GSIs + 32), for every
     * domain, dom0 included (deliberate, "nr_pirqs" in docs/hypercalls.md:
     * Xen's value depends on the host). */
    {"bind_pirq 1", W_A, EVTCHNOP_bind_pirq, ARG(bind_pirq, .pirq = 1), 0,
     A_FREE, .st = {ST(W_A, A_FREE, EVTCHNSTAT_pirq, 0, 1, 0)}},
    {"bind_pirq 0", W_A, EVTCHNOP_bind_pirq, ARG(bind_pirq, .pirq = 0), 0,
     A_FREE, .st = {ST(W_A, A_FREE, EVTCHNSTAT_pirq, 0, 0, 0)}},
    {"bind_pirq last (47)", W_A, EVTCHNOP_bind_pirq,
     ARG(bind_pirq, .pirq = 47, .flags = BIND_PIRQ__WILL_SHARE), 0, A_FREE,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_pirq, 0, 47, 0)}},
    {"bind_pirq 48: nr_pirqs", W_A, EVTCHNOP_bind_pirq,
     ARG(bind_pirq, .pirq = 48), -XEN_EINVAL},
    {"bind_pirq 0xffffffff", W_A, EVTCHNOP_bind_pirq,
     ARG(bind_pirq, .pirq = 0xffffffffu), -XEN_EINVAL},
    {"bind_pirq twice", W_A, EVTCHNOP_bind_pirq, ARG(bind_pirq, .pirq = 5),
     -XEN_EEXIST, .prep = prep_pirq5},
    {"bind_pirq full", W_A, EVTCHNOP_bind_pirq, ARG(bind_pirq, .pirq = 5),
     -XEN_ENOSPC, .prep = prep_fill_a},
    {"bind_pirq full: EINVAL before ENOSPC", W_A, EVTCHNOP_bind_pirq,
     ARG(bind_pirq, .pirq = 48), -XEN_EINVAL, .prep = prep_fill_a},
    {"bind_pirq from dom0", W_DOM0, EVTCHNOP_bind_pirq,
     ARG(bind_pirq, .pirq = 1, .flags = BIND_PIRQ__WILL_SHARE), 0, 1,
     .st = {ST(W_DOM0, 1, EVTCHNSTAT_pirq, 0, 1, 0)}},
    /* The PIRQ port (A_FREE after prep_pirq5): evtchn_close() frees it and
     * the pirq may be bound again; evtchn_bind_vcpu() moves it;
     * evtchn_send() refuses it (-EINVAL). */
    {"close pirq", W_A, EVTCHNOP_close, ARG(close, .port = A_FREE), 0,
     .prep = prep_pirq5, .st = {ST(W_A, A_FREE, EVTCHNSTAT_closed, 0, 0, 0)},
     .check = check_rebind_pirq5},
    {"bind_vcpu pirq", W_A, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = A_FREE, .vcpu = 1), 0, .prep = prep_pirq5,
     .st = {ST(W_A, A_FREE, EVTCHNSTAT_pirq, 1, 5, 0)}},
    {"send pirq", W_A, EVTCHNOP_send, ARG(send, .port = A_FREE), -XEN_EINVAL,
     .prep = prep_pirq5},

    /* close {port}: xen/common/event_channel.c:evtchn_close() */
    {"close port 0", W_A, EVTCHNOP_close, ARG(close, .port = 0), -XEN_EINVAL},
    {"close beyond table", W_A, EVTCHNOP_close, ARG(close, .port = BIGPORT),
     -XEN_EINVAL},
    {"close free port", W_A, EVTCHNOP_close, ARG(close, .port = A_FREE),
     -XEN_EINVAL},
    {"close twice", W_A, EVTCHNOP_close, ARG(close, .port = A_UNBOUND_B),
     -XEN_EINVAL, .prep = prep_close_unbound},
    {"close unbound", W_A, EVTCHNOP_close, ARG(close, .port = A_UNBOUND_B), 0,
     .st = {ST(W_A, A_UNBOUND_B, EVTCHNSTAT_closed, 0, 0, 0)}},
    {"close ipi", W_A, EVTCHNOP_close, ARG(close, .port = A_IPI1), 0,
     .st = {ST(W_A, A_IPI1, EVTCHNSTAT_closed, 0, 0, 0)}},
    {"close virq frees the virq", W_A, EVTCHNOP_close,
     ARG(close, .port = A_TIMER0), 0, .check = check_rebind_timer},
    {"close interdomain", W_A, EVTCHNOP_close, ARG(close, .port = A_INTER_B), 0,
     .st = {ST(W_A, A_INTER_B, EVTCHNSTAT_closed, 0, 0, 0),
            ST(W_B, B_PORT, EVTCHNSTAT_unbound, 0, DOM_A, 0)},
     .check = check_rebind_peer},
    {"close interdomain from the other end", W_B, EVTCHNOP_close,
     ARG(close, .port = B_PORT), 0,
     .st = {ST(W_B, B_PORT, EVTCHNSTAT_closed, 0, 0, 0),
            ST(W_A, A_INTER_B, EVTCHNSTAT_unbound, 0, DOM_B, 0)}},
    {"close loopback", W_A, EVTCHNOP_close, ARG(close, .port = A_FREE), 0,
     .prep = prep_loopback,
     .st = {ST(W_A, A_UNBOUND_SELF, EVTCHNSTAT_unbound, 0, DOM_A, 0)}},
    {"close only closes own ports", W_DOM0, EVTCHNOP_close,
     ARG(close, .port = A_IPI1), -XEN_EINVAL},

    /* send {port}: xen/common/event_channel.c:evtchn_send() */
    {"send port 0", W_A, EVTCHNOP_send, ARG(send, .port = 0), -XEN_EINVAL},
    {"send beyond table", W_A, EVTCHNOP_send, ARG(send, .port = BIGPORT),
     -XEN_EINVAL},
    {"send free port", W_A, EVTCHNOP_send, ARG(send, .port = A_FREE),
     -XEN_EINVAL},
    {"send virq port", W_A, EVTCHNOP_send, ARG(send, .port = A_TIMER0),
     -XEN_EINVAL},
    {"send unbound: dropped", W_A, EVTCHNOP_send,
     ARG(send, .port = A_UNBOUND_B), 0, .check = check_send_unbound},
    {"send ipi", W_A, EVTCHNOP_send, ARG(send, .port = A_IPI1), 0,
     .check = check_send_ipi},
    {"send interdomain", W_A, EVTCHNOP_send, ARG(send, .port = A_INTER_B), 0,
     .check = check_send_to_b},
    {"send interdomain ignores sender's mask", W_A, EVTCHNOP_send,
     ARG(send, .port = A_INTER_B), 0, .prep = prep_mask_sender,
     .check = check_send_to_b},
    {"send interdomain to a masked port", W_A, EVTCHNOP_send,
     ARG(send, .port = A_INTER_B), 0, .prep = prep_mask_receiver,
     .check = check_send_masked},
    {"send interdomain the other way", W_B, EVTCHNOP_send,
     ARG(send, .port = B_PORT), 0, .check = check_send_to_a},
    {"send loopback", W_A, EVTCHNOP_send, ARG(send, .port = A_FREE), 0,
     .prep = prep_loopback, .check = check_send_loopback},

    /* status {dom, port}: xen/common/event_channel.c:evtchn_status() */
    {"status port 0", W_A, EVTCHNOP_status, STATUS_ARG(DOMID_SELF, 0), 0,
     .st = {ST(W_A, 0, EVTCHNSTAT_closed, 0, 0, 0)}},
    {"status free port", W_A, EVTCHNOP_status, STATUS_ARG(DOMID_SELF, A_FREE),
     0, .st = {ST(W_A, A_FREE, EVTCHNSTAT_closed, 0, 0, 0)}},
    {"status ipi", W_A, EVTCHNOP_status, STATUS_ARG(DOMID_SELF, A_IPI1), 0,
     .st = {ST(W_A, A_IPI1, EVTCHNSTAT_ipi, 1, 0, 0)}},
    {"status unbound", W_A, EVTCHNOP_status,
     STATUS_ARG(DOMID_SELF, A_UNBOUND_B), 0,
     .st = {ST(W_A, A_UNBOUND_B, EVTCHNSTAT_unbound, 0, DOM_B, 0)}},
    {"status virq", W_A, EVTCHNOP_status, STATUS_ARG(DOMID_SELF, A_TIMER0), 0,
     .st = {ST(W_A, A_TIMER0, EVTCHNSTAT_virq, 0, VIRQ_TIMER, 0)}},
    {"status interdomain", W_A, EVTCHNOP_status,
     STATUS_ARG(DOMID_SELF, A_INTER_B), 0,
     .st = {ST(W_A, A_INTER_B, EVTCHNSTAT_interdomain, 0, DOM_B, B_PORT)}},
    {"status beyond table", W_A, EVTCHNOP_status,
     STATUS_ARG(DOMID_SELF, BIGPORT), -XEN_EINVAL},
    {"status unknown dom", W_A, EVTCHNOP_status, STATUS_ARG(NO_DOM, 1),
     -XEN_ESRCH},
    {"status of another domU", W_A, EVTCHNOP_status, STATUS_ARG(DOM_B, 1),
     -XEN_EPERM},
    {"status of dom0", W_A, EVTCHNOP_status, STATUS_ARG(0, 0), -XEN_EPERM},
    {"status: bad port before EPERM", W_A, EVTCHNOP_status,
     STATUS_ARG(DOM_B, BIGPORT), -XEN_EINVAL},
    {"status by own domid", W_A, EVTCHNOP_status, STATUS_ARG(DOM_A, A_ARGO), 0},
    {"status by dom0", W_DOM0, EVTCHNOP_status, STATUS_ARG(DOM_A, A_INTER_B),
     0},
    {"status by dom0 of itself", W_DOM0, EVTCHNOP_status,
     STATUS_ARG(DOMID_SELF, 0), 0,
     .st = {ST(W_DOM0, 0, EVTCHNSTAT_closed, 0, 0, 0)}},

    /* bind_vcpu {port, vcpu}: xen/common/event_channel.c:evtchn_bind_vcpu() */
    {"bind_vcpu vcpu2", W_A, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = A_UNBOUND_B, .vcpu = 2), -XEN_ENOENT},
    {"bind_vcpu: ENOENT before EINVAL", W_A, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = BIGPORT, .vcpu = 9999), -XEN_ENOENT},
    {"bind_vcpu beyond table", W_A, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = BIGPORT, .vcpu = 1), -XEN_EINVAL},
    {"bind_vcpu port 0", W_A, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = 0, .vcpu = 1), -XEN_EINVAL},
    {"bind_vcpu free port", W_A, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = A_FREE, .vcpu = 1), -XEN_EINVAL},
    {"bind_vcpu ipi", W_A, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = A_IPI1, .vcpu = 0), -XEN_EINVAL},
    {"bind_vcpu per-vcpu virq", W_A, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = A_TIMER0, .vcpu = 1), -XEN_EINVAL},
    {"bind_vcpu per-domain virq", W_A, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = A_ARGO, .vcpu = 1), 0,
     .st = {ST(W_A, A_ARGO, EVTCHNSTAT_virq, 1, VIRQ_ARGO, 0)}},
    {"bind_vcpu unbound", W_A, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = A_UNBOUND_B, .vcpu = 1), 0,
     .st = {ST(W_A, A_UNBOUND_B, EVTCHNSTAT_unbound, 1, DOM_B, 0)}},
    {"bind_vcpu interdomain", W_A, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = A_INTER_B, .vcpu = 1), 0,
     .st = {ST(W_A, A_INTER_B, EVTCHNSTAT_interdomain, 1, DOM_B, B_PORT)},
     .check = check_moved_interdomain},
    {"bind_vcpu global virq on dom0", W_DOM0, EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = 1, .vcpu = 0), 0, .prep = prep_dom0_console},

    /* unmask {port}: xen/common/event_channel.c:evtchn_unmask(), then
     * xen/common/event_2l.c:evtchn_2l_unmask() or
     * xen/common/event_fifo.c:evtchn_fifo_unmask() */
    {"unmask beyond table", W_A, EVTCHNOP_unmask, ARG(unmask, .port = BIGPORT),
     -XEN_EINVAL},
    {"unmask port 0", W_A, EVTCHNOP_unmask, ARG(unmask, .port = 0), 0},
    {"unmask free port", W_A, EVTCHNOP_unmask, ARG(unmask, .port = A_FREE), 0},
    {"unmask unmasked port", W_A, EVTCHNOP_unmask, ARG(unmask, .port = A_IPI1),
     0},
    {"unmask raises the pending event", W_A, EVTCHNOP_unmask,
     ARG(unmask, .port = A_IPI1), 0, .prep = prep_masked_pending,
     .check = check_unmasked_raises},

    /* reset {dom} and reset_cont: xen/common/event_channel.c:evtchn_reset() and
     * the EVTCHNOP_reset_cont case of do_event_channel_op() */
    {"reset self", W_A, EVTCHNOP_reset, ARG(reset, .dom = DOMID_SELF), 0,
     .check = check_reset_a},
    {"reset own domid", W_A, EVTCHNOP_reset, ARG(reset, .dom = DOM_A), 0,
     .check = check_reset_a},
    {"reset unknown dom", W_A, EVTCHNOP_reset, ARG(reset, .dom = NO_DOM),
     -XEN_ESRCH},
    {"reset another domU", W_A, EVTCHNOP_reset, ARG(reset, .dom = DOM_B),
     -XEN_EPERM},
    {"reset dom0", W_A, EVTCHNOP_reset, ARG(reset, .dom = 0), -XEN_EPERM},
    {"reset running domU by dom0", W_DOM0, EVTCHNOP_reset,
     ARG(reset, .dom = DOM_A), -XEN_EINVAL},
    {"reset paused domU by dom0", W_DOM0, EVTCHNOP_reset,
     ARG(reset, .dom = DOM_A), 0, .prep = prep_pause_a,
     .check = check_reset_paused},
    {"reset_cont without a reset", W_A, EVTCHNOP_reset_cont,
     ARG(reset, .dom = DOMID_SELF), -XEN_EBUSY},
    {"reset_cont unknown dom", W_A, EVTCHNOP_reset_cont,
     ARG(reset, .dom = NO_DOM), -XEN_ESRCH},
};

/* ---- running the table -------------------------------------------------- */

struct snapshot {
    int state[3][SCAN];
    bool pending[3][SCAN];
    uint32_t active[3];
    unsigned int kicks[3][2];
};

static void snap(struct world *w, struct snapshot *s)
{
    struct domain *doms[3] = {w->a, w->b, w->dom0};

    memset(s, 0, sizeof(*s));
    for (int i = 0; i < 3; i++) {
        for (evtchn_port_t p = 0; p < SCAN; p++) {
            s->state[i][p] = evtchn_port_state(doms[i], p);
            s->pending[i][p] = evtchn_port_is_pending(doms[i], p);
        }
        s->active[i] = doms[i]->active_evtchns;
        for (unsigned int v = 0; v < doms[i]->max_vcpus && v < 2; v++)
            s->kicks[i][v] = kicks(doms[i], v);
    }
}

static evtchn_port_t out_port(unsigned int cmd, const union evtchn_op_arg *a)
{
    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        return a->alloc_unbound.port;
    case EVTCHNOP_bind_interdomain:
        return a->bind_interdomain.local_port;
    case EVTCHNOP_bind_virq:
        return a->bind_virq.port;
    case EVTCHNOP_bind_ipi:
        return a->bind_ipi.port;
    case EVTCHNOP_bind_pirq:
        return a->bind_pirq.port;
    default:
        return 0;
    }
}

static void run_case(const struct op_case *c, bool fifo)
{
    struct world w;
    struct snapshot before, after;
    union evtchn_op_arg arg = c->arg;
    size_t size = evtchn_arg_size(c->cmd);
    long rc;

    world_up(&w, fifo);
    if (c->prep)
        c->prep(&w);
    rebase(&w);
    snap(&w, &before);
    rc = evtchn_op(who_dom(&w, c->caller), c->cmd, &arg, size);
    if (rc != c->rc)
        fail_msg("%s [%s]: rc %ld, want %ld", c->name, fifo ? "FIFO" : "2L", rc,
                 c->rc);
    if (rc != 0) {
        /* Nothing changed, nothing written back. */
        snap(&w, &after);
        if (memcmp(&before, &after, sizeof(before)) != 0)
            fail_msg("%s [%s]: failed op changed state", c->name,
                     fifo ? "FIFO" : "2L");
        if (memcmp(&arg, &c->arg, size) != 0)
            fail_msg("%s [%s]: failed op wrote its argument", c->name,
                     fifo ? "FIFO" : "2L");
    }
    if (rc == 0 && c->port && out_port(c->cmd, &arg) != c->port)
        fail_msg("%s [%s]: port %u, want %u", c->name, fifo ? "FIFO" : "2L",
                 out_port(c->cmd, &arg), c->port);
    for (int i = 0; i < 2; i++) {
        const struct st_expect *e = &c->st[i];
        struct evtchn_status st;

        if (e->who == W_NONE)
            continue;
        st = status_of(&w, who_dom(&w, e->who), e->port);
        if (st.status != e->status || st.vcpu != e->vcpu)
            fail_msg("%s [%s]: port %u status %u vcpu %u, want %u %u", c->name,
                     fifo ? "FIFO" : "2L", e->port, st.status, st.vcpu,
                     e->status, e->vcpu);
        if ((e->status == EVTCHNSTAT_unbound && st.u.unbound.dom != e->u0) ||
            (e->status == EVTCHNSTAT_virq && st.u.virq != e->u0) ||
            (e->status == EVTCHNSTAT_pirq && st.u.pirq != e->u0) ||
            (e->status == EVTCHNSTAT_interdomain &&
             (st.u.interdomain.dom != e->u0 || st.u.interdomain.port != e->u1)))
            fail_msg("%s [%s]: port %u union %u/%u, want %u/%u", c->name,
                     fifo ? "FIFO" : "2L", e->port, st.u.interdomain.dom,
                     st.u.interdomain.port, e->u0, e->u1);
    }
    if (c->pending_who != W_NONE &&
        !evtchn_port_is_pending(who_dom(&w, c->pending_who), c->pending_port))
        fail_msg("%s [%s]: port %u not pending", c->name, fifo ? "FIFO" : "2L",
                 c->pending_port);
    /* A status reports what the port is; closed and IPI ports leave the
     * union as the guest wrote it. */
    if (rc == 0 && c->cmd == EVTCHNOP_status) {
        struct domain *sd = c->arg.status.dom == DOMID_SELF
                                ? who_dom(&w, c->caller)
                                : dom_by_id(&w, c->arg.status.dom);
        struct evtchn_status want = status_of(&w, sd, c->arg.status.port);

        assert_int_equal(arg.status.status, want.status);
        assert_int_equal(arg.status.vcpu, want.vcpu);
        /* Only the member of the port's state is written. */
        struct evtchn_status exp = c->arg.status;

        if (want.status == EVTCHNSTAT_unbound)
            exp.u.unbound.dom = want.u.unbound.dom;
        if (want.status == EVTCHNSTAT_virq)
            exp.u.virq = want.u.virq;
        if (want.status == EVTCHNSTAT_interdomain) {
            exp.u.interdomain.dom = want.u.interdomain.dom;
            exp.u.interdomain.port = want.u.interdomain.port;
        }
        assert_memory_equal(&arg.status.u, &exp.u, sizeof(exp.u));
    }
    if (c->check)
        c->check(&w, &arg);
    world_down(&w);
}

static void test_ops_table_2l(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i], false);
}

static void test_ops_table_fifo(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i], true);
}

/* ---- what a table row cannot express ------------------------------------ */

/* Every sub-op copies its argument in first: a bad pointer is -EFAULT
 * (xen/common/event_channel.c:do_event_channel_op()). */
static void test_bad_argument_pointer(void **state)
{
    static const unsigned int cmds[] = {
        EVTCHNOP_bind_interdomain,
        EVTCHNOP_bind_virq,
        EVTCHNOP_bind_pirq,
        EVTCHNOP_close,
        EVTCHNOP_send,
        EVTCHNOP_status,
        EVTCHNOP_alloc_unbound,
        EVTCHNOP_bind_ipi,
        EVTCHNOP_bind_vcpu,
        EVTCHNOP_unmask,
        EVTCHNOP_reset,
        EVTCHNOP_init_control,
        EVTCHNOP_expand_array,
        EVTCHNOP_set_priority,
        EVTCHNOP_reset_cont,
    };
    struct world w;

    (void)state;
    world_up(&w, false);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        long rc = harness_hypercall(w.a, 0, __HYPERVISOR_event_channel_op,
                                    cmds[i], BAD_GPA, 0);

        if (rc != -XEN_EFAULT)
            fail_msg("cmd %u: rc %ld, want -EFAULT", cmds[i], rc);
        /* Straddling the end of RAM is as bad. */
        rc = harness_hypercall(
            w.a, 0, __HYPERVISOR_event_channel_op, cmds[i],
            (uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE - 1, 0);
        if (rc != -XEN_EFAULT)
            fail_msg("cmd %u straddling: rc %ld, want -EFAULT", cmds[i], rc);
    }
    assert_int_equal(w.a->active_evtchns, 6);
    world_down(&w);
}

/*
 * A 32-bit caller passes the same layouts in EBX/ECX: the upper halves of
 * the registers are ignored (xen/arch/x86/hvm/hypercall.c:hvm_hypercall()
 * passes EBX/ECX in 32-bit mode; the event-channel structs have no
 * compat translation: event_channel_op is "do" in the hvm32 column of
 * xen/include/hypercall-defs.c).  bind_ipi then as in
 * xen/common/event_channel.c:evtchn_bind_ipi().
 */
static void test_compat_caller(void **state)
{
    struct world w;
    struct evtchn_bind_ipi op = {.vcpu = 1};
    uint64_t args[5] = {0xdeadbeef00000000ull | EVTCHNOP_bind_ipi,
                        0xfeedface00000000ull | HARNESS_ARG_GPA, 0, 0, 0};
    struct hv_call call;

    (void)state;
    world_up(&w, false);
    assert_int_equal(gpa_write(w.a, HARNESS_ARG_GPA, &op, sizeof(op)), 0);
    hv_call_init(&call, w.a->vcpus[0], true, false, 0);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args), 0);
    assert_int_equal(gpa_read(w.a, &op, HARNESS_ARG_GPA, sizeof(op)), 0);
    assert_int_equal(op.port, A_FREE);
    assert_int_equal(status_of(&w, w.a, A_FREE).status, EVTCHNSTAT_ipi);
    assert_int_equal(status_of(&w, w.a, A_FREE).vcpu, 1);
    world_down(&w);
}

/*
 * 6.2: OUT fields are copied back after the operation; if that copy fails
 * the result is -EFAULT and the operation is not undone.  The argument is
 * mapped read-only through the guest's page tables, so it can be read but
 * not written.  The fault is "late" after side effects, "early" for
 * status, which has none (the fault classes are xenemu's).  Xen:
 * xen/common/event_channel.c:do_event_channel_op() copies the struct back
 * after a successful operation (-EFAULT if it cannot) and only for the
 * sub-ops with OUT fields.
 */
static void test_copy_out_fault_no_rollback(void **state)
{
    struct world w;
    const uint64_t pml4 = 0x2000, pdpt = 0x3000, pd = 0x4000, pt = 0x5000;
    const uint64_t page = 0x6000, va = 0x400000; /* PD entry 2 */
    const uint64_t rw = 3, ro = 1;
    uint64_t e;
    struct evtchn_alloc_unbound au = {.dom = DOMID_SELF, .remote_dom = DOM_B};
    struct evtchn_status st = {.dom = DOMID_SELF, .port = A_IPI1};
    uint64_t args[5] = {EVTCHNOP_alloc_unbound, va, 0, 0, 0};
    struct hv_call call;

    (void)state;
    world_up(&w, false);
    e = pdpt | rw;
    assert_int_equal(gpa_write(w.a, pml4, &e, 8), 0);
    e = pd | rw;
    assert_int_equal(gpa_write(w.a, pdpt, &e, 8), 0);
    e = pt | rw;
    assert_int_equal(gpa_write(w.a, pd + 2 * 8, &e, 8), 0);
    e = page | ro;
    assert_int_equal(gpa_write(w.a, pt, &e, 8), 0);

    assert_int_equal(gpa_write(w.a, page, &au, sizeof(au)), 0);
    hv_call_init(&call, w.a->vcpus[0], false, true, pml4);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args),
        -XEN_EFAULT);
    assert_int_equal(call.fault, HV_FAULT_LATE);
    /* The port was allocated all the same. */
    assert_int_equal(status_of(&w, w.a, A_FREE).status, EVTCHNSTAT_unbound);
    assert_int_equal(status_of(&w, w.a, A_FREE).u.unbound.dom, DOM_B);

    assert_int_equal(gpa_write(w.a, page, &st, sizeof(st)), 0);
    args[0] = EVTCHNOP_status;
    hv_call_init(&call, w.a->vcpus[0], false, true, pml4);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args),
        -XEN_EFAULT);
    assert_int_equal(call.fault, HV_FAULT_EARLY);

    /* An operation without OUT fields does not write: it succeeds. */
    assert_int_equal(gpa_write(w.a, page, &(struct evtchn_send){A_IPI1}, 4), 0);
    args[0] = EVTCHNOP_send;
    hv_call_init(&call, w.a->vcpus[0], false, true, pml4);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args), 0);
    assert_int_equal(call.fault, HV_FAULT_NONE);
    assert_true(evtchn_port_is_pending(w.a, A_IPI1));
    world_down(&w);
}

/* A reset in progress makes another reset -EBUSY; reset_cont finishes it
 * (xen/common/event_channel.c:evtchn_reset()).  Where the reset stops is
 * xenemu's: it always preempts after a multiple of 64 ports, Xen only when
 * hypercall_preempt_check() asks (deliberate, "EVTCHNOP_reset preemption"
 * in docs/hypercalls.md). */
static void test_reset_in_progress(void **state)
{
    struct world w;
    struct evtchn_reset op = {.dom = DOMID_SELF};
    evtchn_port_t last = 0;

    (void)state;
    world_up(&w, false);
    /* A 70-port domain: the reset is preempted after port 64. */
    harness_domain_free(w.a);
    w.a = harness_domain(w.hv, &(struct harness_dom_opts){.vcpus = 2});
    for (int i = 0; i < 70; i++)
        last = must_bind_ipi(w.a, 0);
    assert_int_equal(last, 70);
    assert_int_equal(evtchn_reset(w.a, DOMID_SELF, false), HV_ERESTART);
    assert_int_equal(evtchn_port_state(w.a, 64), ECS_FREE);
    assert_int_equal(evtchn_port_state(w.a, 65), ECS_IPI);
    assert_int_equal(evtchn_op(w.a, EVTCHNOP_reset, &op, sizeof(op)),
                     -XEN_EBUSY);
    assert_int_equal(evtchn_port_state(w.a, 65), ECS_IPI);
    /* Others are still refused before -EBUSY is considered. */
    op.dom = DOM_B;
    assert_int_equal(evtchn_op(w.a, EVTCHNOP_reset_cont, &op, sizeof(op)),
                     -XEN_EPERM);
    op.dom = DOMID_SELF;
    assert_int_equal(evtchn_op(w.a, EVTCHNOP_reset_cont, &op, sizeof(op)), 0);
    assert_int_equal(evtchn_port_state(w.a, 65), ECS_FREE);
    assert_int_equal(evtchn_port_state(w.a, 70), ECS_FREE);
    assert_int_equal(w.a->active_evtchns, 0);
    /* Done: nothing in progress any more. */
    assert_int_equal(evtchn_op(w.a, EVTCHNOP_reset_cont, &op, sizeof(op)),
                     -XEN_EBUSY);
    assert_int_equal(evtchn_op(w.a, EVTCHNOP_reset, &op, sizeof(op)), 0);
    world_down(&w);
}

/* A hypercall reset runs its continuations to the end: 0 to the guest,
 * every port closed (xen/common/event_channel.c:evtchn_reset(), whose
 * -ERESTART do_event_channel_op() turns into a continuation). */
static void test_reset_continuations(void **state)
{
    struct world w;
    struct evtchn_reset op = {.dom = DOMID_SELF};
    uint64_t args[5] = {EVTCHNOP_reset, HARNESS_ARG_GPA, 0, 0, 0};
    struct hv_call call;

    (void)state;
    world_up(&w, false);
    harness_domain_free(w.a);
    w.a = harness_domain(w.hv, &(struct harness_dom_opts){.vcpus = 2});
    for (int i = 0; i < 200; i++)
        must_bind_ipi(w.a, 1);
    assert_int_equal(gpa_write(w.a, HARNESS_ARG_GPA, &op, sizeof(op)), 0);
    hv_call_init(&call, w.a->vcpus[0], false, false, 0);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args), 0);
    /* Ports 0..255 are valid: 4.17 allocates them a bucket of 64 at a time
     * (xen/common/event_channel.c:evtchn_allocate_port(), EVTCHNS_PER_BUCKET
     * in xen/include/xen/sched.h).  The continuation count is xenemu's own
     * (it always preempts every 64 ports, after 64, 128 and 192; Xen only
     * when hypercall_preempt_check() says so): the guest sees one call
     * either way. */
    assert_int_equal(w.a->valid_evtchns, 256);
    assert_int_equal(call.continuations, 3);
    assert_int_equal(w.a->active_evtchns, 0);
    assert_int_equal(evtchn_op(w.a, EVTCHNOP_reset_cont, &op, sizeof(op)),
                     -XEN_EBUSY);
    world_down(&w);
}

/* A dying domain cannot allocate ports (-EINVAL from
 * xen/common/event_channel.c:get_free_port()), and others cannot find it
 * any more (-ESRCH).  DELIBERATE DIFFERENCE: 4.17's
 * rcu_lock_domain_by_any_id() still finds a dying domain while references
 * remain (bind_interdomain then -EINVAL, status "closed"); xenemu removes
 * it from lookup at destroy. */
static void test_dying_domain(void **state)
{
    struct world w;
    struct domain *a;
    struct evtchn_alloc_unbound au = {.dom = DOMID_SELF, .remote_dom = 0};
    struct evtchn_bind_ipi ipi = {.vcpu = 0};
    struct evtchn_bind_virq virq = {.virq = VIRQ_DEBUG, .vcpu = 0};
    struct evtchn_bind_interdomain bi = {.remote_dom = DOM_A,
                                         .remote_port = A_UNBOUND_B};
    struct evtchn_status st = {.dom = DOM_A, .port = 1};

    (void)state;
    world_up(&w, false);
    a = domain_get(w.hv, DOM_A);
    assert_non_null(a);
    domain_destroy(a);
    assert_null(domain_get(w.hv, DOM_A));
    assert_int_equal(evtchn_alloc_unbound(a, &au), -XEN_EINVAL);
    assert_int_equal(evtchn_bind_ipi(a, &ipi), -XEN_EINVAL);
    assert_int_equal(evtchn_bind_virq(a, &virq), -XEN_EINVAL);
    assert_int_equal(evtchn_op(w.b, EVTCHNOP_bind_interdomain, &bi, sizeof(bi)),
                     -XEN_ESRCH);
    assert_int_equal(evtchn_op(w.dom0, EVTCHNOP_status, &st, sizeof(st)),
                     -XEN_ESRCH);
    /* Its ports were all closed: B's end is unbound, for A. */
    assert_int_equal(status_of(&w, w.b, B_PORT).status, EVTCHNSTAT_unbound);
    assert_int_equal(status_of(&w, w.b, B_PORT).u.unbound.dom, DOM_A);
    assert_int_equal(a->active_evtchns, 0);
    harness_domain_free(w.a); /* destroy again: a no-op */
    domain_put(a);
    w.a = harness_domain(w.hv, &(struct harness_dom_opts){.vcpus = 2});
    world_down(&w);
}

/*
 * Emulated version 4.21 and later (xenemu's version emulation, see
 * docs/event-channels.md): xen/common/event_channel.c:evtchn_bind_virq() of
 * 4.21 refuses a global VIRQ to a domain that is not its handler (-EBUSY,
 * after the vCPU checks, before -EEXIST and the port allocation), and
 * get_virq_type() makes VIRQ_ARGO per-domain, exempt from that.  Up to 4.20
 * the same binds succeed (virq_is_global() of 4.17..4.20).
 */
static void bind_virq_expect(struct domain *d, uint32_t virq, uint32_t vcpu,
                             long rc)
{
    struct evtchn_bind_virq op = {.virq = virq, .vcpu = vcpu, .port = 0};

    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_virq, &op, sizeof(op)), rc);
    if (rc == 0)
        assert_int_not_equal(op.port, 0);
}

static void test_bind_virq_421(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *d421 = harness_domain(
        hv, &(struct harness_dom_opts){.vcpus = 2,
                                       .max_evtchn_port = MAXPORT,
                                       .xen_version = XENEMU_VERSION(4, 21)});
    struct domain *d420 = harness_domain(
        hv, &(struct harness_dom_opts){.vcpus = 2,
                                       .xen_version = XENEMU_VERSION(4, 20)});
    struct domain *dom0 = domain_get(hv, 0);
    static const uint32_t globals[] = {VIRQ_CONSOLE,
                                       VIRQ_DOM_EXC,
                                       VIRQ_TBUF,
                                       5,
                                       VIRQ_DEBUGGER,
                                       VIRQ_CON_RING,
                                       VIRQ_PCPU_STATE,
                                       VIRQ_MEM_EVENT,
                                       VIRQ_ENOMEM,
                                       14,
                                       15,
                                       VIRQ_ARCH_0,
                                       VIRQ_ARCH_7};

    (void)state;
    for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
        /* 4.21: not the handler. */
        bind_virq_expect(d421, globals[i], 0, -XEN_EBUSY);
        /* The vCPU checks come first. */
        bind_virq_expect(d421, globals[i], 1, -XEN_EINVAL);
        bind_virq_expect(d420, globals[i], 1, -XEN_EINVAL);
        /* 4.20: no handler check; a port that is never raised. */
        bind_virq_expect(d420, globals[i], 0, 0);
        bind_virq_expect(d420, globals[i], 0, -XEN_EEXIST);
    }
    /* VIRQ_ARGO: per-domain at 4.21, global at 4.20; vCPU 0 only either
     * way, and bindable by the domain itself. */
    bind_virq_expect(d421, VIRQ_ARGO, 1, -XEN_EINVAL);
    bind_virq_expect(d421, VIRQ_ARGO, 0, 0);
    bind_virq_expect(d421, VIRQ_ARGO, 0, -XEN_EEXIST);
    bind_virq_expect(d420, VIRQ_ARGO, 1, -XEN_EINVAL);
    bind_virq_expect(d420, VIRQ_ARGO, 0, 0);
    /* Per-vCPU VIRQs are unaffected. */
    bind_virq_expect(d421, VIRQ_TIMER, 1, 0);
    /* The hardware domain is the handler of every global VIRQ. */
    {
        struct evtchn_bind_virq op = {.virq = VIRQ_DOM_EXC, .vcpu = 0};

        assert_int_equal(evtchn_bind_virq(dom0, &op), 0);
        assert_int_equal(evtchn_close(dom0, op.port), 0);
    }
    /* 4.21: -EBUSY comes before the port allocation (-ENOSPC). */
    fill(d421);
    bind_virq_expect(d421, VIRQ_CONSOLE, 0, -XEN_EBUSY);
    bind_virq_expect(d421, VIRQ_DEBUG, 0, -XEN_ENOSPC);
    domain_put(dom0);
    harness_domain_free(d421);
    harness_domain_free(d420);
    hv_destroy(hv);
}

/*
 * Which ports are valid, as 4.17 has it: bucket 0 (ports 0..63) exists
 * from creation even when max_evtchn_port is smaller
 * (xen/common/event_channel.c:evtchn_init()), later buckets of 64 when
 * get_free_port() first reaches them (evtchn_allocate_port()).  A valid
 * port that was never bound is ECS_FREE: status "closed" on vCPU 0
 * (evtchn_status()), unmask 0 (evtchn_unmask(), a no-op on a channel that
 * is not usable), set_priority -ENOSYS under 2L and -EACCES under FIFO
 * (xen/common/event_channel.h:evtchn_port_set_priority()), -EINVAL from
 * close, send and bind_vcpu (evtchn_close(), evtchn_send(),
 * evtchn_bind_vcpu()).  Port 64 is not valid: -EINVAL from all of them
 * (port_is_valid() in xen/include/xen/event.h).  Status of another domU's
 * valid port is -EPERM (xsm_evtchn_status() after the port check).
 */
static void gap_port_expect(struct domain *d, evtchn_port_t port, bool valid,
                            long prio_rc)
{
    struct evtchn_status st = {.dom = DOMID_SELF, .port = port, .vcpu = 77};
    struct evtchn_unmask um = {.port = port};
    struct evtchn_set_priority sp = {.port = port, .priority = 3};
    struct evtchn_close cl = {.port = port};
    struct evtchn_send se = {.port = port};
    struct evtchn_bind_vcpu bv = {.port = port, .vcpu = 0};
    long want = valid ? 0 : -XEN_EINVAL;

    assert_int_equal(evtchn_op(d, EVTCHNOP_status, &st, sizeof(st)), want);
    if (valid) {
        assert_int_equal(st.status, EVTCHNSTAT_closed);
        assert_int_equal(st.vcpu, 0);
    }
    assert_int_equal(evtchn_op(d, EVTCHNOP_unmask, &um, sizeof(um)), want);
    assert_int_equal(evtchn_op(d, EVTCHNOP_set_priority, &sp, sizeof(sp)),
                     valid ? prio_rc : -XEN_EINVAL);
    assert_int_equal(evtchn_op(d, EVTCHNOP_close, &cl, sizeof(cl)),
                     -XEN_EINVAL);
    assert_int_equal(evtchn_op(d, EVTCHNOP_send, &se, sizeof(se)), -XEN_EINVAL);
    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_vcpu, &bv, sizeof(bv)),
                     -XEN_EINVAL);
}

static void test_port_buckets(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *small =
        harness_domain(hv, &(struct harness_dom_opts){.max_evtchn_port = 10});
    struct domain *big = harness_domain(hv, &(struct harness_dom_opts){0});
    struct evtchn_status st = {.dom = 0, .port = 40};

    (void)state;
    st.dom = big->domid;
    /* max_evtchn_port 10 still gets the whole first bucket. */
    assert_int_equal(small->valid_evtchns, 64);
    gap_port_expect(small, 11, true, -XEN_ENOSYS);
    gap_port_expect(small, 63, true, -XEN_ENOSYS);
    gap_port_expect(small, 64, false, 0);
    /* A fresh domain: ports 1..63 valid, 64 not. */
    assert_int_equal(big->valid_evtchns, 64);
    gap_port_expect(big, 40, true, -XEN_ENOSYS);
    gap_port_expect(big, 64, false, 0);
    assert_int_equal(evtchn_op(small, EVTCHNOP_status, &st, sizeof(st)),
                     -XEN_EPERM);
    st.port = 64;
    assert_int_equal(evtchn_op(small, EVTCHNOP_status, &st, sizeof(st)),
                     -XEN_EINVAL);
    /* FIFO: set_priority of a free valid port is -EACCES. */
    harness_fifo_init(big, 1);
    gap_port_expect(big, 40, true, -XEN_EACCES);
    /* Binding port 64 makes the next bucket, 64..127, valid. */
    for (evtchn_port_t p = 1; p <= 64; p++)
        assert_int_equal(must_alloc_unbound(big, DOMID_SELF), p);
    assert_int_equal(big->valid_evtchns, 128);
    gap_port_expect(big, 127, true, -XEN_EACCES);
    gap_port_expect(big, 128, false, 0);
    harness_domain_free(small);
    harness_domain_free(big);
    hv_destroy(hv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_table_2l),
        cmocka_unit_test(test_ops_table_fifo),
        cmocka_unit_test(test_bad_argument_pointer),
        cmocka_unit_test(test_compat_caller),
        cmocka_unit_test(test_copy_out_fault_no_rollback),
        cmocka_unit_test(test_reset_in_progress),
        cmocka_unit_test(test_reset_continuations),
        cmocka_unit_test(test_dying_domain),
        cmocka_unit_test(test_bind_virq_421),
        cmocka_unit_test(test_port_buckets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
