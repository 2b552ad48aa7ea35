/*
 * main.c: booting the guest kernel on vCPU 0 and running the test the
 * command line names.
 */
#include "cmdline.h"
#include "evtchn.h"
#include "lib.h"
#include "mm.h"
#include "kprintf.h"
#include "pvclock.h"
#include "smp.h"
#include "tests.h"
#include "hyp.h"

#define PAGES_FOR(bytes) (((bytes) + PAGE_SIZE - 1) / PAGE_SIZE)

/* How much of the current stack's neighbourhood is kept from the page
 * allocator, in case the platform did not reserve the boot stack in the
 * memory map (the stack grows down from somewhere above here). */
#define BOOT_STACK_GUARD_BELOW (64ull * 1024)
#define BOOT_STACK_GUARD_ABOVE (64ull * 1024)

/* The page allocator starts on the stack, allocates struct kernel, and
 * moves into it. */
static struct kernel *kernel_alloc(const struct hvm_start_info *si)
{
    struct kernel *k;
    struct mm mm;
    uint64_t sp;

    kmem_init(&mm, si);
    sp = arch_virt_to_phys(&mm);
    kmem_exclude(&mm,
                 sp > BOOT_STACK_GUARD_BELOW ? sp - BOOT_STACK_GUARD_BELOW : 0,
                 sp + BOOT_STACK_GUARD_ABOVE);
    k = kpages_alloc(&mm, PAGES_FOR(sizeof(*k)));
    if (!k)
        kpanic("no usable RAM in the memory map");
    memcpy(&k->mm, &mm, sizeof(mm));
    k->domid = DOMID_SELF;
    if (si->cmdline_paddr)
        kstrlcpy(k->cmdline, arch_phys_to_virt(si->cmdline_paddr),
                 sizeof(k->cmdline));
    return k;
}

/* struct cpu for every vCPU, and each vCPU's vcpu_info moved to RAM (one
 * page holds them all). */
static void cpus_alloc(struct kernel *k)
{
    struct vcpu_info *vi;

    k->nr_cpus = hyp_count_vcpus();
    if (!k->nr_cpus)
        kpanic("VCPUOP_is_up: no vCPUs");
    if (k->nr_cpus > KERNEL_MAX_CPUS) {
        kprintf("xenemu-guest: using %u of %u vCPUs (this kernel drives at "
                "most %u)\n",
                KERNEL_MAX_CPUS, k->nr_cpus, KERNEL_MAX_CPUS);
        k->nr_cpus = KERNEL_MAX_CPUS;
    }
    vi = kpage_alloc(&k->mm);
    if (!vi)
        kpanic("no memory for vcpu_info");
    _Static_assert(KERNEL_MAX_CPUS * sizeof(*vi) <= PAGE_SIZE, "one page");
    for (unsigned int i = 0; i < k->nr_cpus; i++) {
        struct cpu *c = kpages_alloc(&k->mm, PAGES_FOR(sizeof(*c)));
        long rc;

        if (!c)
            kpanic("no memory for vCPU %u", i);
        c->kernel = k;
        c->id = i;
        k->cpu[i] = c;
        rc = hyp_register_vcpu_info(c, &vi[i]);
        if (rc < 0)
            kpanic("VCPUOP_register_vcpu_info(%u): %ld", i, rc);
    }
}

static void hypervisor_setup(struct kernel *k)
{
    uint32_t features = 0;
    long rc;

    k->shinfo = hyp_map_shared_info(&rc);
    if (!k->shinfo)
        kpanic("XENMEM_add_to_physmap(shared_info): %ld", rc);
    cpus_alloc(k);
    arch_set_this_cpu(k->cpu[0]);
    rc = hyp_features(&features);
    if (rc < 0)
        kpanic("XENVER_get_features: %ld", rc);
    if (!(features & (1u << XENFEAT_hvm_callback_vector)))
        kpanic("Xen lacks XENFEAT_hvm_callback_vector");
    /* The vector reaches kernel_upcall() before Xen may use it. */
    arch_install_upcall(KERNEL_UPCALL_VECTOR);
    rc = hyp_set_callback_vector(KERNEL_UPCALL_VECTOR);
    if (rc < 0)
        kpanic("HVM_PARAM_CALLBACK_IRQ: %ld", rc);
}

/* test= names nothing we know (FAIL), or is absent (power off). */
static enum test_result no_test(struct kernel *k)
{
    const char *v;
    size_t n;
    char name[32];

    if (!cmdline_find(k->cmdline, "test", &v, &n)) {
        kprintf("xenemu-guest: no test= on the command line\n");
        return TEST_PASS;
    }
    kstrlcpy(name, v, n + 1 < sizeof(name) ? n + 1 : sizeof(name));
    test_report(name, TEST_FAIL, "unknown test");
    return TEST_FAIL;
}

_Noreturn void kernel_main(struct hvm_start_info *si)
{
    const struct test *test;
    enum test_result r = TEST_PASS;
    struct kernel *k;
    uint32_t base = hyp_cpuid_base();

    /* Without Xen (or a hypercall page) there is no console either. */
    if (!base || arch_hypercall_page_init(base) < 0)
        arch_halt();
    k = kernel_alloc(si);
    k->xen_version = hyp_cpuid_version(base);
    k->domid = hyp_cpuid_domid(base);
    kprintf("xenemu-guest: booting, cmdline \"%s\", %lu free pages\n",
            k->cmdline, (unsigned long)k->mm.free_pages);

    hypervisor_setup(k);
    ec_init(k);
    test = test_find(k);
    if (test && test->early)
        test->early(k);
    cpu_init_self(k->cpu[0]);
    if (!pvclock_valid(k->cpu[0]))
        kprintf("warning: Xen has not filled in vcpu_info time\n");
    arch_irq_enable();
    smp_boot_aps(k);

    kprintf("xenemu-guest: Xen %u.%u, domid %u, %u vCPUs, evtchn %s\n",
            k->xen_version >> 16, k->xen_version & 0xffffu, k->domid,
            k->nr_cpus, ec_is_fifo(k) ? "FIFO" : "2-level");

    if (test)
        r = test->run(k);
    else
        r = no_test(k);
    hyp_shutdown(r == TEST_FAIL ? SHUTDOWN_crash : SHUTDOWN_poweroff);
}
