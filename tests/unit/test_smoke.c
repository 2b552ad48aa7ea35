/* test_smoke.c: the core comes up, an IPI reaches its vCPU, and the
 * dispatcher's own rules (xen/arch/x86/hvm/hypercall.c:hvm_hypercall()). */
#include "harness.h"

/* Port 1 is the first free one (port 0 is reserved):
 * xen/common/event_channel.c:get_free_port() via evtchn_bind_ipi().
 * Sending it sets its pending bit, bit 0 of the selector and the vCPU's
 * upcall flag: xen/common/event_2l.c:evtchn_2l_set_pending() and
 * xen/arch/x86/domain.c:vcpu_mark_events_pending().  The kick counts
 * are xenemu's own backend notification (no Xen value). */
static void test_ipi_sets_pending_and_kicks(void **state)
{
    (void)state;
    struct hv *hv = harness_hv();
    struct domain *d =
        harness_domain(hv, &(struct harness_dom_opts){.vcpus = 2});
    evtchn_port_t port = must_bind_ipi(d, 1);

    assert_int_equal(port, 1);
    assert_int_equal(do_send(d, port), 0);
    assert_true(pending_2l(d, port));
    assert_int_equal(kicks(d, 1), 1);
    assert_int_equal(kicks(d, 0), 0);
    assert_int_equal(shinfo(d)->vcpu_info[1].evtchn_upcall_pending, 1);
    assert_int_equal(shinfo(d)->vcpu_info[1].evtchn_pending_sel, 1);
    harness_domain_free(d);
    hv_destroy(hv);
}

/* xen/arch/x86/hvm/hypercall.c:hvm_hypercall(): -EPERM for every call
 * from CPL > 0, before the number is looked at; in 64-bit mode the number
 * is the whole RAX, so a high bit makes it unknown (-ENOSYS).  0x40011 is
 * 4.17's XENVER_version: xen/common/kernel.c:do_xen_version(). */
static void test_dispatcher_rules(void **state)
{
    (void)state;
    struct hv *hv = harness_hv();
    struct domain *d = harness_domain(hv, &(struct harness_dom_opts){0});
    uint64_t args[5] = {XENVER_version, 0, 0, 0, 0};
    struct hv_call call;

    hv_call_init(&call, d->vcpus[0], false, false, 0);
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_xen_version, args),
                     0x40011);
    call.user_mode = true;
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_xen_version, args),
                     -XEN_EPERM);
    assert_int_equal(hypercall_dispatch(&call, 9999, args), -XEN_EPERM);
    call.user_mode = false;
    assert_int_equal(hypercall_dispatch(
                         &call, (1ull << 32) | __HYPERVISOR_xen_version, args),
                     -XEN_ENOSYS);
    harness_domain_free(d);
    hv_destroy(hv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipi_sets_pending_and_kicks),
        cmocka_unit_test(test_dispatcher_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
