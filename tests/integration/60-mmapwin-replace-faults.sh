#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin replace under faults, for real: a full ext4 (refused up front,
# original intact, no temp file), SIGKILL/SIGTERM at random points of a
# different-length replace (the file is always the old or the new version,
# byte for byte), SIGKILL during a same-length replace with --undo (undo
# gives back the original checksum), and the file truncated by another
# process while it is replaced (an error, no crash). A race the tool wins
# (it finished before the kill, or before it could be stopped) is run
# again, at most 5 times; one never won fails the test, never skips it.
# Images and files live on a tmpfs of a private mount namespace.
. "$(dirname "$0")/lib.sh"
root_ns
need_tool M mmapwin replace

gen() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
		printf "%d user=u%d password=hunter2 k=%d x\n", i, i % 7, i * 7 }'
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
temps() { ls -A "$1" | grep -c 'mmapwin' || true; }

# --- a full file system: refused before anything is written
MNT=$WORK/mnt
ext4_loop "$MNT" 2g 64M "" -m 0
gen 500000 >"$MNT/log" # ~20 MiB
sum=$(sha256sum <"$MNT/log")
dd if=/dev/zero of="$MNT/fill" bs=1M 2>/dev/null # until ENOSPC
sync
expect_exit 3 "$M" replace "$MNT/log" password=hunter2 pw=x
expect_grep 'log: not enough free space for the new version: need [0-9]+ bytes, [0-9]+ available' "$WORK/err"
need=$(sed -n 's/.*need \([0-9]*\) bytes.*/\1/p' "$WORK/err")
[ "$need" -ge $((15 << 20)) ] || fail "need $need bytes is not the new file's size"
[ "$(sha256sum <"$MNT/log")" = "$sum" ] || fail "original changed on a full fs"
[ "$(temps "$MNT")" = 0 ] || fail "temp file left on a full fs: $(ls -A "$MNT")"
# Nothing to replace needs no room: no match, exit 0, nothing written.
expect_exit 0 "$M" replace "$MNT/log" no-such-string x -P
expect_grep 'MATCHES="0"' "$WORK/out"
[ "$(sha256sum <"$MNT/log")" = "$sum" ] || fail "no-match replace changed the file"
# A growing replace that would overflow is refused the same way.
expect_exit 3 "$M" replace "$MNT/log" hunter2 much-longer-secret
expect_grep 'not enough free space' "$WORK/err"
# The same length needs no space at all: done in place.
expect_exit 0 "$M" replace "$MNT/log" hunter2 HUNTER2 -P
expect_grep 'METHOD="in-place"' "$WORK/out"
[ "$(grep -c hunter2 "$MNT/log")" = 0 ] || fail "in-place replace on a full fs"
# With room, the different-length replace goes through.
rm -f "$MNT/fill"
expect_exit 0 "$M" replace "$MNT/log" password=HUNTER2 pw=x -q
umount "$MNT"

# --- SIGKILL (and a few SIGTERM) at random points, different length
D=$T/kill
mkdir -p "$D"
gen 3000000 >"$D/old" # ~120 MiB
LC_ALL=C sed 's/password=hunter2/pw=[redacted]/g' "$D/old" >"$D/new"
cp "$D/old" "$D/f"
t0=$(now_ms)
"$M" replace "$D/f" password=hunter2 'pw=[redacted]' -q || fail "replace"
span=$(($(now_ms) - t0))
span=$((span + span / 5 + 10)) # a few land after the end
cmp "$D/f" "$D/new" || fail "replace result"
olds=0 news=0
for i in $(seq 1 20); do
	cp "$D/old" "$D/f"
	sig=KILL
	[ $((i % 7)) = 0 ] && sig=TERM
	"$M" replace "$D/f" password=hunter2 'pw=[redacted]' -q 2>/dev/null &
	pid=$!
	delay=$((RANDOM % span))
	sleep "$(printf '0.%03d' "$delay")"
	kill -$sig $pid 2>/dev/null
	{ wait $pid; } 2>/dev/null
	if cmp -s "$D/f" "$D/old"; then
		olds=$((olds + 1))
	elif cmp -s "$D/f" "$D/new"; then
		news=$((news + 1))
	else
		fail "SIG$sig after ${delay} ms: the file is neither old nor new"
	fi
	[ "$(temps "$D")" = 0 ] || fail "SIG$sig after ${delay} ms: temp file left: $(ls -A "$D")"
done
note "20 kills over ${span} ms: $olds old, $news new, never mixed"

# --- SIGKILL during a same-length replace with --undo, then undo. The
# tool is killed once its journal has grown past the wanted size; a run
# that finished first is tried again.
gen 1500000 >"$D/u"
sum=$(sha256sum <"$D/u")
# jsize FILE: its size, 0 if there is none.
jsize() { stat -c %s "$1" 2>/dev/null || echo 0; }
# undone JOURNAL: undo what JOURNAL holds, if it is there, and remove it.
undone() {
	[ ! -e "$1" ] || "$M" undo "$1" -q || fail "undo $1"
	rm -f "$1"
}
for want in 100000 1000000 4000000; do
	# A run that finished first is undone before the next try.
	interrupt 137 'undone "$D/u.undo"' '[ "$(jsize "$D/u.undo")" -ge "$want" ]' \
		'kill -KILL $pid' \
		"$M" replace "$D/u" hunter2 HUNTER2 --window 64K --undo "$D/u.undo" -q
	expect_exit 0 "$M" undo "$D/u.undo"
	[ "$(sha256sum <"$D/u")" = "$sum" ] || fail "undo after SIGKILL at $want journal bytes did not restore the checksum"
	rm -f "$D/u.undo"
done

# --- the file truncated by another process while it is replaced
# On tmpfs the whole replace takes a few ms: the tool is stopped (SIGSTOP)
# once its journal shows it is inside the pass, then truncated and resumed,
# as in 50-mmapwin-truncate.sh, instead of hoping a sleep lands in time.
interrupt 3 'gen 400000 >"$D/t"; rm -f "$D/t.undo"' \
	'[ "$(jsize "$D/t.undo")" -gt 65536 ]' 'truncate -s 1M "$D/t"' \
	"$M" replace "$D/t" hunter2 HUNTER2 --window 4K --undo "$D/t.undo"
expect_grep 't: file truncated by another process while replacing' "$WORK/err"
# --- a line appended (a live log) during a different-length replace: the
# rename would drop it, so the replace is refused and the file keeps it.
# The tool is stopped once its temp file is open, the line appended, and
# the tool continued.
interrupt 3 'cp "$D/old" "$D/live"' \
	'ls -l "/proc/$pid/fd" 2>/dev/null | grep -q "mmapwin\|(deleted)"' \
	'echo "late line" >>"$D/live"' \
	"$M" replace "$D/live" password=hunter2 'pw=[redacted]' -q
expect_grep 'live: written by another process while replacing' "$WORK/err"
cmp -s "$D/live" <(cat "$D/old"; echo "late line") || fail "the appended line was lost"
[ "$(temps "$D")" = 0 ] || fail "temp file left after a refused replace: $(ls -A "$D")"
echo "faults: full fs refused, 20 kills old-or-new, undo after kill, truncation, live append"
