#!/bin/sh
# twokey audit emergencies [--overdue] [--format text|json|csv]
# (docs/audit.md, "Emergencies"): after real emergency pushes (one
# ratified by notes, one pending, one overdue past a 1m deadline that the
# test waits out), every format lists exactly what happened, with the times
# the audit log recorded; --overdue lists the overdue only and exits 1, 0
# once it is ratified.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in bob olga; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {reviewer: approves, operations: on call}
identities:
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  olga: {emails: [olga@example.com], logins: [olga], keys: ["$(pub olga)"], roles: [operations]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
rules:
  - name: mainline
    refs: refs/heads/main
    approvals: {min: 1, from: [reviewer]}
    emergency: {by: [operations], waive: [approvals], ratify: {within: 1m}}
  - name: others
    refs: refs/heads/(staging|hotfix)
    approvals: {min: 1, from: [reviewer]}
    emergency: {by: [operations], waive: [approvals], ratify: {within: 24h}}
EOF

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" olga@example.com "base"
base=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
for b in main staging hotfix; do git -C "$srv" update-ref refs/heads/$b "$base"; done
commit_as "$w" olga@example.com "fix a"
ca=$(head_of "$w")
accepted "emergency A on main" olga "$w" origin -o "twokey.emergency=INC-1 db, down" HEAD:refs/heads/main
t0=$(date +%s)
git -C "$w" checkout -q -b s "$base"
commit_as "$w" olga@example.com "fix b"
cb=$(head_of "$w")
accepted "emergency B on staging" olga "$w" origin -o 'twokey.emergency=INC-2 "cache"' HEAD:refs/heads/staging
git -C "$w" checkout -q -b h "$base"
commit_as "$w" olga@example.com "fix c"
cc=$(head_of "$w")
accepted "emergency C on hotfix" olga "$w" origin -o "twokey.emergency=INC-3 <disk>" HEAD:refs/heads/hotfix
note_approve bob bob bob@example.com "$w" "$cb"
accepted "bob ratifies B" bob "$w" origin "$NOTES"
sleep $((62 - ($(date +%s) - t0)))

# The expected rows, from the audit log's own times.
python3 - "$LOG" "$srv" "$base" "$ca" "$cb" "$cc" >"$TRASH/expected.json" <<'EOF'
import json, sys
log, srv, base, ca, cb, cc = sys.argv[1:]
recs = [json.loads(l) for l in open(log)]
em = [r for r in recs if 'emergency' in r]
rat = [r for r in recs if 'ratified' in r]
assert len(em) == 3 and len(rat) == 1, (len(em), len(rat))
def row(r, ref, new, status, by='', at=''):
    return {'time': r['time'], 'pusher': 'olga', 'reason': r['emergency']['reason'],
            'repository': srv + '/', 'ref': ref, 'old': base, 'new': new, 'commits': new,
            'waived': 'approvals', 'ratify_by': r['emergency']['ratify_by'],
            'status': status, 'ratified_by': by, 'ratified_at': at}
print(json.dumps([row(em[0], 'refs/heads/main', ca, 'overdue'),
                  row(em[1], 'refs/heads/staging', cb, 'ratified', 'bob', rat[0]['time']),
                  row(em[2], 'refs/heads/hotfix', cc, 'pending')]))
EOF

"$TK_BIN/twokey" audit emergencies --format json >"$TRASH/em.json"
check "json: exit 0 without --overdue" test $? -eq 0
check "json: every emergency, exactly" python3 - "$TRASH/em.json" "$TRASH/expected.json" "$LOG" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))
assert got['emergencies'] == want, json.dumps(got['emergencies'], indent=1)
assert got['header']['state'] == sys.argv[3] + '.emergencies', got['header']
assert got['header']['totals'] == '3 emergencies: 1 ratified, 1 pending, 1 overdue', got['header']
EOF

"$TK_BIN/twokey" audit emergencies --format csv >"$TRASH/em.csv"
check "csv: every emergency, exactly" python3 - "$TRASH/em.csv" "$TRASH/expected.json" <<'EOF'
import csv, json, sys
want = json.load(open(sys.argv[2]))
rows = list(csv.reader(open(sys.argv[1], newline='')))
cols = ['time', 'pusher', 'reason', 'repository', 'ref', 'old', 'new', 'commits', 'waived',
        'ratify_by', 'status', 'ratified_by', 'ratified_at']
assert rows[0] == ['section'] + cols, rows[0]
assert rows[1:] == [['emergencies'] + [w[c] for c in cols] for w in want], rows
EOF

"$TK_BIN/twokey" audit emergencies >"$TRASH/em.txt"
check "text: every emergency, exactly" python3 - "$TRASH/em.txt" "$TRASH/expected.json" "$LOG" <<'EOF'
import json, sys
want = json.load(open(sys.argv[2]))
got = open(sys.argv[1]).read().splitlines()
exp = ['twokey audit emergencies', 'state    %s.emergencies' % sys.argv[3]]
assert got[:2] == exp, got[:2]
assert got[2].startswith('now      ') and got[3] == 'totals   3 emergencies: 1 ratified, 1 pending, 1 overdue', got[2:4]
body = ['', '== Emergencies (3)']
for w in want:
    body.append('')
    for k in ['time', 'pusher', 'reason', 'repository', 'ref', 'old', 'new', 'commits', 'waived',
              'ratify_by', 'status', 'ratified_by', 'ratified_at']:
        body.append(('  %-11s %s' % (k, w[k] or '-')))
assert got[4:] == body, '\n'.join(got[4:])
EOF

"$TK_BIN/twokey" audit emergencies --overdue --format csv >"$TRASH/over.csv"
check "--overdue: exit 1 when one is overdue" test $? -eq 1
check "--overdue: lists that one only" python3 - "$TRASH/over.csv" "$TRASH/expected.json" <<'EOF'
import csv, json, sys
want = json.load(open(sys.argv[2]))
rows = list(csv.reader(open(sys.argv[1], newline='')))
assert len(rows) == 2 and rows[1][1] == want[0]['time'] and rows[1][11] == 'overdue', rows
EOF
# --- the evidence report and the statistics say the same ------------------------------
"$TK_BIN/twokey" audit report --format json >"$TRASH/report.json"
"$TK_BIN/twokey" audit stats --format json >"$TRASH/stats.json"
check "audit report and stats: the ratified column, exactly" python3 - "$TRASH/report.json" \
	"$TRASH/stats.json" "$TRASH/expected.json" "$LOG" <<'EOF'
import calendar, json, sys, time
rep = json.load(open(sys.argv[1]))
st = json.load(open(sys.argv[2]))
want = json.load(open(sys.argv[3]))
def t(s): return calendar.timegm(time.strptime(s, '%Y-%m-%dT%H:%M:%SZ'))
def after(s):
    return '%ds' % s if s < 60 else '%dh %dm' % (s // 3600, s % 3600 // 60)
exp = {want[0]['new']: 'overdue since ' + want[0]['ratify_by'],
       want[1]['new']: 'ratified by bob at %s (after %s)' % (want[1]['ratified_at'],
           after(t(want[1]['ratified_at']) - t(want[1]['time']))),
       want[2]['new']: 'pending (ratify by %s)' % want[2]['ratify_by']}
rows = {r['commit']: r for r in rep['landed'] if r['emergency']}
assert {c: r['ratified'] for c, r in rows.items()} == exp, rows
assert rows[want[1]['new']]['emergency'] == 'INC-2 "cache" (waived: approvals; ratify by %s)' % want[1]['ratify_by']
assert all(r['ratified'] == '' for r in rep['landed'] if not r['emergency'])
assert rep['header']['totals'].endswith('; 3 emergencies'), rep['header']
em = st['emergencies']
assert [(e['ref'], e['ratified']) for e in em] == [('refs/heads/main', exp[want[0]['new']]),
    ('refs/heads/staging', exp[want[1]['new']]), ('refs/heads/hotfix', exp[want[2]['new']])], em
EOF
note_approve bob bob bob@example.com "$w" "$ca"
accepted "bob ratifies A" bob "$w" origin "$NOTES"
"$TK_BIN/twokey" audit emergencies --overdue >"$TRASH/over.txt"
check "--overdue: exit 0 once ratified" test $? -eq 0
check "...and lists none" grep -qx "totals   3 emergencies: 2 ratified, 1 pending, 0 overdue (only the overdue are listed)" "$TRASH/over.txt"
check "--overdue with a filter is a usage error" sh -c \
	"'$TK_BIN/twokey' audit emergencies --ref main >/dev/null 2>&1; test \$? -eq 2"
check "--format html is not offered" sh -c \
	"'$TK_BIN/twokey' audit emergencies --format html >/dev/null 2>&1; test \$? -eq 2"
done_testing
