/*
 * tests.h: the test programs, chosen by test=NAME on the command line.
 *
 * Each prints exactly one line the host checks:
 *   RESULT <name> PASS|FAIL <reason>|SKIP <reason> [key=value ...]
 */
#ifndef XENEMU_GUEST_TESTS_H
#define XENEMU_GUEST_TESTS_H

#include <stddef.h>

#include "kernel.h"

enum test_result {
    TEST_PASS,
    TEST_FAIL,
    TEST_SKIP,
};

struct test {
    const char *name;
    /* Optional: runs right after the event-channel driver is up, before
     * the kernel binds any port of its own (pingpong's ping uses it to
     * own port 1). */
    void (*early)(struct kernel *k);
    enum test_result (*run)(struct kernel *k);
};

/* The test named by test=, or NULL. */
const struct test *test_find(const struct kernel *k);

/* Print "RESULT <name> PASS|FAIL|SKIP" followed by (fmt): for FAIL and
 * SKIP, fmt starts with the reason. */
void test_report(const char *name, enum test_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A command-line number, or (def). */
uint64_t test_arg(const struct kernel *k, const char *key, uint64_t def);

/* Test (name)'s count=, (def) if absent, into (*count): true if it is a
 * number from 1 to (max); otherwise false after reporting
 * "RESULT <name> FAIL count=N is not 1 to MAX". */
bool test_count(const struct kernel *k, const char *name, uint64_t def,
                uint64_t max, uint64_t *count);

/* Allocate / free a test's state (zeroed; at most one page). */
void *test_alloc(struct kernel *k, size_t size);
void test_free(struct kernel *k, void *p);

/* The programs (test_*.c). */
void pingpong_early(struct kernel *k);
enum test_result test_pingpong(struct kernel *k);
enum test_result test_ipi(struct kernel *k);
enum test_result test_priority(struct kernel *k);
enum test_result test_timer(struct kernel *k);
enum test_result test_mask(struct kernel *k);
enum test_result test_ports(struct kernel *k);
enum test_result test_debugcon(struct kernel *k);
enum test_result test_watchdog(struct kernel *k);
enum test_result test_hcpage(struct kernel *k);

#endif /* XENEMU_GUEST_TESTS_H */
