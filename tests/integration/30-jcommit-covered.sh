#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A mount point with another file system mounted over it: a device
# target resolves to the covered mount, but its mount point path now leads
# to the file system on top. jcommit must neither change nor report that
# other file system in its place.
. "$(dirname "$0")/lib.sh"
root_ns dumpe2fs debugfs
tmpfs_at "$WORK" 1g mode=0700
need_tool J jcommit

ext4_new low 32 commit=42,data_err=abort
ext4_new top 32 commit=7
klow=$(kname "$low")
ktop=$(kname "$top")
mnt=$WORK/mnt
mountat "$low" "$mnt"
# A save file for the covered one, made while it is reachable (no change).
expect_exit 0 "$J" set --commit 42 --persist --save "$WORK/save" "$low"
mountat "$top" "$mnt"
[ "$(live "$klow" commit)" = 42 ] && [ "$(live "$ktop" commit)" = 7 ] ||
	fail "setup: commit $(live "$klow" commit) $(live "$ktop" commit)"
msg="jcommit: $mnt: another file system is mounted over this mount point, so $low cannot be reached through it; unmount that one first"

# show: the covered file system's own values, not those of the one on top.
expect_exit 0 "$J" -P -o DEVICE,TARGET,COMMIT,SB-OPTS "$low"
expect_grep "^DEVICE=\"$low\" TARGET=\"$mnt\" COMMIT=\"42\" SB_OPTS=\"commit=42,data_err=abort\"\$" "$WORK/out"
# The listing has each file system once.
expect_exit 0 "$J" -r -n -o DEVICE,COMMIT
expect_grep "^$low 42\$" "$WORK/out"
expect_grep "^$top 7\$" "$WORK/out"
[ "$(grep -c "^$top " "$WORK/out")" = 1 ] || fail "$top listed twice"

# Changes are refused and touch neither file system.
expect_exit 3 "$J" set --data journal --persist "$low"
expect_grep "$msg" "$WORK/err"
expect_exit 3 "$J" set --commit 33 "$low"
expect_grep "$msg" "$WORK/err"
expect_exit 3 "$J" set --commit 33 --persist --dry-run "$low"
expect_grep "$msg" "$WORK/err"
expect_exit 3 "$J" checkpoint "$low"
expect_grep "$msg" "$WORK/err"
expect_exit 3 "$J" restore "$WORK/save"
expect_grep "$msg" "$WORK/err"
[ "$(live "$klow" commit)" = 42 ] || fail "covered fs: commit $(live "$klow" commit)"
[ "$(live "$ktop" commit)" = 7 ] || fail "fs on top: commit $(live "$ktop" commit)"
for d in "$low" "$top"; do
	case " $(defopts "$d") " in *journal_data*) fail "$d: default mount options '$(defopts "$d")'" ;; esac
done
[ "$(sbopts "$low")" = "commit=42,data_err=abort" ] || fail "$low: string '$(sbopts "$low")'"
[ "$(sbopts "$top")" = "commit=7" ] || fail "$top: string '$(sbopts "$top")'"

# The file system on top is reachable and changes as usual.
expect_exit 0 "$J" set --commit 8 "$top"
[ "$(live "$ktop" commit)" = 8 ] || fail "fs on top: commit $(live "$ktop" commit)"
echo PASS
