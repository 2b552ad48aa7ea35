/*
 * config.c: the xl.cfg-style configuration files of `xenemu run`.
 *
 * A small hand-written parser rather than a copy of xl's flex/bison
 * grammar: the format is a handful of token kinds, and every error has to
 * name its file, line and key on one line, which is easiest when the parser
 * knows at each step which key it is reading.  Files are read a line at a
 * time; only a list may continue on the next lines, as in xl.
 *
 * Nothing is half-loaded: a file's domains are built in the parser's own
 * array and appended to the caller's configuration only once the whole
 * file has been read without error.
 */

/* realpath() is in POSIX.1-2008's XSI option, which _POSIX_C_SOURCE alone
 * leaves out. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "config.h"

/* Characters of a bare word (a number, true/false) and of a key. */
#define WORD_CHARS                                                             \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-"
/* Characters of a domain name: safe in file names and messages. */
#define NAME_CHARS                                                             \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
#define DIGITS "0123456789"

#define SECTION_DOMAIN "[domain]"

/* A value as written, before the key gives it a meaning. */
enum value_kind {
    VALUE_STRING, /* quoted; text is unquoted and unescaped */
    VALUE_WORD,   /* bare: a number or a boolean */
    VALUE_LIST,
};

struct value {
    enum value_kind kind;
    char *text;          /* VALUE_STRING, VALUE_WORD */
    struct value *items; /* VALUE_LIST: strings and words */
    size_t nr_items;
};

enum key_type { KEY_STRING, KEY_INT, KEY_BOOL };

struct parser;

struct key_def {
    const char *name;
    enum key_type type;
    bool required;
    uint64_t min, max; /* KEY_INT */
    int (*apply)(struct parser *ps, const struct value *v,
                 struct xenemu_domain_cfg *d);
};

#define NR_KEYS 9

struct parser {
    const char *path;   /* the file, as the caller named it */
    char dir[PATH_MAX]; /* its directory, for relative kernel paths */
    FILE *f;
    char *line; /* the current line, line ending and trailing blanks cut */
    size_t line_cap;
    unsigned int lineno;
    const char *p; /* cursor in line */
    char *err;
    size_t errlen;

    const struct xenemu_config *loaded; /* earlier files' domains */
    struct xenemu_domain_cfg *doms;     /* this file's; the last is open */
    size_t nr_doms;
    bool in_domain;

    /* The setting being read: its key (NULL before the key is known), the
     * line it started on, and where each key of the open domain was set
     * (0: not yet). */
    const struct key_def *key;
    unsigned int key_lineno;
    unsigned int set_on[NR_KEYS];
};

/*
 * Errors.  Every message is "file[:line]: [key: ]text"; (line) 0 leaves the
 * line out.  Values quoted in messages never hold a newline: lines are split
 * before parsing and strings refuse control characters.
 */
static int vfail_at(struct parser *ps, unsigned int line, const char *key,
                    const char *fmt, va_list ap)
{
    int n;

    if (!ps->err || !ps->errlen)
        return -1;
    n = line ? snprintf(ps->err, ps->errlen, "%s:%u: ", ps->path, line)
             : snprintf(ps->err, ps->errlen, "%s: ", ps->path);
    if (n >= 0 && (size_t)n < ps->errlen && key)
        n += snprintf(ps->err + n, ps->errlen - n, "%s: ", key);
    if (n >= 0 && (size_t)n < ps->errlen)
        vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
    return -1;
}

/* An error about the file as a whole: no line, no key. */
static int fail_file(struct parser *ps, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail_at(ps, 0, NULL, fmt, ap);
    va_end(ap);
    return -1;
}

/* A syntax error at the current line (a list may span several). */
static int fail_syntax(struct parser *ps, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail_at(ps, ps->lineno, ps->key ? ps->key->name : NULL, fmt, ap);
    va_end(ap);
    return -1;
}

/* A value the key cannot take: reported at the line of the key. */
static int fail_value(struct parser *ps, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail_at(ps, ps->key_lineno, ps->key->name, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_oom(struct parser *ps)
{
    return fail_file(ps, "out of memory");
}

/* Lines. */

/* Read the next line: 1, 0 at the end of the file, -1 on error. */
static int next_line(struct parser *ps)
{
    ssize_t n;

    errno = 0;
    n = getline(&ps->line, &ps->line_cap, ps->f);
    if (n < 0) {
        if (feof(ps->f))
            return 0;
        return fail_file(ps, "read error: %s", strerror(errno));
    }
    ps->lineno++;
    /* A NUL would silently cut the line short for every string function. */
    if (memchr(ps->line, '\0', (size_t)n))
        return fail_syntax(ps, "NUL byte in line");
    /* Cuts "\n", "\r\n" and trailing blanks, so the rest of a line quoted
     * in a message ends where the visible text does. */
    while (n > 0 && strchr(" \t\r\n\f\v", ps->line[n - 1]))
        ps->line[--n] = '\0';
    ps->p = ps->line;
    return 1;
}

static void skip_blanks(struct parser *ps)
{
    ps->p += strspn(ps->p, " \t");
}

/* Nothing left on the line but possibly a comment? */
static bool at_line_end(const struct parser *ps)
{
    return *ps->p == '\0' || *ps->p == '#';
}

/* Values. */

static void value_free(struct value *v)
{
    for (size_t i = 0; i < v->nr_items; i++)
        value_free(&v->items[i]);
    free(v->items);
    free(v->text);
    memset(v, 0, sizeof(*v));
}

/*
 * A quoted string.  As in xl either quote works and a backslash escapes the
 * quotes and itself; xl's other escapes (\n, \t, \x41, ...) only make
 * control characters, which no key accepts, so they are refused along with
 * raw control characters.
 */
static int parse_string(struct parser *ps, struct value *v)
{
    char quote = *ps->p++;
    char *out = malloc(strlen(ps->p) + 1);
    size_t len = 0;

    if (!out)
        return fail_oom(ps);
    v->kind = VALUE_STRING;
    v->text = out;
    for (;;) {
        char c = *ps->p;

        if (c == '\0')
            return fail_syntax(ps, "unterminated string");
        ps->p++;
        if (c == quote)
            break;
        if (c == '\\') {
            c = *ps->p;
            if (c == '\0')
                return fail_syntax(ps, "unterminated string");
            if (c != '\\' && c != '"' && c != '\'')
                return fail_syntax(ps,
                                   "unsupported escape '\\%c' in string "
                                   "(only \\\\, \\\" and \\')",
                                   c);
            ps->p++;
        } else if ((unsigned char)c < 0x20 || c == 0x7f) {
            return fail_syntax(ps, "control character in string");
        }
        out[len++] = c;
    }
    out[len] = '\0';
    return 0;
}

static int parse_value(struct parser *ps, struct value *v, bool in_list);

/* Inside a list, blanks, comments and line ends separate tokens (as in
 * xl), so a list may be written over several lines. */
static int skip_list_space(struct parser *ps)
{
    for (;;) {
        int r;

        skip_blanks(ps);
        if (!at_line_end(ps))
            return 0;
        r = next_line(ps);
        if (r < 0)
            return -1;
        if (r == 0)
            return fail_value(ps, "unterminated list");
    }
}

static int add_item(struct parser *ps, struct value *list)
{
    struct value *items =
        realloc(list->items, (list->nr_items + 1) * sizeof(*items));

    if (!items)
        return fail_oom(ps);
    list->items = items;
    memset(&items[list->nr_items], 0, sizeof(*items));
    /* Counted before it is parsed, so value_free() frees a half-parsed
     * item. */
    return parse_value(ps, &items[list->nr_items++], true);
}

/* `[ a, b, ... ]`: strings and words, an optional trailing comma. */
static int parse_list(struct parser *ps, struct value *v)
{
    v->kind = VALUE_LIST;
    ps->p++; /* '[' */
    for (;;) {
        if (skip_list_space(ps))
            return -1;
        if (*ps->p == ']')
            break;
        if (add_item(ps, v) || skip_list_space(ps))
            return -1;
        if (*ps->p == ']')
            break;
        if (*ps->p != ',')
            return fail_syntax(ps, "expected ',' or ']' in list, got '%s'",
                               ps->p);
        ps->p++;
    }
    ps->p++; /* ']' */
    return 0;
}

/* One value at the cursor.  On error (v) may hold allocations: the caller
 * frees it either way. */
static int parse_value(struct parser *ps, struct value *v, bool in_list)
{
    size_t n;

    skip_blanks(ps);
    if (*ps->p == '"' || *ps->p == '\'')
        return parse_string(ps, v);
    if (*ps->p == '[') {
        if (in_list)
            return fail_syntax(ps, "a list cannot contain a list");
        return parse_list(ps, v);
    }
    n = strspn(ps->p, WORD_CHARS);
    if (n) {
        v->kind = VALUE_WORD;
        v->text = strndup(ps->p, n);
        if (!v->text)
            return fail_oom(ps);
        ps->p += n;
        return 0;
    }
    if (at_line_end(ps))
        return fail_syntax(ps, "missing value");
    return fail_syntax(ps, "expected a value, got '%s'", ps->p);
}

/* Typed values. */

/* Does the value's kind fit the key's type?  Says what was wrong if not. */
static int check_kind(struct parser *ps, const struct value *v)
{
    static const char *const expected[] = {
        [KEY_STRING] = "a string in quotes",
        [KEY_INT] = "an integer",
        [KEY_BOOL] = "a boolean",
    };
    enum key_type type = ps->key->type;

    if (v->kind == VALUE_LIST)
        return fail_value(ps, "expected %s, got a list", expected[type]);
    if (type == KEY_STRING && v->kind == VALUE_WORD)
        return fail_value(ps, "expected %s, got %s", expected[type], v->text);
    if (type != KEY_STRING && v->kind == VALUE_STRING)
        return fail_value(ps, "expected %s, got the string \"%s\"",
                          expected[type], v->text);
    return 0;
}

/*
 * A decimal or 0x-hexadecimal integer from (min) to (max), all of (s).  A
 * decimal with a leading 0 is refused: xl (strtol() in base 0) reads "010"
 * as octal 8, and silently reading it as 10 would be worse than an error.
 * A negative number is an integer, only out of range.
 */
static int word_to_uint(struct parser *ps, const char *s, uint64_t min,
                        uint64_t max, uint64_t *out)
{
    const char *digits = s + (*s == '-');
    bool hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
    unsigned long long n;
    char *end;

    if (hex)
        digits += 2;
    /* strtoull() would skip blanks and take a sign before the digits. */
    if (!*digits || !strchr(hex ? DIGITS "abcdefABCDEF" : DIGITS, *digits))
        return fail_value(ps, "'%s' is not an integer", s);
    errno = 0;
    n = strtoull(digits, &end, hex ? 16 : 10);
    if (*end)
        return fail_value(ps, "'%s' is not an integer", s);
    if (!hex && digits[0] == '0' && digits[1])
        return fail_value(ps, "'%s' has a leading zero (octal in xl)", s);
    if (errno == ERANGE || (*s == '-' && n) || n < min || n > max)
        return fail_value(ps, "'%s' is out of range %llu..%llu", s,
                          (unsigned long long)min, (unsigned long long)max);
    *out = n;
    return 0;
}

static int value_to_uint(struct parser *ps, const struct value *v,
                         uint64_t *out)
{
    return word_to_uint(ps, v->text, ps->key->min, ps->key->max, out);
}

/* Booleans as xl writes them (0 and 1), and the words. */
static int value_to_bool(struct parser *ps, const struct value *v, bool *out)
{
    if (!strcmp(v->text, "1") || !strcmp(v->text, "true")) {
        *out = true;
        return 0;
    }
    if (!strcmp(v->text, "0") || !strcmp(v->text, "false")) {
        *out = false;
        return 0;
    }
    return fail_value(ps, "'%s' is not a boolean (0, 1, true or false)",
                      v->text);
}

/* The keys.  Each apply function gets a value of the key's kind. */

/* Names appear in messages and, later, as host file names: a small
 * alphabet, and unique across the run so that they identify a domain. */
static int apply_name(struct parser *ps, const struct value *v,
                      struct xenemu_domain_cfg *d)
{
    const char *s = v->text;
    size_t len = strlen(s);

    if (len == 0)
        return fail_value(ps, "empty name");
    if (len >= sizeof(d->name))
        return fail_value(ps, "'%s' is longer than %zu characters", s,
                          sizeof(d->name) - 1);
    if (s[strspn(s, NAME_CHARS)])
        return fail_value(
            ps, "'%s' has characters other than A-Z a-z 0-9 _ . -", s);
    for (size_t i = 0; i < ps->loaded->nr + ps->nr_doms; i++) {
        const struct xenemu_domain_cfg *o = i < ps->loaded->nr
                                                ? &ps->loaded->domains[i]
                                                : &ps->doms[i - ps->loaded->nr];

        if (!strcmp(o->name, s))
            return fail_value(ps, "'%s' is already used (%s:%u)", s, o->file,
                              o->line);
    }
    memcpy(d->name, s, len + 1);
    d->line = ps->key_lineno;
    return 0;
}

static int apply_memory(struct parser *ps, const struct value *v,
                        struct xenemu_domain_cfg *d)
{
    return value_to_uint(ps, v, &d->memory_mib);
}

static int apply_vcpus(struct parser *ps, const struct value *v,
                       struct xenemu_domain_cfg *d)
{
    uint64_t n;

    if (value_to_uint(ps, v, &n))
        return -1;
    d->vcpus = (unsigned int)n;
    return 0;
}

/*
 * The kernel must be there when the file is loaded, so that a typo is
 * reported with its line rather than when the domain boots.  A relative
 * path is relative to the config file, not to wherever xenemu was started,
 * and is stored absolute (realpath) so later steps need not know that.
 */
static int apply_kernel(struct parser *ps, const struct value *v,
                        struct xenemu_domain_cfg *d)
{
    const char *s = v->text;
    char path[PATH_MAX];
    struct stat st;
    int n, fd;

    if (!*s)
        return fail_value(ps, "empty path");
    n = s[0] == '/' ? snprintf(path, sizeof(path), "%s", s)
                    : snprintf(path, sizeof(path), "%s/%s", ps->dir, s);
    if (n < 0 || (size_t)n >= sizeof(path))
        return fail_value(ps, "'%s': path too long", s);
    if (stat(path, &st))
        return errno == ENOENT ? fail_value(ps, "'%s' does not exist", s)
                               : fail_value(ps, "'%s': %s", s, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail_value(ps, "'%s' is not a regular file", s);
    /* open() rather than access(): it is what the loader will do, and it
     * also sees ACLs and security modules. */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == EACCES ? fail_value(ps, "'%s' is not readable", s)
                               : fail_value(ps, "'%s': %s", s, strerror(errno));
    close(fd);
    if (!realpath(path, d->kernel))
        return fail_value(ps, "'%s': %s", s, strerror(errno));
    return 0;
}

static int apply_cmdline(struct parser *ps, const struct value *v,
                         struct xenemu_domain_cfg *d)
{
    size_t len = strlen(v->text);

    if (len >= sizeof(d->cmdline))
        return fail_value(ps, "longer than %zu characters",
                          sizeof(d->cmdline) - 1);
    memcpy(d->cmdline, v->text, len + 1);
    return 0;
}

static int apply_max_event_channels(struct parser *ps, const struct value *v,
                                    struct xenemu_domain_cfg *d)
{
    uint64_t n;

    if (value_to_uint(ps, v, &n))
        return -1;
    d->max_event_channels = (uint32_t)n;
    return 0;
}

static int apply_disable_evtchn_fifo(struct parser *ps, const struct value *v,
                                     struct xenemu_domain_cfg *d)
{
    return value_to_bool(ps, v, &d->disable_evtchn_fifo);
}

static int apply_backend(struct parser *ps, const struct value *v,
                         struct xenemu_domain_cfg *d)
{
    static const enum xenemu_backend all[] = {
        XENEMU_BACKEND_AUTO, XENEMU_BACKEND_KVM, XENEMU_BACKEND_SIM};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (!strcmp(v->text, config_backend_name(all[i]))) {
            d->backend = all[i];
            return 0;
        }
    }
    return fail_value(ps, "'%s' is not kvm, sim or auto", v->text);
}

/*
 * "MAJOR.MINOR", both decimal, from 3.0 to 4.99 (what domain_create()
 * accepts).  A leading zero in the minor is refused: "4.03" could mean 4.3
 * or be a typo of 4.13.
 */
static int apply_xen_version(struct parser *ps, const struct value *v,
                             struct xenemu_domain_cfg *d)
{
    const char *s = v->text;
    size_t major_len = strspn(s, DIGITS);
    const char *minor = s + major_len + 1;
    size_t minor_len = strspn(minor, DIGITS);
    unsigned long major_n, minor_n;

    if (major_len == 0 || major_len > 2 || s[major_len] != '.' ||
        minor_len == 0 || minor_len > 2 || minor[minor_len] ||
        (minor[0] == '0' && minor_len > 1))
        return fail_value(ps, "'%s' is not MAJOR.MINOR (such as \"4.17\")", s);
    /* At most two digits each: no overflow, and the ends were checked. */
    major_n = strtoul(s, NULL, 10);
    minor_n = strtoul(minor, NULL, 10);
    if (major_n < 3 || major_n > 4)
        return fail_value(ps, "'%s' is out of range 3.0..4.99", s);
    d->xen_version = XENEMU_VERSION(major_n, minor_n);
    return 0;
}

/* In the order of docs/config.md. */
static const struct key_def keys[] = {
    {"name", KEY_STRING, true, 0, 0, apply_name},
    {"memory", KEY_INT, false, XENEMU_CFG_MIN_MEMORY_MIB,
     XENEMU_CFG_MAX_MEMORY_MIB, apply_memory},
    {"vcpus", KEY_INT, false, 1, DOMAIN_MAX_VCPUS, apply_vcpus},
    {"kernel", KEY_STRING, true, 0, 0, apply_kernel},
    {"cmdline", KEY_STRING, false, 0, 0, apply_cmdline},
    {"max_event_channels", KEY_INT, false, 1, XENEMU_CFG_MAX_EVENT_CHANNELS,
     apply_max_event_channels},
    {"disable_evtchn_fifo", KEY_BOOL, false, 0, 1, apply_disable_evtchn_fifo},
    {"backend", KEY_STRING, false, 0, 0, apply_backend},
    {"xen_version", KEY_STRING, false, 0, 0, apply_xen_version},
};

_Static_assert(sizeof(keys) / sizeof(keys[0]) == NR_KEYS, "NR_KEYS");

static const struct key_def *find_key(const char *s, size_t len)
{
    for (size_t i = 0; i < NR_KEYS; i++)
        if (strlen(keys[i].name) == len && !strncmp(keys[i].name, s, len))
            return &keys[i];
    return NULL;
}

/* Domains. */

/* The line where the open domain set (name), or (otherwise). */
static unsigned int key_line(const struct parser *ps, const char *name,
                             unsigned int otherwise)
{
    const struct key_def *k = find_key(name, strlen(name));
    unsigned int line = k ? ps->set_on[k - keys] : 0;

    return line ? line : otherwise;
}

static int open_domain(struct parser *ps)
{
    struct xenemu_domain_cfg *doms, *d;

    doms = realloc(ps->doms, (ps->nr_doms + 1) * sizeof(*doms));
    if (!doms)
        return fail_oom(ps);
    ps->doms = doms;
    d = &doms[ps->nr_doms++];
    memset(d, 0, sizeof(*d));
    d->memory_mib = XENEMU_CFG_DEFAULT_MEMORY_MIB;
    d->vcpus = 1;
    d->max_event_channels = XENEMU_CFG_DEFAULT_EVENT_CHANNELS;
    d->backend = XENEMU_BACKEND_AUTO;
    d->xen_version = XENEMU_DEFAULT_VERSION;
    /* The caller's string until the file is committed, for messages about
     * a name used twice in this file. */
    d->file = ps->path;
    memset(ps->set_on, 0, sizeof(ps->set_on));
    ps->in_domain = true;
    return 0;
}

/* The open domain is complete: every required key must have been set. */
static int close_domain(struct parser *ps)
{
    struct xenemu_domain_cfg *d;

    if (!ps->in_domain)
        return 0;
    ps->in_domain = false;
    d = &ps->doms[ps->nr_doms - 1];
    for (size_t i = 0; i < NR_KEYS; i++)
        if (keys[i].required && !ps->set_on[i])
            return fail_file(ps, "domain %zu has no '%s'", ps->nr_doms,
                             keys[i].name);
    d->memory_line = key_line(ps, "memory", d->line);
    d->backend_line = key_line(ps, "backend", d->line);
    return 0;
}

/* Lines: a section, a setting, or nothing. */

/* `[domain]` closes the open domain, if any, and opens the next.  Text
 * before the first one forms a domain only if it sets a key, so a file may
 * begin with `[domain]` after its comments. */
static int parse_section(struct parser *ps)
{
    size_t len = strlen(SECTION_DOMAIN);

    if (strncmp(ps->p, SECTION_DOMAIN, len))
        return fail_syntax(ps, "unknown section '%s' (only %s)", ps->p,
                           SECTION_DOMAIN);
    ps->p += len;
    skip_blanks(ps);
    if (!at_line_end(ps))
        return fail_syntax(ps, "unexpected '%s' after %s", ps->p,
                           SECTION_DOMAIN);
    if (close_domain(ps))
        return -1;
    return open_domain(ps);
}

/* The value is read in full before it is applied, so a syntax error wins
 * over a range error on the same line. */
static int read_and_apply(struct parser *ps)
{
    size_t idx = (size_t)(ps->key - keys);
    struct value v = {0};
    int rc;

    if (ps->set_on[idx])
        return fail_syntax(ps, "already set on line %u", ps->set_on[idx]);
    rc = parse_value(ps, &v, false);
    if (!rc) {
        skip_blanks(ps);
        if (!at_line_end(ps))
            rc = fail_syntax(ps, "unexpected '%s' after the value", ps->p);
    }
    if (!rc)
        rc = check_kind(ps, &v);
    if (!rc)
        rc = ps->key->apply(ps, &v, &ps->doms[ps->nr_doms - 1]);
    if (!rc)
        ps->set_on[idx] = ps->key_lineno;
    value_free(&v);
    return rc;
}

/* `key = value`. */
static int parse_setting(struct parser *ps)
{
    const char *key = ps->p;
    size_t len = strspn(key, WORD_CHARS);
    int rc;

    if (len == 0)
        return fail_syntax(ps, "expected 'key = value', got '%s'", key);
    ps->key = find_key(key, len);
    if (!ps->key)
        return fail_syntax(ps, "unknown key '%.*s'", (int)len, key);
    ps->key_lineno = ps->lineno;
    ps->p += len;
    skip_blanks(ps);
    if (*ps->p != '=')
        return fail_syntax(ps, "expected '=' after the key");
    ps->p++;
    if (!ps->in_domain && open_domain(ps))
        return -1;
    rc = read_and_apply(ps);
    ps->key = NULL;
    return rc;
}

static int parse_line(struct parser *ps)
{
    skip_blanks(ps);
    if (at_line_end(ps))
        return 0;
    if (*ps->p == '[')
        return parse_section(ps);
    return parse_setting(ps);
}

static int parse_file(struct parser *ps)
{
    int r;

    while ((r = next_line(ps)) > 0)
        if (parse_line(ps))
            return -1;
    if (r < 0 || close_domain(ps))
        return -1;
    if (ps->nr_doms == 0)
        return fail_file(ps, "no domain in file");
    return 0;
}

/* The directory of the file, for relative kernel paths.  dirname() may
 * return a static string or change its argument, hence the copies. */
static int set_dir(struct parser *ps)
{
    char copy[PATH_MAX];
    const char *dir;

    if (snprintf(copy, sizeof(copy), "%s", ps->path) >= (int)sizeof(copy))
        return fail_file(ps, "path too long");
    dir = dirname(copy);
    snprintf(ps->dir, sizeof(ps->dir), "%s", dir);
    return 0;
}

/* Append the parsed domains to (cfg): all allocations first, so that a
 * failure leaves (cfg) as it was. */
static int commit(struct parser *ps, struct xenemu_config *cfg)
{
    struct xenemu_domain_cfg *doms;
    char **files;
    char *file;

    files = realloc(cfg->files, (cfg->nr_files + 1) * sizeof(*files));
    if (!files)
        return fail_oom(ps);
    cfg->files = files;
    doms = realloc(cfg->domains, (cfg->nr + ps->nr_doms) * sizeof(*doms));
    if (!doms)
        return fail_oom(ps);
    cfg->domains = doms;
    file = strdup(ps->path);
    if (!file)
        return fail_oom(ps);

    for (size_t i = 0; i < ps->nr_doms; i++) {
        ps->doms[i].file = file;
        doms[cfg->nr + i] = ps->doms[i];
    }
    cfg->nr += ps->nr_doms;
    files[cfg->nr_files++] = file;
    return 0;
}

/*
 * Open the file for reading, refusing anything but a regular file before
 * reading from it: a named pipe would block forever, a directory or a
 * device is not a configuration.  O_NONBLOCK makes the open itself return
 * at once for a FIFO without a writer.
 */
static FILE *open_regular(struct parser *ps)
{
    int fd = open(ps->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    FILE *f;

    if (fd < 0) {
        fail_file(ps, "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        fail_file(ps, "not a regular file");
        close(fd);
        return NULL;
    }
    /* Reads of a regular file never block: O_NONBLOCK changes nothing. */
    f = fdopen(fd, "r");
    if (!f) {
        fail_file(ps, "cannot open: %s", strerror(errno));
        close(fd);
    }
    return f;
}

int config_load(struct xenemu_config *cfg, const char *path, char *err,
                size_t errlen)
{
    struct parser *ps;
    int rc = -1;

    if (err && errlen)
        err[0] = '\0';
    /* Two PATH_MAX buffers: too big for a thread's stack to take lightly. */
    ps = calloc(1, sizeof(*ps));
    if (!ps) {
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    ps->path = path;
    ps->err = err;
    ps->errlen = errlen;
    ps->loaded = cfg;
    ps->f = open_regular(ps);
    if (ps->f && !set_dir(ps) && !parse_file(ps))
        rc = commit(ps, cfg);

    if (ps->f)
        fclose(ps->f);
    free(ps->line);
    free(ps->doms);
    free(ps);
    return rc;
}

void config_free(struct xenemu_config *cfg)
{
    for (size_t i = 0; i < cfg->nr_files; i++)
        free(cfg->files[i]);
    free(cfg->files);
    free(cfg->domains);
    memset(cfg, 0, sizeof(*cfg));
}

void config_to_domain(const struct xenemu_domain_cfg *d,
                      struct domain_config *out)
{
    memset(out, 0, sizeof(*out));
    /* domain_create() refuses PV guests, and xl gives an HVM guest HAP
     * whenever the host has it, which xenemu's hosts do. */
    out->create.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
    if (d->disable_evtchn_fifo)
        out->create.flags |= XEN_DOMCTL_CDF_disable_fifo;
    out->create.max_vcpus = d->vcpus;
    /* As libxl: the event_channels setting is passed as the highest port. */
    out->create.max_evtchn_port = d->max_event_channels;
    out->create.max_grant_frames = -1;    /* Xen's default */
    out->create.max_maptrack_frames = -1; /* Xen's default */
    out->xen_version = d->xen_version;
}

const char *config_backend_name(enum xenemu_backend backend)
{
    switch (backend) {
    case XENEMU_BACKEND_KVM:
        return "kvm";
    case XENEMU_BACKEND_SIM:
        return "sim";
    case XENEMU_BACKEND_AUTO:
        break;
    }
    return "auto";
}
