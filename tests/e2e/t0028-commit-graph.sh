#!/bin/sh
# Created refs and the commit-graph: proving that a new tip lies on a
# vouching ref's first-parent chain reads git's commit-graph file when
# there is one (generation numbers stop the walk early), and the objects
# when there is none, when core.commitGraph is false, or when the file is
# damaged (a bad checksum, a truncated file, one from another repository):
# the decisions are the same in every case, and a damaged graph never
# widens them.  Both hooks.
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

# 300 commits on main's first-parent chain, with a merge at 150 whose
# second parent (side) holds 20 commits of its own; then more on top.
w=$(new_work w)
i=0
while [ $i -lt 150 ]; do commit_as "$w" alice@example.com "main $i"; i=$((i + 1)); done
git -C "$w" checkout -q -b side
i=0
while [ $i -lt 20 ]; do commit_as "$w" alice@example.com "side $i"; i=$((i + 1)); done
side=$(head_of "$w")
sidemid=$(git -C "$w" rev-parse HEAD~10)
git -C "$w" checkout -q main
test_tick
git -C "$w" -c user.name=alice -c user.email=alice@example.com merge -q --no-ff -m "merge side" side
while [ $i -lt 170 ]; do commit_as "$w" alice@example.com "main $i"; i=$((i + 1)); done
deep=$(git -C "$w" rev-parse HEAD~100)
tip=$(head_of "$w")

# A second repository's graph, for the "another repository" case.
o=$(new_work other)
commit_as "$o" alice@example.com "other"
git -C "$o" commit-graph write --reachable

run() {
	mode=$1 graph=$2
	srv=$(new_server "srv-$mode-$graph" "$mode")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	push_as alice "$w" origin "$tip:refs/heads/feature/all" || not_ok "seed push"
	git -C "$srv" update-ref refs/heads/main "$tip"
	git -C "$srv" update-ref -d refs/heads/feature/all
	git -C "$srv" repack -q -a -d
	cg="$srv/objects/info/commit-graph"
	case $graph in
	absent) rm -f "$cg" ;;
	present) git -C "$srv" commit-graph write --reachable ;;
	disabled)
		git -C "$srv" commit-graph write --reachable
		git -C "$srv" config core.commitGraph false ;;
	corrupt) # its checksum damaged (git itself reads it on regardless)
		git -C "$srv" commit-graph write --reachable
		sz=$(wc -c <"$cg")
		last=$(tail -c 1 "$cg" | od -An -tu1 | tr -d ' ')
		printf "\\$(printf %o $(((last + 1) % 256)))" |
			dd of="$cg" bs=1 seek=$((sz - 1)) conv=notrunc 2>/dev/null
		check "$mode: git sees a bad checksum" sh -c \
			"! git -C '$srv' commit-graph verify >/dev/null 2>&1" ;;
	truncated)
		git -C "$srv" commit-graph write --reachable
		head -c 3000 "$cg" >"$cg.t" && mv -f "$cg.t" "$cg" ;;
	other) cp "$o/.git/objects/info/commit-graph" "$cg" ;;
	stale) # written before main moved on: the tip is newer than the graph
		git -C "$srv" update-ref refs/heads/main "$deep"
		git -C "$srv" commit-graph write --reachable
		git -C "$srv" update-ref refs/heads/main "$tip" ;;
	esac
	case $graph in absent) ;; *) check "$mode/$graph: a graph file is there" test -f "$cg" ;; esac
	dd="$mode/$graph"
	expect_push accept "$dd: release/deep at main~100" dave "$w" \
		"$deep:refs/heads/release/deep" refs/heads/release/deep "$deep"
	check "$dd: nothing enters" no_out "not approved"
	expect_push accept "$dd: release/tip at main" dave "$w" \
		"$tip:refs/heads/release/tip" refs/heads/release/tip "$tip"
	expect_push refuse "$dd: release/side at the merge's second parent" dave "$w" \
		"$side:refs/heads/release/side" refs/heads/release/side "" \
		"only arrived inside a merge"
	expect_push refuse "$dd: release/mid inside the side branch" dave "$w" \
		"$sidemid:refs/heads/release/mid" refs/heads/release/mid "" \
		"only arrived inside a merge"
}

for g in absent present disabled corrupt truncated other stale; do
	run hooks $g
done
run update present
run update corrupt
done_testing
