#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin's FILE operands go through the one target resolver as files
# (ctl-targets(7)): a bare word is the file of that name in the cwd, never
# a device name, also when a device of that name exists; a new file is
# watched through its directory; and --throttle watches every queue under
# the file that has statistics: ext4 on a loop device whose image is on a
# tmpfs is watched through the loop device (the tmpfs under it has none).
. "$(dirname "$0")/lib.sh"
root_ns
need_tool M mmapwin write
DEV=$(mkloop 64)
N=${DEV#/dev/}
mkext4 "$DEV"
mountat "$DEV" "$WORK/mnt"
cd "$WORK/mnt" || fail "cd $WORK/mnt"
head -c 300000 /dev/urandom >"$WORK/in"

# throttled NAME WHAT: write $WORK/in to NAME with --throttle; it must
# succeed, land whole, and have watched exactly the loop device.
throttled() {
	"$M" write "$1" --truncate --throttle 80 -P -o BYTES,ENGINE,THROTTLE \
		<"$WORK/in" >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	cat "$WORK/err" >&2
	[ $rc = 0 ] || fail "$2: write --throttle exited $rc"
	expect_grep "BYTES=\"300000\" ENGINE=\"uring\" THROTTLE=\"$N\"" "$WORK/out"
	cmp "$WORK/in" "$1" || fail "$2: the file differs from the input"
}

: >data.bin
throttled ./data.bin "./data.bin (a path)"
throttled data.bin "data.bin (a bare word)"
throttled "$WORK/mnt/data.bin" "an absolute path"
throttled new.bin "new.bin (a new file)"

# A word that is also the name of another device (a second loop device,
# not under this file system) is the file of that name in the cwd: new,
# then existing; the throttle watches the queue under the file, $N.
OTHER=$(mkloop 8)
O=${OTHER#/dev/}
throttled "$O" "a new file named $O"
throttled "$O" "a file named $O"
[ -b "$OTHER" ] || fail "$OTHER is gone"

# patch, read, replace and undo take such a word as a file too.
printf 'hello world\n' >"$O"
"$M" patch "$O" 0 --data HELLO -q || fail "patch $O"
[ "$("$M" read "$O" 0 5)" = HELLO ] || fail "read $O"
"$M" replace "$O" world there -q || fail "replace $O"
[ "$(cat "$O")" = "HELLO there" ] || fail "replace $O: $(cat "$O")"
"$M" patch "$O" 0 --data hello --undo "$WORK/u" -q || fail "patch --undo $O"
"$M" undo "$WORK/u" -q || fail "undo of a patch of $O"
[ "$(cat "$O")" = "HELLO there" ] || fail "undo $O: $(cat "$O")"
echo "targets: files by word, new files, and the loop queue under them"
