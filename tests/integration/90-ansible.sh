#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# docs/ansible/ctl-tuning.yml, run for real with ansible-playbook -c local
# on this host (issue 13): a queue depth on a loop device, a commit
# interval on a scratch ext4 (loop device, private mount namespace) and
# vm.swappiness (the host's: saved first, put back in a trap).
# - --check before the first run: changed > 0, and nothing changes (the
#   tools ran with --dry-run, no save file written);
# - run 1: changed > 0, every value applied, save files written (each
#   tool's --save: qdepth.save, jcommit.save, swapadj.save);
# - run 2: changed = 0, the save files left as run 1 wrote them; --check
#   after it: changed = 0;
# - --tags restore (the handlers: qdepth/jcommit/swapadj restore FILE):
#   --check first (nothing changes), then for real: the values from before
#   are back; a second time the handlers change nothing.
# ansible-playbook runs inside the test's mount namespace (root_ns), so
# the commands it starts see the scratch mount.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-fleet.sh"
root_ns ansible-playbook mke2fs
[ -x "$FLEET_PY" ] || skip "$FLEET_PY is not installed"
need_tool Q qdepth
need_tool J jcommit
need_tool S swapadj
for t in "$Q" "$J" "$S"; do
	"$t" --help | grep -q -- --exit-changed ||
		fail "$(basename "$t") --help has no --exit-changed"
done
swapadj_env
# Everything the test writes (ansible's home and temp files, save files)
# on a tmpfs: nothing reaches /root or the host disk.
tmpfs_at "$WORK" 256m mode=0700
PB=$TOP/docs/ansible/ctl-tuning.yml
[ -f "$PB" ] || fail "$PB is missing"

# The queue: a loop device, its settings put back at exit.
QDEV=$(mkloop 64) || exit $?
QN=${QDEV#/dev/}
keep_queue "$QN"
d0=$(depth "$QN")
d1=$((d0 == 64 ? 32 : 64))
# The ext4: another loop device, mounted in this namespace only.
EDEV=$(mkloop 64) || exit $?
mkext4 "$EDEV"
MNT=$WORK/mnt
mountat "$EDEV" "$MNT"
c0=$(live "$EDEV" commit)
c1=$((c0 == 17 ? 19 : 17))
s0=$orig
s1=$((s0 == 13 ? 14 : 13))
SAVE=$WORK/save
RC=100
note "queue $QN depth $d0 -> $d1, $MNT commit $c0 -> $c1, swappiness $s0 -> $s1"

# Ansible's files under $WORK, Debian's python for the modules (a pyenv
# python3 may come first in PATH), no config file of the host's.
export HOME=$WORK/home ANSIBLE_HOME=$WORK/home/.ansible
export ANSIBLE_LOCAL_TEMP=$WORK/home/tmp ANSIBLE_REMOTE_TEMP=$WORK/home/rtmp
export ANSIBLE_CONFIG=$WORK/ansible.cfg ANSIBLE_NOCOLOR=1
export ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
export LC_ALL=C.UTF-8
mkdir -p "$HOME"
: >"$ANSIBLE_CONFIG"
cd "$WORK" || fail "cd $WORK"

# play NAME [ARGS...]: ansible-playbook -v on the playbook, its output in
# $WORK/NAME.log; then $WORK/NAME.json holds {"changed": N, "failed": N,
# "tasks": [[TASK, STATUS, RESULT], ...]} read from that output.
play() {
	local name=$1 rc
	shift
	ansible-playbook -v -c local -i localhost, \
		-e ctl_become=false -e "ctl_bin=$B/" -e "ctl_save_dir=$SAVE" \
		-e "ctl_changed_rc=$RC" \
		-e "ctl_queue_device=$QDEV" -e "ctl_queue_depth=$d1" \
		-e "ctl_mountpoint=$MNT" -e "ctl_commit=$c1" \
		-e "ctl_swappiness=$s1" \
		"$@" "$PB" >"$WORK/$name.log" 2>&1
	rc=$?
	"$FLEET_PY" - "$WORK/$name.log" >"$WORK/$name.json" <<'PY' ||
import json, re, sys
tasks, task, recap = [], None, None
for line in open(sys.argv[1]):
    m = re.match(r'(TASK|RUNNING HANDLER) \[(.*)\]', line)
    if m:
        task = m.group(2)
        continue
    m = re.match(r'(ok|changed|skipping|failed|fatal): \[localhost\](?: => (\{.*\}))?$', line.rstrip('\n'))
    if m and task is not None:
        res = json.loads(m.group(2)) if m.group(2) else {}
        tasks.append([task, m.group(1), res])
        continue
    m = re.match(r'localhost\s*:\s*(.*)', line)
    if m:
        recap = dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', m.group(1)))
if recap is None:
    sys.exit('no PLAY RECAP line')
print(json.dumps({'changed': recap['changed'], 'failed': recap['failed'], 'tasks': tasks}))
PY
		{ cat "$WORK/$name.log" >&2; fail "$name: cannot read the output"; }
	[ "$rc" = 0 ] || { cat "$WORK/$name.log" >&2; fail "$name: ansible-playbook exited $rc"; }
}
# holds NAME EXPR...: each python EXPR holds over $WORK/NAME.json as d,
# with s(TASK) the status of the task whose name starts with TASK and
# r(TASK) its result, c(TASK) its command as a list.
holds() {
	local name=$1
	shift
	"$FLEET_PY" - "$WORK/$name.json" "$@" <<'PY' || { cat "$WORK/$name.log" >&2; fail "$name: see above"; }
import json, sys
d = json.load(open(sys.argv[1]))
def find(t):
    hits = [x for x in d['tasks'] if x[0].startswith(t)]
    assert len(hits) == 1, 'task %r: %d results' % (t, len(hits))
    return hits[0]
s = lambda t: find(t)[1]
r = lambda t: find(t)[2]
c = lambda t: r(t)['cmd'] if isinstance(r(t)['cmd'], list) else r(t)['cmd'].split()
for e in sys.argv[2:]:
    if not eval(e):
        sys.exit('does not hold: %s\n%s' % (e, json.dumps(d, indent=1)))
PY
}
# now D C S: the queue depth, the live commit interval and vm.swappiness
# are D, C and S.
now() {
	[ "$(depth "$QN")" = "$1" ] || fail "$QN: depth $(depth "$QN"), want $1"
	[ "$(live "$EDEV" commit)" = "$2" ] ||
		fail "$MNT: commit $(live "$EDEV" commit), want $2"
	[ "$(swp)" = "$3" ] || fail "swappiness $(swp), want $3"
}
Q_=Queue J_=Commit S_=Swappiness

# The example variables parse with the playbook, and each is one the
# playbook reads.
VARS=$TOP/docs/ansible/ctl-tuning.vars.yml
ansible-playbook --syntax-check -i localhost, -e "@$VARS" "$PB" \
	>"$WORK/syntax.log" 2>&1 || { cat "$WORK/syntax.log" >&2; fail "syntax check"; }
"$FLEET_PY" - "$VARS" "$PB" <<'PY' || fail "$VARS: see above"
import sys, yaml
names = yaml.safe_load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
for n in names:
    assert n in text, '%s is not read by %s' % (n, sys.argv[2])
PY

# --- check mode first: the tools asked with --dry-run, nothing changed ---
play check1 --check
holds check1 "d['changed'] > 0" "d['failed'] == 0" \
	"s('$Q_') == s('$J_') == s('$S_') == 'changed'" \
	"all('--dry-run' in r(t)['cmd'] for t in ('$Q_', '$J_', '$S_'))" \
	"all('--save' not in r(t)['cmd'] for t in ('$Q_', '$J_', '$S_'))" \
	"all(r(t)['rc'] == $RC for t in ('$Q_', '$J_', '$S_'))"
now "$d0" "$c0" "$s0"
[ ! -e "$SAVE" ] || { ls -la "$SAVE" >&2; fail "--check wrote $SAVE"; }

# --- run 1: applied, save files written ---
play run1
holds run1 "d['changed'] > 0" "d['failed'] == 0" \
	"s('$Q_') == s('$J_') == s('$S_') == 'changed'" \
	"all('--dry-run' not in r(t)['cmd'] for t in ('$Q_', '$J_', '$S_'))" \
	"c('$S_')[-2:] == ['--save', '$SAVE/swapadj.save']"
now "$d1" "$c1" "$s1"
for f in qdepth.save jcommit.save swapadj.save; do
	[ -s "$SAVE/$f" ] || fail "run 1 wrote no $SAVE/$f"
	cp "$SAVE/$f" "$WORK/run1.$f"
done
# swapadj's own save file, with the value from before.
[ "$(head -n 1 "$SAVE/swapadj.save")" = "# swapadj save file v1" ] ||
	fail "swapadj.save: $(cat "$SAVE/swapadj.save")"
grep -qx "swappiness $s0" "$SAVE/swapadj.save" ||
	fail "swapadj.save does not hold swappiness $s0: $(cat "$SAVE/swapadj.save")"
# saved WHEN: each save file is as run 1 wrote it (WHEN names the step).
saved() {
	local f
	for f in qdepth.save jcommit.save swapadj.save; do
		cmp -s "$SAVE/$f" "$WORK/run1.$f" ||
			fail "$1: $SAVE/$f changed since run 1: $(cat "$SAVE/$f")"
	done
}

# --- run 2: nothing to change ---
play run2
holds run2 "d['changed'] == 0" "d['failed'] == 0" \
	"s('$Q_') == s('$J_') == s('$S_') == 'ok'" \
	"all(r(t)['rc'] == 0 for t in ('$Q_', '$J_', '$S_'))"
now "$d1" "$c1" "$s1"
# The save files still hold the values from before run 1.
saved run2
# --check after it: nothing would change either.
play check2 --check
holds check2 "d['changed'] == 0" "d['failed'] == 0" \
	"s('$Q_') == s('$J_') == s('$S_') == 'ok'" \
	"all('--dry-run' in r(t)['cmd'] for t in ('$Q_', '$J_', '$S_'))"
now "$d1" "$c1" "$s1"
saved check2

# --- the handlers: --tags restore, in check mode first ---
play check3 --check --tags restore
holds check3 "d['failed'] == 0" \
	"s('Restore the queue') == s('Restore the commit') == s('Restore the swappiness') == 'changed'" \
	"all('--dry-run' in r(t)['cmd'] for t in ('Restore the queue', 'Restore the commit', 'Restore the swappiness'))" \
	"c('Restore the swappiness')[1:2] + c('Restore the swappiness')[-1:] == ['restore', '$SAVE/swapadj.save']"
now "$d1" "$c1" "$s1"
play restore1 --tags restore
holds restore1 "d['failed'] == 0" \
	"s('Restore the queue') == s('Restore the commit') == s('Restore the swappiness') == 'changed'" \
	"all('--dry-run' not in r(t)['cmd'] for t in ('Restore the queue', 'Restore the commit', 'Restore the swappiness'))"
now "$d0" "$c0" "$s0"
# The tools leave their save files after a restore.
saved restore1
# Restored already: the handlers change nothing (the task that calls
# them always counts as one change).
play restore2 --tags restore
holds restore2 "d['failed'] == 0" "d['changed'] == 1" \
	"s('Restore the queue') == s('Restore the commit') == s('Restore the swappiness') == 'ok'"
now "$d0" "$c0" "$s0"
# The tasks of a normal run did not run under --tags restore.
grep -q 'TASK \[Queue depth' "$WORK/restore1.log" &&
	fail "--tags restore ran the queue task"
exit 0
