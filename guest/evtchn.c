/*
 * evtchn.c: the event-channel driver's common part: choosing the ABI,
 * binding ports to handlers, and the upcall that dispatches them.
 *
 * The ABI-specific work (where pending/masked bits live, how the upcall
 * finds pending ports) is behind k->evtchn: evtchn_2l.c or evtchn_fifo.c.
 */
#include "cmdline.h"
#include "evtchn.h"
#include "evtchn_abi.h"
#include "hypercall.h"
#include "lib.h"
#include "mm.h"
#include "kprintf.h"

#define PORT_TABLE_PAGES                                                       \
    ((KERNEL_MAX_PORTS * sizeof(struct port_entry) + PAGE_SIZE - 1) / PAGE_SIZE)

/* fifo_events=0 (or Linux's spelling, xen.fifo_events=0) forces 2-level. */
static bool fifo_disabled(const struct kernel *k)
{
    return cmdline_is(k->cmdline, "fifo_events", "0") ||
           cmdline_is(k->cmdline, "xen.fifo_events", "0");
}

void ec_init(struct kernel *k)
{
    int rc;

    k->port = kpages_alloc(&k->mm, PORT_TABLE_PAGES);
    if (!k->port)
        kpanic("evtchn: no memory for the port table");
    if (fifo_disabled(k)) {
        ksnprintf(k->evtchn_why, sizeof(k->evtchn_why), " (fifo_events=0)");
    } else if ((rc = ec_fifo_init(k->cpu[0])) == 0) {
        k->evtchn = &ec_ops_fifo;
    } else {
        /*
         * By default any init_control error means "no FIFO here", as in
         * Linux.  fifo_fallback=enosys accepts only -ENOSYS, the answer of
         * a Xen without FIFO (before 4.4, or the disable-FIFO switch): any
         * other error means FIFO exists but is broken, and falling back
         * would hide that.
         */
        if (cmdline_is(k->cmdline, "fifo_fallback", "enosys") &&
            rc != -XEN_ENOSYS)
            kpanic("evtchn: EVTCHNOP_init_control failed with %d, "
                   "not -ENOSYS (fifo_fallback=enosys)",
                   rc);
        ksnprintf(k->evtchn_why, sizeof(k->evtchn_why), " (init_control: %d)",
                  rc);
    }
    if (!k->evtchn) {
        ec_2l_init(k);
        k->evtchn = &ec_ops_2l;
    }
    kprintf("evtchn: %s%s\n", k->evtchn->name, k->evtchn_why);
}

int ec_init_cpu(struct cpu *c)
{
    return c->kernel->evtchn->init_cpu(c);
}

bool ec_is_fifo(const struct kernel *k)
{
    return k->evtchn == &ec_ops_fifo;
}

/* ---- binding ---- */

static void close_port(evtchn_port_t port)
{
    struct evtchn_close op = {.port = port};

    HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

/*
 * Record a port Xen just bound: make it usable for the ABI (masked), then
 * publish its handler.  On failure the port is closed again.
 */
static int port_install(struct kernel *k, evtchn_port_t port, uint32_t vcpu,
                        ec_handler_t fn, void *arg)
{
    struct port_entry *e;
    int rc = -XEN_ENOSPC;

    if (port != 0 && port < KERNEL_MAX_PORTS) {
        spin_lock(&k->evtchn_lock);
        rc = k->evtchn->setup_port(k, port);
        spin_unlock(&k->evtchn_lock);
    }
    if (rc < 0) {
        close_port(port);
        return rc;
    }
    e = &k->port[port];
    __atomic_store_n(&e->arg, arg, __ATOMIC_RELAXED);
    __atomic_store_n(&e->vcpu, vcpu, __ATOMIC_RELAXED);
    /* Publish: pairs with the acquire load in ec_dispatch(), so an
     * upcall that sees (fn) also sees (arg) and (vcpu). */
    __atomic_store_n(&e->fn, fn, __ATOMIC_RELEASE);
    return 0;
}

static int bound(struct kernel *k, long rc, evtchn_port_t port, uint32_t vcpu,
                 ec_handler_t fn, void *arg, evtchn_port_t *out)
{
    if (rc < 0)
        return (int)rc;
    rc = port_install(k, port, vcpu, fn, arg);
    if (rc == 0)
        *out = port;
    return (int)rc;
}

int ec_alloc_unbound(struct kernel *k, domid_t remote, ec_handler_t fn,
                     void *arg, evtchn_port_t *port)
{
    struct evtchn_alloc_unbound op = {.dom = DOMID_SELF, .remote_dom = remote};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);

    /* Xen notifies vCPU 0 for unbound and interdomain ports. */
    return bound(k, rc, op.port, 0, fn, arg, port);
}

int ec_bind_interdomain(struct kernel *k, domid_t remote,
                        evtchn_port_t remote_port, ec_handler_t fn, void *arg,
                        evtchn_port_t *port)
{
    struct evtchn_bind_interdomain op = {.remote_dom = remote,
                                         .remote_port = remote_port};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);

    return bound(k, rc, op.local_port, 0, fn, arg, port);
}

int ec_bind_virq(struct cpu *c, uint32_t virq, ec_handler_t fn, void *arg,
                 evtchn_port_t *port)
{
    struct evtchn_bind_virq op = {.virq = virq, .vcpu = c->id};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);

    return bound(c->kernel, rc, op.port, c->id, fn, arg, port);
}

int ec_bind_ipi(struct cpu *c, ec_handler_t fn, void *arg, evtchn_port_t *port)
{
    struct evtchn_bind_ipi op = {.vcpu = c->id};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &op);

    return bound(c->kernel, rc, op.port, c->id, fn, arg, port);
}

int ec_send(evtchn_port_t port)
{
    struct evtchn_send op = {.port = port};

    return (int)HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

int ec_close(struct kernel *k, evtchn_port_t port)
{
    struct evtchn_close op = {.port = port};

    if (port == 0 || port >= KERNEL_MAX_PORTS)
        return -XEN_EINVAL;
    /* Masked first, so the port number is masked when Xen reuses it
     * (port_install() relies on that too); then no handler. */
    ec_mask(k, port);
    __atomic_store_n(&k->port[port].fn, NULL, __ATOMIC_RELEASE);
    return (int)HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

int ec_set_priority(evtchn_port_t port, unsigned int priority)
{
    struct evtchn_set_priority op = {.port = port, .priority = priority};

    return (int)HYPERVISOR_event_channel_op(EVTCHNOP_set_priority, &op);
}

void ec_mask(struct kernel *k, evtchn_port_t port)
{
    k->evtchn->mask(k, port);
}

void ec_unmask(struct kernel *k, evtchn_port_t port)
{
    k->evtchn->unmask(k, port);
}

bool ec_is_pending(struct kernel *k, evtchn_port_t port)
{
    return k->evtchn->is_pending(k, port);
}

void ec_clear_pending(struct kernel *k, evtchn_port_t port)
{
    k->evtchn->clear_pending(k, port);
}

/* ---- the upcall ---- */

uint32_t ec_port_vcpu(struct kernel *k, evtchn_port_t port)
{
    if (port >= KERNEL_MAX_PORTS)
        return 0;
    return __atomic_load_n(&k->port[port].vcpu, __ATOMIC_RELAXED);
}

void ec_dispatch(struct cpu *c, evtchn_port_t port)
{
    struct port_entry *e;
    ec_handler_t fn;

    if (port >= KERNEL_MAX_PORTS)
        return;
    e = &c->kernel->port[port];
    /* Pairs with the release store in port_install(). */
    fn = __atomic_load_n(&e->fn, __ATOMIC_ACQUIRE);
    if (fn) /* else spurious: a port being closed, or never ours */
        fn(c, port, __atomic_load_n(&e->arg, __ATOMIC_RELAXED));
}

void kernel_upcall(void)
{
    struct cpu *c = arch_this_cpu();

    /* Nothing is bound before the driver is up: a spurious upcall (Xen
     * raises one when vcpu_info is registered) has nothing to do. */
    if (!c || !c->vcpu_info || !c->kernel->evtchn)
        return;
    /*
     * Clear the flag before scanning: Xen sets it after publishing an
     * event (selector or ready bit), so an event the scan misses raises
     * a new upcall.  Sequentially consistent: pairs with Xen's atomic
     * test-and-set of the flag, and orders it before the scan's loads.
     */
    __atomic_store_n(&c->vcpu_info->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    c->kernel->evtchn->handle_events(c);
}
