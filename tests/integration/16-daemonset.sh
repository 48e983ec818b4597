#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# docs/kubernetes/daemonset.yaml (issue 13): python3-yaml reads it; it is a
# DaemonSet with hostPID, the node's / read-only at /host (HostToContainer)
# and no privilege beyond that (not privileged, no escalation, every
# capability dropped, none added, no host network or IPC); one more
# hostPath, node_exporter's textfile directory, read-write at /textfile in
# the containers that write a --textfile there, and in no other. Each container's
# command line then runs as written against a node made here, /host mapped
# to a scratch host/ (the binaries from $B in PATH), with the container's
# securityContext (uid 0 without any capability, no_new_privs):
#
# the node "A" is a pid and mount namespace of our own (this shell its pid
# 1, so A's /proc/1/mountinfo is A's table), with ext4 on a loop device
# (image on /dev/shm) at /var/lib/app/data (over a tmpfs on A's /var/lib);
# the container "B" is a child mount namespace that binds A's / at host/.
# Each tool's words run once; then its sh loop with a sleep that ends the
# loop: a report (exit 0 or 1) goes on to the sleep, a failure ends it
# with the tool's status. /textfile is a scratch directory: prom_check
# reads the metrics as node_exporter's collector would, and they name the
# node's loop device and the exit status the loop saw.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fleet.sh"
need_root
need_cmd unshare
need_cmd setpriv
need_tool Q qdepth
need_tool PF preflight
PY=/usr/bin/python3
YAML=$TOP/docs/kubernetes/daemonset.yaml
[ -f "$YAML" ] || fail "$YAML is missing"
"$PY" -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
need_fleet_py
in_pid_ns

# --- the manifest: fields, then each container's words (cmd.N, one a
# line), its loop script (loop.N) and the textfile mount path (textfile).
"$PY" - "$YAML" "$WORK" <<'EOF' || fail "daemonset.yaml: see above"
import sys, yaml

path, work = sys.argv[1], sys.argv[2]
bad = []
docs = [d for d in yaml.safe_load_all(open(path)) if d]
if len(docs) != 1:
    sys.exit(f"{len(docs)} documents, want 1")
ds = docs[0]
def want(cond, what):
    if not cond:
        bad.append(what)
want(ds.get("apiVersion") == "apps/v1", "apiVersion is not apps/v1")
want(ds.get("kind") == "DaemonSet", "kind is not DaemonSet")
spec = ds["spec"]
labels = spec["template"]["metadata"]["labels"]
for k, v in spec["selector"]["matchLabels"].items():
    want(labels.get(k) == v, f"selector {k}={v} does not match the pod")
pod = spec["template"]["spec"]
want(pod.get("hostPID") is True, "hostPID is not true")
for k in ("hostNetwork", "hostIPC"):
    want(not pod.get(k), f"{k} is set")
want(pod.get("automountServiceAccountToken") is False,
     "the service account token is mounted")
vols = {v["name"]: v for v in pod.get("volumes", [])}
host = [n for n, v in vols.items()
        if v.get("hostPath", {}).get("path") == "/"]
want(len(host) == 1, "no single hostPath volume of /")
TEXTFILE_DIR = "/var/lib/node_exporter/textfile_collector"
tf = [n for n, v in vols.items()
      if v.get("hostPath", {}).get("path") == TEXTFILE_DIR]
want(len(tf) == 1, f"no single hostPath volume of {TEXTFILE_DIR}")
if tf:
    want(vols[tf[0]]["hostPath"].get("type") in ("Directory", "DirectoryOrCreate"),
         f"{TEXTFILE_DIR}: not a directory")
for n, v in vols.items():
    want("hostPath" in v, f"volume {n} is not a hostPath")
    want(n in host or n in tf,
         f"volume {n}: a hostPath beyond / and the textfile directory")
tfpaths = set()
tools = []
cs = pod["containers"]
want(not pod.get("initContainers"), "init containers")
for i, c in enumerate(cs):
    name = c["name"]
    sc = c.get("securityContext", {})
    want(sc.get("privileged") in (None, False), f"{name}: privileged")
    want(sc.get("allowPrivilegeEscalation") is False,
         f"{name}: privilege escalation not off")
    caps = sc.get("capabilities", {})
    want("ALL" in caps.get("drop", []), f"{name}: capabilities not dropped")
    want(not caps.get("add"), f"{name}: capabilities added")
    want(sc.get("procMount") in (None, "Default"), f"{name}: procMount")
    want(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
         f"{name}: seccomp not RuntimeDefault")
    want(sc.get("readOnlyRootFilesystem") is True,
         f"{name}: root file system writable")
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    m = mounts.get("/host")
    want(m and m["name"] in host, f"{name}: / is not at /host")
    if m:
        want(m.get("readOnly") is True, f"{name}: /host is not read-only")
        want(m.get("mountPropagation") == "HostToContainer",
             f"{name}: /host is not HostToContainer")
    cmd = c.get("command", []) + c.get("args", [])
    want(cmd[:2] == ["/bin/sh", "-c"] and len(cmd) > 4,
         f"{name}: not /bin/sh -c SCRIPT TOOL ARGS...")
    words = [str(w) for w in cmd[3:]]
    # The textfile directory: read-write, in a container that writes a
    # .prom file straight in it, in no other.
    tfm = [m for m in mounts.values() if m["name"] in tf]
    prom = words[words.index("--textfile") + 1] if "--textfile" in words else None
    for p, m in mounts.items():
        want(p == "/host" or m in tfm, f"{name}: mount {p}")
    if prom is None:
        want(not tfm, f"{name}: the textfile directory, but no --textfile")
    else:
        want(len(tfm) == 1, f"{name}: --textfile without the textfile directory")
        for m in tfm:
            want(not m.get("readOnly") and not m.get("subPath"),
                 f"{name}: {m['mountPath']} is not the directory read-write")
            want(prom.endswith(".prom") and prom.rsplit("/", 1)[0] == m["mountPath"],
                 f"{name}: --textfile {prom} is not a .prom in {m['mountPath']}")
            tfpaths.add(m["mountPath"])
    want(all("\n" not in w for w in words), f"{name}: a word with a newline")
    want(words[words.index("--sysroot") + 1] == "/host"
         if "--sysroot" in words else False, f"{name}: no --sysroot /host")
    tools.append(" ".join(words[:2]) if words[0] == "qdepth" else words[0])
    with open(f"{work}/cmd.{i}", "w") as f:
        f.write("\n".join(words) + "\n")
    with open(f"{work}/loop.{i}", "w") as f:
        f.write(cmd[2])
want("preflight" in tools, "no preflight container")
want("qdepth check" in tools, "no qdepth check container")
want(len(tfpaths) == 1, f"textfile mounted at {sorted(tfpaths)}, want one path")
want(any("--textfile" in open(f"{work}/cmd.{i}").read().split("\n")
         for i, c in enumerate(cs) if c["name"] == "preflight"),
     "preflight writes no --textfile")
with open(f"{work}/textfile", "w") as f:
    f.write("".join(tfpaths) + "\n")
if bad:
    sys.exit("\n".join(bad))
print(len(cs))
EOF
n=$(ls "$WORK"/cmd.* | wc -l)
[ "$n" -ge 2 ] || fail "$n containers"

# --- A, the node: its /var/lib/app/data is ext4 on a loop device (a tmpfs
# over A's /var/lib gives the mount point).
tmpfs_at /var/lib 4m
mkdir -p /var/lib/app/data
DEV=$(mkloop 64)
N=${DEV#/dev/}
mkext4 "$DEV"
mountat "$DEV" /var/lib/app/data
grep -q " /var/lib/app/data " /proc/1/mountinfo || fail "A's table has no data"

# --- B, the container.
mkdir -p "$WORK/bin"
# A sleep that ends the loop: TERM to the sh that runs it.
printf '#!/bin/sh\nkill -TERM "$PPID"\n' >"$WORK/bin/sleep"
chmod +x "$WORK/bin/sleep"
cat >"$WORK/container.sh" <<'EOF'
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/lib-fleet.sh"
C=$HOSTWORK
TF=$(cat "$C/textfile")
mkdir -p "$C/host"
mount --rbind / "$C/host" || fail "rbind / host"
# The container's own /var/lib/app/data: not what the tools must see (the
# node's mount leaves this namespace's table first).
umount -l /var/lib/app/data 2>/dev/null
mount -t tmpfs -o size=1m tmpfs /var/lib/app/data || fail "tmpfs"
# as_pod CMD...: with the securityContext (uid 0, no capability at all,
# no_new_privs) and the tools in PATH.
as_pod() {
	PATH=$B:$PATH setpriv --reuid 0 --regid 0 --clear-groups \
		--inh-caps=-all --bounding-set=-all --no-new-privs "$@"
}
for cmd in "$C"/cmd.*; do
	i=${cmd##*.}
	# The words as written, /host mapped to host/, the textfile mount
	# to a scratch directory (root's, 0755, as the node's is made).
	words=() prom=
	rm -rf "$C/textfile.d"
	mkdir -m 755 "$C/textfile.d"
	while IFS= read -r w; do
		case $w in
		/host | /host/*) w=$C/host${w#/host} ;;
		"$TF"/*) w=$C/textfile.d${w#"$TF"} prom=$w ;;
		esac
		words+=("$w")
	done <"$cmd"
	note "container $i: ${words[*]}"
	as_pod "${words[@]}" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	cat "$WORK/out" "$WORK/err" >&2
	[ "$rc" -le 1 ] || fail "container $i: ${words[*]}: exit $rc"
	case ${words[0]} in
	preflight)
		expect_grep "^fstype .* ext4 on /var/lib/app/data " "$WORK/out"
		expect_grep "^depth .* $N: " "$WORK/out"
		# The metrics: the node's data directory and loop device.
		[ -n "$prom" ] || fail "preflight: no --textfile"
		prom_check "$prom" ctl_preflight_check_status \
			ctl_preflight_check_value ctl_preflight_exit_code \
			ctl_preflight_last_run_timestamp_seconds
		[ "$(prom_value "$prom" ctl_preflight_exit_code)" = "$rc" ] ||
			fail "preflight: exit code in $prom is not $rc"
		[ "$(prom_value "$prom" ctl_preflight_check_status target=/var/lib/app/data check=fstype status=PASS)" = 1 ] ||
			fail "preflight: no fstype PASS for /var/lib/app/data"
		[ "$(prom_value "$prom" ctl_preflight_check_value target=/var/lib/app/data check=depth device="$N" unit=requests)" = \
			"$(cat "/sys/block/$N/queue/nr_requests")" ] ||
			fail "preflight: the depth of $N is not in $prom" ;;
	qdepth)
		# Silent when in bounds; the host's loop device is what it
		# checked: a bound it does not meet names it.
		[ "$rc" = 0 ] || fail "qdepth check: exit $rc"
		high=() prev=
		for w in "${words[@]}"; do
			[ "$prev" = --min-depth ] && w=4096
			high+=("$w") prev=$w
		done
		expect_exit 1 as_pod "${high[@]}"
		grep -q "$N" "$WORK/out" "$WORK/err" ||
			fail "qdepth check --min-depth 4096: no $N" ;;
	*) fail "container $i runs ${words[0]}" ;;
	esac
	# The loop as written: the report goes on to the sleep (which ends
	# it here: TERM, 143), a failure ends it with the tool's status.
	as_pod env PATH="$C/bin:$B:$PATH" /bin/sh -c "$(cat "$C/loop.$i")" \
		"${words[@]}" >/dev/null 2>&1
	rc=$?
	[ "$rc" = 143 ] || fail "container $i: the loop ended with $rc, not at its sleep"
	words[${#words[@]} - 1]=/var/lib/nothere/data
	as_pod env PATH="$C/bin:$B:$PATH" /bin/sh -c "$(cat "$C/loop.$i")" \
		"${words[@]}" >/dev/null 2>&1
	rc=$?
	[ "$rc" -ge 2 ] && [ "$rc" != 143 ] ||
		fail "container $i: a missing target gave $rc through the loop"
	# That failure reaches Prometheus too, not only the pod's restarts.
	if [ -n "$prom" ]; then
		prom_check "$prom" ctl_preflight_exit_code
		[ "$(prom_value "$prom" ctl_preflight_exit_code)" = "$rc" ] ||
			fail "container $i: exit code $rc is not in $prom"
	fi
done
umount /var/lib/app/data
umount -R "$C/host" || umount -lR "$C/host"
exit 0
EOF
HOSTWORK=$WORK TOP=$TOP N=$N unshare -m --propagation private \
	bash "$WORK/container.sh" || fail "the containers' runs failed"
exit 0
