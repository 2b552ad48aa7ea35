/*
 * pvclock.h: Xen system time (ns since the hypervisor started) from this
 * vCPU's vcpu_info->time and the TSC.
 */
#ifndef XENEMU_GUEST_PVCLOCK_H
#define XENEMU_GUEST_PVCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S  1000000000ull

/* Now, in ns of Xen system time, as vCPU (c) sees it. */
uint64_t pvclock_now(struct cpu *c);
/* Xen has filled in (c)'s time record (version non-zero). */
bool pvclock_valid(struct cpu *c);

#endif /* XENEMU_GUEST_PVCLOCK_H */
