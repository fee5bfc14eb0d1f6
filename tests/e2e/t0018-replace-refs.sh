#!/bin/sh
# Refs that change what other refs mean (docs/decisions.md, "Refs that
# change what other refs mean"): refs/replace/* makes git on the server
# show other objects for a protected branch, so an update of one is refused
# unless a rule whose pattern starts with "refs/replace/" governs it; a
# catch-all rule does not count.  Other names (refs/notes/commits)
# stay ordinary; git refuses refs/stash remotely.  Both hooks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

policy() { # policy FILE EXTRA-RULES
	cat >"$1" <<EOF
version: 1
roles:
  developer: writes code
  operations: deploys
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    roles: [developer]
  dave:
    emails: [dave@example.com]
    logins: [dave]
    roles: [operations]
pusher:
  env: [GL_USER]
rules:
$2
  - name: everything
    refs: 'refs/.*'
    update: [developer, operations]
EOF
}
policy "$TRASH/catchall.yaml" ""
policy "$TRASH/explicit.yaml" "  - name: replacements
    refs: '^refs/replace/[0-9a-f]{40}'
    update: [operations]"
export TWOKEY_CONFIG="$TRASH/catchall.yaml"

w=$(new_work w)
commit_as "$w" alice@example.com "good"
good=$(head_of "$w")
commit_as "$w" alice@example.com "evil"
evil=$(head_of "$w")
ERR="^remote: twokey: error:"

for hook in hooks update; do
	srv=$(new_server "srv-$hook" "$hook")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	H="$hook:"
	push_as alice "$w" origin "$good:refs/heads/main" "$evil:refs/heads/topic" ||
		exit 1

	export TWOKEY_CONFIG="$TRASH/catchall.yaml"
	expect_push refuse "$H a replace ref under a catch-all rule" alice "$w" \
		"$evil:refs/replace/$good" "refs/replace/$good" "" \
		"$ERR refs/replace/$good: refused: 'refs/replace/' refs change what other refs mean: git on the server shows .* no rule of the policy names them explicitly \(rule 'everything' matches by a broader pattern\)"
	check "$H git on the server still shows main's own commit" \
		test "$(git -C "$srv" log -1 --format=%s main)" = good
	expect_push accept "$H refs/notes/commits is an ordinary ref" alice "$w" \
		"$evil:refs/notes/commits" refs/notes/commits "$evil"
	# (git 2.39 itself refuses one-level names like refs/stash remotely)
	expect_push refuse "$H refs/stash cannot be pushed at all" alice "$w" \
		"$evil:refs/stash" refs/stash "" "funny refname"

	# a replace ref that exists already (an admin put it there)
	git -C "$srv" update-ref "refs/replace/$good" "$evil"
	expect_push refuse "$H nor may one be deleted" alice "$w" \
		":refs/replace/$good" "refs/replace/$good" "$evil" \
		"$ERR refs/replace/$good: refused: 'refs/replace/'"
	git -C "$srv" update-ref -d "refs/replace/$good"

	# a rule that names them explicitly governs them like any other ref
	export TWOKEY_CONFIG="$TRASH/explicit.yaml"
	expect_push refuse "$H the explicit rule's roles apply" alice "$w" \
		"$evil:refs/replace/$good" "refs/replace/$good" "" \
		"$ERR refs/replace/$good: pusher 'alice' may not create this ref.*\[rule 'replacements'\]"
	expect_push accept "$H operations may replace, as the rule says" dave "$w" \
		"$evil:refs/replace/$good" "refs/replace/$good" "$evil" \
		"accepted refs/replace/$good under rule 'replacements'"
	check "$H and git on the server now shows the replacement" \
		test "$(git -C "$srv" log -1 --format=%s main)" = evil
done

done_testing
