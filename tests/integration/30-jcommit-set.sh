#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit set --commit on live mounts: the value read back from
# /proc/fs/ext4, ro stays ro, nosuid/nodev/noexec stay (fsconfig and the
# MS_REMOUNT path), bad values, file systems that are not ext4 or have
# no journal, and no CAP_SYS_ADMIN.
. "$(dirname "$0")/lib.sh"
root_ns
tmpfs_at "$WORK" 1g mode=0700
need_tool J jcommit

ext4_new dev 64
opts=/proc/fs/ext4/$(kname "$dev")/options
mnt=$WORK/mnt
mountat "$dev" "$mnt"
# vfs and superblock options of the mount, from mountinfo.
mflags() { awk -v m="$mnt" '$5 == m { print $6; for (i = 7; $i != "-"; i++); print $(i + 3) }' /proc/self/mountinfo | paste -sd' '; }

# A plain change, read back from the kernel.
expect_exit 0 "$J" set --commit 30 "$mnt"
expect_grep "^$mnt: commit 5 -> 30 \(live, fsconfig\)\$" "$WORK/out"
[ "$(live "$dev" commit)" = 30 ] || fail "kernel commit $(live "$dev" commit), expected 30"
# 0 means the kernel default.
expect_exit 0 "$J" set --commit 0 "$mnt"
[ "$(live "$dev" commit)" = 5 ] || fail "commit=0 gave $(live "$dev" commit), expected 5"
# --dry-run changes nothing.
expect_exit 0 "$J" set --commit 77 --dry-run "$mnt"
expect_grep "commit 5 -> 77 \(live, dry run\)" "$WORK/out"
[ "$(live "$dev" commit)" = 5 ] || fail "--dry-run changed commit to $(live "$dev" commit)"

# Read-only mount stays read-only (ext4 would flip it to rw without "ro").
mount -o remount,ro "$mnt" || fail "remount ro"
expect_exit 0 "$J" set --commit 11 "$mnt"
[ "$(live "$dev" commit)" = 11 ] || fail "ro: commit $(live "$dev" commit), expected 11"
read -r vfs sb <<<"$(mflags)"
case ",$vfs," in *,ro,*) ;; *) fail "mount became '$vfs' after set on a ro mount" ;; esac
case ",$sb," in *,ro,*) ;; *) fail "superblock became '$sb' after set on a ro mount" ;; esac
grep -qx ro "$opts" || fail "ext4 options no longer say ro"
touch "$mnt/w" 2>/dev/null && fail "a write succeeded on the ro mount"
# The same through the legacy MS_REMOUNT path.
expect_exit 0 "$J" set --commit 12 --legacy-remount "$mnt"
expect_grep "commit 11 -> 12 \(live, mount\(2\) MS_REMOUNT\)" "$WORK/out"
read -r vfs sb <<<"$(mflags)"
case ",$vfs,$sb," in *,ro,*,ro,*) ;; *) fail "legacy remount: '$vfs' '$sb' not ro" ;; esac
mount -o remount,rw "$mnt" || fail "remount rw"

# nosuid,nodev,noexec (and nosymfollow, which MS_REMOUNT drops just the
# same) survive both paths.
mount -o remount,nosuid,nodev,noexec,nosymfollow "$mnt" || fail "remount nosuid..."
for how in "" --legacy-remount; do
	expect_exit 0 "$J" set --commit 13 $how "$mnt"
	[ "$(live "$dev" commit)" = 13 ] || fail "commit $(live "$dev" commit), expected 13 ($how)"
	read -r vfs sb <<<"$(mflags)"
	for f in rw nosuid nodev noexec nosymfollow; do
		case ",$vfs," in *,$f,*) ;; *) fail "$f lost ($how): $vfs" ;; esac
	done
	expect_exit 0 "$J" set --commit 5 $how "$mnt"
done

# A read-only bind mount of a writable superblock: the superblock stays
# rw (other mounts keep writing), the bind stays ro.
mkdir -p "$mnt/sub" "$WORK/bind"
mount --bind "$mnt/sub" "$WORK/bind" && mount -o remount,bind,ro "$WORK/bind" ||
	fail "ro bind mount"
at_exit "umount -l '$WORK/bind'"
expect_exit 0 "$J" set --commit 14 "$WORK/bind"
expect_grep "^$WORK/bind: commit 5 -> 14 \(live, fsconfig\)\$" "$WORK/out"
[ "$(live "$dev" commit)" = 14 ] || fail "bind: commit $(live "$dev" commit)"
bvfs=$(awk -v m="$WORK/bind" '$5 == m { print $6 }' /proc/self/mountinfo)
case ",$bvfs," in *,ro,*) ;; *) fail "bind mount became '$bvfs'" ;; esac
touch "$mnt/still-writable" || fail "superblock became read-only"
# mount(2) cannot express that state: refused, not flipped.
expect_exit 3 "$J" set --commit 15 --legacy-remount "$WORK/bind"
expect_grep "jcommit: $WORK/bind: mount\(2\) cannot keep a read-only mount of a writable superblock; drop --legacy-remount" "$WORK/err"
[ "$(live "$dev" commit)" = 14 ] || fail "refused legacy change still changed commit"
umount "$WORK/bind"
expect_exit 0 "$J" set --commit 5 "$mnt"

# The other way round: a read-write bind mount left on a superblock made
# read-only through another mount. fsconfig keeps both; mount(2) would
# turn the bind mount read-only too, so it is refused before any change.
mount --bind "$mnt" "$WORK/bind" || fail "bind mount"
at_exit "umount -l '$WORK/bind'"
mount -o remount,ro "$mnt" || fail "remount ro"
expect_exit 3 "$J" set --commit 16 --legacy-remount "$WORK/bind"
expect_grep "jcommit: $WORK/bind: mount\(2\) cannot keep a read-write mount of a read-only superblock; drop --legacy-remount" "$WORK/err"
[ "$(live "$dev" commit)" = 5 ] || fail "refused legacy change still changed commit"
bvfs=$(awk -v m="$WORK/bind" '$5 == m { print $6 }' /proc/self/mountinfo)
case ",$bvfs," in *,rw,*) ;; *) fail "bind mount became '$bvfs'" ;; esac
expect_exit 0 "$J" set --commit 17 "$WORK/bind"
[ "$(live "$dev" commit)" = 17 ] || fail "rw bind of ro sb: commit $(live "$dev" commit)"
bvfs=$(awk -v m="$WORK/bind" '$5 == m { print $6 }' /proc/self/mountinfo)
case ",$bvfs," in *,rw,*) ;; *) fail "bind mount became '$bvfs'" ;; esac
grep -qx ro "$opts" || fail "superblock became rw"
umount "$WORK/bind"
mount -o remount,rw "$mnt" || fail "remount rw"
expect_exit 0 "$J" set --commit 5 "$mnt"

# Bad values: usage errors, nothing changed.
for v in -1 abc 99999999999999999999 4294967296; do
	expect_exit 2 "$J" set --commit "$v" "$mnt"
	[ "$(live "$dev" commit)" = 5 ] || fail "--commit $v changed commit to $(live "$dev" commit)"
done
expect_exit 2 "$J" set --commit 99999999999999999999 "$mnt"
expect_grep "jcommit: --commit 99999999999999999999: out of range 0\.\.21474836 seconds" "$WORK/err"
expect_exit 2 "$J" set --commit -1 "$mnt"
expect_grep "jcommit: --commit -1: not a number of seconds" "$WORK/err"
expect_exit 2 "$J" set --commit abc "$mnt"
expect_grep "jcommit: --commit abc: not a number of seconds" "$WORK/err"
expect_exit 2 "$J" set --commit 4294967296 "$mnt"
expect_grep "jcommit: --commit 4294967296: out of range 0\.\.21474836 seconds" "$WORK/err"
# Within our bound but above the kernel's INT_MAX/HZ: the kernel decides.
hz=$(zcat /proc/config.gz 2>/dev/null | sed -n 's/^CONFIG_HZ=//p')
if [ -n "$hz" ] && [ "$hz" -gt 100 ]; then
	big=$((2147483647 / hz + 1))
	expect_exit 3 "$J" set --commit "$big" "$mnt"
	expect_grep "jcommit: $mnt: the kernel rejected commit=$big \(the limit is INT_MAX/HZ seconds; see dmesg\)" "$WORK/err"
	[ "$(live "$dev" commit)" = 5 ] || fail "rejected commit=$big changed commit to $(live "$dev" commit)"
	ok=$((2147483647 / hz))
	expect_exit 0 "$J" set --commit "$ok" "$mnt"
	[ "$(live "$dev" commit)" = "$ok" ] || fail "commit $(live "$dev" commit), expected $ok"
else
	note "CONFIG_HZ unknown: kernel limit sub-case not run"
fi
expect_exit 0 "$J" set --commit 5 "$mnt"
expect_exit 2 "$J" set "$mnt"
expect_grep "jcommit: set: give --commit SEC or --data MODE" "$WORK/err"
expect_exit 2 "$J" set --commit 5
expect_grep "jcommit: set: no TARGET given" "$WORK/err"
expect_exit 2 "$J" show --commit 5 "$mnt"
expect_grep "jcommit: --commit: does not apply to this subcommand" "$WORK/err"

# No CAP_SYS_ADMIN: refused, value unchanged.
need_cmd setpriv
expect_exit 3 setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
	"$J" set --commit 21 "$mnt"
expect_grep "jcommit: $mnt: changing the mount needs CAP_SYS_ADMIN; run as root" "$WORK/err"
[ "$(live "$dev" commit)" = 5 ] || fail "commit changed without CAP_SYS_ADMIN"

# A path that does not exist.
expect_exit 3 "$J" set --commit 9 "$WORK/nope"
expect_grep "jcommit: $WORK/nope: No such file or directory" "$WORK/err"

# Not ext4: tmpfs.
tmpfs_at "$WORK/tmp" 1m
expect_exit 4 "$J" set --commit 9 "$WORK/tmp"
expect_grep "jcommit: $WORK/tmp: not an ext4 file system \(tmpfs mounted on $WORK/tmp\)" "$WORK/err"

# ext2 without a journal (served by the ext4 driver here, or not at all).
dev2=$(mkloop 16)
mke2fs -q -F -t ext2 "$dev2" >/dev/null 2>&1 || fail "mke2fs ext2"
mountat "$dev2" "$WORK/e2"
k2=$(basename "$(readlink -f "$dev2")")
expect_exit 4 "$J" set --commit 9 "$WORK/e2"
if [ -e "/proc/fs/ext4/$k2" ]; then
	expect_grep "jcommit: $WORK/e2: no journal, so data= and commit= do not apply \(add one with tune2fs -O has_journal\)" "$WORK/err"
	expect_exit 0 "$J" -r -n -o JOURNAL,DATA,COMMIT "$WORK/e2"
	expect_grep '^no +$' "$WORK/out"
else
	expect_grep "is not served by the ext4 driver" "$WORK/err"
fi

# xfs and btrfs, when their mkfs is installed.
for fs in xfs btrfs; do
	if ! command -v "mkfs.$fs" >/dev/null 2>&1; then
		note "mkfs.$fs not installed: $fs sub-case not run"
		continue
	fi
	d=$(mkloop 320)
	"mkfs.$fs" -f -q "$d" >/dev/null 2>&1 || "mkfs.$fs" -f "$d" >/dev/null 2>&1 || fail "mkfs.$fs"
	mountat "$d" "$WORK/$fs"
	expect_exit 4 "$J" set --commit 9 "$WORK/$fs"
	expect_grep "jcommit: $WORK/$fs: not an ext4 file system \($fs mounted on $WORK/$fs\)" "$WORK/err"
done
echo PASS
