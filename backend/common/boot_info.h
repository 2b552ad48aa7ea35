/*
 * boot_info.h: the boot structures both backends hand a guest (PVH's
 * struct hvm_start_info with its memory map and command line, at the
 * addresses of <xenemu/guest_abi.h>).
 */
#ifndef XENEMU_BACKEND_BOOT_INFO_H
#define XENEMU_BACKEND_BOOT_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "xenemu/domain.h"

/*
 * Write struct hvm_start_info (version 1), the memory map (map, n entries)
 * and (cmdline) into (d)'s RAM, and make (d)'s XENMEM_memory_map the same
 * map.  0, or -1 with a one-line message in (err) (a command line longer
 * than XENEMU_BOOT_CMDLINE_MAX - 1 characters).
 */
int boot_info_write(struct domain *d, const char *cmdline,
                    const struct domain_e820 *map, unsigned int n, char *err,
                    size_t len);

#endif /* XENEMU_BACKEND_BOOT_INFO_H */
