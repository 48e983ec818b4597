#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Last of the swapadj tests: the host's vm.swappiness is what
# 40-swapadj-00-record.sh found, no state file and no swapadj cgroup is
# left behind. Every problem found is reported, not only the first.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd findmnt
rec=$B/swapadj-host-swappiness
[ -f "$rec" ] || skip "40-swapadj-00-record.sh did not run first"
want=$(cat "$rec")
now=$(cat /proc/sys/vm/swappiness)
rm -f "$rec"
bad=()
[ "$now" = "$want" ] || bad+=("vm.swappiness is $now after the swapadj tests, was $want")
[ ! -e /run/swapadj.state ] || bad+=("/run/swapadj.state left behind: $(cat /run/swapadj.state)")

# Where "swapadj run" makes its cgroups, for a caller in our cgroups: on
# cgroup v1, under the caller's cgroup of the memory hierarchy; on cgroup
# v2, beside the caller's cgroup (under its parent, the root when the
# caller is in the root) and, as older versions did, under it. Every
# mounted hierarchy of either kind is looked at, whichever holds memory.
join() { [ "$2" = / ] && echo "$1" || echo "$1$2"; }
dirs=()
v2=$(awk -F: '$1 == 0 && $2 == "" { print $3; exit }' /proc/self/cgroup)
v1=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; exit }' /proc/self/cgroup)
while read -r mnt fstype opts; do
	case $fstype in
	cgroup2)
		[ -n "$v2" ] || continue
		dirs+=("$(join "$mnt" "$v2")" "$(join "$mnt" "$(dirname "$v2")")")
		;;
	cgroup)
		case ,$opts, in *,memory,*) ;; *) continue ;; esac
		[ -n "$v1" ] && dirs+=("$(join "$mnt" "$v1")")
		;;
	esac
done < <(findmnt -rn -o TARGET,FSTYPE,OPTIONS -t cgroup,cgroup2)
if [ ${#dirs[@]} -eq 0 ]; then
	note "no cgroup hierarchy for our cgroups is mounted: no cgroup to look for"
else
	left=$(find "${dirs[@]}" -mindepth 1 -maxdepth 1 -type d -name 'swapadj.*' 2>/dev/null | sort -u)
	[ -z "$left" ] || bad+=("cgroups left behind: $left")
	note "looked for swapadj.* cgroups in: $(printf '%s\n' "${dirs[@]}" | sort -u | tr '\n' ' ')"
fi
msg=$(printf '%s; ' "${bad[@]}")
[ ${#bad[@]} -eq 0 ] || fail "${msg%; }"
note "vm.swappiness $now, as before the swapadj tests; no state file, no cgroup left"
