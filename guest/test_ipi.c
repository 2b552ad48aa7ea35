/*
 * test_ipi.c: test=ipi count=N -- events between the vCPUs of a domain.
 *
 * Every vCPU binds an IPI port (each AP on itself, through smp_call).
 * vCPU 0 sends N events round robin to the APs, one at a time; each AP's
 * handler answers on vCPU 0's port.  Since the next event goes out only
 * after the answer to the previous one came back, no two events can merge
 * into one pending bit: after each exchange the answers must number
 * exactly as many as the events sent, and after the last one, a short
 * settle later, still exactly N, with every AP having handled exactly its
 * share.  A count above that is a duplicated event.
 */
#include "evtchn.h"
#include "pvclock.h"
#include "smp.h"
#include "tests.h"
#include "timer.h"

#define IPI_DEFAULT_COUNT 20u
#define IPI_MAX_COUNT     1000000u
#define IPI_TIMEOUT_NS    (10 * NS_PER_S)
/* How long to give a duplicated event to show up after the last one. */
#define IPI_SETTLE_NS (50 * NS_PER_MS)

struct ipi_test {
    struct kernel *k;
    evtchn_port_t port[KERNEL_MAX_CPUS];
    int rc[KERNEL_MAX_CPUS];
    /* [atomic] answers seen by vCPU 0's handler.  Relaxed: a count only,
     * read back by vCPU 0 itself. */
    uint64_t answers;
    /* [atomic] events handled, per AP: written by that AP's handler, read
     * by vCPU 0 after the settle.  Relaxed: counts only; each increment
     * precedes the AP's answer, whose delivery (seq-cst event-word RMWs in
     * Xen and the driver) vCPU 0 has seen before it reads them. */
    uint64_t handled[KERNEL_MAX_CPUS];
    uint64_t target; /* [own] vCPU 0: answers being waited for */
};

_Static_assert(sizeof(struct ipi_test) <= PAGE_SIZE, "test_alloc size");

/* On vCPU 0: an answer. */
static void ipi_answer(struct cpu *c, evtchn_port_t port, void *arg)
{
    struct ipi_test *t = arg;

    (void)c;
    (void)port;
    __atomic_fetch_add(&t->answers, 1, __ATOMIC_RELAXED);
}

/* On an AP: answer vCPU 0. */
static void ipi_request(struct cpu *c, evtchn_port_t port, void *arg)
{
    struct ipi_test *t = arg;

    (void)port;
    __atomic_fetch_add(&t->handled[c->id], 1, __ATOMIC_RELAXED);
    ec_send(t->port[0]);
}

/* smp_call() work: bind this AP's port. */
static void ipi_bind_on(struct cpu *c, void *arg)
{
    struct ipi_test *t = arg;

    t->rc[c->id] = ec_bind_ipi(c, ipi_request, t, &t->port[c->id]);
    if (t->rc[c->id] == 0)
        ec_unmask(c->kernel, t->port[c->id]);
}

static uint64_t answers(struct ipi_test *t)
{
    return __atomic_load_n(&t->answers, __ATOMIC_RELAXED);
}

static bool answered(struct cpu *c, void *arg)
{
    struct ipi_test *t = arg;

    (void)c;
    return answers(t) >= t->target;
}

static void ipi_close_all(struct ipi_test *t)
{
    for (unsigned int i = 0; i < t->k->nr_cpus; i++)
        if (t->port[i])
            ec_close(t->k, t->port[i]);
}

static enum test_result ipi_bind_all(struct ipi_test *t)
{
    struct kernel *k = t->k;
    struct cpu *self = this_cpu();
    int rc = ec_bind_ipi(self, ipi_answer, t, &t->port[0]);

    if (rc < 0) {
        test_report("ipi", TEST_FAIL, "bind_ipi on vCPU 0: %d", rc);
        return TEST_FAIL;
    }
    ec_unmask(k, t->port[0]);
    for (unsigned int i = 1; i < k->nr_cpus; i++) {
        t->rc[i] = -XEN_ETIMEDOUT;
        if (!smp_call(self, k->cpu[i], ipi_bind_on, t, IPI_TIMEOUT_NS) ||
            t->rc[i] < 0) {
            test_report("ipi", TEST_FAIL, "bind_ipi on vCPU %u: %d", i,
                        t->rc[i]);
            return TEST_FAIL;
        }
    }
    return TEST_PASS;
}

static enum test_result ipi_exchange(struct ipi_test *t, uint64_t count)
{
    struct kernel *k = t->k;
    struct cpu *self = this_cpu();

    for (uint64_t i = 0; i < count; i++) {
        unsigned int to = 1 + (unsigned int)(i % (k->nr_cpus - 1));
        int rc = ec_send(t->port[to]);

        if (rc < 0) {
            test_report("ipi", TEST_FAIL, "send to vCPU %u: %d", to, rc);
            return TEST_FAIL;
        }
        t->target = i + 1;
        if (!wait_until(self, answered, t, IPI_TIMEOUT_NS)) {
            test_report(
                "ipi", TEST_FAIL, "lost event after %lu vcpus=%u events=%lu",
                (unsigned long)i, k->nr_cpus, (unsigned long)answers(t));
            return TEST_FAIL;
        }
        if (answers(t) != t->target) {
            test_report("ipi", TEST_FAIL,
                        "duplicate events after %lu vcpus=%u events=%lu",
                        (unsigned long)t->target, k->nr_cpus,
                        (unsigned long)answers(t));
            return TEST_FAIL;
        }
    }
    return TEST_PASS;
}

/* After the last exchange: give a duplicate time to arrive, then check
 * the answers and every AP's share are exact. */
static enum test_result ipi_settle(struct ipi_test *t, uint64_t count)
{
    struct kernel *k = t->k;
    unsigned int aps = k->nr_cpus - 1;
    uint64_t total = 0;

    t->target = count + 1; /* a duplicate would show up now */
    wait_until(this_cpu(), answered, t, IPI_SETTLE_NS);
    if (answers(t) != count) {
        test_report(
            "ipi", TEST_FAIL, "duplicate events after %lu vcpus=%u events=%lu",
            (unsigned long)count, k->nr_cpus, (unsigned long)answers(t));
        return TEST_FAIL;
    }
    for (unsigned int i = 1; i < k->nr_cpus; i++) {
        /* Events i-1, i-1 + aps, ... went to vCPU i. */
        uint64_t want = count / aps + (i - 1 < count % aps);
        uint64_t got = __atomic_load_n(&t->handled[i], __ATOMIC_RELAXED);

        if (got != want) {
            test_report("ipi", TEST_FAIL,
                        "vCPU %u handled %lu events, not %lu vcpus=%u "
                        "events=%lu",
                        i, (unsigned long)got, (unsigned long)want, k->nr_cpus,
                        (unsigned long)count);
            return TEST_FAIL;
        }
        total += got;
    }
    if (total != count) { /* cannot happen if every share is exact */
        test_report("ipi", TEST_FAIL, "handled=%lu, not %lu vcpus=%u",
                    (unsigned long)total, (unsigned long)count, k->nr_cpus);
        return TEST_FAIL;
    }
    return TEST_PASS;
}

enum test_result test_ipi(struct kernel *k)
{
    struct ipi_test *t;
    enum test_result r;
    uint64_t count;

    if (!test_count(k, "ipi", IPI_DEFAULT_COUNT, IPI_MAX_COUNT, &count))
        return TEST_FAIL;
    if (k->nr_cpus < 2) {
        test_report("ipi", TEST_FAIL, "needs 2 vCPUs vcpus=%u", k->nr_cpus);
        return TEST_FAIL;
    }
    t = test_alloc(k, sizeof(*t));
    if (!t) {
        test_report("ipi", TEST_FAIL, "no memory");
        return TEST_FAIL;
    }
    t->k = k;
    r = ipi_bind_all(t);
    if (r == TEST_PASS)
        r = ipi_exchange(t, count);
    if (r == TEST_PASS)
        r = ipi_settle(t, count);
    if (r == TEST_PASS)
        test_report("ipi", TEST_PASS, "vcpus=%u events=%lu handled=%lu",
                    k->nr_cpus, (unsigned long)count, (unsigned long)count);
    ipi_close_all(t);
    test_free(k, t);
    return r;
}
