#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One device, one writer: a burst of 20 x 10 concurrent 'qdepth set' on one
# real loop device (a storm of udev change events, alternating schedulers
# and depths) all succeed, and the queue ends in one of the requested
# states, scheduler and depth read back together. Without a per-device
# lock the kernel answered EBUSY to most of them while an elevator switch
# was in progress. The image lives on a tmpfs of this namespace.
. "$(dirname "$0")/lib.sh"
root_ns losetup
need_tool Q qdepth
queue_loop 100

states=("mq-deadline 256" "none 64")
grep -qw kyber "$SYSQ/scheduler" && states+=("kyber 128")
workers=20 rounds=10
for ((w = 0; w < workers; w++)); do
	(
		for ((i = 0; i < rounds; i++)); do
			read -r s d <<<"${states[$(((w + i) % ${#states[@]}))]}"
			"$Q" set -q --scheduler "$s" --depth "$d" "$DEV" \
				>"$WORK/b.$w.$i.err" 2>&1
			echo $? >"$WORK/b.$w.$i.rc"
		done
	) &
done
wait

failed=0
for ((w = 0; w < workers; w++)); do
	for ((i = 0; i < rounds; i++)); do
		rc=$(cat "$WORK/b.$w.$i.rc" 2>/dev/null || echo none)
		if [ "$rc" != 0 ]; then
			failed=$((failed + 1))
			[ "$failed" -le 5 ] && note "worker $w set $i: exit $rc: $(cat "$WORK/b.$w.$i.err")"
		elif [ -s "$WORK/b.$w.$i.err" ]; then
			fail "worker $w set $i exited 0 but said: $(cat "$WORK/b.$w.$i.err")"
		fi
	done
done
[ "$failed" -eq 0 ] || fail "$failed of $((workers * rounds)) concurrent sets failed"

final="$(sched) $(cat "$SYSQ/nr_requests")"
ok=0
for st in "${states[@]}"; do
	[ "$final" = "$st" ] && ok=1
done
[ "$ok" -eq 1 ] || fail "final state '$final' is none of: ${states[*]}"
# qdepth itself reads back the same state.
expect_exit 0 "$Q" show -rn -o SCHED,DEPTH "$DEV"
[ "$(cat "$WORK/out")" = "$final" ] || fail "show says $(cat "$WORK/out"), sysfs $final"

# A writer that takes no lock (udev's ATTR{}, a shell) makes the kernel
# answer EBUSY for a moment: the first three writes fail so (injected),
# qdepth waits that out and applies.
if command -v strace >/dev/null 2>&1; then
	echo none >"$SYSQ/scheduler" && echo 64 >"$SYSQ/nr_requests" || fail "reset"
	# LeakSanitizer (make asan) cannot run under ptrace.
	expect_exit 0 env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -o /dev/null -e trace=write \
		-e inject=write:error=EBUSY:when=1..3 \
		"$Q" set -q --scheduler mq-deadline --depth 200 "$DEV"
	[ "$(sched) $(cat "$SYSQ/nr_requests")" = "mq-deadline 200" ] ||
		fail "after EBUSY: $(sched) $(cat "$SYSQ/nr_requests")"
	[ ! -s "$WORK/err" ] || fail "EBUSY retried, but said: $(cat "$WORK/err")"
else
	note "strace not installed: the EBUSY retry is not checked here"
fi
echo "burst: $((workers * rounds)) concurrent sets on $N, all applied; final $final"
