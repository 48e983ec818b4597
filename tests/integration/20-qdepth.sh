#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qdepth against a real loop device: partitions made with addpart, ext4 on
# one of them mounted in a private mount namespace, values read back from
# sysfs. The image lives on a tmpfs of the namespace, so the only request
# queue under the file is the loop device's own (never vda).
. "$(dirname "$0")/lib.sh"
root_ns addpart losetup
need_tool Q qdepth
queue_loop 300 256M
old_ra=$(cat "$SYSQ/read_ahead_kb")

addpart "$DEV" 1 2048 204800 || fail "addpart 1"
addpart "$DEV" 2 206848 100000 || fail "addpart 2"
# Partitions outlive a detach of their loop device: remove them first.
at_exit "delpart '$DEV' 2; delpart '$DEV' 1"
udevadm settle 2>/dev/null || true
[ -b "${DEV}p1" ] || fail "${DEV}p1 did not appear"
mkext4 "${DEV}p1"
MNT=$WORK/mnt
mountat "${DEV}p1" "$MNT"
echo data > "$MNT/file"

# --- show: a path inside the fs resolves through the partition to the disk
expect_exit 0 "$Q" show -r -n -o DEVICE,VIA "$MNT/file"
expect_grep "^$N ${N}p1\$" "$WORK/out"
# ... and notes that the backing file sits on tmpfs, with no queue there
expect_exit 0 "$Q" show -P -o TARGET,DEVICE,NOTE "$MNT/file"
expect_grep 'NOTE="'"${N}"'p1 > backing file .*disk.img of '"$N"'; anonymous device .*tmpfs' "$WORK/out"
expect_exit 0 "$Q" show -r -n -o DEVICE "${DEV}p2"
expect_grep "^$N\$" "$WORK/out"
expect_exit 0 "$Q" show -r -n -o DEPTH "${N}p1"
[ "$(cat "$WORK/out")" = "$(depth)" ] || fail "show DEPTH != sysfs"
majmin=$(cat /sys/block/$N/dev)
expect_exit 0 "$Q" show -r -n -o DEVICE "$majmin"
expect_grep "^$N\$" "$WORK/out"
uuid=$(blkid -s UUID -o value "${DEV}p1" 2>/dev/null)
if [ -n "$uuid" ]; then
	expect_exit 0 "$Q" show -r -n -o DEVICE "UUID=$uuid"
	expect_grep "^$N\$" "$WORK/out"
fi
expect_exit 0 "$Q" show -J "$MNT"
expect_grep '"depth": [0-9]+' "$WORK/out"
echo "$MNT/file" | "$Q" show -rn -o DEVICE - >"$WORK/out" || fail "stdin target"
expect_grep "^$N\$" "$WORK/out"
# "-" with nothing on stdin is no target, not every disk of the host
: | "$Q" show -rn -o DEVICE - >"$WORK/out" || fail "empty stdin"
[ ! -s "$WORK/out" ] || fail "empty stdin listed: $(cat "$WORK/out")"
: | "$Q" set --dry-run --depth 64 - >"$WORK/out" 2>&1 || fail "set with empty stdin"
[ ! -s "$WORK/out" ] || fail "set with empty stdin planned: $(cat "$WORK/out")"
# stat's options elsewhere are usage errors, whatever their value (an
# --interval of 1, the default, was taken silently).
for v in 1 2; do
	expect_exit 2 "$Q" show --interval "$v" "$N"
	expect_grep "belong to 'stat'" "$WORK/err"
done

# --- set with scheduler none: depth within the hardware depth
echo none > "$SYSQ/scheduler"
hw=$(cat /sys/block/$N/mq/0/nr_tags)
expect_exit 0 "$Q" set --depth 64 "$MNT/file"
[ "$(depth)" = 64 ] || fail "depth not 64 after set: $(depth)"
expect_grep 'applied' "$WORK/out"
expect_exit 0 "$Q" set --depth 64 "$MNT/file"
expect_grep 'unchanged' "$WORK/out"

# --- above the hardware depth with none: rejected naming the range
expect_exit 2 "$Q" set --depth 1000 "$MNT/file"
expect_grep "depth 1000 out of range 4\.\.$hw with scheduler none; use --clamp" "$WORK/err"
[ "$(depth)" = 64 ] || fail "rejected set changed depth"
expect_exit 0 "$Q" set --depth 1000 --clamp "$MNT/file"
[ "$(depth)" = "$hw" ] || fail "clamp gave $(depth), want $hw"
expect_grep 'clamped' "$WORK/out"

# --- scheduler switch resets depth: qdepth sets the scheduler first
expect_exit 0 "$Q" set --scheduler mq-deadline --depth 1000 "$MNT/file"
[ "$(sched)" = mq-deadline ] || fail "scheduler not switched"
[ "$(depth)" = 1000 ] || fail "depth after switch $(depth), want 1000"
expect_exit 0 "$Q" set --depth max "$N"
[ "$(depth)" = 2048 ] || fail "max with mq-deadline gave $(depth)"

# --- nothing half-applied: depth invalid for the new scheduler
expect_exit 2 "$Q" set --scheduler none --depth 1000 "$N"
[ "$(sched)" = mq-deadline ] && [ "$(depth)" = 2048 ] ||
	fail "rejected change touched the queue: $(sched) $(depth)"

# --- dry run writes nothing
expect_exit 0 "$Q" set --dry-run --scheduler kyber --depth 16 "$N"
expect_grep 'planned' "$WORK/out"
[ "$(sched)" = mq-deadline ] && [ "$(depth)" = 2048 ] || fail "dry run wrote"

# --- save and restore
expect_exit 0 "$Q" set --save "$WORK/q.save" --scheduler none --depth 32 \
	--read-ahead 256 "$MNT/file"
[ "$(sched)" = none ] && [ "$(depth)" = 32 ] || fail "set before restore"
[ "$(cat "$SYSQ/read_ahead_kb")" = 256 ] || fail "read-ahead not set"
expect_exit 0 "$Q" restore "$WORK/q.save"
[ "$(sched)" = mq-deadline ] && [ "$(depth)" = 2048 ] ||
	fail "restore gave $(sched) $(depth)"
[ "$(cat "$SYSQ/read_ahead_kb")" = "$old_ra" ] || fail "read-ahead not restored"
expect_exit 2 "$Q" restore /etc/hostname
expect_grep 'not a qdepth save file' "$WORK/err"
# A save file edited by hand (here: another device number) breaks its
# seal: refused before anything is written. (A sealed file naming another
# disk is refused too: test_qdepth_cli.)
expect_grep "^$N mq-deadline 2048 $old_ra $majmin\$" "$WORK/q.save"
expect_grep '^# end records=1 crc32c=[0-9a-f]{8}$' "$WORK/q.save"
sed "s/ $majmin\$/ 7:9999/; s/ mq-deadline 2048 / none 16 /" "$WORK/q.save" >"$WORK/other.save"
expect_exit 2 "$Q" restore "$WORK/other.save"
expect_grep "other.save: no valid end marker \(the file may be cut short or edited\); nothing restored\$" "$WORK/err"
[ "$(sched)" = mq-deadline ] && [ "$(depth)" = 2048 ] || fail "restore of an edited file touched the disk"

# --- a missing --save directory: error, and no change made
expect_exit 3 "$Q" set --save "$WORK/nodir/q.save" --depth 16 "$N"
expect_grep 'nodir/q.save: cannot write save file' "$WORK/err"
[ "$(depth)" = 2048 ] || fail "depth changed although save failed"

# --- read-ahead is kept in whole pages: a value the kernel rounds down is
# not "applied"; it fails, naming what was read back, and is rolled back
pkb=$(( $(getconf PAGESIZE) / 1024 ))
ask=$(( pkb + 1 ))
expect_exit 3 "$Q" set --read-ahead $ask "$N"
expect_grep "^qdepth: $N: read back read_ahead_kb $pkb, asked $ask" "$WORK/err"
[ "$(cat "$SYSQ/read_ahead_kb")" = "$old_ra" ] || fail "rounded read-ahead left in place"
[ "$(sched)" = mq-deadline ] && [ "$(depth)" = 2048 ] || fail "read-ahead failure touched the queue"

# --- check
expect_exit 1 "$Q" check --max-depth 100 "$MNT/file"
expect_grep "^$N: depth 2048 > 100\$" "$WORK/out"
expect_exit 0 "$Q" check --min-depth 4 --max-depth 2048 --scheduler none,mq-deadline "$MNT/file"
expect_exit 1 "$Q" check --scheduler none,kyber "$MNT/file"
expect_grep "^$N: scheduler mq-deadline not in none,kyber\$" "$WORK/out"
# Bounds no depth meets, no bound: usage errors naming what is wrong.
expect_exit 2 "$Q" check --min-depth 300 --max-depth 100 "$N"
expect_grep "^qdepth: check: --min-depth 300 is above --max-depth 100; no value can pass\$" "$WORK/err"
expect_exit 2 "$Q" check "$N"
expect_grep "^qdepth: check: nothing to check; give --min-depth, --max-depth or --scheduler\$" "$WORK/err"
# A file on tmpfs has no queue to check: exit 4 and why, never a pass...
echo x >"$WORK/tmpfs/c"
expect_exit 4 "$Q" check --max-depth 4096 "$WORK/tmpfs/c"
expect_grep "^qdepth: $WORK/tmpfs/c: anonymous device .*\(tmpfs\): no block device, no request queue\$" "$WORK/err"
expect_exit 4 "$Q" check --max-depth 4096 "$N" "$WORK/tmpfs/c"
# ... unless asked: then the loop device decides, the file is named.
expect_exit 0 "$Q" check --ignore-noqueue --max-depth 4096 "$N" "$WORK/tmpfs/c"
expect_grep "^qdepth: $WORK/tmpfs/c: .*no request queue; ignored\$" "$WORK/err"
expect_exit 1 "$Q" check --ignore-noqueue --max-depth 100 "$N" "$WORK/tmpfs/c"
expect_exit 4 "$Q" check --ignore-noqueue --max-depth 4096 "$WORK/tmpfs/c"
expect_grep "^qdepth: check: no request queue to check\$" "$WORK/err"
# The tmpfs under the loop device's backing file is a note, not a failure.
expect_exit 0 "$Q" check --max-depth 4096 "$MNT/file"

# --- bad input
for bad in 0 -1 abc 99999999999; do
	expect_exit 2 "$Q" set --depth "$bad" "$N"
	expect_grep "^qdepth: --depth $bad: not a positive integer" "$WORK/err"
done
expect_exit 2 "$Q" set --scheduler nosuch "$N"
expect_grep 'unknown scheduler nosuch; available: .*mq-deadline' "$WORK/err"
expect_exit 3 "$Q" show nosuchdev0
expect_grep 'nosuchdev0: no such device or file' "$WORK/err"
expect_exit 2 "$Q" show UUID=
expect_grep 'UUID=: not a valid device name' "$WORK/err"
expect_exit 3 "$Q" show ../nosuchdev0
expect_grep 'No such file or directory' "$WORK/err"
echo x > "$WORK/tmpfs/f"
expect_exit 0 "$Q" show -P -o NOTE "$WORK/tmpfs/f"
expect_grep 'no block device, no request queue' "$WORK/out"
expect_exit 4 "$Q" set --depth 32 "$WORK/tmpfs/f"
expect_grep 'not applicable' "$WORK/out"
expect_exit 2 "$Q" -o BOGUS show "$N"
expect_grep "unknown column 'BOGUS'" "$WORK/err"
[ "$(sched)" = mq-deadline ] && [ "$(depth)" = 2048 ] || fail "bad input changed the queue"

# --- not root: clear message, exit 3
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	expect_exit 3 setpriv --reuid=65534 --regid=65534 --clear-groups "$Q" set --depth 16 "$N"
	expect_grep '(Permission denied|Operation not permitted) \(run as root\)' "$WORK/err"
	[ "$(depth)" = 2048 ] || fail "unprivileged set changed depth"
fi

# --- udev mode: never reads stdin, logs one line, exit 0 when not applicable
expect_exit 0 env ACTION=add DEVNAME="$DEV" "$Q" set --udev --scheduler none --depth 48 "$DEV"
[ "$(sched)" = none ] && [ "$(depth)" = 48 ] || fail "udev set gave $(sched) $(depth)"
[ "$(wc -l < "$WORK/err")" -eq 1 ] || fail "udev mode logged $(wc -l < "$WORK/err") lines"
expect_grep "^qdepth: $N: applied: scheduler mq-deadline -> none, depth 2048 -> 48\$" "$WORK/err"
[ ! -s "$WORK/out" ] || fail "udev mode wrote to stdout"
expect_exit 2 "$Q" set --udev --depth 48 -
expect_grep "^qdepth: --udev: targets come from the rule, not '-'\$" "$WORK/err"
expect_exit 0 "$Q" set --udev --depth 48 "$WORK/tmpfs/f"
expect_grep 'not applicable' "$WORK/err"
# A target that does not resolve: nothing changed, a line for every
# target, and exit 3, because the loop device was not changed as asked.
expect_exit 3 "$Q" set --udev --depth 64 "$DEV" "$T/nonexistent"
[ "$(depth)" = 48 ] || fail "udev set with a missing target changed the depth"
[ "$(wc -l < "$WORK/err")" -eq 2 ] || fail "want 2 log lines: $(cat "$WORK/err")"
expect_grep "^qdepth: $N: skipped \(not changed because of $T/nonexistent\)\$" "$WORK/err"
expect_grep "^qdepth: $T/nonexistent: not applicable \(No such file or directory\)\$" "$WORK/err"
[ ! -s "$WORK/out" ] || fail "udev mode wrote to stdout"
expect_exit 3 "$Q" set --depth 64 "$DEV" "$T/nonexistent"
expect_grep "^qdepth: $N: not changed because of $T/nonexistent\$" "$WORK/err"
expect_grep "^qdepth: $T/nonexistent: No such file or directory\$" "$WORK/err"
[ "$(depth)" = 48 ] || fail "set with a missing target changed the depth"

# --- stat over a short interval while writing through the loop device
( dd if=/dev/zero of="$MNT/big" bs=1M count=80 oflag=direct status=none ) &
wpid=$!
expect_exit 0 "$Q" stat --interval 0.3 --count 4 -r -n -o DEVICE,SAMPLE,WMB/S "$MNT/file"
wait $wpid
[ "$(wc -l < "$WORK/out")" -eq 4 ] || fail "stat printed $(wc -l < "$WORK/out") rows, want 4"
awk '$3 > 0 { w = 1 } END { exit !w }' "$WORK/out" || { cat "$WORK/out"; fail "stat saw no writes"; }
expect_exit 0 "$Q" stat --interval 0.2 --count 3 --saturation 100 -rn -o SATURATED "$N"
expect_grep '^0$' "$WORK/out"
expect_exit 2 "$Q" stat --interval 0 "$N"
expect_exit 2 "$Q" stat --saturation 101 "$N"
echo "qdepth integration: all checks passed"
