#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin's command line is the shared front end's (cli/): options before
# or after the subcommand, an unknown option or column, lost stdout after
# --help, and a --sysroot that cannot be opened: exit 2 like the other
# tools (it was 3).
. "$(dirname "$0")/lib.sh"
need_tool M mmapwin
cd "$WORK" || fail "cd"
printf 'hello world\n' >f

# Options before the subcommand, as in the other tools.
expect_exit 0 "$M" -q --window 4K patch f 0 --data HELLO
[ "$(cat f)" = "HELLO world" ] || fail "patch with options first: $(cat f)"
expect_exit 0 "$M" -r -n read f 6 5
[ "$(cat "$WORK/out")" = world ] || fail "read with options first"
# A subcommand's own options stay its own.
expect_exit 2 "$M" read f 0 1 --undo u
expect_grep "unrecognized option '--undo'" "$WORK/err"
expect_exit 2 "$M" --undo u read f 0 1
expect_grep "unrecognized option '--undo'" "$WORK/err"
expect_exit 2 "$M" --bogus
expect_grep "mmapwin: unrecognized option '--bogus'$" "$WORK/err"
expect_grep "^Try 'mmapwin --help'\.$" "$WORK/err"
expect_exit 2 "$M" cache f -o PAGES,BOGUS
expect_grep "^mmapwin: unknown column 'BOGUS' \(see --help\)$" "$WORK/err"
expect_exit 2 "$M" -q f read
expect_grep "^mmapwin: f: unknown subcommand; see --help$" "$WORK/err"
expect_exit 2 "$M" -q
expect_grep "^mmapwin: no subcommand; see --help$" "$WORK/err"

# --help: the usage on stdout; lost, exit 3.
expect_exit 0 "$M" --help
expect_grep '^ mmapwin write FILE' "$WORK/out"
expect_exit 3 sh -c "\"\$1\" --help >/dev/full" sh "$M"
expect_grep '^mmapwin: stdout: No space left on device$' "$WORK/err"

# --sysroot that cannot be opened: a usage error, exit 2, nothing written.
expect_exit 2 "$M" write new.bin --throttle 80 --sysroot "$WORK/nosuch" </dev/null
expect_grep "^mmapwin: --sysroot $WORK/nosuch: No such file or directory$" "$WORK/err"
[ ! -e new.bin ] || fail "write with a bad --sysroot created its file"
# ... for every subcommand, also where nothing reads it (exit 0 before).
before=$(cat f)
for sub in "cache f" "read f 0 1" "patch f 0 --data x" "undo u"; do
	# shellcheck disable=SC2086 # the words of the subcommand
	expect_exit 2 "$M" $sub --sysroot "$WORK/nosuch"
	expect_grep "^mmapwin: --sysroot $WORK/nosuch: No such file or directory$" "$WORK/err"
done
[ "$(cat f)" = "$before" ] || fail "patch with a bad --sysroot changed f: $(cat f)"
# --dry-run where nothing is planned: a usage error, not a real run
# (fault --write --dry-run write-faulted the file and exited 0).
for sub in "fault f --write" "cache f" "read f 0 1"; do
	# shellcheck disable=SC2086 # the words of the subcommand
	expect_exit 2 "$M" $sub --dry-run
	expect_grep "^mmapwin: --dry-run: ${sub%% *} changes nothing$" "$WORK/err"
done
echo "cli: options around the subcommand, errors and exit statuses"
