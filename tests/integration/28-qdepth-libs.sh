#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qdepth loads libsmartcols only to print a table (issue 14): a set that
# prints nothing (-q, and --udev, whose stdout udev throws away) runs on
# libc alone, as the udev hot path should; a set or show that prints a
# table loads it, and prints the same table as before. Without the
# library (an empty file bound over it, in this namespace only) a set
# that prints nothing still works, and one that would print says what
# is missing and exits 3, without a crash. The loader says what it
# loaded (LD_DEBUG=libs, into a file of its own).
. "$(dirname "$0")/lib.sh"
need_root
need_cmd losetup
in_mount_ns "$@"
need_tool Q qdepth
queue_loop 80
echo 64 >"$SYSQ/nr_requests" || fail "baseline depth 64"

# scols WANT CMD...: CMD exits 0, and the loader's own list (LD_DEBUG=libs)
# says whether it initialised libsmartcols, linked or dlopen()ed: WANT
# yes or no.
scols() {
	local want=$1 got=no
	shift
	rm -f "$WORK"/ld.*
	LD_DEBUG=libs LD_DEBUG_OUTPUT=$WORK/ld "$@" >"$WORK/out" 2>"$WORK/err" ||
		{ cat "$WORK/err" >&2; fail "'$*' failed"; }
	cat "$WORK"/ld.* >"$WORK/ldlog" 2>/dev/null
	grep -q 'calling init: ' "$WORK/ldlog" || fail "LD_DEBUG=libs gave no list for: $*"
	grep -q 'calling init: .*libsmartcols\.so' "$WORK/ldlog" && got=yes
	[ "$got" = "$want" ] || fail "'$*': libsmartcols loaded: $got, want $want"
}

# Nothing printed: no libsmartcols, whether the depth changes or not.
scols no "$Q" set -q --depth 64 "$N"
scols no "$Q" set -q --depth 32 "$N"
[ "$(depth)" = 32 ] || fail "set -q left depth $(depth), not 32"
scols no "$Q" set --udev --depth 64 "$N"
[ "$(depth)" = 64 ] || fail "set --udev left depth $(depth), not 64"
[ -s "$WORK/out" ] && fail "set --udev printed on stdout: $(cat "$WORK/out")"
# JSON Lines need no libsmartcols either.
scols no "$Q" stat -J --interval 0.1 --count 1 "$N"
expect_grep "\"device\":\"$N\"" "$WORK/out"
# A table: libsmartcols, and the table as it was.
scols yes "$Q" set -r --depth 64 "$N"
expect_grep "^$N $N [a-z-]+ [a-z-]+ 64 64 unchanged *\$" "$WORK/out"
scols yes "$Q" show -P -o DEVICE,DEPTH "$N"
expect_grep "^DEVICE=\"$N\" DEPTH=\"64\"\$" "$WORK/out"
scols yes "$Q" show -J -o DEVICE,DEPTH "$N"
expect_grep "\"device\": \"$N\"" "$WORK/out"
expect_grep '"depth": 64' "$WORK/out"

# Without libsmartcols: a quiet set works; a table says what is missing.
lib=$(ldconfig -p | sed -n 's/^[[:space:]]*libsmartcols\.so\.1 (libc6,x86-64) => //p' | head -n1)
[ -n "$lib" ] || lib=$(ldconfig -p | sed -n 's/^[[:space:]]*libsmartcols\.so\.1 .*=> //p' | head -n1)
[ -f "$lib" ] || fail "setup: no libsmartcols.so.1 in ldconfig -p"
: >"$WORK/empty.so"
mount --bind "$WORK/empty.so" "$lib" || fail "bind an empty file over $lib"
at_exit "umount '$lib'"
expect_exit 0 "$Q" set -q --depth 32 "$N"
[ "$(depth)" = 32 ] || fail "set -q without libsmartcols left depth $(depth)"
[ -s "$WORK/err" ] && fail "set -q without libsmartcols warned: $(cat "$WORK/err")"
expect_exit 0 "$Q" set --udev --depth 64 "$N"
[ "$(depth)" = 64 ] || fail "set --udev without libsmartcols left depth $(depth)"
for args in "show" "show -J" "set --depth 64"; do
	# shellcheck disable=SC2086
	expect_exit 3 "$Q" $args "$N"
	expect_grep '^qdepth: output: libsmartcols\.so\.1 cannot be loaded \(install libsmartcols1\)$' "$WORK/err"
done
umount "$lib" || fail "umount $lib"
echo PASS
