/*
 * x86.h: the x86 architectural bits xenemu's host and guest sides share
 * (control registers, RFLAGS, EFER).  Linux's <asm/processor-flags.h>
 * provides CR0/CR4/RFLAGS; EFER is not in Linux's user-space headers, so
 * its bits are declared here, once.  Freestanding: the guest includes it.
 */
#ifndef XENEMU_X86_H
#define XENEMU_X86_H

#include <asm/processor-flags.h>

#define MSR_EFER 0xc0000080u
#define EFER_LME (1ull << 8)  /* long mode enable */
#define EFER_LMA (1ull << 10) /* long mode active */

#endif /* XENEMU_X86_H */
