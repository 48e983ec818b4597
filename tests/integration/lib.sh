# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by integration tests (bash). Helpers for real loop devices, ext4
# images and mounts in a private mount namespace, with cleanup in a trap.
# A test exits 0 pass, 77 skip (with a "SKIP: why" line), anything else fail.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${B:=build}"
case $B in /*) ;; *) B=$TOP/$B ;; esac
export B TOP

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"; }

# Cleanup actions run in reverse order at exit.
_cleanups=()
at_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local i j
	# Background writers first: they keep mounts and devices busy.
	for j in $(jobs -p); do kill "$j" 2>/dev/null; done
	wait 2>/dev/null
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
	done
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ctl-it.XXXXXX")
# Last of all: a test may have mounted a tmpfs on $WORK itself.
at_exit "umount -l '$WORK' 2>/dev/null; rm -rf '$WORK'"
# Loop images live on a tmpfs (/dev/shm), never on the host disk: a loop
# device followed through its backing file must not lead to vda.
IMGDIR=$(mktemp -d "${CTL_IMGDIR:-/dev/shm}/ctl-img.XXXXXX")
at_exit "rm -rf '$IMGDIR'"
# Loop devices made by mkloop (in a subshell, so listed in a file), detached
# near the end; only while their backing file is still ours.
_detach_loops() {
	local dev back
	[ -f "$WORK/.loops" ] || return 0
	while read -r dev; do
		back=$(losetup -n -O BACK-FILE "$dev" 2>/dev/null)
		case $back in "$IMGDIR"/*) losetup -d "$dev" ;; esac
	done <"$WORK/.loops"
}
at_exit _detach_loops

# Re-run the calling script in a private mount namespace (once), so that
# its mounts vanish with it and never reach the host's table.
in_mount_ns() {
	if [ -z "${CTL_IN_NS:-}" ]; then
		need_cmd unshare
		# The exec skips the EXIT trap: remove this shell's $WORK
		# first, the namespaced run makes its own.
		rm -rf "$WORK" "$IMGDIR"
		CTL_IN_NS=1 exec unshare -m --propagation private \
			bash "$0" "$@"
	fi
}

# mkloop SIZE_MB: a loop device over a new sparse file on a tmpfs (IMGDIR);
# prints /dev/loopN.
# It runs in its caller's $(...) subshell, where an at_exit would be lost,
# so it lists the device for _detach_loops instead. Unmount (and delpart)
# before exit as usual; the detach comes after those cleanups.
mkloop() {
	local img dev
	img=$(mktemp "$IMGDIR/img.XXXXXX")
	truncate -s "${1}M" "$img" || fail "truncate"
	dev=$(losetup -f --show "$img") || skip "cannot create a loop device"
	echo "$dev" >>"$WORK/.loops"
	echo "$dev"
}

# queue_loop TMPFS_MB: a 64 MiB loop device over an image on a new tmpfs
# at T=$WORK/tmpfs (in a private mount namespace), with DEV, N (its kernel
# name) and SYSQ (its queue in sysfs) set. A loop queue keeps its settings
# after detach: scheduler, nr_requests and read_ahead_kb are put back at
# exit, before the detach.
queue_loop() {
	T=$WORK/tmpfs
	mkdir -p "$T"
	mount -t tmpfs -o size="$1"m tmpfs "$T" || fail "mount tmpfs"
	at_exit "umount -l '$T'"
	truncate -s 64M "$T/disk.img"
	DEV=$(losetup -f --show "$T/disk.img") || skip "no loop device"
	N=${DEV#/dev/}
	SYSQ=/sys/block/$N/queue
	at_exit "losetup -d '$DEV'"
	at_exit "echo '$(sed 's/.*\[\(.*\)\].*/\1/' "$SYSQ/scheduler")' >$SYSQ/scheduler; echo '$(cat "$SYSQ/nr_requests")' >$SYSQ/nr_requests; echo '$(cat "$SYSQ/read_ahead_kb")' >$SYSQ/read_ahead_kb"
}

# mkext4 DEV [mke2fs options...]: a quiet ext4 on DEV.
mkext4() {
	local dev=$1
	shift
	mke2fs -q -F -t ext4 "$@" "$dev" >/dev/null 2>&1 || fail "mke2fs $dev"
}

# mountat DEV DIR [mount options]: mount and register the unmount.
mountat() {
	mkdir -p "$2"
	mount ${3:+-o "$3"} "$1" "$2" || fail "mount $1 $2"
	at_exit "umount '$2' || umount -l '$2'"
}

# wait_for CMD...: poll (bounded, 20 s) until CMD succeeds.
wait_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	fail "timed out waiting for: $*"
}

# swapadj_env: SA, SW, ST and orig for the swapadj tests. The host's
# swappiness and the state file are put back at exit, and every pid the
# test adds to "${pids[@]}" is killed. swp prints the current value.
swapadj_env() {
	SA=$B/swapadj SW=/proc/sys/vm/swappiness ST=/run/swapadj.state
	[ -x "$SA" ] || fail "$SA not built"
	[ -w $SW ] || skip "$SW is not writable here"
	[ ! -e $ST ] || fail "$ST exists: another swapadj run is active on this host"
	orig=$(cat $SW)
	at_exit "echo $orig >$SW"
	at_exit "rm -f $ST"
	pids=()
	at_exit 'for p in "${pids[@]}"; do kill -9 $p; done'
}
swp() { cat /proc/sys/vm/swappiness; }

# expect_exit N CMD...: run CMD, fail unless it exits with N. Output is
# kept in $WORK/out and $WORK/err for later greps.
expect_exit() {
	local want=$1 rc
	shift
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "--- stdout" >&2; cat "$WORK/out" >&2
		echo "--- stderr" >&2; cat "$WORK/err" >&2
		fail "'$*' exited $rc, expected $want"
	fi
}

# expect_grep PATTERN FILE: fail unless FILE matches PATTERN (grep -E).
expect_grep() {
	grep -Eq -- "$1" "$2" || { cat "$2" >&2; fail "no /$1/ in $2"; }
}
