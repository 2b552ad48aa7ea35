/*
 * test_ports.c: test=ports count=N -- many ports at once: N IPI ports on
 * vCPU 0, all raised while interrupts are off, must each be delivered
 * exactly once when interrupts come back on.
 *
 * Under FIFO the event array grows with EVTCHNOP_expand_array as the
 * port numbers pass each page (1024 ports), so N above 1024 exercises the
 * growth; under 2-level N up to about 4000 fills most of the 64-bit
 * bitmap.  The domain needs max_event_channels above N plus the kernel's
 * own ports (tests/guest/ports.cfg).
 */
#include "evtchn.h"
#include "pvclock.h"
#include "tests.h"
#include "timer.h"

#define PORTS_DEFAULT    1500u
#define PORTS_MAX        4000u
#define PORTS_TIMEOUT_NS (30 * NS_PER_S)

/* At most one page of state (test_alloc): a bit per port bound and per
 * port seen. */
struct ports_test {
    uint64_t bound[KERNEL_MAX_PORTS / 64]; /* [own] */
    uint64_t seen[KERNEL_MAX_PORTS / 64];  /* [atomic] */
    uint64_t delivered;                    /* [atomic] */
    uint64_t duplicates;                   /* [atomic] */
    uint64_t want;
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

static bool all_delivered(struct cpu *c, void *arg)
{
    struct ports_test *t = arg;

    (void)c;
    return __atomic_load_n(&t->delivered, __ATOMIC_RELAXED) >= t->want;
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
    evtchn_port_t highest = 0;

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
                    (unsigned long)t->delivered);
        return TEST_FAIL;
    }
    if (t->duplicates || t->delivered != n) {
        test_report("ports", TEST_FAIL,
                    "duplicate events ports=%u delivered=%lu", n,
                    (unsigned long)t->delivered);
        return TEST_FAIL;
    }
    test_report("ports", TEST_PASS, "ports=%u delivered=%u highest=%u abi=%s",
                n, n, highest, ec_is_fifo(k) ? "fifo" : "2l");
    return TEST_PASS;
}

enum test_result test_ports(struct kernel *k)
{
    uint64_t count = test_arg(k, "count", PORTS_DEFAULT);
    unsigned int n = count <= PORTS_MAX ? (unsigned int)count : 0;
    struct ports_test *t = test_alloc(k, sizeof(*t));
    enum test_result r = TEST_FAIL;

    if (!t) {
        test_report("ports", TEST_FAIL, "no memory");
        return TEST_FAIL;
    }
    if (n == 0) {
        test_report("ports", TEST_FAIL, "count=%lu is not 1 to %u",
                    (unsigned long)count, PORTS_MAX);
    } else if (bind_all(t, n) == 0) {
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
