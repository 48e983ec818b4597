#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd/swapadj-auto.service:
# - systemd-analyze verify, with @SBINDIR@ replaced by the build directory
#   and the man page of Documentation= findable, prints nothing at all
#   (a warning fails the test as an error would);
# - systemd-analyze security reports no exposure but those the service
#   needs (listed below with the reason);
# - its sandbox leaves swapadj what it writes: with ProtectSystem=strict
#   every file swapadj writes lies under ReadWritePaths=, /proc/sys is not
#   made read-only, and "swapadj set" and "swapadj restore" work with the
#   unit's capability bounding set (run under setpriv);
# - make install puts it, with the installed path of swapadj, in
#   SYSTEMDUNITDIR (pkg-config's systemdsystemunitdir by default), and
#   make uninstall removes it.
. "$(dirname "$0")/lib.sh"
UNIT=$TOP/systemd/swapadj-auto.service
[ -f "$UNIT" ] || fail "no $UNIT"
need_cmd systemd-analyze
[ -x "$B/swapadj" ] || fail "$B/swapadj not built"

# --- systemd-analyze verify: no output at all
mkdir -p "$WORK/unit" "$WORK/man/man8"
sed "s|@SBINDIR@|$B|g" "$UNIT" >"$WORK/unit/swapadj-auto.service"
! grep -q '@[A-Z_]*@' "$WORK/unit/swapadj-auto.service" || fail "a placeholder other than @SBINDIR@ in $UNIT"
ln -s "$TOP/man/swapadj.8" "$WORK/man/man8/swapadj.8"
(cd "$WORK/unit" && MANPATH=$WORK/man systemd-analyze verify swapadj-auto.service) \
	>"$WORK/verify" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$WORK/verify" ] ||
	{ cat "$WORK/verify" >&2; fail "systemd-analyze verify exited $rc or printed the above"; }

# --- the sandbox as systemd rates it: each exposure it reports must be
# one this service needs, so dropping any setting of the sandbox fails.
# What swapadj needs, and why:
accepted=(
	'User=/DynamicUser='               # root's /proc/sys/vm/swappiness
	'PrivateUsers='                    # ... as real root, not a mapped one
	'ProtectKernelTunables='           # it writes /proc/sys/vm
	'ProtectControlGroups='            # it removes cgroups a killed "run" left
	'ProtectProc='                     # it checks the pids in its state file
	'ProcSubset='                      # it reads /proc/meminfo, /proc/vmstat
	'RestrictAddressFamilies=~AF_UNIX' # sd_notify
	'SystemCallFilter=~@privileged'    # narrower than @system-service is
	'SystemCallFilter=~@resources'     # untested without systemd as PID 1
	'RootDirectory=/RootImage='        # it is the host's binary
	'IPAddressDeny='                   # PrivateNetwork=yes: no IP at all
	'DeviceAllow='                     # PrivateDevices=yes's own set
	'UMask='                           # its state file is readable, for "show"
)
# In the C locale each check is a line "+ NAME" (passed) or "- NAME".
(cd "$WORK/unit" && LC_ALL=C systemd-analyze security --offline=yes \
	swapadj-auto.service) >"$WORK/security" 2>&1 ||
	{ cat "$WORK/security" >&2; fail "systemd-analyze security"; }
grep -q '^+ ProtectSystem=' "$WORK/security" ||
	{ cat "$WORK/security" >&2; fail "systemd-analyze security: no rating read"; }
while read -r _ name _; do
	printf '%s\n' "${accepted[@]}" | grep -qxF -- "$name" ||
		fail "systemd-analyze security: $(grep -F -- "- $name " "$WORK/security")"
done < <(grep '^- ' "$WORK/security")

# --- the settings the sandbox depends on
# unit_get KEY: the last value of KEY in [Service] (later ones win).
unit_get() {
	sed -n '/^\[Service\]/,/^\[/p' "$UNIT" | sed -n "s/^$1=//p" | tail -n 1
}
[ "$(unit_get Type)" = notify ] || fail "Type= is not notify"
case $(unit_get ExecStart) in
"@SBINDIR@/swapadj auto "*) ;; *) fail "ExecStart= does not run '@SBINDIR@/swapadj auto'" ;;
esac
[ "$(unit_get ExecStopPost)" = "@SBINDIR@/swapadj restore" ] ||
	fail "ExecStopPost= is not '@SBINDIR@/swapadj restore'"
case $(unit_get ProtectKernelTunables) in
'' | no | false) ;; *) fail "ProtectKernelTunables= makes /proc/sys/vm read-only" ;;
esac
rw=" $(unit_get ReadWritePaths) "
if [ "$(unit_get ProtectSystem)" = strict ]; then
	# What swapadj writes: the sysctl, its state file and lock in /run.
	# (strict leaves /proc writable anyway; the list is the record.)
	for f in /proc/sys/vm/swappiness /run/swapadj.state /run/swapadj.lock; do
		d=$f ok=0
		while [ "$d" != / ]; do
			case $rw in *" $d "* | *" -$d "*) ok=1 ;; esac
			d=$(dirname "$d")
		done
		[ "$ok" = 1 ] || fail "ProtectSystem=strict and $f is not under ReadWritePaths=$rw"
	done
fi
caps=$(unit_get CapabilityBoundingSet)
if [ -n "$(sed -n '/^\[Service\]/,/^\[/p' "$UNIT" | grep '^CapabilityBoundingSet=')" ] &&
	[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && [ -w /proc/sys/vm/swappiness ]; then
	bset=-all
	for c in $caps; do bset+=,+${c#CAP_}; done
	swapadj_env
	[ "$(swp)" != 37 ] || echo 36 >$SW
	setpriv --bounding-set="${bset,,}" "$SA" set 37 >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out" >&2; fail "swapadj set under CapabilityBoundingSet=$caps"; }
	[ "$(swp)" = 37 ] || fail "swapadj set 37 under CapabilityBoundingSet=$caps left $(swp)"
	echo "$orig" >$SW
	# restore clears a state file left by a crashed run.
	bash -c '"$0" run --swappiness 38 -- sh -c "kill -9 \$PPID"; :' "$SA" >/dev/null 2>&1
	[ -e "$ST" ] || fail "no state file after a killed swapadj run"
	setpriv --bounding-set="${bset,,}" "$SA" restore >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out" >&2; fail "swapadj restore under CapabilityBoundingSet=$caps"; }
	[ "$(swp)" = "$orig" ] && [ ! -e "$ST" ] ||
		fail "swapadj restore under CapabilityBoundingSet=$caps: swappiness $(swp), state file left"
else
	note "capability bounding set not checked (needs root, setpriv, a writable swappiness)"
fi

# --- make install / uninstall
need_cmd make
D=$WORK/dest
(umask 077 && make -s -C "$TOP" B="$B" DESTDIR="$D" PREFIX=/usr install) >"$WORK/log" 2>&1 ||
	{ cat "$WORK/log" >&2; fail "make install"; }
dir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
: "${dir:=/usr/lib/systemd/system}"
inst=$D$dir/swapadj-auto.service
[ -f "$inst" ] || fail "make install: no $inst"
sed 's|@SBINDIR@|/usr/sbin|g' "$UNIT" | cmp -s - "$inst" ||
	fail "make install: $inst is not the unit with @SBINDIR@=/usr/sbin"
[ "$(stat -c %a "$inst")" = 644 ] || fail "make install: $inst has mode $(stat -c %a "$inst")"
make -s -C "$TOP" B="$B" DESTDIR="$D" PREFIX=/usr uninstall >"$WORK/log" 2>&1 ||
	{ cat "$WORK/log" >&2; fail "make uninstall"; }
[ ! -e "$inst" ] || fail "make uninstall left $inst"
make -s -C "$TOP" B="$B" DESTDIR="$D" PREFIX=/opt/x SYSTEMDUNITDIR=/etc/systemd/system \
	install >"$WORK/log" 2>&1 || { cat "$WORK/log" >&2; fail "make install SYSTEMDUNITDIR="; }
inst=$D/etc/systemd/system/swapadj-auto.service
[ -f "$inst" ] || fail "make install SYSTEMDUNITDIR=/etc/systemd/system: no $inst"
grep -qx 'ExecStart=/opt/x/sbin/swapadj auto $SWAPADJ_OPTS' "$inst" ||
	fail "make install PREFIX=/opt/x: ExecStart does not name /opt/x/sbin/swapadj"
make -s -C "$TOP" B="$B" DESTDIR="$D" PREFIX=/opt/x SYSTEMDUNITDIR=/etc/systemd/system \
	uninstall >"$WORK/log" 2>&1 || { cat "$WORK/log" >&2; fail "make uninstall SYSTEMDUNITDIR="; }
left=$(find "$D" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "swapadj-auto.service: verify clean, sandbox leaves swapadj its files, installed to $dir"
