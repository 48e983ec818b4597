#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Inputs that are the output, and checks a dry run skipped:
#  - patch --from FILE (or standard input) naming the file being patched
#    read its own changed bytes back into the window: exit 0 and wrong
#    bytes. Refused (exit 2), also through a hard link.
#  - write FILE < FILE at an offset chased its own writes until the file
#    system was full. Refused (exit 2).
#  - patch --dry-run --undo did not look at the journal: a journal of
#    another file, or a FIFO, gave exit 0, the real run exit 3.
#  - patch and write waited for a terminal on standard input.
# Everything runs on a small tmpfs of a private mount namespace, so a
# runaway write fills 64 MiB, not the host disk.
. "$(dirname "$0")/lib.sh"
root_ns
need_tool M mmapwin
T=$WORK/tmpfs
tmpfs_at "$T" 64m
cd "$T" || fail "cd $T"

head -c 100000 /dev/urandom >f
cp f f.orig
ln f f.link
unchanged() { cmp -s f f.orig || fail "f changed after: $*"; }

# --- the patch data is the file being patched
expect_exit 2 "$M" patch f 10 --from f --extend
expect_grep '^mmapwin: --from f: is the file being patched; copy it first \(cp f f\.data\)$' "$WORK/err"
expect_exit 2 "$M" patch f 10 --from f.link --extend
expect_grep '^mmapwin: --from f\.link: is the file being patched' "$WORK/err"
expect_exit 2 "$M" patch f 0 --from ./f
expect_grep 'is the file being patched' "$WORK/err"
expect_exit 2 "$M" patch f 10 --extend --undo u <f
expect_grep '^mmapwin: stdin: is the file being patched; copy it first$' "$WORK/err"
[ ! -e u ] || fail "a refused patch created its journal"
unchanged "patch from itself"
# Another file is fine, and byte-exact.
cp f g
expect_exit 0 "$M" patch f 10 --from g --extend -q
cmp -s <(tail -c +11 f) g || fail "patch from a copy"
cp f.orig f

# --- write FILE < FILE: larger than a chunk, written 1 MiB ahead of
# where it is read, it would read its own writes until the tmpfs is full.
head -c $((4 << 20)) /dev/urandom >big
cp big big.orig
ln big big.link
expect_exit 2 timeout 20 "$M" write big --offset 1M <big
expect_grep '^mmapwin: stdin: is big itself; copy it first$' "$WORK/err"
expect_exit 2 timeout 20 "$M" write big.link --offset 1M <big
expect_grep '^mmapwin: stdin: is big\.link itself' "$WORK/err"
expect_exit 2 timeout 20 "$M" write big <big
expect_grep 'is big itself' "$WORK/err"
cmp -s big big.orig || fail "write from itself changed the file"
rm -f big.link big.orig
[ "$(df --output=used -B1 "$T" | tail -n 1)" -lt $((16 << 20)) ] || fail "tmpfs filled up"

# --- --dry-run checks the journal as the real run would
printf 'other' >o
expect_exit 0 "$M" patch o 0 --data O --undo uo -q
expect_exit 3 "$M" patch f 0 --data x --undo uo --dry-run
expect_grep '^mmapwin: --undo uo: journal belongs to another file \(journaled: .*; found: .*\); give a new undo file$' "$WORK/err"
mkfifo p
expect_exit 3 timeout 10 "$M" patch f 0 --data x --undo p --dry-run
expect_grep '^mmapwin: --undo p: not a regular file; give a new undo file$' "$WORK/err"
head -c 100 /dev/urandom >junk
expect_exit 3 "$M" patch f 0 --data x --undo junk --dry-run
expect_grep 'not an mmapwin undo journal' "$WORK/err"
expect_exit 2 "$M" patch f 0 --data x --undo f --dry-run
expect_grep 'is the file being patched' "$WORK/err"
expect_exit 3 "$M" replace f hunter2 HUNTER2 --undo uo --dry-run
expect_grep '^mmapwin: --undo uo: journal belongs to another file' "$WORK/err"
# A journal that would be created is not created by a dry run.
expect_exit 0 "$M" patch f 0 --data x --undo new.undo --dry-run
expect_grep 'would patch 1 bytes at offset 0' "$WORK/out"
[ ! -e new.undo ] || fail "--dry-run created the journal"
expect_exit 0 "$M" patch o 1 --data x --undo uo --dry-run -q
[ "$(stat -c %s uo)" = $((96 + ${#T} + 2 + 24 + 1)) ] || fail "--dry-run changed the journal"
unchanged "dry runs"

# --- a terminal on standard input is not waited on
if command -v script >/dev/null; then
	script -qec "timeout 10 '$M' patch '$T/f' 0" /dev/null >"$WORK/tty"
	expect_grep 'mmapwin: stdin: is a terminal; give --data or --from, or pipe the bytes in' "$WORK/tty"
	script -qec "timeout 10 '$M' patch '$T/f' 0; echo rc=\$?" /dev/null >"$WORK/tty"
	expect_grep '^rc=2' "$WORK/tty"
	script -qec "timeout 10 '$M' write '$T/w'; echo rc=\$?" /dev/null >"$WORK/tty"
	expect_grep 'mmapwin: stdin: is a terminal; pipe or redirect the data into mmapwin write' "$WORK/tty"
	expect_grep '^rc=2' "$WORK/tty"
	[ ! -e w ] || fail "write from a terminal created its file"
else
	note "script(1) missing: terminal cases not run"
fi
unchanged "terminal"
echo "self: inputs that are the output refused; dry runs check the journal"
