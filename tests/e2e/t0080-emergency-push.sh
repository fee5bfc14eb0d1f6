#!/bin/sh
# Emergency pushes (docs/spec.md, "Emergency changes"): -o
# twokey.emergency=<reason> is granted only on a rule with emergency:, to a
# pusher holding a role of its by:, with a reason of bounded printable text
# matching its pattern; it lifts exactly the waived checks (an unsigned
# commit is still refused when signed-commits is not waived) and never a
# role check; every other case refuses and says why.  The accepted one is
# recorded with its reason, waived checks and deadline, and kept in the
# emergency state beside the audit log.  Under the update hook (no push
# options) the pusher is told why no emergency is possible.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in alice bob olga; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
STATE=$LOG.emergencies
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves, operations: on call}
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  olga: {emails: [olga@example.com], logins: [olga], keys: ["$(pub olga)"], roles: [developer, operations]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
rules:
  - name: mainline
    refs: refs/heads/main
    update: [developer, operations]
    delete: []
    approvals: {min: 1, from: [reviewer]}
    emergency:
      by: [operations]
      reason: '(INC|CHG)-[0-9]+ .+'
      waive: [approvals]
      ratify: {within: 24h}
  - name: release
    refs: refs/heads/release
    signed-commits: true
    approvals: {min: 1, from: [reviewer]}
    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 2d, min: 1, from: [reviewer]}
  - name: dev
    refs: refs/heads/dev
    approvals: {min: 1, from: [reviewer]}
EOF
check "the policy with emergency: blocks is valid" "$TK_BIN/twokey" config check

srv=$TRASH/srv.git
git init -q --bare "$srv"
"$TK_BIN/twokey" install "$srv" >"$TRASH/install.out" 2>&1
check "install turned on push options" test \
	"$(git -C "$srv" config --get receive.advertisePushOptions)" = true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
for b in main release dev; do git -C "$srv" update-ref refs/heads/$b "$base"; done
commit_as "$w" olga@example.com "hotfix: restore the config"
c=$(head_of "$w")

# --- every way to be refused ----------------------------------------------
refused "unapproved, without the option: refused" olga "$w" origin HEAD:refs/heads/main
check "...not approved" expect_out "refs/heads/main: $(short "$c") .*not approved"
check "...no hint about push options (they are advertised)" no_out "advertisePushOptions"
refused "by a role not in by: refused" alice "$w" origin \
	-o "twokey.emergency=INC-1 db down" HEAD:refs/heads/main
check "...saying who may" expect_out \
	"emergency refused: pusher 'alice' may not invoke it: that takes one of the roles: operations"
refused "an empty reason: refused" olga "$w" origin -o "twokey.emergency=" HEAD:refs/heads/main
check "...saying so" expect_out "emergency refused: the reason is empty"
refused "no reason at all: refused" olga "$w" origin -o "twokey.emergency" HEAD:refs/heads/main
check "...saying so" expect_out "emergency refused: the reason is empty"
long="INC-1 $(printf '%0200d' 0)"
refused "a reason over 200 bytes: refused" olga "$w" origin -o "twokey.emergency=$long" HEAD:refs/heads/main
check "...saying so" expect_out "emergency refused: the reason is longer than 200 bytes"
refused "a reason that does not match: refused" olga "$w" origin \
	-o "twokey.emergency=db is down" HEAD:refs/heads/main
check "...naming the pattern" expect_out \
	"emergency refused: the reason does not match the rule's pattern '\(INC\|CHG\)-\[0-9\]\+ \.\+'"
tab=$(printf 'INC-1 a\tb')
refused "a reason with a control character: refused" olga "$w" origin \
	-o "twokey.emergency=$tab" HEAD:refs/heads/main
check "...saying so" expect_out "emergency refused: the reason holds control characters"
refused "twice: refused" olga "$w" origin -o "twokey.emergency=INC-1 a" \
	-o "twokey.emergency=INC-2 b" HEAD:refs/heads/main
check "...saying so" expect_out "push option twokey.emergency was given twice"
refused "on a rule without emergency:: refused" olga "$w" origin \
	-o "twokey.emergency=INC-1 db down" HEAD:refs/heads/dev
check "...saying so" expect_out \
	"refs/heads/dev: emergency refused: this ref has no emergency path"
refused "on a ref no rule matches: refused" olga "$w" origin \
	-o "twokey.emergency=INC-1 db down" HEAD:refs/heads/other
check "...saying so" expect_out "refs/heads/other: emergency refused: this ref has no emergency path"
check "main did not move" ref_is "$srv" refs/heads/main "$base"
check "nothing in the emergency state" test ! -s "$STATE"

# --- role checks are never waived ----------------------------------------------
refused "deleting main with an emergency: refused" olga "$w" origin \
	-o "twokey.emergency=INC-1 db down" :refs/heads/main
check "...by the role check" expect_out "refs/heads/main: nobody may delete this ref"
check "main is still there" ref_is "$srv" refs/heads/main "$base"

# --- granted ---------------------------------------------------------------------
accepted "by operations with a matching reason: accepted" olga "$w" origin \
	-o "twokey.emergency=INC-4711 db outage, restoring config" HEAD:refs/heads/main
check "main moved" ref_is "$srv" refs/heads/main "$c"
check "...the waived check is a warning" expect_out \
	"warning: refs/heads/main: $(short "$c") .*waived by the emergency: not approved"
check "...the grant is said" expect_out "emergency granted: approvals waived"
check "...and what reviewers run next, with the range" expect_out \
	"next: reviewers ratify its commits with 'twokey approve $(git -C "$w" rev-parse --short=12 "$base")\\.\\.$(git -C "$w" rev-parse --short=12 "$c") --push'"
check "recorded with the emergency object" audit_last "$LOG" \
	"r['decision'] == 'accepted'" \
	"r['emergency']['reason'] == 'INC-4711 db outage, restoring config'" \
	"r['emergency']['waived'] == ['approvals']" \
	"re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', r['emergency']['ratify_by'])" \
	"__import__('calendar').timegm(__import__('time').strptime(r['emergency']['ratify_by'], '%Y-%m-%dT%H:%M:%SZ')) - __import__('calendar').timegm(__import__('time').strptime(r['time'], '%Y-%m-%dT%H:%M:%SZ')) == 86400"
check "the state holds it, pending" python3 - "$STATE" "$c" "$base" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0] == 'twokey-emergencies 2 2', lines
e = lines[1].split(' ')
assert e[0] == 'e' and e[1] == '1' and e[4] == '0' and e[5] == '1' and e[6] == '0', e
assert e[8] == 'refs/heads/main' and e[10] == sys.argv[2] and e[11] == 'olga', e
assert e[13] == 'INC-4711%20db%20outage%2C%20restoring%20config' and e[14] == '~', e
assert e[7].endswith('srv.git/') and e[9] == e[10][:0] + sys.argv[3], e
assert e[15] == '1' and lines[2] == 'c %s olga olga@example.com ~' % sys.argv[2], lines
assert len(lines) == 3
EOF

# --- waiving approvals does not waive signed commits ---------------------------------
refused "release: an unsigned commit with an emergency waiving approvals: refused" olga \
	"$w" origin -o "twokey.emergency=anything goes" HEAD:refs/heads/release
check "...for the signature" expect_out \
	"error: refs/heads/release: $(short "$c") .*unsigned commit, and the rule requires signed commits"
check "...the approvals only warn" expect_out "warning: refs/heads/release: .*waived by the emergency: not approved"
check "release did not move" ref_is "$srv" refs/heads/release "$base"
git -C "$w" checkout -q -b rel "$base"
signed_commit_as "$w" olga@example.com olga "signed hotfix"
s=$(head_of "$w")
accepted "release: a signed commit with the emergency: accepted" olga "$w" origin \
	-o "twokey.emergency=anything goes" HEAD:refs/heads/release
check "...recorded, 2 days to ratify" audit_last "$LOG" \
	"r['emergency']['waived'] == ['approvals']" \
	"__import__('calendar').timegm(__import__('time').strptime(r['emergency']['ratify_by'], '%Y-%m-%dT%H:%M:%SZ')) - __import__('calendar').timegm(__import__('time').strptime(r['time'], '%Y-%m-%dT%H:%M:%SZ')) == 2 * 86400"
check "a second pending emergency, tracked separately" python3 - "$STATE" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0] == 'twokey-emergencies 2 3', lines
es = [l.split(' ') for l in lines if l.startswith('e ')]
assert [(e[1], e[8]) for e in es] == [('1', 'refs/heads/main'), ('2', 'refs/heads/release')], es
EOF

# --- the update hook gets no push options -------------------------------------------
up=$(new_server up update)
git -C "$up" config receive.advertisePushOptions true
git -C "$w" push -q "$up" "$base:refs/heads/feature" 2>/dev/null
git -C "$up" update-ref refs/heads/main "$base"
refused "update hook: the emergency push is refused" olga "$w" "$up" \
	-o "twokey.emergency=INC-9 down" "$c:refs/heads/main"
check "...saying the update hook sees no push options (t0175)" expect_out \
	"but twokey runs as the update hook here, which gets none from git"
check "...main did not move" ref_is "$up" refs/heads/main "$base"
# not advertised: git refuses -o itself, and a refusal names the path
git -C "$up" config receive.advertisePushOptions false
refused "update hook: the unapproved push is refused" olga "$w" "$up" \
	"$c:refs/heads/main"
check "...saying the update hook cannot take an emergency" expect_out \
	"note: this ref has an emergency path, but twokey runs as the update hook here"
check "...main did not move" ref_is "$up" refs/heads/main "$base"
TK_EM_OUT=$(GIT_DIR="$up" GL_USER=olga GIT_PUSH_OPTION_COUNT=1 \
	GIT_PUSH_OPTION_0="twokey.emergency=INC-9 down" \
	"$TK_BIN/twokey-update" refs/heads/main "$base" "$c" 2>&1)
check "update hook given the option anyway: refuses the emergency, saying why" \
	sh -c 'printf "%s\n" "$1" | grep -q "emergency refused: the update hook gets no push options from git"' - "$TK_EM_OUT"

# --- a server that does not advertise push options -------------------------------------
git -C "$srv" config receive.advertisePushOptions false
git -C "$w" checkout -q -b more "$c"
commit_as "$w" olga@example.com "another fix"
refused "push options not advertised: an unapproved push is refused" olga "$w" origin HEAD:refs/heads/main
check "...and told how to enable the emergency path" expect_out \
	"note: this ref has an emergency path .* an admin runs 'git config receive.advertisePushOptions true'"
# --- config replay decides a recorded emergency push as one ------------------------------
"$TK_BIN/twokey" config replay --policy "$TRASH/policy.yaml" "$LOG" >"$TRASH/replay.out" 2>&1
check "config replay: the same policy changes no decision, emergencies included" \
	grep -q "^twokey: 0 of [0-9]* recorded decisions would change" "$TRASH/replay.out"

# --- the policy tools see the emergency path -----------------------------------------
"$TK_BIN/twokey" config report >"$TRASH/report.txt" 2>&1
check "config report: who may invoke it, and on what terms" grep -qxF \
	"  emergency:  olga (waives approvals; ratify within 1d by at least 1 of reviewer; overdue: warn; reason: (INC|CHG)-[0-9]+ .+)" \
	"$TRASH/report.txt"
check "config report: a rule without one says so" grep -qxF \
	"  emergency:  nobody (no emergency path)" "$TRASH/report.txt"
"$TK_BIN/twokey" config report --format json >"$TRASH/report.json"
check "config report --format json: the terms" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
e = r["rules"][0]["emergency"]
assert e == {"by": {"anyone": False, "people": ["olga"]}, "waive": ["approvals"], "within": "1d", "min": 1,
             "from": ["reviewer"], "require": {}, "overdue": "warn", "reason": "(INC|CHG)-[0-9]+ .+"}, e
assert r["rules"][2]["emergency"] is None' "$TRASH/report.json"
sed -e 's/by: \[operations\]$/by: [operations, developer]/' \
	-e 's/waive: \[approvals\]$/waive: [approvals, pusher-may-write]/' \
	-e 's/within: 24h/within: 48h/' "$TRASH/policy.yaml" >"$TRASH/wider.yaml"
"$TK_BIN/twokey" config diff "$TRASH/policy.yaml" "$TRASH/wider.yaml" >"$TRASH/diff.out" 2>&1
check "config diff: a wider emergency path widens (exit 1)" test $? -eq 1
check "...more people may invoke it" grep -qxF \
	"widens: rule 'mainline': invoke an emergency: gained by alice" "$TRASH/diff.out"
check "...more checks waived" grep -qxF \
	"widens: rule 'mainline': emergency.waive gained pusher-may-write" "$TRASH/diff.out"
check "...a longer deadline" grep -qxF \
	"widens: rule 'mainline': emergency.ratify.within: 1440 -> 2880 minutes" "$TRASH/diff.out"
"$TK_BIN/twokey" config check "$TRASH/wider.yaml" >"$TRASH/check.out" 2>&1
check "config check: waiving a check the rule does not make warns, at its line" grep -qE \
	"wider.yaml:[0-9]+:[0-9]+: warning: rule 'mainline': emergency.waive lists pusher-may-write, which the rule does not check" \
	"$TRASH/check.out"
done_testing
