/*
 * test_mask.c: test=mask -- a masked port stays pending and silent, and
 * unmasking delivers it exactly once.
 *
 * An IPI port on vCPU 0 (to itself) is masked and sent: the handler must
 * not run and the port must be pending.  After unmasking, the handler
 * must run exactly once.
 */
#include "evtchn.h"
#include "pvclock.h"
#include "tests.h"
#include "timer.h"

/* How long to give a wrongly delivered event to show up. */
#define MASK_SETTLE_NS  (50 * NS_PER_MS)
#define MASK_TIMEOUT_NS (10 * NS_PER_S)

struct mask_test {
    uint64_t handled; /* [atomic] */
    uint64_t want;
};

static void mask_handler(struct cpu *c, evtchn_port_t port, void *arg)
{
    struct mask_test *t = arg;

    (void)c;
    (void)port;
    __atomic_fetch_add(&t->handled, 1, __ATOMIC_RELAXED);
}

static bool handled_enough(struct cpu *c, void *arg)
{
    struct mask_test *t = arg;

    (void)c;
    return __atomic_load_n(&t->handled, __ATOMIC_RELAXED) >= t->want;
}

static uint64_t handled(struct mask_test *t)
{
    return __atomic_load_n(&t->handled, __ATOMIC_RELAXED);
}

static enum test_result mask_run(struct kernel *k, struct mask_test *t,
                                 evtchn_port_t port)
{
    struct cpu *c = this_cpu();
    int rc;

    ec_mask(k, port);
    rc = ec_send(port);
    if (rc < 0) {
        test_report("mask", TEST_FAIL, "send: %d", rc);
        return TEST_FAIL;
    }
    t->want = 1;
    wait_until(c, handled_enough, t, MASK_SETTLE_NS);
    if (handled(t)) {
        test_report("mask", TEST_FAIL, "handler ran while masked handled=%lu",
                    (unsigned long)handled(t));
        return TEST_FAIL;
    }
    if (!ec_is_pending(k, port)) {
        test_report("mask", TEST_FAIL, "not pending while masked");
        return TEST_FAIL;
    }
    ec_unmask(k, port);
    if (!wait_until(c, handled_enough, t, MASK_TIMEOUT_NS)) {
        test_report("mask", TEST_FAIL, "no event after unmask handled=0");
        return TEST_FAIL;
    }
    t->want = 2; /* a duplicate would show up now */
    wait_until(c, handled_enough, t, MASK_SETTLE_NS);
    if (handled(t) != 1) {
        test_report("mask", TEST_FAIL, "handler ran %lu times handled=%lu",
                    (unsigned long)handled(t), (unsigned long)handled(t));
        return TEST_FAIL;
    }
    test_report("mask", TEST_PASS, "handled=1");
    return TEST_PASS;
}

enum test_result test_mask(struct kernel *k)
{
    struct mask_test *t = test_alloc(k, sizeof(*t));
    evtchn_port_t port;
    enum test_result r;
    int rc;

    if (!t) {
        test_report("mask", TEST_FAIL, "no memory");
        return TEST_FAIL;
    }
    rc = ec_bind_ipi(this_cpu(), mask_handler, t, &port);
    if (rc < 0) {
        test_report("mask", TEST_FAIL, "bind_ipi: %d", rc);
        test_free(k, t);
        return TEST_FAIL;
    }
    ec_unmask(k, port);
    r = mask_run(k, t, port);
    ec_close(k, port);
    test_free(k, t);
    return r;
}
