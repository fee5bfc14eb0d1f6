#!/bin/sh
# Ad hoc freezes (docs/freezes.md): twokey freeze start, stop and status;
# a freeze until stopped and one with an end that passes; overlapping ad
# hoc freezes all named; hostile arguments refused without touching the
# file; concurrent starts and stops (flock) lose nothing; the file is
# replaced atomically.
. "$(dirname "$0")/lib.sh"

ts() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
FF=$TRASH/state/freeze
mkdir -p "$TRASH/state"
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer]}
pusher: {env: [GL_USER]}
freeze-file: $FF
rules:
  - name: mainline
    refs: 'refs/heads/(main|release/.+)'
    update: [developer]
freezes:
  - name: planned
    refs: refs/heads/planned-only
    from: 2030-01-01T00:00:00Z
    until: 2030-01-02T00:00:00Z
    reason: later
EOF
fz() { "$TK_BIN/twokey" freeze "$@" >"$TRASH/out" 2>&1; }

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "first"

check "status without a freeze file" fz status
check "status lists the planned freeze" expect_out "^later    planned planned"
accepted "no ad hoc freeze: main is accepted" alice "$w" origin HEAD:refs/heads/main

check "start an open-ended freeze" fz start --refs 'refs/heads/main' --reason 'INC-42 payment outage' --name inc42
check "start says so" expect_out "^twokey: freeze 'inc42' started, in force until stopped"
check "the file is 0644" test "$(stat -c %a "$FF")" = 644
check "no temporary file is left" test ! -e "$FF.tmp"
commit_as "$w" alice@example.com "second"
refused "main is frozen" alice "$w" origin HEAD:refs/heads/main
check "named, until stopped, with the reason" expect_out \
	"^remote: twokey: error: refs/heads/main: this ref is frozen: freeze 'inc42', until it is stopped: INC-42 payment outage"

now=$(date -u +%s)
soon=$((now + 30))
check "start a second, overlapping freeze with an end" fz start --refs 'refs/heads/.*' --reason 'all hands' --until "$(ts $soon)" --name brief
check "start prints the end" expect_out "in force until $(ts $soon)"
refused "main under both" alice "$w" origin HEAD:refs/heads/main
check "both named (inc42)" expect_out "freeze 'inc42'"
check "both named (brief)" expect_out "refs/heads/main: this ref is frozen: freeze 'brief', until $(ts $soon): all hands"
check "the default name is adhoc-<time>" fz start --refs 'refs/heads/x' --reason 'x' --until +5m
check "the default name" expect_out "^twokey: freeze 'adhoc-[0-9]{8}T[0-9]{6}Z' started, in force until "
dflt=$(sed -n "s/^twokey: freeze '\([^']*\)'.*/\1/p" "$TRASH/out")
check "and it stops by name" fz stop "$dflt"

! fz stop
check "stop without a name refuses when two are in force" expect_out "2 ad hoc freezes are in force; name the one"
check "stop inc42" fz stop inc42
check "stop says so" expect_out "^twokey: freeze 'inc42' stopped"
refused "main still under brief" alice "$w" origin HEAD:refs/heads/main
check "inc42 no longer named" no_out "inc42"
! fz start --refs refs/heads/y --reason again --name brief
check "a name in force cannot be started again" expect_out "freeze 'brief' is already in force"
! fz start --refs refs/heads/y --reason again --name planned
check "nor a planned freeze's name" expect_out "a planned freeze in the policy is named 'planned'"

# --- hostile arguments: usage errors (2), the file untouched ----------
cp "$FF" "$TRASH/before"
bad() {
	d=$1
	shift
	fz start "$@"
	rc=$?
	if [ "$rc" -eq 2 ] && cmp -s "$FF" "$TRASH/before"; then ok "$d"; else
		not_ok "$d (exit $rc)"
		sed 's/^/#   /' "$TRASH/out"
	fi
}
bad "a reason with an escape sequence" --refs refs/heads/a --reason "$(printf 'ok\033[2Jcleared')"
bad "a reason with a newline" --refs refs/heads/a --reason "$(printf 'a\nremote: twokey: accepted')"
bad "a reason over 256 bytes" --refs refs/heads/a --reason "$(printf '%0300d' 0)"
bad "an empty reason" --refs refs/heads/a --reason ""
bad "invalid UTF-8 in the reason" --refs refs/heads/a --reason "$(printf 'bad \377 byte')"
bad "a pattern that does not compile" --refs 'refs/heads/(' --reason r
bad "a pattern with a tab" --refs "$(printf 'refs/heads/\ta')" --reason r
bad "a pattern over 1024 bytes" --refs "refs/heads/$(printf '%01100d' 0)" --reason r
bad "a name with a slash" --refs refs/heads/a --reason r --name ../../etc
bad "a name over 64 bytes" --refs refs/heads/a --reason r --name "$(printf '%070d' 0)"
bad "an end in the past" --refs refs/heads/a --reason r --until 2020-01-01T00:00:00Z
bad "an end that is not a time" --refs refs/heads/a --reason r --until tomorrow
bad "an end with an offset" --refs refs/heads/a --reason r --until 2030-01-01T00:00:00+01:00
bad "a relative end with no unit" --refs refs/heads/a --reason r --until +5
bad "no --reason" --refs refs/heads/a
bad "an unknown option" --refs refs/heads/a --reason r --force
check "a reason in UTF-8 is fine" fz start --refs refs/heads/u --reason 'Jahresabschluss – Änderungsstopp' --until +1h --name utf8
check "status shows it as written" fz status
check "status: the UTF-8 reason" expect_out "reason: Jahresabschluss – Änderungsstopp"
check "status: who started it" expect_out "by:     [a-z0-9._:-]+"

"$TK_BIN/twokey" freeze status --format json >"$TRASH/json"
check "status --format json parses" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["store_ok"] is True
k = {f["name"]: f for f in d["freezes"]}
assert k["planned"]["kind"] == "planned" and k["planned"]["state"] == "later"
assert k["brief"]["kind"] == "adhoc" and k["brief"]["state"] == "in force"
assert k["utf8"]["until"] is not None
' "$TRASH/json"

# --- the end passes ---------------------------------------------------
while [ "$(date -u +%s)" -le "$soon" ]; do sleep 1; done
accepted "main is accepted once 'brief' ended" alice "$w" origin HEAD:refs/heads/main
fz status
check "status: brief is over" expect_out "^over     ad hoc  brief"
! fz stop brief
check "an ended freeze cannot be stopped" expect_out "no ad hoc freeze named 'brief' is in force"
fz stop utf8

# --- concurrency: flock serializes, nothing is lost -------------------
i=0
while [ $i -lt 12 ]; do
	"$TK_BIN/twokey" freeze start --refs "refs/heads/c$i" --reason "c $i" --until +1h --name "c$i" >"$TRASH/c$i.out" 2>&1 &
	i=$((i + 1))
done
wait
n=$(grep -c '^c[0-9]*	' "$FF")
check "12 concurrent starts: 12 records" test "$n" -eq 12
check "the file still parses" fz status
i=0
while [ $i -lt 12 ]; do
	"$TK_BIN/twokey" freeze stop "c$i" >"$TRASH/s$i.out" 2>&1 &
	i=$((i + 1))
done
wait
check "12 concurrent stops: none left" test "$(grep -c '^c[0-9]*	' "$FF")" -eq 0
check "the header stays" test "$(head -n 1 "$FF")" = "twokey-freeze 1"
commit_as "$w" alice@example.com "third"
accepted "nothing frozen: main accepted" alice "$w" origin HEAD:refs/heads/main
done_testing
