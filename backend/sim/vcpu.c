/*
 * vcpu.c: sim vCPU threads, and the guest's ways out of guest code (the
 * xenemu_sim_*() functions of <xenemu/guest_abi.h> other than the
 * interrupt flag, which is irq.c's).
 *
 * A vCPU thread runs on a stack in guest RAM (sim.c reserves one per vCPU
 * at the top of RAM).  It enters the guest through guest_sim_boot()
 * (vCPU 0) or guest_sim_ap_entry() (a vCPU brought up by VCPUOP_up), and
 * leaves for good through xenemu_sim_vcpu_exit(): when the domain shut
 * down, the vCPU went down, or the vm is being stopped.
 *
 * Leaving is a siglongjmp() back to the thread's start routine, not
 * pthread_exit(): the exit may happen deep inside guest code, inside an
 * upcall run by the SIGUSR1 handler, and pthread_exit() would unwind those
 * frames (signal frame included) with the forced-unwind machinery, which
 * sanitizer-instrumented frames and frames without unwind tables handle
 * badly.  siglongjmp() is plain and predictable, the sanitizers intercept
 * it (ASan unpoisons the abandoned frames, TSan restores its shadow
 * stack), and sigsetjmp(, 1) restores the signal mask, which the kernel
 * left with SIGUSR1 blocked if we leave from inside the handler.  Nothing
 * is abandoned: guest code holds no xenemu locks or allocations, and the
 * hypercall path leaves only after hypercall_dispatch() returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/sandbox.h"
#include "sim.h"
#include "xenemu/console.h"
#include "xenemu/cpuid.h"
#include "xenemu/guest_abi.h"
#include "xenemu/guest_mem.h"
#include "xenemu/hypercall.h"
#include "xenemu/sched.h"

/* The calling thread's vCPU.  Set once at the start of the thread, before
 * SIGUSR1 is unblocked, so the handler reads a settled value. */
static _Thread_local struct sim_vcpu *sim_cur;

struct sim_vcpu *sim_current(void)
{
    return sim_cur;
}

/* The calling vCPU, for entry points the guest calls: anything else is a
 * programming error. */
static struct sim_vcpu *current_or_die(const char *what)
{
    if (!sim_cur) {
        fprintf(stderr, "xenemu: %s called outside a sim vCPU thread\n", what);
        abort();
    }
    return sim_cur;
}

bool sim_must_leave(const struct sim_vcpu *sv)
{
    const struct vcpu *v = sv->v;

    /* seq_cst loads: the second half of the pairings with vm_stop() and
     * shutdown (store stopping, then look where the vCPU is) and with
     * sched_domain_shutdown()'s is_shutdown exchange. */
    return atomic_load(&sv->vm->stopping) ||
           __atomic_load_n(&v->domain->is_shutdown, __ATOMIC_SEQ_CST) ||
           !__atomic_load_n(&v->is_up, __ATOMIC_SEQ_CST);
}

/* Back to guest code: publish it, then look for reasons to leave. */
static void enter_guest(struct sim_vcpu *sv)
{
    atomic_store(&sv->where, SIM_IN_GUEST);
    if (sim_must_leave(sv))
        xenemu_sim_vcpu_exit();
}

_Noreturn void xenemu_sim_vcpu_exit(void)
{
    struct sim_vcpu *sv = current_or_die("xenemu_sim_vcpu_exit");

    /* No more signals: kickers signal only threads in guest code. */
    atomic_store(&sv->where, SIM_IN_HV);
    siglongjmp(sv->exit_jmp, 1);
}

/* ---- the hypercall instruction ---- */

/* Did this call take the calling vCPU itself down?  (is_up alone could
 * be set again by a racing VCPUOP_up, which then restarts the thread.) */
static bool downed_self(const struct sim_vcpu *sv, unsigned int nr,
                        const uint64_t args[5], long rc)
{
    return nr == __HYPERVISOR_vcpu_op && rc == 0 &&
           (uint32_t)args[0] == VCPUOP_down && (uint32_t)args[1] == sv->v->id;
}

/* The hypercall instruction; with (sti), interrupts are enabled as part of
 * it, as `sti` directly followed by the instruction (in the sti shadow). */
static long sim_hypercall(struct sim_vcpu *sv, unsigned int nr,
                          const uint64_t args[5], bool sti)
{
    struct hv_call call;
    long rc;

    /* Store before the core looks at pending (sched_block()): pairs with
     * sim_irq_kick()'s load of where (see irq.c).  Only then may the
     * interrupt flag go on: a kick from here on goes to the waiter, not to
     * a signal, so no upcall can be taken between the sti and the call. */
    atomic_store(&sv->where, SIM_IN_HV);
    if (sti)
        atomic_store(&sv->irq_on, true);
    /* Guest "physical" addresses are offsets into RAM: no paging. */
    hv_call_init(&call, sv->v, false, false, 0);
    call.irqs_on = atomic_load(&sv->irq_on);
    rc = hypercall_dispatch(&call, nr, args);
    if (downed_self(sv, nr, args, rc))
        xenemu_sim_vcpu_exit();
    enter_guest(sv);
    sim_irq_deliver(sv);
    return rc;
}

long xenemu_sim_hypercall(unsigned int nr, const uint64_t args[5])
{
    return sim_hypercall(current_or_die("xenemu_sim_hypercall"), nr, args,
                         false);
}

long xenemu_sim_hypercall_sti(unsigned int nr, const uint64_t args[5])
{
    return sim_hypercall(current_or_die("xenemu_sim_hypercall_sti"), nr, args,
                         true);
}

/* ---- CPUID, WRMSR, memory, per-CPU pointer ---- */

void xenemu_sim_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    struct sim_vcpu *sv = current_or_die("xenemu_sim_cpuid");

    /* Only Xen's leaves exist: the guest must not depend on the host's. */
    if (!xen_cpuid(sv->v, leaf, subleaf, regs))
        memset(regs, 0, 4 * sizeof(regs[0]));
}

void xenemu_sim_debug_port(uint8_t byte)
{
    console_debug_port(current_or_die("xenemu_sim_debug_port")->v->domain,
                       byte);
}

int xenemu_sim_wrmsr(uint32_t msr, uint64_t value)
{
    struct sim_vcpu *sv = current_or_die("xenemu_sim_wrmsr");
    uint64_t gpa = value & ~(uint64_t)(GUEST_PAGE_SIZE - 1);

    if (msr != XENEMU_HYPERCALL_MSR)
        return -1; /* #GP */
    /* One hypercall page (CPUID base+2 EAX): index 0 only, in RAM.  There
     * is nothing to write into it, the sim hypercall being a direct call;
     * what the write means is the guest's bitness: 64-bit here. */
    if ((value & (GUEST_PAGE_SIZE - 1)) != 0 || gpa >= sv->vm->ram_size)
        return -1;
    domain_latch_shinfo_compat(sv->v->domain, false);
    return 0;
}

void *xenemu_sim_phys_to_virt(uint64_t gpa)
{
    struct sim_vcpu *sv = current_or_die("xenemu_sim_phys_to_virt");
    uint8_t *page = gfn_to_host(sv->v->domain, gpa >> GUEST_PAGE_SHIFT);

    /* gfn_to_host() covers RAM and the hypervisor pages the guest mapped
     * (shared_info at XENEMU_GUEST_HOLE_GFN), so map_page has nothing to
     * do in sim. */
    return page ? page + (gpa & (GUEST_PAGE_SIZE - 1)) : NULL;
}

void *xenemu_sim_ram_base(void)
{
    return current_or_die("xenemu_sim_ram_base")->vm->ram;
}

void xenemu_sim_set_cpu_ptr(void *p)
{
    current_or_die("xenemu_sim_set_cpu_ptr")->cpu_ptr = p;
}

void *xenemu_sim_cpu_ptr(void)
{
    return current_or_die("xenemu_sim_cpu_ptr")->cpu_ptr;
}

/* ---- the thread ---- */

/*
 * One run of guest code, from its entry until the vCPU leaves.  Kept
 * small: nothing changes after sigsetjmp() but the guest's own frames,
 * so no local is clobbered by siglongjmp().
 */
static void run_guest(struct sim_vcpu *sv, bool boot,
                      const struct vcpu_hvm_context *ctx)
{
    /* Interrupts off at entry, as on KVM; no signal outstanding for this
     * run (a signal sent to a thread that then left was never handled). */
    atomic_store(&sv->irq_on, false);
    atomic_store(&sv->signal_out, false);
    sim_irq_thread_mask();
    if (sigsetjmp(sv->exit_jmp, 1))
        return;
    vcpu_time_update(sv->v, hv_rdtsc());
    enter_guest(sv);
    if (boot)
        guest_sim_boot(
            (struct hvm_start_info *)(sv->vm->ram + XENEMU_BOOT_START_INFO));
    else
        guest_sim_ap_entry(ctx);
    /* The guest returned: it could not even shut down.  Crash it. */
    atomic_store(&sv->where, SIM_IN_HV);
    sched_domain_shutdown(sv->v->domain, SHUTDOWN_crash);
}

/* A word at the lowest address of each stack: a thread that finds it
 * changed when it leaves has overflowed into the next vCPU's stack. */
static const uint64_t stack_canary = 0x58454e454d555354u;

static void canary_set(struct sim_vcpu *sv)
{
    memcpy(sv->stack, &stack_canary, sizeof(stack_canary));
}

static void canary_check(const struct sim_vcpu *sv)
{
    if (memcmp(sv->stack, &stack_canary, sizeof(stack_canary)))
        fprintf(stderr,
                "%s: vCPU %u overflowed its %zu-byte stack (sim backend)\n",
                sv->vm->vm.params.name, sv->v->id, sv->vm->stack_size);
}

/* The thread is done with guest code: leave for good (true), or run
 * again because VCPUOP_up came while it was leaving (false). */
static bool thread_leave(struct sim_vcpu *sv)
{
    struct sim_vm *vm = sv->vm;
    bool again;

    canary_check(sv);
    pthread_mutex_lock(&vm->lock);
    again = sv->restart && !sim_must_leave(sv);
    sv->restart = false;
    if (!again) {
        sv->thread_state = SIM_THREAD_EXITED;
        if (--vm->running == 0)
            pthread_cond_broadcast(&vm->idle);
    }
    pthread_mutex_unlock(&vm->lock);
    return !again;
}

static void *vcpu_thread(void *arg)
{
    struct sim_vcpu *sv = arg;
    struct vcpu_hvm_context ctx;
    char err[128];
    bool boot;

    sim_cur = sv;
    /* The guest kernel runs on this thread: it gets the vCPU sandbox. */
    if (sandbox_vcpu_thread(NULL, 0, -1, err, sizeof(err))) {
        fprintf(stderr, "xenemu: vcpu%u: %s\n", sv->v->id, err);
        sched_domain_shutdown(sv->v->domain, SHUTDOWN_crash);
        return NULL;
    }
    do {
        /* boot is set under the lock, by sim_vm_start(). */
        pthread_mutex_lock(&sv->vm->lock);
        boot = sv->boot;
        sv->boot = false;
        pthread_mutex_unlock(&sv->vm->lock);
        /* VCPUOP_initialise's context, written before VCPUOP_up (which
         * ran before this thread was started or restarted). */
        ctx = sv->v->hvm_ctx;
        run_guest(sv, boot, &ctx);
    } while (!thread_leave(sv));
    return NULL;
}

int sim_thread_start(struct sim_vcpu *sv)
{
    struct sim_vm *vm = sv->vm;
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);

    if (rc)
        return rc;
    canary_set(sv);
    rc = pthread_attr_setstack(&attr, sv->stack, vm->stack_size);
    if (!rc)
        rc = pthread_create(&sv->thread, &attr, vcpu_thread, sv);
    pthread_attr_destroy(&attr);
    if (!rc) {
        sv->thread_state = SIM_THREAD_RUNNING;
        vm->running++;
    }
    return rc;
}

void sim_vcpu_up(struct vcpu *v)
{
    struct sim_vcpu *sv = sim_vcpu_of(v);
    struct sim_vm *vm = sv->vm;
    int rc = 0;

    pthread_mutex_lock(&vm->lock);
    if (sv->thread_state == SIM_THREAD_RUNNING) {
        /* Still leaving after its VCPUOP_down: it runs again instead. */
        sv->restart = true;
    } else {
        /* An exited thread must be joined before its stack is reused.
         * It takes no lock after it set EXITED, so joining under the
         * lock cannot deadlock. */
        if (sv->thread_state == SIM_THREAD_EXITED)
            pthread_join(sv->thread, NULL);
        sv->thread_state = SIM_THREAD_NONE;
        sv->boot = false;
        rc = sim_thread_start(sv);
    }
    pthread_mutex_unlock(&vm->lock);
    if (rc) {
        fprintf(stderr, "%s: vCPU %u: cannot start a thread: %s\n",
                vm->vm.params.name, v->id, strerror(rc));
        sched_domain_shutdown(v->domain, SHUTDOWN_crash);
    }
}

void sim_block(struct vcpu *v, uint64_t deadline_ns)
{
    struct sim_vcpu *sv = sim_vcpu_of(v);

    /* A stop's kick is kept by the waiter, so this check only saves a
     * wait that would end at once. */
    if (!sim_must_leave(sv))
        vcpu_waiter_wait(&sv->waiter, v->domain->hv, deadline_ns);
    vcpu_time_update(v, hv_rdtsc());
}
