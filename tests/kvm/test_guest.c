/*
 * test_guest.c: a tiny guest for the KVM backend alone, linked with
 * guest/arch/x86_64/ instead of the common guest kernel.  It exercises
 * each exit and op of backend/kvm once and prints what it saw:
 *
 *   CPUID leaves, the hypercall-page MSR, console_io (hypercall exits),
 *   add_to_physmap of shared_info into the hole (map_page), an upcall
 *   through the callback vector (EVTCHNOP_send to an IPI port: kick and
 *   KVM_INTERRUPT), a timer upcall while halted (set_timer_op + HLT exit +
 *   vtimer), SCHEDOP_block, a secondary vCPU (VCPUOP_initialise/up) and
 *   SCHEDOP_shutdown.  Command line "crash" ends with ud2 instead
 *   (exception path, debug exit port); "exit" with the debug port.
 *
 * Static data is fine here: this is not the common guest kernel.
 */
/* Xen's current interface: without it the public headers give the
 * pre-3.2 hypercall numbers (sched_op 6, event_channel_op 16). */
#ifndef __XEN_TOOLS__
#define __XEN_TOOLS__
#endif
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/arch-x86/hvm/start_info.h>

/* arch.h's header comment has a nested comment start that -Wcomment
 * rejects (to be fixed there; guest/platform.h works around it too). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcomment"
#include "arch.h"
#pragma GCC diagnostic pop
#include "xenemu/guest_abi.h"

#define VECTOR 0xf3

struct cpu {
    unsigned int id;
};

static struct cpu cpus[2];
static uint8_t ap_stack[16384] __attribute__((aligned(16)));
static struct shared_info *shinfo;
static volatile unsigned int upcalls, ap_upcalls, ap_online;
static volatile uint32_t pending_seen[4];

static size_t len_of(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

static void puts_(const char *s)
{
    arch_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, len_of(s),
                   arch_virt_to_phys(s), 0, 0);
}

static void put_num(const char *label, uint64_t v)
{
    char buf[64];
    size_t n = 0;
    char digits[24];
    int d = 0;

    while (*label)
        buf[n++] = *label++;
    do {
        digits[d++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (d)
        buf[n++] = digits[--d];
    buf[n++] = '\n';
    buf[n] = 0;
    puts_(buf);
}

static void fail(const char *why)
{
    puts_("FAIL: ");
    puts_(why);
    puts_("\n");
    long rc = arch_hypercall(
        __HYPERVISOR_sched_op, SCHEDOP_shutdown,
        arch_virt_to_phys(&(struct sched_shutdown){SHUTDOWN_crash}), 0, 0, 0);
    put_num("SCHEDOP_shutdown returned -", (uint64_t)-rc);
    arch_halt();
}

static uint64_t system_time_ns(void)
{
    struct vcpu_time_info *t = &shinfo->vcpu_info[0].time;
    uint32_t ver;
    uint64_t ns;

    do {
        ver = __atomic_load_n(&t->version, __ATOMIC_ACQUIRE);
        uint64_t delta = arch_rdtsc() - t->tsc_timestamp;

        if (t->tsc_shift >= 0)
            delta <<= t->tsc_shift;
        else
            delta >>= -t->tsc_shift;
        ns =
            t->system_time +
            (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((ver & 1) ||
             ver != __atomic_load_n(&t->version, __ATOMIC_RELAXED));
    return ns;
}

void kernel_upcall(void)
{
    struct vcpu_info *vi;
    unsigned long sel;
    struct cpu *c = arch_this_cpu();

    if (c->id != 0) {
        ap_upcalls++;
        shinfo->vcpu_info[c->id].evtchn_upcall_pending = 0;
        return;
    }
    vi = &shinfo->vcpu_info[0];
    __atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    for (unsigned int w = 0; w < 4 && sel; w++) {
        if (!(sel & (1ul << w)))
            continue;
        unsigned long bits = __atomic_exchange_n(&shinfo->evtchn_pending[w], 0,
                                                 __ATOMIC_SEQ_CST);
        pending_seen[w] |= (uint32_t)bits;
    }
    upcalls++;
}

_Noreturn void kernel_ap_main(struct cpu *c)
{
    if (arch_this_cpu() != c)
        fail("AP: arch_this_cpu");
    puts_("ap: vcpu 1 running kernel_ap_main\n");
    __atomic_store_n(&ap_online, 1, __ATOMIC_RELEASE);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static uint32_t find_xen(void)
{
    for (uint32_t base = XENEMU_CPUID_BASE; base < 0x40010000u; base += 0x100) {
        uint32_t r[4];

        arch_cpuid(base, 0, r);
        if (r[1] == XEN_CPUID_SIGNATURE_EBX &&
            r[2] == XEN_CPUID_SIGNATURE_ECX &&
            r[3] == XEN_CPUID_SIGNATURE_EDX && r[0] - base >= 2)
            return base;
    }
    return 0;
}

static long hc(unsigned int nr, uint64_t a1, uint64_t a2)
{
    return arch_hypercall(nr, a1, a2, 0, 0, 0);
}

static void wait_for(volatile unsigned int *counter, unsigned int target,
                     const char *what)
{
    /* sti; hlt: the VMM's HLT exit sleeps until the upcall. */
    for (unsigned int spins = 0; *counter < target; spins++) {
        if (spins > 1000)
            fail(what);
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
}

_Noreturn void kernel_main(struct hvm_start_info *si)
{
    uint32_t base, r[4];
    long rc;

    arch_set_this_cpu(&cpus[0]);
    base = find_xen();
    if (!base || arch_hypercall_page_init(base))
        arch_halt();
    arch_cpuid(base + 1, 0, r);
    puts_("test_guest: hello from KVM\n");
    put_num("xen version major: ", r[0] >> 16);
    if (si->magic != XEN_HVM_START_MAGIC_VALUE || si->version < 1)
        fail("start info");
    puts_("cmdline: ");
    puts_(arch_phys_to_virt(si->cmdline_paddr));
    puts_("\n");
    put_num("memmap entries: ", si->memmap_entries);

    const char *cmd = arch_phys_to_virt(si->cmdline_paddr);

    if (cmd[0] == 'c' && cmd[1] == 'r') {
        puts_("crashing on purpose\n");
        __asm__ volatile("ud2");
    }
    if (cmd[0] == 's' && cmd[1] == 'p')
        for (;;) /* spin at CPL0, interrupts off: only a stop ends this */
            __asm__ volatile("pause");
    if (cmd[0] == 'p' && cmd[1] == 'f')
        *(volatile int *)0x200000000ull = 1; /* above the 4 GiB map: #PF */
    if (cmd[0] == 'h' && cmd[1] == 'o')
        *(volatile int *)0xf1000000ull = 1; /* the hole, unmapped: MMIO */
    if (cmd[0] == 'e' && cmd[1] == 'x')
        __asm__ volatile("outb %0, %1" ::"a"((uint8_t)0),
                         "Nd"((uint16_t)XENEMU_DEBUG_EXIT_PORT));

    /* shared_info into the hole above RAM. */
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = XENEMU_GUEST_HOLE_GFN,
    };
    rc = hc(__HYPERVISOR_memory_op, XENMEM_add_to_physmap,
            arch_virt_to_phys(&xatp));
    if (rc)
        fail("add_to_physmap");
    shinfo = arch_phys_to_virt((uint64_t)XENEMU_GUEST_HOLE_GFN << 12);
    put_num("shared_info wc_sec readable: ", shinfo->wc_sec != 0);

    /* Upcall via an IPI port to ourselves. */
    struct xen_hvm_param p = {
        .domid = DOMID_SELF,
        .index = HVM_PARAM_CALLBACK_IRQ,
        .value = (2ull << 56) | VECTOR,
    };
    arch_install_upcall(VECTOR);
    if (hc(__HYPERVISOR_hvm_op, HVMOP_set_param, arch_virt_to_phys(&p)))
        fail("set callback vector");
    struct evtchn_bind_ipi ipi = {.vcpu = 0};
    rc = hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi,
            arch_virt_to_phys(&ipi));
    if (rc) {
        put_num("bind_ipi: -", (uint64_t)-rc);
        fail("bind_ipi");
    }
    struct evtchn_send send = {.port = ipi.port};
    if (hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send,
           arch_virt_to_phys(&send)))
        fail("send");
    arch_irq_enable();
    for (unsigned int i = 0; i < 1000 && !upcalls; i++)
        arch_relax();
    arch_irq_disable();
    if (!upcalls)
        fail("no upcall after EVTCHNOP_send");
    put_num("upcall on port ", ipi.port);
    if (!(pending_seen[0] & (1u << ipi.port)))
        fail("port not pending in the upcall");

    /* Timer while halted. */
    struct evtchn_bind_virq virq = {.virq = VIRQ_TIMER, .vcpu = 0};
    if (hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq,
           arch_virt_to_phys(&virq)))
        fail("bind_virq");
    uint64_t t0 = system_time_ns();
    unsigned int before = upcalls;
    if (hc(__HYPERVISOR_set_timer_op, t0 + 20000000ull, 0))
        fail("set_timer_op");
    wait_for(&upcalls, before + 1, "timer upcall while halted");
    uint64_t t1 = system_time_ns();
    put_num("timer upcall after ms: ", (t1 - t0) / 1000000);
    if (t1 - t0 < 19000000ull)
        fail("timer fired early");

    /* SCHEDOP_block with a timer: returns once the event is pending. */
    before = upcalls;
    if (hc(__HYPERVISOR_set_timer_op, system_time_ns() + 10000000ull, 0))
        fail("set_timer_op 2");
    hc(__HYPERVISOR_sched_op, SCHEDOP_block, 0);
    /* The event is pending: the upcall comes as soon as IF is set. */
    arch_irq_enable();
    for (unsigned int i = 0; i < 1000 && upcalls == before; i++)
        arch_relax();
    arch_irq_disable();
    if (upcalls == before)
        fail("no upcall after SCHEDOP_block");
    puts_("SCHEDOP_block woke on the timer\n");

    /* A secondary vCPU. */
    cpus[1].id = 1;
    rc = arch_start_cpu(1, &cpus[1], ap_stack + sizeof(ap_stack));
    if (rc)
        put_num("arch_start_cpu failed: -", (uint64_t)-rc);
    else {
        for (unsigned int i = 0; i < 200000 && !ap_online; i++)
            arch_relax();
        puts_(ap_online ? "vcpu 1 is online\n" : "vcpu 1 never came up\n");
    }

    put_num("upcalls: ", upcalls);
    puts_("test_guest: done\n");
    hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown,
       arch_virt_to_phys(&(struct sched_shutdown){SHUTDOWN_poweroff}));
    arch_halt();
}
