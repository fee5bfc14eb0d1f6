#!/bin/sh
# The same role checks through the update hook (hooks/update ->
# twokey-update), which git runs once per ref: a refused ref is left alone
# while the others of the push land.  Also gitolite's 7-argument VREF call.
. "$(dirname "$0")/lib.sh"


write_policy "$TRASH/policy.yaml" <<'EOF'
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
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [operations]
    delete: []
  - name: release
    refs: 'refs/heads/release/.+'
    update: [developer, operations]
    create: [operations]
    delete: [admin]
    force-push: [admin]
  - name: release tags
    refs: 'refs/tags/v[0-9].*'
    create: [operations]
    update: [operations]
    force-push: []
    delete: []
EOF

srv=$(new_server srv update)
check "the update hook is installed" test -L "$srv/hooks/update"
check "no pre-receive hook" test ! -e "$srv/hooks/pre-receive"
# let twokey, not git's own guard, decide on deleting the current branch
git -C "$srv" config receive.denyDeleteCurrent ignore
w=$(new_work w)
git -C "$w" remote add origin "$srv"

# --- create / update / force-push / delete by role -----------------------
commit_as "$w" alice@example.com "first"
c1=$(head_of "$w")
refused "alice may not create main (falls back to update: operations)" \
	alice "$w" origin main
check "create refusal message" expect_out \
	"^remote: twokey: error: refs/heads/main: pusher 'alice' may not create this ref: that takes one of the roles: operations \[rule 'mainline'\]"
check "summary line" expect_out "^remote: twokey: refused refs/heads/main under rule 'mainline' \(1 problem\)"
check "git says the update hook declined" expect_out "\[remote rejected\] main -> main \(hook declined\)"
check "main not created" ref_is "$srv" refs/heads/main ""
accepted "dave creates main" dave "$w" origin main
check "accepted line" expect_out "^remote: twokey: accepted refs/heads/main under rule 'mainline'"
check "main at c1" ref_is "$srv" refs/heads/main "$c1"

commit_as "$w" alice@example.com "second"
c2=$(head_of "$w")
refused "alice may not fast-forward main" alice "$w" origin main
check "update refusal message" expect_out \
	"refs/heads/main: pusher 'alice' may not update this ref: that takes one of the roles: operations \[rule 'mainline'\]"
check "main still at c1" ref_is "$srv" refs/heads/main "$c1"
accepted "dave fast-forwards main" dave "$w" origin main
check "main at c2" ref_is "$srv" refs/heads/main "$c2"

git -C "$w" reset -q --hard "$c1"
commit_as "$w" alice@example.com "rewritten"
c3=$(head_of "$w")
refused "alice may not force-push main" alice "$w" --force origin main
check "force refusal message" expect_out \
	"refs/heads/main: pusher 'alice' may not force-push this ref: that takes one of the roles: operations"
check "main still at c2" ref_is "$srv" refs/heads/main "$c2"
accepted "dave force-pushes main (falls back to update)" dave "$w" --force origin main
check "main at c3" ref_is "$srv" refs/heads/main "$c3"

for who in dave olga; do
	refused "$who may not delete main (delete: [])" $who "$w" origin :main
	check "delete refusal for $who: nobody may delete" expect_out \
		"refs/heads/main: nobody may delete this ref"
	check "main still at c3 ($who)" ref_is "$srv" refs/heads/main "$c3"
done

git -C "$w" checkout -q -b release/1 "$c3"
commit_as "$w" alice@example.com "r1"
r1=$(head_of "$w")
refused "alice may not create release/1" alice "$w" origin release/1
check "release/1 not created" ref_is "$srv" refs/heads/release/1 ""
accepted "dave creates release/1" dave "$w" origin release/1
check "release/1 at r1" ref_is "$srv" refs/heads/release/1 "$r1"
commit_as "$w" alice@example.com "r2"
r2=$(head_of "$w")
refused "olga may not fast-forward release/1" olga "$w" origin release/1
check "refusal lists developer, operations" expect_out \
	"pusher 'olga' may not update this ref: that takes one of the roles: developer, operations \[rule 'release'\]"
accepted "alice fast-forwards release/1" alice "$w" origin release/1
check "release/1 at r2" ref_is "$srv" refs/heads/release/1 "$r2"
git -C "$w" reset -q --hard "$r1"
commit_as "$w" alice@example.com "r2 rewritten"
r3=$(head_of "$w")
refused "dave may not force-push release/1" dave "$w" --force origin release/1
check "force refusal names admin" expect_out "pusher 'dave' may not force-push this ref: that takes one of the roles: admin"
check "release/1 still at r2" ref_is "$srv" refs/heads/release/1 "$r2"
accepted "olga force-pushes release/1" olga "$w" --force origin release/1
check "release/1 at r3" ref_is "$srv" refs/heads/release/1 "$r3"
refused "dave may not delete release/1" dave "$w" origin :release/1
check "release/1 still at r3" ref_is "$srv" refs/heads/release/1 "$r3"
accepted "olga deletes release/1" olga "$w" origin :release/1
check "release/1 gone" ref_is "$srv" refs/heads/release/1 ""

# --- unprotected and unknown pushers ---------------------------------------
accepted "unknown pusher creates an unprotected ref" "" "$w" origin "$r1:refs/heads/feature/x"
check "feature/x at r1" ref_is "$srv" refs/heads/feature/x "$r1"
accepted "login not in the policy force-pushes it" mallory "$w" --force origin "$r3:refs/heads/feature/x"
check "feature/x at r3" ref_is "$srv" refs/heads/feature/x "$r3"

git -C "$w" checkout -q main
commit_as "$w" dave@example.com "c4"
c4=$(head_of "$w")
refused "no GL_USER: refused for a restricted ref" "" "$w" origin main
check "names the consulted variable" expect_out \
	"refs/heads/main: pusher unknown \(no variable of pusher.env is set; consulted: GL_USER\), so the rule restricts who may update this ref"
refused "GL_USER not in the policy: refused" mallory "$w" origin main
check "says so, with the login" expect_out \
	"pusher unknown \(the pusher login is not in the policy; consulted: GL_USER; login 'mallory'\)"
nl='
'
refused "GL_USER with a newline: refused" "dave$nl" "$w" origin main
check "says control characters" expect_out \
	"pusher unknown \(the pusher login is empty, too long or contains control characters; consulted: GL_USER; login 'dave\?'\)"
check "main still at c3" ref_is "$srv" refs/heads/main "$c3"

# --- tags ---------------------------------------------------------------
git -C "$w" tag v1.0 "$c3"
accepted "dave creates tag v1.0" dave "$w" origin v1.0
check "v1.0 at c3" ref_is "$srv" refs/tags/v1.0 "$c3"
git -C "$w" tag -f v1.0 "$c4" >/dev/null
refused "moving v1.0 forward is a force-push: refused" dave "$w" --force origin v1.0
check "tag move message" expect_out "refs/tags/v1.0: nobody may force-push this ref"
check "v1.0 still at c3" ref_is "$srv" refs/tags/v1.0 "$c3"
refused "deleting v1.0 refused" dave "$w" origin :refs/tags/v1.0
check "v1.0 still at c3 after delete" ref_is "$srv" refs/tags/v1.0 "$c3"

# --- several refs in one push: only the refused one stays ------------------
# dave: main ff (ok), new feature/y (unprotected), v1.0 move (refused),
# release/2 create (ok)
refused "one push, one refused ref: git push fails" dave "$w" --force origin \
	main "$c4:refs/heads/feature/y" v1.0 "$c4:refs/heads/release/2"
check "v1.0 reported refused" expect_out "refused refs/tags/v1.0 under rule 'release tags'"
check "v1.0 declined by the hook" expect_out "\[remote rejected\] v1.0 -> v1.0 \(hook declined\)"
check "main landed" ref_is "$srv" refs/heads/main "$c4"
check "feature/y landed" ref_is "$srv" refs/heads/feature/y "$c4"
check "release/2 landed" ref_is "$srv" refs/heads/release/2 "$c4"
check "v1.0 unchanged" ref_is "$srv" refs/tags/v1.0 "$c3"

# alice: release/2 ff (ok), main ff (refused)
commit_as "$w" alice@example.com "c5"
c5=$(head_of "$w")
refused "alice: release/2 ok, main refused" alice "$w" origin \
	main "$c5:refs/heads/release/2"
check "main refused for alice" expect_out "refs/heads/main: pusher 'alice' may not update"
check "main unchanged" ref_is "$srv" refs/heads/main "$c4"
check "release/2 landed at c5" ref_is "$srv" refs/heads/release/2 "$c5"

# with --atomic git itself rolls back the others
git -C "$w" reset -q --hard "$c5"
commit_as "$w" alice@example.com "c6"
c6=$(head_of "$w")
refused "--atomic: one refused ref fails all" alice "$w" --atomic origin \
	main "$c6:refs/heads/release/2"
check "release/2 unchanged under --atomic" ref_is "$srv" refs/heads/release/2 "$c5"
check "main unchanged under --atomic" ref_is "$srv" refs/heads/main "$c4"

# --- gitolite VREF call: ref old new oldtree newtree access VREF/NAME --------
t4=$(git -C "$srv" rev-parse "$c4^{tree}")
t5=$(git -C "$srv" rev-parse "$c5^{tree}")
z=0000000000000000000000000000000000000000
# vref LOGIN ARGS...: runs twokey-update as gitolite does; stderr in out,
# stdout in vref.stdout (gitolite reads a VREF's stdout as more refs to
# check, so the hook must print nothing there).
vref() {
	l=$1
	shift
	(cd "$srv" && GIT_DIR="$srv" GL_USER="$l" "$TK_BIN/twokey-update" "$@") \
		>"$TRASH/vref.stdout" 2>"$TRASH/out"
}
vref dave refs/heads/main "$c4" "$c5" "$t4" "$t5" W VREF/TWOKEY
check "VREF: dave may update main (exit 0)" test $? -eq 0
check "VREF: accepted line" expect_out "^twokey: accepted refs/heads/main under rule 'mainline'$"
check "VREF: nothing on stdout when accepting" test ! -s "$TRASH/vref.stdout"
vref alice refs/heads/main "$c4" "$c5" "$t4" "$t5" W VREF/TWOKEY
check "VREF: alice may not update main (exit 1)" test $? -eq 1
check "VREF: refusal on stderr" expect_out \
	"^twokey: error: refs/heads/main: pusher 'alice' may not update this ref: that takes one of the roles: operations \[rule 'mainline'\]"
check "VREF: nothing on stdout when refusing" test ! -s "$TRASH/vref.stdout"
vref alice refs/heads/main "$c5" "$c3" "$t5" "$t4" + VREF/TWOKEY
check "VREF: alice rewind is a force-push (exit 1)" test $? -eq 1
check "VREF: force-push named" expect_out "pusher 'alice' may not force-push this ref"
vref dave refs/heads/release/9 "$z" "$c5" "$z" "$t5" C VREF/TWOKEY
check "VREF: dave may create release/9 (exit 0)" test $? -eq 0
vref dave refs/heads/main "$c4" "$z" "$t4" "$z" D VREF/TWOKEY
check "VREF: dave may not delete main (exit 1)" test $? -eq 1
check "VREF: delete refusal" expect_out "^twokey: error: refs/heads/main: nobody may delete this ref \[rule 'mainline'\]"
vref "" refs/heads/main "$c4" "$c5" "$t4" "$t5" W VREF/TWOKEY
check "VREF: no GL_USER (exit 1)" test $? -eq 1
check "VREF: names GL_USER" expect_out "pusher unknown \(no variable of pusher.env is set; consulted: GL_USER\)"
vref mallory refs/heads/feature/z "$c4" "$c5" "$t4" "$t5" W VREF/TWOKEY
check "VREF: unprotected ref, unknown login (exit 0)" test $? -eq 0
vref dave refs/heads/main "$c4" "$c5" "$t4" "$t5" W
check "VREF: 6 arguments is a usage error (exit 1)" test $? -eq 1
check "VREF: 6 arguments message" expect_out "twokey: error: expected 'REF OLD NEW' \(or gitolite's 7 VREF arguments\), got 6 arguments"
vref dave refs/heads/main "$c4"
check "update: 2 arguments (exit 1)" test $? -eq 1
check "update: fails closed" expect_out "twokey: refusing the push: twokey could not decide it, and it fails closed"
check "the VREF calls changed no ref" ref_is "$srv" refs/heads/main "$c4"
check "release/9 not created by a hook run" ref_is "$srv" refs/heads/release/9 ""

done_testing
