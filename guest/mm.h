/*
 * mm.h: the page allocator.  Pages come from the RAM entries of the start
 * info's memory map, minus what must not be handed out (below 1 MiB, the
 * image, the boot stack).  Every page is returned zeroed, page-aligned,
 * and has a guest-physical address (it is guest RAM), so it may be given
 * to Xen.
 */
#ifndef XENEMU_GUEST_MM_H
#define XENEMU_GUEST_MM_H

#include <stddef.h>
#include <stdint.h>

#include "kernel.h"

/* Fill (mm) from (si)'s memory map.  Returns the number of free pages. */
uint64_t kmem_init(struct mm *mm, const struct hvm_start_info *si);
/* Never hand out guest-physical [start, end) (boot only). */
void kmem_exclude(struct mm *mm, uint64_t start, uint64_t end);

/* One zeroed page, or NULL when memory is exhausted. */
void *kpage_alloc(struct mm *mm);
/* (n) physically contiguous zeroed pages, or NULL. */
void *kpages_alloc(struct mm *mm, size_t n);
/* Give back one page from kpage_alloc() (or one of kpages_alloc()'s). */
void kpage_free(struct mm *mm, void *page);

#endif /* XENEMU_GUEST_MM_H */
