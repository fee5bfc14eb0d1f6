#!/bin/sh
# trusted-history: onboarding an existing repository without rewriting
# it.  The legacy commits (unapproved, from before twokey) and everything
# they reach are never entering; only the new commits are checked.  A ref
# may be created at a trusted commit or on its first-parent chain, but not
# at a commit that only arrived inside a legacy merge.  A trusted id the
# repository lacks fails closed.  The audit record notes when trusted
# history hid anything.  Both hooks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for k in alice bob carol dave; do mkkey $k ed25519; done

# policy FILE TRUSTED-HISTORY-LINE
policy() {
	write_policy "$1" <<EOF2
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  operations: deploys
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  carol: {emails: [carol@example.com], logins: [carol], keys: ["$(pub carol)"], roles: [reviewer]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [operations]}
pusher:
  env: [GL_USER]
$2
rules:
  - name: mainline
    refs: 'refs/heads/main'
    approvals: {min: 1, from: [reviewer]}
  - name: hotfix
    refs: 'refs/heads/hotfix/.+'
    approvals: {min: 2, from: [reviewer]}
  - name: features
    refs: 'refs/heads/feature/.+'
audit:
  path: $TRASH/audit.jsonl
EOF2
}

# The legacy repository: l1 <- l2 <- lm (alice's merge of side commit ls).
w=$(new_work w)
reviewer bob bob@example.com "$w"
commit_as "$w" alice@example.com "legacy 1"
l1=$(head_of "$w")
commit_as "$w" alice@example.com "legacy 2"
l2=$(head_of "$w")
git -C "$w" checkout -q -b side "$l1"
commit_as "$w" alice@example.com "legacy side"
ls=$(head_of "$w")
git -C "$w" checkout -q main
test_tick
git -C "$w" -c user.name=alice -c user.email=alice@example.com \
	merge -q --no-ff -m "legacy merge" side
lm=$(head_of "$w")
# the first change under twokey, by alice
commit_as "$w" alice@example.com "new 1"
n1=$(head_of "$w")

policy "$TRASH/trusted.yaml" "trusted-history: [$lm]"
policy "$TRASH/none.yaml" ""
policy "$TRASH/missing.yaml" "trusted-history:
  - $lm
  - 0123456789abcdef0123456789abcdef01234567"
check "twokey config check accepts trusted-history" \
	"$TK_BIN/twokey" config check "$TRASH/trusted.yaml"

last_record() { tail -n 1 "$TRASH/audit.jsonl"; }
has() { last_record | grep -q -- "$1" || { echo "# record: $(last_record)"; return 1; }; }
hasnt() { ! last_record | grep -q -- "$1" || { echo "# record: $(last_record)"; return 1; }; }

run() {
	mode=$1
	srv=$(new_server "srv-$mode" "$mode")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	git -C "$w" checkout -q "$n1" 2>/dev/null
	export TWOKEY_CONFIG="$TRASH/none.yaml"
	expect_push refuse "$mode: without trusted-history, the legacy commits enter" \
		dave "$w" "$n1:refs/heads/main" refs/heads/main "" \
		"$(short "$l1") \"legacy 1\": not approved"

	export TWOKEY_CONFIG="$TRASH/trusted.yaml"
	expect_push refuse "$mode: with it, only the new commit is checked" \
		dave "$w" "$n1:refs/heads/main" refs/heads/main "" \
		"$(short "$n1") \"new 1\": not approved" \
		"refused refs/heads/main under rule 'mainline' \(1 problem\)"
	check "$mode: no legacy commit named" no_out "legacy"
	git -C "$w" checkout -q --detach "$n1"
	add_trailers "$w" alice@example.com "$(approve_tk bob bob "$n1")"
	n1a=$(head_of "$w")
	expect_push accept "$mode: the approved first change lands on main" \
		dave "$w" "$n1a:refs/heads/main" refs/heads/main "$n1a"
	check "$mode: audit: trusted_history noted" has '"ref":"refs/heads/main".*"entering":1,.*"trusted_history":true'

	commit_as "$w" alice@example.com "new 2"
	n2=$(head_of "$w")
	add_trailers "$w" alice@example.com "$(approve_tk bob bob "$n2")"
	n2=$(head_of "$w")
	expect_push accept "$mode: a later change" dave "$w" \
		"$n2:refs/heads/main" refs/heads/main "$n2"
	check "$mode: audit: trusted history hid nothing this time" hasnt trusted_history

	# created refs: main's rule is weaker than hotfix's, so only the
	# trusted history vouches
	expect_push accept "$mode: hotfix/1 at l2, on the trusted first-parent chain" \
		dave "$w" "$l2:refs/heads/hotfix/1" refs/heads/hotfix/1 "$l2"
	check "$mode: audit: created on trusted history" has '"ref":"refs/heads/hotfix/1".*"entering":0,.*"trusted_history":true'
	expect_push accept "$mode: hotfix/2 at the trusted commit itself" \
		dave "$w" "$lm:refs/heads/hotfix/2" refs/heads/hotfix/2 "$lm"
	expect_push refuse "$mode: hotfix/3 at a commit only inside the legacy merge" \
		dave "$w" "$ls:refs/heads/hotfix/3" refs/heads/hotfix/3 "" \
		"only arrived inside a merge"
	expect_push refuse "$mode: hotfix/4 at main's new commit: not trusted, main vouches not" \
		dave "$w" "$n1a:refs/heads/hotfix/4" refs/heads/hotfix/4 "" \
		"$(short "$n1a") \"new 1\": not approved: needs 1 more approval"

	# a trusted id the repository lacks: fail closed
	export TWOKEY_CONFIG="$TRASH/missing.yaml"
	commit_as "$w" alice@example.com "new 3"
	n3=$(head_of "$w")
	add_trailers "$w" alice@example.com "$(approve_tk bob bob "$n3")"
	n3=$(head_of "$w")
	expect_push refuse "$mode: a missing trusted commit refuses protected pushes" \
		dave "$w" "$n3:refs/heads/main" refs/heads/main "$n2" \
		"refs/heads/main: the policy's trusted-history names 0123456789abcdef0123456789abcdef01234567, which is not a commit of this repository"
	expect_push accept "$mode: an unprotected ref is still accepted" \
		alice "$w" "$n3:refs/heads/feature/x" refs/heads/feature/x "$n3"
	git -C "$w" checkout -q main
}

run hooks
run update
done_testing
