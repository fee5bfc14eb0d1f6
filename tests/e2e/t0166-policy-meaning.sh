#!/bin/sh
# A policy must mean one thing to the hooks, to its reviewers and to the
# evidence (docs/decisions.md, "Policy review"):
# - two rules of one name (a copied rule not renamed, or one named like
#   another's default "rule N") are an error: records and reports name the
#   rule that decided; a push under such a policy is refused;
# - a UTF-16 policy (libyaml would read it; git diff shows it as binary,
#   so reviewers could not read the change) is refused, a UTF-8 one with a
#   byte order mark is fine;
# - a paths glob with a wildcard and no '/' ('*.tf') hits top-level paths
#   only: config check warns, and a real push shows why (infra/main.tf
#   lands without the operations approval under '*.tf', not under
#   '**/*.tf');
# - config check says when the hooks cannot read the freeze file (they
#   refuse every push then), as twokey check does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

TK="$TK_BIN/twokey"
for k in alice bob dave; do mkkey $k ed25519; done

# policy GLOB [EXTRA-RULES]: main needs bob; GLOB changes need dave (ops).
policy() {
	write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes code, reviewer: approves, operations: deploys}
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [operations]}
pusher: {env: [GL_USER]}
rules:
  - name: mainline
    refs: 'refs/heads/main'
    approvals: {min: 1, from: [reviewer]}
    paths:
      - match: '$1'
        approvals: {min: 1, from: [operations]}
${2:-}
audit: {path: $TRASH/audit.jsonl}
freeze-file: $TRASH/freeze
EOF
}

run_out() {
	"$@" >"$TRASH/out" 2>&1
	rc=$?
}

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "base"
mkdir -p "$w/infra"
echo 'resource "x" {}' >"$w/infra/main.tf"
git -C "$w" add infra/main.tf
test_tick
git -C "$w" -c user.name=alice -c user.email=alice@example.com commit -q -m "seed infra"
policy '**/*.tf'
rm -f "$srv/hooks/pre-receive"
git -C "$w" push -q origin HEAD:refs/heads/main
ln -s "$TK_BIN/twokey-pre-receive" "$srv/hooks/pre-receive"
base=$(head_of "$w")

# tf_change: alice edits infra/main.tf on the server's main; bob (reviewer)
# approves in a note.  Its id in $h.
tf_change() {
	git -C "$w" checkout -q "$(git -C "$srv" rev-parse refs/heads/main)"
	echo "# $tk_tick" >>"$w/infra/main.tf"
	git -C "$w" add infra/main.tf
	test_tick
	git -C "$w" -c user.name=alice -c user.email=alice@example.com commit -q -m "tune infra"
	h=$(head_of "$w")
	git -C "$w" notes --ref=twokey add -f -m "$(approve_raw bob bob bob@example.com "$w" "$h")" "$h"
}

# ============================ '*.tf' vs '**/*.tf' ============================
policy '**/*.tf'
run_out "$TK" config check --strict "$TWOKEY_CONFIG"
check "'**/*.tf': no warning" sh -c 'test "$1" -eq 0 && ! grep -q warning "$2"' - "$rc" "$TRASH/out"
tf_change
refused "'**/*.tf': infra/main.tf without an operations approval is refused" alice "$w" origin refs/notes/twokey HEAD:refs/heads/main
check "...naming the glob" expect_out "\*\*/\*\.tf"

policy '*.tf'
run_out "$TK" config check "$TWOKEY_CONFIG"
check "'*.tf': config check warns with file:line:col" \
	grep -Eq "policy\.yaml:13:9: warning: rule 'mainline', paths '\*\.tf' matches top-level paths only: .*write '\*\*/\*\.tf' for every directory" "$TRASH/out"
check "...and exits 0" test "$rc" -eq 0
run_out "$TK" config check --strict "$TWOKEY_CONFIG"
check "...--strict fails it" test "$rc" -eq 1
accepted "'*.tf': infra/main.tf lands with the reviewer alone (what the warning is about)" alice "$w" origin refs/notes/twokey HEAD:refs/heads/main
policy '/*.tf'
run_out "$TK" config check --strict "$TWOKEY_CONFIG"
check "'/*.tf' (top level on purpose): no warning" sh -c 'test "$1" -eq 0 && ! grep -q warning "$2"' - "$rc" "$TRASH/out"

# ============================ duplicate rule names ============================
policy '**/*.tf' "  - name: mainline
    refs: 'refs/heads/release/.+'"
run_out "$TK" config check "$TWOKEY_CONFIG"
check "two rules named 'mainline': config check fails with file:line:col" \
	sh -c 'test "$1" -eq 1 && grep -Eq "policy\.yaml:15:11: key .rules\[1\]\.name.: a second rule named .mainline. \(the first is at line 9\)" "$2"' - "$rc" "$TRASH/out"
tf_change
git -C "$w" notes --ref=twokey append -m "$(approve_raw dave dave dave@example.com "$w" "$h")" "$h"
main_before=$(git -C "$srv" rev-parse refs/heads/main)
refused "...and a push under it is refused" alice "$w" origin refs/notes/twokey HEAD:refs/heads/main
check "...main did not move" ref_is "$srv" refs/heads/main "$main_before"

policy '**/*.tf' "  - name: rule 3
    refs: 'refs/heads/release/.+'
  - refs: 'refs/heads/hotfix/.+'"
run_out "$TK" config check "$TWOKEY_CONFIG"
check "a rule named 'rule 3' next to the third rule's default name: refused" \
	sh -c 'test "$1" -eq 1 && grep -q "a second rule named .rule 3." "$2"' - "$rc" "$TRASH/out"

policy '**/*.tf' "  - name: releases
    refs: 'refs/heads/release/.+'"
accepted "the twin with distinct names: the same push lands" alice "$w" origin refs/notes/twokey HEAD:refs/heads/main
check "...main moved" ref_is "$srv" refs/heads/main "$h"
check "...the record names the rule" sh -c 'tail -1 "$1" | grep -q "\"rule\":\"mainline\""' - "$TRASH/audit.jsonl"

# ================================ UTF-16 =====================================
policy '**/*.tf'
cp "$TWOKEY_CONFIG" "$TRASH/utf8.yaml"
python3 - "$TRASH/utf8.yaml" "$TWOKEY_CONFIG" <<'EOF'
import sys
open(sys.argv[2], 'wb').write(open(sys.argv[1]).read().encode('utf-16'))
EOF
run_out "$TK" config check "$TWOKEY_CONFIG"
check "a UTF-16 policy: config check fails" \
	sh -c 'test "$1" -eq 1 && grep -q "policy\.yaml:1:1: the policy is UTF-16 text" "$2"' - "$rc" "$TRASH/out"
tf_change
git -C "$w" notes --ref=twokey append -m "$(approve_raw dave dave dave@example.com "$w" "$h")" "$h"
main_before=$(git -C "$srv" rev-parse refs/heads/main)
refused "...a push under it is refused" alice "$w" origin refs/notes/twokey HEAD:refs/heads/main
check "...main did not move" ref_is "$srv" refs/heads/main "$main_before"
printf '\357\273\277' >"$TWOKEY_CONFIG"
cat "$TRASH/utf8.yaml" >>"$TWOKEY_CONFIG"
accepted "UTF-8 with a byte order mark: the same push lands" alice "$w" origin refs/notes/twokey HEAD:refs/heads/main

# ============================ the freeze file ===============================
policy '**/*.tf'
printf 'not a freeze file\n' >"$TRASH/freeze"
run_out "$TK" config check "$TWOKEY_CONFIG"
check "a corrupt freeze file: config check says the hooks refuse every push" \
	grep -q "warning: the freeze file '$TRASH/freeze' is corrupt.*the hooks refuse every push" "$TRASH/out"
check "...(the policy itself is valid: exit 0)" test "$rc" -eq 0
rm -f "$TRASH/freeze"
run_out "$TK" config check "$TWOKEY_CONFIG"
check "no freeze file: nothing said" sh -c '! grep -q "freeze" "$1"' - "$TRASH/out"

done_testing
