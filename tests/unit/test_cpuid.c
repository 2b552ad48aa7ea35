/*
 * test_cpuid.c: the Xen CPUID leaves and the pvclock record
 * (<xenemu/cpuid.h>), which both backends hand to guests.
 *
 * Expected values come from Xen 4.17.7
 * xen/arch/x86/traps.c:cpuid_hypervisor_leaves() (the leaves at 0x40000000
 * for a non-Viridian domain) and xen/arch/x86/time.c
 * (__update_vcpu_system_time(): the pvclock record and its version).
 * and xen/arch/x86/time.c:tsc_set_info() (the time leaf of a domain as
 * created: TSC_MODE_DEFAULT, native TSC, incarnation 1).  Where xenemu
 * differs the assertion says so.
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

    /* Outside Xen's leaves: not answered, registers untouched
     * (cpuid_hypervisor_leaves(): "idx > limit", limit
     * XEN_CPUID_MAX_NUM_LEAVES = 5). */
    assert_false(xen_cpuid(v, XEN_CPUID_FIRST_LEAF - 1, 0, r));
    assert_false(xen_cpuid(v, XEN_CPUID_FIRST_LEAF + 6, 0, r));
    assert_int_equal(r[0], 1);
    assert_int_equal(r[3], 4);

    /* Leaf 0 (cpuid_hypervisor_leaves() case 0): the largest leaf, base +
     * XEN_CPUID_MAX_NUM_LEAVES when the toolstack sets no limit, and
     * "XenVMMXenVMM". */
    assert_true(xen_cpuid(v, XEN_CPUID_FIRST_LEAF, 0, r));
    assert_int_equal(r[0], XEN_CPUID_FIRST_LEAF + 5); /* max leaf */
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
    /* Leaf 4, sub-leaf 0, HVM only (cpuid_hypervisor_leaves() case 4):
     * IOMMU_MAPPINGS always, vCPU id in EBX, domid in ECX, with their
     * flags, and the per-vCPU upcall vector flag; APIC_ACCESS_VIRT and
     * X2APIC_VIRT only with VMX APIC virtualisation (as on a host without
     * it: clear); EXT_DEST_ID never in 4.17. */
    assert_true(xen_cpuid(d->vcpus[2], XEN_CPUID_LEAF(4), 0, r));
    assert_int_equal(
        r[0], XEN_HVM_CPUID_IOMMU_MAPPINGS | XEN_HVM_CPUID_VCPU_ID_PRESENT |
                  XEN_HVM_CPUID_DOMID_PRESENT | XEN_HVM_CPUID_UPCALL_VECTOR);
    assert_int_equal(r[3], 0);
    assert_int_equal(r[1], 2);
    assert_int_equal(r[2], d->domid);
    /* Other sub-leaves are empty ("subleaf != 0": nothing set). */
    assert_true(xen_cpuid(d->vcpus[2], XEN_CPUID_LEAF(4), 1, r));
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
    harness_domain_free(d);
    hv_destroy(hv);
}

/* Leaf 3, the time leaf (cpuid_hypervisor_leaves() case 3, with the values
 * arch/x86/time.c:tsc_set_info() gives a new domain: TSC_MODE_DEFAULT,
 * vtsc 0 on a host with a safe TSC, tsc_khz = cpu_khz, incarnation
 * 0 + 1, vtsc_offset the system time then, vtsc_to_ns from
 * set_time_scale(tsc_khz * 1000)). */
static void test_time_leaf(void **state)
{
    struct harness_fixture *f = *state;
    struct vcpu *v = f->d->vcpus[0];
    uint32_t r0[4], r1[4], r2[4];
    uint64_t offset, ns;

    assert_true(xen_cpuid(v, XEN_CPUID_LEAF(3), 0, r0));
    assert_int_equal(r0[0] & 1, 0);   /* vtsc: the guest runs on the TSC */
    assert_int_equal(r0[0] & ~7u, 0); /* safe << 1, RDTSCP << 2 only */
    assert_int_equal(r0[1], 0);       /* TSC_MODE_DEFAULT */
    assert_int_not_equal(r0[2], 0);   /* tsc_khz */
    assert_int_equal(r0[3], 1);       /* incarnation */

    assert_true(xen_cpuid(v, XEN_CPUID_LEAF(3), 1, r1));
    offset = (uint64_t)r1[1] << 32 | r1[0];
    assert_int_equal(offset, f->d->created_ns);
    assert_true(offset <= hv_now_ns(f->hv));
    /* set_time_scale(): mul_frac in [2^31, 2^32), so one second of ticks
     * at tsc_khz converts to a second, within the rounding of mul. */
    assert_true(r1[2] >= 0x80000000u);
    assert_true((int32_t)r1[3] >= -8 && (int32_t)r1[3] <= 8);
    {
        uint64_t ticks = (uint64_t)r0[2] * 1000;
        int32_t shift = (int32_t)r1[3];

        ticks = shift >= 0 ? ticks << shift : ticks >> -shift;
        ns = (uint64_t)(((unsigned __int128)ticks * r1[2]) >> 32);
        assert_true(ns > 999999000u && ns <= 1000000000u);
    }

    /* Sub-leaf 2: the host's cpu_khz, the same rate (native TSC). */
    assert_true(xen_cpuid(v, XEN_CPUID_LEAF(3), 2, r2));
    assert_int_equal(r2[0], r0[2]);
    assert_int_equal(r2[1] | r2[2] | r2[3], 0);
    /* Other sub-leaves: nothing. */
    assert_true(xen_cpuid(v, XEN_CPUID_LEAF(3), 3, r2));
    assert_int_equal(r2[0] | r2[1] | r2[2] | r2[3], 0);
}

/* Leaf 5 (cpuid_hypervisor_leaves() case 5): PV parameters only, zeros
 * for an HVM domain; leaf 2's ECX has no features for HVM. */
static void test_pv_leaf_is_empty_for_hvm(void **state)
{
    struct harness_fixture *f = *state;
    uint32_t r[4] = {1, 2, 3, 4};

    assert_true(xen_cpuid(f->d->vcpus[0], XEN_CPUID_LEAF(5), 0, r));
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
    assert_true(xen_cpuid(f->d->vcpus[0], XEN_CPUID_LEAF(2), 0, r));
    assert_int_equal(r[2] | r[3], 0);
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
        T(test_time_leaf),
        T(test_pv_leaf_is_empty_for_hvm),
        T(test_time_update_is_a_usable_pvclock),
        T(test_time_update_uses_compat_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
