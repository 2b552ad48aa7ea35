/* test_console_io.c: CONSOLEIO_write (chunks, faults early and late),
 * CONSOLEIO_read and the permission policy. */
#include <string.h>

#include "harness.h"

#define BUF_GPA 0x4064u /* not page-aligned: long writes cross pages */
#define RAM_END ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE)

static struct hv *hv;
static struct domain *d;

static int setup(void **state)
{
    (void)state;
    hv = harness_hv();
    d = harness_domain(hv, &(struct harness_dom_opts){0});
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    harness_domain_free(d);
    hv_destroy(hv);
    return 0;
}

/* console_io from (dom) in (compat) mode; the call is left in *call. */
static long cio(struct domain *dom, bool compat, uint64_t cmd, uint64_t count,
                uint64_t buffer, struct hv_call *call)
{
    uint64_t args[5] = {cmd, count, buffer, 0, 0};

    hv_call_init(call, dom->vcpus[0], compat, false, 0);
    return hypercall_dispatch(call, __HYPERVISOR_console_io, args);
}

/* (n) bytes of a recognisable pattern at (gpa). */
static void fill(uint64_t gpa, size_t n, uint8_t *copy)
{
    for (size_t i = 0; i < n; i++)
        copy[i] = (uint8_t)(i * 7 + 1);
    assert_int_equal(gpa_write(d, gpa, copy, n), 0);
}

static void test_write_lengths(void **state)
{
    /* Around the 128-byte chunk size, and across a page boundary (the
     * recording backend keeps 4096 bytes). */
    static const size_t lens[] = {1, 5, 127, 128, 129, 256, 300, 4000};
    static uint8_t want[8192];
    struct hv_call call;

    (void)state;
    for (int compat = 0; compat < 2; compat++) {
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
            struct rec_domain *rec = rec_domain(d);

            rec->console_len = 0;
            fill(BUF_GPA, lens[i], want);
            assert_int_equal(
                cio(d, compat, CONSOLEIO_write, lens[i], BUF_GPA, &call), 0);
            assert_int_equal(rec->console_len, lens[i]);
            assert_memory_equal(rec->console, want, lens[i]);
            assert_true(call.side_effects);
            assert_int_equal(call.fault, HV_FAULT_NONE);
        }
    }
}

static void test_write_nothing(void **state)
{
    struct hv_call call;

    (void)state;
    /* No bytes: nothing read, even from a bad buffer. */
    assert_int_equal(cio(d, false, CONSOLEIO_write, 0, RAM_END, &call), 0);
    assert_int_equal(rec_domain(d)->console_len, 0);
    assert_false(call.side_effects);
    /* count is 32 bits: the register's upper half is not part of it. */
    assert_int_equal(cio(d, false, CONSOLEIO_write, 1ull << 32, RAM_END, &call),
                     0);
    assert_int_equal(rec_domain(d)->console_len, 0);
}

static void test_write_bad_buffer_is_early_fault(void **state)
{
    struct hv_call call;

    (void)state;
    assert_int_equal(cio(d, false, CONSOLEIO_write, 10, RAM_END, &call),
                     -XEN_EFAULT);
    assert_int_equal(rec_domain(d)->console_len, 0);
    assert_false(call.side_effects);
    assert_int_equal(call.fault, HV_FAULT_EARLY);
}

static void test_write_fault_after_output_is_late(void **state)
{
    static uint8_t want[200];
    struct hv_call call;

    (void)state;
    /* 200 bytes of which the last 40 lie past RAM: the first 128-byte
     * chunk is printed before the second faults. */
    fill(RAM_END - 160, 160, want);
    assert_int_equal(cio(d, false, CONSOLEIO_write, 200, RAM_END - 160, &call),
                     -XEN_EFAULT);
    assert_int_equal(rec_domain(d)->console_len, 128);
    assert_memory_equal(rec_domain(d)->console, want, 128);
    assert_true(call.side_effects);
    assert_int_equal(call.fault, HV_FAULT_LATE);
}

static void test_policy(void **state)
{
    static const struct {
        uint64_t cmd;
        bool privileged;
        long rc;
    } cases[] = {
        {CONSOLEIO_read, false, -XEN_EPERM},
        {CONSOLEIO_read, true, 0},
        {2, false, -XEN_EPERM}, /* the policy is checked first */
        {2, true, -XEN_ENOSYS},
        {0xffffffffu, false, -XEN_EPERM},
        {0xffffffffu, true, -XEN_ENOSYS},
    };
    struct hv_call call;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        d->is_privileged = cases[i].privileged;
        assert_int_equal(cio(d, false, cases[i].cmd, 16, BUF_GPA, &call),
                         cases[i].rc);
    }
    /* A privileged domain writes like everyone else. */
    fill(BUF_GPA, 3, (uint8_t[3]){0});
    assert_int_equal(cio(d, false, CONSOLEIO_write, 3, BUF_GPA, &call), 0);
    assert_int_equal(rec_domain(d)->console_len, 3);
    d->is_privileged = false;
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_write_lengths),
        T(test_write_nothing),
        T(test_write_bad_buffer_is_early_fault),
        T(test_write_fault_after_output_is_late),
        T(test_policy),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
