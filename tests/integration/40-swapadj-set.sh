#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj show, set and check on the host's real vm.swappiness (saved first,
# restored in a trap, checked unchanged at the end), every bad input of set
# and check, and set --persist on a fake root (the host's /etc stays as is).
. "$(dirname "$0")/lib.sh"
need_root
need_cmd setpriv
need_cmd unshare
SA=$B/swapadj
SW=/proc/sys/vm/swappiness
[ -x "$SA" ] || fail "$SA not built"
[ -w $SW ] || skip "$SW is not writable here"
orig=$(cat $SW)
at_exit "echo $orig >$SW"
# Two test values that differ from the host's and from each other.
v1=$((orig == 13 ? 14 : 13))
v2=$((orig == 27 ? 28 : 27))

# show: the real value, the kernel's range, meminfo as the kernel has it.
expect_exit 0 "$SA" show -b --interval 0.1
expect_grep "^swappiness +$orig +vm.swappiness now" "$WORK/out"
expect_grep "^range +0-200 " "$WORK/out"
total=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
expect_grep "^memtotal +$((total * 1024)) +MemTotal\$" "$WORK/out"
expect_grep "^auto +[0-9]+ +what 'swapadj auto' would set: base 10 \+" "$WORK/out"
expect_grep "^readin +[0-9.]+ +KiB/s" "$WORK/out"
expect_grep "^swap " "$WORK/out"
expect_grep "^boot " "$WORK/out"
expect_exit 0 "$SA" -o VALUE -rn --interval 0.1
[ "$(head -n 1 "$WORK/out")" = "$orig" ] || fail "show -o VALUE: $(head -n 1 "$WORK/out")"
expect_exit 0 "$SA" show -J --interval 0.1
expect_grep '"field": "swappiness"' "$WORK/out"

# set: old -> new, read back from the kernel.
expect_exit 0 "$SA" set $v1
expect_grep "^$orig (→|->) $v1 +applied\$" "$WORK/out"
[ "$(swp)" = $v1 ] || fail "set $v1: kernel has $(swp)"
# The OLD column makes an undo possible.
prev=$("$SA" set -o OLD -rn $v2) || fail "set $v2 failed"
[ "$prev" = $v1 ] || fail "set -o OLD printed '$prev', expected $v1"
[ "$(swp)" = $v2 ] || fail "set $v2: kernel has $(swp)"
expect_exit 0 "$SA" set "$prev"
[ "$(swp)" = $v1 ] || fail "undo: kernel has $(swp), expected $v1"
expect_exit 0 "$SA" set -J -o OLD,NEW $v2
expect_grep "\"old\": $v1," "$WORK/out"
expect_grep "\"new\": $v2" "$WORK/out"
[ "$(swp)" = $v2 ] || fail "set -J $v2: kernel has $(swp)"
# --dry-run changes nothing.
expect_exit 0 "$SA" set --dry-run 5
expect_grep "^$v2 (→|->) 5 +planned\$" "$WORK/out"
expect_grep "dry run: nothing written" "$WORK/err"
[ "$(swp)" = $v2 ] || fail "set --dry-run changed the value"

# Bad input: a clear message, exit 2, the value unchanged.
expect_exit 2 "$SA" set 201
expect_grep "^swapadj: swappiness 201: out of range 0-200 for this kernel" "$WORK/err"
expect_exit 2 "$SA" set -1
expect_grep "^swapadj: swappiness -1: out of range 0-200" "$WORK/err"
expect_exit 2 "$SA" set abc
expect_grep "^swapadj: swappiness 'abc': not a number \(0-200\)" "$WORK/err"
expect_exit 2 "$SA" set 10x
expect_grep "not a number" "$WORK/err"
expect_exit 2 "$SA" set
expect_grep "set: give exactly one value N" "$WORK/err"
expect_exit 2 "$SA" set 10 20
expect_exit 2 "$SA" set -o NOPE 10
expect_grep "unknown column 'NOPE'" "$WORK/err"
[ "$(swp)" = $v2 ] || fail "a rejected set changed the value to $(swp)"
# No permission: exit 3, the reason and the fix.
expect_exit 3 setpriv --reuid=nobody --regid=nogroup --clear-groups "$SA" set 10
expect_grep "^swapadj: /proc/sys/vm/swappiness: Permission denied \(run as root" "$WORK/err"
[ "$(swp)" = $v2 ] || fail "set as nobody changed the value"
# Root, but /proc/sys mounted read-only (a container): the reason, no
# "run as root".
expect_exit 3 unshare -m sh -c "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec \"$SA\" set 10"
expect_grep "^swapadj: /proc/sys/vm/swappiness: Read-only file system \(mounted read-only here, as /proc/sys is in most containers: change it on the host\)\$" "$WORK/err"
[ "$(swp)" = $v2 ] || fail "set on a read-only /proc/sys changed the value"

# check: one line per violation, exit 1.
cur=$(swp)
expect_exit 0 "$SA" check --max $cur --min $cur
[ ! -s "$WORK/out" ] || fail "check printed on success: $(cat "$WORK/out")"
expect_exit 1 "$SA" check --max $((cur - 1))
expect_grep "^swappiness $cur is above --max $((cur - 1))\$" "$WORK/out"
expect_exit 1 "$SA" check --min $((cur + 1))
expect_grep "^swappiness $cur is below --min $((cur + 1))\$" "$WORK/out"
# MemAvailable is always below 100% of MemTotal.
expect_exit 1 "$SA" check --min-available 100 --max 0
expect_grep "^MemAvailable [0-9.]+% \([0-9]+ of $total KiB\) is below --min-available 100%\$" "$WORK/out"
[ "$(wc -l <"$WORK/out")" -eq 2 ] || fail "expected 2 violations: $(cat "$WORK/out")"
expect_exit 1 "$SA" check -q --max 0
[ ! -s "$WORK/out" ] || fail "check -q printed"
expect_exit 0 "$SA" check --min-available 0
expect_exit 2 "$SA" check
expect_grep "check: nothing to check; give --max, --min or --min-available" "$WORK/err"
expect_exit 2 "$SA" check --min-available 101
expect_grep "^swapadj: --min-available '101': out of range 0-100" "$WORK/err"
expect_exit 2 "$SA" check --max x
expect_grep "^swapadj: --max 'x': not a number" "$WORK/err"

# --persist, on a fake root: atomic drop-in, and the warning when a later
# file (here /etc/sysctl.conf) overrides it at boot.
F=$WORK/root
mkdir -p $F/proc/sys/vm $F/proc/sys/kernel $F/etc $F/run
echo 60 >$F/proc/sys/vm/swappiness
echo 5.4.0 >$F/proc/sys/kernel/osrelease
printf 'MemTotal: 1000 kB\nMemAvailable: 500 kB\n' >$F/proc/meminfo
echo 'pgpgin 1' >$F/proc/vmstat
# An older kernel's range applies to the fake root.
expect_exit 2 "$SA" set 150 --sysroot $F
expect_grep "swappiness 150: out of range 0-100 for this kernel \(before Linux 5.8\)" "$WORK/err"
echo 'vm.swappiness = 5' >$F/etc/sysctl.conf
expect_exit 0 "$SA" set --persist 30 --sysroot $F
expect_grep "^60 (→|->) 30 +applied +/etc/sysctl.d/90-swapadj.conf\$" "$WORK/out"
expect_grep "^swapadj: /etc/sysctl.conf:1 sets vm.swappiness = 5 after /etc/sysctl.d/90-swapadj.conf and wins at boot" "$WORK/err"
[ "$(cat $F/proc/sys/vm/swappiness)" = 30 ] || fail "fake swappiness not 30"
grep -qx 'vm.swappiness = 30' $F/etc/sysctl.d/90-swapadj.conf || fail "drop-in: $(cat $F/etc/sysctl.d/90-swapadj.conf)"
[ "$(ls -A $F/etc/sysctl.d)" = 90-swapadj.conf ] || fail "temporary files left: $(ls -A $F/etc/sysctl.d)"
expect_exit 0 "$SA" show --sysroot $F --interval 0.1
expect_grep "^boot +5 +/etc/sysctl.conf:1 sets it at boot \(last of several files\); CONFLICT" "$WORK/out"
expect_grep "^boot-overridden +30 +/etc/sysctl.d/90-swapadj.conf:2, overridden by /etc/sysctl.conf" "$WORK/out"
expect_grep "^auto +25 " "$WORK/out"
expect_grep "^range +0-100 " "$WORK/out"
expect_grep "^cgroup +- +no memory cgroup controller" "$WORK/out"
# No /proc/swaps: a kernel without swap support, not an unread fact.
expect_grep "^swap +- +no /proc/swaps \(a kernel without swap support\)\$" "$WORK/out"
printf 'Filename\tType\tSize\tUsed\tPriority\n' >$F/proc/swaps
expect_exit 0 "$SA" show --sysroot $F --interval 0.1
expect_grep "^swap +none +no active swap device" "$WORK/out"
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/zram0 partition\t1048572\t2048\t100\n/swap\\040file file\t4096\t0\t-2\n' >$F/proc/swaps
expect_exit 0 "$SA" show --sysroot $F --interval 0.1
expect_grep "^swap +/dev/zram0 +zram \(compressed RAM\), partition, 1048572 KiB, used 2048 KiB, priority 100\$" "$WORK/out"
expect_grep "^swap +/swap file +file, 4096 KiB, used 0 KiB, priority -2\$" "$WORK/out"
rm $F/etc/sysctl.conf
expect_exit 0 "$SA" set --persist 30 --sysroot $F
[ ! -s "$WORK/err" ] || fail "warning without an overriding file: $(cat "$WORK/err")"
expect_exit 0 "$SA" show --sysroot $F --interval 0.1
expect_grep "^boot +30 +/etc/sysctl.d/90-swapadj.conf:2 sets it at boot; current value matches" "$WORK/out"

# Common options may come before the subcommand, as for qdepth and jcommit.
echo 40 >$F/proc/sys/vm/swappiness
expect_exit 0 "$SA" --sysroot $F show --interval 0.1
expect_grep "^swappiness +40 +vm.swappiness now" "$WORK/out"
expect_grep "^range +0-100 " "$WORK/out"
expect_exit 0 "$SA" --sysroot $F -o VALUE -rn show --interval 0.1
[ "$(head -n 1 "$WORK/out")" = 40 ] || fail "--sysroot -o show: $(head -n 1 "$WORK/out")"
expect_exit 0 "$SA" -J check --max 100 --sysroot $F
expect_exit 1 "$SA" -q --sysroot $F check --max 39
[ ! -s "$WORK/out" ] || fail "-q before check printed: $(cat "$WORK/out")"
expect_exit 0 "$SA" -v --sysroot $F check --max 40
expect_grep "^ok: swappiness 40\$" "$WORK/out"
expect_exit 0 "$SA" --dry-run --sysroot $F set 10
expect_grep "^40 (→|->) 10 +planned\$" "$WORK/out"
expect_grep "dry run: nothing written" "$WORK/err"
[ "$(cat $F/proc/sys/vm/swappiness)" = 40 ] || fail "--dry-run set wrote $(cat $F/proc/sys/vm/swappiness)"
expect_exit 0 "$SA" --sysroot $F -rn -o OLD,NEW set 10
[ "$(cat "$WORK/out")" = "40 10" ] || fail "-rn -o OLD,NEW set: $(cat "$WORK/out")"
[ "$(cat $F/proc/sys/vm/swappiness)" = 10 ] || fail "set 10 before: fake has $(cat $F/proc/sys/vm/swappiness)"
expect_exit 2 "$SA" --sysroot $F --dry-run set -1
expect_grep "^swapadj: swappiness -1: out of range 0-100" "$WORK/err"
expect_exit 2 "$SA" --sysroot $F nosuch
expect_grep "^swapadj: show: unexpected argument 'nosuch'\$" "$WORK/err"
expect_exit 2 "$SA" --sysroot $WORK/nonexistent show
expect_grep "^swapadj: --sysroot $WORK/nonexistent: No such file or directory\$" "$WORK/err"
expect_exit 0 "$SA" -q --sysroot $F restore
[ ! -s "$WORK/err" ] || fail "-q restore spoke: $(cat "$WORK/err")"

[ "$(swp)" = $v2 ] || fail "fake-root runs touched the host: $(swp)"
# The tool's own undo puts the host's value back (the trap is only the
# safety net when the test fails early).
expect_exit 0 "$SA" set "$orig"
expect_grep "^$v2 (→|->) $orig +applied\$" "$WORK/out"
[ "$(swp)" = "$orig" ] || fail "set $orig: kernel has $(swp)"
