#!/bin/sh
# GIT_NAMESPACE (docs/spec.md, "Ref names"): git hands the hooks the names
# as the client pushed them (verified: stdin and the update hook's
# arguments carry no refs/namespaces/ prefix), so rules match those; every
# ref twokey reads (promote-from, vouching refs) is looked up inside the
# namespace, as git does.  Without a namespace, refs/namespaces/* is
# refused unless a rule names it; so is a nested namespace inside one.
# Both hooks.
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
    promote-from: refs/heads/staging
  - name: releases
    refs: 'refs/heads/release/.+'
    approvals: {min: 1, from: [reviewer]}
audit:
  path: $TRASH/audit.jsonl
EOF

w=$(new_work w)
reviewer bob bob@example.com "$w"
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
ERR="^remote: twokey: error:"
NS=refs/namespaces/ns

# in_ns on|off: pushes to origin go through GIT_NAMESPACE=ns or not
in_ns() {
	if [ "$1" = on ]; then
		git -C "$w" config remote.origin.receivepack \
			'env GIT_NAMESPACE=ns git-receive-pack'
	else
		git -C "$w" config --unset remote.origin.receivepack
	fi
}
commit_on() { # commit_on PARENT SUBJECT: alice's commit, in $c
	git -C "$w" reset -q --hard "$1"
	commit_as "$w" alice@example.com "$2"
	c=$(head_of "$w")
}
approve() {
	add_trailers "$w" alice@example.com "$(approve_tk bob bob "$c")"
	c=$(head_of "$w")
}

for hook in hooks update; do
	srv=$(new_server "srv-$hook" "$hook")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	H="$hook:"
	in_ns off
	push_as alice "$w" origin "$base:refs/heads/seed" || exit 1
	for r in refs/heads/main refs/heads/staging $NS/refs/heads/main \
		$NS/refs/heads/staging; do
		git -C "$srv" update-ref $r "$base"
	done

	# promote-from is read inside the namespace: the root namespace's
	# staging holding the commit does not let it onto ns's main
	commit_on "$base" "staged at the root only"
	approve
	push_as alice "$w" origin "$c:refs/heads/staging" || exit 1
	in_ns on
	expect_push refuse "$H promote-from looks in the namespace, not at the root" \
		alice "$w" "$c:refs/heads/main" $NS/refs/heads/main "$base" \
		"$ERR refs/heads/main: .*not on refs/heads/staging yet \(promote-from\)"
	check "$H root main untouched" ref_is "$srv" refs/heads/main "$base"

	# and the namespace's own staging lets it in (today's false refusal)
	commit_on "$base" "staged in the namespace"
	approve
	expect_push accept "$H staged in the namespace" \
		alice "$w" "$c:refs/heads/staging" $NS/refs/heads/staging "$c"
	expect_push accept "$H an approved commit promoted from the namespace's own staging" \
		alice "$w" "$c:refs/heads/main" $NS/refs/heads/main "$c" \
		"accepted refs/heads/main under rule 'mainline'"
	check "$H the record names the namespace, refs as pushed" sh -c \
		"tail -n 1 '$TRASH/audit.jsonl' | grep -q '\"ref\":\"refs/heads/main\".*\"namespace\":\"ns\"'"
	check "$H root main untouched" ref_is "$srv" refs/heads/main "$base"

	# vouching refs are the namespace's: a commit the root main holds
	# (put there without approval) is entering for a release in ns
	commit_on "$base" "legacy at the root"
	in_ns off
	push_as alice "$w" origin "$c:refs/heads/seed2" || exit 1
	git -C "$srv" update-ref refs/heads/main "$c"
	in_ns on
	expect_push refuse "$H the root namespace's main vouches for nothing in ns" \
		alice "$w" "$c:refs/heads/release/1" $NS/refs/heads/release/1 "" \
		"$ERR refs/heads/release/1: .*\"legacy at the root\": not approved"
	# while the namespace's own main does
	commit_on "$base" "legacy in the namespace"
	push_as alice "$w" origin "$c:refs/heads/seed3" || exit 1
	git -C "$srv" update-ref $NS/refs/heads/main "$c"
	expect_push accept "$H ns's main vouches for a release created at its tip" \
		alice "$w" "$c:refs/heads/release/2" $NS/refs/heads/release/2 "$c"

	# nested namespaces are other namespaces: refused unless named
	commit_on "$base" "nested"
	expect_push refuse "$H a nested namespace's main cannot be written from ns" \
		alice "$w" "$c:refs/namespaces/x/refs/heads/main" \
		$NS/refs/namespaces/x/refs/heads/main "" \
		"$ERR refs/namespaces/x/refs/heads/main: refused: 'refs/namespaces/' refs change what other refs mean"

	# without a namespace, refs/namespaces/* is another namespace's ref
	in_ns off
	commit_on "$(git -C "$srv" rev-parse $NS/refs/heads/main)" \
		"behind the namespace's back"
	expect_push refuse "$H refs/namespaces/ns/refs/heads/main from the root" \
		alice "$w" "$c:$NS/refs/heads/main" $NS/refs/heads/main \
		"$(git -C "$srv" rev-parse $NS/refs/heads/main)" \
		"$ERR $NS/refs/heads/main: refused: 'refs/namespaces/' refs change what other refs mean"
	expect_push refuse "$H nor deleted from the root" \
		alice "$w" ":$NS/refs/heads/release/2" $NS/refs/heads/release/2 \
		"$(git -C "$srv" rev-parse $NS/refs/heads/release/2)" \
		"$ERR $NS/refs/heads/release/2: refused: 'refs/namespaces/'"

	# a bad GIT_NAMESPACE: git itself dies; twokey check fails closed
	check "$H twokey check refuses a namespace git would refuse" sh -c \
		"cd '$srv' && ! GIT_NAMESPACE=a/ '$TK_BIN/twokey' check --pusher alice refs/heads/x 0000000000000000000000000000000000000000 $base >'$TRASH/chk' 2>&1 && grep -q 'bad git namespace' '$TRASH/chk'"
done

done_testing
