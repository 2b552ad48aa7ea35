/*
 * test_guest_mem.c: checked guest memory access (guest-physical, and
 * guest-virtual through 4-level page tables), hypercall argument copies,
 * and early/late fault recording.  Most of this is xenemu's own memory
 * layer; where a guest can see the result, the Xen 4.17.7 function it
 * follows is named at the test.
 */
#include <string.h>

#include "harness.h"

#define P  0x1ull  /* present */
#define W  0x2ull  /* writable */
#define PS 0x80ull /* large page */

/* Page-table frames, and the data frames the mappings point at. */
#define PML4_GFN 40
#define PDPT_GFN 41
#define PD_GFN   42
#define PT_GFN   43
#define RW_GFN   50 /* gva 0x400000: writable 4K */
#define RO_GFN   51 /* gva 0x401000: read-only 4K */
#define CR3      ((uint64_t)PML4_GFN << 12)

#define GVA_RW       0x400000ull
#define GVA_RO       0x401000ull
#define GVA_HOLE     0x402000ull   /* not present */
#define GVA_2M       0x40000000ull /* PD of PDPT[1] as a 2 MiB page -> 2 MiB */
#define GVA_1G       0x80000000ull /* PDPT[2] as a 1 GiB page -> gpa 0 */
#define GVA_HIGH     (0xffff800000000000ull) /* canonical, PML4[256] absent */
#define GVA_NONCANON 0x0000800000000000ull

static uint64_t *table(struct domain *d, uint64_t gfn)
{
    return guest_page(d, gfn);
}

/*
 * PML4[0] -> PDPT; PDPT[0] -> PD; PD[2] -> PT (gva 0x400000..0x5fffff);
 * PT[0] rw 4K, PT[1] ro 4K; PDPT[1] -> a second PD (PT_GFN+1) whose
 * entry 0 is a 2 MiB page at gpa 0x200000; PDPT[2] is a 1 GiB page at 0.
 */
static void build_tables(struct domain *d)
{
    uint64_t *pd2 = table(d, PT_GFN + 1);

    table(d, PML4_GFN)[0] = ((uint64_t)PDPT_GFN << 12) | P | W;
    table(d, PDPT_GFN)[0] = ((uint64_t)PD_GFN << 12) | P | W;
    table(d, PD_GFN)[2] = ((uint64_t)PT_GFN << 12) | P | W;
    table(d, PT_GFN)[0] = ((uint64_t)RW_GFN << 12) | P | W;
    table(d, PT_GFN)[1] = ((uint64_t)RO_GFN << 12) | P;
    table(d, PDPT_GFN)[1] = ((uint64_t)(PT_GFN + 1) << 12) | P | W;
    pd2[0] = 0x200000ull | P | W | PS;
    table(d, PDPT_GFN)[2] = 0x0ull | P | W | PS;
}

static int setup(void **state)
{
    harness_setup_one(state);
    build_tables(((struct harness_fixture *)*state)->d);
    return 0;
}

/* The 4-level walk with 2 MiB and 1 GiB leaves, write faults on a
 * read-only leaf and faults on non-present or non-canonical addresses, as
 * xen/arch/x86/mm/guest_walk.c:guest_walk_tables() (CR0.WP set). */
static void test_walk_table(void **state)
{
    struct harness_fixture *f = *state;
    static const struct {
        uint64_t gva;
        bool write;
        int rc;
        uint64_t gpa;
    } cases[] = {
        {GVA_RW + 0x123, false, 0, ((uint64_t)RW_GFN << 12) + 0x123},
        {GVA_RW + 0x123, true, 0, ((uint64_t)RW_GFN << 12) + 0x123},
        {GVA_RO + 8, false, 0, ((uint64_t)RO_GFN << 12) + 8},
        {GVA_RO + 8, true, -XEN_EFAULT, 0},
        {GVA_HOLE, false, -XEN_EFAULT, 0},
        {GVA_2M + 0x12345, true, 0, 0x200000ull + 0x12345},
        {GVA_1G + 0x3456, true, 0, 0x3456},
        {GVA_HIGH, false, -XEN_EFAULT, 0},
        {GVA_NONCANON, false, -XEN_EFAULT, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gpa_t gpa = 0;
        int rc = gva_to_gpa(f->d, CR3, cases[i].gva, cases[i].write, &gpa);

        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_int_equal(gpa, cases[i].gpa);
    }
}

/* A page table frame outside RAM makes the walk fault, not crash (in Xen
 * a table frame without RAM behind it fails the walk too:
 * xen/arch/x86/mm/guest_walk.c:guest_walk_tables()). */
static void test_walk_table_outside_ram(void **state)
{
    struct harness_fixture *f = *state;
    gpa_t gpa;

    table(f->d, PD_GFN)[3] = (0x100000000ull) | P | W; /* PT at 4 GiB */
    assert_int_equal(gva_to_gpa(f->d, CR3, 0x600000, false, &gpa), -XEN_EFAULT);
    /* A 1 GiB page whose frames lie beyond RAM translates, and then the
     * physical access faults. */
    assert_int_equal(gva_to_gpa(f->d, CR3, GVA_1G + 0x10000000, false, &gpa),
                     0);
    assert_int_equal(gpa_read(f->d, &gpa, gpa, 8), -XEN_EFAULT);
}

/* xenemu's bounds checks on guest-physical access; a copy that runs past
 * RAM fails as xen/arch/x86/hvm/hvm.c:__hvm_copy() does for a frame
 * without RAM (the caller sees -EFAULT). */
static void test_gpa_bounds(void **state)
{
    struct harness_fixture *f = *state;
    uint64_t end = (uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE;
    uint8_t buf[16] = {0};

    assert_int_equal(gpa_read(f->d, buf, end - 16, 16), 0);
    assert_int_equal(gpa_read(f->d, buf, end - 8, 16), -XEN_EFAULT);
    assert_int_equal(gpa_write(f->d, end, buf, 1), -XEN_EFAULT);
    assert_int_equal(gpa_read(f->d, buf, UINT64_MAX - 4, 16), -XEN_EFAULT);
    assert_null(gfn_to_host(f->d, HARNESS_RAM_PAGES));
    assert_null(gfn_to_host(f->d, GFN_INVALID));
}

/*
 * Regression: unmapped overlay slots (gfn GFN_INVALID) once matched a
 * lookup of GFN_INVALID, so init_control with control_gfn ~0 used
 * shared_info as its control block instead of failing with -EINVAL.
 * Xen: xen/arch/x86/mm/p2m.c:xenmem_add_to_physmap_one() maps grant frame
 * 0 (0), and xen/common/event_fifo.c:map_guest_page() gives -EINVAL for a
 * gfn with no page (through evtchn_fifo_init_control()).
 */
static void test_invalid_gfn_never_maps(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_add_to_physmap map = {.domid = DOMID_SELF,
                                     .space = XENMAPSPACE_grant_table,
                                     .idx = 0,
                                     .gpfn = 60};
    struct evtchn_init_control init = {.control_gfn = GFN_INVALID};

    assert_int_equal(harness_op(f->d, 0, __HYPERVISOR_memory_op,
                                XENMEM_add_to_physmap, &map, sizeof(map)),
                     0);
    assert_null(gfn_to_host(f->d, GFN_INVALID));
    assert_int_equal(
        evtchn_op(f->d, EVTCHNOP_init_control, &init, sizeof(init)),
        -XEN_EINVAL);
}

/* A copy that faults on its second page copies nothing at all.  The
 * -EFAULT is Xen's (xen/arch/x86/hvm/hvm.c:copy_to_user_hvm() reports the
 * whole length uncopied); note that Xen's __hvm_copy() goes page by page,
 * so it would already have written the first page. */
static void test_paged_copy_all_or_nothing(void **state)
{
    struct harness_fixture *f = *state;
    struct hv_call call;
    uint8_t src[32], dst[32];
    uint8_t *rw = guest_page(f->d, RW_GFN), *ro = guest_page(f->d, RO_GFN);

    memset(src, 0xab, sizeof(src));
    memset(rw + 4096 - 16, 0x11, 16);
    hv_call_init(&call, f->d->vcpus[0], false, true, CR3);
    /* rw page then read-only page: the write must not touch either. */
    assert_int_equal(copy_to_guest(&call, GVA_RW + 4096 - 16, src, 32),
                     -XEN_EFAULT);
    assert_int_equal(rw[4096 - 16], 0x11);
    assert_int_equal(call.fault, HV_FAULT_EARLY);
    /* Reading across the same boundary works; into the hole it fails. */
    memset(ro, 0x22, 16);
    assert_int_equal(copy_from_guest(&call, dst, GVA_RW + 4096 - 16, 32), 0);
    assert_int_equal(dst[0], 0x11);
    assert_int_equal(dst[16], 0x22);
    assert_int_equal(copy_from_guest(&call, dst, GVA_RO + 4096 - 8, 16),
                     -XEN_EFAULT);
}

/* Hypercall arguments through the page tables, with fault timing (the
 * fault classes are xenemu's).  Ports 1 then 2, and -EFAULT after the port
 * was allocated when the result cannot be copied back:
 * xen/common/event_channel.c:do_event_channel_op() (EVTCHNOP_alloc_unbound)
 * and get_free_port(). */
static void test_early_and_late_faults(void **state)
{
    struct harness_fixture *f = *state;
    struct evtchn_alloc_unbound op = {.dom = DOMID_SELF, .remote_dom = 0};
    uint64_t args[5] = {EVTCHNOP_alloc_unbound, 0, 0, 0, 0};
    struct hv_call call;

    /* Argument in a hole: nothing happened, the call may be retried. */
    hv_call_init(&call, f->d->vcpus[0], false, true, CR3);
    args[1] = GVA_HOLE;
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args),
        -XEN_EFAULT);
    assert_int_equal(call.fault, HV_FAULT_EARLY);
    assert_false(call.side_effects);

    /* Argument readable but not writable: the port is allocated, then
     * the result cannot be written back: a late fault. */
    memcpy(guest_page(f->d, RO_GFN), &op, sizeof(op));
    hv_call_init(&call, f->d->vcpus[0], false, true, CR3);
    args[1] = GVA_RO;
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args),
        -XEN_EFAULT);
    assert_int_equal(call.fault, HV_FAULT_LATE);
    assert_true(call.side_effects);
    assert_int_equal(evtchn_port_state(f->d, 1), ECS_UNBOUND);

    /* Writable argument: success, no fault. */
    memcpy(guest_page(f->d, RW_GFN), &op, sizeof(op));
    hv_call_init(&call, f->d->vcpus[0], false, true, CR3);
    args[1] = GVA_RW;
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args), 0);
    assert_int_equal(call.fault, HV_FAULT_NONE);
    memcpy(&op, guest_page(f->d, RW_GFN), sizeof(op));
    assert_int_equal(op.port, 2);
}

/* Numbers Xen 4.17 does not offer an HVM/PVH domU (the PV-only calls,
 * kexec, tmem, argo with ARGO=n, xenoprof, mca; xsm_op with XSM=n and
 * physdev_op without PIRQs answer -ENOSYS too): the hvm64 column of
 * xen/include/hypercall-defs.c's table, xen/xsm/xsm_core.c:do_xsm_op()
 * with xen/include/xsm/dummy.h:xsm_do_xsm_op(), and
 * xen/arch/x86/hvm/hypercall.c:hvm_physdev_op(). */
static void test_unknown_hypercalls(void **state)
{
    struct harness_fixture *f = *state;
    static const unsigned int numbers[] = {
        0,  1,  2,  3,  4,  5,  6,  8,  9,  10, 11, 14, 16, 19,   22,
        23, 25, 27, 28, 30, 31, 33, 37, 38, 39, 48, 63, 64, 1000, 0xffffffffu};

    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
        assert_int_equal(harness_hypercall(f->d, 0, numbers[i], 0, 0, 0),
                         -XEN_ENOSYS);
}

/*
 * In compat mode only the low 32 bits of each register count.  In 64-bit
 * mode the sub-op is still an int (Xen's prototype), but the pointer is
 * all 64 bits, so the high bits make the copy fault (-EFAULT):
 * xen/arch/x86/hvm/hypercall.c:hvm_hypercall() reads EBX/ECX in 32-bit
 * mode, and xen/common/event_channel.c:do_event_channel_op() takes an int.
 */
static void test_compat_truncates_registers(void **state)
{
    struct harness_fixture *f = *state;
    struct evtchn_bind_ipi op = {.vcpu = 0};
    uint64_t args[5] = {0xdead00000000ull | EVTCHNOP_bind_ipi,
                        0xbeef00000000ull | HARNESS_ARG_GPA, 0, 0, 0};
    struct hv_call call;

    assert_int_equal(gpa_write(f->d, HARNESS_ARG_GPA, &op, sizeof(op)), 0);
    hv_call_init(&call, f->d->vcpus[0], true, false, 0);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args), 0);
    hv_call_init(&call, f->d->vcpus[0], false, false, 0);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_event_channel_op, args),
        -XEN_EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_walk_table, setup,
                                        harness_teardown_one),
        cmocka_unit_test_setup_teardown(test_walk_table_outside_ram, setup,
                                        harness_teardown_one),
        cmocka_unit_test_setup_teardown(test_gpa_bounds, setup,
                                        harness_teardown_one),
        cmocka_unit_test_setup_teardown(test_invalid_gfn_never_maps, setup,
                                        harness_teardown_one),
        cmocka_unit_test_setup_teardown(test_paged_copy_all_or_nothing, setup,
                                        harness_teardown_one),
        cmocka_unit_test_setup_teardown(test_early_and_late_faults, setup,
                                        harness_teardown_one),
        cmocka_unit_test_setup_teardown(test_unknown_hypercalls, setup,
                                        harness_teardown_one),
        cmocka_unit_test_setup_teardown(test_compat_truncates_registers, setup,
                                        harness_teardown_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
