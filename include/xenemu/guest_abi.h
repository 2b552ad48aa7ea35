/*
 * guest_abi.h: the one interface between xenemu's host side (backend/kvm,
 * backend/sim) and its guest side (guest/).
 *
 * Everything a guest sees of Xen itself comes from Xen's public headers:
 * CPUID leaves, the hypercall page MSR, struct hvm_start_info, the hypercall
 * numbers.  What is xenemu's own is here: how the hypercall page's stubs
 * leave the guest (KVM), where the boot structures lie in guest-physical
 * memory, and the entry points through which the sim backend runs the host
 * build of the guest kernel.  Freestanding: the guest includes it too.
 */
#ifndef XENEMU_GUEST_ABI_H
#define XENEMU_GUEST_ABI_H

#include <stdint.h>

#include <xen/arch-x86/cpuid.h>

/* ---- Finding Xen (both backends) ---- */

/* The Xen CPUID leaves start here ("XenVMMXenVMM"), as on Xen. */
#define XENEMU_CPUID_BASE XEN_CPUID_FIRST_LEAF
/* The hypercall-page MSR named by CPUID leaf base+2 EBX: Xen's usual index,
 * which some guests (Solo5) write without reading the leaf. */
#define XENEMU_HYPERCALL_MSR 0x40000000u

/* ---- The hypercall page on KVM ----
 *
 * `vmcall` never reaches user space on our KVM (host-kvm.md), so each
 * 32-byte stub i of the page is
 *     mov $i, %eax           b8 <i:le32>
 *     out %eax, $PORT        e7 <PORT>
 *     ret                    c3
 * and the VMM, on the port-I/O exit, reads the arguments from the
 * registers (RDI RSI RDX R10 R8 in 64-bit mode, EBX ECX EDX ESI EDI in
 * 32-bit mode), runs the hypercall and writes RAX.  The same bytes work in
 * both modes.  The stub of iret (23), which must not be called through the
 * page, is `ud2`, as in Xen's HVM hypercall page. */
#define XENEMU_HYPERCALL_PORT      0xe8u
#define XENEMU_HYPERCALL_STUB_SIZE 32u

/* Port 0xe9 is Xen's HVM debug console (XEN_HVM_DEBUGCONS_IOPORT): bytes
 * written there go to the domain's console log.  A guest ends with
 * SCHEDOP_shutdown, or, without hypercalls, a triple fault. */

/* A port the VMM does not claim: writing it is only an exit, at which the
 * VMM injects a pending upcall.  On this platform's KVM the interrupt-window
 * exit requested while interrupts were off comes late (at some later exit,
 * not right after `sti`), so the guest's irq-enable is `sti; nop; out` when
 * it re-enables interrupts (guest/arch/x86_64/arch.c). */
#define XENEMU_IRQ_WINDOW_PORT 0xeau

/* ---- Booting on KVM ----
 *
 * The VMM loads the ELF image by its program headers' physical addresses
 * (64-bit images at XENEMU_BOOT_KERNEL_MIN or above), then enters it at
 * e_entry in 64-bit long mode, CPL0, interrupts off, with:
 *   - identity-mapped page tables for the first 4 GiB (2 MiB pages, all
 *     writable) at XENEMU_BOOT_PAGETABLES, CR3 pointing at them;
 *   - a flat 64-bit code segment and flat data segments, no IDT (the
 *     guest loads its own before enabling interrupts);
 *   - RDI = RBX = guest-physical address of a struct hvm_start_info
 *     (version 1) with the command line and a memory map (PVH's boot
 *     structure, entered in 64-bit mode instead of 32-bit);
 *   - RSP = 0: the guest sets up its own stack.
 * Secondary vCPUs start as VCPUOP_initialise's struct vcpu_hvm_context
 * (VCPU_HVM_MODE_64B) says, once VCPUOP_up is called.
 *
 * Guest-physical layout below 1 MiB (all of it marked reserved in the
 * memory map):
 */
/* The flat segments' selectors the VMM loads (and the guest's own GDT
 * keeps, so the loaded values stay valid). */
#define XENEMU_BOOT_SEL_CODE    0x08u
#define XENEMU_BOOT_SEL_DATA    0x10u
#define XENEMU_BOOT_START_INFO  0x1000u /* struct hvm_start_info */
#define XENEMU_BOOT_MEMMAP      0x2000u /* hvm_memmap_table_entry[] */
#define XENEMU_BOOT_MEMMAP_MAX  16u
#define XENEMU_BOOT_CMDLINE     0x3000u /* NUL-terminated, <= 2 KiB */
#define XENEMU_BOOT_CMDLINE_MAX 2048u
#define XENEMU_BOOT_PAGETABLES  0x10000u /* PML4, PDPT, 4 PDs: 6 pages */
#define XENEMU_BOOT_KERNEL_MIN  0x100000u
/* Guest frames from here up (above RAM) are where the guest kernel maps
 * hypervisor pages (shared_info): a hole, never RAM. */
#define XENEMU_GUEST_HOLE_GFN 0xf0000u /* 3.75 GiB */

/* ---- Marking a xenemu guest image ----
 *
 * The image carries an ELF note (name "xenemu", type 1, no descriptor) so
 * that the sim backend, which runs the host build linked into xenemu
 * instead of loading code, can refuse a config whose kernel is some other
 * guest. */
#define XENEMU_ELFNOTE_NAME  "xenemu"
#define XENEMU_ELFNOTE_GUEST 1u

/* ---- The sim backend's entry points (host build only) ----
 *
 * The host build of the guest kernel is linked into xenemu.  The sim
 * backend runs each vCPU as a host thread whose stack lies in guest RAM,
 * and enters the guest through these functions (defined by guest/); the
 * guest leaves through xenemu_sim_*() (defined by backend/sim).  Guest
 * "physical" addresses are offsets into the domain's RAM. */
struct hvm_start_info;
struct vcpu_hvm_context;

/* Guest side: boot vCPU 0 (start_info is a host pointer into guest RAM
 * at XENEMU_BOOT_START_INFO).  Returns only if the guest fails to shut
 * down. */
void guest_sim_boot(struct hvm_start_info *start_info);
/* Guest side: start a secondary vCPU that VCPUOP_up brought up, with the
 * context of its VCPUOP_initialise.  The thread already runs on a stack in
 * guest RAM given by the backend, so only the context's RDI (a
 * guest-physical argument for the entry) means anything here; its RIP and
 * RSP are the KVM build's. */
void guest_sim_ap_entry(const struct vcpu_hvm_context *ctx);
/* Guest side: the callback vector's handler, called like an interrupt on
 * the vCPU's own thread with the vCPU's interrupts disabled. */
void guest_sim_upcall(void);

/* Host side: the hypercall instruction. */
long xenemu_sim_hypercall(unsigned int nr, const uint64_t args[5]);
/* Host side: `sti` directly followed by the hypercall instruction, as one
 * step: no upcall is taken in between (the KVM guest gets the same from
 * the sti shadow).  This is how an HVM vCPU blocks (SCHEDOP_block) without
 * missing an upcall. */
long xenemu_sim_hypercall_sti(unsigned int nr, const uint64_t args[5]);
/* Host side: `out` of one byte to Xen's HVM debug port (0xe9), as the KVM
 * backend takes it. */
void xenemu_sim_debug_port(uint8_t byte);
/* Host side: CPUID and WRMSR as the KVM backend answers them. */
void xenemu_sim_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
int xenemu_sim_wrmsr(uint32_t msr, uint64_t value);
/* Host side: this vCPU's interrupt flag (sti/cli).  Enabling delivers a
 * pending upcall before returning, as sti does. */
void xenemu_sim_irq_enable(void);
void xenemu_sim_irq_disable(void);
int xenemu_sim_irqs_enabled(void);
/* Host side: host address of guest-physical (gpa) of the calling vCPU's
 * domain, NULL if it is neither RAM nor a mapped hypervisor page. */
void *xenemu_sim_phys_to_virt(uint64_t gpa);
/* Host side: base of the calling vCPU's guest RAM (gpa 0). */
void *xenemu_sim_ram_base(void);
/* Host side: this vCPU's guest-private pointer (the guest kernel's per-CPU
 * state), like a GS base. */
void xenemu_sim_set_cpu_ptr(void *p);
void *xenemu_sim_cpu_ptr(void);
/* Host side: stop the vCPU thread for good (after SCHEDOP_shutdown or
 * VCPUOP_down of itself). */
_Noreturn void xenemu_sim_vcpu_exit(void);

#endif /* XENEMU_GUEST_ABI_H */
