#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The checks of lib-fleet.sh on output known good and known bad, so that a
# tool's test using them fails for the tool, never for the check; then
# eval "$(qdepth set --dry-run -P ...)" on a real loop device, as a script
# reads it (issue 13: -P is eval-safe).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fleet.sh"
root_ns losetup
need_tool Q qdepth
need_fleet_py

# rejects CHECK ARG...: CHECK must fail (in a subshell, as fail exits).
rejects() {
	if ("$@") >"$WORK/rej.out" 2>&1; then
		fail "$* accepted what it must refuse"
	fi
}

# --- prom_check, prom_value ---
D=$WORK/prom
mkdir -p "$D"
# put NAME: stdin to $D/NAME.prom, mode 0644 (as ctl_file_write_atomic).
put() { cat >"$D/$1.prom" && chmod 644 "$D/$1.prom"; }
put good <<'EOF'
# HELP ctl_queue_nr_requests Requests the queue holds
# TYPE ctl_queue_nr_requests gauge
ctl_queue_nr_requests{device="sda"} 256
ctl_queue_nr_requests{device="a\"b\\c\nd"} 64
# HELP ctl_disk_util_ratio Busy share
# TYPE ctl_disk_util_ratio gauge
ctl_disk_util_ratio{device="sda"} NaN
ctl_disk_util_ratio{device="sdb"} 0.25
# HELP ctl_vm_swappiness vm.swappiness
# TYPE ctl_vm_swappiness gauge
ctl_vm_swappiness 60
EOF
prom_check "$D/good.prom" ctl_queue_nr_requests ctl_vm_swappiness
[ "$(prom_value "$D/good.prom" ctl_queue_nr_requests device=sda)" = 256 ] ||
	fail "prom_value sda"
[ "$(prom_value "$D/good.prom" ctl_queue_nr_requests device=$'a"b\\c\nd')" = 64 ] ||
	fail "prom_value of an escaped label"
[ "$(prom_value "$D/good.prom" ctl_disk_util_ratio device=sda)" = NaN ] ||
	fail "prom_value NaN"
[ "$(prom_value "$D/good.prom" ctl_disk_util_ratio device=sdb)" = 0.25 ] ||
	fail "prom_value 0.25"
[ "$(prom_value "$D/good.prom" ctl_vm_swappiness)" = 60 ] || fail "prom_value"
rejects prom_value "$D/good.prom" ctl_queue_nr_requests # two samples
rejects prom_value "$D/good.prom" ctl_queue_nr_requests device=sdz
rejects prom_check "$D/good.prom" ctl_no_such_metric

H='# HELP ctl_a a
# TYPE ctl_a gauge'
H2='# HELP ctl_b b
# TYPE ctl_b gauge'
printf '%s\nctl_a 1' "$H" | put no-newline
printf '%s\n%s\nctl_a{x="1"} 1\nctl_b 2\nctl_a{x="2"} 3\n' "$H" "$H2" | put apart
printf 'ctl_a 1\n' | put no-help
printf '%s\nctl_a{x="1"} 1\nctl_a{x="1"} 2\n' "$H" | put twice
printf '%s\nctl_a{x="1} 1\n' "$H" | put bad-quote
printf '# HELP ctl-a a\n# TYPE ctl-a gauge\nctl-a 1\n' | put bad-name
printf '%s\nctl_a{__x="1"} 1\n' "$H" | put bad-label
printf '%s\n%s\nctl_a 1\n' "$H" "$H" | put help-twice
for f in no-newline apart no-help twice bad-quote bad-name bad-label help-twice; do
	rejects prom_check "$D/$f.prom"
done
cp "$D/good.prom" "$D/mode.prom" && chmod 600 "$D/mode.prom"
rejects prom_check "$D/mode.prom"
cp "$D/good.prom" "$D/txt"
rejects prom_check "$D/txt"
mkdir "$D/left" && cp -p "$D/good.prom" "$D/left/m.prom"
: >"$D/left/.m.prom.123.abcdef.tmp"
rejects prom_check "$D/left/m.prom"

# --- jsonl_check, json_get ---
J=$WORK/json
mkdir -p "$J"
cat >"$J/good" <<'EOF'
{"time":"2026-12-07T11:23:24.500000Z","timestamp":1796642604.500000,"device":"sda","util":0.5,"saturated":false}
{"time":"2026-12-07T11:23:25.500000Z","timestamp":1796642605.5,"device":"sda","util":null,"saturated":true}
EOF
jsonl_check "$J/good" 2
[ "$(json_get "$J/good" 'd[1]["saturated"]')" = true ] || fail "json_get bool"
[ "$(json_get "$J/good" 'd[0]["util"]')" = 0.5 ] || fail "json_get number"
rejects jsonl_check "$J/good" 3
printf '{\n "a": 1\n}\n' >"$J/pretty"
printf '{"time":"2026-12-07T11:23:24.5Z","timestamp":1796642605.5}\n' >"$J/skew"
printf '{"time":"2026-12-07 11:23:24.5","timestamp":1796642604.5}\n' >"$J/nozone"
printf '{"time":"2026-12-07T11:23:24.5Z","timestamp":"1796642604.5"}\n' >"$J/strstamp"
printf '[1, 2]\n' >"$J/array"
printf '{"a": 1}' >"$J/nonl"
for f in pretty skew nozone strstamp array nonl; do
	rejects jsonl_check "$J/$f"
done
printf '{"devices": [{"name": "sda", "depth": 64, "maj:min": "8:0"}]}\n' >"$J/doc"
[ "$(json_get "$J/doc" 'd["devices"][0]["depth"]')" = 64 ] || fail "json_get 64"
[ "$(json_get "$J/doc" 'd["devices"][0]["maj:min"]')" = '"8:0"' ] ||
	fail "json_get string"

# --- pairs_check, pairs_get ---
P=$WORK/pairs
printf 'NAME="sda" MAJ_MIN="8:0" NOTE="a \\x24(touch %s) \\x22q\\x22"\n' "$WORK/ran" >"$P"
pairs_check "$P"
[ "$(pairs_get "$P" 1 MAJ_MIN)" = 8:0 ] || fail "pairs_get"
[ ! -e "$WORK/ran" ] || fail "eval of -P ran a command"
for bad in 'MAJ:MIN="8:0"' 'R/S="1"' 'A="$(touch '"$WORK/ran"')"' 'A="`id`"' \
	'A="x" B=y' '1A="x"'; do
	printf '%s\n' "$bad" >"$P"
	rejects pairs_check "$P"
done
[ ! -e "$WORK/ran" ] || fail "pairs_check ran a command"

# --- the real thing: a script evals qdepth's -P ---
queue_loop 80
want=$(( $(depth) > 4 ? $(depth) / 2 : 4 ))
expect_exit 0 "$Q" set --dry-run -P -o TARGET,DEVICE,OLD-DEPTH,DEPTH,OLD-SCHED \
	--depth "$want" "$DEV"
pairs_check "$WORK/out"
eval "$(head -n 1 "$WORK/out")"
[ "$DEVICE" = "$N" ] || fail "DEVICE '$DEVICE', want $N"
[ "$OLD_DEPTH" = "$(depth)" ] || fail "OLD_DEPTH '$OLD_DEPTH', want $(depth)"
[ "$OLD_SCHED" = "$(sched)" ] || fail "OLD_SCHED '$OLD_SCHED', want $(sched)"
expect_exit 0 "$Q" show -P -o DEVICE,MAJ:MIN "$DEV"
pairs_check "$WORK/out"
[ "$(pairs_get "$WORK/out" 1 MAJ_MIN)" = "$(lsblk -dno MAJ:MIN "$DEV" | tr -d ' ')" ] ||
	fail "MAJ_MIN"
# JSON keeps the names (as lsblk: "maj:min" in -J, MAJ_MIN in -P).
expect_exit 0 "$Q" show -J -o DEVICE,MAJ:MIN,DEPTH "$DEV"
[ "$(json_get "$WORK/out" 'list(d.values())[0][0]["maj:min"]')" = \
	"\"$(lsblk -dno MAJ:MIN "$DEV" | tr -d ' ')\"" ] || fail "JSON maj:min"
[ "$(json_get "$WORK/out" 'list(d.values())[0][0]["depth"]')" = "$(depth)" ] ||
	fail "JSON depth is not the number $(depth)"
echo "lib-fleet checks and -P eval: ok"
