#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 during a long `patch --undo` (200 MiB into a 256 MiB file through
# 1 MiB windows), at several points; `mmapwin undo` must then restore the
# original checksum every time, and the journal must hold no more records
# than windows were started.
. "$(dirname "$0")/lib.sh"
M=$B/mmapwin
[ -x "$M" ] || fail "$M not built"
need_cmd sha256sum

cd "$WORK" || fail "cd"
head -c $((256 << 20)) /dev/urandom >orig
head -c $((200 << 20)) /dev/urandom >data
want=$(sha256sum <orig | cut -d' ' -f1)
hdr=$((96 + ${#WORK} + 7)) # header + "$WORK/target"
rec=$((24 + (1 << 20)))
off=$((3 * 1024 * 1024 + 1))

# records_in JOURNAL: complete records so far (by size).
records_in() {
	local sz
	sz=$(stat -c %s "$1" 2>/dev/null) || sz=0
	[ "$sz" -ge "$hdr" ] || { echo 0; return; }
	echo $(((sz - hdr) / rec))
}

killed=0
for at in 1 7 60 150; do
	cp orig target
	rm -f undo
	"$M" patch target $off --from data --window 1M --undo undo -q &
	pid=$!
	while [ "$(records_in undo)" -lt "$at" ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.01
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	n=$(records_in undo)
	[ "$rc" -eq 0 ] || [ "$rc" -eq 137 ] || fail "patch exited $rc"
	if [ "$rc" -ne 137 ]; then
		note "patch finished before the kill at $at records (rc $rc)"
		continue
	fi
	killed=$((killed + 1))
	note "killed after $n records"
	[ "$(sha256sum <target | cut -d' ' -f1)" != "$want" ] ||
		note "target unchanged at the kill"
	expect_exit 0 "$M" undo undo -o RECORDS -n
	# Every record appended was restored (a torn one is never applied).
	[ "$(tr -d ' ' <"$WORK/out")" -ge "$n" ] || fail "records $(cat "$WORK/out") < $n"
	got=$(sha256sum <target | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "undo after kill at $at records: checksum differs"
	[ "$(stat -c %s target)" = $((256 << 20)) ] || fail "size changed"
	# And once more: idempotent.
	expect_exit 0 "$M" undo undo -q
	[ "$(sha256sum <target | cut -d' ' -f1)" = "$want" ] || fail "second undo"
done
[ "$killed" -gt 0 ] || skip "every patch finished before it could be killed (machine too fast)"

# A run that completes is undone as well.
cp orig target
rm -f undo
expect_exit 0 "$M" patch target $off --from data --window 1M --undo undo -o WINDOWS,RECORDS -n
expect_grep '^ *201 +201$' "$WORK/out"
cmp -s <(tail -c +$((3 * 1024 * 1024 + 2)) target | head -c $((200 << 20))) data ||
	fail "patched bytes differ from the data"
expect_exit 0 "$M" undo undo -o RECORDS,BYTES -n
expect_grep '^ *201 +209715200$' "$WORK/out"
[ "$(sha256sum <target | cut -d' ' -f1)" = "$want" ] || fail "undo after a full run"
exit 0
