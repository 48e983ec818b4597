#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin -J for fleet tooling (issue 13): every subcommand's JSON is one
# document (patch --dry-run too: it printed a sentence), numbers are
# numbers, booleans booleans, what does not apply (no --undo, no
# --throttle) null; replace's "changed" is the suite's boolean and its
# byte count "changed-bytes" (it was "changed", a number); -P evals in a
# shell (CHANGED-BYTES is CHANGED_BYTES). The fields checked are those
# mmapwin(1) lists as stable under JSON OUTPUT.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fleet.sh"
root_ns
[ -x "$FLEET_PY" ] || skip "$FLEET_PY is not installed"
need_tool M mmapwin
tmpfs_at "$WORK" 64m mode=0700
cd "$WORK" || fail "cd $WORK"
head -c 100000 /dev/urandom >f
printf 'a hunter2 b hunter2 c\n' >log

# json_types FILE KEY EXPR...: FILE is one JSON document whose KEY holds
# a list of rows; each EXPR holds for r, the first row.
json_types() {
	local file=$1 key=$2
	shift 2
	JSON_DEFS="rows = d['$key']; r = rows[0]" json_holds "$file" \
		"type(d) is dict and list(d) == ['$key'] and len(rows) >= 1" "$@"
}

# --- patch: offset, length, windows, extended, records numbers; synced a
# boolean; undo a string, null without --undo.
expect_exit 0 "$M" patch f 10 --data ABCD --undo u -J \
	-o FILE,OFFSET,LENGTH,WINDOWS,EXTENDED,UNDO,RECORDS,SYNCED,OLD,NEW
json_types "$WORK/out" patch "r['file'] == 'f'" \
	"r['offset'] == 10 and r['length'] == 4 and num(r['windows'])" \
	"r['extended'] == 0 and r['records'] == 1" \
	"r['synced'] is True and r['undo'] == 'u'" \
	"r['new'] == '41424344' and len(r['old']) == 8"
expect_exit 0 "$M" patch f 20 --data xy --no-sync -J -o UNDO,SYNCED
json_types "$WORK/out" patch "r['undo'] is None and r['synced'] is False"
# --dry-run: a row, not a sentence (what is not done is null).
cp f f.orig
expect_exit 0 "$M" patch f 99998 --data WXYZ --extend --dry-run -J \
	-o FILE,OFFSET,LENGTH,EXTENDED,WINDOWS,UNDO,SYNCED,NEW
json_types "$WORK/out" patch "r['offset'] == 99998 and r['length'] == 4" \
	"r['extended'] == 2 and r['windows'] is None and r['new'] is None" \
	"r['undo'] is None and r['synced'] is False"
cmp -s f f.orig || fail "patch --dry-run -J changed the file"
expect_exit 0 "$M" patch f 0 --data A --dry-run
expect_grep '^f: would patch 1 bytes at offset 0$' "$WORK/out"

# --- undo: records listed with --dry-run, then applied.
expect_exit 0 "$M" undo u --dry-run -J
json_types "$WORK/out" records "len(rows) == 1" \
	"r['offset'] == 10 and r['length'] == 4"
expect_exit 0 "$M" undo u -J -o TARGET,RECORDS,BYTES,TORN,SIZE,TRUNCATED
json_types "$WORK/out" undo "r['target'] == '$WORK/f'" \
	"r['records'] == 1 and r['bytes'] == 4 and r['torn'] == 0" \
	"r['size'] == 100000 and r['truncated'] is False"

# --- fault: one row per phase, numbers (time and ns/page too).
expect_exit 0 "$M" fault f --populate -J \
	-o PHASE,PAGES,MINFLT,MAJFLT,TIME,NS/PAGE
json_types "$WORK/out" faults \
	"[x['phase'] for x in rows] == ['map-populate', 'touch-read', 'total']" \
	"all(num(x[k]) for x in rows for k in ('pages', 'minflt', 'majflt', 'time', 'ns/page'))" \
	"r['pages'] == 25"

# --- cache: numbers; with mincore, what it cannot tell is null.
expect_exit 0 "$M" cache f -J
json_types "$WORK/out" cache "r['pages'] == 25 and num(r['cached'])" \
	"num(r['percent']) and 0 <= r['percent'] <= 100" \
	"r['method'] in ('cachestat', 'mincore')" \
	"all(num(r[k]) == (r['method'] == 'cachestat') for k in ('dirty', 'writeback', 'evicted', 'recent'))"
expect_exit 0 "$M" cache f --mincore -J
json_types "$WORK/out" cache "r['method'] == 'mincore'" \
	"all(r[k] is None for k in ('dirty', 'writeback', 'evicted', 'recent'))"

# --- replace: changed (boolean, by default in JSON) and changed-bytes.
expect_exit 0 "$M" replace log hunter2 XXXXXXX -J
json_types "$WORK/out" replace "r['file'] == 'log' and r['matches'] == 2" \
	"r['changed-bytes'] == 14 and r['changed'] is True" \
	"r['size'] == 22 and r['newsize'] == 22" \
	"r['method'] == 'in-place' and r['synced'] is True"
expect_exit 0 "$M" replace log XXXXXXX '' --dry-run -J -o +UNDO,RECORDS,TIME
json_types "$WORK/out" replace "r['method'] == 'dry-run'" \
	"r['matches'] == 2 and r['changed'] is True and r['newsize'] == 8" \
	"r['undo'] is None and r['records'] == 0 and num(r['time'])" \
	"r['synced'] is False"
expect_exit 0 "$M" replace log nowhere 'x' -J
json_types "$WORK/out" replace "r['matches'] == 0 and r['changed'] is False" \
	"r['changed-bytes'] == 0"
expect_exit 0 "$M" replace log XXXXXXX YYYYYYY --undo ru -J -o UNDO,RECORDS,CHANGED
json_types "$WORK/out" replace "r['undo'] == 'ru' and num(r['records'])" \
	"r['changed'] is True"
# The table keeps its words; CHANGED only where asked for.
expect_exit 0 "$M" replace log YYYYYYY ZZZZZZZ
expect_grep '^FILE +MATCHES +CHANGED-BYTES +SIZE +NEWSIZE +METHOD +SYNCED$' "$WORK/out"

# --- write: numbers, a boolean, throttle null without --throttle.
printf 'some bytes\n' >src
expect_exit 0 "$M" write w -J \
	-o FILE,OFFSET,BYTES,ENGINE,DEPTH,MINDEPTH,DIRECT,WRITE,SYNC,MIB/S,SYNCED,THROTTLE <src
json_types "$WORK/out" write "r['file'] == 'w' and r['offset'] == 0" \
	"r['bytes'] == 11 and r['direct'] == 0" \
	"all(num(r[k]) for k in ('depth', 'mindepth', 'write', 'sync', 'mib/s'))" \
	"type(r['engine']) is str and r['synced'] is True" \
	"r['throttle'] is None"
expect_exit 0 "$M" write w2 -r -n -o THROTTLE <src
[ "$(cat "$WORK/out")" = - ] || fail "write THROTTLE in a table: $(cat "$WORK/out")"

# --- -P evals in a shell: CHANGED-BYTES is CHANGED_BYTES, MIB/S MIB_S.
expect_exit 0 "$M" replace log ZZZZZZZ hunter2 -P -o +UNDO,TIME
pairs_check "$WORK/out"
eval "$(cat "$WORK/out")"
[ "$MATCHES" = 2 ] && [ "$CHANGED_BYTES" = 14 ] && [ "$CHANGED" = 1 ] &&
	[ "$METHOD" = in-place ] && [ "$UNDO" = - ] ||
	fail "replace -P: $(cat "$WORK/out")"
eval "$("$M" write w3 -P -o BYTES,MIB/S,SYNCED <src)" || fail "eval write -P"
[ "$BYTES" = 11 ] && [ -n "$MIB_S" ] && [ "$SYNCED" = 1 ] ||
	fail "write -P: BYTES=$BYTES MIB_S=$MIB_S SYNCED=$SYNCED"
eval "$("$M" fault f -P -o PHASE,NS/PAGE | tail -n 1)" || fail "eval fault -P"
[ "$PHASE" = total ] && [ "$NS_PAGE" -ge 0 ] || fail "fault -P: $PHASE $NS_PAGE"
expect_exit 0 "$M" patch f 0 --data Q --dry-run -P
pairs_check "$WORK/out"
[ "$(pairs_get "$WORK/out" 1 LENGTH)" = 1 ] || fail "patch --dry-run -P: $(cat "$WORK/out")"
echo "mmapwin -J: typed and stable fields"
