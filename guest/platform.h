/*
 * platform.h: the guest kernel's one way into arch.h and Xen's public
 * headers (through <xenemu/xen_public.h>).

 */
#ifndef XENEMU_GUEST_PLATFORM_H
#define XENEMU_GUEST_PLATFORM_H

#include "arch.h"

#include "xenemu/xen_public.h"

#endif /* XENEMU_GUEST_PLATFORM_H */
