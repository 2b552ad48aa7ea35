/*
 * kprintf.h: formatted console output through CONSOLEIO_write.
 *
 * Formats: %d %u %x with optional l/ll length, %s, %c, %%.  No widths.
 */
#ifndef XENEMU_GUEST_KPRINTF_H
#define XENEMU_GUEST_KPRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* Longest line kprintf() writes in one hypercall; longer output is cut. */
#define PRINTK_LINE_MAX 256u

size_t kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
size_t ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "PANIC: ..." and shut the domain down with SHUTDOWN_crash. */
_Noreturn void kpanic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif /* XENEMU_GUEST_KPRINTF_H */
