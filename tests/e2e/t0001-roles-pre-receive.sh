#!/bin/sh
# Who may update, create, delete and force-push a protected ref, decided by
# the pre-receive hook (hooks/pre-receive -> twokey-pre-receive) on real
# pushes: role lists and their fall-backs, first matching rule, whole-name
# matching, unknown pushers, tags, and an all-or-nothing multi-ref push.
. "$(dirname "$0")/lib.sh"


# a login of exactly 256 bytes, the longest a pusher login may be
long256=$(printf '%0256d' 0 | tr 0 b)
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  operations: deploys
  admin: cleans up
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    roles: [developer]
  dave:
    emails: [dave@example.com]
    logins: [dave]
    roles: [operations]
  olga:
    emails: [olga@example.com]
    logins: [olga]
    roles: [admin]
  bot:
    emails: [bot@example.com]
    logins: [$long256]
    roles: [operations]
pusher:
  env: [GL_USER, REMOTE_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [operations]       # create and force-push fall back to this
    delete: []                 # nobody
  - name: sandbox
    refs: 'refs/heads/release/sandbox'   # before 'release': first match wins
  - name: release
    refs: 'refs/heads/release/.+'
    update: [developer, operations]
    create: [operations]
    delete: [admin]
    force-push: [admin]
  - name: release tags
    refs: 'refs/tags/v[0-9].*'
    create: [operations]
    update: [operations]       # would allow a fast-forward, but tags never
    force-push: []             # fast-forward: every move is a force-push
    delete: []
EOF

srv=$(new_server srv)
# let twokey, not git's own guard, decide on deleting the current branch
git -C "$srv" config receive.denyDeleteCurrent ignore
w=$(new_work w)
git -C "$w" remote add origin "$srv"
nl='
'

# --- mainline: update [operations], create/force-push fall back to it -----
commit_as "$w" alice@example.com "first"
c1=$(head_of "$w")
refused "alice (developer) may not create main: create falls back to update" \
	alice "$w" origin main
check "the refusal names pusher, kind, roles and rule" expect_out \
	"^remote: twokey: error: refs/heads/main: pusher 'alice' may not create this ref: that takes one of the roles: operations \[rule 'mainline'\]; next: "
check "the summary line counts one problem" expect_out \
	"^remote: twokey: refused refs/heads/main under rule 'mainline' \(1 problem\)"
check "git reports the hook declined" expect_out "\[remote rejected\] main -> main \(pre-receive hook declined\)"
check "main was not created" ref_is "$srv" refs/heads/main ""

accepted "dave (operations) creates main" dave "$w" origin main
check "the acceptance is reported" expect_out \
	"^remote: twokey: accepted refs/heads/main under rule 'mainline'"
check "no error line on acceptance" no_out "twokey: error"
check "main created at c1" ref_is "$srv" refs/heads/main "$c1"

commit_as "$w" alice@example.com "second"
c2=$(head_of "$w")
refused "alice may not fast-forward main" alice "$w" origin main
check "refusal says 'update'" expect_out \
	"refs/heads/main: pusher 'alice' may not update this ref: that takes one of the roles: operations \[rule 'mainline'\]"
check "main still at c1" ref_is "$srv" refs/heads/main "$c1"
refused "olga (admin) may not fast-forward main" olga "$w" origin main
check "main still at c1 after olga" ref_is "$srv" refs/heads/main "$c1"
accepted "dave fast-forwards main" dave "$w" origin main
check "main at c2" ref_is "$srv" refs/heads/main "$c2"

git -C "$w" reset -q --hard "$c1"
commit_as "$w" alice@example.com "rewritten second"
c3=$(head_of "$w")
refused "alice may not force-push main" alice "$w" --force origin main
check "refusal says 'force-push'" expect_out \
	"refs/heads/main: pusher 'alice' may not force-push this ref: that takes one of the roles: operations \[rule 'mainline'\]"
check "main still at c2" ref_is "$srv" refs/heads/main "$c2"
accepted "dave may force-push main (force-push falls back to update)" \
	dave "$w" --force origin main
check "main at c3" ref_is "$srv" refs/heads/main "$c3"

# --- delete: [] refuses deletion for everyone ----------------------------
for who in dave olga alice; do
	refused "$who may not delete main (delete: [])" $who "$w" origin :main
	check "refusal for $who: nobody may delete" expect_out \
		"refs/heads/main: nobody may delete this ref \[rule 'mainline'\]"
	check "main still at c3 after $who's delete" ref_is "$srv" refs/heads/main "$c3"
done

# --- release/*: every list set explicitly ----------------------------------
git -C "$w" checkout -q -b release/1 "$c3"
commit_as "$w" alice@example.com "r1"
r1=$(head_of "$w")
refused "alice may not create release/1 (create: operations)" \
	alice "$w" origin release/1
check "create refusal under rule release" expect_out \
	"refs/heads/release/1: pusher 'alice' may not create this ref: that takes one of the roles: operations \[rule 'release'\]"
check "release/1 not created" ref_is "$srv" refs/heads/release/1 ""
accepted "dave creates release/1" dave "$w" origin release/1
check "release/1 at r1" ref_is "$srv" refs/heads/release/1 "$r1"

commit_as "$w" alice@example.com "r2"
r2=$(head_of "$w")
refused "olga (admin) may not fast-forward release/1" olga "$w" origin release/1
check "update refusal lists both roles" expect_out \
	"refs/heads/release/1: pusher 'olga' may not update this ref: that takes one of the roles: developer, operations \[rule 'release'\]"
accepted "alice (developer) fast-forwards release/1" alice "$w" origin release/1
check "release/1 at r2" ref_is "$srv" refs/heads/release/1 "$r2"

git -C "$w" reset -q --hard "$r1"
commit_as "$w" alice@example.com "r2 rewritten"
r3=$(head_of "$w")
refused "alice may not force-push release/1 (force-push: admin)" \
	alice "$w" --force origin release/1
check "force refusal names admin" expect_out \
	"refs/heads/release/1: pusher 'alice' may not force-push this ref: that takes one of the roles: admin \[rule 'release'\]"
refused "dave may not force-push release/1 even though he may update" \
	dave "$w" --force origin release/1
check "release/1 still at r2" ref_is "$srv" refs/heads/release/1 "$r2"
accepted "olga force-pushes release/1" olga "$w" --force origin release/1
check "release/1 at r3" ref_is "$srv" refs/heads/release/1 "$r3"

refused "dave may not delete release/1 (delete: admin)" dave "$w" origin :release/1
check "delete refusal names admin" expect_out \
	"refs/heads/release/1: pusher 'dave' may not delete this ref: that takes one of the roles: admin \[rule 'release'\]"
check "release/1 still at r3" ref_is "$srv" refs/heads/release/1 "$r3"
accepted "olga deletes release/1" olga "$w" origin :release/1
check "release/1 gone" ref_is "$srv" refs/heads/release/1 ""

# --- first match wins: release/sandbox has a rule with no lists ----------
accepted "alice creates release/sandbox (rule 'sandbox' restricts nothing)" \
	alice "$w" origin "$r1:refs/heads/release/sandbox"
check "accepted under rule sandbox, not release" expect_out \
	"accepted refs/heads/release/sandbox under rule 'sandbox'"
accepted "unknown pusher force-pushes release/sandbox" "" "$w" --force origin \
	"$r3:refs/heads/release/sandbox"
check "release/sandbox at r3" ref_is "$srv" refs/heads/release/sandbox "$r3"
accepted "unknown pusher deletes release/sandbox" "" "$w" origin :refs/heads/release/sandbox
check "release/sandbox gone" ref_is "$srv" refs/heads/release/sandbox ""

# --- unprotected refs: anyone, even an unknown pusher ----------------------
accepted "unknown pusher creates an unprotected branch" "" "$w" origin \
	"$r1:refs/heads/feature/x"
check "no twokey line for a ref no rule matches" no_out "twokey: (error|refused|accepted)"
check "feature/x at r1" ref_is "$srv" refs/heads/feature/x "$r1"
accepted "login not in the policy force-pushes it" mallory "$w" --force origin \
	"$r3:refs/heads/feature/x"
check "feature/x at r3" ref_is "$srv" refs/heads/feature/x "$r3"
accepted "login with a newline deletes it" "dave$nl" "$w" origin :refs/heads/feature/x
check "feature/x gone" ref_is "$srv" refs/heads/feature/x ""
# patterns must match the whole name: 'refs/heads/main' is not a prefix
accepted "refs/heads/main-old is not matched by 'refs/heads/main'" "" "$w" origin \
	"$r1:refs/heads/main-old"
check "main-old at r1" ref_is "$srv" refs/heads/main-old "$r1"
accepted "refs/heads/xrefs/heads/main is not matched either" mallory "$w" origin \
	"$r1:refs/heads/xrefs/heads/main"
check "xrefs/heads/main at r1" ref_is "$srv" refs/heads/xrefs/heads/main "$r1"

# --- unknown pusher on a restricted ref ------------------------------------
git -C "$w" checkout -q main
git -C "$w" reset -q --hard "$c3"
commit_as "$w" dave@example.com "c4"
c4=$(head_of "$w")
refused "no pusher variable set: refused" "" "$w" origin main
check "says no variable is set and names the consulted ones" expect_out \
	"refs/heads/main: pusher unknown \(no variable of pusher.env is set; consulted: GL_USER, REMOTE_USER\), so the rule restricts who may update this ref \[rule 'mainline'\]"
check "main still at c3" ref_is "$srv" refs/heads/main "$c3"

refused "login not in the policy: refused" mallory "$w" origin main
check "says the login is not in the policy, names GL_USER and the login" \
	expect_out "refs/heads/main: pusher unknown \(the pusher login is not in the policy; consulted: GL_USER, REMOTE_USER; login 'mallory'\)"
check "main still at c3 (mallory)" ref_is "$srv" refs/heads/main "$c3"

# 'dave' followed by a newline must not be taken for dave
refused "login with a newline: refused" "dave$nl" "$w" origin main
check "says control characters, shows the login sanitized" expect_out \
	"refs/heads/main: pusher unknown \(the pusher login is empty, too long or contains control characters; consulted: GL_USER, REMOTE_USER; login 'dave\?'\)"
check "main still at c3 (newline)" ref_is "$srv" refs/heads/main "$c3"

long=$(printf '%0300d' 0 | tr 0 d)
refused "login over 256 bytes: refused" "$long" "$w" origin main
check "says too long" expect_out "pusher unknown \(the pusher login is empty, too long"
check "main still at c3 (long login)" ref_is "$srv" refs/heads/main "$c3"

accepted "a login of exactly 256 bytes is valid (bot, operations)" \
	"$long256" "$w" origin "$c3:refs/heads/release/bot"
check "release/bot created" ref_is "$srv" refs/heads/release/bot "$c3"
refused "the same login plus one byte is too long" \
	"${long256}b" "$w" origin "$c3:refs/heads/release/bot2"
check "says too long, not merely unknown" expect_out "pusher unknown \(the pusher login is empty, too long"
check "release/bot2 not created" ref_is "$srv" refs/heads/release/bot2 ""

# a ref name that is not valid UTF-8 is still under the rule its name
# matches byte-wise: 'refs/heads/release/.+' must cover release/<0xff>
bad=$(printf 'refs/heads/release/\377')
refused "unknown pusher may not create release/<0xff> (protected namespace)" \
	"" "$w" origin "$c3:$bad"
check "release/<0xff> not created" ref_is "$srv" "$bad" ""
git -C "$srv" update-ref -d "$bad" 2>/dev/null
git -C "$srv" update-ref -d refs/heads/release/bot

# the first set, non-empty variable of pusher.env is the pusher, and every
# other one set must agree
GL_USER=alice REMOTE_USER=dave git -C "$w" push origin main >"$TRASH/out" 2>&1
check "GL_USER=alice and REMOTE_USER=dave disagree: refused" test $? -ne 0
check "... the pusher is unknown, neither guessed" expect_out \
	"pusher unknown \(the variables of pusher.env name different logins; consulted: GL_USER, REMOTE_USER; login 'alice'\)"
check "main still at c3 (the variables disagree)" ref_is "$srv" refs/heads/main "$c3"
GL_USER= REMOTE_USER=dave git -C "$w" push origin main >"$TRASH/out" 2>&1
check "empty GL_USER is skipped, REMOTE_USER=dave is used: accepted" test $? -eq 0
check "main at c4" ref_is "$srv" refs/heads/main "$c4"

# --- tags -------------------------------------------------------------------
git -C "$w" tag v1.0 "$c3"
refused "alice may not create a release tag" alice "$w" origin v1.0
check "tag create refusal" expect_out \
	"refs/tags/v1.0: pusher 'alice' may not create this ref: that takes one of the roles: operations \[rule 'release tags'\]"
check "v1.0 not created" ref_is "$srv" refs/tags/v1.0 ""
accepted "dave (operations) creates release tag v1.0" dave "$w" origin v1.0
check "v1.0 at c3" ref_is "$srv" refs/tags/v1.0 "$c3"

# c4 descends from c3: for a branch a fast-forward, for a tag a force-push
git -C "$w" tag -f v1.0 "$c4" >/dev/null
refused "dave may not move v1.0, even forward (a tag move is a force-push)" \
	dave "$w" --force origin v1.0
check "tag move refused as force-push" expect_out \
	"refs/tags/v1.0: nobody may force-push this ref \[rule 'release tags'\]"
check "v1.0 still at c3" ref_is "$srv" refs/tags/v1.0 "$c3"
refused "dave may not delete v1.0" dave "$w" origin :refs/tags/v1.0
check "tag delete refused" expect_out \
	"refs/tags/v1.0: nobody may delete this ref \[rule 'release tags'\]; next: this rule lets nobody do that"
check "v1.0 still at c3 after delete" ref_is "$srv" refs/tags/v1.0 "$c3"

git -C "$w" -c user.email=dave@example.com -c user.name=dave tag -a -m "two" v2.0 "$c4"
accepted "dave creates an annotated release tag" dave "$w" origin v2.0
check "v2.0 peels to c4" ref_is "$srv" refs/tags/v2.0 "$c4"
v2=$(git -C "$w" rev-parse v2.0)
check "v2.0 points at the tag object" test "$(git -C "$srv" rev-parse refs/tags/v2.0)" = "$v2"

# --- several refs in one push: one refused, none updated ---------------------
commit_as "$w" dave@example.com "c5"
c5=$(head_of "$w")
git -C "$w" tag -f v1.0 "$c5" >/dev/null
refused "one push: main ff (ok) + new feature/y (ok) + v1.0 move (refused)" \
	dave "$w" --force origin main "$c5:refs/heads/feature/y" v1.0
check "the tag is refused" expect_out "refused refs/tags/v1.0 under rule 'release tags'"
check "main is accepted by the rules" expect_out "accepted refs/heads/main under rule 'mainline'"
check "main declined too" expect_out "\[remote rejected\] main -> main \(pre-receive hook declined\)"
check "main unchanged (c4)" ref_is "$srv" refs/heads/main "$c4"
check "feature/y not created" ref_is "$srv" refs/heads/feature/y ""
check "v1.0 unchanged (c3)" ref_is "$srv" refs/tags/v1.0 "$c3"
check "v2.0 unchanged" ref_is "$srv" refs/tags/v2.0 "$c4"
check "main-old unchanged" ref_is "$srv" refs/heads/main-old "$r1"
check "server has exactly the expected refs" test \
	"$(git -C "$srv" for-each-ref --format='%(refname)' | tr '\n' ' ')" = \
	"refs/heads/main refs/heads/main-old refs/heads/xrefs/heads/main refs/tags/v1.0 refs/tags/v2.0 "

accepted "the same push without the tag lands" dave "$w" origin main \
	"$c5:refs/heads/feature/y"
check "main at c5" ref_is "$srv" refs/heads/main "$c5"
check "feature/y at c5" ref_is "$srv" refs/heads/feature/y "$c5"

done_testing
