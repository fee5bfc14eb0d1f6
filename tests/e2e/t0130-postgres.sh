#!/bin/sh
# One audit chain in PostgreSQL shared by two server nodes (docs/postgres.md):
# a real PostgreSQL started here on 127.0.0.1 (a free port, a temporary
# directory, an unprivileged user), `twokey audit init-db` (twice), a hook
# role that may only INSERT/SELECT records, 100 pushes run concurrently
# across two bare repositories with different audit.node names (exactly
# 100 records, one chain that verifies, both nodes present), the database
# stopped while pushes run (every push refused with a clear message or
# recorded, nothing half-written, even when the stop lands just after a
# COMMIT), restarted (the chain continues), the
# export verified offline, a row edited with SQL named by verify, and the
# password in no output, record or server log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-syslog.sh"
. "$(dirname "$0")/lib-postgres.sh" # PG, SOCK, PORT, PW, sql, hsql, denied

TK="$TK_BIN/twokey"

policy() { # FILE CONN NODE
	cat >"$1" <<EOF
version: 1
roles:
  developer: writes code
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    roles: [developer]
pusher:
  env: [GL_USER]
rules:
  - name: everything
    refs: '.*'
    update: [developer]
audit:
  postgres: $2
  node: $3
EOF
}
policy "$TRASH/admin.yaml" "$TRASH/admin.conn" admin
policy "$TRASH/a.yaml" "$TRASH/hook.conn" node-a
policy "$TRASH/b.yaml" "$TRASH/hook.conn" node-b

check "the policies load" env TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" config check
TWOKEY_CONFIG="$TRASH/admin.yaml" "$TK" audit init-db >"$TRASH/init1" 2>&1
check "init-db creates the schema" grep -q "schema is ready" "$TRASH/init1"
TWOKEY_CONFIG="$TRASH/admin.yaml" "$TK" audit init-db >"$TRASH/init2" 2>&1
check "init-db again changes nothing" grep -q "schema is ready" "$TRASH/init2"
check "schema version 3" test "$(sql 'SELECT version FROM twokey_schema')" = 3
sql "GRANT SELECT, INSERT ON twokey_records TO twokey_hook;
GRANT SELECT, UPDATE ON twokey_head TO twokey_hook;
GRANT SELECT ON twokey_schema, twokey_freezes TO twokey_hook"

A=$(new_server a)
B=$(new_server b)
W=$(new_work w)
commit_as "$W" alice@example.com "first"
git -C "$W" remote add a "$A"
git -C "$W" remote add b "$B"

# One push: node (a|b), branch name; output to $TRASH/out.N.
push1() {
	GL_USER=alice TWOKEY_CONFIG="$TRASH/$1.yaml" \
		git -C "$W" push "$1" "HEAD:refs/heads/$2" >"$TRASH/out.$2" 2>&1
}

# 100 pushes, 10 at a time, alternating nodes.
start=$(date +%s.%N)
i=0
while [ $i -lt 100 ]; do
	j=0
	while [ $j -lt 10 ]; do
		n=$((i + j))
		if [ $((n % 2)) -eq 0 ]; then push1 a "c$n" & else push1 b "c$n" & fi
		j=$((j + 1))
	done
	wait
	i=$((i + 10))
done
end=$(date +%s.%N)
echo "# 100 concurrent pushes across two nodes: $(python3 -c "print('%.1f pushes/s' % (100/($end-$start)))")"
nrefs=$(( $(git -C "$A" for-each-ref refs/heads | wc -l) + $(git -C "$B" for-each-ref refs/heads | wc -l) ))
check "100 concurrent pushes all accepted" test "$nrefs" -eq 100
check "exactly 100 records" test "$(sql 'SELECT count(*) FROM twokey_records')" -eq 100
check "both node names present" test "$(sql 'SELECT string_agg(DISTINCT node, $$,$$ ORDER BY node) FROM twokey_records')" = "node-a,node-b"
check "records carry their node" test "$(sql "SELECT count(*) FROM twokey_records WHERE line LIKE '%\"node\":\"' || node || '\"%'")" -eq 100
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit verify >"$TRASH/verify1" 2>&1
check "one chain that verifies from either node" grep -q "100 records verified in the database" "$TRASH/verify1"
TWOKEY_CONFIG="$TRASH/b.yaml" "$TK" audit show >"$TRASH/show1" 2>&1
check "audit show reads the database" test "$(grep -c 'refs/heads/c' "$TRASH/show1")" -ge 100

# The hook's role: no UPDATE, DELETE or TRUNCATE of records.
check "the hook's role may SELECT records" hsql "SELECT count(*) FROM twokey_records"
check "the hook's role cannot UPDATE records" denied "UPDATE twokey_records SET node = 'x'"
check "the hook's role cannot DELETE records" denied "DELETE FROM twokey_records"
check "the hook's role cannot TRUNCATE records" denied "TRUNCATE twokey_records"
owner_denied() { ! sql "$1" >"$TRASH/osql" 2>&1 && grep -q "append-only" "$TRASH/osql"; }
check "even the owner's UPDATE meets the trigger" owner_denied "UPDATE twokey_records SET node = 'x' WHERE seq = 1"
check "even the owner's DELETE meets the trigger" owner_denied "DELETE FROM twokey_records WHERE seq = 100"

# A connection file others can read is refused (it holds the password).
chmod 640 "$TRASH/hook.conn"
# push_logged NAME: push1 a NAME, with what reaches syslog in $TRASH/log.NAME
# (the pusher is told the audit log is unavailable; the reason, which names
# server files, goes to syslog): root only, else the log stays empty.
push_logged() {
	: >"$TRASH/log.$1"
	if syslog_capture_works; then
		with_syslog "$TRASH/log.$1" env GL_USER=alice TWOKEY_CONFIG="$TRASH/a.yaml" \
			git -C "$W" push a "HEAD:refs/heads/$1" >"$TRASH/out.$1" 2>&1
	else
		push1 a "$1"
	fi
}
# reason_logged NAME TEXT: syslog has TEXT, when it could be captured.
reason_logged() {
	syslog_capture_works || { echo "# syslog not captured (needs root): not checked"; return 0; }
	grep -q "$2" "$TRASH/log.$1"
}
push_logged perm
check "a group-readable connection file refuses the push" \
	grep -q "the server's audit log is unavailable" "$TRASH/out.perm"
check "... the reason goes to syslog" reason_logged perm "readable by no one else"
check "... and the ref is not created" ref_is "$A" refs/heads/perm ""
chmod 600 "$TRASH/hook.conn"

# The database stopped while pushes run, three times: each push is
# recorded or refused, never half of it.  commit_delay holds every COMMIT
# 0.1 s before its flush, so a stop often lands while one commits: the
# server then ends the session right after the COMMIT's success, and that
# push must count as recorded (and land), not as refused.
sql "ALTER SYSTEM SET commit_delay = 100000"
sql "ALTER SYSTEM SET commit_siblings = 0"
sql "SELECT pg_reload_conf()" >/dev/null
before=$(( $(git -C "$A" for-each-ref refs/heads | wc -l) + $(git -C "$B" for-each-ref refs/heads | wc -l) ))
for outage in 1 2 3; do
	rm -f "$TRASH/stopped"
	(
		k=0
		while [ $k -lt 40 ] && [ ! -e "$TRASH/stopped" ]; do
			if [ $((k % 2)) -eq 0 ]; then push1 a "d$outage-$k"; else push1 b "d$outage-$k"; fi
			k=$((k + 1))
		done
	) &
	loop=$!
	sleep 1.5
	pg_stop
	touch "$TRASH/stopped"
	wait $loop
	if [ $outage -eq 3 ]; then
		push_logged down
		check "with the database down the push is refused" test -z "$(git -C "$A" for-each-ref refs/heads/down)"
		check "... with a clear message" grep -q "the server's audit log is unavailable" "$TRASH/out.down"
		check "... the reason in syslog" reason_logged down "cannot connect to the audit database"
		check "... saying nothing is accepted unrecorded" grep -q "nothing is accepted unrecorded" "$TRASH/out.down"
		check "... and naming no host, port or user" sh -c "! grep -E -q '127\.0\.0\.1|$PORT|twokey_hook' '$TRASH/out.down'"
	fi
	pg_start || { cat "$PG/server.log"; echo "Bail out! postgres did not restart"; exit 1; }
	nrefs=$(( $(git -C "$A" for-each-ref refs/heads | wc -l) + $(git -C "$B" for-each-ref refs/heads | wc -l) ))
	nrec=$(sql 'SELECT count(*) FROM twokey_records')
	echo "# outage $outage: $((nrefs - before)) pushes landed before the database stopped"
	before=$nrefs
	check "nothing half-written (outage $outage): one record per accepted push" test "$nrec" -eq "$nrefs"
done
sql "ALTER SYSTEM RESET commit_delay"
sql "ALTER SYSTEM RESET commit_siblings"
sql "SELECT pg_reload_conf()" >/dev/null
push1 b after
check "restarted: the push is accepted" ref_is "$B" refs/heads/after "$(head_of "$W")"
TWOKEY_CONFIG="$TRASH/b.yaml" "$TK" audit verify >"$TRASH/verify2" 2>&1
check "the chain continues across the outage" grep -q "$((nrec + 1)) records verified in the database" "$TRASH/verify2"

# Export, verified offline.
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit export >"$TRASH/export.jsonl" 2>"$TRASH/export.err"
check "export writes every record" test "$(wc -l <"$TRASH/export.jsonl")" -eq $((nrec + 1))
"$TK" audit verify "$TRASH/export.jsonl" >"$TRASH/verify3" 2>&1
check "the export verifies offline" grep -q "$((nrec + 1)) records verified in 1 file" "$TRASH/verify3"
# export --since: the tail of the chain from the first record at or after
# the time, which verifies as a rotated file (its first record links back).
since=$(sed -n "$((nrec / 2))p" "$TRASH/export.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["time"])')
want=$(python3 - "$TRASH/export.jsonl" "$since" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
times = [json.loads(l)["time"] for l in lines]
first = next(i for i, t in enumerate(times) if t >= sys.argv[2])
print(len(lines) - first)
PY
)
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit export --since "$since" >"$TRASH/export2.jsonl" 2>"$TRASH/export2.err"
check "export --since $since: the tail from that time ($want records)" \
	test "$(wc -l <"$TRASH/export2.jsonl")" -eq "$want" -a "$want" -lt $((nrec + 1))
check "... its last line is the chain's last" test \
	"$(tail -n 1 "$TRASH/export2.jsonl")" = "$(tail -n 1 "$TRASH/export.jsonl")"
check "... it verifies as a rotated file" sh -c \
	"'$TK' audit verify --rotated '$TRASH/export2.jsonl' | grep -q '$want records verified'"
check "... and not as a whole chain" sh -c "! '$TK' audit verify '$TRASH/export2.jsonl' >/dev/null 2>&1"
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit export --since 2026-13 >/dev/null 2>"$TRASH/export3.err"
st=$?
check "export --since 2026-13: a usage error (exit 2)" test $st -eq 2
check "... naming the value" grep -q "2026-13" "$TRASH/export3.err"
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit export --ref main >/dev/null 2>"$TRASH/export4.err"
st=$?
check "export --ref: refused, not ignored (exit 2)" test $st -eq 2

# One line per push on one node: the file log against the database.
sed "s|^  postgres: .*|  path: $TRASH/file.jsonl|; /^  node:/d" "$TRASH/a.yaml" >"$TRASH/file.yaml"
bench() { # CONFIG PREFIX
	s=$(date +%s.%N)
	k=0
	while [ $k -lt 20 ]; do
		GL_USER=alice TWOKEY_CONFIG="$1" git -C "$W" push a "HEAD:refs/heads/$2$k" >/dev/null 2>&1 || return 1
		k=$((k + 1))
	done
	e=$(date +%s.%N)
	python3 -c "print('%.1f' % (20/($e-$s)))"
}
f=$(bench "$TRASH/file.yaml" f) && p=$(bench "$TRASH/a.yaml" p)
check "the benchmark's pushes are accepted" test -n "$f" -a -n "$p"
echo "# one node, 20 sequential pushes: file log $f pushes/s, PostgreSQL $p pushes/s"

# doctor knows the audit goes to the database and checks the connection
# file, without printing what it holds.
chmod 0644 "$TRASH/hook.conn"
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" doctor "$A" >"$TRASH/doctor.out" 2>&1
check "doctor: the audit goes to PostgreSQL, node node-a" grep -q "audit: PostgreSQL (audit.postgres), node node-a" "$TRASH/doctor.out"
check "doctor: the connection file is readable" grep -q "^ok .*audit database connection file readable" "$TRASH/doctor.out"
check "doctor: ...and too widely" grep -q "readable by group or others: it holds the database password" "$TRASH/doctor.out"
check "doctor: no word of audit.path" sh -c "! grep -q 'audit.path is not set' '$TRASH/doctor.out'"
chmod 0600 "$TRASH/hook.conn"

# A row edited with SQL: verify names it.
sql "ALTER TABLE twokey_records DISABLE TRIGGER twokey_records_append_only;
UPDATE twokey_records SET line = replace(line, 'alice', 'mallory') WHERE seq = 7;
ALTER TABLE twokey_records ENABLE TRIGGER twokey_records_append_only"
TWOKEY_CONFIG="$TRASH/a.yaml" "$TK" audit verify >"$TRASH/verify4" 2>&1
st=$?
check "verify fails on the edited row" test $st -eq 1
check "... and names it" grep -q "^postgres:twokey_records:7: " "$TRASH/verify4"

# The password: in no output, record, export or server log.
check "the password appears nowhere" sh -c "! grep -r -l -F '$PW' '$TRASH'/out.* '$TRASH'/verify* '$TRASH'/init* '$TRASH'/show1 '$TRASH'/export* '$TRASH/doctor.out' '$PG/server.log'"
check "... nor in the records" test "$(sql "SELECT count(*) FROM twokey_records WHERE line LIKE '%$PW%'")" -eq 0

done_testing
