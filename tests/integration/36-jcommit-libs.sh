#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit loads libext2fs (and libcom_err) only where it needs them: for
# the journal superblock (the JCSUM and JSIZE columns), for an unmounted
# device and for offline writes. A plain `jcommit show` of a mounted file
# system reads the few superblock fields itself and loads neither; nor do
# check and the columns of -v but those two. The superblock columns are
# the same whichever way they were read. The loader says what it loaded
# (LD_DEBUG=libs, into a file of its own: the tool's stderr stays clean).
. "$(dirname "$0")/lib.sh"
root_ns debugfs tune2fs
tmpfs_at "$WORK" 256m mode=0700
need_tool J jcommit

# loaded CMD...: run CMD; $WORK/libs lists the shared objects the dynamic
# loader initialised (linked and dlopen()ed), one per line.
loaded() {
	local rc
	rm -f "$WORK"/ld.*
	LD_DEBUG=libs LD_DEBUG_OUTPUT=$WORK/ld "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	cat "$WORK"/ld.* 2>/dev/null | sed -n 's/.*calling init: //p' |
		sort -u >"$WORK/libs"
	[ -s "$WORK/libs" ] || fail "LD_DEBUG=libs gave no list for: $*"
	return $rc
}
# no_e2fs WHAT CMD...: CMD exits 0 and loads neither library.
no_e2fs() {
	local what=$1
	shift
	loaded "$@" || { cat "$WORK/err" >&2; fail "$what: '$*' failed"; }
	if grep -E 'lib(ext2fs|com_err)\.so' "$WORK/libs" >&2; then
		fail "$what loads libext2fs/libcom_err"
	fi
}
# with_e2fs WHAT CMD...: CMD exits 0 and loads libext2fs.
with_e2fs() {
	local what=$1
	shift
	loaded "$@" || { cat "$WORK/err" >&2; fail "$what: '$*' failed"; }
	grep -q 'libext2fs\.so' "$WORK/libs" ||
		{ cat "$WORK/libs" >&2; fail "$what does not load libext2fs"; }
}

ext4_new dev 64 commit=42,data_err=abort
tune2fs -L jlibs -o journal_data_writeback "$dev" >/dev/null || fail "tune2fs -L -o"
mnt=$WORK/mnt
mountat "$dev" "$mnt" nosuid
kname=$(kname "$dev")

ALL=DEVICE,TARGET,FSTYPE,DATA,COMMIT,FLAGS,JOURNAL,FAST-COMMIT,JCSUM,JSIZE,TRANS,AVG-COMMIT,FSTAB,SB-DATA,SB-OPTS,NEXT-DATA,NEXT-COMMIT,NEXT-FROM
NOJ=DEVICE,TARGET,FSTYPE,DATA,COMMIT,FLAGS,JOURNAL,FAST-COMMIT,TRANS,AVG-COMMIT,FSTAB,SB-DATA,SB-OPTS,NEXT-DATA,NEXT-COMMIT,NEXT-FROM

# The read-only views of a mounted file system load neither library.
no_e2fs "show MNT" "$J" show "$mnt"
expect_grep "^$dev +$mnt +writeback +42 +rw,nosuid,relatime +yes +commit=42,data_err=abort\$" "$WORK/out"
no_e2fs "show -J" "$J" show -J "$mnt"
no_e2fs "show DEV" "$J" show "$dev"
no_e2fs "show -o (all but JCSUM,JSIZE)" "$J" show -P -o "$NOJ" "$mnt"
expect_grep "JOURNAL=\"yes\" FAST_COMMIT=\"no\" .*SB_DATA=\"writeback\" SB_OPTS=\"commit=42,data_err=abort\" NEXT_DATA=\"writeback\" NEXT_COMMIT=\"42\" NEXT_FROM=\"data:sb-default,commit:sb-opts\"" "$WORK/out"
no_e2fs "check" "$J" check --max-commit 60 --require nosuid "$mnt"
# The two journal columns need the journal superblock: libext2fs.
with_e2fs "show -o JCSUM" "$J" show -r -n -o JCSUM "$mnt"
with_e2fs "show -o JSIZE" "$J" show -r -n -o JSIZE "$mnt"
with_e2fs "show -v" "$J" show -v "$mnt"
# libctl's own read and libext2fs's agree on every superblock column:
# every column of the fast read equals the same column of the full one.
"$J" show -P -o "$ALL" "$mnt" >"$WORK/full" || fail "show -o ALL"
sed -E 's/ JCSUM="[^"]*" JSIZE="[^"]*"//' "$WORK/full" >"$WORK/full.noj"
"$J" show -P -o "$NOJ" "$mnt" >"$WORK/fast" || fail "show -o NOJ"
diff "$WORK/full.noj" "$WORK/fast" >&2 || fail "superblock columns differ between the fast read and libext2fs"
# The same with an fstab entry found by LABEL= (the label comes from the
# superblock read), through a --sysroot whose /proc/fs, /sys and /dev are real,
# with $mnt bound in it and this namespace's table as its init's.
sr=$WORK/sysroot
mkdir -p "$sr/proc/fs" "$sr/proc/1" "$sr/sys" "$sr/etc" "$sr/dev" "$sr$mnt"
mount --bind /dev "$sr/dev" || fail "bind /dev"
at_exit "umount -l '$sr/dev'"
mount --bind /proc/fs "$sr/proc/fs" || fail "bind /proc/fs"
at_exit "umount -l '$sr/proc/fs'"
mount --bind /sys "$sr/sys" || fail "bind /sys"
at_exit "umount -l '$sr/sys'"
mount --bind "$mnt" "$sr$mnt" || fail "bind $mnt"
at_exit "umount -l '$sr$mnt'"
cat /proc/self/mountinfo >"$sr/proc/1/mountinfo"
printf 'LABEL=jlibs /elsewhere ext4 commit=19 0 0\n' >"$sr/etc/fstab"
no_e2fs "show FSTAB by label" "$J" --sysroot "$sr" show -r -n -o FSTAB,NEXT-COMMIT "$mnt"
expect_grep '^commit=19 +19$' "$WORK/out"
umount "$sr$mnt" || fail "umount $sr$mnt"

# A mount point covered by another mount: no tune ioctl through it, so
# SB-DATA, SB-OPTS and the NEXT columns come from the superblock read.
mount -t tmpfs cover "$mnt" || fail "mount tmpfs over $mnt"
no_e2fs "show (covered)" "$J" show -P -o DEVICE,SB-DATA,SB-OPTS,NEXT-FROM "$dev"
expect_grep "^DEVICE=\"$dev\" SB_DATA=\"writeback\" SB_OPTS=\"commit=42,data_err=abort\" NEXT_FROM=\"data:sb-default,commit:sb-opts\"\$" "$WORK/out"
"$J" show -P -o "$ALL" "$dev" | sed -E 's/ JCSUM="[^"]*" JSIZE="[^"]*"//' >"$WORK/full" ||
	fail "show -o ALL (covered)"
"$J" show -P -o "$NOJ" "$dev" >"$WORK/fast" || fail "show -o NOJ (covered)"
diff "$WORK/full" "$WORK/fast" >&2 || fail "covered: superblock columns differ between the fast read and libext2fs"
umount "$mnt" || fail "umount the tmpfs over $mnt"

# A file system whose journal is elsewhere, one with fast_commit: the
# same columns either way.
ext4_xjournal xdev
mountat "$xdev" "$WORK/x"
ext4_new fc 32 "" -O fast_commit
mountat "$fc" "$WORK/fc"
no_e2fs "show (external journal)" "$J" show -r -n -o JOURNAL,FAST-COMMIT "$WORK/x"
expect_grep '^external +no$' "$WORK/out"
no_e2fs "show (fast_commit)" "$J" show -r -n -o JOURNAL,FAST-COMMIT "$WORK/fc"
expect_grep '^yes +yes$' "$WORK/out"
for m in "$WORK/x" "$WORK/fc"; do
	"$J" show -P -o "$ALL" "$m" | sed -E 's/ JCSUM="[^"]*" JSIZE="[^"]*"//' >"$WORK/full" ||
		fail "show -o ALL $m"
	"$J" show -P -o "$NOJ" "$m" >"$WORK/fast" || fail "show -o NOJ $m"
	diff "$WORK/full" "$WORK/fast" >&2 || fail "$m: superblock columns differ between the fast read and libext2fs"
done

# Without libext2fs (an empty file bound over it, in this namespace only)
# the views of a mounted file system still work; what needs the library
# says so and names the fix.
lib=$(ldconfig -p | sed -n 's/^[[:space:]]*libext2fs\.so\.2 (libc6,x86-64) => //p' | head -n1)
[ -n "$lib" ] || lib=$(ldconfig -p | sed -n 's/^[[:space:]]*libext2fs\.so\.2 .*=> //p' | head -n1)
[ -f "$lib" ] || fail "setup: no libext2fs.so.2 in ldconfig -p"
"$J" show "$mnt" >"$WORK/before" || fail "show before hiding libext2fs"
: >"$WORK/empty.so"
mount --bind "$WORK/empty.so" "$lib" || fail "bind an empty file over $lib"
at_exit "umount '$lib'"
expect_exit 0 "$J" show "$mnt"
diff "$WORK/before" "$WORK/out" >&2 || fail "show without libext2fs differs"
[ -s "$WORK/err" ] && fail "show without libext2fs warned: $(cat "$WORK/err")"
expect_exit 0 "$J" check --max-commit 60 "$mnt"
# The journal columns stay empty; the superblock ones are still read.
expect_exit 0 "$J" show -v -P -o JOURNAL,JCSUM,JSIZE,SB-DATA,SB-OPTS "$mnt"
expect_grep '^JOURNAL="yes" JCSUM="" JSIZE="" SB_DATA="writeback" SB_OPTS="commit=42,data_err=abort"$' "$WORK/out"
expect_grep "^jcommit: $mnt: journal superblock of $dev not read: libext2fs\.so\.2 cannot be loaded \(install libext2fs\); JCSUM and JSIZE left empty\$" "$WORK/err"
expect_exit 0 "$J" show -P -o JCSUM "$mnt"
[ -s "$WORK/err" ] && fail "show -o JCSUM without -v warned: $(cat "$WORK/err")"
umount "$mnt" || fail "umount $mnt"
for args in "show" "set --commit 9 --persist" "set --data journal --persist"; do
	# shellcheck disable=SC2086
	expect_exit 3 "$J" $args "$dev"
	expect_grep "^jcommit: $dev: cannot read the superblock: libext2fs\.so\.2 cannot be loaded \(install libext2fs\)\$" "$WORK/err"
done
umount "$lib" || fail "umount $lib"

# An unmounted device: its superblock through libext2fs, as before.
with_e2fs "show of an unmounted device" "$J" show -P -o DEVICE,TARGET,SB-OPTS,SB-DATA "$dev"
expect_grep "^DEVICE=\"$dev\" TARGET=\"\" SB_OPTS=\"commit=42,data_err=abort\" SB_DATA=\"writeback\"\$" "$WORK/out"
[ -d "/proc/fs/ext4/$kname" ] && fail "setup: $kname still served after umount"
echo PASS
