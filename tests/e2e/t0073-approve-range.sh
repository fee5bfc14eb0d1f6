#!/bin/sh
# The reviewer's workflow with `twokey approve`: a 5-commit branch
# approved with one `twokey approve A..B --push` per reviewer and landed
# without rewriting a commit (pre-receive and update hook); reviewers
# pushing at the same moment all land; the commits and the key are shown
# before signing; approving twice adds nothing; key choice (-k,
# user.signingKey through `git -c`, the agent only when it holds exactly
# one key); `git twokey`; --trailer; and the writer warning, given exactly
# when the separation rule would not count the approval.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in alice bob carol dave erin other; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves}
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {name: Bob R, emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  carol: {emails: [carol@example.com], logins: [carol], keys: ["$(pub carol)"], roles: [reviewer]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [reviewer]}
  erin: {emails: [erin@example.com], logins: [erin], keys: ["$(pub erin)"], roles: [reviewer]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
rules:
  - name: mainline
    refs: refs/heads/main
    approvals: {min: 2, from: [reviewer]}
EOF

# clone NAME EMAIL: NAME's clone of $srv, with NAME's git identity.
clone() {
	rm -rf "$TRASH/$1-$kind"
	git clone -q "$srv" "$TRASH/$1-$kind" 2>/dev/null
	git -C "$TRASH/$1-$kind" config user.name "$1"
	git -C "$TRASH/$1-$kind" config user.email "$2"
	echo "$TRASH/$1-$kind"
}
# tk DIR ARGS...: twokey in DIR, stderr in $TRASH/err.
tk() {
	tk_d=$1
	shift
	(cd "$tk_d" && "$TK_BIN/twokey" "$@" 2>"$TRASH/err")
}
# fp KEY: the key's SHA256 fingerprint, as an ERE.
fp() { ere "$(ssh-keygen -lf "$KEYS/$1.pub" | cut -d' ' -f2)"; }
err_has() { grep -E -q -- "$1" "$TRASH/err" || { sed 's/^/#   /' "$TRASH/err"; return 1; }; }
err_lacks() { ! grep -E -q -- "$1" "$TRASH/err" || { sed 's/^/#   /' "$TRASH/err"; return 1; }; }

branch() {
	kind=$1
	srv=$(new_server "srv-$kind" "$kind")
	w=$(new_work "w-$kind")
	git -C "$w" remote add origin "$srv"
	commit_as "$w" alice@example.com "base"
	base=$(head_of "$w")
	git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
	git -C "$srv" update-ref refs/heads/main "$base"
	for i in 1 2 3 4 5; do commit_as "$w" alice@example.com "step $i"; done
	tip=$(head_of "$w")
	git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
	ids_before=$(git -C "$w" rev-list "$base..$tip")

	b=$(clone bob bob@example.com)
	if tk "$b" approve -k "$KEYS/bob" origin/main..origin/feature --push; then
		ok "$kind: bob approves the branch in one command"
	else
		not_ok "$kind: bob approves the branch in one command"
		sed 's/^/#   /' "$TRASH/err"
	fi
	check "$kind: it showed the key before signing" err_has \
		"^twokey: key: ssh-ed25519 $(fp bob) bob@test$"
	check "$kind: ...and every commit with its author" err_has \
		"^twokey:   $(git -C "$w" rev-parse --short=7 "$tip") step 5 \(alice <alice@example.com>\)$"
	check "$kind: ...five of them" test "$(grep -c '^twokey:   [0-9a-f]\{7\} step ' "$TRASH/err")" = 5
	check "$kind: pushed" err_has "^twokey: pushed refs/notes/twokey to origin$"
	expect_push refuse "$kind: one reviewer is not enough" alice "$w" \
		HEAD:refs/heads/main refs/heads/main "$base" "needs 1 more approval; counted: bob"
	c=$(clone carol carol@example.com)
	check "$kind: carol approves it too" tk "$c" approve -k "$KEYS/carol" \
		origin/main..origin/feature --push
	expect_push accept "$kind: the branch lands as it is" alice "$w" \
		HEAD:refs/heads/main refs/heads/main "$tip"
	check "$kind: no commit was rewritten" test \
		"$(git -C "$srv" rev-list "$base..main")" = "$ids_before"
	check "$kind: every commit counted bob and carol via notes" audit_last "$LOG" \
		"all(sorted((a['identity'], a['via']) for a in c['approvers']) == [('bob', 'note'), ('carol', 'note')] for c in r['refs'][0]['commits'])" \
		"len(r['refs'][0]['commits']) == 5"
	# approving again adds nothing
	n0=$(notes_tip "$srv")
	check "$kind: approving again" tk "$b" approve -k "$KEYS/bob" \
		origin/main..origin/feature --push
	check "$kind: ...skips what this key approved" test \
		"$(grep -c 'already approved with this key; skipped' "$TRASH/err")" = 5
	check "$kind: ...and changes no note" test "$(notes_tip "$srv")" = "$n0"
}
branch hooks
branch update

# --- reviewers pushing at the same moment ---------------------------------
kind=race
srv=$(new_server srv-race)
w=$(new_work w-race)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
for i in 1 2 3; do commit_as "$w" alice@example.com "race $i"; done
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
git -C "$srv" update-ref refs/heads/main "$base"
for r in bob carol dave erin; do clone $r $r@example.com >/dev/null; done
for r in bob carol dave erin; do
	(cd "$TRASH/$r-race" && "$TK_BIN/twokey" approve -k "$KEYS/$r" \
		main..origin/feature --push >"$TRASH/race-$r.out" 2>&1
	echo $? >"$TRASH/race-$r.rc") &
done
wait
for r in bob carol dave erin; do
	check "race: $r's run succeeded" test "$(cat "$TRASH/race-$r.rc")" = 0 ||
		sed 's/^/#   /' "$TRASH/race-$r.out"
done
echo "# retries: $(cat "$TRASH"/race-*.out | grep -c 'trying again' || true)"
for c in $(git -C "$w" rev-list "$base..HEAD"); do
	check "race: every approval of ${c%????????????????????????????????} is on the server" \
		test "$(git -C "$srv" notes --ref=twokey show "$c" | grep -c '^Approved-by: ')" = 4
done
expect_push accept "race: the branch lands" alice "$w" HEAD:refs/heads/main \
	refs/heads/main "$(head_of "$w")"

# --- key choice -------------------------------------------------------------------
kind=keys
srv=$(new_server srv-keys)
w=$(new_work w-keys)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "zeroth"
commit_as "$w" alice@example.com "first"
commit_as "$w" alice@example.com "to approve"
c=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
b=$(clone bob bob@example.com)
eval "$(ssh-agent -a "$TRASH/agent.sock" -s)" >/dev/null
ssh-add -q "$KEYS/bob" 2>/dev/null
ssh-add -q "$KEYS/other" 2>/dev/null
if tk "$b" approve "$c"; then not_ok "keys: two agent keys, none chosen: signed"
else ok "keys: two agent keys, none chosen: refused"; fi
check "keys: ...listing both" err_has "ssh-agent holds 2 keys and none was chosen"
check "keys: ...bob's" err_has "^twokey:   ssh-ed25519 $(fp bob) bob@test$"
check "keys: ...and the other" err_has "^twokey:   ssh-ed25519 $(fp other) other@test$"
check "keys: nothing was written" test -z "$(notes_tip "$b")"
# git twokey: git finds git-twokey on PATH
mkdir -p "$TRASH/bin"
ln -s "$TK_BIN/twokey" "$TRASH/bin/git-twokey"
check "keys: git twokey approve, with git -c user.signingKey" sh -c \
	"cd '$b' && PATH='$TRASH/bin':\$PATH git -c user.signingKey='$KEYS/bob.pub' -c user.name='Bob R' twokey approve '$c' 2>'$TRASH/err'"
check "keys: it signed with the key git -c named (through the agent)" err_has \
	"^twokey: key: ssh-ed25519 $(fp bob) bob@test"
check "keys: the approval names git -c's user.name" sh -c \
	"git -C '$b' notes --ref=twokey show '$c' | grep -q '^Approved-by: Bob R <bob@example.com> sshsig:'"
ssh-add -q -d "$KEYS/other.pub" 2>/dev/null
git -C "$b" update-ref -d "$NOTES"
check "keys: the agent's only key" tk "$b" approve "$c"
check "keys: ...shown" err_has "^twokey: key: ssh-ed25519 $(fp bob) bob@test"
ssh-agent -k >/dev/null
unset SSH_AUTH_SOCK SSH_AGENT_PID
git -C "$b" update-ref -d "$NOTES"
git -C "$b" config user.signingKey "$KEYS/bob"
check "keys: user.signingKey (a private key file)" tk "$b" approve "$c"
check "keys: -k wins over user.signingKey" tk "$b" approve -k "$KEYS/carol" "$c"
check "keys: ...and signed with it" err_has "carol@test"
check "keys: --trailer prints the trailer" sh -c \
	"cd '$b' && '$TK_BIN/twokey' approve --trailer '$c' 2>/dev/null | grep -q '^Approved-by: bob <bob@example.com> sshsig:U1NIU0lH'"
if tk "$b" approve --trailer "$c~2..$c"; then
	not_ok "keys: --trailer on a range: accepted"
else ok "keys: --trailer on a range: refused"; fi
check "keys: ...saying why" err_has "--trailer takes one commit"

# --- the writer warning follows the separation rule --------------------------------
kind=warn
srv=$(new_server srv-warn)
b=$(clone bob bob@example.com)
git -C "$b" config user.signingKey "$KEYS/bob"
commit_as "$b" alice@example.com "alice's"
a1=$(head_of "$b")
commit_as "$b" bob@example.com "bob's own"
check "warn: bob's own commit" tk "$b" approve HEAD
check "warn: ...warns" err_has "^twokey: warning: [0-9a-f]{7}: you are its author; your approval will not count for it"
check "warn: alice's commit" tk "$b" approve "$a1"
check "warn: ...does not" err_lacks "warning"
# bob merges alice's side branch cleanly: his approval of the merge counts
git -C "$b" checkout -q -b side "$a1"
commit_as "$b" alice@example.com "alice's side work" side-file
git -C "$b" checkout -q -
git -C "$b" -c user.name=bob -c user.email=bob@example.com merge -q --no-ff -m "merge side" side
check "warn: a clean merge bob made" tk "$b" approve HEAD
check "warn: ...no warning" err_lacks "warning"
# ...but an evil one (a change of his own in the merge) does not count
git -C "$b" reset -q --hard HEAD~1
git -C "$b" -c user.name=bob -c user.email=bob@example.com merge -q --no-ff --no-commit side
echo "hidden" >"$b/hidden"
git -C "$b" add hidden
git -C "$b" -c user.name=bob -c user.email=bob@example.com commit -q -m "evil merge"
check "warn: an evil merge bob made" tk "$b" approve HEAD
check "warn: ...warns" err_has "[0-9a-f]{7}: you are its author; your approval will not count"
# ...and a merge that brings in bob's own commit does not count either
git -C "$b" reset -q --hard HEAD~1
git -C "$b" checkout -q side
commit_as "$b" bob@example.com "bob on the side" side-file2
git -C "$b" checkout -q -
git -C "$b" -c user.name=alice -c user.email=alice@example.com merge -q --no-ff -m "alice merges" side
check "warn: alice's merge bringing in bob's commit" tk "$b" approve HEAD
check "warn: ...warns" err_has "[0-9a-f]{7}: you wrote a commit it brings in; your approval will not count"
done_testing
