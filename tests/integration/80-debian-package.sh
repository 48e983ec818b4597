#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package: the tracked files of the working tree (git ls-files)
# are copied to a scratch directory (dpkg-buildpackage writes next to the
# source tree, never in /work/main), built with "dpkg-buildpackage -us -uc
# -b" (nocheck: make check runs the unit tests already), checked by lintian
# (any E: or W: fails, and a missing hardening flag; overrides need a
# comment), and unpacked with dpkg -x:
# the five tools run from it, their man pages render, the udev rule and the
# systemd unit name the installed binaries, nothing is called libctl, and
# a fresh install does not enable swapadj-auto.service.
. "$(dirname "$0")/lib.sh"
for c in dpkg-buildpackage dh lintian dpkg-deb dpkg-parsechangelog; do
	need_cmd $c
done
[ -d "$TOP/debian" ] || fail "no $TOP/debian"
pkg=$(sed -n 's/^Package: //p' "$TOP/debian/control")
ver=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version) || fail "debian/changelog"
mkver=$(sed -n 's/^VERSION := //p' "$TOP/Makefile")
[ "$ver" = "$mkver" ] || fail "debian/changelog has $ver, the Makefile $mkver"

# --- the source: what git tracks, as it is in the working tree
S=$WORK/src/$pkg-$ver
mkdir -p "$S"
if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$TOP" && git ls-files -z | tar --null --ignore-failed-read -T - -cf -) |
		tar -xf - -C "$S" || fail "copy of the tracked files"
else
	tar -C "$TOP" --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$S" ||
		fail "copy of the source tree"
fi
[ -f "$S/debian/rules" ] || fail "debian/rules is not tracked by git"

# --- the build
# Nothing of this test's environment (B, make's variables) goes in.
(cd "$S" && env -u B -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS -u LDFLAGS \
	DEB_BUILD_OPTIONS="nocheck parallel=2" DEB_BUILD_PROFILES=nocheck \
	dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1 ||
	{ tail -n 40 "$WORK/build.log" >&2; fail "dpkg-buildpackage"; }
arch=$(dpkg --print-architecture)
deb=$WORK/src/${pkg}_${ver}_$arch.deb
changes=$WORK/src/${pkg}_${ver}_$arch.changes
[ -f "$deb" ] && [ -f "$changes" ] || { ls "$WORK/src" >&2; fail "no $deb or $changes"; }
# Compiler warnings are errors in make check (WERROR=1), the package
# builds with WERROR=0 and the distribution's flags: none may appear.
! grep -E '^[^ ]+:[0-9]+:([0-9]+:)? (warning|error):' "$WORK/build.log" >&2 ||
	fail "the package build has compiler warnings"

# --- lintian
lintian -I --tag-display-limit 0 "$changes" >"$WORK/lintian" 2>&1
rc=$?
cat "$WORK/lintian" >&2
! grep -E '^[EW]: ' "$WORK/lintian" >/dev/null || fail "lintian errors or warnings"
# Hardening is an I: tag at most for lintian, and one fortified call makes
# a binary "fortified" for it: check that every compile got the
# distribution's CPPFLAGS and CFLAGS, and every link its LDFLAGS.
! grep -E '^I: .* hardening-' "$WORK/lintian" >/dev/null ||
	fail "lintian: the binaries lack hardening"
want_c="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS | sed 's/-ffile-prefix-map=[^ ]* //')"
want_l=$(dpkg-buildflags --get LDFLAGS)
n=0
while IFS= read -r line; do
	n=$((n + 1))
	want=$want_c
	case $line in *libctl.a*) want="$want $want_l" ;; esac
	for f in $want; do
		case " $line " in *" $f "*) ;; *) fail "built without $f: $line" ;; esac
	done
done < <(grep -E -- '-std=gnu11 .* -o ' "$WORK/build.log")
[ "$n" -gt 5 ] || fail "only $n compiler lines in the build log"
[ "$rc" -eq 0 ] || fail "lintian exited $rc"
# An override must say why.
for o in "$S"/debian/*lintian-overrides "$S"/debian/source/lintian-overrides; do
	[ -f "$o" ] || continue
	awk '/^[^#[:space:]]/ && prev !~ /^#/ { print FILENAME ": " $0; bad = 1 }
		{ prev = $0 } END { exit bad }' "$o" >&2 ||
		fail "a lintian override without a comment above it"
done

# --- the contents
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$WORK/files"
! grep -i 'libctl' "$WORK/files" >&2 || fail "the package installs something named libctl"
R=$WORK/root
dpkg -x "$deb" "$R" || fail "dpkg -x"
for t in qdepth jcommit swapadj preflight mmapwin; do
	if [ $t = mmapwin ]; then bin=/usr/bin/$t sec=1; else bin=/usr/sbin/$t sec=8; fi
	[ -x "$R$bin" ] || fail "no $bin in the package"
	"$R$bin" --version >"$WORK/out" 2>&1 || fail "$bin --version"
	grep -qx "$t $ver" "$WORK/out" || fail "$bin --version: $(cat "$WORK/out"), expected '$t $ver'"
	man=$R/usr/share/man/man$sec/$t.$sec.gz
	[ -f "$man" ] || fail "no man page $t.$sec.gz"
	if command -v man >/dev/null; then
		MANWIDTH=80 man -l "$man" >"$WORK/man" 2>"$WORK/man.err"
	else
		zcat "$man" | mandoc >"$WORK/man" 2>"$WORK/man.err"
	fi
	[ $? -eq 0 ] && [ ! -s "$WORK/man.err" ] ||
		{ cat "$WORK/man.err" >&2; fail "man page $t.$sec does not render cleanly"; }
	grep -q "^SYNOPSIS" "$WORK/man" || fail "man page $t.$sec has no SYNOPSIS"
	c=$R/usr/share/bash-completion/completions/$t
	[ -f "$c" ] || fail "no bash completion for $t"
	bash -n "$c" || fail "bash completion for $t: syntax"
done
# A library a tool dlopen()s (libctl names it by soname) is invisible to
# dpkg-shlibdeps: its package must be in Depends by name (libsystemd, for
# sd_notify only, in Recommends).
deps=$(dpkg-deb -f "$deb" Depends Recommends | sed 's/^[A-Za-z-]*: //' |
	tr ',|' '\n\n' | sed 's/^ *//;s/[ (:].*//;/^$/d' | sort -u)
for t in /usr/sbin/qdepth /usr/sbin/jcommit /usr/sbin/swapadj /usr/sbin/preflight /usr/bin/mmapwin; do
	for so in $(strings "$R$t" | grep -E '^lib[a-z0-9_+-]+\.so\.[0-9]+$' | sort -u); do
		[ "$so" = libc.so.6 ] && continue
		lib=$(ldconfig -p | awk -v s="$so" '$1 == s && /x86-64|64bit/ { print $NF; exit }')
		[ -n "$lib" ] || lib=$(ldconfig -p | awk -v s="$so" '$1 == s { print $NF; exit }')
		[ -n "$lib" ] || fail "$t names $so, which this system does not have"
		p=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | sed -n '1s/:.*//p')
		[ -n "$p" ] || p=$(dpkg -S "$lib" 2>/dev/null | sed -n '1s/:.*//p')
		[ -n "$p" ] || fail "no package owns $lib ($so, named by $t)"
		grep -qx "$p" <<<"$deps" || fail "$t loads $so, but $p is not in the package's Depends or Recommends"
	done
done
rule=$(grep -E '^/(usr/)?lib/udev/rules.d/60-qdepth.rules$' "$WORK/files") ||
	fail "no udev rule in the package"
grep -q '^RUN+="/usr/sbin/qdepth set --udev ' "$R$rule" || fail "$rule does not run /usr/sbin/qdepth"
unit=$(grep -E '^/(usr/)?lib/systemd/system/swapadj-auto.service$' "$WORK/files") ||
	fail "no swapadj-auto.service in the package"
grep -qx 'ExecStart=/usr/sbin/swapadj auto $SWAPADJ_OPTS' "$R$unit" ||
	fail "$unit does not run /usr/sbin/swapadj"
! grep -r '@[A-Z_]*@' "$R$rule" "$R$unit" >&2 || fail "a placeholder left in the package"

# --- the maintainer scripts: swapadj auto changes a host-wide sysctl, so
# a fresh install must not enable swapadj-auto.service (deb-systemd-invoke
# starts no disabled unit). postinst runs with logging stand-ins for the
# helpers, answering as on a fresh install: the unit was never installed,
# and "was-enabled" is true by default (so a plain dh_installsystemd
# enables it).
dpkg-deb -e "$deb" "$WORK/ctl" || fail "dpkg-deb -e"
mkdir -p "$WORK/stubs"
for c in deb-systemd-helper deb-systemd-invoke systemctl; do
	cat >"$WORK/stubs/$c" <<-EOF
	#!/bin/sh
	echo "$c \$*" >>"$WORK/calls"
	case " \$* " in
	*" debian-installed "* | *" is-enabled "* | *" is-active "*) exit 1 ;;
	esac
	exit 0
	EOF
	chmod +x "$WORK/stubs/$c"
done
: >"$WORK/calls"
PATH=$WORK/stubs:$PATH sh "$WORK/ctl/postinst" configure "" >"$WORK/out" 2>&1 ||
	{ cat "$WORK/out" >&2; fail "postinst configure (with stand-ins) failed"; }
grep -q '^deb-systemd-helper .*swapadj-auto.service' "$WORK/calls" ||
	fail "postinst does not handle swapadj-auto.service"
! grep -E '^(deb-systemd-helper|systemctl)( -[^ ]*)* enable ' "$WORK/calls" >&2 ||
	fail "a fresh install enables swapadj-auto.service"
echo "$pkg $ver: built, lintian clean, $(wc -l <"$WORK/files") paths, tools run from dpkg -x"
