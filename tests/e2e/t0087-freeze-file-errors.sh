#!/bin/sh
# The freeze file fails closed (docs/freezes.md, "The freeze file"): a
# missing file is no ad hoc freeze; a corrupt one (garbage, a cut line, a
# bad field, a duplicate name, oversize, a directory, unreadable) refuses
# every update with a message that says so and shows the pusher no path;
# twokey freeze status says what is wrong and start/stop leave the file
# alone.  A hand-written valid file is obeyed.
. "$(dirname "$0")/lib.sh"

FF=$TRASH/freeze
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer]}
pusher: {env: [GL_USER]}
freeze-file: $FF
rules:
  - name: mainline
    refs: refs/heads/main
    update: [developer]
EOF
srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "first"

accepted "a missing freeze file: no ad hoc freeze" alice "$w" origin HEAD:refs/heads/main

k=0
corrupt() {
	cw=$1 # check() sets d
	cwant=$2
	k=$((k + 1))
	commit_as "$w" alice@example.com "c$k"
	refused "$cw: main refused" alice "$w" origin HEAD:refs/heads/main
	check "$cw: the pusher is told why" expect_out \
		"^remote: twokey: error: refs/heads/main: the server's ad hoc freeze state cannot be read, so no ref can be updated \(fail closed\)"
	check "$cw: no path shown to the pusher" no_out "$FF"
	refused "$cw: a ref no rule matches is refused too" alice "$w" origin "HEAD:refs/heads/topic$k"
	"$TK_BIN/twokey" freeze status >"$TRASH/out" 2>&1
	check "$cw: status fails" test $? -eq 1
	check "$cw: status says what is wrong" expect_out "$cwant"
}
printf 'garbage\n' >"$FF"
corrupt "garbage" "freeze file '$FF' is corrupt: line 1: expected 'twokey-freeze 1'"
: >"$FF"
corrupt "an empty file" "is corrupt: line 1"
printf 'twokey-freeze 1\nx\t2026-01-01T00:00:00Z\t-\troot\trefs/heads/x\tcut' >"$FF"
corrupt "a cut last line" "line 2: cut short"
printf 'twokey-freeze 1\nx\t2026-01-01T00:00:00Z\t-\troot\trefs/heads/x\n' >"$FF"
corrupt "a missing field" "line 2: expected 6 fields"
printf 'twokey-freeze 1\nx\t2026-01-01T00:00:00Z\t-\troot\trefs/heads/x\ta\tb\n' >"$FF"
corrupt "an extra field" "line 2: expected 6 fields"
printf 'twokey-freeze 1\nx\t2026-13-01T00:00:00Z\t-\troot\trefs/heads/x\tr\n' >"$FF"
corrupt "a bad time" "line 2: expected a UTC time"
printf 'twokey-freeze 1\nx\t2026-01-01T00:00:00Z\t-\troot\trefs/heads/(\tr\n' >"$FF"
corrupt "a bad pattern" "line 2: refs pattern"
printf 'twokey-freeze 1\nx\t2026-01-01T00:00:00Z\t-\troot\trefs/heads/x\tr \033[2J\n' >"$FF"
corrupt "a control character in the reason" "line 2: the reason must be"
printf 'twokey-freeze 1\nx\t2026-01-01T00:00:00Z\t-\troot\trefs/heads/x\tr\nx\t2026-01-01T00:00:00Z\t-\troot\trefs/heads/y\tr\n' >"$FF"
corrupt "a duplicate name" "line 3: a second freeze named 'x'"
printf 'twokey-freeze 1\nx\t2026-01-02T00:00:00Z\t2026-01-01T00:00:00Z\troot\trefs/heads/x\tr\n' >"$FF"
corrupt "an end before the start" "line 2: the end must come after the start"
{ printf 'twokey-freeze 1\n'; i=0; while [ $i -lt 70 ]; do printf 'f%d\t2026-01-01T00:00:00Z\t-\troot\trefs/heads/x\tr\n' $i; i=$((i + 1)); done; } >"$FF"
corrupt "over 64 freezes" "more than 64 freezes"
{ printf 'twokey-freeze 1\n'; head -c 70000 /dev/zero | tr '\0' 'a'; } >"$FF"
corrupt "over 64 KiB" "larger than 65536 bytes"
rm -f "$FF"
mkdir "$FF"
corrupt "a directory" "is not a regular file"
rmdir "$FF"

# start and stop refuse on a corrupt file and leave it as it was
printf 'garbage\n' >"$FF"
"$TK_BIN/twokey" freeze start --refs refs/heads/a --reason r >"$TRASH/out" 2>&1
check "start refuses on a corrupt file" test $? -eq 1
check "start: says corrupt" expect_out "is corrupt"
check "start: the file is left as it was" test "$(cat "$FF")" = garbage
"$TK_BIN/twokey" freeze stop x >"$TRASH/out" 2>&1
check "stop refuses on a corrupt file" test $? -eq 1
check "stop: the file is left as it was" test "$(cat "$FF")" = garbage

# a hand-written valid file is obeyed (the format is documented)
printf 'twokey-freeze 1\nhand\t2026-01-01T00:00:00Z\t-\tops\trefs/heads/main\tby hand\n' >"$FF"
commit_as "$w" alice@example.com "hand"
refused "a hand-written freeze applies" alice "$w" origin HEAD:refs/heads/main
check "named" expect_out "this ref is frozen: freeze 'hand', until it is stopped: by hand"
printf 'twokey-freeze 1\n' >"$FF"
accepted "a file with no freeze" alice "$w" origin HEAD:refs/heads/main

# an unreadable file (root reads anything: the push runs as another user)
unpriv_setup
printf 'twokey-freeze 1\n' >"$FF"
chmod 600 "$FF"
srvu="$TRASH/srv-u.git"
cp -R "$srv" "$srvu"
[ -z "$UNPRIV" ] || chown -R "$tk_unpriv_user:" "$srvu"
[ -n "$UNPRIV" ] || chmod 000 "$FF"
commit_as "$w" alice@example.com "unreadable"
GL_USER=alice $UNPRIV git -c safe.directory='*' -C "$w" push "$srvu" \
	HEAD:refs/heads/main >"$TRASH/out" 2>&1
check "an unreadable freeze file refuses${UNPRIV:+ (as $tk_unpriv_user)}" test $? -ne 0
check "unreadable: the pusher is told" expect_out "the server's ad hoc freeze state cannot be read"
chmod 644 "$FF"
done_testing
