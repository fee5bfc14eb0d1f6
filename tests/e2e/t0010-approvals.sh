#!/bin/sh
# Approvals (docs/spec.md, "Entering commits and the separation rule",
# "Valid approvals" and "Approval trailer v1"), end to end: keys made now (ed25519, ecdsa, rsa-3072),
# approvals from the real `twokey approve` and from ssh-keygen -Y sign over
# a payload built here, trailers added with git commit --amend --trailer,
# real pushes through the pre-receive hook with GL_USER set.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for k in alice bob bob2 dave frank grace heidi ivan mallory outsider; do
	mkkey $k ed25519
done
mkkey carol ecdsa 384
mkkey erin rsa 3072

write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  security: security sign-off
  operations: deploys
identities:
  alice:
    emails: [alice@example.com, alice@users.noreply.example.com]
    logins: [alice]
    keys: ["$(pub alice)"]
    roles: [developer]
  bob:
    name: Bob Reviewer
    emails: [bob@example.com]
    logins: [bob]
    keys: ["$(pub bob)", "$(pub bob2)"]
    roles: [reviewer, security]
  carol:
    emails: [carol@example.com]
    logins: [carol]
    keys: ["$(pub carol)"]
    roles: [reviewer]
  erin:
    emails: [erin@example.com]
    keys: ["$(pub erin)"]
    roles: [reviewer]
  dave:
    emails: [dave@example.com]
    logins: [dave]
    keys: ["$(pub dave)"]
    roles: [operations, reviewer]
  frank:
    emails: [frank@example.com]
    keys: ["$(pub frank)"]
    roles: [developer]
  grace:
    emails: [grace@example.com]
    keys: ["$(pub grace)"]
    roles: [reviewer]
  heidi:
    emails: [heidi@example.com]
    keys:
      - key: "$(pub heidi)"
        valid-after: 2018-01-01
        valid-before: 2020-01-01
    roles: [reviewer]
  ivan:
    emails: [ivan@example.com]
    keys:
      - key: "$(pub ivan)"
        valid-after: 2099-01-01
    roles: [reviewer]
  mallory:
    emails: [mallory@example.com]
    keys: ["$(pub mallory)"]
    roles: [reviewer]
revoked-keys:
  - "$(pub grace)"
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    approvals: {min: 2, from: [reviewer, security]}
    pusher-may-approve: false
  - name: dual
    refs: 'refs/heads/dual/.+'
    approvals:
      min: 2
      from: [reviewer, security]
      require: {security: 1}
  - name: pair
    refs: 'refs/heads/pair/.+'
    approvals: {min: 2, from: [reviewer]}
  - name: solo
    refs: 'refs/heads/solo/.+'
    approvals: {min: 1, from: [reviewer]}
  - name: strict
    refs: 'refs/heads/strict/.+'
    approvals: {min: 1, from: [reviewer]}
    pusher-may-approve: false
EOF
check "the policy is valid" sh -c '"$TK_BIN/twokey" config check "$TWOKEY_CONFIG" >/dev/null'

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
reviewer bob bob@example.com "$w"
reviewer carol carol@example.com "$w"
reviewer erin erin@example.com "$w"
reviewer dave dave@example.com "$w"
reviewer frank frank@example.com "$w"
reviewer alice2 alice@users.noreply.example.com "$w"

# The admin seeds main (through an unprotected ref, then on the server).
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
expect_push accept "seed" dave "$w" "$base:refs/heads/scratch" \
	refs/heads/scratch "$base"
git -C "$srv" update-ref refs/heads/main "$base"
# A ref vouches for a created ref's history only under a rule at least as
# strict (main's admits security approvals, so it vouches for none of
# these): each family gets base from a ref under its own rule.
for r in dual pair solo strict; do
	git -C "$srv" update-ref "refs/heads/$r/base" "$base"
done
tip=$base

# fresh SUBJECT: a new commit by alice on main's tip; its id in $c.
fresh() {
	git -C "$w" reset -q --hard "$tip"
	commit_as "$w" alice@example.com "$1"
	c=$(head_of "$w")
}
ERR="^remote: twokey: error:"
NOT="not approved: needs"

# --- quorum: min 2 -----------------------------------------------------
fresh "quorum change"
t_carol=$(approve_tk carol carol "$c")
check "twokey approve (ecdsa) printed a trailer" sh -c \
	"printf '%s\\n' '$t_carol' | grep -Eqx 'Approved-by: carol <carol@example.com> sshsig:U1NIU0lH[A-Za-z0-9+/=]+'"
t_bob=$(approve_tk bob bob "$c")
t_bob_raw=$(approve_raw bob "bob" bob@example.com "$w" "$c")
check "twokey approve and ssh-keygen -Y sign over the spec payload agree byte for byte (ed25519)" \
	test "$t_bob" = "$t_bob_raw"
add_trailers "$w" alice@example.com "$t_carol"
h=$(head_of "$w")
expect_push refuse "quorum not met (1 of 2)" dave "$w" HEAD:refs/heads/main \
	refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"quorum change\": $NOT 1 more approval; counted: carol \([a-z, ]*\) \[rule 'mainline'\]; next: a reviewer who wrote none of it runs 'twokey approve" \
	"^remote: twokey: refused refs/heads/main under rule 'mainline' \(1 problem\)"
add_trailers "$w" alice@example.com "$t_bob"
h=$(head_of "$w")
expect_push accept "quorum met (carol ecdsa + bob ed25519)" dave "$w" HEAD:refs/heads/main \
	refs/heads/main "$h" "^remote: twokey: accepted refs/heads/main under rule 'mainline'( |$)"
check "no error when accepted" no_out "twokey: error"
tip=$h

# interoperable the other way: raw ssh-keygen (ecdsa) + twokey approve (rsa)
fresh "mixed clients"
t1=$(approve_raw carol "Carol C" carol@example.com "$w" "$c")
t2=$(approve_tk erin erin "$c")
add_trailers "$w" alice@example.com "$t1" "$t2"
h=$(head_of "$w")
expect_push accept "ssh-keygen-made ecdsa + twokey-approve rsa-3072 approvals" dave "$w" \
	HEAD:refs/heads/pair/mixed refs/heads/pair/mixed "$h" \
	"^remote: twokey: accepted refs/heads/pair/mixed under rule 'pair'( |$)"

# SSHSIG with hash sha256 instead of the default sha512 (rsa and ed25519)
fresh "sha256 signatures"
t1=$(SIGN_OPTS="-O hashalg=sha256" approve_raw erin erin erin@example.com "$w" "$c")
t2=$(SIGN_OPTS="-O hashalg=sha256" approve_raw bob bob bob@example.com "$w" "$c")
check "the blobs name sha256" sh -c "for t in '${t1#*sshsig:}' '${t2#*sshsig:}'; do printf %s \"\$t\" | base64 -d | grep -aq sha256 || exit 1; done"
add_trailers "$w" alice@example.com "$t1" "$t2"
h=$(head_of "$w")
expect_push accept "approvals hashed with sha256" dave "$w" \
	HEAD:refs/heads/pair/sha256 refs/heads/pair/sha256 "$h" \
	"^remote: twokey: accepted refs/heads/pair/sha256 under rule 'pair'( |$)"

# twokey approve's other key sources: git's user.signingKey, and ssh-agent
# (a key:: literal, and the agent's first key), with an empty user.name
fresh "keys from config and agent"
reviewer erin-cfg erin@example.com "$w"
git -C "$TRASH/rev-erin-cfg" config user.name erin
git -C "$TRASH/rev-erin-cfg" config user.signingKey "$KEYS/erin"
t1=$(cd "$TRASH/rev-erin-cfg" && "$TK_BIN/twokey" approve --trailer "$c" 2>/dev/null)
reviewer bob-agent bob@example.com "$w"
git -C "$TRASH/rev-bob-agent" config user.name ""
agent_pid=$(ssh-agent -a "$TRASH/agent.sock" -s | sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p')
SSH_AUTH_SOCK="$TRASH/agent.sock" ssh-add -q "$KEYS/bob" 2>/dev/null
mv "$KEYS/bob" "$KEYS/bob.away" # only the agent holds the private key now
t2=$(cd "$TRASH/rev-bob-agent" && SSH_AUTH_SOCK="$TRASH/agent.sock" \
	"$TK_BIN/twokey" approve --trailer -k "key::$(pub bob)" "$c" 2>/dev/null)
t3=$(cd "$TRASH/rev-bob-agent" && SSH_AUTH_SOCK="$TRASH/agent.sock" \
	"$TK_BIN/twokey" approve --trailer "$c" 2>/dev/null)
mv "$KEYS/bob.away" "$KEYS/bob"
[ -n "$agent_pid" ] && kill "$agent_pid"
check "user.signingKey: erin's rsa trailer" sh -c "printf '%s\\n' '$t1' | grep -q '^Approved-by: erin <erin@example.com> sshsig:U1NIU0lH'"
t_file=$(approve_raw bob "" bob@example.com "$w" "$c")
check "agent, key:: literal: same trailer as ssh-keygen with the key file (ed25519)" \
	test "$t2" = "$t_file"
check "agent's first key gives the same" test "$t3" = "$t2"
add_trailers "$w" alice@example.com "$t1" "$t2"
h=$(head_of "$w")
expect_push accept "config-key and agent-key approvals, empty display name" dave "$w" \
	HEAD:refs/heads/pair/agent refs/heads/pair/agent "$h" \
	"^remote: twokey: accepted refs/heads/pair/agent under rule 'pair'( |$)"

# --- dual control: require {security: 1} --------------------------------
fresh "dual control"
t_carol=$(approve_tk carol carol "$c")
t_erin=$(approve_tk erin erin "$c")
t_bob=$(approve_tk bob bob "$c")
add_trailers "$w" alice@example.com "$t_carol" "$t_erin"
h=$(head_of "$w")
expect_push refuse "dual control not met (two reviewers, no security)" dave "$w" \
	HEAD:refs/heads/dual/a refs/heads/dual/a "" \
	"$ERR refs/heads/dual/a: $(short "$h") \"dual control\": $NOT 1 more from role security; counted: carol \([a-z, ]*\), erin \([a-z, ]*\) \[rule 'dual'\]"
git -C "$w" reset -q --hard "$c"
add_trailers "$w" alice@example.com "$t_carol" "$t_bob"
h=$(head_of "$w")
expect_push accept "dual control met (carol + bob of security)" dave "$w" \
	HEAD:refs/heads/dual/b refs/heads/dual/b "$h" \
	"^remote: twokey: accepted refs/heads/dual/b under rule 'dual'( |$)"

# --- the author approves under her second email ---------------------------
fresh "self approval"
t=$(approve_tk alice2 alice "$c")
add_trailers "$w" alice@example.com "$t"
h=$(head_of "$w")
expect_push refuse "author's own approval under a second email" dave "$w" \
	HEAD:refs/heads/solo/self refs/heads/solo/self "" \
	"$ERR refs/heads/solo/self: $(short "$h") \"self approval\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/self: $(short "$h") \"self approval\": approval by <alice@users.noreply.example.com> not counted: alice is a writer of this change"

# --- an approval copied from another commit -------------------------------
fresh "the approved one"
t=$(approve_tk bob bob "$c")
fresh "the copy target"
add_trailers "$w" alice@example.com "$t"
h=$(head_of "$w")
expect_push refuse "approval copied from another commit's message" dave "$w" \
	HEAD:refs/heads/solo/copied refs/heads/solo/copied "" \
	"$ERR refs/heads/solo/copied: $(short "$h") \"the copy target\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/copied: $(short "$h") \"the copy target\": approval by <bob@example.com> not counted: its signature does not match this commit"

# --- stale approvals: message or tree changed after approval -------------
fresh "before rewording"
t=$(approve_tk bob bob "$c")
amend_as "$w" alice@example.com -m "after rewording"
add_trailers "$w" alice@example.com "$t"
h=$(head_of "$w")
expect_push refuse "approval made before the message was amended" dave "$w" \
	HEAD:refs/heads/solo/reworded refs/heads/solo/reworded "" \
	"$ERR refs/heads/solo/reworded: $(short "$h") \"after rewording\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/reworded: $(short "$h") \"after rewording\": approval by <bob@example.com> not counted: its signature does not match this commit"
fresh "tree changes later"
t=$(approve_tk bob bob "$c")
echo "sneaky" >>"$w/sneaky.txt"
git -C "$w" add sneaky.txt
amend_as "$w" alice@example.com --no-edit
add_trailers "$w" alice@example.com "$t"
h=$(head_of "$w")
check "the tree did change" test "$(git -C "$w" rev-parse "$c^{tree}")" != "$(git -C "$w" rev-parse "$h^{tree}")"
expect_push refuse "approval made before the tree was amended" dave "$w" \
	HEAD:refs/heads/solo/retreed refs/heads/solo/retreed "" \
	"$ERR refs/heads/solo/retreed: $(short "$h") \"tree changes later\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/retreed: $(short "$h") \"tree changes later\": approval by <bob@example.com> not counted: its signature does not match this commit"

# --- still valid after adding other approvals and re-signing --------------
fresh "amended only for approvals"
t_bob=$(approve_tk bob bob "$c")
add_trailers "$w" alice@example.com "$t_bob"
mid=$(head_of "$w")
# carol approves the intermediate commit, which already carries bob's trailer
t_carol=$(approve_tk carol carol "$mid")
add_trailers "$w" alice@example.com "$t_carol"
test_tick
git -C "$w" -c user.name=alice -c user.email=alice@example.com \
	-c gpg.format=ssh -c user.signingKey="$KEYS/alice" commit -q --amend --no-edit -S
h=$(head_of "$w")
check "the final commit is SSH-signed" sh -c "git -C '$w' cat-file commit $h | grep -q '^gpgsig -----BEGIN SSH SIGNATURE-----'"
check "three amends made three different commits" test "$c" != "$mid" -a "$mid" != "$h"
check "committer date moved on" test "$(git -C "$w" log -1 --format=%ct "$c")" != "$(git -C "$w" log -1 --format=%ct "$h")"
expect_push accept "approvals survive amends that add approvals and a signature" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" \
	"^remote: twokey: accepted refs/heads/main under rule 'mainline'( |$)"
tip=$h
# ... but another trailer (Signed-off-by) is part of the message: voids them
fresh "signed off after approval"
t_bob=$(approve_tk bob bob "$c")
t_carol=$(approve_tk carol carol "$c")
add_trailers "$w" alice@example.com "$t_bob" "$t_carol" \
	"Signed-off-by: alice <alice@example.com>"
h=$(head_of "$w")
expect_push refuse "a Signed-off-by added after approval changes the message" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"signed off after approval\": $NOT 2 more approvals; counted: none; 2 approvals? not counted" \
	"^remote: twokey: note: refs/heads/main: $(short "$h") \"signed off after approval\": approval by <bob@example.com> not counted: its signature does not match this commit" \
	"^remote: twokey: note: refs/heads/main: $(short "$h") \"signed off after approval\": approval by <carol@example.com> not counted: its signature does not match this commit"

# ... while a Signed-off-by that was there before approval stays part of it
fresh "signed off before approval"
amend_as "$w" alice@example.com --no-edit --trailer "Signed-off-by: alice <alice@example.com>"
c=$(head_of "$w")
t_bob=$(approve_tk bob bob "$c")
t_erin=$(approve_raw erin erin erin@example.com "$w" "$c")
add_trailers "$w" alice@example.com "$t_bob" "$t_erin"
h=$(head_of "$w")
check "git put the approvals in the Signed-off-by block" test \
	"$(git -C "$w" log -1 --format=%B "$h" | sed '/^$/d' | cut -c1-14 | tr '\n' ,)" = \
	"signed off bef,Signed-off-by:,Approved-by: b,Approved-by: e,"
expect_push accept "approvals of a signed-off commit, added below Signed-off-by" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" \
	"^remote: twokey: accepted refs/heads/main under rule 'mainline'( |$)"
tip=$h
# the author line (its date) and the parents are in the payload too
fresh "author date moved"
t=$(approve_tk bob bob "$c")
amend_as "$w" alice@example.com --no-edit --date="2026-02-02T00:00:00Z" --trailer "$t"
h=$(head_of "$w")
expect_push refuse "approval made before the author date was changed" dave "$w" \
	HEAD:refs/heads/solo/redated refs/heads/solo/redated "" \
	"$ERR refs/heads/solo/redated: $(short "$h") \"author date moved\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/redated: $(short "$h") \"author date moved\": approval by <bob@example.com> not counted: its signature does not match this commit"
fresh "reparented"
t=$(approve_tk carol carol "$c")
add_trailers "$w" alice@example.com "$t"
good=$(head_of "$w")
# the same tree, author and message, on another parent (scratch's base)
h=$(git -C "$w" cat-file commit "$good" |
	sed "s/^parent .*/parent $(git -C "$w" rev-parse "$base")/" |
	git -C "$w" hash-object -t commit -w --stdin)
check "only the parent differs" test "$(git -C "$w" rev-parse "$h^{tree}")" = "$(git -C "$w" rev-parse "$good^{tree}")"
expect_push refuse "approval made for another parent" dave "$w" \
	"$h:refs/heads/solo/reparented" refs/heads/solo/reparented "" \
	"$ERR refs/heads/solo/reparented: $(short "$h") \"reparented\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/reparented: $(short "$h") \"reparented\": approval by <carol@example.com> not counted: its signature does not match this commit"
expect_push accept "the commit as approved is accepted" dave "$w" \
	HEAD:refs/heads/solo/reparented refs/heads/solo/reparented "$good" \
	"^remote: twokey: accepted refs/heads/solo/reparented under rule 'solo'( |$)"

# --- keys and emails that do not fit ----------------------------------------
fresh "outsider approves"
t=$(approve_raw outsider "Olga" outsider@example.com "$w" "$c")
add_trailers "$w" alice@example.com "$t"
h=$(head_of "$w")
fp=$(ssh-keygen -lf "$KEYS/outsider.pub" | awk '{print $2}')
expect_push refuse "approval by a key outside the policy" dave "$w" \
	HEAD:refs/heads/solo/outsider refs/heads/solo/outsider "" \
	"$ERR refs/heads/solo/outsider: $(short "$h") \"outsider approves\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/outsider: $(short "$h") \"outsider approves\": approval by <outsider@example.com> not counted: signed by a key not in the policy \($(ere "$fp")\)"

fresh "forged email"
t=$(approve_raw mallory "Carol" carol@example.com "$w" "$c")
add_trailers "$w" alice@example.com "$t"
h=$(head_of "$w")
expect_push refuse "trailer names carol, key is mallory's" dave "$w" \
	HEAD:refs/heads/solo/forged refs/heads/solo/forged "" \
	"$ERR refs/heads/solo/forged: $(short "$h") \"forged email\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/forged: $(short "$h") \"forged email\": approval by <carol@example.com> not counted: forged: the trailer names <carol@example.com>, which is not an email of mallory, who signed it"

# --- one identity counts once ----------------------------------------------
fresh "two keys one person"
t1=$(approve_tk bob bob "$c")
t2=$(approve_tk bob bob2 "$c")
t3=$(approve_raw bob2 "Bob" BOB@Example.COM "$w" "$c")
check "bob's two keys made two different trailers" test "$t1" != "$t2"
add_trailers "$w" alice@example.com "$t1" "$t2" "$t3"
h=$(head_of "$w")
expect_push refuse "bob with two keys (and a shouted email) is one approval of 2" dave "$w" \
	HEAD:refs/heads/pair/bob refs/heads/pair/bob "" \
	"$ERR refs/heads/pair/bob: $(short "$h") \"two keys one person\": $NOT 1 more approval; counted: bob \([a-z, ]*\) \[rule 'pair'\]"
add_trailers "$w" alice@example.com "$(approve_tk erin erin "$c")"
h=$(head_of "$w")
expect_push accept "adding erin meets min 2" dave "$w" \
	HEAD:refs/heads/pair/bob refs/heads/pair/bob "$h" \
	"^remote: twokey: accepted refs/heads/pair/bob under rule 'pair'( |$)"

# --- Approved-by without sshsig: ---------------------------------------------
fresh "bare approved-by"
add_trailers "$w" alice@example.com "Approved-by: Bob Reviewer <bob@example.com>"
h=$(head_of "$w")
expect_push refuse "an Approved-by line without sshsig: is no approval" dave "$w" \
	HEAD:refs/heads/solo/bare refs/heads/solo/bare "" \
	"$ERR refs/heads/solo/bare: $(short "$h") \"bare approved-by\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/bare: $(short "$h") \"bare approved-by\": approval by <bob@example.com> not counted: it carries no sshsig: signature, so it is not an approval"
add_trailers "$w" alice@example.com "$(approve_tk carol carol "$c")"
h=$(head_of "$w")
expect_push accept "with a real approval beside it: accepted" dave "$w" \
	HEAD:refs/heads/solo/bare refs/heads/solo/bare "$h" \
	"^remote: twokey: accepted refs/heads/solo/bare under rule 'solo'( |$)"
# docs/spec.md: such a line is reported and ignored, also when not needed.
check "the bare Approved-by line is reported on the accepted push too" \
	expect_out "^remote: twokey: .*bob@example\\.com.*sshsig"

# --- the approver amends the commit: now its committer ----------------------
fresh "reviewer amends"
t=$(approve_tk carol carol "$c")
amend_as "$w" carol@example.com --no-edit --trailer "$t"
h=$(head_of "$w")
check "author is still alice, committer is carol" test \
	"$(git -C "$w" log -1 --format='%ae %ce' "$h")" = "alice@example.com carol@example.com"
expect_push refuse "the approver became the committer" dave "$w" \
	HEAD:refs/heads/solo/amended refs/heads/solo/amended "" \
	"$ERR refs/heads/solo/amended: $(short "$h") \"reviewer amends\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/amended: $(short "$h") \"reviewer amends\": approval by <carol@example.com> not counted: carol is a writer of this change"

# --- the pusher approves ---------------------------------------------------
fresh "pusher approves"
add_trailers "$w" alice@example.com "$(approve_tk dave dave "$c")"
h=$(head_of "$w")
expect_push refuse "pusher-may-approve: false: dave's approval of his own push" dave "$w" \
	HEAD:refs/heads/strict/p refs/heads/strict/p "" \
	"$ERR refs/heads/strict/p: $(short "$h") \"pusher approves\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/strict/p: $(short "$h") \"pusher approves\": approval by <dave@example.com> not counted: dave is pushing, and the rule does not let the pusher approve"
expect_push accept "default pusher-may-approve: dave's approval counts" dave "$w" \
	HEAD:refs/heads/solo/p refs/heads/solo/p "$h" \
	"^remote: twokey: accepted refs/heads/solo/p under rule 'solo'( |$)"
expect_push accept "pusher-may-approve: false: someone else pushes it" carol "$w" \
	HEAD:refs/heads/strict/p refs/heads/strict/p "$h" \
	"^remote: twokey: accepted refs/heads/strict/p under rule 'strict'( |$)"

# --- roles, revocation, validity ---------------------------------------------
fresh "developer approves"
add_trailers "$w" alice@example.com "$(approve_tk frank frank "$c")"
h=$(head_of "$w")
expect_push refuse "approver without a role in from" dave "$w" \
	HEAD:refs/heads/solo/norole refs/heads/solo/norole "" \
	"$ERR refs/heads/solo/norole: $(short "$h") \"developer approves\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/norole: $(short "$h") \"developer approves\": approval by <frank@example.com> not counted: frank holds no role this rule accepts approvals from"

fresh "revoked approver"
add_trailers "$w" alice@example.com "$(approve_raw grace grace grace@example.com "$w" "$c")"
h=$(head_of "$w")
expect_push refuse "approval by a revoked key" dave "$w" \
	HEAD:refs/heads/solo/revoked refs/heads/solo/revoked "" \
	"$ERR refs/heads/solo/revoked: $(short "$h") \"revoked approver\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/revoked: $(short "$h") \"revoked approver\": approval by <grace@example.com> not counted: signed by a revoked key of grace"

fresh "expired approver"
add_trailers "$w" alice@example.com "$(approve_raw heidi heidi heidi@example.com "$w" "$c")"
h=$(head_of "$w")
expect_push refuse "approval by a key past its valid-before" dave "$w" \
	HEAD:refs/heads/solo/expired refs/heads/solo/expired "" \
	"$ERR refs/heads/solo/expired: $(short "$h") \"expired approver\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/expired: $(short "$h") \"expired approver\": approval by <heidi@example.com> not counted: signed by a key of heidi that is outside its validity window now"

fresh "approver from the future"
add_trailers "$w" alice@example.com "$(approve_raw ivan ivan ivan@example.com "$w" "$c")"
h=$(head_of "$w")
expect_push refuse "approval by a key before its valid-after" dave "$w" \
	HEAD:refs/heads/solo/early refs/heads/solo/early "" \
	"$ERR refs/heads/solo/early: $(short "$h") \"approver from the future\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/early: $(short "$h") \"approver from the future\": approval by <ivan@example.com> not counted: signed by a key of ivan that is outside its validity window now"

# --- the signer of a commit is a writer, even where signatures are optional --
git -C "$w" reset -q --hard "$tip"
test_tick
echo cosigned >"$w/cosigned"
git -C "$w" add cosigned
git -C "$w" -c user.name=alice -c user.email=alice@example.com -c gpg.format=ssh \
	-c user.signingKey="$KEYS/bob" commit -q -S -m "signed by bob"
c=$(head_of "$w")
t_bob=$(approve_tk bob bob "$c")
test_tick
git -C "$w" -c user.name=alice -c user.email=alice@example.com -c gpg.format=ssh \
	-c user.signingKey="$KEYS/bob" commit -q --amend --no-edit -S --trailer "$t_bob"
h=$(head_of "$w")
check "alice's commit carries bob's signature" sh -c "git -C '$w' cat-file commit $h | grep -q '^gpgsig '"
expect_push refuse "bob signed alice's commit: his approval is void" dave "$w" \
	HEAD:refs/heads/solo/cosigned refs/heads/solo/cosigned "" \
	"$ERR refs/heads/solo/cosigned: $(short "$h") \"signed by bob\": $NOT 1 more approval; counted: none; 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/solo/cosigned: $(short "$h") \"signed by bob\": approval by <bob@example.com> not counted: bob is a writer of this change"

# --- a root commit (no parent lines) with a non-ASCII author name -------------
git -C "$w" checkout -q --orphan orphan
git -C "$w" rm -rq --cached . && rm -f "$w"/file-* "$w"/sneaky.txt "$w"/cosigned
echo root >"$w/root.txt"
git -C "$w" add root.txt
test_tick
git -C "$w" -c user.name="Zoë Ünïcode" -c user.email=alice@example.com commit -q -m "orphan root"
c=$(head_of "$w")
check "a root commit" test "$(git -C "$w" rev-list --parents -n1 "$c")" = "$c"
t1=$(approve_tk carol carol "$c")
t2=$(approve_raw bob "Bob" bob@example.com "$w" "$c")
check "its payload has no parent line" sh -c "! grep -q '^parent ' '$TRASH/payload'"
check "its payload has the UTF-8 author byte for byte" grep -q "^author Zoë Ünïcode <alice@example.com> $tk_tick +0000$" "$TRASH/payload"
amend_as "$w" alice@example.com --no-edit --trailer "$t1" --trailer "$t2"
h=$(head_of "$w")
expect_push accept "root commit approved by carol and bob" dave "$w" \
	HEAD:refs/heads/pair/orphan refs/heads/pair/orphan "$h" \
	"^remote: twokey: accepted refs/heads/pair/orphan under rule 'pair'( |$)"
git -C "$w" checkout -q -f --detach "$tip"

# --- trailer syntax: folded base64, lower-case key ---------------------------
fresh "folded approval"
t=$(approve_tk carol carol "$c")
b64=${t#*sshsig:}
{
	echo "folded approval"
	echo
	printf 'Approved-by: carol <carol@example.com> sshsig:%s\n' "$(printf %s "$b64" | cut -c1-40)"
	printf ' %s\n' "$(printf %s "$b64" | cut -c41-100)"
	printf '\t  %s\n' "$(printf %s "$b64" | cut -c101-)"
} >"$TRASH/msg"
amend_as "$w" alice@example.com -F "$TRASH/msg"
h=$(head_of "$w")
check "the trailer is folded over three lines" test \
	"$(git -C "$w" log -1 --format=%B "$h" | grep -c '^[ 	]')" -eq 2
expect_push accept "base64 folded onto continuation lines is counted" dave "$w" \
	HEAD:refs/heads/solo/folded refs/heads/solo/folded "$h" \
	"^remote: twokey: accepted refs/heads/solo/folded under rule 'solo'( |$)"

fresh "lower case key"
t=$(approve_tk erin erin "$c")
printf 'lower case key\n\napproved-by: %s\n' "${t#Approved-by: }" >"$TRASH/msg"
amend_as "$w" alice@example.com -F "$TRASH/msg"
h=$(head_of "$w")
check "the key is written approved-by" sh -c "git -C '$w' log -1 --format=%B $h | grep -q '^approved-by: erin'"
expect_push accept "approved-by: (lower case) is counted" dave "$w" \
	HEAD:refs/heads/solo/lower refs/heads/solo/lower "$h" \
	"^remote: twokey: accepted refs/heads/solo/lower under rule 'solo'( |$)"

check "main ends where the last accepted main push left it" ref_is "$srv" refs/heads/main "$tip"

# --- the same decisions from the update hook ---------------------------------
srv=$(new_server srv-update update)
git -C "$w" remote set-url origin "$srv"
git -C "$srv" fetch -q "$TRASH/srv.git" refs/heads/main:refs/heads/main
fresh "update hook"
t1=$(approve_tk bob bob "$c")
t2=$(approve_tk bob bob2 "$c")
add_trailers "$w" alice@example.com "$t1" "$t2"
h=$(head_of "$w")
expect_push refuse "update hook: bob's two keys are one approval" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"update hook\": $NOT 1 more approval; counted: bob \([a-z, ]*\) \[rule 'mainline'\]" \
	"\[remote rejected\] HEAD -> main \(hook declined\)"
add_trailers "$w" alice@example.com "$(approve_tk carol carol "$c")"
h=$(head_of "$w")
expect_push accept "update hook: bob and carol" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" \
	"^remote: twokey: accepted refs/heads/main under rule 'mainline'( |$)"
done_testing
