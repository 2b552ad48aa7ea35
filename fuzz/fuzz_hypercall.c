/*
 * fuzz_hypercall.c: libFuzzer target for the hypercall entry point
 * (hypercall_dispatch), built by `make fuzz` with clang, ASan and UBSan.
 *
 * Every input builds a fresh hypervisor (no-op backend whose block() returns
 * at once), gives dom0 and two or three HVM domains 64 pages of RAM each,
 * then replays a list of records: guest memory writes (so argument structs,
 * page tables, shared_info bits and FIFO words are fuzzer-controlled, and can
 * change between calls as a guest would change them), backend actions, and
 * hypercalls.  At the end every domain is destroyed and hv_mem_in_use() must
 * be back where it started, so a leak or a wrong hv_free() size aborts (LSan
 * catches leaks of plain malloc()).  Before the teardown, check_links()
 * checks every port table's invariants (interdomain links point both ways,
 * active_evtchns, first_free_port).  Each hypercall's result must be a
 * small negative errno or a success, never the internal -ERESTART.
 *
 * INPUT FORMAT (all integers little-endian; a read past the end gives 0s):
 *
 *   header  u8 G           bit 0: three HVM domains (else two)
 *           3 x domain     4 bytes each, always present (the third is unused
 *                          with two domains):
 *             u8  vcpus    bit 7 clear: 1 + (vcpus & 3); set: 30 + (vcpus &
 *                          7), so vCPUs at and above 32 (no legacy vcpu_info
 *                          slot) are reached
 *             u16 port     max_evtchn_port: port & 0x1fff, or port * 4 when
 *                          flags bit 4 is set (up to 262140: the core clamps
 *                          to the FIFO limit 131071)
 *             u8  flags    bit 0: XEN_DOMCTL_CDF_disable_fifo;
 *                          bits 1-3: emulated Xen version, an index into
 *                          versions[] below (default, 4.3, 4.4, 4.17, 3.0,
 *                          4.99, 4.1, and 5.0 which domain_create() must
 *                          refuse with -EINVAL; the domain is then created
 *                          with the default version);
 *                          bit 4: see port; bit 5: 32-bit shared_info layout;
 *                          bit 6: leave the domain paused (dom0 may then
 *                          EVTCHNOP_reset it)
 *
 *   records, until the input ends, 64 hypercalls or 256 records.  The first
 *   byte K says what the record is.  "Domain index" D is (K & 3) modulo the
 *   number of domains + 1: 0 is dom0, 1..n are the HVM domains in creation
 *   order, which get domids 1..n.
 *
 *     K < 0xe0: a hypercall from domain D.
 *           bit 2: compat (32-bit) mode; bit 3: paging on; bit 4: raw
 *           hypercall number; bits 5-7: number of argument registers given
 *           (0-5; 6 and 7 mean 5; the rest are 0).
 *           u8 vcpu     modulo the domain's vCPU count
 *           u8 nr       raw: the hypercall number itself; else an index into
 *                       common_nr[] (modulo 16), which favours the
 *                       implemented hypercalls 12 15 17 18 24 29 32 34
 *           u8 cr3      only with paging: CR3 = cr3 << 12
 *           args        each: u8 tag T, then
 *                         T < 0x80:  the value T (commands, ports, vCPUs)
 *                         T < 0xc0:  u16 A: the value ((T & 0x3f) << 19) |
 *                                    (A << 3), a guest address (RAM is
 *                                    0..0x3ffff)
 *                         T < 0xff:  u32, the value
 *                         T = 0xff:  u64, the value
 *     0xe0 <= K < 0xf0: what a backend or the toolstack does to domain D,
 *           chosen by A = (K >> 2) & 3, with one more byte X:
 *           A = 0: domain_latch_shinfo_compat(D, X & 1)
 *           A = 1: X & 1 ? domain_pause(D) : domain_unpause(D)
 *           A = 2: u8 vcpu (modulo the vCPU count), then X & 1:
 *                  vcpu_timer_fire(v); else VIRQ X >> 2 (also beyond
 *                  NR_VIRQS) raised on v, or on D when X & 2
 *           A = 3: X & 3 = 0: hvm_param_set(D, u8 index, arg value) (arg
 *                  encoded as a hypercall argument below); 1:
 *                  hvm_param_get(D, u8 index); 2: hvm_callback_vector() of
 *                  u8 vcpu; 3: sched_domain_shutdown(D, u8 reason)
 *     K >= 0xf0: a guest memory write into domain D.
 *           bit 2: into shared_info (offset modulo 4096) instead of RAM
 *           bit 3: fill: one data byte repeated len * 16 times
 *           u16 off    byte offset off * 8 (modulo the RAM size)
 *           u8  len    bytes (clipped at the end of RAM / the page)
 *           data       len bytes, or 1 byte when filling
 *
 * SEEDS (fuzz/seeds/) are written by this same file built with
 * -DFUZZ_SEED_MAIN (see the end of the file), which replays each seed and
 * compares every event-channel call's result with the expected one:
 *   2l_interdomain   alloc_unbound, bind_interdomain, send both ways,
 *                    unmask, status, close
 *   fifo             init_control (2 vCPUs), expand_array, linked sends,
 *                    set_priority, a masked port unmasked
 *   ipi_virq_reset   bind_ipi, bind_virq, bind_vcpu, EVTCHNOP_reset
 *   compat_paged     32-bit mode, arguments through page tables, a fault
 *   dom0_flags       dom0 on paused domains, disable_fifo, Xen 4.3,
 *                    37 vCPUs, reset and reset_cont
 *   switch_2l_fifo   an event pending across the 2-level -> FIFO switch
 *   other_hypercalls memory_op, hvm_op, vcpu_op, sched_op, set_timer_op,
 *                    console_io, xen_version and backend actions (their
 *                    results are not pinned)
 * The seeds put arguments at 0x1000, FIFO control blocks at gfn 2 + vCPU,
 * event array pages from gfn 8 and page tables at gfn 32 (an identity map of
 * the first 2 MiB with one large page).  To rewrite them:
 *   make BUILD=build/fuzz-seedgen CC=clang build/fuzz-seedgen/libxenemu.a
 *   clang -Iinclude -D__XEN_TOOLS__ -D_POSIX_C_SOURCE=200809L -std=c11 \
 *       -pthread -DFUZZ_SEED_MAIN fuzz/fuzz_hypercall.c \
 *       build/fuzz-seedgen/libxenemu.a -o build/fuzz-seedgen/seedgen
 *   build/fuzz-seedgen/seedgen fuzz/seeds
 *
 * Set FUZZ_TRACE=1 in the environment to print every call and its result.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenemu/domain.h"
#include "xenemu/evtchn.h"
#include "xenemu/guest_mem.h"
#include "xenemu/hv.h"
#include "xenemu/hvm.h"
#include "xenemu/hypercall.h"
#include "xenemu/sched.h"

#define FUZZ_RAM_PAGES   64u
#define FUZZ_RAM_SIZE    ((size_t)FUZZ_RAM_PAGES * GUEST_PAGE_SIZE)
#define FUZZ_MAX_HVM     3
#define FUZZ_MAX_DOMS    (1 + FUZZ_MAX_HVM)
#define FUZZ_MAX_CALLS   64
#define FUZZ_MAX_RECORDS 256

#define REC_ACTION 0xe0u
#define REC_WRITE  0xf0u

/* Hypercalls the index form picks from: event channels most often, since
 * they hold the most state, and every other implemented hypercall. */
static const uint8_t common_nr[16] = {
    __HYPERVISOR_event_channel_op, __HYPERVISOR_event_channel_op,
    __HYPERVISOR_event_channel_op, __HYPERVISOR_event_channel_op,
    __HYPERVISOR_event_channel_op, __HYPERVISOR_event_channel_op,
    __HYPERVISOR_memory_op,        __HYPERVISOR_memory_op,
    __HYPERVISOR_set_timer_op,     __HYPERVISOR_xen_version,
    __HYPERVISOR_console_io,       __HYPERVISOR_vcpu_op,
    __HYPERVISOR_vcpu_op,          __HYPERVISOR_sched_op,
    __HYPERVISOR_sched_op,         __HYPERVISOR_hvm_op,
};

/* Index 7 is outside MAX_XEN_VERSION: creation must fail with -EINVAL. */
#define BAD_VERSION_INDEX 7
static const uint32_t versions[8] = {
    0,
    XENEMU_VERSION(4, 3),
    XENEMU_VERSION(4, 4),
    XENEMU_VERSION(4, 17),
    XENEMU_VERSION(3, 0),
    XENEMU_VERSION(4, 99),
    XENEMU_VERSION(4, 1),
    XENEMU_VERSION(5, 0),
};

struct input {
    const uint8_t *p;
    size_t left;
};

static uint8_t in_u8(struct input *in)
{
    if (!in->left)
        return 0;
    in->left--;
    return *in->p++;
}

static uint64_t in_le(struct input *in, unsigned int bytes)
{
    uint64_t v = 0;

    for (unsigned int i = 0; i < bytes; i++)
        v |= (uint64_t)in_u8(in) << (8 * i);
    return v;
}

static uint64_t in_arg(struct input *in)
{
    uint8_t tag = in_u8(in);

    if (tag < 0x80)
        return tag;
    if (tag < 0xc0)
        return (uint64_t)(tag & 0x3f) << 19 | in_le(in, 2) << 3;
    if (tag < 0xff)
        return in_le(in, 4);
    return in_le(in, 8);
}

/*
 * The backend: nothing runs, so nothing needs kicking or waking, and block()
 * returns at once (SCHEDOP_block / poll must not hang the fuzzer).  What the
 * core hands over is read completely, so ASan checks it is valid memory.
 */
static volatile uint8_t sink;

static void be_vcpu(struct vcpu *v)
{
    (void)v;
}

static void be_block(struct vcpu *v, uint64_t deadline_ns)
{
    (void)v;
    (void)deadline_ns;
}

static void be_timer(struct vcpu *v, uint64_t deadline_ns)
{
    (void)v;
    (void)deadline_ns;
}

static void be_shutdown(struct domain *d, unsigned int reason)
{
    (void)d;
    (void)reason;
}

static void be_console(struct domain *d, const char *buf, size_t len)
{
    uint8_t x = 0;

    (void)d;
    for (size_t i = 0; i < len; i++)
        x ^= (uint8_t)buf[i];
    sink = x;
}

static int be_map_page(struct domain *d, uint64_t gfn, void *page)
{
    (void)d;
    (void)gfn;
    sink = ((volatile uint8_t *)page)[0] ^
           ((volatile uint8_t *)page)[GUEST_PAGE_SIZE - 1];
    return 0;
}

static const struct hv_backend_ops fuzz_backend = {
    .kick = be_vcpu,
    .wake = be_vcpu,
    .block = be_block,
    .timer_changed = be_timer,
    .shutdown = be_shutdown,
    .console_write = be_console,
    .map_page = be_map_page,
};

struct fuzz_state {
    struct hv *hv;
    unsigned int n; /* domains, dom0 included */
    struct domain *dom[FUZZ_MAX_DOMS];
    uint8_t *ram[FUZZ_MAX_DOMS];
};

static int trace = -1; /* FUZZ_TRACE: print every call */

#ifdef FUZZ_SEED_MAIN
/* The seed writer checks each call's result through this hook. */
static void seed_check(unsigned int index, unsigned int nr, uint64_t cmd,
                       long rc);
#endif

/* Abort with a message: libFuzzer saves the input as a crash. */
#define FUZZ_ASSERT(cond, ...)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_hypercall: " __VA_ARGS__);                   \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

static uint8_t *new_ram(void)
{
    uint8_t *ram = aligned_alloc(GUEST_PAGE_SIZE, FUZZ_RAM_SIZE);

    FUZZ_ASSERT(ram, "out of memory");
    memset(ram, 0, FUZZ_RAM_SIZE);
    return ram;
}

/* Create HVM domain (slot) from its 4-byte descriptor. */
static void create_domain(struct fuzz_state *s, unsigned int slot,
                          struct input *in)
{
    uint8_t vcpus = in_u8(in);
    uint16_t port = (uint16_t)in_le(in, 2);
    uint8_t flags = in_u8(in);
    unsigned int vi = (flags >> 1) & 7;
    struct domain_config cfg = {
        .create.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap |
                        (flags & 1 ? XEN_DOMCTL_CDF_disable_fifo : 0),
        .create.max_vcpus = vcpus & 0x80 ? 30u + (vcpus & 7) : 1u + (vcpus & 3),
        .create.max_evtchn_port = flags & 0x10 ? port * 4u : port & 0x1fffu,
        .create.max_grant_frames = -1,
        .create.max_maptrack_frames = -1,
        .xen_version = versions[vi],
    };
    struct domain *d;
    int rc = domain_create(s->hv, 0, &cfg, &d);

    if (vi == BAD_VERSION_INDEX) {
        FUZZ_ASSERT(rc == -XEN_EINVAL, "bad version accepted: %d", rc);
        cfg.xen_version = 0;
        rc = domain_create(s->hv, 0, &cfg, &d);
    }
    FUZZ_ASSERT(rc == 0, "domain_create: %d", rc);
    s->ram[slot] = new_ram();
    domain_set_ram(d, s->ram[slot], FUZZ_RAM_SIZE);
    if (flags & 0x20)
        domain_latch_shinfo_compat(d, true);
    if (!(flags & 0x40))
        FUZZ_ASSERT(domain_unpause(d) == 0, "unpause");
    s->dom[slot] = d;
}

static void setup(struct fuzz_state *s, struct input *in)
{
    uint8_t g = in_u8(in);

    memset(s, 0, sizeof(*s));
    FUZZ_ASSERT(hv_create(&fuzz_backend, NULL, &s->hv) == 0, "hv_create");
    /* dom0 gets RAM too, so privileged callers reach the same paths with
     * arguments in memory (its real callers use the device server). */
    s->dom[0] = domain_get(s->hv, 0);
    FUZZ_ASSERT(s->dom[0], "no dom0");
    s->ram[0] = new_ram();
    domain_set_ram(s->dom[0], s->ram[0], FUZZ_RAM_SIZE);
    s->n = 1 + (g & 1 ? 3 : 2);
    for (unsigned int i = 1; i <= FUZZ_MAX_HVM; i++) {
        if (i < s->n) {
            create_domain(s, i, in);
        } else {
            in_le(in, 4); /* keep the layout fixed */
        }
    }
}

static void teardown(struct fuzz_state *s)
{
    for (unsigned int i = 1; i < s->n; i++) {
        domain_destroy(s->dom[i]);
        domain_put(s->dom[i]);
    }
    domain_put(s->dom[0]);
    hv_destroy(s->hv);
    /* RAM outlives the domains that map it. */
    for (unsigned int i = 0; i < s->n; i++)
        free(s->ram[i]);
}

/* A guest (or the fuzzer standing in for one) writes its own memory. */
static void guest_write(struct fuzz_state *s, uint8_t k, struct input *in)
{
    struct domain *d = s->dom[(k & 3) % s->n];
    size_t off = (size_t)in_le(in, 2) * 8;
    size_t len = in_u8(in), room;
    uint8_t *base;

    if (k & 4) {
        base = d->shared_info;
        off %= GUEST_PAGE_SIZE;
        room = GUEST_PAGE_SIZE - off;
    } else {
        base = d->ram;
        off %= FUZZ_RAM_SIZE;
        room = FUZZ_RAM_SIZE - off;
    }
    if (k & 8) {
        uint8_t byte = in_u8(in);

        len *= 16;
        memset(base + off, byte, len < room ? len : room);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t byte = in_u8(in);

        /* The guest's stores are plain, but the core reads these words
         * with atomics: store atomically too, so TSan-style tooling and
         * the compiler see no data race in this single thread. */
        if (i < room)
            __atomic_store_n(base + off + i, byte, __ATOMIC_RELAXED);
    }
}

static void backend_action(struct fuzz_state *s, uint8_t k, struct input *in)
{
    struct domain *d = s->dom[(k & 3) % s->n];
    uint8_t x = in_u8(in);
    uint64_t value;

    switch ((k >> 2) & 3) {
    case 0:
        domain_latch_shinfo_compat(d, x & 1);
        break;
    case 1:
        if (x & 1)
            domain_pause(d);
        else
            domain_unpause(d); /* -EINVAL when not paused: fine */
        break;
    case 2: {
        struct vcpu *v = d->vcpus[in_u8(in) % d->max_vcpus];

        if (x & 1)
            vcpu_timer_fire(v); /* stale expiries must be harmless */
        else if (x & 2)
            evtchn_send_domain_virq(d, x >> 2);
        else
            evtchn_send_vcpu_virq(v, x >> 2);
        break;
    }
    default:
        switch (x & 3) {
        case 0: {
            uint8_t index = in_u8(in);

            hvm_param_set(d, index, in_arg(in));
            break;
        }
        case 1:
            hvm_param_get(d, in_u8(in), &value);
            break;
        case 2:
            sink = hvm_callback_vector(d->vcpus[in_u8(in) % d->max_vcpus]);
            break;
        default:
            sched_domain_shutdown(d, in_u8(in));
            break;
        }
        break;
    }
}

static void do_call(struct fuzz_state *s, uint8_t k, struct input *in,
                    unsigned int index)
{
    struct domain *d = s->dom[(k & 3) % s->n];
    bool compat = k & 4, paging = k & 8;
    unsigned int nargs = (k >> 5) & 7;
    struct vcpu *v = d->vcpus[in_u8(in) % d->max_vcpus];
    uint8_t nrb = in_u8(in);
    unsigned int nr = k & 0x10 ? nrb : common_nr[nrb % 16];
    uint64_t cr3 = paging ? (uint64_t)in_u8(in) << GUEST_PAGE_SHIFT : 0;
    uint64_t args[5] = {0};
    struct hv_call call;
    long rc;

    for (unsigned int i = 0; i < nargs && i < 5; i++)
        args[i] = in_arg(in);
    hv_call_init(&call, v, compat, paging, cr3);
    rc = hypercall_dispatch(&call, nr, args);
    if (trace)
        fprintf(stderr,
                "call %2u: dom%u v%u %s%s nr %u args %#llx %#llx %#llx %#llx "
                "%#llx -> %ld\n",
                index, d->domid, v->id, compat ? "compat" : "64",
                paging ? " paged" : "", nr, (unsigned long long)args[0],
                (unsigned long long)args[1], (unsigned long long)args[2],
                (unsigned long long)args[3], (unsigned long long)args[4], rc);
#ifdef FUZZ_SEED_MAIN
    seed_check(index, nr, args[0], rc);
#endif
    /* The internal restart code never reaches a guest, and every error is
     * a small negative Xen errno. */
    FUZZ_ASSERT(rc != -HV_ERESTART, "-ERESTART leaked (nr %u)", nr);
    FUZZ_ASSERT(rc > -4096, "rc %ld out of errno range (nr %u)", rc, nr);
    FUZZ_ASSERT(nr != __HYPERVISOR_event_channel_op || rc <= 0,
                "EVTCHNOP %llu returned %ld", (unsigned long long)args[0], rc);
}

/*
 * Invariants of every domain's port table, checked through EVTCHNOP_status
 * as dom0 (which may ask about every domain): every interdomain port names a
 * peer port that names it back (the core's two-lock updates in bind, close,
 * reset and destroy keep the pair consistent), active_evtchns counts the
 * ports in use, and no free port hides below first_free_port.
 */
static void check_links(struct fuzz_state *s)
{
    struct domain *dom0 = s->dom[0];

    for (unsigned int i = 0; i < s->n; i++) {
        struct domain *d = s->dom[i];
        uint32_t valid = __atomic_load_n(&d->valid_evtchns, __ATOMIC_ACQUIRE);

        uint32_t in_use = 0;

        for (evtchn_port_t p = 0; p < valid; p++) {
            struct evtchn_status st = {.dom = d->domid, .port = p};
            struct evtchn_status peer;
            int rc = evtchn_status(dom0, &st);

            FUZZ_ASSERT(rc == 0, "status dom%u port %u: %d", d->domid, p, rc);
            /* The allocator skips ports below first_free_port: a free one
             * there could never be handed out again. */
            FUZZ_ASSERT(p == 0 || p >= d->first_free_port ||
                            evtchn_port_state(d, p) != ECS_FREE,
                        "dom%u port %u free below first_free_port %u", d->domid,
                        p, d->first_free_port);
            if (st.status == EVTCHNSTAT_closed)
                continue;
            in_use++;
            if (st.status != EVTCHNSTAT_interdomain)
                continue;
            peer = (struct evtchn_status){.dom = st.u.interdomain.dom,
                                          .port = st.u.interdomain.port};
            rc = evtchn_status(dom0, &peer);
            FUZZ_ASSERT(rc == 0 && peer.status == EVTCHNSTAT_interdomain &&
                            peer.u.interdomain.dom == d->domid &&
                            peer.u.interdomain.port == p,
                        "dom%u port %u -> dom%u port %u does not link back "
                        "(rc %d status %u)",
                        d->domid, p, st.u.interdomain.dom,
                        st.u.interdomain.port, rc, peer.status);
        }
        /* EVTCHNOP_reset's -EAGAIN (XSA-343) relies on this count. */
        FUZZ_ASSERT(in_use == d->active_evtchns,
                    "dom%u: %u ports in use, active_evtchns %u", d->domid,
                    in_use, d->active_evtchns);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    struct fuzz_state s;
    size_t mem_before = hv_mem_in_use();
    unsigned int calls = 0;

    if (trace < 0)
        trace = getenv("FUZZ_TRACE") != NULL;
    setup(&s, &in);
    for (unsigned int r = 0;
         in.left && r < FUZZ_MAX_RECORDS && calls < FUZZ_MAX_CALLS; r++) {
        uint8_t k = in_u8(&in);

        if (k >= REC_WRITE)
            guest_write(&s, k, &in);
        else if (k >= REC_ACTION)
            backend_action(&s, k, &in);
        else
            do_call(&s, k, &in, calls++);
    }
    check_links(&s);
    teardown(&s);
    /* Every byte the core counted must have been given back. */
    FUZZ_ASSERT(hv_mem_in_use() == mem_before,
                "hypervisor memory leaked: %zu bytes in use, %zu before",
                hv_mem_in_use(), mem_before);
    return 0;
}

#ifdef FUZZ_SEED_MAIN
/*
 * Seed writer (built as the header comment says), run with the output
 * directory.  Each seed is built with the helpers below, replayed, and every
 * hypercall's result compared with the expected one; a seed that does not
 * behave is not written and the exit status is 1.
 */
#include <errno.h>
#include <limits.h>

struct seed {
    uint8_t buf[4096];
    size_t n;
    unsigned int calls;
    long expect[FUZZ_MAX_CALLS];
};

/* For hypercalls still being implemented: any result is accepted. */
#define EXPECT_ANY LONG_MIN

static struct seed *cur;       /* the seed being replayed */
static unsigned int seed_bad;  /* mismatches in this seed */
static unsigned int seed_seen; /* calls checked */

static void seed_check(unsigned int index, unsigned int nr, uint64_t cmd,
                       long rc)
{
    seed_seen++;
    if (!cur || index >= cur->calls || cur->expect[index] == rc ||
        cur->expect[index] == EXPECT_ANY)
        return;
    fprintf(stderr, "  call %u (nr %u cmd %llu): got %ld, expected %ld\n",
            index, nr, (unsigned long long)cmd, rc, cur->expect[index]);
    seed_bad++;
}

static void put8(struct seed *s, uint8_t b)
{
    if (s->n >= sizeof(s->buf)) {
        fprintf(stderr, "seed too long\n");
        exit(1);
    }
    s->buf[s->n++] = b;
}

static void put_le(struct seed *s, uint64_t v, unsigned int bytes)
{
    for (unsigned int i = 0; i < bytes; i++)
        put8(s, (uint8_t)(v >> (8 * i)));
}

struct seed_dom {
    uint8_t vcpus, flags;
    uint16_t port;
};

static void seed_header(struct seed *s, bool three, struct seed_dom a,
                        struct seed_dom b, struct seed_dom c)
{
    const struct seed_dom *d[3] = {&a, &b, &c};

    s->n = 0;
    s->calls = 0;
    put8(s, three);
    for (int i = 0; i < 3; i++) {
        put8(s, d[i]->vcpus);
        put_le(s, d[i]->port, 2);
        put8(s, d[i]->flags);
    }
}

/* Write (len) bytes at (gpa) (a multiple of 8) of domain index (dom). */
static void seed_write(struct seed *s, unsigned int dom, bool shinfo,
                       uint32_t gpa, const void *data, size_t len)
{
    put8(s, (uint8_t)(REC_WRITE | dom | (shinfo ? 4 : 0)));
    put_le(s, gpa / 8, 2);
    put8(s, (uint8_t)len);
    for (size_t i = 0; i < len; i++)
        put8(s, ((const uint8_t *)data)[i]);
}

static void seed_arg(struct seed *s, uint64_t v)
{
    if (v < 0x80) {
        put8(s, (uint8_t)v);
    } else if (!(v & 7) && v < (1u << 19)) {
        put8(s, 0x80);
        put_le(s, v >> 3, 2);
    } else if (v <= UINT32_MAX) {
        put8(s, 0xc0);
        put_le(s, v, 4);
    } else {
        put8(s, 0xff);
        put_le(s, v, 8);
    }
}

#define MODE_COMPAT 4u
#define MODE_PAGED  8u

/* Hypercall (nr) (always encoded raw) from domain index (dom), with three
 * argument registers. */
static void seed_call3(struct seed *s, unsigned int dom, unsigned int vcpu,
                       unsigned int mode, uint8_t cr3_pfn, unsigned int nr,
                       uint64_t a0, uint64_t a1, uint64_t a2, long expect)
{
    put8(s, (uint8_t)(dom | mode | 0x10 | 3u << 5));
    put8(s, (uint8_t)vcpu);
    put8(s, (uint8_t)nr);
    if (mode & MODE_PAGED)
        put8(s, cr3_pfn);
    seed_arg(s, a0);
    seed_arg(s, a1);
    seed_arg(s, a2);
    s->expect[s->calls++] = expect;
}

static void seed_call(struct seed *s, unsigned int dom, unsigned int vcpu,
                      unsigned int mode, uint8_t cr3_pfn, unsigned int nr,
                      uint64_t a0, uint64_t a1, long expect)
{
    seed_call3(s, dom, vcpu, mode, cr3_pfn, nr, a0, a1, 0, expect);
}

#define ARG 0x1000u /* argument structs */

/* EVTCHNOP (cmd) with the struct (arg) written at ARG + (slot) * 32. */
static void seed_evtchn(struct seed *s, unsigned int dom, unsigned int vcpu,
                        unsigned int cmd, const void *arg, size_t len,
                        unsigned int slot, long expect)
{
    uint32_t gpa = ARG + slot * 32;

    seed_write(s, dom, false, gpa, arg, len);
    seed_call(s, dom, vcpu, 0, 0, __HYPERVISOR_event_channel_op, cmd, gpa,
              expect);
}

static void seed_send(struct seed *s, unsigned int dom, evtchn_port_t port,
                      long expect)
{
    struct evtchn_send op = {.port = port};

    seed_evtchn(s, dom, 0, EVTCHNOP_send, &op, sizeof(op), 0, expect);
}

static void seed_fifo_init(struct seed *s, unsigned int dom, unsigned int vcpu,
                           long expect)
{
    struct evtchn_init_control op = {.control_gfn = 2 + vcpu, .vcpu = vcpu};

    seed_evtchn(s, dom, vcpu, EVTCHNOP_init_control, &op, sizeof(op), 1,
                expect);
}

static void seed_expand(struct seed *s, unsigned int dom, uint64_t gfn,
                        long expect)
{
    struct evtchn_expand_array op = {.array_gfn = gfn};

    seed_evtchn(s, dom, 0, EVTCHNOP_expand_array, &op, sizeof(op), 2, expect);
}

static void seed_alloc(struct seed *s, unsigned int dom, domid_t remote,
                       long expect)
{
    struct evtchn_alloc_unbound op = {.dom = DOMID_SELF, .remote_dom = remote};

    seed_evtchn(s, dom, 0, EVTCHNOP_alloc_unbound, &op, sizeof(op), 3, expect);
}

static void seed_bind(struct seed *s, unsigned int dom, domid_t remote,
                      evtchn_port_t rport, long expect)
{
    struct evtchn_bind_interdomain op;

    memset(&op, 0, sizeof(op)); /* padding too: seeds are reproducible */
    op.remote_dom = remote;
    op.remote_port = rport;

    seed_evtchn(s, dom, 0, EVTCHNOP_bind_interdomain, &op, sizeof(op), 4,
                expect);
}

static void seed_port_op(struct seed *s, unsigned int dom, unsigned int cmd,
                         evtchn_port_t port, long expect)
{
    struct evtchn_close op = {.port = port}; /* unmask: same layout */

    seed_evtchn(s, dom, 0, cmd, &op, sizeof(op), 5, expect);
}

static const struct seed_dom dflt = {.vcpus = 0, .port = 1023, .flags = 0};

/* 2-level interdomain channel both ways, status, close. */
static void seed_2l(struct seed *s)
{
    struct evtchn_status st;

    memset(&st, 0, sizeof(st));
    st.dom = DOMID_SELF;
    st.port = 1;
    seed_header(s, false, dflt, dflt, dflt);
    seed_alloc(s, 1, 2, 0);   /* dom1 port 1, for dom2 */
    seed_bind(s, 2, 1, 1, 0); /* dom2 port 1 <-> dom1 port 1 */
    seed_send(s, 2, 1, 0);
    seed_send(s, 1, 1, 0);
    seed_port_op(s, 1, EVTCHNOP_unmask, 1, 0);
    seed_evtchn(s, 1, 0, EVTCHNOP_status, &st, sizeof(st), 6, 0);
    seed_port_op(s, 2, EVTCHNOP_close, 1, 0);
    seed_send(s, 1, 1, 0); /* unbound again: dropped */
    seed_port_op(s, 1, EVTCHNOP_close, 1, 0);
    seed_send(s, 1, 1, -XEN_EINVAL);
}

/* FIFO: both domains switch, events are linked, unmasked, re-prioritised. */
static void seed_fifo(struct seed *s)
{
    struct evtchn_set_priority pri = {.port = 1, .priority = 3};
    uint32_t masked = 1u << EVTCHN_FIFO_MASKED;

    seed_header(s, false, (struct seed_dom){1, 0, 4095}, dflt, dflt);
    seed_fifo_init(s, 1, 0, 0);
    seed_fifo_init(s, 1, 1, 0);
    seed_fifo_init(s, 1, 1, -XEN_EINVAL); /* already has one */
    seed_expand(s, 1, 8, 0);
    seed_alloc(s, 1, 2, 0);
    seed_alloc(s, 1, 2, 0);
    seed_bind(s, 2, 1, 1, 0);
    seed_bind(s, 2, 1, 2, 0);
    seed_send(s, 2, 1, 0); /* linked on dom1 vCPU 0 */
    seed_send(s, 2, 2, 0); /* linked after it */
    seed_evtchn(s, 1, 0, EVTCHNOP_set_priority, &pri, sizeof(pri), 6, 0);
    /* mask port 1 in its event word, consume nothing, send, unmask */
    seed_write(s, 1, false, 8 * GUEST_PAGE_SIZE + 4, &masked, sizeof(masked));
    seed_send(s, 2, 1, 0);
    seed_port_op(s, 1, EVTCHNOP_unmask, 1, 0);
    seed_expand(s, 1, 9, 0);
    seed_expand(s, 1, 4096, -XEN_EINVAL); /* beyond RAM */
    seed_fifo_init(s, 2, 0, 0);
    seed_expand(s, 2, 8, 0);
    seed_send(s, 1, 1, 0);
    seed_port_op(s, 2, EVTCHNOP_close, 2, 0);
}

/* IPIs and VIRQs on a 2-vCPU domain, moved between vCPUs, then reset. */
static void seed_ipi_virq(struct seed *s)
{
    struct evtchn_bind_ipi ipi = {.vcpu = 1};
    struct evtchn_bind_virq virq = {.virq = VIRQ_TIMER, .vcpu = 1};
    struct evtchn_bind_vcpu bv = {.port = 3, .vcpu = 0};
    struct evtchn_reset rst = {.dom = DOMID_SELF};

    seed_header(s, false, (struct seed_dom){1, 0, 1023}, dflt, dflt);
    seed_evtchn(s, 1, 0, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi), 1, 0);
    seed_evtchn(s, 1, 0, EVTCHNOP_bind_virq, &virq, sizeof(virq), 2, 0);
    seed_evtchn(s, 1, 0, EVTCHNOP_bind_virq, &virq, sizeof(virq), 2,
                -XEN_EEXIST);
    seed_send(s, 1, 1, 0);
    seed_alloc(s, 1, 2, 0); /* port 3 */
    seed_evtchn(s, 1, 0, EVTCHNOP_bind_vcpu, &bv, sizeof(bv), 3, 0);
    seed_send(s, 1, 2, -XEN_EINVAL); /* VIRQs cannot be sent */
    seed_bind(s, 2, 1, 3, 0);
    seed_send(s, 2, 1, 0);
    seed_evtchn(s, 1, 0, EVTCHNOP_reset, &rst, sizeof(rst), 4, 0);
    seed_send(s, 2, 1, 0); /* dom1's end is gone: dom2's is unbound */
}

/* Compat mode and paging: the same calls through page tables, 32-bit. */
static void seed_paged(struct seed *s)
{
    /* PML4 at gfn 32 -> PDPT at 33 -> PD at 34, one 2 MiB page at 0. */
    uint64_t pml4 = 33ull << 12 | 3, pdpt = 34ull << 12 | 3, pd = 0x83;
    struct evtchn_alloc_unbound au = {.dom = DOMID_SELF, .remote_dom = 2};
    struct evtchn_bind_interdomain bi;
    struct evtchn_send snd = {.port = 1};

    memset(&bi, 0, sizeof(bi));
    bi.remote_dom = 1;
    bi.remote_port = 1;
    seed_header(s, false, (struct seed_dom){0, 0x20, 1023}, dflt, dflt);
    seed_write(s, 1, false, 32 << 12, &pml4, 8);
    seed_write(s, 1, false, 33 << 12, &pdpt, 8);
    seed_write(s, 1, false, 34 << 12, &pd, 8);
    seed_write(s, 1, false, ARG, &au, sizeof(au));
    seed_call(s, 1, 0, MODE_PAGED | MODE_COMPAT, 32,
              __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, ARG, 0);
    seed_evtchn(s, 2, 0, EVTCHNOP_bind_interdomain, &bi, sizeof(bi), 1, 0);
    seed_write(s, 2, false, ARG, &snd, sizeof(snd));
    seed_call(s, 2, 0, MODE_COMPAT, 0, __HYPERVISOR_event_channel_op,
              EVTCHNOP_send, ARG, 0);
    seed_write(s, 1, false, ARG + 64, &snd, sizeof(snd));
    seed_call(s, 1, 0, MODE_PAGED, 32, __HYPERVISOR_event_channel_op,
              EVTCHNOP_send, ARG + 64, 0);
    /* not mapped: gva 4 MiB */
    seed_call(s, 1, 0, MODE_PAGED, 32, __HYPERVISOR_event_channel_op,
              EVTCHNOP_send, 4u << 20, -XEN_EFAULT);
    seed_call(s, 1, 0, 0, 0, __HYPERVISOR_xen_version, XENVER_version, 0,
              EXPECT_ANY);
}

/* dom0 acts on paused HVM domains; FIFO hidden by flag and by version. */
static void seed_dom0(struct seed *s)
{
    struct evtchn_alloc_unbound au = {.dom = 1, .remote_dom = 2};
    struct evtchn_reset rst = {.dom = 1};
    struct evtchn_status st;

    memset(&st, 0, sizeof(st));
    st.dom = 2;
    st.port = 1;
    seed_header(s, true, (struct seed_dom){0, 0x41, 1023},
                (struct seed_dom){0, 1 << 1, 1023},
                (struct seed_dom){0x87, 0x10, 0xffff});
    seed_evtchn(s, 0, 0, EVTCHNOP_alloc_unbound, &au, sizeof(au), 1, 0);
    seed_bind(s, 2, 1, 1, 0);
    seed_evtchn(s, 0, 0, EVTCHNOP_status, &st, sizeof(st), 2, 0);
    seed_fifo_init(s, 1, 0, -XEN_ENOSYS); /* disable_fifo */
    seed_fifo_init(s, 2, 0, -XEN_ENOSYS); /* Xen 4.3 */
    seed_fifo_init(s, 3, 31, 0);          /* 37 vCPUs */
    seed_fifo_init(s, 3, 33, 0);
    seed_expand(s, 3, 8, 0);
    seed_alloc(s, 3, 1, 0);
    seed_send(s, 2, 1, 0);
    seed_evtchn(s, 0, 0, EVTCHNOP_reset, &rst, sizeof(rst), 3, 0);
    /* no reset in progress on dom1 */
    seed_evtchn(s, 1, 0, EVTCHNOP_reset_cont,
                &(struct evtchn_reset){.dom = DOMID_SELF},
                sizeof(struct evtchn_reset), 3, -XEN_EBUSY);
    seed_call(s, 0, 0, 0, 0, 200, 0, 0, -XEN_ENOSYS);
}

/* Pending under 2-level, then FIFO: carried over when the page arrives. */
static void seed_switch(struct seed *s)
{
    seed_header(s, false, dflt, dflt, dflt);
    seed_alloc(s, 1, 2, 0);
    seed_bind(s, 2, 1, 1, 0);
    seed_send(s, 2, 1, 0);
    seed_fifo_init(s, 1, 0, 0);
    seed_send(s, 2, 1, 0); /* no event word yet: remembered */
    seed_expand(s, 1, 8, 0);
    seed_port_op(s, 1, EVTCHNOP_close, 1, 0);
    seed_evtchn(s, 1, 0, EVTCHNOP_reset, &(struct evtchn_reset){DOMID_SELF},
                sizeof(struct evtchn_reset), 4, 0);
    seed_alloc(s, 1, 2, 0);
}

/*
 * The other hypercalls: shared_info moved into the physmap, the callback
 * vector, a registered vcpu_info, timers, poll, console, version.  Their
 * results are not pinned (EXPECT_ANY): the seed only has to reach them.
 */
static void seed_others(struct seed *s)
{
    struct xen_add_to_physmap atp = {.domid = DOMID_SELF,
                                     .space = XENMAPSPACE_shared_info,
                                     .idx = 0,
                                     .gpfn = 40};
    struct xen_hvm_param cb;
    struct vcpu_register_vcpu_info rvi = {.mfn = 41, .offset = 64};
    evtchn_port_t poll_port = 1;
    struct sched_poll poll;
    struct xen_memory_map mm;
    static const char hello[] = "hello from the fuzzer\n";

    /* memset first: padding is written into the seed too */
    memset(&cb, 0, sizeof(cb));
    cb.domid = DOMID_SELF;
    cb.index = HVM_PARAM_CALLBACK_IRQ;
    cb.value = 2ull << 56 | 0xf3; /* type 2: vector 0xf3 */
    memset(&poll, 0, sizeof(poll));
    poll.nr_ports = 1;
    poll.timeout = 1;
    memset(&mm, 0, sizeof(mm));
    mm.nr_entries = 4;
    set_xen_guest_handle(poll.ports, (evtchn_port_t *)(uintptr_t)(ARG + 0x100));
    set_xen_guest_handle(mm.buffer, (void *)(uintptr_t)(ARG + 0x200));
    seed_header(s, false, (struct seed_dom){1, 0, 1023}, dflt, dflt);
    seed_write(s, 1, false, ARG, &atp, sizeof(atp));
    seed_call(s, 1, 0, 0, 0, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, ARG,
              EXPECT_ANY);
    seed_write(s, 1, false, ARG + 0x40, &mm, sizeof(mm));
    seed_call(s, 1, 0, 0, 0, __HYPERVISOR_memory_op, XENMEM_memory_map,
              ARG + 0x40, EXPECT_ANY);
    seed_write(s, 1, false, ARG + 0x60, &cb, sizeof(cb));
    seed_call(s, 1, 0, 0, 0, __HYPERVISOR_hvm_op, HVMOP_set_param, ARG + 0x60,
              EXPECT_ANY);
    seed_write(s, 1, false, ARG + 0x80, &rvi, sizeof(rvi));
    seed_call3(s, 1, 1, 0, 0, __HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info,
               1, ARG + 0x80, EXPECT_ANY);
    seed_call3(s, 1, 0, 0, 0, __HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0,
               EXPECT_ANY);
    seed_evtchn(s, 1, 0, EVTCHNOP_bind_ipi,
                &(struct evtchn_bind_ipi){.vcpu = 1},
                sizeof(struct evtchn_bind_ipi), 5, 0);
    seed_send(s, 1, 1, 0); /* lands in the registered vcpu_info */
    seed_write(s, 1, false, ARG + 0x100, &poll_port, sizeof(poll_port));
    seed_write(s, 1, false, ARG + 0xe0, &poll, sizeof(poll));
    seed_call(s, 1, 1, 0, 0, __HYPERVISOR_sched_op, SCHEDOP_poll, ARG + 0xe0,
              EXPECT_ANY);
    seed_call(s, 1, 0, 0, 0, __HYPERVISOR_sched_op, SCHEDOP_yield, 0,
              EXPECT_ANY);
    seed_call(s, 1, 0, 0, 0, __HYPERVISOR_sched_op, SCHEDOP_block, 0,
              EXPECT_ANY);
    seed_call(s, 1, 0, 0, 0, __HYPERVISOR_set_timer_op, 1000000, 0, EXPECT_ANY);
    seed_write(s, 1, false, ARG + 0x300, hello, sizeof(hello) - 1);
    seed_call3(s, 1, 0, 0, 0, __HYPERVISOR_console_io, CONSOLEIO_write,
               sizeof(hello) - 1, ARG + 0x300, EXPECT_ANY);
    seed_call(s, 1, 0, 0, 0, __HYPERVISOR_xen_version, XENVER_version, 0,
              EXPECT_ANY);
    seed_call(s, 1, 0, MODE_COMPAT, 0, __HYPERVISOR_xen_version,
              XENVER_get_features, ARG + 0x380, EXPECT_ANY);
    /* the backend's side: VIRQ_TIMER bound, the timer fires, a VIRQ is
     * injected, the toolstack reads a parameter, the domain shuts down */
    seed_evtchn(s, 1, 0, EVTCHNOP_bind_virq,
                &(struct evtchn_bind_virq){.virq = VIRQ_TIMER, .vcpu = 0},
                sizeof(struct evtchn_bind_virq), 6, 0);
    seed_call(s, 1, 0, 0, 0, __HYPERVISOR_set_timer_op, 1, 0, EXPECT_ANY);
    put8(s, REC_ACTION | 1 | 2 << 2); /* dom1: vCPU event */
    put8(s, 1);                       /* timer fire */
    put8(s, 0);                       /* vCPU 0 */
    put8(s, REC_ACTION | 1 | 2 << 2);
    put8(s, VIRQ_DEBUG << 2); /* VIRQ_DEBUG on the vCPU */
    put8(s, 1);
    put8(s, REC_ACTION | 1 | 3 << 2); /* toolstack */
    put8(s, 1);                       /* hvm_param_get */
    put8(s, HVM_PARAM_CALLBACK_IRQ);
    put8(s, REC_ACTION | 1 | 3 << 2);
    put8(s, 3); /* sched_domain_shutdown */
    put8(s, SHUTDOWN_crash);
    seed_send(s, 1, 1, 0);
}

static const struct {
    const char *name;
    void (*build)(struct seed *s);
} seeds[] = {
    {"2l_interdomain", seed_2l},       {"fifo", seed_fifo},
    {"ipi_virq_reset", seed_ipi_virq}, {"compat_paged", seed_paged},
    {"dom0_flags", seed_dom0},         {"switch_2l_fifo", seed_switch},
    {"other_hypercalls", seed_others},
};

int main(int argc, char **argv)
{
    static struct seed s;
    unsigned int failed = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        char path[4096];
        FILE *f;

        seeds[i].build(&s);
        fprintf(stderr, "%s: %zu bytes, %u calls\n", seeds[i].name, s.n,
                s.calls);
        cur = &s;
        seed_bad = seed_seen = 0;
        LLVMFuzzerTestOneInput(s.buf, s.n);
        if (seed_bad || seed_seen != s.calls) {
            fprintf(stderr, "  FAILED (%u mismatches, %u of %u calls)\n",
                    seed_bad, seed_seen, s.calls);
            failed++;
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", argv[1], seeds[i].name);
        f = fopen(path, "wb");
        if (!f || fwrite(s.buf, 1, s.n, f) != s.n || fclose(f)) {
            fprintf(stderr, "%s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    return failed ? 1 : 0;
}
#endif /* FUZZ_SEED_MAIN */
