#!/bin/sh
# A live policy with a typo refuses every push, and the pusher sees only
# that the server's twokey policy is broken: not its path, not the names
# of its identities or roles, not key files.  The full error goes to the
# admin: syslog (facility auth, LOG_ERR), checked here through a real
# /dev/log socket in a private mount namespace, and the audit log of the
# last policy that loaded, which records the refusal; 'twokey config check'
# names it too.  An unreadable audit key is reported the same way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-syslog.sh"

TK="$TK_BIN/twokey"
P="$TRASH/etc/policy.yaml"
mkdir -p "$TRASH/etc"
policy() { # ROLE-OF-RITA [AUDIT-KEY]
	cat >"$P" <<EOF
version: 1
roles:
  developer: writes code
  operations: deploys
identities:
  rita:
    emails: [rita@example.com]
    logins: [rita]
    roles: [$1]
  dave:
    emails: [dave@example.com]
    logins: [dave]
    roles: [operations]
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: refs/heads/main
    update: [operations]
audit:
  path: $TRASH/log/audit.jsonl
${2:+  key-file: $2}
EOF
}
mkdir -p "$TRASH/log"
policy developer
export TWOKEY_CONFIG="$P"
check "the good policy passes config check" sh -c '"$1" config check "$2" >/dev/null' - "$TK" "$P"

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" rita@example.com "base"
c1=$(head_of "$w")
accepted "with the good policy dave creates main" dave "$w" origin main
accepted "rita pushes her feature branch" rita "$w" origin "$c1:refs/heads/feature/rita"
commit_as "$w" rita@example.com "more"
c2=$(head_of "$w")

# --- the typo: a role that does not exist --------------------------------------
policy developr
refused "rita's push to her own feature branch is refused" rita "$w" origin "$c2:refs/heads/feature/rita"
check "feature/rita unchanged" ref_is "$srv" refs/heads/feature/rita "$c1"
check "the pusher is told the server's policy is broken" expect_out \
	"^remote: twokey: error: the server's twokey policy is broken, so no push to any ref is allowed until an admin repairs it \(the details are in the server's log\)"
check "... and that the push is refused" expect_out \
	"^remote: twokey: refusing the push: twokey could not decide it, and it fails closed"
check "the pusher is not shown the policy's path" no_out "$TRASH/etc"
check "... nor identity names" no_out "identities|rita'"
check "... nor the role at fault" no_out "developr"
check "git says the hook declined" expect_out "\[remote rejected\].*pre-receive hook declined"
refused "dave's push to main is refused too" dave "$w" origin main
check "main unchanged" ref_is "$srv" refs/heads/main "$c1"
check "the refusal is in the audit log of the last policy that loaded" \
	sh -c 'grep "\"decision\":\"refused\"" "$1" | grep -q "undefined role '"'"'developr'"'"'"' \
	- "$TRASH/log/audit.jsonl"
check "... twice (rita's push and dave's), the chain intact" sh -c \
	'test "$(grep -c developr "$1")" -eq 2 && "$2" audit verify "$1" >/dev/null' \
	- "$TRASH/log/audit.jsonl" "$TK"

"$TK" config check "$P" >"$TRASH/out" 2>&1
check "config check names the problem for the admin" expect_out \
	"^$TRASH/etc/policy.yaml:9:13: key 'identities.rita.roles\[0\]': undefined role 'developr' \(not under roles:\)$"

# --- the admin's copy: syslog ---------------------------------------------------
if syslog_capture_works; then
	L="$TRASH/syslog.txt"
	with_syslog "$L" env GL_USER=rita git -C "$w" push origin \
		"$c2:refs/heads/feature/rita" >"$TRASH/out" 2>&1
	check "(syslog) the push is refused" ref_is "$srv" refs/heads/feature/rita "$c1"
	check "(syslog) the error reached syslog at auth.err (<35>), as twokey" \
		grep -E -q "^<35>.* twokey\[[0-9]+\]: refusing a push to $srv/: the policy $P cannot be used: $P:9:13: key 'identities.rita.roles\[0\]': undefined role 'developr'" "$L"
	check "(syslog) exactly one line for the one error" \
		test "$(grep -c 'cannot be used' "$L")" -eq 1
	check "(syslog) the pusher still saw only the short message" no_out "developr"

	# an unreadable audit key: the path goes to syslog, not to the pusher
	policy developer "$TRASH/etc/missing-audit.key"
	: >"$L"
	with_syslog "$L" env GL_USER=rita git -C "$w" push origin \
		"$c2:refs/heads/feature/rita" >"$TRASH/out" 2>&1
	check "(audit key) the push is refused" ref_is "$srv" refs/heads/feature/rita "$c1"
	check "(audit key) the pusher is told the audit log is unavailable" expect_out \
		"^remote: twokey: error: the server's audit log is unavailable, so the decision could not be recorded \(the details are in the server's log\)"
	check "(audit key) the pusher is not shown the key's path" no_out "missing-audit.key"
	check "(audit key) syslog has it" grep -q \
		"refusing a push to $srv/: the audit log is unavailable: .*$TRASH/etc/missing-audit.key" "$L"
else
	echo "# syslog capture needs root and unshare(1): the syslog checks were not run"
fi

# --- repaired: pushes work again ------------------------------------------------
policy developer
accepted "with the policy repaired rita's push is accepted" rita "$w" origin "$c2:refs/heads/feature/rita"
check "feature/rita at c2" ref_is "$srv" refs/heads/feature/rita "$c2"

done_testing
