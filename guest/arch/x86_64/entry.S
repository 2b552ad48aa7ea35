/*
 * entry.S: the guest kernel's entry points on KVM.
 *
 *   _start          vCPU 0, from the VMM (guest_abi.h): long mode, identity
 *                   page tables, RDI = hvm_start_info, no stack, no IDT
 *   arch_ap_entry   secondary vCPUs (VCPUOP_initialise context from
 *                   arch_ap_context): RDI = struct cpu, RSI = vCPU id,
 *                   RSP = the AP's stack top
 *   upcall_entry    the callback vector's IDT gate
 *   exc_N           exception gates 0-31 (arch.c reports and stops)
 *   arch_hypercall  a call through the hypercall page
 *   hypercall_page  the page the VMM fills on the MSR write
 *
 * No SSE anywhere: interrupt stubs save only the general registers.
 * Interrupt gates run with IF clear, and iretq restores the caller's IF.
 */

        .code64

/* ---- the xenemu image note (guest_abi.h: name "xenemu", type 1) ---- */
        .section .note.xenemu, "a"
        .balign 4
        .long 7                 /* namesz, with the NUL */
        .long 0                 /* descsz: no descriptor */
        .long 1                 /* XENEMU_ELFNOTE_GUEST */
        .asciz "xenemu"
        .balign 4

/* ---- boot ---- */
        .section .text.boot, "ax"
        .globl _start
_start:
        cli
        cld
        leaq    boot_stack_top(%rip), %rsp
        movq    %rdi, %r12      /* callee-saved: survives the call */
        xorl    %edi, %edi
        call    arch_cpu_init   /* GDT, IDT, GS base of vCPU 0 */
        movq    %r12, %rdi
        call    kernel_main
1:      cli
        hlt
        jmp     1b

        .globl arch_ap_entry
arch_ap_entry:
        cli
        cld
        movq    %rdi, %r12
        movl    %esi, %edi
        call    arch_cpu_init   /* GDT, IDT, GS base of this vCPU */
        movq    %r12, %rdi
        call    arch_ap_main    /* arch.c: this CPU's pointer, then the kernel */
1:      cli
        hlt
        jmp     1b

/* ---- the callback vector ----
 * The CPU aligned RSP to 16 and pushed 5 words (40 bytes): 9 pushes more
 * (72) make RSP 16-aligned again for the call. */
        .text
        .globl upcall_entry
upcall_entry:
        pushq   %rax
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        cld
        call    kernel_upcall
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rax
        iretq

/* ---- exceptions ----
 * Each stub makes the frame uniform (a zero error code where the CPU
 * pushes none), pushes its vector and saves every general register, then
 * hands arch_exception() a struct arch_exc_frame (arch.c).  It does not
 * return. */
        .macro EXC vec, has_err
exc_\vec:
        .if !\has_err
        pushq   $0
        .endif
        pushq   $\vec
        jmp     exc_common
        .endm

        EXC 0, 0
        EXC 1, 0
        EXC 2, 0
        EXC 3, 0
        EXC 4, 0
        EXC 5, 0
        EXC 6, 0
        EXC 7, 0
        EXC 8, 1
        EXC 9, 0
        EXC 10, 1
        EXC 11, 1
        EXC 12, 1
        EXC 13, 1
        EXC 14, 1
        EXC 15, 0
        EXC 16, 0
        EXC 17, 1
        EXC 18, 0
        EXC 19, 0
        EXC 20, 0
        EXC 21, 1
        EXC 22, 0
        EXC 23, 0
        EXC 24, 0
        EXC 25, 0
        EXC 26, 0
        EXC 27, 0
        EXC 28, 0
        EXC 29, 1
        EXC 30, 1
        EXC 31, 0

exc_common:
        pushq   %rax
        pushq   %rbx
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %rbp
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, %rdi
        andq    $-16, %rsp
        cld
        call    arch_exception
1:      cli
        hlt
        jmp     1b

/* The gate addresses, in vector order, for arch.c's IDT. */
        .section .rodata
        .balign 8
        .globl arch_exception_stubs
arch_exception_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad   exc_\v
        .endr

/* ---- hypercalls ----
 * long arch_hypercall(unsigned nr, a1, a2, a3, a4, a5): the C arguments
 * (EDI, RSI, RDX, RCX, R8, R9) move to Xen's (EAX = nr, RDI, RSI, RDX,
 * R10, R8), then `call hypercall_page + nr * 32`.  Every register touched
 * is caller-saved in the C ABI. */
        .text
        .globl arch_hypercall
arch_hypercall:
        movl    %edi, %eax
        movq    %rsi, %rdi
        movq    %rdx, %rsi
        movq    %rcx, %rdx
        movq    %r8, %r10
        movq    %r9, %r8
        cmpl    $128, %eax      /* 4096 / 32 stubs */
        jae     1f
        shlq    $5, %rax
        leaq    hypercall_page(%rip), %r11
        addq    %r11, %rax
        call    *%rax
        ret
1:      movq    $-38, %rax      /* -XEN_ENOSYS */
        ret

/* Filled by the VMM on the MSR write; ud2 until then, so a call before
 * arch_hypercall_page_init() faults visibly (#UD). */
        .section .text.hypercall_page, "ax"
        .balign 4096
        .globl hypercall_page
hypercall_page:
        .rept 2048
        ud2
        .endr

/* ---- vCPU 0's boot stack ---- */
        .section .bss
        .balign 4096
boot_stack:
        .skip 16384
boot_stack_top:

        .section .note.GNU-stack, "", @progbits
