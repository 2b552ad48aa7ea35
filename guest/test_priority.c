/*
 * test_priority.c: test=priority -- FIFO queues are served highest
 * priority (lowest number) first.
 *
 * Several IPI ports on vCPU 0 get different priorities.  With interrupts
 * disabled they are sent lowest priority first, so that all are linked
 * before the upcall runs; enabling interrupts then delivers them, and the
 * handler must see them in priority order.  2-level has no priorities:
 * SKIP.
 */
#include "evtchn.h"
#include "lib.h"
#include "kprintf.h"
#include "pvclock.h"
#include "tests.h"
#include "timer.h"

#define PRIO_PORTS      5u
#define PRIO_TIMEOUT_NS (10 * NS_PER_S)

/* Sent in this order (lowest priority first); expected back reversed. */
static const unsigned int prio_send_order[PRIO_PORTS] = {15, 10, 7, 3, 0};

struct prio_test {
    evtchn_port_t port[PRIO_PORTS];
    unsigned int prio[PRIO_PORTS];
    unsigned int seen[PRIO_PORTS]; /* [own] priorities in handling order */
    unsigned int nr_seen;          /* [own] vCPU 0's upcall and thread */
};

static void prio_handler(struct cpu *c, evtchn_port_t port, void *arg)
{
    struct prio_test *t = arg;

    (void)c;
    for (unsigned int i = 0; i < PRIO_PORTS; i++)
        if (t->port[i] == port && t->nr_seen < PRIO_PORTS)
            t->seen[t->nr_seen++] = t->prio[i];
}

static bool all_seen(struct cpu *c, void *arg)
{
    struct prio_test *t = arg;

    (void)c;
    return t->nr_seen == PRIO_PORTS;
}

static int prio_bind(struct kernel *k, struct prio_test *t)
{
    for (unsigned int i = 0; i < PRIO_PORTS; i++) {
        int rc = ec_bind_ipi(this_cpu(), prio_handler, t, &t->port[i]);

        if (rc < 0)
            return rc;
        t->prio[i] = prio_send_order[i];
        rc = ec_set_priority(t->port[i], t->prio[i]);
        if (rc < 0)
            return rc;
        ec_unmask(k, t->port[i]);
    }
    return 0;
}

/* "a,b,c" of the observed priorities. */
static void format_order(const struct prio_test *t, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (unsigned int i = 0; i < t->nr_seen && len < size; i++)
        len +=
            ksnprintf(buf + len, size - len, "%s%u", i ? "," : "", t->seen[i]);
}

static bool in_order(const struct prio_test *t)
{
    for (unsigned int i = 1; i < t->nr_seen; i++)
        if (t->seen[i - 1] > t->seen[i])
            return false;
    return t->nr_seen == PRIO_PORTS;
}

static enum test_result prio_run(struct kernel *k, struct prio_test *t)
{
    char order[64];
    bool ok;
    int rc = prio_bind(k, t);

    if (rc < 0) {
        test_report("priority", TEST_FAIL, "bind/set_priority: %d", rc);
        return TEST_FAIL;
    }
    arch_irq_disable();
    for (unsigned int i = 0; i < PRIO_PORTS && rc == 0; i++)
        rc = ec_send(t->port[i]);
    arch_irq_enable(); /* delivers the upcall */
    if (rc < 0) {
        test_report("priority", TEST_FAIL, "send: %d", rc);
        return TEST_FAIL;
    }
    wait_until(this_cpu(), all_seen, t, PRIO_TIMEOUT_NS);
    arch_irq_disable(); /* t->seen is written by the upcall */
    format_order(t, order, sizeof(order));
    ok = in_order(t);
    arch_irq_enable();
    if (!ok) {
        test_report("priority", TEST_FAIL, "wrong order order=%s", order);
        return TEST_FAIL;
    }
    test_report("priority", TEST_PASS, "order=%s", order);
    return TEST_PASS;
}

enum test_result test_priority(struct kernel *k)
{
    struct prio_test *t;
    enum test_result r;

    if (!ec_is_fifo(k)) {
        test_report("priority", TEST_SKIP, "2-level has no priorities");
        return TEST_SKIP;
    }
    t = test_alloc(k, sizeof(*t));
    if (!t) {
        test_report("priority", TEST_FAIL, "no memory");
        return TEST_FAIL;
    }
    r = prio_run(k, t);
    for (unsigned int i = 0; i < PRIO_PORTS; i++)
        if (t->port[i])
            ec_close(k, t->port[i]);
    test_free(k, t);
    return r;
}
