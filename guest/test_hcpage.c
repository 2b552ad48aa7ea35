/*
 * test_hcpage.c: test=hcpage -- the hypercall-page MSR takes any frame of
 * RAM, as Xen's guest_wrmsr_xen() does, the first MiB included (a
 * regression: xenemu's KVM backend refused frames below 1 MiB with #GP).
 *
 * Asks for a second hypercall page at guest-physical 0x9000 (in the
 * reserved first MiB, RAM all the same) and calls XENVER_version through
 * it; on KVM the page must also hold iret's `ud2` stub.
 */
#include "hyp.h"
#include "tests.h"

#define LOW_PAGE 0x9000u

enum test_result test_hcpage(struct kernel *k)
{
    long version = 0;
    int rc = arch_hypercall_page_at(hyp_cpuid_base(), LOW_PAGE, &version);

    if (rc) {
        test_report("hcpage", TEST_FAIL, "page at 0x%x: %d", LOW_PAGE, rc);
        return TEST_FAIL;
    }
    if (version != (long)k->xen_version) {
        test_report("hcpage", TEST_FAIL, "xen_version through it: 0x%lx",
                    (unsigned long)version);
        return TEST_FAIL;
    }
    test_report("hcpage", TEST_PASS, "gpa=0x%x version=0x%lx", LOW_PAGE,
                (unsigned long)version);
    return TEST_PASS;
}
