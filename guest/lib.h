/*
 * lib.h: the few library routines the guest kernel uses.
 *
 * The memory routines have their standard signatures and are declared here
 * once: the KVM arch layer defines them (the compiler may also emit calls
 * to them for struct copies), libc provides them in the sim build.  The
 * string helpers carry a k prefix so that they never collide with libc's
 * in the sim build.
 */
#ifndef XENEMU_GUEST_LIB_H
#define XENEMU_GUEST_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

size_t kstrlen(const char *s);
/* Copy (src) into (dst) of (size) bytes, always NUL-terminated. */
void kstrlcpy(char *dst, const char *src, size_t size);
/* The NUL-terminated string (a) is exactly the (n) bytes at (b). */
bool kstreq_n(const char *a, const char *b, size_t n);
bool kstreq(const char *a, const char *b);
/* Parse an unsigned decimal or 0x-hex number filling all of s[0..n);
 * false on anything else or on overflow. */
bool kparse_u64(const char *s, size_t n, uint64_t *out);

/* Index of the lowest set bit of a non-zero word. */
static inline unsigned int lowest_bit(uint64_t w)
{
    return (unsigned int)__builtin_ctzll(w);
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* XENEMU_GUEST_LIB_H */
