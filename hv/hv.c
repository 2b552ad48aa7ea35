/*
 * hv.c: a hypervisor instance: its domain table, dom0, system time, and the
 * core's counting allocator.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xenemu/domain.h"
#include "xenemu/hv.h"

/* Bytes handed out by hv_zalloc() and not yet freed (atomic). */
static size_t mem_in_use;

void *hv_zalloc(size_t size)
{
    void *p = calloc(1, size);

    if (p)
        __atomic_fetch_add(&mem_in_use, size, __ATOMIC_RELAXED);
    return p;
}

void hv_free(void *p, size_t size)
{
    if (!p)
        return;
    __atomic_fetch_sub(&mem_in_use, size, __ATOMIC_RELAXED);
    free(p);
}

void *hv_zalloc_page(void)
{
    void *p = aligned_alloc(HV_PAGE_SIZE, HV_PAGE_SIZE);

    if (!p)
        return NULL;
    memset(p, 0, HV_PAGE_SIZE);
    __atomic_fetch_add(&mem_in_use, HV_PAGE_SIZE, __ATOMIC_RELAXED);
    return p;
}

void hv_free_page(void *p)
{
    hv_free(p, HV_PAGE_SIZE);
}

size_t hv_mem_in_use(void)
{
    return __atomic_load_n(&mem_in_use, __ATOMIC_RELAXED);
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t hv_now_ns(const struct hv *hv)
{
    return monotonic_ns() - hv->boot_ns;
}

/* dom0 is the host: privileged, not HVM, one vCPU to notify. */
static int create_dom0(struct hv *hv)
{
    struct domain_config cfg = {
        .create.max_vcpus = 1,
        .create.max_evtchn_port = EVTCHN_FIFO_NR_CHANNELS - 1,
    };
    struct domain *d;
    int rc = domain_create_dom0(hv, &cfg, &d);

    if (rc == 0)
        domain_put(d); /* the table's reference keeps it */
    return rc;
}

int hv_create(const struct hv_backend_ops *backend, void *backend_priv,
              struct hv **out)
{
    struct hv *hv = hv_zalloc(sizeof(*hv));
    int rc;

    if (!hv)
        return -XEN_ENOMEM;
    hv->domains = hv_zalloc(DOMID_FIRST_RESERVED * sizeof(*hv->domains));
    if (!hv->domains) {
        rc = -XEN_ENOMEM;
        goto err_hv;
    }
    hv->backend = backend;
    hv->backend_priv = backend_priv;
    hv->next_domid = 1;
    hv->boot_ns = monotonic_ns();
    pthread_mutex_init(&hv->domains_lock, NULL);
    rc = create_dom0(hv);
    if (rc)
        goto err_domains;
    *out = hv;
    return 0;

err_domains:
    pthread_mutex_destroy(&hv->domains_lock);
    hv_free(hv->domains, DOMID_FIRST_RESERVED * sizeof(*hv->domains));
err_hv:
    hv_free(hv, sizeof(*hv));
    return rc;
}

void hv_destroy(struct hv *hv)
{
    /* Highest id first, so dom0 (a peer of the others) goes last.  The
     * table is scanned under its lock once; each domain is then destroyed
     * with the lock dropped (domain_destroy() takes it). */
    for (;;) {
        struct domain *d = NULL;

        pthread_mutex_lock(&hv->domains_lock);
        for (unsigned int id = DOMID_FIRST_RESERVED; id-- > 0 && !d;)
            d = hv->domains[id];
        if (d)
            __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&hv->domains_lock);
        if (!d)
            break;
        domain_destroy(d);
        domain_put(d);
    }
    pthread_mutex_destroy(&hv->domains_lock);
    hv_free(hv->domains, DOMID_FIRST_RESERVED * sizeof(*hv->domains));
    hv_free(hv, sizeof(*hv));
}
