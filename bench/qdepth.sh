#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qdepth on the udev hot path, whole process, against what a rule would do
# without it: a read against cat(1), a depth write against sh -c 'echo'.
# Runs interleaved rounds on a loop device of its own (root) and prints
# the ratios. Not part of make check; never asserts a time.
set -eu
: "${B:=build}" "${RUNS:=400}" "${ROUNDS:=5}"
[ "$(id -u)" -eq 0 ] || { echo "bench/qdepth.sh: needs root (loop device)" >&2; exit 77; }
if [ -z "${CTL_IN_NS:-}" ]; then
	CTL_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
Q=$(cd "$B" && pwd)/qdepth
work=$(mktemp -d)
mount -t tmpfs tmpfs "$work"
truncate -s 64M "$work/img"
dev=$(losetup -f --show "$work/img")
n=${dev#/dev/}
attr=/sys/block/$n/queue/nr_requests
old=$(cat "$attr")
trap 'echo "$old" > "$attr"; losetup -d "$dev"; umount "$work"; rmdir "$work"' EXIT

# time_ms CMD...: wall milliseconds for $RUNS runs of CMD
time_ms() {
	local s e i
	s=$(date +%s%N)
	for ((i = 0; i < RUNS; i++)); do "$@" >/dev/null; done
	e=$(date +%s%N)
	echo $(((e - s) / 1000000))
}
sum_q=0 sum_c=0 sum_s=0 sum_w=0
for ((r = 1; r <= ROUNDS; r++)); do
	c=$(time_ms cat "$attr")
	q=$(time_ms "$Q" show -r -n -o DEPTH "$n")
	w=$(time_ms sh -c "echo 64 > $attr")
	s=$(time_ms "$Q" set -q --depth 64 "$n")
	printf 'round %d: cat %d ms, qdepth show %d ms, sh echo %d ms, qdepth set %d ms (%d runs each)\n' \
		"$r" "$c" "$q" "$w" "$s" "$RUNS"
	sum_c=$((sum_c + c)) sum_q=$((sum_q + q)) sum_w=$((sum_w + w)) sum_s=$((sum_s + s))
done
[ "$("$Q" show -rn -o DEPTH "$n")" = 64 ] || { echo "set did not apply" >&2; exit 1; }
awk -v q="$sum_q" -v c="$sum_c" -v s="$sum_s" -v w="$sum_w" -v n="$RUNS" -v r="$ROUNDS" 'BEGIN {
	printf "read : qdepth show %.2f ms/run, cat %.2f ms/run, ratio %.2f (goal <= 1.5)\n", q/(n*r), c/(n*r), q/c
	printf "write: qdepth set %.2f ms/run, sh -c echo %.2f ms/run, ratio %.2f (goal <= 1.0)\n", s/(n*r), w/(n*r), s/w
}'
echo "linked: $(ldd "$Q" | awk '/=>/ {print $1}' | tr '\n' ' ')"
