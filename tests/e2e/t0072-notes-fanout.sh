#!/bin/sh
# Notes trees with fanout: a reviewer approves 300 commits at once (twokey
# approve A..B, one flat notes tree), then git itself rewrites the tree
# with fanout directories (ab/cdef...) when it adds one more note, which
# moves every note: the guard sees them all moved and only one line new.
# The hook then reads approvals through the fanout, and through a
# two-level fanout (ab/cd/ef...) built by hand, which git reads too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in alice bob carol; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves}
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  carol: {emails: [carol@example.com], logins: [carol], keys: ["$(pub carol)"], roles: [reviewer]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
rules:
  - name: solo
    refs: 'refs/heads/solo/.+'
    approvals: {min: 1, from: [reviewer]}
EOF

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
tree=$(git -C "$w" rev-parse "HEAD^{tree}")
c=$base
i=1
while [ $i -le 300 ]; do
	c=$(GIT_AUTHOR_NAME=alice GIT_AUTHOR_EMAIL=alice@example.com \
		GIT_COMMITTER_NAME=alice GIT_COMMITTER_EMAIL=alice@example.com \
		git -C "$w" commit-tree -p "$c" -m "change $i" "$tree")
	i=$((i + 1))
done
tip=$c
git -C "$w" update-ref refs/heads/main "$tip"
accepted "300 commits to a feature branch" alice "$w" origin \
	"$tip:refs/heads/feature"
# base is history: on a protected ref, set by the admin
git -C "$srv" update-ref refs/heads/solo/base "$base"

# bob approves all 300 in one command, in his own clone
reviewer bob bob@example.com "$w"
git -C "$TRASH/rev-bob" remote add origin "$srv"
if (cd "$TRASH/rev-bob" && "$TK_BIN/twokey" approve -k "$KEYS/bob" \
	"$base..$tip" 2>"$TRASH/approve.err"); then
	ok "twokey approve of 300 commits"
else
	not_ok "twokey approve of 300 commits"
	sed 's/^/#   /' "$TRASH/approve.err"
fi
check "one ssh-keygen run showed 300 commits" test \
	"$(grep -c '^twokey:   [0-9a-f]\{7\} change ' "$TRASH/approve.err")" = 300
check "libgit2 wrote a flat tree of 300 notes" test \
	"$(git -C "$TRASH/rev-bob" ls-tree "$NOTES" | grep -c '^100644 blob ')" = 300
expect_push accept "the 300 approvals" bob "$TRASH/rev-bob" "$NOTES" \
	"$NOTES" "$(notes_tip "$TRASH/rev-bob")" \
	"^remote: twokey: accepted refs/notes/twokey \(300 approvals added\)"

# git adds one more note and fans the whole tree out
mid=$(git -C "$w" rev-parse "$tip~150")
line=$(approve_raw carol carol carol@example.com "$w" "$mid")
note_line "$TRASH/rev-bob" "$mid" "$line"
check "git rewrote the notes tree with fanout directories" test \
	"$(git -C "$TRASH/rev-bob" ls-tree "$NOTES" | grep -c '^040000 tree ')" -gt 100
check "... and no note is left at the top" test \
	"$(git -C "$TRASH/rev-bob" ls-tree "$NOTES" | grep -c '^100644 ')" = 0
expect_push accept "the fanned-out tree, one line added" carol "$TRASH/rev-bob" \
	"$NOTES" "$NOTES" "$(notes_tip "$TRASH/rev-bob")" \
	"^remote: twokey: accepted refs/notes/twokey \(1 approval added\)"
check "only carol's line was new" audit_last "$LOG" \
	"[(a['commit'], a['identity']) for a in r['refs'][0]['note_approvals']] == [('$mid', 'carol')]"
expect_push accept "300 commits approved through fanout notes" alice "$w" \
	"$tip:refs/heads/solo/x" refs/heads/solo/x "$tip"
check "each counted via its note" audit_last "$LOG" \
	"len(r['refs'][0]['commits']) == 300" \
	"all([a['identity'] for a in c['approvers']] in (['bob'], ['bob', 'carol']) and all(a['via'] == 'note' for a in c['approvers']) for c in r['refs'][0]['commits'])"

# a two-level fanout, by hand: xx/yy/<36 digits>
commit_as "$w" alice@example.com "deep fanout"
deep=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
blob=$(approve_raw bob bob bob@example.com "$w" "$deep" | git -C "$w" hash-object -w --stdin)
d1=$(echo "$deep" | cut -c1-2) d2=$(echo "$deep" | cut -c3-4) rest=$(echo "$deep" | cut -c5-)
git -C "$w" fetch -q origin "+$NOTES:$NOTES"
top=$(git -C "$w" rev-parse "$NOTES^{tree}")
inner=$(printf '100644 blob %s\t%s\n' "$blob" "$rest" | git -C "$w" mktree)
old1=$(git -C "$w" ls-tree "$top" "$d1" | awk '{ print $3 }')
mid1=$( { [ -n "$old1" ] && git -C "$w" ls-tree "$old1"; printf '040000 tree %s\t%s\n' "$inner" "$d2"; } | git -C "$w" mktree)
newtop=$( { git -C "$w" ls-tree "$top" | grep -v "	$d1\$"; printf '040000 tree %s\t%s\n' "$mid1" "$d1"; } | git -C "$w" mktree)
git -C "$w" update-ref "$NOTES" "$(git -C "$w" commit-tree -p "$NOTES" -m deeper "$newtop")"
check "git itself reads the two-level note" sh -c \
	"git -C '$w' notes --ref=twokey show '$deep' | grep -q '^Approved-by: bob <bob@example.com> sshsig:'"
expect_push accept "a two-level fanout note" bob "$w" "$NOTES" "$NOTES" \
	"$(notes_tip "$w")" "\(1 approval added\)"
expect_push accept "counted through it" alice "$w" HEAD:refs/heads/solo/y \
	refs/heads/solo/y "$deep"
check "via note" test "$(approvers_of "$LOG" refs/heads/solo/y "$deep")" = "bob:note"

# the same under the update hook: the fanned-out notes, then the branch
srv2=$(new_server srv2 update)
git -C "$w" push -q "$srv2" "$tip:refs/heads/feature" "$deep:refs/heads/deep" 2>/dev/null
git -C "$srv2" update-ref refs/heads/solo/base "$base"
accepted "update hook: every note, fanned out two ways, in one push" bob "$w" \
	"$srv2" "$NOTES"
check "update hook: ...all of them added" expect_out "\(302 approvals added\)"
accepted "update hook: 300 commits approved through fanout notes" alice "$w" \
	"$srv2" "$tip:refs/heads/solo/x" "$deep:refs/heads/solo/y"
done_testing
