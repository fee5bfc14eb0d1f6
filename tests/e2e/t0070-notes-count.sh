#!/bin/sh
# Detached approvals count like trailers (docs/spec.md, "Detached
# approvals"): an approval only in refs/notes/twokey; the same identity in
# a trailer and a note counts once; notes pushed in the same push as the
# branch, before it, and after it landed (a notes-only update); the audit
# record says how each approver counted.  Every case runs against a
# server with the pre-receive hook and one with the update hook; under
# GIT_NAMESPACE the notes ref is read inside the namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in alice bob carol dave mallory; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves, operations: deploys}
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {name: Bob Reviewer, emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  carol: {emails: [carol@example.com], logins: [carol], keys: ["$(pub carol)"], roles: [reviewer]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [operations, reviewer]}
  mallory: {emails: [mallory@example.com], logins: [mallory], keys: ["$(pub mallory)"], roles: [developer]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
rules:
  - name: mainline
    refs: refs/heads/main
    approvals: {min: 2, from: [reviewer]}
    pusher-may-approve: false
EOF

ERR="^remote: twokey: error:"
OK="^remote: twokey: accepted"

suite() {
	kind=$1
	srv=$(new_server "srv-$kind" "$kind")
	w=$(new_work "w-$kind")
	git -C "$w" remote add origin "$srv"
	commit_as "$w" alice@example.com "base"
	base=$(head_of "$w")
	git -C "$w" push -q origin HEAD:refs/heads/seed 2>/dev/null
	git -C "$srv" update-ref refs/heads/main "$base"

	# --- approval only in notes, pushed with the branch ----------------
	commit_as "$w" alice@example.com "only notes"
	c=$(head_of "$w")
	expect_push refuse "$kind: unapproved" dave "$w" HEAD:refs/heads/main \
		refs/heads/main "$base" \
		"$ERR refs/heads/main: $(short "$c") \"only notes\": not approved: needs 2 more approvals; counted: none .*next: a reviewer who wrote none of it runs 'twokey approve $(git -C "$w" rev-parse --short=12 "$c") --push'.*could approve: bob, carol *$"
	note_approve bob "Bob Reviewer" bob@example.com "$w" "$c"
	note_approve carol carol carol@example.com "$w" "$c"
	# pre-receive reads the pushed notes value (in the quarantine)
	if push_as dave "$w" origin "$NOTES" HEAD:refs/heads/main; then
		ok "$kind: notes and branch in one push: accepted"
	else
		# git runs main's update hook before it writes the notes ref
		# (git sends existing refs first); the notes land, main is
		# refused; pushed again, main sees them.
		check "$kind: notes and branch in one push: main refused" \
			test "$kind" = update
		check "$kind: ... the notes landed" \
			test "$(notes_tip "$srv")" = "$(notes_tip "$w")"
		accepted "$kind: main pushed again" dave "$w" origin HEAD:refs/heads/main
	fi
	check "$kind: main moved" ref_is "$srv" refs/heads/main "$c"
	check "$kind: the server has the notes" \
		test "$(notes_tip "$srv")" = "$(notes_tip "$w")"
	check "$kind: both counted via note" \
		test "$(approvers_of "$LOG" refs/heads/main "$c")" = "bob:note carol:note"
	check "$kind: the notes update is audited with its approvals" \
		audit_last "$LOG" \
		"'$kind' == 'update' or [x['ref'] for x in r['refs']] == ['refs/heads/main', 'refs/notes/twokey']" \
		"'$kind' == 'update' or sorted((a['commit'], a['identity'], a['email']) for a in r['refs'][1]['note_approvals']) == [('$c', 'bob', 'bob@example.com'), ('$c', 'carol', 'carol@example.com')]"
	tip=$c

	# --- notes pushed before the branch ----------------------------------
	commit_as "$w" alice@example.com "notes first"
	c=$(head_of "$w")
	note_approve bob "Bob Reviewer" bob@example.com "$w" "$c"
	expect_push refuse "$kind: notes on a commit the server lacks" bob "$w" \
		"$NOTES" "$NOTES" "$(notes_tip "$srv")" \
		"$ERR refs/notes/twokey: $(short "$c"): its note approves an object that is neither in the repository nor in this push"
	expect_push accept "$kind: the branch to a feature ref" alice "$w" \
		HEAD:refs/heads/feature refs/heads/feature "$c"
	note_approve dave dave dave@example.com "$w" "$c"
	expect_push accept "$kind: notes alone, before main" bob "$w" \
		"$NOTES" "$NOTES" "$(notes_tip "$w")" "$OK refs/notes/twokey"
	check "$kind: a notes-only update records what it adds" audit_last "$LOG" \
		"r['refs'][0]['ref'] == 'refs/notes/twokey' and r['decision'] == 'accepted'" \
		"sorted(a['identity'] for a in r['refs'][0]['note_approvals']) == ['bob', 'dave']"
	# dave approved, so dave may not push it (pusher-may-approve: false)
	expect_push refuse "$kind: the approver pushes" dave "$w" \
		HEAD:refs/heads/main refs/heads/main "$tip" \
		"^remote: twokey: note: refs/heads/main: $(short "$c") \"notes first\": approval by <dave@example.com> \(in its note\) not counted: dave is pushing"
	note_approve carol carol carol@example.com "$w" "$c"
	expect_push accept "$kind: notes (bob, carol, dave) already there, main now" \
		dave "$w" "$NOTES" "$NOTES" "$(notes_tip "$w")"
	expect_push accept "$kind: main, pushed by dave" dave "$w" \
		HEAD:refs/heads/main refs/heads/main "$c"
	tip=$c

	# --- the same identity in a trailer and a note counts once ---------
	commit_as "$w" alice@example.com "mixed"
	c0=$(head_of "$w")
	t_bob=$(approve_raw bob "Bob Reviewer" bob@example.com "$w" "$c0")
	add_trailers "$w" alice@example.com "$t_bob"
	c=$(head_of "$w")
	note_approve bob "Bob Reviewer" bob@example.com "$w" "$c"
	expect_push refuse "$kind: bob twice (trailer and note)" carol "$w" \
		"$NOTES" refs/heads/main "$tip"
	git -C "$w" push -q origin "$NOTES" HEAD:refs/heads/feature 2>/dev/null
	expect_push refuse "$kind: bob in trailer and note is one approval" \
		carol "$w" HEAD:refs/heads/main refs/heads/main "$tip" \
		"$ERR refs/heads/main: $(short "$c") \"mixed\": not approved: needs 1 more approval; counted: bob \(reviewer\)"
	note_approve mallory mallory mallory@example.com "$w" "$c"
	note_approve carol carol carol@example.com "$w" "$c"
	expect_push accept "$kind: carol's note completes it" dave "$w" \
		"$NOTES" "$NOTES" "$(notes_tip "$w")"
	expect_push accept "$kind: main with bob (trailer) and carol (note)" \
		dave "$w" HEAD:refs/heads/main refs/heads/main "$c"
	check "$kind: the record says how each counted" \
		test "$(approvers_of "$LOG" refs/heads/main "$c")" = "bob:trailer, note carol:note"
	check "$kind: mallory's valid approval did not count (no reviewer role)" \
		audit_last "$LOG" "'mallory@example.com' in r['refs'][0]['commits'][0]['refused']"
	tip=$c

	# --- notes after main landed: a notes-only update -------------------
	commit_as "$w" alice@example.com "landed first"
	c0=$(head_of "$w")
	add_trailers "$w" alice@example.com \
		"$(approve_raw bob "Bob Reviewer" bob@example.com "$w" "$c0")"
	c1=$(head_of "$w")
	add_trailers "$w" alice@example.com \
		"$(approve_raw carol carol carol@example.com "$w" "$c1")"
	c=$(head_of "$w")
	expect_push accept "$kind: main lands with trailers only" dave "$w" \
		HEAD:refs/heads/main refs/heads/main "$c"
	note_approve dave dave dave@example.com "$w" "$c"
	expect_push accept "$kind: a later approval of a landed commit" alice "$w" \
		"$NOTES" "$NOTES" "$(notes_tip "$w")" "$OK refs/notes/twokey"
	check "$kind: recorded" audit_last "$LOG" \
		"r['refs'][0]['note_approvals'] == [{'commit': '$c', 'identity': 'dave', 'email': 'dave@example.com', 'key': '$(ssh-keygen -lf "$KEYS/dave.pub" | cut -d' ' -f2)'}]"
	# and a bad one, later, is refused
	note_line "$w" "$c" "Approved-by: dave <dave@example.com> sshsig:U1NIU0lH"
	expect_push refuse "$kind: a malformed signature added later" alice "$w" \
		"$NOTES" "$NOTES" "$(notes_tip "$srv")" \
		"$ERR refs/notes/twokey: $(short "$c") \"landed first\": its note gains an approval by <dave@example.com> that is not valid: malformed signature"
}

suite hooks
suite update

# --- GIT_NAMESPACE: the notes ref lives inside the namespace ---------------
kind=ns
srv=$(new_server srv-ns)
w=$(new_work w-ns)
git -C "$w" remote add origin "$srv"
git -C "$w" config remote.origin.receivepack 'env GIT_NAMESPACE=team git-receive-pack'
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
git -C "$srv" update-ref refs/namespaces/team/refs/heads/main "$base"
commit_as "$w" alice@example.com "in a namespace"
c=$(head_of "$w")
note_approve bob "Bob Reviewer" bob@example.com "$w" "$c"
note_approve carol carol carol@example.com "$w" "$c"
accepted "ns: notes and branch pushed into the namespace" bob "$w" origin \
	"$NOTES" HEAD:refs/heads/feature
check "ns: the notes are stored inside it" test \
	"$(git -C "$srv" rev-parse -q --verify refs/namespaces/team/$NOTES)" = "$(notes_tip "$w")"
check "ns: ...and only there" test -z "$(notes_tip "$srv")"
accepted "ns: main, approved by notes inside the namespace" dave "$w" origin HEAD:refs/heads/main
check "ns: main moved" ref_is "$srv" refs/namespaces/team/refs/heads/main "$c"
# notes outside the namespace are another repository's
commit_as "$w" alice@example.com "outside"
c2=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
note_approve bob "Bob Reviewer" bob@example.com "$w" "$c2"
note_approve carol carol carol@example.com "$w" "$c2"
accepted "ns: notes pushed outside the namespace" bob "$w" "$srv" "$NOTES"
check "ns: ...stored at the top" test "$(notes_tip "$srv")" = "$(notes_tip "$w")"
refused "ns: they do not approve a push inside it" dave "$w" origin HEAD:refs/heads/main
check "ns: ...not counted" expect_out "needs 2 more approvals; counted: none"
done_testing
