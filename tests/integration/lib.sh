# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by integration tests (bash). Helpers for real loop devices, ext4
# images and mounts in a private mount namespace, with cleanup in a trap.
# A test exits 0 pass, 77 skip (with a "SKIP: why" line), anything else fail.
set -u
# The script's own arguments (lib.sh is sourced without any), for root_ns.
_ARGS=("$@")
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
	# (a job stopped by interrupt or thin_run must be woken to die).
	for j in $(jobs -p); do kill "$j" 2>/dev/null; kill -CONT "$j" 2>/dev/null; done
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

# ext4_tagged PREFIX: a new loop device (64 MiB) with an ext4 that has a
# fresh UUID and the label PREFIX<first UUID group> (a device of an earlier
# run may linger with its tags); sets DEV, N, UUID and LABEL.
ext4_tagged() {
	DEV=$(mkloop 64)
	N=${DEV#/dev/}
	UUID=$(cat /proc/sys/kernel/random/uuid)
	LABEL=$1${UUID%%-*}
	mkext4 "$DEV" -U "$UUID" -L "$LABEL"
}

# in_pid_ns: re-run the calling script (once) as pid 1 of a pid namespace
# of its own, with its own /proc, in a private mount namespace: what it
# mounts and starts vanishes with it (a stand-in for a container).
in_pid_ns() {
	if [ -z "${CTL_IN_HOSTNS:-}" ]; then
		need_cmd unshare
		# The exec skips the EXIT trap: remove this shell's $WORK first.
		rm -rf "$WORK" "$IMGDIR"
		CTL_IN_HOSTNS=1 CTL_IN_NS=1 exec unshare -m -p -f --mount-proc \
			--propagation private bash "$0" "${_ARGS[@]}"
	fi
	[ $$ = 1 ] || fail "not pid 1 of a pid namespace of our own"
}

# root_ns [CMD...]: skip unless root with each CMD installed, then re-run
# this script in a private mount namespace (in_mount_ns).
root_ns() {
	local c
	need_root
	for c; do need_cmd "$c"; done
	in_mount_ns "${_ARGS[@]}"
}

# need_tool VAR TOOL [SUBCOMMAND]: VAR=$B/TOOL, which must be built; skip
# when its --help lists no SUBCOMMAND.
need_tool() {
	printf -v "$1" %s "$B/$2"
	[ -x "$B/$2" ] || fail "$B/$2 not built"
	[ -z "${3:-}" ] || "$B/$2" --help | grep -q "^ *$2 $3" ||
		skip "$2 has no $3"
}

# tmpfs_at DIR SIZE [OPTIONS]: a tmpfs of SIZE (mount's size=, e.g. 64m)
# on DIR, made if needed. Unmounted at exit; $WORK itself only by the
# last cleanup, after _detach_loops has read $WORK/.loops.
tmpfs_at() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2${3:+,$3}" tmpfs "$1" ||
		fail "mount a tmpfs on $1"
	[ "$1" = "$WORK" ] || at_exit "umount -l '$1'"
}

# loop_over VAR IMAGE SIZE: a loop device (in VAR) over IMAGE, a sparse file
# made (or cut) to SIZE (as truncate -s takes it); detached at exit.
loop_over() {
	local _dev
	truncate -s "$3" "$2" || fail "truncate $2"
	_dev=$(losetup -f --show "$2") || skip "cannot create a loop device"
	printf -v "$1" %s "$_dev"
	at_exit "losetup -d '$_dev'"
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

# queue_loop TMPFS_MB [IMAGE_SIZE]: a loop device over an image (64M unless
# given) on a new tmpfs at T=$WORK/tmpfs (in a private mount namespace),
# with DEV, N (its kernel name) and SYSQ (its queue in sysfs) set, its
# queue settings put back at exit (keep_queue), before the detach.
queue_loop() {
	T=$WORK/tmpfs
	tmpfs_at "$T" "$1"m
	loop_over DEV "$T/disk.img" "${2:-64M}"
	N=${DEV#/dev/}
	SYSQ=/sys/block/$N/queue
	keep_queue "$N"
}

# sched [NAME], depth [NAME]: the scheduler in use and nr_requests of the
# queue of NAME (default $N).
sched() { sed 's/.*\[\(.*\)\].*/\1/' "/sys/block/${1:-$N}/queue/scheduler"; }
depth() { cat "/sys/block/${1:-$N}/queue/nr_requests"; }

# keep_queue NAME...: the scheduler, nr_requests and read_ahead_kb of each
# queue are put back at exit (a loop queue keeps them after a detach);
# the scheduler first, since switching it resets nr_requests.
keep_queue() {
	local n q
	for n; do
		q=/sys/block/$n/queue
		at_exit "echo '$(sched "$n")' >$q/scheduler; echo '$(depth "$n")' >$q/nr_requests; echo '$(cat "$q/read_ahead_kb")' >$q/read_ahead_kb"
	done
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

# ext4_loop MNT TMPFS_SIZE IMAGE_SIZE [MOUNT_OPTIONS [MKE2FS_OPTIONS...]]:
# ext4 on a loop device (DEV) over an image on a new tmpfs at
# T=$WORK/tmpfs, mounted on MNT: nothing reaches the host disk.
ext4_loop() {
	local mnt=$1 opts=${4:-}
	T=$WORK/tmpfs
	tmpfs_at "$T" "$2"
	loop_over DEV "$T/ext4.img" "$3"
	shift $(($# < 4 ? $# : 4))
	mkext4 "$DEV" "$@"
	mountat "$DEV" "$mnt" "$opts"
}

# ext4_new VAR SIZE_MB [SB_OPTS [MKE2FS_OPTIONS...]]: ext4 on a new loop
# device (mkloop) in VAR, with SB_OPTS as its superblock's mount options
# string (sb_set).
ext4_new() {
	local _var=$1 _dev _sb=${3:-}
	_dev=$(mkloop "$2") || exit $?
	shift $(($# < 3 ? $# : 3))
	mkext4 "$_dev" "$@"
	[ -z "$_sb" ] || sb_set "$_dev" "$_sb"
	printf -v "$_var" %s "$_dev"
}
# ext4_xjournal VAR: ext4 on a new loop device (in VAR) with its journal on
# another one (mkloop both).
ext4_xjournal() {
	local _j _x
	_j=$(mkloop 16) || exit $?
	_x=$(mkloop 32) || exit $?
	mke2fs -q -F -O journal_dev -b 4096 "$_j" >/dev/null 2>&1 ||
		fail "mke2fs journal_dev"
	mkext4 "$_x" -b 4096 -J device="$_j"
	printf -v "$1" %s "$_x"
}
# sb_set DEV STRING: the mount options string in DEV's superblock (debugfs).
sb_set() {
	debugfs -w -R "ssv mount_opts $2" "$1" >/dev/null 2>&1 || fail "debugfs ssv $2"
}
# sbopts DEV, defopts DEV: the mount options string and the default mount
# options in DEV's superblock (dumpe2fs).
sbopts() { dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Mount options: *//p'; }
defopts() { dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Default mount options: *//p'; }
# kname DEV: DEV's kernel name (loop3), through links.
kname() { basename "$(readlink -f "$1")"; }
# live DEV NAME: the value of mount option NAME of the ext4 on DEV (a node
# or a kernel name) as the kernel has it, in /proc/fs/ext4.
live() { sed -n "s/^$2=//p" "/proc/fs/ext4/$(kname "$1")/options"; }

# preflight_env: the preflight tests' target, FILE=$WORK/mnt/data.bin
# (1 MiB) on ext4 (nosuid,nodev,noexec: MNT) over a loop device (ext4_loop)
# whose queue (LOOP, SYSQ) starts from the kernel's default for "none",
# the hardware depth of 128: another user may have left it at any depth.
# What it was is put back at exit (keep_queue).
preflight_env() {
	MNT=$WORK/mnt
	ext4_loop "$MNT" 128m 64M nosuid,nodev,noexec
	LOOP=${DEV#/dev/}
	SYSQ=/sys/block/$LOOP/queue
	keep_queue "$LOOP"
	echo none >"$SYSQ/scheduler" && echo 128 >"$SYSQ/nr_requests" ||
		fail "cannot set $LOOP to none/128"
	FILE=$MNT/data.bin
	head -c 1M /dev/zero >"$FILE" || fail "write $FILE"
}

# thin_ext4 DIR MNT: ext4 without a journal on a loop device (TDEV) over a
# 400 MiB image on a 256 MiB tmpfs at DIR, mounted on MNT: a device whose
# writes fail once thin_shrink has left it little room.
thin_ext4() {
	tmpfs_at "$1" 256m
	loop_over TDEV "$1/img" 400M
	mkext4 "$TDEV" -O ^has_journal
	# noinit_itable: no background zeroing that would eat the space left
	mountat "$TDEV" "$2" noinit_itable
}
# thin_shrink DIR MB: after a sync, leave MB MiB free on the thin tmpfs at
# DIR; thin_grow DIR gives the room back.
thin_shrink() {
	local used
	sync
	used=$(df --output=used -k "$1" | tail -n 1)
	mount -o remount,size=$((used + $2 * 1024))k "$1" ||
		fail "shrink the thin tmpfs"
}
thin_grow() { mount -o remount,size=256m "$1"; }
# thin_run DIR INPUT READY CMD...: CMD (stdin INPUT) in the background
# ($pid; output in $WORK/out and $WORK/err) while the thin tmpfs at DIR
# has 12 MiB left; once READY (eval'ed) holds, CMD is stopped, the room
# given back and CMD continued. Its exit status is in rc.
thin_run() {
	local _dir=$1 _input=$2 _ready=$3
	shift 3
	thin_shrink "$_dir" 12
	"$@" <"$_input" >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if eval "$_ready"; then
			kill -STOP "$pid"
			thin_grow "$_dir"
			kill -CONT "$pid"
			note "the room is back: $_ready"
			break
		fi
		sleep 0.001
	done
	wait "$pid"
	rc=$?
	thin_grow "$_dir"
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

# interrupt WANT PREP READY ACT CMD...: up to 5 runs of CMD in the
# background ($pid; output in $WORK/out and $WORK/err), each after PREP.
# Once READY holds, CMD is stopped (SIGSTOP), ACT run and CMD continued.
# PREP, READY and ACT are eval'ed. A run that exits 0 finished first and
# is tried again; the first one that does not must exit WANT. Five runs
# that all finish first fail the test.
interrupt() {
	# Locals start with _: PREP, READY and ACT see the caller's names.
	local _want=$1 _prep=$2 _ready=$3 _act=$4 _try _rc
	shift 4
	for _try in 1 2 3 4 5; do
		eval "$_prep"
		"$@" >"$WORK/out" 2>"$WORK/err" &
		pid=$!
		until eval "$_ready" || ! kill -0 "$pid" 2>/dev/null; do
			sleep 0.001
		done
		kill -STOP "$pid" 2>/dev/null
		eval "$_act"
		kill -CONT "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
		_rc=$?
		if [ "$_rc" = 0 ]; then
			note "try $_try: '$*' finished first"
			continue
		fi
		[ "$_rc" = "$_want" ] ||
			{ cat "$WORK/err" >&2; fail "'$*' exited $_rc, expected $_want"; }
		return 0
	done
	fail "'$*' finished first in 5 tries"
}

# records_in JOURNAL HDR REC: complete records so far in an mmapwin undo
# journal of an HDR-byte header and REC-byte records (by its size).
records_in() {
	local sz
	sz=$(stat -c %s "$1" 2>/dev/null) || sz=0
	[ "$sz" -ge "$2" ] || { echo 0; return; }
	echo $(((sz - $2) / $3))
}

# strace_q ARGS...: strace ARGS...; LeakSanitizer cannot run under ptrace,
# so it is off for a traced ASan build.
strace_q() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace "$@"
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
# gone PID: no such process, or only a zombie nobody reaped yet.
gone() { [ ! -e /proc/$1 ] || [ "$(awk '{ print $3 }' /proc/$1/stat 2>/dev/null)" = Z ]; }
# sa_sleeper ARGS...: "$SA" ARGS... in the background, its command a
# sleep (or one that execs it): p is swapadj's pid and c the sleep's, both
# in pids; returns once the state file and the sleep are there.
sa_sleeper() {
	"$SA" "$@" &
	p=$!
	pids+=($p)
	wait_for test -e $ST
	wait_for pgrep -P $p sleep >/dev/null
	c=$(pgrep -P $p sleep)
	pids+=($c)
}
# fake_root DIR SWAPPINESS TOTAL_KB AVAILABLE_KB PGPGIN: a root for
# swapadj --sysroot: vm.swappiness, a 6.18.0 kernel, etc/sysctl.d, run,
# meminfo (fake_meminfo) and vmstat.
fake_root() {
	mkdir -p "$1/proc/sys/vm" "$1/proc/sys/kernel" "$1/etc/sysctl.d" "$1/run"
	echo "$2" >"$1/proc/sys/vm/swappiness"
	echo 6.18.0 >"$1/proc/sys/kernel/osrelease"
	fake_meminfo "$1" "$3" "$4"
	echo "pgpgin $5" >"$1/proc/vmstat"
}
# fake_meminfo DIR TOTAL_KB AVAILABLE_KB: DIR/proc/meminfo, replaced whole
# (write, then rename) as the kernel's file never reads half-written: a
# truncate-then-write could be read empty by a swapadj auto running.
fake_meminfo() {
	printf 'MemTotal: %s kB\nMemAvailable: %s kB\n' "$2" "$3" >"$1/proc/meminfo.new" &&
		mv "$1/proc/meminfo.new" "$1/proc/meminfo"
}

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
