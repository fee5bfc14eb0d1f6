#!/bin/sh
# A policy that cannot be used refuses every push, telling the pusher only
# that the server's policy is broken ('config check' names the problem); where the policy is found (TWOKEY_CONFIG, then git config
# twokey.config, then the built-in default); 'twokey config check';
# 'twokey check' as a dry run of the hook; 'twokey install'; --help and
# --version.
. "$(dirname "$0")/lib.sh"

# run_out CMD...: runs CMD with stdout+stderr in $TRASH/out; sets rc.
run_out() {
	"$@" >"$TRASH/out" 2>&1
	rc=$?
}
# re STRING: STRING with ERE metacharacters escaped.
re() { printf '%s\n' "$1" | sed 's/[][\.*^$(){}?+|]/\\&/g'; }
TK="$TK_BIN/twokey"

good_policy() { # FILE RULENAME
	cat >"$1" <<EOF
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
  env: [GL_USER]
rules:
  - name: $2
    refs: 'refs/heads/main'
    update: [operations]
    pusher-may-write: false
  - name: drafts
    refs: 'refs/heads/draft/.*'
    update: [developer]
    mode: warn
EOF
}
good_policy "$TRASH/env.yaml" from-env
good_policy "$TRASH/gitcfg.yaml" from-git-config
export TWOKEY_CONFIG="$TRASH/env.yaml"

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "base"
c1=$(head_of "$w")
accepted "with a good policy dave creates main" dave "$w" origin main
check "main at c1" ref_is "$srv" refs/heads/main "$c1"
accepted "with a good policy an unprotected ref is free" alice "$w" origin "$c1:refs/heads/feature/x"
check "feature/x at c1" ref_is "$srv" refs/heads/feature/x "$c1"
commit_as "$w" alice@example.com "next"
c2=$(head_of "$w")

# --- a broken policy refuses every push ----------------------------------
# broken NAME FILE FIRST-PROBLEM-REGEX: pushes to an unprotected and to a
# protected ref are both refused with the policy error.  The pushes go to
# $remote (the server $bsrv) as $PUSH_AS, config check runs as $PUSH_AS.
remote=origin bsrv=$srv PUSH_AS=""
broken() {
	export TWOKEY_CONFIG="$2"
	refused "$1: push to an unprotected ref refused" dave "$w" "$remote" "$c2:refs/heads/feature/x"
	check "$1: the pusher is told the server's policy is broken" expect_out \
		"^remote: twokey: error: the server's twokey policy is broken, so no push to any ref is allowed until an admin repairs it \(the details are in the server's log\)"
	check "$1: ... and that the push is refused" expect_out \
		"^remote: twokey: refusing the push: twokey could not decide it, and it fails closed"
	check "$1: the pusher is not shown the problem" no_out "$3"
	check "$1: ... nor the policy's path" no_out "$(re "$2")"
	check "$1: feature/x unchanged" ref_is "$bsrv" refs/heads/feature/x "$c1"
	refused "$1: push to main refused even for dave" dave "$w" "$remote" main
	check "$1: main unchanged" ref_is "$bsrv" refs/heads/main "$c1"
	run_out $PUSH_AS "$TK" config check "$2"
	check "$1: config check exits 1" test "$rc" -eq 1
	check "$1: config check names the problem" expect_out "^$3"
	check "$1: config check says invalid" expect_out "^twokey: $(re "$2"): policy is invalid$"
}

P="$TRASH/syntax.yaml"
printf 'version: 1\nrules:\n  - name: x\n    refs: [unclosed\n' >"$P"
broken "YAML syntax error" "$P" "$(re "$P"):5:1: did not find expected ',' or ']' \(while parsing a flow sequence, line 4 column 11\)"

P="$TRASH/unknown-key.yaml"
good_policy "$P" mainline
sed -i 's/^    pusher-may-write: false/    pusher-may-writ: false/' "$P"
broken "unknown key" "$P" "$(re "$P"):20:5: key 'rules\[0\]\.pusher-may-writ': unknown key"

P="$TRASH/undefined-role.yaml"
good_policy "$P" mainline
sed -i 's/^    update: \[operations\]/    update: [operation]/' "$P"
broken "undefined role" "$P" "$(re "$P"):19:14: key 'rules\[0\]\.update\[0\]': undefined role 'operation'"

P="$TRASH/duplicate.yaml"
printf 'version: 1\nroles:\n  dev: a\n  dev: b\n' >"$P"
broken "duplicate key" "$P" "$(re "$P"):4:3: duplicate key 'dev'"

P="$TRASH/alias.yaml"
printf 'version: 1\nroles: &r\n  dev: a\npusher: *r\n' >"$P"
broken "YAML anchor" "$P" "$(re "$P"):2:8: anchors and aliases are not allowed"

P="$TRASH/version2.yaml"
printf 'version: 2\n' >"$P"
broken "version 2" "$P" "$(re "$P"):1:10: key 'version': unsupported version 2"

P="$TRASH/missing.yaml"
broken "missing file" "$P" "cannot open '$(re "$P")': No such file or directory"

P="$TRASH/empty.yaml"
: >"$P"
broken "empty file" "$P" "$(re "$P"):1:1: the policy is empty"

P="$TRASH/a-directory"
mkdir "$P"
broken "a directory" "$P" "'$(re "$P")' is not a regular file"

# Root reads anything: the unreadable file is tried as an unprivileged user
# (unpriv_setup), pushing into a copy of the server that user owns.
unpriv_setup
bsrv="$TRASH/srv-unpriv.git"
cp -R "$srv" "$bsrv"
[ -z "$UNPRIV" ] || chown -R "$tk_unpriv_user:" "$bsrv"
git -C "$w" remote add unpriv "$bsrv"
remote=unpriv PUSH_AS=$UNPRIV
P="$TRASH/unreadable.yaml"
good_policy "$P" mainline
chmod 000 "$P"
broken "unreadable file${UNPRIV:+ (as $tk_unpriv_user)}" "$P" \
	"cannot open '$(re "$P")': Permission denied"
remote=origin bsrv=$srv PUSH_AS=""

# exactly 16 MiB is allowed, one byte more is not
P="$TRASH/big.yaml"
good_policy "$P" mainline
n=$((16777216 - $(wc -c <"$P")))
{ head -c $((n - 1)) /dev/zero | tr '\0' '#'; echo; } >>"$P"
check "16 MiB policy file built" test "$(wc -c <"$P")" -eq 16777216
run_out "$TK" config check "$P"
check "a policy of exactly 16 MiB is valid" test "$rc" -eq 0
echo >>"$P"
broken "policy over 16 MiB" "$P" "'$(re "$P")' is larger than 16777216 bytes"
rm -f "$P"

# config check reports every problem, not only the first
P="$TRASH/two-errors.yaml"
good_policy "$P" mainline
sed -i -e 's/^    pusher-may-write: false/    pusher-may-writ: false/' \
	-e 's/^    update: \[developer\]/    update: [devel]/' "$P"
run_out "$TK" config check "$P"
check "two errors: exit 1" test "$rc" -eq 1
check "two errors: the first" expect_out "^$(re "$P"):20:5: key 'rules\[0\]\.pusher-may-writ': unknown key"
check "two errors: the second" expect_out "^$(re "$P"):23:14: key 'rules\[1\]\.update\[0\]': undefined role 'devel'"
export TWOKEY_CONFIG="$P"
refused "two errors: the hook refuses" dave "$w" origin main
check "two errors: the pusher sees neither (the first)" no_out "pusher-may-writ"
check "two errors: the pusher sees neither (the second)" no_out "undefined role 'devel'"

# --- where the policy is found ---------------------------------------------
git -C "$srv" config twokey.config "$TRASH/gitcfg.yaml"
export TWOKEY_CONFIG="$TRASH/env.yaml"
refused "TWOKEY_CONFIG wins over twokey.config" alice "$w" origin main
check "rule from TWOKEY_CONFIG's file" expect_out "refused refs/heads/main under rule 'from-env'"
git -C "$srv" config twokey.config "$TRASH/syntax.yaml"
accepted "a broken twokey.config does not matter while TWOKEY_CONFIG is set" \
	dave "$w" origin "$c2:refs/heads/feature/x"
check "feature/x at c2" ref_is "$srv" refs/heads/feature/x "$c2"
unset TWOKEY_CONFIG
refused "without TWOKEY_CONFIG, the broken twokey.config is used" \
	dave "$w" --force origin "$c1:refs/heads/feature/x"
# the pusher is not told which file; 'twokey check' on the server is
(cd "$srv" && "$TK" check refs/heads/feature/x 0 "$c1") >"$TRASH/out" 2>&1
check "it is the one 'twokey check' in the repository names" \
	expect_out "^$(re "$TRASH/syntax.yaml"):5:1:"
check "feature/x still at c2" ref_is "$srv" refs/heads/feature/x "$c2"
git -C "$srv" config twokey.config "$TRASH/gitcfg.yaml"
refused "without TWOKEY_CONFIG, twokey.config's policy decides" alice "$w" origin main
check "rule from twokey.config's file" expect_out "refused refs/heads/main under rule 'from-git-config'"
TWOKEY_CONFIG= GL_USER=alice git -C "$w" push origin main >"$TRASH/out" 2>&1
check "an empty TWOKEY_CONFIG counts as unset" expect_out "refused refs/heads/main under rule 'from-git-config'"
accepted "dave updates main under twokey.config's policy" dave "$w" origin main
check "main at c2" ref_is "$srv" refs/heads/main "$c2"
git -C "$srv" config --unset twokey.config
default=$("$TK_BIN/twokey-pre-receive" --help | sed -n 's/.*else git config twokey.config, else \(.*\)\.$/\1/p')
check "the default path is documented in --help" test -n "$default"
if [ -n "$default" ] && [ ! -e "$default" ]; then
	refused "neither set: the default policy is used (absent here)" \
		dave "$w" --force origin "$c1:refs/heads/feature/x"
	(cd "$srv" && "$TK" check refs/heads/feature/x 0 "$c1") >"$TRASH/out" 2>&1
	check "the default path is the one 'twokey check' names" expect_out \
		"cannot open '$(re "$default")': No such file or directory"
	check "feature/x still at c2 (default)" ref_is "$srv" refs/heads/feature/x "$c2"
else
	# It exists on this machine: then it is the file the hooks read.
	(unset TWOKEY_CONFIG; cd "$srv" && "$TK" config check) >"$TRASH/out" 2>&1
	check "neither set: the default policy ($default, present here) is read" \
		expect_out "$(re "$default")"
fi
export TWOKEY_CONFIG="$TRASH/env.yaml"

# config check with no FILE: the policy the hooks would use here
run_out "$TK" config check
check "config check without FILE reads TWOKEY_CONFIG (exit 0)" test "$rc" -eq 0
check "... and names it" expect_out "^$(re "$TRASH/env.yaml"): ok: "
git -C "$srv" config twokey.config "$TRASH/gitcfg.yaml"
(unset TWOKEY_CONFIG; cd "$srv" && "$TK" config check) >"$TRASH/out" 2>&1
check "config check in a repo without TWOKEY_CONFIG reads twokey.config" \
	expect_out "^$(re "$TRASH/gitcfg.yaml"): ok: "
git -C "$srv" config --unset twokey.config

# --- config check output ------------------------------------------------
run_out "$TK" config check "$TRASH/env.yaml"
check "valid policy: exit 0" test "$rc" -eq 0
check "valid policy: summary" expect_out \
	"^$(re "$TRASH/env.yaml"): ok: 2 roles, 2 identities \(0 keys\), 0 revoked keys, 2 rules$"
check "valid policy: rules listed" expect_out "^  rule 'from-env': refs 'refs/heads/main'$"
check "valid policy: warn rules marked" expect_out "^  rule 'drafts': refs 'refs/heads/draft/\.\*' \(warn only\)$"
P="$TRASH/no-env.yaml"
good_policy "$P" mainline
sed -i 's/^  env: \[GL_USER\]/  env: []/' "$P"
run_out "$TK" config check "$P"
check "empty pusher.env: still valid" test "$rc" -eq 0
check "empty pusher.env: a note says what it means" expect_out "^note: pusher.env is empty"
export TWOKEY_CONFIG="$P"
refused "empty pusher.env: a restricted ref is refused" dave "$w" --force origin "$c1:refs/heads/main"
check "empty pusher.env: the message says no variable is configured" expect_out \
	"refs/heads/main: pusher unknown \(the policy names no pusher.env variable; consulted: none configured\), so the rule restricts who may force-push this ref"
check "empty pusher.env: main still at c2" ref_is "$srv" refs/heads/main "$c2"
accepted "empty pusher.env: an unprotected ref is still free" dave "$w" --force origin "$c1:refs/heads/feature/x"
check "feature/x at c1" ref_is "$srv" refs/heads/feature/x "$c1"
export TWOKEY_CONFIG="$TRASH/env.yaml"
run_out "$TK" config
check "config without 'check': usage error (exit 2)" test "$rc" -eq 2
check "usage printed" expect_out "^usage: twokey config check \[--strict\] \[--repo PATH\] \[FILE\]"
run_out "$TK" config check a b
check "config check with two files: exit 2" test "$rc" -eq 2

# --- twokey check: a dry run with the hook's decision and lines ------------
export TWOKEY_CONFIG="$TRASH/env.yaml"
git -C "$w" reset -q --hard "$c2"
commit_as "$w" alice@example.com "alice on main"
a1=$(head_of "$w")
before=$(git -C "$srv" for-each-ref --format='%(objectname) %(refname)')
wbefore=$(git -C "$w" for-each-ref --format='%(objectname) %(refname)')
# the commit exists on the client only: dry-run there, against the server value
(cd "$w" && "$TK" check --pusher alice refs/heads/main "$c2" HEAD) >"$TRASH/check.out" 2>"$TRASH/check.err"
crc=$?
check "check: alice's own commit refused (exit 1)" test "$crc" -eq 1
refused "real push: refused" alice "$w" origin main
sed -n 's/^remote: \(twokey: .*\)$/\1/p' "$TRASH/out" | sed 's/ *$//' >"$TRASH/push.lines"
check "the push printed two problems" \
	grep -q "refused refs/heads/main under rule 'from-env' (2 problems)" "$TRASH/push.lines"
if cmp -s "$TRASH/check.out" "$TRASH/push.lines"; then ok "check printed exactly the push's lines"; else
	not_ok "check printed exactly the push's lines"
	diff "$TRASH/check.out" "$TRASH/push.lines" | sed 's/^/#   /'
fi
check "check wrote nothing on stderr" test ! -s "$TRASH/check.err"
GL_USER=alice sh -c 'cd "$1" && "$2" check refs/heads/main "$3" HEAD' - "$w" "$TK" "$c2" >"$TRASH/check2.out" 2>&1
check "check without --pusher reads GL_USER (exit 1)" test $? -eq 1
check "... with the same lines" cmp -s "$TRASH/check2.out" "$TRASH/push.lines"

(cd "$w" && "$TK" check --pusher dave refs/heads/main "$c2" HEAD) >"$TRASH/check.out" 2>&1
crc=$?
check "check: dave accepted (exit 0)" test "$crc" -eq 0
check "check: no ref moved by the dry runs" test \
	"$(git -C "$srv" for-each-ref --format='%(objectname) %(refname)')" = "$before"
check "check: no client ref moved either" test \
	"$(git -C "$w" for-each-ref --format='%(objectname) %(refname)')" = "$wbefore"
accepted "real push by dave: accepted" dave "$w" origin main
sed -n 's/^remote: \(twokey: .*\)$/\1/p' "$TRASH/out" | sed 's/ *$//' >"$TRASH/push.lines"
check "accepted: check printed exactly the push's lines" cmp -s "$TRASH/check.out" "$TRASH/push.lines"
check "accepted: the line is the acceptance" \
	grep -qx "twokey: accepted refs/heads/main under rule 'from-env'" "$TRASH/check.out"
check "main at a1" ref_is "$srv" refs/heads/main "$a1"

# in the server repository, with 0 for a create and a ref of no rule
(cd "$srv" && "$TK" check --pusher alice refs/heads/main 0 main) >"$TRASH/out" 2>&1
check "check in the bare repo: create of main by alice refused (exit 1)" test $? -eq 1
check "... by role and as a writer" expect_out \
	"^twokey: error: refs/heads/main: pusher 'alice' may not create this ref: that takes one of the roles: operations \[rule 'from-env'\]"
(cd "$srv" && "$TK" check --pusher nobody refs/heads/feature/q 0 main) >"$TRASH/out" 2>&1
check "check: a ref no rule matches is accepted (exit 0)" test $? -eq 0
(cd "$srv" && "$TK" check --pusher dave refs/heads/main main no-such-rev) >"$TRASH/out" 2>&1
check "check: unknown revision (exit 1)" test $? -eq 1
check "... says so" expect_out "^twokey: error: unknown revision 'no-such-rev'"
(cd "$srv" && TWOKEY_CONFIG="$TRASH/syntax.yaml" "$TK" check --pusher dave refs/heads/feature/q 0 main) >"$TRASH/out" 2>&1
check "check with a broken policy: exit 1" test $? -eq 1
check "... names file:line:col" expect_out "^$(re "$TRASH/syntax.yaml"):5:1: "
check "... says the hook would refuse" expect_out "the hook would refuse every push"
(cd "$TRASH" && "$TK" check refs/heads/main 0 HEAD) >"$TRASH/out" 2>&1
check "check outside a repository: exit 1" test $? -eq 1
run_out "$TK" check refs/heads/main 0
check "check with two operands: usage error (exit 2)" test "$rc" -eq 2
check "server refs unchanged by all checks" ref_is "$srv" refs/heads/main "$a1"

# --- twokey install ---------------------------------------------------------
hook=$(readlink -f "$TK_BIN/twokey-pre-receive")
git init -q --bare "$TRASH/r1.git"
run_out "$TK" install "$TRASH/r1.git"
check "install: exit 0" test "$rc" -eq 0
check "install: hooks/pre-receive is a link to twokey-pre-receive" \
	test "$(readlink -f "$TRASH/r1.git/hooks/pre-receive")" = "$hook"
check "install: says what it linked" expect_out "^$(re "$TRASH/r1.git/hooks/pre-receive") -> "
l1=$(readlink "$TRASH/r1.git/hooks/pre-receive")
run_out "$TK" install "$TRASH/r1.git"
check "install again: exit 0" test "$rc" -eq 0
check "install again: already installed" expect_out "already installed"
check "install again: link unchanged" test "$(readlink "$TRASH/r1.git/hooks/pre-receive")" = "$l1"
git -C "$w" push -q "$TRASH/r1.git" "$c1:refs/heads/feature/x" >/dev/null 2>&1
refused "installed hook enforces the policy: alice may not create main" \
	alice "$w" "$TRASH/r1.git" "$c1:refs/heads/main"
check "installed hook: refusal line" expect_out "refused refs/heads/main under rule 'from-env'"
check "installed hook: main absent" ref_is "$TRASH/r1.git" refs/heads/main ""

git init -q --bare "$TRASH/r2.git"
printf '#!/bin/sh\nexit 0\n' >"$TRASH/r2.git/hooks/pre-receive"
chmod +x "$TRASH/r2.git/hooks/pre-receive"
run_out "$TK" install "$TRASH/r2.git"
check "foreign hook: exit 1" test "$rc" -eq 1
check "foreign hook: says so and suggests --force" expect_out \
	"$(re "$TRASH/r2.git/hooks/pre-receive") exists and is not twokey's .*use --force"
check "foreign hook: left alone" test ! -L "$TRASH/r2.git/hooks/pre-receive"
check "foreign hook: content unchanged" grep -q '^exit 0$' "$TRASH/r2.git/hooks/pre-receive"
ln -s /bin/true "$TRASH/r2.git/hooks/update"
run_out "$TK" install --force "$TRASH/r2.git"
check "--force: exit 0" test "$rc" -eq 0
check "--force: now twokey's" test "$(readlink -f "$TRASH/r2.git/hooks/pre-receive")" = "$hook"
check "--force: the update hook is not touched" test "$(readlink "$TRASH/r2.git/hooks/update")" = /bin/true
git init -q --bare "$TRASH/r2b.git"
ln -s /bin/true "$TRASH/r2b.git/hooks/pre-receive"
run_out "$TK" install "$TRASH/r2b.git"
check "foreign symlink: exit 1" test "$rc" -eq 1
check "foreign symlink: kept" test "$(readlink "$TRASH/r2b.git/hooks/pre-receive")" = /bin/true

git init -q --bare "$TRASH/r3.git"
mkdir "$TRASH/r3.git/hooks/pre-receive.d"
run_out "$TK" install "$TRASH/r3.git"
check "pre-receive.d: exit 0" test "$rc" -eq 0
check "pre-receive.d: linked as pre-receive.d/twokey" \
	test "$(readlink -f "$TRASH/r3.git/hooks/pre-receive.d/twokey")" = "$hook"
check "pre-receive.d: no hooks/pre-receive" test ! -e "$TRASH/r3.git/hooks/pre-receive"

git init -q --bare "$TRASH/r4.git"
git init -q --bare "$TRASH/r5.git"
run_out "$TK" install "$TRASH/r4.git" "$TRASH/r5.git"
check "two repositories at once: exit 0" test "$rc" -eq 0
check "both installed" test "$(readlink -f "$TRASH/r4.git/hooks/pre-receive")" = "$hook" -a \
	"$(readlink -f "$TRASH/r5.git/hooks/pre-receive")" = "$hook"
run_out "$TK" install "$TRASH/not-a-repo"
check "not a repository: exit 1" test "$rc" -eq 1
check "not a repository: says so" expect_out "not-a-repo: not a git repository"
run_out "$TK" install
check "install with nothing: usage error (exit 2)" test "$rc" -eq 2

# A repository whose core.hooksPath points elsewhere never runs
# hooks/pre-receive: install must not report success with a hook that is
# not in effect (either it installs where git looks, or it fails).
git init -q --bare "$TRASH/r7.git"
mkdir "$TRASH/other-hooks"
git -C "$TRASH/r7.git" config core.hooksPath "$TRASH/other-hooks"
run_out "$TK" install "$TRASH/r7.git"
if [ "$rc" -eq 0 ]; then
	refused "install succeeded on a repo with core.hooksPath: the hook is in effect" \
		alice "$w" "$TRASH/r7.git" "$c1:refs/heads/main"
	check "core.hooksPath repo: main not created by alice" ref_is "$TRASH/r7.git" refs/heads/main ""
else
	ok "install refused a repo whose core.hooksPath bypasses hooks/"
	check "install names core.hooksPath" expect_out "core.hooksPath"
fi

run_out "$TK" install --hooks-path "$TRASH/global-hooks"
check "--hooks-path: exit 0" test "$rc" -eq 0
check "--hooks-path: DIR/pre-receive links to the hook" \
	test "$(readlink -f "$TRASH/global-hooks/pre-receive")" = "$hook"
run_out "$TK" install --hooks-path "$TRASH/global-hooks"
check "--hooks-path again: exit 0" test "$rc" -eq 0
check "--hooks-path again: already installed" expect_out "already installed"
git init -q --bare "$TRASH/r6.git"
git -C "$TRASH/r6.git" config core.hooksPath "$TRASH/global-hooks"
refused "through --hooks-path: alice may not create main" alice "$w" "$TRASH/r6.git" "$c1:refs/heads/main"
check "through --hooks-path: refusal line" expect_out "refused refs/heads/main under rule 'from-env'"
accepted "through --hooks-path: dave may" dave "$w" "$TRASH/r6.git" "$c1:refs/heads/main"
check "through --hooks-path: main at c1" ref_is "$TRASH/r6.git" refs/heads/main "$c1"

# --- --help and --version ---------------------------------------------------
for prog in twokey twokey-pre-receive twokey-update; do
	run_out "$TK_BIN/$prog" --help
	check "$prog --help exits 0" test "$rc" -eq 0
	check "$prog --help prints usage" expect_out "^usage: $prog"
	run_out "$TK_BIN/$prog" --version
	check "$prog --version exits 0" test "$rc" -eq 0
	check "$prog --version prints a version" expect_out "^$prog [0-9]+\.[0-9]+\.[0-9]+$"
done
for sub in check config install approve; do
	run_out "$TK" $sub --help
	check "twokey $sub --help exits 0" test "$rc" -eq 0
	check "twokey $sub --help prints usage" expect_out "^usage: twokey $sub"
done
run_out "$TK"
check "twokey with no command: exit 2" test "$rc" -eq 2
run_out "$TK" frobnicate
check "unknown command: exit 2" test "$rc" -eq 2
check "unknown command named" expect_out "unknown command 'frobnicate'"

done_testing
