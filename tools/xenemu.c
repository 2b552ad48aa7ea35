/*
 * xenemu: the command line.
 *
 *   xenemu demo [--events N]   the core's self-demonstration
 *   xenemu --help | --version
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

#define XENEMU_RELEASE "0.1"

static void usage(FILE *out)
{
    fputs("usage: xenemu demo [--events N]\n"
          "       xenemu --help | --version\n"
          "\n"
          "  demo   create domains in an in-process hypervisor and exchange\n"
          "         events between them over the 2-level and FIFO ABIs,\n"
          "         with and without the disable-FIFO creation flag\n",
          out);
}

static int cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {
        {"events", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long events = 1000;
    char *end;
    int c;

    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            events = strtoul(optarg, &end, 10);
            if (*end || events == 0 || events > 10000000) {
                fprintf(stderr,
                        "xenemu demo: --events: '%s' is not a "
                        "number from 1 to 10000000\n",
                        optarg);
                return 2;
            }
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
    fprintf(stderr, "xenemu: unknown command '%s' (try --help)\n", argv[1]);
    return 2;
}
