/*
 * vm_assist.c: __HYPERVISOR_vm_assist (cmd, type), as Xen 4.17's
 * do_vm_assist() (xen/common/domain.c) for an HVM domain, whose only valid
 * type is VMASST_TYPE_runstate_update_flag (HVM_VM_ASSIST_MASK): with it
 * on, the runstate area is written under XEN_RUNSTATE_UPDATE
 * (hv/runstate.c).
 */
#include "hypercalls.h"
#include "xenemu/domain.h"

/* The types an HVM domain may enable. */
#define HVM_VM_ASSIST_MASK (1u << VMASST_TYPE_runstate_update_flag)

long do_vm_assist(struct hv_call *call, uint64_t args[5])
{
    struct domain *d = call->v->domain;
    uint32_t cmd = (uint32_t)args[0];
    uint32_t type = (uint32_t)args[1];

    if (cmd != VMASST_CMD_enable && cmd != VMASST_CMD_disable)
        return -XEN_ENOSYS;
    if (type >= 32 || !(HVM_VM_ASSIST_MASK & (1u << type)))
        return -XEN_EINVAL;
    /* Read without a lock by runstate writers: a plain flag word. */
    if (cmd == VMASST_CMD_enable)
        __atomic_fetch_or(&d->vm_assist, 1u << type, __ATOMIC_RELAXED);
    else
        __atomic_fetch_and(&d->vm_assist, ~(1u << type), __ATOMIC_RELAXED);
    hv_call_side_effects(call);
    return 0;
}
