/*
 * cmdline.h: the kernel command line, "key=value key2=value2 flag".
 */
#ifndef XENEMU_GUEST_CMDLINE_H
#define XENEMU_GUEST_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of (key) in (cmdline): a pointer into it and its length
 * (values end at a space).  The last occurrence wins, as in Linux.  A bare
 * "key" has an empty value.  False if absent. */
bool cmdline_find(const char *cmdline, const char *key, const char **val,
                  size_t *len);
/* (key)'s value as a number, (def) if absent; false (and *out = def) if
 * present but not a number. */
bool cmdline_u64(const char *cmdline, const char *key, uint64_t def,
                 uint64_t *out);
/* (key)'s value equals (value). */
bool cmdline_is(const char *cmdline, const char *key, const char *value);

#endif /* XENEMU_GUEST_CMDLINE_H */
