/*
 * test_ports.c: test=ports count=N -- many ports at once: N IPI ports on
 * vCPU 0, all raised while interrupts are off, must each be delivered
 * exactly once when interrupts come back on: after the last one and a
 * short settle (for a late duplicate), no port was delivered twice and
 * the ports delivered are exactly the ports bound.
 *
 * Under FIFO the event array grows with EVTCHNOP_expand_array as the
 * port numbers pass each page (1024 ports), so N above 1024 exercises the
 * growth; under 2-level N up to about 4000 fills most of the 64-bit
 * bitmap.  The domain needs max_event_channels above N plus the kernel's
 * own ports (tests/guest/ports-fifo.cfg).
 */
#include "evtchn.h"
#include "lib.h"
#include "pvclock.h"
#include "tests.h"
#include "timer.h"

#define PORTS_DEFAULT    1500u
#define PORTS_MAX        4000u
#define PORTS_TIMEOUT_NS (30 * NS_PER_S)
/* How long to give a duplicated event to show up after the last one. */
#define PORTS_SETTLE_NS (50 * NS_PER_MS)

/* At most one page of state (test_alloc): a bit per port bound and per
 * port seen. */
struct ports_test {
    uint64_t bound[KERNEL_MAX_PORTS / 64]; /* [own] */
    /* [atomic] written by the upcall, read back on the same vCPU (every
     * port is bound there): relaxed, as are the counts below. */
    uint64_t seen[KERNEL_MAX_PORTS / 64];
    uint64_t delivered;  /* [atomic] */
    uint64_t duplicates; /* [atomic] */
    uint64_t want;       /* [own] delivered count being waited for */
};

static void ports_handler(struct cpu *c, evtchn_port_t port, void *arg)
{
    struct ports_test *t = arg;
    uint64_t bit = 1ull << (port % 64);

    (void)c;
    if (__atomic_fetch_or(&t->seen[port / 64], bit, __ATOMIC_RELAXED) & bit)
        __atomic_fetch_add(&t->duplicates, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&t->delivered, 1, __ATOMIC_RELAXED);
}

static uint64_t delivered(struct ports_test *t)
{
    return __atomic_load_n(&t->delivered, __ATOMIC_RELAXED);
}

static bool all_delivered(struct cpu *c, void *arg)
{
    struct ports_test *t = arg;

    (void)c;
    return delivered(t) >= t->want;
}

/* The first port seen but not bound, or bound but not seen; 0 if the two
 * bitmaps are equal (port 0 is never bound). */
static evtchn_port_t seen_differs(struct ports_test *t)
{
    for (unsigned int i = 0; i < KERNEL_MAX_PORTS / 64; i++) {
        uint64_t diff =
            __atomic_load_n(&t->seen[i], __ATOMIC_RELAXED) ^ t->bound[i];

        if (diff)
            return i * 64 + lowest_bit(diff);
    }
    return 0;
}

static bool is_bound(const struct ports_test *t, evtchn_port_t port)
{
    return t->bound[port / 64] & (1ull << (port % 64));
}

/* Bind (n) IPI ports, recorded in t->bound: 0, or -1 after reporting. */
static int bind_all(struct ports_test *t, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        evtchn_port_t port;
        int rc = ec_bind_ipi(this_cpu(), ports_handler, t, &port);

        if (rc < 0) {
            test_report("ports", TEST_FAIL, "bind_ipi %u of %u: %d", i + 1, n,
                        rc);
            return -1;
        }
        if (port >= KERNEL_MAX_PORTS) {
            test_report("ports", TEST_FAIL, "port %u beyond the kernel's table",
                        port);
            return -1;
        }
        t->bound[port / 64] |= 1ull << (port % 64);
    }
    return 0;
}

/* Raise every bound port with interrupts off, then let the upcall take
 * them all. */
static enum test_result raise_all(struct kernel *k, struct ports_test *t,
                                  unsigned int n)
{
    evtchn_port_t highest = 0, bad;

    t->want = n;
    arch_irq_disable();
    for (evtchn_port_t port = 0; port < KERNEL_MAX_PORTS; port++) {
        int rc;

        if (!is_bound(t, port))
            continue;
        rc = ec_send(port);
        if (rc < 0) {
            arch_irq_enable();
            test_report("ports", TEST_FAIL, "send to port %u: %d", port, rc);
            return TEST_FAIL;
        }
        highest = port;
    }
    arch_irq_enable();
    if (!wait_until(this_cpu(), all_delivered, t, PORTS_TIMEOUT_NS)) {
        test_report("ports", TEST_FAIL, "lost events ports=%u delivered=%lu", n,
                    (unsigned long)delivered(t));
        return TEST_FAIL;
    }
    t->want = (uint64_t)n + 1; /* a late duplicate would show up now */
    wait_until(this_cpu(), all_delivered, t, PORTS_SETTLE_NS);
    if (__atomic_load_n(&t->duplicates, __ATOMIC_RELAXED) ||
        delivered(t) != n) {
        test_report("ports", TEST_FAIL,
                    "duplicate events ports=%u delivered=%lu", n,
                    (unsigned long)delivered(t));
        return TEST_FAIL;
    }
    if ((bad = seen_differs(t)) != 0) {
        test_report("ports", TEST_FAIL, "port %u %s ports=%u delivered=%lu",
                    bad,
                    is_bound(t, bad) ? "bound but not delivered"
                                     : "delivered but not bound",
                    n, (unsigned long)delivered(t));
        return TEST_FAIL;
    }
    test_report("ports", TEST_PASS, "ports=%u delivered=%u highest=%u abi=%s",
                n, n, highest, ec_is_fifo(k) ? "fifo" : "2l");
    return TEST_PASS;
}

enum test_result test_ports(struct kernel *k)
{
    struct ports_test *t;
    enum test_result r = TEST_FAIL;
    uint64_t count;
    unsigned int n;

    if (!test_count(k, "ports", PORTS_DEFAULT, PORTS_MAX, &count))
        return TEST_FAIL;
    n = (unsigned int)count; /* at most PORTS_MAX */
    t = test_alloc(k, sizeof(*t));
    if (!t) {
        test_report("ports", TEST_FAIL, "no memory");
        return TEST_FAIL;
    }
    if (bind_all(t, n) == 0) {
        for (evtchn_port_t port = 0; port < KERNEL_MAX_PORTS; port++)
            if (is_bound(t, port))
                ec_unmask(k, port);
        r = raise_all(k, t, n);
    }
    for (evtchn_port_t port = 0; port < KERNEL_MAX_PORTS; port++)
        if (is_bound(t, port))
            ec_close(k, port);
    test_free(k, t);
    return r;
}
