#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit for fleet tooling (issue 13): -J carries numbers and booleans
# as JSON numbers and booleans (read with python3's json); set and
# restore say "unchanged" for a file system already at the asked value,
# in a real run and in --dry-run, and their JSON rows carry "changed";
# --exit-changed N tells it by the exit status; show --textfile writes
# Prometheus metrics (read with prometheus_client), -P evals in sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fleet.sh"
root_ns dumpe2fs debugfs
need_fleet_py
tmpfs_at "$WORK" 512m mode=0700
need_tool J jcommit

# row: the first row of a set/restore table, as python sees it.
row='d["changes"][0]'

ext4_new dev 64 commit=42,data_err=abort
mnt=$WORK/mnt
mountat "$dev" "$mnt"

# --- show: numbers are numbers, booleans booleans ---
expect_exit 0 "$J" show -J -v "$mnt"
f='d["filesystems"][0]'
json_holds "$WORK/out" "len(d['filesystems']) == 1" \
	"type(${f}['commit']) is int and ${f}['commit'] == 42" \
	"type(${f}['next-commit']) is int and ${f}['next-commit'] == 42" \
	"type(${f}['trans']) is int" \
	"${f}['fast-commit'] is False" \
	"${f}['avg-commit'] is None or type(${f}['avg-commit']) is int" \
	"${f}['device'] == '$dev' and ${f}['target'] == '$mnt'" \
	"${f}['data'] == 'ordered' and ${f}['journal'] == 'yes'" \
	"${f}['sb-opts'] == 'commit=42,data_err=abort'" \
	"${f}['sb-data'] is None"
# No data bits in the superblock: null in JSON, "-" in the table.
expect_exit 0 "$J" show -r -n -o SB-DATA "$mnt"
expect_grep '^-$' "$WORK/out"
# jbd2's average commit time: microseconds, a number (the table: 250us).
dd if=/dev/zero of="$mnt/f" bs=64k count=4 conv=fsync status=none || fail "write"
expect_exit 0 "$J" show -J -o TRANS,AVG-COMMIT "$mnt"
json_holds "$WORK/out" "${f}['trans'] > 0 and type(${f}['avg-commit']) is int"
expect_exit 0 "$J" show -r -n -o FAST-COMMIT,AVG-COMMIT "$mnt"
expect_grep '^no [0-9]+us$' "$WORK/out"
# A fast_commit file system: true.
ext4_new fcdev 64 "" -O fast_commit
mountat "$fcdev" "$WORK/fc"
expect_exit 0 "$J" show -J -o FAST-COMMIT,COMMIT "$WORK/fc"
json_holds "$WORK/out" "d['filesystems'][0]['fast-commit'] is True" \
	"d['filesystems'][0]['commit'] == 5"

# --- set: a change, then the same again ---
expect_exit 0 "$J" set --commit 30 -J "$mnt"
json_holds "$WORK/out" "len(d['changes']) == 1" \
	"${row}['target'] == '$mnt' and ${row}['device'] == '$dev'" \
	"type(${row}['old-commit']) is int and ${row}['old-commit'] == 42" \
	"type(${row}['commit']) is int and ${row}['commit'] == 30" \
	"${row}['result'] == 'applied' and ${row}['changed'] is True"
[ "$(live "$dev" commit)" = 30 ] || fail "set: commit $(live "$dev" commit)"
# The second run changes nothing and says so, as text and as JSON.
expect_exit 0 "$J" set --commit 30 "$mnt"
expect_grep "^$mnt: commit 30 unchanged \(live\)\$" "$WORK/out"
[ "$(wc -l <"$WORK/out")" = 1 ] || fail "set twice: $(cat "$WORK/out")"
expect_exit 0 "$J" set --commit 30 -J "$mnt"
json_holds "$WORK/out" "${row}['old-commit'] == 30 and ${row}['commit'] == 30" \
	"${row}['result'] == 'unchanged' and ${row}['changed'] is False"
# --dry-run: unchanged too; "planned" only for a real change.
expect_exit 0 "$J" set --commit 30 --dry-run "$mnt"
expect_grep "^$mnt: commit 30 unchanged \(live\)\$" "$WORK/out"
expect_exit 0 "$J" set --commit 30 --dry-run -J "$mnt"
json_holds "$WORK/out" "${row}['result'] == 'unchanged' and ${row}['changed'] is False"
expect_exit 0 "$J" set --commit 31 --dry-run -J "$mnt"
json_holds "$WORK/out" "${row}['old-commit'] == 30 and ${row}['commit'] == 31" \
	"${row}['result'] == 'planned' and ${row}['changed'] is True"
[ "$(live "$dev" commit)" = 30 ] || fail "--dry-run -J changed commit"
# 0 is the kernel default (5): at 5 already, unchanged.
expect_exit 0 "$J" set --commit 0 "$mnt"
expect_exit 0 "$J" set --commit 0 "$mnt"
expect_grep "^$mnt: commit 5 unchanged \(live\)\$" "$WORK/out"
expect_exit 0 "$J" set --commit 30 "$mnt"
# An unchanged value is not written: no reconfigure at all.
if command -v strace >/dev/null 2>&1; then
	expect_exit 0 strace_q -f -o "$WORK/trace" -e trace=fspick,fsconfig,mount \
		"$J" set --commit 30 "$mnt"
	grep -E '^[0-9]* *(fspick|fsconfig|mount)\(' "$WORK/trace" &&
		fail "an unchanged commit= was written again"
else
	note "strace not installed: no-write sub-case not run"
fi

# --- set --persist: the live part and the superblock part each ---
expect_exit 0 "$J" set --commit 30 --persist "$mnt"
expect_grep "^$mnt: commit 30 unchanged \(live\)\$" "$WORK/out"
expect_grep "^$mnt: superblock mount options \"commit=42,data_err=abort\" -> \"commit=30,data_err=abort\"\$" "$WORK/out"
[ "$(sbopts "$dev")" = commit=30,data_err=abort ] || fail "persist: '$(sbopts "$dev")'"
expect_exit 0 "$J" set --commit 30 --persist "$mnt"
expect_grep "^$mnt: superblock mount options \"commit=30,data_err=abort\" unchanged\$" "$WORK/out"
expect_exit 0 "$J" set --commit 30 --persist --dry-run -J "$mnt"
json_holds "$WORK/out" "${row}['old-sb-opts'] == 'commit=30,data_err=abort'" \
	"${row}['sb-opts'] == 'commit=30,data_err=abort'" \
	"${row}['result'] == 'unchanged' and ${row}['changed'] is False"
expect_exit 0 "$J" set --commit 30 --persist --dry-run -J "$WORK/fc"
json_holds "$WORK/out" "${row}['old-commit'] == 5 and ${row}['commit'] == 30" \
	"${row}['sb-opts'] == 'commit=30' and ${row}['result'] == 'planned'"
# A superblock that holds the values already is not written, so a
# read-only mount of it is no obstacle.
mount -o remount,ro "$mnt" || fail "remount ro"
expect_exit 0 "$J" set --commit 30 --persist "$mnt"
expect_grep "^$mnt: superblock mount options \"commit=30,data_err=abort\" unchanged\$" "$WORK/out"
expect_exit 3 "$J" set --commit 29 --persist "$mnt"
expect_grep "jcommit: $mnt: the superblock of a read-only mount cannot be changed" "$WORK/err"
mount -o remount,rw "$mnt" || fail "remount rw"
# --data: the superblock bits.
expect_exit 0 "$J" set --data writeback --persist -J "$mnt"
json_holds "$WORK/out" "${row}['old-sb-data'] == 'none' and ${row}['sb-data'] == 'writeback'" \
	"${row}['changed'] is True"
expect_exit 0 "$J" set --data writeback --persist "$mnt"
expect_grep "^$mnt: superblock default data mode writeback unchanged\$" "$WORK/out"
expect_exit 0 "$J" set --data writeback --persist --dry-run -J "$mnt"
json_holds "$WORK/out" "${row}['changed'] is False"
# An unmounted device: the superblock only, through libext2fs.
ext4_new off 32
expect_exit 0 "$J" set --commit 30 --persist -J "$off"
json_holds "$WORK/out" "${row}['target'] == '$off' and ${row}['old-commit'] is None" \
	"${row}['sb-opts'] == 'commit=30' and ${row}['changed'] is True"
expect_exit 0 "$J" set --commit 30 --persist -J "$off"
json_holds "$WORK/out" "${row}['changed'] is False and ${row}['result'] == 'unchanged'"

# Several targets: a row each, changed each on its own.
expect_exit 0 "$J" set --commit 30 -J "$mnt" "$WORK/fc"
json_holds "$WORK/out" "[r['target'] for r in d['changes']] == ['$mnt', '$WORK/fc']" \
	"[r['changed'] for r in d['changes']] == [False, True]"
# Output options of the table; an unknown column changes nothing.
expect_exit 0 "$J" set --commit 7 -r -n -o RESULT,CHANGED,VIA "$WORK/fc"
expect_grep '^applied 1 fsconfig$' "$WORK/out"
expect_exit 2 "$J" set --commit 8 -o BOGUS "$WORK/fc"
expect_grep "jcommit: unknown column 'BOGUS'" "$WORK/err"
[ "$(live "$fcdev" commit)" = 7 ] || fail "-o BOGUS: commit $(live "$fcdev" commit)"
expect_exit 0 "$J" set --commit 7 -q -J "$WORK/fc"
[ -s "$WORK/out" ] && fail "-q printed: $(cat "$WORK/out")"

# --- restore: a change, then nothing left to change ---
save=$WORK/save
expect_exit 0 "$J" set --commit 20 --persist --save "$save" "$mnt"
expect_exit 0 "$J" restore -J "$save"
json_holds "$WORK/out" "${row}['old-commit'] == 20 and ${row}['commit'] == 30" \
	"${row}['old-sb-opts'] == 'commit=20,data_err=abort'" \
	"${row}['sb-opts'] == 'commit=30,data_err=abort'" \
	"${row}['result'] == 'applied' and ${row}['changed'] is True"
[ "$(live "$dev" commit)" = 30 ] || fail "restore: commit $(live "$dev" commit)"
expect_exit 0 "$J" restore "$save"
expect_grep "^$mnt: commit 30 unchanged \(live\)\$" "$WORK/out"
expect_grep "^$mnt: superblock mount options \"commit=30,data_err=abort\" unchanged\$" "$WORK/out"
expect_exit 0 "$J" restore --dry-run -J "$save"
json_holds "$WORK/out" "${row}['result'] == 'unchanged' and ${row}['changed'] is False"

# --- --save twice (a playbook run again): the second run changes
# nothing and leaves the file of the first, which holds the values from
# before; restore puts those back ---
expect_exit 0 "$J" set --commit 20 --save "$save" "$mnt"
cp "$save" "$WORK/save.first"
expect_exit 0 "$J" set --commit 20 --save "$save" "$mnt"
expect_grep "^$mnt: commit 20 unchanged \(live\)\$" "$WORK/out"
cmp -s "$save" "$WORK/save.first" || fail "an unchanged set rewrote $save: $(cat "$save")"
expect_exit 0 "$J" restore "$save"
[ "$(live "$dev" commit)" = 30 ] || fail "restore after two runs: commit $(live "$dev" commit)"
# A run that changes nothing still creates a missing file (restore of it
# changes nothing).
rm -f "$save"
expect_exit 0 "$J" set --commit 30 --save "$save" "$mnt"
expect_grep "^commit=30\$" "$save"
expect_exit 0 "$J" restore "$save"
expect_grep "^$mnt: commit 30 unchanged \(live\)\$" "$WORK/out"

# --- --exit-changed N: N for a change (or a planned one), 0 for none ---
expect_exit 10 "$J" set --commit 25 --exit-changed 10 "$mnt"
[ "$(live "$dev" commit)" = 25 ] || fail "--exit-changed: commit $(live "$dev" commit)"
expect_exit 0 "$J" set --commit 25 --exit-changed 10 "$mnt"
expect_exit 10 "$J" set --commit 26 --dry-run --exit-changed 10 -J "$mnt"
json_holds "$WORK/out" "${row}['changed'] is True"
[ "$(live "$dev" commit)" = 25 ] || fail "--dry-run --exit-changed changed commit"
expect_exit 0 "$J" set --commit 25 --dry-run --exit-changed 10 "$mnt"
# Several targets: N when any changed.
expect_exit 200 "$J" set --commit 25 --exit-changed 200 "$mnt" "$WORK/fc"
expect_exit 0 "$J" set --commit 25 --exit-changed 200 "$mnt" "$WORK/fc"
# A failure keeps its own status.
expect_exit 3 "$J" set --commit 24 --exit-changed 10 "$mnt" "$WORK/nope"
# restore: the same.
expect_exit 0 "$J" set --commit 26 --persist --save "$WORK/s2" "$mnt"
expect_exit 10 "$J" restore --exit-changed 10 "$WORK/s2"
expect_exit 0 "$J" restore --exit-changed 10 "$WORK/s2"
expect_exit 0 "$J" restore --exit-changed 10 --dry-run "$WORK/s2"
# 2, 3 and 4 are taken; show changes nothing.
for n in 0 2 3 4 256 x; do
	expect_exit 2 "$J" set --commit 25 --exit-changed "$n" "$mnt"
done
expect_grep "^jcommit: --exit-changed 'x': " "$WORK/err"
expect_exit 2 "$J" show --exit-changed 10 "$mnt"
expect_grep "^jcommit: --exit-changed: does not apply to this subcommand\$" "$WORK/err"

# --- show --textfile FILE.prom ---
prom=$WORK/metrics/jcommit.prom
mkdir -p "$WORK/metrics"
expect_exit 0 "$J" show --textfile "$prom" "$mnt" "$WORK/fc"
prom_check "$prom" ctl_ext4_commit_interval_seconds ctl_ext4_data_mode_info
[ "$(prom_value "$prom" ctl_ext4_commit_interval_seconds device="$dev" mountpoint="$mnt")" = 25 ] ||
	fail "commit metric: $(cat "$prom")"
[ "$(prom_value "$prom" ctl_ext4_commit_interval_seconds mountpoint="$WORK/fc")" = 25 ] ||
	fail "commit metric of fc: $(cat "$prom")"
[ "$(prom_value "$prom" ctl_ext4_data_mode_info mountpoint="$mnt" mode=ordered)" = 1 ] ||
	fail "data mode metric: $(cat "$prom")"
# The report still goes to stdout; -q keeps it back, not the file.
expect_grep "^DEVICE " "$WORK/out"
rm -f "$prom"
expect_exit 0 "$J" show -q --textfile "$prom" "$mnt"
[ -s "$WORK/out" ] && fail "-q --textfile printed: $(cat "$WORK/out")"
prom_check "$prom" ctl_ext4_commit_interval_seconds
# Every ext mount when no target is named: ours among them; rewritten.
expect_exit 0 "$J" set --commit 27 "$mnt"
expect_exit 0 "$J" show --textfile "$prom"
prom_check "$prom"
[ "$(prom_value "$prom" ctl_ext4_commit_interval_seconds mountpoint="$mnt")" = 27 ] ||
	fail "all mounts: $(cat "$prom")"
# Only a .prom name (node_exporter reads no other), and only for show.
expect_exit 2 "$J" show --textfile "$WORK/metrics/jcommit.txt" "$mnt"
expect_grep "not a \.prom file" "$WORK/err"
[ -e "$WORK/metrics/jcommit.txt" ] && fail "a .txt textfile was written"
expect_exit 2 "$J" set --commit 5 --textfile "$prom" "$mnt"
expect_grep "^jcommit: --textfile: does not apply to this subcommand\$" "$WORK/err"

# --- -P evals in sh: SB-OPTS is SB_OPTS ---
expect_exit 0 "$J" show -P -o DEVICE,TARGET,COMMIT,SB-OPTS,FAST-COMMIT,NEXT-COMMIT "$mnt"
pairs_check "$WORK/out"
eval "$(cat "$WORK/out")"
[ "$SB_OPTS" = commit=30,data_err=abort ] || fail "SB_OPTS='$SB_OPTS'"
[ "$COMMIT" = 27 ] && [ "$TARGET" = "$mnt" ] && [ "$FAST_COMMIT" = no ] ||
	fail "-P eval: COMMIT=$COMMIT TARGET=$TARGET FAST_COMMIT=$FAST_COMMIT"
expect_exit 0 "$J" set --commit 27 --persist -P "$mnt"
pairs_check "$WORK/out"
[ "$(pairs_get "$WORK/out" 1 OLD_SB_OPTS)" = commit=30,data_err=abort ] ||
	fail "set -P: $(cat "$WORK/out")"
[ "$(pairs_get "$WORK/out" 1 RESULT)" = applied ] || fail "set -P: $(cat "$WORK/out")"

# --- -b/--bytes: the journal size a number of bytes ---
expect_exit 0 "$J" show -J -o JSIZE "$mnt"
json_holds "$WORK/out" "${f}['jsize'] == '4M'"
expect_exit 0 "$J" show -J -b -o JSIZE "$mnt"
json_holds "$WORK/out" "${f}['jsize'] == 4 * 1024 * 1024"
expect_exit 0 "$J" show -r -n --bytes -o JSIZE "$mnt"
expect_grep '^4194304$' "$WORK/out"
expect_exit 2 "$J" set --commit 5 -b "$mnt"

# --- check and checkpoint: a row per file system with -J ---
expect_exit 1 "$J" check --max-commit 26 -J "$mnt" "$WORK/fc"
c='d["filesystems"]'
json_holds "$WORK/out" "[r['target'] for r in $c] == ['$mnt', '$WORK/fc']" \
	"[r['commit'] for r in $c] == [27, 25]" \
	"[r['pass'] for r in $c] == [False, True]" \
	"${c}[0]['problems'] == 'commit=27 above --max-commit 26'" \
	"${c}[1]['problems'] is None and ${c}[0]['data'] == 'ordered'"
expect_exit 1 "$J" check --max-commit 26 --require nosuid,noexec -J "$mnt"
json_holds "$WORK/out" "${c}[0]['problems'] == 'commit=27 above --max-commit 26; nosuid missing (required); noexec missing (required)'"
# The lines stay as they were without an output option.
expect_exit 1 "$J" check --max-commit 26 "$mnt" "$WORK/fc"
expect_grep "^$mnt: commit=27 above --max-commit 26\$" "$WORK/out"
[ "$(wc -l <"$WORK/out")" = 1 ] || fail "check lines: $(cat "$WORK/out")"
expect_exit 0 "$J" check --max-commit 26 -q -J "$WORK/fc"
[ -s "$WORK/out" ] && fail "check -q -J printed: $(cat "$WORK/out")"
expect_exit 0 "$J" checkpoint -J "$mnt"
k='d["checkpoints"][0]'
json_holds "$WORK/out" "${k}['target'] == '$mnt' and ${k}['result'] == 'checkpointed'" \
	"type(${k}['seconds']) in (int, float) and ${k}['seconds'] >= 0"
expect_exit 0 "$J" checkpoint --dry-run -J "$mnt"
json_holds "$WORK/out" "${k}['result'] == 'accepted'"
echo PASS
