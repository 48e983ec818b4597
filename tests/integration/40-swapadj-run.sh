#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj run and restore on the host's real vm.swappiness (saved first,
# restored in a trap, checked unchanged at the end): the command sees the
# value, its exit status (or 128+signal) becomes swapadj's, signals are
# forwarded, overlapping runs restore the first one's original, SIGKILL of
# swapadj is recovered by "swapadj restore", a stale state file is used and
# a live owner's is not overridden.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd setpriv
need_cmd unshare
swapadj_env
v1=$((orig == 13 ? 14 : 13))
v2=$((orig == 27 ? 28 : 27))

# The command runs with the value; the original comes back after.
expect_exit 0 "$SA" run --swappiness $v1 -- cat $SW
[ "$(cat "$WORK/out")" = $v1 ] || fail "command saw $(cat "$WORK/out"), expected $v1"
[ "$(swp)" = "$orig" ] || fail "not restored after run: $(swp)"
[ ! -e $ST ] || fail "state file left after a clean run"
# Options after the command are the command's own.
expect_exit 0 "$SA" run --swappiness $v1 echo -n --swappiness
[ "$(cat "$WORK/out")" = "--swappiness" ] || fail "run ate the command's options"
# ... --sysroot too: the change is made on the host, not in that tree.
mkdir -p "$WORK/other/proc/sys/vm" "$WORK/other/run"
echo 60 >"$WORK/other/proc/sys/vm/swappiness"
expect_exit 0 "$SA" run --swappiness $v1 sh -c "cat $SW" --sysroot "$WORK/other"
[ "$(cat "$WORK/out")" = $v1 ] || fail "command saw $(cat "$WORK/out"): run took the command's --sysroot"
[ "$(swp)" = "$orig" ] || fail "not restored after run: $(swp)"

# Common options before the subcommand: this --sysroot is swapadj's, the
# one after COMMAND stays the command's.
expect_exit 0 "$SA" --sysroot "$WORK/other" run --swappiness 7 -- sh -c "echo \$(cat $WORK/other/proc/sys/vm/swappiness) \$(cat $SW)" --sysroot /
[ "$(cat "$WORK/out")" = "7 $orig" ] || fail "--sysroot before run: the command saw $(cat "$WORK/out")"
[ "$(cat "$WORK/other/proc/sys/vm/swappiness")" = 60 ] || fail "--sysroot run: fake not restored"
[ "$(swp)" = "$orig" ] || fail "--sysroot run changed the host: $(swp)"
expect_exit 0 "$SA" -v run --swappiness $v1 -- cat $SW
[ "$(cat "$WORK/out")" = $v1 ] || fail "-v before run: command saw $(cat "$WORK/out")"
expect_grep "^swapadj: vm.swappiness $orig (→|->) $v1 \(original $orig recorded in /run/swapadj.state\)\$" "$WORK/err"
expect_exit 0 "$SA" --dry-run run --swappiness $v1 -- false
expect_grep "^vm.swappiness $orig (→|->) $v1 for the command\$" "$WORK/out"
expect_grep "^would run: false\$" "$WORK/out"
[ "$(swp)" = "$orig" ] || fail "--dry-run run changed the value: $(swp)"

# Exit status of the command, or 128+signal.
expect_exit 5 "$SA" run --swappiness $v1 -- sh -c 'exit 5'
expect_exit 143 "$SA" run --swappiness $v1 -- sh -c 'kill -TERM $$'
[ "$(swp)" = "$orig" ] || fail "not restored after a killed command"

# Bad input.
expect_exit 127 "$SA" run --swappiness $v1 -- swapadj-no-such-command
expect_grep "^swapadj: swapadj-no-such-command: command not found\$" "$WORK/err"
[ "$(swp)" = "$orig" ] || fail "not restored after exit 127"
expect_exit 126 "$SA" run --swappiness $v1 -- /etc/passwd
expect_grep "^swapadj: /etc/passwd: Permission denied\$" "$WORK/err"
expect_exit 2 "$SA" run --swappiness $v1
expect_grep "^swapadj: run: no COMMAND given" "$WORK/err"
expect_exit 2 "$SA" run --swappiness $v1 --
expect_grep "^swapadj: run: no COMMAND given" "$WORK/err"
expect_exit 2 "$SA" run --swappiness 201 -- true
expect_grep "^swapadj: --swappiness 201: out of range 0-200" "$WORK/err"
expect_exit 2 "$SA" run --swappiness ten -- true
expect_grep "^swapadj: --swappiness 'ten': not a number" "$WORK/err"
expect_exit 2 "$SA" run --memory-max 10X -- true
expect_grep "^swapadj: --memory-max '10X': not a size \(bytes, or a K, M, G, T or P suffix\)" "$WORK/err"
expect_exit 2 "$SA" run --swap-max 1.5G -- true
expect_grep "^swapadj: --swap-max '1.5G': not a size" "$WORK/err"
expect_exit 3 setpriv --reuid=nobody --regid=nogroup --clear-groups "$SA" run --swappiness $v1 -- true
expect_grep "^swapadj: /run/swapadj.lock: Permission denied \(run as root\)" "$WORK/err"
# A missing memory controller (a fake root with v2 but no memory): exit 4.
F=$WORK/root
mkdir -p $F/proc/self $F/proc/sys/vm $F/proc/sys/kernel $F/run $F/sys/fs/cgroup/memory
echo 60 >$F/proc/sys/vm/swappiness
echo 6.18.0 >$F/proc/sys/kernel/osrelease
echo '0::/' >$F/proc/self/cgroup
echo 'cpu io pids' >$F/sys/fs/cgroup/cgroup.controllers
expect_exit 4 "$SA" run --sysroot $F --memory-max 64M -- true
expect_grep "^swapadj: cgroup: no memory controller mounted \(looked for cgroup v2 at /sys/fs/cgroup and /sys/fs/cgroup/unified, cgroup v1 at /sys/fs/cgroup/memory\)\$" "$WORK/err"
[ ! -e $F/run/swapadj.state ] || fail "state written for a refused run"
# A read-only /proc/sys (as in most containers): the value refuses, not
# the state file; exit 3, nothing left behind.
expect_exit 3 unshare -m sh -c "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec \"$SA\" run --swappiness $v1 -- true"
expect_grep "^swapadj: /proc/sys/vm/swappiness: Read-only file system \(mounted read-only here" "$WORK/err"
[ ! -e $ST ] || fail "state left by a refused run: $(cat $ST)"
[ "$(swp)" = "$orig" ] || fail "value changed by rejected runs: $(swp)"

# Signals sent to swapadj reach the command; its status is swapadj's.
"$SA" run --swappiness $v1 -- sh -c "trap 'exit 42' TERM; touch $WORK/ready; while :; do sleep 0.1; done" &
p=$!
pids+=($p)
wait_for test -e "$WORK/ready"
[ "$(swp)" = $v1 ] || fail "value during run: $(swp)"
kill -TERM $p
wait $p
rc=$?
[ $rc -eq 42 ] || fail "forwarded SIGTERM: exit $rc, expected 42"
[ "$(swp)" = "$orig" ] || fail "not restored after SIGTERM: $(swp)"
# A signal ignored when swapadj starts (nohup) stays ignored, in swapadj
# and in the command, as across a shell's exec.
expect_exit 0 sh -c "trap '' HUP; exec \"$SA\" run --swappiness $v1 -- sh -c 'kill -HUP \$PPID; kill -HUP \$\$; sleep 0.5; echo alive'"
[ "$(cat "$WORK/out")" = alive ] || fail "ignored SIGHUP: $(cat "$WORK/out")"
[ "$(swp)" = "$orig" ] || fail "not restored after an ignored SIGHUP: $(swp)"

# Overlapping runs: the last one out restores the value the first found.
# A child waits for its stop file.
waiter() { echo "touch $WORK/up.$1; while [ ! -e $WORK/stop.$1 ]; do sleep 0.1; done"; }
overlap() { # overlap FIRST_TO_STOP
	rm -f "$WORK"/up.* "$WORK"/stop.*
	"$SA" run --swappiness $v1 -- sh -c "$(waiter a)" &
	pa=$!
	wait_for test -e "$WORK/up.a"
	"$SA" run --swappiness $v2 -- sh -c "$(waiter b)" &
	pb=$!
	pids+=($pa $pb)
	wait_for test -e "$WORK/up.b"
	[ "$(swp)" = $v2 ] || fail "second run: $(swp), expected $v2"
	grep -q "^original $orig\$" $ST || fail "state: $(cat $ST)"
	[ "$(grep -c '^owner ' $ST)" = 2 ] || fail "state: $(cat $ST)"
	if [ "$1" = a ]; then
		touch "$WORK/stop.a"
		wait $pa || fail "run a failed"
		# b is still running: its value stays.
		[ "$(swp)" = $v2 ] || fail "a left first: $(swp), expected $v2"
		touch "$WORK/stop.b"
		wait $pb || fail "run b failed"
	else
		touch "$WORK/stop.b"
		wait $pb || fail "run b failed"
		# a is still running: its value comes back.
		[ "$(swp)" = $v1 ] || fail "b left first: $(swp), expected $v1"
		touch "$WORK/stop.a"
		wait $pa || fail "run a failed"
	fi
	[ "$(swp)" = "$orig" ] || fail "after both runs: $(swp), expected $orig"
	[ ! -e $ST ] || fail "state left: $(cat $ST)"
}
overlap a
overlap b

# SIGKILL of swapadj mid-run. swapadj cannot restore anything; the
# command gets SIGTERM (PR_SET_PDEATHSIG) so it never runs on without the
# change it asked for, and "swapadj restore" puts the original back.
sa_sleeper run --swappiness $v1 -- sleep 30
[ "$(swp)" = $v1 ] || fail "value during run: $(swp)"
grep -q "^owner $p " $ST || fail "state has no owner $p: $(cat $ST)"
kill -9 $p
wait $p
wait_for gone $c
[ "$(swp)" = $v1 ] || fail "value after SIGKILL: $(swp)"
[ -e $ST ] || fail "state file gone after SIGKILL"
expect_exit 0 "$SA" restore
expect_grep "^$v1 (→|->) $orig +applied\$" "$WORK/out"
[ "$(swp)" = "$orig" ] || fail "restore: $(swp), expected $orig"
[ ! -e $ST ] || fail "state left after restore"
expect_exit 0 "$SA" restore
expect_grep "nothing to restore: no /run/swapadj.state" "$WORK/err"

# A killed swapadj whose parent does not reap it stays a zombie: it
# answers kill(pid, 0) but restores nothing, so restore must not wait on it.
sh -c "\"$SA\" run --swappiness $v1 -- sleep 30 & echo \$! >$WORK/zpid; exec sleep 60" &
zp=$!
pids+=($zp)
wait_for test -s "$WORK/zpid"
p=$(cat "$WORK/zpid")
pids+=($p)
wait_for pgrep -P $p sleep >/dev/null
c=$(pgrep -P $p sleep)
pids+=($c)
[ "$(swp)" = $v1 ] || fail "value during run: $(swp)"
kill -9 $p
wait_for gone $c
wait_for sh -c "[ \"\$(awk '{ print \$3 }' /proc/$p/stat)\" = Z ]"
expect_exit 0 "$SA" restore
expect_grep "^$v1 (→|->) $orig +applied\$" "$WORK/out"
[ "$(swp)" = "$orig" ] || fail "restore with a zombie owner: $(swp), expected $orig"
[ ! -e $ST ] || fail "state left after restore: $(cat $ST)"
kill $zp
wait $zp

# A stale state file from a dead process: restore uses it. The file is
# one a run wrote (sealed); its owner, that swapadj, has exited since.
expect_exit 0 "$SA" run --swappiness $v2 -- cp $ST "$WORK/stale"
grep -q "^original $orig\$" "$WORK/stale" || fail "state: $(cat "$WORK/stale")"
echo $v2 >$SW
cp "$WORK/stale" $ST
# A usage error changes nothing.
expect_exit 2 "$SA" restore -o NOPE
expect_grep "^swapadj: unknown column 'NOPE' \(see --help\)\$" "$WORK/err"
[ "$(swp)" = $v2 ] || fail "restore with a bad column restored: $(swp)"
[ -e $ST ] || fail "restore with a bad column removed the state file"
expect_exit 0 "$SA" restore
[ "$(swp)" = "$orig" ] || fail "stale state: $(swp), expected $orig"
[ ! -e $ST ] || fail "stale state file not removed"

# A state file that is not one: refused, named, left alone (cut, sealed
# and FIFO state files: 40-swapadj-state.sh).
echo garbage >$ST
expect_exit 3 "$SA" restore
expect_grep "^swapadj: /run/swapadj.state: no valid end marker \(cut short, or written by an older swapadj\): nothing was changed" "$WORK/err"
expect_exit 3 "$SA" run --swappiness $v1 -- true
expect_grep "^swapadj: /run/swapadj.state: no valid end marker" "$WORK/err"
[ "$(cat $ST)" = garbage ] || fail "a foreign state file was changed"
[ "$(swp)" = "$orig" ] || fail "value changed with a bad state file: $(swp)"
rm -f $ST

# A live owner is not overridden; it restores when it exits.
"$SA" run --swappiness $v2 -- sleep 60 &
live=$!
pids+=($live)
wait_for test -e $ST
wait_for pgrep -P $live sleep >/dev/null
expect_exit 3 "$SA" restore
expect_grep "^swapadj: /run/swapadj.state: owned by running process $live; not overridden" "$WORK/err"
[ "$(swp)" = $v2 ] || fail "a live owner was overridden: $(swp)"
grep -q "^owner $live " $ST || fail "live owner dropped: $(cat $ST)"
kill -TERM $live
wait $live
[ "$(swp)" = "$orig" ] || fail "after the owner exited: $(swp), expected $orig"

[ ! -e $ST ] || fail "state left: $(cat $ST)"
[ "$(swp)" = "$orig" ] || fail "host value $(swp), expected $orig"
