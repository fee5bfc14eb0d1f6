#!/bin/sh
# Operations: 'twokey install --force' keeps the hook it replaces;
# '--chain' keeps running it beside twokey (a refusal by either refuses
# the push); and, as root, on a repository owned by the git account:
# install says what git says about dubious ownership (not "not a git
# repository"), and doctor checks the audit log and key as that account
# (the user the hooks run as), printing the commands that fix what it
# finds, which then work.
. "$(dirname "$0")/lib.sh"

TK="$TK_BIN/twokey"
hook=$(readlink -f "$TK_BIN/twokey-pre-receive")
run_out() {
	"$@" >"$TRASH/out" 2>&1
	rc=$?
}
cat >"$TRASH/policy.yaml" <<'EOF'
version: 1
roles: {operations: deploys}
identities:
  dave: {logins: [dave], emails: [dave@example.com], roles: [operations]}
pusher: {env: [GL_USER]}
rules:
  - name: mainline
    refs: refs/heads/main
    update: [operations]
EOF
export TWOKEY_CONFIG="$TRASH/policy.yaml"
w=$(new_work w)
commit_as "$w" dave@example.com "base"
c1=$(head_of "$w")

# --- --force keeps the old hook ------------------------------------------------
git init -q --bare "$TRASH/f.git"
printf '#!/bin/sh\necho old hook ran >&2\nexit 0\n' >"$TRASH/f.git/hooks/pre-receive"
chmod 755 "$TRASH/f.git/hooks/pre-receive"
run_out "$TK" install "$TRASH/f.git"
check "a foreign hook: refused without an option (exit 1)" test "$rc" -eq 1
check "... naming both options" expect_out "use --force to replace it \(it is kept as a backup\), or --chain to run it and twokey both"
run_out "$TK" install --force "$TRASH/f.git"
check "--force: exit 0" test "$rc" -eq 0
check "--force: twokey is the hook" test "$(readlink -f "$TRASH/f.git/hooks/pre-receive")" = "$hook"
check "--force: the old hook is kept as a backup" \
	grep -q 'old hook ran' "$TRASH/f.git/hooks/pre-receive.twokey-backup"
check "--force: and says so" expect_out "pre-receive.twokey-backup: the old hook, kept; it no longer runs"
printf '#!/bin/sh\nexit 0\n' >"$TRASH/other"
chmod 755 "$TRASH/other"
rm "$TRASH/f.git/hooks/pre-receive"
ln -s "$TRASH/other" "$TRASH/f.git/hooks/pre-receive"
run_out "$TK" install --force "$TRASH/f.git"
check "--force again: a second backup, the first kept" sh -c \
	'test "$(readlink "$1.1")" = "$2" && grep -q "old hook ran" "$1"' \
	- "$TRASH/f.git/hooks/pre-receive.twokey-backup" "$TRASH/other"

# --- --chain runs both ------------------------------------------------------------
git init -q --bare "$TRASH/c.git"
cat >"$TRASH/c.git/hooks/pre-receive" <<'EOF'
#!/bin/sh
# a site's own check: no branch named "wip/..."
while read -r old new ref; do
	echo "site hook saw $ref" >&2
	case $ref in refs/heads/wip/*) echo "site hook: no wip branches" >&2; exit 1 ;; esac
done
EOF
chmod 755 "$TRASH/c.git/hooks/pre-receive"
mkdir -p "$TRASH/c.git/hooks/lib"
ln -s lib/../pre-receive.rel "$TRASH/c.git/hooks/unused" # a relative link elsewhere
run_out "$TK" install --chain "$TRASH/c.git"
check "--chain: exit 0" test "$rc" -eq 0
check "--chain: the old hook moved to pre-receive.d/" \
	grep -q 'no wip branches' "$TRASH/c.git/hooks/pre-receive.d/previous-pre-receive"
check "--chain: twokey beside it" \
	test "$(readlink -f "$TRASH/c.git/hooks/pre-receive.d/twokey")" = "$hook"
check "--chain: pre-receive is the dispatcher" grep -q 'twokey-dispatcher v1' "$TRASH/c.git/hooks/pre-receive"
run_out "$TK" install --chain "$TRASH/c.git"
check "--chain again: nothing changes" expect_out "pre-receive.d/twokey: already installed"
git -C "$w" remote add c "$TRASH/c.git"
accepted "chained: dave creates main (both hooks accept)" dave "$w" c main
check "chained: the site hook ran" expect_out "remote: site hook saw refs/heads/main"
check "chained: twokey ran" expect_out "remote: twokey: accepted refs/heads/main under rule 'mainline'"
refused "chained: the site hook's refusal refuses the push" dave "$w" c "$c1:refs/heads/wip/x"
check "chained: ... saying why" expect_out "remote: site hook: no wip branches"
check "chained: wip/x absent" ref_is "$TRASH/c.git" refs/heads/wip/x ""
commit_as "$w" dave@example.com "next"
refused "chained: twokey's refusal refuses the push" "" "$w" c main
check "chained: ... saying why" expect_out "remote: twokey: .*pusher unknown"
check "chained: main unchanged" ref_is "$TRASH/c.git" refs/heads/main "$c1"
run_out "$TK" doctor "$TRASH/c.git"
check "chained: doctor finds twokey in pre-receive.d" expect_out "^ok       pre-receive hook: .*pre-receive.d/twokey$"
check "doctor: no commit-graph yet, a note with the command" expect_out \
	"^note     no commit-graph file: .*'git -C $TRASH/c.git/ commit-graph write --reachable'"
git -C "$TRASH/c.git" commit-graph write --reachable 2>/dev/null
run_out "$TK" doctor "$TRASH/c.git"
check "doctor: the commit-graph once written" expect_out "^ok       commit-graph: $TRASH/c.git/objects/info/commit-graph$"
check "...and no note about it" no_out "no commit-graph file"

# --- doctor says what a push from this environment would see as its pusher ---------
# (pusher.env names two variables; the hook's own resolution, shared)
sed 's/^pusher: .*/pusher: {env: [GL_USER, REMOTE_USER]}/' "$TRASH/policy.yaml" >"$TRASH/p2.yaml"
TWOKEY_CONFIG="$TRASH/p2.yaml" GL_USER=dave run_out "$TK" doctor "$TRASH/c.git"
check "doctor: the pusher's identity (exit 0)" test "$rc" -eq 0
check "... login, variable and identity" expect_out "^ok       pusher: login 'dave' \(from GL_USER\) is identity 'dave'$"
TWOKEY_CONFIG="$TRASH/p2.yaml" GL_USER=dave REMOTE_USER=dave run_out "$TK" doctor "$TRASH/c.git"
check "doctor: two variables with the same login agree (exit 0)" test "$rc" -eq 0
TWOKEY_CONFIG="$TRASH/p2.yaml" GL_USER=dave REMOTE_USER=eve run_out "$TK" doctor "$TRASH/c.git"
check "doctor: two variables naming two logins are a problem (exit 1)" test "$rc" -eq 1
check "... naming both, and what the hooks then do" expect_out \
	"^PROBLEM  pusher: GL_USER='dave' and REMOTE_USER='eve' name different logins here: the hooks then treat the pusher as unknown"
# ... and the hook does what doctor said
TWOKEY_CONFIG="$TRASH/p2.yaml" REMOTE_USER=eve
export TWOKEY_CONFIG REMOTE_USER
commit_as "$w" dave@example.com "pusher variables disagree"
refused "two pusher variables naming two logins: refused" dave "$w" c main
check "... saying why" expect_out "remote: twokey: .*pusher unknown \(the variables of pusher.env name different logins"
TWOKEY_CONFIG="$TRASH/policy.yaml"
unset REMOTE_USER
TWOKEY_CONFIG="$TRASH/p2.yaml" REMOTE_USER=mallory run_out "$TK" doctor "$TRASH/c.git"
check "doctor: a login in no identity is a note (exit 0)" test "$rc" -eq 0
check "... saying a push would be refused" expect_out \
	"^note     pusher: login 'mallory' \(from REMOTE_USER\) is in no identity's logins"
TWOKEY_CONFIG="$TRASH/p2.yaml" REMOTE_USER="$(printf 'ev\033[31me')" run_out "$TK" doctor "$TRASH/c.git"
check "doctor: a login with a control character is a problem (exit 1)" test "$rc" -eq 1
check "... shown without the control character" expect_out "^PROBLEM  pusher: REMOTE_USER='ev.\[31me' is too long or holds control characters"
check "... no escape byte reaches the terminal" no_out "$(printf '\033')"

# --- as root, a repository owned by the git account -------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "# the ownership cases need root (a repository owned by another user): not run"
	done_testing
fi
for p in useradd userdel runuser; do
	command -v $p >/dev/null 2>&1 || { not_ok "$p is installed"; done_testing; }
done
gu="tkgit$$"
tk_exit_hooks_user=$gu
trap 'userdel "$tk_exit_hooks_user" >/dev/null 2>&1; tk_cleanup' EXIT
useradd --system --no-create-home --home-dir "$TRASH/githome" --shell /bin/sh --user-group "$gu"
check "the git account $gu exists" id "$gu"
chmod 755 "$TRASH"
mkdir -p "$TRASH/githome"
chown "$gu:" "$TRASH/githome"
runuser -u "$gu" -- git init -q --bare "$TRASH/githome/p.git"
run_out "$TK" install "$TRASH/githome/p.git"
check "install as root on $gu's repository: exit 1" test "$rc" -eq 1
check "... says what git says: dubious ownership, and whose" expect_out \
	"detected dubious ownership in repository: it is owned by $gu, not by you"
check "... and how to proceed" sh -c \
	'grep -q "sudo -u $2 twokey install $3" "$1" && grep -q "git config --global --add safe.directory $3" "$1"' \
	- "$TRASH/out" "$gu" "$TRASH/githome/p.git"
check "... not 'not a git repository'" no_out "not a git repository"
git config --global --add safe.directory "$TRASH/githome/p.git"
run_out "$TK" install "$TRASH/githome/p.git"
git config --global --unset-all safe.directory
check "with safe.directory, as git suggests: installed" test "$rc" -eq 0
check "... the hook is in place" test "$(readlink -f "$TRASH/githome/p.git/hooks/pre-receive")" = "$hook"

# doctor as root: the audit log and key as the git account
mkdir -p "$TRASH/log" "$TRASH/etc"
chmod 755 "$TRASH/log"                                                   # root's, 755
head -c 32 /dev/urandom >"$TRASH/etc/audit.key" && chmod 600 "$TRASH/etc/audit.key" # root's, 600
chmod 755 "$TRASH/etc"
{ cat "$TRASH/policy.yaml"; printf 'audit:\n  path: %s/log/audit.jsonl\n  key-file: %s/etc/audit.key\n' "$TRASH" "$TRASH"; } >"$TRASH/etc/policy.yaml"
chmod 644 "$TRASH/etc/policy.yaml"
git -C "$TRASH/githome/p.git" -c safe.directory='*' config twokey.config "$TRASH/etc/policy.yaml"
unset TWOKEY_CONFIG
run_out "$TK" doctor "$TRASH/githome/p.git"
check "doctor as root: exit 1" test "$rc" -eq 1
check "doctor as root: checks as the repository's owner" expect_out \
	"^note     checking the policy and the audit log as $gu \(uid [0-9]+\), the repository's owner"
check "doctor: the log is not writable by $gu" expect_out \
	"^PROBLEM  audit log not writable by $gu \(pushes will be refused\): $TRASH/log/audit.jsonl$"
check "doctor: the key is unreadable by $gu" expect_out \
	"^PROBLEM  audit key unreadable by the hooks' user \(pushes will be refused\): $TRASH/etc/audit.key$"
grep '^         fix: ' "$TRASH/out" | sed 's/^         fix: //' >"$TRASH/fixes"
check "doctor: two fix commands" test "$(wc -l <"$TRASH/fixes")" -eq 2
# a push as $gu fails now, as doctor said
accept_as_git() {
	runuser -u "$gu" -- env GL_USER=dave git -c safe.directory='*' -C "$w" push \
		"$TRASH/githome/p.git" "$1" >"$TRASH/out" 2>&1
}
chmod -R a+rX "$w"
if accept_as_git main; then not_ok "a push as $gu before the fixes is refused"; else ok "a push as $gu before the fixes is refused"; fi
sed 's/^sudo //; s/ && sudo / \&\& /g' "$TRASH/fixes" >"$TRASH/fixes.sh"
check "doctor's fix commands run" sh -e "$TRASH/fixes.sh"
run_out "$TK" doctor "$TRASH/githome/p.git"
check "after the fixes: doctor is content (exit 0)" test "$rc" -eq 0
check "after the fixes: the log is writable by $gu" expect_out "^ok       audit log writable: "
if accept_as_git main; then ok "after the fixes: a push as $gu is accepted"; else
	not_ok "after the fixes: a push as $gu is accepted"
	sed 's/^/#   /' "$TRASH/out"
fi
check "after the fixes: $gu wrote the record" test "$(stat -c %U "$TRASH/log/audit.jsonl")" = "$gu"
run_out "$TK" doctor --as nobody "$TRASH/githome/p.git"
check "doctor --as nobody: checks as nobody" expect_out "^note     checking the policy and the audit log as nobody"
check "doctor --as nobody: nobody cannot write the log" expect_out "^PROBLEM  audit log not writable by nobody"

done_testing
