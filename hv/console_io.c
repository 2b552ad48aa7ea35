/*
 * console_io.c: __HYPERVISOR_console_io, as Xen's do_console_io().
 *
 * Policy: every domain may write, as on a Xen debug build (or a domain
 * with is_console): guests print early boot messages this way.  The bytes
 * go to the domain's console log (<xenemu/console.h>): filtered and
 * line-buffered as Xen does for a domU, and metered, so a count of
 * 0xffffffff reads at most the budget (CONSOLE_BURST) and drops the rest
 * unread.  Every other command needs the control domain (-EPERM), as Xen's
 * XSM check runs before the command is decoded; the control domain gets
 * -ENOSYS for unknown commands.  CONSOLEIO_read answers as Xen with an
 * empty serial input ring: 0 bytes, or -E2BIG for a count above INT_MAX.
 */
#include "hypercalls.h"
#include "xenemu/console.h"

/* Bytes copied and passed on at a time: Xen's guest_console_write() copies
 * at most sizeof(kbuf) - 1 = 127. */
#define CONSOLE_CHUNK 127u

static long console_write(struct hv_call *call, uint32_t count, uint64_t buffer)
{
    struct domain *d = call->v->domain;
    size_t todo = count ? console_take(d, count) : 0;
    char chunk[CONSOLE_CHUNK];

    while (todo) {
        size_t n = todo < CONSOLE_CHUNK ? todo : CONSOLE_CHUNK;

        if (copy_from_guest(call, chunk, buffer, n))
            return -XEN_EFAULT;
        console_put(d, chunk, n);
        /* Printed: a fault in a later chunk cannot take this back. */
        hv_call_side_effects(call);
        buffer += n;
        todo -= n;
    }
    return 0;
}

long do_console_io(struct hv_call *call, uint64_t args[5])
{
    uint32_t cmd = (uint32_t)args[0];

    if (cmd != CONSOLEIO_write && !call->v->domain->is_privileged)
        return -XEN_EPERM;
    switch (cmd) {
    case CONSOLEIO_write:
        return console_write(call, (uint32_t)args[1], args[2]);
    case CONSOLEIO_read:
        /* Xen keeps counts that could be mistaken for errors out. */
        if ((uint32_t)args[1] > INT32_MAX)
            return -XEN_E2BIG;
        /* Xen copies what its serial receive ring holds; xenemu has no
         * console input, so the ring is always empty: nothing is read and
         * the buffer is never touched. */
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}
