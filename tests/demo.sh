#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job, end to end (make demo). As root: a scratch ext4 on a loop
# device in a private mount namespace, a large log on it, then
#   preflight -> qdepth set --save -> jcommit set --commit --save ->
#   swapadj run -- mmapwin replace -> qdepth restore / jcommit restore ->
#   preflight again
# printing each step, and everything removed afterwards. Not root: the
# read-only views of this host, and why it stopped there.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
: "${B:=build}"
case $B in /*) ;; *) B=$TOP/$B ;; esac
: "${DEMO_SIZE_MB:=512}"
export PATH="$B:$PATH"

step() {
	printf '\n$ %s\n' "$*"
	"$@"
	local rc=$?
	printf '[exit %d]\n' "$rc"
	return 0
}
have() { [ -x "$B/$1" ]; }

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: not root, so no scratch device can be made; showing this host read-only."
	have preflight && step preflight --size 1G "${TMPDIR:-/tmp}"
	step qdepth show
	have jcommit && step jcommit show
	have swapadj && step swapadj show
	echo
	echo "demo: run 'make demo' as root for the whole workflow on a scratch loop device."
	exit 0
fi
if [ -z "${CTL_IN_NS:-}" ]; then
	CTL_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

W=$(mktemp -d /tmp/ctl-demo.XXXXXX)
DEV=
cleanup() {
	umount "$W/mnt" 2>/dev/null
	[ -n "$DEV" ] && losetup -d "$DEV" 2>/dev/null
	umount "$W/tmpfs" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "demo: scratch ext4 of ${DEMO_SIZE_MB} MiB on a loop device (image on a tmpfs of this mount namespace)"
mkdir -p "$W/tmpfs" "$W/mnt"
mount -t tmpfs -o size=$((DEMO_SIZE_MB + 64))m tmpfs "$W/tmpfs" || exit 1
truncate -s "${DEMO_SIZE_MB}M" "$W/tmpfs/disk.img"
DEV=$(losetup -f --show "$W/tmpfs/disk.img") || exit 1
N=${DEV#/dev/}
SYSQ=/sys/block/$N/queue
old_sched=$(sed 's/.*\[\(.*\)\].*/\1/' "$SYSQ/scheduler")
old_depth=$(cat "$SYSQ/nr_requests")
trap 'echo "$old_sched" > $SYSQ/scheduler; echo "$old_depth" > $SYSQ/nr_requests; cleanup' EXIT
mke2fs -q -F -t ext4 -L demo "$DEV" || exit 1
mount "$DEV" "$W/mnt" || exit 1
LOG=$W/mnt/app.log
mb=$((DEMO_SIZE_MB / 4))
echo "demo: generating a ${mb} MiB log with password= tokens in $LOG"
if [ -x "$B/genlog" ]; then
	"$B/genlog" "${mb}M" >"$LOG"
else
	awk -v mb="$mb" 'BEGIN { srand(42); n = mb * 1048576; s = 0
		while (s < n) {
			l = sprintf("2026-11-25T10:%02d:%02d host%d sshd[%d]: login user=u%d password=hunter%d ok\n",
				int(rand()*60), int(rand()*60), int(rand()*9), int(rand()*65535), int(rand()*999), int(rand()*9))
			printf "%s", l; s += length(l) } }' >"$LOG"
fi
ls -l "$LOG"

have preflight && step preflight --size "$(stat -c %s "$LOG")" "$LOG"
step qdepth set --save "$W/q.save" --scheduler mq-deadline --depth max "$LOG"
have jcommit && step jcommit set --commit 30 --save "$W/j.save" "$W/mnt"
if have swapadj && have mmapwin; then
	step swapadj run --swappiness 10 -- mmapwin replace "$LOG" password=hunter password=XXXXXX
	printf '\n$ grep -c password=XXXXXX %s\n' "$LOG"
	grep -c password=XXXXXX "$LOG"
fi
step qdepth restore "$W/q.save"
have jcommit && step jcommit restore "$W/j.save"
have preflight && step preflight --size "$(stat -c %s "$LOG")" "$LOG"
echo
echo "demo: done; the loop device, mount and files are removed."
