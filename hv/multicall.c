/*
 * multicall.c: __HYPERVISOR_multicall (call_list, nr_calls), as Xen 4.17's
 * do_multicall() (xen/common/multicall.c) with the HVM dispatch
 * (xen/arch/x86/hvm/hypercall.c:hvm_do_multicall_call()).
 *
 * Each entry (struct multicall_entry, or its 32-bit layout in compat mode)
 * is read, run through the same hypercall table with the caller's mode,
 * and its result written back into the entry; an entry that cannot be read
 * or written back ends the call with -EFAULT.  A multicall inside a
 * multicall is refused (-EINVAL in that entry's result).  Xen may preempt a
 * long list and continue it; here every entry runs in one call.
 */
#include <string.h>

#include "hypercalls.h"
#include "xenemu/compat.h"

/* One entry, in either layout, widened. */
struct mc_entry {
    uint64_t op;
    uint64_t args[5];
};

static int read_entry(struct hv_call *call, uint64_t addr, struct mc_entry *e)
{
    if (call->compat) {
        struct compat_multicall_entry c;

        if (copy_from_guest(call, &c, addr, sizeof(c)))
            return -XEN_EFAULT;
        e->op = c.op;
        for (int i = 0; i < 5; i++)
            e->args[i] = c.args[i];
        return 0;
    }
    struct multicall_entry n;

    if (copy_from_guest(call, &n, addr, sizeof(n)))
        return -XEN_EFAULT;
    e->op = n.op;
    memcpy(e->args, n.args, sizeof(e->args));
    return 0;
}

/* Write (result) into the entry at (addr): only the result field. */
static int write_result(struct hv_call *call, uint64_t addr, long result)
{
    if (call->compat) {
        uint32_t r = (uint32_t)result;

        return copy_to_guest(
            call, addr + offsetof(struct compat_multicall_entry, result), &r,
            sizeof(r));
    }
    uint64_t r = (uint64_t)result;

    return copy_to_guest(call, addr + offsetof(struct multicall_entry, result),
                         &r, sizeof(r));
}

long do_multicall(struct hv_call *call, uint64_t args[5])
{
    uint64_t list = args[0];
    uint32_t nr = (uint32_t)args[1];
    size_t size = call->compat ? sizeof(struct compat_multicall_entry)
                               : sizeof(struct multicall_entry);

    if (call->in_multicall)
        return -XEN_EINVAL; /* "Multicall reentry is disallowed" */
    call->in_multicall = true;
    for (uint32_t i = 0; i < nr; i++, list += size) {
        struct mc_entry e;
        long result;

        if (read_entry(call, list, &e) ||
            (result = hypercall_dispatch(call, e.op, e.args),
             write_result(call, list, result))) {
            call->in_multicall = false;
            return -XEN_EFAULT;
        }
    }
    call->in_multicall = false;
    return 0;
}
