/*
 * elf_image.c: guest kernel images through elfutils' libelf.
 *
 * The file is read whole with read() and handed to elf_memory(): a mapping
 * of the file (elf_begin with ELF_C_READ_MMAP) would fault with SIGBUS if
 * the file were truncated while we look at it, and the loader needs the
 * bytes in memory anyway.  libelf parses the headers, notes and sections;
 * what libelf does not judge (does a segment fit the file and the guest's
 * RAM, is it above the low megabyte, is the entry point loaded) is checked
 * here, overflow-safe, before anything is written to RAM.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_image.h"
#include "xenemu/guest_abi.h"
#include "xenemu/xen_public.h"

struct image_file {
    const char *path;
    char *buf; /* the whole file */
    size_t size;
    Elf *elf; /* libelf's view of (buf) */
    char *err;
    size_t len;
};

/* elf_version() sets libelf's process-wide working version: once. */
static pthread_once_t version_once = PTHREAD_ONCE_INIT;
static bool version_ok;

static void init_version(void)
{
    version_ok = elf_version(EV_CURRENT) != EV_NONE;
}

static int fail(struct image_file *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct image_file *f, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(f->err, f->len, "%s: ", f->path);

    if (n < 0 || (size_t)n >= f->len)
        return -1;
    va_start(ap, fmt);
    vsnprintf(f->err + n, f->len - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Is [off, off + len) inside a region of (size) bytes, without overflow? */
static bool in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static int read_file(struct image_file *f)
{
    struct stat st;
    size_t done = 0;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return fail(f, "%s", strerror(errno));
    if (fstat(fd, &st) < 0) {
        fail(f, "%s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        fail(f, "not a regular file");
        goto out;
    }
    if ((uint64_t)st.st_size > ELF_IMAGE_MAX_FILE) {
        fail(f, "too large for a kernel (%lld bytes)", (long long)st.st_size);
        goto out;
    }
    f->buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!f->buf) {
        fail(f, "out of memory");
        goto out;
    }
    while (done < (size_t)st.st_size) {
        ssize_t n = read(fd, f->buf + done, (size_t)st.st_size - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fail(f, "%s", n < 0 ? strerror(errno) : "file shrank while read");
            goto out;
        }
        done += (size_t)n;
    }
    f->size = done;
    close(fd);
    return 0;

out:
    close(fd);
    return -1;
}

/* libelf refused the file: say why, where the bytes show it (libelf
 * reports a bad class, a bad data encoding and a short header alike). */
static int not_elf(struct image_file *f)
{
    const unsigned char *id = (const unsigned char *)f->buf;
    int class;
    size_t ehdr_size;

    if (f->size < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG))
        return fail(f, "not an ELF file");
    class = id[EI_CLASS];
    if (class != ELFCLASS64 && class != ELFCLASS32)
        return fail(f, "unknown ELF class %u", id[EI_CLASS]);
    if (id[EI_DATA] != ELFDATA2LSB && id[EI_DATA] != ELFDATA2MSB)
        return fail(f, "not a little-endian ELF file");
    ehdr_size = class == ELFCLASS64 ? elf64_fsize(ELF_T_EHDR, 1, EV_CURRENT)
                                    : elf32_fsize(ELF_T_EHDR, 1, EV_CURRENT);
    if (f->size < ehdr_size)
        return fail(f, "truncated ELF header");
    return fail(f, "malformed ELF file (%s)", elf_errmsg(-1));
}

/* Read (f->path) and open it with libelf: 0, or -1 with the message. */
static int open_image(struct image_file *f)
{
    pthread_once(&version_once, init_version);
    if (!version_ok)
        return fail(f, "libelf: %s", elf_errmsg(-1));
    if (read_file(f))
        return -1;
    f->elf = elf_memory(f->buf, f->size);
    if (!f->elf || elf_kind(f->elf) != ELF_K_ELF)
        return not_elf(f);
    return 0;
}

static void close_image(struct image_file *f)
{
    elf_end(f->elf); /* accepts NULL */
    free(f->buf);
}

/*
 * The number of program headers: 0, or -1 with the message.  libelf
 * silently shortens a table that runs past the end of the file; a
 * hostile table is refused instead, so compare with the count the header
 * claims (e_phnum, or section 0's sh_info for PN_XNUM).
 */
static int get_phnum(struct image_file *f, const GElf_Ehdr *eh, size_t *phnum)
{
    uint64_t claimed = eh->e_phnum;

    if (elf_getphdrnum(f->elf, phnum))
        return fail(f, "program headers beyond the end of the file");
    if (eh->e_phnum == PN_XNUM) {
        GElf_Shdr sh;
        Elf_Scn *scn0 = elf_getscn(f->elf, 0);

        if (!scn0 || !gelf_getshdr(scn0, &sh))
            return fail(f, "bad extended program header count (%s)",
                        elf_errmsg(-1));
        claimed = sh.sh_info;
    }
    if (*phnum != claimed)
        return fail(f, "program headers beyond the end of the file");
    return 0;
}

/* The notes of the file area (offset, size), or NULL if there are none
 * that libelf can read.  The area is checked against the file first. */
static Elf_Data *note_chunk(struct image_file *f, uint64_t offset,
                            uint64_t size, uint64_t align)
{
    if (size == 0 || !in_bounds(offset, size, f->size))
        return NULL;
    /* Notes are 4-byte aligned unless their segment says 8 (gABI). */
    return elf_getdata_rawchunk(f->elf, (int64_t)offset, size,
                                align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
}

/* The first note (name, type) in (d), or NULL; its descriptor and size. */
static const char *data_find_note(Elf_Data *d, const char *name, uint32_t type,
                                  size_t *descsz)
{
    size_t namesz = strlen(name) + 1, off = 0, next, name_off, desc_off;
    GElf_Nhdr nh;

    /* gelf_getnote checks each note lies inside (d); 0 ends the walk. */
    while ((next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
        const char *base = d->d_buf;

        if (nh.n_type == type && nh.n_namesz == namesz &&
            !memcmp(base + name_off, name, namesz)) {
            *descsz = nh.n_descsz;
            return base + desc_off;
        }
        off = next;
    }
    return NULL;
}

static int check_header(struct image_file *f, GElf_Ehdr *eh, size_t *phnum)
{
    const char *id = elf_getident(f->elf, NULL);
    int class = gelf_getclass(f->elf);

    if (id[EI_DATA] != ELFDATA2LSB)
        return fail(f, "not a little-endian ELF file");
    if (id[EI_VERSION] != EV_CURRENT)
        return fail(f, "unknown ELF version %u", (unsigned char)id[EI_VERSION]);
    if (!gelf_getehdr(f->elf, eh))
        return fail(f, "truncated ELF header");
    if (eh->e_type != ET_EXEC)
        return fail(f, "not an executable (ELF type %u)", eh->e_type);
    if (class == ELFCLASS64 && eh->e_machine != EM_X86_64)
        return fail(f, "ELF64 image for machine %u, not x86-64", eh->e_machine);
    if (class == ELFCLASS32 && eh->e_machine != EM_386 &&
        eh->e_machine != EM_X86_64)
        return fail(f, "ELF32 image for machine %u, not x86", eh->e_machine);
    /* libelf reads program headers at their native size, whatever
     * e_phentsize says. */
    if (eh->e_phentsize != gelf_fsize(f->elf, ELF_T_PHDR, 1, EV_CURRENT))
        return fail(f, "bad program header size %u", eh->e_phentsize);
    if (eh->e_phoff == 0 || eh->e_phnum == 0)
        return fail(f, "no program headers");
    if (get_phnum(f, eh, phnum))
        return -1;
    if (*phnum == 0)
        return fail(f, "no program headers");
    return 0;
}

/* One PT_LOAD segment (i): inside the file and RAM, above 1 MiB. */
static int check_load(struct image_file *f, const GElf_Phdr *p, size_t i,
                      uint64_t ram_size)
{
    if (!in_bounds(p->p_offset, p->p_filesz, f->size))
        return fail(f, "segment %zu beyond the end of the file", i);
    if (p->p_filesz > p->p_memsz)
        return fail(f, "segment %zu: file size above memory size", i);
    if (p->p_paddr < XENEMU_BOOT_KERNEL_MIN)
        return fail(f, "segment %zu at 0x%llx, below 1 MiB", i,
                    (unsigned long long)p->p_paddr);
    if (!in_bounds(p->p_paddr, p->p_memsz, ram_size))
        return fail(f,
                    "segment %zu (0x%llx bytes at 0x%llx) does not fit in "
                    "%llu MiB of RAM",
                    i, (unsigned long long)p->p_memsz,
                    (unsigned long long)p->p_paddr,
                    (unsigned long long)(ram_size >> 20));
    return 0;
}

/* Check every program header; find the extent and the entry point. */
static int check_segments(struct image_file *f, const GElf_Ehdr *eh,
                          size_t phnum, uint64_t ram_size,
                          struct elf_image *img)
{
    bool is64 = gelf_getclass(f->elf) == ELFCLASS64;
    bool loads = false, entry_ok = false, note_entry = false;
    GElf_Phdr p;

    img->entry = eh->e_entry; /* 32-bit without the note: e_entry is physical */
    img->start = UINT64_MAX;
    img->end = 0;
    for (size_t i = 0; i < phnum; i++) {
        if (!gelf_getphdr(f->elf, (int)i, &p))
            return fail(f, "program header %zu: %s", i, elf_errmsg(-1));
        if (p.p_type == PT_NOTE && !is64 && !note_entry) {
            Elf_Data *d;
            const char *desc = NULL;
            size_t descsz = 0;
            uint32_t e;

            if (!in_bounds(p.p_offset, p.p_filesz, f->size))
                return fail(f, "note segment %zu beyond the end of the file",
                            i);
            d = note_chunk(f, p.p_offset, p.p_filesz, p.p_align);
            if (d)
                desc =
                    data_find_note(d, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &descsz);
            if (desc && descsz >= sizeof(e)) {
                memcpy(&e, desc, sizeof(e)); /* little-endian, as checked */
                img->entry = e;
                note_entry = true;
            }
        }
        if (p.p_type != PT_LOAD)
            continue;
        if (check_load(f, &p, i, ram_size))
            return -1;
        loads = true;
        if (p.p_paddr < img->start)
            img->start = p.p_paddr;
        if (p.p_paddr + p.p_memsz > img->end)
            img->end = p.p_paddr + p.p_memsz;
    }
    if (!loads)
        return fail(f, "no loadable segments");
    /* The entry must lie in loaded memory (physical: the guest enters with
     * paging off or identity-mapped). */
    for (size_t i = 0; i < phnum && !entry_ok; i++)
        entry_ok = gelf_getphdr(f->elf, (int)i, &p) && p.p_type == PT_LOAD &&
                   img->entry >= p.p_paddr &&
                   img->entry - p.p_paddr < p.p_memsz;
    if (!entry_ok)
        return fail(f, "entry point 0x%llx is not in a loaded segment",
                    (unsigned long long)img->entry);
    img->mode = is64 ? ELF_IMAGE_64 : ELF_IMAGE_32;
    return 0;
}

int elf_image_load(const char *path, uint8_t *ram, uint64_t ram_size,
                   struct elf_image *img, char *err, size_t len)
{
    struct image_file f = {.path = path, .err = err, .len = len};
    struct elf_image found;
    GElf_Ehdr eh;
    size_t phnum = 0;
    int rc = open_image(&f);

    if (!rc)
        rc = check_header(&f, &eh, &phnum);
    if (!rc)
        rc = check_segments(&f, &eh, phnum, ram_size, &found);
    /* Everything is checked: copy the segments (from the file's bytes,
     * whose ranges check_load verified) and zero their BSS. */
    for (size_t i = 0; !rc && i < phnum; i++) {
        GElf_Phdr p;

        if (!gelf_getphdr(f.elf, (int)i, &p) || p.p_type != PT_LOAD)
            continue;
        memcpy(ram + p.p_paddr, f.buf + p.p_offset, p.p_filesz);
        memset(ram + p.p_paddr + p.p_filesz, 0, p.p_memsz - p.p_filesz);
    }
    if (!rc)
        *img = found;
    close_image(&f);
    return rc;
}

/* 1 if a PT_NOTE segment or an SHT_NOTE section holds the note, else 0. */
static int find_note(struct image_file *f, const char *name, uint32_t type)
{
    GElf_Ehdr eh;
    size_t phnum = 0, descsz;
    Elf_Scn *scn = NULL;

    if (!gelf_getehdr(f->elf, &eh))
        return fail(f, "truncated ELF header");
    if (eh.e_phnum && get_phnum(f, &eh, &phnum))
        return -1;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr p;
        Elf_Data *d;

        if (!gelf_getphdr(f->elf, (int)i, &p))
            return fail(f, "program header %zu: %s", i, elf_errmsg(-1));
        d = p.p_type == PT_NOTE
                ? note_chunk(f, p.p_offset, p.p_filesz, p.p_align)
                : NULL;
        if (d && data_find_note(d, name, type, &descsz))
            return 1;
    }
    /* elf_memory() already refused a section header table outside the
     * file; elf_getdata() types a note section by its alignment. */
    while ((scn = elf_nextscn(f->elf, scn))) {
        GElf_Shdr sh;
        Elf_Data *d;

        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        d = elf_getdata(scn, NULL);
        if (d && data_find_note(d, name, type, &descsz))
            return 1;
    }
    return 0;
}

int elf_image_find_note(const char *path, const char *name, uint32_t type,
                        char *err, size_t len)
{
    struct image_file f = {.path = path, .err = err, .len = len};
    int rc = open_image(&f);

    if (!rc)
        rc = find_note(&f, name, type);
    close_image(&f);
    return rc;
}
