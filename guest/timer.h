/*
 * timer.h: the per-vCPU one-shot timer (VIRQ_TIMER + set_timer_op), and
 * waiting with a timeout.
 *
 * One hardware deadline per vCPU serves two users: wait_until()'s timeout
 * and one "user" deadline (cpu_timer_start(), for the timer test).  The
 * earlier of the two is what Xen gets.
 */
#ifndef XENEMU_GUEST_TIMER_H
#define XENEMU_GUEST_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"

/* Bind vCPU (c)'s VIRQ_TIMER (on c itself), unmasked. */
int cpu_timer_init_cpu(struct cpu *c);

/* Arm the user deadline (absolute Xen system time) on this vCPU. */
void cpu_timer_start(struct cpu *c, uint64_t deadline_ns);

typedef bool (*wait_cond_t)(struct cpu *c, void *arg);

/*
 * Idle on this vCPU until cond(c, arg) holds (true) or (timeout_ns) of
 * system time pass (false).  cond runs with interrupts disabled, so it may
 * read anything the upcall handlers of this vCPU write.  Must be called
 * with interrupts enabled; returns with them enabled.
 */
bool wait_until(struct cpu *c, wait_cond_t cond, void *arg,
                uint64_t timeout_ns);
/* Wait with no timeout, for idle vCPUs waiting for work. */
void wait_forever(struct cpu *c, wait_cond_t cond, void *arg);

#endif /* XENEMU_GUEST_TIMER_H */
