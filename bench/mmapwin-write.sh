#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin write of SIZE bytes against the tools people use instead, every
# contender durable (synced) and writing a new file in DIR:
#   pipe:   cat PSRC | mmapwin write                    (splice)
#           cat PSRC | dd bs=1M conv=fsync
#           fio io_uring buffered, end_fsync, the same number of bytes
#           (fio generates them, random: it reads no pipe)
#   file:   mmapwin write <SRC                          (copy_file_range)
#           cp SRC && sync
#   direct: mmapwin write --direct <SRC                 (io_uring, QD)
#           fio io_uring --direct=1, end_fsync, QD      (and dd oflag=direct)
#   EXTRA=1 adds mmapwin write --engine pwrite <SRC (the fallback) and
#           --drop-behind from the pipe.
# SRC is SIZE bytes of random data in DIR, PSRC a copy of it on a tmpfs
# (SHM, default /dev/shm: dropping the page cache leaves it, so a pipe is
# fed at memory speed, warm or cold). Every contender writes random data,
# never zeros: on this virtual disk (ext4 mounted with discard) a file of
# zeros written and deleted makes the next 2 GiB written there cost about
# twice as long (cold copy 7.3 s after a file of zeros, 4.2 s after one of
# random data, whatever the copier), so a contender that ran after one
# fed by /dev/zero was penalised. Each run starts from no target
# file and a synced file system (untimed); "warm" has SRC in the page
# cache, "cold" drops the page cache first (echo 3 >drop_caches, untimed),
# every contender the same way. SETTLE seconds of idle (3) before each
# timed run: on a virtual machine with free page reporting (virtio-balloon)
# the guest pages freed (the last run's file, the dropped cache) go back to
# the host about 2 s later, and page cache filled after that costs a host
# fault a page (a copy that outlasts the 2 s slows down 3-5x).
# ROUNDS interleaved rounds, each running every contender once (the order
# shuffled each round, SEED; bench/lib.sh says why); min, median and max wall seconds of each, and the
# ratio of the medians next to its goal. Guest memory is warmed first
# (bench/warm.inc). Not part of make check; asserts nothing.
#
#   B=build SIZE=2G ROUNDS=5 QD=8 DIR=/var/tmp CACHES="warm cold" SETTLE=3 \
#	bench/mmapwin-write.sh
set -eu
. "$(dirname "$0")/lib.sh"
: "${SIZE:=2G}" "${ROUNDS:=5}" "${QD:=8}" "${EXTRA:=0}" "${SETTLE:=3}"
: "${DIR:=${TMPDIR:-/var/tmp}}" "${CACHES:=warm cold}" "${SHM:=/dev/shm}"
GOAL_DD=0.9     # pipe: mmapwin / dd conv=fsync, at most
GOAL_FIO=1.2    # pipe: mmapwin / fio io_uring end_fsync, at most
GOAL_CP=1.0     # file: mmapwin / cp && sync, at most
GOAL_DIRECT=1.0 # pipe --direct / fio --direct=1, at most
need_tools
FIO=1
command -v fio >/dev/null || {
	FIO=0
	echo "fio is not installed: apt-get install fio (its rows are skipped)"
}
case " $CACHES " in
*" cold "*)
	if [ ! -w /proc/sys/vm/drop_caches ]; then
		echo "cannot drop the page cache (needs root): cold runs skipped"
		CACHES=${CACHES/cold/}
	fi
	;;
esac

. "$TOP/bench/warm.inc"
[ "${WARM:-1}" = 1 ] || echo "guest memory NOT warmed (WARM=0): expect 2-3x swings"
[ "$(stat -f -c %T "$SHM" 2>/dev/null)" = tmpfs ] || {
	echo "SHM=$SHM is not a tmpfs: name one (SHM=/run/...) for the pipe's source" >&2
	exit 1
}
W=$(mktemp -d "$DIR/mmapwin-bench.XXXXXX")
P=$(mktemp -d "$SHM/mmapwin-bench.XXXXXX")
trap 'rm -rf "$W" "$P"' EXIT
n=$(numfmt --from=iec "$SIZE")
echo "kernel $(uname -r), $(nproc) CPUs; target $W on" \
	"$(findmnt -no SOURCE,FSTYPE -T "$W" | tr -s ' ')"
echo "source: $SIZE of random data"
head -c "$n" /dev/urandom >"$W/src"
cp "$W/src" "$P/src"

contenders="mw_pipe dd_pipe mw_file cp_sync mw_dpipe mw_direct dd_direct"
[ "$FIO" = 1 ] && contenders="$contenders fio fio_direct"
[ "$EXTRA" = 1 ] && contenders="$contenders mw_pwrite mw_drop"
label() {
	case $1 in
	mw_pipe) echo "pipe | mmapwin write" ;;
	dd_pipe) echo "pipe | dd bs=1M conv=fsync" ;;
	fio) echo "fio io_uring end_fsync (QD $QD)" ;;
	mw_file) echo "mmapwin write <file" ;;
	cp_sync) echo "cp file && sync" ;;
	mw_dpipe) echo "pipe | mmapwin write --direct (QD $QD)" ;;
	mw_direct) echo "mmapwin write --direct <file (QD $QD)" ;;
	fio_direct) echo "fio io_uring --direct=1 (QD $QD)" ;;
	dd_direct) echo "dd bs=1M oflag=direct conv=fsync <file" ;;
	mw_pwrite) echo "mmapwin write --engine pwrite <file" ;;
	mw_drop) echo "pipe | mmapwin write --drop-behind" ;;
	esac
}
# cmd NAME: the command of contender NAME (writing $W/out), in CMD
cmd() {
	local o=$W/out s=$W/src p=$P/src
	case $1 in
	mw_pipe) CMD=(sh -c 'cat "$1" | "$2" write "$3" -q' sh "$p" "$M" "$o") ;;
	dd_pipe) CMD=(sh -c 'cat "$1" | dd of="$2" bs=1M conv=fsync status=none' sh "$p" "$o") ;;
	fio) CMD=(fio --name=w --filename="$o" --rw=write --bs=1M --size="$n"
		--ioengine=io_uring --iodepth="$QD" --fixedbufs --end_fsync=1
		--output=/dev/null) ;;
	mw_file) CMD=(sh -c '"$1" write "$2" -q <"$3"' sh "$M" "$o" "$s") ;;
	cp_sync) CMD=(sh -c 'cp "$1" "$2" && sync' sh "$s" "$o") ;;
	mw_dpipe) CMD=(sh -c 'cat "$1" | "$2" write "$3" -q --direct --queue-depth "$4"' sh "$p" "$M" "$o" "$QD") ;;
	mw_direct) CMD=(sh -c '"$1" write "$2" -q --direct --queue-depth "$4" <"$3"' sh "$M" "$o" "$s" "$QD") ;;
	fio_direct) CMD=(fio --name=w --filename="$o" --rw=write --bs=1M
		--size="$n" --ioengine=io_uring --iodepth="$QD" --fixedbufs
		--direct=1 --end_fsync=1 --output=/dev/null) ;;
	dd_direct) CMD=(dd if="$s" of="$o" bs=1M oflag=direct conv=fsync status=none) ;;
	mw_pwrite) CMD=(sh -c '"$1" write "$2" -q --engine pwrite <"$3"' sh "$M" "$o" "$s") ;;
	mw_drop) CMD=(sh -c 'cat "$1" | "$2" write "$3" -q --drop-behind' sh "$p" "$M" "$o") ;;
	esac
}
# run NAME CACHE: one timed run; appends "secs rss" to $W/res.CACHE.NAME
run() {
	rm -f "$W/out"
	sync
	if [ "$2" = cold ]; then
		echo 3 >/proc/sys/vm/drop_caches
	else
		cat "$W/src" >/dev/null
	fi
	[ "$SETTLE" = 0 ] || sleep "$SETTLE"
	cmd "$1"
	/usr/bin/time -f '%e %M' -o "$W/t" "${CMD[@]}" >/dev/null 2>"$W/err" ||
		{ cat "$W/err" >&2; echo "$(label "$1"): failed" >&2; exit 1; }
	cat "$W/t" >>"$W/res.$2.$1"
	read -r secs kib <"$W/t"
	printf '  %-5s %-40s %6s s %7s KiB\n' "$2" "$(label "$1")" "$secs" "$kib"
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
rounds "$contenders"
rm -f "$W/out"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# med CACHE NAME: the median wall time of contender NAME in CACHE
med() { median "$W/res.$1.$2"; }
# info CACHE A B TEXT: the ratio of the medians of A and B, no goal
info() {
	[ -f "$W/res.$1.$2" ] && [ -f "$W/res.$1.$3" ] || return 0
	printf '%-5s %-44s %5sx  (information, no goal)\n' "$1" "$4" \
		"$(ratio "$(med "$1" "$2")" "$(med "$1" "$3")")"
}
# goal CACHE A B GOAL TEXT: the ratio of the medians of A and B
goal() {
	local r
	[ -f "$W/res.$1.$2" ] && [ -f "$W/res.$1.$3" ] || return 0
	r=$(ratio "$(med "$1" "$2")" "$(med "$1" "$3")")
	printf '%-5s %-44s %5sx  (goal <= %s: %s)\n' "$1" "$5" "$r" "$4" "$(verdict "$r" "$4")"
}

echo
summary "contender ($SIZE, $ROUNDS rounds, wall s)" 40 7
echo
for cache in $CACHES; do
	goal "$cache" mw_pipe dd_pipe $GOAL_DD "pipe: mmapwin / dd conv=fsync"
	goal "$cache" mw_pipe fio $GOAL_FIO "pipe: mmapwin / fio io_uring end_fsync"
	goal "$cache" mw_file cp_sync $GOAL_CP "file: mmapwin / cp && sync"
	goal "$cache" mw_dpipe fio_direct $GOAL_DIRECT "direct, pipe: mmapwin / fio --direct=1"
	info "$cache" mw_direct fio_direct "direct <file (reads SRC too) / fio"
	info "$cache" mw_direct dd_direct "direct <file / dd oflag=direct <file"
	if [ "$EXTRA" = 1 ]; then
		printf '%-5s %-44s %5sx\n' "$cache" "--engine pwrite / default, from a file" \
			"$(ratio "$(med "$cache" mw_pwrite)" "$(med "$cache" mw_file)")"
		printf '%-5s %-44s %5sx\n' "$cache" "--drop-behind / plain, from the pipe" \
			"$(ratio "$(med "$cache" mw_drop)" "$(med "$cache" mw_pipe)")"
	fi
done
[ "$FIO" = 1 ] || echo "fio rows skipped: fio is not installed (apt-get install fio)"
