/*
 * elf.c: loading a guest image into guest RAM.
 *
 * ELF64 (EM_X86_64) images are entered at e_entry in long mode; ELF32
 * images (EM_386 or EM_X86_64, e.g. GRUB's xen_pvh) at their
 * XEN_ELFNOTE_PHYS32_ENTRY in flat 32-bit mode, as PVH boots them.
 * Segments are loaded by physical address (p_paddr).  The file is hostile:
 * every offset and size is checked against the file and RAM before use,
 * and the first problem is reported in one line.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm.h"
#include "xenemu/xen_public.h"

/* An image larger than this is not a kernel (and not read into memory). */
#define ELF_MAX_FILE (512u << 20)

/* The one format of every program header, whatever the class. */
struct phdr {
    uint32_t type;
    uint64_t offset, paddr, vaddr, filesz, memsz;
};

struct image_file {
    const char *path;
    const uint8_t *data;
    size_t size;
    bool is64;
    char *err;
    size_t len;
};

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

static int read_file(struct image_file *f, uint8_t **out)
{
    struct stat st;
    uint8_t *buf = NULL;
    size_t done = 0;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return fail(f, "%s", strerror(errno));
    if (fstat(fd, &st) < 0) {
        fail(f, "%s", strerror(errno));
        goto err_close;
    }
    if (!S_ISREG(st.st_mode)) {
        fail(f, "not a regular file");
        goto err_close;
    }
    if ((uint64_t)st.st_size > ELF_MAX_FILE) {
        fail(f, "too large for a kernel (%lld bytes)", (long long)st.st_size);
        goto err_close;
    }
    buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf) {
        fail(f, "out of memory");
        goto err_close;
    }
    while (done < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fail(f, "%s", n < 0 ? strerror(errno) : "file shrank while read");
            goto err_free;
        }
        done += (size_t)n;
    }
    close(fd);
    f->data = buf;
    f->size = done;
    *out = buf;
    return 0;

err_free:
    free(buf);
err_close:
    close(fd);
    return -1;
}

/* Program header (i), converted to the common form; offsets checked. */
static struct phdr get_phdr(const struct image_file *f, uint64_t phoff,
                            unsigned int i)
{
    struct phdr p;

    if (f->is64) {
        Elf64_Phdr h;

        memcpy(&h, f->data + phoff + (uint64_t)i * sizeof(h), sizeof(h));
        p = (struct phdr){h.p_type,  h.p_offset, h.p_paddr,
                          h.p_vaddr, h.p_filesz, h.p_memsz};
    } else {
        Elf32_Phdr h;

        memcpy(&h, f->data + phoff + (uint64_t)i * sizeof(h), sizeof(h));
        p = (struct phdr){h.p_type,  h.p_offset, h.p_paddr,
                          h.p_vaddr, h.p_filesz, h.p_memsz};
    }
    return p;
}

/* Look for XEN_ELFNOTE_PHYS32_ENTRY in the PT_NOTE segment (p). */
static bool find_phys32_entry(const struct image_file *f, const struct phdr *p,
                              uint64_t *entry)
{
    uint64_t off = 0;

    while (off + 12 <= p->filesz) {
        uint32_t hdr[3]; /* namesz, descsz, type */
        uint64_t name_len, desc_len;

        memcpy(hdr, f->data + p->offset + off, sizeof(hdr));
        name_len = ((uint64_t)hdr[0] + 3) & ~3ull;
        desc_len = ((uint64_t)hdr[1] + 3) & ~3ull;
        if (!in_bounds(off + 12, name_len + desc_len, p->filesz))
            return false;
        if (hdr[0] == 4 && hdr[2] == XEN_ELFNOTE_PHYS32_ENTRY && hdr[1] >= 4 &&
            !memcmp(f->data + p->offset + off + 12, "Xen", 4)) {
            uint32_t e;

            memcpy(&e, f->data + p->offset + off + 12 + name_len, 4);
            *entry = e;
            return true;
        }
        off += 12 + name_len + desc_len;
    }
    return false;
}

static int check_header(struct image_file *f, uint64_t *phoff,
                        unsigned int *phnum, uint64_t *entry)
{
    const uint8_t *id = f->data;
    unsigned int machine, phentsize;

    if (f->size < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG))
        return fail(f, "not an ELF file");
    if (id[EI_CLASS] != ELFCLASS64 && id[EI_CLASS] != ELFCLASS32)
        return fail(f, "unknown ELF class %u", id[EI_CLASS]);
    f->is64 = id[EI_CLASS] == ELFCLASS64;
    if (id[EI_DATA] != ELFDATA2LSB)
        return fail(f, "not a little-endian ELF file");
    if (id[EI_VERSION] != EV_CURRENT)
        return fail(f, "unknown ELF version %u", id[EI_VERSION]);
    if (f->is64) {
        Elf64_Ehdr eh;

        if (f->size < sizeof(eh))
            return fail(f, "truncated ELF header");
        memcpy(&eh, f->data, sizeof(eh));
        machine = eh.e_machine;
        phentsize = eh.e_phentsize;
        *phoff = eh.e_phoff;
        *phnum = eh.e_phnum;
        *entry = eh.e_entry;
        if (eh.e_type != ET_EXEC)
            return fail(f, "not an executable (ELF type %u)", eh.e_type);
        if (machine != EM_X86_64)
            return fail(f, "ELF64 image for machine %u, not x86-64", machine);
        if (phentsize != sizeof(Elf64_Phdr))
            return fail(f, "bad program header size %u", phentsize);
    } else {
        Elf32_Ehdr eh;

        if (f->size < sizeof(eh))
            return fail(f, "truncated ELF header");
        memcpy(&eh, f->data, sizeof(eh));
        machine = eh.e_machine;
        phentsize = eh.e_phentsize;
        *phoff = eh.e_phoff;
        *phnum = eh.e_phnum;
        *entry = eh.e_entry;
        if (eh.e_type != ET_EXEC)
            return fail(f, "not an executable (ELF type %u)", eh.e_type);
        if (machine != EM_386 && machine != EM_X86_64)
            return fail(f, "ELF32 image for machine %u, not x86", machine);
        if (phentsize != sizeof(Elf32_Phdr))
            return fail(f, "bad program header size %u", phentsize);
    }
    if (*phnum == 0 || *phnum == 0xffff)
        return fail(f, "no program headers");
    if (!in_bounds(*phoff, (uint64_t)*phnum * phentsize, f->size))
        return fail(f, "program headers beyond the end of the file");
    return 0;
}

/* Check every program header and find the entry point. */
static int check_segments(struct image_file *f, uint64_t phoff,
                          unsigned int phnum, uint64_t ram_size,
                          struct kvm_image *img)
{
    uint64_t e_entry = img->entry;
    bool loads = false, entry_ok = false, note_entry = false;

    img->start = UINT64_MAX;
    img->end = 0;
    for (unsigned int i = 0; i < phnum; i++) {
        struct phdr p = get_phdr(f, phoff, i);

        if (p.type == PT_NOTE && !f->is64) {
            if (!in_bounds(p.offset, p.filesz, f->size))
                return fail(f, "note segment %u beyond the end of the file", i);
            if (!note_entry)
                note_entry = find_phys32_entry(f, &p, &img->entry);
        }
        if (p.type != PT_LOAD)
            continue;
        if (!in_bounds(p.offset, p.filesz, f->size))
            return fail(f, "segment %u beyond the end of the file", i);
        if (p.filesz > p.memsz)
            return fail(f, "segment %u: file size above memory size", i);
        if (p.paddr < XENEMU_BOOT_KERNEL_MIN)
            return fail(f, "segment %u at 0x%llx, below 1 MiB", i,
                        (unsigned long long)p.paddr);
        if (!in_bounds(p.paddr, p.memsz, ram_size))
            return fail(f,
                        "segment %u (0x%llx bytes at 0x%llx) does not fit in "
                        "%llu MiB of RAM",
                        i, (unsigned long long)p.memsz,
                        (unsigned long long)p.paddr,
                        (unsigned long long)(ram_size >> 20));
        loads = true;
        if (p.paddr < img->start)
            img->start = p.paddr;
        if (p.paddr + p.memsz > img->end)
            img->end = p.paddr + p.memsz;
    }
    if (!loads)
        return fail(f, "no loadable segments");
    if (!f->is64 && !note_entry)
        img->entry = e_entry; /* a plain 32-bit image: e_entry is physical */
    /* The entry must lie in loaded memory (physical: the guest enters with
     * paging off or identity-mapped). */
    for (unsigned int i = 0; i < phnum; i++) {
        struct phdr p = get_phdr(f, phoff, i);

        if (p.type == PT_LOAD && img->entry >= p.paddr &&
            img->entry - p.paddr < p.memsz)
            entry_ok = true;
    }
    if (!entry_ok)
        return fail(f, "entry point 0x%llx is not in a loaded segment",
                    (unsigned long long)img->entry);
    img->mode = f->is64 ? KVM_ENTRY_64 : KVM_ENTRY_32;
    return 0;
}

int kvm_load_elf(const char *path, uint8_t *ram, uint64_t ram_size,
                 struct kvm_image *img, char *err, size_t len)
{
    struct image_file f = {.path = path, .err = err, .len = len};
    uint8_t *buf = NULL;
    uint64_t phoff = 0;
    unsigned int phnum = 0;
    int rc;

    if (read_file(&f, &buf))
        return -1;
    rc = check_header(&f, &phoff, &phnum, &img->entry);
    if (!rc)
        rc = check_segments(&f, phoff, phnum, ram_size, img);
    /* Everything is checked: copy the segments and zero their BSS. */
    for (unsigned int i = 0; !rc && i < phnum; i++) {
        struct phdr p = get_phdr(&f, phoff, i);

        if (p.type != PT_LOAD)
            continue;
        memcpy(ram + p.paddr, f.data + p.offset, p.filesz);
        memset(ram + p.paddr + p.filesz, 0, p.memsz - p.filesz);
    }
    free(buf);
    return rc;
}
