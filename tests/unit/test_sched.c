/*
 * test_sched.c: sched_op (yield, block, shutdown, shutdown_code,
 * remote_shutdown, poll in both layouts, watchdog, pin_override) and
 * set_timer_op (hv/sched.c).
 *
 * Expected values come from Xen 4.17.7 xen/common/sched/core.c unless a
 * comment names another file: do_sched_op() (the sub-ops), vcpu_block() /
 * do_poll() (with xen/arch/x86/hvm/irq.c:hvm_local_events_need_delivery()
 * for what ends them at once), domain_watchdog() and
 * domain_watchdog_timeout(), do_set_timer_op(), and
 * xen/common/domain.c:domain_shutdown().  Deliberate differences (the
 * need-delivery test cannot see the STI shadow or the TPR; the hardware
 * domain's pin_override) are marked where they are asserted.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "xenemu/compat.h"
#include "xenemu/hvm.h"
#include "xenemu/sched.h"

#define ARG             HARNESS_ARG_GPA
#define PORTS_GPA       0x2000u
#define BAD_GPA         ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE)
#define FAR_NS          (1ull << 40) /* ahead, but below set_timer_op's limit */
#define FALLBACK        100000000ull /* set_timer_op's "100 ms from now" */
#define POLL_TEST_PORTS 4u           /* poll() writes at most this many ports */

static long sched(struct domain *d, uint64_t cmd, uint64_t arg)
{
    return harness_hypercall(d, 0, __HYPERVISOR_sched_op, cmd, arg, 0);
}

static long shutdown_op(struct domain *d, unsigned int cmd, unsigned int reason)
{
    struct sched_shutdown op = {.reason = reason};

    return harness_op(d, 0, __HYPERVISOR_sched_op, cmd, &op, sizeof(op));
}

static long remote_shutdown(struct domain *d, domid_t id, unsigned int reason)
{
    struct sched_remote_shutdown op = {.domain_id = id, .reason = reason};

    return harness_op(d, 0, __HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, &op,
                      sizeof(op));
}

static evtchn_port_t bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu)
{
    struct evtchn_bind_virq op = {.virq = virq, .vcpu = vcpu};

    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_virq, &op, sizeof(op)), 0);
    return op.port;
}

/* An event pending on (port) without an upcall: raised while masked. */
static void make_pending_quietly(struct domain *d, evtchn_port_t port)
{
    mask_2l(d, port, true);
    assert_int_equal(do_send(d, port), 0);
    assert_true(pending_2l(d, port));
}

/* An upcall vector for every vCPU of (d): HVM_PARAM_CALLBACK_IRQ of type
 * vector, so a pending upcall is an interrupt source. */
static void set_callback_vector(struct domain *d)
{
    assert_int_equal(
        hvm_param_set(d, HVM_PARAM_CALLBACK_IRQ,
                      (uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56 | 0xf3),
        0);
}

/* do_sched_op(): SCHEDOP_yield is 0 whatever the argument; numbers past
 * SCHEDOP_pin_override are -ENOSYS (cmd is an int). */
static void test_yield_and_unknown(void **state)
{
    static const uint64_t unknown[] = {SCHEDOP_pin_override + 1, 8, 100,
                                       0xffffffffu};
    struct domain *d = harness_test_domain(1);

    (void)state;
    assert_int_equal(sched(d, SCHEDOP_yield, 0), 0);
    assert_int_equal(sched(d, SCHEDOP_yield, BAD_GPA), 0);
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        assert_int_equal(sched(d, unknown[i], ARG), -XEN_ENOSYS);
    assert_int_equal(rec_vcpu(d->vcpus[0])->blocks, 0);
    harness_domain_free(d);
}

/*
 * vcpu_block_enable_events(): the upcall mask is cleared, then the vCPU
 * blocks unless events need delivery (hvm_local_events_need_delivery():
 * an interrupt source that is not blocked).  A pending upcall is a source
 * only through a vector callback (hvm_vcpu_has_pending_irq()): with no
 * callback configured the vCPU blocks (regression: xenemu returned at
 * once).  A pending NMI is a source that RFLAGS.IF does not block
 * (xen/arch/x86/hvm/hvm.c:hvm_interrupt_blocked()).
 */
static void test_block(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct vcpu_info *vi = &shinfo(d)->vcpu_info[0];
    struct rec_vcpu *rec = rec_vcpu(d->vcpus[0]);
    uint64_t deadline = hv_now_ns(harness_test_hv()) + FAR_NS;

    (void)state;
    /* Pending upcall, no callback: no interrupt source, it blocks. */
    vi->evtchn_upcall_pending = 1;
    vi->evtchn_upcall_mask = 1;
    assert_int_equal(sched(d, SCHEDOP_block, 0), 0);
    assert_int_equal(rec->blocks, 1);
    assert_int_equal(vi->evtchn_upcall_mask, 0);

    /* With a vector callback: back at once, with delivery enabled. */
    set_callback_vector(d);
    vi->evtchn_upcall_mask = 1;
    assert_int_equal(sched(d, SCHEDOP_block, 0), 0);
    assert_int_equal(rec->blocks, 1);
    assert_int_equal(vi->evtchn_upcall_mask, 0);

    /* Nothing pending: wait until the timer's deadline. */
    vi->evtchn_upcall_pending = 0;
    assert_int_equal(
        harness_hypercall(d, 0, __HYPERVISOR_set_timer_op, deadline, 0, 0), 0);
    assert_int_equal(sched(d, SCHEDOP_block, 0), 0);
    assert_int_equal(rec->blocks, 2);
    assert_int_equal(rec->block_deadline, deadline);

    /* No timer: wait for an event only. */
    assert_int_equal(
        harness_hypercall(d, 0, __HYPERVISOR_set_timer_op, 0, 0, 0), 0);
    assert_int_equal(sched(d, SCHEDOP_block, 0), 0);
    assert_int_equal(rec->blocks, 3);
    assert_int_equal(rec->block_deadline, 0);
    harness_domain_free(d);
}

/* A per-vCPU upcall vector (HVMOP_set_evtchn_upcall_vector) is a source
 * too: hvm_assert_evtchn_irq() sets it in the LAPIC's IRR.  Deliberate:
 * the core cannot see the TPR, which Xen checks for it. */
static void test_block_per_vcpu_vector(void **state)
{
    struct domain *d = harness_test_domain(2);

    (void)state;
    shinfo(d)->vcpu_info[0].evtchn_upcall_pending = 1;
    d->vcpus[1]->upcall_vector = 0x40; /* another vCPU's: no help */
    assert_int_equal(sched(d, SCHEDOP_block, 0), 0);
    assert_int_equal(rec_vcpu(d->vcpus[0])->blocks, 1);
    d->vcpus[0]->upcall_vector = 0x40;
    assert_int_equal(sched(d, SCHEDOP_block, 0), 0);
    assert_int_equal(rec_vcpu(d->vcpus[0])->blocks, 1);
    harness_domain_free(d);
}

/* do_sched_op() SCHEDOP_shutdown: the reason is passed as (u8), not
 * validated; domain_shutdown(): the first shutdown wins. */
static void test_shutdown_reasons(void **state)
{
    static const struct {
        unsigned int reason, recorded;
    } cases[] = {
        {SHUTDOWN_poweroff, SHUTDOWN_poweroff},
        {SHUTDOWN_reboot, SHUTDOWN_reboot},
        {SHUTDOWN_suspend, SHUTDOWN_suspend},
        {SHUTDOWN_crash, SHUTDOWN_crash},
        {SHUTDOWN_soft_reset, SHUTDOWN_soft_reset},
        {77, 77},      /* not validated */
        {0x1ff, 0xff}, /* kept as 8 bits */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct domain *d = harness_test_domain(1);

        assert_int_equal(shutdown_op(d, SCHEDOP_shutdown, cases[i].reason), 0);
        assert_true(d->is_shutdown);
        assert_int_equal(d->shutdown_reason, cases[i].recorded);
        assert_int_equal(rec_domain(d)->shutdowns, 1);
        assert_int_equal(rec_domain(d)->shutdown_reason, cases[i].recorded);
        /* Only the first shutdown counts. */
        assert_int_equal(shutdown_op(d, SCHEDOP_shutdown, 33), 0);
        assert_int_equal(d->shutdown_reason, cases[i].recorded);
        assert_int_equal(rec_domain(d)->shutdowns, 1);
        harness_domain_free(d);
    }
}

/* SCHEDOP_shutdown_code: recorded only while SHUTDOWN_CODE_INVALID;
 * domain_shutdown() then reports the recorded code. */
static void test_shutdown_code_first_wins(void **state)
{
    struct domain *d = harness_test_domain(1);

    (void)state;
    assert_int_equal(shutdown_op(d, SCHEDOP_shutdown_code, SHUTDOWN_suspend),
                     0);
    assert_false(d->is_shutdown);
    assert_int_equal(rec_domain(d)->shutdowns, 0);
    assert_int_equal(shutdown_op(d, SCHEDOP_shutdown_code, SHUTDOWN_crash), 0);
    assert_int_equal(d->shutdown_code,
                     DOMAIN_SHUTDOWN_CODE_SET | SHUTDOWN_suspend);
    /* The shutdown reports the recorded code, not its own reason. */
    assert_int_equal(shutdown_op(d, SCHEDOP_shutdown, SHUTDOWN_poweroff), 0);
    assert_true(d->is_shutdown);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_suspend);
    assert_int_equal(rec_domain(d)->shutdowns, 1);
    assert_int_equal(rec_domain(d)->shutdown_reason, SHUTDOWN_suspend);
    harness_domain_free(d);
}

/* do_sched_op(): copy_from_guest() of the argument fails: -EFAULT, and
 * nothing happens. */
static void test_bad_arguments_fault(void **state)
{
    static const unsigned int cmds[] = {SCHEDOP_shutdown, SCHEDOP_poll,
                                        SCHEDOP_remote_shutdown,
                                        SCHEDOP_shutdown_code};
    struct domain *d = harness_test_domain(1);

    (void)state;
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        assert_int_equal(sched(d, cmds[i], BAD_GPA), -XEN_EFAULT);
    assert_false(d->is_shutdown);
    assert_int_equal(d->shutdown_code, 0);
    harness_domain_free(d);
}

/* SCHEDOP_remote_shutdown: rcu_lock_domain_by_id() (DOMID_SELF is no
 * real id: -ESRCH), then XSM_DM_PRIV (-EPERM for a domU, on itself too;
 * xenemu has no device-model targets). */
static void test_remote_shutdown(void **state)
{
    struct domain *d = harness_test_domain(1), *ts = harness_test_domain(1);

    (void)state;
    assert_int_equal(remote_shutdown(d, 999, SHUTDOWN_reboot), -XEN_ESRCH);
    assert_int_equal(remote_shutdown(d, DOMID_SELF, SHUTDOWN_reboot),
                     -XEN_ESRCH);
    assert_int_equal(remote_shutdown(d, ts->domid, SHUTDOWN_reboot),
                     -XEN_EPERM);
    assert_int_equal(remote_shutdown(d, d->domid, SHUTDOWN_reboot), -XEN_EPERM);
    assert_false(d->is_shutdown);
    assert_false(ts->is_shutdown);

    ts->is_privileged = true;
    assert_int_equal(remote_shutdown(ts, DOMID_SELF, SHUTDOWN_reboot),
                     -XEN_ESRCH);
    assert_int_equal(remote_shutdown(ts, d->domid, SHUTDOWN_reboot), 0);
    assert_true(d->is_shutdown);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_reboot);
    assert_int_equal(rec_domain(d)->shutdowns, 1);
    assert_int_equal(rec_domain(d)->shutdown_reason, SHUTDOWN_reboot);
    assert_false(ts->is_shutdown);
    harness_domain_free(ts);
    harness_domain_free(d);
}

/* SCHEDOP_poll on (ports) in 64-bit or compat layout. */
/* SCHEDOP_poll from vCPU 0 with its interrupt flag (irqs_on). */
static long poll_if(struct domain *d, bool compat, bool irqs_on,
                    const evtchn_port_t *ports, uint32_t nr, uint64_t timeout)
{
    uint64_t args[5] = {SCHEDOP_poll, ARG, 0, 0, 0};
    struct hv_call call;

    if (nr <= POLL_TEST_PORTS)
        assert_int_equal(gpa_write(d, PORTS_GPA, ports, nr * sizeof(*ports)),
                         0);
    if (compat) {
        struct compat_sched_poll p = {PORTS_GPA, nr, (uint32_t)timeout,
                                      (uint32_t)(timeout >> 32)};

        assert_int_equal(gpa_write(d, ARG, &p, sizeof(p)), 0);
    } else {
        struct sched_poll p = {.nr_ports = nr, .timeout = timeout};

        set_xen_guest_handle(p.ports, (evtchn_port_t *)(uintptr_t)PORTS_GPA);
        assert_int_equal(gpa_write(d, ARG, &p, sizeof(p)), 0);
    }
    hv_call_init(&call, d->vcpus[0], compat, false, 0);
    call.irqs_on = irqs_on;
    return hypercall_dispatch(&call, __HYPERVISOR_sched_op, args);
}

static long poll(struct domain *d, bool compat, const evtchn_port_t *ports,
                 uint32_t nr, uint64_t timeout)
{
    return poll_if(d, compat, true, ports, nr, timeout);
}

/* SCHEDOP_block from vCPU 0 with interrupts off. */
static long block_irqs_off(struct domain *d)
{
    const uint64_t args[5] = {SCHEDOP_block, 0, 0, 0, 0};
    struct hv_call call;

    hv_call_init(&call, d->vcpus[0], false, false, 0);
    call.irqs_on = false;
    return hypercall_dispatch(&call, __HYPERVISOR_sched_op, args);
}

/*
 * xen/arch/x86/hvm/hvm.c:hvm_interrupt_blocked(): a pending upcall (through a
 * vector callback) ends a block or poll at once only if the vCPU can take it,
 * i.e. with RFLAGS.IF set.  With it clear the vCPU blocks (regression:
 * xenemu used to return at once, which hid a lost-wakeup race in its
 * guest); an NMI is not held back by IF.  Deliberate: the STI / MOV-SS
 * shadow, which Xen also checks, is not visible to the core.
 */
static void test_block_and_poll_need_interrupts_on(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct vcpu_info *vi = &shinfo(d)->vcpu_info[0];
    struct rec_vcpu *rec = rec_vcpu(d->vcpus[0]);
    evtchn_port_t port = must_bind_ipi(d, 0);

    (void)state;
    set_callback_vector(d);
    vi->evtchn_upcall_pending = 1;
    assert_int_equal(block_irqs_off(d), 0);
    assert_int_equal(rec->blocks, 1);
    assert_int_equal(sched(d, SCHEDOP_block, 0), 0); /* interrupts on */
    assert_int_equal(rec->blocks, 1);

    /* Poll on a port that is not pending. */
    assert_int_equal(poll_if(d, false, false, &port, 1, 0), 0);
    assert_int_equal(rec->blocks, 2);
    assert_int_equal(poll_if(d, false, true, &port, 1, 0), 0);
    assert_int_equal(rec->blocks, 2);

    /* An NMI waiting: back at once, interrupts off or not. */
    vi->evtchn_upcall_pending = 0;
    d->vcpus[0]->nmi_pending = true;
    assert_int_equal(block_irqs_off(d), 0);
    assert_int_equal(poll_if(d, false, false, &port, 1, 0), 0);
    assert_int_equal(rec->blocks, 2);
    harness_domain_free(d);
}

/*
 * do_poll(): more than 128 ports -EINVAL; then events needing delivery end
 * it (0) before any port is read; then each port in order: the first
 * invalid or unusable one -EINVAL (evtchn_port_poll(), including port 0
 * and never-allocated ports, XSA-221), the first pending one 0; otherwise
 * the vCPU blocks until the absolute timeout.
 */
static void test_poll_cases(void **state)
{
    enum { A = 1, B, C, UNBOUND = 40 };
    static const struct {
        const char *what; /* for the reader */
        evtchn_port_t ports[4];
        uint32_t nr;
        bool upcall;
        long rc;
        bool blocks;
    } cases[] = {
        {"too many ports", {A}, 129, false, -XEN_EINVAL, false},
        {"nothing pending", {A}, 1, false, 0, true},
        {"several, nothing pending", {A, C}, 2, false, 0, true},
        {"none: just wait", {0}, 0, false, 0, true},
        {"pending port", {B}, 1, false, 0, false},
        {"second port pending", {A, B}, 2, false, 0, false},
        {"pending before a bad port", {B, UNBOUND}, 2, false, 0, false},
        {"bad port before a pending one",
         {UNBOUND, B},
         2,
         false,
         -XEN_EINVAL,
         false},
        {"unbound port", {UNBOUND}, 1, false, -XEN_EINVAL, false},
        {"port 0", {0}, 1, false, -XEN_EINVAL, false},
        {"past every port", {4096}, 1, false, -XEN_EINVAL, false},
        {"upcall first", {UNBOUND}, 1, true, 0, false},
        {"upcall, no ports", {0}, 0, true, 0, false},
    };
    /* With no callback a pending upcall is no interrupt source
     * (hvm_vcpu_has_pending_irq()): the ports decide. */
    static const struct {
        evtchn_port_t ports[2];
        uint32_t nr;
        long rc;
        bool blocks;
    } no_callback[] = {
        {{A}, 1, 0, true},
        {{UNBOUND}, 1, -XEN_EINVAL, false},
        {{B}, 1, 0, false},
    };

    (void)state;
    for (int compat = 0; compat < 2; compat++) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            struct domain *d = harness_test_domain(1);
            struct rec_vcpu *rec = rec_vcpu(d->vcpus[0]);
            uint64_t timeout = 0x123456789abcull + i;

            assert_int_equal(must_bind_ipi(d, 0), A);
            assert_int_equal(must_bind_ipi(d, 0), B);
            assert_int_equal(must_bind_ipi(d, 0), C);
            make_pending_quietly(d, B);
            set_callback_vector(d);
            shinfo(d)->vcpu_info[0].evtchn_upcall_pending = cases[i].upcall;
            assert_int_equal(
                poll(d, compat, cases[i].ports, cases[i].nr, timeout),
                cases[i].rc);
            assert_int_equal(rec->blocks, cases[i].blocks);
            if (cases[i].blocks)
                assert_int_equal(rec->block_deadline, timeout);
            assert_int_equal(d->vcpus[0]->poll_port, VCPU_POLL_NONE);
            assert_int_equal(d->nr_pollers, 0);
            harness_domain_free(d);
        }
        for (size_t i = 0; i < sizeof(no_callback) / sizeof(no_callback[0]);
             i++) {
            struct domain *d = harness_test_domain(1);

            assert_int_equal(must_bind_ipi(d, 0), A);
            assert_int_equal(must_bind_ipi(d, 0), B);
            make_pending_quietly(d, B);
            shinfo(d)->vcpu_info[0].evtchn_upcall_pending = 1;
            assert_int_equal(
                poll(d, compat, no_callback[i].ports, no_callback[i].nr, 0),
                no_callback[i].rc);
            assert_int_equal(rec_vcpu(d->vcpus[0])->blocks,
                             no_callback[i].blocks);
            harness_domain_free(d);
        }
    }
}

/* SCHEDOP_poll with its ports array at (addr), 64-bit or compat. */
static long poll_at(struct domain *d, bool compat, uint64_t addr, uint32_t nr)
{
    uint64_t args[5] = {SCHEDOP_poll, ARG, 0, 0, 0};
    struct hv_call call;

    if (compat) {
        struct compat_sched_poll c = {(uint32_t)addr, nr, 0, 0};

        assert_int_equal(gpa_write(d, ARG, &c, sizeof(c)), 0);
    } else {
        struct sched_poll p = {.nr_ports = nr, .timeout = 0};

        set_xen_guest_handle(p.ports, (evtchn_port_t *)(uintptr_t)addr);
        assert_int_equal(gpa_write(d, ARG, &p, sizeof(p)), 0);
    }
    hv_call_init(&call, d->vcpus[0], compat, false, 0);
    return hypercall_dispatch(&call, __HYPERVISOR_sched_op, args);
}

/*
 * do_poll() reads the ports one at a time while it checks them: -EFAULT
 * only on reaching an entry it cannot read.  An array whose first entry
 * is readable and holds port 0 (reserved) is -EINVAL before the fault
 * (regression: xenemu copied the whole array first, -EFAULT); a pending
 * first port ends the poll (0); events needing delivery end it before any
 * entry is read.
 */
static void test_poll_bad_ports_array(void **state)
{
    struct domain *d = harness_test_domain(1);
    evtchn_port_t port;

    (void)state;
    port = must_bind_ipi(d, 0);
    for (int compat = 0; compat < 2; compat++) {
        uint32_t pending = (uint32_t)port;

        /* Nothing readable: -EFAULT at entry 0. */
        assert_int_equal(poll_at(d, compat, BAD_GPA, 2), -XEN_EFAULT);
        /* Entry 0 in RAM (port 0), entry 1 past it. */
        assert_int_equal(gpa_write(d, BAD_GPA - 4, &(uint32_t){0}, 4), 0);
        assert_int_equal(poll_at(d, compat, BAD_GPA - 4, 2), -XEN_EINVAL);
        /* A bound port that is not pending: the next entry faults. */
        assert_int_equal(gpa_write(d, BAD_GPA - 4, &pending, 4), 0);
        assert_int_equal(poll_at(d, compat, BAD_GPA - 4, 2), -XEN_EFAULT);
        /* Pending: found before the fault. */
        make_pending_quietly(d, port);
        assert_int_equal(poll_at(d, compat, BAD_GPA - 4, 2), 0);
        clear_pending_2l(d, port);
        /* An upcall that needs delivery: 0 before reading anything. */
        set_callback_vector(d);
        shinfo(d)->vcpu_info[0].evtchn_upcall_pending = 1;
        assert_int_equal(poll_at(d, compat, BAD_GPA, 2), 0);
        shinfo(d)->vcpu_info[0].evtchn_upcall_pending = 0;
        assert_int_equal(hvm_param_set(d, HVM_PARAM_CALLBACK_IRQ, 0), 0);
    }
    assert_int_equal(rec_vcpu(d->vcpus[0])->blocks, 0);
    assert_int_equal(d->nr_pollers, 0);
    assert_int_equal(d->vcpus[0]->poll_port, VCPU_POLL_NONE);
    harness_domain_free(d);
}

/* ---- watchdog ---- */

static long watchdog(struct domain *d, uint32_t id, uint32_t timeout)
{
    struct sched_watchdog op = {.id = id, .timeout = timeout};

    return harness_op(d, 0, __HYPERVISOR_sched_op, SCHEDOP_watchdog, &op,
                      sizeof(op));
}

#define SEC 1000000000ull

/*
 * domain_watchdog(): id 0 takes the first free of the two slots
 * (NR_DOMAIN_WATCHDOG_TIMERS) and arms it for (timeout) seconds, returning
 * its id (1 or 2), or -ENOSPC; id 1-2 of an unused slot -EINVAL, timeout 0
 * frees it, any other re-arms it; id > 2 -EINVAL (before anything else);
 * do_sched_op(): -EFAULT for an unreadable argument.  The backend hears
 * the earliest deadline (xenemu's watchdog_changed()).
 */
static void test_watchdog_slots(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct rec_domain *rec = rec_domain(d);
    uint64_t before = hv_now_ns(harness_test_hv()), after;

    (void)state;
    assert_int_equal(sched(d, SCHEDOP_watchdog, BAD_GPA), -XEN_EFAULT);
    assert_int_equal(watchdog(d, 1, 10), -XEN_EINVAL); /* not in use */
    assert_int_equal(watchdog(d, 3, 10), -XEN_EINVAL);
    assert_int_equal(watchdog(d, 0xffffffffu, 0), -XEN_EINVAL);
    assert_int_equal(rec->watchdog_changes, 0);

    assert_int_equal(watchdog(d, 0, 20), 1);
    assert_int_equal(watchdog(d, 0, 10), 2);
    after = hv_now_ns(harness_test_hv());
    assert_int_equal(watchdog(d, 0, 10), -XEN_ENOSPC);
    /* The earliest deadline is slot 2's. */
    assert_in_range(rec->watchdog_deadline, before + 10 * SEC,
                    after + 10 * SEC);
    assert_int_equal(rec->watchdog_deadline, sched_watchdog_next(d));
    assert_int_equal(rec->watchdog_changes, 2);

    /* Free slot 2: slot 1's deadline is next, and id 0 reuses slot 2. */
    assert_int_equal(watchdog(d, 2, 0), 0);
    assert_in_range(rec->watchdog_deadline, before + 20 * SEC,
                    after + 20 * SEC);
    assert_int_equal(watchdog(d, 2, 5), -XEN_EINVAL);
    assert_int_equal(watchdog(d, 0, 30), 2);
    /* Re-arm slot 1 further out; free both: nothing armed. */
    before = hv_now_ns(harness_test_hv());
    assert_int_equal(watchdog(d, 1, 40), 0);
    after = hv_now_ns(harness_test_hv());
    assert_in_range(d->watchdog_deadline[0], before + 40 * SEC,
                    after + 40 * SEC);
    assert_int_equal(rec->watchdog_deadline, d->watchdog_deadline[1]);
    assert_int_equal(watchdog(d, 1, 0), 0);
    assert_int_equal(watchdog(d, 2, 0), 0);
    assert_int_equal(rec->watchdog_deadline, 0);
    assert_int_equal(sched_watchdog_next(d), 0);
    /* The largest timeout is 2^32 - 1 s ahead. */
    before = hv_now_ns(harness_test_hv());
    assert_int_equal(watchdog(d, 0, UINT32_MAX), 1);
    after = hv_now_ns(harness_test_hv());
    assert_in_range(rec->watchdog_deadline, before + UINT32_MAX * SEC,
                    after + UINT32_MAX * SEC);
    assert_false(d->is_shutdown);
    harness_domain_free(d);
}

/*
 * domain_watchdog_timeout(): an expired slot shuts the domain down with
 * SHUTDOWN_watchdog (domain_shutdown(), which reports a shutdown code
 * recorded before instead); the slot stays in use.  Driven as a backend
 * does: the deadline is made due and sched_watchdog_fire() called.
 */
static void test_watchdog_fires(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct rec_domain *rec = rec_domain(d);

    (void)state;
    assert_int_equal(watchdog(d, 0, 100), 1);
    assert_int_equal(watchdog(d, 0, 200), 2);
    /* Not due: a stale expiry does nothing. */
    sched_watchdog_fire(d);
    assert_false(d->is_shutdown);
    assert_int_not_equal(d->watchdog_deadline[0], 0);

    d->watchdog_deadline[0] = 1; /* slot 1 is due */
    sched_watchdog_fire(d);
    assert_true(d->is_shutdown);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_watchdog);
    assert_int_equal(rec->shutdowns, 1);
    assert_int_equal(rec->shutdown_reason, SHUTDOWN_watchdog);
    /* Slot 1 is disarmed but in use; slot 2's deadline is next. */
    assert_int_equal(d->watchdog_deadline[0], 0);
    assert_int_equal(rec->watchdog_deadline, d->watchdog_deadline[1]);
    assert_int_equal(watchdog(d, 1, 0), 0);
    /* Slot 2 expiring on a domain already shut down: nothing more. */
    d->watchdog_deadline[1] = 1;
    sched_watchdog_fire(d);
    assert_int_equal(rec->shutdowns, 1);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_watchdog);
    assert_int_equal(rec->watchdog_deadline, 0);
    harness_domain_free(d);

    /* A recorded shutdown code wins (domain_shutdown()). */
    d = harness_test_domain(1);
    assert_int_equal(shutdown_op(d, SCHEDOP_shutdown_code, SHUTDOWN_suspend),
                     0);
    assert_int_equal(watchdog(d, 0, 100), 1);
    d->watchdog_deadline[0] = 1;
    sched_watchdog_fire(d);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_suspend);
    assert_int_equal(rec_domain(d)->shutdown_reason, SHUTDOWN_suspend);
    harness_domain_free(d);

    /* Shut down first (poweroff): the watchdog leaves it alone, and
     * records no code (domain_watchdog_timeout() returns early). */
    d = harness_test_domain(1);
    assert_int_equal(watchdog(d, 0, 100), 1);
    assert_int_equal(shutdown_op(d, SCHEDOP_shutdown, SHUTDOWN_poweroff), 0);
    d->watchdog_deadline[0] = 1;
    sched_watchdog_fire(d);
    assert_int_equal(rec_domain(d)->shutdowns, 1);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_poweroff);
    harness_domain_free(d);
}

/* domain_watchdog(): a timeout of 0 on a new slot arms it for NOW(): it
 * fires at once (the call still returns the id), and the slot stays in
 * use, so it can be re-armed. */
static void test_watchdog_timeout_zero(void **state)
{
    struct domain *d = harness_test_domain(1);

    (void)state;
    assert_int_equal(watchdog(d, 0, 0), 1);
    assert_true(d->is_shutdown);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_watchdog);
    assert_int_equal(rec_domain(d)->shutdowns, 1);
    assert_int_equal(rec_domain(d)->watchdog_deadline, 0);
    assert_int_equal(watchdog(d, 1, 5), 0);
    assert_int_not_equal(rec_domain(d)->watchdog_deadline, 0);
    assert_int_equal(watchdog(d, 0, 0), 2);
    assert_int_equal(rec_domain(d)->shutdowns, 1);
    harness_domain_free(d);
}

/* ---- pin_override ---- */

/*
 * do_sched_op() SCHEDOP_pin_override: -EPERM unless the caller is the
 * hardware domain, before the argument is read (privileged or not).  For
 * the hardware domain (dom0): -EFAULT, -EINVAL for pcpu >= NR_CPUS, then
 * vcpu_temporary_affinity().  Deliberate: xenemu's dom0 is the host, with
 * no pCPUs to pin to, so pinning and clearing (no override set) are both
 * -EINVAL.
 */
static void test_pin_override(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct sched_pin_override arg = {.pcpu = 0};
    uint64_t args[5] = {SCHEDOP_pin_override, 8, 0, 0, 0};

    (void)state;
    assert_int_equal(sched(d, SCHEDOP_pin_override, BAD_GPA), -XEN_EPERM);
    assert_int_equal(sched(d, SCHEDOP_pin_override, ARG), -XEN_EPERM);
    d->is_privileged = true; /* the control domain is not the hardware one */
    assert_int_equal(sched(d, SCHEDOP_pin_override, BAD_GPA), -XEN_EPERM);

    /* dom0: an unreadable argument, then clearing (-1) and pinning. */
    args[1] = sizeof(harness_dom0_mem);
    assert_int_equal(
        harness_dom0_hypercall(harness_test_hv(), __HYPERVISOR_sched_op, args),
        -XEN_EFAULT);
    args[1] = 8;
    for (int i = 0; i < 2; i++) {
        arg.pcpu = i == 0 ? -1 : 0;
        memcpy(harness_dom0_mem + 8, &arg, sizeof(arg));
        assert_int_equal(harness_dom0_hypercall(harness_test_hv(),
                                                __HYPERVISOR_sched_op, args),
                         -XEN_EINVAL);
    }
    harness_domain_free(d);
}

/*
 * A backend whose block() looks at the poller's published state and can
 * raise an event meanwhile, as another vCPU would.
 */
static struct {
    uint32_t poll_port;
    unsigned int nr_pollers;
    evtchn_port_t send; /* 0: none */
    unsigned int wakes;
} seen;

static void snap_block(struct vcpu *v, uint64_t deadline)
{
    struct rec_vcpu *rec = rec_vcpu(v);

    rec->blocks++;
    rec->block_deadline = deadline;
    seen.poll_port = __atomic_load_n(&v->poll_port, __ATOMIC_SEQ_CST);
    seen.nr_pollers = __atomic_load_n(&v->domain->nr_pollers, __ATOMIC_SEQ_CST);
    if (seen.send)
        assert_int_equal(do_send(v->domain, seen.send), 0);
}

static void snap_wake(struct vcpu *v)
{
    (void)v;
    seen.wakes++;
}

/* do_poll(): a single-port poll records its port (poll_evtchn) and only
 * that port wakes it (counterpart of
 * xen/common/event_channel.c:evtchn_check_pollers()); a multi-port poll
 * is woken by any polled port. */
static void test_poll_publishes_and_is_woken(void **state)
{
    static const struct hv_backend_ops ops = {.block = snap_block,
                                              .wake = snap_wake};
    static const struct {
        evtchn_port_t ports[2];
        uint32_t nr;
        evtchn_port_t send;
        uint32_t poll_port;
        unsigned int wakes;
    } cases[] = {
        {{1}, 1, 0, 1, 0},
        {{1, 2}, 2, 0, VCPU_POLL_MANY, 0},
        {{0}, 0, 0, VCPU_POLL_MANY, 0},
        {{1}, 1, 1, 1, 1},                 /* the polled port wakes it */
        {{1}, 1, 2, 1, 0},                 /* another port does not */
        {{1, 2}, 2, 2, VCPU_POLL_MANY, 1}, /* any polled port does */
    };
    struct hv *own;

    (void)state;
    assert_int_equal(hv_create(&ops, NULL, &own), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct domain *d =
            harness_domain(own, &(struct harness_dom_opts){.vcpus = 1});

        must_bind_ipi(d, 0);
        must_bind_ipi(d, 0);
        memset(&seen, 0, sizeof(seen));
        seen.send = cases[i].send;
        assert_int_equal(poll(d, false, cases[i].ports, cases[i].nr, 77), 0);
        assert_int_equal(rec_vcpu(d->vcpus[0])->blocks, 1);
        assert_int_equal(rec_vcpu(d->vcpus[0])->block_deadline, 77);
        assert_int_equal(seen.poll_port, cases[i].poll_port);
        assert_int_equal(seen.nr_pollers, 1);
        assert_int_equal(seen.wakes, cases[i].wakes);
        assert_int_equal(d->vcpus[0]->poll_port, VCPU_POLL_NONE);
        assert_int_equal(d->nr_pollers, 0);
        harness_domain_free(d);
    }
    hv_destroy(own);
}

/*
 * A backend that really waits: block() sleeps until wake() or kick(), a
 * wake that comes first included.  The 10 s limit only turns a lost
 * wake-up into a test failure instead of a hang.
 */
static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cond = PTHREAD_COND_INITIALIZER;
static bool woken;
static unsigned int timeouts;

static void wait_block(struct vcpu *v, uint64_t deadline)
{
    struct timespec ts;

    (void)v;
    (void)deadline;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    pthread_mutex_lock(&wait_lock);
    while (!woken)
        if (pthread_cond_timedwait(&wait_cond, &wait_lock, &ts) == ETIMEDOUT) {
            timeouts++;
            break;
        }
    woken = false;
    pthread_mutex_unlock(&wait_lock);
}

static void wait_wake(struct vcpu *v)
{
    (void)v;
    pthread_mutex_lock(&wait_lock);
    woken = true;
    pthread_cond_signal(&wait_cond);
    pthread_mutex_unlock(&wait_lock);
}

struct poller {
    struct domain *d;
    evtchn_port_t port;
    long rc;
};

static void *poll_thread(void *arg)
{
    struct poller *p = arg;

    p->rc = poll(p->d, false, &p->port, 1, 0);
    return NULL;
}

/* xen/common/sched/core.c:do_poll() publishes the poller (poll_mask,
 * poll_evtchn) before it checks the ports, and
 * xen/common/event_channel.c:evtchn_check_pollers() wakes a published
 * poller, so a send racing with the poll is never lost: the poll returns
 * 0 every time. */
static void test_poll_races_with_sender(void **state)
{
    static const struct hv_backend_ops ops = {
        .block = wait_block, .wake = wait_wake, .kick = wait_wake};
    struct hv *own;
    struct domain *d;
    struct poller p;

    (void)state;
    assert_int_equal(hv_create(&ops, NULL, &own), 0);
    d = harness_domain(own, &(struct harness_dom_opts){.vcpus = 1});
    p = (struct poller){.d = d, .port = must_bind_ipi(d, 0)};
    mask_2l(d, p.port, true); /* only the poller wake-up can end the wait */
    timeouts = 0;
    for (int i = 0; i < 300; i++) {
        pthread_t t;

        woken = false;
        clear_pending_2l(d, p.port);
        assert_int_equal(pthread_create(&t, NULL, poll_thread, &p), 0);
        /* Half the time send once the poller is published, half at once:
         * either it sees the event or the event sees it. */
        while (i % 2 && !__atomic_load_n(&d->nr_pollers, __ATOMIC_SEQ_CST))
            sched_yield();
        assert_int_equal(evtchn_send(d, p.port), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(p.rc, 0);
        assert_int_equal(d->nr_pollers, 0);
    }
    assert_int_equal(timeouts, 0);
    harness_domain_free(d);
    hv_destroy(own);
}

/* ---- set_timer_op ---- */

static long set_timer(struct domain *d, uint64_t timeout)
{
    return harness_hypercall(d, 0, __HYPERVISOR_set_timer_op, timeout, 0, 0);
}

static long set_timer_compat(struct domain *d, uint64_t lo, uint64_t hi)
{
    uint64_t args[5] = {lo, hi, 0, 0, 0};
    struct hv_call call;

    hv_call_init(&call, d->vcpus[0], true, false, 0);
    return hypercall_dispatch(&call, __HYPERVISOR_set_timer_op, args);
}

/* do_set_timer_op(): 0 stops the timer, else set_timer() at the
 * deadline; the compat form takes (lo, hi). */
static void test_set_timer_arm_and_stop(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct vcpu *v = d->vcpus[0];
    evtchn_port_t port = bind_virq(d, VIRQ_TIMER, 0);
    uint64_t deadline = hv_now_ns(harness_test_hv()) + FAR_NS;

    (void)state;
    assert_int_equal(set_timer(d, deadline), 0);
    assert_int_equal(v->timer_deadline, deadline);
    assert_int_equal(rec_vcpu(v)->timer_deadline, deadline);
    assert_int_equal(set_timer(d, 0), 0);
    assert_int_equal(v->timer_deadline, 0);
    assert_int_equal(rec_vcpu(v)->timer_deadline, 0);
    assert_false(pending_2l(d, port));

    /* Compat: the timeout comes in two registers, low half first; the
     * upper halves of the registers are not part of it. */
    deadline += 5;
    assert_int_equal(set_timer_compat(d, (0xdeadull << 32) | (uint32_t)deadline,
                                      deadline >> 32),
                     0);
    assert_int_equal(v->timer_deadline, deadline);
    assert_int_equal(rec_vcpu(v)->timer_deadline, deadline);
    harness_domain_free(d);
}

/* set_timer() with a past expiry runs the handler at once: VIRQ_TIMER. */
static void test_set_timer_past_fires_now(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct vcpu *v = d->vcpus[0];
    evtchn_port_t port = bind_virq(d, VIRQ_TIMER, 0);

    (void)state;
    assert_int_equal(set_timer(d, hv_now_ns(harness_test_hv()) + FAR_NS), 0);
    assert_int_equal(set_timer(d, 1), 0);
    assert_true(pending_2l(d, port));
    assert_int_equal(kicks(d, 0), 1);
    assert_int_equal(v->timer_deadline, 0);
    assert_int_equal(rec_vcpu(v)->timer_deadline, 0); /* old one cancelled */

    /* Unbound VIRQ_TIMER: nothing to raise, still 0. */
    assert_int_equal(do_close(d, port), 0);
    assert_int_equal(set_timer(d, 1), 0);
    assert_int_equal(v->timer_deadline, 0);
    harness_domain_free(d);
}

/* do_set_timer_op(): negative, or at least 2^50 ns ahead, becomes
 * NOW() + MILLISECS(100). */
static void test_set_timer_wild_values_fall_back(void **state)
{
    static const struct {
        uint64_t lo, hi; /* compat registers; 64-bit uses hi:lo */
        bool add_now;
    } cases[] = {
        {0, 1u << 31, false},    /* negative */
        {5, 0xffffffffu, false}, /* negative */
        {0, 1u << 19, true},     /* now + 2^51 */
        {0, 0x7fffffffu, false}, /* far beyond now */
    };
    struct domain *d = harness_test_domain(1);
    struct vcpu *v = d->vcpus[0];

    (void)state;
    for (int compat = 0; compat < 2; compat++) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            uint64_t before = hv_now_ns(harness_test_hv()), after, t;

            t = cases[i].hi << 32 | cases[i].lo;
            if (cases[i].add_now)
                t += before;
            assert_int_equal(compat
                                 ? set_timer_compat(d, t & UINT32_MAX, t >> 32)
                                 : set_timer(d, t),
                             0);
            after = hv_now_ns(harness_test_hv());
            assert_in_range(v->timer_deadline, before + FALLBACK,
                            after + FALLBACK);
            assert_int_equal(rec_vcpu(v)->timer_deadline, v->timer_deadline);
        }
    }
    harness_domain_free(d);
}

/* vcpu_singleshot_timer_fn(): VIRQ_TIMER once per expiry; xenemu's
 * backend-driven fire ignores a stale expiry. */
static void test_timer_fire(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct vcpu *v = d->vcpus[0];
    evtchn_port_t port = bind_virq(d, VIRQ_TIMER, 0);
    uint64_t future = hv_now_ns(harness_test_hv()) + FAR_NS;

    (void)state;
    /* Stopped: a stale expiry does nothing. */
    vcpu_timer_fire(v);
    assert_false(pending_2l(d, port));

    /* Moved later: nothing either, and the deadline stays armed. */
    vcpu_timer_set(v, future);
    vcpu_timer_fire(v);
    assert_false(pending_2l(d, port));
    assert_int_equal(v->timer_deadline, future);

    /* Expired: VIRQ_TIMER once, then disarmed. */
    v->timer_deadline = 1;
    vcpu_timer_fire(v);
    assert_true(pending_2l(d, port));
    assert_int_equal(v->timer_deadline, 0);
    clear_pending_2l(d, port);
    vcpu_timer_fire(v);
    assert_false(pending_2l(d, port));
    harness_domain_free(d);
}

int main(void)
{
#define T(fn)                                                                  \
    cmocka_unit_test_setup_teardown(fn, harness_setup_hv, harness_teardown_hv)
    const struct CMUnitTest tests[] = {
        T(test_yield_and_unknown),
        T(test_block),
        T(test_block_per_vcpu_vector),
        T(test_block_and_poll_need_interrupts_on),
        T(test_shutdown_reasons),
        T(test_shutdown_code_first_wins),
        T(test_bad_arguments_fault),
        T(test_remote_shutdown),
        T(test_poll_cases),
        T(test_poll_bad_ports_array),
        T(test_watchdog_slots),
        T(test_watchdog_fires),
        T(test_watchdog_timeout_zero),
        T(test_pin_override),
        cmocka_unit_test(test_poll_publishes_and_is_woken),
        cmocka_unit_test(test_poll_races_with_sender),
        T(test_set_timer_arm_and_stop),
        T(test_set_timer_past_fires_now),
        T(test_set_timer_wild_values_fall_back),
        T(test_timer_fire),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
