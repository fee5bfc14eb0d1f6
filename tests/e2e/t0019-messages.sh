#!/bin/sh
# Messages that must say what is true: an approval whose display name is
# not its identity's gets a note (the email decides); a signer whose
# author is unknown is named once, not "((not in the policy))";
# "twokey approve --trailer" warns when git commit --trailer would put
# the approval where twokey never reads it (after git cherry-pick -x).
# (A security key's missing user presence is tests/unit/test_sshsig.c:
# no authenticator here.)  Pushes through pre-receive and update.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

mkkey alice ed25519
mkkey bob ed25519

write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    keys: ["$(pub alice)"]
    roles: [developer]
  bob:
    name: Bob Reviewer
    emails: [bob@example.com]
    logins: [bob]
    keys: ["$(pub bob)"]
    roles: [reviewer]
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    approvals: {min: 1, from: [reviewer]}
  - name: signed
    refs: 'refs/heads/signed'
    signed-commits: true
audit:
  path: $TRASH/audit.jsonl
EOF

w=$(new_work w)
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
NOTE="^remote: twokey: note: refs/heads/main:"

# --- approve --trailer after git cherry-pick -x ------------------------------
reviewer bob bob@example.com "$w"
git -C "$w" checkout -q -b side
commit_as "$w" alice@example.com "the fix"
fix=$(head_of "$w")
git -C "$w" checkout -q main
git -C "$w" -c user.name=alice -c user.email=alice@example.com cherry-pick -x "$fix" >/dev/null
picked=$(head_of "$w")
check "git cherry-pick -x ended the message with its line" sh -c \
	"git -C '$w' log -1 --format=%B | grep -q '^(cherry picked from commit $fix)\$'"
t=$(approve_tk bob bob "$picked")
check "approve --trailer still prints the trailer" sh -c "printf '%s' '$t' | grep -q '^Approved-by: bob <bob@example.com> sshsig:'"
check "approve --trailer warns that git would hide it" \
	grep -q "twokey: warning: the commit message ends in a paragraph git takes for trailers but twokey does not" "$TRASH/approve.err"
check "... and says what works instead" grep -q "approve without --trailer" "$TRASH/approve.err"
check "... without the amend advice" sh -c "! grep -q 'git commit --amend' '$TRASH/approve.err'"
# what the warning predicts: git puts it in the cherry-pick paragraph
add_trailers "$w" alice@example.com "$t"
hidden=$(head_of "$w")
check "git commit --trailer appended it to the cherry-pick paragraph" sh -c \
	"git -C '$w' log -1 --format=%B | grep -B1 '^Approved-by:' | grep -q '^(cherry picked'"
# the twin: the fix itself, no warning, the trailer is read
git -C "$w" checkout -q side
t=$(approve_tk bob bob "$fix")
check "approve --trailer on a plain commit: no warning" sh -c "! grep -q warning '$TRASH/approve.err'"
check "... and the amend advice" grep -q "git commit --amend --no-edit --trailer" "$TRASH/approve.err"
add_trailers "$w" alice@example.com "$t"
fixed=$(head_of "$w")
git -C "$w" checkout -q main

for hook in hooks update; do
	srv=$(new_server "srv-$hook" "$hook")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	push_as alice "$w" origin "$base:refs/heads/seed" || exit 1
	git -C "$srv" update-ref refs/heads/main "$base"
	git -C "$srv" update-ref refs/heads/signed "$base"
	H="$hook:"

	expect_push refuse "$H the cherry-pick approved with --trailer" \
		alice "$w" "$hidden:refs/heads/main" refs/heads/main "$base" \
		"$NOTE $(short "$hidden") \"the fix\": Approved-by lines outside the trailer block are ignored"
	expect_push accept "$H its twin approved the same way on a plain commit" \
		alice "$w" "$fixed:refs/heads/main" refs/heads/main "$fixed"
	git -C "$srv" update-ref refs/heads/main "$base"

	# "Approved-by :" is a trailer for git, not for twokey: said, not silent
	git -C "$w" reset -q --hard "$base"
	commit_as "$w" alice@example.com "spaced key"
	c=$(head_of "$w")
	t=$(approve_raw bob bob bob@example.com "$w" "$c" | sed 's/^Approved-by:/Approved-by :/')
	amend_as "$w" alice@example.com -m "spaced key" -m "$t"
	c=$(head_of "$w")
	expect_push refuse "$H an approval written 'Approved-by :'" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$base" \
		"$NOTE $(short "$c") \"spaced key\": Approved-by lines outside the trailer block are ignored"

	# --- display names ------------------------------------------------------------
	git -C "$w" reset -q --hard "$base"
	commit_as "$w" alice@example.com "named as someone else"
	c=$(head_of "$w")
	add_trailers "$w" alice@example.com "$(approve_raw bob "Alice Liddell" bob@example.com "$w" "$c")"
	c=$(head_of "$w")
	expect_push accept "$H bob's approval under the display name 'Alice Liddell'" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$c" \
		"$NOTE $(short "$c") \"named as someone else\": approval by <bob@example\.com> counted for bob \(Bob Reviewer\), though it names 'Alice Liddell': the email decides"
	git -C "$srv" update-ref refs/heads/main "$base"
	for name in "Bob Reviewer" "bob" "bob reviewer"; do
		git -C "$w" reset -q --hard "$base"
		commit_as "$w" alice@example.com "named as $name"
		c=$(head_of "$w")
		add_trailers "$w" alice@example.com "$(approve_raw bob "$name" bob@example.com "$w" "$c")"
		c=$(head_of "$w")
		expect_push accept "$H bob's approval under '$name'" \
			alice "$w" "$c:refs/heads/main" refs/heads/main "$c"
		check "$H '$name': no note about the name" no_out "the email decides"
		git -C "$srv" update-ref refs/heads/main "$base"
	done

	# --- a signer whose author is unknown -------------------------------------------
	git -C "$w" reset -q --hard "$base"
	signed_commit_as "$w" mallory@evil.example alice "signed for a stranger"
	c=$(head_of "$w")
	expect_push refuse "$H alice signs a stranger's commit" \
		alice "$w" "$c:refs/heads/signed" refs/heads/signed "$base" \
		"signed by alice, who is neither its author \(not in the policy\) nor its committer \(not in the policy\)"
	check "$H no doubled parentheses" no_out "\(\(not in the policy\)\)"
	git -C "$w" reset -q --hard "$base"
	signed_commit_as "$w" alice@example.com alice "signed by its author"
	c=$(head_of "$w")
	expect_push accept "$H its twin: alice signs her own commit" \
		alice "$w" "$c:refs/heads/signed" refs/heads/signed "$c"
	git -C "$w" reset -q --hard "$base"
done

done_testing
