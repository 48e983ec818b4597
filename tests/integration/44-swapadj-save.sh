#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# swapadj set --save FILE and swapadj restore FILE, on the host's real
# vm.swappiness (put back in a trap) and, for --persist, on a fake root:
# - set --save records the value from before, sealed, mode 0600; a second
#   identical set is unchanged and leaves the file as it was (as qdepth:
#   a set that changes nothing creates a missing file, but never rewrites
#   one); --dry-run writes none;
# - restore FILE puts the value back (applied, then unchanged), with
#   --dry-run, -J "changed" and --exit-changed as set;
# - with --persist the file records what the drop-in held (its value, or
#   that there was none) and restore puts that back too;
# - a cut, unsealed, garbage, empty or FIFO file is refused before
#   anything is applied, with qdepth restore's exit statuses;
# - --save into a missing directory (or onto a FIFO or a file that is no
#   save file) fails before the change.
# restore without FILE (the state file): 40-swapadj-state.sh, 42-swapadj-fleet.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fleet.sh"
need_root
swapadj_env
v1=$((orig == 13 ? 14 : 13))
v2=$((orig == 27 ? 28 : 27))
S=$WORK/sw.save

# --- a change made: the file holds the value from before, sealed ---
expect_exit 9 "$SA" set --save "$S" --exit-changed 9 $v1
[ "$(swp)" = $v1 ] || fail "set --save $v1: kernel has $(swp)"
expect_grep "^$orig (→|->) $v1 +applied\$" "$WORK/out"
[ "$(head -n 1 "$S")" = "# swapadj save file v1" ] || fail "save file head: $(head -n 1 "$S")"
expect_grep "^swappiness $orig\$" "$S"
grep -q '^dropin' "$S" && fail "a set without --persist recorded the drop-in: $(cat "$S")"
[ "$(tail -n 1 "$S" | cut -c1-16)" = "# end records=1 " ] || fail "seal is not the last line: $(cat "$S")"
expect_grep '^# end records=1 crc32c=[0-9a-f]{8}$' "$S"
[ "$(stat -c %a "$S")" = 600 ] || fail "save file mode $(stat -c %a "$S")"
cp "$S" "$WORK/first.save"

# --- the same again (a playbook run twice): unchanged, file untouched ---
touch -d '2000-01-01' "$S"
expect_exit 0 "$SA" set --save "$S" --exit-changed 9 $v1
expect_grep "^$v1 (→|->) $v1 +unchanged\$" "$WORK/out"
cmp -s "$S" "$WORK/first.save" || fail "an unchanged set rewrote the save file: $(cat "$S")"
[ "$(stat -c %Y "$S")" = "$(date -d 2000-01-01 +%s)" ] || fail "an unchanged set replaced the save file"
# A dry run writes no file, and leaves one alone.
expect_exit 0 "$SA" set --dry-run --save "$WORK/dry.save" $v2
expect_grep "^$v1 (→|->) $v2 +planned\$" "$WORK/out"
[ ! -e "$WORK/dry.save" ] || fail "set --dry-run --save wrote a file"
expect_exit 0 "$SA" set --dry-run --save "$S" $v2
cmp -s "$S" "$WORK/first.save" || fail "set --dry-run --save rewrote the save file"
[ "$(swp)" = $v1 ] || fail "set --dry-run changed the value: $(swp)"
# An unchanged set still creates a missing file (as qdepth's): it records
# today's value, which restore finds in place.
expect_exit 0 "$SA" set --save "$WORK/same.save" $v1
expect_grep "^swappiness $v1\$" "$WORK/same.save"
ls -a "$WORK" | grep -q '\.tmp$' && fail "a temporary file was left in $WORK"

# --- restore FILE: dry run, then the value back, then unchanged ---
expect_exit 0 "$SA" restore --dry-run "$S"
expect_grep "^$v1 (→|->) $orig +planned\$" "$WORK/out"
[ "$(swp)" = $v1 ] || fail "restore --dry-run wrote $(swp)"
expect_exit 9 "$SA" restore --dry-run --exit-changed 9 -J "$S"
[ "$(json_get "$WORK/out" 'd["swapadj"][0]["changed"]')" = true ] || fail "restore --dry-run -J: $(cat "$WORK/out")"
[ "$(json_get "$WORK/out" 'd["swapadj"][0]["result"]')" = '"planned"' ] || fail "restore --dry-run -J: $(cat "$WORK/out")"
expect_exit 9 "$SA" restore --exit-changed 9 -J "$S"
[ "$(json_get "$WORK/out" '[d["swapadj"][0][k] for k in ("old", "new", "changed", "result")]')" = "[$v1, $orig, true, \"applied\"]" ] ||
	fail "restore -J: $(cat "$WORK/out")"
[ "$(swp)" = $orig ] || fail "restore FILE: kernel has $(swp), want $orig"
cmp -s "$S" "$WORK/first.save" || fail "restore changed its file"
expect_exit 0 "$SA" restore --exit-changed 9 "$S"
expect_grep "^$orig (→|->) $orig +unchanged\$" "$WORK/out"
expect_exit 0 "$SA" restore --dry-run --exit-changed 9 -rn -o RESULT,CHANGED "$S"
[ "$(cat "$WORK/out")" = "unchanged 0" ] || fail "restore --dry-run of no change: $(cat "$WORK/out")"
[ ! -e "$ST" ] || fail "restore FILE made $ST"
# restore takes one FILE at most; set alone takes --save.
expect_exit 2 "$SA" restore "$S" "$S"
expect_grep "^swapadj: restore: give at most one FILE\$" "$WORK/err"
expect_exit 2 "$SA" restore --save "$S"
expect_grep "^swapadj: restore: --save belongs to 'set'\$" "$WORK/err"

# --- files restore refuses, before anything is applied ---
expect_exit 0 "$SA" set $v2
cp "$WORK/first.save" "$S"
# Cut anywhere: no valid end marker, exit 2, the value stays.
size=$(stat -c %s "$S")
for len in 0 1 10 22 30 $((size - 30)) $((size - 1)); do
	head -c "$len" "$S" >"$WORK/cut.save"
	expect_exit 2 "$SA" restore "$WORK/cut.save"
	expect_grep "^swapadj: $WORK/cut.save: no valid end marker \(the file may be cut short or edited\); nothing restored\$" "$WORK/err"
	[ ! -s "$WORK/out" ] || fail "restore of a cut file printed: $(cat "$WORK/out")"
done
# Unsealed (the seal line removed), a record edited: refused the same way.
grep -v '^# end ' "$S" >"$WORK/old.save"
expect_exit 2 "$SA" restore "$WORK/old.save"
expect_grep "old.save: no valid end marker" "$WORK/err"
sed "s/^swappiness .*/swappiness 1/" "$S" >"$WORK/edit.save"
expect_exit 2 "$SA" restore "$WORK/edit.save"
expect_grep "edit.save: no valid end marker" "$WORK/err"
# Garbage, and another tool's save file: not a swapadj save file.
printf 'vm.swappiness = 5\n' >"$WORK/garbage.save"
expect_exit 2 "$SA" restore "$WORK/garbage.save"
expect_grep "^swapadj: $WORK/garbage.save: not a swapadj save file\$" "$WORK/err"
head -c 4096 /dev/urandom >"$WORK/random.save"
expect_exit 2 "$SA" restore "$WORK/random.save"
# A directory, a FIFO (under a timeout: no hang), a missing file.
expect_exit 2 "$SA" restore "$WORK"
mkfifo "$WORK/fifo"
expect_exit 2 timeout 10 "$SA" restore "$WORK/fifo"
expect_grep "^swapadj: $WORK/fifo: not a regular file\$" "$WORK/err"
expect_exit 2 timeout 10 "$SA" restore --dry-run "$WORK/fifo"
expect_exit 3 "$SA" restore "$WORK/none.save"
expect_grep "^swapadj: $WORK/none.save: No such file or directory\$" "$WORK/err"
[ "$(swp)" = $v2 ] || fail "a refused file was applied: kernel has $(swp)"

# --- --save that cannot be written: refused before the change ---
expect_exit 3 "$SA" set --save "$WORK/nodir/sw.save" $v1
expect_grep "^swapadj: $WORK/nodir/sw.save: cannot write save file: No such file or directory \(does the directory exist\?\)\$" "$WORK/err"
[ "$(swp)" = $v2 ] || fail "set with an unwritable --save changed the value: $(swp)"
[ ! -s "$WORK/out" ] || fail "a refused set printed: $(cat "$WORK/out")"
expect_exit 3 timeout 10 "$SA" set --save "$WORK/fifo" $v1
expect_grep "^swapadj: $WORK/fifo: cannot write save file: not a regular file\$" "$WORK/err"
[ -p "$WORK/fifo" ] || fail "set --save replaced the FIFO"
printf 'keep me\n' >"$WORK/other"
expect_exit 3 "$SA" set --save "$WORK/other" $v1
expect_grep "^swapadj: $WORK/other: cannot write save file: exists and is not a swapadj save file" "$WORK/err"
[ "$(cat "$WORK/other")" = "keep me" ] || fail "set --save replaced a file that is no save file"
[ "$(swp)" = $v2 ] || fail "a refused set changed the value: $(swp)"
# A save file cut short is ours: a new change replaces it.
head -c 30 "$WORK/first.save" >"$WORK/cut.save"
expect_exit 0 "$SA" set --save "$WORK/cut.save" $v1
expect_grep "^swappiness $v2\$" "$WORK/cut.save"
expect_exit 0 "$SA" restore "$WORK/cut.save"
[ "$(swp)" = $v2 ] || fail "restore of the replaced file: kernel has $(swp)"

# --- --persist on a fake root: the drop-in's value, or its absence ---
F=$WORK/root
fake_root $F 40 1000000 500000 1
D=$F/etc/sysctl.d/90-swapadj.conf
expect_exit 0 "$SA" --sysroot $F set --persist --save "$WORK/p.save" 20
[ "$(cat $F/proc/sys/vm/swappiness)" = 20 ] || fail "fake value $(cat $F/proc/sys/vm/swappiness)"
expect_grep "^vm.swappiness = 20\$" $D
expect_grep "^swappiness 40\$" "$WORK/p.save"
expect_grep "^dropin none\$" "$WORK/p.save"
expect_grep '^# end records=2 ' "$WORK/p.save"
# A second --persist over the drop-in records the value it held.
expect_exit 0 "$SA" --sysroot $F set --persist --save "$WORK/p2.save" 30
expect_grep "^swappiness 20\$" "$WORK/p2.save"
expect_grep "^dropin 20\$" "$WORK/p2.save"
expect_exit 7 "$SA" --sysroot $F restore --exit-changed 7 "$WORK/p2.save"
[ "$(cat $F/proc/sys/vm/swappiness)" = 20 ] || fail "restore p2: fake value $(cat $F/proc/sys/vm/swappiness)"
expect_grep "^vm.swappiness = 20\$" $D
# Only the drop-in differs: still a change.
echo 20 >$F/proc/sys/vm/swappiness
expect_exit 0 "$SA" --sysroot $F set --persist 35
echo 20 >$F/proc/sys/vm/swappiness
expect_exit 7 "$SA" --sysroot $F restore --dry-run --exit-changed 7 "$WORK/p2.save"
expect_grep "^20 (→|->) 20 +planned" "$WORK/out"
expect_grep "^vm.swappiness = 35\$" $D
expect_exit 7 "$SA" --sysroot $F restore --exit-changed 7 "$WORK/p2.save"
expect_grep "^vm.swappiness = 20\$" $D
# The first file: no drop-in before, so restore removes it.
expect_exit 0 "$SA" --sysroot $F restore --dry-run "$WORK/p.save"
[ -e $D ] || fail "restore --dry-run removed the drop-in"
expect_exit 7 "$SA" --sysroot $F restore --exit-changed 7 "$WORK/p.save"
[ "$(cat $F/proc/sys/vm/swappiness)" = 40 ] || fail "restore p: fake value $(cat $F/proc/sys/vm/swappiness)"
[ ! -e $D ] || fail "restore left the drop-in that was not there before: $(cat $D)"
expect_exit 0 "$SA" --sysroot $F restore --exit-changed 7 "$WORK/p.save"
expect_grep "^40 (→|->) 40 +unchanged" "$WORK/out"
# A drop-in that does not set a value cannot be recorded: no change.
printf '# by hand\n' >$D
expect_exit 3 "$SA" --sysroot $F set --persist --save "$WORK/p3.save" 25
expect_grep "cannot write save file: .*90-swapadj.conf sets no vm.swappiness" "$WORK/err"
[ "$(cat $F/proc/sys/vm/swappiness)" = 40 ] || fail "a refused --persist --save changed the value"
[ "$(cat $D)" = "# by hand" ] || fail "a refused --persist --save wrote the drop-in"
[ ! -e "$WORK/p3.save" ] || fail "a refused --persist --save wrote a file"

expect_exit 0 "$SA" set "$orig"
[ "$(swp)" = "$orig" ] || fail "set $orig: kernel has $(swp)"
echo "swapadj set --save / restore FILE: sealed, only for a change, refused whole when cut"
