/*
 * kprintf.c: a small vsnprintf and the console.
 *
 * Output is formatted into a buffer on the stack and only then handed to
 * CONSOLEIO_write: the hypervisor needs a guest-physical address, which a
 * format string in .rodata does not have in the sim build.
 */
#include <stdbool.h>
#include <stdint.h>

#include "hypercall.h"
#include "kprintf.h"
#include "hyp.h"

struct out {
    char *buf;
    size_t size; /* including the NUL */
    size_t len;  /* characters produced, even those cut off */
    char last;   /* the last character produced, even if cut off */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
    o->last = c;
}

static void put_str(struct out *o, const char *s)
{
    if (!s)
        s = "(null)";
    while (*s)
        put(o, *s++);
}

static void put_unsigned(struct out *o, uint64_t v, unsigned int base)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[24];
    unsigned int n = 0;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    while (n)
        put(o, tmp[--n]);
}

static void put_signed(struct out *o, int64_t v)
{
    if (v < 0) {
        put(o, '-');
        /* Negate in unsigned arithmetic: INT64_MIN has no positive twin. */
        put_unsigned(o, 0 - (uint64_t)v, 10);
    } else {
        put_unsigned(o, (uint64_t)v, 10);
    }
}

/* One conversion after '%' and its length modifiers (lmods: 0, 1 or 2). */
static void convert(struct out *o, char conv, int lmods, va_list *ap)
{
    switch (conv) {
    case 'd':
    case 'i':
        if (lmods == 2)
            put_signed(o, va_arg(*ap, long long));
        else if (lmods == 1)
            put_signed(o, va_arg(*ap, long));
        else
            put_signed(o, va_arg(*ap, int));
        break;
    case 'u':
    case 'x':
        if (lmods == 2)
            put_unsigned(o, va_arg(*ap, unsigned long long),
                         conv == 'x' ? 16 : 10);
        else if (lmods == 1)
            put_unsigned(o, va_arg(*ap, unsigned long), conv == 'x' ? 16 : 10);
        else
            put_unsigned(o, va_arg(*ap, unsigned int), conv == 'x' ? 16 : 10);
        break;
    case 's':
        put_str(o, va_arg(*ap, const char *));
        break;
    case 'c':
        put(o, (char)va_arg(*ap, int));
        break;
    case '%':
        put(o, '%');
        break;
    default: /* unknown: show it rather than guess its argument */
        put(o, '%');
        put(o, conv);
        break;
    }
}

/* Format into (o), which the caller set up; NUL-terminates if it can. */
static void format(struct out *o, const char *fmt, va_list ap)
{
    va_list args;

    /* A copy, so that convert() can take its address portably. */
    va_copy(args, ap);
    while (*fmt) {
        int lmods = 0;

        if (*fmt != '%') {
            put(o, *fmt++);
            continue;
        }
        fmt++;
        while (*fmt == 'l' && lmods < 2) {
            lmods++;
            fmt++;
        }
        if (!*fmt)
            break;
        convert(o, *fmt++, lmods, &args);
    }
    va_end(args);
    if (o->size)
        o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
}

size_t kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {.buf = buf, .size = size, .len = 0, .last = '\0'};

    format(&o, fmt, ap);
    return o.len;
}

size_t ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void console_write(const char *line, size_t len)
{
    HYPERVISOR_console_io(CONSOLEIO_write, (unsigned int)len, line);
}

/*
 * Output longer than the buffer is cut to its first sizeof(line) - 1
 * characters.  If it ended a line, the cut keeps the '\n' in place of the
 * last character that fits, so that the next output still starts a line
 * of its own.
 */
static void vkprintf(const char *fmt, va_list ap)
{
    char line[PRINTK_LINE_MAX]; /* on the stack: has a guest-physical address */
    struct out o = {.buf = line, .size = sizeof(line), .len = 0, .last = '\0'};
    size_t n;

    format(&o, fmt, ap);
    n = o.len;
    if (n >= sizeof(line)) {
        n = sizeof(line) - 1; /* line[n] is the NUL */
        if (o.last == '\n')
            line[n - 1] = '\n';
    }
    console_write(line, n);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
}

_Noreturn void kpanic(const char *fmt, ...)
{
    char line[PRINTK_LINE_MAX];
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    kprintf("PANIC: %s\n", line);
    hyp_shutdown(SHUTDOWN_crash);
}
