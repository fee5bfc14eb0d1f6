#!/bin/sh
# A repository that ignores case in ref names (core.ignoreCase, which git
# sets on a case-insensitive file system, where refs/heads/release-1 is
# the file of refs/heads/Release-1): a pushed name is decided under the
# rule of every existing ref spelled like it but for case, not only under
# its lower-case spelling's.  Before, a rule whose pattern has capitals
# ('refs/heads/Release-.+') or matches only capitals ('[A-Z]+') protected
# a ref that its lower-case spelling, matched by no rule, moved.  The
# file system here is case-sensitive, so core.ignoreCase is set by hand:
# what is tested is twokey's decision, through pre-receive and the
# update hook.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

mkkey bob ed25519
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
pusher: {env: [GL_USER]}
freezes:
  - {name: tagfreeze, refs: 'refs/tags/v1\..*', from: 2020-01-01, until: 2099-01-01, reason: release tags frozen}
  - {name: rcfreeze, refs: 'refs/tags/RC[0-9]+', from: 2020-01-01, until: 2099-01-01, reason: RC tags frozen}
rules:
  - name: release
    refs: 'refs/heads/Release-.+'
    approvals: {min: 1, from: [reviewer]}
  - name: shouted
    refs: 'refs/heads/[A-Z]+'
    approvals: {min: 1, from: [reviewer]}
  - name: stable
    refs: 'refs/heads/stable'
    approvals: {min: 1, from: [reviewer]}
EOF
check "the policy is valid" sh -c '"$1" config check "$2" >/dev/null 2>&1' - "$TK_BIN/twokey" "$TWOKEY_CONFIG"

for mode in hooks update; do
	H="$mode:"
	srv=$(new_server "srv-$mode" "$mode")
	w=$(new_work "w-$mode")
	git -C "$w" remote add origin "$srv"
	commit_as "$w" bob@example.com base
	base=$(head_of "$w")
	accepted "$H the base on an unprotected branch" alice "$w" origin HEAD:refs/heads/topic
	git -C "$srv" update-ref refs/heads/Release-1 "$base"
	git -C "$srv" update-ref refs/heads/MAIN "$base"
	git -C "$srv" update-ref refs/heads/stable "$base"
	git -C "$srv" update-ref refs/heads/Topic3 "$base"
	git -C "$srv" update-ref refs/tags/v1.5 "$base"
	git -C "$srv" update-ref refs/tags/RC1 "$base"
	commit_as "$w" alice@example.com unreviewed
	x=$(head_of "$w")

	# a case-sensitive repository: release-1 is a ref of its own
	accepted "$H release-1 on a case-sensitive repository (a ref of its own)" alice "$w" origin "$x:refs/heads/release-1"
	check "$H ...Release-1 unmoved" ref_is "$srv" refs/heads/Release-1 "$base"
	git -C "$srv" update-ref -d refs/heads/release-1

	# the same names twokey guards whatever the rules say, case-sensitive:
	# refs/notes/TWOKEY and refs/REPLACE/<id> are refs like any other
	accepted "$H refs/notes/TWOKEY on a case-sensitive repository (an ordinary ref)" alice "$w" origin "$x:refs/notes/TWOKEY"
	git -C "$srv" update-ref -d refs/notes/TWOKEY
	accepted "$H refs/REPLACE/<id> on a case-sensitive repository (git ignores it)" alice "$w" origin "$x:refs/REPLACE/$base"
	git -C "$srv" update-ref -d "refs/REPLACE/$base"

	accepted "$H refs/tags/V1.5 on a case-sensitive repository (not frozen)" alice "$w" origin "$x:refs/tags/V1.5"
	git -C "$srv" update-ref -d refs/tags/V1.5
	accepted "$H refs/tags/rc1 on a case-sensitive repository (not frozen)" alice "$w" origin "$x:refs/tags/rc1"
	git -C "$srv" update-ref -d refs/tags/rc1

	git -C "$srv" config core.ignoreCase true
	# freezes cover every spelling that writes a frozen ref's file
	refused "$H refs/tags/V1.5 under core.ignoreCase (v1.5 is frozen)" alice "$w" origin "$x:refs/tags/V1.5"
	check "$H ...names the freeze" expect_out "frozen: freeze 'tagfreeze'"
	check "$H ...v1.5 unmoved" ref_is "$srv" refs/tags/v1.5 "$base"
	refused "$H refs/tags/rc1 under core.ignoreCase (the file of RC1, frozen)" alice "$w" origin "$x:refs/tags/rc1"
	check "$H ...names the freeze" expect_out "frozen: freeze 'rcfreeze'"
	# the notes guard and the replace-ref guard through another spelling
	refused "$H refs/notes/TWOKEY under core.ignoreCase (the notes ref's file)" alice "$w" origin "$x:refs/notes/TWOKEY"
	check "$H ...says twokey guards refs/notes/twokey" expect_out "may be written as 'refs/notes/twokey', which no rule decides \\(and twokey guards it whatever the rules say\\)"
	check "$H ...not written" ref_is "$srv" refs/notes/TWOKEY ""
	refused "$H refs/REPLACE/<id> under core.ignoreCase (a replace ref git honours)" alice "$w" origin "$x:refs/REPLACE/$base"
	check "$H ...says twokey guards refs/replace/" expect_out "may be written as 'refs/replace/$base'.*guards it"
	refused "$H refs/Namespaces/... under core.ignoreCase" alice "$w" origin "$x:refs/Namespaces/ns/refs/heads/main"
	check "$H ...says twokey guards refs/namespaces/" expect_out "may be written as 'refs/namespaces/ns/refs/heads/main'.*guards it"
	refused "$H release-1 under core.ignoreCase (the file of Release-1)" alice "$w" origin "$x:refs/heads/release-1"
	check "$H ...names the existing ref and its rule" expect_out "'refs/heads/release-1' writes the existing ref 'refs/heads/Release-1', which rule 'release' decides"
	check "$H ...release-1 not written" ref_is "$srv" refs/heads/release-1 ""
	refused "$H main under core.ignoreCase (the file of MAIN)" alice "$w" origin "$x:refs/heads/main"
	check "$H ...names MAIN's rule" expect_out "writes the existing ref 'refs/heads/MAIN', which rule 'shouted' decides"
	refused "$H ReLease-1 (capitals, under no rule either way)" alice "$w" origin "$x:refs/heads/ReLease-1"
	check "$H ...names Release-1" expect_out "writes the existing ref 'refs/heads/Release-1'"
	# as before: a pattern with capitals decides no name on such a repository
	refused "$H Release-1 itself (its lower-case spelling is under no rule)" alice "$w" origin "$x:refs/heads/Release-1"
	check "$H ...says so" expect_out "may be written as 'refs/heads/release-1', which no rule decides"
	check "$H ...Release-1 unmoved" ref_is "$srv" refs/heads/Release-1 "$base"
	refused "$H stable (a lower-case pattern), unapproved" alice "$w" origin "$x:refs/heads/stable"
	check "$H ...as its rule says" expect_out "not approved"
	note_approve bob bob bob@example.com "$w" "$x"
	accepted "$H bob's note" alice "$w" origin "$x:refs/heads/topic" "$NOTES"
	accepted "$H the twin: stable, approved" alice "$w" origin "$x:refs/heads/stable"
	check "$H ...moved" ref_is "$srv" refs/heads/stable "$x"
	accepted "$H a name no ref spells otherwise (topic2)" alice "$w" origin "$x:refs/heads/topic2"
	accepted "$H topic3, the file of Topic3: no rule either way" alice "$w" origin "$x:refs/heads/topic3"
	git -C "$srv" config --unset core.ignoreCase
done
done_testing
