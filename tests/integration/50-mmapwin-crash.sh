#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 during a long `patch --undo` (48 MiB into a 64 MiB file through
# 64 KiB windows, every record fdatasync'ed on ext4), at several points;
# `mmapwin undo` must then restore the original checksum every time, and
# the journal must hold no more records than windows were started.
# The tool is stopped (SIGSTOP) once its journal shows the wanted number
# of records, then killed. A kill point the patch ran past before it
# could be stopped is tried again, at most 5 times; one never hit fails
# the test rather than skip the checks already made.
# The files live on ext4 over a loop device whose image is on a tmpfs.
. "$(dirname "$0")/lib.sh"
root_ns sha256sum
need_tool M mmapwin
D=$WORK/ext4
ext4_loop "$D" 600m 400M
cd "$D" || fail "cd $D"

head -c $((64 << 20)) /dev/urandom >orig
head -c $((48 << 20)) /dev/urandom >data
want=$(sha256sum <orig | cut -d' ' -f1)
hdr=$((96 + ${#D} + 7)) # header + "$D/target"
rec=$((24 + (64 << 10)))
off=$((3 * 1024 * 1024 + 1))
total=$((((48 << 20) + 1 + 65535) / 65536)) # windows (the first is short)

for at in 1 40 300 650; do
	# Stopped once the journal has $at full-window records, then killed.
	interrupt 137 'cp orig target; rm -f undo' \
		'[ "$(records_in undo $hdr $rec)" -ge "$at" ]' \
		'n=$(records_in undo $hdr $rec); kill -9 "$pid"' \
		"$M" patch target $off --from data --window 64K --undo undo -q
	note "killed after $n records (wanted $at of $total)"
	[ "$n" -lt "$total" ] || fail "killed with all $n records written"
	[ "$(sha256sum <target | cut -d' ' -f1)" != "$want" ] ||
		note "target unchanged at the kill"
	expect_exit 0 "$M" undo undo -o RECORDS -n
	# Every record appended was restored (a torn one is never applied),
	# and no more than one per window started.
	got=$(tr -d ' ' <"$WORK/out")
	[ "$got" -ge "$n" ] || fail "records $got < $n"
	[ "$got" -le "$total" ] || fail "records $got > $total windows"
	got=$(sha256sum <target | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "undo after kill at $at records: checksum differs"
	[ "$(stat -c %s target)" = $((64 << 20)) ] || fail "size changed"
	# And once more: idempotent.
	expect_exit 0 "$M" undo undo -q
	[ "$(sha256sum <target | cut -d' ' -f1)" = "$want" ] || fail "second undo"
done

# A run that completes is undone as well.
cp orig target
rm -f undo
expect_exit 0 "$M" patch target $off --from data --window 64K --undo undo -o WINDOWS,RECORDS -n
expect_grep "^ *$total +$total\$" "$WORK/out"
cmp -s <(tail -c +$((off + 1)) target | head -c $((48 << 20))) data ||
	fail "patched bytes differ from the data"
expect_exit 0 "$M" undo undo -o RECORDS,BYTES -n
expect_grep "^ *$total +$((48 << 20))\$" "$WORK/out"
[ "$(sha256sum <target | cut -d' ' -f1)" = "$want" ] || fail "undo after a full run"
echo "crash: kill -9 at 4 points, undo restored the original every time"
