/*
 * test_ipi.c: test=ipi count=N -- events between the vCPUs of a domain.
 *
 * Every vCPU binds an IPI port (each AP on itself, through smp_call).
 * vCPU 0 sends N events round robin to the APs, one at a time; each AP's
 * handler answers on vCPU 0's port.  PASS if all N answers arrive.
 */
#include "evtchn.h"
#include "pvclock.h"
#include "smp.h"
#include "tests.h"
#include "timer.h"

#define IPI_DEFAULT_COUNT 20u
#define IPI_TIMEOUT_NS    (10 * NS_PER_S)

struct ipi_test {
    struct kernel *k;
    evtchn_port_t port[KERNEL_MAX_CPUS];
    int rc[KERNEL_MAX_CPUS];
    uint64_t answers;                  /* [atomic] seen by vCPU 0 */
    uint64_t handled[KERNEL_MAX_CPUS]; /* [own] per AP */
    uint64_t target;
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
    t->handled[c->id]++;
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

static bool answered(struct cpu *c, void *arg)
{
    struct ipi_test *t = arg;

    (void)c;
    return __atomic_load_n(&t->answers, __ATOMIC_RELAXED) >= t->target;
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
            test_report("ipi", TEST_FAIL,
                        "lost event after %lu vcpus=%u events=%lu",
                        (unsigned long)i, k->nr_cpus, (unsigned long)i);
            return TEST_FAIL;
        }
    }
    return TEST_PASS;
}

enum test_result test_ipi(struct kernel *k)
{
    uint64_t count = test_arg(k, "count", IPI_DEFAULT_COUNT);
    struct ipi_test *t;
    enum test_result r;

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
        test_report(
            "ipi", TEST_PASS, "vcpus=%u events=%lu", k->nr_cpus,
            (unsigned long)__atomic_load_n(&t->answers, __ATOMIC_RELAXED));
    ipi_close_all(t);
    test_free(k, t);
    return r;
}
