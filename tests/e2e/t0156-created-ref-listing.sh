#!/bin/sh
# Created refs and how the refs that may vouch are listed: twokey reads
# packed-refs and the loose refs itself, under the literal prefixes of the
# rules that can vouch (refs/heads/main and refs/heads/release/ here).
# The same pushes are decided with every storage of the vouching ref:
# packed, loose over packed, a loose symbolic ref or symlink shadowing the
# packed value (they vouch for nothing), refs outside the prefixes that
# sort between them, and a packed-refs file that claims to be sorted and
# is not where twokey reads it (the push is refused, fail closed).  Both
# hooks.  A broken loose ref, a missing final newline or a bad id in
# packed-refs make git itself refuse every push (before any hook runs):
# tests/unit/test_reflist.c has those.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

write_policy "$TRASH/policy.yaml" <<EOF2
version: 1
roles: {developer: writes code, reviewer: approves, operations: deploys}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer]}
  dave: {emails: [dave@example.com], logins: [dave], roles: [operations]}
pusher: {env: [GL_USER]}
rules:
  - name: mainline
    refs: 'refs/heads/(main|release/.+)'
    approvals: {min: 1, from: [reviewer]}
  - {name: features, refs: 'refs/heads/feature/.+'}
EOF2

# main: 5 commits; feature: 2 unapproved commits on top (s is its tip).
w=$(new_work w)
i=0
while [ $i -lt 5 ]; do commit_as "$w" alice@example.com "main $i"; i=$((i + 1)); done
git -C "$w" checkout -q -b feature
commit_as "$w" alice@example.com "feature 1"
commit_as "$w" alice@example.com "feature 2"
s=$(head_of "$w")
m=$(git -C "$w" rev-parse main)

# server STATE MODE: a server where refs/heads/release/old is stored as
# STATE says; prints nothing.
server() {
	state=$1 mode=$2
	srv=$(new_server "srv-$state-$mode" "$mode")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	push_as alice "$w" origin "$s:refs/heads/feature/x" || not_ok "seed push"
	git -C "$srv" update-ref refs/heads/main "$m"
	git -C "$srv" update-ref refs/heads/feature/y "$s"
	case $state in
	loose-over-main | loose-symref | loose-symlink)
		git -C "$srv" update-ref refs/heads/release/old "$s" ;;
	*) git -C "$srv" update-ref refs/heads/release/old "$m" ;;
	esac
	git -C "$srv" pack-refs --all
	lo="$srv/refs/heads/release/old"
	mkdir -p "$srv/refs/heads/release"
	case $state in
	packed-s) # only packed, at s: vouches for s
		git -C "$srv" update-ref refs/heads/release/old "$s"
		git -C "$srv" pack-refs --all ;;
	loose-over-packed) echo "$s" >"$lo" ;; # packed at main, loose at s
	loose-over-main) echo "$m" >"$lo" ;; # packed at s, loose at main
	loose-symref) echo "ref: refs/heads/feature/x" >"$lo" ;;
	loose-symlink) ln -s ../feature/x "$lo" ;;
	between) # a ref at s outside the prefixes, sorting among them
		git -C "$srv" update-ref refs/heads/release-x "$s"
		git -C "$srv" update-ref refs/heads/mainx "$s"
		git -C "$srv" pack-refs --all ;;
	unsorted) # claims the sorted trait; two names swapped
		git -C "$srv" update-ref refs/heads/release/zzz "$m"
		git -C "$srv" pack-refs --all
		{
			grep -v ' refs/heads/release/' "$srv/packed-refs"
			grep ' refs/heads/release/zzz$' "$srv/packed-refs"
			grep ' refs/heads/release/old$' "$srv/packed-refs"
		} >"$srv/p" && mv "$srv/p" "$srv/packed-refs"
		check "$state: the sorted trait is claimed" \
			grep -q '^# pack-refs with:.* sorted' "$srv/packed-refs" ;;
	esac
	check "$state/$mode: packed-refs has release/old" \
		grep -q ' refs/heads/release/old$' "$srv/packed-refs"
}

# s is approved for a release only where release/old (or main) holds it.
for mode in hooks update; do
	for state in packed-s loose-over-packed; do
		server $state $mode
		expect_push accept "$state/$mode: release/new at s" dave "$w" \
			"$s:refs/heads/release/new" refs/heads/release/new "$s"
		check "$state/$mode: nothing enters" no_out "not approved"
	done
	for state in packed-main loose-over-main loose-symref loose-symlink \
		between; do
		server $state $mode
		expect_push refuse "$state/$mode: release/new at s" dave "$w" \
			"$s:refs/heads/release/new" refs/heads/release/new "" \
			"approv"
		# main still vouches for its own commits
		expect_push accept "$state/$mode: release/m at main" dave "$w" \
			"$m:refs/heads/release/m" refs/heads/release/m "$m"
	done
	for state in unsorted; do
		server $state $mode
		expect_push refuse "$state/$mode: release/m at main" dave "$w" \
			"$m:refs/heads/release/m" refs/heads/release/m "" \
			"cannot list refs: cannot read packed-refs"
	done
done
done_testing
