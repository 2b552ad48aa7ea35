/*
 * runstate.c: runstate accounting and the guest-virtual areas of
 * <xenemu/runstate.h>, as Xen 4.17 keeps them (xen/common/sched/core.c:
 * vcpu_runstate_change(), vcpu_runstate_get(); xen/common/domain.c and
 * xen/arch/x86/domain.c: VCPUOP_get_runstate_info,
 * VCPUOP_register_runstate_memory_area, VCPUOP_register_vcpu_time_memory_area;
 * xen/arch/x86/domain.c:update_runstate_area()).
 */
#include <string.h>

#include "xenemu/compat.h"
#include "xenemu/domain.h"
#include "xenemu/runstate.h"

void runstate_init(struct vcpu *v, int state)
{
    pthread_mutex_init(&v->runstate_lock, NULL);
    v->runstate.state = state;
}

/* Write (info) to the guest's area (a), in the domain's layout; a failed
 * write is ignored, as Xen ignores it.  Caller holds runstate_lock. */
static void area_write(struct vcpu *v, const struct vcpu_guest_area *a,
                       const void *rec64, const void *rec32, size_t size32,
                       size_t size64)
{
    struct hv_call call;
    bool compat = __atomic_load_n(&v->domain->shinfo_compat, __ATOMIC_RELAXED);

    if (!a->gva)
        return;
    hv_call_init(&call, v, a->compat, a->paging, a->cr3);
    copy_to_guest(&call, a->gva, compat ? rec32 : rec64,
                  compat ? size32 : size64);
}

static void to_compat(const struct vcpu_runstate_info *r,
                      struct compat_vcpu_runstate_info *c)
{
    c->state = r->state;
    memcpy(c->state_entry_time, &r->state_entry_time,
           sizeof(c->state_entry_time));
    memcpy(c->time, r->time, sizeof(c->time));
}

/* The top byte of state_entry_time, where XEN_RUNSTATE_UPDATE is. */
static void update_flag_write(struct vcpu *v, uint64_t entry_time)
{
    const struct vcpu_guest_area *a = &v->runstate_area;
    struct vcpu_guest_area top = *a;
    uint8_t byte = (uint8_t)(entry_time >> 56);

    top.gva +=
        __atomic_load_n(&v->domain->shinfo_compat, __ATOMIC_RELAXED)
            ? offsetof(struct compat_vcpu_runstate_info, state_entry_time) + 7
            : offsetof(struct vcpu_runstate_info, state_entry_time) + 7;
    area_write(v, &top, &byte, &byte, 1, 1);
}

/*
 * Caller holds runstate_lock.  With VMASST_TYPE_runstate_update_flag on,
 * as Xen's update_runstate_area(): the flag set in the top byte first, the
 * record (still flagged), then the top byte without it, each step visible
 * before the next (the guest retries while it sees the flag).
 */
static void runstate_area_write(struct vcpu *v,
                                const struct vcpu_runstate_info *r)
{
    struct vcpu_runstate_info flagged = *r;
    struct compat_vcpu_runstate_info c;
    bool flag = __atomic_load_n(&v->domain->vm_assist, __ATOMIC_RELAXED) &
                (1u << VMASST_TYPE_runstate_update_flag);

    if (!v->runstate_area.gva)
        return;
    if (flag) {
        flagged.state_entry_time |= XEN_RUNSTATE_UPDATE;
        update_flag_write(v, flagged.state_entry_time);
        /* Pairs with the guest's read barrier after it reads the flag. */
        __atomic_thread_fence(__ATOMIC_RELEASE);
    }
    to_compat(&flagged, &c);
    area_write(v, &v->runstate_area, &flagged, &c, sizeof(c), sizeof(flagged));
    if (flag) {
        __atomic_thread_fence(__ATOMIC_RELEASE);
        update_flag_write(v, r->state_entry_time);
    }
}

/* Caller holds runstate_lock. */
static void snapshot_locked(struct vcpu *v, uint64_t now,
                            struct vcpu_runstate_info *out)
{
    *out = v->runstate;
    if (now > out->state_entry_time)
        out->time[out->state] += now - out->state_entry_time;
}

void runstate_change(struct vcpu *v, int state)
{
    uint64_t now = hv_now_ns(v->domain->hv);
    struct vcpu_runstate_info *r = &v->runstate;

    pthread_mutex_lock(&v->runstate_lock);
    if (r->state != state) {
        if (now > r->state_entry_time)
            r->time[r->state] += now - r->state_entry_time;
        r->state = state;
        r->state_entry_time = now;
        runstate_area_write(v, r);
    }
    pthread_mutex_unlock(&v->runstate_lock);
}

void runstate_snapshot(struct vcpu *v, struct vcpu_runstate_info *out)
{
    uint64_t now = hv_now_ns(v->domain->hv);

    pthread_mutex_lock(&v->runstate_lock);
    snapshot_locked(v, now, out);
    pthread_mutex_unlock(&v->runstate_lock);
}

long vcpuop_get_runstate_info(struct hv_call *call, struct vcpu *v,
                              uint64_t arg)
{
    struct vcpu_runstate_info r;
    struct compat_vcpu_runstate_info c;

    runstate_snapshot(v, &r);
    if (call->compat) {
        to_compat(&r, &c);
        return copy_to_guest(call, arg, &c, sizeof(c)) ? -XEN_EFAULT : 0;
    }
    return copy_to_guest(call, arg, &r, sizeof(r)) ? -XEN_EFAULT : 0;
}

/* The guest handle of a register_*_memory_area argument: 8 bytes, of which
 * a compat caller's handle is the first 4.  Any value (0 unregisters); it
 * is a guest-virtual address translated like the call's own arguments. */
static int read_area(struct hv_call *call, uint64_t arg,
                     struct vcpu_guest_area *a)
{
    uint64_t gva = 0;

    if (copy_from_guest(call, &gva, arg,
                        call->compat ? COMPAT_AREA_HANDLE_SIZE : 8))
        return -XEN_EFAULT;
    *a = (struct vcpu_guest_area){.gva = gva,
                                  .cr3 = call->cr3,
                                  .paging = call->mem == &hv_memspace_paged,
                                  .compat = call->compat};
    return 0;
}

long vcpuop_register_runstate_area(struct hv_call *call, struct vcpu *v,
                                   uint64_t arg)
{
    struct vcpu_guest_area a;
    struct vcpu_runstate_info r;
    int rc = read_area(call, arg, &a);

    if (rc)
        return rc;
    pthread_mutex_lock(&v->runstate_lock);
    v->runstate_area = a;
    hv_call_side_effects(call);
    /* Written once at once, as Xen does: the caller's own record as it
     * stands, another vCPU's as a snapshot. */
    if (v == call->v)
        r = v->runstate;
    else
        snapshot_locked(v, hv_now_ns(v->domain->hv), &r);
    runstate_area_write(v, &r);
    pthread_mutex_unlock(&v->runstate_lock);
    return 0;
}

/* The time record in (v)'s vcpu_info, in the domain's layout. */
_Static_assert(sizeof(struct vcpu_time_info) == 32, "vcpu_time_info layout");
static const struct vcpu_time_info *time_record(const struct vcpu *v)
{
    const void *vi = vcpu_info_of(v);

    /* The same 32-byte record in both layouts, at different offsets. */
    if (__atomic_load_n(&v->domain->shinfo_compat, __ATOMIC_RELAXED))
        return (const struct vcpu_time_info *)&(
                   (const struct vcpu_info_x86_32 *)vi)
            ->time;
    return &((const struct vcpu_info *)vi)->time;
}

/* Caller holds runstate_lock. */
static void time_area_write(struct vcpu *v)
{
    struct vcpu_time_info t = *time_record(v);
    uint32_t odd = t.version | 1;

    if (!v->time_area.gva)
        return;
    /* Xen's protocol for the copy: an odd version first, then the record
     * with its even version, so a guest never takes a torn record. */
    area_write(v, &v->time_area, &odd, &odd, sizeof(odd), sizeof(odd));
    if (t.version & 1)
        t.version++;
    area_write(v, &v->time_area, &t, &t, sizeof(t), sizeof(t));
}

long vcpuop_register_time_area(struct hv_call *call, struct vcpu *v,
                               uint64_t arg)
{
    struct vcpu_guest_area a;
    int rc = read_area(call, arg, &a);

    if (rc)
        return rc;
    pthread_mutex_lock(&v->runstate_lock);
    v->time_area = a;
    hv_call_side_effects(call);
    time_area_write(v); /* Xen's force_update_vcpu_system_time() */
    pthread_mutex_unlock(&v->runstate_lock);
    return 0;
}

void runstate_time_area_update(struct vcpu *v)
{
    pthread_mutex_lock(&v->runstate_lock);
    time_area_write(v);
    pthread_mutex_unlock(&v->runstate_lock);
}
