/*
 * evtchn_2l.c: the 2-level event-channel ABI.
 *
 * Pending and mask bits live in shared_info, one bit per port, 64 ports
 * per word (our shared_info is the 64-bit layout: the hypercall page and
 * the callback parameter are set up in 64-bit mode).  Xen raises a port
 * by setting its pending bit, then -- if it is unmasked -- the word's bit
 * in the notified vCPU's evtchn_pending_sel, then evtchn_upcall_pending.
 */
#include "evtchn_abi.h"
#include "hypercall.h"
#include "lib.h"

#define BITS_PER_WORD (sizeof(xen_ulong_t) * 8)
#define NR_2L_PORTS   (BITS_PER_WORD * BITS_PER_WORD)

_Static_assert(NR_2L_PORTS >= KERNEL_MAX_PORTS, "2-level covers the table");

static xen_ulong_t *pending_word(struct kernel *k, evtchn_port_t port)
{
    return &k->shinfo->evtchn_pending[port / BITS_PER_WORD];
}

static xen_ulong_t *mask_word(struct kernel *k, evtchn_port_t port)
{
    return &k->shinfo->evtchn_mask[port / BITS_PER_WORD];
}

static xen_ulong_t bit_of(evtchn_port_t port)
{
    return (xen_ulong_t)1 << (port % BITS_PER_WORD);
}

void ec_2l_init(struct kernel *k)
{
    /* Start with every port masked: a port is unmasked only once its
     * handler is installed (evtchn.h).  Published to Xen by the hypercalls
     * that bind ports later. */
    for (unsigned int w = 0; w < BITS_PER_WORD; w++)
        __atomic_store_n(&k->shinfo->evtchn_mask[w], ~(xen_ulong_t)0,
                         __ATOMIC_RELAXED);
}

static int init_cpu_2l(struct cpu *c)
{
    (void)c; /* nothing per vCPU: the selector is in vcpu_info */
    return 0;
}

static void mask_2l(struct kernel *k, evtchn_port_t port)
{
    /* Seq-cst RMW: Xen tests the mask bit after setting pending. */
    __atomic_fetch_or(mask_word(k, port), bit_of(port), __ATOMIC_SEQ_CST);
}

static int setup_port_2l(struct kernel *k, evtchn_port_t port)
{
    if (port >= NR_2L_PORTS)
        return -XEN_ENOSPC;
    mask_2l(k, port);
    return 0;
}

static bool is_pending_2l(struct kernel *k, evtchn_port_t port)
{
    return __atomic_load_n(pending_word(k, port), __ATOMIC_SEQ_CST) &
           bit_of(port);
}

static bool is_masked_2l(struct kernel *k, evtchn_port_t port)
{
    return __atomic_load_n(mask_word(k, port), __ATOMIC_SEQ_CST) & bit_of(port);
}

static void hyp_unmask(evtchn_port_t port)
{
    struct evtchn_unmask op = {.port = port};

    HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
}

/*
 * Xen raises a port on EVTCHNOP_unmask only if it finds the mask bit set
 * and the port pending.  So: pending -> leave the mask set and let Xen
 * unmask and raise it; not pending -> clear the mask ourselves, and if a
 * send slipped in between the check and the clear (it saw the mask set and
 * only set the pending bit), mask again and let Xen raise it.
 */
static void unmask_2l(struct kernel *k, evtchn_port_t port)
{
    if (is_pending_2l(k, port)) {
        hyp_unmask(port);
        return;
    }
    __atomic_fetch_and(mask_word(k, port), ~bit_of(port), __ATOMIC_SEQ_CST);
    if (is_pending_2l(k, port)) {
        mask_2l(k, port);
        hyp_unmask(port);
    }
}

static void clear_pending_2l(struct kernel *k, evtchn_port_t port)
{
    __atomic_fetch_and(pending_word(k, port), ~bit_of(port), __ATOMIC_SEQ_CST);
}

/* Dispatch the unmasked pending ports of word (w) bound to vCPU (c). */
static void scan_word(struct cpu *c, unsigned int w)
{
    struct kernel *k = c->kernel;
    xen_ulong_t *pend = &k->shinfo->evtchn_pending[w];
    xen_ulong_t bits =
        __atomic_load_n(pend, __ATOMIC_SEQ_CST) &
        ~__atomic_load_n(&k->shinfo->evtchn_mask[w], __ATOMIC_SEQ_CST);

    while (bits) {
        unsigned int b = lowest_bit(bits);
        evtchn_port_t port = w * BITS_PER_WORD + b;
        xen_ulong_t bit = (xen_ulong_t)1 << b;

        bits &= bits - 1;
        /* The word is shared by all vCPUs' ports; others' are theirs to
         * handle (their selector has this word's bit too). */
        if (ec_port_vcpu(k, port) != c->id)
            continue;
        /* Clear before handling, so a send during the handler raises the
         * port again; only the vCPU that clears the bit handles it. */
        if (__atomic_fetch_and(pend, ~bit, __ATOMIC_SEQ_CST) & bit)
            ec_dispatch(c, port);
    }
}

static void handle_events_2l(struct cpu *c)
{
    xen_ulong_t *selp = &c->vcpu_info->evtchn_pending_sel;
    xen_ulong_t sel;

    /* Take the whole selector: Xen sets a word's bit only when it finds
     * it clear, so every word it names after this exchange comes with a
     * new upcall (the loop also picks it up). */
    while ((sel = __atomic_exchange_n(selp, 0, __ATOMIC_SEQ_CST)) != 0) {
        while (sel) {
            scan_word(c, lowest_bit(sel));
            sel &= sel - 1;
        }
    }
}

const struct ec_ops ec_ops_2l = {
    .name = "2-level",
    .init_cpu = init_cpu_2l,
    .setup_port = setup_port_2l,
    .mask = mask_2l,
    .unmask = unmask_2l,
    .is_pending = is_pending_2l,
    .is_masked = is_masked_2l,
    .clear_pending = clear_pending_2l,
    .handle_events = handle_events_2l,
};
