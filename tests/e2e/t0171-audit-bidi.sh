#!/bin/sh
# Bidirectional controls in push text (docs/audit.md, "What a record
# holds"): a branch named refs/heads/<U+202E>niam shows as refs/heads/main
# wherever text is laid out right to left after it (a browser, a terminal
# with bidi support), and a subject can reorder itself the same way.
# With real pushes: the record writes U+061C, U+200E, U+200F,
# U+202A..U+202E and U+2066..U+2069 as \u escapes (the log holds none of
# their bytes, and JSON still reads them back); the text and CSV reports
# and the hook's own messages show '?' for them; the HTML report, opened in
# a real headless chromium, holds none of them in its cells.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "Bail out! python3 is required"; exit 1; }
command -v chromium >/dev/null || { echo "Bail out! chromium is required (scripts/deps)"; exit 1; }
unset SSH_CONNECTION REMOTE_ADDR GITHUB_USER_IP GIT_PUSH_OPTION_COUNT
TK="$TK_BIN/twokey"
LOG="$TRASH/log/audit.jsonl"
mkdir -p "$TRASH/log"
write_policy "$TRASH/policy.yaml" <<EOF2
version: 1
roles: {dev: writes code, reviewer: approves}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [dev]}
  bob: {emails: [bob@example.com], logins: [bob], roles: [reviewer]}
pusher: {env: [GL_USER]}
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [dev]
    create: [dev]
  - name: topics
    refs: 'refs/heads/.*'
    update: [dev]
    create: [dev]
    approvals: {min: 1, from: [reviewer]}
    mode: warn
audit:
  path: $LOG
EOF2

RLO=$(printf '\342\200\256')  # U+202E
LRI=$(printf '\342\201\246')  # U+2066
PDI=$(printf '\342\201\251')  # U+2069
ALM=$(printf '\330\234')      # U+061C
srv=$(new_server srv)
w=$(new_work w)
commit_as "$w" alice@example.com base
accepted "main" alice "$w" "$srv" HEAD:refs/heads/main
test_tick
echo x >"$w/x"
git -C "$w" add x
git -C "$w" -c user.name=alice -c user.email=alice@example.com \
	commit -q -m "Fix ${RLO}gol tidua${LRI} the ${ALM}isolate${PDI}"
accepted "a branch named refs/heads/<U+202E>niam (warn mode)" alice "$w" \
	"$srv" "HEAD:refs/heads/${RLO}niam"
# (git's own summary line, not the hook's, names the ref as it is)
check "...the hook's messages hold no bidirectional control" \
	sh -c "! grep '^remote:' '$TRASH/out' | grep -q '$RLO\\|$LRI\\|$PDI\\|$ALM'"
check "...and show it as ?" grep -q 'refs/heads/?niam' "$TRASH/out"

check "the log holds no bidirectional control's bytes" \
	sh -c "! grep -q '$RLO\\|$LRI\\|$PDI\\|$ALM' '$LOG'"
check "...it holds them as \\u escapes" \
	grep -q 'refs/heads/\\u202eniam' "$LOG"
check "...which JSON reads back" python3 - "$LOG" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
ref = recs[-1]['refs'][0]
assert ref['ref'] == 'refs/heads/\u202eniam', ref['ref']
assert ref['commits'][0]['subject'] == \
    'Fix \u202egol tidua\u2066 the \u061cisolate\u2069', ref['commits'][0]
EOF
check "the chain verifies" sh -c "'$TK' audit verify '$LOG' >/dev/null"

bidi_free() {
	! grep -q "$RLO\\|$LRI\\|$PDI\\|$ALM" "$1" || {
		echo "# $1 holds a bidirectional control"
		return 1
	}
}
"$TK" audit report "$LOG" >"$TRASH/rep.txt" 2>&1
check "report text: no bidirectional control" bidi_free "$TRASH/rep.txt"
check "report text: the ref shown with ?" grep -q 'refs/heads/?niam' "$TRASH/rep.txt"
"$TK" audit report --format csv "$LOG" >"$TRASH/rep.csv" 2>&1
check "report csv: no bidirectional control" bidi_free "$TRASH/rep.csv"
"$TK" audit show "$LOG" >"$TRASH/show.txt" 2>&1
check "show: no bidirectional control" bidi_free "$TRASH/show.txt"
"$TK" audit reconcile --log "$LOG" "$srv" >"$TRASH/rec.txt" 2>&1
check "reconcile: no bidirectional control" bidi_free "$TRASH/rec.txt"

"$TK" audit report --format html -o "$TRASH/rep.html" "$LOG"
check "report html: written" test -s "$TRASH/rep.html"
check "report html: no bidirectional control in the page" bidi_free "$TRASH/rep.html"
timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom \
	"file://$TRASH/rep.html" >"$TRASH/dom.html" 2>"$TRASH/chromium.err"
check "chromium rendered the page" test -s "$TRASH/dom.html"
check "chromium: the landed rows name main and ?niam, no control in any cell" \
	python3 - "$TRASH/dom.html" <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.cells = []; self.cell = None; self.table = None
    def handle_starttag(self, tag, attrs):
        if tag == 'table': self.table = dict(attrs).get('id')
        if tag == 'td': self.cell = ''
    def handle_endtag(self, tag):
        if tag == 'td' and self.cell is not None:
            self.cells.append((self.table, self.cell)); self.cell = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
p = P(); p.feed(open(sys.argv[1], encoding='utf-8').read())
bidi = set('\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069')
bad = [c for t, c in p.cells if bidi & set(c)]
assert not bad, bad
landed = [c for t, c in p.cells if t == 'landed']
assert 'refs/heads/?niam' in landed and 'refs/heads/main' in landed, landed
assert 'Fix ?gol tidua? the ?isolate?' in landed, landed
EOF

done_testing
