#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit show, whole process, against reading the same facts with cat(1):
# `jcommit show MNT` (default columns) vs `cat /proc/fs/ext4/DEV/options`
# on a loop ext4 of its own (root; image on a tmpfs, private mount
# namespace, all of it removed at exit). The superblock has a default data
# mode and a mount-options string, so every default column has a value.
# Rounds are interleaved; each contender's per-run time is given as
# min/median/max over the rounds, with the ratio of the medians next to
# the goal (1.3). JOLD=path/to/another/jcommit adds that binary as a third
# contender (before/after). Not part of make check; never asserts a time.
set -eu
: "${B:=build}" "${RUNS:=200}" "${ROUNDS:=7}" "${JOLD:=}"
[ "$(id -u)" -eq 0 ] || { echo "bench/jcommit.sh: needs root (loop device, mount)" >&2; exit 77; }
for c in losetup mke2fs debugfs tune2fs unshare; do
	command -v $c >/dev/null || { echo "bench/jcommit.sh: $c not installed" >&2; exit 77; }
done
if [ -z "${CTL_IN_NS:-}" ]; then
	CTL_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
J=$(cd "$B" && pwd)/jcommit
[ -x "$J" ] || { echo "bench/jcommit.sh: $J not built" >&2; exit 1; }
[ -z "$JOLD" ] || [ -x "$JOLD" ] || { echo "bench/jcommit.sh: JOLD=$JOLD is not executable" >&2; exit 1; }

work=$(mktemp -d)
dev=
cleanup() {
	mountpoint -q "$work/mnt" && umount "$work/mnt"
	[ -n "$dev" ] && losetup -d "$dev"
	umount "$work" && rmdir "$work"
}
mount -t tmpfs -o size=128m,mode=0700 jcommit-bench "$work"
trap cleanup EXIT
truncate -s 64M "$work/img"
dev=$(losetup -f --show "$work/img")
mke2fs -q -F -t ext4 "$dev" >/dev/null 2>&1
debugfs -w -R "ssv mount_opts commit=42,data_err=abort" "$dev" >/dev/null 2>&1
tune2fs -o journal_data_writeback "$dev" >/dev/null
mkdir "$work/mnt"
mount "$dev" "$work/mnt"
opts=/proc/fs/ext4/${dev#/dev/}/options
mnt=$work/mnt

# per_run_us CMD...: wall microseconds per run, over $RUNS runs of CMD
per_run_us() {
	local s e i
	s=$(date +%s%N)
	for ((i = 0; i < RUNS; i++)); do "$@" >/dev/null; done
	e=$(date +%s%N)
	echo $(((e - s) / RUNS / 1000))
}
# objects CMD...: shared objects the dynamic loader initialises for CMD
objects() {
	LD_DEBUG=libs "$@" 2>&1 >/dev/null | grep -c 'calling init:' || true
}
# stats N...: "min median max" of the numbers
stats() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%d %d %d", v[1], v[int((NR + 1) / 2)], v[NR] }'; }

"$J" show "$mnt" >/dev/null || { echo "bench/jcommit.sh: jcommit show $mnt failed" >&2; exit 1; }
c_v=() j_v=() o_v=()
for ((r = 1; r <= ROUNDS; r++)); do
	c=$(per_run_us cat "$opts")
	j=$(per_run_us "$J" show "$mnt")
	line="round $r: cat ${c} us, jcommit show ${j} us"
	c_v+=("$c") j_v+=("$j")
	if [ -n "$JOLD" ]; then
		o=$(per_run_us "$JOLD" show "$mnt")
		o_v+=("$o")
		line="$line, JOLD show ${o} us"
	fi
	echo "$line ($RUNS runs each)"
done
read -r cmin cmed cmax <<<"$(stats "${c_v[@]}")"
read -r jmin jmed jmax <<<"$(stats "${j_v[@]}")"
printf 'cat /proc/fs/ext4/DEV/options  min/median/max %d/%d/%d us per run, %s shared objects\n' \
	"$cmin" "$cmed" "$cmax" "$(objects cat "$opts")"
printf 'jcommit show MNT               min/median/max %d/%d/%d us per run, %s shared objects\n' \
	"$jmin" "$jmed" "$jmax" "$(objects "$J" show "$mnt")"
awk -v j="$jmed" -v c="$cmed" 'BEGIN { r = sprintf("%.2f", j / c) + 0; printf "ratio jcommit show / cat: %.2f (goal <= 1.3: %s)\n", r, r <= 1.3 ? "met" : "MISSED" }'
if [ -n "$JOLD" ]; then
	read -r omin omed omax <<<"$(stats "${o_v[@]}")"
	printf 'JOLD show MNT                  min/median/max %d/%d/%d us per run, %s shared objects\n' \
		"$omin" "$omed" "$omax" "$(objects "$JOLD" show "$mnt")"
	awk -v j="$omed" -v c="$cmed" 'BEGIN { printf "ratio JOLD show / cat: %.2f\n", j / c }'
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
