/*
 * fuzz_elf.c: libFuzzer target for the guest-image loader
 * (backend/common/elf_image.c: elf_image_load() and elf_image_find_note()),
 * built by `make fuzz` (fuzz/fuzz.mk) with clang, ASan and UBSan.
 *
 * The loader reads its image by path, so each input is written to a memfd
 * (memfd_create, made once; truncated and rewritten per input) that the
 * loader opens as /proc/self/fd/N: a regular file that never reaches a
 * disk.  The input is the whole image file; there is no other format.
 *
 * It is loaded into guest RAM of RAM_SIZE bytes (1 MiB + WINDOW) laid out
 * so that a stray write faults or is seen:
 *
 *   guard page | low 1 MiB          | WINDOW          | guard page
 *   PROT_NONE  | PROT_NONE (no image| read-write,     | PROT_NONE
 *              | may load below     | every byte      |
 *              | XENEMU_BOOT_KERNEL_| CANARY before   |
 *              | MIN)               | each call       |
 *
 * Checked after every call (a violation is __builtin_trap(); a write into a
 * PROT_NONE page is a SEGV that libFuzzer reports as a crash):
 *   - elf_image_load() returns 0 or -1;
 *   - on -1: a non-empty message on one line that begins with "PATH: "
 *     (it names the file), and every byte of the window is still CANARY
 *     (RAM is written only once every check passed);
 *   - on 0: XENEMU_BOOT_KERNEL_MIN <= start < end <= RAM_SIZE, the entry
 *     point in [start, end), the mode that of the file's ELF class, and
 *     the window still CANARY outside [start, end);
 *   - elf_image_find_note() (the xenemu guest note, as the sim backend asks)
 *     returns 1, 0 or -1, with the same message rules on -1, and never -1
 *     for a file that loaded.
 * The message buffer is a heap block of exactly ERRLEN bytes, so ASan sees
 * an overrun.  libelf itself is the system's, not instrumented: its
 * coverage is not seen, only what the loader does with its answers.
 *
 * SEEDS (fuzz/seeds-elf/) are written by this same file built with
 * -DFUZZ_SEED_MAIN (see the end of the file), which also runs each through
 * the checks above and compares the loader's result with the expected one:
 *   load64          ELF64 x86-64, one PT_LOAD at 1 MiB (16 file bytes,
 *                   4 KiB in memory), entered at its start
 *   load64_multi    two PT_LOADs with BSS, a PT_NULL and an 8-aligned
 *                   PT_NOTE (ELF_T_NHDR8) holding the xenemu note, entry in
 *                   the second segment
 *   note64_sections the xenemu note in a PT_NOTE and an SHT_NOTE section,
 *                   with a section-name string table
 *   pn_xnum64       e_phnum = PN_XNUM, the count in section 0's sh_info
 *   pvh32           ELF32 EM_386, entered at its XEN_ELFNOTE_PHYS32_ENTRY
 *   elf32_x86_64    ELF32 EM_X86_64 without the note, entered at e_entry
 *   bad_low         a segment below 1 MiB (refused)
 *   bad_truncated   an ELF64 header cut short (refused)
 * To rewrite them:
 *   mkdir -p build/fuzz-seedgen
 *   clang -Iinclude -D__XEN_TOOLS__ -D_POSIX_C_SOURCE=200809L -std=c11 \
 *       -pthread -DFUZZ_SEED_MAIN fuzz/fuzz_elf.c backend/common/elf_image.c \
 *       -lelf -o build/fuzz-seedgen/elf-seedgen
 *   build/fuzz-seedgen/elf-seedgen fuzz/seeds-elf
 *
 * Set FUZZ_TRACE=1 in the environment to print every result
 * (`build/fuzz/fuzz_elf FILE...` runs just those inputs).
 */

#define _GNU_SOURCE /* memfd_create() */

#include <elf.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../backend/common/elf_image.h"
#include "xenemu/guest_abi.h"
#include "xenemu/xen_public.h"

#define PAGE     4096u
#define KMIN     ((uint64_t)XENEMU_BOOT_KERNEL_MIN)
#define WINDOW   (128u << 10)
#define RAM_SIZE (KMIN + WINDOW)
#define CANARY   0x5a
#define ERRLEN   256

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

static bool trace; /* FUZZ_TRACE */
static int image_fd = -1;
static char image_path[64];
static uint8_t *ram;    /* RAM_SIZE bytes between two guard pages */
static uint8_t *canary; /* WINDOW bytes of CANARY, to compare with */
static char *err;       /* ERRLEN bytes: the loader's message */
static char *note_err;  /* ERRLEN bytes: elf_image_find_note()'s */

static void die(const char *what)
{
    perror(what);
    abort();
}

static void setup(void)
{
    uint8_t *map;

    trace = getenv("FUZZ_TRACE") != NULL;
    image_fd = memfd_create("fuzz_elf", MFD_CLOEXEC);
    if (image_fd < 0)
        die("fuzz_elf: memfd_create");
    snprintf(image_path, sizeof(image_path), "/proc/self/fd/%d", image_fd);
    if (access(image_path, R_OK))
        die(image_path); /* no /proc */

    map = mmap(NULL, PAGE + RAM_SIZE + PAGE, PROT_NONE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        die("fuzz_elf: mmap");
    ram = map + PAGE;
    if (mprotect(ram + KMIN, WINDOW, PROT_READ | PROT_WRITE))
        die("fuzz_elf: mprotect");
    memset(ram + KMIN, CANARY, WINDOW);
    canary = malloc(WINDOW);
    err = malloc(ERRLEN);
    note_err = malloc(ERRLEN);
    if (!canary || !err || !note_err)
        die("fuzz_elf: malloc");
    memset(canary, CANARY, WINDOW);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setup();
    return 0;
}

static void write_image(const uint8_t *data, size_t size)
{
    size_t done = 0;

    if (ftruncate(image_fd, 0))
        die("fuzz_elf: ftruncate");
    while (done < size) {
        ssize_t n = pwrite(image_fd, data + done, size - done, (off_t)done);

        if (n <= 0)
            die("fuzz_elf: pwrite");
        done += (size_t)n;
    }
}

/* Is the window CANARY in [from, to) (guest-physical, inside the window)? */
static bool window_clean(uint64_t from, uint64_t to)
{
    return from >= to || !memcmp(ram + from, canary + (from - KMIN), to - from);
}

/* A failure's message: "PATH: text" on one line. */
static void check_message(const char *msg)
{
    size_t plen = strlen(image_path);

    CHECK(memchr(msg, '\0', ERRLEN) != NULL);
    CHECK(!strchr(msg, '\n'));
    CHECK(!strncmp(msg, image_path, plen) && msg[plen] == ':' &&
          msg[plen + 1] == ' ' && msg[plen + 2] != '\0');
}

/* Load one image and check everything: the loader's result, and
 * elf_image_find_note()'s in (*note_rc). */
static int run_one(const uint8_t *data, size_t size, int *note_rc)
{
    struct elf_image img;
    int rc, note;

    write_image(data, size);

    memset(err, 'x', ERRLEN); /* the loader must terminate its message */
    memset(&img, 0xa5, sizeof(img));
    rc = elf_image_load(image_path, ram, RAM_SIZE, &img, err, ERRLEN);
    CHECK(rc == 0 || rc == -1);
    if (rc) {
        check_message(err);
        CHECK(window_clean(KMIN, RAM_SIZE));
    } else {
        CHECK(size >= EI_NIDENT);
        CHECK(img.start >= KMIN && img.start < img.end && img.end <= RAM_SIZE);
        CHECK(img.entry >= img.start && img.entry < img.end);
        CHECK(img.mode ==
              (data[EI_CLASS] == ELFCLASS64 ? ELF_IMAGE_64 : ELF_IMAGE_32));
        CHECK(window_clean(KMIN, img.start));
        CHECK(window_clean(img.end, RAM_SIZE));
        /* Only [start, end) changed: put the canary back there. */
        memset(ram + img.start, CANARY, img.end - img.start);
    }

    memset(note_err, 'x', ERRLEN);
    note = elf_image_find_note(image_path, XENEMU_ELFNOTE_NAME,
                               XENEMU_ELFNOTE_GUEST, note_err, ERRLEN);
    if (trace)
        fprintf(stderr, "load: %.*s; note: %d%s%.*s\n", ERRLEN,
                rc ? err : "loaded", note, note < 0 ? ": " : "", ERRLEN,
                note < 0 ? note_err : "");
    CHECK(note == 1 || note == 0 || note == -1);
    if (note < 0) {
        CHECK(rc != 0);
        check_message(note_err);
    }
    *note_rc = note;
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int note;

    run_one(data, size, &note);
    return 0;
}

#ifdef FUZZ_SEED_MAIN
/*
 * The seed writer.  Each seed is built in a zeroed buffer from the ELF
 * structures of <elf.h>, little-endian as the host is.
 */
#include <errno.h>
#include <sys/stat.h>

#define SEED_MAX 1024
#define LOAD_AT  0x100000u

struct seed {
    uint8_t b[SEED_MAX];
    size_t size;
};

static void put(struct seed *s, size_t off, const void *p, size_t len)
{
    if (off + len > SEED_MAX) {
        fprintf(stderr, "elf-seedgen: seed too large\n");
        exit(1);
    }
    memcpy(s->b + off, p, len);
    if (off + len > s->size)
        s->size = off + len;
}

static size_t align_up(size_t n, size_t a)
{
    return (n + a - 1) / a * a;
}

/* A note (name, type, desc) at (off), laid out for (align) 4 or 8:
 * returns its size. */
static size_t put_note(struct seed *s, size_t off, size_t align,
                       const char *name, uint32_t type, const void *desc,
                       uint32_t descsz)
{
    Elf32_Nhdr nh = {(uint32_t)strlen(name) + 1, descsz, type};
    size_t desc_off = align_up(sizeof(nh) + nh.n_namesz, align);

    put(s, off, &nh, sizeof(nh));
    put(s, off + sizeof(nh), name, nh.n_namesz);
    put(s, off + desc_off, desc, descsz);
    return align_up(desc_off + descsz, align);
}

static Elf64_Ehdr ehdr64(uint64_t entry, size_t phnum)
{
    Elf64_Ehdr eh = {0};

    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_entry = entry;
    eh.e_phoff = sizeof(eh);
    eh.e_ehsize = sizeof(eh);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = (Elf64_Half)phnum;
    return eh;
}

static Elf32_Ehdr ehdr32(uint16_t machine, uint32_t entry, size_t phnum)
{
    Elf32_Ehdr eh = {0};

    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = machine;
    eh.e_version = EV_CURRENT;
    eh.e_entry = entry;
    eh.e_phoff = sizeof(eh);
    eh.e_ehsize = sizeof(eh);
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_phnum = (Elf32_Half)phnum;
    return eh;
}

static Elf64_Phdr phdr64(uint32_t type, uint64_t off, uint64_t paddr,
                         uint64_t filesz, uint64_t memsz, uint64_t align)
{
    Elf64_Phdr p = {.p_type = type,
                    .p_flags = PF_R | PF_X,
                    .p_offset = off,
                    .p_vaddr = paddr,
                    .p_paddr = paddr,
                    .p_filesz = filesz,
                    .p_memsz = memsz,
                    .p_align = align};
    return p;
}

static Elf32_Phdr phdr32(uint32_t type, uint32_t off, uint32_t paddr,
                         uint32_t filesz, uint32_t memsz, uint32_t align)
{
    Elf32_Phdr p = {.p_type = type,
                    .p_offset = off,
                    .p_vaddr = paddr,
                    .p_paddr = paddr,
                    .p_filesz = filesz,
                    .p_memsz = memsz,
                    .p_flags = PF_R | PF_X,
                    .p_align = align};
    return p;
}

/* 16 bytes of "code": int3s. */
static void put_code(struct seed *s, size_t off)
{
    uint8_t code[16];

    memset(code, 0xcc, sizeof(code));
    put(s, off, code, sizeof(code));
}

static void seed_load64(struct seed *s)
{
    Elf64_Ehdr eh = ehdr64(LOAD_AT, 1);
    size_t code = sizeof(eh) + sizeof(Elf64_Phdr);
    Elf64_Phdr ph = phdr64(PT_LOAD, code, LOAD_AT, 16, 4096, PAGE);

    put(s, 0, &eh, sizeof(eh));
    put(s, sizeof(eh), &ph, sizeof(ph));
    put_code(s, code);
}

static void seed_load64_multi(struct seed *s)
{
    uint32_t desc = 1;
    Elf64_Ehdr eh = ehdr64(LOAD_AT + 0x8004, 4);
    size_t note = sizeof(eh) + 4 * sizeof(Elf64_Phdr);
    size_t note_size = put_note(s, note, 8, XENEMU_ELFNOTE_NAME,
                                XENEMU_ELFNOTE_GUEST, &desc, sizeof(desc));
    size_t code = align_up(note + note_size, 16);
    Elf64_Phdr ph[4] = {
        phdr64(PT_LOAD, code, LOAD_AT, 16, 0x2000, PAGE),
        phdr64(PT_NULL, 0, 0, 0, 0, 0),
        phdr64(PT_NOTE, note, 0, note_size, note_size, 8),
        phdr64(PT_LOAD, code + 16, LOAD_AT + 0x8000, 16, 0x1010, PAGE),
    };

    put(s, 0, &eh, sizeof(eh));
    put(s, sizeof(eh), ph, sizeof(ph));
    put_code(s, code);
    put_code(s, code + 16);
}

static void seed_note64_sections(struct seed *s)
{
    static const char shstrtab[] = "\0.note.xenemu\0.shstrtab";
    uint32_t desc = 1;
    Elf64_Ehdr eh = ehdr64(LOAD_AT, 2);
    size_t note = sizeof(eh) + 2 * sizeof(Elf64_Phdr);
    size_t note_size = put_note(s, note, 4, XENEMU_ELFNOTE_NAME,
                                XENEMU_ELFNOTE_GUEST, &desc, sizeof(desc));
    size_t strtab = note + note_size;
    size_t code = align_up(strtab + sizeof(shstrtab), 16);
    size_t shoff = align_up(code + 16, 8);
    Elf64_Phdr ph[2] = {
        phdr64(PT_LOAD, code, LOAD_AT, 16, 4096, PAGE),
        phdr64(PT_NOTE, note, 0, note_size, note_size, 4),
    };
    Elf64_Shdr sh[3] = {
        {0},
        {.sh_name = 1,
         .sh_type = SHT_NOTE,
         .sh_flags = SHF_ALLOC,
         .sh_offset = note,
         .sh_size = note_size,
         .sh_addralign = 4},
        {.sh_name = 14,
         .sh_type = SHT_STRTAB,
         .sh_offset = strtab,
         .sh_size = sizeof(shstrtab),
         .sh_addralign = 1},
    };

    eh.e_shoff = shoff;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 3;
    eh.e_shstrndx = 2;
    put(s, 0, &eh, sizeof(eh));
    put(s, sizeof(eh), ph, sizeof(ph));
    put(s, strtab, shstrtab, sizeof(shstrtab));
    put_code(s, code);
    put(s, shoff, sh, sizeof(sh));
}

static void seed_pn_xnum64(struct seed *s)
{
    Elf64_Ehdr eh = ehdr64(LOAD_AT, PN_XNUM);
    size_t code = sizeof(eh) + sizeof(Elf64_Phdr);
    size_t shoff = code + 16;
    Elf64_Phdr ph = phdr64(PT_LOAD, code, LOAD_AT, 16, 4096, PAGE);
    Elf64_Shdr sh0 = {.sh_info = 1};

    eh.e_shoff = shoff;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 1;
    put(s, 0, &eh, sizeof(eh));
    put(s, sizeof(eh), &ph, sizeof(ph));
    put_code(s, code);
    put(s, shoff, &sh0, sizeof(sh0));
}

static void seed_pvh32(struct seed *s)
{
    uint32_t entry = LOAD_AT + 8;
    Elf32_Ehdr eh = ehdr32(EM_386, 0, 2);
    size_t note = sizeof(eh) + 2 * sizeof(Elf32_Phdr);
    size_t note_size = put_note(s, note, 4, "Xen", XEN_ELFNOTE_PHYS32_ENTRY,
                                &entry, sizeof(entry));
    size_t code = note + note_size;
    Elf32_Phdr ph[2] = {
        phdr32(PT_LOAD, (uint32_t)code, LOAD_AT, 16, 4096, PAGE),
        phdr32(PT_NOTE, (uint32_t)note, 0, (uint32_t)note_size,
               (uint32_t)note_size, 4),
    };

    put(s, 0, &eh, sizeof(eh));
    put(s, sizeof(eh), ph, sizeof(ph));
    put_code(s, code);
}

static void seed_elf32_x86_64(struct seed *s)
{
    Elf32_Ehdr eh = ehdr32(EM_X86_64, LOAD_AT + 4, 1);
    size_t code = sizeof(eh) + sizeof(Elf32_Phdr);
    Elf32_Phdr ph = phdr32(PT_LOAD, (uint32_t)code, LOAD_AT, 16, 16, PAGE);

    put(s, 0, &eh, sizeof(eh));
    put(s, sizeof(eh), &ph, sizeof(ph));
    put_code(s, code);
}

static void seed_bad_low(struct seed *s)
{
    Elf64_Ehdr eh = ehdr64(0x1000, 1);
    size_t code = sizeof(eh) + sizeof(Elf64_Phdr);
    Elf64_Phdr ph = phdr64(PT_LOAD, code, 0x1000, 16, 4096, PAGE);

    put(s, 0, &eh, sizeof(eh));
    put(s, sizeof(eh), &ph, sizeof(ph));
    put_code(s, code);
}

static void seed_bad_truncated(struct seed *s)
{
    seed_load64(s);
    s->size = sizeof(Elf64_Ehdr) - 24;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*build)(struct seed *s);
        int want, want_note; /* the loader's result, the note check's */
    } seeds[] = {
        {"load64", seed_load64, 0, 0},
        {"load64_multi", seed_load64_multi, 0, 1},
        {"note64_sections", seed_note64_sections, 0, 1},
        {"pn_xnum64", seed_pn_xnum64, 0, 0},
        {"pvh32", seed_pvh32, 0, 0},
        {"elf32_x86_64", seed_elf32_x86_64, 0, 0},
        {"bad_low", seed_bad_low, -1, 0},
        {"bad_truncated", seed_bad_truncated, -1, -1},
    };
    int failed = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    if (mkdir(argv[1], 0755) && errno != EEXIST)
        die(argv[1]);
    setup();
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        static struct seed s;
        char path[PATH_MAX];
        FILE *f;
        int rc, note;
        bool ok;

        memset(&s, 0, sizeof(s));
        seeds[i].build(&s);
        snprintf(path, sizeof(path), "%s/%s", argv[1], seeds[i].name);
        f = fopen(path, "wb");
        if (!f || fwrite(s.b, 1, s.size, f) != s.size || fclose(f))
            die(path);
        rc = run_one(s.b, s.size, &note);
        ok = rc == seeds[i].want && note == seeds[i].want_note;
        printf("%-16s %4zu bytes: %s%s, note %d%s\n", seeds[i].name, s.size,
               rc ? "refused: " : "loaded", rc ? err : "", note,
               ok ? "" : "  <-- UNEXPECTED");
        failed |= !ok;
    }
    return failed;
}
#endif /* FUZZ_SEED_MAIN */
