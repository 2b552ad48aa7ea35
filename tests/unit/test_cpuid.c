/*
 * test_cpuid.c: the Xen CPUID leaves and the pvclock record
 * (<xenemu/cpuid.h>), which both backends hand to guests.
 *
 * Expected values come from Xen 4.17.7
 * xen/arch/x86/traps.c:cpuid_hypervisor_leaves() (the leaves at 0x40000000
 * for a non-Viridian domain) and xen/arch/x86/time.c
 * (__update_vcpu_system_time(): the pvclock record and its version).
 * Where xenemu differs the assertion says so: it answers leaves 0-4, where
 * 4.17 answers 0-5 (XEN_CPUID_MAX_NUM_LEAVES; leaf 5 is zeros for HVM);
 * it leaves out XEN_HVM_CPUID_IOMMU_MAPPINGS, which 4.17 always sets in
 * leaf 4; its time leaf (3) is zeros.  hv/cpuid.c holds those answers.
 */
#include <string.h>

#include "harness.h"
#include "xenemu/cpuid.h"

static void test_signature_and_range(void **state)
{
    struct harness_fixture *f = *state;
    struct vcpu *v = f->d->vcpus[0];
    uint32_t r[4] = {1, 2, 3, 4};
    char sig[13] = {0};

    /* Outside Xen's leaves: not answered, registers untouched.  xenemu
     * differs: 4.17 answers base + 5 too (zeros for an HVM domain). */
    assert_false(xen_cpuid(v, XEN_CPUID_FIRST_LEAF - 1, 0, r));
    assert_false(xen_cpuid(v, XEN_CPUID_FIRST_LEAF + 5, 0, r));
    assert_int_equal(r[0], 1);
    assert_int_equal(r[3], 4);

    /* Leaf 0: the largest leaf and "XenVMMXenVMM".  xenemu differs: 4.17
     * reports base + XEN_CPUID_MAX_NUM_LEAVES (5) when the toolstack sets
     * no limit; xenemu base + 4. */
    assert_true(xen_cpuid(v, XEN_CPUID_FIRST_LEAF, 0, r));
    assert_int_equal(r[0], XEN_CPUID_FIRST_LEAF + 4); /* max leaf */
    memcpy(sig, &r[1], 4);
    memcpy(sig + 4, &r[2], 4);
    memcpy(sig + 8, &r[3], 4);
    assert_string_equal(sig, "XenVMMXenVMM");
}

static void test_version_and_hypercall_page(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *d = harness_domain(
        hv, &(struct harness_dom_opts){.xen_version = XENEMU_VERSION(4, 3)});
    uint32_t r[4];

    (void)state;
    /* Leaf 1: major << 16 | minor.  Xen reports itself; xenemu the
     * emulated release (deliberate: "emulated Xen version" in
     * docs/hypercalls.md). */
    assert_true(xen_cpuid(d->vcpus[0], XEN_CPUID_LEAF(1), 0, r));
    assert_int_equal(r[0], 0x00040003);
    /* Leaf 2: one hypercall page, MSR 0x40000000 (non-Viridian). */
    assert_true(xen_cpuid(d->vcpus[0], XEN_CPUID_LEAF(2), 0, r));
    assert_int_equal(r[0], 1);                    /* one page */
    assert_int_equal(r[1], XENEMU_HYPERCALL_MSR); /* MSR index */
    harness_domain_free(d);
    hv_destroy(hv);
}

static void test_hvm_leaf_names_vcpu_and_domain(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *d =
        harness_domain(hv, &(struct harness_dom_opts){.vcpus = 3});
    uint32_t r[4];

    (void)state;
    /* Leaf 4, sub-leaf 0, HVM only: vCPU id in EBX, domid in ECX, with
     * their flags, and the per-vCPU upcall vector flag.  xenemu differs:
     * 4.17 also always sets XEN_HVM_CPUID_IOMMU_MAPPINGS (not asserted). */
    assert_true(xen_cpuid(d->vcpus[2], XEN_CPUID_LEAF(4), 0, r));
    assert_true(r[0] & XEN_HVM_CPUID_VCPU_ID_PRESENT);
    assert_true(r[0] & XEN_HVM_CPUID_DOMID_PRESENT);
    assert_true(r[0] & XEN_HVM_CPUID_UPCALL_VECTOR);
    assert_int_equal(r[1], 2);
    assert_int_equal(r[2], d->domid);
    /* Other sub-leaves are empty ("subleaf != 0": nothing set). */
    assert_true(xen_cpuid(d->vcpus[2], XEN_CPUID_LEAF(4), 1, r));
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
    harness_domain_free(d);
    hv_destroy(hv);
}

/* The guest's pvclock formula, as a guest computes it
 * (public/arch-x86/xen.h, struct vcpu_time_info). */
static uint64_t pvclock_ns(const struct vcpu_time_info *t, uint64_t tsc)
{
    uint64_t delta = tsc - t->tsc_timestamp;

    if (t->tsc_shift >= 0)
        delta <<= t->tsc_shift;
    else
        delta >>= -t->tsc_shift;
    return t->system_time +
           (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
}

static void test_time_update_is_a_usable_pvclock(void **state)
{
    struct harness_fixture *f = *state;
    struct vcpu *v = f->d->vcpus[0];
    struct vcpu_info *vi = vcpu_info_of(v);
    uint32_t before = vi->time.version;
    uint64_t t0, t1, guest_now;

    vcpu_time_update(v, hv_rdtsc());
    /* xen/arch/x86/time.c:__update_vcpu_system_time(): the version is odd while
     * the record changes, so it is even again and moved on by two. */
    assert_int_equal(vi->time.version, before + 2);
    assert_int_not_equal(vi->time.tsc_to_system_mul, 0);
    /* Read by a guest, the clock lies between two hypervisor readings. */
    t0 = hv_now_ns(f->hv);
    guest_now = pvclock_ns(&vi->time, hv_rdtsc());
    t1 = hv_now_ns(f->hv);
    assert_true(guest_now + 1000000 >= t0); /* within the scale's error */
    assert_true(guest_now <= t1 + 1000000);
}

static void test_time_update_uses_compat_layout(void **state)
{
    struct harness_fixture *f = *state;
    struct vcpu *v = f->d->vcpus[0];
    struct vcpu_info_x86_32 *vi;

    /* A 32-bit guest's record is in the compat vcpu_info (Xen writes the
     * layout the shared_info size latch chose). */
    domain_latch_shinfo_compat(f->d, true);
    vi = vcpu_info_of(v);
    vcpu_time_update(v, 12345);
    assert_int_equal(vi->time.tsc_timestamp, 12345);
    assert_int_equal(vi->time.version % 2, 0);
    assert_int_not_equal(vi->time.version, 0);
}

int main(void)
{
#define T(fn)                                                                  \
    cmocka_unit_test_setup_teardown(fn, harness_setup_one, harness_teardown_one)
    const struct CMUnitTest tests[] = {
        T(test_signature_and_range),
        cmocka_unit_test(test_version_and_hypercall_page),
        cmocka_unit_test(test_hvm_leaf_names_vcpu_and_domain),
        T(test_time_update_is_a_usable_pvclock),
        T(test_time_update_uses_compat_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
