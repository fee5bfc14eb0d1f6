#!/bin/sh
# Reading a commit as git reads it (docs/spec.md, "Reading commits as git
# does"; issue 12, class 4).  Each case pushes a hostile commit object,
# written with `git hash-object -t commit -w --literally`, next to its
# legitimate twin, through pre-receive and through the update hook, and
# compares twokey's decision with what git itself shows of the same
# object (git log --format, git cat-file, git interpret-trailers --parse,
# git verify-commit).  Where twokey and git would read a different person
# or a different set of approvals, the commit is refused, or the approval
# not counted: twokey counts the approvals git shows, or fewer, never more.
#
# The attacker is alice, a developer who also reviews: her approval counts
# on anyone's commit but her own.  Each header attack writes her own
# commit so that a reader taking the wrong line would see bob's, and she
# approves it herself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

mkkey alice ed25519
mkkey bob ed25519

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
    roles: [developer, reviewer]
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
  - name: signed
    refs: 'refs/heads/signed'
    signed-commits: true
  - name: changes
    refs: 'refs/heads/change'
    require-trailers:
      Change: 'CHG[0-9]{6}'
audit:
  path: $TRASH/audit.jsonl
EOF
check "the policy is valid" sh -c '"$TK_BIN/twokey" config check "$TWOKEY_CONFIG" >/dev/null'

w=$(new_work w)
commit_as "$w" bob@example.com "base"
base=$(head_of "$w")
tree=$(git -C "$w" rev-parse "$base^{tree}")
printf 'alice@example.com namespaces="git" %s\nbob@example.com namespaces="git" %s\n' \
	"$(pub alice)" "$(pub bob)" >"$TRASH/allowed"
git -C "$w" config gpg.ssh.allowedSignersFile "$TRASH/allowed"
ERR="^remote: twokey: error: refs/heads/[a-z]*:"
NOTE="^remote: twokey: note: refs/heads/main:"
MALFORMED="malformed commit:"
ZERO=0000000000000000000000000000000000000000

# --- building objects by hand ---------------------------------------------------
# The person lines as git writes them, at the current tick.
ALICE="Alice <alice@example.com>"
BOB="Bob <bob@example.com>"
who() { printf '%s %s +0000' "$1" "$tk_tick"; }
# obj: stdin written as a commit object, unchecked; prints its id.
obj() { git -C "$w" hash-object -t commit -w --stdin --literally; }
# raw HEADERS MSG: tree and parent lines, HEADERS (lines, no final
# newline) and, unless $NOBLANK is set, a blank line, MSG and a newline.
raw() {
	printf 'tree %s\nparent %s\n%s\n' "$tree" "$base" "$1"
	[ -z "${NOBLANK:-}" ] || return 0
	printf '\n%s\n' "$2"
}
# mk HEADERS MSG [KEY NAME EMAIL]: the commit raw HEADERS MSG, in $c.
# With KEY, every "@A@" line of MSG becomes KEY's approval as NAME
# <EMAIL> over the commit with MSG's "@A@" lines dropped (its approval
# payload when the line lands in the trailer block); "@A@" lines go
# without KEY.  $FOLD, when set, is a sed script run on the trailer.
mk() {
	mk_m0=$(printf '%s\n' "$2" | sed '/^@A@$/d')
	c=$(raw "$1" "$mk_m0" | obj)
	if [ $# -gt 2 ]; then
		if [ -n "${APPROVE_TK:-}" ]; then
			approve_tk "$4" "$3" "$c"
		else
			approve_raw "$3" "$4" "$5" "$w" "$c"
		fi | sed "${FOLD:-}" >"$TRASH/trailer" || exit 1
		mk_m=$(printf '%s\n' "$2" | awk -v f="$TRASH/trailer" '
			$0 == "@A@" { while ((getline l < f) > 0) print l; close(f); next }
			{ print }')
		c=$(raw "$1" "$mk_m" | obj)
	fi
}
# std: author and committer alice, now.
std() { printf 'author %s\ncommitter %s' "$(who "$ALICE")" "$(who "$ALICE")"; }

# --- what git shows -------------------------------------------------------------------
# git_ids COMMIT: "author-email|committer-email|author-name" as git log
# shows them (the last author/committer header wins there).
git_ids() { git -C "$w" log -1 --no-show-signature --format='%ae|%ce|%an' "$1" 2>/dev/null; }
# git_shows DESC COMMIT WANT: git log shows WANT for COMMIT.
git_shows() {
	gs_got=$(git_ids "$2")
	if [ "$gs_got" = "$3" ]; then ok "$1: git log shows $3"
	else not_ok "$1: git log shows '$gs_got', expected '$3'"; fi
}
# git_approvals COMMIT: how many Approved-by trailers git's
# interpret-trailers --parse shows in COMMIT's message (case-insensitive).
git_approvals() {
	git -C "$w" cat-file commit "$1" | sed '1,/^$/d' |
		git -C "$w" interpret-trailers --parse | grep -ci '^approved-by:'
}

# pushes run through pre-receive ($H "hooks:") or the update hook ("update:")
# try accept|refuse DESC REF [REGEX...]: $c pushed at REF by alice (with
# --force: git's client cannot parse some of these), then REF is reset.
try() {
	t_want=$1 t_d=$2 t_ref=refs/heads/$3
	shift 3
	if [ "$t_want" = accept ]; then t_val=$c; else t_val=$base; fi
	expect_push "$t_want" "$H $t_d" alice "$w" "+$c:$t_ref" "$t_ref" "$t_val" "$@"
	git -C "$srv" update-ref "$t_ref" "$base"
}

reviewer bob bob@example.com "$w"

for hook in hooks update; do
	srv=$(new_server "srv-$hook" "$hook")
	git -C "$w" remote remove origin 2>/dev/null
	git -C "$w" remote add origin "$srv"
	push_as bob "$w" origin "$base:refs/heads/seed" || exit 1
	for r in main signed change; do git -C "$srv" update-ref refs/heads/$r "$base"; done
	H="$hook:"

	# === 1. headers ======================================================================
	# The twin: bob's commit, approved by alice, is accepted; alice's own
	# commit, approved by herself, is not (she is its writer).
	mk "author $(who "$BOB")
committer $(who "$BOB")" "bob's change

@A@" alice alice alice@example.com
	git_shows "bob's commit" "$c" "bob@example.com|bob@example.com|Bob"
	try accept "bob's commit, approved by alice" main
	mk "$(std)" "alice's change

@A@" alice alice alice@example.com
	git_shows "alice's commit" "$c" "alice@example.com|alice@example.com|Alice"
	try refuse "alice's commit, approved by herself" main \
		"$NOTE $(short "$c") \"alice's change\": approval by <alice@example\.com> not counted: alice is a writer"

	# Two author lines: git log's %ae shows the last, git log the first
	# (then the second), git fsck calls it an error.  A reader taking the
	# first would see bob.
	mk "author $(who "$BOB")
author $(who "$ALICE")
committer $(who "$BOB")
committer $(who "$ALICE")" "two authors

@A@" alice alice alice@example.com
	git_shows "two author and committer lines" "$c" "alice@example.com|alice@example.com|Alice"
	check "$H git log shows both authors" sh -c \
		"test \$(git -C '$w' log -1 --format=medium $c | grep -c '^Author:') -eq 2"
	try refuse "two author lines" main \
		"$ERR $(short "$c"): $MALFORMED commit headers out of order: 'author' where 'committer' belongs"

	# A second committer after the first (among the extra headers)
	mk "author $(who "$BOB")
committer $(who "$BOB")
committer $(who "$ALICE")" "two committers

@A@" alice alice alice@example.com
	git_shows "a second committer line" "$c" "bob@example.com|alice@example.com|Bob"
	try refuse "a second committer line" main \
		"$ERR $(short "$c"): $MALFORMED misplaced or repeated 'committer' header"

	# An author line after the committer (the order git never writes)
	mk "committer $(who "$BOB")
author $(who "$ALICE")" "committer first

@A@" alice alice alice@example.com
	git_shows "committer before author" "$c" "alice@example.com|bob@example.com|Alice"
	try refuse "committer before author" main \
		"$ERR $(short "$c"): $MALFORMED commit headers out of order: 'committer' where 'author' belongs"

	# An author line after an extra header
	mk "author $(who "$BOB")
committer $(who "$BOB")
encoding UTF-8
author $(who "$ALICE")" "author after encoding

@A@" alice alice alice@example.com
	git_shows "an author line after the extra headers" "$c" "alice@example.com|bob@example.com|Alice"
	try refuse "an author line after the extra headers" main \
		"$ERR $(short "$c"): $MALFORMED misplaced or repeated 'author' header"

	# No committer at all
	mk "author $(who "$BOB")" "no committer

@A@" alice alice alice@example.com
	git_shows "no committer" "$c" "bob@example.com||Bob"
	try refuse "no committer" main "$ERR $(short "$c"): $MALFORMED commit has no 'committer' header"

	# mergetag and gpgsig* continuation lines that look like an author line
	# after a bob-looking one: git takes no continuation line for a
	# header, so neither does twokey; the commit is alice's to both.
	for hdr in mergetag gpgsig gpgsig-sha256; do
		mk "author $(who "$ALICE")
committer $(who "$ALICE")
$hdr object $base
 author $(who "$BOB")
 committer $(who "$BOB")
 tag v1" "a $hdr hides a bob line

@A@" alice alice alice@example.com
		git_shows "a $hdr whose continuation says bob" "$c" "alice@example.com|alice@example.com|Alice"
		try refuse "a $hdr whose continuation says bob, alice's commit" main \
			"$NOTE $(short "$c") \"a $hdr hides a bob line\": approval by <alice@example\.com> not counted: alice is a writer"
		# the same header, closed early: the author line is a header of
		# its own, which git log's %ae shows
		mk "author $(who "$BOB")
committer $(who "$BOB")
$hdr object $base
author $(who "$ALICE")
 tag v1" "a $hdr with an author line inside

@A@" alice alice alice@example.com
		git_shows "an author line inside a $hdr" "$c" "alice@example.com|bob@example.com|Alice"
		try refuse "an author line inside a $hdr" main \
			"$ERR $(short "$c"): $MALFORMED misplaced or repeated 'author' header"
	done

	# Continuation lines where no header takes one
	mk "author $(who "$BOB")
 $(who "$ALICE")
committer $(who "$BOB")" "continued author

@A@" alice alice alice@example.com
	try refuse "a continuation line after author" main \
		"$ERR $(short "$c"): $MALFORMED commit has no 'committer' header"
	mk "author $(who "$BOB")
committer $(who "$BOB")
 author $(who "$ALICE")" "continued committer

@A@" alice alice alice@example.com
	git_shows "a continuation line after committer" "$c" "bob@example.com|bob@example.com|Bob"
	try refuse "a continuation line after committer" main \
		"$ERR $(short "$c"): $MALFORMED continuation line after the committer header"

	# CR LF line ends: git shows "alice@example.com" and a zone "+0000\r"
	mk "$(std | sed 's/$/\r/')" "crlf headers

@A@" bob bob bob@example.com
	git_shows "CR LF headers" "$c" "alice@example.com|alice@example.com|Alice"
	try refuse "CR LF header lines" main \
		"$ERR $(short "$c"): $MALFORMED malformed 'author' header: bad time zone"

	# "author" followed by a tab, or by garbage after the zone
	mk "author	$(who "$BOB")
committer $(who "$BOB")" "author and a tab

@A@" alice alice alice@example.com
	git_shows "'author' and a tab" "$c" "|bob@example.com|"
	try refuse "'author' and a tab" main "$ERR $(short "$c"): $MALFORMED commit has no 'author' header"
	mk "author $(who "$BOB") alice@example.com
committer $(who "$BOB")" "garbage after the zone

@A@" alice alice alice@example.com
	try refuse "garbage after the time zone" main \
		"$ERR $(short "$c"): $MALFORMED malformed 'author' header: bad time zone"
	mk "author Bob <bob@example.com> 1767225600 +0x00
committer $(who "$BOB")" "zone garbage

@A@" alice alice alice@example.com
	try refuse "a time zone of garbage" main \
		"$ERR $(short "$c"): $MALFORMED malformed 'author' header: bad time zone"

	# '<' and '>' inside the email: git shows the email up to the first
	# '>', twokey refuses the header
	mk "author Bob <bob@example.com<alice@example.com> $tk_tick +0000
committer Bob <bob@example.com<alice@example.com> $tk_tick +0000" "angle in email

@A@" alice alice alice@example.com
	git_shows "'<' inside the email" "$c" "bob@example.com<alice@example.com|bob@example.com<alice@example.com|Bob"
	try refuse "'<' inside the email" main "$ERR $(short "$c"): $MALFORMED malformed 'author' header: bad email"
	mk "author Alice <alice@example.com>bob@example.com> $tk_tick +0000
committer Alice <alice@example.com>bob@example.com> $tk_tick +0000" "gt in email

@A@" alice alice alice@example.com
	git_shows "'>' inside the email" "$c" "alice@example.com|alice@example.com|Alice"
	try refuse "'>' inside the email" main \
		"$ERR $(short "$c"): $MALFORMED malformed 'author' header: no space before date"
	mk "author Alice <alice@example.com $tk_tick +0000
committer Alice <alice@example.com $tk_tick +0000" "no gt

@A@" alice alice alice@example.com
	try refuse "no '>' after the email" main "$ERR $(short "$c"): $MALFORMED malformed 'author' header: bad email"
	# an empty email: git (and git fsck) take it, git log shows none,
	# and twokey knows no one by it: like any email no identity lists,
	# it names no writer (signed-commits or emails: tie commits to
	# people), so alice's approval counts for both readers alike
	mk "author Alice <> $tk_tick +0000
committer Alice <> $tk_tick +0000" "empty email

@A@" alice alice alice@example.com
	git_shows "an empty email" "$c" "||Alice"
	check "$H git hash-object (fsck's checks) takes an empty email" sh -c \
		"git -C '$w' cat-file commit $c | git -C '$w' hash-object -t commit --stdin >/dev/null"
	try accept "an empty email names no writer" main

	# a very long author name (64 KiB): read the same by both
	ln=$(awk 'BEGIN { while (n++ < 65536) printf "b" }')
	mk "author $ln <bob@example.com> $tk_tick +0000
committer $(who "$BOB")" "long name

@A@" alice alice alice@example.com
	check "$H git log shows the 64 KiB name" test "$(git -C "$w" log -1 --format=%an "$c" | wc -c)" -eq 65537
	try accept "a 64 KiB author name, bob's email, approved by alice" main

	# no blank line before the message: the message is empty to both; an
	# approval written as a header line is no approval
	mk "author $(who "$BOB")
committer $(who "$BOB")" "probe" alice alice alice@example.com
	NOBLANK=1
	mk "author $(who "$BOB")
committer $(who "$BOB")
$(cat "$TRASH/trailer")" ""
	NOBLANK=
	check "$H the object ends in its last header line" sh -c \
		"git -C '$w' cat-file commit $c | tail -1 | grep -q '^Approved-by: '"
	check "$H git shows an empty message" test -z "$(git -C "$w" log -1 --format=%B "$c" | tr -d '\n')"
	try refuse "an approval as a header line, no message" main \
		"$ERR $(short "$c") \"\": not approved: needs 1 more approval; counted: none"

	# the encoding header: any spelling of UTF-8 is git's UTF-8
	for e in utf8 UTF8 utf-8 Utf-8; do
		mk "$(std)
encoding $e" "encoding $e

@A@" bob bob bob@example.com
		try accept "encoding $e (UTF-8 to git), approved by bob" main
	done
	for e in latin1 UTF-16 "UTF-8 "; do
		mk "$(std)
encoding $e" "encoding $e

@A@" bob bob bob@example.com
		try refuse "encoding '$e'" main "$ERR $(short "$c"): encoding '$e' is not UTF-8"
	done
	mk "$(std)
encoding UTF-8
encoding UTF-8" "two encodings

@A@" bob bob bob@example.com
	try refuse "the encoding header twice" main "$ERR $(short "$c"): more than one encoding header"

	# a NUL byte after a trailer: git's tools stop at it, twokey refuses
	mk "$(std)" "nul in the message

@A@" bob bob bob@example.com
	c=$(git -C "$w" cat-file commit "$c" | sed 's/^Approved-by: .*/&\x01Approved-by: alice/' | tr '\001' '\000' | obj)
	check "$H git shows the message up to the NUL" sh -c \
		"git -C '$w' log -1 --format=%B $c | grep -q '^Approved-by: bob' && ! git -C '$w' log -1 --format=%B $c | grep -q 'Approved-by: alice'"
	try refuse "a NUL byte in the message" main "$ERR $(short "$c"): $MALFORMED commit object contains a NUL byte"

	# === 2. trailers ========================================================================
	# Approvals of bob on alice's commit, where git's interpret-trailers
	# --parse shows them or not.  twokey counts what git shows, or fewer.
	# twin: the approval as the last paragraph
	mk "$(std)" "trailer twin

body

@A@" bob bob bob@example.com
	check "$H git shows bob's approval" test "$(git_approvals "$c")" -eq 1
	try accept "bob's approval as the last paragraph" main

	# after a "---" line: git reads no trailer after it
	for div in "---" "--- notes" "---	tab"; do
		mk "$(std)" "a divider

body
$div
what changed

@A@" bob bob bob@example.com
		check "$H git shows no approval after '$div'" test "$(git_approvals "$c")" -eq 0
		try refuse "bob's approval after a '$div' line" main \
			"$NOTE $(short "$c") \"a divider\": approval by <bob@example.com> not counted: it follows a '---' or scissors line, where git's interpret-trailers stops reading" \
			"$ERR $(short "$c") \"a divider\": not approved: needs 1 more approval"
	done
	# "----" is no divider to git
	mk "$(std)" "four dashes

body
----

@A@" bob bob bob@example.com
	check "$H git shows the approval after '----'" test "$(git_approvals "$c")" -eq 1
	try accept "bob's approval after a '----' line" main
	# nor "---" before a vertical tab or form feed: C's isspace() counts
	# them, git's own does not
	for ws in vt ff; do
		case $ws in vt) wc='\v' ;; *) wc='\f' ;; esac
		mk "$(std)" "$(printf "odd dashes\n\nbody\n---${wc}notes\n\n@A@")" bob bob bob@example.com
		check "$H git shows the approval after '---' and a $ws" test "$(git_approvals "$c")" -eq 1
		try accept "bob's approval after a line of '---' and a $ws" main
	done
	# after git's scissors line
	mk "$(std)" "scissors

body
# ------------------------ >8 ------------------------
diff

@A@" bob bob bob@example.com
	check "$H git shows no approval after the scissors" test "$(git_approvals "$c")" -eq 0
	try refuse "bob's approval after a scissors line" main \
		"$NOTE $(short "$c") \"scissors\": approval by <bob@example.com> not counted: it follows a '---' or scissors line"
	# the approval note in refs/notes/twokey still works for such a commit
	mk "$(std)" "a divider and a note

body
---
what changed"
	approve_raw bob bob bob@example.com "$w" "$c" >"$TRASH/note"
	git -C "$w" notes --ref=twokey add -f -F "$TRASH/note" "$c"
	git -C "$srv" update-ref -d refs/notes/twokey 2>/dev/null
	# (the note first: the update hook reads the notes ref as it is)
	accepted "$H bob's note on a commit with a '---' line" alice "$w" origin \
		"$c:refs/heads/tmp" refs/notes/twokey:refs/notes/twokey
	accepted "$H a commit with a '---' line, approved in refs/notes/twokey" alice "$w" origin \
		"+$c:refs/heads/main"
	check "$H ... main moved" ref_is "$srv" refs/heads/main "$c"
	git -C "$srv" update-ref refs/heads/main "$base"
	git -C "$w" update-ref -d refs/notes/twokey

	# a fold inside the email: git unfolds it to "bob@exa mple.com"
	FOLD='s/<bob@exa/&\n /'
	mk "$(std)" "fold in email

@A@" bob bob bob@example.com
	FOLD=
	check "$H git shows the email with a space" sh -c \
		"git -C '$w' cat-file commit $c | sed '1,/^\$/d' | git interpret-trailers --parse | grep -q '<bob@exa mple.com>'"
	try refuse "a fold inside the approval's email" main \
		"$NOTE $(short "$c") \"fold in email\": approval by <bob@example.com> not counted: it is not 'Name <email> sshsig:BASE64'"
	FOLD='s/sshsig:/ssh\n sig:/'
	mk "$(std)" "fold in sshsig

@A@" bob bob bob@example.com
	FOLD=
	try refuse "a fold inside 'sshsig:'" main \
		"$NOTE $(short "$c") \"fold in sshsig\": approval by <bob@example.com> not counted"
	# the twin: folds in the base64 and before sshsig:, as the spec allows
	FOLD='s/> sshsig:/>\n sshsig:/; s/sshsig:\(....\)/sshsig:\1\n\t/'
	mk "$(std)" "fold in base64

@A@" bob bob bob@example.com
	FOLD=
	check "$H git shows the folded approval with bob's email" sh -c \
		"git -C '$w' cat-file commit $c | sed '1,/^\$/d' | git interpret-trailers --parse | grep -q '^Approved-by: bob <bob@example.com> sshsig:'"
	try accept "an approval folded before sshsig: and in the base64" main

	# CR LF message lines: git shows the approval, twokey counts it
	# (twokey approve makes this approval: the payload ends in "body\r")
	APPROVE_TK=1 FOLD='s/$/\r/'
	mk "$(std)" "$(printf 'crlf message\r\n\r\nbody\r\n\r')
@A@" bob bob bob@example.com
	APPROVE_TK= FOLD=
	check "$H the message has CR LF line ends" sh -c \
		"test \$(git -C '$w' cat-file commit $c | grep -c \$(printf '\r\$')) -eq 5"
	check "$H git shows the CR LF approval" test "$(git_approvals "$c")" -eq 1
	try accept "a CR LF message, bob's approval" main

	# lower case key: a trailer to git, an approval to twokey
	FOLD='s/^Approved-by:/approved-by:/'
	mk "$(std)" "lower case

@A@" bob bob bob@example.com
	FOLD=
	check "$H git shows 'approved-by:'" test "$(git_approvals "$c")" -eq 1
	try accept "'approved-by:' in lower case" main

	# where git shows a trailer and twokey counts none (fewer, never more):
	# not the last paragraph, prose among trailers, a '#' line, "Key :"
	mk "$(std)" "not last

@A@

The end." bob bob bob@example.com
	check "$H git shows no approval before the last paragraph" test "$(git_approvals "$c")" -eq 0
	try refuse "an approval before the last paragraph" main "$ERR $(short "$c") \"not last\": not approved"
	mk "$(std)" "prose among trailers

Some prose here.
Signed-off-by: Alice <alice@example.com>
@A@" bob bob bob@example.com
	check "$H git shows the approval among prose" test "$(git_approvals "$c")" -eq 1
	try refuse "an approval among prose (git's 25% rule)" main "$ERR $(short "$c") \"prose among trailers\": not approved"
	mk "$(std)" "comment in block

@A@
# a comment" bob bob bob@example.com
	check "$H git shows the approval above a '#' line" test "$(git_approvals "$c")" -eq 1
	try refuse "an approval above a '#' line" main "$ERR $(short "$c") \"comment in block\": not approved"
	FOLD='s/^Approved-by=/Approved-by=/; s/^Approved-by:/Approved-by=/'
	mk "$(std)" "equals

@A@" bob bob bob@example.com
	FOLD=
	check "$H git shows no 'Approved-by=' trailer" test "$(git_approvals "$c")" -eq 0
	try refuse "'Approved-by=' as the separator" main "$ERR $(short "$c") \"equals\": not approved"

	# require-trailers reads what git shows too
	mk "$(std)" "change twin

Change: CHG123456"
	try accept "a Change: trailer" change
	mk "$(std)" "change after a divider

body
---

Change: CHG123456"
	try refuse "a Change: trailer after a '---' line" change \
		"$ERR $(short "$c") \"change after a divider\": .*Change"

	# === 3. commit signatures ===============================================================
	# sign FILE KEY: FILE signed as git signs (namespace git); the gpgsig
	# header lines in $TRASH/sighdr.
	sign() {
		rm -f "$1.sig"
		ssh-keygen -q -Y sign -n git -f "$KEYS/$2" "$1" >/dev/null 2>&1 || exit 1
		sed '1s/^/gpgsig /; 2,$s/^/ /' "$1.sig" >"$TRASH/sighdr"
	}
	# signed HEADERS MSG [EXTRA]: $c is raw HEADERS MSG signed by alice
	# over exactly those bytes, then with EXTRA header lines (signed as
	# shown, or not) added after the signature.
	signed() {
		raw "$1" "$2" >"$TRASH/obj"
		sign "$TRASH/obj" alice
		c=$(raw "$1
$(cat "$TRASH/sighdr")${3:+
$3}" "$2" | obj)
	}
	test_tick
	signed "$(std)" "signed twin"
	check "$H git verify-commit accepts the twin" git -C "$w" verify-commit "$c"
	try accept "a commit signed by alice" signed
	# gpgsig and gpgsig-sha256: git verifies the first, drops the second
	signed "$(std)" "two signature headers" "gpgsig-sha256 -----BEGIN SSH SIGNATURE-----
 author $(who "$BOB")
 -----END SSH SIGNATURE-----"
	check "$H git verify-commit accepts gpgsig next to gpgsig-sha256" git -C "$w" verify-commit "$c"
	try accept "gpgsig and gpgsig-sha256 (git verifies gpgsig)" signed
	# signed over the object with its gpgsig-sha256 header kept: git's
	# payload has no such header, so the signature fails for git and twokey
	raw "$(std)
gpgsig-sha256 x" "kept sha256 header" >"$TRASH/obj"
	sign "$TRASH/obj" alice
	c=$(raw "$(std)
$(cat "$TRASH/sighdr")
gpgsig-sha256 x" "kept sha256 header" | obj)
	check "$H git verify-commit refuses a signature over a gpgsig-sha256 header" sh -c \
		"! git -C '$w' verify-commit $c 2>/dev/null"
	try refuse "a signature that covers a gpgsig-sha256 header" signed \
		"$ERR $(short "$c") \"kept sha256 header\": .*signature"
	# a mergetag added after signing: git keeps it in the payload
	signed "$(std)" "mergetag added" "mergetag object $base
 type commit"
	check "$H git verify-commit refuses a mergetag added after signing" sh -c \
		"! git -C '$w' verify-commit $c 2>/dev/null"
	try refuse "a mergetag added after signing" signed \
		"$ERR $(short "$c") \"mergetag added\": .*signature"
	# an author line among the signature's lines, not indented: a header
	raw "$(std)" "author in signature" >"$TRASH/obj"
	sign "$TRASH/obj" alice
	c=$(raw "$(std)
$(sed "2i author $(who "$BOB")" "$TRASH/sighdr")" "author in signature" | obj)
	try refuse "an author line among the signature lines" signed \
		"$ERR $(short "$c"): $MALFORMED misplaced or repeated 'author' header"
	# === 4. ref names =======================================================================
	# rawpush REF NEW: REF set to NEW (from $base's absence: a creation)
	# by alice, sent to git-receive-pack as any client may send it (git
	# push itself refuses to send names git check-ref-format refuses).
	# The hook's lines and receive-pack's report ("ok REF", "ng REF why")
	# in $TRASH/out.
	rawpush() {
		rp_line="$ZERO $2 $1"
		{
			printf '%04x%s\0report-status\n' $((${#rp_line} + 19)) "$rp_line"
			printf 0000
			printf '%s\n^%s\n' "$2" "$base" | git -C "$w" pack-objects -q --stdout --revs
		} >"$TRASH/rp.in"
		GL_USER=alice git receive-pack "$srv" <"$TRASH/rp.in" >"$TRASH/rp.out" 2>"$TRASH/out"
		tr -d '\0' <"$TRASH/rp.out" | grep -ao 'ok .*\|ng .*' >>"$TRASH/out"
	}
	mk "author $(who "$BOB")
committer $(who "$BOB")" "for odd names"
	rawpush refs/heads/topic "$c"
	check "$H a raw push to refs/heads/topic lands (the twin)" expect_out "^ok refs/heads/topic"
	git -C "$srv" update-ref -d refs/heads/topic
	for r in refs/heads/a..b refs/heads/x.lock 'refs/heads/a@{b}' refs/heads/main/ \
		refs/heads//main refs/heads/.hidden refs/heads/main. refs/foo HEAD; do
		rawpush "$r" "$c"
		if [ "$hook" = hooks ]; then
			check "$H $r: twokey refuses a name git does not write" expect_out \
				"^twokey: error: $(ere "$r"): refused: '$(ere "$r")' is no ref name git writes \(git-receive-pack refuses it as a funny refname\)"
			check "$H $r: refused by the hook" expect_out "^ng $(ere "$r") pre-receive hook declined"
		else
			check "$H $r: git refuses it before the update hook" expect_out "^ng $(ere "$r") funny refname"
		fi
		check "$H $r: not written" sh -c "! git -C '$srv' for-each-ref | grep -q '$c'"
	done

	# core.ignoreCase (a case-insensitive file system): refs/heads/MAIN
	# is main's file, so it is decided as main or refused
	mk "$(std)" "case"
	expect_push accept "$H refs/heads/MAIN, a ref of its own on this file system" alice "$w" \
		"$c:refs/heads/MAIN" refs/heads/MAIN "$c"
	git -C "$srv" update-ref -d refs/heads/MAIN
	git -C "$srv" config core.ignoreCase true
	expect_push refuse "$H refs/heads/MAIN under core.ignoreCase" alice "$w" \
		"$c:refs/heads/MAIN" refs/heads/MAIN "" \
		"^remote: twokey: error: refs/heads/MAIN: refused: the repository ignores case in ref names \(core.ignoreCase, or set\), so 'refs/heads/MAIN' may be written as 'refs/heads/main', which rule 'mainline' decides"
	expect_push accept "$H refs/heads/Topic under core.ignoreCase (no rule either way)" alice "$w" \
		"$c:refs/heads/Topic" refs/heads/Topic "$c"
	git -C "$srv" update-ref -d refs/heads/Topic
	git -C "$srv" config --unset core.ignoreCase

	# a note in refs/notes/commits: git log shows it, twokey reads only
	# refs/notes/twokey
	mk "$(std)" "other notes"
	approve_raw bob bob bob@example.com "$w" "$c" >"$TRASH/note"
	git -C "$w" notes add -f -F "$TRASH/note" "$c"
	accepted "$H a note in refs/notes/commits (no rule)" alice "$w" origin \
		"$c:refs/heads/tmp2" refs/notes/commits:refs/notes/commits
	check "$H git log shows the approval in refs/notes/commits" sh -c \
		"git -C '$srv' log -1 $c | grep -q '^    Approved-by: bob <bob@example.com> sshsig:'"
	expect_push refuse "$H main with an approval only in refs/notes/commits" alice "$w" \
		"+$c:refs/heads/main" refs/heads/main "$base" \
		"$ERR $(short "$c") \"other notes\": not approved: needs 1 more approval; counted: none"
	git -C "$w" update-ref -d refs/notes/commits

	# --atomic or not: one refused ref and one accepted
	mk "$(std)" "atomic"
	for mode in "" --atomic; do
		push_as alice "$w" $mode origin "+$c:refs/heads/main" "$c:refs/heads/free"
		check "$H ${mode:-non-atomic}: main refused" ref_is "$srv" refs/heads/main "$base"
		if [ "$hook" = update ] && [ -z "$mode" ]; then
			check "$H non-atomic, update hook: the free ref lands alone" ref_is "$srv" refs/heads/free "$c"
		else
			check "$H ${mode:-non-atomic}: the free ref does not land either" ref_is "$srv" refs/heads/free ""
		fi
		git -C "$srv" update-ref -d refs/heads/free 2>/dev/null
	done
done

# === 5. differential: every seed of the fuzz corpora =========================
# tests/tools/tk_read prints what twokey reads; git must show the same
# people for every commit object twokey accepts, and every approval twokey
# reads as well formed must be one git's interpret-trailers --parse shows.
RD="$TK_BIN/tests/tools/tk_read"
check "tk_read is built" test -x "$RD"
# (git show reads the parents: they are pointed at objects that exist
# first, which changes no person line)
et=$(git -C "$w" hash-object -t tree -w /dev/null)
n=0 bad=0
for f in "$TK_SRC"/tests/fuzz/corpus/commit/*; do
	sed -E "1,/^\$/{s/^tree [0-9a-f]{40}\$/tree $et/;s/^parent [0-9a-f]{40}\$/parent $base/}" \
		"$f" >"$TRASH/obj.in"
	"$RD" commit "$TRASH/obj.in" >"$TRASH/tk.out" 2>/dev/null || continue
	o=$(git -C "$w" hash-object -t commit -w --literally "$TRASH/obj.in") || exit 1
	g=$(git -C "$w" show -s --no-show-signature --format='%ae|%ce|%an' "$o" 2>"$TRASH/git.err")
	n=$((n + 1))
	if [ "$g" != "$(cat "$TRASH/tk.out")" ]; then
		bad=$((bad + 1))
		echo "# $(basename "$f"): git shows '$g', twokey read '$(cat "$TRASH/tk.out")'"
	fi
done
check "people: git shows what twokey read in each of $n accepted corpus objects" \
	test "$bad" -eq 0 -a "$n" -ge 100
n=0 bad=0
for f in "$TK_SRC"/tests/fuzz/corpus/trailer/* "$TK_SRC"/tests/fuzz/corpus/commit/*; do
	case $f in */commit/*)
		sed '1,/^$/d' "$f" >"$TRASH/msg.in" ;;
	*) cp "$f" "$TRASH/msg.in" ;;
	esac
	# (git's tools stop at a NUL; twokey refuses the commit)
	tr -d '\000' <"$TRASH/msg.in" | cmp -s - "$TRASH/msg.in" || continue
	"$RD" approvals "$TRASH/msg.in" 2>/dev/null | sort >"$TRASH/tk.out" || continue
	git -C "$w" interpret-trailers --parse <"$TRASH/msg.in" 2>/dev/null |
		sed -n 's/^[Aa][Pp][Pp][Rr][Oo][Vv][Ee][Dd]-[Bb][Yy]: [^<]*<\([^>]*\)>.*/\1/p' |
		sort >"$TRASH/git.out"
	[ -s "$TRASH/tk.out" ] && n=$((n + 1))
	if [ -n "$(comm -23 "$TRASH/tk.out" "$TRASH/git.out")" ]; then
		bad=$((bad + 1))
		echo "# $(basename "$f"): twokey reads approvals git does not show: $(comm -23 "$TRASH/tk.out" "$TRASH/git.out" | tr '\n' ' ')"
	fi
done
check "approvals: git shows each one twokey reads, in $n corpus messages" \
	test "$bad" -eq 0 -a "$n" -ge 50

done_testing
