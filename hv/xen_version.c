/* xen_version.c: placeholder until implemented; answers -ENOSYS. */
#include "hypercalls.h"

long do_xen_version(struct hv_call *call, uint64_t args[5])
{
    (void)call;
    (void)args;
    return -XEN_ENOSYS;
}
