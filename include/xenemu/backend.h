/*
 * backend.h: running domains.  A backend runs the vCPUs of the domains given
 * to it (backend/kvm on KVM, backend/sim as host threads) and answers the
 * core's calls for them (struct hv_backend_ops).
 *
 * One hypervisor may run domains on different backends at once: the hv is
 * created with backend_hv_ops (backend/backend.c), which forwards each call
 * to the backend of the domain concerned (d->backend_priv is its struct vm).
 */
#ifndef XENEMU_BACKEND_H
#define XENEMU_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenemu/domain.h"
#include "xenemu/hv.h"

/* How to run one domain. */
struct vm_params {
    const char *name;    /* for messages */
    const char *kernel;  /* path of the guest image (ELF) */
    const char *cmdline; /* the guest's command line ("" for none) */
    uint64_t memory_bytes;
    /* The domain's console log, one line at a time without its newline
     * (CONSOLEIO_write and the debug port 0xe9, filtered by the core), may
     * be NULL.  Called from vCPU threads, one line at a time. */
    void (*console)(void *opaque, const char *buf, size_t len);
    void *console_opaque;
};

/* What a backend counted for one domain (zero where it has no such thing):
 * exit counts, not times, are what says something on KVM here. */
struct vm_stats {
    uint64_t exits;      /* KVM_RUN returns to user space */
    uint64_t hypercalls; /* hypercalls the guest made */
    uint64_t upcalls;    /* upcalls delivered (callback vector injected) */
};

/*
 * A domain being run.  Each backend's private per-domain state starts with
 * this; d->backend_priv points at it from vm_create() to vm_destroy().
 */
struct vm {
    const struct backend *be;
    struct domain *d;
    struct vm_params params;
    struct vm_stats stats; /* atomic increments by the vCPU threads */
};

/* Add (vm)'s counters to (sum). */
static inline void vm_stats_add(struct vm_stats *sum, const struct vm *vm)
{
    sum->exits += __atomic_load_n(&vm->stats.exits, __ATOMIC_RELAXED);
    sum->hypercalls += __atomic_load_n(&vm->stats.hypercalls, __ATOMIC_RELAXED);
    sum->upcalls += __atomic_load_n(&vm->stats.upcalls, __ATOMIC_RELAXED);
}

struct backend {
    const char *name; /* "kvm", "sim" */
    /* 0 if guests can run here, else -1 with a one-line reason in (why),
     * e.g. "/dev/kvm: No such file or directory". */
    int (*probe)(char *why, size_t len);
    /*
     * Give (d) (created, paused) its RAM and load (p)'s kernel: 0 with *out
     * set, or -1 with a one-line message in (err) naming what is wrong
     * (unreadable or malformed image, no memory, /dev/kvm refused...).
     */
    int (*vm_create)(struct domain *d, const struct vm_params *p,
                     struct vm **out, char *err, size_t len);
    /* Can (memory_bytes) of RAM for (nr_vcpus) vCPUs run here?  0, or -1
     * with a one-line message about the memory in (err) (vm_create() checks
     * it too; this lets a caller report it at the config line). */
    int (*check_memory)(uint64_t memory_bytes, unsigned int nr_vcpus, char *err,
                        size_t len);
    /* Start vCPU 0 at the image's entry.  0, or -1 with a message. */
    int (*vm_start)(struct vm *vm, char *err, size_t len);
    /* Wait until every vCPU thread has ended (the domain shut down, or
     * vm_stop() was called). */
    void (*vm_wait)(struct vm *vm);
    /* Ask every vCPU of (vm) to stop soon; returns at once. */
    void (*vm_stop)(struct vm *vm);
    /* Free what vm_create() set up; the vCPUs must have ended. */
    void (*vm_destroy)(struct vm *vm);
    /* The core's calls for domains of this backend (members may be NULL;
     * console_write and shutdown are handled by backend/backend.c, which
     * calls shutdown here afterwards). */
    const struct hv_backend_ops *ops;
};

extern const struct backend backend_kvm;
extern const struct backend backend_sim;

/* The forwarding ops table to create a hypervisor with. */
extern const struct hv_backend_ops backend_hv_ops;

/* The backend called (name) ("kvm", "sim"), or NULL. */
const struct backend *backend_by_name(const char *name);

/* The vm of (d), or NULL if no backend runs it. */
static inline struct vm *vm_of(const struct domain *d)
{
    return (struct vm *)d->backend_priv;
}

#endif /* XENEMU_BACKEND_H */
