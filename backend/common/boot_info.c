/*
 * boot_info.c: the PVH start info, memory map and command line of a guest
 * (see boot_info.h).
 */
#include <stdio.h>
#include <string.h>

#include "boot_info.h"
#include "xenemu/guest_abi.h"
#include "xenemu/xen_public.h"

_Static_assert(XENEMU_BOOT_MEMMAP_MAX >= DOMAIN_E820_MAX,
               "every domain map fits the start info's");

int boot_info_write(struct domain *d, const char *cmdline,
                    const struct domain_e820 *map, unsigned int n, char *err,
                    size_t len)
{
    struct hvm_memmap_table_entry entry;
    struct hvm_start_info si = {
        .magic = XEN_HVM_START_MAGIC_VALUE,
        .version = 1,
        .cmdline_paddr = XENEMU_BOOT_CMDLINE,
        .memmap_paddr = XENEMU_BOOT_MEMMAP,
        .memmap_entries = n,
    };
    size_t cmd_len = strlen(cmdline);

    if (cmd_len >= XENEMU_BOOT_CMDLINE_MAX) {
        snprintf(err, len, "command line longer than %u characters",
                 XENEMU_BOOT_CMDLINE_MAX - 1);
        return -1;
    }
    /* XENMEM_memory_map reports the map the start info gives. */
    if (domain_set_memory_map(d, map, n)) {
        snprintf(err, len, "memory map of %u entries (at most %u)", n,
                 DOMAIN_E820_MAX);
        return -1;
    }
    for (unsigned int i = 0; i < n; i++) {
        entry = (struct hvm_memmap_table_entry){
            .addr = map[i].addr, .size = map[i].size, .type = map[i].type};
        memcpy(d->ram + XENEMU_BOOT_MEMMAP + i * sizeof(entry), &entry,
               sizeof(entry));
    }
    memcpy(d->ram + XENEMU_BOOT_CMDLINE, cmdline, cmd_len + 1);
    memcpy(d->ram + XENEMU_BOOT_START_INFO, &si, sizeof(si));
    return 0;
}
