#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj auto on the host's real vm.swappiness (saved first, restored in a
# trap, checked unchanged at the end): --once applies one step, the loop
# records the original in the state file, logs changes and restores on
# SIGTERM/SIGINT, and "swapadj restore" recovers after a SIGKILL. The
# rule's arithmetic is checked exactly on a fake root. A reader of its log
# that goes away (auto | head) must not kill it between a change and the
# restore.
. "$(dirname "$0")/lib.sh"
need_root
swapadj_env
v=$((orig == 17 ? 18 : 17))
is_value() { [ "$(swp)" = "$1" ]; }

# --once on the host: min = max pins the result whatever the load.
expect_exit 0 "$SA" auto --once --interval 0.2 --min $v --max $v
expect_grep "^$orig (→|->) $v +base 10 \+ \(1 - [0-9.]+\) x 30 = [0-9]+; read-in [0-9.]+ KiB/s (<=|>) 2000 KiB/s: \+(0|10); clamp $v..$v" "$WORK/out"
[ "$(swp)" = $v ] || fail "auto --once: kernel has $(swp), expected $v"
[ ! -e $ST ] || fail "--once left a state file"
# --once leaves no state: the undo is a set.
expect_exit 0 "$SA" set "$orig"
[ "$(swp)" = "$orig" ] || fail "set $orig after auto --once: kernel has $(swp)"
expect_exit 0 "$SA" auto --once --interval 0.2 --min $v --max $v --dry-run
expect_grep "dry run: nothing written" "$WORK/err"
[ "$(swp)" = "$orig" ] || fail "auto --dry-run wrote $(swp)"

# The rule on a fake root: MemAvailable 50% -> 10 + 0.5 x 30 = 25, no
# read-in (pgpgin does not move), default clamp 10..60.
F=$WORK/root
fake_root $F 60 1000000 500000 12345
expect_exit 0 "$SA" auto --once --interval 0.1 --sysroot $F -o OLD,NEW,AVAIL,READIN -rn
[ "$(cat "$WORK/out")" = "60 25 50.0 0.0" ] || fail "fake auto: $(cat "$WORK/out")"
[ "$(cat $F/proc/sys/vm/swappiness)" = 25 ] || fail "fake value $(cat $F/proc/sys/vm/swappiness)"
# Almost no memory available: 10 + 30 = 40; clamped by --max 35.
fake_meminfo $F 1000000 0
expect_exit 0 "$SA" auto --once --interval 0.1 --sysroot $F --max 35
expect_grep "^25 (→|->) 35 +base 10 \+ \(1 - 0.000\) x 30 = 40; .*clamp 10..35 \(lowered to max\)" "$WORK/out"

# Bad input.
expect_exit 2 "$SA" auto --min 50 --max 40
expect_grep "^swapadj: --min 50 is above --max 40\$" "$WORK/err"
expect_exit 2 "$SA" auto --max 201
expect_grep "^swapadj: --max '201': out of range 0-200\$" "$WORK/err"
echo 5.4.0 >$F/proc/sys/kernel/osrelease
expect_exit 2 "$SA" auto --once --sysroot $F --max 150
expect_grep "^swapadj: --max 150: out of range 0-100 for this kernel\$" "$WORK/err"
expect_exit 2 "$SA" auto --interval 0
expect_grep "^swapadj: --interval '0': not a positive number of seconds\$" "$WORK/err"
expect_exit 2 "$SA" auto --interval soon
expect_grep "^swapadj: --interval 'soon': not a positive number of seconds\$" "$WORK/err"
expect_exit 2 "$SA" auto --once --interval 0.1 --min $v --max $v -o NOPE
expect_grep "^swapadj: unknown column 'NOPE' \(see --help\)\$" "$WORK/err"
[ "$(swp)" = "$orig" ] || fail "auto --once with a bad column wrote $(swp)"
expect_exit 2 "$SA" auto now
expect_grep "^swapadj: auto: takes no arguments\$" "$WORK/err"
[ "$(swp)" = "$orig" ] || fail "rejected autos changed the value: $(swp)"

# The loop: change logged, original recorded, restored on SIGTERM and
# SIGINT.
for sig in TERM INT; do
	"$SA" auto --interval 0.2 --min $v --max $v >"$WORK/log" 2>&1 &
	p=$!
	pids+=($p)
	wait_for is_value $v
	wait_for test -e $ST
	grep -q "^original $orig\$" $ST || fail "state: $(cat $ST)"
	grep -q "^owner $p [0-9]* $v -\$" $ST || fail "state: $(cat $ST)"
	kill -$sig $p
	wait $p
	rc=$?
	[ $rc -eq 0 ] || fail "auto after SIG$sig: exit $rc"
	[ "$(swp)" = "$orig" ] || fail "SIG$sig: not restored: $(swp)"
	[ ! -e $ST ] || fail "SIG$sig: state file left"
	expect_grep "^[0-9-]+T[0-9:]+Z vm.swappiness $orig (→|->) $v: MemAvailable [0-9.]+%, read-in [0-9.]+ KiB/s\$" "$WORK/log"
	expect_grep "^[0-9-]+T[0-9:]+Z vm.swappiness $v (→|->) $orig: restored\$" "$WORK/log"
	[ "$(grep -c 'vm.swappiness' "$WORK/log")" -eq 2 ] || fail "auto wrote more than on change: $(cat "$WORK/log")"
done

# A run started while auto runs is the newer owner: its value holds for
# the command's duration, auto's comes back after it, then the original.
v2=$((orig == 29 ? 31 : 29))
"$SA" auto --interval 0.2 --min $v --max $v >"$WORK/log" 2>&1 &
p=$!
pids+=($p)
wait_for is_value $v
wait_for test -e $ST
expect_exit 0 "$SA" run --swappiness $v2 -- sh -c "sleep 1.5; cat $SW"
[ "$(cat "$WORK/out")" = $v2 ] || fail "auto overrode a newer run: the command saw $(cat "$WORK/out"), expected $v2"
[ "$(swp)" = $v ] || fail "after the run: $(swp), expected auto's $v"
kill -TERM $p
wait $p
[ "$(swp)" = "$orig" ] || fail "auto with a run: not restored: $(swp)"
[ ! -e $ST ] || fail "auto with a run: state left: $(cat $ST)"
[ "$(grep -c 'vm.swappiness' "$WORK/log")" -eq 2 ] || fail "auto logged changes it did not make: $(cat "$WORK/log")"

# SIGKILL: the state file survives and restore recovers.
"$SA" auto --interval 0.2 --min $v --max $v >/dev/null 2>&1 &
p=$!
pids+=($p)
wait_for is_value $v
wait_for test -e $ST
kill -9 $p
wait $p
[ "$(swp)" = $v ] || fail "after SIGKILL: $(swp)"
expect_exit 0 "$SA" restore
expect_grep "^$v (→|->) $orig +applied\$" "$WORK/out"
[ "$(swp)" = "$orig" ] || fail "restore after SIGKILL of auto: $(swp)"
[ ! -e $ST ] || fail "state left after restore"

# Its stdout a pipe whose reader is gone: the log line after a change
# must not kill auto (SIGPIPE) and leave the change behind. On a fake
# root: 60 -> 25, then 40 after MemAvailable drops (auto still runs),
# then 60 again on SIGTERM.
fake_meminfo $F 1000000 500000
echo 6.18.0 >$F/proc/sys/kernel/osrelease
echo 60 >$F/proc/sys/vm/swappiness
fake_is() { [ "$(cat $F/proc/sys/vm/swappiness)" = "$1" ]; }
: >"$WORK/pid"
( "$SA" --sysroot $F auto --interval 0.1 2>"$WORK/err" &
	echo $! >"$WORK/pid"
	wait ) | true &
wait_for test -s "$WORK/pid"
p=$(cat "$WORK/pid")
pids+=($p)
wait_for fake_is 25
fake_meminfo $F 1000000 0
wait_for fake_is 40
kill -0 $p 2>/dev/null || fail "auto died when its log reader went away"
kill -TERM $p
for ((i = 0; i < 100; i++)); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
kill -0 $p 2>/dev/null && fail "auto still runs 10 s after SIGTERM"
fake_is 60 || fail "auto with a gone log reader: not restored: $(cat $F/proc/sys/vm/swappiness)"
[ ! -e $F/run/swapadj.state ] || fail "auto with a gone log reader: state left: $(cat $F/run/swapadj.state)"
[ "$(swp)" = "$orig" ] || fail "host value $(swp), expected $orig"
