#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Another process truncates the file while `patch --undo` or `fault` has
# it mapped: the touched page past the new EOF raises SIGBUS, which must
# end the operation with exit 3 and a message, not a crash; the undo
# journal stays valid and restores what it recorded.
# To hit the middle of the walk without timing luck, the tool is stopped
# (SIGSTOP) once it is known to be inside it, the file is truncated, and
# the tool continued. A race the tool wins (it finished before it could be
# stopped) is run again, at most 5 times; one never won fails the test.
# The files live on ext4 over a loop device whose image is on a tmpfs.
. "$(dirname "$0")/lib.sh"
need_root
in_mount_ns "$@"

M=$B/mmapwin
[ -x "$M" ] || fail "$M not built"
T=$WORK/tmpfs
mkdir -p "$T"
mount -t tmpfs -o size=600m tmpfs "$T" || fail "mount tmpfs"
at_exit "umount -l '$T'"
truncate -s 2G "$T/ext4.img"
DEV=$(losetup -f --show "$T/ext4.img") || skip "no loop device"
at_exit "losetup -d '$DEV'"
mkext4 "$DEV"
D=$WORK/ext4
mountat "$DEV" "$D"
cd "$D" || fail "cd $D"
hdr=$((96 + ${#D} + 7)) # journal header for "$D/target"
rec=$((24 + (1 << 20)))
records_in() {
	local sz
	sz=$(stat -c %s "$1" 2>/dev/null) || sz=0
	[ "$sz" -ge "$hdr" ] || { echo 0; return; }
	echo $(((sz - hdr) / rec))
}

head -c $((96 << 20)) /dev/urandom >orig
head -c $((90 << 20)) /dev/urandom >data

# patch --undo, truncated to 1 MiB after a few windows.
hit=0
for try in 1 2 3 4 5; do
	cp orig target
	rm -f undo
	"$M" patch target 4096 --from data --window 1M --undo undo -q \
		>"$WORK/out" 2>"$WORK/err" &
	pid=$!
	while [ "$(records_in undo)" -lt 3 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.005
	done
	kill -STOP "$pid" 2>/dev/null
	truncate -s 1M target
	kill -CONT "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] && { note "try $try: patch finished first"; continue; }
	[ "$rc" -eq 3 ] || { cat "$WORK/err" >&2; fail "patch exited $rc (a crash?)"; }
	hit=1
	break
done
[ "$hit" = 1 ] || fail "patch finished before the truncation in 5 tries"
expect_grep 'mmapwin: target: file truncated by another process while mapped \(SIGBUS\)' "$WORK/err"
expect_grep 'bytes patched before the failure; restore with .mmapwin undo undo.' "$WORK/err"
# The journal is intact: every record checks, none is torn. (--dry-run
# lists them, and fails: the file is shorter than they can restore.)
n=$(records_in undo)
expect_exit 3 "$M" undo undo --dry-run -n
[ "$(grep -c . "$WORK/out")" = "$n" ] || fail "journal lists $(grep -c . "$WORK/out") records, $n written"
[ "$(stat -c %s target)" = 1048576 ] || fail "dry run wrote"
# The journaled bytes come back, but what the truncation cut off past
# them was never journaled: not the original, so not exit 0.
expect_exit 3 "$M" undo undo -o RECORDS,TORN -r -n
expect_grep "^$n 0\$" "$WORK/out"
lost=$(((96 << 20) - 4096 - (n << 20)))
expect_grep "^mmapwin: $D/target: was cut to 1048576 bytes after the journal was made \(size 100663296\); the journaled bytes are restored, but $lost bytes were never journaled and are lost$" "$WORK/err"
# What survived the truncation, and what the journal covered, is original.
cmp -s <(head -c $((n << 20)) target) <(head -c $((n << 20)) orig) ||
	fail "undo did not restore the journaled bytes"
expect_exit 3 "$M" undo undo --dry-run -n
expect_grep "$lost bytes were never journaled and are lost" "$WORK/err"

# A cut inside what the journal holds is restored in full: exit 0.
head -c 100000 /dev/urandom >small
cp small small.orig
rm -f su
expect_exit 0 "$M" patch small 90000 --data "$(head -c 10000 /dev/zero | tr '\0' x)" --undo su -q
truncate -s 95000 small
expect_exit 0 "$M" undo su -q
cmp -s small small.orig || fail "undo of a file cut inside the journaled range"

# fault, truncated to 0 while its 1 MiB windows walk a 1 GiB sparse file.
hit=0
for try in 1 2 3 4 5; do
	rm -f sparse
	truncate -s 1G sparse
	"$M" fault sparse --window 1M >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	while ! grep -q "$D/sparse" "/proc/$pid/maps" 2>/dev/null &&
		kill -0 "$pid" 2>/dev/null; do
		sleep 0.001
	done
	kill -STOP "$pid" 2>/dev/null
	truncate -s 0 sparse
	kill -CONT "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] && { note "try $try: fault finished first"; continue; }
	[ "$rc" -eq 3 ] || { cat "$WORK/err" >&2; fail "fault exited $rc (a crash?)"; }
	hit=1
	break
done
[ "$hit" = 1 ] || fail "fault finished before the truncation in 5 tries"
expect_grep 'mmapwin: sparse: file truncated by another process while mapped \(SIGBUS\)' "$WORK/err"
[ ! -s "$WORK/out" ] || fail "fault printed a report after failing"

# The same with --madvise: MADV_POPULATE_READ reports it (EFAULT).
hit=0
for try in 1 2 3 4 5; do
	rm -f sparse
	truncate -s 1G sparse
	"$M" fault sparse --madvise --window 1M >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	while ! grep -q "$D/sparse" "/proc/$pid/maps" 2>/dev/null &&
		kill -0 "$pid" 2>/dev/null; do
		sleep 0.001
	done
	kill -STOP "$pid" 2>/dev/null
	truncate -s 0 sparse
	kill -CONT "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] && { note "try $try: fault --madvise finished first"; continue; }
	[ "$rc" -eq 3 ] || { cat "$WORK/err" >&2; fail "fault --madvise exited $rc"; }
	hit=1
	break
done
[ "$hit" = 1 ] || fail "fault --madvise finished before the truncation in 5 tries"
expect_grep 'mmapwin: sparse: file truncated by another process while mapped \(SIGBUS\)' "$WORK/err"
[ ! -s "$WORK/out" ] || fail "fault --madvise printed a report after failing"
echo "truncate: patch, fault and fault --madvise end with exit 3, journal intact"
