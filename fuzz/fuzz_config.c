/*
 * fuzz_config.c: libFuzzer target for the configuration-file parser
 * (tools/config.c, config_load()), built by `make fuzz` (fuzz/fuzz.mk) with
 * clang, ASan and UBSan.
 *
 * config_load() reads a file by path and resolves relative `kernel` paths
 * against the file's directory, so the input is written to real files in a
 * private temporary directory (mkdtemp under $TMPDIR, else /dev/shm, else
 * /tmp; made once, removed at exit, left behind only by a crash) that also
 * holds kernels for the `kernel` key to find:
 *
 *   DIR/guest.elf        an empty regular file
 *   DIR/link.elf         a symbolic link to guest.elf (realpath resolves it)
 *   DIR/sub/             a directory ("is not a regular file")
 *   DIR/sub/guest.elf    another empty regular file
 *
 * INPUT FORMAT: the text of up to MAX_FILES configuration files, separated
 * by lines holding only "%%" (never valid configuration text, so nothing is
 * lost by splitting there).  Part i goes to DIR/a.cfg, DIR/sub/b.cfg,
 * DIR/c.cfg, DIR/sub/d.cfg (alternating directories, so relative kernels
 * resolve differently), and every part is loaded in turn into one struct
 * xenemu_config, as `xenemu run a.cfg b.cfg ...` does: names must then be
 * unique across files.  The input's size picks the message buffer, so that
 * truncated messages and a NULL buffer are fuzzed too: size % 8 == 0 gives
 * err = NULL, size % 8 == 1 a buffer of 1 to 64 bytes, anything else 512
 * bytes.  Each buffer is a heap block of exactly errlen bytes (ASan sees an
 * overrun).
 *
 * Checked after every config_load() (a violation is __builtin_trap()):
 *   - the result is 0 or -1;
 *   - the domains loaded before are unchanged (byte for byte), and on -1
 *     nothing was added (a file loads completely or not at all);
 *   - on -1 with a buffer of 512 bytes: a non-empty message on one line
 *     that begins with "PATH:" (it names the file); with a shorter buffer,
 *     a NUL within it and no newline;
 *   - on 0: at least one domain and one file were added, the file recorded
 *     as given, and every new domain is within docs/config.md: a name of
 *     1 to 63 characters from A-Z a-z 0-9 _ . - unique across everything
 *     loaded; a kernel that is an absolute, canonical path (no "//", "/./",
 *     "/../", trailing "/") of an existing regular file; memory 1..65536
 *     MiB; vcpus 1..DOMAIN_MAX_VCPUS; max_event_channels 1..131071; a
 *     backend of the enum whose name config_backend_name() spells; a Xen
 *     version 3.0..4.99; a command line without control characters; the
 *     domain's file pointing at the recorded path and its line within the
 *     file; and config_to_domain() giving exactly what docs/config.md says.
 * At the end config_free() releases everything (LSan checks) and must leave
 * the configuration zeroed.
 *
 * SEEDS: fuzz/seeds-config/, small hand-written files (examples/pingpong.cfg
 * among them); kernels name guest.elf, link.elf or sub/guest.elf.
 *
 * Set FUZZ_TRACE=1 in the environment to print every config_load() result
 * (`build/fuzz/fuzz_config FILE...` runs just those inputs).
 */

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tools/config.h"
#include "xenemu/xen_ext.h"

#define MAX_FILES  4
#define BIG_ERRLEN 512
#define NAME_CHARSET                                                           \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

static bool trace; /* FUZZ_TRACE */
static char dir[PATH_MAX];
static char cfg_paths[MAX_FILES][PATH_MAX];

/* Setup and teardown of the directory: failures here are the machine's,
 * not the parser's, so they abort with a message. */
static void die(const char *what)
{
    perror(what);
    abort();
}

static void make_path(char *out, const char *name)
{
    if (snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
        fprintf(stderr, "fuzz_config: temporary directory path too long\n");
        abort();
    }
}

static void make_file(const char *name)
{
    char path[PATH_MAX];
    int fd;

    make_path(path, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die(path);
    close(fd);
}

static void remove_dir(void)
{
    static const char *const files[] = {
        "a.cfg",     "b.cfg",     "c.cfg",         "d.cfg",
        "sub/a.cfg", "sub/b.cfg", "sub/c.cfg",     "sub/d.cfg",
        "link.elf",  "guest.elf", "sub/guest.elf",
    };
    char path[PATH_MAX];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        make_path(path, files[i]);
        unlink(path);
    }
    make_path(path, "sub");
    rmdir(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* /dev/shm first: on a disk-backed /tmp every input costs several
     * times more. */
    const char *const parents[] = {getenv("TMPDIR"), "/dev/shm", "/tmp"};
    char link_path[PATH_MAX], sub[PATH_MAX];
    bool made = false;

    (void)argc;
    (void)argv;
    trace = getenv("FUZZ_TRACE") != NULL;
    for (size_t i = 0; i < 3 && !made; i++) {
        if (!parents[i] || !*parents[i])
            continue;
        if (snprintf(dir, sizeof(dir), "%s/xenemu-fuzz-config-XXXXXX",
                     parents[i]) >= (int)sizeof(dir))
            continue;
        made = mkdtemp(dir) != NULL;
    }
    if (!made)
        die("fuzz_config: mkdtemp");
    atexit(remove_dir);
    make_path(sub, "sub");
    if (mkdir(sub, 0755))
        die(sub);
    make_file("guest.elf");
    make_file("sub/guest.elf");
    make_path(link_path, "link.elf");
    if (symlink("guest.elf", link_path))
        die(link_path);
    for (int i = 0; i < MAX_FILES; i++) {
        char name[16];

        snprintf(name, sizeof(name), "%s%c.cfg", i % 2 ? "sub/" : "", 'a' + i);
        make_path(cfg_paths[i], name);
    }
    return 0;
}

static void write_part(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t done = 0;

    if (fd < 0)
        die(path);
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);

        if (n <= 0)
            die(path);
        done += (size_t)n;
    }
    close(fd);
}

/* The lines getline() sees in (size) bytes. */
static size_t count_lines(const uint8_t *data, size_t size)
{
    size_t n = 0;

    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n + (size && data[size - 1] != '\n');
}

/* Where the next separator line "%%" starts (its preceding newline kept
 * with the part before), or (size) if there is none. */
static size_t find_separator(const uint8_t *data, size_t size, size_t *skip)
{
    for (size_t i = 0; i + 4 <= size; i++) {
        if (!memcmp(data + i, "\n%%\n", 4)) {
            *skip = 3;
            return i + 1;
        }
    }
    *skip = 0;
    return size;
}

static void check_string_field(const char *s, size_t cap)
{
    CHECK(memchr(s, '\0', cap) != NULL);
}

/* A canonical absolute path, as realpath() returns it. */
static void check_canonical(const char *p)
{
    size_t len = strlen(p);

    CHECK(p[0] == '/');
    CHECK(len == 1 || p[len - 1] != '/');
    CHECK(!strstr(p, "//"));
    CHECK(!strstr(p, "/./"));
    CHECK(!strstr(p, "/../"));
    CHECK(len < 2 || strcmp(p + len - 2, "/."));
    CHECK(len < 3 || strcmp(p + len - 3, "/.."));
}

static void check_to_domain(const struct xenemu_domain_cfg *d)
{
    struct domain_config got, want;

    memset(&got, 0xa5, sizeof(got));
    config_to_domain(d, &got);
    memset(&want, 0, sizeof(want));
    want.create.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
    if (d->disable_evtchn_fifo)
        want.create.flags |= XEN_DOMCTL_CDF_disable_fifo;
    want.create.max_vcpus = d->vcpus;
    want.create.max_evtchn_port = d->max_event_channels;
    want.create.max_grant_frames = -1;
    want.create.max_maptrack_frames = -1;
    want.xen_version = d->xen_version;
    CHECK(!memcmp(&got, &want, sizeof(got)));
}

/* Domain (i) of (cfg), just loaded from (path) with (lines) lines. */
static void check_domain(const struct xenemu_config *cfg, size_t i,
                         const char *path, size_t lines)
{
    const struct xenemu_domain_cfg *d = &cfg->domains[i];
    size_t len;
    struct stat st;
    const char *backend;

    check_string_field(d->name, sizeof(d->name));
    len = strlen(d->name);
    CHECK(len >= 1 && len < XENEMU_CFG_NAME_SIZE);
    CHECK(strspn(d->name, NAME_CHARSET) == len);
    for (size_t j = 0; j < cfg->nr; j++)
        CHECK(j == i || strcmp(cfg->domains[j].name, d->name));

    check_string_field(d->kernel, sizeof(d->kernel));
    check_canonical(d->kernel);
    CHECK(!stat(d->kernel, &st) && S_ISREG(st.st_mode));

    CHECK(d->memory_mib >= 1 && d->memory_mib <= XENEMU_CFG_MAX_MEMORY_MIB);
    CHECK(d->vcpus >= 1 && d->vcpus <= DOMAIN_MAX_VCPUS);
    CHECK(d->max_event_channels >= 1 &&
          d->max_event_channels <= XENEMU_CFG_MAX_EVENT_CHANNELS);
    CHECK(d->backend == XENEMU_BACKEND_AUTO ||
          d->backend == XENEMU_BACKEND_KVM || d->backend == XENEMU_BACKEND_SIM);
    backend = config_backend_name(d->backend);
    CHECK(backend);
    CHECK(!strcmp(backend, d->backend == XENEMU_BACKEND_KVM   ? "kvm"
                           : d->backend == XENEMU_BACKEND_SIM ? "sim"
                                                              : "auto"));
    CHECK(XENEMU_VERSION_MAJOR(d->xen_version) >= 3 &&
          XENEMU_VERSION_MAJOR(d->xen_version) <= 4 &&
          XENEMU_VERSION_MINOR(d->xen_version) <= 99);

    check_string_field(d->cmdline, sizeof(d->cmdline));
    for (const char *c = d->cmdline; *c; c++)
        CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);

    CHECK(d->file == cfg->files[cfg->nr_files - 1]);
    CHECK(!strcmp(d->file, path));
    CHECK(d->line >= 1 && d->line <= lines);

    check_to_domain(d);
}

/* A message from a failed config_load() in (err) of (errlen) bytes. */
static void check_message(const char *err, size_t errlen, const char *path)
{
    size_t plen = strlen(path);

    CHECK(memchr(err, '\0', errlen) != NULL);
    CHECK(!strchr(err, '\n'));
    if (errlen == BIG_ERRLEN)
        CHECK(!strncmp(err, path, plen) && err[plen] == ':' &&
              err[plen + 1] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xenemu_config cfg = {0};
    struct xenemu_domain_cfg *before = NULL;
    size_t errlen = size % 8 == 0   ? 0
                    : size % 8 == 1 ? 1 + size / 8 % 64
                                    : BIG_ERRLEN;
    char *err = errlen ? malloc(errlen) : NULL;
    size_t off = 0;

    CHECK(!errlen || err);
    for (int i = 0; i < MAX_FILES && off <= size; i++) {
        size_t skip, end = find_separator(data + off, size - off, &skip);
        size_t nr = cfg.nr, nr_files = cfg.nr_files;
        size_t lines = count_lines(data + off, end);
        int rc;

        /* A snapshot of what is loaded, to compare afterwards. */
        if (nr) {
            before = realloc(before, nr * sizeof(*before));
            CHECK(before);
            memcpy(before, cfg.domains, nr * sizeof(*before));
        }
        write_part(cfg_paths[i], data + off, end);
        if (err)
            memset(err, 'x', errlen); /* config_load() must terminate it */
        rc = config_load(&cfg, cfg_paths[i], err, errlen);

        if (trace)
            fprintf(stderr, "config_load(%s) = %d%s%s (%zu domains)\n",
                    cfg_paths[i], rc, rc && err ? ": " : "",
                    rc && err && memchr(err, '\0', errlen) ? err : "", cfg.nr);
        CHECK(rc == 0 || rc == -1);
        CHECK(cfg.nr >= nr);
        CHECK(!nr || !memcmp(before, cfg.domains, nr * sizeof(*before)));
        if (rc) {
            CHECK(cfg.nr == nr && cfg.nr_files == nr_files);
            if (err)
                check_message(err, errlen, cfg_paths[i]);
        } else {
            CHECK(cfg.nr > nr && cfg.nr_files == nr_files + 1);
            CHECK(!strcmp(cfg.files[nr_files], cfg_paths[i]));
            for (size_t j = nr; j < cfg.nr; j++)
                check_domain(&cfg, j, cfg_paths[i], lines);
        }
        if (end == size - off)
            break;
        off += end + skip;
    }

    config_free(&cfg);
    CHECK(!cfg.domains && !cfg.nr && !cfg.files && !cfg.nr_files);
    free(before);
    free(err);
    return 0;
}
