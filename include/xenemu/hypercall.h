/*
 * hypercall.h: one hypercall invocation and the hypercall entry point.
 *
 * A backend (or the dom0 device server) describes the call in a struct
 * hv_call: who calls, in which mode (64-bit or 32-bit compat), and how its
 * pointer arguments are to be read.  hypercall_dispatch() decodes the
 * arguments for that mode, runs the operation and returns exactly what Xen
 * would put in RAX.
 */
#ifndef XENEMU_HYPERCALL_H
#define XENEMU_HYPERCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenemu/domain.h"
#include "xenemu/guest_mem.h"

struct hv_call;

/* How a call's pointer arguments reach memory. */
struct hv_memspace_ops {
    /* 0 or -EFAULT; must not copy a partial result on failure of a read. */
    int (*read)(struct hv_call *call, void *dst, uint64_t addr, size_t len);
    int (*write)(struct hv_call *call, uint64_t addr, const void *src,
                 size_t len);
};

/* Pointer arguments are guest-physical addresses (paging off). */
extern const struct hv_memspace_ops hv_memspace_phys;
/* Pointer arguments are guest-virtual, translated through call->cr3. */
extern const struct hv_memspace_ops hv_memspace_paged;

/* Where a failed copy happened, relative to the call's side effects. */
enum hv_fault {
    HV_FAULT_NONE,
    HV_FAULT_EARLY, /* before any side effect: the call may be restarted */
    HV_FAULT_LATE,  /* after side effects: restarting would repeat them */
};

struct hv_call {
    struct vcpu *v; /* the calling vCPU; v->domain is the caller */
    bool compat;    /* 32-bit mode: compat registers and layouts */
    const struct hv_memspace_ops *mem;
    uint64_t cr3; /* page-table root for hv_memspace_paged */
    /*
     * The caller's interrupt flag (RFLAGS.IF) at the hypercall; true from
     * hv_call_init().  An HVM vCPU's pending upcall "needs delivery" only
     * when it can be taken, so SCHEDOP_block and SCHEDOP_poll return at
     * once for it only with interrupts enabled (Xen's
     * hvm_local_events_need_delivery()).
     */
    bool irqs_on;
    /* The call came from CPL > 0 (guest user mode): Xen's hvm_hypercall()
     * answers every such call -EPERM.  false from hv_call_init(). */
    bool user_mode;
    bool in_multicall; /* inside __HYPERVISOR_multicall (no nesting) */
    void *mem_ctx;     /* for other memspaces (dom0 clients) */

    /* Filled in by the call. */
    bool side_effects; /* the call has changed hypervisor or guest state */
    enum hv_fault fault;
    unsigned int continuations; /* times the call was preempted */
};

/* Set up (call) for a guest vCPU: physical addressing when (cr3) is 0 and
 * paging is off, else translation through (cr3). */
void hv_call_init(struct hv_call *call, struct vcpu *v, bool compat,
                  bool paging, uint64_t cr3);

/*
 * Run hypercall (nr) with its five argument registers (args) (RDI RSI RDX
 * R10 R8, or EBX ECX EDX ESI EDI zero-extended in compat mode).  (nr) is
 * the whole RAX in 64-bit mode (high bits make it unknown, as in Xen), EAX
 * in compat mode.  Returns the value for RAX (EAX in compat mode: the
 * caller truncates): >= 0 on success, a negative Xen errno on failure,
 * -EPERM from user mode, -ENOSYS for anything not implemented.
 * Continuations (a preempted EVTCHNOP_reset) are run to completion here.
 */
long hypercall_dispatch(struct hv_call *call, uint64_t nr,
                        const uint64_t args[5]);

/*
 * Argument copies for hypercall handlers: 0 or -EFAULT.  A failure records
 * in call->fault whether side effects had already happened (see
 * hv_call_side_effects()).
 */
int copy_from_guest(struct hv_call *call, void *dst, uint64_t addr, size_t len);
int copy_to_guest(struct hv_call *call, uint64_t addr, const void *src,
                  size_t len);

/* Mark that (call) has changed state: later copy faults are "late". */
static inline void hv_call_side_effects(struct hv_call *call)
{
    call->side_effects = true;
}

#endif /* XENEMU_HYPERCALL_H */
