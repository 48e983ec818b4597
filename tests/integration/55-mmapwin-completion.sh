#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bash completion of mmapwin offers files only where a file goes: FILE,
# UNDOFILE, --from, --undo; not for OFFSET, LENGTH, OLD or NEW (numbers
# and strings, negative ones included), nor for option values.
. "$(dirname "$0")/lib.sh"
. "$TOP/completions/mmapwin"

cd "$WORK" || fail "cd"
: >afile

# complete WORD...: the candidates for the last word of "mmapwin WORD...".
complete_words() {
	COMP_WORDS=(mmapwin "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_mmapwin
	echo "${COMPREPLY[*]}"
}
want() {
	local got
	got=$(complete_words "${@:2}")
	[ "$got" = "$1" ] || fail "mmapwin ${*:2}: got '$got', want '$1'"
}

want afile read a
want "" read afile 1
want "" read afile 1 ""
want "" read afile -1 a
want "" patch afile a
want afile patch afile 0 --from a
want afile patch afile 0 --undo a
want "" patch afile 0 --data a
want afile undo a
want "" replace afile a
want "" replace afile old a
want afile replace --max-count 3 a
want afile fault a
want "" fault afile 0 a
want "--hex --help" read afile 0 1 --he
echo "completion: files only where a file goes"
