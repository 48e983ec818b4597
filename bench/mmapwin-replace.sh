#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin replace against what people use instead, side by side in one run
# on the same generated log (lines with password=... tokens):
#   same length:      mmapwin replace  vs  LC_ALL=C sed -i  vs  cp (I/O floor)
#   different length: mmapwin replace  vs  LC_ALL=C sed -i
#   peak RSS of replace on a SIZE and a BIGSIZE log (must be flat)
# Each contender works on a fresh copy (made untimed, so the page cache is
# warm for all alike); ROUNDS interleaved rounds, the median is reported.
# Prints wall seconds, peak RSS and the ratios. Not part of make check.
#
#   B=build SIZE=2G BIGSIZE=4G ROUNDS=3 DIR=/var/tmp bench/mmapwin-replace.sh
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
: "${B:=build}"
case $B in /*) ;; *) B=$TOP/$B ;; esac
M=$B/mmapwin
: "${SIZE:=2G}" "${BIGSIZE:=4G}" "${ROUNDS:=3}" "${DIR:=${TMPDIR:-/var/tmp}}"
[ -x "$M" ] || { echo "build mmapwin first (make B=$B all)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs GNU time" >&2; exit 1; }

bytes() { numfmt --from=iec "$1"; }
. "$TOP/bench/warm.inc"
W=$(mktemp -d "$DIR/mmapwin-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cc -O2 -o "$W/genlog" "$TOP/bench/genlog.c"
echo "generating a $SIZE log in $W ..."
"$W/genlog" "$(bytes "$SIZE")" >"$W/log"
echo "matches: $(grep -o 'password=hunter2' "$W/log" | wc -l) in $(stat -c %s "$W/log") bytes"

# run NAME CMD...: time CMD on a fresh copy $W/f; appends "secs rss" to NAME
run() {
	local name=$1
	shift
	rm -f "$W/f" "$W/f2"
	cp "$W/log" "$W/f"
	sync
	/usr/bin/time -f '%e %M' -o "$W/t" "$@" >/dev/null
	cat "$W/t" >>"$W/res.$name"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
secs() { cut -d' ' -f1 <"$W/res.$1" | median; }
rss() { cut -d' ' -f2 <"$W/res.$1" | sort -n | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

for r in $(seq 1 "$ROUNDS"); do
	echo "round $r/$ROUNDS"
	run mw_same "$M" replace "$W/f" hunter2 XXXXXXX -q
	run mw_same_nosync "$M" replace "$W/f" hunter2 XXXXXXX -q --no-sync
	run sed_same env LC_ALL=C sed -i 's/hunter2/XXXXXXX/g' "$W/f"
	run cp cp "$W/f" "$W/f2"
	run cp_sync sh -c 'cp "$1" "$2" && sync "$2"' sh "$W/f" "$W/f2"
	run mw_diff "$M" replace "$W/f" password=hunter2 'pw=[redacted]' -q
	run sed_diff env LC_ALL=C sed -i 's/password=hunter2/pw=[redacted]/g' "$W/f"
done

printf '\n%-34s %9s %10s\n' "contender (median of $ROUNDS)" "wall s" "peak RSS"
for n in mw_same mw_same_nosync sed_same cp cp_sync mw_diff sed_diff; do
	printf '%-34s %9s %8s KiB\n' "$n" "$(secs $n)" "$(rss $n)"
done
echo
echo "same length, sed -i / mmapwin:         $(ratio "$(secs sed_same)" "$(secs mw_same)")x  (goal >= 5)"
echo "same length, mmapwin / cp:             $(ratio "$(secs mw_same)" "$(secs cp)")x  (goal <= 1.5)"
echo "same length, mmapwin / cp+sync:        $(ratio "$(secs mw_same)" "$(secs cp_sync)")x  (both durable)"
echo "same length --no-sync, mmapwin / cp:   $(ratio "$(secs mw_same_nosync)" "$(secs cp)")x"
echo "different length, sed -i / mmapwin:    $(ratio "$(secs sed_diff)" "$(secs mw_diff)")x  (goal >= 3)"

# Peak RSS must not grow with the file.
echo
echo "generating a $BIGSIZE log for the RSS check ..."
"$W/genlog" "$(bytes "$BIGSIZE")" >"$W/big"
for f in log big; do
	/usr/bin/time -f '%e %M' -o "$W/t" "$M" replace "$W/$f" hunter2 HUNTER2 -q --no-sync
	read -r s k <"$W/t"
	echo "replace on $(stat -c %s "$W/$f") bytes: $s s, peak RSS $k KiB"
	echo "$k" >"$W/rss.$f"
	/usr/bin/time -f '%e %M' -o "$W/t" "$M" replace "$W/$f" password=HUNTER2 pw=x -q --no-sync
	read -r s k <"$W/t"
	echo "  different length:               $s s, peak RSS $k KiB"
done
echo "RSS $BIGSIZE / $SIZE (same length): $(ratio "$(cat "$W/rss.big")" "$(cat "$W/rss.log")")x  (goal ~1, under 64 MiB)"
