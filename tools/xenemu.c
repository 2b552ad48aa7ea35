/*
 * xenemu: the command line.
 *
 *   xenemu run [--backend kvm|sim] [--timeout S] FILE.cfg...   run guests
 *   xenemu backends            which backends can run guests here
 *   xenemu demo [--events N]   the core's self-demonstration
 *   xenemu --help | --version
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "demo.h"
#include "run.h"
#include "xenemu/backend.h"

#define XENEMU_RELEASE "0.1"

static void usage(FILE *out)
{
    fputs("usage: xenemu run [--backend kvm|sim] [--timeout SECONDS] "
          "FILE.cfg...\n"
          "       xenemu backends\n"
          "       xenemu demo [--events N]\n"
          "       xenemu --help | --version\n"
          "\n"
          "  run       run the domains of xl.cfg-style files in one\n"
          "            hypervisor (docs/running.md); exit status 0 when all\n"
          "            power off, 1 when one crashes or shuts down otherwise,\n"
          "            2 for bad arguments or configuration, 3 on timeout\n"
          "  backends  say which backends can run guests on this machine\n"
          "  demo      create domains in an in-process hypervisor and\n"
          "            exchange events between them over the 2-level and\n"
          "            FIFO ABIs, with and without the disable-FIFO flag\n",
          out);
}

/* A decimal integer from 1 to (max), or 0 with a message naming (what). */
static unsigned long parse_count(const char *cmd, const char *what,
                                 const char *arg, unsigned long max)
{
    char *end;
    unsigned long n = strtoul(arg, &end, 10);

    if (*arg < '0' || *arg > '9' || *end || n == 0 || n > max) {
        fprintf(stderr, "xenemu %s: %s: '%s' is not a number from 1 to %lu\n",
                cmd, what, arg, max);
        return 0;
    }
    return n;
}

static int cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {
        {"events", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long events = 1000;
    int c;

    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            events = parse_count("demo", "--events", optarg, 10000000);
            if (!events)
                return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "xenemu demo: unexpected argument '%s'\n",
                argv[optind]);
        return 2;
    }
    return demo_run((unsigned int)events) ? 1 : 0;
}

static int load_configs(struct xenemu_config *cfg, int argc, char **argv)
{
    char err[1024];

    if (optind == argc) {
        fprintf(stderr, "xenemu run: no configuration file given\n");
        return -1;
    }
    for (int i = optind; i < argc; i++) {
        if (config_load(cfg, argv[i], err, sizeof(err))) {
            fprintf(stderr, "xenemu run: %s\n", err);
            return -1;
        }
    }
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"backend", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct run_options o = {0};
    struct xenemu_config cfg = {0};
    int c, status;

    while ((c = getopt_long(argc, argv, "b:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            if (!backend_by_name(optarg)) {
                fprintf(stderr,
                        "xenemu run: --backend: '%s' is not kvm or "
                        "sim\n",
                        optarg);
                return RUN_EXIT_USAGE;
            }
            o.backend = optarg;
            break;
        case 't':
            o.timeout_s =
                (unsigned int)parse_count("run", "--timeout", optarg, 86400);
            if (!o.timeout_s)
                return RUN_EXIT_USAGE;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return RUN_EXIT_USAGE;
        }
    }
    if (load_configs(&cfg, argc, argv)) {
        config_free(&cfg);
        return RUN_EXIT_USAGE;
    }
    status = run_domains(&cfg, &o);
    config_free(&cfg);
    return status;
}

/* One line per backend: "kvm: usable" or "kvm: not usable: <why>".  Exit
 * status 0 when KVM is usable, 1 when only sim is. */
static int cmd_backends(void)
{
    const struct backend *all[] = {&backend_kvm, &backend_sim};
    int status = 0;

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        char why[256];

        if (all[i]->probe(why, sizeof(why)) == 0) {
            printf("%s: usable\n", all[i]->name);
        } else {
            printf("%s: not usable: %s\n", all[i]->name, why);
            status = 1;
        }
    }
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("xenemu %s\n", XENEMU_RELEASE);
        return 0;
    }
    if (!strcmp(argv[1], "demo"))
        return cmd_demo(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "backends") && argc == 2)
        return cmd_backends();
    fprintf(stderr, "xenemu: unknown command '%s' (try --help)\n", argv[1]);
    return 2;
}
