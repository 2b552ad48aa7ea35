/*
 * sim.c: the sim backend's domains: RAM, boot structures, and the core's
 * ops for them.
 *
 * Guest-physical memory of a sim domain is one anonymous mapping; a
 * guest-physical address is an offset into it.  Its layout:
 *
 *   [0, 1 MiB)                reserved: start info, memory map, command
 *                             line at the <xenemu/guest_abi.h> addresses
 *   [1 MiB, stacks)           RAM for the guest's page allocator
 *   [stacks, end of RAM)      reserved: one host-thread stack per vCPU
 *
 * The vCPU threads' stacks are in guest RAM so that a guest stack variable
 * has a guest-physical address, as on hardware (the guest hands such
 * addresses to hypercalls).  No guard pages separate them: a page the
 * core could be asked to read must never fault, and the only code running
 * there is xenemu's own guest.
 */

/* MAP_ANONYMOUS is not in POSIX.1-2008 (only in POSIX.1-2024): glibc
 * declares it under _DEFAULT_SOURCE. */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim.h"
#include "../common/boot_info.h"
#include "xenemu/guest_abi.h"

#define MIB (1024u * 1024u)

/*
 * Each vCPU thread's stack: the guest kernel, the core's hypercall path,
 * and an upcall run from the signal handler on top of both.  The guest's
 * test programs use under 16 KiB (measured, sanitizers included); the rest
 * is headroom, because an overflow would silently corrupt the next vCPU's
 * stack (vcpu.c checks a canary when a thread leaves).  Sanitizers make
 * frames larger.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SIM_STACK_SIZE (512u * 1024u)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SIM_STACK_SIZE (512u * 1024u)
#endif
#endif
#ifndef SIM_STACK_SIZE
#define SIM_STACK_SIZE (256u * 1024u)
#endif

/* Below this the guest's page allocator has nothing to work with. */
#define SIM_MIN_FREE_RAM MIB
/* RAM must end below the frames where hypervisor pages are mapped. */
#define SIM_MAX_RAM ((uint64_t)XENEMU_GUEST_HOLE_GFN << GUEST_PAGE_SHIFT)

static int sim_probe(char *why, size_t len)
{
    (void)why;
    (void)len;
    return 0; /* host threads: always usable */
}

/* ---- creation ---- */

/* Is (memory_bytes) usable for (nr_vcpus) vCPUs?  0 or -1 with a
 * message. */
static int sim_check_memory(uint64_t memory_bytes, unsigned int nr_vcpus,
                            char *err, size_t len)
{
    uint64_t need = XENEMU_BOOT_KERNEL_MIN + SIM_MIN_FREE_RAM +
                    (uint64_t)nr_vcpus * SIM_STACK_SIZE;

    if (memory_bytes % GUEST_PAGE_SIZE) {
        snprintf(err, len, "memory is not a whole number of pages");
        return -1;
    }
    if (memory_bytes < need) {
        snprintf(err, len,
                 "%llu MiB of memory is too little for the sim backend "
                 "with %u vCPU%s (needs at least %llu MiB)",
                 (unsigned long long)(memory_bytes / MIB), nr_vcpus,
                 nr_vcpus == 1 ? "" : "s",
                 (unsigned long long)((need + MIB - 1) / MIB));
        return -1;
    }
    if (memory_bytes > SIM_MAX_RAM) {
        snprintf(err, len, "the sim backend runs at most %llu MiB of memory",
                 (unsigned long long)(SIM_MAX_RAM / MIB));
        return -1;
    }
    return 0;
}

/* The memory map (3 entries), as the guest and XENMEM_memory_map see it. */
static unsigned int layout(const struct sim_vm *vm, struct domain_e820 *e)
{
    uint64_t stacks = vm->ram_size - (uint64_t)vm->nr_vcpus * vm->stack_size;

    e[0] = (struct domain_e820){0, XENEMU_BOOT_KERNEL_MIN, E820_RESERVED};
    e[1] = (struct domain_e820){XENEMU_BOOT_KERNEL_MIN,
                                stacks - XENEMU_BOOT_KERNEL_MIN, E820_RAM};
    e[2] = (struct domain_e820){stacks, vm->ram_size - stacks, E820_RESERVED};
    return 3;
}

/* Per-vCPU state: waiter, timer, stack.  0 or -errno. */
static int vcpus_init(struct sim_vm *vm)
{
    struct domain *d = vm->vm.d;

    for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
        struct sim_vcpu *sv = &vm->vcpus[i];
        int rc = vcpu_waiter_init(&sv->waiter);

        if (rc) {
            while (i--)
                vcpu_waiter_destroy(&vm->vcpus[i].waiter);
            return rc;
        }
        sv->vm = vm;
        sv->v = d->vcpus[i];
        sv->stack = vm->ram + vm->ram_size - (uint64_t)(i + 1) * vm->stack_size;
        atomic_init(&sv->where, SIM_IN_HV);
        atomic_init(&sv->irq_on, false);
        atomic_init(&sv->signal_out, false);
    }
    return 0;
}

/* Hook the vCPUs up to the timer service and the core. */
static void vcpus_attach(struct sim_vm *vm)
{
    for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
        struct sim_vcpu *sv = &vm->vcpus[i];

        vtimer_add(vm->timers, &sv->timer, sv->v);
        sv->v->backend_priv = sv;
    }
}

static int vm_alloc(struct domain *d, const struct vm_params *p,
                    struct sim_vm **out)
{
    struct sim_vm *vm =
        calloc(1, sizeof(*vm) + d->max_vcpus * sizeof(vm->vcpus[0]));
    int rc;

    if (!vm)
        return -ENOMEM;
    vm->vm = (struct vm){.be = &backend_sim, .d = d, .params = *p};
    vm->ram_size = p->memory_bytes;
    vm->stack_size = SIM_STACK_SIZE;
    vm->nr_vcpus = d->max_vcpus;
    atomic_init(&vm->stopping, false);
    vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (vm->ram == MAP_FAILED) {
        rc = -errno;
        free(vm);
        return rc;
    }
    *out = vm;
    return 0;
}

static void vm_free(struct sim_vm *vm)
{
    munmap(vm->ram, vm->ram_size);
    free(vm);
}

/* Locks, waiters, timers.  0 or -errno; on failure nothing is left. */
static int vm_init_sync(struct sim_vm *vm)
{
    int rc = -pthread_mutex_init(&vm->lock, NULL);

    if (rc)
        return rc;
    rc = -pthread_cond_init(&vm->idle, NULL);
    if (rc)
        goto err_lock;
    rc = vcpus_init(vm);
    if (rc)
        goto err_cond;
    rc = vtimer_service_create(vm->vm.d->hv, &vm->timers);
    if (rc)
        goto err_vcpus;
    vtimer_add_watchdog(vm->timers, &vm->watchdog_timer, vm->vm.d);
    return 0;

err_vcpus:
    for (unsigned int i = 0; i < vm->nr_vcpus; i++)
        vcpu_waiter_destroy(&vm->vcpus[i].waiter);
err_cond:
    pthread_cond_destroy(&vm->idle);
err_lock:
    pthread_mutex_destroy(&vm->lock);
    return rc;
}

/* RAM and synchronisation of a new vm.  0 or a positive errno. */
static int vm_setup(struct domain *d, const struct vm_params *p,
                    struct sim_vm **out)
{
    struct sim_vm *vm = NULL;
    int rc = sim_irq_setup();

    if (rc)
        return rc;
    rc = -vm_alloc(d, p, &vm);
    if (rc)
        return rc;
    rc = -vm_init_sync(vm);
    if (rc) {
        vm_free(vm);
        return rc;
    }
    *out = vm;
    return 0;
}

static void sim_vm_destroy(struct vm *v);

static int sim_vm_create(struct domain *d, const struct vm_params *p,
                         struct vm **out, char *err, size_t len)
{
    struct domain_e820 map[3];
    struct sim_vm *vm = NULL;
    int rc;

    if (sim_check_memory(p->memory_bytes, d->max_vcpus, err, len) ||
        sim_image_check(p->kernel, p->memory_bytes, err, len))
        return -1;
    rc = vm_setup(d, p, &vm);
    if (rc) {
        snprintf(err, len, "cannot set up the sim vm: %s", strerror(rc));
        return -1;
    }
    domain_set_ram(d, vm->ram, vm->ram_size);
    vcpus_attach(vm);
    d->backend_priv = &vm->vm;
    if (boot_info_write(d, p->cmdline, map, layout(vm, map), err, len)) {
        sim_vm_destroy(&vm->vm);
        domain_set_ram(d, NULL, 0);
        return -1;
    }
    *out = &vm->vm;
    return 0;
}

/* ---- running ---- */

static int sim_vm_start(struct vm *v, char *err, size_t len)
{
    struct sim_vm *vm = (struct sim_vm *)v;
    struct sim_vcpu *sv = &vm->vcpus[0];
    int rc = 0;

    pthread_mutex_lock(&vm->lock);
    if (sv->thread_state == SIM_THREAD_NONE) {
        sv->boot = true;
        rc = sim_thread_start(sv);
    }
    pthread_mutex_unlock(&vm->lock);
    if (rc) {
        snprintf(err, len, "cannot start vCPU 0: %s", strerror(rc));
        return -1;
    }
    return 0;
}

static void sim_vm_wait(struct vm *v)
{
    struct sim_vm *vm = (struct sim_vm *)v;

    pthread_mutex_lock(&vm->lock);
    /* Only a running vCPU starts another (VCPUOP_up), so once none runs
     * none will. */
    while (vm->running)
        pthread_cond_wait(&vm->idle, &vm->lock);
    /* Exited threads take no lock any more: join under it. */
    for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
        struct sim_vcpu *sv = &vm->vcpus[i];

        if (sv->thread_state == SIM_THREAD_EXITED) {
            pthread_join(sv->thread, NULL);
            sv->thread_state = SIM_THREAD_NONE;
        }
    }
    pthread_mutex_unlock(&vm->lock);
}

static void stop_all(struct sim_vm *vm)
{
    /* seq_cst store before looking where each vCPU is (sim_irq_stop()):
     * pairs with the vCPU's store of where, then load of stopping
     * (enter_guest() in vcpu.c). */
    atomic_store(&vm->stopping, true);
    for (unsigned int i = 0; i < vm->nr_vcpus; i++)
        sim_irq_stop(&vm->vcpus[i]);
}

static void sim_vm_stop(struct vm *v)
{
    stop_all((struct sim_vm *)v);
}

static void sim_vm_destroy(struct vm *v)
{
    struct sim_vm *vm = (struct sim_vm *)v;
    struct domain *d = v->d;

    for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
        vtimer_remove(vm->timers, &vm->vcpus[i].timer);
        vm->vcpus[i].v->backend_priv = NULL;
    }
    vtimer_remove(vm->timers, &vm->watchdog_timer);
    vtimer_service_destroy(vm->timers);
    for (unsigned int i = 0; i < vm->nr_vcpus; i++)
        vcpu_waiter_destroy(&vm->vcpus[i].waiter);
    pthread_cond_destroy(&vm->idle);
    pthread_mutex_destroy(&vm->lock);
    d->backend_priv = NULL;
    vm_free(vm);
}

/* ---- the core's calls ---- */

static void sim_kick(struct vcpu *v)
{
    sim_irq_kick(sim_vcpu_of(v));
}

static void sim_wake(struct vcpu *v)
{
    vcpu_waiter_kick(&sim_vcpu_of(v)->waiter);
}

static void sim_timer_changed(struct vcpu *v, uint64_t deadline_ns)
{
    struct sim_vcpu *sv = sim_vcpu_of(v);

    vtimer_arm(sv->vm->timers, &sv->timer, deadline_ns);
}

static void sim_watchdog_changed(struct domain *d, uint64_t deadline_ns)
{
    struct sim_vm *vm = (struct sim_vm *)vm_of(d);

    if (vm)
        vtimer_arm(vm->timers, &vm->watchdog_timer, deadline_ns);
}

static void sim_shutdown(struct domain *d, unsigned int reason)
{
    (void)reason;
    stop_all(sim_vm_of(d));
}

static int sim_map_page(struct domain *d, uint64_t gfn, void *page)
{
    /* The guest reaches hypervisor pages through gfn_to_host()
     * (xenemu_sim_phys_to_virt()): nothing to map. */
    (void)d;
    (void)gfn;
    (void)page;
    return 0;
}

static const struct hv_backend_ops sim_ops = {
    .kick = sim_kick,
    .wake = sim_wake,
    .block = sim_block,
    .timer_changed = sim_timer_changed,
    .watchdog_changed = sim_watchdog_changed,
    .shutdown = sim_shutdown,
    .map_page = sim_map_page,
    .vcpu_up = sim_vcpu_up,
};

const struct backend backend_sim = {
    .name = "sim",
    .probe = sim_probe,
    .vm_create = sim_vm_create,
    .check_memory = sim_check_memory,
    .vm_start = sim_vm_start,
    .vm_wait = sim_vm_wait,
    .vm_stop = sim_vm_stop,
    .vm_destroy = sim_vm_destroy,
    .ops = &sim_ops,
};
