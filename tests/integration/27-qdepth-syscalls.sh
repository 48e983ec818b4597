#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qdepth on the udev hot path does what it must and no more (issue 14),
# on a real loop device (image on a tmpfs of this namespace), traced with
# strace:
#  - a depth change resolves the disk's sysfs directory from the root once
#    (openat2 RESOLVE_IN_ROOT) and opens every queue attribute it reads or
#    writes relative to it (RESOLVE_BENEATH): no second lookup through
#    /sys/block/NAME, and confinement under --sysroot kept;
#  - it reads nr_requests and scheduler, not read-ahead, rotational,
#    device/queue_depth or (under an elevator) the tag depth, and reads the
#    depth back through the fd it wrote (nr_requests opened twice in all);
#  - its lock is one open and a flock: no mkdir when /run/qdepth exists;
#  - show -o DEPTH reads nr_requests alone;
#  - a dry run opens nothing for writing, takes no lock, makes no
#    directory and loads no module.
# Counts of calls, not times: nothing here depends on the machine's load.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd losetup
need_cmd strace
in_mount_ns "$@"

Q=$B/qdepth
[ -x "$Q" ] || fail "$Q not built"
queue_loop 80
grep -qw mq-deadline "$SYSQ/scheduler" || skip "no mq-deadline on $N"
echo mq-deadline >"$SYSQ/scheduler" && echo 64 >"$SYSQ/nr_requests" ||
	fail "baseline mq-deadline/64"

# traced ARGS...: qdepth ARGS under strace into $WORK/trace. (LeakSanitizer
# cannot run under ptrace: off for an ASan build.)
traced() {
	env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -o "$WORK/trace" \
		-e trace=open,openat,openat2,mkdir,mkdirat,flock,init_module,finit_module \
		"$Q" "$@"
}
# count ERE: lines of the trace that match.
count() { grep -Ec -- "$1" "$WORK/trace"; }
# opens of attribute NAME of the queue for reading or writing (not O_PATH).
opens() { grep -E "\"(sys/block/$N/)?queue/$1\"" "$WORK/trace" | grep -vc O_PATH; }
show_trace() { grep -E 'open|mkdir|flock|module' "$WORK/trace" >&2; }

# The lock directory is the host's /run/qdepth: gone again at exit if
# this test made it.
[ -e /run/qdepth ] || at_exit "rm -rf /run/qdepth"
# --- the lock directory exists: a first run may make the lock file
expect_exit 0 "$Q" set -q --depth 32 "$N"
[ -d /run/qdepth ] || fail "the first set did not make /run/qdepth"

# --- set --depth: one root lookup of the disk, the rest beneath it
expect_exit 0 traced set -q --depth 100 "$N"
[ "$(cat "$SYSQ/nr_requests")" = 100 ] || fail "depth $(cat "$SYSQ/nr_requests"), not 100"
[ "$(count "openat2\(.*\"sys/block/$N\",.*RESOLVE_IN_ROOT")" = 1 ] ||
	{ show_trace; fail "the disk's directory was not opened from the root exactly once"; }
bad=$(grep -E "\"(sys/block/$N/)?queue/(nr_requests|scheduler|read_ahead_kb)\"" "$WORK/trace" |
	grep -v O_PATH | grep -v RESOLVE_BENEATH)
[ -z "$bad" ] || { show_trace; fail "a queue attribute opened by a path from the root: $bad"; }
[ "$(opens nr_requests)" = 2 ] ||
	{ show_trace; fail "nr_requests opened $(opens nr_requests) times, want 2 (read; write and read back)"; }
[ "$(opens scheduler)" = 1 ] || { show_trace; fail "scheduler opened $(opens scheduler) times, want 1"; }
for a in read_ahead_kb rotational; do
	[ "$(opens $a)" = 0 ] || { show_trace; fail "set --depth read queue/$a"; }
done
[ "$(count 'queue_depth|nr_tags')" = 0 ] ||
	{ show_trace; fail "set --depth under mq-deadline read the tag or device depth"; }
[ "$(count 'mkdir')" = 0 ] || { show_trace; fail "set made a directory though /run/qdepth exists"; }
[ "$(count "\"[0-9]+:[0-9]+\.lock\"")" = 1 ] || { show_trace; fail "the lock file was not opened once"; }
[ "$(count 'flock\(.*LOCK_EX')" = 1 ] || { show_trace; fail "no single flock"; }
n_set=$(count 'open')

# --- the read-back still catches a value the queue does not keep
# (24-qdepth-readback binds read_ahead_kb over nr_requests for that.)

# --- show -o DEPTH: nr_requests alone
expect_exit 0 traced show -rn -o DEPTH "$N"
[ "$(cat "$WORK/out")" = 100 ] || fail "show said $(cat "$WORK/out")"
[ "$(count 'queue/(scheduler|read_ahead_kb|rotational)|nr_tags|queue_depth')" = 0 ] ||
	{ show_trace; fail "show -o DEPTH read more than nr_requests"; }

# --- a dry run changes nothing on the host
sched=bfq
grep -qw bfq "$SYSQ/scheduler" && sched=
if [ -n "$sched" ]; then
	traced set --dry-run --scheduler "$sched" --depth 64 "$N" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	# No bfq module here: rejected (2); one that exists: planned (0).
	case $rc in 0 | 2) ;; *) cat "$WORK/err" >&2; fail "dry run exited $rc" ;; esac
else
	expect_exit 0 traced set --dry-run --scheduler mq-deadline --depth 64 "$N"
fi
[ "$(count 'init_module|O_WRONLY|O_RDWR|O_CREAT|flock|mkdir')" = 0 ] ||
	{ show_trace; fail "a dry run loaded, wrote, locked or made something"; }
[ "$(sed 's/.*\[\(.*\)\].*/\1/' "$SYSQ/scheduler") $(cat "$SYSQ/nr_requests")" = "mq-deadline 100" ] ||
	fail "a dry run changed $N"
echo "qdepth set --depth on $N: $n_set opens in all, the disk looked up once; show -o DEPTH and a dry run as lean"
