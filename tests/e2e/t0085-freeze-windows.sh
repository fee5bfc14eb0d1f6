#!/bin/sh
# Planned change freezes (docs/spec.md, "Change freezes"): windows before,
# during and after, relative to the real clock (no clock override exists);
# overlapping freezes all named; a freeze whose end passed; a freeze on
# refs no rule matches (its own pattern decides); a rule in warn mode does
# not soften a freeze; approvals in refs/notes/twokey stay possible during
# a freeze; an emergency lands during a freeze only where its rule waives
# freeze (and only for a role in its by:); the refusal is in the audit
# record.  Through pre-receive.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

ts() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date -u +%s)
# long enough for the pushes before it on a loaded machine, short enough
# to wait out
soon=$((now + 45))
mkkey bob ed25519
mkkey olga ed25519
LOG=$TRASH/audit.jsonl
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves, operations: on call}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer]}
  bob: {name: Bob, emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  olga: {emails: [olga@example.com], logins: [olga], keys: ["$(pub olga)"], roles: [developer, operations]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
freeze-file: $TRASH/freeze
rules:
  - name: mainline
    refs: refs/heads/main
    update: [developer, operations]
    emergency:
      by: [operations]
      reason: 'INC-[0-9]+ .+'
      waive: [freeze]
      ratify: {within: 24h, min: 1, from: [reviewer]}
  - name: releases
    refs: 'refs/heads/release/.+'
    update: [developer, operations]
    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 24h, min: 1, from: [reviewer]}
  - name: legacy
    refs: refs/heads/legacy
    update: [reviewer]
    mode: warn
freezes:
  - name: not-yet
    refs: refs/heads/main
    from: $(ts $((now + 86400)))
    until: $(ts $((now + 2 * 86400)))
    reason: starts tomorrow
  - name: long-ago
    refs: 'refs/heads/.*'
    from: $(ts $((now - 2 * 86400)))
    until: $(ts $((now - 86400)))
    reason: ended yesterday
  - name: migration
    refs: 'refs/heads/(main|release/.+)'
    from: $(ts $((now - 86400)))
    until: $(ts $soon)
    reason: INC-7 database migration
  - name: release-cut
    refs: 'refs/heads/release/.+'
    from: $(ts $((now - 3600)))
    until: $(ts $soon)
    reason: cutting 2.0
  - name: sandbox
    refs: 'refs/heads/(scratch/.+|legacy)'
    from: $(ts $((now - 3600)))
    until: $(ts $((now + 86400)))
    reason: sandbox audit
EOF

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "first"
c1=$(head_of "$w")

# --- during ------------------------------------------------------------
refused "main is frozen during 'migration'" alice "$w" origin HEAD:refs/heads/main
check "the refusal names the freeze, its end and reason" expect_out \
	"^remote: twokey: error: refs/heads/main: this ref is frozen: freeze 'migration', until $(ts $soon): INC-7 database migration"
check "freezes not in force are not named" no_out "not-yet|long-ago|sandbox"
check "main not created" ref_is "$srv" refs/heads/main ""
check "the audit record holds the refusal" grep -q "this ref is frozen: freeze 'migration'" "$LOG"

refused "release/1 is under two freezes" alice "$w" origin HEAD:refs/heads/release/1
check "both overlapping freezes are named (1)" expect_out "refs/heads/release/1: this ref is frozen: freeze 'migration'"
check "both overlapping freezes are named (2)" expect_out "refs/heads/release/1: this ref is frozen: freeze 'release-cut', until $(ts $soon): cutting 2.0"

accepted "a ref no freeze covers is accepted" alice "$w" origin HEAD:refs/heads/feature
refused "a ref no rule matches is frozen by a freeze's own pattern" alice "$w" origin HEAD:refs/heads/scratch/x
check "scratch refusal names 'sandbox'" expect_out "refs/heads/scratch/x: this ref is frozen: freeze 'sandbox'"
refused "a rule in warn mode does not soften a freeze" bob "$w" origin HEAD:refs/heads/legacy
check "legacy refused by the freeze" expect_out "^remote: twokey: error: refs/heads/legacy: this ref is frozen: freeze 'sandbox'"
check "legacy not created" ref_is "$srv" refs/heads/legacy ""

# --- an emergency during a freeze ----------------------------------------
refused "an emergency by a role not in by: is frozen like any push" alice "$w" origin \
	-o "twokey.emergency=INC-9 fix" HEAD:refs/heads/main
check "...the emergency is refused" expect_out "emergency refused: pusher 'alice' may not invoke it"
check "...and the freeze still named" expect_out "refs/heads/main: this ref is frozen: freeze 'migration'"
check "...main not created" ref_is "$srv" refs/heads/main ""
refused "an emergency whose rule does not waive freeze: refused" olga "$w" origin \
	-o "twokey.emergency=INC-9 fix" HEAD:refs/heads/release/2
check "...by both freezes" expect_out "error: refs/heads/release/2: this ref is frozen: freeze 'release-cut'"
check "...release/2 not created" ref_is "$srv" refs/heads/release/2 ""
n_before=$(wc -l <"$LOG")
accepted "an emergency whose rule waives freeze lands during the freeze" olga "$w" origin \
	-o "twokey.emergency=INC-9 restore the database" HEAD:refs/heads/main
check "...main created at c1" ref_is "$srv" refs/heads/main "$c1"
check "...the freeze it lifted is named" expect_out \
	"note: refs/heads/main: planned freeze 'migration' .*waived by the emergency"
check "...one record, accepted, with the emergency waiving freeze" audit_last "$LOG" \
	"r['decision'] == 'accepted'" \
	"r['emergency']['reason'] == 'INC-9 restore the database'" \
	"r['emergency']['waived'] == ['freeze']"
check "...exactly one more record" test "$(wc -l <"$LOG")" -eq $((n_before + 1))
check "...pending ratification" sh -c "'$TK_BIN/twokey' audit emergencies --format csv | grep -q 'INC-9 restore the database'"

# approvals stay possible: the notes ref is never frozen
commit_as "$w" alice@example.com "second"
c2=$(head_of "$w")
accepted "c2 onto an unfrozen branch" alice "$w" origin HEAD:refs/heads/feature
note_approve bob Bob bob@example.com "$w" "$c2"
accepted "a notes push (an approval) during a freeze" bob "$w" origin "$NOTES"
check "the notes ref landed" ref_is "$srv" "$NOTES" "$(git -C "$w" rev-parse "$NOTES")"

"$TK_BIN/twokey" freeze status >"$TRASH/status" 2>&1
check "status: migration in force" grep -q "^in force planned migration" "$TRASH/status"
check "status: not-yet later" grep -q "^later    planned not-yet" "$TRASH/status"
check "status: long-ago over" grep -q "^over     planned long-ago" "$TRASH/status"
check "status: no ad hoc freeze file is fine" grep -vq "error" "$TRASH/status"

(cd "$srv" && "$TK_BIN/twokey" check refs/heads/main "$c1" "$c2") >"$TRASH/out" 2>&1
check "twokey check says the same" expect_out "this ref is frozen: freeze 'migration'"

# --- after -------------------------------------------------------------
while [ "$(date -u +%s)" -le "$soon" ]; do sleep 1; done
accepted "main is accepted once 'migration' ended" alice "$w" origin HEAD:refs/heads/main
check "main at c2" ref_is "$srv" refs/heads/main "$c2"
check "no freeze named" no_out "frozen"
accepted "release/1 too" alice "$w" origin HEAD:refs/heads/release/1
refused "scratch/x stays frozen (sandbox runs a day)" alice "$w" origin HEAD:refs/heads/scratch/x
done_testing
