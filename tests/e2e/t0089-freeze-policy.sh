#!/bin/sh
# Freezes in the policy: twokey config check validates them with
# file:line:column (an end not after the start, a bad time, a duplicate
# name, unknown and missing keys, a bad pattern, an empty reason, a
# relative freeze-file), warns about a freeze that is over, one that can
# match no ref, one covering no ref a rule governs and one naming the
# notes ref; config diff counts a removed or shortened freeze, a changed
# pattern and a moved freeze-file as widening (exit 1).
. "$(dirname "$0")/lib.sh"

TK=$TK_BIN/twokey
cat >"$TRASH/bad.yaml" <<'EOF'
version: 1
roles: {dev: developers}
identities: {}
rules:
  - name: main
    refs: refs/heads/main
freeze-file: relative/path
freezes:
  - name: a
    refs: refs/heads/main
    from: 2026-12-20T00:00:00Z
    until: 2026-12-19T00:00:00Z
    reason: x
  - name: a
    refs: 'refs/heads/(main'
    from: 2026-13-20T00:00:00Z
    untill: 2027-01-04T00:00:00Z
    reason: ""
  - name: "b c"
    refs: refs/heads/x
    from: 2026-01-01T00:00:00+01:00
    until: 2027-01-04T00:00:00Z
    reason: ok
  - just a string
EOF
"$TK" config check "$TRASH/bad.yaml" >"$TRASH/out" 2>&1
check "config check fails" test $? -ne 0
B="^$TRASH/bad.yaml"
check "end not after start, at until" expect_out "$B:12:12: key 'freezes\[0\]\.until': the freeze must end after it starts"
check "unknown key" expect_out "$B:17:5: key 'freezes\[1\]\.untill': unknown key"
check "duplicate name" expect_out "$B:14:11: key 'freezes\[1\]\.name': a second freeze named 'a' \(the first is at line 9\)"
check "bad pattern" expect_out "$B:15:11: key 'freezes\[1\]\.refs': invalid pattern"
check "bad month" expect_out "$B:16:11: key 'freezes\[1\]\.from': expected a UTC date"
check "missing until" expect_out "$B:14:5: key 'freezes\[1\]': missing 'until'"
check "empty reason" expect_out "$B:18:13: key 'freezes\[1\]\.reason': expected 1 to 256 bytes"
check "bad name" expect_out "$B:19:11: key 'freezes\[2\]\.name': expected 1 to 64 of"
check "an offset is not UTC" expect_out "$B:21:11: key 'freezes\[2\]\.from': expected a UTC date"
check "an item that is not a mapping" expect_out "$B:24:5: key 'freezes\[3\]': expected a mapping"
check "relative freeze-file" expect_out "$B:7:14: key 'freeze-file': expected an absolute path"

cat >"$TRASH/old.yaml" <<'EOF'
version: 1
roles: {dev: developers}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [dev]}
pusher: {env: [GL_USER]}
rules:
  - name: main
    refs: 'refs/heads/(main|release/.+)'
    update: [dev]
freezes:
  - name: over
    refs: refs/heads/main
    from: 2020-01-01
    until: 2020-01-02
    reason: long ago
  - name: notes
    refs: 'refs/notes/.*'
    from: 2026-01-01
    until: 2099-01-02
    reason: x
  - name: short
    refs: 'heads/main'
    from: 2026-01-01
    until: 2099-01-02
    reason: x
  - name: tags
    refs: 'refs/tags/.*'
    from: 2026-01-01
    until: 2099-01-02
    reason: x
  - name: year-end
    refs: 'refs/heads/(main|release/.+)'
    from: 2026-12-20T00:00:00Z
    until: 2099-01-04T00:00:00Z
    reason: year-end change freeze
EOF
"$TK" config check "$TRASH/old.yaml" >"$TRASH/out" 2>&1
check "a valid policy with freezes passes" test $? -eq 0
O="^$TRASH/old.yaml"
check "warns: over" expect_out "$O:11:5: warning: freeze 'over' ended on 2020-01-02: remove it"
check "warns: the notes ref is never frozen" expect_out "$O:16:5: warning: freeze 'notes': refs/notes/twokey is never frozen"
check "warns: cannot match a ref" expect_out "$O:21:5: warning: freeze 'short': refs 'heads/main' can match no ref"
check "warns: covers no ref a rule governs" expect_out "$O:26:5: warning: freeze 'tags': refs 'refs/tags/\.\*' match no ref any rule governs"
check "no warning about year-end" no_out "year-end"
"$TK" config check --strict "$TRASH/old.yaml" >/dev/null 2>&1
check "--strict fails on the warnings" test $? -ne 0

sed -e '/name: over/,/reason: long ago/d' \
	-e 's/until: 2099-01-04T00:00:00Z/until: 2098-01-04T00:00:00Z/' \
	-e "s|refs: 'refs/tags/.\*'|refs: 'refs/tags/v.*'|" \
	"$TRASH/old.yaml" >"$TRASH/new.yaml"
"$TK" config diff "$TRASH/old.yaml" "$TRASH/new.yaml" >"$TRASH/out" 2>&1
check "config diff exits 1 when a freeze shrinks" test $? -eq 1
check "shortened widens" expect_out "^widens: freeze 'year-end' shortened: now 2026-12-20 to 2098-01-04"
check "a changed pattern widens" expect_out "^widens: freeze 'tags': refs changed from 'refs/tags/\.\*' to 'refs/tags/v\.\*'"
check "removing one that was over is a note" expect_out "freeze 'over' removed \(it was over\)"
check "that is not counted as widening" no_out "^widens: freeze 'over'"

"$TK" config diff "$TRASH/new.yaml" "$TRASH/old.yaml" >"$TRASH/out" 2>&1
check "lengthened narrows" expect_out "^narrows: freeze 'year-end' lengthened"
check "added narrows" expect_out "^narrows: freeze 'over' added"

sed -e '/name: year-end/,$d' "$TRASH/old.yaml" >"$TRASH/removed.yaml"
echo "freeze-file: /srv/twokey/freeze" >>"$TRASH/removed.yaml"
"$TK" config diff "$TRASH/old.yaml" "$TRASH/removed.yaml" >"$TRASH/out" 2>&1
check "config diff exits 1 when a freeze is removed" test $? -eq 1
check "removed widens" expect_out "^widens: freeze 'year-end' removed$"
check "moving freeze-file widens" expect_out "^widens: freeze-file changed"
"$TK" config diff "$TRASH/old.yaml" "$TRASH/old.yaml" >"$TRASH/out" 2>&1
check "no change: exit 0" test $? -eq 0
done_testing
