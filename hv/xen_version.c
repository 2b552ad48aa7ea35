/*
 * xen_version.c: __HYPERVISOR_xen_version, as Xen's do_xen_version() with
 * the default XSM policy: every domain may ask for the version, build and
 * feature information; only the control domain sees the command line and
 * build id ("<denied>" / -EPERM for the others).
 *
 * The version is the domain's emulated one (d->xen_version), so a domain
 * created as "4.3" sees 4.3.  xenemu's own strings:
 *   extraversion  ".0-xenemu" (Xen's is ".<patch level><suffix>")
 *   changeset     "xenemu"
 *   compile_info  compiler __VERSION__, by/domain "xenemu", empty date (so
 *                 builds stay reproducible)
 */
#include <string.h>

#include "hypercalls.h"
#include "xenemu/compat.h"

#define XENEMU_EXTRAVERSION "-xenemu"
#define XENEMU_CHANGESET    "xenemu"
#define XENEMU_COMPILE_BY   "xenemu"
/* What Xen's xen_deny() gives callers the policy refuses. */
#define XEN_DENIED "<denied>"
/* What an HVM-only Xen lists (arch_get_xen_caps(), in its order). */
#define XEN_CAPABILITIES "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64"

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

static long extraversion(struct hv_call *call, uint64_t arg)
{
    return put_string(call, arg, ".0" XENEMU_EXTRAVERSION,
                      sizeof(xen_extraversion_t));
}

/* No hypervisor area in an HVM guest's address space: virt_start 0 (what
 * Xen 4.18 and later report to HVM guests). */
static long platform_parameters(struct hv_call *call, uint64_t arg)
{
    struct compat_platform_parameters p32 = {.virt_start = 0};
    struct xen_platform_parameters p64 = {.virt_start = 0};

    if (call->compat)
        return put(call, arg, &p32, sizeof(p32));
    return put(call, arg, &p64, sizeof(p64));
}

/* XENVER_get_features submap 0 for (d). */
static uint32_t features(const struct domain *d)
{
    uint32_t map = 1u << XENFEAT_memory_op_vnode_supported;

    if (d->cdf_flags & XEN_DOMCTL_CDF_hvm)
        map |= 1u << XENFEAT_writable_page_tables |
               1u << XENFEAT_auto_translated_physmap |
               1u << XENFEAT_hvm_callback_vector |
               1u << XENFEAT_hvm_safe_pvclock | 1u << XENFEAT_not_direct_mapped;
    if (d->is_privileged)
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

static long build_id(struct hv_call *call)
{
    if (!call->v->domain->is_privileged)
        return -XEN_EPERM;
    return -XEN_ENODATA; /* xenemu is built without a build id */
}

long do_xen_version(struct hv_call *call, uint64_t args[5])
{
    const struct domain *d = call->v->domain;
    uint64_t arg = args[1];

    switch ((uint32_t)args[0]) {
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
        return build_id(call);
    default:
        return -XEN_ENOSYS;
    }
}
