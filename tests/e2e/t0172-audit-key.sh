#!/bin/sh
# The audit HMAC key (docs/audit.md, "The HMAC key"), with real pushes:
# - audit.key-file set on a log that already has records: the hooks go on
#   appending, and `twokey audit verify` (the policy's key) accepts the
#   records without an HMAC, which a later record's HMAC covers through
#   the chain: an edit among them is still found, and a record stripped
#   of its HMAC is still covered; the newest record must have one, and a
#   log whose HMACs were all removed fails.
# - A FIFO at the key's path refuses the push, saying why, instead of
#   holding it until someone writes to the FIFO; `twokey doctor` names a
#   key that is not a regular file, or that group or others can read.
# - A line whose chain verifies but which is no readable record (invalid
#   JSON, a NUL byte) makes report, stats and reconcile exit 1 and say
#   the document is incomplete: a landed change left out silently would
#   read as "no change".
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "Bail out! python3 is required"; exit 1; }
command -v timeout >/dev/null || { echo "Bail out! timeout is required"; exit 1; }
TK="$TK_BIN/twokey"
LOG="$TRASH/log/audit.jsonl"
KEY="$TRASH/audit.key"
mkdir -p "$TRASH/log"
(umask 077 && head -c 32 /dev/urandom >"$KEY")
policy() {
	write_policy "$TRASH/policy.yaml" <<EOF2
version: 1
roles: {dev: writes code}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [dev]}
pusher: {env: [GL_USER]}
rules:
  - name: branches
    refs: 'refs/heads/.*'
    update: [dev]
    create: [dev]
audit:
  path: $LOG
$1
EOF2
}
policy ""
srv=$(new_server srv)
w=$(new_work w)
commit_as "$w" alice@example.com one
accepted "push 1, no key" alice "$w" "$srv" HEAD:refs/heads/b1
accepted "push 2, no key" alice "$w" "$srv" HEAD:refs/heads/b2
policy "  key-file: $KEY"
accepted "push 3, with the key" alice "$w" "$srv" HEAD:refs/heads/b3
accepted "push 4, with the key" alice "$w" "$srv" HEAD:refs/heads/b4
check "records 3 and 4 carry an HMAC, 1 and 2 none" python3 - "$LOG" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert ['hmac' in r for r in recs] == [False, False, True, True], recs
EOF

(cd "$srv" && "$TK" audit verify) >"$TRASH/v.out" 2>&1
check "verify with the policy's key: exit 0" test $? -eq 0 ||
	sed 's/^/#   /' "$TRASH/v.out"
check "...4 records with HMAC, a note on the 2 before the key" sh -c "
	grep -q '4 records verified in 1 file with HMAC; chain intact' '$TRASH/v.out' &&
	grep -q 'note: 2 records carry no HMAC' '$TRASH/v.out'"
check "verify --key-file: exit 0" sh -c "'$TK' audit verify --key-file '$KEY' '$LOG' >/dev/null"

# rechain IN OUT [EDIT] [DROP...]: every record rewritten with a correct
# prev and hash, as someone without the key would; the record EDIT (1-based,
# 0 for none) gets its pusher changed; the records DROP lose their HMAC
# (the others keep the one they had).
cat >"$TRASH/rechain.py" <<'EOF'
import hashlib, json, sys
src, dst, edit = sys.argv[1], sys.argv[2], int(sys.argv[3])
drop = {int(x) for x in sys.argv[4:]}
prev, out = '0' * 64, []
for i, raw in enumerate(open(src, 'rb').read().split(b'\n')[:-1], 1):
    r = json.loads(raw)
    body = raw[:raw.rindex(b',"prev":"')]
    if i == edit:
        body = body.replace(b'"login":"alice"', b'"login":"carol"', 1)
    body += b',"prev":"' + prev.encode() + b'"'
    h = hashlib.sha256(body + b'}').hexdigest()
    line = body + b',"hash":"' + h.encode() + b'"'
    if 'hmac' in r and i not in drop:
        line += b',"hmac":"' + r['hmac'].encode() + b'"'
    out.append(line + b'}\n')
    prev = h
open(dst, 'wb').write(b''.join(out))
EOF
rechain() { python3 "$TRASH/rechain.py" "$@"; }
bad() { # FILE LINE TEXT: verify with the key exits 1, naming LINE and TEXT
	"$TK" audit verify --key-file "$KEY" "$1" >"$TRASH/v.out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "^$1:$2: $3" "$TRASH/v.out" || {
		echo "# exit $rc:"
		sed 's/^/#   /' "$TRASH/v.out"
		return 1
	}
}
rechain "$LOG" "$TRASH/e1.jsonl" 1
check "record 1 (before the key) edited, chain recomputed: passes without the key" \
	sh -c "'$TK' audit verify '$TRASH/e1.jsonl' >/dev/null"
check "...found with the key at the first keyed record" \
	bad "$TRASH/e1.jsonl" 3 "the HMAC does not match"
rechain "$LOG" "$TRASH/d4.jsonl" 0 4
check "the last record's HMAC removed: found" \
	bad "$TRASH/d4.jsonl" 4 "no HMAC, but a key was given: the newest"
rechain "$LOG" "$TRASH/d3.jsonl" 0 3
"$TK" audit verify --key-file "$KEY" "$TRASH/d3.jsonl" >"$TRASH/v.out" 2>&1
check "record 3's HMAC removed: record 4's still covers it (exit 0, noted)" \
	sh -c "[ $? -eq 0 ] && grep -q 'note: 3 records carry no HMAC' '$TRASH/v.out'"
rechain "$LOG" "$TRASH/e3.jsonl" 3 3
check "record 3 edited and its HMAC removed: found at record 4" \
	bad "$TRASH/e3.jsonl" 4 "the HMAC does not match"
rechain "$LOG" "$TRASH/d34.jsonl" 0 3 4
check "every HMAC removed: found at the end" \
	bad "$TRASH/d34.jsonl" 4 "no record carries an HMAC"
head -n 2 "$LOG" >"$TRASH/unkeyed.jsonl"
check "a log written without the key fails with the key" \
	bad "$TRASH/unkeyed.jsonl" 2 "no record carries an HMAC"
check "...and verifies without it" sh -c "'$TK' audit verify '$TRASH/unkeyed.jsonl' >/dev/null"
head -n 3 "$LOG" >"$TRASH/cut.jsonl"
check "the log cut after the first keyed record verifies (the head file is not beside it)" \
	sh -c "'$TK' audit verify --key-file '$KEY' '$TRASH/cut.jsonl' >/dev/null"

# --- twokey doctor: the key's mode ------------------------------------------
chmod 644 "$KEY"
"$TK" doctor "$srv" >"$TRASH/doc.out" 2>&1
check "doctor: a key others can read is a problem" grep -q \
	"^PROBLEM  audit key open to group or others .*: $KEY\$" "$TRASH/doc.out" ||
	sed 's/^/#   /' "$TRASH/doc.out"
check "...with the fix" grep -q "fix: sudo chmod 0600 $KEY\$" "$TRASH/doc.out"
chmod 600 "$KEY"
"$TK" doctor "$srv" >"$TRASH/doc.out" 2>&1
check "doctor: mode 0600 is fine" grep -q "^ok       audit key readable: $KEY\$" "$TRASH/doc.out" ||
	sed 's/^/#   /' "$TRASH/doc.out"

# --- lines in the chain that are not readable records ----------------------
# (as a log without a key lets anyone write; the last record names main)
python3 - "$LOG" "$TRASH/unread.jsonl" <<'EOF'
import hashlib, sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')[:-1][:2]
lines.append(lines[1].replace(b'"v":1,', b'"v":1,,', 1))
lines.append(lines[1].replace(b'refs/heads/b2', b'refs/heads/b\x00', 1))
prev, out = '0' * 64, []
for raw in lines:
    body = raw[:raw.rindex(b',"prev":"')] + b',"prev":"' + prev.encode() + b'"'
    prev = hashlib.sha256(body + b'}').hexdigest()
    out.append(body + b',"hash":"' + prev.encode() + b'"}\n')
open(sys.argv[2], 'wb').write(b''.join(out))
EOF
check "two unreadable lines: the chain still verifies (no key)" \
	sh -c "'$TK' audit verify '$TRASH/unread.jsonl' >/dev/null"
for c in report stats; do
	"$TK" audit $c "$TRASH/unread.jsonl" >"$TRASH/c.out" 2>&1
	check "audit $c: exit 1" test $? -eq 1
	check "...saying 2 lines were left out" \
		grep -q 'unreadable lines *2 (in the chain but not readable' "$TRASH/c.out"
done
"$TK" audit reconcile --log "$TRASH/unread.jsonl" "$srv" refs/heads/b1 >"$TRASH/c.out" 2>&1
check "audit reconcile: exit 1" test $? -eq 1
check "...saying 2 lines were left out" \
	grep -q 'unreadable lines *2 (in the chain but not readable' "$TRASH/c.out"

# --- a FIFO where the key should be ------------------------------------------
n=$(wc -l <"$LOG")
rm -f "$KEY"
mkfifo "$KEY"
"$TK" doctor "$srv" >"$TRASH/doc.out" 2>&1
check "doctor: a FIFO as the key is a problem" grep -q \
	"^PROBLEM  audit key is not a regular file (pushes will be refused): $KEY\$" "$TRASH/doc.out" ||
	sed 's/^/#   /' "$TRASH/doc.out"
GL_USER=alice timeout 30 git -C "$w" push "$srv" HEAD:refs/heads/b5 >"$TRASH/out" 2>&1
rc=$?
check "a FIFO as the key file: the push is refused, not held" sh -c "[ $rc -ne 0 ] && [ $rc -ne 124 ]"
check "...saying why" expect_out "audit log is unavailable"
check "...b5 not created" ref_is "$srv" refs/heads/b5 ""
check "...nothing recorded" test "$(wc -l <"$LOG")" -eq "$n"
rm -f "$KEY"

done_testing
