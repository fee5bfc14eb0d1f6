#!/bin/sh
# pusher-may-write: false, on the commits entering a protected ref, with the
# hook installed through core.hooksPath: writers (author or committer, email
# compared case-insensitively) may not push their own commits; a commit
# already on an unprotected branch still enters main when fast-forwarded
# (never "--not --all"); new commits are read from the push quarantine,
# also when the repository path holds a ':'; warn mode reports but accepts.
. "$(dirname "$0")/lib.sh"

short() { git -C "$w" rev-parse --short=7 "$1"; }
# commit_split WORKDIR AUTHOR-EMAIL COMMITTER-EMAIL MESSAGE
commit_split() {
	test_tick
	echo "$tk_tick $4" >>"$1/split-$tk_tick"
	git -C "$1" add "split-$tk_tick"
	GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL="$2" GIT_COMMITTER_NAME=c \
		GIT_COMMITTER_EMAIL="$3" git -C "$1" commit -q -m "$4"
}
MSG="the rule does not let writers push \(pusher-may-write: false\) \[rule 'mainline'\]; next: someone who did not write these commits must push them"

write_policy "$TRASH/policy.yaml" <<'EOF'
version: 1
roles:
  developer: writes code
  reviewer: approves
identities:
  alice:
    emails: [alice@example.com, alice@users.noreply.example.com]
    logins: [alice]
    roles: [developer]
  bob:
    emails: [bob@example.com]
    logins: [bob]
    roles: [developer]
  dave:
    emails: [dave@example.com]
    logins: [dave]
    roles: [developer]
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/(main|release/.+)'
    pusher-may-write: false
  - name: staging
    refs: 'refs/heads/staging'
    pusher-may-write: false
    mode: warn
  - name: audited
    refs: 'refs/heads/audited'
    approvals: {min: 1, from: [reviewer]}
  - name: audited-warn
    refs: 'refs/heads/audited-warn'
    approvals: {min: 1, from: [reviewer]}
    mode: warn
EOF

srv=$(new_server srv hookspath)
check "installed through core.hooksPath only" test ! -e "$srv/hooks/pre-receive"
check "core.hooksPath set" test "$(git -C "$srv" config core.hooksPath)" = "$TRASH/hooks-srv"
w=$(new_work w)
git -C "$w" remote add origin "$srv"

# --- a created ref: its whole history enters ------------------------------
commit_as "$w" bob@example.com "base by bob"
b0=$(head_of "$w")
refused "bob may not create main holding his own commit" bob "$w" origin main
check "refusal names the commit, the writer role and the rule" expect_out \
	"^remote: twokey: error: refs/heads/main: $(short "$b0") \"base by bob\": pusher 'bob' wrote this commit \(as author\), and $MSG"
check "main not created" ref_is "$srv" refs/heads/main ""
accepted "dave creates main with bob's commit" dave "$w" origin main
check "accepted under mainline" expect_out "^remote: twokey: accepted refs/heads/main under rule 'mainline'"
check "main at b0" ref_is "$srv" refs/heads/main "$b0"

# --- the pusher wrote a commit: refused; someone else: accepted ------------
# (a brand-new commit: during pre-receive it exists only in the quarantine)
commit_as "$w" alice@example.com "alice's change"
a1=$(head_of "$w")
refused "alice may not push her own commit to main" alice "$w" origin main
check "refusal read the quarantined commit (id and subject shown)" expect_out \
	"refs/heads/main: $(short "$a1") \"alice's change\": pusher 'alice' wrote this commit \(as author\), and $MSG"
check "summary: one problem" expect_out "^remote: twokey: refused refs/heads/main under rule 'mainline' \(1 problem\)"
check "main still at b0" ref_is "$srv" refs/heads/main "$b0"
check "the refused commit did not reach the object store" \
	test -z "$(git -C "$srv" cat-file -t "$a1" 2>/dev/null)"
accepted "bob pushes alice's commit" bob "$w" origin main
check "no error for bob" no_out "twokey: error"
check "main at a1" ref_is "$srv" refs/heads/main "$a1"

# --- email case: ALICE@EXAMPLE.COM is alice ----------------------------------
commit_as "$w" ALICE@Example.COM "shouting"
a2=$(head_of "$w")
refused "an email differing only in case is still alice" alice "$w" origin main
check "refusal names the commit" expect_out "$(short "$a2") \"shouting\": pusher 'alice' wrote this commit \\(as author\\)"
check "main still at a1" ref_is "$srv" refs/heads/main "$a1"
# a second email of the same identity counts as well
git -C "$w" reset -q --hard "$a1"
commit_as "$w" alice@users.noreply.example.com "second address"
a2=$(head_of "$w")
refused "alice's second email is alice too" alice "$w" origin main
check "main still at a1 (second email)" ref_is "$srv" refs/heads/main "$a1"

# author only, committer only
git -C "$w" reset -q --hard "$a1"
commit_split "$w" alice@example.com bob@example.com "written by alice, committed by bob"
a3=$(head_of "$w")
refused "author alice may not push it" alice "$w" origin main
check "says author" expect_out "$(short "$a3") \"written by alice, committed by bob\": pusher 'alice' wrote this commit \\(as author\\), and"
refused "committer bob may not push it either" bob "$w" origin main
check "says committer" expect_out "pusher 'bob' wrote this commit \\(as committer\\), and"
check "main still at a1 (split)" ref_is "$srv" refs/heads/main "$a1"
accepted "dave pushes it" dave "$w" origin main
check "main at a3" ref_is "$srv" refs/heads/main "$a3"

# one writer's commit buried among others is found
commit_as "$w" bob@example.com "bob one"
commit_as "$w" dave@example.com "dave in the middle"
m=$(head_of "$w")
commit_as "$w" bob@example.com "bob two"
b2=$(head_of "$w")
refused "dave's commit in the middle of three: dave refused" dave "$w" origin main
check "the middle commit is named" expect_out "$(short "$m") \"dave in the middle\": pusher 'dave' wrote this commit \\(as author\\)"
check "exactly one problem" expect_out "refused refs/heads/main under rule 'mainline' \(1 problem\)"
refused "bob wrote two of them: refused" bob "$w" origin main
check "two problems for bob" expect_out "refused refs/heads/main under rule 'mainline' \(2 problems\)"
check "main still at a3" ref_is "$srv" refs/heads/main "$a3"
accepted "alice wrote none of them: accepted" alice "$w" origin main
check "main at b2" ref_is "$srv" refs/heads/main "$b2"

# --- a commit already on an unprotected branch still enters main ----------
commit_as "$w" alice@example.com "feature work"
f1=$(head_of "$w")
accepted "alice pushes her commit to an unprotected feature branch" \
	alice "$w" origin "$f1:refs/heads/feature/f"
check "feature/f at f1" ref_is "$srv" refs/heads/feature/f "$f1"
check "f1 is now in the server's object store" git -C "$srv" cat-file -e "$f1"
refused "alice fast-forwards main onto it: still refused (it is entering)" \
	alice "$w" origin main
check "the commit from feature/f is named" expect_out \
	"refs/heads/main: $(short "$f1") \"feature work\": pusher 'alice' wrote this commit \\(as author\\)"
check "main still at b2" ref_is "$srv" refs/heads/main "$b2"
accepted "dave fast-forwards main onto it" dave "$w" origin main
check "main at f1" ref_is "$srv" refs/heads/main "$f1"

# --- created protected ref: main (same rule) vouches, nothing enters, but
# pusher-may-write still applies to the new tip itself ----------------------
refused "alice may not create release/1 at a tip she wrote" \
	alice "$w" origin "$f1:refs/heads/release/1"
check "her tip f1 is named, not the history main vouches for" expect_out \
	"refs/heads/release/1: $(short "$f1") \"feature work\": pusher 'alice' wrote this commit \\(as author\\)"
check "her old commit a1 is not named" no_out "$(short "$a1")"
check "release/1 not created" ref_is "$srv" refs/heads/release/1 ""
# unknown pusher: the rule cannot be applied
refused "no GL_USER: refused" "" "$w" origin "$f1:refs/heads/release/1"
check "says who is unknown and why it matters" expect_out \
	"refs/heads/release/1: pusher unknown \(no variable of pusher.env is set; consulted: GL_USER\), so the rule does not let writers push \(pusher-may-write: false\)"
refused "login not in the policy: refused" mallory "$w" origin "$f1:refs/heads/release/1"
check "says the login is not in the policy" expect_out "pusher unknown \(the pusher login is not in the policy; consulted: GL_USER; login 'mallory'\)"
check "release/1 still absent" ref_is "$srv" refs/heads/release/1 ""
# deleting is not about commits
git -C "$srv" update-ref refs/heads/release/old "$b0"
accepted "a delete brings no commit in: accepted for any known pusher" \
	bob "$w" origin :refs/heads/release/old
check "release/old deleted" ref_is "$srv" refs/heads/release/old ""

# --- commits brought in by a merge's second parent are entering too -------
git -C "$w" checkout -q -b side "$f1"
commit_as "$w" alice@example.com "side work by alice"
sw=$(head_of "$w")
git -C "$w" checkout -q main
git -C "$w" reset -q --hard "$f1"
commit_as "$w" bob@example.com "mainline work by bob"
test_tick
git -C "$w" -c user.name=dave -c user.email=dave@example.com merge -q --no-ff -m "merge side" side
mg=$(head_of "$w")
refused "alice pushes dave's merge of her side branch: refused" alice "$w" origin main
check "her commit behind the merge is named" expect_out \
	"refs/heads/main: $(short "$sw") \"side work by alice\": pusher 'alice' wrote this commit \\(as author\\)"
check "main still at f1 (merge)" ref_is "$srv" refs/heads/main "$f1"
refused "dave wrote the merge commit itself: refused" dave "$w" origin main
check "the merge commit is named" expect_out "$(short "$mg") \"merge side\": pusher 'dave' wrote this commit \\(as author\\)"
check "main still at f1 (merge, dave)" ref_is "$srv" refs/heads/main "$f1"
git -C "$w" reset -q --hard "$f1"
git -C "$w" branch -q -D side

# --- a created ref: commits on an approval-enforcing ref are not entering --
# Nobody can approve here (no keys), so a push to such a ref is refused.
refused "a push of unapproved commits to a ref under an approvals rule is refused" \
	dave "$w" origin "$f1:refs/heads/audited"
check "says the tip is not approved" expect_out \
	"refs/heads/audited: $(short "$f1") \"feature work\": not approved: needs 1 more approval; counted: none \[rule 'audited'\]"
check "audited not created" ref_is "$srv" refs/heads/audited ""
# An admin puts the refs in place on the server, without a push.
git -C "$srv" update-ref refs/heads/audited-warn "$f1"
refused "a warn-mode approvals ref vouches for nothing: alice still refused" \
	alice "$w" origin "$f1:refs/heads/release/2"
check "release/2 not created" ref_is "$srv" refs/heads/release/2 ""
git -C "$srv" update-ref refs/heads/audited "$f1"
refused "audited's rule is not as strict as mainline's (pusher-may-write): alice's tip refused" \
	alice "$w" origin "$f1:refs/heads/release/2"
accepted "main vouches (same rule): dave creates release/2 at f1" \
	dave "$w" origin "$f1:refs/heads/release/2"
check "release/2 at f1" ref_is "$srv" refs/heads/release/2 "$f1"
commit_as "$w" alice@example.com "on top of audited"
f2=$(head_of "$w")
refused "but her new commit on top is entering: refused" \
	alice "$w" origin "$f2:refs/heads/release/3"
check "only the new commit is named" expect_out \
	"refs/heads/release/3: $(short "$f2") \"on top of audited\": pusher 'alice' wrote this commit \\(as author\\)"
check "one problem only" expect_out "refused refs/heads/release/3 under rule 'mainline' \(1 problem\)"
check "release/3 not created" ref_is "$srv" refs/heads/release/3 ""
git -C "$srv" update-ref -d refs/heads/audited
git -C "$srv" update-ref -d refs/heads/audited-warn

# --- mode: warn --------------------------------------------------------
commit_as "$w" alice@example.com "staging work"
s1=$(head_of "$w")
accepted "warn mode: alice's own commit to staging is accepted" alice "$w" origin "$s1:refs/heads/staging"
check "a warning line names the commit and rule" expect_out \
	"^remote: twokey: warning: refs/heads/staging: $(short "$s1") \"staging work\": pusher 'alice' wrote this commit \(as author\), and the rule does not let writers push \(pusher-may-write: false\) \[rule 'staging'\]"
check "accepted in warn mode" expect_out \
	"^remote: twokey: accepted refs/heads/staging under rule 'staging' in warn mode \([0-9]+ problems? reported, not enforced\)"
check "no error line in warn mode" no_out "twokey: error"
check "staging at s1" ref_is "$srv" refs/heads/staging "$s1"

# --- a repository path with ':' --------------------------------------------
# git C-quotes such a path in GIT_ALTERNATE_OBJECT_DIRECTORIES
csrv=$(new_server "with:colon/srv" hookspath)
check "the path holds a colon" test -d "$TRASH/with:colon/srv.git"
wc=$(new_work wc)
commit_as "$wc" bob@example.com "colon base"
k1=$(head_of "$wc")
refused "colon path: bob may not push his own commit" bob "$wc" "$csrv" main
check "colon path: the quarantined commit was read" expect_out \
	"refs/heads/main: $(git -C "$wc" rev-parse --short=7 "$k1") \"colon base\": pusher 'bob' wrote this commit \\(as author\\)"
check "colon path: no internal error" no_out "could not decide"
check "colon path: main not created" ref_is "$csrv" refs/heads/main ""
accepted "colon path: dave may push it" dave "$wc" "$csrv" main
check "colon path: accepted line" expect_out "accepted refs/heads/main under rule 'mainline'"
check "colon path: main at k1" ref_is "$csrv" refs/heads/main "$k1"
commit_as "$wc" alice@example.com "colon second"
k2=$(head_of "$wc")
refused "colon path: alice may not fast-forward with her commit" alice "$wc" "$csrv" main
check "colon path: only the new commit is named" expect_out \
	"refused refs/heads/main under rule 'mainline' \(1 problem\)"
check "colon path: main still at k1" ref_is "$csrv" refs/heads/main "$k1"
accepted "colon path: bob fast-forwards it" bob "$wc" "$csrv" main
check "colon path: main at k2" ref_is "$csrv" refs/heads/main "$k2"

# the original server was not touched by the colon pushes
check "srv main still at f1" ref_is "$srv" refs/heads/main "$f1"

done_testing
