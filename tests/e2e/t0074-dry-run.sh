#!/bin/sh
# git push -o twokey.dry-run (docs/spec.md, "Push options"): the hook
# decides the push fully, prints every finding (what is missing and who
# could give it), refuses it so that nothing moves, and records it as a dry
# run; on an approved push and on an unapproved one, for a branch and for
# the notes ref.  An option in the twokey. namespace twokey does not know
# (a typo of twokey.dry-run) refuses the push; other tools' options pass;
# more than 100 options refuse.  `twokey install` turns on receive.advertisePushOptions;
# without it git refuses the option on the client side.  (Push options
# reach pre-receive only: git gives the update hook none.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

for k in alice bob carol; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves}
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  carol: {emails: [carol@example.com], logins: [carol], keys: ["$(pub carol)"], roles: [reviewer]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
rules:
  - name: mainline
    refs: refs/heads/main
    approvals: {min: 2, from: [reviewer]}
EOF

srv=$TRASH/srv.git
git init -q --bare "$srv"
check "twokey install" sh -c "'$TK_BIN/twokey' install '$srv' >'$TRASH/install.out' 2>&1"
check "install turned on receive.advertisePushOptions" test \
	"$(git -C "$srv" config --get receive.advertisePushOptions)" = true
check "...and said so" grep -q "receive.advertisePushOptions = true" "$TRASH/install.out"
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
git -C "$srv" update-ref refs/heads/main "$base"
commit_as "$w" alice@example.com "new work"
c=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
DRY="^remote: twokey: dry run"

# --- unapproved -----------------------------------------------------------
refused "dry run, unapproved: refused" alice "$w" origin -o twokey.dry-run HEAD:refs/heads/main
check "unapproved: says what is missing and who could give it" expect_out \
	"^remote: twokey: error: refs/heads/main: $(short "$c") \"new work\": not approved: needs 2 more approvals; counted: none .*could approve: bob, carol"
check "unapproved: would be refused" expect_out \
	"$DRY: refs/heads/main would be refused under rule 'mainline' \(1 problem\)"
check "unapproved: nothing changed" expect_out \
	"$DRY \(-o twokey.dry-run\): nothing was changed; fix the problems above"
check "unapproved: main did not move" ref_is "$srv" refs/heads/main "$base"
check "unapproved: recorded as a dry run" audit_last "$LOG" \
	"r['dry_run'] is True and r['decision'] == 'refused' and r['would'] == 'refused'" \
	"r['refs'][0]['decision'] == 'refused' and r['refs'][0]['would'] == 'refused'" \
	"r['push_options'] == ['twokey.dry-run']"

# --- notes, dry run then for real -------------------------------------------
note_approve bob bob bob@example.com "$w" "$c"
note_line "$w" "$c" "LGTM"
refused "dry run of notes with junk" bob "$w" origin -o twokey.dry-run "$NOTES"
check "notes: the junk is named" expect_out \
	"^remote: twokey: error: refs/notes/twokey: $(short "$c") \"new work\": its note gains a line that is no valid approval"
check "notes: would be refused" expect_out "$DRY: refs/notes/twokey would be refused"
check "notes: not created" test -z "$(notes_tip "$srv")"
git -C "$w" update-ref -d "$NOTES"
note_approve bob bob bob@example.com "$w" "$c"
note_approve carol carol carol@example.com "$w" "$c"
refused "dry run of valid notes: refused all the same" bob "$w" origin -o twokey.dry-run "$NOTES"
check "valid notes: would be accepted" expect_out "$DRY: refs/notes/twokey would be accepted"
check "valid notes: not created" test -z "$(notes_tip "$srv")"
check "valid notes: recorded, with what they would add" audit_last "$LOG" \
	"r['dry_run'] is True and r['would'] == 'accepted' and r['decision'] == 'refused'" \
	"sorted(a['identity'] for a in r['refs'][0]['note_approvals']) == ['bob', 'carol']"

# --- approved -------------------------------------------------------------------
refused "dry run, approved (notes in the same push): refused" alice "$w" origin \
	-o twokey.dry-run "$NOTES" HEAD:refs/heads/main
check "approved: would be accepted" expect_out \
	"$DRY: refs/heads/main would be accepted under rule 'mainline' *$"
check "approved: ...without problems" no_out "^remote: twokey: error"
check "approved: tells how to land it" expect_out \
	"$DRY \(-o twokey.dry-run\): nothing was changed; push again without the option to land it"
check "approved: main did not move" ref_is "$srv" refs/heads/main "$base"
check "approved: the notes did not land" test -z "$(notes_tip "$srv")"
check "approved: recorded as a dry run" audit_last "$LOG" \
	"r['dry_run'] is True and r['decision'] == 'refused' and r['would'] == 'accepted'" \
	"[x['would'] for x in r['refs']] == ['accepted', 'accepted']" \
	"[x['decision'] for x in r['refs']] == ['refused', 'refused']"
accepted "without the option it lands" alice "$w" origin "$NOTES" HEAD:refs/heads/main
check "landed: main moved" ref_is "$srv" refs/heads/main "$c"
check "landed: no dry_run in the record" audit_last "$LOG" \
	"'dry_run' not in r and r['decision'] == 'accepted'"

# --- a value, a typo ----------------------------------------------------------------
commit_as "$w" alice@example.com "more"
refused "twokey.dry-run=false is refused, not taken as a real push" alice "$w" origin \
	-o twokey.dry-run=false HEAD:refs/heads/main
check "...saying why" expect_out "push option twokey.dry-run takes no value"
check "...main did not move" ref_is "$srv" refs/heads/main "$c"
refused "twokey.dry-run=true is a dry run" alice "$w" origin -o twokey.dry-run=true HEAD:refs/heads/main
check "...it is" expect_out "$DRY: refs/heads/main would be refused"

# --- unknown twokey. options refuse; other tools' options pass --------------------
c2=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$c2"
note_approve carol carol carol@example.com "$w" "$c2"
notes_before=$(notes_tip "$srv")
refused "a misspelt twokey.dry-run on an approved push does not land it" alice "$w" origin \
	-o twokey.dryrun "$NOTES" HEAD:refs/heads/main
check "...saying which option" expect_out \
	"^remote: twokey: .*unknown push option 'twokey.dryrun': twokey knows -o twokey.dry-run and -o twokey.emergency=REASON"
check "...main did not move" ref_is "$srv" refs/heads/main "$c"
check "...nor the notes" test "$(notes_tip "$srv")" = "$notes_before"
check "...recorded as a refusal with the reason" audit_last "$LOG" \
	"r['decision'] == 'refused' and 'dry_run' not in r" \
	"r['error'].startswith(\"unknown push option 'twokey.dryrun'\")" \
	"r['push_options'] == ['twokey.dryrun']"
refused "an unknown twokey. option with a value: refused" alice "$w" origin \
	-o twokey.emergncy=INC-1 HEAD:refs/heads/main
check "...naming only its key" expect_out "unknown push option 'twokey.emergncy'"
esc=$(printf '\033')
refused "an unknown option with a terminal escape: refused" alice "$w" origin \
	-o "twokey.x${esc}[31mred" HEAD:refs/heads/main
check "...echoed without the escape" expect_out "unknown push option 'twokey.x\?\[31mred'"
check "...no escape byte reaches the pusher" sh -c "! grep -q \"\$(printf '\\033')\" '$TRASH/out'"
set --
i=0
while [ $i -lt 101 ]; do set -- "$@" -o "ci.note$i"; i=$((i + 1)); done
refused "101 push options: refused (twokey reads at most 100)" alice "$w" origin \
	"$@" HEAD:refs/heads/main
check "...saying so" expect_out "101 push options: twokey reads at most 100"
set --
accepted "other tools' options (ci.skip, merge_request.create) pass" alice "$w" origin \
	-o ci.skip -o merge_request.create "$NOTES" HEAD:refs/heads/main
check "...main moved" ref_is "$srv" refs/heads/main "$c2"
check "...recorded with its options" audit_last "$LOG" \
	"r['push_options'] == ['ci.skip', 'merge_request.create']"

# --- a server that does not advertise push options ---------------------------------
git -C "$srv" config receive.advertisePushOptions false
refused "without receive.advertisePushOptions git refuses the option" alice "$w" \
	origin -o twokey.dry-run HEAD:refs/heads/main
check "...on the client side" expect_out "the receiving end does not support push options"
check "...nothing moved" ref_is "$srv" refs/heads/main "$c2"
done_testing
