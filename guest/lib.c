/*
 * lib.c: string and number helpers for a kernel without libc.
 */
#include "lib.h"

size_t kstrlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

void kstrlcpy(char *dst, const char *src, size_t size)
{
    size_t i = 0;

    if (!size)
        return;
    for (; i + 1 < size && src[i]; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}

bool kstreq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i] || !a[i])
            return false;
    return a[n] == '\0';
}

bool kstreq(const char *a, const char *b)
{
    return kstreq_n(a, b, kstrlen(b));
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool kparse_u64(const char *s, size_t n, uint64_t *out)
{
    unsigned int base = 10;
    uint64_t v = 0;
    size_t i = 0;

    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == n)
        return false;
    for (; i < n; i++) {
        int d = digit_value(s[i]);

        if (d < 0 || (unsigned int)d >= base)
            return false;
        if (v > (UINT64_MAX - (unsigned int)d) / base)
            return false;
        v = v * base + (unsigned int)d;
    }
    *out = v;
    return true;
}
