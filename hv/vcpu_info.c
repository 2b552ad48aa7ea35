/*
 * vcpu_info.c: VCPUOP_register_vcpu_info, moving a vCPU's vcpu_info from its
 * shared_info slot (or the dummy area of vCPUs 32 and up) into guest RAM,
 * with the checks and errors of the domain's emulated Xen version.
 */
#include <pthread.h>
#include <stddef.h>

#include "evtchn_private.h"
#include "vcpu_op.h"

/* Guest-shared vcpu_info is copied in 4-byte atomic words: a registered
 * area is only 4-aligned in compat mode. */
#define VCPU_INFO_WORDS (sizeof(struct vcpu_info) / sizeof(uint32_t))
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info layout");
_Static_assert(sizeof(struct vcpu_info_x86_32) == 64, "vcpu_info layout");

/* Copy vcpu_info (src), or zeros when NULL, into (dst); both may be
 * written by the guest concurrently. */
static void vcpu_info_copy(void *dst, const void *src)
{
    uint32_t *to = dst;
    const uint32_t *from = src;

    for (size_t i = 0; i < VCPU_INFO_WORDS; i++)
        __atomic_store_n(&to[i],
                         from ? __atomic_load_n(&from[i], __ATOMIC_RELAXED) : 0,
                         __ATOMIC_RELAXED);
}

/* Every selector bit set, in the domain's layout, so that the guest
 * rescans all pending words (spurious events are expected). */
static void select_all(const struct domain *d, uint8_t *info)
{
    if (__atomic_load_n(&d->shinfo_compat, __ATOMIC_RELAXED)) {
        uint32_t *sel = (uint32_t *)(info + offsetof(struct vcpu_info_x86_32,
                                                     evtchn_pending_sel));
        __atomic_store_n(sel, UINT32_MAX, __ATOMIC_SEQ_CST);
    } else {
        uint64_t *sel =
            (uint64_t *)(info + offsetof(struct vcpu_info, evtchn_pending_sel));
        __atomic_store_n(sel, UINT64_MAX, __ATOMIC_SEQ_CST);
    }
}

/*
 * Where the new area goes: its host address, or a negative Xen errno, in
 * the emulated version's order.  Xen 4.17 (xen/common/domain.c:
 * map_vcpu_info()): -ENXIO for an offset that crosses the page or is
 * misaligned, then -EINVAL when already registered, when the target is
 * neither the caller nor down, or for a frame that is not RAM.  Xen 4.18+
 * (map_guest_area(), commit 295514ff75): -EINVAL for an impossible address,
 * -EBUSY when already registered, then -ENXIO, then -EINVAL for a frame
 * that is not RAM; a remote vCPU need not be down (Xen pauses it).
 */
static int area_check(const struct hv_call *call, struct vcpu *v,
                      const struct vcpu_register_vcpu_info *info, uint8_t **out)
{
    struct domain *d = v->domain;
    bool v418 = d->xen_version >= XENEMU_VERSION(4, 18);
    unsigned int align =
        __atomic_load_n(&d->shinfo_compat, __ATOMIC_RELAXED) ? 4 : 8;
    uint8_t *page;

    if (v418) {
        uint64_t gaddr = (info->mfn << GUEST_PAGE_SHIFT) + info->offset;

        if (gaddr == UINT64_MAX || gaddr >> GUEST_PAGE_SHIFT != info->mfn)
            return -XEN_EINVAL;
        if (v->vcpu_info_registered)
            return -XEN_EBUSY;
    }
    if (info->offset > GUEST_PAGE_SIZE - sizeof(struct vcpu_info))
        return -XEN_ENXIO; /* must not cross a page */
    if (info->offset & (align - 1))
        return -XEN_ENXIO; /* xen_ulong_t aligned */
    if (!v418) {
        if (v->vcpu_info_registered)
            return -XEN_EINVAL;
        if (v != call->v && __atomic_load_n(&v->is_up, __ATOMIC_RELAXED))
            return -XEN_EINVAL;
    }
    page = gfn_to_host(d, info->mfn);
    if (!page)
        return -XEN_EINVAL; /* not guest RAM */
    *out = page + info->offset;
    return 0;
}

/*
 * Switch (v) to (area).  Caller holds d->event_lock; abi_lock (write)
 * keeps out the other domains' raises (they hold it for reading), so no
 * event lands in the old area after it is copied.
 */
static void area_switch(struct vcpu *v, uint8_t *area)
{
    struct domain *d = v->domain;
    void *old = v->vcpu_info;

    pthread_rwlock_wrlock(&d->abi_lock);
    if (v->dummy_vcpu_info && old == v->dummy_vcpu_info) {
        /* Nothing the guest could see yet: start clean, masked (Xen). */
        vcpu_info_copy(area, NULL);
        __atomic_store_n(area + offsetof(struct vcpu_info, evtchn_upcall_mask),
                         1, __ATOMIC_RELAXED);
    } else {
        vcpu_info_copy(area, old);
    }
    select_all(d, area);
    /* Publish the filled area: pairs with the acquire load in
     * vcpu_info_of(). */
    __atomic_store_n(&v->vcpu_info, (void *)area, __ATOMIC_RELEASE);
    pthread_rwlock_unlock(&d->abi_lock);
    v->vcpu_info_registered = true;
}

long vcpuop_register_vcpu_info(struct hv_call *call, struct vcpu *v,
                               uint64_t arg)
{
    struct domain *d = v->domain;
    struct vcpu_register_vcpu_info info;
    uint8_t *area;
    int rc;

    if (copy_from_guest(call, &info, arg, sizeof(info)))
        return -XEN_EFAULT;
    pthread_mutex_lock(&d->event_lock);
    rc = area_check(call, v, &info, &area);
    if (rc == 0) {
        area_switch(v, area);
        hv_call_side_effects(call);
        vcpu_mark_events_pending(v); /* rescan, as Xen does */
    }
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}
