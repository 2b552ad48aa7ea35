/*
 * harness.c: the recording backend and the helpers of harness.h.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MAX_REC_DOMAINS 64

static struct rec_domain rec_domains[MAX_REC_DOMAINS];

struct rec_vcpu *rec_vcpu(const struct vcpu *v)
{
    return v->backend_priv;
}

struct rec_domain *rec_domain(const struct domain *d)
{
    assert_true(d->domid < MAX_REC_DOMAINS);
    return &rec_domains[d->domid];
}

static void rec_kick(struct vcpu *v)
{
    if (rec_vcpu(v))
        __atomic_fetch_add(&rec_vcpu(v)->kicks, 1, __ATOMIC_RELAXED);
}

static void rec_wake(struct vcpu *v)
{
    if (rec_vcpu(v))
        __atomic_fetch_add(&rec_vcpu(v)->wakes, 1, __ATOMIC_RELAXED);
}

/* Blocking returns at once: tests check what the core asked for. */
static void rec_block(struct vcpu *v, uint64_t deadline_ns)
{
    __atomic_fetch_add(&rec_vcpu(v)->blocks, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&rec_vcpu(v)->block_deadline, deadline_ns,
                     __ATOMIC_RELAXED);
}

static void rec_timer(struct vcpu *v, uint64_t deadline_ns)
{
    __atomic_store_n(&rec_vcpu(v)->timer_deadline, deadline_ns,
                     __ATOMIC_RELAXED);
}

static void rec_vcpu_up(struct vcpu *v)
{
    __atomic_fetch_add(&rec_vcpu(v)->ups, 1, __ATOMIC_RELAXED);
}

static void rec_shutdown(struct domain *d, unsigned int reason)
{
    rec_domain(d)->shutdowns++;
    rec_domain(d)->shutdown_reason = reason;
}

static void rec_watchdog(struct domain *d, uint64_t deadline_ns)
{
    rec_domain(d)->watchdog_changes++;
    rec_domain(d)->watchdog_deadline = deadline_ns;
}

/* Console lines are kept one after the other, each with a newline. */
static void rec_console(struct domain *d, const char *buf, size_t len)
{
    struct rec_domain *r = rec_domain(d);
    size_t room = sizeof(r->console) - 1 - r->console_len;

    if (len + 1 > room)
        return;
    memcpy(r->console + r->console_len, buf, len);
    r->console_len += len;
    r->console[r->console_len++] = '\n';
    r->console[r->console_len] = '\0';
}

static const struct hv_backend_ops rec_backend = {
    .kick = rec_kick,
    .wake = rec_wake,
    .block = rec_block,
    .timer_changed = rec_timer,
    .shutdown = rec_shutdown,
    .watchdog_changed = rec_watchdog,
    .console_write = rec_console,
    .vcpu_up = rec_vcpu_up,
};

struct hv *harness_hv(void)
{
    struct hv *hv;

    memset(rec_domains, 0, sizeof(rec_domains));
    assert_int_equal(hv_create(&rec_backend, NULL, &hv), 0);
    return hv;
}

/* The hypervisor of the running test (harness_setup_hv()); tests of one
 * file run one at a time. */
static struct hv *test_hv;

int harness_setup_hv(void **state)
{
    test_hv = harness_hv();
    *state = test_hv;
    return 0;
}

int harness_teardown_hv(void **state)
{
    (void)state;
    hv_destroy(test_hv);
    test_hv = NULL;
    return 0;
}

struct hv *harness_test_hv(void)
{
    assert_non_null(test_hv);
    return test_hv;
}

struct domain *harness_test_domain(unsigned int vcpus)
{
    return harness_domain(harness_test_hv(),
                          &(struct harness_dom_opts){.vcpus = vcpus});
}

int harness_setup_one(void **state)
{
    static struct harness_fixture f;

    f.hv = harness_hv();
    f.d = harness_domain(f.hv, &(struct harness_dom_opts){0});
    *state = &f;
    return 0;
}

int harness_teardown_one(void **state)
{
    struct harness_fixture *f = *state;

    harness_domain_free(f->d);
    hv_destroy(f->hv);
    return 0;
}

struct domain *harness_domain(struct hv *hv,
                              const struct harness_dom_opts *opts)
{
    struct domain_config cfg = {
        .create.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap | opts->flags,
        .create.max_vcpus = opts->vcpus ? opts->vcpus : 1,
        .create.max_evtchn_port =
            opts->max_evtchn_port ? opts->max_evtchn_port : 1023,
        .create.max_grant_frames = -1,
        .create.max_maptrack_frames = -1,
        .xen_version = opts->xen_version,
    };
    size_t ram = (size_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE;
    struct domain *d;
    uint8_t *mem;

    assert_int_equal(domain_create(hv, 0, &cfg, &d), 0);
    mem = aligned_alloc(GUEST_PAGE_SIZE, ram);
    assert_non_null(mem);
    memset(mem, 0, ram);
    domain_set_ram(d, mem, ram);
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        d->vcpus[i]->backend_priv = calloc(1, sizeof(struct rec_vcpu));
        assert_non_null(d->vcpus[i]->backend_priv);
    }
    assert_int_equal(domain_unpause(d), 0);
    return d;
}

void harness_domain_free(struct domain *d)
{
    uint8_t *ram = d->ram;
    struct vcpu **vcpus = d->vcpus;
    unsigned int n = d->max_vcpus;
    void *priv[DOMAIN_MAX_VCPUS];

    for (unsigned int i = 0; i < n; i++)
        priv[i] = vcpus[i]->backend_priv;
    domain_destroy(d);
    domain_put(d);
    for (unsigned int i = 0; i < n; i++)
        free(priv[i]);
    free(ram);
}

unsigned int kicks(struct domain *d, unsigned int vcpu)
{
    return __atomic_load_n(&rec_vcpu(d->vcpus[vcpu])->kicks, __ATOMIC_RELAXED);
}

long harness_hypercall(struct domain *d, unsigned int vcpu, unsigned int nr,
                       uint64_t a0, uint64_t a1, uint64_t a2)
{
    uint64_t args[5] = {a0, a1, a2, 0, 0};
    struct hv_call call;

    hv_call_init(&call, d->vcpus[vcpu], false, false, 0);
    return hypercall_dispatch(&call, nr, args);
}

uint8_t harness_dom0_mem[GUEST_PAGE_SIZE];

static int dom0_read(struct hv_call *call, void *dst, uint64_t addr, size_t len)
{
    (void)call;
    if (addr > sizeof(harness_dom0_mem) ||
        len > sizeof(harness_dom0_mem) - addr)
        return -XEN_EFAULT;
    memcpy(dst, harness_dom0_mem + addr, len);
    return 0;
}

static int dom0_write(struct hv_call *call, uint64_t addr, const void *src,
                      size_t len)
{
    (void)call;
    if (addr > sizeof(harness_dom0_mem) ||
        len > sizeof(harness_dom0_mem) - addr)
        return -XEN_EFAULT;
    memcpy(harness_dom0_mem + addr, src, len);
    return 0;
}

static const struct hv_memspace_ops dom0_memspace = {dom0_read, dom0_write};

long harness_dom0_hypercall(struct hv *hv, unsigned int nr,
                            const uint64_t args[5])
{
    struct domain *d0 = domain_get(hv, 0);
    struct hv_call call;
    long rc;

    assert_non_null(d0);
    hv_call_init(&call, d0->vcpus[0], false, false, 0);
    call.mem = &dom0_memspace;
    rc = hypercall_dispatch(&call, nr, args);
    domain_put(d0);
    return rc;
}

long harness_op(struct domain *d, unsigned int vcpu, unsigned int nr,
                unsigned int cmd, void *arg, size_t size)
{
    long rc;

    assert_true(size <= GUEST_PAGE_SIZE);
    assert_int_equal(gpa_write(d, HARNESS_ARG_GPA, arg, size), 0);
    rc = harness_hypercall(d, vcpu, nr, cmd, HARNESS_ARG_GPA, 0);
    assert_int_equal(gpa_read(d, arg, HARNESS_ARG_GPA, size), 0);
    return rc;
}

size_t evtchn_arg_size(unsigned int cmd)
{
    switch (cmd) {
    case EVTCHNOP_bind_interdomain:
    case EVTCHNOP_bind_virq:
    case EVTCHNOP_bind_pirq:
        return 12;
    case EVTCHNOP_close:
    case EVTCHNOP_send:
    case EVTCHNOP_unmask:
        return 4;
    case EVTCHNOP_status:
    case EVTCHNOP_init_control:
        return 24;
    case EVTCHNOP_reset:
    case EVTCHNOP_reset_cont:
        return 2;
    default: /* alloc_unbound, bind_ipi, bind_vcpu, expand_array,
                set_priority, and unknown sub-ops */
        return 8;
    }
}

long evtchn_op(struct domain *d, unsigned int cmd, void *arg, size_t size)
{
    return harness_op(d, 0, __HYPERVISOR_event_channel_op, cmd, arg, size);
}

evtchn_port_t must_alloc_unbound(struct domain *d, domid_t remote)
{
    struct evtchn_alloc_unbound op = {.dom = DOMID_SELF, .remote_dom = remote};

    assert_int_equal(evtchn_op(d, EVTCHNOP_alloc_unbound, &op, sizeof(op)), 0);
    return op.port;
}

evtchn_port_t must_bind_ipi(struct domain *d, uint32_t vcpu)
{
    struct evtchn_bind_ipi op = {.vcpu = vcpu};

    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_ipi, &op, sizeof(op)), 0);
    return op.port;
}

evtchn_port_t must_bind_interdomain(struct domain *d, domid_t remote,
                                    evtchn_port_t rport)
{
    struct evtchn_bind_interdomain op = {.remote_dom = remote,
                                         .remote_port = rport};

    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_interdomain, &op, sizeof(op)),
                     0);
    return op.local_port;
}

long do_send(struct domain *d, evtchn_port_t port)
{
    struct evtchn_send op = {.port = port};

    return evtchn_op(d, EVTCHNOP_send, &op, sizeof(op));
}

long do_close(struct domain *d, evtchn_port_t port)
{
    struct evtchn_close op = {.port = port};

    return evtchn_op(d, EVTCHNOP_close, &op, sizeof(op));
}

long do_unmask(struct domain *d, evtchn_port_t port)
{
    struct evtchn_unmask op = {.port = port};

    return evtchn_op(d, EVTCHNOP_unmask, &op, sizeof(op));
}

void *guest_page(struct domain *d, uint64_t gfn)
{
    void *p = gfn_to_host(d, gfn);

    assert_non_null(p);
    return p;
}

struct shared_info *shinfo(struct domain *d)
{
    return d->shared_info;
}

void mask_2l(struct domain *d, evtchn_port_t port, bool masked)
{
    xen_ulong_t bit = (xen_ulong_t)1 << (port % 64);

    if (masked)
        __atomic_fetch_or(&shinfo(d)->evtchn_mask[port / 64], bit,
                          __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&shinfo(d)->evtchn_mask[port / 64], ~bit,
                           __ATOMIC_SEQ_CST);
}

bool pending_2l(struct domain *d, evtchn_port_t port)
{
    return __atomic_load_n(&shinfo(d)->evtchn_pending[port / 64],
                           __ATOMIC_SEQ_CST) &
           ((xen_ulong_t)1 << (port % 64));
}

void clear_pending_2l(struct domain *d, evtchn_port_t port)
{
    __atomic_fetch_and(&shinfo(d)->evtchn_pending[port / 64],
                       ~((xen_ulong_t)1 << (port % 64)), __ATOMIC_SEQ_CST);
}

uint64_t harness_fifo_init(struct domain *d, unsigned int pages)
{
    uint64_t first = HARNESS_FREE_GFN + d->max_vcpus;

    for (unsigned int v = 0; v < d->max_vcpus; v++) {
        struct evtchn_init_control op = {
            .control_gfn = HARNESS_FREE_GFN + v, .offset = 0, .vcpu = v};

        assert_int_equal(evtchn_op(d, EVTCHNOP_init_control, &op, sizeof(op)),
                         0);
        assert_int_equal(op.link_bits, EVTCHN_FIFO_LINK_BITS);
    }
    for (unsigned int p = 0; p < pages; p++) {
        struct evtchn_expand_array op = {.array_gfn = first + p};

        assert_int_equal(evtchn_op(d, EVTCHNOP_expand_array, &op, sizeof(op)),
                         0);
    }
    return first;
}

event_word_t *fifo_word(struct domain *d, uint64_t first_array_gfn,
                        evtchn_port_t port)
{
    event_word_t *page = guest_page(d, first_array_gfn + port / 1024);

    return page + port % 1024;
}

struct evtchn_fifo_control_block *fifo_cb(struct domain *d, unsigned int vcpu)
{
    return guest_page(d, HARNESS_FREE_GFN + vcpu);
}
