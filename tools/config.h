/*
 * config.h: the configuration files of `xenemu run FILE.cfg...`.
 *
 * The format is xl.cfg's (Xen's `man xl.cfg`): `key = value` lines, with
 * quoted strings, integers, booleans and lists, `#` comments, and xenemu's
 * one addition, a `[domain]` line that starts the next domain of a file.
 * docs/config.md describes every key.
 *
 * Each config_load() appends the domains of one file to a struct
 * xenemu_config; domain names are unique across everything loaded into it.
 * A file either loads completely or not at all.
 */
#ifndef XENEMU_TOOLS_CONFIG_H
#define XENEMU_TOOLS_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenemu/domain.h"
#include "xenemu/guest_abi.h"

/* Sizes of the string fields, terminating NUL included. */
#define XENEMU_CFG_NAME_SIZE    64   /* names of 1 to 63 characters */
#define XENEMU_CFG_CMDLINE_SIZE 2048 /* as Linux's x86 COMMAND_LINE_SIZE */

/* Defaults and ranges of the integer keys (docs/config.md). */
#define XENEMU_CFG_DEFAULT_MEMORY_MIB 16
/* Every backend: boot structures and a kernel need 2 MiB; RAM ends below
 * the hole where hypervisor pages are mapped (<xenemu/guest_abi.h>).  A
 * backend may ask for more (sim: stacks per vCPU). */
#define XENEMU_CFG_MIN_MEMORY_MIB 2
#define XENEMU_CFG_MAX_MEMORY_MIB                                              \
    (XENEMU_GUEST_HOLE_GFN >> (20 - GUEST_PAGE_SHIFT))
#define XENEMU_CFG_DEFAULT_EVENT_CHANNELS 1023   /* xl's default */
#define XENEMU_CFG_MAX_EVENT_CHANNELS     131071 /* highest FIFO port */

/* How a domain is run (key `backend`). */
enum xenemu_backend {
    XENEMU_BACKEND_AUTO, /* KVM if /dev/kvm is usable, else sim */
    XENEMU_BACKEND_KVM,  /* hardware virtualisation through KVM */
    XENEMU_BACKEND_SIM,  /* the guest as host threads */
};

/* One domain of a configuration file, defaults filled in. */
struct xenemu_domain_cfg {
    char name[XENEMU_CFG_NAME_SIZE];
    uint64_t memory_mib;
    unsigned int vcpus;
    char kernel[PATH_MAX]; /* absolute path, checked readable at load */
    char cmdline[XENEMU_CFG_CMDLINE_SIZE];
    uint32_t max_event_channels; /* becomes create.max_evtchn_port */
    bool disable_evtchn_fifo;    /* XEN_DOMCTL_CDF_disable_fifo */
    enum xenemu_backend backend;
    uint32_t xen_version; /* XENEMU_VERSION() */

    /* Where the domain was named, for the messages of later steps:
     * (file) is owned by the struct xenemu_config, (line) is the line of
     * the `name` key; memory_line and backend_line are those keys' lines,
     * or (line) where the key was not set. */
    const char *file;
    unsigned int line;
    unsigned int memory_line;
    unsigned int backend_line;
};

/* Every domain loaded so far.  Zero-initialise before the first load. */
struct xenemu_config {
    struct xenemu_domain_cfg *domains;
    size_t nr;
    char **files; /* the paths loaded, as given; domains[i].file points here */
    size_t nr_files;
};

/*
 * Parse the file (path) and append its domains to (cfg).
 *
 * Returns 0, or -1 with (cfg) unchanged and a one-line message without a
 * trailing newline in (err) (errlen bytes, truncated if need be; err may be
 * NULL) that names the file, the line and the key when there is one:
 *   "pingpong.cfg:7: memory: '12x' is not an integer"
 *   "b.cfg:1: name: 'ping' is already used (a.cfg:1)"
 *   "a.cfg: domain 2 has no 'name'"
 * Relative `kernel` paths are resolved against the directory of (path).
 */
int config_load(struct xenemu_config *cfg, const char *path, char *err,
                size_t errlen);

/* Release everything config_load() allocated; (cfg) is empty afterwards. */
void config_free(struct xenemu_config *cfg);

/*
 * The creation arguments of domain (d), as xl builds them for an HVM guest
 * with HAP: max_vcpus, max_evtchn_port, XEN_DOMCTL_CDF_disable_fifo, Xen's
 * default grant and maptrack frame limits (-1), and the emulated Xen
 * version.  Memory, kernel, command line and backend are for the backend
 * that runs the domain, not for domain_create().
 */
void config_to_domain(const struct xenemu_domain_cfg *d,
                      struct domain_config *out);

/* "auto", "kvm" or "sim": the spelling of the `backend` key. */
const char *config_backend_name(enum xenemu_backend backend);

#endif /* XENEMU_TOOLS_CONFIG_H */
