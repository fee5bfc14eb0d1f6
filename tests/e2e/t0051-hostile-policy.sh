#!/bin/sh
# Hostile policy files (twokey-policy(5), "RESOURCE BOUNDS" and "VALIDATION";
# issue "Robustness", part 4).  A policy that cannot be used refuses every
# push, to any ref, naming file:line:column where there is one, and
# `twokey config check` says so with exit status 1, quickly; the hook never
# crashes (run directly: exit 1, never >1 or a signal) and never hangs
# (everything under timeout 60).  Cases: YAML bombs (billion laughs, a
# self-referencing alias, 100,000 nested sequences), duplicate keys,
# control characters, missing, empty, unreadable, oversize and NUL-bearing
# files, a directory.  A pattern that backtracks catastrophically refuses
# the ref it chokes on with a policy error naming the rule, and a policy of
# 10,000 identities loads and decides quickly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for k in alice bob dave; do mkkey $k ed25519; done
TK="$TK_BIN/twokey"
ZERO=0000000000000000000000000000000000000000
ESC=$(printf '\033')

# good_policy FILE [EXTRA-RULES-FILE]: the policy every case breaks: main
# protected (roles, approvals, signed commits), release/* too, the rest
# free.  EXTRA-RULES-FILE's lines come first under rules:.
good_policy() {
	cat >"$1" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  operations: deploys
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
  dave:
    emails: [dave@example.com]
    logins: [dave]
    keys: ["$(pub dave)"]
    roles: [operations]
pusher:
  env: [GL_USER]
rules:
$(if [ -n "${2:-}" ]; then cat "$2"; fi)
  - name: mainline
    refs: 'refs/heads/(main|release/.+)'
    update: [operations]
    create: [operations]
    delete: []
    force-push: []
    signed-commits: true
    approvals: {min: 1, from: [reviewer]}
EOF
}
GOOD="$TRASH/good.yaml"
good_policy "$GOOD"
export TWOKEY_CONFIG="$GOOD"
"$TK" config check "$GOOD" >/dev/null 2>&1
check "the good policy is valid" test $? -eq 0

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
reviewer bob bob@example.com "$w"
signed_commit_as "$w" alice@example.com alice "base"
c1=$(head_of "$w")
push_as dave "$w" origin "$c1:refs/heads/feature/x"
check "feature/x created under the good policy" ref_is "$srv" refs/heads/feature/x "$c1"
git -C "$srv" update-ref refs/heads/main "$c1"
# good: a change that lands on main under the good policy
signed_commit_as "$w" alice@example.com alice "a good change"
t=$(approve_tk bob bob "$(head_of "$w")")
test_tick
git -C "$w" -c user.name=alice -c user.email=alice@example.com -c gpg.format=ssh \
	-c user.signingKey="$KEYS/alice" commit -q --amend --no-edit -S --trailer "$t"
good=$(head_of "$w")
(cd "$w" && GL_USER=dave "$TK" check refs/heads/main "$c1" "$good") >"$TRASH/out" 2>&1
check "the good change would land on main under the good policy" test $? -eq 0

# re STRING: STRING with ERE metacharacters escaped.
re() { printf '%s\n' "$1" | sed 's/[][\.*^$(){}?+|]/\\&/g'; }
CTL=$(printf '[\001-\010\013-\037\177]')
C1=$(printf '\302[\200-\237]')
# clean FILE: no raw C0 control but tab and newline, DEL or C1 control.
clean() {
	if LC_ALL=C grep -q -e "$CTL" -e "$C1" "$1"; then
		echo "# raw control bytes in $1:"
		LC_ALL=C grep -n -e "$CTL" -e "$C1" "$1" | od -c | sed 's/^/#   /' | head -20
		return 1
	fi
}
# hook_alone LOGIN OLD NEW REF: the pre-receive hook run directly; status
# in $hook_rc, stderr in $TRASH/hook.err.
hook_alone() {
	printf '%s %s %s\n' "$2" "$3" "$4" |
		GIT_DIR="$srv" GIT_ALTERNATE_OBJECT_DIRECTORIES="$w/.git/objects" GL_USER="$1" \
			timeout 60 "$TK_BIN/twokey-pre-receive" >/dev/null 2>"$TRASH/hook.err"
	hook_rc=$?
}
# status_ok DESC RC: RC is 0 or 1: no crash, no hang.
status_ok() {
	case $2 in
	0 | 1) ok "$1: exits $2" ;;
	124) not_ok "$1: hung (killed after 60 s)" ;;
	*) not_ok "$1: exits $2 (a crash: over 1, or a signal)" ;;
	esac
}
# refused_push DESC REF VALUE [LOGIN]: LOGIN (dave) pushes VALUE to REF
# under timeout 60; it must be refused, the ref unchanged, the remote:
# lines clean.
refused_push() {
	rp_old=$(git -C "$srv" rev-parse -q --verify "$2" || true)
	GL_USER=${4:-dave} timeout 60 git -C "$w" push origin "$3:$2" >"$TRASH/out" 2>&1
	rp_rc=$?
	if [ "$rp_rc" -eq 124 ]; then not_ok "$1: the push hung"
	elif [ "$rp_rc" -eq 0 ]; then not_ok "$1: push accepted"; sed 's/^/#   /' "$TRASH/out"
	else ok "$1: push refused"; fi
	check "$1: $2 unchanged" ref_is "$srv" "$2" "$rp_old"
	grep '^remote:' "$TRASH/out" >"$TRASH/out.remote"
	check "$1: the remote: lines are clean" clean "$TRASH/out.remote"
}
# broken NAME FILE FIRST-PROBLEM-REGEX: with FILE as the policy, every push
# is refused (to an unprotected ref, to main, to a new protected ref),
# naming the problem; the hook alone exits 1; config check exits 1 within
# 10 s, naming it too.
broken() {
	export TWOKEY_CONFIG="$2"
	hook_alone dave "$c1" "$good" refs/heads/feature/x
	status_ok "$1: the hook alone" "$hook_rc"
	check "$1: the hook alone refuses" test "$hook_rc" -eq 1
	check "$1: the hook's output is clean" clean "$TRASH/hook.err"
	refused_push "$1: unprotected ref" refs/heads/feature/x "$good"
	check "$1: the pusher is told the server's policy is broken" expect_out \
		"^remote: twokey: error: the server's twokey policy is broken, so no push to any ref is allowed"
	check "$1: ... and not what is wrong with it" no_out "$3"
	refused_push "$1: main, a good change" refs/heads/main "$good"
	refused_push "$1: a new release branch" refs/heads/release/1 "$good"
	t0=$(date +%s)
	timeout 60 "$TK" config check "$2" >"$TRASH/out" 2>&1
	rc=$?
	t1=$(date +%s)
	status_ok "$1: config check" "$rc"
	check "$1: config check exits 1" test "$rc" -eq 1
	check "$1: config check takes under 10 s" test $((t1 - t0)) -lt 10
	check "$1: config check names the problem" expect_out "^$3"
	check "$1: config check's output is clean" clean "$TRASH/out"
	export TWOKEY_CONFIG="$GOOD"
}

# --- YAML bombs -------------------------------------------------------------------
P="$TRASH/laughs.yaml"
{
	echo 'version: 1'
	echo 'lol0: &lol0 "lol"'
	for i in 1 2 3 4 5 6 7 8 9; do
		j=$((i - 1))
		printf 'lol%d: &lol%d [*lol%d, *lol%d, *lol%d, *lol%d, *lol%d, *lol%d, *lol%d, *lol%d, *lol%d]\n' \
			$i $i $j $j $j $j $j $j $j $j $j
	done
	sed 1d "$GOOD"
} >"$P"
broken "billion laughs (9 levels)" "$P" "$(re "$P"):2:7: anchors and aliases are not allowed"

P="$TRASH/self-alias.yaml"
{ cat "$GOOD"; echo 'a: &a [*a]'; } >"$P"
n=$(wc -l <"$P")
broken "a self-referencing alias" "$P" "$(re "$P"):$n:4: anchors and aliases are not allowed"

P="$TRASH/alias-only.yaml"
{ cat "$GOOD"; echo 'revoked-keys: *nowhere'; } >"$P"
n=$(wc -l <"$P")
broken "an alias to no anchor" "$P" "$(re "$P"):$n:15: anchors and aliases are not allowed"

P="$TRASH/nested.yaml"
{
	cat "$GOOD"
	printf 'revoked-keys: '
	head -c 100000 /dev/zero | tr '\0' '['
	head -c 100000 /dev/zero | tr '\0' ']'
	echo
} >"$P"
n=$(wc -l <"$P")
broken "100,000 nested sequences" "$P" "$(re "$P"):$n:30: nesting too deep"

P="$TRASH/nested-maps.yaml"
{
	cat "$GOOD"
	printf 'revoked-keys: '
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "{a: "; printf "b"
		for (i = 0; i < 100000; i++) printf "}"; print "" }'
} >"$P"
n=$(wc -l <"$P")
broken "100,000 nested mappings" "$P" "$(re "$P"):$n:75: nesting too deep"

P="$TRASH/deep-block.yaml"
{
	cat "$GOOD"
	awk 'BEGIN { print "audit:"; for (i = 1; i <= 20; i++) printf "%" (2 * i) "sk%d:\n", "", i }'
} >"$P"
broken "20 levels of block mappings" "$P" "$(re "$P"):[0-9]+:[0-9]+: nesting too deep"

# --- duplicate keys -----------------------------------------------------------------
P="$TRASH/dup-rules.yaml"
{ cat "$GOOD"; echo 'rules: []'; } >"$P"
n=$(wc -l <"$P")
broken "a second, empty rules: (last-wins would drop every rule)" "$P" \
	"$(re "$P"):$n:1: duplicate key 'rules'"

P="$TRASH/dup-escaped.yaml"
{ cat "$GOOD"; echo '"rul\x65s": []'; } >"$P"
n=$(wc -l <"$P")
broken "a duplicate key spelt with an escape" "$P" "$(re "$P"):$n:1: duplicate key 'rules'"

P="$TRASH/dup-many.yaml"
{
	sed -n '1,/^identities:/p' "$GOOD"
	awk 'BEGIN { for (i = 1; i <= 40; i++)
		printf "  id%d:\n    emails: [id%d@example.com]\n    roles: [developer]\n", i, i }'
	sed -n '/^identities:/,$p' "$GOOD" | sed 1d
} >"$P"
sed -i 's/^  id33:$/  bob:/' "$P"
n=$(grep -n '^  bob:$' "$P" | tail -1 | cut -d: -f1)
broken "a duplicate among 43 identities" "$P" "$(re "$P"):$n:3: duplicate key 'bob'"

# --- control characters, encodings, tags, documents -------------------------------------
P="$TRASH/esc.yaml"
sed 's/^  - name: mainline$/  - name: "main\\e[31mline"/' "$GOOD" >"$P"
n=$(grep -n 'name: "main' "$P" | cut -d: -f1)
broken "an escape sequence in a rule name" "$P" "$(re "$P"):$n:11: control character in value"

P="$TRASH/raw-esc.yaml"
sed "s/^  developer: writes code\$/  developer: writes ${ESC}[31mcode/" "$GOOD" >"$P"
broken "a raw ESC byte in the file" "$P" "$(re "$P"):3:21: control characters are not allowed \(0x1b\)"

P="$TRASH/bad-utf8.yaml"
sed "s/^  developer: writes code\$/  developer: writes $(printf '\377\376')code/" "$GOOD" >"$P"
broken "invalid UTF-8 in the file" "$P" "$(re "$P"):3:21: invalid leading UTF-8 octet \(0xff\)"

P="$TRASH/nul.yaml"
{ printf 'version: 1\nroles:\n  developer: wri\000tes\n'; sed -n '/^identities:/,$p' "$GOOD"; } >"$P"
check "the NUL file holds a NUL" sh -c "od -c '$P' | grep -q '\\\\0'"
broken "a NUL byte in the file" "$P" "$(re "$P"):3:17: control characters are not allowed \(0x00\)"

P="$TRASH/nul-escape.yaml"
sed 's/^  developer: writes code$/  developer: "writes\\0code"/' "$GOOD" >"$P"
broken "a NUL byte by escape" "$P" "$(re "$P"):3:14: NUL byte in value"

P="$TRASH/tag.yaml"
sed 's/^version: 1$/version: !!int 1/' "$GOOD" >"$P"
broken "a tag" "$P" "$(re "$P"):1:10: tags are not allowed"

P="$TRASH/python.yaml"
{ cat "$GOOD"; echo "audit: !!python/object/apply:os.system [\"touch $TRASH/pwned\"]"; } >"$P"
n=$(wc -l <"$P")
broken "a python object tag" "$P" "$(re "$P"):$n:8: tags are not allowed"
check "a python object tag: nothing ran" test ! -e "$TRASH/pwned"

P="$TRASH/two-docs.yaml"
{ cat "$GOOD"; echo '---'; echo 'rules: []'; } >"$P"
broken "two documents" "$P" "$(re "$P"):[0-9]+:1: only one YAML document is allowed"

P="$TRASH/long-value.yaml"
sed "s/^  developer: writes code\$/  developer: $(head -c 16385 /dev/zero | tr '\0' x)/" "$GOOD" >"$P"
broken "a value of 16 KiB + 1" "$P" "$(re "$P"):3:14: value too long"

P="$TRASH/long-pattern.yaml"
sed "s/^    refs: 'refs\\/heads\\/(main|release\\/.+)'\$/    refs: 'refs\\/heads\\/(main|release\\/.+|$(head -c 4096 /dev/zero | tr '\0' x))'/" "$GOOD" >"$P"
broken "a pattern over 4 KiB" "$P" "$(re "$P"):[0-9]+:[0-9]+: key 'rules\[0\]\.refs': .*4096"

P="$TRASH/roles.yaml"
{
	echo 'version: 1'
	echo 'roles:'
	awk 'BEGIN { for (i = 1; i <= 257; i++) printf "  r%d: x\n", i }'
	sed -n '/^identities:/,$p' "$GOOD" | sed 's/\[developer\]/[r1]/; s/\[reviewer\]/[r2]/; s/\[operations\]/[r3]/g'
} >"$P"
broken "257 roles" "$P" "$(re "$P"):3:3: key 'roles': more than 256 roles"

P="$TRASH/big-number.yaml"
sed 's/{min: 1, from: \[reviewer\]}/{min: 99999999999999999999999, from: [reviewer]}/' "$GOOD" >"$P"
broken "an approval minimum past 64 bits" "$P" "$(re "$P"):[0-9]+:[0-9]+: key 'rules\[0\]\.approvals\.min': expected a whole number"

# --- files that are not policies --------------------------------------------------------
P="$TRASH/missing.yaml"
broken "a missing file" "$P" "cannot open '$(re "$P")': No such file or directory"

P="$TRASH/empty.yaml"
: >"$P"
broken "an empty file" "$P" "$(re "$P"):1:1: the policy is empty"

P="$TRASH/comments.yaml"
printf '# nothing but a comment\n\n' >"$P"
broken "a file of comments" "$P" "$(re "$P"):1:1: the policy is empty"

P="$TRASH/a-directory"
mkdir "$P"
broken "a directory" "$P" "'$(re "$P")' is not a regular file"

P="$TRASH/fifo.yaml"
mkfifo "$P"
broken "a FIFO (would block a reader)" "$P" "'$(re "$P")' is not a regular file"

P="$TRASH/devzero.yaml"
ln -s /dev/zero "$P"
broken "a link to /dev/zero" "$P" "'$(re "$P")' is not a regular file"

P="$TRASH/big.yaml"
{ cat "$GOOD"; head -c 17825792 /dev/zero | tr '\0' '#'; echo; } >"$P"
check "the oversize policy is over 17 MiB" test "$(wc -c <"$P")" -gt 17825792
broken "a 17 MiB file" "$P" "'$(re "$P")' is larger than 16777216 bytes"
rm -f "$P"

P="$TRASH/unreadable.yaml"
cp "$GOOD" "$P"
chmod 000 "$P"
MSG="cannot open '$(re "$P")': Permission denied"
if [ "$(id -u)" -ne 0 ]; then
	broken "an unreadable file" "$P" "$MSG"
else
	# root reads anything: run the hook and config check as a throwaway
	# unprivileged user (unpriv_setup)
	unpriv_setup
	NOBODY=$UNPRIV
	printf '%s %s refs/heads/feature/x\n' "$c1" "$good" |
		GIT_DIR="$srv" GIT_ALTERNATE_OBJECT_DIRECTORIES="$w/.git/objects" GL_USER=dave \
			TWOKEY_CONFIG="$P" timeout 60 $NOBODY "$TK_BIN/twokey-pre-receive" >"$TRASH/out" 2>&1
	rc=$?
	status_ok "an unreadable file (unprivileged): the hook alone" "$rc"
	check "an unreadable file (unprivileged): the hook refuses" test "$rc" -eq 1
	check "an unreadable file (unprivileged): says the policy is broken" expect_out \
		"^twokey: error: the server's twokey policy is broken"
	timeout 60 $NOBODY "$TK" config check "$P" >"$TRASH/out" 2>&1
	rc=$?
	check "an unreadable file (unprivileged): config check exits 1" test "$rc" -eq 1
	check "an unreadable file (unprivileged): config check says why" expect_out "$MSG"
	# a real push, into a server that user owns
	cp -R "$srv" "$TRASH/srv-nobody.git"
	chown -R "$tk_unpriv_user:" "$TRASH/srv-nobody.git"
	GL_USER=dave TWOKEY_CONFIG="$P" timeout 60 $NOBODY git -c safe.directory='*' -C "$w" \
		push "$TRASH/srv-nobody.git" "$good:refs/heads/feature/x" >"$TRASH/out" 2>&1
	rc=$?
	check "an unreadable file (push unprivileged): refused" test "$rc" -ne 0 -a "$rc" -ne 124
	check "an unreadable file (push unprivileged): says the policy is broken" expect_out \
		"^remote: twokey: error: the server's twokey policy is broken"
	check "an unreadable file (push unprivileged): ... and not its path" no_out "$MSG"
	check "an unreadable file (push unprivileged): feature/x unchanged" test \
		"$(git -c safe.directory='*' -C "$TRASH/srv-nobody.git" rev-parse refs/heads/feature/x)" = "$c1"
	chmod 700 "$TRASH"
fi

# --- rule names that reach the pusher's terminal ----------------------------------------
# A name may not hold control characters (docs/decisions.md): C1 controls
# too, or they reach pushers' terminals in "[rule '...']".
P="$TRASH/c1-name.yaml"
sed 's/^  - name: mainline$/  - name: "main\\x9b31mline"/' "$GOOD" >"$P"
export TWOKEY_CONFIG="$P"
timeout 60 "$TK" config check "$P" >"$TRASH/out" 2>&1
rc=$?
if [ "$rc" -eq 1 ]; then
	ok "a C1 control in a rule name: refused by config check"
	check "a C1 control in a rule name: config check's output is clean" clean "$TRASH/out"
else
	check "a C1 control in a rule name: accepted, so config check's output must be clean" clean "$TRASH/out"
fi
refused_push "a C1 control in a rule name: main, by alice" refs/heads/main "$good" alice
check "a C1 control in a rule name: alice is refused, since the policy is" expect_out \
	"^remote: twokey: error: the server's twokey policy is broken"
export TWOKEY_CONFIG="$GOOD"

# --- patterns that backtrack catastrophically ------------------------------------------
cat >"$TRASH/evil-rules" <<'EOF'
  - name: nested-plus
    refs: 'refs/heads/(a+)+'
    update: [developer]
  - name: alternation
    refs: 'refs/heads/x(a|a)*b'
    update: [developer]
EOF
P="$TRASH/evil.yaml"
good_policy "$P" "$TRASH/evil-rules"
sed -i 's/^  - name: mainline$/  - name: mainline/; s/^    refs: .refs\/heads\/(main|release\/\.+).$/    refs: '"'"'refs\/heads\/.*'"'"'/' "$P"
export TWOKEY_CONFIG="$P"
t0=$(date +%s)
timeout 60 "$TK" config check "$P" >"$TRASH/out" 2>&1
rc=$?
t1=$(date +%s)
status_ok "backtracking patterns: config check" "$rc"
check "backtracking patterns: config check takes under 10 s" test $((t1 - t0)) -lt 10
echo "# config check of the backtracking patterns exits $rc (the patterns compile)"
A40=$(awk 'BEGIN { while (n++ < 40) printf "a" }')
for case in "nested-plus|refs/heads/$A40!" "alternation|refs/heads/x${A40}b!" \
	"nested-plus|refs/heads/$A40$A40$A40!"; do
	rule=${case%%|*} ref=${case#*|}
	check "git accepts $ref" git check-ref-format "$ref"
	t0=$(date +%s)
	hook_alone alice "$ZERO" "$good" "$ref"
	t1=$(date +%s)
	status_ok "$rule on a long ref: the hook alone" "$hook_rc"
	check "$rule on a long ref: the hook alone refuses" test "$hook_rc" -eq 1
	check "$rule on a long ref: the hook alone takes under 10 s" test $((t1 - t0)) -lt 10
	# alice is no operations: were the limit taken for "no match", the
	# catch-all mainline rule would refuse her too, so push as dave
	t0=$(date +%s)
	refused_push "$rule on a long ref" "$ref" "$good"
	t1=$(date +%s)
	check "$rule on a long ref: the push takes under 30 s" test $((t1 - t0)) -lt 30
	check "$rule on a long ref: a policy error naming the rule" expect_out \
		"^remote: twokey: error: $(re "$ref"): policy error: rule '$rule': pattern cannot be evaluated against this ref \(.*match limit"
done
# without a catch-all, a limit taken for "no match" would accept the ref
P="$TRASH/evil-alone.yaml"
good_policy "$P" "$TRASH/evil-rules"
export TWOKEY_CONFIG="$P"
ref="refs/heads/$A40!"
refused_push "nested-plus, no rule after it" "$ref" "$good"
check "nested-plus, no rule after it: a policy error naming the rule" expect_out \
	"^remote: twokey: error: $(re "$ref"): policy error: rule 'nested-plus': pattern cannot be evaluated"
GL_USER=alice timeout 60 git -C "$w" push origin "$good:refs/heads/aaa" >"$TRASH/out" 2>&1
check "nested-plus on a short ref: decided by the rule (alice is a developer)" test $? -eq 0
check "nested-plus on a short ref: accepted under it" expect_out \
	"^remote: twokey: accepted refs/heads/aaa under rule 'nested-plus'"
GL_USER=dave timeout 60 git -C "$w" push origin "$good:refs/heads/main" >"$TRASH/out" 2>&1
check "main is still decided by mainline under the backtracking policy" expect_out \
	"^remote: twokey: accepted refs/heads/main under rule 'mainline'"
check "main moved" ref_is "$srv" refs/heads/main "$good"
# an existing ref that a protected rule's pattern chokes on, holding an
# unapproved commit: had the error made it "protected", its commits would
# be hidden from a created protected ref, and enter unchecked
export TWOKEY_CONFIG="$GOOD"
git -C "$w" checkout -q --detach "$good"
commit_as "$w" alice@example.com "unapproved, on a ref the pattern chokes on"
x=$(head_of "$w")
GL_USER=dave git -C "$w" push origin "$x:refs/heads/$A40!" >"$TRASH/out" 2>&1
check "a ref the pattern chokes on holds an unapproved commit (made under the good policy)" \
	ref_is "$srv" "refs/heads/$A40!" "$x"
sed 's/^    refs: .refs\/heads\/(main|release\/\.+).$/    refs: '"'"'refs\/heads\/(main|release\/.+|(a+)+)'"'"'/' \
	"$GOOD" >"$TRASH/evil-main.yaml"
check "the choking pattern guards main" grep -q "(a+)+" "$TRASH/evil-main.yaml"
export TWOKEY_CONFIG="$TRASH/evil-main.yaml"
hook_alone dave "$ZERO" "$x" refs/heads/release/2
status_ok "creating release/2 at the choking ref's commit: the hook alone" "$hook_rc"
check "creating release/2 at the choking ref's commit: the hook alone refuses" test "$hook_rc" -eq 1
refused_push "creating release/2 at the choking ref's commit" refs/heads/release/2 "$x"
check "creating release/2 at the choking ref's commit: says why" expect_out \
	"^remote: twokey: (error: .*(match limit|pattern cannot be evaluated)|error: refs/heads/release/2: $(git -C "$w" rev-parse --short=7 "$x") .*not approved)"
export TWOKEY_CONFIG="$GOOD"

# --- 10,000 identities: valid, loads and decides quickly ---------------------------------
# Made-up ed25519 keys: alice's key with its last 4 base64 characters
# varied (any 32 bytes make an ed25519 public key).
P="$TRASH/many.yaml"
kb=$(pub alice | awk '{ print substr($2, 1, 64) }')
{
	sed -n '1,/^identities:/p' "$GOOD"
	awk -v kb="$kb" 'BEGIN {
		b = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		for (i = 0; i < 10000; i++) {
			k = substr(b, int(i / 4096) % 64 + 1, 1) substr(b, int(i / 64) % 64 + 1, 1) \
				substr(b, i % 64 + 1, 1) "Q"
			printf "  person%05d:\n    name: Person %d\n", i, i
			printf "    emails: [person%05d@example.com, p%d@example.org]\n", i, i
			printf "    logins: [person%05d]\n", i
			printf "    keys: [\"ssh-ed25519 %s%s person%d\"]\n", kb, k, i
			printf "    roles: [%s]\n", i % 2 ? "reviewer" : "developer"
		} }'
	sed -n '/^identities:/,$p' "$GOOD" | sed 1d
} >"$P"
check "the policy of 10,003 identities is over 1 MiB" test "$(wc -c <"$P")" -gt 1048576
t0=$(date +%s)
timeout 60 "$TK" config check "$P" >"$TRASH/out" 2>&1
rc=$?
t1=$(date +%s)
status_ok "10,000 identities: config check" "$rc"
check "10,000 identities: valid" test "$rc" -eq 0
check "10,000 identities: config check takes under 10 s" test $((t1 - t0)) -lt 10
check "10,000 identities: all counted" expect_out "ok: 3 roles, 10003 identities \(10003 keys\)"
export TWOKEY_CONFIG="$P"
git -C "$w" checkout -q --detach "$good"
signed_commit_as "$w" alice@example.com alice "decided among 10,003 identities"
t=$(approve_tk bob bob "$(head_of "$w")")
test_tick
git -C "$w" -c user.name=alice -c user.email=alice@example.com -c gpg.format=ssh \
	-c user.signingKey="$KEYS/alice" commit -q --amend --no-edit -S --trailer "$t"
h=$(head_of "$w")
t0=$(date +%s)
GL_USER=person00001 timeout 60 git -C "$w" push origin "$h:refs/heads/main" >"$TRASH/out" 2>&1
rc=$?
t1=$(date +%s)
check "10,000 identities: person00001 (a reviewer) may not update main" test "$rc" -eq 1
check "10,000 identities: ... says so" expect_out \
	"^remote: twokey: error: refs/heads/main: pusher 'person00001' may not update this ref"
GL_USER=dave timeout 60 git -C "$w" push origin "$h:refs/heads/main" >"$TRASH/out" 2>&1
rc=$?
t2=$(date +%s)
check "10,000 identities: dave's push of bob's approved change lands" test "$rc" -eq 0
check "10,000 identities: main moved" ref_is "$srv" refs/heads/main "$h"
check "10,000 identities: both pushes decided in under 20 s" test $((t2 - t0)) -lt 20
export TWOKEY_CONFIG="$GOOD"

done_testing
