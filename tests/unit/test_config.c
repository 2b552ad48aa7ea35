/*
 * test_config.c: the configuration files of `xenemu run` (tools/config.c).
 *
 * Every test runs in a fresh temporary directory (the current directory
 * while the group runs, so messages read "a.cfg:3: ...", as a user who
 * names a file in the current directory sees them) holding a dummy kernel
 * guest.elf and a subdirectory sub/ with its own kernel k.elf.
 */

/* realpath() is in POSIX.1-2008's XSI option. */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../tools/config.h"

/* The temporary directory, and what the tests created in it (removed by
 * the group teardown, in reverse order). */
#define MAX_CREATED 32
static char tmp_dir[] = "/tmp/xenemu-test-config-XXXXXX";
static char real_dir[PATH_MAX]; /* realpath(tmp_dir) */
static char old_cwd[PATH_MAX];
static char *created[MAX_CREATED];
static size_t nr_created;

static void remember(const char *name, bool is_dir)
{
    for (size_t i = 0; i < nr_created; i++)
        if (!strcmp(created[i] + 1, name))
            return;
    assert_true(nr_created < MAX_CREATED);
    created[nr_created] = malloc(strlen(name) + 2);
    assert_non_null(created[nr_created]);
    created[nr_created][0] = is_dir ? 'd' : 'f';
    strcpy(created[nr_created] + 1, name);
    nr_created++;
}

/* Write (len) bytes of (text) to the file (name) of the temporary
 * directory. */
static void put_bytes(const char *name, const char *text, size_t len)
{
    FILE *f = fopen(name, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    remember(name, false);
}

static void put_file(const char *name, const char *text)
{
    put_bytes(name, text, strlen(text));
}

static int group_setup(void **state)
{
    (void)state;
    if (!getcwd(old_cwd, sizeof(old_cwd)) || !mkdtemp(tmp_dir) ||
        !realpath(tmp_dir, real_dir) || chdir(tmp_dir))
        return -1;
    put_file("guest.elf", "\177ELF dummy kernel");
    if (mkdir("sub", 0755))
        return -1;
    remember("sub", true);
    put_file("sub/k.elf", "\177ELF another kernel");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    while (nr_created) {
        char *c = created[--nr_created];

        if (c[0] == 'd')
            rmdir(c + 1);
        else
            unlink(c + 1);
        free(c);
    }
    if (chdir(old_cwd))
        return -1;
    return rmdir(tmp_dir);
}

/* A kernel path as config_load() stores it: absolute, symlinks resolved. */
static const char *abs_path(const char *rel)
{
    static char buf[PATH_MAX];

    assert_true(snprintf(buf, sizeof(buf), "%s/%s", real_dir, rel) <
                (int)sizeof(buf));
    return buf;
}

/* What a failing check is about, when a loop over a table makes it. */
static char context[256];

static void load_ok(struct xenemu_config *cfg, const char *path)
{
    char err[256] = "";
    int rc = config_load(cfg, path, err, sizeof(err));

    if (rc)
        print_error("%s: config_load(%s): %s\n", context, path, err);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");
}

/* Load (path) into (cfg) expecting the error (msg), and check that (cfg)
 * did not change. */
static void load_fails(struct xenemu_config *cfg, const char *path,
                       const char *msg)
{
    struct xenemu_config before = *cfg;
    struct xenemu_domain_cfg *snapshot = NULL;
    char err[512] = "";

    if (cfg->nr) {
        snapshot = malloc(cfg->nr * sizeof(*snapshot));
        assert_non_null(snapshot);
        memcpy(snapshot, cfg->domains, cfg->nr * sizeof(*snapshot));
    }
    if (config_load(cfg, path, err, sizeof(err)) != -1 || strcmp(err, msg))
        fail_msg("%s: config_load(%s) gave '%s', expected '%s'", context, path,
                 err, msg);
    assert_null(strchr(err, '\n'));
    assert_int_equal(cfg->nr, before.nr);
    assert_int_equal(cfg->nr_files, before.nr_files);
    if (snapshot)
        assert_memory_equal(cfg->domains, snapshot,
                            cfg->nr * sizeof(*snapshot));
    else
        assert_null(cfg->domains);
    free(snapshot);
}

/* The smallest valid domain. */
#define MINIMAL "name = \"a\"\nkernel = \"guest.elf\"\n"

static void test_defaults(void **state)
{
    struct xenemu_config cfg = {0};
    const struct xenemu_domain_cfg *d;

    (void)state;
    put_file("a.cfg", MINIMAL);
    load_ok(&cfg, "a.cfg");
    assert_int_equal(cfg.nr, 1);
    d = &cfg.domains[0];
    assert_string_equal(d->name, "a");
    assert_int_equal(d->memory_mib, 16);
    assert_int_equal(d->vcpus, 1);
    assert_string_equal(d->kernel, abs_path("guest.elf"));
    assert_string_equal(d->cmdline, "");
    assert_int_equal(d->max_event_channels, 1023);
    assert_false(d->disable_evtchn_fifo);
    assert_int_equal(d->backend, XENEMU_BACKEND_AUTO);
    assert_int_equal(d->xen_version, XENEMU_VERSION(4, 17));
    assert_string_equal(d->file, "a.cfg");
    assert_int_equal(d->line, 1);
    assert_int_equal(cfg.nr_files, 1);
    assert_ptr_equal(d->file, cfg.files[0]);
    config_free(&cfg);
    assert_int_equal(cfg.nr, 0);
    assert_null(cfg.domains);
    assert_null(cfg.files);
}

/* Which field a value row checks. */
enum field {
    F_NAME,
    F_MEMORY,
    F_VCPUS,
    F_KERNEL, /* str: the path under the temporary directory */
    F_CMDLINE,
    F_MAX_EVTCHN,
    F_FIFO,
    F_BACKEND,
    F_VERSION,
};

struct value_case {
    const char *setting; /* one line, added to MINIMAL's other key */
    enum field field;
    uint64_t num;
    const char *str;
};

static const struct value_case value_cases[] = {
    {"name = \"ping\"", F_NAME, 0, "ping"},
    {"name = 'Az09_.-'", F_NAME, 0, "Az09_.-"},
    {"name = \"x\" # a comment", F_NAME, 0, "x"},
    /* The range every backend can run (docs/config.md). */
    {"memory = 2", F_MEMORY, 2, NULL},
    {"memory = 3840", F_MEMORY, 3840, NULL},
    {"memory = 0x100", F_MEMORY, 256, NULL},
    {"memory = 0X1f", F_MEMORY, 31, NULL},
    {"memory=32", F_MEMORY, 32, NULL},
    {" \t memory\t=  32 \t# thirty-two", F_MEMORY, 32, NULL},
    {"memory = 32\r", F_MEMORY, 32, NULL},
    {"vcpus = 1", F_VCPUS, 1, NULL},
    {"vcpus = 128", F_VCPUS, 128, NULL},
    {"kernel = \"guest.elf\"", F_KERNEL, 0, "guest.elf"},
    {"kernel = './guest.elf'", F_KERNEL, 0, "guest.elf"},
    {"kernel = \"sub/../sub/k.elf\"", F_KERNEL, 0, "sub/k.elf"},
    {"cmdline = \"console=hvc0 root=/dev/xvda\"", F_CMDLINE, 0,
     "console=hvc0 root=/dev/xvda"},
    {"cmdline = \"\"", F_CMDLINE, 0, ""},
    {"cmdline = ''", F_CMDLINE, 0, ""},
    {"cmdline = 'a # not a comment' # a comment", F_CMDLINE, 0,
     "a # not a comment"},
    {"cmdline = 'say \"hi\"'", F_CMDLINE, 0, "say \"hi\""},
    {"cmdline = \"it's\"", F_CMDLINE, 0, "it's"},
    {"cmdline = \"q=\\\"1 2\\\" b=\\\\ c=\\'\"", F_CMDLINE, 0,
     "q=\"1 2\" b=\\ c='"},
    {"cmdline = 'it\\'s'", F_CMDLINE, 0, "it's"},
    {"cmdline = \"caf\xc3\xa9\"", F_CMDLINE, 0, "caf\xc3\xa9"},
    {"max_event_channels = 1", F_MAX_EVTCHN, 1, NULL},
    {"max_event_channels = 131071", F_MAX_EVTCHN, 131071, NULL},
    {"max_event_channels = 4095", F_MAX_EVTCHN, 4095, NULL},
    {"disable_evtchn_fifo = 1", F_FIFO, 1, NULL},
    {"disable_evtchn_fifo = 0", F_FIFO, 0, NULL},
    {"disable_evtchn_fifo = true", F_FIFO, 1, NULL},
    {"disable_evtchn_fifo = false", F_FIFO, 0, NULL},
    {"backend = \"kvm\"", F_BACKEND, XENEMU_BACKEND_KVM, NULL},
    {"backend = 'sim'", F_BACKEND, XENEMU_BACKEND_SIM, NULL},
    {"backend = \"auto\"", F_BACKEND, XENEMU_BACKEND_AUTO, NULL},
    {"xen_version = \"4.3\"", F_VERSION, XENEMU_VERSION(4, 3), NULL},
    {"xen_version = \"4.17\"", F_VERSION, XENEMU_VERSION(4, 17), NULL},
    {"xen_version = \"3.0\"", F_VERSION, XENEMU_VERSION(3, 0), NULL},
    {"xen_version = \"4.99\"", F_VERSION, XENEMU_VERSION(4, 99), NULL},
    {"xen_version = '4.4'", F_VERSION, XENEMU_VERSION(4, 4), NULL},
    {"xen_version = \"4.10\"", F_VERSION, XENEMU_VERSION(4, 10), NULL},
};

static uint64_t field_num(const struct xenemu_domain_cfg *d, enum field f)
{
    switch (f) {
    case F_MEMORY:
        return d->memory_mib;
    case F_VCPUS:
        return d->vcpus;
    case F_MAX_EVTCHN:
        return d->max_event_channels;
    case F_FIFO:
        return d->disable_evtchn_fifo;
    case F_BACKEND:
        return d->backend;
    case F_VERSION:
        return d->xen_version;
    default:
        fail_msg("field %d is a string", f);
        return 0;
    }
}

static const char *field_str(const struct xenemu_domain_cfg *d, enum field f)
{
    switch (f) {
    case F_NAME:
        return d->name;
    case F_KERNEL:
        return d->kernel;
    case F_CMDLINE:
        return d->cmdline;
    default:
        fail_msg("field %d is a number", f);
        return NULL;
    }
}

/* Each value row: the key takes the value, and every other key keeps its
 * default. */
static void test_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
        const struct value_case *c = &value_cases[i];
        struct xenemu_config cfg = {0};
        char text[512];
        const struct xenemu_domain_cfg *d;
        bool ok;

        snprintf(text, sizeof(text), "%s%s\n",
                 c->field == F_NAME     ? "kernel = \"guest.elf\"\n"
                 : c->field == F_KERNEL ? "name = \"a\"\n"
                                        : MINIMAL,
                 c->setting);
        put_file("a.cfg", text);
        snprintf(context, sizeof(context), "value row %zu: %s", i, c->setting);
        load_ok(&cfg, "a.cfg");
        assert_int_equal(cfg.nr, 1);
        d = &cfg.domains[0];
        if (c->field == F_KERNEL)
            ok = !strcmp(d->kernel, abs_path(c->str));
        else if (c->field == F_NAME || c->field == F_CMDLINE)
            ok = !strcmp(field_str(d, c->field), c->str);
        else
            ok = field_num(d, c->field) == c->num;
        if (!ok)
            fail_msg("%s: wrong value", context);
        if (c->field != F_MEMORY)
            assert_int_equal(d->memory_mib, 16);
        if (c->field != F_FIFO)
            assert_false(d->disable_evtchn_fifo);
        if (c->field != F_VERSION)
            assert_int_equal(d->xen_version, XENEMU_VERSION(4, 17));
        config_free(&cfg);
    }
}

struct error_case {
    const char *text; /* written to a.cfg */
    const char *msg;
};

static const struct error_case error_cases[] = {
    /* Lines. */
    {MINIMAL "memory = 12x\n", "a.cfg:3: memory: '12x' is not an integer"},
    {"vpcus = 2\n", "a.cfg:1: unknown key 'vpcus'"},
    {MINIMAL "Memory = 16\n", "a.cfg:3: unknown key 'Memory'"},
    {MINIMAL "memory.x = 16\n", "a.cfg:3: unknown key 'memory.x'"},
    {MINIMAL "memory 16\n", "a.cfg:3: memory: expected '=' after the key"},
    {MINIMAL "memory\n", "a.cfg:3: memory: expected '=' after the key"},
    {MINIMAL "memory == 16\n", "a.cfg:3: memory: expected a value, got '= 16'"},
    {MINIMAL "= 16\n", "a.cfg:3: expected 'key = value', got '= 16'"},
    {MINIMAL "\"memory\" = 16\n",
     "a.cfg:3: expected 'key = value', got '\"memory\" = 16'"},
    {MINIMAL "memory = 16;\n",
     "a.cfg:3: memory: unexpected ';' after the value"},
    {MINIMAL "memory = 16 32\n",
     "a.cfg:3: memory: unexpected '32' after the value"},
    {MINIMAL "cmdline = \"a\" \"b\"   \n",
     "a.cfg:3: cmdline: unexpected '\"b\"' after the value"},
    {MINIMAL "memory =\n", "a.cfg:3: memory: missing value"},
    {MINIMAL "memory =   # none\n", "a.cfg:3: memory: missing value"},
    {MINIMAL "memory = @\n", "a.cfg:3: memory: expected a value, got '@'"},
    {"name = \"a\"\nname = \"b\"\nkernel = \"guest.elf\"\n",
     "a.cfg:2: name: already set on line 1"},
    {MINIMAL "\n# x\nmemory = 32\nmemory = 32\n",
     "a.cfg:6: memory: already set on line 5"},
    /* Strings. */
    {"name = \"a\n", "a.cfg:1: name: unterminated string"},
    {"name = 'a\"\n", "a.cfg:1: name: unterminated string"},
    {"name = \"a\\\"\n", "a.cfg:1: name: unterminated string"},
    {"name = \"a\\\n", "a.cfg:1: name: unterminated string"},
    {MINIMAL "cmdline = \"a\\nb\"\n",
     "a.cfg:3: cmdline: unsupported escape '\\n' in string "
     "(only \\\\, \\\" and \\')"},
    {MINIMAL "cmdline = \"a\tb\"\n",
     "a.cfg:3: cmdline: control character in string"},
    /* Lists. */
    {MINIMAL "memory = [ 1, 2 ]\n",
     "a.cfg:3: memory: expected an integer, got a list"},
    {MINIMAL "cmdline = [ 'a', \"b\", ]\n",
     "a.cfg:3: cmdline: expected a string in quotes, got a list"},
    {MINIMAL "cmdline = []\n",
     "a.cfg:3: cmdline: expected a string in quotes, got a list"},
    {MINIMAL "cmdline = [ # xl allows this\n  'a',\n\n  'b' # b\n]\n",
     "a.cfg:3: cmdline: expected a string in quotes, got a list"},
    {MINIMAL "memory = [ 1,\n 2,\n \"x ]\n",
     "a.cfg:5: memory: unterminated string"},
    {MINIMAL "memory = [ 1,\n 2\n", "a.cfg:3: memory: unterminated list"},
    {MINIMAL "memory = [ [ 1 ] ]\n",
     "a.cfg:3: memory: a list cannot contain a list"},
    {MINIMAL "memory = [ 1 2 ]\n",
     "a.cfg:3: memory: expected ',' or ']' in list, got '2 ]'"},
    {MINIMAL "memory = [ 1, , 2 ]\n",
     "a.cfg:3: memory: expected a value, got ', 2 ]'"},
    {MINIMAL "memory = [ 1,\n 2 ] x\n",
     "a.cfg:4: memory: unexpected 'x' after the value"},
    /* Kinds. */
    {"name = ping\n", "a.cfg:1: name: expected a string in quotes, got ping"},
    {MINIMAL "memory = \"16\"\n",
     "a.cfg:3: memory: expected an integer, got the string \"16\""},
    {MINIMAL "disable_evtchn_fifo = \"1\"\n",
     "a.cfg:3: disable_evtchn_fifo: expected a boolean, got the string \"1\""},
    {MINIMAL "backend = kvm\n",
     "a.cfg:3: backend: expected a string in quotes, got kvm"},
    {MINIMAL "xen_version = 4.17\n",
     "a.cfg:3: xen_version: expected a string in quotes, got 4.17"},
    /* Integers. */
    {MINIMAL "memory = 1\n", "a.cfg:3: memory: '1' is out of range 2..3840"},
    {MINIMAL "memory = 3841\n",
     "a.cfg:3: memory: '3841' is out of range 2..3840"},
    {MINIMAL "memory = 0x10001\n",
     "a.cfg:3: memory: '0x10001' is out of range 2..3840"},
    {MINIMAL "memory = -1\n", "a.cfg:3: memory: '-1' is out of range 2..3840"},
    {MINIMAL "memory = 99999999999999999999999\n",
     "a.cfg:3: memory: '99999999999999999999999' is out of range 2..3840"},
    {MINIMAL "memory = 016\n",
     "a.cfg:3: memory: '016' has a leading zero (octal in xl)"},
    {MINIMAL "memory = 0x\n", "a.cfg:3: memory: '0x' is not an integer"},
    {MINIMAL "memory = 0x1g\n", "a.cfg:3: memory: '0x1g' is not an integer"},
    {MINIMAL "memory = 1.5\n", "a.cfg:3: memory: '1.5' is not an integer"},
    {MINIMAL "memory = +5\n", "a.cfg:3: memory: '+5' is not an integer"},
    {MINIMAL "memory = -\n", "a.cfg:3: memory: '-' is not an integer"},
    {MINIMAL "memory = true\n", "a.cfg:3: memory: 'true' is not an integer"},
    {MINIMAL "vcpus = 0\n", "a.cfg:3: vcpus: '0' is out of range 1..128"},
    {MINIMAL "vcpus = 129\n", "a.cfg:3: vcpus: '129' is out of range 1..128"},
    {MINIMAL "max_event_channels = 0\n",
     "a.cfg:3: max_event_channels: '0' is out of range 1..131071"},
    {MINIMAL "max_event_channels = 131072\n",
     "a.cfg:3: max_event_channels: '131072' is out of range 1..131071"},
    /* Booleans. */
    {MINIMAL "disable_evtchn_fifo = 2\n",
     "a.cfg:3: disable_evtchn_fifo: '2' is not a boolean "
     "(0, 1, true or false)"},
    {MINIMAL "disable_evtchn_fifo = yes\n",
     "a.cfg:3: disable_evtchn_fifo: 'yes' is not a boolean "
     "(0, 1, true or false)"},
    {MINIMAL "disable_evtchn_fifo = TRUE\n",
     "a.cfg:3: disable_evtchn_fifo: 'TRUE' is not a boolean "
     "(0, 1, true or false)"},
    /* Strings with a meaning. */
    {"name = \"\"\n", "a.cfg:1: name: empty name"},
    {"name = \"a b\"\n",
     "a.cfg:1: name: 'a b' has characters other than A-Z a-z 0-9 _ . -"},
    {"name = \"a/b\"\n",
     "a.cfg:1: name: 'a/b' has characters other than A-Z a-z 0-9 _ . -"},
    {"name = \"caf\xc3\xa9\"\n",
     "a.cfg:1: name: 'caf\xc3\xa9' has characters other than "
     "A-Z a-z 0-9 _ . -"},
    {"kernel = \"guest.elf\"\nname = \"a\"\nname = \"b\"\n",
     "a.cfg:3: name: already set on line 2"},
    {"name = \"a\"\nkernel = \"\"\n", "a.cfg:2: kernel: empty path"},
    {"name = \"a\"\nkernel = \"missing.elf\"\n",
     "a.cfg:2: kernel: 'missing.elf' does not exist"},
    {"name = \"a\"\nkernel = \"k.elf\"\n",
     "a.cfg:2: kernel: 'k.elf' does not exist"},
    {"name = \"a\"\nkernel = \"sub\"\n",
     "a.cfg:2: kernel: 'sub' is not a regular file"},
    {"name = \"a\"\nkernel = \"/dev/null\"\n",
     "a.cfg:2: kernel: '/dev/null' is not a regular file"},
    {"name = \"a\"\nkernel = \"guest.elf/x\"\n",
     "a.cfg:2: kernel: 'guest.elf/x': Not a directory"},
    {MINIMAL "backend = \"xen\"\n",
     "a.cfg:3: backend: 'xen' is not kvm, sim or auto"},
    {MINIMAL "backend = \"KVM\"\n",
     "a.cfg:3: backend: 'KVM' is not kvm, sim or auto"},
    {MINIMAL "xen_version = \"4\"\n",
     "a.cfg:3: xen_version: '4' is not MAJOR.MINOR (such as \"4.17\")"},
    {MINIMAL "xen_version = \"4.\"\n",
     "a.cfg:3: xen_version: '4.' is not MAJOR.MINOR (such as \"4.17\")"},
    {MINIMAL "xen_version = \".4\"\n",
     "a.cfg:3: xen_version: '.4' is not MAJOR.MINOR (such as \"4.17\")"},
    {MINIMAL "xen_version = \"4.17.1\"\n",
     "a.cfg:3: xen_version: '4.17.1' is not MAJOR.MINOR (such as \"4.17\")"},
    {MINIMAL "xen_version = \"4.100\"\n",
     "a.cfg:3: xen_version: '4.100' is not MAJOR.MINOR (such as \"4.17\")"},
    {MINIMAL "xen_version = \"4.03\"\n",
     "a.cfg:3: xen_version: '4.03' is not MAJOR.MINOR (such as \"4.17\")"},
    {MINIMAL "xen_version = \" 4.3\"\n",
     "a.cfg:3: xen_version: ' 4.3' is not MAJOR.MINOR (such as \"4.17\")"},
    {MINIMAL "xen_version = \"2.99\"\n",
     "a.cfg:3: xen_version: '2.99' is out of range 3.0..4.99"},
    {MINIMAL "xen_version = \"5.0\"\n",
     "a.cfg:3: xen_version: '5.0' is out of range 3.0..4.99"},
    /* Domains. */
    {"", "a.cfg: no domain in file"},
    {"# nothing but\n\n   # comments\n", "a.cfg: no domain in file"},
    {"[domain]\n", "a.cfg: domain 1 has no 'name'"},
    {"name = \"a\"\n", "a.cfg: domain 1 has no 'kernel'"},
    {"kernel = \"guest.elf\"\n", "a.cfg: domain 1 has no 'name'"},
    {MINIMAL "[domain]\nkernel = \"guest.elf\"\n",
     "a.cfg: domain 2 has no 'name'"},
    {MINIMAL "[domain]\n[domain]\n" MINIMAL, "a.cfg: domain 2 has no 'name'"},
    {MINIMAL "[domain]\nname = \"b\"\n", "a.cfg: domain 2 has no 'kernel'"},
    {MINIMAL "[domain]\nkernel = \"guest.elf\"\nname = \"a\"\n",
     "a.cfg:5: name: 'a' is already used (a.cfg:1)"},
    {"[domain ]\n", "a.cfg:1: unknown section '[domain ]' (only [domain])"},
    {"[Domain]\n", "a.cfg:1: unknown section '[Domain]' (only [domain])"},
    {"[domains]\n", "a.cfg:1: unknown section '[domains]' (only [domain])"},
    {"[domain] x\n", "a.cfg:1: unexpected 'x' after [domain]"},
    {"[domain]x\n", "a.cfg:1: unexpected 'x' after [domain]"},
};

/* Each error row fails with exactly its message, into an empty
 * configuration and into one that already holds a domain, and neither
 * changes. */
static void test_errors(void **state)
{
    struct xenemu_config loaded = {0};

    (void)state;
    put_file("base.cfg", "name = \"base\"\nkernel = \"guest.elf\"\n");
    load_ok(&loaded, "base.cfg");
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        struct xenemu_config cfg = {0};

        snprintf(context, sizeof(context), "error row %zu", i);
        put_file("a.cfg", error_cases[i].text);
        load_fails(&cfg, "a.cfg", error_cases[i].msg);
        load_fails(&loaded, "a.cfg", error_cases[i].msg);
    }
    assert_int_equal(loaded.nr, 1);
    assert_string_equal(loaded.domains[0].name, "base");
    config_free(&loaded);
}

/* The limits of the string keys, written out rather than in the table. */
static void test_string_lengths(void **state)
{
    static const struct {
        const char *key;
        size_t len;
        const char *msg; /* NULL: loads */
    } cases[] = {
        {"name", 63, NULL},
        {"name", 64, "a.cfg:1: name: '%s' is longer than 63 characters"},
        {"cmdline", 2047, NULL},
        {"cmdline", 2048, "a.cfg:1: cmdline: longer than 2047 characters"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct xenemu_config cfg = {0};
        char value[4096], text[8192], msg[8192];
        bool is_name = !strcmp(cases[i].key, "name");

        memset(value, 'v', cases[i].len);
        value[cases[i].len] = '\0';
        snprintf(text, sizeof(text), "%s = \"%s\"\n%s\n", cases[i].key, value,
                 is_name ? "kernel = 'guest.elf'"
                         : "name = 'a'\nkernel = 'guest.elf'");
        put_file("a.cfg", text);
        if (!cases[i].msg) {
            load_ok(&cfg, "a.cfg");
            assert_string_equal(
                is_name ? cfg.domains[0].name : cfg.domains[0].cmdline, value);
            config_free(&cfg);
            continue;
        }
        snprintf(msg, sizeof(msg), cases[i].msg, value);
        load_fails(&cfg, "a.cfg", msg);
    }
}

static void test_nul_byte(void **state)
{
    static const char text[] = "name = \"a\"\nkernel = \"guest\0.elf\"\n";
    struct xenemu_config cfg = {0};

    (void)state;
    put_bytes("a.cfg", text, sizeof(text) - 1);
    load_fails(&cfg, "a.cfg", "a.cfg:2: NUL byte in line");
}

/* Run config_load(path) as the user nobody in a child process: 0 if it
 * fails with (msg), 1 if not, 2 if the child could not become nobody. */
static int load_fails_as_nobody(const char *path, const char *msg)
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        struct xenemu_config cfg = {0};
        char err[256] = "";

        if (setgid(65534) || setuid(65534))
            _exit(2);
        if (config_load(&cfg, path, err, sizeof(err)) == -1 &&
            !strcmp(err, msg))
            _exit(0);
        fprintf(stderr, "as nobody: config_load(%s) gave '%s'\n", path, err);
        _exit(1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Root reads every file whatever its mode, so as root the check runs in a
 * child that became nobody. */
static void test_kernel_unreadable(void **state)
{
    static const char msg[] = "a.cfg:2: kernel: 'locked.elf' is not readable";
    struct xenemu_config cfg = {0};
    int rc;

    (void)state;
    put_file("locked.elf", "\177ELF");
    assert_int_equal(chmod("locked.elf", 0), 0);
    put_file("a.cfg", "name = \"a\"\nkernel = \"locked.elf\"\n");
    if (geteuid() != 0) {
        load_fails(&cfg, "a.cfg", msg);
        return;
    }
    /* nobody needs to reach the directory (mkdtemp made it 0700) and read
     * the config (whatever the umask). */
    assert_int_equal(chmod(".", 0755), 0);
    assert_int_equal(chmod("a.cfg", 0644), 0);
    rc = load_fails_as_nobody("a.cfg", msg);
    assert_int_equal(chmod(".", 0700), 0);
    if (rc == 2)
        skip();
    assert_int_equal(rc, 0);
}

static void test_file_errors(void **state)
{
    struct xenemu_config cfg = {0};
    char err[16];

    (void)state;
    load_fails(&cfg, "nope.cfg",
               "nope.cfg: cannot open: No such file or directory");
    /* Only regular files are read (regression: a named pipe blocked
     * forever). */
    load_fails(&cfg, "sub", "sub: not a regular file");
    assert_int_equal(mkfifo("pipe.cfg", 0600), 0);
    load_fails(&cfg, "pipe.cfg", "pipe.cfg: not a regular file");
    unlink("pipe.cfg");

    /* A short buffer gets the start of the message, terminated. */
    put_file("a.cfg", "vpcus = 2\n");
    assert_int_equal(config_load(&cfg, "a.cfg", err, sizeof(err)), -1);
    assert_string_equal(err, "a.cfg:1: unknow");
    assert_int_equal(config_load(&cfg, "a.cfg", err, 1), -1);
    assert_string_equal(err, "");
    /* No buffer at all. */
    assert_int_equal(config_load(&cfg, "a.cfg", NULL, 0), -1);
    assert_int_equal(cfg.nr, 0);
}

/* Three domains in one file: keys before the first [domain] form the
 * first one, each [domain] starts from the defaults again, and the same key
 * may appear once per domain. */
static void test_multi_domain(void **state)
{
    struct xenemu_config cfg = {0};

    (void)state;
    put_file("multi.cfg", "# ping and pong\n"
                          "name = 'ping'\n"
                          "kernel = 'guest.elf'\n"
                          "memory = 64\n"
                          "disable_evtchn_fifo = 1\n"
                          "\n"
                          "[domain]\n"
                          "kernel = 'sub/k.elf'\n"
                          "name = 'pong'\n"
                          "  [domain]   # the third\n"
                          "name = 'third'\n"
                          "kernel = 'guest.elf'\n"
                          "memory = 128\n"
                          "xen_version = '4.3'\n");
    load_ok(&cfg, "multi.cfg");
    assert_int_equal(cfg.nr, 3);
    assert_int_equal(cfg.nr_files, 1);

    assert_string_equal(cfg.domains[0].name, "ping");
    assert_int_equal(cfg.domains[0].line, 2);
    assert_int_equal(cfg.domains[0].memory_mib, 64);
    assert_true(cfg.domains[0].disable_evtchn_fifo);

    assert_string_equal(cfg.domains[1].name, "pong");
    assert_int_equal(cfg.domains[1].line, 9);
    assert_string_equal(cfg.domains[1].kernel, abs_path("sub/k.elf"));
    assert_int_equal(cfg.domains[1].memory_mib, 16);
    assert_false(cfg.domains[1].disable_evtchn_fifo);

    assert_string_equal(cfg.domains[2].name, "third");
    assert_int_equal(cfg.domains[2].line, 11);
    assert_int_equal(cfg.domains[2].memory_mib, 128);
    assert_int_equal(cfg.domains[2].xen_version, XENEMU_VERSION(4, 3));
    assert_false(cfg.domains[2].disable_evtchn_fifo);

    for (size_t i = 0; i < cfg.nr; i++)
        assert_ptr_equal(cfg.domains[i].file, cfg.files[0]);
    config_free(&cfg);
}

/* A file may begin with [domain], before or after comments, and may use
 * DOS line endings. */
static void test_leading_section(void **state)
{
    static const char *const texts[] = {
        "[domain]\n" MINIMAL,
        "# comment\n\n[domain]\n" MINIMAL,
        "[domain]\r\nname = \"a\"\r\nkernel = \"guest.elf\"\r\n",
    };
    static const unsigned int name_line[] = {2, 4, 2};

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct xenemu_config cfg = {0};

        put_file("a.cfg", texts[i]);
        load_ok(&cfg, "a.cfg");
        assert_int_equal(cfg.nr, 1);
        assert_string_equal(cfg.domains[0].name, "a");
        assert_int_equal(cfg.domains[0].line, name_line[i]);
        config_free(&cfg);
    }
}

/* Several files appended into one configuration; names are unique across
 * all of them, and a failed file leaves the others loaded. */
static void test_several_files(void **state)
{
    struct xenemu_config cfg = {0};

    (void)state;
    put_file("a.cfg", "name = 'ping'\nkernel = 'guest.elf'\n"
                      "[domain]\nname = 'pong'\nkernel = 'guest.elf'\n");
    put_file("b.cfg", "name = 'ping'\nkernel = 'guest.elf'\n");
    put_file("c.cfg", "# c\nname = 'c'\nkernel = 'guest.elf'\nvcpus = 4\n");
    put_file("d.cfg", "name = 'd'\nkernel = 'guest.elf'\n"
                      "[domain]\nkernel = 'guest.elf'\nname = 'pong'\n");

    load_ok(&cfg, "a.cfg");
    load_fails(&cfg, "b.cfg",
               "b.cfg:1: name: 'ping' is already used (a.cfg:1)");
    load_ok(&cfg, "c.cfg");
    /* 'd' is fine, its second domain is not: nothing of d.cfg stays. */
    load_fails(&cfg, "d.cfg",
               "d.cfg:5: name: 'pong' is already used (a.cfg:4)");
    /* The same file twice is the same names twice. */
    load_fails(&cfg, "c.cfg", "c.cfg:2: name: 'c' is already used (c.cfg:2)");

    assert_int_equal(cfg.nr, 3);
    assert_int_equal(cfg.nr_files, 2);
    assert_string_equal(cfg.files[0], "a.cfg");
    assert_string_equal(cfg.files[1], "c.cfg");
    assert_string_equal(cfg.domains[0].name, "ping");
    assert_string_equal(cfg.domains[1].name, "pong");
    assert_string_equal(cfg.domains[2].name, "c");
    assert_ptr_equal(cfg.domains[0].file, cfg.files[0]);
    assert_ptr_equal(cfg.domains[1].file, cfg.files[0]);
    assert_ptr_equal(cfg.domains[2].file, cfg.files[1]);
    assert_int_equal(cfg.domains[2].line, 2);
    assert_int_equal(cfg.domains[2].vcpus, 4);
    config_free(&cfg);
}

/* Relative kernel paths are relative to the config file's directory, not
 * to the current one; absolute ones are taken as they are. */
static void test_kernel_paths(void **state)
{
    struct xenemu_config cfg = {0};
    char text[PATH_MAX + 64], path[PATH_MAX + 16];

    (void)state;
    put_file("sub/b.cfg", "name = 'b1'\nkernel = 'k.elf'\n"
                          "[domain]\nname = 'b2'\nkernel = '../guest.elf'\n");
    load_ok(&cfg, "sub/b.cfg");
    assert_string_equal(cfg.domains[0].kernel, abs_path("sub/k.elf"));
    assert_string_equal(cfg.domains[1].kernel, abs_path("guest.elf"));

    /* The config named by an absolute path, the kernel too. */
    snprintf(text, sizeof(text), "name = 'c'\nkernel = '%s/sub/k.elf'\n",
             real_dir);
    put_file("sub/c.cfg", text);
    snprintf(path, sizeof(path), "%s/sub/c.cfg", real_dir);
    load_ok(&cfg, path);
    assert_string_equal(cfg.domains[2].kernel, abs_path("sub/k.elf"));
    assert_string_equal(cfg.domains[2].file, path);

    /* guest.elf is in the current directory, not in the config's. */
    put_file("sub/d.cfg", "name = 'd'\nkernel = 'guest.elf'\n");
    load_fails(&cfg, "sub/d.cfg",
               "sub/d.cfg:2: kernel: 'guest.elf' does not exist");
    config_free(&cfg);
}

/* config_to_domain(): xl's creation arguments for an HVM guest with HAP,
 * which domain_create() accepts. */
static void test_to_domain(void **state)
{
    static const struct {
        const char *settings;
        uint32_t flags;
        uint32_t max_vcpus, max_evtchn_port, xen_version;
        bool has_fifo;
    } cases[] = {
        {"", 0, 1, 1023, XENEMU_VERSION(4, 17), true},
        {"disable_evtchn_fifo = 1\n", XEN_DOMCTL_CDF_disable_fifo, 1, 1023,
         XENEMU_VERSION(4, 17), false},
        {"vcpus = 128\nmax_event_channels = 131071\n", 0, 128, 131071,
         XENEMU_VERSION(4, 17), true},
        {"vcpus = 2\nmax_event_channels = 1\nxen_version = '4.3'\n", 0, 2, 1,
         XENEMU_VERSION(4, 3), false},
        {"xen_version = '3.0'\nmemory = 64\nbackend = 'sim'\n", 0, 1, 1023,
         XENEMU_VERSION(3, 0), false},
        {"xen_version = '4.99'\ncmdline = 'x'\n", 0, 1, 1023,
         XENEMU_VERSION(4, 99), true},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct xenemu_config cfg = {0};
        struct domain_config dc, expect;
        struct hv *hv;
        struct domain *d;
        char text[256];

        snprintf(context, sizeof(context), "to_domain row %zu", i);
        snprintf(text, sizeof(text), MINIMAL "%s", cases[i].settings);
        put_file("a.cfg", text);
        load_ok(&cfg, "a.cfg");
        memset(&dc, 0xa5, sizeof(dc));
        config_to_domain(&cfg.domains[0], &dc);
        /* Every field not set here is zero, as xl leaves it for such a
         * guest (no UUID, ssidref, IOMMU, cpupool, ...). */
        memset(&expect, 0, sizeof(expect));
        expect.create.flags =
            XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap | cases[i].flags;
        expect.create.max_vcpus = cases[i].max_vcpus;
        expect.create.max_evtchn_port = cases[i].max_evtchn_port;
        expect.create.max_grant_frames = -1;
        expect.create.max_maptrack_frames = -1;
        expect.xen_version = cases[i].xen_version;
        assert_int_equal(dc.create.flags, expect.create.flags);
        assert_int_equal(dc.create.max_vcpus, expect.create.max_vcpus);
        assert_memory_equal(&dc, &expect, sizeof(dc));

        hv = harness_hv();
        assert_int_equal(domain_create(hv, 0, &dc, &d), 0);
        assert_int_equal(d->max_vcpus, cases[i].max_vcpus);
        assert_int_equal(d->max_evtchn_port, cases[i].max_evtchn_port);
        assert_int_equal(d->xen_version, cases[i].xen_version);
        assert_int_equal(domain_has_fifo(d), cases[i].has_fifo);
        domain_destroy(d);
        domain_put(d);
        hv_destroy(hv);
        config_free(&cfg);
    }
}

static void test_backend_names(void **state)
{
    (void)state;
    assert_string_equal(config_backend_name(XENEMU_BACKEND_AUTO), "auto");
    assert_string_equal(config_backend_name(XENEMU_BACKEND_KVM), "kvm");
    assert_string_equal(config_backend_name(XENEMU_BACKEND_SIM), "sim");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_string_lengths),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_kernel_unreadable),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_multi_domain),
        cmocka_unit_test(test_leading_section),
        cmocka_unit_test(test_several_files),
        cmocka_unit_test(test_kernel_paths),
        cmocka_unit_test(test_to_domain),
        cmocka_unit_test(test_backend_names),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
