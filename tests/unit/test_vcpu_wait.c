/* test_vcpu_wait.c: the backends' shared vCPU waiter and timer service
 * (backend/common/vcpu_wait.c).  Waits are bounded by generous deadlines
 * only so that a broken wake-up fails the test instead of hanging it; no
 * assertion depends on how long anything took. */
#include <pthread.h>
#include <time.h>

#include "harness.h"
#include "../../backend/common/vcpu_wait.h"
#include "xenemu/sched.h"

#define PATIENCE_NS 10000000000ull /* 10 s: "never", for a failing test */

static void test_kick_before_wait_is_kept(void **state)
{
    struct harness_fixture *f = *state;
    struct vcpu_waiter w;

    assert_int_equal(vcpu_waiter_init(&w), 0);
    vcpu_waiter_kick(&w);
    /* Returns at once although there is no deadline: the kick was kept. */
    vcpu_waiter_wait(&w, f->hv, 0);
    assert_false(w.kicked); /* and consumed */
    vcpu_waiter_destroy(&w);
}

static void test_deadline_ends_wait(void **state)
{
    struct harness_fixture *f = *state;
    struct vcpu_waiter w;
    uint64_t deadline;

    assert_int_equal(vcpu_waiter_init(&w), 0);
    deadline = hv_now_ns(f->hv) + 1000000;
    vcpu_waiter_wait(&w, f->hv, deadline);
    assert_true(hv_now_ns(f->hv) >= deadline);
    vcpu_waiter_destroy(&w);
}

struct kicker {
    struct vcpu_waiter *w;
    int started; /* atomic */
};

static void *kick_thread(void *arg)
{
    struct kicker *k = arg;

    __atomic_store_n(&k->started, 1, __ATOMIC_RELEASE);
    vcpu_waiter_kick(k->w);
    return NULL;
}

static void test_kick_from_another_thread(void **state)
{
    struct harness_fixture *f = *state;
    struct vcpu_waiter w;
    struct kicker k = {&w, 0};
    pthread_t th;

    assert_int_equal(vcpu_waiter_init(&w), 0);
    for (int i = 0; i < 200; i++) {
        uint64_t give_up = hv_now_ns(f->hv) + PATIENCE_NS;

        assert_int_equal(pthread_create(&th, NULL, kick_thread, &k), 0);
        vcpu_waiter_wait(&w, f->hv, give_up);
        pthread_join(th, NULL);
        /* Woken by the kick (or it came first), never by the deadline. */
        assert_true(hv_now_ns(f->hv) < give_up);
    }
    vcpu_waiter_destroy(&w);
}

/* Arm the core's timer of (v) 2 ms ahead through (t) on (s), and wait
 * (boundedly) for the VIRQ_TIMER port (port) to become pending: the
 * service fired it.  The port becomes pending last, after the core's
 * deadline is cleared. */
static void fire_and_wait(struct harness_fixture *f, struct vtimer_service *s,
                          struct vtimer *t, evtchn_port_t port)
{
    struct vcpu *v = f->d->vcpus[0];
    uint64_t deadline = hv_now_ns(f->hv) + 2000000;
    uint64_t give_up = hv_now_ns(f->hv) + PATIENCE_NS;

    clear_pending_2l(f->d, port);
    vcpu_timer_set(v, deadline);
    vtimer_arm(s, t, deadline);
    while (!pending_2l(f->d, port) && hv_now_ns(f->hv) < give_up) {
        const struct timespec nap = {.tv_nsec = 100000};

        nanosleep(&nap, NULL);
    }
    assert_true(pending_2l(f->d, port));
    assert_int_equal(__atomic_load_n(&v->timer_deadline, __ATOMIC_ACQUIRE), 0);
    assert_true(hv_now_ns(f->hv) >= deadline); /* not before its time */
}

static evtchn_port_t bind_timer(struct domain *d)
{
    struct evtchn_bind_virq bind = {.virq = VIRQ_TIMER, .vcpu = 0};

    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_virq, &bind, sizeof(bind)), 0);
    return bind.port;
}

/* The service fires the core's timer: the VIRQ_TIMER port becomes
 * pending and the core's deadline is cleared. */
static void test_service_fires_core_timer(void **state)
{
    struct harness_fixture *f = *state;
    evtchn_port_t port = bind_timer(f->d);
    struct vtimer_service *s;
    struct vtimer t;

    assert_int_equal(vtimer_service_create(f->hv, &s), 0);
    vtimer_add(s, &t, f->d->vcpus[0]);
    fire_and_wait(f, s, &t, port);
    vtimer_remove(s, &t);
    vtimer_service_destroy(s);
}

/* Re-arming later, stopping, and removing while armed leave the service
 * working: a timer added afterwards still fires (and TSan and ASan watch
 * for a stale deadline fired into a removed timer). */
static void test_rearm_stop_remove(void **state)
{
    struct harness_fixture *f = *state;
    struct vcpu *v = f->d->vcpus[0];
    evtchn_port_t port = bind_timer(f->d);
    struct vtimer_service *s;
    struct vtimer t[4], last;

    assert_int_equal(vtimer_service_create(f->hv, &s), 0);
    for (int round = 0; round < 100; round++) {
        uint64_t now = hv_now_ns(f->hv);

        for (int i = 0; i < 4; i++)
            vtimer_add(s, &t[i], v);
        vtimer_arm(s, &t[0], now + 1000);        /* due almost at once */
        vtimer_arm(s, &t[1], now + PATIENCE_NS); /* far */
        vtimer_arm(s, &t[1], now + 500);         /* brought forward */
        vtimer_arm(s, &t[2], now + 500);
        vtimer_arm(s, &t[2], 0); /* stopped */
        vtimer_arm(s, &t[3], now);
        for (int i = 0; i < 4; i++)
            vtimer_remove(s, &t[i]);
    }
    vtimer_add(s, &last, v);
    fire_and_wait(f, s, &last, port);
    vtimer_remove(s, &last);
    vtimer_service_destroy(s);
}

int main(void)
{
#define T(fn)                                                                  \
    cmocka_unit_test_setup_teardown(fn, harness_setup_one, harness_teardown_one)
    const struct CMUnitTest tests[] = {
        T(test_kick_before_wait_is_kept), T(test_deadline_ends_wait),
        T(test_kick_from_another_thread), T(test_service_fires_core_timer),
        T(test_rearm_stop_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
