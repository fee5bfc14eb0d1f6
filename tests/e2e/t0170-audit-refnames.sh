#!/bin/sh
# Ref names in the audit record (docs/spec.md, "Ref names in records"),
# with real pushes:
# - refs/heads/a\xff and refs/heads/a\xfe (bytes that are not UTF-8, which
#   git allows in ref names) and refs/heads/a<U+FFFD> are three refs: the
#   log names each differently (\xHH for a byte that is not UTF-8), so
#   `audit report --ref` and `audit reconcile` tell them apart; a name may
#   be given raw or in the log's form.
# - A ref moved by hand is the only one reconcile reports.
# - A log written before (each bad byte as U+FFFD) still verifies.
# - A push through a symbolic ref, and one inside GIT_NAMESPACE, are
#   reported under the ref git wrote: `report --ref main` lists the change
#   that landed on main through refs/heads/alias, and not main of another
#   namespace, which is its own ref (refs/namespaces/x/refs/heads/main).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "Bail out! python3 is required"; exit 1; }
TK="$TK_BIN/twokey"
quiet() { "$@" >"$TRASH/quiet" 2>&1 || { sed 's/^/#   /' "$TRASH/quiet"; return 1; }; }
LOG="$TRASH/log/audit.jsonl"
mkdir -p "$TRASH/log"
write_policy "$TRASH/policy.yaml" <<EOF2
version: 1
roles: {dev: writes code}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [dev]}
pusher: {env: [GL_USER]}
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [dev]
    create: [dev]
  - name: branches
    refs: 'refs/heads/.*'
    update: [dev]
    create: [dev]
    delete: [dev]
    force-push: [dev]
audit:
  path: $LOG
EOF2

FF=$(printf '\377')
FE=$(printf '\376')
RC=$(printf '\357\277\275') # U+FFFD, valid UTF-8
srv=$(new_server srv)
w=$(new_work w)
commit_as "$w" alice@example.com one
c1=$(head_of "$w")
accepted "main" alice "$w" "$srv" HEAD:refs/heads/main
commit_as "$w" alice@example.com two
c2=$(head_of "$w")
accepted "refs/heads/a\\xff" alice "$w" "$srv" "HEAD:refs/heads/a$FF"
commit_as "$w" alice@example.com three
c3=$(head_of "$w")
accepted "refs/heads/a\\xfe" alice "$w" "$srv" "HEAD:refs/heads/a$FE"
commit_as "$w" alice@example.com four
c4=$(head_of "$w")
accepted "refs/heads/a<U+FFFD>" alice "$w" "$srv" "HEAD:refs/heads/a$RC"
check "the server has the three refs" test "$(git -C "$srv" for-each-ref | wc -l)" -eq 4

# python3 reads the log back: the name each record gives, decoded.
names() {
	python3 - "$LOG" <<'EOF'
import json, sys
for raw in open(sys.argv[1], 'rb').read().split(b'\n')[:-1]:
    r = json.loads(raw.decode('utf-8'))
    for f in r['refs']:
        print(f['ref'].encode('unicode_escape').decode('ascii'), f['new'])
EOF
}
names >"$TRASH/names"
check "the log names each ref in its own form" sh -c "
	grep -qx 'refs/heads/a\\\\\\\\xff $c2' '$TRASH/names' &&
	grep -qx 'refs/heads/a\\\\\\\\xfe $c3' '$TRASH/names' &&
	grep -qx 'refs/heads/a\\\\ufffd $c4' '$TRASH/names'" ||
	sed 's/^/#   /' "$TRASH/names"
check "the chain verifies" quiet "$TK" audit verify "$LOG"
check "the log is valid UTF-8" python3 -c "open('$LOG', 'rb').read().decode('utf-8')"

# report --ref: one row per ref, whichever spelling is given
report_commits() {
	"$TK" audit report --format csv --ref "$1" "$LOG" >"$TRASH/rep" 2>&1 || return 1
	python3 - "$TRASH/rep" <<'EOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], encoding='utf-8')) if r['section'] == 'landed']
print(' '.join(r['ref'] + '=' + r['commit'] for r in rows))
EOF
}
check "report --ref with the raw \\xff byte: only that ref" \
	test "$(report_commits "refs/heads/a$FF")" = "refs/heads/a\\xff=$c2"
check "report --ref in the log's form (\\xfe): only that ref" \
	test "$(report_commits 'refs/heads/a\xfe')" = "refs/heads/a\\xfe=$c3"
check "report --ref short name with U+FFFD: only the UTF-8 ref" \
	test "$(report_commits "a$RC")" = "refs/heads/a$RC=$c4"
check "report --ref naming a ref no record names: exit 2" \
	sh -c "'$TK' audit report --ref 'refs/heads/a\\xfd' '$LOG' >/dev/null 2>&1; test \$? -eq 2"

# reconcile: each ref explained by its own record
"$TK" audit reconcile --log "$LOG" "$srv" >"$TRASH/rec" 2>&1
check "reconcile: every ref has its record, exit 0" test $? -eq 0 ||
	sed 's/^/#   /' "$TRASH/rec"
check "reconcile: the three refs listed apart" sh -c "
	grep -q 'ref  *refs/heads/a\\\\xff\$' '$TRASH/rec' &&
	grep -q 'ref  *refs/heads/a\\\\xfe\$' '$TRASH/rec' &&
	test \$(grep -c 'ok: every change' '$TRASH/rec') -eq 4"
check "reconcile REF with a raw byte: exit 0" \
	quiet "$TK" audit reconcile --log "$LOG" "$srv" "refs/heads/a$FE"
check "reconcile REF in the log's form: exit 0" \
	quiet "$TK" audit reconcile --log "$LOG" "$srv" 'refs/heads/a\xff'

git -C "$srv" update-ref "refs/heads/a$FE" "$c4"
"$TK" audit reconcile --log "$LOG" "$srv" >"$TRASH/rec" 2>&1
check "a\\xfe moved by hand: exit 1" test $? -eq 1
check "...only a\\xfe is reported, not a\\xff" sh -c "
	grep -A1 'ref  *refs/heads/a\\\\xfe\$' '$TRASH/rec' | grep -q 'status  *unrecorded' &&
	! grep -A1 'ref  *refs/heads/a\\\\xff\$' '$TRASH/rec' | grep -q 'status  *unrecorded'" ||
	sed 's/^/#   /' "$TRASH/rec"
"$TK" audit reconcile --log "$LOG" "$srv" 'refs/heads/a\xff' >/dev/null 2>&1
check "...reconcile of a\\xff alone: exit 0" test $? -eq 0
git -C "$srv" update-ref "refs/heads/a$FE" "$c3"

# A log written before: each bad byte as U+FFFD, still a valid chain.
python3 - "$LOG" "$TRASH/old.jsonl" <<'EOF'
import hashlib, sys
out, prev = [], '0' * 64
for raw in open(sys.argv[1], 'rb').read().split(b'\n')[:-1]:
    raw = raw.replace(b'a\\\\xff', b'a\\ufffd').replace(b'a\\\\xfe', b'a\\ufffd')
    cut = raw.rindex(b',"prev":"')
    body = raw[:cut] + b',"prev":"' + prev.encode() + b'"'
    h = hashlib.sha256(body + b'}').hexdigest()
    out.append(body + b',"hash":"' + h.encode() + b'"}\n')
    prev = h
open(sys.argv[2], 'wb').write(b''.join(out))
EOF
check "a log in the earlier form verifies" quiet "$TK" audit verify "$TRASH/old.jsonl"
check "...and reads (report exit 0)" sh -c "'$TK' audit report '$TRASH/old.jsonl' >/dev/null"

# --- the ref git wrote: symbolic refs and namespaces ---------------------
git -C "$srv" symbolic-ref refs/heads/alias refs/heads/main
git -C "$w" reset -q --hard "$c1"
commit_as "$w" alice@example.com "through the alias"
c5=$(head_of "$w")
accepted "a push to main through refs/heads/alias" alice "$w" "$srv" HEAD:refs/heads/alias
check "...main moved" ref_is "$srv" refs/heads/main "$c5"
commit_as "$w" alice@example.com "in namespace x"
c6=$(head_of "$w")
GIT_NAMESPACE=x accepted "main of namespace x" alice "$w" "$srv" HEAD:refs/heads/main
check "...main of the repository unmoved" ref_is "$srv" refs/heads/main "$c5"
check "report --ref main: both changes of main, not namespace x's" \
	test "$(report_commits main)" = "refs/heads/main=$c1 refs/heads/main=$c5"
check "report --ref refs/namespaces/x/refs/heads/main: its change" \
	test "$(report_commits refs/namespaces/x/refs/heads/main)" = \
	"refs/namespaces/x/refs/heads/main=$c6"
"$TK" audit show --ref main "$LOG" >"$TRASH/show" 2>&1
check "show --ref main: two accepted updates of main" \
	test "$(grep -c ' accepted alice refs/heads/main ' "$TRASH/show")" -eq 2
"$TK" audit stats --format csv "$LOG" >"$TRASH/stats" 2>&1
check "stats count main's two updates under main" \
	grep -q 'refs/heads/main",' "$TRASH/stats"
check "reconcile: main and namespace x's main each explained" \
	quiet "$TK" audit reconcile --log "$LOG" "$srv" refs/heads/main \
	refs/namespaces/x/refs/heads/main

done_testing
