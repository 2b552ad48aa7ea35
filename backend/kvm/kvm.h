/*
 * kvm.h: the KVM backend's private state, shared by its files.
 *
 *   kvm.c   probe, VM creation and teardown (struct backend backend_kvm)
 *   boot.c  start info, memory map, page tables, initial register state
 *   cpuid.c the guest's CPUID table (host leaves + Xen leaves)
 *   vcpu.c  the vCPU threads and their KVM_RUN loop (exits, hypercalls)
 *   irq.c   upcall injection and the core's calls (kick, block, ...)
 *   mem.c   map_page: hypervisor pages as extra memslots
 *
 * Platform facts this backend is built on are in
 * ../shared/reference/host-kvm.md: the hypercall page exits through port
 * I/O (vmcall never reaches user space), interrupts use the user-space
 * irqchip (KVM_INTERRUPT + request_interrupt_window, HLT exits), and every
 * KVM_RUN is bounded by a signal.
 */
#ifndef XENEMU_BACKEND_KVM_H
#define XENEMU_BACKEND_KVM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "xenemu/backend.h"
#include "xenemu/guest_abi.h"
#include "../common/elf_image.h"
#include "../common/vcpu_wait.h"

/* A hypervisor page mapped into the guest (map_page): one memslot. */
struct kvm_page_slot {
    uint32_t slot; /* KVM memslot id */
    uint64_t gfn;
    void *page;
    bool used;
};

struct kvm_vm;

struct kvm_vcpu {
    struct kvm_vm *vm;
    struct vcpu *v;
    int fd;
    struct kvm_run *run; /* mmap of the vCPU fd */

    pthread_t thread;
    /* Under vm->lock: the thread was created, has finished (it may no
     * longer be signalled: its pthread_t may be joined at any moment), and
     * was joined. */
    bool thread_started;
    bool thread_exited;
    bool thread_joined;

    /*
     * Set (seq_cst) by the thread just before it checks for pending upcalls
     * and enters KVM_RUN, cleared after KVM_RUN returns.  kick() loads it
     * (seq_cst) after the core set evtchn_upcall_pending (seq_cst): either
     * the thread sees the pending bit before it enters, or the kicker sees
     * in_run and signals the thread out of KVM_RUN.
     */
    bool in_run;

    struct vcpu_waiter waiter; /* HLT and SCHEDOP_block/poll */
    struct vtimer timer;       /* set_timer_op */

    /* Statistics (only the vCPU's own thread writes them). */
    uint64_t exits, hypercalls, injections, interrupted;
};

struct kvm_vm {
    struct vm vm; /* first: struct vm * and struct kvm_vm * convert */
    int kvm_fd, vm_fd;
    int ram_fd;
    uint8_t *ram;
    uint64_t ram_size;
    size_t run_size;          /* KVM_GET_VCPU_MMAP_SIZE */
    struct elf_image image;   /* loaded by elf_image_load() */
    struct kvm_cpuid2 *cpuid; /* host leaves without the 0x4000xxxx ones */

    unsigned int nr_vcpus;
    struct kvm_vcpu *vcpus;

    struct vtimer_service *timers;
    struct vtimer watchdog_timer; /* SCHEDOP_watchdog's, in (timers) */

    /*
     * lock protects the thread bookkeeping (thread_started/joined),
     * stopping, the page slots and the watchdog's sleep.  Never held
     * across KVM_RUN or a hypercall.
     */
    pthread_mutex_t lock;
    pthread_cond_t watchdog_cond; /* with lock: stop the watchdog early */
    pthread_t watchdog;
    bool watchdog_started;
    bool watchdog_stop; /* under lock */

    /* Set (release) once by vm_stop() or the domain's shutdown; read
     * (acquire) by the vCPU threads each time round their loop and after
     * every wait. */
    bool stopping;

    struct kvm_page_slot *pages;
    unsigned int nr_pages;
};

static inline struct kvm_vm *kvm_vm_of(struct vm *vm)
{
    return (struct kvm_vm *)vm;
}

static inline struct kvm_vcpu *kvm_vcpu_of(const struct vcpu *v)
{
    return (struct kvm_vcpu *)v->backend_priv;
}

static inline bool kvm_stopping(const struct kvm_vm *kvm)
{
    /* Pairs with the release store in kvm_request_stop(). */
    return __atomic_load_n(&kvm->stopping, __ATOMIC_ACQUIRE);
}

/* boot.c */
int kvm_write_boot_info(struct kvm_vm *kvm, const char *cmdline, char *err,
                        size_t len);
int kvm_setup_boot_vcpu(struct kvm_vcpu *kv, char *err, size_t len);
int kvm_setup_ap_vcpu(struct kvm_vcpu *kv, char *err, size_t len);
bool kvm_vcpu_long_mode(const struct kvm_sregs *s);

/* cpuid.c */
int kvm_cpuid_init(struct kvm_vm *kvm, char *err, size_t len);
int kvm_cpuid_set(struct kvm_vcpu *kv, char *err, size_t len);

/* vcpu.c */
int kvm_vcpu_start(struct kvm_vcpu *kv);
int kvm_signal_init(void);
/* Take (kv)'s thread out of KVM_RUN if it is in it (a signal); the
 * _locked form is for callers holding vm->lock, and signals whenever the
 * thread is alive. */
void kvm_vcpu_interrupt(struct kvm_vcpu *kv);
void kvm_vcpu_interrupt_locked(struct kvm_vcpu *kv);
int kvm_watchdog_start(struct kvm_vm *kvm);
void kvm_watchdog_stop(struct kvm_vm *kvm);
uint64_t kvm_guest_tsc(struct kvm_vcpu *kv);
/* Print one diagnostic line for (kv) (stderr, with the domain's name). */
void kvm_log(const struct kvm_vm *kvm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* irq.c */
void kvm_request_stop(struct kvm_vm *kvm);
void kvm_prepare_injection(struct kvm_vcpu *kv);
void kvm_wait_for_interrupt(struct kvm_vcpu *kv);
extern const struct hv_backend_ops kvm_hv_ops;

/* mem.c */
int kvm_map_page(struct domain *d, uint64_t gfn, void *page);

#endif /* XENEMU_BACKEND_KVM_H */
