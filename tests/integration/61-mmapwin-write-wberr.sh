#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# write --drop-behind waits for each written-back range before dropping it,
# and that wait takes a writeback error away from the file: a later fsync()
# returns 0. A device that fails mid-write (a thin image on a tmpfs with
# 12 MiB left; the space comes back once 48 MiB are written, so a tool that
# lost the error would finish and exit 0 with a hole of lost data) must
# give exit 3 and say so. A cold input file (read with O_DIRECT) defers all
# writeback to the final fdatasync(): an error there must give exit 3 too,
# not a partial file and exit 0. Nothing reaches the host disk.
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

# --- a cold input file: nothing is written back before fdatasync(), so
# the device keeps failing (the room never comes back) and the error is
# the final fdatasync()'s. The source sits on an ext4 of its own, dropped
# from the page cache, so the O_DIRECT read is taken; the input left
# uncached (fincore) says it was.
DEV=$(mkloop 128)
mkext4 "$DEV"
C=$WORK/cold
mountat "$DEV" "$C"
cp "$WORK/src64" "$C/src64" && sync "$C/src64" || fail "cold source"
for engine in "" "--engine pwrite"; do
	rm -f "$WORK/tm/out"
	dd if="$C/src64" iflag=nocache count=0 status=none || fail "dd nocache"
	thin_run "$T" "$C/src64" false "$M" write "$WORK/tm/out" $engine
	[ "$rc" = 3 ] || { cat "$WORK/err" >&2; fail "cold write ${engine:-(default)} on a failing device exited $rc, expected 3"; }
	expect_grep 'tm/out: (fdatasync: Input/output error|no space left on device when the 67108864 bytes written were flushed \(fdatasync\); the file is incomplete)' "$WORK/err"
	[ "$(fincore -n -b -o RES "$C/src64" | tr -d " ")" = 0 ] ||
		fail "cold input was cached (not read with O_DIRECT): $(fincore "$C/src64")"
	note "cold ${engine:-(default)}: $(cat "$WORK/err")"
done
echo "write --drop-behind: a writeback error seen by the wait is an error (exit 3)"
echo "write of a cold file: the deferred writeback's error at fdatasync is an error (exit 3)"
