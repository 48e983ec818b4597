#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit set --persist on an unmounted device writes the superblock with
# libext2fs. It must not do so when the journal needs recovery (the replay
# would write the journalled superblock back over the change) nor when the
# device is in use where our mount table cannot see it: mounted in another
# mount namespace, or held open exclusively. Each refusal names the fix,
# exits 3 and writes nothing (dumpe2fs before and after).
. "$(dirname "$0")/lib.sh"
root_ns dumpe2fs debugfs e2fsck
need_tool J jcommit

# Images on a tmpfs of this namespace, never on the host's disk.
IMG=$WORK/img
tmpfs_at "$IMG" 256m mode=0700
hdr() { dumpe2fs -h "$1" 2>/dev/null; }
jfields() { hdr "$1" | grep -E '^(Default mount options|Mount options):'; }

loop_over dev "$IMG/a.img" 64M
mkext4 "$dev"
sb_set "$dev" data_err=abort
mnt=$WORK/mnt

# --- a journal that needs recovery: a copy of a mounted, written image ---
mountat "$dev" "$mnt"
head -c 4M /dev/urandom >"$mnt/f" && sync -f "$mnt/f" || fail "write"
cp --sparse=always "$IMG/a.img" "$IMG/dirty.img" || fail "cp"
umount "$mnt" || fail "umount"
loop_over dirty "$IMG/dirty.img" 64M
hdr "$dirty" | grep -q '^Filesystem features:.*needs_recovery' ||
	fail "setup: the copy does not need recovery"
hdr "$dirty" >"$WORK/before"
for args in "--commit 9" "--data journal" "--commit 9 --data writeback"; do
	# shellcheck disable=SC2086
	expect_exit 3 "$J" set $args --persist "$dirty"
	expect_grep "^jcommit: $dirty: the journal needs recovery \(needs_recovery is set\), and replaying it would undo a superblock change; run e2fsck -p -E journal_only $dirty first\$" "$WORK/err"
	[ -s "$WORK/out" ] && fail "set $args printed a change: $(cat "$WORK/out")"
	hdr "$dirty" | diff "$WORK/before" - >&2 || fail "set $args --persist wrote a superblock that needs recovery"
done
# --dry-run says the same: the real run would fail.
expect_exit 3 "$J" set --commit 9 --persist --dry-run "$dirty"
expect_grep "run e2fsck -p -E journal_only $dirty first" "$WORK/err"
# --save writes no file for a refused change.
expect_exit 3 "$J" set --commit 9 --persist --save "$WORK/save" "$dirty"
[ -e "$WORK/save" ] && fail "a refused change wrote $WORK/save"
# The advice works: after the replay the same command succeeds.
e2fsck -p -E journal_only "$dirty" >/dev/null 2>&1
[ $? -le 1 ] || fail "e2fsck -p -E journal_only $dirty"
hdr "$dirty" | grep -q '^Filesystem features:.*needs_recovery' && fail "e2fsck left needs_recovery"
expect_exit 0 "$J" set --commit 9 --persist "$dirty"
[ "$(sbopts "$dirty")" = "data_err=abort,commit=9" ] || fail "after replay: '$(sbopts "$dirty")'"

# The flag alone (debugfs), as a crash leaves it, is refused the same way.
debugfs -w -R "feature needs_recovery" "$dev" >/dev/null 2>&1 || fail "debugfs feature"
hdr "$dev" >"$WORK/before"
expect_exit 3 "$J" set --commit 11 --persist "$dev"
expect_grep "^jcommit: $dev: the journal needs recovery" "$WORK/err"
hdr "$dev" | diff "$WORK/before" - >&2 || fail "wrote a superblock flagged needs_recovery"
e2fsck -p -E journal_only "$dev" >/dev/null 2>&1
[ $? -le 1 ] || fail "e2fsck -p -E journal_only $dev"

# --- mounted in another mount namespace: not in our mountinfo ---
busy_msg="^jcommit: $dev: the device is in use \(mounted, maybe in another mount namespace, or held open exclusively\); refusing to write its superblock; unmount it first\$"
mkdir -p "$WORK/other"
unshare -m --propagation private sh -c \
	'mount "$1" "$2" && touch "$3" && exec sleep 600' sh \
	"$dev" "$WORK/other" "$WORK/ready" &
holder=$!
wait_for test -e "$WORK/ready"
grep -q " $WORK/other " /proc/self/mountinfo && fail "setup: the other namespace's mount is visible here"
# The mount itself changes the superblock (state, times): compare the
# fields jcommit writes.
jfields "$dev" >"$WORK/before"
for args in "--commit 12" "--data journal"; do
	# shellcheck disable=SC2086
	expect_exit 3 "$J" set $args --persist "$dev"
	expect_grep "$busy_msg" "$WORK/err"
done
expect_exit 3 "$J" set --commit 12 --persist --dry-run "$dev"
expect_grep "$busy_msg" "$WORK/err"
kill "$holder" && wait "$holder" 2>/dev/null
jfields "$dev" | diff "$WORK/before" - >&2 || fail "wrote the superblock of a device mounted elsewhere"
[ "$(sbopts "$dev")" = "data_err=abort" ] || fail "string changed to '$(sbopts "$dev")'"

# --- held open with O_EXCL (as mkfs, fsck or a device-mapper table do) ---
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import os, sys, time
os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)
open(sys.argv[2], "w").close()
time.sleep(600)' "$dev" "$WORK/held" &
	holder=$!
	wait_for test -e "$WORK/held"
	hdr "$dev" >"$WORK/before"
	expect_exit 3 "$J" set --commit 13 --persist "$dev"
	expect_grep "$busy_msg" "$WORK/err"
	hdr "$dev" | diff "$WORK/before" - >&2 || fail "wrote the superblock of a device held open exclusively"
	kill "$holder" && wait "$holder" 2>/dev/null
else
	note "python3 not installed: O_EXCL holder sub-case not run"
fi

# Free again: the change goes through.
expect_exit 0 "$J" set --commit 13 --persist "$dev"
[ "$(sbopts "$dev")" = "data_err=abort,commit=13" ] || fail "free device: '$(sbopts "$dev")'"
echo PASS
