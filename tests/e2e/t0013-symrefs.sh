#!/bin/sh
# Symbolic refs on the server (docs/spec.md, "Ref names"): a pushed name
# that is a symbolic ref is decided under the rule of the ref git writes
# through it, dangling or not, through chains up to git's limit; loops and
# longer chains fail closed; the audit record names both refs.  Every case
# runs through the pre-receive hook and through the update hook.
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
    refs: 'refs/heads/(main|release/.+)'
    delete: []
    approvals: {min: 1, from: [reviewer]}
  - name: replace
    refs: 'refs/replace/.+'
    update: []
audit:
  path: $TRASH/audit.jsonl
EOF

w=$(new_work w)
reviewer bob bob@example.com "$w"
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
ERR="^remote: twokey: error:"

# unapproved SUBJECT / approved SUBJECT: a commit by alice on $base, in $c
unapproved() {
	git -C "$w" reset -q --hard "$base"
	commit_as "$w" alice@example.com "$1"
	c=$(head_of "$w")
}
approved() {
	unapproved "$1"
	add_trailers "$w" alice@example.com "$(approve_tk bob bob "$c")"
	c=$(head_of "$w")
}
# symref NAME TARGET: a symbolic ref on the server, as git symbolic-ref
# writes it (or by hand where git symbolic-ref refuses the target)
symref() { printf 'ref: %s\n' "$2" >"$srv/$1"; }

for hook in hooks update; do
	srv=$(new_server "srv-$hook" "$hook")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	push_as alice "$w" origin "$base:refs/heads/seed" || exit 1
	git -C "$srv" update-ref refs/heads/main "$base"
	git -C "$srv" symbolic-ref refs/heads/alias refs/heads/main
	H="$hook:"
	# git refuses broken symbolic refs after pre-receive and before it
	# runs the update hook: only pre-receive sees them
	if [ "$hook" = hooks ]; then BROKEN="$ERR refs/heads/%s: cannot tell which ref git would write"
	else BROKEN="refusing update to broken symref 'refs/heads/%s'"; fi

	unapproved "unapproved via alias"
	expect_push refuse "$H unapproved commit pushed to an alias of main" \
		alice "$w" HEAD:refs/heads/alias refs/heads/main "$base" \
		"$ERR refs/heads/alias: .*not approved: needs 1 more approval.*\[rule 'mainline'\]" \
		"'refs/heads/alias' is a symbolic ref: git writes 'refs/heads/main'"
	check "$H the alias is still a symbolic ref" \
		test "$(git -C "$srv" symbolic-ref refs/heads/alias)" = refs/heads/main

	approved "approved via alias"
	expect_push accept "$H approved commit pushed to the alias" \
		alice "$w" HEAD:refs/heads/alias refs/heads/main "$c" \
		"accepted refs/heads/alias \(symbolic ref to refs/heads/main\) under rule 'mainline'"
	check "$H the audit record names both refs" sh -c \
		"tail -n 1 '$TRASH/audit.jsonl' | grep -q '\"ref\":\"refs/heads/alias\".*\"rule\":\"mainline\".*\"target\":\"refs/heads/main\"'"
	git -C "$srv" update-ref refs/heads/main "$base"

	# a dangling alias: git creates its target
	symref refs/heads/dangling refs/heads/release/1
	unapproved "unapproved via dangling"
	expect_push refuse "$H a dangling alias does not create release/1 unapproved" \
		alice "$w" HEAD:refs/heads/dangling refs/heads/release/1 "" \
		"$ERR refs/heads/dangling: .*not approved.*\[rule 'mainline'\]"
	approved "approved via dangling"
	expect_push accept "$H an approved commit through the dangling alias creates release/1" \
		alice "$w" HEAD:refs/heads/dangling refs/heads/release/1 "$c"

	# deleting through an alias deletes the target (verified with git 2.39)
	expect_push refuse "$H deleting the alias would delete release/1" \
		alice "$w" :refs/heads/dangling refs/heads/release/1 "$c" \
		"$ERR refs/heads/dangling: nobody may delete this ref \[rule 'mainline'\]"

	# chains: git follows at most 5 names, the pushed one included
	symref refs/heads/c5 refs/heads/main
	symref refs/heads/c4 refs/heads/c5
	symref refs/heads/c3 refs/heads/c4
	symref refs/heads/c2 refs/heads/c3
	symref refs/heads/c1 refs/heads/c2
	unapproved "unapproved via chain"
	expect_push refuse "$H a chain of 4 symbolic refs leads to main" \
		alice "$w" HEAD:refs/heads/c2 refs/heads/main "$base" \
		"$ERR refs/heads/c2: .*not approved.*\[rule 'mainline'\]"
	approved "approved via chain"
	expect_push accept "$H approved through the chain of 4" \
		alice "$w" HEAD:refs/heads/c2 refs/heads/main "$c" \
		"accepted refs/heads/c2 \(symbolic ref to refs/heads/main\)"
	git -C "$srv" update-ref refs/heads/main "$base"
	expect_push refuse "$H a chain of 5 is broken for git and for twokey" \
		alice "$w" HEAD:refs/heads/c1 refs/heads/main "$base" \
		"$(printf "$BROKEN" c1)"
	[ "$hook" = update ] || check "$H says why" expect_out \
		"symbolic ref 'refs/heads/c1' starts a chain of more than 4"

	symref refs/heads/loop1 refs/heads/loop2
	symref refs/heads/loop2 refs/heads/loop1
	expect_push refuse "$H a loop fails closed" \
		alice "$w" HEAD:refs/heads/loop1 refs/heads/loop1 "" \
		"$(printf "$BROKEN" loop1)"
	[ "$hook" = update ] || check "$H says why" expect_out "symbolic ref loop"
	symref refs/heads/bad 'refs/heads/..x'
	expect_push refuse "$H a symbolic ref to an invalid name fails closed" \
		alice "$w" HEAD:refs/heads/bad refs/heads/bad "" \
		"$(printf "$BROKEN" bad)"

	# through HEAD (itself a symbolic ref to main)
	git -C "$srv" symbolic-ref HEAD refs/heads/main
	symref refs/heads/head-alias HEAD
	unapproved "unapproved via HEAD"
	expect_push refuse "$H an alias of HEAD leads to main" \
		alice "$w" HEAD:refs/heads/head-alias refs/heads/main "$base" \
		"$ERR refs/heads/head-alias: .*not approved.*\[rule 'mainline'\]"
	# a detached HEAD written through an alias changes the default branch
	git -C "$srv" update-ref --no-deref HEAD "$base"
	expect_push refuse "$H an alias of a detached HEAD would rewrite HEAD" \
		alice "$w" HEAD:refs/heads/head-alias HEAD "$base" \
		"$ERR refs/heads/head-alias: refused: 'HEAD' refs change what other refs mean"
	git -C "$srv" symbolic-ref HEAD refs/heads/main

	# an alias of a replace ref is a replace ref
	symref refs/heads/repl "refs/replace/$base"
	expect_push refuse "$H an alias of a replace ref is decided as one" \
		alice "$w" HEAD:refs/heads/repl "refs/replace/$base" "" \
		"$ERR refs/heads/repl: nobody may create this ref \[rule 'replace'\]"

	# an unprotected alias of an unprotected ref stays unprotected
	git -C "$srv" symbolic-ref refs/heads/topic-alias refs/heads/topic
	unapproved "topic work"
	expect_push accept "$H an alias of an unprotected branch" \
		alice "$w" HEAD:refs/heads/topic-alias refs/heads/topic "$c"
done

done_testing
