/*
 * smp.h: secondary vCPUs: bring-up, idling, and running work on them.
 */
#ifndef XENEMU_GUEST_SMP_H
#define XENEMU_GUEST_SMP_H

#include "kernel.h"

/* Per-vCPU set-up every vCPU does on itself before enabling interrupts:
 * upcall vector and event-channel state (APs; vCPU 0 has them from
 * kernel_main), VIRQ_TIMER, the kick IPI.  Panics on failure. */
void cpu_init_self(struct cpu *c);

/* Start vCPUs 1.. of (k) one at a time, each waiting until it is online.
 * Panics if one does not come up. */
void smp_boot_aps(struct kernel *k);

/* Run fn(target, arg) on vCPU (target) (not the caller's) and wait for it
 * to finish, up to (timeout_ns).  False on timeout. */
bool smp_call(struct cpu *self, struct cpu *target, smp_fn_t fn, void *arg,
              uint64_t timeout_ns);

/* Wake vCPU (c) if it is idle. */
void smp_kick(struct cpu *c);

#endif /* XENEMU_GUEST_SMP_H */
