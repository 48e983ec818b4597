#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit set --persist: the superblock mount-options string is merged,
# not replaced (EXT4_IOC_SET_TUNE_SB_PARAM when mounted, libext2fs when
# not), checked with dumpe2fs and by remounting; the 63-byte limit; a
# read-only mount; --data; no CAP_SYS_ADMIN.
. "$(dirname "$0")/lib.sh"
root_ns dumpe2fs debugfs
tmpfs_at "$WORK" 1g mode=0700
need_tool J jcommit

ext4_new dev 64 commit=42,data_err=abort
opts=/proc/fs/ext4/$(kname "$dev")/options
mnt=$WORK/mnt
mountat "$dev" "$mnt"
[ "$(live "$dev" commit)" = 42 ] || fail "setup: commit $(live "$dev" commit)"

# Only the kernel's GET_TUNE_SB_PARAM can tell whether this kernel has it.
expect_exit 0 "$J" set --commit 30 --persist "$mnt"
expect_grep "^$mnt: commit 42 -> 30 \(live, fsconfig\)\$" "$WORK/out"
expect_grep "^$mnt: superblock mount options \"commit=42,data_err=abort\" -> \"commit=30,data_err=abort\"\$" "$WORK/out"
[ "$(live "$dev" commit)" = 30 ] || fail "live commit $(live "$dev" commit)"
[ "$(sbopts "$dev")" = "commit=30,data_err=abort" ] || fail "superblock string '$(sbopts "$dev")'"
# The next mount applies it: commit=30 and data_err=abort both.
umount "$mnt" && mount "$dev" "$mnt" || fail "remount"
[ "$(live "$dev" commit)" = 30 ] || fail "after remount commit $(live "$dev" commit)"
grep -qx data_err=abort "$opts" || fail "after remount data_err=abort is gone"

# --data --persist sets only the journal-mode bits; the string survives
# (a SET from a zeroed struct would have erased it).
expect_exit 0 "$J" set --data writeback --persist "$mnt"
expect_grep "^$mnt: superblock default data mode none -> writeback \(next mount\)\$" "$WORK/out"
case " $(defopts "$dev") " in *" journal_data_writeback "*) ;; *) fail "default mount options '$(defopts "$dev")'" ;; esac
[ "$(sbopts "$dev")" = "commit=30,data_err=abort" ] || fail "string lost by --data: '$(sbopts "$dev")'"
[ "$(live "$dev" data)" = ordered ] || fail "live data changed to $(live "$dev" data)"
umount "$mnt" && mount "$dev" "$mnt" || fail "remount"
[ "$(live "$dev" data)" = writeback ] || fail "next mount data=$(live "$dev" data), expected writeback"

# Without --persist a data change is refused with the working command.
expect_exit 4 "$J" set --data journal "$mnt"
expect_grep "jcommit: $mnt: the data mode cannot change on a mounted file system \(the kernel refuses data= on remount\); to use data=journal from the next mount run: jcommit set --data journal --persist $mnt" "$WORK/err"
expect_exit 2 "$J" set --data bogus --persist "$mnt"
expect_grep "jcommit: --data bogus: unknown mode \(journal, ordered, writeback\)" "$WORK/err"

# Over 63 bytes: refused before anything changes.
long=data_err=abort,inode_readahead_blks=4096,max_batch_time=15000
[ ${#long} -le 63 ] || fail "test string too long"
sb_set "$dev" "$long"
expect_exit 3 "$J" set --commit 31 --persist "$mnt"
expect_grep "jcommit: $mnt: superblock mount options \"$long\" would become \"$long,commit=31\" \(71 bytes\), over the 63-byte limit" "$WORK/err"
[ "$(sbopts "$dev")" = "$long" ] || fail "string changed: '$(sbopts "$dev")'"
[ "$(live "$dev" commit)" = 30 ] || fail "live commit changed to $(live "$dev" commit)"
sb_set "$dev" commit=30,data_err=abort

# A read-only mount: refused, and it stays read-only with commit intact.
mount -o remount,ro "$mnt" || fail "remount ro"
expect_exit 3 "$J" set --commit 33 --persist "$mnt"
expect_grep "jcommit: $mnt: the superblock of a read-only mount cannot be changed; remount it rw, or unmount it and run jcommit on $dev" "$WORK/err"
[ "$(live "$dev" commit)" = 30 ] || fail "ro: live commit changed to $(live "$dev" commit)"
grep -qx ro "$opts" || fail "ro mount became rw"
mount -o remount,rw "$mnt" || fail "remount rw"
# A read-only bind mount of the writable superblock: the kernel refuses
# the SET through it too, so it is refused before the live change.
mkdir -p "$WORK/robind"
mount --bind "$mnt" "$WORK/robind" && mount -o remount,bind,ro "$WORK/robind" ||
	fail "ro bind mount"
at_exit "umount -l '$WORK/robind'"
expect_exit 3 "$J" set --commit 34 --persist "$WORK/robind"
expect_grep "jcommit: $WORK/robind: the superblock of a read-only mount cannot be changed" "$WORK/err"
[ "$(live "$dev" commit)" = 30 ] || fail "ro bind: live commit changed to $(live "$dev" commit)"
[ "$(sbopts "$dev")" = "commit=30,data_err=abort" ] || fail "ro bind: string '$(sbopts "$dev")'"
umount "$WORK/robind"

# No CAP_SYS_ADMIN: SET_TUNE_SB_PARAM is refused (GET is not).
need_cmd setpriv
expect_exit 3 setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
	"$J" set --data journal --persist "$mnt"
expect_grep "jcommit: $mnt: writing the superblock needs CAP_SYS_ADMIN; run as root" "$WORK/err"
case " $(defopts "$dev") " in *" journal_data_writeback "*) ;; *) fail "changed without CAP_SYS_ADMIN" ;; esac
expect_exit 0 setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
	"$J" -r -n -o SB-OPTS "$mnt"
expect_grep '^commit=30,data_err=abort$' "$WORK/out"

# Unmounted: libext2fs writes the superblock; nothing live to change.
umount "$mnt"
expect_exit 2 "$J" set --commit 8 "$dev"
expect_grep "jcommit: $dev: not mounted, nothing live to change; add --persist to write the superblock" "$WORK/err"
# No live change tests the value first, and a commit= the kernel rejects
# (over INT_MAX/HZ) makes the next mount ignore the whole string.
expect_exit 2 "$J" set --commit 2147484 --persist "$dev"
expect_grep "jcommit: $dev: commit=2147484 is over 2147483 seconds, the kernel's limit with HZ=1000; a value the kernel rejects makes the next mount ignore the whole superblock string" "$WORK/err"
[ "$(sbopts "$dev")" = "commit=30,data_err=abort" ] || fail "refused value written: '$(sbopts "$dev")'"
expect_exit 0 "$J" set --commit 8 --data ordered --persist "$dev"
expect_grep "^$dev: superblock mount options \"commit=30,data_err=abort\" -> \"commit=8,data_err=abort\"\$" "$WORK/out"
expect_grep "^$dev: superblock default data mode writeback -> ordered \(next mount\)\$" "$WORK/out"
[ "$(sbopts "$dev")" = "commit=8,data_err=abort" ] || fail "offline string '$(sbopts "$dev")'"
case " $(defopts "$dev") " in *" journal_data_ordered "*) ;; *) fail "offline default mount options '$(defopts "$dev")'" ;; esac
mount "$dev" "$mnt" || fail "mount after offline write"
[ "$(live "$dev" commit)" = 8 ] || fail "offline persist: commit $(live "$dev" commit)"
[ "$(live "$dev" data)" = ordered ] || fail "offline persist: data $(live "$dev" data)"

# The superblock gets the value as parsed, in decimal: the kernel reads
# the string with base 0, so "commit=010" would be 8 seconds, not 10.
expect_exit 0 "$J" set --commit 010 --persist "$mnt"
expect_grep "^$mnt: superblock mount options \"commit=8,data_err=abort\" -> \"commit=10,data_err=abort\"\$" "$WORK/out"
[ "$(sbopts "$dev")" = "commit=10,data_err=abort" ] || fail "leading zero: '$(sbopts "$dev")'"
umount "$mnt" && mount "$dev" "$mnt" || fail "remount"
[ "$(live "$dev" commit)" = 10 ] || fail "--commit 010 gave commit=$(live "$dev" commit) at the next mount"
echo PASS
