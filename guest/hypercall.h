/*
 * hypercall.h: typed wrappers around arch_hypercall(), one per hypercall
 * the kernel makes.  Pointer arguments are converted to guest-physical
 * addresses here, so callers pass ordinary kernel pointers -- which must
 * point into guest RAM (the stack or the page allocator), never at a
 * const table or string literal (those have no guest-physical address in
 * the sim build).
 */
#ifndef XENEMU_GUEST_HYPERCALL_H
#define XENEMU_GUEST_HYPERCALL_H

#include "platform.h"

static inline uint64_t hc_ptr(const void *p)
{
    return p ? arch_virt_to_phys(p) : 0;
}

static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{
    return arch_hypercall(__HYPERVISOR_event_channel_op, (uint64_t)cmd,
                          hc_ptr(arg), 0, 0, 0);
}

static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{
    return arch_hypercall(__HYPERVISOR_sched_op, (uint64_t)cmd, hc_ptr(arg), 0,
                          0, 0);
}

static inline long HYPERVISOR_set_timer_op(uint64_t deadline_ns)
{
    return arch_hypercall(__HYPERVISOR_set_timer_op, deadline_ns, 0, 0, 0, 0);
}

static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
    return arch_hypercall(__HYPERVISOR_memory_op, cmd, hc_ptr(arg), 0, 0, 0);
}

static inline long HYPERVISOR_hvm_op(unsigned int cmd, void *arg)
{
    return arch_hypercall(__HYPERVISOR_hvm_op, cmd, hc_ptr(arg), 0, 0, 0);
}

static inline long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
    return arch_hypercall(__HYPERVISOR_vcpu_op, (uint64_t)cmd, vcpu,
                          hc_ptr(arg), 0, 0);
}

static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{
    return arch_hypercall(__HYPERVISOR_xen_version, (uint64_t)cmd, hc_ptr(arg),
                          0, 0, 0);
}

static inline long HYPERVISOR_console_io(int cmd, unsigned int count,
                                         const char *buf)
{
    return arch_hypercall(__HYPERVISOR_console_io, (uint64_t)cmd, count,
                          hc_ptr(buf), 0, 0);
}

#endif /* XENEMU_GUEST_HYPERCALL_H */
