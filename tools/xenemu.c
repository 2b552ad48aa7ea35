/* xenemu: placeholder command line. */
#include <stdio.h>

int main(void)
{
    puts("xenemu");
    return 0;
}
