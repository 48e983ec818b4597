#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --sysroot as a container sees the host (issue 13): the host's / mounted
# at host/, its mount table that of its init (host/proc/1/mountinfo), a
# path target looked up inside host/.
#
# "A", the host: a mount and pid namespace of our own (unshare -m -p -f
# --mount-proc), so that this shell is its pid 1 and A's /proc/1/mountinfo
# is A's table. In A: ext4 on a loop device (image on /dev/shm) mounted at
# P. "B", the container: a child mount namespace of A (unshare -m) that
# binds A's / at host/ (rbind) and mounts a tmpfs over P in B only. In B,
# qdepth show, jcommit show and preflight with --sysroot host/ report A's
# view of P (the loop device, ext4, its options); without it, B's tmpfs.
# UUID= and LABEL= resolve through host/dev/disk (udev's links; there is
# no udev here, so B makes them in its copy of host/dev).
. "$(dirname "$0")/lib.sh"
need_root
need_cmd unshare
need_tool Q qdepth
need_tool J jcommit
need_tool PF preflight
in_pid_ns

# --- A, the host
ext4_tagged sr
P=$WORK/data
mountat "$DEV" "$P" commit=17
echo host >"$P/file"
MAJMIN=$(lsblk -dno MAJ:MIN "$DEV" | tr -d ' ')
grep -q " $P " /proc/1/mountinfo || fail "A's table has no $P"

# --- B, the container: its steps run in a script of their own.
cat >"$WORK/container.sh" <<'EOF'
. "$TOP/tests/integration/lib.sh"
cd "$HOSTWORK" || fail "cd $HOSTWORK"
mkdir -p host
mount --rbind / host || fail "rbind / host"
# What udev makes on a host (none runs here): a /dev with the node and
# its by-uuid and by-label links, over B's copy of the host's /dev only.
mount -t tmpfs -o size=1m,mode=755 tmpfs host/dev || fail "tmpfs host/dev"
mknod "host/dev/$N" b "${MAJMIN%:*}" "${MAJMIN#*:}" || fail "mknod"
mkdir -p host/dev/disk/by-uuid host/dev/disk/by-label host/dev/shm
mount --rbind /dev/shm host/dev/shm || fail "rbind /dev/shm"
ln -s "../../$N" "host/dev/disk/by-uuid/$UUID"
ln -s "../../$N" "host/dev/disk/by-label/$LABEL"
# The container's own mount over P: its view and the host's differ. The
# host's ext4 leaves B's table first (else B's proc/self/mountinfo would
# still list it under the tmpfs and a tool reading self could pass).
umount -l "$P" || fail "umount $P in B"
mount -t tmpfs -o size=4m tmpfs "$P" || fail "tmpfs over $P"
echo container >"$P/file"
[ "$(cat host/"$P"/file)" = host ] || fail "host/$P is not the host's"
grep -q " $P .* - tmpfs " /proc/self/mountinfo || fail "B: no tmpfs at $P"

# qdepth: the host's loop device under P; B's P has no block device.
expect_exit 0 "$Q" show --sysroot host/ -r -n -o DEVICE "$P"
[ "$(head -n 1 "$WORK/out")" = "$N" ] || fail "qdepth --sysroot: $(cat "$WORK/out")"
expect_exit 0 "$Q" show --sysroot host/ -r -n -o DEVICE "$P/file"
[ "$(head -n 1 "$WORK/out")" = "$N" ] || fail "qdepth --sysroot file: $(cat "$WORK/out")"
expect_exit 0 "$Q" show -r -n -o DEVICE,NOTE "$P"
expect_grep 'tmpfs' "$WORK/out"
grep -q "^$N " "$WORK/out" && fail "qdepth without --sysroot saw the host: $(cat "$WORK/out")"
# A relative word is from host/'s "/", not from the working directory.
expect_exit 0 "$Q" show --sysroot host/ -r -n -o DEVICE "${P#/}"
[ "$(head -n 1 "$WORK/out")" = "$N" ] || fail "qdepth --sysroot relative: $(cat "$WORK/out")"
# Symlinks and .. stay in host/: /../.. is host/'s "/".
expect_exit 3 "$Q" show --sysroot host/ "host$P"
expect_exit 0 "$Q" show --sysroot host/ -r -n -o DEVICE "/../..$P"
[ "$(head -n 1 "$WORK/out")" = "$N" ] || fail "qdepth --sysroot /../..: $(cat "$WORK/out")"
# Tags: udev's links in host/dev/disk.
for t in "UUID=$UUID" "LABEL=$LABEL"; do
	expect_exit 0 "$Q" show --sysroot host/ -r -n -o DEVICE "$t"
	[ "$(cat "$WORK/out")" = "$N" ] || fail "qdepth --sysroot $t: $(cat "$WORK/out")"
done
expect_exit 3 "$Q" show --sysroot host/ "UUID=00000000-0000-0000-0000-000000000000"

# jcommit: the host's ext4 at P with its commit=17, by path and by tag.
for t in "$P" "$P/file" "UUID=$UUID" "LABEL=$LABEL" "/dev/$N"; do
	expect_exit 0 "$J" show --sysroot host/ -r -n -o DEVICE,TARGET,COMMIT "$t"
	read -r d tg c <"$WORK/out"
	[ "$tg" = "$P" ] && [ "$c" = 17 ] && case $d in */"$N") true ;; *) false ;; esac ||
		fail "jcommit --sysroot $t: $(cat "$WORK/out")"
done
# Without --sysroot, P is B's tmpfs: no ext4 there.
"$J" show -r -n -o DEVICE "$P" >"$WORK/out" 2>"$WORK/err" &&
	fail "jcommit without --sysroot took B's tmpfs: $(cat "$WORK/out")"
expect_grep 'tmpfs|ext' "$WORK/err"

# preflight: the host's mount (ext4 on the loop device, commit=17).
"$PF" --sysroot host/ -r -n -o CHECK,VALUE "$P/file" >"$WORK/out" 2>"$WORK/err"
[ $? -le 1 ] || { cat "$WORK/err" >&2; fail "preflight --sysroot failed"; }
expect_grep "^fstype ext4\\\\x20on\\\\x20$P\$" "$WORK/out"
expect_grep "^mount .*commit=17" "$WORK/out"
expect_grep "^depth $N:" "$WORK/out"
"$PF" -r -n -o CHECK,VALUE "$P/file" >"$WORK/out" 2>"$WORK/err"
[ $? -le 1 ] || { cat "$WORK/err" >&2; fail "preflight failed"; }
expect_grep "^fstype tmpfs" "$WORK/out"
grep -q "commit=17\|$N" "$WORK/out" && fail "preflight without --sysroot saw the host: $(cat "$WORK/out")"
# B's mounts go with B; host/ is left to the namespace's end.
umount "$P" || fail "umount B's tmpfs"
umount -R host || umount -lR host
exit 0
EOF
HOSTWORK=$WORK TOP=$TOP N=$N MAJMIN=$MAJMIN UUID=$UUID LABEL=$LABEL P=$P \
	Q=$Q J=$J PF=$PF unshare -m --propagation private \
	bash "$WORK/container.sh" || fail "the container's checks failed"
# B's mount over P never reached A.
[ "$(cat "$P/file")" = host ] || fail "B's tmpfs reached the host"

# --- A's /boot, a system directory, on the ext4 too (a bind of P: the
# same st_dev, another mount). preflight --sysroot host/ judges a mount
# that holds the running system by host/'s /, /usr, /boot...: the mount
# row's remount hint keeps nosuid,noexec off A's /boot and says why,
# and P (another mount of the same file system) gets the plain hint.
[ -d /boot ] || { echo "no /boot: system directory case not run" >&2; exit 0; }
mountat "$P" /boot bind
cat >"$WORK/system.sh" <<'SYS'
. "$TOP/tests/integration/lib.sh"
cd "$HOSTWORK" || fail "cd $HOSTWORK"
mkdir -p host
mount --rbind / host || fail "rbind / host"
# The container's own /boot is not the host's.
mount -t tmpfs -o size=1m tmpfs /boot || fail "tmpfs over /boot"
for t in boot:/boot/file data:"$P/file"; do
	"$PF" --sysroot host/ -P -o CHECK,HINT "${t#*:}" >"$WORK/out" 2>"$WORK/err"
	[ $? -le 1 ] || { cat "$WORK/err" >&2; fail "preflight --sysroot ${t#*:} failed"; }
	grep '^CHECK="mount"' "$WORK/out" >"$WORK/mount.${t%%:*}" ||
		fail "preflight --sysroot ${t#*:}: no mount row: $(cat "$WORK/out")"
done
expect_grep 'but not on /boot: it holds the running system \(/boot\)' "$WORK/mount.boot"
expect_grep "mount -o remount,nosuid,noexec $P\"" "$WORK/mount.data"
grep -q 'running system' "$WORK/mount.data" &&
	fail "P holds no system directory: $(cat "$WORK/mount.data")"
umount /boot || fail "umount B's /boot"
umount -R host || umount -lR host
exit 0
SYS
HOSTWORK=$WORK TOP=$TOP P=$P PF=$PF unshare -m --propagation private \
	bash "$WORK/system.sh" || fail "the container's system checks failed"
exit 0
