/*
 * mm.c: a region bump allocator with a free list of single pages.
 *
 * The kernel allocates at boot and for tests and rarely frees, so a bump
 * pointer per RAM region is enough; freed pages are kept on a list
 * (linked through their first word) and handed out again by kpage_alloc().
 * Contiguous runs come only from the bump pointers.
 */
#include "lib.h"
#include "mm.h"

/* Nothing below 1 MiB: the boot structures and legacy holes live there. */
#define MM_LOW_LIMIT 0x100000ull

static uint64_t page_up(uint64_t a)
{
    return (a + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}

static uint64_t page_down(uint64_t a)
{
    return a & ~(uint64_t)(PAGE_SIZE - 1);
}

static void add_region(struct mm *mm, uint64_t start, uint64_t end)
{
    start = page_up(start < MM_LOW_LIMIT ? MM_LOW_LIMIT : start);
    end = page_down(end);
    if (start >= end || mm->nr_regions == MM_MAX_REGIONS)
        return;
    mm->region[mm->nr_regions].next = start;
    mm->region[mm->nr_regions].end = end;
    mm->nr_regions++;
}

/* Pages left in the regions (boot only: the free list is still empty). */
static void recount(struct mm *mm)
{
    uint64_t pages = 0;

    for (unsigned int i = 0; i < mm->nr_regions; i++)
        pages += (mm->region[i].end - mm->region[i].next) >> PAGE_SHIFT;
    mm->free_pages = pages;
}

void kmem_exclude(struct mm *mm, uint64_t start, uint64_t end)
{
    start = page_down(start);
    end = page_up(end);
    for (unsigned int i = 0; i < mm->nr_regions; i++) {
        struct mm_region *r = &mm->region[i];
        uint64_t r_end = r->end;

        if (end <= r->next || start >= r_end)
            continue;
        /* Keep the part below (start) here, the part above as a new
         * region (dropped if the table is full: we only lose memory). */
        r->end = start > r->next ? start : r->next;
        if (end < r_end)
            add_region(mm, end, r_end);
    }
    recount(mm);
}

uint64_t kmem_init(struct mm *mm, const struct hvm_start_info *si)
{
    const struct hvm_memmap_table_entry *map;
    uint64_t img_start, img_end;

    memset(mm, 0, sizeof(*mm));
    if (si->version < 1 || !si->memmap_entries)
        return 0;
    map = arch_phys_to_virt(si->memmap_paddr);
    for (uint32_t i = 0; i < si->memmap_entries; i++)
        if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
            add_region(mm, map[i].addr, map[i].addr + map[i].size);
    arch_image_range(&img_start, &img_end);
    if (img_end > img_start)
        kmem_exclude(mm, img_start, img_end);
    recount(mm);
    return mm->free_pages;
}

/* Carve (n) pages from a region's bump pointer; 0 if none is big enough.
 * Caller holds mm->lock. */
static uint64_t bump(struct mm *mm, size_t n)
{
    uint64_t bytes = (uint64_t)n << PAGE_SHIFT;

    for (unsigned int i = 0; i < mm->nr_regions; i++) {
        struct mm_region *r = &mm->region[i];

        if (r->end - r->next >= bytes) {
            uint64_t gpa = r->next;

            r->next += bytes;
            mm->free_pages -= n;
            return gpa;
        }
    }
    return 0;
}

void *kpages_alloc(struct mm *mm, size_t n)
{
    uint64_t gpa;
    void *p;

    spin_lock(&mm->lock);
    gpa = bump(mm, n);
    spin_unlock(&mm->lock);
    if (!gpa)
        return NULL;
    p = arch_phys_to_virt(gpa);
    memset(p, 0, n << PAGE_SHIFT);
    return p;
}

void *kpage_alloc(struct mm *mm)
{
    void *p;

    spin_lock(&mm->lock);
    p = mm->free_list;
    if (p) {
        mm->free_list = *(void **)p;
        mm->free_pages--;
    }
    spin_unlock(&mm->lock);
    if (!p)
        return kpages_alloc(mm, 1);
    memset(p, 0, PAGE_SIZE);
    return p;
}

void kpage_free(struct mm *mm, void *page)
{
    if (!page)
        return;
    spin_lock(&mm->lock);
    *(void **)page = mm->free_list;
    mm->free_list = page;
    mm->free_pages++;
    spin_unlock(&mm->lock);
}
