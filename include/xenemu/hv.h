/*
 * hv.h: one hypervisor instance and the backend interface it calls out to.
 *
 * The core (hv/) knows nothing about KVM, threads or sockets.  Whoever runs
 * the guests (backend/kvm, backend/sim, the unit tests' recording backend)
 * hands the core a struct hv_backend_ops; the core calls it when a vCPU must
 * be interrupted, when a vCPU blocks, and for output the guest produces.
 */
#ifndef XENEMU_HV_H
#define XENEMU_HV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenemu/xen_ext.h"

struct domain;
struct vcpu;

/*
 * Calls from the core into the backend.  Every member is optional (NULL means
 * "nothing to do").  They may be called from any thread, with domain locks
 * held, so they must not call back into the core.
 */
struct hv_backend_ops {
    /*
     * (v) has just had evtchn_upcall_pending set (it was clear): deliver the
     * upcall, interrupting (v) if it is running and waking it if it is
     * blocked.
     */
    void (*kick)(struct vcpu *v);

    /* Wake (v) if it is waiting in block() (a polled port became pending). */
    void (*wake)(struct vcpu *v);

    /*
     * Block the calling vCPU (v) until kick(v) or vcpu_wake(v) is called or
     * system time reaches (deadline_ns) (0 = no deadline).  Called only from
     * (v)'s own hypercall (SCHEDOP_block, SCHEDOP_poll), after the core has
     * checked that nothing is pending; a kick that raced ahead of the call
     * must still end the wait.
     */
    void (*block)(struct vcpu *v, uint64_t deadline_ns);

    /* (v)'s one-shot timer (set_timer_op) now expires at (deadline_ns), or
     * is stopped when (deadline_ns) is 0. */
    void (*timer_changed)(struct vcpu *v, uint64_t deadline_ns);

    /*
     * The earliest SCHEDOP_watchdog deadline of (d) is now (deadline_ns)
     * (system time), or none when 0.  Run one host timer per domain at it
     * and call sched_watchdog_fire(d) once hv_now_ns() reaches it; a late or
     * stale fire is harmless.  Called with (d)'s event_lock held, changes in
     * order.  Cancel the timer before the domain is freed.  Without this op
     * a guest's watchdog never fires.
     */
    void (*watchdog_changed)(struct domain *d, uint64_t deadline_ns);

    /* (d) issued SCHEDOP_shutdown with (reason) (SHUTDOWN_*). */
    void (*shutdown)(struct domain *d, unsigned int reason);

    /* One line of (d)'s console log (CONSOLEIO_write, the debug port):
     * (len) printable characters, without the newline (<xenemu/console.h>).
     * Lines of one domain come one at a time, in order. */
    void (*console_write)(struct domain *d, const char *buf, size_t len);

    /*
     * The hypervisor-owned page (page) now appears at guest frame (gfn) of
     * (d) (XENMEM_add_to_physmap of shared_info).  Backends whose guests see
     * RAM directly must map it there; the core's own accessors already do.
     * Returns 0 or a negative Xen errno.
     */
    int (*map_page)(struct domain *d, uint64_t gfn, void *page);

    /*
     * VCPUOP_up brought (v) up from down, with the state of its
     * VCPUOP_initialise (v->hvm_ctx; vCPU 0 is up from creation and is
     * started by the backend itself).  Start running it.  Called without
     * core locks held: a backend that cannot start the vCPU may crash the
     * domain with sched_domain_shutdown() rather than leave a vCPU that
     * counts as up but never runs.
     */
    void (*vcpu_up)(struct vcpu *v);
};

/* One hypervisor: a table of domains, dom0 among them. */
struct hv {
    const struct hv_backend_ops *backend;
    void *backend_priv;

    /* Protects domains[] and next_domid; see domain_get(). */
    pthread_mutex_t domains_lock;
    struct domain **domains; /* DOMID_FIRST_RESERVED slots */
    domid_t next_domid;

    uint64_t boot_ns; /* CLOCK_MONOTONIC at hv_create: system time 0 */
};

/*
 * Create a hypervisor with (backend) (may be NULL) and its dom0, the
 * privileged domain that stands for the host.  Returns 0 or a negative Xen
 * errno; on success *out must be released with hv_destroy().
 */
int hv_create(const struct hv_backend_ops *backend, void *backend_priv,
              struct hv **out);

/* Destroy every domain and free (hv). */
void hv_destroy(struct hv *hv);

/* Xen system time: nanoseconds since hv_create(). */
uint64_t hv_now_ns(const struct hv *hv);

/*
 * The core's allocator: zeroed memory, counted so that benchmarks and tests
 * can state exactly how much hypervisor memory a structure costs.  hv_free()
 * takes the size that was allocated.  hv_zalloc() returns NULL on failure.
 */
void *hv_zalloc(size_t size);
void hv_free(void *p, size_t size);

/* A zeroed, page-aligned 4 KiB page (shared_info, grant frames), counted
 * like hv_zalloc(); NULL on failure. */
#define HV_PAGE_SIZE 4096u
void *hv_zalloc_page(void);
void hv_free_page(void *p);
size_t hv_mem_in_use(void);

#endif /* XENEMU_HV_H */
