/*
 * test_pingpong.c: events between two domains over one interdomain
 * channel.
 *
 *   ping: test=pingpong role=ping peer=<domid> count=N
 *   pong: test=pingpong role=pong peer=<domid> [peer_port=P] count=N
 *
 * Ping allocates an unbound port for the peer and prints it.  It does so
 * from the test's early hook, before the kernel binds anything else
 * (VIRQ_TIMER, the kick IPIs), so the port is the first the domain gets:
 * port 1, which is pong's default peer_port.  Pong binds to it (retrying
 * while ping has not allocated yet), sends a hello, then answers every
 * event from ping with one back.  Ping sends the next event only after
 * the answer to the previous one arrived, so no two events can merge
 * into one pending bit: every count must come out at exactly N, and a
 * wait that times out is a lost event.
 */
#include "cmdline.h"
#include "evtchn.h"
#include "kprintf.h"
#include "pvclock.h"
#include "tests.h"
#include "timer.h"
#include "hyp.h"

#define PP_DEFAULT_COUNT   10u
#define PP_BIND_TIMEOUT_NS (10 * NS_PER_S)
/* Ping may be started long before pong. */
#define PP_HELLO_TIMEOUT_NS (120 * NS_PER_S)
#define PP_EVENT_TIMEOUT_NS (10 * NS_PER_S)

struct pingpong {
    bool ping;
    domid_t peer;
    uint64_t count;
    evtchn_port_t port;
    int early_rc;
    uint64_t received; /* [atomic] events handled (ping: incl. hello) */
    uint64_t sent;     /* [atomic] events sent (pong: from the handler) */
    uint64_t target;   /* received count being waited for */
};

static bool role_is_ping(const struct kernel *k)
{
    return !cmdline_is(k->cmdline, "role", "pong");
}

static struct pingpong *pp_state(struct kernel *k)
{
    struct pingpong *pp = k->test_data;

    if (pp)
        return pp;
    pp = test_alloc(k, sizeof(*pp));
    if (!pp)
        kpanic("pingpong: no memory");
    pp->ping = role_is_ping(k);
    pp->peer = (domid_t)test_arg(k, "peer", 0);
    pp->count = test_arg(k, "count", PP_DEFAULT_COUNT);
    k->test_data = pp;
    return pp;
}

/* Ping's handler: count hellos and answers. */
static void ping_handler(struct cpu *c, evtchn_port_t port, void *arg)
{
    struct pingpong *pp = arg;

    (void)c;
    (void)port;
    __atomic_fetch_add(&pp->received, 1, __ATOMIC_RELAXED);
}

/* Pong's handler: count, and answer at once. */
static void pong_handler(struct cpu *c, evtchn_port_t port, void *arg)
{
    struct pingpong *pp = arg;

    (void)c;
    __atomic_fetch_add(&pp->received, 1, __ATOMIC_RELAXED);
    if (ec_send(port) == 0)
        __atomic_fetch_add(&pp->sent, 1, __ATOMIC_RELAXED);
}

void pingpong_early(struct kernel *k)
{
    struct pingpong *pp;

    if (!role_is_ping(k))
        return;
    pp = pp_state(k);
    pp->early_rc = ec_alloc_unbound(k, pp->peer, ping_handler, pp, &pp->port);
    if (pp->early_rc == 0) {
        ec_unmask(k, pp->port);
        kprintf("pingpong: port %u for domain %u\n", pp->port, pp->peer);
    }
}

static bool reached(struct cpu *c, void *arg)
{
    struct pingpong *pp = arg;

    (void)c;
    return __atomic_load_n(&pp->received, __ATOMIC_RELAXED) >= pp->target;
}

static enum test_result run_ping(struct kernel *k, struct pingpong *pp)
{
    struct cpu *c = this_cpu();

    if (pp->early_rc < 0) {
        test_report("pingpong", TEST_FAIL, "alloc_unbound: %d role=ping",
                    pp->early_rc);
        return TEST_FAIL;
    }
    pp->target = 1;
    if (!wait_until(c, reached, pp, PP_HELLO_TIMEOUT_NS)) {
        test_report("pingpong", TEST_FAIL, "no hello from peer role=ping");
        return TEST_FAIL;
    }
    for (uint64_t i = 0; i < pp->count; i++) {
        int rc = ec_send(pp->port);

        if (rc < 0) {
            test_report("pingpong", TEST_FAIL, "send: %d role=ping sent=%lu",
                        rc, (unsigned long)i);
            return TEST_FAIL;
        }
        pp->sent++;
        pp->target = i + 2; /* the hello, and i + 1 answers */
        if (!wait_until(c, reached, pp, PP_EVENT_TIMEOUT_NS)) {
            test_report("pingpong", TEST_FAIL,
                        "lost event after %lu role=ping sent=%lu "
                        "received=%lu",
                        (unsigned long)i, (unsigned long)pp->sent,
                        (unsigned long)i);
            return TEST_FAIL;
        }
    }
    test_report(
        "pingpong", TEST_PASS, "role=ping port=%u sent=%lu received=%lu",
        pp->port, (unsigned long)pp->sent,
        (unsigned long)(__atomic_load_n(&pp->received, __ATOMIC_RELAXED) - 1));
    (void)k;
    return TEST_PASS;
}

/* Bind to ping's port, retrying while ping has not allocated it yet. */
static int pong_bind(struct kernel *k, struct pingpong *pp)
{
    struct cpu *c = this_cpu();
    evtchn_port_t remote = (evtchn_port_t)test_arg(k, "peer_port", 1);
    uint64_t give_up = pvclock_now(c) + PP_BIND_TIMEOUT_NS;
    int rc;

    while ((rc = ec_bind_interdomain(k, pp->peer, remote, pong_handler, pp,
                                     &pp->port)) < 0 &&
           pvclock_now(c) < give_up)
        hyp_yield();
    if (rc < 0)
        return rc;
    /* Xen leaves a new interdomain port pending, for events sent while
     * it was unbound.  Ping sends nothing before our hello, so that bit
     * carries no event here: drop it, or the handler would answer it. */
    ec_clear_pending(k, pp->port);
    ec_unmask(k, pp->port);
    return 0;
}

static enum test_result run_pong(struct kernel *k, struct pingpong *pp)
{
    struct cpu *c = this_cpu();
    int rc = pong_bind(k, pp);

    if (rc < 0) {
        test_report("pingpong", TEST_FAIL, "bind_interdomain: %d role=pong",
                    rc);
        return TEST_FAIL;
    }
    rc = ec_send(pp->port); /* hello */
    if (rc < 0) {
        test_report("pingpong", TEST_FAIL, "send hello: %d role=pong", rc);
        return TEST_FAIL;
    }
    /* Each ping must arrive within the timeout of the previous one. */
    for (pp->target = 1; pp->target <= pp->count; pp->target++) {
        if (!wait_until(c, reached, pp, PP_EVENT_TIMEOUT_NS)) {
            uint64_t got = __atomic_load_n(&pp->received, __ATOMIC_RELAXED);

            test_report(
                "pingpong", TEST_FAIL,
                "lost event after %lu role=pong sent=%lu "
                "received=%lu",
                (unsigned long)got,
                (unsigned long)__atomic_load_n(&pp->sent, __ATOMIC_RELAXED),
                (unsigned long)got);
            return TEST_FAIL;
        }
    }
    test_report(
        "pingpong", TEST_PASS, "role=pong port=%u sent=%lu received=%lu",
        pp->port, (unsigned long)__atomic_load_n(&pp->sent, __ATOMIC_RELAXED),
        (unsigned long)__atomic_load_n(&pp->received, __ATOMIC_RELAXED));
    return TEST_PASS;
}

enum test_result test_pingpong(struct kernel *k)
{
    struct pingpong *pp = pp_state(k);

    return pp->ping ? run_ping(k, pp) : run_pong(k, pp);
}
