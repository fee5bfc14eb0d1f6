#!/bin/sh
# Attacks on the second-round contract (docs/spec.md, docs/emergency.md,
# docs/freezes.md, docs/paths.md), each a real push that tries to get
# around a rule, next to its legitimate twin: emergencies and their
# ratification, the notes guard, freezes, paths.  The overdue cases move
# the deadline in the emergency state (its format is documented) rather
# than wait it out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in bob pat rita sam vic old olga olga2; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
STATE=$LOG.emergencies
FREEZE=$TRASH/freeze
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves, operations: on call, security: sec}
identities:
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  pat: {emails: [pat@example.com], logins: [pat], keys: ["$(pub pat)"], roles: [operations, reviewer]}
  rita: {emails: [rita@example.com], logins: [rita], keys: ["$(pub rita)"], roles: [developer, reviewer]}
  sam: {emails: [sam@example.com], logins: [sam], keys: ["$(pub sam)"], roles: [security, reviewer]}
  vic: {emails: [vic@example.com], logins: [vic], keys: ["$(pub vic)"], roles: [reviewer]}
  old: {emails: [old@example.com], logins: [old], keys: [{key: "$(pub old)", valid-before: 2020-01-01T00:00:00Z}], roles: [reviewer]}
  olga: {emails: [olga@example.com], logins: [olga], keys: ["$(pub olga)", "$(pub olga2)"], roles: [operations, reviewer]}
revoked-keys: ["$(pub vic)"]
pusher: {env: [GL_USER]}
audit: {path: $LOG}
freeze-file: $FREEZE
freezes:
  - name: tagfreeze
    refs: 'refs/tags/v1.*'
    from: 2020-01-01T00:00:00Z
    until: 2099-01-01T00:00:00Z
    reason: release tags frozen
rules:
  - name: mainline
    refs: refs/heads/main
    pusher-may-approve: false
    approvals: {min: 1, from: [reviewer]}
    emergency:
      by: [operations]
      reason: '(INC|CHG)-[0-9]+ .+'
      waive: [approvals]
      ratify: {within: 24h, min: 2, from: [reviewer, security], require: {security: 1}, overdue: block}
  - name: staging
    refs: refs/heads/staging
    delete: []
    force-push: []
    approvals: {min: 1, from: [reviewer]}
    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 24h, overdue: warn}
  - name: release
    refs: refs/heads/release
    approvals: {min: 1, from: [reviewer]}
  - name: infra
    refs: refs/heads/infra
    paths:
      - match: 'infra/**'
        approvals: {min: 1, from: [security]}
  - name: notes
    refs: refs/notes/twokey
    mode: warn
    update: [reviewer]
EOF

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" rita@example.com "base"
base=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
for b in main staging release infra; do git -C "$srv" update-ref refs/heads/$b "$base"; done

# ============================== emergencies ===============================
EM='twokey.emergency=INC-1 outage'
commit_as "$w" rita@example.com "hotfix"
h1=$(head_of "$w")

# two refs, only one with an emergency path: the whole push is refused
refused "emergency to main and release (release has no emergency path)" pat "$w" origin \
	-o "$EM" HEAD:refs/heads/main HEAD:refs/heads/release
check "...says so" expect_out 'release.*no emergency path'
check "...main did not move" ref_is "$srv" refs/heads/main "$base"
check "...nothing in the state" test ! -s "$STATE"

# reasons at and past the bounds
r200=$(printf 'INC-1 %0194d' 0)
r201=$(printf 'INC-1 %0195d' 0)
refused "a 201-byte reason" pat "$w" origin -o "twokey.emergency=$r201" HEAD:refs/heads/staging
check "...says it is too long" expect_out 'longer than 200 bytes'
refused "a reason with invalid UTF-8" pat "$w" origin -o "$(printf 'twokey.emergency=INC-1 \377\376 x')" HEAD:refs/heads/staging
# (git itself refuses to send an option holding a newline)
refused "a reason with a newline" pat "$w" origin -o "$(printf 'twokey.emergency=INC-1 a\nINC-2 b')" HEAD:refs/heads/staging
refused "a reason with an escape" pat "$w" origin -o "$(printf 'twokey.emergency=INC-1 \033[2Jx')" HEAD:refs/heads/staging
check "...the escape is not echoed" no_out "$(printf '\033')"
refused "an empty reason" pat "$w" origin -o "twokey.emergency=" HEAD:refs/heads/staging
refused "the reason pattern must match the whole reason" pat "$w" origin -o "twokey.emergency=see INC-1 x" HEAD:refs/heads/main
refused "an emergency by a pusher without a by role" rita "$w" origin -o "$EM" HEAD:refs/heads/staging
check "...says who may" expect_out 'may not invoke'
refused "two emergency options" pat "$w" origin -o "$EM" -o "twokey.emergency=INC-2 other" HEAD:refs/heads/staging
check "staging unmoved by all of these" ref_is "$srv" refs/heads/staging "$base"
accepted "the twin: a 200-byte reason" pat "$w" origin -o "twokey.emergency=$r200" HEAD:refs/heads/staging
check "...recorded whole" audit_last "$LOG" "len(r['emergency']['reason']) == 200"

# an emergency that also deletes or force-pushes: role checks are never waived
git -C "$srv" update-ref refs/heads/release2 "$base" 2>/dev/null
refused "an emergency that deletes staging" pat "$w" origin -o "$EM" :refs/heads/staging
check "...staging still there" ref_is "$srv" refs/heads/staging "$h1"
commit_as "$w" rita@example.com "other line"
git -C "$w" reset -q --hard "$base"
commit_as "$w" rita@example.com "rewritten hotfix"
h2=$(head_of "$w")
refused "an emergency that force-pushes staging" pat "$w" origin -o "$EM" +HEAD:refs/heads/staging
check "...staging unmoved" ref_is "$srv" refs/heads/staging "$h1"
git -C "$w" reset -q --hard "$h1"

# the update hook gets no push options: the option must not slip through
srvu=$(new_server srvu update)
git -C "$srvu" config receive.advertisePushOptions true
git -C "$w" push -q "$srvu" "$base:refs/heads/feature" 2>/dev/null
git -C "$srvu" update-ref refs/heads/staging "$base"
refused "an emergency through the update hook only" pat "$w" "$srvu" -o "$EM" HEAD:refs/heads/staging
check "...says the update hook sees no push options" expect_out 'update hook'
check "...staging unmoved" ref_is "$srvu" refs/heads/staging "$base"


# --- ratification ------------------------------------------------------------
# em_field REF NEW I: field I of the state's entry for REF whose new
# commit is NEW (4 is the time it was ratified, 0 while pending).
em_field() {
	python3 - "$STATE" "$1" "$2" "$3" <<'EOF'
import sys
for l in open(sys.argv[1]).read().splitlines():
    f = l.split(' ')
    if f[0] == 'e' and f[8] == sys.argv[2] and f[10] == sys.argv[3]:
        print(f[int(sys.argv[4])])
EOF
}
pending() { [ "$(em_field refs/heads/main "$1" 4)" = 0 ] || { echo "# $1 not pending:"; sed 's/^/#   /' "$STATE"; return 1; }; }
ratified() {
	v=$(em_field refs/heads/main "$1" 4)
	[ -n "$v" ] && [ "$v" != 0 ] || { echo "# $1 not ratified:"; sed 's/^/#   /' "$STATE"; return 1; }
}

accepted "pat's emergency on main" pat "$w" origin -o "$EM" HEAD:refs/heads/main
check "...pending" pending "$h1"
# notes_reset: the local notes ref back to the server's.
notes_reset() {
	t=$(notes_tip "$srv")
	if [ -n "$t" ]; then git -C "$w" update-ref "$NOTES" "$t"
	else git -C "$w" update-ref -d "$NOTES"; fi
}
note_approve vic vic vic@example.com "$w" "$h1"
refused "a note approval by a revoked key (the notes rule says mode: warn)" bob "$w" origin "$NOTES"
check "...says why" expect_out 'revoked key of vic'
notes_reset
note_approve old old old@example.com "$w" "$h1"
refused "a note approval by a key outside its validity window" bob "$w" origin "$NOTES"
check "...says why" expect_out 'outside its validity window'
notes_reset
note_approve pat pat pat@example.com "$w" "$h1"
note_approve rita rita rita@example.com "$w" "$h1"
note_approve sam sam sam@example.com "$w" "$base"
note_approve bob bob bob@example.com "$w" "$base"
accepted "notes by the pusher, the writer, and on the parent" \
	bob "$w" origin "$NOTES"
check "...do not ratify" pending "$h1"
note_approve olga olga olga@example.com "$w" "$h1"
note_approve olga2 olga olga@example.com "$w" "$h1"
accepted "olga approves with both her keys" bob "$w" origin "$NOTES"
check "...counts once: min 2 unmet" pending "$h1"
note_approve bob bob bob@example.com "$w" "$h1"
accepted "bob's note: min 2 met, but no security approval" bob "$w" origin "$NOTES"
check "...still pending (ratify.require honoured)" pending "$h1"

# --- overdue: block --------------------------------------------------------------
# overdue REF NEW: move that entry's time and deadline into the past.
overdue() {
	python3 - "$STATE" "$1" "$2" <<'EOF'
import sys
ls = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(ls):
    f = l.split(' ')
    if f[0] == 'e' and f[8] == sys.argv[2] and f[10] == sys.argv[3]:
        f[2] = '1000'; f[3] = '2000'; ls[i] = ' '.join(f)
open(sys.argv[1], 'w').write('\n'.join(ls) + '\n')
EOF
}
overdue refs/heads/main "$h1"
commit_as "$w" rita@example.com "next"
n1=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$n1"
refused "an approved push to main while its emergency is overdue (block)" rita "$w" origin "$NOTES" HEAD:refs/heads/main
check "...names the unratified push" expect_out 'overdue|not ratified'
check "...main unmoved" ref_is "$srv" refs/heads/main "$h1"
accepted "the notes alone still land (with the commit on an unprotected branch)" bob "$w" origin "$NOTES" HEAD:refs/heads/wip
accepted "a second emergency while one is overdue goes through" pat "$w" origin -o "twokey.emergency=INC-2 again" HEAD:refs/heads/main
check "...pending too" pending "$n1"
commit_as "$w" rita@example.com "after"
a1=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$a1"
refused "still blocked after the second emergency" rita "$w" origin "$NOTES" HEAD:refs/heads/main
note_approve sam sam sam@example.com "$w" "$h1"
accepted "sam (security) ratifies the first" sam "$w" origin "$NOTES" +HEAD:refs/heads/wip
check "...ratified" ratified "$h1"
check "...the second stays pending" pending "$n1"
accepted "with the overdue one ratified, the approved push lands" rita "$w" origin HEAD:refs/heads/main

# --- overdue: warn ---------------------------------------------------------------
git -C "$w" checkout -q -b st "$(git -C "$srv" rev-parse refs/heads/staging)"
commit_as "$w" rita@example.com "staging hotfix"
s0=$(head_of "$w")
accepted "an emergency on staging (overdue: warn)" olga "$w" origin -o "$EM" HEAD:refs/heads/staging
check "...pending" test "$(em_field refs/heads/staging "$s0" 4)" = 0
overdue refs/heads/staging "$s0"
commit_as "$w" rita@example.com "staging follow-up"
s1=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$s1"
accepted "overdue: warn accepts an approved push to staging" rita "$w" origin "$NOTES" HEAD:refs/heads/staging +HEAD:refs/heads/wip
check "...with a warning naming the emergency" expect_out 'warning:.*(overdue|not ratified)'
git -C "$w" checkout -q main
done_testing
