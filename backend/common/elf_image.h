/*
 * elf_image.h: guest kernel images, read with elfutils' libelf (both
 * backends).
 *
 * The KVM backend loads an image into guest RAM; the sim backend, which
 * runs no guest code from the file, checks that the image carries a note.
 * Image files are hostile: every failure is one line naming the file.
 * Reentrant: each call has its own libelf handle and buffers.
 */
#ifndef XENEMU_BACKEND_ELF_IMAGE_H
#define XENEMU_BACKEND_ELF_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* An image larger than this is not a kernel (and is not read into memory). */
#define ELF_IMAGE_MAX_FILE (512u << 20)

/* How the guest is entered (decided by the image's ELF class). */
enum elf_image_mode {
    ELF_IMAGE_64, /* long mode with identity page tables, at e_entry */
    ELF_IMAGE_32, /* flat 32-bit protected mode, paging off (PVH) */
};

/* What the loader found in the image. */
struct elf_image {
    uint64_t entry; /* guest-physical */
    enum elf_image_mode mode;
    uint64_t start, end; /* guest-physical extent of the loaded segments */
};

/*
 * Load (path) into (ram) of (ram_size) bytes: ELF64 EM_X86_64 images are
 * entered at e_entry, ELF32 images (EM_386 or EM_X86_64) at their
 * XEN_ELFNOTE_PHYS32_ENTRY if they have one, else at e_entry.  PT_LOAD
 * segments go to their p_paddr, at XENEMU_BOOT_KERNEL_MIN or above, their
 * BSS zeroed.  RAM is written only once every check passed.  0, or -1 with
 * a one-line message in (err).
 */
int elf_image_load(const char *path, uint8_t *ram, uint64_t ram_size,
                   struct elf_image *img, char *err, size_t len);

/*
 * Does (path), an ELF file of any class and machine, carry a note (name,
 * type) in a PT_NOTE segment or an SHT_NOTE section?  1 if it does, 0 if
 * not, -1 with a one-line message in (err) if the file is unusable.
 */
int elf_image_find_note(const char *path, const char *name, uint32_t type,
                        char *err, size_t len);

#endif /* XENEMU_BACKEND_ELF_IMAGE_H */
