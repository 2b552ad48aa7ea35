/*
 * tests.c: the test registry, result lines, and test=all.
 */
#include "cmdline.h"
#include "lib.h"
#include "mm.h"
#include "kprintf.h"
#include "tests.h"

static enum test_result test_all(struct kernel *k);

static const struct test tests[] = {
    {"pingpong", pingpong_early, test_pingpong},
    {"ipi", NULL, test_ipi},
    {"priority", NULL, test_priority},
    {"timer", NULL, test_timer},
    {"mask", NULL, test_mask},
    {"ports", NULL, test_ports},
    {"debugcon", NULL, test_debugcon},
    {"watchdog", NULL, test_watchdog},
    {"hcpage", NULL, test_hcpage},
    {"all", NULL, test_all},
};

const struct test *test_find(const struct kernel *k)
{
    const char *v;
    size_t n;

    if (!cmdline_find(k->cmdline, "test", &v, &n))
        return NULL;
    for (size_t i = 0; i < ARRAY_SIZE(tests); i++)
        if (kstrlen(tests[i].name) == n && memcmp(tests[i].name, v, n) == 0)
            return &tests[i];
    return NULL;
}

void test_report(const char *name, enum test_result r, const char *fmt, ...)
{
    static const char *const words[] = {"PASS", "FAIL", "SKIP"};
    char rest[PRINTK_LINE_MAX - 64];
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(rest, sizeof(rest), fmt, ap);
    va_end(ap);
    kprintf("RESULT %s %s%s%s\n", name, words[r], rest[0] ? " " : "", rest);
}

uint64_t test_arg(const struct kernel *k, const char *key, uint64_t def)
{
    uint64_t v;

    if (!cmdline_u64(k->cmdline, key, def, &v))
        kprintf("warning: %s= is not a number, using %lu\n", key,
                (unsigned long)def);
    return v;
}

bool test_count(const struct kernel *k, const char *name, uint64_t def,
                uint64_t max, uint64_t *count)
{
    uint64_t v;

    /* Checked: a value that is not a number, or overflows 64 bits, is
     * refused rather than replaced by the default. */
    if (!cmdline_u64(k->cmdline, "count", def, &v)) {
        test_report(name, TEST_FAIL, "count= is not a number from 1 to %lu",
                    (unsigned long)max);
        return false;
    }
    if (v == 0 || v > max) {
        test_report(name, TEST_FAIL, "count=%lu is not 1 to %lu",
                    (unsigned long)v, (unsigned long)max);
        return false;
    }
    *count = v;
    return true;
}

void *test_alloc(struct kernel *k, size_t size)
{
    if (size > PAGE_SIZE)
        return NULL;
    return kpage_alloc(&k->mm);
}

void test_free(struct kernel *k, void *p)
{
    kpage_free(&k->mm, p);
}

/* Every test that makes sense here, one RESULT line each, then one for
 * all: FAIL if any failed (SKIPs do not count). */
static enum test_result test_all(struct kernel *k)
{
    static const struct {
        const char *name;
        enum test_result (*run)(struct kernel *k);
    } steps[] = {
        {"ipi", test_ipi},
        {"priority", test_priority},
        {"timer", test_timer},
        {"mask", test_mask},
    };
    unsigned int pass = 0, fail = 0, skip = 0;

    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        enum test_result r;

        /* ipi needs a second vCPU: skipped, with its own line like
         * every other step. */
        if (steps[i].run == test_ipi && k->nr_cpus < 2) {
            test_report("ipi", TEST_SKIP, "needs 2 vCPUs");
            skip++;
            continue;
        }
        r = steps[i].run(k);
        pass += r == TEST_PASS;
        fail += r == TEST_FAIL;
        skip += r == TEST_SKIP;
    }
    if (fail) {
        test_report("all", TEST_FAIL, "%u tests failed pass=%u fail=%u skip=%u",
                    fail, pass, fail, skip);
        return TEST_FAIL;
    }
    test_report("all", TEST_PASS, "pass=%u fail=%u skip=%u", pass, fail, skip);
    return TEST_PASS;
}
