#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj auto speaks systemd's notify protocol (the unit is Type=notify):
# with NOTIFY_SOCKET set to a datagram socket (a path, and an abstract
# "@name"), it sends READY=1 once it runs, a STATUS= naming the value it
# set, and STOPPING=1 on SIGTERM before it exits 0 with the value restored.
# A NOTIFY_SOCKET nobody listens on changes nothing: the service runs and
# stops as without it.
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
NOTIFY_SOCKET=$WORK/nobody.sock "$SA" auto --interval 0.2 --min $v --max $v \
	>"$WORK/auto.out" 2>"$WORK/auto.err" &
p=$!
pids+=($p)
is_v() { [ "$(swp)" = $v ]; }
wait_for is_v
kill -TERM $p
wait $p
rc=$?
[ "$rc" -eq 0 ] || { cat "$WORK/auto.err" >&2; fail "no listener: swapadj auto exited $rc"; }
[ "$(swp)" = "$orig" ] || fail "no listener: vm.swappiness $(swp) after SIGTERM, not $orig"
echo "swapadj auto: READY=1, STATUS=, STOPPING=1 on a path and an abstract socket"
