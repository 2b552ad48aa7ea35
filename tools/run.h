/* run.h: `xenemu run FILE.cfg...`: run the domains of configuration files
 * in one in-process hypervisor (docs/running.md). */
#ifndef XENEMU_TOOLS_RUN_H
#define XENEMU_TOOLS_RUN_H

#include "config.h"

/* Exit statuses of `xenemu run`. */
#define RUN_EXIT_OK      0 /* every domain powered off */
#define RUN_EXIT_GUEST   1 /* a domain crashed or shut down otherwise */
#define RUN_EXIT_USAGE   2 /* bad arguments, configuration or image */
#define RUN_EXIT_TIMEOUT 3 /* --timeout passed before all shut down */
/* SIGINT or SIGTERM stopped the domains: 128 + the signal, as a shell
 * reports a command the signal ended (130, 143). */
#define RUN_EXIT_SIGNAL(sig) (128 + (sig))

struct run_options {
    const char *backend;    /* overrides every domain's `backend`, or NULL */
    unsigned int timeout_s; /* 0: none */
};

/* Run every domain of (cfg); returns one of RUN_EXIT_*.  Messages go to
 * stderr, guest consoles to stdout. */
int run_domains(const struct xenemu_config *cfg, const struct run_options *o);

#endif /* XENEMU_TOOLS_RUN_H */
