/*
 * arch.h: what the guest kernel needs from the machine it runs on.
 *
 * The guest kernel (the C files of guest/) is written once against these
 * functions and built twice: with guest/arch/x86_64/ into a 64-bit image that
 * KVM runs, and with guest/arch/sim/ into the host build that backend/sim runs
 * as host threads.  Nothing outside guest/arch/ knows which build it is in.
 *
 * Rule for both builds: the guest kernel has no mutable static data.  The
 * sim backend runs several domains' kernels in one process, so every piece
 * of state lives in struct kernel or struct cpu (guest/kernel.h), allocated
 * from the domain's own RAM.  The build checks this (no .data/.bss).
 */
#ifndef XENEMU_GUEST_ARCH_H
#define XENEMU_GUEST_ARCH_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

/* Hypercall (nr) with up to five arguments, through the hypercall page
 * (KVM) or the sim backend.  Returns RAX: >= 0 or a negative Xen errno.
 * arch_hypercall_page_init() must have run first. */
long arch_hypercall(unsigned int nr, uint64_t a1, uint64_t a2, uint64_t a3,
                    uint64_t a4, uint64_t a5);

/* Find the Xen CPUID base (0 if not running on Xen) and fill in the
 * hypercall page (WRMSR to the MSR that leaf base+2 names).  Returns 0 or
 * a negative errno. */
void arch_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
int arch_hypercall_page_init(uint32_t cpuid_base);

/* Guest-physical <-> guest-kernel addresses.  Every address handed to Xen
 * is guest-physical: arch_virt_to_phys() of memory from the kernel's page
 * allocator or stack.  arch_phys_to_virt() also reaches hypervisor pages
 * the guest mapped above RAM (shared_info). */
uint64_t arch_virt_to_phys(const void *p);
void *arch_phys_to_virt(uint64_t gpa);

/* Extent of the loaded image in guest-physical memory (empty in sim), so
 * the page allocator does not hand it out. */
void arch_image_range(uint64_t *start, uint64_t *end);

/* This vCPU's struct cpu (GS base on KVM, thread pointer in sim). */
struct cpu *arch_this_cpu(void);
void arch_set_this_cpu(struct cpu *c);

/* The interrupt flag: while disabled, the callback vector is held back
 * (KVM: cli/sti; sim: a per-thread flag).  Enabling delivers a held-back
 * upcall at once. */
void arch_irq_disable(void);
void arch_irq_enable(void);
bool arch_irqs_enabled(void);

/*
 * Idle until an upcall: enable interrupts and issue SCHEDOP_block as one
 * step, so that no upcall can slip in between and be missed (KVM: `sti`
 * directly followed by the hypercall's exit instruction, which runs in the
 * sti shadow; sim: xenemu_sim_hypercall_sti()).  Xen ends an HVM vCPU's
 * block at once only for an upcall it can deliver, that is with interrupts
 * on: blocking with them off would sleep through a pending upcall, and
 * enabling them first would let one be taken just before the block, which
 * then sleeps although the work it brought is done.  Called with
 * interrupts disabled; returns with them enabled and any upcall taken.
 */
void arch_safe_block(void);

/* Route the callback vector (vector) to kernel_upcall() (KVM: an IDT
 * gate; sim: recorded).  Called once per vCPU, before interrupts are
 * enabled. */
void arch_install_upcall(uint8_t vector);

/* Fill (ctx), the VCPUOP_initialise state in which secondary vCPU (id)
 * starts running kernel_ap_main(c) on the stack whose top is (stack_top).
 * 0, or -XEN_EINVAL for an id the arch cannot run. */
struct vcpu_hvm_context;
int arch_ap_context(unsigned int id, struct cpu *c, void *stack_top,
                    struct vcpu_hvm_context *ctx);

/* The timestamp counter, for pvclock (rdtsc on both builds). */
uint64_t arch_rdtsc(void);

/* Spin-wait hint (pause). */
void arch_relax(void);

/* Ask Xen for a second hypercall page at guest-physical (gpa) (the MSR
 * from CPUID base+2, as arch_hypercall_page_init() does): 0 if Xen took
 * it, and on KVM if stub 0 and iret's `ud2` stub are there and a
 * xen_version call through it answers (xen_version's result in
 * *version); hypercalls keep using the first page. */
int arch_hypercall_page_at(uint32_t cpuid_base, uint64_t gpa, long *version);

/* Write (c) to Xen's HVM debug console, I/O port 0xe9
 * (XEN_HVM_DEBUGCONS_IOPORT): usable before hypercalls are. */
void arch_debug_putc(char c);

/* Last resort when even SCHEDOP_shutdown failed: stop this vCPU. */
_Noreturn void arch_halt(void);

/* ---- Provided by the guest kernel, called by arch code ---- */

/* Boot vCPU 0 with the start info's guest-kernel address. */
struct hvm_start_info;
_Noreturn void kernel_main(struct hvm_start_info *si);
/* First code of a secondary vCPU, on its own stack. */
_Noreturn void kernel_ap_main(struct cpu *c);
/* The callback vector fired: scan and dispatch events.  Runs with
 * interrupts disabled. */
void kernel_upcall(void);

#endif /* XENEMU_GUEST_ARCH_H */
