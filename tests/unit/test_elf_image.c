/* test_elf_image.c: the shared libelf image reader
 * (backend/common/elf_image.c).  The loader with good and hostile images:
 * every malformation gets one line naming the file and the problem, and
 * nothing is written to RAM before all checks passed.  The note check as
 * the sim backend uses it (backend/sim/image.c): in a PT_NOTE segment or
 * an SHT_NOTE section. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "../../backend/common/elf_image.h"
#include "../../backend/sim/sim.h"
#include "xenemu/guest_abi.h"
#include "xenemu/xen_public.h"

#define RAM_SIZE (4u << 20)
#define LOAD_AT  0x100000u

/* A minimal ELF64 executable: one PT_LOAD of 16 file bytes and 4096
 * memory bytes at LOAD_AT, entry at its start. */
struct image64 {
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    uint8_t code[16];
};

/* A little-endian executable header of either class (the field names are
 * the same in Elf32_Ehdr and Elf64_Ehdr), entry at LOAD_AT. */
#define INIT_EHDR(eh, class, machine, phoff, phnum, phdr_t)                    \
    do {                                                                       \
        memcpy((eh).e_ident, ELFMAG, SELFMAG);                                 \
        (eh).e_ident[EI_CLASS] = (class);                                      \
        (eh).e_ident[EI_DATA] = ELFDATA2LSB;                                   \
        (eh).e_ident[EI_VERSION] = EV_CURRENT;                                 \
        (eh).e_type = ET_EXEC;                                                 \
        (eh).e_machine = (machine);                                            \
        (eh).e_version = EV_CURRENT;                                           \
        (eh).e_entry = LOAD_AT;                                                \
        (eh).e_phoff = (phoff);                                                \
        (eh).e_ehsize = sizeof(eh);                                            \
        (eh).e_phentsize = sizeof(phdr_t);                                     \
        (eh).e_phnum = (phnum);                                                \
    } while (0)

static struct image64 good64(void)
{
    struct image64 im = {0};

    INIT_EHDR(im.eh, ELFCLASS64, EM_X86_64, offsetof(struct image64, ph), 1,
              Elf64_Phdr);
    im.ph.p_type = PT_LOAD;
    im.ph.p_offset = offsetof(struct image64, code);
    im.ph.p_paddr = LOAD_AT;
    im.ph.p_vaddr = LOAD_AT;
    im.ph.p_filesz = sizeof(im.code);
    im.ph.p_memsz = 4096;
    memset(im.code, 0xcc, sizeof(im.code));
    return im;
}

struct loaded {
    int rc;
    char err[256];
    struct elf_image img;
    uint8_t *ram;
};

/* Write (len) bytes to a temporary file and load it into fresh RAM whose
 * every byte is 0x5a (so writes and zeroing can be seen). */
static struct loaded load_bytes(const void *bytes, size_t len)
{
    char path[] = "/tmp/xenemu-elf-XXXXXX";
    int fd = mkstemp(path);
    struct loaded l = {0};

    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
    l.ram = malloc(RAM_SIZE);
    assert_non_null(l.ram);
    memset(l.ram, 0x5a, RAM_SIZE);
    l.rc = elf_image_load(path, l.ram, RAM_SIZE, &l.img, l.err, sizeof(l.err));
    unlink(path);
    return l;
}

/* The load failed with a message containing (what), and RAM is untouched. */
static void assert_refused(struct loaded *l, const char *what)
{
    assert_int_equal(l->rc, -1);
    if (!strstr(l->err, what))
        fail_msg("message '%s' does not say '%s'", l->err, what);
    assert_non_null(strstr(l->err, "/tmp/xenemu-elf-")); /* names the file */
    assert_null(strchr(l->err, '\n'));
    for (size_t i = 0; i < RAM_SIZE; i += 4096)
        assert_int_equal(l->ram[i], 0x5a);
    free(l->ram);
}

static void test_good_image_loads(void **state)
{
    struct image64 im = good64();
    struct loaded l = load_bytes(&im, sizeof(im));

    (void)state;
    assert_int_equal(l.rc, 0);
    assert_int_equal(l.img.entry, LOAD_AT);
    assert_int_equal(l.img.mode, ELF_IMAGE_64);
    assert_int_equal(l.img.start, LOAD_AT);
    assert_int_equal(l.img.end, LOAD_AT + 4096);
    assert_int_equal(l.ram[LOAD_AT], 0xcc);
    assert_int_equal(l.ram[LOAD_AT + 15], 0xcc);
    assert_int_equal(l.ram[LOAD_AT + 16], 0); /* BSS zeroed */
    assert_int_equal(l.ram[LOAD_AT + 4095], 0);
    assert_int_equal(l.ram[LOAD_AT + 4096], 0x5a); /* nothing beyond */
    assert_int_equal(l.ram[LOAD_AT - 1], 0x5a);
    free(l.ram);
}

/* One malformation per row, applied to a good image. */
struct bad_row {
    const char *what;
    void (*mutate)(struct image64 *im);
    size_t truncate_to; /* 0: whole image */
};

static void m_magic(struct image64 *im)
{
    im->eh.e_ident[EI_MAG1] = 'X';
}
static void m_class(struct image64 *im)
{
    im->eh.e_ident[EI_CLASS] = 7;
}
static void m_endian(struct image64 *im)
{
    im->eh.e_ident[EI_DATA] = ELFDATA2MSB;
}
static void m_type(struct image64 *im)
{
    im->eh.e_type = ET_DYN;
}
static void m_machine(struct image64 *im)
{
    im->eh.e_machine = EM_AARCH64;
}
static void m_phentsize(struct image64 *im)
{
    im->eh.e_phentsize = 3;
}
static void m_nophdr(struct image64 *im)
{
    im->eh.e_phnum = 0;
}
static void m_phoff(struct image64 *im)
{
    im->eh.e_phoff = UINT64_MAX - 8;
}
static void m_seg_off(struct image64 *im)
{
    im->ph.p_offset = 1u << 30;
}
static void m_seg_wrap(struct image64 *im)
{
    im->ph.p_offset = UINT64_MAX - 4;
}
static void m_filesz(struct image64 *im)
{
    im->ph.p_memsz = 8;
}
static void m_low(struct image64 *im)
{
    im->ph.p_paddr = 0x1000;
    im->eh.e_entry = 0x1000;
}
static void m_big(struct image64 *im)
{
    im->ph.p_memsz = RAM_SIZE;
}
static void m_wrap(struct image64 *im)
{
    im->ph.p_paddr = UINT64_MAX - 100;
}
static void m_noload(struct image64 *im)
{
    im->ph.p_type = PT_NULL;
}
static void m_entry(struct image64 *im)
{
    im->eh.e_entry = 0x300000;
}
static void m_none(struct image64 *im)
{
    (void)im;
}

static void test_bad_images_are_refused(void **state)
{
    static const struct bad_row rows[] = {
        {"not an ELF file", m_magic, 0},
        {"unknown ELF class", m_class, 0},
        {"not a little-endian", m_endian, 0},
        {"not an executable", m_type, 0},
        {"not x86-64", m_machine, 0},
        {"bad program header size", m_phentsize, 0},
        {"no program headers", m_nophdr, 0},
        {"program headers beyond the end of the file", m_phoff, 0},
        {"segment 0 beyond the end of the file", m_seg_off, 0},
        {"segment 0 beyond the end of the file", m_seg_wrap, 0},
        {"file size above memory size", m_filesz, 0},
        {"below 1 MiB", m_low, 0},
        {"does not fit", m_big, 0},
        {"does not fit", m_wrap, 0},
        {"no loadable segments", m_noload, 0},
        {"entry point 0x300000 is not in a loaded segment", m_entry, 0},
        {"not an ELF file", m_none, 3},
        {"truncated ELF header", m_none, sizeof(Elf64_Ehdr) - 1},
        {"program headers beyond the end of the file", m_none,
         sizeof(Elf64_Ehdr) + 8},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct image64 im = good64();
        struct loaded l;

        rows[i].mutate(&im);
        l = load_bytes(&im,
                       rows[i].truncate_to ? rows[i].truncate_to : sizeof(im));
        assert_refused(&l, rows[i].what);
    }
}

static void test_missing_file(void **state)
{
    struct elf_image img;
    char err[256];
    uint8_t ram[16];

    (void)state;
    assert_int_equal(elf_image_load("/nonexistent/guest.elf", ram, sizeof(ram),
                                    &img, err, sizeof(err)),
                     -1);
    assert_string_equal(err,
                        "/nonexistent/guest.elf: No such file or directory");
}

/* A 32-bit PVH image: entered at its XEN_ELFNOTE_PHYS32_ENTRY, not at
 * e_entry. */
struct image32 {
    Elf32_Ehdr eh;
    Elf32_Phdr ph[2]; /* PT_LOAD, PT_NOTE */
    Elf32_Nhdr nh;
    char name[4];
    uint32_t desc;
    uint8_t code[16];
};

static void test_pvh32_entry_from_note(void **state)
{
    struct image32 im = {0};
    struct loaded l;

    (void)state;
    INIT_EHDR(im.eh, ELFCLASS32, EM_386, offsetof(struct image32, ph), 2,
              Elf32_Phdr);
    im.ph[0] = (Elf32_Phdr){.p_type = PT_LOAD,
                            .p_offset = offsetof(struct image32, code),
                            .p_paddr = LOAD_AT,
                            .p_filesz = sizeof(im.code),
                            .p_memsz = 4096};
    im.ph[1] = (Elf32_Phdr){.p_type = PT_NOTE,
                            .p_offset = offsetof(struct image32, nh),
                            .p_filesz = offsetof(struct image32, code) -
                                        offsetof(struct image32, nh),
                            .p_align = 4};
    im.nh = (Elf32_Nhdr){4, 4, XEN_ELFNOTE_PHYS32_ENTRY};
    memcpy(im.name, "Xen", 4);
    im.desc = LOAD_AT + 8;
    l = load_bytes(&im, sizeof(im));
    assert_int_equal(l.rc, 0);
    assert_int_equal(l.img.mode, ELF_IMAGE_32);
    assert_int_equal(l.img.entry, LOAD_AT + 8);
    free(l.ram);
}

/* An ELF64 image for the note check: the xenemu note in a PT_NOTE segment
 * (ph[1]) and/or an SHT_NOTE section (sh[1]). */
struct note_image {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[2];
    Elf64_Shdr sh[2];
    Elf64_Nhdr nh;
    char name[8]; /* "xenemu\0", padded to 4 bytes */
    uint32_t desc;
    uint8_t code[16];
};

#define NOTE_SIZE                                                              \
    (offsetof(struct note_image, code) - offsetof(struct note_image, nh))

static struct note_image note_image(bool in_segment, bool in_section)
{
    struct image64 base = good64();
    struct note_image im = {.eh = base.eh, .ph = {base.ph}};

    im.eh.e_phnum = 2;
    im.ph[0].p_offset = offsetof(struct note_image, code);
    if (in_segment)
        im.ph[1] = (Elf64_Phdr){.p_type = PT_NOTE,
                                .p_offset = offsetof(struct note_image, nh),
                                .p_filesz = NOTE_SIZE,
                                .p_align = 4};
    if (in_section) {
        im.eh.e_shoff = offsetof(struct note_image, sh);
        im.eh.e_shentsize = sizeof(Elf64_Shdr);
        im.eh.e_shnum = 2;
        im.sh[1] = (Elf64_Shdr){.sh_type = SHT_NOTE,
                                .sh_offset = offsetof(struct note_image, nh),
                                .sh_size = NOTE_SIZE,
                                .sh_addralign = 4};
    }
    im.nh = (Elf64_Nhdr){sizeof(XENEMU_ELFNOTE_NAME), sizeof(im.desc),
                         XENEMU_ELFNOTE_GUEST};
    memcpy(im.name, XENEMU_ELFNOTE_NAME, sizeof(XENEMU_ELFNOTE_NAME));
    return im;
}

/* sim_image_check() on (len) bytes: its result, the message in (err). */
static int note_check(const void *bytes, size_t len, char *err, size_t errlen)
{
    char path[] = "/tmp/xenemu-elf-XXXXXX";
    int fd = mkstemp(path);
    int rc;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
    err[0] = '\0';
    rc = sim_image_check(path, RAM_SIZE, err, errlen);
    unlink(path);
    return rc;
}

static void assert_note_refused(const void *bytes, size_t len, const char *what)
{
    char err[256];

    assert_int_equal(note_check(bytes, len, err, sizeof(err)), -1);
    if (!strstr(err, what) || !strstr(err, "/tmp/xenemu-elf-"))
        fail_msg("message '%s' does not say '%s'", err, what);
}

static void test_note_check(void **state)
{
    struct note_image seg = note_image(true, false);
    struct note_image sec = note_image(false, true);
    struct note_image none = note_image(false, false);
    struct note_image other = note_image(true, true);
    struct note_image wrong_name = note_image(true, true);
    struct note_image broken = note_image(true, false);
    char err[256];

    (void)state;
    assert_int_equal(note_check(&seg, sizeof(seg), err, sizeof(err)), 0);
    assert_int_equal(note_check(&sec, sizeof(sec), err, sizeof(err)), 0);
    other.nh.n_type = XENEMU_ELFNOTE_GUEST + 1;
    wrong_name.name[5] = 'X';
    broken.ph[1].p_offset = UINT64_MAX - 4; /* outside the file: no notes */
    assert_note_refused(&none, sizeof(none), "not a xenemu guest kernel");
    assert_note_refused(&other, sizeof(other), "not a xenemu guest kernel");
    assert_note_refused(&wrong_name, sizeof(wrong_name),
                        "not a xenemu guest kernel");
    assert_note_refused(&broken, sizeof(broken), "not a xenemu guest kernel");
    assert_note_refused("#!/bin/sh\n", 10, "not an ELF file");
    assert_int_equal(
        sim_image_check("/nonexistent/guest.elf", RAM_SIZE, err, sizeof(err)),
        -1);
    assert_string_equal(err,
                        "/nonexistent/guest.elf: No such file or directory");
}

/* A note_image starts like an image64, so the mutators apply to it. */
_Static_assert(offsetof(struct note_image, ph) == offsetof(struct image64, ph),
               "note_image and image64 headers line up");

/* The sim backend checks an image with the same loader: every hostile
 * image above is refused there with the same message, before the note is
 * looked at (regression: sim once accepted any file with the note). */
static void test_sim_refuses_bad_images(void **state)
{
    static const struct bad_row rows[] = {
        {"not x86-64", m_machine, 0},
        {"segment 0 beyond the end of the file", m_seg_off, 0},
        {"below 1 MiB", m_low, 0},
        {"does not fit", m_big, 0},
        {"entry point 0x300000 is not in a loaded segment", m_entry, 0},
        {"truncated ELF header", m_none, sizeof(Elf64_Ehdr) - 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct note_image im = note_image(true, true);
        char err[256];

        rows[i].mutate((struct image64 *)&im);
        assert_int_equal(
            note_check(&im,
                       rows[i].truncate_to ? rows[i].truncate_to : sizeof(im),
                       err, sizeof(err)),
            -1);
        if (!strstr(err, rows[i].what))
            fail_msg("row %zu: message '%s' does not say '%s'", i, err,
                     rows[i].what);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_image_loads),
        cmocka_unit_test(test_bad_images_are_refused),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_pvh32_entry_from_note),
        cmocka_unit_test(test_note_check),
        cmocka_unit_test(test_sim_refuses_bad_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
