/*
 * bench_guest.c: the cost of an event between two running guests, next to
 * the host's own floor for the same exchange, measured in the same run.
 * Built and run by `make bench`.
 *
 * sim: two domains run xenemu's guest kernel as host threads (backend/sim)
 * and ping-pong over an interdomain channel: ping sends, pong's upcall
 * handler answers, ping blocks in SCHEDOP_block until the answer's upcall.
 * A run also boots and shuts down both guests, so each sample is the
 * difference of a long run (LONG round trips) and a short one (SHORT),
 * divided by LONG - SHORT: the cost of one round trip alone.  Baseline: two
 * host threads ping-ponging over a pair of eventfds with blocking reads,
 * the cheapest way two host threads can wake each other, timed the same
 * way.  Target: the guest round trip at most 2x the eventfd one.
 *
 * kvm: exits to user space per delivered event, from the KVM backend's
 * counters (vm_stats()).  Times are not reported: guest kernel code is
 * emulated on this platform (host-kvm.md), so they would mean nothing.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "xenemu/backend.h"
#include "xenemu/domain.h"

#define SAMPLES 7u
#define SHORT   2000u
#define LONG    52000u
#define KVM_RTS 200u

static const char *image = "build/guest/xenemu-guest.elf";

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned int n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    return v[n / 2];
}

/* ---- eventfd baseline ---- */

struct efd_pair {
    int to_pong, to_ping;
    unsigned int count;
};

static void *efd_pong(void *arg)
{
    struct efd_pair *p = arg;
    uint64_t one = 1, got;

    for (unsigned int i = 0; i < p->count; i++) {
        if (read(p->to_pong, &got, sizeof(got)) != sizeof(got) ||
            write(p->to_ping, &one, sizeof(one)) != sizeof(one))
            abort();
    }
    return NULL;
}

static uint64_t efd_run(unsigned int count)
{
    struct efd_pair p = {eventfd(0, 0), eventfd(0, 0), count};
    uint64_t one = 1, got, t0, t1;
    pthread_t th;

    if (p.to_pong < 0 || p.to_ping < 0 ||
        pthread_create(&th, NULL, efd_pong, &p))
        abort();
    t0 = now_ns();
    for (unsigned int i = 0; i < count; i++) {
        if (write(p.to_pong, &one, sizeof(one)) != sizeof(one) ||
            read(p.to_ping, &got, sizeof(got)) != sizeof(got))
            abort();
    }
    t1 = now_ns();
    pthread_join(th, NULL);
    close(p.to_pong);
    close(p.to_ping);
    return t1 - t0;
}

/* ---- two guests ---- */

struct guest_out {
    pthread_mutex_t lock;
    char text[8192];
    size_t len;
};

static void capture(void *opaque, const char *buf, size_t len)
{
    struct guest_out *o = opaque;

    /* One line at a time, kept with its newline. */
    pthread_mutex_lock(&o->lock);
    if (len > sizeof(o->text) - 2 - o->len)
        len = sizeof(o->text) - 2 - o->len;
    memcpy(o->text + o->len, buf, len);
    o->len += len;
    o->text[o->len++] = '\n';
    pthread_mutex_unlock(&o->lock);
}

/* Run ping and pong for (count) round trips on (be); 0 when both passed.
 * *elapsed is the whole run's wall time. */
static int guests_run(const struct backend *be, unsigned int count,
                      uint64_t *elapsed, struct vm_stats *stats)
{
    static const char *const roles[2] = {"ping", "pong"};
    struct guest_out out[2] = {{PTHREAD_MUTEX_INITIALIZER, {0}, 0},
                               {PTHREAD_MUTEX_INITIALIZER, {0}, 0}};
    struct domain *d[2] = {0};
    struct vm *vm[2] = {0};
    char cmdline[2][128], err[256];
    struct hv *hv;
    int rc = -1;
    uint64_t t0;

    if (hv_create(&backend_hv_ops, NULL, &hv))
        return -1;
    for (int i = 0; i < 2; i++) {
        struct domain_config cfg = {
            .create = {.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
                       .max_vcpus = 1,
                       .max_evtchn_port = 1023,
                       .max_grant_frames = -1,
                       .max_maptrack_frames = -1},
        };
        struct vm_params p = {.name = roles[i],
                              .kernel = image,
                              .cmdline = cmdline[i],
                              .memory_bytes = 16 << 20,
                              .console = capture,
                              .console_opaque = &out[i]};

        snprintf(cmdline[i], sizeof(cmdline[i]),
                 "test=pingpong role=%s peer=%d peer_port=1 count=%u", roles[i],
                 2 - i, count);
        if (domain_create(hv, 0, &cfg, &d[i]) ||
            be->vm_create(d[i], &p, &vm[i], err, sizeof(err))) {
            fprintf(stderr, "bench_guest: %s: %s\n", roles[i], err);
            goto out;
        }
        domain_unpause(d[i]);
    }
    t0 = now_ns();
    for (int i = 0; i < 2; i++)
        if (be->vm_start(vm[i], err, sizeof(err)))
            goto out;
    for (int i = 0; i < 2; i++)
        be->vm_wait(vm[i]);
    *elapsed = now_ns() - t0;
    rc = 0;
    for (int i = 0; i < 2; i++) {
        if (!strstr(out[i].text, "RESULT pingpong PASS")) {
            fprintf(stderr, "bench_guest: %s did not pass:\n%s\n", roles[i],
                    out[i].text);
            rc = -1;
        }
    }
    if (stats)
        for (int i = 0; i < 2; i++)
            vm_stats_add(stats, vm[i]);
out:
    for (int i = 0; i < 2; i++) {
        /* The domain before its RAM (see tools/run.c). */
        if (d[i])
            domain_destroy(d[i]);
        if (vm[i])
            be->vm_destroy(vm[i]);
        if (d[i])
            domain_put(d[i]);
    }
    hv_destroy(hv);
    return rc;
}

/* ---- the two comparisons ---- */

/* Per-round-trip ns of (count_long - count_short) extra round trips. */
static uint64_t slope(uint64_t t_long, uint64_t t_short)
{
    return t_long > t_short ? (t_long - t_short) / (LONG - SHORT) : 0;
}

static int bench_sim(void)
{
    uint64_t guest[SAMPLES], efd[SAMPLES], tl, ts, g, e;

    for (unsigned int i = 0; i < SAMPLES; i++) {
        if (guests_run(&backend_sim, SHORT, &ts, NULL) ||
            guests_run(&backend_sim, LONG, &tl, NULL))
            return -1;
        guest[i] = slope(tl, ts);
        efd[i] = slope(efd_run(LONG), efd_run(SHORT));
    }
    g = median(guest, SAMPLES);
    e = median(efd, SAMPLES);
    printf("interdomain round trip, two sim guests   %8llu ns  (median of "
           "%u)\n",
           (unsigned long long)g, SAMPLES);
    printf("baseline: eventfd ping-pong, two threads %8llu ns\n",
           (unsigned long long)e);
    printf("ratio %.2fx (target <= 2.00x): %s\n", e ? (double)g / e : 0.0,
           g <= 2 * e ? "PASS" : "MISS");
    return 0;
}

static int bench_kvm(void)
{
    struct vm_stats s_short = {0}, s_long = {0};
    const unsigned int rts_short = KVM_RTS / 4;
    uint64_t t, events;
    char why[256];

    if (backend_kvm.probe(why, sizeof(why))) {
        printf("kvm: skipped: %s\n", why);
        return 0;
    }
    if (guests_run(&backend_kvm, rts_short, &t, &s_short) ||
        guests_run(&backend_kvm, KVM_RTS, &t, &s_long))
        return -1;
    /* Two events per round trip; the short run's counts cancel boot and
     * shutdown. */
    events = 2ull * (KVM_RTS - rts_short);
    printf("kvm: per delivered event (%llu events, both guests): "
           "%.2f exits, %.2f hypercalls, %.2f injected upcalls\n",
           (unsigned long long)events,
           (double)(s_long.exits - s_short.exits) / events,
           (double)(s_long.hypercalls - s_short.hypercalls) / events,
           (double)(s_long.upcalls - s_short.upcalls) / events);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        image = argv[1];
    printf("bench_guest: guest image %s\n", image);
    if (bench_sim() || bench_kvm())
        return 1;
    return 0;
}
