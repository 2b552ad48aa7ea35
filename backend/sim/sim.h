/*
 * sim.h: the sim backend's private state, shared by its files.
 *
 * The sim backend runs each vCPU of a domain as a host thread executing the
 * host build of xenemu's own guest kernel (linked into xenemu).  The thread's
 * stack lies in the domain's RAM, so a guest stack variable has a
 * guest-physical address like on real hardware.  The guest leaves through
 * the xenemu_sim_*() functions of <xenemu/guest_abi.h>:
 *
 *   sim.c    vm_create .. vm_destroy: RAM, boot structures, the ops table
 *   image.c  the ELF note check (only xenemu's guest can run here), by
 *            ../common/elf_image.c
 *   vcpu.c   vCPU threads, the hypercall entry, CPUID/WRMSR, leaving
 *   irq.c    the interrupt flag and upcall delivery (the SIGUSR1 path)
 */
#ifndef XENEMU_BACKEND_SIM_H
#define XENEMU_BACKEND_SIM_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/vcpu_wait.h"
#include "xenemu/backend.h"

/* Where a vCPU thread is (sim_vcpu.where). */
enum sim_where {
    SIM_IN_HV,    /* in xenemu: a hypercall, or not running guest code */
    SIM_IN_GUEST, /* in guest code: may be interrupted by SIGUSR1 */
};

/* The life of a vCPU's host thread (sim_vcpu.thread_state, under vm->lock). */
enum sim_thread_state {
    SIM_THREAD_NONE,    /* no thread (never started, or joined) */
    SIM_THREAD_RUNNING, /* started, has not left yet: (thread) valid */
    SIM_THREAD_EXITED,  /* left; whoever moves it to NONE joins it */
};

struct sim_vm;

struct sim_vcpu {
    struct sim_vm *vm;
    struct vcpu *v;
    uint8_t *stack; /* host address of its stack in guest RAM */

    struct vcpu_waiter waiter; /* block() sleeps here */
    struct vtimer timer;       /* in vm->timers */

    /* Under vm->lock. */
    enum sim_thread_state thread_state;
    pthread_t thread;
    bool boot;    /* the next run enters guest_sim_boot (vCPU 0's first) */
    bool restart; /* VCPUOP_up came while the old thread was leaving */

    /*
     * Written by the vCPU's own thread (and its signal handler), read by
     * every thread that kicks it.  All accesses are seq_cst atomics: each
     * is one half of a store-then-load pairing with a kicker, described at
     * sim_irq_kick() in irq.c.  Lock-free atomics are async-signal-safe, and
     * the handler runs on this same thread, so no further signal fence is
     * needed between the thread and its handler.
     */
    atomic_int where;       /* enum sim_where */
    atomic_bool irq_on;     /* the interrupt flag (sti/cli) */
    atomic_bool signal_out; /* a SIGUSR1 is on its way, not yet handled */

    /* Own thread only. */
    sigjmp_buf exit_jmp; /* where xenemu_sim_vcpu_exit() returns to */
    void *cpu_ptr;       /* the guest's per-CPU pointer */
};

struct sim_vm {
    struct vm vm; /* first: d->backend_priv points here */
    uint8_t *ram;
    uint64_t ram_size;
    size_t stack_size;
    struct vtimer_service *timers;
    struct vtimer watchdog_timer; /* SCHEDOP_watchdog's, in (timers) */

    pthread_mutex_t lock; /* thread states, running */
    pthread_cond_t idle;  /* signalled when running drops to 0 */
    unsigned int running; /* threads in SIM_THREAD_RUNNING */

    atomic_bool stopping; /* vm_stop() or shutdown: every vCPU leaves */

    unsigned int nr_vcpus;
    struct sim_vcpu vcpus[];
};

static inline struct sim_vm *sim_vm_of(const struct domain *d)
{
    return (struct sim_vm *)vm_of(d);
}

static inline struct sim_vcpu *sim_vcpu_of(const struct vcpu *v)
{
    return (struct sim_vcpu *)v->backend_priv;
}

/* image.c: 0 if (path) loads as the KVM backend would load it into
 * (ram_size) bytes of RAM and carries the xenemu guest note, else -1 with
 * a one-line message in (err). */
int sim_image_check(const char *path, uint64_t ram_size, char *err, size_t len);

/* vcpu.c */
/* The calling thread's vCPU, NULL outside vCPU threads. */
struct sim_vcpu *sim_current(void);
/* Start (sv)'s thread; vm->lock held, state NONE.  0 or an errno. */
int sim_thread_start(struct sim_vcpu *sv);
/* The core's vcpu_up() and block() ops. */
void sim_vcpu_up(struct vcpu *v);
void sim_block(struct vcpu *v, uint64_t deadline_ns);
/* Should (sv) leave instead of running guest code? */
bool sim_must_leave(const struct sim_vcpu *sv);

/* irq.c */
/* Install the SIGUSR1 handler once per process.  0 or an errno. */
int sim_irq_setup(void);
/* Unblock SIGUSR1 (and block asynchronous signals) on a vCPU thread. */
void sim_irq_thread_mask(void);
/* Deliver (sv)'s pending upcall while its interrupt flag allows; on (sv)'s
 * own thread, in guest state. */
void sim_irq_deliver(struct sim_vcpu *sv);
/* The core's kick(): an upcall became pending on (sv). */
void sim_irq_kick(struct sim_vcpu *sv);
/* Make (sv) notice vm->stopping: wake it, or interrupt its guest code. */
void sim_irq_stop(struct sim_vcpu *sv);

#endif /* XENEMU_BACKEND_SIM_H */
