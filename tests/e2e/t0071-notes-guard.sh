#!/bin/sh
# The guard of refs/notes/twokey (docs/spec.md, "Detached approvals"):
# created and fast-forwarded only; every line a note held stays; every
# added line is a valid approval of the commit it annotates, which the
# server has or the push brings.  Junk, forged, unknown-key, revoked,
# wrong-commit and signature-less lines, deletes, rewrites, force-pushes,
# merges that bring in a rewritten history, notes on missing objects and
# on non-commits, non-note files and values that are no notes commit are
# refused with a finding naming the note; a rule matching the notes ref
# restricts who pushes it but cannot loosen the guard.  Pre-receive and
# update hook alike.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in alice bob carol grace mallory outsider; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
common() {
	cat <<EOF
version: 1
roles: {developer: writes, reviewer: approves}
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  carol: {emails: [carol@example.com], logins: [carol], keys: ["$(pub carol)"], roles: [reviewer]}
  grace: {emails: [grace@example.com], logins: [grace], keys: ["$(pub grace)"], roles: [reviewer]}
  mallory: {emails: [mallory@example.com], logins: [mallory], keys: ["$(pub mallory)"], roles: [developer]}
revoked-keys: ["$(pub grace)"]
pusher: {env: [GL_USER]}
audit: {path: $LOG}
EOF
}
# A catch-all rule over the notes that asks for approvals: it does not
# apply to notes commits (the guard replaces it).
{ common; cat <<EOF
rules:
  - name: everything
    refs: 'refs/notes/.*'
    approvals: {min: 2, from: [reviewer]}
EOF
} >"$TRASH/open.yaml"
# roles_policy PATTERN: who may push the notes: reviewers, under rule
# "notes" when PATTERN matches the notes ref, else under "notes-warn", in
# warn mode, which softens the role check and nothing of the guard.
roles_policy() {
	{ common; cat <<EOF
rules:
  - name: notes
    refs: '$1'
    update: [reviewer]
    create: [reviewer]
  - name: notes-warn
    refs: 'refs/notes/.*'
    update: [reviewer]
    mode: warn
EOF
	} >"$TRASH/roles.yaml"
}
unset TWOKEY_CONFIG

ERR="^remote: twokey: error: refs/notes/twokey:"

# reset: the local notes back to the server's.
reset() {
	git -C "$w" update-ref "$NOTES" "$(notes_tip "$srv")"
}
# refuse_notes DESC REGEX...: pushing the local notes is refused, the
# server's notes do not move, and the output matches each REGEX.
refuse_notes() {
	d=$1
	shift
	expect_push refuse "$kind: $d" bob "$w" "+$NOTES" "$NOTES" \
		"$(notes_tip "$srv")" "$@"
	reset
}

suite() {
	kind=$1
	srv=$(new_server "srv-$kind" "$kind")
	git -C "$srv" config twokey.config "$TRASH/open.yaml"
	w=$(new_work "w-$kind")
	git -C "$w" remote add origin "$srv"
	commit_as "$w" alice@example.com "first"
	c1=$(head_of "$w")
	commit_as "$w" alice@example.com "second"
	c2=$(head_of "$w")
	git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
	blob=$(git -C "$w" rev-parse "$c1:$(git -C "$w" ls-tree --name-only "$c1" | head -1)")

	# --- a first valid note creates the ref --------------------------------
	note_approve bob bob bob@example.com "$w" "$c1"
	expect_push accept "$kind: bob's approval creates the notes ref" bob "$w" \
		"$NOTES" "$NOTES" "$(notes_tip "$w")" \
		"^remote: twokey: accepted refs/notes/twokey (under rule 'everything' )?\(1 approval added\)"
	p0=$(notes_tip "$srv")
	note_approve carol carol carol@example.com "$w" "$c2"
	expect_push accept "$kind: carol's approval of c2" carol "$w" \
		"$NOTES" "$NOTES" "$(notes_tip "$w")"
	p1=$(notes_tip "$srv")

	# --- added lines that are no valid approval ------------------------------
	note_line "$w" "$c1" "LGTM, ship it"
	refuse_notes "junk" "$ERR $(short "$c1") \"first\": its note gains a line that is no valid approval \(it is not an 'Approved-by: Name <email> sshsig:BASE64' line\): \"LGTM, ship it\""
	note_line "$w" "$c1" "Approved-by: carol <carol@example.com>"
	refuse_notes "no signature" "$ERR $(short "$c1") \"first\": its note gains a line that is no valid approval \(it carries no sshsig"
	note_approve mallory carol carol@example.com "$w" "$c1"
	refuse_notes "forged" "$ERR $(short "$c1") \"first\": its note gains an approval by <carol@example.com> that is not valid: forged: the trailer names <carol@example.com>, which is not an email of mallory"
	note_approve outsider carol carol@example.com "$w" "$c1"
	refuse_notes "unknown key" "$ERR $(short "$c1") \"first\": its note gains an approval by <carol@example.com> that is not valid: signed by a key not in the policy"
	note_approve grace grace grace@example.com "$w" "$c1"
	refuse_notes "revoked key" "signed by a revoked key of grace"
	wrong=$(approve_raw carol carol carol@example.com "$w" "$c2")
	note_line "$w" "$c1" "$wrong"
	refuse_notes "an approval of another commit" "$ERR $(short "$c1") \"first\": its note gains an approval by <carol@example.com> that is not valid: its signature does not match this commit"
	# many lines: over the bound
	i=0
	while [ $i -lt 260 ]; do note_line "$w" "$c1" "$wrong"; i=$((i + 1)); done
	refuse_notes "a note of 260 lines" "its note: note has more than 256 lines"
	big=$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "%064d\n", i }' |
		git -C "$w" hash-object -w --stdin)
	git -C "$w" notes --ref=twokey add -f -C "$big" "$c2" 2>/dev/null
	refuse_notes "a note of 320 KiB" "$ERR $(short "$c2") \"second\": its note: note is over 262144 bytes"

	# --- what the note annotates ------------------------------------------------
	commit_as "$w" alice@example.com "unpushed"
	c3=$(head_of "$w")
	note_approve bob bob bob@example.com "$w" "$c3"
	refuse_notes "a note on a commit the server lacks" \
		"$ERR $(short "$c3"): its note approves an object that is neither in the repository nor in this push"
	note_line "$w" "$blob" "$wrong"
	refuse_notes "a note on a blob" "$ERR $(short "$blob"): its note annotates a blob, not a commit"
	# ...but the same note arriving with its commit is fine (in the update
	# hook too: git stores every object of a push before any update hook)
	note_approve bob bob bob@example.com "$w" "$c3"
	accepted "$kind: the note and its commit in one push" bob "$w" origin \
		"$NOTES" HEAD:refs/heads/feature
	p1=$(notes_tip "$srv")
	check "$kind: ... both landed" test "$p1" = "$(notes_tip "$w")"
	git -C "$w" reset -q --hard "$c2"

	# --- history: deletes, rewrites, force-pushes ---------------------------------
	expect_push refuse "$kind: delete" bob "$w" ":$NOTES" "$NOTES" "$p1" \
		"$ERR the notes ref holds approvals, which are evidence: it may never be deleted"
	git -C "$w" notes --ref=twokey remove "$c1" 2>/dev/null
	refuse_notes "a fast-forward that removes a note" \
		"$ERR $(short "$c1") \"first\": its note loses 1 line in notes commit [0-9a-f]{12} \(a note may only gain approvals\)"
	git -C "$w" notes --ref=twokey add -f -m "$(git -C "$w" notes --ref=twokey show "$c1" | sed 's/sshsig:/sshsig: /')" "$c1"
	refuse_notes "a line changed (white space)" "its note loses 1 line"
	git -C "$w" update-ref "$NOTES" "$p0"
	note_approve carol carol carol@example.com "$w" "$c1"
	refuse_notes "a force-push (drops the notes since p0)" \
		"$ERR the notes ref may only be fast-forwarded: this update drops notes commits the server has"
	# a merge whose second parent rewrote an older notes commit
	tree0=$(git -C "$w" rev-parse "$p0^{tree}")
	empty=$(git -C "$w" mktree </dev/null)
	x=$(git -C "$w" commit-tree -p "$p0" -m "rewrite: drop bob" "$empty")
	note_approve carol carol carol@example.com "$w" "$c1"
	m=$(git -C "$w" commit-tree -p "$p1" -p "$x" -m "merge" "$(git -C "$w" rev-parse "$NOTES^{tree}")")
	git -C "$w" update-ref "$NOTES" "$m"
	refuse_notes "a merge bringing in a history that dropped a line" \
		"$ERR $(short "$c1") \"first\": its note loses 1 line in notes commit $(git -C "$w" rev-parse --short=12 "$x")"
	# a merge whose second parent is a root holding junk
	junk=$(printf 'rubbish\n' | git -C "$w" hash-object -w --stdin)
	jt=$(printf '100644 blob %s\t%s\n' "$junk" "$c2" | git -C "$w" mktree)
	x=$(git -C "$w" commit-tree -m "junk root" "$jt")
	m=$(git -C "$w" commit-tree -p "$p1" -p "$x" -m "merge" "$(git -C "$w" rev-parse "$p1^{tree}")")
	git -C "$w" update-ref "$NOTES" "$m"
	refuse_notes "a merge bringing in a root of junk" \
		"$ERR $(short "$c2") \"second\": its note gains a line that is no valid approval .*\"rubbish\""

	# --- trees that are no notes trees ----------------------------------------------
	readme=$(printf 'hello\n' | git -C "$w" hash-object -w --stdin)
	t=$( { git -C "$w" ls-tree "$p1"; printf '100644 blob %s\tREADME\n' "$readme"; } | git -C "$w" mktree)
	git -C "$w" update-ref "$NOTES" "$(git -C "$w" commit-tree -p "$p1" -m readme "$t")"
	refuse_notes "a README in the notes tree" "$ERR [0-9a-f]{7}: notes commit [0-9a-f]{12}: 'README' is not a note as git writes them"
	upper=$(echo "$c1" | tr a-f A-F)
	t=$( { git -C "$w" ls-tree "$p1"; printf '100644 blob %s\t%s\n' "$readme" "$upper"; } | git -C "$w" mktree)
	git -C "$w" update-ref "$NOTES" "$(git -C "$w" commit-tree -p "$p1" -m upper "$t")"
	refuse_notes "an upper-case note name" "'$upper' is not a note"
	t=$( { git -C "$w" ls-tree "$p1" | grep -v "	$c1\$"; printf '100755 blob %s\t%s\n' "$(git -C "$w" rev-parse "$p1:$c1")" "$c1"; } | git -C "$w" mktree)
	git -C "$w" update-ref "$NOTES" "$(git -C "$w" commit-tree -p "$p1" -m exec "$t")"
	refuse_notes "an executable note" "'$c1' is not a note"
	# a pushed value that is no commit (on a server without notes yet)
	srv2=$(new_server "srv2-$kind" "$kind")
	git -C "$srv2" config twokey.config "$TRASH/open.yaml"
	git -C "$w" push -q "$srv2" "$c2:refs/heads/feature" 2>/dev/null
	if push_as bob "$w" "$srv2" "$tree0:$NOTES"; then
		not_ok "$kind: a tree as the notes ref: accepted"
	else ok "$kind: a tree as the notes ref: refused"; fi
	check "$kind: ... because it is no notes commit" expect_out \
		"$ERR [0-9a-f]{7}: the new value is a tree, not a notes commit"

	# --- rules: who pushes, never how much is guarded ------------------------------
	roles_policy refs/notes/twokey
	git -C "$srv" config twokey.config "$TRASH/roles.yaml"
	note_approve carol carol carol@example.com "$w" "$c1"
	expect_push refuse "$kind: a developer may not push the notes" mallory "$w" \
		"$NOTES" "$NOTES" "$p1" \
		"^remote: twokey: error: refs/notes/twokey: pusher 'mallory' may not update this ref: that takes one of the roles: reviewer \[rule 'notes'\]"
	expect_push accept "$kind: a reviewer may" carol "$w" "$NOTES" "$NOTES" \
		"$(notes_tip "$w")" "under rule 'notes' \(1 approval added\)"
	p1=$(notes_tip "$srv")
	roles_policy never
	note_line "$w" "$c1" "junk under a warn-mode rule"
	refuse_notes "warn mode loosens nothing of the guard" \
		"$ERR $(short "$c1") \"first\": its note gains a line that is no valid approval .* \[rule 'notes-warn'\]"
	note_approve bob bob bob@example.com "$w" "$c2"
	expect_push accept "$kind: ...but softens its role check" mallory "$w" \
		"$NOTES" "$NOTES" "$(notes_tip "$w")" \
		"^remote: twokey: warning: refs/notes/twokey: pusher 'mallory' may not update this ref"
}

suite hooks
suite update
done_testing
