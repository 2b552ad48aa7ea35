# xenemu: Xen's hypervisor interface, hosted on Linux.  GNU make.
#
#   make            build everything into build/
#   make check      unit tests: plain (gcc), ASan+UBSan (clang), TSan (clang)
#   make bench      benchmarks, with their baselines measured in the same run
#   make fuzz       libFuzzer on the hypercall entry, the configuration
#                   parser and the ELF image loader (fuzz/fuzz.mk), in
#                   turn, FUZZ_TIME seconds each; FUZZ_TIME_<target> sets
#                   one (FUZZ_TIME_fuzz_elf=30), FUZZ_TARGETS picks them
#   make install    PREFIX=/usr/local
#   make format     apply .clang-format

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
OPT      ?= -O2
SANFLAGS ?=
FUZZ_TIME ?= 60

CPPFLAGS := -Iinclude -D__XEN_TOOLS__ -D_POSIX_C_SOURCE=200809L
CFLAGS   := -std=c11 -Wall -Wextra -Werror -g $(OPT) -pthread $(SANFLAGS)
LDFLAGS  := -pthread $(SANFLAGS)

HV_SRCS   := $(wildcard hv/*.c)
HV_OBJS   := $(HV_SRCS:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libxenemu.a

# T=test_a,test_b builds and runs only those unit tests.
comma     := ,
TEST_SRCS := $(if $(T),$(patsubst %,tests/unit/%.c,$(subst $(comma), ,$(T))),\
                 $(wildcard tests/unit/test_*.c))
TESTS     := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HARNESS   := $(BUILD)/tests/unit/harness.o

# Backends (backend/) run guests; the guest kernel (guest/) is built twice:
# a freestanding 64-bit image for KVM, and a host library for the sim
# backend (linked into xenemu, entered through <xenemu/guest_abi.h>).
BACKEND_SRCS := $(wildcard backend/*.c backend/common/*.c backend/kvm/*.c \
                           backend/sim/*.c)
BACKEND_LIB  := $(BUILD)/libbackend.a
GUEST_SRCS   := $(wildcard guest/*.c)
# One image for every build (configuration files name it): it is always
# built without sanitizers.
GUEST_IMAGE  := build/guest/xenemu-guest.elf
GUEST_KVM_OBJS := $(GUEST_SRCS:%.c=$(BUILD)/guest-kvm/%.o) \
                  $(patsubst %,$(BUILD)/guest-kvm/%.o,\
                      $(basename $(wildcard guest/arch/x86_64/*.c \
                                            guest/arch/x86_64/*.S)))
GUEST_SIM_OBJS := $(GUEST_SRCS:%.c=$(BUILD)/guest-sim/%.o) \
                  $(patsubst %.c,$(BUILD)/guest-sim/%.o,\
                      $(wildcard guest/arch/sim/*.c))
GUEST_SIM_LIB  := $(BUILD)/libguest-sim.a
# Everything a program that runs guests links, in one group (the sim
# backend and the guest's host build call each other); the backends read
# guest images with elfutils' libelf.
RUN_LIBS := -Wl,--start-group $(BACKEND_LIB) $(GUEST_SIM_LIB) $(LIB) \
            -Wl,--end-group -lelf -lseccomp -lcap-ng

TOOLS     := $(BUILD)/xenemu
BENCH     := $(BUILD)/bench/bench_evtchn

.SECONDARY:

.PHONY: all build-all deps doc-samples run demo check check-plain check-asan check-tsan test-run bench fuzz \
        install clean format format-check

# A plain `make` on a fresh machine installs the build dependencies first
# (scripts/deps.sh says what it does, and what to run where it cannot).
all: deps
	$(MAKE) build-all

build-all: $(LIB) $(TOOLS) $(TESTS) $(GUEST_IMAGE)

deps:
	./scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(HV_OBJS)
	@mkdir -p $(dir $@)
	ar rcs $@ $^

$(BACKEND_LIB): $(BACKEND_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The guest kernel for KVM: freestanding, no SSE (the guest never saves
# vector state), no red zone (interrupts arrive on the kernel stack),
# statically linked at the addresses <xenemu/guest_abi.h> gives.  Always
# without sanitizers.
GUEST_CFLAGS := -std=c11 -Wall -Wextra -Werror -g -O2 -ffreestanding \
                -fno-pic -fno-pie -fno-stack-protector -mno-red-zone \
                -mgeneral-regs-only -mcmodel=kernel -fno-asynchronous-unwind-tables \
                -fno-builtin -nostdinc -isystem $(shell $(CC) -print-file-name=include)
GUEST_CPPFLAGS := -D__XEN_TOOLS__ -Iinclude -Iguest -I/usr/include -I/usr/include/x86_64-linux-gnu

$(BUILD)/guest-kvm/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guest-kvm/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_IMAGE): $(GUEST_KVM_OBJS) guest/arch/x86_64/guest.ld
	@mkdir -p $(dir $@)
	./scripts/check-guest-static.sh $(filter $(BUILD)/guest-kvm/guest/%,\
	    $(filter-out $(BUILD)/guest-kvm/guest/arch/%,$(GUEST_KVM_OBJS)))
	$(CC) -nostdlib -static -no-pie -Wl,--build-id=none \
	    -T guest/arch/x86_64/guest.ld $(GUEST_KVM_OBJS) -o $@

# The guest kernel for the sim backend: the same sources, host-compiled
# with the build's flags (sanitizers included).
$(BUILD)/guest-sim/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iguest -DXENEMU_GUEST_SIM $(CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_SIM_LIB): $(GUEST_SIM_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# TEST_LIBS: the system libraries a test's extra objects need.
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(HARNESS) $(LIB)
	$(CC) $(LDFLAGS) $^ $(TEST_LIBS) -lcmocka -o $@

# The configuration parser is a tool, not part of the core: its test links it.
$(BUILD)/tests/test_config: $(BUILD)/tools/config.o
# Backend tests link the backend's objects they test.
$(BUILD)/tests/test_elf_image: $(BUILD)/backend/common/elf_image.o \
                               $(BUILD)/backend/sim/image.o
$(BUILD)/tests/test_elf_image: TEST_LIBS := -lelf
$(BUILD)/tests/test_vcpu_wait: $(BUILD)/backend/common/vcpu_wait.o \
                               $(BUILD)/backend/common/sandbox.o
$(BUILD)/tests/test_vcpu_wait: TEST_LIBS := -lseccomp -lcap-ng

TOOL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tools/*.c))

$(BUILD)/xenemu: $(TOOL_OBJS) $(BACKEND_LIB) $(GUEST_SIM_LIB) $(LIB) \
                 | $(GUEST_IMAGE)
	$(CC) $(LDFLAGS) $(TOOL_OBJS) $(RUN_LIBS) -o $@

$(BUILD)/bench/bench_evtchn: $(BUILD)/bench/bench_evtchn.o $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@

$(BUILD)/bench/bench_guest: $(BUILD)/bench/bench_guest.o $(BACKEND_LIB) \
                            $(GUEST_SIM_LIB) $(LIB) | $(GUEST_IMAGE)
	$(CC) $(LDFLAGS) $(BUILD)/bench/bench_guest.o $(RUN_LIBS) -o $@

# Run every unit test of this build, then the guest tests
# (tests/guest/run.sh): real guests on the backends in GUEST_BACKENDS.  By
# default the KVM cases are counted as skipped, with the reason, where
# /dev/kvm is not usable; GUEST_BACKENDS=kvm asks for them, and then fails
# without KVM.  Each part's case counts go to $(BUILD)/test-counts, which
# `make check` sums into its last line.
GUEST_BACKENDS ?= sim kvm
ifeq ($(origin GUEST_BACKENDS),file)
GUEST_ENV := GUEST_KVM_OPTIONAL=1
endif
test-run: $(TESTS) $(BUILD)/xenemu $(GUEST_IMAGE)
	@rm -f $(BUILD)/test-counts
	@status=0; \
	scripts/run-unit-tests.sh $(BUILD)/test-counts $(TESTS) || status=1; \
	if [ -z "$(T)" ]; then \
	    $(GUEST_ENV) GUEST_COUNTS=$(BUILD)/test-counts \
	        tests/guest/run.sh $(BUILD)/xenemu $(GUEST_BACKENDS) || status=1; \
	fi; exit $$status

# The main job: two guests exchanging events over an interdomain channel.
run:
	./scripts/deps.sh
	$(MAKE) BUILD=build/plain CC=gcc build/plain/xenemu $(GUEST_IMAGE)
	build/plain/xenemu run examples/pingpong.cfg

# The core's self-demonstration, without guests.
demo:
	./scripts/deps.sh
	$(MAKE) BUILD=build/plain CC=gcc build/plain/xenemu
	build/plain/xenemu demo

# All three builds run, even after a failure, so that the last line counts
# every test case of all of them.
CHECK_BUILDS := build/plain build/asan build/tsan
check:
	@rm -f $(CHECK_BUILDS:%=%/test-counts)
	@status=0; \
	$(MAKE) check-plain || status=1; \
	$(MAKE) check-asan || status=1; \
	$(MAKE) check-tsan || status=1; \
	scripts/test-summary.sh $(CHECK_BUILDS) || status=1; \
	exit $$status

check-plain:
	./scripts/deps.sh
	$(MAKE) BUILD=build/plain CC=gcc test-run

check-asan:
	$(MAKE) BUILD=build/asan CC=clang OPT=-O1 \
	    SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    test-run

# TSan's runtime starts a background thread before main(), which keeps the
# capabilities xenemu's threads drop (tests/guest/run.sh's sandbox check).
check-tsan:
	GUEST_RUNTIME_THREADS=1 \
	$(MAKE) BUILD=build/tsan CC=clang OPT=-O1 SANFLAGS="-fsanitize=thread" \
	    test-run

bench:
	./scripts/deps.sh
	$(MAKE) BUILD=build/bench-O2 CC=gcc build/bench-O2/bench/bench_evtchn \
	    build/bench-O2/bench/bench_guest
	build/bench-O2/bench/bench_evtchn
	build/bench-O2/bench/bench_guest

# The fuzz targets (FUZZ_TARGETS, fuzz/fuzz.mk) are built by a sub-make with
# BUILD=$(FUZZ_BUILD), so the link rules' $(BUILD)/fuzz_* and the paths run
# are the same files, then run one after the other (fuzz-run-<target>).
# fuzz_hypercall's crashing inputs go to $(FUZZ_BUILD)/crash-*, the others'
# to $(FUZZ_BUILD)/<target>-crash-*; a call that hangs for 10 s (a
# self-deadlock) is reported as a timeout.
FUZZ_BUILD := build/fuzz
include fuzz/fuzz.mk

fuzz:
	./scripts/deps.sh
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang OPT=-O1 \
	    SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	    $(addprefix $(FUZZ_BUILD)/,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
	    $(MAKE) --no-print-directory fuzz-run-$$t; done

$(BUILD)/fuzz_hypercall: $(BUILD)/fuzz/fuzz_hypercall.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ -o $@

# The command samples in the README and docs/running.md, from real runs
# (scripts/doc-samples.sh).
doc-samples: build/plain/xenemu $(GUEST_IMAGE)
	scripts/doc-samples.sh README.md docs/running.md

install: $(LIB) $(TOOLS) $(GUEST_IMAGE)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	    $(DESTDIR)$(PREFIX)/include/xenemu $(DESTDIR)$(PREFIX)/lib/xenemu
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(GUEST_IMAGE) $(DESTDIR)$(PREFIX)/lib/xenemu/
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/xenemu/*.h $(DESTDIR)$(PREFIX)/include/xenemu/

clean:
	rm -rf build

FORMAT_FILES = $(shell git ls-files '*.c' '*.h')

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
