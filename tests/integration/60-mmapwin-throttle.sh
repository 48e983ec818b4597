#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin write --throttle: the disk under the file (ext4 on a loop device
# whose image is on a tmpfs) is found through /sys/dev/block (here a
# --sysroot tree that maps the real st_dev to a fake disk) and its
# /proc/diskstats is made to look saturated, then idle. The writer must
# use io_uring (a pipe alone would be spliced, with no depth to throttle),
# halve its in-flight depth after 3 saturated samples, log it, and come
# back to the full depth after 3 idle ones.
. "$(dirname "$0")/lib.sh"
root_ns
need_tool M mmapwin write
tmpfs_at "$WORK" 256m mode=0755
DEV=$(mkloop 64)
mkext4 "$DEV"
mountat "$DEV" "$WORK/mnt"
F=$WORK/mnt/out.bin
touch "$F"
dev=$(stat -c '%d' "$F")
maj=$((dev >> 8 & 0xfff)) min=$(((dev & 0xff) | (dev >> 12 & 0xfff00)))
[ "$maj:$min" = "$(lsblk -dno MAJ:MIN "$DEV" | tr -d ' ')" ] ||
	fail "$F is on $maj:$min, not on $DEV"
R=$WORK/root
mkdir -p "$R/sys/dev/block" "$R/sys/block/fakedisk/queue" "$R/proc"
echo "$maj:$min" >"$R/sys/block/fakedisk/dev"
echo 64 >"$R/sys/block/fakedisk/queue/nr_requests"
ln -s ../../block/fakedisk "$R/sys/dev/block/$maj:$min"

# diskstats: io_ticks grows twice as fast as wall time (util clamps to
# 100%, and a sample still reads saturated when this updater is starved
# for up to half an interval on a loaded machine) for SAT seconds, then
# stays put (0%). Replaced atomically so a reader never sees half.
stats() {
	printf '%4d %7d fakedisk 10 0 80 5 20 0 160 9 0 %d %d 0 0 0 0 0 0\n' \
		"$maj" "$min" "$1" "$1" >"$R/proc/diskstats.new"
	mv "$R/proc/diskstats.new" "$R/proc/diskstats"
}
stats 0
SAT=${SAT:-6}
(
	start=$(date +%s%N)
	while :; do
		el=$((($(date +%s%N) - start) / 1000000))
		[ $el -gt $((SAT * 1000)) ] && el=$((SAT * 1000))
		stats $((2 * el))
		sleep 0.1
	done
) &
upd=$!
at_exit "kill $upd"

# A slow producer: 64 KiB every 0.1 s for 12 s.
(for _ in $(seq 1 120); do head -c 65536 /dev/zero; sleep 0.1; done) |
	"$M" write "$F" --throttle 80 --chunk 64K --queue-depth 8 \
		--sysroot "$R" -P -o BYTES,ENGINE,DEPTH,MINDEPTH >"$WORK/out" 2>"$WORK/err"
rc=$?
kill $upd 2>/dev/null
cat "$WORK/err" >&2
[ $rc = 0 ] || fail "throttled write exited $rc"
expect_grep 'BYTES="7864320" ENGINE="uring" DEPTH="8" MINDEPTH="[124]"' "$WORK/out"
expect_grep '^mmapwin: fakedisk: util 100% >= 80%: writes in flight 8 -> 4$' "$WORK/err"
expect_grep '^mmapwin: fakedisk: util 0% < 80%: writes in flight [124] -> 8$' "$WORK/err"

# A throttle alone asks for io_uring too (its default depth, 2).
head -c 3000000 /dev/urandom >"$WORK/in"
cat "$WORK/in" | "$M" write "$F" --truncate --throttle 80 --sysroot "$R" \
	-P -o BYTES,ENGINE,DEPTH >"$WORK/out" 2>"$WORK/err" || fail "--throttle alone"
expect_grep 'BYTES="3000000" ENGINE="uring" DEPTH="2"' "$WORK/out"
cmp "$WORK/in" "$F" || fail "throttled copy differs"

# A device the tree does not know, or no block device: refused, exit 4.
expect_exit 4 "$M" write "$F" --throttle 80 --sysroot "$WORK" </dev/null
expect_grep "throttle: $F: its device is not in $WORK/sys/dev/block; drop --throttle" "$WORK/err"
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	expect_exit 4 "$M" write /dev/shm/mmapwin-throttle-test --throttle 80 </dev/null
	expect_grep 'throttle: /dev/shm: not on a block device \(anonymous device .*tmpfs' "$WORK/err"
	[ ! -e /dev/shm/mmapwin-throttle-test ] || fail "refused write created the file"
fi
echo "throttle: halved under saturation and restored"
