#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj writing to the journal. systemd sets $JOURNAL_STREAM to the
# device and inode ("DEV:INO", decimal) of the stream it gives a service
# as stdout/stderr. When stderr is that stream, each line on it starts
# with a syslog priority "<N>" (<3> error, <4> warning, <5> notice, <6>
# info); when stdout is, the lines auto logs there also carry one and no
# timestamp (journald stamps them). A variable naming another file (it is
# inherited by commands whose output went elsewhere) or a malformed one
# changes nothing. A plain file stands in for the journal's stream here;
# everything runs on a fake root.
. "$(dirname "$0")/lib.sh"
need_tool SA swapadj
F=$WORK/root
fake_root $F 40 1000000 500000 12345
js() { stat -c '%d:%i' "$1"; }
# every_line_prefixed FILE: each line starts with <0>..<7>.
every_line_prefixed() {
	[ -s "$1" ] || fail "$1 is empty"
	! grep -Evq '^<[0-7]>' "$1" || { cat "$1" >&2; fail "a line of $1 has no <N> priority prefix"; }
}
J=$WORK/journal O=$WORK/other
: >"$J"
: >"$O"
n=0

# A usage error: <3>, the message as always.
JOURNAL_STREAM=$(js "$J") "$SA" --sysroot $F auto --min 50 --max 40 2>>"$J"
rc=$?
[ "$rc" -eq 2 ] || fail "auto --min 50 --max 40 exited $rc"
[ "$(cat "$J")" = "<3>swapadj: --min 50 is above --max 40" ] || fail "journal: $(cat "$J")"
n=$((n + 1))
# getopt's own complaint too, and the hint after it.
: >"$J"
JOURNAL_STREAM=$(js "$J") "$SA" --sysroot $F --bogus 2>>"$J"
rc=$?
[ "$rc" -eq 2 ] || fail "--bogus exited $rc"
every_line_prefixed "$J"
expect_grep "^<3>.*unrecognized option '--bogus'\$" "$J"
expect_grep "^<3>Try 'swapadj --help'.\$" "$J"
n=$((n + 1))
# A warning (<4>) and an info line (<6>).
: >"$J"
echo 'vm.swappiness = 5' >$F/etc/sysctl.conf
JOURNAL_STREAM=$(js "$J") "$SA" --sysroot $F set --persist --dry-run 30 >/dev/null 2>>"$J" ||
	fail "set --persist --dry-run: $(cat "$J")"
expect_grep "^<4>swapadj: /etc/sysctl.conf:1 sets vm.swappiness = 5 after /etc/sysctl.d/90-swapadj.conf and wins at boot" "$J"
expect_grep "^<6>swapadj: dry run: nothing written\$" "$J"
every_line_prefixed "$J"
rm $F/etc/sysctl.conf

# auto as a service: stdout and stderr are the one stream. Its log lines
# carry a priority and no timestamp; a warning (nobody reads the notify
# socket) is <4>.
: >"$J"
is_fake() { [ "$(cat $F/proc/sys/vm/swappiness)" = "$1" ]; }
# journal_auto ERR ENV...: swapadj --sysroot $F auto with the environment
# ENV (NAME=VALUE...), stdout appended to $J and stderr to ERR, until the
# fake value is 25 and $J has the change from 40; then SIGTERM, on which
# it must exit 0.
journal_auto() {
	local err=$1 p rc
	shift
	env "$@" "$SA" --sysroot $F auto --interval 0.1 >>"$J" 2>>"$err" &
	p=$!
	at_exit "kill -9 $p"
	wait_for is_fake 25
	wait_for grep -q 'vm.swappiness 40' "$J"
	kill -TERM $p
	wait $p
	rc=$?
	[ "$rc" -eq 0 ] || { cat "$J" >&2; fail "auto exited $rc on SIGTERM"; }
}
journal_auto "$J" JOURNAL_STREAM="$(js "$J")" NOTIFY_SOCKET="$WORK/nobody.sock"
is_fake 40 || fail "auto did not restore the fake value: $(cat $F/proc/sys/vm/swappiness)"
every_line_prefixed "$J"
expect_grep "^<5>vm.swappiness 40 (→|->) 25: MemAvailable 50.0%, read-in 0.0 KiB/s\$" "$J"
expect_grep "^<5>vm.swappiness 25 (→|->) 40: restored\$" "$J"
expect_grep "^<4>swapadj: NOTIFY_SOCKET=$WORK/nobody.sock: No such file or directory" "$J"
[ "$(grep -c 'NOTIFY_SOCKET' "$J")" -eq 1 ] || fail "the notify failure was said more than once: $(cat "$J")"

# Only stdout is the journal (StandardError= elsewhere): stdout lines are
# prefixed, stderr ones are not.
: >"$J"
: >"$O"
journal_auto "$O" JOURNAL_STREAM="$(js "$J")" NOTIFY_SOCKET="$WORK/nobody.sock"
every_line_prefixed "$J"
expect_grep "^swapadj: NOTIFY_SOCKET=$WORK/nobody.sock: " "$O"

# Not the journal: JOURNAL_STREAM names another file, or is malformed.
for env in "$(js "$O")" "$(js "$J")x" "garbage" ""; do
	: >"$J"
	journal_auto "$J" JOURNAL_STREAM="$env"
	grep -q '^<' "$J" && fail "JOURNAL_STREAM='$env' (not this stream): prefixed lines: $(cat "$J")"
	expect_grep "^[0-9-]+T[0-9:]+Z vm.swappiness 40 (→|->) 25: " "$J"
	JOURNAL_STREAM=$env "$SA" --sysroot $F auto --min 50 --max 40 2>"$J"
	[ "$(cat "$J")" = "swapadj: --min 50 is above --max 40" ] || fail "JOURNAL_STREAM='$env': $(cat "$J")"
	n=$((n + 1))
done
is_fake 40 || fail "fake value $(cat $F/proc/sys/vm/swappiness) at the end, not 40"
note "$n bad-input cases"
