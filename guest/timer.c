/*
 * timer.c: VIRQ_TIMER and the idle loop.
 *
 * Idling follows the classic pattern: disable interrupts, test the
 * condition, and only then block.  Xen's SCHEDOP_block returns at once if
 * an upcall is pending, so an event that arrives after the test is not
 * slept through; re-enabling interrupts then delivers it.
 *
 * All timer state is per vCPU and is touched only by that vCPU with
 * interrupts disabled (the handler runs in the upcall, which is the only
 * other party).
 */
#include "evtchn.h"
#include "hypercall.h"
#include "pvclock.h"
#include "timer.h"
#include "hyp.h"

/* Give Xen the earlier of the two deadlines, if it changed.  Interrupts
 * are disabled. */
static void timer_program(struct cpu *c)
{
    struct cpu_timer *t = &c->timer;
    uint64_t d = t->wait_deadline;

    if (t->user_deadline && (!d || t->user_deadline < d))
        d = t->user_deadline;
    if (!d || d == t->programmed)
        return;
    t->programmed = d;
    HYPERVISOR_set_timer_op(d);
}

static void timer_virq(struct cpu *c, evtchn_port_t port, void *arg)
{
    struct cpu_timer *t = &c->timer;

    (void)port;
    (void)arg;
    t->fires++;
    /* Xen's timer is one-shot: whichever deadline was programmed is gone.
     * It was the user's if the user's was the one given to Xen. */
    if (t->user_deadline && t->programmed == t->user_deadline) {
        t->user_fired_ns = pvclock_now(c);
        t->user_fires++;
        t->user_deadline = 0;
    }
    t->programmed = 0;
}

int cpu_timer_init_cpu(struct cpu *c)
{
    int rc = ec_bind_virq(c, VIRQ_TIMER, timer_virq, NULL, &c->timer.port);

    if (rc == 0)
        ec_unmask(c->kernel, c->timer.port);
    return rc;
}

void cpu_timer_start(struct cpu *c, uint64_t deadline_ns)
{
    struct cpu_timer *t = &c->timer;

    arch_irq_disable();
    t->user_deadline = deadline_ns;
    timer_program(c);
    /*
     * Xen's one-shot timer now holds the new deadline (set_timer_op
     * replaced the old one), so a timer event still pending before it is
     * due was raised for an older deadline (a wait's timeout that fired
     * while interrupts were off): drop it here, or timer_virq() would take
     * it for this deadline firing early.
     */
    if (t->programmed == t->user_deadline &&
        ec_is_pending(c->kernel, t->port) &&
        pvclock_now(c) < t->user_deadline) {
        ec_clear_pending(c->kernel, t->port);
        t->fires++;
    }
    arch_irq_enable();
}

/* Timer events in a row after which a clock that does not move counts
 * as a timeout: without a working pvclock a wait must still end. */
#define WAIT_MAX_STALLS 1000u

bool wait_until(struct cpu *c, wait_cond_t cond, void *arg, uint64_t timeout_ns)
{
    struct cpu_timer *t = &c->timer;
    uint64_t deadline = pvclock_now(c) + timeout_ns;
    uint64_t seen_fires = t->fires, seen_now = 0;
    unsigned int stalls = 0;
    bool met;

    for (;;) {
        uint64_t now;

        arch_irq_disable();
        met = cond(c, arg);
        now = pvclock_now(c);
        if (met || now >= deadline)
            break;
        if (t->fires != seen_fires) {
            stalls = now == seen_now ? stalls + 1 : 0;
            if (stalls > WAIT_MAX_STALLS)
                break;
            seen_fires = t->fires;
            seen_now = now;
        }
        /* (Re-)arm: also after an early or foreign timer event, since
         * Xen's timer is one-shot. */
        t->wait_deadline = deadline;
        timer_program(c);
        arch_safe_block();
    }
    t->wait_deadline = 0;
    arch_irq_enable();
    return met;
}

void wait_forever(struct cpu *c, wait_cond_t cond, void *arg)
{
    for (;;) {
        arch_irq_disable();
        if (cond(c, arg))
            break;
        arch_safe_block();
    }
    arch_irq_enable();
}
