#!/bin/sh
# Identity fields (docs/spec.md, "Identity fields"): under a rule that
# inspects commits, a commit whose encoding header names anything but
# UTF-8, or whose author or committer name or email holds a control,
# bidirectional or (in an email) invisible character, or is not UTF-8, is
# refused: git would show another person than the email twokey compares.
# Each attack next to its legitimate twin, through pre-receive and update.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

mkkey alice ed25519
mkkey bob ed25519

# alice writes code and reviews too: her approval counts on anyone's
# commit but her own.
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
identities:
  alice:
    name: Alice Liddell
    emails: [alice@example.com]
    logins: [alice]
    keys: ["$(pub alice)"]
    roles: [developer, reviewer]
  zoe:
    emails: ["$(printf 'zo\303\253@example.com')"]
    logins: [zoe]
    roles: [developer]
  bob:
    emails: [bob@example.com]
    logins: [bob]
    keys: ["$(pub bob)"]
    roles: [developer, reviewer]
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    approvals: {min: 1, from: [reviewer]}
audit:
  path: $TRASH/audit.jsonl
EOF
check "the policy is valid" sh -c '"$TK_BIN/twokey" config check "$TWOKEY_CONFIG" >/dev/null'

w=$(new_work w)
commit_as "$w" bob@example.com "base"
base=$(head_of "$w")
tree=$(git -C "$w" rev-parse "$base^{tree}")
ERR="^remote: twokey: error: refs/heads/main:"
SOH=$(printf '\001')
ESC=$(printf '\033')
ZWSP=$(printf '\342\200\213')
RLO=$(printf '\342\200\256')

# craft AUTHOR [HEADER] [COMMITTER]: a commit object on $base (same tree)
# written by hand, "Name <email>" as author (and committer unless given),
# HEADER as an extra header line; message "$SUBJ" (+ "$TRAILER"); time
# zone $ZONE (default +0000).
craft() {
	test_tick
	{
		printf 'tree %s\nparent %s\n' "$tree" "$base"
		printf 'author %s %s %s\n' "$1" "$tk_tick" "${ZONE:-+0000}"
		printf 'committer %s %s %s\n' "${3:-$1}" "$tk_tick" "${ZONE:-+0000}"
		if [ -n "${2:-}" ]; then printf '%s\n' "$2"; fi
		printf '\n%s\n' "$SUBJ"
		if [ -n "${TRAILER:-}" ]; then printf '\n%s\n' "$TRAILER"; fi
	} >"$TRASH/raw"
	git -C "$w" hash-object -t commit -w --stdin --literally <"$TRASH/raw"
}
# approved_by KEY NAME EMAIL AUTHOR [HEADER] [COMMITTER]: craft, approved
# by KEY as NAME <EMAIL> over the real payload; the id in $c.
approved_by() {
	k=$1 an=$2 ae=$3
	shift 3
	TRAILER=
	c0=$(craft "$@")
	TRAILER=$(approve_raw "$k" "$an" "$ae" "$w" "$c0") || exit 1
	c=$(craft "$@")
	TRAILER=
}

for hook in hooks update; do
	srv=$(new_server "srv-$hook" "$hook")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	push_as bob "$w" origin "$base:refs/heads/seed" || exit 1
	git -C "$srv" update-ref refs/heads/main "$base"
	H="$hook:"

	# --- the encoding header ----------------------------------------------------
	SUBJ="utf-8 header"
	approved_by bob bob bob@example.com "Alice <alice@example.com>" "encoding utf-8"
	expect_push accept "$H encoding utf-8 (git's own spelling varies), approved by bob" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$c"
	git -C "$srv" update-ref refs/heads/main "$base"

	# The attack: alice's own commit in UTF-7 under a raw email the policy
	# does not know.  git log decodes it to alice@example.com, and alice's
	# approval of her own change counted.
	# (zone -0000: a '+' starts a shift in UTF-7, and git shows a commit it
	# cannot decode raw)
	SUBJ="utf-7 identity" ZONE=-0000
	approved_by alice alice alice@example.com "Alice <+AGE-lice@example.com>" "encoding UTF-7"
	ZONE=
	# (shown on the commit before the approval: the signature's base64
	# is no valid UTF-7, and git shows a message it cannot decode raw;
	# an approval in refs/notes/twokey leaves the message alone)
	check "$H git shows the UTF-7 author as alice@example.com" \
		test "$(git -C "$w" log -1 --format=%ae "$c0")" = alice@example.com
	check "$H while the raw email is another" sh -c \
		"git -C '$w' cat-file commit $c | grep -q '^author Alice <+AGE-lice@example.com> '"
	expect_push refuse "$H alice's UTF-7 commit, approved by herself" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$base" \
		"$ERR $(short "$c"): encoding 'UTF-7' is not UTF-8: git decodes the author and committer before it shows them"
	check "$H the refusal says how to fix it" expect_out "i18n.commitEncoding UTF-8"

	# git itself writes the header when i18n.commitEncoding is not UTF-8.
	git -C "$w" reset -q --hard "$base"
	test_tick
	printf 'caf\351\n' >"$w/latin1"
	git -C "$w" add latin1
	git -C "$w" -c i18n.commitEncoding=ISO-8859-1 -c user.name="$(printf 'Zo\353')" \
		-c user.email=alice@example.com commit -q -m "$(printf 'caf\351')"
	c=$(head_of "$w")
	check "$H git wrote an ISO-8859-1 header" sh -c \
		"git -C '$w' cat-file commit $c | grep -q '^encoding ISO-8859-1\$'"
	expect_push refuse "$H a commit git wrote in ISO-8859-1" \
		bob "$w" "$c:refs/heads/main" refs/heads/main "$base" \
		"$ERR $(short "$c"): encoding 'ISO-8859-1' is not UTF-8"
	# its UTF-8 twin, with the same non-ASCII name, is accepted
	git -C "$w" reset -q --hard "$base"
	commit_as "$w" alice@example.com "café"
	git -C "$w" -c user.name="$(printf 'Zo\303\253 \303\205lice')" -c user.email=alice@example.com \
		commit -q --amend --reset-author --no-edit
	c=$(head_of "$w")
	add_trailers "$w" alice@example.com "$(approve_raw bob bob bob@example.com "$w" "$c")"
	c=$(head_of "$w")
	expect_push accept "$H a non-ASCII UTF-8 name, approved by bob" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$c"
	git -C "$srv" update-ref refs/heads/main "$base"

	SUBJ="two encodings"
	approved_by bob bob bob@example.com "Alice <alice@example.com>" "$(printf 'encoding UTF-8\nencoding UTF-7')"
	expect_push refuse "$H two encoding headers" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$base" \
		"$ERR $(short "$c"): more than one encoding header"

	# --- names and emails ---------------------------------------------------------
	# A control byte or a zero-width space: git log shows alice@example.com
	# on a terminal, twokey compared another email.
	SUBJ="soh in the email"
	approved_by alice alice alice@example.com "Alice <alice@example.com$SOH>"
	expect_push refuse "$H alice's commit under 'alice@example.com^A', self-approved" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$base" \
		"$ERR $(short "$c"): the author email holds a control character \(0x01\)"
	check "$H no raw control byte reaches the pusher" sh -c "! grep -q '$SOH' '$TRASH/out'"

	SUBJ="zero-width space"
	approved_by alice alice alice@example.com "Alice <alice@example.com$ZWSP>"
	expect_push refuse "$H a zero-width space after alice's email, self-approved" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$base" \
		"$ERR $(short "$c"): the author email holds an invisible character \(U\+200B\)"

	SUBJ="leading space"
	approved_by alice alice alice@example.com "Alice < alice@example.com>"
	expect_push refuse "$H a space before alice's email, self-approved" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$base" \
		"$ERR $(short "$c"): the author email holds a space"

	SUBJ="right-to-left override"
	approved_by bob bob bob@example.com "Mallory $RLO<moc.elpmaxe@ecila> <alice@example.com>"
	# git fsck refuses '<' in a name, so that one is malformed; the override
	# alone in a name is refused for what it is
	expect_push refuse "$H '<' in the author name" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$base" \
		"$ERR $(short "$c"): malformed commit: malformed 'author' header"
	approved_by bob bob bob@example.com "Alice ${RLO}llew <alice@example.com>"
	expect_push refuse "$H a right-to-left override in the author name" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$base" \
		"$ERR $(short "$c"): the author name holds a bidirectional control \(U\+202E\)"

	SUBJ="escape in the committer"
	approved_by bob bob bob@example.com "Alice <alice@example.com>" "" "${ESC}[8mBob <bob@example.com>"
	expect_push refuse "$H an escape sequence in the committer name" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$base" \
		"$ERR $(short "$c"): the committer name holds a control character \(0x1b\)"
	check "$H no raw escape reaches the pusher" sh -c "! grep -q '$ESC' '$TRASH/out'"

	# A look-alike letter: a Cyrillic a (U+0430) in "alice@example.com".
	SUBJ="cyrillic a"
	approved_by alice alice alice@example.com "Alice <$(printf '\320\260')lice@example.com>"
	expect_push refuse "$H alice's commit under a Cyrillic look-alike of her email, self-approved" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$base" \
		"$ERR $(short "$c") \"cyrillic a\": the author email is not ASCII and no identity lists it: git log could show it as someone else's"
	# its twin: a non-ASCII email the policy lists (zoe's)
	SUBJ="zoe's own email"
	approved_by bob bob bob@example.com "Zoe <$(printf 'zo\303\253@example.com')>"
	expect_push accept "$H a non-ASCII email an identity lists, approved by bob" \
		zoe "$w" "$c:refs/heads/main" refs/heads/main "$c"
	git -C "$srv" update-ref refs/heads/main "$base"

	# the legitimate twin of all of these
	SUBJ="plain"
	approved_by bob bob bob@example.com "Alice <alice@example.com>"
	expect_push accept "$H the same commit with clean fields, approved by bob" \
		alice "$w" "$c:refs/heads/main" refs/heads/main "$c"
	git -C "$srv" update-ref refs/heads/main "$base"

	# A rule that inspects no commits lets such commits through.
	SUBJ="unprotected"
	approved_by bob bob bob@example.com "Alice <alice@example.com$SOH>" "encoding UTF-7"
	expect_push accept "$H the same commits on a ref no rule inspects" \
		alice "$w" "$c:refs/heads/topic" refs/heads/topic "$c"
done

# twokey approve warns the reviewer before signing such a commit
reviewer bob bob@example.com "$w"
SUBJ="utf-7 for the reviewer"
c=$(craft "Alice <+AGE-lice@example.com>" "encoding UTF-7")
approve_tk bob bob "$c" >/dev/null
check "twokey approve warns about a UTF-7 commit" grep -q \
	"^twokey: warning: $(short "$c"): encoding 'UTF-7' is not UTF-8: .*; the hooks refuse this commit" \
	"$TRASH/approve.err"
c=$(craft "Alice <alice@example.com>")
approve_tk bob bob "$c" >/dev/null
check "... and not about its clean twin" sh -c "! grep -q warning '$TRASH/approve.err'"

done_testing
