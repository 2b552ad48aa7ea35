/*
 * console_io.c: __HYPERVISOR_console_io, as Xen's do_console_io().
 *
 * Policy: every domain may write, as on a Xen debug build (or a domain
 * with is_console): guests print early boot messages this way, and
 * xenemu's backend is where the output goes.  Every other command needs
 * the control domain (-EPERM), as Xen's XSM check runs before the command
 * is decoded; the control domain gets -ENOSYS for unknown commands.
 * The bytes are passed on unfiltered: a release Xen strips non-printable
 * characters from domU output, which is the backend's choice here.
 */
#include "hypercalls.h"

/* Bytes copied and passed on at a time: a bounded stack buffer, as in
 * Xen's guest_console_write(). */
#define CONSOLE_CHUNK 128u

static long console_write(struct hv_call *call, uint32_t count, uint64_t buffer)
{
    struct domain *d = call->v->domain;
    const struct hv_backend_ops *be = d->hv->backend;
    char chunk[CONSOLE_CHUNK];

    while (count) {
        uint32_t n = count < CONSOLE_CHUNK ? count : CONSOLE_CHUNK;

        if (copy_from_guest(call, chunk, buffer, n))
            return -XEN_EFAULT;
        if (be && be->console_write)
            be->console_write(d, chunk, n);
        /* Printed: a fault in a later chunk cannot take this back. */
        hv_call_side_effects(call);
        buffer += n;
        count -= n;
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
        return 0; /* no console input: nothing read */
    default:
        return -XEN_ENOSYS;
    }
}
