/* test_smoke.c: the core comes up, and an IPI reaches its vCPU. */
#include "harness.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipi_sets_pending_and_kicks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
