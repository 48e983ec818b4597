#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit --save files: written atomically (temp file, rename) with an end
# marker, only for a change that is made; a failed set leaves an existing
# file byte for byte. restore reads the file without blocking (a FIFO
# cannot hang it) and refuses a cut, unsealed or edited file before it
# applies anything (exit 2, like qdepth); an empty sealed file says
# "no records".
. "$(dirname "$0")/lib.sh"
root_ns dumpe2fs debugfs timeout
need_tool J jcommit

IMG=$WORK/img
tmpfs_at "$IMG" 128m mode=0700
loop_over dev "$IMG/a.img" 64M
mkext4 "$dev"
sb_set "$dev" data_err=abort
G=$WORK/mnt
mountat "$dev" "$G"
tmpfs_at "$WORK/tmp" 1m
S=$WORK/saves
mkdir -p "$S"
seal_re='^# end records=[0-9]+ crc32c=[0-9a-f]{8}$'

# --- writing ---
# A new file: created with the records and the end marker as last line.
expect_exit 0 "$J" set --commit 9 --persist --save "$S/new" "$G"
[ "$(tail -n1 "$S/new")" = "$(tail -n1 "$S/new" | grep -E "$seal_re")" ] || fail "no end marker: $(tail -n1 "$S/new")"
expect_grep '^# end records=1 ' "$S/new"
expect_grep "^target=$G\$" "$S/new"
expect_grep '^commit=5$' "$S/new"
expect_grep '^sb_mount_opts=data_err=abort$' "$S/new"
# An existing file is replaced by rename (a new inode), not rewritten in
# place, and no temporary file is left beside it.
ino=$(stat -c %i "$S/new")
expect_exit 0 "$J" set --commit 10 --persist --save "$S/new" "$G"
[ "$(stat -c %i "$S/new")" != "$ino" ] || fail "the save file was rewritten in place"
expect_grep '^commit=9$' "$S/new"
[ "$(ls -A "$S")" = new ] || fail "left in $S: $(ls -A "$S")"
# A failed set (one bad target) leaves an existing save file byte for byte,
# and creates none where there was none.
cp -p "$S/new" "$S/copy"
expect_exit 4 "$J" set --commit 11 --persist --save "$S/new" "$G" "$WORK/tmp"
cmp "$S/new" "$S/copy" || fail "a failed set changed the save file"
expect_exit 4 "$J" set --commit 11 --save "$S/none" "$WORK/tmp" "$G"
[ -e "$S/none" ] && fail "a failed set created a save file"
[ "$(live "$dev" commit)" = 10 ] || fail "a failed set changed commit to $(live "$dev" commit)"
# A save path that is not a regular file, or in a missing directory:
# refused before any change.
mkfifo "$S/fifo"
expect_exit 2 timeout 20 "$J" set --commit 11 --save "$S/fifo" "$G"
expect_grep "^jcommit: --save $S/fifo: not a regular file\$" "$WORK/err"
expect_exit 3 "$J" set --commit 11 --save "$WORK/nodir/save" "$G"
expect_grep "^jcommit: --save $WORK/nodir/save: No such file or directory" "$WORK/err"
[ "$(live "$dev" commit)" = 10 ] || fail "a refused --save changed commit to $(live "$dev" commit)"
# An existing file that is not a save file is never replaced by mistake.
printf '/dev/sda1 / ext4 defaults 0 1\n' >"$S/fstab"
cp "$S/fstab" "$S/copy"
expect_exit 2 "$J" set --commit 11 --save "$S/fstab" "$G"
expect_grep "^jcommit: --save $S/fstab: exists and is not a jcommit save file; refusing to replace it \(remove it or name another file\)\$" "$WORK/err"
cmp "$S/fstab" "$S/copy" || fail "--save replaced a file that is not a save file"
[ "$(live "$dev" commit)" = 10 ] || fail "a refused --save changed commit to $(live "$dev" commit)"
# An empty file is taken.
: >"$S/empty-before"
expect_exit 0 "$J" set --commit 10 --save "$S/empty-before" "$G"
expect_grep '^# end records=1 ' "$S/empty-before"
rm -f "$S/fifo" "$S/copy" "$S/fstab" "$S/empty-before"
# No target from "-": no change, so no save file.
expect_exit 0 "$J" set --commit 11 --save "$S/none" - </dev/null
expect_grep "^jcommit: set: no TARGET read from standard input; nothing changed\$" "$WORK/err"
[ -e "$S/none" ] && fail "a set of no target wrote a save file"
# A mount point with a newline cannot be one line of the file: refused
# before the change.
nl="$WORK/a
b"
mkdir -p "$nl" && mount --bind "$G" "$nl" || fail "bind mount on a name with a newline"
at_exit "umount -l '$nl'"
expect_exit 3 "$J" set --commit 11 --save "$S/nl" "$nl"
expect_grep "holds a newline and cannot be recorded; nothing changed\$" "$WORK/err"
[ -e "$S/nl" ] && fail "wrote $S/nl"
[ "$(live "$dev" commit)" = 10 ] || fail "a refused save changed commit to $(live "$dev" commit)"
umount "$nl"

# --- reading ---
# The file restores; a dry run first changes nothing.
expect_exit 0 "$J" restore --dry-run "$S/new"
expect_grep "commit 10 -> 9 \(live, dry run\)" "$WORK/out"
[ "$(live "$dev" commit)" = 10 ] || fail "restore --dry-run changed commit"
expect_exit 0 "$J" set --commit 12 --persist --save "$S/good" "$G"
size=$(stat -c %s "$S/good")
tpos=$(grep -bo '^target=' "$S/good" | head -n1 | cut -d: -f1)
last=$(tail -n1 "$S/good" | wc -c)
# Cut anywhere: at 0, inside the comment, right after "target=" (once
# "jcommit: : No such file or directory", exit 3), in the middle, without
# the end marker, inside it, and without its newline. Refused, exit 2,
# nothing applied.
for cut in 0 10 $((tpos + 7)) $((size / 2)) $((size - last)) $((size - 12)) $((size - 1)); do
	head -c "$cut" "$S/good" >"$S/cut"
	expect_exit 2 "$J" restore "$S/cut"
	expect_grep "^jcommit: $S/cut: (no end marker: the file is cut or was not written by this version of jcommit|the end marker does not match the content: the file is cut or was edited); nothing restored\$" "$WORK/err"
	[ "$(live "$dev" commit)" = 12 ] || fail "cut at $cut: commit $(live "$dev" commit)"
	[ "$(sbopts "$dev")" = data_err=abort,commit=12 ] || fail "cut at $cut: string '$(sbopts "$dev")'"
done
# The file of an older jcommit (no end marker) is refused the same way.
grep -v '^# end ' "$S/good" >"$S/old"
expect_exit 2 "$J" restore "$S/old"
expect_grep "^jcommit: $S/old: no end marker: the file is cut or was not written by this version of jcommit; nothing restored\$" "$WORK/err"
# One byte changed: the marker no longer matches.
sed 's/^commit=10$/commit=11/' "$S/good" >"$S/edited"
cmp -s "$S/good" "$S/edited" && fail "setup: the edit changed nothing"
expect_exit 2 "$J" restore "$S/edited"
expect_grep "^jcommit: $S/edited: the end marker does not match the content: the file is cut or was edited; nothing restored\$" "$WORK/err"
[ "$(live "$dev" commit)" = 12 ] || fail "edited file applied: commit $(live "$dev" commit)"

# Inputs that would block or are not files: refused at once (timeout
# would say 124).
mkfifo "$S/fifo"
expect_exit 2 timeout 20 "$J" restore "$S/fifo"
expect_grep "^jcommit: $S/fifo: not a regular file\$" "$WORK/err"
expect_exit 2 timeout 20 "$J" restore /dev/zero
expect_grep "^jcommit: /dev/zero: not a regular file\$" "$WORK/err"
expect_exit 2 "$J" restore "$S"
expect_grep "^jcommit: $S: Is a directory\$" "$WORK/err"
head -c 1100000 /dev/zero | tr '\0' '#' >"$S/big"
expect_exit 2 "$J" restore "$S/big"
expect_grep "^jcommit: $S/big: larger than 1 MiB; not a jcommit save file\$" "$WORK/err"
expect_exit 3 "$J" restore "$S/missing"
expect_grep "^jcommit: $S/missing: No such file or directory\$" "$WORK/err"

# Sealed files with bad content, sealed here as jcommit seals (CRC-32C).
if command -v python3 >/dev/null 2>&1; then
	seal() { # seal FILE RECORDS: append the end marker to FILE
		python3 - "$1" "$2" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
crc = 0xffffffff
for b in data:
    crc ^= b
    for _ in range(8):
        crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
crc ^= 0xffffffff
open(sys.argv[1], "ab").write(b"# end records=%d crc32c=%08x\n" % (int(sys.argv[2]), crc))
EOF
	}
	# The marker check itself, against a file jcommit wrote.
	sed '$d' "$S/good" >"$S/resealed"
	seal "$S/resealed" 1
	cmp "$S/good" "$S/resealed" || fail "the test's CRC-32C differs from jcommit's"
	# Empty but sealed: nothing to do, said so.
	: >"$S/empty"
	seal "$S/empty" 0
	expect_exit 0 "$J" restore "$S/empty"
	expect_grep "^jcommit: $S/empty: no records; nothing to restore\$" "$WORK/err"
	[ -s "$WORK/out" ] && fail "empty: printed a change"
	# The record count must match.
	sed '$d' "$S/good" >"$S/count"
	seal "$S/count" 2
	expect_exit 2 "$J" restore "$S/count"
	expect_grep "^jcommit: $S/count: the end marker says 2 records, the file has 1; nothing restored\$" "$WORK/err"
	# Lines that are not ours, an empty or relative target, a key twice,
	# a record with nothing to restore: refused with the line number.
	n=0
	for body in "target=$G\nbogus=1\n|2" "target=\ncommit=5\n|1" \
		"target=relative/path\ncommit=5\n|1" "commit=5\n|1" \
		"target=$G\ncommit=5\ncommit=6\n|3" "target=$G\ncommit=5\x00\n|2" \
		"target=$G\ncommit=-1\n|2" "target=$G\nsb_data=fast\n|2" \
		"target=$G\nuuid=short\n|2"; do
		printf "${body%|*}" >"$S/bad"
		seal "$S/bad" 1
		expect_exit 2 "$J" restore "$S/bad"
		expect_grep "^jcommit: $S/bad:${body##*|}: not a jcommit save file line" "$WORK/err"
		n=$((n + 1))
	done
	printf 'target=%s\ndevice=%s\n' "$G" "$dev" >"$S/bad"
	seal "$S/bad" 1
	expect_exit 2 "$J" restore "$S/bad"
	expect_grep "^jcommit: $S/bad:1: the record for $G has nothing to restore\$" "$WORK/err"
	[ "$(live "$dev" commit)" = 12 ] || fail "a bad sealed file was applied: commit $(live "$dev" commit)"
else
	note "python3 not installed: sealed bad-content sub-cases not run"
fi

# The good file still restores, and restores exactly.
expect_exit 0 "$J" restore "$S/good"
[ "$(live "$dev" commit)" = 10 ] || fail "restore: commit $(live "$dev" commit)"
[ "$(sbopts "$dev")" = data_err=abort,commit=10 ] || fail "restore: string '$(sbopts "$dev")'"
echo PASS
