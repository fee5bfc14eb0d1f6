# scripts/demo, the README's first command, runs in CI: it must exit 0 and
# show the accepted and refused pushes it promises.
. "$(dirname "$0")/lib.sh"

out=$TRASH/demo.out
check "scripts/demo exits 0" sh -c "TK_BIN='$TK_BIN' '$TK_SRC/scripts/demo' >'$out' 2>&1"
n_ok=$(grep -c -- '-> accepted, as expected\|-> refused, as expected' "$out")
check "every demo push ended as expected (10)" test "$n_ok" -eq 10
check "no push ended otherwise" sh -c "! grep -q 'but the demo expected' '$out'"
check "shows the role refusal" grep -q "pusher 'alice' may not create this ref" "$out"
check "shows the missing approvals" grep -q 'not approved: needs 2 more approvals' "$out"
check "shows the author's own approval refused" grep -q 'alice is a writer of this change' "$out"
check "shows the accepted push" grep -q 'accepted refs/heads/main under rule' "$out"
check "shows the force-push refusal" grep -q 'nobody may force-push this ref' "$out"
check "shows a branch approved in notes, with one command per reviewer" \
	grep -q 'twokey: 2 approvals added to refs/notes/twokey' "$out"
check "shows the dry run" grep -q 'dry run: refs/heads/main would be accepted' "$out"
check "shows the branch landing unrewritten" grep -q 'nothing was rewritten' "$out"
check "shows the emergency push, granted" grep -q 'emergency granted: approvals waived' "$out"
check "shows its ratification by notes" grep -q '^    status      ratified$' "$out"
check "...by bob and carol" grep -Eq '^    ratified_by (bob, carol|carol, bob)$' "$out"
check "ends saying so" grep -q 'demo: every push ended as expected' "$out"
[ "$tk_failed" -eq 0 ] || sed 's/^/# /' "$out"
done_testing
