/*
 * arch.c: the guest kernel's machine layer for the host build that the sim
 * backend runs (guest/arch.h on top of <xenemu/guest_abi.h>).
 *
 * Here a "CPU" is a host thread whose stack lies in the domain's RAM, and
 * every privileged instruction is a call into backend/sim: the hypercall,
 * CPUID, WRMSR, the interrupt flag.  Guest-physical addresses are offsets
 * into RAM.  There is no IDT: the backend calls guest_sim_upcall() on the
 * vCPU's thread, like an interrupt, and that calls kernel_upcall().
 *
 * Several domains' kernels share this process, so nothing here is static:
 * per-vCPU state is the backend's (the cpu pointer), per-domain state is in
 * the domain's RAM.
 */
#include <stdio.h>
#include <stdlib.h>

/* arch.h and Xen's headers, through the guest's one way in (which also
 * works around arch.h's nested-comment warning). */
#include "platform.h"
#include "xenemu/x86.h"
#include "xenemu/guest_abi.h"

#define PAGE_SIZE 4096u

/* Control-register bits of the informational AP context. */

/* What a KVM guest would take as a #GP or triple fault: stop the process
 * with a message, since there is no guest console yet at that point. */
_Noreturn static void arch_fatal(const char *what)
{
    fprintf(stderr, "xenemu guest (sim): %s\n", what);
    abort();
}

long arch_hypercall(unsigned int nr, uint64_t a1, uint64_t a2, uint64_t a3,
                    uint64_t a4, uint64_t a5)
{
    const uint64_t args[5] = {a1, a2, a3, a4, a5};

    return xenemu_sim_hypercall(nr, args);
}

void arch_safe_block(void)
{
    const uint64_t args[5] = {SCHEDOP_block, 0, 0, 0, 0};

    xenemu_sim_hypercall_sti(__HYPERVISOR_sched_op, args);
}

void arch_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    xenemu_sim_cpuid(leaf, subleaf, regs);
}

/*
 * There is no page to fill: the sim hypercall is a direct call.  The MSR
 * is still written, as on KVM, because the write is what tells Xen the
 * guest's bitness (the 64-bit shared_info layout).  Its value names page
 * 0 of guest-physical memory, index 0: page 0 is in the reserved first
 * MiB, which the page allocator never hands out and the backend never
 * fills, so naming it costs nothing and needs no allocation.
 */
int arch_hypercall_page_init(uint32_t cpuid_base)
{
    uint32_t regs[4];

    if (!cpuid_base)
        return -XEN_ENODEV;
    arch_cpuid(cpuid_base + 2, 0, regs);
    if (regs[0] == 0)
        return -XEN_ENODEV; /* no hypercall page offered */
    if (xenemu_sim_wrmsr(regs[1], 0))
        arch_fatal("WRMSR of the hypercall page MSR faulted");
    return 0;
}

int arch_hypercall_page_at(uint32_t cpuid_base, uint64_t gpa, long *version)
{
    uint32_t regs[4];

    /* There is nothing in the page (the sim hypercall is a direct call):
     * the MSR taking the frame is all there is to check. */
    arch_cpuid(cpuid_base + 2, 0, regs);
    if (xenemu_sim_wrmsr(regs[1], gpa))
        return -XEN_EFAULT;
    *version =
        arch_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    return 0;
}

uint64_t arch_virt_to_phys(const void *p)
{
    uint64_t gpa = (uint64_t)((uintptr_t)p - (uintptr_t)xenemu_sim_ram_base());

    /* A round trip proves (p) is in RAM (not shadowed by an overlay). */
    if (xenemu_sim_phys_to_virt(gpa) != p)
        arch_fatal("arch_virt_to_phys: address outside guest RAM");
    return gpa;
}

void *arch_phys_to_virt(uint64_t gpa)
{
    return xenemu_sim_phys_to_virt(gpa);
}

void arch_image_range(uint64_t *start, uint64_t *end)
{
    /* The code is the host's: nothing of guest RAM holds the image. */
    *start = 0;
    *end = 0;
}

struct cpu *arch_this_cpu(void)
{
    return xenemu_sim_cpu_ptr();
}

void arch_set_this_cpu(struct cpu *c)
{
    xenemu_sim_set_cpu_ptr(c);
}

void arch_irq_disable(void)
{
    xenemu_sim_irq_disable();
}

void arch_irq_enable(void)
{
    xenemu_sim_irq_enable();
}

bool arch_irqs_enabled(void)
{
    return xenemu_sim_irqs_enabled() != 0;
}

void arch_install_upcall(uint8_t vector)
{
    /* The backend calls guest_sim_upcall() whatever the vector is. */
    (void)vector;
}

/*
 * The new vCPU's thread runs on a stack the backend gives it (in guest
 * RAM), and enters guest_sim_ap_entry(), which reads only RDI.  RSP and
 * the control registers are filled as for a 64-bit KVM start, for a
 * hypervisor that checks them; RIP is 0: there is no guest image.
 */
int arch_ap_context(unsigned int id, struct cpu *c, void *stack_top,
                    struct vcpu_hvm_context *ctx)
{
    struct vcpu_hvm_x86_64 *r = &ctx->cpu_regs.x86_64;

    (void)id;
    *ctx = (struct vcpu_hvm_context){.mode = VCPU_HVM_MODE_64B};
    r->rdi = arch_virt_to_phys(c);
    r->rsp = arch_virt_to_phys((const uint8_t *)stack_top - 1) + 1;
    r->rflags = X86_EFLAGS_FIXED; /* IF clear */
    r->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
    r->cr3 = XENEMU_BOOT_PAGETABLES;
    r->cr4 = X86_CR4_PAE;
    r->efer = EFER_LME | EFER_LMA;
    return 0;
}

uint64_t arch_rdtsc(void)
{
    return __builtin_ia32_rdtsc();
}

void arch_relax(void)
{
    __builtin_ia32_pause();
}

void arch_debug_putc(char c)
{
    xenemu_sim_debug_port((uint8_t)c);
}

_Noreturn void arch_halt(void)
{
    xenemu_sim_vcpu_exit();
}

/* ---- entry points for the backend ---- */

void guest_sim_boot(struct hvm_start_info *start_info)
{
    kernel_main(start_info);
}

void guest_sim_ap_entry(const struct vcpu_hvm_context *ctx)
{
    struct cpu *c = arch_phys_to_virt(ctx->cpu_regs.x86_64.rdi);

    if (!c)
        arch_fatal("secondary vCPU started without its struct cpu");
    kernel_ap_main(c);
}

void guest_sim_upcall(void)
{
    kernel_upcall();
}
