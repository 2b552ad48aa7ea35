/*
 * hyp.c: Xen discovery and the boot-time hypervisor set-up calls.
 */
#include <stdint.h>
#include <xen/hvm/hvm_info_table.h>

#include "hypercall.h"
#include "lib.h"
#include "hyp.h"

/* CPUID leaves searched for Xen's signature, as Linux does: Xen moves its
 * leaves up by 0x100 when it also offers Viridian's. */
#define CPUID_SEARCH_FIRST 0x40000000u
#define CPUID_SEARCH_LAST  0x4000ff00u
#define CPUID_SEARCH_STEP  0x100u

/* HVM_PARAM_CALLBACK_IRQ's type field: bits 63:56, as the header's
 * HVM_PARAM_CALLBACK_IRQ_TYPE_MASK says (it names no shift). */
#define CALLBACK_TYPE_SHIFT 56

uint32_t hyp_cpuid_base(void)
{
    for (uint32_t base = CPUID_SEARCH_FIRST; base <= CPUID_SEARCH_LAST;
         base += CPUID_SEARCH_STEP) {
        uint32_t r[4];

        arch_cpuid(base, 0, r);
        /* The signature: EBX ECX EDX = "XenV" "MMXe" "nVMM", and at least
         * the hypercall-page leaf (base + 2). */
        if (r[1] == XEN_CPUID_SIGNATURE_EBX &&
            r[2] == XEN_CPUID_SIGNATURE_ECX &&
            r[3] == XEN_CPUID_SIGNATURE_EDX && r[0] >= base + 2)
            return base;
    }
    return 0;
}

uint32_t hyp_cpuid_version(uint32_t base)
{
    uint32_t r[4];

    arch_cpuid(base + 1, 0, r);
    return r[0];
}

uint32_t hyp_cpuid_domid(uint32_t base)
{
    uint32_t r[4];

    arch_cpuid(base, 0, r);
    if (r[0] < base + 4)
        return DOMID_SELF;
    arch_cpuid(base + 4, 0, r);
    return (r[0] & XEN_HVM_CPUID_DOMID_PRESENT) ? (r[2] & 0xffffu) : DOMID_SELF;
}

struct shared_info *hyp_map_shared_info(long *rc)
{
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = XENEMU_GUEST_HOLE_GFN,
    };

    *rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);
    if (*rc < 0)
        return NULL;
    return arch_phys_to_virt((uint64_t)XENEMU_GUEST_HOLE_GFN << PAGE_SHIFT);
}

unsigned int hyp_count_vcpus(void)
{
    unsigned int n = 0;

    /* is_up answers 0 or 1 for every vCPU the domain has, -ENOENT past
     * the last. */
    while (n < HVM_MAX_VCPUS && HYPERVISOR_vcpu_op(VCPUOP_is_up, n, NULL) >= 0)
        n++;
    return n;
}

long hyp_register_vcpu_info(struct cpu *c, struct vcpu_info *info)
{
    uint64_t gpa = arch_virt_to_phys(info);
    struct vcpu_register_vcpu_info reg = {
        .mfn = gpa >> PAGE_SHIFT,
        .offset = (uint32_t)(gpa & (PAGE_SIZE - 1)),
    };
    long rc = HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, c->id, &reg);

    if (rc == 0)
        c->vcpu_info = info;
    return rc;
}

long hyp_features(uint32_t *map)
{
    struct xen_feature_info fi = {.submap_idx = 0};
    long rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);

    if (rc == 0)
        *map = fi.submap;
    return rc;
}

long hyp_set_callback_vector(uint8_t vector)
{
    struct xen_hvm_param p = {
        .domid = DOMID_SELF,
        .index = HVM_PARAM_CALLBACK_IRQ,
        /* Type 2 in bits 63:56: deliver (vector) to the vCPU itself. */
        .value =
            ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << CALLBACK_TYPE_SHIFT) |
            vector,
    };

    return HYPERVISOR_hvm_op(HVMOP_set_param, &p);
}

_Noreturn void hyp_shutdown(unsigned int reason)
{
    struct sched_shutdown s = {.reason = reason};

    HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
    arch_halt();
}

void hyp_yield(void)
{
    HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}
