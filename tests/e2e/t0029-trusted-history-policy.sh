#!/bin/sh
# trusted-history in the policy file: `twokey config check` validates it
# (full 40-digit ids only, abbreviations refused, with file:line:column),
# the hooks refuse every push when it is invalid, and `twokey config diff`
# reports a trusted commit added as a widening change.
. "$(dirname "$0")/lib.sh"

TK="$TK_BIN/twokey"
base() {
	cat <<EOF2
version: 1
roles: {developer: writes code, reviewer: approves}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer]}
pusher: {env: [GL_USER]}
rules:
  - {name: mainline, refs: refs/heads/main, pusher-may-write: false}
EOF2
}
ID=0123456789abcdef0123456789abcdef01234567

{ base; echo "trusted-history: [$ID]"; } >"$TRASH/good.yaml"
check "a full id is valid" "$TK" config check "$TRASH/good.yaml"

{ base; printf 'trusted-history:\n  - 0123456\n  - %s\n  - %sxy\n' "$ID" "$ID"; } >"$TRASH/bad.yaml"
"$TK" config check "$TRASH/bad.yaml" >"$TRASH/out" 2>&1
check "an abbreviation is refused" test $? -ne 0
check "at its line and column" expect_out \
	"bad.yaml:9:5: key 'trusted-history\[0\]': expected a full 40-digit commit id \(abbreviated ids are refused\)"
check "a longer value too" expect_out \
	"bad.yaml:11:5: key 'trusted-history\[2\]': expected a full 40-digit commit id"
check "the full id is not reported" no_out "trusted-history\[1\]"

{ base; echo "trusted-history: $ID"; } >"$TRASH/scalar.yaml"
"$TK" config check "$TRASH/scalar.yaml" >"$TRASH/out" 2>&1
check "a scalar is refused" test $? -ne 0
check "says a list is expected" expect_out \
	"scalar.yaml:8:18: key 'trusted-history': expected a list of commit ids"

# the hooks refuse with the policy invalid
srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "one"
export TWOKEY_CONFIG="$TRASH/bad.yaml"
refused "an invalid trusted-history refuses pushes" alice "$w" origin main
check "main not created" ref_is "$srv" refs/heads/main ""

# config diff: adding a trusted commit widens, removing it narrows
base >"$TRASH/none.yaml"
"$TK" config diff "$TRASH/none.yaml" "$TRASH/good.yaml" >"$TRASH/out" 2>&1
check "adding a trusted commit widens (exit 1)" test $? -eq 1
check "names it" expect_out "widens: trusted-history: $ID added"
"$TK" config diff "$TRASH/good.yaml" "$TRASH/none.yaml" >"$TRASH/out" 2>&1
check "removing it narrows (exit 0)" test $? -eq 0
check "says so" expect_out "narrows: trusted-history: $ID removed"
done_testing
