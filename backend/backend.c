/*
 * backend.c: the hypervisor's one backend ops table, which forwards each
 * call to the backend running the domain concerned (struct vm in
 * d->backend_priv), so that KVM and sim domains can share a hypervisor and
 * talk over interdomain channels.  Domains no backend runs (dom0, domains
 * a test creates) get no calls.
 */
#include <string.h>

#include "xenemu/backend.h"

static const struct hv_backend_ops *ops_of(const struct domain *d)
{
    const struct vm *vm = vm_of(d);

    return vm ? vm->be->ops : NULL;
}

static void fwd_kick(struct vcpu *v)
{
    const struct hv_backend_ops *ops = ops_of(v->domain);

    if (ops && ops->kick)
        ops->kick(v);
}

static void fwd_wake(struct vcpu *v)
{
    const struct hv_backend_ops *ops = ops_of(v->domain);

    if (ops && ops->wake)
        ops->wake(v);
}

static void fwd_block(struct vcpu *v, uint64_t deadline_ns)
{
    const struct hv_backend_ops *ops = ops_of(v->domain);

    if (ops && ops->block)
        ops->block(v, deadline_ns);
}

static void fwd_timer_changed(struct vcpu *v, uint64_t deadline_ns)
{
    const struct hv_backend_ops *ops = ops_of(v->domain);

    if (ops && ops->timer_changed)
        ops->timer_changed(v, deadline_ns);
}

static void fwd_watchdog_changed(struct domain *d, uint64_t deadline_ns)
{
    const struct hv_backend_ops *ops = ops_of(d);

    if (ops && ops->watchdog_changed)
        ops->watchdog_changed(d, deadline_ns);
}

static void fwd_shutdown(struct domain *d, unsigned int reason)
{
    const struct hv_backend_ops *ops = ops_of(d);

    if (ops && ops->shutdown)
        ops->shutdown(d, reason);
}

static void fwd_console_write(struct domain *d, const char *buf, size_t len)
{
    const struct vm *vm = vm_of(d);

    if (vm && vm->params.console)
        vm->params.console(vm->params.console_opaque, buf, len);
}

static int fwd_map_page(struct domain *d, uint64_t gfn, void *page)
{
    const struct hv_backend_ops *ops = ops_of(d);

    return ops && ops->map_page ? ops->map_page(d, gfn, page) : 0;
}

static void fwd_vcpu_up(struct vcpu *v)
{
    const struct hv_backend_ops *ops = ops_of(v->domain);

    if (ops && ops->vcpu_up)
        ops->vcpu_up(v);
}

const struct hv_backend_ops backend_hv_ops = {
    .kick = fwd_kick,
    .wake = fwd_wake,
    .block = fwd_block,
    .timer_changed = fwd_timer_changed,
    .watchdog_changed = fwd_watchdog_changed,
    .shutdown = fwd_shutdown,
    .console_write = fwd_console_write,
    .map_page = fwd_map_page,
    .vcpu_up = fwd_vcpu_up,
};

const struct backend *backend_by_name(const char *name)
{
    static const struct backend *const all[] = {&backend_kvm, &backend_sim};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (!strcmp(all[i]->name, name))
            return all[i];
    return NULL;
}
