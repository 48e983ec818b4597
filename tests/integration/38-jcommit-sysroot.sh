#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit changes through --sysroot as a container sees the host (issue
# 13): the mount point and the device node of a host path are reached
# inside host/, not in the container's mount namespace, where a mount of
# its own covers the mount point and the device node is not the host's.
#
# "A", the host: a mount and pid namespace of our own (its shell pid 1,
# so A's /proc/1/mountinfo is A's table), with ext4 on a loop device at P
# and an unmounted ext4 on another. "B", the container: a child mount
# namespace that binds A's / at host/ (rbind), mounts a tmpfs over P and
# /dev/null over its own nodes of both devices; host/dev is a tmpfs with
# the real nodes (as in 14-sysroot-container.sh). In B, jcommit set,
# restore, checkpoint and show --sysroot host/ work on A's file systems.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd unshare
need_cmd dumpe2fs
need_tool J jcommit
in_pid_ns

# --- A, the host
DEV=$(mkloop 64)
OFF=$(mkloop 32)
mkext4 "$DEV"
mkext4 "$OFF"
sb_set "$DEV" data_err=abort
P=$WORK/data
mountat "$DEV" "$P" commit=17
echo host >"$P/file"

# --- B, the container: its steps run in a script of their own.
cat >"$WORK/container.sh" <<'EOF'
. "$TOP/tests/integration/lib.sh"
cd "$HOSTWORK" || fail "cd $HOSTWORK"
N=${DEV#/dev/} NO=${OFF#/dev/}
mkdir -p host
mount --rbind / host || fail "rbind / host"
# host/dev: the nodes of the host (what udev makes there)...
mount -t tmpfs -o size=1m,mode=755 tmpfs host/dev || fail "tmpfs host/dev"
for n in "$N" "$NO"; do
	mm=$(lsblk -dno MAJ:MIN "/dev/$n" | tr -d ' ')
	mknod "host/dev/$n" b "${mm%:*}" "${mm#*:}" || fail "mknod $n"
done
mkdir -p host/dev/shm
mount --rbind /dev/shm host/dev/shm || fail "rbind /dev/shm"
# ... and B's own names of them lead nowhere, so only host/ can work.
mount --bind /dev/null "$DEV" && mount --bind /dev/null "$OFF" ||
	fail "bind /dev/null over B's nodes"
# B's own mount over P: the mount point path leads to B's tmpfs. The
# host's ext4 leaves B's table first, so only proc/1 under host/ has it.
umount -l "$P" || fail "umount $P in B"
mount -t tmpfs -o size=4m tmpfs "$P" || fail "tmpfs over $P"
live_n() { live "$N" "$1"; }
hsb() { sbopts "host/dev/$1"; }

# Without --sysroot, P is B's tmpfs.
expect_exit 4 "$J" set --commit 30 "$P"
[ "$(live_n commit)" = 17 ] || fail "B's set changed the host"

# show: the superblock string through host/ (the tune ioctl on host/P,
# the device node host/dev/N).
expect_exit 0 "$J" show --sysroot host/ -r -n -o TARGET,COMMIT,SB-OPTS,JOURNAL "$P"
expect_grep "^$P 17 data_err=abort yes\$" "$WORK/out"
expect_exit 0 "$J" show --sysroot host/ -r -n -o JCSUM,JSIZE "$P"
expect_grep '^v[0-9] 4M$' "$WORK/out"

# set: the live value through host/P (fspick), twice; with --persist the
# superblock through the ioctl on host/P.
expect_exit 0 "$J" set --sysroot host/ --commit 30 "$P"
expect_grep "^$P: commit 17 -> 30 \(live, fsconfig\)\$" "$WORK/out"
[ "$(live_n commit)" = 30 ] || fail "set --sysroot: commit $(live_n commit)"
expect_exit 0 "$J" set --sysroot host/ --commit 30 "$P"
expect_grep "^$P: commit 30 unchanged \(live\)\$" "$WORK/out"
expect_exit 0 "$J" set --sysroot host/ --commit 31 --persist --save "$HOSTWORK/save" "$P"
[ "$(live_n commit)" = 31 ] || fail "set --persist --sysroot: commit $(live_n commit)"
[ "$(hsb "$N")" = data_err=abort,commit=31 ] || fail "superblock '$(hsb "$N")'"
expect_grep "^device=$DEV\$" "$HOSTWORK/save"
# mount(2) MS_REMOUNT through host/P too.
expect_exit 0 "$J" set --sysroot host/ --commit 32 --legacy-remount "$P"
expect_grep "^$P: commit 31 -> 32 \(live, mount\(2\) MS_REMOUNT\)\$" "$WORK/out"
[ "$(live_n commit)" = 32 ] || fail "legacy --sysroot: commit $(live_n commit)"
# restore finds the recorded device inside host/.
expect_exit 0 "$J" restore --sysroot host/ "$HOSTWORK/save"
[ "$(live_n commit)" = 30 ] || fail "restore --sysroot: commit $(live_n commit)"
[ "$(hsb "$N")" = data_err=abort ] || fail "restored superblock '$(hsb "$N")'"
# checkpoint through host/P.
expect_exit 0 "$J" checkpoint --sysroot host/ "$P"
expect_grep "^$P: journal checkpointed in " "$WORK/out"

# The unmounted device: libext2fs writes it through host/dev.
expect_exit 0 "$J" set --sysroot host/ --commit 40 --persist "$OFF"
[ "$(hsb "$NO")" = commit=40 ] || fail "offline --sysroot: '$(hsb "$NO")'"
expect_exit 0 "$J" set --sysroot host/ --commit 40 --persist -J "$OFF"
expect_grep '"changed": false' "$WORK/out"
expect_exit 0 "$J" show --sysroot host/ -r -n -o SB-OPTS "$OFF"
expect_grep '^commit=40$' "$WORK/out"

umount "$DEV" "$OFF" "$P" || fail "umount B's mounts"
umount -R host || umount -lR host
exit 0
EOF
HOSTWORK=$WORK TOP=$TOP DEV=$DEV OFF=$OFF P=$P J=$J \
	unshare -m --propagation private bash "$WORK/container.sh" ||
	fail "the container's checks failed"
# The host's view: what B changed through host/.
[ "$(live "$DEV" commit)" = 30 ] || fail "host: commit $(live "$DEV" commit)"
[ "$(sbopts "$OFF")" = commit=40 ] || fail "host: offline superblock '$(sbopts "$OFF")'"
[ "$(cat "$P/file")" = host ] || fail "B's tmpfs reached the host"
echo PASS
