/*
 * test_memory_op.c: __HYPERVISOR_memory_op, in both argument layouts.
 * Expected values are Xen 4.17.7's: common/memory.c:do_memory_op() (the
 * case named in each test), xatp_permission_check(),
 * arch/x86/mm/p2m.c:xenmem_add_to_physmap_one(), arch/x86/mm.c:
 * arch_memory_op(), x86_64/mm.c:subarch_memory_op(), common/compat/
 * memory.c:compat_memory_op(), common/mem_access.c:mem_access_memop(),
 * arch/x86/mm/p2m-pod.c and hvm/hypercall.c:hvm_memory_op(), unless
 * a comment says "xenemu" (a deliberate difference).
 */
#include <string.h>

#include "harness.h"
#include "xenemu/compat.h"

#define BAD_GPA     ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE)
#define MAP_GFN     0x200u /* a RAM frame the tests overlay */
#define BUF_GPA     0x3000u
#define CANARY      0xa5
#define NOT_A_DOMID 999

static long memop(struct domain *d, uint64_t cmd, void *arg, size_t size)
{
    return harness_op(d, 0, __HYPERVISOR_memory_op, (unsigned int)cmd, arg,
                      size);
}

/* A memory_op from 32-bit mode with (arg) at HARNESS_ARG_GPA. */
static long compat_memop(struct domain *d, uint64_t cmd, void *arg, size_t size)
{
    uint64_t args[5] = {cmd, HARNESS_ARG_GPA, 0, 0, 0};
    struct hv_call call;
    long rc;

    assert_int_equal(gpa_write(d, HARNESS_ARG_GPA, arg, size), 0);
    hv_call_init(&call, d->vcpus[0], true, false, 0);
    rc = hypercall_dispatch(&call, __HYPERVISOR_memory_op, args);
    assert_int_equal(gpa_read(d, arg, HARNESS_ARG_GPA, size), 0);
    return rc;
}

static long add(struct domain *d, domid_t domid, unsigned int space,
                uint64_t idx, uint64_t gpfn)
{
    struct xen_add_to_physmap a = {
        .domid = domid, .space = space, .idx = idx, .gpfn = gpfn};

    return memop(d, XENMEM_add_to_physmap, &a, sizeof(a));
}

/* case XENMEM_add_to_physmap, XENMAPSPACE_shared_info idx 0:
 * arch/x86/mm/p2m.c:xenmem_add_to_physmap_one() maps d->shared_info at
 * gpfn (0). */
static void test_shared_info_appears_at_gpfn(void **state)
{
    struct harness_fixture *f = *state;
    uint8_t *ram_page = f->d->ram + (uint64_t)MAP_GFN * GUEST_PAGE_SIZE;
    uint32_t word;

    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN), ram_page);
    assert_int_equal(add(f->d, DOMID_SELF, XENMAPSPACE_shared_info, 0, MAP_GFN),
                     0);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN), f->d->shared_info);
    /* Guest accesses to the frame now reach shared_info. */
    shinfo(f->d)->wc_sec = 0x12345678;
    assert_int_equal(gpa_read(f->d, &word,
                              (uint64_t)MAP_GFN * GUEST_PAGE_SIZE +
                                  offsetof(struct shared_info, wc_sec),
                              sizeof(word)),
                     0);
    assert_int_equal(word, 0x12345678);

    /* xenemu (deliberate, flat RAM): moving it shows the RAM frame again;
     * Xen's xenmem_add_to_physmap_one() freed that page with
     * guest_remove_page(), leaving a hole. */
    assert_int_equal(
        add(f->d, DOMID_SELF, XENMAPSPACE_shared_info, 0, MAP_GFN + 1), 0);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN + 1), f->d->shared_info);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN), ram_page);
}

/* The same through common/compat/memory.c:compat_memory_op()
 * (XENMEM_add_to_physmap is translated field by field); any gpfn but
 * INVALID_GFN is accepted: common/memory.c:xenmem_add_to_physmap(). */
static void test_shared_info_compat_layout(void **state)
{
    struct harness_fixture *f = *state;
    struct compat_add_to_physmap a = {.domid = DOMID_SELF,
                                      .space = XENMAPSPACE_shared_info,
                                      .idx = 0,
                                      .gpfn = MAP_GFN};

    assert_int_equal(compat_memop(f->d, XENMEM_add_to_physmap, &a, sizeof(a)),
                     0);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN), f->d->shared_info);
    /* Beyond guest RAM is fine: the overlay is the frame's only page. */
    a.gpfn = 0xfeffe;
    assert_int_equal(compat_memop(f->d, XENMEM_add_to_physmap, &a, sizeof(a)),
                     0);
    assert_ptr_equal(gfn_to_host(f->d, 0xfeffe), f->d->shared_info);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN),
                     f->d->ram + (uint64_t)MAP_GFN * GUEST_PAGE_SIZE);
}

/* XENMAPSPACE_grant_table: frame idx of the (version 1) table, grown on
 * demand up to max_grant_frames: common/grant_table.c:
 * gnttab_map_frame_begin() and gnttab_get_shared_frame_mfn().  The frame
 * keeps its page when moved (one mfn per frame).  The overlay bookkeeping
 * is xenemu's. */
static void test_grant_frames(void **state)
{
    struct harness_fixture *f = *state;
    unsigned int last = f->d->nr_overlays - 2; /* highest frame index */
    uint8_t *page;

    assert_int_equal(f->d->nr_overlays, 1 + DOMAIN_DEFAULT_GRANT_FRAMES);
    assert_null(f->d->overlays[1].page);
    assert_int_equal(add(f->d, DOMID_SELF, XENMAPSPACE_grant_table, 0, MAP_GFN),
                     0);
    page = gfn_to_host(f->d, MAP_GFN);
    assert_ptr_equal(page, f->d->overlays[1].page);
    assert_true(page < f->d->ram || page >= f->d->ram + f->d->ram_size);
    for (unsigned int i = 0; i < GUEST_PAGE_SIZE; i++)
        assert_int_equal(page[i], 0);
    assert_int_equal(f->d->overlays_used, 2);

    /* The same frame moved keeps its page (and contents). */
    page[0] = 0x5a;
    assert_int_equal(
        add(f->d, DOMID_SELF, XENMAPSPACE_grant_table, 0, MAP_GFN + 5), 0);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN + 5), page);
    assert_int_equal(page[0], 0x5a);

    assert_int_equal(
        add(f->d, DOMID_SELF, XENMAPSPACE_grant_table, last, MAP_GFN + 6), 0);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN + 6),
                     f->d->overlays[1 + last].page);
    assert_int_equal(f->d->overlays_used, 2 + last);
}

/* xenmem_add_to_physmap_one(): whatever was at gpfn is replaced, and a
 * page already mapped elsewhere leaves its old gfn; the later mapping
 * wins. */
static void test_overlays_replace_each_other(void **state)
{
    struct harness_fixture *f = *state;

    assert_int_equal(add(f->d, DOMID_SELF, XENMAPSPACE_grant_table, 3, MAP_GFN),
                     0);
    assert_int_equal(add(f->d, DOMID_SELF, XENMAPSPACE_shared_info, 0, MAP_GFN),
                     0);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN), f->d->shared_info);
    assert_int_equal(f->d->overlays[4].gfn, GFN_INVALID);
    /* And back: the later mapping wins either way. */
    assert_int_equal(add(f->d, DOMID_SELF, XENMAPSPACE_grant_table, 3, MAP_GFN),
                     0);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN), f->d->overlays[4].page);
    assert_int_equal(f->d->overlays[0].gfn, GFN_INVALID);
}

/* case XENMEM_add_to_physmap: -ENOSYS for gmfn_foreign, then the lookup
 * (rcu_lock_domain_by_any_id(): -ESRCH, DOMID_IO included), then
 * xatp_permission_check() (-EACCES, then XSM_TARGET's -EPERM), then
 * common/memory.c:xenmem_add_to_physmap() (-EINVAL for INVALID_GFN) and
 * arch/x86/mm/p2m.c:xenmem_add_to_physmap_one() (-EINVAL for no frame:
 * shared_info idx != 0, an unknown space, a grant frame past
 * max_grant_frames or a status frame of a version 1 table). */
static void test_add_to_physmap_errors(void **state)
{
    struct harness_fixture *f = *state;
    struct domain *other = harness_domain(f->hv, &(struct harness_dom_opts){0});
    unsigned int frames = f->d->nr_overlays - 1;
    const struct {
        domid_t domid;
        unsigned int space;
        uint64_t idx, gpfn;
        long rc;
    } cases[] = {
        /* Foreign frames: -ENOSYS before the domain is looked up. */
        {NOT_A_DOMID, XENMAPSPACE_gmfn_foreign, 0, MAP_GFN, -XEN_ENOSYS},
        {NOT_A_DOMID, 99, 0, MAP_GFN, -XEN_ESRCH},
        {DOMID_IO, XENMAPSPACE_shared_info, 0, MAP_GFN, -XEN_ESRCH},
        {other->domid, XENMAPSPACE_shared_info, 0, MAP_GFN, -XEN_EPERM},
        {other->domid, XENMAPSPACE_shared_info, 0, GFN_INVALID, -XEN_EPERM},
        {DOMID_SELF, XENMAPSPACE_shared_info, 0, GFN_INVALID, -XEN_EINVAL},
        {DOMID_SELF, 99, 0, GFN_INVALID, -XEN_EINVAL},
        {DOMID_SELF, XENMAPSPACE_shared_info, 1, MAP_GFN, -XEN_EINVAL},
        {DOMID_SELF, XENMAPSPACE_grant_table, frames, MAP_GFN, -XEN_EINVAL},
        {DOMID_SELF, XENMAPSPACE_grant_table, XENMAPIDX_grant_table_status,
         MAP_GFN, -XEN_EINVAL},
        /* xenemu (deliberate): RAM is not remapped. */
        {DOMID_SELF, XENMAPSPACE_gmfn, 5, MAP_GFN, -XEN_EOPNOTSUPP},
        {DOMID_SELF, XENMAPSPACE_gmfn_range, 5, MAP_GFN, -XEN_EOPNOTSUPP},
        /* xatp_permission_check(): dev_mmio only for the hardware domain
         * on itself, before the XSM check. */
        {DOMID_SELF, XENMAPSPACE_dev_mmio, 0, MAP_GFN, -XEN_EACCES},
        {DOMID_SELF, XENMAPSPACE_dev_mmio, 0, GFN_INVALID, -XEN_EACCES},
        {other->domid, XENMAPSPACE_dev_mmio, 0, MAP_GFN, -XEN_EACCES},
        {DOMID_SELF, 99, 0, MAP_GFN, -XEN_EINVAL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(add(f->d, cases[i].domid, cases[i].space, cases[i].idx,
                             cases[i].gpfn),
                         cases[i].rc);
        assert_int_equal(f->d->overlays_used, 0);
        assert_int_equal(other->overlays_used, 0);
    }
    /* common/grant_table.c:gnttab_get_shared_frame_mfn() takes idx as an
     * unsigned int: 2^32 is frame 0. */
    assert_int_equal(
        add(f->d, DOMID_SELF, XENMAPSPACE_grant_table, 1ull << 32, MAP_GFN), 0);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN), f->d->overlays[1].page);
    harness_domain_free(other);
}

/* common/compat/memory.c:compat_memory_op() copies the compat argument
 * (-EFAULT) before common/memory.c:do_memory_op()'s -EDOM check. */
static void test_add_to_physmap_compat_order(void **state)
{
    struct harness_fixture *f = *state;
    uint64_t args[5] = {XENMEM_add_to_physmap | (0x10000ull << 6), BAD_GPA, 0,
                        0, 0};
    struct hv_call call;

    hv_call_init(&call, f->d->vcpus[0], true, false, 0);
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_memory_op, args),
                     -XEN_EFAULT);
    args[1] = HARNESS_ARG_GPA;
    hv_call_init(&call, f->d->vcpus[0], true, false, 0);
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_memory_op, args),
                     -XEN_EDOM);
    /* 64-bit: -EDOM first. */
    assert_int_equal(
        harness_hypercall(f->d, 0, __HYPERVISOR_memory_op, args[0], BAD_GPA, 0),
        -XEN_EDOM);
}

/* case XENMEM_add_to_physmap: -EDOM for a start extent that does not fit
 * xatp.size, then the copy (-EFAULT); only gmfn_range uses the extent. */
static void test_add_to_physmap_bad_arg_and_extent(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_add_to_physmap a = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .gpfn = MAP_GFN};

    assert_int_equal(harness_hypercall(f->d, 0, __HYPERVISOR_memory_op,
                                       XENMEM_add_to_physmap, BAD_GPA, 0),
                     -XEN_EFAULT);
    /* A start extent beyond xatp.size's range. */
    assert_int_equal(
        memop(f->d, XENMEM_add_to_physmap | (0x10000ull << 6), &a, sizeof(a)),
        -XEN_EDOM);
    assert_int_equal(f->d->overlays_used, 0);
    /* One that fits is ignored (no gmfn_range continuation here). */
    assert_int_equal(
        memop(f->d, XENMEM_add_to_physmap | (0xffffull << 6), &a, sizeof(a)),
        0);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN), f->d->shared_info);
}

/* xatp_permission_check(): XSM_TARGET lets a privileged domain map into
 * another domain's physmap. */
static void test_controlling_domain_maps_for_guest(void **state)
{
    struct harness_fixture *f = *state;
    struct domain *ts = harness_domain(f->hv, &(struct harness_dom_opts){0});

    ts->is_privileged = true;
    assert_int_equal(add(ts, f->d->domid, XENMAPSPACE_shared_info, 0, MAP_GFN),
                     0);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN), f->d->shared_info);
    assert_int_equal(ts->overlays_used, 0);
    harness_domain_free(ts);
}

/* A backend that records map_page() and fails it on request (xenemu's
 * backend interface; a backend error is returned as the call's result,
 * like a p2m_add_page() failure in xenmem_add_to_physmap_one()). */
static struct {
    unsigned int calls;
    struct domain *d;
    uint64_t gfn;
    void *page;
    int rc;
} mapped;

static int rec_map_page(struct domain *d, uint64_t gfn, void *page)
{
    mapped.calls++;
    mapped.d = d;
    mapped.gfn = gfn;
    mapped.page = page;
    return mapped.rc;
}

static void test_backend_map_page(void **state)
{
    static const struct hv_backend_ops ops = {.map_page = rec_map_page};
    struct hv *hv;
    struct domain *d;

    (void)state;
    memset(&mapped, 0, sizeof(mapped));
    assert_int_equal(hv_create(&ops, NULL, &hv), 0);
    d = harness_domain(hv, &(struct harness_dom_opts){0});

    assert_int_equal(add(d, DOMID_SELF, XENMAPSPACE_shared_info, 0, MAP_GFN),
                     0);
    assert_int_equal(mapped.calls, 1);
    assert_ptr_equal(mapped.d, d);
    assert_int_equal(mapped.gfn, MAP_GFN);
    assert_ptr_equal(mapped.page, d->shared_info);

    mapped.rc = -XEN_ENOMEM;
    assert_int_equal(
        add(d, DOMID_SELF, XENMAPSPACE_grant_table, 2, MAP_GFN + 1),
        -XEN_ENOMEM);
    assert_int_equal(mapped.calls, 2);
    assert_int_equal(mapped.gfn, MAP_GFN + 1);
    assert_ptr_equal(mapped.page, d->overlays[3].page);

    /* Refused requests never reach the backend. */
    assert_int_equal(add(d, DOMID_SELF, XENMAPSPACE_shared_info, 1, MAP_GFN),
                     -XEN_EINVAL);
    assert_int_equal(mapped.calls, 2);
    harness_domain_free(d);
    hv_destroy(hv);
}

/* ---- XENMEM_memory_map ---- */

static void e820_expect(uint8_t *want, uint64_t addr, uint64_t size,
                        uint32_t type)
{
    for (int i = 0; i < 8; i++) {
        want[i] = (uint8_t)(addr >> (8 * i));
        want[8 + i] = (uint8_t)(size >> (8 * i));
    }
    for (int i = 0; i < 4; i++)
        want[16 + i] = (uint8_t)(type >> (8 * i));
}

static void poison_buffer(struct domain *d)
{
    uint8_t buf[256];

    memset(buf, CANARY, sizeof(buf));
    assert_int_equal(gpa_write(d, BUF_GPA, buf, sizeof(buf)), 0);
}

static void three_entries(struct domain *d)
{
    static const struct domain_e820 map[DOMAIN_E820_MAX + 1] = {
        {0, 0x9f000, E820_RAM},
        {0xf0000, 0x10000, E820_RESERVED},
        {0x100000, 0x300000, E820_RAM},
    };

    /* A map that does not fit is refused and changes nothing. */
    assert_int_equal(domain_set_memory_map(d, map, 0), -XEN_EINVAL);
    assert_int_equal(domain_set_memory_map(d, map, DOMAIN_E820_MAX + 1),
                     -XEN_EINVAL);
    assert_int_equal(d->nr_e820, 1);
    assert_int_equal(domain_set_memory_map(d, map, 3), 0);
}

/* arch/x86/mm.c:arch_memory_op() case XENMEM_memory_map: min(asked,
 * nr_e820) entries of 20 bytes, nr_entries written back; the compat
 * layout through arch/x86/x86_64/compat/mm.c:compat_arch_memory_op(). */
static void test_memory_map_both_layouts(void **state)
{
    static const struct {
        uint32_t asked, got;
    } cases[] = {{0, 0}, {1, 1}, {2, 2}, {3, 3}, {8, 3}, {0xffffffffu, 3}};
    struct harness_fixture *f = *state;
    uint8_t want[256], buf[256];

    three_entries(f->d);
    for (int compat = 0; compat < 2; compat++) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            uint32_t got = cases[i].got;
            long rc;

            poison_buffer(f->d);
            if (compat) {
                struct compat_memory_map m = {cases[i].asked, BUF_GPA};

                rc = compat_memop(f->d, XENMEM_memory_map, &m, sizeof(m));
                assert_int_equal(m.nr_entries, got);
                assert_int_equal(m.buffer, BUF_GPA);
            } else {
                struct xen_memory_map m = {.nr_entries = cases[i].asked};

                set_xen_guest_handle(m.buffer, (void *)(uintptr_t)BUF_GPA);
                rc = memop(f->d, XENMEM_memory_map, &m, sizeof(m));
                assert_int_equal(m.nr_entries, got);
            }
            assert_int_equal(rc, 0);
            memset(want, CANARY, sizeof(want));
            e820_expect(want, 0, 0x9f000, E820_RAM);
            e820_expect(want + 20, 0xf0000, 0x10000, E820_RESERVED);
            e820_expect(want + 40, 0x100000, 0x300000, E820_RAM);
            memset(want + got * 20, CANARY, sizeof(want) - got * 20);
            assert_int_equal(gpa_read(f->d, buf, BUF_GPA, sizeof(buf)), 0);
            assert_memory_equal(buf, want, sizeof(want));
        }
    }
}

/* The default one-entry map is xenemu's (in Xen the toolstack sets it
 * with XENMEM_set_memory_map); the answer is arch_memory_op()'s. */
static void test_memory_map_default_is_all_ram(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_memory_map m = {.nr_entries = 4};
    uint8_t want[20], buf[20];

    set_xen_guest_handle(m.buffer, (void *)(uintptr_t)BUF_GPA);
    /* arch_memory_op() switches on the whole cmd: extent bits make it an
     * unknown op. */
    assert_int_equal(memop(f->d, XENMEM_memory_map | (5u << 6), &m, sizeof(m)),
                     -XEN_ENOSYS);
    assert_int_equal(m.nr_entries, 4);
    assert_int_equal(memop(f->d, XENMEM_memory_map, &m, sizeof(m)), 0);
    assert_int_equal(m.nr_entries, 1);
    e820_expect(want, 0, f->d->ram_size, E820_RAM);
    assert_int_equal(gpa_read(f->d, buf, BUF_GPA, sizeof(buf)), 0);
    assert_memory_equal(buf, want, sizeof(want));
}

/* arch_memory_op() case XENMEM_memory_map: -EFAULT for the argument or
 * the buffer, -ENOSYS with no map (after the copy). */
static void test_memory_map_errors(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_memory_map m = {.nr_entries = 4};

    assert_int_equal(harness_hypercall(f->d, 0, __HYPERVISOR_memory_op,
                                       XENMEM_memory_map, BAD_GPA, 0),
                     -XEN_EFAULT);
    /* A buffer outside RAM: nothing written, nr_entries unchanged. */
    set_xen_guest_handle(m.buffer, (void *)(uintptr_t)(BAD_GPA - 10));
    assert_int_equal(memop(f->d, XENMEM_memory_map, &m, sizeof(m)),
                     -XEN_EFAULT);
    assert_int_equal(m.nr_entries, 4);
    /* No map at all: -ENOSYS, after the argument was read. */
    f->d->nr_e820 = 0;
    assert_int_equal(memop(f->d, XENMEM_memory_map, &m, sizeof(m)),
                     -XEN_ENOSYS);
    assert_int_equal(harness_hypercall(f->d, 0, __HYPERVISOR_memory_op,
                                       XENMEM_memory_map, BAD_GPA, 0),
                     -XEN_EFAULT);
}

/* (cmd) from 64-bit (compat false) or 32-bit mode, argument at (gpa). */
static long raw(struct domain *d, bool compat, uint64_t cmd, uint64_t gpa)
{
    uint64_t args[5] = {cmd, gpa, 0, 0, 0};
    struct hv_call call;

    hv_call_init(&call, d->vcpus[0], compat, false, 0);
    return hypercall_dispatch(&call, __HYPERVISOR_memory_op, args);
}

/* case XENMEM_increase/decrease_reservation, populate_physmap: the count
 * of extents done, never an errno; start_extent on every bad argument.
 * xenemu: no extent is ever done (increase/populate fail at max_pages ==
 * tot_pages as Xen's assign_pages() would; decrease is deliberate). */
static void test_reservation_ops_count_extents(void **state)
{
    static const unsigned int ops[] = {XENMEM_increase_reservation,
                                       XENMEM_decrease_reservation,
                                       XENMEM_populate_physmap};
    struct harness_fixture *f = *state;
    struct xen_memory_reservation r = {.nr_extents = 4, .domid = DOMID_SELF};
    struct compat_memory_reservation c = {.nr_extents = 4, .domid = DOMID_SELF};

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        for (int compat = 0; compat < 2; compat++) {
            if (compat)
                assert_int_equal(
                    gpa_write(f->d, HARNESS_ARG_GPA, &c, sizeof(c)), 0);
            else
                assert_int_equal(
                    gpa_write(f->d, HARNESS_ARG_GPA, &r, sizeof(r)), 0);
            assert_int_equal(raw(f->d, compat, ops[i], HARNESS_ARG_GPA), 0);
            /* A continuation's start extent comes back as the count. */
            assert_int_equal(
                raw(f->d, compat, ops[i] | (2u << 6), HARNESS_ARG_GPA), 2);
            /* Unreadable argument: start_extent, not -EFAULT. */
            assert_int_equal(raw(f->d, compat, ops[i] | (3u << 6), BAD_GPA), 3);
            /* start_extent past nr_extents. */
            assert_int_equal(
                raw(f->d, compat, ops[i] | (9u << 6), HARNESS_ARG_GPA), 9);
        }
        /* An unknown domain: start_extent. */
        r.domid = NOT_A_DOMID;
        assert_int_equal(memop(f->d, ops[i], &r, sizeof(r)), 0);
        r.domid = DOMID_SELF;
    }
}

/* case XENMEM_maximum_ram_page: -EINVAL with extent bits.  xenemu: the
 * caller's RAM frames, not the host's max_page (deliberate). */
static void test_maximum_ram_page(void **state)
{
    struct harness_fixture *f = *state;

    assert_int_equal(raw(f->d, false, XENMEM_maximum_ram_page, 0),
                     HARNESS_RAM_PAGES);
    assert_int_equal(raw(f->d, false, XENMEM_maximum_ram_page | (1u << 6), 0),
                     -XEN_EINVAL);
}

/* case XENMEM_current_reservation / maximum_reservation / maximum_gpfn:
 * tot_pages, max_pages, the highest mapped gfn; -EINVAL with extent bits,
 * -EFAULT, -ESRCH, XSM_TARGET's -EPERM for a foreign domain. */
static void test_reservation_queries(void **state)
{
    struct harness_fixture *f = *state;
    struct domain *other = harness_domain(f->hv, &(struct harness_dom_opts){0});
    domid_t self = DOMID_SELF, bad = NOT_A_DOMID, foreign = other->domid;

    for (int compat = 0; compat < 2; compat++) {
        assert_int_equal(gpa_write(f->d, HARNESS_ARG_GPA, &self, 2), 0);
        assert_int_equal(
            raw(f->d, compat, XENMEM_current_reservation, HARNESS_ARG_GPA),
            HARNESS_RAM_PAGES);
        /* xenemu: max_pages is the flat RAM too. */
        assert_int_equal(
            raw(f->d, compat, XENMEM_maximum_reservation, HARNESS_ARG_GPA),
            HARNESS_RAM_PAGES);
        assert_int_equal(
            raw(f->d, compat, XENMEM_maximum_gpfn, HARNESS_ARG_GPA),
            HARNESS_RAM_PAGES - 1);
        assert_int_equal(
            raw(f->d, compat, XENMEM_current_reservation | 64, HARNESS_ARG_GPA),
            -XEN_EINVAL);
        assert_int_equal(raw(f->d, compat, XENMEM_maximum_gpfn, BAD_GPA),
                         -XEN_EFAULT);
        assert_int_equal(gpa_write(f->d, HARNESS_ARG_GPA, &bad, 2), 0);
        assert_int_equal(
            raw(f->d, compat, XENMEM_maximum_reservation, HARNESS_ARG_GPA),
            -XEN_ESRCH);
        assert_int_equal(gpa_write(f->d, HARNESS_ARG_GPA, &foreign, 2), 0);
        assert_int_equal(
            raw(f->d, compat, XENMEM_current_reservation, HARNESS_ARG_GPA),
            -XEN_EPERM);
    }
    /* An overlay above RAM raises the highest mapped gfn. */
    assert_int_equal(add(f->d, DOMID_SELF, XENMAPSPACE_shared_info, 0, 0xfeffe),
                     0);
    assert_int_equal(gpa_write(f->d, HARNESS_ARG_GPA, &self, 2), 0);
    assert_int_equal(raw(f->d, false, XENMEM_maximum_gpfn, HARNESS_ARG_GPA),
                     0xfeffe);
    harness_domain_free(other);
}

/* case XENMEM_remove_from_physmap: -EINVAL with extent bits (compat: after
 * the copy), -EFAULT, -ESRCH, -EPERM, -ENOENT for an unmapped frame.
 * xenemu: a mapped frame cannot be unmapped, -EOPNOTSUPP (deliberate). */
static void test_remove_from_physmap(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_remove_from_physmap x = {.domid = DOMID_SELF,
                                        .gpfn = HARNESS_RAM_PAGES + 5};
    struct compat_remove_from_physmap c = {.domid = DOMID_SELF,
                                           .gpfn = HARNESS_RAM_PAGES + 5};

    assert_int_equal(memop(f->d, XENMEM_remove_from_physmap, &x, sizeof(x)),
                     -XEN_ENOENT);
    assert_int_equal(
        compat_memop(f->d, XENMEM_remove_from_physmap, &c, sizeof(c)),
        -XEN_ENOENT);
    assert_int_equal(raw(f->d, false, XENMEM_remove_from_physmap | 64, BAD_GPA),
                     -XEN_EINVAL);
    assert_int_equal(raw(f->d, true, XENMEM_remove_from_physmap | 64, BAD_GPA),
                     -XEN_EFAULT);
    assert_int_equal(raw(f->d, false, XENMEM_remove_from_physmap, BAD_GPA),
                     -XEN_EFAULT);
    x.gpfn = MAP_GFN;
    assert_int_equal(memop(f->d, XENMEM_remove_from_physmap, &x, sizeof(x)),
                     -XEN_EOPNOTSUPP);
    x.domid = NOT_A_DOMID;
    assert_int_equal(memop(f->d, XENMEM_remove_from_physmap, &x, sizeof(x)),
                     -XEN_ESRCH);
    x.domid = 0; /* dom0: not ours to change */
    assert_int_equal(memop(f->d, XENMEM_remove_from_physmap, &x, sizeof(x)),
                     -XEN_EPERM);
}

/* case XENMEM_get_vnumainfo: -EINVAL for extent bits or a non-zero pad,
 * -ESRCH, then -EOPNOTSUPP: no vNUMA (d->vnuma NULL). */
static void test_get_vnumainfo(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_vnuma_topology_info t = {.domid = DOMID_SELF, .nr_vnodes = 1};

    assert_int_equal(memop(f->d, XENMEM_get_vnumainfo, &t, sizeof(t)),
                     -XEN_EOPNOTSUPP);
    assert_int_equal(compat_memop(f->d, XENMEM_get_vnumainfo, &t, sizeof(t)),
                     -XEN_EOPNOTSUPP);
    assert_int_equal(raw(f->d, false, XENMEM_get_vnumainfo, BAD_GPA),
                     -XEN_EFAULT);
    assert_int_equal(memop(f->d, XENMEM_get_vnumainfo | 64, &t, sizeof(t)),
                     -XEN_EINVAL);
    t.domid = NOT_A_DOMID;
    assert_int_equal(memop(f->d, XENMEM_get_vnumainfo, &t, sizeof(t)),
                     -XEN_ESRCH);
    t.pad = 1;
    assert_int_equal(memop(f->d, XENMEM_get_vnumainfo, &t, sizeof(t)),
                     -XEN_EINVAL);
}

/* case XENMEM_claim_pages: DOMID_SELF is -EINVAL (looked up by id only);
 * the own id -EPERM (XSM_PRIV); a non-NULL list, order or flags -EINVAL. */
static void test_claim_pages(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_memory_reservation r = {.nr_extents = 1, .domid = DOMID_SELF};

    assert_int_equal(memop(f->d, XENMEM_claim_pages, &r, sizeof(r)),
                     -XEN_EINVAL);
    r.domid = f->d->domid;
    assert_int_equal(memop(f->d, XENMEM_claim_pages, &r, sizeof(r)),
                     -XEN_EPERM);
    r.extent_order = 1;
    assert_int_equal(memop(f->d, XENMEM_claim_pages, &r, sizeof(r)),
                     -XEN_EINVAL);
    assert_int_equal(memop(f->d, XENMEM_claim_pages | 64, &r, sizeof(r)),
                     -XEN_EINVAL);
}

/* ---- the sub-ops added last ---- */

/* arch/x86/mm.c:arch_memory_op() case XENMEM_set_memory_map: the caller
 * may set its own map (XSM_TARGET); the entries replace the map whole and
 * XENMEM_memory_map reports them; more than E820MAX (1024) is -EINVAL
 * before the lookup, an unknown domain -ESRCH, an unreadable buffer
 * -EFAULT (the map unchanged), 0 entries leave memory_map -ENOSYS. */
static void test_set_memory_map(void **state)
{
    struct harness_fixture *f = *state;
    uint8_t in[2 * 20], out[2 * 20];
    struct xen_foreign_memory_map fm = {.domid = DOMID_SELF,
                                        .map.nr_entries = 2};
    struct xen_memory_map m = {.nr_entries = 8};
    struct compat_foreign_memory_map cfm = {DOMID_SELF, 1, BUF_GPA};

    e820_expect(in, 0, 0x9f000, E820_RAM);
    e820_expect(in + 20, 0x100000, 0x200000, E820_RESERVED);
    assert_int_equal(gpa_write(f->d, BUF_GPA, in, sizeof(in)), 0);
    set_xen_guest_handle(fm.map.buffer, (void *)(uintptr_t)BUF_GPA);
    assert_int_equal(memop(f->d, XENMEM_set_memory_map, &fm, sizeof(fm)), 0);
    assert_int_equal(f->d->nr_e820, 2);
    poison_buffer(f->d);
    set_xen_guest_handle(m.buffer, (void *)(uintptr_t)BUF_GPA);
    assert_int_equal(memop(f->d, XENMEM_memory_map, &m, sizeof(m)), 0);
    assert_int_equal(m.nr_entries, 2);
    assert_int_equal(gpa_read(f->d, out, BUF_GPA, sizeof(out)), 0);
    assert_memory_equal(out, in, sizeof(in));

    /* Compat: one entry, the first of the buffer. */
    assert_int_equal(gpa_write(f->d, BUF_GPA, in, sizeof(in)), 0);
    assert_int_equal(
        compat_memop(f->d, XENMEM_set_memory_map, &cfm, sizeof(cfm)), 0);
    assert_int_equal(f->d->nr_e820, 1);
    assert_int_equal(f->d->e820[0].size, 0x9f000);

    /* The checks, in order; none changes the map. */
    fm.map.nr_entries = 1025;
    fm.domid = NOT_A_DOMID;
    assert_int_equal(memop(f->d, XENMEM_set_memory_map, &fm, sizeof(fm)),
                     -XEN_EINVAL);
    fm.map.nr_entries = 1024;
    assert_int_equal(memop(f->d, XENMEM_set_memory_map, &fm, sizeof(fm)),
                     -XEN_ESRCH);
    fm.domid = f->d->domid;
    set_xen_guest_handle(fm.map.buffer, (void *)(uintptr_t)BAD_GPA);
    assert_int_equal(memop(f->d, XENMEM_set_memory_map, &fm, sizeof(fm)),
                     -XEN_EFAULT);
    assert_int_equal(raw(f->d, false, XENMEM_set_memory_map, BAD_GPA),
                     -XEN_EFAULT);
    /* Chosen on the whole cmd: extent bits make it arch_memory_op()'s
     * default, -ENOSYS. */
    assert_int_equal(memop(f->d, XENMEM_set_memory_map | 64, &fm, sizeof(fm)),
                     -XEN_ENOSYS);
    assert_int_equal(f->d->nr_e820, 1);

    /* 1024 entries are taken (a large map, allocated) and reported. */
    {
        static uint8_t big[1024 * 20];

        for (unsigned int i = 0; i < 1024; i++)
            e820_expect(big + 20 * i, (uint64_t)i << 12, 0x1000, E820_RAM);
        assert_int_equal(gpa_write(f->d, BUF_GPA, big, sizeof(big)), 0);
        set_xen_guest_handle(fm.map.buffer, (void *)(uintptr_t)BUF_GPA);
        assert_int_equal(memop(f->d, XENMEM_set_memory_map, &fm, sizeof(fm)),
                         0);
        memset(big, 0, sizeof(big));
        assert_int_equal(gpa_write(f->d, BUF_GPA, big, sizeof(big)), 0);
        m.nr_entries = 2000;
        assert_int_equal(memop(f->d, XENMEM_memory_map, &m, sizeof(m)), 0);
        assert_int_equal(m.nr_entries, 1024);
        assert_int_equal(gpa_read(f->d, big, BUF_GPA, sizeof(big)), 0);
        e820_expect(out, 1023u << 12, 0x1000, E820_RAM);
        assert_memory_equal(big + 1023 * 20, out, 20);
    }

    /* 0 entries: an empty map; memory_map is then -ENOSYS. */
    fm.map.nr_entries = 0;
    assert_int_equal(memop(f->d, XENMEM_set_memory_map, &fm, sizeof(fm)), 0);
    assert_int_equal(memop(f->d, XENMEM_memory_map, &m, sizeof(m)),
                     -XEN_ENOSYS);
}

/* A domU may not set another domain's map (xsm_domain_memory_map(),
 * XSM_TARGET); the control domain may. */
static void test_set_memory_map_of_another_domain(void **state)
{
    struct harness_fixture *f = *state;
    struct domain *other = harness_domain(f->hv, &(struct harness_dom_opts){0});
    uint8_t in[20];
    struct xen_foreign_memory_map fm = {.domid = other->domid,
                                        .map.nr_entries = 1};

    e820_expect(in, 0, 0x1000, E820_RESERVED);
    assert_int_equal(gpa_write(f->d, BUF_GPA, in, sizeof(in)), 0);
    set_xen_guest_handle(fm.map.buffer, (void *)(uintptr_t)BUF_GPA);
    assert_int_equal(memop(f->d, XENMEM_set_memory_map, &fm, sizeof(fm)),
                     -XEN_EPERM);
    f->d->is_privileged = true;
    assert_int_equal(memop(f->d, XENMEM_set_memory_map, &fm, sizeof(fm)), 0);
    assert_int_equal(other->e820[0].type, E820_RESERVED);
    f->d->is_privileged = false;
    harness_domain_free(other);
}

/* arch_memory_op() case XENMEM_set/get_pod_target: -EFAULT, -ESRCH, then
 * XSM_PRIV (-EPERM for a domU, its own domain too); for the control domain
 * set checks target_pages against max_pages (-EINVAL), then
 * arch/x86/mm/p2m-pod.c:p2m_pod_set_mem_target() has nothing to do (no PoD
 * entries: "populated > 0 && entry_count == 0") and
 * p2m_pod_get_mem_target() reports tot_pages and an empty cache. */
static void test_pod_target(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_pod_target t = {.target_pages = 1, .domid = DOMID_SELF};
    struct compat_pod_target c = {.domid = DOMID_SELF};

    assert_int_equal(raw(f->d, false, XENMEM_get_pod_target, BAD_GPA),
                     -XEN_EFAULT);
    assert_int_equal(memop(f->d, XENMEM_get_pod_target, &t, sizeof(t)),
                     -XEN_EPERM);
    assert_int_equal(memop(f->d, XENMEM_set_pod_target, &t, sizeof(t)),
                     -XEN_EPERM);
    t.domid = NOT_A_DOMID;
    assert_int_equal(memop(f->d, XENMEM_set_pod_target, &t, sizeof(t)),
                     -XEN_ESRCH);
    /* Chosen on the whole cmd. */
    assert_int_equal(memop(f->d, XENMEM_get_pod_target | 64, &t, sizeof(t)),
                     -XEN_ENOSYS);

    f->d->is_privileged = true;
    t = (struct xen_pod_target){.target_pages = HARNESS_RAM_PAGES + 1,
                                .pod_entries = 7,
                                .domid = DOMID_SELF};
    assert_int_equal(memop(f->d, XENMEM_set_pod_target, &t, sizeof(t)),
                     -XEN_EINVAL);
    assert_int_equal(t.pod_entries, 7); /* not written */
    t.target_pages = HARNESS_RAM_PAGES;
    assert_int_equal(memop(f->d, XENMEM_set_pod_target, &t, sizeof(t)), 0);
    assert_int_equal(t.tot_pages, HARNESS_RAM_PAGES);
    assert_int_equal(t.pod_cache_pages, 0);
    assert_int_equal(t.pod_entries, 0);
    assert_int_equal(t.target_pages, HARNESS_RAM_PAGES);
    c.pod_entries = 9;
    assert_int_equal(compat_memop(f->d, XENMEM_get_pod_target, &c, sizeof(c)),
                     0);
    assert_int_equal(c.tot_pages, HARNESS_RAM_PAGES);
    assert_int_equal(c.pod_entries, 0);
    f->d->is_privileged = false;
}

/* common/mem_access.c:mem_access_memop(): -EFAULT; the domain is remote,
 * by id (common/domain.c:rcu_lock_remote_domain_by_id(): DOMID_SELF
 * -ESRCH, the caller itself -EPERM); p2m_mem_access_sanity_check() passes
 * (HVM on VMX with HAP); xsm_mem_access() (XSM_DM_PRIV) -EPERM for a domU;
 * for the control domain -ENODEV: no monitor ring
 * (vm_event_check_ring()). */
static void test_access_op(void **state)
{
    struct harness_fixture *f = *state;
    struct domain *other = harness_domain(f->hv, &(struct harness_dom_opts){0});
    struct xen_mem_access_op a = {.op = XENMEM_access_op_get_access,
                                  .domid = DOMID_SELF};
    struct compat_mem_access_op c = {.domid = other->domid};

    assert_int_equal(raw(f->d, false, XENMEM_access_op, BAD_GPA), -XEN_EFAULT);
    assert_int_equal(memop(f->d, XENMEM_access_op, &a, sizeof(a)), -XEN_ESRCH);
    a.domid = f->d->domid;
    assert_int_equal(memop(f->d, XENMEM_access_op, &a, sizeof(a)), -XEN_EPERM);
    a.domid = other->domid;
    assert_int_equal(memop(f->d, XENMEM_access_op, &a, sizeof(a)), -XEN_EPERM);
    f->d->is_privileged = true;
    assert_int_equal(memop(f->d, XENMEM_access_op | 64, &a, sizeof(a)),
                     -XEN_ENODEV); /* masked: the start is the op's own */
    assert_int_equal(compat_memop(f->d, XENMEM_access_op, &c, sizeof(c)),
                     -XEN_ENODEV);
    a.domid = f->d->domid;
    assert_int_equal(memop(f->d, XENMEM_access_op, &a, sizeof(a)), -XEN_EPERM);
    f->d->is_privileged = false;
    harness_domain_free(other);
}

#define IDX_GPA  0x5000u
#define GPFN_GPA 0x6000u
#define ERRS_GPA 0x7000u

static struct xen_add_to_physmap_batch batch(domid_t domid, uint16_t space,
                                             uint16_t size)
{
    struct xen_add_to_physmap_batch b = {
        .domid = domid, .space = space, .size = size};

    set_xen_guest_handle(b.idxs, (xen_ulong_t *)(uintptr_t)IDX_GPA);
    set_xen_guest_handle(b.gpfns, (xen_pfn_t *)(uintptr_t)GPFN_GPA);
    set_xen_guest_handle(b.errs, (int *)(uintptr_t)ERRS_GPA);
    return b;
}

static void put_entries(struct domain *d, const uint64_t *idx,
                        const uint64_t *gpfn, unsigned int n)
{
    int32_t errs[8];

    memset(errs, CANARY, sizeof(errs));
    assert_int_equal(gpa_write(d, IDX_GPA, idx, n * 8), 0);
    assert_int_equal(gpa_write(d, GPFN_GPA, gpfn, n * 8), 0);
    assert_int_equal(gpa_write(d, ERRS_GPA, errs, sizeof(errs)), 0);
}

/* case XENMEM_add_to_physmap_batch and xenmem_add_to_physmap_batch():
 * each entry's xenmem_add_to_physmap_one() result in errs[]: shared_info
 * and grant frames map, a bad index -EINVAL, dev_mmio -EINVAL (no such
 * space on x86), gmfn (xenemu: -EOPNOTSUPP, as add_to_physmap). */
static void test_batch_maps_each_entry(void **state)
{
    struct harness_fixture *f = *state;
    const uint64_t idx[3] = {0, 1, 0}, gpfn[3] = {MAP_GFN, MAP_GFN + 1, 9};
    struct xen_add_to_physmap_batch b =
        batch(DOMID_SELF, XENMAPSPACE_shared_info, 3);
    int32_t errs[4];

    put_entries(f->d, idx, gpfn, 3);
    assert_int_equal(memop(f->d, XENMEM_add_to_physmap_batch, &b, sizeof(b)),
                     0);
    assert_int_equal(gpa_read(f->d, errs, ERRS_GPA, sizeof(errs)), 0);
    assert_int_equal(errs[0], 0);
    assert_int_equal(errs[1], -XEN_EINVAL);         /* shared_info idx 1 */
    assert_int_equal(errs[2], 0);                   /* moved to gfn 9 */
    assert_int_equal(errs[3], (int32_t)0xa5a5a5a5); /* beyond size */
    assert_ptr_equal(gfn_to_host(f->d, 9), f->d->shared_info);

    b = batch(DOMID_SELF, XENMAPSPACE_grant_table, 2);
    put_entries(f->d, (const uint64_t[]){0, 1000}, gpfn, 2);
    assert_int_equal(memop(f->d, XENMEM_add_to_physmap_batch, &b, sizeof(b)),
                     0);
    assert_int_equal(gpa_read(f->d, errs, ERRS_GPA, sizeof(errs)), 0);
    assert_int_equal(errs[0], 0);
    assert_int_equal(errs[1], -XEN_EINVAL); /* beyond max_grant_frames */
    assert_non_null(gfn_to_host(f->d, MAP_GFN));

    b = batch(DOMID_SELF, XENMAPSPACE_gmfn, 1);
    put_entries(f->d, idx, gpfn, 1);
    assert_int_equal(memop(f->d, XENMEM_add_to_physmap_batch, &b, sizeof(b)),
                     0);
    assert_int_equal(gpa_read(f->d, errs, ERRS_GPA, 4), 0);
    assert_int_equal(errs[0], -XEN_EOPNOTSUPP); /* xenemu */
}

/* The batch's checks, in do_memory_op()'s and
 * xenmem_add_to_physmap_batch()'s order. */
static void test_batch_errors(void **state)
{
    struct harness_fixture *f = *state;
    const uint64_t idx[2] = {0, 0}, gpfn[2] = {MAP_GFN, GFN_INVALID};
    struct xen_add_to_physmap_batch b =
        batch(DOMID_SELF, XENMAPSPACE_shared_info, 2);
    int32_t errs[2];

    /* Too large a start extent: -EDOM before the argument is read. */
    assert_int_equal(raw(f->d, false,
                         XENMEM_add_to_physmap_batch | (0x10000ull << 6),
                         BAD_GPA),
                     -XEN_EDOM);
    assert_int_equal(raw(f->d, false, XENMEM_add_to_physmap_batch, BAD_GPA),
                     -XEN_EFAULT);
    b.space = XENMAPSPACE_gmfn_range;
    b.domid = NOT_A_DOMID;
    assert_int_equal(memop(f->d, XENMEM_add_to_physmap_batch, &b, sizeof(b)),
                     -XEN_EOPNOTSUPP);
    b.space = XENMAPSPACE_dev_mmio;
    assert_int_equal(memop(f->d, XENMEM_add_to_physmap_batch, &b, sizeof(b)),
                     -XEN_ESRCH);
    b.domid = DOMID_SELF;
    assert_int_equal(memop(f->d, XENMEM_add_to_physmap_batch, &b, sizeof(b)),
                     -XEN_EACCES); /* not the hardware domain */
    /* The start extent against size: past it -EILSEQ, at it 0 only from
     * the start. */
    b.space = XENMAPSPACE_shared_info;
    assert_int_equal(
        memop(f->d, XENMEM_add_to_physmap_batch | (3u << 6), &b, sizeof(b)),
        -XEN_EILSEQ);
    assert_int_equal(
        memop(f->d, XENMEM_add_to_physmap_batch | (2u << 6), &b, sizeof(b)),
        -XEN_EILSEQ);
    b.size = 0;
    assert_int_equal(memop(f->d, XENMEM_add_to_physmap_batch, &b, sizeof(b)),
                     0);
    /* An invalid gpfn ends the call with -EINVAL, entries before it done. */
    b.size = 2;
    put_entries(f->d, idx, gpfn, 2);
    assert_int_equal(memop(f->d, XENMEM_add_to_physmap_batch, &b, sizeof(b)),
                     -XEN_EINVAL);
    assert_int_equal(gpa_read(f->d, errs, ERRS_GPA, sizeof(errs)), 0);
    assert_int_equal(errs[0], 0);
    assert_int_equal(errs[1], (int32_t)0xa5a5a5a5);
    /* An unwritable errs: -EFAULT once the first entry is done. */
    set_xen_guest_handle(b.errs, (int *)(uintptr_t)BAD_GPA);
    assert_int_equal(memop(f->d, XENMEM_add_to_physmap_batch, &b, sizeof(b)),
                     -XEN_EFAULT); /* errs[0] unwritable */
    /* Foreign frames only into the hardware domain
     * (arch/x86/mm/p2m.c:p2m_add_foreign(): -EPERM in errs). */
    b = batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 1);
    b.u.foreign_domid = 0;
    put_entries(f->d, idx, gpfn, 1);
    assert_int_equal(memop(f->d, XENMEM_add_to_physmap_batch, &b, sizeof(b)),
                     0);
    assert_int_equal(gpa_read(f->d, errs, ERRS_GPA, 4), 0);
    assert_int_equal(errs[0], -XEN_EPERM);
}

/* compat_memory_op() case XENMEM_add_to_physmap_batch: 32-bit indexes and
 * gpfns, read before the native checks (so -EFAULT before -ESRCH). */
static void test_batch_compat(void **state)
{
    struct harness_fixture *f = *state;
    const uint32_t idx[2] = {0, 0}, gpfn[2] = {MAP_GFN, 0xffffffffu};
    struct compat_add_to_physmap_batch c = {
        DOMID_SELF, XENMAPSPACE_shared_info, 2, 0, IDX_GPA, GPFN_GPA, ERRS_GPA};
    int32_t errs[2];

    assert_int_equal(gpa_write(f->d, IDX_GPA, idx, sizeof(idx)), 0);
    assert_int_equal(gpa_write(f->d, GPFN_GPA, gpfn, sizeof(gpfn)), 0);
    /* 0xffffffff zero-extends: not INVALID_GFN, so it is mapped. */
    assert_int_equal(
        compat_memop(f->d, XENMEM_add_to_physmap_batch, &c, sizeof(c)), 0);
    assert_int_equal(gpa_read(f->d, errs, ERRS_GPA, sizeof(errs)), 0);
    assert_int_equal(errs[0], 0);
    assert_int_equal(errs[1], 0);
    c.domid = NOT_A_DOMID;
    assert_int_equal(
        compat_memop(f->d, XENMEM_add_to_physmap_batch, &c, sizeof(c)),
        -XEN_ESRCH);
    c.idxs = (uint32_t)BAD_GPA;
    assert_int_equal(
        compat_memop(f->d, XENMEM_add_to_physmap_batch, &c, sizeof(c)),
        -XEN_EFAULT);
    /* A start past size reads nothing: the native -EDOM comes first. */
    assert_int_equal(compat_memop(f->d,
                                  XENMEM_add_to_physmap_batch | (0x10000u << 6),
                                  &c, sizeof(c)),
                     -XEN_EDOM);
}

/* case XENMEM_reserved_device_memory_map: a start extent -EINVAL, then
 * -EFAULT, then flags other than XENMEM_RDM_ALL -EINVAL; the host has no
 * reserved regions (drivers/passthrough/iommu.c:
 * iommu_get_reserved_device_memory() reports none), so nr_entries becomes
 * 0 and the call succeeds, whatever the buffer. */
static void test_reserved_device_memory_map(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_reserved_device_memory_map m = {.flags = XENMEM_RDM_ALL,
                                               .nr_entries = 5};
    struct compat_reserved_device_memory_map c = {0, 3, (uint32_t)BAD_GPA, {0}};

    set_xen_guest_handle(m.buffer,
                         (xen_reserved_device_memory_t *)(uintptr_t)BAD_GPA);
    assert_int_equal(
        memop(f->d, XENMEM_reserved_device_memory_map | 64, &m, sizeof(m)),
        -XEN_EINVAL);
    assert_int_equal(
        raw(f->d, false, XENMEM_reserved_device_memory_map, BAD_GPA),
        -XEN_EFAULT);
    assert_int_equal(
        memop(f->d, XENMEM_reserved_device_memory_map, &m, sizeof(m)), 0);
    assert_int_equal(m.nr_entries, 0);
    m.flags = 2;
    m.nr_entries = 5;
    assert_int_equal(
        memop(f->d, XENMEM_reserved_device_memory_map, &m, sizeof(m)),
        -XEN_EINVAL);
    assert_int_equal(m.nr_entries, 5);
    assert_int_equal(
        compat_memop(f->d, XENMEM_reserved_device_memory_map, &c, sizeof(c)),
        0);
    assert_int_equal(c.nr_entries, 0);
}

/* The fixed answers: hvm_memory_op()'s -ENOSYS for 10 and 12 (masked
 * cmd); subarch_memory_op()'s 0 for 18/19 (no MEM_SHARING), -EOPNOTSUPP for
 * 25 (!opt_pv32) and compat 5; acquire_resource()'s -EACCES for a
 * translated non-hardware domain; -ENOSYS for paging/sharing (not built)
 * and unknown ops.  xenemu (deliberate): 5 from 64-bit (no M2P) and 11
 * (exchange) -ENOSYS. */
static void test_fixed_answers(void **state)
{
    static const struct {
        uint64_t cmd;
        bool compat;
        long rc;
    } cases[] = {
        {XENMEM_machine_memory_map, false, -XEN_ENOSYS},
        {XENMEM_machphys_mapping | 64, false, -XEN_ENOSYS},
        {XENMEM_machphys_mapping, true, -XEN_ENOSYS},
        {XENMEM_get_sharing_freed_pages, false, 0},
        {XENMEM_get_sharing_shared_pages, true, 0},
        {XENMEM_get_sharing_shared_pages | 64, false, -XEN_ENOSYS},
        {XENMEM_machphys_compat_mfn_list, false, -XEN_EOPNOTSUPP},
        {XENMEM_machphys_mfn_list, true, -XEN_EOPNOTSUPP},
        {XENMEM_machphys_mfn_list, false, -XEN_ENOSYS}, /* xenemu */
        {XENMEM_exchange, false, -XEN_ENOSYS},          /* xenemu */
        {XENMEM_acquire_resource, false, -XEN_EACCES},
        {XENMEM_paging_op, false, -XEN_ENOSYS},
        {XENMEM_sharing_op, false, -XEN_ENOSYS},
        {29, false, -XEN_ENOSYS},
        {63, false, -XEN_ENOSYS},
    };
    struct harness_fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(
            raw(f->d, cases[i].compat, cases[i].cmd, HARNESS_ARG_GPA),
            cases[i].rc);
}

int main(void)
{
#define T(fn)                                                                  \
    cmocka_unit_test_setup_teardown(fn, harness_setup_one, harness_teardown_one)
    const struct CMUnitTest tests[] = {
        T(test_shared_info_appears_at_gpfn),
        T(test_shared_info_compat_layout),
        T(test_grant_frames),
        T(test_overlays_replace_each_other),
        T(test_add_to_physmap_errors),
        T(test_add_to_physmap_bad_arg_and_extent),
        T(test_controlling_domain_maps_for_guest),
        cmocka_unit_test(test_backend_map_page),
        T(test_memory_map_both_layouts),
        T(test_memory_map_default_is_all_ram),
        T(test_memory_map_errors),
        T(test_add_to_physmap_compat_order),
        T(test_reservation_ops_count_extents),
        T(test_maximum_ram_page),
        T(test_reservation_queries),
        T(test_remove_from_physmap),
        T(test_get_vnumainfo),
        T(test_claim_pages),
        T(test_set_memory_map),
        T(test_set_memory_map_of_another_domain),
        T(test_pod_target),
        T(test_access_op),
        T(test_batch_maps_each_entry),
        T(test_batch_errors),
        T(test_batch_compat),
        T(test_reserved_device_memory_map),
        T(test_fixed_answers),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
