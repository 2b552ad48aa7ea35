/*
 * sched.h: vCPU timers and domain shutdown (hv/sched.c), shared by the
 * hypercalls that use them (set_timer_op, VCPUOP_*_singleshot_timer,
 * SCHEDOP_*shutdown*, VCPUOP_down) and by backends.
 *
 * Deadlines are Xen system time: nanoseconds of hv_now_ns().
 */
#ifndef XENEMU_SCHED_H
#define XENEMU_SCHED_H

#include <stdint.h>

#include "xenemu/domain.h"

/* domain.shutdown_code once a reason is recorded: the flag | (u8)reason. */
#define DOMAIN_SHUTDOWN_CODE_SET 0x100u

/* The earlier of two deadlines, where 0 means "none". */
static inline uint64_t deadline_min(uint64_t a, uint64_t b)
{
    return !a || (b && b < a) ? b : a;
}

/*
 * Arm (v)'s one-shot timer for (deadline_ns), or stop it when 0 (the
 * backend's timer_changed() gets the earlier of it and the periodic).  A
 * deadline that has already passed, or is 2^63 or more (negative as Xen's
 * signed s_time_t), fires at once (VIRQ_TIMER) instead of being armed.  The
 * backend hears of every change through timer_changed() (0 when nothing is
 * armed any more).
 */
void vcpu_timer_set(struct vcpu *v, uint64_t deadline_ns);

/* Run (v)'s periodic timer every (period_ns) (0 stops it), as Xen's
 * vcpu_set_periodic_timer(): VIRQ_TIMER at once if a period has passed
 * since the last event (system time 0 at first), then one per period. */
void vcpu_periodic_set(struct vcpu *v, uint64_t period_ns);

/* The earlier deadline of (v)'s one-shot and periodic timers (what the
 * backend's timer_changed() was last given), 0 if neither is armed. */
uint64_t vcpu_timer_next(struct vcpu *v);

/*
 * For backends: the deadline last given to timer_changed() for (v) has
 * passed (measured with hv_now_ns()).  Raises VIRQ_TIMER on (v) for the
 * timer(s) due, disarms the one-shot, moves the periodic on, and gives the
 * backend the next deadline.  A stale expiry (the timer was stopped, or
 * moved later, after the backend armed it) does nothing, so a backend need
 * not cancel its timer exactly.
 */
void vcpu_timer_fire(struct vcpu *v);

/*
 * Shut (d) down for (reason) (SHUTDOWN_*, truncated to 8 bits as Xen
 * does): the first reason recorded (here or by SCHEDOP_shutdown_code) is
 * kept; the first shutdown sets is_shutdown and calls the backend's
 * shutdown(); later ones do nothing.
 */
void sched_domain_shutdown(struct domain *d, unsigned int reason);

/* Record (reason) as (d)'s shutdown code unless one is recorded already
 * (SCHEDOP_shutdown_code). */
void sched_record_shutdown_code(struct domain *d, unsigned int reason);

/*
 * SCHEDOP_watchdog (Xen's domain_watchdog()).  For backends: the deadline
 * last given to watchdog_changed() for (d) has passed (hv_now_ns()).  Shuts
 * the domain down with SHUTDOWN_watchdog if a slot is due and the domain is
 * neither shut down nor dying, and gives the backend the next deadline.  A
 * stale expiry does nothing.  Call without core locks held.
 */
void sched_watchdog_fire(struct domain *d);

/* The earliest armed SCHEDOP_watchdog deadline of (d) (what the backend's
 * watchdog_changed() was last given), 0 if none. */
uint64_t sched_watchdog_next(struct domain *d);

#endif /* XENEMU_SCHED_H */
