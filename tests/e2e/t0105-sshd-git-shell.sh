#!/bin/sh
# The sshd forced-command recipe of docs/servers.md, on the usual set-up:
# a git account whose login shell is git-shell.  sshd runs a forced
# command through the login shell, and git-shell runs nothing but git's
# commands and, by bare name, the programs in ~/git-shell-commands/.  So
# the recipe's wrapper lives there: with command="twokey-login alice" the
# pusher is set from the key, pushes are decided, and a client that asks
# for the wrapper itself (to name another pusher) or for a shell is
# refused.  The older recipe (an absolute path as the forced command) is
# shown failing under git-shell.  Needs root (a throwaway account).
. "$(dirname "$0")/lib-servers.sh"

SSHD=/usr/sbin/sshd
need_prog "$SSHD" /usr/bin/ssh /usr/bin/ssh-keygen /usr/bin/git-shell
if [ "$(id -u)" -ne 0 ]; then
	echo "# a git account with git-shell as its login shell needs root: not run"
	done_testing
fi
need_prog /usr/sbin/useradd /usr/sbin/userdel /usr/sbin/usermod

gu="tkgs$$"
G="$TRASH/home-$gu"
mkdir -p "$G/.ssh" "$G/git-shell-commands" /run/sshd
chmod 0755 /run/sshd
tk_exit_hooks="userdel $gu >/dev/null 2>&1 || true; $tk_exit_hooks"
useradd --system --no-create-home --home-dir "$G" --shell /usr/bin/git-shell --user-group "$gu" &&
	usermod -p '*' "$gu"
check "the git account $gu has git-shell as its login shell" \
	test "$(getent passwd "$gu" | cut -d: -f7)" = /usr/bin/git-shell

# --- the recipe -----------------------------------------------------------------
# the wrapper, as docs/servers.md gives it
sed -n '/^    #!\/bin\/sh$/,/^    esac$/p; /^    TWOKEY_USER=/p' "$TK_SRC/docs/servers.md" |
	sed 's/^    //' >"$G/git-shell-commands/twokey-login"
chmod 755 "$G/git-shell-commands/twokey-login"
check "the recipe's wrapper was found in docs/servers.md" \
	grep -q 'exec git-shell -c "$SSH_ORIGINAL_COMMAND"' "$G/git-shell-commands/twokey-login"
S="$TRASH/ssh"
mkdir -p "$S"
ssh-keygen -q -t ed25519 -N '' -f "$S/host" -C host
for p in alice dave carol; do
	ssh-keygen -q -t ed25519 -N '' -f "$S/$p" -C "$p"
done
for p in alice dave; do
	echo "command=\"twokey-login $p\",restrict $(cat "$S/$p.pub")"
done >"$G/.ssh/authorized_keys"
# the old recipe, an absolute path: git-shell refuses it
printf '#!/bin/sh\nTWOKEY_USER="$1" exec git-shell -c "$SSH_ORIGINAL_COMMAND"\n' >"$TRASH/git-as"
chmod 755 "$TRASH/git-as"
echo "command=\"$TRASH/git-as carol\",restrict $(cat "$S/carol.pub")" >>"$G/.ssh/authorized_keys"

cat >"$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes code, operations: deploys}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer]}
  dave: {emails: [dave@example.com], logins: [dave], roles: [operations]}
  carol: {emails: [carol@example.com], logins: [carol], roles: [operations]}
pusher: {env: [TWOKEY_USER]}
rules:
  - {name: mainline, refs: refs/heads/main, update: [operations]}
audit: {path: $G/audit.jsonl}
EOF
chmod 644 "$TRASH/policy.yaml"
srv="$G/srv.git"
git init -q --bare "$srv"
git -C "$srv" config twokey.config "$TRASH/policy.yaml"
"$TK_BIN/twokey" install "$srv" >/dev/null
chown -R "$gu:" "$G"
chmod 755 "$TRASH" "$G"

start_sshd() {
	PORT=$(free_port)
	cat >"$S/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $PORT
HostKey $S/host
PidFile none
AuthorizedKeysFile .ssh/authorized_keys
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers $gu
PermitUserEnvironment no
EOF
	: >"$S/log"
	timeout -k 5 120 "$SSHD" -D -e -f "$S/sshd_config" </dev/null >"$S/log" 2>&1 &
	pid=$!
	server_started $pid
	wait_until 10 sh -c 'grep -q "Server listening" "$1" || ! kill -0 "$2"' - "$S/log" $pid
	grep -q "Server listening" "$S/log" && kill -0 $pid
}
started=0
for _ in 1 2 3; do
	if start_sshd; then started=1 && break; fi
	tk_stop_servers
done
if [ $started -eq 1 ]; then ok "sshd listens on 127.0.0.1:$PORT"; else
	not_ok "sshd did not start"
	sed 's/^/#   /' "$S/log"
	done_testing
fi
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$S/host.pub")" >"$S/known_hosts"
sshc() {
	echo "ssh -F none -i $S/$1 -o IdentitiesOnly=yes -o BatchMode=yes \
-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$S/known_hosts \
-o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR"
}
ssh_push() {
	who=$1
	shift
	GIT_SSH_COMMAND=$(sshc "$who") bounded 30 git -C "$w" push "$@" >"$TRASH/out" 2>&1
}
url="ssh://$gu@127.0.0.1:$PORT$srv"
w=$(new_work w)
commit_as "$w" alice@example.com "first"
c1=$(head_of "$w")

if ssh_push dave "$url" main; then ok "dave (operations) creates main through git-shell"; else
	not_ok "dave (operations) creates main through git-shell"
	sed 's/^/#   /' "$TRASH/out"
fi
check "main at c1" srv_ref_is "$srv" refs/heads/main "$c1"
check "the hook saw dave, from the key" expect_out "remote: twokey: accepted refs/heads/main under rule 'mainline'"
commit_as "$w" alice@example.com "second"
if ssh_push alice "$url" main; then not_ok "alice (developer) may not update main"; else
	ok "alice (developer) may not update main"
fi
check "the refusal names alice" expect_out "remote: twokey: error: refs/heads/main: pusher 'alice' may not update this ref"
check "main still at c1" srv_ref_is "$srv" refs/heads/main "$c1"
check "audit: alice's refusal recorded with TWOKEY_USER" \
	grep -q '"pusher":{"login":"alice","identity":"alice","from":"TWOKEY_USER"}' "$G/audit.jsonl"

# alice asks the server to run the wrapper as dave: refused by the wrapper
$(sshc alice) -p "$PORT" "$gu@127.0.0.1" "twokey-login dave" </dev/null >"$TRASH/out" 2>&1
check "alice asking for 'twokey-login dave' is refused" expect_out "only git fetch and push"
$(sshc alice) -p "$PORT" "$gu@127.0.0.1" "sh -c id" </dev/null >"$TRASH/out" 2>&1
check "alice asking for a shell command is refused" expect_out "only git fetch and push"
check "... and no shell ran" no_out "uid="

# the old recipe: an absolute path as the forced command fails under git-shell
if ssh_push carol "$url" main; then not_ok "the absolute-path recipe fails under git-shell"; else
	ok "the absolute-path recipe fails under git-shell"
fi
check "... git-shell says why" expect_out "unrecognized command '$TRASH/git-as carol'"
check "main still at c1" srv_ref_is "$srv" refs/heads/main "$c1"

done_testing
