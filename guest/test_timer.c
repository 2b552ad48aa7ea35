/*
 * test_timer.c: test=timer count=N -- N one-shot timers of 1 ms.
 *
 * Each round arms set_timer_op(now + 1 ms) and waits for VIRQ_TIMER.
 * PASS if all N events arrive and none arrives before its deadline by
 * the guest's own pvclock.  There is no upper bound: timing on the
 * project's (nested, emulating) KVM is too noisy; the lateness is only
 * reported.
 */
#include "pvclock.h"
#include "tests.h"
#include "timer.h"

#define TIMER_DEFAULT_COUNT 5u
/* Each timer takes at least 1 ms: 100 s at most. */
#define TIMER_MAX_COUNT  100000u
#define TIMER_PERIOD_NS  NS_PER_MS
#define TIMER_TIMEOUT_NS (10 * NS_PER_S)

struct timer_wait {
    uint64_t fires_before;
    uint64_t fired_ns; /* copied from the per-vCPU timer under cond */
};

/* Runs with interrupts disabled: the timer state is the upcall's too. */
static bool user_fired(struct cpu *c, void *arg)
{
    struct timer_wait *w = arg;

    if (c->timer.user_fires == w->fires_before)
        return false;
    w->fired_ns = c->timer.user_fired_ns;
    return true;
}

enum test_result test_timer(struct kernel *k)
{
    struct cpu *c = this_cpu();
    uint64_t early = 0, max_late = 0, got = 0, count;

    if (!test_count(k, "timer", TIMER_DEFAULT_COUNT, TIMER_MAX_COUNT, &count))
        return TEST_FAIL;
    for (uint64_t i = 0; i < count; i++) {
        struct timer_wait w;
        uint64_t deadline;

        arch_irq_disable();
        w.fires_before = c->timer.user_fires;
        arch_irq_enable();
        deadline = pvclock_now(c) + TIMER_PERIOD_NS;
        cpu_timer_start(c, deadline);
        if (!wait_until(c, user_fired, &w, TIMER_TIMEOUT_NS)) {
            test_report(
                "timer", TEST_FAIL, "timer event %lu lost count=%lu events=%lu",
                (unsigned long)i, (unsigned long)count, (unsigned long)got);
            return TEST_FAIL;
        }
        got++;
        if (w.fired_ns < deadline)
            early++;
        else if (w.fired_ns - deadline > max_late)
            max_late = w.fired_ns - deadline;
    }
    if (early) {
        test_report("timer", TEST_FAIL,
                    "fired before deadline count=%lu events=%lu early=%lu",
                    (unsigned long)count, (unsigned long)got,
                    (unsigned long)early);
        return TEST_FAIL;
    }
    test_report("timer", TEST_PASS,
                "count=%lu events=%lu early=0 max_late_us=%lu",
                (unsigned long)count, (unsigned long)got,
                (unsigned long)(max_late / 1000));
    return TEST_PASS;
}
