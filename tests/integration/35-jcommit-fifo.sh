#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A mount whose root is a FIFO (a bind mount of a FIFO on ext4): jcommit
# opens the mount point for its ioctls, and a plain open of a FIFO waits
# for a writer forever. Every subcommand must answer at once (timeout
# would say 124).
. "$(dirname "$0")/lib.sh"
root_ns timeout
need_tool J jcommit
tmpfs_at "$WORK" 256m mode=0700
ext4_new dev 64
mnt=$WORK/mnt
mountat "$dev" "$mnt"
mkfifo "$mnt/fifo" || fail "mkfifo"
F=$WORK/fifo-mount
touch "$F"
mount --bind "$mnt/fifo" "$F" || fail "bind mount of a FIFO"
at_exit "umount -l '$F'"

expect_exit 0 timeout 20 "$J" -r -n -o TARGET,COMMIT "$F"
expect_grep "^$F 5\$" "$WORK/out"
expect_exit 0 timeout 20 "$J" check --max-commit 10 "$F"
expect_exit 0 timeout 20 "$J" set --commit 9 "$F"
expect_grep "^$F: commit 5 -> 9 \(live, fsconfig\)\$" "$WORK/out"
[ "$(live "$dev" commit)" = 9 ] || fail "commit $(live "$dev" commit), expected 9"
# The superblock and the checkpoint ioctls cannot go through a FIFO: an
# error that names the way out, not a hang.
msg="^jcommit: $F: the mount is of a FIFO or device, not of a directory or file, so its file system cannot be reached through it for this; use another mount of $dev\$"
expect_exit 3 timeout 20 "$J" set --commit 10 --persist "$F"
expect_grep "$msg" "$WORK/err"
expect_exit 3 timeout 20 "$J" checkpoint "$F"
expect_grep "$msg" "$WORK/err"
[ "$(live "$dev" commit)" = 9 ] || fail "a refused change changed commit to $(live "$dev" commit)"
# Through the directory mount both work.
expect_exit 0 timeout 20 "$J" set --commit 10 --persist "$mnt"
[ "$(live "$dev" commit)" = 10 ] || fail "commit $(live "$dev" commit), expected 10"
echo PASS
