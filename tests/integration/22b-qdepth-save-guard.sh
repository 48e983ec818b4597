#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qdepth set --save FILE never replaces a file that is not a qdepth save
# file (as restore reads it): refused before anything is changed, exit 3,
# a message naming FILE, the queue and the file as they were. It once
# overwrote any regular file (jcommit and swapadj refuse one). An empty
# file, or one of ours cut short, is replaced, as swapadj does.
. "$(dirname "$0")/lib.sh"
root_ns losetup
need_tool Q qdepth
queue_loop 100
echo 100 >"$SYSQ/nr_requests" || fail "nr_requests"

# --- another file: refused, nothing changed ---
printf 'precious data\n' >"$T/notes.txt"
cp "$T/notes.txt" "$T/ref.txt"
expect_exit 3 "$Q" set --save "$T/notes.txt" --depth 64 "$DEV"
expect_grep "^qdepth: $T/notes.txt: cannot write save file: exists and is not a qdepth save file; refusing to replace it \(remove it or name another file\)\$" "$WORK/err"
cmp -s "$T/notes.txt" "$T/ref.txt" || fail "--save replaced a file that is not a save file"
[ "$(depth)" = 100 ] || fail "nr_requests $(depth) after a refused --save, want 100"

# Another tool's save file is not ours either.
printf '# swapadj save file v1\n' >"$T/swap.save"
expect_exit 3 "$Q" set --save "$T/swap.save" --depth 64 "$DEV"
expect_grep "swap.save: cannot write save file: exists and is not a qdepth save file" "$WORK/err"
[ "$(depth)" = 100 ] || fail "nr_requests $(depth) after a refused --save, want 100"

# --- an empty file: replaced by the save file ---
: >"$T/empty.save"
expect_exit 0 "$Q" set --save "$T/empty.save" --depth 64 "$DEV"
[ "$(depth)" = 64 ] || fail "nr_requests $(depth), want 64"
expect_grep "^$N [^ ]+ 100 " "$T/empty.save"

# --- a save file of ours: replaced, and restore puts it back ---
expect_exit 0 "$Q" set --save "$T/empty.save" --depth 32 "$DEV"
expect_grep "^$N [^ ]+ 64 " "$T/empty.save"
expect_exit 0 "$Q" restore "$T/empty.save"
[ "$(depth)" = 64 ] || fail "nr_requests $(depth) after restore, want 64"
echo "qdepth set --save: another file is never replaced"
