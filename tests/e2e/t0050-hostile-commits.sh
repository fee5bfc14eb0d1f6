#!/bin/sh
# Hostile pushes (twokey-policy(5), "RESOURCE BOUNDS"; issue "Robustness", part 4):
# commits, trailers, signatures, ref names, pusher variables and object
# formats built to break a parser or a bound, each pushed at a protected
# ref (approvals min 1, signed-commits, role lists).  Each must be handled
# safely: refused with a clear finding and the ref unchanged wherever it
# breaks a rule, a bound or a parse; accepted only where a legitimate push
# would be; never a crash (the hook, run directly on the same update,
# exits 0 or 1), never a hang (every push and hook run under timeout 60),
# never a raw ESC, BEL or C1 control on the pusher's terminal.
#
# Objects are written with `git hash-object --literally`; commit
# signatures are made with ssh-keygen -Y sign -n git over the raw object,
# approvals with ssh-keygen -Y sign -n twokey-approval over the payload
# (lib-approvals.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for k in alice bob dave; do mkkey $k ed25519; done
mkkey alice-ec ecdsa 256
mkkey alice-rsa rsa 2048
mkkey carol ecdsa 384
mkkey erin rsa 2048
AUDIT="$TRASH/audit.jsonl"

# One rule per unusual ref name, to show each is routed to its own rule.
ODD_NAMES="refs/heads/ü refs/heads/a+b refs/heads/#x refs/heads/x@y refs/heads/-dash"
odd_rules() {
	i=0
	for r in $ODD_NAMES; do
		i=$((i + 1))
		pat=$(printf '%s' "$r" | sed 's/[+#@.]/\\&/g')
		printf '  - name: odd-%s\n    refs: '\''%s'\''\n' "$i" "$pat"
		printf '    update: [operations]\n    signed-commits: true\n'
		printf '    approvals: {min: 1, from: [reviewer]}\n'
	done
}

write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  operations: deploys
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    keys: ["$(pub alice)", "$(pub alice-ec)", "$(pub alice-rsa)"]
    roles: [developer]
  bob:
    emails: [bob@example.com]
    logins: [bob]
    keys: ["$(pub bob)"]
    roles: [reviewer]
  carol:
    emails: [carol@example.com]
    keys: ["$(pub carol)"]
    roles: [reviewer]
  erin:
    emails: [erin@example.com]
    keys: ["$(pub erin)"]
    roles: [reviewer]
  dave:
    emails: [dave@example.com]
    logins: [dave, "$(awk 'BEGIN { while (n++ < 256) printf "d" }')"]
    keys: ["$(pub dave)"]
    roles: [operations]
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [operations]
    create: [operations]
    delete: []
    force-push: []
    signed-commits: true
    approvals: {min: 1, from: [reviewer]}
$(odd_rules)
  - name: esc
    refs: 'refs/heads/esc/.*'
    update: [operations]
    signed-commits: true
    approvals: {min: 1, from: [reviewer]}
audit:
  path: $AUDIT
EOF
check "the policy is valid" sh -c '"$TK_BIN/twokey" config check "$TWOKEY_CONFIG" >/dev/null'

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
ERR="^remote: twokey: error:"
REF=refs/heads/main
ONE="^remote: twokey: refused refs/heads/main under rule 'mainline' \(1 problem\)"
REFUSED="^remote: twokey: refused refs/heads/main under rule 'mainline' \([0-9]+ problems?\)"
ACC="^remote: twokey: accepted refs/heads/main under rule 'mainline'( |$)"
ZERO=0000000000000000000000000000000000000000
ESC=$(printf '\033')
BEL=$(printf '\007')
CSI=$(printf '\302\233')
OSC=$(printf '\302\235')

signed_commit_as "$w" alice@example.com alice "seed"
tip=$(head_of "$w")
push_as dave "$w" origin "$tip:refs/heads/seed"
git -C "$srv" update-ref $REF "$tip"
check "main is seeded" ref_is "$srv" $REF "$tip"

# --- building commits by hand --------------------------------------------------
# mkraw AUTHOR MSGFILE [HEADERFILE]: $TRASH/raw is a commit on $tip (same
# tree), authored and committed by AUTHOR ("Name <email>") now, with the
# lines of HEADERFILE as its last headers, and MSGFILE's bytes as message.
mkraw() {
	{
		printf 'tree %s\nparent %s\n' "$(git -C "$w" rev-parse "$tip^{tree}")" "$tip"
		printf 'author %s %s +0000\n' "$1" "$tk_tick"
		printf 'committer %s %s +0000\n' "$1" "$tk_tick"
		if [ -n "${3:-}" ]; then cat "$3"; fi
		printf '\n'
		cat "$2"
	} >"$TRASH/raw"
}
# put FILE: writes FILE as a commit object, unchecked; prints its id.
put() { git -C "$w" hash-object -t commit -w --stdin --literally <"$1"; }
# sig_header SIGFILE: an armoured signature as a gpgsig header.
sig_header() { sed '1s/^/gpgsig /; 2,$s/^/ /' "$1"; }
# sign_raw KEY: $TRASH/raw signed by KEY as git does (namespace git, over
# the object without gpgsig headers); the header lines in $TRASH/sighdr.
sign_raw() {
	rm -f "$TRASH/raw.sig"
	ssh-keygen -q -Y sign -n git -f "$KEYS/$1" "$TRASH/raw" >/dev/null 2>&1 ||
		{ echo "# ssh-keygen -Y sign -n git failed" >&2; return 1; }
	sig_header "$TRASH/raw.sig" >"$TRASH/sighdr"
}
# signed AUTHOR MSGFILE [KEY]: a commit signed by KEY (alice); its id.
# With NUL=1, every \001 byte of the object becomes a NUL first.
signed() {
	mkraw "$1" "$2"
	nulify
	sign_raw "${3:-alice}"
	mkraw "$1" "$2" "$TRASH/sighdr"
	nulify
	put "$TRASH/raw"
}
nulify() {
	if [ "${NUL:-0}" = 1 ]; then
		tr '\001' '\000' <"$TRASH/raw" >"$TRASH/raw.nul" && mv "$TRASH/raw.nul" "$TRASH/raw"
	fi
}
# bob_approval AUTHOR MSGFILE: bob's real approval trailer for the commit
# AUTHOR would make with MSGFILE (the approval payload ignores the
# committer and the signature).
bob_approval() {
	mkraw "$1" "$2"
	ba_u=$(put "$TRASH/raw")
	approve_raw bob bob bob@example.com "$w" "$ba_u"
}
# legit AUTHOR MSGFILE [SEP]: approved by bob, signed by alice: the message
# is MSGFILE, SEP (a blank line by default; "" to add to its own trailer
# block) and bob's trailer.  Prints the id.
legit() {
	lg_t=$(bob_approval "$1" "$2") || return 1
	{ cat "$2"; printf '%s' "${3-
}"; printf '%s\n' "$lg_t"; } >"$TRASH/legit.msg"
	signed "$1" "$TRASH/legit.msg"
}
ALICE="alice <alice@example.com>"
msg() { printf '%s\n' "$@" >"$TRASH/msg"; }

# --- running hostile updates ---------------------------------------------------
# with_login LOGIN CMD...: CMD with GL_USER=LOGIN ("(unset)": without it).
with_login() {
	wl=$1
	shift
	if [ "$wl" = "(unset)" ]; then
		(unset GL_USER; "$@")
	else
		GL_USER="$wl" "$@"
	fi
}
# run_hook LOGIN OLD NEW REF: the pre-receive hook run directly on the
# update, in the server repository, seeing the work repository's objects
# (as it sees the quarantine in a push).  Status in $hook_rc, stderr in
# $TRASH/hook.err.
run_hook() {
	printf '%s %s %s\n' "$2" "$3" "$4" >"$TRASH/hook.in"
	GIT_DIR="$srv" GIT_ALTERNATE_OBJECT_DIRECTORIES="$w/.git/objects" \
		with_login "$1" timeout 60 "$TK_BIN/twokey-pre-receive" \
		<"$TRASH/hook.in" >"$TRASH/hook.out" 2>"$TRASH/hook.err"
	hook_rc=$?
}
# hook_ok DESC: $hook_rc is 0 or 1: no crash, no hang.
hook_ok() {
	case $hook_rc in
	0 | 1) ok "$1: the hook exits $hook_rc" ;;
	124) not_ok "$1: the hook hung (killed after 60 s)" ;;
	*) not_ok "$1: the hook exits $hook_rc (a crash: over 1, or a signal)"
		sed 's/^/#   /' "$TRASH/hook.err" | head -20 ;;
	esac
}
# clean FILE: no raw ESC, BEL, other C0 control but tab and newline, DEL
# or C1 control (U+0080..U+009F as UTF-8) in FILE.
CTL=$(printf '[\001-\010\013-\037\177]')
C1=$(printf '\302[\200-\237]')
clean() {
	if LC_ALL=C grep -q -e "$CTL" -e "$C1" "$1"; then
		echo "# raw control bytes in $1:"
		LC_ALL=C grep -n -e "$CTL" -e "$C1" "$1" | od -c | sed 's/^/#   /' | head -20
		return 1
	fi
}
# hostile accept|refuse DESC LOGIN NEW [REF [REGEX...]]: NEW pushed at REF
# (main) with GL_USER=LOGIN (and --force when $FORCE is set, for objects
# the git client cannot parse): first the hook alone (exit 0 or 1, never a
# crash or a hang, the expected verdict, clean output), then a real push
# under timeout 60: its verdict, REF (unchanged on refusal), a line
# matching each REGEX, clean remote: lines.  (git's own lines, such as
# " ! [remote rejected] REF", show a ref name as it is: only the hook's
# remote: lines are twokey's to clean.)
hostile() {
	h_want=$1 h_d=$2 h_login=$3 h_new=$4 h_ref=${5:-$REF}
	shift 4
	[ $# -gt 0 ] && shift
	h_old=$(git -C "$srv" rev-parse -q --verify "$h_ref" || echo $ZERO)
	run_hook "$h_login" "$h_old" "$h_new" "$h_ref"
	hook_ok "$h_d"
	if [ "$h_want" = accept ]; then h_exp=0 h_val=$h_new; else h_exp=1 h_val=$h_old; fi
	[ "$h_val" = $ZERO ] && h_val=
	check "$h_d: the hook alone ${h_want}s (exit $h_exp)" test "$hook_rc" -eq "$h_exp"
	check "$h_d: the hook's output is clean" clean "$TRASH/hook.err"
	with_login "$h_login" timeout 60 git -C "$w" push origin "${FORCE:++}$h_new:$h_ref" >"$TRASH/out" 2>&1
	h_rc=$?
	# with TK_KEEP, every push's output stays for a look afterwards
	[ -z "${TK_KEEP:-}" ] || cp "$TRASH/out" "$TRASH/out.$tk_count"
	if [ "$h_rc" -eq 124 ]; then not_ok "$h_d: the push hung (killed after 60 s)"
	elif [ "$h_want" = accept ]; then check "$h_d: push accepted" test "$h_rc" -eq 0
	else check "$h_d: push refused" test "$h_rc" -ne 0; fi
	[ "$h_rc" -eq "$h_exp" ] || sed 's/^/#   /' "$TRASH/out" | cut -c1-400 | head -30
	check "$h_d: $h_ref is ${h_val:-absent}" ref_is "$srv" "$h_ref" "$h_val"
	for h_re in "$@"; do
		check "$h_d: says /$h_re/" expect_out "$h_re"
	done
	grep '^remote:' "$TRASH/out" >"$TRASH/out.remote"
	check "$h_d: the remote: lines are clean" clean "$TRASH/out.remote"
}

# --- the baseline: a legitimate hand-built commit is accepted ---------------------
test_tick
msg "a legitimate hand-built commit" "" "body"
h=$(legit "$ALICE" "$TRASH/msg")
hostile accept "baseline: signed by alice, approved by bob" dave "$h" "$REF" "$ACC"
tip=$h
check "git fsck likes the baseline" git -C "$w" fsck --no-dangling --no-progress

# body FILE SUBJECT BYTES: FILE is a message: SUBJECT, a blank line, then
# BYTES bytes of dull text lines (the last one cut short, newline-ended).
body() {
	{
		printf '%s\n\n' "$2"
		yes 'a line of a very long commit message, written to fill space.' |
			head -c $(($3 - 1))
		echo
	} >"$1"
}

# --- 1. huge messages ------------------------------------------------------------
test_tick
body "$TRASH/msg" "five MiB message" 5242880
h=$(legit "$ALICE" "$TRASH/msg")
check "the 5 MiB commit is over 5 MiB" test "$(git -C "$w" cat-file -s "$h")" -gt 5242880
hostile accept "a 5 MiB message, signed and approved" dave "$h" "$REF" "$ACC"
tip=$h
# exactly the 8 MiB bound: accepted; one byte more: refused as too large
test_tick
body "$TRASH/msg" "eight MiB commit" 8000000
h=$(legit "$ALICE" "$TRASH/msg")
n=$((8000000 + 8388608 - $(git -C "$w" cat-file -s "$h")))
body "$TRASH/msg" "eight MiB commit" $((n + 1))
big1=$(legit "$ALICE" "$TRASH/msg")
body "$TRASH/msg" "eight MiB commit" $n
big0=$(legit "$ALICE" "$TRASH/msg")
check "built a commit of exactly 8 MiB" test "$(git -C "$w" cat-file -s "$big0")" -eq 8388608
check "built a commit of 8 MiB + 1" test "$(git -C "$w" cat-file -s "$big1")" -eq 8388609
hostile refuse "a commit of 8 MiB + 1 byte, signed and approved" dave "$big1" "$REF" \
	"$ERR refs/heads/main: $(short "$big1"): malformed commit: commit object over 8388608 bytes \[rule 'mainline'\]" "$ONE"
hostile accept "a commit of exactly 8 MiB, signed and approved" dave "$big0" "$REF" "$ACC"
tip=$big0
test_tick
body "$TRASH/msg" "twelve MiB message" 12582912
h=$(legit "$ALICE" "$TRASH/msg")
hostile refuse "a 12 MiB message, signed and approved" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h"): malformed commit: commit object over 8388608 bytes \[rule 'mainline'\]" "$ONE"
# a 4 MiB subject line, and 400,000 trailers that are not approvals
test_tick
{ printf 'one line: '; head -c 4194304 /dev/zero | tr '\0' 's'; echo; } >"$TRASH/msg"
h=$(legit "$ALICE" "$TRASH/msg")
hostile accept "a 4 MiB subject line, signed and approved" dave "$h" "$REF" "$ACC"
tip=$h
test_tick
{ printf 'many trailers\n\n'; awk 'BEGIN { for (i = 0; i < 400000; i++) print "Reviewed-by: r" i }'; } >"$TRASH/msg"
h=$(legit "$ALICE" "$TRASH/msg" "")
hostile accept "400,000 other trailers in the approval's block" dave "$h" "$REF" "$ACC"
tip=$h

# --- malformed headers and the parent bound ---------------------------------------------
# Each case is "SED-EDIT|DESCRIPTION|FINDING": an unsigned commit whose
# headers SED-EDIT breaks, pushed with --force (git cannot parse some of
# them to see a fast-forward); refused with FINDING about that commit.
test_tick
msg "malformed headers"
for case in \
	"/^author /d|no author header|malformed commit: .*'author'" \
	"s/^author .*/author alice alice@example.com 1767225600 +0000/|author without <email>|malformed commit: malformed 'author' header" \
	"s/^committer \(.*>\) .*/committer \1 99999999999999999999 +0000/|a date past 64 bits|malformed commit: malformed 'committer' header" \
	"s/^committer \(.*>\) .*/committer \1 253402300800 +0000/|a date past year 9999|malformed commit: malformed 'committer' header: date out of range" \
	"s/^author \(.*>\) .*/author \1 1767225600 +99999/|a bad time zone|malformed commit: malformed 'author' header: bad time zone" \
	"s/^tree \(.*\)/tree \1\\ntree \1/|two tree headers|malformed commit: .*'tree'"; do
	sedx=${case%%|*} rest=${case#*|}
	mkraw "$ALICE" "$TRASH/msg"
	sed -i "1,/^\$/{$sedx}" "$TRASH/raw"
	h=$(put "$TRASH/raw")
	FORCE=1 hostile refuse "${rest%%|*}" dave "$h" "$REF" "$ERR refs/heads/main: $(short "$h").*${rest#*|}"
	check "${rest%%|*}: no claim that the object is missing" no_out "object $h not found"
done
# the same under a well-formed commit: the walk meets it
mkraw "$ALICE" "$TRASH/msg"
sed -i '1,/^$/{/^author /d}' "$TRASH/raw"
bad=$(put "$TRASH/raw")
otip=$tip
tip=$bad
msg "a good commit on a bad one"
h=$(legit "$ALICE" "$TRASH/msg")
tip=$otip
FORCE=1 hostile refuse "a commit without author under a good one" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$bad"): malformed commit: commit headers out of order: 'committer' where 'author' belongs"
# and as the tip of a new protected ref
hostile refuse "a commit without author as a new protected ref" dave "$bad" refs/heads/esc/no-author \
	"$ERR refs/heads/esc/no-author: $(short "$bad"): malformed commit: .*'author'"
# 64 parents (the bound), each a signed commit: accepted; 65: refused
test_tick
: >"$TRASH/parents"
for i in $(awk 'BEGIN { for (i = 1; i <= 64; i++) print i }'); do
	msg "side $i"
	signed "$ALICE" "$TRASH/msg" >>"$TRASH/parents"
done
# octopus SUBJECT N: a commit with N parents, $tip and the first N-1
# sides, signed by alice and approved by bob; its id.
octopus_raw() {
	{
		printf 'tree %s\nparent %s\n' "$(git -C "$w" rev-parse "$tip^{tree}")" "$tip"
		head -n $(($2 - 1)) "$TRASH/parents" | sed 's/^/parent /'
		printf 'author %s %s +0000\ncommitter %s %s +0000\n' "$ALICE" "$tk_tick" "$ALICE" "$tk_tick"
		if [ -n "${3:-}" ]; then cat "$3"; fi
		printf '\n'
		cat "$1"
	} >"$TRASH/raw"
}
octopus() {
	msg "$1"
	octopus_raw "$TRASH/msg" "$2"
	oc_t=$(approve_raw bob bob bob@example.com "$w" "$(put "$TRASH/raw")")
	printf '\n%s\n' "$oc_t" >>"$TRASH/msg"
	octopus_raw "$TRASH/msg" "$2"
	sign_raw alice
	octopus_raw "$TRASH/msg" "$2" "$TRASH/sighdr"
	put "$TRASH/raw"
}
h=$(octopus "an octopus of 65" 65)
check "the commit has 65 parents" test "$(git -C "$w" cat-file commit "$h" | grep -c '^parent ')" -eq 65
hostile refuse "a merge of 65 parents, every one signed, approved" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h"): malformed commit: commit has more than 64 parents" "$REFUSED"
h=$(octopus "an octopus of 64" 64)
check "the commit has 64 parents" test "$(git -C "$w" cat-file commit "$h" | grep -c '^parent ')" -eq 64
hostile accept "a merge of 64 parents, every one signed, approved" dave "$h" "$REF" "$ACC"
tip=$h

# --- 2. NUL bytes and invalid UTF-8 --------------------------------------------------
SOH=$(printf '\001')
MALFORMED="malformed commit: commit object contains a NUL byte \\[rule 'mainline'\\]"
test_tick
msg "NUL in the author name"
NUL=1
h=$(legit "ali${SOH}ce <alice@example.com>" "$TRASH/msg")
check "the author name holds a NUL" sh -c "git -C '$w' cat-file commit $h | head -4 | od -c | grep -q 'i  \\\\0   c   e'"
hostile refuse "NUL in the author name" dave "$h" "$REF" "$ERR refs/heads/main: $(short "$h"): $MALFORMED" "$ONE"
h=$(legit "alice <alice@example.com${SOH}.evil>" "$TRASH/msg")
hostile refuse "NUL in the author email" dave "$h" "$REF" "$ERR refs/heads/main: $(short "$h"): $MALFORMED" "$ONE"
msg "NUL in the subject${SOH}hidden" "" "and in the body${SOH}too"
h=$(legit "$ALICE" "$TRASH/msg")
hostile refuse "NUL in the message" dave "$h" "$REF" "$ERR refs/heads/main: $(short "$h"): $MALFORMED" "$ONE"
msg "NUL in an approval" "" "Approved-by: bob <bob@example.com${SOH}> sshsig:AAAA"
h=$(legit "$ALICE" "$TRASH/msg" "")
hostile refuse "NUL in an Approved-by trailer" dave "$h" "$REF" "$ERR refs/heads/main: $(short "$h"): $MALFORMED" "$ONE"
NUL=0

BAD=$(printf '\377\376\300\257\355\240\200')
# Names and emails git would show otherwise than twokey reads them are
# refused (docs/spec.md, "Identity fields"); the message may hold anything.
IDENT="rewrite the commit in UTF-8 \\(git config i18n.commitEncoding UTF-8\\)"
msg "invalid UTF-8 in the author name"
h=$(legit "Al${BAD}ice <alice@example.com>" "$TRASH/msg")
hostile refuse "invalid UTF-8 in the author name (alice's email, signed, approved)" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h"): the author name is not valid UTF-8 \(byte 0xff\) \[rule 'mainline'\]; next: $IDENT" "$ONE"
msg "invalid UTF-8 ${BAD} in the subject"
h=$(legit "$ALICE" "$TRASH/msg")
hostile accept "invalid UTF-8 in the subject, signed and approved" dave "$h" "$REF" "$ACC"
tip=$h
mkraw "$ALICE" "$TRASH/msg"
h=$(put "$TRASH/raw")
hostile refuse "invalid UTF-8 in the subject, unsigned" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h") \"invalid UTF-8 \?{7} in the subject\": unsigned commit" "$REFUSED"
msg "invalid UTF-8 in the author email"
h=$(legit "alice <al${BAD}ice@example.com>" "$TRASH/msg")
hostile refuse "invalid UTF-8 in the author email" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h"): the author email is not valid UTF-8 \(byte 0xff\)" "$ONE"

# --- 3. control characters and terminal escapes -----------------------------------------
# ESC [ 31 m (colour), ESC ] 0 ; title BEL (window title), C1 CSI 1 m,
# a backspace and a carriage return that would hide text.
NASTY="${ESC}[31mred${ESC}[0m ${ESC}]0;pwned${BEL} ${CSI}1mbold ${OSC}0;t${BEL} $(printf 'x\010y\rz\177')"
test_tick
msg "escapes: $NASTY end" "" "body $NASTY"
h=$(legit "${ESC}[2J${ESC}]0;owned${BEL}al${CSI}2Jice <alice@example.com>" "$TRASH/msg")
check "the raw author name holds ESC, BEL and C1 bytes" sh -c \
	"git -C '$w' cat-file commit $h | grep -q '^author $ESC\\[2J' && git -C '$w' cat-file commit $h | grep -q '$BEL' && git -C '$w' cat-file commit $h | grep -q '$CSI'"
hostile refuse "escapes in the author name, signed and approved" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h"): the author name holds a control character \(0x1b\)" "$ONE"
h=$(legit "$ALICE" "$TRASH/msg")
check "the raw subject holds ESC, BEL and C1 bytes" sh -c \
	"git -C '$w' cat-file commit $h | grep -q '$ESC\\[31m' && git -C '$w' cat-file commit $h | grep -q '$BEL' && git -C '$w' cat-file commit $h | grep -q '$CSI'"
hostile accept "escapes in the subject, signed and approved" dave "$h" "$REF" "$ACC"
tip=$h
test_tick
mkraw "$ALICE" "$TRASH/msg"
h=$(put "$TRASH/raw")
hostile refuse "escapes in the subject, unsigned" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h") \"escapes: \?\[31mred\?\[0m \?\]0;pwned\? \?+1mbold \?+0;t\? x\?y\?z\? end\": unsigned commit" "$REFUSED"
# an approval whose email carries a C1 CSI: shown, sanitized, in the note
test_tick
msg "a C1 control in an approval's email"
t=$(bob_approval "$ALICE" "$TRASH/msg" | sed "s/<bob@/<b${CSI}31mob@/")
printf '\n%s\n' "$t" >>"$TRASH/msg"
h=$(signed "$ALICE" "$TRASH/msg")
hostile refuse "a C1 CSI in an approval's email" dave "$h" "$REF" \
	"^remote: twokey: note: refs/heads/main: $(short "$h") \"a C1 control in an approval's email\": approval by <b\?+31mob@example\.com>" \
	"$ERR refs/heads/main: $(short "$h") \"a C1 control in an approval's email\": not approved: needs 1 more approval" "$ONE"
# ref names may hold C1 bytes (git refuses only C0 controls and DEL)
CREF="refs/heads/esc/${CSI}31m${OSC}0;x"
check "git accepts a ref name with C1 controls" git check-ref-format "$CREF"
hostile refuse "a ref name with C1 controls, pushed by a developer" alice "$tip" "$CREF" \
	"$ERR refs/heads/esc/\?+31m\?+0;x: pusher 'alice' may not create this ref" \
	"^remote: twokey: refused refs/heads/esc/\?+31m\?+0;x under rule 'esc' \(1 problem\)"
hostile accept "a ref name with C1 controls, pushed by operations" dave "$tip" "$CREF" \
	"^remote: twokey: accepted refs/heads/esc/\?+31m\?+0;x under rule 'esc'( |$)"

# --- 4. thousands of trailers, folded trailers ---------------------------------------
# fakes N: N Approved-by trailers naming reviewers, without signatures.
fakes() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "Approved-by: Reviewer %d <reviewer%d@example.com>\n", i, i }'
}
# many N SUBJECT: $TRASH/msg ends in a trailer block of N fakes.
many() {
	{ printf '%s\n\nbody\n\n' "$2"; fakes "$1"; } >"$TRASH/msg"
}
NOSIG="carries no sshsig: signature, so it is not an approval"
test_tick
many 299 "299 unsigned trailers and a real one"
h=$(legit "$ALICE" "$TRASH/msg" "")
check "the commit holds 300 Approved-by trailers" \
	test "$(git -C "$w" cat-file commit "$h" | grep -c '^Approved-by: ')" -eq 300
hostile refuse "300 Approved-by trailers (over the 256 bound)" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h") \"299 unsigned trailers and a real one\": cannot read its approvals: more than 256 Approved-by trailers" "$ONE"
many 255 "255 unsigned trailers and a real one"
h=$(legit "$ALICE" "$TRASH/msg" "")
check "the commit holds 256 Approved-by trailers" \
	test "$(git -C "$w" cat-file commit "$h" | grep -c '^Approved-by: ')" -eq 256
hostile accept "256 Approved-by trailers (the bound), one real" dave "$h" "$REF" "$ACC"
check "256 trailers: 255 notes, one per unsigned trailer" \
	test "$(grep -c "note: refs/heads/main: $(short "$h") .*$NOSIG" "$TRASH/out")" -eq 255
tip=$h
test_tick
many 200 "200 unsigned trailers alone"
mkraw "$ALICE" "$TRASH/msg"
sign_raw alice
mkraw "$ALICE" "$TRASH/msg" "$TRASH/sighdr"
h=$(put "$TRASH/raw")
hostile refuse "200 valid-looking unsigned trailers, nothing else" dave "$h" "$REF" \
	"^remote: twokey: note: refs/heads/main: $(short "$h") \"200 unsigned trailers alone\": approval by <reviewer200@example\.com> not counted: it $NOSIG" \
	"$ERR refs/heads/main: $(short "$h") \"200 unsigned trailers alone\": not approved: needs 1 more approval; counted: none; 200 approvals not counted" "$ONE"
check "200 unsigned: 200 notes" \
	test "$(grep -c "note: refs/heads/main: $(short "$h") .*$NOSIG" "$TRASH/out")" -eq 200
many 200 "200 unsigned trailers and a real one"
h=$(legit "$ALICE" "$TRASH/msg" "")
hostile accept "200 valid-looking unsigned trailers and a real approval" dave "$h" "$REF" "$ACC"
check "200 unsigned and a real one: 200 notes" \
	test "$(grep -c "note: refs/heads/main: $(short "$h") .*$NOSIG" "$TRASH/out")" -eq 200
tip=$h

# 256 parseable signatures (a real approval of another commit) on an
# 8 MiB message: each is verified over the same payload, which should cost
# little more than one (ed25519 verification is cheap; hashing 8 MiB is
# not, so hashing the payload once per approval multiplies the work, and a
# push of many such commits, each packing to some 25 KB, takes minutes)
ms() { echo $(($(date +%s%N) / 1000000)); }
test_tick
msg "probe"
other=$(bob_approval "$ALICE" "$TRASH/msg")
body "$TRASH/msg" "eight MiB and one approval" 8200000
printf '\n%s\n' "$other" >>"$TRASH/msg"
mkraw "$ALICE" "$TRASH/msg"
sign_raw alice
mkraw "$ALICE" "$TRASH/msg" "$TRASH/sighdr"
one=$(put "$TRASH/raw")
body "$TRASH/msg" "eight MiB and 256 approvals" 8200000
echo >>"$TRASH/msg"
awk -v t="$other" 'BEGIN { for (i = 0; i < 256; i++) print t }' >>"$TRASH/msg"
mkraw "$ALICE" "$TRASH/msg"
sign_raw alice
mkraw "$ALICE" "$TRASH/msg" "$TRASH/sighdr"
many=$(put "$TRASH/raw")
check "the commit with 256 approvals is under 8 MiB" test "$(git -C "$w" cat-file -s "$many")" -le 8388608
t0=$(ms)
run_hook dave "$tip" "$one" "$REF"
t1=$(ms)
hook_ok "8 MiB, one approval of another commit"
t2=$(ms)
run_hook dave "$tip" "$many" "$REF"
t3=$(ms)
hook_ok "8 MiB, 256 approvals of another commit"
check "8 MiB, 256 approvals of another commit: refused" test "$hook_rc" -eq 1
check "8 MiB, 256 approvals of another commit: 256 notes" \
	test "$(grep -c "note: refs/heads/main: $(short "$many") .*approval by <bob@example\.com> not counted: its signature does not match this commit" "$TRASH/hook.err")" -eq 256
echo "# the hook alone: $((t1 - t0)) ms with one approval, $((t3 - t2)) ms with 256"
check "256 approvals on 8 MiB cost at most 4 times one, plus 0.5 s ($((t3 - t2)) ms vs $((t1 - t0)) ms)" \
	test $((t3 - t2)) -le $((4 * (t1 - t0) + 500))

# fold TRAILER LINES INDENT: bob's trailer "Approved-by: NAME <EMAIL>
# sshsig:B64" refolded over LINES continuation lines, each indented by
# INDENT spaces: one base64 character a line (an ed25519 approval has some
# 250), the display name (which nothing checks) padded to fill the rest.
fold() {
	printf '%s\n' "$1" | awk -v lines="$2" -v ind="$3" '{
		b64 = substr($0, index($0, "sshsig:") + 7)
		pad = sprintf("%" ind "s", "")
		k = lines - length(b64) - 1
		printf "Approved-by: b\n"
		for (i = 0; i < k; i++) printf "%so\n", pad
		printf "%s<bob@example.com>\n", pad
		printf "%ssshsig:%s\n", pad, substr(b64, 1, 1)
		for (i = 2; i <= length(b64); i++) printf "%s%s\n", pad, substr(b64, i, 1)
	}'
}
test_tick
msg "a real approval folded over 5000 lines"
t=$(bob_approval "$ALICE" "$TRASH/msg")
{ echo; fold "$t" 5000 1; } >>"$TRASH/msg"
check "the trailer spans 5001 lines" test "$(sed '1,2d' "$TRASH/msg" | wc -l)" -eq 5001
check "the trailer value is under 32 KiB" test "$(wc -c <"$TRASH/msg")" -lt 32768
h=$(signed "$ALICE" "$TRASH/msg")
hostile accept "a real approval folded over 5000 continuation lines" dave "$h" "$REF" "$ACC"
tip=$h
test_tick
msg "a real approval folded past the value bound"
t=$(bob_approval "$ALICE" "$TRASH/msg")
{ echo; fold "$t" 5000 8; } >>"$TRASH/msg"
check "the trailer value is over 32 KiB" test "$(wc -c <"$TRASH/msg")" -gt 32768
h=$(signed "$ALICE" "$TRASH/msg")
hostile refuse "a real approval folded past the 32 KiB value bound" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h") \"a real approval folded past the value bound\": cannot read its approvals: value of the Approved-by trailer on line 3 is over 32768 bytes" "$ONE"
test_tick
msg "a bogus signature folded over 5000 lines"
b64=$(head -c 3750 /dev/zero | tr '\0' 'A' | base64 -w0)
{ echo; fold "Approved-by: bob <bob@example.com> sshsig:$b64" 5000 1; } >>"$TRASH/msg"
h=$(signed "$ALICE" "$TRASH/msg")
hostile refuse "a bogus 5000-character signature folded one character a line" dave "$h" "$REF" \
	"^remote: twokey: note: refs/heads/main: $(short "$h") .*approval by <bob@example\.com> not counted: malformed signature" \
	"$ERR refs/heads/main: $(short "$h") .*not approved: needs 1 more approval" "$ONE"
test_tick
msg "a signature over the 16 KiB blob bound"
b64=$(head -c 16385 /dev/zero | tr '\0' 'A' | base64 -w0)
printf '\nApproved-by: bob <bob@example.com> sshsig:%s\n' "$b64" >>"$TRASH/msg"
h=$(legit "$ALICE" "$TRASH/msg" "")
hostile refuse "a decoded signature of 16 KiB + 1 byte" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h") \"a signature over the 16 KiB blob bound\": cannot read its approvals: signature of the Approved-by trailer on line 3 is over 16384 bytes" "$ONE"

# --- 5. SSHSIG length fields that overflow 32-bit arithmetic ------------------------------
# u32 FILE OFFSET: the big-endian uint32 there.
u32() {
	od -An -tu1 -j "$2" -N4 "$1" | { read -r a b c d; echo $((((a * 256 + b) * 256 + c) * 256 + d)); }
}
# tiles FILE START END: "OFFSET:LENGTH ..." of the SSH strings that fill
# [START, END) exactly, one after the other; empty when they do not.
tiles() {
	tl_p=$2 tl_out=
	while [ "$tl_p" -lt "$3" ]; do
		[ $((tl_p + 4)) -le "$3" ] || return 0
		tl_l=$(u32 "$1" "$tl_p")
		[ $((tl_p + 4 + tl_l)) -le "$3" ] || return 0
		tl_out="$tl_out $tl_p:$tl_l"
		tl_p=$((tl_p + 4 + tl_l))
	done
	echo "$tl_out"
}
# lengths FILE: the offsets of every length field of the SSHSIG blob FILE:
# its five strings (key, namespace, reserved, hash, signature), the strings
# inside the key and the signature, and one level further (ECDSA's r, s).
lengths() {
	for f1 in $(tiles "$1" 10 "$(wc -c <"$1")"); do
		o1=${f1%:*} l1=${f1#*:}
		echo "$o1"
		for f2 in $(tiles "$1" $((o1 + 4)) $((o1 + 4 + l1))); do
			o2=${f2%:*} l2=${f2#*:}
			echo "$o2"
			for f3 in $(tiles "$1" $((o2 + 4)) $((o2 + 4 + l2))); do
				echo "${f3%:*}"
			done
		done
	done
}
OVERFLOWS='\377\377\377\377 \177\377\377\377 \200\000\000\000 \377\377\377\374'
# variants BLOB: every overflowing variant of BLOB, base64, one a line.
variants() {
	for off in $(lengths "$1"); do
		for v in $OVERFLOWS; do
			{ head -c "$off" "$1"; printf "$v"; tail -c +$((off + 5)) "$1"; } | base64 -w0
			echo
		done
	done
}
# approvals: real signatures by bob (ed25519), carol (ecdsa-384) and erin
# (rsa-2048), every length field of each made to overflow, all in the
# trailers of one signed commit
test_tick
msg "overflowing approval signatures"
mkraw "$ALICE" "$TRASH/msg"
u=$(put "$TRASH/raw")
: >"$TRASH/trailers"
nvar=0
for rv in bob:bob carol:carol erin:erin; do
	t=$(approve_raw "${rv%:*}" "${rv#*:}" "${rv#*:}@example.com" "$w" "$u")
	printf '%s' "${t#*sshsig:}" | base64 -d >"$TRASH/blob"
	check "${rv%:*}'s real approval blob has its length fields found" \
		test "$(lengths "$TRASH/blob" | wc -l)" -ge 9
	variants "$TRASH/blob" >"$TRASH/variants"
	nvar=$((nvar + $(wc -l <"$TRASH/variants")))
	sed "s/^/Approved-by: ${rv%:*} <${rv#*:}@example.com> sshsig:/" "$TRASH/variants" >>"$TRASH/trailers"
done
echo "# $nvar overflowing approvals"
{ echo; cat "$TRASH/trailers"; } >>"$TRASH/msg"
h=$(signed "$ALICE" "$TRASH/msg")
hostile refuse "$nvar overflowing approval signatures" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h") \"overflowing approval signatures\": not approved: needs 1 more approval; counted: none; $nvar approvals not counted" "$ONE"
check "overflowing approvals: one note each" \
	test "$(grep -E -c "^remote: twokey: note: refs/heads/main: $(short "$h") .* not counted: (malformed signature: |its signature does not match)" "$TRASH/out")" -eq "$nvar"

# commit signatures: alice's ed25519, ecdsa-256 and rsa-2048 signatures,
# each length field made to overflow, one commit each, in one chain
test_tick
base=$tip
ncom=0
for key in alice alice-ec alice-rsa; do
	msg "probe"
	mkraw "$ALICE" "$TRASH/msg"
	sign_raw "$key"
	sed '1d;$d' "$TRASH/raw.sig" | base64 -d >"$TRASH/blob"
	for off in $(lengths "$TRASH/blob"); do
		for v in $OVERFLOWS; do
			ncom=$((ncom + 1))
			msg "overflowing $key signature $ncom"
			mkraw "$ALICE" "$TRASH/msg"
			sign_raw "$key"
			sed '1d;$d' "$TRASH/raw.sig" | base64 -d >"$TRASH/blob"
			{
				echo "-----BEGIN SSH SIGNATURE-----"
				{ head -c "$off" "$TRASH/blob"; printf "$v"; tail -c +$((off + 5)) "$TRASH/blob"; } |
					base64 -w70
				echo "-----END SSH SIGNATURE-----"
			} >"$TRASH/raw.sig"
			sig_header "$TRASH/raw.sig" >"$TRASH/sighdr"
			mkraw "$ALICE" "$TRASH/msg" "$TRASH/sighdr"
			tip=$(put "$TRASH/raw")
		done
	done
done
h=$tip
tip=$base
echo "# $ncom commits with overflowing signatures"
check "overflowing signatures: over 64 commits (threads check them)" test "$ncom" -gt 64
hostile refuse "$ncom commits with overflowing gpgsig signatures" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h") \"overflowing alice-rsa signature $ncom\": (malformed SSH signature|bad signature): " \
	"^remote: twokey: refused refs/heads/main under rule 'mainline' \($((2 * ncom)) problems\)"
# (a length field is found by its value; in random bytes of a key or a
# signature a run may look like one, and patching it leaves a signature
# that parses but does not verify)
check "overflowing signatures: each commit refused for its signature" \
	test "$(grep -E -c "^remote: twokey: error: refs/heads/main: [0-9a-f]* \"overflowing .* signature [0-9]*\": (malformed SSH signature|bad signature): " "$TRASH/out")" -eq "$ncom"

# --- 6. gpgsig in the body, duplicate gpgsig headers -----------------------------------------
test_tick
msg "a gpgsig line in the body"
mkraw "$ALICE" "$TRASH/msg"
sign_raw alice
{ echo "a gpgsig line in the body"; echo; cat "$TRASH/sighdr"; } >"$TRASH/msg2"
t=$(bob_approval "$ALICE" "$TRASH/msg2")
printf '\n%s\n' "$t" >>"$TRASH/msg2"
mkraw "$ALICE" "$TRASH/msg2"
h=$(put "$TRASH/raw")
check "the body holds a gpgsig header line" sh -c "git -C '$w' cat-file commit $h | sed '1,/^\$/d' | grep -q '^gpgsig -----BEGIN SSH SIGNATURE-----'"
hostile refuse "a gpgsig header in the message body" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h") \"a gpgsig line in the body\": unsigned commit, and the rule requires signed commits" "$ONE"
test_tick
msg "two gpgsig headers"
t=$(bob_approval "$ALICE" "$TRASH/msg")
printf '\n%s\n' "$t" >>"$TRASH/msg"
mkraw "$ALICE" "$TRASH/msg"
sign_raw alice
cat "$TRASH/sighdr" "$TRASH/sighdr" >"$TRASH/hdr2"
mkraw "$ALICE" "$TRASH/msg" "$TRASH/hdr2"
h=$(put "$TRASH/raw")
check "the commit has two gpgsig headers" test "$(git -C "$w" cat-file commit "$h" | grep -c '^gpgsig ')" -eq 2
hostile refuse "the same valid gpgsig header twice" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h"): malformed commit: duplicate gpgsig header" "$ONE"
sign_raw alice-ec
cat "$TRASH/hdr2" >"$TRASH/hdr3"
sed -n '1,$p' "$TRASH/sighdr" >"$TRASH/hdr3"
cat "$TRASH/hdr2" >>"$TRASH/hdr3"
mkraw "$ALICE" "$TRASH/msg" "$TRASH/hdr3"
h=$(put "$TRASH/raw")
hostile refuse "three valid gpgsig headers (two keys)" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h"): malformed commit: duplicate gpgsig header" "$ONE"
# a valid signature with a bogus one after it: git would concatenate both
printf 'gpgsig -----BEGIN SSH SIGNATURE-----\n AAAA\n -----END SSH SIGNATURE-----\n' >"$TRASH/bogus"
sign_raw alice
cat "$TRASH/sighdr" "$TRASH/bogus" >"$TRASH/hdr4"
mkraw "$ALICE" "$TRASH/msg" "$TRASH/hdr4"
h=$(put "$TRASH/raw")
hostile refuse "a valid gpgsig header, then a bogus one" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h"): malformed commit: duplicate gpgsig header" "$ONE"
# an armour over the 32 KiB bound
{
	echo "-----BEGIN SSH SIGNATURE-----"
	head -c 30000 /dev/zero | base64 -w70
	echo "-----END SSH SIGNATURE-----"
} >"$TRASH/raw.sig"
sig_header "$TRASH/raw.sig" >"$TRASH/sighdr"
mkraw "$ALICE" "$TRASH/msg" "$TRASH/sighdr"
h=$(put "$TRASH/raw")
hostile refuse "a gpgsig armour over 32 KiB" dave "$h" "$REF" \
	"$ERR refs/heads/main: $(short "$h") \"two gpgsig headers\": malformed SSH signature: armored sshsig over 32768 bytes" "$ONE"

# --- 7. 10,000 refs in one push; unusual ref names ---------------------------------------
# In a server of their own (srvm), so that the other pushes do not carry
# 10,000 refs, from a work repository sharing $w's objects.
srvm=$(new_server srvm)
wm="$TRASH/wm"
git init -q "$wm"
echo "$w/.git/objects" >"$wm/.git/objects/info/alternates"
git -C "$wm" remote add origin "$srvm"
GL_USER=dave git -C "$wm" push -q origin "$tip:refs/heads/seed" >/dev/null 2>&1
git -C "$srvm" update-ref $REF "$tip"
# written as a packed-refs file: 20,000 loose refs take long to create
{
	echo '# pack-refs with: peeled fully-peeled sorted '
	awk -v t="$tip" 'BEGIN {
		for (i = 1; i <= 10000; i++) printf "%s refs/heads/many/%05d\n", t, i
		for (i = 1; i <= 10000; i++) printf "%s refs/heads/more/%05d\n", t, i }'
} >"$wm/.git/packed-refs"
check "the work repository has 20,000 refs" \
	test "$(git -C "$wm" for-each-ref refs/heads/ | wc -l)" -eq 20000
t0=$(date +%s)
# A hang guard, not a speed test (scripts/bench measures speed): generous
# enough for a loaded or sanitizer-built machine, git's ref writes included.
GL_USER=dave timeout 300 git -C "$wm" push origin 'refs/heads/many/*:refs/heads/many/*' >"$TRASH/out" 2>&1
rc=$?
t1=$(date +%s)
echo "# 10,000 refs pushed in $((t1 - t0)) s"
check "10,000 unprotected refs in one push: accepted" test "$rc" -eq 0
check "10,000 unprotected refs: no hang (under 300 s)" test $((t1 - t0)) -lt 300
check "10,000 unprotected refs: all landed" \
	test "$(git -C "$srvm" for-each-ref refs/heads/many/ | wc -l)" -eq 10000
test_tick
msg "unapproved, among 10,000 refs"
bad=$(signed "$ALICE" "$TRASH/msg")
t0=$(date +%s)
GL_USER=dave timeout 300 git -C "$wm" push origin 'refs/heads/more/*:refs/heads/more/*' \
	"$bad:$REF" >"$TRASH/out" 2>&1
rc=$?
t1=$(date +%s)
check "10,000 refs and a refused protected one: push refused" test "$rc" -ne 0 -a "$rc" -ne 124
check "10,000 refs and a refused protected one: no hang (under 300 s)" test $((t1 - t0)) -lt 300
check "... main unchanged" ref_is "$srvm" $REF "$tip"
check "... none of the 10,000 refs landed" \
	test "$(git -C "$srvm" for-each-ref refs/heads/more/ | wc -l)" -eq 0
check "... the refusal names main" expect_out \
	"$ERR refs/heads/main: $(short "$bad") \"unapproved, among 10,000 refs\": not approved: needs 1 more approval"
check "... and says the push is refused" expect_out "^remote: twokey: push refused: "
check "... without a line for each unprotected ref" \
	test "$(grep -c '^remote:' "$TRASH/out")" -lt 10
git -C "$wm" for-each-ref --format='%(refname)' refs/heads/more/ |
	awk -v z=$ZERO -v t="$tip" '{ print z, t, $0 }' >"$TRASH/hook.in"
printf '%s %s %s\n' "$tip" "$bad" "$REF" >>"$TRASH/hook.in"
t0=$(date +%s)
GIT_DIR="$srvm" GIT_ALTERNATE_OBJECT_DIRECTORIES="$w/.git/objects" GL_USER=dave \
	timeout 60 "$TK_BIN/twokey-pre-receive" <"$TRASH/hook.in" >/dev/null 2>"$TRASH/hook.err"
hook_rc=$?
t1=$(date +%s)
check "the hook alone decides 10,001 updates in under 10 s" test $((t1 - t0)) -lt 10
hook_ok "10,001 updates on the hook's stdin"
check "10,001 updates on the hook's stdin: refused" test "$hook_rc" -eq 1
sed '$d' "$TRASH/hook.in" >"$TRASH/hook.in2"
GIT_DIR="$srvm" GIT_ALTERNATE_OBJECT_DIRECTORIES="$w/.git/objects" GL_USER=dave \
	timeout 60 "$TK_BIN/twokey-pre-receive" <"$TRASH/hook.in2" >/dev/null 2>"$TRASH/hook.err"
hook_rc=$?
hook_ok "10,000 unprotected updates on the hook's stdin"
check "10,000 unprotected updates on the hook's stdin: accepted" test "$hook_rc" -eq 0

# every unusual name git allows is routed to its own rule
i=0
for r in $ODD_NAMES; do
	i=$((i + 1))
	check "git accepts the ref name $r" git check-ref-format "$r"
	hostile refuse "$r by a developer" alice "$tip" "$r" \
		"$ERR $(ere "$r"): pusher 'alice' may not create this ref: that takes one of the roles: operations \[rule 'odd-$i'\]" \
		"^remote: twokey: refused $(ere "$r") under rule 'odd-$i' \(1 problem\)"
	hostile accept "$r by operations" dave "$tip" "$r" \
		"^remote: twokey: accepted $(ere "$r") under rule 'odd-$i'( |$)"
done
for r in refs/heads/a+bb refs/heads/ab refs/heads/x refs/heads/-dash- "refs/heads/$(printf '\303')"; do
	hostile accept "$r matches no rule" alice "$tip" "$r"
	check "$r: no line for a ref no rule matches" test "$(grep -c '^remote:' "$TRASH/out")" -eq 0
done
FF="refs/heads/esc/$(printf '\377\376')"
hostile refuse "a ref name with invalid UTF-8 under a protected prefix" alice "$tip" "$FF" \
	"^remote: twokey: refused refs/heads/esc/\?\? under rule 'esc' \(1 problem\)"

# --- 8. pusher variables ------------------------------------------------------------------
test_tick
msg "pushed by whom?"
h=$(legit "$ALICE" "$TRASH/msg")
D256=$(awk 'BEGIN { while (n++ < 256) printf "d" }')
UNKNOWN="$ERR refs/heads/main: pusher unknown"
hostile refuse "GL_USER unset" "(unset)" "$h" "$REF" "$UNKNOWN \(no variable of pusher.env is set; consulted: GL_USER\)"
hostile refuse "GL_USER empty" "" "$h" "$REF" "$UNKNOWN \(no variable of pusher.env is set; consulted: GL_USER\)"
BADLOGIN="$UNKNOWN \(the pusher login is empty, too long or contains control characters"
hostile refuse "GL_USER of 300 bytes" "${D256}dddddddddddddddddddddddddddddddddddddddddddd" "$h" "$REF" "$BADLOGIN"
hostile refuse "GL_USER of 257 bytes" "${D256}d" "$h" "$REF" "$BADLOGIN"
hostile refuse "GL_USER 'dave' and a newline" "dave
" "$h" "$REF" "$BADLOGIN"
hostile refuse "GL_USER 'dave', a newline and more" "dave
alice" "$h" "$REF" "$BADLOGIN"
hostile refuse "GL_USER with a CR" "$(printf 'dave\r')" "$h" "$REF" "$BADLOGIN"
hostile refuse "GL_USER with escapes" "dave${ESC}[31m${ESC}]0;x${BEL}" "$h" "$REF" "$BADLOGIN"
hostile refuse "GL_USER with a C1 CSI" "dave${CSI}31m" "$h" "$REF" \
	"$UNKNOWN \(the pusher login is not in the policy"
hostile refuse "GL_USER with a trailing space" "dave " "$h" "$REF" \
	"$UNKNOWN \(the pusher login is not in the policy"
hostile accept "GL_USER of 256 bytes, dave's second login" "$D256" "$h" "$REF" "$ACC"
tip=$h

# --- 9. SHA-256 repositories ----------------------------------------------------------------
s256="$TRASH/srv256.git"
git init -q --bare --object-format=sha256 "$s256"
ln -s "$TK_BIN/twokey-pre-receive" "$s256/hooks/pre-receive"
w256="$TRASH/w256"
git init -q --object-format=sha256 "$w256"
git -C "$w256" remote add origin "$s256"
commit_as "$w256" alice@example.com "in a sha256 repository"
h256=$(head_of "$w256")
for r in refs/heads/main refs/heads/feature refs/heads/many/1; do
	GL_USER=dave timeout 60 git -C "$w256" push origin "$h256:$r" >"$TRASH/out" 2>&1
	check "SHA-256: push to $r refused" test $? -eq 1
	check "SHA-256: $r absent" ref_is "$s256" "$r" ""
	check "SHA-256: $r: says why" expect_out \
		"^remote: twokey: error: SHA-256 repositories are not supported yet"
done
printf '%s %s refs/heads/main\n' "$(printf '%064d' 0)" "$h256" >"$TRASH/hook.in"
GIT_DIR="$s256" GL_USER=dave timeout 60 "$TK_BIN/twokey-pre-receive" \
	<"$TRASH/hook.in" >/dev/null 2>"$TRASH/hook.err"
hook_rc=$?
hook_ok "SHA-256 repository, hook run directly"
check "SHA-256 repository, hook run directly: refused" test "$hook_rc" -eq 1

# --- the audit log survived all of it -------------------------------------------------------
"$TK_BIN/twokey" audit verify "$AUDIT" >"$TRASH/out" 2>&1
check "the audit chain verifies" test $? -eq 0
# JSON escapes C0 controls; U+0080..U+009F and DEL may stay raw in JSON
check "the audit log holds no raw C0 control bytes" sh -c "! LC_ALL=C grep -q '$(printf '[\001-\011\013-\037]')' '$AUDIT'"
check "the audit log is valid UTF-8" sh -c "iconv -f UTF-8 -t UTF-8 '$AUDIT' >/dev/null"
"$TK_BIN/twokey" audit show "$AUDIT" >"$TRASH/show" 2>&1
check "audit show prints clean text" clean "$TRASH/show"
"$TK_BIN/twokey" audit show --format csv "$AUDIT" >"$TRASH/show" 2>&1
check "audit show --format csv prints clean text" clean "$TRASH/show"
check "main ends at the last accepted push" ref_is "$srv" $REF "$tip"

done_testing
