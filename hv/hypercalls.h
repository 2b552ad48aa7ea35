/*
 * hypercalls.h: the handlers in the hypercall table (hypercall.c), one per
 * hypercall, each in the file named after it.  A handler receives the
 * call's argument registers, decodes them for call->compat, and returns
 * what goes to RAX.  A handler that is preempted rewrites (args) for its
 * continuation and returns -HV_ERESTART.
 */
#ifndef XENEMU_HYPERCALLS_H
#define XENEMU_HYPERCALLS_H

#include "xenemu/hypercall.h"

typedef long (*hypercall_fn_t)(struct hv_call *call, uint64_t args[5]);

long do_memory_op(struct hv_call *call, uint64_t args[5]);
long do_set_timer_op(struct hv_call *call, uint64_t args[5]);
long do_xen_version(struct hv_call *call, uint64_t args[5]);
long do_console_io(struct hv_call *call, uint64_t args[5]);
long do_vcpu_op(struct hv_call *call, uint64_t args[5]);
long do_sched_op(struct hv_call *call, uint64_t args[5]);
long do_event_channel_op(struct hv_call *call, uint64_t args[5]);
long do_hvm_op(struct hv_call *call, uint64_t args[5]);
long do_grant_table_op(struct hv_call *call, uint64_t args[5]);
long do_multicall(struct hv_call *call, uint64_t args[5]);
long do_vm_assist(struct hv_call *call, uint64_t args[5]);
/* control_op.c: what a domU may not use. */
long do_platform_op(struct hv_call *call, uint64_t args[5]);
long do_mmuext_op(struct hv_call *call, uint64_t args[5]);
long do_sysctl(struct hv_call *call, uint64_t args[5]);
long do_domctl(struct hv_call *call, uint64_t args[5]);
long do_xenpmu_op(struct hv_call *call, uint64_t args[5]);
long do_dm_op(struct hv_call *call, uint64_t args[5]);
long do_hypfs_op(struct hv_call *call, uint64_t args[5]);
long do_paging_domctl_cont(struct hv_call *call, uint64_t args[5]);

#endif /* XENEMU_HYPERCALLS_H */
