#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A device target means that device; --stack and a file path reach the
# devices below it. Two real loop devices stacked through a file system:
#   tmpfs: b.img  ->  loop B  ->  ext4 (mounted)  :  a.img  ->  loop A  ->  ext4
# Nothing leads to the host disk: the bottom image lives on a tmpfs of this
# private mount namespace.
. "$(dirname "$0")/lib.sh"
root_ns losetup
need_tool Q qdepth
T=$WORK/tmpfs
tmpfs_at "$T" 200m

loop_over DEVB "$T/b.img" 160M
mkext4 "$DEVB"
mountat "$DEVB" "$WORK/mb"
loop_over DEVA "$WORK/mb/a.img" 64M
mkext4 "$DEVA"
mountat "$DEVA" "$WORK/ma"
echo data >"$WORK/ma/file"
A=${DEVA#/dev/} BN=${DEVB#/dev/}
# Both queues put back (before the detach and the unmounts above).
keep_queue "$A" "$BN"
# A known start: none, 100 on both.
reset() {
	local n
	for n in "$A" "$BN"; do
		echo none >"/sys/block/$n/queue/scheduler" || fail "reset $n"
		echo 100 >"/sys/block/$n/queue/nr_requests" || fail "reset $n"
	done
}
both() { [ "$(depth "$A") $(depth "$BN")" = "$1 $2" ] || fail "$3: depths A=$(depth "$A") B=$(depth "$BN"), want $1 $2"; }

# --- a device target, every way of naming it, means A alone ---
majmin=$(cat "/sys/block/$A/dev")
uuid=$(blkid -s UUID -o value "$DEVA" 2>/dev/null)
n=60
for t in "$DEVA" "$A" "$majmin" ${uuid:+"UUID=$uuid"}; do
	reset
	n=$((n + 1))
	expect_exit 0 "$Q" set -rn -o DEVICE,DEPTH,RESULT --depth $n "$t"
	both $n 100 "set --depth $n $t"
	[ "$(cat "$WORK/out")" = "$A $n applied" ] || fail "set $t reported: $(cat "$WORK/out")"
done

# --- --stack: A and the loop device under its backing file ---
reset
expect_exit 0 "$Q" set -rn -o DEVICE,DEPTH,RESULT --stack --depth 48 "$DEVA"
both 48 48 "set --stack"
expect_grep "^$A 48 applied\$" "$WORK/out"
expect_grep "^$BN 48 applied\$" "$WORK/out"
# The bottom of the stack is a tmpfs: a note, not a failure.
[ "$(wc -l <"$WORK/out")" -eq 3 ] || fail "set --stack: $(cat "$WORK/out")"
expect_exit 0 "$Q" set -P -o DEVICE,RESULT,NOTE --stack --depth 48 "$DEVA"
expect_grep '^DEVICE="" RESULT="not applicable" NOTE=".*backing file .*b\.img of '"$BN"'; anonymous device .*\(tmpfs\)' "$WORK/out"

# --- a path on A's file system: every queue that serves the file ---
reset
expect_exit 0 "$Q" set -rn -o DEVICE,DEPTH,RESULT --depth 32 "$WORK/ma/file"
both 32 32 "set on a path"
expect_exit 0 "$Q" set -rn -o DEVICE,DEPTH,RESULT --depth 40 "$WORK/ma"
both 40 40 "set on a mount point"

# --- --dry-run and --save follow the same rule ---
reset
expect_exit 0 "$Q" set -rn -o DEVICE,RESULT --dry-run --depth 16 "$DEVA"
[ "$(cat "$WORK/out")" = "$A planned" ] || fail "dry run planned: $(cat "$WORK/out")"
both 100 100 "dry run"
expect_exit 0 "$Q" set --save "$WORK/q.save" --depth 16 "$DEVA"
both 16 100 "set --save"
grep -q "^$BN " "$WORK/q.save" && fail "save file records $BN, which was not changed"
expect_grep "^$A none 100 " "$WORK/q.save"
expect_exit 0 "$Q" restore "$WORK/q.save"
both 100 100 "restore"

# --- show, check and stat: the same targets ---
reset
echo 20 >"/sys/block/$A/queue/nr_requests"
expect_exit 0 "$Q" show -rn -o DEVICE "$DEVA"
[ "$(cat "$WORK/out")" = "$A" ] || fail "show $DEVA: $(cat "$WORK/out")"
expect_exit 0 "$Q" show -rn -o DEVICE,DEPTH --stack "$DEVA"
expect_grep "^$A 20\$" "$WORK/out"
expect_grep "^$BN 100\$" "$WORK/out"
expect_exit 0 "$Q" show -rn -o DEVICE,DEPTH "$WORK/ma/file"
expect_grep "^$BN 100\$" "$WORK/out"
expect_exit 0 "$Q" check --max-depth 50 "$DEVA"
expect_exit 1 "$Q" check --max-depth 50 --stack "$DEVA"
expect_grep "^$BN: depth 100 > 50\$" "$WORK/out"
expect_exit 1 "$Q" check --max-depth 50 "$WORK/ma/file"
expect_exit 0 "$Q" stat -rn -o DEVICE --interval 0.1 "$DEVA"
[ "$(cat "$WORK/out")" = "$A" ] || fail "stat $DEVA: $(cat "$WORK/out")"
expect_exit 0 "$Q" stat -rn -o DEVICE --interval 0.1 --stack "$DEVA"
[ "$(sort "$WORK/out" | tr '\n' ' ')" = "$(printf '%s\n' "$A" "$BN" | sort | tr '\n' ' ')" ] ||
	fail "stat --stack: $(cat "$WORK/out")"

# --- a loop device whose image was deleted: what is under it is unknown ---
truncate -s 16M "$T/c.img"
DEVC=$(losetup -f --show "$T/c.img") || skip "no third loop device"
C=${DEVC#/dev/}
at_exit "losetup -d '$DEVC'"
at_exit "echo '$(sched "$C")' >/sys/block/$C/queue/scheduler; echo '$(depth "$C")' >/sys/block/$C/queue/nr_requests"
rm "$T/c.img"
echo 100 >"/sys/block/$C/queue/nr_requests"
expect_exit 4 "$Q" set --stack --depth 32 "$DEVC"
expect_grep "^qdepth: $C: not changed: backing file $T/c.img \(deleted\) of $C: the device under it is unknown\$" "$WORK/err"
[ "$(depth "$C")" = 100 ] || fail "set --stack over a deleted image changed $C"
expect_exit 0 "$Q" show -P -o DEVICE,NOTE --stack "$DEVC"
expect_grep "^DEVICE=\"\" NOTE=\"backing file $T/c.img \(deleted\) of $C: the device under it is unknown\"\$" "$WORK/out"
expect_exit 0 "$Q" set --depth 32 "$DEVC"
[ "$(depth "$C")" = 32 ] || fail "set on $C alone gave $(depth "$C")"

# --- --stack takes no argument and belongs to the target subcommands ---
expect_exit 2 "$Q" restore --stack "$WORK/q.save"
expect_grep "^qdepth: restore: --stack belongs to 'show', 'set', 'check' and 'stat'\$" "$WORK/err"
both 20 100 "bad --stack"
echo "qdepth: device targets, --stack and paths checked on $A over $BN"
