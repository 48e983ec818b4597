#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qdepth --udev logs each action where it is seen at default settings
# (issue 12): udevd keeps a RUN program's output for its debug log. This
# test's mount namespace gets a /dev of its own (a tmpfs holding null,
# kmsg and whatever /dev/log each case needs), so the tool, run as udev
# runs it, meets each kind of system log:
#  - a syslog daemon on /dev/log (a datagram socket bound by Perl here):
#    one datagram per action, as syslog(3) formats it: "<14>Mmm dd
#    hh:mm:ss qdepth[PID]: TEXT" with TEXT the stderr line (which stays:
#    udevd's debug log and a run by hand see it); a rejected request is
#    <11> (user.err), and so is a usage error that ends the run; nothing
#    goes to the kernel log then;
#  - /dev/log a stale socket (the daemon is gone), a FIFO, a regular file:
#    the kernel log gets "<14>qdepth: TEXT" (dmesg shows "qdepth: TEXT"),
#    and no run waits;
#  - a daemon on a stream socket (older syslog-ng): the same record,
#    ended by a NUL;
#  - a daemon that does not read (its queue full), or one on a stream
#    socket that accepts no connection (its backlog full): the line goes to
#    the kernel log, the run does not wait;
#  - neither: the stderr line alone, exit 0 all the same;
#  - --sysroot (a tree, or the host seen from elsewhere): not this host's
#    log, nothing is sent.
# The kernel log is read with dmesg after a marker line this test writes
# to it first, so lines of other runs and a ring buffer that wraps do not
# matter. The device: a loop device over an image on a tmpfs; its queue is
# put back at exit.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd perl
need_cmd dmesg
need_cmd timeout
in_mount_ns "$@"

Q=$B/qdepth
[ -x "$Q" ] || fail "$Q not built"
queue_loop 80
echo none >"$SYSQ/scheduler" && echo 64 >"$SYSQ/nr_requests" || fail "baseline none/64"
[ -c /dev/kmsg ] || skip "no /dev/kmsg"
dmesg >/dev/null 2>&1 || skip "dmesg cannot read the kernel log here"

# Our own /dev from here on (this namespace only); the loop device is
# named by its kernel name, which needs no node.
mount -t tmpfs -o mode=0755 tmpfs /dev || fail "mount a tmpfs on /dev"
at_exit "umount -l /dev"
mknod -m 666 /dev/null c 1 3 && mknod -m 644 /dev/kmsg c 1 11 ||
	fail "mknod in the test's /dev"

pids=()
at_exit 'for p in "${pids[@]}"; do kill -9 $p; done'
# listen MODE: a Perl daemon on /dev/log. MODE read: a datagram socket,
# every datagram a line of $WORK/log; stream: a stream socket, every
# NUL-ended record a line; stuck: a datagram socket that is never read,
# its queue filled until a send would wait; stuck-stream: a stream socket
# that accepts nothing, its backlog filled until a connect would wait.
listen() {
	rm -f /dev/log "$WORK/log"
	: >"$WORK/log"
	perl -MSocket -MIO::Handle -MFcntl -e '
		my ($mode, $log) = @ARGV;
		my $type = $mode =~ /stream/ ? SOCK_STREAM : SOCK_DGRAM;
		my $addr = pack_sockaddr_un("/dev/log");
		socket(my $s, AF_UNIX, $type, 0) or die "socket: $!\n";
		bind($s, $addr) or die "bind: $!\n";
		listen($s, $mode eq "stream" ? 5 : 0) or die "listen: $!\n"
			if $type == SOCK_STREAM;
		open(my $o, ">>", $log) or die "$log: $!\n";
		$o->autoflush(1);
		if ($mode =~ /stuck/) {
			my ($n, @keep) = (0);
			while ($n < 100000) {
				socket(my $c, AF_UNIX, $type, 0) or die "socket: $!\n";
				fcntl($c, F_SETFL, O_NONBLOCK) or die "fcntl: $!\n";
				connect($c, $addr) or last;
				push @keep, $c;
				if ($type == SOCK_DGRAM) {
					$n++ while $n < 100000 &&
						defined(send($c, "filler", MSG_DONTWAIT));
					last;
				}
				$n++;
			}
			print $o "# full after $n\n";
			sleep 1000;
		}
		print $o "# listening\n";
		if ($type == SOCK_STREAM) {
			while (accept(my $c, $s)) {
				local $/ = "\0";
				while (my $m = <$c>) {
					chomp $m;
					print $o "$m\n";
				}
			}
		}
		while (defined(recv($s, my $m, 65536, 0))) {
			$m =~ s/\0\z//;
			print $o "$m\n";
		}' "$1" "$WORK/log" 2>>"$WORK/log.err" &
	pids+=($!)
	case $1 in
	stuck*) wait_for grep -q '^# full after' "$WORK/log" ;;
	*) wait_for grep -q '^# listening$' "$WORK/log" ;;
	esac
	LOG_TYPE=$1
}
# sentinel: a datagram after the run's; once the daemon logged it, it
# has logged everything the run sent before.
sentinel() {
	local s="sentinel $$ $RANDOM"
	perl -MSocket -e 'my $t = $ARGV[1] eq "stream" ? SOCK_STREAM : SOCK_DGRAM;
		socket(my $c, AF_UNIX, $t, 0) or die;
		connect($c, pack_sockaddr_un("/dev/log")) or die "connect: $!\n";
		send($c, "$ARGV[0]\0", 0) or die "send: $!\n"' "$s" "$LOG_TYPE" ||
		fail "sentinel"
	wait_for grep -qxF "$s" "$WORK/log"
}
# mark: a unique line in the kernel log; since: the kernel log after it.
mark() {
	MARK="qdepth-it-28 $N $$ $RANDOM $(date +%s%N)"
	echo "<14>$MARK" >/dev/kmsg || fail "writing the kernel log"
}
since() { dmesg | sed -n "/$MARK\$/,\$p" | tail -n +2; }
# udev_run ARGS...: qdepth as udevd runs it (no stdin, no terminal), at
# most 10 s; output in $WORK/out, $WORK/err, status in $rc.
udev_run() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ACTION=add \
		timeout 10 "$Q" set --udev "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	rc=$?
}
n=0 # cases

# --- a syslog daemon listens: the datagram, as syslog(3) writes it
listen read
mark
udev_run --scheduler mq-deadline --depth 200 "$N"
[ "$rc" = 0 ] || { cat "$WORK/err" >&2; fail "applied run exited $rc"; }
text="$N: applied: scheduler none -> mq-deadline, depth 64 -> 200"
[ "$(cat "$WORK/err")" = "qdepth: $text" ] || fail "stderr: $(cat "$WORK/err")"
[ ! -s "$WORK/out" ] || fail "stdout: $(cat "$WORK/out")"
sentinel
expect_grep "^<14>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} qdepth\[[0-9]+\]: $text\$" "$WORK/log"
[ "$(grep -c 'qdepth\[' "$WORK/log")" = 1 ] || { cat "$WORK/log" >&2; fail "not one datagram per action"; }
since | grep -q "qdepth: $N:" && fail "logged to the kernel log as well: $(since)"
n=$((n + 1))
# A rejected request: user.err, exit 2 (all or nothing: nothing written).
mark
udev_run --depth 5000 "$N"
[ "$rc" = 2 ] || { cat "$WORK/err" >&2; fail "rejected run exited $rc"; }
sentinel
expect_grep "^<11>.* qdepth\[[0-9]+\]: $N: rejected \(depth 5000 out of range 4\.\.2048 with scheduler mq-deadline; use --clamp or pick a scheduler\)\$" "$WORK/log"
[ "$(cat "$SYSQ/nr_requests")" = 200 ] || fail "a rejected request changed $N"
n=$((n + 1))
# A rule that asks nothing: the usage error that ends the run, user.err.
udev_run "$N"
[ "$rc" = 2 ] || { cat "$WORK/err" >&2; fail "a set without a change exited $rc"; }
sentinel
expect_grep "^<11>.* qdepth\[[0-9]+\]: set: nothing to do; give --scheduler, --depth or --read-ahead\$" "$WORK/log"
n=$((n + 1))
kill "${pids[-1]}"

# --- no daemon behind /dev/log (stale socket), a FIFO, a regular file:
# the kernel log
kmsg_case() { # WHAT
	mark
	udev_run --depth "$depth" "$N"
	[ "$rc" = 0 ] || { cat "$WORK/err" >&2; fail "$1: exited $rc"; }
	[ "$(since | grep -c "^\[ *[0-9.]*\] qdepth: $N: applied: scheduler mq-deadline -> mq-deadline, depth $old -> $depth\$")" = 1 ] ||
		{ since >&2; fail "$1: not one line in the kernel log"; }
	[ "$(cat "$SYSQ/nr_requests")" = "$depth" ] || fail "$1: depth not applied"
	old=$depth depth=$((depth + 1))
	n=$((n + 1))
}
old=200 depth=120
rm -f /dev/log
perl -MSocket -e 'socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die;
	bind($s, pack_sockaddr_un("/dev/log")) or die "bind: $!\n"' || fail "stale socket"
[ -S /dev/log ] || fail "no stale socket"
kmsg_case "a stale /dev/log"
rm -f /dev/log && mkfifo /dev/log || fail "mkfifo"
kmsg_case "/dev/log a FIFO"
rm -f /dev/log && echo text >/dev/log
kmsg_case "/dev/log a regular file"
rm -f /dev/log
kmsg_case "no /dev/log"

# --- a daemon that does not read: the kernel log, at once
listen stuck
kmsg_case "a daemon whose queue is full"
kill "${pids[-1]}"
listen stuck-stream
kmsg_case "a stream daemon whose backlog is full"
kill "${pids[-1]}"
rm -f /dev/log

# --- a daemon on a stream socket: the same record, NUL-ended
listen stream
udev_run --depth 200 "$N"
[ "$rc" = 0 ] || { cat "$WORK/err" >&2; fail "stream daemon: exited $rc"; }
sentinel
expect_grep "^<14>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} qdepth\[[0-9]+\]: $N: applied: scheduler mq-deadline -> mq-deadline, depth $old -> 200\$" "$WORK/log"
old=200
kill "${pids[-1]}"
rm -f /dev/log
n=$((n + 1))

# --- neither sink: stderr alone, and the run still succeeds
rm -f /dev/kmsg
udev_run --depth 64 "$N"
[ "$rc" = 0 ] || { cat "$WORK/err" >&2; fail "no sink: exited $rc"; }
[ "$(cat "$WORK/err")" = "qdepth: $N: applied: scheduler mq-deadline -> mq-deadline, depth $old -> 64" ] ||
	fail "no sink: stderr $(cat "$WORK/err")"
mknod -m 644 /dev/kmsg c 1 11 || fail "mknod kmsg"
n=$((n + 1))

# --- --sysroot: not this host's log
mkdir -p "$WORK/host"
mount --rbind / "$WORK/host" || fail "rbind /"
at_exit "umount -l '$WORK/host'"
listen read
mark
udev_run --sysroot "$WORK/host" --depth 96 "$N"
[ "$rc" = 0 ] || { cat "$WORK/err" >&2; fail "--sysroot: exited $rc"; }
[ "$(cat "$SYSQ/nr_requests")" = 96 ] || fail "--sysroot: depth not applied"
sentinel
grep -q 'qdepth\[' "$WORK/log" && fail "--sysroot: sent to /dev/log: $(cat "$WORK/log")"
since | grep -q "qdepth: $N:" && fail "--sysroot: logged to the kernel log: $(since)"
n=$((n + 1))
echo "qdepth --udev logs to syslog, else the kernel log, never waits: $n cases on $N"
