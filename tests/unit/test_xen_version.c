/* test_xen_version.c: __HYPERVISOR_xen_version, every sub-op and error. */
#include <string.h>

#include "harness.h"

#define ARG     HARNESS_ARG_GPA
#define BAD_GPA ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE) /* past RAM */
#define CANARY  0xa5
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

/* dom0 is the host: its hypercall arguments live in host memory. */
static uint8_t dom0_mem[GUEST_PAGE_SIZE];

static int dom0_read(struct hv_call *call, void *dst, uint64_t addr, size_t len)
{
    (void)call;
    if (addr > sizeof(dom0_mem) || len > sizeof(dom0_mem) - addr)
        return -XEN_EFAULT;
    memcpy(dst, dom0_mem + addr, len);
    return 0;
}

static int dom0_write(struct hv_call *call, uint64_t addr, const void *src,
                      size_t len)
{
    (void)call;
    if (addr > sizeof(dom0_mem) || len > sizeof(dom0_mem) - addr)
        return -XEN_EFAULT;
    memcpy(dom0_mem + addr, src, len);
    return 0;
}

static const struct hv_memspace_ops dom0_memspace = {dom0_read, dom0_write};

/* xen_version (cmd) from dom0 with its argument at dom0_mem + 64. */
static long dom0_xv(struct hv *hv, uint64_t cmd)
{
    struct domain *d0 = domain_get(hv, 0);
    uint64_t args[5] = {cmd, 64, 0, 0, 0};
    struct hv_call call;
    long rc;

    assert_non_null(d0);
    hv_call_init(&call, d0->vcpus[0], false, false, 0);
    call.mem = &dom0_memspace;
    rc = hypercall_dispatch(&call, __HYPERVISOR_xen_version, args);
    domain_put(d0);
    return rc;
}

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
        {XENVER_extraversion, ".0-xenemu", sizeof(xen_extraversion_t)},
        {XENVER_capabilities, "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64",
         sizeof(xen_capabilities_info_t)},
        {XENVER_changeset, "xenemu", sizeof(xen_changeset_info_t)},
    };
    struct harness_fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        poison(f->d, cases[i].size + 1);
        assert_int_equal(xv(f->d, cases[i].cmd, ARG), 0);
        assert_padded_string(f->d, cases[i].want, cases[i].size);
    }
}

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

static void test_platform_parameters_both_layouts(void **state)
{
    struct harness_fixture *f = *state;
    uint8_t buf[9], want[9];
    uint64_t args[5] = {XENVER_platform_parameters, ARG, 0, 0, 0};
    struct hv_call call;

    /* 64-bit: virt_start is 8 bytes of zero. */
    poison(f->d, sizeof(buf));
    assert_int_equal(xv(f->d, XENVER_platform_parameters, ARG), 0);
    read_arg(f->d, buf, sizeof(buf));
    memset(want, 0, 8);
    want[8] = CANARY;
    assert_memory_equal(buf, want, sizeof(want));

    /* Compat: 4 bytes only. */
    poison(f->d, sizeof(buf));
    hv_call_init(&call, f->d->vcpus[0], true, false, 0);
    assert_int_equal(hypercall_dispatch(&call, __HYPERVISOR_xen_version, args),
                     0);
    read_arg(f->d, buf, sizeof(buf));
    memset(want, CANARY, sizeof(want));
    memset(want, 0, 4);
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_features_hvm_domu(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_feature_info fi = {.submap_idx = 0, .submap = 0xdeadbeef};

    assert_int_equal(harness_op(f->d, 0, __HYPERVISOR_xen_version,
                                XENVER_get_features, &fi, sizeof(fi)),
                     0);
    assert_int_equal(fi.submap, HVM_BITS);
    assert_int_equal(fi.submap_idx, 0);
}

static void test_features_privileged(void **state)
{
    struct harness_fixture *f = *state;
    struct xen_feature_info fi = {0};

    /* The host dom0 (not HVM). */
    memcpy(dom0_mem + 64, &fi, sizeof(fi));
    assert_int_equal(dom0_xv(f->hv, XENVER_get_features), 0);
    memcpy(&fi, dom0_mem + 64, sizeof(fi));
    assert_int_equal(fi.submap, 1u << XENFEAT_memory_op_vnode_supported |
                                    1u << XENFEAT_dom0);

    /* A privileged HVM domain gets both sets. */
    f->d->is_privileged = true;
    fi = (struct xen_feature_info){0};
    assert_int_equal(harness_op(f->d, 0, __HYPERVISOR_xen_version,
                                XENVER_get_features, &fi, sizeof(fi)),
                     0);
    assert_int_equal(fi.submap, HVM_BITS | 1u << XENFEAT_dom0);
}

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

static void test_pagesize(void **state)
{
    struct harness_fixture *f = *state;

    assert_int_equal(xv(f->d, XENVER_pagesize, 0), 4096);
    assert_int_equal(xv(f->d, XENVER_pagesize, ARG), -XEN_EINVAL);
}

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
    memset(dom0_mem, CANARY, sizeof(dom0_mem));
    assert_int_equal(dom0_xv(f->hv, XENVER_commandline), 0);
    for (size_t i = 0; i < sizeof(xen_commandline_t); i++)
        assert_int_equal(dom0_mem[64 + i], 0);
    assert_int_equal(dom0_mem[64 + sizeof(xen_commandline_t)], CANARY);
}

static void test_build_id(void **state)
{
    struct harness_fixture *f = *state;

    assert_int_equal(xv(f->d, XENVER_build_id, ARG), -XEN_EPERM);
    assert_int_equal(dom0_xv(f->hv, XENVER_build_id), -XEN_ENODATA);
}

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

static void test_unknown_subops(void **state)
{
    static const uint64_t cmds[] = {11, 12, 0x100, 0xffffffffu};
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
        T(test_bad_buffers_fault),
        T(test_unknown_subops),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
