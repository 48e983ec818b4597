#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmapwin replace, different length, on a file of many MiB on a real ext4
# (loop device over a tmpfs image, in a private mount namespace):
# byte-identical to sed for a shrinking, a growing and an empty NEW, with
# matches at both ends and across MiB boundaries, in a file whose size is
# no multiple of a page; the new version is written back as the pass goes
# (its page cache stays bounded while it runs and is dropped at the end);
# --no-sync makes no sync call at all; windows are read into aligned
# memory; peak RSS is flat in the file size and stays within a few MiB of
# a same-length replace's.
. "$(dirname "$0")/lib.sh"
root_ns fincore strace
[ -x /usr/bin/time ] || skip "GNU time (/usr/bin/time) is not installed"
need_tool M mmapwin replace

# Nothing of this test may reach the host disk.
tmpfs_at "$WORK" 1g mode=0755
DEV=$(mkloop 640)
mkext4 "$DEV"
E=$WORK/mnt
mountat "$DEV" "$E"
LOOP=${DEV#/dev/}

OLD=password=hunter2
# gen LINES: a log with OLD on most lines; it starts with OLD and ends
# with OLD (no newline), and its size is no multiple of 4 KiB.
gen() {
	printf '%s' "$OLD"
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
		printf "%d user=u%d password=hunter2 k=%d%s\n", i, i % 7, i * 7,
			(i % 3 ? "" : " password=hunter2password=hunter2") }'
	printf 'tail %s' "$OLD"
}
gen 3300000 >"$WORK/big" # ~160 MiB
gen 200000 >"$WORK/small" # ~10 MiB
size=$(stat -c %s "$WORK/big")
[ $((size % 4096)) != 0 ] || fail "the test file is a multiple of 4 KiB"
[ "$size" -gt $((150 << 20)) ] || fail "the test file has only $size bytes"
res() { fincore -rnb -o RES "$1" | tr -d ' '; }
# Sectors the loop device has written (field 7 of its stat).
wsect() { awk '{ print $7 }' "/sys/block/$LOOP/stat"; }

# --- byte-identical to sed: shrink, grow, empty NEW
for new in 'pw=[redacted]' 'password=[redacted-by-a-longer-string]' ''; do
	cp "$WORK/big" "$E/f"
	expect_exit 0 "$M" replace "$E/f" "$OLD" "$new" -P
	expect_grep 'METHOD="rename" SYNCED="1"' "$WORK/out"
	# The new version is on disk and not left in the page cache (before
	# cmp reads it in).
	r=$(res "$E/f")
	[ "$r" -lt $((size / 10)) ] ||
		fail "NEW='$new': $r bytes of the new version left in the page cache"
	LC_ALL=C sed "s/$OLD/$new/g" "$WORK/big" | cmp - "$E/f" ||
		fail "NEW='$new': result differs from sed"
	[ "$(ls -A "$E" | grep -c mmapwin)" = 0 ] || fail "temp file left: $(ls -A "$E")"
done

# --- while it runs, the new version goes to disk and out of the page
# cache: stopped once its temp file has 96 MiB, at most 48 MiB of it are
# cached and the device has written at least the rest. A run that ends
# before it can be stopped is tried again, at most 5 times.
# tmpfd PID: the temp file among PID's open files
tmpfd() {
	local f
	for f in /proc/"$1"/fd/*; do
		case $(readlink "$f" 2>/dev/null) in
		"$E"/\#* | "$E"/.*.mmapwin-*) echo "$f"; return 0 ;;
		esac
	done
	return 1
}
hit=0
for try in 1 2 3 4 5; do
	cp "$WORK/big" "$E/f"
	sync
	w0=$(wsect)
	"$M" replace "$E/f" "$OLD" pw=x -q >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	t=
	while kill -0 "$pid" 2>/dev/null; do
		t=$(tmpfd "$pid") &&
			[ "$(stat -L -c %s "$t" 2>/dev/null || echo 0)" -ge $((96 << 20)) ] &&
			break
		sleep 0.001
	done
	kill -STOP "$pid" 2>/dev/null
	if [ -n "$t" ] && tsize=$(stat -L -c %s "$t" 2>/dev/null) &&
		[ "$tsize" -ge $((96 << 20)) ]; then
		r=$(res "$t")
		w=$(($(wsect) - w0))
		kill -CONT "$pid"
		wait "$pid" || fail "replace stopped and continued exited $?"
		note "try $try: stopped at $tsize bytes written: $r cached, $((w / 2048)) MiB on the device"
		[ "$r" -le $((48 << 20)) ] ||
			fail "$r bytes of the temp file cached at $tsize bytes written"
		[ "$w" -ge $(((tsize - (48 << 20)) / 512)) ] ||
			fail "only $((w * 512)) bytes reached the device at $tsize bytes written"
		hit=1
		break
	fi
	kill -CONT "$pid" 2>/dev/null
	wait "$pid" || fail "replace exited $?"
	note "try $try: replace finished before it could be stopped"
done
[ $hit = 1 ] || fail "replace finished before it could be stopped, 5 times"
LC_ALL=C sed "s/$OLD/pw=x/g" "$WORK/big" | cmp - "$E/f" || fail "stopped run: result differs from sed"

# --- a write error beneath the file system while the new version is
# written back (its device is a thin image on a tmpfs with 12 MiB left):
# exit 3, the original intact, no temp file. The error shows when a
# written-back range is waited for, which takes it from the file's error
# state, so a later fsync() would not see it again: the space then comes
# back (once the temp file has 64 MiB, the tmpfs grows) and a tool that
# lost the error would finish and rename a damaged file.
T=$WORK/thin
thin_ext4 "$T" "$WORK/tm"
head -c $((64 << 20)) "$WORK/big" >"$WORK/src64"
cp "$WORK/src64" "$WORK/tm/f"
# (the room comes back once the temp file has 64 MiB)
thin_run "$T" /dev/null 't=$(E=$WORK/tm tmpfd "$pid") &&
	[ "$(stat -L -c %s "$t" 2>/dev/null || echo 0)" -ge $((64 << 20)) ]' \
	"$M" replace "$WORK/tm/f" "$OLD" 'password=[redacted-by-a-longer-string]' -q
[ $rc = 3 ] || { cat "$WORK/err" >&2; fail "replace with a failing device exited $rc, expected 3"; }
note "$(cat "$WORK/err")"
expect_grep 'tm/f: write: (Input/output error|no space left on device)' "$WORK/err"
cmp "$WORK/src64" "$WORK/tm/f" || fail "the original changed after a write error"
[ "$(ls -A "$WORK/tm" | grep -c mmapwin)" = 0 ] || fail "temp file left: $(ls -A "$WORK/tm")"

# --- --no-sync: no fsync, fdatasync, msync or sync_file_range at all;
# without it the temp file and the directory are fsync'ed
cp "$WORK/small" "$E/f"
strace_q -f -qq -e trace=fsync,fdatasync,msync,sync_file_range,syncfs,sync \
	-o "$WORK/strace" "$M" replace "$E/f" "$OLD" pw=x -q --no-sync ||
	fail "replace --no-sync under strace"
[ ! -s "$WORK/strace" ] || fail "--no-sync made sync calls: $(head -3 "$WORK/strace")"
LC_ALL=C sed "s/$OLD/pw=x/g" "$WORK/small" | cmp - "$E/f" || fail "--no-sync result differs from sed"
cp "$WORK/small" "$E/f"
strace_q -f -qq -e trace=fsync -o "$WORK/strace" "$M" replace "$E/f" "$OLD" pw=x -q ||
	fail "replace under strace"
[ "$(grep -c '^[0-9]* *fsync(' "$WORK/strace")" -ge 2 ] ||
	fail "no fsync of the temp file and the directory: $(cat "$WORK/strace")"

# --- every window is read into a 64-byte aligned address, whatever the
# tail carried over (copying from the page cache into a misaligned one
# took 7x the CPU here), for both lengths
for new in PASSWORD=HUNTER2 pw=x; do
	cp "$WORK/small" "$E/f"
	strace_q -f -qq -e trace=pread64 -e raw=pread64 -o "$WORK/strace" \
		"$M" replace "$E/f" "$OLD" "$new" -q || fail "replace $new under strace"
	# pread64(fd, buf, 0x100000, off): the window reads
	awk '/pread64\(0x[0-9a-f]+, 0x[0-9a-f]+, 0x100000,/ {
		sub(/.*pread64\(0x[0-9a-f]+, 0x/, ""); sub(/,.*/, "")
		n++; if ($0 !~ /[048c]0$/) bad++ } # hex: a multiple of 64
		END { print n + 0, bad + 0 }' "$WORK/strace" >"$WORK/align"
	read -r reads bad <"$WORK/align"
	[ "$reads" -ge 8 ] || fail "$new: only $reads window reads seen: $(head -3 "$WORK/strace")"
	[ "$bad" = 0 ] || fail "$new: $bad of $reads window reads into a misaligned buffer: $(grep 0x100000, "$WORK/strace" | head -3)"
done

# --- peak RSS: the same for 10 and 160 MiB, and within 4 MiB of what a
# same-length replace (one window) uses
rss() {
	/usr/bin/time -f %M -o "$WORK/rss" "$M" replace "$E/f" "$@" -q ||
		fail "replace $*"
	cat "$WORK/rss"
}
cp "$WORK/small" "$E/f"
same=$(rss "$OLD" PASSWORD=HUNTER2)
cp "$WORK/small" "$E/f"
small=$(rss "$OLD" pw=x)
cp "$WORK/big" "$E/f"
big=$(rss "$OLD" pw=x)
note "peak RSS: same length $same KiB; different length $small KiB (10 MiB), $big KiB (160 MiB)"
[ "$big" -le $((small + 1024)) ] || fail "peak RSS grows with the file: $small KiB, then $big KiB"
[ "$big" -le $((same + 4096)) ] ||
	fail "different length uses $big KiB, same length $same KiB: more than 4 MiB apart"
echo "replace by rename: sed-identical on 160 MiB, written back as it goes, no sync with --no-sync, flat RSS"
