/*
 * sandbox.c: dropping capabilities (libcap-ng) and the vCPU threads'
 * seccomp filter (libseccomp); see sandbox.h.
 */
#define _GNU_SOURCE /* siginfo_t's si_syscall, CLONE_THREAD */
#include <cap-ng.h>
#include <linux/kvm.h>
#include <malloc.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox.h"

int sandbox_drop_caps(char *err, size_t len)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
        snprintf(err, len, "no_new_privs: %s", strerror(errno));
        return -1;
    }
    /* This thread's effective, permitted and inheritable sets become
     * empty (always allowed); the bounding set too where the thread may
     * change it (CAP_SETPCAP, root): then not even an exec as root would
     * bring a capability back. */
    if (capng_get_caps_process()) {
        snprintf(err, len, "cannot read the thread's capabilities");
        return -1;
    }
    /* Started by a thread that had dropped them already: nothing left. */
    if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
        return 0;
    bool bounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);

    capng_clear(CAPNG_SELECT_BOTH);
    /* The bounding set first: clearing it takes CAP_SETPCAP, which the
     * second step drops. */
    if (bounds && capng_apply(CAPNG_SELECT_BOUNDS)) {
        snprintf(err, len, "cannot clear the capability bounding set");
        return -1;
    }
    if (capng_apply(CAPNG_SELECT_CAPS)) {
        snprintf(err, len, "cannot drop capabilities");
        return -1;
    }
    return 0;
}

/* ---- the vCPU filter ---- */

/* A refused call: say which, and stop (only write and exit_group, both
 * allowed, are made here). */
static void refused(int sig, siginfo_t *si, void *ctx)
{
    static const char head[] = "xenemu: a vCPU thread made system call ";
    static const char tail[] = ", which its seccomp filter refuses "
                               "(a xenemu bug: please report it)\n";
    char num[12];
    int n = sizeof(num), nr = si->si_syscall;

    (void)sig;
    (void)ctx;
    do {
        num[--n] = (char)('0' + nr % 10);
        nr /= 10;
    } while (nr && n > 0);
    if (write(2, head, sizeof(head) - 1) < 0 ||
        write(2, num + n, sizeof(num) - (size_t)n) < 0 ||
        write(2, tail, sizeof(tail) - 1) < 0)
        _exit(70);
    _exit(70);
}

/* Once, before the first filter: the handler, and a fixed number of
 * malloc arenas (glibc otherwise reads /sys/devices/system/cpu/online the
 * first time a thread needs an arena of its own, which a filtered vCPU
 * thread may not). */
static void sandbox_once(void)
{
    struct sigaction sa = {.sa_sigaction = refused, .sa_flags = SA_SIGINFO};

    sigemptyset(&sa.sa_mask);
    sigaction(SIGSYS, &sa, NULL);
    mallopt(M_ARENA_MAX, 8);
}

/* What every vCPU thread may call, without conditions.  The sanitizers'
 * runtimes (make check runs them) need the memory and scheduling calls
 * too. */
static const int allowed[] = {
    SCMP_SYS(futex),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigtimedwait),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(tgkill),
    SCMP_SYS(tkill),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(brk),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep),
    SCMP_SYS(sched_yield),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(getrusage),
    SCMP_SYS(sched_getaffinity),
};

/* A condition on the first argument (libseccomp's SCMP_A0 macro leaves
 * fields to the compiler's zeroing, which -Wextra flags). */
static struct scmp_arg_cmp arg0(enum scmp_compare op, scmp_datum_t a,
                                scmp_datum_t b)
{
    return (struct scmp_arg_cmp){
        .arg = 0, .op = op, .datum_a = a, .datum_b = b};
}

/* Calls allowed on the file descriptors stdout and stderr only: console
 * lines and messages, and the C library's look at a stream's file before
 * its first write (fstat, and isatty's ioctl below). */
static const int on_stdio[] = {
    SCMP_SYS(write),
    SCMP_SYS(writev),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
};

static int build_filter(scmp_filter_ctx ctx, const int *kvm_fds, size_t n,
                        int vm_fd)
{
    int rc = 0;

    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && !rc; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    for (scmp_datum_t fd = 1; fd <= 2 && !rc; fd++) {
        /* isatty(), as the C library sizes a stream's buffer. */
        struct scmp_arg_cmp tcgets[2] = {
            arg0(SCMP_CMP_EQ, fd, 0),
            {.arg = 1, .op = SCMP_CMP_EQ, .datum_a = TCGETS, .datum_b = 0},
        };

        for (size_t i = 0; i < sizeof(on_stdio) / sizeof(on_stdio[0]) && !rc;
             i++)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, on_stdio[i], 1,
                                  arg0(SCMP_CMP_EQ, fd, 0));
        if (!rc)
            rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
                                        tcgets);
    }
    /* KVM: the domain's vCPU fds (a vCPU thread that VCPUOP_up starts
     * from here inherits this filter, and stacked filters only narrow). */
    for (size_t i = 0; i < n && !rc; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                              arg0(SCMP_CMP_EQ, (scmp_datum_t)kvm_fds[i], 0));
    /* The VM fd for one request: XENMEM_add_to_physmap places a hypervisor
     * page as a memory slot (backend/kvm/mem.c). */
    if (!rc && vm_fd >= 0) {
        struct scmp_arg_cmp on_vm[2] = {
            arg0(SCMP_CMP_EQ, (scmp_datum_t)vm_fd, 0),
            {.arg = 1,
             .op = SCMP_CMP_EQ,
             .datum_a = KVM_SET_USER_MEMORY_REGION,
             .datum_b = 0},
        };

        rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
                                    on_vm);
    }
    /* Whether a filter is in place already (sandbox_vcpu_thread()). */
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                              arg0(SCMP_CMP_EQ, PR_GET_SECCOMP, 0));
    /* VCPUOP_up starts a thread from here: clone for threads only (clone3
     * hides its flags in memory, so it answers ENOSYS and the C library
     * falls back to clone). */
    if (!rc)
        rc = seccomp_rule_add(
            ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
            arg0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    return rc;
}

int sandbox_vcpu_thread(const int *kvm_fds, size_t n, int vm_fd, char *err,
                        size_t len)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    scmp_filter_ctx ctx;
    sigset_t sys;
    int rc;

    /* vCPU threads block most signals; a refused call's SIGSYS must reach
     * refused(), or the kernel kills the process without a word. */
    sigemptyset(&sys);
    sigaddset(&sys, SIGSYS);
    pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
    /* Started by a vCPU thread (VCPUOP_up): its filter and dropped
     * capabilities came along. */
    if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2)
        return 0;
    if (sandbox_drop_caps(err, len))
        return -1;
    pthread_once(&once, sandbox_once);
    /* Default: SIGSYS to refused().  No TSYNC: this thread (and the ones it
     * starts) only. */
    ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx) {
        snprintf(err, len, "seccomp: cannot set up a filter");
        return -1;
    }
    rc = build_filter(ctx, kvm_fds, n, vm_fd);
    if (!rc)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc) {
        snprintf(err, len, "seccomp: %s", strerror(-rc));
        return -1;
    }
    return 0;
}
