/*
 * image.c: is a kernel image xenemu's own guest?
 *
 * The sim backend does not load code: it runs the host build of the guest
 * kernel that is linked into xenemu.  A configuration's kernel file is
 * therefore only a claim that the domain runs xenemu's guest, and the claim
 * is checked by the ELF note the guest image carries (name "xenemu", type
 * XENEMU_ELFNOTE_GUEST, <xenemu/guest_abi.h>), looked for by the shared
 * libelf reader in PT_NOTE segments and SHT_NOTE sections.
 */
#include <stdio.h>

#include "../common/elf_image.h"
#include "sim.h"
#include "xenemu/guest_abi.h"

int sim_image_check(const char *path, char *err, size_t len)
{
    int rc = elf_image_find_note(path, XENEMU_ELFNOTE_NAME,
                                 XENEMU_ELFNOTE_GUEST, err, len);

    if (rc == 0)
        snprintf(err, len,
                 "%s: not a xenemu guest kernel (the sim backend runs only "
                 "xenemu's own guest)",
                 path);
    return rc > 0 ? 0 : -1;
}
