/*
 * boot.c: what the guest finds when it starts (guest_abi.h, "Booting on
 * KVM"): the hvm_start_info with its command line and memory map, the
 * identity page tables, and the register state of vCPU 0 (at the image's
 * entry) and of secondary vCPUs (from VCPUOP_initialise's context).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"
#include "../common/boot_info.h"
#include "xenemu/x86.h"

#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}

int kvm_write_boot_info(struct kvm_vm *kvm, const char *cmdline, char *err,
                        size_t len)
{
    const struct domain_e820 map[2] = {
        {0, XENEMU_BOOT_KERNEL_MIN, E820_RESERVED},
        {XENEMU_BOOT_KERNEL_MIN, kvm->ram_size - XENEMU_BOOT_KERNEL_MIN,
         E820_RAM},
    };
    uint8_t *ram = kvm->ram;

    if (boot_info_write(kvm->vm.d, cmdline, map, 2, err, len))
        return -1;

    /* 4 GiB identity map with 2 MiB pages: PML4, PDPT, 4 PDs. */
    uint8_t *pt = ram + XENEMU_BOOT_PAGETABLES;
    const uint64_t pt_gpa = XENEMU_BOOT_PAGETABLES;

    memset(pt, 0, 6 * 4096);
    put64(pt, (pt_gpa + 0x1000) | PTE_P | PTE_RW);
    for (uint64_t i = 0; i < 4; i++) {
        put64(pt + 0x1000 + i * 8,
              (pt_gpa + 0x2000 + i * 0x1000) | PTE_P | PTE_RW);
        for (uint64_t j = 0; j < 512; j++)
            put64(pt + 0x2000 + i * 0x1000 + j * 8,
                  (i << 30 | j << 21) | PTE_P | PTE_RW | PTE_PS);
    }
    return 0;
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, bool code,
                         bool is64)
{
    *s = (struct kvm_segment){
        .base = 0,
        .limit = 0xffffffff,
        .selector = sel,
        .type = code ? 0xb : 0x3, /* execute/read or read/write, accessed */
        .present = 1,
        .dpl = 0,
        .db = code && is64 ? 0 : 1,
        .s = 1,
        .l = code && is64,
        .g = 1,
    };
}

/* Segment and control registers for (mode); the rest as KVM has them. */
static void mode_sregs(struct kvm_sregs *s, bool is64)
{
    flat_segment(&s->cs, XENEMU_BOOT_SEL_CODE, true, is64);
    flat_segment(&s->ds, XENEMU_BOOT_SEL_DATA, false, is64);
    s->es = s->fs = s->gs = s->ss = s->ds;
    /* No GDT or IDT (empty limits: a selector load or an exception before
     * the guest loads its own faults instead of reading gpa 0). */
    s->gdt.base = s->idt.base = 0;
    s->gdt.limit = s->idt.limit = 0;
}

bool kvm_vcpu_long_mode(const struct kvm_sregs *s)
{
    /* Real-guests.md: the 64-bit ABI only when EFER.LMA and CS.L. */
    return (s->efer & EFER_LMA) && s->cs.l;
}

static int set_state(struct kvm_vcpu *kv, const struct kvm_sregs *s,
                     const struct kvm_regs *r, char *err, size_t len)
{
    if (ioctl(kv->fd, KVM_SET_SREGS, s) < 0 ||
        ioctl(kv->fd, KVM_SET_REGS, r) < 0) {
        snprintf(err, len, "vcpu%u: setting registers: %s", kv->v->id,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int kvm_setup_boot_vcpu(struct kvm_vcpu *kv, char *err, size_t len)
{
    const struct elf_image *img = &kv->vm->image;
    bool is64 = img->mode == ELF_IMAGE_64;
    struct kvm_sregs s;
    struct kvm_regs r = {
        .rip = img->entry,
        .rflags = X86_EFLAGS_FIXED,
        .rbx = XENEMU_BOOT_START_INFO,
        .rdi = XENEMU_BOOT_START_INFO,
    };

    if (ioctl(kv->fd, KVM_GET_SREGS, &s) < 0) {
        snprintf(err, len, "vcpu0: KVM_GET_SREGS: %s", strerror(errno));
        return -1;
    }
    mode_sregs(&s, is64);
    if (is64) {
        s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |
                X86_CR0_PG;
        s.cr3 = XENEMU_BOOT_PAGETABLES;
        s.cr4 = X86_CR4_PAE;
        s.efer = EFER_LME | EFER_LMA;
    } else {
        /* PVH: flat protected mode, paging off. */
        s.cr0 = X86_CR0_PE | X86_CR0_ET;
        s.cr3 = s.cr4 = s.efer = 0;
    }
    return set_state(kv, &s, &r, err, len);
}

int kvm_setup_ap_vcpu(struct kvm_vcpu *kv, char *err, size_t len)
{
    const struct vcpu_hvm_context *ctx = &kv->v->hvm_ctx;
    const struct vcpu_hvm_x86_64 *c = &ctx->cpu_regs.x86_64;
    struct kvm_sregs s;
    struct kvm_regs r;

    /* The core accepts 32-bit contexts too (Xen does); entering 32-bit
     * paged modes is unreliable here (host-kvm.md), so only 64B runs. */
    if (ctx->mode != VCPU_HVM_MODE_64B) {
        snprintf(err, len,
                 "vcpu%u: VCPUOP_initialise mode %u unsupported "
                 "(only VCPU_HVM_MODE_64B)",
                 kv->v->id, ctx->mode);
        return -1;
    }
    if (ioctl(kv->fd, KVM_GET_SREGS, &s) < 0) {
        snprintf(err, len, "vcpu%u: KVM_GET_SREGS: %s", kv->v->id,
                 strerror(errno));
        return -1;
    }
    mode_sregs(&s, true);
    s.cr0 = c->cr0;
    s.cr3 = c->cr3;
    s.cr4 = c->cr4;
    s.efer = c->efer | EFER_LMA; /* long mode is active: CR0.PG is set */
    r = (struct kvm_regs){
        .rax = c->rax,
        .rcx = c->rcx,
        .rdx = c->rdx,
        .rbx = c->rbx,
        .rsp = c->rsp,
        .rbp = c->rbp,
        .rsi = c->rsi,
        .rdi = c->rdi,
        .rip = c->rip,
        .rflags = c->rflags | X86_EFLAGS_FIXED,
    };
    return set_state(kv, &s, &r, err, len);
}
