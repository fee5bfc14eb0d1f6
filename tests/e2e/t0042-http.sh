#!/bin/sh
# A real Smart HTTP front end: lighttpd with mod_cgi and basic auth in front
# of git http-backend, on 127.0.0.1.  The pusher is REMOTE_USER (pusher.env:
# [REMOTE_USER]); the policy path is baked into the server repository.  As
# root the server runs as www-data, and so do the hooks.
#
# Under HTTP the hook's environment holds HTTP_AUTHORIZATION, the base64 of
# user:password: neither the password nor that base64 may appear in what
# twokey tells the client (remote: lines), in the audit log or in the
# server's logs.
. "$(dirname "$0")/lib-servers.sh"

LIGHTTPD=/usr/sbin/lighttpd
BACKEND=/usr/lib/git-core/git-http-backend
need_prog "$LIGHTTPD" "$BACKEND"

H="$TRASH/http"
mkdir -p "$H/www" "$H/run" "$H/audit"
PW_A='s3cr3t-XYZ'
PW_B='b0b-Pa55-QRS'
printf 'alice:%s\nbob:%s\n' "$PW_A" "$PW_B" >"$H/users"
B64_A=$(printf 'alice:%s' "$PW_A" | base64)
B64_B=$(printf 'bob:%s' "$PW_B" | base64)

cat >"$H/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  operations: deploys
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    roles: [developer]
  bob:
    emails: [bob@example.com]
    logins: [bob]
    roles: [operations]
pusher:
  env: [REMOTE_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [operations]
audit:
  path: $H/audit/audit.jsonl
EOF
check "the policy is valid" quiet "$TK_BIN/twokey" config check "$H/policy.yaml"

srv="$H/srv.git"
git init -q --bare "$srv"
quiet "$TK_BIN/twokey" install "$srv"
git -C "$srv" config twokey.config "$H/policy.yaml"
# A sentinel post-receive: records whether the hooks' environment held the
# credentials (not their value), so the leak checks below are not vacuous.
cat >"$srv/hooks/post-receive" <<EOF
#!/bin/sh
if [ -n "\${HTTP_AUTHORIZATION:-}" ]; then
	echo "HTTP_AUTHORIZATION present for \$REMOTE_USER" >>"$H/run/sentinel"
fi
EOF
chmod 755 "$srv/hooks/post-receive"

if [ "$(id -u)" -eq 0 ]; then
	# the server and the hooks run as www-data: it must own the repository
	# (else http-backend stops at 'dubious ownership'), the error log and
	# the audit log's directory
	runas='server.username = "www-data"
server.groupname = "www-data"'
	chown -R www-data: "$srv" "$H/run" "$H/audit"
	hook_user=www-data
else
	runas=""
	hook_user=$(id -un)
fi

start_lighttpd() {
	PORT=$(free_port)
	cat >"$H/lighttpd.conf" <<EOF
server.bind = "127.0.0.1"
server.port = $PORT
$runas
server.document-root = "$H/www"
server.errorlog = "$H/run/error.log"
server.modules = ("mod_alias", "mod_auth", "mod_authn_file", "mod_cgi", "mod_setenv")
alias.url = ("/git/" => "$BACKEND/")
\$HTTP["url"] =~ "^/git/" {
  cgi.assign = ("" => "")
  setenv.set-environment = ("GIT_PROJECT_ROOT" => "$H", "GIT_HTTP_EXPORT_ALL" => "1")
  auth.backend = "plain"
  auth.backend.plain.userfile = "$H/users"
  auth.require = ("" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
}
EOF
	# lighttpd creates its error log after dropping privileges: no stale
	# one from an attempt before
	rm -f "$H/run/error.log"
	# CGI stderr goes to lighttpd's own stderr
	timeout -k 5 120 "$LIGHTTPD" -D -f "$H/lighttpd.conf" \
		</dev/null >"$H/stderr.log" 2>&1 &
	pid=$!
	server_started $pid
	wait_until 10 sh -c 'grep -q "server started" "$1" 2>/dev/null || ! kill -0 "$2"' \
		- "$H/run/error.log" $pid
	grep -q "server started" "$H/run/error.log" 2>/dev/null && kill -0 $pid
}
started=0
for _ in 1 2 3; do
	if start_lighttpd; then
		started=1
		break
	fi
	tk_stop_servers
done
if [ $started -eq 1 ]; then ok "lighttpd listens on 127.0.0.1:$PORT"; else
	not_ok "lighttpd did not start"
	sed 's/^/#   /' "$H/stderr.log" "$H/run/error.log" 2>/dev/null
	done_testing
fi

export GIT_TERMINAL_PROMPT=0
base="127.0.0.1:$PORT/git/srv.git"
# http_push USER PASSWORD WORKDIR ARGS...: output in $TRASH/out; every
# push's remote: lines are also kept in $TRASH/all-remote.
http_push() {
	u=$1 pw=$2 wd=$3
	shift 3
	bounded 30 git -C "$wd" push "http://$u:$pw@$base" "$@" >"$TRASH/out" 2>&1
	rc=$?
	grep '^remote: ' "$TRASH/out" >>"$TRASH/all-remote"
	return $rc
}
accepted() {
	d=$1
	shift
	if http_push "$@"; then ok "$d"; else
		not_ok "$d (push refused)"
		sed 's/^/#   /' "$TRASH/out"
	fi
}
refused() {
	d=$1
	shift
	if http_push "$@"; then
		not_ok "$d (push accepted)"
		sed 's/^/#   /' "$TRASH/out"
	else ok "$d"; fi
}
: >"$TRASH/all-remote"

w=$(new_work w)
commit_as "$w" alice@example.com "first"
c1=$(head_of "$w")
accepted "bob (operations) creates main over HTTP" bob "$PW_B" "$w" main
check "main at c1" srv_ref_is "$srv" refs/heads/main "$c1"
check "the acceptance reaches the client" expect_out \
	"^remote: twokey: accepted refs/heads/main under rule 'mainline'"

commit_as "$w" alice@example.com "second"
c2=$(head_of "$w")
REMOTE_USER=bob TWOKEY_CONFIG=/nonexistent
export REMOTE_USER TWOKEY_CONFIG
refused "alice (developer) may not update main over HTTP" alice "$PW_A" "$w" main
unset REMOTE_USER TWOKEY_CONFIG
check "the refusal names alice (REMOTE_USER) and reaches the client" expect_out \
	"^remote: twokey: error: refs/heads/main: pusher 'alice' may not update this ref: that takes one of the roles: operations \[rule 'mainline'\]"
check "the summary reaches the client" expect_out \
	"^remote: twokey: refused refs/heads/main under rule 'mainline'"
check "git reports the hook declined" expect_out \
	"\[remote rejected\] main -> main \(pre-receive hook declined\)"
check "main still at c1" srv_ref_is "$srv" refs/heads/main "$c1"

accepted "alice may push a branch no rule protects" alice "$PW_A" "$w" main:refs/heads/topic
check "topic at c2" srv_ref_is "$srv" refs/heads/topic "$c2"
refused "a wrong password is stopped by the server (401)" alice wrong-pw "$w" main:refs/heads/other
check "... before any hook ran" srv_ref_is "$srv" refs/heads/other ""
accepted "bob fast-forwards main over HTTP" bob "$PW_B" "$w" main
check "main at c2" srv_ref_is "$srv" refs/heads/main "$c2"

# --- twokey doctor, as the hooks' user and as root -------------------------
if [ "$(id -u)" -eq 0 ]; then
	check "doctor as www-data: hook, policy, audit log writable (exit 0)" \
		quiet runuser -u www-data -- env -i PATH=/usr/bin:/bin REMOTE_USER=alice \
		"$TK_BIN/twokey" doctor "$srv"
	check "doctor run by root on www-data's repository opens it (not 'not found (SHA-256...)')" \
		sh -c '"$1" doctor "$2" | grep -q "ok       repository"' - "$TK_BIN/twokey" "$srv"
fi

# --- the audit log ----------------------------------------------------------
A="$H/audit/audit.jsonl"
check "audit: alice refused, login from REMOTE_USER, client REMOTE_ADDR" \
	audit_record "$A" '"pusher":\{"login":"alice","identity":"alice","from":"REMOTE_USER"\}' \
	'"client":"127\.0\.0\.1"' '"decision":"refused"' "\"new\":\"$c2\""
check "audit: bob's two acceptances on main" \
	test "$(grep -F '"pusher":{"login":"bob","identity":"bob","from":"REMOTE_USER"}' "$A" |
		grep -F '"ref":"refs/heads/main"' | grep -c '"decision":"accepted"')" -eq 2
check "audit: the hooks ran as $hook_user (they created the log)" \
	test "$(stat -c %U "$A")" = "$hook_user"
check "audit: four records, the chain verifies" \
	sh -c 'test "$(wc -l <"$1")" -eq 4 && "$2" audit verify "$1" >/dev/null' \
	- "$A" "$TK_BIN/twokey"

# --- no credentials anywhere ------------------------------------------------
check "the hooks' environment held HTTP_AUTHORIZATION (so the checks below mean something)" \
	grep -q "HTTP_AUTHORIZATION present for alice" "$H/run/sentinel"
check "twokey said something to the client (remote: lines captured)" \
	grep -q "^remote: twokey: " "$TRASH/all-remote"
logs="$TRASH/all-remote $A $H/run/error.log $H/stderr.log"
for s in "$PW_A" "$PW_B"; do
	check "the password $s appears nowhere (remote: lines, audit, server logs)" \
		absent "$s" $logs
done
for s in "$B64_A" "$B64_B"; do
	check "HTTP_AUTHORIZATION's base64 $s appears nowhere" absent "$s" $logs
done
check "the name HTTP_AUTHORIZATION appears nowhere either" \
	absent "HTTP_AUTHORIZATION" $logs

done_testing
