/* test_kvm_elf.c: the KVM backend's image loader (backend/kvm/elf.c) with
 * good and hostile images: every malformation gets one line naming the
 * file and the problem, and nothing is written to RAM before all checks
 * passed. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "../../backend/kvm/kvm.h"

#define RAM_SIZE (4u << 20)
#define LOAD_AT  0x100000u

/* A minimal ELF64 executable: one PT_LOAD of 16 file bytes and 4096
 * memory bytes at LOAD_AT, entry at its start. */
struct image64 {
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    uint8_t code[16];
};

static struct image64 good64(void)
{
    struct image64 im = {0};

    memcpy(im.eh.e_ident, ELFMAG, SELFMAG);
    im.eh.e_ident[EI_CLASS] = ELFCLASS64;
    im.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im.eh.e_ident[EI_VERSION] = EV_CURRENT;
    im.eh.e_type = ET_EXEC;
    im.eh.e_machine = EM_X86_64;
    im.eh.e_version = EV_CURRENT;
    im.eh.e_entry = LOAD_AT;
    im.eh.e_phoff = offsetof(struct image64, ph);
    im.eh.e_ehsize = sizeof(Elf64_Ehdr);
    im.eh.e_phentsize = sizeof(Elf64_Phdr);
    im.eh.e_phnum = 1;
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
    struct kvm_image img;
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
    l.rc = kvm_load_elf(path, l.ram, RAM_SIZE, &l.img, l.err, sizeof(l.err));
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
    assert_int_equal(l.img.mode, KVM_ENTRY_64);
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
    struct kvm_image img;
    char err[256];
    uint8_t ram[16];

    (void)state;
    assert_int_equal(kvm_load_elf("/nonexistent/guest.elf", ram, sizeof(ram),
                                  &img, err, sizeof(err)),
                     -1);
    assert_string_equal(err,
                        "/nonexistent/guest.elf: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_image_loads),
        cmocka_unit_test(test_bad_images_are_refused),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
