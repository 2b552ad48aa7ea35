/*
 * cpuid.c: the CPUID table each vCPU sees: what KVM supports on this host,
 * without KVM's own paravirtual leaves (0x40000000 up, "KVMKVMKVM"), plus
 * the Xen leaves the core answers (xen_cpuid(), the same as the sim
 * backend's), and the vCPU's own APIC id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "xenemu/cpuid.h"
#include "kvm.h"

/* The time leaf (base + 3) has three sub-leaves, every other leaf one. */
#define TIME_SUBLEAVES 3u
#define NR_XEN_LEAVES                                                          \
    (XEN_CPUID_MAX_LEAF - XENEMU_CPUID_BASE + 1 + TIME_SUBLEAVES - 1)

static bool hypervisor_range(uint32_t function)
{
    return function >= 0x40000000u && function < 0x50000000u;
}

int kvm_cpuid_init(struct kvm_vm *kvm, char *err, size_t len)
{
    struct kvm_cpuid2 *c = NULL;
    unsigned int n = 64, kept = 0;

    /* Grow the buffer until KVM stops answering E2BIG. */
    for (;;) {
        free(c);
        c = calloc(1, sizeof(*c) + (n + NR_XEN_LEAVES) * sizeof(c->entries[0]));
        if (!c) {
            snprintf(err, len, "out of memory");
            return -1;
        }
        c->nent = n;
        if (ioctl(kvm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
            break;
        if (errno != E2BIG || n >= 4096) {
            snprintf(err, len, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
            free(c);
            return -1;
        }
        n *= 2;
    }
    for (unsigned int i = 0; i < c->nent; i++)
        if (!hypervisor_range(c->entries[i].function))
            c->entries[kept++] = c->entries[i];
    c->nent = kept;
    kvm->cpuid = c;
    return 0;
}

int kvm_cpuid_set(struct kvm_vcpu *kv, char *err, size_t len)
{
    const struct kvm_cpuid2 *host = kv->vm->cpuid;
    struct kvm_cpuid2 *c;
    unsigned int n = host->nent;
    int rc = 0;

    c = calloc(1, sizeof(*c) + (n + NR_XEN_LEAVES) * sizeof(c->entries[0]));
    if (!c) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    memcpy(c->entries, host->entries, n * sizeof(c->entries[0]));
    for (unsigned int i = 0; i < n; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];

        if (e->function == 1) {
            e->ebx = (e->ebx & 0x00ffffffu) | kv->v->id << 24; /* APIC id */
            e->ecx |= 1u << 31; /* running under a hypervisor */
        } else if (e->function == 0xb || e->function == 0x1f) {
            e->edx = kv->v->id; /* x2APIC id */
        }
    }
    for (uint32_t leaf = XENEMU_CPUID_BASE; leaf <= XEN_CPUID_MAX_LEAF;
         leaf++) {
        uint32_t subleaves = leaf == XEN_CPUID_LEAF(3) ? TIME_SUBLEAVES : 1;

        /* Sub-leaves beyond these (and any of the others) are answered by
         * KVM with zeros, as xen_cpuid() and Xen do. */
        for (uint32_t sub = 0; sub < subleaves; sub++) {
            struct kvm_cpuid_entry2 *e = &c->entries[n++];
            uint32_t r[4] = {0};

            xen_cpuid(kv->v, leaf, sub, r);
            *e = (struct kvm_cpuid_entry2){.function = leaf,
                                           .index = sub,
                                           .flags =
                                               KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
                                           .eax = r[0],
                                           .ebx = r[1],
                                           .ecx = r[2],
                                           .edx = r[3]};
        }
    }
    c->nent = n;
    if (ioctl(kv->fd, KVM_SET_CPUID2, c) < 0) {
        snprintf(err, len, "vcpu%u: KVM_SET_CPUID2: %s", kv->v->id,
                 strerror(errno));
        rc = -1;
    }
    free(c);
    return rc;
}
