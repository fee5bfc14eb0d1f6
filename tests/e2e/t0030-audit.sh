#!/bin/sh
# The audit log (docs/spec.md, "Audit record"; docs/audit.md), end to
# end: real pushes (accepted, refused, warn mode, approved with counted and
# refused approvals, with push options and client addresses) and the
# records they leave; no secret from the environment in the log; tampering
# found by `twokey audit verify` at the right line; 50 concurrent pushes;
# a log that cannot be written refuses the push; HMACs and a chain
# recomputed without the key; rotation; `twokey audit show` in its three
# formats and with its filters.  Records are parsed with python3's json.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

unset SSH_CONNECTION SSH_CLIENT REMOTE_ADDR GITHUB_USER_IP GL_PROTOCOL \
	GITHUB_VIA HTTP_AUTHORIZATION GIT_PUSH_OPTION_COUNT
TK="$TK_BIN/twokey"
# python3 reads the records: without it nothing here would be checked.
command -v python3 >/dev/null || {
	echo "Bail out! python3 is required (scripts/deps installs it)"
	exit 1
}

for k in alice bob carol dave; do mkkey $k ed25519; done

# audit_policy FILE AUDIT-YAML: the test policy with that audit: block.
audit_policy() {
	write_policy "$1" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  security: security sign-off
  operations: deploys
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    keys: ["$(pub alice)"]
    roles: [developer]
  bob:
    emails: [bob@example.com]
    logins: [bob]
    keys: ["$(pub bob)"]
    roles: [reviewer, security]
  carol:
    emails: [carol@example.com]
    logins: [carol]
    keys: ["$(pub carol)"]
    roles: [reviewer]
  dave:
    emails: [dave@example.com]
    logins: [dave]
    keys: ["$(pub dave)"]
    roles: [operations, reviewer]
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [operations]
    approvals: {min: 2, from: [reviewer, security]}
    pusher-may-approve: false
  - name: soft
    refs: 'refs/heads/soft/.+'
    # from as main's, so that main (at least as strict) vouches for the
    # history of soft/* refs created on it
    approvals: {min: 1, from: [reviewer, security]}
    mode: warn
  - name: everything else
    refs: '.*'
$2
EOF
}

LOGDIR="$TRASH/log"
mkdir -p "$LOGDIR"
LOG="$LOGDIR/audit.jsonl"
audit_policy "$TRASH/policy.yaml" "audit: {path: $LOG, syslog: false}"
check "the policy is valid" sh -c "'$TK' config check '$TWOKEY_CONFIG' >/dev/null"

# A small python helper: every line of a log is one JSON object with a
# well-formed chain tail; expressions are evaluated over one record.
cat >"$TRASH/rec.py" <<'EOF'
import hashlib, json, re, sys

def load(path):
    with open(path, 'rb') as f:
        data = f.read()
    assert data == b'' or data.endswith(b'\n'), 'log does not end in a newline'
    return data.split(b'\n')[:-1]

def main():
    cmd, path = sys.argv[1], sys.argv[2]
    lines = load(path)
    if cmd == 'count':
        print(len(lines))
    elif cmd == 'valid':
        # Each line: one JSON object, RFC 3339 UTC time, hash over the
        # canonical bytes, prev linking to the line before.
        prev = '0' * 64
        for i, raw in enumerate(lines, 1):
            r = json.loads(raw.decode('utf-8'))
            assert isinstance(r, dict), 'line %d: not an object' % i
            assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', r['time']), i
            cut = raw.rindex(b',"hash":"')
            h = hashlib.sha256(raw[:cut] + b'}').hexdigest()
            assert r['hash'] == h, 'line %d: hash' % i
            assert r['prev'] == prev, 'line %d: prev' % i
            prev = h
        print(len(lines))
    elif cmd == 'expect':
        # expect LOG INDEX EXPR: EXPR (python, record in r) must be true.
        r = json.loads(lines[int(sys.argv[3])].decode('utf-8'))
        ok = eval(sys.argv[4], {'r': r, 're': re})
        if not ok:
            print('# false: %s\n# record: %s' % (sys.argv[4], json.dumps(r)))
            sys.exit(1)
    elif cmd == 'rechain':
        # rechain LOG OUT MODE [EDIT-LINE]: rewrite every record with a
        # correct prev and hash, as someone without the key would; MODE is
        # keep (old hmac kept) or drop.  EDIT-LINE (1-based) gets its pusher
        # login changed first.
        mode, edit = sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 0
        prev, out = '0' * 64, []
        for i, raw in enumerate(lines, 1):
            r = json.loads(raw.decode('utf-8'))
            body = raw[:raw.rindex(b',"prev":"')]
            if i == edit:
                body = body.replace(b'"login":"alice"', b'"login":"carol"', 1)
            body += b',"prev":"' + prev.encode() + b'"'
            h = hashlib.sha256(body + b'}').hexdigest()
            line = body + b',"hash":"' + h.encode() + b'"'
            if mode == 'keep' and 'hmac' in r:
                line += b',"hmac":"' + r['hmac'].encode() + b'"'
            out.append(line + b'}\n')
            prev = h
        with open(sys.argv[3], 'wb') as f:
            f.write(b''.join(out))
main()
EOF
rec() { python3 "$TRASH/rec.py" "$@"; }
# last EXPR...: each python EXPR holds for the last record of $LOG.
last() {
	for e in "$@"; do rec expect "$LOG" -1 "$e" || return 1; done
}
nrec() { rec count "${1:-$LOG}"; }

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
for r in alice bob carol dave; do reviewer $r $r@example.com "$w"; done

# --- accepted, unprotected ------------------------------------------------
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
expect_push accept "seed an unprotected ref" dave "$w" \
	"$base:refs/heads/scratch" refs/heads/scratch "$base"
git -C "$srv" update-ref refs/heads/main "$base"
check "one record after one push" test "$(nrec)" = 1
check "record: accepted push, fields" last \
	'r["v"] == 1 and r["decision"] == "accepted" and r["error"] is None' \
	'r["hook"] == "pre-receive"' \
	"r['twokey'] == '$("$TK" --version | sed 's/^twokey //')'" \
	"__import__('os').path.realpath(r['repo']) == __import__('os').path.realpath('$srv')" \
	'r["pusher"] == {"login": "dave", "identity": "dave", "from": "GL_USER"}' \
	'r["client"] is None and r["push_options"] == []' \
	"r['refs'] == [{'ref': 'refs/heads/scratch', 'old': '0' * 40, 'new': '$base', 'kind': 'create', 'rule': 'everything else', 'mode': 'enforce', 'decision': 'accepted', 'warned': False, 'entering': 0, 'commits': []}]" \
	'r["findings"] == [] and r["prev"] == "0" * 64 and "hmac" not in r'

# --- refused ---------------------------------------------------------------
commit_as "$w" alice@example.com "alice pushes main herself"
c1=$(head_of "$w")
expect_push refuse "alice to main" alice "$w" HEAD:refs/heads/main \
	refs/heads/main "$base"
check "record: refused push" last \
	'r["decision"] == "refused"' \
	'r["pusher"]["login"] == "alice" and r["pusher"]["identity"] == "alice"' \
	"r['refs'][0]['ref'] == 'refs/heads/main' and r['refs'][0]['old'] == '$base' and r['refs'][0]['new'] == '$c1'" \
	'r["refs"][0]["kind"] == "update" and r["refs"][0]["rule"] == "mainline"' \
	'r["refs"][0]["decision"] == "refused" and r["refs"][0]["entering"] == 1' \
	"r['refs'][0]['commits'][0]['id'] == '$c1' and r['refs'][0]['commits'][0]['writers'] == ['alice']" \
	'r["refs"][0]["commits"][0]["author"] == "alice@example.com"' \
	'r["refs"][0]["commits"][0]["subject"] == "alice pushes main herself"' \
	'len(r["findings"]) >= 1 and all(f["severity"] == "error" and f["ref"] == "refs/heads/main" for f in r["findings"])'

# --- approved: writers, counted approvers with roles, refused approvals -----
git -C "$w" reset -q --hard "$base"
commit_as "$w" alice@example.com "reviewed change"
c=$(head_of "$w")
t_bob=$(approve_tk bob bob "$c")
t_carol=$(approve_tk carol carol "$c")
t_alice=$(approve_tk alice alice "$c")
t_dave=$(approve_tk dave dave "$c")
add_trailers "$w" alice@example.com "$t_bob" "$t_carol" "$t_alice" "$t_dave"
c2=$(head_of "$w")
expect_push accept "approved push by dave" dave "$w" HEAD:refs/heads/main \
	refs/heads/main "$c2"
check "record: approved push lists writers, approvers with roles, refusals" last \
	'r["decision"] == "accepted" and r["refs"][0]["decision"] == "accepted"' \
	"r['refs'][0]['commits'][0]['id'] == '$c2'" \
	'r["refs"][0]["commits"][0]["writers"] == ["alice"]' \
	'sorted((a["identity"], a["roles"]) for a in r["refs"][0]["commits"][0]["approvers"]) == [("bob", ["reviewer", "security"]), ("carol", ["reviewer"])]' \
	're.search(r"<alice@example.com>: alice is a writer", r["refs"][0]["commits"][0]["refused"])' \
	're.search(r"<dave@example.com>: dave is pushing", r["refs"][0]["commits"][0]["refused"])'

# --- warn mode ---------------------------------------------------------------
git -C "$w" reset -q --hard "$base"
commit_as "$w" alice@example.com "soft change"
c3=$(head_of "$w")
expect_push accept "warn mode lets it through" alice "$w" HEAD:refs/heads/soft/x \
	refs/heads/soft/x "$c3"
check "record: warned" last \
	'r["decision"] == "accepted"' \
	'r["refs"][0]["rule"] == "soft" and r["refs"][0]["mode"] == "warn"' \
	'r["refs"][0]["decision"] == "accepted" and r["refs"][0]["warned"] is True' \
	'len(r["findings"]) >= 1 and all(f["severity"] == "warning" for f in r["findings"])' \
	"r['refs'][0]['commits'][0]['id'] == '$c3'"

# --- push options, client addresses, no secrets ------------------------------
SECRET=c2VjcmV0LXRva2VuLTQyNDI=
git -C "$w" reset -q --hard "$base"
commit_as "$w" alice@example.com "options"
env GL_USER=dave HTTP_AUTHORIZATION="Basic $SECRET" GL_PROTOCOL=ssh \
	SSH_CONNECTION="203.0.113.9 40022 198.51.100.2 22" \
	git -C "$w" push -o ci.skip -o "note=hello world" origin \
	HEAD:refs/heads/opts >"$TRASH/out" 2>&1
check "push with options accepted" ref_is "$srv" refs/heads/opts "$(head_of "$w")"
check "record: push options, SSH_CONNECTION, GL_PROTOCOL" last \
	'r["push_options"] == ["ci.skip", "note=hello world"]' \
	'r["client"].split()[0] == "203.0.113.9"' \
	'r["protocol"]["GL_PROTOCOL"] == "ssh"'
env GL_USER=dave REMOTE_ADDR=198.51.100.77 HTTP_AUTHORIZATION="Basic $SECRET" \
	GITHUB_VIA=web git -C "$w" push origin HEAD:refs/heads/opts2 \
	>"$TRASH/out" 2>&1
check "record: REMOTE_ADDR as client" last \
	'r["client"] == "198.51.100.77" and r["protocol"]["GITHUB_VIA"] == "web"'
env GL_USER=dave GITHUB_USER_IP=192.0.2.44 git -C "$w" push origin \
	HEAD:refs/heads/opts3 >"$TRASH/out" 2>&1
check "record: GITHUB_USER_IP as client" last 'r["client"] == "192.0.2.44"'
check "HTTP_AUTHORIZATION's value never in the log" sh -c \
	"! grep -q -e '$SECRET' -e HTTP_AUTHORIZATION '$LOG'"

# --- the whole log so far ----------------------------------------------------
n=$(nrec)
check "every line is a JSON object with a valid chain ($n)" \
	sh -c "[ \"\$(python3 '$TRASH/rec.py' valid '$LOG')\" = $n ]"
check "audit verify: intact" sh -c \
	"'$TK' audit verify '$LOG' >'$TRASH/v.out' && grep -q '$n records verified' '$TRASH/v.out'"
check "audit verify: the policy's log by default" sh -c \
	"cd '$srv' && '$TK' audit verify >'$TRASH/v.out' && grep -q '$n records verified' '$TRASH/v.out'"

# --- tampering, via the CLI -----------------------------------------------------
# tampered NAME LINE WHY: verify the copy NAME, exit 1, "NAME:LINE: WHY".
tampered() {
	"$TK" audit verify "$TRASH/$1" >"$TRASH/v.out" 2>&1
	st=$?
	[ $st -eq 1 ] && grep -q "^$TRASH/$1:$2: $3" "$TRASH/v.out" || {
		echo "# exit $st, wanted 1 and '$TRASH/$1:$2: $3':"
		sed 's/^/#   /' "$TRASH/v.out"
		return 1
	}
}
python3 - "$LOG" "$TRASH/edited.jsonl" <<'EOF'
import sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')
l = bytearray(lines[2])
i = l.index(b'"time":"') + 10          # a digit of the year
l[i] = ord('7') if l[i] != ord('7') else ord('8')
lines[2] = bytes(l)
open(sys.argv[2], 'wb').write(b'\n'.join(lines))
EOF
check "edited one byte of line 3: reported at line 3" tampered edited.jsonl 3 edited
sed '2d' "$LOG" >"$TRASH/deleted.jsonl"
check "deleted line 2: reported at line 2" tampered deleted.jsonl 2 deleted
sed '1d' "$LOG" >"$TRASH/head.jsonl"
check "deleted line 1: reported at line 1" tampered head.jsonl 1 "the first record links to an earlier one"
awk 'NR == 2 { l = $0; next } NR == 3 { print; print l; next } { print }' \
	"$LOG" >"$TRASH/swapped.jsonl"
check "swapped lines 2 and 3: reported at line 2" tampered swapped.jsonl 2 ""
awk 'NR == 3 { print; print; next } { print }' "$LOG" >"$TRASH/dup.jsonl"
check "a line replayed: reported at line 4" tampered dup.jsonl 4 "reordered or inserted"
size=$(wc -c <"$LOG")
head -c $((size - 30)) "$LOG" >"$TRASH/cut.jsonl"
check "truncated mid-record: reported at line $n" tampered cut.jsonl "$n" truncated
head -c $((size - 1)) "$LOG" >"$TRASH/cut2.jsonl"
check "cut before the last newline: reported at line $n" tampered cut2.jsonl "$n" truncated

# --- evidence export and show ----------------------------------------------------
"$TK" audit show --format csv "$LOG" >"$TRASH/csv" 2>"$TRASH/csv.err"
check "csv: exit 0" test $? -eq 0
check "csv: the header" sh -c "head -1 '$TRASH/csv' | grep -qx 'time,repository,ref,rule,decision,pusher_login,pusher_identity,commit,subject,author,writers,approvers,record_hash'"
# The inspected commits that landed: the approved main push and the warned one.
check "csv: one row per commit that landed (2)" test "$(($(wc -l <"$TRASH/csv") - 1))" -eq 2
check "csv: the approved commit, with approvers and roles" sh -c \
	"grep '\"$c2\"' '$TRASH/csv' | grep -q '\"bob (reviewer,security); carol (reviewer)\"'"
check "csv: the warned commit" grep -q "\"$c3\"" "$TRASH/csv"
check "csv: not the refused commit" sh -c "! grep -q '$c1' '$TRASH/csv'"
check "csv parses as CSV, 13 columns" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert all(len(r) == 13 for r in rows), rows' "$TRASH/csv"

"$TK" audit show "$LOG" >"$TRASH/text"
check "text: one line per ref ($n)" test "$(wc -l <"$TRASH/text")" -eq "$n"
check "text: lists refs, decisions, pushers" sh -c "
	grep -q ' refused alice refs/heads/main update mainline 1 commits' '$TRASH/text' &&
	grep -q ' accepted dave refs/heads/main update mainline 1 commits' '$TRASH/text' &&
	grep -q ' accepted dave refs/heads/scratch create ' '$TRASH/text'"
"$TK" audit show --ref refs/heads/main "$LOG" >"$TRASH/f1"
check "--ref: main only (2)" sh -c "[ \$(wc -l <'$TRASH/f1') -eq 2 ] && ! grep -v ' refs/heads/main ' '$TRASH/f1'"
"$TK" audit show --pusher alice "$LOG" >"$TRASH/f2"
check "--pusher: alice only (2)" sh -c "[ \$(wc -l <'$TRASH/f2') -eq 2 ] && ! grep -v ' alice ' '$TRASH/f2'"
"$TK" audit show --decision refused "$LOG" >"$TRASH/f3"
check "--decision refused: one" sh -c "[ \$(wc -l <'$TRASH/f3') -eq 1 ] && grep -q ' refused alice refs/heads/main ' '$TRASH/f3'"
"$TK" audit show --format json --ref refs/heads/main --decision accepted "$LOG" >"$TRASH/f4"
check "--format json: whole records, filtered" python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert len(rs) == 1 and rs[0]["refs"][0]["new"] == sys.argv[2], rs' "$TRASH/f4" "$c2"
"$TK" audit show --format csv --decision refused "$LOG" >"$TRASH/f5"
check "csv --decision refused: the refused commit" sh -c \
	"[ \$(wc -l <'$TRASH/f5') -eq 2 ] && grep -q '$c1' '$TRASH/f5'"

# One push, two refs: main refused (alice may not update it), soft/y (warn)
# accepted by its rule.  The pre-receive hook refuses the whole push, so
# nothing of it lands.
git -C "$w" reset -q --hard "$c2"
commit_as "$w" alice@example.com "lands nowhere"
c4=$(head_of "$w")
push_as alice "$w" origin HEAD:refs/heads/soft/y HEAD:refs/heads/main
check "two-ref push: soft/y did not land" ref_is "$srv" refs/heads/soft/y ""
check "two-ref push: main unchanged" ref_is "$srv" refs/heads/main "$c2"
check "two-ref push: one record, refused" last 'r["decision"] == "refused" and len(r["refs"]) == 2'
"$TK" audit show --format csv "$LOG" >"$TRASH/csv2"
check "csv: a commit of a refused push is not listed as landed" sh -c \
	"! grep -q '$c4' '$TRASH/csv2' || { grep '$c4' '$TRASH/csv2' | sed 's/^/#   /'; false; }"

# A hostile commit: a subject with a quote, a terminal escape, invalid UTF-8
# and a spreadsheet formula; an author email with a quote.
# git commit would transcode the invalid byte as Latin-1: write the commit
# object itself.
{
	printf 'tree %s\nparent %s\n' "$(git -C "$w" rev-parse "$base^{tree}")" "$base"
	printf 'author Eve <q"uote@example.com> %s +0000\n' "$tk_tick"
	printf 'committer Eve <q"uote@example.com> %s +0000\n\n' "$tk_tick"
	printf '=1+1 "q" \033[31mred\377 end\n\nbody\n'
} >"$TRASH/raw"
c5=$(git -C "$w" hash-object -t commit -w --literally "$TRASH/raw")
expect_push accept "hostile commit, warn mode" alice "$w" "$c5:refs/heads/soft/evil" \
	refs/heads/soft/evil "$c5"
check "record: hostile subject and email escaped, parsed back" last \
	'r["refs"][0]["commits"][0]["subject"] == "=1+1 \"q\" \x1b[31mred\ufffd end"' \
	'r["refs"][0]["commits"][0]["author"] == "q\"uote@example.com"' \
	'r["refs"][0]["commits"][0]["writers"] == []'
check "the log holds no raw control byte" python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
assert not any(b < 0x20 and b != 0x0a or b == 0x7f for b in d)' "$LOG"
"$TK" audit show --format csv --ref refs/heads/soft/evil "$LOG" >"$TRASH/csv3"
check "csv: no raw escape character" sh -c "! grep -q \"\$(printf '\\033')\" '$TRASH/csv3'"
check "csv: the formula is defused" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", errors="replace")))
assert len(rows) == 2 and rows[1][8].startswith("\x27="), rows' "$TRASH/csv3"
all=$("$TK" audit show "$LOG" | wc -l)
check "--since before every record keeps all" \
	test "$("$TK" audit show --since 2000-01 "$LOG" | wc -l)" -eq "$all"
check "--until before every record keeps none" \
	test "$("$TK" audit show --until 1999 "$LOG" | wc -l)" -eq 0

# --- 50 concurrent pushes ---------------------------------------------------------
before=$(nrec)
i=0
while [ $i -lt 50 ]; do
	test_tick
	c=$(echo "par $i" | git -C "$w" commit-tree "$base^{tree}" -p "$base")
	git -C "$w" update-ref "refs/heads/par/$i" "$c"
	i=$((i + 1))
done
i=0
pids=
while [ $i -lt 50 ]; do
	GL_USER=dave git -C "$w" push -q "$srv" "refs/heads/par/$i:refs/heads/par/$i" \
		>"$TRASH/par-$i.out" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
check "50 concurrent pushes all accepted" test "$fails" -eq 0
check "exactly 50 new records" test "$(nrec)" -eq $((before + 50))
check "all well-formed, chain valid" sh -c "[ \"\$(python3 '$TRASH/rec.py' valid '$LOG')\" = $((before + 50)) ]"
check "each branch recorded once" python3 -c '
import json, sys
refs = [r["refs"][0]["ref"] for r in map(json.loads, open(sys.argv[1])) if r["refs"] and r["refs"][0]["ref"].startswith("refs/heads/par/")]
assert sorted(refs) == sorted("refs/heads/par/%d" % i for i in range(50)), refs' "$LOG"
check "audit verify after concurrency" sh -c "'$TK' audit verify '$LOG' >/dev/null"

# --- the head file behind the log (not flushed before a crash) -----------------------
# hash_at N: the hash of record N (the last field of its line).
hash_at() { sed -n "${1}p" "$LOG" | sed 's/.*"hash":"\([0-9a-f]*\)".*/\1/'; }
n=$(nrec)
last=$(hash_at "$n")
hash_at $((n - 3)) >"$LOG.head"
"$TK" audit verify "$LOG" >"$TRASH/v.out" 2>&1
check "head 3 records behind: verify exits 0" test $? -eq 0
check "head 3 records behind: verify says so" \
	grep -q "^note: the head file is 3 records behind the log" "$TRASH/v.out"
GL_USER=dave git -C "$w" push -q "$srv" "refs/heads/par/0:refs/heads/par/behind" \
	>"$TRASH/behind.out" 2>&1
check "head 3 records behind: the next push is accepted" test $? -eq 0
check "head 3 records behind: the record links to the last one" \
	sh -c "sed -n '$((n + 1))p' '$LOG' | grep -q '\"prev\":\"$last\"'"
check "head 3 records behind: the head names the new record" \
	test "$(cat "$LOG.head")" = "$(hash_at $((n + 1)))"
"$TK" audit verify "$LOG" >"$TRASH/v.out" 2>&1
check "head up to date: verify intact, no note" \
	sh -c "grep -q '$((n + 1)) records verified' '$TRASH/v.out' && ! grep -q note '$TRASH/v.out'"
cp "$LOG.head" "$TRASH/head.saved"
printf '%064d\n' 7 >"$LOG.head"
GL_USER=dave git -C "$w" push -q "$srv" "refs/heads/par/1:refs/heads/par/nohead" \
	>"$TRASH/nohead.out" 2>&1
check "head naming no record of the log: the push is refused" test $? -ne 0
check "head naming no record: nothing recorded" test "$(nrec)" -eq $((n + 1))
check "head naming no record: verify reports records removed from the end" sh -c \
	"! '$TK' audit verify '$LOG' >'$TRASH/v.out' && grep -q 'removed from the end' '$TRASH/v.out'"
cp "$TRASH/head.saved" "$LOG.head"

# --- the log cannot be written: the push is refused ----------------------------------
# unavailable DESCRIPTION AUDIT-PATH: a push to an unprotected ref is refused
# with "the audit log is unavailable" and the ref stays absent.
nfail=0
unavailable() {
	nfail=$((nfail + 1))
	audit_policy "$TRASH/policy-bad.yaml" "audit: {path: $2}"
	expect_push refuse "$1" dave "$w" "$base:refs/heads/nolog/$nfail" \
		"refs/heads/nolog/$nfail" "" "audit log is unavailable"
}
unavailable "missing directory" "$TRASH/no/such/dir/audit.jsonl"
echo x >"$TRASH/plain-file.txt"
unavailable "parent is a regular file" "$TRASH/plain-file.txt/audit.jsonl"
mkdir -p "$TRASH/a-directory"
unavailable "the path is a directory" "$TRASH/a-directory"
ln -s "$TRASH/plain-file.txt" "$TRASH/link.jsonl"
unavailable "the path is a symbolic link" "$TRASH/link.jsonl"
check "the link's target is untouched" test "$(cat "$TRASH/plain-file.txt")" = x
# A read-only directory.  Root writes anywhere, so the push runs as an
# unprivileged user (unpriv_setup) into a copy of the server it owns.
unpriv_setup
mkdir -p "$TRASH/ro"
chmod 555 "$TRASH/ro"
audit_policy "$TRASH/policy-bad.yaml" "audit: {path: $TRASH/ro/audit.jsonl}"
srvro="$TRASH/srv-ro.git"
cp -R "$srv" "$srvro"
[ -z "$UNPRIV" ] || chown -R "$tk_unpriv_user:" "$srvro"
GL_USER=dave $UNPRIV git -c safe.directory='*' -C "$w" push "$srvro" \
	"$base:refs/heads/nolog/ro" >"$TRASH/out" 2>&1
rc=$?
check "read-only directory: refused${UNPRIV:+ (as $tk_unpriv_user)}" test "$rc" -ne 0
check "read-only directory: the ref stays absent" \
	test -z "$(git -c safe.directory='*' -C "$srvro" rev-parse -q --verify refs/heads/nolog/ro)"
check "read-only directory: says the audit log is unavailable" \
	expect_out "audit log is unavailable"
check "read-only directory: nothing written" test ! -e "$TRASH/ro/audit.jsonl"
chmod 755 "$TRASH/ro"
audit_policy "$TRASH/policy-bad.yaml" "audit: {path: $LOGDIR/k.jsonl, key-file: $TRASH/no-such.key}"
expect_push refuse "unreadable key file" dave "$w" "$base:refs/heads/nolog/key" \
	refs/heads/nolog/key "" "audit log is unavailable"
check "  and nothing written" test ! -e "$LOGDIR/k.jsonl"
cp "$LOG" "$LOGDIR/damaged.jsonl"
printf '{"v":1,"cut' >>"$LOGDIR/damaged.jsonl"
audit_policy "$TRASH/policy-bad.yaml" "audit: {path: $LOGDIR/damaged.jsonl}"
expect_push refuse "a log that ends mid-record" dave "$w" "$base:refs/heads/nolog/cut" \
	refs/heads/nolog/cut "" "audit log is unavailable"
# The update hook also refuses.
srvu=$(new_server srvu update)
git -C "$w" remote add upd "$srvu"
audit_policy "$TRASH/policy-bad.yaml" "audit: {path: $TRASH/no/such/dir/audit.jsonl}"
push_as dave "$w" upd "$base:refs/heads/u"
check "update hook: refused without a log" ref_is "$srvu" refs/heads/u ""
check "update hook: says the audit log is unavailable" expect_out "audit log is unavailable"
# A push that the rules accept on a protected ref: without a log it is
# refused, and the pusher never reads "accepted" first.
for kind in hooks update; do
	srvp=$(new_server "srvp-$kind" "$kind")
	git -C "$w" remote add "p-$kind" "$srvp"
	push_as dave "$w" "p-$kind" "$c2:refs/heads/main"
	check "$kind: approved main refused without a log" ref_is "$srvp" refs/heads/main ""
	check "$kind: says the decision could not be recorded" \
		expect_out "audit log is unavailable, so the decision could not be recorded"
	check "$kind: never says accepted" no_out "twokey: accepted"
done

# --- HMAC --------------------------------------------------------------------------
KLOG="$LOGDIR/keyed.jsonl"
KEY="$TRASH/audit.key"
head -c 32 /dev/urandom >"$KEY"
audit_policy "$TRASH/policy-key.yaml" "audit: {path: $KLOG, key-file: $KEY}"
for b in k1 k2 k3 k4; do
	push_as alice "$w" origin "$base:refs/heads/$b"
done
push_as alice "$w" origin "$c4:refs/heads/main"
check "keyed: 5 records" test "$(nrec "$KLOG")" = 5
check "keyed: every record has an hmac" python3 -c '
import json, re, sys
for l in open(sys.argv[1]):
    assert re.fullmatch(r"[0-9a-f]{64}", json.loads(l)["hmac"]), l' "$KLOG"
check "keyed: verify --key-file OK" sh -c \
	"'$TK' audit verify --key-file '$KEY' '$KLOG' | grep -q '5 records verified in 1 file with HMAC'"
check "keyed: verify with the policy's key by default" sh -c \
	"cd '$srv' && '$TK' audit verify | grep -q 'with HMAC'"
head -c 32 /dev/urandom >"$TRASH/wrong.key"
"$TK" audit verify --key-file "$TRASH/wrong.key" "$KLOG" >"$TRASH/v.out"
check "keyed: a wrong key fails at line 1" sh -c "[ $? -eq 1 ] && grep -q '^$KLOG:1: the HMAC does not match' '$TRASH/v.out'"
rec rechain "$KLOG" "$TRASH/rechained.jsonl" keep 3
check "rechained (edit at line 3, old hmac): passes without the key" \
	sh -c "'$TK' audit verify '$TRASH/rechained.jsonl' >/dev/null"
"$TK" audit verify --key-file "$KEY" "$TRASH/rechained.jsonl" >"$TRASH/v.out"
check "rechained: detected with the key at line 3" sh -c \
	"[ $? -eq 1 ] && grep -q '^$TRASH/rechained.jsonl:3: the HMAC does not match' '$TRASH/v.out'"
rec rechain "$KLOG" "$TRASH/dropped.jsonl" drop 2
"$TK" audit verify --key-file "$KEY" "$TRASH/dropped.jsonl" >"$TRASH/v.out"
# (records before the first keyed one are taken as written before the
# key was set, t0172; the last must have one)
check "hmac dropped: detected with the key at the last record" sh -c \
	"[ $? -eq 1 ] && grep -q '^$TRASH/dropped.jsonl:5: no record carries an HMAC' '$TRASH/v.out'"

# --- rotation (docs/audit.md, "Rotation and retention") ----------------------
export TWOKEY_CONFIG="$TRASH/policy.yaml"
mv "$LOG" "$LOG.1"
push_as dave "$w" origin "$base:refs/heads/after-rotation"
check "rotation: the hook starts a new file" test "$(nrec)" = 1
check "rotation: the old file alone verifies" sh -c "'$TK' audit verify '$LOG.1' >/dev/null"
"$TK" audit verify "$LOG.1" "$LOG" >"$TRASH/v.out" 2>&1
check "rotation: audit verify audit.jsonl.1 audit.jsonl (chain continues)" sh -c \
	"[ $? -eq 0 ] || { sed 's/^/#   /' '$TRASH/v.out'; false; }"
"$TK" audit verify "$LOG" >"$TRASH/v.out" 2>&1
check "rotation: the new file alone fails (links to an earlier one)" sh -c \
	"[ $? -eq 1 ] && grep -q ':1: the first record links to an earlier one' '$TRASH/v.out'"
check "rotation: the new file alone passes with --rotated" sh -c \
	"'$TK' audit verify --rotated '$LOG' >/dev/null"

done_testing
