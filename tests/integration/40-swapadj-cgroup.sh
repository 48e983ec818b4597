#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj run with memory cgroup limits on this host's real cgroup v1
# memory controller (/sys/fs/cgroup/memory): the command runs in a fresh
# child of our own cgroup with memory.limit_in_bytes, memsw (memory+swap)
# and its own memory.swappiness, the limit is enforced (OOM kill -> 137),
# the cgroup is removed afterwards or by "swapadj restore" after a SIGKILL.
# The cgroup v2 path (memory.max, memory.swap.max, subtree delegation) is
# only tested on fake trees (tests/unit/test_cgroup.c): the memory
# controller of these machines is on v1.
. "$(dirname "$0")/lib.sh"
need_root
[ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ] ||
	skip "no cgroup v1 memory controller at /sys/fs/cgroup/memory (the v2 path is tested on fake trees only)"
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null &&
	skip "the memory controller is on cgroup v2 here; this test covers v1"
swapadj_env
self=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
[ -n "$self" ] || fail "no memory line in /proc/self/cgroup"
[ "$self" = / ] && self=
CG=/sys/fs/cgroup/memory$self
# Kill the test's processes first (swapadj_env's kill runs after this).
at_exit 'for p in "${pids[@]}"; do kill -9 $p; done; rmdir '"$CG"'/swapadj.* 2>/dev/null'
no_cgroups() { ! ls -d $CG/swapadj.* >/dev/null 2>&1; }
no_cgroups || fail "swapadj cgroups exist before the test: $(ls -d $CG/swapadj.*)"

# The command's view of its cgroup.
probe='cg=$(awk -F: '\''$2 ~ /(^|,)memory(,|$)/ { print $3 }'\'' /proc/self/cgroup)
d=/sys/fs/cgroup/memory$cg
echo "$cg $(cat $d/memory.limit_in_bytes) $(cat $d/memory.memsw.limit_in_bytes) $(cat $d/memory.swappiness) $(cat /proc/sys/vm/swappiness)"'

expect_exit 0 "$SA" show --interval 0.1
expect_grep "^cgroup +v1 +/sys/fs/cgroup/memory$self: the caller's memory cgroup" "$WORK/out"

# Limits: memory 64 MiB, swap 16 MiB -> memsw 80 MiB; no --swappiness:
# the cgroup inherits its parent's value, the host's stays.
"$SA" run --memory-max 64M --swap-max 16M -- sh -c "$probe" >"$WORK/out" 2>"$WORK/err" ||
	fail "run with limits: $(cat "$WORK/err")"
read -r cg lim memsw cgsw host <"$WORK/out"
case $cg in "$self"/swapadj.[0-9]*) ;; *) fail "command ran in $cg, not a child of $self" ;; esac
[ "$lim" = 67108864 ] || fail "memory.limit_in_bytes $lim"
[ "$memsw" = 83886080 ] || fail "memory.memsw.limit_in_bytes $memsw"
[ "$cgsw" = "$(cat $CG/memory.swappiness)" ] || fail "cgroup swappiness $cgsw, parent has $(cat $CG/memory.swappiness)"
[ "$host" = "$orig" ] || fail "vm.swappiness $host during a limits-only run"
[ ! -e "/sys/fs/cgroup/memory$cg" ] || fail "cgroup $cg not removed"
[ ! -e $ST ] || fail "state file left"

# --swappiness with a v1 cgroup: the cgroup's own memory.swappiness, the
# host's vm.swappiness untouched; the state file records the cgroup.
v=$((orig == 5 ? 6 : 5))
"$SA" run --memory-max 1G --swappiness $v -- sh -c "cat $ST; $probe" >"$WORK/out" 2>"$WORK/err" ||
	fail "run with --swappiness: $(cat "$WORK/err")"
expect_grep "^owner [0-9]+ [0-9]+ - /sys/fs/cgroup/memory$self/swapadj\.[0-9]+\$" "$WORK/out"
grep -q '^original' "$WORK/out" && fail "state recorded an original for a cgroup-only change: $(cat "$WORK/out")"
read -r cg lim memsw cgsw host < <(tail -n 1 "$WORK/out")
[ "$lim" = 1073741824 ] || fail "memory.limit_in_bytes $lim"
[ "$cgsw" = $v ] || fail "cgroup memory.swappiness $cgsw, expected $v"
[ "$host" = "$orig" ] || fail "vm.swappiness $host, expected the host's $orig untouched"
no_cgroups || fail "cgroup left: $(ls -d $CG/swapadj.*)"

# The limit is enforced: 256 MiB of string in 32 MiB without swap gets the
# command OOM-killed, and swapadj exits 128+9.
expect_exit 137 "$SA" run --memory-max 32M --swap-max 0 -- \
	bash -c 'x=a; while [ ${#x} -lt 200000000 ]; do x=$x$x; done'
no_cgroups || fail "cgroup left after the OOM kill: $(ls -d $CG/swapadj.*)"

# SIGKILL of swapadj: the command gets SIGTERM, restore removes the cgroup.
sa_sleeper run --memory-max 64M -- sleep 30
wait_for test -d $CG/swapadj.$p
grep -qx "$c" $CG/swapadj.$p/cgroup.procs || fail "sleep $c is not in $CG/swapadj.$p"
kill -9 $p
wait $p
wait_for gone $c
# A zombie is still charged until reaped: wait for the cgroup to empty.
wait_for sh -c "! grep -q . $CG/swapadj.$p/cgroup.procs"
[ -d $CG/swapadj.$p ] || fail "cgroup vanished by itself"
expect_exit 0 "$SA" restore
[ ! -d $CG/swapadj.$p ] || fail "restore did not remove $CG/swapadj.$p"
[ ! -e $ST ] || fail "state left after restore"

# A command that ignores SIGTERM outlives a SIGKILLed swapadj and keeps
# its cgroup busy: restore cannot remove it, names it with the fix, and
# exits 3 (a partial recovery is not a success).
sa_sleeper run --memory-max 64M -- sh -c "trap '' TERM; exec sleep 30"
wait_for test -d $CG/swapadj.$p
kill -9 $p
wait $p
[ -e /proc/$c ] || fail "the command did not outlive swapadj"
expect_exit 3 "$SA" restore
expect_grep "^swapadj: $CG/swapadj.$p: not removed: processes remain in it \(kill those in its cgroup.procs, then rmdir it\)\$" "$WORK/err"
[ -d $CG/swapadj.$p ] || fail "a busy cgroup vanished"
kill -9 $c
wait_for gone $c
wait_for sh -c "! grep -q . $CG/swapadj.$p/cgroup.procs"
rmdir $CG/swapadj.$p

# Bad input: --swap-max alone on v1 (limits memory+swap together).
expect_exit 2 "$SA" run --swap-max 0 -- true
expect_grep "^swapadj: --swap-max on cgroup v1 needs --memory-max: v1 limits memory and swap together" "$WORK/err"
expect_exit 2 "$SA" run --memory-max 64Q -- true
expect_grep "^swapadj: --memory-max '64Q': not a size" "$WORK/err"
# A missing memory controller: 40-swapadj-run.sh (a fake root, so that it
# runs whatever this host has).

no_cgroups || fail "cgroups left: $(ls -d $CG/swapadj.*)"
[ "$(cat $SW)" = "$orig" ] || fail "host value $(cat $SW), expected $orig"
