#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The read-only views of swapadj against what an operator would type
# instead: "swapadj show" (every fact, no wait) and "swapadj check --max
# 100" against "sysctl vm.swappiness". Whole processes, as a shell runs
# them. Each round times RUNS runs of each command with GNU time, in an
# order that alternates between rounds (ABC, CBA, ...) so that drift of
# the machine falls on all alike; ROUNDS rounds give min, median and max
# per run, and the ratio of the medians is printed next to the goal
# (show at most 2x sysctl). Reads only; needs no root. Not part of make
# check; never asserts a time.
set -eu
: "${B:=build}" "${RUNS:=200}" "${ROUNDS:=7}"
TIME=${TIME_BIN:-/usr/bin/time}
SA=$(cd "$B" && pwd)/swapadj
[ -x "$SA" ] || { echo "bench/swapadj.sh: $SA not built" >&2; exit 1; }
"$TIME" -f %e true 2>/dev/null ||
	{ echo "bench/swapadj.sh: needs GNU time at $TIME (apt-get install time)" >&2; exit 77; }
command -v sysctl >/dev/null || { echo "bench/swapadj.sh: needs sysctl (procps)" >&2; exit 77; }
# Both read the same value, and each run must succeed.
[ "$("$SA" -o VALUE -rn | head -n 1)" = "$(sysctl -n vm.swappiness)" ] ||
	{ echo "bench/swapadj.sh: swapadj and sysctl disagree" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# secs NAME CMD...: wall seconds for RUNS runs of CMD, appended to
# $work/NAME (one line per round).
secs() {
	name=$1
	shift
	"$TIME" -f %e -o "$work/t" sh -c '
		n=$1
		shift
		i=0
		while [ "$i" -lt "$n" ]; do
			"$@" >/dev/null || exit 1
			i=$((i + 1))
		done' sh "$RUNS" "$@" || { echo "bench/swapadj.sh: $* failed" >&2; exit 1; }
	tail -n 1 "$work/t" >>"$work/$name"
}
a() { secs sysctl sysctl vm.swappiness; }
b() { secs show "$SA" show; }
c() { secs check "$SA" check --max 200; }
r=1
while [ "$r" -le "$ROUNDS" ]; do
	if [ $((r % 2)) -eq 1 ]; then a; b; c; else c; b; a; fi
	printf 'round %d: sysctl %s s, swapadj show %s s, swapadj check %s s (%d runs each)\n' \
		"$r" "$(tail -n 1 "$work/sysctl")" "$(tail -n 1 "$work/show")" \
		"$(tail -n 1 "$work/check")" "$RUNS"
	r=$((r + 1))
done

# stats NAME: "min median max" in ms per run.
stats() {
	sort -n "$work/$1" | awk -v n="$RUNS" '
		{ v[NR] = $1 * 1000 / n }
		END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3f %.3f %.3f\n", v[1], m, v[NR]
		}'
}
set -- $(stats sysctl) $(stats show) $(stats check)
printf 'ms per run (min / median / max of %d rounds):\n' "$ROUNDS"
printf '  sysctl vm.swappiness      %s / %s / %s\n' "$1" "$2" "$3"
printf '  swapadj show              %s / %s / %s\n' "$4" "$5" "$6"
printf '  swapadj check --max 200   %s / %s / %s\n' "$7" "$8" "$9"
awk -v s="$2" -v w="$5" -v c="$8" 'BEGIN {
	r = w / s
	printf "ratio of medians: show / sysctl %.2f (goal <= 2.0: %s), check / sysctl %.2f\n", r, r <= 2.0 ? "met" : "MISSED", c / s
}'
echo "swapadj linked with: $(ldd "$SA" | awk '/=>/ { print $1 }' | tr '\n' ' ')"
