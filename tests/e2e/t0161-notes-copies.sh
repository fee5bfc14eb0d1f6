#!/bin/sh
# A published approval copied into a note again, respelled (docs/spec.md,
# "Guard of refs/notes/twokey"): another display name, other spacing, the
# key or the email in other case, a CR at the end.  Each copy is a valid
# approval, so before the guard refused them anyone allowed to push notes
# could fill the note on a commit up to its 256 lines with copies of one
# reviewer's approval (notes are never rewritten) and lock out every
# approval still to come, an emergency's ratification included.  The twins:
# another reviewer's approval, the same signature under the identity's
# other email, and another key of one identity still land.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in bob sam olga olga2 pat; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
STATE=$LOG.emergencies
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves, operations: on call}
identities:
  bob: {emails: [bob@example.com, bob.two@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  sam: {emails: [sam@example.com], logins: [sam], keys: ["$(pub sam)"], roles: [reviewer]}
  olga: {emails: [olga@example.com], logins: [olga], keys: ["$(pub olga)", "$(pub olga2)"], roles: [reviewer]}
  pat: {emails: [pat@example.com], logins: [pat], keys: ["$(pub pat)"], roles: [operations]}
  mal: {emails: [mal@example.com], logins: [mal], roles: [developer]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
rules:
  - name: mainline
    refs: refs/heads/main
    approvals: {min: 2, from: [reviewer]}
    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 24h, overdue: block}
EOF

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" pat@example.com "base"
base=$(head_of "$w")
git -C "$srv" fetch -q "$w" HEAD:refs/heads/main
commit_as "$w" pat@example.com "change"
c=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/wip 2>/dev/null
note_approve bob "Bob Reviewer" bob@example.com "$w" "$c"
accepted "bob's note approval of c" bob "$w" origin "$NOTES"
nt=$(notes_tip "$srv")
bl=$(git -C "$w" notes --ref=twokey show "$c" | grep Approved-by)
sig=${bl#*sshsig:}

# note_with COMMIT LINE...: the note on COMMIT becomes the server's note
# plus each LINE (exact bytes, printf %s), as git notes add -f writes it.
note_with() {
	nw_c=$1
	shift
	{ git -C "$w" notes --ref=twokey show "$nw_c" 2>/dev/null
	  for l in "$@"; do printf '%s\n' "$l"; done; } >"$TRASH/note"
	nw_b=$(git -C "$w" hash-object -w "$TRASH/note")
	git -C "$w" notes --ref=twokey add -f -C "$nw_b" "$nw_c" 2>/dev/null
}
notes_back() { git -C "$w" update-ref "$NOTES" "$(notes_tip "$srv")"; }

# copy DESCRIPTION LINE: mal pushes LINE (a respelled copy of bob's
# approval) into c's note: refused, the notes unmoved
copy() {
	note_with "$c" "$2"
	refused "a copy of bob's approval with $1" mal "$w" origin "$NOTES"
	check "...says it is a second line for one approval" expect_out \
		"its note gains a second line for an approval it already holds"
	check "...the notes unmoved" ref_is "$srv" "$NOTES" "$nt"
	notes_back
}
copy "another display name" "Approved-by: Bob Reviewer (really) <bob@example.com> sshsig:$sig"
copy "no display name" "Approved-by: <bob@example.com> sshsig:$sig"
copy "a tab before sshsig:" "Approved-by: Bob Reviewer <bob@example.com>	sshsig:$sig"
copy "a trailing space" "$bl "
copy "a trailing CR" "$(printf '%s\r' "$bl")"
copy "the key in capitals" "APPROVED-BY: Bob Reviewer <bob@example.com> sshsig:$sig"
copy "the email in capitals" "Approved-by: Bob Reviewer <BOB@EXAMPLE.COM> sshsig:$sig"

# the flood: 255 copies would fill the note (256 lines)
i=0
while [ $i -lt 255 ]; do
	printf 'Approved-by: Bob %d <bob@example.com> sshsig:%s\n' $i "$sig"
	i=$((i + 1))
done >"$TRASH/flood"
{ git -C "$w" notes --ref=twokey show "$c"; cat "$TRASH/flood"; } >"$TRASH/note"
git -C "$w" notes --ref=twokey add -f -C "$(git -C "$w" hash-object -w "$TRASH/note")" "$c" 2>/dev/null
refused "255 copies of bob's approval (the note full)" mal "$w" origin "$NOTES"
check "...the notes unmoved" ref_is "$srv" "$NOTES" "$nt"
notes_back

# a copy and its original arriving in one update: the copy is refused too
commit_as "$w" pat@example.com "change two"
c2=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/wip2 2>/dev/null
l2=$(approve_raw sam "Sam" sam@example.com "$w" "$c2")
note_with "$c2" "$l2" "$(printf '%s' "$l2" | sed 's/^Approved-by: Sam /Approved-by: Sam S. /')"
refused "sam's approval and a respelled copy in one update" sam "$w" origin "$NOTES"
check "...says so" expect_out "its note gains a second line for an approval it already holds"
notes_back

# the twins
note_with "$c" "Approved-by: Bob Reviewer <bob.two@example.com> sshsig:$sig"
accepted "the same signature under bob's other email lands" bob "$w" origin "$NOTES"
note_approve olga olga olga@example.com "$w" "$c"
note_approve olga2 olga olga@example.com "$w" "$c"
accepted "olga's approvals with her two keys land" olga "$w" origin "$NOTES"
accepted "main lands: bob (two emails) and olga (two keys) count once each, min 2 met" \
	pat "$w" origin "$c:refs/heads/main"
counted() { [ "$(approvers_of "$LOG" refs/heads/main "$c")" = "bob:note olga:note" ]; }
check "...counted bob and olga, by note" counted

# an emergency: copies of the first ratifier's line cannot lock out the second
git -C "$w" checkout -q -b em "$c"
commit_as "$w" pat@example.com "hotfix"
e1=$(head_of "$w")
accepted "pat's emergency" pat "$w" origin -o "twokey.emergency=INC-1 outage" HEAD:refs/heads/main
note_approve bob "Bob Reviewer" bob@example.com "$w" "$e1"
accepted "bob ratifies first" bob "$w" origin "$NOTES"
eb=$(git -C "$w" notes --ref=twokey show "$e1" | grep Approved-by)
i=0
while [ $i -lt 255 ]; do
	printf 'Approved-by: B%d <bob@example.com> sshsig:%s\n' $i "${eb#*sshsig:}"
	i=$((i + 1))
done >"$TRASH/flood"
{ git -C "$w" notes --ref=twokey show "$e1"; cat "$TRASH/flood"; } >"$TRASH/note"
git -C "$w" notes --ref=twokey add -f -C "$(git -C "$w" hash-object -w "$TRASH/note")" "$e1" 2>/dev/null
refused "mal fills the emergency commit's note with copies" mal "$w" origin "$NOTES"
notes_back
note_approve sam sam sam@example.com "$w" "$e1"
accepted "sam's approval still lands" sam "$w" origin "$NOTES"
check "...and ratifies the emergency" python3 - "$STATE" <<'EOF'
import sys
e = open(sys.argv[1]).read().splitlines()[1].split(' ')
assert e[4] != '0' and 'bob' in e[14] and 'sam' in e[14], e
EOF
check "the audit chain is intact" "$TK_BIN/twokey" audit verify "$LOG"
done_testing
