/*
 * vcpu.c: one host thread per vCPU, running KVM_RUN and handling its exits:
 * hypercalls (port I/O from the hypercall page), the hypercall-page MSR,
 * Xen's HVM debug port 0xe9, HLT, and everything unexpected (the domain
 * crashes).
 *
 * Bounding KVM_RUN: the vCPU threads block the kick signal except inside
 * KVM_RUN (KVM_SET_SIGNAL_MASK), so a kick sent at any time either
 * interrupts KVM_RUN (-EINTR) or stays pending until the next KVM_RUN,
 * which then returns at once: no kick is lost.  The handler never runs
 * (the signal is blocked again by the time KVM_RUN returns): the loop
 * consumes the pending signal with sigtimedwait() after each -EINTR.  A
 * watchdog thread per VM sends the signal to every vCPU inside KVM_RUN every
 * WATCHDOG_MS, so a guest spinning at CPL0 still sees stop requests.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "xenemu/cpuid.h"
#include "xenemu/hypercall.h"
#include "xenemu/sched.h"
#include "../common/sandbox.h"
#include "kvm.h"
#include "xenemu/x86.h"
#include "xenemu/guest_mem.h"

#define WATCHDOG_MS  150
#define MSR_IA32_TSC 0x10

static int kick_signal(void)
{
    /* A real-time signal nobody else in xenemu uses. */
    return SIGRTMIN + 4;
}

void kvm_log(const struct kvm_vm *kvm, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "xenemu: %s: %s\n", kvm->vm.params.name, line);
}

static void kick_handler(int sig)
{
    (void)sig; /* only here to make KVM_RUN return -EINTR */
}

static pthread_once_t signal_once = PTHREAD_ONCE_INIT;
static int signal_rc;

static void signal_setup(void)
{
    struct sigaction sa = {.sa_handler = kick_handler};

    sigemptyset(&sa.sa_mask);
    signal_rc = sigaction(kick_signal(), &sa, NULL);
}

int kvm_signal_init(void)
{
    /* Process-wide, installed once: every KVM VM uses the same handler. */
    pthread_once(&signal_once, signal_setup);
    return signal_rc;
}

void kvm_vcpu_interrupt_locked(struct kvm_vcpu *kv)
{
    /* A thread that has finished may be joined at any moment (its pthread_t
     * goes stale); thread_exited is set under vm->lock, which we hold. */
    if (kv->thread_started && !kv->thread_exited)
        pthread_kill(kv->thread, kick_signal());
}

void kvm_vcpu_interrupt(struct kvm_vcpu *kv)
{
    /* Pairs with the seq_cst store of in_run in run_once(); see kvm.h. */
    if (!__atomic_load_n(&kv->in_run, __ATOMIC_SEQ_CST))
        return;
    /* Lock order: the core's domain locks (held by our caller in kick()),
     * then vm->lock, which is never held while calling into the core. */
    pthread_mutex_lock(&kv->vm->lock);
    kvm_vcpu_interrupt_locked(kv);
    pthread_mutex_unlock(&kv->vm->lock);
}

uint64_t kvm_guest_tsc(struct kvm_vcpu *kv)
{
    /* struct kvm_msrs with room for one entry (a flexible array). */
    uint64_t buf[(sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)) /
                 sizeof(uint64_t)] = {0};
    struct kvm_msrs *m = (struct kvm_msrs *)buf;

    /* The guest's TSC is the host's plus KVM's offset: ask KVM, which
     * knows the offset, rather than assume it is zero. */
    m->nmsrs = 1;
    m->entries[0].index = MSR_IA32_TSC;
    if (ioctl(kv->fd, KVM_GET_MSRS, m) != 1)
        return hv_rdtsc();
    return m->entries[0].data;
}

/* Let KVM_RUN, and only KVM_RUN, take the kick signal. */
static int signal_mask_setup(struct kvm_vcpu *kv)
{
    sigset_t blocked, run_mask;
    struct kvm_signal_mask *km;
    int rc;

    sigemptyset(&blocked);
    sigaddset(&blocked, kick_signal());
    if (pthread_sigmask(SIG_BLOCK, &blocked, &run_mask))
        return -1;
    sigdelset(&run_mask, kick_signal());
    km = calloc(1, sizeof(*km) + 8);
    if (!km)
        return -1;
    km->len = 8; /* the kernel's sigset: 64 bits */
    memcpy(km->sigset, &run_mask, 8);
    rc = ioctl(kv->fd, KVM_SET_SIGNAL_MASK, km);
    free(km);
    return rc;
}

static void crash(struct kvm_vcpu *kv, const char *why)
{
    struct kvm_regs r = {0};
    struct kvm_sregs s = {0};

    ioctl(kv->fd, KVM_GET_REGS, &r);
    ioctl(kv->fd, KVM_GET_SREGS, &s);
    kvm_log(kv->vm,
            "vcpu%u: %s: rip=%#llx rsp=%#llx rax=%#llx rflags=%#llx "
            "cr0=%#llx cr2=%#llx cr3=%#llx efer=%#llx cs=%#x",
            kv->v->id, why, r.rip, r.rsp, r.rax, r.rflags, s.cr0, s.cr2, s.cr3,
            s.efer, s.cs.selector);
    sched_domain_shutdown(kv->vm->vm.d, SHUTDOWN_crash);
}

/* Xen's hvm_triple_fault(): the domain shuts down with the reason its
 * HVM_PARAM_TRIPLE_FAULT_REASON names (reboot unless the toolstack set
 * another). */
static void triple_fault(struct kvm_vcpu *kv)
{
    struct domain *d = kv->vm->vm.d;
    uint64_t reason = __atomic_load_n(
        &d->hvm_params[HVM_PARAM_TRIPLE_FAULT_REASON], __ATOMIC_RELAXED);
    struct kvm_regs r = {0};

    ioctl(kv->fd, KVM_GET_REGS, &r);
    kvm_log(kv->vm, "vcpu%u: triple fault at rip=%#llx", kv->v->id, r.rip);
    sched_domain_shutdown(d, (unsigned int)reason);
}

/* Bytes written to Xen's HVM debug port go to the domain's console log.
 * Xen's hvm_print_line() claims the port for 1-byte accesses only (a wider
 * one is not inside its one-port range and goes to a device model, of
 * which a PVH domain has none): those are dropped.  `rep outsb` gives
 * several bytes. */
static void debug_console(struct kvm_vcpu *kv)
{
    const uint8_t *data = (const uint8_t *)kv->run + kv->run->io.data_offset;

    if (kv->run->io.size != 1)
        return;
    for (uint32_t i = 0; i < kv->run->io.count; i++)
        console_debug_port(kv->vm->vm.d, data[i]);
}

static int hypercall(struct kvm_vcpu *kv)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    struct hv_call call;
    uint64_t args[5];
    bool compat;
    long rc;

    if (ioctl(kv->fd, KVM_GET_REGS, &r) < 0 ||
        ioctl(kv->fd, KVM_GET_SREGS, &s) < 0)
        return -1;
    compat = !kvm_vcpu_long_mode(&s);
    if (compat) {
        uint64_t a[5] = {(uint32_t)r.rbx, (uint32_t)r.rcx, (uint32_t)r.rdx,
                         (uint32_t)r.rsi, (uint32_t)r.rdi};
        memcpy(args, a, sizeof(a));
    } else {
        uint64_t a[5] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8};
        memcpy(args, a, sizeof(a));
    }
    /* The core walks 4-level long-mode page tables only: a guest with
     * 32-bit (2-level or PAE) or 5-level paging would have its pointer
     * arguments read through the wrong format.  Refuse it plainly. */
    if ((s.cr0 & X86_CR0_PG) &&
        (!(s.efer & EFER_LMA) || (s.cr4 & X86_CR4_LA57))) {
        crash(kv, "hypercall with 32-bit or 5-level paging (not supported)");
        return 0;
    }
    hv_call_init(&call, kv->v, compat, s.cr0 & X86_CR0_PG, s.cr3);
    /* SCHEDOP_block/poll return at once for a pending upcall only when it
     * can be delivered, i.e. with interrupts enabled (Xen's HVM rule). */
    call.irqs_on = r.rflags & X86_EFLAGS_IF;
    call.user_mode = (s.cr0 & X86_CR0_PE) && (s.cs.selector & 3) != 0;
    rc = hypercall_dispatch(&call, compat ? (uint32_t)r.rax : r.rax, args);
    r.rax = compat ? (uint32_t)rc : (uint64_t)rc;
    kv->hypercalls++;
    /* RIP stays as KVM left it: the next KVM_RUN completes the `out`. */
    return ioctl(kv->fd, KVM_SET_REGS, &r);
}

/* WRMSR to the hypercall-page MSR: fill the page the guest names. */
static void hypercall_page_msr(struct kvm_vcpu *kv)
{
    struct kvm_run *run = kv->run;
    struct kvm_vm *kvm = kv->vm;
    uint64_t gpa = run->msr.data & ~0xfffull;
    uint8_t page[GUEST_PAGE_SIZE];
    struct kvm_sregs s;

    run->msr.error = 1; /* #GP unless all goes well */
    if (run->msr.reason != KVM_MSR_EXIT_REASON_FILTER &&
        run->msr.reason != KVM_MSR_EXIT_REASON_UNKNOWN)
        return;
    if (run->exit_reason != KVM_EXIT_X86_WRMSR ||
        run->msr.index != XENEMU_HYPERCALL_MSR)
        return;
    /* Page index in the low 12 bits: Xen offers one page.  Any frame of
     * RAM will do, as in Xen's guest_wrmsr_xen() (gpa_write() below
     * refuses the rest). */
    if ((run->msr.data & 0xfff) != 0)
        return;
    if (ioctl(kv->fd, KVM_GET_SREGS, &s) < 0)
        return;
    memset(page, 0xcc, sizeof(page)); /* int3 between the stubs */
    for (uint32_t i = 0; i < sizeof(page) / XENEMU_HYPERCALL_STUB_SIZE; i++) {
        uint8_t *p = page + i * XENEMU_HYPERCALL_STUB_SIZE;

        if (i == __HYPERVISOR_iret) {
            /* Xen's HVM hypercall page: iret must not be called through
             * it (xen/arch/x86/hvm/vmx/vmx.c:vmx_init_hypercall_page()). */
            p[0] = 0x0f; /* ud2 */
            p[1] = 0x0b;
            continue;
        }
        p[0] = 0xb8; /* mov $i, %eax */
        memcpy(p + 1, &i, 4);
        p[5] = 0xe7; /* out %eax, $port */
        p[6] = XENEMU_HYPERCALL_PORT;
        p[7] = 0xc3; /* ret */
    }
    /* The guest's address goes through the core's checked accessor: a page
     * outside RAM (or wrapping around) is a #GP, never a host write. */
    if (gpa_write(kvm->vm.d, gpa, page, sizeof(page)))
        return;
    domain_latch_shinfo_compat(kvm->vm.d, !kvm_vcpu_long_mode(&s));
    run->msr.error = 0;
}

/* Handle one exit: 0 to go on, 1 to leave the loop. */
static int handle_exit(struct kvm_vcpu *kv)
{
    struct kvm_run *run = kv->run;
    char why[96];

    kv->exits++;
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        if (run->io.direction == KVM_EXIT_IO_OUT &&
            run->io.port == XENEMU_HYPERCALL_PORT && run->io.size == 4 &&
            run->io.count == 1) {
            if (hypercall(kv) < 0) {
                crash(kv, "hypercall register access failed");
                return 1;
            }
            return 0;
        }
        if (run->io.direction == KVM_EXIT_IO_OUT &&
            run->io.port == XEN_HVM_DEBUGCONS_IOPORT) {
            debug_console(kv);
            return 0;
        }
        if (run->io.direction == KVM_EXIT_IO_IN) {
            /* Unclaimed ports read as all ones, as on a PC. */
            memset((uint8_t *)run + run->io.data_offset, 0xff,
                   (size_t)run->io.size * run->io.count);
            return 0;
        }
        return 0; /* writes to unclaimed ports are dropped */
    case KVM_EXIT_X86_WRMSR:
        hypercall_page_msr(kv);
        return 0;
    case KVM_EXIT_X86_RDMSR:
        run->msr.error = 1; /* #GP: nothing is readable through user space */
        return 0;
    case KVM_EXIT_HLT:
        kvm_wait_for_interrupt(kv);
        return 0;
    case KVM_EXIT_IRQ_WINDOW_OPEN:
        return 0; /* the loop injects */
    case KVM_EXIT_MMIO:
        snprintf(why, sizeof(why), "MMIO %s at %#llx (no device there)",
                 run->mmio.is_write ? "write" : "read",
                 (unsigned long long)run->mmio.phys_addr);
        crash(kv, why);
        return 1;
    case KVM_EXIT_SHUTDOWN:
        triple_fault(kv);
        return 1;
    case KVM_EXIT_INTERNAL_ERROR:
        snprintf(why, sizeof(why), "KVM internal error, suberror %u",
                 run->internal.suberror);
        crash(kv, why);
        return 1;
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(
            why, sizeof(why), "entry failed, reason %#llx",
            (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        crash(kv, why);
        return 1;
    default:
        snprintf(why, sizeof(why), "unexpected exit reason %u",
                 run->exit_reason);
        crash(kv, why);
        return 1;
    }
}

/*
 * KVM_RUN returned -EINTR: the kick signal made it return, but it is still
 * pending, as the thread's own mask (restored when KVM_RUN returns) blocks
 * it.  Consume it, or every later KVM_RUN would return at once.  Kicks
 * that come after this are pending again and end the next KVM_RUN.
 */
static void eat_kicks(void)
{
    const struct timespec zero = {0, 0};
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, kick_signal());
    while (sigtimedwait(&set, NULL, &zero) > 0)
        ;
}

static void run_loop(struct kvm_vcpu *kv)
{
    while (!kvm_stopping(kv->vm)) {
        int rc;

        /* Pairs with the seq_cst load in kvm_vcpu_interrupt(): see kvm.h. */
        __atomic_store_n(&kv->in_run, true, __ATOMIC_SEQ_CST);
        kvm_prepare_injection(kv);
        rc = ioctl(kv->fd, KVM_RUN, 0);
        __atomic_store_n(&kv->in_run, false, __ATOMIC_SEQ_CST);
        if (rc < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                kv->interrupted++;
                eat_kicks();
                continue;
            } /* kicked or watchdog: re-check and go on */
            char why[64];

            snprintf(why, sizeof(why), "KVM_RUN: %s", strerror(errno));
            crash(kv, why);
            return;
        }
        if (handle_exit(kv))
            return;
    }
}

/* The vCPU sandbox, its ioctls limited to the domain's vCPU fds (all made
 * at vm_create()). */
static int sandbox_kvm(struct kvm_vcpu *kv, char *err, size_t len)
{
    int fds[DOMAIN_MAX_VCPUS];
    unsigned int n = kv->vm->nr_vcpus;

    for (unsigned int i = 0; i < n; i++)
        fds[i] = kv->vm->vcpus[i].fd;
    return sandbox_vcpu_thread(fds, n, kv->vm->vm_fd, err, len);
}

static void vcpu_thread_run(struct kvm_vcpu *kv)
{
    char err[256];

    /* First: everything this thread does from here on, its own set-up
     * included, is a vCPU's. */
    if (sandbox_kvm(kv, err, sizeof(err))) {
        kvm_log(kv->vm, "vcpu%u: %s", kv->v->id, err);
        sched_domain_shutdown(kv->vm->vm.d, SHUTDOWN_crash);
        return;
    }
    if (signal_mask_setup(kv) < 0) {
        kvm_log(kv->vm, "vcpu%u: KVM_SET_SIGNAL_MASK: %s", kv->v->id,
                strerror(errno));
        sched_domain_shutdown(kv->vm->vm.d, SHUTDOWN_crash);
        return;
    }
    if (kv->v->id == 0 ? kvm_setup_boot_vcpu(kv, err, sizeof(err))
                       : kvm_setup_ap_vcpu(kv, err, sizeof(err))) {
        /* A vCPU that counts as up but never runs would leave the guest
         * waiting for it forever: crash the domain instead (hv.h). */
        kvm_log(kv->vm, "%s", err);
        sched_domain_shutdown(kv->vm->vm.d, SHUTDOWN_crash);
        return;
    }
    vcpu_time_update(kv->v, kvm_guest_tsc(kv));
    run_loop(kv);
}

static void *vcpu_thread(void *arg)
{
    struct kvm_vcpu *kv = arg;

    vcpu_thread_run(kv);
    /* From here on kvm_vcpu_interrupt() leaves the thread alone, so it
     * never signals a thread that kvm_vm_wait() may have joined. */
    pthread_mutex_lock(&kv->vm->lock);
    kv->thread_exited = true;
    pthread_mutex_unlock(&kv->vm->lock);
    return NULL;
}

int kvm_vcpu_start(struct kvm_vcpu *kv)
{
    struct kvm_vm *kvm = kv->vm;
    sigset_t all, old;
    int rc = -EBUSY;

    pthread_mutex_lock(&kvm->lock);
    if (!kv->thread_started && !kvm_stopping(kvm)) {
        /* The thread starts with every signal blocked, so the kick signal
         * never reaches it outside KVM_RUN, even before its first line. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        rc = -pthread_create(&kv->thread, NULL, vcpu_thread, kv);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        kv->thread_started = rc == 0;
    }
    pthread_mutex_unlock(&kvm->lock);
    return rc;
}

/* ---- the watchdog ---- */

static void *watchdog_thread(void *arg)
{
    struct kvm_vm *kvm = arg;
    struct timespec ts;
    char err[128];

    if (sandbox_drop_caps(err, sizeof(err)))
        kvm_log(kvm, "watchdog: %s", err);

    pthread_mutex_lock(&kvm->lock);
    while (!kvm->watchdog_stop) {
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += WATCHDOG_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&kvm->watchdog_cond, &kvm->lock, &ts);
        if (kvm->watchdog_stop)
            break;
        for (unsigned int i = 0; i < kvm->nr_vcpus; i++)
            kvm_vcpu_interrupt_locked(&kvm->vcpus[i]);
    }
    pthread_mutex_unlock(&kvm->lock);
    return NULL;
}

int kvm_watchdog_start(struct kvm_vm *kvm)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&kvm->watchdog, NULL, watchdog_thread, kvm);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    kvm->watchdog_started = rc == 0;
    return -rc;
}

void kvm_watchdog_stop(struct kvm_vm *kvm)
{
    if (!kvm->watchdog_started)
        return;
    pthread_mutex_lock(&kvm->lock);
    kvm->watchdog_stop = true;
    pthread_cond_signal(&kvm->watchdog_cond);
    pthread_mutex_unlock(&kvm->lock);
    pthread_join(kvm->watchdog, NULL);
    kvm->watchdog_started = false;
}
