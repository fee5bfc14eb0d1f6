#!/bin/sh
# The emergency state under load and damage (docs/spec.md, "Emergency
# changes", "State"): 20 concurrent pushes while an emergency is pending,
# half of them emergencies themselves, leave every emergency in the state
# once (distinct numbers, nothing lost) and the audit chain intact; the
# state survives the audit log's rotation; a corrupt state refuses every
# push, telling the pusher only that (fail closed), and the refusal is
# recorded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

mkkey olga ed25519
LOG=$TRASH/audit.jsonl
STATE=$LOG.emergencies
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {reviewer: approves, operations: on call}
identities:
  olga: {emails: [olga@example.com], logins: [olga], keys: ["$(pub olga)"], roles: [operations]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
rules:
  - name: hotfixes
    refs: refs/heads/(main|hotfix/.+)
    approvals: {min: 1, from: [reviewer]}
    emergency: {by: [operations], waive: [approvals], ratify: {within: 24h, overdue: block}}
EOF

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" olga@example.com "base"
base=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
git -C "$srv" update-ref refs/heads/main "$base"
commit_as "$w" olga@example.com "fix"
accepted "the pending emergency" olga "$w" origin -o "twokey.emergency=INC-1 down" HEAD:refs/heads/main

# --- 20 concurrent pushes, each from its own clone ----------------------------------
i=1
while [ $i -le 20 ]; do
	c=$TRASH/c$i
	git init -q "$c"
	git -C "$c" remote add origin "$srv"
	git -C "$c" fetch -q origin refs/heads/feature:refs/heads/feature 2>/dev/null
	git -C "$c" checkout -q feature
	commit_as "$c" olga@example.com "change $i"
	i=$((i + 1))
done
i=1
while [ $i -le 20 ]; do
	if [ $((i % 2)) -eq 0 ]; then
		GL_USER=olga git -C "$TRASH/c$i" push -o "twokey.emergency=INC-$i parallel" \
			origin HEAD:refs/heads/hotfix/$i >"$TRASH/p$i.out" 2>&1 &
	else
		GL_USER=olga git -C "$TRASH/c$i" push origin HEAD:refs/heads/topic/$i \
			>"$TRASH/p$i.out" 2>&1 &
	fi
	i=$((i + 1))
done
wait
n=0
i=1
while [ $i -le 20 ]; do
	git -C "$srv" rev-parse -q --verify "refs/heads/hotfix/$i" >/dev/null ||
		git -C "$srv" rev-parse -q --verify "refs/heads/topic/$i" >/dev/null && n=$((n + 1))
	i=$((i + 1))
done
check "all 20 concurrent pushes landed" test "$n" -eq 20
check "the state holds the pending one and the 10 new ones, each once" python3 - "$STATE" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0] == 'twokey-emergencies 2 12', lines[0]
es = [l.split(' ') for l in lines if l.startswith('e ')]
assert [int(e[1]) for e in es] == list(range(1, 12)), [e[1] for e in es]
refs = sorted(e[8] for e in es)
assert refs == sorted(['refs/heads/main'] + ['refs/heads/hotfix/%d' % i for i in range(2, 21, 2)]), refs
assert all(e[4] == '0' for e in es)
EOF
check "the audit chain is intact" "$TK_BIN/twokey" audit verify "$LOG"
check "...with every push recorded" test "$(wc -l <"$LOG")" -eq 22
check "audit emergencies reads it" sh -c "'$TK_BIN/twokey' audit emergencies | grep -qx 'totals   11 emergencies: 0 ratified, 11 pending, 0 overdue'"

# --- the state survives the log's rotation -------------------------------------------
mv "$LOG" "$LOG.1"
mv "$LOG.head" "$LOG.1.head" 2>/dev/null || true
check "after rotation: still 11 pending" sh -c "'$TK_BIN/twokey' audit emergencies | grep -qx 'totals   11 emergencies: 0 ratified, 11 pending, 0 overdue'"

# --- a corrupt state fails closed ----------------------------------------------------
cp "$STATE" "$TRASH/state.good"
printf 'twokey-emergencies 1 12\ne 1 oops\n' >"$STATE"
git -C "$w" checkout -q -b other "$base"
commit_as "$w" olga@example.com "unrelated"
refused "corrupt state: a push to a ref without any emergency is refused too" olga "$w" origin \
	HEAD:refs/heads/topic/x
check "...saying the state cannot be used" expect_out \
	"error: the server's emergency state cannot be used, so no push is decided until an admin repairs it \(the details are in the server's log\)"
check "...without the state's path" no_out "emergencies:|$STATE"
check "...recorded as refused, with the reason" audit_last "$LOG" \
	"r['decision'] == 'refused'" "'emergency state' in r['error']"
check "audit emergencies refuses it too" sh -c "! '$TK_BIN/twokey' audit emergencies >/dev/null 2>&1"
cp "$TRASH/state.good" "$STATE"
accepted "repaired: the push lands" olga "$w" origin HEAD:refs/heads/topic/x
printf 'twokey-emergencies 1 12\n' | head -c 10 >"$STATE"
refused "a state cut short: refused" olga "$w" origin HEAD:refs/heads/topic/y
cp "$TRASH/state.good" "$STATE"
done_testing
