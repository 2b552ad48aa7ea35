/*
 * run.c: `xenemu run`: one hypervisor in this process, the domains of the
 * configuration files created in it (ids 1, 2, ... in file order), each run
 * by its backend, their consoles on stdout, and an exit status from their
 * shutdown reasons.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run.h"
#include "xenemu/backend.h"
#include "xenemu/xen_public.h"

struct run;

struct run_domain {
    struct run *run;
    const struct xenemu_domain_cfg *cfg;
    const struct backend *be;
    struct domain *d;
    struct vm *vm;
};

struct run {
    struct hv *hv;
    struct run_domain *doms;
    size_t nr;
    bool prefix;              /* several domains: name every line */
    pthread_mutex_t out_lock; /* stdout: lines never interleave */

    /* The --timeout watchdog. */
    pthread_mutex_t wd_lock;
    pthread_cond_t wd_cond; /* signalled when all domains have ended */
    bool finished;          /* under wd_lock */
    bool timed_out;         /* under wd_lock */
    unsigned int timeout_s; /* 0: no watchdog */
};

/* ---- consoles ---- */

/* The backend's console hook: one line of the domain's console log (the
 * core has filtered and assembled it), prefixed with the domain's name when
 * several domains share the terminal. */
static void console_out(void *opaque, const char *buf, size_t len)
{
    struct run_domain *rd = opaque;

    pthread_mutex_lock(&rd->run->out_lock);
    if (rd->run->prefix)
        printf("[%s] ", rd->cfg->name);
    fwrite(buf, 1, len, stdout);
    putchar('\n');
    fflush(stdout);
    pthread_mutex_unlock(&rd->run->out_lock);
}

/* ---- setting up ---- */

static const struct backend *pick_backend(const struct xenemu_domain_cfg *c,
                                          const char *override)
{
    enum xenemu_backend want = c->backend;
    char why[256];

    if (override)
        return backend_by_name(override);
    if (want == XENEMU_BACKEND_SIM)
        return &backend_sim;
    if (backend_kvm.probe(why, sizeof(why)) == 0)
        return &backend_kvm;
    if (want == XENEMU_BACKEND_KVM) {
        fprintf(stderr, "xenemu: %s:%u: backend: kvm is not usable here: %s\n",
                c->file, c->line, why);
        return NULL;
    }
    fprintf(stderr, "xenemu: %s: backend auto: using sim (%s)\n", c->name, why);
    return &backend_sim;
}

static int create_one(struct run *run, struct run_domain *rd,
                      const char *override)
{
    struct domain_config dc;
    struct vm_params p;
    char err[512];
    int rc;

    rd->be = pick_backend(rd->cfg, override);
    if (!rd->be)
        return -1;
    config_to_domain(rd->cfg, &dc);
    rc = domain_create(run->hv, 0, &dc, &rd->d);
    if (rc) {
        fprintf(stderr, "xenemu: %s: domain creation failed: %s\n",
                rd->cfg->name, strerror(-rc));
        return -1;
    }
    p = (struct vm_params){
        .name = rd->cfg->name,
        .kernel = rd->cfg->kernel,
        .cmdline = rd->cfg->cmdline,
        .memory_bytes = rd->cfg->memory_mib << 20,
        .console = console_out,
        .console_opaque = rd,
    };
    if (rd->be->vm_create(rd->d, &p, &rd->vm, err, sizeof(err))) {
        fprintf(stderr, "xenemu: %s: %s\n", rd->cfg->name, err);
        return -1;
    }
    return 0;
}

static void destroy_all(struct run *run)
{
    for (size_t i = run->nr; i-- > 0;) {
        struct run_domain *rd = &run->doms[i];

        /* The domain first: closing its ports still touches guest RAM
         * (the FIFO event array), which vm_destroy() unmaps. */
        if (rd->d)
            domain_destroy(rd->d);
        if (rd->vm)
            rd->be->vm_destroy(rd->vm);
        if (rd->d)
            domain_put(rd->d);
    }
}

/* ---- running ---- */

/* Stop every domain when --timeout passes before they all shut down. */
static void *watchdog(void *arg)
{
    struct run *run = arg;
    struct timespec until;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += run->timeout_s;
    pthread_mutex_lock(&run->wd_lock);
    while (!run->finished && !run->timed_out)
        if (pthread_cond_timedwait(&run->wd_cond, &run->wd_lock, &until) ==
            ETIMEDOUT)
            run->timed_out = true;
    pthread_mutex_unlock(&run->wd_lock);
    if (run->timed_out)
        for (size_t i = 0; i < run->nr; i++)
            run->doms[i].be->vm_stop(run->doms[i].vm);
    return NULL;
}

static int start_watchdog(struct run *run, pthread_t *thread)
{
    pthread_condattr_t attr;
    int rc;

    pthread_mutex_init(&run->wd_lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&run->wd_cond, &attr);
    pthread_condattr_destroy(&attr);
    if (!run->timeout_s)
        return 0;
    rc = pthread_create(thread, NULL, watchdog, run);
    if (rc)
        fprintf(stderr, "xenemu: cannot start the timeout thread: %s\n",
                strerror(rc));
    return rc ? -1 : 0;
}

static void stop_watchdog(struct run *run, pthread_t thread)
{
    pthread_mutex_lock(&run->wd_lock);
    run->finished = true;
    pthread_cond_signal(&run->wd_cond);
    pthread_mutex_unlock(&run->wd_lock);
    if (run->timeout_s)
        pthread_join(thread, NULL);
    pthread_cond_destroy(&run->wd_cond);
    pthread_mutex_destroy(&run->wd_lock);
}

static const char *reason_name(unsigned int reason)
{
    static const char *const names[] = {
        [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
        [SHUTDOWN_suspend] = "suspend",   [SHUTDOWN_crash] = "crash",
        [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
    };

    if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
        return names[reason];
    return "unknown reason";
}

/* Report how each domain ended; the worst outcome is the exit status. */
static int report(struct run *run)
{
    int status = RUN_EXIT_OK;

    for (size_t i = 0; i < run->nr; i++) {
        struct run_domain *rd = &run->doms[i];
        struct domain *d = rd->d;

        if (!__atomic_load_n(&d->is_shutdown, __ATOMIC_ACQUIRE)) {
            fprintf(stderr,
                    "xenemu: %s (domain %u, %s): still running "
                    "after %u s: stopped\n",
                    rd->cfg->name, d->domid, rd->be->name, run->timeout_s);
            status = RUN_EXIT_TIMEOUT;
            continue;
        }
        fprintf(stderr, "xenemu: %s (domain %u, %s): %s\n", rd->cfg->name,
                d->domid, rd->be->name, reason_name(d->shutdown_reason));
        if (d->shutdown_reason != SHUTDOWN_poweroff && status == RUN_EXIT_OK)
            status = RUN_EXIT_GUEST;
    }
    fflush(stdout);
    return status;
}

static int start_all(struct run *run)
{
    char err[512];

    for (size_t i = 0; i < run->nr; i++) {
        struct run_domain *rd = &run->doms[i];

        domain_unpause(rd->d);
        if (rd->be->vm_start(rd->vm, err, sizeof(err))) {
            fprintf(stderr, "xenemu: %s: %s\n", rd->cfg->name, err);
            for (size_t j = 0; j < i; j++)
                run->doms[j].be->vm_stop(run->doms[j].vm);
            for (size_t j = 0; j < i; j++)
                run->doms[j].be->vm_wait(run->doms[j].vm);
            return -1;
        }
    }
    return 0;
}

static int run_all(struct run *run)
{
    pthread_t wd;
    int status;

    if (start_watchdog(run, &wd))
        return RUN_EXIT_USAGE;
    if (start_all(run)) {
        stop_watchdog(run, wd);
        return RUN_EXIT_USAGE;
    }
    for (size_t i = 0; i < run->nr; i++)
        run->doms[i].be->vm_wait(run->doms[i].vm);
    stop_watchdog(run, wd);
    status = report(run);
    return status;
}

int run_domains(const struct xenemu_config *cfg, const struct run_options *o)
{
    struct run run = {
        .nr = cfg->nr, .prefix = cfg->nr > 1, .timeout_s = o->timeout_s};
    int status = RUN_EXIT_USAGE;
    int rc;

    run.doms = calloc(cfg->nr, sizeof(*run.doms));
    if (!run.doms) {
        fprintf(stderr, "xenemu: out of memory\n");
        return RUN_EXIT_USAGE;
    }
    pthread_mutex_init(&run.out_lock, NULL);
    rc = hv_create(&backend_hv_ops, NULL, &run.hv);
    if (rc) {
        fprintf(stderr, "xenemu: cannot create the hypervisor: %s\n",
                strerror(-rc));
        goto out_free;
    }
    for (size_t i = 0; i < cfg->nr; i++) {
        run.doms[i].run = &run;
        run.doms[i].cfg = &cfg->domains[i];
        if (create_one(&run, &run.doms[i], o->backend))
            goto out_destroy;
    }
    status = run_all(&run);
out_destroy:
    destroy_all(&run);
    hv_destroy(run.hv);
out_free:
    pthread_mutex_destroy(&run.out_lock);
    free(run.doms);
    return status;
}
