#!/bin/sh
# Combinations of the separation rule's parts that earlier tests take one
# at a time, each tried through pre-receive and through the update hook:
# tag objects (nested, or naming a tree or a blob) at unapproved commits,
# one commit pushed under two rules at once, writers found by a
# differently cased email or only by the key that signed the commit, a
# merge approved by the committer of a commit it brings in, the notes
# guard under a rule in warn mode that lets operations delete and
# force-push, and pusher-may-write on a created ref where nothing enters.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in alice bob carol erin dave; do mkkey $k ed25519; done
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves, operations: deploys}
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer, operations]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  carol: {emails: [carol@example.com], logins: [carol], keys: ["$(pub carol)"], roles: [reviewer, operations]}
  erin: {emails: [erin@example.com], logins: [erin], keys: ["$(pub erin)"], roles: [reviewer]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [operations]}
pusher: {env: [GL_USER]}
rules:
  - name: notes
    refs: 'refs/notes/.*'
    mode: warn
    delete: [operations]
    force-push: [operations]
  - name: main
    refs: refs/heads/main
    approvals: {min: 1, from: [reviewer]}
  - name: tags
    refs: 'refs/tags/v.*'
    approvals: {min: 1, from: [reviewer]}
  - name: release
    refs: 'refs/heads/release/.+'
    approvals: {min: 1, from: [reviewer]}
    pusher-may-write: false
EOF

check "the policy is valid" sh -c '"$1" config check "$2" >/dev/null' - "$TK_BIN/twokey" "$TWOKEY_CONFIG"

for mode in hooks update; do
	H="$mode:"
	srv=$(new_server "srv-$mode" "$mode")
	w=$(new_work "w-$mode")
	git -C "$w" remote add origin "$srv"
	git -C "$w" config gpg.format ssh
	commit_as "$w" carol@example.com seed
	m0=$(head_of "$w")
	note_approve bob bob bob@example.com "$w" "$m0"
	accepted "$H the seed and bob's note on it" alice "$w" origin HEAD:refs/heads/feat "$NOTES"
	git -C "$srv" update-ref refs/heads/main "$m0"

	# --- tag objects -----------------------------------------------------
	commit_as "$w" alice@example.com x1
	x1=$(head_of "$w")
	git -C "$w" tag -a -m "tag" v1 "$x1"
	refused "$H an annotated tag at an unapproved commit" carol "$w" origin refs/tags/v1
	check "$H ...names the commit" expect_out "$(git -C "$w" rev-parse --short=7 "$x1").*not approved"
	git -C "$w" -c advice.nestedTag=false tag -a -m "tag of a tag" v1-outer v1
	git -C "$w" -c advice.nestedTag=false tag -a -m "tag of a tag of a tag" v1-outer2 v1-outer
	refused "$H a tag of a tag of a tag at it" carol "$w" origin refs/tags/v1-outer2
	check "$H ...v1-outer2 absent" ref_is "$srv" refs/tags/v1-outer2 ""
	tree=$(git -C "$w" rev-parse "$x1^{tree}")
	refused "$H a tree as the new value of a protected tag" carol "$w" origin "$tree:refs/tags/vtree"
	check "$H ...says it is no commit" expect_out "is a tree, not a commit"
	blob=$(echo payload | git -C "$w" hash-object -w --stdin)
	git -C "$w" tag -a -m "tag of a blob" vblob "$blob"
	refused "$H a tag object naming a blob" carol "$w" origin refs/tags/vblob
	check "$H ...says it is no commit" expect_out "not a commit"
	note_approve bob bob bob@example.com "$w" "$x1"
	accepted "$H the twin: bob's note on x1 and the tag" carol "$w" origin "$NOTES" refs/tags/v1

	# --- one commit under two rules in one push -----------------------------
	commit_as "$w" alice@example.com x2
	x2=$(head_of "$w")
	refused "$H x2 to an unprotected branch and to main in one push" carol "$w" origin HEAD:refs/heads/feat2 HEAD:refs/heads/main
	check "$H ...main unmoved" ref_is "$srv" refs/heads/main "$m0"

	# --- writers by a differently cased email, by a signing key ------------
	git -C "$w" reset -q --hard "$m0"
	test_tick
	git -C "$w" -c user.name=Bob -c user.email=BOB@Example.COM commit -q --allow-empty -m "bob, shouting"
	b1=$(head_of "$w")
	note_approve bob bob bob@example.com "$w" "$b1"
	accepted "$H bob's commit and his own note land beside main" carol "$w" origin HEAD:refs/heads/feat-b "$NOTES"
	refused "$H ...do not land on main (BOB@Example.COM is bob)" carol "$w" origin HEAD:refs/heads/main
	check "$H ...says bob wrote it" expect_out "bob is a writer of this change"
	git -C "$w" reset -q --hard "$m0"
	test_tick
	git -C "$w" -c user.name=alice -c user.email=alice@example.com \
		-c user.signingKey="$KEYS/bob" commit -q -S --allow-empty -m "alice's, signed by bob"
	s1=$(head_of "$w")
	check "$H ...git says bob's key signed it" sh -c 'git -C "$1" cat-file commit "$2" | grep -q "^gpgsig "' - "$w" "$s1"
	note_approve bob bob bob@example.com "$w" "$s1"
	accepted "$H the signed commit and bob's note beside main" carol "$w" origin HEAD:refs/heads/feat-s "$NOTES"
	refused "$H ...do not land on main (bob signed it: a writer, signed-commits or not)" carol "$w" origin HEAD:refs/heads/main
	check "$H ...says bob wrote it" expect_out "bob is a writer of this change"
	note_approve erin erin erin@example.com "$w" "$s1"
	# (the update hook reads the notes as they are when it runs: notes first)
	accepted "$H the twin: erin's note" carol "$w" origin "$NOTES"
	accepted "$H ...lands it" carol "$w" origin HEAD:refs/heads/main
	main=$s1

	# --- a merge approved by the committer of what it brings in ------------
	git -C "$w" checkout -q -B side "$main"
	test_tick
	echo side >"$w/side-$mode"
	git -C "$w" add "side-$mode"
	git -C "$w" -c user.name=alice -c user.email=alice@example.com commit -q -m "alice's side"
	test_tick
	GIT_COMMITTER_NAME=carol GIT_COMMITTER_EMAIL=carol@example.com \
		git -C "$w" commit -q --amend --no-edit
	sd=$(head_of "$w")
	note_approve bob bob bob@example.com "$w" "$sd"
	git -C "$w" checkout -q -B mainw "$main"
	commit_as "$w" alice@example.com "first parent"
	fp=$(head_of "$w")
	note_approve bob bob bob@example.com "$w" "$fp"
	test_tick
	git -C "$w" -c user.name=erin -c user.email=erin@example.com merge -q --no-edit side
	mg=$(head_of "$w")
	note_approve carol carol carol@example.com "$w" "$mg"
	accepted "$H the merge, its parents and their notes beside main" alice "$w" origin HEAD:refs/heads/feat-m "$NOTES"
	refused "$H ...carol, committer of the side commit, cannot approve the merge" alice "$w" origin HEAD:refs/heads/main
	check "$H ...says carol wrote it" expect_out "carol is a writer of this change"
	note_approve bob bob bob@example.com "$w" "$mg"
	accepted "$H the twin: bob approves the clean merge (erin merged it)" alice "$w" origin "$NOTES"
	accepted "$H ...which lands" alice "$w" origin HEAD:refs/heads/main
	main=$mg

	# --- the notes guard under a warn rule that gives roles -----------------
	nt=$(notes_tip "$srv")
	refused "$H carol (operations) deletes the notes ref" carol "$w" origin ":$NOTES"
	check "$H ...says it is never deleted" expect_out "may never be deleted"
	check "$H ...notes unmoved" ref_is "$srv" "$NOTES" "$nt"
	git -C "$w" update-ref "$NOTES" "$nt"
	test_tick
	git -C "$w" notes --ref=twokey remove "$fp" 2>/dev/null
	refused "$H a fast-forward that drops a note" carol "$w" origin "$NOTES"
	check "$H ...says a line went" expect_out "loses 1 line"
	git -C "$w" update-ref -d "$NOTES"
	test_tick
	note_approve bob bob bob@example.com "$w" "$mg"
	refused "$H a forced push to another history" carol "$w" origin "+$NOTES"
	check "$H ...notes unmoved" ref_is "$srv" "$NOTES" "$nt"
	git -C "$w" update-ref "$NOTES" "$nt"

	# --- pusher-may-write on a created ref where nothing enters -------------
	refused "$H alice creates release/1 at main, which holds her commits" alice "$w" origin "$main:refs/heads/release/1"
	check "$H ...says she wrote them" expect_out "pusher 'alice' wrote this commit"
	check "$H ...release/1 absent" ref_is "$srv" refs/heads/release/1 ""
	accepted "$H the twin: dave, who wrote none of it, creates it" dave "$w" origin "$main:refs/heads/release/1"
	check "$H ...release/1 at main" ref_is "$srv" refs/heads/release/1 "$main"
done
done_testing
