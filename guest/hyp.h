/*
 * hyp.h: finding Xen and the hypervisor interfaces set up once at boot:
 * shared_info, each vCPU's vcpu_info, the callback vector, shutdown.
 */
#ifndef XENEMU_GUEST_HYP_H
#define XENEMU_GUEST_HYP_H

#include <stdint.h>

#include "kernel.h"

/* The Xen CPUID base, or 0 when not running on Xen. */
uint32_t hyp_cpuid_base(void);
/* Xen's version (major << 16 | minor) and our domid (DOMID_SELF when the
 * HVM leaf does not give it), from the CPUID leaves at (base). */
uint32_t hyp_cpuid_version(uint32_t base);
uint32_t hyp_cpuid_domid(uint32_t base);

/* Map shared_info at XENEMU_GUEST_HOLE_GFN; NULL on failure (rc set). */
struct shared_info *hyp_map_shared_info(long *rc);
/* Number of vCPUs: VCPUOP_is_up answers until -ENOENT. */
unsigned int hyp_count_vcpus(void);
/* Move vCPU (c)'s vcpu_info to (info) in RAM. */
long hyp_register_vcpu_info(struct cpu *c, struct vcpu_info *info);
/* XENVER_get_features submap 0, or a negative errno. */
long hyp_features(uint32_t *map);
/* Deliver upcalls through (vector) (HVM_PARAM_CALLBACK_IRQ). */
long hyp_set_callback_vector(uint8_t vector);

/* SCHEDOP_shutdown with (reason); stops the vCPU should Xen return. */
_Noreturn void hyp_shutdown(unsigned int reason);
/* SCHEDOP_yield (blocking is arch_safe_block()). */
void hyp_yield(void);

#endif /* XENEMU_GUEST_HYP_H */
