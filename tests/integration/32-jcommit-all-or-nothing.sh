#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# jcommit set and restore across several targets: every target is checked
# before anything is written, so one bad target (tmpfs, a missing path, an
# ext2 mount without journal, a covered mount point, a read-only mount for
# --persist, a device in use...) leaves the good ones untouched; a write
# that fails half-way (injected with strace) rolls back what was written.
# Values are read back from /proc/fs/ext4/<dev>/options and dumpe2fs.
. "$(dirname "$0")/lib.sh"
root_ns dumpe2fs debugfs
need_tool J jcommit

IMG=$WORK/img
tmpfs_at "$IMG" 320m mode=0700
loop_over good "$IMG/good" 64M
loop_over good2 "$IMG/good2" 64M
loop_over off "$IMG/off" 32M
for d in "$good" "$good2" "$off"; do
	mkext4 "$d"
	sb_set "$d" data_err=abort
done
G=$WORK/good G2=$WORK/good2
mountat "$good" "$G"
mountat "$good2" "$G2"

# unchanged: GOOD (and GOOD2, OFF) hold exactly what they held at the start.
unchanged() {
	[ "$(live "$good" commit)" = 5 ] || fail "$1: GOOD commit is $(live "$good" commit)"
	[ "$(live "$good2" commit)" = 5 ] || fail "$1: GOOD2 commit is $(live "$good2" commit)"
	for d in "$good" "$good2" "$off"; do
		[ "$(sbopts "$d")" = data_err=abort ] || fail "$1: $d string '$(sbopts "$d")'"
		case " $(defopts "$d") " in *journal_data*) fail "$1: $d data bits '$(defopts "$d")'" ;; esac
	done
	[ -e "$WORK/save" ] && fail "$1: a save file was written for a change not made"
	return 0
}
unchanged setup

# --- BAD kinds, each after and before GOOD ---
tmpfs_at "$WORK/tmp" 1m
loop_over e2 "$IMG/e2" 16M
mke2fs -q -F -t ext2 "$e2" >/dev/null 2>&1 || fail "mke2fs ext2"
mountat "$e2" "$WORK/e2"
# The ext2 mount is refused as "no journal" when the ext4 driver serves it,
# as "not served" otherwise: both exit 4.
if [ -e "/proc/fs/ext4/$(kname "$e2")" ]; then
	e2msg="jcommit: $WORK/e2: no journal, so data= and commit= do not apply"
else
	e2msg="jcommit: $WORK/e2: ext2 on $WORK/e2 is not served by the ext4 driver"
fi
bad_kinds=(
	"4|$WORK/tmp|jcommit: $WORK/tmp: not an ext4 file system \(tmpfs mounted on $WORK/tmp\)"
	"3|$WORK/missing|jcommit: $WORK/missing: No such file or directory"
	"4|$WORK/e2|$e2msg"
)
for k in "${bad_kinds[@]}"; do
	IFS='|' read -r code bad msg <<<"$k"
	for order in good-first bad-first; do
		for how in "" --persist "--persist --save $WORK/save"; do
			if [ $order = good-first ]; then set -- "$G" "$bad"; else set -- "$bad" "$G"; fi
			# shellcheck disable=SC2086
			expect_exit "$code" "$J" set --commit 30 $how "$@"
			expect_grep "$msg" "$WORK/err"
			[ -s "$WORK/out" ] && fail "set $how $*: reported a change: $(cat "$WORK/out")"
			expect_grep "^jcommit: nothing changed: 1 of 2 targets cannot be changed\$" "$WORK/err"
			unchanged "set --commit 30 $how $*"
		done
	done
done
# --data --persist and dry runs are all-or-nothing too.
expect_exit 4 "$J" set --data journal --persist "$G" "$WORK/tmp"
unchanged "set --data journal --persist GOOD tmpfs"
expect_exit 4 "$J" set --commit 30 --dry-run "$G" "$WORK/tmp"
[ -s "$WORK/out" ] && fail "a refused dry run reported a change"

# More kinds that only show when writing: a read-only mount with --persist,
# an unmounted device without --persist, an unmounted device whose journal
# needs recovery, a covered mount point.
mount -o remount,ro "$G2" || fail "remount ro"
expect_exit 3 "$J" set --commit 30 --persist "$G" "$G2"
expect_grep "jcommit: $G2: the superblock of a read-only mount cannot be changed" "$WORK/err"
mount -o remount,rw "$G2" || fail "remount rw"
unchanged "set --persist GOOD ro-mount"
expect_exit 2 "$J" set --commit 30 "$G" "$off"
expect_grep "jcommit: $off: not mounted, nothing live to change; add --persist" "$WORK/err"
unchanged "set GOOD unmounted"
debugfs -w -R "feature needs_recovery" "$off" >/dev/null 2>&1 || fail "debugfs feature"
expect_exit 3 "$J" set --commit 30 --persist "$G" "$off"
expect_grep "jcommit: $off: the journal needs recovery" "$WORK/err"
debugfs -w -R "feature -needs_recovery" "$off" >/dev/null 2>&1 || fail "debugfs feature"
unchanged "set --persist GOOD needs-recovery"
loop_over top "$IMG/top" 16M
mkext4 "$top"
mountat "$top" "$G2"
expect_exit 3 "$J" set --commit 30 "$G" "$good2"
expect_grep "jcommit: $G2: another file system is mounted over this mount point" "$WORK/err"
umount "$G2" || fail "umount top"
unchanged "set GOOD covered"

# The same file system named twice is changed (and recorded) once.
expect_exit 0 "$J" set --commit 30 --persist --save "$WORK/save" "$G" "$good"
[ "$(live "$good" commit)" = 30 ] || fail "twice: commit $(live "$good" commit)"
[ "$(grep -c '^target=' "$WORK/save")" = 1 ] || fail "twice: $(grep -c '^target=' "$WORK/save") records"
[ "$(grep -c 'commit 5 -> 30' "$WORK/out")" = 1 ] || fail "twice: changed twice: $(cat "$WORK/out")"
expect_exit 0 "$J" restore "$WORK/save"
rm -f "$WORK/save"
unchanged "restore after twice"

# --- restore: every record is checked before any is applied ---
expect_exit 0 "$J" set --commit 31 --save "$WORK/s" "$G" "$G2"
[ "$(live "$good" commit)" = 31 ] && [ "$(live "$good2" commit)" = 31 ] || fail "set two"
umount "$G2" || fail "umount GOOD2"
expect_exit 3 "$J" restore "$WORK/s"
expect_grep "jcommit: $good2: not mounted; cannot restore commit=5 live" "$WORK/err"
expect_grep "^jcommit: nothing restored: 1 of 2 records cannot be restored\$" "$WORK/err"
[ "$(live "$good" commit)" = 31 ] || fail "restore half-applied: GOOD commit $(live "$good" commit)"
mount "$good2" "$G2" || fail "mount GOOD2"
expect_exit 0 "$J" restore "$WORK/s"
rm -f "$WORK/s"
[ "$(live "$good" commit)" = 5 ] && [ "$(live "$good2" commit)" = 5 ] || fail "restore two"

# --- a write that fails half-way is rolled back (strace fault injection) ---
if command -v strace >/dev/null 2>&1; then
	# LeakSanitizer cannot run under ptrace: off for traced runs of a
	# sanitizer build (no effect on others).
	traced() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace "$@"; }
	# Each live change is fspick + 3 fsconfig calls; the 6th fsconfig is
	# GOOD2's reconfigure: GOOD's live change (and superblock, with
	# --persist) must be undone.
	for how in "" --persist; do
		# shellcheck disable=SC2086
		expect_exit 3 traced -f -o /dev/null -e trace=fsconfig \
			-e inject=fsconfig:error=EIO:when=6 \
			"$J" set --commit 30 $how "$G" "$G2"
		expect_grep "jcommit: $G2: reconfigure with commit=30 failed: Input/output error" "$WORK/err"
		expect_grep "^jcommit: $G: rolled back: commit 30 -> 5 \(live\)\$" "$WORK/err"
		expect_grep "^jcommit: nothing changed: rolled back 1 file system\$" "$WORK/err"
		unchanged "injected EIO ($how)"
	done
	# With --save: the save file as it was before, byte for byte.
	expect_exit 0 "$J" set --commit 5 --save "$WORK/old.save" "$G"
	cp "$WORK/old.save" "$WORK/old.copy"
	expect_exit 3 traced -f -o /dev/null -e trace=fsconfig \
		-e inject=fsconfig:error=EIO:when=6 \
		"$J" set --commit 30 --persist --save "$WORK/old.save" "$G" "$G2"
	cmp "$WORK/old.save" "$WORK/old.copy" || fail "a rolled-back set changed the existing save file"
	ls -A "$WORK" | grep -q '\.tmp$' && fail "a temporary file was left: $(ls -A "$WORK")"
	rm -f "$WORK/old.save" "$WORK/old.copy"
	unchanged "injected EIO with --save"
	# A new save file goes away again with the rollback.
	expect_exit 3 traced -f -o /dev/null -e trace=fsconfig \
		-e inject=fsconfig:error=EIO:when=6 \
		"$J" set --commit 30 --save "$WORK/save" "$G" "$G2"
	unchanged "injected EIO with a new --save file"
	# The offline superblock write: the fsync after its last write fails,
	# so the device holds the new string; it is put back, and so is GOOD.
	# Calibrate which fsync call that is (strace -y names each fd), then
	# fail exactly that one in the same command.
	expect_exit 0 traced -f -y -o "$WORK/trace" -e trace=fsync,write,pwrite64 \
		"$J" set --commit 30 --persist --save "$WORK/cal" "$G" "$off"
	nth=$(grep -Eo '(fsync|write|pwrite64)\([0-9]*<[^>]*>' "$WORK/trace" |
		awk -v d="<$off>" '/^fsync/ { n++ }
			index($0, d) && !/^fsync/ { after = 1 }
			index($0, d) && /^fsync/ && after { nth = n; after = 0 }
			END { print nth }')
	[ -n "$nth" ] || fail "calibration: no fsync of $off: $(cat "$WORK/trace")"
	expect_exit 0 "$J" restore "$WORK/cal"
	rm -f "$WORK/cal"
	unchanged "calibration"
	expect_exit 3 traced -f -o /dev/null -e trace=fsync \
		-e inject=fsync:error=EIO:when="$nth" \
		"$J" set --commit 30 --persist --save "$WORK/cal" "$G" "$off"
	expect_grep "^jcommit: $off: writing the superblock failed: Input/output error\$" "$WORK/err"
	expect_grep "^jcommit: $off: rolled back: superblock mount options \"data_err=abort,commit=30\" -> \"data_err=abort\"\$" "$WORK/err"
	expect_grep "^jcommit: $G: rolled back: commit 30 -> 5 \(live\)\$" "$WORK/err"
	expect_grep "^jcommit: nothing changed: rolled back 2 file systems\$" "$WORK/err"
	[ -e "$WORK/cal" ] && fail "the save file of a rolled-back change stayed"
	unchanged "injected fsync EIO offline"
else
	note "strace not installed: rollback sub-cases not run"
fi
echo PASS
