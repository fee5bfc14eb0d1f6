#!/bin/sh
# audit.syslog: true (docs/audit.md, "Syslog"): each recorded push sends
# one line to syslog (auth.notice, tag twokey) naming the hook, the
# repository, the pusher, the decision, the refs and the hash of the
# record just written, so that a collector off the server holds an anchor
# for every record.  Checked through a real /dev/log socket in a private
# mount namespace (lib-syslog.sh): the hashes are those of the log's
# records; a pusher name holding a newline cannot forge a second line;
# records removed from the end of the log together with the head file
# (which `twokey audit verify` alone cannot see) are shown by
# `twokey audit verify --anchor HASH` with the last hash syslog received.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-syslog.sh"

syslog_capture_works || {
	echo "Bail out! syslog capture needs root, unshare(1) and python3"
	exit 1
}
TK="$TK_BIN/twokey"
LOG="$TRASH/log/audit.jsonl"
mkdir -p "$TRASH/log"
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  operations: deploys
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    roles: [developer]
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: refs/heads/main
    update: [operations]
    create: [operations]
  - name: features
    refs: 'refs/heads/feature/.+'
    update: [developer]
    create: [developer]
audit:
  path: $LOG
  syslog: true
EOF
export TWOKEY_CONFIG="$TRASH/policy.yaml"

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "first"
S="$TRASH/syslog.txt"
# hash_of N: the "hash" of the log's Nth record (-1: the last)
hash_of() {
	python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])])["hash"])' \
		"$LOG" "$1"
}

with_syslog "$S" env GL_USER=alice git -C "$w" push origin HEAD:refs/heads/feature/a >"$TRASH/out" 2>&1
check "alice's feature branch is accepted" ref_is "$srv" refs/heads/feature/a "$(head_of "$w")"
with_syslog "$S" env GL_USER=alice git -C "$w" push origin HEAD:refs/heads/main >"$TRASH/out" 2>&1
check "her push to main is refused" sh -c "! git -C '$srv' rev-parse -q --verify refs/heads/main"
check "two records in the log" test "$(wc -l <"$LOG")" -eq 2
check "one syslog line per record" test "$(grep -c 'twokey\[' "$S")" -eq 2
h1=$(hash_of 0)
h2=$(hash_of 1)
check "the accepted push's line: auth.notice, hook, repo, pusher, decision, ref, the record's hash" \
	grep -q -x "<37>.* twokey\[[0-9]*\]: pre-receive: repo=$srv/ pusher=alice decision=accepted refs=1 refs/heads/feature/a hash=$h1" "$S"
check "the refused push's line, with its record's hash" \
	grep -q -x "<37>.* twokey\[[0-9]*\]: pre-receive: repo=$srv/ pusher=alice decision=refused refs=1 refs/heads/main hash=$h2" "$S"

# A pusher name with a newline: refused (no identity has it), recorded, and
# its syslog line stays one line.
: >"$S"
with_syslog "$S" env GL_USER="$(printf 'alice\nforged: decision=accepted')" \
	git -C "$w" push origin HEAD:refs/heads/feature/b >"$TRASH/out" 2>&1
check "the push under a pusher name with a newline is refused" \
	sh -c "! git -C '$srv' rev-parse -q --verify refs/heads/feature/b"
check "its record is in the log" test "$(wc -l <"$LOG")" -eq 3
check "its syslog line is one line, the newline shown as '?'" \
	grep -q "pusher=alice?forged: decision=accepted decision=refused refs=1 refs/heads/feature/b hash=$(hash_of 2)$" "$S"
check "no syslog line starts with the forged text" sh -c "! grep -q '^forged' '$S'"

# verify --anchor: the last hash syslog received is in the chain
last=$(sed -n 's/.* hash=\([0-9a-f]*\)$/\1/p' "$S" | tail -1)
check "syslog's last hash is the log's last record" test "$last" = "$(hash_of 2)"
"$TK" audit verify --anchor "$last" >"$TRASH/verify" 2>&1
check "verify --anchor: found, exit 0" test $? -eq 0
check "... says where: record 3 of 3, 0 after it" \
	grep -q -x "anchor: $LOG:3, record 3 of 3 (0 after it)" "$TRASH/verify"
"$TK" audit verify --anchor "$(printf '%s' "$h1" | tr a-f A-F)" >"$TRASH/verify" 2>&1
check "an anchor in capitals is the same hash" grep -q -x "anchor: $LOG:1, record 1 of 3 (2 after it)" "$TRASH/verify"
"$TK" audit verify --anchor "${h1%?}" >"$TRASH/verify" 2>&1
check "an anchor that is not 64 hex digits is a usage error (exit 2)" test $? -eq 2
"$TK" audit show --anchor "$h1" >"$TRASH/verify" 2>&1
check "--anchor is for verify only (exit 2)" test $? -eq 2

# Records removed from the end with the head file rewritten to match:
# the chain that is left is intact, so verify alone cannot tell; with the
# anchor the collector holds it can.
head -n 2 "$LOG" >"$LOG.cut" && cat "$LOG.cut" >"$LOG"
printf '%s\n' "$h2" >"$LOG.head"
"$TK" audit verify >"$TRASH/verify" 2>&1
check "verify alone sees an intact chain after the cut" grep -q "chain intact" "$TRASH/verify"
"$TK" audit verify --anchor "$last" >"$TRASH/verify" 2>&1
check "verify --anchor with syslog's last hash: exit 1" test $? -eq 1
check "... saying records were removed from the log's end" \
	grep -q "twokey: the anchor $last is not in the chain: records were removed from the log's end" "$TRASH/verify"

done_testing
