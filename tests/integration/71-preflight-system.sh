#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# preflight's hints must be safe to run as printed on the real host: no
# hint remounts a mount that holds the running system (/, /usr, the mount
# of the running program, of libc, of the dynamic loader) with an option
# that stops programs (noexec, nosuid, nodev, nosymfollow). The row says
# why instead. A mount of our own that holds nothing running still gets
# the remount command. Mounts are tmpfs in a private namespace.
. "$(dirname "$0")/lib.sh"
need_root
in_mount_ns "$@"
P=$B/preflight
[ -x "$P" ] || fail "$P is not built"

# Only the mount row matters here; the host's other checks are its own.
printf 'dirty.min_bytes = 0\nmem.avail_min_pct = 0\nqueue.samples = 0\n' \
	>"$WORK/base.policy"
{ cat "$WORK/base.policy"
  echo "mount.require = nodev,nosuid,noexec,nosymfollow"; } >"$WORK/req.policy"

# safe: the last output has a mount row, and no hint in it remounts with
# an option that stops programs.
safe() {
	grep -q '^CHECK="mount"' "$WORK/out" || { cat "$WORK/out" >&2; fail "no mount row"; }
	if grep -Eq 'HINT="[^"]*mount -o remount,[^" ]*(noexec|nosuid|nodev|nosymfollow)' "$WORK/out"; then
		cat "$WORK/out" >&2
		fail "a hint remounts a system mount with an option that stops programs"
	fi
}
# mrow STATUS REGEX: the mount row has that status and a hint matching REGEX.
mrow() {
	grep -Eq "^CHECK=\"mount\" STATUS=\"$1\" .*HINT=\"[^\"]*$2" "$WORK/out" || {
		cat "$WORK/out" >&2
		fail "mount row is not $1 with a hint /$2/"
	}
}

# --- the host's root, as it is: nosuid,noexec are recommended by default ---
root_opts=$(findmnt -no VFS-OPTIONS /) || fail "findmnt /"
"$P" -P -o CHECK,STATUS,HINT --policy "$WORK/base.policy" / >"$WORK/out" 2>"$WORK/err"
safe
case ",$root_opts," in
*,nosuid,*noexec,* | *,noexec,*nosuid,*) mrow PASS "" ;;
*) mrow WARN "recommended, but not on /: it holds the running system \(/\)" ;;
esac
# Required: a FAIL, and still no command that would break the host.
"$P" -P -o CHECK,STATUS,HINT --policy "$WORK/req.policy" / >"$WORK/out" 2>"$WORK/err"
safe
mrow FAIL "missing, but not on /: it holds the running system"
expect_grep 'findmnt -O ' "$WORK/out"
# /usr/bin, and a new file next to the running program: the same mount.
for t in /usr/bin "$(dirname "$(readlink -f "$P")")/new.bin"; do
	"$P" -P -o CHECK,STATUS,HINT --policy "$WORK/req.policy" "$t" >"$WORK/out" 2>"$WORK/err"
	safe
	mrow FAIL "it holds the running system"
done

# --- a tmpfs of our own: nothing running from it, the command is offered ---
T=$WORK/t
mkdir -p "$T"
mount -t tmpfs -o size=64m,mode=0755 ctl-pf-sys "$T" || fail "mount tmpfs"
at_exit "umount -l '$T'"
expect_exit 1 "$P" -P -o CHECK,STATUS,HINT --policy "$WORK/req.policy" "$T/data.bin"
mrow FAIL "nodev,nosuid,noexec,nosymfollow missing: mount -o remount,nodev,nosuid,noexec,nosymfollow $T\""

# --- the program runs from it: no remount with those options ---
cp "$(readlink -f "$P")" "$T/preflight" || fail "copy preflight"
expect_exit 1 "$T/preflight" -P -o CHECK,STATUS,HINT --policy "$WORK/req.policy" "$T/data.bin"
safe
mrow FAIL "but not on $T: it holds the running system \(code running now: $T/preflight\)"

# --- libc and the dynamic loader loaded from it ---
rm -f "$T/preflight"
libc=$(ldd "$P" | awk '$1 == "libc.so.6" { print $3 }')
ld=$(ldd "$P" | awk '$1 ~ /^\/.*ld-linux/ { print $1 }')
[ -f "$libc" ] && [ -f "$ld" ] || skip "cannot find libc and the loader of $P (ldd)"
mkdir "$T/lib" && cp "$libc" "$T/lib/" || fail "copy $libc"
expect_exit 1 env LD_LIBRARY_PATH="$T/lib" "$P" -P -o CHECK,STATUS,HINT \
	--policy "$WORK/req.policy" "$T/data.bin"
safe
mrow FAIL "\(code running now: $T/lib/libc.so.6\)"
rm -f "$T/lib/libc.so.6"
cp "$ld" "$T/lib/ld.so" || fail "copy $ld"
expect_exit 1 "$T/lib/ld.so" "$P" -P -o CHECK,STATUS,HINT \
	--policy "$WORK/req.policy" "$T/data.bin"
safe
mrow FAIL "\(code running now: $T/lib/ld.so\)"
# Gone again: the command is back.
rm -f "$T/lib/ld.so"
expect_exit 1 "$P" -P -o CHECK,STATUS,HINT --policy "$WORK/req.policy" "$T/data.bin"
mrow FAIL "missing: mount -o remount,nodev,nosuid,noexec,nosymfollow $T\""
echo "preflight: no hint remounts /, the program's, libc's or the loader's mount with noexec/nosuid/nodev/nosymfollow"
