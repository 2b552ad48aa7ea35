/*
 * xen_public.h: the one way into Xen's public ABI headers (Debian libxen-dev).
 *
 * Every file that needs a Xen type, constant or error number includes this
 * header instead of <xen/...> directly, so that the include order (<stdint.h>
 * first) and the interface version are the same everywhere.  The build
 * defines __XEN_TOOLS__, which selects the latest interface version and
 * unlocks <xen/domctl.h>.
 *
 * Nothing from these headers is re-declared anywhere in xenemu; what the
 * headers lack is in <xenemu/xen_ext.h> (extensions and hypervisor-internal
 * numbers) and <xenemu/compat.h> (32-bit argument layouts).
 */
#ifndef XENEMU_XEN_PUBLIC_H
#define XENEMU_XEN_PUBLIC_H

#include <stdint.h>

#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/memory.h>
#include <xen/grant_table.h>
#include <xen/version.h>
#include <xen/features.h>
#include <xen/elfnote.h>
/*
 * <xen/hvm/save.h> (pulled in by domctl.h) refuses __STRICT_ANSI__ because it
 * uses anonymous unions; those are standard since C11, so the check is lifted
 * for this one include.
 */
#pragma push_macro("__STRICT_ANSI__")
#undef __STRICT_ANSI__
#include <xen/domctl.h>
#include <xen/sysctl.h>
#include <xen/platform.h>
#include <xen/vm_event.h>
#include <xen/hvm/dm_op.h>
#pragma pop_macro("__STRICT_ANSI__")
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/hvm/hvm_vcpu.h>
#include <xen/arch-x86/cpuid.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/foreign/x86_32.h>

#endif /* XENEMU_XEN_PUBLIC_H */
