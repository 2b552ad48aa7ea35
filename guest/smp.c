/*
 * smp.c: secondary vCPUs.
 *
 * vCPU 0 starts the others one at a time (VCPUOP_initialise, VCPUOP_up); each
 * sets itself up (cpu_init_self) and reports online.  Afterwards an AP idles
 * until vCPU 0 posts work in its struct cpu and wakes it with its "kick"
 * IPI; it runs the work in thread context and kicks vCPU 0 back.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "mm.h"
#include "kprintf.h"
#include "smp.h"
#include "timer.h"
#include "pvclock.h"

/* An AP's stack: small, the kernel does not recurse. */
#define AP_STACK_PAGES 4u
/* How long an AP may take to come up or to run a call (KVM is slow). */
#define AP_BOOT_TIMEOUT_NS (30 * NS_PER_S)

/* The kick IPI's handler: the event itself is the point (it ends the
 * target's SCHEDOP_block); the state it announces is in struct cpu. */
static void kick_handler(struct cpu *c, evtchn_port_t port, void *arg)
{
    (void)c;
    (void)port;
    (void)arg;
}

void cpu_init_self(struct cpu *c)
{
    int rc;

    /* vCPU 0 did both in kernel_main(), before the first binding. */
    if (c->id != 0) {
        arch_install_upcall(KERNEL_UPCALL_VECTOR);
        if ((rc = ec_init_cpu(c)) < 0)
            kpanic("vCPU %u: event-channel set-up failed: %d", c->id, rc);
    }
    if ((rc = cpu_timer_init_cpu(c)) < 0)
        kpanic("vCPU %u: bind VIRQ_TIMER: %d", c->id, rc);
    rc = ec_bind_ipi(c, kick_handler, NULL, &c->kick_port);
    if (rc < 0)
        kpanic("vCPU %u: bind kick IPI: %d", c->id, rc);
    ec_unmask(c->kernel, c->kick_port);
}

void smp_kick(struct cpu *c)
{
    ec_send(c->kick_port);
}

static bool has_work(struct cpu *c, void *arg)
{
    (void)arg;
    /* Pairs with the release store in smp_call(). */
    return __atomic_load_n(&c->call_fn, __ATOMIC_ACQUIRE) != NULL;
}

_Noreturn void kernel_ap_main(struct cpu *c)
{
    struct kernel *k = c->kernel;

    arch_set_this_cpu(c);
    cpu_init_self(c);
    /* Online: pairs with the acquire load in is_online(). */
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    smp_kick(k->cpu[0]);
    arch_irq_enable();
    for (;;) {
        smp_fn_t fn;

        wait_forever(c, has_work, NULL);
        fn = __atomic_load_n(&c->call_fn, __ATOMIC_ACQUIRE);
        fn(c, __atomic_load_n(&c->call_arg, __ATOMIC_RELAXED));
        __atomic_store_n(&c->call_fn, NULL, __ATOMIC_RELAXED);
        /* Done: pairs with the acquire load in call_done(); publishes the
         * work's effects to the caller. */
        __atomic_fetch_add(&c->call_done, 1, __ATOMIC_RELEASE);
        smp_kick(k->cpu[0]);
    }
}

static bool is_online(struct cpu *self, void *arg)
{
    struct cpu *c = arg;

    (void)self;
    return __atomic_load_n(&c->online, __ATOMIC_ACQUIRE);
}

/* VCPUOP_initialise with the arch's starting state, then VCPUOP_up.  0 or
 * the failing call's negative errno. */
static int start_cpu(unsigned int id, struct cpu *c, void *stack_top)
{
    struct vcpu_hvm_context ctx; /* on our stack: guest RAM in both builds */
    int rc = arch_ap_context(id, c, stack_top, &ctx);

    if (rc)
        return rc;
    rc = (int)HYPERVISOR_vcpu_op(VCPUOP_initialise, id, &ctx);
    if (rc)
        return rc;
    return (int)HYPERVISOR_vcpu_op(VCPUOP_up, id, NULL);
}

void smp_boot_aps(struct kernel *k)
{
    struct cpu *self = k->cpu[0];

    for (unsigned int i = 1; i < k->nr_cpus; i++) {
        struct cpu *c = k->cpu[i];
        char *stack = kpages_alloc(&k->mm, AP_STACK_PAGES);
        int rc;

        if (!stack)
            kpanic("vCPU %u: no memory for a stack", i);
        c->stack = stack;
        rc = start_cpu(i, c, stack + AP_STACK_PAGES * PAGE_SIZE);
        if (rc < 0)
            kpanic("vCPU %u: start failed: %d", i, rc);
        if (!wait_until(self, is_online, c, AP_BOOT_TIMEOUT_NS))
            kpanic("vCPU %u: did not come online", i);
    }
}

struct call_wait {
    struct cpu *target;
    unsigned int done;
};

static bool call_done(struct cpu *self, void *arg)
{
    struct call_wait *w = arg;

    (void)self;
    return __atomic_load_n(&w->target->call_done, __ATOMIC_ACQUIRE) != w->done;
}

bool smp_call(struct cpu *self, struct cpu *target, smp_fn_t fn, void *arg,
              uint64_t timeout_ns)
{
    struct call_wait w = {
        .target = target,
        .done = __atomic_load_n(&target->call_done, __ATOMIC_ACQUIRE),
    };

    __atomic_store_n(&target->call_arg, arg, __ATOMIC_RELAXED);
    /* Post: pairs with the acquire load in has_work(). */
    __atomic_store_n(&target->call_fn, fn, __ATOMIC_RELEASE);
    smp_kick(target);
    return wait_until(self, call_done, &w, timeout_ns);
}
