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
 * toolstack): no guest permission checks, but Xen's value checks: -EINVAL
 * for an index out of range, a deprecated parameter or a bad
 * HVM_PARAM_X87_FIP_WIDTH; -EEXIST for changing a set-once parameter.
 * Setting HVM_PARAM_CALLBACK_IRQ re-asserts pending upcalls.
 */
int hvm_param_set(struct domain *d, uint32_t index, uint64_t value);

/* Read HVM parameter (index) of (d) into *value: 0, or -EINVAL for an
 * index out of range or a deprecated parameter. */
int hvm_param_get(struct domain *d, uint32_t index, uint64_t *value);

/*
 * The vector to inject for an event-channel upcall on (v): its own
 * HVMOP_set_evtchn_upcall_vector vector if set, else the low 8 bits of
 * HVM_PARAM_CALLBACK_IRQ when that is of type vector, else 0 (no vector:
 * the callback is a GSI / PCI INTx line, or disabled).  Lock-free, so
 * backends may call it from kick().
 */
uint8_t hvm_callback_vector(const struct vcpu *v);

#endif /* XENEMU_HVM_H */
