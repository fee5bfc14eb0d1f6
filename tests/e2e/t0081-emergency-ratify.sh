#!/bin/sh
# Ratification of an emergency (docs/spec.md, "Emergency changes"): its
# entering commits are ratified by detached approvals in refs/notes/twokey
# that meet the rule's ratify: block; an approval by the emergency's pusher
# (the rule has pusher-may-approve: false) or by a writer of the commit
# does not count; the push that brings the ratifying notes records the
# ratification (who, when) in the state and in the audit log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in bob pat rita; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
STATE=$LOG.emergencies
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves, operations: on call}
identities:
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  pat: {emails: [pat@example.com], logins: [pat], keys: ["$(pub pat)"], roles: [operations, reviewer]}
  rita: {emails: [rita@example.com], logins: [rita], keys: ["$(pub rita)"], roles: [developer, reviewer]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
rules:
  - name: mainline
    refs: refs/heads/main
    pusher-may-approve: false
    approvals: {min: 1, from: [reviewer]}
    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 24h}
EOF

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" rita@example.com "base"
base=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
git -C "$srv" update-ref refs/heads/main "$base"
commit_as "$w" rita@example.com "fix one"
c1=$(head_of "$w")
commit_as "$w" rita@example.com "fix two"
c2=$(head_of "$w")

accepted "pat's emergency push of rita's two commits" pat "$w" origin \
	-o "twokey.emergency=INC-7 payments down" HEAD:refs/heads/main
check "pending, both commits with their writer" python3 - "$STATE" "$c1" "$c2" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
e = lines[1].split(' ')
assert e[4] == '0' and e[14] == '~' and e[15] == '2', e
assert sorted(lines[2:]) == sorted(['c %s rita rita@example.com ~' % sys.argv[2], 'c %s rita rita@example.com ~' % sys.argv[3]]), lines
EOF

state_pending() {
	python3 - "$STATE" <<'EOF'
import sys
e = open(sys.argv[1]).read().splitlines()[1].split(' ')
assert e[4] == '0' and e[14] == '~', e
EOF
}

# --- approvals that do not ratify ----------------------------------------------------
for c in "$c1" "$c2"; do note_approve pat pat pat@example.com "$w" "$c"; done
accepted "the pusher's own note approvals land" pat "$w" origin "$NOTES"
check "...but do not ratify (pusher-may-approve: false)" state_pending
check "...nothing ratified in the record" audit_last "$LOG" \
	"r['decision'] == 'accepted'" "'ratified' not in r"
for c in "$c1" "$c2"; do note_approve rita rita rita@example.com "$w" "$c"; done
accepted "the writer's note approvals land" rita "$w" origin "$NOTES"
check "...but do not ratify (rita wrote them)" state_pending
check "...nothing ratified in the record" audit_last "$LOG" "'ratified' not in r"

# --- one of two commits approved is not enough ----------------------------------------
note_approve bob bob bob@example.com "$w" "$c2"
accepted "bob approves the second commit only" bob "$w" origin "$NOTES"
check "...still pending: the first is not ratified" state_pending

# --- a dry run of the ratifying notes records nothing -----------------------------------
note_approve bob bob bob@example.com "$w" "$c1"
refused "a dry run of bob's approval of the first" bob "$w" origin -o twokey.dry-run "$NOTES"
check "...still pending" state_pending

# --- ratified ------------------------------------------------------------------------
accepted "bob's approval of the first lands" bob "$w" origin "$NOTES"
check "ratified in the state, by bob" python3 - "$STATE" <<'EOF'
import sys, time
e = open(sys.argv[1]).read().splitlines()[1].split(' ')
assert e[14] == 'bob' and abs(int(e[4]) - time.time()) < 120, e
EOF
check "ratified in the audit record of the notes push" audit_last "$LOG" \
	"r['ratified'] == [{'emergency': r['ratified'][0]['emergency'], 'ref': 'refs/heads/main', 'new': '$c2', 'pusher': 'pat', 'by': 'bob'}]" \
	"re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', r['ratified'][0]['emergency'])"
note_approve bob bob bob@example.com "$w" "$base"
accepted "a later notes push" bob "$w" origin "$NOTES"
check "...does not ratify it again" audit_last "$LOG" "'ratified' not in r"
check "the audit chain is intact" "$TK_BIN/twokey" audit verify "$LOG"
done_testing
