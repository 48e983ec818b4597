#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The udev rule in a real systemd-udevd. The shipped rule skips loop
# devices, so the test runs a variant that differs from it in the device
# filter line only (checked byte for byte) and matches the test's own loop
# device; its RUN runs the freshly built $B/qdepth.
#   udevadm test (a simulation; in udev 252 it also parses every rule):
#     the shipped rule parses without a warning and leaves a loop device
#     alone; the variant runs qdepth for the device, but not when the
#     device claims to be zoned or a partition (a file bind-mounted over
#     its sysfs attribute in a throw-away mount namespace) or has no
#     request queue (an empty directory over queue/).
#   a real daemon: "add" and "change" events apply the rule's scheduler and
#     depth (read back from sysfs), and the action's line is in the kernel
#     log, where an operator sees it at default settings (udevd keeps a
#     RUN program's stderr for its debug log; no syslog daemon listens on
#     these machines, so /dev/kmsg is the path: 28-udev-log.sh tests the
#     syslog one); an "online" event and a multipath path
#     (DM_MULTIPATH_DEVICE_PATH=1, set by a rule line before the variant)
#     leave the device untouched and log nothing.
# A running udevd is used and left running. Otherwise the test starts one
# and stops it at exit; that one sees only the test's rules (the rules
# directories of the distribution are hidden in this mount namespace), so
# it never probes or links the devices of other tests while it runs.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd udevadm
need_cmd unshare
need_cmd dmesg
UDEVD=/lib/systemd/systemd-udevd
[ -x $UDEVD ] || skip "no $UDEVD (make deps installs the udev package)"
RULE=$TOP/udev/60-qdepth.rules
[ -f "$RULE" ] || fail "no $RULE"
[ -x "$B/qdepth" ] || fail "$B/qdepth not built"
in_mount_ns "$@"

# Every rules directory udev 252 reads, except /run/udev/rules.d.
DIST_RULES="/etc/udev/rules.d /usr/local/lib/udev/rules.d /usr/lib/udev/rules.d /lib/udev/rules.d"
hide_dist_rules() {
	local d
	for d in $DIST_RULES; do
		[ -d "$d" ] || continue
		mount -t tmpfs -o ro,mode=0755 tmpfs "$d" || return 1
	done
}

# --- the daemon: the running one, or one of our own
UDEVD_PID=
had_run_udev=0 had_dev_block=0
[ -d /run/udev ] && had_run_udev=1
[ -d /dev/block ] && had_dev_block=1 && ls -A /dev/block >"$WORK/dev-block"
stop_udevd() {
	local i
	[ -n "$UDEVD_PID" ] || return 0
	kill "$UDEVD_PID"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$UDEVD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$UDEVD_PID" 2>/dev/null
	wait "$UDEVD_PID" 2>/dev/null
	# Its control socket stays behind; tools that find it would wait
	# for a udev that is gone (lvm, cryptsetup).
	if [ "$had_run_udev" = 0 ]; then
		rm -rf /run/udev
	else
		rm -f /run/udev/control
	fi
	# ... and the /dev/block/MAJ:MIN links it made (loop devices are
	# never removed, so no "remove" event takes them away).
	if [ "$had_dev_block" = 0 ]; then
		rm -rf /dev/block
	else
		find /dev/block -mindepth 1 -maxdepth 1 -type l -printf '%f\n' |
			grep -vxF -f "$WORK/dev-block" |
			while read -r l; do rm -f "/dev/block/$l"; done
	fi
	return 0
}
if udevadm control --ping -t 2 >/dev/null 2>&1; then
	note "using the running udevd"
else
	hide_dist_rules || fail "cannot hide the distribution's udev rules"
	$UDEVD --debug >"$WORK/udevd.log" 2>&1 &
	UDEVD_PID=$!
	at_exit stop_udevd
	ping_udevd() { udevadm control --ping -t 1 >/dev/null 2>&1; }
	wait_for ping_udevd
	note "started $UDEVD (pid $UDEVD_PID)"
fi
udevd_log() {
	[ -f "$WORK/udevd.log" ] && tail -n 40 "$WORK/udevd.log" >&2
}

# --- the device: a loop device over an image on a tmpfs
# Detached while the daemon runs, which then drops its links and record.
at_exit "udevadm settle -t 10"
queue_loop 80

# --- the variant: the shipped rule with only the device filter changed
FILTER='^KERNEL=="[^"]*", GOTO="qdepth_end"$'
[ "$(grep -c "$FILTER" "$RULE")" = 1 ] ||
	fail "$RULE: expected one device filter line 'KERNEL==\"...\", GOTO=\"qdepth_end\"'"
sed "s/$FILTER/KERNEL!=\"$N\", GOTO=\"qdepth_end\"/" "$RULE" >"$WORK/variant.in"
diff "$RULE" "$WORK/variant.in" >"$WORK/diff"
[ "$(grep -c '^[<>]' "$WORK/diff")" = 2 ] &&
	grep -qx "> KERNEL!=\"$N\", GOTO=\"qdepth_end\"" "$WORK/diff" ||
	{ cat "$WORK/diff" >&2; fail "the variant differs from the shipped rule beyond the device filter"; }
sed "s|@SBINDIR@|$B|g" "$WORK/variant.in" >"$WORK/variant.rules"
sed "s|@SBINDIR@|$B|g" "$RULE" >"$WORK/shipped.rules"
cmd=$(sed -n 's/^RUN+="\(.*\)"$/\1/p' "$WORK/variant.rules")
case $cmd in "$B/qdepth set --udev "*) ;; *) fail "RUN does not call $B/qdepth set --udev: $cmd" ;; esac
want_sched=$(sed -n 's/.*--scheduler \([^ ]*\).*/\1/p' <<<"$cmd")
want_depth=$(sed -n 's/.*--depth \([0-9]*\).*/\1/p' <<<"$cmd")
[ -n "$want_sched" ] && [ -n "$want_depth" ] || fail "no --scheduler/--depth in: $cmd"
# A baseline unlike the rule's values, so that a rule that does nothing
# fails the test.
base_sched=none base_depth=64
[ "$want_sched" != $base_sched ] && [ "$want_depth" != $base_depth ] ||
	fail "the rule's values equal the test's baseline"
baseline() {
	echo $base_sched >"$SYSQ/scheduler" && echo $base_depth >"$SYSQ/nr_requests" ||
		fail "cannot set the baseline $base_sched/$base_depth on $N"
	[ "$(sched)/$(depth)" = $base_sched/$base_depth ] ||
		fail "baseline not taken: $(sched)/$(depth)"
}

# --- udevadm test, each run in its own mount namespace: /run/udev/rules.d
# there holds only the given rules, so a running udevd never sees the
# shipped rule with a build path in it (it would act on the host's disks).
# udev 252's "udevadm test" updates links and the database like an event
# but runs no RUN program: it prints it.
utest_ns() { # RULES... -- [FILE=SYSFS_FILE ...]
	local r
	mkdir -p /run/udev/rules.d || return 90
	mount -t tmpfs tmpfs /run/udev/rules.d || return 90
	hide_dist_rules || return 90
	while [ "$1" != -- ]; do
		cp "$1" /run/udev/rules.d/ || return 90
		shift
	done
	shift
	for r in "$@"; do
		mount --bind "${r%%=*}" "${r#*=}" || return 90
	done
	SYSTEMD_LOG_LEVEL=warning udevadm test --action=add "/sys/block/$N"
}
# utest NAME RULES... -- [FILE=SYSFS_FILE ...]: fails on any warning;
# $WORK/NAME.out holds what udevadm test printed.
utest() {
	local name=$1 rc
	shift
	unshare -m --propagation private bash -c \
		"$(declare -f hide_dist_rules utest_ns); DIST_RULES='$DIST_RULES' N='$N'; utest_ns \"\$@\"" \
		utest "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	rc=$?
	[ "$rc" -eq 0 ] || { cat "$WORK/$name.err" >&2; fail "udevadm test ($name) exited $rc"; }
	[ ! -s "$WORK/$name.err" ] ||
		{ cat "$WORK/$name.err" >&2; fail "udevadm test ($name): warnings"; }
}
runs_qdepth() { grep -q "^run: '$B/qdepth set --udev " "$WORK/$1.out"; }

cp "$WORK/shipped.rules" "$WORK/60-qdepth.rules"
utest shipped "$WORK/60-qdepth.rules" --
! runs_qdepth shipped || fail "the shipped rule runs qdepth for a loop device"
cp "$WORK/variant.rules" "$WORK/60-qdepth.rules"
utest variant "$WORK/60-qdepth.rules" --
runs_qdepth variant || { cat "$WORK/variant.out" >&2; fail "the variant does not run qdepth for $N"; }

printf 'host-managed\n' >"$WORK/zoned"
[ -f "$SYSQ/zoned" ] || fail "$SYSQ/zoned missing: kernel too old for this test"
utest zoned "$WORK/60-qdepth.rules" -- "$WORK/zoned=$SYSQ/zoned"
grep -qx 'host-managed' "$SYSQ/zoned" && fail "the fake zoned attribute leaked"
! runs_qdepth zoned || fail "the rule runs qdepth for a zoned (host-managed) disk"

sed 's/^DEVTYPE=disk$/DEVTYPE=partition/' "/sys/block/$N/uevent" >"$WORK/uevent"
grep -qx DEVTYPE=partition "$WORK/uevent" || fail "no DEVTYPE=disk in /sys/block/$N/uevent"
utest partition "$WORK/60-qdepth.rules" -- "$WORK/uevent=/sys/block/$N/uevent"
grep -qx DEVTYPE=partition "$WORK/partition.out" ||
	fail "udevadm test did not read the fake uevent file"
! runs_qdepth partition || fail "the rule runs qdepth for a partition"

mkdir "$WORK/noqueue"
utest noqueue "$WORK/60-qdepth.rules" -- "$WORK/noqueue=$SYSQ"
! runs_qdepth noqueue || fail "the rule runs qdepth for a disk without a request queue"

# --- the real daemon
RULES_D=/run/udev/rules.d
IT_RULE=$RULES_D/60-qdepth-it-$N.rules
mkdir -p $RULES_D
at_exit "rm -f '$IT_RULE'; udevadm control --reload"
# install FILE: the test's rules file, made visible at once (rename).
install_rule() {
	cp "$1" "$IT_RULE.tmp" && mv "$IT_RULE.tmp" "$IT_RULE" &&
		udevadm control --reload || fail "cannot install $IT_RULE"
}
event() { # ACTION
	udevadm trigger --settle --action="$1" "/sys/block/$N" ||
		fail "udevadm trigger --action=$1 $N"
	udevadm settle -t 30 || fail "udevadm settle"
}
# The kernel log after a marker line written just before the event: the
# lines of other runs (the same loop name used earlier) and a ring buffer
# that wraps do not matter. With a syslog daemon on /dev/log the line
# goes there instead, and only 28-udev-log.sh can see it.
kmsg=1
if perl -MSocket -e 'socket(my $c, AF_UNIX, SOCK_DGRAM, 0) or exit 1;
	exit !connect($c, pack_sockaddr_un("/dev/log"))' 2>/dev/null; then
	kmsg=0
	note "a syslog daemon listens on /dev/log: the kernel log is not checked"
fi
dmesg >/dev/null 2>&1 || { kmsg=0; note "dmesg cannot read the kernel log: not checked"; }
mark() {
	MARK="qdepth-it-26 $N $$ $RANDOM $(date +%s%N)"
	[ "$kmsg" = 0 ] || echo "<14>$MARK" >/dev/kmsg || fail "writing the kernel log"
}
since() { dmesg | sed -n "/$MARK\$/,\$p" | tail -n +2; }
applied() { # ACTION
	baseline
	mark
	event "$1"
	[ "$(sched)/$(depth)" = "$want_sched/$want_depth" ] || {
		udevd_log
		fail "\"$1\" event: $N has $(sched)/$(depth), the rule sets $want_sched/$want_depth"
	}
	[ "$kmsg" = 0 ] ||
		[ "$(since | grep -c "^\[ *[0-9.]*\] qdepth: $N: applied: scheduler $base_sched -> $want_sched, depth $base_depth -> $want_depth\$")" = 1 ] || {
		since >&2
		fail "\"$1\" event: not one line of qdepth in the kernel log"
	}
}
untouched() { # ACTION WHY
	baseline
	mark
	event "$1"
	[ "$(sched)/$(depth)" = $base_sched/$base_depth ] || {
		udevd_log
		fail "$2: $N changed to $(sched)/$(depth)"
	}
	[ "$kmsg" = 0 ] || ! since | grep -q "qdepth: $N:" ||
		{ since >&2; fail "$2: qdepth logged: $(since | grep "qdepth: $N:")"; }
}

install_rule "$WORK/variant.rules"
applied add
applied change
untouched online "an \"online\" event"

{
	echo "KERNEL==\"$N\", ENV{DM_MULTIPATH_DEVICE_PATH}=\"1\""
	cat "$WORK/variant.rules"
} >"$WORK/mpath.rules"
install_rule "$WORK/mpath.rules"
untouched change "a multipath path (DM_MULTIPATH_DEVICE_PATH=1)"
# The same file without the multipath line applies again: the line, not
# the file, made the difference.
install_rule "$WORK/variant.rules"
applied change
echo "udev: $want_sched/$want_depth applied to $N on add and change, said in the kernel log; online, multipath, zoned, partition and queue-less devices left alone"
