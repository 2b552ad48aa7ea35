/*
 * cpuid.h: the Xen CPUID leaves and the guest's clock, as a vCPU sees them.
 * Both backends answer CPUID from here (KVM through KVM_SET_CPUID2, sim
 * through xenemu_sim_cpuid()), so the two can never disagree.
 */
#ifndef XENEMU_CPUID_H
#define XENEMU_CPUID_H

#include <stdbool.h>
#include <stdint.h>

#include "xenemu/domain.h"
#include "xenemu/guest_abi.h"

/* The highest Xen leaf answered: base + XEN_CPUID_MAX_NUM_LEAVES (5), as
 * Xen 4.17 does when the toolstack sets no limit. */
#define XEN_CPUID_MAX_LEAF XEN_CPUID_LEAF(XEN_CPUID_MAX_NUM_LEAVES)

/*
 * Xen's leaf (leaf) (XENEMU_CPUID_BASE .. XEN_CPUID_MAX_LEAF) for vCPU (v):
 * signature, version (the domain's emulated Xen version), hypercall page
 * count and MSR, the time leaf (sub-leaves 0-2: TSC mode, rates, scale,
 * offset), HVM features (vCPU id and domid present, with their values)
 * and the PV leaf (empty for HVM), as Xen 4.17's
 * cpuid_hypervisor_leaves() gives them.  Returns false for
 * leaves outside that range, leaving (regs) alone.
 */
bool xen_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t subleaf,
               uint32_t regs[4]);

/*
 * Refresh (v)'s vcpu_info time (Xen's pvclock, struct vcpu_time_info):
 * system_time = hv_now_ns() at the moment the guest's TSC read (guest_tsc),
 * with the host's TSC frequency as tsc_to_system_mul/tsc_shift.  The
 * version field is odd while the record changes, as Xen does.  Backends
 * call it from (v)'s own thread (the guest reads the record without locks),
 * before the vCPU first runs and whenever it resumes after blocking.
 * Backends whose guest TSC is the host's pass hv_rdtsc().
 */
void vcpu_time_update(struct vcpu *v, uint64_t guest_tsc);

/* The host's TSC. */
uint64_t hv_rdtsc(void);

#endif /* XENEMU_CPUID_H */
