#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A disk named on the udev hot path is looked up from the root once
# (issue 14): `qdepth set --depth N DISK`, changed or not, opens
# /sys/block/DISK and reads its number, checks its queue, reads, writes
# and reads back through that directory. No second resolution through
# /sys/class/block or /sys/dev/block, nor a path from the root to any of
# its attributes. A partition, a MAJ:MIN and --stack still resolve as
# before (the same table). Counts of calls (strace), not times.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd losetup
need_cmd strace
in_mount_ns "$@"
need_tool Q qdepth
queue_loop 80
echo 64 >"$SYSQ/nr_requests" || fail "baseline depth 64"

# traced ARGS...: qdepth ARGS under strace (file calls) into $WORK/trace.
traced() {
	env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -o "$WORK/trace" -e trace=%file,openat2 "$Q" "$@"
}
# from_root: lines of the trace that look up a sysfs path from the root.
from_root() { grep -E '"sys/' "$WORK/trace" | grep -v 'RESOLVE_BENEATH'; }
show_trace() { grep -E 'open|stat|readlink' "$WORK/trace" >&2; }

for depth in 64 32 64; do
	expect_exit 0 traced set -q --depth "$depth" "$N"
	[ "$(depth)" = "$depth" ] || fail "depth $(depth), not $depth"
	got=$(from_root)
	[ "$got" = "$(grep -E "openat2\(.*\"sys/block/$N\",.*O_DIRECTORY" "$WORK/trace")" ] &&
		[ "$(echo "$got" | wc -l)" = 1 ] ||
		{ show_trace; fail "set --depth $depth: sysfs looked up from the root other than /sys/block/$N once: $got"; }
	[ "$(grep -c 'readlink("/proc/self/fd/' "$WORK/trace")" = 0 ] ||
		{ show_trace; fail "set --depth $depth: a readlink (a second resolution)"; }
done

# The other forms of a target, and --stack: as before.
for t in "$N" "$(cat "/sys/block/$N/dev")" "$DEV"; do
	expect_exit 0 "$Q" set -r -o DEVICE,DEPTH,RESULT --depth 64 "$t"
	expect_grep "^$N 64 unchanged\$" "$WORK/out"
done
expect_exit 0 "$Q" set -r -o DEVICE,DEPTH,RESULT --stack --depth 64 "$N"
expect_grep "^$N 64 unchanged\$" "$WORK/out"
echo PASS
