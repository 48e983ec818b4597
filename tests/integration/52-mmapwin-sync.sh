#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The sync calls that mmapwin's crash safety rests on, traced with strace
# (a kill -9 keeps the page cache, so only a trace can tell that a record
# reached the disk before its window changed):
#  - patch --undo: the journal header is fdatasync'ed and its directory
#    fsync'ed, and every record is fdatasync'ed, before the target is
#    touched; each window is msync'ed;
#  - replace --undo (same length): each record is fdatasync'ed before its
#    pwrite64 into the target, which is fdatasync'ed at the end;
#  - replace (different length): the temporary file is fsync'ed before
#    the rename, the directory after it;
#  - undo: the target is fdatasync'ed after the last byte restored;
#  - --no-sync: none of these calls at all.
# The files live on ext4 over a loop device whose image is on a tmpfs.
. "$(dirname "$0")/lib.sh"
root_ns strace
need_tool M mmapwin
D=$WORK/ext4
ext4_loop "$D" 200m 128M
cd "$D" || fail "cd $D"

CALLS=openat,read,write,pread64,pwrite64,fdatasync,fsync,msync,mmap,munmap,ftruncate,sync_file_range,syncfs,sync,renameat,renameat2,rename,linkat
SYNCS='^(fdatasync|fsync|msync|sync_file_range|syncfs|sync)$'
trace() { strace_q -f -qq -e trace=$CALLS -o "$WORK/trace" "$@"; }

# order MODE JOURNAL TARGET [DATA]: check $WORK/trace. MODE patch: the
# target is touched by read(DATA) into a mapped window; MODE replace: by
# pwrite64 of the target. Prints the counts on success.
order() {
	awk -v mode="$1" -v J="$2" -v T="$3" -v D="${4:-}" '
	function die(m) { print "ORDER: trace line " NR ": " m ": " line; bad = 1; exit 1 }
	{
		line = $0
		sub(/^[0-9]+ +/, "")
		if ($0 ~ /unfinished|resumed|^\+\+\+|^---/)
			next
		call = $0; sub(/\(.*/, "", call)
		args = $0; sub(/^[^(]*\(/, "", args)
		fd = args; sub(/[,)].*/, "", fd)
		ret = $0; sub(/.*= /, "", ret); sub(/ .*/, "", ret)
	}
	call == "openat" {
		name = args; sub(/^[^"]*"/, "", name); sub(/".*/, "", name)
		if (name == J) jfd = ret
		else if (name == T && args ~ /O_RDWR/) tfd = ret
		else if (D != "" && name == D) dfd = ret
		else if (args ~ /O_DIRECTORY/) dirfd = ret
		next
	}
	call == "pwrite64" && fd == jfd {
		pending = 1
		if (args ~ /"UREC/)
			recs++
		next
	}
	(call == "fdatasync" || call == "fsync") && fd == jfd {
		if (pending) {
			pending = 0
			synced = recs
			hdr = 1
		}
		next
	}
	call == "fsync" && fd == dirfd { dir = 1; next }
	call == "mmap" && args ~ /MAP_SHARED/ && args ~ (", " tfd ", ") { windows++; next }
	call == "msync" { msyncs++; next }
	(mode == "patch" && call == "read" && fd == dfd) ||
	(mode == "replace" && call == "pwrite64" && fd == tfd) {
		if (mode == "replace")
			windows++
		if (!hdr) die("target touched before the journal header was synced")
		if (!dir) die("target touched before the journal directory was synced")
		if (pending) die("target touched while a journal record was not synced")
		if (synced < windows) die("window " windows " touched with only " synced " records synced")
		touches++
		last_touch = NR
		next
	}
	(call == "fdatasync" || call == "fsync") && fd == tfd { tsync = NR; next }
	END {
		if (bad) exit 1
		if (!touches) { print "ORDER: the target was never touched"; exit 1 }
		if (mode == "patch" && msyncs != windows) { print "ORDER: " msyncs " msync for " windows " windows"; exit 1 }
		if (mode == "replace" && tsync < last_touch) { print "ORDER: no fdatasync of the target after its last write"; exit 1 }
		print recs " records, " windows " windows, " touches " touches"
	}' "$WORK/trace"
}

# nosyncs: no sync call of any kind in $WORK/trace.
nosyncs() {
	local n
	n=$(sed 's/^[0-9]* *//; s/(.*//' "$WORK/trace" | grep -Ec "$SYNCS")
	[ "$n" = 0 ] || { grep -E '^[0-9]+ +(fdatasync|fsync|msync|sync_file_range|syncfs|sync)\(' "$WORK/trace" >&2; fail "$*: $n sync calls with --no-sync"; }
}

head -c $((1 << 20)) /dev/urandom >orig
head -c $((200 << 10)) /dev/urandom >data

# --- patch --undo: 4 KiB windows, 51 of them, each journaled first
cp orig f
trace "$M" patch f 100 --from data --undo u --window 4K -q || fail "traced patch"
out=$(order patch u f data) || { echo "$out" >&2; fail "patch --undo: journal not synced before the target changed"; }
note "patch --undo: $out"
case $out in "51 records, 51 windows, 51 touches") ;; *) fail "patch --undo: $out, want 51 of each" ;; esac
cmp -s <(tail -c +101 f | head -c $((200 << 10))) data || fail "patched bytes"
# undo: the restored bytes are fdatasync'ed before it reports success.
trace "$M" undo u -q || fail "traced undo"
cmp -s f orig || fail "undo did not restore"
awk '{ sub(/^[0-9]+ +/, "") }
	/^openat\(.*"'"${D//\//\\/}"'\/f".*O_RDWR/ { t = $NF }
	/^pwrite64\(/ { split($0, a, /[(,]/); if (a[2] == t) w = NR }
	/^fdatasync\(/ { split($0, a, /[(,)]/); if (a[2] == t) s = NR }
	END { exit !(w && s > w) }' "$WORK/trace" ||
	fail "undo: no fdatasync of the target after the restored bytes"

# --- the same with --no-sync: no sync call at all, and still restorable
cp orig f
rm -f u
trace "$M" patch f 100 --from data --undo u --window 4K --no-sync -q || fail "traced patch --no-sync"
nosyncs "patch --undo --no-sync"
trace "$M" undo u --no-sync -q || fail "traced undo --no-sync"
nosyncs "undo --no-sync"
cmp -s f orig || fail "undo after patch --no-sync"
# Without --undo: each window msync'ed, or nothing with --no-sync.
trace "$M" patch f 0 --from data --window 64K -q || fail "traced patch"
[ "$(grep -Ec '^[0-9]+ +msync\(' "$WORK/trace")" = 4 ] || fail "patch: $(grep -c msync "$WORK/trace") msync for 4 windows"
trace "$M" patch f 0 --from data --window 64K --no-sync -q || fail "traced patch --no-sync"
nosyncs "patch --no-sync"

# --- replace --undo, same length, in place through 4 KiB windows
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "%d password=hunter2 x\n", i }' >log
cp log log.orig
trace "$M" replace log hunter2 HUNTER2 --window 4K --undo lu -q || fail "traced replace"
out=$(order replace lu log) || { echo "$out" >&2; fail "replace --undo: journal not synced before the target changed"; }
note "replace --undo: $out"
[ "$(grep -c hunter2 log)" = 0 ] || fail "replace result"
expect_exit 0 "$M" undo lu -q
cmp -s log log.orig || fail "undo of replace"
rm -f lu
trace "$M" replace log hunter2 HUNTER2 --window 4K --undo lu --no-sync -q || fail "traced replace --no-sync"
nosyncs "replace --undo --no-sync"
expect_exit 0 "$M" undo lu -q
cmp -s log log.orig || fail "undo of replace --no-sync"

# --- replace, different length: fsync(temp) < rename < fsync(dir)
trace "$M" replace log hunter2 pw -q || fail "traced replace (rename)"
awk '{ sub(/^[0-9]+ +/, "") }
	/^openat\(.*O_TMPFILE/ { split($0, a, "= "); tmp = a[2] + 0 }
	/^openat\(.*O_DIRECTORY/ { split($0, a, "= "); dir = a[2] + 0 }
	/^(write|pwrite64)\(/ { split($0, a, /[(,]/); if (a[2] == tmp) w = NR }
	/^fsync\(/ { split($0, a, /[(,)]/); if (a[2] == tmp) ft = NR; if (a[2] == dir && rn) fd = NR }
	/^rename/ { rn = NR }
	END { exit !(tmp && w && ft > w && rn > ft && fd > rn) }' "$WORK/trace" ||
	{ grep -E 'TMPFILE|DIRECTORY|fsync|rename' "$WORK/trace" >&2; fail "replace by rename: temp not fsync'ed before the rename, or the directory not after"; }
[ "$(grep -c 'password=pw ' log)" = 20000 ] || fail "replace by rename result"
trace "$M" replace log pw hunter2 --no-sync -q || fail "traced replace --no-sync (rename)"
nosyncs "replace --no-sync (rename)"
cmp -s log log.orig || fail "replace back"
echo "sync: journal records synced before their windows; --no-sync syncs nothing"
