#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin replace against its durable floor and what people use instead,
# on one generated log (lines with password=... tokens), page cache warm
# and cold:
#   different length: mmapwin replace password=hunter2 'pw=[redacted]'
#   same length:      mmapwin replace hunter2 XXXXXXX (in place)
#   floor:            cp f f2 && sync f2 (the same bytes made durable)
#   peers (SED=1):    LC_ALL=C sed -i ... f && sync f, for both cases
# Every replace is synced (the default), so every contender is durable.
# Each run gets a fresh copy of the log, made untimed (cp, sync; for
# "cold" its page cache is then dropped with dd iflag=nocache). ROUNDS
# interleaved rounds, each running every contender once (the order
# shuffled each round, SEED); min, median and max wall seconds of each, the ratio of the
# medians to cp+sync next to its goal, and peak RSS (GNU time %M), also
# for a BIGSIZE log (flat: it must not grow with the file).
# Guest memory is warmed first (bench/warm.inc). Not part of make check.
#
#   B=build SIZE=2G BIGSIZE=4G ROUNDS=5 SED=1 DIR=/var/tmp bench/mmapwin-replace.sh
set -eu
. "$(dirname "$0")/lib.sh"
: "${SIZE:=2G}" "${BIGSIZE:=4G}" "${ROUNDS:=5}" "${SED:=1}"
: "${DIR:=${TMPDIR:-/var/tmp}}" "${CACHES:=warm cold}"
GOAL_DIFF=1.3 # different-length replace / cp+sync, at most
GOAL_SAME=0.8 # same-length replace / cp+sync, at most
need_tools

bytes() { numfmt --from=iec "$1"; }
. "$TOP/bench/warm.inc"
W=$(mktemp -d "$DIR/mmapwin-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cc -O2 -o "$W/genlog" "$TOP/bench/genlog.c"
echo "generating a $SIZE log in $W ..."
"$W/genlog" "$(bytes "$SIZE")" >"$W/log"
echo "matches: $(grep -o 'password=hunter2' "$W/log" | wc -l) in $(stat -c %s "$W/log") bytes"

# fresh SRC CACHE: $W/f a new copy of SRC, durable, its pages cached
# (warm) or not (cold); no $W/f2.
fresh() {
	rm -f "$W/f" "$W/f2"
	cp "$W/$1" "$W/f"
	sync
	[ "$2" = warm ] || dd if="$W/f" iflag=nocache count=0 status=none
}

# The contenders; each works on $W/f.
contenders="cp_sync mw_diff mw_same"
[ "$SED" = 1 ] && contenders="$contenders sed_diff sed_same"
label() {
	case $1 in
	cp_sync) echo "cp f f2 && sync f2" ;;
	mw_diff) echo "mmapwin replace (different length)" ;;
	mw_same) echo "mmapwin replace (same length)" ;;
	sed_diff) echo "sed -i && sync (different length)" ;;
	sed_same) echo "sed -i && sync (same length)" ;;
	esac
}
# cmd NAME: the command of contender NAME, in CMD
cmd() {
	case $1 in
	cp_sync) CMD=(sh -c 'cp "$1" "$1"2 && sync "$1"2' sh "$W/f") ;;
	mw_diff) CMD=("$M" replace "$W/f" password=hunter2 'pw=[redacted]' -q) ;;
	mw_same) CMD=("$M" replace "$W/f" hunter2 XXXXXXX -q) ;;
	sed_diff) CMD=(sh -c 'LC_ALL=C sed -i "s/password=hunter2/pw=[redacted]/g" "$1" && sync "$1"' sh "$W/f") ;;
	sed_same) CMD=(sh -c 'LC_ALL=C sed -i "s/hunter2/XXXXXXX/g" "$1" && sync "$1"' sh "$W/f") ;;
	esac
}
# timed NAME: run contender NAME on $W/f under GNU time; "secs rss" in $W/t
timed() {
	cmd "$1"
	/usr/bin/time -f '%e %M' -o "$W/t" "${CMD[@]}" >/dev/null
}
# run NAME CACHE: one timed run on a fresh copy; appends to $W/res.CACHE.NAME
run() {
	fresh log "$2"
	timed "$1"
	cat "$W/t" >>"$W/res.$2.$1"
	read -r secs kib <"$W/t"
	printf '  %-5s %-36s %6s s %6s KiB\n' "$2" "$(label "$1")" "$secs" "$kib"
}

rounds "$contenders"

echo
summary "contender ($ROUNDS rounds, wall s)" 36 6
echo
for cache in $CACHES; do
	cp=$(median "$W/res.$cache.cp_sync")
	d=$(ratio "$(median "$W/res.$cache.mw_diff")" "$cp")
	s=$(ratio "$(median "$W/res.$cache.mw_same")" "$cp")
	echo "$cache: different length / cp+sync: ${d}x (goal <= $GOAL_DIFF: $(verdict "$d" $GOAL_DIFF))"
	echo "$cache: same length / cp+sync:      ${s}x (goal <= $GOAL_SAME: $(verdict "$s" $GOAL_SAME))"
	if [ "$SED" = 1 ]; then
		echo "$cache: different length / sed:      $(ratio "$(median "$W/res.$cache.mw_diff")" "$(median "$W/res.$cache.sed_diff")")x"
		echo "$cache: same length / sed:           $(ratio "$(median "$W/res.$cache.mw_same")" "$(median "$W/res.$cache.sed_same")")x"
	fi
done

# Peak RSS must not grow with the file.
echo
echo "generating a $BIGSIZE log for the RSS check ..."
"$W/genlog" "$(bytes "$BIGSIZE")" >"$W/big"
for src in log big; do
	for c in mw_same mw_diff; do
		fresh "$src" warm
		timed "$c"
		read -r s k <"$W/t"
		printf '%-36s on %11s bytes: %6s s, peak RSS %6s KiB\n' "$(label $c)" "$(stat -c %s "$W/$src")" "$s" "$k"
		echo "$k" >"$W/rss.$src.$c"
	done
done
for c in mw_same mw_diff; do
	echo "RSS $BIGSIZE / $SIZE, $(label $c): $(ratio "$(cat "$W/rss.big.$c")" "$(cat "$W/rss.log.$c")")x (goal ~1: flat)"
done
