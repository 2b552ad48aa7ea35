/*
 * test_evtchn_flags.c: what decides which event-channel operations exist.
 *
 * - XEN_DOMCTL_CDF_disable_fifo (include/xenemu/xen_ext.h) and an emulated
 *   Xen older than 4.4 hide exactly EVTCHNOP_init_control, expand_array and
 *   set_priority (-ENOSYS, as an unknown sub-op, before the argument is
 *   even read); every other sub-op behaves as usual.
 * - Unknown sub-ops are -ENOSYS; reset_cont without a reset is -EBUSY.
 * - max_evtchn_port bounds allocation (-ENOSPC) together with the ABI's
 *   own limit (4096 or 1024 ports under 2-level, 131072 under FIFO).
 * - Domain creation refuses what Xen refuses.
 *
 * The "rc" column is Xen 4.17.7's answer (the function of each sub-op in
 * xen/common/event_channel.c:do_event_channel_op(); the FIFO ones in
 * xen/common/event_fifo.c).  The "rc_hidden" column is a DELIBERATE
 * DIFFERENCE: XEN_DOMCTL_CDF_disable_fifo is xenemu's flag (no Xen release
 * has it), and an emulated version below 4.4 answers as that Xen did
 * (version emulation): -ENOSYS, as do_event_channel_op()'s default case.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define BAD_GPA ((uint64_t)HARNESS_RAM_PAGES * GUEST_PAGE_SIZE + 0x100)
#define BIGPORT 100000u

/* ---- configurations ----------------------------------------------------- */

struct config {
    const char *name;
    uint32_t flags;
    uint32_t version; /* 0: the default (4.17) */
    bool fifo;        /* does the domain get the FIFO ABI? */
    bool matrix;      /* also run every sub-op under it */
};

static const struct config configs[] = {
    {"default (4.17)", 0, 0, true, true},
    {"4.4", 0, XENEMU_VERSION(4, 4), true, true},
    {"4.99", 0, XENEMU_VERSION(4, 99), true, false},
    {"4.3", 0, XENEMU_VERSION(4, 3), false, true},
    {"4.0", 0, XENEMU_VERSION(4, 0), false, false},
    {"3.0", 0, XENEMU_VERSION(3, 0), false, false},
    {"disable_fifo", XEN_DOMCTL_CDF_disable_fifo, 0, false, true},
    {"disable_fifo on 4.4", XEN_DOMCTL_CDF_disable_fifo, XENEMU_VERSION(4, 4),
     false, false},
    {"disable_fifo on 4.3", XEN_DOMCTL_CDF_disable_fifo, XENEMU_VERSION(4, 3),
     false, true},
};

#define NR_CONFIGS (sizeof(configs) / sizeof(configs[0]))

/* ---- every sub-op under every configuration ----------------------------- */

/*
 * The world of one row: A (the configuration under test, 2 vCPUs) with
 * port 1 an IPI on vCPU 0 and port 2 unbound for B; B (default) with port
 * 1 unbound for A.
 */
#define A_IPI     1
#define A_UNBOUND 2
#define B_UNBOUND 1

struct sub_case {
    const char *name;
    uint32_t cmd; /* as the guest passes it in RDI */
    union evtchn_op_arg arg;
    bool bad_ptr; /* argument pointer outside RAM */
    long rc;      /* with FIFO available */
    long rc_hidden;
};

#define ARG(member, ...) .arg.member = {__VA_ARGS__}

static const struct sub_case sub_cases[] = {
    {"bind_interdomain", EVTCHNOP_bind_interdomain,
     ARG(bind_interdomain, .remote_dom = 2, .remote_port = B_UNBOUND), false, 0,
     0},
    {"bind_virq", EVTCHNOP_bind_virq,
     ARG(bind_virq, .virq = VIRQ_TIMER, .vcpu = 1), false, 0, 0},
    {"bind_virq bad", EVTCHNOP_bind_virq, ARG(bind_virq, .virq = 24), false,
     -XEN_EINVAL, -XEN_EINVAL},
    /* xen/common/event_channel.c:evtchn_bind_pirq() (4.17, x86, HVM). */
    {"bind_pirq", EVTCHNOP_bind_pirq, ARG(bind_pirq, .pirq = 3), false, 0, 0},
    {"close", EVTCHNOP_close, ARG(close, .port = A_IPI), false, 0, 0},
    {"close free", EVTCHNOP_close, ARG(close, .port = 5), false, -XEN_EINVAL,
     -XEN_EINVAL},
    {"send", EVTCHNOP_send, ARG(send, .port = A_IPI), false, 0, 0},
    {"status", EVTCHNOP_status,
     ARG(status, .dom = DOMID_SELF, .port = A_UNBOUND), false, 0, 0},
    {"alloc_unbound", EVTCHNOP_alloc_unbound,
     ARG(alloc_unbound, .dom = DOMID_SELF, .remote_dom = 2), false, 0, 0},
    {"bind_ipi", EVTCHNOP_bind_ipi, ARG(bind_ipi, .vcpu = 1), false, 0, 0},
    {"bind_ipi bad vcpu", EVTCHNOP_bind_ipi, ARG(bind_ipi, .vcpu = 2), false,
     -XEN_ENOENT, -XEN_ENOENT},
    {"bind_vcpu", EVTCHNOP_bind_vcpu,
     ARG(bind_vcpu, .port = A_UNBOUND, .vcpu = 1), false, 0, 0},
    {"unmask", EVTCHNOP_unmask, ARG(unmask, .port = A_IPI), false, 0, 0},
    {"reset", EVTCHNOP_reset, ARG(reset, .dom = DOMID_SELF), false, 0, 0},
    {"reset_cont without a reset", EVTCHNOP_reset_cont,
     ARG(reset, .dom = DOMID_SELF), false, -XEN_EBUSY, -XEN_EBUSY},
    {"init_control", EVTCHNOP_init_control,
     ARG(init_control, .control_gfn = HARNESS_FREE_GFN, .vcpu = 0,
         .link_bits = 0x55),
     false, 0, -XEN_ENOSYS},
    {"init_control bad vcpu", EVTCHNOP_init_control,
     ARG(init_control, .control_gfn = HARNESS_FREE_GFN, .vcpu = 9,
         .link_bits = 0x55),
     false, -XEN_ENOENT, -XEN_ENOSYS},
    {"init_control bad offset", EVTCHNOP_init_control,
     ARG(init_control, .control_gfn = HARNESS_FREE_GFN, .offset = 4), false,
     -XEN_EINVAL, -XEN_ENOSYS},
    {"expand_array before init_control", EVTCHNOP_expand_array,
     ARG(expand_array, .array_gfn = HARNESS_FREE_GFN + 4), false,
     -XEN_EOPNOTSUPP, -XEN_ENOSYS},
    {"set_priority under 2-level", EVTCHNOP_set_priority,
     ARG(set_priority, .port = A_IPI, .priority = 3), false, -XEN_ENOSYS,
     -XEN_ENOSYS},
    {"set_priority bad port", EVTCHNOP_set_priority,
     ARG(set_priority, .port = BIGPORT, .priority = 3), false, -XEN_EINVAL,
     -XEN_ENOSYS},
    {"unknown 15", 15, {{0}}, false, -XEN_ENOSYS, -XEN_ENOSYS},
    {"unknown 16", 16, {{0}}, false, -XEN_ENOSYS, -XEN_ENOSYS},
    {"unknown 0xffff", 0xffff, {{0}}, false, -XEN_ENOSYS, -XEN_ENOSYS},
    {"unknown 0x7fffffff", 0x7fffffff, {{0}}, false, -XEN_ENOSYS, -XEN_ENOSYS},
    {"unknown -1", 0xffffffffu, {{0}}, false, -XEN_ENOSYS, -XEN_ENOSYS},
    /* The argument is read only for a sub-op that exists. */
    {"unknown 15, bad pointer", 15, {{0}}, true, -XEN_ENOSYS, -XEN_ENOSYS},
    {"unknown 0xffff, bad pointer",
     0xffff,
     {{0}},
     true,
     -XEN_ENOSYS,
     -XEN_ENOSYS},
    {"send, bad pointer", EVTCHNOP_send, {{0}}, true, -XEN_EFAULT, -XEN_EFAULT},
    {"reset_cont, bad pointer",
     EVTCHNOP_reset_cont,
     {{0}},
     true,
     -XEN_EFAULT,
     -XEN_EFAULT},
    {"init_control, bad pointer",
     EVTCHNOP_init_control,
     {{0}},
     true,
     -XEN_EFAULT,
     -XEN_ENOSYS},
    {"expand_array, bad pointer",
     EVTCHNOP_expand_array,
     {{0}},
     true,
     -XEN_EFAULT,
     -XEN_ENOSYS},
    {"set_priority, bad pointer",
     EVTCHNOP_set_priority,
     {{0}},
     true,
     -XEN_EFAULT,
     -XEN_ENOSYS},
};

/* What each operation must have left behind when it succeeded. */
static void check_effect(const struct sub_case *c, struct domain *a,
                         struct domain *b, const union evtchn_op_arg *out)
{
    struct evtchn_status st;

    switch (c->cmd) {
    case EVTCHNOP_bind_interdomain:
        assert_int_equal(out->bind_interdomain.local_port, 3);
        assert_true(pending_2l(a, 3));
        assert_int_equal(evtchn_port_state(b, B_UNBOUND), ECS_INTERDOMAIN);
        break;
    case EVTCHNOP_bind_virq:
        assert_int_equal(out->bind_virq.port, 3);
        evtchn_send_vcpu_virq(a->vcpus[1], VIRQ_TIMER);
        assert_true(pending_2l(a, 3));
        assert_int_equal(kicks(a, 1), 1);
        break;
    case EVTCHNOP_close:
        assert_int_equal(evtchn_port_state(a, A_IPI), ECS_FREE);
        break;
    case EVTCHNOP_send:
        assert_true(pending_2l(a, A_IPI));
        assert_int_equal(shinfo(a)->vcpu_info[0].evtchn_pending_sel, 1);
        assert_int_equal(kicks(a, 0), 1);
        break;
    case EVTCHNOP_status:
        assert_int_equal(out->status.status, EVTCHNSTAT_unbound);
        assert_int_equal(out->status.u.unbound.dom, b->domid);
        break;
    case EVTCHNOP_alloc_unbound:
        assert_int_equal(out->alloc_unbound.port, 3);
        break;
    case EVTCHNOP_bind_ipi:
        assert_int_equal(out->bind_ipi.port, 3);
        break;
    case EVTCHNOP_bind_vcpu:
        st = (struct evtchn_status){.dom = DOMID_SELF, .port = A_UNBOUND};
        assert_int_equal(evtchn_status(a, &st), 0);
        assert_int_equal(st.vcpu, 1);
        break;
    case EVTCHNOP_reset:
        assert_int_equal(a->active_evtchns, 0);
        break;
    case EVTCHNOP_init_control:
        assert_int_equal(out->init_control.link_bits, EVTCHN_FIFO_LINK_BITS);
        assert_true(evtchn_domain_is_fifo(a));
        break;
    default:
        break;
    }
}

static struct domain *config_domain(struct hv *hv, const struct config *cfg,
                                    unsigned int vcpus, uint32_t max_port)
{
    return harness_domain(
        hv, &(struct harness_dom_opts){.vcpus = vcpus,
                                       .max_evtchn_port = max_port,
                                       .flags = cfg->flags,
                                       .xen_version = cfg->version});
}

static void run_sub_case(const struct config *cfg, const struct sub_case *c)
{
    struct hv *hv = harness_hv();
    struct domain *a = config_domain(hv, cfg, 2, 0);
    struct domain *b = harness_domain(hv, &(struct harness_dom_opts){0});
    union evtchn_op_arg arg = c->arg;
    long want = cfg->fifo ? c->rc : c->rc_hidden;
    long rc;

    assert_int_equal(a->domid, 1);
    assert_int_equal(b->domid, 2);
    assert_int_equal(must_bind_ipi(a, 0), A_IPI);
    assert_int_equal(must_alloc_unbound(a, b->domid), A_UNBOUND);
    assert_int_equal(must_alloc_unbound(b, a->domid), B_UNBOUND);
    if (c->bad_ptr)
        rc = harness_hypercall(a, 0, __HYPERVISOR_event_channel_op, c->cmd,
                               BAD_GPA, 0);
    else
        rc = evtchn_op(a, c->cmd, &arg, evtchn_arg_size(c->cmd));
    if (rc != want)
        fail_msg("%s under %s: rc %ld, want %ld", c->name, cfg->name, rc, want);
    if (rc == 0)
        check_effect(c, a, b, &arg);
    else if (!c->bad_ptr)
        /* Nothing written back: hidden ops look exactly like unknown. */
        assert_memory_equal(&arg, &c->arg, evtchn_arg_size(c->cmd));
    if (!cfg->fifo)
        assert_false(evtchn_domain_is_fifo(a));
    harness_domain_free(a);
    harness_domain_free(b);
    hv_destroy(hv);
}

static void test_sub_ops_under_every_config(void **state)
{
    (void)state;
    for (size_t i = 0; i < NR_CONFIGS; i++)
        for (size_t j = 0;
             configs[i].matrix && j < sizeof(sub_cases) / sizeof(sub_cases[0]);
             j++)
            run_sub_case(&configs[i], &sub_cases[j]);
}

/* The sub-op number is 32 bits (the int cmd of
 * xen/common/event_channel.c:do_event_channel_op()): upper bits of RDI
 * are ignored. */
static void test_cmd_upper_bits_ignored(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *d = harness_domain(hv, &(struct harness_dom_opts){0});
    struct evtchn_bind_ipi op = {.vcpu = 0};

    (void)state;
    assert_int_equal(gpa_write(d, HARNESS_ARG_GPA, &op, sizeof(op)), 0);
    assert_int_equal(harness_hypercall(d, 0, __HYPERVISOR_event_channel_op,
                                       0x100000000ull | EVTCHNOP_bind_ipi,
                                       HARNESS_ARG_GPA, 0),
                     0);
    assert_int_equal(evtchn_port_state(d, 1), ECS_IPI);
    harness_domain_free(d);
    hv_destroy(hv);
}

/*
 * A FIFO-aware guest booting (Linux's xen_init_IRQ): init_control, and on
 * any error the 2-level ABI.  With FIFO hidden the guest never leaves
 * 2-level, at any step; with FIFO available the whole FIFO setup works
 * (xen/common/event_fifo.c:evtchn_fifo_init_control() and
 * evtchn_fifo_expand_array()).  The hidden answers are the deliberate
 * -ENOSYS of the header.
 */
static void test_boot_sequence_per_config(void **state)
{
    (void)state;
    for (size_t i = 0; i < NR_CONFIGS; i++) {
        const struct config *cfg = &configs[i];
        struct hv *hv = harness_hv();
        struct domain *d = config_domain(hv, cfg, 2, 4095);
        struct evtchn_init_control ic = {.control_gfn = HARNESS_FREE_GFN,
                                         .vcpu = 0};
        struct evtchn_expand_array ea = {.array_gfn = HARNESS_FREE_GFN + 2};
        struct evtchn_set_priority sp = {.port = 1, .priority = 0};
        long want = cfg->fifo ? 0 : -XEN_ENOSYS;
        evtchn_port_t p = 0;

        assert_int_equal(evtchn_op(d, EVTCHNOP_init_control, &ic, sizeof(ic)),
                         want);
        ic = (struct evtchn_init_control){.control_gfn = HARNESS_FREE_GFN + 1,
                                          .vcpu = 1};
        assert_int_equal(evtchn_op(d, EVTCHNOP_init_control, &ic, sizeof(ic)),
                         want);
        assert_int_equal(evtchn_op(d, EVTCHNOP_expand_array, &ea, sizeof(ea)),
                         want);
        assert_int_equal(must_bind_ipi(d, 1), 1);
        assert_int_equal(evtchn_op(d, EVTCHNOP_set_priority, &sp, sizeof(sp)),
                         want);
        assert_int_equal(evtchn_domain_is_fifo(d), cfg->fifo);
        assert_int_equal(do_send(d, 1), 0);
        if (cfg->fifo) {
            assert_int_equal(*fifo_word(d, HARNESS_FREE_GFN + 2, 1),
                             1u << EVTCHN_FIFO_PENDING |
                                 1u << EVTCHN_FIFO_LINKED);
            assert_int_equal(fifo_cb(d, 1)->ready, 1u << 0);
        } else {
            /* The 2-level ABI in full: ports up to 4095. */
            assert_true(pending_2l(d, 1));
            assert_int_equal(shinfo(d)->vcpu_info[1].evtchn_pending_sel, 1);
            while (p < 4095)
                p = must_bind_ipi(d, 0);
            assert_int_equal(do_send(d, 4095), 0);
            assert_true(pending_2l(d, 4095));
            /* Still hidden after a reset. */
            assert_int_equal(
                evtchn_op(d, EVTCHNOP_reset,
                          &(struct evtchn_reset){.dom = DOMID_SELF},
                          sizeof(struct evtchn_reset)),
                0);
            assert_int_equal(
                evtchn_op(d, EVTCHNOP_init_control, &ic, sizeof(ic)),
                -XEN_ENOSYS);
        }
        harness_domain_free(d);
        hv_destroy(hv);
    }
}

/* ---- max_evtchn_port ---------------------------------------------------- */

enum abi { ABI_2L, ABI_2L_32, ABI_FIFO };

struct limit_case {
    const char *name;
    enum abi abi;
    uint32_t max_evtchn_port;
    unsigned int pages; /* FIFO event-array pages */
    evtchn_port_t highest;
};

static const struct limit_case limit_cases[] = {
    {"2L max 1", ABI_2L, 1, 0, 1},
    {"2L max 100", ABI_2L, 100, 0, 100},
    {"2L default (xl: 1023)", ABI_2L, 0, 0, 1023},
    {"2L max 4095", ABI_2L, 4095, 0, 4095},
    {"2L max 5000: the ABI's 4095", ABI_2L, 5000, 0, 4095},
    {"2L max ~0: the ABI's 4095", ABI_2L, 0xffffffffu, 0, 4095},
    {"2L 32-bit max 4095: 1023", ABI_2L_32, 4095, 0, 1023},
    {"2L 32-bit max 500", ABI_2L_32, 500, 0, 500},
    {"FIFO max 5000, 5 pages", ABI_FIFO, 5000, 5, 5000},
    {"FIFO max 5000, 1 page", ABI_FIFO, 5000, 1, 5000},
    {"FIFO max 4095", ABI_FIFO, 4095, 1, 4095},
    {"FIFO max 4096", ABI_FIFO, 4096, 1, 4096},
    {"FIFO max 100", ABI_FIFO, 100, 1, 100},
};

static void run_limit_case(const struct limit_case *c)
{
    struct hv *hv = harness_hv();
    struct domain *d = harness_domain(
        hv, &(struct harness_dom_opts){.max_evtchn_port = c->max_evtchn_port});
    struct domain *peer = harness_domain(hv, &(struct harness_dom_opts){0});
    evtchn_port_t rport = must_alloc_unbound(peer, d->domid);
    evtchn_port_t last = 0;
    struct evtchn_alloc_unbound au;
    struct evtchn_bind_ipi ipi = {.vcpu = 0};
    struct evtchn_bind_virq virq = {.virq = VIRQ_TIMER, .vcpu = 0};
    struct evtchn_bind_interdomain bi = {.remote_dom = peer->domid,
                                         .remote_port = rport};
    long rc;

    if (c->abi == ABI_2L_32)
        domain_latch_shinfo_compat(d, true);
    if (c->abi == ABI_FIFO)
        harness_fifo_init(d, c->pages);
    do {
        au = (struct evtchn_alloc_unbound){.dom = DOMID_SELF,
                                           .remote_dom = DOMID_SELF};
        rc = evtchn_op(d, EVTCHNOP_alloc_unbound, &au, sizeof(au));
        if (rc == 0) {
            if (au.port != last + 1)
                fail_msg("%s: port %u after %u", c->name, au.port, last);
            last = au.port;
        }
    } while (rc == 0);
    if (rc != -XEN_ENOSPC || last != c->highest)
        fail_msg("%s: rc %ld after port %u, want -ENOSPC after %u", c->name, rc,
                 last, c->highest);
    /* Every way of getting a port is out of ports. */
    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi)),
                     -XEN_ENOSPC);
    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_virq, &virq, sizeof(virq)),
                     -XEN_ENOSPC);
    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_interdomain, &bi, sizeof(bi)),
                     -XEN_ENOSPC);
    assert_int_equal(d->active_evtchns, c->highest);
    /* The highest port works. */
    assert_int_equal(do_send(d, c->highest), 0);
    /* A freed port is found again, then nothing more. */
    assert_int_equal(do_close(d, (c->highest + 1) / 2), 0);
    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi)), 0);
    assert_int_equal(ipi.port, (c->highest + 1) / 2);
    assert_int_equal(evtchn_op(d, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi)),
                     -XEN_ENOSPC);
    harness_domain_free(d);
    harness_domain_free(peer);
    hv_destroy(hv);
}

/* xen/common/event_channel.c:get_free_port(): the lowest free port, and
 * -ENOSPC once a port would pass d->max_evtchn_port or max_evtchns()
 * (xen/common/event_channel.h: 4096 / 1024 ports under 2-level by word
 * size, EVTCHN_FIFO_NR_CHANNELS under FIFO); the FIFO event array's size
 * does not limit allocation (evtchn_allocate_port() does not look at it).
 * The default of 1023 is the harness's, as xl's. */
static void test_max_evtchn_port(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++)
        run_limit_case(&limit_cases[i]);
}

/* FIFO past 4095: the event array covers what max_evtchn_port allows
 * (xen/common/event_fifo.c:evtchn_fifo_set_pending() links the port at
 * the default priority's tail); after EVTCHNOP_reset the domain is back
 * on 2-level (xen/common/event_channel.c:evtchn_reset()), whose limit is
 * 4096 ports again. */
static void test_fifo_ports_above_4095_deliver(void **state)
{
    struct hv *hv = harness_hv();
    struct domain *d =
        harness_domain(hv, &(struct harness_dom_opts){.max_evtchn_port = 5000});
    uint64_t arr = harness_fifo_init(d, 5);
    evtchn_port_t p = 0;

    (void)state;
    while (p < 5000)
        p = must_bind_ipi(d, 0);
    assert_int_equal(do_send(d, 5000), 0);
    assert_int_equal(*fifo_word(d, arr, 5000),
                     1u << EVTCHN_FIFO_PENDING | 1u << EVTCHN_FIFO_LINKED);
    assert_int_equal(fifo_cb(d, 0)->head[EVTCHN_FIFO_PRIORITY_DEFAULT], 5000);
    /* Back to 2-level: ports above 4095 are gone for good. */
    assert_int_equal(evtchn_op(d, EVTCHNOP_reset,
                               &(struct evtchn_reset){.dom = DOMID_SELF},
                               sizeof(struct evtchn_reset)),
                     0);
    p = 0;
    while (p < 4095)
        p = must_bind_ipi(d, 0);
    {
        struct evtchn_bind_ipi op = {.vcpu = 0};

        assert_int_equal(evtchn_op(d, EVTCHNOP_bind_ipi, &op, sizeof(op)),
                         -XEN_ENOSPC);
    }
    harness_domain_free(d);
    hv_destroy(hv);
}

/* ---- domain creation ---------------------------------------------------- */

struct create_case {
    const char *name;
    domid_t domid; /* 0: any */
    uint32_t flags;
    uint32_t max_vcpus;
    uint32_t version;
    long rc;
};

#define HVM (XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap)

static const struct create_case create_cases[] = {
    {"hvm", 0, HVM, 1, 0, 0},
    {"hvm without hap", 0, XEN_DOMCTL_CDF_hvm, 1, 0, 0},
    {"disable_fifo", 0, HVM | XEN_DOMCTL_CDF_disable_fifo, 1, 0, 0},
    {"128 vCPUs", 0, HVM, DOMAIN_MAX_VCPUS, 0, 0},
    {"version 4.3", 0, HVM, 1, XENEMU_VERSION(4, 3), 0},
    {"explicit domid", 100, HVM, 1, 0, 0},
    {"unknown flag bit 8", 0, HVM | 1u << 8, 1, 0, -XEN_EINVAL},
    {"unknown flag bit 9", 0, HVM | 1u << 9, 1, 0, -XEN_EINVAL},
    {"unknown flag bit 23", 0, HVM | 1u << 23, 1, 0, -XEN_EINVAL},
    {"unknown flag bit 25", 0, HVM | 1u << 25, 1, 0, -XEN_EINVAL},
    {"unknown flag bit 31", 0, HVM | 1u << 31, 1, 0, -XEN_EINVAL},
    {"unknown flag with disable_fifo", 0,
     HVM | XEN_DOMCTL_CDF_disable_fifo | 1u << 25, 1, 0, -XEN_EINVAL},
    {"max_vcpus 0", 0, HVM, 0, 0, -XEN_EINVAL},
    {"max_vcpus 129", 0, HVM, DOMAIN_MAX_VCPUS + 1, 0, -XEN_EINVAL},
    {"max_vcpus ~0", 0, HVM, 0xffffffffu, 0, -XEN_EINVAL},
    {"PV", 0, 0, 1, 0, -XEN_EINVAL},
    {"PV with disable_fifo", 0, XEN_DOMCTL_CDF_disable_fifo, 1, 0, -XEN_EINVAL},
    {"hap without hvm", 0, XEN_DOMCTL_CDF_hap, 1, 0, -XEN_EINVAL},
    {"version 2.0", 0, HVM, 1, XENEMU_VERSION(2, 0), -XEN_EINVAL},
    {"version 5.0", 0, HVM, 1, XENEMU_VERSION(5, 0), -XEN_EINVAL},
    /* XEN_DOMCTL_createdomain treats a reserved id as "pick one". */
    {"reserved domid DOMID_SELF", DOMID_SELF, HVM, 1, 0, 0},
    {"reserved domid 0x7fff", 0x7fff, HVM, 1, 0, 0},
};

/* Creation checks as xen/common/domain.c:sanitise_domain_config()
 * (unknown CDF flags, max_vcpus 0, hap without hvm: -EINVAL) and
 * xen/arch/x86/domain.c:arch_sanitise_domain_config() (more than
 * HVM_MAX_VCPUS, 128: -EINVAL), with a reserved or zero domid meaning
 * "pick one" (xen/common/domctl.c:do_domctl() XEN_DOMCTL_createdomain).
 * xenemu's own: XEN_DOMCTL_CDF_disable_fifo (bit 24, deliberate, see
 * docs/hypercalls.md), the emulated-version range, and refusing PV
 * (xenemu has no PV guests; a 4.17 build with CONFIG_PV accepts one, its
 * -EINVAL is that of a build without PV). */
static void test_domain_create_checks(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(create_cases) / sizeof(create_cases[0]);
         i++) {
        const struct create_case *c = &create_cases[i];
        struct hv *hv = harness_hv();
        size_t mem = hv_mem_in_use();
        struct domain_config cfg = {
            .create.flags = c->flags,
            .create.max_vcpus = c->max_vcpus,
            .create.max_evtchn_port = 1023,
            .create.max_grant_frames = -1,
            .create.max_maptrack_frames = -1,
            .xen_version = c->version,
        };
        struct domain *d = NULL;
        int rc = domain_create(hv, c->domid, &cfg, &d);

        if (rc != c->rc)
            fail_msg("%s: rc %d, want %ld", c->name, rc, c->rc);
        if (rc == 0) {
            assert_int_equal(
                d->domid,
                c->domid && c->domid < DOMID_FIRST_RESERVED ? c->domid : 1);
            assert_int_equal(d->max_vcpus, c->max_vcpus);
            assert_int_equal(domain_has_fifo(d),
                             !(c->flags & XEN_DOMCTL_CDF_disable_fifo) &&
                                 c->version != XENEMU_VERSION(4, 3));
            domain_destroy(d);
            domain_put(d);
        } else {
            /* Nothing was created, nothing leaked. */
            for (domid_t id = 1; id < 200; id++)
                assert_null(domain_get(hv, id));
        }
        assert_int_equal(hv_mem_in_use(), mem);
        hv_destroy(hv);
    }
}

/* A domid in use is -EEXIST, and the domain holding it is untouched:
 * xen/common/domctl.c:do_domctl() XEN_DOMCTL_createdomain checks
 * is_free_domid() before domain_create() looks at the configuration. */
static void test_domain_create_domid_in_use(void **state)
{
    struct hv *hv = harness_hv();
    struct domain_config cfg = {
        .create.flags = HVM,
        .create.max_vcpus = 1,
        .create.max_evtchn_port = 1023,
        .create.max_grant_frames = -1,
        .create.max_maptrack_frames = -1,
    };
    struct domain *d, *e = NULL, *any;
    size_t mem;

    (void)state;
    assert_int_equal(domain_create(hv, 5, &cfg, &d), 0);
    assert_int_equal(d->domid, 5);
    mem = hv_mem_in_use();
    assert_int_equal(domain_create(hv, 5, &cfg, &e), -XEN_EEXIST);
    assert_null(e);
    /* The id is refused before the configuration is checked, as Xen. */
    cfg.create.max_vcpus = 0;
    assert_int_equal(domain_create(hv, 5, &cfg, &e), -XEN_EEXIST);
    cfg.create.max_vcpus = 1;
    assert_int_equal(hv_mem_in_use(), mem);
    assert_ptr_equal(domain_get(hv, 5), d);
    domain_put(d);
    /* "Any" never picks dom0's id nor one in use. */
    assert_int_equal(domain_create(hv, 0, &cfg, &any), 0);
    assert_true(any->domid != 0 && any->domid != 5);
    /* Once destroyed, the id is free again. */
    domain_destroy(d);
    domain_put(d);
    assert_int_equal(domain_create(hv, 5, &cfg, &e), 0);
    assert_int_equal(e->domid, 5);
    domain_destroy(e);
    domain_put(e);
    domain_destroy(any);
    domain_put(any);
    hv_destroy(hv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sub_ops_under_every_config),
        cmocka_unit_test(test_cmd_upper_bits_ignored),
        cmocka_unit_test(test_boot_sequence_per_config),
        cmocka_unit_test(test_max_evtchn_port),
        cmocka_unit_test(test_fifo_ports_above_4095_deliver),
        cmocka_unit_test(test_domain_create_checks),
        cmocka_unit_test(test_domain_create_domid_in_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
