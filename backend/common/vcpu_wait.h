/*
 * vcpu_wait.h: what both backends need to block vCPUs and run their timers.
 *
 * struct vcpu_waiter is a blocked vCPU's sleep: SCHEDOP_block/poll (the
 * core's block() op) wait on it, and kick()/wake() end the wait.  A kick
 * that comes before the wait begins is kept, so it is never lost (the core
 * checks for pending events before it calls block(); an event raised
 * between that check and the wait kicks the waiter first).
 *
 * struct vtimer_service is one thread that fires the core's vCPU timers
 * (vcpu_timer_fire()) and domain watchdogs (sched_watchdog_fire()) when
 * their deadlines pass.
 */
#ifndef XENEMU_BACKEND_VCPU_WAIT_H
#define XENEMU_BACKEND_VCPU_WAIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "xenemu/domain.h"

struct vcpu_waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC, as hv_now_ns() */
    bool kicked;         /* under lock */
};

int vcpu_waiter_init(struct vcpu_waiter *w);
void vcpu_waiter_destroy(struct vcpu_waiter *w);
/* End the current wait, or the next one if none is in progress. */
void vcpu_waiter_kick(struct vcpu_waiter *w);
/* Wait until kicked or until Xen system time (deadline_ns) of (hv) (0: no
 * deadline).  Consumes the kick. */
void vcpu_waiter_wait(struct vcpu_waiter *w, const struct hv *hv,
                      uint64_t deadline_ns);

/* A vCPU's (or a domain watchdog's) place in a timer service; embed one
 * per vCPU and one per domain. */
struct vtimer {
    struct vcpu *v;    /* a vCPU's timers, or NULL: */
    struct domain *d;  /* the domain's SCHEDOP_watchdog */
    uint64_t deadline; /* under the service's lock; 0 = not armed */
    struct vtimer *next;
};

struct vtimer_service;

/* Start the timer thread for vCPUs of (hv).  0 or -errno. */
int vtimer_service_create(const struct hv *hv, struct vtimer_service **out);
/* Stop the thread; every vtimer must have been removed. */
void vtimer_service_destroy(struct vtimer_service *s);
/* Register (t) for vCPU (v), disarmed. */
void vtimer_add(struct vtimer_service *s, struct vtimer *t, struct vcpu *v);
/* Register (t) for (d)'s watchdog (the core's watchdog_changed() arms it;
 * the service calls sched_watchdog_fire(d)), disarmed. */
void vtimer_add_watchdog(struct vtimer_service *s, struct vtimer *t,
                         struct domain *d);
/* Unregister (t); once this returns the service no longer touches it or
 * its vCPU (an expiry being fired is waited for).  Not from the vCPU's
 * timer_changed() path. */
void vtimer_remove(struct vtimer_service *s, struct vtimer *t);
/* Arm (t) for (deadline_ns), or disarm it with 0: the core's
 * timer_changed() op.  When the deadline passes the service calls
 * vcpu_timer_fire(t->v) from its thread. */
void vtimer_arm(struct vtimer_service *s, struct vtimer *t,
                uint64_t deadline_ns);

#endif /* XENEMU_BACKEND_VCPU_WAIT_H */
