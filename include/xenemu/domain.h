/*
 * domain.h: domains and their vCPUs.
 *
 * A domain is created from Xen's own struct xen_domctl_createdomain plus the
 * few settings xenemu adds (the emulated Xen version).  Guest RAM is provided
 * by whoever runs the domain (domain_set_ram()); the core only ever reaches
 * it through the checked helpers of <xenemu/guest_mem.h>.
 */
#ifndef XENEMU_DOMAIN_H
#define XENEMU_DOMAIN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "xenemu/console.h"
#include "xenemu/hv.h"
#include "xenemu/xen_ext.h"

struct evtchn;
struct evtchn_port_ops;
struct evtchn_fifo_domain;
struct evtchn_fifo_vcpu;

/* The most vCPUs a domain may have (Xen's limit for HVM guests). */
#define DOMAIN_MAX_VCPUS 128

#define GUEST_PAGE_SHIFT 12
#define GUEST_PAGE_SIZE  (1u << GUEST_PAGE_SHIFT)
#define GFN_INVALID      UINT64_MAX

/* One entry of a domain's memory map (E820_* types, as XENMEM_memory_map
 * reports them). */
struct domain_e820 {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
};
/* Entries a backend may set (domain_set_memory_map()), kept inline. */
#define DOMAIN_E820_MAX 8
/* Entries a guest may set with XENMEM_set_memory_map: Xen's E820MAX
 * (arch/x86/include/asm/e820.h), allocated to the number given. */
#define DOMAIN_E820_GUEST_MAX 1024
#define E820_RAM              1
#define E820_RESERVED         2

/* A hypervisor page mapped at a guest frame (gfn GFN_INVALID: nowhere). */
struct guest_overlay {
    uint64_t gfn; /* atomic: store-release after page is set */
    void *page;
};

/* Grant-table frames a domain may map unless its config says otherwise
 * (Xen's default max_grant_frames). */
#define DOMAIN_DEFAULT_GRANT_FRAMES 64

/* SCHEDOP_watchdog slots per domain (Xen's NR_DOMAIN_WATCHDOG_TIMERS). */
#define DOMAIN_WATCHDOG_SLOTS 2u

/* vcpu.poll_port when the vCPU is not in SCHEDOP_poll / polls several. */
#define VCPU_POLL_NONE 0u
#define VCPU_POLL_MANY UINT32_MAX

/* A guest-virtual area a vCPU registered (its runstate record, its second
 * time record): the address and how the registering call translated it.
 * gva 0: none. */
struct vcpu_guest_area {
    uint64_t gva;
    uint64_t cr3;
    bool paging;
    bool compat;
};

struct vcpu {
    struct domain *domain;
    unsigned int id;

    /*
     * Host address of this vCPU's vcpu_info: its legacy slot in shared_info,
     * or the area given by VCPUOP_register_vcpu_info.  Written once more at
     * registration (atomic store-release, paired with the acquire load in
     * vcpu_info_of()); both areas stay mapped while the domain lives.
     */
    void *vcpu_info;
    bool vcpu_info_registered; /* under the domain's event_lock */

    /* Port bound to each VIRQ on this vCPU, 0 if none (under event_lock). */
    evtchn_port_t virq_to_evtchn[NR_VIRQS];

    /* vcpu_info for a vCPU without a legacy slot (id >= 32) until it
     * registers one, as Xen's dummy_vcpu_info; NULL otherwise. */
    void *dummy_vcpu_info;

    /* FIFO ABI state (control block, queues); NULL under 2-level. */
    struct evtchn_fifo_vcpu *fifo;

    /* SCHEDOP_poll state: VCPU_POLL_NONE, VCPU_POLL_MANY or the one port
     * being polled (atomic; see sched.c). */
    uint32_t poll_port;

    uint64_t timer_deadline; /* set_timer_op deadline, 0 = stopped (atomic) */
    /* Orders setting the deadline against a fire of the old one (see
     * vcpu_timer_set()); taken before the domain's event_lock. */
    pthread_mutex_t timer_lock;
    /* VCPUOP_set_periodic_timer: period (ns, 0 = off), the system time of
     * the last event (Xen's periodic_last_event, 0 at first) and of the
     * next (0 = none), under timer_lock. */
    uint64_t periodic_period;
    uint64_t periodic_last;
    uint64_t periodic_next;

    /* Runstate accounting (hv/runstate.c), the guest's copy of it and its
     * second vcpu_time_info, all under runstate_lock. */
    pthread_mutex_t runstate_lock;
    struct vcpu_runstate_info runstate;
    struct vcpu_guest_area runstate_area;
    struct vcpu_guest_area time_area;

    /* VCPUOP_send_nmi: an NMI waits for delivery (atomic; the backend
     * takes it with an exchange). */
    bool nmi_pending;
    bool is_up; /* VCPUOP_is_up (atomic) */
    /* VCPUOP_initialise: the state a secondary vCPU starts in (vCPU 0 is
     * initialised by its backend).  Written once under the domain's
     * event_lock before initialised is set (store-release, paired with the
     * acquire load in VCPUOP_up). */
    struct vcpu_hvm_context hvm_ctx;
    bool initialised;

    /* HVMOP_set_evtchn_upcall_vector's vector, 0 = none: the domain-wide
     * HVM_PARAM_CALLBACK_IRQ applies (atomic; see hvm_callback_vector()). */
    uint8_t upcall_vector;

    void *backend_priv;
};

struct grant_table;

/* What a domain is created from. */
struct domain_config {
    struct xen_domctl_createdomain create; /* Xen's creation arguments */
    uint32_t xen_version; /* XENEMU_VERSION(); 0 = XENEMU_DEFAULT_VERSION */
};

struct domain {
    struct hv *hv;
    domid_t domid;
    uint32_t cdf_flags;   /* XEN_DOMCTL_CDF_* */
    uint32_t xen_version; /* emulated Xen version, XENEMU_VERSION() */
    bool is_privileged;   /* dom0: may act on other domains */

    unsigned int refcnt;      /* atomic; see domain_get()/domain_put() */
    bool is_dying;            /* atomic; set once by domain_destroy() */
    unsigned int pause_count; /* under event_lock */
    bool is_shutdown;         /* atomic */
    unsigned int shutdown_reason;
    /* Xen's shutdown_code: 0 until SCHEDOP_shutdown_code or the first
     * shutdown records one, then DOMAIN_SHUTDOWN_CODE_SET | reason
     * (atomic, set once; see sched_domain_shutdown() in hv/sched.c). */
    unsigned int shutdown_code;

    /* VMASST_TYPE_* bits enabled by __HYPERVISOR_vm_assist (atomic). */
    uint32_t vm_assist;

    /* The toolstack's handle (UUID) from createdomain, for
     * XENVER_guest_handle; copied from cfg->create.handle at creation. */
    xen_domain_handle_t handle;

    unsigned int max_vcpus;
    struct vcpu **vcpus; /* max_vcpus entries, all allocated */

    /* Guest RAM (host mapping) and its memory map (XENMEM_memory_map). */
    uint8_t *ram;
    uint64_t ram_size;
    /* The memory map: nr_e820 entries at e820, which is e820_inline or
     * (after XENMEM_set_memory_map) an hv_zalloc() of e820_alloc
     * entries.  Changed and read under e820_lock. */
    struct domain_e820 *e820;
    unsigned int nr_e820;
    unsigned int e820_alloc;
    struct domain_e820 e820_inline[DOMAIN_E820_MAX];
    pthread_mutex_t e820_lock;
    /* System time when the domain was created: Xen's vtsc_offset (set by
     * tsc_set_info() at creation), reported in CPUID leaf 3. */
    uint64_t created_ns;

    /*
     * Hypervisor-owned pages the guest placed in its physmap with
     * XENMEM_add_to_physmap: slot 0 is shared_info, slot 1 + i is grant
     * table frame i.  See <xenemu/guest_mem.h>.
     */
    void *shared_info; /* page-aligned, 4 KiB, zeroed at creation */
    struct guest_overlay *overlays;
    unsigned int nr_overlays;     /* slots */
    unsigned int overlays_used;   /* atomic: no slot at or above is mapped */
    pthread_mutex_t physmap_lock; /* serialises add_to_physmap */
    bool shinfo_compat;           /* 32-bit shared_info layout (atomic) */

    /* HVMOP_{set,get}_param values: written under event_lock with atomic
     * stores, so hvm_callback_vector() may read them without the lock. */
    uint64_t hvm_params[HVM_NR_PARAMS];

    /*
     * Event channels.  event_lock serialises every change of port state and
     * every event raised by this domain's own operations.  abi_lock is held
     * for reading by other domains while they raise an event here, and for
     * writing while this domain switches between the 2-level and FIFO ABIs,
     * so a raise never sees half of a switch.
     */
    pthread_mutex_t event_lock;
    pthread_rwlock_t abi_lock;
    const struct evtchn_port_ops *evtchn_ops;
    struct evtchn **evtchn_groups; /* see evtchn_from_port() */
    uint32_t valid_evtchns;        /* atomic; only grows */
    uint32_t max_evtchn_port;      /* highest port the domain may use */
    uint32_t active_evtchns;       /* guest-visible bound ports */
    uint32_t first_free_port;      /* no free port below this one */
    uint32_t reset_next_port;      /* EVTCHNOP_reset in progress if != 0 */
    struct evtchn_fifo_domain *fifo;
    unsigned int nr_pollers; /* atomic: vCPUs inside SCHEDOP_poll */

    /* CONSOLEIO_write and the debug port's line (<xenemu/console.h>). */
    struct domain_console console;

    /* ---- HVM parameter values and SCHEDOP_watchdog (hv/hvm_op.c,
     * hv/sched.c) ---- */
    /* HVM_PARAM_X87_FIP_WIDTH has been set (under event_lock): until then
     * a get answers the host's default width (hvm_x87_fip_default()). */
    bool x87_fip_width_set;
    /* SCHEDOP_watchdog: bit i set while slot i (id i + 1) is in use, and
     * each slot's deadline in system time, 0 when not armed (it fired or
     * was never set).  All under event_lock; see hv/sched.c. */
    unsigned int watchdog_inuse;
    uint64_t watchdog_deadline[DOMAIN_WATCHDOG_SLOTS];

    /* ---- grant table (hv/grant_table.c, hv/grant_copy.c) ---- */
    /* Set at creation, freed with the domain; everything in it is under
     * its own grant_table->lock, taken before physmap_lock
     * (<xenemu/grant_table.h>). */
    struct grant_table *grant_table;

    void *backend_priv;
};

/*
 * Create a domain from (cfg).  (domid) 0 (or a reserved id) picks the next
 * free id; any other value asks for that id.  Errors, as Xen, in this
 * order: -EEXIST for an id in use; -EINVAL for unknown creation flags, a PV
 * domain (xenemu has no PV), hap without hvm, max_vcpus 0 or above
 * DOMAIN_MAX_VCPUS, or an unsupported xen_version; -ENOMEM.
 * On success the domain is created paused once (as Xen's are) and *out holds
 * a reference (domain_put()).
 */
int domain_create(struct hv *hv, domid_t domid, const struct domain_config *cfg,
                  struct domain **out);

/*
 * Tear (d) down: close all its ports, unhook it from the domain table, and
 * drop the creation reference.  Other domains' references keep the memory
 * alive until domain_put().  (d)'s vCPUs must not be running.
 */
void domain_destroy(struct domain *d);

/* hv.c: create dom0, the privileged host domain, with id 0. */
int domain_create_dom0(struct hv *hv, const struct domain_config *cfg,
                       struct domain **out);

/* Take a reference on the live domain (domid), or return NULL. */
struct domain *domain_get(struct hv *hv, domid_t domid);
void domain_put(struct domain *d);

/*
 * The domain a guest names in an argument: DOMID_SELF is (caller).  Returns a
 * reference (domain_put()) or NULL (Xen answers -ESRCH).
 */
struct domain *domain_get_by_any_id(struct domain *caller, domid_t domid);

/* May (caller) act on (target)?  Xen's dummy XSM "target" policy. */
bool domain_may_control(const struct domain *caller,
                        const struct domain *target);

/*
 * Hand the domain its RAM: (size) bytes at host address (ram), which must
 * stay mapped while the domain lives.  The memory map becomes one RAM
 * entry covering it.
 */
void domain_set_ram(struct domain *d, uint8_t *ram, uint64_t size);

/* Replace (d)'s memory map (what XENMEM_memory_map reports) with the (n)
 * entries of (map): 0, or -EINVAL for 0 or more than DOMAIN_E820_MAX
 * entries.  Before the domain runs. */
int domain_set_memory_map(struct domain *d, const struct domain_e820 *map,
                          unsigned int n);

/* Give (d) the memory map (map), (n) entries from hv_zalloc() that (d) now
 * owns (NULL: the inline entries, n of them), freeing the one it had, as
 * XENMEM_set_memory_map does; safe against a concurrent XENMEM_memory_map.
 * n may be 0 (XENMEM_memory_map is then -ENOSYS). */
void domain_replace_memory_map(struct domain *d, struct domain_e820 *map,
                               unsigned int n);

int domain_pause(struct domain *d);
int domain_unpause(struct domain *d);

/* The vCPU (id) of (d), or NULL if there is none.  The one bounds check for
 * guest-supplied vCPU ids. */
struct vcpu *domain_vcpu(const struct domain *d, uint32_t id);

/* Does the domain offer the FIFO ABI (version >= 4.4, flag not set)? */
bool domain_has_fifo(const struct domain *d);

/* Record the guest's shared_info bitness (Xen latches it at the hypercall
 * page MSR write and at HVM_PARAM_CALLBACK_IRQ). */
void domain_latch_shinfo_compat(struct domain *d, bool compat);

/* Is evtchn_upcall_pending set in (v)'s vcpu_info? */
bool vcpu_upcall_pending(const struct vcpu *v);

/* Host address of (v)'s vcpu_info (64-bit or 32-bit layout, see
 * d->shinfo_compat). */
void *vcpu_info_of(const struct vcpu *v);

#endif /* XENEMU_DOMAIN_H */
