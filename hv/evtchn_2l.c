/*
 * evtchn_2l.c: the 2-level event-channel ABI.
 *
 * Pending and mask bitmaps live in shared_info, a per-vCPU selector word in
 * vcpu_info says which bitmap words may hold work.  The same code serves
 * 64-bit guests (64-bit words, 4096 ports) and 32-bit guests (32-bit words,
 * 1024 ports) through a layout descriptor; all bitmap updates are atomic
 * read-modify-writes, as the guest updates the same words concurrently.
 */
#include <stddef.h>

#include "evtchn_private.h"

struct evtchn_2l_layout {
    size_t pending; /* offset of evtchn_pending[] in shared_info */
    size_t mask;    /* offset of evtchn_mask[] in shared_info */
    size_t sel;     /* offset of evtchn_pending_sel in vcpu_info */
    unsigned int word_bits;
    uint32_t nr_ports; /* word_bits squared */
};

static const struct evtchn_2l_layout layout_64 = {
    .pending = offsetof(struct shared_info, evtchn_pending),
    .mask = offsetof(struct shared_info, evtchn_mask),
    .sel = offsetof(struct vcpu_info, evtchn_pending_sel),
    .word_bits = 64,
    .nr_ports = 64 * 64,
};

static const struct evtchn_2l_layout layout_32 = {
    .pending = offsetof(struct shared_info_x86_32, evtchn_pending),
    .mask = offsetof(struct shared_info_x86_32, evtchn_mask),
    .sel = offsetof(struct vcpu_info_x86_32, evtchn_pending_sel),
    .word_bits = 32,
    .nr_ports = 32 * 32,
};

/* Looked up once per operation, so one operation never mixes layouts. */
static const struct evtchn_2l_layout *layout(const struct domain *d)
{
    return __atomic_load_n(&d->shinfo_compat, __ATOMIC_RELAXED) ? &layout_32
                                                                : &layout_64;
}

/*
 * Bit (bit) of the bitmap of (word_bits)-bit words at (base).  The guest
 * uses locked bit instructions on the same words, so every update is a
 * sequentially consistent atomic on the word size the guest uses.
 */
static bool bit_op(void *base, unsigned int bit, unsigned int word_bits,
                   int op /* 1 set, -1 clear, 0 test; returns old value */)
{
    if (word_bits == 64) {
        uint64_t *w = (uint64_t *)base + bit / 64, m = 1ull << (bit % 64);
        if (op > 0)
            return __atomic_fetch_or(w, m, __ATOMIC_SEQ_CST) & m;
        if (op < 0)
            return __atomic_fetch_and(w, ~m, __ATOMIC_SEQ_CST) & m;
        return __atomic_load_n(w, __ATOMIC_SEQ_CST) & m;
    }
    uint32_t *w = (uint32_t *)base + bit / 32, m = 1u << (bit % 32);
    if (op > 0)
        return __atomic_fetch_or(w, m, __ATOMIC_SEQ_CST) & m;
    if (op < 0)
        return __atomic_fetch_and(w, ~m, __ATOMIC_SEQ_CST) & m;
    return __atomic_load_n(w, __ATOMIC_SEQ_CST) & m;
}

static bool shinfo_bit(const struct domain *d, const struct evtchn_2l_layout *l,
                       size_t off, evtchn_port_t port, int op)
{
    return bit_op((uint8_t *)d->shared_info + off, port, l->word_bits, op);
}

/* Set the selector bit for (port) on (v); true if it was already set. */
static bool selector_test_and_set(struct vcpu *v,
                                  const struct evtchn_2l_layout *l,
                                  evtchn_port_t port)
{
    return bit_op((uint8_t *)vcpu_info_of(v) + l->sel, port / l->word_bits,
                  l->word_bits, 1);
}

static uint32_t evtchn_2l_max_ports(const struct domain *d)
{
    return layout(d)->nr_ports;
}

static void evtchn_2l_set_pending(struct vcpu *v, struct evtchn *chn)
{
    struct domain *d = v->domain;
    const struct evtchn_2l_layout *l = layout(d);
    evtchn_port_t port = chn->port;

    /* A port beyond the bitmaps cannot be raised (XSA-342). */
    if (port >= l->nr_ports)
        return;
    /* Already pending: the guest has not consumed the earlier event. */
    if (shinfo_bit(d, l, l->pending, port, 1))
        return;
    if (!shinfo_bit(d, l, l->mask, port, 0) &&
        !selector_test_and_set(v, l, port))
        vcpu_mark_events_pending(v);
    evtchn_check_pollers(d, port);
}

static void evtchn_2l_clear_pending(struct domain *d, struct evtchn *chn)
{
    const struct evtchn_2l_layout *l = layout(d);

    if (chn->port < l->nr_ports)
        shinfo_bit(d, l, l->pending, chn->port, -1);
}

/*
 * Only a mask bit that was set and hides a pending event raises anything,
 * and only if the selector bit was clear; a guest that clears the mask bit
 * itself must set it again before EVTCHNOP_unmask to get the upcall.
 */
static void evtchn_2l_unmask(struct domain *d, struct evtchn *chn)
{
    const struct evtchn_2l_layout *l = layout(d);
    struct vcpu *v =
        domain_vcpu(d, __atomic_load_n(&chn->notify_vcpu, __ATOMIC_RELAXED));
    evtchn_port_t port = chn->port;

    if (port >= l->nr_ports || !v)
        return;
    if (shinfo_bit(d, l, l->mask, port, -1) &&
        shinfo_bit(d, l, l->pending, port, 0) &&
        !selector_test_and_set(v, l, port))
        vcpu_mark_events_pending(v);
}

bool evtchn_2l_port_pending(const struct domain *d, evtchn_port_t port)
{
    const struct evtchn_2l_layout *l = layout(d);

    return port < l->nr_ports && shinfo_bit(d, l, l->pending, port, 0);
}

static bool evtchn_2l_is_pending(const struct domain *d,
                                 const struct evtchn *chn)
{
    return evtchn_2l_port_pending(d, chn->port);
}

static bool evtchn_2l_is_masked(const struct domain *d,
                                const struct evtchn *chn)
{
    const struct evtchn_2l_layout *l = layout(d);

    return chn->port >= l->nr_ports || shinfo_bit(d, l, l->mask, chn->port, 0);
}

const struct evtchn_port_ops evtchn_port_ops_2l = {
    .max_ports = evtchn_2l_max_ports,
    .set_pending = evtchn_2l_set_pending,
    .clear_pending = evtchn_2l_clear_pending,
    .unmask = evtchn_2l_unmask,
    .is_pending = evtchn_2l_is_pending,
    .is_masked = evtchn_2l_is_masked,
};
