#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit checkpoint (EXT4_IOC_CHECKPOINT) and check (mount-flag safety
# check for scripts), on real loop-mounted ext4.
. "$(dirname "$0")/lib.sh"
root_ns
tmpfs_at "$WORK" 1g mode=0700
need_tool J jcommit

ext4_new dev 64
mnt=$WORK/mnt
mountat "$dev" "$mnt" nosuid,nodev

# Checkpoint: the journal is empty afterwards (dumpe2fs: "Journal start: 0").
dd if=/dev/zero of="$mnt/f" bs=64k count=16 conv=fsync status=none
expect_exit 0 "$J" checkpoint "$mnt"
expect_grep "^$mnt: journal checkpointed in [0-9]+\.[0-9]{3} ms\$" "$WORK/out"
if command -v dumpe2fs >/dev/null; then
	start=$(dumpe2fs -h "$dev" 2>/dev/null | sed -n 's/^Journal start: *//p')
	[ "$start" = 0 ] || fail "journal start $start after checkpoint"
fi
expect_exit 0 "$J" checkpoint --dry-run "$mnt"
expect_grep "^$mnt: journal checkpoint accepted \(dry run\) in" "$WORK/out"
expect_exit 0 "$J" checkpoint --zeroout "$mnt/f"
expect_grep "^$mnt: journal checkpointed" "$WORK/out"
# --discard needs discard support on the journal's device.
if [ "$(cat /sys/block/"$(basename "$dev")"/queue/discard_max_bytes)" != 0 ]; then
	expect_exit 0 "$J" checkpoint --discard "$mnt"
	expect_grep "^$mnt: journal checkpointed" "$WORK/out"
else
	expect_exit 4 "$J" checkpoint --discard "$mnt"
	expect_grep "jcommit: $mnt: the journal device does not support discard" "$WORK/err"
fi
expect_exit 2 "$J" checkpoint --discard --zeroout "$mnt"
expect_grep "jcommit: checkpoint: --discard and --zeroout exclude each other" "$WORK/err"
expect_exit 2 "$J" checkpoint
expect_grep "jcommit: checkpoint: no TARGET given" "$WORK/err"
need_cmd setpriv
expect_exit 3 setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
	"$J" checkpoint "$mnt"
expect_grep "jcommit: $mnt: a checkpoint needs CAP_SYS_ADMIN; run as root" "$WORK/err"

# ext4 without a journal: the kernel's ENODEV, explained.
dev2=$(mkloop 32)
mkext4 "$dev2" -O ^has_journal
mountat "$dev2" "$WORK/nj"
expect_exit 4 "$J" checkpoint "$WORK/nj"
expect_grep "jcommit: $WORK/nj: no journal to checkpoint \(the file system has no has_journal feature\)" "$WORK/err"
# Unmounted: nothing to checkpoint.
dev3=$(mkloop 16)
mkext4 "$dev3"
expect_exit 4 "$J" checkpoint "$dev3"
expect_grep "jcommit: $dev3: not mounted; only a mounted file system's journal can be checkpointed" "$WORK/err"
tmpfs_at "$WORK/tmp" 1m
expect_exit 4 "$J" checkpoint "$WORK/tmp"
expect_grep "not an ext4 file system \(tmpfs" "$WORK/err"

# check: within bounds -> 0, nothing printed.
expect_exit 0 "$J" check --data ordered,journal --min-commit 1 --max-commit 10 \
	--require nosuid,nodev --forbid noexec,ro "$mnt"
[ -s "$WORK/out" ] && fail "check printed on success"
# One line per violation, exit 1.
expect_exit 1 "$J" check --data writeback --min-commit 6 --require nosuid,noexec \
	--forbid rw,nodev "$mnt"
expect_grep "^$mnt: data=ordered not in writeback\$" "$WORK/out"
expect_grep "^$mnt: commit=5 below --min-commit 6\$" "$WORK/out"
expect_grep "^$mnt: noexec missing \(required\)\$" "$WORK/out"
expect_grep "^$mnt: rw set \(forbidden\)\$" "$WORK/out"
expect_grep "^$mnt: nodev set \(forbidden\)\$" "$WORK/out"
[ "$(wc -l <"$WORK/out")" -eq 5 ] || fail "expected 5 violations"
# After a live change the check follows the kernel.
expect_exit 0 "$J" set --commit 20 "$mnt"
expect_exit 1 "$J" check --max-commit 10 "$mnt"
expect_grep "^$mnt: commit=20 above --max-commit 10\$" "$WORK/out"
# key=value options compare values (ext4 options from /proc/fs/ext4).
expect_exit 0 "$J" check --require commit=20,data=ordered "$mnt"
expect_exit 1 "$J" check --require commit=21 "$mnt"
# ro mount: --forbid rw passes, --require rw fails.
mount -o remount,ro "$mnt" || fail "remount ro"
expect_exit 0 "$J" check --forbid rw "$mnt"
expect_exit 1 "$J" check --require rw "$mnt"
# Bad input.
expect_exit 2 "$J" check --data fast "$mnt"
expect_grep "jcommit: --data fast: unknown mode 'fast'" "$WORK/err"
expect_exit 2 "$J" check --max-commit -3 "$mnt"
expect_grep "jcommit: --max-commit -3: not a number of seconds" "$WORK/err"
expect_exit 4 "$J" check --forbid rw "$WORK/tmp"
expect_exit 3 "$J" check --forbid rw "$WORK/none"
# The no-journal fs reports data=none.
expect_exit 1 "$J" check --data ordered "$WORK/nj"
expect_grep "^$WORK/nj: data=none not in ordered\$" "$WORK/out"
echo PASS
