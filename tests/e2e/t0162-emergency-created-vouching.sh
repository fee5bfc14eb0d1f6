#!/bin/sh
# An emergency that creates a ref keeps the commits it brings in, computed
# as for any created ref: an existing ref hides commits from its record only
# when its rule vouches for the created ref's, and under an emergency that
# rule also asks for its ratify: block (docs/spec.md, "Emergency changes").
# The rule here inspects no commits (roles and a freeze-only waiver), which
# once let every ref hide them: commits first pushed to an unprotected
# branch, or to one under a weaker rule, then used to emergency-create the
# protected ref, counted as "(nothing entered)" and were ratified at once,
# bypassing ratify:.  A ref under the same rule, or under a rule whose
# approvals ask at least what ratify asks, still hides them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in bob olga; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
STATE=$LOG.emergencies
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {reviewer: approves, operations: on call, developer: writes}
identities:
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer, developer]}
  olga: {emails: [olga@example.com], logins: [olga], keys: ["$(pub olga)"], roles: [operations, reviewer, developer]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
freezes:
  - name: yearend
    refs: 'refs/heads/deploy.*'
    from: 2020-01-01T00:00:00Z
    until: 2099-01-01T00:00:00Z
    reason: year-end freeze
rules:
  - name: deploy
    refs: 'refs/heads/deploy.*'
    update: [operations]
    create: [operations]
    emergency:
      by: [operations]
      reason: 'INC-[0-9]+ .+'
      waive: [freeze]
      ratify: {within: 24h, min: 1, from: [reviewer], overdue: block}
  - name: feature
    refs: 'refs/heads/feature/.+'
    update: [developer]
    create: [developer]
  - name: staging
    refs: 'refs/heads/staging'
    approvals: {min: 1, from: [operations]}
  - name: main
    refs: 'refs/heads/main'
    approvals: {min: 1, from: [reviewer]}
EOF
check "the policy is valid" "$TK_BIN/twokey" config check

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" olga@example.com "base"
base=$(head_of "$w")
# history that landed before twokey, on the frozen deploy and on main
git -C "$srv" fetch -q "$w" "HEAD:refs/heads/deploy" "HEAD:refs/heads/main" \
	"HEAD:refs/heads/staging"

# state_is REF pending|ratified RATIFIERS COMMIT...: the state's entry for
# REF is so, and its commits are exactly COMMITs.
state_is() {
	python3 - "$STATE" "$@" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
ref, want, who = sys.argv[2:5]
for i, l in enumerate(lines):
    e = l.split(' ')
    if e[0] == 'e' and e[8] == ref:
        break
else:
    print('# no entry for %s: %r' % (ref, lines))
    sys.exit(1)
n = int(e[15])
got = sorted(l.split(' ')[1] for l in lines[i + 1:i + 1 + n])
ok = (e[4] == '0') == (want == 'pending') and e[14] == who
if not ok or got != sorted(sys.argv[5:]):
    print('# state: %r' % lines)
    sys.exit(1)
EOF
}

# 1. an unprotected branch (no rule governs scratch)
git -C "$w" checkout -q -b scratch "$base"
commit_as "$w" olga@example.com "hotfix on scratch"
s1=$(head_of "$w")
accepted "a commit lands on the unprotected scratch branch" olga "$w" origin scratch
refused "creating deploy-a at it without an emergency is refused (frozen)" \
	olga "$w" origin "$s1:refs/heads/deploy-a"
accepted "the emergency creating deploy-a at it lands" olga "$w" origin \
	-o "twokey.emergency=INC-1 ship the scratch fix" "$s1:refs/heads/deploy-a"
check "...its commit is pending ratification, not '(nothing entered)'" \
	state_is refs/heads/deploy-a pending '~' "$s1"
check "...and the audit record lists it" audit_last "$LOG" \
	"r['decision'] == 'accepted'" "r['emergency']['waived'] == ['freeze']" \
	"[c['id'] for c in r['refs'][0]['commits']] == ['$s1']"
check "twokey audit emergencies --overdue: none overdue yet" \
	"$TK_BIN/twokey" audit emergencies --overdue

# 2. a branch under a weaker rule (roles only)
git -C "$w" checkout -q -b feature/x "$base"
commit_as "$w" olga@example.com "feature work"
f1=$(head_of "$w")
accepted "a commit lands on feature/x (a rule of roles only)" olga "$w" origin feature/x
accepted "the emergency creating deploy-b at it lands" olga "$w" origin \
	-o "twokey.emergency=INC-2 ship the feature" "$f1:refs/heads/deploy-b"
check "...its commit is pending (a rule asking no approvals does not vouch)" \
	state_is refs/heads/deploy-b pending '~' "$f1"

# 3. a branch whose approvals come from roles ratify does not name
git -C "$w" checkout -q -b st "$base"
commit_as "$w" olga@example.com "staging work"
g1=$(head_of "$w")
git -C "$srv" fetch -q "$w" "HEAD:refs/heads/staging"
accepted "the emergency creating deploy-c at staging's tip lands" olga "$w" origin \
	-o "twokey.emergency=INC-3 ship staging" "$g1:refs/heads/deploy-c"
check "...pending: operations approvals are not the reviewer ratification" \
	state_is refs/heads/deploy-c pending '~' "$g1"

# 4. the same rule vouches: nothing enters
accepted "the emergency creating deploy-d at deploy's tip lands" olga "$w" origin \
	-o "twokey.emergency=INC-4 a second deploy" "$base:refs/heads/deploy-d"
check "...nothing entered: ratified at once" \
	state_is refs/heads/deploy-d ratified '(nothing%20entered)'

# 5. a rule whose approvals ask what ratify asks vouches: nothing enters
git -C "$w" checkout -q -b m "$base"
commit_as "$w" olga@example.com "reviewed on main"
m1=$(head_of "$w")
git -C "$srv" fetch -q "$w" "HEAD:refs/heads/main"
accepted "the emergency creating deploy-e at main's tip lands" olga "$w" origin \
	-o "twokey.emergency=INC-5 ship main" "$m1:refs/heads/deploy-e"
check "...nothing entered: main's reviewer approvals vouch" \
	state_is refs/heads/deploy-e ratified '(nothing%20entered)'

# the pending ones ratify as usual: by a reviewer who wrote none of it
note_approve bob bob bob@example.com "$w" "$s1"
accepted "bob approves the scratch commit" bob "$w" origin "$NOTES"
check "...deploy-a is ratified by bob" state_is refs/heads/deploy-a ratified bob "$s1"
check "...deploy-b still pending" state_is refs/heads/deploy-b pending '~' "$f1"
check "the audit chain is intact" "$TK_BIN/twokey" audit verify "$LOG"
done_testing
