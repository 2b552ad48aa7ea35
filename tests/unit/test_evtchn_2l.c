/*
 * test_evtchn_2l.c: 2-level delivery (reference sections 3 and 4): pending,
 * mask and selector bits and the upcall flag, unmask semantics (4.2), the
 * 64-bit shared_info layout with 4096 ports and the 32-bit one with 1024.
 *
 * Expected values are Xen 4.17.7's: raising from
 * xen/common/event_2l.c:evtchn_2l_set_pending(), clearing from
 * evtchn_2l_clear_pending(), unmask from evtchn_2l_unmask(), the port
 * limits from xen/common/event_channel.h:max_evtchns() (BITS_PER_EVTCHN_WORD
 * squared) and the 32-bit latch from has_32bit_shinfo() users.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* ---- the two layouts ---------------------------------------------------- */

/* Where a domain's 2-level bits live, for either layout. */
struct layout {
    bool compat;
    unsigned int word_bits; /* 64 or 32 */
    unsigned int nr_ports;  /* 4096 or 1024 */
    size_t pending, mask;   /* offsets in shared_info */
    size_t sel;             /* offset of evtchn_pending_sel in vcpu_info */
};

static const struct layout layout64 = {
    .compat = false,
    .word_bits = 64,
    .nr_ports = 4096,
    .pending = offsetof(struct shared_info, evtchn_pending),
    .mask = offsetof(struct shared_info, evtchn_mask),
    .sel = offsetof(struct vcpu_info, evtchn_pending_sel),
};

static const struct layout layout32 = {
    .compat = true,
    .word_bits = 32,
    .nr_ports = 1024,
    .pending = offsetof(struct shared_info_x86_32, evtchn_pending),
    .mask = offsetof(struct shared_info_x86_32, evtchn_mask),
    .sel = offsetof(struct vcpu_info_x86_32, evtchn_pending_sel),
};

_Static_assert(offsetof(struct shared_info, evtchn_pending) == 0x800, "ABI");
_Static_assert(offsetof(struct shared_info, evtchn_mask) == 0xa00, "ABI");
_Static_assert(offsetof(struct vcpu_info, evtchn_pending_sel) == 8, "ABI");
_Static_assert(offsetof(struct shared_info_x86_32, evtchn_pending) == 2048,
               "ABI");
_Static_assert(offsetof(struct shared_info_x86_32, evtchn_mask) == 2176, "ABI");
_Static_assert(offsetof(struct vcpu_info_x86_32, evtchn_pending_sel) == 4,
               "ABI");
_Static_assert(sizeof(struct vcpu_info_x86_32) == 64, "ABI");

static uint8_t *si(struct domain *d)
{
    return d->shared_info;
}

static uint8_t *vi(struct domain *d, unsigned int vcpu)
{
    return si(d) + vcpu * 64; /* both layouts have 64-byte vcpu_info */
}

/* Bit (bit) of the (word_bits)-bit bitmap at (base). */
static bool test_bitmap(const struct layout *l, const uint8_t *base,
                        unsigned int bit)
{
    if (l->word_bits == 64)
        return __atomic_load_n((const uint64_t *)base + bit / 64,
                               __ATOMIC_SEQ_CST) >>
                   (bit % 64) &
               1;
    return __atomic_load_n((const uint32_t *)base + bit / 32,
                           __ATOMIC_SEQ_CST) >>
               (bit % 32) &
           1;
}

static void set_bitmap(const struct layout *l, uint8_t *base, unsigned int bit,
                       bool on)
{
    if (l->word_bits == 64) {
        uint64_t *w = (uint64_t *)base + bit / 64, m = 1ull << (bit % 64);

        if (on)
            __atomic_fetch_or(w, m, __ATOMIC_SEQ_CST);
        else
            __atomic_fetch_and(w, ~m, __ATOMIC_SEQ_CST);
        return;
    }
    uint32_t *w = (uint32_t *)base + bit / 32, m = 1u << (bit % 32);

    if (on)
        __atomic_fetch_or(w, m, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(w, ~m, __ATOMIC_SEQ_CST);
}

static bool pend(const struct layout *l, struct domain *d, evtchn_port_t p)
{
    return test_bitmap(l, si(d) + l->pending, p);
}

static bool masked(const struct layout *l, struct domain *d, evtchn_port_t p)
{
    return test_bitmap(l, si(d) + l->mask, p);
}

static void set_pend(const struct layout *l, struct domain *d, evtchn_port_t p,
                     bool on)
{
    set_bitmap(l, si(d) + l->pending, p, on);
}

static void set_mask(const struct layout *l, struct domain *d, evtchn_port_t p,
                     bool on)
{
    set_bitmap(l, si(d) + l->mask, p, on);
}

/* The selector of (vcpu), zero-extended. */
static uint64_t sel(const struct layout *l, struct domain *d, unsigned int vcpu)
{
    if (l->word_bits == 64)
        return __atomic_load_n((uint64_t *)(vi(d, vcpu) + l->sel),
                               __ATOMIC_SEQ_CST);
    return __atomic_load_n((uint32_t *)(vi(d, vcpu) + l->sel),
                           __ATOMIC_SEQ_CST);
}

static void set_sel(const struct layout *l, struct domain *d, unsigned int vcpu,
                    uint64_t v)
{
    if (l->word_bits == 64)
        __atomic_store_n((uint64_t *)(vi(d, vcpu) + l->sel), v,
                         __ATOMIC_SEQ_CST);
    else
        __atomic_store_n((uint32_t *)(vi(d, vcpu) + l->sel), (uint32_t)v,
                         __ATOMIC_SEQ_CST);
}

static uint8_t upcall(struct domain *d, unsigned int vcpu)
{
    return __atomic_load_n(vi(d, vcpu), __ATOMIC_SEQ_CST);
}

static void set_upcall(struct domain *d, unsigned int vcpu, uint8_t v)
{
    __atomic_store_n(vi(d, vcpu), v, __ATOMIC_SEQ_CST);
}

/* The guest consumed everything: bitmaps, selectors and upcall flags. */
static void guest_clear(const struct layout *l, struct domain *d)
{
    memset(si(d) + l->pending, 0, l->nr_ports / 8);
    for (unsigned int v = 0; v < d->max_vcpus; v++) {
        set_sel(l, d, v, 0);
        set_upcall(d, v, 0);
    }
}

/* Number of pending bits set in the whole bitmap. */
static unsigned int nr_pending(const struct layout *l, struct domain *d)
{
    const uint64_t *w = (const uint64_t *)(si(d) + l->pending);
    unsigned int n = 0;

    /* Both bitmaps are whole 64-bit words (4096 or 1024 bits). */
    for (unsigned int i = 0; i < l->nr_ports / 64; i++)
        n += __builtin_popcountll(__atomic_load_n(&w[i], __ATOMIC_SEQ_CST));
    return n;
}

/* A domain with (vcpus) vCPUs and the given layout and port limit. */
static struct domain *dom(struct hv *hv, const struct layout *l,
                          unsigned int vcpus, uint32_t max_port)
{
    struct domain *d =
        harness_domain(hv, &(struct harness_dom_opts){
                               .vcpus = vcpus, .max_evtchn_port = max_port});

    if (l->compat)
        domain_latch_shinfo_compat(d, true);
    return d;
}

/* ---- raising ------------------------------------------------------------ */

/*
 * Every port of the ABI's range, bound as an IPI to vCPU (port % 2), can be
 * raised, and sets exactly its pending bit, its selector bit on its vCPU,
 * and the upcall flag (4.1).
 */
static void raise_every_port(const struct layout *l)
{
    struct hv *hv = harness_hv();
    struct domain *d = dom(hv, l, 2, 4095);
    evtchn_port_t last = 0;

    for (evtchn_port_t p = 1; p < l->nr_ports; p++) {
        last = must_bind_ipi(d, p % 2);
        assert_int_equal(last, p);
    }
    /* The ABI's range is the limit, whatever max_evtchn_port says. */
    struct evtchn_bind_ipi op = {.vcpu = 0};
    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_ipi, &op, sizeof(op)),
                     -XEN_ENOSPC);

    for (evtchn_port_t p = 1; p < l->nr_ports; p++) {
        unsigned int v = p % 2;
        unsigned int k0 = kicks(d, v), k1 = kicks(d, !v);

        guest_clear(l, d);
        assert_int_equal(do_send(d, p), 0);
        if (!pend(l, d, p) || nr_pending(l, d) != 1)
            fail_msg("port %u: pending bits wrong", p);
        if (sel(l, d, v) != 1ull << (p / l->word_bits) || sel(l, d, !v))
            fail_msg("port %u: selector %llx/%llx", p,
                     (unsigned long long)sel(l, d, v),
                     (unsigned long long)sel(l, d, !v));
        if (upcall(d, v) != 1 || upcall(d, !v) != 0)
            fail_msg("port %u: upcall flags", p);
        if (kicks(d, v) != k0 + 1 || kicks(d, !v) != k1)
            fail_msg("port %u: kicks", p);
    }
    harness_domain_free(d);
    hv_destroy(hv);
}

static void test_raise_every_port_64(void **state)
{
    (void)state;
    raise_every_port(&layout64);
}

static void test_raise_every_port_32(void **state)
{
    (void)state;
    raise_every_port(&layout32);
}

/*
 * One raise, from a given guest-visible state; what the raise must leave
 * (4.1): an already pending port changes nothing, a masked one only gets
 * its pending bit, a set selector bit or upcall flag means no new kick.
 */
struct raise_case {
    const char *name;
    bool pending, mask;
    bool sel_set, upcall_set;
    /* Expected afterwards. */
    bool want_sel, want_upcall;
    unsigned int want_kicks;
};

static const struct raise_case raise_cases[] = {
    {"clean", false, false, false, false, true, true, 1},
    {"already pending", true, false, false, false, false, false, 0},
    {"already pending and masked", true, true, false, false, false, false, 0},
    {"masked", false, true, false, false, false, false, 0},
    {"selector already set", false, false, true, false, true, false, 0},
    {"upcall already pending", false, false, false, true, true, true, 0},
    {"masked, upcall pending", false, true, false, true, false, true, 0},
};

static void raise_table(const struct layout *l)
{
    struct hv *hv = harness_hv();
    struct domain *d = dom(hv, l, 2, 0);
    /* Ports in word 1 of either layout, on vCPU 1. */
    evtchn_port_t port = 0;

    while (port < l->word_bits + 5)
        port = must_bind_ipi(d, 1);
    for (size_t i = 0; i < sizeof(raise_cases) / sizeof(raise_cases[0]); i++) {
        const struct raise_case *c = &raise_cases[i];
        unsigned int word = port / l->word_bits;
        unsigned int k = kicks(d, 1);

        guest_clear(l, d);
        set_mask(l, d, port, c->mask);
        set_pend(l, d, port, c->pending);
        set_sel(l, d, 1, c->sel_set ? 1ull << word : 0);
        set_upcall(d, 1, c->upcall_set);
        assert_int_equal(do_send(d, port), 0);
        if (!pend(l, d, port))
            fail_msg("%s: not pending", c->name);
        if (masked(l, d, port) != c->mask)
            fail_msg("%s: mask changed", c->name);
        if (!!(sel(l, d, 1) & 1ull << word) != c->want_sel)
            fail_msg("%s: selector %llx", c->name,
                     (unsigned long long)sel(l, d, 1));
        if (upcall(d, 1) != c->want_upcall)
            fail_msg("%s: upcall %u", c->name, upcall(d, 1));
        if (kicks(d, 1) - k != c->want_kicks)
            fail_msg("%s: %u kicks", c->name, kicks(d, 1) - k);
        /* Nothing ever reaches vCPU 0. */
        if (sel(l, d, 0) || upcall(d, 0) || kicks(d, 0))
            fail_msg("%s: vCPU 0 signalled", c->name);
        set_mask(l, d, port, false);
    }
    harness_domain_free(d);
    hv_destroy(hv);
}

static void test_raise_table_64(void **state)
{
    (void)state;
    raise_table(&layout64);
}

static void test_raise_table_32(void **state)
{
    (void)state;
    raise_table(&layout32);
}

/* ---- unmask (4.2) ------------------------------------------------------- */

struct unmask_case {
    const char *name;
    bool mask, pending, sel_set, upcall_set;
    bool want_sel, want_upcall;
    unsigned int want_kicks;
};

static const struct unmask_case unmask_cases[] = {
    {"masked pending", true, true, false, false, true, true, 1},
    {"masked pending, selector set", true, true, true, false, true, false, 0},
    {"masked pending, upcall pending", true, true, false, true, true, true, 0},
    {"masked, not pending", true, false, false, false, false, false, 0},
    /* The guest cleared the mask itself: unmask raises nothing. */
    {"unmasked pending", false, true, false, false, false, false, 0},
    {"unmasked, not pending", false, false, false, false, false, false, 0},
};

static void unmask_table(const struct layout *l)
{
    struct hv *hv = harness_hv();
    struct domain *d = dom(hv, l, 2, 0);
    evtchn_port_t port = 0;

    /* An IPI on vCPU 1 in word 2. */
    while (port < 2 * l->word_bits + 3)
        port = must_bind_ipi(d, 1);
    for (size_t i = 0; i < sizeof(unmask_cases) / sizeof(unmask_cases[0]);
         i++) {
        const struct unmask_case *c = &unmask_cases[i];
        unsigned int word = port / l->word_bits;
        unsigned int k = kicks(d, 1);

        guest_clear(l, d);
        set_mask(l, d, port, c->mask);
        set_pend(l, d, port, c->pending);
        set_sel(l, d, 1, c->sel_set ? 1ull << word : 0);
        set_upcall(d, 1, c->upcall_set);
        assert_int_equal(do_unmask(d, port), 0);
        if (masked(l, d, port))
            fail_msg("%s: still masked", c->name);
        if (pend(l, d, port) != c->pending)
            fail_msg("%s: pending changed", c->name);
        if (!!(sel(l, d, 1) & 1ull << word) != c->want_sel)
            fail_msg("%s: selector %llx", c->name,
                     (unsigned long long)sel(l, d, 1));
        if (upcall(d, 1) != c->want_upcall)
            fail_msg("%s: upcall", c->name);
        if (kicks(d, 1) - k != c->want_kicks)
            fail_msg("%s: %u kicks", c->name, kicks(d, 1) - k);
        if (sel(l, d, 0) || upcall(d, 0) || kicks(d, 0))
            fail_msg("%s: vCPU 0 signalled", c->name);
        /* A second unmask raises nothing (checklist 6). */
        k = kicks(d, 1);
        set_sel(l, d, 1, 0);
        set_upcall(d, 1, 0);
        assert_int_equal(do_unmask(d, port), 0);
        if (sel(l, d, 1) || upcall(d, 1) || kicks(d, 1) != k)
            fail_msg("%s: second unmask raised", c->name);
    }
    harness_domain_free(d);
    hv_destroy(hv);
}

static void test_unmask_table_64(void **state)
{
    (void)state;
    unmask_table(&layout64);
}

static void test_unmask_table_32(void **state)
{
    (void)state;
    unmask_table(&layout32);
}

/* Checklist 6 end to end: masked send, then unmask delivers once
 * (xen/common/event_2l.c:evtchn_2l_set_pending() skips the selector of a
 * masked port; evtchn_2l_unmask() sets it and the upcall if pending). */
static void test_masked_send_then_unmask(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *d = harness_domain(hv, &(struct harness_dom_opts){0});
    evtchn_port_t port = must_bind_ipi(d, 0);

    (void)state;
    mask_2l(d, port, true);
    assert_int_equal(do_send(d, port), 0);
    assert_true(pending_2l(d, port));
    assert_int_equal(shinfo(d)->vcpu_info[0].evtchn_pending_sel, 0);
    assert_int_equal(shinfo(d)->vcpu_info[0].evtchn_upcall_pending, 0);
    assert_int_equal(kicks(d, 0), 0);
    assert_true(evtchn_port_is_masked(d, port));
    assert_int_equal(do_unmask(d, port), 0);
    assert_false(evtchn_port_is_masked(d, port));
    assert_int_equal(shinfo(d)->vcpu_info[0].evtchn_pending_sel, 1);
    assert_int_equal(shinfo(d)->vcpu_info[0].evtchn_upcall_pending, 1);
    assert_int_equal(kicks(d, 0), 1);
    assert_int_equal(do_unmask(d, port), 0);
    assert_int_equal(kicks(d, 0), 1);
    harness_domain_free(d);
    hv_destroy(hv);
}

/* ---- the layouts differ ------------------------------------------------- */

/*
 * A 32-bit guest's mask bitmap is at 2176, its selector at byte 4 of
 * vcpu_info and one selector bit covers 32 ports; bits at the 64-bit
 * places mean nothing to it (the compat shared_info/vcpu_info layouts of
 * xen/include/public/xen.h as compiled for x86_32, used when
 * has_32bit_shinfo(): xen/include/xen/shared.h; BITS_PER_EVTCHN_WORD 32).
 */
static void test_compat_layout_places(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *d = dom(hv, &layout32, 1, 0);
    const struct layout *l = &layout32;
    evtchn_port_t port = 0;
    uint64_t *sel64 = &shinfo(d)->vcpu_info[0].evtchn_pending_sel;

    (void)state;
    while (port < 40)
        port = must_bind_ipi(d, 0);
    /* A mask in the 64-bit place does not mask port 40 here. */
    mask_2l(d, port, true);
    assert_int_equal(do_send(d, port), 0);
    assert_int_equal(sel(l, d, 0), 1u << 1); /* 40 / 32 */
    assert_int_equal(kicks(d, 0), 1);
    /* The 64-bit selector word (byte 8) was not touched. */
    assert_int_equal(*sel64, 0);
    /* The 32-bit mask does mask it. */
    guest_clear(l, d);
    set_mask(l, d, port, true);
    assert_int_equal(do_send(d, port), 0);
    assert_true(pend(l, d, port));
    assert_int_equal(sel(l, d, 0), 0);
    assert_int_equal(kicks(d, 0), 1);
    assert_true(evtchn_port_is_masked(d, port));
    assert_int_equal(do_unmask(d, port), 0);
    assert_false(masked(l, d, port));
    assert_int_equal(sel(l, d, 0), 1u << 1);
    assert_int_equal(kicks(d, 0), 2);
    harness_domain_free(d);
    hv_destroy(hv);
}

/* 64-bit: the last port, 4095, is bit 63 of word 63 and selector bit 63
 * (evtchn_2l_set_pending(); close clears it: evtchn_free() calls
 * evtchn_port_clear_pending(), xen/common/event_channel.c). */
static void test_port_4095(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *d = dom(hv, &layout64, 1, 4095);
    evtchn_port_t port = 0;

    (void)state;
    while (port < 4095)
        port = must_bind_ipi(d, 0);
    assert_int_equal(do_send(d, 4095), 0);
    assert_int_equal(shinfo(d)->evtchn_pending[63], 1ull << 63);
    assert_int_equal(shinfo(d)->vcpu_info[0].evtchn_pending_sel, 1ull << 63);
    mask_2l(d, 4095, true);
    assert_true(evtchn_port_is_masked(d, 4095));
    assert_int_equal(shinfo(d)->evtchn_mask[63], 1ull << 63);
    assert_int_equal(do_close(d, 4095), 0);
    assert_int_equal(shinfo(d)->evtchn_pending[63], 0);
    harness_domain_free(d);
    hv_destroy(hv);
}

/* ---- other sources of events -------------------------------------------- */

/* Closing a port clears its pending bit (and nothing else):
 * xen/common/event_channel.c:evtchn_close() frees the port through
 * evtchn_free(), which calls evtchn_port_clear_pending(); the mask bit is
 * not touched.  get_free_port() hands out the lowest free port again. */
static void test_close_clears_pending(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *d = harness_domain(hv, &(struct harness_dom_opts){0});
    evtchn_port_t a = must_bind_ipi(d, 0), b = must_bind_ipi(d, 0);

    (void)state;
    assert_int_equal(do_send(d, a), 0);
    assert_int_equal(do_send(d, b), 0);
    mask_2l(d, a, true);
    assert_int_equal(do_close(d, a), 0);
    assert_false(pending_2l(d, a));
    assert_true(pending_2l(d, b));
    /* The mask is the guest's: left as it was. */
    assert_true(shinfo(d)->evtchn_mask[0] & 1ull << a);
    /* Re-allocated, the port starts without an event. */
    assert_int_equal(must_bind_ipi(d, 0), a);
    assert_false(evtchn_port_is_pending(d, a));
    harness_domain_free(d);
    hv_destroy(hv);
}

/* Checklist 5: the new local port of bind_interdomain is pending, on its
 * notify vCPU (0), even though nobody sent anything
 * (xen/common/event_channel.c:evtchn_bind_interdomain() raises the local
 * port with evtchn_port_set_pending()). */
static void test_bind_interdomain_pending(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *a =
        harness_domain(hv, &(struct harness_dom_opts){.vcpus = 2});
    struct domain *b = harness_domain(hv, &(struct harness_dom_opts){0});
    evtchn_port_t rport = must_alloc_unbound(b, a->domid);
    evtchn_port_t lport;

    (void)state;
    lport = must_bind_interdomain(a, b->domid, rport);
    assert_true(pending_2l(a, lport));
    assert_int_equal(shinfo(a)->vcpu_info[0].evtchn_pending_sel, 1);
    assert_int_equal(shinfo(a)->vcpu_info[0].evtchn_upcall_pending, 1);
    assert_int_equal(kicks(a, 0), 1);
    assert_int_equal(kicks(a, 1), 0);
    assert_false(pending_2l(b, rport));
    assert_int_equal(kicks(b, 0), 0);
    /* Sends go both ways. */
    assert_int_equal(do_send(b, rport), 0);
    assert_int_equal(do_send(a, lport), 0);
    assert_true(pending_2l(b, rport));
    assert_int_equal(kicks(b, 0), 1);
    harness_domain_free(a);
    harness_domain_free(b);
    hv_destroy(hv);
}

/* VIRQs raised by the hypervisor reach the vCPU they are bound to:
 * xen/common/event_channel.c:send_guest_vcpu_virq() (the vCPU's own
 * binding) and send_guest_global_virq() (vCPU 0's binding, delivered to
 * the port's notify_vcpu_id, which bind_vcpu moves).  Ignoring a VIRQ
 * number >= NR_VIRQS is xenemu's guard on its internal API (Xen's callers
 * never pass one). */
static void test_virq_delivery(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *d =
        harness_domain(hv, &(struct harness_dom_opts){.vcpus = 2});
    struct evtchn_bind_virq timer = {.virq = VIRQ_TIMER, .vcpu = 1};
    struct evtchn_bind_virq argo = {.virq = VIRQ_ARGO, .vcpu = 0};
    struct evtchn_bind_vcpu move;

    (void)state;
    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_virq, &timer, sizeof(timer)),
                     0);
    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_virq, &argo, sizeof(argo)), 0);
    /* Not bound on vCPU 0: nothing. */
    evtchn_send_vcpu_virq(d->vcpus[0], VIRQ_TIMER);
    assert_false(pending_2l(d, timer.port));
    assert_int_equal(kicks(d, 0), 0);
    /* Out of range: ignored. */
    evtchn_send_vcpu_virq(d->vcpus[0], NR_VIRQS);
    evtchn_send_vcpu_virq(d->vcpus[1], VIRQ_TIMER);
    assert_true(pending_2l(d, timer.port));
    assert_int_equal(kicks(d, 1), 1);
    evtchn_send_domain_virq(d, VIRQ_ARGO);
    assert_true(pending_2l(d, argo.port));
    assert_int_equal(kicks(d, 0), 1);
    /* A per-domain VIRQ follows bind_vcpu. */
    move = (struct evtchn_bind_vcpu){.port = argo.port, .vcpu = 1};
    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_vcpu, &move, sizeof(move)), 0);
    memset(shinfo(d)->evtchn_pending, 0, sizeof(shinfo(d)->evtchn_pending));
    shinfo(d)->vcpu_info[1].evtchn_upcall_pending = 0;
    shinfo(d)->vcpu_info[1].evtchn_pending_sel = 0;
    evtchn_send_domain_virq(d, VIRQ_ARGO);
    assert_true(pending_2l(d, argo.port));
    assert_int_equal(kicks(d, 1), 2);
    assert_int_equal(kicks(d, 0), 1);
    /* Closed: raising it does nothing. */
    assert_int_equal(do_close(d, timer.port), 0);
    evtchn_send_vcpu_virq(d->vcpus[1], VIRQ_TIMER);
    assert_false(pending_2l(d, timer.port));
    harness_domain_free(d);
    hv_destroy(hv);
}

/*
 * 4.1 step 3: a raise that makes a port newly pending wakes the vCPU
 * polling it (or polling "many"), once; an already pending port wakes
 * nobody.  Masked ports wake pollers too.  evtchn_2l_set_pending() calls
 * xen/common/event_channel.c:evtchn_check_pollers() after a newly set
 * pending bit, masked or not, which wakes pollers of that port or of
 * "many" (poll_evtchn <= 0).
 */
static void test_pollers_woken(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *d =
        harness_domain(hv, &(struct harness_dom_opts){.vcpus = 3});
    evtchn_port_t p = must_bind_ipi(d, 0), q = must_bind_ipi(d, 0);

    (void)state;
    __atomic_store_n(&d->nr_pollers, 3, __ATOMIC_SEQ_CST);
    __atomic_store_n(&d->vcpus[0]->poll_port, VCPU_POLL_NONE, __ATOMIC_SEQ_CST);
    __atomic_store_n(&d->vcpus[1]->poll_port, p, __ATOMIC_SEQ_CST);
    __atomic_store_n(&d->vcpus[2]->poll_port, VCPU_POLL_MANY, __ATOMIC_SEQ_CST);
    mask_2l(d, q, true);
    assert_int_equal(do_send(d, q), 0);
    /* q: only the "many" poller. */
    assert_int_equal(rec_vcpu(d->vcpus[1])->wakes, 0);
    assert_int_equal(rec_vcpu(d->vcpus[2])->wakes, 1);
    assert_int_equal(d->vcpus[2]->poll_port, VCPU_POLL_NONE);
    assert_int_equal(d->vcpus[1]->poll_port, p);
    assert_int_equal(do_send(d, p), 0);
    assert_int_equal(rec_vcpu(d->vcpus[1])->wakes, 1);
    assert_int_equal(d->vcpus[1]->poll_port, VCPU_POLL_NONE);
    /* Already pending: nobody is woken. */
    __atomic_store_n(&d->vcpus[1]->poll_port, p, __ATOMIC_SEQ_CST);
    assert_int_equal(do_send(d, p), 0);
    assert_int_equal(rec_vcpu(d->vcpus[1])->wakes, 1);
    assert_int_equal(rec_vcpu(d->vcpus[0])->wakes, 0);
    __atomic_store_n(&d->nr_pollers, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&d->vcpus[1]->poll_port, VCPU_POLL_NONE, __ATOMIC_SEQ_CST);
    harness_domain_free(d);
    hv_destroy(hv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raise_every_port_64),
        cmocka_unit_test(test_raise_every_port_32),
        cmocka_unit_test(test_raise_table_64),
        cmocka_unit_test(test_raise_table_32),
        cmocka_unit_test(test_unmask_table_64),
        cmocka_unit_test(test_unmask_table_32),
        cmocka_unit_test(test_masked_send_then_unmask),
        cmocka_unit_test(test_compat_layout_places),
        cmocka_unit_test(test_port_4095),
        cmocka_unit_test(test_close_clears_pending),
        cmocka_unit_test(test_bind_interdomain_pending),
        cmocka_unit_test(test_virq_delivery),
        cmocka_unit_test(test_pollers_woken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
