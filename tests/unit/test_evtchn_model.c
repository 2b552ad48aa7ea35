/*
 * test_evtchn_model.c: event channels against a reference model.
 *
 * The model is Xen 4.17.7's behaviour: each m_* function names the Xen
 * function it follows (xen/common/event_channel.c, event_2l.c,
 * event_fifo.c).  Where xenemu deliberately differs the model follows
 * xenemu and says so: no stale FIFO pending flags, the disable-FIFO flag
 * and emulated versions below 4.4 (-ENOSYS), always-preempting reset.
 *
 * Long random sequences of event-channel operations, issued by several
 * domains (dom0 and four HVM guests with 1-3 vCPUs, some with a small
 * max_evtchn_port) through the real hypercall path (argument structs in
 * guest memory, hypercall_dispatch), are run against a deliberately simple
 * model written from Xen's semantics (../shared/reference/xen-abi.md,
 * sections 2, 4, 5 and 6).  The model predicts every return value and every
 * OUT field, and after every step the guest-visible state is compared:
 * EVTCHNOP_status of the ports the step touched (of every port every
 * FULL_CHECK_EVERY steps), the 2-level pending and mask bitmaps, every
 * vCPU's evtchn_upcall_pending, evtchn_pending_sel and upcall kicks, and for
 * FIFO domains the event words, the control blocks (ready, head[]) and the
 * order in which the guest finds events on each queue.
 *
 * The guest side (masking, acknowledging, taking the selector or the ready
 * word, consuming FIFO queues) is done on the real guest memory by the test,
 * and mirrored in the model.
 *
 * Replay: every sequence prints nothing unless it fails; a failure prints
 * the seed of its sequence, the step, the operation, expected and actual
 * values and the steps before it.  EVTCHN_MODEL_SEED=<seed> runs just that
 * sequence, EVTCHN_MODEL_SET=2l or fifo only that test, EVTCHN_MODEL_SEQS
 * and EVTCHN_MODEL_OPS change the counts, EVTCHN_MODEL_TRACE=1 prints every
 * step.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* ------------------------------------------------------------------ */
/* Configuration                                                        */

#define BASE_SEED 0x7e57e7c4a2b19d01ull
/* The sequences are single-threaded: under ThreadSanitizer (10x slower)
 * fewer of them are enough. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifdef UNDER_TSAN
#define SEQS_2L   6
#define SEQS_FIFO 4
#else
#define SEQS_2L   20
#define SEQS_FIFO 12
#endif
#define OPS_PER_SEQ 5000
/* Every this many steps, EVTCHNOP_status of every port of every domain
 * (otherwise only of the ports the step touched). */
#define FULL_CHECK_EVERY 250

#define NR_MDOMS   5
#define MAX_MVCPUS 3
#define L2_PORTS   4096u /* 2-level ports of a 64-bit guest: 64 x 64 */
#define PAGE_WORDS 1024u /* FIFO event words in one page */
#define NR_QUEUES  EVTCHN_FIFO_MAX_QUEUES
#define HIST       12
#define SENTINEL   0xdeadbeefu
/* FIFO array pages beyond the first (expand_array) go from this frame on. */
#define EXTRA_ARRAY_GFN 300u

/*
 * Ports become valid (status answers instead of -EINVAL, unmask is a no-op
 * instead of -EINVAL) a bucket at a time, when the port allocator first
 * looks at a port of the bucket, and bucket 0 from creation, whatever
 * max_evtchn_port says (xen/common/event_channel.c:evtchn_init() and
 * evtchn_allocate_port()).  4.17's bucket is a page of 64-byte channels:
 * EVTCHNS_PER_BUCKET = 64 (xen/include/xen/sched.h).
 */
#define BUCKET 64u

#define W_P    ((event_word_t)1 << EVTCHN_FIFO_PENDING)
#define W_M    ((event_word_t)1 << EVTCHN_FIFO_MASKED)
#define W_L    ((event_word_t)1 << EVTCHN_FIFO_LINKED)
#define W_B    ((event_word_t)1 << EVTCHN_FIFO_BUSY)
#define W_LINK ((event_word_t)EVTCHN_FIFO_LINK_MASK)

/* ------------------------------------------------------------------ */
/* The model                                                            */

enum { S_FREE, S_RESERVED, S_UNBOUND, S_INTERDOMAIN, S_VIRQ, S_IPI, S_PIRQ };

struct mport {
    uint8_t state;
    uint8_t prio;    /* FIFO priority */
    bool remembered; /* FIFO: raised while it had no event word (or pending
                        under 2-level at the switch): raise it when
                        expand_array gives the word */
    uint32_t vcpu;   /* notify vCPU */
    domid_t dom;     /* UNBOUND: who may bind; INTERDOMAIN: the peer */
    uint32_t rport;  /* INTERDOMAIN: the peer's port */
    uint32_t virq;   /* VIRQ: the VIRQ; PIRQ: the pirq */
    /* FIFO, while the word is LINKED: the queue and when it was linked. */
    uint32_t qv, qprio;
    uint64_t qseq;
};

struct mvcpu {
    uint8_t upcall; /* evtchn_upcall_pending */
    uint64_t sel;   /* evtchn_pending_sel */
    unsigned kicks; /* upcall_pending 0 -> 1 by the hypervisor */
    uint32_t virq[NR_VIRQS];
    bool cb;            /* FIFO control block registered */
    uint32_t cb_offset; /* where in its page (HARNESS_FREE_GFN + vCPU) */
    uint32_t ready;     /* FIFO control block */
    uint32_t head[NR_QUEUES];
    /* The guest's own FIFO consumer state (Linux events_fifo.c). */
    uint32_t g_ready;
    uint32_t g_head[NR_QUEUES];
};

struct mdom {
    struct domain *d;
    domid_t id;
    bool priv;        /* dom0 */
    uint32_t version; /* emulated Xen version (XENEMU_VERSION) */
    bool has_fifo;    /* FIFO ops exist (else -ENOSYS) */
    bool may_fifo;    /* the test switches this one to FIFO */
    unsigned nv;
    uint32_t max_port;
    unsigned pause;
    uint32_t valid; /* ports below exist */
    uint32_t hw;    /* ports at and above are untouched */
    bool fifo;      /* the active ABI */
    unsigned fifo_pages;
    uint64_t array_gfn;
    uint64_t pend[64], mask[64];   /* shared_info 2-level bitmaps */
    event_word_t word[PAGE_WORDS]; /* FIFO event array page 0 */
    struct mvcpu v[MAX_MVCPUS];
    struct mport p[L2_PORTS];
};

enum opk {
    OP_ALLOC_UNBOUND,
    OP_BIND_INTERDOMAIN,
    OP_BIND_VIRQ,
    OP_BIND_IPI,
    OP_CLOSE,
    OP_SEND,
    OP_UNMASK,
    OP_BIND_VCPU,
    OP_STATUS,
    OP_RESET,
    OP_SET_PRIORITY,
    OP_FIFO_SETUP,
    OP_OTHER_CMD,
    OP_RAISE_VIRQ,
    OP_PAUSE,
    OP_SWITCH_FIFO,
    G_MASK,
    G_UNMASK,
    G_CLEAR_PENDING,
    G_LINUX_UNMASK,
    G_CLEAR_UPCALL,
    G_TAKE,
    G_CONSUME,
    G_HANDLER,
    NR_OPK
};

static const struct {
    const char *name;
    unsigned weight;
} opk_info[NR_OPK] = {
    [OP_ALLOC_UNBOUND] = {"alloc_unbound", 14},
    [OP_BIND_INTERDOMAIN] = {"bind_interdomain", 14},
    [OP_BIND_VIRQ] = {"bind_virq", 7},
    [OP_BIND_IPI] = {"bind_ipi", 7},
    [OP_CLOSE] = {"close", 14},
    [OP_SEND] = {"send", 24},
    [OP_UNMASK] = {"unmask", 7},
    [OP_BIND_VCPU] = {"bind_vcpu", 6},
    [OP_STATUS] = {"status", 5},
    [OP_RESET] = {"reset", 1},
    [OP_SET_PRIORITY] = {"set_priority", 4},
    [OP_FIFO_SETUP] = {"init_control/expand_array", 2},
    [OP_OTHER_CMD] = {"bind_pirq/unknown", 1},
    [OP_RAISE_VIRQ] = {"hypervisor raises VIRQ", 8},
    [OP_PAUSE] = {"toolstack pause/unpause", 2},
    [OP_SWITCH_FIFO] = {"switch to FIFO", 2},
    [G_MASK] = {"guest mask", 8},
    [G_UNMASK] = {"guest unmask (memory)", 6},
    [G_CLEAR_PENDING] = {"guest clear pending", 5},
    [G_LINUX_UNMASK] = {"guest unmask (Linux)", 5},
    [G_CLEAR_UPCALL] = {"guest clear upcall", 4},
    [G_TAKE] = {"guest take selector/ready", 4},
    [G_CONSUME] = {"guest consume one", 8},
    [G_HANDLER] = {"guest upcall handler", 10},
};

struct ctx {
    const char *test;
    struct hv *hv;
    struct mdom dom[NR_MDOMS];
    uint8_t *dom0_ram;
    void *dom0_rec;
    uint64_t rng, seed;
    unsigned seq, step;
    bool fifo_set, trace;
    uint64_t qseq; /* FIFO link order */
    char desc[240];
    char hist[HIST][240];
    struct {
        struct mdom *md;
        uint32_t port;
    } touched[48];
    unsigned ntouched;
    bool touched_all;
    unsigned long count[NR_OPK], failed[NR_OPK];
    unsigned long err[NR_OPK][128]; /* by -errno */
    unsigned long hypercalls;
    /* How often the model took its interesting paths. */
    struct {
        unsigned long linked, linked_after, dropped_no_cb, remembered,
            remembered_raised, busy_skipped, consumed, consumed_with_next,
            switches, resets_from_fifo;
    } cov;
};

/* The context, for the model's coverage counters. */
static struct ctx *cur;

/* ------------------------------------------------------------------ */
/* PRNG: xorshift64*                                                    */

static uint64_t rnd(struct ctx *c)
{
    uint64_t x = c->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

static uint32_t below(struct ctx *c, uint32_t n)
{
    return (uint32_t)((rnd(c) >> 32) % n);
}

static bool chance(struct ctx *c, unsigned pct)
{
    return below(c, 100) < pct;
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ------------------------------------------------------------------ */
/* Reporting                                                            */

static void mismatch(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void mismatch(struct ctx *c, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr,
            "\nMISMATCH in %s, seed 0x%016" PRIx64 " (sequence %u), "
            "step %u\n",
            c->test, c->seed, c->seq, c->step);
    fprintf(stderr, "  operation: %s\n  ", c->desc);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "  steps before it:\n");
    for (unsigned i = c->step >= HIST ? c->step - HIST + 1 : 0; i < c->step;
         i++)
        fprintf(stderr, "    %u: %s\n", i, c->hist[i % HIST]);
    fprintf(stderr,
            "  replay: EVTCHN_MODEL_SET=%s EVTCHN_MODEL_SEED=0x%016" PRIx64
            " build/<dir>/tests/test_evtchn_model\n",
            c->fifo_set ? "fifo" : "2l", c->seed);
    fail();
}

#define EXPECT_EQ(c, what, exp, act)                                           \
    do {                                                                       \
        long long e_ = (long long)(exp), a_ = (long long)(act);                \
        if (e_ != a_)                                                          \
            mismatch(c, "%s: expected %lld (0x%llx), actual %lld (0x%llx)\n",  \
                     what, e_, (unsigned long long)e_, a_,                     \
                     (unsigned long long)a_);                                  \
    } while (0)

static void expect_mem(struct ctx *c, const char *what, const void *exp,
                       const void *act, size_t n)
{
    char e[3 * 32 + 1] = "", a[3 * 32 + 1] = "";

    if (!memcmp(exp, act, n))
        return;
    for (size_t i = 0; i < n && i < 32; i++) {
        snprintf(e + 3 * i, 4, "%02x ", ((const uint8_t *)exp)[i]);
        snprintf(a + 3 * i, 4, "%02x ", ((const uint8_t *)act)[i]);
    }
    mismatch(c, "%s differs:\n    expected %s\n    actual   %s\n", what, e, a);
}

static void begin(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void begin(struct ctx *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->desc, sizeof(c->desc), fmt, ap);
    va_end(ap);
    memcpy(c->hist[c->step % HIST], c->desc, sizeof(c->desc));
    if (c->trace)
        fprintf(stderr, "[%u.%u] %s\n", c->seq, c->step, c->desc);
}

/* ------------------------------------------------------------------ */
/* Model helpers                                                        */

static void touch(struct ctx *c, struct mdom *md, uint32_t port)
{
    if (port >= L2_PORTS)
        return;
    if (port >= md->hw)
        md->hw = port + 1;
    for (unsigned i = 0; i < c->ntouched; i++)
        if (c->touched[i].md == md && c->touched[i].port == port)
            return;
    if (c->ntouched == sizeof(c->touched) / sizeof(c->touched[0])) {
        c->touched_all = true;
        return;
    }
    c->touched[c->ntouched].md = md;
    c->touched[c->ntouched].port = port;
    c->ntouched++;
}

/* rcu_lock_domain_by_id(): the domain of that id, or none. */
static struct mdom *m_find(struct ctx *c, domid_t id)
{
    for (unsigned i = 0; i < NR_MDOMS; i++)
        if (c->dom[i].id == id)
            return &c->dom[i];
    return NULL;
}

/* A domid argument where DOMID_SELF names the caller
 * (xen/common/domain.c:rcu_lock_domain_by_any_id()). */
static struct mdom *m_any(struct ctx *c, struct mdom *caller, domid_t id)
{
    return id == DOMID_SELF ? caller : m_find(c, id);
}

/* XSM_TARGET of xen/include/xsm/dummy.h:xsm_default_action(): itself or
 * a privileged caller.  xenemu has no device-model targets (deliberate,
 * "event-channel permissions" in docs/hypercalls.md). */
static bool m_may_control(const struct mdom *caller, const struct mdom *t)
{
    return caller == t || caller->priv;
}

/* xen/include/xen/event.h:evtchn_usable(): neither FREE nor RESERVED. */
static bool m_usable(const struct mport *p)
{
    return p->state > S_RESERVED;
}

static bool bit(const uint64_t *map, uint32_t n)
{
    return map[n / 64] >> (n % 64) & 1;
}

static void set_bit(uint64_t *map, uint32_t n, bool on)
{
    if (on)
        map[n / 64] |= 1ull << (n % 64);
    else
        map[n / 64] &= ~(1ull << (n % 64));
}

/*
 * The class of a VIRQ for (md)'s emulated version: up to 4.20
 * xen/common/event_channel.c:virq_is_global() makes TIMER, DEBUG, XENOPROF
 * and XENPMU per-vCPU and everything else (ARGO, ARCH_0..7 on x86) global;
 * 4.21's get_virq_type() adds the per-domain class, VIRQ_ARGO only.
 */
enum { VC_VCPU, VC_DOMAIN, VC_GLOBAL };

#define M_VIRQ_OWNER_VERSION XENEMU_VERSION(4, 21)

static int virq_class(const struct mdom *md, uint32_t virq)
{
    if (virq == VIRQ_TIMER || virq == VIRQ_DEBUG || virq == VIRQ_XENOPROF ||
        virq == VIRQ_XENPMU)
        return VC_VCPU;
    if (virq == VIRQ_ARGO && md->version >= M_VIRQ_OWNER_VERSION)
        return VC_DOMAIN;
    return VC_GLOBAL;
}

static bool has_word(const struct mdom *md, uint32_t port)
{
    return md->fifo && port < md->fifo_pages * PAGE_WORDS;
}

/* 4.1: xen/arch/x86/domain.c:vcpu_mark_events_pending() (a kick only on
 * the 0 -> 1 of evtchn_upcall_pending). */
static void m_mark_upcall(struct mdom *md, uint32_t vi)
{
    if (!md->v[vi].upcall) {
        md->v[vi].upcall = 1;
        md->v[vi].kicks++;
    }
}

/* 4.1: raise (port) on vCPU (vi), 2-level:
 * xen/common/event_2l.c:evtchn_2l_set_pending(). */
static void m_raise_2l(struct mdom *md, uint32_t vi, uint32_t port)
{
    if (port >= L2_PORTS || bit(md->pend, port))
        return;
    set_bit(md->pend, port, true);
    if (!bit(md->mask, port) && !bit(&md->v[vi].sel, port / 64)) {
        set_bit(&md->v[vi].sel, port / 64, true);
        m_mark_upcall(md, vi);
    }
}

/* The events LINKED on queue (prio) of vCPU (vi), in link order: the
 * (n)th one, 0 if there are fewer. */
static uint32_t m_queue_nth(const struct mdom *md, uint32_t vi, uint32_t prio,
                            unsigned n)
{
    uint32_t lim = md->hw < PAGE_WORDS ? md->hw : PAGE_WORDS;
    uint64_t after = 0;
    uint32_t found = 0;

    for (unsigned i = 0; i <= n; i++) {
        uint64_t best = UINT64_MAX;

        found = 0;
        for (uint32_t port = 1; port < lim; port++) {
            const struct mport *p = &md->p[port];

            if ((md->word[port] & W_L) && p->qv == vi && p->qprio == prio &&
                p->qseq > after && p->qseq < best) {
                best = p->qseq;
                found = port;
            }
        }
        if (!found)
            return 0;
        after = best;
    }
    return found;
}

static uint32_t m_queue_last(const struct mdom *md, uint32_t vi, uint32_t prio)
{
    uint32_t lim = md->hw < PAGE_WORDS ? md->hw : PAGE_WORDS;
    uint64_t best = 0;
    uint32_t found = 0;

    for (uint32_t port = 1; port < lim; port++) {
        const struct mport *p = &md->p[port];

        if ((md->word[port] & W_L) && p->qv == vi && p->qprio == prio &&
            p->qseq > best) {
            best = p->qseq;
            found = port;
        }
    }
    return found;
}

/*
 * 5.4: raise (port) on vCPU (vi), FIFO.  No event word yet: remembered.  No
 * control block on (vi): dropped.  Otherwise PENDING; and if neither MASKED
 * nor LINKED, the event is linked.  A queue is simply the events LINKED on
 * it, in link order; a new event goes after the last one (that word's LINK
 * field), or, if the queue is empty, into head[] and then the ready bit,
 * whose 0 -> 1 raises the upcall.  xen/common/event_fifo.c:
 * evtchn_fifo_set_pending() (no word: evtchn->pending; no control block:
 * nothing, before PENDING is set).
 */
static void m_raise_fifo(struct ctx *c, struct mdom *md, uint32_t vi,
                         uint32_t port)
{
    struct mport *p = &md->p[port];
    struct mvcpu *mv = &md->v[vi];
    event_word_t *w;
    uint32_t last;

    if (!has_word(md, port)) {
        p->remembered = true;
        c->cov.remembered++;
        return;
    }
    /* No control block: dropped, without even PENDING (XSA-107). */
    if (!mv->cb) {
        c->cov.dropped_no_cb++;
        return;
    }
    assert_true(port < PAGE_WORDS);
    w = &md->word[port];
    *w |= W_P;
    if (*w & (W_M | W_L))
        return;
    last = m_queue_last(md, vi, p->prio);
    *w |= W_L;
    p->qv = vi;
    p->qprio = p->prio;
    p->qseq = ++c->qseq;
    c->cov.linked++;
    if (last) {
        c->cov.linked_after++;
        md->word[last] = (md->word[last] & ~(W_LINK | W_B)) | port;
        touch(c, md, last);
    } else {
        mv->head[p->prio] = port;
        if (!(mv->ready & (1u << p->prio))) {
            mv->ready |= 1u << p->prio;
            m_mark_upcall(md, vi);
        }
    }
}

/* Raise (port) of (md) on its notify vCPU, in the domain's ABI. */
static void m_raise(struct ctx *c, struct mdom *md, uint32_t port)
{
    uint32_t vi = md->p[port].vcpu;

    touch(c, md, port);
    if (md->fifo)
        m_raise_fifo(c, md, vi, port);
    else
        m_raise_2l(md, vi, port);
}

/* Ports become valid a bucket at a time:
 * xen/common/event_channel.c:evtchn_allocate_port(). */
static void m_grow(struct mdom *md, uint32_t n)
{
    n = (n + BUCKET - 1) / BUCKET * BUCKET;
    if (n > md->valid)
        md->valid = n;
    assert_true(md->valid <= L2_PORTS);
}

/* 6.3 get_free_port: the lowest free, not busy (FIFO: LINKED) port below
 * max_evtchn_port + 1 and the ABI's limit
 * (xen/common/event_channel.c:get_free_port() and evtchn_allocate_port(),
 * xen/common/event_channel.h:evtchn_is_busy() being
 * xen/common/event_fifo.c:evtchn_fifo_is_busy()). */
static int m_get_free_port(struct mdom *md, uint32_t *out)
{
    uint32_t abi = md->fifo ? EVTCHN_FIFO_NR_CHANNELS : L2_PORTS;
    uint32_t limit = md->max_port + 1 < abi ? md->max_port + 1 : abi;

    assert_true(limit <= L2_PORTS);
    for (uint32_t port = 1; port < limit; port++) {
        if (md->p[port].state != S_FREE)
            continue;
        if (has_word(md, port) && (md->word[port] & W_L)) {
            cur->cov.busy_skipped++;
            continue;
        }
        m_grow(md, port + 1);
        *out = port;
        return 0;
    }
    m_grow(md, limit);
    return -XEN_ENOSPC;
}

/* A bind: the state, the notify vCPU, and evtchn_port_init()'s default
 * priority (xen/common/event_fifo.c:evtchn_fifo_init()). */
static struct mport *m_claim(struct ctx *c, struct mdom *md, uint32_t port,
                             uint8_t state, uint32_t vcpu)
{
    struct mport *p = &md->p[port];

    touch(c, md, port);
    p->state = state;
    p->vcpu = vcpu;
    p->prio = EVTCHN_FIFO_PRIORITY_DEFAULT;
    return p;
}

/* 6.3 evtchn_free: clear the pending bit, back to FREE, notify vCPU 0
 * (xen/common/event_channel.c:evtchn_free()). */
static void m_free(struct ctx *c, struct mdom *md, uint32_t port)
{
    struct mport *p = &md->p[port];

    touch(c, md, port);
    if (!md->fifo)
        set_bit(md->pend, port, false);
    else if (has_word(md, port))
        md->word[port] &= ~W_P;
    p->state = S_FREE;
    p->vcpu = 0;
    p->prio = EVTCHN_FIFO_PRIORITY_DEFAULT;
    p->remembered = false;
}

/* ------------------------------------------------------------------ */
/* The operations (section 6.4), as the model sees them                */

/* xen/common/event_channel.c:evtchn_alloc_unbound(): lookup (-ESRCH),
 * get_free_port(), then xsm_evtchn_unbound() (XSM_TARGET, -EPERM). */
static int m_alloc_unbound(struct ctx *c, struct mdom *caller, domid_t dom,
                           domid_t remote, uint32_t *port)
{
    struct mdom *t = m_any(c, caller, dom);
    int rc;

    if (!t)
        return -XEN_ESRCH;
    rc = m_get_free_port(t, port);
    if (rc)
        return rc;
    if (!m_may_control(caller, t))
        return -XEN_EPERM;
    m_claim(c, t, *port, S_UNBOUND, 0)->dom =
        remote == DOMID_SELF ? caller->id : remote;
    return 0;
}

/* xen/common/event_channel.c:evtchn_bind_interdomain(): lookup (-ESRCH),
 * get_free_port(), the remote port unbound and offered to the caller
 * (-EINVAL); the new local port is raised. */
static int m_bind_interdomain(struct ctx *c, struct mdom *caller, domid_t rdom,
                              uint32_t rport, uint32_t *lport)
{
    struct mdom *r = m_any(c, caller, rdom);
    struct mport *lp, *rp;
    int rc;

    if (!r)
        return -XEN_ESRCH;
    rc = m_get_free_port(caller, lport);
    if (rc)
        return rc;
    if (rport >= r->valid)
        return -XEN_EINVAL;
    rp = &r->p[rport];
    if (rp->state != S_UNBOUND || rp->dom != caller->id)
        return -XEN_EINVAL;
    lp = m_claim(c, caller, *lport, S_INTERDOMAIN, 0);
    lp->dom = r->id;
    lp->rport = rport;
    touch(c, r, rport);
    rp->state = S_INTERDOMAIN;
    rp->dom = caller->id;
    rp->rport = *lport;
    m_raise(c, caller, *lport);
    return 0;
}

/* xen/common/event_channel.c:evtchn_bind_virq() (4.17): -EINVAL past
 * NR_VIRQS or for a global VIRQ off vCPU 0, domain_vcpu()'s -ENOENT,
 * -EEXIST if bound, then get_free_port(). */
static int m_bind_virq(struct ctx *c, struct mdom *md, uint32_t virq,
                       uint32_t vcpu, uint32_t *port)
{
    int rc;

    if (virq >= NR_VIRQS)
        return -XEN_EINVAL;
    if (virq_class(md, virq) != VC_VCPU && vcpu != 0)
        return -XEN_EINVAL;
    if (vcpu >= md->nv)
        return -XEN_ENOENT;
    /* 4.21's handler check (-EBUSY); 4.17 has none. */
    if (virq_class(md, virq) == VC_GLOBAL && !md->priv &&
        md->version >= M_VIRQ_OWNER_VERSION)
        return -XEN_EBUSY;
    if (md->v[vcpu].virq[virq])
        return -XEN_EEXIST;
    rc = m_get_free_port(md, port);
    if (rc)
        return rc;
    m_claim(c, md, *port, S_VIRQ, vcpu)->virq = virq;
    md->v[vcpu].virq[virq] = *port;
    return 0;
}

/* xen/common/event_channel.c:evtchn_bind_ipi(): domain_vcpu()'s -ENOENT,
 * then get_free_port(). */
static int m_bind_ipi(struct ctx *c, struct mdom *md, uint32_t vcpu,
                      uint32_t *port)
{
    int rc;

    if (vcpu >= md->nv)
        return -XEN_ENOENT;
    rc = m_get_free_port(md, port);
    if (rc)
        return rc;
    m_claim(c, md, *port, S_IPI, vcpu);
    return 0;
}

/*
 * xen/common/event_channel.c:evtchn_bind_pirq() of 4.17 for an HVM domain
 * on x86: pirq >= nr_pirqs -EINVAL (nr_pirqs of a domU: the host's GSIs,
 * at least 16, + 32 extra_domU_irqs, xen/common/domain.c:domain_create();
 * xenemu uses that least value, 48, for every domain: deliberate,
 * "nr_pirqs" in docs/hypercalls.md), already bound
 * -EEXIST, then a port on vCPU 0 that nothing raises (no -EPERM for HVM,
 * no pirq_guest_bind()).
 */
#define M_NR_PIRQS 48u

static int m_bind_pirq(struct ctx *c, struct mdom *md, uint32_t pirq,
                       uint32_t *port)
{
    int rc;

    if (pirq >= M_NR_PIRQS)
        return -XEN_EINVAL;
    for (uint32_t p = 1; p < md->valid; p++)
        if (md->p[p].state == S_PIRQ && md->p[p].virq == pirq)
            return -XEN_EEXIST;
    rc = m_get_free_port(md, port);
    if (rc)
        return rc;
    m_claim(c, md, *port, S_PIRQ, 0)->virq = pirq;
    return 0;
}

/* xen/common/event_channel.c:evtchn_close(): -EINVAL for an invalid,
 * free or reserved port; a VIRQ is unbound, an interdomain peer goes back
 * to unbound (offered to this domain); then evtchn_free(). */
static int m_close(struct ctx *c, struct mdom *md, uint32_t port)
{
    struct mport *p;

    if (port >= md->valid || !m_usable(&md->p[port]))
        return -XEN_EINVAL;
    p = &md->p[port];
    if (p->state == S_VIRQ) {
        for (unsigned i = 0; i < md->nv; i++)
            if (md->v[i].virq[p->virq] == port)
                md->v[i].virq[p->virq] = 0;
    } else if (p->state == S_INTERDOMAIN) {
        struct mdom *r = m_find(c, p->dom);
        struct mport *rp = &r->p[p->rport];

        touch(c, r, p->rport);
        rp->state = S_UNBOUND;
        rp->dom = md->id;
    }
    m_free(c, md, port);
    return 0;
}

/* xen/common/event_channel.c:evtchn_send(): interdomain raises the peer's
 * port, IPI its own, unbound drops the event (0), anything else -EINVAL. */
static int m_send(struct ctx *c, struct mdom *md, uint32_t port)
{
    struct mport *p;

    if (port >= md->valid)
        return -XEN_EINVAL;
    p = &md->p[port];
    switch (p->state) {
    case S_INTERDOMAIN:
        m_raise(c, m_find(c, p->dom), p->rport);
        return 0;
    case S_IPI:
        m_raise(c, md, port);
        return 0;
    case S_UNBOUND:
        return 0;
    default:
        return -XEN_EINVAL;
    }
}

/* xen/common/event_channel.c:evtchn_status(): lookup (-ESRCH), invalid
 * port (-EINVAL), xsm_evtchn_status() (XSM_TARGET, -EPERM); free and
 * reserved ports read as closed; vcpu is notify_vcpu_id. */
static int m_status(struct ctx *c, struct mdom *caller, domid_t dom,
                    uint32_t port, struct evtchn_status *st)
{
    struct mdom *t = m_any(c, caller, dom);
    const struct mport *p;

    if (!t)
        return -XEN_ESRCH;
    if (port >= t->valid)
        return -XEN_EINVAL;
    if (!m_may_control(caller, t))
        return -XEN_EPERM;
    p = &t->p[port];
    switch (p->state) {
    case S_UNBOUND:
        st->status = EVTCHNSTAT_unbound;
        st->u.unbound.dom = p->dom;
        break;
    case S_INTERDOMAIN:
        st->status = EVTCHNSTAT_interdomain;
        st->u.interdomain.dom = p->dom;
        st->u.interdomain.port = p->rport;
        break;
    case S_VIRQ:
        st->status = EVTCHNSTAT_virq;
        st->u.virq = p->virq;
        break;
    case S_IPI:
        st->status = EVTCHNSTAT_ipi;
        break;
    case S_PIRQ:
        st->status = EVTCHNSTAT_pirq;
        st->u.pirq = p->virq;
        break;
    default:
        st->status = EVTCHNSTAT_closed;
        break;
    }
    st->vcpu = p->vcpu;
    return 0;
}

/* xen/common/event_channel.c:evtchn_bind_vcpu(): domain_vcpu()'s -ENOENT
 * before the port (-EINVAL); global VIRQs, unbound, interdomain and PIRQ
 * ports move, anything else -EINVAL. */
static int m_bind_vcpu(struct ctx *c, struct mdom *md, uint32_t port,
                       uint32_t vcpu)
{
    struct mport *p;

    if (vcpu >= md->nv)
        return -XEN_ENOENT;
    if (port >= md->valid)
        return -XEN_EINVAL;
    p = &md->p[port];
    switch (p->state) {
    case S_VIRQ:
        if (virq_class(md, p->virq) == VC_VCPU)
            return -XEN_EINVAL;
        /* fall through */
    case S_UNBOUND:
    case S_INTERDOMAIN:
    case S_PIRQ:
        touch(c, md, port);
        p->vcpu = vcpu;
        return 0;
    default:
        return -XEN_EINVAL;
    }
}

/* 4.2 / 5.6: xen/common/event_channel.c:evtchn_unmask() (-EINVAL for an
 * invalid port; xen/common/event_channel.h:evtchn_port_unmask() does
 * nothing for an unusable one),
 * xen/common/event_2l.c:evtchn_2l_unmask(),
 * xen/common/event_fifo.c:evtchn_fifo_unmask(). */
static int m_unmask(struct ctx *c, struct mdom *md, uint32_t port)
{
    struct mport *p;

    if (port >= md->valid)
        return -XEN_EINVAL;
    p = &md->p[port];
    if (!m_usable(p))
        return 0;
    touch(c, md, port);
    if (md->fifo) {
        if (!has_word(md, port))
            return 0;
        md->word[port] &= ~W_M;
        if (md->word[port] & W_P)
            m_raise_fifo(c, md, p->vcpu, port);
        return 0;
    }
    if (bit(md->mask, port)) {
        set_bit(md->mask, port, false);
        if (bit(md->pend, port) && !bit(&md->v[p->vcpu].sel, port / 64)) {
            set_bit(&md->v[p->vcpu].sel, port / 64, true);
            m_mark_upcall(md, p->vcpu);
        }
    }
    return 0;
}

/* The FIFO state xen/common/event_fifo.c:evtchn_fifo_destroy() drops. */
static void m_fifo_reset_state(struct mdom *md)
{
    memset(md->word, 0, sizeof(md->word));
    for (unsigned i = 0; i < MAX_MVCPUS; i++) {
        struct mvcpu *mv = &md->v[i];

        mv->cb = false;
        mv->cb_offset = 0;
        mv->ready = mv->g_ready = 0;
        memset(mv->head, 0, sizeof(mv->head));
        memset(mv->g_head, 0, sizeof(mv->g_head));
    }
    md->fifo_pages = 0;
}

/* xen/common/event_channel.c:do_event_channel_op() EVTCHNOP_reset and
 * evtchn_reset(): lookup (-ESRCH), XSM_TARGET (-EPERM), another domain
 * not paused by its controller (-EINVAL), reset_cont with none in progress
 * (-EBUSY); every port closed, and back to 2-level from FIFO. */
static int m_reset(struct ctx *c, struct mdom *caller, domid_t dom, bool cont)
{
    struct mdom *t = m_any(c, caller, dom);

    if (!t)
        return -XEN_ESRCH;
    if (!m_may_control(caller, t))
        return -XEN_EPERM;
    if (t != caller && !t->pause)
        return -XEN_EINVAL;
    if (cont)
        return -XEN_EBUSY; /* no reset in progress */
    for (uint32_t port = 1; port < t->valid; port++)
        m_close(c, t, port);
    if (t->fifo) {
        c->cov.resets_from_fifo++;
        t->fifo = false;
        m_fifo_reset_state(t);
        c->touched_all = true;
    }
    return 0;
}

/* xen/common/event_channel.c:evtchn_set_priority() (-EINVAL for an
 * invalid port), xen/common/event_channel.h:evtchn_port_set_priority()
 * (-ENOSYS under 2-level,
 * -EACCES for an unusable port), xen/common/event_fifo.c:
 * evtchn_fifo_set_priority() (-EINVAL past EVTCHN_FIFO_PRIORITY_MIN).
 * The first -ENOSYS, FIFO hidden, is deliberate (see the header). */
static int m_set_priority(struct ctx *c, struct mdom *md, uint32_t port,
                          uint32_t prio)
{
    if (!md->has_fifo)
        return -XEN_ENOSYS;
    if (port >= md->valid)
        return -XEN_EINVAL;
    if (!md->fifo)
        return -XEN_ENOSYS;
    if (!m_usable(&md->p[port]))
        return -XEN_EACCES;
    if (prio > EVTCHN_FIFO_PRIORITY_MIN)
        return -XEN_EINVAL;
    touch(c, md, port);
    md->p[port].prio = (uint8_t)prio;
    return 0;
}

/* 5.2: a new event-array page; raise what was remembered for it
 * (xen/common/event_fifo.c:add_page_to_event_array() and setup_ports()). */
static void m_expand(struct ctx *c, struct mdom *md)
{
    uint32_t first = md->fifo_pages * PAGE_WORDS;

    md->fifo_pages++;
    for (uint32_t port = first; port < first + PAGE_WORDS; port++) {
        if (port >= md->valid)
            break;
        if (md->p[port].remembered) {
            cur->cov.remembered_raised++;
            md->p[port].remembered = false;
            m_raise(c, md, port);
        }
    }
}

/*
 * 5.1 / 5.8: the first init_control: 2-level pending events of usable ports
 * are remembered, every port's priority is the default.
 *
 * Xen's setup_ports() copies the 2-level pending bit of every existing
 * port, free ones included, so a bit left in shared_info by an earlier FIFO
 * period (closing under FIFO clears the event word, not the bitmap) raises
 * a spurious event on a free port at the next switch.  xenemu carries only
 * usable ports over, in line with its documented choice of not re-raising
 * stale FIFO "pending" flags (docs/event-channels.md); the model follows
 * xenemu here.
 */
static void m_switch_to_fifo(struct ctx *c, struct mdom *md)
{
    m_fifo_reset_state(md);
    for (uint32_t port = 1; port < md->valid; port++) {
        md->p[port].prio = EVTCHN_FIFO_PRIORITY_DEFAULT;
        md->p[port].remembered = m_usable(&md->p[port]) && bit(md->pend, port);
    }
    md->fifo = true;
    c->touched_all = true;
}

/* ------------------------------------------------------------------ */
/* Checks                                                               */

/* The control block of (vi) where the guest registered it. */
static struct evtchn_fifo_control_block *real_cb(struct mdom *md, unsigned vi)
{
    uint8_t *page = guest_page(md->d, HARNESS_FREE_GFN + vi);

    return (struct evtchn_fifo_control_block *)(page + md->v[vi].cb_offset);
}

static const char *fifo_bits(event_word_t w, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s%s link %u", w & W_P ? "P" : "-",
             w & W_M ? "M" : "-", w & W_L ? "L" : "-", w & W_B ? "B" : "-",
             w & W_LINK);
    return buf;
}

static long status_hypercall(struct ctx *c, struct mdom *caller, unsigned vcpu,
                             struct evtchn_status *st)
{
    c->hypercalls++;
    return harness_op(caller->d, vcpu, __HYPERVISOR_event_channel_op,
                      EVTCHNOP_status, st, sizeof(*st));
}

/* EVTCHNOP_status {dom, port} from (caller): return value and struct. */
static long check_status(struct ctx *c, struct mdom *caller, unsigned vcpu,
                         domid_t dom, uint32_t port, const char *why)
{
    struct evtchn_status in, exp, act;
    char what[160];
    int erc;
    long rc;

    memset(&in, 0xee, sizeof(in));
    in.dom = dom;
    in.port = port;
    exp = act = in;
    erc = m_status(c, caller, dom, port, &exp);
    rc = status_hypercall(c, caller, vcpu, &act);
    snprintf(what, sizeof(what), "%s: status {dom %#x, port %u} from d%u", why,
             dom, port, caller->id);
    EXPECT_EQ(c, what, erc, rc);
    expect_mem(c, what, &exp, &act, sizeof(exp));
    return rc;
}

static void check_memory(struct ctx *c, struct mdom *md, bool full)
{
    struct shared_info *si = shinfo(md->d);
    char buf[64], buf2[64], what[160];

    for (unsigned w = 0; w < 64; w++) {
        uint64_t p = __atomic_load_n(&si->evtchn_pending[w], __ATOMIC_SEQ_CST);
        uint64_t m = __atomic_load_n(&si->evtchn_mask[w], __ATOMIC_SEQ_CST);

        if (p != md->pend[w]) {
            unsigned b = (unsigned)__builtin_ctzll(p ^ md->pend[w]);
            mismatch(c,
                     "d%u 2-level pending bit of port %u: expected %u, "
                     "actual %u\n",
                     md->id, w * 64 + b, (unsigned)(md->pend[w] >> b & 1),
                     (unsigned)(p >> b & 1));
        }
        if (m != md->mask[w]) {
            unsigned b = (unsigned)__builtin_ctzll(m ^ md->mask[w]);
            mismatch(c,
                     "d%u 2-level mask bit of port %u: expected %u, "
                     "actual %u\n",
                     md->id, w * 64 + b, (unsigned)(md->mask[w] >> b & 1),
                     (unsigned)(m >> b & 1));
        }
    }
    for (unsigned i = 0; i < md->nv; i++) {
        struct vcpu_info *vi = &si->vcpu_info[i];

        snprintf(what, sizeof(what), "d%u vCPU %u evtchn_upcall_pending",
                 md->id, i);
        EXPECT_EQ(
            c, what, md->v[i].upcall,
            __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST));
        snprintf(what, sizeof(what), "d%u vCPU %u evtchn_pending_sel", md->id,
                 i);
        EXPECT_EQ(c, what, md->v[i].sel,
                  __atomic_load_n(&vi->evtchn_pending_sel, __ATOMIC_SEQ_CST));
        snprintf(what, sizeof(what), "d%u vCPU %u upcall kicks", md->id, i);
        EXPECT_EQ(c, what, md->v[i].kicks, kicks(md->d, i));
    }
    snprintf(what, sizeof(what), "d%u uses the FIFO ABI", md->id);
    EXPECT_EQ(c, what, md->fifo, evtchn_domain_is_fifo(md->d));
    if (!md->fifo)
        return;
    {
        event_word_t *page = guest_page(md->d, md->array_gfn);
        uint32_t n = full || md->hw > PAGE_WORDS ? PAGE_WORDS : md->hw;

        for (uint32_t port = 0; port < n; port++) {
            event_word_t w = __atomic_load_n(&page[port], __ATOMIC_SEQ_CST);

            if (w != md->word[port])
                mismatch(c,
                         "d%u FIFO event word of port %u: expected %s, "
                         "actual %s\n",
                         md->id, port, fifo_bits(md->word[port], buf, 64),
                         fifo_bits(w, buf2, 64));
        }
    }
    for (unsigned i = 0; i < md->nv; i++) {
        struct evtchn_fifo_control_block *cb = real_cb(md, i);

        snprintf(what, sizeof(what), "d%u vCPU %u control block ready", md->id,
                 i);
        EXPECT_EQ(c, what, md->v[i].ready,
                  __atomic_load_n(&cb->ready, __ATOMIC_SEQ_CST));
        for (unsigned q = 0; q < NR_QUEUES; q++) {
            snprintf(what, sizeof(what), "d%u vCPU %u control block head[%u]",
                     md->id, i, q);
            EXPECT_EQ(c, what, md->v[i].head[q],
                      __atomic_load_n(&cb->head[q], __ATOMIC_SEQ_CST));
        }
    }
}

static void check_all(struct ctx *c)
{
    bool full = c->touched_all || c->step % FULL_CHECK_EVERY == 0;

    for (unsigned i = 0; i < NR_MDOMS; i++)
        check_memory(c, &c->dom[i], full);
    if (!full) {
        for (unsigned i = 0; i < c->ntouched; i++)
            check_status(c, c->touched[i].md, 0, DOMID_SELF, c->touched[i].port,
                         "after the step");
        return;
    }
    /* Every port, and the first one that does not exist, alternately
     * asked by the domain itself and by dom0. */
    for (unsigned i = 0; i < NR_MDOMS; i++) {
        struct mdom *md = &c->dom[i];

        for (uint32_t port = 0; port <= md->valid; port++) {
            struct mdom *asker = port % 2 ? &c->dom[0] : md;

            check_status(c, asker, 0, asker == md ? DOMID_SELF : md->id, port,
                         "full check");
        }
    }
}

/* ------------------------------------------------------------------ */
/* Choosing arguments                                                   */

static const domid_t bad_domids[] = {
    9, 100, 0x7fef, DOMID_IO, DOMID_XEN, DOMID_INVALID, DOMID_IDLE, 0xffff};

static domid_t pick_domid(struct ctx *c, struct mdom *md, unsigned self_pct)
{
    unsigned r = below(c, 100);

    if (r < self_pct)
        return chance(c, 70) ? DOMID_SELF : md->id;
    if (r < 88)
        return c->dom[below(c, NR_MDOMS)].id;
    return bad_domids[below(c, sizeof(bad_domids) / sizeof(bad_domids[0]))];
}

static uint32_t pick_port(struct ctx *c, struct mdom *md)
{
    unsigned r = below(c, 100);
    uint32_t used[L2_PORTS], n = 0;

    if (r < 55) {
        for (uint32_t port = 1; port < md->valid; port++)
            if (m_usable(&md->p[port]))
                used[n++] = port;
        if (n)
            return used[below(c, n)];
    }
    if (r < 88)
        return below(c, md->valid + 4);
    if (r < 92)
        return 0;
    switch (below(c, 7)) {
    case 0:
        return md->valid;
    case 1:
        return L2_PORTS - 1;
    case 2:
        return L2_PORTS;
    case 3:
        return EVTCHN_FIFO_NR_CHANNELS;
    case 4:
        return UINT32_MAX;
    case 5:
        return md->max_port;
    default:
        return md->max_port + 1;
    }
}

/* A port the guest touches in its own memory. */
static uint32_t pick_guest_port(struct ctx *c, struct mdom *md)
{
    uint32_t port = chance(c, 10) ? below(c, md->valid + 4) : pick_port(c, md);

    return port < md->valid + 4 && port < L2_PORTS ? port : below(c, md->valid);
}

static uint32_t pick_vcpu(struct ctx *c, struct mdom *md)
{
    unsigned r = below(c, 100);
    static const uint32_t bad[] = {32, 128, 0x80000000u, UINT32_MAX};

    if (r < 86)
        return below(c, md->nv);
    if (r < 95)
        return md->nv + below(c, 2);
    return bad[below(c, 4)];
}

static uint32_t pick_virq(struct ctx *c)
{
    static const uint32_t global[] = {VIRQ_CONSOLE, VIRQ_DOM_EXC, VIRQ_TBUF, 5,
                                      VIRQ_ENOMEM,  16,           23};
    static const uint32_t bad[] = {NR_VIRQS, 31, 0x80000000u, UINT32_MAX};
    unsigned r = below(c, 100);

    if (r < 35)
        return VIRQ_TIMER;
    if (r < 55)
        return VIRQ_DEBUG;
    if (r < 65)
        return VIRQ_ARGO;
    if (r < 73)
        return chance(c, 50) ? VIRQ_XENOPROF : VIRQ_XENPMU;
    if (r < 90)
        return global[below(c, sizeof(global) / sizeof(global[0]))];
    return bad[below(c, 4)];
}

/* ------------------------------------------------------------------ */
/* Steps                                                                */

static long hcall(struct ctx *c, struct mdom *md, unsigned vi, unsigned cmd,
                  void *arg, size_t size)
{
    c->hypercalls++;
    return harness_op(md->d, vi, __HYPERVISOR_event_channel_op, cmd, arg, size);
}

static void count_rc(struct ctx *c, enum opk k, long rc)
{
    if (!rc)
        return;
    c->failed[k]++;
    if (rc < 0 && rc > -128)
        c->err[k][-rc]++;
}

/* Issue (cmd) with (arg); compare the return value with (erc) and the
 * struct with (exp) (the argument with the OUT fields the model expects). */
static void run_op(struct ctx *c, struct mdom *md, unsigned vi, unsigned cmd,
                   void *arg, const void *exp, size_t size, int erc, enum opk k)
{
    long rc = hcall(c, md, vi, cmd, arg, size);

    EXPECT_EQ(c, "return value", erc, rc);
    expect_mem(c, "argument struct after the call", exp, arg, size);
    count_rc(c, k, rc);
}

static void step_alloc_unbound(struct ctx *c, struct mdom *md, unsigned vi)
{
    struct evtchn_alloc_unbound a = {.dom = pick_domid(c, md, 60),
                                     .remote_dom = pick_domid(c, md, 30),
                                     .port = SENTINEL};
    struct evtchn_alloc_unbound e = a;
    uint32_t port = 0;
    int erc;

    begin(c, "d%u vCPU %u: alloc_unbound {dom %#x, remote_dom %#x}", md->id, vi,
          a.dom, a.remote_dom);
    erc = m_alloc_unbound(c, md, a.dom, a.remote_dom, &port);
    if (erc == 0)
        e.port = port;
    run_op(c, md, vi, EVTCHNOP_alloc_unbound, &a, &e, sizeof(a), erc,
           OP_ALLOC_UNBOUND);
}

/* A remote port worth binding: mostly one left unbound for (md). */
static uint32_t pick_remote_port(struct ctx *c, struct mdom *md, struct mdom *r)
{
    uint32_t cand[L2_PORTS], n = 0;

    if (r && chance(c, 75)) {
        for (uint32_t port = 1; port < r->valid; port++)
            if (r->p[port].state == S_UNBOUND && r->p[port].dom == md->id)
                cand[n++] = port;
        if (n)
            return cand[below(c, n)];
    }
    return pick_port(c, r ? r : md);
}

static void step_bind_interdomain(struct ctx *c, struct mdom *md, unsigned vi)
{
    struct evtchn_bind_interdomain a = {.local_port = SENTINEL}, e;
    struct mdom *r;
    uint32_t lport = 0;
    int erc;

    /* Mostly a domain that has a port left unbound for us. */
    a.remote_dom = pick_domid(c, md, 20);
    if (chance(c, 60)) {
        struct mdom *cand[NR_MDOMS];
        unsigned n = 0;

        for (unsigned i = 0; i < NR_MDOMS; i++)
            for (uint32_t port = 1; port < c->dom[i].valid; port++)
                if (c->dom[i].p[port].state == S_UNBOUND &&
                    c->dom[i].p[port].dom == md->id) {
                    cand[n++] = &c->dom[i];
                    break;
                }
        if (n) {
            r = cand[below(c, n)];
            a.remote_dom = r == md && chance(c, 50) ? DOMID_SELF : r->id;
        }
    }
    r = m_any(c, md, a.remote_dom);
    a.remote_port = pick_remote_port(c, md, r);
    e = a;
    begin(c, "d%u vCPU %u: bind_interdomain {remote_dom %#x, remote_port %u}",
          md->id, vi, a.remote_dom, a.remote_port);
    if (r)
        touch(c, r, a.remote_port);
    erc = m_bind_interdomain(c, md, a.remote_dom, a.remote_port, &lport);
    if (erc == 0)
        e.local_port = lport;
    run_op(c, md, vi, EVTCHNOP_bind_interdomain, &a, &e, sizeof(a), erc,
           OP_BIND_INTERDOMAIN);
}

static void step_bind_virq(struct ctx *c, struct mdom *md, unsigned vi)
{
    struct evtchn_bind_virq a = {.virq = pick_virq(c), .port = SENTINEL}, e;
    uint32_t port = 0;
    int erc;

    a.vcpu = virq_class(md, a.virq) != VC_VCPU && chance(c, 80)
                 ? 0
                 : pick_vcpu(c, md);
    e = a;
    begin(c, "d%u vCPU %u: bind_virq {virq %u, vcpu %u}", md->id, vi, a.virq,
          a.vcpu);
    erc = m_bind_virq(c, md, a.virq, a.vcpu, &port);
    if (erc == 0)
        e.port = port;
    run_op(c, md, vi, EVTCHNOP_bind_virq, &a, &e, sizeof(a), erc, OP_BIND_VIRQ);
}

static void step_bind_ipi(struct ctx *c, struct mdom *md, unsigned vi)
{
    struct evtchn_bind_ipi a = {.vcpu = pick_vcpu(c, md), .port = SENTINEL};
    struct evtchn_bind_ipi e = a;
    uint32_t port = 0;
    int erc;

    begin(c, "d%u vCPU %u: bind_ipi {vcpu %u}", md->id, vi, a.vcpu);
    erc = m_bind_ipi(c, md, a.vcpu, &port);
    if (erc == 0)
        e.port = port;
    run_op(c, md, vi, EVTCHNOP_bind_ipi, &a, &e, sizeof(a), erc, OP_BIND_IPI);
}

static void step_close(struct ctx *c, struct mdom *md, unsigned vi)
{
    struct evtchn_close a = {.port = pick_port(c, md)}, e = a;
    int erc;

    begin(c, "d%u vCPU %u: close {port %u}", md->id, vi, a.port);
    touch(c, md, a.port);
    erc = m_close(c, md, a.port);
    run_op(c, md, vi, EVTCHNOP_close, &a, &e, sizeof(a), erc, OP_CLOSE);
}

static void step_send(struct ctx *c, struct mdom *md, unsigned vi)
{
    struct evtchn_send a = {.port = pick_port(c, md)}, e = a;
    int erc;

    begin(c, "d%u vCPU %u: send {port %u}", md->id, vi, a.port);
    touch(c, md, a.port);
    erc = m_send(c, md, a.port);
    run_op(c, md, vi, EVTCHNOP_send, &a, &e, sizeof(a), erc, OP_SEND);
}

static void step_unmask(struct ctx *c, struct mdom *md, unsigned vi)
{
    struct evtchn_unmask a = {.port = pick_port(c, md)}, e = a;
    int erc;

    begin(c, "d%u vCPU %u: unmask {port %u}", md->id, vi, a.port);
    touch(c, md, a.port);
    erc = m_unmask(c, md, a.port);
    run_op(c, md, vi, EVTCHNOP_unmask, &a, &e, sizeof(a), erc, OP_UNMASK);
}

static void step_bind_vcpu(struct ctx *c, struct mdom *md, unsigned vi)
{
    struct evtchn_bind_vcpu a = {.port = pick_port(c, md),
                                 .vcpu = pick_vcpu(c, md)};
    struct evtchn_bind_vcpu e = a;
    int erc;

    begin(c, "d%u vCPU %u: bind_vcpu {port %u, vcpu %u}", md->id, vi, a.port,
          a.vcpu);
    touch(c, md, a.port);
    erc = m_bind_vcpu(c, md, a.port, a.vcpu);
    run_op(c, md, vi, EVTCHNOP_bind_vcpu, &a, &e, sizeof(a), erc, OP_BIND_VCPU);
}

static void step_status(struct ctx *c, struct mdom *md, unsigned vi)
{
    domid_t dom = pick_domid(c, md, 40);
    struct mdom *t = m_any(c, md, dom);
    uint32_t port = pick_port(c, t ? t : md);

    begin(c, "d%u vCPU %u: status {dom %#x, port %u}", md->id, vi, dom, port);
    count_rc(c, OP_STATUS, check_status(c, md, vi, dom, port, "the step"));
}

static void step_reset(struct ctx *c, struct mdom *md, unsigned vi)
{
    bool cont = chance(c, 10);
    struct evtchn_reset a = {.dom = pick_domid(c, md, 60)}, e = a;
    int erc;

    begin(c, "d%u vCPU %u: %s {dom %#x}", md->id, vi,
          cont ? "reset_cont" : "reset", a.dom);
    erc = m_reset(c, md, a.dom, cont);
    run_op(c, md, vi, cont ? EVTCHNOP_reset_cont : EVTCHNOP_reset, &a, &e,
           sizeof(a), erc, OP_RESET);
}

static void step_set_priority(struct ctx *c, struct mdom *md, unsigned vi)
{
    struct evtchn_set_priority a = {.port = pick_port(c, md)}, e;
    int erc;

    a.priority = chance(c, 90) ? below(c, NR_QUEUES)
                               : (chance(c, 50) ? NR_QUEUES : UINT32_MAX);
    e = a;
    begin(c, "d%u vCPU %u: set_priority {port %u, priority %u}", md->id, vi,
          a.port, a.priority);
    touch(c, md, a.port);
    erc = m_set_priority(c, md, a.port, a.priority);
    run_op(c, md, vi, EVTCHNOP_set_priority, &a, &e, sizeof(a), erc,
           OP_SET_PRIORITY);
}

/* init_control (registering a vCPU of a FIFO domain, or failing), or
 * expand_array.  Expected: xen/common/event_fifo.c:
 * evtchn_fifo_init_control() (domain_vcpu()'s -ENOENT, then -EINVAL for
 * the offset, then map_control_block(): -EINVAL if registered or for a
 * frame map_guest_page() refuses; link_bits copied back only on success,
 * xen/common/event_channel.c:do_event_channel_op()) and
 * evtchn_fifo_expand_array() (-EOPNOTSUPP before init_control) with
 * add_page_to_event_array() (-ENOSPC past EVTCHN_FIFO_MAX_EVENT_ARRAY_PAGES,
 * -EINVAL for a bad frame).  The -ENOSYS with FIFO hidden is deliberate
 * (see the header). */
static void step_fifo_setup(struct ctx *c, struct mdom *md, unsigned vi)
{
    if (chance(c, 50)) {
        struct evtchn_init_control a = {.control_gfn = HARNESS_FREE_GFN,
                                        .vcpu = below(c, md->nv)},
                                   e;
        int erc = -XEN_EINVAL; /* bad offset, bad frame, or registered */

        switch (below(c, 4)) {
        case 0:
            a.vcpu = md->nv + below(c, 3);
            break;
        case 1:
            a.offset = chance(c, 50) ? 4 : GUEST_PAGE_SIZE - 72 + 8;
            break;
        case 2:
            a.control_gfn = chance(c, 50) ? HARNESS_RAM_PAGES : 1ull << 40;
            break;
        default:
            /* Under 2-level a good frame would switch: keep it failing. */
            a.control_gfn += md->fifo ? a.vcpu : HARNESS_RAM_PAGES + 7;
            if (md->fifo && !md->v[a.vcpu].cb) {
                erc = 0;
                if (chance(c, 30)) /* another place in the page */
                    a.offset = chance(c, 50) ? 8 * (1 + below(c, 8))
                                             : GUEST_PAGE_SIZE - 72;
            }
            break;
        }
        e = a;
        begin(c,
              "d%u vCPU %u: init_control {gfn %#" PRIx64 ", offset %u, "
              "vcpu %u}",
              md->id, vi, (uint64_t)a.control_gfn, a.offset, a.vcpu);
        if (!md->has_fifo)
            erc = -XEN_ENOSYS;
        else if (a.vcpu >= md->nv)
            erc = -XEN_ENOENT;
        if (erc == 0) {
            /* A FIFO domain registers one more vCPU.  Its page was
             * cleared at the switch and nobody wrote it since. */
            e.link_bits = EVTCHN_FIFO_LINK_BITS;
            md->v[a.vcpu].cb = true;
            md->v[a.vcpu].cb_offset = a.offset;
        }
        run_op(c, md, vi, EVTCHNOP_init_control, &a, &e, sizeof(a), erc,
               OP_FIFO_SETUP);
    } else {
        bool bad = chance(c, 30);
        struct evtchn_expand_array a = {.array_gfn = md->array_gfn}, e;
        int erc = 0;

        if (bad)
            a.array_gfn = 1ull << 40;
        else if (md->fifo_pages)
            a.array_gfn = EXTRA_ARRAY_GFN + md->fifo_pages;
        e = a;
        begin(c, "d%u vCPU %u: expand_array {gfn %#" PRIx64 "}", md->id, vi,
              (uint64_t)a.array_gfn);
        if (!md->has_fifo)
            erc = -XEN_ENOSYS;
        else if (!md->fifo)
            erc = -XEN_EOPNOTSUPP;
        else if (md->fifo_pages >= EVTCHN_FIFO_NR_CHANNELS / PAGE_WORDS)
            erc = -XEN_ENOSPC;
        else if (bad)
            erc = -XEN_EINVAL;
        else
            m_expand(c, md);
        run_op(c, md, vi, EVTCHNOP_expand_array, &a, &e, sizeof(a), erc,
               OP_FIFO_SETUP);
    }
}

/* bind_pirq (m_bind_pirq()), or a sub-op number do_event_channel_op()
 * has no case for: its default -ENOSYS, nothing copied back. */
static void step_other_cmd(struct ctx *c, struct mdom *md, unsigned vi)
{
    if (chance(c, 50)) {
        struct evtchn_bind_pirq a = {.pirq = below(c, 64), .port = SENTINEL};
        struct evtchn_bind_pirq e = a;
        uint32_t port = 0;
        int erc;

        if (chance(c, 5))
            a.pirq = UINT32_MAX - below(c, 2);
        e = a;
        begin(c, "d%u vCPU %u: bind_pirq {pirq %u}", md->id, vi, a.pirq);
        erc = m_bind_pirq(c, md, a.pirq, &port);
        if (erc == 0)
            e.port = port;
        run_op(c, md, vi, EVTCHNOP_bind_pirq, &a, &e, sizeof(a), erc,
               OP_OTHER_CMD);
    } else {
        static const unsigned cmds[] = {15, 16, 100, 0xffff, 0x80000000u};
        unsigned cmd = cmds[below(c, 5)];
        uint8_t a[16] = {0}, e[16] = {0};

        begin(c, "d%u vCPU %u: event_channel_op cmd %u", md->id, vi, cmd);
        run_op(c, md, vi, cmd, a, e, sizeof(a), -XEN_ENOSYS, OP_OTHER_CMD);
    }
}

/* xen/common/event_channel.c:send_guest_vcpu_virq() /
 * send_guest_global_virq(): the bound port is raised; a VIRQ number past
 * NR_VIRQS is ignored by xenemu's internal API (no Xen caller passes
 * one). */
static void step_raise_virq(struct ctx *c, struct mdom *md)
{
    uint32_t virq = chance(c, 95) ? pick_virq(c) : NR_VIRQS + below(c, 3);
    bool domain_virq = chance(c, 25);
    uint32_t vi = domain_virq ? 0 : below(c, md->nv);

    if (domain_virq) {
        begin(c, "hypervisor: send_domain_virq(d%u, virq %u)", md->id, virq);
        evtchn_send_domain_virq(md->d, virq);
    } else {
        begin(c, "hypervisor: send_vcpu_virq(d%u vCPU %u, virq %u)", md->id, vi,
              virq);
        evtchn_send_vcpu_virq(md->d->vcpus[vi], virq);
    }
    if (virq < NR_VIRQS && md->v[vi].virq[virq])
        m_raise(c, md, md->v[vi].virq[virq]);
}

static void step_pause(struct ctx *c, struct mdom *md)
{
    if (md->priv)
        md = &c->dom[1 + below(c, NR_MDOMS - 1)];
    if (md->pause < 2 && chance(c, 50)) {
        begin(c, "toolstack: domain_pause(d%u)", md->id);
        EXPECT_EQ(c, "domain_pause", 0, domain_pause(md->d));
        md->pause++;
    } else {
        begin(c, "toolstack: domain_unpause(d%u)", md->id);
        EXPECT_EQ(c, "domain_unpause", md->pause ? 0 : -XEN_EINVAL,
                  domain_unpause(md->d));
        if (md->pause)
            md->pause--;
    }
}

/*
 * The guest switches to FIFO: it clears its control-block pages and its
 * first array page, then mostly registers every vCPU and gives one page
 * (harness_fifo_init); otherwise it registers only some vCPUs (the others
 * drop their events until they register) and gives zero or one page (with
 * zero, events are remembered until expand_array).
 */
static void do_switch_fifo(struct ctx *c, struct mdom *md)
{
    bool all = chance(c, 60);
    unsigned set = all ? (1u << md->nv) - 1 : 1 + below(c, (1u << md->nv) - 1);
    unsigned pages = all || chance(c, 50) ? 1 : 0;

    begin(c, "d%u: switch to FIFO (init_control for vCPUs mask %#x, %u page)",
          md->id, set, pages);
    for (unsigned i = 0; i < md->nv; i++)
        memset(guest_page(md->d, HARNESS_FREE_GFN + i), 0, GUEST_PAGE_SIZE);
    md->array_gfn = HARNESS_FREE_GFN + md->nv;
    memset(guest_page(md->d, md->array_gfn), 0, GUEST_PAGE_SIZE);
    m_switch_to_fifo(c, md);
    c->cov.switches++;
    for (unsigned i = 0; i < md->nv; i++)
        md->v[i].cb = set >> i & 1;
    if (pages)
        m_expand(c, md);
    if (all) {
        c->hypercalls += md->nv + 1;
        EXPECT_EQ(c, "first array frame", md->array_gfn,
                  harness_fifo_init(md->d, 1));
        return;
    }
    for (unsigned i = 0; i < md->nv; i++) {
        struct evtchn_init_control a = {.control_gfn = HARNESS_FREE_GFN + i,
                                        .vcpu = i};

        if (!(set >> i & 1))
            continue;
        EXPECT_EQ(c, "init_control", 0,
                  hcall(c, md, 0, EVTCHNOP_init_control, &a, sizeof(a)));
        EXPECT_EQ(c, "init_control link_bits", EVTCHN_FIFO_LINK_BITS,
                  a.link_bits);
    }
    if (pages) {
        struct evtchn_expand_array a = {.array_gfn = md->array_gfn};

        EXPECT_EQ(c, "expand_array", 0,
                  hcall(c, md, 0, EVTCHNOP_expand_array, &a, sizeof(a)));
    }
}

/* --- the guest, on its own memory --- */

static void guest_word_2l(struct mdom *md, bool pending, uint32_t port, bool on)
{
    struct shared_info *si = shinfo(md->d);
    xen_ulong_t *w =
        pending ? &si->evtchn_pending[port / 64] : &si->evtchn_mask[port / 64];
    xen_ulong_t b = (xen_ulong_t)1 << (port % 64);

    if (on)
        __atomic_fetch_or(w, b, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(w, ~b, __ATOMIC_SEQ_CST);
    set_bit(pending ? md->pend : md->mask, port, on);
}

static event_word_t *real_word(struct mdom *md, uint32_t port)
{
    return (event_word_t *)guest_page(md->d, md->array_gfn) + port;
}

static void guest_word_fifo(struct mdom *md, uint32_t port, event_word_t b,
                            bool on)
{
    if (on) {
        __atomic_fetch_or(real_word(md, port), b, __ATOMIC_SEQ_CST);
        md->word[port] |= b;
    } else {
        __atomic_fetch_and(real_word(md, port), ~b, __ATOMIC_SEQ_CST);
        md->word[port] &= ~b;
    }
}

/* Set or clear MASKED or PENDING of (port) in the domain's ABI. */
static void guest_bit(struct ctx *c, struct mdom *md, uint32_t port,
                      bool pending, bool on)
{
    touch(c, md, port);
    if (!md->fifo)
        guest_word_2l(md, pending, port, on);
    else if (has_word(md, port) && port < PAGE_WORDS)
        guest_word_fifo(md, port, pending ? W_P : W_M, on);
}

static bool guest_test(struct mdom *md, uint32_t port, bool pending)
{
    if (!md->fifo)
        return bit(pending ? md->pend : md->mask, port);
    return has_word(md, port) && port < PAGE_WORDS &&
           (md->word[port] & (pending ? W_P : W_M));
}

/* Linux's unmask: 2-level HVM: clear the mask; if pending, set it again and
 * let Xen unmask.  FIFO: if masked and pending, EVTCHNOP_unmask, else clear
 * MASKED. */
static void guest_linux_unmask(struct ctx *c, struct mdom *md, unsigned vi,
                               uint32_t port)
{
    struct evtchn_unmask a = {.port = port}, e = a;
    bool call;
    int erc;

    touch(c, md, port);
    if (!md->fifo) {
        guest_bit(c, md, port, false, false);
        call = guest_test(md, port, true);
        if (call)
            guest_bit(c, md, port, false, true);
    } else {
        if (!guest_test(md, port, false))
            return;
        call = guest_test(md, port, true);
        if (!call)
            guest_bit(c, md, port, false, false);
    }
    if (!call)
        return;
    erc = m_unmask(c, md, port);
    run_op(c, md, vi, EVTCHNOP_unmask, &a, &e, sizeof(a), erc, G_LINUX_UNMASK);
}

static void guest_clear_upcall(struct mdom *md, unsigned vi)
{
    struct vcpu_info *v = &shinfo(md->d)->vcpu_info[vi];

    __atomic_store_n(&v->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    md->v[vi].upcall = 0;
}

/* 2-level: take the selector (xchg); FIFO: take the ready word (xchg). */
static uint64_t guest_take(struct ctx *c, struct mdom *md, unsigned vi)
{
    struct mvcpu *mv = &md->v[vi];
    uint64_t got;

    if (!md->fifo) {
        struct vcpu_info *v = &shinfo(md->d)->vcpu_info[vi];

        got = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        EXPECT_EQ(c, "guest: selector taken", mv->sel, got);
        mv->sel = 0;
        return got;
    }
    got = __atomic_exchange_n(&real_cb(md, vi)->ready, 0, __ATOMIC_SEQ_CST);
    EXPECT_EQ(c, "guest: ready word taken", mv->ready, got);
    mv->ready = 0;
    mv->g_ready |= (uint32_t)got;
    return got;
}

/* The handler acknowledges a delivered event (mostly). */
static void guest_dispatch(struct ctx *c, struct mdom *md, uint32_t port)
{
    if (chance(c, 85))
        guest_bit(c, md, port, true, false);
}

/* 2-level: handle the lowest pending, unmasked port of the selected words
 * (the selector is not changed). */
static bool guest_consume_2l(struct ctx *c, struct mdom *md, uint64_t sel)
{
    for (unsigned w = 0; w < 64; w++) {
        uint64_t ready = md->pend[w] & ~md->mask[w];

        if (!(sel >> w & 1) || !ready)
            continue;
        guest_bit(c, md, w * 64 + (unsigned)__builtin_ctzll(ready), true,
                  false);
        return true;
    }
    return false;
}

/*
 * FIFO (5.5): take the lowest ready queue; its head is the guest's own copy,
 * or head[] from the control block when that is 0; clear LINKED and LINK of
 * that word, which gives the next one.  The model says which event must
 * come first on the queue and which follows it.
 */
static bool guest_consume_fifo(struct ctx *c, struct mdom *md, unsigned vi)
{
    struct mvcpu *mv = &md->v[vi];
    uint32_t q, first, second, h;
    event_word_t old;
    char what[160], buf[64];

    if (!mv->g_ready)
        return false;
    q = (uint32_t)__builtin_ctz(mv->g_ready);
    first = m_queue_nth(md, vi, q, 0);
    second = m_queue_nth(md, vi, q, 1);
    h = mv->g_head[q];
    if (!h)
        h = __atomic_load_n(&real_cb(md, vi)->head[q], __ATOMIC_SEQ_CST);
    snprintf(what, sizeof(what),
             "guest: next event on d%u vCPU %u queue %u (model: %s)", md->id,
             vi, q, first ? "this one" : "queue empty");
    EXPECT_EQ(c, what, first, h);
    if (!first)
        return false;
    touch(c, md, first);
    old = __atomic_fetch_and(real_word(md, first), ~(W_L | W_LINK),
                             __ATOMIC_SEQ_CST);
    snprintf(what, sizeof(what),
             "guest: event word of port %u taken off the queue (model %s)",
             first, fifo_bits(md->word[first], buf, sizeof(buf)));
    EXPECT_EQ(c, what, md->word[first], old);
    snprintf(what, sizeof(what), "guest: LINK of port %u (next on queue %u)",
             first, q);
    EXPECT_EQ(c, what, second, old & W_LINK);
    md->word[first] &= ~(W_L | W_LINK);
    c->cov.consumed++;
    c->cov.consumed_with_next += second != 0;
    mv->g_head[q] = old & W_LINK;
    if (!mv->g_head[q])
        mv->g_ready &= ~(1u << q);
    if ((old & W_P) && !(old & W_M))
        guest_dispatch(c, md, first);
    return true;
}

static void guest_handler(struct ctx *c, struct mdom *md, unsigned vi)
{
    guest_clear_upcall(md, vi);
    if (!md->fifo) {
        uint64_t sel = guest_take(c, md, vi);

        while (guest_consume_2l(c, md, sel) && chance(c, 90))
            ;
        return;
    }
    for (int i = 0; i < 64; i++) {
        guest_take(c, md, vi);
        if (!guest_consume_fifo(c, md, vi))
            break;
    }
}

static void step_guest(struct ctx *c, enum opk k, struct mdom *md, unsigned vi)
{
    uint32_t port = pick_guest_port(c, md);
    const char *abi = md->fifo ? "FIFO" : "2L";

    switch (k) {
    case G_MASK:
        begin(c, "guest d%u (%s): mask port %u", md->id, abi, port);
        guest_bit(c, md, port, false, true);
        break;
    case G_UNMASK:
        begin(c, "guest d%u (%s): clear mask of port %u", md->id, abi, port);
        guest_bit(c, md, port, false, false);
        break;
    case G_CLEAR_PENDING:
        begin(c, "guest d%u (%s): clear pending of port %u", md->id, abi, port);
        guest_bit(c, md, port, true, false);
        break;
    case G_LINUX_UNMASK:
        begin(c, "guest d%u (%s) vCPU %u: Linux unmask of port %u", md->id, abi,
              vi, port);
        guest_linux_unmask(c, md, vi, port);
        break;
    case G_CLEAR_UPCALL:
        begin(c, "guest d%u vCPU %u: clear evtchn_upcall_pending", md->id, vi);
        guest_clear_upcall(md, vi);
        break;
    case G_TAKE:
        begin(c, "guest d%u (%s) vCPU %u: take %s", md->id, abi, vi,
              md->fifo ? "ready word" : "selector");
        guest_take(c, md, vi);
        break;
    case G_CONSUME:
        begin(c, "guest d%u (%s) vCPU %u: consume one event", md->id, abi, vi);
        if (md->fifo)
            guest_consume_fifo(c, md, vi);
        else
            guest_consume_2l(c, md, md->v[vi].sel);
        break;
    default:
        begin(c, "guest d%u (%s) vCPU %u: upcall handler", md->id, abi, vi);
        guest_handler(c, md, vi);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Sequences                                                            */

static void m_dom_init(struct mdom *md, struct domain *d, bool priv,
                       bool has_fifo, uint32_t max_port)
{
    memset(md, 0, sizeof(*md));
    md->d = d;
    md->id = d->domid;
    md->priv = priv;
    md->version = d->xen_version;
    md->has_fifo = has_fifo;
    md->may_fifo = has_fifo && max_port < PAGE_WORDS;
    md->nv = d->max_vcpus;
    assert_true(md->nv <= MAX_MVCPUS);
    md->max_port = max_port;
    md->valid = BUCKET;
    md->hw = 1;
    for (uint32_t port = 0; port < L2_PORTS; port++)
        md->p[port].prio = EVTCHN_FIFO_PRIORITY_DEFAULT;
    md->p[0].state = S_RESERVED;
}

static void setup(struct ctx *c)
{
    static const uint32_t small[] = {3, 7, 12};
    static const uint32_t mid[] = {31, 40, 70};
    static const uint32_t last[] = {5, 20, 1023};
    size_t ram = (size_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE;
    struct domain *d0;
    struct {
        unsigned vcpus;
        uint32_t max_port;
        bool fifo;
    } cfg[NR_MDOMS - 1] = {
        {3, 1023, true},
        {1 + below(c, 3), small[below(c, 3)], true},
        {2, mid[below(c, 3)], true},
        {1 + below(c, 3), last[below(c, 3)], false},
    };

    c->hv = harness_hv();
    /* dom0 (privileged, one vCPU, no port limit but the ABI's) gets RAM so
     * that it can make hypercalls, and a recording slot for its kicks. */
    d0 = domain_get(c->hv, 0);
    assert_non_null(d0);
    domain_put(d0); /* the domain table keeps it */
    c->dom0_ram = aligned_alloc(GUEST_PAGE_SIZE, ram);
    assert_non_null(c->dom0_ram);
    memset(c->dom0_ram, 0, ram);
    domain_set_ram(d0, c->dom0_ram, ram);
    c->dom0_rec = calloc(1, sizeof(struct rec_vcpu));
    assert_non_null(c->dom0_rec);
    d0->vcpus[0]->backend_priv = c->dom0_rec;
    m_dom_init(&c->dom[0], d0, true, true, EVTCHN_FIFO_NR_CHANNELS - 1);

    for (unsigned i = 0; i < NR_MDOMS - 1; i++) {
        struct harness_dom_opts o = {.vcpus = cfg[i].vcpus,
                                     .max_evtchn_port = cfg[i].max_port};

        /* The domain without FIFO: hidden by the flag in the 2-level set,
         * by emulating Xen 4.3 in the FIFO set. */
        if (!cfg[i].fifo && !c->fifo_set)
            o.flags = XEN_DOMCTL_CDF_disable_fifo;
        if (!cfg[i].fifo && c->fifo_set)
            o.xen_version = XENEMU_VERSION(4, 3);
        m_dom_init(&c->dom[i + 1], harness_domain(c->hv, &o), false,
                   cfg[i].fifo, cfg[i].max_port);
    }
}

static void teardown(struct ctx *c)
{
    for (unsigned i = NR_MDOMS - 1; i > 0; i--)
        harness_domain_free(c->dom[i].d);
    hv_destroy(c->hv);
    free(c->dom0_ram);
    free(c->dom0_rec);
}

static enum opk pick_kind(struct ctx *c)
{
    unsigned total = 0, r;

    for (unsigned k = 0; k < NR_OPK; k++)
        total += opk_info[k].weight;
    r = below(c, total);
    for (unsigned k = 0; k < NR_OPK; k++) {
        if (r < opk_info[k].weight)
            return (enum opk)k;
        r -= opk_info[k].weight;
    }
    return G_HANDLER;
}

static void run_step(struct ctx *c)
{
    enum opk k = pick_kind(c);
    /* dom0 acts less often than the guests. */
    struct mdom *md = &c->dom[chance(c, 12) ? 0 : 1 + below(c, NR_MDOMS - 1)];
    unsigned vi = below(c, md->nv);

    if (k == OP_SWITCH_FIFO && !(c->fifo_set && md->may_fifo && !md->fifo))
        k = G_HANDLER;
    c->count[k]++;
    c->ntouched = 0;
    c->touched_all = false;
    switch (k) {
    case OP_ALLOC_UNBOUND:
        step_alloc_unbound(c, md, vi);
        break;
    case OP_BIND_INTERDOMAIN:
        step_bind_interdomain(c, md, vi);
        break;
    case OP_BIND_VIRQ:
        step_bind_virq(c, md, vi);
        break;
    case OP_BIND_IPI:
        step_bind_ipi(c, md, vi);
        break;
    case OP_CLOSE:
        step_close(c, md, vi);
        break;
    case OP_SEND:
        step_send(c, md, vi);
        break;
    case OP_UNMASK:
        step_unmask(c, md, vi);
        break;
    case OP_BIND_VCPU:
        step_bind_vcpu(c, md, vi);
        break;
    case OP_STATUS:
        step_status(c, md, vi);
        break;
    case OP_RESET:
        step_reset(c, md, vi);
        break;
    case OP_SET_PRIORITY:
        step_set_priority(c, md, vi);
        break;
    case OP_FIFO_SETUP:
        step_fifo_setup(c, md, vi);
        break;
    case OP_OTHER_CMD:
        step_other_cmd(c, md, vi);
        break;
    case OP_RAISE_VIRQ:
        step_raise_virq(c, md);
        break;
    case OP_PAUSE:
        step_pause(c, md);
        break;
    case OP_SWITCH_FIFO:
        do_switch_fifo(c, md);
        break;
    default:
        step_guest(c, k, md, vi);
        break;
    }
    check_all(c);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *s = getenv(name);

    return s && *s ? strtoull(s, NULL, 0) : dflt;
}

static void run_set(const char *test, bool fifo_set, unsigned dflt_seqs)
{
    struct ctx *c = calloc(1, sizeof(*c));
    const char *only = getenv("EVTCHN_MODEL_SET");
    uint64_t base = env_u64("EVTCHN_MODEL_SEED", 0);
    unsigned seqs =
        (unsigned)env_u64("EVTCHN_MODEL_SEQS", base ? 1 : dflt_seqs);
    unsigned ops = (unsigned)env_u64("EVTCHN_MODEL_OPS", OPS_PER_SEQ);
    unsigned long total = 0, failed = 0;

    assert_non_null(c);
    if (only && *only && strcmp(only, fifo_set ? "fifo" : "2l")) {
        printf("%s: skipped (EVTCHN_MODEL_SET=%s)\n", test, only);
        free(c);
        return;
    }
    cur = c;
    c->test = test;
    c->fifo_set = fifo_set;
    c->trace = env_u64("EVTCHN_MODEL_TRACE", 0) != 0;
    if (base)
        printf("%s: %u sequence(s) x %u operations, seed 0x%016" PRIx64
               " from EVTCHN_MODEL_SEED\n",
               test, seqs, ops, base);
    else
        printf("%s: %u sequences x %u operations, sequence n has seed "
               "splitmix64(0x%016" PRIx64 " + n)\n",
               test, seqs, ops, (uint64_t)(BASE_SEED + (fifo_set ? 1000 : 0)));
    for (unsigned s = 0; s < seqs; s++) {
        c->seq = s;
        c->seed =
            base ? base : splitmix64(BASE_SEED + s + (fifo_set ? 1000 : 0));
        c->rng = c->seed ? c->seed : 1;
        c->qseq = 0;
        c->step = 0;
        begin(c, "setup");
        setup(c);
        if (fifo_set)
            for (unsigned i = 1; i < NR_MDOMS; i++)
                if (c->dom[i].may_fifo && chance(c, 60))
                    do_switch_fifo(c, &c->dom[i]);
        check_all(c);
        for (c->step = 1; c->step <= ops; c->step++)
            run_step(c);
        teardown(c);
    }
    printf("%s: %u operations in %u sequences (%lu hypercalls incl. checks)\n",
           test, seqs * ops, seqs, c->hypercalls);
    for (unsigned k = 0; k < NR_OPK; k++) {
        total += c->count[k];
        failed += c->failed[k];
        printf("  %-28s %7lu", opk_info[k].name, c->count[k]);
        if (c->failed[k]) {
            printf("  errors:");
            for (unsigned e = 1; e < 128; e++)
                if (c->err[k][e])
                    printf(" -%u x%lu", e, c->err[k][e]);
        }
        printf("\n");
    }
    printf("  total %lu, %lu with an error return\n", total, failed);
    if (fifo_set)
        printf("  FIFO: %lu switches, %lu resets back to 2L, %lu events "
               "linked (%lu after a tail), %lu consumed (%lu with a next "
               "one), %lu dropped (no control block), %lu remembered, %lu "
               "raised by expand_array, %lu busy ports skipped\n",
               c->cov.switches, c->cov.resets_from_fifo, c->cov.linked,
               c->cov.linked_after, c->cov.consumed, c->cov.consumed_with_next,
               c->cov.dropped_no_cb, c->cov.remembered,
               c->cov.remembered_raised, c->cov.busy_skipped);
    free(c);
}

static void test_model_2l(void **state)
{
    (void)state;
    run_set("test_model_2l", false, SEQS_2L);
}

static void test_model_fifo(void **state)
{
    (void)state;
    run_set("test_model_fifo", true, SEQS_FIFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_2l),
        cmocka_unit_test(test_model_fifo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
