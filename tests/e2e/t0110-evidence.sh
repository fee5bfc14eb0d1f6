#!/bin/sh
# Evidence for auditors (docs/audit.md), end to end: a month of real pushes
# (direct, through a clean merge, warn mode, refused, approved by detached
# approvals in refs/notes/twokey, an emergency and its ratification by
# notes, refused because the policy could not be loaded), then `twokey audit report` in every format
# with the exact rows expected, the HTML page opened in a real headless
# chromium and its table read back, --sign checked by ssh-keygen -Y
# verify, `audit reconcile` on the untouched repository (exit 0) and after
# `git update-ref` (exit 1, the commit named), `audit stats` totals
# cross-checked against the records, and every bad filter rejected (exit 2).
#
# The hooks stamp records with the real clock.  To spread the pushes over
# November 2026, the test then moves each record's time to a day of that
# month and recomputes the chain (as rec.py in t0030 does): every other
# byte is what the hooks wrote.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

unset SSH_CONNECTION SSH_CLIENT REMOTE_ADDR GITHUB_USER_IP GL_PROTOCOL \
	GITHUB_VIA GIT_PUSH_OPTION_COUNT
TK="$TK_BIN/twokey"
command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 1; }
command -v chromium >/dev/null || { echo "chromium is required (scripts/deps)" >&2; exit 1; }

for k in alice bob carol rita dave auditor; do mkkey $k ed25519; done
LOG="$TRASH/log/audit.jsonl"
mkdir -p "$TRASH/log"
write_policy "$TRASH/policy.yaml" <<EOF2
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  operations: deploys
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    keys: ["$(pub alice)"]
    roles: [developer]
  bob:
    emails: [bob@example.com]
    logins: [bob]
    keys: ["$(pub bob)"]
    roles: [reviewer]
  carol:
    emails: [carol@example.com]
    logins: [carol]
    keys: ["$(pub carol)"]
    roles: [reviewer]
  rita:
    emails: [rita@example.com]
    logins: [rita]
    keys: ["$(pub rita)"]
    roles: [reviewer, developer]
  dave:
    emails: [dave@example.com]
    logins: [dave]
    keys: ["$(pub dave)"]
    roles: [operations]
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [operations]
    create: [operations]
    approvals: {min: 2, from: [reviewer]}
    pusher-may-approve: false
    emergency:
      by: [operations]
      reason: 'INC-[0-9]+ .+'
      waive: [approvals]
      ratify: {within: 24h}
  - name: soft
    refs: 'refs/heads/soft/.+'
    approvals: {min: 1, from: [reviewer]}
    mode: warn
    # the same emergency path as main's, or main (whose path lifts
    # approvals) would no longer vouch for what soft/x is created at
    emergency: {by: [operations], waive: [approvals], ratify: {within: 24h}}
  - name: features
    refs: 'refs/heads/feature/.+'
audit:
  path: $LOG
EOF2
POLICY_SHA=$(sha256sum "$TWOKEY_CONFIG" | cut -d' ' -f1)
check "the policy is valid" sh -c '"$TK_BIN/twokey" config check "$TWOKEY_CONFIG" >/dev/null'

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
for r in bob carol rita; do reviewer $r $r@example.com "$w"; done

# approved WORKDIR-AUTHOR-EMAIL SUBJECT: a commit on HEAD approved by bob
# and carol (trailers added by its author); its id in $c.
approved() {
	commit_as "$w" "$1" "$2"
	c=$(head_of "$w")
	add_trailers "$w" "$1" "$(approve_tk bob bob "$c")" "$(approve_tk carol carol "$c")"
	c=$(head_of "$w")
}

# R1 (October): main created with an approved commit.
approved alice@example.com "first change"
c1=$c
expect_push accept "R1: main created" dave "$w" HEAD:refs/heads/main refs/heads/main "$c1"
# R2: a direct, approved change.
approved alice@example.com "direct change"
c2=$c
expect_push accept "R2: direct change" dave "$w" HEAD:refs/heads/main refs/heads/main "$c2"
# R3: refused, one approval short.
commit_as "$w" alice@example.com "half approved"
c3=$(head_of "$w")
add_trailers "$w" alice@example.com "$(approve_tk bob bob "$c3")"
c3=$(head_of "$w")
expect_push refuse "R3: one approval short" dave "$w" HEAD:refs/heads/main refs/heads/main "$c2"
# R4: a feature of two commits by alice, on an unprotected branch.
git -C "$w" checkout -q --detach "$c2"
commit_as "$w" alice@example.com "feature one"
f1=$(head_of "$w")
commit_as "$w" alice@example.com "feature two"
f2=$(head_of "$w")
expect_push accept "R4: feature branch" alice "$w" HEAD:refs/heads/feature/x refs/heads/feature/x "$f2"
# R5: rita merges it cleanly (--no-ff); bob and carol approve the merge.
git -C "$w" checkout -q --detach "$c2"
test_tick
git -C "$w" -c user.name=rita -c user.email=rita@example.com merge -q --no-ff \
	-m "Merge feature x" "$f2" >/dev/null 2>&1
m=$(head_of "$w")
add_trailers "$w" rita@example.com "$(approve_tk bob bob "$m")" "$(approve_tk carol carol "$m")"
m=$(head_of "$w")
expect_push accept "R5: clean merge by rita" dave "$w" HEAD:refs/heads/main refs/heads/main "$m"
# R6: warn mode: an unapproved commit on soft/x is accepted with warnings.
commit_as "$w" alice@example.com "soft change"
s1=$(head_of "$w")
expect_push accept "R6: warn mode" alice "$w" HEAD:refs/heads/soft/x refs/heads/soft/x "$s1"
# R7: a change approved by bob and carol in refs/notes/twokey (no rewrite),
# the notes and main in one push.
git -C "$w" checkout -q --detach "$m"
commit_as "$w" alice@example.com "approved in notes"
n1=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$n1"
note_approve carol carol carol@example.com "$w" "$n1"
accepted "R7: notes approvals and main in one push" dave "$w" origin \
	"$NOTES" HEAD:refs/heads/main
check "R7: main at n1" ref_is "$srv" refs/heads/main "$n1"
# R8: at night, dave lands an unapproved fix as an emergency.
commit_as "$w" alice@example.com "hotfix: restore the config"
e1=$(head_of "$w")
accepted "R8: an emergency" dave "$w" origin \
	-o "twokey.emergency=INC-42 config lost" HEAD:refs/heads/main
check "R8: main at e1" ref_is "$srv" refs/heads/main "$e1"
# R9: in the morning bob and carol ratify it with notes.
note_approve bob bob bob@example.com "$w" "$e1"
note_approve carol carol carol@example.com "$w" "$e1"
accepted "R9: the ratifying notes" bob "$w" origin "$NOTES"
check "R9: the record says e1 is ratified" audit_last "$LOG" \
	"r['ratified'][0]['new'] == '$e1'" "r['ratified'][0]['by'] == 'bob, carol'"
# R10: the policy breaks; the push is refused and recorded in the same log.
git -C "$w" checkout -q --detach "$e1"
approved alice@example.com "late november change"
c4=$c
cp "$TWOKEY_CONFIG" "$TRASH/policy.good"
printf 'rules: [\n' >>"$TWOKEY_CONFIG"
BROKEN_SHA=$(sha256sum "$TWOKEY_CONFIG" | cut -d' ' -f1)
expect_push refuse "R10: policy cannot be loaded" dave "$w" HEAD:refs/heads/main refs/heads/main "$e1"
check "the repository remembers where the last policy recorded" \
	grep -qx "path $LOG" "$srv/twokey-audit-state"
cp "$TRASH/policy.good" "$TWOKEY_CONFIG"
# R11 (30 November, late): c4 lands.
expect_push accept "R11: end of November" dave "$w" HEAD:refs/heads/main refs/heads/main "$c4"
# R12 (December): c5 lands.
approved alice@example.com "december change"
c5=$c
expect_push accept "R12: December" dave "$w" HEAD:refs/heads/main refs/heads/main "$c5"

check "12 records" test "$(wc -l <"$LOG")" -eq 12
check "the chain verifies" sh -c "'$TK' audit verify '$LOG' >/dev/null"

# --- the records themselves ----------------------------------------------
cat >"$TRASH/rec.py" <<'PY'
import hashlib, json, sys
log = sys.argv[1]
rs = [json.loads(l) for l in open(log)]
def expect(cond, what):
    if not cond:
        print('# false: %s' % what); sys.exit(1)
cmd = sys.argv[2]
if cmd == 'fields':
    good, broken, c2, m, f1, f2, n1, e1 = sys.argv[3:11]
    for i, r in enumerate(rs):
        expect(r['policy'] == (broken if i == 9 else good), 'policy of R%d' % (i + 1))
    r10 = rs[9]
    expect(r10['decision'] == 'refused' and r10['error'].startswith('the policy cannot be used: '), 'R10 error')
    expect(r10['refs'][0]['ref'] == 'refs/heads/main' and r10['refs'][0]['decision'] == 'refused', 'R10 ref')
    r7 = {u['ref']: u for u in rs[6]['refs']}
    expect(sorted(r7) == ['refs/heads/main', 'refs/notes/twokey'], 'R7 refs')
    cn = r7['refs/heads/main']['commits'][0]
    expect(cn['id'] == n1 and [(a['identity'], a['via']) for a in cn['approvers']] == [('bob', 'note'), ('carol', 'note')], 'R7 via note %r' % cn)
    r8 = rs[7]
    expect(r8['decision'] == 'accepted' and r8['emergency']['reason'] == 'INC-42 config lost' and r8['emergency']['waived'] == ['approvals'], 'R8 emergency')
    expect(r8['refs'][0]['commits'][0]['id'] == e1 and r8['refs'][0]['commits'][0]['approvers'] == [], 'R8 unapproved')
    r9 = rs[8]
    expect(r9['pusher']['identity'] == 'bob' and r9['refs'][0]['ref'] == 'refs/notes/twokey', 'R9 notes push')
    expect(r9['ratified'][0]['new'] == e1 and r9['ratified'][0]['ref'] == 'refs/heads/main' and r9['ratified'][0]['pusher'] == 'dave', 'R9 ratified %r' % r9.get('ratified'))
    cm = rs[1]['refs'][0]['commits'][0]
    expect(cm['id'] == c2 and [a['via'] for a in cm['approvers']] == ['trailer', 'trailer'], 'R2 via')
    cs = {c['id']: c for c in rs[4]['refs'][0]['commits']}
    mm = cs[m]
    expect(mm['writers'] == ['alice'], 'merge writers %r' % mm['writers'])
    expect(mm['merge'] == {'kind': 'clean', 'brings': 2, 'merged_by': ['rita']}, 'merge %r' % mm.get('merge'))
    for f in (f1, f2):
        expect(cs[f]['covered_by'] == m, 'covered_by')
        expect([a['via'] for a in cs[f]['approvers']] == ['covered by merge ' + m] * 2, 'covered via')
        expect([a['identity'] for a in cs[f]['approvers']] == ['bob', 'carol'], 'covered ids')
    soft = rs[5]['refs'][0]
    expect(soft['mode'] == 'warn' and soft['warned'] is True and soft['decision'] == 'accepted', 'warn')
elif cmd == 'retime':
    # Moves record i to times[i], recomputing prev and hash (no HMAC here).
    # An emergency's ratify_by moves with it, and a later record's
    # "ratified" names the emergency by its new time.
    import calendar, time
    times = sys.argv[3:]
    secs = lambda t: calendar.timegm(time.strptime(t, '%Y-%m-%dT%H:%M:%SZ'))
    stamp = lambda x: time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(x)).encode()
    moved = {}
    prev, out = '0' * 64, []
    for i, raw in enumerate(open(log, 'rb').read().split(b'\n')[:-1]):
        r = json.loads(raw)
        old = r['time'].encode()
        body = raw[:raw.rindex(b',"prev":"')].replace(b'"time":"' + old + b'"', b'"time":"' + times[i].encode() + b'"', 1)
        if r.get('emergency'):
            by = r['emergency']['ratify_by']
            body = body.replace(b'"ratify_by":"' + by.encode() + b'"', b'"ratify_by":"' + stamp(secs(times[i]) + secs(by) - secs(r['time'])) + b'"', 1)
            moved[old] = times[i].encode()
        for x in r.get('ratified', []):
            e = x['emergency'].encode()
            body = body.replace(b'{"emergency":"' + e + b'"', b'{"emergency":"' + moved[e] + b'"', 1)
        body += b',"prev":"' + prev.encode() + b'"'
        h = hashlib.sha256(body + b'}').hexdigest()
        out.append(body + b',"hash":"' + h.encode() + b'"}\n')
        prev = h
    open(log, 'wb').write(b''.join(out))
    open(log + '.head', 'w').write(prev + '\n')
elif cmd == 'hash':
    print(rs[int(sys.argv[3])]['hash'])
PY
rec() { python3 "$TRASH/rec.py" "$LOG" "$@"; }
check "records: policy hash, unloadable policy, via, clean merge, covered, warn" \
	rec fields "$POLICY_SHA" "$BROKEN_SHA" "$c2" "$m" "$f1" "$f2" "$n1" "$e1"
rec retime 2026-10-30T09:00:00Z 2026-11-02T10:00:00Z 2026-11-03T11:00:00Z \
	2026-11-04T12:00:00Z 2026-11-05T13:00:00Z 2026-11-06T14:00:00Z \
	2026-11-09T10:00:00Z 2026-11-12T03:00:00Z 2026-11-12T09:00:00Z \
	2026-11-14T15:00:00Z 2026-11-30T23:30:00Z 2026-12-01T00:00:00Z
check "the retimed chain verifies" sh -c "'$TK' audit verify '$LOG' >/dev/null"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do eval "h$i=\$(rec hash $((i - 1)))"; done

# --- audit report, every format, exact rows ----------------------------------
R="$TK audit report --ref main --since 2026-11 --until 2026-11"
$R --format csv "$LOG" >"$TRASH/rep.csv"
check "report csv: exit 0" test $? -eq 0
S=$srv/
AP="bob (reviewer) via trailer; carol (reviewer) via trailer"
CV="bob (reviewer) covered by merge $m; carol (reviewer) covered by merge $m"
NP="bob (reviewer) via note; carol (reviewer) via note"
EM="INC-42 config lost (waived: approvals; ratify by 2026-11-13T03:00:00Z)"
RA="ratified by bob, carol at 2026-11-12T09:00:00Z (after 6h 0m)"
WM="alice (clean merge of 2 commits: its writers are the writers of what it brings in; merged by rita)"
cat >"$TRASH/want.csv" <<EOF2
"section","time","repository","ref","commit","subject","author","writers","approvers","pusher","rule","policy","mode","emergency","ratified","record","reason"
"landed","2026-11-02T10:00:00Z","$S","refs/heads/main","$c2","direct change","alice@example.com","alice","$AP","dave","mainline","$POLICY_SHA","enforce","","","$h2",""
"landed","2026-11-05T13:00:00Z","$S","refs/heads/main","$m","Merge feature x","rita@example.com","$WM","$AP","dave","mainline","$POLICY_SHA","enforce","","","$h5",""
"landed","2026-11-05T13:00:00Z","$S","refs/heads/main","$f2","feature two","alice@example.com","alice","$CV","dave","mainline","$POLICY_SHA","enforce","","","$h5",""
"landed","2026-11-05T13:00:00Z","$S","refs/heads/main","$f1","feature one","alice@example.com","alice","$CV","dave","mainline","$POLICY_SHA","enforce","","","$h5",""
"landed","2026-11-09T10:00:00Z","$S","refs/heads/main","$n1","approved in notes","alice@example.com","alice","$NP","dave","mainline","$POLICY_SHA","enforce","","","$h7",""
"landed","2026-11-12T03:00:00Z","$S","refs/heads/main","$e1","hotfix: restore the config","alice@example.com","alice","","dave","mainline","$POLICY_SHA","enforce","$EM","$RA","$h8",""
"landed","2026-11-30T23:30:00Z","$S","refs/heads/main","$c4","late november change","alice@example.com","alice","$AP","dave","mainline","$POLICY_SHA","enforce","","","$h11",""
"refused","2026-11-03T11:00:00Z","$S","refs/heads/main","","","","","","dave","mainline","$POLICY_SHA","","","","$h3","commit $(echo $c3 | cut -c1-12): not approved: needs 1 more approval; counted: bob (reviewer)"
"refused","2026-11-14T15:00:00Z","$S","refs/heads/main","","","","","","unknown","","$BROKEN_SHA","","","","$h10","@@R10@@"
EOF2
r10=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[9])["error"])' "$LOG")
sed -i "s|@@R10@@|$r10|" "$TRASH/want.csv"
check "report csv: exactly the expected rows" sh -c "diff -u '$TRASH/want.csv' '$TRASH/rep.csv' | sed 's/^/#   /'; cmp -s '$TRASH/want.csv' '$TRASH/rep.csv'"

$R --format json "$LOG" >"$TRASH/rep.json"
check "report json: the same rows as the csv, and a header" python3 - "$TRASH/rep.json" "$TRASH/rep.csv" "$h8" <<'PY'
import csv, json, sys
j = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
for sec in ('landed', 'refused'):
    want = [{k: v for k, v in r.items() if k != 'section' and (sec == 'refused' or k != 'reason')}
            for r in rows if r['section'] == sec]
    got = j[sec]
    if sec == 'refused':
        got = [{**r, **{k: '' for k in ('commit', 'subject', 'author', 'writers', 'approvers', 'mode', 'emergency', 'ratified')}} for r in got]
    assert got == want, (sec, got, want)
h = j['header']
assert h['ref'] == 'refs/heads/main', h
assert h['period'] == 'from 2026-11-01T00:00:00Z (2026-11) to 2026-11-30T23:59:59Z (2026-11), inclusive', h
assert h['chain'].startswith('intact: verified up to record 12 of 12'), h
assert h['totals'] == '12 records read, 10 in the period and filters; 5 ref updates landed (7 rows, 0 warned), 2 refused; 1 emergencies', h
PY

$R --format text "$LOG" >"$TRASH/rep.txt"
check "report text: the header names the period, files and chain" sh -c "
	grep -q '^period  *from 2026-11-01T00:00:00Z (2026-11) to 2026-11-30T23:59:59Z (2026-11), inclusive$' '$TRASH/rep.txt' &&
	grep -q '^log files  *$LOG$' '$TRASH/rep.txt' &&
	grep -q '^chain  *intact: verified up to record 12 of 12' '$TRASH/rep.txt'"
check "report text: 7 landed, 2 refused" sh -c "
	grep -qx '== Changes that landed (7)' '$TRASH/rep.txt' &&
	grep -qx '== Refused ref updates (2)' '$TRASH/rep.txt' &&
	[ \$(grep -c '^  commit ' '$TRASH/rep.txt') -eq 7 ]"
check "report text: the emergency and its ratification" sh -c "
	grep -qxF '  emergency   $EM' '$TRASH/rep.txt' && grep -qxF '  ratified    $RA' '$TRASH/rep.txt'"
check "report text: the clean merge explains its writers" \
	grep -qF "  writers     $WM" "$TRASH/rep.txt"
check "report text: covered commits name the merge" \
	grep -qF "  approvers   $CV" "$TRASH/rep.txt"

# The whole month, every ref: the warn-mode push is marked.
"$TK" audit report --since 2026-11 --until 2026-11 --format csv "$LOG" >"$TRASH/all.csv"
check "report: warn mode marked on soft/x" sh -c \
	"grep '\"refs/heads/soft/x\"' '$TRASH/all.csv' | grep -q '\"warn, warned: findings not enforced\"'"
check "report: feature/x listed as a landed ref update" sh -c \
	"grep '\"refs/heads/feature/x\"' '$TRASH/all.csv' | grep -q '\"landed\"'"
check "report: --until 2026-11 excludes December, --since excludes October" sh -c \
	"! grep -q -e '$c5' -e '$c1' '$TRASH/all.csv'"

# --- HTML in a real browser --------------------------------------------------
$R --format html -o "$TRASH/rep.html" "$LOG"
check "report html: written" test -s "$TRASH/rep.html"
check "report html: self-contained (no external reference)" sh -c \
	"! grep -Eiq '(src|href)=|<script|@import|url\\(' '$TRASH/rep.html'"
timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom \
	"file://$TRASH/rep.html" >"$TRASH/dom.html" 2>"$TRASH/chromium.err"
check "chromium rendered the page" test -s "$TRASH/dom.html"
check "chromium: table#landed and table#refused hold the csv rows" python3 - "$TRASH/dom.html" "$TRASH/rep.csv" <<'PY'
import csv, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.tables = {}; self.cur = None; self.row = None; self.cell = None; self.tags = []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == 'table': self.cur = dict(attrs).get('id'); self.tables[self.cur] = []
        elif tag == 'tr' and self.cur: self.row = []
        elif tag in ('td', 'th') and self.row is not None: self.cell = ''
    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self.cell is not None: self.row.append(self.cell); self.cell = None
        elif tag == 'tr' and self.row is not None: self.tables[self.cur].append(self.row); self.row = None
        elif tag == 'table': self.cur = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
p = P(); p.feed(open(sys.argv[1]).read())
rows = list(csv.DictReader(open(sys.argv[2])))
for sec in ('landed', 'refused'):
    t = p.tables[sec]
    head, body = t[0], t[1:]
    want = [[r[k] for k in head] for r in rows if r['section'] == sec]
    assert body == want, (sec, body, want)
assert 'b' not in p.tags and 'script' not in p.tags, p.tags
PY

# Hostile text reaches the page as text: a subject with markup.
git -C "$w" checkout -q --detach "$c5"
approved alice@example.com '<b>bold</b> & <script>alert(1)</script>'
expect_push accept "a subject with markup lands" dave "$w" HEAD:refs/heads/main refs/heads/main "$c"
"$TK" audit report --ref main --since 2026-12-02 --format html -o "$TRASH/x.html" "$LOG"
timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom \
	"file://$TRASH/x.html" >"$TRASH/xdom.html" 2>>"$TRASH/chromium.err"
check "chromium: markup in a subject stays text" python3 - "$TRASH/xdom.html" <<'PY'
import sys
d = open(sys.argv[1]).read()
assert '&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;' in d, d
assert '<b>' not in d and '<script>' not in d
PY

# --- signed evidence ---------------------------------------------------------
$R --format csv -o "$TRASH/signed.csv" --sign "$KEYS/auditor" "$LOG"
check "--sign: exit 0, signature beside the report" test -s "$TRASH/signed.csv.sig"
check "--sign: the signed report is the same report" cmp -s "$TRASH/signed.csv" "$TRASH/rep.csv"
echo "auditor@example.com $(pub auditor)" >"$TRASH/allowed"
check "--sign: ssh-keygen -Y verify accepts it (namespace twokey-evidence)" sh -c \
	"ssh-keygen -Y verify -f '$TRASH/allowed' -I auditor@example.com -n twokey-evidence -s '$TRASH/signed.csv.sig' <'$TRASH/signed.csv' >/dev/null 2>&1"
sed 's/direct change/direct chance/' "$TRASH/signed.csv" >"$TRASH/forged.csv"
check "--sign: an edited report does not verify" sh -c \
	"! ssh-keygen -Y verify -f '$TRASH/allowed' -I auditor@example.com -n twokey-evidence -s '$TRASH/signed.csv.sig' <'$TRASH/forged.csv' >/dev/null 2>&1"
check "--sign: another namespace does not verify" sh -c \
	"! ssh-keygen -Y verify -f '$TRASH/allowed' -I auditor@example.com -n twokey-approval -s '$TRASH/signed.csv.sig' <'$TRASH/signed.csv' >/dev/null 2>&1"
"$TK" audit report --sign "$KEYS/auditor" "$LOG" >/dev/null 2>"$TRASH/err"
check "--sign without --output: exit 2" test $? -eq 2

# --- reconcile ----------------------------------------------------------------
"$TK" audit reconcile --log "$LOG" "$srv" >"$TRASH/rc.txt" 2>&1
check "reconcile: untouched repository, exit 0" sh -c "[ $? -eq 0 ] || { sed 's/^/#   /' '$TRASH/rc.txt'; false; }"
check "reconcile: main, feature/x, soft/x and the notes ref each ok" sh -c \
	"[ \$(grep -c '^  status      ok: every change has an accepted record' '$TRASH/rc.txt') -eq 4 ]"
"$TK" audit reconcile --log "$LOG" "$srv" main >/dev/null 2>&1
check "reconcile main: exit 0" test $? -eq 0
# A commit made on the server and put on main with update-ref, outside twokey.
tip=$(git -C "$srv" rev-parse refs/heads/main)
x=$(echo "sneaked in" | GIT_AUTHOR_NAME=m GIT_AUTHOR_EMAIL=m@example.com \
	GIT_COMMITTER_NAME=m GIT_COMMITTER_EMAIL=m@example.com \
	git -C "$srv" commit-tree -p "$tip" "$tip^{tree}")
git -C "$srv" update-ref refs/heads/main "$x"
"$TK" audit reconcile --log "$LOG" "$srv" main >"$TRASH/rc2.txt" 2>&1
check "reconcile after update-ref: exit 1" test $? -eq 1
check "reconcile names the commit" grep -q "$x sneaked in" "$TRASH/rc2.txt"
check "reconcile says from where to where" sh -c \
	"grep -q '^  from        $tip$' '$TRASH/rc2.txt' && grep -q '^  to          $x$' '$TRASH/rc2.txt'"
git -C "$srv" update-ref refs/heads/unlogged "$x"
"$TK" audit reconcile --log "$LOG" --format csv "$srv" >"$TRASH/rc3.csv" 2>&1
check "reconcile all refs: a ref no record names is reported" sh -c \
	"[ $? -eq 1 ] && grep -q '\"refs/heads/unlogged\".*no accepted record names this ref' '$TRASH/rc3.csv'"

# --- stats ----------------------------------------------------------------
"$TK" audit stats --format json "$LOG" >"$TRASH/stats.json"
check "stats: exit 0" test $? -eq 0
check "stats: totals and per-ref counts agree with the records" python3 - "$TRASH/stats.json" "$LOG" <<'PY'
import json, sys, collections
s = json.load(open(sys.argv[1]))
rs = [json.loads(l) for l in open(sys.argv[2])]
acc = sum(r['decision'] == 'accepted' for r in rs)
ups = [(r, f) for r in rs for f in r['refs']]
landed = [(r, f) for r, f in ups if r['decision'] == f['decision'] == 'accepted']
warned = sum(f['warned'] for r, f in landed)
want = ('%d records read, %d in the period and filters: %d pushes accepted, %d refused; '
        '%d ref updates: %d landed (%d warned in warn mode), %d refused; %d emergencies'
        % (len(rs), len(rs), acc, len(rs) - acc, len(ups), len(landed), warned, len(ups) - len(landed),
           sum(bool(r.get('emergency')) for r in rs)))
assert s['header']['totals'] == want, (s['header']['totals'], want)
c = collections.Counter((r['time'][:7], f['ref']) for r, f in ups)
got = {(m['month'], m['ref']): int(m['updates']) for m in s['months']}
assert got == dict(c), (got, c)
main_nov = [m for m in s['months'] if m['month'] == '2026-11' and m['ref'] == 'refs/heads/main'][0]
assert (main_nov['updates'], main_nov['accepted'], main_nov['refused'], main_nov['emergencies']) == ('7', '5', '2', '1'), main_nov
em = s['emergencies']
assert len(em) == 1 and em[0]['time'] == '2026-11-12T03:00:00Z' and em[0]['pusher'] == 'dave', em
assert em[0]['reason'] == 'INC-42 config lost' and em[0]['ratify_by'] == '2026-11-13T03:00:00Z', em
assert em[0]['ratified'] == 'ratified by bob, carol at 2026-11-12T09:00:00Z (after 6h 0m)', em
reasons = {(x['rule'], x['reason']): x['refusals'] for x in s['refusals']}
assert reasons == {('mainline', 'approvals'): '1', ('(no rule)', 'policy could not be loaded'): '1'}, reasons
PY
"$TK" audit stats --since 2026-11 --until 2026-11 --ref main --format csv "$LOG" >"$TRASH/stats.csv"
check "stats: November on main, csv" sh -c \
	"grep -q '^\"months\",\"2026-11\",\"$S\",\"refs/heads/main\",\"7\",\"5\",\"2\",\"0\",\"1\"' '$TRASH/stats.csv'"

# --- filters: every bad value is an error naming it (exit 2) ------------------
bad() {
	d=$1
	shift
	"$TK" audit "$@" "$LOG" >"$TRASH/bad.out" 2>"$TRASH/bad.err"
	st=$?
	check "rejected: $d (exit 2, named)" sh -c "[ $st -eq 2 ] && grep -qF -- \"\$1\" '$TRASH/bad.err' || { echo \"# exit $st\"; sed 's/^/#   /' '$TRASH/bad.err'; false; }" - "$BADNAME"
}
BADNAME=garbage bad "--since garbage" report --since garbage
BADNAME=2026-13 bad "--since 2026-13" report --since 2026-13
BADNAME=2026-02-30 bad "--until 2026-02-30" stats --until 2026-02-30
BADNAME=2026-11-01T25:00:00Z bad "an hour 25" report --since 2026-11-01T25:00:00Z
BADNAME=accept bad "--decision accept" show --decision accept
BADNAME=pdf bad "--format pdf" report --format pdf
BADNAME=html bad "stats --format html" stats --format html
BADNAME=nosuch bad "--ref nosuch" report --ref nosuch
BADNAME=elsewhere bad "--repo elsewhere" report --repo elsewhere
BADNAME=mallory bad "--pusher mallory" show --pusher mallory
BADNAME="ends before" bad "an empty period" report --since 2026-12 --until 2026-11
BADNAME=--bogus bad "an unknown option" report --bogus
check "good filters: --repo by name, --ref tags or heads, RFC 3339 with offset" sh -c "
	'$TK' audit report --repo srv --ref refs/heads/main --since 2026-11-30T23:00:00-01:00 '$LOG' >/dev/null"
"$TK" audit show --ref main --since 2026-11-05 --until 2026-11-05 "$LOG" >"$TRASH/show.txt"
check "show --ref main (short name) --since/--until one day" sh -c \
	"[ \$(wc -l <'$TRASH/show.txt') -eq 1 ] && grep -q '^2026-11-05T13:00:00Z accepted dave refs/heads/main ' '$TRASH/show.txt'"

done_testing
