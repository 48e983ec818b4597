#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every tool's --help usage block says exactly what its man page SYNOPSIS
# says (white space aside), and every man page passes mandoc -Tlint. All
# five tools must be built: one missing fails, it is not skipped.
. "$(dirname "$0")/lib.sh"
need_cmd mandoc
need_cmd col
checked=0
for t in qdepth jcommit swapadj mmapwin preflight; do
	[ -x "$B/$t" ] || fail "$t is not built: no $B/$t"
	page=$(ls "$TOP"/man/"$t".[18] 2>/dev/null | head -n 1)
	[ -n "$page" ] || fail "$t has no man page"
	mandoc -Tlint -Wwarning "$page" >&2 || fail "mandoc -Tlint $page"
	syn=$(mandoc -Tascii -Owidth=400 "$page" | col -b |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \n\t' ' ' |
		sed 's/^ //; s/ $//')
	"$B/$t" --help >"$WORK/help" || fail "$t --help exited $?"
	use=$(sed '/^$/q' "$WORK/help" | sed 's/^[Uu]sage://' | tr -s ' \n\t' ' ' |
		sed 's/^ //; s/ $//')
	if [ "$syn" != "$use" ]; then
		echo "man:  $syn" >&2
		echo "help: $use" >&2
		fail "$t --help does not match the SYNOPSIS of $page"
	fi
	"$B/$t" --version | grep -Eq "^$t [0-9]+\.[0-9]+\.[0-9]+$" ||
		fail "$t --version"
	# Output that cannot be written is a failure, said as one.
	for opt in --help --version; do
		"$B/$t" "$opt" >/dev/full 2>"$WORK/err"
		rc=$?
		[ "$rc" -eq 3 ] || fail "$t $opt >/dev/full exited $rc, want 3"
		grep -q "^$t: stdout: No space left on device" "$WORK/err" ||
			fail "$t $opt >/dev/full: no message"
	done
	checked=$((checked + 1))
done
[ "$checked" -eq 5 ] || fail "$checked tools checked, want 5"
echo "$checked tools: --help matches SYNOPSIS"
