#!/bin/sh
# Attacks on what surrounds the decision: how the pusher is named (the
# policy's pusher.env and the front ends' variables), the hooks' inputs
# (stdin, the update hook's arguments, push options), the files twokey
# writes (the audit log as a directory, a symlink, unwritable, on a full
# disk), many pushes at once, and what reaches the pusher's terminal and
# the audit record.  Each case is a real push, or the hook run as git runs
# it where git itself cannot send the input (a malformed ref list).
. "$(dirname "$0")/lib.sh"

unset SSH_CONNECTION REMOTE_ADDR GL_ID GL_PROTOCOL GL_USERNAME \
	GITEA_PUSHER_NAME GITHUB_USER_LOGIN GITHUB_USER_IP GITHUB_VIA GIT_NAMESPACE

TK="$TK_BIN/twokey"
Z=0000000000000000000000000000000000000000
P="$TRASH/policy.yaml"
LOG="$TRASH/log/audit.jsonl"
mkdir -p "$TRASH/log"
# policy AUDIT-PATH: main and g/* take operations; everything else is open.
policy() {
	write_policy "$P" <<EOF
version: 1
roles:
  developer: writes code
  operations: deploys
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    roles: [developer]
  dave:
    emails: [dave@example.com]
    logins: [dave]
    roles: [operations]
pusher:
  env: [GL_USER, REMOTE_USER]
rules:
  - name: mainline
    refs: 'refs/heads/(main|g/.+)'
    update: [operations]
    create: [operations]
audit:
  path: $1
EOF
}
policy "$LOG"
check "the policy is valid" "$TK" config check "$P"

# push ENV... -- ARGS...: a push with exactly these front-end variables;
# output in $TRASH/out.
push() {
	sep=0
	for a; do
		shift
		if [ "$sep" -eq 0 ] && [ "$a" = "--" ]; then
			sep=1
			# shellcheck disable=SC2086 # PUSH_AS is a command prefix
			set -- "$@" ${PUSH_AS:-} git -C "$w" push
		else
			set -- "$@" "$a"
		fi
	done
	env -u GL_USER -u REMOTE_USER "$@" >"$TRASH/out" 2>&1
}
acc() {
	d=$1
	shift
	if push "$@"; then ok "$d"; else
		not_ok "$d (push refused)"
		sed 's/^/#   /' "$TRASH/out"
	fi
}
ref() {
	d=$1
	shift
	if push "$@"; then
		not_ok "$d (push accepted)"
		sed 's/^/#   /' "$TRASH/out"
	else ok "$d"; fi
}
# json_ok FILE: every line of FILE is a JSON object (UTF-8).
json_ok() {
	python3 - "$1" <<'EOF'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        if not isinstance(json.loads(line), dict):
            sys.exit("line %d is not an object" % n)
EOF
}
# last_rec PYTHON-EXPR: true about r, the last record of $LOG.
last_rec() {
	python3 - "$LOG" "$1" <<'EOF'
import json, sys
r = json.loads(open(sys.argv[1], encoding="utf-8").read().splitlines()[-1])
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
}
records() { wc -l <"$LOG" | tr -d ' '; }
verified() { "$TK" audit verify "$1" >/dev/null 2>&1; }

srv=$(new_server s)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" dave@example.com "first"
c1=$(head_of "$w")
acc "dave (GL_USER) creates main" GL_USER=dave -- origin HEAD:refs/heads/main

# ============================== the pusher ===============================
commit_as "$w" dave@example.com "second"
c2=$(head_of "$w")
ref "no pusher variable set: refused" -- origin HEAD:main
check "...says no variable is set, and which were consulted" expect_out \
	"pusher unknown \(no variable of pusher.env is set; consulted: GL_USER, REMOTE_USER\)"
ref "GL_USER and REMOTE_USER both empty: refused" GL_USER= REMOTE_USER= -- origin HEAD:main
check "...says no variable is set" expect_out "no variable of pusher.env is set"
ref "an unknown login: refused" GL_USER=mallory -- origin HEAD:main
check "...says the login is not in the policy, and names it" expect_out \
	"pusher unknown \(the pusher login is not in the policy; .*login 'mallory'\)"
check "...the record names the login and no identity" last_rec \
	"r['pusher']['login'] == 'mallory' and r['pusher']['identity'] is None and r['decision'] == 'refused'"
# two variables that disagree: one was not set by the front end (a client
# that passes REMOTE_USER through sshd's AcceptEnv, say); which one is not
# for twokey to guess
ref "GL_USER=dave but REMOTE_USER=alice: refused" GL_USER=dave REMOTE_USER=alice -- origin HEAD:main
check "...says the variables name different logins" expect_out \
	"pusher unknown \(the variables of pusher.env name different logins"
ref "GL_USER=alice but REMOTE_USER=dave: refused too" GL_USER=alice REMOTE_USER=dave -- origin HEAD:main
check "main unmoved by all of these" ref_is "$srv" refs/heads/main "$c1"
acc "the twin: both variables name dave" GL_USER=dave REMOTE_USER=dave -- origin HEAD:main
check "...recorded from the first variable" last_rec \
	"r['pusher'] == {'login': 'dave', 'identity': 'dave', 'from': 'GL_USER'}"
commit_as "$w" dave@example.com "third"
acc "an empty GL_USER and REMOTE_USER=dave: dave (set and non-empty)" GL_USER= REMOTE_USER=dave -- origin HEAD:main
check "...recorded from REMOTE_USER" last_rec "r['pusher']['from'] == 'REMOTE_USER'"
commit_as "$w" dave@example.com "fourth"
c4=$(head_of "$w")
ref "a case variant of a login (Dave): refused" GL_USER=Dave -- origin HEAD:main
check "...not in the policy" expect_out "login 'Dave'"
ref "a trailing space (\"dave \"): refused" "GL_USER=dave " -- origin HEAD:main
ref "a leading space (\" dave\"): refused" "GL_USER= dave" -- origin HEAD:main
ref "a login holding an escape sequence: refused" "GL_USER=$(printf 'dave\033[2J')" -- origin HEAD:main
check "...says why" expect_out "contains control characters"
check "...no escape reaches the terminal" no_out "$(printf '\033')"
check "...the record's login holds no escape" last_rec \
	"r['pusher']['login'].startswith('dave') and '\x1b' not in r['pusher']['login']"
ref "a login holding a tab: refused" "GL_USER=$(printf 'dave\tx')" -- origin HEAD:main
huge=$(awk 'BEGIN { for (i = 0; i < 100000; i++) printf "a" }')
ref "a 100 KB login: refused" "GL_USER=$huge" -- origin HEAD:main
check "...says why" expect_out "too long"
check "...and echoes no more than a bounded line" \
	test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$TRASH/out")" -lt 2000
check "...the record keeps a bounded login" last_rec "len(r['pusher']['login']) < 300"
check "main still at the third commit" ref_is "$srv" refs/heads/main "$(git -C "$w" rev-parse HEAD~1)"
acc "no pusher is needed where no rule restricts the ref" -- origin HEAD:refs/heads/open
acc "the twin: dave pushes main" GL_USER=dave -- origin HEAD:main
check "main at the fourth commit" ref_is "$srv" refs/heads/main "$c4"

# logins compare byte for byte; config check warns where a forge that
# ignores case in logins would see one account for two identities, and
# about a login no front end reports
sed -e 's/logins: \[alice\]/logins: [alice, "Dave"]/' \
	-e 's/logins: \[dave\]/logins: [dave, " ops"]/' "$P" >"$TRASH/case.yaml"
"$TK" config check "$TRASH/case.yaml" >"$TRASH/out" 2>&1
check "config check: logins 'Dave' and 'dave' of two identities are valid (exit 0)" test $? -eq 0
check "...with a warning naming both identities" expect_out \
	"warning: login '(Dave|dave)' of identity '(alice|dave)' differs only in case from a login of identity '(dave|alice)'"
check "...and one about the leading space" expect_out \
	"warning: login ' ops' of identity 'dave' begins or ends with a space"
if "$TK" config check --strict "$TRASH/case.yaml" >"$TRASH/out" 2>&1; then
	not_ok "config check --strict fails on them (exit 0)"
else ok "config check --strict fails on them"; fi
"$TK" config check --strict "$P" >"$TRASH/out" 2>&1
check "the twin: the test's own policy has no such warning" no_out "differs only in case|begins or ends"

# `twokey check --pusher` names the pusher itself: the variables are not read
if (cd "$w" && GL_USER=alice REMOTE_USER=mallory "$TK" check --pusher dave \
	refs/heads/main "$c2" "$c4") >"$TRASH/out" 2>&1 </dev/null; then
	ok "twokey check --pusher dave, with disagreeing variables: accepted"
else
	not_ok "twokey check --pusher dave, with disagreeing variables (refused)"
	sed 's/^/#   /' "$TRASH/out"
fi
check "...and does not call the pusher unknown" no_out "pusher unknown"

# =========================== the hooks' inputs ============================
# git never sends these; a hook can be run by whoever runs programs on the
# server, so each must refuse, saying why, and change nothing.
hook() { # STDIN-TEXT: pre-receive as git would run it
	printf '%b' "$1" | GIT_DIR="$srv" GL_USER=dave "$TK_BIN/twokey-pre-receive" >"$TRASH/out" 2>&1
}
hook_refused() { # DESC STDIN-TEXT REGEX
	n0=$(records)
	if hook "$2"; then not_ok "$1 (accepted)"; else ok "$1"; fi
	check "...says: $3" expect_out "$3"
}
hook_refused "a short object id" "$Z ${c4%????} refs/heads/x\n" "malformed object id"
hook_refused "upper-case hex" "$Z $(echo "$c4" | tr a-f A-F) refs/heads/x\n" "malformed object id"
hook_refused "two spaces between the fields" "$Z  $c4 refs/heads/x\n" "malformed object id"
hook_refused "a CRLF line end" "$Z $c4 refs/heads/x\r\n" "invalid ref name"
hook_refused "no final newline" "$Z $c4 refs/heads/x" "line not terminated"
hook_refused "a line with two fields" "$Z $c4\n" "expected '<old> <new> <ref>'"
hook_refused "both ids zero" "$Z $Z refs/heads/x\n" "both zero"
hook_refused "the same ref twice" "$Z $c4 refs/heads/x\n$Z $c4 refs/heads/x\n" \
	"refs/heads/x is named twice in one push"
hook_refused "main deleted and re-created in one list" \
	"$c4 $Z refs/heads/main\n$Z $c2 refs/heads/main\n" "refs/heads/main is named twice"
long=$(awk 'BEGIN { for (i = 0; i < 300000; i++) printf "a" }')
hook_refused "a 300 KB ref name" "$Z $c4 refs/heads/$long\n" "invalid ref name"
check "...the refusal is one bounded line" \
	test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$TRASH/out")" -lt 2000
awk -v z="$Z" -v c="$c4" 'BEGIN { for (i = 0; i <= 100000; i++)
	printf "%s %s refs/heads/b%d\n", z, c, i }' >"$TRASH/in"
if GIT_DIR="$srv" GL_USER=dave "$TK_BIN/twokey-pre-receive" <"$TRASH/in" >"$TRASH/out" 2>&1; then
	not_ok "100,001 ref updates (accepted)"
else ok "100,001 ref updates: refused"; fi
check "...says so" expect_out "more than 100000 ref updates"
n0=$(records)
sed '$d' "$TRASH/in" >"$TRASH/in2"
if GIT_DIR="$srv" GL_USER=dave "$TK_BIN/twokey-pre-receive" <"$TRASH/in2" >"$TRASH/out" 2>&1; then
	ok "100,000 ref updates to open refs: accepted"
else
	not_ok "100,000 ref updates to open refs (refused)"
	tail -3 "$TRASH/out"
fi
check "...in one record" test "$(records)" -eq $((n0 + 1))
check "...which holds all of them" last_rec "len(r['refs']) == 100000"
check "main unmoved by the hand-run hooks" ref_is "$srv" refs/heads/main "$c4"

upd() { GIT_DIR="$srv" GL_USER=dave "$TK_BIN/twokey-update" "$@" >"$TRASH/out" 2>&1; }
if upd refs/heads/x "$Z"; then not_ok "update hook with 2 arguments (accepted)"; else ok "update hook with 2 arguments: refused"; fi
check "...says what it expected" expect_out "expected 'REF OLD NEW'.*got 2 arguments"
if upd refs/heads/x "$Z" "$c4" a b c d e; then not_ok "update hook with 8 arguments (accepted)"; else ok "update hook with 8 arguments: refused"; fi
if upd refs/heads/x "$Z" zz; then not_ok "update hook with a bad id (accepted)"; else ok "update hook with a bad id: refused"; fi
check "...says so" expect_out "malformed object id"
if upd "" "$Z" "$c4"; then not_ok "update hook with an empty ref (accepted)"; else ok "update hook with an empty ref: refused"; fi

# push options are the pusher's text
git -C "$srv" config receive.advertisePushOptions true
ref "an unknown twokey option holding an escape" GL_USER=dave -- \
	-o "$(printf 'twokey.x\033[2J')" origin HEAD:refs/heads/open2
check "...says it is unknown" expect_out "unknown push option 'twokey.x\?\[2J'"
check "...no escape reaches the terminal" no_out "$(printf '\033')"
acc "another tool's option with hostile bytes passes" GL_USER=dave -- \
	-o "$(printf 'ci.note=\033[2J "q" \\ \302\233 \342\200\250 \377')" origin HEAD:refs/heads/open2
check "...recorded as JSON, control characters escaped, invalid UTF-8 replaced" last_rec \
	"r['push_options'] == ['ci.note=\x1b[2J \"q\" \\\\ \x9b \u2028 \ufffd']"
check "...the log is valid JSON" json_ok "$LOG"
check "...the C1 control and U+2028 are escaped, not raw" sh -c \
	'tail -n 1 "$1" | grep -q "\\\\u009b \\\\u2028" && ! tail -n 1 "$1" | grep -q "$(printf "\302\233\\|\342\200\250")"' - "$LOG"

# ================================ files ===================================
# Every failure to record refuses the push, says so, and leaves the chain
# verifiable.
commit_as "$w" dave@example.com "fifth"
mkdir "$TRASH/adir"
policy "$TRASH/adir"
ref "audit.path is a directory: refused" GL_USER=dave -- origin HEAD:main
check "...says the audit log is unavailable" expect_out "audit log is unavailable"
check "...and why nothing was accepted" expect_out "nothing is accepted unrecorded"
check "...without the server's paths" sh -c '! grep "^remote:" "$1" | grep -q "$2"' - "$TRASH/out" "$TRASH/adir"
ln -s "$LOG" "$TRASH/alink"
policy "$TRASH/alink"
n0=$(records)
ref "audit.path is a symlink (to the real log): refused" GL_USER=dave -- origin HEAD:main
check "...says the audit log is unavailable" expect_out "audit log is unavailable"
check "...nothing was written through the link" test "$(records)" -eq "$n0"
mkfifo "$TRASH/afifo"
policy "$TRASH/afifo"
PUSH_AS="timeout 60" # a hook that blocked on the FIFO would hang the push
ref "audit.path is a FIFO: refused, without hanging" GL_USER=dave -- origin HEAD:main
PUSH_AS=""
check "...says the audit log is unavailable" expect_out "audit log is unavailable"
policy "$TRASH/missing/audit.jsonl"
ref "audit.path in a directory that does not exist: refused" GL_USER=dave -- origin HEAD:main
check "...says the audit log is unavailable" expect_out "audit log is unavailable"
check "main unmoved" ref_is "$srv" refs/heads/main "$c4"

# unwritable: as an unprivileged user (root writes anything)
unpriv_setup
policy "$LOG"
chmod 444 "$LOG" "$LOG.head"
chmod 755 "$TRASH/log"
chmod -R a+rwX "$srv" "$w"
chmod 644 "$P"
n0=$(records)
PUSH_AS=$UNPRIV
ref "an audit log the hook's user cannot write: refused" GL_USER=dave -- origin HEAD:main
check "...says the audit log is unavailable" expect_out "audit log is unavailable"
check "...the log is unchanged" test "$(records)" -eq "$n0"
PUSH_AS=""
chmod 644 "$LOG" "$LOG.head"
check "...and verifies" verified "$LOG"
acc "the twin: the log's owner pushes" GL_USER=dave -- origin HEAD:main
c5=$(head_of "$w")

# a full disk: a tmpfs of 64 KiB in a private mount namespace (as root, or
# as a mapped root in a user namespace), filled up, then pushes until one
# cannot be recorded.  The failed append must not leave half a record.
check "unshare is here" command -v unshare
cat >"$TRASH/full.sh" <<'EOF'
set -u
T=$1 TK=$2 w=$3
mount -t tmpfs -o size=64k tmpfs "$T/tiny" || exit 90
out() { echo "$*" >>"$T/full.out"; }
p() {
	echo "$(date +%s%N) $1" >>"$w/f-full"
	git -C "$w" add f-full && git -C "$w" -c user.name=dave -c user.email=dave@example.com commit -q -m "full $1"
	GL_USER=dave git -C "$w" push origin HEAD:main >"$T/full.push" 2>&1
}
p 0 || exit 91
head -c 65536 /dev/zero >"$T/tiny/fill" 2>/dev/null
i=1 refused=0
while [ $i -le 12 ]; do
	if p $i; then :; else refused=$i; break; fi
	i=$((i + 1))
done
out "refused=$refused"
cp "$T/full.push" "$T/full.refusal"
out "size=$(wc -c <"$T/tiny/audit.jsonl")"
"$TK" audit verify "$T/tiny/audit.jsonl" >"$T/full.verify1" 2>&1; out "verify1=$?"
p again; out "again=$?"
rm "$T/tiny/fill"
p freed; out "freed=$?"
"$TK" audit verify "$T/tiny/audit.jsonl" >"$T/full.verify2" 2>&1; out "verify2=$?"
out "records=$(wc -l <"$T/tiny/audit.jsonl")"
tail -c 1 "$T/tiny/audit.jsonl" | od -c | head -1 >>"$T/full.out"
EOF
mkdir "$TRASH/tiny"
policy "$TRASH/tiny/audit.jsonl"
if [ "$(id -u)" -eq 0 ]; then ns="unshare -m"; else ns="unshare -r -m"; fi
$ns sh "$TRASH/full.sh" "$TRASH" "$TK" "$w" >"$TRASH/full.log" 2>&1
rc=$?
check "the full-disk run ran (exit $rc)" test "$rc" -eq 0
fo() { grep -qx "$1" "$TRASH/full.out" 2>/dev/null || { echo "# full.out:"; sed 's/^/#   /' "$TRASH/full.out" "$TRASH/full.log" 2>/dev/null; return 1; }; }
check "a push is refused once the disk is full" sh -c '! grep -qx "refused=0" "$1" && grep -q "^refused=" "$1"' - "$TRASH/full.out"
check "...saying the audit log is unavailable" grep -q "audit log is unavailable" "$TRASH/full.refusal"
check "...and the log still verifies: no half record left" fo "verify1=0"
check "another push on the full disk: refused" fo "again=1"
check "once space is back, a push is accepted" fo "freed=0"
check "...and the chain verifies" fo "verify2=0"
check "...the log ends with a newline" grep -q '\\n' "$TRASH/full.out"
git -C "$w" reset -q --hard "$c5"
git -C "$w" fetch -q origin main
git -C "$w" reset -q --hard FETCH_HEAD

# ============================== concurrency ===============================
CLOG="$TRASH/log/conc.jsonl"
policy "$CLOG"
commit_as "$w" dave@example.com "many"
pids=""
i=0
while [ $i -lt 20 ]; do
	GL_USER=dave git -C "$w" push -q origin "HEAD:refs/heads/g/c$i" >"$TRASH/conc$i" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
fails=0
for pid in $pids; do wait "$pid" || fails=$((fails + 1)); done
check "20 pushes at once: all accepted" test "$fails" -eq 0
check "...20 records" test "$(wc -l <"$CLOG" | tr -d ' ')" -eq 20
check "...one chain that verifies" verified "$CLOG"
check "...20 distinct refs recorded" test "$(python3 -c '
import json, sys
print(len({json.loads(l)["refs"][0]["ref"] for l in open(sys.argv[1])}))' "$CLOG")" -eq 20

# ============================ output hygiene ==============================
# Ref names git accepts may hold C1 controls (as UTF-8 or as a raw byte),
# invalid UTF-8, quotes and U+2028; none may reach a terminal raw, and the
# record stays valid JSON.
policy "$LOG"
for r in "$(printf 'g/a\302\2332J')" "$(printf 'g/b\2332J')" \
	"$(printf 'g/c\377"q')" "$(printf 'g/d\342\200\250')"; do
	ref "alice creates refs/heads/$(printf %s "$r" | od -An -c | tr -s ' ')" \
		GL_USER=alice -- origin "HEAD:refs/heads/$r"
	check "...no C1 control echoed" sh -c '! grep remote: "$1" | grep -q "$(printf "\302\233\\|\233")"' - "$TRASH/out"
	check "...says who may" expect_out "pusher 'alice' may not create"
done
check "the log is valid JSON after the hostile names" json_ok "$LOG"
check "...U+2028 in a ref name is escaped in the record" \
	grep -q 'refs/heads/g/d\\u2028' "$LOG"
check "...and the chain verifies" verified "$LOG"

done_testing
