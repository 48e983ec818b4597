#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make install into a temporary DESTDIR puts every built tool, man page,
# bash completion and the udev rule (with the installed path of qdepth in
# it) where a package would; make uninstall removes them all again.
. "$(dirname "$0")/lib.sh"
need_cmd make
D=$WORK/dest
make -s -C "$TOP" B="$B" DESTDIR="$D" PREFIX=/usr install >"$WORK/log" 2>&1 ||
	{ cat "$WORK/log" >&2; fail "make install"; }
tools=0
for t in qdepth jcommit swapadj preflight mmapwin; do
	[ -x "$B/$t" ] || continue
	tools=$((tools + 1))
	if [ "$t" = mmapwin ]; then bin=$D/usr/bin/$t; sec=1; else bin=$D/usr/sbin/$t; sec=8; fi
	[ -x "$bin" ] || fail "$bin not installed"
	"$bin" --version | grep -q "^$t " || fail "$bin --version"
	[ -f "$D/usr/share/man/man$sec/$t.$sec" ] || fail "man page of $t not installed"
	[ -f "$D/usr/share/bash-completion/completions/$t" ] || fail "completion of $t not installed"
	bash -n "$D/usr/share/bash-completion/completions/$t" || fail "completion of $t: syntax"
done
[ "$tools" -gt 0 ] || fail "nothing built"
rule=$D/usr/lib/udev/rules.d/60-qdepth.rules
[ -f "$rule" ] || fail "udev rule not installed"
grep -q 'RUN+="/usr/sbin/qdepth set --udev ' "$rule" || fail "udev rule lacks the installed qdepth path"
! grep -q '@SBINDIR@' "$rule" || fail "udev rule still has @SBINDIR@"

make -s -C "$TOP" B="$B" DESTDIR="$D" PREFIX=/usr uninstall >"$WORK/log" 2>&1 ||
	{ cat "$WORK/log" >&2; fail "make uninstall"; }
left=$(find "$D" -type f | sed "s|^$D||")
[ -z "$left" ] || fail "make uninstall left: $left"
echo "install/uninstall of $tools tools checked"
