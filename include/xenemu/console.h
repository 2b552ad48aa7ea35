/*
 * console.h: a domain's console log, as Xen keeps it for a domU.
 *
 * Two sources feed it: CONSOLEIO_write and the HVM debug port 0xe9 (one
 * byte per `out`).  As in Xen (guest_console_write(), hvm_print_line()),
 * both share one line buffer per domain, keep only printable characters and
 * tabs, and hand the backend whole lines: at a newline, or when the buffer
 * is full.  Nothing a guest writes can reach the host terminal as a control
 * or escape sequence.
 *
 * Unlike Xen, whose guest messages go through printk's rate limit, the
 * bytes a domain may write are metered here: a budget of CONSOLE_BURST
 * bytes that refills at CONSOLE_RATE bytes per second.  Bytes beyond it are
 * dropped unread, and the next line that gets through is preceded by one
 * saying how many were dropped.
 */
#ifndef XENEMU_CONSOLE_H
#define XENEMU_CONSOLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct domain;

/* Xen's DOMAIN_PBUF_SIZE: a line is printed once it has 199 characters. */
#define CONSOLE_LINE_MAX 200u
/* The byte budget: at most CONSOLE_BURST at once, CONSOLE_RATE a second. */
#define CONSOLE_BURST (64u * 1024)
#define CONSOLE_RATE  (16u * 1024)

struct domain_console {
    pthread_mutex_t lock; /* everything below; never held while copying
                           * from the guest */
    char line[CONSOLE_LINE_MAX];
    unsigned int len;
    uint64_t budget;    /* bytes that may be taken now */
    uint64_t refill_ns; /* system time of the last refill */
    uint64_t dropped;   /* bytes dropped since the last line printed */
};

void console_init(struct domain_console *c);
void console_destroy(struct domain_console *c);

/*
 * Take up to (want) bytes of (d)'s budget: returns how many the caller may
 * now pass to console_put(); the rest are counted as dropped.
 */
size_t console_take(struct domain *d, size_t want);

/* Add (len) bytes the guest wrote (already taken from the budget) to
 * (d)'s line; complete lines go to the backend's console_write(). */
void console_put(struct domain *d, const char *buf, size_t len);

/* A byte written to the HVM debug port (XEN_HVM_DEBUGCONS_IOPORT). */
void console_debug_port(struct domain *d, uint8_t byte);

#endif /* XENEMU_CONSOLE_H */
