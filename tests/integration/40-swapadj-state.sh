#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The state file /run/swapadj.state on the host, with the host's real
# vm.swappiness (saved first, restored in a trap): what swapadj writes ends
# with a seal; a state file cut anywhere, unsealed (as written before),
# sealed over other lines, a FIFO or a directory is refused before
# anything is applied: restore and run exit 3, vm.swappiness and the file
# stay as they are. A sealed file without records is "nothing to restore".
. "$(dirname "$0")/lib.sh"
need_root
need_cmd timeout
swapadj_env
at_exit "rmdir $ST"
v1=$((orig == 13 ? 14 : 13))
v2=$((orig == 27 ? 28 : 27))

# crc32c STRING: CRC-32C (Castagnoli) in hex, as the seal line has it.
crc32c() {
	local s=$1 crc=$((0xFFFFFFFF)) i j c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		[ -n "${s:i:1}" ] && [ "${s:i:1}" = $'\n' ] && c=10
		crc=$((crc ^ c))
		for ((j = 0; j < 8; j++)); do
			crc=$(((crc >> 1) ^ (0x82F63B78 & -(crc & 1))))
		done
	done
	printf '%08x' $((crc ^ 0xFFFFFFFF))
}
# seal RECORDS TEXT: TEXT with the seal line swapadj writes.
seal() { printf '%s# end records=%s crc32c=%s\n' "$2" "$1" "$(crc32c "$2")"; }

# A state file from a real crash: swapadj run killed with SIGKILL.
sa_sleeper run --swappiness $v1 -- sleep 30
kill -9 $p
wait $p
wait_for gone $c
[ "$(swp)" = $v1 ] || fail "value after SIGKILL: $(swp), expected $v1"
cp $ST "$WORK/full"
tail -n 1 "$WORK/full" | grep -Eq '^# end records=2 crc32c=[0-9a-f]{8}$' ||
	fail "state file not sealed: $(cat "$WORK/full")"
# The seal helper of this test agrees with swapadj's.
[ "$(seal 2 "$(head -n -1 "$WORK/full")
")" = "$(cat "$WORK/full")" ] || fail "seal() differs from swapadj's seal"
[ "$(ls -A /run | grep -c '^\.swapadj\.state\.')" = 0 ] || fail "temporary files left in /run: $(ls -A /run)"

# Cut anywhere: refused whole, nothing applied, the file left alone.
len=$(stat -c %s "$WORK/full")
sealat=$((len - $(tail -n 1 "$WORK/full" | wc -c)))
msg="^swapadj: /run/swapadj.state: no valid end marker \(cut short, or written by an older swapadj\): nothing was changed; inspect it, set vm.swappiness by hand \('swapadj set N', N from its 'original N' line\), then remove it\$"
for cut in 0 1 20 $((len / 2)) $sealat $((sealat + 12)) $((len - 1)); do
	head -c $cut "$WORK/full" >$ST
	expect_exit 3 "$SA" restore
	expect_grep "$msg" "$WORK/err"
	[ "$(swp)" = $v1 ] || fail "restore applied a state cut at $cut of $len bytes: $(swp)"
	cmp -s $ST <(head -c $cut "$WORK/full") || fail "restore changed a state cut at $cut"
	expect_exit 3 "$SA" restore --dry-run
	expect_grep "$msg" "$WORK/err"
	expect_exit 3 "$SA" run --swappiness $v2 -- true
	expect_grep "$msg" "$WORK/err"
	[ "$(swp)" = $v1 ] || fail "run joined a state cut at $cut: $(swp)"
	cmp -s $ST <(head -c $cut "$WORK/full") || fail "run changed a state cut at $cut"
done
# As swapadj wrote it before the seal: refused the same way.
printf 'original %s\nowner %s 0 %s -\n' "$orig" $p $v1 >$ST
expect_exit 3 "$SA" restore
expect_grep "$msg" "$WORK/err"
# One line more after the seal; a seal counting another number of lines.
{ cat "$WORK/full"; echo "owner $p 0 $v2 -"; } >$ST
expect_exit 3 "$SA" restore
expect_grep "$msg" "$WORK/err"
seal 3 "$(head -n -1 "$WORK/full")
" >$ST
expect_exit 3 "$SA" restore
expect_grep "$msg" "$WORK/err"
# Sealed, but not state lines.
seal 1 "garbage
" >$ST
expect_exit 3 "$SA" restore
expect_grep "^swapadj: /run/swapadj.state: Invalid argument \(not a swapadj state file: inspect it and remove it\)\$" "$WORK/err"
[ "$(swp)" = $v1 ] || fail "a refused state was applied: $(swp)"

# The whole file again: restored, removed.
cp "$WORK/full" $ST
expect_exit 0 "$SA" restore
expect_grep "^$v1 (→|->) $orig +applied\$" "$WORK/out"
[ "$(swp)" = "$orig" ] || fail "restore of the whole file: $(swp), expected $orig"
[ ! -e $ST ] || fail "state left after restore"

# A FIFO in its place: refused at once (timeout bounds a hang), for
# restore, run and auto alike (run and auto hold SIGTERM back while they
# change the value: -k).
mkfifo $ST
expect_exit 3 timeout -k 2 10 "$SA" restore
expect_grep "^swapadj: /run/swapadj.state: not a regular file \(remove it: swapadj keeps its state there\)\$" "$WORK/err"
expect_exit 3 timeout -k 2 10 "$SA" restore --dry-run
expect_grep "^swapadj: /run/swapadj.state: not a regular file" "$WORK/err"
expect_exit 3 timeout -k 2 10 "$SA" run --swappiness $v1 -- true
expect_grep "^swapadj: /run/swapadj.state: not a regular file" "$WORK/err"
expect_exit 3 timeout -k 2 10 "$SA" auto --interval 0.1 --min $v1 --max $v1
expect_grep "^swapadj: /run/swapadj.state: not a regular file" "$WORK/err"
[ -p $ST ] || fail "the FIFO was replaced"
[ "$(swp)" = "$orig" ] || fail "value changed with a FIFO state: $(swp)"
rm $ST
# A directory.
mkdir $ST
expect_exit 3 "$SA" restore
expect_grep "^swapadj: /run/swapadj.state: Is a directory \(remove it: swapadj keeps its state there\)\$" "$WORK/err"
rmdir $ST

# Sealed with no records: nothing to restore, the empty file goes.
seal 0 "" >$ST
[ "$(cat $ST)" = "# end records=0 crc32c=00000000" ] || fail "seal of nothing: $(cat $ST)"
expect_exit 0 "$SA" restore
expect_grep "^swapadj: /run/swapadj.state: no records: nothing to restore; removed\$" "$WORK/err"
[ ! -s "$WORK/out" ] || fail "restore of no records printed: $(cat "$WORK/out")"
[ ! -e $ST ] || fail "empty state file left"
expect_exit 0 "$SA" restore
expect_grep "^swapadj: nothing to restore: no /run/swapadj.state\$" "$WORK/err"

[ "$(swp)" = "$orig" ] || fail "host value $(swp), expected $orig"
