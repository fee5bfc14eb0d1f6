#!/bin/sh
# paths: approvals by what a change touches (docs/paths.md), end to end
# through the pre-receive hook: a README-only change needs only the rule's
# own approvals; an infra/ change needs an operations approval in
# addition (refused naming the path, then accepted); a rename out of
# infra/, a deletion under infra/, a mode-only change and a submodule
# pointer change all count; a merge that brings an infra/ change in needs
# it on the merge; a require-only entry (dba); a rule whose only
# approvals come from a paths entry; warn mode; twokey check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for k in alice bob carol dave olga dina; do mkkey $k ed25519; done

write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  operations: runs production
  dba: owns the database
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  carol: {emails: [carol@example.com], logins: [carol], keys: ["$(pub carol)"], roles: [reviewer]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [operations]}
  olga: {emails: [olga@example.com], logins: [olga], keys: ["$(pub olga)"], roles: [operations, reviewer]}
  dina: {emails: [dina@example.com], logins: [dina], keys: ["$(pub dina)"], roles: [dba]}
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    approvals: {min: 1, from: [reviewer]}
    paths:
      - match: 'infra/**'
        approvals: {min: 1, from: [operations]}
      - match: 'db/migrations/'
        approvals: {require: {dba: 1}}
  - name: ops-only
    refs: 'refs/heads/ops/.+'
    paths:
      - match: 'infra/**'
        approvals: {min: 1, from: [operations]}
  - name: trial
    refs: 'refs/heads/trial/.+'
    mode: warn
    approvals: {min: 1, from: [reviewer]}
    paths:
      - match: 'infra/**'
        approvals: {min: 1, from: [operations]}
  - name: features
    refs: 'refs/heads/feature/.+'
EOF
check "the policy is valid" sh -c '"$TK_BIN/twokey" config check "$TWOKEY_CONFIG" >/dev/null'

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
for r in bob carol dave olga dina; do reviewer $r $r@example.com "$w"; done
ERR="^remote: twokey: error:"
NOTE="^remote: twokey: note:"
NOT="not approved: needs"
ACC="^remote: twokey: accepted refs/heads/main under rule 'mainline'( |$)"

# seed: README, infra/ (a file, a script, a submodule), db/migrations/
mkdir -p "$w/infra" "$w/db/migrations"
echo "readme" >"$w/README.md"
echo 'resource "vpc" {}' >"$w/infra/main.tf"
echo 'subnet' >"$w/infra/net.tf"
echo 'echo deploy' >"$w/infra/deploy.sh"
echo 'create table t (x int);' >"$w/db/migrations/001.sql"
git -C "$w" add -A
git -C "$w" update-index --add --cacheinfo \
	"160000,1111111111111111111111111111111111111111,infra/vendor"
mkdir "$w/infra/vendor" # an unpopulated submodule: git add -A keeps it
commit_as "$w" alice@example.com "seed"
m0=$(head_of "$w")
expect_push accept "seed" alice "$w" "$m0:refs/heads/feature/seed" \
	refs/heads/feature/seed "$m0"
git -C "$srv" update-ref refs/heads/main "$m0"
tip=$m0

# change SUBJECT CMD APPROVER...: a commit by alice on main's tip doing
# CMD, approved by each APPROVER; its id in $h.
change() {
	git -C "$w" checkout -q --detach "$tip"
	(cd "$w" && eval "$2")
	git -C "$w" add -A
	test_tick
	git -C "$w" -c user.name=alice -c user.email=alice@example.com \
		commit -q -m "$1"
	c0=$(head_of "$w")
	shift 2
	for r in "$@"; do
		add_trailers "$w" alice@example.com "$(approve_tk $r $r "$c0")"
	done
	h=$(head_of "$w")
}

# --- a README-only change needs only the rule's own approval ------------
change "fix a typo" "echo typo >>README.md" bob
expect_push accept "README-only change with one reviewer" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
check "no path rule applied to the README change" no_out "path rule"
tip=$h

# --- an infra/ change needs operations in addition ----------------------
change "bigger vpc" "echo 'cidr = 10/8' >>infra/main.tf" bob
expect_push refuse "infra change approved by a reviewer only" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"bigger vpc\": $NOT 1 more from role operations for path rule 'infra/\*\*' \(infra/main.tf\); counted: bob \(reviewer\) \[rule 'mainline'\]" \
	"$NOTE refs/heads/main: $(short "$h") \"bigger vpc\": path rule 'infra/\*\*' applies \(infra/main.tf\): approvals needed in addition: 1 from operations"
change "bigger vpc" "echo 'cidr = 10/8' >>infra/main.tf" dave
expect_push refuse "infra change approved by operations only: the rule's own reviewer is still needed" \
	dave "$w" HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"bigger vpc\": $NOT 1 more approval; counted: dave \(operations\)"
change "bigger vpc" "echo 'cidr = 10/8' >>infra/main.tf" bob dave
expect_push accept "infra change approved by a reviewer and operations" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC" \
	"$NOTE refs/heads/main: $(short "$h") \"bigger vpc\": path rule 'infra/\*\*' applies \(infra/main.tf\)"
tip=$h
change "bigger vpc again" "echo 'cidr = 10/7' >>infra/main.tf" olga
expect_push accept "one approver holding both roles meets both" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
tip=$h

# --- a rename out of infra/ still counts (both names) ------------------------
change "move main.tf out" "mkdir -p legacy && git mv infra/main.tf legacy/main.tf" bob
expect_push refuse "rename out of infra/ without operations" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR .*\"move main.tf out\": $NOT 1 more from role operations for path rule 'infra/\*\*' \(infra/main.tf\)"
change "move main.tf out" "mkdir -p legacy && git mv infra/main.tf legacy/main.tf" bob dave
expect_push accept "rename out of infra/ with operations" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
tip=$h
change "move it back" "git mv legacy/main.tf infra/main.tf" bob
expect_push refuse "rename into infra/ without operations" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" "(infra/main.tf)"

# --- a deletion under infra/ ------------------------------------------
change "drop the subnet" "git rm -q infra/net.tf" bob
expect_push refuse "deletion under infra/ without operations" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR .*\"drop the subnet\": $NOT 1 more from role operations for path rule 'infra/\*\*' \(infra/net.tf\)"

# --- a mode-only change and a submodule pointer change ------------------
change "make it executable" "chmod +x infra/deploy.sh" bob
check "the commit changes the mode only" sh -c \
	"git -C '$w' diff --raw HEAD^ HEAD | grep -q '^:100644 100755 \([0-9a-f]*\) \1 M	infra/deploy.sh$'"
expect_push refuse "mode-only change under infra/ without operations" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" "(infra/deploy.sh)"
change "bump the vendored module" "git update-index --cacheinfo 160000,2222222222222222222222222222222222222222,infra/vendor" bob
expect_push refuse "submodule pointer change under infra/ without operations" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" "(infra/vendor)"

# --- a merge brings an infra/ change in: approved on the merge ----------
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" alice@example.com "feature: docs" docs.txt
echo 'timeout = 30' >>"$w/infra/net.tf"
git -C "$w" add infra/net.tf
commit_as "$w" alice@example.com "feature: subnet timeout"
commit_as "$w" alice@example.com "feature: more docs" docs.txt
f=$(head_of "$w")
expect_push accept "the feature goes to an unprotected branch" alice "$w" \
	"$f:refs/heads/feature/net" refs/heads/feature/net "$f"
git -C "$w" checkout -q --detach "$tip"
test_tick
git -C "$w" -c user.name=carol -c user.email=carol@example.com \
	merge -q --no-ff -m "Merge feature net" "$f" >/dev/null 2>&1
mg=$(head_of "$w")
t_bob=$(approve_tk bob bob "$mg")
t_dave=$(approve_tk dave dave "$mg")
add_trailers "$w" carol@example.com "$t_bob"
h=$(head_of "$w")
expect_push refuse "merge bringing in an infra/ change, reviewer only" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"Merge feature net\": $NOT 1 more from role operations for path rule 'infra/\*\*' \(infra/net.tf\)"
check "only the merge is asked for approvals" no_out "\"feature: .*not approved"
git -C "$w" reset -q --hard "$mg"
add_trailers "$w" carol@example.com "$t_bob" "$t_dave"
h=$(head_of "$w")
expect_push accept "merge bringing in an infra/ change, approved on the merge" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
tip=$h

# a change made and reverted inside a merged branch still counts
git -C "$w" checkout -q --detach "$tip"
echo 'tmp' >>"$w/infra/main.tf"
git -C "$w" add infra/main.tf
commit_as "$w" alice@example.com "try something"
git -C "$w" revert --no-edit HEAD >/dev/null
f=$(head_of "$w")
git -C "$w" checkout -q --detach "$tip"
test_tick
git -C "$w" -c user.name=carol -c user.email=carol@example.com \
	merge -q --no-ff -m "Merge experiment" "$f" >/dev/null 2>&1
mg=$(head_of "$w")
add_trailers "$w" carol@example.com "$(approve_tk bob bob "$mg")"
h=$(head_of "$w")
expect_push refuse "an infra/ change reverted inside the merged branch still counts" \
	dave "$w" HEAD:refs/heads/main refs/heads/main "$tip" \
	"\"Merge experiment\": $NOT 1 more from role operations for path rule 'infra/\*\*' \(infra/main.tf\)"

# --- an entry with require only: the dba's approval counts ---------------
change "add a column" "echo 'alter table t add y int;' >db/migrations/002.sql" bob
expect_push refuse "migration without the dba" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$tip" \
	"$NOT 1 more from role dba for path rule 'db/migrations/' \(db/migrations/002.sql\)"
change "add a column" "echo 'alter table t add y int;' >db/migrations/002.sql" bob dina
expect_push accept "migration with a reviewer and the dba" dave "$w" \
	HEAD:refs/heads/main refs/heads/main "$h" "$ACC"
tip=$h

# --- a rule whose only approvals come from paths -----------------------
expect_push accept "ops/x created at main" dave "$w" "$tip:refs/heads/ops/x" \
	refs/heads/ops/x "$tip"
change "readme again" "echo more >>README.md"
expect_push accept "README change needs nothing under ops-only" dave "$w" \
	HEAD:refs/heads/ops/x refs/heads/ops/x "$h"
ops=$h
git -C "$w" checkout -q --detach "$ops"
echo 'x' >>"$w/infra/main.tf"
git -C "$w" add -A
commit_as "$w" alice@example.com "ops tweak"
c0=$(head_of "$w")
expect_push refuse "infra change with no approval under ops-only" dave "$w" \
	HEAD:refs/heads/ops/x refs/heads/ops/x "$ops" \
	"$ERR refs/heads/ops/x: $(short "$c0") \"ops tweak\": $NOT 1 more from role operations for path rule 'infra/\*\*' \(infra/main.tf\); counted: none \[rule 'ops-only'\]"
add_trailers "$w" alice@example.com "$(approve_tk dave dave "$c0")"
h=$(head_of "$w")
expect_push accept "infra change with operations under ops-only" dave "$w" \
	HEAD:refs/heads/ops/x refs/heads/ops/x "$h"

# --- warn mode reports the missing approval and accepts ----------------
git -C "$w" checkout -q --detach "$tip"
echo 'y' >>"$w/infra/main.tf"
git -C "$w" add -A
commit_as "$w" alice@example.com "trial tweak"
c0=$(head_of "$w")
add_trailers "$w" alice@example.com "$(approve_tk bob bob "$c0")"
h=$(head_of "$w")
expect_push accept "warn mode: infra change without operations" dave "$w" \
	HEAD:refs/heads/trial/a refs/heads/trial/a "$h" \
	"^remote: twokey: warning: refs/heads/trial/a: $(short "$h") \"trial tweak\": $NOT 1 more from role operations for path rule 'infra/\*\*'" \
	"^remote: twokey: accepted refs/heads/trial/a under rule 'trial' in warn mode"

# --- the update hook decides the same -----------------------------------
upd=$(new_server upd update)
git -C "$upd" fetch -q "$srv" "refs/heads/main:refs/heads/main"
change "update: vpc" "echo 'cidr = 10/6' >>infra/main.tf" bob
if push_as dave "$w" "$upd" HEAD:refs/heads/main; then
	not_ok "update hook: infra change without operations (push accepted)"
else
	ok "update hook: infra change without operations"
fi
check "update hook: names the path rule and the path" expect_out \
	"$NOT 1 more from role operations for path rule 'infra/\*\*' \(infra/main.tf\)"
change "update: readme" "echo u >>README.md" bob
if push_as dave "$w" "$upd" HEAD:refs/heads/main; then
	ok "update hook: README change with a reviewer"
else
	not_ok "update hook: README change with a reviewer (push refused)"
	sed 's/^/#   /' "$TRASH/out"
fi

# --- twokey check says the same without a push -------------------------
git -C "$w" checkout -q --detach "$tip"
echo 'z' >>"$w/infra/net.tf"
git -C "$w" add -A
commit_as "$w" alice@example.com "check me"
c0=$(head_of "$w")
git -C "$w" push -q "$srv" "$c0:refs/heads/feature/check" 2>/dev/null
(cd "$srv" && "$TK_BIN/twokey" check --pusher dave refs/heads/main "$tip" "$c0") \
	>"$TRASH/out" 2>&1
check "twokey check: refused, naming the path rule" expect_out \
	"error: refs/heads/main: $(short "$c0") \"check me\": $NOT 1 more approval, and 1 more from role operations for path rule 'infra/\*\*' \(infra/net.tf\)"
check "twokey check: the note says which path rule applied" expect_out \
	"note: refs/heads/main: $(short "$c0") \"check me\": path rule 'infra/\*\*' applies \(infra/net.tf\)"

done_testing
