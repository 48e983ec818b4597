#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The udev rule: every line parses as udev rule syntax (udevadm verify when
# this udev has it, else a parser check here), and its RUN command, run with
# the environment udev gives it on "add" of a real loop device, applies the
# scheduler and depth, read back from sysfs.
. "$(dirname "$0")/lib.sh"
RULE=$TOP/udev/60-qdepth.rules
[ -f "$RULE" ] || fail "no $RULE"
if command -v udevadm >/dev/null && udevadm verify --help >/dev/null 2>&1; then
	sed "s|@SBINDIR@|$B|" "$RULE" >"$WORK/60-qdepth.rules"
	udevadm verify "$WORK/60-qdepth.rules" || fail "udevadm verify"
else
	note "udevadm verify not available: checking the syntax here"
	key='(ACTION|SUBSYSTEM|KERNEL|DEVPATH|DRIVER|ENV\{[A-Za-z_]+\}|ATTR\{[a-z_/]+\}|TEST|RUN|GOTO|LABEL)'
	op='(==|!=|\+=|=)'
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		case $line in ''|'#'*) continue ;; esac
		rest=$line
		while [ -n "$rest" ]; do
			[[ $rest =~ ^$key$op\"[^\"]*\"(,\ *)?(.*)$ ]] ||
				fail "$RULE:$n: not udev rule syntax: $rest"
			rest=${BASH_REMATCH[4]}
		done
	done <"$RULE"
	grep -q '^LABEL="qdepth_end"$' "$RULE" || fail "GOTO target missing"
fi

need_root
in_mount_ns "$@"
cmd=$(sed -n 's/^RUN+="\(.*\)"$/\1/p' "$RULE")
[ -n "$cmd" ] || fail "no RUN in the rule"
queue_loop 100
echo none >"$SYSQ/scheduler"
run=${cmd//@SBINDIR@/$B}
run=${run//\$devnode/$DEV}
note "RUN: $run"
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ACTION=add SUBSYSTEM=block \
	DEVTYPE=disk DEVNAME="$DEV" DEVPATH="/devices/virtual/block/$N" \
	$run </dev/null >"$WORK/out" 2>"$WORK/err"
rc=$?
cat "$WORK/err" >&2
[ "$rc" -eq 0 ] || fail "RUN command exited $rc"
want_sched=$(sed -n 's/.*--scheduler \([^ ]*\).*/\1/p' <<<"$cmd")
want_depth=$(sed -n 's/.*--depth \([0-9]*\).*/\1/p' <<<"$cmd")
[ "$(sched)" = "$want_sched" ] || fail "scheduler $(sched), rule wants $want_sched"
[ "$(depth)" = "$want_depth" ] || fail "depth $(depth), rule wants $want_depth"
[ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "expected one log line"
[ ! -s "$WORK/out" ] || fail "RUN wrote to stdout"
echo "udev rule applied $want_sched/$want_depth to $N"
