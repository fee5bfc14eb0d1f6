#!/bin/sh
# A stale compiled policy (docs/spec.md, "The compiled policy"): the
# policy edited after 'twokey config compile' is what decides, whichever
# way the edit goes (a role taken away, a role given), and the hook says
# once in syslog that it parsed the YAML instead; 'twokey config check'
# calls the compiled form stale; compiling again makes the hooks use it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-syslog.sh"

TK="$TK_BIN/twokey"
P="$TRASH/etc/policy.yaml"
mkdir -p "$TRASH/etc" "$TRASH/log"
policy() { # ROLES-OF-RITA
	write_policy "$P" <<EOF
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
  - name: everything else
    refs: '.*'
audit:
  path: $TRASH/log/audit.jsonl
EOF
}
policy "operations"
"$TK" config compile "$P" >/dev/null
check "compiled while rita is in operations" test -f "$P.compiled"

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" rita@example.com "base"
accepted "rita (operations, compiled) creates main" rita "$w" origin main
c1=$(head_of "$w")

# --- narrowed after compiling: the edit decides ---------------------------------
policy "developer"
"$TK" config check "$P" >"$TRASH/out" 2>&1
check "config check calls the compiled form stale" expect_out \
	"^$P.compiled: warning: the hooks ignore it and parse the YAML \(compiled from other policy bytes \(stale\)\); run 'twokey config compile $P'$"
commit_as "$w" rita@example.com "after the edit"
c2=$(head_of "$w")
refused "rita, no longer in operations, is refused on main" rita "$w" origin main
check "main unchanged" ref_is "$srv" refs/heads/main "$c1"
sum=$(sha256sum "$P" | cut -d' ' -f1)
check "the refusal's record names the edited policy" sh -c \
	'tail -1 "$1" | grep -q "\"policy\":\"$2\""' - "$TRASH/log/audit.jsonl" "$sum"

# --- widened after compiling: the edit decides too -------------------------------
policy "developer"
"$TK" config compile "$P" >/dev/null
policy "developer, operations"
accepted "rita, given operations after compiling, may push" rita "$w" origin main
check "main moved" ref_is "$srv" refs/heads/main "$c2"

# --- the admin is told, once per push ---------------------------------------------
if syslog_capture_works; then
	L="$TRASH/syslog.txt"
	commit_as "$w" rita@example.com "logged"
	with_syslog "$L" env GL_USER=rita git -C "$w" push origin main >"$TRASH/out" 2>&1
	check "(syslog) the push is accepted on the YAML" ref_is "$srv" refs/heads/main "$(head_of "$w")"
	check "(syslog) one line says the compiled form was ignored, and why" sh -c \
		'test "$(grep -c "policy.yaml.compiled: ignored, the YAML policy was parsed instead: compiled from other policy bytes (stale)" "$1")" -eq 1' - "$L"
	check "(syslog) at auth.warning (<36>)" grep -q "^<36>.*compiled: ignored" "$L"
	check "(syslog) the pusher is not told" no_out "yaml\.compiled|ignored"
	"$TK" config compile "$P" >/dev/null
	: >"$L"
	commit_as "$w" rita@example.com "logged again"
	with_syslog "$L" env GL_USER=rita git -C "$w" push origin main >"$TRASH/out" 2>&1
	check "(syslog) compiled again: used, nothing logged" sh -c \
		'! grep -q compiled "$1"' - "$L"
	check "(syslog) the push is accepted" ref_is "$srv" refs/heads/main "$(head_of "$w")"
elif [ "$(id -u)" -eq 0 ]; then
	not_ok "syslog capture should work as root (unshare, python3)"
else
	echo "# syslog capture needs root and unshare(1): its part did not run" >&2
	"$TK" config compile "$P" >/dev/null
fi
"$TK" config check "$P" >"$TRASH/out" 2>&1
check "config check: up to date again" expect_out "^$P.compiled: up to date: the hooks use it$"

done_testing
