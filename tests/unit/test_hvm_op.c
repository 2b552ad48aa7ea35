/* test_hvm_op.c: HVMOP_set_param / get_param / set_evtchn_upcall_vector
 * and the toolstack API of <xenemu/hvm.h>. */
#include <string.h>

#include "harness.h"
#include "xenemu/hvm.h"

#define BAD_GPA     ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE)
#define VIA_VECTOR  ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56)
#define VIA_GSI(n)  ((uint64_t)HVM_PARAM_CALLBACK_TYPE_GSI << 56 | (n))
#define NOT_A_DOMID 999

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

static void test_guest_sets_and_reads_own_params(void **state)
{
    static const struct {
        uint32_t index;
        uint64_t value;
    } cases[] = {
        {HVM_PARAM_CALLBACK_IRQ, VIA_VECTOR | 0xf3},
        {HVM_PARAM_VM86_TSS, 0xfeffd000},
        {HVM_PARAM_VM86_TSS_SIZED, 0x12345678},
        {HVM_PARAM_ACPI_IOPORTS_LOCATION, 1},
        {HVM_PARAM_VM_GENERATION_ID_ADDR, 0xfc00000},
        {HVM_PARAM_STORE_EVTCHN, 5},
        {HVM_PARAM_CONSOLE_EVTCHN, 6},
        {HVM_PARAM_X87_FIP_WIDTH, 8},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t v;

        assert_int_equal(set(f->d, DOMID_SELF, cases[i].index, cases[i].value),
                         0);
        assert_int_equal(f->d->hvm_params[cases[i].index], cases[i].value);
        assert_int_equal(get(f->d, DOMID_SELF, cases[i].index, &v), 0);
        assert_int_equal(v, cases[i].value);
        /* Its own domid works like DOMID_SELF. */
        assert_int_equal(get(f->d, f->d->domid, cases[i].index, &v), 0);
        assert_int_equal(v, cases[i].value);
    }
}

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

static void test_set_once_params(void **state)
{
    static const uint32_t once[] = {
        HVM_PARAM_VIRIDIAN,
        HVM_PARAM_IOREQ_PFN,
        HVM_PARAM_BUFIOREQ_PFN,
        HVM_PARAM_IOREQ_SERVER_PFN,
        HVM_PARAM_NR_IOREQ_SERVER_PAGES,
        HVM_PARAM_MCA_CAP,
        HVM_PARAM_ALTP2M,
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
        domid_t id = f->d->domid;

        assert_int_equal(set(f->ts, id, once[i], 0), 0); /* 0 -> 0 */
        assert_int_equal(set(f->ts, id, once[i], 3), 0);
        assert_int_equal(set(f->ts, id, once[i], 3), 0); /* same value */
        assert_int_equal(set(f->ts, id, once[i], 4), -XEN_EEXIST);
        assert_int_equal(set(f->ts, id, once[i], 0), -XEN_EEXIST);
        assert_int_equal(f->d->hvm_params[once[i]], 3);
    }
    /* Other parameters change freely. */
    assert_int_equal(set(f->ts, f->d->domid, HVM_PARAM_STORE_PFN, 1), 0);
    assert_int_equal(set(f->ts, f->d->domid, HVM_PARAM_STORE_PFN, 2), 0);
}

static void test_x87_fip_width_values(void **state)
{
    static const struct {
        uint64_t value;
        long rc;
    } cases[] = {{0, 0},
                 {4, 0},
                 {8, 0},
                 {1, -XEN_EINVAL},
                 {2, -XEN_EINVAL},
                 {16, -XEN_EINVAL},
                 {(1ull << 32) | 4, -XEN_EINVAL}};
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t before = f->d->hvm_params[HVM_PARAM_X87_FIP_WIDTH];

        assert_int_equal(
            set(f->d, DOMID_SELF, HVM_PARAM_X87_FIP_WIDTH, cases[i].value),
            cases[i].rc);
        assert_int_equal(f->d->hvm_params[HVM_PARAM_X87_FIP_WIDTH],
                         cases[i].rc ? before : cases[i].value);
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

/* dom0 (not HVM) has no upcall vectors.  Its arguments are host memory. */
static uint8_t dom0_arg[8];

static int dom0_read(struct hv_call *call, void *dst, uint64_t addr, size_t len)
{
    (void)call;
    (void)addr;
    assert_true(len <= sizeof(dom0_arg));
    memcpy(dst, dom0_arg, len);
    return 0;
}

static int dom0_write(struct hv_call *call, uint64_t addr, const void *src,
                      size_t len)
{
    (void)call;
    (void)addr;
    (void)src;
    (void)len;
    return -XEN_EFAULT;
}

static void test_upcall_vector_needs_hvm(void **state)
{
    static const struct hv_memspace_ops mem = {dom0_read, dom0_write};
    struct fixture *f = *state;
    struct domain *d0 = domain_get(f->hv, 0);
    struct xen_hvm_evtchn_upcall_vector op = {.vcpu = 0, .vector = 0x40};
    uint64_t args[5] = {HVMOP_set_evtchn_upcall_vector, 8, 0, 0, 0};
    struct hv_call call;

    memcpy(dom0_arg, &op, sizeof(op));
    hv_call_init(&call, d0->vcpus[0], false, false, 0);
    call.mem = &mem;
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_hvm_op, args),
                     -XEN_EINVAL);
    assert_int_equal(d0->vcpus[0]->upcall_vector, 0);
    domain_put(d0);
}

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

static void test_unknown_hvmops(void **state)
{
    /* set_pci_intx_level (2), flush_tlbs (5), pagetable_dying (9),
     * get_time (10), altp2m (25), a set_param with high bits, nonsense. */
    static const uint64_t ops[] = {
        2, 5, 9, 10, 25, HVMOP_set_param | (1ull << 32), 1000};
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        assert_int_equal(harness_hypercall(f->d, 0, __HYPERVISOR_hvm_op, ops[i],
                                           HARNESS_ARG_GPA, 0),
                         -XEN_ENOSYS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_guest_sets_and_reads_own_params),
        T(test_guest_permissions_on_itself),
        T(test_lookup_and_control_errors),
        T(test_bad_argument_faults),
        T(test_toolstack_sets_guest_params),
        T(test_set_once_params),
        T(test_x87_fip_width_values),
        T(test_callback_irq_latches_shinfo_size),
        T(test_callback_irq_reasserts_pending_upcalls),
        T(test_upcall_vector_errors),
        T(test_upcall_vector_needs_hvm),
        T(test_upcall_vector_set_and_kick),
        T(test_callback_vector_query),
        T(test_toolstack_api),
        T(test_unknown_hvmops),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
