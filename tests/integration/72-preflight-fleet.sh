#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# preflight for fleet tooling (issue 13), on a loop-mounted ext4 as in
# 70-preflight.sh: -J rows carry typed fields beside the text (MEASURED,
# MIN, MAX as numbers in UNIT, DEVICE; STATUS from a fixed set), read with
# python3's json; -b prints the sizes of the text in bytes; -P evals in
# sh; --textfile FILE.prom writes the checks as Prometheus metrics (read
# with prometheus_client), atomically, replacing the old file whole.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fleet.sh"
root_ns mke2fs losetup
need_fleet_py
need_tool P preflight

# MNT, LOOP (none, nr_requests 128), SYSQ, FILE (1M), as 70-preflight.sh.
preflight_env
RFILE=$(readlink -f "$FILE")

# The host-wide checks off, as in 70-preflight.sh; swappiness only read.
printf 'dirty.min_bytes = 0\nmem.avail_min_pct = 0\nvm.swappiness_min = 0\nvm.swappiness_max = 200\n' \
	>"$WORK/base.policy"

# json_holds FILE EXPR...: d's rows as rows, the first row of check C as
# r('C').
export JSON_DEFS='rows = d["preflight"]
def r(c):
    return [x for x in rows if x["check"] == c][0]'

# --- -J: the text columns and the typed ones ---
expect_exit 0 "$P" -J --policy "$WORK/base.policy" --size 1M "$FILE"
read -r bavail bsize blocks < <(stat -f -c '%a %S %b' "$MNT")
avail=$((bavail * bsize))
need=$((1048576 + blocks * bsize * 5 / 100))
json_holds "$WORK/out" \
	"len(rows) >= 12" \
	"all(set(x) == {'check','status','value','bound','hint','device','measured','min','max','unit'} for x in rows)" \
	"all(x['status'] in ('PASS','WARN','FAIL','SKIP','ERROR') for x in rows)" \
	"all(x['measured'] is None or num(x['measured']) for x in rows)" \
	"all(x[k] is None or num(x[k]) for x in rows for k in ('min','max'))" \
	"all(x['unit'] is None or x['unit'] in ('bytes','seconds','ratio','requests') for x in rows)" \
	"r('space')['status'] == 'PASS' and r('space')['unit'] == 'bytes'" \
	"type(r('space')['measured']) is int and abs(r('space')['measured'] - $avail) < 1048576" \
	"r('space')['min'] == $need and r('space')['max'] is None" \
	"r('space')['value'].endswith('M') or 'M free of' in r('space')['value']" \
	"r('depth')['measured'] == 128 and type(r('depth')['measured']) is int" \
	"r('depth')['unit'] == 'requests' and r('depth')['min'] == 128 and r('depth')['max'] is None" \
	"r('depth')['device'] == '$LOOP' and r('depth')['value'] == '$LOOP: nr_requests=128'" \
	"r('scheduler')['device'] == '$LOOP' and r('scheduler')['measured'] is None" \
	"r('ext4-commit')['measured'] == 5 and r('ext4-commit')['unit'] == 'seconds'" \
	"r('ext4-commit')['min'] == 5 and r('ext4-commit')['max'] == 30" \
	"r('swappiness')['measured'] == $(cat /proc/sys/vm/swappiness) or r('swappiness')['value'].startswith('memory.')" \
	"r('swappiness')['unit'] is None and r('swappiness')['min'] == 0 and r('swappiness')['max'] == 200" \
	"r('saturation')['unit'] == 'ratio' and 0 <= r('saturation')['measured'] <= 1" \
	"num(r('saturation')['max']) and 0 < r('saturation')['max'] <= 1" \
	"r('memory')['unit'] == 'bytes' and type(r('memory')['measured']) is int" \
	"r('dirty')['unit'] == 'bytes' and type(r('dirty')['measured']) is int" \
	"r('fstype')['measured'] is None and r('fstype')['unit'] is None and r('fstype')['device'] is None" \
	"r('mount')['value'].startswith('rw,nosuid,nodev,noexec')"
# -o picks typed columns as any other.
expect_exit 0 "$P" -J -o CHECK,MEASURED,UNIT --policy "$WORK/base.policy" "$FILE"
json_holds "$WORK/out" "all(set(x) == {'check','measured','unit'} for x in rows)" \
	"r('depth')['measured'] == 128"
# A FAIL row: depth below queue.depth_min; the numbers say why.
echo 16 >"$SYSQ/nr_requests" || fail "set nr_requests"
expect_exit 1 "$P" -J --policy "$WORK/base.policy" "$FILE"
json_holds "$WORK/out" "r('depth')['status'] == 'FAIL' and r('depth')['measured'] == 16 < r('depth')['min']"
echo 128 >"$SYSQ/nr_requests" || fail "restore nr_requests"

# --- the table keeps its columns; -b prints sizes in bytes ---
expect_exit 0 "$P" -P --policy "$WORK/base.policy" --size 1M "$FILE"
[ "$(sed -n 1p "$WORK/out" | sed -E 's/="[^"]*"//g')" = "CHECK STATUS VALUE BOUND HINT" ] ||
	fail "default columns: $(sed -n 1p "$WORK/out")"
expect_grep '^CHECK="space" STATUS="PASS" VALUE="[0-9.]+M free of [0-9.]+M" BOUND=">= 1M write \+ [0-9.]+[KM] reserve \(5%\)"' "$WORK/out"
pairs_check "$WORK/out"
expect_exit 0 "$P" -P -b --policy "$WORK/base.policy" --size 1M "$FILE"
expect_grep '^CHECK="space" STATUS="PASS" VALUE="[0-9]+ free of [0-9]+" BOUND=">= 1048576 write \+ [0-9]+ reserve \(5%\)"' "$WORK/out"
expect_exit 0 "$P" --bytes -J --policy "$WORK/base.policy" --size 1M "$FILE"
json_holds "$WORK/out" "r('space')['value'].split()[0].isdigit()" \
	"type(r('space')['measured']) is int and r('space')['min'] == $need"

# --- -P evals in sh, every column ---
ALL=CHECK,STATUS,VALUE,BOUND,HINT,DEVICE,MEASURED,MIN,MAX,UNIT
expect_exit 0 "$P" -P -o "$ALL" --policy "$WORK/base.policy" --size 1M "$FILE"
pairs_check "$WORK/out"
n=$(grep -n '^CHECK="depth"' "$WORK/out" | cut -d: -f1)
[ "$(pairs_get "$WORK/out" "$n" MEASURED)" = 128 ] || fail "-P MEASURED of depth"
[ "$(pairs_get "$WORK/out" "$n" DEVICE)" = "$LOOP" ] || fail "-P DEVICE of depth"
# shellcheck disable=SC2046
eval "$("$P" -P -o CHECK,STATUS,UNIT --policy "$WORK/base.policy" "$FILE" | grep '^CHECK="ext4-commit"')"
[ "$CHECK/$STATUS/$UNIT" = ext4-commit/PASS/seconds ] ||
	fail "eval of -P: $CHECK/$STATUS/$UNIT"

# --- --textfile ---
PD=$WORK/prom
mkdir "$PD" || fail "mkdir $PD"
M=$PD/preflight.prom
# An old file and something that reads it: the run replaces it whole.
printf '# HELP old_metric x\n# TYPE old_metric gauge\nold_metric 1\n' >"$M"
exec 7<"$M"
before=$(date +%s)
expect_exit 0 "$P" -P --textfile "$M" --policy "$WORK/base.policy" --size 1M "$FILE"
expect_grep '^CHECK="depth" STATUS="PASS"' "$WORK/out"
prom_check "$M" ctl_preflight_check_status ctl_preflight_check_value \
	ctl_preflight_exit_code ctl_preflight_last_run_timestamp_seconds
grep -q old_metric "$M" && fail "the old file was not replaced"
grep -q old_metric <&7 || fail "the old file was changed in place, not replaced"
exec 7<&-
[ "$(ls -A "$PD")" = preflight.prom ] || fail "left in $PD: $(ls -A "$PD")"
pv() { prom_value "$M" "$@"; }
t="target=$RFILE"
[ "$(pv ctl_preflight_check_status "$t" check=depth device="$LOOP" status=PASS)" = 1 ] ||
	fail "depth PASS is not 1"
for s in WARN FAIL SKIP ERROR; do
	[ "$(pv ctl_preflight_check_status "$t" check=depth device="$LOOP" status=$s)" = 0 ] ||
		fail "depth $s is not 0"
done
[ "$(pv ctl_preflight_check_status "$t" check=fstype status=PASS)" = 1 ] || fail "fstype PASS"
[ "$(pv ctl_preflight_check_value "$t" check=depth device="$LOOP" unit=requests)" = 128 ] ||
	fail "depth value"
[ "$(pv ctl_preflight_check_value "$t" check=ext4-commit unit=seconds)" = 5 ] ||
	fail "commit value"
v=$(pv ctl_preflight_check_value "$t" check=space unit=bytes)
[ $((v - avail)) -lt 1048576 ] && [ $((avail - v)) -lt 1048576 ] || fail "space value $v, df $avail"
[ "$(pv ctl_preflight_exit_code)" = 0 ] || fail "exit code"
ts=$(pv ctl_preflight_last_run_timestamp_seconds)
"$FLEET_PY" -c "import sys; sys.exit(not $before <= $ts <= $(date +%s) + 1)" ||
	fail "timestamp $ts not in [$before, now]"
# No value sample for a check without a number.
grep -q '^ctl_preflight_check_value{[^}]*check="mount"' "$M" && fail "a value for mount"
# -q: nothing printed, the file still written; a FAIL is in it.
echo 16 >"$SYSQ/nr_requests" || fail "set nr_requests"
expect_exit 1 "$P" -q --textfile "$M" --policy "$WORK/base.policy" "$FILE"
[ -s "$WORK/out" ] && fail "-q printed a report"
prom_check "$M" ctl_preflight_exit_code
[ "$(pv ctl_preflight_exit_code)" = 1 ] || fail "exit code 1"
[ "$(pv ctl_preflight_check_status "$t" check=depth device="$LOOP" status=FAIL)" = 1 ] || fail "depth FAIL"
[ "$(pv ctl_preflight_check_status "$t" check=depth device="$LOOP" status=PASS)" = 0 ] || fail "depth PASS 0"
[ "$(pv ctl_preflight_check_value "$t" check=depth device="$LOOP" unit=requests)" = 16 ] || fail "depth 16"
echo 128 >"$SYSQ/nr_requests" || fail "restore nr_requests"
# A TARGET whose name needs escaping in a label.
Q=$MNT/'a"b\c.bin'
: >"$Q" || fail "create $Q"
expect_exit 0 "$P" -q --textfile "$M" --policy "$WORK/base.policy" --size 1M "$Q"
prom_check "$M"
[ "$(pv ctl_preflight_check_status target="$(readlink -f "$Q")" check=space status=PASS)" = 1 ] ||
	fail "escaped target label"
# A TARGET that cannot be checked: the exit status still reaches the file.
expect_exit 3 "$P" --textfile "$M" "$MNT/no/such/dir/f"
prom_check "$M" ctl_preflight_exit_code ctl_preflight_last_run_timestamp_seconds
[ "$(pv ctl_preflight_exit_code)" = 3 ] || fail "exit code 3 for a missing TARGET"
grep -q '^ctl_preflight_check_status' "$M" && fail "check rows for a missing TARGET"
# Not a .prom name, or an option error: usage error, the file untouched.
cp "$M" "$WORK/m.before"
expect_exit 2 "$P" --textfile "$PD/m.txt" "$FILE"
expect_grep "^preflight: --textfile '$PD/m.txt': not a .prom file" "$WORK/err"
expect_exit 2 "$P" --textfile "$M" --size 12Q "$FILE"
cmp -s "$M" "$WORK/m.before" || fail "a usage error rewrote the textfile"
[ "$(ls -A "$PD")" = preflight.prom ] || fail "left in $PD: $(ls -A "$PD")"
# A directory that cannot take it: exit 3, the report still printed.
expect_exit 3 "$P" -P --textfile "$WORK/none/m.prom" --policy "$WORK/base.policy" "$FILE"
expect_grep '^CHECK="depth"' "$WORK/out"
expect_grep "^preflight: $WORK/none/m.prom: No such file or directory" "$WORK/err"
echo "preflight fleet: typed JSON, -b, -P eval, --textfile"
