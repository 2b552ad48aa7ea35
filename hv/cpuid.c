/*
 * cpuid.c: the Xen CPUID leaves and the pvclock record (struct
 * vcpu_time_info) a vCPU reads its time from.
 */
#include <pthread.h>
#include <time.h>

#include "xenemu/cpuid.h"
#include "xenemu/runstate.h"
#include "xenemu/xen_public.h"

uint64_t hv_rdtsc(void)
{
    return __builtin_ia32_rdtsc();
}

/* ---- CPUID ---- */

static void leaf_signature(uint32_t regs[4])
{
    regs[0] = XEN_CPUID_MAX_LEAF;
    regs[1] = XEN_CPUID_SIGNATURE_EBX;
    regs[2] = XEN_CPUID_SIGNATURE_ECX;
    regs[3] = XEN_CPUID_SIGNATURE_EDX;
}

static void leaf_hvm_features(const struct vcpu *v, uint32_t regs[4])
{
    /* HVMOP_set_evtchn_upcall_vector exists (hv/hvm_op.c). */
    regs[0] = XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_DOMID_PRESENT |
              XEN_HVM_CPUID_UPCALL_VECTOR;
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
    case 3: /* time: no TSC modes offered, all sub-leaves zero */
        break;
    case 4:
        if (subleaf == 0)
            leaf_hvm_features(v, regs);
        break;
    }
    return true;
}

/* ---- pvclock ---- */

/* The host TSC as Xen's pvclock scale: ns = ((tsc << shift) * mul) >> 32,
 * a right shift when (shift) is negative.  Process-wide: the TSC rate is a
 * property of the host. */
static struct {
    uint32_t mul;
    int8_t shift;
} tsc_scale;
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
 * below 2^32, which keeps the most precision in mul. */
static void compute_tsc_scale(void)
{
    uint64_t hz = measure_tsc_hz();

    for (int shift = -8; shift <= 8; shift++) {
        uint64_t scaled = shift >= 0 ? hz << shift : hz >> -shift;
        uint64_t mul;

        if (!scaled)
            continue;
        mul = (1000000000ull << 32) / scaled;
        if (mul <= UINT32_MAX) {
            tsc_scale.mul = (uint32_t)mul;
            tsc_scale.shift = (int8_t)shift;
            return;
        }
    }
    tsc_scale.mul = UINT32_MAX; /* slower than 4 MHz: not a real TSC */
    tsc_scale.shift = 8;
}

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
