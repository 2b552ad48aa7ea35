/*
 * test_grant_table.c: __HYPERVISOR_grant_table_op, in both argument
 * layouts.  Expected values are Xen 4.17.7's, from the function each test
 * names: common/grant_table.c (gt.c below), common/compat/grant_table.c
 * (compat/gt.c) and arch/x86/hvm/hypercall.c:hvm_grant_table_op(),
 * unless a comment says "xenemu" (a deliberate difference).
 */
#include <string.h>

#include "harness.h"
#include "xenemu/compat.h"
#include "xenemu/grant_table.h"

#define BAD_GPA   ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE)
#define GT_GFN    (HARNESS_RAM_PAGES + 16u) /* grant frame 0, in a hole */
#define DATA_GFN  0x100u                    /* granted data frame */
#define DEST_GFN  0x101u                    /* the copier's frame */
#define LIST_GPA  0x3000u
#define NOT_DOMID 999u

/* The test's domains, freed (with their RAM) by teardown(). */
static struct domain *doms[4];
static unsigned int ndoms;

static struct domain *dom(void)
{
    assert_true(ndoms < 4);
    return doms[ndoms++] = harness_test_domain(1);
}

static int teardown(void **state)
{
    while (ndoms)
        harness_domain_free(doms[--ndoms]);
    return harness_teardown_hv(state);
}

/* grant_table_op (cmd) with (count) and (arg) at HARNESS_ARG_GPA, from
 * vCPU 0 in (compat) mode; (*conts) gets the continuations. */
static long gop_full(struct domain *d, bool compat, uint64_t cmd, void *arg,
                     size_t size, uint64_t count, unsigned int *conts)
{
    uint64_t args[5] = {cmd, HARNESS_ARG_GPA, count, 0, 0};
    struct hv_call call;
    long rc;

    if (size)
        assert_int_equal(gpa_write(d, HARNESS_ARG_GPA, arg, size), 0);
    hv_call_init(&call, d->vcpus[0], compat, false, 0);
    rc = hypercall_dispatch(&call, __HYPERVISOR_grant_table_op, args);
    if (size)
        assert_int_equal(gpa_read(d, arg, HARNESS_ARG_GPA, size), 0);
    if (conts)
        *conts = call.continuations;
    return rc;
}

static long gop(struct domain *d, uint64_t cmd, void *arg, size_t size,
                uint64_t count)
{
    return gop_full(d, false, cmd, arg, size, count, NULL);
}

/* Map (d)'s grant frame (idx) at (gfn) (memory_op.c, XENMAPSPACE). */
static void map_frame(struct domain *d, unsigned int idx, uint64_t gfn)
{
    struct xen_add_to_physmap a = {.domid = DOMID_SELF,
                                   .space = XENMAPSPACE_grant_table,
                                   .idx = idx,
                                   .gpfn = gfn};

    assert_int_equal(harness_op(d, 0, __HYPERVISOR_memory_op,
                                XENMEM_add_to_physmap, &a, sizeof(a)),
                     0);
}

/* The guest's view of its v1 entry (ref), frame 0 mapped at GT_GFN. */
static grant_entry_v1_t *v1(struct domain *d, unsigned int ref)
{
    return (grant_entry_v1_t *)guest_page(d, GT_GFN) + ref;
}

static grant_entry_v2_t *v2(struct domain *d, unsigned int ref)
{
    return (grant_entry_v2_t *)guest_page(d, GT_GFN) + ref;
}

/* (granter) gives (grantee) access to its frame (gfn) in entry (ref). */
static void grant(struct domain *granter, unsigned int ref, domid_t grantee,
                  uint32_t gfn, uint16_t extra)
{
    *v1(granter, ref) = (grant_entry_v1_t){
        .flags = GTF_permit_access | extra, .domid = grantee, .frame = gfn};
}

static struct gnttab_copy copy_from_gref(domid_t dom, grant_ref_t ref,
                                         uint64_t dest_gfn, uint16_t len)
{
    struct gnttab_copy c = {.len = len, .flags = GNTCOPY_source_gref};

    c.source.u.ref = ref;
    c.source.domid = dom;
    c.dest.u.gmfn = dest_gfn;
    c.dest.domid = DOMID_SELF;
    return c;
}

static int16_t copy1(struct domain *d, struct gnttab_copy c)
{
    assert_int_equal(gop(d, GNTTABOP_copy, &c, sizeof(c), 1), 0);
    return c.status;
}

/* hvm_grant_table_op(): only 8 sub-ops, matched on the whole 32-bit cmd
 * (the handler's cmd is unsigned int: RDI's high half is dropped). */
static void test_hvm_filter(void **state)
{
    static const uint64_t enosys[] = {GNTTABOP_dump_table,
                                      GNTTABOP_transfer,
                                      GNTTABOP_unmap_and_replace,
                                      GNTTABOP_get_status_frames,
                                      GNTTABOP_cache_flush,
                                      13,
                                      0xfff,
                                      GNTTABOP_copy | (1u << 12),
                                      GNTTABOP_query_size | 0x80000000u};
    struct domain *d = dom();
    struct gnttab_query_size q = {.dom = DOMID_SELF};

    (void)state;
    for (size_t i = 0; i < sizeof(enosys) / sizeof(enosys[0]); i++)
        assert_int_equal(gop(d, enosys[i], NULL, 0, 1), -XEN_ENOSYS);
    assert_int_equal(
        gop(d, (1ull << 32) | GNTTABOP_query_size, &q, sizeof(q), 1), 0);
    assert_int_equal(q.status, GNTST_okay);
}

/* gt.c:do_grant_table_op(): (int)count < 0 is -EINVAL first; count is
 * unsigned int too. */
static void test_count(void **state)
{
    struct domain *d = dom();
    struct gnttab_query_size q = {.dom = DOMID_SELF};

    (void)state;
    assert_int_equal(gop(d, GNTTABOP_copy, NULL, 0, 0x80000000u), -XEN_EINVAL);
    assert_int_equal(gop(d, GNTTABOP_query_size, &q, sizeof(q), 0xffffffffu),
                     -XEN_EINVAL);
    /* gnttab_query_size(): count != 1. */
    assert_int_equal(gop(d, GNTTABOP_query_size, &q, sizeof(q), 0),
                     -XEN_EINVAL);
    assert_int_equal(gop(d, GNTTABOP_query_size, &q, sizeof(q), 2),
                     -XEN_EINVAL);
    assert_int_equal(gop(d, GNTTABOP_query_size, &q, sizeof(q), 1ull << 32 | 1),
                     0);
    /* Zero entries of a batch op: nothing to do. */
    assert_int_equal(gop(d, GNTTABOP_copy, NULL, 0, 0), 0);
    assert_int_equal(gop(d, GNTTABOP_map_grant_ref, NULL, 0, 0), 0);
    assert_int_equal(gop(d, GNTTABOP_unmap_grant_ref, NULL, 0, 0), 0);
    assert_int_equal(gop(d, GNTTABOP_swap_grant_ref, NULL, 0, 0), 0);
}

/* gt.c:gnttab_query_size(): INITIAL_NR_GRANT_FRAMES (1) of
 * max_grant_frames (64 by default); statuses for a bad or foreign
 * domain; the struct is written back whole. */
static void test_query_size(void **state)
{
    struct domain *d = dom(), *e = dom();
    struct gnttab_query_size q = {.dom = DOMID_SELF};
    uint64_t args[5] = {GNTTABOP_query_size, BAD_GPA, 1, 0, 0};
    struct hv_call call;

    (void)state;
    assert_int_equal(gop(d, GNTTABOP_query_size, &q, sizeof(q), 1), 0);
    assert_int_equal(q.status, GNTST_okay);
    assert_int_equal(q.nr_frames, 1);
    assert_int_equal(q.max_nr_frames, DOMAIN_DEFAULT_GRANT_FRAMES);
    q = (struct gnttab_query_size){.dom = NOT_DOMID, .nr_frames = 77};
    assert_int_equal(gop(d, GNTTABOP_query_size, &q, sizeof(q), 1), 0);
    assert_int_equal(q.status, GNTST_bad_domain);
    assert_int_equal(q.nr_frames, 77);
    q = (struct gnttab_query_size){.dom = e->domid};
    assert_int_equal(gop(d, GNTTABOP_query_size, &q, sizeof(q), 1), 0);
    assert_int_equal(q.status, GNTST_permission_denied); /* XSM_TARGET */
    hv_call_init(&call, d->vcpus[0], false, false, 0);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_grant_table_op, args),
        -XEN_EFAULT);
    /* gnttab_map_frame() grows the table to a frame mapped past it. */
    map_frame(d, 5, GT_GFN + 5);
    q = (struct gnttab_query_size){.dom = DOMID_SELF};
    assert_int_equal(gop(d, GNTTABOP_query_size, &q, sizeof(q), 1), 0);
    assert_int_equal(q.nr_frames, 6);
}

/* gt.c:gnttab_setup_table(): grows to nr_frames, lists each frame's gfn
 * (mfn_to_gfn(): the invalid M2P entry, ~0, for one not in the physmap);
 * only the status is written back. */
static void test_setup_table(void **state)
{
    struct domain *d = dom();
    struct gnttab_setup_table s = {.dom = DOMID_SELF, .nr_frames = 4};
    struct gnttab_query_size q = {.dom = DOMID_SELF};
    uint64_t list[4];

    (void)state;
    map_frame(d, 0, GT_GFN);
    set_xen_guest_handle(s.frame_list, (xen_pfn_t *)(uintptr_t)LIST_GPA);
    assert_int_equal(gop(d, GNTTABOP_setup_table, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_okay);
    assert_int_equal(gpa_read(d, list, LIST_GPA, sizeof(list)), 0);
    assert_int_equal(list[0], GT_GFN);
    for (int i = 1; i < 4; i++)
        assert_true(list[i] == UINT64_MAX);
    assert_int_equal(gop(d, GNTTABOP_query_size, &q, sizeof(q), 1), 0);
    assert_int_equal(q.nr_frames, 4);
    /* Past max_grant_frames: general_error, nothing grown. */
    s.nr_frames = DOMAIN_DEFAULT_GRANT_FRAMES + 1;
    assert_int_equal(gop(d, GNTTABOP_setup_table, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_general_error);
    s.nr_frames = 0xffffffffu;
    assert_int_equal(gop(d, GNTTABOP_setup_table, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_general_error);
    /* An unwritable list: GNTST_bad_virt_addr (guest_handle_okay() is
     * always true for HVM). */
    s.nr_frames = 2;
    set_xen_guest_handle(s.frame_list, (xen_pfn_t *)(uintptr_t)BAD_GPA);
    assert_int_equal(gop(d, GNTTABOP_setup_table, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_bad_virt_addr);
    s.dom = NOT_DOMID;
    assert_int_equal(gop(d, GNTTABOP_setup_table, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_bad_domain);
    /* count != 1 (native). */
    assert_int_equal(gop(d, GNTTABOP_setup_table, &s, sizeof(s), 0),
                     -XEN_EINVAL);
    assert_int_equal(gop(d, GNTTABOP_setup_table, &s, sizeof(s), 2),
                     -XEN_EINVAL);
}

/* compat/gt.c:compat_grant_table_op(): 32-bit frames (the invalid entry
 * truncated), count 0 answers 0 unread, the struct goes back whole. */
static void test_setup_table_compat(void **state)
{
    struct domain *d = dom();
    struct compat_gnttab_setup_table s = {
        .dom = DOMID_SELF, .nr_frames = 2, .frame_list = LIST_GPA};
    uint32_t list[2];

    (void)state;
    map_frame(d, 1, GT_GFN + 1);
    assert_int_equal(
        gop_full(d, true, GNTTABOP_setup_table, &s, sizeof(s), 1, NULL), 0);
    assert_int_equal(s.status, GNTST_okay);
    assert_int_equal(gpa_read(d, list, LIST_GPA, sizeof(list)), 0);
    assert_int_equal(list[0], 0xffffffffu);
    assert_int_equal(list[1], GT_GFN + 1);
    assert_int_equal(gop_full(d, true, GNTTABOP_setup_table, NULL, 0, 0, NULL),
                     0);
    assert_int_equal(
        gop_full(d, true, GNTTABOP_setup_table, &s, sizeof(s), 2, NULL),
        -XEN_EINVAL);
    s.frame_list = (uint32_t)BAD_GPA;
    assert_int_equal(
        gop_full(d, true, GNTTABOP_setup_table, &s, sizeof(s), 1, NULL), 0);
    assert_int_equal(s.status, GNTST_bad_virt_addr);
}

/* gt.c:gnttab_set_version() and gnttab_get_version(). */
static void test_versions(void **state)
{
    struct domain *d = dom(), *e = dom();
    struct gnttab_get_version g = {.dom = DOMID_SELF};
    uint32_t ver = 3;

    (void)state;
    map_frame(d, 0, GT_GFN);
    assert_int_equal(gop(d, GNTTABOP_get_version, &g, sizeof(g), 1), 0);
    assert_int_equal(g.version, 1);
    /* Not 1 or 2: -EINVAL, the current version written back. */
    assert_int_equal(gop(d, GNTTABOP_set_version, &ver, 4, 1), -XEN_EINVAL);
    assert_int_equal(ver, 1);
    /* To v2: the reserved entries are kept (status bits split off),
     * the others cleared. */
    grant(d, 1, e->domid, DATA_GFN, GTF_readonly);
    grant(d, 9, e->domid, DATA_GFN, 0);
    ver = 2;
    assert_int_equal(gop(d, GNTTABOP_set_version, &ver, 4, 1), 0);
    assert_int_equal(ver, 2);
    assert_int_equal(gop(d, GNTTABOP_get_version, &g, sizeof(g), 1), 0);
    assert_int_equal(g.version, 2);
    assert_int_equal(v2(d, 1)->hdr.flags, GTF_permit_access | GTF_readonly);
    assert_int_equal(v2(d, 1)->hdr.domid, e->domid);
    assert_int_equal(v2(d, 1)->full_page.frame, DATA_GFN);
    assert_int_equal(v2(d, 9)->hdr.flags, 0);
    /* Same version: 0, nothing done. */
    assert_int_equal(gop(d, GNTTABOP_set_version, &ver, 4, 1), 0);
    /* Back to v1 refused for an entry v1 cannot hold (-ERANGE). */
    v2(d, 2)->full_page.hdr.flags = GTF_permit_access;
    v2(d, 2)->full_page.frame = 1ull << 32;
    ver = 1;
    assert_int_equal(gop(d, GNTTABOP_set_version, &ver, 4, 1), -XEN_ERANGE);
    assert_int_equal(ver, 2);
    v2(d, 2)->full_page.frame = DATA_GFN;
    ver = 1;
    assert_int_equal(gop(d, GNTTABOP_set_version, &ver, 4, 1), 0);
    assert_int_equal(ver, 1);
    assert_int_equal(v1(d, 2)->frame, DATA_GFN);
    assert_int_equal(v1(d, 1)->flags, GTF_permit_access | GTF_readonly);
    /* A pinned entry past the reserved ones: -EBUSY (white box: xenemu
     * pins only for the length of a copy). */
    d->grant_table->active[0][100].pin = GT_PIN_HSTR_INC;
    ver = 2;
    assert_int_equal(gop(d, GNTTABOP_set_version, &ver, 4, 1), -XEN_EBUSY);
    assert_int_equal(ver, 1);
    d->grant_table->active[0][100].pin = 0;
    /* get_version: -ESRCH, then XSM_TARGET's -EPERM. */
    g.dom = NOT_DOMID;
    assert_int_equal(gop(d, GNTTABOP_get_version, &g, sizeof(g), 1),
                     -XEN_ESRCH);
    g.dom = e->domid;
    assert_int_equal(gop(d, GNTTABOP_get_version, &g, sizeof(g), 1),
                     -XEN_EPERM);
    assert_int_equal(gop(d, GNTTABOP_set_version, NULL, 0, 1), 0);
    {
        uint64_t args[5] = {GNTTABOP_set_version, BAD_GPA, 1, 0, 0};
        struct hv_call call;

        hv_call_init(&call, d->vcpus[0], false, false, 0);
        assert_int_equal(
            hypercall_dispatch(&call, __HYPERVISOR_grant_table_op, args),
            -XEN_EFAULT);
    }
}

/* gnttab_set_version(): v2 with max_version 1 is -ENOSYS. */
static void test_version_max_1(void **state)
{
    struct domain *d;
    struct domain_config cfg = {
        .create.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
        .create.max_vcpus = 1,
        .create.max_evtchn_port = 1023,
        .create.max_grant_frames = -1,
        .create.max_maptrack_frames = -1,
        .create.grant_opts = XEN_DOMCTL_GRANT_version(1),
    };
    static uint8_t ram[4 * 4096] __attribute__((aligned(4096)));
    struct hv_call call;
    uint32_t ver = 2;
    uint64_t args[5] = {GNTTABOP_set_version, 0x1000, 1, 0, 0};

    (void)state;
    assert_int_equal(domain_create(harness_test_hv(), 0, &cfg, &d), 0);
    domain_set_ram(d, ram, sizeof(ram));
    assert_int_equal(gpa_write(d, 0x1000, &ver, 4), 0);
    hv_call_init(&call, d->vcpus[0], false, false, 0);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_grant_table_op, args),
        -XEN_ENOSYS);
    assert_int_equal(gpa_read(d, &ver, 0x1000, 4), 0);
    assert_int_equal(ver, 1);
    domain_destroy(d);
    domain_put(d);
}

/* gt.c:gnttab_copy(): a copy between two domains through a real grant;
 * the pin's GTF_reading is dropped again when the copy is done
 * (release_grant_for_copy(), reduce_status_for_pin()). */
static void test_copy_two_domains(void **state)
{
    struct domain *a = dom(), *b = dom();
    uint8_t *src = guest_page(a, DATA_GFN), *dst = guest_page(b, DEST_GFN);
    struct gnttab_copy c;

    (void)state;
    map_frame(a, 0, GT_GFN);
    for (int i = 0; i < 4096; i++)
        src[i] = (uint8_t)(i * 7);
    grant(a, 10, b->domid, DATA_GFN, 0);
    c = copy_from_gref(a->domid, 10, DEST_GFN, 4096);
    assert_int_equal(copy1(b, c), GNTST_okay);
    assert_memory_equal(dst, src, 4096);
    assert_int_equal(v1(a, 10)->flags, GTF_permit_access);
    /* A part, at offsets. */
    memset(dst, 0, 4096);
    c.source.offset = 100;
    c.dest.offset = 200;
    c.len = 50;
    assert_int_equal(copy1(b, c), GNTST_okay);
    assert_memory_equal(dst + 200, src + 100, 50);
    assert_int_equal(dst[199], 0);
    assert_int_equal(dst[250], 0);
    /* Into the granter's frame (dest gref): write pin, then released. */
    {
        struct gnttab_copy w = {.len = 8,
                                .flags = GNTCOPY_dest_gref,
                                .source = {.domid = DOMID_SELF},
                                .dest = {.domid = a->domid}};

        w.source.u.gmfn = DEST_GFN;
        w.dest.u.ref = 10;
        memcpy(dst, "granted!", 8);
        assert_int_equal(copy1(b, w), GNTST_okay);
        assert_memory_equal(src, "granted!", 8);
        assert_int_equal(v1(a, 10)->flags, GTF_permit_access);
        /* _set_status_v1(): a read-only grant refuses a write pin. */
        v1(a, 10)->flags |= GTF_readonly;
        assert_int_equal(copy1(b, w), GNTST_general_error);
        assert_int_equal(v1(a, 10)->flags, GTF_permit_access | GTF_readonly);
        /* ... and allows the read. */
        assert_int_equal(copy1(b, c), GNTST_okay);
    }
}

/* gnttab_copy_lock_domain(), acquire_grant_for_copy(), get_paged_frame(),
 * gnttab_copy_buf(): each entry's status, in their order. */
static void test_copy_errors(void **state)
{
    struct domain *a = dom(), *b = dom();
    struct gnttab_copy c;

    (void)state;
    map_frame(a, 0, GT_GFN);
    grant(a, 10, b->domid, DATA_GFN, 0);
    /* A frame of another domain: permission_denied before the lookup. */
    c = copy_from_gref(a->domid, 10, DEST_GFN, 8);
    c.flags = 0;
    c.source.u.gmfn = DATA_GFN;
    assert_int_equal(copy1(b, c), GNTST_permission_denied);
    c.source.domid = NOT_DOMID;
    assert_int_equal(copy1(b, c), GNTST_permission_denied);
    c = copy_from_gref(NOT_DOMID, 10, DEST_GFN, 8);
    assert_int_equal(copy1(b, c), GNTST_bad_domain);
    c = copy_from_gref(DOMID_IDLE, 10, DEST_GFN, 8);
    assert_int_equal(copy1(b, c), GNTST_bad_domain);
    /* Refs: past the table's 512 v1 entries, huge. */
    c = copy_from_gref(a->domid, 512, DEST_GFN, 8);
    assert_int_equal(copy1(b, c), GNTST_bad_gntref);
    c = copy_from_gref(a->domid, 0xffffffffu, DEST_GFN, 8);
    assert_int_equal(copy1(b, c), GNTST_bad_gntref);
    /* _set_status_v1(): not granted to the caller, or not permit_access. */
    c = copy_from_gref(a->domid, 11, DEST_GFN, 8);
    assert_int_equal(copy1(b, c), GNTST_general_error);
    grant(a, 11, a->domid, DATA_GFN, 0);
    assert_int_equal(copy1(b, c), GNTST_general_error);
    v1(a, 11)->domid = b->domid;
    v1(a, 11)->flags = GTF_accept_transfer;
    assert_int_equal(copy1(b, c), GNTST_general_error);
    /* get_paged_frame(): the granted frame is not in the granter's
     * physmap; the pin's flags are cleared again. */
    grant(a, 12, b->domid, HARNESS_RAM_PAGES + 100, 0);
    c = copy_from_gref(a->domid, 12, DEST_GFN, 8);
    assert_int_equal(copy1(b, c), GNTST_bad_page);
    assert_int_equal(v1(a, 12)->flags, GTF_permit_access);
    /* Own destination frame not RAM. */
    c = copy_from_gref(a->domid, 10, HARNESS_RAM_PAGES, 8);
    assert_int_equal(copy1(b, c), GNTST_bad_page);
    c.dest.u.gmfn = UINT64_MAX;
    assert_int_equal(copy1(b, c), GNTST_bad_page);
    /* gnttab_copy_buf(): beyond the page, after both are claimed. */
    c = copy_from_gref(a->domid, 10, DEST_GFN, 4096);
    c.source.offset = 1;
    assert_int_equal(copy1(b, c), GNTST_bad_copy_arg);
    c = copy_from_gref(a->domid, 10, DEST_GFN, 0xffff);
    assert_int_equal(copy1(b, c), GNTST_bad_copy_arg);
    c = copy_from_gref(a->domid, 10, DEST_GFN, 1);
    c.dest.offset = 4096;
    assert_int_equal(copy1(b, c), GNTST_bad_copy_arg);
    c.dest.offset = 0xffff;
    assert_int_equal(copy1(b, c), GNTST_bad_copy_arg);
    assert_int_equal(v1(a, 10)->flags, GTF_permit_access);
    /* Length 0 copies nothing and succeeds; unknown flag bits are
     * ignored. */
    c = copy_from_gref(a->domid, 10, DEST_GFN, 0);
    c.flags |= 0xfffc;
    assert_int_equal(copy1(b, c), GNTST_okay);
    /* A local copy (both DOMID_SELF frames). */
    c = (struct gnttab_copy){.len = 4,
                             .source = {.domid = DOMID_SELF},
                             .dest = {.domid = DOMID_SELF, .offset = 8}};
    c.source.u.gmfn = DEST_GFN;
    c.dest.u.gmfn = DEST_GFN;
    memcpy(guest_page(b, DEST_GFN), "abcd", 4);
    assert_int_equal(copy1(b, c), GNTST_okay);
    assert_memory_equal((uint8_t *)guest_page(b, DEST_GFN) + 8, "abcd", 4);
}

/* v2 entries: sub-page grants bound the copy (gnttab_copy_buf():
 * general_error outside [page_off, page_off + length)); transitive
 * grants reach the grant they name (acquire_grant_for_copy()). */
static void test_copy_v2(void **state)
{
    struct domain *a = dom(), *b = dom(), *m = dom();
    uint8_t *src = guest_page(a, DATA_GFN);
    uint32_t ver = 2;
    struct gnttab_copy c;

    (void)state;
    map_frame(a, 0, GT_GFN);
    map_frame(m, 0, GT_GFN);
    assert_int_equal(gop(a, GNTTABOP_set_version, &ver, 4, 1), 0);
    ver = 2;
    assert_int_equal(gop(m, GNTTABOP_set_version, &ver, 4, 1), 0);
    memcpy(src + 1000, "subpage", 7);
    v2(a, 20)->sub_page.frame = DATA_GFN;
    v2(a, 20)->sub_page.page_off = 1000;
    v2(a, 20)->sub_page.length = 7;
    v2(a, 20)->hdr.domid = b->domid;
    v2(a, 20)->hdr.flags = GTF_permit_access | GTF_sub_page;
    c = copy_from_gref(a->domid, 20, DEST_GFN, 7);
    c.source.offset = 1000;
    assert_int_equal(copy1(b, c), GNTST_okay);
    assert_memory_equal(guest_page(b, DEST_GFN), "subpage", 7);
    c.len = 8;
    assert_int_equal(copy1(b, c), GNTST_general_error);
    c.len = 7;
    c.source.offset = 999;
    assert_int_equal(copy1(b, c), GNTST_general_error);
    /* v2 has 256 entries per frame. */
    c = copy_from_gref(a->domid, 256, DEST_GFN, 7);
    assert_int_equal(copy1(b, c), GNTST_bad_gntref);
    /* m passes a's grant on to b: a grants 20 to m, m's 30 is
     * transitive to (a, 20). */
    v2(a, 20)->hdr.domid = m->domid;
    v2(m, 30)->transitive.trans_domid = a->domid;
    v2(m, 30)->transitive.gref = 20;
    v2(m, 30)->hdr.domid = b->domid;
    v2(m, 30)->hdr.flags = GTF_transitive;
    memset(guest_page(b, DEST_GFN), 0, 8);
    c = copy_from_gref(m->domid, 30, DEST_GFN, 7);
    c.source.offset = 1000;
    assert_int_equal(copy1(b, c), GNTST_okay);
    assert_memory_equal(guest_page(b, DEST_GFN), "subpage", 7);
    /* Self-referential, or to an unknown domain: general_error. */
    v2(m, 30)->transitive.trans_domid = m->domid;
    assert_int_equal(copy1(b, c), GNTST_general_error);
    v2(m, 30)->transitive.trans_domid = NOT_DOMID;
    assert_int_equal(copy1(b, c), GNTST_general_error);
    /* A transitive grant may not name another transitive one. */
    v2(a, 20)->hdr.flags = GTF_transitive;
    v2(m, 30)->transitive.trans_domid = a->domid;
    assert_int_equal(copy1(b, c), GNTST_general_error);
    /* Nothing stays pinned: v2 -> v1 is allowed again. */
    v2(a, 20)->hdr.flags = 0;
    ver = 1;
    assert_int_equal(gop(a, GNTTABOP_set_version, &ver, 4, 1), 0);
}

/* gnttab_copy(): -EFAULT at the first unreadable entry, after the
 * earlier ones are done (native); a continuation every
 * GT_PREEMPT_EVERY entries (xenemu: deterministic, Xen's is
 * hypercall_preempt_check()); statuses land in the guest's array. */
static void test_copy_batches(void **state)
{
    struct domain *a = dom(), *b = dom();
    enum { N = 150 };
    struct gnttab_copy ops[N], c;
    unsigned int conts;
    uint64_t args[5];
    struct hv_call call;

    (void)state;
    map_frame(a, 0, GT_GFN);
    grant(a, 10, b->domid, DATA_GFN, 0);
    for (int i = 0; i < N; i++) {
        ops[i] = copy_from_gref(a->domid, 10, DEST_GFN, 16);
        ops[i].status = 99;
    }
    ops[N - 1].source.u.ref = 4000; /* the last one fails alone */
    assert_int_equal(gpa_write(b, 0x4000, ops, sizeof(ops)), 0);
    args[0] = GNTTABOP_copy;
    args[1] = 0x4000;
    args[2] = N;
    hv_call_init(&call, b->vcpus[0], false, false, 0);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_grant_table_op, args), 0);
    assert_int_equal(call.continuations, (N - 1) / GT_PREEMPT_EVERY);
    assert_int_equal(gpa_read(b, ops, 0x4000, sizeof(ops)), 0);
    for (int i = 0; i < N - 1; i++)
        assert_int_equal(ops[i].status, GNTST_okay);
    assert_int_equal(ops[N - 1].status, GNTST_bad_gntref);
    /* Two entries, the second across the end of RAM: the first done. */
    c = copy_from_gref(a->domid, 10, DEST_GFN, 16);
    c.status = 99;
    assert_int_equal(gpa_write(b, BAD_GPA - sizeof(c), &c, sizeof(c)), 0);
    args[1] = BAD_GPA - sizeof(c);
    args[2] = 2;
    hv_call_init(&call, b->vcpus[0], false, false, 0);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_grant_table_op, args),
        -XEN_EFAULT);
    assert_int_equal(gpa_read(b, &c, BAD_GPA - sizeof(c), sizeof(c)), 0);
    assert_int_equal(c.status, GNTST_okay);
    /* A huge count over an unreadable array: -EFAULT at once. */
    args[1] = BAD_GPA;
    args[2] = 0x7fffffff;
    hv_call_init(&call, b->vcpus[0], false, false, 0);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_grant_table_op, args),
        -XEN_EFAULT);
    (void)conts;
}

/* compat/gt.c: the 24-byte layout, translated a batch at a time: an
 * unreadable entry fails its batch before any of it is run. */
static void test_copy_compat(void **state)
{
    struct domain *a = dom(), *b = dom();
    struct compat_gnttab_copy c = {
        .source = {.u = 10, .domid = a->domid, .offset = 4},
        .dest = {.u = DEST_GFN, .domid = DOMID_SELF, .offset = 8},
        .len = 5,
        .flags = GNTCOPY_source_gref,
        .status = 99};
    uint64_t args[5] = {GNTTABOP_copy, BAD_GPA - sizeof(c), 2, 0, 0};
    struct hv_call call;

    (void)state;
    map_frame(a, 0, GT_GFN);
    grant(a, 10, b->domid, DATA_GFN, 0);
    memcpy((uint8_t *)guest_page(a, DATA_GFN) + 4, "hello", 5);
    assert_int_equal(gop_full(b, true, GNTTABOP_copy, &c, sizeof(c), 1, NULL),
                     0);
    assert_int_equal(c.status, GNTST_okay);
    assert_memory_equal((uint8_t *)guest_page(b, DEST_GFN) + 8, "hello", 5);
    c.status = 99;
    c.len = 4096;
    assert_int_equal(gop_full(b, true, GNTTABOP_copy, &c, sizeof(c), 1, NULL),
                     0);
    assert_int_equal(c.status, GNTST_bad_copy_arg);
    /* Entry 0 readable, entry 1 not: -EFAULT, entry 0 not run (its
     * status untouched), unlike the native path above. */
    c.status = 99;
    c.len = 5;
    assert_int_equal(gpa_write(b, BAD_GPA - sizeof(c), &c, sizeof(c)), 0);
    hv_call_init(&call, b->vcpus[0], true, false, 0);
    assert_int_equal(
        hypercall_dispatch(&call, __HYPERVISOR_grant_table_op, args),
        -XEN_EFAULT);
    assert_int_equal(gpa_read(b, &c, BAD_GPA - sizeof(c), sizeof(c)), 0);
    assert_int_equal(c.status, 99);
}

/* gt.c:map_grant_ref() in its order; the last step, the p2m entry
 * (arch/x86/hvm/grant_table.c:create_grant_p2m_mapping()), is
 * GNTST_general_error when it fails, and xenemu always fails it
 * (deliberate: no p2m, no backend unmap).  The struct goes back whole. */
static void test_map(void **state)
{
    struct domain *a = dom(), *b = dom();
    struct gnttab_map_grant_ref m = {.host_addr = 0x200000,
                                     .flags = GNTMAP_host_map,
                                     .ref = 10,
                                     .dom = a->domid,
                                     .handle = 0x1234,
                                     .dev_bus_addr = 0x5678};

    (void)state;
    map_frame(a, 0, GT_GFN);
    grant(a, 10, b->domid, DATA_GFN, 0);
    /* xenemu: Xen maps it (GNTST_okay, a handle). */
    assert_int_equal(gop(b, GNTTABOP_map_grant_ref, &m, sizeof(m), 1), 0);
    assert_int_equal(m.status, GNTST_general_error);
    assert_int_equal(m.handle, 0x1234);
    assert_int_equal(m.dev_bus_addr, 0x5678);
    assert_int_equal(v1(a, 10)->flags, GTF_permit_access);
    /* Neither host nor device map: bad_gntref. */
    m.flags = GNTMAP_readonly;
    assert_int_equal(gop(b, GNTTABOP_map_grant_ref, &m, sizeof(m), 1), 0);
    assert_int_equal(m.status, GNTST_bad_gntref);
    /* Device, application or PTE maps from HVM: general_error. */
    m.flags = GNTMAP_device_map;
    assert_int_equal(gop(b, GNTTABOP_map_grant_ref, &m, sizeof(m), 1), 0);
    assert_int_equal(m.status, GNTST_general_error);
    m.flags = GNTMAP_host_map | GNTMAP_contains_pte;
    m.dom = NOT_DOMID;
    assert_int_equal(gop(b, GNTTABOP_map_grant_ref, &m, sizeof(m), 1), 0);
    assert_int_equal(m.status, GNTST_general_error);
    /* rcu_lock_domain_by_id(): DOMID_SELF is no domain. */
    m.flags = GNTMAP_host_map;
    m.dom = DOMID_SELF;
    assert_int_equal(gop(b, GNTTABOP_map_grant_ref, &m, sizeof(m), 1), 0);
    assert_int_equal(m.status, GNTST_bad_domain);
    m.dom = a->domid;
    m.ref = 512;
    assert_int_equal(gop(b, GNTTABOP_map_grant_ref, &m, sizeof(m), 1), 0);
    assert_int_equal(m.status, GNTST_bad_gntref);
    m.ref = 11; /* not granted */
    assert_int_equal(gop(b, GNTTABOP_map_grant_ref, &m, sizeof(m), 1), 0);
    assert_int_equal(m.status, GNTST_general_error);
    grant(a, 12, b->domid, HARNESS_RAM_PAGES + 100, 0);
    m.ref = 12;
    assert_int_equal(gop(b, GNTTABOP_map_grant_ref, &m, sizeof(m), 1), 0);
    assert_int_equal(m.status, GNTST_bad_page);
    assert_int_equal(v1(a, 12)->flags, GTF_permit_access);
    /* A read-only grant: a write map is refused by _set_status_v1(). */
    grant(a, 13, b->domid, DATA_GFN, GTF_readonly);
    m.ref = 13;
    assert_int_equal(gop(b, GNTTABOP_map_grant_ref, &m, sizeof(m), 1), 0);
    assert_int_equal(m.status, GNTST_general_error);
    assert_int_equal(gop(b, GNTTABOP_map_grant_ref, NULL, 0, 1), 0);
    {
        uint64_t args[5] = {GNTTABOP_map_grant_ref, BAD_GPA, 1, 0, 0};
        struct hv_call call;

        hv_call_init(&call, b->vcpus[0], false, false, 0);
        assert_int_equal(
            hypercall_dispatch(&call, __HYPERVISOR_grant_table_op, args),
            -XEN_EFAULT);
    }
}

/* gt.c:unmap_common(): no handle was handed out, so bad_handle; only the
 * status is written; batches of 32 (GNTTAB_UNMAP_BATCH_SIZE). */
static void test_unmap(void **state)
{
    struct domain *d = dom();
    enum { N = 70 };
    gnttab_unmap_grant_ref_t u[N];
    unsigned int conts;

    (void)state;
    for (int i = 0; i < N; i++)
        u[i] = (gnttab_unmap_grant_ref_t){
            .host_addr = 0x200000, .handle = (grant_handle_t)i, .status = 99};
    u[1].handle = 0xffffffffu;
    assert_int_equal(
        gop_full(d, false, GNTTABOP_unmap_grant_ref, u, sizeof(u), N, &conts),
        0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(u[i].status, GNTST_bad_handle);
        assert_int_equal(u[i].host_addr, 0x200000);
    }
    assert_int_equal(conts, 1); /* xenemu: after 64, deterministic */
    assert_int_equal(
        gop_full(d, true, GNTTABOP_unmap_grant_ref, u, sizeof(u[0]), 1, NULL),
        0);
    assert_int_equal(u[0].status, GNTST_bad_handle);
}

/* gt.c:swap_grant_ref(). */
static void test_swap(void **state)
{
    struct domain *d = dom();
    gnttab_swap_grant_ref_t s = {.ref_a = 10, .ref_b = 11, .status = 99};
    uint32_t ver = 2;

    (void)state;
    map_frame(d, 0, GT_GFN);
    grant(d, 10, 7, 0x111, 0);
    grant(d, 11, 8, 0x222, GTF_readonly);
    assert_int_equal(gop(d, GNTTABOP_swap_grant_ref, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_okay);
    assert_int_equal(v1(d, 10)->frame, 0x222);
    assert_int_equal(v1(d, 10)->flags, GTF_permit_access | GTF_readonly);
    assert_int_equal(v1(d, 11)->frame, 0x111);
    assert_int_equal(v1(d, 11)->domid, 7);
    s.ref_b = 10; /* the same ref: a no-op */
    assert_int_equal(gop(d, GNTTABOP_swap_grant_ref, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_okay);
    s.ref_b = 512;
    assert_int_equal(gop(d, GNTTABOP_swap_grant_ref, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_bad_gntref);
    s.ref_a = 0xffffffffu;
    s.ref_b = 10;
    assert_int_equal(gop(d, GNTTABOP_swap_grant_ref, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_bad_gntref);
    /* A pinned entry: eagain (white box, as in test_versions). */
    d->grant_table->active[0][11].pin = GT_PIN_HSTR_INC;
    s.ref_a = 10;
    s.ref_b = 11;
    assert_int_equal(gop(d, GNTTABOP_swap_grant_ref, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_eagain);
    d->grant_table->active[0][11].pin = 0;
    /* v2: 16-byte entries and their status words. */
    assert_int_equal(gop(d, GNTTABOP_set_version, &ver, 4, 1), 0);
    v2(d, 40)->full_page.frame = 0x333;
    v2(d, 40)->hdr.flags = GTF_permit_access;
    s.ref_a = 40;
    s.ref_b = 255;
    assert_int_equal(gop(d, GNTTABOP_swap_grant_ref, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_okay);
    assert_int_equal(v2(d, 255)->full_page.frame, 0x333);
    assert_int_equal(v2(d, 40)->hdr.flags, 0);
    s.ref_b = 256;
    assert_int_equal(gop(d, GNTTABOP_swap_grant_ref, &s, sizeof(s), 1), 0);
    assert_int_equal(s.status, GNTST_bad_gntref);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, harness_setup_hv, teardown)
    const struct CMUnitTest tests[] = {
        T(test_hvm_filter),
        T(test_count),
        T(test_query_size),
        T(test_setup_table),
        T(test_setup_table_compat),
        T(test_versions),
        T(test_version_max_1),
        T(test_copy_two_domains),
        T(test_copy_errors),
        T(test_copy_v2),
        T(test_copy_batches),
        T(test_copy_compat),
        T(test_map),
        T(test_unmap),
        T(test_swap),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
