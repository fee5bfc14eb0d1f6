#!/bin/sh
# "Never write ... anything under HTTP_AUTHORIZATION" (docs/audit.md):
# the pusher's login is recorded (and shown), so a policy whose pusher.env
# names HTTP_AUTHORIZATION (or HTTP_PROXY_AUTHORIZATION, HTTP_COOKIE)
# would write the client's credentials into every record.  Such a policy
# is refused by the loader (file:line:col); a push under it is refused and
# recorded in the last valid policy's log, with neither the credentials
# nor the header in the record or in what the pusher sees.
. "$(dirname "$0")/lib.sh"

TK="$TK_BIN/twokey"
LOG="$TRASH/log/audit.jsonl"
mkdir -p "$TRASH/log"
policy() { # ENV-LIST
	write_policy "$TRASH/policy.yaml" <<EOF2
version: 1
roles: {dev: writes code}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [dev]}
pusher:
  env: [$1]
rules:
  - name: branches
    refs: 'refs/heads/.*'
    update: [dev]
    create: [dev]
audit:
  path: $LOG
EOF2
}
SECRET='Basic YWxpY2U6aHVudGVyMg=='
srv=$(new_server srv)
w=$(new_work w)
commit_as "$w" alice@example.com one

policy REMOTE_USER
REMOTE_USER=alice accepted "a push under a valid policy" "" "$w" "$srv" HEAD:refs/heads/a
n=$(wc -l <"$LOG")

for v in HTTP_AUTHORIZATION HTTP_PROXY_AUTHORIZATION HTTP_COOKIE; do
	policy "REMOTE_USER, $v"
	"$TK" config check "$TRASH/policy.yaml" >"$TRASH/out" 2>&1
	check "config check: pusher.env naming $v is an error" sh -c "[ $? -ne 0 ]"
	check "...at its line and column" \
		expect_out "policy.yaml:6:22: .*$v holds the client's credentials"
done

policy HTTP_AUTHORIZATION
HTTP_AUTHORIZATION="$SECRET" refused "a push under pusher.env [HTTP_AUTHORIZATION]" "" \
	"$w" "$srv" HEAD:refs/heads/b
check "...b not created" ref_is "$srv" refs/heads/b ""
check "...the pusher is told the policy cannot be loaded" expect_out "policy"
check "...the credentials are not shown" no_out "YWxpY2U6aHVudGVyMg"
check "...the refusal is recorded" test "$(wc -l <"$LOG")" -eq $((n + 1))
check "...naming why" grep -q 'HTTP_AUTHORIZATION holds the client' "$LOG"
check "...with no credentials in the log" sh -c "! grep -q 'YWxpY2U6aHVudGVyMg' '$LOG'"
check "the chain verifies" sh -c "'$TK' audit verify '$LOG' >/dev/null"

done_testing
