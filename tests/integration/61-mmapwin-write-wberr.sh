#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# write --drop-behind waits for each written-back range before dropping it,
# and that wait takes a writeback error away from the file: a later fsync()
# returns 0. A device that fails mid-write (a thin image on a tmpfs with
# 12 MiB left; the space comes back once 48 MiB are written, so a tool that
# lost the error would finish and exit 0 with a hole of lost data) must
# give exit 3 and say so. Nothing reaches the host disk.
. "$(dirname "$0")/lib.sh"
root_ns
need_tool M mmapwin
tmpfs_at "$WORK" 512m mode=0755
head -c $((64 << 20)) /dev/urandom >"$WORK/src64" || fail "source"

T=$WORK/thin
thin_ext4 "$T" "$WORK/tm"

# run ENGINE: one write of src64 through ENGINE with --drop-behind while
# the device has 12 MiB left; the space comes back at 48 MiB written.
run() {
	rm -f "$WORK/tm/out"
	thin_run "$T" "$WORK/src64" \
		'[ "$(stat -c %s "$WORK/tm/out" 2>/dev/null || echo 0)" -ge $((48 << 20)) ]' \
		"$M" write "$WORK/tm/out" --drop-behind "$@"
	if [ "$rc" = 0 ] && cmp -s "$WORK/src64" "$WORK/tm/out"; then
		note "$*: the device did not fail (nothing lost): no check made"
		return 2
	fi
	[ "$rc" = 3 ] || { cat "$WORK/err" >&2; fail "write $* on a failing device exited $rc, expected 3"; }
	expect_grep 'tm/out: .*(Input/output error|No space left on device|no space left on device)' "$WORK/err"
	note "$*: $(cat "$WORK/err")"
}

for engine in "" "--engine pwrite"; do
	# A race the device wins (no error at all) is run again, at most 5
	# times; one never lost fails the test.
	for ((try = 1; try <= 5; try++)); do
		run $engine && break
		[ "$try" -lt 5 ] || fail "write ${engine:-(default)}: the device never failed in 5 tries"
	done
done
echo "write --drop-behind: a writeback error seen by the wait is an error (exit 3)"
