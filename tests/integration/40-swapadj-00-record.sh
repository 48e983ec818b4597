#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# First of the swapadj tests: record the host's vm.swappiness so that
# 40-swapadj-zz-verify.sh can check the suite left it as it found it.
. "$(dirname "$0")/lib.sh"
need_root
[ -r /proc/sys/vm/swappiness ] || skip "no /proc/sys/vm/swappiness"
[ ! -e /run/swapadj.state ] ||
	fail "/run/swapadj.state exists before the tests: a swapadj run or auto is active (or crashed) on this host; run 'swapadj restore' first"
cat /proc/sys/vm/swappiness >"$B/swapadj-host-swappiness" || fail "cannot write $B"
note "host vm.swappiness: $(cat "$B/swapadj-host-swappiness")"
