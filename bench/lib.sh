# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced (bash) by the mmapwin benchmarks, from bench/: where the tree
# and the tool are, and the interleaved rounds and their statistics that
# mmapwin-replace.sh and mmapwin-write.sh share. Sets TOP (the tree), B
# (made absolute; default build) and M ($B/mmapwin).
TOP=$(cd "$(dirname "$0")/.." && pwd)
: "${B:=build}"
case $B in /*) ;; *) B=$TOP/$B ;; esac
M=$B/mmapwin

# need_tools: exit 1 unless mmapwin is built and GNU time is there.
need_tools() {
	[ -x "$M" ] || { echo "build mmapwin first (make B=$B all)" >&2; exit 1; }
	[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)" >&2; exit 1; }
}

# rounds CONTENDERS: ROUNDS interleaved rounds; in each, for every cache
# in CACHES, `run NAME CACHE` (the script's) once per contender, the
# order turned each round so that no contender always runs first.
rounds() {
	local list=$1 r cache c i nc
	nc=$(echo $list | wc -w)
	for r in $(seq 1 "$ROUNDS"); do
		echo "round $r/$ROUNDS"
		for cache in $CACHES; do
			set -- $list
			for i in $(seq 1 $(((r - 1) % nc))); do set -- "${@:2}" "$1"; done
			for c in "$@"; do
				run "$c" "$cache"
			done
		done
	done
}

# stats FILE: "min median max" of the first column
stats() {
	cut -d' ' -f1 <"$1" | sort -n |
		awk '{ v[NR] = $1 } END { printf "%s %s %s\n", v[1], v[int((NR + 1) / 2)], v[NR] }'
}
median() { stats "$1" | cut -d' ' -f2; }
# peak FILE: the largest second column (peak RSS in KiB)
peak() { cut -d' ' -f2 <"$1" | sort -n | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r <= g ? "met" : "MISSED") }'; }

# summary TITLE LABELW RSSW: min, median, max and peak RSS of every
# contender in $contenders (named by the script's `label`) in every cache,
# from $W/res.CACHE.NAME; labels LABELW wide, RSS figures RSSW.
summary() {
	local cache c lo med hi
	printf "%-6s %-${2}s %7s %7s %7s %$(($3 + 4))s\n" cache "$1" min median max "peak RSS"
	for cache in $CACHES; do
		for c in $contenders; do
			read -r lo med hi < <(stats "$W/res.$cache.$c")
			printf "%-6s %-${2}s %7s %7s %7s %${3}s KiB\n" "$cache" "$(label $c)" \
				"$lo" "$med" "$hi" "$(peak "$W/res.$cache.$c")"
		done
	done
}
