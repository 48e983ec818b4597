#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin replace on real files: results byte-identical to sed, matches
# straddling windows, same length in place (same inode, links and xattrs
# untouched), different length through a renamed temp file with mode,
# owner, xattrs and ACLs kept, hard-link refusal, dry run, --max-count,
# and each bad input with its exit status and message.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd setfacl
need_cmd getfacl
need_cmd runuser
need_tool M mmapwin replace
D=$WORK/d
mkdir -p "$D"

# A log with dense matches; 5 MiB so several 1 MiB windows are crossed.
gen() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
		printf "%d user=u%d password=hunter2 k=%d x\n", i, i % 7, i * 7 }'
}
gen 140000 >"$WORK/orig.log"
ORIG=$WORK/orig.log
inode() { stat -c %i "$1"; }

# --- same length: in place, identical to sed, same inode, links kept
cp "$ORIG" "$D/a.log"
ln "$D/a.log" "$D/a.link"
setfattr -n user.tag -v keep "$D/a.log" 2>/dev/null && xa=1 || xa=0
ino=$(inode "$D/a.log")
expect_exit 0 "$M" replace "$D/a.log" hunter2 XXXXXXX -P
n=$(grep -o hunter2 "$ORIG" | wc -l)
expect_grep "MATCHES=\"$n\" CHANGED_BYTES=\"$((n * 7))\".*METHOD=\"in-place\" SYNCED=\"1\"" "$WORK/out"
LC_ALL=C sed 's/hunter2/XXXXXXX/g' "$ORIG" | cmp - "$D/a.log" || fail "same-length result differs from sed"
[ "$(inode "$D/a.log")" = "$ino" ] || fail "same-length replace changed the inode"
cmp "$D/a.log" "$D/a.link" || fail "hard link does not see the in-place edit"
[ $xa = 0 ] || [ "$(getfattr --absolute-names --only-values -n user.tag "$D/a.log")" = keep ] || fail "xattr lost"
rm -f "$D/a.link"

# --- matches straddling every window boundary: 4 KiB windows, 9-byte OLD
for w in 4K 8K 12K; do
	cp "$ORIG" "$D/w.log"
	expect_exit 0 "$M" replace "$D/w.log" "password=" "PASSWORD:" --window $w -q
	LC_ALL=C sed 's/password=/PASSWORD:/g' "$ORIG" | cmp - "$D/w.log" || fail "--window $w result differs from sed"
done

# --- different length: rename, mode/owner/xattrs/ACL kept, no temp left
cp "$ORIG" "$D/b.log"
chown 1234:4321 "$D/b.log"
chmod 0640 "$D/b.log"
setfacl -m u:65534:r "$D/b.log"
setfattr -n user.tag -v keep "$D/b.log" 2>/dev/null || true
acl_before=$(getfacl -c "$D/b.log" 2>/dev/null)
ino=$(inode "$D/b.log")
expect_exit 0 "$M" replace "$D/b.log" password=hunter2 pw=[redacted] -P
expect_grep "MATCHES=\"$n\".*METHOD=\"rename\" SYNCED=\"1\"" "$WORK/out"
LC_ALL=C sed 's/password=hunter2/pw=[redacted]/g' "$ORIG" | cmp - "$D/b.log" || fail "different-length result differs from sed"
[ "$(inode "$D/b.log")" != "$ino" ] || fail "different length kept the inode"
[ "$(stat -c '%u:%g %a' "$D/b.log")" = "1234:4321 640" ] || fail "owner/mode not kept: $(stat -c '%u:%g %a' "$D/b.log")"
[ "$(getfacl -c "$D/b.log" 2>/dev/null)" = "$acl_before" ] || fail "ACL not kept"
[ $xa = 0 ] || [ "$(getfattr --absolute-names --only-values -n user.tag "$D/b.log")" = keep ] || fail "xattr lost on rename"
[ "$(ls -A "$D" | grep -c mmapwin)" = 0 ] || fail "temp file left: $(ls -A "$D")"

# --- a directory with a default ACL: the new version does not pick it up
# (the temp file inherits it; the original had no ACL: nobody gained access)
mkdir "$D/dacl"
cp "$ORIG" "$D/dacl/c.log"
chmod 0640 "$D/dacl/c.log"
setfacl -d -m u:65534:rwx "$D/dacl"
acl_before=$(getfacl -c "$D/dacl/c.log" 2>/dev/null)
expect_exit 0 "$M" replace "$D/dacl/c.log" password=hunter2 pw=x -q
[ "$(getfacl -c "$D/dacl/c.log" 2>/dev/null)" = "$acl_before" ] ||
	fail "the directory's default ACL was added: $(getfacl -c "$D/dacl/c.log" 2>/dev/null | tr '\n' ' ')"
[ "$(stat -c %a "$D/dacl/c.log")" = 640 ] || fail "mode with a default ACL"

# --- nothing matched: the file (inode) is left alone
ino=$(inode "$D/b.log")
expect_exit 0 "$M" replace "$D/b.log" no-such-string x -P
expect_grep 'MATCHES="0"' "$WORK/out"
[ "$(inode "$D/b.log")" = "$ino" ] || fail "no-match replace rewrote the file"

# --- dry run counts and writes nothing; --max-count stops early
cp "$ORIG" "$D/c.log"
sum=$(sha256sum <"$D/c.log")
expect_exit 0 "$M" replace "$D/c.log" hunter2 longer-secret --dry-run -P
expect_grep "MATCHES=\"$n\" CHANGED_BYTES=\"$((n * 13))\".*NEWSIZE=\"$(( $(stat -c %s "$ORIG") + n * 6 ))\" METHOD=\"dry-run\"" "$WORK/out"
[ "$(sha256sum <"$D/c.log")" = "$sum" ] || fail "--dry-run changed the file"
expect_exit 0 "$M" replace "$D/c.log" hunter2 HUNTER2 --max-count 5 -P
expect_grep 'MATCHES="5"' "$WORK/out"
[ "$(grep -c HUNTER2 "$D/c.log")" = 5 ] || fail "--max-count 5 replaced $(grep -c HUNTER2 "$D/c.log")"
expect_exit 0 "$M" replace "$D/c.log" hunter2 pw --max-count 3 -q
[ "$(grep -c 'password=pw ' "$D/c.log")" = 3 ] || fail "--max-count 3 with rename"
[ "$(grep -c hunter2 "$D/c.log")" = $((n - 8)) ] || fail "--max-count touched the rest"

# --- hard links: refused for a different length unless --break-hardlinks
cp "$ORIG" "$D/h.log"
ln "$D/h.log" "$D/h.link"
expect_exit 3 "$M" replace "$D/h.log" hunter2 x
expect_grep "h.log: has 2 hard links; .*use --break-hardlinks" "$WORK/err"
cmp "$ORIG" "$D/h.log" || fail "refused replace changed the file"
expect_exit 0 "$M" replace "$D/h.log" hunter2 x --break-hardlinks -q
cmp "$ORIG" "$D/h.link" || fail "the other link changed"
[ "$(grep -c hunter2 "$D/h.log")" = 0 ] || fail "--break-hardlinks did not replace"

# --- --progress on a terminal
if command -v script >/dev/null; then
	cp "$ORIG" "$D/p.log"
	script -qec "'$M' replace '$D/p.log' hunter2 XXXXXXX --progress -q" /dev/null >"$WORK/tty" ||
		fail "replace --progress on a terminal"
	expect_grep 'p.log: [0-9.]+ of [0-9.]+ MiB \(100%\)' "$WORK/tty"
fi

# --- bad input
expect_exit 2 "$M" replace "$D/c.log" "" x
expect_grep 'OLD is empty' "$WORK/err"
expect_exit 2 "$M" replace "$D/c.log" same same
expect_grep 'OLD and NEW are the same' "$WORK/err"
expect_exit 2 "$M" replace "$D/c.log" a b c
expect_grep 'usage: mmapwin replace FILE OLD NEW' "$WORK/err"
expect_exit 2 "$M" replace "$D/c.log" hunter2 x --max-count 0
expect_grep "--max-count '0': not a positive number" "$WORK/err"
expect_exit 2 "$M" replace "$D/c.log" hunter2 x --undo "$WORK/u"
expect_grep '--undo: only a same-length replace edits in place' "$WORK/err"
expect_exit 3 "$M" replace "$D/missing" a b
expect_grep 'missing: .*No such file or directory' "$WORK/err"
expect_exit 3 "$M" replace "$D" a b
expect_grep 'is a directory' "$WORK/err"
mkfifo "$D/fifo"
expect_exit 3 timeout 10 "$M" replace "$D/fifo" a b
expect_grep 'fifo: not a regular file' "$WORK/err"
rm -f "$D/fifo"

# A read-only file, for a user who cannot write it (root could): refused
# for both lengths, although the directory is writable.
cp "$ORIG" "$D/ro.log"
chmod 0444 "$D/ro.log"
chmod 0777 "$D"
chmod 0755 "$WORK"
chown 65534 "$D/ro.log"
expect_exit 3 runuser -u nobody -- "$M" replace "$D/ro.log" hunter2 XXXXXXX
expect_grep 'ro.log: open: permission denied' "$WORK/err"
expect_exit 3 runuser -u nobody -- "$M" replace "$D/ro.log" hunter2 x
expect_grep 'ro.log: open: permission denied' "$WORK/err"
cmp "$ORIG" "$D/ro.log" || fail "read-only file changed"
echo "replace: sed-identical in place and by rename, metadata kept, bad input refused"
