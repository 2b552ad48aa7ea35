/*
 * hypercall.c: the hypercall table, the entry point, and argument copies
 * through the call's memory space.
 */
#include <string.h>

#include "hypercalls.h"

/* The hypercalls Xen 4.17 offers an HVM guest (xen/include/hypercall-defs.c,
 * default x86 configuration); every other number gets -ENOSYS, as from
 * Xen's generated dispatcher.  xsm_op and physdev_op are not here: they
 * answer a PVH-like domU -ENOSYS in Xen too. */
static const hypercall_fn_t hypercall_table[] = {
    [__HYPERVISOR_platform_op] = do_platform_op,
    [__HYPERVISOR_memory_op] = do_memory_op,
    [__HYPERVISOR_multicall] = do_multicall,
    [__HYPERVISOR_vm_assist] = do_vm_assist,
    [__HYPERVISOR_mmuext_op] = do_mmuext_op,
    [__HYPERVISOR_sysctl] = do_sysctl,
    [__HYPERVISOR_domctl] = do_domctl,
    [__HYPERVISOR_xenpmu_op] = do_xenpmu_op,
    [__HYPERVISOR_dm_op] = do_dm_op,
    [__HYPERVISOR_hypfs_op] = do_hypfs_op,
    [__HYPERVISOR_arch_1] = do_paging_domctl_cont,
    [__HYPERVISOR_set_timer_op] = do_set_timer_op,
    [__HYPERVISOR_xen_version] = do_xen_version,
    [__HYPERVISOR_console_io] = do_console_io,
    [__HYPERVISOR_vcpu_op] = do_vcpu_op,
    [__HYPERVISOR_sched_op] = do_sched_op,
    [__HYPERVISOR_event_channel_op] = do_event_channel_op,
    [__HYPERVISOR_hvm_op] = do_hvm_op,
    [__HYPERVISOR_grant_table_op] = do_grant_table_op,
};

#define NR_TABLE (sizeof(hypercall_table) / sizeof(hypercall_table[0]))

void hv_call_init(struct hv_call *call, struct vcpu *v, bool compat,
                  bool paging, uint64_t cr3)
{
    memset(call, 0, sizeof(*call));
    call->v = v;
    call->compat = compat;
    call->mem = paging ? &hv_memspace_paged : &hv_memspace_phys;
    call->cr3 = cr3;
    call->irqs_on = true;
}

long hypercall_dispatch(struct hv_call *call, uint64_t nr,
                        const uint64_t args[5])
{
    uint64_t regs[5];
    long rc;

    /* xen/arch/x86/hvm/hypercall.c:hvm_hypercall(): user mode first. */
    if (call->user_mode)
        return -XEN_EPERM;
    if (nr >= NR_TABLE || !hypercall_table[nr])
        return -XEN_ENOSYS;
    for (int i = 0; i < 5; i++)
        regs[i] = call->compat ? (uint32_t)args[i] : args[i];
    /* A preempted call continues with the registers it rewrote, as Xen's
     * continuation re-enters the hypercall. */
    while ((rc = hypercall_table[nr](call, regs)) == -HV_ERESTART)
        call->continuations++;
    return rc;
}

static void record_fault(struct hv_call *call)
{
    call->fault = call->side_effects ? HV_FAULT_LATE : HV_FAULT_EARLY;
}

int copy_from_guest(struct hv_call *call, void *dst, uint64_t addr, size_t len)
{
    int rc = call->mem->read(call, dst, addr, len);

    if (rc)
        record_fault(call);
    return rc;
}

int copy_to_guest(struct hv_call *call, uint64_t addr, const void *src,
                  size_t len)
{
    int rc = call->mem->write(call, addr, src, len);

    if (rc)
        record_fault(call);
    return rc;
}

static int phys_read(struct hv_call *call, void *dst, uint64_t addr, size_t len)
{
    return gpa_read(call->v->domain, dst, addr, len);
}

static int phys_write(struct hv_call *call, uint64_t addr, const void *src,
                      size_t len)
{
    return gpa_write(call->v->domain, addr, src, len);
}

const struct hv_memspace_ops hv_memspace_phys = {
    .read = phys_read,
    .write = phys_write,
};

/*
 * Translate the whole range page by page before copying (so a fault copies
 * nothing), then copy each page's piece.  (dst) is NULL for the checking
 * pass; a write to guest memory is requested with (src).
 */
static int paged_copy(struct hv_call *call, uint64_t addr, void *dst,
                      const void *src, size_t len, bool check)
{
    struct domain *d = call->v->domain;

    if (addr + len < addr)
        return -XEN_EFAULT;
    while (len) {
        size_t chunk = GUEST_PAGE_SIZE - (addr & (GUEST_PAGE_SIZE - 1));
        gpa_t gpa;
        int rc;

        if (chunk > len)
            chunk = len;
        rc = gva_to_gpa(d, call->cr3, addr, src != NULL, &gpa);
        if (rc == 0 && !check)
            rc = src ? gpa_write(d, gpa, src, chunk)
                     : gpa_read(d, dst, gpa, chunk);
        if (rc)
            return rc;
        addr += chunk;
        len -= chunk;
        if (dst)
            dst = (uint8_t *)dst + chunk;
        if (src)
            src = (const uint8_t *)src + chunk;
    }
    return 0;
}

/* Within one page the translation is the check: no second pass. */
static bool one_page(uint64_t addr, size_t len)
{
    return len <= GUEST_PAGE_SIZE - (addr & (GUEST_PAGE_SIZE - 1));
}

static int paged_read(struct hv_call *call, void *dst, uint64_t addr,
                      size_t len)
{
    if (!one_page(addr, len) && paged_copy(call, addr, dst, NULL, len, true))
        return -XEN_EFAULT;
    return paged_copy(call, addr, dst, NULL, len, false);
}

static int paged_write(struct hv_call *call, uint64_t addr, const void *src,
                       size_t len)
{
    if (!one_page(addr, len) && paged_copy(call, addr, NULL, src, len, true))
        return -XEN_EFAULT;
    return paged_copy(call, addr, NULL, src, len, false);
}

const struct hv_memspace_ops hv_memspace_paged = {
    .read = paged_read,
    .write = paged_write,
};
