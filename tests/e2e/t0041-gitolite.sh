#!/bin/sh
# A real gitolite3 front end, with twokey chained both ways gitolite allows:
#   - as a VREF: $LOCAL_CODE/VREF/TWOKEY -> twokey-update, rule
#     '- VREF/TWOKEY = @all' (gitolite's update hook calls it with 7
#     arguments: ref old new oldtree newtree access VREF/TWOKEY);
#   - as the common pre-receive hook: $LOCAL_CODE/hooks/common/pre-receive
#     -> twokey-pre-receive, spread by 'gitolite setup --hooks-only'.
# The pusher is GL_USER (pusher.env: [GL_USER]); the policy path reaches the
# hooks as per-repo git config twokey.config written by gitolite from its
# conf ('config twokey.config = ...', allowed by GIT_CONFIG_KEYS).
#
# Part A drives gitolite-shell through a GIT_SSH_COMMAND shim that clears
# the environment as sshd would (no sshd).  Part B, when run as root, puts
# a real sshd and a gitolite hosting user in front.
. "$(dirname "$0")/lib-servers.sh"

GLSHELL=/usr/share/gitolite3/gitolite-shell
need_prog /usr/bin/gitolite "$GLSHELL"

me=$(id -un)
# The gitolite side lives outside $TRASH, whose name contains "twokey": a
# real hosting account's paths do not, and 'twokey doctor' must cope.
GLROOT=$(mktemp -d "${TMPDIR:-/tmp}/gl-front.XXXXXX")
chmod 755 "$GLROOT"
tk_exit_hooks='if [ -z "${TK_KEEP:-}" ] && [ "$tk_failed" -eq 0 ]; then rm -rf "$GLROOT"; else echo "# kept $GLROOT" >&2; fi'
G="$GLROOT/a"
GH="$G/home" # the hosting account's HOME: .gitolite.rc, repositories/
mkdir -p "$GH" "$G/keys"
for p in admin alice bob; do
	ssh-keygen -q -t ed25519 -N '' -f "$G/keys/$p" -C "$p"
done
# gl_env HOME COMMAND...: COMMAND as the hosting account runs it (HOME),
# with nothing from this test's environment.
gl_env() {
	h=$1
	shift
	env -i PATH=/usr/bin:/bin HOME="$h" USER="$me" LC_ALL=C \
		GIT_CONFIG_NOSYSTEM=1 "$@"
}

cat >"$G/policy.yaml" <<EOF
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
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [operations]
    delete: []               # nobody
audit:
  path: $G/audit.jsonl
EOF
check "the policy is valid" quiet "$TK_BIN/twokey" config check "$G/policy.yaml"

# --- gitolite: setup, rc, twokey as VREF and common pre-receive ------------
# setup_gitolite HOME: a gitolite instance in HOME (admin key admin.pub),
# its rc opened to LOCAL_CODE and to twokey.* config keys, the VREF in
# place; gitolite itself runs as $run_as (empty: this user).
run_as=""
setup_gitolite() {
	h=$1
	cp "$G/keys/admin.pub" "$h/../admin.pub"
	$run_as env -i PATH=/usr/bin:/bin HOME="$h" USER="${run_user:-$me}" \
		LC_ALL=C GIT_CONFIG_NOSYSTEM=1 \
		gitolite setup -pk "$h/../admin.pub" >"$TRASH/out" 2>&1 ||
		return 1
	# LOCAL_CODE for our VREF and hook; twokey.* may be set from the conf
	sed -i -e 's|# LOCAL_CODE\(\s*\)=>  "$ENV{HOME}/local",|LOCAL_CODE\1=>  "$ENV{HOME}/local",|' \
		-e "s|GIT_CONFIG_KEYS\( *\)=>  '',|GIT_CONFIG_KEYS\1=>  'twokey\\\\..*',|" \
		"$h/.gitolite.rc" &&
		grep -q "^ *LOCAL_CODE *=>  \"\$ENV{HOME}/local\"," "$h/.gitolite.rc" &&
		grep -qF "GIT_CONFIG_KEYS" "$h/.gitolite.rc" &&
		grep -qF 'twokey\..*' "$h/.gitolite.rc" ||
		{ echo "# cannot edit $h/.gitolite.rc"; return 1; }
	mkdir -p "$h/local/VREF" "$h/local/hooks/common"
	ln -s "$TK_BIN/twokey-update" "$h/local/VREF/TWOKEY"
}
check "gitolite setup -pk admin.pub; rc edited (LOCAL_CODE, GIT_CONFIG_KEYS)" \
	setup_gitolite "$GH"

# The shim git runs instead of ssh: what sshd's forced command would do,
# gitolite-shell USER with a clean environment and SSH_ORIGINAL_COMMAND.
# GIT_SSH_VARIANT=simple: argv is 'USER@HOST' 'COMMAND'.
cat >"$G/shim" <<EOF
#!/bin/sh
u=\${1%%@*}
shift
while [ \$# -gt 1 ]; do shift; done
exec env -i PATH=/usr/bin:/bin HOME="$GH" USER="$me" LC_ALL=C \\
	GIT_CONFIG_NOSYSTEM=1 SSH_ORIGINAL_COMMAND="\$1" \\
	SSH_CONNECTION="127.0.0.1 40000 127.0.0.1 22" "$GLSHELL" "\$u"
EOF
chmod 755 "$G/shim"
export GIT_SSH_VARIANT=simple
GIT_SSH_COMMAND="$G/shim"
export GIT_SSH_COMMAND

# gl_push ARGS...: git push, output in $TRASH/out.
gl_push() { bounded 30 git "$@" >"$TRASH/out" 2>&1; }
accepted() {
	d=$1
	shift
	if gl_push "$@"; then ok "$d"; else
		not_ok "$d (push refused)"
		sed 's/^/#   /' "$TRASH/out"
	fi
}
refused() {
	d=$1
	shift
	if gl_push "$@"; then
		not_ok "$d (push accepted)"
		sed 's/^/#   /' "$TRASH/out"
	else ok "$d"; fi
}

# --- the admin repo: users, repos, rules, the policy path -------------------
# write_conf ADMINCLONE POLICY: keydir and conf; repo 'vref' will have the
# VREF only, 'proj' the VREF and the pre-receive hook.
write_conf() {
	mkdir -p "$1/keydir"
	cp "$G/keys/alice.pub" "$G/keys/bob.pub" "$1/keydir/"
	cat >"$1/conf/gitolite.conf" <<EOF
repo gitolite-admin
    RW+                 =   admin

repo @all
    config twokey.config = $2

repo proj vref
    RW+                 =   alice bob
    -   VREF/TWOKEY     =   @all
EOF
	git -C "$1" add -A &&
		git -C "$1" -c user.name=admin -c user.email=admin@example.com \
			commit -q -m "twokey: users, repos, policy"
}
adm="$TRASH/adm"
gl_push clone -q admin@gl:gitolite-admin "$adm"
check "the admin clones gitolite-admin" test -f "$adm/conf/gitolite.conf"
write_conf "$adm" "$G/policy.yaml"
# The admin repo acts on master only (its HEAD here is main).
accepted "the admin pushes keys and conf to master" -C "$adm" push origin HEAD:master
R="$GH/repositories"
check "gitolite created proj and vref" test -d "$R/proj.git" -a -d "$R/vref.git"
check "gitolite wrote twokey.config into proj from its conf" \
	test "$(git -C "$R/proj.git" config twokey.config)" = "$G/policy.yaml"
check "... and into gitolite-admin" \
	test "$(git -C "$R/gitolite-admin.git" config twokey.config)" = "$G/policy.yaml"

# Only now the common pre-receive: once it is in place, every push to
# gitolite-admin goes through twokey too, and a gitolite-admin without
# twokey.config (nor /etc/twokey/policy.yaml) would refuse them all, fail
# closed, with no way to fix it through the admin repo.
ln -s "$TK_BIN/twokey-pre-receive" "$GH/local/hooks/common/pre-receive"
check "gitolite setup --hooks-only spreads the pre-receive hook" \
	gl_env "$GH" gitolite setup --hooks-only
check "proj's pre-receive is twokey's" \
	test "$(readlink -f "$R/proj.git/hooks/pre-receive")" = "$(readlink -f "$TK_BIN/twokey-pre-receive")"
# 'vref' stands for a deployment with the VREF alone: no pre-receive.
rm -f "$R/vref.git/hooks/pre-receive"
# twokey doctor on a gitolite repository: its pre-receive is a link to
# $LOCAL_CODE/hooks/common/pre-receive, itself a link to twokey's hook.
GL_USER=alice "$TK_BIN/twokey" doctor "$R/proj.git" >"$TRASH/doctor" 2>&1
check "doctor (gitolite) finds the policy gitolite configured" \
	grep -qF "ok       policy: $G/policy.yaml" "$TRASH/doctor"
check "doctor (gitolite) sees GL_USER named by the policy" \
	grep -qF "GL_USER is set here" "$TRASH/doctor"
check "doctor (gitolite) follows the hook's link chain to twokey-pre-receive (exit 0)" \
	env GL_USER=alice "$TK_BIN/twokey" doctor "$R/proj.git"

# --- pushes -----------------------------------------------------------------
w=$(new_work w)
commit_as "$w" alice@example.com "first"
c1=$(head_of "$w")
accepted "bob (operations) creates main in proj" -C "$w" push bob@gl:proj main
check "proj main at c1" ref_is "$R/proj.git" refs/heads/main "$c1"
check "twokey's acceptance reaches the client" expect_out \
	"^remote: twokey: accepted refs/heads/main under rule 'mainline'"

commit_as "$w" alice@example.com "second"
c2=$(head_of "$w")
# Client variables do not get through the shim (nor through sshd).
GL_USER=bob TWOKEY_CONFIG=/nonexistent
export GL_USER TWOKEY_CONFIG
refused "alice: gitolite allows (RW+), twokey refuses (pre-receive)" \
	-C "$w" push alice@gl:proj main
unset GL_USER TWOKEY_CONFIG
check "twokey's reason reaches the client" expect_out \
	"^remote: twokey: error: refs/heads/main: pusher 'alice' may not update this ref: that takes one of the roles: operations \[rule 'mainline'\]"
check "git reports the pre-receive hook declined" expect_out \
	"\[remote rejected\] main -> main \(pre-receive hook declined\)"
check "proj main unchanged" ref_is "$R/proj.git" refs/heads/main "$c1"

accepted "alice may push a branch no rule protects" -C "$w" push alice@gl:proj main:refs/heads/topic
check "proj topic at c2" ref_is "$R/proj.git" refs/heads/topic "$c2"
accepted "bob fast-forwards main in proj" -C "$w" push bob@gl:proj main
check "proj main at c2" ref_is "$R/proj.git" refs/heads/main "$c2"

# The VREF alone (repo vref has no pre-receive).
accepted "bob creates main in vref (VREF only)" -C "$w" push bob@gl:vref "$c1:refs/heads/main"
check "vref main at c1" ref_is "$R/vref.git" refs/heads/main "$c1"
refused "alice: gitolite allows, the twokey VREF refuses" -C "$w" push alice@gl:vref main
check "twokey's reason from the VREF reaches the client" expect_out \
	"^remote: twokey: error: refs/heads/main: pusher 'alice' may not update this ref: that takes one of the roles: operations \[rule 'mainline'\]"
check "gitolite names the VREF that failed" expect_out \
	"^remote: FATAL: VREF/TWOKEY: helper program exit status"
check "git reports the hook declined" expect_out \
	"\[remote rejected\] main -> main \(hook declined\)"
check "vref main unchanged" ref_is "$R/vref.git" refs/heads/main "$c1"
# A deletion through the VREF (new is all zeros; gitolite's access 'D').
refused "bob may not delete main (RW+ lets him, twokey's VREF does not)" \
	-C "$w" push bob@gl:vref :refs/heads/main
check "the VREF's reason for the deletion reaches the client" expect_out \
	"^remote: twokey: error: refs/heads/main: nobody may delete this ref \\[rule 'mainline'\\]"
check "vref main still there" ref_is "$R/vref.git" refs/heads/main "$c1"

# The admin repo is under twokey's pre-receive too; its policy (from
# 'repo @all') matches no rule there, so admin work goes on.
printf 'repo extra\n    RW+ = alice\n' >>"$adm/conf/gitolite.conf"
git -C "$adm" -c user.name=admin -c user.email=admin@example.com commit -q -am "extra"
accepted "an admin push after twokey is installed still works" -C "$adm" push origin HEAD:master
check "gitolite created extra" test -d "$R/extra.git"

# --- the audit log ----------------------------------------------------------
A="$G/audit.jsonl"
glc='"client":"127\.0\.0\.1 40000 127\.0\.0\.1 22"'
check "audit: alice refused in proj by pre-receive, login from GL_USER" \
	audit_record "$A" '"hook":"pre-receive"' "\"repo\":\"$R/proj.git/\"" \
	'"pusher":\{"login":"alice","identity":"alice","from":"GL_USER"\}' \
	'"decision":"refused"' "$glc"
check "audit: bob accepted in proj by pre-receive and by the VREF" \
	sh -c 'for h in pre-receive update; do
		grep -F "\"hook\":\"$h\"" "$1" | grep -F "\"repo\":\"$2/proj.git/\"" |
		grep -F "\"pusher\":{\"login\":\"bob\",\"identity\":\"bob\",\"from\":\"GL_USER\"}" |
		grep -F "\"new\":\"$3\"" | grep -q "\"decision\":\"accepted\"" || exit 1
	done' - "$A" "$R" "$c2"
check "audit: alice refused in vref by the VREF (hook update)" \
	audit_record "$A" '"hook":"update"' "\"repo\":\"$R/vref.git/\"" \
	'"login":"alice"' '"decision":"refused"' "$glc"
check "audit: the admin's pushes recorded (no rule)" \
	audit_record "$A" "\"repo\":\"$R/gitolite-admin.git/\"" \
	'"pusher":\{"login":"admin","identity":null,"from":"GL_USER"\}' \
	'"decision":"accepted"' '"rule":null'
check "audit: the chain verifies" quiet "$TK_BIN/twokey" audit verify "$A"

# --- part B: a hosting user behind a real sshd (root only) ------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "# part B (gitolite behind sshd with a hosting user) needs root: not run"
	done_testing
fi
need_prog /usr/sbin/sshd /usr/bin/ssh /usr/sbin/useradd /usr/sbin/userdel /usr/sbin/runuser

# A throw-away hosting account, deleted on exit.
glu="tkgl$$"
GB="$GLROOT/b"
GBH="$GB/home"
mkdir -p "$GBH"
tk_exit_hooks="userdel $glu >/dev/null 2>&1 || true; $tk_exit_hooks"
useradd -M -d "$GBH" -s /bin/sh "$glu" && usermod -p '*' "$glu"
check "hosting account $glu created" quiet id "$glu"
chown "$glu:" "$GB" "$GBH"
sed "s|$G/audit.jsonl|$GB/audit.jsonl|" "$G/policy.yaml" >"$GB/policy.yaml"
cp "$G/keys/admin.pub" "$GB/admin.pub"
chmod 644 "$GB/policy.yaml" "$GB/admin.pub"

run_user=$glu
run_as="runuser -u $glu --"
check "gitolite setup as $glu" setup_gitolite "$GBH"
run_as=""
run_user=""
ln -s "$TK_BIN/twokey-pre-receive" "$GBH/local/hooks/common/pre-receive"
chown -R -h "$glu:" "$GBH" # what root edited above

mkdir -p -m 0755 /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$GB/host" -C host
start_sshd() {
	PORT=$(free_port)
	cat >"$GB/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $PORT
HostKey $GB/host
PidFile none
AuthorizedKeysFile .ssh/authorized_keys
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers $glu
EOF
	: >"$GB/log"
	timeout -k 5 120 /usr/sbin/sshd -D -e -f "$GB/sshd_config" \
		</dev/null >"$GB/log" 2>&1 &
	pid=$!
	server_started $pid
	wait_until 10 sh -c 'grep -q "Server listening" "$1" || ! kill -0 "$2"' \
		- "$GB/log" $pid
	grep -q "Server listening" "$GB/log" && kill -0 $pid
}
started=0
for _ in 1 2 3; do
	if start_sshd; then
		started=1
		break
	fi
	tk_stop_servers
done
if [ $started -eq 1 ]; then ok "sshd listens on 127.0.0.1:$PORT"; else
	not_ok "sshd did not start"
	sed 's/^/#   /' "$GB/log"
	done_testing
fi
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$GB/host.pub")" >"$GB/known_hosts"
# as_key PERSON: ssh with PERSON's key from now on.
as_key() {
	GIT_SSH_COMMAND="ssh -F none -i $G/keys/$1 -o IdentitiesOnly=yes -o BatchMode=yes \
-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$GB/known_hosts \
-o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR"
	export GIT_SSH_COMMAND
}
unset GIT_SSH_VARIANT
base="ssh://$glu@127.0.0.1:$PORT"

adm2="$TRASH/adm2"
as_key admin
gl_push clone -q "$base/gitolite-admin" "$adm2"
check "the admin clones gitolite-admin over ssh" test -f "$adm2/conf/gitolite.conf"
write_conf "$adm2" "$GB/policy.yaml"
as_key admin
accepted "the admin pushes keys and conf over ssh" \
	-C "$adm2" push origin HEAD:master
check "gitolite wrote alice's and bob's keys with forced commands" \
	sh -c 'grep -q "command=\"/usr/share/gitolite3/gitolite-shell alice\"" "$1" &&
		grep -q "command=\"/usr/share/gitolite3/gitolite-shell bob\"" "$1"' \
	- "$GBH/.ssh/authorized_keys"
check "gitolite setup --hooks-only as $glu" \
	runuser -u "$glu" -- env -i PATH=/usr/bin:/bin HOME="$GBH" USER="$glu" \
	LC_ALL=C GIT_CONFIG_NOSYSTEM=1 gitolite setup --hooks-only
# The hooks run as $glu: they create the audit log in $GB, which it owns.

RB="$GBH/repositories"
as_key bob
accepted "bob creates main over ssh" \
	-C "$w" push "$base/proj" "$c1:refs/heads/main"
check "main at c1" srv_ref_is "$RB/proj.git" refs/heads/main "$c1"
as_key alice
refused "alice's update refused over ssh" \
	-C "$w" push "$base/proj" main
check "twokey's reason reaches the ssh client" expect_out \
	"^remote: twokey: error: refs/heads/main: pusher 'alice' may not update this ref"
check "main still at c1" srv_ref_is "$RB/proj.git" refs/heads/main "$c1"
as_key bob
accepted "bob's update accepted over ssh" \
	-C "$w" push "$base/proj" main
check "main at c2" srv_ref_is "$RB/proj.git" refs/heads/main "$c2"
check "doctor run by root on $glu's repository opens it (not 'not found (SHA-256...)')" \
	sh -c '"$1" doctor "$2" | grep -q "ok       repository"' - "$TK_BIN/twokey" "$RB/proj.git"
runuser -u "$glu" -- env -i PATH=/usr/bin:/bin GL_USER=bob "$TK_BIN/twokey" doctor \
	"$RB/proj.git" >"$TRASH/doctor" 2>&1
check "doctor run as $glu: repository, policy, audit log writable" \
	sh -c 'grep -q "^ok       repository" "$1" && grep -q "^ok       policy" "$1" &&
		grep -q "^ok       audit log writable" "$1"' - "$TRASH/doctor"
AB="$GB/audit.jsonl"
sshc="\"client\":\"127\\.0\\.0\\.1 [0-9]+ 127\\.0\\.0\\.1 $PORT\""
check "audit (sshd): alice refused, GL_USER, the real SSH_CONNECTION" \
	audit_record "$AB" '"hook":"pre-receive"' \
	'"pusher":\{"login":"alice","identity":"alice","from":"GL_USER"\}' \
	'"decision":"refused"' "$sshc"
check "audit (sshd): bob accepted by both hooks" \
	test "$(grep -F '"login":"bob"' "$AB" | grep -F "\"new\":\"$c2\"" |
		grep -E "$sshc" | grep -c '"decision":"accepted"')" -eq 2
check "audit (sshd): the hooks ran as $glu (they created the log)" \
	test "$(stat -c %U "$AB")" = "$glu"
check "audit (sshd): the chain verifies" quiet "$TK_BIN/twokey" audit verify "$AB"

done_testing
