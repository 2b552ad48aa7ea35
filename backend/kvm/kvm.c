/*
 * kvm.c: the KVM backend (struct backend backend_kvm): probing /dev/kvm,
 * creating a VM for a domain (RAM, image, boot structures, vCPUs, timers)
 * and tearing it down.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm.h"

/* memfd_create() without _GNU_SOURCE: the raw system call (syscall() is
 * declared only for _DEFAULT_SOURCE). */
long syscall(long number, ...);
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001u
#endif

/* Guest RAM must end below the hole where hypervisor pages are mapped. */
#define RAM_MAX ((uint64_t)XENEMU_GUEST_HOLE_GFN << GUEST_PAGE_SHIFT)
/* Boot structures, page tables and at least some kernel. */
#define RAM_MIN (2ull << 20)

static int open_kvm(char *why, size_t len)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        snprintf(why, len, "/dev/kvm: %s", strerror(errno));
        return -1;
    }
    if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        snprintf(why, len, "/dev/kvm: unsupported KVM API version");
        goto err;
    }
    if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <= 0 ||
        ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0) {
        snprintf(why, len,
                 "/dev/kvm: no user-space MSR exits "
                 "(KVM_CAP_X86_USER_SPACE_MSR)");
        goto err;
    }
    return fd;
err:
    close(fd);
    return -1;
}

static int kvm_probe(char *why, size_t len)
{
    int fd = open_kvm(why, len);

    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* WRMSR/RDMSR of the hypercall-page MSR exit to user space: KVM would
 * otherwise take 0x40000000 as Hyper-V's guest OS id MSR. */
static int setup_msr_exits(struct kvm_vm *kvm, char *err, size_t len)
{
    struct kvm_enable_cap cap = {
        .cap = KVM_CAP_X86_USER_SPACE_MSR,
        .args[0] = KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_FILTER,
    };
    uint8_t deny = 0; /* bit 0 clear: the one MSR of the range is denied */
    struct kvm_msr_filter filter = {
        .flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
        .ranges[0] = {.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
                      .nmsrs = 1,
                      .base = XENEMU_HYPERCALL_MSR,
                      .bitmap = &deny},
    };

    if (ioctl(kvm->vm_fd, KVM_ENABLE_CAP, &cap) < 0 ||
        ioctl(kvm->vm_fd, KVM_X86_SET_MSR_FILTER, &filter) < 0) {
        snprintf(err, len, "user-space MSR exits: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int create_ram(struct kvm_vm *kvm, char *err, size_t len)
{
    struct kvm_userspace_memory_region r;

    kvm->ram_fd = (int)syscall(SYS_memfd_create, "xenemu-ram", MFD_CLOEXEC);
    if (kvm->ram_fd < 0) {
        snprintf(err, len, "memfd_create: %s", strerror(errno));
        return -1;
    }
    if (ftruncate(kvm->ram_fd, (off_t)kvm->ram_size) < 0) {
        snprintf(err, len, "%llu MiB of RAM: %s",
                 (unsigned long long)(kvm->ram_size >> 20), strerror(errno));
        goto err_close;
    }
    kvm->ram = mmap(NULL, kvm->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                    kvm->ram_fd, 0);
    if (kvm->ram == MAP_FAILED) {
        snprintf(err, len, "mapping RAM: %s", strerror(errno));
        goto err_close;
    }
    r = (struct kvm_userspace_memory_region){
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = kvm->ram_size,
        .userspace_addr = (uintptr_t)kvm->ram,
    };
    if (ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
        snprintf(err, len, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
        goto err_unmap;
    }
    return 0;

err_unmap:
    munmap(kvm->ram, kvm->ram_size);
err_close:
    close(kvm->ram_fd);
    return -1;
}

static void destroy_vcpus(struct kvm_vm *kvm, unsigned int n)
{
    while (n--) {
        struct kvm_vcpu *kv = &kvm->vcpus[n];

        vtimer_remove(kvm->timers, &kv->timer);
        vcpu_waiter_destroy(&kv->waiter);
        munmap(kv->run, kvm->run_size);
        close(kv->fd);
        kv->v->backend_priv = NULL;
    }
}

static int create_vcpu(struct kvm_vm *kvm, unsigned int id, char *err,
                       size_t len)
{
    struct kvm_vcpu *kv = &kvm->vcpus[id];

    kv->vm = kvm;
    kv->v = kvm->vm.d->vcpus[id];
    kv->fd = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
    if (kv->fd < 0) {
        snprintf(err, len, "vcpu%u: KVM_CREATE_VCPU: %s", id, strerror(errno));
        return -1;
    }
    kv->run = mmap(NULL, kvm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   kv->fd, 0);
    if (kv->run == MAP_FAILED) {
        snprintf(err, len, "vcpu%u: mapping kvm_run: %s", id, strerror(errno));
        goto err_close;
    }
    if (kvm_cpuid_set(kv, err, len))
        goto err_unmap;
    if (vcpu_waiter_init(&kv->waiter)) {
        snprintf(err, len, "vcpu%u: out of memory", id);
        goto err_unmap;
    }
    vtimer_add(kvm->timers, &kv->timer, kv->v);
    kv->v->backend_priv = kv;
    return 0;

err_unmap:
    munmap(kv->run, kvm->run_size);
err_close:
    close(kv->fd);
    return -1;
}

static int kvm_check_memory(uint64_t memory_bytes, unsigned int nr_vcpus,
                            char *err, size_t len)
{
    (void)nr_vcpus;
    if (memory_bytes < RAM_MIN || memory_bytes > RAM_MAX ||
        memory_bytes % GUEST_PAGE_SIZE) {
        snprintf(err, len,
                 "the kvm backend runs 2 MiB to %llu MiB, in whole pages",
                 (unsigned long long)(RAM_MAX >> 20));
        return -1;
    }
    return 0;
}

static int kvm_vm_create(struct domain *d, const struct vm_params *p,
                         struct vm **out, char *err, size_t len)
{
    struct kvm_vm *kvm;
    unsigned int i = 0;
    int rc;

    if (kvm_check_memory(p->memory_bytes, d->max_vcpus, err, len))
        return -1;
    if (kvm_signal_init()) {
        snprintf(err, len, "sigaction: %s", strerror(errno));
        return -1;
    }
    kvm = calloc(1, sizeof(*kvm));
    if (!kvm) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    kvm->vm = (struct vm){.be = &backend_kvm, .d = d, .params = *p};
    kvm->ram_size = p->memory_bytes;
    kvm->nr_vcpus = d->max_vcpus;
    if (pthread_mutex_init(&kvm->lock, NULL))
        goto err_free;
    if (pthread_cond_init(&kvm->watchdog_cond, NULL))
        goto err_lock;
    kvm->kvm_fd = open_kvm(err, len);
    if (kvm->kvm_fd < 0)
        goto err_cond;
    kvm->vm_fd = ioctl(kvm->kvm_fd, KVM_CREATE_VM, 0);
    if (kvm->vm_fd < 0) {
        snprintf(err, len, "KVM_CREATE_VM: %s", strerror(errno));
        goto err_kvm;
    }
    rc = ioctl(kvm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (rc <= 0) {
        snprintf(err, len, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
        goto err_vm;
    }
    kvm->run_size = (size_t)rc;
    if (setup_msr_exits(kvm, err, len))
        goto err_vm;
    if (create_ram(kvm, err, len))
        goto err_vm;
    if (elf_image_load(p->kernel, kvm->ram, kvm->ram_size, &kvm->image, err,
                       len))
        goto err_ram;
    domain_set_ram(d, kvm->ram, kvm->ram_size);
    if (kvm_write_boot_info(kvm, p->cmdline ? p->cmdline : "", err, len))
        goto err_ram;
    if (kvm_cpuid_init(kvm, err, len))
        goto err_ram;
    if ((rc = vtimer_service_create(d->hv, &kvm->timers))) {
        snprintf(err, len, "timer thread: %s", strerror(-rc));
        goto err_cpuid;
    }
    vtimer_add_watchdog(kvm->timers, &kvm->watchdog_timer, d);
    kvm->vcpus = calloc(kvm->nr_vcpus, sizeof(*kvm->vcpus));
    if (!kvm->vcpus) {
        snprintf(err, len, "out of memory");
        goto err_timers;
    }
    for (i = 0; i < kvm->nr_vcpus; i++)
        if (create_vcpu(kvm, i, err, len))
            goto err_vcpus;
    d->backend_priv = &kvm->vm;
    *out = &kvm->vm;
    return 0;

err_vcpus:
    destroy_vcpus(kvm, i);
    free(kvm->vcpus);
err_timers:
    vtimer_remove(kvm->timers, &kvm->watchdog_timer);
    vtimer_service_destroy(kvm->timers);
err_cpuid:
    free(kvm->cpuid);
err_ram:
    d->ram = NULL;
    d->ram_size = 0;
    munmap(kvm->ram, kvm->ram_size);
    close(kvm->ram_fd);
err_vm:
    close(kvm->vm_fd);
err_kvm:
    close(kvm->kvm_fd);
err_cond:
    pthread_cond_destroy(&kvm->watchdog_cond);
err_lock:
    pthread_mutex_destroy(&kvm->lock);
err_free:
    free(kvm);
    return -1;
}

static int kvm_vm_start(struct vm *vm, char *err, size_t len)
{
    struct kvm_vm *kvm = kvm_vm_of(vm);
    int rc;

    if ((rc = kvm_watchdog_start(kvm))) {
        snprintf(err, len, "watchdog thread: %s", strerror(-rc));
        return -1;
    }
    if ((rc = kvm_vcpu_start(&kvm->vcpus[0]))) {
        snprintf(err, len, "vcpu0 thread: %s", strerror(-rc));
        return -1;
    }
    return 0;
}

/* Sum the vCPUs' counters into vm.stats (struct vm_stats); they are only
 * written by their own threads, which have all been joined. */
static void collect_stats(struct kvm_vm *kvm)
{
    struct vm_stats sum = {0};

    for (unsigned int i = 0; i < kvm->nr_vcpus; i++) {
        sum.exits += kvm->vcpus[i].exits;
        sum.hypercalls += kvm->vcpus[i].hypercalls;
        sum.upcalls += kvm->vcpus[i].injections;
    }
    kvm->vm.stats = sum;
}

static void kvm_vm_wait(struct vm *vm)
{
    struct kvm_vm *kvm = kvm_vm_of(vm);

    /*
     * Only a running vCPU starts another (VCPUOP_up), so once every thread
     * known here has been joined, none can appear any more.
     */
    for (;;) {
        struct kvm_vcpu *next = NULL;

        pthread_mutex_lock(&kvm->lock);
        for (unsigned int i = 0; i < kvm->nr_vcpus && !next; i++)
            if (kvm->vcpus[i].thread_started && !kvm->vcpus[i].thread_joined)
                next = &kvm->vcpus[i];
        pthread_mutex_unlock(&kvm->lock);
        if (!next)
            break;
        pthread_join(next->thread, NULL);
        pthread_mutex_lock(&kvm->lock);
        next->thread_joined = true;
        pthread_mutex_unlock(&kvm->lock);
    }
    kvm_watchdog_stop(kvm);
    collect_stats(kvm);
}

static void kvm_vm_stop(struct vm *vm)
{
    kvm_request_stop(kvm_vm_of(vm));
}

static void kvm_vm_destroy(struct vm *vm)
{
    struct kvm_vm *kvm = kvm_vm_of(vm);
    struct domain *d = vm->d;

    kvm_watchdog_stop(kvm); /* if vm_wait() was not called */
    destroy_vcpus(kvm, kvm->nr_vcpus);
    free(kvm->vcpus);
    vtimer_remove(kvm->timers, &kvm->watchdog_timer);
    vtimer_service_destroy(kvm->timers);
    free(kvm->cpuid);
    free(kvm->pages);
    close(kvm->vm_fd); /* drops the memslots, then the RAM mapping goes */
    close(kvm->kvm_fd);
    d->ram = NULL;
    d->ram_size = 0;
    d->backend_priv = NULL;
    munmap(kvm->ram, kvm->ram_size);
    close(kvm->ram_fd);
    pthread_cond_destroy(&kvm->watchdog_cond);
    pthread_mutex_destroy(&kvm->lock);
    free(kvm);
}

const struct backend backend_kvm = {
    .name = "kvm",
    .probe = kvm_probe,
    .vm_create = kvm_vm_create,
    .check_memory = kvm_check_memory,
    .vm_start = kvm_vm_start,
    .vm_wait = kvm_vm_wait,
    .vm_stop = kvm_vm_stop,
    .vm_destroy = kvm_vm_destroy,
    .ops = &kvm_hv_ops,
};
