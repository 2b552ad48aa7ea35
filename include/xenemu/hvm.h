/*
 * hvm.h: HVM parameters and event-channel upcall vectors (hv/hvm_op.c),
 * for the toolstack and for backends.
 */
#ifndef XENEMU_HVM_H
#define XENEMU_HVM_H

#include <stdint.h>

#include "xenemu/domain.h"

/*
 * Set HVM parameter (index) of (d) as a controlling domain would (the
 * toolstack): no guest permission checks, but Xen 4.17's value checks
 * (hvm_set_param()): -EINVAL for an index out of range, a deprecated
 * parameter or a bad value (TIMER_MODE > 3, VIRIDIAN without the base set
 * or with unknown bits, ALTP2M > 3 or with nested virtualisation,
 * TRIPLE_FAULT_REASON > SHUTDOWN_MAX, NR_IOREQ_SERVER_PAGES outside 1..64,
 * X87_FIP_WIDTH not 0/4/8, VM86_TSS above 4 GiB, VM86_TSS_SIZED smaller
 * than a TSS, MCA_CAP not 0); -EEXIST for changing a set-once parameter
 * (and for ALTP2M from emulated 4.19); -ENODEV for ACPI_IOPORTS_LOCATION;
 * -EOPNOTSUPP for ACPI_S_STATE 3.  Setting HVM_PARAM_CALLBACK_IRQ
 * re-asserts pending upcalls.
 */
int hvm_param_set(struct domain *d, uint32_t index, uint64_t value);

/* Read HVM parameter (index) of (d) into *value, as Xen's hvm_get_param()
 * reports it: 0, or -EINVAL for an index out of range or a deprecated
 * parameter. */
int hvm_param_get(struct domain *d, uint32_t index, uint64_t *value);

/* HVM_PARAM_X87_FIP_WIDTH of a domain that never set it: 8 on a host
 * whose FPU stores CS/DS as zero (CPUID.7.0:EBX[13]), else 0, as Xen's
 * initial d->arch.x87_fip_width. */
uint64_t hvm_x87_fip_default(void);

/*
 * The vector to inject for an event-channel upcall on (v): its own
 * HVMOP_set_evtchn_upcall_vector vector if set, else the low 8 bits of
 * HVM_PARAM_CALLBACK_IRQ when that is of type vector, else 0 (no vector:
 * the callback is a GSI / PCI INTx line, or disabled).  Lock-free, so
 * backends may call it from kick().
 */
uint8_t hvm_callback_vector(const struct vcpu *v);

#endif /* XENEMU_HVM_H */
