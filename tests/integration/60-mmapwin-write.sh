#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin write on real files (ext4 on a loop device; images and sources
# on a tmpfs): every engine (splice from a pipe, copy_file_range or
# sendfile from a file, io_uring, pwrite) gives the same bytes for pipes,
# files, zeros and odd sizes; offsets (inside, and past EOF leaving a
# hole), --truncate, O_DIRECT with an unaligned head and tail and its
# preallocation, drop-behind measured with fincore, io_uring disabled
# through the sysctl, a full file system, stdin closed or cut short, and
# bad options.
. "$(dirname "$0")/lib.sh"
root_ns
need_tool M mmapwin write
# Nothing of this test may reach the host disk.
tmpfs_at "$WORK" 768m mode=0755
D=$WORK/w
mkdir -p "$D"
head -c $((24 << 20)) /dev/urandom >"$D/src"
head -c 1234567 "$D/src" >"$D/odd"
DEV=$(mkloop 160)
mkext4 "$DEV"
E=$WORK/mnt
mountat "$DEV" "$E"
cp "$D/src" "$D/odd" "$E/"

# field NAME: the value of NAME in the -P output in $WORK/out
field() { sed -n "s/.*\<$1=\"\([^\"]*\)\".*/\1/p" "$WORK/out"; }

# --- a file on stdin: copied in the kernel, durable
expect_exit 0 "$M" write "$E/a" -P <"$E/src"
expect_grep "BYTES=\"$((24 << 20))\" ENGINE=\"copy_file_range\" DEPTH=\"1\"" "$WORK/out"
cmp "$E/src" "$E/a" || fail "copy_file_range copy differs"
# from another file system copy_file_range(2) says EXDEV: sendfile(2)
expect_exit 0 "$M" write "$E/a1" -P <"$D/odd"
expect_grep 'BYTES="1234567" ENGINE="sendfile" DEPTH="1"' "$WORK/out"
cmp "$D/odd" "$E/a1" || fail "sendfile copy differs"
expect_exit 0 "$M" write "$E/a2" -o BYTES,ENGINE,SYNCED -J --engine pwrite <"$E/src"
expect_grep '"engine": "pwrite"' "$WORK/out"
cmp "$E/src" "$E/a2" || fail "pwrite copy differs"
rm "$E/a2"
expect_exit 0 "$M" write "$E/a2" -o ENGINE,SYNCED -P --no-sync <"$E/odd"
expect_grep 'ENGINE="copy_file_range" SYNCED="0"' "$WORK/out"
cmp "$E/odd" "$E/a2" || fail "--no-sync copy differs"
# a depth asks for io_uring
expect_exit 0 "$M" write "$E/a3" -P --queue-depth 2 <"$E/src"
expect_grep "BYTES=\"$((24 << 20))\" ENGINE=\"uring\" DEPTH=\"2\"" "$WORK/out"
cmp "$E/src" "$E/a3" || fail "uring copy differs"
rm -f "$E"/a*

# --- a file on stdin mostly not in the page cache: read with O_DIRECT
# into the buffers, written through the page cache with io_uring (not
# copy_file_range, which would cache the input too); stdin is left at the
# end of what was read. (coreutils: iflag=nocache count=0 drops a file's
# clean pages.)
uncache() { dd if="$1" iflag=nocache count=0 status=none || fail "dd nocache $1"; }
sync "$E/src" "$E/odd"
uncache "$E/src"
{ "$M" write "$E/a" -P >"$WORK/out" && cat >"$WORK/rest"; } <"$E/src" || fail "cold copy"
expect_grep "BYTES=\"$((24 << 20))\" ENGINE=\"uring\"" "$WORK/out"
[ "$(fincore -n -b -o RES "$E/src" | tr -d " ")" = 0 ] || fail "the cold input was cached: $(fincore "$E/src")"
cmp "$E/src" "$E/a" || fail "cold copy differs"
[ ! -s "$WORK/rest" ] || fail "stdin not left at the end after a cold copy"
# an odd length (the tail read short at the end of the file)
uncache "$E/odd"
expect_exit 0 "$M" write "$E/a1" -P <"$E/odd"
expect_grep 'BYTES="1234567" ENGINE="uring"' "$WORK/out"
cmp "$E/odd" "$E/a1" || fail "cold odd copy differs"
# from an aligned position: the rest, read with O_DIRECT; from an
# unaligned one the page cache (copy_file_range)
for skip in 4096 1000; do
	rm -f "$E/a2"
	uncache "$E/src"
	{ dd bs=$skip count=1 of=/dev/null status=none &&
		"$M" write "$E/a2" -P >"$WORK/out"; } <"$E/src" || fail "cold copy after $skip bytes"
	cmp "$E/a2" <(tail -c +$((skip + 1)) "$E/src") || fail "cold copy after $skip bytes differs"
	case $skip in
	4096) expect_grep "BYTES=\"$(((24 << 20) - 4096))\" ENGINE=\"uring\"" "$WORK/out" ;;
	*) expect_grep "BYTES=\"$(((24 << 20) - 1000))\" ENGINE=\"copy_file_range\"" "$WORK/out" ;;
	esac
done
rm -f "$E"/a*

# --- a pipe: spliced, whatever the cut of the producer's writes
cat "$D/src" | "$M" write "$E/p" -P >"$WORK/out" || fail "pipe"
expect_grep "BYTES=\"$((24 << 20))\" ENGINE=\"splice\" DEPTH=\"1\"" "$WORK/out"
cmp "$D/src" "$E/p" || fail "spliced copy differs"
for bs in 1 4093 65537; do
	rm -f "$E/p"
	dd if="$D/odd" bs=$bs status=none | "$M" write "$E/p" -q ||
		fail "pipe written in pieces of $bs"
	cmp "$D/odd" "$E/p" || fail "spliced copy of pieces of $bs differs"
done
# zeros, as from /dev/zero, and an odd length
rm -f "$E/p"
head -c 3333333 /dev/zero | "$M" write "$E/p" -P >"$WORK/out" || fail "zeros"
expect_grep 'BYTES="3333333" ENGINE="splice"' "$WORK/out"
[ "$(stat -c %s "$E/p")" = 3333333 ] || fail "zeros: size $(stat -c %s "$E/p")"
cmp -n 3333333 "$E/p" /dev/zero || fail "zeros: content"
# other depths, chunks and engines on a pipe
for args in "--queue-depth 1" "--queue-depth 32 --chunk 64K" "--chunk 4K" \
	"--engine pwrite"; do
	rm -f "$E/p"
	cat "$D/odd" | "$M" write "$E/p" $args -q || fail "pipe with $args"
	cmp "$D/odd" "$E/p" || fail "pipe copy with $args differs"
done

# --- an offset inside an existing file: the rest is kept, unless --truncate
for how in file pipe; do
	cp "$D/src" "$E/b"
	if [ $how = file ]; then
		expect_exit 0 "$M" write "$E/b" --offset 1M -q <"$E/odd"
	else
		cat "$D/odd" | "$M" write "$E/b" --offset 1M -q || fail "pipe --offset"
	fi
	[ "$(stat -c %s "$E/b")" = $((24 << 20)) ] || fail "$how: write truncated the file"
	cmp -n $((1 << 20)) "$D/src" "$E/b" || fail "$how: bytes before the offset changed"
	cmp -i $((1 << 20)):0 -n 1234567 "$E/b" "$D/odd" || fail "$how: data at the offset"
	cmp -i $((1048576 + 1234567)) "$D/src" "$E/b" || fail "$how: bytes after the data changed"
	if [ $how = file ]; then
		expect_exit 0 "$M" write "$E/b" --offset 1M --truncate -q <"$E/odd"
	else
		cat "$D/odd" | "$M" write "$E/b" --offset 1M --truncate -q ||
			fail "pipe --truncate"
	fi
	[ "$(stat -c %s "$E/b")" = $((1048576 + 1234567)) ] || fail "$how: --truncate size"
	cmp -i $((1 << 20)):0 "$E/b" "$D/odd" || fail "$how: data after --truncate"
done

# --- an offset past EOF: a sparse gap (documented), zeros when read
for how in file pipe uring; do
	rm -f "$E/sparse"
	case $how in
	file) "$M" write "$E/sparse" --offset 1G -P <"$E/odd" >"$WORK/out" ;;
	pipe) cat "$D/odd" | "$M" write "$E/sparse" --offset 1G -P >"$WORK/out" ;;
	uring) "$M" write "$E/sparse" --offset 1G --queue-depth 4 -P <"$E/odd" >"$WORK/out" ;;
	esac || fail "$how: write past EOF"
	expect_grep 'OFFSET="1073741824" BYTES="1234567"' "$WORK/out"
	[ "$(stat -c %s "$E/sparse")" = $((1073741824 + 1234567)) ] || fail "$how: sparse size"
	[ "$(du -k "$E/sparse" | cut -f1)" -lt 4096 ] || fail "$how: the gap was allocated: $(du -k "$E/sparse")"
	cmp -n $((8 << 20)) "$E/sparse" /dev/zero || fail "$how: gap does not read as zeros"
	cmp -i 1073741824:0 "$E/sparse" "$D/odd" || fail "$how: data past the gap"
done
rm -f "$E/sparse" "$E/b" "$E/p"

# --- O_DIRECT on ext4: unaligned offset and length, head and tail buffered
expect_exit 0 "$M" write "$E/d" --direct --offset 1000 -P -o BYTES,DIRECT,ENGINE <"$E/odd"
direct=$(field DIRECT)
[ "$direct" -gt 1000000 ] && [ "$direct" -lt 1234567 ] || fail "DIRECT=$direct"
expect_grep 'ENGINE="uring"' "$WORK/out"
cmp -i 1000:0 "$E/d" "$D/odd" || fail "--direct data"
[ "$(stat -c %s "$E/d")" = $((1000 + 1234567)) ] || fail "--direct size"
cat "$D/odd" | "$M" write "$E/d1" --direct --offset 1000 -q || fail "--direct from a pipe"
cmp -i 1000:0 "$E/d1" "$D/odd" || fail "--direct pipe data"
[ "$(stat -c %s "$E/d1")" = $((1000 + 1234567)) ] || fail "--direct pipe size"
expect_exit 0 "$M" write "$E/d2" --direct --engine pwrite -q <"$E/src"
cmp "$E/d2" "$E/src" || fail "--direct pwrite data"
# inside an existing file: the size stays, the rest is kept
cp "$E/src" "$E/d3"
expect_exit 0 "$M" write "$E/d3" --direct --offset 4096 -q <"$E/odd"
[ "$(stat -c %s "$E/d3")" = $((24 << 20)) ] || fail "--direct changed the size"
cmp -i 4096:4096 -n 1234567 "$E/d3" "$E/src" >/dev/null && fail "--direct wrote nothing"
cmp -i 4096:0 -n 1234567 "$E/d3" "$D/odd" || fail "--direct data inside"
cmp -i $((4096 + 1234567)) "$E/d3" "$E/src" || fail "--direct: bytes after changed"
rm -f "$E"/d*

# --- drop-behind: the page cache does not keep the file, whatever the engine
if command -v fincore >/dev/null; then
	res() { fincore -rnb -o RES "$1" | tr -d ' '; }
	expect_exit 0 "$M" write "$E/nodrop" -q <"$E/src"
	note "page cache after write without --drop-behind: $(res "$E/nodrop") bytes"
	[ "$(res "$E/nodrop")" -gt $(((24 << 20) / 2)) ] ||
		note "cache dropped even without --drop-behind (memory pressure?)"
	for how in file pipe uring; do
		rm -f "$E/drop"
		case $how in
		file) "$M" write "$E/drop" --drop-behind -P <"$E/src" >"$WORK/out" ;;
		pipe) cat "$D/src" | "$M" write "$E/drop" --drop-behind -P >"$WORK/out" ;;
		uring) "$M" write "$E/drop" --drop-behind --queue-depth 2 -P <"$E/src" >"$WORK/out" ;;
		esac || fail "$how: --drop-behind"
		note "$how: $(field ENGINE): $(res "$E/drop") bytes cached with --drop-behind"
		[ "$(res "$E/drop")" -lt $(((24 << 20) / 10)) ] ||
			fail "$how: --drop-behind left $(res "$E/drop") bytes cached"
		cmp "$E/drop" "$D/src" || fail "$how: --drop-behind data"
	done
	rm -f "$E/drop" "$E/nodrop"
fi

# --- a full file system: exit 3 and a message, with each engine; with
# --direct and a file on stdin nothing is written at all (preallocated)
SDEV=$(mkloop 16)
mkext4 "$SDEV" -m 0
S=$WORK/small
mountat "$SDEV" "$S"
for how in splice file sendfile uring pwrite direct-pipe; do
	rm -f "$S/full"
	case $how in
	splice) cat "$D/src" | "$M" write "$S/full" ;;
	file) "$M" write "$S/full" <"$E/src" ;;
	sendfile) "$M" write "$S/full" <"$D/src" ;;
	uring) "$M" write "$S/full" --queue-depth 4 <"$E/src" ;;
	pwrite) "$M" write "$S/full" --engine pwrite <"$E/src" ;;
	direct-pipe) cat "$D/src" | "$M" write "$S/full" --direct ;;
	esac >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ $rc = 3 ] || { cat "$WORK/err" >&2; fail "$how: full file system: exit $rc, expected 3"; }
	expect_grep "^mmapwin: $S/full: no space left on device after [1-9][0-9]* bytes; free space and retry$" "$WORK/err"
done
printf 'keep' >"$S/full"
expect_exit 3 "$M" write "$S/full" --direct --offset 8192 <"$E/src"
expect_grep "^mmapwin: $S/full: no space left on device after 0 bytes; free space and retry$" "$WORK/err"
[ "$(cat "$S/full")" = keep ] || fail "--direct on a full disk changed the file"
for eng in uring pwrite; do
	expect_exit 3 "$M" write /dev/full --engine $eng <"$D/odd"
	expect_grep 'mmapwin: /dev/full: no space left on device after 0 bytes' "$WORK/err"
done
umount "$S"

# --- io_uring disabled by the sysctl: the kernel's copies need none;
# io_uring falls back to pwrite with a notice
old=$(sysctl -n kernel.io_uring_disabled 2>/dev/null) || skip "no kernel.io_uring_disabled"
at_exit "sysctl -q kernel.io_uring_disabled=$old"
sysctl -q kernel.io_uring_disabled=2 || fail "cannot set kernel.io_uring_disabled"
"$M" write "$E/f" -P <"$E/odd" >"$WORK/out" 2>"$WORK/err"
rc1=$?
cat "$D/odd" | "$M" write "$E/f1" -P >"$WORK/out1" 2>"$WORK/err1"
rc2=$?
"$M" write "$E/f2" -P --queue-depth 4 <"$E/odd" >"$WORK/out2" 2>"$WORK/err2"
rc3=$?
uncache "$E/odd"
"$M" write "$E/f3" -P <"$E/odd" >"$WORK/out3" 2>"$WORK/err3"
rc4=$?
sysctl -q kernel.io_uring_disabled="$old"
[ $rc1 = 0 ] && [ $rc2 = 0 ] && [ $rc3 = 0 ] && [ $rc4 = 0 ] ||
	{ cat "$WORK"/err* >&2; fail "write with io_uring disabled exited $rc1 $rc2 $rc3 $rc4"; }
# a cold file is read into the buffers (O_DIRECT): written with pwrite
expect_grep 'io_uring unavailable \(io_uring_queue_init: Operation not permitted\); writing with pwrite' "$WORK/err3"
expect_grep 'ENGINE="pwrite"' "$WORK/out3"
expect_grep 'ENGINE="copy_file_range"' "$WORK/out"
expect_grep 'ENGINE="splice"' "$WORK/out1"
[ ! -s "$WORK/err" ] && [ ! -s "$WORK/err1" ] || fail "a notice without io_uring in use"
expect_grep 'io_uring unavailable \(io_uring_queue_init: Operation not permitted\); writing with pwrite' "$WORK/err2"
expect_grep 'ENGINE="pwrite"' "$WORK/out2"
for f in f f1 f2 f3; do cmp "$E/$f" "$D/odd" || fail "io_uring disabled: $f differs"; done

# --- stdin closed, a directory, or cut short by a dying producer
expect_exit 3 "$M" write "$E/c" <&-
expect_grep '^mmapwin: stdin: not open \(Bad file descriptor\); pipe or redirect the data into mmapwin write$' "$WORK/err"
expect_exit 3 "$M" write "$E/c" <"$D"
expect_grep '^mmapwin: stdin: Is a directory; 0 bytes were written$' "$WORK/err"
(head -c 3000000 "$D/src"; kill -KILL $BASHPID; cat "$D/src") |
	"$M" write "$E/c" -P >"$WORK/out" 2>"$WORK/err" || fail "cut-short stdin"
expect_grep 'BYTES="3000000" ENGINE="splice"' "$WORK/out"
cmp "$E/c" <(head -c 3000000 "$D/src") || fail "cut-short data"

# --- --progress: a status line on a terminal, nothing when not a terminal
expect_exit 0 "$M" write "$E/pg" --progress -q <"$E/odd"
[ ! -s "$WORK/err" ] || fail "--progress wrote to a non-terminal stderr"
if command -v script >/dev/null; then
	script -qec "'$M' write '$E/pg' --progress -q <'$E/src'" /dev/null >"$WORK/tty" ||
		fail "write --progress on a terminal"
	expect_grep 'pg: 24\.0 of 24\.0 MiB \(100%\), [0-9.]+ MiB/s' "$WORK/tty"
	script -qec "cat '$E/src' | '$M' write '$E/pg' --progress -q" /dev/null >"$WORK/tty" ||
		fail "write --progress from a pipe on a terminal"
	expect_grep 'pg: 24\.0 MiB, [0-9.]+ MiB/s' "$WORK/tty"
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
echo "write: engines, pipes, files, zeros, offsets, hole, O_DIRECT, drop-behind, full disk, fallback, stdin faults"
