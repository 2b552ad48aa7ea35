/* test_memory_op.c: XENMEM_add_to_physmap and XENMEM_memory_map, in both
 * argument layouts. */
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

    /* Moving it gives the old frame back to RAM. */
    assert_int_equal(
        add(f->d, DOMID_SELF, XENMAPSPACE_shared_info, 0, MAP_GFN + 1), 0);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN + 1), f->d->shared_info);
    assert_ptr_equal(gfn_to_host(f->d, MAP_GFN), ram_page);
}

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
        {DOMID_SELF, XENMAPSPACE_grant_table, 1ull << 32, MAP_GFN, -XEN_EINVAL},
        {DOMID_SELF, XENMAPSPACE_grant_table, XENMAPIDX_grant_table_status,
         MAP_GFN, -XEN_EINVAL},
        {DOMID_SELF, XENMAPSPACE_gmfn, 5, MAP_GFN, -XEN_EOPNOTSUPP},
        {DOMID_SELF, XENMAPSPACE_gmfn_range, 5, MAP_GFN, -XEN_EOPNOTSUPP},
        {DOMID_SELF, XENMAPSPACE_dev_mmio, 0, MAP_GFN, -XEN_EINVAL},
        {DOMID_SELF, 99, 0, MAP_GFN, -XEN_EINVAL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(add(f->d, cases[i].domid, cases[i].space, cases[i].idx,
                             cases[i].gpfn),
                         cases[i].rc);
        assert_int_equal(f->d->overlays_used, 0);
        assert_int_equal(other->overlays_used, 0);
    }
    harness_domain_free(other);
}

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

/* A backend that records map_page() and fails it on request. */
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

static void test_memory_map_default_is_all_ram(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_memory_map m = {.nr_entries = 4};
    uint8_t want[20], buf[20];

    set_xen_guest_handle(m.buffer, (void *)(uintptr_t)BUF_GPA);
    /* The command's extent bits do not change the sub-op. */
    assert_int_equal(memop(f->d, XENMEM_memory_map | (5u << 6), &m, sizeof(m)),
                     0);
    assert_int_equal(m.nr_entries, 1);
    e820_expect(want, 0, f->d->ram_size, E820_RAM);
    assert_int_equal(gpa_read(f->d, buf, BUF_GPA, sizeof(buf)), 0);
    assert_memory_equal(buf, want, sizeof(want));
}

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

static void test_other_subops(void **state)
{
    static const uint64_t cmds[] = {
        XENMEM_increase_reservation, XENMEM_decrease_reservation,
        XENMEM_populate_physmap,     XENMEM_machphys_mfn_list,
        XENMEM_machphys_mapping,     XENMEM_add_to_physmap_batch,
        XENMEM_remove_from_physmap,  63,
    };
    struct harness_fixture *f = *state;

    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        assert_int_equal(harness_hypercall(f->d, 0, __HYPERVISOR_memory_op,
                                           cmds[i], HARNESS_ARG_GPA, 0),
                         -XEN_ENOSYS);
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
        T(test_other_subops),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
