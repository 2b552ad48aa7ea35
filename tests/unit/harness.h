/*
 * harness.h: what every unit test shares: a hypervisor with a recording
 * backend, domains with RAM, and hypercalls issued the way a guest issues
 * them (argument structs in guest memory, physical addressing).
 */
#ifndef XENEMU_TEST_HARNESS_H
#define XENEMU_TEST_HARNESS_H

/* cmocka needs these first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "xenemu/domain.h"
#include "xenemu/evtchn.h"
#include "xenemu/guest_mem.h"
#include "xenemu/hv.h"
#include "xenemu/hypercall.h"

/* Guest RAM of every test domain, and where harness_op() puts arguments. */
#define HARNESS_RAM_PAGES 1024u
#define HARNESS_ARG_GPA   0x1000u /* one page of argument scratch */
#define HARNESS_FREE_GFN  16u     /* frames from here are free for tests */

/* What the recording backend saw for one vCPU (all atomic counters). */
struct rec_vcpu {
    unsigned int kicks;
    unsigned int wakes;
    unsigned int blocks;
    uint64_t block_deadline;
    uint64_t timer_deadline;
    unsigned int ups; /* vcpu_up() calls */
};

/* What the recording backend saw for one domain. */
struct rec_domain {
    unsigned int shutdowns;
    unsigned int shutdown_reason;
    unsigned int watchdog_changes; /* watchdog_changed() calls */
    uint64_t watchdog_deadline;    /* its last deadline */
    char console[4096]; /* console lines, each ending in a newline, NUL-
                         * terminated (a line that does not fit is lost) */
    size_t console_len;
};

struct hv *harness_hv(void);

/* The fixture most tests start from: a hypervisor and one default domain,
 * as cmocka setup/teardown functions (*state is a struct harness_fixture). */
struct harness_fixture {
    struct hv *hv;
    struct domain *d;
};
int harness_setup_one(void **state);
int harness_teardown_one(void **state);

/* The fixture for files whose tests build their own domains: a fresh
 * hypervisor per test (cmocka setup/teardown), harness_test_hv(). */
int harness_setup_hv(void **state);
int harness_teardown_hv(void **state);
struct hv *harness_test_hv(void);
/* A domain with (vcpus) vCPUs on harness_test_hv(). */
struct domain *harness_test_domain(unsigned int vcpus);

/* Options for harness_domain(); zero means the default in brackets. */
struct harness_dom_opts {
    unsigned int vcpus;       /* [1] */
    uint32_t max_evtchn_port; /* [1023, as xl] */
    uint32_t flags;           /* XEN_DOMCTL_CDF_hvm is always added */
    uint32_t xen_version;     /* [4.17] */
};

/* A running (unpaused) HVM domain with RAM; fails the test on error. */
struct domain *harness_domain(struct hv *hv,
                              const struct harness_dom_opts *opts);

/* Destroy and release a harness domain (and its RAM). */
void harness_domain_free(struct domain *d);

struct rec_vcpu *rec_vcpu(const struct vcpu *v);
struct rec_domain *rec_domain(const struct domain *d);
unsigned int kicks(struct domain *d, unsigned int vcpu);

/* Issue hypercall (nr) from vCPU (vcpu) of (d) with raw registers. */
long harness_hypercall(struct domain *d, unsigned int vcpu, unsigned int nr,
                       uint64_t a0, uint64_t a1, uint64_t a2);

/*
 * dom0 is the host: its hypercall arguments live in host memory.  In the
 * tests they are offsets into this page; an offset past it faults.
 * harness_dom0_hypercall() issues (nr) from dom0's vCPU 0 of (hv) so.
 */
extern uint8_t harness_dom0_mem[GUEST_PAGE_SIZE];
long harness_dom0_hypercall(struct hv *hv, unsigned int nr,
                            const uint64_t args[5]);

/*
 * Issue hypercall (nr) with sub-op (cmd) and the (size)-byte struct (arg)
 * placed in guest memory at HARNESS_ARG_GPA; the struct is copied back
 * afterwards, so OUT fields can be checked.  Returns RAX.
 */
long harness_op(struct domain *d, unsigned int vcpu, unsigned int nr,
                unsigned int cmd, void *arg, size_t size);

/*
 * Size of EVTCHNOP (cmd)'s argument, from the ABI (written independently of
 * the decoder's table, which it checks); 8 for unknown sub-ops, whose
 * argument the decoder must not read.
 */
size_t evtchn_arg_size(unsigned int cmd);

/* EVTCHNOP (cmd) from vCPU 0 of (d). */
long evtchn_op(struct domain *d, unsigned int cmd, void *arg, size_t size);

/* Common event-channel shorthands (vCPU 0; fail the test on error). */
evtchn_port_t must_alloc_unbound(struct domain *d, domid_t remote);
evtchn_port_t must_bind_ipi(struct domain *d, uint32_t vcpu);
evtchn_port_t must_bind_interdomain(struct domain *d, domid_t remote,
                                    evtchn_port_t rport);
long do_send(struct domain *d, evtchn_port_t port);
long do_close(struct domain *d, evtchn_port_t port);
long do_unmask(struct domain *d, evtchn_port_t port);

/* Host address of guest frame (gfn) of (d). */
void *guest_page(struct domain *d, uint64_t gfn);

/* 2-level view of shared_info (64-bit layout). */
struct shared_info *shinfo(struct domain *d);
void mask_2l(struct domain *d, evtchn_port_t port, bool masked);
bool pending_2l(struct domain *d, evtchn_port_t port);
void clear_pending_2l(struct domain *d, evtchn_port_t port);

/*
 * Switch (d) to FIFO: control block for every vCPU in frame
 * HARNESS_FREE_GFN + vcpu, and (pages) event-array pages after them (all
 * words MASKED clear).  Returns the first event-array frame.
 */
uint64_t harness_fifo_init(struct domain *d, unsigned int pages);

/* FIFO event word of (port) (NULL if its page was not given). */
event_word_t *fifo_word(struct domain *d, uint64_t first_array_gfn,
                        evtchn_port_t port);
struct evtchn_fifo_control_block *fifo_cb(struct domain *d, unsigned int vcpu);

#endif /* XENEMU_TEST_HARNESS_H */
