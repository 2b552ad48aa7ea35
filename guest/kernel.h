/*
 * kernel.h: the guest kernel's state.
 *
 * There is no mutable static data (several domains' kernels share one
 * process in the sim build): everything lives in one struct kernel per
 * domain and one struct cpu per vCPU, both allocated from the domain's
 * own RAM at boot.  Code reaches them through arch_this_cpu() and
 * cpu->kernel.
 *
 * Concurrency rules, which the field comments refer to:
 *   [boot]   written by vCPU 0 before any other vCPU runs, read-only after.
 *   [own]    touched only by the owning vCPU, with interrupts disabled
 *            whenever the upcall also touches it.
 *   [atomic] shared between vCPUs or with the upcall: __atomic only.
 *   [lock]   under the named spinlock.
 */
#ifndef XENEMU_GUEST_KERNEL_H
#define XENEMU_GUEST_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform.h"
#include "xenemu/guest_abi.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ul << PAGE_SHIFT)

/* vCPUs the kernel drives (the legacy shared_info array's size). */
#define KERNEL_MAX_CPUS 32u
/* Ports the kernel can handle: the 2-level limit of a 64-bit guest, and
 * plenty for FIFO (a real kernel would grow the table). */
#define KERNEL_MAX_PORTS 4096u
/* The upcall's interrupt vector: any free vector >= 0x10 does. */
#define KERNEL_UPCALL_VECTOR 0xf3u

/* FIFO event words per event-array page, and the pages the kernel's port
 * limit needs. */
#define FIFO_WORDS_PER_PAGE  (PAGE_SIZE / sizeof(event_word_t))
#define FIFO_MAX_ARRAY_PAGES (KERNEL_MAX_PORTS / FIFO_WORDS_PER_PAGE)

struct cpu;
struct kernel;

/* ---- spinlock: short critical sections in thread context only (no
 * upcall handler takes a lock, so interrupts may stay enabled) ---- */
struct spinlock {
    unsigned char locked;
};

static inline void spin_lock(struct spinlock *l)
{
    /* Acquire: pairs with the release in spin_unlock(). */
    while (__atomic_test_and_set(&l->locked, __ATOMIC_ACQUIRE))
        arch_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_clear(&l->locked, __ATOMIC_RELEASE);
}

/* ---- page allocator (mm.c) ---- */
#define MM_MAX_REGIONS 24u

struct mm_region {
    uint64_t next; /* guest-physical: next page never handed out */
    uint64_t end;
};

struct mm {
    struct spinlock lock;
    struct mm_region region[MM_MAX_REGIONS]; /* [lock] */
    unsigned int nr_regions;                 /* [lock] */
    void *free_list;     /* [lock] freed pages, linked through page 0 */
    uint64_t free_pages; /* [lock] pages still available */
};

/* ---- event channels (evtchn.c) ---- */
typedef void (*ec_handler_t)(struct cpu *c, evtchn_port_t port, void *arg);

/* One bound port.  (fn) is published last with a release store and read
 * with an acquire load by the upcall on any vCPU, so (arg, vcpu) are
 * visible to whoever sees (fn). */
struct port_entry {
    ec_handler_t fn; /* [atomic] NULL: port free or being torn down */
    void *arg;
    uint32_t vcpu; /* the vCPU Xen notifies for this port */
};

struct ec_ops; /* the ABI's operations: evtchn_abi.h */

struct fifo_array {
    event_word_t *page[FIFO_MAX_ARRAY_PAGES]; /* [atomic] published by nr */
    unsigned int nr_pages; /* [atomic] release after page[] is filled */
};

/* ---- per-vCPU timer (timer.c) ---- */
struct cpu_timer {
    evtchn_port_t port;     /* [own] VIRQ_TIMER */
    uint64_t programmed;    /* [own] deadline last given to set_timer_op */
    uint64_t wait_deadline; /* [own] wait_until()'s timeout, 0: none */
    uint64_t user_deadline; /* [own] cpu_timer_start()'s deadline, 0: none */
    uint64_t user_fired_ns; /* [own] pvclock when the user timer fired */
    uint64_t fires;         /* [own] VIRQ_TIMER events seen */
    uint64_t user_fires;    /* [own] of which for the user deadline */
};

/* ---- cross-vCPU calls (smp.c) ---- */
typedef void (*smp_fn_t)(struct cpu *c, void *arg);

struct kernel {
    struct mm mm;
    char cmdline[XENEMU_BOOT_CMDLINE_MAX]; /* [boot] */
    uint32_t xen_version;                  /* [boot] major << 16 | minor */
    uint32_t domid;                   /* [boot] DOMID_SELF if Xen did not say */
    struct shared_info *shinfo;       /* [boot] mapped at the hole */
    unsigned int nr_cpus;             /* [boot] */
    struct cpu *cpu[KERNEL_MAX_CPUS]; /* [boot] */

    const struct ec_ops *evtchn; /* [boot] the ABI in use */
    char evtchn_why[64];         /* [boot] why, for the boot line */
    struct spinlock evtchn_lock; /* binding and array growth */
    struct port_entry *port;     /* [boot] [KERNEL_MAX_PORTS] */
    struct fifo_array fifo;      /* [evtchn_lock] writers */

    void *test_data; /* the running test's state (tests.h) */
};

struct cpu {
    struct kernel *kernel;       /* [boot] */
    unsigned int id;             /* [boot] Xen's vCPU id */
    struct vcpu_info *vcpu_info; /* [boot] registered in RAM */
    void *stack;                 /* [boot] bottom of an AP's stack */
    bool online;                 /* [atomic] AP finished its bring-up */

    struct cpu_timer timer;

    evtchn_port_t kick_port; /* [boot] IPI that wakes this vCPU */
    smp_fn_t call_fn;        /* [atomic] work posted by smp_call() */
    void *call_arg;
    unsigned int call_done; /* [atomic] completed calls */

    /* FIFO: the control block and this vCPU's private queue heads. */
    struct evtchn_fifo_control_block *fifo_cb;  /* [boot]/[own] */
    uint32_t fifo_head[EVTCHN_FIFO_MAX_QUEUES]; /* [own] */
};

static inline struct cpu *this_cpu(void)
{
    return arch_this_cpu();
}

#endif /* XENEMU_GUEST_KERNEL_H */
