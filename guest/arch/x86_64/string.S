/*
 * string.S: memcpy, memset, memmove and memcmp for the freestanding image
 * (the compiler may also emit calls to them for struct copies).
 *
 * In assembly rather than C so the compiler cannot turn a loop back into
 * a call to the function itself.  The rep string instructions are one
 * instruction each for the emulator that runs guest CPL0 code on this
 * platform (host-kvm.md), far cheaper there than a loop.  The direction
 * flag is clear in all guest code (every entry point does cld).
 */

        .code64
        .text

/* void *memcpy(void *dst, const void *src, size_t n) */
        .globl memcpy
memcpy:
        movq    %rdi, %rax
        movq    %rdx, %rcx
        shrq    $3, %rcx
        rep movsq
        movq    %rdx, %rcx
        andq    $7, %rcx
        rep movsb
        ret

/* void *memset(void *dst, int c, size_t n) */
        .globl memset
memset:
        movq    %rdi, %r9
        movzbl  %sil, %eax
        movabsq $0x0101010101010101, %r8
        imulq   %r8, %rax
        movq    %rdx, %rcx
        shrq    $3, %rcx
        rep stosq
        movq    %rdx, %rcx
        andq    $7, %rcx
        rep stosb
        movq    %r9, %rax
        ret

/* void *memmove(void *dst, const void *src, size_t n): forwards unless dst
 * overlaps the end of src, then backwards a byte at a time. */
        .globl memmove
memmove:
        movq    %rdi, %rax
        movq    %rdi, %r8
        subq    %rsi, %r8
        cmpq    %rdx, %r8       /* (dst - src) >= n, unsigned: no overlap */
        jae     memcpy
        leaq    -1(%rdi,%rdx), %rdi
        leaq    -1(%rsi,%rdx), %rsi
        movq    %rdx, %rcx
        std
        rep movsb
        cld
        ret

/* int memcmp(const void *a, const void *b, size_t n) */
        .globl memcmp
memcmp:
        xorl    %eax, %eax
        testq   %rdx, %rdx
        jz      2f
        movq    %rdx, %rcx
        repe cmpsb
        je      2f
        movzbl  -1(%rdi), %eax
        movzbl  -1(%rsi), %ecx
        subl    %ecx, %eax
2:      ret

        .section .note.GNU-stack, "", @progbits
