#!/bin/sh
# paths and created refs: an existing ref vouches for the commits a
# created ref brings in only when its rule makes every change requirement
# (paths, required trailers, emails) the created ref's rule makes.  A
# release branch created at main (same paths entries) needs nothing new;
# one created at a branch whose rule has no paths entries must get the
# infra/ approvals for the commits that branch let in.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for k in alice bob dave; do mkkey $k ed25519; done

write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  operations: runs production
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [operations]}
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/(main|release/.+)'
    approvals: {min: 1, from: [reviewer]}
    paths:
      - match: 'infra/**'
        approvals: {min: 1, from: [operations]}
  - name: plain
    refs: 'refs/heads/plain'
    approvals: {min: 1, from: [reviewer]}
  - name: hotfix
    refs: 'refs/heads/hotfix/.+'
    approvals: {min: 1, from: [reviewer]}
    paths:
      - match: 'infra/**'
        approvals: {min: 1, from: [operations]}
    require-trailers:
      Change: 'CHG[0-9]+'
  - name: features
    refs: 'refs/heads/feature/.+'
EOF
check "the policy is valid" sh -c '"$TK_BIN/twokey" config check "$TWOKEY_CONFIG" >/dev/null'

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
for r in bob dave; do reviewer $r $r@example.com "$w"; done

mkdir -p "$w/infra"
echo 'vpc' >"$w/infra/main.tf"
git -C "$w" add -A
commit_as "$w" alice@example.com "seed"
m0=$(head_of "$w")
expect_push accept "seed" alice "$w" "$m0:refs/heads/feature/seed" \
	refs/heads/feature/seed "$m0"
git -C "$srv" update-ref refs/heads/main "$m0"
git -C "$srv" update-ref refs/heads/plain "$m0"

# infra APPROVER... on TIP: an infra/ change by alice; its id in $h
infra() {
	git -C "$w" checkout -q --detach "$1"
	shift
	commit_as "$w" alice@example.com "infra tweak $tk_tick" infra/main.tf
	c0=$(head_of "$w")
	for r in "$@"; do
		add_trailers "$w" alice@example.com "$(approve_tk $r $r "$c0")"
	done
	h=$(head_of "$w")
}

infra "$m0" bob dave
expect_push accept "main: an infra change with operations" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h"
main=$h
infra "$m0" bob
expect_push accept "plain: an infra change with a reviewer only (no paths there)" \
	dave "$w" HEAD:refs/heads/plain refs/heads/plain "$h"
plain=$h

expect_push accept "release/1 created at main: main's rule covers it" dave "$w" \
	"$main:refs/heads/release/1" refs/heads/release/1 "$main"
check "nothing was asked again" no_out "not approved"
expect_push refuse "release/2 created at plain: plain vouches for nothing here" \
	dave "$w" "$plain:refs/heads/release/2" refs/heads/release/2 "" \
	"^remote: twokey: error: refs/heads/release/2: $(short "$plain") \"infra tweak [0-9]*\": not approved: needs 1 more from role operations for path rule 'infra/\*\*' \(infra/main.tf\)"
expect_push refuse "hotfix/1 created at main: main's rule asks no Change trailer" \
	dave "$w" "$main:refs/heads/hotfix/1" refs/heads/hotfix/1 "" \
	"missing trailer 'Change:'"

done_testing
