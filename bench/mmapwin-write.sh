#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin write of SIZE bytes from a file on stdin, side by side in one run:
#   mmapwin write (io_uring, durable)   vs  dd bs=1M conv=fsync
#   (default depths: 2 buffered, 8 direct; QD sets fio's and --direct's)
#   mmapwin write --engine pwrite       (the fallback)
#   mmapwin write --direct              vs  dd bs=1M oflag=direct conv=fsync
#   fio --ioengine=io_uring with end_fsync, buffered and --direct=1 (when
#   fio is installed; it writes generated data, so it is the floor
#   without reading a source)
#   mmapwin write --drop-behind         (page cache left behind, fincore)
# Every target is removed first, so each run allocates fresh blocks.
# ROUNDS interleaved rounds; the median is reported. Not part of make check.
#
#   B=build SIZE=4G ROUNDS=3 DIR=/var/tmp bench/mmapwin-write.sh
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
: "${B:=build}"
case $B in /*) ;; *) B=$TOP/$B ;; esac
M=$B/mmapwin
: "${SIZE:=4G}" "${ROUNDS:=3}" "${DIR:=${TMPDIR:-/var/tmp}}" "${QD:=8}"
[ -x "$M" ] || { echo "build mmapwin first (make B=$B all)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs GNU time" >&2; exit 1; }

. "$TOP/bench/warm.inc"
W=$(mktemp -d "$DIR/mmapwin-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
n=$(numfmt --from=iec "$SIZE")
echo "source: $SIZE of random data in $W"
head -c "$n" /dev/urandom >"$W/src"

# run NAME CMD...: time CMD writing $W/out; appends "secs rss cached"
run() {
	local name=$1
	shift
	rm -f "$W/out"
	sync
	/usr/bin/time -f '%e %M' -o "$W/t" "$@" >/dev/null 2>"$W/err" ||
		{ cat "$W/err" >&2; exit 1; }
	cached=-
	command -v fincore >/dev/null &&
		cached=$(fincore -rnb -o RES "$W/out" | tr -d ' ')
	echo "$(cat "$W/t") $cached" >>"$W/res.$name"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
secs() { cut -d' ' -f1 <"$W/res.$1" | median; }
rss() { cut -d' ' -f2 <"$W/res.$1" | sort -n | tail -n 1; }
cached() { cut -d' ' -f3 <"$W/res.$1" | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

names="mw dd mw_pwrite mw_direct dd_direct mw_drop"
for r in $(seq 1 "$ROUNDS"); do
	echo "round $r/$ROUNDS"
	run mw sh -c '"$1" write "$2" -q <"$3"' sh "$M" "$W/out" "$W/src"
	run dd dd if="$W/src" of="$W/out" bs=1M conv=fsync status=none
	run mw_pwrite sh -c '"$1" write "$2" -q --engine pwrite <"$3"' sh "$M" "$W/out" "$W/src"
	run mw_direct sh -c '"$1" write "$2" -q --direct --queue-depth "$4" <"$3"' sh "$M" "$W/out" "$W/src" "$QD"
	run dd_direct dd if="$W/src" of="$W/out" bs=1M oflag=direct conv=fsync status=none
	run mw_drop sh -c '"$1" write "$2" -q --drop-behind <"$3"' sh "$M" "$W/out" "$W/src"
	if command -v fio >/dev/null; then
		run fio fio --name=w --filename="$W/out" --rw=write --bs=1M \
			--size="$n" --ioengine=io_uring --iodepth="$QD" \
			--fixedbufs --end_fsync=1 --output=/dev/null
		run fio_direct fio --name=w --filename="$W/out" --rw=write \
			--bs=1M --size="$n" --ioengine=io_uring --iodepth="$QD" \
			--fixedbufs --direct=1 --end_fsync=1 --output=/dev/null
		case " $names " in *" fio "*) ;; *) names="$names fio fio_direct" ;; esac
	fi
done

printf '\n%-28s %9s %10s %14s\n' "contender (median of $ROUNDS)" "wall s" "peak RSS" "cached after"
for x in $names; do
	printf '%-28s %9s %6s KiB %14s\n' "$x" "$(secs $x)" "$(rss $x)" "$(cached $x)"
done
echo
echo "dd / mmapwin:                 $(ratio "$(secs dd)" "$(secs mw)")x  (goal >= 1)"
echo "dd oflag=direct / --direct:   $(ratio "$(secs dd_direct)" "$(secs mw_direct)")x"
echo "pwrite engine / uring:        $(ratio "$(secs mw_pwrite)" "$(secs mw)")x"
echo "--drop-behind / plain:        $(ratio "$(secs mw_drop)" "$(secs mw)")x  (time cost of leaving the cache alone)"
if [ -f "$W/res.fio" ]; then
	echo "fio io_uring / mmapwin:       $(ratio "$(secs fio)" "$(secs mw)")x  (goal >= 0.9)"
	echo "fio direct / mmapwin --direct: $(ratio "$(secs fio_direct)" "$(secs mw_direct)")x  (goal >= 0.9)"
fi
