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
mkdir -p "\$WORK/sub" && touch "\$WORK/sub/f"
[ -n "\${CTL_IN_NS:-}" ] || exit 9
EOT
TMPDIR=$tmp/t bash -c "mkdir '$tmp/t' && bash '$tmp/t.sh'" ||
	fail "the namespaced script failed"
left=$(ls -A "$tmp/t")
[ -z "$left" ] || fail "left behind in TMPDIR: $left"
echo "ok: a namespaced test leaves no ctl-it.* directory"
