/*
 * run.c: `xenemu run`: one hypervisor in this process, the domains of the
 * configuration files created in it (ids 1, 2, ... in file order), each run
 * by its backend, their consoles on stdout, and an exit status from their
 * shutdown reasons.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "../backend/common/sandbox.h"
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

    /* The supervisor (--timeout, SIGINT, SIGTERM). */
    unsigned int timeout_s; /* 0: none */
    int sig_fd;             /* signalfd of SIGINT and SIGTERM */
    int done_fd;            /* eventfd: every domain has ended */
    const char *stop_why;   /* what stopped the domains, NULL if nothing */
    int stop_signal;        /* the signal that did, 0 if none */
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
                c->file, c->backend_line, why);
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
    if (rd->be->check_memory(rd->cfg->memory_mib << 20, rd->cfg->vcpus, err,
                             sizeof(err))) {
        fprintf(stderr, "xenemu: %s:%u: memory: %s\n", rd->cfg->file,
                rd->cfg->memory_line, err);
        return -1;
    }
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

/*
 * The supervisor thread stops every domain when --timeout passes or
 * SIGINT/SIGTERM arrives before they all shut down.  Both signals are
 * blocked in every thread (run_domains() blocks them before any thread
 * starts, and threads inherit the mask) and read here from a signalfd;
 * run_all() ends the wait through an eventfd once all domains are done.
 */
static void *supervisor(void *arg)
{
    struct run *run = arg;
    struct pollfd fds[2] = {{.fd = run->sig_fd, .events = POLLIN},
                            {.fd = run->done_fd, .events = POLLIN}};
    struct timespec until, now;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += run->timeout_s;
    for (;;) {
        int wait_ms = -1;

        if (run->timeout_s) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec > until.tv_sec ||
                (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec)) {
                run->stop_why = "timeout";
                break;
            }
            wait_ms = (int)((until.tv_sec - now.tv_sec) * 1000 +
                            (until.tv_nsec - now.tv_nsec) / 1000000) +
                      1;
        }
        if (poll(fds, 2, wait_ms) < 0 && errno != EINTR)
            return NULL;
        if (fds[1].revents)
            return NULL; /* all domains ended by themselves */
        if (fds[0].revents) {
            struct signalfd_siginfo si;

            if (read(run->sig_fd, &si, sizeof(si)) == sizeof(si)) {
                run->stop_signal = (int)si.ssi_signo;
                run->stop_why = si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
                break;
            }
        }
    }
    fprintf(stderr, "xenemu: %s: stopping every domain\n", run->stop_why);
    for (size_t i = 0; i < run->nr; i++)
        run->doms[i].be->vm_stop(run->doms[i].vm);
    return NULL;
}

static int start_supervisor(struct run *run, pthread_t *thread)
{
    int rc;

    run->done_fd = eventfd(0, EFD_CLOEXEC);
    if (run->done_fd < 0) {
        fprintf(stderr, "xenemu: eventfd: %s\n", strerror(errno));
        return -1;
    }
    rc = pthread_create(thread, NULL, supervisor, run);
    if (rc) {
        fprintf(stderr, "xenemu: cannot start the supervisor thread: %s\n",
                strerror(rc));
        close(run->done_fd);
    }
    return rc ? -1 : 0;
}

static void stop_supervisor(struct run *run, pthread_t thread)
{
    uint64_t one = 1;

    if (write(run->done_fd, &one, sizeof(one)) != sizeof(one))
        abort(); /* an eventfd write of 1 cannot fail */
    /* The join orders the supervisor's writes of stop_why/stop_signal
     * before report() reads them. */
    pthread_join(thread, NULL);
    close(run->done_fd);
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
            if (run->stop_signal)
                fprintf(stderr, "xenemu: %s (domain %u, %s): stopped by %s\n",
                        rd->cfg->name, d->domid, rd->be->name, run->stop_why);
            else
                fprintf(stderr,
                        "xenemu: %s (domain %u, %s): still running "
                        "after %u s: stopped\n",
                        rd->cfg->name, d->domid, rd->be->name, run->timeout_s);
            status = run->stop_signal ? RUN_EXIT_SIGNAL(run->stop_signal)
                                      : RUN_EXIT_TIMEOUT;
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
    char err[256];
    pthread_t sup;

    /* Everything that needed the host's privileges (opening images and
     * /dev/kvm) is done: give them up before guests run, in this thread and
     * so in every thread started from here. */
    if (sandbox_drop_caps(err, sizeof(err))) {
        fprintf(stderr, "xenemu: %s\n", err);
        return RUN_EXIT_USAGE;
    }
    if (start_supervisor(run, &sup))
        return RUN_EXIT_USAGE;
    if (start_all(run)) {
        stop_supervisor(run, sup);
        return RUN_EXIT_USAGE;
    }
    for (size_t i = 0; i < run->nr; i++)
        run->doms[i].be->vm_wait(run->doms[i].vm);
    stop_supervisor(run, sup);
    return report(run);
}

/* Block SIGINT and SIGTERM in this thread (and so in every thread it
 * starts) and read them from a signalfd instead.  The old mask is left in
 * *old for restore_signals(). */
static int catch_signals(struct run *run, sigset_t *old)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &set, old))
        return -1;
    run->sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
    if (run->sig_fd < 0) {
        fprintf(stderr, "xenemu: signalfd: %s\n", strerror(errno));
        pthread_sigmask(SIG_SETMASK, old, NULL);
        return -1;
    }
    return 0;
}

static void restore_signals(struct run *run, const sigset_t *old)
{
    close(run->sig_fd);
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

int run_domains(const struct xenemu_config *cfg, const struct run_options *o)
{
    struct run run = {
        .nr = cfg->nr, .prefix = cfg->nr > 1, .timeout_s = o->timeout_s};
    int status = RUN_EXIT_USAGE;
    sigset_t old_mask;
    int rc;

    run.doms = calloc(cfg->nr, sizeof(*run.doms));
    if (!run.doms) {
        fprintf(stderr, "xenemu: out of memory\n");
        return RUN_EXIT_USAGE;
    }
    if (catch_signals(&run, &old_mask)) {
        free(run.doms);
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
    restore_signals(&run, &old_mask);
    free(run.doms);
    return status;
}
