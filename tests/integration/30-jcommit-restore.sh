#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit set --save FILE / jcommit restore FILE: previous live commit=,
# superblock string and data mode come back, read from the kernel.
. "$(dirname "$0")/lib.sh"
root_ns dumpe2fs debugfs
tmpfs_at "$WORK" 1g mode=0700
need_tool J jcommit

ext4_new dev 64 commit=42,data_err=abort
mnt=$WORK/mnt
mountat "$dev" "$mnt" nosuid,nodev,noexec
save=$WORK/jcommit.save

# --dry-run writes no save file and changes nothing.
expect_exit 0 "$J" set --commit 9 --persist --save "$save" --dry-run "$mnt"
[ -e "$save" ] && fail "--dry-run wrote $save"
[ "$(live "$dev" commit)" = 42 ] || fail "--dry-run changed commit"

expect_exit 0 "$J" set --commit 9 --persist --save "$save" "$mnt"
[ "$(live "$dev" commit)" = 9 ] || fail "set: commit $(live "$dev" commit)"
[ "$(sbopts "$dev")" = "commit=9,data_err=abort" ] || fail "set: string '$(sbopts "$dev")'"
expect_grep "^target=$mnt\$" "$save"
expect_grep "^device=$dev\$" "$save"
expect_grep "^commit=42\$" "$save"
expect_grep "^sb_mount_opts=commit=42,data_err=abort\$" "$save"

expect_exit 0 "$J" restore "$save"
expect_grep "^$mnt: commit 9 -> 42 \(live, fsconfig\)\$" "$WORK/out"
expect_grep "^$mnt: superblock mount options \"commit=9,data_err=abort\" -> \"commit=42,data_err=abort\"\$" "$WORK/out"
[ "$(live "$dev" commit)" = 42 ] || fail "restore: commit $(live "$dev" commit)"
[ "$(sbopts "$dev")" = "commit=42,data_err=abort" ] || fail "restore: string '$(sbopts "$dev")'"
vfs=$(awk -v m="$mnt" '$5 == m { print $6 }' /proc/self/mountinfo)
for f in rw nosuid nodev noexec; do
	case ",$vfs," in *,$f,*) ;; *) fail "restore lost $f: $vfs" ;; esac
done

# Read-only now: the superblock part cannot be restored, so nothing is.
expect_exit 0 "$J" set --commit 10 --persist --save "$save" "$mnt"
mount -o remount,ro "$mnt" || fail "remount ro"
expect_exit 3 "$J" restore "$save"
expect_grep "jcommit: $mnt: the superblock of a read-only mount cannot be changed" "$WORK/err"
[ "$(live "$dev" commit)" = 10 ] || fail "ro restore half-applied: commit $(live "$dev" commit)"
mount -o remount,rw "$mnt" || fail "remount rw"
expect_exit 0 "$J" restore "$save"
[ "$(live "$dev" commit)" = 42 ] || fail "restore: commit $(live "$dev" commit)"
[ "$(sbopts "$dev")" = "commit=42,data_err=abort" ] || fail "restore: string '$(sbopts "$dev")'"

# The same file system twice (a mount point and its device, as a findmnt
# pipeline gives with bind mounts): changed and recorded once.
expect_exit 0 "$J" set --commit 9 --persist --save "$save" "$mnt" "$dev"
[ "$(grep -c '^target=' "$save")" = 1 ] || fail "expected one record"
[ "$(grep -c 'commit 42 -> 9' "$WORK/out")" = 1 ] || fail "changed twice: $(cat "$WORK/out")"
expect_exit 0 "$J" restore "$save"
[ "$(live "$dev" commit)" = 42 ] || fail "restore of two records: commit $(live "$dev" commit)"
[ "$(sbopts "$dev")" = "commit=42,data_err=abort" ] || fail "restore of two records: string '$(sbopts "$dev")'"

# Data mode: saved as "none" (no bits), restored to no bits.
expect_exit 0 "$J" set --data journal --persist --save "$save" "$mnt"
expect_grep "^sb_data=none\$" "$save"
case " $(defopts "$dev") " in *" journal_data "*) ;; *) fail "set --data: '$(defopts "$dev")'" ;; esac
expect_exit 0 "$J" restore "$save"
expect_grep "superblock default data mode journal -> none" "$WORK/out"
case " $(defopts "$dev") " in *journal_data*) fail "restore left '$(defopts "$dev")'" ;; esac

# Restore by device when the mount point is gone (unmounted: superblock).
expect_exit 0 "$J" set --commit 15 --persist --save "$save" "$mnt"
# A record of the superblock alone (a data mode change records no commit).
expect_exit 0 "$J" set --data journal --persist --save "$save.sb" "$mnt"
expect_grep "^target=$mnt\$" "$save.sb"
grep -q '^commit=' "$save.sb" && fail "a data mode change recorded commit="
umount "$mnt"
# The empty mount point is on another file system now: never touch that
# one; the recorded device decides.
other=$("$J" -r -n -o DEVICE,SB-OPTS,SB-DATA "$mnt" 2>/dev/null)
expect_exit 3 "$J" restore "$save"
expect_grep "jcommit: $dev: not mounted; cannot restore commit=42 live" "$WORK/err"
[ "$(sbopts "$dev")" = "commit=15,data_err=abort" ] || fail "refused restore wrote: '$(sbopts "$dev")'"
expect_exit 0 "$J" restore "$save.sb"
expect_grep "^$dev: superblock default data mode journal -> none \(next mount\)\$" "$WORK/out"
case " $(defopts "$dev") " in *journal_data*) fail "offline restore left '$(defopts "$dev")'" ;; esac
[ "$("$J" -r -n -o DEVICE,SB-OPTS,SB-DATA "$mnt" 2>/dev/null)" = "$other" ] ||
	fail "restore touched the file system under the empty mount point"

# A recorded device that is gone: refused. (The device is recorded as
# named, here by a symlink that is then removed.)
mount "$dev" "$mnt" || fail "mount again"
ln -s "$dev" "$WORK/devlink"
expect_exit 0 "$J" set --commit 23 --save "$WORK/gone" "$WORK/devlink"
expect_grep "^device=$WORK/devlink\$" "$WORK/gone"
rm "$WORK/devlink"
expect_exit 3 "$J" restore "$WORK/gone"
expect_grep "jcommit: $mnt: recorded device $WORK/devlink is gone; not restoring" "$WORK/err"
[ "$(live "$dev" commit)" = 23 ] || fail "a refused restore changed commit"

# Bad save files (more in 33-jcommit-savefile.sh): a line that is not
# ours, or the records of an older jcommit without end marker. A damaged
# file changes nothing, not even the records before the damage.
printf 'target=%s\ndevice=%s\ncommit=5\ntarget=%s\ncommit=abc\n' "$mnt" "$dev" "$mnt" >"$WORK/bad"
expect_exit 2 "$J" restore "$WORK/bad"
expect_grep "jcommit: $WORK/bad: no end marker: the file is cut or was not written by this version of jcommit; nothing restored" "$WORK/err"
[ "$(live "$dev" commit)" = 23 ] || fail "a damaged save file was partly applied"
sed '$d' "$WORK/gone" >"$WORK/bad"
printf 'foo=1\n' >>"$WORK/bad"
tail -n1 "$WORK/gone" >>"$WORK/bad"
expect_exit 2 "$J" restore "$WORK/bad"
expect_grep "jcommit: $WORK/bad: the end marker does not match the content" "$WORK/err"
printf '# nothing\n' >"$WORK/bad"
expect_exit 2 "$J" restore "$WORK/bad"
expect_grep "jcommit: $WORK/bad: no end marker" "$WORK/err"
expect_exit 3 "$J" restore "$WORK/missing"
expect_grep "jcommit: $WORK/missing: No such file or directory" "$WORK/err"
expect_exit 2 "$J" restore
expect_grep "jcommit: restore: give exactly one FILE" "$WORK/err"

# The recorded device now holds another file system (a loop device or a
# partition reused): its superblock must not get the old one's values.
uuid=$(dumpe2fs -h "$dev" 2>/dev/null | sed -n 's/^Filesystem UUID: *//p')
expect_exit 0 "$J" set --data writeback --persist "$mnt"
expect_exit 0 "$J" set --data journal --persist --save "$save" "$mnt"
expect_grep "^uuid=$uuid\$" "$save"
expect_grep "^sb_data=writeback\$" "$save"
umount "$mnt"
mkext4 "$dev"
sb_set "$dev" nodelalloc
expect_exit 3 "$J" restore "$save"
expect_grep "jcommit: $dev: holds another file system now \(UUID [0-9a-f-]{36}, recorded $uuid\); not restoring" "$WORK/err"
[ "$(sbopts "$dev")" = nodelalloc ] || fail "restore wrote over another file system: '$(sbopts "$dev")'"
case " $(defopts "$dev") " in *journal_data*) fail "restore wrote over another file system: '$(defopts "$dev")'" ;; esac
echo PASS
