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
root_ns
need_tool M mmapwin
D=$WORK/ext4
ext4_loop "$D" 600m 2G
cd "$D" || fail "cd $D"
hdr=$((96 + ${#D} + 7)) # journal header for "$D/target"
rec=$((24 + (1 << 20)))

head -c $((96 << 20)) /dev/urandom >orig
head -c $((90 << 20)) /dev/urandom >data

# patch --undo, truncated to 1 MiB after a few windows.
interrupt 3 'cp orig target; rm -f undo' '[ "$(records_in undo $hdr $rec)" -ge 3 ]' \
	'truncate -s 1M target' \
	"$M" patch target 4096 --from data --window 1M --undo undo -q
expect_grep 'mmapwin: target: file truncated by another process while mapped \(SIGBUS\)' "$WORK/err"
expect_grep 'bytes patched before the failure; restore with .mmapwin undo undo.' "$WORK/err"
# The journal is intact: every record checks, none is torn. (--dry-run
# lists them, and fails: the file is shorter than they can restore.)
n=$(records_in undo $hdr $rec)
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

# fault, truncated to 0 while its 1 MiB windows walk a 1 GiB sparse file;
# the same with --madvise: MADV_POPULATE_READ reports it (EFAULT).
for how in "" --madvise; do
	interrupt 3 'rm -f sparse; truncate -s 1G sparse' \
		'grep -q "$D/sparse" "/proc/$pid/maps" 2>/dev/null' \
		'truncate -s 0 sparse' \
		"$M" fault sparse $how --window 1M
	expect_grep 'mmapwin: sparse: file truncated by another process while mapped \(SIGBUS\)' "$WORK/err"
	[ ! -s "$WORK/out" ] || fail "fault $how printed a report after failing"
done
echo "truncate: patch, fault and fault --madvise end with exit 3, journal intact"
