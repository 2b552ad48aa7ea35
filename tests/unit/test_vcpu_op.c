/* test_vcpu_op.c: every vcpu_op command as Xen 4.17 answers an HVM guest
 * (each test cites the Xen function its expected values come from):
 * register_vcpu_info (checks by version, the switch, event delivery
 * afterwards), the online state, the timers, the runstate and time areas,
 * send_nmi and get_physid. */
#include <pthread.h>
#include <string.h>

#include <sched.h>

#include "harness.h"
#include "xenemu/compat.h"
#include "xenemu/cpuid.h"
#include "xenemu/runstate.h"
#include "xenemu/sched.h"
#include "xenemu/x86.h"

#define ARG      HARNESS_ARG_GPA
#define BAD_GPA  ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE)
#define AREA_GFN 0x300u
#define FAR_NS   (1ull << 40) /* a deadline this far ahead stays future */

/* vcpu_op (cmd) on (vcpuid) from vCPU (from), (arg) at ARG. */
static long vop(struct domain *d, unsigned int from, uint32_t cmd,
                uint64_t vcpuid, const void *arg, size_t size)
{
    if (size)
        assert_int_equal(gpa_write(d, ARG, arg, size), 0);
    return harness_hypercall(d, from, __HYPERVISOR_vcpu_op, cmd, vcpuid, ARG);
}

static long reg(struct domain *d, unsigned int vcpu, uint64_t mfn,
                uint32_t offset)
{
    struct vcpu_register_vcpu_info info = {.mfn = mfn, .offset = offset};

    return vop(d, 0, VCPUOP_register_vcpu_info, vcpu, &info, sizeof(info));
}

static struct vcpu_info *area(struct domain *d, uint32_t offset)
{
    return (struct vcpu_info *)((uint8_t *)guest_page(d, AREA_GFN) + offset);
}

static evtchn_port_t bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu)
{
    struct evtchn_bind_virq op = {.virq = virq, .vcpu = vcpu};

    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_virq, &op, sizeof(op)), 0);
    return op.port;
}

/* xen/arch/x86/domain.c:do_vcpu_op(): domain_vcpu() first, -ENOENT for
 * every command, known or not; then common_vcpu_op() answers an unknown
 * command -ENOSYS.  4.17 has no HVM filter of vcpu_op (removed in 4.7). */
static void test_vcpu_id_before_command(void **state)
{
    static const uint32_t cmds[] = {
        VCPUOP_initialise,
        VCPUOP_up,
        VCPUOP_down,
        VCPUOP_is_up,
        VCPUOP_get_runstate_info,
        VCPUOP_register_runstate_memory_area,
        VCPUOP_set_periodic_timer,
        VCPUOP_stop_periodic_timer,
        VCPUOP_set_singleshot_timer,
        VCPUOP_stop_singleshot_timer,
        VCPUOP_register_vcpu_info,
        VCPUOP_send_nmi,
        VCPUOP_get_physid,
        VCPUOP_register_vcpu_time_memory_area,
        14, /* 4.18's register_runstate_phys_area */
        15, /* 4.18's register_vcpu_time_phys_area */
        99,
    };
    struct domain *d = harness_test_domain(2);

    (void)state;
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        assert_int_equal(vop(d, 0, cmds[i], 2, NULL, 0), -XEN_ENOENT);
        assert_int_equal(vop(d, 0, cmds[i], 0xffffffffu, NULL, 0), -XEN_ENOENT);
        /* The id is 32 bits: the upper half of the register is ignored. */
        assert_int_equal(vop(d, 0, cmds[i], (1ull << 32) | 5, NULL, 0),
                         -XEN_ENOENT);
    }
    /* xen/common/domain.c:common_vcpu_op(): default case. */
    assert_int_equal(vop(d, 0, 14, 0, NULL, 0), -XEN_ENOSYS);
    assert_int_equal(vop(d, 0, 15, 1, NULL, 0), -XEN_ENOSYS);
    assert_int_equal(vop(d, 0, 99, 0, NULL, 0), -XEN_ENOSYS);
    assert_int_equal(vop(d, 0, 0xffffffffu, 0, NULL, 0), -XEN_ENOSYS);
    harness_domain_free(d);
}

/* A valid 64-bit starting context: long mode with paging. */
static struct vcpu_hvm_context ctx64(void)
{
    struct vcpu_hvm_context c = {.mode = VCPU_HVM_MODE_64B};

    c.cpu_regs.x86_64.cr0 = X86_CR0_PG | X86_CR0_ET | X86_CR0_PE;
    c.cpu_regs.x86_64.cr4 = X86_CR4_PAE;
    c.cpu_regs.x86_64.efer = EFER_LMA | EFER_LME;
    c.cpu_regs.x86_64.rip = 0x100000;
    return c;
}

static long initialise(struct domain *d, uint32_t vcpu,
                       const struct vcpu_hvm_context *c)
{
    return vop(d, 0, VCPUOP_initialise, vcpu, c, sizeof(*c));
}

/* xen/common/domain.c:common_vcpu_op(): VCPUOP_up of a vCPU never
 * initialised is -EINVAL; VCPUOP_initialise goes to
 * xen/arch/x86/domain.c:arch_initialise_vcpu() (copy: -EFAULT; already
 * initialised: -EEXIST) and xen/arch/x86/hvm/domain.c:
 * arch_set_info_hvm_guest() (pad, mode and the 64-bit CR0.PG / CR4.PAE /
 * EFER.LME / canonical RIP checks: -EINVAL).  Initialise leaves the vCPU
 * down (is_up 0).  The backend's up counts are xenemu's; restarting a
 * vCPU after down is xenemu's model (deliberate, "vcpu_op down" in
 * docs/hypercalls.md). */
static void test_initialise(void **state)
{
    struct domain *d = harness_test_domain(3);
    struct vcpu_hvm_context c = ctx64();
    struct vcpu_hvm_context bad;

    (void)state;
    /* Up before initialise: -EINVAL, and the backend hears nothing. */
    assert_int_equal(vop(d, 0, VCPUOP_up, 1, NULL, 0), -XEN_EINVAL);
    assert_int_equal(rec_vcpu(d->vcpus[1])->ups, 0);
    /* vCPU 0 was initialised by creation. */
    assert_int_equal(initialise(d, 0, &c), -XEN_EEXIST);
    /* Contexts Xen refuses. */
    bad = c;
    bad.pad = 1;
    assert_int_equal(initialise(d, 1, &bad), -XEN_EINVAL);
    bad = c;
    bad.mode = 2;
    assert_int_equal(initialise(d, 1, &bad), -XEN_EINVAL);
    bad = c;
    bad.cpu_regs.x86_64.cr0 &= ~(uint64_t)X86_CR0_PG;
    assert_int_equal(initialise(d, 1, &bad), -XEN_EINVAL);
    bad = c;
    bad.cpu_regs.x86_64.efer = 0; /* no long mode */
    assert_int_equal(initialise(d, 1, &bad), -XEN_EINVAL);
    /* xen/arch/x86/hvm/domain.c:arch_set_info_hvm_guest(): RIP must be
     * canonical; CR0.PE is not checked. */
    bad = c;
    bad.cpu_regs.x86_64.rip = 1ull << 47;
    assert_int_equal(initialise(d, 1, &bad), -XEN_EINVAL);
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vcpu_op,
                                       VCPUOP_initialise, 1, 1ull << 40),
                     -XEN_EFAULT);
    assert_false(d->vcpus[1]->initialised);

    assert_int_equal(initialise(d, 1, &c), 0);
    assert_int_equal(d->vcpus[1]->hvm_ctx.cpu_regs.x86_64.rip, 0x100000);
    assert_int_equal(initialise(d, 1, &c), -XEN_EEXIST);
    assert_int_equal(vop(d, 0, VCPUOP_is_up, 1, NULL, 0), 0);
    /* Up starts the vCPU once; up again does nothing. */
    assert_int_equal(vop(d, 0, VCPUOP_up, 1, NULL, 0), 0);
    assert_int_equal(rec_vcpu(d->vcpus[1])->ups, 1);
    assert_int_equal(vop(d, 0, VCPUOP_up, 1, NULL, 0), 0);
    assert_int_equal(rec_vcpu(d->vcpus[1])->ups, 1);
    /* Down and up again starts it again. */
    assert_int_equal(vop(d, 0, VCPUOP_down, 1, NULL, 0), 0);
    assert_int_equal(vop(d, 0, VCPUOP_up, 1, NULL, 0), 0);
    assert_int_equal(rec_vcpu(d->vcpus[1])->ups, 2);
    assert_int_equal(rec_vcpu(d->vcpus[2])->ups, 0);
    harness_domain_free(d);
}

/* xen/common/domain.c:common_vcpu_op(): is_up is !VPF_down; up again is
 * 0; down of the last vCPU that is up does not take it down but calls
 * domain_shutdown(SHUTDOWN_poweroff). */
static void test_up_down_is_up(void **state)
{
    struct domain *d = harness_test_domain(2);
    struct vcpu_hvm_context c = ctx64();

    (void)state;
    assert_int_equal(vop(d, 0, VCPUOP_is_up, 0, NULL, 0), 1);
    assert_int_equal(vop(d, 0, VCPUOP_is_up, 1, NULL, 0), 0);
    assert_int_equal(initialise(d, 1, &c), 0);
    assert_int_equal(vop(d, 0, VCPUOP_up, 1, NULL, 0), 0);
    assert_int_equal(vop(d, 0, VCPUOP_is_up, 1, NULL, 0), 1);
    assert_int_equal(vop(d, 0, VCPUOP_up, 1, NULL, 0), 0); /* again: fine */
    assert_int_equal(vop(d, 0, VCPUOP_down, 1, NULL, 0), 0);
    assert_int_equal(vop(d, 0, VCPUOP_is_up, 1, NULL, 0), 0);
    assert_false(d->is_shutdown);

    /* The last vCPU going down powers the domain off and stays up. */
    assert_int_equal(vop(d, 0, VCPUOP_down, 0, NULL, 0), 0);
    assert_true(d->is_shutdown);
    assert_int_equal(d->shutdown_reason, SHUTDOWN_poweroff);
    assert_int_equal(rec_domain(d)->shutdowns, 1);
    assert_int_equal(rec_domain(d)->shutdown_reason, SHUTDOWN_poweroff);
    assert_int_equal(vop(d, 0, VCPUOP_is_up, 0, NULL, 0), 1);
    harness_domain_free(d);
}

/* xen/common/domain.c:map_vcpu_info(): a vCPU leaving its shared_info
 * slot has the slot copied to the new area; then every selector bit is
 * set and vcpu_mark_events_pending() raises an upcall (the kick).  The
 * old slot is not touched. */
static void test_register_moves_legacy_slot(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct vcpu *v = d->vcpus[0];
    struct vcpu_info *old = &shinfo(d)->vcpu_info[0], *new = area(d, 0x40);

    (void)state;
    old->time.version = 7;
    old->time.system_time = 0x1122334455667788ull;
    old->arch.cr2 = 0xabc;
    assert_int_equal(reg(d, 0, AREA_GFN, 0x40), 0);
    assert_ptr_equal(v->vcpu_info, new);
    assert_ptr_equal(vcpu_info_of(v), new);
    assert_true(v->vcpu_info_registered);
    assert_int_equal(new->time.version, 7);
    assert_int_equal(new->time.system_time, 0x1122334455667788ull);
    assert_int_equal(new->arch.cr2, 0xabc);
    assert_int_equal(new->evtchn_upcall_mask, 0);
    /* Everything marked for a rescan, and the vCPU told. */
    assert_int_equal(new->evtchn_pending_sel, UINT64_MAX);
    assert_int_equal(new->evtchn_upcall_pending, 1);
    assert_int_equal(kicks(d, 0), 1);
    /* The old slot is left alone. */
    assert_int_equal(old->evtchn_pending_sel, 0);
    assert_int_equal(old->evtchn_upcall_pending, 0);
    harness_domain_free(d);
}

/* After map_vcpu_info(), xen/common/event_2l.c:evtchn_2l_set_pending()
 * marks the selector and upcall flag of the registered area (port 70:
 * selector bit 1), not the old slot. */
static void test_events_reach_registered_area(void **state)
{
    struct domain *d = harness_test_domain(1);
    struct vcpu_info *old = &shinfo(d)->vcpu_info[0], *new = area(d, 0x80);
    evtchn_port_t port;

    (void)state;
    assert_int_equal(reg(d, 0, AREA_GFN, 0x80), 0);
    /* The guest consumes the registration's spurious upcall. */
    new->evtchn_upcall_pending = 0;
    new->evtchn_pending_sel = 0;
    for (unsigned int i = 0; i < 70; i++)
        must_bind_ipi(d, 0); /* ports 1..70 */
    port = 70;
    assert_int_equal(do_send(d, port), 0);
    assert_true(pending_2l(d, port));
    assert_int_equal(new->evtchn_pending_sel, 1ull << (port / 64));
    assert_int_equal(new->evtchn_upcall_pending, 1);
    assert_int_equal(kicks(d, 0), 2);
    assert_int_equal(old->evtchn_pending_sel, 0);
    assert_int_equal(old->evtchn_upcall_pending, 0);
    harness_domain_free(d);
}

/* xen/common/domain.c:map_vcpu_info(): a vCPU on dummy_vcpu_info (id
 * XEN_LEGACY_MAX_VCPUS and up) gets a zeroed area with the upcall mask
 * set, then the selector and upcall pending as for any registration. */
static void test_register_dummy_vcpu(void **state)
{
    struct domain *d = harness_test_domain(XEN_LEGACY_MAX_VCPUS + 1);
    unsigned int id = XEN_LEGACY_MAX_VCPUS;
    struct vcpu *v = d->vcpus[id];
    struct vcpu_info *new = area(d, 0x100);
    evtchn_port_t port;

    (void)state;
    assert_ptr_equal(v->vcpu_info, v->dummy_vcpu_info);
    memset(new, 0xff, sizeof(*new));
    assert_int_equal(reg(d, id, AREA_GFN, 0x100), 0);
    assert_ptr_equal(vcpu_info_of(v), new);
    /* A fresh area: zero but for the mask, the selector and the upcall. */
    assert_int_equal(new->evtchn_upcall_pending, 1);
    assert_int_equal(new->evtchn_upcall_mask, 1);
    assert_int_equal(new->evtchn_pending_sel, UINT64_MAX);
    assert_int_equal(new->arch.cr2, 0);
    assert_int_equal(new->arch.pad, 0);
    assert_int_equal(new->time.version, 0);
    assert_int_equal(new->time.system_time, 0);
    assert_int_equal(kicks(d, id), 1);

    new->evtchn_upcall_pending = 0;
    new->evtchn_pending_sel = 0;
    port = must_bind_ipi(d, id);
    assert_int_equal(do_send(d, port), 0);
    assert_int_equal(new->evtchn_pending_sel, 1);
    assert_int_equal(new->evtchn_upcall_pending, 1);
    assert_int_equal(kicks(d, id), 2);
    harness_domain_free(d);
}

/* xen/common/domain.c:map_vcpu_info() with has_32bit_shinfo(): the
 * compat alignment (4) and the compat layout's 32-bit selector. */
static void test_register_compat_layout(void **state)
{
    struct domain *d = harness_test_domain(1);
    uint8_t *new = (uint8_t *)area(d, 0x44);
    uint32_t sel;
    evtchn_port_t port;

    (void)state;
    domain_latch_shinfo_compat(d, true);
    /* 4-byte alignment is enough for 32-bit vcpu_info. */
    assert_int_equal(reg(d, 0, AREA_GFN, 0x44), 0);
    memcpy(&sel, new + 4, sizeof(sel));
    assert_int_equal(sel, UINT32_MAX);
    assert_int_equal(new[0], 1);

    new[0] = 0;
    memset(new + 4, 0, 4);
    port = must_bind_ipi(d, 0);
    assert_int_equal(do_send(d, port), 0);
    memcpy(&sel, new + 4, sizeof(sel));
    assert_int_equal(sel, 1);
    assert_int_equal(new[0], 1);
    harness_domain_free(d);
}

struct reg_case {
    uint64_t mfn;
    uint32_t offset;
    long rc;
};

/* Xen 4.17 (xen/common/domain.c:map_vcpu_info()): -ENXIO for an offset
 * past 4032 (crossing the page, or carrying into the frame) or misaligned,
 * -EINVAL for a frame that is not RAM.  After a registration: -EINVAL,
 * but the offset checks still come first. */
static void test_register_errors_417(void **state)
{
    static const struct reg_case cases[] = {
        {AREA_GFN, GUEST_PAGE_SIZE, -XEN_ENXIO},
        {AREA_GFN, 0xffffffffu, -XEN_ENXIO},
        {1ull << 52, 0, -XEN_EINVAL}, /* no such frame */
        {UINT64_MAX >> GUEST_PAGE_SHIFT, 0xfff, -XEN_ENXIO},
        {AREA_GFN, GUEST_PAGE_SIZE - 32, -XEN_ENXIO}, /* crosses the page */
        {AREA_GFN, GUEST_PAGE_SIZE - 60, -XEN_ENXIO}, /* both */
        {AREA_GFN, 4, -XEN_ENXIO},                    /* misaligned */
        {AREA_GFN, 1, -XEN_ENXIO},
        {HARNESS_RAM_PAGES, 0, -XEN_EINVAL}, /* not guest RAM */
        {UINT64_MAX >> GUEST_PAGE_SHIFT, 0, -XEN_EINVAL},
    };
    struct domain *d = harness_test_domain(2);

    (void)state;
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vcpu_op,
                                       VCPUOP_register_vcpu_info, 0, BAD_GPA),
                     -XEN_EFAULT);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(reg(d, 0, cases[i].mfn, cases[i].offset), cases[i].rc);
    assert_false(d->vcpus[0]->vcpu_info_registered);
    assert_int_equal(kicks(d, 0), 0);

    /* The last page of RAM is fine. */
    assert_int_equal(reg(d, 0, HARNESS_RAM_PAGES - 1, GUEST_PAGE_SIZE - 64), 0);
    assert_int_equal(reg(d, 0, AREA_GFN, 0), -XEN_EINVAL);
    assert_int_equal(reg(d, 0, AREA_GFN, 4), -XEN_ENXIO);
    assert_int_equal(reg(d, 0, AREA_GFN, GUEST_PAGE_SIZE), -XEN_ENXIO);
    assert_int_equal(reg(d, 0, HARNESS_RAM_PAGES, 0), -XEN_EINVAL);
    /* Another vCPU that is up: -EINVAL (vCPU 1 is down until VCPUOP_up,
     * so it may be registered from vCPU 0). */
    d->vcpus[1]->is_up = true;
    assert_int_equal(reg(d, 1, AREA_GFN, 64), -XEN_EINVAL);
    d->vcpus[1]->is_up = false;
    assert_int_equal(reg(d, 1, AREA_GFN, 64), 0);
    assert_int_equal(kicks(d, 0), 1);
    harness_domain_free(d);
}

/* Xen 4.18+ (xen/common/domain.c:map_guest_area(), commit 295514ff75):
 * -EINVAL for an impossible address first, -EBUSY once registered, then
 * -ENXIO, then -EINVAL for a frame that is not RAM. */
static void test_register_errors_418(void **state)
{
    static const struct reg_case cases[] = {
        {AREA_GFN, GUEST_PAGE_SIZE, -XEN_EINVAL}, /* offset carries */
        {AREA_GFN, 0xffffffffu, -XEN_EINVAL},
        {1ull << 52, 0, -XEN_EINVAL}, /* address overflows */
        {UINT64_MAX >> GUEST_PAGE_SHIFT, 0xfff, -XEN_EINVAL}, /* all ones */
        {AREA_GFN, GUEST_PAGE_SIZE - 32, -XEN_ENXIO}, /* crosses the page */
        {AREA_GFN, 4, -XEN_ENXIO},                    /* misaligned */
        {HARNESS_RAM_PAGES, 0, -XEN_EINVAL},          /* not guest RAM */
    };
    struct domain *d = harness_domain(
        harness_test_hv(),
        &(struct harness_dom_opts){.xen_version = XENEMU_VERSION(4, 18)});

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(reg(d, 0, cases[i].mfn, cases[i].offset), cases[i].rc);
    assert_int_equal(reg(d, 0, HARNESS_RAM_PAGES - 1, GUEST_PAGE_SIZE - 64), 0);
    assert_int_equal(reg(d, 0, AREA_GFN, 0), -XEN_EBUSY);
    assert_int_equal(reg(d, 0, AREA_GFN, 4), -XEN_EBUSY);
    assert_int_equal(reg(d, 0, HARNESS_RAM_PAGES, 0), -XEN_EBUSY);
    assert_int_equal(reg(d, 0, AREA_GFN, GUEST_PAGE_SIZE), -XEN_EINVAL);
    harness_domain_free(d);
}

struct sender {
    struct domain *from;
    evtchn_port_t port;
    bool stop;
    unsigned int sent;
};

/* Raise (port) over and over, as a backend thread or a peer would. */
static void *send_thread(void *arg)
{
    struct sender *s = arg;

    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        assert_int_equal(evtchn_send(s->from, s->port), 0);
        __atomic_fetch_add(&s->sent, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/*
 * Registration while events arrive from the domain itself (an IPI, under
 * its event_lock) and from a peer (interdomain, under its abi_lock): the
 * switch must neither race with a raise nor lose its effect.
 */
static void test_register_races_with_senders(void **state)
{
    struct domain *d = harness_test_domain(1), *peer = harness_test_domain(1);
    evtchn_port_t ipi = must_bind_ipi(d, 0);
    evtchn_port_t unbound = must_alloc_unbound(d, peer->domid);
    evtchn_port_t remote = must_bind_interdomain(peer, d->domid, unbound);
    struct sender s[2] = {{.from = d, .port = ipi},
                          {.from = peer, .port = remote}};
    pthread_t t[2];

    (void)state;
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, send_thread, &s[i]), 0);
    /* Let both senders get going, then switch under their feet. */
    while (!__atomic_load_n(&s[0].sent, __ATOMIC_RELAXED) ||
           !__atomic_load_n(&s[1].sent, __ATOMIC_RELAXED)) {
        clear_pending_2l(d, ipi);
        clear_pending_2l(d, unbound);
    }
    /* Counts read after the last clear: a send counted later than one more
     * than this began after the clear, so its event must be seen. */
    unsigned int base[2] = {__atomic_load_n(&s[0].sent, __ATOMIC_RELAXED),
                            __atomic_load_n(&s[1].sent, __ATOMIC_RELAXED)};

    assert_int_equal(reg(d, 0, AREA_GFN, 0x200), 0);
    for (int i = 0; i < 2; i++) {
        while (__atomic_load_n(&s[i].sent, __ATOMIC_RELAXED) <= base[i] + 1)
            sched_yield();
        __atomic_store_n(&s[i].stop, true, __ATOMIC_RELEASE);
        assert_int_equal(pthread_join(t[i], NULL), 0);
    }
    assert_ptr_equal(vcpu_info_of(d->vcpus[0]), area(d, 0x200));
    assert_int_equal(area(d, 0x200)->evtchn_pending_sel, UINT64_MAX);
    assert_int_equal(area(d, 0x200)->evtchn_upcall_pending, 1);
    assert_true(pending_2l(d, ipi));
    assert_true(pending_2l(d, unbound));
    harness_domain_free(peer);
    harness_domain_free(d);
}

static long singleshot(struct domain *d, unsigned int from, uint32_t vcpu,
                       uint64_t timeout, uint32_t flags)
{
    struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = timeout,
                                          .flags = flags};

    return vop(d, from, VCPUOP_set_singleshot_timer, vcpu, &t, sizeof(t));
}

/* xen/common/domain.c:common_vcpu_op() VCPUOP_set_singleshot_timer /
 * stop_singleshot_timer: -EINVAL unless on the calling vCPU; a deadline
 * before NOW() sends VIRQ_TIMER at once (send_timer_event()); else
 * set_timer().  stop_periodic_timer has no such check. */
static void test_singleshot_timer(void **state)
{
    struct domain *d = harness_test_domain(2);
    struct vcpu *v = d->vcpus[0];
    evtchn_port_t port = bind_virq(d, VIRQ_TIMER, 0);
    uint64_t deadline = hv_now_ns(harness_test_hv()) + FAR_NS;

    (void)state;
    /* Only on the calling vCPU. */
    assert_int_equal(singleshot(d, 0, 1, deadline, 0), -XEN_EINVAL);
    assert_int_equal(vop(d, 0, VCPUOP_stop_singleshot_timer, 1, NULL, 0),
                     -XEN_EINVAL);
    assert_int_equal(v->timer_deadline, 0);

    assert_int_equal(singleshot(d, 0, 0, deadline, 0), 0);
    assert_int_equal(v->timer_deadline, deadline);
    assert_int_equal(rec_vcpu(v)->timer_deadline, deadline);
    assert_false(pending_2l(d, port));

    assert_int_equal(vop(d, 0, VCPUOP_stop_singleshot_timer, 0, NULL, 0), 0);
    assert_int_equal(v->timer_deadline, 0);
    assert_int_equal(rec_vcpu(v)->timer_deadline, 0);

    /* A deadline already passed fires at once. */
    assert_int_equal(singleshot(d, 0, 0, 1, 0), 0);
    assert_true(pending_2l(d, port));
    assert_int_equal(v->timer_deadline, 0);

    /* So does one of 2^63 or more: negative as Xen's signed s_time_t
     * (regression: it was armed, and a backend's timer thread spun on a
     * deadline that wrapped around). */
    clear_pending_2l(d, port);
    assert_int_equal(singleshot(d, 0, 0, UINT64_MAX, 0), 0);
    assert_true(pending_2l(d, port));
    assert_int_equal(v->timer_deadline, 0);
    assert_int_equal(rec_vcpu(v)->timer_deadline, 0);

    /* A deadline of 0 is in the past too: it fires, it does not stop
     * (xen/common/domain.c:common_vcpu_op(); only set_timer_op's 0 stops). */
    clear_pending_2l(d, port);
    assert_int_equal(singleshot(d, 0, 0, deadline, 0), 0);
    assert_int_equal(singleshot(d, 0, 0, 0, 0), 0);
    assert_true(pending_2l(d, port));
    assert_int_equal(v->timer_deadline, 0);

    /* vCPU 1 sets its own timer. */
    assert_int_equal(singleshot(d, 1, 1, deadline, 0), 0);
    assert_int_equal(d->vcpus[1]->timer_deadline, deadline);
    assert_int_equal(vop(d, 0, VCPUOP_stop_periodic_timer, 1, NULL, 0), 0);
    harness_domain_free(d);
}

/* VCPU_SSHOTTMR_future by emulated release (xenemu follows
 * d->xen_version: "emulated Xen version" in docs/hypercalls.md). */
static void test_singleshot_future_flag_by_version(void **state)
{
    static const struct {
        uint32_t version;
        long rc;
    } cases[] = {
        /* xen/common/domain.c:common_vcpu_op(): -ETIME up to 4.17.2; the
         * flag is ignored from 4.17.3 (commit 7b5155a79e) and 4.18. */
        {XENEMU_VERSION(4, 16), -XEN_ETIME}, {XENEMU_VERSION(4, 4), -XEN_ETIME},
        {XENEMU_VERSION(4, 17), 0},          {XENEMU_VERSION(4, 18), 0},
        {XENEMU_VERSION(4, 19), 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct domain *d = harness_domain(
            harness_test_hv(),
            &(struct harness_dom_opts){.xen_version = cases[i].version});
        evtchn_port_t port = bind_virq(d, VIRQ_TIMER, 0);
        uint64_t future = hv_now_ns(harness_test_hv()) + FAR_NS;

        assert_int_equal(singleshot(d, 0, 0, future, VCPU_SSHOTTMR_future), 0);
        assert_int_equal(singleshot(d, 0, 0, 1, VCPU_SSHOTTMR_future),
                         cases[i].rc);
        /* -ETIME leaves the armed timer alone; otherwise it fired. */
        assert_int_equal(d->vcpus[0]->timer_deadline, cases[i].rc ? future : 0);
        assert_int_equal(pending_2l(d, port), cases[i].rc == 0);
        harness_domain_free(d);
    }
}

/* xen/common/compat/domain.c:compat_common_vcpu_op(): a 32-bit caller's
 * struct vcpu_set_singleshot_timer is 12 bytes (no tail padding); the
 * 64-bit one, read by xen/common/domain.c:common_vcpu_op(), is 16. */
static void test_singleshot_compat_size(void **state)
{
    struct domain *d = harness_test_domain(1);
    uint64_t end12 = BAD_GPA - 12; /* the struct ends with RAM */
    uint64_t deadline = hv_now_ns(harness_test_hv()) + FAR_NS;
    uint8_t raw[12];
    uint64_t args[5] = {VCPUOP_set_singleshot_timer, 0, end12, 0, 0};
    struct hv_call call;

    (void)state;
    memcpy(raw, &deadline, 8);
    memset(raw + 8, 0, 4);
    assert_int_equal(gpa_write(d, end12, raw, sizeof(raw)), 0);
    /* 64-bit: 16 bytes (tail padding) reach past RAM. */
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vcpu_op,
                                       VCPUOP_set_singleshot_timer, 0, end12),
                     -XEN_EFAULT);
    hv_call_init(&call, d->vcpus[0], true, false, 0);
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_vcpu_op, args), 0);
    assert_int_equal(d->vcpus[0]->timer_deadline, deadline);
    harness_domain_free(d);
}

/* The compat singleshot reads its 12 bytes before it checks the target
 * (xen/common/compat/domain.c:compat_common_vcpu_op()): a bad argument for
 * another vCPU is -EFAULT there, -EINVAL in 64-bit mode. */
static void test_singleshot_compat_order(void **state)
{
    struct domain *d = harness_test_domain(2);
    uint64_t args[5] = {VCPUOP_set_singleshot_timer, 1, BAD_GPA, 0, 0};
    struct hv_call call;

    (void)state;
    hv_call_init(&call, d->vcpus[0], true, false, 0);
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_vcpu_op, args),
                     -XEN_EFAULT);
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vcpu_op,
                                       VCPUOP_set_singleshot_timer, 1, BAD_GPA),
                     -XEN_EINVAL);
    harness_domain_free(d);
}

/* xen/common/domain.c:common_vcpu_op() VCPUOP_set_periodic_timer: 1 ms to
 * STIME_DELTA_MAX, else -EINVAL; any vCPU; the first event at once
 * (xen/common/sched/core.c:vcpu_periodic_timer_work_locked()). */
static void test_periodic_timer(void **state)
{
    struct domain *d = harness_test_domain(2);
    struct vcpu *v = d->vcpus[1];
    evtchn_port_t port = bind_virq(d, VIRQ_TIMER, 1);
    struct vcpu_set_periodic_timer t = {.period_ns = 999999};
    uint64_t before;

    (void)state;
    assert_int_equal(vop(d, 0, VCPUOP_set_periodic_timer, 1, &t, sizeof(t)),
                     -XEN_EINVAL);
    t.period_ns = 1ull << 62;
    assert_int_equal(vop(d, 0, VCPUOP_set_periodic_timer, 1, &t, sizeof(t)),
                     -XEN_EINVAL);
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vcpu_op,
                                       VCPUOP_set_periodic_timer, 1, BAD_GPA),
                     -XEN_EFAULT);
    assert_false(pending_2l(d, port));
    assert_int_equal(v->periodic_period, 0);

    /* xen/common/sched/core.c:vcpu_periodic_timer_work_locked(): no event
     * at once while less than a period has passed since the last (system
     * time 0 at first); the next one a period after the last. */
    t.period_ns = FAR_NS;
    before = hv_now_ns(harness_test_hv());
    assert_int_equal(vop(d, 0, VCPUOP_set_periodic_timer, 1, &t, sizeof(t)), 0);
    assert_false(pending_2l(d, port));
    assert_int_equal(v->periodic_next, FAR_NS);
    /* The backend's timer is armed at the earlier of the two timers. */
    assert_int_equal(rec_vcpu(v)->timer_deadline, v->periodic_next);
    /* A fire before the period is over raises nothing. */
    vcpu_timer_fire(v);
    assert_false(pending_2l(d, port));
    /* Once due (as if a period passed): one event, the next one a period
     * from now. */
    v->periodic_next = 1;
    v->periodic_last = 0;
    v->periodic_period = 1;
    vcpu_timer_fire(v);
    assert_true(pending_2l(d, port));
    assert_true(v->periodic_last >= before);
    assert_int_equal(v->periodic_next, v->periodic_last + 1);
    assert_int_equal(rec_vcpu(v)->timer_deadline, v->periodic_next);

    assert_int_equal(vop(d, 0, VCPUOP_stop_periodic_timer, 1, NULL, 0), 0);
    assert_int_equal(v->periodic_period, 0);
    assert_int_equal(v->periodic_next, 0);
    assert_int_equal(rec_vcpu(v)->timer_deadline, 0);
    harness_domain_free(d);
}

/* VCPUOP_send_nmi (xen/arch/x86/domain.c:do_vcpu_op()): -EINVAL with an
 * argument; otherwise pending once and a kick, any vCPU.  get_physid:
 * -EINVAL for any vCPU that is not a pinned hardware-domain vCPU. */
static void test_nmi_and_physid(void **state)
{
    struct domain *d = harness_test_domain(2);

    (void)state;
    assert_int_equal(
        harness_hypercall(d, 0, __HYPERVISOR_vcpu_op, VCPUOP_send_nmi, 1, ARG),
        -XEN_EINVAL);
    assert_false(d->vcpus[1]->nmi_pending);
    assert_int_equal(
        harness_hypercall(d, 0, __HYPERVISOR_vcpu_op, VCPUOP_send_nmi, 1, 0),
        0);
    assert_true(d->vcpus[1]->nmi_pending);
    assert_int_equal(kicks(d, 1), 1);
    /* A second NMI while one is pending is merged: no second kick. */
    assert_int_equal(
        harness_hypercall(d, 0, __HYPERVISOR_vcpu_op, VCPUOP_send_nmi, 1, 0),
        0);
    assert_int_equal(kicks(d, 1), 1);
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vcpu_op,
                                       VCPUOP_get_physid, 0, ARG),
                     -XEN_EINVAL);
    harness_domain_free(d);
}

/* The runstate (xen/common/sched/core.c:vcpu_runstate_get()) and its
 * registered copy (xen/arch/x86/domain.c:update_runstate_area()), in both
 * layouts. */
static void test_runstate(void **state)
{
    struct domain *d = harness_test_domain(2);
    struct vcpu_runstate_info r;
    struct compat_vcpu_runstate_info c;
    uint64_t area_gpa = (uint64_t)AREA_GFN << GUEST_PAGE_SHIFT;
    uint64_t handle = area_gpa;
    uint64_t args[5] = {VCPUOP_get_runstate_info, 1, ARG, 0, 0};
    struct hv_call call;

    (void)state;
    /* vCPU 0 runs from creation, vCPU 1 is offline. */
    assert_int_equal(vop(d, 0, VCPUOP_get_runstate_info, 0, NULL, 0), 0);
    assert_int_equal(gpa_read(d, &r, ARG, sizeof(r)), 0);
    assert_int_equal(r.state, RUNSTATE_running);
    assert_int_equal(vop(d, 0, VCPUOP_get_runstate_info, 1, NULL, 0), 0);
    assert_int_equal(gpa_read(d, &r, ARG, sizeof(r)), 0);
    assert_int_equal(r.state, RUNSTATE_offline);
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vcpu_op,
                                       VCPUOP_get_runstate_info, 0, BAD_GPA),
                     -XEN_EFAULT);

    /* Registered: written at once, then at every change of state. */
    assert_int_equal(vop(d, 0, VCPUOP_register_runstate_memory_area, 1, &handle,
                         sizeof(handle)),
                     0);
    assert_int_equal(gpa_read(d, &r, area_gpa, sizeof(r)), 0);
    assert_int_equal(r.state, RUNSTATE_offline);
    runstate_change(d->vcpus[1], RUNSTATE_blocked);
    assert_int_equal(gpa_read(d, &r, area_gpa, sizeof(r)), 0);
    assert_int_equal(r.state, RUNSTATE_blocked);
    assert_true(r.state_entry_time > 0);
    runstate_change(d->vcpus[1], RUNSTATE_running);
    assert_int_equal(gpa_read(d, &r, area_gpa, sizeof(r)), 0);
    assert_int_equal(r.state, RUNSTATE_running);
    assert_true(r.time[RUNSTATE_offline] + r.time[RUNSTATE_blocked] <=
                r.state_entry_time);

    /* Under VMASST_TYPE_runstate_update_flag the record ends up the same,
     * XEN_RUNSTATE_UPDATE clear again (the flag is set only while it is
     * written). */
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vm_assist,
                                       VMASST_CMD_enable,
                                       VMASST_TYPE_runstate_update_flag, 0),
                     0);
    runstate_change(d->vcpus[1], RUNSTATE_blocked);
    assert_int_equal(gpa_read(d, &r, area_gpa, sizeof(r)), 0);
    assert_int_equal(r.state, RUNSTATE_blocked);
    assert_int_equal(r.state_entry_time,
                     d->vcpus[1]->runstate.state_entry_time);
    assert_false(r.state_entry_time & XEN_RUNSTATE_UPDATE);
    runstate_change(d->vcpus[1], RUNSTATE_running);

    /* The 44-byte layout for a 32-bit shared_info. */
    domain_latch_shinfo_compat(d, true);
    hv_call_init(&call, d->vcpus[0], true, false, 0);
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_vcpu_op, args), 0);
    assert_int_equal(gpa_read(d, &c, ARG, sizeof(c)), 0);
    assert_int_equal(c.state, RUNSTATE_running);
    /* Unregistered with 0: later changes leave the old copy alone. */
    handle = 0;
    assert_int_equal(vop(d, 0, VCPUOP_register_runstate_memory_area, 1, &handle,
                         sizeof(handle)),
                     0);
    runstate_change(d->vcpus[1], RUNSTATE_offline);
    assert_int_equal(gpa_read(d, &r, area_gpa, sizeof(r)), 0);
    assert_int_equal(r.state, RUNSTATE_running);
    harness_domain_free(d);
}

/* VCPUOP_register_vcpu_time_memory_area (xen/arch/x86/domain.c,
 * xen/arch/x86/time.c:update_secondary_system_time()): the record is
 * copied at once, with an even version, and at every time update. */
static void test_time_area(void **state)
{
    struct domain *d = harness_test_domain(1);
    uint64_t area_gpa = (uint64_t)AREA_GFN << GUEST_PAGE_SHIFT;
    uint64_t handle = area_gpa;
    struct vcpu_time_info t;

    (void)state;
    vcpu_time_update(d->vcpus[0], 1000);
    assert_int_equal(vop(d, 0, VCPUOP_register_vcpu_time_memory_area, 0,
                         &handle, sizeof(handle)),
                     0);
    assert_int_equal(gpa_read(d, &t, area_gpa, sizeof(t)), 0);
    assert_int_equal(t.tsc_timestamp, 1000);
    assert_int_equal(t.version & 1, 0);
    vcpu_time_update(d->vcpus[0], 2000);
    assert_int_equal(gpa_read(d, &t, area_gpa, sizeof(t)), 0);
    assert_int_equal(t.tsc_timestamp, 2000);
    assert_int_equal(t.version & 1, 0);
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_vcpu_op,
                                       VCPUOP_register_vcpu_time_memory_area, 0,
                                       BAD_GPA),
                     -XEN_EFAULT);
    harness_domain_free(d);
}

/* Up to 4.18, VCPUOP_initialise of a vCPU still on the dummy vcpu_info
 * (id 32 and up) is -EINVAL (xen/common/domain.c:common_vcpu_op()); 4.19
 * dropped the check for HVM (commit 03e484a4f6). */
static void test_initialise_dummy_vcpu_info(void **state)
{
    static const struct {
        uint32_t version;
        long rc;
    } cases[] = {
        {XENEMU_VERSION(4, 17), -XEN_EINVAL},
        {XENEMU_VERSION(4, 18), -XEN_EINVAL},
        {XENEMU_VERSION(4, 19), 0},
    };
    struct vcpu_hvm_context c = ctx64();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct domain *d =
            harness_domain(harness_test_hv(),
                           &(struct harness_dom_opts){
                               .vcpus = 33, .xen_version = cases[i].version});

        assert_int_equal(initialise(d, 32, &c), cases[i].rc);
        assert_int_equal(initialise(d, 31, &c), 0);
        harness_domain_free(d);
    }
}

int main(void)
{
#define T(fn)                                                                  \
    cmocka_unit_test_setup_teardown(fn, harness_setup_hv, harness_teardown_hv)
    const struct CMUnitTest tests[] = {
        T(test_vcpu_id_before_command),
        T(test_up_down_is_up),
        T(test_initialise),
        T(test_register_moves_legacy_slot),
        T(test_events_reach_registered_area),
        T(test_register_dummy_vcpu),
        T(test_register_compat_layout),
        T(test_register_errors_417),
        T(test_register_errors_418),
        T(test_register_races_with_senders),
        T(test_singleshot_timer),
        T(test_singleshot_future_flag_by_version),
        T(test_singleshot_compat_size),
        T(test_singleshot_compat_order),
        T(test_periodic_timer),
        T(test_nmi_and_physid),
        T(test_runstate),
        T(test_time_area),
        T(test_initialise_dummy_vcpu_info),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
