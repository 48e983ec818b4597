#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj show --textfile FILE: the numbers of show as Prometheus metrics
# for node_exporter's textfile collector, parsed with prometheus_client
# (lib-fleet.sh's prom_check: HELP/TYPE once, samples together, mode 0644,
# no temp file left): the names of swapadj(8) METRICS in base units, a
# label value escaped, +Inf for no cgroup limit; the report still on
# stdout (-q silences it); a fact that cannot be read has no sample and
# show exits 3; a FILE not named *.prom is a usage error; a FILE that
# cannot be written exits 3 and names it. Read-only: the host's
# vm.swappiness is only read.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fleet.sh"
need_fleet_py
SA=$B/swapadj
[ -x "$SA" ] || fail "$SA not built"
M=$WORK/metrics
mkdir "$M"

# The host: swappiness as the kernel has it.
expect_exit 0 "$SA" show --textfile "$M/vm.prom"
expect_grep "^swappiness +[0-9]+ " "$WORK/out"
prom_check "$M/vm.prom" ctl_vm_swappiness ctl_vm_swappiness_max ctl_vm_memtotal_bytes ctl_vm_memavailable_bytes
[ "$(prom_value "$M/vm.prom" ctl_vm_swappiness)" = "$(cat /proc/sys/vm/swappiness)" ] ||
	fail "ctl_vm_swappiness $(prom_value "$M/vm.prom" ctl_vm_swappiness), kernel $(cat /proc/sys/vm/swappiness)"
total=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
[ "$(prom_value "$M/vm.prom" ctl_vm_memtotal_bytes)" = $((total * 1024)) ] ||
	fail "ctl_vm_memtotal_bytes $(prom_value "$M/vm.prom" ctl_vm_memtotal_bytes), MemTotal $total kB"

# A fake root with every kind of fact; a umask that would hide the file.
F=$WORK/root
fake_root $F 40 1000000 500000 1
mkdir -p $F/proc/pressure $F/proc/self $F/sys/fs/cgroup/memory/box
printf 'some avg10=1.50 avg60=0.75 avg300=0.10 total=12345\n' >$F/proc/pressure/memory
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/zram0 partition\t1048572\t2048\t100\n/sw"a\\134p\\040file file\t4096\t0\t-2\n' >$F/proc/swaps
echo 'vm.swappiness = 30' >$F/etc/sysctl.d/10-a.conf
echo 'vm.swappiness = 5' >$F/etc/sysctl.conf
echo 9223372036854771712 >$F/sys/fs/cgroup/memory/memory.limit_in_bytes
echo 1073741824 >$F/sys/fs/cgroup/memory/box/memory.limit_in_bytes
echo '5:memory:/box' >$F/proc/self/cgroup
echo 30 >$F/sys/fs/cgroup/memory/box/memory.swappiness
(umask 077 && exec "$SA" --sysroot $F show -q --interval 0.1 --textfile "$M/vm.prom") >"$WORK/out" 2>"$WORK/err" ||
	fail "show --textfile on the fake root: $(cat "$WORK/err")"
[ ! -s "$WORK/out" ] || fail "show -q --textfile printed: $(cat "$WORK/out")"
prom_check "$M/vm.prom" ctl_vm_swappiness ctl_vm_swappiness_max ctl_vm_memtotal_bytes \
	ctl_vm_memavailable_bytes ctl_vm_pressure_ratio ctl_vm_readin_bytes_per_second \
	ctl_vm_auto_swappiness ctl_vm_boot_swappiness ctl_vm_boot_overridden_swappiness \
	ctl_vm_swap_size_bytes ctl_vm_swap_used_bytes ctl_vm_swap_priority \
	ctl_vm_cgroup_version ctl_vm_cgroup_limit_bytes ctl_vm_cgroup_swappiness
# want METRIC VALUE [LABEL=VALUE...]
want() {
	local m=$1 v=$2 got
	shift 2
	got=$(prom_value "$M/vm.prom" "$m" "$@")
	[ "$got" = "$v" ] || fail "$m $*: $got, want $v"
}
want ctl_vm_swappiness 40
want ctl_vm_swappiness_max 200
want ctl_vm_memtotal_bytes 1024000000
want ctl_vm_memavailable_bytes 512000000
want ctl_vm_pressure_ratio 0.015
want ctl_vm_readin_bytes_per_second 0
want ctl_vm_auto_swappiness 25
want ctl_vm_boot_swappiness 5 file=/etc/sysctl.conf
want ctl_vm_boot_overridden_swappiness 30 file=/etc/sysctl.d/10-a.conf
want ctl_vm_swap_size_bytes $((1048572 * 1024)) device=/dev/zram0
want ctl_vm_swap_used_bytes $((2048 * 1024)) device=/dev/zram0
want ctl_vm_swap_priority 100 device=/dev/zram0
# A label value with '"', '\' and a space: escaped, read back as it was.
want ctl_vm_swap_priority -2 'device=/sw"a\p file'
want ctl_vm_cgroup_version 1
want ctl_vm_cgroup_limit_bytes 1073741824
want ctl_vm_cgroup_swappiness 30
# Without --interval no rate: no readin sample, nor one auto value.
expect_exit 0 "$SA" --sysroot $F show --textfile "$M/vm.prom"
expect_grep "^swappiness +40 " "$WORK/out"
prom_check "$M/vm.prom" ctl_vm_swappiness
grep -Eq '^ctl_vm_(readin_bytes_per_second|auto_swappiness) ' "$M/vm.prom" &&
	fail "a rate without --interval: $(grep -E '^ctl_vm_(readin|auto)' "$M/vm.prom")"
# No cgroup limit up to the root: +Inf.
echo 9223372036854771712 >$F/sys/fs/cgroup/memory/box/memory.limit_in_bytes
expect_exit 0 "$SA" --sysroot $F show -q --textfile "$M/vm.prom"
want ctl_vm_cgroup_limit_bytes +Inf

# A fact that cannot be read: no sample of it, the rest written, exit 3.
echo garbage >$F/proc/pressure/memory
expect_exit 3 "$SA" --sysroot $F show -q --textfile "$M/vm.prom"
expect_grep "^swapadj: $F/proc/pressure/memory: not in the PSI format" "$WORK/err"
prom_check "$M/vm.prom" ctl_vm_swappiness
grep -q '^ctl_vm_pressure_ratio' "$M/vm.prom" && fail "a sample of a fact not read: $(grep '^ctl_vm_pressure' "$M/vm.prom")"
rm $F/proc/pressure/memory

# Names: *.prom only (exit 2, nothing written); a directory that is not
# there: exit 3, named, the report printed all the same.
for bad in "$M/vm.txt" "$M/.prom" "$M/vm.prom.tmp"; do
	expect_exit 2 "$SA" --sysroot $F show --textfile "$bad"
	expect_grep "^swapadj: --textfile '$bad': not a .prom file" "$WORK/err"
	[ ! -e "$bad" ] || fail "--textfile $bad written"
done
expect_exit 3 "$SA" --sysroot $F show --textfile "$WORK/nodir/vm.prom"
expect_grep "^swapadj: $WORK/nodir/vm.prom: No such file or directory\$" "$WORK/err"
expect_grep "^swappiness +40 " "$WORK/out"
[ "$(ls -A "$M")" = vm.prom ] || fail "files left in $M: $(ls -A "$M")"
