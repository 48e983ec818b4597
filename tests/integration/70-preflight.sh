#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# preflight against a loop-mounted ext4 whose image lives on a tmpfs mounted
# in this private namespace, so the loop device is the only request queue
# (never vda). Then one check at a time pushed to FAIL: free space,
# swappiness (of a cgroup of our own; vm.swappiness is only read), nosuid,
# read-only, commit interval, queue depth; a tmpfs target; and the
# bad-input cases.
. "$(dirname "$0")/lib.sh"
root_ns mke2fs losetup
need_tool P preflight

# The image on a tmpfs of our own (TMP): the loop's backing file has no
# queue.
preflight_env
TMP=$T

# Checks of the host outside this test's control are neutralised, so the
# exit status depends on what the test sets up.
printf '# host-wide checks off\ndirty.min_bytes = 0\nmem.avail_min_pct = 0\n' \
	>"$WORK/common.policy"
{ cat "$WORK/common.policy"
  printf 'vm.swappiness_min = 0\nvm.swappiness_max = 200\n'; } >"$WORK/base.policy"

# row CHECK STATUS [VALUE-REGEX]: the last -P output has that row.
row() {
	local pat="CHECK=\"$1\" STATUS=\"$2\" VALUE=\"${3:-[^\"]*}"
	grep -Eq -- "$pat" "$WORK/out" || {
		cat "$WORK/out" >&2
		fail "no row $1 $2 ${3:-} in the output"
	}
}

# --- everything in bounds ---
expect_exit 0 "$P" -P --policy "$WORK/base.policy" --size 1M "$FILE"
row space PASS "[0-9.]+M free of"
row fstype PASS "ext4 on $MNT"
row mount PASS "rw,nosuid,nodev,noexec"
row ext4-data PASS "data=ordered"
row ext4-commit PASS "commit=5"
row scheduler PASS "$LOOP: "
row depth PASS "$LOOP: nr_requests=[0-9]+"
row saturation PASS "$LOOP: util [0-9]+% await"
row queue SKIP
expect_grep 'anonymous device.*tmpfs' "$WORK/out"
if grep -q 'vda' "$WORK/out"; then
	cat "$WORK/out" >&2
	fail "a row names vda: the loop's backing file is on tmpfs"
fi
[ "$(grep -c '^CHECK=' "$WORK/out")" -ge 12 ] || fail "fewer than 12 rows"
# JSON carries the same rows.
expect_exit 0 "$P" -J -o CHECK,STATUS --policy "$WORK/base.policy" "$FILE"
expect_grep '"preflight": \[' "$WORK/out"
expect_grep '"check": "ext4-data",' "$WORK/out"
# A file about to be created is measured through its directory.
expect_exit 0 "$P" -P --policy "$WORK/base.policy" --size 1M "$MNT/new.bin"
row fstype PASS "ext4 on $MNT"
# A relative TARGET is a path, not a kernel device name.
expect_exit 0 env -C "$MNT" "$P" -P --policy "$WORK/base.policy" --size 1M data.bin
row scheduler PASS "$LOOP: "
row space PASS
# A dangling symlink is measured where the write lands (the tmpfs).
ln -s "$TMP/new.bin" "$MNT/link" || fail "symlink"
expect_exit 0 "$P" -P --policy "$WORK/base.policy" --size 1M "$MNT/link"
row fstype WARN "tmpfs on $TMP"
row queue SKIP
rm -f "$MNT/link"

# A directory (or a new file) without --size: the write size is unknown,
# not 0 bytes; the rows judge the rest and say so.
expect_exit 0 "$P" -P --policy "$WORK/base.policy" "$MNT"
row space PASS "[0-9.]+M free of"
expect_grep 'CHECK="space" .*BOUND=">= [0-9.]+[KM] reserve \(5%\); write size unknown \(--size\)"' "$WORK/out"
expect_grep 'CHECK="memory" .*BOUND="avail >= 0%; write size unknown \(--size\)"' "$WORK/out"
expect_grep 'CHECK="dirty" .*write size unknown \(--size\)"' "$WORK/out"

# --- free space: --size larger than what is free ---
expect_exit 1 "$P" -P --policy "$WORK/base.policy" --size 1G "$FILE"
row space FAIL
expect_grep 'HINT="the write does not fit: free space \(df -h' "$WORK/out"
row mount PASS
expect_exit 1 "$P" -q --policy "$WORK/base.policy" --size 1G "$FILE"
[ -s "$WORK/out" ] && fail "-q printed a report"

# --- swappiness: the value that applies to the writer, judged by policy ---
# No global write (other tests and the host own vm.swappiness): on cgroup
# v1 reclaim in a non-root memory cgroup uses that cgroup's own
# memory.swappiness, so preflight runs in a child cgroup of ours whose value
# the test sets; vm.swappiness is judged in the root cgroup (or without
# v1), against bounds around its current value.
V1=/sys/fs/cgroup/memory
cgself=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
v1=0
if [ -f $V1/memory.limit_in_bytes ] && [ -n "$cgself" ] &&
	! grep -qsw memory /sys/fs/cgroup/cgroup.controllers \
		/sys/fs/cgroup/unified/cgroup.controllers; then
	v1=1
fi
# in_cg DIR CMD...: run CMD in the v1 memory cgroup DIR.
in_cg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$@"; }
# global_check [in_cg DIR]: vm.swappiness read and judged as it is. A
# change by someone else between the reads is retried, 5 times at most.
global_check() {
	local s try
	for try in 1 2 3 4 5; do
		s=$(cat /proc/sys/vm/swappiness) || fail "read swappiness"
		{ cat "$WORK/common.policy"
		  echo "vm.swappiness_min = $s"; echo "vm.swappiness_max = $s"; } >"$WORK/swp.policy"
		expect_exit 0 "$@" "$P" -P --policy "$WORK/swp.policy" "$FILE"
		cp "$WORK/out" "$WORK/out.pass"
		if [ "$s" -gt 0 ]; then
			{ cat "$WORK/common.policy"
			  echo "vm.swappiness_min = 0"; echo "vm.swappiness_max = $((s - 1))"; } >"$WORK/swp.policy"
			expect_exit 1 "$@" "$P" -P --policy "$WORK/swp.policy" "$FILE"
		else
			{ cat "$WORK/common.policy"; echo "vm.swappiness_min = 1"; } >"$WORK/swp.policy"
			expect_exit 1 "$@" "$P" -P --strict --policy "$WORK/swp.policy" "$FILE"
		fi
		[ "$(cat /proc/sys/vm/swappiness)" = "$s" ] && break
		note "vm.swappiness changed under the test (try $try)"
		[ "$try" -lt 5 ] || fail "vm.swappiness kept changing: 5 tries"
	done
	grep -q "CHECK=\"swappiness\" STATUS=\"PASS\" VALUE=\"vm.swappiness=$s\"" "$WORK/out.pass" ||
		{ cat "$WORK/out.pass" >&2; fail "no row swappiness PASS vm.swappiness=$s"; }
	if [ "$s" -gt 0 ]; then
		row swappiness FAIL "vm.swappiness=$s\""
		expect_grep "HINT=\"[^\"]*swapadj set $((s - 1))," "$WORK/out"
	else
		row swappiness WARN "vm.swappiness=0\""
	fi
}
if [ "$v1" = 1 ]; then
	CG=$V1${cgself%/}/ctl-it-preflight.$$
	mkdir "$CG" || fail "mkdir $CG"
	at_exit "rmdir '$CG'"
	echo 30 >"$CG/memory.swappiness" || fail "set $CG/memory.swappiness"
	expect_exit 0 in_cg "$CG" "$P" -P --policy "$WORK/common.policy" "$FILE"
	row swappiness PASS "memory.swappiness=30 in cgroup v1 ${cgself%/}/ctl-it-preflight.$$ \(vm.swappiness=[0-9]+ outside\)"
	echo 100 >"$CG/memory.swappiness" || fail "set $CG/memory.swappiness"
	expect_exit 1 in_cg "$CG" "$P" -P --policy "$WORK/common.policy" "$FILE"
	row swappiness FAIL "memory.swappiness=100 in cgroup v1 "
	# vm.swappiness does not reach in there: only swapadj run does.
	expect_grep 'HINT="[^"]*swapadj run --swappiness 60 -- COMMAND' "$WORK/out"
	grep -q 'CHECK="swappiness".*swapadj set' "$WORK/out" &&
		fail "the hint for a v1 cgroup names swapadj set"
	row space PASS
	echo 5 >"$CG/memory.swappiness" || fail "set $CG/memory.swappiness"
	expect_exit 0 in_cg "$CG" "$P" -P --policy "$WORK/common.policy" "$FILE"
	row swappiness WARN "memory.swappiness=5 in cgroup v1 "
	expect_grep 'HINT="[^"]*swapadj run --swappiness 10 -- COMMAND' "$WORK/out"
	# In the root cgroup vm.swappiness applies.
	global_check in_cg "$V1"
else
	note "no cgroup v1 memory controller: vm.swappiness only"
	global_check
fi

# --- nosuid missing, with a policy that requires it ---
mount -o remount,suid "$MNT" || fail "remount suid"
expect_exit 0 "$P" -P --policy "$WORK/base.policy" "$FILE"
row mount WARN
expect_grep 'HINT="nosuid recommended: mount -o remount,nosuid' "$WORK/out"
expect_exit 1 "$P" -P --strict --policy "$WORK/base.policy" "$FILE"
row mount WARN
{ cat "$WORK/base.policy"; echo "mount.require = nosuid"; } >"$WORK/nosuid.policy"
expect_exit 1 "$P" -P --policy "$WORK/nosuid.policy" "$FILE"
row mount FAIL
expect_grep "HINT=\"nosuid missing: mount -o remount,nosuid $MNT\"" "$WORK/out"
mount -o remount,nosuid "$MNT" || fail "remount nosuid"
expect_exit 0 "$P" -P --policy "$WORK/nosuid.policy" "$FILE"
row mount PASS

# --- read-only ---
mount -o remount,ro "$MNT" || fail "remount ro"
expect_exit 1 "$P" -P --policy "$WORK/base.policy" "$FILE"
row mount FAIL "ro,"
expect_grep 'HINT="read-only: the write cannot happen; mount -o remount,rw' "$WORK/out"
mount -o remount,rw "$MNT" || fail "remount rw"

# --- commit interval above the maximum (60 s) ---
mount -o remount,commit=120 "$MNT" || fail "remount commit=120"
expect_exit 1 "$P" -P --policy "$WORK/base.policy" "$FILE"
row ext4-commit FAIL "commit=120"
expect_grep "HINT=\"[^\"]*jcommit set --commit 30 $MNT\"" "$WORK/out"
mount -o remount,commit=5 "$MNT" || fail "remount commit=5"

# --- queue depth below the minimum (32), on our loop device only ---
# The queue outlives losetup -d: put the depth back for the next user.
DEPTH=$(cat "/sys/block/$LOOP/queue/nr_requests") || fail "read nr_requests"
at_exit "echo $DEPTH > /sys/block/$LOOP/queue/nr_requests"
echo 16 >"/sys/block/$LOOP/queue/nr_requests" || fail "set nr_requests"
expect_exit 1 "$P" -P --policy "$WORK/base.policy" "$FILE"
row depth FAIL "$LOOP: nr_requests=16"
expect_grep "HINT=\"qdepth set --depth 128 $LOOP\"" "$WORK/out"
echo "$DEPTH" >"/sys/block/$LOOP/queue/nr_requests" || fail "restore nr_requests"

# --- a file system without a size (tmpfs size=0 has no limit): free
# space cannot be judged, neither PASS nor FAIL ---
T0=$WORK/t0
tmpfs_at "$T0" 0 mode=0700
expect_exit 0 "$P" -P --policy "$WORK/base.policy" --size 1M "$T0/x"
row space SKIP "0B free of 0B"
expect_grep 'CHECK="space" .*HINT="the file system reports no size' "$WORK/out"

# --- a tmpfs target: sensible rows, no crash ---
expect_exit 0 "$P" -P --policy "$WORK/base.policy" --size 1M "$TMP/x"
row fstype WARN "tmpfs on $TMP"
row ext4 SKIP tmpfs
row queue SKIP
expect_exit 1 "$P" -P --strict --policy "$WORK/base.policy" "$TMP/x"

# --- bad input: exit status and message ---
# Not a regular file (a FIFO, /dev/null) is refused at once, never read: a
# FIFO without a writer hung in open(); timeout turns a hang into exit 124
# (not the 2 wanted).
mkfifo "$WORK/fifo.policy" || fail "mkfifo"
# POLICY|ARGS|stderr regex, each exit 2: POLICY, if any, is the printf
# format of $WORK/bad.policy.
while IFS='|' read -r policy args re; do
	[ -z "$policy" ] || printf "$policy" >"$WORK/bad.policy"
	expect_exit 2 timeout 10 "$P" $args </dev/null
	expect_grep "$re" "$WORK/err"
done <<EOF
queue.depth_min = 8\n\nqueue.depth = 3\n|--policy $WORK/bad.policy $FILE|^preflight: $WORK/bad.policy:3: unknown key 'queue.depth'
vm.swappiness_max = 300\n|--policy $WORK/bad.policy $FILE|bad.policy:1: vm.swappiness_max = 300: out of range 0-200
|--policy $WORK/missing.policy $FILE|missing.policy: No such file or directory
vm.swappiness_min = 50\nvm.swappiness_max = 40\n|--policy $WORK/bad.policy $FILE|bad.policy:2: vm.swappiness_min 50 is above vm.swappiness_max 40
mount.recommend = nosuid\nmount.require = nodev,ro\n|--policy $WORK/bad.policy $FILE|bad.policy:2: mount.require: 'ro' contradicts the write \(it needs rw\)
\nnosuid\n|--policy $WORK/bad.policy $FILE|bad.policy:2: 'nosuid': expected key = value
|--policy $WORK $FILE|^preflight: $WORK: Is a directory
|--policy $WORK/fifo.policy $FILE|^preflight: $WORK/fifo.policy: not a regular file\$
|--policy /dev/null $FILE|^preflight: /dev/null: not a regular file\$
|--size 12Q $FILE|^preflight: --size 12Q: not a size
||^preflight: no TARGET given
EOF
head -c 70000 /dev/zero | tr '\0' '\n' >"$WORK/bad.policy"
expect_exit 2 "$P" --policy "$WORK/bad.policy" "$FILE"
expect_grep "bad.policy: larger than 64 KiB" "$WORK/err"
# A full stdout is an error for the report, --help and --version alike.
for a in --help --version "--policy $WORK/base.policy $FILE"; do
	# shellcheck disable=SC2086
	expect_exit 3 sh -c '"$0" "$@" >/dev/full' "$P" $a
	expect_grep "^preflight: stdout: No space left on device" "$WORK/err"
done
expect_exit 2 "$P" ""
expect_grep "^preflight: empty TARGET" "$WORK/err"
# "-": the one target from stdin, not a file named '-' in the cwd.
expect_exit 0 "$P" -P --policy "$WORK/base.policy" --size 1M - <<<"$FILE"
row fstype PASS "ext4 on $MNT"
expect_exit 2 "$P" - <<<"$FILE"$'\n'"$MNT"
expect_grep "^preflight: only one TARGET at a time" "$WORK/err"
expect_exit 2 "$P" - </dev/null
expect_grep "^preflight: no TARGET given" "$WORK/err"
expect_exit 2 "$P" "$FILE" "$MNT"
expect_grep "^preflight: only one TARGET at a time" "$WORK/err"
expect_exit 2 "$P" -o NOPE "$FILE"
expect_grep "^preflight: unknown column 'NOPE'" "$WORK/err"
# A TARGET that is neither a file nor a directory: its space and mount
# would be those of /dev, not of what the write reaches. Refused, never
# opened (timeout turns a hang on the FIFO into 124).
expect_exit 2 timeout 10 "$P" /dev/null
expect_grep "^preflight: /dev/null: a character device, not a file or directory$" "$WORK/err"
expect_exit 2 "$P" "$DEV"
expect_grep "^preflight: $DEV: a block device, not a file or directory; for its queue: qdepth show $DEV$" "$WORK/err"
mkfifo "$WORK/fifo.target" || fail "mkfifo"
expect_exit 2 timeout 10 "$P" "$WORK/fifo.target"
expect_grep "^preflight: $WORK/fifo.target: a FIFO, not a file or directory$" "$WORK/err"
expect_exit 3 "$P" "$MNT/no/such/dir/f"
expect_grep "^preflight: $MNT/no/such/dir/f: neither it nor its directory exists" "$WORK/err"
echo "preflight: pass, space, swappiness, nosuid, ro, commit, depth, tmpfs, bad input"
