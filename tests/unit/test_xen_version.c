/*
 * test_xen_version.c: __HYPERVISOR_xen_version, every sub-op and error.
 * Expected values are Xen 4.17.7's common/kernel.c:do_xen_version() (the
 * case named in each test) with the dummy policy of
 * include/xsm/dummy.h:xsm_xen_version(), unless a comment says "4.18+",
 * "4.19+", "4.20+" (that release's do_xen_version()) or "xenemu" (a
 * deliberate difference).
 */
#include <string.h>

#include "harness.h"

#define ARG     HARNESS_ARG_GPA
#define BAD_GPA ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE) /* past RAM */
#define CANARY  0xa5
/* 4.20's public/version.h numbers (Debian's 4.17 header lacks them). */
#define XENVER_extraversion2_NR 11
#define XENVER_capabilities2_NR 12
#define XENVER_changeset2_NR    13
#define XENVER_commandline2_NR  14
#define HVM_BITS                                                               \
    (1u << XENFEAT_writable_page_tables |                                      \
     1u << XENFEAT_auto_translated_physmap |                                   \
     1u << XENFEAT_hvm_callback_vector | 1u << XENFEAT_hvm_safe_pvclock |      \
     1u << XENFEAT_memory_op_vnode_supported |                                 \
     1u << XENFEAT_not_direct_mapped)

static long xv(struct domain *d, uint64_t cmd, uint64_t arg)
{
    return harness_hypercall(d, 0, __HYPERVISOR_xen_version, cmd, arg, 0);
}

/* xenemu: a domain of emulated version (v) on (f)'s hv. */
static struct domain *at_version(struct harness_fixture *f, uint32_t v)
{
    return harness_domain(f->hv, &(struct harness_dom_opts){.xen_version = v});
}

/* Fill (len) bytes of guest memory at ARG with the canary. */
static void poison(struct domain *d, size_t len)
{
    uint8_t buf[2048];

    memset(buf, CANARY, sizeof(buf));
    assert_true(len <= sizeof(buf));
    assert_int_equal(gpa_write(d, ARG, buf, len), 0);
}

static void read_arg(struct domain *d, void *dst, size_t len)
{
    assert_int_equal(gpa_read(d, dst, ARG, len), 0);
}

/* (s) NUL-padded to (size) bytes, and the byte after it untouched. */
static void assert_padded_string(struct domain *d, const char *s, size_t size)
{
    uint8_t buf[1025], want[1025];

    memset(want, 0, sizeof(want));
    memcpy(want, s, strlen(s));
    want[size] = CANARY;
    read_arg(d, buf, size + 1);
    assert_memory_equal(buf, want, size + 1);
}

/* xen_version (cmd) from dom0 with its argument at harness_dom0_mem + 64. */
static long dom0_xv(struct hv *hv, uint64_t cmd)
{
    uint64_t args[5] = {cmd, 64, 0, 0, 0};

    return harness_dom0_hypercall(hv, __HYPERVISOR_xen_version, args);
}

/* xenemu: XENVER_version is the emulated version (4.17's case
 * XENVER_version gives 0x40011). */
static void test_version_is_emulated_one(void **state)
{
    static const struct {
        uint32_t cfg;
        long want;
    } cases[] = {
        {0, 0x40011}, /* default: 4.17 */
        {XENEMU_VERSION(4, 3), 0x40003},
        {XENEMU_VERSION(3, 4), 0x30004},
    };
    struct harness_fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct domain *d = harness_domain(
            f->hv, &(struct harness_dom_opts){.xen_version = cases[i].cfg});

        assert_int_equal(xv(d, XENVER_version, 0), cases[i].want);
        harness_domain_free(d);
    }
}

static void test_strings(void **state)
{
    static const struct {
        unsigned int cmd;
        const char *want;
        size_t size;
    } cases[] = {
        /* Xen 4.17.7's patch level, with xenemu's suffix (deliberate:
         * docs/hypercalls.md). */
        {XENVER_extraversion, ".7-xenemu", sizeof(xen_extraversion_t)},
        /* case XENVER_capabilities, from arch/x86/setup.c:
         * arch_get_xen_caps() in the default build (PV=y, PV32=n): every
         * entry ends in a space. */
        {XENVER_capabilities,
         "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 ",
         sizeof(xen_capabilities_info_t)},
        /* xenemu: Xen's is its changeset string. */
        {XENVER_changeset, "xenemu", sizeof(xen_changeset_info_t)},
    };
    struct harness_fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        poison(f->d, cases[i].size + 1);
        assert_int_equal(xv(f->d, cases[i].cmd, ARG), 0);
        assert_padded_string(f->d, cases[i].want, cases[i].size);
    }
}

/* case XENVER_compile_info; xenemu: by/domain "xenemu", empty date. */
static void test_compile_info(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_compile_info info;

    poison(f->d, sizeof(info));
    assert_int_equal(xv(f->d, XENVER_compile_info, ARG), 0);
    read_arg(f->d, &info, sizeof(info));
    assert_int_equal(strncmp(info.compiler, __VERSION__, 63), 0);
    assert_int_equal(info.compiler[63], 0);
    assert_string_equal(info.compile_by, "xenemu");
    assert_string_equal(info.compile_domain, "xenemu");
    assert_string_equal(info.compile_date, "");
}

/* XENVER_platform_parameters from (d), 64-bit or compat: want (want64)
 * in 8 bytes, or 4 zero bytes for compat; nothing written after them. */
static void check_platform_parameters(struct domain *d, bool compat,
                                      uint64_t want64)
{
    uint64_t args[5] = {XENVER_platform_parameters, ARG, 0, 0, 0};
    uint8_t buf[9], want[9];
    struct hv_call call;

    poison(d, sizeof(buf));
    hv_call_init(&call, d->vcpus[0], compat, false, 0);
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_xen_version, args),
                     0);
    read_arg(d, buf, sizeof(buf));
    memset(want, CANARY, sizeof(want));
    if (compat)
        memset(want, 0, 4);
    else
        for (int i = 0; i < 8; i++)
            want[i] = (uint8_t)(want64 >> (8 * i));
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_platform_parameters_both_layouts(void **state)
{
    struct harness_fixture *f = *state;
    struct domain *d418 = at_version(f, XENEMU_VERSION(4, 18));

    /* 4.17 case XENVER_platform_parameters: HYPERVISOR_VIRT_START
     * (arch/x86/include/asm/config.h) to a 64-bit caller, HVM included. */
    check_platform_parameters(f->d, false, 0xffff800000000000ull);
    /* common/compat/kernel.c: HYPERVISOR_COMPAT_VIRT_START(d), set only
     * for 32-bit PV, so 0 in the 4-byte compat layout. */
    check_platform_parameters(f->d, true, 0);
    /* 4.18+: 0 to every HVM caller, in both layouts. */
    check_platform_parameters(d418, false, 0);
    check_platform_parameters(d418, true, 0);
    harness_domain_free(d418);
}

static uint32_t features_of(struct domain *d)
{
    struct xen_feature_info fi = {.submap_idx = 0, .submap = 0xdeadbeef};

    assert_int_equal(harness_op(d, 0, __HYPERVISOR_xen_version,
                                XENVER_get_features, &fi, sizeof(fi)),
                     0);
    assert_int_equal(fi.submap_idx, 0);
    return fi.submap;
}

/* case XENVER_get_features, submap 0, for a translated non-PV domain
 * without PIRQs (PVH): 0x12305.  xenemu: never hvm_pirqs (no PIRQs). */
static void test_features_hvm_domu(void **state)
{
    struct harness_fixture *f = *state;
    static const struct {
        uint32_t version, extra;
    } cases[] = {
        {XENEMU_VERSION(4, 17), 0},
        /* 4.18+: runstate_phys_area and vcpu_time_phys_area always. */
        {XENEMU_VERSION(4, 18), 3u << 18},
        /* 4.19+: dm_msix_all_writes always on x86. */
        {XENEMU_VERSION(4, 19), 7u << 18},
        {XENEMU_VERSION(4, 20), 7u << 18},
    };

    assert_int_equal(HVM_BITS, 0x12305);
    assert_int_equal(features_of(f->d), HVM_BITS);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct domain *d = at_version(f, cases[i].version);

        assert_int_equal(features_of(d), HVM_BITS | cases[i].extra);
        harness_domain_free(d);
    }
}

static void test_features_privileged(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_feature_info fi = {0};

    /* xenemu: the host dom0 is not a guest (not translated, not PV): the
     * unconditional bit plus dom0, which Xen keys on is_hardware_domain(),
     * domain 0. */
    memcpy(harness_dom0_mem + 64, &fi, sizeof(fi));
    assert_int_equal(dom0_xv(f->hv, XENVER_get_features), 0);
    memcpy(&fi, harness_dom0_mem + 64, sizeof(fi));
    assert_int_equal(fi.submap, 1u << XENFEAT_memory_op_vnode_supported |
                                    1u << XENFEAT_dom0);

    /* A control (privileged) HVM domain that is not the hardware domain
     * gets no XENFEAT_dom0. */
    f->d->is_privileged = true;
    assert_int_equal(features_of(f->d), HVM_BITS);
}

/* case XENVER_get_features: any other submap is -EINVAL, nothing copied. */
static void test_features_bad_submap(void **state)
{
    static const unsigned int idx[] = {1, 2, 0xffffffffu};
    struct harness_fixture *f = *state;

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
        struct xen_feature_info fi = {.submap_idx = idx[i], .submap = 7};

        assert_int_equal(harness_op(f->d, 0, __HYPERVISOR_xen_version,
                                    XENVER_get_features, &fi, sizeof(fi)),
                         -XEN_EINVAL);
        assert_int_equal(fi.submap, 7); /* untouched */
    }
}

/* case XENVER_pagesize: PAGE_SIZE, -EINVAL for a non-NULL handle. */
static void test_pagesize(void **state)
{
    struct harness_fixture *f = *state;

    assert_int_equal(xv(f->d, XENVER_pagesize, 0), 4096);
    assert_int_equal(xv(f->d, XENVER_pagesize, ARG), -XEN_EINVAL);
}

/* case XENVER_guest_handle: the 16-byte handle, nothing more. */
static void test_guest_handle(void **state)
{
    static const uint8_t uuid[16] = {
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8};
    struct harness_fixture *f = *state;
    uint8_t buf[17], want[17];

    memcpy(f->d->handle, uuid, sizeof(uuid));
    poison(f->d, sizeof(buf));
    assert_int_equal(xv(f->d, XENVER_guest_handle, ARG), 0);
    read_arg(f->d, buf, sizeof(buf));
    memcpy(want, uuid, 16);
    want[16] = CANARY;
    assert_memory_equal(buf, want, sizeof(want));
}

/* case XENVER_commandline: xen_deny() and its NUL (9 bytes) when denied,
 * else all of saved_cmdline (1024 bytes; xenemu's is empty). */
static void test_commandline(void **state)
{
    struct harness_fixture *f = *state;
    uint8_t buf[16], want[16];

    /* Denied: "<denied>" and its NUL, nothing after. */
    poison(f->d, sizeof(buf));
    assert_int_equal(xv(f->d, XENVER_commandline, ARG), 0);
    read_arg(f->d, buf, sizeof(buf));
    memset(want, CANARY, sizeof(want));
    memcpy(want, "<denied>", 9);
    assert_memory_equal(buf, want, sizeof(want));

    /* dom0: the (empty) command line, the whole 1024-byte buffer. */
    memset(harness_dom0_mem, CANARY, sizeof(harness_dom0_mem));
    assert_int_equal(dom0_xv(f->hv, XENVER_commandline), 0);
    for (size_t i = 0; i < sizeof(xen_commandline_t); i++)
        assert_int_equal(harness_dom0_mem[64 + i], 0);
    assert_int_equal(harness_dom0_mem[64 + sizeof(xen_commandline_t)], CANARY);
}

/* dom0's xen_version (cmd) with arg (arg) in harness_dom0_mem. */
static long dom0_xv_arg(struct hv *hv, uint64_t cmd, uint64_t arg)
{
    uint64_t args[5] = {cmd, arg, 0, 0, 0};

    return harness_dom0_hypercall(hv, __HYPERVISOR_xen_version, args);
}

/* case XENVER_build_id: -EPERM when denied; for the control domain a
 * non-NULL buffer is read (-EFAULT) and len 0 is -EINVAL before the build
 * id is looked up.  xenemu has no build id: xen_build_id()'s -ENODATA. */
static void test_build_id(void **state)
{
    struct harness_fixture *f = *state;
    const uint32_t len0 = 0, len64 = 64;

    assert_int_equal(xv(f->d, XENVER_build_id, ARG), -XEN_EPERM);
    assert_int_equal(xv(f->d, XENVER_build_id, 0), -XEN_EPERM);
    memcpy(harness_dom0_mem + 64, &len0, sizeof(len0));
    assert_int_equal(dom0_xv(f->hv, XENVER_build_id), -XEN_EINVAL);
    memcpy(harness_dom0_mem + 64, &len64, sizeof(len64));
    assert_int_equal(dom0_xv(f->hv, XENVER_build_id), -XEN_ENODATA);
    assert_int_equal(dom0_xv_arg(f->hv, XENVER_build_id, 0), -XEN_ENODATA);
    assert_int_equal(
        dom0_xv_arg(f->hv, XENVER_build_id, sizeof(harness_dom0_mem)),
        -XEN_EFAULT);
}

/* A varbuf at ARG of (d): len word (len), canary after it. */
static void put_varbuf(struct domain *d, uint32_t len)
{
    poison(d, 128);
    assert_int_equal(gpa_write(d, ARG, &len, sizeof(len)), 0);
}

/* 4.20+ xenver_varbuf_op(): a NULL buffer gives the length; a short len
 * -ENOBUFS; else the string without NUL after the len word, and its
 * length.  Before 4.20 these sub-ops do not exist (-ENOSYS). */
static void test_varbuf_subops(void **state)
{
    static const struct {
        unsigned int cmd;
        const char *want;
    } cases[] = {
        {XENVER_extraversion2_NR,
         ".0-xenemu"}, /* 4.20: its .0, xenemu's suffix */
        {XENVER_capabilities2_NR,
         "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 "},
        {XENVER_changeset2_NR, "xenemu"}, /* xenemu string */
    };
    struct harness_fixture *f = *state;
    struct domain *d = at_version(f, XENEMU_VERSION(4, 20));
    uint8_t buf[128], want[128];

    for (unsigned int cmd = 11; cmd <= 14; cmd++)
        assert_int_equal(xv(f->d, cmd, ARG), -XEN_ENOSYS); /* 4.17 */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long sz = (long)strlen(cases[i].want);

        assert_int_equal(xv(d, cases[i].cmd, 0), sz);
        put_varbuf(d, (uint32_t)sz - 1);
        assert_int_equal(xv(d, cases[i].cmd, ARG), -XEN_ENOBUFS);
        put_varbuf(d, (uint32_t)sz);
        assert_int_equal(xv(d, cases[i].cmd, ARG), sz);
        read_arg(d, buf, sizeof(buf));
        memset(want, CANARY, sizeof(want));
        memcpy(want, &(uint32_t){(uint32_t)sz}, 4);
        memcpy(want + 4, cases[i].want, (size_t)sz);
        assert_memory_equal(buf, want, sizeof(want));
        assert_int_equal(xv(d, cases[i].cmd, BAD_GPA), -XEN_EFAULT);
    }
    /* xsm_xen_version(): commandline2 and build_id need the control
     * domain. */
    assert_int_equal(xv(d, XENVER_commandline2_NR, 0), -XEN_EPERM);
    assert_int_equal(xv(d, XENVER_build_id, 0), -XEN_EPERM);
    /* 4.20+ build_id: xen_build_id()'s -ENODATA before the buffer is read
     * (no len check any more). */
    d->is_privileged = true;
    put_varbuf(d, 0);
    assert_int_equal(xv(d, XENVER_build_id, ARG), -XEN_ENODATA);
    assert_int_equal(xv(d, XENVER_build_id, BAD_GPA), -XEN_ENODATA);
    /* commandline2: xenemu's empty command line, length 0. */
    assert_int_equal(xv(d, XENVER_commandline2_NR, 0), 0);
    assert_int_equal(xv(d, XENVER_commandline2_NR, ARG), 0);
    harness_domain_free(d);
}

/* Every copy_to_guest()/copy_from_guest() in do_xen_version(): -EFAULT. */
static void test_bad_buffers_fault(void **state)
{
    static const unsigned int cmds[] = {
        XENVER_extraversion, XENVER_compile_info,        XENVER_capabilities,
        XENVER_changeset,    XENVER_platform_parameters, XENVER_get_features,
        XENVER_guest_handle, XENVER_commandline,
    };
    struct harness_fixture *f = *state;

    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        assert_int_equal(xv(f->d, cmds[i], BAD_GPA), -XEN_EFAULT);
    /* A buffer that starts in RAM and runs past it copies nothing. */
    assert_int_equal(xv(f->d, XENVER_capabilities, BAD_GPA - 512), -XEN_EFAULT);
}

/* do_xen_version()'s fall-through -ENOSYS; cmd is an int, so the upper
 * half of the register is ignored. */
static void test_unknown_subops(void **state)
{
    static const uint64_t cmds[] = {11,    12,          15,
                                    0x100, 0xffffffffu, 0x100000000ull | 11};
    struct harness_fixture *f = *state;

    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        assert_int_equal(xv(f->d, cmds[i], ARG), -XEN_ENOSYS);
}

int main(void)
{
#define T(fn)                                                                  \
    cmocka_unit_test_setup_teardown(fn, harness_setup_one, harness_teardown_one)
    const struct CMUnitTest tests[] = {
        T(test_version_is_emulated_one),
        T(test_strings),
        T(test_compile_info),
        T(test_platform_parameters_both_layouts),
        T(test_features_hvm_domu),
        T(test_features_privileged),
        T(test_features_bad_submap),
        T(test_pagesize),
        T(test_guest_handle),
        T(test_commandline),
        T(test_build_id),
        T(test_varbuf_subops),
        T(test_bad_buffers_fault),
        T(test_unknown_subops),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
