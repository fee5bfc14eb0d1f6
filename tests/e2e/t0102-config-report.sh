#!/bin/sh
# 'twokey config report --repo' on a real repository whose refs fall under
# several rules (and under none): the refs each rule governs (first match),
# the people (not roles) who may push and approve, the identities and
# their keys; as text, CSV, JSON (parsed by python3) and one HTML page
# that a real headless chromium opens (its DOM has the expected rows, and
# a branch named like markup stays text).
. "$(dirname "$0")/lib.sh"

TK="$TK_BIN/twokey"
mkdir -p "$TRASH/keys"
for p in bob carol dave; do
	ssh-keygen -q -t ed25519 -N '' -f "$TRASH/keys/$p" -C "$p@example.com"
done
P="$TRASH/policy.yaml"
cat >"$P" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  security: security sign-off
  operations: deploys
identities:
  alice: {name: Alice Liddell, logins: [alice], emails: [alice@example.com], roles: [developer]}
  bob:
    logins: [bob]
    emails: [bob@example.com]
    keys:
      - key: "$(cat "$TRASH/keys/bob.pub")"
        valid-before: 2030-01-01
    roles: [developer, reviewer, security]
  carol: {logins: [carol], emails: [carol@example.com], roles: [reviewer], keys: ["$(cat "$TRASH/keys/carol.pub")"]}
  dave: {logins: [dave, deploy-bot], emails: [dave@example.com], roles: [operations], keys: ["$(cat "$TRASH/keys/dave.pub")"]}
revoked-keys: ["$(cat "$TRASH/keys/carol.pub")"]
pusher: {env: [GL_USER]}
rules:
  - name: mainline
    refs: 'refs/heads/(main|release/.+)'
    update: [operations]
    delete: []
    approvals: {min: 2, from: [reviewer, security], require: {security: 1}}
  - name: release tags
    refs: 'refs/tags/v[0-9].*'
    create: [operations]
    update: []
  - name: branches
    refs: 'refs/heads/.+'
    force-push: [developer]
EOF
check "the policy passes config check" sh -c '"$1" config check "$2" >/dev/null 2>&1' - "$TK" "$P"

# A repository with refs under every rule, and one under none.
srv="$TRASH/srv.git"
git init -q --bare "$srv"
w=$(new_work w)
commit_as "$w" alice@example.com "base"
git -C "$w" tag v1.0
git -C "$w" push -q "$srv" HEAD:refs/heads/main HEAD:refs/heads/release/1.0 \
	HEAD:refs/heads/feature/x 'HEAD:refs/heads/<img/src=x/onerror=alert(1)>' \
	v1.0 HEAD:refs/notes/other 2>"$TRASH/push.err"
check "the repository has six refs" test "$(git -C "$srv" for-each-ref | wc -l)" -eq 6

# --- text -----------------------------------------------------------------------
"$TK" config report --repo "$srv" "$P" >"$TRASH/out" 2>&1
check "text: exit 0" test $? -eq 0
sect() { sed -n "/^$1\$/,/^\$/p" "$TRASH/out"; }
sect "rule 1: mainline" >"$TRASH/r1"
check "text: mainline governs main and release/1.0" \
	grep -q '^  governs:    refs/heads/main, refs/heads/release/1.0$' "$TRASH/r1"
check "text: mainline's update is dave (operations), by name" grep -q '^  update:     dave$' "$TRASH/r1"
check "text: mainline's delete is nobody" grep -q '^  delete:     nobody$' "$TRASH/r1"
check "text: approvers, per role, with the require minimum" sh -c \
	'grep -q "^  approve:    bob, carol (at least 2)$" "$1" && grep -q "^    as reviewer: bob, carol$" "$1" &&
	grep -q "^    as security: bob (at least 1 required)$" "$1"' - "$TRASH/r1"
sect "rule 2: release tags" >"$TRASH/r2"
check "text: release tags governs v1.0" grep -q '^  governs:    refs/tags/v1.0$' "$TRASH/r2"
check "text: tags: create dave, update nobody" sh -c \
	'grep -q "^  create:     dave$" "$1" && grep -q "^  update:     nobody$" "$1"' - "$TRASH/r2"
sect "rule 3: branches" >"$TRASH/r3"
check "text: branches governs feature/x and the markup-named branch (first match)" \
	grep -q '^  governs:    refs/heads/<img/src=x/onerror=alert(1)>, refs/heads/feature/x$' "$TRASH/r3"
check "text: branches' update is anyone" grep -q '^  update:     anyone (the rule does not restrict it)$' "$TRASH/r3"
check "text: branches' force-push is by person: alice, bob" grep -q '^  force-push: alice, bob$' "$TRASH/r3"
check "text: refs/notes/other falls under no rule" \
	grep -q '^  refs:       refs/notes/other$' "$TRASH/out"
fp() { ssh-keygen -lf "$TRASH/keys/$1.pub" | cut -d' ' -f2; }
re() { printf '%s\n' "$1" | sed 's/[][\.*^$(){}?+|/]/\\&/g'; }
check "text: bob's key with fingerprint, window and days left" grep -E -q \
	"^  key:        ssh-ed25519 $(re "$(fp bob)"), valid, - to 2030-01-01, [0-9]+ days left$" "$TRASH/out"
check "text: carol's key is revoked" grep -q \
	"^  key:        ssh-ed25519 $(fp carol), revoked, no expiry$" "$TRASH/out"
check "text: the revoked key, still listed by carol" grep -q \
	"^  key:        ssh-ed25519 $(fp carol) (still listed by carol)$" "$TRASH/out"
"$TK" config report --repo "$srv" "$P" >"$TRASH/out2" 2>&1
check "text: stable (the same report twice)" cmp -s "$TRASH/out" "$TRASH/out2"

# --- CSV --------------------------------------------------------------------------
"$TK" config report --repo "$srv" --format csv "$P" >"$TRASH/report.csv"
check "csv: the header" test "$(head -1 "$TRASH/report.csv")" = "section,name,field,value,detail"
check "csv: one row per person and permission" \
	grep -qx '"rule","mainline","update","dave",""' "$TRASH/report.csv"
check "csv: the governed refs" sh -c \
	'grep -qx "\"rule\",\"mainline\",\"governs\",\"refs/heads/release/1.0\",\"\"" "$1" &&
	grep -qx "\"ref\",\"refs/notes/other\",\"rule\",\"(none: accepted as pushed)\",\"\"" "$1"' \
	- "$TRASH/report.csv"
check "csv: python's csv module reads it, 5 columns each row" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows and all(len(r) == 5 for r in rows), rows[:3]
' "$TRASH/report.csv"

# --- JSON ---------------------------------------------------------------------------
"$TK" config report --repo "$srv" --format json "$P" >"$TRASH/report.json"
check "json: the rules, their refs and people" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
rules = {x["name"]: x for x in r["rules"]}
assert [x["position"] for x in r["rules"]] == [1, 2, 3]
assert rules["mainline"]["governs"] == ["refs/heads/main", "refs/heads/release/1.0"]
assert rules["mainline"]["update"] == {"anyone": False, "people": ["dave"]}
assert rules["mainline"]["approvals"]["min"] == 2
byrole = {x["role"]: x for x in rules["mainline"]["approvals"]["by_role"]}
assert byrole["security"]["people"]["people"] == ["bob"] and byrole["security"]["require"] == 1
assert rules["branches"]["update"]["anyone"] is True
assert rules["release tags"]["governs"] == ["refs/tags/v1.0"]
assert r["ungoverned"] == ["refs/notes/other"]
ids = {x["id"]: x for x in r["identities"]}
assert [x["id"] for x in r["identities"]] == ["alice", "bob", "carol", "dave"]
assert ids["dave"]["logins"] == ["dave", "deploy-bot"]
assert ids["bob"]["keys"][0]["valid_before"] == "2030-01-01"
assert ids["carol"]["keys"][0]["status"] == "revoked"
assert r["revoked_keys"][0]["listed_by"] == ["carol"]
' "$TRASH/report.json"

# --- HTML, in a real browser -----------------------------------------------------------
"$TK" config report --repo "$srv" --format html "$P" >"$TRASH/report.html"
check "html: no script and nothing loaded" sh -c \
	'! grep -Eqi "<script|<[a-z]+[^>]* (src|href)=" "$1"' - "$TRASH/report.html"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	not_ok "chromium is installed (CI: scripts/deps --servers)"
	done_testing
fi
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	--user-data-dir="$TRASH/chromium" --dump-dom "file://$TRASH/report.html" \
	>"$TRASH/dom.html" 2>"$TRASH/chromium.err"
check "chromium rendered the page" grep -q '</html>' "$TRASH/dom.html"
check "html (DOM): the rules table has exactly three rule rows" python3 -c '
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.table = None; s.rows = {}; s.row = None; s.cells = []; s.cell = None; s.tags = []
    def handle_starttag(s, tag, a):
        a = dict(a); s.tags.append(tag)
        if tag == "table": s.table = a.get("id")
        elif tag == "tr" and s.table: s.row = a.get("id") or a.get("class"); s.cells = []
        elif tag == "td": s.cell = ""
        elif tag == "br" and s.cell is not None: s.cell += "\n"
    def handle_data(s, d):
        if s.cell is not None: s.cell += d
    def handle_endtag(s, tag):
        if tag == "td": s.cells.append(s.cell); s.cell = None
        elif tag == "tr" and s.row: s.rows.setdefault(s.table, []).append((s.row, s.cells)); s.row = None
p = P(); p.feed(open(sys.argv[1]).read())
rules = p.rows["rules"]
assert [r[0] for r in rules] == ["rule-1", "rule-2", "rule-3"], rules
main = rules[0][1]
assert main[1] == "mainline" and main[4] == "refs/heads/main\nrefs/heads/release/1.0", main
assert main[5] == "dave" and main[7] == "nobody", main
assert main[9].startswith("bob, carol (at least 2)"), main
assert rules[2][1][4] == "refs/heads/<img/src=x/onerror=alert(1)>\nrefs/heads/feature/x", rules[2]
ids = p.rows["identities"]
assert [r[1][0] for r in ids] == ["alice", "bob", "carol", "dave"], ids
assert "img" not in p.tags, "markup from a ref name became an element"
' "$TRASH/dom.html"

done_testing
