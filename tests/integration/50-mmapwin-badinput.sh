#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin refuses bad input with the right exit status and a message that
# names the problem, and leaves the file untouched.
. "$(dirname "$0")/lib.sh"
need_tool M mmapwin

cd "$WORK" || fail "cd"
head -c 100 /dev/urandom >f
cp f f.orig
unchanged() { cmp -s f f.orig || fail "f changed after: $*"; }

# Offset past EOF, and a patch running past EOF without --extend.
expect_exit 3 "$M" patch f 100 --data x
expect_grep 'mmapwin: f: patch of 1 bytes at 100 ends past the end of the file \(size 100\); use --extend' "$WORK/err"
expect_exit 3 "$M" patch f 99 --data xy
expect_grep 'use --extend to grow it' "$WORK/err"
expect_exit 3 "$M" read f 100 1
expect_grep 'mmapwin: f: offset 100 is past the end of the file \(size 100\)' "$WORK/err"
expect_exit 3 "$M" read f 90 11
expect_grep 'range 90\+11 ends past the end of the file' "$WORK/err"
expect_exit 3 "$M" fault f 5G
expect_grep 'offset 5368709120 is past the end' "$WORK/err"
expect_exit 3 "$M" cache f 200
expect_grep 'offset 200 is past the end' "$WORK/err"
unchanged "past EOF"
: >zero
expect_exit 3 "$M" fault zero
expect_grep 'mmapwin: zero: empty file; nothing to map' "$WORK/err"
expect_exit 0 "$M" cache zero -o PAGES,CACHED -r -n
expect_grep '^0 0$' "$WORK/out"

# Negative and malformed sizes. A negative number is an argument, never
# an option cluster: one parser says what is wrong with it, exit 2, and
# no usage dump.
expect_exit 2 "$M" read f -- -5 10
expect_grep "^mmapwin: offset '-5': not a size; must be 0 or more$" "$WORK/err"
expect_exit 2 "$M" read f -1 10
expect_grep "^mmapwin: offset '-1': not a size; must be 0 or more$" "$WORK/err"
[ "$(wc -l <"$WORK/err")" = 1 ] || fail "read f -1 10: more than one line: $(cat "$WORK/err")"
expect_exit 2 "$M" read f 0 -5
expect_grep "^mmapwin: length '-5': not a size; must be 1 or more$" "$WORK/err"
expect_exit 2 "$M" read -q f -1 10 --hex
expect_grep "offset '-1': not a size; must be 0 or more" "$WORK/err"
expect_exit 2 "$M" patch f -1 --data x
expect_grep "^mmapwin: offset '-1': not a size; must be 0 or more$" "$WORK/err"
expect_exit 2 "$M" patch f -0x10 --data x
expect_grep "offset '-0x10': not a size; must be 0 or more" "$WORK/err"
expect_exit 2 "$M" fault f -4096
expect_grep "offset '-4096': not a size; must be 0 or more" "$WORK/err"
expect_exit 2 "$M" cache f 0 -1
expect_grep "length '-1': not a size; must be 1 or more" "$WORK/err"
expect_exit 2 "$M" write w --offset -1 </dev/null
expect_grep "^mmapwin: --offset '-1': not a size; must be 0 or more$" "$WORK/err"
[ ! -e w ] || fail "write with a negative offset created its file"
# A value that looks negative is still a value of the option before it.
expect_exit 0 "$M" patch f 0 --data -1 -q
[ "$(head -c 2 f)" = -1 ] || fail "--data -1 was not taken as the data"
cp f.orig f
# The largest file offset is 2^63-1: beyond it read and patch agree.
for o in 18446744073709551615 9223372036854775808 0x8000000000000000; do
	expect_exit 2 "$M" read f "$o" 1
	expect_grep "^mmapwin: offset '$o': out of range \\(the largest file offset is 9223372036854775807\\)$" "$WORK/err"
	expect_exit 2 "$M" patch f "$o" --data x
	expect_grep "^mmapwin: offset '$o': out of range \\(the largest file offset is 9223372036854775807\\)$" "$WORK/err"
	expect_exit 2 "$M" fault f "$o"
	expect_grep "offset '$o': out of range" "$WORK/err"
done
expect_exit 2 "$M" write w --offset 9223372036854775808 </dev/null
expect_grep "^mmapwin: --offset '9223372036854775808': out of range" "$WORK/err"
# STATUS|ARGS|stderr regex, a case a line ("#" lines are comments).
while IFS='|' read -r st args re; do
	[ "${st#\#}" = "$st" ] || continue
	expect_exit "$st" "$M" $args </dev/null
	expect_grep "$re" "$WORK/err"
done <<'EOF'
# OFFSET + LENGTH past it, without overflow tricks.
2|read f 9223372036854775807 1|^mmapwin: range 9223372036854775807\+1 ends past the largest file offset \(9223372036854775807\)$
2|read f 1 18446744073709551615|length '18446744073709551615': out of range
2|read f 8192P 1|out of range
2|cache f 4611686018427387904 4611686018427387904|range 4611686018427387904\+4611686018427387904 ends past the largest file offset
2|patch f 9223372036854775807 --data xy|^mmapwin: range 9223372036854775807\+2 ends past the largest file offset
# The last representable byte itself is a valid offset: past this file's
# end, exit 3 from both.
3|read f 9223372036854775806 1|offset 9223372036854775806 is past the end of the file
3|patch f 9223372036854775806 --data x|ends past the end of the file \(size 100\); use --extend
2|read f 1.5K 10|offset '1.5K': not a size
2|read f 0 10Q|length '10Q': not a size
2|patch f 0x --data x|offset '0x': not a size
2|patch f 99999999999999999999 --data x|offset '99999999999999999999': out of range
2|read f 99999999999999999999 1|offset '99999999999999999999': out of range
2|patch f 16E --data x|offset '16E': not a size
2|read f 0 1 --window 4097|window 4097: not a multiple of the page size
2|read f 0 1 --window 2G|window 2G: out of range
EOF
unchanged "malformed sizes"

# LENGTH 0.
expect_exit 2 "$M" read f 0 0
expect_grep 'length 0: nothing to do' "$WORK/err"
expect_exit 2 "$M" fault f 0 0
expect_grep 'length 0: nothing to do' "$WORK/err"
expect_exit 2 "$M" cache f 0 0
expect_grep 'length 0: nothing to do' "$WORK/err"

# A directory and a FIFO (which must not hang the open).
mkdir d
mkfifo p
expect_exit 3 "$M" patch d 0 --data x
expect_grep 'mmapwin: d: is a directory; give a regular file' "$WORK/err"
expect_exit 3 "$M" read d 0 1
expect_grep 'mmapwin: d: is a directory' "$WORK/err"
expect_exit 3 timeout 10 "$M" patch p 0 --data x
expect_grep 'mmapwin: p: not a regular file \(FIFO, device or socket\)' "$WORK/err"
expect_exit 3 timeout 10 "$M" read p 0 1
expect_grep 'mmapwin: p: not a regular file' "$WORK/err"
expect_exit 3 timeout 10 "$M" fault p
expect_grep 'mmapwin: p: not a regular file' "$WORK/err"
expect_exit 3 "$M" patch missing 0 --data x
expect_grep 'mmapwin: missing: No such file or directory' "$WORK/err"

# Input files never block and must be regular files: --from, the journal
# of undo, the journal of --undo. (A FIFO without a writer would hang an
# open for reading forever; timeout turns that into a failure here.)
expect_exit 3 timeout 10 "$M" patch f 0 --from p
expect_grep '^mmapwin: --from p: not a regular file; give a file of data, or pipe the data into standard input$' "$WORK/err"
expect_exit 3 timeout 10 "$M" patch f 0 --from /dev/null
expect_grep '^mmapwin: --from /dev/null: not a regular file' "$WORK/err"
expect_exit 3 "$M" patch f 0 --from d
expect_grep '^mmapwin: --from d: is a directory; give a file of data$' "$WORK/err"
expect_exit 3 "$M" patch f 0 --from missing
expect_grep '^mmapwin: --from missing: No such file or directory$' "$WORK/err"
expect_exit 3 timeout 10 "$M" undo p
expect_grep '^mmapwin: p: not a regular file; give the journal written by --undo$' "$WORK/err"
expect_exit 3 timeout 10 "$M" undo --dry-run p
expect_grep '^mmapwin: p: not a regular file' "$WORK/err"
expect_exit 3 timeout 10 "$M" undo /dev/null
expect_grep '^mmapwin: /dev/null: not a regular file' "$WORK/err"
expect_exit 3 "$M" undo d
expect_grep '^mmapwin: d: is a directory; give the journal written by --undo$' "$WORK/err"
expect_exit 3 timeout 10 "$M" patch f 0 --data x --undo p
expect_grep '^mmapwin: --undo p: not a regular file; give a new undo file$' "$WORK/err"
expect_exit 3 timeout 10 "$M" patch f 0 --data x --undo /dev/null
expect_grep '^mmapwin: --undo /dev/null: not a regular file' "$WORK/err"
expect_exit 3 "$M" patch f 0 --data x --undo d
expect_grep '^mmapwin: --undo d: is a directory; give a new undo file$' "$WORK/err"
unchanged "inputs that are not regular files"
# The journal's target, turned into a FIFO since: no hang, nothing done.
cp f h
expect_exit 0 "$M" patch h 0 --data H --undo uh -q
rm h
mkfifo h
expect_exit 3 timeout 10 "$M" undo --dry-run uh
expect_grep "^mmapwin: $WORK/h: not a regular file" "$WORK/err"
expect_exit 3 timeout 10 "$M" undo uh
expect_grep "^mmapwin: $WORK/h: not a regular file" "$WORK/err"
rm -f h uh

# An empty patch, from each source.
: >empty
expect_exit 2 "$M" patch f 0 --data ''
expect_grep 'empty patch: no bytes to write \(from --data\)' "$WORK/err"
expect_exit 2 "$M" patch f 0 --from empty
expect_grep 'empty patch: no bytes to write \(from empty\)' "$WORK/err"
expect_exit 2 "$M" patch f 0 </dev/null
expect_grep 'empty patch: no bytes to write \(from stdin\)' "$WORK/err"
expect_exit 2 "$M" patch f 0 --data x --from empty
expect_grep 'data and --from: give only one' "$WORK/err"
unchanged "empty patch"

# A file without write permission, as an unprivileged user: EACCES.
need_cmd setpriv
chmod 755 "$WORK"
chmod 644 f
expect_exit 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$M" patch f 0 --data x
expect_grep 'mmapwin: f: Permission denied; check its mode and owner \(chmod u\+w' "$WORK/err"
# Reading it is fine.
expect_exit 0 setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$M" read f 0 100
cmp -s "$WORK/out" f || fail "read as nobody"
# mincore(2) claims every page of such a file is resident: refused.
expect_exit 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$M" cache f --mincore
expect_grep "mmapwin: f: the kernel reports page-cache state only to the file's owner or those who may write it" "$WORK/err"
# cachestat(2) refuses them too since Linux 6.10 (EPERM).
setpriv --reuid=65534 --regid=65534 --clear-groups "$M" cache f -o METHOD -n \
	>"$WORK/out" 2>"$WORK/err"
rc=$?
case $rc in
0) expect_grep cachestat "$WORK/out" ;;
3) expect_grep "page-cache state only to the file's owner" "$WORK/err" ;;
*) fail "cache as nobody exited $rc" ;;
esac
unchanged "permission"

# An undo file for a different file.
head -c 100 /dev/urandom >g
cp g g.orig
expect_exit 0 "$M" patch g 0 --data G --undo u
expect_exit 3 "$M" patch f 0 --data x --undo u
expect_grep '^mmapwin: --undo u: journal belongs to another file \(journaled: dev [0-9]+:[0-9]+, inode [0-9]+, .*; found: dev [0-9]+:[0-9]+, inode [0-9]+, .*\); give a new undo file$' "$WORK/err"
unchanged "undo of another file"
# The target replaced by a new inode under the same name.
cp g g.new && mv g.new g
expect_exit 3 "$M" undo u
expect_grep "mmapwin: u: $WORK/g is not the file this journal was made for" "$WORK/err"
[ "$(head -c 1 g)" = G ] || fail "undo wrote into the replacement"
# Not a journal at all; the target as its own journal.
head -c 200 /dev/urandom >junk
expect_exit 3 "$M" undo junk
expect_grep 'mmapwin: junk: not an mmapwin undo journal, or corrupt; nothing restored' "$WORK/err"
expect_exit 3 "$M" patch f 0 --data x --undo junk
expect_grep 'not an mmapwin undo journal' "$WORK/err"
expect_exit 2 "$M" patch f 0 --data x --undo f
expect_grep 'mmapwin: --undo f: is the file being patched' "$WORK/err"
expect_exit 3 "$M" undo nojournal
expect_grep 'mmapwin: nojournal: No such file or directory' "$WORK/err"
unchanged "bad journals"

# The journal cannot grow (here RLIMIT_FSIZE; a full file system alike):
# the error names the journal, not the target, and undo restores.
head -c 1M /dev/urandom >big
cp big big.orig
head -c 512K /dev/urandom >data
rm -f ju
(trap '' XFSZ; ulimit -f 200; exec "$M" patch big 0 --from data --window 64K --undo ju -q) \
	>"$WORK/out" 2>"$WORK/err"
rc=$?
[ $rc = 3 ] || { cat "$WORK/err" >&2; fail "patch with a journal over RLIMIT_FSIZE exited $rc"; }
expect_grep 'mmapwin: --undo ju: File too large while journaling the original bytes' "$WORK/err"
expect_grep 'bytes patched before the failure; restore with .mmapwin undo ju.' "$WORK/err"
expect_exit 0 "$M" undo ju -q
cmp -s big big.orig || fail "undo after a journal write failure"

# undo cut short (here RLIMIT_FSIZE; a full or failing disk alike) after
# some records were written back: it says so, and a second run finishes.
head -c 2M /dev/urandom >two
cp two two.orig
rm -f ut
expect_exit 0 "$M" patch two 1536K --data far --undo ut -q
expect_exit 0 "$M" patch two 0 --data near --undo ut -q
expect_exit 3 bash -c "trap '' XFSZ; ulimit -f 1024; exec \"\$0\" undo ut" "$M"
expect_grep "^mmapwin: $WORK/two: File too large after 1 of 2 records were written back; the journal is intact: fix that and run 'mmapwin undo ut' again$" "$WORK/err"
[ "$(head -c 4 two)" = "$(head -c 4 two.orig)" ] || fail "the record written back is not there"
expect_exit 0 "$M" undo ut -q
cmp -s two two.orig || fail "second undo after a failed one"

# stdout that cannot be written: the error is stdout's, not the file's.
expect_exit 3 sh -c "\"\$1\" read f 0 100 >/dev/full" sh "$M"
expect_grep '^mmapwin: stdout: No space left on device$' "$WORK/err"
expect_exit 3 sh -c "\"\$1\" read f 0 100 --hex >/dev/full" sh "$M"
expect_grep '^mmapwin: stdout: No space left on device$' "$WORK/err"

# Command line: subcommand, argument count, options of other subcommands.
expect_exit 2 "$M"
expect_exit 2 "$M" frobnicate f
expect_grep "mmapwin: frobnicate: unknown subcommand" "$WORK/err"
expect_exit 2 "$M" read f 0
expect_grep 'usage: mmapwin read FILE OFFSET LENGTH' "$WORK/err"
expect_exit 2 "$M" read f 0 1 --undo u
expect_grep "unrecognized option '--undo'" "$WORK/err"
expect_exit 2 "$M" fault f --populate --madvise
expect_grep 'populate and --madvise: give only one' "$WORK/err"
exit 0
