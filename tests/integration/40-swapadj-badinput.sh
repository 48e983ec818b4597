#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj bad input and half-done changes, on a fake root (--sysroot) so
# that every case can be checked by reading the fake vm.swappiness back;
# the host's value is still saved and put back at exit. A check whose
# bounds no value can meet, an option given to a subcommand that ignores
# it: exit 2, nothing written. set --persist whose drop-in cannot be
# written: the live value is put back, exit 3. A FIFO among the sysctl.d
# files: reported, never waited on. A kernel that keeps another value
# than the one written (a loop device's nr_requests stands in): exit 3,
# the value found is put back.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd timeout
in_mount_ns "$@"
swapadj_env
F=$WORK/root
fake_root $F 40 1000 500 1
fswp() { cat $F/proc/sys/vm/swappiness; }
n=0 # bad-input cases
# bad STATUS MESSAGE-REGEX ARGS...: swapadj --sysroot $F ARGS exits STATUS
# with MESSAGE on stderr and leaves the fake value as it was.
bad() {
	local st=$1 msg=$2 was
	shift 2
	was=$(fswp)
	expect_exit "$st" timeout -k 2 10 "$SA" --sysroot $F "$@"
	expect_grep "$msg" "$WORK/err"
	[ "$(fswp)" = "$was" ] || fail "'$*' changed the value: $(fswp), was $was"
	n=$((n + 1))
}

# check: bounds no value can meet, no bounds at all.
bad 2 "^swapadj: check: --min 50 is above --max 40; no value can pass\$" check --min 50 --max 40
bad 2 "^swapadj: check: --min 50 is above --max 40; no value can pass\$" check --max 40 --min-available 5 --min 50
bad 2 "^swapadj: check: nothing to check; give --max, --min or --min-available\$" check
bad 2 "^swapadj: check: nothing to check; give --max, --min or --min-available\$" check -v
expect_exit 0 "$SA" --sysroot $F check --min 40 --max 40

# An option the subcommand does not take is an error, not ignored.
bad 2 "^swapadj: set: --memory-max belongs to 'run'\$" set 10 --memory-max 1G
bad 2 "^swapadj: set: --swappiness belongs to 'run'\$" set 10 --swappiness 5
bad 2 "^swapadj: set: --once belongs to 'auto'\$" set --once 10
bad 2 "^swapadj: set: --interval belongs to 'show' and 'auto'\$" set --interval 1 10
bad 2 "^swapadj: set: --min belongs to 'auto' and 'check'\$" set --min 5 10
bad 2 "^swapadj: show: --dry-run belongs to 'set', 'auto', 'run' and 'restore'\$" show --dry-run
bad 2 "^swapadj: show: --persist belongs to 'set'\$" --persist
bad 2 "^swapadj: check: --dry-run belongs to 'set', 'auto', 'run' and 'restore'\$" check --max 60 --dry-run
bad 2 "^swapadj: check: --swap-max belongs to 'run'\$" check --max 60 --swap-max 0
bad 2 "^swapadj: auto: --min-available belongs to 'check'\$" auto --once --min-available 5
bad 2 "^swapadj: auto: --persist belongs to 'set'\$" auto --once --persist
bad 2 "^swapadj: run: --persist belongs to 'set'\$" run --persist --swappiness 5 -- true
bad 2 "^swapadj: run: --max belongs to 'auto' and 'check'\$" run --max 5 --swappiness 5 -- true
bad 2 "^swapadj: restore: --once belongs to 'auto'\$" restore --once
bad 2 "^swapadj: restore: --swappiness belongs to 'run'\$" restore --swappiness 5
# ... but the command's own options after COMMAND are its own.
expect_exit 0 "$SA" --sysroot $F run --swappiness 5 -- echo --persist --once
[ "$(cat "$WORK/out")" = "--persist --once" ] || fail "run took the command's options: $(cat "$WORK/out")"
[ "$(fswp)" = 40 ] || fail "run did not restore the fake value: $(fswp)"

# set --persist whose drop-in cannot be written: the live value goes
# back to what it was, and the message says so.
rmdir $F/etc/sysctl.d
echo 'not a directory' >$F/etc/sysctl.d
bad 3 "^swapadj: $F/etc/sysctl.d/90-swapadj.conf: not written: Not a directory; vm.swappiness put back to 40\$" set --persist 25
[ ! -s "$WORK/out" ] || fail "a set undone printed a change: $(cat "$WORK/out")"
rm $F/etc/sysctl.d
mkdir $F/etc/sysctl.d

# A FIFO named like a sysctl.d file: named, never waited on; show's
# report lacks the boot value, so it is not a success.
mkfifo $F/etc/sysctl.d/50-fifo.conf
expect_exit 3 timeout -k 2 10 "$SA" --sysroot $F show --interval 0.1
expect_grep "^boot +\? +/etc/sysctl.d/50-fifo.conf: not a regular file" "$WORK/out"
expect_grep "^swapadj: $F/etc/sysctl.d/50-fifo.conf: not a regular file \(sysctl --system would hang on it: remove it\)\$" "$WORK/err"
n=$((n + 1))
bad 3 "^swapadj: $F/etc/sysctl.d/50-fifo.conf: not a regular file \(sysctl --system would hang on it: remove it\)\$" set --persist 25
[ ! -e $F/etc/sysctl.d/90-swapadj.conf ] || fail "set --persist wrote a drop-in beside a FIFO"
rm $F/etc/sysctl.d/50-fifo.conf
expect_exit 0 "$SA" --sysroot $F set --persist 25
[ "$(fswp)" = 25 ] || fail "set --persist 25: fake has $(fswp)"
grep -qx 'vm.swappiness = 25' $F/etc/sysctl.d/90-swapadj.conf || fail "drop-in: $(cat $F/etc/sysctl.d/90-swapadj.conf)"

# A kernel that keeps another value. Inputs must be regular files (a FIFO
# is refused), so a real kernel attribute that does keep another value
# stands in for vm.swappiness: nr_requests of a loop device of the test
# (its image on a tmpfs), bind-mounted over the fake file in the test's
# mount namespace, turns 0-3 into 4. The tool must fail, say what the
# kernel kept, and write the value it found back; bad() checks the value
# is as before.
dev=$(mkloop 16)
NR=/sys/block/${dev#/dev/}/queue/nr_requests
SWF=$F/proc/sys/vm/swappiness
mount --bind "$NR" $SWF || fail "mount --bind $NR $SWF"
at_exit "umount '$SWF'"
echo 64 >"$NR" || fail "nr_requests 64"
bad 3 "^swapadj: $SWF: wrote 3, the kernel kept 4; put 64 back\$" set 3
# It kept the old value: nothing to put back.
echo 4 >"$NR"
bad 3 "^swapadj: $SWF: wrote 2, the kernel kept 4\$" set 2
# auto --once (min = max = 3): the same.
echo 64 >"$NR"
bad 3 "^swapadj: $SWF: wrote 3, the kernel kept 4; put 64 back\$" auto --once --interval 0.1 --min 3 --max 3
# run: the command is not run, the value found is back, no state left.
bad 3 "^swapadj: $SWF: wrote 3, the kernel kept another value; the value found is back, the command was not run\$" \
	run --swappiness 3 -- touch "$WORK/ran"
[ ! -e "$WORK/ran" ] || fail "run ran the command without its value"
[ ! -e $F/run/swapadj.state ] || fail "run left a state file: $(cat $F/run/swapadj.state)"
umount $SWF

note "$n bad-input cases"
[ "$(swp)" = "$orig" ] || fail "fake-root runs touched the host: $(swp)"
