/*
 * xen_ext.h: what xenemu adds to Xen's public ABI, and the few numbers the
 * public headers keep hypervisor-internal.  Everything else comes from
 * <xenemu/xen_public.h>.
 */
#ifndef XENEMU_XEN_EXT_H
#define XENEMU_XEN_EXT_H

#include "xenemu/xen_public.h"

/*
 * XEN_DOMCTL_CDF_disable_fifo: hide the FIFO event-channel ABI from a domain.
 *
 * With this creation flag set, EVTCHNOP_init_control, EVTCHNOP_expand_array
 * and EVTCHNOP_set_priority return -ENOSYS, exactly as they did before Xen
 * 4.4 (and exactly as an unknown EVTCHNOP does), so a FIFO-aware guest falls
 * back to the 2-level ABI.  This is the flag proposed on xen-devel in
 * November 2020 ("domctl: introduce a new domain create flag,
 * XEN_DOMCTL_CDF_disable_fifo"), which upstream Xen never merged: it lets a
 * guest hibernated on a pre-4.4 Xen resume, because its boot kernel can no
 * longer switch the domain to FIFO behind the back of the resumed image.
 *
 * The proposal used bit 7, which Xen has since given to
 * XEN_DOMCTL_CDF_vpmu; bit 8 is XEN_DOMCTL_CDF_trap_unmapped_accesses.
 * xenemu uses bit 24, which no Xen release uses.  A real Xen rejects the bit
 * with -EINVAL like any other unknown flag.
 */
#define _XEN_DOMCTL_CDF_disable_fifo 24
#define XEN_DOMCTL_CDF_disable_fifo  (1U << _XEN_DOMCTL_CDF_disable_fifo)

/*
 * EVTCHNOP_reset_cont: the continuation of a preempted EVTCHNOP_reset.  The
 * public header defines it only for the hypervisor build (__XEN__), yet Xen's
 * dispatcher accepts it from guests (it returns -EBUSY when no reset is in
 * progress).
 */
#ifndef EVTCHNOP_reset_cont
#define EVTCHNOP_reset_cont 14
#endif

/*
 * HV_ERESTART: Xen's internal "preempted, continue later" code (ERESTART 85,
 * hidden by <xen/errno.h> outside the hypervisor).  Never returned to a
 * guest: the hypercall entry turns it into a continuation.
 */
#define HV_ERESTART 85

/*
 * memory_op: the low bits of the command are the sub-op, the bits above
 * carry a continuation's start extent (Xen's MEMOP_EXTENT_SHIFT and
 * MEMOP_CMD_MASK, hypervisor-internal in the public header).
 */
#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK     ((1ull << MEMOP_EXTENT_SHIFT) - 1)

/* An emulated Xen version, as XENVER_version reports it. */
#define XENEMU_VERSION(major, minor) (((uint32_t)(major) << 16) | (minor))
#define XENEMU_VERSION_MAJOR(v)      ((v) >> 16)
#define XENEMU_VERSION_MINOR(v)      ((v)&0xffff)

/* The version a domain emulates unless its configuration says otherwise. */
#define XENEMU_DEFAULT_VERSION XENEMU_VERSION(4, 17)

/* The first version with the FIFO event-channel ABI. */
#define XENEMU_FIFO_VERSION XENEMU_VERSION(4, 4)

#endif /* XENEMU_XEN_EXT_H */
