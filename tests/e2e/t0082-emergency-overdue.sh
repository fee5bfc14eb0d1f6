#!/bin/sh
# An overdue emergency (docs/spec.md, "Emergency changes"): with
# overdue: block, once the emergency is past ratify.within (1m here; the
# test waits it out: the product has no clock override) and not ratified,
# every other push to its ref is refused naming the emergency push, an
# emergency push excepted; ratifying by notes lifts the block.  With
# overdue: warn, the push gets a warning and lands.  Before the deadline
# nothing blocks.
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
    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 1m, overdue: block}
  - name: staging
    refs: refs/heads/staging
    approvals: {min: 1, from: [reviewer]}
    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 1m}
EOF

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" olga@example.com "base"
base=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
git -C "$srv" update-ref refs/heads/main "$base"
git -C "$srv" update-ref refs/heads/staging "$base"
commit_as "$w" olga@example.com "hotfix"
e1=$(head_of "$w")
accepted "the emergency on main" olga "$w" origin -o "twokey.emergency=INC-1 outage" HEAD:refs/heads/main
accepted "the emergency on staging" olga "$w" origin -o "twokey.emergency=INC-1 outage" HEAD:refs/heads/staging
t0=$(date +%s)

# an approved normal push, before the deadline: nothing blocks
commit_as "$w" olga@example.com "follow-up"
f1=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$f1"
accepted "before the deadline, an approved push lands" olga "$w" origin "$NOTES" HEAD:refs/heads/main
check "...without a word about the emergency" no_out "was not ratified"

# wait past the deadline (1m), as a real on-call night would
sleep $((62 - ($(date +%s) - t0)))
commit_as "$w" olga@example.com "next change"
f2=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$f2"
# the commit reaches the server on a branch no rule governs, then its note
git -C "$w" push -q -f origin HEAD:refs/heads/wip "$NOTES" 2>/dev/null
refused "overdue (block): an approved push is refused" olga "$w" origin HEAD:refs/heads/main
check "...naming the emergency push" expect_out \
	"error: refs/heads/main: the emergency push of [0-9T:-]+Z by olga \($(echo "$base" | cut -c1-12)\.\.$(echo "$e1" | cut -c1-12), reason: INC-1 outage\) was not ratified by [0-9T:-]+Z; this ref is blocked until it is \(overdue: block\)"
check "...and how to ratify it" expect_out \
	"twokey approve $(echo "$base" | cut -c1-12)\.\.$(echo "$e1" | cut -c1-12) --push"
check "main did not move" ref_is "$srv" refs/heads/main "$f1"
check "the refusal is recorded" audit_last "$LOG" "r['decision'] == 'refused'" \
	"any('was not ratified' in f['message'] for f in r['findings'])"
accepted "overdue (warn): staging lands, with a warning" olga "$w" origin HEAD:refs/heads/staging
check "...the warning" expect_out \
	"warning: refs/heads/staging: the emergency push of .* was not ratified by [0-9T:-]+Z"
accepted "overdue (block): another emergency push is excepted" olga "$w" origin \
	-o "twokey.emergency=INC-2 still down" HEAD:refs/heads/main
check "...and warned about the overdue one" expect_out \
	"warning: refs/heads/main: the emergency push of .* was not ratified"
commit_as "$w" olga@example.com "after the second"
f3=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$f3"
git -C "$w" push -q -f origin HEAD:refs/heads/wip "$NOTES" 2>/dev/null
refused "still blocked by the first" olga "$w" origin HEAD:refs/heads/main

# ratify the first (bob approves its commit): the block lifts
note_approve bob bob bob@example.com "$w" "$e1"
accepted "bob's ratifying notes land" bob "$w" origin "$NOTES"
check "...recorded as the ratification" audit_last "$LOG" \
	"[x['ref'] for x in r['ratified']] == ['refs/heads/main', 'refs/heads/staging']" \
	"[x['new'] for x in r['ratified']] == ['$e1', '$e1']"
accepted "ratified: the approved push lands" olga "$w" origin HEAD:refs/heads/main
check "...with no word about the first" no_out "INC-1"
check "main moved" ref_is "$srv" refs/heads/main "$f3"
check "the audit chain is intact" "$TK_BIN/twokey" audit verify "$LOG"
done_testing
