/* demo.h: the core's self-demonstration (xenemu demo). */
#ifndef XENEMU_DEMO_H
#define XENEMU_DEMO_H

/* Run every scenario with (events) events each way; 0 when all behaved as
 * Xen would, else -1 (the failure is printed). */
int demo_run(unsigned int events);

#endif /* XENEMU_DEMO_H */
