#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj show is a read-only view and answers at once:
# - without --interval it reads each file once and never waits (strace:
#   no sleep, /proc/vmstat not even opened); the read-in rate, which needs
#   two reads apart in time, is shown only with --interval SEC, and then
#   the auto row is one value; without it the auto row gives the value for
#   low and for high read-in. Memory pressure comes from the kernel's own
#   PSI averages (no wait);
# - it loads no library but libsmartcols (ldd, LD_DEBUG=files): not
#   libsystemd, even with NOTIFY_SOCKET set (auto's loop does load it);
# - a fact it cannot read is a "?" row, named on stderr, and exit 3: a
#   partial report is no success. A kernel without the facility (no PSI,
#   no swap support) is a "-" row, exit 0. A FIFO in place of a file is
#   named, never waited on.
. "$(dirname "$0")/lib.sh"
need_cmd strace
need_cmd timeout
SA=$B/swapadj
[ -x "$SA" ] || fail "$SA not built"
F=$WORK/root
mkdir -p $F/proc/sys/vm $F/proc/sys/kernel $F/proc/pressure $F/etc/sysctl.d $F/run
echo 40 >$F/proc/sys/vm/swappiness
echo 6.18.0 >$F/proc/sys/kernel/osrelease
printf 'MemTotal: 1000000 kB\nMemAvailable: 500000 kB\n' >$F/proc/meminfo
echo 'pgpgin 12345' >$F/proc/vmstat
printf 'some avg10=1.50 avg60=0.75 avg300=0.10 total=12345\nfull avg10=0.50 avg60=0.25 avg300=0.00 total=678\n' \
	>$F/proc/pressure/memory
printf 'Filename\tType\tSize\tUsed\tPriority\n' >$F/proc/swaps
n=0 # bad-input cases

# show SYSROOT-ARGS...: swapadj show under strace; the calls that wait and
# the files opened go to $WORK/trace. (LeakSanitizer cannot run under
# ptrace: off for these runs of an ASan build.)
show() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -o "$WORK/trace" -e trace=nanosleep,clock_nanosleep,select,pselect6,poll,ppoll,rt_sigtimedwait,openat,openat2 \
		timeout -k 2 10 "$SA" "$@"
}
# Without --interval: instant.
expect_exit 0 show --sysroot $F show
expect_grep "^swappiness +40 " "$WORK/out"
expect_grep "^memavailable +488.3M +MemAvailable, 50.0% of MemTotal\$" "$WORK/out"
# 10 + 0.5 x 30 = 25; +10 with high read-in = 35; clamp 10..60.
expect_grep "^auto +25/35 +what 'swapadj auto' would set: 25 with read-in <= 2000 KiB/s, 35 above \(base 10 \+ \(1 - 0.500\) x 30 = 25; clamp 10..60\); --interval SEC samples the read-in rate and gives one value\$" "$WORK/out"
expect_grep "^pressure +1.50 +% of the last 10 s in which some task waited for memory \(PSI\); 60 s 0.75, 300 s 0.10; all tasks at once: 0.50, 0.25, 0.00\$" "$WORK/out"
grep -q '^readin ' "$WORK/out" && fail "show without --interval printed a read-in rate: $(grep '^readin ' "$WORK/out")"
grep -Eq 'sleep|select|poll|sigtimedwait' "$WORK/trace" &&
	fail "show without --interval waits: $(grep -E 'sleep|select|poll|sigtimedwait' "$WORK/trace")"
grep -q 'vmstat' "$WORK/trace" && fail "show without --interval read /proc/vmstat"
# With --interval: the rate, sampled over it, and one auto value.
expect_exit 0 show --sysroot $F show --interval 0.2
expect_grep "^readin +0.0 +KiB/s read from block devices \(pgpgin\) over 0.2 s\$" "$WORK/out"
expect_grep "^auto +25 +what 'swapadj auto' would set: base 10 \+ \(1 - 0.500\) x 30 = 25; read-in 0.0 KiB/s <= 2000 KiB/s: \+0; clamp 10..60\$" "$WORK/out"
grep -Eq 'nanosleep' "$WORK/trace" || fail "show --interval 0.2 did not sample (no sleep in the trace)"
# The clamp 10..60 of show never hides the read-in term: two values at
# every MemAvailable (here all of it: 10, 20 with high read-in).
printf 'MemTotal: 1000000 kB\nMemAvailable: 1000000 kB\n' >$F/proc/meminfo
expect_exit 0 "$SA" --sysroot $F show
expect_grep "^auto +10/20 " "$WORK/out"

# The host: instant too, and the same rows.
expect_exit 0 show show
expect_grep "^swappiness +$(cat /proc/sys/vm/swappiness) " "$WORK/out"
expect_grep "^auto +[0-9]+(/[0-9]+)? +what 'swapadj auto' would set" "$WORK/out"
grep -Eq 'sleep|select|poll|sigtimedwait' "$WORK/trace" &&
	fail "show on the host waits: $(grep -E 'sleep|select|poll|sigtimedwait' "$WORK/trace")"
if [ -r /proc/pressure/memory ] && cat /proc/pressure/memory >/dev/null 2>&1; then
	expect_grep "^pressure +[0-9]+\.[0-9]{2} +% of the last 10 s" "$WORK/out"
else
	expect_grep "^pressure +- " "$WORK/out"
fi

# No library but what show needs; libsystemd not even with NOTIFY_SOCKET.
ldd "$SA" >"$WORK/ldd" || fail "ldd $SA"
grep -q libsystemd "$WORK/ldd" && fail "$SA is linked with libsystemd: $(cat "$WORK/ldd")"
NOTIFY_SOCKET=$WORK/notify.sock LD_DEBUG=files "$SA" --sysroot $F show >/dev/null 2>"$WORK/lddebug" ||
	fail "show with LD_DEBUG=files: $(tail -n 5 "$WORK/lddebug")"
grep -q 'file=libsmartcols' "$WORK/lddebug" || fail "LD_DEBUG=files shows no library loads: $(head "$WORK/lddebug")"
grep -q 'libsystemd' "$WORK/lddebug" && fail "show loaded libsystemd: $(grep libsystemd "$WORK/lddebug" | head -n 3)"
# ... while auto's loop, the one that notifies, does (the check above
# can see a dlopen()).
NOTIFY_SOCKET=$WORK/notify.sock LD_DEBUG=files "$SA" --sysroot $F auto --interval 0.1 --dry-run \
	>/dev/null 2>"$WORK/lddebug" &
p=$!
at_exit "kill -9 $p"
wait_for grep -q 'file=libsystemd.so.0' "$WORK/lddebug"
kill -TERM $p
wait $p
rc=$?
[ "$rc" -eq 0 ] || fail "auto --dry-run exited $rc on SIGTERM"

# A fact that cannot be read: "?" row, the file named, exit 3.
# bad_show MESSAGE-REGEX ROW-REGEX: show exits 3 with both.
bad_show() {
	expect_exit 3 timeout -k 2 10 "$SA" --sysroot $F show
	expect_grep "$1" "$WORK/err"
	expect_grep "$2" "$WORK/out"
	n=$((n + 1))
}
printf 'MemTotal: 1000000 kB\nMemAvailable: 500000 kB\n' >$F/proc/meminfo
mv $F/proc/meminfo $F/meminfo
mkdir $F/proc/meminfo
bad_show "^swapadj: $F/proc/meminfo: Is a directory\$" "^memtotal +\? +/proc/meminfo: Is a directory"
expect_grep "^auto +\? +needs MemTotal and MemAvailable" "$WORK/out"
rmdir $F/proc/meminfo
mv $F/meminfo $F/proc/meminfo
echo 'MemFree: 5 kB' >$F/proc/meminfo
bad_show "^swapadj: $F/proc/meminfo: no MemTotal\$" "^memtotal +\? +/proc/meminfo: no MemTotal"
printf 'MemTotal: 1000000 kB\nMemAvailable: 500000 kB\n' >$F/proc/meminfo
echo garbage >$F/proc/pressure/memory
bad_show "^swapadj: $F/proc/pressure/memory: not in the PSI format \(some avg10=\.\.\. avg60=\.\.\. avg300=\.\.\. total=\.\.\.\)\$" "^pressure +\? "
rm $F/proc/pressure/memory
mkfifo $F/proc/pressure/memory
bad_show "^swapadj: $F/proc/pressure/memory: not a regular file\$" "^pressure +\? "
rm $F/proc/pressure/memory
# A FIFO among the sysctl.d files: named, never waited on.
mkfifo $F/etc/sysctl.d/50-fifo.conf
bad_show "^swapadj: $F/etc/sysctl.d/50-fifo.conf: not a regular file \(sysctl --system would hang on it: remove it\)\$" \
	"^boot +\? +/etc/sysctl.d/50-fifo.conf: not a regular file"
rm $F/etc/sysctl.d/50-fifo.conf
# A cgroup v1 hierarchy whose memory.swappiness is a FIFO.
mkdir -p $F/sys/fs/cgroup/memory/box
echo 9223372036854771712 >$F/sys/fs/cgroup/memory/memory.limit_in_bytes
echo 9223372036854771712 >$F/sys/fs/cgroup/memory/box/memory.limit_in_bytes
mkdir -p $F/proc/self
echo '5:memory:/box' >$F/proc/self/cgroup
mkfifo $F/sys/fs/cgroup/memory/box/memory.swappiness
bad_show "^swapadj: $F/sys/fs/cgroup/memory/box/memory.swappiness: not a regular file\$" "^cgroup-swappiness +\? "
rm $F/sys/fs/cgroup/memory/box/memory.swappiness
echo 30 >$F/sys/fs/cgroup/memory/box/memory.swappiness
expect_exit 0 "$SA" --sysroot $F show
expect_grep "^cgroup-swappiness +30 +/sys/fs/cgroup/memory/box/memory.swappiness" "$WORK/out"
[ ! -s "$WORK/err" ] || fail "show on a whole fake root spoke: $(cat "$WORK/err")"
# -q: the exit status alone still tells a partial report.
echo garbage >$F/proc/pressure/memory
expect_exit 3 "$SA" --sysroot $F -q show
[ ! -s "$WORK/out" ] || fail "show -q printed: $(cat "$WORK/out")"
rm $F/proc/pressure/memory

# Not there at all: a kernel without the facility, not an error.
rm $F/proc/swaps
expect_exit 0 "$SA" --sysroot $F show
expect_grep "^pressure +- +no /proc/pressure/memory \(a kernel without PSI\)\$" "$WORK/out"
expect_grep "^swap +- +no /proc/swaps \(a kernel without swap support\)\$" "$WORK/out"
[ ! -s "$WORK/err" ] || fail "show on a kernel without PSI and swap spoke: $(cat "$WORK/err")"
note "$n bad-input cases"
