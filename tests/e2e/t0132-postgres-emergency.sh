#!/bin/sh
# Emergencies in the audit database (docs/postgres.md, "Shared state";
# docs/emergency.md): with audit.postgres, the emergency state lives in
# twokey_emergencies, so an emergency pushed on node A is enforced on node
# B.  Two bare repositories are the two nodes (policies with different
# audit.node names); node B's pushes run in a mount namespace where its
# repository sits at node A's path, as on two servers serving one
# repository path (emergencies are matched by repository path).  init-db
# upgrades from schema 1 and 2; the hook's role may update the state but
# still not the records; an emergency with `within: 1m` and `overdue:
# block` pushed on A is waited out (real time), then a push on B is
# refused naming it, ratifying notes pushed to B lift the block;
# `audit emergencies` reads the database from either node; a record that
# cannot be written takes the state's change back with it; a corrupt row
# or a missing grant refuses; concurrent emergency pushes on both nodes
# keep every entry and one intact chain; the password appears nowhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"
. "$(dirname "$0")/lib-postgres.sh"

TK="$TK_BIN/twokey"
command -v unshare >/dev/null && command -v mount >/dev/null || {
	echo "Bail out! unshare and mount (util-linux) are required"
	exit 1
}
for k in bob olga; do mkkey $k ed25519; done
policy() { # FILE CONN NODE
	cat >"$1" <<EOF
version: 1
roles: {reviewer: approves, operations: on call}
identities:
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  olga: {emails: [olga@example.com], logins: [olga], keys: ["$(pub olga)"], roles: [operations]}
pusher: {env: [GL_USER]}
rules:
  - name: mainline
    refs: refs/heads/main
    update: [operations, reviewer]
    approvals: {min: 1, from: [reviewer]}
    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 1m, overdue: block}
  - name: hot
    refs: 'refs/heads/hot/.*'
    update: [operations]
    approvals: {min: 1, from: [reviewer]}
    emergency: {by: [operations], waive: [approvals], ratify: {within: 24h}}
  - name: rest
    refs: 'refs/heads/.*'
    update: [operations, reviewer]
audit:
  postgres: $2
  node: $3
EOF
}
policy "$TRASH/admin.yaml" "$TRASH/admin.conn" admin
policy "$TRASH/a.yaml" "$TRASH/hook.conn" node-a
policy "$TRASH/b.yaml" "$TRASH/hook.conn" node-b
adm() { TWOKEY_CONFIG="$TRASH/admin.yaml" "$TK" "$@" >"$TRASH/out" 2>&1; }
state() { sql "SELECT body FROM twokey_emergencies"; }
nentries() { state | grep -c '^e '; }
has_entry() { state | grep -E -q "$1" || { state | sed 's/^/#   /'; return 1; }; }

# --- the schema: created, and upgraded from versions 1 and 2 -------------
adm audit init-db
check "init-db" expect_out "schema is ready"
check "schema version 3" test "$(sql 'SELECT version FROM twokey_schema')" = 3
check "an empty emergency state" test "$(sql 'SELECT version || body FROM twokey_emergencies')" = "0twokey-emergencies 1 1"
sql "DROP TABLE twokey_emergencies; UPDATE twokey_schema SET version = 2"
adm audit init-db
check "init-db upgrades version 2" test "$(sql 'SELECT version FROM twokey_schema')" = 3
check "...adding the emergency state" test "$(sql 'SELECT body FROM twokey_emergencies')" = "twokey-emergencies 1 1"
sql "DROP TABLE twokey_emergencies, twokey_freezes; UPDATE twokey_schema SET version = 1"
adm audit init-db
check "init-db upgrades version 1" test "$(sql 'SELECT version FROM twokey_schema')" = 3
check "...adding both tables" test "$(sql 'SELECT count(*) FROM twokey_emergencies, twokey_freezes')" = 1
adm audit init-db
check "init-db again changes nothing" test "$(sql 'SELECT version || body FROM twokey_emergencies')" = "0twokey-emergencies 1 1"

# The hook's role, as docs/postgres.md grants it.
sql "GRANT SELECT, INSERT ON twokey_records TO twokey_hook;
GRANT SELECT, UPDATE ON twokey_head TO twokey_hook;
GRANT SELECT ON twokey_schema, twokey_freezes TO twokey_hook;
GRANT SELECT, UPDATE ON twokey_emergencies TO twokey_hook"
check "the hook's role may update the emergency state" hsql "UPDATE twokey_emergencies SET version = version WHERE id = 1"
check "...but not delete it" denied "DELETE FROM twokey_emergencies"
check "...nor add rows" denied "INSERT INTO twokey_emergencies VALUES (2, 0, '')"
check "...and still not update records" denied "UPDATE twokey_records SET node = 'x'"
check "...nor delete them" denied "DELETE FROM twokey_records"

# --- two nodes -----------------------------------------------------------
A=$(new_server a)
B=$(new_server b)
for r in "$A" "$B"; do git -C "$r" config receive.advertisePushOptions true; done
# Node B's pushes: its repository at node A's path, in a mount namespace.
cat >"$TRASH/on-b" <<EOF
#!/bin/sh
mount --bind "$B" "$A" || exit 1
exec "\$@"
EOF
chmod +x "$TRASH/on-b"
if [ "$(id -u)" = 0 ]; then NS="unshare -m"; else NS="unshare -r -m"; fi
# on_a/on_b LOGIN WORKDIR ARGS...: push_as on node A or B.
on_a() { TWOKEY_CONFIG="$TRASH/a.yaml" push_as "$@"; }
on_b() { TWOKEY_CONFIG="$TRASH/b.yaml" PUSH_AS="$NS $TRASH/on-b" push_as "$@"; }
check "node B's repository shows at node A's path" sh -c \
	"$NS $TRASH/on-b git -C '$A' config receive.advertisePushOptions >/dev/null && ! $NS $TRASH/on-b test -e '$A/refs/heads/x'"

W=$(new_work w)
commit_as "$W" olga@example.com "base"
base=$(head_of "$W")
for n in a b; do
	GL_USER=olga TWOKEY_CONFIG="$TRASH/$n.yaml" git -C "$W" push -q "$TRASH/$n.git" HEAD:refs/heads/feature 2>/dev/null
	git -C "$TRASH/$n.git" update-ref refs/heads/main "$base"
done
check "both nodes have main" sh -c "git -C '$A' rev-parse -q --verify main && git -C '$B' rev-parse -q --verify main" >/dev/null

# --- an emergency on node A, enforced on node B --------------------------
commit_as "$W" olga@example.com "hotfix"
e1=$(head_of "$W")
if on_a olga "$W" "$A" -o "twokey.emergency=INC-9 db down" HEAD:refs/heads/main; then ok "emergency on node A"; else not_ok "emergency on node A"; sed 's/^/#   /' "$TRASH/out"; fi
t0=$(date +%s)
check "...main moved on A" ref_is "$A" refs/heads/main "$e1"
check "...the state is in the database" test "$(nentries)" -eq 1
check "...pending (ratified 0), waiving approvals (1), blocking (1)" has_entry '^e 1 [0-9]+ [0-9]+ 0 1 1 '
check "...recorded by node A" test "$(sql "SELECT node FROM twokey_records WHERE line LIKE '%\"emergency\":{%'")" = node-a
# replication: node B gets the commit as a replica would (no push)
git -C "$B" fetch -q "$A" refs/heads/main:refs/heads/main
check "node B has the emergency's commit" ref_is "$B" refs/heads/main "$e1"

TWOKEY_CONFIG="$TRASH/b.yaml" "$TK" audit emergencies >"$TRASH/out" 2>&1
check "audit emergencies on node B lists it, pending" expect_out "INC-9 db down"
check "...reading the database" expect_out "postgres:twokey_emergencies"
TWOKEY_CONFIG="$TRASH/b.yaml" "$TK" audit emergencies --overdue >/dev/null 2>&1
check "...none overdue yet (exit 0)" test $? -eq 0

# before the deadline: an approved push on B lands
commit_as "$W" olga@example.com "follow-up"
f1=$(head_of "$W")
note_approve bob bob bob@example.com "$W" "$f1"
if on_b olga "$W" "$A" HEAD:refs/heads/main "$NOTES"; then ok "before the deadline, node B accepts an approved push"; else not_ok "before the deadline, node B accepts an approved push"; sed 's/^/#   /' "$TRASH/out"; fi
check "...on node B's repository" ref_is "$B" refs/heads/main "$f1"
check "...not node A's" ref_is "$A" refs/heads/main "$e1"

# wait past the deadline (1m), in real time
sleep $((62 - ($(date +%s) - t0)))
commit_as "$W" olga@example.com "next change"
f2=$(head_of "$W")
note_approve bob bob bob@example.com "$W" "$f2"
GL_USER=olga TWOKEY_CONFIG="$TRASH/b.yaml" git -C "$W" push -q -f "$B" HEAD:refs/heads/wip "$NOTES" 2>/dev/null
check "the change and its approval reach node B" ref_is "$B" refs/heads/wip "$f2"
if on_b olga "$W" "$A" HEAD:refs/heads/main; then not_ok "overdue: node B refuses an approved push (accepted)"; sed 's/^/#   /' "$TRASH/out"; else ok "overdue: node B refuses an approved push"; fi
check "...naming the emergency pushed on node A" expect_out \
	"error: refs/heads/main: the emergency push of [0-9T:-]+Z by olga \($(echo "$base" | cut -c1-12)\.\.$(echo "$e1" | cut -c1-12), reason: INC-9 db down\) was not ratified by [0-9T:-]+Z; this ref is blocked until it is \(overdue: block\)"
check "...main did not move on B" ref_is "$B" refs/heads/main "$f1"
check "...the refusal recorded by node B" test "$(sql "SELECT node FROM twokey_records WHERE line LIKE '%was not ratified%' ORDER BY seq DESC LIMIT 1")" = node-b
TWOKEY_CONFIG="$TRASH/b.yaml" "$TK" audit emergencies --overdue >"$TRASH/out" 2>&1
check "audit emergencies --overdue on node B: exit 1" test $? -eq 1
check "...listing it" expect_out "INC-9 db down"

# ratify: bob's notes approval of the emergency's commit, pushed to node B
note_approve bob bob bob@example.com "$W" "$e1"
if on_b bob "$W" "$A" "$NOTES"; then ok "bob's ratifying notes land on node B"; else not_ok "bob's ratifying notes land on node B"; sed 's/^/#   /' "$TRASH/out"; fi
check "...the state says ratified, by bob" has_entry '^e 1 [0-9]+ [0-9]+ [1-9][0-9]* 1 1 .* bob 1 login:olga,email:olga@example.com,key:SHA256:[^ ]+$'
check "...recorded by node B as the ratification" test "$(sql "SELECT node FROM twokey_records WHERE line LIKE '%\"ratified\":[{%' ORDER BY seq DESC LIMIT 1")" = node-b
if on_b olga "$W" "$A" HEAD:refs/heads/main; then ok "ratified: node B accepts the approved push"; else not_ok "ratified: node B accepts the approved push"; sed 's/^/#   /' "$TRASH/out"; fi
check "...main moved on B" ref_is "$B" refs/heads/main "$f2"
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit emergencies --overdue >"$TRASH/out" 2>&1
check "audit emergencies --overdue on node A: none (exit 0)" test $? -eq 0
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit emergencies >"$TRASH/out" 2>&1
check "...node A sees it ratified by bob" expect_out "bob"

# --- a record that cannot be written takes the state back ---------------
git -C "$W" checkout -q -b hot "$base"
commit_as "$W" olga@example.com "hot 0"
before=$(state)
sql "REVOKE INSERT ON twokey_records FROM twokey_hook"
if on_a olga "$W" "$A" -o "twokey.emergency=INC-10 cache" HEAD:refs/heads/hot/0; then not_ok "no record, no emergency (accepted)"; else ok "no record, no emergency: refused"; fi
check "...the audit log is unavailable" expect_out "the server's audit log is unavailable"
check "...the state is as it was" test "$(state)" = "$before"
check "...and the ref was not created" ref_is "$A" refs/heads/hot/0 ""
sql "GRANT INSERT ON twokey_records TO twokey_hook"

# --- a missing grant, a corrupt row: fail closed ------------------------
sql "REVOKE UPDATE ON twokey_emergencies FROM twokey_hook"
if on_a olga "$W" "$A" -o "twokey.emergency=INC-11 cache" HEAD:refs/heads/hot/0; then not_ok "no UPDATE grant: an emergency is refused (accepted)"; else ok "no UPDATE grant: an emergency is refused"; fi
check "...the emergency could not be recorded" expect_out "the emergency could not be recorded"
check "...the refusal is recorded" test "$(sql "SELECT count(*) FROM twokey_records WHERE line LIKE '%hot/0%' AND line LIKE '%could not be recorded%'")" -eq 1
check "...the state is as it was" test "$(state)" = "$before"
sql "GRANT UPDATE ON twokey_emergencies TO twokey_hook"
sql "UPDATE twokey_emergencies SET body = 'twokey-emergencies 1 2' || chr(10) || 'e 1 oops' || chr(10)"
if on_b olga "$W" "$A" HEAD:refs/heads/topic; then not_ok "a corrupt emergency row refuses (accepted)"; else ok "a corrupt emergency row refuses"; fi
check "...saying the state cannot be used" expect_out \
	"error: the server's emergency state cannot be used, so no push is decided until an admin repairs it"
check "...the refusal is recorded by node B" test "$(sql "SELECT count(*) FROM twokey_records WHERE node = 'node-b' AND line LIKE '%\"error\":\"the server''s emergency state cannot be used%'")" -eq 1
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit emergencies >"$TRASH/out" 2>&1
check "audit emergencies refuses it (exit 1)" test $? -eq 1
check "...naming the line" expect_out "postgres:twokey_emergencies cannot be used: line 2"
sql "UPDATE twokey_emergencies SET body = ''"
if on_a olga "$W" "$A" HEAD:refs/heads/topic; then not_ok "an emptied row refuses (accepted)"; else ok "an emptied row refuses"; fi
sql "UPDATE twokey_emergencies SET body = \$q\$$before
\$q\$"
check "repaired" test "$(state)" = "$before"
if on_a olga "$W" "$A" HEAD:refs/heads/topic; then ok "repaired: node A accepts"; else not_ok "repaired: node A accepts"; sed 's/^/#   /' "$TRASH/out"; fi

# --- concurrent emergencies on both nodes -------------------------------
n0=$(nentries)
r0=$(sql "SELECT count(*) FROM twokey_records")
i=1
while [ $i -le 8 ]; do
	if [ $((i % 2)) -eq 0 ]; then
		GL_USER=olga TWOKEY_CONFIG="$TRASH/a.yaml" git -C "$W" push "$A" \
			-o "twokey.emergency=INC-$i parallel" "HEAD:refs/heads/hot/$i" >"$TRASH/c$i.out" 2>&1 &
	else
		GL_USER=olga TWOKEY_CONFIG="$TRASH/b.yaml" $NS "$TRASH/on-b" git -C "$W" push "$A" \
			-o "twokey.emergency=INC-$i parallel" "HEAD:refs/heads/hot/$i" >"$TRASH/c$i.out" 2>&1 &
	fi
	i=$((i + 1))
done
wait
nok=0
for i in 1 2 3 4 5 6 7 8; do grep -q "hot/$i" "$TRASH/c$i.out" && ! grep -q "rejected" "$TRASH/c$i.out" && nok=$((nok + 1)); done
check "8 concurrent emergency pushes on two nodes all land" test "$nok" -eq 8 || cat "$TRASH"/c*.out | sed 's/^/#   /'
check "...8 more entries in the state" test "$(nentries)" -eq $((n0 + 8))
check "...each reason once" test "$(state | grep -c 'INC-[1-8]%20parallel')" -eq 8
check "...numbered 1 to $((n0 + 8)), each once" test "$(state | awk '$1 == "e" { print $2 }' | tr '\n' ' ')" = "$(seq -s ' ' 1 $((n0 + 8))) "
check "...8 more records" test "$(sql "SELECT count(*) FROM twokey_records")" -eq $((r0 + 8))
check "...from both nodes" test "$(sql "SELECT string_agg(DISTINCT node, ',' ORDER BY node) FROM twokey_records WHERE line LIKE '%parallel%'")" = "node-a,node-b"
TWOKEY_CONFIG="$TRASH/b.yaml" "$TK" audit verify >"$TRASH/out" 2>&1
check "...one chain that verifies" expect_out "records verified in the database; chain intact"
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit emergencies >"$TRASH/out" 2>&1
check "audit emergencies: every one" expect_out "^totals   9 emergencies: "

check "the password appears nowhere" sh -c "! grep -r -l -F '$PW' '$TRASH'/out '$TRASH'/c*.out '$PG/server.log'"
done_testing
