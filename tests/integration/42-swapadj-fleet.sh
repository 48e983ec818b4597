#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj under fleet tooling (issue 13), on the host's real vm.swappiness
# (saved first, restored in a trap) and on a fake root:
# - JSON carries numbers as numbers and booleans as booleans (parsed with
#   python3, the types checked): set's and restore's old/new values and
#   "changed", show's values in base units (null when a fact has none);
# - a second identical set says "unchanged" and writes nothing, and so
#   does --dry-run ("planned" only for a real change); restore and
#   restore --dry-run the same;
# - --exit-changed N: N when something changed (or, with --dry-run, would),
#   0 on the second identical run; only set and restore take it;
# - -P evals in a shell; -b gives show's sizes in bytes.
# The metrics of show --textfile: 43-swapadj-textfile.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fleet.sh"
need_root
[ -x "$FLEET_PY" ] || skip "$FLEET_PY is not installed"
swapadj_env
v1=$((orig == 13 ? 14 : 13))
v2=$((orig == 27 ? 28 : 27))

# pyassert FILE CODE: python3 runs CODE with the JSON of FILE as d and
# t(name) the type name of a value; an AssertionError fails the test.
pyassert() {
	"$FLEET_PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
t = lambda v: type(v).__name__
exec(sys.argv[2])' "$1" "$2" 2>"$WORK/py" ||
		fail "$(cat "$WORK/py"): $2: $(cat "$1")"
}
# row: the only row of the table "swapadj" in d.
ROW='assert len(d["swapadj"]) == 1; r = d["swapadj"][0]'

# set -J: the values are numbers, "changed" a boolean.
expect_exit 0 "$SA" set $v1 -J
pyassert "$WORK/out" "$ROW
assert r['old'] == $orig and r['new'] == $v1, r
assert t(r['old']) == t(r['new']) == 'int', r
assert r['changed'] is True and r['result'] == 'applied', r"
[ "$(swp)" = $v1 ] || fail "set -J $v1: kernel has $(swp)"
# The same again: unchanged, in JSON and in the table.
expect_exit 0 "$SA" set $v1 -J
pyassert "$WORK/out" "$ROW
assert r['old'] == r['new'] == $v1 and r['changed'] is False, r
assert r['result'] == 'unchanged', r"
expect_exit 0 "$SA" set $v1
expect_grep "^$v1 (→|->) $v1 +unchanged\$" "$WORK/out"
# --dry-run: "planned" only for a real change.
expect_exit 0 "$SA" set --dry-run $v1
expect_grep "^$v1 (→|->) $v1 +unchanged\$" "$WORK/out"
expect_exit 0 "$SA" set --dry-run $v2 -J
pyassert "$WORK/out" "$ROW
assert r['old'] == $v1 and r['new'] == $v2 and r['changed'] is True, r
assert r['result'] == 'planned', r"
expect_exit 0 "$SA" set --dry-run $v1 -J
pyassert "$WORK/out" "$ROW
assert r['changed'] is False and r['result'] == 'unchanged', r"
expect_exit 0 "$SA" set --dry-run $v2
expect_grep "^$v1 (→|->) $v2 +planned\$" "$WORK/out"
[ "$(swp)" = $v1 ] || fail "set --dry-run changed the value: $(swp)"
# -o picks typed columns in any format.
expect_exit 0 "$SA" set -rn -o CHANGED,RESULT $v1
[ "$(cat "$WORK/out")" = "0 unchanged" ] || fail "set -o CHANGED,RESULT: $(cat "$WORK/out")"

# show -J: each value a number in base units, or null; the text beside it.
expect_exit 0 "$SA" show -J --interval 0.1
total=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
pyassert "$WORK/out" "f = {}
for r in d['swapadj']:
	assert t(r['value']) in ('int', 'float', 'NoneType'), r
	assert t(r['text']) == 'str', r
	f.setdefault(r['field'], r)
assert f['swappiness']['value'] == $v1 and f['swappiness']['text'] == '$v1', f['swappiness']
assert f['range']['value'] == 200 and f['range']['text'] == '0-200', f['range']
assert f['memtotal']['value'] == $total * 1024 and f['memtotal']['unit'] == 'bytes', f['memtotal']
assert t(f['memavailable']['value']) == 'int', f['memavailable']
assert t(f['readin']['value']) in ('int', 'float') and f['readin']['unit'] == 'bytes/s', f['readin']
assert t(f['auto']['value']) == 'int', f['auto']
p = f['pressure']
assert p['value'] is None or (0 <= p['value'] <= 1 and p['unit'] == 'ratio'), p"

# Sizes: human by default, bytes with -b; the JSON value is bytes either way.
expect_exit 0 "$SA" show
expect_grep "^memtotal +[0-9.]+[BKMGTPE] +MemTotal\$" "$WORK/out"
expect_exit 0 "$SA" show -b -J
pyassert "$WORK/out" "f = {r['field']: r for r in d['swapadj']}
assert f['memtotal']['text'] == str($total * 1024) == str(f['memtotal']['value']), f['memtotal']"

# --exit-changed N: N for a change, 0 for none, in a real run and a dry run.
expect_exit 9 "$SA" set --exit-changed 9 $v2
[ "$(swp)" = $v2 ] || fail "set --exit-changed 9 $v2: kernel has $(swp)"
expect_exit 0 "$SA" set --exit-changed 9 $v2
expect_grep "^$v2 (→|->) $v2 +unchanged\$" "$WORK/out"
expect_exit 200 "$SA" --exit-changed 200 set --dry-run $v1
expect_exit 0 "$SA" set --dry-run --exit-changed 200 $v2
# A failure is no change: its own status wins.
expect_exit 3 setpriv --reuid=nobody --regid=nogroup --clear-groups "$SA" set --exit-changed 9 $v1
expect_exit 2 "$SA" set --exit-changed 3 $v1
expect_grep "^swapadj: --exit-changed '3': give 1 or 5 to 255" "$WORK/err"
# Only the subcommands that change something take it; -b and --textfile
# only show.
expect_exit 2 "$SA" show --exit-changed 9
expect_grep "^swapadj: show: --exit-changed belongs to 'set' and 'restore'\$" "$WORK/err"
expect_exit 2 "$SA" check --max 100 --exit-changed 9
expect_exit 2 "$SA" set -b $v1
expect_grep "^swapadj: set: --bytes belongs to 'show'\$" "$WORK/err"
expect_exit 2 "$SA" set --textfile "$WORK/m.prom" $v1
expect_grep "^swapadj: set: --textfile belongs to 'show'\$" "$WORK/err"
[ ! -e "$WORK/m.prom" ] || fail "set --textfile wrote $WORK/m.prom"
[ "$(swp)" = $v2 ] || fail "a refused set changed the value: $(swp)"
expect_exit 0 "$SA" set $v1

# -P evals in a shell: names are variables, values run nothing.
expect_exit 0 "$SA" show -P
pairs_check "$WORK/out"
[ "$(pairs_get "$WORK/out" 1 FIELD)" = swappiness ] || fail "show -P line 1: $(sed -n 1p "$WORK/out")"
[ "$(pairs_get "$WORK/out" 1 VALUE)" = $v1 ] || fail "show -P line 1: $(sed -n 1p "$WORK/out")"
expect_exit 0 "$SA" set --dry-run -P -o OLD,NEW,CHANGE,RESULT,CHANGED $v2
pairs_check "$WORK/out"
eval "$(cat "$WORK/out")"
[ "$OLD $NEW $RESULT $CHANGED" = "$v1 $v2 planned 1" ] || fail "set --dry-run -P: $(cat "$WORK/out")"

# The fake root: every kind of row.
F=$WORK/root
fake_root $F 40 1000000 500000 1
mkdir -p $F/proc/pressure
printf 'some avg10=1.50 avg60=0.75 avg300=0.10 total=12345\n' >$F/proc/pressure/memory
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/zram0 partition\t1048572\t2048\t100\n' >$F/proc/swaps
echo 'vm.swappiness = 5' >$F/etc/sysctl.conf
mkdir -p $F/sys/fs/cgroup/memory/box $F/proc/self
echo 9223372036854771712 >$F/sys/fs/cgroup/memory/memory.limit_in_bytes
echo 1073741824 >$F/sys/fs/cgroup/memory/box/memory.limit_in_bytes
echo '5:memory:/box' >$F/proc/self/cgroup
echo 30 >$F/sys/fs/cgroup/memory/box/memory.swappiness
expect_exit 0 "$SA" --sysroot $F show -J
pyassert "$WORK/out" "f = {r['field']: r for r in d['swapadj']}
assert f['swappiness']['value'] == 40 and f['swappiness']['unit'] is None
assert f['memavailable']['value'] == 512000000, f['memavailable']
assert f['pressure']['value'] == 0.015 and f['pressure']['unit'] == 'ratio', f['pressure']
assert f['auto']['value'] is None and f['auto']['text'] == '25/35', f['auto']
assert f['boot']['value'] == 5, f['boot']
s = f['swap']
assert s['text'] == '/dev/zram0' and s['value'] == 1048572 * 1024, s
assert s['used'] == 2048 * 1024 and s['prio'] == 100, s
assert f['cgroup']['value'] == 1 and f['cgroup']['text'] == 'v1', f['cgroup']
assert f['cgroup-limit']['value'] == 1073741824, f['cgroup-limit']
assert f['cgroup-swappiness']['value'] == 30, f['cgroup-swappiness']
assert f['swappiness']['used'] is None and f['swappiness']['prio'] is None"
# An unlimited cgroup: no number (JSON null), the text says max.
echo 9223372036854771712 >$F/sys/fs/cgroup/memory/box/memory.limit_in_bytes
expect_exit 0 "$SA" --sysroot $F show -J
pyassert "$WORK/out" "f = {r['field']: r for r in d['swapadj']}
assert f['cgroup-limit']['value'] is None and f['cgroup-limit']['text'] == 'max', f['cgroup-limit']"

# restore after a crash on the fake root: --dry-run plans, restore does,
# a second restore has nothing to do.
"$SA" --sysroot $F run --swappiness 10 -- sleep 30 &
p=$!
pids+=($p)
wait_for test -e $F/run/swapadj.state
wait_for pgrep -P $p sleep >/dev/null
c=$(pgrep -P $p sleep)
pids+=($c)
kill -9 $p
wait $p
wait_for gone $c
[ "$(cat $F/proc/sys/vm/swappiness)" = 10 ] || fail "fake value after the crash: $(cat $F/proc/sys/vm/swappiness)"
cp $F/run/swapadj.state "$WORK/state"
expect_exit 0 "$SA" --sysroot $F restore --dry-run -J
pyassert "$WORK/out" "$ROW
assert r['old'] == 10 and r['new'] == 40 and r['changed'] is True, r
assert r['result'] == 'planned', r"
cmp -s $F/run/swapadj.state "$WORK/state" || fail "restore --dry-run changed the state file"
[ "$(cat $F/proc/sys/vm/swappiness)" = 10 ] || fail "restore --dry-run wrote $(cat $F/proc/sys/vm/swappiness)"
expect_exit 0 "$SA" --sysroot $F restore --dry-run
expect_grep "^10 (→|->) 40 +planned\$" "$WORK/out"
expect_exit 0 "$SA" --sysroot $F restore -J
pyassert "$WORK/out" "$ROW
assert r['old'] == 10 and r['new'] == 40 and r['changed'] is True, r
assert r['result'] == 'applied', r"
[ "$(cat $F/proc/sys/vm/swappiness)" = 40 ] || fail "restore: fake value $(cat $F/proc/sys/vm/swappiness)"
[ ! -e $F/run/swapadj.state ] || fail "restore left the state file"
expect_exit 0 "$SA" --sysroot $F restore --exit-changed 7
[ ! -s "$WORK/out" ] || fail "a second restore printed: $(cat "$WORK/out")"
expect_grep "nothing to restore" "$WORK/err"
# --exit-changed: a restore that writes, and its dry run.
cp "$WORK/state" $F/run/swapadj.state
echo 10 >$F/proc/sys/vm/swappiness
expect_exit 7 "$SA" --sysroot $F restore --dry-run --exit-changed 7
expect_exit 7 "$SA" --sysroot $F restore --exit-changed 7
[ "$(cat $F/proc/sys/vm/swappiness)" = 40 ] || fail "restore --exit-changed: fake value $(cat $F/proc/sys/vm/swappiness)"
# The value is already back (set by hand): unchanged, in both runs.
cp "$WORK/state" $F/run/swapadj.state
expect_exit 0 "$SA" --sysroot $F restore --dry-run
expect_grep "^40 (→|->) 40 +unchanged\$" "$WORK/out"
expect_exit 0 "$SA" --sysroot $F restore -J --exit-changed 7
pyassert "$WORK/out" "$ROW
assert r['old'] == r['new'] == 40 and r['changed'] is False, r
assert r['result'] == 'unchanged', r"
[ ! -e $F/run/swapadj.state ] || fail "restore left the state file"
# A live owner: restore --dry-run says what restore would, exit 3.
"$SA" --sysroot $F run --swappiness 10 -- sleep 30 &
p=$!
pids+=($p)
wait_for test -e $F/run/swapadj.state
expect_exit 3 "$SA" --sysroot $F restore --dry-run
expect_grep "^swapadj: /run/swapadj.state: owned by running process $p; " "$WORK/err"
[ ! -s "$WORK/out" ] || fail "restore --dry-run with a live owner printed: $(cat "$WORK/out")"
kill $p
wait $p
[ ! -e $F/run/swapadj.state ] || fail "run left the state file on SIGTERM"

expect_exit 0 "$SA" set "$orig"
[ "$(swp)" = "$orig" ] || fail "set $orig: kernel has $(swp)"
