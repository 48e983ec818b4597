#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin patch/read/undo/fault/cache on real files: bytes land exactly
# where asked, in place (same inode, hard link sees it), undo restores the
# checksum, a sparse 8 GiB file is patched at 5 GiB + 1 and stays sparse.
. "$(dirname "$0")/lib.sh"
need_tool M mmapwin

cd "$WORK" || fail "cd"
head -c 100000 /dev/urandom >f
cp f f.orig
ln f f.link
ino=$(stat -c %i f)

# Unaligned patch across a page boundary (4090..4105).
expect_exit 0 "$M" patch f 4090 --data 'ABCDEFGHIJKLMNOP' --undo u
expect_grep '^f +4090 +16 +1 +u +1 +[0-9a-f]{16}\.\.\. +4142434445464748\.\.\.$' "$WORK/out"
old=$(od -An -tx1 -j4090 -N8 f.orig | tr -d ' ')
expect_grep " $old\\.\\.\\. " "$WORK/out"
[ "$(stat -c %i f)" = "$ino" ] || fail "patch changed the inode"
[ "$(dd if=f.link bs=1 skip=4090 count=16 status=none)" = ABCDEFGHIJKLMNOP ] ||
	fail "hard link does not see the patch"
cmp -s <(head -c 4090 f) <(head -c 4090 f.orig) || fail "bytes before changed"
cmp -s <(tail -c +4107 f) <(tail -c +4107 f.orig) || fail "bytes after changed"
[ "$(stat -c %s f)" = 100000 ] || fail "size changed"

# read: raw and --hex (hexdump -C layout, absolute offsets).
expect_exit 0 "$M" read f 4090 16
[ "$(cat "$WORK/out")" = ABCDEFGHIJKLMNOP ] || fail "read returned $(cat "$WORK/out")"
expect_exit 0 "$M" read f 4090 16 --hex
expect_grep '^00000ffa  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  \|ABCDEFGHIJKLMNOP\|$' "$WORK/out"
expect_grep '^0000100a$' "$WORK/out"
# Whole file through small windows, byte-exact, and the same as hexdump.
expect_exit 0 "$M" read f 0 100000 --window 4096
cmp -s "$WORK/out" f || fail "read through 4 KiB windows differs"
if command -v hexdump >/dev/null; then
	"$M" read f 0 100000 --hex --window 8K >hx
	cmp -s hx <(hexdump -v -C f) || fail "--hex differs from hexdump -C"
fi

# From a file and from stdin (pipe), several windows.
head -c 50000 /dev/urandom >data
expect_exit 0 "$M" patch f 1 --from data --window 8K --undo u
expect_grep '^f +1 +50000 +7 +u +1 ' "$WORK/out"
cmp -s <(dd if=f bs=1 skip=1 count=50000 status=none) data || fail "--from bytes"
printf 'piped' | "$M" patch f 99995 -q --undo u || fail "patch from stdin"
[ "$(tail -c 5 f)" = piped ] || fail "stdin patch"

# Undo: three runs in one journal, restored in reverse; idempotent.
expect_exit 0 "$M" undo u --dry-run
[ "$(grep -c . "$WORK/out")" = 10 ] || fail "dry run should list 9 records"
cmp -s f f.orig && fail "dry run restored"
expect_exit 0 "$M" undo u
expect_grep 'f +9 +50021 +0 +0$' "$WORK/out"
cmp -s f f.orig || fail "undo did not restore the original"
expect_exit 0 "$M" undo u
cmp -s f f.orig || fail "second undo changed the file"

# --extend grows the file; undo cuts it back.
expect_exit 0 "$M" patch f 100010 --data tail --extend --undo u2 -o FILE,EXTENDED
expect_grep '^f +14$' "$WORK/out"
[ "$(stat -c %s f)" = 100014 ] || fail "extend size"
expect_exit 0 "$M" undo u2 -o TRUNCATED
expect_grep '^ *1$' "$WORK/out"
cmp -s f f.orig || fail "undo after extend"

# --dry-run of patch writes nothing; -J output.
expect_exit 0 "$M" patch f 0 --data zzz --dry-run
expect_grep 'would patch 3 bytes at offset 0' "$WORK/out"
cmp -s f f.orig || fail "dry run wrote"
expect_exit 0 "$M" patch f 0 --data z -J --no-sync
expect_grep '"synced": false' "$WORK/out"

# Sparse 8 GiB file patched at 5 GiB + 1 byte.
truncate -s 8G sparse
off=$((5 * 1024 * 1024 * 1024 + 1))
expect_exit 0 "$M" patch sparse "$off" --data 'X' --undo us
expect_grep "^sparse +$off +1 +1 " "$WORK/out"
expect_exit 0 "$M" patch sparse 5G --data 'Y'
expect_exit 0 "$M" read sparse 5G 3 --hex
expect_grep '^140000000  59 58 00 ' "$WORK/out"
[ "$(stat -c %s sparse)" = 8589934592 ] || fail "sparse size changed"
[ "$(du -k sparse | cut -f1)" -lt 1024 ] || fail "sparse file lost its holes"
expect_exit 0 "$M" read sparse 0x140000001 1
[ "$(cat "$WORK/out")" = X ] || fail "read at 5G+1"
expect_exit 0 "$M" undo us
[ "$(dd if=sparse bs=1 skip="$off" count=1 status=none | od -An -tx1)" = " 00" ] ||
	fail "undo at 5G+1"

# fault: every page touched; populating moves the faults out of the
# touch phase (a few stray faults of the thread itself may remain).
head -c $((8 * 1024 * 1024)) /dev/urandom >ff
cp ff ff.orig
expect_exit 0 "$M" fault ff -o PHASE,PAGES,MINFLT -r -n
expect_grep '^touch-read 2048 ' "$WORK/out"
expect_grep '^total 2048 ' "$WORK/out"
plain=$(awk '$1 == "touch-read" { print $3 }' "$WORK/out")
[ "$plain" -ge 8 ] || fail "touching 2048 pages took only $plain faults"
expect_exit 0 "$M" fault ff --populate -o PHASE,PAGES,MINFLT -r -n
expect_grep '^map-populate 2048 ' "$WORK/out"
pop=$(awk '$1 == "touch-read" { print $3 }' "$WORK/out")
[ "$pop" -le 4 ] || fail "$pop faults after MAP_POPULATE"
expect_exit 0 "$M" fault ff 4K 8K --populate -o PHASE,PAGES -r -n
expect_grep '^map-populate 2$' "$WORK/out"
expect_exit 0 "$M" fault ff --madvise --write --window 1M -J
expect_grep '"phase": "madvise-populate"' "$WORK/out"
expect_exit 0 "$M" fault ff --madvise --write --window 1M -o PHASE,PAGES,MINFLT -r -n
expect_grep '^touch-write 2048 [0-4]$' "$WORK/out"
cmp -s ff ff.orig || fail "fault --write changed data"

# cache: cachestat and mincore agree on a fully cached file.
cat ff >/dev/null
expect_exit 0 "$M" cache ff -o PAGES,CACHED,METHOD -r -n
if grep -q cachestat "$WORK/out"; then
	expect_grep '^2048 2048 cachestat$' "$WORK/out"
else
	note "cachestat(2) missing: $(cat "$WORK/err")"
fi
expect_exit 0 "$M" cache ff --mincore -o PAGES,CACHED,DIRTY,METHOD -r -n
expect_grep '^2048 2048  mincore$' "$WORK/out"
# Evicted pages are no longer counted.
# (coreutils: iflag=nocache count=0 drops the whole file's clean pages)
sync ff && dd if=ff iflag=nocache count=0 status=none || fail "dd nocache"
expect_exit 0 "$M" cache ff 0 1M -o PAGES,CACHED -r -n
expect_grep '^256 0$' "$WORK/out"
expect_exit 0 "$M" cache ff 0 1M --mincore -o PAGES,CACHED -r -n
expect_grep '^256 0$' "$WORK/out"

# --help matches the synopsis in the man page; --version.
expect_exit 0 "$M" --help
expect_grep '^ mmapwin patch FILE OFFSET' "$WORK/out"
expect_exit 0 "$M" --version
expect_grep '^mmapwin [0-9]' "$WORK/out"
exit 0
