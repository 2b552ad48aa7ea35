/*
 * vcpu_op.h: the pieces of __HYPERVISOR_vcpu_op that live in their own
 * files (hv/vcpu_op.c dispatches).  Each takes the target vCPU, already
 * checked, and the guest address of the command's argument.
 */
#ifndef XENEMU_HV_VCPU_OP_H
#define XENEMU_HV_VCPU_OP_H

#include "hypercalls.h"

/* vcpu_info.c */
long vcpuop_register_vcpu_info(struct hv_call *call, struct vcpu *v,
                               uint64_t arg);

#endif /* XENEMU_HV_VCPU_OP_H */
