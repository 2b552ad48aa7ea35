/* test_console_io.c: a domain's console log (hv/console.c) and
 * CONSOLEIO_write / CONSOLEIO_read (hv/console_io.c).
 *
 * Expected values come from Xen 4.17: xen/drivers/char/console.c
 * (do_console_io(), guest_console_write(): a domU's output is stripped to
 * isprint() characters and tabs, buffered in the domain's pbuf until a
 * newline or DOMAIN_PBUF_SIZE - 1 characters, copied in chunks of at most
 * 127 bytes; xen/lib/ctype.c: isprint()) and xen/arch/x86/hvm/hvm.c
 * (hvm_print_line(): the debug port shares that buffer).  Deliberate
 * differences, listed in docs/hypercalls.md: every domain may write (Xen: debug
 * builds or is_console domains), and the byte budget (CONSOLE_BURST,
 * CONSOLE_RATE) is xenemu's own. */
#include <string.h>

#include "harness.h"
#include "xenemu/console.h"

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

/* CONSOLEIO_write of (text) (without its NUL) placed at (gpa). */
static long cio_text(const char *text, uint64_t gpa)
{
    struct hv_call call;
    size_t n = strlen(text);

    assert_int_equal(gpa_write(d, gpa, text, n), 0);
    return cio(d, false, CONSOLEIO_write, n, gpa, &call);
}

static const char *log_text(void)
{
    return rec_domain(d)->console;
}

static void log_clear(void)
{
    rec_domain(d)->console_len = 0;
    rec_domain(d)->console[0] = '\0';
}

/* Freeze the budget's refill (the clock is then never read as having
 * moved), so that what a test drops does not depend on timing. */
static void budget_freeze(void)
{
    d->console.refill_ns = UINT64_MAX;
}

static void test_lines(void **state)
{
    static char text[300];
    static char want[600];
    struct hv_call call;

    (void)state;
    for (int compat = 0; compat < 2; compat++) {
        /* Lengths around the 127-byte chunk, across a page boundary. */
        static const size_t lens[] = {0, 1, 5, 126, 127, 128, 198};

        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
            log_clear();
            for (size_t j = 0; j < lens[i]; j++)
                text[j] = (char)('a' + j % 26);
            text[lens[i]] = '\n';
            assert_int_equal(gpa_write(d, BUF_GPA, text, lens[i] + 1), 0);
            assert_int_equal(
                cio(d, compat, CONSOLEIO_write, lens[i] + 1, BUF_GPA, &call),
                0);
            memcpy(want, text, lens[i] + 1);
            want[lens[i] + 1] = '\0';
            assert_string_equal(log_text(), want);
            assert_true(call.side_effects);
            assert_int_equal(call.fault, HV_FAULT_NONE);
        }
    }
}

static void test_line_assembly(void **state)
{
    (void)state;
    /* A line is printed only once it ends... */
    assert_int_equal(cio_text("one ", BUF_GPA), 0);
    assert_int_equal(cio_text("two", BUF_GPA), 0);
    assert_string_equal(log_text(), "");
    assert_int_equal(cio_text("\nthree\nfo", BUF_GPA), 0);
    assert_string_equal(log_text(), "one two\nthree\n");
    /* ...and the debug port adds to the same line (one pbuf per domain). */
    console_debug_port(d, 'u');
    console_debug_port(d, 'r');
    console_debug_port(d, '\n');
    assert_string_equal(log_text(), "one two\nthree\nfour\n");
    /* An empty line is a line. */
    console_debug_port(d, '\n');
    assert_string_equal(log_text(), "one two\nthree\nfour\n\n");
}

/* xenemu differs (deliberate, "console output of a long line" in
 * docs/hypercalls.md): a line is cut at CONSOLE_LINE_MAX - 1 characters;
 * Xen's guest_console_write() prints the pbuf and the current chunk
 * together once the pbuf would reach DOMAIN_PBUF_SIZE - 1. */
static void test_long_line_is_split(void **state)
{
    static char text[450];
    char want[CONSOLE_LINE_MAX + 2];

    (void)state;
    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    assert_int_equal(cio_text(text, BUF_GPA), 0);
    /* Two full lines of 199 characters; 51 wait for more. */
    memset(want, 'x', CONSOLE_LINE_MAX - 1);
    want[CONSOLE_LINE_MAX - 1] = '\n';
    assert_int_equal(rec_domain(d)->console_len, 2 * CONSOLE_LINE_MAX);
    assert_memory_equal(log_text(), want, CONSOLE_LINE_MAX);
    assert_memory_equal(log_text() + CONSOLE_LINE_MAX, want, CONSOLE_LINE_MAX);
    assert_int_equal(d->console.len, 449 - 2 * (CONSOLE_LINE_MAX - 1));
}

static void test_control_characters_are_stripped(void **state)
{
    (void)state;
    /* Escape sequences lose their ESC (the rest is printable text), CR, BEL,
     * backspace, DEL and the C1 controls (0x80..0x9f) vanish; tabs and
     * Xen's printable Latin-1 bytes (0xa0..0xff) stay. */
    assert_int_equal(
        cio_text("a\x1b[2Jb\rc\x07\bd\x7f\xff\x80\x9f\te\n", BUF_GPA), 0);
    assert_string_equal(log_text(), "a[2Jbcd\xff\te\n");
    /* The same filter on the debug port. */
    console_debug_port(d, 0x1b);
    console_debug_port(d, 'z');
    console_debug_port(d, 0x9b); /* the 8-bit CSI */
    console_debug_port(d, '\n');
    assert_string_equal(log_text(), "a[2Jbcd\xff\te\nz\n");
}

/* xen/drivers/char/console.c:do_console_io(): count is an unsigned int,
 * and guest_console_write() reads nothing for a count of 0. */
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

/* guest_console_write(): -EFAULT when the first chunk cannot be copied
 * (the fault classes are xenemu's). */
static void test_write_bad_buffer_is_early_fault(void **state)
{
    struct hv_call call;

    (void)state;
    assert_int_equal(cio(d, false, CONSOLEIO_write, 10, RAM_END, &call),
                     -XEN_EFAULT);
    assert_int_equal(d->console.len, 0);
    assert_false(call.side_effects);
    assert_int_equal(call.fault, HV_FAULT_EARLY);
}

static void test_write_fault_after_output_is_late(void **state)
{
    static char text[161];
    struct hv_call call;

    (void)state;
    /* 200 bytes of which the last 40 lie past RAM: the first 127-byte
     * chunk is taken before the second faults (guest_console_write():
     * sizeof(kbuf) - 1 bytes per copy, -EFAULT on a failed one). */
    memset(text, 'y', 160);
    assert_int_equal(gpa_write(d, RAM_END - 160, text, 160), 0);
    assert_int_equal(cio(d, false, CONSOLEIO_write, 200, RAM_END - 160, &call),
                     -XEN_EFAULT);
    assert_int_equal(d->console.len, 127);
    assert_true(call.side_effects);
    assert_int_equal(call.fault, HV_FAULT_LATE);
}

/* Regression: a count of 0xffffffff once copied all of guest RAM to the
 * terminal.  Now a call reads at most the budget and drops the rest
 * unread; once the budget is back, the next line says what was lost.
 * All of this is xenemu's own (deliberate, "console budget" in
 * docs/hypercalls.md; Xen reads the whole count, with continuations). */
static void test_budget_bounds_a_flood(void **state)
{
    struct hv_call call;

    (void)state;
    budget_freeze();
    /* RAM is zeros (nothing printable): the call reads CONSOLE_BURST bytes
     * from gpa 0, not the 4 GiB it asks for (RAM is 4 MiB: reading more
     * would be -EFAULT). */
    assert_int_equal(cio(d, false, CONSOLEIO_write, 0xffffffffu, 0, &call), 0);
    assert_int_equal(d->console.budget, 0);
    assert_int_equal(d->console.dropped, 0xffffffffull - CONSOLE_BURST);
    /* Over budget, even the debug port drops. */
    assert_int_equal(cio_text("lost\n", BUF_GPA), 0);
    console_debug_port(d, '\n');
    assert_string_equal(log_text(), "");
    /* The budget refills (as if a long time had passed). */
    d->console.refill_ns = 0;
    assert_int_equal(cio_text("back\n", BUF_GPA), 0);
    assert_string_equal(log_text(),
                        "(xenemu: 4294901765 bytes of console output "
                        "dropped: over 16384 bytes/s)\nback\n");
    assert_int_equal(d->console.dropped, 0);
}

/* xenemu's budget (deliberate, "console budget" in docs/hypercalls.md). */
static void test_budget_is_shared_by_both_sources(void **state)
{
    (void)state;
    budget_freeze();
    d->console.budget = 3;
    console_debug_port(d, 'a');
    assert_int_equal(cio_text("bcd\n", BUF_GPA), 0); /* only "bc" taken */
    assert_int_equal(d->console.budget, 0);
    assert_int_equal(d->console.dropped, 2);
    assert_int_equal(d->console.len, 3);
}

static void test_policy(void **state)
{
    static const struct {
        uint64_t cmd;
        bool privileged;
        long rc;
    } cases[] = {
        /* do_console_io(): xen/include/xsm/dummy.h:xsm_console_io()
         * (XSM_PRIV for a domain that is not is_console) before the
         * switch, whose default is -ENOSYS.  Write is allowed to every
         * domain here: deliberate ("console_io write permission" in
         * docs/hypercalls.md). */
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
    assert_int_equal(cio_text("dom0\n", BUF_GPA), 0);
    assert_string_equal(log_text(), "dom0\n");
    d->is_privileged = false;
}

/*
 * do_console_io() CONSOLEIO_read, for the control domain (others -EPERM,
 * test_policy): -E2BIG for a count above INT_MAX (so the result cannot
 * look like an error), else the bytes taken from the serial receive ring.
 * xenemu has no console input, so the ring is always empty: 0, and the
 * buffer is not touched (an unmapped one does not fault); in compat mode
 * the same, the count being 32 bits in both.  Deliberate ("CONSOLEIO_read"
 * in docs/hypercalls.md); the -E2BIG check is Xen's.
 */
static void test_read(void **state)
{
    static const struct {
        uint64_t count, buffer;
        long rc;
    } cases[] = {
        {0, BUF_GPA, 0},
        {16, BUF_GPA, 0},
        {16, RAM_END, 0},
        {0x7fffffff, RAM_END, 0},
        {0x80000000u, BUF_GPA, -XEN_E2BIG},
        {0xffffffffu, BUF_GPA, -XEN_E2BIG},
        {1ull << 32 | 16, BUF_GPA, 0}, /* an unsigned int: the low half */
    };
    struct hv_call call;

    (void)state;
    d->is_privileged = true;
    for (int compat = 0; compat < 2; compat++) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            uint8_t before[16], after[16];

            assert_int_equal(gpa_read(d, before, BUF_GPA, sizeof(before)), 0);
            assert_int_equal(cio(d, compat, CONSOLEIO_read, cases[i].count,
                                 cases[i].buffer, &call),
                             cases[i].rc);
            assert_int_equal(gpa_read(d, after, BUF_GPA, sizeof(after)), 0);
            assert_memory_equal(before, after, sizeof(before));
            assert_int_equal(call.fault, HV_FAULT_NONE);
        }
    }
    d->is_privileged = false;
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_lines),
        T(test_line_assembly),
        T(test_long_line_is_split),
        T(test_control_characters_are_stripped),
        T(test_write_nothing),
        T(test_write_bad_buffer_is_early_fault),
        T(test_write_fault_after_output_is_late),
        T(test_budget_bounds_a_flood),
        T(test_budget_is_shared_by_both_sources),
        T(test_policy),
        T(test_read),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
