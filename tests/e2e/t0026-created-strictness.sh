#!/bin/sh
# Created refs: an existing ref vouches for the commits it reaches only
# when its rule is the created ref's own or one at least as strict (every
# requirement the created ref's rule makes, the vouching rule makes too,
# with at least the same numbers).  For each requirement, a ref under a
# weaker rule holds an unapproved commit of alice's: creating a ref at it
# is refused (the commit enters and is not approved); under an equal or a
# stricter rule it is accepted (nothing enters).  Both hooks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for k in alice bob sam dave; do mkkey $k ed25519; done

A1='approvals: {min: 1, from: [reviewer]}'
write_policy "$TRASH/policy.yaml" <<EOF2
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  security: security sign-off
  operations: deploys
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  sam: {emails: [sam@example.com], logins: [sam], keys: ["$(pub sam)"], roles: [security]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [operations]}
pusher:
  env: [GL_USER]
rules:
  # created refs, one family per requirement
  - {name: min2, refs: 'refs/heads/min2/.+', approvals: {min: 2, from: [reviewer]}}
  - {name: req, refs: 'refs/heads/req/.+', approvals: {min: 1, from: [reviewer, security], require: {security: 1}}}
  - {name: signed, refs: 'refs/heads/signed/.+', $A1, signed-commits: true}
  - {name: pma, refs: 'refs/heads/pma/.+', $A1, pusher-may-approve: false}
  - {name: pmw, refs: 'refs/heads/pmw/.+', pusher-may-write: false}
  - {name: promo, refs: 'refs/heads/promo/.+', $A1, promote-from: refs/heads/staging}
  - {name: enf, refs: 'refs/heads/enf/.+', $A1}
  # vouching candidates
  - {name: v-min1, refs: 'refs/heads/v/min1', $A1}
  - {name: v-min2, refs: 'refs/heads/v/min2', approvals: {min: 2, from: [reviewer]}}
  - {name: v-min3, refs: 'refs/heads/v/min3', approvals: {min: 3, from: [reviewer]}, signed-commits: true}
  - {name: v-wide, refs: 'refs/heads/v/wide', approvals: {min: 2, from: [reviewer, developer]}}
  - {name: v-noreq, refs: 'refs/heads/v/noreq', approvals: {min: 1, from: [reviewer, security]}}
  - {name: v-req2, refs: 'refs/heads/v/req2', approvals: {min: 2, from: [security], require: {security: 2}}}
  - {name: v-signed, refs: 'refs/heads/v/signed', $A1, signed-commits: true}
  - {name: v-pma, refs: 'refs/heads/v/pma', $A1, pusher-may-approve: false}
  - {name: v-strict, refs: 'refs/heads/v/strict', approvals: {min: 5, from: [reviewer]}}
  - {name: v-pmw, refs: 'refs/heads/v/pmw', $A1, pusher-may-write: false}
  - {name: v-promo-other, refs: 'refs/heads/v/promo-other', $A1, promote-from: refs/heads/other}
  - {name: v-promo, refs: 'refs/heads/v/promo', $A1, promote-from: refs/heads/staging}
  - {name: v-warn, refs: 'refs/heads/v/warn', $A1, mode: warn}
  - {name: features, refs: 'refs/heads/feature/.+'}
EOF2
check "the policy is valid" sh -c '"$TK_BIN/twokey" config check "$TWOKEY_CONFIG" >/dev/null'

w=$(new_work w)
commit_as "$w" alice@example.com "base"

# case HOOKS N CREATED VOUCHER accept|refuse: a fresh unapproved commit of
# alice's, held on the server only by VOUCHER; dave creates CREATED/N at it.
# With pusher-may-write (pmw), a commit of dave's comes first: dave's own
# commit then enters unless the voucher is as strict (the tip is alice's).
case_() {
	mode=$1 cn=$2 created=$3 voucher=$4 want=$5
	re=""
	if [ "$created" = pmw ]; then
		commit_as "$w" dave@example.com "dave's $cn"
		re="refs/heads/$created/$cn: $(short HEAD) \"dave's $cn\": pusher 'dave' wrote this commit"
	fi
	commit_as "$w" alice@example.com "work $cn for $created via $voucher"
	c=$(head_of "$w")
	push_as alice "$w" origin "$c:refs/heads/feature/$mode-$cn" ||
		{ not_ok "$mode: could not push the commit"; return; }
	git -C "$srv" update-ref -d refs/heads/feature/$mode-$cn
	git -C "$srv" update-ref "$voucher" "$c"
	if [ "$want" = accept ]; then
		expect_push accept "$mode: $created/$cn via $voucher" dave "$w" \
			"$c:refs/heads/$created/$cn" "refs/heads/$created/$cn" "$c"
	else
		expect_push refuse "$mode: $created/$cn via $voucher" dave "$w" \
			"$c:refs/heads/$created/$cn" "refs/heads/$created/$cn" "" \
			"${re:-refs/heads/$created/$cn: $(short "$c") \"work $cn}"
	fi
	git -C "$srv" update-ref -d "$voucher"
}

run() {
	mode=$1
	srv=$(new_server "srv-$mode" "$mode")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	push_as alice "$w" origin "HEAD:refs/heads/feature/base"
	git -C "$srv" update-ref refs/heads/staging "$(head_of "$w")"
	# approvals.min
	case_ "$mode" 1 min2 refs/heads/v/min1 refuse
	case_ "$mode" 2 min2 refs/heads/v/min2 accept
	case_ "$mode" 3 min2 refs/heads/v/min3 accept
	case_ "$mode" 4 min2 refs/heads/min2/other accept # its own rule
	# approvals.from no wider
	case_ "$mode" 5 min2 refs/heads/v/wide refuse
	# approvals.require
	case_ "$mode" 6 req refs/heads/v/noreq refuse
	case_ "$mode" 7 req refs/heads/v/req2 accept
	# signed-commits
	case_ "$mode" 8 signed refs/heads/v/min1 refuse
	case_ "$mode" 9 signed refs/heads/v/signed accept
	# pusher-may-approve: false
	case_ "$mode" 10 pma refs/heads/v/strict refuse
	case_ "$mode" 11 pma refs/heads/v/pma accept
	# pusher-may-write: false (dave wrote none of it)
	case_ "$mode" 12 pmw refs/heads/v/strict refuse
	case_ "$mode" 13 pmw refs/heads/v/pmw accept
	# promote-from: the same ref
	case_ "$mode" 14 promo refs/heads/v/min1 refuse
	case_ "$mode" 15 promo refs/heads/v/promo-other refuse
	case_ "$mode" 16 promo refs/heads/v/promo accept
	# mode: warn vouches for no enforce-mode rule
	case_ "$mode" 17 enf refs/heads/v/warn refuse
	case_ "$mode" 18 enf refs/heads/v/min1 accept
	# a ref no rule governs vouches for no rule that asks anything
	case_ "$mode" 19 enf refs/other/x refuse
	case_ "$mode" 20 pmw refs/other/x refuse
}

run hooks
run update
done_testing
