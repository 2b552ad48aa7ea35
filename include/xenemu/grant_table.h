/*
 * grant_table.h: a domain's grant table (hv/grant_table.c, hv/grant_copy.c).
 *
 * The shared entries live in the domain's grant-frame overlays
 * (d->overlays[1 + i], see <xenemu/domain.h>), the pages a guest maps with
 * XENMEM_add_to_physmap; the guest writes them concurrently, so they are
 * only touched with __atomic builtins.  What the guest must not see (the
 * pin counts of each entry, the version, the frame count) is here.
 *
 * Locking: gt->lock (mutex) covers every field below and every change the
 * core makes to the shared and status entries.  It is taken before the
 * domain's physmap_lock (to find or allocate grant frames) and never
 * together with another domain's gt->lock.
 */
#ifndef XENEMU_GRANT_TABLE_H
#define XENEMU_GRANT_TABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "xenemu/xen_public.h"

struct domain;
struct hv_call;

/* Entries per 4 KiB frame: v1 entries are 8 bytes, v2 16, statuses 2. */
#define GT_V1_PER_FRAME     512u
#define GT_V2_PER_FRAME     256u
#define GT_STATUS_PER_FRAME 2048u
/* Active entries are kept per shared frame, for the larger (v1) count. */
#define GT_ACTIVE_PER_FRAME GT_V1_PER_FRAME

/* Pin counters of an active entry (one byte each, as Xen keeps them):
 * host-mapped or copied for writing, and for reading.  xenemu has no
 * device mappings, so the device counters are never used. */
#define GT_PIN_HSTW_INC  0x1u
#define GT_PIN_HSTW_MASK 0xffu
#define GT_PIN_HSTR_INC  0x100u
#define GT_PIN_HSTR_MASK 0xff00u
/* Taking (inc) once more would overflow its counter's top bit. */
#define GT_PIN_OFLOW(inc) ((inc) << 7)

/* What the core knows about one grant while it is pinned (Xen's active
 * grant entry).  Under the owner's gt->lock. */
struct gt_active {
    uint32_t pin;           /* GT_PIN_* counters */
    domid_t domid;          /* the domain holding the pins */
    uint16_t start, length; /* the granted range of the page */
    bool is_sub_page;       /* sub-page or transitive grant */
    uint8_t *page;          /* host address of the granted frame */
    struct domain *trans;   /* transitive: the domain it refers to (a
                             * reference held per acquire), else owner */
    grant_ref_t trans_gref; /* the grant in (trans) */
};

struct grant_table {
    pthread_mutex_t lock;
    unsigned int version;     /* 1 or 2 */
    unsigned int max_version; /* from grant_opts (0: 2, xl's default) */
    unsigned int max_frames;  /* max_grant_frames */
    unsigned int nr_frames;   /* shared frames in use (>= 1) */
    /* Host address of shared frame i (the overlay's page), for i below
     * nr_frames; copied from the overlays under physmap_lock. */
    uint8_t **shared;
    struct gt_active **active; /* per shared frame, GT_ACTIVE_PER_FRAME */
    uint16_t **status;         /* v2 status frames (guest-shared) */
    unsigned int nr_status_frames;
    /* Sub-page or transitive grants pinned (Xen's nr_v2_ops): switching
     * back to v1 is -EAGAIN while any is. */
    unsigned int nr_v2_ops;
};

/* Set up / tear down (d)'s table (hv/domain.c).  max_version is the
 * XEN_DOMCTL_GRANT_version_mask part of grant_opts. */
int grant_table_init(struct domain *d, unsigned int max_version);
void grant_table_free(struct domain *d);

/* ---- shared between grant_table.c and grant_copy.c ---- */

/*
 * Bring the table up to date with the overlays (a frame the guest mapped
 * with add_to_physmap past nr_frames grows the table, as Xen's
 * gnttab_map_frame() does) and make sure the first (want) frames, their
 * active entries and, under v2, their status frames exist.  Caller holds
 * gt->lock.  0 or -ENOMEM.
 */
int gt_sync(struct domain *d, unsigned int want);

/* Entries in use under the current version.  Caller holds gt->lock. */
unsigned int gt_nr_entries(const struct grant_table *gt);

/* The active entry of (ref) (< gt_nr_entries()).  Caller holds gt->lock. */
struct gt_active *gt_active_of(struct grant_table *gt, grant_ref_t ref);

/* Guest-shared words of entry (ref): its 32-bit header (flags, domid),
 * v1 or v2 by gt->version, and its v2 status.  Caller holds gt->lock. */
uint32_t *gt_header(struct grant_table *gt, grant_ref_t ref);
uint16_t *gt_status(struct grant_table *gt, grant_ref_t ref);
/* The 16-bit flags field of a header, and its domid. */
#define GT_HDR_FLAGS(h) ((uint16_t)((h)&0xffffu))
#define GT_HDR_DOMID(h) ((domid_t)((h) >> 16))

/*
 * Take the access a pin of (act) needs in the guest's entry (ref) of (rd)
 * (Xen's _set_status()): GTF_reading, and GTF_writing unless (ro), after
 * checking the entry's type and domid (while not yet pinned) and
 * GTF_readonly.  (mapflag): a mapping, which sub-page and transitive
 * grants refuse.  GNTST_okay or GNTST_general_error.  Caller holds
 * rd's gt->lock.
 */
int gt_set_status(struct grant_table *gt, grant_ref_t ref,
                  const struct gt_active *act, bool ro, bool mapflag,
                  domid_t ldom);
/* Drop the access flags the pins of (act) no longer need (Xen's
 * reduce_status_for_pin()).  Caller holds gt->lock. */
void gt_reduce_status(struct grant_table *gt, grant_ref_t ref,
                      const struct gt_active *act, bool ro);
/* Host address of frame (gfn) of (rd) for a grant, or NULL (Xen's
 * get_paged_frame(): GNTST_bad_page). */
uint8_t *gt_paged_frame(struct domain *rd, uint64_t gfn);

/* GNTTABOP_copy, in the caller's layout (hv/grant_copy.c). */
/* grant_map.c: GNTTABOP_map_grant_ref, unmap_grant_ref and swap_grant_ref
 * on (count) entries at guest (uop): 0, the number done when preempted
 * (the dispatcher continues the rest), or a negative Xen errno. */
long gt_map_grant_ref(struct hv_call *call, uint64_t uop, uint32_t count);
long gt_unmap_grant_ref(struct hv_call *call, uint64_t uop, uint32_t count);
long gt_swap_grant_ref(struct hv_call *call, uint64_t uop, uint32_t count);

/* Relaxed atomic copies of guest-shared entries (8-byte words). */
static inline uint64_t gt_word_load(const void *p)
{
    return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
}

static inline void gt_word_store(void *p, uint64_t v)
{
    __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
}

long gt_copy_op(struct hv_call *call, uint64_t uop, uint32_t count,
                uint64_t args[5]);

/* Deterministic preemption: a batch op yields (a continuation) before
 * every entry i > 0 that is a multiple of this. */
#define GT_PREEMPT_EVERY 64u

#endif /* XENEMU_GRANT_TABLE_H */
