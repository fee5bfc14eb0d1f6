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
  dan: {emails: [dan@example.com], logins: [dan], roles: [developer]}
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
  - name: two
    refs: refs/heads/two
    approvals: {min: 2, from: [reviewer]}
  - name: trl
    refs: refs/heads/trl
    require-trailers: {Change: 'CHG[0-9]{6}'}
    emails: '.+@example\.com'
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
for b in main staging release two infra trl; do git -C "$srv" update-ref refs/heads/$b "$base"; done

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

# ============================== the notes guard ===============================
git -C "$w" checkout -q -b nt "$base"
notes_reset
nt0=$(notes_tip "$srv")
refused "deleting refs/notes/twokey" bob "$w" origin ":$NOTES"
check "...still there" ref_is "$srv" "$NOTES" "$nt0"
commit_as "$w" rita@example.com "x1"
x1=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$x1"
sed '/mode: warn/d' "$TRASH/policy.yaml" >"$TRASH/policy-enforce.yaml"
TWOKEY_CONFIG=$TRASH/policy-enforce.yaml refused "dan (no role in the notes rule's update) pushes a valid approval" dan "$w" origin HEAD:refs/heads/wip2 "$NOTES"
check "...says who may" expect_out "pusher 'dan' may not update"
check "...notes unmoved" ref_is "$srv" "$NOTES" "$nt0"
accepted "with the notes rule in mode: warn, dan's valid approval lands with a warning" dan "$w" origin HEAD:refs/heads/wip2 "$NOTES"
check "...the warning" expect_out "warning: refs/notes/twokey: pusher 'dan' may not update"
note_approve sam sam sam@example.com "$w" "$x1"
accepted "the twin: bob pushes a commit and its note in one push (quarantine)" bob "$w" origin HEAD:refs/heads/wip2 "$NOTES"
nt1=$(notes_tip "$srv")
check "...notes moved" test "$nt1" != "$nt0"

# force-push to an unrelated history holding one valid approval
git -C "$w" update-ref -d "$NOTES"
note_approve sam sam sam@example.com "$w" "$x1"
refused "force-pushing the notes ref to an unrelated history" sam "$w" origin "+$NOTES"
check "...unmoved" ref_is "$srv" "$NOTES" "$nt1"
notes_reset
# a rewritten line: bob's approval of x1 replaced by sam's (a fast-forward)
git -C "$w" notes --ref=twokey add -f 2>/dev/null -m "$(approve_raw sam sam sam@example.com "$w" "$x1")" "$x1"
refused "a note whose earlier line was replaced" sam "$w" origin "$NOTES"
check "...says a line went" expect_out 'its note loses 1 line'
notes_reset
# bob's approval of x1 copied onto x2's note
commit_as "$w" rita@example.com "x2"
x2=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/wip2 2>/dev/null
line=$(git -C "$w" notes --ref=twokey show "$x1" | grep Approved-by | head -1)
note_line "$w" "$x2" "$line"
refused "an approval copied from one commit's note to another" bob "$w" origin "$NOTES"
notes_reset
note_line "$w" "$x2" "LGTM, ship it"
refused "junk text in a note" bob "$w" origin "$NOTES"
notes_reset
note_line "$w" "$x2" "$line
Approved-by: bob <bob@example.com> sshsig:AAAA"
refused "a valid-looking line next to a truncated signature" bob "$w" origin "$NOTES"
notes_reset
blob=$(git -C "$w" rev-parse "$x1:file-$(git -C "$w" log -1 --format=%at "$x1")" 2>/dev/null || git -C "$w" rev-parse "$x1^{tree}")
tree=$(git -C "$w" rev-parse "$x1^{tree}")
for o in "$blob" "$tree"; do
	note_line "$w" "$o" "$line"
	refused "a note on a $(git -C "$w" cat-file -t "$o")" bob "$w" origin "$NOTES"
	notes_reset
done
git -C "$w" tag -a -m "annotated" tagx "$x1"
git -C "$w" push -q origin refs/tags/tagx 2>/dev/null
note_line "$w" "$(git -C "$w" rev-parse tagx)" "$line"
refused "a note on an annotated tag" bob "$w" origin "$NOTES"
notes_reset

# the guard through a symbolic ref on the server
git -C "$srv" symbolic-ref refs/heads/approvals "$NOTES"
git -C "$w" update-ref -d "$NOTES"
note_approve sam sam sam@example.com "$w" "$x2"
refused "an unrelated notes history through a symbolic ref (refs/heads/approvals)" sam "$w" origin "+$NOTES:refs/heads/approvals"
check "...the notes unmoved" ref_is "$srv" "$NOTES" "$nt1"
refused "deleting the notes through the symbolic ref" sam "$w" origin ":refs/heads/approvals"
check "...the notes still there" ref_is "$srv" "$NOTES" "$nt1"
git -C "$srv" symbolic-ref --delete refs/heads/approvals 2>/dev/null || rm -f "$srv/refs/heads/approvals"
notes_reset
# a namespaced notes ref without GIT_NAMESPACE: refused unless a rule names it
note_approve sam sam sam@example.com "$w" "$x2"
refused "notes pushed into refs/namespaces/x/refs/notes/twokey" sam "$w" origin "$NOTES:refs/namespaces/x/$NOTES"
notes_reset

# counting: one identity counts once
git -C "$w" checkout -q -b tw "$base"
commit_as "$w" rita@example.com "needs two"
t1=$(head_of "$w")
add_trailers "$w" rita@example.com "$(approve_raw bob bob bob@example.com "$w" "$t1")"
t1=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$t1"
refused "bob in the trailer and in a note counts once (min 2)" rita "$w" origin HEAD:refs/heads/two "$NOTES"
check "...names the shortfall" expect_out 'needs 1 more approval'
git -C "$w" checkout -q -b tw2 "$base"
commit_as "$w" rita@example.com "needs two, again"
t2=$(head_of "$w")
note_approve olga olga olga@example.com "$w" "$t2"
note_approve olga2 olga olga@example.com "$w" "$t2"
refused "olga's two keys count once (min 2)" rita "$w" origin HEAD:refs/heads/two "$NOTES"
check "...names the shortfall" expect_out 'needs 1 more approval'
git -C "$w" checkout -q tw
notes_reset
note_approve sam sam sam@example.com "$w" "$t1"
accepted "the twin: bob and sam" rita "$w" origin HEAD:refs/heads/two "$NOTES"

# an approval of an earlier commit written as a trailer of a later one
git -C "$w" checkout -q -b rl "$base"
commit_as "$w" rita@example.com "unreviewed"
u1=$(head_of "$w")
ap=$(approve_raw bob bob bob@example.com "$w" "$u1")
test_tick
git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q --allow-empty -m "carries an approval of its parent

$ap"
u2=$(head_of "$w")
note_approve sam sam sam@example.com "$w" "$u2"
refused "a trailer in a later commit does not approve the earlier one" rita "$w" origin HEAD:refs/heads/release "$NOTES"
check "...names the unapproved commit" expect_out "$(git -C "$w" rev-parse --short=7 "$u1").*not approved"
notes_reset
note_approve sam sam sam@example.com "$w" "$u2"
note_line "$w" "$u1" "$ap"
accepted "the twin: the same line as a note on the commit it signs" rita "$w" origin HEAD:refs/heads/release "$NOTES"
git -C "$w" checkout -q main

# ============================== freezes ===============================
git -C "$w" checkout -q -b fr "$base"
refused "a tag the planned freeze's pattern covers (refs/tags/v1.*)" rita "$w" origin "$base:refs/tags/v1.0"
check "...names the freeze" expect_out "freeze 'tagfreeze'"
accepted "the twin: a tag it does not cover (v2.0)" rita "$w" origin "$base:refs/tags/v2.0"
accepted "the pattern is matched whole: refs/tags/xv1.0 is not covered" rita "$w" origin "$base:refs/tags/xv1.0"
TK="$TK_BIN/twokey"
"$TK" freeze start --refs 'refs/heads/(staging|two)' --reason 'INC-9 adhoc' --name adhoc1 >/dev/null 2>&1 ||
	not_ok "twokey freeze start"
commit_as "$w" rita@example.com "frozen?"
note_approve bob bob bob@example.com "$w" "$(head_of "$w")"
note_approve sam sam sam@example.com "$w" "$(head_of "$w")"
git -C "$w" push -q origin HEAD:refs/heads/wip3 "$NOTES" 2>/dev/null
refused "an approved push to two during the ad hoc freeze" rita "$w" origin "+HEAD:refs/heads/two"
check "...names the freeze" expect_out "freeze 'adhoc1'"
accepted "an alternation is matched whole: refs/heads/two-x is not covered" rita "$w" origin "HEAD:refs/heads/two-x"
accepted "...nor refs/heads/x/refs/heads/staging" rita "$w" origin "HEAD:refs/heads/x/refs/heads/staging"
accepted "notes are never frozen" rita "$w" origin "$NOTES"
# a pattern that cannot match a ref name: the admin believes main is frozen
# a pattern that cannot match a ref name: the admin would believe main frozen
if "$TK" freeze start --refs 'main' --reason 'INC-9 typo' --name typo >"$TRASH/fz.out" 2>&1; then
	not_ok "freeze start --refs main (can match no ref) is refused"
	"$TK" freeze stop typo >/dev/null 2>&1
else
	check "freeze start --refs main (can match no ref) is refused, saying why" \
		grep -q "can match no ref" "$TRASH/fz.out"
fi
"$TK" freeze stop adhoc1 >/dev/null 2>&1 || not_ok "twokey freeze stop"
accepted "after the freeze, the push to two lands" rita "$w" origin "+HEAD:refs/heads/two"

# the freeze file replaced: a symlink to a valid file, a dangling one, a FIFO
"$TK" freeze start --refs 'refs/heads/staging' --reason 'INC-9 x' --name sl >/dev/null 2>&1
mv "$FREEZE" "$TRASH/freeze.real"
ln -s "$TRASH/freeze.real" "$FREEZE"
refused "the freeze file as a symlink to a valid file is obeyed" rita "$w" origin "+HEAD:refs/heads/staging"
rm "$FREEZE"
ln -s "$TRASH/nowhere" "$FREEZE"
# a dangling link reads as a missing file: no ad hoc freeze (as deleting it would)
accepted "a dangling symlink reads as no ad hoc freeze" rita "$w" origin "HEAD:refs/heads/wip4"
rm "$FREEZE"
mkfifo "$FREEZE"
if timeout 20 sh -c 'GL_USER=rita git -C "$1" push origin HEAD:refs/heads/wip5 >"$2" 2>&1' - "$w" "$TRASH/out"; then
	not_ok "a FIFO as the freeze file: push accepted"
else
	check "a FIFO as the freeze file: refused, not hung" test $? -ne 124
fi
check "...says the freeze file is unusable" expect_out 'freeze'
rm "$FREEZE"

# times in the policy: strict UTC
for t in '2026-12-20T00:00:00+01:00' '2026-12-20T00:00:00.5Z' '2026-12-20 00:00:00Z' '2026-12-20T24:00:00Z' '2026-02-30T00:00:00Z'; do
	sed "s/from: 2020-01-01T00:00:00Z/from: $t/" "$TRASH/policy.yaml" >"$TRASH/policy-t.yaml"
	if "$TK" config check "$TRASH/policy-t.yaml" >/dev/null 2>&1; then
		not_ok "freeze from: $t accepted by config check"
	else ok "freeze from: $t refused by config check"; fi
done
sed "s/from: 2020-01-01T00:00:00Z/from: 2020-01-01/" "$TRASH/policy.yaml" >"$TRASH/policy-t.yaml"
quietly() { "$@" >/dev/null 2>&1; }
check "the twin: a plain date is accepted" quietly "$TK" config check "$TRASH/policy-t.yaml"
git -C "$w" checkout -q main

# ============================== paths ===============================
# rule infra: no approvals of its own; a change touching infra/** needs one
# from security.  Each case starts from a base that holds infra files.
git -C "$w" checkout -q -b pb "$base"
mkdir -p "$w/infra" "$w/docs"
echo conf >"$w/infra/a.conf"
echo run >"$w/infra/run.sh"
echo doc >"$w/docs/readme"
git -C "$w" add infra docs
test_tick
git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q -m "infra base"
pbase=$(head_of "$w")
note_approve sam sam sam@example.com "$w" "$pbase"
accepted "the infra base, approved by security" rita "$w" origin HEAD:refs/heads/infra "$NOTES"

# pcase DESC: commit what is staged in $w as rita on pbase and try it
# unapproved (refused), then with sam's note (accepted).
pcase() {
	test_tick
	git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q --allow-empty -m "$1"
	pc=$(head_of "$w")
	refused "$1, unapproved" rita "$w" origin "+HEAD:refs/heads/infra"
	check "...asks for security" expect_out "security"
	note_approve sam sam sam@example.com "$w" "$pc"
	accepted "...with security's approval" rita "$w" origin "+HEAD:refs/heads/infra" "$NOTES"
}
git -C "$w" mv infra/a.conf docs/a.conf
pcase "a rename out of infra/"
git -C "$w" mv docs/readme infra/readme
pcase "a rename into infra/"
chmod +x "$w/infra/run.sh"
git -C "$w" add infra/run.sh
pcase "a mode change only"
git -C "$w" update-index --add --cacheinfo "160000,$base,infra/sub"
pcase "a submodule (gitlink) in infra/"
ln -s ../docs/a.conf "$w/infra/link"
git -C "$w" add infra/link
pcase "a symlink in infra/"
git -C "$w" rm -q infra/run.sh
pcase "a deletion in infra/"
echo sp >"$w/infra/my file.conf"
git -C "$w" add "infra/my file.conf"
pcase "a path with a space"
printf 'u\n' >"$w/infra/$(printf '\303\251t\303\251.conf')"
git -C "$w" add infra
pcase "a path in UTF-8"
printf 't\n' >"$w/infra/$(printf 'tab\there')"
git -C "$w" add infra
pcase "a path with a tab"
# a merge that brings an infra change in: the merge's change is what it
# brings in, whoever wrote the side
cur=$(head_of "$w")
git -C "$w" checkout -q -b side "$cur"
echo side >>"$w/infra/a2.conf"
git -C "$w" add infra/a2.conf
test_tick
git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q -m "side infra"
sd=$(head_of "$w")
note_approve sam sam sam@example.com "$w" "$sd"
git -C "$w" checkout -q pb
echo top >"$w/docs/top"
git -C "$w" add docs/top
test_tick
git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q -m "docs only"
test_tick
git -C "$w" -c user.name=rita -c user.email=rita@example.com merge -q --no-ff -m "merge side" side
mg=$(head_of "$w")
refused "a merge bringing an infra change (side approved, merge not)" rita "$w" origin HEAD:refs/heads/infra "$NOTES"
note_approve sam sam sam@example.com "$w" "$mg"
accepted "...with the merge approved too" rita "$w" origin HEAD:refs/heads/infra "$NOTES"
# the twin: a change outside infra/ needs nothing
echo d >>"$w/docs/top"
git -C "$w" add docs/top
test_tick
git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q -m "docs again"
accepted "a change outside infra/ needs no approval" rita "$w" origin HEAD:refs/heads/infra
# case: matching is byte-wise (documented); INFRA/ is another directory
mkdir -p "$w/INFRA"
echo x >"$w/INFRA/a.conf"
git -C "$w" add INFRA
test_tick
git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q -m "INFRA"
accepted "INFRA/ is not infra/ (byte-wise, as documented)" rita "$w" origin HEAD:refs/heads/infra
git -C "$w" checkout -q main

# ============================== symbolic refs and namespaces ===============================
git -C "$w" checkout -q -b sy "$(git -C "$srv" rev-parse refs/heads/main)"
notes_reset
# main blocked again by an overdue emergency (the second one, still pending)
overdue refs/heads/main "$n1"
git -C "$srv" symbolic-ref refs/heads/alias refs/heads/main
commit_as "$w" rita@example.com "via alias"
v1=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$v1"
mtip=$(git -C "$srv" rev-parse refs/heads/main)
refused "an approved push to main through a symbolic ref while main is blocked" rita "$w" origin "$NOTES" HEAD:refs/heads/alias
check "...main unmoved" ref_is "$srv" refs/heads/main "$mtip"
check "...names the overdue emergency" expect_out 'overdue: block'
git -C "$srv" symbolic-ref refs/heads/alias refs/heads/release
rtip=$(git -C "$srv" rev-parse refs/heads/release)
refused "an emergency to release (no emergency path) through a symbolic ref" pat "$w" origin -o "$EM" HEAD:refs/heads/alias
check "...release unmoved" ref_is "$srv" refs/heads/release "$rtip"
git -C "$srv" symbolic-ref refs/heads/alias refs/heads/staging
stip=$(git -C "$srv" rev-parse refs/heads/staging)
"$TK" freeze start --refs 'refs/heads/staging' --reason 'INC-9 y' --name sy >/dev/null 2>&1
refused "a push to staging through a symbolic ref during its freeze" rita "$w" origin "$NOTES" +HEAD:refs/heads/alias
check "...staging unmoved" ref_is "$srv" refs/heads/staging "$stip"
"$TK" freeze stop sy >/dev/null 2>&1
git -C "$srv" symbolic-ref --delete refs/heads/alias
notes_reset

# writers of the emergency commit cannot ratify it: its committer, its signer
git -C "$w" checkout -q -b wr "$(git -C "$srv" rev-parse refs/heads/staging)"
echo w >>"$w/wfile"
git -C "$w" add wfile
test_tick
GIT_COMMITTER_NAME=sam GIT_COMMITTER_EMAIL=sam@example.com \
	git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q -m "committed by sam"
wc1=$(head_of "$w")
signed_commit_as "$w" rita@example.com sam "signed with sam's key"
wc2=$(head_of "$w")
git -C "$w" push -q origin "+HEAD:refs/heads/wip6" 2>/dev/null
git -C "$srv" update-ref refs/heads/main "$(git -C "$srv" rev-parse refs/heads/staging)"
# fresh state for main: ratify every earlier emergency entry of main
python3 - "$STATE" <<'EOF'
import sys
ls = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(ls):
    f = l.split(' ')
    if f[0] == 'e' and f[8] == 'refs/heads/main' and f[4] == '0':
        f[4] = '3000'; f[14] = 'bob'; ls[i] = ' '.join(f)
open(sys.argv[1], 'w').write('\n'.join(ls) + '\n')
EOF
accepted "pat's emergency with commits sam committed and signed" pat "$w" origin -o "$EM" HEAD:refs/heads/main
for c in "$wc1" "$wc2"; do
	note_approve sam sam sam@example.com "$w" "$c"
	note_approve bob bob bob@example.com "$w" "$c"
done
accepted "notes by sam (a writer of both) and bob" bob "$w" origin "$NOTES"
check "...do not ratify: sam wrote them (committer, signer)" pending "$wc2"
for c in "$wc1" "$wc2"; do note_approve olga olga olga@example.com "$w" "$c"; done
accepted "olga's notes: min 2 met without sam" bob "$w" origin "$NOTES"
check "...still pending: security's approval must come from a non-writer" pending "$wc2"
git -C "$w" checkout -q main

# ============================== more emergencies ===============================
git -C "$w" checkout -q -b m2 "$(git -C "$srv" rev-parse refs/heads/staging)"
notes_reset
commit_as "$w" rita@example.com "more"
m1=$(head_of "$w")
stip=$(git -C "$srv" rev-parse refs/heads/staging)
refused "an emergency by a pusher the server cannot name" "" "$w" origin -o "$EM" HEAD:refs/heads/staging
check "...staging unmoved" ref_is "$srv" refs/heads/staging "$stip"
refused "twokey.Emergency (another option name) is no emergency" pat "$w" origin -o "twokey.Emergency=INC-1 x" HEAD:refs/heads/staging
check "...staging unmoved" ref_is "$srv" refs/heads/staging "$stip"
refused "a reason with a C1 control (U+009B, CSI)" pat "$w" origin -o "$(printf 'twokey.emergency=INC-1 \302\2332Jx')" HEAD:refs/heads/staging
check "...not echoed raw" no_out "$(printf '\302\233')"
refused "a reason with DEL" pat "$w" origin -o "$(printf 'twokey.emergency=INC-1 \177x')" HEAD:refs/heads/staging
"$TK" freeze start --refs 'refs/heads/staging' --reason 'INC-9 z' --name st >/dev/null 2>&1
refused "an emergency that does not waive freeze, during a freeze" pat "$w" origin -o "$EM" HEAD:refs/heads/staging
check "...names the freeze" expect_out "freeze 'st'"
"$TK" freeze stop st >/dev/null 2>&1
accepted "an emergency whose reason holds the state's separators" pat "$w" origin \
	-o "twokey.emergency=INC-1 a,b %41 ~ c" HEAD:refs/heads/staging
check "...recorded as given" audit_last "$LOG" "r['emergency']['reason'] == 'INC-1 a,b %41 ~ c'"
check "...and the state still reads" "$TK" audit emergencies --format json >/dev/null
check "...listed with its reason" sh -c '"$1" audit emergencies | grep -q "INC-1 a,b %41 ~ c"' - "$TK"
commit_as "$w" rita@example.com "more 2"
note_approve pat pat pat@example.com "$w" "$m1"
stip=$(git -C "$srv" rev-parse refs/heads/staging)
TWOKEY_CONFIG=$TRASH/policy-enforce.yaml refused "an emergency that carries notes too (the notes rule has no emergency path)" \
	pat "$w" origin -o "$EM" HEAD:refs/heads/staging "$NOTES"
check "...says so" expect_out 'refs/notes/twokey: emergency refused: this ref has no emergency path'
check "...staging unmoved" ref_is "$srv" refs/heads/staging "$stip"
accepted "...with the notes rule in mode: warn, a warning" pat "$w" origin -o "$EM" HEAD:refs/heads/staging "$NOTES"
check "...says so" expect_out 'warning: refs/notes/twokey: emergency refused: this ref has no emergency path'
notes_reset

# ============================== more notes ===============================
# notes_tree_add NAME MODE CONTENT: a fast-forward of the local notes ref
# whose tree gains the entry NAME (mode MODE, blob CONTENT).
notes_tree_add() {
	b=$(printf '%s\n' "$3" | git -C "$w" hash-object -w --stdin)
	t=$( (git -C "$w" ls-tree "$NOTES^{tree}"; printf '%s blob %s\t%s\n' "$2" "$b" "$1") | git -C "$w" mktree)
	c=$(git -C "$w" commit-tree -p "$NOTES" -m junk "$t")
	git -C "$w" update-ref "$NOTES" "$c"
}
git -C "$w" push -q origin "+HEAD:refs/heads/wip7" 2>/dev/null
m2=$(head_of "$w")
okline=$(approve_raw bob bob bob@example.com "$w" "$m2")
notes_tree_add README 100644 "$okline"
refused "a notes tree with a file that names no object" bob "$w" origin "$NOTES"
notes_reset
notes_tree_add "$(echo "$m2" | tr a-f A-F)" 100644 "$okline"
refused "a note named by the upper-case id" bob "$w" origin "$NOTES"
notes_reset
notes_tree_add "$m2" 120000 "$okline"
refused "a note stored as a symlink" bob "$w" origin "$NOTES"
notes_reset
notes_tree_add "$m2" 100755 "$okline"
refused "a note stored as an executable file" bob "$w" origin "$NOTES"
notes_reset
notes_tree_add "$m2" 100644 "$okline"
accepted "the twin: the same line as a plain note" bob "$w" origin "$NOTES"
git -C "$w" checkout -q main

# ============================== refused pushes, refs/replace, namespaces ===============================
git -C "$w" checkout -q -b sc "$(git -C "$srv" rev-parse refs/heads/main)"
notes_reset
commit_as "$w" rita@example.com "emergency e"
e1=$(head_of "$w")
accepted "pat's emergency e" pat "$w" origin -o "$EM" HEAD:refs/heads/main
note_approve sam sam sam@example.com "$w" "$e1"
note_approve bob bob bob@example.com "$w" "$e1"
git -C "$w" checkout -q -b sc2 "$(git -C "$srv" rev-parse refs/heads/release)"
commit_as "$w" rita@example.com "unapproved for release"
refused "ratifying notes in a push refused for another ref" bob "$w" origin "$NOTES" HEAD:refs/heads/release
check "...the notes did not land" test "$(notes_tip "$srv")" != "$(git -C "$w" rev-parse "$NOTES")"
check "...so e stays pending" pending "$e1"
accepted "the notes alone" bob "$w" origin "$NOTES"
check "...ratify e" ratified "$e1"

# refs/replace and namespaces
refused "refs/replace/<main> (git would substitute it)" bob "$w" origin "HEAD:refs/replace/$e1"
refused "a tag the freeze covers, created" rita "$w" origin "$base:refs/tags/v1.9"
git -C "$srv" update-ref refs/tags/v1.5 "$base"
refused "a tag the freeze covers, deleted" rita "$w" origin ":refs/tags/v1.5"
check "...still there" ref_is "$srv" refs/tags/v1.5 "$base"

# GIT_NAMESPACE: the notes guard inside the namespace
srvn=$(new_server srvn)
RP="env GIT_NAMESPACE=ns git-receive-pack"
git -C "$w" push -q --receive-pack="$RP" "$srvn" "$base:refs/heads/feature" 2>&1
git -C "$w" update-ref -d "$NOTES"
note_approve bob bob bob@example.com "$w" "$base"
accepted "notes into the namespace" bob "$w" --receive-pack="$RP" "$srvn" "$NOTES"
check "...stored in the namespace" ref_is "$srvn" "refs/namespaces/ns/$NOTES" "$(git -C "$w" rev-parse "$NOTES")"
refused "deleting the namespace's notes" bob "$w" --receive-pack="$RP" "$srvn" ":$NOTES"
git -C "$w" update-ref -d "$NOTES"
note_approve sam sam sam@example.com "$w" "$base"
refused "rewriting the namespace's notes" bob "$w" --receive-pack="$RP" "$srvn" "+$NOTES"
note_line "$w" "$base" "junk"
refused "junk into the namespace's notes (a fast-forward)" bob "$w" --receive-pack="$RP" "$srvn" "$NOTES" 2>/dev/null

# more paths: a newline, invalid UTF-8
git -C "$w" checkout -q -b pp "$(git -C "$srv" rev-parse refs/heads/infra)"
printf 'n\n' >"$w/infra/$(printf 'new\nline')"
git -C "$w" add infra
test_tick
git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q -m "newline path"
refused "a path with a newline in infra/" rita "$w" origin "HEAD:refs/heads/infra"
git -C "$w" reset -q --hard HEAD^
printf 'n\n' >"$w/infra/$(printf 'bad\377name')"
git -C "$w" add infra
test_tick
git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q -m "invalid utf-8 path"
refused "a path with invalid UTF-8 in infra/" rita "$w" origin "HEAD:refs/heads/infra"
git -C "$w" reset -q --hard HEAD^

# require-trailers and emails, matched whole
git -C "$w" checkout -q -b tr "$base"
tcommit() {
	test_tick
	echo "$tk_tick" >>"$w/trl"
	git -C "$w" add trl
	git -C "$w" -c user.name=x -c user.email="$1" commit -q -m "$2"
}
tcommit rita@example.com "$(printf 'x\n\nChange: CHG123456 and more')"
refused "a Change trailer with more after the value" rita "$w" origin "+HEAD:refs/heads/trl"
git -C "$w" reset -q --hard "$base"
tcommit rita@example.com "$(printf 'x\n\nChange: CHG12345\n  6')"
refused "a Change trailer folded over two lines (CHG12345 6)" rita "$w" origin "+HEAD:refs/heads/trl"
git -C "$w" reset -q --hard "$base"
tcommit rita@example.com "$(printf 'x\n\nChange: nope\nChange: CHG123456')"
refused "two Change trailers, one bad" rita "$w" origin "+HEAD:refs/heads/trl"
git -C "$w" reset -q --hard "$base"
tcommit rita@example.com "$(printf 'x\n\nChange: CHG123456\n\nmore text after')"
refused "a Change line not in the trailer block" rita "$w" origin "+HEAD:refs/heads/trl"
git -C "$w" reset -q --hard "$base"
tcommit rita@example.com.evil.org "$(printf 'x\n\nChange: CHG123456')"
refused "an author email that only starts like the pattern" rita "$w" origin "+HEAD:refs/heads/trl"
git -C "$w" reset -q --hard "$base"
tcommit RITA@EXAMPLE.COM "$(printf 'x\n\nChange: CHG123456')"
refused "an upper-case email (byte-wise)" rita "$w" origin "+HEAD:refs/heads/trl"
git -C "$w" reset -q --hard "$base"
# a crafted author header with two addresses
tree=$(git -C "$w" rev-parse "$base^{tree}")
raw=$(printf 'tree %s\nparent %s\nauthor Ev <evil@evil.org> <rita@example.com> %s +0000\ncommitter rita <rita@example.com> %s +0000\n\nx\n\nChange: CHG123456\n' "$tree" "$base" "$tk_tick" "$tk_tick")
cc=$(printf '%s' "$raw" | git -C "$w" hash-object -t commit -w --literally --stdin)
refused "an author header with two addresses" rita "$w" origin "+$cc:refs/heads/trl"
raw=$(printf 'tree %s\nparent %s\nauthor Ev <rita@example.com> <evil@evil.org> %s +0000\ncommitter rita <rita@example.com> %s +0000\n\nx\n\nChange: CHG123456\n' "$tree" "$base" "$tk_tick" "$tk_tick")
cc=$(printf '%s' "$raw" | git -C "$w" hash-object -t commit -w --literally --stdin)
refused "...the other way round" rita "$w" origin "+$cc:refs/heads/trl"
tcommit rita@example.com "$(printf 'x\n\nChange: CHG123456')"
accepted "the twin: a good trailer and email" rita "$w" origin "+HEAD:refs/heads/trl"

# an overdue emergency inside a namespace blocks its ref there
git -C "$srvn" config receive.advertisePushOptions true
git -C "$w" checkout -q -b nsx "$base"
git -C "$srvn" update-ref refs/namespaces/ns/refs/heads/main "$base"
commit_as "$w" rita@example.com "ns emergency"
ne1=$(head_of "$w")
accepted "an emergency on main inside namespace ns" pat "$w" --receive-pack="$RP" -o "$EM" "$srvn" HEAD:refs/heads/main
python3 - "$STATE" "$ne1" <<'EOF'
import sys
ls = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(ls):
    f = l.split(' ')
    if f[0] == 'e' and f[10] == sys.argv[2]:
        f[2] = '1000'; f[3] = '2000'; ls[i] = ' '.join(f)
open(sys.argv[1], 'w').write('\n'.join(ls) + '\n')
EOF
commit_as "$w" rita@example.com "ns next"
ne2=$(head_of "$w")
git -C "$w" update-ref -d "$NOTES"
git -C "$w" fetch -q --upload-pack="env GIT_NAMESPACE=ns git-upload-pack" "$srvn" "+$NOTES:$NOTES"
note_approve bob bob bob@example.com "$w" "$ne2"
accepted "bob's approval of the next commit, into ns" bob "$w" --receive-pack="$RP" "$srvn" HEAD:refs/heads/nswip "$NOTES"
refused "an approved push to main in ns while its emergency is overdue" rita "$w" --receive-pack="$RP" "$srvn" HEAD:refs/heads/main
check "...names the overdue emergency" expect_out 'overdue: block'
# The emergency state keys an entry by repository and namespace: ns's
# overdue emergency does not block refs/heads/main of another namespace
# of the same repository.
git -C "$srvn" update-ref refs/namespaces/other/refs/heads/main "$base"
note_approve bob bob bob@example.com "$w" "$ne1"
accepted "main of another namespace is not blocked by ns's emergency" rita "$w" \
	--receive-pack="env GIT_NAMESPACE=other git-receive-pack" "$srvn" "$NOTES" HEAD:refs/heads/main
check "...and ns's emergency is still unratified (notes in 'other' do not count there)" \
	sh -c "'$TK' audit emergencies --format csv | grep 'namespace refs/namespaces/ns/' | grep -q ',\"overdue\",'"
git -C "$w" checkout -q main

# a freeze of every ref leaves the notes open; update: [] closes them
git -C "$w" checkout -q -b last "$(git -C "$srv" rev-parse refs/heads/wip2)"
notes_reset
commit_as "$w" rita@example.com "during the big freeze"
lf=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/wip8 2>/dev/null
note_approve bob bob bob@example.com "$w" "$lf"
"$TK" freeze start --refs '.*' --reason 'INC-9 all' --name all >/dev/null 2>&1
refused "a freeze of '.*' freezes unprotected branches" rita "$w" origin "+HEAD:refs/heads/wip9"
sed -e '/mode: warn/d' -e 's/update: \[reviewer\]/update: []/' "$TRASH/policy.yaml" >"$TRASH/policy-closed.yaml"
TWOKEY_CONFIG=$TRASH/policy-closed.yaml refused "update: [] on the notes rule: nobody pushes notes" bob "$w" origin "$NOTES"
accepted "...but a freeze of '.*' does not stop notes" bob "$w" origin "$NOTES"
"$TK" freeze stop all >/dev/null 2>&1
git -C "$w" checkout -q main
done_testing
