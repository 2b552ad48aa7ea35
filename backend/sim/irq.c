/*
 * irq.c: a sim vCPU's interrupt flag, and how its upcalls are delivered.
 *
 * An upcall (the callback vector) reaches a vCPU the way an interrupt
 * reaches a CPU:
 *   1. on return from a hypercall (xenemu_sim_hypercall() in vcpu.c);
 *   2. when it is blocked: kick() ends block()'s wait, and (1) follows;
 *   3. asynchronously while it runs guest code with interrupts enabled:
 *      kick() sends SIGUSR1 to its thread, and the handler delivers it;
 *   and when the guest enables interrupts (sti) with an upcall pending.
 * Delivery clears the interrupt flag, calls guest_sim_upcall() and sets
 * the flag again, as long as an upcall is pending and the domain has a
 * callback vector (hvm_callback_vector(): a vCPU without one gets no
 * upcalls, as a KVM guest without a vector gets no interrupt).
 *
 * The handler does anything only when its thread was in guest code (where
 * == SIM_IN_GUEST).  Guest code holds no xenemu lock and is never inside
 * malloc or the core, so running the upcall there (which may make
 * hypercalls, taking the core's mutexes) cannot deadlock on a lock the
 * interrupted code holds; everything else the handler touches is a
 * lock-free atomic or thread-local.  Inside a hypercall (SIM_IN_HV) the
 * signal only clears signal_out, and (1) delivers afterwards.
 *
 * Each lost-wakeup race is closed by a store-then-load pairing, all
 * seq_cst, with the core's seq_cst setting of evtchn_upcall_pending before
 * it calls kick() (vcpu_mark_events_pending()):
 *   kicker:  set pending;  load where, irq_on;  exchange signal_out
 *   vCPU:    store where (hypercall return) or irq_on (sti), or clear
 *            signal_out (handler entry);  then load pending
 * In each pair at least one side sees the other's store: either the kicker
 * sees the vCPU in guest code with interrupts on and signals it (or finds
 * a signal outstanding whose handler has not yet cleared signal_out, so
 * that handler will see pending), or the vCPU sees pending itself.
 * A signal is sent only to a thread in guest code with interrupts on and
 * none outstanding, so there is at most one signal in flight per vCPU.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "sim.h"
#include "xenemu/guest_abi.h"
#include "xenemu/hvm.h"

#define SIM_IRQ_SIGNAL SIGUSR1

_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_BOOL_LOCK_FREE == 2,
               "the signal handler relies on lock-free atomics");

static bool upcall_ready(const struct sim_vcpu *sv)
{
    return vcpu_upcall_pending(sv->v) && hvm_callback_vector(sv->v) != 0;
}

void sim_irq_deliver(struct sim_vcpu *sv)
{
    /* Set-flag-then-check: the flag is stored before pending is loaded
     * (both seq_cst), pairing with the kicker (see the top of the file).
     * Loop: an upcall raised while the flag was off sent no signal. */
    while (atomic_load(&sv->irq_on) && upcall_ready(sv)) {
        atomic_store(&sv->irq_on, false);
        guest_sim_upcall();
        atomic_store(&sv->irq_on, true);
    }
}

static void on_signal(int sig)
{
    struct sim_vcpu *sv = sim_current();
    int saved_errno = errno;

    (void)sig;
    if (!sv)
        return; /* not a vCPU thread: SIGUSR1 belongs to the sim backend */
    /* Clear before looking, so a kick that comes after this sends a new
     * signal, and one that found the flag set is seen below. */
    atomic_store(&sv->signal_out, false);
    if (atomic_load(&sv->where) == SIM_IN_GUEST) {
        if (sim_must_leave(sv))
            xenemu_sim_vcpu_exit(); /* stop even a spinning guest */
        sim_irq_deliver(sv);
    }
    errno = saved_errno;
}

static int setup_rc;

static void setup_once(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    /* Blocked while the handler runs (no SA_NODEFER): an upcall is never
     * interrupted by another signal, as interrupts are off in it anyway.
     * SA_RESTART: a signal that lands inside a hypercall (a console
     * write) must not make its system calls fail. */
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    setup_rc = sigaction(SIM_IRQ_SIGNAL, &sa, NULL) ? errno : 0;
}

int sim_irq_setup(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    /* pthread_once orders the handler's installation and setup_rc before
     * every caller's return. */
    pthread_once(&once, setup_once);
    return setup_rc;
}

void sim_irq_thread_mask(void)
{
    sigset_t set;

    /* The thread inherits its creator's mask, which has SIGUSR1 blocked
     * when the creator is inside an upcall delivered by the handler. */
    sigemptyset(&set);
    sigaddset(&set, SIM_IRQ_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* Send the signal unless one is outstanding. */
static void interrupt(struct sim_vcpu *sv)
{
    struct sim_vm *vm = sv->vm;

    /* seq_cst exchange: the last step of the kicker's half (see top). */
    if (atomic_exchange(&sv->signal_out, true))
        return;
    /* vm->lock keeps the thread from being joined (its pthread_t from
     * going stale) while we signal it. */
    pthread_mutex_lock(&vm->lock);
    if (sv->thread_state == SIM_THREAD_RUNNING)
        pthread_kill(sv->thread, SIM_IRQ_SIGNAL);
    else
        atomic_store(&sv->signal_out, false);
    pthread_mutex_unlock(&vm->lock);
}

void sim_irq_kick(struct sim_vcpu *sv)
{
    /* The vCPU's own hypercall raised it: delivered when that returns. */
    if (sv == sim_current())
        return;
    if (atomic_load(&sv->where) == SIM_IN_HV) {
        /* Blocked, about to block, or returning (then the kick is kept
         * and ends one later wait early: a spurious wakeup). */
        vcpu_waiter_kick(&sv->waiter);
        return;
    }
    if (atomic_load(&sv->irq_on))
        interrupt(sv);
    /* Interrupts off: sti (xenemu_sim_irq_enable) or the next hypercall
     * return delivers it. */
}

void sim_irq_stop(struct sim_vcpu *sv)
{
    /* The caller stored vm->stopping (seq_cst) first; a vCPU that stores
     * where = SIM_IN_GUEST afterwards checks stopping itself. */
    vcpu_waiter_kick(&sv->waiter);
    if (sv != sim_current() && atomic_load(&sv->where) == SIM_IN_GUEST)
        interrupt(sv);
}

/* ---- the guest's interrupt flag (sti, cli) ---- */

void xenemu_sim_irq_enable(void)
{
    struct sim_vcpu *sv = sim_current();

    atomic_store(&sv->irq_on, true);
    sim_irq_deliver(sv);
}

void xenemu_sim_irq_disable(void)
{
    atomic_store(&sim_current()->irq_on, false);
}

int xenemu_sim_irqs_enabled(void)
{
    return atomic_load(&sim_current()->irq_on);
}
