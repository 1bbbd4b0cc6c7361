# rvmig — see README.md.
#   make         what builds without ./run.sh: the host unit tests, the guest if $(CROSS)gcc exists
#   make check   host unit tests and the fuzz corpus replayed (seconds, no QEMU)
#   make fuzz    every fuzz target FUZZ_SECONDS (default 60) seconds
#   make lint    shellcheck over the shell scripts, clang-format (check only) over the C
#   make test    unit tests + lab integration tests (boots the riscv64 KVM lab)
#   make test-fresh  README's ./run.sh and make test on a pristine Debian root (root; what CI runs)
#   make vmm     rvmig for riscv64 (needs KHDR= and SYSROOT=, which ./run.sh provides)
#   make guest   the bare-metal guest image
.SUFFIXES:
SHELL := /bin/bash
.DEFAULT_GOAL := all

CROSS    ?= riscv64-linux-gnu-
BUILD    ?= build
# UAPI headers from the lab kernel's `make headers_install`, and a riscv64 sysroot with libfdt.a,
# libcap.a, libsodium.a (lab/kernel-build.sh and lab/sysroot.sh print them; ./run.sh passes them in).
KHDR     ?=
SYSROOT  ?=

WARN     := -Wall -Wextra -Werror
CSTD     := -std=gnu11
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# ---- the VMM, cross-compiled static for riscv64 ------------------------------------------------
# vmm/core (KVM, the machine), vmm/mig (migration), vmm/lib (no KVM), vmm/cmd (one file per command)
# and vmm/*.c (the session every command drives, main). Objects keep the folder, so names never collide.
VMM_SRCS := $(sort $(wildcard vmm/*.c vmm/*/*.c))
VMM_OBJS := $(VMM_SRCS:vmm/%.c=$(BUILD)/riscv64/vmm/%.o)
VMM_CFLAGS := $(CSTD) $(WARN) -O2 -g -Iinclude -Ivmm -isystem $(KHDR)/include -I$(SYSROOT)/include \
	-isystem $(BUILD)/riscv64/xxhash -DRVMIG_VERSION='"$(VERSION)"' -MMD -MP
VMM_LDFLAGS := -static -L$(SYSROOT)/lib
VMM_LIBS := -lfdt -lcap -lz -lsodium -lseccomp -lpthread -lm

.PHONY: all vmm guest check lint test test-fresh host-deps clean unit-bins fuzz fuzz-bins
vmm: $(BUILD)/riscv64/rvmig
$(BUILD)/riscv64/rvmig: $(VMM_OBJS)
	$(CROSS)gcc $(VMM_LDFLAGS) -o $@ $^ $(VMM_LIBS)
# xxHash is used header-only (XXH_INLINE_ALL, lib/hash.h): the one header of the host's libxxhash-dev,
# copied into a directory of its own, so the cross compiler takes it from there and nothing else of
# the host's /usr/include (the header is the same on every architecture; no riscv64 library is linked).
XXHASH_H ?= /usr/include/xxhash.h
$(BUILD)/riscv64/xxhash/xxhash.h: $(XXHASH_H)
	@mkdir -p $(@D)
	cp $< $@
$(BUILD)/riscv64/vmm/%.o: vmm/%.c | $(BUILD)/riscv64/xxhash/xxhash.h
	@test -n "$(KHDR)" -a -n "$(SYSROOT)" || { echo "make vmm needs KHDR=<headers_install dir> SYSROOT=<riscv64 sysroot>; ./run.sh sets them" >&2; exit 2; }
	@mkdir -p $(@D)
	$(CROSS)gcc $(VMM_CFLAGS) -c -o $@ $<

# ---- the lab's init, static riscv64 ------------------------------------------------------------
$(BUILD)/riscv64/init: lab/init.c
	@mkdir -p $(@D)
	$(CROSS)gcc $(CSTD) $(WARN) -O2 -static -isystem $(KHDR)/include -o $@ $<

# ---- the Linux guest's workload, static riscv64 (glibc from libc6-dev-riscv64-cross) ---------------
$(BUILD)/riscv64/rvmig-wl: guest/linux/rvmig-wl.c include/rvmig_stamp.h include/rvmig_wl.h
	@mkdir -p $(dir $@)
	$(CROSS)gcc $(CSTD) $(WARN) -O2 -static -pthread -Iinclude -o $@ $<

# ---- the guest, freestanding ---------------------------------------------------------------------
GUEST_SRCS := $(sort $(wildcard guest/*.c guest/*.S))
GUEST_CFLAGS := $(CSTD) $(WARN) -O2 -g -ffreestanding -fno-builtin -nostdlib -nostartfiles -static \
	-fno-pic -fno-stack-protector -mcmodel=medany -march=rv64imac_zicsr -mabi=lp64 -Iinclude -Iguest
guest: $(BUILD)/guest/guest.bin
$(BUILD)/guest/guest.elf: $(GUEST_SRCS) $(wildcard guest/*.h) include/rvmig_abi.h include/rvmig_stamp.h guest/guest.ld
	@mkdir -p $(@D)
	$(CROSS)gcc $(GUEST_CFLAGS) -T guest/guest.ld -o $@ $(GUEST_SRCS) -lgcc
$(BUILD)/guest/guest.bin: $(BUILD)/guest/guest.elf
	$(CROSS)objcopy -O binary $< $@

# ---- host unit tests -----------------------------------------------------------------------------
# What builds and runs on the host, under ASan and UBSan, by folder rule rather than by a list: vmm/lib
# (never touches KVM), vmm/mig (reaches KVM only through core/kvm.h's calls and machine_now_ns, which
# tests/unit/fake_kvm.c stands in for at link time), the commands' option parsers (vmm/cmd/*_opts.c)
# the device tree builders (libfdt only) and the Linux Image loader (files and a buffer).
HOST_SRCS := $(sort $(wildcard vmm/lib/*.c vmm/mig/*.c vmm/cmd/*_opts.c) vmm/core/fdt.c vmm/core/fdt_linux.c \
	vmm/core/linux_image.c vmm/core/console_in.c)
HOST_FAKES := $(sort $(wildcard tests/unit/fake_*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/host/%)
# The reports' unit tests (lab/report/, Python): scripts, run as they are.
REPORT_TESTS := tests/report/test_report.py tests/report/test_soak.py tests/report/test_frontier.py \
	tests/report/test_tracing_cost.py
HOST_CFLAGS := $(CSTD) $(WARN) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all -Iinclude -Ivmm -Itests/unit -DRVMIG_VERSION='"$(VERSION)"'
# The sources and fakes are compiled once into objects and every test links all of them (as it did
# when each test compiled them itself: 40 tests x 40 sources made make check take 20 minutes on a busy
# 2-core host).
HOST_OBJS := $(patsubst %.c,$(BUILD)/host/obj/%.o,$(HOST_SRCS) $(HOST_FAKES))
$(BUILD)/host/obj/%.o: %.c $(wildcard vmm/*.h vmm/*/*.h tests/unit/*.h) include/rvmig_abi.h | host-deps
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) -c -o $@ $<
.SECONDARY: $(HOST_OBJS)
$(BUILD)/host/test_%: tests/unit/test_%.c $(HOST_OBJS) $(wildcard vmm/*.h vmm/*/*.h tests/unit/*.h) include/rvmig_abi.h tests/unit/check.h | host-deps
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) -o $@ $< $(HOST_OBJS) -lfdt -lz -lsodium -lseccomp -lm
unit-bins: $(UNIT_BINS)

# ---- fuzzing (libFuzzer, clang, on the host under ASan + UBSan) --------------------------------
# tests/fuzz/fuzz_*.c are the targets: the stream as recv reads it, the reply as migrate reads it,
# and every command-line parser. They link what the unit tests link, built with clang's fuzzer
# instrumentation and RVMIG_FUZZ_NO_CHECKSUM (the reader skips the record checksum comparison so the
# fuzzer reaches the decoders behind it: never in a shipped build). tests/fuzz/gen_seeds writes the
# seed corpus with the stream's own writer at build time; tests/fuzz/regress/ keeps what once failed.
#   make check                 replays seeds + regression inputs through every target (seconds)
#   make fuzz FUZZ_SECONDS=N   fuzzes every target N seconds, one after the other, one core
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(sort $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
FUZZ_OBJS := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(HOST_SRCS) $(HOST_FAKES) tests/fuzz/harness.c)
FUZZ_CFLAGS := $(CSTD) $(WARN) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -DRVMIG_FUZZ_NO_CHECKSUM \
	-Iinclude -Ivmm -Itests/unit -Itests/fuzz -DRVMIG_VERSION='"$(VERSION)"'
$(BUILD)/fuzz/obj/%.o: %.c $(wildcard vmm/*.h vmm/*/*.h tests/unit/*.h tests/fuzz/*.h) include/rvmig_abi.h | host-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ -lfdt -lz -lsodium -lm
# The seeds: written by the writer of this tree (gcc, ASan), fresh on every change of the sources.
$(BUILD)/fuzz/gen_seeds: tests/fuzz/gen_seeds.c $(HOST_OBJS) $(wildcard vmm/*.h vmm/*/*.h tests/fuzz/*.h) | host-deps
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) -Itests/fuzz -o $@ $< $(HOST_OBJS) -lfdt -lz -lsodium -lseccomp -lm
$(BUILD)/fuzz/seeds/.done: $(BUILD)/fuzz/gen_seeds
	@rm -rf $(@D) && mkdir -p $(FUZZ_TARGETS:fuzz_%=$(@D)/%)
	$< $(@D) && touch $@
# Objects kept between builds (make would delete them as intermediates).
.SECONDARY: $(FUZZ_OBJS)
fuzz-bins: $(FUZZ_BINS) $(BUILD)/fuzz/seeds/.done
fuzz: fuzz-bins
	@RVMIG_FUZZ_DIR=$(BUILD)/fuzz RVMIG_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# The packages the host unit tests build with (installed when missing, as ./run.sh does for the lab).
host-deps:
	@bash -c '. lab/common.sh && apt_need $$HOST_TEST_PKGS'

# Host tests that are scripts: guest/gdb-vmm.py's copies of the ABI against include/rvmig_abi.h.
# tests/kernel_fragment.sh: the lab kernel's config fragment, traced (default) and LAB_KERNEL_TRACING=0.
UNIT_SCRIPTS := tests/gdb_abi.sh tests/kernel_fragment.sh
# The lint that check and test run: shellcheck and clang-format (check only).
CHECK_LINT := shell c
check: unit-bins fuzz-bins
	@RVMIG_LINT="$(CHECK_LINT)" RVMIG_FUZZ_DIR=$(BUILD)/fuzz RVMIG_FUZZ_SECONDS=0 \
		tests/run.sh $(UNIT_BINS) $(UNIT_SCRIPTS) $(REPORT_TESTS) tests/fuzz/run.sh tests/lint.sh

# shellcheck and clang-format --dry-run, one ok line per file; LINT_TOOLS=shell or =c runs one.
LINT_TOOLS ?= shell c
lint:
	@RVMIG_LINT="$(LINT_TOOLS)" tests/run.sh tests/lint.sh

# ---- a bare `make`: everything that builds without the lab's kernel headers and sysroot ---------
HAVE_CROSS := $(shell command -v $(CROSS)gcc 2>/dev/null)
all: unit-bins $(if $(HAVE_CROSS),guest) $(if $(and $(KHDR),$(SYSROOT)),vmm)
	$(if $(and $(KHDR),$(SYSROOT)),,@echo "make: built the host unit tests$(if $(HAVE_CROSS), and the guest, (no $(CROSS)gcc: no guest)); the VMM (make vmm) and the lab need KHDR= and SYSROOT=, which ./run.sh provides")

# Unit tests, a short fuzzing run of every target (TEST_FUZZ_SECONDS each) and the lab integration
# tests, counted together. The lab is prepared first: it installs every package (the unit tests' too)
# on a fresh machine.
TEST_FUZZ_SECONDS ?= 20
test:
	@tests/lab/prepare.sh
	@$(MAKE) --no-print-directory unit-bins fuzz-bins
	@RVMIG_LINT="$(CHECK_LINT)" RVMIG_FUZZ_DIR=$(BUILD)/fuzz RVMIG_FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) \
		tests/run.sh $(UNIT_BINS) $(UNIT_SCRIPTS) $(REPORT_TESTS) tests/fuzz/run.sh tests/lint.sh \
		$(sort $(wildcard tests/lab/test_*.sh))

# README's commands on a pristine Debian root (debootstrap + chroot, needs root): what .ci/run runs.
test-fresh:
	@tests/fresh/run.sh

clean:
	rm -rf $(BUILD)

-include $(VMM_OBJS:.o=.d)
