/*
 * test_watchdog.c: test=watchdog -- SCHEDOP_watchdog ends a domain that
 * stops feeding it.
 *
 * Arms a watchdog of 1 s (Xen hands back slot id 1), feeds it three times
 * at 200 ms intervals (a re-arm with the same id), then stops.  Xen must
 * then shut the domain down with SHUTDOWN_watchdog: the host checks that
 * reason (tests/guest/run.sh).  If the guest is still running 5 s later it
 * reports FAIL.
 */
#include "hypercall.h"
#include "kprintf.h"
#include "pvclock.h"
#include "tests.h"
#include "timer.h"

#define WATCHDOG_TIMEOUT_S 1u
#define FEED_NS            (200 * NS_PER_MS)
#define FEEDS              3
#define GRACE_NS           (5 * NS_PER_S)

static bool never(struct cpu *c, void *arg)
{
    (void)c;
    (void)arg;
    return false;
}

enum test_result test_watchdog(struct kernel *k)
{
    struct sched_watchdog wd = {.id = 0, .timeout = WATCHDOG_TIMEOUT_S};
    struct cpu *c = this_cpu();
    long id = HYPERVISOR_sched_op(SCHEDOP_watchdog, &wd);

    (void)k;
    if (id <= 0) {
        test_report("watchdog", TEST_FAIL, "SCHEDOP_watchdog: %ld", id);
        return TEST_FAIL;
    }
    for (int i = 0; i < FEEDS; i++) {
        long rc;

        wait_until(c, never, NULL, FEED_NS);
        wd = (struct sched_watchdog){.id = (uint32_t)id,
                                     .timeout = WATCHDOG_TIMEOUT_S};
        rc = HYPERVISOR_sched_op(SCHEDOP_watchdog, &wd);
        if (rc) {
            test_report("watchdog", TEST_FAIL, "feeding slot %ld: %ld", id, rc);
            return TEST_FAIL;
        }
    }
    kprintf("watchdog: slot %ld fed %d times, now left to expire\n", id, FEEDS);
    wait_until(c, never, NULL, GRACE_NS);
    test_report("watchdog", TEST_FAIL, "still running %u s after the last feed",
                (unsigned int)(GRACE_NS / NS_PER_S));
    return TEST_FAIL;
}
