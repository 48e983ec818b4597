#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin write on real files: both engines, pipes and files on stdin,
# offsets (inside, and past EOF leaving a hole), --truncate, O_DIRECT on
# ext4 with an unaligned head and tail, drop-behind measured with fincore,
# io_uring disabled through the sysctl (falls back to pwrite and still
# succeeds), stdin closed or cut short, and bad options.
. "$(dirname "$0")/lib.sh"
need_root
in_mount_ns "$@"

M=$B/mmapwin
[ -x "$M" ] || fail "$M not built"
"$M" --help | grep -q '^ *mmapwin write' || skip "mmapwin has no write"

D=$WORK/w
mkdir -p "$D"
head -c $((24 << 20)) /dev/urandom >"$D/src"
head -c 1234567 "$D/src" >"$D/odd"

# --- a file on stdin, default engine, durable
expect_exit 0 "$M" write "$D/a" -P <"$D/src"
expect_grep "BYTES=\"$((24 << 20))\" ENGINE=\"uring\" DEPTH=\"2\"" "$WORK/out"
cmp "$D/src" "$D/a" || fail "uring copy differs"
expect_exit 0 "$M" write "$D/a2" -o BYTES,ENGINE,SYNCED -J --engine pwrite <"$D/src"
expect_grep '"engine": "pwrite"' "$WORK/out"
expect_exit 0 "$M" write "$D/a2" -o ENGINE,SYNCED -P --no-sync <"$D/src"
expect_grep 'ENGINE="uring" SYNCED="0"' "$WORK/out"
cmp "$D/src" "$D/a2" || fail "pwrite copy differs"

# --- a pipe with odd-sized reads, several depths and chunk sizes
for args in "--queue-depth 1" "--queue-depth 32 --chunk 64K" "--chunk 4K"; do
	rm -f "$D/p"
	cat "$D/odd" | "$M" write "$D/p" $args -q || fail "pipe with $args"
	cmp "$D/odd" "$D/p" || fail "pipe copy with $args differs"
done

# --- an offset inside an existing file: the rest is kept, unless --truncate
cp "$D/src" "$D/b"
expect_exit 0 "$M" write "$D/b" --offset 1M -q <"$D/odd"
[ "$(stat -c %s "$D/b")" = $((24 << 20)) ] || fail "write truncated the file"
cmp -n $((1 << 20)) "$D/src" "$D/b" || fail "bytes before the offset changed"
cmp -i $((1 << 20)):0 -n 1234567 "$D/b" "$D/odd" || fail "data at the offset"
cmp -i $((1048576 + 1234567)) "$D/src" "$D/b" || fail "bytes after the data changed"
expect_exit 0 "$M" write "$D/b" --offset 1M --truncate -q <"$D/odd"
[ "$(stat -c %s "$D/b")" = $((1048576 + 1234567)) ] || fail "--truncate size"

# --- an offset past EOF: a sparse gap (documented), zeros when read
expect_exit 0 "$M" write "$D/sparse" --offset 1G -P <"$D/odd"
expect_grep 'OFFSET="1073741824" BYTES="1234567"' "$WORK/out"
[ "$(stat -c %s "$D/sparse")" = $((1073741824 + 1234567)) ] || fail "sparse size"
[ "$(du -k "$D/sparse" | cut -f1)" -lt 4096 ] || fail "the gap was allocated: $(du -k "$D/sparse")"
cmp -n $((8 << 20)) "$D/sparse" /dev/zero || fail "gap does not read as zeros"
cmp -i 1073741824:0 "$D/sparse" "$D/odd" || fail "data past the gap"

# --- O_DIRECT on ext4: unaligned offset and length, head and tail buffered
DEV=$(mkloop 128)
mkext4 "$DEV"
MNT=$WORK/mnt
mountat "$DEV" "$MNT"
expect_exit 0 "$M" write "$MNT/d" --direct --offset 1000 -P -o BYTES,DIRECT <"$D/odd"
direct=$(sed -n 's/.*DIRECT="\([0-9]*\)".*/\1/p' "$WORK/out")
[ "$direct" -gt 1000000 ] && [ "$direct" -lt 1234567 ] || fail "DIRECT=$direct"
cmp -i 1000:0 "$MNT/d" "$D/odd" || fail "--direct data"
[ "$(stat -c %s "$MNT/d")" = $((1000 + 1234567)) ] || fail "--direct size"
expect_exit 0 "$M" write "$MNT/d2" --direct --engine pwrite -q <"$D/src"
cmp "$MNT/d2" "$D/src" || fail "--direct pwrite data"

# --- drop-behind: the page cache does not keep the file
rm -f "$MNT/d" "$MNT/d2"
expect_exit 0 "$M" write "$MNT/nodrop" -q <"$D/src"
expect_exit 0 "$M" write "$MNT/drop" --drop-behind -q <"$D/src"
if command -v fincore >/dev/null; then
	res() { fincore -rnb -o RES "$1" | tr -d ' '; }
	note "page cache after write: $(res "$MNT/nodrop") bytes without, $(res "$MNT/drop") with --drop-behind"
	[ "$(res "$MNT/drop")" -lt $(((24 << 20) / 10)) ] || fail "--drop-behind left $(res "$MNT/drop") bytes cached"
	[ "$(res "$MNT/nodrop")" -gt $(((24 << 20) / 2)) ] || note "cache dropped even without --drop-behind (memory pressure?)"
fi
cmp "$MNT/drop" "$D/src" || fail "--drop-behind data"

# --- io_uring disabled by the sysctl: falls back to pwrite with a notice
old=$(sysctl -n kernel.io_uring_disabled 2>/dev/null) || skip "no kernel.io_uring_disabled"
at_exit "sysctl -q kernel.io_uring_disabled=$old"
sysctl -q kernel.io_uring_disabled=2 || fail "cannot set kernel.io_uring_disabled"
"$M" write "$D/f" -P <"$D/odd" >"$WORK/out" 2>"$WORK/err"
rc=$?
sysctl -q kernel.io_uring_disabled="$old"
[ $rc = 0 ] || { cat "$WORK/err" >&2; fail "write with io_uring disabled exited $rc"; }
expect_grep 'io_uring unavailable \(io_uring_queue_init: Operation not permitted\); writing with pwrite' "$WORK/err"
expect_grep 'ENGINE="pwrite"' "$WORK/out"
cmp "$D/f" "$D/odd" || fail "fallback data"

# --- stdin closed, or cut short by a dying producer
expect_exit 3 "$M" write "$D/c" <&-
expect_grep 'stdin: not open \(Bad file descriptor\); pipe or redirect the data' "$WORK/err"
(head -c 3000000 "$D/src"; kill -KILL $BASHPID; cat "$D/src") |
	"$M" write "$D/c" -P >"$WORK/out" 2>"$WORK/err" || fail "cut-short stdin"
expect_grep 'BYTES="3000000"' "$WORK/out"
cmp "$D/c" <(head -c 3000000 "$D/src") || fail "cut-short data"

# --- a write that fails (ENOSPC) is exit 3 with a message, both engines
for eng in uring pwrite; do
	expect_exit 3 "$M" write /dev/full --engine $eng <"$D/odd"
	expect_grep 'mmapwin: /dev/full: no space left on device after 0 bytes' "$WORK/err"
done

# --- --progress: a status line on a terminal, nothing when not a terminal
expect_exit 0 "$M" write "$D/pg" --progress -q <"$D/odd"
[ ! -s "$WORK/err" ] || fail "--progress wrote to a non-terminal stderr"
if command -v script >/dev/null; then
	script -qec "'$M' write '$D/pg' --progress -q <'$D/src'" /dev/null >"$WORK/tty" ||
		fail "write --progress on a terminal"
	expect_grep 'pg: 24\.0 of 24\.0 MiB \(100%\), [0-9.]+ MiB/s' "$WORK/tty"
fi

# --- bad options and targets
expect_exit 2 "$M" write "$D/x" --queue-depth 0
expect_grep "queue-depth '0': give 1 to 256" "$WORK/err"
expect_exit 2 "$M" write "$D/x" --queue-depth 300
expect_grep "queue-depth '300': give 1 to 256" "$WORK/err"
expect_exit 2 "$M" write "$D/x" --engine aio
expect_grep "engine 'aio': unknown; use uring or pwrite" "$WORK/err"
expect_exit 2 "$M" write "$D/x" --chunk 1000
expect_grep 'chunk 1000: give a multiple of 4 KiB' "$WORK/err"
expect_exit 2 "$M" write "$D/x" --throttle 0
expect_grep "throttle '0': give a utilisation percentage" "$WORK/err"
expect_exit 2 "$M" write "$D/x" --offset -5
expect_grep "offset '-5': not a size" "$WORK/err"
expect_exit 2 "$M" write
expect_grep 'usage: mmapwin write FILE' "$WORK/err"
expect_exit 3 "$M" write "$D" </dev/null
expect_grep 'is a directory' "$WORK/err"
[ ! -e "$D/x" ] || fail "a refused write created the file"
mkfifo "$D/fifo"
expect_exit 3 timeout 10 "$M" write "$D/fifo" </dev/null
expect_grep 'fifo: not a regular file' "$WORK/err"
touch "$D/ro"
chmod 0755 "$WORK" "$D"
expect_exit 3 runuser -u nobody -- "$M" write "$D/ro" </dev/null
expect_grep 'ro: .*[Pp]ermission denied' "$WORK/err"
echo "write: engines, offsets, hole, O_DIRECT, drop-behind, fallback, stdin faults"
