#!/bin/sh
# Who wrote an emergency's commits is fixed at push time, and the policy
# may change before the ratification: a writer the policy did not know then
# (an unknown author or committer email, a signing key nobody listed),
# given an identity later, or a writer whose identity was renamed, must not
# ratify their own commit (docs/spec.md, "Emergency changes").  The state
# keeps each commit's writers as identity ids, emails and signing-key
# fingerprints; the ratification also reads the commit again.  Under
# pusher-may-approve: false the pusher is kept the same way (logins, emails,
# keys), so renaming the pusher's identity does not make them a ratifier.  State
# written before emails and keys were kept (version 1) is still read, and
# the commit read again keeps it safe; a state of a version twokey does not
# know refuses every push.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in bob olga dave mallory kim cody nina; do mkkey $k ed25519; done

# policy v1|v2 LOG: before the emergencies (v1) and after (v2: bob renamed
# robert, olga renamed olga-ops and made a reviewer; mallory, kim, cody and
# nina given identities as reviewers)
policy() {
	if [ "$1" = v1 ]; then
		ids="  olga: {emails: [olga@example.com], logins: [olga], keys: [\"$(pub olga)\"], roles: [operations]}
  bob: {emails: [bob@example.com], keys: [\"$(pub bob)\"], roles: [reviewer]}"
	else
		ids="  olga-ops: {emails: [olga@example.com], logins: [olga], keys: [\"$(pub olga)\"], roles: [operations, reviewer]}
  robert: {emails: [bob@example.com], keys: [\"$(pub bob)\"], roles: [reviewer]}
  mallory: {emails: [Mallory@Example.COM], keys: [\"$(pub mallory)\"], roles: [reviewer]}
  kim: {emails: [kim@example.com], keys: [\"$(pub kim)\"], roles: [reviewer]}
  cody: {emails: [cody@example.com], keys: [\"$(pub cody)\"], roles: [reviewer]}
  nina: {emails: [nina@example.com], keys: [\"$(pub nina)\"], roles: [reviewer]}"
	fi
	write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {reviewer: approves, operations: on call}
identities:
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [reviewer]}
$ids
pusher: {env: [GL_USER]}
audit: {path: $2}
rules:
  - name: run
    refs: 'refs/heads/r[0-9]'
    update: [operations]
    approvals: {min: 1, from: [reviewer]}
    pusher-may-approve: false
    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 24h, overdue: block}
EOF
}

LOG=$TRASH/audit.jsonl
STATE=$LOG.emergencies
policy v1 "$LOG"
check "the policy before is valid" "$TK_BIN/twokey" config check

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" olga@example.com "base"
base=$(head_of "$w")
for r in r1 r2 r3 r4 r5 r6; do git -C "$srv" fetch -q "$w" "HEAD:refs/heads/$r"; done

# emergency REF: pushes HEAD of $w to REF as an emergency
emergency() {
	accepted "the emergency on $1 lands" olga "$w" origin \
		-o "twokey.emergency=INC-7 $1" "HEAD:refs/heads/$1"
}
git -C "$w" checkout -q -b b1 "$base"
commit_as "$w" bob@example.com "by bob"
c1=$(head_of "$w")
emergency r1
git -C "$w" checkout -q -b b2 "$base"
commit_as "$w" mallory@example.com "by mallory, unknown to the policy"
c2=$(head_of "$w")
emergency r2
git -C "$w" checkout -q -b b3 "$base"
signed_commit_as "$w" olga@example.com kim "by olga, signed with a key nobody lists"
c3=$(head_of "$w")
emergency r3
git -C "$w" checkout -q -b b4 "$base"
test_tick
echo four >"$w/four"
git -C "$w" add four
GIT_COMMITTER_NAME=cody GIT_COMMITTER_EMAIL=cody@example.com \
	git -C "$w" -c user.name=olga -c user.email=olga@example.com commit -q -m "committed by cody"
c4=$(head_of "$w")
emergency r4
git -C "$w" checkout -q -b b6 "$base"
commit_as "$w" bob@example.com "by bob, pushed by olga"
c6=$(head_of "$w")
emergency r6

kimfp=$(ssh-keygen -l -E sha256 -f "$KEYS/kim.pub" | cut -d' ' -f2)
# line_of COMMIT: the state's c line of COMMIT
line_of() { grep "^c $1 " "$STATE"; }
check "the state is version 2" sh -c 'head -n1 "$1" | grep -q "^twokey-emergencies 2 "' - "$STATE"
check "r1: bob's id and email" test "$(line_of "$c1")" = "c $c1 bob bob@example.com ~"
check "r2: no identity, mallory's email" test "$(line_of "$c2")" = "c $c2 ~ mallory@example.com ~"
check "r3: olga, and kim's key" test "$(line_of "$c3")" = "c $c3 olga olga@example.com $kimfp"
check "r4: olga, and both emails" test "$(line_of "$c4")" = "c $c4 olga olga@example.com,cody@example.com ~"
olgafp=$(ssh-keygen -l -E sha256 -f "$KEYS/olga.pub" | cut -d' ' -f2)
check "r6: the pusher by id, login, email and key" awk -v want="login:olga,email:olga@example.com,key:$olgafp" \
	'$1 == "e" && $9 == "refs/heads/r6" { found = $12 == "olga" && $17 == want } END { exit !found }' "$STATE"

# state_of REF: "pending" or the ratifiers of REF's emergency
state_of() {
	awk -v ref="$1" '$1 == "e" && $9 == ref { print ($5 == "0" ? "pending" : $15) }' "$STATE"
}

policy v2 "$LOG"
check "the policy after is valid" "$TK_BIN/twokey" config check
note_approve bob robert bob@example.com "$w" "$c1"
note_approve mallory mallory Mallory@Example.COM "$w" "$c2"
note_approve kim kim kim@example.com "$w" "$c3"
note_approve cody cody cody@example.com "$w" "$c4"
note_approve olga olga-ops olga@example.com "$w" "$c6"
accepted "each writer approves their own commit" dave "$w" origin "$NOTES"
check "...bob, renamed robert, does not ratify r1" test "$(state_of refs/heads/r1)" = pending
check "...mallory, given an identity, does not ratify r2" test "$(state_of refs/heads/r2)" = pending
check "...kim, whose key was listed later, does not ratify r3" test "$(state_of refs/heads/r3)" = pending
check "...cody, the committer, does not ratify r4" test "$(state_of refs/heads/r4)" = pending
check "...olga, the pusher renamed olga-ops, does not ratify r6" test "$(state_of refs/heads/r6)" = pending
check "twokey audit emergencies shows all five pending" sh -c \
	'"$1" audit emergencies --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
d = d if isinstance(d, list) else d.get(\"emergencies\", d)
assert sum(1 for e in d if not e.get(\"ratified\")) == 5, d
"' - "$TK_BIN/twokey"
for c in "$c1" "$c2" "$c3" "$c4" "$c6"; do note_approve dave dave dave@example.com "$w" "$c"; done
accepted "dave, who wrote none of them, approves all five" dave "$w" origin "$NOTES"
for r in r1 r2 r3 r4 r6; do
	check "...$r is ratified by dave alone" test "$(state_of refs/heads/$r)" = dave
done
check "the audit chain is intact" "$TK_BIN/twokey" audit verify "$LOG"

# State written by an older twokey (version 1: identity ids only) is read;
# the commit, read again, still names its writer.
LOG=$TRASH/audit-old.jsonl
STATE=$LOG.emergencies
policy v1 "$LOG"
git -C "$w" checkout -q -b b5 "$base"
commit_as "$w" nina@example.com "by nina, unknown to the policy"
c5=$(head_of "$w")
emergency r5
check "r5 is kept with nina's email" test "$(line_of "$c5")" = "c $c5 ~ nina@example.com ~"
python3 - "$STATE" <<'EOF'
import sys
p = sys.argv[1]
lines = open(p).read().splitlines()
out = ['twokey-emergencies 1 ' + lines[0].split(' ')[2]]
for l in lines[1:]:
    f = l.split(' ')
    out.append(' '.join(f[:3] if f[0] == 'c' else f[:16]))
open(p, 'w').write('\n'.join(out) + '\n')
EOF
check "the state is now as version 1 wrote it" test "$(line_of "$c5")" = "c $c5 ~"
policy v2 "$LOG"
note_approve nina nina nina@example.com "$w" "$c5"
accepted "nina approves her own commit" dave "$w" origin "$NOTES"
check "...which does not ratify r5" test "$(state_of refs/heads/r5)" = pending
note_approve dave dave dave@example.com "$w" "$c5"
accepted "dave approves it" dave "$w" origin "$NOTES"
check "...r5 is ratified by dave alone" test "$(state_of refs/heads/r5)" = dave
check "...and the state is written back as version 2" \
	sh -c 'head -n1 "$1" | grep -q "^twokey-emergencies 2 "' - "$STATE"

# a state of a version this twokey does not know refuses every push
cp "$STATE" "$TRASH/state.bak"
printf 'twokey-emergencies 3 1\n' >"$STATE"
commit_as "$w" olga@example.com "after"
refused "a push with a state of an unknown version is refused" olga "$w" origin HEAD:refs/heads/r5
cp "$TRASH/state.bak" "$STATE"
accepted "...and accepted once the state is restored" olga "$w" origin \
	-o "twokey.emergency=INC-8 r5 again" HEAD:refs/heads/r5
check "the audit chain is intact" "$TK_BIN/twokey" audit verify "$LOG"
done_testing
