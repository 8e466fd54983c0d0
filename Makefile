# oslift: offline in-place upgrades of RPM-based systems. See README.md.
#
#   make            build the static sysroot (cached) and both programs
#   make check      all tests (bootstraps the machine first)
#   make check-full also the slower ones
#   make fuzz       the parsers under libFuzzer (FUZZ_SECONDS=60 each)
#   make demo       the whole upgrade on the built-in demo system
#   make install    DESTDIR=... PREFIX=/usr
#   make rpm        build/oslift-VERSION-1.x86_64.rpm, for EL (oslift.spec)
#   make clean

VERSION := 0.1.0
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/lib/oslift
DRACUTDIR ?= $(PREFIX)/lib/dracut/modules.d/90oslift
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

BUILD := build
SYSROOT := $(shell initrd/build-sysroot.sh --print-path)
# libsolv and expat, a layer on the sysroot that only host-prep links.
LIBSOLV := $(shell initrd/build-libsolv.sh --print-path)
SHARED_FIXTURES ?= $(abspath ../shared/fixtures/real)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wno-unused-parameter -Wno-missing-field-initializers
OUR_CFLAGS := -std=gnu11 -g $(WARNINGS) -D_GNU_SOURCE -Iliboslift \
	-DOSLIFT_VERSION='"$(VERSION)"' -DOSLIFT_RPM_CONFIGDIR='"$(LIBEXECDIR)/rpm"'

# The programs: musl, fully static, against the pinned sysroot.
MUSL_CC := musl-gcc
MUSL_CFLAGS := $(OUR_CFLAGS) -O2 -ffunction-sections -fdata-sections \
	-I$(SYSROOT)/include -I$(SYSROOT)/include/blkid -I$(SYSROOT)/include/libmount \
	-idirafter $(SYSROOT)/kernel-headers
MUSL_LDFLAGS := -static -Wl,--gc-sections -L$(SYSROOT)/lib
MUSL_SOLV_LIBS := -L$(LIBSOLV)/lib -lsolvext -lsolv -lexpat
# rpm.pc does not list librpm's private dependencies; this order links.
MUSL_LIBS := -lrpm -lrpmio -lpopt -llua -lmagic -lgcrypt -lgpg-error -lsqlite3 \
	-lzstd -llzma -lbz2 -lz -lmount -lblkid -lm -lpthread

# Unit tests: glibc with AddressSanitizer and UBSan, against Debian's
# librpm 4.18 (same version as the sysroot's), so memory errors in our code
# surface where the static build would hide them.
# pkg-config is asked when a recipe first needs the answer, not when make
# reads this file: on a fresh machine the bootstrap installs pkg-config and
# the -dev packages only then. (Each is asked once, then kept.)
lazy_pkg_config = $(eval $(1) := $$(shell pkg-config $(2) 2>/dev/null))$($(1))
PKG_ASAN_CFLAGS = $(call lazy_pkg_config,PKG_ASAN_CFLAGS,--cflags blkid mount cmocka)
PKG_ASAN_LIBS = $(call lazy_pkg_config,PKG_ASAN_LIBS,--libs blkid mount cmocka zlib sqlite3)
PKG_FUZZ_CFLAGS = $(call lazy_pkg_config,PKG_FUZZ_CFLAGS,--cflags blkid mount)
ASAN_CFLAGS = $(OUR_CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all $(PKG_ASAN_CFLAGS)
ASAN_LIBS = -lrpm -lrpmio $(PKG_ASAN_LIBS)
ASAN_SOLV_LIBS := -lsolvext -lsolv

LIB_SRCS := $(wildcard liboslift/*.c)
UPGRADER_SRCS := $(wildcard upgrader/*.c)
HOST_PREP_SRCS := $(wildcard host-prep/*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test-*.c))
# Each program but its main.c, as an internal archive per flavour: what the
# unit tests and the fuzz harnesses link to reach the program's modules.
UPGRADER_LIB_SRCS := $(filter-out upgrader/main.c,$(UPGRADER_SRCS))
HOST_PREP_LIB_SRCS := $(filter-out host-prep/main.c,$(HOST_PREP_SRCS))

# Quiet by default, like kbuild and systemd; V=1 shows the commands.
Q := $(if $(V),,@)
say = $(if $(V),,@printf '  %-8s %s\n' $(1) $(2);)

musl_objs = $(patsubst %.c,$(BUILD)/musl/%.o,$(1))
asan_objs = $(patsubst %.c,$(BUILD)/asan/%.o,$(1))

.PHONY: all bootstrap sysroot libsolv check check-full unit-tests asan-programs fuzz fuzz-build fuzz-replay \
	demo bench install rpm clean
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BUILD)/upgrader $(BUILD)/host-prep $(BUILD)/rpm/rpmrc

bootstrap:
	@initrd/bootstrap-debian.sh

# Keyed by a hash of the recipe: present means up to date.
$(SYSROOT)/.complete: | bootstrap
	initrd/build-sysroot.sh

sysroot: $(SYSROOT)/.complete

$(LIBSOLV)/.complete: | $(SYSROOT)/.complete
	initrd/build-libsolv.sh

libsolv: $(LIBSOLV)/.complete

# Each object's header dependencies, as the compiler saw them (-MMD), in a
# .d beside it; -MP keeps a deleted header from stopping the build.
DEPFLAGS = -MMD -MP

$(BUILD)/musl/%.o: %.c | $(SYSROOT)/.complete
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(MUSL_CC) $(MUSL_CFLAGS) $(DEPFLAGS) -c $< -o $@

# The shared code, as an archive per flavour: each program takes what it uses.
$(BUILD)/musl/liboslift.a: $(call musl_objs,$(LIB_SRCS))
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BUILD)/asan/liboslift.a: $(call asan_objs,$(LIB_SRCS))
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BUILD)/musl/libupgrader.a: $(call musl_objs,$(UPGRADER_LIB_SRCS))
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BUILD)/musl/libhost-prep.a: $(call musl_objs,$(HOST_PREP_LIB_SRCS))
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BUILD)/asan/libupgrader.a: $(call asan_objs,$(UPGRADER_LIB_SRCS))
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BUILD)/asan/libhost-prep.a: $(call asan_objs,$(HOST_PREP_LIB_SRCS))
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BUILD)/upgrader: $(call musl_objs,$(UPGRADER_SRCS)) $(BUILD)/musl/liboslift.a
	$(call say,LD,$@)$(MUSL_CC) $(MUSL_LDFLAGS) -o $@ $^ $(MUSL_LIBS)

# host-prep alone includes and links libsolv: the upgrader stays without it.
$(call musl_objs,$(HOST_PREP_SRCS)): MUSL_CFLAGS += -I$(LIBSOLV)/include
$(call musl_objs,$(HOST_PREP_SRCS)): | $(LIBSOLV)/.complete

$(BUILD)/host-prep: $(call musl_objs,$(HOST_PREP_SRCS)) $(BUILD)/musl/liboslift.a $(LIBSOLV)/.complete
	$(call say,LD,$@)$(MUSL_CC) $(MUSL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(MUSL_SOLV_LIBS) $(MUSL_LIBS)

# --version names every source package built from another Debian revision
# than its pin (initrd/sources.sh): the sysroot layers' VERSIONS say which.
SOURCES_NOTE := $(BUILD)/gen/sources-note.h
$(SOURCES_NOTE): $(SYSROOT)/.complete $(LIBSOLV)/.complete
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)awk 'BEGIN {print "#define OSLIFT_SOURCES_NOTE \\"} \
		$$1 == "substituted" {printf "        \"sources: %s %s (pinned %s, same upstream tarball)\\n\" \\\n", $$2, $$4, $$3} \
		END {print "        \"\""}' $(SYSROOT)/VERSIONS $(LIBSOLV)/VERSIONS >$@.tmp && mv $@.tmp $@

$(BUILD)/musl/liboslift/version.o: $(SOURCES_NOTE)
$(BUILD)/musl/liboslift/version.o: MUSL_CFLAGS += -DOSLIFT_SOURCES_NOTE_H='"$(abspath $(SOURCES_NOTE))"'

# librpm's run-time configuration, found by the binaries in rpm/ beside them.
$(BUILD)/rpm/rpmrc: $(SYSROOT)/.complete
	@rm -rf $(BUILD)/rpm && mkdir -p $(BUILD)
	cp -r $(SYSROOT)/rpm-config $(BUILD)/rpm

$(BUILD)/asan/%.o: %.c | bootstrap
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(ASAN_CFLAGS) $(DEPFLAGS) -Ihost-prep -Iupgrader -c $< -o $@

# A test takes from the programs' archives what it calls; one that reaches
# host-prep's solver takes libsolv with it.
ASAN_TEST_LIBS := $(BUILD)/asan/libhost-prep.a $(BUILD)/asan/libupgrader.a $(BUILD)/asan/liboslift.a

$(BUILD)/unit/%: $(BUILD)/asan/tests/unit/%.o $(ASAN_TEST_LIBS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -fsanitize=address,undefined -o $@ $^ $(ASAN_SOLV_LIBS) $(ASAN_LIBS)

unit-tests: $(UNIT_TESTS)

# The programs against glibc with sanitizers, for debugging and for running
# the integration tests under ASan: make asan-programs, then point
# OSLIFT_BUILD at build/asan/bin.
$(BUILD)/asan/bin/upgrader: $(call asan_objs,$(UPGRADER_SRCS)) $(BUILD)/asan/liboslift.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -fsanitize=address,undefined -o $@ $^ $(ASAN_LIBS)

$(BUILD)/asan/bin/host-prep: $(call asan_objs,$(HOST_PREP_SRCS)) $(BUILD)/asan/liboslift.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -fsanitize=address,undefined -o $@ $^ $(ASAN_SOLV_LIBS) $(ASAN_LIBS)

asan-programs: $(BUILD)/asan/bin/upgrader $(BUILD)/asan/bin/host-prep $(BUILD)/rpm/rpmrc
	@ln -sfn ../../rpm $(BUILD)/asan/bin/rpm

# ---- Fuzzing (tests/fuzz/README.md) ----------------------------------------
#
# One libFuzzer harness per parser of input the programs did not write
# themselves in this run: tests/fuzz/fuzz-NAME.c, seeds in
# tests/fuzz/corpus/NAME/. A new harness is that file, its seeds and its
# NAME in this list (liboslift/journal.c's goes in as "journal").
FUZZ_HARNESSES := plan status cmdline grubenv serial-dump outcome restore-record fstab boot-entry journal syschecks
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1

# clang with libFuzzer, against glibc and Debian's librpm like the unit
# tests; our code instrumented for coverage, the harness linked with
# libFuzzer's main(). Unlike gcc, clang's -Wformat=2 also flags vsnprintf()
# with a va_list that log.c passes on: not a bug, so not an error here.
FUZZ_CC := clang-14
FUZZ_CFLAGS = $(OUR_CFLAGS) -Wno-format-nonliteral -O1 -fsanitize=fuzzer-no-link,address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all $(PKG_FUZZ_CFLAGS)
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/bin/fuzz-%,$(FUZZ_HARNESSES))
# Without libFuzzer: each harness with tests/fuzz/replay.c (gcc, the unit
# tests' sanitizers), for make check to replay the committed corpus.
FUZZ_REPLAY_BINS := $(patsubst %,$(BUILD)/fuzz/replay/fuzz-%,$(FUZZ_HARNESSES))

fuzz_objs = $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(1))

$(BUILD)/fuzz/obj/%.o: %.c | bootstrap
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -Ihost-prep -Iupgrader -c $< -o $@

$(BUILD)/fuzz/obj/liboslift.a: $(call fuzz_objs,$(LIB_SRCS))
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BUILD)/fuzz/obj/libupgrader.a: $(call fuzz_objs,$(UPGRADER_LIB_SRCS))
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BUILD)/fuzz/obj/libhost-prep.a: $(call fuzz_objs,$(HOST_PREP_LIB_SRCS))
	$(call say,AR,$@)$(AR) rcs $@ $^

FUZZ_LIBS := $(BUILD)/fuzz/obj/libhost-prep.a $(BUILD)/fuzz/obj/libupgrader.a $(BUILD)/fuzz/obj/liboslift.a

$(BUILD)/fuzz/bin/fuzz-%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz-%.o $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(ASAN_SOLV_LIBS) $(ASAN_LIBS)

$(BUILD)/fuzz/replay/fuzz-%: $(BUILD)/asan/tests/fuzz/fuzz-%.o $(BUILD)/asan/tests/fuzz/replay.o $(ASAN_TEST_LIBS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -fsanitize=address,undefined -o $@ $^ $(ASAN_SOLV_LIBS) $(ASAN_LIBS)

fuzz-build: $(FUZZ_BINS)
fuzz-replay: $(FUZZ_REPLAY_BINS)

# Each harness for FUZZ_SECONDS, FUZZ_JOBS of them at a time, from the
# committed seeds plus what earlier runs found (build/fuzz/corpus/); a
# table at the end, and failure if anything crashed (build/fuzz/artifacts/).
fuzz: bootstrap fuzz-build
	@tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_HARNESSES)

TEST_ENV = OSLIFT_BUILD=$(abspath $(BUILD)) OSLIFT_SYSROOT=$(SYSROOT) \
	SHARED_FIXTURES=$(SHARED_FIXTURES) CMOCKA_MESSAGE_OUTPUT=TAP

# The three-boot QEMU upgrade, a failing %pre in an upgrade boot and two
# power cuts are part of every check;
# eleven power cuts, the bad upgrade boots and the harness's own smoke test
# only of the full one. tests/run.sh judges each file by its TAP, its exit
# status and its plan, lists every skip and failure, and ends with
# "N passed, N failed, N skipped".
TEST_RUN = $(TEST_ENV) tests/run.sh --log-dir $(BUILD)/test-logs

check: bootstrap all unit-tests fuzz-replay
	@POWER_CUT_POINTS=quick $(TEST_RUN) $(UNIT_TESTS) $(sort $(wildcard tests/integration/*.sh)) \
		tests/e2e/upgrade.sh tests/e2e/failed-element.sh tests/e2e/power-cut.sh

check-full: bootstrap all unit-tests fuzz-replay
	@$(TEST_RUN) $(UNIT_TESTS) $(sort $(wildcard tests/integration/*.sh)) $(sort $(wildcard tests/e2e/*.sh))

# The same three boots, told for a person.
demo: bootstrap all
	@$(TEST_ENV) DEMO=1 tests/e2e/upgrade.sh

# Measurement only (bench/README.md): upgrader vs Debian's rpm, dnf,
# zypper and plain extraction. BENCH_SIZE=default for the large set,
# BENCH_RUNS=K runs, BENCH_NO_BOOT=1 to leave out bench/boot.sh.
bench: bootstrap all
	OSLIFT_BUILD=$(abspath $(BUILD)) bench/run.sh --size $(or $(BENCH_SIZE),small) --runs $(or $(BENCH_RUNS),3) \
		$(if $(BENCH_NO_BOOT),--no-boot)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)/rpm/platform/x86_64-linux \
		$(DESTDIR)$(DRACUTDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR)
	install -s -m755 $(BUILD)/host-prep $(DESTDIR)$(SBINDIR)/host-prep
	install -s -m755 $(BUILD)/upgrader $(DESTDIR)$(LIBEXECDIR)/upgrader
	install -m644 $(BUILD)/rpm/rpmrc $(BUILD)/rpm/macros $(DESTDIR)$(LIBEXECDIR)/rpm/
	install -m644 $(BUILD)/rpm/platform/x86_64-linux/macros \
		$(DESTDIR)$(LIBEXECDIR)/rpm/platform/x86_64-linux/
	install -m755 dracut-module/module-setup.sh dracut-module/oslift-upgrade.sh $(DESTDIR)$(DRACUTDIR)/
	install -m644 dracut-module/oslift-upgrade.service $(DESTDIR)$(DRACUTDIR)/
	install -m644 host-prep/oslift-restore.service $(DESTDIR)$(UNITDIR)/
	install -m644 man/oslift-plan.5 $(DESTDIR)$(MANDIR)/man5/
	install -m644 man/host-prep.8 man/upgrader.8 $(DESTDIR)$(MANDIR)/man8/
	install -m644 completion/host-prep $(DESTDIR)$(BASHCOMPDIR)/host-prep
	install -Dm644 docs/package-map.example $(DESTDIR)$(PREFIX)/share/oslift/package-map.example

# A binary RPM of oslift itself (oslift.spec) from what make built and
# make install installs, with the build host's rpmbuild. HOME and _dbpath
# inside build/: no ~/.rpmmacros, ~/.rpmdb or ~/rpmbuild of the user
# takes part. The nested make of %install is not one of our jobs.
# Debian's brp-compress (it gzips the man pages) needs bash but names
# /bin/sh.
RPM_FILE := $(BUILD)/oslift-$(VERSION)-1.x86_64.rpm
RPM_INPUTS := oslift.spec Makefile COPYING README.md $(wildcard docs/*.md man/* completion/* dracut-module/*) \
	host-prep/oslift-restore.service

rpm: $(RPM_FILE)

$(RPM_FILE): $(BUILD)/upgrader $(BUILD)/host-prep $(BUILD)/rpm/rpmrc $(RPM_INPUTS)
	@rm -rf $(BUILD)/rpmbuild && mkdir -p $(BUILD)/rpmbuild/home
	$(call say,RPM,$@)env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL HOME=$(abspath $(BUILD)/rpmbuild/home) \
		rpmbuild -bb --quiet --nodeps \
		--define "_topdir $(abspath $(BUILD)/rpmbuild)" \
		--define "_dbpath $(abspath $(BUILD)/rpmbuild/rpmdb)" \
		--define "_rpmdir $(abspath $(BUILD))" \
		--define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
		--define "__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}" \
		--define "oslift_srcdir $(CURDIR)" --define "oslift_version $(VERSION)" \
		oslift.spec $(if $(V),,>/dev/null)
	@rm -rf $(BUILD)/rpmbuild

clean:
	rm -rf $(BUILD)

# The header dependencies of every object built so far (none before the
# first build, when everything is built anyway).
ALL_SRCS := $(LIB_SRCS) $(UPGRADER_SRCS) $(HOST_PREP_SRCS)
-include $(patsubst %.o,%.d,$(call musl_objs,$(ALL_SRCS)) \
	$(call asan_objs,$(ALL_SRCS) $(wildcard tests/unit/*.c tests/fuzz/*.c)) \
	$(call fuzz_objs,$(LIB_SRCS) $(UPGRADER_LIB_SRCS) $(HOST_PREP_LIB_SRCS) $(wildcard tests/fuzz/fuzz-*.c)))
