#!/bin/sh
# 'twokey config check' on policies that validate but do not mean what
# their author meant (the new user's policy for a team of six): each
# warning as FILE:LINE:COL: warning:, after the counts; --strict makes them
# fail; --repo checks the rules against a real repository's refs.  No
# warning on any example policy in config/.  And the errors that teach:
# a tab, a misindented key (where libyaml complains a line late), a
# wrapped key, a pasted private key made by ssh-keygen (said so, nothing
# of it echoed).
. "$(dirname "$0")/lib.sh"

TK="$TK_BIN/twokey"
run_out() {
	"$@" >"$TRASH/out" 2>&1
	rc=$?
}
re() { printf '%s\n' "$1" | sed 's/[][\.*^$(){}?+|]/\\&/g'; }

for f in "$TK_SRC"/config/*.yaml; do
	run_out "$TK" config check --strict "$f"
	check "$(basename "$f"): passes config check --strict" test "$rc" -eq 0
	check "$(basename "$f"): no warning" no_out "warning"
done

mkdir -p "$TRASH/keys"
for p in bob carol ops; do
	ssh-keygen -q -t ed25519 -N '' -f "$TRASH/keys/$p" -C "$p@example.com"
done
soon=$(date -u -d '+10 days' +%Y-%m-%d)
P="$TRASH/team.yaml"
cat >"$P" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  security: security sign-off
  operations: deploys
  auditor: reads the log
identities:
  alice: {logins: [alice], emails: [alice@example.com], roles: [developer]}
  bob:
    logins: [bob]
    emails: [bob@example.com]
    keys:
      - key: "$(cat "$TRASH/keys/bob.pub")"
        valid-before: $soon
    roles: [reviewer, security]
  carol: {logins: [carol], emails: [carol@example.com], roles: [reviewer]}
  ops:
    logins: [ops]
    keys: ["$(cat "$TRASH/keys/ops.pub")"]
    roles: [operations]
pusher:
  env: [GL_USER]
rules:
  - name: everything else
    refs: '.*'
  - name: mainline
    refs: 'refs/heads/(main|release/*)'
    update: [operations]
    approvals:
      min: 3
      from: [reviewer, security]
      require: {security: 1}
  - name: braces
    refs: refs/heads/{main,release/.+}
  - name: short
    refs: main
EOF
run_out "$TK" config check "$P"
check "a valid policy with warnings: exit 0" test "$rc" -eq 0
check "the counts come first" sh -c 'head -1 "$1" | grep -q ": ok: 5 roles, 4 identities (2 keys)"' - "$TRASH/out"
check "warnings follow the counts" sh -c \
	'test "$(grep -n "rule '"'"'short'"'"': refs '"'"'main'"'"'$" "$1" | cut -d: -f1)" -lt "$(grep -n warning: "$1" | head -1 | cut -d: -f1)"' \
	- "$TRASH/out"
F=$(re "$P")
check "unused role" expect_out "^$F:7:3: warning: role 'auditor' is held by no identity and used by no rule$"
check "key expiring in 10 days" expect_out \
	"^$F:14:14: warning: key SHA256:[A-Za-z0-9+/]{43} of identity 'bob' expires on $soon \(in [0-9] days\): add its successor before then$"
check "approver without keys" expect_out \
	"^$F:17:3: warning: identity 'carol' holds role 'reviewer', which approves under rule 'mainline', but has no keys, so its approvals cannot count$"
check "catch-all first shadows mainline" expect_out \
	"^$F:28:12: warning: rule 'mainline' can never apply: every ref its pattern 'refs/heads/\(main\|release/\*\)' matches is matched first by rule 'everything else' \(line 25\)"
check "'/*' is not a glob" expect_out \
	"^$F:28:37: warning: rule 'mainline': refs 'refs/heads/\(main\|release/\*\)' looks like a glob: in a regular expression '/\*' means 'any number of slashes'"
check "min 3 with one eligible approver" expect_out \
	"^$F:31:12: warning: rule 'mainline' can never be satisfied: it needs 3 approvals from reviewer, security, but only 1 identity holding those roles has a key valid now \(bob\)"
check "shell braces" expect_out \
	"^$F:35:22: warning: rule 'braces': refs 'refs/heads/\{main,release/\.\+\}' uses shell braces"
check "'main' matches no ref name" expect_out \
	"^$F:37:11: warning: rule 'short': refs 'main' can match no ref: git names refs in full, starting with refs/"
check "the summary counts them" expect_out "^$F: 10 warnings$"
run_out "$TK" config check --strict "$P"
check "--strict: exit 1" test "$rc" -eq 1
check "--strict: says why" expect_out "^$F: 10 warnings, and --strict makes warnings fail$"

# --- --repo: the rules against a real repository's refs ---------------------------
cat >"$TRASH/heads.yaml" <<'EOF'
version: 1
roles: {operations: deploys}
identities:
  ops: {logins: [ops], roles: [operations]}
pusher: {env: [GL_USER]}
rules:
  - name: branches
    refs: 'refs/heads/(feature|release)/.+'
    update: [operations]
  - name: releases
    refs: 'refs/(heads/release/.+|tags/v.+)'
    update: [operations]
  - name: hotfixes
    refs: 'refs/heads/hotfix/.+'
EOF
export TWOKEY_CONFIG="$TRASH/heads.yaml"
srv=$(new_server srv)
w=$(new_work w)
commit_as "$w" alice@example.com "base"
git -C "$w" tag v1.0
accepted "ops pushes branches and a tag" ops "$w" "$srv" HEAD:refs/heads/feature/x \
	HEAD:refs/heads/release/1.0 v1.0
unset TWOKEY_CONFIG
run_out "$TK" config check "$TRASH/heads.yaml"
check "without --repo: nothing to say" no_out "warning"
run_out "$TK" config check --repo "$srv" "$TRASH/heads.yaml"
check "--repo: still valid (exit 0)" test "$rc" -eq 0
check "--repo: no warning for 'releases' (it governs refs/tags/v1.0)" no_out "warning: rule 'releases'"
check "--repo: no warning for 'hotfixes' (it matches no ref yet)" no_out "warning: rule 'hotfixes'"
git -C "$srv" tag -d v1.0 >/dev/null
run_out "$TK" config check --repo "$srv" "$TRASH/heads.yaml"
check "--repo: 'releases' governs nothing once the tag is gone" expect_out \
	"^$(re "$TRASH/heads.yaml"):11:12: warning: rule 'releases' governs no ref of the repository: the 1 ref its pattern matches \(refs/heads/release/1\.0\) is decided by earlier rules \('branches' first\)"
run_out "$TK" config check --repo "$TRASH/nowhere" "$TRASH/heads.yaml"
check "--repo on a missing repository: exit 1" test "$rc" -eq 1

# --- errors that teach ------------------------------------------------------------
printf 'version: 1\nroles:\n  developer: x\n\treviewer: y\n' >"$TRASH/tab.yaml"
run_out "$TK" config check "$TRASH/tab.yaml"
check "a tab: exit 1" test "$rc" -eq 1
check "a tab: said so, at its line and column" expect_out \
	"^$(re "$TRASH/tab.yaml"):4:1: a tab in the indentation: YAML forbids tabs for indentation; use spaces$"
cat >"$TRASH/indent.yaml" <<'EOF'
version: 1
roles:
  developer: writes code
identities:
  alice:
     emails: [alice@example.com]
    roles: [developer]
EOF
run_out "$TK" config check "$TRASH/indent.yaml"
check "a misindented key: the line that is wrong (6), not the one libyaml names (7)" \
	expect_out "^$(re "$TRASH/indent.yaml"):6:6: this key is indented differently from its siblings: 5 spaces here, 4 for 'roles' on line 7"
k=$(cut -d' ' -f2 "$TRASH/keys/ops.pub")
{
	printf 'version: 1\nroles: {developer: x}\nidentities:\n  alice:\n    keys:\n'
	printf '      - ssh-ed25519 %s\n        %s alice\n' "$(echo "$k" | cut -c1-40)" "$(echo "$k" | cut -c41-)"
} >"$TRASH/wrapped.yaml"
run_out "$TK" config check "$TRASH/wrapped.yaml"
check "a wrapped key: where it is cut" expect_out \
	"^$(re "$TRASH/wrapped.yaml"):6:61: key 'identities.alice.keys\[0\]': this key's base64 is cut here by a line break or space"
{
	printf 'version: 1\nroles: {developer: x}\nidentities:\n  alice:\n    keys:\n      - |\n'
	sed 's/^/        /' "$TRASH/keys/carol"
} >"$TRASH/private.yaml"
run_out "$TK" config check "$TRASH/private.yaml"
check "a private key: exit 1" test "$rc" -eq 1
check "a private key: said so, with what to do" expect_out \
	"^$(re "$TRASH/private.yaml"):7:9: this is a PRIVATE key: a secret is now on disk in the policy file .*treat the key as compromised"
leaked=0
for line in $(sed -n '2,$p' "$TRASH/keys/carol" | grep -v '^-----' | cut -c1-20); do
	grep -F -q -- "$line" "$TRASH/out" && leaked=1
done
check "a private key: no line of it is echoed" test "$leaked" -eq 0

done_testing
