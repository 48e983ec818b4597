# SPDX-License-Identifier: GPL-2.0-or-later
# Checks of output that fleet tooling consumes (issue 13), for tests that
# source this after lib.sh:
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/lib-fleet.sh"
# Each check runs the consumer's own parser (python3's json,
# prometheus_client's text parser, sh's eval) and fails the test with
# what is wrong.

# Debian's python3: python3-prometheus-client is installed for it, and a
# python3 earlier in PATH (pyenv) may not have the module.
FLEET_PY=${FLEET_PY:-/usr/bin/python3}

# need_fleet_py: skip unless python3 and prometheus_client are there
# (make deps installs python3-prometheus-client).
need_fleet_py() {
	[ -x "$FLEET_PY" ] || skip "$FLEET_PY is not installed"
	"$FLEET_PY" -c 'import prometheus_client.parser' 2>/dev/null ||
		skip "python3-prometheus-client is not installed"
}

# prom_check FILE [METRIC ...]: FILE is what node_exporter's textfile
# collector accepts: prometheus_client parses it; every metric has one
# "# HELP" and one "# TYPE" before its samples, which are together; names
# and label names are valid; no series twice; a final newline; mode 0644;
# no temp file left beside it. Each METRIC given has a sample.
prom_check() {
	local f=$1
	shift
	[ -f "$f" ] || fail "textfile $f: not written"
	[ "$(stat -c %a "$f")" = 644 ] || fail "textfile $f: mode $(stat -c %a "$f"), want 644"
	case $f in *.prom) ;; *) fail "textfile $f: not a .prom name" ;; esac
	if ls -A "$(dirname "$f")" | grep -q '\.tmp$'; then
		ls -lA "$(dirname "$f")" >&2
		fail "textfile $f: a temp file is left"
	fi
	"$FLEET_PY" - "$f" "$@" <<'EOF' || { cat "$f" >&2; fail "textfile $f: see above"; }
import re, sys
from prometheus_client.parser import text_string_to_metric_families
path, want = sys.argv[1], sys.argv[2:]
text = open(path).read()
assert text.endswith('\n'), 'no final newline'
name_re = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
label_re = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*$')
helps, types, done, cur = set(), set(), set(), None
for n, line in enumerate(text.split('\n')[:-1], 1):
    if line.startswith('# HELP ') or line.startswith('# TYPE '):
        kind, name = line[2:6], line.split(' ')[2]
        seen = helps if kind == 'HELP' else types
        assert name not in seen, f'line {n}: a second # {kind} {name}'
        assert name not in done, f'line {n}: {name} again after others'
        seen.add(name)
        if kind == 'TYPE':
            assert line.split(' ')[3] in ('gauge', 'counter', 'untyped'), line
        continue
    assert line and not line.startswith('#'), f'line {n}: {line!r}'
    name = re.match(r'[^{ ]*', line).group(0)
    assert name_re.match(name), f'line {n}: metric name {name!r}'
    assert name in helps and name in types, f'line {n}: {name} has no HELP/TYPE before it'
    if name != cur:
        assert name not in done, f'line {n}: samples of {name} not together'
        if cur:
            done.add(cur)
        cur = name
series = set()
found = set()
for fam in text_string_to_metric_families(text):
    for s in fam.samples:
        for l in s.labels:
            assert label_re.match(l) and not l.startswith('__'), f'label name {l!r}'
        key = (s.name, tuple(sorted(s.labels.items())))
        assert key not in series, f'series twice: {key}'
        series.add(key)
        found.add(s.name)
missing = [m for m in want if m not in found]
assert not missing, f'no sample of {missing}'
EOF
}

# prom_value FILE METRIC [LABEL=VALUE ...]: print the value of the one
# sample of METRIC whose labels include those given (an integer without
# ".0"; NaN, +Inf, -Inf as Prometheus spells them). None or several: fail.
prom_value() {
	"$FLEET_PY" - "$@" <<'EOF' || fail "prom_value $*"
import math, sys
from prometheus_client.parser import text_string_to_metric_families
path, metric = sys.argv[1], sys.argv[2]
want = dict(a.split('=', 1) for a in sys.argv[3:])
got = [s for f in text_string_to_metric_families(open(path).read())
       for s in f.samples
       if s.name == metric and all(s.labels.get(k) == v for k, v in want.items())]
if len(got) != 1:
    sys.exit(f'{len(got)} samples of {metric} {want} in {path}')
v = got[0].value
if math.isnan(v):
    print('NaN')
elif math.isinf(v):
    print('+Inf' if v > 0 else '-Inf')
elif v == int(v):
    print(int(v))
else:
    print(v)
EOF
}

# jsonl_check FILE [MIN_LINES]: every line of FILE is one JSON object (JSON
# Lines), at least MIN_LINES (1) of them; where a line has "time", it is
# RFC 3339 UTC with a fraction ("...T11:23:24.123456Z") and "timestamp" is
# a number for the same instant.
jsonl_check() {
	"$FLEET_PY" - "$1" "${2:-1}" <<'EOF' || { cat "$1" >&2; fail "JSON Lines $1: see above"; }
import datetime, json, re, sys
text = open(sys.argv[1]).read()
assert text.endswith('\n'), 'no final newline'
lines = text.split('\n')[:-1]
assert len(lines) >= int(sys.argv[2]), f'{len(lines)} lines'
for n, line in enumerate(lines, 1):
    o = json.loads(line)
    assert isinstance(o, dict), f'line {n}: not an object'
    if 'time' not in o:
        continue
    t = o['time']
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z', t), f'line {n}: time {t!r}'
    ts = o['timestamp']
    assert isinstance(ts, (int, float)) and not isinstance(ts, bool), f'line {n}: timestamp {ts!r}'
    d = datetime.datetime.strptime(t[:26] + 'Z' if len(t) > 27 else t, '%Y-%m-%dT%H:%M:%S.%fZ')
    d = d.replace(tzinfo=datetime.timezone.utc)
    assert abs(d.timestamp() - ts) < 0.001, f'line {n}: {t} is not {ts}'
EOF
}

# The start of json_get's and json_holds's python: d is FILE (argv[1])
# parsed, a document or, for JSON Lines, the list of its objects; num(v)
# is true for a JSON number (not a boolean); then $JSON_DEFS (python, a
# test's own names over d) runs.
_fleet_json_py='import json, os, sys
text = open(sys.argv[1]).read()
try:
    d = json.loads(text)
except json.JSONDecodeError:
    d = [json.loads(l) for l in text.splitlines()]
def num(v):
    return type(v) in (int, float)
exec(os.environ.get("JSON_DEFS", ""))
'

# json_get FILE EXPR: print, as JSON, EXPR (python, on the document d, or
# on the list of objects d for JSON Lines) so that types show: 64, "64",
# true, null. E.g. json_get "$WORK/out" 'd["devices"][0]["depth"]'.
json_get() {
	"$FLEET_PY" -c "$_fleet_json_py"'
print(json.dumps(eval(sys.argv[2])))' "$1" "$2" || fail "json_get $1 $2"
}

# json_holds FILE EXPR...: each EXPR (python over d, as json_get's, with
# num() and the names of $JSON_DEFS) is true; else fail with the first
# that is not, and FILE. E.g.
#   JSON_DEFS='rows = d["queues"]'
#   json_holds "$WORK/out" "len(rows) == 1" "rows[0]['depth'] == 64"
json_holds() {
	"$FLEET_PY" -c "$_fleet_json_py"'
for e in sys.argv[2:]:
    if not eval(e):
        sys.exit("does not hold: %s" % e)' "$@" || fail "JSON of $1: $(cat "$1")"
}

# pairs_check FILE: every line of -P output in FILE evals in sh into
# variables with names a shell takes, and can run nothing (no '$', '`'
# or '\' but \xHH escapes in a value).
pairs_check() {
	local l
	[ -s "$1" ] || fail "-P output $1 is empty"
	# Values as libsmartcols writes them: '"', '$', '`' and '\' as \xHH.
	grep -Evq '^([A-Za-z_][A-Za-z0-9_]*="([^"$`\\]|\\x[0-9a-fA-F]{2})*"( |$))+$' "$1" && {
		cat "$1" >&2
		fail "-P output $1: a name that is no shell variable, or a bad quote"
	}
	while IFS= read -r l; do
		sh -c 'set -eu; eval "$1"' _ "$l" || fail "-P line does not eval: $l"
	done <"$1"
}

# pairs_get FILE N VAR: eval line N of -P output FILE, print $VAR.
pairs_get() {
	sh -c 'eval "$1"; eval "printf %s \"\${$2-}\""' _ "$(sed -n "$2p" "$1")" "$3"
}
