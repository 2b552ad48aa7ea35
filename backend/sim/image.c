/*
 * image.c: is a kernel image xenemu's own guest, and a sound one?
 *
 * The sim backend does not run code from the file: it runs the host build
 * of the guest kernel that is linked into xenemu.  The file is still
 * checked exactly as the KVM backend checks it, by loading it with the one
 * loader (elf_image_load()) into scratch memory of the domain's RAM size,
 * so a truncated or corrupt image fails on every backend with the same
 * message.  Then the claim that it is xenemu's guest is checked by the ELF
 * note the guest image carries (name "xenemu", type XENEMU_ELFNOTE_GUEST,
 * <xenemu/guest_abi.h>), in PT_NOTE segments or SHT_NOTE sections.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "../common/elf_image.h"
#include "sim.h"
#include "xenemu/guest_abi.h"

/* Load (path) into throw-away memory of (ram_size) bytes (only the pages
 * the image touches are ever backed). */
static int load_check(const char *path, uint64_t ram_size, char *err,
                      size_t len)
{
    struct elf_image img;
    uint8_t *scratch = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    int rc;

    if (scratch == MAP_FAILED) {
        snprintf(err, len, "%s: cannot check the image: %s", path,
                 strerror(errno));
        return -1;
    }
    rc = elf_image_load(path, scratch, ram_size, &img, err, len);
    munmap(scratch, ram_size);
    return rc;
}

int sim_image_check(const char *path, uint64_t ram_size, char *err, size_t len)
{
    int rc;

    if (load_check(path, ram_size, err, len))
        return -1;
    rc = elf_image_find_note(path, XENEMU_ELFNOTE_NAME, XENEMU_ELFNOTE_GUEST,
                             err, len);
    if (rc == 0)
        snprintf(err, len,
                 "%s: not a xenemu guest kernel (the sim backend runs only "
                 "xenemu's own guest)",
                 path);
    return rc > 0 ? 0 : -1;
}
