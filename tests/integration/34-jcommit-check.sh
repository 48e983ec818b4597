#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit check never reports "nothing checked" as a pass: no criteria, or
# bounds that contradict each other, are usage errors (2); a target that is
# not a mounted ext4 file system is exit 4 with its reason, unless
# --skip-unsupported asks to skip it, and then only while something else
# was checked; an empty target list from "-" is exit 4.
. "$(dirname "$0")/lib.sh"
root_ns
need_tool J jcommit

IMG=$WORK/img
tmpfs_at "$IMG" 128m mode=0700
loop_over dev "$IMG/a.img" 64M
loop_over off "$IMG/b.img" 64M
mkext4 "$dev"
mkext4 "$off"
G=$WORK/mnt
mountat "$dev" "$G" nosuid,nodev
T=$WORK/tmp
tmpfs_at "$T" 1m
notext="jcommit: $T: not an ext4 file system \(tmpfs mounted on $T\)"
notmnt="jcommit: $off: not mounted; check looks at live mounts only"

# Within bounds: 0, silent.
expect_exit 0 "$J" check --max-commit 10 "$G"
[ -s "$WORK/out" ] || [ -s "$WORK/err" ] && fail "a passing check printed something"

# --- usage errors ---
expect_exit 2 "$J" check --min-commit 30 --max-commit 10 "$G"
expect_grep "^jcommit: check: --min-commit 30 is above --max-commit 10; no value can pass\$" "$WORK/err"
expect_exit 2 "$J" check "$G"
expect_grep "^jcommit: check: nothing to check; give --data, --min-commit, --max-commit, --require or --forbid\$" "$WORK/err"
# check changes nothing: --dry-run is a usage error there (it was taken).
expect_exit 2 "$J" check --dry-run --max-commit 5 "$G"
expect_grep '^jcommit: --dry-run: check changes nothing$' "$WORK/err"
expect_exit 2 "$J" check --require "" "$G"
expect_grep "^jcommit: --require: empty option name in ''\$" "$WORK/err"
expect_exit 2 "$J" check --forbid nosuid,,rw "$G"
expect_grep "^jcommit: --forbid: empty option name in 'nosuid,,rw'\$" "$WORK/err"
long=$(printf 'x%.0s' $(seq 200))
expect_exit 2 "$J" check --forbid "$long" "$G"
expect_grep "^jcommit: --forbid: option name '${long:0:20}.*' is longer than 127 bytes\$" "$WORK/err"
expect_exit 2 "$J" check --skip-unsupported "$G"
expect_grep "^jcommit: check: nothing to check;" "$WORK/err"
expect_exit 2 "$J" show --skip-unsupported "$G"
expect_grep "^jcommit: --skip-unsupported: does not apply to this subcommand\$" "$WORK/err"

# --- nothing to check: exit 4 with the reason ---
expect_exit 4 "$J" check --max-commit 10 "$T"
expect_grep "^$notext\$" "$WORK/err"
expect_exit 4 "$J" check --max-commit 10 "$off"
expect_grep "^$notmnt\$" "$WORK/err"
# ... also next to a target that passes, in either order.
expect_exit 4 "$J" check --max-commit 10 "$G" "$T"
expect_grep "^$notext\$" "$WORK/err"
expect_exit 4 "$J" check --max-commit 10 "$T" "$G"
expect_grep "^$notext\$" "$WORK/err"
# An empty list from standard input checks nothing.
expect_exit 4 "$J" check --max-commit 10 - </dev/null
expect_grep "^jcommit: check: no TARGET read from standard input; nothing checked\$" "$WORK/err"

# --- --skip-unsupported: skipped with a note while something was checked ---
expect_exit 0 "$J" check --skip-unsupported --max-commit 10 "$G" "$T" "$off"
expect_grep "^$notext; skipped\$" "$WORK/err"
expect_grep "^$notmnt; skipped\$" "$WORK/err"
[ -s "$WORK/out" ] && fail "skip: printed on stdout: $(cat "$WORK/out")"
expect_exit 0 "$J" check -q --skip-unsupported --max-commit 10 "$T" "$G"
[ -s "$WORK/err" ] && fail "-q: a skip note was printed: $(cat "$WORK/err")"
# Violations still count.
expect_exit 1 "$J" check --skip-unsupported --max-commit 1 "$G" "$T"
expect_grep "^$G: commit=5 above --max-commit 1\$" "$WORK/out"
# Nothing left: exit 4.
expect_exit 4 "$J" check --skip-unsupported --max-commit 10 "$T" "$off"
expect_grep "^jcommit: check: no TARGET is a mounted ext4 file system; nothing checked\$" "$WORK/err"
# A missing path is an error, not something to skip.
expect_exit 3 "$J" check --skip-unsupported --max-commit 10 "$G" "$WORK/missing"
expect_grep "^jcommit: $WORK/missing: No such file or directory\$" "$WORK/err"
echo PASS
