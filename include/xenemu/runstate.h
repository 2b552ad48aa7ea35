/*
 * runstate.h: a vCPU's runstate (Xen's struct vcpu_runstate_info) and the
 * guest-virtual areas a vCPU registers for Xen to keep up to date.
 *
 * A vCPU is RUNSTATE_offline while down, RUNSTATE_blocked inside
 * SCHEDOP_block/poll, and RUNSTATE_running otherwise (xenemu never holds a
 * runnable vCPU back, so RUNSTATE_runnable is never entered).  Each change
 * adds the time spent in the old state and, as Xen does at every context
 * switch, rewrites the guest's registered copy
 * (VCPUOP_register_runstate_memory_area), in the layout of the domain's
 * latched shared_info width.
 */
#ifndef XENEMU_RUNSTATE_H
#define XENEMU_RUNSTATE_H

#include "xenemu/hypercall.h"

/* At creation: (v) starts in (state) at system time 0. */
void runstate_init(struct vcpu *v, int state);

/* (v) enters (state) now (no-op if it is in it already). */
void runstate_change(struct vcpu *v, int state);

/* (v)'s record as VCPUOP_get_runstate_info reports it: time[state]
 * includes the current state up to now. */
void runstate_snapshot(struct vcpu *v, struct vcpu_runstate_info *out);

/* The vcpu_op commands (hv/runstate.c), arguments at guest (arg). */
long vcpuop_get_runstate_info(struct hv_call *call, struct vcpu *v,
                              uint64_t arg);
long vcpuop_register_runstate_area(struct hv_call *call, struct vcpu *v,
                                   uint64_t arg);
long vcpuop_register_time_area(struct hv_call *call, struct vcpu *v,
                               uint64_t arg);

/* Copy (v)'s vcpu_time_info (just refreshed by vcpu_time_update()) into
 * its registered second time record, if it has one. */
void runstate_time_area_update(struct vcpu *v);

#endif /* XENEMU_RUNSTATE_H */
