#!/bin/sh
# Created refs: the new tip must enter (and be checked) or lie on the
# first-parent chain of a ref that vouches for it; a commit that only
# arrived inside a merge (reachable through its second parent) cannot
# become a release tip unreviewed.  pusher-may-write: false applies to the
# new tip, and to what it brings in as a merge, when nothing enters.
# Each case runs through twokey-pre-receive and through twokey-update.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for k in alice bob carol dave; do mkkey $k ed25519; done

write_policy "$TRASH/policy.yaml" <<EOF2
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  operations: deploys
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  carol: {emails: [carol@example.com], logins: [carol], keys: ["$(pub carol)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [operations]}
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/(main|release/.+)'
    approvals: {min: 1, from: [reviewer]}
    pusher-may-write: false
  - name: features
    refs: 'refs/heads/feature/.+'
EOF2

w=$(new_work w)
reviewer bob bob@example.com "$w"
# History: m0 (alice) <- m1 (carol), and a side commit s1 (alice) merged by
# carol's merge M (first parent m1, second s1); main = M.  The server gets
# the objects through an unprotected branch and main from an admin.
commit_as "$w" alice@example.com "m0 by alice"
m0=$(head_of "$w")
commit_as "$w" carol@example.com "m1 by carol"
m1=$(head_of "$w")
git -C "$w" checkout -q -b side "$m0"
commit_as "$w" alice@example.com "s1 by alice, merged"
s1=$(head_of "$w")
git -C "$w" checkout -q main
test_tick
git -C "$w" -c user.name=carol -c user.email=carol@example.com \
	merge -q --no-ff -m "merge side" side
mg=$(head_of "$w")

run() { # HOOKS: every case once, on a fresh server with those hooks
	mode=$1
	srv=$(new_server "srv-$mode" "$mode")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	expect_push accept "$mode: the history, on a feature branch" alice "$w" \
		"$mg:refs/heads/feature/all" refs/heads/feature/all "$mg"
	git -C "$srv" update-ref refs/heads/main "$mg"

	expect_push accept "$mode: release/a at m1, on main's first-parent chain" \
		dave "$w" "$m1:refs/heads/release/a" refs/heads/release/a "$m1"
	check "$mode: nothing asked of m1" no_out "not approved"
	expect_push accept "$mode: release/b at the merge itself (main's tip)" \
		bob "$w" "$mg:refs/heads/release/b" refs/heads/release/b "$mg"
	expect_push refuse "$mode: release/c at s1, only behind the merge" \
		dave "$w" "$s1:refs/heads/release/c" refs/heads/release/c "" \
		"refs/heads/release/c: $(short "$s1"): the new tip is not on the first-parent chain of any ref that vouches for it: it only arrived inside a merge"
	check "$mode: s1 is not reported as unapproved" no_out "not approved"
	expect_push refuse "$mode: nor can bob, a reviewer, make s1 a tip" \
		bob "$w" "$s1:refs/heads/release/c" refs/heads/release/c "" \
		"only arrived inside a merge"

	# pusher-may-write on the tip when nothing enters
	expect_push refuse "$mode: carol creates release/d at m1, which she wrote" \
		carol "$w" "$m1:refs/heads/release/d" refs/heads/release/d "" \
		"refs/heads/release/d: $(short "$m1") \"m1 by carol\": pusher 'carol' wrote this commit \(as author\)"
	expect_push refuse "$mode: alice creates release/d at the merge, which brings her s1 in" \
		alice "$w" "$mg:refs/heads/release/d" refs/heads/release/d "" \
		"refs/heads/release/d: $(short "$s1") \"s1 by alice, merged\": pusher 'alice' wrote this commit"
	check "$mode: only s1 is named for alice (not m0, on the first parent)" \
		no_out "$(short "$m0") \"m0"
	expect_push refuse "$mode: carol creates release/d at the merge she made" \
		carol "$w" "$mg:refs/heads/release/d" refs/heads/release/d "" \
		"refs/heads/release/d: $(short "$mg") \"merge side\": pusher 'carol' wrote this commit"
	expect_push accept "$mode: dave, who wrote none of it, creates release/d at m0" \
		dave "$w" "$m0:refs/heads/release/d" refs/heads/release/d "$m0"

	# a new approved commit on top of s1 enters and is checked as usual
	git -C "$w" checkout -q --detach "$s1"
	commit_as "$w" alice@example.com "n1 on s1"
	n1=$(head_of "$w")
	add_trailers "$w" alice@example.com "$(approve_tk bob bob "$n1")"
	n1=$(head_of "$w")
	git -C "$w" checkout -q main
	expect_push accept "$mode: release/e at a new approved commit on top of s1" \
		dave "$w" "$n1:refs/heads/release/e" refs/heads/release/e "$n1"
}

run hooks
run update
done_testing
