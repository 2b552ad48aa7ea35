/*
 * vcpu_wait.c: blocking vCPUs and firing their one-shot timers, for both
 * backends (see vcpu_wait.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sandbox.h"
#include "vcpu_wait.h"
#include "xenemu/sched.h"

/* hv system time (ns since hv->boot_ns on CLOCK_MONOTONIC) as an absolute
 * CLOCK_MONOTONIC timespec for pthread_cond_timedwait(). */
static struct timespec monotonic_at(const struct hv *hv, uint64_t sys_ns)
{
    /* Saturate: a guest deadline (a SCHEDOP_poll timeout) near 2^64 must
     * mean "far away", not wrap into the past and spin a host thread.
     * time_t seconds of INT64_MAX / 1e9 stay representable. */
    uint64_t abs_ns = sys_ns > INT64_MAX - hv->boot_ns ? (uint64_t)INT64_MAX
                                                       : hv->boot_ns + sys_ns;
    struct timespec ts = {
        .tv_sec = (time_t)(abs_ns / 1000000000u),
        .tv_nsec = (long)(abs_ns % 1000000000u),
    };
    return ts;
}

static int monotonic_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);

    if (rc)
        return -rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (!rc)
        rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return -rc;
}

int vcpu_waiter_init(struct vcpu_waiter *w)
{
    int rc = pthread_mutex_init(&w->lock, NULL);

    if (rc)
        return -rc;
    rc = monotonic_cond_init(&w->cond);
    if (rc) {
        pthread_mutex_destroy(&w->lock);
        return rc;
    }
    w->kicked = false;
    return 0;
}

void vcpu_waiter_destroy(struct vcpu_waiter *w)
{
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
}

void vcpu_waiter_kick(struct vcpu_waiter *w)
{
    /* kicked is set under the lock the waiter checks it under, so a kick
     * lands either before the check (the wait does not start) or while the
     * waiter sleeps in pthread_cond_wait() (which gave up the lock
     * atomically), and then the broadcast ends the wait.  Broadcasting after
     * the unlock spares the woken waiter from blocking on our lock. */
    pthread_mutex_lock(&w->lock);
    w->kicked = true;
    pthread_mutex_unlock(&w->lock);
    pthread_cond_broadcast(&w->cond);
}

void vcpu_waiter_wait(struct vcpu_waiter *w, const struct hv *hv,
                      uint64_t deadline_ns)
{
    struct timespec until = monotonic_at(hv, deadline_ns);

    pthread_mutex_lock(&w->lock);
    while (!w->kicked) {
        if (!deadline_ns) {
            pthread_cond_wait(&w->cond, &w->lock);
        } else if (pthread_cond_timedwait(&w->cond, &w->lock, &until) ==
                   ETIMEDOUT) {
            break;
        }
    }
    w->kicked = false;
    pthread_mutex_unlock(&w->lock);
}

/* ---- the timer service ---- */

struct vtimer_service {
    const struct hv *hv;
    pthread_mutex_t lock; /* the list, every deadline, stop */
    pthread_cond_t cond;  /* signalled when the earliest deadline may move */
    pthread_cond_t fired; /* signalled when firing goes back to NULL */
    struct vtimer *list;
    struct vtimer *firing; /* being fired outside the lock, or NULL */
    /* The thread is asleep until (sleep_until) (0: until signalled); a
     * vtimer_arm() that does not bring the earliest deadline forward need
     * not wake it, which saves a context switch on every re-arm. */
    bool sleeping;
    uint64_t sleep_until;
    bool stop;
    pthread_t thread;
};

/* The earliest armed deadline, 0 if none.  Under s->lock. */
static uint64_t earliest(const struct vtimer_service *s)
{
    uint64_t min = 0;

    for (const struct vtimer *t = s->list; t; t = t->next)
        min = deadline_min(min, t->deadline);
    return min;
}

/* Disarm and return one timer whose deadline is at or before (now), or
 * NULL.  Under s->lock. */
static struct vtimer *take_expired(struct vtimer_service *s, uint64_t now)
{
    for (struct vtimer *t = s->list; t; t = t->next) {
        if (t->deadline && t->deadline <= now) {
            t->deadline = 0;
            return t;
        }
    }
    return NULL;
}

static void *vtimer_thread(void *arg)
{
    struct vtimer_service *s = arg;
    char err[128];

    /* It raises guests' timer events: no host privilege needed. */
    if (sandbox_drop_caps(err, sizeof(err)))
        fprintf(stderr, "xenemu: timer thread: %s\n", err);

    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct vtimer *t = take_expired(s, hv_now_ns(s->hv));
        uint64_t next;

        if (t) {
            struct vcpu *v = t->v;
            struct domain *d = t->d;

            /* Fire without our lock: the core takes domain locks and may
             * call timer_changed() / watchdog_changed() -> vtimer_arm()
             * right back.  A stale fire is harmless (sched.h).  (firing)
             * makes vtimer_remove() wait until we are done with it. */
            s->firing = t;
            pthread_mutex_unlock(&s->lock);
            if (v)
                vcpu_timer_fire(v);
            else
                sched_watchdog_fire(d);
            pthread_mutex_lock(&s->lock);
            s->firing = NULL;
            pthread_cond_broadcast(&s->fired);
            continue;
        }
        next = earliest(s);
        s->sleeping = true;
        s->sleep_until = next;
        if (next) {
            struct timespec until = monotonic_at(s->hv, next);

            pthread_cond_timedwait(&s->cond, &s->lock, &until);
        } else {
            pthread_cond_wait(&s->cond, &s->lock);
        }
        s->sleeping = false;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int vtimer_service_create(const struct hv *hv, struct vtimer_service **out)
{
    struct vtimer_service *s = calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return -ENOMEM;
    s->hv = hv;
    rc = pthread_mutex_init(&s->lock, NULL);
    if (rc)
        goto err_free;
    rc = -monotonic_cond_init(&s->cond);
    if (rc)
        goto err_mutex;
    rc = pthread_cond_init(&s->fired, NULL);
    if (rc)
        goto err_cond;
    rc = pthread_create(&s->thread, NULL, vtimer_thread, s);
    if (rc)
        goto err_fired;
    *out = s;
    return 0;

err_fired:
    pthread_cond_destroy(&s->fired);
err_cond:
    pthread_cond_destroy(&s->cond);
err_mutex:
    pthread_mutex_destroy(&s->lock);
err_free:
    free(s);
    return -rc;
}

void vtimer_service_destroy(struct vtimer_service *s)
{
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->cond); /* unconditionally: it must see stop */
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->fired);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static void add(struct vtimer_service *s, struct vtimer *t, struct vcpu *v,
                struct domain *d)
{
    pthread_mutex_lock(&s->lock);
    t->v = v;
    t->d = d;
    t->deadline = 0;
    t->next = s->list;
    s->list = t;
    pthread_mutex_unlock(&s->lock);
}

void vtimer_add(struct vtimer_service *s, struct vtimer *t, struct vcpu *v)
{
    add(s, t, v, NULL);
}

void vtimer_add_watchdog(struct vtimer_service *s, struct vtimer *t,
                         struct domain *d)
{
    add(s, t, NULL, d);
}

void vtimer_remove(struct vtimer_service *s, struct vtimer *t)
{
    pthread_mutex_lock(&s->lock);
    for (struct vtimer **pp = &s->list; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    while (s->firing == t)
        pthread_cond_wait(&s->fired, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

void vtimer_arm(struct vtimer_service *s, struct vtimer *t,
                uint64_t deadline_ns)
{
    pthread_mutex_lock(&s->lock);
    t->deadline = deadline_ns;
    /* Wake the thread only if it sleeps towards a later deadline (or none);
     * a later or stopped deadline is found when it next wakes anyway. */
    if (s->sleeping && deadline_ns &&
        (!s->sleep_until || deadline_ns < s->sleep_until))
        pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}
