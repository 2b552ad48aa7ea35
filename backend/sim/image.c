/*
 * image.c: is a kernel image xenemu's own guest?
 *
 * The sim backend does not load code: it runs the host build of the guest
 * kernel that is linked into xenemu.  A configuration's kernel file is
 * therefore only a claim that the domain runs xenemu's guest, and the claim
 * is checked by the ELF note the guest image carries (name "xenemu", type
 * XENEMU_ELFNOTE_GUEST, <xenemu/guest_abi.h>).  Notes are looked for in
 * PT_NOTE segments and SHT_NOTE sections, of 64-bit and 32-bit images.
 *
 * The file is untrusted input: every offset and size is checked against the
 * file's size before it is read, and reads go through pread() into bounded
 * buffers.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"
#include "xenemu/guest_abi.h"

/* No note area of a sane image is larger; bigger ones are not scanned. */
#define NOTE_AREA_MAX (1u << 20)
/* Header tables with more entries than this are malformed for our use. */
#define TABLE_MAX 4096u

/* One note-bearing area of the file. */
struct area {
    uint64_t offset;
    uint64_t size;
    uint64_t align; /* of the notes in it: 4 or 8 */
};

/* The file being checked. */
struct image {
    int fd;
    uint64_t size;
    bool is64;
};

/* A header table (program or section headers). */
struct table {
    uint64_t offset;
    uint64_t count;
    uint64_t entsize;
};

/* Read (len) bytes at (offset), which the caller checked lie in the file. */
static int read_at(const struct image *im, void *buf, size_t len,
                   uint64_t offset)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pread(im->fd, (char *)buf + done, len - done,
                          (off_t)(offset + done));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

static bool in_file(const struct image *im, uint64_t offset, uint64_t size)
{
    return offset <= im->size && size <= im->size - offset;
}

static uint64_t note_align(uint64_t align)
{
    return align == 8 ? 8 : 4; /* 0, 1, 2 and 4 all mean 4-byte notes */
}

static uint64_t round_up(uint64_t x, uint64_t align)
{
    return (x + align - 1) & ~(align - 1);
}

/* Does the note list (buf, len) contain the xenemu guest note? */
static bool notes_have_xenemu(const uint8_t *buf, uint64_t len, uint64_t align)
{
    static const char name[] = XENEMU_ELFNOTE_NAME;
    uint64_t pos = 0;

    /* The three 4-byte header words are the same in ELF32 and ELF64.  The
     * sizes are 32-bit, so no sum below overflows 64 bits. */
    while (len - pos >= sizeof(Elf32_Nhdr)) {
        Elf32_Nhdr nh;
        uint64_t name_at = pos + sizeof(nh);

        memcpy(&nh, buf + pos, sizeof(nh));
        if (nh.n_namesz > len - name_at)
            return false; /* truncated: nothing trustworthy follows */
        if (nh.n_type == XENEMU_ELFNOTE_GUEST && nh.n_namesz == sizeof(name) &&
            !memcmp(buf + name_at, name, sizeof(name)))
            return true;
        pos = round_up(name_at + nh.n_namesz, align) +
              round_up(nh.n_descsz, align);
        if (pos >= len)
            return false;
    }
    return false;
}

static bool area_has_xenemu(const struct image *im, const struct area *a)
{
    uint8_t *buf;
    bool found = false;

    if (a->size == 0 || a->size > NOTE_AREA_MAX ||
        !in_file(im, a->offset, a->size))
        return false;
    buf = malloc(a->size);
    if (!buf)
        return false;
    if (read_at(im, buf, a->size, a->offset) == 0)
        found = notes_have_xenemu(buf, a->size, note_align(a->align));
    free(buf);
    return found;
}

/* Entry (i) of a program header table as a note area, if it is one. */
static bool phdr_note(const struct image *im, const struct table *t, uint64_t i,
                      struct area *a)
{
    uint64_t at = t->offset + i * t->entsize;

    if (im->is64) {
        Elf64_Phdr ph;

        if (read_at(im, &ph, sizeof(ph), at) || ph.p_type != PT_NOTE)
            return false;
        *a = (struct area){ph.p_offset, ph.p_filesz, ph.p_align};
    } else {
        Elf32_Phdr ph;

        if (read_at(im, &ph, sizeof(ph), at) || ph.p_type != PT_NOTE)
            return false;
        *a = (struct area){ph.p_offset, ph.p_filesz, ph.p_align};
    }
    return true;
}

/* Entry (i) of a section header table as a note area, if it is one. */
static bool shdr_note(const struct image *im, const struct table *t, uint64_t i,
                      struct area *a)
{
    uint64_t at = t->offset + i * t->entsize;

    if (im->is64) {
        Elf64_Shdr sh;

        if (read_at(im, &sh, sizeof(sh), at) || sh.sh_type != SHT_NOTE)
            return false;
        *a = (struct area){sh.sh_offset, sh.sh_size, sh.sh_addralign};
    } else {
        Elf32_Shdr sh;

        if (read_at(im, &sh, sizeof(sh), at) || sh.sh_type != SHT_NOTE)
            return false;
        *a = (struct area){sh.sh_offset, sh.sh_size, sh.sh_addralign};
    }
    return true;
}

typedef bool (*entry_fn)(const struct image *, const struct table *, uint64_t,
                         struct area *);

/* Is the table sound (entries at least (min_entsize), inside the file)? */
static bool table_ok(const struct image *im, const struct table *t,
                     size_t min_entsize)
{
    if (t->count == 0)
        return true;
    return t->count <= TABLE_MAX && t->entsize >= min_entsize &&
           t->entsize <= 1024 && in_file(im, t->offset, t->count * t->entsize);
}

static bool table_has_xenemu(const struct image *im, const struct table *t,
                             entry_fn entry)
{
    struct area a;

    for (uint64_t i = 0; i < t->count; i++)
        if (entry(im, t, i, &a) && area_has_xenemu(im, &a))
            return true;
    return false;
}

/* Read the ELF header's tables.  0, or -1 if it is not a sound ELF
 * header. */
static int read_tables(struct image *im, struct table *ph, struct table *sh)
{
    unsigned char ident[EI_NIDENT];

    if (im->size < EI_NIDENT || read_at(im, ident, sizeof(ident), 0) ||
        memcmp(ident, ELFMAG, SELFMAG) || ident[EI_DATA] != ELFDATA2LSB)
        return -1;
    if (ident[EI_CLASS] == ELFCLASS64 && im->size >= sizeof(Elf64_Ehdr)) {
        Elf64_Ehdr eh;

        if (read_at(im, &eh, sizeof(eh), 0))
            return -1;
        im->is64 = true;
        *ph = (struct table){eh.e_phoff, eh.e_phnum, eh.e_phentsize};
        *sh = (struct table){eh.e_shoff, eh.e_shnum, eh.e_shentsize};
    } else if (ident[EI_CLASS] == ELFCLASS32 &&
               im->size >= sizeof(Elf32_Ehdr)) {
        Elf32_Ehdr eh;

        if (read_at(im, &eh, sizeof(eh), 0))
            return -1;
        im->is64 = false;
        *ph = (struct table){eh.e_phoff, eh.e_phnum, eh.e_phentsize};
        *sh = (struct table){eh.e_shoff, eh.e_shnum, eh.e_shentsize};
    } else {
        return -1;
    }
    return 0;
}

/* 0, 1 if it lacks the note, -1 (message in err) if it is unusable. */
static int check_fd(struct image *im, const char *path, char *err, size_t len)
{
    struct table ph, sh;
    size_t phsz, shsz;

    if (read_tables(im, &ph, &sh)) {
        snprintf(err, len, "%s: not an ELF file", path);
        return -1;
    }
    phsz = im->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    shsz = im->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    if (!table_ok(im, &ph, phsz) || !table_ok(im, &sh, shsz)) {
        snprintf(err, len,
                 "%s: malformed ELF file (header tables outside the file)",
                 path);
        return -1;
    }
    if (table_has_xenemu(im, &ph, phdr_note) ||
        table_has_xenemu(im, &sh, shdr_note))
        return 0;
    return 1;
}

int sim_image_check(const char *path, char *err, size_t len)
{
    struct image im = {.fd = open(path, O_RDONLY | O_CLOEXEC)};
    struct stat st;
    int rc;

    if (im.fd < 0) {
        snprintf(err, len, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(im.fd, &st) || !S_ISREG(st.st_mode)) {
        snprintf(err, len, "%s: not a regular file", path);
        close(im.fd);
        return -1;
    }
    im.size = (uint64_t)st.st_size;
    rc = check_fd(&im, path, err, len);
    close(im.fd);
    if (rc > 0)
        snprintf(err, len,
                 "%s: not a xenemu guest kernel (the sim backend runs only "
                 "xenemu's own guest)",
                 path);
    return rc ? -1 : 0;
}
