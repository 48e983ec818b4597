#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qdepth on the udev hot path, whole process, against what a rule would do
# without it (issue 14: goals set <= 1.0 x sh, show <= 1.5 x cat). Rows:
#  read        qdepth show -o DEPTH against cat of nr_requests;
#  same value  qdepth set -q --depth 64 against sh -c 'echo 64 > ...' on a
#              queue already at 64: the udev case of a rule run again on a
#              change event. qdepth reads, finds it unchanged and writes
#              nothing; sh writes, and the kernel takes an equal value as
#              a no-op. What it measures is start-up, lookup and reads.
#  change      the same two commands where every run CHANGES the depth:
#              run i sets 32 (i even) or 64 (i odd), identically for both,
#              from 64. Each run pays the kernel's queue freeze (~27 ms on
#              a loop device), so this row is mostly the kernel's: it
#              shows that qdepth adds nothing that counts to a real write.
#              CRUNS runs a round (few: each takes ~28 ms).
#  start-up    (info) qdepth --version against sh -c :, the cost of
#              starting each program, and what is left of "same value"
#              once it is taken away: the work of each, in us.
# Interleaved rounds on a loop device of its own (root, image on a tmpfs):
# each round times RUNS (CRUNS) runs of every command, the order of the
# pairs turned round every other round; the report gives min/median/max
# of the per-run time over the rounds and the ratio of the medians. Public
# tools only (bash, date, sort, awk). Not part of make check; never
# asserts a time. The load average is printed before and after: on a busy
# machine the figures are "under load".
set -eu
: "${B:=build}" "${RUNS:=200}" "${CRUNS:=20}" "${ROUNDS:=9}"
[ "$(id -u)" -eq 0 ] || { echo "bench/qdepth.sh: needs root (loop device)" >&2; exit 77; }
if [ -z "${CTL_IN_NS:-}" ]; then
	CTL_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
Q=$(cd "$B" && pwd)/qdepth
[ -x "$Q" ] || { echo "bench/qdepth.sh: $Q not built" >&2; exit 1; }
work=$(mktemp -d)
mount -t tmpfs tmpfs "$work"
truncate -s 64M "$work/img"
dev=$(losetup -f --show "$work/img")
n=${dev#/dev/}
attr=/sys/block/$n/queue/nr_requests
old=$(cat "$attr")
trap 'echo "$old" > "$attr"; losetup -d "$dev"; umount "$work"; rmdir "$work"' EXIT
echo 64 >"$attr"

# per_run_us CMD...: wall microseconds per run, over $RUNS runs of CMD
per_run_us() {
	local s e i
	s=$(date +%s%N)
	for ((i = 0; i < RUNS; i++)); do "$@" >/dev/null; done
	e=$(date +%s%N)
	echo $(((e - s) / 1000 / RUNS))
}
# changing_us qdepth|sh: wall microseconds per run over $CRUNS runs that
# each change the depth (32, 64, 32, ... from 64); the depth is checked
# after each batch, outside the time.
changing_us() {
	local s e i d
	echo 64 >"$attr"
	s=$(date +%s%N)
	for ((i = 0; i < CRUNS; i++)); do
		d=$((i % 2 ? 64 : 32))
		if [ "$1" = sh ]; then
			sh -c "echo $d > $attr"
		else
			"$Q" set -q --depth "$d" "$n"
		fi
	done
	e=$(date +%s%N)
	[ "$(cat "$attr")" = "$d" ] || { echo "$1 left depth $(cat "$attr"), not $d" >&2; exit 1; }
	echo 64 >"$attr"
	echo $(((e - s) / 1000 / CRUNS))
}
declare -A t=()
add() { t[$1]="${t[$1]:-} $2"; }
round() {
	add cat "$(per_run_us cat "$attr")"
	add show "$(per_run_us "$Q" show -r -n -o DEPTH "$n")"
	add sh "$(per_run_us sh -c "echo 64 > $attr")"
	add set "$(per_run_us "$Q" set -q --depth 64 "$n")"
	add shc "$(changing_us sh)"
	add setc "$(changing_us qdepth)"
	add ver "$(per_run_us "$Q" --version)"
	add shn "$(per_run_us sh -c :)"
}
round_rev() {
	add shn "$(per_run_us sh -c :)"
	add ver "$(per_run_us "$Q" --version)"
	add setc "$(changing_us qdepth)"
	add shc "$(changing_us sh)"
	add set "$(per_run_us "$Q" set -q --depth 64 "$n")"
	add sh "$(per_run_us sh -c "echo 64 > $attr")"
	add show "$(per_run_us "$Q" show -r -n -o DEPTH "$n")"
	add cat "$(per_run_us cat "$attr")"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds of $RUNS runs (change: $CRUNS) each on $n"
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then round; else round_rev; fi
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$("$Q" show -rn -o DEPTH "$n")" = 64 ] || { echo "set did not apply" >&2; exit 1; }

# stats NAME: "min median max" in us
stats() {
	tr ' ' '\n' <<<"${t[$1]}" | grep . | sort -n |
		awk '{v[NR] = $1} END {print v[1], v[int((NR + 1) / 2)], v[NR]}'
}
# line LABEL KEY CMD PEERKEY PEER GOAL: a row of the report, the times
# of KEY (qdepth CMD) against those of PEERKEY (PEER).
line() {
	local a b
	a=$(stats "$2") b=$(stats "$4")
	awk -v l="$1" -v n="$3" -v p="$5" -v a="$a" -v b="$b" -v g="$6" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		printf "%-10s qdepth %-4s min/median/max %5d/%5d/%5d us   %-3s %5d/%5d/%5d us   ratio %.2f (goal <= %s: %s)\n",
			l, n, x[1], x[2], x[3], p, y[1], y[2], y[3], x[2] / y[2], g,
			sprintf("%.2f", x[2] / y[2]) + 0 <= g + 0 ? "met" : "MISSED"
	}'
}
line read show show cat cat 1.5
line "same value" set set sh sh 1.0
line change setc set shc sh 1.0
# start-up alone, and the work left of "same value" without it: per round
# (the pair ran in the same round), the median over the rounds (info)
# paired KEY BASE: median over the rounds of KEY's time less BASE's
paired() {
	awk -v a="${t[$1]}" -v b="${t[$2]}" 'BEGIN {
		n = split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= n; i++) print x[i] - y[i]
	}' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
awk -v a="$(stats ver)" -v b="$(stats shn)" -v q="$(paired set ver)" -v e="$(paired sh shn)" 'BEGIN {
	split(a, x, " "); split(b, y, " ")
	printf "start-up   qdepth --version %5d/%5d/%5d us   sh -c : %5d/%5d/%5d us   ratio %.2f (info)\n",
		x[1], x[2], x[3], y[1], y[2], y[3], x[2] / y[2]
	printf "work       same value less start-up, median per round: qdepth set %d us, sh echo %d us (info)\n", q, e
}'
echo "linked: $(ldd "$Q" | awk '/=>/ {print $1}' | tr '\n' ' ')"
