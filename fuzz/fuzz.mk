# fuzz/fuzz.mk: the libFuzzer targets, included by the Makefile (after
# FUZZ_BUILD is set).
#
#   fuzz_hypercall  the hypercall entry (fuzz/fuzz_hypercall.c, links the core)
#   fuzz_config     the configuration-file parser (fuzz/fuzz_config.c, links
#                   tools/config.o)
#   fuzz_elf        the guest-image loader (fuzz/fuzz_elf.c, links
#                   backend/common/elf_image.o and libelf)
#
# `make fuzz` builds FUZZ_TARGETS in a sub-make with BUILD=$(FUZZ_BUILD)
# (so the link rules' $(BUILD)/<target> is the file run here), then runs
# each in turn through fuzz-run-<target>, for FUZZ_TIME_<target> seconds
# (default FUZZ_TIME; 0 would mean no limit).  Each target has its own
# corpus directory, seed directory and crash-file prefix; an input that
# takes 10 s is reported as a timeout.
#
#   make fuzz FUZZ_TARGETS=fuzz_elf FUZZ_TIME=300      one target, 5 minutes
#   make fuzz FUZZ_TIME_fuzz_hypercall=60 FUZZ_TIME_fuzz_config=30 \
#       FUZZ_TIME_fuzz_elf=30                           as CI runs them

FUZZ_TARGETS ?= fuzz_hypercall fuzz_config fuzz_elf

FUZZ_TIME_fuzz_hypercall ?= $(FUZZ_TIME)
FUZZ_TIME_fuzz_config    ?= $(FUZZ_TIME)
FUZZ_TIME_fuzz_elf       ?= $(FUZZ_TIME)

# Corpus (grown by the run), seeds (read only), crash files
# (<prefix>crash-<sha1>, leak-..., timeout-...).  fuzz_hypercall keeps
# the places it always had.
FUZZ_CORPUS_fuzz_hypercall    := $(FUZZ_BUILD)/corpus
FUZZ_SEEDS_fuzz_hypercall     := fuzz/seeds
FUZZ_ARTIFACTS_fuzz_hypercall := $(FUZZ_BUILD)/
FUZZ_CORPUS_fuzz_config       := $(FUZZ_BUILD)/corpus-config
FUZZ_SEEDS_fuzz_config        := fuzz/seeds-config
FUZZ_ARTIFACTS_fuzz_config    := $(FUZZ_BUILD)/fuzz_config-
FUZZ_CORPUS_fuzz_elf          := $(FUZZ_BUILD)/corpus-elf
FUZZ_SEEDS_fuzz_elf           := fuzz/seeds-elf
FUZZ_ARTIFACTS_fuzz_elf       := $(FUZZ_BUILD)/fuzz_elf-

FUZZ_RUNS := $(addprefix fuzz-run-,$(FUZZ_TARGETS))

.PHONY: $(FUZZ_RUNS)

# Runs one target that `make fuzz` built; `make fuzz-run-fuzz_elf` alone
# reruns it without rebuilding.
$(FUZZ_RUNS): fuzz-run-%:
	@mkdir -p $(FUZZ_CORPUS_$*)
	$(FUZZ_BUILD)/$* -max_total_time=$(FUZZ_TIME_$*) -timeout=10 \
	    -artifact_prefix=$(FUZZ_ARTIFACTS_$*) -print_final_stats=1 \
	    $(FUZZ_CORPUS_$*) $(FUZZ_SEEDS_$*)

# The link rules of the new targets (fuzz_hypercall's is in the Makefile):
# each links only the objects it tests.
$(BUILD)/fuzz_config: $(BUILD)/fuzz/fuzz_config.o $(BUILD)/tools/config.o
	$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ -o $@

$(BUILD)/fuzz_elf: $(BUILD)/fuzz/fuzz_elf.o \
                   $(BUILD)/backend/common/elf_image.o
	$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ -lelf -o $@
