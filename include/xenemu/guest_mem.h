/*
 * guest_mem.h: the only way the core touches guest memory.
 *
 * Guest addresses are integers (gpa_t, gva_t) and are never dereferenced.
 * Every access goes through a helper below that checks the range against the
 * domain's RAM (and, for virtual addresses, walks the guest's page tables)
 * and fails with -EFAULT (or returns NULL) instead of touching anything else.
 */
#ifndef XENEMU_GUEST_MEM_H
#define XENEMU_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenemu/domain.h"

typedef uint64_t gpa_t; /* guest-physical address */
typedef uint64_t gva_t; /* guest-virtual (linear) address */

/*
 * Host address of guest frame (gfn) of (d), or NULL when the frame is not
 * guest RAM (nor the overlaid shared_info frame).  The page stays mapped
 * while the domain lives, so callers may keep the pointer (the FIFO control
 * block and event array, a registered vcpu_info).
 */
void *gfn_to_host(struct domain *d, uint64_t gfn);

/* Copy (len) bytes between host memory and guest-physical (gpa).  0 or
 * -EFAULT; nothing is copied when any byte is outside RAM. */
int gpa_read(struct domain *d, void *dst, gpa_t gpa, size_t len);
int gpa_write(struct domain *d, gpa_t gpa, const void *src, size_t len);

/*
 * Translate (gva) through the x86-64 4-level page tables rooted at (cr3):
 * 4 KiB, 2 MiB and 1 GiB pages; every level must be present, and writable
 * when (write).  0 with *gpa set, or -EFAULT.
 */
int gva_to_gpa(struct domain *d, uint64_t cr3, gva_t gva, bool write,
               gpa_t *gpa);

#endif /* XENEMU_GUEST_MEM_H */
