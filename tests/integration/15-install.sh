#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make install into a temporary DESTDIR puts each of the five tools, its
# man page, its bash completion and the udev rule (with the installed path
# of qdepth in it) where a package would; make uninstall removes them all
# again. A tool the build or the install leaves out fails the test.
. "$(dirname "$0")/lib.sh"
need_cmd make
D=$WORK/dest
make -s -C "$TOP" B="$B" DESTDIR="$D" PREFIX=/usr install >"$WORK/log" 2>&1 ||
	{ cat "$WORK/log" >&2; fail "make install"; }
tools=0
for t in qdepth jcommit swapadj preflight mmapwin; do
	if [ "$t" = mmapwin ]; then bin=$D/usr/bin/$t; sec=1; else bin=$D/usr/sbin/$t; sec=8; fi
	[ -x "$B/$t" ] || fail "$t is not built by make install: no $B/$t"
	[ -x "$bin" ] || fail "$bin not installed"
	tools=$((tools + 1))
	"$bin" --version | grep -q "^$t " || fail "$bin --version"
	[ -f "$D/usr/share/man/man$sec/$t.$sec" ] || fail "man page of $t not installed"
	[ -f "$D/usr/share/bash-completion/completions/$t" ] || fail "completion of $t not installed"
	bash -n "$D/usr/share/bash-completion/completions/$t" || fail "completion of $t: syntax"
done
[ "$tools" -eq 5 ] || fail "$tools tools installed, want 5"
rule=$D/usr/lib/udev/rules.d/60-qdepth.rules
[ -f "$rule" ] || fail "udev rule not installed"
grep -q 'RUN+="/usr/sbin/qdepth set --udev ' "$rule" || fail "udev rule lacks the installed qdepth path"
! grep -q '@SBINDIR@' "$rule" || fail "udev rule still has @SBINDIR@"

make -s -C "$TOP" B="$B" DESTDIR="$D" PREFIX=/usr uninstall >"$WORK/log" 2>&1 ||
	{ cat "$WORK/log" >&2; fail "make uninstall"; }
left=$(find "$D" -type f | sed "s|^$D||")
[ -z "$left" ] || fail "make uninstall left: $left"
echo "install/uninstall of $tools tools checked"
