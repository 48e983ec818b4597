#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# write --drop-behind waits for each written-back range before dropping it,
# and that wait takes a writeback error away from the file: a later fsync()
# returns 0. A device that fails mid-write (a thin image on a tmpfs with
# 12 MiB left; the space comes back once 48 MiB are written, so a tool that
# lost the error would finish and exit 0 with a hole of lost data) must
# give exit 3 and say so. Nothing reaches the host disk.
. "$(dirname "$0")/lib.sh"
need_root
in_mount_ns "$@"

M=$B/mmapwin
[ -x "$M" ] || fail "$M not built"
mount -t tmpfs -o size=512m,mode=0755 tmpfs "$WORK" || fail "tmpfs on $WORK"
head -c $((64 << 20)) /dev/urandom >"$WORK/src64" || fail "source"

T=$WORK/thin
mkdir -p "$T"
mount -t tmpfs -o size=256m tmpfs "$T" || fail "tmpfs on $T"
at_exit "umount -l '$T'"
truncate -s 400M "$T/img"
TDEV=$(losetup -f --show "$T/img") || skip "no loop device"
at_exit "losetup -d '$TDEV'"
mkext4 "$TDEV" -O ^has_journal
# noinit_itable: no background zeroing that would eat the space left
mountat "$TDEV" "$WORK/tm" noinit_itable

# run ENGINE: one write of src64 through ENGINE with --drop-behind while
# the device has 12 MiB left; the space comes back at 48 MiB written.
run() {
	local pid rc i
	rm -f "$WORK/tm/out"
	sync
	used=$(df --output=used -k "$T" | tail -n 1)
	mount -o remount,size=$((used + 12 * 1024))k "$T" || fail "shrink the thin tmpfs"
	"$M" write "$WORK/tm/out" --drop-behind "$@" <"$WORK/src64" \
		>"$WORK/out" 2>"$WORK/err" &
	pid=$!
	for ((i = 0; i < 200000; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		if [ "$(stat -c %s "$WORK/tm/out" 2>/dev/null || echo 0)" -ge $((48 << 20)) ]; then
			kill -STOP "$pid"
			mount -o remount,size=256m "$T"
			kill -CONT "$pid"
			break
		fi
		sleep 0.001
	done
	wait "$pid"
	rc=$?
	mount -o remount,size=256m "$T"
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
