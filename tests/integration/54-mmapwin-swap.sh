#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The file is swapped for another one under its name while mmapwin works
# on it (a deploy, a log rotation). mmapwin must act on one file only:
#  - replace --undo opens FILE once for the journal and once for the
#    pass: another file there at the second open was edited with a
#    journal of the first (exit 0, and undo then refused).
#  - a different-length replace renames its new version over FILE: another
#    file put there meanwhile was destroyed (exit 0).
# Both are refused now (exit 3) and the other file is left as it is.
# To hit the window every time, strace delays the system call that starts
# the second step (openat, fsync: delay_enter), and the file is swapped
# once the first step shows in the trace.
. "$(dirname "$0")/lib.sh"
root_ns strace
need_tool M mmapwin
T=$WORK/tmpfs
tmpfs_at "$T" 64m
cd "$T" || fail "cd $T"

# traced CALLS INJECT CMD...: run CMD under strace in the background,
# tracing CALLS and injecting INJECT; $pid is strace's.
traced() {
	local calls=$1 inject=$2
	shift 2
	rm -f "$WORK/trace"
	strace_q -f -qq -e trace="$calls" -e inject="$inject" \
		-o "$WORK/trace" "$@" >"$WORK/out" 2>"$WORK/err" &
	pid=$!
}
# seen PATTERN: the trace shows a completed call matching PATTERN.
seen() { grep -Eq "$1" "$WORK/trace" 2>/dev/null; }
# swapped SEEN DELAYED CALLS INJECT CMD...: CMD traced (traced) on "log";
# "other" is renamed over it once SEEN shows in the trace. DELAYED must
# show that the delayed call was the step after; CMD must exit 3 and leave
# the file swapped in as it is.
swapped() {
	local first=$1 delayed=$2 rc
	shift 2
	printf 'aaa hunter2 bbb\n' >log
	printf 'OTHER hunter2 precious\n' >other
	traced "$@"
	wait_for seen "$first"
	mv other log
	wait "$pid"
	rc=$?
	seen "$delayed" || fail "/$delayed/ is not in the trace: $(cat "$WORK/trace")"
	[ $rc = 3 ] || { cat "$WORK/out" "$WORK/err" >&2; fail "${*:3} on a swapped file exited $rc, want 3"; }
	[ "$(cat log)" = 'OTHER hunter2 precious' ] || fail "the file swapped in was changed: $(cat log)"
}

# --- replace --undo: the file swapped between the journal's open and
# the pass's open (the second openat of "log" waits 3 s on entry)
swapped 'openat\(AT_FDCWD, "log", O_RDONLY' '"log", O_RDWR.*DELAYED' \
	openat 'openat:delay_enter=3000000:when=2' \
	-P log "$M" replace log hunter2 HUNTER2 --undo u
expect_grep '^mmapwin: log: replaced by another file after its undo journal was opened; nothing changed: retry$' "$WORK/err"
# The journal, never used, belongs to the file swapped out: undo refuses
# the one at the name now.
expect_exit 3 "$M" undo u
expect_grep 'is not the file this journal was made for' "$WORK/err"
rm -f u

# --- replace, different length: another file renamed over FILE while
# the new version was written (the temp file's fsync waits 3 s)
swapped 'O_TMPFILE' 'fsync.*DELAYED' \
	openat,fsync 'fsync:delay_enter=3000000:when=1' \
	"$M" replace log hunter2 pw
expect_grep '^mmapwin: log: replaced by another file while replacing \(the rename would destroy it\); left as it is: retry$' "$WORK/err"
[ "$(ls -A | grep -c mmapwin)" = 0 ] || fail "temp file left: $(ls -A)"

# Without a swap the same traced runs succeed (the delay alone is harmless).
printf 'aaa hunter2 bbb\n' >log
traced openat,fsync 'fsync:delay_enter=100000:when=1' "$M" replace log hunter2 pw -q
wait "$pid" || fail "replace under strace: $(cat "$WORK/err")"
[ "$(cat log)" = 'aaa pw bbb' ] || fail "replace under strace: $(cat log)"
traced openat 'openat:delay_enter=100000:when=2' -P log \
	"$M" replace log pw PW --undo u -q
wait "$pid" || fail "replace --undo under strace: $(cat "$WORK/err")"
[ "$(cat log)" = 'aaa PW bbb' ] || fail "replace --undo under strace: $(cat log)"
expect_exit 0 "$M" undo u -q
[ "$(cat log)" = 'aaa pw bbb' ] || fail "undo after replace under strace: $(cat log)"
echo "swap: a file swapped in under the name is never edited or destroyed"
