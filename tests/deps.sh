#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian packages in "$@" that are not installed yet.
# Fast (one dpkg-query) when everything is already there.
# No temporary file: a fixed name in /tmp, written as root, is a symlink
# attack waiting to happen.
have=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null |
	awk '$2 == "ii" { print $1 }')
missing=$(for p in "$@"; do
	printf '%s\n' "$have" | grep -qx -- "$p" || echo "$p"; done)
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: $missing" >&2
	echo "deps: run 'make deps' as root, or: apt-get install $missing" >&2
	exit 1
fi
echo "deps: installing $missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null &&
	apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "deps: apt-get install failed" >&2; exit 1; }
