#!/bin/sh
# 'twokey config replay --policy NEW' over a real audit log: pushes are
# made under the live policy (one approval from a reviewer), recorded by
# the hook; the new policy asks for two approvals, one of them from
# security.  Exactly the past push that had one approval flips (the one
# with two stays accepted), decided as the recorded pusher (not the
# GL_USER of the shell running replay); a refused push whose objects git
# dropped is counted, not replayed; --since filters; bad input is an error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

TK="$TK_BIN/twokey"
run_out() {
	"$@" >"$TRASH/out" 2>&1
	rc=$?
}
mkkey bob ed25519
mkkey carol ed25519
policy() { # FILE MIN FROM [REQUIRE]
	cat >"$1" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  security: security sign-off
  operations: deploys
identities:
  alice: {logins: [alice], emails: [alice@example.com], roles: [developer]}
  bob: {logins: [bob], emails: [bob@example.com], roles: [reviewer], keys: ["$(pub bob)"]}
  carol: {logins: [carol], emails: [carol@example.com], roles: [security], keys: ["$(pub carol)"]}
  dave: {logins: [dave], emails: [dave@example.com], roles: [operations]}
pusher: {env: [GL_USER]}
rules:
  - name: mainline
    refs: refs/heads/main
    update: [operations]
    approvals: {min: $2, from: [$3]${4:+, require: $4}}
audit:
  path: $TRASH/audit.jsonl
EOF
}
policy "$TRASH/live.yaml" 1 reviewer
policy "$TRASH/new.yaml" 2 "reviewer, security" "{security: 1}"
export TWOKEY_CONFIG="$TRASH/live.yaml"
srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
reviewer bob bob@example.com "$w"
reviewer carol carol@example.com "$w"

# 1: one approval (bob): accepted now, refused under the new policy
commit_as "$w" alice@example.com "one approval"
add_trailers "$w" alice@example.com "$(approve_tk bob bob "$(head_of "$w")")"
c1=$(head_of "$w")
accepted "push 1 (bob's approval) accepted live" dave "$w" origin main
# 2: bob and carol: accepted, and still under the new policy
commit_as "$w" alice@example.com "two approvals"
c=$(head_of "$w")
add_trailers "$w" alice@example.com "$(approve_tk bob bob "$c")" "$(approve_tk carol carol "$c")"
c2=$(head_of "$w")
accepted "push 2 (bob and carol) accepted live" dave "$w" origin main
# 3: alice may not update main: refused live, objects dropped
commit_as "$w" alice@example.com "by alice"
add_trailers "$w" alice@example.com "$(approve_tk bob bob "$(head_of "$w")")"
refused "push 3 (alice) refused live" alice "$w" origin main
check "main at c2" ref_is "$srv" refs/heads/main "$c2"
check "three pushes recorded" test "$(wc -l <"$TRASH/audit.jsonl")" -eq 3

# --- replay --------------------------------------------------------------------
# the shell's GL_USER (alice) must not be the pusher: the record's is
GL_USER=alice run_out "$TK" config replay --policy "$TRASH/new.yaml" "$TRASH/audit.jsonl"
check "replay: exit 1 (a decision would change)" test "$rc" -eq 1
check "replay: push 1 flips, with the reason" expect_out \
	"^[0-9T:Z-]+ refs/heads/main 0000000\.\.$(git -C "$w" rev-parse --short=7 "$c1") pushed by dave: accepted, would be refused under the new policy \(rule 'mainline'\): .*approv"
check "replay: push 2 does not flip" no_out "\.\.$(git -C "$w" rev-parse --short=7 "$c2") "
check "replay: exactly one line of change" test "$(grep -c 'would be' "$TRASH/out")" -eq 1
check "replay: the summary counts the refused push it could not replay" expect_out \
	"^twokey: 1 of 2 recorded decisions would change under the new policy; 1 push not replayed: its objects are no longer in the repository"
run_out "$TK" config replay --policy "$TRASH/live.yaml" "$TRASH/audit.jsonl"
check "replay under the live policy: exit 0" test "$rc" -eq 0
check "replay under the live policy: nothing changes" expect_out "^twokey: 0 of 2 recorded decisions would change"
(cd "$srv" && "$TK" config replay --policy "$TRASH/new.yaml") >"$TRASH/out" 2>&1
check "replay without AUDITLOG reads the live policy's audit.path" expect_out \
	"^twokey: 1 of 2 recorded decisions would change"
run_out "$TK" config replay --policy "$TRASH/new.yaml" --since 2999-01-01 "$TRASH/audit.jsonl"
check "--since in the future: exit 0" test "$rc" -eq 0
check "--since in the future: nothing replayed" expect_out "^twokey: 0 of 0 recorded decisions would change.*3 records before 2999-01-01"
run_out "$TK" config replay --policy "$TRASH/new.yaml" --since yesterday "$TRASH/audit.jsonl"
check "--since that is not a date: exit 2" test "$rc" -eq 2
run_out "$TK" config replay "$TRASH/audit.jsonl"
check "no --policy: exit 2" test "$rc" -eq 2
check "the log was only read" test "$(wc -l <"$TRASH/audit.jsonl")" -eq 3
check "... and the server's refs not touched" ref_is "$srv" refs/heads/main "$c2"

done_testing
