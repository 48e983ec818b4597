#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh leaves nothing behind: a namespaced test re-executes itself under
# unshare, and the work directory made before the exec must not stay.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd unshare

tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"
cat >"$tmp/t.sh" <<EOT
#!/bin/bash
. "$TOP/tests/integration/lib.sh"
in_mount_ns
mount -t tmpfs tmpfs "\$WORK" || exit 7 # as several tests do
mkdir -p "\$WORK/sub" && touch "\$WORK/sub/f"
[ -n "\${CTL_IN_NS:-}" ] || exit 9
dev=\$(mkloop 4)
[ "\$(stat -f -c %T "\$(losetup -n -O BACK-FILE "\$dev")")" = tmpfs ] || exit 8
echo "\$dev" >"$tmp/dev"
EOT
mkdir "$tmp/i"
mount -t tmpfs tmpfs "$tmp/i" || fail "mount tmpfs"
at_exit "umount -l '$tmp/i'"
TMPDIR=$tmp/t CTL_IMGDIR=$tmp/i bash -c "mkdir '$tmp/t' && bash '$tmp/t.sh'" ||
	fail "the namespaced script failed (exit 8: loop image not on a tmpfs)"
left=$(ls -A "$tmp/t" "$tmp/i" | grep -v ':$' | grep .)
[ -z "$left" ] || fail "left behind in TMPDIR or the image dir: $left"
dev=$(cat "$tmp/dev")
! losetup "$dev" 2>/dev/null | grep -q "$tmp/i" || fail "$dev still attached"
echo "ok: a namespaced test leaves no ctl-it.* directory, image or loop device"
