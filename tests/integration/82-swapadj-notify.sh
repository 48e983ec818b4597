#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj auto speaks systemd's notify protocol (the unit is Type=notify):
# with NOTIFY_SOCKET set to a datagram socket (a path, and an abstract
# "@name"), it sends READY=1 once its first step is done, a STATUS= naming
# the value it set and why, and STOPPING=1 on SIGTERM before it exits 0
# with the value restored. STATUS= is sent again when the value or its
# reason changes, and only then (on a fake root whose MemAvailable the
# test moves).
# What the notify socket cannot do is not the service's failure: nobody
# listening, a receiver that does not read (its queue full: sd_notify
# would block, and auto would never see SIGTERM), libsystemd missing. Each
# is said once on stderr; the service runs, stops on SIGTERM and restores.
# The receiver is Perl (perl-base is essential on Debian).
. "$(dirname "$0")/lib.sh"
need_root
need_cmd perl
[ -x "$B/swapadj" ] || fail "$B/swapadj not built"
# Enabled by the documentation: once swapadj(8) says that swapadj auto
# notifies NOTIFY_SOCKET, this test holds it to that.
grep -q NOTIFY_SOCKET "$TOP/man/swapadj.8" ||
	skip "swapadj(8) does not document NOTIFY_SOCKET: swapadj auto does not speak sd_notify yet"
swapadj_env
v=$((orig == 23 ? 24 : 23))

# listen ADDR LOG: collect the datagrams sent to ADDR ("@name" is
# abstract), one per line group, in LOG; prints the receiver's pid.
listen() {
	perl -MSocket -MIO::Handle -e '
		my ($addr, $log) = @ARGV;
		my $name = $addr =~ s/^@/\0/r;
		socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
		bind($s, pack_sockaddr_un($name)) or die "bind $addr: $!\n";
		open(my $o, ">>", $log) or die "$log: $!\n";
		$o->autoflush(1);
		print $o "# listening\n";
		while (defined(recv($s, my $m, 65536, 0))) {
			$m .= "\n" unless $m =~ /\n\z/;
			print $o $m;
		}' "$1" "$2" >>"$2.err" 2>&1 &
	pids+=($!)
	wait_for grep -q '^# listening$' "$2"
}
has() { grep -q "$1" "$2"; }
is_v() { [ "$(swp)" = $v ]; }
# stopped_auto WHAT READY ENV...: swapadj auto --interval 0.2 --min $v
# --max $v with the environment ENV (NAME=VALUE...) in the background;
# once vm.swappiness is $v and READY (eval'ed) holds, SIGTERM: it must
# stop within 10 s (a blocked auto never takes it), exit 0 and put $orig
# back. Its stderr is in $WORK/auto.err.
stopped_auto() {
	local what=$1 ready=$2 p i rc
	shift 2
	env "$@" "$SA" auto --interval 0.2 --min $v --max $v \
		>"$WORK/auto.out" 2>"$WORK/auto.err" &
	p=$!
	pids+=($p)
	wait_for is_v
	wait_for eval "$ready"
	kill -TERM $p
	for ((i = 0; i < 100; i++)); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
	kill -0 $p 2>/dev/null && fail "$what: auto still runs 10 s after SIGTERM (blocked in sd_notify?)"
	wait $p
	rc=$?
	[ "$rc" -eq 0 ] || { cat "$WORK/auto.err" >&2; fail "$what: swapadj auto exited $rc"; }
	[ "$(swp)" = "$orig" ] || fail "$what: vm.swappiness $(swp) after SIGTERM, not $orig"
}

# notify ADDR: one run of swapadj auto with NOTIFY_SOCKET=ADDR.
notify() {
	local addr=$1 log=$WORK/notify.$2 p line_ready line_stop
	: >"$log"
	listen "$addr" "$log"
	NOTIFY_SOCKET=$addr "$SA" auto --interval 0.2 --min $v --max $v \
		>"$WORK/auto.out" 2>"$WORK/auto.err" &
	p=$!
	pids+=($p)
	wait_for has '^READY=1$' "$log"
	wait_for has "^STATUS=.*\b$v\b" "$log"
	# ... with the reason: the rule's arithmetic and the clamp.
	has "^STATUS=vm.swappiness $v: base 10 + (1 - MemAvailable/MemTotal) x 30 = [0-9]*; read-in [<=>]* 2000 KiB/s: +[01]*0; clamp $v..$v" "$log" ||
		{ cat "$log" >&2; fail "$addr: STATUS= without the reason"; }
	[ "$(swp)" = $v ] || fail "$addr: STATUS= sent, but vm.swappiness is $(swp), not $v"
	! has '^STOPPING=1$' "$log" || fail "$addr: STOPPING=1 before the stop"
	kill -TERM $p
	wait $p
	rc=$?
	[ "$rc" -eq 0 ] || { cat "$WORK/auto.err" >&2; fail "$addr: swapadj auto exited $rc on SIGTERM"; }
	has '^STOPPING=1$' "$log" || { cat "$log" >&2; fail "$addr: no STOPPING=1 on SIGTERM"; }
	line_ready=$(grep -n '^READY=1$' "$log" | head -n 1 | cut -d: -f1)
	line_stop=$(grep -n '^STOPPING=1$' "$log" | head -n 1 | cut -d: -f1)
	[ "$line_ready" -lt "$line_stop" ] || fail "$addr: STOPPING=1 came before READY=1"
	[ "$(swp)" = "$orig" ] || fail "$addr: after SIGTERM vm.swappiness is $(swp), not $orig"
	[ ! -e "$ST" ] || fail "$addr: state file left after SIGTERM"
	[ ! -s "$WORK/auto.err" ] || { cat "$WORK/auto.err" >&2; fail "$addr: swapadj auto wrote to stderr"; }
}
notify "$WORK/notify.sock" path
notify "@swapadj-it-$$" abstract

# Nobody listens: sd_notify's failure is not the service's.
stopped_auto "no listener" true NOTIFY_SOCKET="$WORK/nobody.sock"
grep -q "^swapadj: NOTIFY_SOCKET=$WORK/nobody.sock: No such file or directory" "$WORK/auto.err" ||
	{ cat "$WORK/auto.err" >&2; fail "no listener: not said on stderr"; }
[ "$(grep -c NOTIFY_SOCKET "$WORK/auto.err")" -eq 1 ] || fail "no listener: said more than once: $(cat "$WORK/auto.err")"

# STATUS= follows the value and its reason, once per change: a fake root
# whose MemAvailable moves 50% -> 0% -> 50% (25 -> 40 -> 25).
F=$WORK/root
fake_root $F 60 1000 500 1
# fake_auto NAME: swapadj --sysroot $F auto in the background ($p), its
# notifications to $WORK/NAME.sock collected in log=$WORK/notify.NAME.
fake_auto() {
	log=$WORK/notify.$1
	: >"$log"
	listen "$WORK/$1.sock" "$log"
	NOTIFY_SOCKET=$WORK/$1.sock "$SA" --sysroot $F auto --interval 0.1 >"$WORK/auto.out" 2>"$WORK/auto.err" &
	p=$!
	pids+=($p)
}
fake_auto fake
status_is() { [ "$(grep '^STATUS=' "$log" | tail -n 1)" = "STATUS=$1" ]; }
wait_for status_is "vm.swappiness 25: base 10 + (1 - MemAvailable/MemTotal) x 30 = 25; read-in <= 2000 KiB/s: +0; clamp 10..60"
has '^READY=1$' "$log" || fail "fake root: STATUS= without READY=1"
fake_meminfo $F 1000 0
wait_for status_is "vm.swappiness 40: base 10 + (1 - MemAvailable/MemTotal) x 30 = 40; read-in <= 2000 KiB/s: +0; clamp 10..60"
fake_meminfo $F 1000 500
wait_for status_is "vm.swappiness 25: base 10 + (1 - MemAvailable/MemTotal) x 30 = 25; read-in <= 2000 KiB/s: +0; clamp 10..60"
# Some ten steps with nothing changed (not a timing assertion: a right
# auto sends nothing however many steps pass; one that repeats STATUS=
# every step is caught by any one of them).
sleep 1
kill -TERM $p
wait $p
rc=$?
[ "$rc" -eq 0 ] || { cat "$WORK/auto.err" >&2; fail "fake root: exited $rc on SIGTERM"; }
[ "$(cat $F/proc/sys/vm/swappiness)" = 60 ] || fail "fake root: not restored: $(cat $F/proc/sys/vm/swappiness)"
[ "$(grep -c '^STATUS=vm.swappiness' "$log")" -eq 3 ] ||
	{ cat "$log" >&2; fail "fake root: STATUS= not sent exactly once per change (3)"; }
[ "$(grep -c '^READY=1$' "$log")" -eq 1 ] || { cat "$log" >&2; fail "fake root: READY=1 more than once"; }
has '^STOPPING=1$' "$log" || fail "fake root: no STOPPING=1"

# A newer swapadj run holds its value: STATUS= says so while it runs,
# and names auto's own value again once it has exited.
fake_auto held
rule="base 10 + (1 - MemAvailable/MemTotal) x 30 = 25; read-in <= 2000 KiB/s: +0; clamp 10..60"
wait_for status_is "vm.swappiness 25: $rule"
# The command waits (bounded) for the STATUS= of the hold.
"$SA" --sysroot $F run --swappiness 33 -- bash -c '
	for ((i = 0; i < 200; i++)); do
		grep -qxF "$1" "$0" && exit 0
		sleep 0.1
	done
	exit 1' "$log" "STATUS=vm.swappiness 33, held by a newer swapadj run; 25 when it exits: $rule" ||
	{ cat "$log" >&2; fail "held: no STATUS= saying a newer run holds 33"; }
wait_for status_is "vm.swappiness 25: $rule"
[ "$(cat $F/proc/sys/vm/swappiness)" = 25 ] || fail "held: after the run the fake value is $(cat $F/proc/sys/vm/swappiness), not auto's 25"
kill -TERM $p
wait $p
[ "$(cat $F/proc/sys/vm/swappiness)" = 60 ] || fail "held: not restored: $(cat $F/proc/sys/vm/swappiness)"

# A receiver that does not read: its queue is full (the test fills it
# first), so each send would block. auto says so once and goes on; SIGTERM
# still stops it and the value comes back.
log=$WORK/notify.full
: >"$log"
perl -MSocket -MIO::Handle -e '
	my ($addr, $log) = @ARGV;
	socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
	my $sa = pack_sockaddr_un($addr);
	bind($s, $sa) or die "bind $addr: $!\n";
	my $n = 0;
	$n++ while defined(send($s, "fill", MSG_DONTWAIT, $sa));
	open(my $o, ">>", $log) or die "$log: $!\n";
	$o->autoflush(1);
	print $o "# full after $n\n";
	sleep;' "$WORK/full.sock" "$log" >>"$log.err" 2>&1 &
pids+=($!)
wait_for grep -q '^# full after [1-9]' "$log"
stopped_auto "full receiver" 'grep -q NOTIFY_SOCKET "$WORK/auto.err"' \
	NOTIFY_SOCKET="$WORK/full.sock"
grep -q "^swapadj: NOTIFY_SOCKET=$WORK/full.sock: the receiver reads nothing (nothing sent for 1 s): no more notifications\$" "$WORK/auto.err" ||
	{ cat "$WORK/auto.err" >&2; fail "full receiver: not said on stderr"; }
[ "$(grep -c NOTIFY_SOCKET "$WORK/auto.err")" -eq 1 ] || fail "full receiver: said more than once: $(cat "$WORK/auto.err")"

# libsystemd cannot be loaded (a broken libsystemd.so.0 found first):
# said once, the service runs and restores as without NOTIFY_SOCKET.
mkdir -p "$WORK/lib"
: >"$WORK/lib/libsystemd.so.0"
log=$WORK/notify.nolib
: >"$log"
listen "$WORK/nolib.sock" "$log"
stopped_auto "no libsystemd" true \
	LD_LIBRARY_PATH="$WORK/lib" NOTIFY_SOCKET="$WORK/nolib.sock"
grep -q "^swapadj: NOTIFY_SOCKET is set, but libsystemd.so.0 cannot be loaded (.*): the service manager is not told that swapadj is ready or stopping; install libsystemd0\$" "$WORK/auto.err" ||
	{ cat "$WORK/auto.err" >&2; fail "no libsystemd: not said on stderr"; }
[ "$(wc -l <"$WORK/auto.err")" -eq 1 ] || fail "no libsystemd: more than one line on stderr: $(cat "$WORK/auto.err")"
[ "$(grep -cv '^# listening$' "$log")" -eq 0 ] || fail "no libsystemd: something was sent: $(cat "$log")"
echo "swapadj auto: READY=1, STATUS= per change, STOPPING=1; no listener, a full receiver, no libsystemd: said once, restored"
