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
 * into one pending bit: every count must come out at exactly N (checked
 * after every answer on ping's side, and on both sides after a short
 * settle following the last exchange: more is a duplicated event), and a
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
#define PP_MAX_COUNT       100000000u
#define PP_BIND_TIMEOUT_NS (10 * NS_PER_S)
/* Ping may be started long before pong. */
#define PP_HELLO_TIMEOUT_NS (120 * NS_PER_S)
#define PP_EVENT_TIMEOUT_NS (10 * NS_PER_S)
/* How long to give a duplicated event to show up after the last one. */
#define PP_SETTLE_NS (50 * NS_PER_MS)

struct pingpong {
    bool ping;
    domid_t peer;
    uint64_t count; /* checked: 1 to PP_MAX_COUNT */
    evtchn_port_t port;
    int early_rc;
    /* [atomic] events handled (ping: incl. hello).  Relaxed: a count
     * only, written by the upcall and read back on the same vCPU. */
    uint64_t received;
    /* [atomic] events sent, not counting pong's hello (pong: from the
     * handler).  Relaxed, as (received). */
    uint64_t sent;
    uint64_t target; /* [own] received count being waited for */
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

static uint64_t received(struct pingpong *pp)
{
    return __atomic_load_n(&pp->received, __ATOMIC_RELAXED);
}

static uint64_t sent(struct pingpong *pp)
{
    return __atomic_load_n(&pp->sent, __ATOMIC_RELAXED);
}

static bool reached(struct cpu *c, void *arg)
{
    struct pingpong *pp = arg;

    (void)c;
    return received(pp) >= pp->target;
}

/* After the last exchange: give a duplicate time to show up (the wait is
 * for one event more than expected), then check (received) is still
 * exactly (want): 0, or -1 if it went above (the caller reports). */
static int settle(struct pingpong *pp, uint64_t want)
{
    pp->target = want + 1;
    wait_until(this_cpu(), reached, pp, PP_SETTLE_NS);
    return received(pp) == want ? 0 : -1;
}

static enum test_result run_ping(struct pingpong *pp)
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
    /* Before event i goes out, exactly the hello and i answers are in:
     * pong answers each event once, and only after it arrived. */
    for (uint64_t i = 0; i < pp->count; i++) {
        int rc;

        if (received(pp) != i + 1) {
            test_report("pingpong", TEST_FAIL,
                        "duplicate events after %lu role=ping sent=%lu "
                        "received=%lu",
                        (unsigned long)i, (unsigned long)sent(pp),
                        (unsigned long)(received(pp) - 1));
            return TEST_FAIL;
        }
        rc = ec_send(pp->port);
        if (rc < 0) {
            test_report("pingpong", TEST_FAIL, "send: %d role=ping sent=%lu",
                        rc, (unsigned long)i);
            return TEST_FAIL;
        }
        __atomic_fetch_add(&pp->sent, 1, __ATOMIC_RELAXED);
        pp->target = i + 2; /* the hello, and i + 1 answers */
        if (!wait_until(c, reached, pp, PP_EVENT_TIMEOUT_NS)) {
            test_report("pingpong", TEST_FAIL,
                        "lost event after %lu role=ping sent=%lu "
                        "received=%lu",
                        (unsigned long)i, (unsigned long)sent(pp),
                        (unsigned long)i);
            return TEST_FAIL;
        }
    }
    if (settle(pp, pp->count + 1) < 0) {
        test_report("pingpong", TEST_FAIL,
                    "duplicate events after %lu role=ping sent=%lu "
                    "received=%lu",
                    (unsigned long)pp->count, (unsigned long)sent(pp),
                    (unsigned long)(received(pp) - 1));
        return TEST_FAIL;
    }
    /* received counts the hello too: exactly count + 1, checked above. */
    test_report("pingpong", TEST_PASS,
                "role=ping port=%u sent=%lu received=%lu", pp->port,
                (unsigned long)pp->count, (unsigned long)pp->count);
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

static enum test_result pong_fail(struct pingpong *pp, const char *what,
                                  uint64_t after)
{
    test_report("pingpong", TEST_FAIL,
                "%s after %lu role=pong sent=%lu received=%lu", what,
                (unsigned long)after, (unsigned long)sent(pp),
                (unsigned long)received(pp));
    return TEST_FAIL;
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
    /* Each ping must arrive within the timeout of the previous one.  The
     * handler answers at once, so ping may be several events ahead of
     * this loop: only more than (count) events is certainly a duplicate
     * here (ping itself checks every answer exactly). */
    for (pp->target = 1; pp->target <= pp->count; pp->target++) {
        if (!wait_until(c, reached, pp, PP_EVENT_TIMEOUT_NS))
            return pong_fail(pp, "lost event", received(pp));
        if (received(pp) > pp->count)
            return pong_fail(pp, "duplicate events", pp->count);
    }
    if (settle(pp, pp->count) < 0)
        return pong_fail(pp, "duplicate events", pp->count);
    if (sent(pp) != pp->count)
        return pong_fail(pp, "answers not sent", pp->count);
    test_report("pingpong", TEST_PASS,
                "role=pong port=%u sent=%lu received=%lu", pp->port,
                (unsigned long)pp->count, (unsigned long)pp->count);
    return TEST_PASS;
}

enum test_result test_pingpong(struct kernel *k)
{
    struct pingpong *pp = pp_state(k);

    if (!test_count(k, "pingpong", PP_DEFAULT_COUNT, PP_MAX_COUNT, &pp->count))
        return TEST_FAIL;
    return pp->ping ? run_ping(pp) : run_pong(k, pp);
}
