#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A journal belongs to one file, not to an inode number. On ext4 `rm f;
# truncate -s 2M f` gives the new file the old inode number at once: undo,
# patch --undo and replace --undo must see that it is another file (its
# inode generation and birth time differ), refuse with exit 3 naming both
# identities, and leave it as it is. On tmpfs (birth time, no generation)
# the same holds with what it has, and a journal still works there.
# Images live on a tmpfs of a private mount namespace.
. "$(dirname "$0")/lib.sh"
root_ns lsattr
need_tool M mmapwin
ext4_loop "$WORK/ext4" 200m 64M

# born F: birth time as the tool prints it, @SECONDS.NANOSECONDS.
born() {
	local w
	w=$(stat -c %w "$1")
	w=${w#* }
	w=${w%% *}
	echo "@$(stat -c %W "$1").${w#*.}"
}
# ident F: the identity of F as the tool prints it.
ident() {
	local gen="no generation"
	if lsattr -v "$1" >/dev/null 2>&1; then
		gen="generation $(lsattr -v "$1" | awk '{ print $1 }')"
	fi
	echo "dev $(stat -c '%Hd:%Ld' "$1"), inode $(stat -c %i "$1"), $gen, born $(born "$1")"
}
# re ID: ID as a literal in an extended regular expression.
re() { printf '%s' "$1" | sed 's/[][\.*^$(){}+?|/]/\\&/g'; }
# version JOURNAL: the format version in its header.
version() { od -An -tu4 -j8 -N4 "$1" | tr -d ' '; }
# idflags JOURNAL: which identity fields the header holds (1 gen, 2 btime).
idflags() { od -An -tu4 -j52 -N4 "$1" | tr -d ' '; }

# --- ext4: the inode number comes back for a new file
D=$WORK/ext4
cd "$D" || fail "cd $D"
truncate -s 1M f
expect_exit 0 "$M" patch f 10 --data AB --undo u -q
[ "$(version u)" = 2 ] || fail "journal version $(version u), want 2"
[ "$(idflags u)" = 3 ] || fail "ext4 journal identity flags $(idflags u), want 3 (generation and birth time)"
was=$(ident f)
ino=$(stat -c %i f)
rm f
truncate -s 2M f
[ "$(stat -c %i f)" = "$ino" ] ||
	fail "precondition: ext4 did not reuse inode $ino (got $(stat -c %i f))"
now=$(ident f)
[ "$was" != "$now" ] || fail "precondition: old and new file look the same: $now"
note "journaled: $was"
note "found:     $now"
for args in "" "--dry-run"; do
	expect_exit 3 "$M" undo u $args
	expect_grep "^mmapwin: u: $(re "$D/f") is not the file this journal was made for \\(journaled: $(re "$was"); found: $(re "$now")\\): replaced or re-created; nothing restored$" "$WORK/err"
	[ "$(stat -c %s f)" = 2097152 ] || fail "undo $args cut the new file to $(stat -c %s f) bytes"
	cmp -s -n 2097152 f /dev/zero || fail "undo $args wrote into the new file"
	[ ! -s "$WORK/out" ] || fail "undo $args printed a report"
done
# Appending records about the new file to the old file's journal.
jsize=$(stat -c %s u)
expect_exit 3 "$M" patch f 0 --data xyz --undo u
expect_grep "^mmapwin: --undo u: journal belongs to another file \\(journaled: $(re "$was"); found: $(re "$now")\\); give a new undo file$" "$WORK/err"
expect_exit 3 "$M" replace f x y --undo u
expect_grep "^mmapwin: --undo u: journal belongs to another file \\(journaled: $(re "$was")" "$WORK/err"
cmp -s -n 2097152 f /dev/zero || fail "a refused --undo changed the new file"
[ "$(stat -c %s u)" = "$jsize" ] || fail "a refused --undo changed the journal"
# The new file with its own journal: restored.
expect_exit 0 "$M" patch f 5 --data CD --undo u2 -q
expect_exit 0 "$M" undo u2 -o RECORDS,TRUNCATED -r -n
expect_grep '^1 0$' "$WORK/out"
cmp -s -n 2097152 f /dev/zero || fail "undo of the new file's own journal"

# A copy moved over the name gets a new inode number: refused as well,
# whatever the file system (ino differs).
printf 'original' >g
expect_exit 0 "$M" patch g 0 --data O --undo ug -q
was=$(ident g)
cp g g.new && mv g.new g
expect_exit 3 "$M" undo ug
expect_grep "^mmapwin: ug: $(re "$D/g") is not the file this journal was made for \\(journaled: $(re "$was"); found: $(re "$(ident g)")\\)" "$WORK/err"
[ "$(cat g)" = Original ] || fail "undo wrote into the copy"

# --- tmpfs: birth time but no generation (FS_IOC_GETVERSION: ENOTTY)
D=$T/d
mkdir -p "$D"
cd "$D" || fail "cd $D"
printf '0123456789' >f
expect_exit 0 "$M" patch f 2 --data XY --undo u -q
[ "$(idflags u)" = 2 ] || fail "tmpfs journal identity flags $(idflags u), want 2 (birth time only)"
expect_exit 0 "$M" undo u -q
[ "$(cat f)" = 0123456789 ] || fail "undo on tmpfs"
was=$(ident f)
case $was in *"no generation"*) ;; *) fail "tmpfs identity has a generation: $was" ;; esac
rm f
printf 'abcdefghij' >f
expect_exit 3 "$M" undo u
expect_grep "^mmapwin: u: $(re "$D/f") is not the file this journal was made for \\(journaled: $(re "$was"); found: $(re "$(ident f)")\\)" "$WORK/err"
[ "$(cat f)" = abcdefghij ] || fail "undo wrote into the new tmpfs file"
echo "identity: reused inode refused on ext4 and tmpfs, both identities named"
