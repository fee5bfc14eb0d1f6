#!/bin/sh
# require-trailers and emails (docs/paths.md), end to end: a chain commit
# without its Change trailer, with a malformed one, with one outside the
# trailer block, with two of which one is wrong, and with a good one (key
# case-insensitive); a merge's trailer covers what it brings in; an author
# or committer email outside the admitted domain, on the chain and on a
# commit a merge brings in; warn mode.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for k in alice bob dave; do mkkey $k ed25519; done

write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  operations: deploys
identities:
  alice: {emails: [alice@example.com, alice@gmail.example], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [operations]}
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    approvals: {min: 1, from: [reviewer]}
    require-trailers:
      Change: 'CHG[0-9]{6}'
    emails: '[a-z]+@example\.com'
  - name: tickets
    refs: 'refs/heads/tickets/.+'
    require-trailers:
      Ticket: '[A-Z]+-[0-9]+'
  - name: trial
    refs: 'refs/heads/trial/.+'
    mode: warn
    emails: '[a-z]+@example\.com'
  - name: features
    refs: 'refs/heads/feature/.+'
EOF
check "the policy is valid" sh -c '"$TK_BIN/twokey" config check "$TWOKEY_CONFIG" >/dev/null'

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
reviewer bob bob@example.com "$w"
ERR="^remote: twokey: error:"
ACC="^remote: twokey: accepted refs/heads/main under rule 'mainline'( |$)"
PAT="'CHG\[0-9\]\{6\}'"

commit_as "$w" alice@example.com "seed"
m0=$(head_of "$w")
expect_push accept "seed" alice "$w" "$m0:refs/heads/feature/seed" \
	refs/heads/feature/seed "$m0"
git -C "$srv" update-ref refs/heads/main "$m0"
tip=$m0

# msg SUBJECT [PARAGRAPH...]: a commit by alice on main's tip with that
# message, approved by bob; its id in $h.
msg() {
	git -C "$w" checkout -q --detach "$tip"
	test_tick
	echo "$tk_tick" >>"$w/file"
	git -C "$w" add file
	s=$1
	shift
	for p in "$@"; do set -- "$@" -m "$p"; shift; done
	git -C "$w" -c user.name=alice -c user.email=alice@example.com \
		commit -q -m "$s" "$@"
	c0=$(head_of "$w")
	add_trailers "$w" alice@example.com "$(approve_tk bob bob "$c0")"
	h=$(head_of "$w")
}
push_main() {
	expect_push "$1" "$2" dave "$w" HEAD:refs/heads/main refs/heads/main \
		"$3" "$4"
}

msg "no ticket"
push_main refuse "no Change trailer" "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"no ticket\": missing trailer 'Change:' in the trailer block \(the rule requires one matching $PAT\) \[rule 'mainline'\]; next: add or fix it with git commit --amend --trailer"
msg "short ticket" "Change: CHG12"
push_main refuse "a malformed Change trailer" "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"short ticket\": trailer 'Change: CHG12' does not match $PAT"
msg "ticket and more" "Change: CHG123456 and then some"
push_main refuse "a Change value that only starts right" "$tip" \
	"trailer 'Change: CHG123456 and then some' does not match $PAT"
msg "ticket in the body" "Change: CHG123456" "This paragraph is prose, so the trailer above is not in the trailer block."
push_main refuse "a Change line outside the trailer block" "$tip" \
	"\"ticket in the body\": missing trailer 'Change:'"
msg "two tickets" "Change: CHG123456
Change: CHG1"
push_main refuse "two Change trailers, one malformed" "$tip" \
	"trailer 'Change: CHG1' does not match $PAT"
msg "good ticket" "Change: CHG123456"
push_main accept "a good Change trailer" "$h" "$ACC"
check "no trailer complaint" no_out "missing trailer|does not match"
tip=$h
msg "lower-case key" "change: CHG654321"
push_main accept "the key matches case-insensitively" "$h" "$ACC"
tip=$h

# --- a merge's trailer covers the commits it brings in ---------------------
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" alice@example.com "feature one" f1.txt
commit_as "$w" alice@example.com "feature two" f2.txt
f=$(head_of "$w")
git -C "$w" checkout -q --detach "$tip"
test_tick
git -C "$w" -c user.name=dave -c user.email=dave@example.com \
	merge -q --no-ff -m "Merge feature" -m "Change: CHG000042" "$f" >/dev/null 2>&1
mg=$(head_of "$w")
add_trailers "$w" dave@example.com "$(approve_tk bob bob "$mg")"
h=$(head_of "$w")
push_main accept "one Change trailer on the merge is enough" "$h" "$ACC"
tip=$h
git -C "$w" checkout -q --detach "$tip"
commit_as "$w" alice@example.com "feature three" f3.txt
f=$(head_of "$w")
git -C "$w" checkout -q --detach "$tip"
test_tick
git -C "$w" -c user.name=dave -c user.email=dave@example.com \
	merge -q --no-ff -m "Merge feature three" "$f" >/dev/null 2>&1
mg=$(head_of "$w")
add_trailers "$w" dave@example.com "$(approve_tk bob bob "$mg")"
h=$(head_of "$w")
push_main refuse "a merge without the trailer" "$tip" \
	"\"Merge feature three\": missing trailer 'Change:'"
check "the brought-in commit is not asked for one" no_out "\"feature three\": missing"

# --- a rule with require-trailers and no approvals ---------------------------
# main's rule asks no Ticket trailer, so main vouches for nothing a
# tickets/ ref brings in: creating one at main needs tickets all the way.
expect_push refuse "tickets rule: created at main, whose commits have none" \
	alice "$w" "$tip:refs/heads/tickets/a" refs/heads/tickets/a "" \
	"\"seed\": missing trailer 'Ticket:'"
git -C "$w" checkout -q --orphan tickets
test_tick
git -C "$w" -c user.name=alice -c user.email=alice@example.com \
	commit -q -m "start" -m "Ticket: OPS-1"
t1=$(head_of "$w")
expect_push accept "tickets rule: a new history with a Ticket trailer" alice \
	"$w" HEAD:refs/heads/tickets/a refs/heads/tickets/a "$t1"
commit_as "$w" alice@example.com "no ticket here"
expect_push refuse "tickets rule: no Ticket trailer" alice "$w" \
	HEAD:refs/heads/tickets/a refs/heads/tickets/a "$t1" \
	"\"no ticket here\": missing trailer 'Ticket:'"
git -C "$w" commit -q --amend -m "ticketed" -m "Ticket: OPS-7"
h=$(head_of "$w")
expect_push accept "tickets rule: a Ticket trailer and no approval" alice "$w" \
	HEAD:refs/heads/tickets/a refs/heads/tickets/a "$h"

# --- emails: author and committer must be in the admitted domain ------------
git -C "$w" checkout -q --detach "$tip"
test_tick
echo x >>"$w/file"
git -C "$w" add file
git -C "$w" -c user.name=alice -c user.email=alice@gmail.example \
	commit -q -m "from home" -m "Change: CHG111111"
c0=$(head_of "$w")
add_trailers "$w" alice@gmail.example "$(approve_tk bob bob "$c0")"
h=$(head_of "$w")
push_main refuse "author and committer with a foreign domain" "$tip" \
	"$ERR refs/heads/main: $(short "$h") \"from home\": author email <alice@gmail\.example> does not match the rule's emails pattern '\[a-z\]\+@example\\\\\.com'"
check "the committer is named too" expect_out \
	"\"from home\": committer email <alice@gmail\.example> does not match"
# the author only
git -C "$w" checkout -q --detach "$tip"
test_tick
echo y >>"$w/file"
git -C "$w" add file
GIT_AUTHOR_NAME=alice GIT_AUTHOR_EMAIL=alice@gmail.example \
	git -C "$w" -c user.name=alice -c user.email=alice@example.com \
	commit -q -m "authored at home" -m "Change: CHG222222"
c0=$(head_of "$w")
add_trailers "$w" alice@example.com "$(approve_tk bob bob "$c0")"
h=$(head_of "$w")
git -C "$w" log -1 --format=%ae >"$TRASH/ae"
check "the author is still the foreign address after amending" grep -qx alice@gmail.example "$TRASH/ae"
push_main refuse "a foreign author only" "$tip" \
	"\"authored at home\": author email <alice@gmail\.example> does not match"
check "the admitted committer is not named" no_out "\"authored at home\": committer email"
# the committer only
git -C "$w" checkout -q --detach "$tip"
test_tick
echo z >>"$w/file"
git -C "$w" add file
GIT_AUTHOR_NAME=alice GIT_AUTHOR_EMAIL=alice@example.com \
	git -C "$w" -c user.name=alice -c user.email=alice@gmail.example \
	commit -q -m "committed at home" -m "Change: CHG333333"
c0=$(head_of "$w")
add_trailers "$w" alice@gmail.example "$(approve_tk bob bob "$c0")"
h=$(head_of "$w")
push_main refuse "a foreign committer only" "$tip" \
	"\"committed at home\": committer email <alice@gmail\.example> does not match"
check "the admitted author is not named" no_out "\"committed at home\": author email"
# a commit a merge brings in is an entering commit too
git -C "$w" checkout -q --detach "$tip"
test_tick
echo w >>"$w/f4.txt"
git -C "$w" add f4.txt
git -C "$w" -c user.name=alice -c user.email=alice@gmail.example \
	commit -q -m "side from home"
f=$(head_of "$w")
git -C "$w" checkout -q --detach "$tip"
test_tick
git -C "$w" -c user.name=dave -c user.email=dave@example.com \
	merge -q --no-ff -m "Merge side" -m "Change: CHG444444" "$f" >/dev/null 2>&1
mg=$(head_of "$w")
add_trailers "$w" dave@example.com "$(approve_tk bob bob "$mg")"
h=$(head_of "$w")
push_main refuse "a brought-in commit with a foreign author" "$tip" \
	"$ERR refs/heads/main: $(short "$f") \"side from home\": author email <alice@gmail\.example> does not match"

# --- warn mode ----------------------------------------------------------
git -C "$w" checkout -q --detach "$f"
h=$(head_of "$w")
expect_push accept "warn mode: a foreign author is reported" alice "$w" \
	HEAD:refs/heads/trial/a refs/heads/trial/a "$h" \
	"^remote: twokey: warning: refs/heads/trial/a: $(short "$h") \"side from home\": author email <alice@gmail\.example> does not match"

done_testing
