# xenemu: Xen's hypervisor interface, hosted on Linux.  GNU make.
#
#   make            build everything into build/
#   make check      unit tests: plain (gcc), ASan+UBSan (clang), TSan (clang)
#   make bench      benchmarks, with their baselines measured in the same run
#   make fuzz       libFuzzer on the hypercall entry, FUZZ_TIME seconds
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

TOOLS     := $(BUILD)/xenemu
BENCH     := $(BUILD)/bench/bench_evtchn

.SECONDARY:

.PHONY: all demo check check-plain check-asan check-tsan test-run bench fuzz \
        install clean format format-check

all: $(LIB) $(TOOLS) $(TESTS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(HV_OBJS)
	@mkdir -p $(dir $@)
	ar rcs $@ $^

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(HARNESS) $(LIB)
	$(CC) $(LDFLAGS) $^ -lcmocka -o $@

# The configuration parser is a tool, not part of the core: its test links it.
$(BUILD)/tests/test_config: $(BUILD)/tools/config.o

$(BUILD)/xenemu: $(BUILD)/tools/xenemu.o $(BUILD)/tools/demo.o \
                 $(BUILD)/tools/config.o $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@

# Run every unit test of this build; stop at the first failure.
test-run: $(TESTS)
	@set -e; for t in $(TESTS); do echo "== $$t"; $$t; done

# The main job until guests run: the core's self-demonstration.
demo:
	./scripts/deps.sh
	$(MAKE) BUILD=build/plain CC=gcc build/plain/xenemu
	build/plain/xenemu demo

check: check-plain check-asan check-tsan
	@echo "check: all unit tests passed (plain, ASan+UBSan, TSan)"

check-plain:
	./scripts/deps.sh
	$(MAKE) BUILD=build/plain CC=gcc test-run

check-asan:
	$(MAKE) BUILD=build/asan CC=clang OPT=-O1 \
	    SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    test-run

check-tsan:
	$(MAKE) BUILD=build/tsan CC=clang OPT=-O1 SANFLAGS="-fsanitize=thread" \
	    test-run

bench:
	./scripts/deps.sh
	$(MAKE) BUILD=build/bench-O2 CC=gcc build/bench-O2/bench/bench_evtchn
	build/bench-O2/bench/bench_evtchn

# The fuzz target is built by a sub-make with BUILD=$(FUZZ_BUILD), so the
# link rule's $(BUILD)/fuzz_hypercall and the path run here are the same file.
# Crashing inputs go to $(FUZZ_BUILD)/crash-*; a call that hangs for 10 s
# (a self-deadlock) is reported as a timeout.
FUZZ_BUILD := build/fuzz

fuzz:
	./scripts/deps.sh
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang OPT=-O1 \
	    SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	    $(FUZZ_BUILD)/fuzz_hypercall
	@mkdir -p $(FUZZ_BUILD)/corpus
	$(FUZZ_BUILD)/fuzz_hypercall -max_total_time=$(FUZZ_TIME) -timeout=10 \
	    -artifact_prefix=$(FUZZ_BUILD)/ -print_final_stats=1 \
	    $(FUZZ_BUILD)/corpus fuzz/seeds

$(BUILD)/fuzz_hypercall: $(BUILD)/fuzz/fuzz_hypercall.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ -o $@

install: $(LIB) $(TOOLS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	    $(DESTDIR)$(PREFIX)/include/xenemu
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
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
