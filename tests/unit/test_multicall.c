/* test_multicall.c: __HYPERVISOR_multicall (hv/multicall.c) and
 * __HYPERVISOR_vm_assist (hv/vm_assist.c).  Expected values:
 * xen/common/multicall.c:do_multicall() with
 * xen/arch/x86/hvm/hypercall.c:hvm_do_multicall_call(), and
 * xen/common/domain.c:do_vm_assist() with HVM_VM_ASSIST_MASK. */
#include <string.h>

#include "harness.h"
#include "xenemu/compat.h"

#define LIST    0x5000u
#define BAD_GPA ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE)

static struct multicall_entry entry(uint64_t op, uint64_t a0, uint64_t a1)
{
    return (struct multicall_entry){.op = op, .args = {a0, a1}};
}

/* xen/common/multicall.c:do_multicall(): entries run in order through the
 * same table; each result lands in its entry; an unknown number is -ENOSYS
 * (the hypercall table's default) and a nested multicall -EINVAL (the
 * reentry check), failing only their entry; an unreadable entry ends the
 * call with -EFAULT.  0x40011: xen/common/kernel.c:do_xen_version(). */
static void test_multicall(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct multicall_entry list[4] = {
        entry(__HYPERVISOR_xen_version, XENVER_version, 0),
        entry(9999, 0, 0),
        entry(__HYPERVISOR_multicall, LIST, 1),
        entry(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0),
    };

    (void)state;
    assert_int_equal(gpa_write(d, LIST, list, sizeof(list)), 0);
    assert_int_equal(
        harness_hypercall(d, 0, __HYPERVISOR_multicall, LIST, 4, 0), 0);
    assert_int_equal(gpa_read(d, list, LIST, sizeof(list)), 0);
    assert_int_equal(list[0].result, 0x40011);
    assert_int_equal(list[1].result, (uint64_t)-XEN_ENOSYS);
    assert_int_equal(list[2].result, (uint64_t)-XEN_EINVAL); /* reentry */
    assert_int_equal(list[3].result, 1);
    /* An unreadable list is -EFAULT; no entries, nothing done. */
    assert_int_equal(
        harness_hypercall(d, 0, __HYPERVISOR_multicall, BAD_GPA, 1, 0),
        -XEN_EFAULT);
    assert_int_equal(
        harness_hypercall(d, 0, __HYPERVISOR_multicall, BAD_GPA, 0, 0), 0);
    /* The entry after the last readable one faults, after the first ran. */
    list[0] = entry(__HYPERVISOR_xen_version, XENVER_version, 0);
    assert_int_equal(
        gpa_write(d, BAD_GPA - sizeof(list[0]), list, sizeof(list[0])), 0);
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_multicall,
                                       BAD_GPA - sizeof(list[0]), 2, 0),
                     -XEN_EFAULT);
    assert_int_equal(
        gpa_read(d, list, BAD_GPA - sizeof(list[0]), sizeof(list[0])), 0);
    assert_int_equal(list[0].result, 0x40011);
    harness_domain_free(d);
}

/* The 32-bit layout: 32-byte entries with 32-bit results
 * (xen/common/compat/multicall.c:compat_multicall(), the same loop with
 * compat_multicall_entry). */
static void test_multicall_compat(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct compat_multicall_entry list[2] = {
        {.op = __HYPERVISOR_xen_version, .args = {XENVER_version}},
        {.op = 9999},
    };
    uint64_t args[5] = {LIST, 2, 0, 0, 0};
    struct hv_call call;

    (void)state;
    assert_int_equal(gpa_write(d, LIST, list, sizeof(list)), 0);
    hv_call_init(&call, d->vcpus[0], true, false, 0);
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_multicall, args),
                     0);
    assert_int_equal(gpa_read(d, list, LIST, sizeof(list)), 0);
    assert_int_equal(list[0].result, 0x40011);
    assert_int_equal(list[1].result, (uint32_t)-XEN_ENOSYS);
    harness_domain_free(d);
}

/* xen/common/domain.c:do_vm_assist(): the type is checked first (for HVM
 * only VMASST_TYPE_runstate_update_flag, else -EINVAL), then the command
 * (enable/disable, else -ENOSYS). */
static void test_vm_assist(void **state)
{
    struct domain *d = harness_test_domain(1);

    (void)state;
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vm_assist, 2,
                                       VMASST_TYPE_runstate_update_flag, 0),
                     -XEN_ENOSYS);
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vm_assist,
                                       VMASST_CMD_enable,
                                       VMASST_TYPE_writable_pagetables, 0),
                     -XEN_EINVAL);
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vm_assist,
                                       VMASST_CMD_enable, 99, 0),
                     -XEN_EINVAL);
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vm_assist,
                                       VMASST_CMD_enable,
                                       VMASST_TYPE_runstate_update_flag, 0),
                     0);
    assert_true(d->vm_assist & (1u << VMASST_TYPE_runstate_update_flag));
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vm_assist,
                                       VMASST_CMD_disable,
                                       VMASST_TYPE_runstate_update_flag, 0),
                     0);
    assert_int_equal(d->vm_assist, 0);
    harness_domain_free(d);
}

int main(void)
{
#define T(fn)                                                                  \
    cmocka_unit_test_setup_teardown(fn, harness_setup_hv, harness_teardown_hv)
    const struct CMUnitTest tests[] = {
        T(test_multicall),
        T(test_multicall_compat),
        T(test_vm_assist),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
