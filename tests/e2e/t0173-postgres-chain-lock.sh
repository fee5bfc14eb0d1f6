#!/bin/sh
# The PostgreSQL chain under a held lock (docs/postgres.md): "if the
# append fails or times out (bounded, a few seconds), the push is refused
# and says so".  A session holds the chain head's row lock (as a stuck
# writer on another node would) while node b pushes, for real: the push
# must be refused within the bound, say it was not recorded, and leave
# the ref absent; once the lock is gone the next push lands and the chain
# (one record per accepted push) verifies, from either node's policy.
# An owner who deletes the newest row is reported by verify, before and
# after the next push (docs/postgres.md).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-postgres.sh"

command -v timeout >/dev/null || { echo "Bail out! timeout is required"; exit 1; }
TK="$TK_BIN/twokey"
policy() { # FILE CONN NODE
	cat >"$1" <<EOF
version: 1
roles: {developer: writes code}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer]}
pusher: {env: [GL_USER]}
rules:
  - name: everything
    refs: 'refs/heads/.*'
    update: [developer]
    create: [developer]
audit:
  postgres: $2
  node: $3
EOF
}
policy "$TRASH/admin.yaml" "$TRASH/admin.conn" admin
policy "$TRASH/a.yaml" "$TRASH/hook.conn" node-a
policy "$TRASH/b.yaml" "$TRASH/hook.conn" node-b
TWOKEY_CONFIG="$TRASH/admin.yaml" "$TK" audit init-db >"$TRASH/out" 2>&1
check "init-db" expect_out "schema is ready"
sql "GRANT SELECT, INSERT ON twokey_records TO twokey_hook;
GRANT SELECT, UPDATE ON twokey_head TO twokey_hook;
GRANT SELECT ON twokey_schema, twokey_freezes, twokey_emergencies TO twokey_hook"

A=$(new_server a)
B=$(new_server b)
W=$(new_work w)
commit_as "$W" alice@example.com first
push1() { # NODE REF: output in $TRASH/out
	GL_USER=alice TWOKEY_CONFIG="$TRASH/$1.yaml" timeout 60 \
		git -C "$W" push "$( [ "$1" = a ] && echo "$A" || echo "$B")" \
		"HEAD:$2" >"$TRASH/out" 2>&1
}
check "node a: a push lands" push1 a refs/heads/one
check "one record" test "$(sql 'SELECT count(*) FROM twokey_records')" = 1

# A writer that holds the chain head and does not let go.
PGAPPNAME=tk-holder $UNPRIV psql -X -q -h "$SOCK" -p "$PORT" -U tkadmin -d twokey \
	-c "BEGIN; SELECT seq FROM twokey_head WHERE id = 1 FOR UPDATE; SELECT pg_sleep(120); COMMIT;" \
	>/dev/null 2>&1 &
holder=$!
i=0
until [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tk-holder' AND query LIKE '%pg_sleep%'")" = 1 ] ||
	[ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the chain head is held by another session" test $i -lt 100

t0=$(date +%s)
push1 b refs/heads/two
rc=$?
t1=$(date +%s)
check "node b's push under the held lock is refused" sh -c "[ $rc -ne 0 ] && [ $rc -ne 124 ]"
check "...within the bound (at most 20 s; took $((t1 - t0)) s)" test $((t1 - t0)) -le 20
check "...saying the decision could not be recorded" \
	expect_out "audit log is unavailable, so the decision could not be recorded"
check "...never saying accepted" no_out "twokey: accepted"
check "...the ref absent" ref_is "$B" refs/heads/two ""
check "...still one record" test "$(sql 'SELECT count(*) FROM twokey_records')" = 1

sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tk-holder'" >/dev/null
wait "$holder" 2>/dev/null
check "the lock released: node b's push lands" push1 b refs/heads/two
check "two records" test "$(sql 'SELECT count(*) FROM twokey_records')" = 2
check "one chain that verifies from node a's policy" \
	sh -c "TWOKEY_CONFIG='$TRASH/a.yaml' '$TK' audit verify >'$TRASH/v' 2>&1 && grep -q '2 records verified in the database' '$TRASH/v'"
check "reconcile of node b's repository (the database's records): exit 0" \
	sh -c "TWOKEY_CONFIG='$TRASH/b.yaml' '$TK' audit reconcile '$B' >'$TRASH/r' 2>&1" ||
	sed 's/^/#   /' "$TRASH/r"

# The owner, trigger disabled, removes the newest row: the head row still
# names it, so the chain no longer ends where the head says.
sql "ALTER TABLE twokey_records DISABLE TRIGGER twokey_records_append_only;
DELETE FROM twokey_records WHERE seq = (SELECT max(seq) FROM twokey_records);
ALTER TABLE twokey_records ENABLE TRIGGER twokey_records_append_only"
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit verify >"$TRASH/v" 2>&1
check "the newest row deleted by the owner: verify exits 1" test $? -eq 1
check "...records removed from the end" grep -q 'records were removed from the end' "$TRASH/v" ||
	sed 's/^/#   /' "$TRASH/v"
check "the next push lands, chained after the head (the deleted record)" push1 a refs/heads/three
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit verify >"$TRASH/v" 2>&1
check "...and verify still fails, naming the record that links to the deleted one" \
	sh -c "[ $? -eq 1 ] && grep -q 'deleted: the record it links to is missing' '$TRASH/v'" ||
	sed 's/^/#   /' "$TRASH/v"

done_testing
