/*
 * cmdline.c: parsing the command line in place (it is [boot] data).
 */
#include "cmdline.h"
#include "lib.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

bool cmdline_find(const char *cmdline, const char *key, const char **val,
                  size_t *len)
{
    size_t klen = kstrlen(key);
    bool found = false;
    const char *p = cmdline;

    while (*p) {
        const char *word = p, *eq;
        size_t wlen = 0;

        while (is_space(*p))
            p++;
        word = p;
        while (*p && !is_space(*p))
            p++;
        wlen = (size_t)(p - word);
        if (!wlen)
            continue;
        eq = word;
        while (eq < p && *eq != '=')
            eq++;
        if ((size_t)(eq - word) != klen || memcmp(word, key, klen) != 0)
            continue;
        found = true;
        *val = eq < p ? eq + 1 : p;
        *len = (size_t)(p - *val);
    }
    return found;
}

bool cmdline_u64(const char *cmdline, const char *key, uint64_t def,
                 uint64_t *out)
{
    const char *v;
    size_t n;

    *out = def;
    if (!cmdline_find(cmdline, key, &v, &n))
        return true;
    return kparse_u64(v, n, out);
}

bool cmdline_is(const char *cmdline, const char *key, const char *value)
{
    const char *v;
    size_t n;

    if (!cmdline_find(cmdline, key, &v, &n))
        return false;
    return n == kstrlen(value) && memcmp(v, value, n) == 0;
}
