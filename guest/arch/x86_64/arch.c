/*
 * arch.c: guest/arch.h on a 64-bit KVM vCPU (entered as guest_abi.h says).
 *
 * The arch layer may keep static data (one domain per image): the GDT,
 * the IDT shared by every vCPU, and per-vCPU slots that GS points at.
 * Addresses: the VMM's page tables map the first 4 GiB 1:1, so a kernel
 * pointer is its guest-physical address.
 */
#include <stddef.h>
#include <stdint.h>

#include "platform.h"
#include "xenemu/x86.h"
#include "xenemu/guest_abi.h"

#define MAX_CPUS    128 /* DOMAIN_MAX_VCPUS */
#define MSR_GS_BASE 0xc0000101u

/* Linker script and entry.S symbols. */
extern char __image_start[], __image_end[];
extern uint8_t hypercall_page[4096];
extern const uint64_t arch_exception_stubs[32];
void upcall_entry(void);
void arch_ap_entry(void);

/* Null, 64-bit code, flat data: the accessed bits are preset so loading a
 * selector never writes the table. */
static uint64_t gdt[3] __attribute__((aligned(16))) = {
    0,
    0x00af9b000000ffffull,
    0x00cf93000000ffffull,
};

struct idt_gate {
    uint16_t off0;
    uint16_t sel;
    uint8_t ist;
    uint8_t type; /* present, DPL 0, 64-bit interrupt gate */
    uint16_t off1;
    uint32_t off2;
    uint32_t zero;
};
static struct idt_gate idt[256] __attribute__((aligned(16)));

/* %gs:0 of vCPU i is cpu_slot[i]: arch_this_cpu() is one load. */
static struct cpu *cpu_slot[MAX_CPUS];

/* Set once the hypercall page is filled: exceptions can print. */
static int hypercalls_ready;

struct __attribute__((packed)) desc_ptr {
    uint16_t limit;
    uint64_t base;
};

static void set_gate(unsigned int vec, void (*fn)(void))
{
    uint64_t a = (uint64_t)(uintptr_t)fn;

    idt[vec] = (struct idt_gate){
        .off0 = (uint16_t)a,
        .sel = XENEMU_BOOT_SEL_CODE,
        .type = 0x8e,
        .off1 = (uint16_t)(a >> 16),
        .off2 = (uint32_t)(a >> 32),
    };
}

static void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v),
                     "d"((uint32_t)(v >> 32))
                     : "memory");
}

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port) : "memory");
}

/* Called from entry.S on each vCPU, on its own stack, interrupts off:
 * load the GDT (and reload every segment from it), the IDT, and point GS
 * at this vCPU's slot. */
void arch_cpu_init(unsigned int id);
void arch_cpu_init(unsigned int id)
{
    struct desc_ptr g = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
    struct desc_ptr i = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};

    if (id == 0)
        for (unsigned int v = 0; v < 32; v++)
            set_gate(v, (void (*)(void))(uintptr_t)arch_exception_stubs[v]);
    __asm__ volatile("lgdt %0" ::"m"(g) : "memory");
    /* A far return reloads CS from our table, whatever the VMM put there. */
    __asm__ volatile("pushq %0\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:" ::"i"(XENEMU_BOOT_SEL_CODE)
                     : "rax", "memory");
    __asm__ volatile("movl %0, %%ds\n\t"
                     "movl %0, %%es\n\t"
                     "movl %0, %%ss\n\t"
                     "movl %0, %%fs\n\t"
                     "movl %0, %%gs" ::"r"(XENEMU_BOOT_SEL_DATA));
    __asm__ volatile("lidt %0" ::"m"(i) : "memory");
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)&cpu_slot[id < MAX_CPUS ? id : 0]);
}

/* entry.S, on a secondary vCPU after arch_cpu_init(). */
_Noreturn void arch_ap_main(struct cpu *c);
_Noreturn void arch_ap_main(struct cpu *c)
{
    arch_set_this_cpu(c);
    kernel_ap_main(c);
}

/* ---- hypercalls and CPUID ---- */

void arch_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]),
                       "=d"(regs[3])
                     : "a"(leaf), "c"(subleaf));
}

int arch_hypercall_page_init(uint32_t cpuid_base)
{
    uint32_t r[4];

    if (!cpuid_base)
        return -XEN_ENODEV;
    arch_cpuid(cpuid_base + 2, 0, r);
    if (r[0] < 1)
        return -XEN_ENODEV;
    /* Page index 0 in the low bits of the page's guest-physical address. */
    wrmsr(r[1], arch_virt_to_phys(hypercall_page));
    /* Every stub starts `mov $nr, %eax`; anything else: not filled. */
    if (__atomic_load_n(&hypercall_page[0], __ATOMIC_RELAXED) != 0xb8)
        return -XEN_EIO;
    hypercalls_ready = 1;
    return 0;
}

int arch_hypercall_page_at(uint32_t cpuid_base, uint64_t gpa, long *version)
{
    const uint8_t *page = (const uint8_t *)(uintptr_t)gpa; /* identity map */
    const uint8_t *iret = page + __HYPERVISOR_iret * XENEMU_HYPERCALL_STUB_SIZE;
    const uint8_t *xv =
        page + __HYPERVISOR_xen_version * XENEMU_HYPERCALL_STUB_SIZE;
    long (*call)(void);
    uint32_t r[4];

    arch_cpuid(cpuid_base + 2, 0, r);
    wrmsr(r[1], gpa); /* a refused frame is #GP: the test crashes */
    if (__atomic_load_n(&page[0], __ATOMIC_RELAXED) != 0xb8 ||
        __atomic_load_n(&iret[0], __ATOMIC_RELAXED) != 0x0f ||
        __atomic_load_n(&iret[1], __ATOMIC_RELAXED) != 0x0b)
        return -XEN_EIO;
    /* XENVER_version (0) needs no argument: EBX/RDI may hold anything. */
    call = (long (*)(void))(uintptr_t)xv;
    __asm__ volatile("xor %%edi, %%edi\n\tcall *%1"
                     : "=a"(*version)
                     : "r"(call)
                     : "rdi", "rsi", "rdx", "rcx", "r8", "r9", "r10", "r11",
                       "memory");
    return 0;
}

/* ---- addresses ---- */

uint64_t arch_virt_to_phys(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

void *arch_phys_to_virt(uint64_t gpa)
{
    return (void *)(uintptr_t)gpa;
}

void arch_image_range(uint64_t *start, uint64_t *end)
{
    *start = arch_virt_to_phys(__image_start);
    *end = arch_virt_to_phys(__image_end);
}

/* ---- per-vCPU pointer ---- */

struct cpu *arch_this_cpu(void)
{
    struct cpu *c;

    __asm__ volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}

void arch_set_this_cpu(struct cpu *c)
{
    __asm__ volatile("movq %0, %%gs:0" ::"r"(c) : "memory");
}

/* ---- interrupts ---- */

void arch_irq_disable(void)
{
    __asm__ volatile("cli" ::: "memory");
}

void arch_irq_enable(void)
{
    /*
     * A held-back upcall must arrive right after sti, as on hardware.  The
     * VMM asked KVM for an interrupt-window exit, but on this platform's
     * software KVM (kvm_pvm) that exit comes late, only at some later
     * exit: a short sti...cli window never sees the upcall, and a
     * SCHEDOP_block loop spins.  So, when interrupts were off, leave to
     * the VMM once after sti (the nop ends the sti shadow): at that exit
     * the VMM injects a pending upcall, delivered before the next
     * instruction.  A write to an unclaimed port costs one exit.
     */
    if (arch_irqs_enabled())
        return;
    __asm__ volatile("sti\n\tnop\n\toutb %%al, %0" ::"i"(XENEMU_IRQ_WINDOW_PORT)
                     : "rax", "memory");
}

void arch_safe_block(void)
{
    uint64_t rax = __HYPERVISOR_sched_op;

    /*
     * `sti` then the hypercall stub's own exit instruction (guest_abi.h):
     * the `out` runs in the sti shadow, so the VMM sees interrupts on and
     * no upcall was taken before it (on Xen this would be `sti; vmcall`).
     * Then the exit that lets the VMM inject an upcall the block returned
     * for (see arch_irq_enable()).
     */
    __asm__ volatile("sti\n\toutl %%eax, %[hc]\n\tnop\n\toutb %%al, %[win]"
                     : "+a"(rax)
                     : "D"((uint64_t)SCHEDOP_block),
                       "S"((uint64_t)0), [hc] "i"(XENEMU_HYPERCALL_PORT),
                       [win] "i"(XENEMU_IRQ_WINDOW_PORT)
                     : "memory");
}

bool arch_irqs_enabled(void)
{
    uint64_t flags;

    __asm__ volatile("pushfq\n\tpopq %0" : "=r"(flags));
    return flags & X86_EFLAGS_IF;
}

void arch_install_upcall(uint8_t vector)
{
    /* One IDT for all vCPUs: installing again is harmless. */
    set_gate(vector, upcall_entry);
}

/* ---- secondary vCPUs ---- */

int arch_ap_context(unsigned int id, struct cpu *c, void *stack_top,
                    struct vcpu_hvm_context *ctx)
{
    struct vcpu_hvm_x86_64 *r = &ctx->cpu_regs.x86_64;
    uint64_t cr0, cr3, cr4;

    if (id >= MAX_CPUS)
        return -XEN_EINVAL;
    __asm__ volatile("movq %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("movq %%cr3, %0" : "=r"(cr3));
    __asm__ volatile("movq %%cr4, %0" : "=r"(cr4));
    *ctx = (struct vcpu_hvm_context){.mode = VCPU_HVM_MODE_64B};
    r->cr0 = cr0;
    r->cr3 = cr3;
    r->cr4 = cr4;
    r->efer = rdmsr(MSR_EFER);
    r->rip = arch_virt_to_phys((const void *)(uintptr_t)arch_ap_entry);
    r->rsp = (uint64_t)(uintptr_t)stack_top & ~15ull;
    r->rdi = (uint64_t)(uintptr_t)c;
    r->rsi = id;
    r->rflags = X86_EFLAGS_FIXED;
    return 0;
}

/* ---- misc ---- */

uint64_t arch_rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

void arch_debug_putc(char c)
{
    outb(XEN_HVM_DEBUGCONS_IOPORT, (uint8_t)c);
}

void arch_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

/* The last resort when the domain cannot shut down through Xen (no
 * hypercall page, or SCHEDOP_shutdown failed): a triple fault, an empty IDT
 * then #UD, which Xen turns into the domain's HVM_PARAM_TRIPLE_FAULT_REASON
 * shutdown. */
_Noreturn void arch_halt(void)
{
    static const struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } no_idt = {0, 0};

    __asm__ volatile("cli\n\tlidt %0\n\tud2" ::"m"(no_idt) : "memory");
    for (;;)
        __asm__ volatile("hlt" ::: "memory");
}

/* ---- exceptions ---- */

/* What exc_common (entry.S) leaves on the stack, lowest address first. */
struct arch_exc_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

static size_t put_str(char *buf, size_t at, const char *s)
{
    while (*s)
        buf[at++] = *s++;
    return at;
}

static size_t put_hex(char *buf, size_t at, uint64_t v)
{
    buf[at++] = '0';
    buf[at++] = 'x';
    for (int shift = 60; shift >= 0; shift -= 4)
        buf[at++] = "0123456789abcdef"[(v >> shift) & 0xf];
    return at;
}

/* Called by exc_common; prints through CONSOLEIO_write and crashes the
 * domain with SCHEDOP_shutdown when hypercalls work, else prints on Xen's
 * HVM debug port and triple-faults (arch_halt()). */
_Noreturn void arch_exception(struct arch_exc_frame *f);
_Noreturn void arch_exception(struct arch_exc_frame *f)
{
    char line[160];
    size_t n = 0;
    uint64_t cr2;

    __asm__ volatile("movq %%cr2, %0" : "=r"(cr2));
    n = put_str(line, n, "guest exception ");
    n = put_hex(line, n, f->vector);
    n = put_str(line, n, " rip=");
    n = put_hex(line, n, f->rip);
    n = put_str(line, n, " err=");
    n = put_hex(line, n, f->error);
    n = put_str(line, n, " cr2=");
    n = put_hex(line, n, cr2);
    n = put_str(line, n, " rsp=");
    n = put_hex(line, n, f->rsp);
    line[n++] = '\n';
    if (hypercalls_ready) {
        struct sched_shutdown crash = {.reason = SHUTDOWN_crash};

        arch_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, n,
                       arch_virt_to_phys(line), 0, 0);
        arch_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown,
                       arch_virt_to_phys(&crash), 0, 0, 0);
    } else {
        for (size_t i = 0; i < n; i++)
            arch_debug_putc(line[i]);
    }
    arch_halt();
}
