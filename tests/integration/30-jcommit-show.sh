#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit show: effective data=/commit= read from the kernel, superblock
# and fstab layers, journal facts checked against dumpe2fs, targets given
# as mount point, path inside, block device (mounted or not) and on stdin.
. "$(dirname "$0")/lib.sh"
root_ns dumpe2fs debugfs
tmpfs_at "$WORK" 1g mode=0700
need_tool J jcommit

ext4_new dev 64 commit=42,data_err=abort
tune2fs -o journal_data_writeback "$dev" >/dev/null || fail "tune2fs -o"
mnt=$WORK/mnt
mountat "$dev" "$mnt" nosuid,nodev
mkdir -p "$mnt/sub/dir"
kname=$(kname "$dev")
opts=/proc/fs/ext4/$kname/options

# Live values as the kernel reports them.
expect_exit 0 "$J" -r -n -o DEVICE,TARGET,DATA,COMMIT,FLAGS "$mnt"
want_data=$(sed -n 's/^data=//p' "$opts")
want_commit=$(sed -n 's/^commit=//p' "$opts")
[ "$want_commit" = 42 ] || fail "setup: sb string commit=42 not applied ($want_commit)"
[ "$want_data" = writeback ] || fail "setup: sb default data mode not applied ($want_data)"
read -r d t data commit flags <"$WORK/out"
[ "$d" = "$dev" ] || fail "DEVICE $d, expected $dev"
[ "$t" = "$mnt" ] || fail "TARGET $t, expected $mnt"
[ "$data" = "$want_data" ] || fail "DATA $data, kernel says $want_data"
[ "$commit" = "$want_commit" ] || fail "COMMIT $commit, kernel says $want_commit"
case ",$flags," in *,nosuid,*nodev,*) ;; *) fail "FLAGS $flags lack nosuid,nodev" ;; esac

# A path inside and the block device itself resolve to the same mount.
for tgt in "$mnt/sub/dir" "$dev"; do
	expect_exit 0 "$J" -r -n -o TARGET,COMMIT "$tgt"
	expect_grep "^$mnt $want_commit\$" "$WORK/out"
done

# Journal facts against dumpe2fs.
dumpe2fs -h "$dev" >"$WORK/dump" 2>/dev/null
expect_exit 0 "$J" -P -o JOURNAL,JCSUM,JSIZE,SB-OPTS,SB-DATA,FAST-COMMIT "$mnt"
expect_grep 'JOURNAL="yes"' "$WORK/out"
expect_grep 'SB_OPTS="commit=42,data_err=abort"' "$WORK/out"
expect_grep '^Mount options: +commit=42,data_err=abort$' "$WORK/dump"
expect_grep 'SB_DATA="writeback"' "$WORK/out"
expect_grep 'FAST_COMMIT="no"' "$WORK/out"
jsize=$(sed -n 's/^Total journal size: *\([0-9]*\)k$/\1/p' "$WORK/dump")
[ -n "$jsize" ] || fail "no journal size in dumpe2fs"
if [ $((jsize % 1024)) -eq 0 ]; then want="$((jsize / 1024))M"; else want="${jsize}K"; fi
expect_grep "JSIZE=\"$want\"" "$WORK/out"
grep -q 'journal_checksum_v3' "$WORK/dump" && expect_grep 'JCSUM="v3"' "$WORK/out"

# jbd2 statistics: a committed transaction shows up.
echo x >"$mnt/f" && sync
expect_exit 0 "$J" -r -n -o TRANS,AVG-COMMIT "$mnt"
trans=$(head -n1 /proc/fs/jbd2/"$kname"-8/info | cut -d' ' -f1)
read -r t avg <"$WORK/out"
[ "$t" -ge 1 ] && [ "$t" -le "$trans" ] || fail "TRANS $t, jbd2 says $trans"
case $avg in *us) ;; *) fail "AVG-COMMIT '$avg'" ;; esac

# Layers for the next mount: sb string, then fstab. The fstab comes from
# a --sysroot tree whose /proc/fs and /sys are the real ones (bind mounts
# in this private namespace), so the host's /etc/fstab is never touched.
# --sysroot is a system's /: $mnt is looked up in it (a bind of it there),
# and its init's mount table is proc/1/mountinfo (this namespace's table);
# the device node is read there too (its dev/).
expect_exit 0 "$J" -P -o NEXT-DATA,NEXT-COMMIT,NEXT-FROM,FSTAB "$mnt"
expect_grep 'NEXT_DATA="writeback" NEXT_COMMIT="42" NEXT_FROM="data:sb-default,commit:sb-opts" FSTAB="none"' "$WORK/out"
sr=$WORK/sysroot
mkdir -p "$sr/proc/fs" "$sr/proc/1" "$sr/sys" "$sr/etc" "$sr/dev" "$sr$mnt"
mount --bind /dev "$sr/dev" && at_exit "umount -l '$sr/dev'" || fail "bind /dev"
mount --bind /proc/fs "$sr/proc/fs" && at_exit "umount -l '$sr/proc/fs'" || fail "bind /proc/fs"
mount --bind /sys "$sr/sys" && at_exit "umount -l '$sr/sys'" || fail "bind /sys"
mount --bind "$mnt" "$sr$mnt" && at_exit "umount -l '$sr$mnt'" || fail "bind $mnt"
cat /proc/self/mountinfo >"$sr/proc/1/mountinfo"
printf '# test\n%s %s ext4 nosuid,commit=17,data=journal 0 0\n' "$dev" "$mnt" >"$sr/etc/fstab"
expect_exit 0 "$J" --sysroot "$sr" -P -o COMMIT,NEXT-DATA,NEXT-COMMIT,NEXT-FROM,FSTAB "$mnt"
expect_grep "COMMIT=\"$want_commit\" NEXT_DATA=\"journal\" NEXT_COMMIT=\"17\" NEXT_FROM=\"data:fstab,commit:fstab\" FSTAB=\"data=journal,commit=17\"" "$WORK/out"
uuid=$(dumpe2fs -h "$dev" 2>/dev/null | sed -n 's/^Filesystem UUID: *//p')
printf 'UUID=%s /elsewhere ext4 commit=19 0 0\n' "$uuid" >"$sr/etc/fstab"
expect_exit 0 "$J" --sysroot "$sr" -r -n -o FSTAB "$mnt"
expect_grep '^commit=19$' "$WORK/out"
# An fstab that is a FIFO (or not a file at all) is not read, and never
# waited on: the columns that depend on it stay empty, -v says why.
rm "$sr/etc/fstab" && mkfifo "$sr/etc/fstab" || fail "mkfifo"
expect_exit 0 timeout 20 "$J" --sysroot "$sr" -v -P -o COMMIT,FSTAB,NEXT-COMMIT,NEXT-FROM "$mnt"
expect_grep "^COMMIT=\"$want_commit\" FSTAB=\"\" NEXT_COMMIT=\"\" NEXT_FROM=\"\"\$" "$WORK/out"
expect_grep "^jcommit: $mnt: $sr/etc/fstab not read: not a regular file; FSTAB and NEXT columns left empty\$" "$WORK/err"
# Not in the table --sysroot reads (its init's): the message names it.
: >"$sr/proc/1/mountinfo"
expect_exit 3 "$J" --sysroot "$sr" "$mnt"
expect_grep "^jcommit: $mnt: cannot find its mount in $sr/proc/1/mountinfo: " "$WORK/err"
umount "$sr$mnt" || fail "umount $sr$mnt"
expect_exit 2 "$J" --sysroot "$WORK/nonexistent" "$mnt"
expect_grep "jcommit: --sysroot $WORK/nonexistent: No such file or directory" "$WORK/err"

# -v adds the columns; JSON is well-formed.
expect_exit 0 "$J" -v "$mnt"
expect_grep 'NEXT-FROM' "$WORK/out"
expect_exit 0 "$J" -J "$mnt"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["filesystems"][0]["commit"] == int(sys.argv[2])' \
	"$WORK/out" "$want_commit" 2>/dev/null || { command -v python3 >/dev/null && fail "JSON output"; }

# The documented pipeline, and the default listing.
findmnt -lno TARGET -t ext4 | "$J" -r -n -o TARGET - >"$WORK/out" 2>"$WORK/err" ||
	{ cat "$WORK/err" >&2; fail "findmnt -l | jcommit show -"; }
expect_grep "^$mnt\$" "$WORK/out"
expect_exit 0 "$J" -r -n -o DEVICE
expect_grep "^$dev\$" "$WORK/out"
# A pipeline that yields no target shows none, not every file system.
expect_exit 0 "$J" -r -n -o DEVICE - </dev/null
[ -s "$WORK/out" ] && fail "an empty '-' listed: $(cat "$WORK/out")"

# Unmounted device: superblock view only.
umount "$mnt"
expect_exit 0 "$J" -P -o DEVICE,TARGET,DATA,SB-OPTS,NEXT-COMMIT "$dev"
expect_grep "DEVICE=\"$dev\" TARGET=\"\" DATA=\"\" SB_OPTS=\"commit=42,data_err=abort\" NEXT_COMMIT=\"42\"" "$WORK/out"

# fast_commit and an external journal are reported as such.
ext4_new fc 32 "" -O fast_commit
expect_exit 0 "$J" -r -n -o FAST-COMMIT,JOURNAL "$fc"
expect_grep '^yes +yes$' "$WORK/out"
ext4_xjournal xdev
expect_exit 0 "$J" -r -n -o JOURNAL,JSIZE "$xdev"
expect_grep '^external +$' "$WORK/out"

# Bad input: missing path, tmpfs, not-ext device, unknown column.
expect_exit 3 "$J" "$WORK/nonexistent"
expect_grep "jcommit: $WORK/nonexistent: No such file or directory" "$WORK/err"
tmpfs_at "$WORK/tmp" 1m
expect_exit 4 "$J" "$WORK/tmp"
expect_grep "jcommit: $WORK/tmp: not an ext4 file system \(tmpfs mounted on $WORK/tmp\)" "$WORK/err"
raw=$(mkloop 8)
expect_exit 4 "$J" "$raw"
expect_grep "jcommit: $raw: not an ext4 file system \(no ext2/3/4 superblock\)" "$WORK/err"
expect_exit 2 "$J" -o DEVICE,BOGUS "$raw"
expect_grep "^jcommit: unknown column 'BOGUS' \\(see --help\\)\$" "$WORK/err"
echo PASS
