#!/bin/sh
# An emergency keeps its entering commits for ratification whatever its
# rule inspects (docs/spec.md, "Emergency changes"): under a rule that asks
# for no approvals (roles only) and an emergency that waives a freeze, the
# commits that landed are still pending until the ratify: block is met by
# note approvals of people who wrote none of them; they are never
# "(nothing entered)" and ratified at once.  A delete (nothing enters) is,
# and so is a ref created at a commit the server has (the rule asks
# nothing of a created ref's tip, and the emergency adds nothing to it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in bob olga; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
STATE=$LOG.emergencies
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {reviewer: approves, operations: on call}
identities:
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  olga: {emails: [olga@example.com], logins: [olga], keys: ["$(pub olga)"], roles: [operations, reviewer]}
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
    delete: [operations]
    emergency:
      by: [operations]
      reason: 'INC-[0-9]+ .+'
      waive: [freeze]
      ratify: {within: 24h, min: 1, from: [reviewer], overdue: block}
EOF
check "the policy is valid" "$TK_BIN/twokey" config check

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" olga@example.com "base"
base=$(head_of "$w")
git -C "$srv" fetch -q "$w" "HEAD:refs/heads/deploy"
git -C "$srv" fetch -q "$w" "HEAD:refs/heads/deploy-old"
commit_as "$w" olga@example.com "hotfix one"
c1=$(head_of "$w")
commit_as "$w" olga@example.com "hotfix two"
c2=$(head_of "$w")

refused "during the freeze, a plain push is refused" olga "$w" origin HEAD:refs/heads/deploy
check "...naming the freeze" expect_out "freeze 'yearend'"
accepted "the emergency waiving the freeze lands" olga "$w" origin \
	-o "twokey.emergency=INC-9 restore the config" HEAD:refs/heads/deploy
check "deploy moved" ref_is "$srv" refs/heads/deploy "$c2"

# state_is REF pending|ratified RATIFIERS NCOMMITS [C-LINE...]: the state's
# entry for REF (the first) is so, and its c lines are the C-LINEs.
state_is() {
	python3 - "$STATE" "$@" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
ref, want, who, n = sys.argv[2:6]
for i, l in enumerate(lines):
    e = l.split(' ')
    if e[0] == 'e' and e[8] == ref:
        break
else:
    print('# no entry for %s: %r' % (ref, lines))
    sys.exit(1)
ok = (e[4] == '0') == (want == 'pending') and e[14] == who and e[15] == n
cl = sorted(lines[i + 1:i + 1 + int(e[15])])
if not ok or cl != sorted(sys.argv[6:]):
    print('# state: %r' % lines)
    sys.exit(1)
EOF
}
check "pending, with both commits and their writer (not '(nothing entered)')" \
	state_is refs/heads/deploy pending '~' 2 "c $c1 olga olga@example.com ~" "c $c2 olga olga@example.com ~"
check "the record lists the commits that entered" audit_last "$LOG" \
	"r['decision'] == 'accepted'" "r['emergency']['waived'] == ['freeze']" \
	"sorted(c['id'] for c in r['refs'][0]['commits']) == sorted(['$c1', '$c2'])"
check "twokey audit emergencies shows it pending" sh -c \
	'"$1" audit emergencies --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
d = d if isinstance(d, list) else d.get(\"emergencies\", d)
assert any(not e.get(\"ratified\") for e in d), d
"' - "$TK_BIN/twokey"

# the writer (and pusher) approving does not ratify
for c in "$c1" "$c2"; do note_approve olga olga olga@example.com "$w" "$c"; done
accepted "olga's own note approvals land" olga "$w" origin "$NOTES"
check "...but do not ratify (she wrote them)" state_is refs/heads/deploy pending '~' 2 "c $c1 olga olga@example.com ~" "c $c2 olga olga@example.com ~"
note_approve bob bob bob@example.com "$w" "$c2"
accepted "bob approves the second commit only" bob "$w" origin "$NOTES"
check "...still pending" state_is refs/heads/deploy pending '~' 2 "c $c1 olga olga@example.com ~" "c $c2 olga olga@example.com ~"
note_approve bob bob bob@example.com "$w" "$c1"
accepted "bob approves the first" bob "$w" origin "$NOTES"
check "...ratified by bob" state_is refs/heads/deploy ratified bob 2 "c $c1 olga olga@example.com ~" "c $c2 olga olga@example.com ~"
check "...in the record of the notes push" audit_last "$LOG" \
	"r['ratified'][0]['by'] == 'bob'" "r['ratified'][0]['ref'] == 'refs/heads/deploy'"

# a delete brings nothing in: ratified at once
accepted "an emergency delete of deploy-old" olga "$w" origin \
	-o "twokey.emergency=INC-10 drop the old deploy" :refs/heads/deploy-old
check "...nothing entered: ratified at once" state_is refs/heads/deploy-old ratified '(nothing%20entered)' 0
# a ref created at a commit that only arrived inside a merge on a ref of
# the same rule (which vouches): the rule asks nothing of a tip, so the
# emergency (which reads the commits only to keep them) does not either;
# nothing enters, ratified at once.  (Hidden by an unprotected ref it would
# enter: t0162.)
git -C "$w" checkout -q -b side "$base"
commit_as "$w" olga@example.com "side work"
s1=$(head_of "$w")
git -C "$w" checkout -q -b integ "$base"
commit_as "$w" olga@example.com "integration"
git -C "$w" merge -q --no-ff --no-edit side
git -C "$srv" fetch -q "$w" "integ:refs/heads/deploy-integ"
check "the side commit is on the server, on no first-parent chain" \
	sh -c '! git -C "$1" rev-list --first-parent deploy-integ | grep -q "$2"' - "$srv" "$s1"
accepted "an emergency creating deploy-side at it" olga "$w" origin \
	-o "twokey.emergency=INC-11 pin the side work" "$s1:refs/heads/deploy-side"
check "...nothing entered: ratified at once" state_is refs/heads/deploy-side ratified '(nothing%20entered)' 0
check "the audit chain is intact" "$TK_BIN/twokey" audit verify "$LOG"
done_testing
