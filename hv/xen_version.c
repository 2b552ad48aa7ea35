/*
 * xen_version.c: __HYPERVISOR_xen_version, as Xen's do_xen_version() with
 * the default XSM policy: every domain may ask for the version, build and
 * feature information; only the control domain sees the command line and
 * build id ("<denied>" / -EPERM for the others).  Answers follow the
 * emulated version: 4.17's up to 4.17, and what changed in 4.18 (virt_start,
 * features 18 and 19), 4.19 (feature 20) and 4.20 (the varbuf sub-ops 11-14,
 * build_id through them) from those versions.
 *
 * The version is the domain's emulated one (d->xen_version), so a domain
 * created as "4.3" sees 4.3.  xenemu's own strings:
 *   extraversion  ".7-xenemu" for 4.17, whose last release (4.17.7) is
 *                 the one emulated; ".0-xenemu" for every other version
 *                 (Xen's is ".<patch level><suffix>")
 *   changeset     "xenemu"
 *   compile_info  compiler __VERSION__, by/domain "xenemu", empty date (so
 *                 builds stay reproducible)
 */
#include <stdbool.h>
#include <string.h>

#include "hypercalls.h"
#include "xenemu/compat.h"

#define XENEMU_EXTRAVERSION "-xenemu"
#define XENEMU_CHANGESET    "xenemu"
#define XENEMU_COMPILE_BY   "xenemu"
/* What Xen's xen_deny() gives callers the policy refuses. */
#define XEN_DENIED "<denied>"
/*
 * What Xen 4.17's arch_get_xen_caps() lists in its default x86 build (PV
 * built, 32-bit PV not): one entry per guest kind, each followed by a
 * space, the last one too.  xenemu runs no PV guests; the string is the
 * emulated build's, not a promise.
 */
#define XEN_CAPABILITIES                                                       \
    "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 "

/* Emulated versions where the answers change (see the callers). */
#define V418 XENEMU_VERSION(4, 18) /* platform_parameters 0; XENFEAT 18, 19 */
#define V419 XENEMU_VERSION(4, 19) /* XENFEAT_dm_msix_all_writes */
#define V420 XENEMU_VERSION(4, 20) /* the varbuf sub-ops */

/* The public header of 4.20 adds these; Debian's (4.17) lacks them. */
#ifndef XENVER_extraversion2
#define XENVER_extraversion2 11
#define XENVER_capabilities2 12
#define XENVER_changeset2    13
#define XENVER_commandline2  14
#endif
#ifndef XENFEAT_runstate_phys_area
#define XENFEAT_runstate_phys_area 18
#endif
#ifndef XENFEAT_vcpu_time_phys_area
#define XENFEAT_vcpu_time_phys_area 19
#endif
#ifndef XENFEAT_dm_msix_all_writes
#define XENFEAT_dm_msix_all_writes 20
#endif
/* x86-64 HYPERVISOR_VIRT_START, what 4.17 tells every 64-bit caller. */
#define XEN_VIRT_START_X86_64 0xffff800000000000ull
/* The 64 KiB cap on a varbuf answer (4.20). */
#define VARBUF_MAX (64u * 1024)

/* Copy (len) bytes of (src) to the guest: 0 or -EFAULT. */
static long put(struct hv_call *call, uint64_t arg, const void *src, size_t len)
{
    return copy_to_guest(call, arg, src, len) ? -XEN_EFAULT : 0;
}

/* Copy string (s), NUL-padded to the (size)-byte buffer Xen fills. */
static long put_string(struct hv_call *call, uint64_t arg, const char *s,
                       size_t size)
{
    char buf[1024] = {0}; /* the largest: capabilities, commandline */

    strncpy(buf, s, size - 1);
    return put(call, arg, buf, size);
}

static long compile_info(struct hv_call *call, uint64_t arg)
{
    struct xen_compile_info info;

    memset(&info, 0, sizeof(info));
    strncpy(info.compiler, __VERSION__, sizeof(info.compiler) - 1);
    strncpy(info.compile_by, XENEMU_COMPILE_BY, sizeof(info.compile_by) - 1);
    strncpy(info.compile_domain, XENEMU_COMPILE_BY,
            sizeof(info.compile_domain) - 1);
    return put(call, arg, &info, sizeof(info));
}

/* The patch level xenemu answers as: 4.17's behaviour is 4.17.7's
 * (docs/hypercalls.md), other versions' their .0 release's. */
static const char *extraversion_of(const struct domain *d)
{
    return d->xen_version == XENEMU_VERSION(4, 17) ? ".7" XENEMU_EXTRAVERSION
                                                   : ".0" XENEMU_EXTRAVERSION;
}

static long extraversion(struct hv_call *call, uint64_t arg)
{
    return put_string(call, arg, extraversion_of(call->v->domain),
                      sizeof(xen_extraversion_t));
}

/*
 * Up to 4.17 a 64-bit caller gets HYPERVISOR_VIRT_START, HVM or not, and a
 * compat caller its domain's compat start, which is only set for 32-bit PV
 * (so 0 here).  From 4.18 every HVM caller gets 0.
 */
static long platform_parameters(struct hv_call *call, uint64_t arg)
{
    bool v418 = call->v->domain->xen_version >= V418;
    struct compat_platform_parameters p32 = {.virt_start = 0};
    struct xen_platform_parameters p64 = {.virt_start =
                                              v418 ? 0 : XEN_VIRT_START_X86_64};

    if (call->compat)
        return put(call, arg, &p32, sizeof(p32));
    return put(call, arg, &p64, sizeof(p64));
}

/* XENVER_get_features submap 0 for (d). */
static uint32_t features(const struct domain *d)
{
    uint32_t map = 1u << XENFEAT_memory_op_vnode_supported;

    if (d->xen_version >= V418)
        map |= 1u << XENFEAT_runstate_phys_area |
               1u << XENFEAT_vcpu_time_phys_area;
    if (d->xen_version >= V419)
        map |= 1u << XENFEAT_dm_msix_all_writes;
    if (d->cdf_flags & XEN_DOMCTL_CDF_hvm)
        map |= 1u << XENFEAT_writable_page_tables |
               1u << XENFEAT_auto_translated_physmap |
               1u << XENFEAT_hvm_callback_vector |
               1u << XENFEAT_hvm_safe_pvclock | 1u << XENFEAT_not_direct_mapped;
    /* Xen keys this on the hardware domain, not the control domain: in
     * xenemu that is the host's dom0, domain 0. */
    if (d->domid == 0)
        map |= 1u << XENFEAT_dom0;
    return map;
}

static long get_features(struct hv_call *call, uint64_t arg)
{
    struct xen_feature_info fi;

    if (copy_from_guest(call, &fi, arg, sizeof(fi)))
        return -XEN_EFAULT;
    if (fi.submap_idx != 0)
        return -XEN_EINVAL; /* XENFEAT_NR_SUBMAPS is 1 */
    fi.submap = features(call->v->domain);
    return put(call, arg, &fi, sizeof(fi));
}

static long commandline(struct hv_call *call, uint64_t arg)
{
    /* Xen copies the string and its NUL only when it denies. */
    if (!call->v->domain->is_privileged)
        return put(call, arg, XEN_DENIED, sizeof(XEN_DENIED));
    return put_string(call, arg, "", sizeof(xen_commandline_t));
}

/*
 * XENVER_build_id up to 4.19, control domain: a non-NULL buffer's length
 * word is read and must not be 0 before the build id is looked up; xenemu
 * has none, so -ENODATA after that.
 */
static long build_id(struct hv_call *call, uint64_t arg)
{
    uint32_t len;

    if (arg) {
        if (copy_from_guest(call, &len, arg, sizeof(len)))
            return -XEN_EFAULT;
        if (len == 0)
            return -XEN_EINVAL;
    }
    return -XEN_ENODATA; /* xenemu is built without a build id */
}

/*
 * 4.20's struct xen_varbuf sub-ops: the string's length for a NULL buffer,
 * else -ENOBUFS if the buffer's len is smaller, else the bytes (no NUL)
 * after the len word and the length.  build_id has no string: -ENODATA
 * before the buffer is looked at.
 */
static long varbuf(struct hv_call *call, uint32_t cmd, uint64_t arg)
{
    const char *s;
    uint32_t len;
    size_t sz;

    switch (cmd) {
    case XENVER_extraversion2:
        s = extraversion_of(call->v->domain);
        break;
    case XENVER_capabilities2:
        s = XEN_CAPABILITIES;
        break;
    case XENVER_changeset2:
        s = XENEMU_CHANGESET;
        break;
    case XENVER_commandline2:
        s = ""; /* xenemu has no command line */
        break;
    default: /* XENVER_build_id */
        return -XEN_ENODATA;
    }
    sz = strlen(s);
    _Static_assert(sizeof(XEN_CAPABILITIES) - 1 <= VARBUF_MAX, "E2BIG");
    if (!arg)
        return (long)sz;
    if (copy_from_guest(call, &len, arg, sizeof(len)))
        return -XEN_EFAULT;
    if (sz > len)
        return -XEN_ENOBUFS;
    if (sz && copy_to_guest(call, arg + sizeof(len), s, sz))
        return -XEN_EFAULT;
    return (long)sz;
}

long do_xen_version(struct hv_call *call, uint64_t args[5])
{
    const struct domain *d = call->v->domain;
    uint64_t arg = args[1];
    uint32_t cmd = (uint32_t)args[0];
    /* The default XSM policy: these need the control domain. */
    bool deny = !d->is_privileged;

    switch (cmd) {
    case XENVER_version:
        return d->xen_version; /* already (major << 16) | minor */
    case XENVER_extraversion:
        return extraversion(call, arg);
    case XENVER_compile_info:
        return compile_info(call, arg);
    case XENVER_capabilities:
        return put_string(call, arg, XEN_CAPABILITIES,
                          sizeof(xen_capabilities_info_t));
    case XENVER_changeset:
        return put_string(call, arg, XENEMU_CHANGESET,
                          sizeof(xen_changeset_info_t));
    case XENVER_platform_parameters:
        return platform_parameters(call, arg);
    case XENVER_get_features:
        return get_features(call, arg);
    case XENVER_pagesize:
        return arg ? -XEN_EINVAL : (long)GUEST_PAGE_SIZE;
    case XENVER_guest_handle:
        return put(call, arg, d->handle, sizeof(xen_domain_handle_t));
    case XENVER_commandline:
        return commandline(call, arg);
    case XENVER_build_id:
        if (deny)
            return -XEN_EPERM;
        if (d->xen_version < V420)
            return build_id(call, arg);
        return varbuf(call, cmd, arg);
    case XENVER_extraversion2:
    case XENVER_capabilities2:
    case XENVER_changeset2:
    case XENVER_commandline2:
        if (d->xen_version < V420)
            return -XEN_ENOSYS;
        if (deny && cmd == XENVER_commandline2)
            return -XEN_EPERM;
        return varbuf(call, cmd, arg);
    default:
        return -XEN_ENOSYS;
    }
}
