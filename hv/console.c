/*
 * console.c: a domain's console log (see <xenemu/console.h>).
 */
#include <inttypes.h>
#include <stdio.h>

#include "xenemu/console.h"
#include "xenemu/domain.h"

/* The budget grows by one byte every NS_PER_BYTE nanoseconds. */
#define NS_PER_BYTE (1000000000u / CONSOLE_RATE)

void console_init(struct domain_console *c)
{
    pthread_mutex_init(&c->lock, NULL);
    c->len = 0;
    c->budget = CONSOLE_BURST;
    c->refill_ns = 0;
    c->dropped = 0;
}

void console_destroy(struct domain_console *c)
{
    pthread_mutex_destroy(&c->lock);
}

static void emit(struct domain *d, const char *buf, size_t len)
{
    const struct hv_backend_ops *be = d->hv->backend;

    if (be && be->console_write)
        be->console_write(d, buf, len);
}

/* Print the finished line, after a note of what was dropped before it.
 * Caller holds c->lock. */
static void flush_line(struct domain *d)
{
    struct domain_console *c = &d->console;

    if (c->dropped) {
        char note[96];
        int n = snprintf(note, sizeof(note),
                         "(xenemu: %" PRIu64 " bytes of console output "
                         "dropped: over %u bytes/s)",
                         c->dropped, CONSOLE_RATE);

        emit(d, note, (size_t)n);
        c->dropped = 0;
    }
    emit(d, c->line, c->len);
    c->len = 0;
}

/* Xen keeps what its own isprint() accepts, and tabs: 0x20..0x7e and the
 * Latin-1 range 0xa0..0xff (xen/lib/ctype.c); the C0 and C1 controls, DEL
 * included, go. */
static bool printable(char ch)
{
    unsigned char c = (unsigned char)ch;

    return (c >= 0x20 && c < 0x7f) || c >= 0xa0 || c == '\t';
}

/* One byte of output.  Caller holds c->lock. */
static void put_byte(struct domain *d, char ch)
{
    struct domain_console *c = &d->console;

    if (ch == '\n') {
        flush_line(d);
        return;
    }
    if (!printable(ch))
        return;
    c->line[c->len++] = ch;
    if (c->len == CONSOLE_LINE_MAX - 1)
        flush_line(d);
}

size_t console_take(struct domain *d, size_t want)
{
    struct domain_console *c = &d->console;
    uint64_t now = hv_now_ns(d->hv);
    size_t got;

    pthread_mutex_lock(&c->lock);
    if (now > c->refill_ns) {
        uint64_t add = (now - c->refill_ns) / NS_PER_BYTE;

        if (c->budget + add >= CONSOLE_BURST) {
            c->budget = CONSOLE_BURST;
            c->refill_ns = now;
        } else {
            /* Keep the remainder: a slow writer is not short-changed. */
            c->budget += add;
            c->refill_ns += add * NS_PER_BYTE;
        }
    }
    got = want < c->budget ? want : (size_t)c->budget;
    c->budget -= got;
    c->dropped += want - got;
    pthread_mutex_unlock(&c->lock);
    return got;
}

void console_put(struct domain *d, const char *buf, size_t len)
{
    pthread_mutex_lock(&d->console.lock);
    for (size_t i = 0; i < len; i++)
        put_byte(d, buf[i]);
    pthread_mutex_unlock(&d->console.lock);
}

void console_debug_port(struct domain *d, uint8_t byte)
{
    char ch = (char)byte;

    if (console_take(d, 1))
        console_put(d, &ch, 1);
}
