#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qdepth's read-back against values the real kernel changes, on a real
# loop device (image on a tmpfs of this private mount namespace). A fake
# tree keeps whatever is written, so these paths need the kernel:
#  - blk-mq raises nr_requests 0-3 to 4: --clamp must bring a depth below
#    the range to 4, its bottom (not to the top of the range);
#  - a depth the queue keeps differently than written must fail the
#    change and put the old values back. Made real here by binding
#    read_ahead_kb over nr_requests (in this namespace only): the kernel
#    keeps read-ahead in whole pages, so 65 reads back as 64.
. "$(dirname "$0")/lib.sh"
root_ns losetup
need_tool Q qdepth
queue_loop 100
pkb=$(($(getconf PAGESIZE) / 1024))
[ "$pkb" -gt 1 ] || skip "page size below 2 KiB: read-ahead is not rounded"

# --- the kernel fact, pinned down: 0-3 become 4 ---
echo none >"$SYSQ/scheduler" || fail "scheduler none"
for v in 0 2 3; do
	echo "$v" >"$SYSQ/nr_requests" || fail "write $v"
	[ "$(depth)" = 4 ] || fail "nr_requests $v read back $(depth), not 4"
done
hw=$(cat "/sys/block/$N/mq/0/nr_tags")

# --- --clamp: a depth below the range is brought to 4, read back ---
echo 64 >"$SYSQ/nr_requests"
expect_exit 0 "$Q" set -rn -o DEVICE,DEPTH,RANGE,RESULT --depth 2 --clamp "$DEV"
[ "$(depth)" = 4 ] || fail "--depth 2 --clamp gave $(depth), want 4"
[ "$(cat "$WORK/out")" = "$N 4 4-$hw clamped" ] || fail "reported: $(cat "$WORK/out")"
echo 64 >"$SYSQ/nr_requests"
expect_exit 0 "$Q" set -rn -o DEVICE,SCHED,DEPTH,RESULT --scheduler mq-deadline --depth 1 --clamp "$DEV"
[ "$(sched) $(depth)" = "mq-deadline 4" ] || fail "--depth 1 --clamp with mq-deadline gave $(sched) $(depth)"
expect_exit 0 "$Q" set -rn -o DEVICE,DEPTH,RESULT --depth max "$DEV"
[ "$(depth)" = 2048 ] || fail "--depth max gave $(depth)"
# Without --clamp: rejected with the range, nothing written.
expect_exit 2 "$Q" set --depth 3 "$DEV"
expect_grep "^qdepth: $N: depth 3 out of range 4\.\.2048 with scheduler mq-deadline; use --clamp or pick a scheduler\$" "$WORK/err"
[ "$(depth)" = 2048 ] || fail "a rejected depth changed the queue: $(depth)"

# --- a depth read back as another value: failed, old values back ---
echo none >"$SYSQ/scheduler" || fail "scheduler none"
echo 128 >"$SYSQ/nr_requests" && echo 128 >"$SYSQ/read_ahead_kb" || fail "reset"
mount --bind "$SYSQ/read_ahead_kb" "$SYSQ/nr_requests" || skip "cannot bind over a sysfs attribute here"
at_exit "umount '$SYSQ/nr_requests'"
ask=$((64 + 1))
expect_exit 3 "$Q" set --depth $ask "$DEV"
expect_grep "^qdepth: $N: read back scheduler none depth 64, asked none $ask; rolled back\$" "$WORK/err"
expect_grep "failed" "$WORK/out"
[ "$(cat "$SYSQ/read_ahead_kb")" = 128 ] || fail "not rolled back: $(cat "$SYSQ/read_ahead_kb")"
# A depth that reads back as written is applied.
expect_exit 0 "$Q" set -rn -o DEVICE,DEPTH,RESULT --depth 64 "$DEV"
[ "$(cat "$WORK/out")" = "$N 64 applied" ] || fail "reported: $(cat "$WORK/out")"
umount "$SYSQ/nr_requests" || fail "umount the bind"
echo "qdepth read-back: clamp to 4 and a differing depth caught on $N"
