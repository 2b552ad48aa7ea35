/* test_control_op.c: the hypercalls an HVM domU reaches in Xen 4.17 but
 * may not use (hv/control_op.c).  Each expected value cites the Xen 4.17
 * function it comes from.  Deliberate difference: the control domain
 * passes Xen's permission checks and then gets -ENOSYS here (not yet
 * implemented, docs/hypercalls.md). */
#include <string.h>

#include "harness.h"

#define ARG     HARNESS_ARG_GPA
#define BAD_GPA ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE)

static struct hv *hv;
static struct domain *d, *other;

static int setup(void **state)
{
    (void)state;
    hv = harness_hv();
    d = harness_domain(hv, &(struct harness_dom_opts){0});
    other = harness_domain(hv, &(struct harness_dom_opts){0});
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    harness_domain_free(other);
    harness_domain_free(d);
    hv_destroy(hv);
    return 0;
}

static long call(unsigned int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return harness_hypercall(d, 0, nr, a0, a1, a2);
}

static long domctl(struct xen_domctl *op)
{
    assert_int_equal(gpa_write(d, ARG, op, sizeof(*op)), 0);
    return call(__HYPERVISOR_domctl, ARG, 0, 0);
}

static struct xen_domctl dc(uint32_t cmd, domid_t domain)
{
    return (struct xen_domctl){.cmd = cmd,
                               .interface_version =
                                   XEN_DOMCTL_INTERFACE_VERSION,
                               .domain = domain};
}

/* xen/common/domctl.c:do_domctl(): the copy, the interface version, the
 * domain lookup (a real id: DOMID_SELF is not one), the checks made before
 * XSM, then xsm_domctl() (-EPERM). */
static void test_domctl(void **state)
{
    struct xen_domctl op = dc(XEN_DOMCTL_pausedomain, other->domid);

    (void)state;
    assert_int_equal(call(__HYPERVISOR_domctl, BAD_GPA, 0, 0), -XEN_EFAULT);
    op.interface_version = XEN_DOMCTL_INTERFACE_VERSION - 1;
    assert_int_equal(domctl(&op), -XEN_EACCES);
    op = dc(XEN_DOMCTL_pausedomain, other->domid);
    assert_int_equal(domctl(&op), -XEN_EPERM);
    op = dc(XEN_DOMCTL_pausedomain, DOMID_SELF);
    assert_int_equal(domctl(&op), -XEN_ESRCH);
    op = dc(XEN_DOMCTL_pausedomain, 777);
    assert_int_equal(domctl(&op), -XEN_ESRCH);
    op = dc(XEN_DOMCTL_createdomain, 777); /* needs no domain */
    assert_int_equal(domctl(&op), -XEN_EPERM);
    op = dc(XEN_DOMCTL_assign_device, DOMID_INVALID);
    assert_int_equal(domctl(&op), -XEN_ESRCH);
    op = dc(XEN_DOMCTL_test_assign_device, DOMID_INVALID);
    assert_int_equal(domctl(&op), -XEN_EPERM);

    /* getdomaininfo: the next domain up; none past the last; -EINVAL
     * past the real ids (xsm_getdomaininfo() denies a found one). */
    op = dc(XEN_DOMCTL_getdomaininfo, d->domid);
    assert_int_equal(domctl(&op), -XEN_EPERM);
    op = dc(XEN_DOMCTL_getdomaininfo, other->domid + 1);
    assert_int_equal(domctl(&op), -XEN_ESRCH);
    op = dc(XEN_DOMCTL_getdomaininfo, DOMID_SELF);
    assert_int_equal(domctl(&op), -XEN_EINVAL);

    /* Argument checks before XSM. */
    op = dc(XEN_DOMCTL_iomem_permission, other->domid);
    op.u.iomem_permission.first_mfn = UINT64_MAX;
    op.u.iomem_permission.nr_mfns = 2;
    assert_int_equal(domctl(&op), -XEN_EINVAL);
    op.u.iomem_permission.first_mfn = 0x1000;
    assert_int_equal(domctl(&op), -XEN_EPERM);
    op = dc(XEN_DOMCTL_memory_mapping, other->domid);
    op.u.memory_mapping.first_mfn = 1ull << 40;
    op.u.memory_mapping.nr_mfns = 1;
    assert_int_equal(domctl(&op), -XEN_EINVAL);
    op.u.memory_mapping.first_mfn = 0x1000;
    assert_int_equal(domctl(&op), -XEN_EPERM);
    op = dc(XEN_DOMCTL_irq_permission, other->domid);
    op.u.irq_permission.pirq = 48;
    assert_int_equal(domctl(&op), -XEN_EINVAL);
    op.u.irq_permission.pirq = 3;
    assert_int_equal(domctl(&op), -XEN_EPERM);
    op = dc(XEN_DOMCTL_set_target, other->domid);
    op.u.set_target.target = 777;
    assert_int_equal(domctl(&op), -XEN_ESRCH);
    op.u.set_target.target = other->domid;
    assert_int_equal(domctl(&op), -XEN_EINVAL);
    op.u.set_target.target = d->domid;
    assert_int_equal(domctl(&op), -XEN_EPERM);

    /* The vm_event interface version: answered to anyone, copied back. */
    op = dc(XEN_DOMCTL_vm_event_op, DOMID_INVALID);
    op.u.vm_event_op.op = XEN_VM_EVENT_GET_VERSION;
    assert_int_equal(domctl(&op), 0);
    assert_int_equal(gpa_read(d, &op, ARG, sizeof(op)), 0);
    assert_int_equal(op.u.vm_event_op.u.version, VM_EVENT_INTERFACE_VERSION);
    op.u.vm_event_op.op = XEN_VM_EVENT_ENABLE;
    assert_int_equal(domctl(&op), -XEN_ESRCH);

    /* The control domain passes XSM: not implemented yet (deliberate). */
    d->is_privileged = true;
    op = dc(XEN_DOMCTL_pausedomain, other->domid);
    assert_int_equal(domctl(&op), -XEN_ENOSYS);
    d->is_privileged = false;
}

/* xen/arch/x86/mm/paging.c:do_paging_domctl_cont(): the copy (-EFAULT),
 * a shadow_op only (-EOPNOTSUPP), the domain lookup (-ESRCH), then
 * xsm_domctl() (-EPERM). */
static void test_paging_domctl_cont(void **state)
{
    struct xen_domctl op = dc(XEN_DOMCTL_shadow_op, other->domid);

    (void)state;
    assert_int_equal(call(__HYPERVISOR_arch_1, BAD_GPA, 0, 0), -XEN_EFAULT);
    assert_int_equal(gpa_write(d, ARG, &op, sizeof(op)), 0);
    assert_int_equal(call(__HYPERVISOR_arch_1, ARG, 0, 0), -XEN_EPERM);
    op.cmd = XEN_DOMCTL_pausedomain;
    assert_int_equal(gpa_write(d, ARG, &op, sizeof(op)), 0);
    assert_int_equal(call(__HYPERVISOR_arch_1, ARG, 0, 0), -XEN_EOPNOTSUPP);
    op = dc(XEN_DOMCTL_shadow_op, 777);
    assert_int_equal(gpa_write(d, ARG, &op, sizeof(op)), 0);
    assert_int_equal(call(__HYPERVISOR_arch_1, ARG, 0, 0), -XEN_ESRCH);
}

/* xen/common/sysctl.c:do_sysctl(), xen/arch/x86/platform_hypercall.c:
 * do_platform_op(): the copy, the interface version, then XSM;
 * xen/common/hypfs.c:do_hypfs_op(): XSM first. */
static void test_sysctl_platform_hypfs(void **state)
{
    struct xen_sysctl sc = {.cmd = XEN_SYSCTL_physinfo,
                            .interface_version = XEN_SYSCTL_INTERFACE_VERSION};
    struct xen_platform_op pf = {.cmd = XENPF_settime64,
                                 .interface_version = XENPF_INTERFACE_VERSION};

    (void)state;
    assert_int_equal(call(__HYPERVISOR_sysctl, BAD_GPA, 0, 0), -XEN_EFAULT);
    assert_int_equal(gpa_write(d, ARG, &sc, sizeof(sc)), 0);
    assert_int_equal(call(__HYPERVISOR_sysctl, ARG, 0, 0), -XEN_EPERM);
    sc.interface_version = 0x14;
    assert_int_equal(gpa_write(d, ARG, &sc, sizeof(sc)), 0);
    assert_int_equal(call(__HYPERVISOR_sysctl, ARG, 0, 0), -XEN_EACCES);

    assert_int_equal(call(__HYPERVISOR_platform_op, BAD_GPA, 0, 0),
                     -XEN_EFAULT);
    assert_int_equal(gpa_write(d, ARG, &pf, sizeof(pf)), 0);
    assert_int_equal(call(__HYPERVISOR_platform_op, ARG, 0, 0), -XEN_EPERM);
    pf.interface_version = 0;
    assert_int_equal(gpa_write(d, ARG, &pf, sizeof(pf)), 0);
    assert_int_equal(call(__HYPERVISOR_platform_op, ARG, 0, 0), -XEN_EACCES);

    assert_int_equal(call(__HYPERVISOR_hypfs_op, 0, BAD_GPA, 0), -XEN_EPERM);
}

/* xen/common/dm.c:do_dm_op(): buffers 1 to 2 (-ENODATA, -E2BIG), read
 * (-EFAULT), then xen/arch/x86/hvm/dm.c:dm_op(): not itself (-EPERM), an
 * existing domain (-ESRCH), then XSM (-EPERM). */
static void test_dm_op(void **state)
{
    struct xen_dm_op_buf buf = {.size = 8};

    (void)state;
    assert_int_equal(gpa_write(d, ARG, &buf, sizeof(buf)), 0);
    assert_int_equal(call(__HYPERVISOR_dm_op, other->domid, 0, ARG),
                     -XEN_ENODATA);
    assert_int_equal(call(__HYPERVISOR_dm_op, other->domid, 3, ARG),
                     -XEN_E2BIG);
    assert_int_equal(call(__HYPERVISOR_dm_op, other->domid, 1, BAD_GPA),
                     -XEN_EFAULT);
    assert_int_equal(call(__HYPERVISOR_dm_op, 777, 1, ARG), -XEN_ESRCH);
    assert_int_equal(call(__HYPERVISOR_dm_op, DOMID_SELF, 1, ARG), -XEN_ESRCH);
    assert_int_equal(call(__HYPERVISOR_dm_op, d->domid, 1, ARG), -XEN_EPERM);
    assert_int_equal(call(__HYPERVISOR_dm_op, other->domid, 2, ARG),
                     -XEN_EPERM);
}

/* xen/arch/x86/mm.c:do_mmuext_op() and xen/common/page_alloc.c:
 * get_pg_owner() for an HVM caller; xen/arch/x86/cpu/vpmu.c:
 * do_xenpmu_op(): -EOPNOTSUPP with a virtual LAPIC. */
static void test_mmuext_and_pmu(void **state)
{
    /* foreigndom is the fourth register: through the dispatcher. */
    uint64_t a[5] = {ARG, 1, 0, DOMID_SELF, 0};
    struct hv_call c;

    (void)state;
    hv_call_init(&c, d->vcpus[0], false, false, 0);
    assert_int_equal(hypercall_dispatch(&c, __HYPERVISOR_mmuext_op, a),
                     -XEN_EINVAL); /* itself: not a PV domain */
    a[3] = d->domid; /* itself by number: refused by get_pg_owner() */
    assert_int_equal(hypercall_dispatch(&c, __HYPERVISOR_mmuext_op, a),
                     -XEN_ESRCH);
    a[3] = 777;
    assert_int_equal(hypercall_dispatch(&c, __HYPERVISOR_mmuext_op, a),
                     -XEN_ESRCH);
    a[3] = other->domid; /* exists, not PV */
    assert_int_equal(hypercall_dispatch(&c, __HYPERVISOR_mmuext_op, a),
                     -XEN_EINVAL);
    a[3] = DOMID_IO; /* Xen's own: XSM_TARGET refuses a domU */
    assert_int_equal(hypercall_dispatch(&c, __HYPERVISOR_mmuext_op, a),
                     -XEN_EPERM);
    /* The continuation marker with no list hands back foreigndom. */
    a[0] = 0;
    a[1] = 1u << 31;
    a[3] = 42;
    assert_int_equal(hypercall_dispatch(&c, __HYPERVISOR_mmuext_op, a), 42);
    assert_int_equal(call(__HYPERVISOR_xenpmu_op, 0, ARG, 0), -XEN_EOPNOTSUPP);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_domctl),
        T(test_paging_domctl_cont),
        T(test_sysctl_platform_hypfs),
        T(test_dm_op),
        T(test_mmuext_and_pmu),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
