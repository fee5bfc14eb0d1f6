#!/bin/sh
# Created refs and a commit-graph that lies.  twokey opens the graph
# without reading the whole file for its checksum: a first-parent path the
# graph finds is read back from the objects (each commit's real first
# parent must be the next one), and only a path longer than 512 commits is
# trusted on the checksum instead.  A graph whose checksum was recomputed
# after a parent was changed (so that only the objects can tell) must not
# make a tip that only arrived inside a merge look vouched for; nor may a
# lie on a long path whose checksum no longer matches.  An honest graph
# proves the same refs as before, on short and long paths.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for t in od dd sha1sum sort; do
	command -v $t >/dev/null || { not_ok "$t is missing"; done_testing; }
done

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

# main: 150 commits, a merge whose second parent is side (20 commits of
# its own), then 600 more: from main the merge is 600 steps down.
w=$(new_work w)
{
	t=1700000000
	i=1
	while [ $i -le 150 ]; do
		printf 'commit refs/heads/main\nmark :%d\n' $i
		printf 'committer alice <alice@example.com> %d +0000\n' $((t + i))
		printf 'data 6\nmain%02d\n' $((i % 100))
		printf 'M 644 inline f\ndata %d\n%d\n\n' $((${#i} + 1)) $i
		i=$((i + 1))
	done
	i=201
	while [ $i -le 220 ]; do
		printf 'commit refs/heads/side\nmark :%d\n' $i
		printf 'committer alice <alice@example.com> %d +0000\n' $((t + i))
		printf 'data 6\nside%02d\n' $((i % 100))
		[ $i != 201 ] || printf 'from :150\n'
		printf 'M 644 inline s\ndata %d\n%d\n\n' $((${#i} + 1)) $i
		i=$((i + 1))
	done
	printf 'commit refs/heads/main\nmark :300\n'
	printf 'committer alice <alice@example.com> %d +0000\n' $((t + 300))
	printf 'data 5\nmerge\nmerge :220\n\n'
	i=301
	while [ $i -le 900 ]; do
		printf 'commit refs/heads/main\nmark :%d\n' $i
		printf 'committer alice <alice@example.com> %d +0000\n' $((t + i))
		printf 'data 6\nmain%02d\n' $((i % 100))
		printf 'M 644 inline f\ndata %d\n%d\n\n' $((${#i} + 1)) $i
		i=$((i + 1))
	done
} | git -C "$w" fast-import --quiet || not_ok "fast-import"
git -C "$w" checkout -q main
tip=$(git -C "$w" rev-parse main)
merge=$(git -C "$w" rev-parse main~600)
side=$(git -C "$w" rev-parse side)
near=$(git -C "$w" rev-parse main~590)
deep=$(git -C "$w" rev-parse main~100)
old=$(git -C "$w" rev-parse main~700)
check "the merge's second parent is side" \
	test "$(git -C "$w" rev-parse "$merge^2")" = "$side"

# be32 FILE OFFSET: the 4 bytes there, big-endian.
be32() {
	od -An -tu1 -j "$2" -N 4 "$1" |
		awk '{ print ((($1 * 256 + $2) * 256 + $3) * 256 + $4) }'
}
# chunk FILE ID: the offset of a chunk of the graph (its high 4 bytes 0).
chunk() {
	n=$(od -An -tu1 -j 6 -N 1 "$1" | tr -d ' ')
	k=0
	while [ $k -lt "$n" ]; do
		id=$(dd if="$1" bs=1 skip=$((8 + 12 * k)) count=4 2>/dev/null)
		if [ "$id" = "$2" ]; then be32 "$1" $((8 + 12 * k + 8)); return; fi
		k=$((k + 1))
	done
	echo "no chunk $2" >&2
	return 1
}
# put32 FILE OFFSET VALUE: writes VALUE there, big-endian.
put32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($3 >> 24 & 255)) \
		$(($3 >> 16 & 255)) $(($3 >> 8 & 255)) $(($3 & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# fixsum FILE: recomputes the trailing SHA-1 checksum.
fixsum() {
	sz=$(wc -c <"$1")
	sum=$(head -c $((sz - 20)) "$1" | sha1sum | cut -c1-40)
	printf "$(echo "$sum" | sed 's/../& /g' | awk '{
		for (i = 1; i <= NF; i++) printf "\\%03o", ("0x" $i) + 0 }')" \
		>"$1.sum" 2>/dev/null
	dd if="$1.sum" of="$1" bs=1 seek=$((sz - 20)) conv=notrunc 2>/dev/null
	rm -f "$1.sum"
}
# sum_ok SERVER: git finds no checksum error in the graph.
sum_ok() {
	git -C "$1" commit-graph verify --no-progress >"$TRASH/verify" 2>&1
	! grep -q checksum "$TRASH/verify"
}
# pos SERVER ID: the commit's position in the graph (ids sorted).
pos() {
	git -C "$1" rev-list --all | LC_ALL=C sort | grep -n "^$2" | cut -d: -f1 |
		awk '{ print $1 - 1 }'
}

run() {
	case=$1
	srv=$(new_server "srv-$case" hooks)
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	push_as alice "$w" origin "$tip:refs/heads/feature/all" || not_ok "seed push"
	git -C "$srv" update-ref refs/heads/main "$tip"
	git -C "$srv" update-ref -d refs/heads/feature/all
	[ "$case" = far ] || git -C "$srv" update-ref refs/heads/release/near "$near"
	git -C "$srv" repack -q -a -d
	cg="$srv/objects/info/commit-graph"
	git -C "$srv" commit-graph write --reachable
	chmod u+w "$cg"
	cdat=$(chunk "$cg" CDAT)
	m=$(pos "$srv" "$merge")
	p1=$(be32 "$cg" $((cdat + 36 * m + 20)))
	p2=$(be32 "$cg" $((cdat + 36 * m + 24)))
	check "$case: the graph's merge has side as its second parent" \
		test "$p2" = "$(pos "$srv" "$side")"
	case $case in
	honest) ;;
	swapped | far)
		# the merge's parents swapped: side looks like main's history
		put32 "$cg" $((cdat + 36 * m + 20)) "$p2"
		put32 "$cg" $((cdat + 36 * m + 24)) "$p1"
		[ "$case" = far ] || fixsum "$cg"
		;;
	moved) # one commit of main's chain given side as its first parent
		n=$(pos "$srv" "$(git -C "$w" rev-parse main~595)")
		put32 "$cg" $((cdat + 36 * n + 20)) "$(pos "$srv" "$side")"
		fixsum "$cg"
		;;
	esac
	case $case in
	honest)
		check "$case: git verifies the graph" \
			git -C "$srv" commit-graph verify --no-progress
		;;
	esac
	case $case in
	swapped | moved)
		# git itself does not read parents back: only twokey's check does
		check "$case: the checksum matches" sum_ok "$srv"
		;;
	esac
	expect_push refuse "$case: release/side at the merge's second parent" \
		dave "$w" "$side:refs/heads/release/side" refs/heads/release/side "" \
		"only arrived inside a merge"
	expect_push refuse "$case: release/mid inside the side branch" dave "$w" \
		"$(git -C "$w" rev-parse side~5):refs/heads/release/mid" \
		refs/heads/release/mid "" "only arrived inside a merge"
	# the truth is still proved, through the graph or the objects
	expect_push accept "$case: release/deep at main~100" dave "$w" \
		"$deep:refs/heads/release/deep" refs/heads/release/deep "$deep"
	check "$case: nothing enters" no_out "not approved"
	expect_push accept "$case: release/old at main~700 (a long path)" \
		dave "$w" "$old:refs/heads/release/old" refs/heads/release/old "$old"
	check "$case: nothing enters (old)" no_out "not approved"
}

for c in honest swapped moved far; do
	run $c
done
done_testing
