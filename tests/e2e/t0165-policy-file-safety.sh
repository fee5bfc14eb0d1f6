#!/bin/sh
# Policy safety (docs/spec.md, "Policy file safety"): what protects
# nothing while it reads as if it did, and files anyone could rewrite.
# - A rule or planned freeze whose refs pattern no ref git writes can
#   match (a pasted space, a final '/', '//', one component under refs/)
#   is warned about by config check, with file:line:col, and --strict
#   fails it; twokey freeze start refuses such a pattern and stores
#   nothing.  A real push shows why: the rule does not apply.
# - A policy file or freeze file writable by every user of the server is
#   not obeyed: the hook refuses every push (YAML and compiled form
#   alike), config check and freeze status say why, and once the mode is
#   repaired the same push lands.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

TK="$TK_BIN/twokey"
for k in alice bob; do mkkey $k ed25519; done

# policy MAIN-PATTERN: main under MAIN-PATTERN needs bob's approval.
policy() {
	write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes code, reviewer: approves, operations: deploys}
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer, operations]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
pusher: {env: [GL_USER]}
rules:
  - name: mainline
    refs: '$1'
    update: [operations]
    approvals: {min: 1, from: [reviewer]}
audit: {path: $TRASH/audit.jsonl}
freeze-file: $TRASH/freeze
EOF
	chmod 644 "$TRASH/policy.yaml"
}

run_out() {
	"$@" >"$TRASH/out" 2>&1
	rc=$?
}

# ======================= patterns that can match no ref =======================
# dead PATTERN REGEX: config check warns at the pattern (line 9, column
# 12: inside the quotes) with REGEX, exits 0, and --strict exits 1.
dead() {
	policy "$1"
	run_out "$TK" config check "$TWOKEY_CONFIG"
	if [ "$rc" -eq 0 ] &&
		grep -Eq "policy\.yaml:9:12: warning: rule 'mainline': refs '.*' can match no ref: $2" "$TRASH/out"; then
		ok "refs '$1': warned with file:line:col"
	else
		not_ok "refs '$1': config check exit $rc, or no warning"
		sed 's/^/#   /' "$TRASH/out"
	fi
	run_out "$TK" config check --strict "$TWOKEY_CONFIG"
	if [ "$rc" -eq 1 ]; then ok "...--strict fails it"; else not_ok "...--strict exit $rc"; fi
}
dead 'refs/heads/main ' "git check-ref-format refuses that name"
dead 'refs/heads/main/' "git check-ref-format refuses that name"
dead 'refs/heads//main' "git check-ref-format refuses that name"
dead '^refs/main$' "git check-ref-format refuses that name"
dead 'refs/heads/rel ease/.+' "every name it matches begins with text git check-ref-format refuses"

# twins that can match: no warning at all
for p in 'refs/heads/main' '^refs/heads/main$' 'refs/heads/main.lock' \
	'refs/heads/(main|release/.+)' 'refs/heads/release/.+'; do
	policy "$p"
	run_out "$TK" config check --strict "$TWOKEY_CONFIG"
	if [ "$rc" -eq 0 ] && ! grep -q warning "$TRASH/out"; then
		ok "refs '$p': no warning"
	else
		not_ok "refs '$p': config check --strict exit $rc"
		sed 's/^/#   /' "$TRASH/out"
	fi
done

# Why it matters: under 'refs/heads/main ' the rule governs nothing, so an
# unapproved commit lands on main (the warning is all that tells).
srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
policy 'refs/heads/main '
commit_as "$w" alice@example.com "base"
accepted "under 'refs/heads/main ' an unapproved push to main lands" bob "$w" origin HEAD:refs/heads/main
check "...and the rule was not applied" no_out "mainline"

# a planned freeze with such a pattern
policy 'refs/heads/main'
cat >>"$TWOKEY_CONFIG" <<'EOF'
freezes:
  - name: year-end
    refs: 'refs/heads/main '
    from: 2026-01-01T00:00:00Z
    until: 2099-01-01T00:00:00Z
    reason: year-end change freeze
EOF
run_out "$TK" config check "$TWOKEY_CONFIG"
check "a planned freeze on 'refs/heads/main ': warned with file:line:col" \
	grep -Eq "policy\.yaml:[0-9]+:[0-9]+: warning: freeze 'year-end': refs 'refs/heads/main ' can match no ref: git check-ref-format refuses" "$TRASH/out"
run_out "$TK" config check --strict "$TWOKEY_CONFIG"
check "...--strict fails it" test "$rc" -eq 1

# ad hoc: refused, nothing stored
policy 'refs/heads/main'
for p in 'refs/heads/main ' 'refs/heads/main/' 'refs/heads//x' 'refs/heads/a b/.*'; do
	run_out "$TK" freeze start --refs "$p" --reason "INC-1 outage"
	if [ "$rc" -eq 2 ] && grep -q "can match no ref" "$TRASH/out" &&
		[ ! -e "$TRASH/freeze" ]; then
		ok "freeze start --refs '$p': refused, nothing stored"
	else
		not_ok "freeze start --refs '$p': exit $rc"
		sed 's/^/#   /' "$TRASH/out"
	fi
done
run_out "$TK" freeze start --refs 'refs/heads/main' --reason "INC-1 outage" --name inc1
check "the twin: freeze start --refs 'refs/heads/main' works" test "$rc" -eq 0
run_out "$TK" freeze stop inc1
check "...and stops" test "$rc" -eq 0

# ============================ world-writable files ============================
policy 'refs/heads/main'
test_tick
git -C "$w" -c user.name=alice -c user.email=alice@example.com commit -q --allow-empty -m "next"
c=$(head_of "$w")
git -C "$w" notes --ref=twokey add -m "$(approve_raw bob bob bob@example.com "$w" "$c")" "$c"
before=$(git -C "$srv" rev-parse refs/heads/main)

chmod 666 "$TWOKEY_CONFIG"
refused "a world-writable policy: the push is refused" alice "$w" origin refs/notes/twokey HEAD:refs/heads/main
check "...the pusher is told the policy is broken" expect_out "policy"
check "...main did not move" ref_is "$srv" refs/heads/main "$before"
run_out "$TK" config check "$TWOKEY_CONFIG"
check "...config check fails" test "$rc" -eq 1
check "...saying why" grep -q "writable by every user of the server (mode 0666)" "$TRASH/out"
run_out sh -c "cd '$srv' && '$TK' check --pusher alice refs/heads/main '$before' '$before'"
check "...twokey check says the hook would refuse" sh -c 'test "$1" -eq 1 && grep -q "writable by every user" "$2"' - "$rc" "$TRASH/out"

# the compiled form of a policy that became world-writable after compiling
chmod 644 "$TWOKEY_CONFIG"
run_out "$TK" config compile "$TWOKEY_CONFIG"
check "config compile" test "$rc" -eq 0
chmod 666 "$TWOKEY_CONFIG"
mv "$TWOKEY_CONFIG.compiled" "$TRASH/compiled.keep"
run_out "$TK" config compile "$TWOKEY_CONFIG"
check "config compile refuses a world-writable policy, saying why" \
	sh -c 'test "$1" -eq 1 && grep -q "writable by every user" "$2" && test ! -e "$3"' - "$rc" "$TRASH/out" "$TWOKEY_CONFIG.compiled"
mv "$TRASH/compiled.keep" "$TWOKEY_CONFIG.compiled"
refused "a world-writable policy with a compiled form: refused too" alice "$w" origin refs/notes/twokey HEAD:refs/heads/main
check "...main did not move" ref_is "$srv" refs/heads/main "$before"
rm -f "$TWOKEY_CONFIG.compiled"

chmod 664 "$TWOKEY_CONFIG"
# a group-writable policy is an admin team's: obeyed
"$TK" freeze start --refs 'refs/heads/main' --reason "INC-2 payments" --name inc2 >/dev/null 2>&1
check "an ad hoc freeze on main" test -f "$TRASH/freeze"
chmod 666 "$TRASH/freeze"
refused "a world-writable freeze file: the push is refused" alice "$w" origin refs/notes/twokey HEAD:refs/heads/main
check "...saying the freeze file cannot be used" expect_out "freeze state cannot be read"
check "...main did not move" ref_is "$srv" refs/heads/main "$before"
run_out "$TK" freeze status
check "...freeze status fails, saying why" sh -c 'test "$1" -ne 0 && grep -q "writable by every user of the server (mode 0666)" "$2"' - "$rc" "$TRASH/out"
run_out "$TK" freeze stop inc2
check "...freeze stop refuses to edit it" test "$rc" -ne 0
chmod 644 "$TRASH/freeze"
run_out "$TK" freeze stop inc2
check "repaired: the freeze stops" test "$rc" -eq 0
accepted "repaired: the same push lands" alice "$w" origin refs/notes/twokey HEAD:refs/heads/main
check "...main moved" ref_is "$srv" refs/heads/main "$c"

done_testing
