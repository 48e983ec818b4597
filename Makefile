# SPDX-License-Identifier: GPL-2.0-or-later
# GNU make, no configure. `make help` lists the targets.

VERSION := 0.1.0

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UDEVDIR ?= $(PREFIX)/lib/udev
# Where this host's systemd looks for units (not below PREFIX on Debian 12).
SYSTEMDUNITDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir \
	systemd 2>/dev/null),$(PREFIX)/lib/systemd/system)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
WERROR ?= 1
SANITIZE ?=
B ?= build

override CFLAGS += -std=gnu11 -Wall -Wextra -Wformat=2 -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla -fno-common \
	-D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude \
	-DCTL_VERSION='"$(VERSION)"'
ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
override CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
override LDFLAGS += -fsanitize=$(SANITIZE)
endif
override LDFLAGS += -Wl,--as-needed

# Foreign libraries, by pkg-config name. Each binary links only what it
# calls; libkmod, libblkid, libext2fs, libmount, libsmartcols and
# libsystemd are dlopen()ed on the paths that need them (libctl/kmod.c,
# blkid.c, ext4.c, notify.c; mount.c: --sysroot, fstab, kernels without
# statmount(2); out.c: the first table printed) so that a udev-time
# qdepth run loads nothing but libc and jcommit show reads the mount from
# the kernel without loading libmount. Their headers still come from
# PKGS_ALL (the cflags of every object), and the unit tests link them all.
PKGS_ALL := libkmod liburing ext2fs com_err mount smartcols blkid
qdepth_PKGS :=
jcommit_PKGS :=
swapadj_PKGS :=
mmapwin_PKGS := liburing
preflight_PKGS :=

pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkg_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

TOOLS_ALL := qdepth jcommit swapadj mmapwin preflight
# A tool is cmd/<tool>.c, or a folder cmd/<tool>/ (main.c and one file per
# subcommand group).
TOOLS := $(foreach t,$(TOOLS_ALL),$(if $(wildcard cmd/$(t).c cmd/$(t)/main.c),$(t)))
SBIN_TOOLS := $(filter-out mmapwin,$(TOOLS))
BIN_TOOLS := $(filter mmapwin,$(TOOLS))

LIB_SRC := $(wildcard libctl/*.c libctl/*/*.c)
# cli/: the command-line front end the five tools share (options, messages,
# tables, exit codes). Unlike libctl it may print and exit.
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(patsubst cli/%.c,$(B)/cli/%.o,$(CLI_SRC))
CLI_LIB := $(if $(CLI_SRC),$(B)/libcli.a)
LIB_OBJ := $(patsubst libctl/%.c,$(B)/libctl/%.o,$(LIB_SRC))
HDRS := $(wildcard include/ctl/*.h) libctl/internal.h \
	$(wildcard libctl/*/*.h cmd/*/*.h cli/*.h)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
TEST_HDRS := $(wildcard tests/unit/*.h tests/fixtures/*/*.h)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
BINS := $(addprefix $(B)/,$(TOOLS))
IT_TESTS := $(sort $(filter-out tests/integration/lib%.sh,\
	$(wildcard tests/integration/*.sh)))

.PHONY: all check unit integration asan install uninstall lint deps clean \
	demo bench help
all: $(BINS)

$(B)/libctl/%.o: libctl/%.c $(HDRS) | $(B)/libctl
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(call pkg_cflags,$(PKGS_ALL)) -fPIC -c -o $@ $<

$(B)/libctl.a: $(LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(B)/cli/%.o: cli/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I. -c -o $@ $<

$(B)/libcli.a: $(CLI_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(B)/cmd/%.o: cmd/%.c $(HDRS) | $(B)/cmd
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I. -c -o $@ $<

# The objects of tool $(1): cmd/<tool>.c or every cmd/<tool>/*.c.
tool_obj = $(patsubst cmd/%.c,$(B)/cmd/%.o,$(or $(wildcard cmd/$(1)/*.c),cmd/$(1).c))

.SECONDEXPANSION:
$(BINS): $(B)/%: $$(call tool_obj,$$*) $(CLI_LIB) $(B)/libctl.a
	$(CC) $(CFLAGS) -o $@ $(call tool_obj,$*) $(CLI_LIB) $(B)/libctl.a $(LDFLAGS) \
		$(call pkg_libs,$($*_PKGS)) -ldl -lm

# Link-time stubs of a unit test (-Wl,--wrap=), where a fake tree cannot
# behave as the kernel does.
test_vm_LDFLAGS := -Wl,--wrap=ctl_root_write_file
test_target_LDFLAGS := -Wl,--wrap=ctl_blkid_evaluate
test_queue_LDFLAGS := -Wl,--wrap=ctl_kmod_load_sched,--wrap=ctl_kmod_find_sched
# libctl/ext4.c uses a libext2fs the program is linked with (else it
# dlopen()s one): linked, test_ext4's stand-in for ext2fs_close_free wins.
test_ext4_LDFLAGS := -Wl,--no-as-needed -lext2fs -Wl,--as-needed

# test_preflight includes the tool's policy and checks (cmd/preflight/).
$(B)/tests/test_preflight: $(filter-out cmd/preflight/main.c,\
	$(wildcard cmd/preflight/*.c))

$(B)/tests/%: tests/unit/%.c $(CLI_LIB) $(B)/libctl.a $(HDRS) $(TEST_HDRS) \
		| $(B)/tests
	$(CC) $(CFLAGS) -I. -Wno-missing-prototypes \
		$(call pkg_cflags,$(PKGS_ALL) cmocka) -o $@ $< $(CLI_LIB) \
		$(B)/libctl.a \
		$(LDFLAGS) $($*_LDFLAGS) \
		$(call pkg_libs,$(PKGS_ALL) cmocka) -ldl -lm

$(B)/libctl $(B)/cmd $(B)/tests:
	mkdir -p $@

# Set-up on a fresh Debian machine: installs only what is missing.
DEB_PKGS := build-essential pkg-config libkmod-dev liburing-dev \
	libext2fs-dev comerr-dev libmount-dev libsmartcols-dev libblkid-dev \
	libcmocka-dev mandoc e2fsprogs util-linux mount bsdextrautils diffutils \
	procps attr acl kmod clang-format strace udev systemd \
	debhelper lintian python3-yaml python3-prometheus-client ansible-core
deps:
	@./tests/deps.sh $(DEB_PKGS)

check: deps
	@$(MAKE) --no-print-directory all units
	@B=$(B) ./tests/run $(UNIT_BIN) $(IT_TESTS)

units: $(UNIT_BIN)
unit: deps
	@$(MAKE) --no-print-directory all units
	@B=$(B) ./tests/run $(UNIT_BIN)
integration: deps
	@$(MAKE) --no-print-directory all
	@B=$(B) ./tests/run $(IT_TESTS)

asan:
	@$(MAKE) --no-print-directory B=build/asan WERROR=$(WERROR) \
		SANITIZE=address,undefined CFLAGS='-O1 -g' check

demo: deps
	@$(MAKE) --no-print-directory all
	@B=$(B) ./tests/demo.sh

# The peers the benchmarks measure against (dd, cp, sed come with the base).
BENCH_PKGS := fio time
# Each script's output is kept in $(B)/bench/NAME.log; the end of the run
# repeats every ratio line (those naming a goal) in one summary.
bench: all
	@./tests/deps.sh $(BENCH_PKGS)
	@mkdir -p $(B)/bench
	@echo "make bench: $$(date -u +%FT%TZ), $$(nproc) CPUs, Linux $$(uname -r), load $$(cut -d' ' -f1-3 /proc/loadavg)"
	@for s in $(filter-out bench/lib.sh,$(wildcard bench/*.sh)); do \
		n=$$(basename $$s .sh); echo "== $$s"; \
		{ B=$(B) $$s 2>&1; echo $$? >$(B)/bench/$$n.rc; } | \
			tee $(B)/bench/$$n.log; \
		[ "$$(cat $(B)/bench/$$n.rc)" = 0 ] || exit 1; done
	@echo "== summary (ratios of medians; goals from issue 14)"
	@for s in $(filter-out bench/lib.sh,$(wildcard bench/*.sh)); do \
		n=$$(basename $$s .sh); \
		grep -i 'goal' $(B)/bench/$$n.log | grep -v '^#' | sed "s/^/$$n: /"; done

# Section 7: what the tools share (ctl-targets(7): how targets are named).
MANPAGES := $(foreach t,$(TOOLS),$(wildcard man/$(t).[18])) $(wildcard man/*.7)
COMPLETIONS := $(foreach t,$(TOOLS),$(wildcard completions/$(t)))
UDEV_RULES := $(if $(filter qdepth,$(TOOLS)),udev/60-qdepth.rules)
UNITS := $(if $(filter swapadj,$(TOOLS)),systemd/swapadj-auto.service)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	$(if $(SBIN_TOOLS),install -m 0755 $(addprefix $(B)/,$(SBIN_TOOLS)) \
		$(DESTDIR)$(SBINDIR))
	$(if $(BIN_TOOLS),install -m 0755 $(addprefix $(B)/,$(BIN_TOOLS)) \
		$(DESTDIR)$(BINDIR))
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(MANDIR)/man8
	for m in $(MANPAGES); do \
		s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done
	$(if $(UDEV_RULES),install -d $(DESTDIR)$(UDEVDIR)/rules.d && \
		sed 's|@SBINDIR@|$(SBINDIR)|g' $(UDEV_RULES) \
		> $(DESTDIR)$(UDEVDIR)/rules.d/60-qdepth.rules && \
		chmod 0644 $(DESTDIR)$(UDEVDIR)/rules.d/60-qdepth.rules)
	$(if $(UNITS),install -d $(DESTDIR)$(SYSTEMDUNITDIR) && \
		for u in $(UNITS); do \
			f=$(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/}; \
			sed 's|@SBINDIR@|$(SBINDIR)|g' $$u > $$f && \
			chmod 0644 $$f || exit 1; \
		done)
	$(if $(COMPLETIONS),install -d $(DESTDIR)$(BASHCOMPDIR) && \
		install -m 0644 $(COMPLETIONS) $(DESTDIR)$(BASHCOMPDIR)/)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(TOOLS_ALL)) \
		$(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS_ALL)) \
		$(DESTDIR)$(UDEVDIR)/rules.d/60-qdepth.rules \
		$(DESTDIR)$(SYSTEMDUNITDIR)/swapadj-auto.service \
		$(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(TOOLS_ALL)) \
		$(foreach t,$(TOOLS_ALL),$(DESTDIR)$(MANDIR)/man8/$(t).8 \
			$(DESTDIR)$(MANDIR)/man1/$(t).1) \
		$(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard man/*.7)))

CSRC := $(wildcard include/ctl/*.h libctl/*.[ch] libctl/*/*.[ch] cmd/*.c \
	cmd/*/*.[ch] cli/*.[ch] tests/unit/*.[ch] \
	bench/*.c)
lint:
	@rc=0; for m in man/*.[178]; do \
		[ -f "$$m" ] || continue; \
		out=$$(mandoc -Tlint -Wwarning "$$m" 2>&1); \
		if [ -n "$$out" ]; then echo "$$out"; rc=1; fi; \
	done; \
	if ! clang-format --dry-run -Werror $(CSRC) 2>&1; then rc=1; fi; \
	exit $$rc

clean:
	rm -rf build

help:
	@echo 'targets: all check unit integration asan install uninstall lint'
	@echo '         deps demo bench clean'
