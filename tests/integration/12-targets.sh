#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What a target word names (ctl-targets(7)), through the real tools: qdepth
# show with each kind of target on an ext4 loop device whose image lies on
# /dev/shm, a word that is both a device name and a file in the working
# directory, and mmapwin write --throttle on a file given by a bare word,
# by ./word and as a new file (issue 11: the bare word was taken as a
# device name, exit 4, and a new file failed with exit 3).
. "$(dirname "$0")/lib.sh"
root_ns
need_tool Q qdepth
need_tool M mmapwin write
ext4_tagged tgt
MNT=$WORK/mnt
mountat "$DEV" "$MNT"
MAJMIN=$(lsblk -dno MAJ:MIN "$DEV" | tr -d ' ')
echo data >"$MNT/file"

# devices WORD...: qdepth show's DEVICE column for the targets.
devices() { "$Q" show -r -n -o DEVICE "$@"; }

# --- device targets: exactly the loop device, one row
for t in "$N" "$DEV" "$MAJMIN" "UUID=$UUID" "LABEL=$LABEL"; do
	expect_exit 0 devices "$t"
	[ "$(cat "$WORK/out")" = "$N" ] ||
		fail "qdepth show $t gave '$(cat "$WORK/out")', not $N"
done
# A symlink to the node is the node.
ln -s "$DEV" "$WORK/disk"
expect_exit 0 devices "$WORK/disk"
[ "$(cat "$WORK/out")" = "$N" ] || fail "a symlink to $DEV: $(cat "$WORK/out")"
# "-": the targets come from stdin.
expect_exit 0 devices - <<<"$MAJMIN"
[ "$(cat "$WORK/out")" = "$N" ] || fail "- gave '$(cat "$WORK/out")'"

# --- path targets: every queue under the file, the loop device first;
# its image on /dev/shm adds a row without a device.
for t in "$MNT/file" "$MNT" "$MNT/."; do
	expect_exit 0 "$Q" show -r -n -o DEVICE,NOTE "$t"
	[ "$(head -n 1 "$WORK/out")" = "$N " ] ||
		fail "qdepth show $t: $(cat "$WORK/out")"
	expect_grep 'tmpfs' "$WORK/out"
done

# --- jcommit: every way of naming the device, and a path on it, is the
# one file system.
need_tool J jcommit
for t in "$N" "$DEV" "$MAJMIN" "UUID=$UUID" "LABEL=$LABEL" "$MNT" "$MNT/file"; do
	expect_exit 0 "$J" show -r -n -o DEVICE,TARGET "$t"
	[ "$(cut -d' ' -f2 "$WORK/out")" = "$MNT" ] ||
		fail "jcommit show $t: $(cat "$WORK/out")"
done

# --- names of nothing: a new file is no target of qdepth
expect_exit 3 "$Q" show "$MNT/new.bin"
expect_grep "new.bin: No such file or directory" "$WORK/err"
[ ! -e "$MNT/new.bin" ] || fail "qdepth show created $MNT/new.bin"
expect_exit 3 "$Q" show "$MNT/nodir/new.bin"
expect_exit 3 "$Q" show "UUID=00000000-0000-0000-0000-000000000000"
# "." and ".." are the working directory and its parent, never names.
mkdir "$MNT/sub"
for t in . ..; do
	(cd "$MNT/sub" && expect_exit 0 devices "$t")
	[ "$(head -n 1 "$WORK/out")" = "$N" ] ||
		fail "qdepth show $t in $MNT/sub: $(cat "$WORK/out")"
done
# One wording in every tool (ctl_target_strerror).
expect_exit 3 "$Q" show "nosuch$$"
expect_grep "^qdepth: nosuch$$: no such device or file\$" "$WORK/err"
expect_exit 3 "$J" show "nosuch$$"
expect_grep "^jcommit: nosuch$$: no such device or file\$" "$WORK/err"

# --- a word that is a device name and a file in the working directory:
# the device; ./WORD is the file (here on a tmpfs: no block device).
S=$WORK/scratch
tmpfs_at "$S" 1m
echo file >"$S/$N"
echo file >"$S/plain"
(
	cd "$S" || exit 1
	expect_exit 0 "$Q" show -r -n -o DEVICE,NOTE "$N"
	[ "$(cat "$WORK/out")" = "$N " ] || fail "$N in $S: $(cat "$WORK/out")"
	expect_exit 0 "$Q" show -r -n -o DEVICE,NOTE "./$N"
	expect_grep '^ .*tmpfs' "$WORK/out"
	# A bare word that names no device but a file here: the file.
	expect_exit 0 "$Q" show -r -n -o DEVICE,NOTE plain
	expect_grep '^ .*tmpfs' "$WORK/out"
) || exit $?

# --- mmapwin write --throttle in the mount dir (issue 11)
head -c 1048576 /dev/urandom >"$WORK/input"
(
	cd "$MNT" || exit 1
	echo old >data.bin
	expect_exit 0 "$M" write data.bin --throttle 80 <"$WORK/input"
	cmp "$WORK/input" data.bin || fail "data.bin differs"
	rm data.bin
	echo old >data.bin
	expect_exit 0 "$M" write ./data.bin --throttle 80 <"$WORK/input"
	cmp "$WORK/input" data.bin || fail "./data.bin differs"
	expect_exit 0 "$M" write new.bin --throttle 80 <"$WORK/input"
	cmp "$WORK/input" new.bin || fail "new.bin not written"
	# A file named like the device: the file is written, not the device.
	echo old >"$N"
	expect_exit 0 "$M" write "$N" --throttle 80 <"$WORK/input"
	cmp "$WORK/input" "$N" || fail "file $N not written"
	# No directory for the new file: a clean failure.
	expect_exit 3 "$M" write nodir/new.bin --throttle 80 <"$WORK/input"
	[ ! -e nodir ] || fail "nodir made"
) || exit $?
cmp -s -n 4096 "$WORK/input" "$DEV" && fail "the device itself was written"
[ "$(cat "$MNT/file")" = data ] || fail "$MNT/file changed"

echo "targets: device, path, new file and stdin, as ctl-targets(7) says"
