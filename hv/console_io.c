/* console_io.c: placeholder until implemented; answers -ENOSYS. */
#include "hypercalls.h"

long do_console_io(struct hv_call *call, uint64_t args[5])
{
    (void)call;
    (void)args;
    return -XEN_ENOSYS;
}
