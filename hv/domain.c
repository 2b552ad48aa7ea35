/*
 * domain.c: creating, finding, pausing and destroying domains, with Xen's
 * checks of the creation arguments (sanitise_domain_config and its x86
 * half), in Xen's order.
 */
#include <stdlib.h>
#include <string.h>

#include "xenemu/domain.h"
#include "xenemu/grant_table.h"
#include "xenemu/runstate.h"
#include "xenemu/evtchn.h"

/* The creation flags xenemu knows: Xen's (4.17 headers) and its own. */
#define KNOWN_CDF_FLAGS                                                        \
    (XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap | XEN_DOMCTL_CDF_s3_integrity |   \
     XEN_DOMCTL_CDF_oos_off | XEN_DOMCTL_CDF_xs_domain |                       \
     XEN_DOMCTL_CDF_iommu | XEN_DOMCTL_CDF_nested_virt | XEN_DOMCTL_CDF_vpmu | \
     XEN_DOMCTL_CDF_disable_fifo)

/* Oldest and newest Xen versions a domain may emulate. */
#define MIN_XEN_VERSION XENEMU_VERSION(3, 0)
#define MAX_XEN_VERSION XENEMU_VERSION(4, 99)

/*
 * Xen's sanitise_domain_config() then arch_sanitise_domain_config(), for a
 * host with HAP but no IOMMU, vPMU, vmtrace, TBOOT, nested virtualisation
 * or PV support.  Every refusal is -EINVAL.
 */
static int check_config(const struct domain_config *cfg)
{
    const struct xen_domctl_createdomain *c = &cfg->create;
    bool hvm = c->flags & XEN_DOMCTL_CDF_hvm;

    if (c->flags & ~KNOWN_CDF_FLAGS)
        return -XEN_EINVAL;
    if (c->grant_opts & ~XEN_DOMCTL_GRANT_version_mask)
        return -XEN_EINVAL;
    if (c->max_vcpus < 1)
        return -XEN_EINVAL;
    if ((c->flags & XEN_DOMCTL_CDF_hap) && !hvm)
        return -XEN_EINVAL;
    if ((c->flags & XEN_DOMCTL_CDF_iommu) || c->iommu_opts)
        return -XEN_EINVAL;
    if (c->vmtrace_size || (c->flags & XEN_DOMCTL_CDF_vpmu))
        return -XEN_EINVAL;
    if (!hvm) /* PV support not available */
        return -XEN_EINVAL;
    if (c->max_vcpus > DOMAIN_MAX_VCPUS)
        return -XEN_EINVAL;
    if (c->flags & (XEN_DOMCTL_CDF_s3_integrity | XEN_DOMCTL_CDF_nested_virt))
        return -XEN_EINVAL;
    if (c->arch.misc_flags & ~XEN_X86_MSR_RELAXED)
        return -XEN_EINVAL;
    if (cfg->xen_version && (cfg->xen_version < MIN_XEN_VERSION ||
                             cfg->xen_version > MAX_XEN_VERSION))
        return -XEN_EINVAL;
    return 0;
}

static void vcpu_free(struct vcpu *v)
{
    if (!v)
        return;
    pthread_mutex_destroy(&v->timer_lock);
    pthread_mutex_destroy(&v->runstate_lock);
    hv_free(v->dummy_vcpu_info, sizeof(struct vcpu_info));
    hv_free(v, sizeof(*v));
}

static struct vcpu *vcpu_alloc(struct domain *d, unsigned int id)
{
    struct vcpu *v = hv_zalloc(sizeof(*v));

    if (!v)
        return NULL;
    v->domain = d;
    v->id = id;
    pthread_mutex_init(&v->timer_lock, NULL);
    /* vCPU 0 runs from creation; the others are down until VCPUOP_up. */
    runstate_init(v, id == 0 ? RUNSTATE_running : RUNSTATE_offline);
    if (id < XEN_LEGACY_MAX_VCPUS) {
        /* The 32-bit slots are at the same 64-byte stride. */
        v->vcpu_info = (struct vcpu_info *)d->shared_info + id;
    } else {
        v->dummy_vcpu_info = hv_zalloc(sizeof(struct vcpu_info));
        if (!v->dummy_vcpu_info) {
            hv_free(v, sizeof(*v));
            return NULL;
        }
        v->vcpu_info = v->dummy_vcpu_info;
    }
    v->is_up = id == 0;
    v->initialised = id == 0; /* the backend starts vCPU 0 itself */
    return v;
}

static void domain_free(struct domain *d)
{
    evtchn_domain_free(d);
    grant_table_free(d);
    for (unsigned int i = 0; d->vcpus && i < d->max_vcpus; i++)
        vcpu_free(d->vcpus[i]);
    hv_free(d->vcpus, d->max_vcpus * sizeof(*d->vcpus));
    for (unsigned int i = 1; d->overlays && i < d->nr_overlays; i++)
        hv_free_page(d->overlays[i].page);
    hv_free(d->overlays, d->nr_overlays * sizeof(*d->overlays));
    hv_free_page(d->shared_info);
    pthread_mutex_destroy(&d->event_lock);
    pthread_rwlock_destroy(&d->abi_lock);
    pthread_mutex_destroy(&d->physmap_lock);
    if (d->e820 != d->e820_inline)
        hv_free(d->e820, d->e820_alloc * sizeof(*d->e820));
    pthread_mutex_destroy(&d->e820_lock);
    console_destroy(&d->console);
    hv_free(d, sizeof(*d));
}

static int alloc_memory_state(struct domain *d, int max_grant_frames)
{
    d->shared_info = hv_zalloc_page();
    if (!d->shared_info)
        return -XEN_ENOMEM;
    if (max_grant_frames < 0)
        max_grant_frames = DOMAIN_DEFAULT_GRANT_FRAMES;
    d->nr_overlays = 1 + (unsigned int)max_grant_frames;
    d->overlays = hv_zalloc(d->nr_overlays * sizeof(*d->overlays));
    if (!d->overlays)
        return -XEN_ENOMEM;
    for (unsigned int i = 0; i < d->nr_overlays; i++)
        d->overlays[i].gfn = GFN_INVALID;
    d->overlays[0].page = d->shared_info;
    return 0;
}

static struct domain *domain_alloc(struct hv *hv,
                                   const struct domain_config *cfg)
{
    const struct xen_domctl_createdomain *c = &cfg->create;
    struct domain *d = hv_zalloc(sizeof(*d));

    if (!d)
        return NULL;
    d->hv = hv;
    d->cdf_flags = c->flags;
    memcpy(d->handle, c->handle, sizeof(d->handle));
    /* Xen's default for a triple fault: reboot. */
    d->hvm_params[HVM_PARAM_TRIPLE_FAULT_REASON] = SHUTDOWN_reboot;
    d->xen_version =
        cfg->xen_version ? cfg->xen_version : XENEMU_DEFAULT_VERSION;
    d->refcnt = 1;      /* the domain table's */
    d->pause_count = 1; /* created paused, as Xen does */
    pthread_mutex_init(&d->event_lock, NULL);
    pthread_rwlock_init(&d->abi_lock, NULL);
    pthread_mutex_init(&d->physmap_lock, NULL);
    pthread_mutex_init(&d->e820_lock, NULL);
    d->e820 = d->e820_inline;
    d->created_ns = hv_now_ns(hv);
    console_init(&d->console);
    if (alloc_memory_state(d, c->max_grant_frames))
        goto err;
    if (grant_table_init(d, c->grant_opts & XEN_DOMCTL_GRANT_version_mask))
        goto err;
    d->max_vcpus = c->max_vcpus;
    d->vcpus = hv_zalloc(d->max_vcpus * sizeof(*d->vcpus));
    if (!d->vcpus)
        goto err;
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (!(d->vcpus[i] = vcpu_alloc(d, i)))
            goto err;
    if (evtchn_domain_init(d, c->max_evtchn_port))
        goto err;
    return d;
err:
    domain_free(d);
    return NULL;
}

/* Put (d) in the table at (domid) (0: the lowest free id above 0). */
static int domain_insert(struct hv *hv, struct domain *d, domid_t domid,
                         bool any)
{
    int rc = 0;

    pthread_mutex_lock(&hv->domains_lock);
    if (any) {
        unsigned int id = hv->next_domid, n = 0;

        /* Ids are handed out round-robin over 1..DOMID_FIRST_RESERVED-1. */
        while (hv->domains[id]) {
            id = id + 1 < DOMID_FIRST_RESERVED ? id + 1 : 1;
            if (++n >= DOMID_FIRST_RESERVED) {
                rc = -XEN_ENOMEM; /* no free id */
                goto out;
            }
        }
        domid = (domid_t)id;
        hv->next_domid = id + 1 < DOMID_FIRST_RESERVED ? id + 1 : 1;
    } else if (hv->domains[domid]) {
        rc = -XEN_EEXIST;
        goto out;
    }
    d->domid = domid;
    hv->domains[domid] = d;
out:
    pthread_mutex_unlock(&hv->domains_lock);
    return rc;
}

static int create(struct hv *hv, domid_t domid, bool any,
                  const struct domain_config *cfg, bool privileged,
                  struct domain **out)
{
    struct domain *d = domain_alloc(hv, cfg);
    int rc;

    if (!d)
        return -XEN_ENOMEM;
    d->is_privileged = privileged;
    rc = domain_insert(hv, d, domid, any);
    if (rc) {
        domain_free(d);
        return rc;
    }
    __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_RELAXED); /* the caller's */
    *out = d;
    return 0;
}

int domain_create(struct hv *hv, domid_t domid, const struct domain_config *cfg,
                  struct domain **out)
{
    /* As XEN_DOMCTL_createdomain: an id in use is refused before the
     * configuration is looked at; 0 or a reserved id means "any". */
    bool any = domid == 0 || domid >= DOMID_FIRST_RESERVED;
    struct domain *existing = any ? NULL : domain_get(hv, domid);
    int rc;

    if (existing) {
        domain_put(existing);
        return -XEN_EEXIST;
    }
    rc = check_config(cfg);
    if (rc)
        return rc;
    return create(hv, domid, any, cfg, false, out);
}

int domain_create_dom0(struct hv *hv, const struct domain_config *cfg,
                       struct domain **out)
{
    return create(hv, 0, false, cfg, true, out);
}

void domain_destroy(struct domain *d)
{
    struct hv *hv = d->hv;
    bool was_dying = __atomic_exchange_n(&d->is_dying, true, __ATOMIC_ACQ_REL);

    if (was_dying)
        return;
    /* No new lookups, then no ports: peers are unbound from us. */
    pthread_mutex_lock(&hv->domains_lock);
    hv->domains[d->domid] = NULL;
    pthread_mutex_unlock(&hv->domains_lock);
    evtchn_domain_close_all(d);
    domain_put(d); /* the table's reference */
}

struct domain *domain_get(struct hv *hv, domid_t domid)
{
    struct domain *d = NULL;

    if (domid >= DOMID_FIRST_RESERVED)
        return NULL;
    pthread_mutex_lock(&hv->domains_lock);
    d = hv->domains[domid];
    if (d)
        __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&hv->domains_lock);
    return d;
}

void domain_put(struct domain *d)
{
    /* The last reference frees: acq_rel orders every earlier use of (d)
     * by other holders before the free. */
    if (__atomic_sub_fetch(&d->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
        domain_free(d);
}

struct domain *domain_get_by_any_id(struct domain *caller, domid_t domid)
{
    if (domid == DOMID_SELF || domid == caller->domid) {
        __atomic_fetch_add(&caller->refcnt, 1, __ATOMIC_RELAXED);
        return caller;
    }
    return domain_get(caller->hv, domid);
}

bool domain_may_control(const struct domain *caller,
                        const struct domain *target)
{
    return caller == target || caller->is_privileged;
}

void domain_set_ram(struct domain *d, uint8_t *ram, uint64_t size)
{
    d->ram = ram;
    d->ram_size = size;
    domain_set_memory_map(d, &(struct domain_e820){0, size, E820_RAM}, 1);
}

void domain_replace_memory_map(struct domain *d, struct domain_e820 *map,
                               unsigned int n)
{
    struct domain_e820 *old;
    unsigned int old_alloc;

    pthread_mutex_lock(&d->e820_lock);
    old = d->e820;
    old_alloc = d->e820_alloc;
    d->e820 = map ? map : d->e820_inline;
    d->e820_alloc = map ? n : 0;
    d->nr_e820 = map || n <= DOMAIN_E820_MAX ? n : 0;
    pthread_mutex_unlock(&d->e820_lock);
    if (old != d->e820_inline)
        hv_free(old, old_alloc * sizeof(*old));
}

int domain_set_memory_map(struct domain *d, const struct domain_e820 *map,
                          unsigned int n)
{
    if (!n || n > DOMAIN_E820_MAX)
        return -XEN_EINVAL;
    pthread_mutex_lock(&d->e820_lock);
    if (d->e820 != d->e820_inline) {
        hv_free(d->e820, d->e820_alloc * sizeof(*d->e820));
        d->e820 = d->e820_inline;
        d->e820_alloc = 0;
    }
    memcpy(d->e820_inline, map, n * sizeof(*map));
    d->nr_e820 = n;
    pthread_mutex_unlock(&d->e820_lock);
    return 0;
}

int domain_pause(struct domain *d)
{
    pthread_mutex_lock(&d->event_lock);
    d->pause_count++;
    pthread_mutex_unlock(&d->event_lock);
    return 0;
}

int domain_unpause(struct domain *d)
{
    int rc = 0;

    pthread_mutex_lock(&d->event_lock);
    if (d->pause_count)
        d->pause_count--;
    else
        rc = -XEN_EINVAL;
    pthread_mutex_unlock(&d->event_lock);
    return rc;
}

struct vcpu *domain_vcpu(const struct domain *d, uint32_t id)
{
    return id < d->max_vcpus ? d->vcpus[id] : NULL;
}

bool domain_has_fifo(const struct domain *d)
{
    return d->xen_version >= XENEMU_FIFO_VERSION &&
           !(d->cdf_flags & XEN_DOMCTL_CDF_disable_fifo);
}

void domain_latch_shinfo_compat(struct domain *d, bool compat)
{
    __atomic_store_n(&d->shinfo_compat, compat, __ATOMIC_RELAXED);
}

void *vcpu_info_of(const struct vcpu *v)
{
    return __atomic_load_n(&v->vcpu_info, __ATOMIC_ACQUIRE);
}

bool vcpu_upcall_pending(const struct vcpu *v)
{
    /* Byte 0 of vcpu_info in both layouts; pairs with the seq_cst fetch_or
     * in vcpu_mark_events_pending(), which runs before the kick. */
    const uint8_t *pending = vcpu_info_of(v);

    return __atomic_load_n(pending, __ATOMIC_SEQ_CST) & 1;
}
