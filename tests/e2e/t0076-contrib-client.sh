#!/bin/sh
# contrib/twokey-approve, the POSIX shell client, against `twokey approve`:
# byte-identical approvals (same payload) on many messages (trailer blocks
# git and twokey read differently, folded trailers, CRLF, no final
# newline, cherry-pick -x, prose after trailers, empty messages, bytes
# that are not UTF-8) and commits (merges, an octopus, a root, a signed
# commit); identical notes; a range approved and pushed with it lands.
# It runs under dash and under busybox sh with busybox's awk, sed, tr,
# grep, tail (not GNU's), and passes shellcheck in POSIX mode.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"

CLIENT=$TK_SRC/contrib/twokey-approve
for k in alice bob carol; do mkkey $k ed25519; done
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves}
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {name: Bob R, emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  carol: {emails: [carol@example.com], logins: [carol], keys: ["$(pub carol)"], roles: [reviewer]}
pusher: {env: [GL_USER]}
rules:
  - name: mainline
    refs: refs/heads/main
    approvals: {min: 2, from: [reviewer]}
EOF

check "shellcheck -s sh: no bashisms, no warnings" shellcheck -s sh "$CLIENT"

# A userland without GNU: busybox's applets first on PATH.
BB=$TRASH/busybox-bin
mkdir -p "$BB"
for t in awk sed tr grep tail head wc cat cut mktemp rm sleep; do
	ln -s "$(command -v busybox)" "$BB/$t"
done

w=$(new_work w)
git -C "$w" config user.name "Bob R"
git -C "$w" config user.email bob@example.com
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
tree=$(git -C "$w" rev-parse "HEAD^{tree}")

# mk NAME PARENT...: a commit by alice whose raw message is $TRASH/msg-NAME
# (git commit-tree keeps the bytes as they are); its id in $TRASH/id-NAME.
mk() {
	mk_n=$1
	shift
	mk_p=
	for p in "$@"; do mk_p="$mk_p -p $p"; done
	# shellcheck disable=SC2086
	GIT_AUTHOR_NAME=alice GIT_AUTHOR_EMAIL=alice@example.com \
		GIT_COMMITTER_NAME=alice GIT_COMMITTER_EMAIL=alice@example.com \
		git -C "$w" commit-tree $mk_p -F "$TRASH/msg-$mk_n" "$tree" >"$TRASH/id-$mk_n"
}
m() { printf "$2" >"$TRASH/msg-$1"; }
A='Approved-by: X Y <x@example.com> sshsig:U1NIU0lH'
m plain 'Subject\n\nBody text.\n'
m no-newline 'Subject only'
m empty ''
m newlines '\n\n\n'
m block "Subject\n\nBody\n\n$A\nSigned-off-by: A <a@example.com>\n"
m block-only-approvals "Subject\n\nBody\n\n$A\napproved-BY: Z <z@example.com> sshsig:QUJD\n"
m folded "S\n\nApproved-by: B <b@example.com>\n sshsig:QUJD\n\tREVG\nReviewed-by: R <r@example.com>\n folded value\n"
m crlf "S\r\n\r\nBody\r\n\r\n$A\r\nSigned-off-by: A <a@example.com>\r\n"
m trailing-blank "S\n\nbody keeps its spaces  \n\n  \t\n\r\n\n"
m last-line-spaces "S\n\nlast line   "
m cherry-pick "S\n\nBody\n\n(cherry picked from commit 1234567890abcdef1234567890abcdef12345678)\n"
m cherry-pick-sob "S\n\nBody\n\nSigned-off-by: A <a@example.com>\n(cherry picked from commit 1234567890abcdef1234567890abcdef12345678)\n$A\n"
m divider "S\n\nBody\n---\n$A\n"
m one-paragraph "$A\n"
m leading-blank "\n\nS\n\n$A\n"
m continuation-first "S\n\n continued\nKey: v\n$A\n"
m space-before-colon "S\n\nKey : v\n$A\n"
m prose-after "S\n\n$A\n\nThe end.\n"
m latin1 'Caf\351\n\nB\377dy\n'
m cr-lines 'S\r\n\r\n\r\nx\r\r\n'
m tabs 'S\n\n\tindented body\n\t\n'
m colon-key "S\n\nKey:no-space\n${A}\n"
for n in plain no-newline empty newlines block block-only-approvals folded crlf \
	trailing-blank last-line-spaces cherry-pick cherry-pick-sob divider \
	one-paragraph leading-blank continuation-first space-before-colon \
	prose-after latin1 cr-lines tabs colon-key; do
	mk "$n" "$base"
done
m root 'A root\n'
mk root
m merge "Merge branch 'x'\n\n$A\n"
mk merge "$base" "$(cat "$TRASH/id-root")"
m octopus 'Octopus\n'
mk octopus "$base" "$(cat "$TRASH/id-root")" "$(cat "$TRASH/id-plain")"
# a signed commit: the gpgsig header is no part of the payload
git -C "$w" -c gpg.format=ssh -c user.signingKey="$KEYS/alice" \
	-c user.name=alice -c user.email=alice@example.com \
	commit -q -S --allow-empty -m "signed" -m "$A"
git -C "$w" rev-parse HEAD >"$TRASH/id-signed"

n_same=0
for f in "$TRASH"/id-*; do
	n=${f#"$TRASH"/id-}
	c=$(cat "$f")
	t_c=$(cd "$w" && "$TK_BIN/twokey" approve --trailer -k "$KEYS/bob" "$c" 2>/dev/null)
	t_sh=$(cd "$w" && sh "$CLIENT" --trailer -k "$KEYS/bob" "$c" 2>/dev/null)
	t_bb=$(cd "$w" && PATH="$BB:$PATH" busybox sh "$CLIENT" --trailer -k "$KEYS/bob" "$c" 2>/dev/null)
	if [ -n "$t_c" ] && [ "$t_c" = "$t_sh" ] && [ "$t_c" = "$t_bb" ]; then
		n_same=$((n_same + 1))
	else
		not_ok "message $n: twokey and the shell client differ"
		echo "#   twokey:  ${t_c%"${t_c#??????????????????????????????????????????????????????????????}"}..."
		echo "#   dash:    ${t_sh%"${t_sh#??????????????????????????????????????????????????????????????}"}..."
		echo "#   busybox: ${t_bb%"${t_bb#??????????????????????????????????????????????????????????????}"}..."
	fi
done
check "the same approval from twokey and the shell client (dash, busybox) for all $n_same commits" \
	test "$n_same" -eq "$(ls "$TRASH"/id-* | wc -l)"
check "...that is 26 commits" test "$n_same" -eq 26

# --- notes: a range, with both clients, give the same notes ----------------
srv=$(new_server srv)
git -C "$w" remote add origin "$srv"
git -C "$w" reset -q --hard "$base"
for i in 1 2 3; do commit_as "$w" alice@example.com "shell $i"; done
tip=$(head_of "$w")
git -C "$w" push -q origin "$base:refs/heads/seed" "$tip:refs/heads/feature" 2>/dev/null
git -C "$srv" update-ref refs/heads/main "$base"
# the same reviewer, once per client, in two clones
for who in c sh; do
	git clone -q "$srv" "$TRASH/bob-$who" 2>/dev/null
	git -C "$TRASH/bob-$who" config user.name "Bob R"
	git -C "$TRASH/bob-$who" config user.email bob@example.com
done
(cd "$TRASH/bob-c" && "$TK_BIN/twokey" approve -k "$KEYS/bob" origin/main..origin/feature 2>/dev/null)
check "the shell client approves the range" sh -c \
	"cd '$TRASH/bob-sh' && PATH='$BB':\$PATH busybox sh '$CLIENT' -k '$KEYS/bob' origin/main..origin/feature 2>'$TRASH/err'"
check "...showing the key" grep -q "key: 256 $(ssh-keygen -lf "$KEYS/bob.pub" | cut -d' ' -f2) bob@test (ED25519)" "$TRASH/err"
check "...and the commits" grep -q "twokey-approve:   [0-9a-f]* shell 3 (alice <alice@example.com>)" "$TRASH/err"
for c in $(git -C "$w" rev-list "$base..$tip"); do
	check "the same note on ${c%????????????????????????????????} from both clients" test \
		"$(git -C "$TRASH/bob-c" notes --ref=twokey show "$c")" = \
		"$(git -C "$TRASH/bob-sh" notes --ref=twokey show "$c")"
done
check "the shell client pushes bob's notes" sh -c \
	"cd '$TRASH/bob-sh' && sh '$CLIENT' -k '$KEYS/bob' --push origin/main..origin/feature 2>'$TRASH/err'"
check "...pushed" grep -q "twokey-approve: pushed refs/notes/twokey to origin" "$TRASH/err"
check "...adding nothing the second time" grep -q "0 approvals added" "$TRASH/err"
git clone -q "$srv" "$TRASH/carol-sh" 2>/dev/null
git -C "$TRASH/carol-sh" config user.name carol
git -C "$TRASH/carol-sh" config user.email carol@example.com
check "carol, shell client, --push: fetches bob's notes and adds hers" sh -c \
	"cd '$TRASH/carol-sh' && sh '$CLIENT' -k '$KEYS/carol' --push origin/main..origin/feature 2>'$TRASH/err'"
expect_push accept "the branch lands on approvals from the shell client" alice "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip"
check "both approvals on every commit" sh -c \
	"for c in \$(git -C '$w' rev-list '$base..$tip'); do test \"\$(git -C '$srv' notes --ref=twokey show \$c | grep -c '^Approved-by:')\" = 2 || exit 1; done"
done_testing
