#!/bin/sh
# 'twokey config diff OLD NEW' reviews a policy change in people: a
# widening change (a new deployer, a lower approval count, a dropped
# check, a catch-all moved first) exits 1 and says who gains what; a
# narrowing one exits 0; --repo names the refs that move to another rule.
. "$(dirname "$0")/lib.sh"

TK="$TK_BIN/twokey"
run_out() {
	"$@" >"$TRASH/out" 2>&1
	rc=$?
}
OLD="$TK_SRC/config/policy.example.yaml"

# widening: carol also deploys, one approval is enough, the pusher may approve
sed -e 's/^    roles: \[reviewer\]$/    roles: [reviewer, operations]/' \
	-e 's/^      min: 2 /      min: 1 /' \
	-e 's/^    pusher-may-approve: false/    pusher-may-approve: true/' \
	"$OLD" >"$TRASH/wide.yaml"
check "the widened policy is valid" sh -c '"$1" config check "$2" >/dev/null 2>&1' - "$TK" "$TRASH/wide.yaml"
run_out "$TK" config diff "$OLD" "$TRASH/wide.yaml"
check "widening: exit 1" test "$rc" -eq 1
check "widening: carol may now update main" expect_out "^widens: rule 'mainline': update: gained by carol$"
check "widening: ... and create release tags" expect_out "^widens: rule 'release tags': create: gained by carol$"
check "widening: the lower count" expect_out "^widens: rule 'mainline': approvals.min: 2 -> 1$"
check "widening: the dropped check" expect_out "^widens: rule 'mainline': the pusher may now approve$"
check "widening: the reason, as a note" expect_out "^note: identity 'carol': role 'operations' added$"
check "widening: the summary" expect_out "^twokey: the new policy widens access: [0-9]+ changes widen, 0 narrow$"

# narrowing: only operations may force-push the rest, signed commits stay
sed -e 's/^    force-push: \[developer, operations\]/    force-push: [operations]/' \
	"$OLD" >"$TRASH/narrow.yaml"
run_out "$TK" config diff "$OLD" "$TRASH/narrow.yaml"
check "narrowing: exit 0" test "$rc" -eq 0
check "narrowing: alice and bob lose force-push" \
	expect_out "^narrows: rule 'everything else': force-push: lost by alice, bob$"
check "narrowing: nothing widens" no_out "^widens:"
check "narrowing: the summary" expect_out "^twokey: nothing widens \(1 change narrows\)$"
run_out "$TK" config diff "$TRASH/narrow.yaml" "$OLD"
check "the same change backwards widens: exit 1" test "$rc" -eq 1
check "... alice and bob gain force-push" \
	expect_out "^widens: rule 'everything else': force-push: gained by alice, bob$"
run_out "$TK" config diff "$OLD" "$OLD"
check "no change: exit 0" test "$rc" -eq 0
check "no change: said so" expect_out "^twokey: the two policies grant the same permissions$"

# the catch-all moved first: main falls to it
python3 - "$OLD" "$TRASH/reorder.yaml" <<'EOF'
import sys
s = open(sys.argv[1]).read()
a = s.index("  - name: everything else"); b = s.index("\naudit:")
rule = s[a:b + 1]
s = s[:a] + s[b + 1:]
i = s.index("  - name: mainline")
open(sys.argv[2], "w").write(s[:i] + rule + s[i:])
EOF
run_out "$TK" config diff "$OLD" "$TRASH/reorder.yaml"
check "reordered: exit 1" test "$rc" -eq 1
check "reordered: the catch-all now decides mainline's refs, with no approvals" expect_out \
	"^widens: refs both 'mainline' and 'everything else' match \(the rules changed order\) are now decided by 'everything else', not 'mainline': approvals no longer required \(was at least 2\)$"
srv="$TRASH/srv.git"
git init -q --bare "$srv"
w=$(new_work w)
commit_as "$w" alice@example.com "base"
git -C "$w" push -q "$srv" HEAD:refs/heads/main HEAD:refs/heads/feature/x 2>/dev/null
run_out "$TK" config diff --repo "$srv" "$OLD" "$TRASH/reorder.yaml"
check "--repo: exit 1" test "$rc" -eq 1
check "--repo: main moves to the catch-all" expect_out \
	"^note: ref refs/heads/main: now decided by rule 'everything else', not rule 'mainline'$"
check "--repo: ... and anyone may now update it" expect_out \
	"^widens: ref refs/heads/main: now decided by rule 'everything else', not rule 'mainline': update: anyone now, known pusher or not \(was dave\)$"
check "--repo: feature/x stays where it was" no_out "ref refs/heads/feature/x"

# a key added, one revoked
k=$(ssh-keygen -q -t ed25519 -N '' -f "$TRASH/k" -C new >/dev/null && cat "$TRASH/k.pub")
carol_key=$(sed -n 's/^    keys: \["\(ssh-ed25519 [^"]*carol@[^"]*\)"\]$/\1/p' "$OLD")
sed -e "s|^revoked-keys: \[\] .*|revoked-keys: [\"$carol_key\"]|" \
	-e "s|^    keys: \[\"\\(ssh-ed25519 [^\"]*alice@[^\"]*\\)\"\\]\$|    keys: [\"\\1\", \"$k\"]|" \
	"$OLD" >"$TRASH/keys.yaml"
run_out "$TK" config diff "$OLD" "$TRASH/keys.yaml"
check "keys: exit 1 (a new key is a new credential)" test "$rc" -eq 1
check "keys: alice's new key" expect_out \
	"^widens: identity 'alice': key ssh-ed25519 $(ssh-keygen -lf "$TRASH/k.pub" | cut -d' ' -f2 | sed 's/[+/]/\\&/g') added$"
check "keys: carol's key revoked" expect_out "^narrows: key ssh-ed25519 SHA256:[^ ]+ revoked$"

# per-role minimums (require:) of a rule, a paths entry and an emergency's
# ratification: each change said once, in both directions
mins() { # FILE RULE-REQUIRE PATHS-REQUIRE RATIFY-REQUIRE
	cat >"$1" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: reviews
  security: security sign-off
  operations: deploys
identities:
  alice:
    emails: [alice@example.com]
    roles: [developer, operations]
rules:
  - name: mainline
    refs: refs/heads/main
    approvals:
      min: 2
      from: [reviewer, security]
      require: {$2}
    paths:
      - match: 'infra/**'
        approvals: {min: 2, from: [reviewer, security], require: {$3}}
    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 24h, min: 2, from: [reviewer, security], require: {$4}}
EOF
}
mins "$TRASH/m1.yaml" "security: 1" "security: 1" "security: 1"
run_out "$TK" config diff "$TRASH/m1.yaml" "$TRASH/m1.yaml"
check "require minimums, policy against itself: nothing changes" \
	expect_out "^twokey: the two policies grant the same permissions$"
check "... and no line says one does" no_out "^(widens|narrows):"
mins "$TRASH/m2.yaml" "security: 2" "security: 1, reviewer: 1" "security: 2"
run_out "$TK" config diff "$TRASH/m1.yaml" "$TRASH/m2.yaml"
check "raised minimums narrow: exit 0" test "$rc" -eq 0
check "the rule's raised minimum, said once" \
	test "$(grep -c "^narrows: rule 'mainline': approvals.require security: 1 -> 2$" "$TRASH/out")" -eq 1
check "the paths entry's new role minimum, said once" \
	test "$(grep -c "^narrows: rule 'mainline': paths 'infra/\*\*': approvals.require reviewer: 0 -> 1$" "$TRASH/out")" -eq 1
check "the ratification's raised minimum (a narrowing is said too)" \
	expect_out "^narrows: rule 'mainline': emergency.ratify.require security: 1 -> 2$"
check "three changes in all" expect_out "^twokey: nothing widens \(3 changes narrow\)$"
run_out "$TK" config diff "$TRASH/m2.yaml" "$TRASH/m1.yaml"
check "lowered minimums widen: exit 1" test "$rc" -eq 1
check "... the paths entry's role dropped" \
	expect_out "^widens: rule 'mainline': paths 'infra/\*\*': approvals.require reviewer: 1 -> 0$"
check "... the ratification's lowered" \
	expect_out "^widens: rule 'mainline': emergency.ratify.require security: 2 -> 1$"
check "... three of them" expect_out "^twokey: the new policy widens access: 3 changes widen, 0 narrow$"
# a minimum of 0 is an error wherever require: is (it asks for nothing)
mins "$TRASH/z1.yaml" "security: 0" "security: 1" "security: 1"
mins "$TRASH/z2.yaml" "security: 1" "security: 0" "security: 1"
mins "$TRASH/z3.yaml" "security: 1" "security: 1" "security: 0"
run_out "$TK" config check "$TRASH/z1.yaml"
check "require of 0 in a rule: refused with file:line:col" expect_out \
	"^$TRASH/z1.yaml:17:27: key 'rules\[0\]\.approvals\.require\.security': must be at least 1 \(drop the role to require none\)$"
run_out "$TK" config check "$TRASH/z2.yaml"
check "... in a paths entry" expect_out \
	"^$TRASH/z2.yaml:20:77: key 'rules\[0\]\.paths\[0\]\.approvals\.require\.security': must be at least 1"
run_out "$TK" config check "$TRASH/z3.yaml"
check "... in an emergency's ratify" expect_out \
	"^$TRASH/z3.yaml:24:85: key 'rules\[0\]\.emergency\.ratify\.require\.security': must be at least 1"

run_out "$TK" config diff "$OLD"
check "one file only: usage error, exit 2" test "$rc" -eq 2
run_out "$TK" config diff "$OLD" "$TRASH/missing.yaml"
check "a missing file: exit 2" test "$rc" -eq 2

done_testing
