#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The two ways libctl reads the mount table agree: the kernel's
# statmount(2)/listmount(2) (the host, by default) and libmount on
# mountinfo (--sysroot, and kernels without statmount). On mounts of its
# own (ro, rw with nosuid/nodev/noexec/noatime, lazytime/sync/nodiratime,
# strictatime, a read-only bind of a subdirectory, a mount point with a
# space, a tab and a backslash, a mount covered by another; and others
# that are not ext4, below) the unit
# test_mount_backend compares every field of every mount, by table, path,
# device and list; then jcommit show -J with every column, for each ext4
# by device and by mount point and as the whole listing, must print the
# same with statmount/listmount failing as ENOSYS (a seccomp filter:
# libmount is then loaded instead, and only then).
. "$(dirname "$0")/lib.sh"
root_ns debugfs
tmpfs_at "$WORK" 1g mode=0700
need_tool J jcommit
T=$B/tests/test_mount_backend
[ -x "$T" ] || fail "$T not built (make units)"
"$T" --enosys true || skip "no seccomp filter here"

ext4_new a 32 commit=42,data_err=abort
ext4_new b 32
ext4_new c 32 commit=7
ext4_new d 32
ext4_new e 32
m=$WORK/m
odd="$m/sp ace	tab\\back"
mountat "$a" "$m/rw" nosuid,nodev,noexec,noatime
mountat "$b" "$m/ro" ro
mkdir -p "$m/rw/sub/dir"
mountat "$m/rw/sub" "$m/bind" bind
mount -o remount,bind,ro,nosuid "$m/bind" || fail "remount the bind ro"
mountat "$c" "$odd" lazytime,sync,nodiratime
mountat "$d" "$m/cov" strictatime
mountat "$e" "$m/cov" data=journal,commit=11
# Not ext4, for the unit test's table: fs options the kernel escapes (an
# overlayfs lowerdir with a space: "\040" in mnt_opts as in mountinfo),
# a point with a newline, a bind of a file, shared propagation,
# nosymfollow, a point of ~4000 bytes (statmount's EOVERFLOW, a larger
# buffer) and more mounts than one listmount(2) call returns (256).
o=$WORK/o
# tmpfs_on SOURCE DIR [OPTIONS]: a small tmpfs (gone with the namespace).
tmpfs_on() {
	mkdir -p "$2"
	mount -t tmpfs -o "size=1m${3:+,$3}" "$1" "$2" || fail "mount a tmpfs on $2"
}
mkdir -p "$o/low er" "$o/up" "$o/wk" "$o/ov"
if grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null; then
	mount -t overlay -o "lowerdir=$o/low er,upperdir=$o/up,workdir=$o/wk" \
		overlay "$o/ov" || fail "mount an overlay"
else
	note "no overlayfs: escaped fs options not compared"
fi
tmpfs_on "new source" "$o/new
line"
touch "$o/f1" "$o/f2"
mount --bind "$o/f1" "$o/f2" || fail "bind a file"
tmpfs_on shared "$o/shared" nosymfollow
mount --make-shared "$o/shared" || fail "make-shared"
long=$o
for i in $(seq 40); do long=$long/$(printf 'd%.0s' $(seq 96)); done
mkdir -p "$long" && (cd "$long" && mount -t tmpfs -o size=1m long .) ||
	fail "mount on a long path"
for i in $(seq 260); do tmpfs_on "m$i" "$o/many/$i"; done

# Every field of every mount, both ways (the table includes the host's).
expect_exit 0 "$T"
# The kernel really answered: libmount stays unloaded for a show.
LD_DEBUG=libs "$J" show "$m/rw" 2>&1 >/dev/null | grep -q 'libmount\.so' &&
	fail "libmount loaded for jcommit show MNT"
LD_DEBUG=libs "$T" --enosys "$J" show "$m/rw" 2>&1 >/dev/null |
	grep -q 'libmount\.so' || fail "libmount not loaded without statmount"

# Where libmount is needed and cannot be loaded: a message naming the
# package, no crash (a libmount.so.1 that is no library stands in).
mkdir "$WORK/nolib" && echo "not a library" >"$WORK/nolib/libmount.so.1"
nolib="libmount.so.1 cannot be loaded \(install libmount1\)"
expect_exit 3 "$T" --enosys env LD_LIBRARY_PATH="$WORK/nolib" "$J" show "$m/rw"
expect_grep "^jcommit: $m/rw: cannot find its mount in /proc/self/mountinfo: $nolib\$" "$WORK/err"
expect_exit 3 "$T" --enosys env LD_LIBRARY_PATH="$WORK/nolib" "$J" show
expect_grep "^jcommit: mountinfo: $nolib\$" "$WORK/err"
expect_exit 0 env LD_LIBRARY_PATH="$WORK/nolib" "$J" show -v "$m/rw"
expect_grep "/etc/fstab not read: $nolib; FSTAB and NEXT columns left empty" "$WORK/err"
expect_exit 0 env LD_LIBRARY_PATH="$WORK/nolib" "$J" show "$m/rw"
# preflight reads the same table: its mount row names the package too.
need_tool P preflight
expect_exit 3 "$T" --enosys env LD_LIBRARY_PATH="$WORK/nolib" "$P" -J "$m/rw"
expect_grep "\"value\": *\"mountinfo: $nolib\"" "$WORK/out"
expect_grep "\"hint\": *\"apt-get install libmount1\"" "$WORK/out"

cols=DEVICE,TARGET,FSTYPE,DATA,COMMIT,FLAGS,JOURNAL,FAST-COMMIT,JCSUM,JSIZE,TRANS,AVG-COMMIT,FSTAB,SB-DATA,SB-OPTS,NEXT-DATA,NEXT-COMMIT,NEXT-FROM
# both NAME ARG...: jcommit show -J ARG... the same both ways.
both() {
	local name=$1 rc1 rc2
	shift
	"$J" show -J -o "$cols" "$@" >"$WORK/k.$name" 2>&1
	rc1=$?
	"$T" --enosys "$J" show -J -o "$cols" "$@" >"$WORK/l.$name" 2>&1
	rc2=$?
	[ "$rc1" = "$rc2" ] || fail "$name: exit $rc1 by statmount, $rc2 by libmount"
	diff -u "$WORK/l.$name" "$WORK/k.$name" >&2 ||
		fail "$name: jcommit show differs (libmount -, statmount +)"
}
n=0
for t in "$a" "$b" "$c" "$d" "$e" "$m/rw" "$m/ro" "$m/bind" "$m/bind/dir" "$odd" "$m/cov"; do
	n=$((n + 1))
	both "t$n" "$t"
done
both all
# A path through /proc/PID/root of another mount namespace: its mount is
# none of ours (statmount: ENOENT); as libmount, the mounts of its device
# here decide.
unshare -m --propagation private sleep 600 &
other=$!
at_exit "kill $other"
for i in $(seq 50); do
	[ "$(readlink /proc/$other/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] && break
	sleep 0.1
done
both other "/proc/$other/root$m/rw/sub"
grep -q '"commit": *42' "$WORK/k.other" || fail "other ns: $(cat "$WORK/k.other")"
# What the comparison saw: the odd name, the flags, the bind, the cover.
grep -q 'nosuid,nodev,noexec,noatime' "$WORK/k.all" || fail "no flags in: $(cat "$WORK/k.all")"
grep -q 'tab\\\\back' "$WORK/k.t10" || fail "odd name: $(cat "$WORK/k.t10")"
grep -q '"commit": *7' "$WORK/k.t10" || fail "odd name commit: $(cat "$WORK/k.t10")"
grep -q '"commit": *11' "$WORK/k.t11" || fail "cover: $(cat "$WORK/k.t11")"

# A root the kernel mounted itself (root=, no initramfs) has the source
# "/dev/root", which libmount names by its device: /dev/NAME, NAME from
# /sys/dev/block/MAJ:MIN, when that node is this device. An ext4 mounted
# as /dev/root, in a namespace with a /dev of its own, reads the same
# both ways (by the unit test, and in jcommit show).
ext4_new f 32
maj=$((16#$(stat -c %t "$f"))) min=$((16#$(stat -c %T "$f")))
export T J cols f maj min r=$m/root W=$WORK
unshare -m --propagation private bash -c '
	mount -t tmpfs -o size=1m,mode=0755 devroot /dev &&
		mknod /dev/root b $maj $min && mknod $f b $maj $min &&
		mknod /dev/null c 1 3 && chmod 666 /dev/null &&
		mkdir -p $r && mount /dev/root $r || exit 9
	"$T" >$W/root.unit 2>&1 || exit 10
	"$J" show -J -o "$cols" $r >$W/k.root 2>&1
	"$T" --enosys "$J" show -J -o "$cols" $r >$W/l.root 2>&1
	diff -u $W/l.root $W/k.root >&2 || exit 11
' || case $? in
9) fail "mount an ext4 as /dev/root" ;;
10) fail "/dev/root: the backends differ: $(cat "$WORK/root.unit")" ;;
*) fail "/dev/root: jcommit show differs (libmount -, statmount +)" ;;
esac
grep -q "\"$f\"" "$WORK/k.root" || fail "/dev/root not named: $(cat "$WORK/k.root")"
echo PASS
