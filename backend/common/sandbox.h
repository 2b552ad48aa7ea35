/*
 * sandbox.h: what a running xenemu keeps of the host's privileges.
 *
 * Guests are hostile, and every thread that runs guest-influenced code
 * (vCPU threads, the timer service, the KVM watchdog, and `xenemu run`'s
 * main thread once its guests start) gives up what it no longer needs, as
 * Solo5's tender and crosvm do:
 *   - every Linux capability (root keeps its uid, not its powers), and
 *     no_new_privs: nothing exec'd later could regain them;
 *   - on vCPU threads, a seccomp filter: only the system calls a vCPU
 *     makes (its KVM ioctls, on its domain's vCPU fds only; futex and signals
 *     for waits and kicks; writes to stdout and stderr; memory for the
 *     allocator; thread creation for VCPUOP_up).  Anything else stops the
 *     process with a message naming the call.
 * Capabilities and seccomp filters belong to a thread in Linux, so each
 * thread drops its own; threads it starts inherit the state.
 * docs/running.md lists what is kept and why.
 */
#ifndef XENEMU_BACKEND_SANDBOX_H
#define XENEMU_BACKEND_SANDBOX_H

#include <stddef.h>

/* Drop every capability of the calling thread and set no_new_privs.  0,
 * or -1 with a one-line message in (err). */
int sandbox_drop_caps(char *err, size_t len);

/* sandbox_drop_caps(), then the vCPU filter on the calling thread: the (n)
 * file descriptors (kvm_fds), the domain's KVM vCPU fds, are the ones it
 * may ioctl, and (vm_fd) for KVM_SET_USER_MEMORY_REGION only (none, and
 * -1, for the sim backend).  A thread that already has the filter (one a
 * vCPU thread started) keeps it.  0, or -1 with a one-line message in
 * (err). */
int sandbox_vcpu_thread(const int *kvm_fds, size_t n, int vm_fd, char *err,
                        size_t len);

#endif /* XENEMU_BACKEND_SANDBOX_H */
