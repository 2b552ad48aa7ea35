/*
 * control_op.c: the hypercalls an HVM domU reaches in Xen 4.17 but may not
 * use: the toolstack's (domctl, sysctl, platform_op, paging_domctl_cont,
 * hypfs_op), the device model's (dm_op), the PV MMU's (mmuext_op) and the
 * PMU's (xenpmu_op).  Each answers with Xen 4.17's checks in Xen's order,
 * up to the permission check that a domU fails (the dummy XSM policy).
 *
 * The control domain would pass those checks.  What it may then do is not
 * implemented here yet: it gets -ENOSYS, as for an operation Xen does not
 * know (docs/hypercalls.md).  The interface versions are those of the
 * public headers xenemu builds with (Debian's libxen-dev, Xen 4.17).
 */
#include "hypercalls.h"
#include "xenemu/compat.h"
#include "xenemu/domain.h"

/* What the control domain gets once Xen's checks pass (see above). */
#define NOT_YET (-XEN_ENOSYS)

/* Xen's rcu_lock_domain_by_id(): a real id (DOMID_SELF is not one).  A
 * reference, or NULL. */
static struct domain *domain_by_id(const struct hv_call *call, domid_t id)
{
    return id < DOMID_FIRST_RESERVED ? domain_get(call->v->domain->hv, id)
                                     : NULL;
}

/* ---- domctl (xen/common/domctl.c:do_domctl()) ---- */

/* The domain do_domctl() looks up before anything else: *out is set (a
 * reference, or NULL where the command needs none); 0 or -ESRCH. */
static int domctl_target(const struct hv_call *call,
                         const struct xen_domctl *op, struct domain **out)
{
    *out = NULL;
    switch (op->cmd) {
    case XEN_DOMCTL_createdomain:
        return 0;
    case XEN_DOMCTL_assign_device:
    case XEN_DOMCTL_deassign_device:
        /* DOMID_IO names dom_io, which a domU may not use either. */
        if (op->domain == DOMID_IO)
            return 0;
        if (op->domain == DOMID_INVALID)
            return -XEN_ESRCH;
        break;
    case XEN_DOMCTL_test_assign_device:
    case XEN_DOMCTL_vm_event_op:
        if (op->domain == DOMID_INVALID)
            return 0;
        break;
    default:
        break;
    }
    *out = domain_by_id(call, op->domain);
    if (!*out && op->cmd != XEN_DOMCTL_getdomaininfo)
        return -XEN_ESRCH;
    return 0;
}

/* getdomaininfo without that domain looks for the next one up; an id past
 * the real ones is -EINVAL, none found -ESRCH, one found -EPERM (XSM). */
static long domctl_getdomaininfo(const struct hv_call *call,
                                 const struct xen_domctl *op)
{
    struct hv *hv = call->v->domain->hv;

    if (op->domain >= DOMID_FIRST_RESERVED)
        return -XEN_EINVAL;
    for (unsigned int id = op->domain; id < DOMID_FIRST_RESERVED; id++) {
        struct domain *d = domain_get(hv, (domid_t)id);

        if (d) {
            domain_put(d);
            return -XEN_EPERM;
        }
    }
    return -XEN_ESRCH;
}

/* The commands do_domctl() checks before its XSM hook, as far as a domU
 * gets; everything else is the hook's -EPERM. */
static long domctl_unprivileged(struct hv_call *call, struct xen_domctl *op,
                                uint64_t arg, struct domain *d)
{
    switch (op->cmd) {
    case XEN_DOMCTL_getdomaininfo:
        return d ? -XEN_EPERM : domctl_getdomaininfo(call, op);
    case XEN_DOMCTL_iomem_permission: {
        const struct xen_domctl_iomem_permission *p = &op->u.iomem_permission;

        return p->first_mfn + p->nr_mfns - 1 < p->first_mfn ? -XEN_EINVAL
                                                            : -XEN_EPERM;
    }
    case XEN_DOMCTL_memory_mapping: {
        const struct xen_domctl_memory_mapping *m = &op->u.memory_mapping;
        uint64_t mfn_end = m->first_mfn + m->nr_mfns - 1;

        /* 52 physical address bits: frames up to 2^40. */
        if (mfn_end < m->first_mfn || ((m->first_mfn | mfn_end) >> 40) ||
            m->first_gfn + m->nr_mfns - 1 < m->first_gfn)
            return -XEN_EINVAL;
        return -XEN_EPERM;
    }
    case XEN_DOMCTL_irq_permission:
        /* No pirq of a domU maps to a physical IRQ (nr_pirqs 48). */
        return op->u.irq_permission.pirq >= 48 ? -XEN_EINVAL : -XEN_EPERM;
    case XEN_DOMCTL_set_target: {
        struct domain *e = domain_by_id(call, op->u.set_target.target);
        long rc = !e ? -XEN_ESRCH : e == d ? -XEN_EINVAL : -XEN_EPERM;

        if (e)
            domain_put(e);
        return rc;
    }
    case XEN_DOMCTL_vm_event_op:
        /* The one query with no permission check: the interface version,
         * copied back in the whole structure. */
        if (op->u.vm_event_op.op == XEN_VM_EVENT_GET_VERSION) {
            op->u.vm_event_op.u.version = VM_EVENT_INTERFACE_VERSION;
            return copy_to_guest(call, arg, op, sizeof(*op)) ? -XEN_EFAULT : 0;
        }
        return d ? -XEN_EPERM : -XEN_ESRCH;
    default:
        return -XEN_EPERM;
    }
}

long do_domctl(struct hv_call *call, uint64_t args[5])
{
    struct xen_domctl op;
    struct domain *d;
    long rc;

    if (copy_from_guest(call, &op, args[0], sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION)
        return -XEN_EACCES;
    rc = domctl_target(call, &op, &d);
    if (rc)
        return rc;
    rc = call->v->domain->is_privileged
             ? NOT_YET
             : domctl_unprivileged(call, &op, args[0], d);
    if (d)
        domain_put(d);
    return rc;
}

/* paging_domctl_cont (xen/arch/x86/mm/paging.c): a continuation of a
 * shadow_op domctl only, with do_domctl()'s first checks. */
long do_paging_domctl_cont(struct hv_call *call, uint64_t args[5])
{
    struct xen_domctl op;
    struct domain *d;

    if (copy_from_guest(call, &op, args[0], sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION ||
        op.cmd != XEN_DOMCTL_shadow_op)
        return -XEN_EOPNOTSUPP;
    d = domain_by_id(call, op.domain);
    if (!d)
        return -XEN_ESRCH;
    domain_put(d);
    return call->v->domain->is_privileged ? NOT_YET : -XEN_EPERM;
}

/* ---- sysctl, platform_op, hypfs_op ---- */

/* xen/common/sysctl.c:do_sysctl(): the copy, the interface version, then
 * XSM. */
long do_sysctl(struct hv_call *call, uint64_t args[5])
{
    struct xen_sysctl op;

    if (copy_from_guest(call, &op, args[0], sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
        return -XEN_EACCES;
    return call->v->domain->is_privileged ? NOT_YET : -XEN_EPERM;
}

/* xen/arch/x86/platform_hypercall.c:do_platform_op(): the same order.  (A
 * compat caller's structure is read with the 64-bit size.) */
long do_platform_op(struct hv_call *call, uint64_t args[5])
{
    struct xen_platform_op op;

    if (copy_from_guest(call, &op, args[0], sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != XENPF_INTERFACE_VERSION)
        return -XEN_EACCES;
    return call->v->domain->is_privileged ? NOT_YET : -XEN_EPERM;
}

/* xen/common/hypfs.c:do_hypfs_op(): XSM first, for every command. */
long do_hypfs_op(struct hv_call *call, uint64_t args[5])
{
    (void)args;
    return call->v->domain->is_privileged ? NOT_YET : -XEN_EPERM;
}

/* ---- dm_op (xen/common/dm.c:do_dm_op(), xen/arch/x86/hvm/dm.c) ---- */

#define DM_OP_MAX_BUFS 2u /* struct dmop_args' buffers on x86 */

long do_dm_op(struct hv_call *call, uint64_t args[5])
{
    domid_t domid = (domid_t)args[0];
    uint32_t nr_bufs = (uint32_t)args[1];
    uint8_t bufs[DM_OP_MAX_BUFS * sizeof(struct xen_dm_op_buf)];
    size_t buf_size = call->compat ? sizeof(struct compat_dm_op_buf)
                                   : sizeof(struct xen_dm_op_buf);
    struct domain *d;
    bool self;

    if (!nr_bufs)
        return -XEN_ENODATA;
    if (nr_bufs > DM_OP_MAX_BUFS)
        return -XEN_E2BIG;
    if (copy_from_guest(call, bufs, args[2], nr_bufs * buf_size))
        return -XEN_EFAULT;
    /* rcu_lock_remote_domain_by_id(): not itself; every xenemu domain is
     * HVM, so the -EINVAL for a PV target never applies. */
    d = domain_by_id(call, domid);
    if (!d)
        return -XEN_ESRCH;
    self = d == call->v->domain;
    domain_put(d);
    if (self)
        return -XEN_EPERM;
    return call->v->domain->is_privileged ? NOT_YET : -XEN_EPERM;
}

/* ---- mmuext_op (xen/arch/x86/mm.c:do_mmuext_op()) ---- */

#define MMU_UPDATE_PREEMPTED (~(~0u >> 1))

/*
 * For an HVM caller: the continuation marker, then the page owner
 * (xen/common/page_alloc.c:get_pg_owner(): its own id by number is
 * refused), which must be a PV domain: DOMID_SELF and every other xenemu
 * domain are HVM (-EINVAL); dom_io and dom_xen are Xen's own, which XSM
 * keeps a domU from (-EPERM).
 */
long do_mmuext_op(struct hv_call *call, uint64_t args[5])
{
    struct domain *self = call->v->domain;
    uint32_t count = (uint32_t)args[1];
    domid_t foreign = (domid_t)args[3];
    struct domain *owner;

    if (count == MMU_UPDATE_PREEMPTED && !args[0])
        return (int)(uint32_t)args[3];
    if (foreign == self->domid)
        return -XEN_ESRCH;
    if (foreign == DOMID_IO || foreign == DOMID_XEN)
        return self->is_privileged ? NOT_YET : -XEN_EPERM;
    if (foreign == DOMID_SELF)
        return -XEN_EINVAL;
    owner = domain_by_id(call, foreign);
    if (!owner)
        return -XEN_ESRCH;
    domain_put(owner);
    return -XEN_EINVAL;
}

/* xenpmu_op (xen/arch/x86/cpu/vpmu.c:do_xenpmu_op()): an HVM domain has
 * a virtual LAPIC, and so no PV PMU. */
long do_xenpmu_op(struct hv_call *call, uint64_t args[5])
{
    (void)call;
    (void)args;
    return -XEN_EOPNOTSUPP;
}
