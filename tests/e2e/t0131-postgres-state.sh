#!/bin/sh
# Shared state on PostgreSQL (docs/postgres.md, "Shared state"): with
# audit.postgres, ad hoc freezes live in the database, so a freeze started
# once holds on every node (two bare repositories with different
# audit.node names); init-db creates and upgrades the schema (twice:
# idempotent); the hook's role may only read the freezes, and `twokey
# freeze` with the hook's connection is refused; concurrent starts lose
# nothing; a corrupt or unreadable freeze row refuses pushes (fail
# closed) while the refusal is still recorded; the password appears in no
# output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-postgres.sh"

TK="$TK_BIN/twokey"
policy() { # FILE CONN NODE
	cat >"$1" <<EOF
version: 1
roles: {developer: writes code}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer]}
pusher: {env: [GL_USER]}
freeze-file: $TRASH/never-read
rules:
  - name: everything
    refs: 'refs/heads/.*'
    update: [developer]
audit:
  postgres: $2
  node: $3
EOF
}
policy "$TRASH/admin.yaml" "$TRASH/admin.conn" admin
policy "$TRASH/a.yaml" "$TRASH/hook.conn" node-a
policy "$TRASH/b.yaml" "$TRASH/hook.conn" node-b
adm() { TWOKEY_CONFIG="$TRASH/admin.yaml" "$TK" "$@" >"$TRASH/out" 2>&1; }

"$TK" config check "$TRASH/a.yaml" >"$TRASH/out" 2>&1
check "config check: freeze-file is not used with audit.postgres" expect_out \
	"a.yaml:6:14: warning: freeze-file is not used: with audit.postgres the ad hoc freezes live in the audit database"
adm audit init-db
check "init-db" expect_out "schema is ready"
adm audit init-db
check "init-db again changes nothing" expect_out "schema is ready"
check "schema version 3" test "$(sql 'SELECT version FROM twokey_schema')" = 3
check "an empty freeze state" test "$(sql 'SELECT version || body FROM twokey_freezes')" = "0twokey-freeze 1"
sql "GRANT SELECT, INSERT ON twokey_records TO twokey_hook;
GRANT SELECT, UPDATE ON twokey_head TO twokey_hook;
GRANT SELECT ON twokey_schema, twokey_freezes TO twokey_hook"
check "the hook's role may read the freezes" hsql "SELECT body FROM twokey_freezes"
check "the hook's role cannot UPDATE the freezes" denied "UPDATE twokey_freezes SET body = ''"
check "the hook's role cannot DELETE the freezes" denied "DELETE FROM twokey_freezes"

A=$(new_server a)
B=$(new_server b)
W=$(new_work w)
commit_as "$W" alice@example.com "first"
git -C "$W" remote add a "$A"
git -C "$W" remote add b "$B"
push1() { # NODE REF: output in $TRASH/out
	GL_USER=alice TWOKEY_CONFIG="$TRASH/$1.yaml" \
		git -C "$W" push "$1" "HEAD:$2" >"$TRASH/out" 2>&1
}
check "no freeze: node a accepts" push1 a refs/heads/main
check "no freeze: node b accepts" push1 b refs/heads/main

# --- a freeze started once holds on both nodes --------------------------
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" freeze start --refs 'refs/heads/main' --reason r >"$TRASH/out" 2>&1
check "the hook's connection may not start a freeze" test $? -eq 1
check "... and says why" expect_out "this database role may not change freezes"
check "... naming no host, port or user" no_out "127\.0\.0\.1|$PORT|twokey_hook"
adm freeze start --refs 'refs/heads/main' --reason 'INC-77 database failover' --name inc77
check "an admin starts a freeze" expect_out "^twokey: freeze 'inc77' started"
check "it is in the database" test "$(sql "SELECT count(*) FROM twokey_freezes WHERE body LIKE '%inc77%'")" -eq 1
check "not in the freeze file" test ! -e "$TRASH/never-read"
commit_as "$W" alice@example.com "second"
! push1 a refs/heads/main
check "node a refuses main" expect_out "refs/heads/main: this ref is frozen: freeze 'inc77', until it is stopped: INC-77 database failover"
! push1 b refs/heads/main
check "node b refuses main too" expect_out "refs/heads/main: this ref is frozen: freeze 'inc77'"
check "other refs land" push1 b refs/heads/topic
TWOKEY_CONFIG="$TRASH/b.yaml" "$TK" freeze status >"$TRASH/out" 2>&1
check "status from node b (the hook's role reads)" expect_out "^in force ad hoc  inc77"
check "the refusals are recorded with their node" test "$(sql "SELECT string_agg(node, ',' ORDER BY seq) FROM twokey_records WHERE line LIKE '%frozen%'")" = "node-a,node-b"

# --- concurrent starts: compare and swap loses nothing -------------------
i=0
while [ $i -lt 6 ]; do
	TWOKEY_CONFIG="$TRASH/admin.yaml" "$TK" freeze start --refs "refs/heads/c$i" --reason "c $i" --until +1h --name "c$i" >"$TRASH/c$i.out" 2>&1 &
	i=$((i + 1))
done
wait
check "6 concurrent starts: 7 freezes kept" test "$(sql "SELECT body FROM twokey_freezes" | grep -c '	')" -eq 7
i=0
while [ $i -lt 6 ]; do adm freeze stop "c$i"; i=$((i + 1)); done
check "stopped again" test "$(sql "SELECT body FROM twokey_freezes" | grep -c '	')" -eq 1

# --- fail closed --------------------------------------------------------
sql "UPDATE twokey_freezes SET body = 'not a freeze text'"
! push1 a refs/heads/topic2
check "a corrupt freeze row refuses" expect_out "the server's ad hoc freeze state cannot be read"
check "... and the refusal is still recorded" test "$(sql "SELECT count(*) FROM twokey_records WHERE line LIKE '%topic2%' AND line LIKE '%refused%'")" -eq 1
TWOKEY_CONFIG="$TRASH/b.yaml" "$TK" freeze status >"$TRASH/out" 2>&1
check "status says it is corrupt" expect_out "the freeze state in the audit database is corrupt: line 1"
sql "UPDATE twokey_freezes SET body = 'twokey-freeze 1' || chr(10) || 'inc77	2026-01-01T00:00:00Z	-	ops	refs/heads/main	INC-77 database failover' || chr(10)"
sql "REVOKE SELECT ON twokey_freezes FROM twokey_hook"
! push1 a refs/heads/topic3
check "an unreadable freeze table refuses" expect_out "the server's ad hoc freeze state cannot be read"
sql "GRANT SELECT ON twokey_freezes TO twokey_hook"

adm freeze stop inc77
check "an admin stops the freeze" expect_out "^twokey: freeze 'inc77' stopped"
check "node a accepts main again" push1 a refs/heads/main
check "node b too" push1 b refs/heads/main

check "the password appears nowhere" sh -c "! grep -r -l -F '$PW' '$TRASH'/out '$TRASH'/c*.out '$PG/server.log'"
done_testing
