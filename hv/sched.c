/* sched.c: placeholder until implemented; answers -ENOSYS. */
#include "hypercalls.h"

long do_sched_op(struct hv_call *call, uint64_t args[5])
{
    (void)call;
    (void)args;
    return -XEN_ENOSYS;
}

long do_set_timer_op(struct hv_call *call, uint64_t args[5])
{
    (void)call;
    (void)args;
    return -XEN_ENOSYS;
}
