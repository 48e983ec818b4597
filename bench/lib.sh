# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced (bash) by the mmapwin benchmarks, from bench/: where the tree
# and the tool are, and the interleaved rounds (shuffled) and their
# statistics that mmapwin-replace.sh and mmapwin-write.sh share. Sets TOP (the tree), B
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
# in CACHES, `run NAME CACHE` (the script's) once per contender, in an
# order shuffled anew each round (seeded by SEED, printed, so a run can
# be repeated). Not a fixed order turned round: then each contender always
# follows the same one, and on a virtual disk what ran just before (how
# much it left for the host to write back, what it wrote) moves the next
# run by up to 2x, always against the same contender.
rounds() {
	local list=$1 r cache c order k=0
	# Small: mawk's srand() saturates large seeds, and every round
	# would get the same order.
	: "${SEED:=$(($(date +%s) % 100000))}"
	echo "order shuffled each round, SEED=$SEED"
	for r in $(seq 1 "$ROUNDS"); do
		for cache in $CACHES; do
			k=$((k + 1))
			order=$(printf '%s\n' $list |
				awk -v s=$((SEED % 100000 * 100 + k)) 'BEGIN { srand(s) } { print rand() "\t" $0 }' |
				sort -n | cut -f2 | tr '\n' ' ')
			echo "round $r/$ROUNDS $cache: $order"
			for c in $order; do
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
