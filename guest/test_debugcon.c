/*
 * test_debugcon.c: test=debugcon -- the console log's two sources.
 *
 * Writes one line through Xen's HVM debug port 0xe9 and one through
 * CONSOLEIO_write, each with control characters and an escape sequence in
 * it, and half a line through each that only the other one ends.  The host
 * checks what reached its log: the printable characters only, in whole
 * lines (tests/guest/run.sh).  The guest cannot see its own log, so the
 * RESULT line only says that everything was written.
 */
#include "hypercall.h"
#include "kprintf.h"
#include "lib.h"
#include "tests.h"

/* ESC [ 3 1 m (colour), BEL, CR, backspace and an 8-bit CSI: none of
 * which may reach the host terminal. */
static const char dirty[] = "\x1b[31mred\x07\r\b\x9b text\n";

static void port_write(const char *s)
{
    while (*s)
        arch_debug_putc(*s++);
}

/* Through a stack copy: hypercall buffers must have a guest-physical
 * address (arch.h), which the image's read-only data need not have. */
static long cio_write(const char *s)
{
    char buf[64];
    size_t n = kstrlen(s);

    if (n > sizeof(buf))
        return -XEN_E2BIG;
    memcpy(buf, s, n);
    return HYPERVISOR_console_io(CONSOLEIO_write, (unsigned int)n, buf);
}

enum test_result test_debugcon(struct kernel *k)
{
    long rc;

    (void)k;
    port_write("debugcon port: ");
    port_write(dirty);
    rc = cio_write("debugcon io: ");
    if (rc == 0)
        rc = cio_write(dirty);
    /* One line from both sources: they share the domain's buffer. */
    if (rc == 0)
        rc = cio_write("debugcon shared: io+");
    port_write("port\n");
    if (rc) {
        test_report("debugcon", TEST_FAIL, "CONSOLEIO_write: %ld", rc);
        return TEST_FAIL;
    }
    test_report("debugcon", TEST_PASS, "written=3");
    return TEST_PASS;
}
