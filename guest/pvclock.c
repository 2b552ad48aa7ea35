/*
 * pvclock.c: reading struct vcpu_time_info.
 *
 * Xen updates the record like a seqlock: version becomes odd, the fields
 * change, version becomes even again.  A reader copies the fields between
 * two reads of an even, unchanged version.  The hypervisor refreshes the
 * record before the vCPU runs and when it wakes from blocking; between
 * refreshes the TSC extrapolates:
 *   now = system_time + ((tsc - tsc_timestamp) << shift) * mul / 2^32
 * (a negative shift shifts right).
 */
#include "pvclock.h"

struct time_snapshot {
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t mul;
    int8_t shift;
};

static void snapshot(const struct vcpu_time_info *t, struct time_snapshot *s)
{
    uint32_t v1, v2;

    do {
        /* Acquire: pairs with Xen's write barrier after making version
         * odd and before the field writes' counterpart on the re-read. */
        v1 = __atomic_load_n(&t->version, __ATOMIC_ACQUIRE);
        s->tsc_timestamp = __atomic_load_n(&t->tsc_timestamp, __ATOMIC_RELAXED);
        s->system_time = __atomic_load_n(&t->system_time, __ATOMIC_RELAXED);
        s->mul = __atomic_load_n(&t->tsc_to_system_mul, __ATOMIC_RELAXED);
        s->shift = __atomic_load_n(&t->tsc_shift, __ATOMIC_RELAXED);
        /* The field loads complete before version is read again; pairs
         * with Xen's barrier before it makes version even. */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        v2 = __atomic_load_n(&t->version, __ATOMIC_RELAXED);
    } while ((v1 & 1) || v1 != v2);
}

static uint64_t scale(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift >= 0)
        delta <<= shift;
    else
        delta >>= -shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t pvclock_now(struct cpu *c)
{
    struct time_snapshot s;
    uint64_t tsc;

    snapshot(&c->vcpu_info->time, &s);
    tsc = arch_rdtsc();
    /* A TSC behind the stamp (another pCPU's TSC) adds nothing. */
    if (tsc <= s.tsc_timestamp)
        return s.system_time;
    return s.system_time + scale(tsc - s.tsc_timestamp, s.mul, s.shift);
}

bool pvclock_valid(struct cpu *c)
{
    return __atomic_load_n(&c->vcpu_info->time.version, __ATOMIC_ACQUIRE) != 0;
}
