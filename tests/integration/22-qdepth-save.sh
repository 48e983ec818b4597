#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qdepth save files on a real loop device: sealed, written atomically
# (directory synced) and only for a change that is made; restore refuses
# a cut or unsealed file before it writes anything, says "no records" for
# an empty one, and cannot hang on a FIFO. The image lives on a tmpfs of
# this private mount namespace.
. "$(dirname "$0")/lib.sh"
root_ns losetup
need_tool Q qdepth
queue_loop 100
ra() { cat "$SYSQ/read_ahead_kb"; }
echo none >"$SYSQ/scheduler" || fail "scheduler none"
echo 100 >"$SYSQ/nr_requests" || fail "nr_requests"
echo 1280 >"$SYSQ/read_ahead_kb" || fail "read_ahead_kb"

# --- a change made: the file records the old values, sealed ---
expect_exit 0 "$Q" set --save "$T/q.save" --read-ahead 256 "$DEV"
[ "$(ra)" = 256 ] || fail "read-ahead $(ra), want 256"
expect_grep "^$N none 100 1280 $(cat /sys/block/$N/dev)\$" "$T/q.save"
expect_grep '^# end records=1 crc32c=[0-9a-f]{8}$' "$T/q.save"
[ "$(tail -n 1 "$T/q.save" | cut -c1-16)" = "# end records=1 " ] || fail "seal is not the last line"
[ "$(stat -c %a "$T/q.save")" = 600 ] || fail "save file mode $(stat -c %a "$T/q.save")"

# --- cut mid-record: "1280" cut to "128" was once restored as 128 ---
off=$(grep -bo " 1280 " "$T/q.save" | cut -d: -f1)
head -c $((off + 4)) "$T/q.save" >"$T/cut.save"
tail -n 1 "$T/cut.save" | grep -q " 128\$" || fail "cut file does not end in 128"
expect_exit 2 "$Q" restore "$T/cut.save"
expect_grep "^qdepth: $T/cut.save: no valid end marker \(the file may be cut short or edited\); nothing restored\$" "$WORK/err"
[ "$(ra)" = 256 ] || fail "a cut save file was applied: read-ahead $(ra)"
[ ! -s "$WORK/out" ] || fail "restore of a cut file printed a table"
# Cut anywhere else, or only the header: refused the same way.
for len in 1 22 40 $(( $(stat -c %s "$T/q.save") - 1 )); do
	head -c "$len" "$T/q.save" >"$T/cut.save"
	expect_exit 2 "$Q" restore "$T/cut.save"
	expect_grep "no valid end marker" "$WORK/err"
done
head -n 1 "$T/q.save" >"$T/head.save"
expect_exit 2 "$Q" restore "$T/head.save"
expect_grep "head.save: no valid end marker" "$WORK/err"
# An unsealed file as qdepth wrote them before: refused too.
grep -v '^# end ' "$T/q.save" >"$T/old.save"
expect_exit 2 "$Q" restore "$T/old.save"
expect_grep "old.save: no valid end marker" "$WORK/err"
[ "$(ra)" = 256 ] || fail "a refused file was applied"

# --- a FIFO given to restore: refused at once, not a hang ---
mkfifo "$T/fifo"
expect_exit 2 timeout 10 "$Q" restore "$T/fifo"
expect_grep "^qdepth: $T/fifo: not a regular file\$" "$WORK/err"

# --- a set that fails leaves an existing save file byte for byte ---
cp "$T/q.save" "$T/keep.save"
cp "$T/q.save" "$T/ref.save"
expect_exit 2 "$Q" set --save "$T/keep.save" --depth 1000 "$DEV"
cmp -s "$T/keep.save" "$T/ref.save" || fail "a rejected set rewrote the save file"
# The kernel keeps read-ahead in whole pages: 5 reads back 4, the change
# fails and is rolled back, and the file is kept.
expect_exit 3 "$Q" set --save "$T/keep.save" --depth 64 --read-ahead 5 "$DEV"
cmp -s "$T/keep.save" "$T/ref.save" || fail "a failed set rewrote the save file"
[ "$(depth)" = 100 ] && [ "$(ra)" = 256 ] || fail "failed set left depth $(depth) ra $(ra)"
expect_exit 3 "$Q" set --save "$T/keep.save" --depth 64 "$DEV" "$T/nonexistent"
cmp -s "$T/keep.save" "$T/ref.save" || fail "a set with a missing target rewrote the save file"
expect_exit 0 "$Q" set --dry-run --save "$T/keep.save" --depth 64 "$DEV"
cmp -s "$T/keep.save" "$T/ref.save" || fail "a dry run rewrote the save file"
ls -a "$T" | grep -q '\.tmp$' && fail "a temporary file was left in $T"

# --- written atomically: temporary, rename, then the directory synced ---
if command -v strace >/dev/null 2>&1; then
	# LeakSanitizer (make asan) cannot run under ptrace.
	expect_exit 0 env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -y -o "$WORK/trace" -e trace=fsync,rename,renameat,renameat2 \
		"$Q" set --save "$T/s.save" --depth 64 "$DEV"
	# renameat(dirfd<DIR>, ".s.save...tmp", dirfd<DIR>, "s.save"), then
	# fsync(dirfd<DIR>); a rename by full path counts as well.
	awk -v f="$T/s.save" -v d="$T" '
		/rename/ && (index($0, "\"" f "\"") ||
			     (index($0, "<" d ">, \"s.save\")"))) { r = NR }
		r && NR > r && /fsync\(/ && index($0, "<" d ">") { ok = 1 }
		END { exit !ok }' "$WORK/trace" ||
		{ cat "$WORK/trace" >&2; fail "no fsync of $T after the rename"; }
	[ "$(depth)" = 64 ] || fail "depth $(depth) after set"
else
	note "strace not installed: the directory fsync is not checked"
fi

# --- restore puts back exactly what was saved ---
expect_exit 0 "$Q" restore "$T/q.save"
[ "$(ra)" = 1280 ] && [ "$(depth)" = 100 ] || fail "restore gave depth $(depth) ra $(ra)"

# --- a sealed file with no records: said, exit 4 ---
echo x >"$T/f"
expect_exit 0 "$Q" set --udev --save "$T/empty.save" --depth 64 "$T/f"
expect_grep '^# end records=0 crc32c=' "$T/empty.save"
expect_exit 4 "$Q" restore "$T/empty.save"
expect_grep "^qdepth: $T/empty.save: no records; nothing to restore\$" "$WORK/err"
echo "qdepth save files: sealed, atomic, refused when cut"
