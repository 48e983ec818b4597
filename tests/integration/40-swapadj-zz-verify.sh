#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Last of the swapadj tests: the host's vm.swappiness is what
# 40-swapadj-00-record.sh found, no state file and no swapadj cgroup is
# left behind.
. "$(dirname "$0")/lib.sh"
need_root
rec=$B/swapadj-host-swappiness
[ -f "$rec" ] || skip "40-swapadj-00-record.sh did not run first"
want=$(cat "$rec")
now=$(cat /proc/sys/vm/swappiness)
rm -f "$rec"
[ "$now" = "$want" ] || fail "vm.swappiness is $now after the swapadj tests, was $want"
[ ! -e /run/swapadj.state ] || fail "/run/swapadj.state left behind: $(cat /run/swapadj.state)"
self=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
left=$(find "/sys/fs/cgroup/memory$self" -maxdepth 1 -name 'swapadj.*' 2>/dev/null)
[ -z "$left" ] || fail "cgroups left behind: $left"
note "vm.swappiness $now, as before the swapadj tests"
