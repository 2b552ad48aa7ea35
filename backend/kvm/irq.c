/*
 * irq.c: upcalls and the core's calls into the KVM backend.
 *
 * Upcalls use the user-space irqchip (no KVM_CREATE_IRQCHIP: with an
 * in-kernel one HLT never returns to user space on this platform).  The
 * callback vector is level-like, as on Xen, which re-asserts it while
 * evtchn_upcall_pending is set: before every KVM_RUN, a vCPU with an
 * upcall pending gets KVM_INTERRUPT if it can take an interrupt now, or
 * else asks KVM for an interrupt-window exit (the guest's sti), after
 * which the loop comes back here.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "xenemu/cpuid.h"
#include "xenemu/hvm.h"
#include "kvm.h"
#include "xenemu/sched.h"

static bool upcall_wanted(const struct kvm_vcpu *kv, uint8_t *vector)
{
    *vector = hvm_callback_vector(kv->v);
    return *vector != 0 && vcpu_upcall_pending(kv->v);
}

void kvm_prepare_injection(struct kvm_vcpu *kv)
{
    struct kvm_run *run = kv->run;
    uint8_t vector;

    run->request_interrupt_window = 0;
    /* VCPUOP_send_nmi: pairs with the exchange in the core's send_nmi(). */
    if (__atomic_exchange_n(&kv->v->nmi_pending, false, __ATOMIC_ACQ_REL) &&
        ioctl(kv->fd, KVM_NMI) < 0)
        kvm_log(kv->vm, "vcpu%u: KVM_NMI: %s", kv->v->id, strerror(errno));
    if (!upcall_wanted(kv, &vector))
        return;
    if (run->ready_for_interrupt_injection) {
        struct kvm_interrupt irq = {.irq = vector};

        /* EEXIST: one is queued and not yet delivered; that one will do. */
        if (ioctl(kv->fd, KVM_INTERRUPT, &irq) == 0)
            kv->injections++;
        else if (errno != EEXIST)
            kvm_log(kv->vm, "vcpu%u: KVM_INTERRUPT: %s", kv->v->id,
                    strerror(errno));
    } else {
        run->request_interrupt_window = 1;
    }
}

/*
 * The guest halted: sleep until there is something for it.  An upcall
 * wakes it only if its interrupts are on (if_flag at the exit): a guest
 * that halts with interrupts off (arch_halt) waits for the domain to stop.
 */
void kvm_wait_for_interrupt(struct kvm_vcpu *kv)
{
    struct kvm_vm *kvm = kv->vm;
    uint8_t vector;

    for (;;) {
        if (kvm_stopping(kvm))
            return;
        if (kv->run->if_flag && upcall_wanted(kv, &vector))
            break;
        /* An NMI ends a halt whatever the interrupt flag says. */
        if (__atomic_load_n(&kv->v->nmi_pending, __ATOMIC_ACQUIRE))
            break;
        /* A kick between the check and the wait is kept by the waiter. */
        vcpu_waiter_wait(&kv->waiter, kvm->vm.d->hv, 0);
    }
    vcpu_time_update(kv->v, kvm_guest_tsc(kv));
}

void kvm_request_stop(struct kvm_vm *kvm)
{
    /* Pairs with the acquire load in kvm_stopping(). */
    __atomic_store_n(&kvm->stopping, true, __ATOMIC_RELEASE);
    pthread_mutex_lock(&kvm->lock);
    for (unsigned int i = 0; i < kvm->nr_vcpus; i++) {
        struct kvm_vcpu *kv = &kvm->vcpus[i];

        vcpu_waiter_kick(&kv->waiter);
        kvm_vcpu_interrupt_locked(kv);
    }
    pthread_mutex_unlock(&kvm->lock);
}

/* ---- the core's calls (struct hv_backend_ops) ---- */

static void op_kick(struct vcpu *v)
{
    struct kvm_vcpu *kv = kvm_vcpu_of(v);

    if (!kv)
        return;
    vcpu_waiter_kick(&kv->waiter); /* halted or in SCHEDOP_block */
    kvm_vcpu_interrupt(kv);        /* inside KVM_RUN */
}

static void op_wake(struct vcpu *v)
{
    struct kvm_vcpu *kv = kvm_vcpu_of(v);

    if (kv)
        vcpu_waiter_kick(&kv->waiter);
}

static void op_block(struct vcpu *v, uint64_t deadline_ns)
{
    struct kvm_vcpu *kv = kvm_vcpu_of(v);

    if (!kv || kvm_stopping(kv->vm))
        return;
    vcpu_waiter_wait(&kv->waiter, v->domain->hv, deadline_ns);
    vcpu_time_update(v, kvm_guest_tsc(kv));
}

static void op_timer_changed(struct vcpu *v, uint64_t deadline_ns)
{
    struct kvm_vcpu *kv = kvm_vcpu_of(v);

    if (kv)
        vtimer_arm(kv->vm->timers, &kv->timer, deadline_ns);
}

static void op_watchdog_changed(struct domain *d, uint64_t deadline_ns)
{
    struct vm *vm = vm_of(d);

    if (vm)
        vtimer_arm(kvm_vm_of(vm)->timers, &kvm_vm_of(vm)->watchdog_timer,
                   deadline_ns);
}

static void op_shutdown(struct domain *d, unsigned int reason)
{
    struct vm *vm = vm_of(d);

    (void)reason; /* the core recorded it; every reason stops the vCPUs */
    if (vm)
        kvm_request_stop(kvm_vm_of(vm));
}

static void op_vcpu_up(struct vcpu *v)
{
    struct kvm_vcpu *kv = kvm_vcpu_of(v);
    int rc;

    if (!kv)
        return;
    rc = kvm_vcpu_start(kv);
    if (rc && rc != -EBUSY) {
        kvm_log(kv->vm, "vcpu%u: cannot start its thread: error %d", v->id,
                -rc);
        sched_domain_shutdown(v->domain, SHUTDOWN_crash);
    }
}

const struct hv_backend_ops kvm_hv_ops = {
    .kick = op_kick,
    .wake = op_wake,
    .block = op_block,
    .timer_changed = op_timer_changed,
    .watchdog_changed = op_watchdog_changed,
    .shutdown = op_shutdown,
    .map_page = kvm_map_page,
    .vcpu_up = op_vcpu_up,
};
