#!/bin/sh
# The update hook (and gitolite's VREF call of it) decides as the
# pre-receive hook does.  git gives the update hook no push options, so
# where a repository advertises them (receive.advertisePushOptions) a push
# sent with -o twokey.dry-run, which pre-receive refuses, would land for
# real through the update hook: there twokey-update refuses every update,
# saying why, and records the refusal.  Without the advertisement git
# refuses -o on the client, and pushes are decided as usual.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-notes.sh"

LOG=$TRASH/audit.jsonl
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
rules:
  - name: features
    refs: 'refs/heads/feature/.+'
    create: [developer]
    update: [developer]
EOF

# --- the reference: pre-receive refuses the dry run ------------------------
pre=$(new_server pre)
git -C "$pre" config receive.advertisePushOptions true
w=$(new_work w)
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
refused "pre-receive: a dry run is refused" alice "$w" "$pre" \
	-o twokey.dry-run HEAD:refs/heads/feature/a
check "...nothing moved" ref_is "$pre" refs/heads/feature/a ""

# --- update hook, push options advertised ---------------------------------
up=$(new_server up update)
git -C "$up" config receive.advertisePushOptions true
refused "update hook: a dry run is refused too" alice "$w" "$up" \
	-o twokey.dry-run HEAD:refs/heads/feature/a
check "...nothing moved" ref_is "$up" refs/heads/feature/a ""
check "...saying the update hook cannot see push options" expect_out \
	"^remote: twokey: error: this repository advertises push options \(receive.advertisePushOptions\), but twokey runs as the update hook here"
check "...and how to repair it" expect_out \
	"receive.advertisePushOptions to false or runs twokey as the pre-receive hook"
check "...recorded as refused by the update hook" audit_last "$LOG" \
	"r['hook'] == 'update' and r['decision'] == 'refused'" \
	"'advertises push options' in r['error']"
refused "update hook: a push without options is refused as well (it cannot tell)" \
	alice "$w" "$up" HEAD:refs/heads/feature/a
check "...nothing moved" ref_is "$up" refs/heads/feature/a ""
git -C "$up" update-ref refs/heads/feature/b "$base"
commit_as "$w" alice@example.com "more"
c=$(head_of "$w")
git -C "$w" push -q "$up" HEAD:refs/heads/feature/c 2>/dev/null
GIT_DIR="$up" GL_USER=alice "$TK_BIN/twokey-update" refs/heads/feature/b \
	"$base" "$c" "$(git -C "$w" rev-parse "$base^{tree}")" \
	"$(git -C "$w" rev-parse "$c^{tree}")" W VREF/TWOKEY >"$TRASH/out" 2>&1
check "gitolite's 7-argument VREF call refuses too" test $? -eq 1
check "...saying why" expect_out \
	"^twokey: error: this repository advertises push options"
# git itself stops on a bad boolean; the hook, called alone, refuses
git -C "$up" config receive.advertisePushOptions yes-please
GIT_DIR="$up" GL_USER=alice "$TK_BIN/twokey-update" refs/heads/feature/b \
	"$base" "$c" >"$TRASH/out" 2>&1
check "an unreadable receive.advertisePushOptions refuses" test $? -eq 1
check "...saying so" expect_out "cannot read receive.advertisePushOptions"

# --- twokey doctor sees the same --------------------------------------------
git -C "$up" config receive.advertisePushOptions true
"$TK_BIN/twokey" doctor "$up" >"$TRASH/out" 2>&1
check "doctor: the update hook on an advertising repository is a problem (exit 1)" test $? -eq 1
check "...saying why" expect_out \
	"^PROBLEM  update hook: twokey-update refuses every update here: the repository advertises push options"
check "...with the fix" expect_out \
	"^         fix: git -C $up/? config receive.advertisePushOptions false$"
check "...and no problem about a missing pre-receive hook" no_out "PROBLEM  pre-receive hook"
git -C "$up" config receive.advertisePushOptions false
"$TK_BIN/twokey" doctor "$up" >"$TRASH/out" 2>&1
check "doctor: without the advertisement the update hook is fine" expect_out "^ok       update hook: "
check "...twokey runs as the update hook: a note" expect_out \
	"^note     no pre-receive hook: twokey runs as the update hook$"
check "...no problem about either hook" no_out "PROBLEM  (update|pre-receive) hook"

# --- update hook, push options not advertised: git refuses -o itself ------
git -C "$up" config receive.advertisePushOptions false
refused "not advertised: git refuses the dry run on the client" alice "$w" \
	"$up" -o twokey.dry-run HEAD:refs/heads/feature/a
check "...git says why" expect_out "does not support push options"
check "...nothing moved" ref_is "$up" refs/heads/feature/a ""
accepted "not advertised: an allowed push lands" alice "$w" "$up" \
	HEAD:refs/heads/feature/a
check "...feature/a created" ref_is "$up" refs/heads/feature/a "$c"
git -C "$up" config --unset receive.advertisePushOptions
commit_as "$w" alice@example.com "again"
accepted "no setting at all: an allowed push lands" alice "$w" "$up" \
	HEAD:refs/heads/feature/a
check "...feature/a moved" ref_is "$up" refs/heads/feature/a "$(head_of "$w")"


# --- refs of the same push: the update hook reads earlier ones at their new
# value (docs/decisions.md, "Refs of the same push under the update hook")
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, operations: deploys}
identities:
  dave: {emails: [dave@example.com], logins: [dave], roles: [developer, operations]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
rules:
  - name: beta
    refs: refs/heads/beta
    update: [developer]
  - name: main
    refs: refs/heads/main
    update: [operations]
    promote-from: refs/heads/beta
EOF
git -C "$up" config receive.advertisePushOptions false
# git sends a push's updates sorted by name: beta's before main's
git -C "$w" push -q "$pre" "$base:refs/heads/x" 2>/dev/null
for s in "$pre" "$up"; do
	git -C "$s" update-ref refs/heads/main "$base"
	git -C "$s" update-ref refs/heads/beta "$base"
done
commit_as "$w" dave@example.com "to promote"
p=$(head_of "$w")
refused "pre-receive: beta and main in one push, main not yet on beta" \
	dave "$w" "$pre" HEAD:refs/heads/beta HEAD:refs/heads/main
check "...says promote-from" expect_out "not on refs/heads/beta yet \(promote-from\)"
check "...main unmoved" ref_is "$pre" refs/heads/main "$base"
accepted "pre-receive: the same updates one at a time" dave "$w" "$pre" \
	HEAD:refs/heads/beta
accepted "...then main" dave "$w" "$pre" HEAD:refs/heads/main
accepted "update hook: the same push in one go, decided as one at a time" \
	dave "$w" "$up" HEAD:refs/heads/beta HEAD:refs/heads/main
check "...main moved" ref_is "$up" refs/heads/main "$p"
commit_as "$w" dave@example.com "not promoted"
refused "update hook: main alone, not on beta, refused" dave "$w" "$up" \
	HEAD:refs/heads/main
check "...says promote-from" expect_out "not on refs/heads/beta yet \(promote-from\)"

done_testing
