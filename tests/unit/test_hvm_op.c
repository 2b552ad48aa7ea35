/*
 * test_hvm_op.c: __HYPERVISOR_hvm_op (hv/hvm_op.c) and the toolstack API of
 * <xenemu/hvm.h>.
 *
 * Expected values come from Xen 4.17.7, xen/arch/x86/hvm/hvm.c unless a
 * comment names another file: do_hvm_op() (which sub-ops exist),
 * hvmop_set_param() / hvmop_get_param() (copy, index, lookup, is_hvm
 * order), hvm_allow_set_param() / hvm_allow_get_param() (XSM_TARGET, the
 * allow-lists, deprecated, set-once), hvm_set_param() / hvm_get_param()
 * (per-parameter values), and the handlers of the other sub-ops.  Where
 * xenemu deliberately differs (ACPI_S_STATE 3, and what the missing
 * emulation implies) the case says so; docs/hypercalls.md lists them.
 */
#include <cpuid.h>
#include <string.h>

#include "harness.h"
#include "xenemu/hvm.h"
#include "xenemu/sched.h"

#define BAD_GPA      ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE)
#define VIA_VECTOR   ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56)
#define VIA_GSI(n)   ((uint64_t)HVM_PARAM_CALLBACK_TYPE_GSI << 56 | (n))
#define NOT_A_DOMID  999
#define VM86_UPDATED (1ull << 63) /* VM86_TSS_UPDATED */

struct fixture {
    struct hv *hv;
    struct domain *d;  /* the guest */
    struct domain *ts; /* a privileged domain: the toolstack */
};

static int setup(void **state)
{
    static struct fixture f;

    f.hv = harness_hv();
    f.d = harness_domain(f.hv, &(struct harness_dom_opts){.vcpus = 2});
    f.ts = harness_domain(f.hv, &(struct harness_dom_opts){0});
    f.ts->is_privileged = true;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    harness_domain_free(f->ts);
    harness_domain_free(f->d);
    hv_destroy(f->hv);
    return 0;
}

/* HVMOP_set_param / get_param by (caller) on (domid); *value in/out. */
static long param(struct domain *caller, unsigned int op, domid_t domid,
                  uint32_t index, uint64_t *value)
{
    struct xen_hvm_param a = {.domid = domid, .index = index, .value = *value};
    long rc = harness_op(caller, 0, __HYPERVISOR_hvm_op, op, &a, sizeof(a));

    *value = a.value;
    return rc;
}

static long set(struct domain *caller, domid_t domid, uint32_t index,
                uint64_t value)
{
    return param(caller, HVMOP_set_param, domid, index, &value);
}

static long get(struct domain *caller, domid_t domid, uint32_t index,
                uint64_t *value)
{
    *value = 0xbadbadbadull;
    return param(caller, HVMOP_get_param, domid, index, value);
}

static long upcall_vector(struct domain *d, uint32_t vcpu, uint8_t vector)
{
    struct xen_hvm_evtchn_upcall_vector op = {.vcpu = vcpu, .vector = vector};

    return harness_op(d, 0, __HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector,
                      &op, sizeof(op));
}

/* hvm_allow_set_param() / hvm_allow_get_param(): the guest-settable list;
 * hvm_set_param() stores each value, hvm_get_param() reads it back (the
 * VM86 TSS rows: kept in VM86_TSS_SIZED, see test_vm86_tss_values). */
static void test_guest_sets_and_reads_own_params(void **state)
{
    static const struct {
        uint32_t index;
        uint64_t value;
        uint32_t slot;   /* where hvm_set_param() keeps it */
        uint64_t stored; /* what it keeps */
        uint64_t read;   /* what hvm_get_param() reports */
    } cases[] = {
        {HVM_PARAM_CALLBACK_IRQ, VIA_VECTOR | 0xf3, HVM_PARAM_CALLBACK_IRQ,
         VIA_VECTOR | 0xf3, VIA_VECTOR | 0xf3},
        /* VM86_TSS: folded into the sized form with 128 bytes. */
        {HVM_PARAM_VM86_TSS, 0xfeffd000, HVM_PARAM_VM86_TSS_SIZED,
         VM86_UPDATED | 128ull << 32 | 0xfeffd000, 0xfeffd000},
        {HVM_PARAM_VM86_TSS_SIZED, 0x200ull << 32 | 0xfeffd000,
         HVM_PARAM_VM86_TSS_SIZED, VM86_UPDATED | 0x200ull << 32 | 0xfeffd000,
         0x200ull << 32 | 0xfeffd000},
        {HVM_PARAM_VM_GENERATION_ID_ADDR, 0xfc00000,
         HVM_PARAM_VM_GENERATION_ID_ADDR, 0xfc00000, 0xfc00000},
        {HVM_PARAM_STORE_EVTCHN, 5, HVM_PARAM_STORE_EVTCHN, 5, 5},
        {HVM_PARAM_CONSOLE_EVTCHN, 6, HVM_PARAM_CONSOLE_EVTCHN, 6, 6},
        {HVM_PARAM_X87_FIP_WIDTH, 4, HVM_PARAM_X87_FIP_WIDTH, 4, 4},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t v;

        assert_int_equal(set(f->d, DOMID_SELF, cases[i].index, cases[i].value),
                         0);
        assert_int_equal(f->d->hvm_params[cases[i].slot], cases[i].stored);
        assert_int_equal(get(f->d, DOMID_SELF, cases[i].index, &v), 0);
        assert_int_equal(v, cases[i].read);
        /* Its own domid works like DOMID_SELF. */
        assert_int_equal(get(f->d, f->d->domid, cases[i].index, &v), 0);
        assert_int_equal(v, cases[i].read);
    }
    assert_false(f->d->is_shutdown);
}

/*
 * hvm_set_param(), HVM_PARAM_VM86_TSS and HVM_PARAM_VM86_TSS_SIZED: a base
 * above 4 GiB, or a size below the 104-byte 32-bit TSS, is -EINVAL, and
 * crashes the domain when it asked for itself (domain_crash():
 * SHUTDOWN_crash); sizes are capped at 104 + 32 + 8192 + 1 = 8329; the
 * stored value carries VM86_TSS_UPDATED (bit 63,
 * asm/hvm/support.h).  hvm_get_param(): VM86_TSS reads the low 32 bits of
 * the sized value, VM86_TSS_SIZED reads it without bit 63.
 */
static void test_vm86_tss_values(void **state)
{
    static const struct {
        bool self;
        uint32_t index;
        uint64_t value;
        long rc;
        uint64_t stored; /* hvm_params[VM86_TSS_SIZED] afterwards */
        uint64_t sized;  /* get(VM86_TSS_SIZED) */
    } cases[] = {
        {true, HVM_PARAM_VM86_TSS, 0, 0, 0, 0},
        {true, HVM_PARAM_VM86_TSS, 0xffffffff, 0,
         VM86_UPDATED | 128ull << 32 | 0xffffffff, 128ull << 32 | 0xffffffff},
        {true, HVM_PARAM_VM86_TSS, 1ull << 32, -XEN_EINVAL, 0, 0},
        {false, HVM_PARAM_VM86_TSS, 1ull << 32, -XEN_EINVAL, 0, 0},
        {true, HVM_PARAM_VM86_TSS_SIZED, 0x12345678, -XEN_EINVAL, 0, 0},
        {true, HVM_PARAM_VM86_TSS_SIZED, 103ull << 32 | 0x1000, -XEN_EINVAL, 0,
         0},
        {false, HVM_PARAM_VM86_TSS_SIZED, 0, -XEN_EINVAL, 0, 0},
        {true, HVM_PARAM_VM86_TSS_SIZED, 104ull << 32 | 0x1000, 0,
         VM86_UPDATED | 104ull << 32 | 0x1000, 104ull << 32 | 0x1000},
        {true, HVM_PARAM_VM86_TSS_SIZED, 8329ull << 32 | 0x1000, 0,
         VM86_UPDATED | 8329ull << 32 | 0x1000, 8329ull << 32 | 0x1000},
        {true, HVM_PARAM_VM86_TSS_SIZED, 8330ull << 32 | 0x1000, 0,
         VM86_UPDATED | 8329ull << 32 | 0x1000, 8329ull << 32 | 0x1000},
        /* Bit 63 given by the caller is the flag; it is never read back. */
        {false, HVM_PARAM_VM86_TSS_SIZED, ~0ull, 0,
         VM86_UPDATED | 8329ull << 32 | 0xffffffff, 8329ull << 32 | 0xffffffff},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct domain *d = harness_domain(f->hv, &(struct harness_dom_opts){0});
        struct domain *caller = cases[i].self ? d : f->ts;
        bool crash = cases[i].rc && cases[i].self;
        uint64_t v;

        assert_int_equal(set(caller, d->domid, cases[i].index, cases[i].value),
                         cases[i].rc);
        assert_int_equal(d->hvm_params[HVM_PARAM_VM86_TSS_SIZED],
                         cases[i].stored);
        assert_int_equal(d->hvm_params[HVM_PARAM_VM86_TSS], 0);
        assert_int_equal(d->is_shutdown, crash);
        assert_int_equal(rec_domain(d)->shutdowns, crash);
        if (crash)
            assert_int_equal(rec_domain(d)->shutdown_reason, SHUTDOWN_crash);
        assert_int_equal(get(f->ts, d->domid, HVM_PARAM_VM86_TSS_SIZED, &v), 0);
        assert_int_equal(v, cases[i].sized);
        assert_int_equal(get(f->ts, d->domid, HVM_PARAM_VM86_TSS, &v), 0);
        assert_int_equal(v, (uint32_t)cases[i].sized);
        harness_domain_free(d);
    }
}

/*
 * arch/x86/hvm/pmtimer.c:pmtimer_change_ioport(): a domain without an
 * emulated ACPI PM block (has_vpm() false, as every PVH domain and every
 * xenemu domain) answers -ENODEV for any value, guest or toolstack, and the
 * parameter stays 0.  xenemu has no vPM at all, so this is its answer for
 * every domain (deliberate, "HVM_PARAM_ACPI_IOPORTS_LOCATION" in
 * docs/hypercalls.md).
 */
static void test_acpi_ioports_location(void **state)
{
    struct fixture *f = *state;
    uint64_t v;

    for (uint64_t value = 0; value < 3; value++) {
        assert_int_equal(
            set(f->d, DOMID_SELF, HVM_PARAM_ACPI_IOPORTS_LOCATION, value),
            -XEN_ENODEV);
        assert_int_equal(
            set(f->ts, f->d->domid, HVM_PARAM_ACPI_IOPORTS_LOCATION, value),
            -XEN_ENODEV);
    }
    assert_int_equal(get(f->d, DOMID_SELF, HVM_PARAM_ACPI_IOPORTS_LOCATION, &v),
                     0);
    assert_int_equal(v, 0);
    assert_false(f->d->is_shutdown);
}

/* hvm_set_param()'s checks of the values only the toolstack may set, each
 * on a fresh domain (set-once parameters are tested below). */
static void test_toolstack_value_checks(void **state)
{
    static const struct {
        uint32_t index;
        uint64_t value;
        long rc;
        uint32_t flags; /* extra XEN_DOMCTL_CDF_* flags */
    } cases[] = {
        /* TIMER_MODE: up to HVMPTM_one_missed_tick_pending (3). */
        {HVM_PARAM_TIMER_MODE, HVMPTM_one_missed_tick_pending, 0, 0},
        {HVM_PARAM_TIMER_MODE, 4, -XEN_EINVAL, 0},
        /* VIRIDIAN: HVMPV_base_freq required, only HVMPV_feature_mask
         * bits (public/hvm/params.h). */
        {HVM_PARAM_VIRIDIAN, 0, -XEN_EINVAL, 0},
        {HVM_PARAM_VIRIDIAN, HVMPV_no_freq, -XEN_EINVAL, 0},
        {HVM_PARAM_VIRIDIAN, HVMPV_base_freq, 0, 0},
        {HVM_PARAM_VIRIDIAN, HVMPV_feature_mask, 0, 0},
        {HVM_PARAM_VIRIDIAN, HVMPV_base_freq | (HVMPV_cpu_hotplug << 1),
         -XEN_EINVAL, 0},
        {HVM_PARAM_VIRIDIAN, HVMPV_base_freq | 1ull << 32, -XEN_EINVAL, 0},
        /* ALTP2M: XSM_PRIV (the toolstack is), at most
         * XEN_ALTP2M_limited, not with nested virtualisation. */
        {HVM_PARAM_ALTP2M, XEN_ALTP2M_limited, 0, 0},
        {HVM_PARAM_ALTP2M, XEN_ALTP2M_limited + 1, -XEN_EINVAL, 0},
        {HVM_PARAM_ALTP2M, XEN_ALTP2M_mixed, -XEN_EINVAL,
         XEN_DOMCTL_CDF_nested_virt},
        {HVM_PARAM_ALTP2M, 0, 0, XEN_DOMCTL_CDF_nested_virt},
        /* TRIPLE_FAULT_REASON: a SHUTDOWN_* reason (public/sched.h). */
        {HVM_PARAM_TRIPLE_FAULT_REASON, SHUTDOWN_MAX, 0, 0},
        {HVM_PARAM_TRIPLE_FAULT_REASON, SHUTDOWN_MAX + 1, -XEN_EINVAL, 0},
        /* NR_IOREQ_SERVER_PAGES: 1 .. bits of an unsigned long. */
        {HVM_PARAM_NR_IOREQ_SERVER_PAGES, 0, -XEN_EINVAL, 0},
        {HVM_PARAM_NR_IOREQ_SERVER_PAGES, 1, 0, 0},
        {HVM_PARAM_NR_IOREQ_SERVER_PAGES, 64, 0, 0},
        {HVM_PARAM_NR_IOREQ_SERVER_PAGES, 65, -XEN_EINVAL, 0},
        /* MCA_CAP: arch/x86/cpu/mcheck/vmce.c:vmce_enable_mca_cap(): only
         * XEN_HVM_MCA_CAP_LMCE, and that only with host LMCE support,
         * which xenemu (no vMCE) never has (deliberate,
         * "HVM_PARAM_MCA_CAP" in docs/hypercalls.md). */
        {HVM_PARAM_MCA_CAP, 0, 0, 0},
        {HVM_PARAM_MCA_CAP, XEN_HVM_MCA_CAP_LMCE, -XEN_EINVAL, 0},
        {HVM_PARAM_MCA_CAP, 2, -XEN_EINVAL, 0},
        /* ACPI_S_STATE: 0 (resume) or 3 (suspend), else -EINVAL.
         * Deliberate: xenemu has no S3 (no firmware or device model), so 3
         * is -EOPNOTSUPP where Xen's hvm_s3_suspend() succeeds. */
        {HVM_PARAM_ACPI_S_STATE, 0, 0, 0},
        {HVM_PARAM_ACPI_S_STATE, 3, -XEN_EOPNOTSUPP, 0},
        {HVM_PARAM_ACPI_S_STATE, 1, -XEN_EINVAL, 0},
        /* IDENT_PT and the ioreq frames: stored as given. */
        {HVM_PARAM_IDENT_PT, 0xfeffd000, 0, 0},
        {HVM_PARAM_IOREQ_SERVER_PFN, 0xff000, 0, 0},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct domain *d = harness_domain(f->hv, &(struct harness_dom_opts){0});
        /* Unchanged by a refused set (TRIPLE_FAULT_REASON starts at
         * SHUTDOWN_reboot, hv/domain.c). */
        uint64_t before = d->hvm_params[cases[i].index], v;

        /* xenemu refuses to create a nested-virt domain: set it by hand. */
        d->cdf_flags |= cases[i].flags;
        assert_int_equal(set(f->ts, d->domid, cases[i].index, cases[i].value),
                         cases[i].rc);
        assert_int_equal(d->hvm_params[cases[i].index],
                         cases[i].rc ? before : cases[i].value);
        assert_int_equal(get(f->ts, d->domid, cases[i].index, &v), 0);
        assert_int_equal(v, d->hvm_params[cases[i].index]);
        /* The C API (hvm_param_set()) applies the same checks. */
        if (cases[i].rc)
            assert_int_equal(hvm_param_set(d, cases[i].index, cases[i].value),
                             cases[i].rc);
        assert_false(d->is_shutdown); /* only a guest's own set crashes */
        harness_domain_free(d);
    }
}

/* hvm_allow_set_param() / hvm_allow_get_param() for a guest on itself:
 * STORE_PFN, CONSOLE_PFN and ALTP2M are readable only; anything not listed
 * is -EPERM; the deprecated parameters are -EINVAL; hvmop_get_param()
 * copies nothing back on an error. */
static void test_guest_permissions_on_itself(void **state)
{
    static const struct {
        uint32_t index;
        long set_rc, get_rc;
    } cases[] = {
        {HVM_PARAM_STORE_PFN, -XEN_EPERM, 0},
        {HVM_PARAM_CONSOLE_PFN, -XEN_EPERM, 0},
        {HVM_PARAM_ALTP2M, -XEN_EPERM, 0},
        {HVM_PARAM_IDENT_PT, -XEN_EPERM, -XEN_EPERM},
        {HVM_PARAM_VIRIDIAN, -XEN_EPERM, -XEN_EPERM},
        {HVM_PARAM_TIMER_MODE, -XEN_EPERM, -XEN_EPERM},
        {HVM_PARAM_IOREQ_PFN, -XEN_EPERM, -XEN_EPERM},
        {HVM_PARAM_MCA_CAP, -XEN_EPERM, -XEN_EPERM},
        {HVM_PARAM_PAE_ENABLED, -XEN_EINVAL, -XEN_EINVAL},
        {HVM_PARAM_DM_DOMAIN, -XEN_EINVAL, -XEN_EINVAL},
        {HVM_PARAM_MEMORY_EVENT_CR0, -XEN_EINVAL, -XEN_EINVAL},
        {HVM_PARAM_NESTEDHVM, -XEN_EINVAL, -XEN_EINVAL},
        {HVM_PARAM_BUFIOREQ_EVTCHN, -XEN_EINVAL, -XEN_EINVAL},
        {HVM_PARAM_MEMORY_EVENT_MSR, -XEN_EINVAL, -XEN_EINVAL},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t v;

        assert_int_equal(set(f->d, DOMID_SELF, cases[i].index, 1),
                         cases[i].set_rc);
        assert_int_equal(f->d->hvm_params[cases[i].index], 0);
        assert_int_equal(get(f->d, DOMID_SELF, cases[i].index, &v),
                         cases[i].get_rc);
        if (cases[i].get_rc == 0)
            assert_int_equal(v, 0);
        else
            assert_int_equal(v, 0xbadbadbadull); /* nothing copied back */
    }
}

/* hvmop_set_param() / hvmop_get_param(): index (-EINVAL) before
 * rcu_lock_domain_by_any_id() (-ESRCH, DOMID_IO included), then is_hvm
 * (-EINVAL, dom0 being PV in xenemu's model), then XSM_TARGET (-EPERM). */
static void test_lookup_and_control_errors(void **state)
{
    struct fixture *f = *state;
    struct domain *other = harness_domain(f->hv, &(struct harness_dom_opts){0});
    static const unsigned int ops[] = {HVMOP_set_param, HVMOP_get_param};

    for (size_t i = 0; i < 2; i++) {
        uint64_t v = 1;

        /* Index first, then the domain, HVM, control. */
        assert_int_equal(param(f->d, ops[i], NOT_A_DOMID, HVM_NR_PARAMS, &v),
                         -XEN_EINVAL);
        assert_int_equal(param(f->d, ops[i], DOMID_SELF, 0xffffffffu, &v),
                         -XEN_EINVAL);
        assert_int_equal(
            param(f->d, ops[i], NOT_A_DOMID, HVM_PARAM_CALLBACK_IRQ, &v),
            -XEN_ESRCH);
        assert_int_equal(
            param(f->d, ops[i], DOMID_IO, HVM_PARAM_CALLBACK_IRQ, &v),
            -XEN_ESRCH);
        /* dom0 is not an HVM domain, even for the toolstack. */
        assert_int_equal(param(f->d, ops[i], 0, HVM_PARAM_CALLBACK_IRQ, &v),
                         -XEN_EINVAL);
        assert_int_equal(param(f->ts, ops[i], 0, HVM_PARAM_STORE_PFN, &v),
                         -XEN_EINVAL);
        assert_int_equal(
            param(f->d, ops[i], other->domid, HVM_PARAM_CALLBACK_IRQ, &v),
            -XEN_EPERM);
    }
    assert_int_equal(other->hvm_params[HVM_PARAM_CALLBACK_IRQ], 0);
    harness_domain_free(other);
}

/* hvmop_set_param() / hvmop_get_param() /
 * hvmop_set_evtchn_upcall_vector(): copy_from_guest() fails: -EFAULT. */
static void test_bad_argument_faults(void **state)
{
    struct fixture *f = *state;

    for (unsigned int op = HVMOP_set_param; op <= HVMOP_get_param; op++)
        assert_int_equal(
            harness_hypercall(f->d, 0, __HYPERVISOR_hvm_op, op, BAD_GPA, 0),
            -XEN_EFAULT);
    assert_int_equal(harness_hypercall(f->d, 0, __HYPERVISOR_hvm_op,
                                       HVMOP_set_evtchn_upcall_vector, BAD_GPA,
                                       0),
                     -XEN_EFAULT);
}

/* XSM_TARGET lets the controlling domain set and read what the guest may
 * not; the deprecated list (-EINVAL) applies to it too. */
static void test_toolstack_sets_guest_params(void **state)
{
    struct fixture *f = *state;
    uint64_t v;

    assert_int_equal(set(f->ts, f->d->domid, HVM_PARAM_STORE_PFN, 0xfeffc), 0);
    assert_int_equal(set(f->ts, f->d->domid, HVM_PARAM_IDENT_PT, 0xfeffd000),
                     0);
    assert_int_equal(get(f->d, DOMID_SELF, HVM_PARAM_STORE_PFN, &v), 0);
    assert_int_equal(v, 0xfeffc);
    assert_int_equal(get(f->ts, f->d->domid, HVM_PARAM_IDENT_PT, &v), 0);
    assert_int_equal(v, 0xfeffd000);
    /* Deprecated parameters are refused to the toolstack too. */
    assert_int_equal(set(f->ts, f->d->domid, HVM_PARAM_PAE_ENABLED, 1),
                     -XEN_EINVAL);
    assert_int_equal(get(f->ts, f->d->domid, HVM_PARAM_NESTEDHVM, &v),
                     -XEN_EINVAL);
}

/*
 * hvm_allow_set_param(): the set-once parameters refuse a change from a
 * non-zero value (-EEXIST) before hvm_set_param() looks at the value; the
 * same value passes on to the value checks.
 */
static void test_set_once_params(void **state)
{
    static const struct {
        uint32_t index;
        uint64_t first, second; /* both valid for hvm_set_param() */
    } once[] = {
        {HVM_PARAM_VIRIDIAN, HVMPV_base_freq, HVMPV_base_freq | HVMPV_no_freq},
        {HVM_PARAM_IOREQ_PFN, 3, 4},
        {HVM_PARAM_BUFIOREQ_PFN, 3, 4},
        {HVM_PARAM_IOREQ_SERVER_PFN, 3, 4},
        {HVM_PARAM_NR_IOREQ_SERVER_PAGES, 3, 4},
        {HVM_PARAM_ALTP2M, XEN_ALTP2M_limited, XEN_ALTP2M_mixed},
    };
    struct fixture *f = *state;
    domid_t id = f->d->domid;

    for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
        assert_int_equal(set(f->ts, id, once[i].index, once[i].first), 0);
        assert_int_equal(set(f->ts, id, once[i].index, once[i].first), 0);
        assert_int_equal(set(f->ts, id, once[i].index, once[i].second),
                         -XEN_EEXIST);
        assert_int_equal(set(f->ts, id, once[i].index, 0), -XEN_EEXIST);
        assert_int_equal(f->d->hvm_params[once[i].index], once[i].first);
    }
    /* MCA_CAP accepts only 0 here (no LMCE), so give it a value as a host
     * with LMCE would have: a change is -EEXIST first, the same value then
     * fails vmce_enable_mca_cap(). */
    f->d->hvm_params[HVM_PARAM_MCA_CAP] = XEN_HVM_MCA_CAP_LMCE;
    assert_int_equal(set(f->ts, id, HVM_PARAM_MCA_CAP, 2), -XEN_EEXIST);
    assert_int_equal(set(f->ts, id, HVM_PARAM_MCA_CAP, XEN_HVM_MCA_CAP_LMCE),
                     -XEN_EINVAL);
    /* Other parameters change freely. */
    assert_int_equal(set(f->ts, id, HVM_PARAM_STORE_PFN, 1), 0);
    assert_int_equal(set(f->ts, id, HVM_PARAM_STORE_PFN, 2), 0);
}

/*
 * Xen 4.19's hvm_allow_set_param() makes HVM_PARAM_ALTP2M read-only (set
 * at creation from altp2m_opts): -EEXIST for every caller and value, the
 * guest included, ahead of its -EPERM.  Up to 4.18 it is set-once.
 */
static void test_altp2m_param_by_version(void **state)
{
    static const struct {
        uint32_t version;
        long guest_rc, ts_rc;
    } cases[] = {
        {XENEMU_VERSION(4, 17), -XEN_EPERM, 0},
        {XENEMU_VERSION(4, 18), -XEN_EPERM, 0},
        {XENEMU_VERSION(4, 19), -XEN_EEXIST, -XEN_EEXIST},
        {XENEMU_VERSION(4, 20), -XEN_EEXIST, -XEN_EEXIST},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct domain *d = harness_domain(
            f->hv, &(struct harness_dom_opts){.xen_version = cases[i].version});
        uint64_t v;

        assert_int_equal(set(d, DOMID_SELF, HVM_PARAM_ALTP2M, 0),
                         cases[i].guest_rc);
        assert_int_equal(set(f->ts, d->domid, HVM_PARAM_ALTP2M, 0),
                         cases[i].ts_rc);
        assert_int_equal(set(f->ts, d->domid, HVM_PARAM_ALTP2M, 1),
                         cases[i].ts_rc);
        assert_int_equal(get(d, DOMID_SELF, HVM_PARAM_ALTP2M, &v), 0);
        assert_int_equal(v, cases[i].ts_rc ? 0 : 1);
        harness_domain_free(d);
    }
}

/* The host's FPU stores CS/DS as zero: CPUID.(7,0).EBX bit 13
 * (X86_FEATURE_NO_FPU_SEL, public/arch-x86/cpufeatureset.h). */
static uint64_t host_fip_width(void)
{
    unsigned int a, b, c, d;

    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 13)) ? 8 : 0;
}

/*
 * hvm_set_param(): X87_FIP_WIDTH is 0, 4 or 8, else -EINVAL.
 * hvm_get_param() reads d->arch.x87_fip_width, which starts at 8 on a host
 * whose FPU does not save the selectors, else 0
 * (arch/x86/domain.c:arch_domain_create()).
 */
static void test_x87_fip_width_values(void **state)
{
    static const struct {
        uint64_t value;
        long rc;
    } cases[] = {{4, 0},
                 {8, 0},
                 {0, 0},
                 {1, -XEN_EINVAL},
                 {2, -XEN_EINVAL},
                 {16, -XEN_EINVAL},
                 {(1ull << 32) | 4, -XEN_EINVAL}};
    struct fixture *f = *state;
    uint64_t v, width = host_fip_width();

    assert_int_equal(get(f->d, DOMID_SELF, HVM_PARAM_X87_FIP_WIDTH, &v), 0);
    assert_int_equal(v, width);
    assert_int_equal(hvm_x87_fip_default(), width);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].rc == 0)
            width = cases[i].value;
        assert_int_equal(
            set(f->d, DOMID_SELF, HVM_PARAM_X87_FIP_WIDTH, cases[i].value),
            cases[i].rc);
        assert_int_equal(get(f->d, DOMID_SELF, HVM_PARAM_X87_FIP_WIDTH, &v), 0);
        assert_int_equal(v, width);
    }
}

/* HVMOP_set_param(CALLBACK_IRQ) from a vCPU in 32-bit mode. */
static long compat_set_callback(struct domain *d, uint64_t via)
{
    struct xen_hvm_param a = {
        .domid = DOMID_SELF, .index = HVM_PARAM_CALLBACK_IRQ, .value = via};
    uint64_t args[5] = {HVMOP_set_param, HARNESS_ARG_GPA, 0, 0, 0};
    struct hv_call call;

    assert_int_equal(gpa_write(d, HARNESS_ARG_GPA, &a, sizeof(a)), 0);
    hv_call_init(&call, d->vcpus[0], true, false, 0);
    return hypercall_dispatch(&call, __HYPERVISOR_hvm_op, args);
}

/* hvm_set_param() CALLBACK_IRQ: hvm_latch_shinfo_size() takes the
 * layout from the calling vCPU's mode, only when the guest sets its own
 * (the latch reads current's mode; xenemu leaves a toolstack set alone). */
static void test_callback_irq_latches_shinfo_size(void **state)
{
    struct fixture *f = *state;
    uint64_t v;

    assert_int_equal(compat_set_callback(f->d, VIA_VECTOR | 0xf3), 0);
    assert_true(f->d->shinfo_compat);
    assert_int_equal(f->d->hvm_params[HVM_PARAM_CALLBACK_IRQ],
                     VIA_VECTOR | 0xf3);
    /* The same layout serves a 32-bit get. */
    assert_int_equal(get(f->d, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, &v), 0);
    assert_int_equal(v, VIA_VECTOR | 0xf3);

    assert_int_equal(set(f->d, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, 0), 0);
    assert_false(f->d->shinfo_compat);

    /* The toolstack's set says nothing about the guest's mode. */
    domain_latch_shinfo_compat(f->d, true);
    assert_int_equal(set(f->ts, f->d->domid, HVM_PARAM_CALLBACK_IRQ, 1), 0);
    assert_true(f->d->shinfo_compat);
}

/* hvm_set_param() CALLBACK_IRQ: arch/x86/hvm/irq.c:hvm_set_callback_via()
 * re-asserts an upcall pending on an online vCPU through the new via. */
static void test_callback_irq_reasserts_pending_upcalls(void **state)
{
    struct fixture *f = *state;
    struct shared_info *s = shinfo(f->d);

    /* vCPU 0 (up) and vCPU 1 (down) both have an upcall pending. */
    s->vcpu_info[0].evtchn_upcall_pending = 1;
    s->vcpu_info[1].evtchn_upcall_pending = 1;
    assert_int_equal(
        set(f->d, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, VIA_VECTOR | 0xf3), 0);
    assert_int_equal(kicks(f->d, 0), 1);
    assert_int_equal(kicks(f->d, 1), 0);

    /* Nothing pending: no kick.  A failed set kicks nobody either. */
    s->vcpu_info[0].evtchn_upcall_pending = 0;
    assert_int_equal(set(f->d, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, 0), 0);
    assert_int_equal(kicks(f->d, 0), 1);
    s->vcpu_info[0].evtchn_upcall_pending = 1;
    assert_int_equal(set(f->d, DOMID_SELF, HVM_PARAM_STORE_PFN, 0), -XEN_EPERM);
    assert_int_equal(kicks(f->d, 0), 1);
}

/* hvmop_set_evtchn_upcall_vector(): vector < 0x10 -EINVAL, then
 * domain_vcpu() -ENOENT. */
static void test_upcall_vector_errors(void **state)
{
    static const struct {
        uint32_t vcpu;
        uint8_t vector;
        long rc;
    } cases[] = {
        {0, 0x00, -XEN_EINVAL}, {0, 0x0f, -XEN_EINVAL},
        {2, 0x0f, -XEN_EINVAL}, /* vector checked before vCPU */
        {2, 0x20, -XEN_ENOENT}, {0xffffffffu, 0x20, -XEN_ENOENT},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(upcall_vector(f->d, cases[i].vcpu, cases[i].vector),
                         cases[i].rc);
    assert_int_equal(f->d->vcpus[0]->upcall_vector, 0);
}

/* hvmop_set_evtchn_upcall_vector(): -EINVAL for a non-HVM caller, before
 * the argument is read: dom0 (the host, not HVM) has no upcall vectors. */
static void test_upcall_vector_needs_hvm(void **state)
{
    struct fixture *f = *state;
    struct domain *d0 = domain_get(f->hv, 0);
    struct xen_hvm_evtchn_upcall_vector op = {.vcpu = 0, .vector = 0x40};
    uint64_t args[5] = {HVMOP_set_evtchn_upcall_vector, 8, 0, 0, 0};

    memcpy(harness_dom0_mem + 8, &op, sizeof(op));
    assert_int_equal(harness_dom0_hypercall(f->hv, __HYPERVISOR_hvm_op, args),
                     -XEN_EINVAL);
    assert_int_equal(d0->vcpus[0]->upcall_vector, 0);
    domain_put(d0);
}

/* hvmop_set_evtchn_upcall_vector(): the vector is set and
 * hvm_assert_evtchn_irq() delivers an upcall already pending. */
static void test_upcall_vector_set_and_kick(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(upcall_vector(f->d, 1, 0x10), 0);
    assert_int_equal(f->d->vcpus[1]->upcall_vector, 0x10);
    assert_int_equal(kicks(f->d, 1), 0); /* nothing pending */

    shinfo(f->d)->vcpu_info[1].evtchn_upcall_pending = 1;
    assert_int_equal(upcall_vector(f->d, 1, 0xec), 0);
    assert_int_equal(f->d->vcpus[1]->upcall_vector, 0xec);
    assert_int_equal(kicks(f->d, 1), 1);
    assert_int_equal(f->d->vcpus[0]->upcall_vector, 0);
}

/* arch/x86/hvm/irq.c:hvm_assert_evtchn_irq(): a per-vCPU vector wins; otherwise
 * a via of type vector delivers its low 8 bits; GSI and PCI INTx vias have no
 * vector (and on PVH no vIOAPIC/vPIC to reach). */
static void test_callback_vector_query(void **state)
{
    static const struct {
        uint64_t via;
        uint8_t per_vcpu;
        uint8_t want;
    } cases[] = {
        {0, 0, 0},
        {VIA_VECTOR | 0xf3, 0, 0xf3},
        {VIA_VECTOR | 0x1f3, 0, 0xf3}, /* low 8 bits */
        {VIA_GSI(5), 0, 0},
        {(uint64_t)HVM_PARAM_CALLBACK_TYPE_PCI_INTX << 56 | 3, 0, 0},
        {VIA_VECTOR | 0xf3, 0x40, 0x40}, /* per-vCPU vector wins */
        {VIA_GSI(5), 0x41, 0x41},
        {0, 0x42, 0x42},
    };
    struct fixture *f = *state;
    struct vcpu *v = f->d->vcpus[0];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(
            hvm_param_set(f->d, HVM_PARAM_CALLBACK_IRQ, cases[i].via), 0);
        v->upcall_vector = cases[i].per_vcpu;
        assert_int_equal(hvm_callback_vector(v), cases[i].want);
    }
}

/* hvm_param_set() / hvm_param_get(): xenemu's toolstack interface, with
 * hvmop_*_param()'s index check and hvm_set_param()'s value checks. */
static void test_toolstack_api(void **state)
{
    struct fixture *f = *state;
    uint64_t v = 7;

    assert_int_equal(hvm_param_set(f->d, HVM_NR_PARAMS, 1), -XEN_EINVAL);
    assert_int_equal(hvm_param_get(f->d, HVM_NR_PARAMS, &v), -XEN_EINVAL);
    assert_int_equal(v, 7);
    assert_int_equal(hvm_param_set(f->d, HVM_PARAM_DM_DOMAIN, 1), -XEN_EINVAL);
    assert_int_equal(hvm_param_get(f->d, HVM_PARAM_DM_DOMAIN, &v), -XEN_EINVAL);
    /* No guest permission checks: what the guest may not touch. */
    assert_int_equal(hvm_param_set(f->d, HVM_PARAM_STORE_PFN, 0xfeffc), 0);
    assert_int_equal(hvm_param_get(f->d, HVM_PARAM_STORE_PFN, &v), 0);
    assert_int_equal(v, 0xfeffc);
    /* Value checks stay. */
    assert_int_equal(hvm_param_set(f->d, HVM_PARAM_VIRIDIAN, 1), 0);
    assert_int_equal(hvm_param_set(f->d, HVM_PARAM_VIRIDIAN, 2), -XEN_EEXIST);
    assert_int_equal(hvm_param_set(f->d, HVM_PARAM_X87_FIP_WIDTH, 5),
                     -XEN_EINVAL);
}

/* do_hvm_op(): every op without a case is -ENOSYS: the PCI/ISA interrupt
 * ops (2, 3, 4) and the memory ops (6, 7, 8) that moved to dm_op, an
 * unassigned number, and a set_param with bits above 32 (the op is an
 * unsigned long). */
static void test_unknown_hvmops(void **state)
{
    static const uint64_t ops[] = {
        2, 3, 4, 6, 7, 8, 12, 1000, HVMOP_set_param | (1ull << 32)};
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        assert_int_equal(harness_hypercall(f->d, 0, __HYPERVISOR_hvm_op, ops[i],
                                           HARNESS_ARG_GPA, 0),
                         -XEN_ENOSYS);
}

static long hvm_raw(struct domain *d, uint64_t op, uint64_t arg)
{
    return harness_hypercall(d, 0, __HYPERVISOR_hvm_op, op, arg, 0);
}

/* do_hvm_op() HVMOP_flush_tlbs: a non-NULL argument is -EINVAL;
 * hvmop_flush_tlb_all(): -EINVAL unless the caller is HVM, else 0.  The
 * 0 is Xen's; that nothing is flushed is xenemu's (deliberate,
 * "hvm_op flush_tlbs" in docs/hypercalls.md). */
static void test_flush_tlbs(void **state)
{
    struct fixture *f = *state;
    struct domain *d0 = domain_get(f->hv, 0);
    uint64_t args[5] = {HVMOP_flush_tlbs, 0, 0, 0, 0};
    struct hv_call call;

    assert_int_equal(hvm_raw(f->d, HVMOP_flush_tlbs, 0), 0);
    assert_int_equal(hvm_raw(f->d, HVMOP_flush_tlbs, HARNESS_ARG_GPA),
                     -XEN_EINVAL);
    assert_int_equal(hvm_raw(f->d, HVMOP_flush_tlbs, BAD_GPA), -XEN_EINVAL);
    hv_call_init(&call, d0->vcpus[0], false, false, 0);
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_hvm_op, args),
                     -XEN_EINVAL);
    domain_put(d0);
}

static long pagetable_dying(struct domain *caller, domid_t domid)
{
    struct xen_hvm_pagetable_dying a = {.domid = domid, .gpa = 0x5000};

    return harness_op(caller, 0, __HYPERVISOR_hvm_op, HVMOP_pagetable_dying, &a,
                      sizeof(a));
}

/* do_hvm_op() HVMOP_pagetable_dying: copy (-EFAULT), lookup (-ESRCH),
 * another domain (-EOPNOTSUPP, the toolstack too), then -EINVAL unless
 * the domain is HVM with shadow paging, where the hint is taken (0). */
static void test_pagetable_dying(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(hvm_raw(f->d, HVMOP_pagetable_dying, BAD_GPA),
                     -XEN_EFAULT);
    assert_int_equal(pagetable_dying(f->d, NOT_A_DOMID), -XEN_ESRCH);
    assert_int_equal(pagetable_dying(f->d, f->ts->domid), -XEN_EOPNOTSUPP);
    assert_int_equal(pagetable_dying(f->ts, f->d->domid), -XEN_EOPNOTSUPP);
    assert_int_equal(pagetable_dying(f->d, 0), -XEN_EOPNOTSUPP);
    /* HAP (every harness domain): -EINVAL. */
    assert_int_equal(pagetable_dying(f->d, DOMID_SELF), -XEN_EINVAL);
    assert_int_equal(pagetable_dying(f->d, f->d->domid), -XEN_EINVAL);
    /* A domain created without hap would be shadow-paged in Xen. */
    f->d->cdf_flags &= ~XEN_DOMCTL_CDF_hap;
    assert_int_equal(pagetable_dying(f->d, DOMID_SELF), 0);
    f->d->cdf_flags |= XEN_DOMCTL_CDF_hap;
}

/* do_hvm_op() HVMOP_get_time: NOW() (system time, hv_now_ns()) copied
 * out, -EFAULT if it cannot be. */
static void test_get_time(void **state)
{
    struct fixture *f = *state;
    struct xen_hvm_get_time t = {.now = 0};
    uint64_t before = hv_now_ns(f->hv), after;

    assert_int_equal(
        harness_op(f->d, 0, __HYPERVISOR_hvm_op, HVMOP_get_time, &t, sizeof(t)),
        0);
    after = hv_now_ns(f->hv);
    assert_in_range(t.now, before, after);
    assert_int_equal(hvm_raw(f->d, HVMOP_get_time, BAD_GPA), -XEN_EFAULT);
}

static long xentrace(struct domain *d, uint16_t event, uint16_t extra_bytes)
{
    struct xen_hvm_xentrace tr = {.event = event, .extra_bytes = extra_bytes};

    return harness_op(d, 0, __HYPERVISOR_hvm_op, HVMOP_xentrace, &tr,
                      sizeof(tr));
}

/* do_hvm_op() HVMOP_xentrace: -EFAULT, then -EINVAL for more extra bytes
 * than the record holds (TRACE_EXTRA_MAX words) or an event with bits at
 * or above TRC_SUBCLS_SHIFT (public/trace.h); else 0 (trace_var() drops it
 * while no trace buffers are set up, as in xenemu always: deliberate,
 * "hvm_op xentrace" in docs/hypercalls.md). */
static void test_xentrace(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(hvm_raw(f->d, HVMOP_xentrace, BAD_GPA), -XEN_EFAULT);
    assert_int_equal(xentrace(f->d, 0, 0), 0);
    assert_int_equal(xentrace(f->d, 0xfff, TRACE_EXTRA_MAX * 4), 0);
    assert_int_equal(xentrace(f->d, 0, TRACE_EXTRA_MAX * 4 + 1), -XEN_EINVAL);
    assert_int_equal(xentrace(f->d, 0x1000, 0), -XEN_EINVAL);
    assert_int_equal(xentrace(f->d, 0x8001, 0), -XEN_EINVAL);
}

static long mem_type(struct domain *caller, domid_t domid, uint64_t pfn,
                     uint16_t *type)
{
    struct xen_hvm_get_mem_type a = {
        .domid = domid, .mem_type = 0xbad, .pfn = pfn};
    long rc = harness_op(caller, 0, __HYPERVISOR_hvm_op, HVMOP_get_mem_type, &a,
                         sizeof(a));

    *type = a.mem_type;
    return rc;
}

/* hvmop_get_mem_type(): copy, lookup (-ESRCH), XSM_TARGET (-EPERM), not
 * HVM (-EINVAL); then the p2m type: RAM is HVMMEM_ram_rw, a frame that is
 * not memory (p2m_invalid / mmio) HVMMEM_mmio_dm.  xenemu has no p2m
 * types, so only these two answers exist (deliberate, "hvm_op
 * get_mem_type" in docs/hypercalls.md). */
static void test_get_mem_type(void **state)
{
    struct fixture *f = *state;
    struct domain *other = harness_domain(f->hv, &(struct harness_dom_opts){0});
    uint16_t t;

    assert_int_equal(hvm_raw(f->d, HVMOP_get_mem_type, BAD_GPA), -XEN_EFAULT);
    assert_int_equal(mem_type(f->d, NOT_A_DOMID, 0, &t), -XEN_ESRCH);
    assert_int_equal(mem_type(f->d, other->domid, 0, &t), -XEN_EPERM);
    assert_int_equal(t, 0xbad);
    assert_int_equal(mem_type(f->ts, 0, 0, &t), -XEN_EINVAL);

    assert_int_equal(mem_type(f->d, DOMID_SELF, 0, &t), 0);
    assert_int_equal(t, HVMMEM_ram_rw);
    assert_int_equal(mem_type(f->d, DOMID_SELF, HARNESS_RAM_PAGES - 1, &t), 0);
    assert_int_equal(t, HVMMEM_ram_rw);
    assert_int_equal(mem_type(f->d, DOMID_SELF, HARNESS_RAM_PAGES, &t), 0);
    assert_int_equal(t, HVMMEM_mmio_dm);
    assert_int_equal(mem_type(f->d, DOMID_SELF, UINT64_MAX, &t), 0);
    assert_int_equal(t, HVMMEM_mmio_dm);
    assert_int_equal(mem_type(f->ts, f->d->domid, 1, &t), 0);
    assert_int_equal(t, HVMMEM_ram_rw);
    harness_domain_free(other);
}

/* do_hvm_op() HVMOP_guest_request_vm_event: NULL argument 0
 * (common/monitor.c:monitor_guest_request(): nothing
 * subscribed), else -EINVAL.  xenemu has no vm_event (deliberate, see
 * docs/hypercalls.md). */
static void test_guest_request_vm_event(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(hvm_raw(f->d, HVMOP_guest_request_vm_event, 0), 0);
    assert_int_equal(
        hvm_raw(f->d, HVMOP_guest_request_vm_event, HARNESS_ARG_GPA),
        -XEN_EINVAL);
}

/* do_altp2m_op() / compat_altp2m_op(): -EOPNOTSUPP while
 * hvm_altp2m_supported() is false, i.e. unless Xen booted with altp2m=1
 * (the default is off), before the argument is read.  xenemu keeps altp2m
 * off always (deliberate, see docs/hypercalls.md). */
static void test_altp2m_op(void **state)
{
    struct fixture *f = *state;
    uint64_t args[5] = {HVMOP_altp2m, BAD_GPA, 0, 0, 0};
    struct hv_call call;

    assert_int_equal(hvm_raw(f->d, HVMOP_altp2m, HARNESS_ARG_GPA),
                     -XEN_EOPNOTSUPP);
    assert_int_equal(hvm_raw(f->d, HVMOP_altp2m, BAD_GPA), -XEN_EOPNOTSUPP);
    hv_call_init(&call, f->d->vcpus[0], true, false, 0);
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_hvm_op, args),
                     -XEN_EOPNOTSUPP);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_guest_sets_and_reads_own_params),
        T(test_vm86_tss_values),
        T(test_acpi_ioports_location),
        T(test_toolstack_value_checks),
        T(test_guest_permissions_on_itself),
        T(test_lookup_and_control_errors),
        T(test_bad_argument_faults),
        T(test_toolstack_sets_guest_params),
        T(test_set_once_params),
        T(test_altp2m_param_by_version),
        T(test_x87_fip_width_values),
        T(test_callback_irq_latches_shinfo_size),
        T(test_callback_irq_reasserts_pending_upcalls),
        T(test_upcall_vector_errors),
        T(test_upcall_vector_needs_hvm),
        T(test_upcall_vector_set_and_kick),
        T(test_callback_vector_query),
        T(test_toolstack_api),
        T(test_unknown_hvmops),
        T(test_flush_tlbs),
        T(test_pagetable_dying),
        T(test_get_time),
        T(test_xentrace),
        T(test_get_mem_type),
        T(test_guest_request_vm_event),
        T(test_altp2m_op),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
