#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qdepth for fleet tooling (issue 13), on a real loop device (image on a
# tmpfs of this namespace, queue put back at exit):
#  - -J carries numbers as numbers and booleans as booleans (python3's
#    json): depth, the range's bounds, the tag depth, read-ahead (KiB; bytes
#    with -b), stat's figures; values as sysfs has them;
#  - stat -J is JSON Lines: one object per device and sample, with "time"
#    and "timestamp", readable line by line while the run goes on;
#  - set and restore say "unchanged" for a queue already as asked, in a
#    real run and in --dry-run ("planned" only for a real change); rows
#    carry "changed"; --exit-changed N; -P evals in sh;
#  - show and stat --textfile FILE.prom: prometheus_client parses it, the
#    values are sysfs's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fleet.sh"
root_ns losetup
need_fleet_py
need_tool Q qdepth
queue_loop 80
grep -qw mq-deadline "$SYSQ/scheduler" || skip "no mq-deadline on $N"
echo none >"$SYSQ/scheduler" && echo 128 >"$SYSQ/read_ahead_kb" ||
	fail "baseline none, read-ahead 128"
ra() { cat "$SYSQ/read_ahead_kb"; }

hw=$(cat "/sys/block/$N/mq/0/nr_tags")
majmin=$(cat "/sys/block/$N/dev")

# --- show -J: numbers and booleans, as sysfs has them ---
expect_exit 0 "$Q" show -J "$DEV"
q='d["queues"][0]'
json_holds "$WORK/out" "len(d['queues']) == 1" \
	"$q['device'] == '$N' and $q['sched'] == 'none'" \
	"type($q['depth']) is int and $q['depth'] == $(depth)" \
	"$q['range'] == '4-$hw'" \
	"type($q['range-min']) is int and $q['range-min'] == 4" \
	"type($q['range-max']) is int and $q['range-max'] == $hw" \
	"type($q['hwdepth']) is int and $q['hwdepth'] == $hw" \
	"type($q['ra']) is int and $q['ra'] == 128" \
	"$q['rota'] is False"
expect_exit 0 "$Q" show -J -b -o DEVICE,MAJ:MIN,RA "$DEV"
json_holds "$WORK/out" "$q['ra'] == 131072" "$q['maj:min'] == '$majmin'"
# The table: read-ahead in KiB as before; in bytes with -b.
expect_exit 0 "$Q" show -rn -o RA "$DEV"
[ "$(cat "$WORK/out")" = 128 ] || fail "show RA: $(cat "$WORK/out")"
expect_exit 0 "$Q" show -rn -b -o RA,RANGE-MIN,RANGE-MAX "$DEV"
[ "$(cat "$WORK/out")" = "131072 4 $hw" ] || fail "show -b RA: $(cat "$WORK/out")"
expect_exit 0 "$Q" show -P -o DEVICE,RANGE-MAX,RA "$DEV"
pairs_check "$WORK/out"
[ "$(pairs_get "$WORK/out" 1 RANGE_MAX)" = "$hw" ] || fail "-P RANGE_MAX"

# --- show --textfile: the queue's values for node_exporter ---
P=$WORK/prom
mkdir -p "$P"
expect_exit 0 "$Q" show -q --textfile "$P/q.prom" "$DEV"
[ ! -s "$WORK/out" ] || fail "show -q printed: $(cat "$WORK/out")"
prom_check "$P/q.prom" ctl_queue_nr_requests ctl_queue_read_ahead_bytes \
	ctl_queue_scheduler_info
[ "$(prom_value "$P/q.prom" ctl_queue_nr_requests device="$N")" = "$(depth)" ] ||
	fail "ctl_queue_nr_requests is not $(depth)"
[ "$(prom_value "$P/q.prom" ctl_queue_read_ahead_bytes device="$N")" = $(($(ra) * 1024)) ] ||
	fail "ctl_queue_read_ahead_bytes is not $(($(ra) * 1024))"
[ "$(prom_value "$P/q.prom" ctl_queue_scheduler_info device="$N" scheduler=none)" = 1 ] ||
	fail "ctl_queue_scheduler_info{scheduler=none} is not 1"
rejects_name() {
	expect_exit 2 "$Q" "$@"
	expect_grep "^qdepth: --textfile '.*': not a \.prom file" "$WORK/err"
}
rejects_name show --textfile "$P/q.txt" "$DEV"
[ ! -e "$P/q.txt" ] || fail "a refused --textfile was written"
expect_exit 2 "$Q" check --max-depth 4096 --textfile "$P/c.prom" "$DEV"
expect_grep "^qdepth: check: --textfile belongs to 'show' and 'stat'" "$WORK/err"
expect_exit 2 "$Q" show --exit-changed 9 "$DEV"
expect_grep "^qdepth: show: --exit-changed belongs to 'set' and 'restore'" "$WORK/err"
expect_exit 2 "$Q" stat -b "$DEV"
expect_grep "^qdepth: stat: --bytes belongs to 'show', 'set' and 'restore'" "$WORK/err"

# --- stat -J: JSON Lines, one object per device and sample ---
dd if="$DEV" of=/dev/null bs=64k iflag=direct status=none 2>/dev/null &
expect_exit 0 "$Q" stat -J --count 3 --interval 0.2 --saturation 99 "$DEV"
wait
jsonl_check "$WORK/out" 3
json_holds "$WORK/out" "len(d) == 3" "[o['sample'] for o in d] == [1, 2, 3]" \
	"all(o['device'] == '$N' for o in d)" \
	"all(num(o[k]) for o in d for k in ('util', 'await', 'aqu-sz', 'r/s', 'w/s', 'rmb/s', 'wmb/s'))" \
	"all(type(o['saturated']) is bool for o in d)" \
	"d[0]['timestamp'] < d[1]['timestamp'] < d[2]['timestamp']" \
	"list(d[0])[:3] == ['time', 'timestamp', 'device']"
# A reader sees each sample as it comes: the first line is there (and
# parses) while the run still goes on.
"$Q" stat -J --count 50 --interval 0.1 "$DEV" >"$WORK/stream" 2>"$WORK/err" &
pid=$!
wait_for test -s "$WORK/stream"
kill -0 "$pid" 2>/dev/null || fail "stat ended before the stream was read"
head -n 1 "$WORK/stream" >"$WORK/first"
jsonl_check "$WORK/first" 1
kill "$pid"
wait "$pid"
[ $? = 3 ] || fail "stat stopped by SIGTERM did not exit 3"
jsonl_check "$WORK/stream" 1

# --- stat --textfile: rewritten after each sample ---
"$Q" stat -q --count 8 --interval 0.25 --saturation 99 --textfile "$P/d.prom" \
	"$DEV" >"$WORK/out" 2>"$WORK/err" &
pid=$!
wait_for test -e "$P/d.prom"
first=$(stat -c %i "$P/d.prom")
wait "$pid"
[ $? = 0 ] || fail "stat --textfile exited $?: $(cat "$WORK/err")"
[ "$(stat -c %i "$P/d.prom")" != "$first" ] || fail "$P/d.prom was written once"
prom_check "$P/d.prom" ctl_disk_util_ratio ctl_disk_await_seconds \
	ctl_disk_queue_size ctl_disk_saturated
"$FLEET_PY" - "$P/d.prom" "$N" <<'EOF' || fail "stat metrics: $(cat "$P/d.prom")"
import sys
from prometheus_client.parser import text_string_to_metric_families as t
v = {s.name: s.value for f in t(open(sys.argv[1]).read()) for s in f.samples
     if s.labels == {'device': sys.argv[2]}}
assert 0 <= v['ctl_disk_util_ratio'] <= 1, v
assert v['ctl_disk_await_seconds'] >= 0 and v['ctl_disk_queue_size'] >= 0, v
assert v['ctl_disk_saturated'] == 0, v
EOF

# --- set: a change, then the same again ---
row='d["changes"][0]'
d0=$(depth)
[ "$d0" != 32 ] || fail "the loop queue is at 32 already"
expect_exit 0 "$Q" set -J --depth 32 "$DEV"
json_holds "$WORK/out" "len(d['changes']) == 1" "$row['result'] == 'applied'" \
	"$row['changed'] is True" "$row['old-depth'] == $d0" \
	"$row['depth'] == 32"
[ "$(depth)" = 32 ] || fail "depth $(depth), not 32"
expect_exit 0 "$Q" set -J --depth 32 "$DEV"
json_holds "$WORK/out" "$row['result'] == 'unchanged'" "$row['changed'] is False" \
	"$row['old-depth'] == 32 and $row['depth'] == 32"
expect_exit 0 "$Q" set --depth 32 "$DEV"
expect_grep " unchanged" "$WORK/out"
grep -q planned "$WORK/out" && fail "an unchanged set said planned"

# --- --dry-run: unchanged when nothing would change, planned when it would
expect_exit 0 "$Q" set --dry-run -J --depth 32 --scheduler none "$DEV"
json_holds "$WORK/out" "$row['result'] == 'unchanged'" "$row['changed'] is False"
expect_exit 0 "$Q" set --dry-run -rn -o DEVICE,RESULT --depth 32 "$DEV"
[ "$(cat "$WORK/out")" = "$N unchanged" ] || fail "dry run of no change: $(cat "$WORK/out")"
expect_exit 0 "$Q" set --dry-run -J --depth 16 "$DEV"
json_holds "$WORK/out" "$row['result'] == 'planned'" "$row['changed'] is True" \
	"$row['depth'] == 16"
expect_exit 0 "$Q" set --dry-run -rn -o DEVICE,RESULT --read-ahead 256 "$DEV"
[ "$(cat "$WORK/out")" = "$N planned" ] || fail "dry run of a read-ahead change"
expect_exit 0 "$Q" set --dry-run -rn -o DEVICE,RESULT --read-ahead 128 "$DEV"
[ "$(cat "$WORK/out")" = "$N unchanged" ] || fail "dry run of the same read-ahead"
[ "$(depth) $(ra) $(sched)" = "32 128 none" ] || fail "a dry run wrote"

# --- eval "$(qdepth set --dry-run -P ...)": what a script reads ---
expect_exit 0 "$Q" set --dry-run -P --depth 16 "$DEV"
pairs_check "$WORK/out"
(
	eval "$(head -n 1 "$WORK/out")"
	[ "$DEVICE" = "$N" ] && [ "$OLD_DEPTH" = 32 ] && [ "$DEPTH" = 16 ] &&
		[ "$RESULT" = planned ] && [ "$CHANGED" = 1 ] && [ "$OLD_SCHED" = none ]
) || fail "eval of set --dry-run -P: $(cat "$WORK/out")"
expect_exit 0 "$Q" set --dry-run -P --depth 32 "$DEV"
[ "$(pairs_get "$WORK/out" 1 RESULT) $(pairs_get "$WORK/out" 1 CHANGED)" = "unchanged 0" ] ||
	fail "eval of an unchanged dry run: $(cat "$WORK/out")"

# --- --exit-changed N: N for a change (made or, dry, would be), then 0 ---
expect_exit 9 "$Q" set --dry-run --exit-changed 9 --depth 48 "$DEV"
[ "$(depth)" = 32 ] || fail "dry run with --exit-changed wrote"
expect_exit 9 "$Q" set --exit-changed 9 --depth 48 "$DEV"
[ "$(depth)" = 48 ] || fail "depth $(depth), not 48"
expect_exit 0 "$Q" set --exit-changed 9 --depth 48 "$DEV"
expect_exit 0 "$Q" set --dry-run --exit-changed 9 --depth 48 "$DEV"
# Failures win over "changed".
expect_exit 2 "$Q" set --exit-changed 9 --depth 100000 "$DEV"
expect_exit 2 "$Q" set --exit-changed 3 --depth 48 "$DEV"
expect_grep "^qdepth: --exit-changed '3': give 1 or 5 to 255" "$WORK/err"
# The scheduler: a switch is a change, the same one is not.
expect_exit 7 "$Q" set --exit-changed 7 --scheduler mq-deadline "$DEV"
[ "$(sched)" = mq-deadline ] || fail "scheduler $(sched)"
expect_exit 0 "$Q" set --exit-changed 7 --scheduler mq-deadline "$DEV"

# --- --save twice, as a playbook run again: the second run changes
# nothing and leaves the file of the first, which holds the values from
# before; restore puts those back, and again is unchanged ---
echo none >"$SYSQ/scheduler" && echo 64 >"$SYSQ/nr_requests" || fail "reset"
expect_exit 9 "$Q" set --exit-changed 9 --save "$WORK/q.save" --depth 100 "$DEV"
cp "$WORK/q.save" "$WORK/q.first"
expect_exit 0 "$Q" set --exit-changed 9 --save "$WORK/q.save" --depth 100 "$DEV"
cmp -s "$WORK/q.save" "$WORK/q.first" || fail "an unchanged set rewrote the save file"
expect_exit 0 "$Q" restore --dry-run -J "$WORK/q.save"
json_holds "$WORK/out" "$row['result'] == 'planned'" "$row['changed'] is True" \
	"$row['depth'] == 64"
expect_exit 9 "$Q" restore --exit-changed 9 -J "$WORK/q.save"
json_holds "$WORK/out" "$row['result'] == 'applied'" "$row['changed'] is True" \
	"$row['old-depth'] == 100 and $row['depth'] == 64" "$row['ra'] == 128"
[ "$(depth)" = 64 ] || fail "restore gave depth $(depth)"
expect_exit 0 "$Q" restore --exit-changed 9 -b -J "$WORK/q.save"
json_holds "$WORK/out" "$row['result'] == 'unchanged'" "$row['changed'] is False" \
	"$row['ra'] == 131072"
expect_exit 0 "$Q" restore --dry-run --exit-changed 9 -rn -o DEVICE,RESULT "$WORK/q.save"
[ "$(cat "$WORK/out")" = "$N unchanged" ] || fail "restore --dry-run of no change: $(cat "$WORK/out")"
# A run that changes nothing still creates a missing file.
rm -f "$WORK/q.save"
expect_exit 0 "$Q" set --save "$WORK/q.save" --depth 64 "$DEV"
expect_grep "^$N none 64 128 $majmin\$" "$WORK/q.save"
echo "qdepth fleet output on $N: typed JSON, JSON Lines, unchanged/changed, --exit-changed, textfile"
