#!/bin/sh
# Freezes through the update hook, which git runs once per ref: in one
# push, the frozen refs are refused and the others land; planned and ad
# hoc freezes together; a corrupt freeze file refuses every ref; after
# the ad hoc freeze stops, its ref lands.
. "$(dirname "$0")/lib.sh"

ts() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date -u +%s)
FF=$TRASH/freeze
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer]}
pusher: {env: [GL_USER]}
freeze-file: $FF
rules:
  - name: all
    refs: 'refs/heads/.+'
    update: [developer]
freezes:
  - name: year-end
    refs: refs/heads/main
    from: $(ts $((now - 60)))
    until: $(ts $((now + 86400)))
    reason: year-end change freeze
EOF
srv=$(new_server srv update)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "first"
c1=$(head_of "$w")

"$TK_BIN/twokey" freeze start --refs 'refs/heads/release/.+' --reason 'INC-9 hotfix window' --name inc9 >/dev/null
refused "one push, three refs" alice "$w" origin HEAD:refs/heads/main HEAD:refs/heads/release/1 HEAD:refs/heads/feature
check "main refused by the planned freeze" expect_out "refs/heads/main: this ref is frozen: freeze 'year-end', until $(ts $((now + 86400))): year-end change freeze"
check "release/1 refused by the ad hoc freeze" expect_out "refs/heads/release/1: this ref is frozen: freeze 'inc9', until it is stopped: INC-9 hotfix window"
check "git says the update hook declined main" expect_out "\[remote rejected\] HEAD -> main \(hook declined\)"
check "main absent" ref_is "$srv" refs/heads/main ""
check "release/1 absent" ref_is "$srv" refs/heads/release/1 ""
check "feature landed" ref_is "$srv" refs/heads/feature "$c1"

printf 'not a freeze file\n' >"$FF"
commit_as "$w" alice@example.com "second"
refused "corrupt file: feature refused" alice "$w" origin HEAD:refs/heads/feature
check "corrupt: says so" expect_out "refs/heads/feature: the server's ad hoc freeze state cannot be read"
check "feature unchanged" ref_is "$srv" refs/heads/feature "$c1"

printf 'twokey-freeze 1\n' >"$FF"
"$TK_BIN/twokey" freeze start --refs 'refs/heads/release/.+' --reason 'again' --name inc10 >/dev/null
check "stop inc10" "$TK_BIN/twokey" freeze stop inc10
accepted "release/1 lands once the freeze stopped" alice "$w" origin HEAD:refs/heads/release/1 HEAD:refs/heads/feature
check "release/1 at c2" ref_is "$srv" refs/heads/release/1 "$(head_of "$w")"
done_testing
