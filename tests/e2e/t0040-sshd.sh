#!/bin/sh
# A real OpenSSH front end: sshd -D on 127.0.0.1 with its own host key and
# config, one key per person in authorized_keys, each with a forced command
# that exports the login it authenticated (TWOKEY_USER) and execs git-shell.
# ssh drops the client's environment, so the policy path is baked into the
# server repository (git config twokey.config), and the pusher can only come
# from the server side.  Checks the verdicts, that refusals reach the client
# as remote: lines, and the audit record's pusher and SSH_CONNECTION.
. "$(dirname "$0")/lib-servers.sh"

SSHD=/usr/sbin/sshd
need_prog "$SSHD" /usr/bin/ssh /usr/bin/ssh-keygen /usr/bin/git-shell

S="$TRASH/ssh"
mkdir -p "$S"
me=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
	# sshd as root needs its privilege separation directory
	mkdir -p -m 0755 /run/sshd
	rootlogin="PermitRootLogin forced-commands-only"
else
	rootlogin=""
fi

# --- keys, forced commands, policy ------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$S/host" -C host
for p in alice dave carol; do
	ssh-keygen -q -t ed25519 -N '' -f "$S/$p" -C "$p"
done
# The forced command: the login comes from the key that authenticated,
# never from the client.
cat >"$S/wrap" <<'EOF'
#!/bin/sh
TWOKEY_USER="$1"
export TWOKEY_USER
exec git-shell -c "$SSH_ORIGINAL_COMMAND"
EOF
chmod 755 "$S/wrap"
: >"$S/authorized_keys"
for p in alice dave carol; do
	echo "command=\"$S/wrap $p\",restrict $(cat "$S/$p.pub")" >>"$S/authorized_keys"
done

cat >"$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  operations: deploys
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    roles: [developer]
  dave:
    emails: [dave@example.com]
    logins: [dave]
    roles: [operations]
pusher:
  env: [TWOKEY_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [operations]
audit:
  path: $TRASH/audit.jsonl
EOF
check "the policy is valid" quiet "$TK_BIN/twokey" config check "$TRASH/policy.yaml"

srv="$TRASH/srv.git"
git init -q --bare "$srv"
"$TK_BIN/twokey" install "$srv" >/dev/null
git -C "$srv" config twokey.config "$TRASH/policy.yaml"
check "twokey install linked the pre-receive hook" \
	test "$(readlink "$srv/hooks/pre-receive")" = "$TK_BIN/twokey-pre-receive"
check "twokey doctor is content with the server repository" \
	quiet "$TK_BIN/twokey" doctor "$srv"

# --- sshd -------------------------------------------------------------------
start_sshd() {
	PORT=$(free_port)
	cat >"$S/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $PORT
HostKey $S/host
PidFile none
AuthorizedKeysFile $S/authorized_keys
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
$rootlogin
AllowUsers $me
AcceptEnv none
PermitUserEnvironment no
EOF
	: >"$S/log"
	timeout -k 5 120 "$SSHD" -D -e -f "$S/sshd_config" <"/dev/null" >"$S/log" 2>&1 &
	pid=$!
	server_started $pid
	# ready, or dead (the port was taken meanwhile)
	wait_until 10 sh -c 'grep -q "Server listening" "$1" || ! kill -0 "$2"' \
		- "$S/log" $pid
	grep -q "Server listening" "$S/log" && kill -0 $pid
}
started=0
for _ in 1 2 3; do # the port may be taken between pick and bind
	if start_sshd; then
		started=1
		break
	fi
	tk_stop_servers
done
if [ $started -eq 1 ]; then ok "sshd listens on 127.0.0.1:$PORT"; else
	not_ok "sshd did not start"
	sed 's/^/#   /' "$S/log"
	done_testing
fi
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$S/host.pub")" >"$S/known_hosts"

url="ssh://$me@127.0.0.1:$PORT$srv"
# ssh_push PERSON WORKDIR ARGS...: git push over ssh with PERSON's key; no
# ssh config, no agent, the host key pinned.  Output in $TRASH/out.
ssh_push() {
	key="$S/$1"
	wd=$2
	shift 2
	GIT_SSH_COMMAND="ssh -F none -i $key -o IdentitiesOnly=yes \
-o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$S/known_hosts \
-o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR" \
		bounded 30 git -C "$wd" push "$@" >"$TRASH/out" 2>&1
}
accepted() {
	d=$1
	shift
	if ssh_push "$@"; then ok "$d"; else
		not_ok "$d (push refused)"
		sed 's/^/#   /' "$TRASH/out"
	fi
}
refused() {
	d=$1
	shift
	if ssh_push "$@"; then
		not_ok "$d (push accepted)"
		sed 's/^/#   /' "$TRASH/out"
	else ok "$d"; fi
}

w=$(new_work w)
git -C "$w" remote add origin "$url"
commit_as "$w" alice@example.com "first"
c1=$(head_of "$w")

# --- pushes -----------------------------------------------------------------
accepted "dave (operations) creates main over ssh" dave "$w" origin main
check "main created at c1" ref_is "$srv" refs/heads/main "$c1"
check "the acceptance reaches the client" expect_out \
	"^remote: twokey: accepted refs/heads/main under rule 'mainline'"

commit_as "$w" alice@example.com "second"
c2=$(head_of "$w")
# The client's environment does not travel over ssh: neither a policy
# path nor a pusher name set here reaches the hook.
TWOKEY_USER=dave TWOKEY_CONFIG=/nonexistent/policy.yaml GL_USER=dave
export TWOKEY_USER TWOKEY_CONFIG GL_USER
refused "alice (developer) may not update main over ssh" alice "$w" origin main
unset TWOKEY_USER TWOKEY_CONFIG GL_USER
check "the refusal names alice, found by her key, not the client's TWOKEY_USER" \
	expect_out "^remote: twokey: error: refs/heads/main: pusher 'alice' may not update this ref: that takes one of the roles: operations \[rule 'mainline'\]"
check "the summary reaches the client as a remote: line" expect_out \
	"^remote: twokey: refused refs/heads/main under rule 'mainline'"
check "git reports the hook declined" expect_out \
	"\[remote rejected\] main -> main \(pre-receive hook declined\)"
check "main still at c1" ref_is "$srv" refs/heads/main "$c1"

refused "carol (a key the policy does not know) may not update main" \
	carol "$w" origin main
check "the refusal says the pusher is unknown" expect_out \
	"^remote: twokey: .*carol"
check "main still at c1 after carol" ref_is "$srv" refs/heads/main "$c1"

accepted "dave fast-forwards main over ssh" dave "$w" origin main
check "main at c2" ref_is "$srv" refs/heads/main "$c2"

# --- the audit log ----------------------------------------------------------
A="$TRASH/audit.jsonl"
cnum='127\.0\.0\.1 [0-9]+ 127\.0\.0\.1 '"$PORT"
check "audit: alice's refusal with her login, identity and variable" \
	audit_record "$A" '"pusher":\{"login":"alice","identity":"alice","from":"TWOKEY_USER"\}' \
	'"decision":"refused"' '"ref":"refs/heads/main"' "\"new\":\"$c2\""
check "audit: alice's refusal has the SSH_CONNECTION client address" \
	audit_record "$A" '"login":"alice"' "\"client\":\"$cnum\""
check "audit: carol recorded by login, with no identity" \
	audit_record "$A" '"pusher":\{"login":"carol","identity":null,"from":"TWOKEY_USER"\}' \
	'"decision":"refused"' "\"client\":\"$cnum\""
check "audit: dave's two acceptances with SSH_CONNECTION" \
	test "$(grep -E '"pusher":\{"login":"dave","identity":"dave","from":"TWOKEY_USER"\}' "$A" |
		grep -E "\"client\":\"$cnum\"" | grep -c '"decision":"accepted"')" -eq 2
check "audit: the repository is the server's" \
	audit_record "$A" "\"repo\":\"$srv/\""
check "audit: four records, the chain verifies" \
	sh -c 'test "$(wc -l <"$1")" -eq 4 && "$2" audit verify "$1" >/dev/null' \
	- "$A" "$TK_BIN/twokey"
check "sshd logged the three users' keys" \
	sh -c 'test "$(grep -c "Accepted publickey" "$1")" -ge 4' - "$S/log"

done_testing
