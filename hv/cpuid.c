/*
 * cpuid.c: the Xen CPUID leaves and the pvclock record (struct
 * vcpu_time_info) a vCPU reads its time from.
 */
#include <cpuid.h>
#include <pthread.h>
#include <time.h>

#include "xenemu/cpuid.h"
#include "xenemu/runstate.h"
#include "xenemu/xen_public.h"

uint64_t hv_rdtsc(void)
{
    return __builtin_ia32_rdtsc();
}

/* ---- the TSC rate ---- */

/* The host TSC as Xen's pvclock scale: ns = ((tsc << shift) * mul) >> 32,
 * a right shift when (shift) is negative.  Process-wide: the TSC rate is a
 * property of the host. */
struct time_scale {
    uint32_t mul;
    int8_t shift;
};
static struct time_scale tsc_scale;
static uint32_t tsc_khz; /* the measured rate, kHz: Xen's cpu_khz */
static pthread_once_t tsc_scale_once = PTHREAD_ONCE_INIT;

static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* TSC ticks per second, measured against CLOCK_MONOTONIC over 20 ms. */
static uint64_t measure_tsc_hz(void)
{
    const struct timespec nap = {.tv_nsec = 20000000};
    uint64_t t0 = monotonic_ns(), c0 = hv_rdtsc();
    uint64_t t1, c1;

    nanosleep(&nap, NULL);
    t1 = monotonic_ns();
    c1 = hv_rdtsc();
    if (t1 <= t0 || c1 <= c0)
        return 1000000000u; /* a clock went backwards: assume 1 GHz */
    return (c1 - c0) * 1000000000u / (t1 - t0);
}

/* The smallest shift that brings mul = 2^32 * 1e9 / (hz scaled by shift)
 * below 2^32, which keeps the most precision in mul (the same scale as
 * Xen's set_time_scale() gives for that rate). */
static struct time_scale scale_of(uint64_t hz)
{
    for (int shift = -8; shift <= 8; shift++) {
        uint64_t scaled = shift >= 0 ? hz << shift : hz >> -shift;
        uint64_t mul;

        if (!scaled)
            continue;
        mul = (1000000000ull << 32) / scaled;
        if (mul <= UINT32_MAX)
            return (struct time_scale){(uint32_t)mul, (int8_t)shift};
    }
    return (struct time_scale){UINT32_MAX, 8}; /* below 4 MHz: no real TSC */
}

static void compute_tsc_scale(void)
{
    uint64_t hz = measure_tsc_hz();

    tsc_scale = scale_of(hz);
    tsc_khz = hz / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(hz / 1000);
}

/* ---- CPUID ---- */

/*
 * Leaf 3, the time leaf, for a domain as Xen 4.17 creates it
 * (arch/x86/time.c:tsc_set_info() with TSC_MODE_DEFAULT): the guest runs
 * on the host's TSC (vtsc 0), at the host's rate.
 *   0: EAX vtsc | host TSC safe << 1 | RDTSCP << 2, EBX the TSC mode,
 *      ECX the guest TSC kHz, EDX the incarnation (1 after creation);
 *   1: EAX:EBX the system time at creation (vtsc_offset), ECX:EDX the
 *      domain's TSC-to-ns scale (of the kHz rate), the shift sign-extended;
 *   2: EAX the host TSC kHz.
 * "Safe" is Xen's TSC_RELIABLE: here the host's invariant TSC.
 */
static void leaf_time(const struct domain *d, uint32_t subleaf,
                      uint32_t regs[4])
{
    unsigned int a, b, c, dx;
    struct time_scale ts;

    pthread_once(&tsc_scale_once, compute_tsc_scale);
    switch (subleaf) {
    case 0:
        if (__get_cpuid(0x80000007u, &a, &b, &c, &dx) && (dx & (1u << 8)))
            regs[0] |= 1u << 1;
        if (__get_cpuid(0x80000001u, &a, &b, &c, &dx) && (dx & (1u << 27)))
            regs[0] |= 1u << 2;
        regs[1] = 0; /* TSC_MODE_DEFAULT */
        regs[2] = tsc_khz;
        regs[3] = 1;
        break;
    case 1:
        ts = scale_of((uint64_t)tsc_khz * 1000);
        regs[0] = (uint32_t)d->created_ns;
        regs[1] = (uint32_t)(d->created_ns >> 32);
        regs[2] = ts.mul;
        regs[3] = (uint32_t)(int32_t)ts.shift;
        break;
    case 2:
        regs[0] = tsc_khz;
        break;
    }
}

static void leaf_signature(uint32_t regs[4])
{
    regs[0] = XEN_CPUID_MAX_LEAF;
    regs[1] = XEN_CPUID_SIGNATURE_EBX;
    regs[2] = XEN_CPUID_SIGNATURE_ECX;
    regs[3] = XEN_CPUID_SIGNATURE_EDX;
}

static void leaf_hvm_features(const struct vcpu *v, uint32_t regs[4])
{
    /* Xen 4.17 always sets IOMMU_MAPPINGS (grant maps honour the DMA
     * request) and UPCALL_VECTOR (HVMOP_set_evtchn_upcall_vector, in
     * hv/hvm_op.c).  APIC_ACCESS_VIRT and X2APIC_VIRT depend on the host's
     * VMX APIC virtualisation; xenemu answers as a host without it (it
     * emulates no APIC), and EXT_DEST_ID is not set by 4.17. */
    regs[0] = XEN_HVM_CPUID_IOMMU_MAPPINGS | XEN_HVM_CPUID_VCPU_ID_PRESENT |
              XEN_HVM_CPUID_DOMID_PRESENT | XEN_HVM_CPUID_UPCALL_VECTOR;
    regs[1] = v->id;
    regs[2] = v->domain->domid;
    regs[3] = 0;
}

bool xen_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t subleaf,
               uint32_t regs[4])
{
    if (leaf < XEN_CPUID_FIRST_LEAF || leaf > XEN_CPUID_MAX_LEAF)
        return false;
    regs[0] = regs[1] = regs[2] = regs[3] = 0;
    switch (leaf - XEN_CPUID_FIRST_LEAF) {
    case 0:
        leaf_signature(regs);
        break;
    case 1: /* EAX: major << 16 | minor, the encoding XENEMU_VERSION uses */
        regs[0] = v->domain->xen_version;
        break;
    case 2: /* one hypercall page, at the MSR guest_abi.h names */
        regs[0] = 1;
        regs[1] = XENEMU_HYPERCALL_MSR;
        break;
    case 3:
        leaf_time(v->domain, subleaf, regs);
        break;
    case 4:
        if (subleaf == 0)
            leaf_hvm_features(v, regs);
        break;
    case 5: /* PV parameters: empty for an HVM domain */
        break;
    }
    return true;
}

/* ---- pvclock ---- */

/* The time record inside (v)'s vcpu_info: the same struct in both layouts,
 * at different offsets. */
static struct vcpu_time_info *time_info_of(const struct vcpu *v)
{
    void *vi = vcpu_info_of(v);

    if (__atomic_load_n(&v->domain->shinfo_compat, __ATOMIC_RELAXED))
        return (struct vcpu_time_info *)&((struct vcpu_info_x86_32 *)vi)->time;
    return &((struct vcpu_info *)vi)->time;
}

void vcpu_time_update(struct vcpu *v, uint64_t guest_tsc)
{
    struct vcpu_time_info *t = time_info_of(v);
    uint64_t now = hv_now_ns(v->domain->hv);

    pthread_once(&tsc_scale_once, compute_tsc_scale);
    /* Xen's protocol: version odd while the record changes.  The release
     * fences pair with the guest's acquire loads of version around its read
     * of the record (it retries on an odd or changed version). */
    __atomic_store_n(&t->version, t->version + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->tsc_timestamp = guest_tsc;
    t->system_time = now;
    t->tsc_to_system_mul = tsc_scale.mul;
    t->tsc_shift = tsc_scale.shift;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&t->version, t->version + 1, __ATOMIC_RELAXED);
    runstate_time_area_update(v); /* the guest's second copy, if any */
}
