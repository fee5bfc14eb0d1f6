#!/bin/sh
# Attacks on the contract, second batch (t0140 is the first): policy
# typos that must be refused rather than widen, the exit status of every
# command, exact approval and note formats, keys held twice, emergency
# options spelled otherwise, freeze edges, paths globs, evidence filters
# and audit fields.  Each case is a real push or a real command, next to
# its legitimate twin where there is one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"
. "$(dirname "$0")/lib-notes.sh"
TK="$TK_BIN/twokey"

# run_out CMD...: CMD's stdout+stderr in $TRASH/out, its status in rc.
run_out() {
	"$@" >"$TRASH/out" 2>&1
	rc=$?
}
# status_is DESC WANT CMD...: CMD exits with WANT.
status_is() {
	d=$1 want=$2
	shift 2
	run_out "$@"
	if [ "$rc" -eq "$want" ]; then ok "$d (exit $want)"; else
		not_ok "$d (exit $rc, expected $want)"
		sed 's/^/#   /' "$TRASH/out" | head -20
	fi
}

for k in bob pat rita sam vic olga; do mkkey $k ed25519; done
LOG=$TRASH/audit.jsonl
FREEZE=$TRASH/freeze
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves, operations: on call, security: sec}
identities:
  bob: {name: Bob Reviewer, emails: [bob@example.com, Bob.Two@Example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  pat: {emails: [pat@example.com], logins: [pat], keys: ["$(pub pat)"], roles: [operations, reviewer]}
  rita: {emails: [rita@example.com], logins: [rita], keys: ["$(pub rita)"], roles: [developer, reviewer]}
  sam: {emails: [sam@example.com], logins: [sam], keys: ["$(pub sam)"], roles: [security, reviewer]}
  vic: {emails: [vic@example.com], logins: [vic], keys: [{key: "$(pub vic)", valid-after: 2099-01-01}], roles: [reviewer]}
  olga: {emails: [olga@example.com], logins: [olga], keys: ["$(pub olga)"], roles: [operations, reviewer]}
pusher: {env: [GL_USER]}
audit: {path: $LOG}
freeze-file: $FREEZE
rules:
  - name: mainline
    refs: refs/heads/main
    pusher-may-approve: false
    approvals: {min: 1, from: [reviewer]}
    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 24h, min: 1, from: [reviewer], overdue: block}
  - name: two
    refs: refs/heads/two
    approvals: {min: 2, from: [reviewer]}
  - name: ops
    refs: refs/heads/ops
    update: [operations]
  - name: paths
    refs: refs/heads/paths
    paths:
      - match: 'deep/**/x.conf'
        approvals: {min: 1, from: [security]}
      - match: 'dir/'
        approvals: {min: 1, from: [security]}
      - match: 'top/*'
        approvals: {min: 1, from: [security]}
      - match: '.ci/**'
        writers: [operations]
EOF
POL=$TRASH/policy.yaml

# fails DESC CMD...: CMD exits 1 or 2 (a failure or a usage error).
fails() {
	d=$1
	shift
	run_out "$@"
	if [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; then ok "$d (exit $rc)"; else
		not_ok "$d (exit $rc, expected 1 or 2)"
		sed 's/^/#   /' "$TRASH/out" | head -20
	fi
}

# ============================== policy typos ===============================
# variant DESC OLD NEW [REGEX]: the policy with the first OLD replaced by
# NEW must be refused by config check (exit 1, file:line:col), and a push
# under it refused.
variant() {
	python3 - "$POL" "$TRASH/variant.yaml" "$2" "$3" <<'EOF' || { not_ok "$1: (test) '$2' not in the policy"; return; }
import sys
t = open(sys.argv[1]).read()
if sys.argv[3] not in t:
    sys.exit(1)
open(sys.argv[2], 'w').write(t.replace(sys.argv[3], sys.argv[4], 1))
EOF
	run_out "$TK" config check "$TRASH/variant.yaml"
	if [ "$rc" -eq 1 ] && grep -Eq "variant\.yaml:[0-9]+:[0-9]+: (error: )?${4:-}" "$TRASH/out"; then
		ok "policy with $1: refused by config check, with file:line:col"
	else
		not_ok "policy with $1: config check exit $rc"
		sed 's/^/#   /' "$TRASH/out" | head -8
	fi
}
variant "an unknown top-level key" "freeze-file:" "freeze-files:"
variant "an unknown rule key" "    pusher-may-approve: false" "    pusher-may-aprove: false"
variant "an unknown approvals key" "approvals: {min: 1, from: [reviewer]}" "approvals: {mni: 1, from: [reviewer]}"
variant "an unknown emergency key" "      waive: [approvals]" "      wiave: [approvals]"
variant "an unknown waive value" "      waive: [approvals]" "      waive: [approval]"
variant "an unknown ratify key" "ratify: {within: 24h" "ratify: {withn: 24h"
variant "a ratify.within without a unit" "within: 24h" "within: 24"
variant "a ratify.within in seconds" "within: 24h" "within: 24s"
variant "a ratify.within of zero" "within: 24h" "within: 0h"
variant "a negative ratify.within" "within: 24h" "within: -1h"
variant "a ratify.within in weeks" "within: 24h" "within: 1w"
variant "ratify.within with a space" "within: 24h" "within: 24 h"
variant "a misspelt overdue" "overdue: block" "overdue: blok"
variant "overdue in capitals" "overdue: block" "overdue: BLOCK"
variant "a ratify.require role not in ratify.from" "min: 1, from: [reviewer], overdue" "min: 1, from: [reviewer], require: {security: 1}, overdue"
variant "a ratify.from with an unknown role" "min: 1, from: [reviewer], overdue" "min: 1, from: [reviewers], overdue"
variant "emergency.by with an unknown role" "by: [operations]" "by: [operation]"
variant "an empty emergency.by" "by: [operations]" "by: []"
variant "an emergency without by" "      by: [operations]
" ""
variant "an invalid emergency.reason pattern" "      waive: [approvals]" "      reason: '(INC'
      waive: [approvals]"
variant "an unknown paths entry key" "match: 'dir/'" "mach: 'dir/'"
variant "an unknown key in a paths entry's approvals" "approvals: {min: 1, from: [security]}" "approvals: {min: 1, form: [security]}"
variant "paths writers with an unknown role" "writers: [operations]" "writers: [operation]"
variant "a paths glob with ** inside a segment" "match: '.ci/**'" "match: '.ci/**.yml'"
variant "a paths glob with a .. segment" "match: '.ci/**'" "match: '.ci/../x'"
variant "a paths glob with an empty segment" "match: '.ci/**'" "match: '.ci//x'"
variant "paths as a map" "    paths:
      - match: 'deep/**/x.conf'" "    paths:
      match: 'deep/**/x.conf'
    paths2:
      - match: 'deep/**/x.conf'"
variant "an unknown identity key" "  pat: {emails:" "  pat: {email: [pat2@example.com], emails:"
variant "an unknown key-map key" "valid-after: 2099-01-01" "valid-afer: 2099-01-01"
variant "a key-map validity as a date-time with an offset" "valid-after: 2099-01-01" "valid-after: 2099-01-01T00:00:00+01:00"
variant "an unknown audit key" "audit: {path:" "audit: {pth: x, path:"
variant "an unknown pusher key" "pusher: {env: [GL_USER]}" "pusher: {env: [GL_USER], evn: [X]}"
variant "a duplicate key in approvals" "approvals: {min: 1, from: [reviewer]}" "approvals: {min: 1, from: [reviewer], min: 0}"
variant "a duplicate key in ratify" "overdue: block}" "overdue: block, overdue: warn}"
variant "a duplicate rule key" "    pusher-may-approve: false" "    pusher-may-approve: false
    pusher-may-approve: true"
variant "a duplicate identity" "  olga: {" "  pat: {emails: [p2@example.com]}
  olga: {"
variant "a duplicate top-level key" "freeze-file:" "audit: {path: /tmp/x}
freeze-file:"
variant "an anchor and alias" "approvals: {min: 1, from: [reviewer]}" "approvals: &ap {min: 1, from: [reviewer]}
    x-copy: *ap"
variant "a merge key" "  - name: two
    refs: refs/heads/two
    approvals: {min: 2, from: [reviewer]}" "  - name: two
    refs: refs/heads/two
    <<: {approvals: {min: 2, from: [reviewer]}}"
variant "a !!str tag on min" "approvals: {min: 2," "approvals: {min: !!str 2,"
variant "a !!int tag" "approvals: {min: 2," "approvals: {min: !!int 2,"
variant "a local tag" "refs: refs/heads/two" "refs: !re refs/heads/two"
variant "a quoted min" "approvals: {min: 2," "approvals: {min: '2',"
variant "a float min" "approvals: {min: 2," "approvals: {min: 2.0,"
variant "a hex min" "approvals: {min: 2," "approvals: {min: 0x2,"
variant "a negative min" "approvals: {min: 2," "approvals: {min: -2,"
variant "min with a plus sign" "approvals: {min: 2," "approvals: {min: +2,"
variant "a yes boolean" "pusher-may-approve: false" "pusher-may-approve: no"
variant "a quoted boolean" "pusher-may-approve: false" "pusher-may-approve: 'false'"
variant "a null boolean" "pusher-may-approve: false" "pusher-may-approve:"
variant "refs as a list" "refs: refs/heads/two" "refs: [refs/heads/two]"
variant "roles as a string" "roles: [developer, reviewer]}" "roles: developer}"
variant "an empty mode" "    refs: refs/heads/ops" "    refs: refs/heads/ops
    mode: ''"
variant "mode enforced" "    refs: refs/heads/ops" "    refs: refs/heads/ops
    mode: enforced"
variant "a second document" "rules:" "---
rules:"
variant "version 2" "version: 1" "version: 2"
variant "a quoted version" "version: 1" "version: '1'"
variant "require-trailers with a non-string pattern" "    refs: refs/heads/ops" "    refs: refs/heads/ops
    require-trailers: {Change: [x]}"
variant "require-trailers asking for Approved-by" "    refs: refs/heads/ops" "    refs: refs/heads/ops
    require-trailers: {approved-by: '.+'}"
variant "require-trailers with a key git cannot write" "    refs: refs/heads/ops" "    refs: refs/heads/ops
    require-trailers: {'Change id': '.+'}"
variant "emails with an invalid pattern" "    refs: refs/heads/ops" "    refs: refs/heads/ops
    emails: '(x'"
variant "a freeze without until" "freeze-file:" "freezes:
  - {name: f1, refs: refs/heads/x, from: 2026-01-01T00:00:00Z, reason: r}
freeze-file:"
variant "a freeze ending before it starts" "freeze-file:" "freezes:
  - {name: f1, refs: refs/heads/x, from: 2026-01-02T00:00:00Z, until: 2026-01-01T00:00:00Z, reason: r}
freeze-file:"
variant "a freeze ending when it starts" "freeze-file:" "freezes:
  - {name: f1, refs: refs/heads/x, from: 2026-01-02T00:00:00Z, until: 2026-01-02T00:00:00Z, reason: r}
freeze-file:"
variant "two freezes with one name" "freeze-file:" "freezes:
  - {name: f1, refs: refs/heads/x, from: 2026-01-01T00:00:00Z, until: 2026-01-02T00:00:00Z, reason: r}
  - {name: f1, refs: refs/heads/y, from: 2026-01-01T00:00:00Z, until: 2026-01-02T00:00:00Z, reason: r}
freeze-file:"
variant "an unknown freeze key" "freeze-file:" "freezes:
  - {name: f1, refs: refs/heads/x, from: 2026-01-01T00:00:00Z, untill: 2026-01-02T00:00:00Z, reason: r}
freeze-file:"
variant "a freeze with a lower-case z" "freeze-file:" "freezes:
  - {name: f1, refs: refs/heads/x, from: 2026-01-01T00:00:00z, until: 2026-01-02T00:00:00Z, reason: r}
freeze-file:"
variant "a freeze with an invalid pattern" "freeze-file:" "freezes:
  - {name: f1, refs: '(x', from: 2026-01-01T00:00:00Z, until: 2026-01-02T00:00:00Z, reason: r}
freeze-file:"
variant "a key under two identities" "  olga: {emails: [olga@example.com], logins: [olga], keys: [\"$(pub olga)\"]" "  olga: {emails: [olga@example.com], logins: [olga], keys: [\"$(pub pat)\"]"
variant "a key under two identities (comment differs)" "  olga: {emails: [olga@example.com], logins: [olga], keys: [\"$(pub olga)\"]" "  olga: {emails: [olga@example.com], logins: [olga], keys: [\"$(pub pat | sed 's/ [^ ]*$/ other-comment/')\"]"
variant "one email under two identities (case differs)" "  olga: {emails: [olga@example.com]" "  olga: {emails: [olga@example.com, PAT@example.com]"
variant "one login under two identities" "  olga: {emails: [olga@example.com], logins: [olga]" "  olga: {emails: [olga@example.com], logins: [olga, pat]"
variant "a tab before a key (YAML forbids tabs in indentation)" "    refs: refs/heads/ops" "	refs: refs/heads/ops"
variant "Version in capitals" "version: 1" "Version: 1"
variant "a rule key in capitals" "    refs: refs/heads/ops" "    Refs: refs/heads/ops"
variant "a duplicate key, once quoted" "approvals: {min: 1, from: [reviewer]}" "approvals: {min: 1, from: [reviewer], \"min\": 0}"
variant "a duplicate key, once in a double-quoted escape" "approvals: {min: 1, from: [reviewer]}" "approvals: {min: 1, from: [reviewer], \"m\\x69n\": 0}"
variant "an empty delete (null is not nobody)" "    update: [operations]" "    update: [operations]
    delete:"
variant "delete: ~" "    update: [operations]" "    update: [operations]
    delete: ~"
variant "delete: null" "    update: [operations]" "    update: [operations]
    delete: null"
variant "update: '' (a string)" "    update: [operations]" "    update: ''"
variant "an empty approvals map" "approvals: {min: 2, from: [reviewer]}" "approvals: {}"
variant "approvals: null" "approvals: {min: 2, from: [reviewer]}" "approvals:"
variant "an empty refs pattern" "refs: refs/heads/two" "refs: ''"
variant "an empty emergency" "    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 24h, min: 1, from: [reviewer], overdue: block}" "    emergency: {}"
variant "emergency: null" "    emergency:
      by: [operations]
      waive: [approvals]
      ratify: {within: 24h, min: 1, from: [reviewer], overdue: block}" "    emergency:"
variant "an emergency without ratify" "
      ratify: {within: 24h, min: 1, from: [reviewer], overdue: block}" ""
variant "a min too large for any integer" "approvals: {min: 2," "approvals: {min: 99999999999999999999,"
variant "an unused anchor on a scalar" "approvals: {min: 2," "approvals: {min: &two 2,"
variant "a complex (sequence) key" "    refs: refs/heads/ops" "    refs: refs/heads/ops
    ? [update, create]
    : [operations]"
variant "a %TAG directive and a tag" "version: 1" "%TAG !e! tag:example.com,2000:
---
version: !e!one 1"
variant "a paths entry without match" "      - match: 'dir/'
        approvals: {min: 1, from: [security]}" "      - approvals: {min: 1, from: [security]}"
variant "paths: []" "    paths:
      - match: 'deep/**/x.conf'" "    paths: []
    x:
      - match: 'deep/**/x.conf'"
variant "a freeze with an empty pattern" "freeze-file:" "freezes:
  - {name: f1, refs: '', from: 2026-01-01T00:00:00Z, until: 2099-01-02T00:00:00Z, reason: r}
freeze-file:"
check "the twin: the policy itself is valid" sh -c '"$1" config check "$2" >/dev/null 2>&1' - "$TK" "$POL"

# warns DESC OLD NEW REGEX: the variant is valid (exit 0) with a
# file:line:col warning matching REGEX, and --strict fails it (exit 1).
warns() {
	python3 - "$POL" "$TRASH/variant.yaml" "$2" "$3" <<'EOF' || { not_ok "$1: (test) '$2' not in the policy"; return; }
import sys
t = open(sys.argv[1]).read()
if sys.argv[3] not in t:
    sys.exit(1)
open(sys.argv[2], 'w').write(t.replace(sys.argv[3], sys.argv[4], 1))
EOF
	run_out "$TK" config check "$TRASH/variant.yaml"
	if [ "$rc" -eq 0 ] && grep -Eq "variant\.yaml:[0-9]+:[0-9]+: warning: .*$4" "$TRASH/out"; then
		ok "policy with $1: a warning with file:line:col"
	else
		not_ok "policy with $1: config check exit $rc, or no warning /$4/"
		sed 's/^/#   /' "$TRASH/out" | head -8
	fi
	run_out "$TK" config check --strict "$TRASH/variant.yaml"
	if [ "$rc" -eq 1 ]; then ok "...--strict fails it"; else not_ok "...--strict exit $rc"; fi
}
warns "refs that look like a glob (/*)" "refs: refs/heads/ops" "refs: 'refs/heads/*'" "glob"
warns "refs that look like a glob ({a,b})" "refs: refs/heads/ops" "refs: 'refs/heads/{ops,dev}'" "glob|brace"
warns "refs not starting with refs/" "refs: refs/heads/ops" "refs: 'heads/ops'" "refs/"
warns "a rule shadowed by a catch-all" "  - name: mainline" "  - name: all
    refs: 'refs/heads/.*'
  - name: mainline" "never|shadow|earlier"
warns "a rule nobody can satisfy (min 3 of security)" "approvals: {min: 2, from: [reviewer]}" "approvals: {min: 3, from: [security]}" "satisf|eligible|nobody|fewer"
warns "a role nobody holds" "roles: {developer: writes," "roles: {dba: databases, developer: writes," "dba"
warns "a key expiring within 30 days" "valid-after: 2099-01-01" "valid-before: $(date -u -d '+10 days' +%Y-%m-%d)" "expir"

# ============================== commands and exit codes ===============================
for c in "" approve check "config check" "config report" "config diff" "config replay" \
	"config allowed-signers" "config compile" install doctor "audit verify" \
	"audit show" "audit report" "audit reconcile" "audit stats" "audit emergencies" \
	"audit init-db" "audit export" "freeze start" "freeze stop" "freeze status"; do
	# shellcheck disable=SC2086
	status_is "twokey $c --help" 0 "$TK" $c --help
	# shellcheck disable=SC2086
	[ -z "$c" ] || status_is "twokey $c --bogus (an unknown option)" 2 "$TK" $c --bogus
done
status_is "twokey --version" 0 "$TK" --version
status_is "twokey-pre-receive --version" 0 "$TK_BIN/twokey-pre-receive" --version
status_is "twokey-update --version" 0 "$TK_BIN/twokey-update" --version
status_is "twokey-pre-receive --help" 0 "$TK_BIN/twokey-pre-receive" --help
status_is "twokey-update --help" 0 "$TK_BIN/twokey-update" --help
status_is "twokey with an unknown command" 2 "$TK" frobnicate
status_is "twokey audit with an unknown subcommand" 2 "$TK" audit frobnicate
status_is "twokey config check with an unknown option" 2 "$TK" config check --stirct "$POL"
status_is "twokey config check of a missing file" 1 "$TK" config check "$TRASH/nope.yaml"

srv=$(new_server srv)
git -C "$srv" config receive.advertisePushOptions true
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" rita@example.com "base"
base=$(head_of "$w")
git -C "$w" push -q origin HEAD:refs/heads/feature 2>/dev/null
for b in main two ops paths; do git -C "$srv" update-ref refs/heads/$b "$base"; done
Z=0000000000000000000000000000000000000000
commit_as "$w" rita@example.com "unapproved"
u1=$(head_of "$w")
git -C "$w" push -q origin +HEAD:refs/heads/wip 2>/dev/null

# the hooks themselves: 0 accepts, 1 refuses, whatever the reason
hook() { (cd "$srv" && GL_USER=${HOOK_USER:-rita} "$@"); }
# the update hook refuses everything where push options are advertised
# (it cannot see them; t0175): these calls are of an update-hook server
git -C "$srv" config receive.advertisePushOptions false
status_is "twokey-update REF OLD NEW, refused" 1 hook "$TK_BIN/twokey-update" refs/heads/main "$base" "$u1"
status_is "twokey-update on an unprotected ref" 0 hook "$TK_BIN/twokey-update" refs/heads/free "$Z" "$u1"
status_is "twokey-update with two arguments" 1 hook "$TK_BIN/twokey-update" refs/heads/free "$Z"
status_is "twokey-update with four arguments" 1 hook "$TK_BIN/twokey-update" refs/heads/free "$Z" "$u1" x
status_is "twokey-update with a short object id" 1 hook "$TK_BIN/twokey-update" refs/heads/free "$Z" "${u1%?}"
status_is "twokey-update with an unknown object" 1 hook "$TK_BIN/twokey-update" refs/heads/main "$base" "$(echo "$u1" | tr 0-9a-f 1-9a-f0)"
git -C "$srv" config receive.advertisePushOptions true
status_is "twokey-pre-receive, a malformed line" 1 sh -c 'echo "garbage" | (cd "$1" && GL_USER=rita "$2")' - "$srv" "$TK_BIN/twokey-pre-receive"
status_is "twokey-pre-receive, a line with two spaces" 1 sh -c 'printf "%s  %s refs/heads/free\n" "$3" "$4" | (cd "$1" && GL_USER=rita "$2")' - "$srv" "$TK_BIN/twokey-pre-receive" "$Z" "$u1"
status_is "twokey-pre-receive, a line without a newline at the end (git always ends them)" 1 sh -c 'printf "%s %s refs/heads/free" "$3" "$4" | (cd "$1" && GL_USER=rita "$2")' - "$srv" "$TK_BIN/twokey-pre-receive" "$Z" "$u1"
status_is "twokey-pre-receive, an unknown argument" 1 sh -c 'printf "%s %s refs/heads/free\n" "$3" "$4" | (cd "$1" && GL_USER=rita "$2" --frob)' - "$srv" "$TK_BIN/twokey-pre-receive" "$Z" "$u1"
status_is "twokey-pre-receive, unprotected ref" 0 sh -c 'printf "%s %s refs/heads/free\n" "$3" "$4" | (cd "$1" && GL_USER=rita "$2")' - "$srv" "$TK_BIN/twokey-pre-receive" "$Z" "$u1"
status_is "twokey-pre-receive, ops by a pusher the server cannot name" 1 sh -c 'printf "%s %s refs/heads/ops\n" "$3" "$4" | (cd "$1" && "$2")' - "$srv" "$TK_BIN/twokey-pre-receive" "$base" "$u1"
status_is "twokey-pre-receive, ops by a login no identity has" 1 sh -c 'printf "%s %s refs/heads/ops\n" "$3" "$4" | (cd "$1" && GL_USER=mallory "$2")' - "$srv" "$TK_BIN/twokey-pre-receive" "$base" "$u1"
status_is "twokey check, refused" 1 sh -c 'cd "$1" && "$2" check --pusher rita refs/heads/main "$3" "$4"' - "$srv" "$TK" "$base" "$u1"
status_is "twokey check, accepted" 0 sh -c 'cd "$1" && "$2" check --pusher rita refs/heads/free "$3" "$4"' - "$srv" "$TK" "$Z" "$u1"
status_is "twokey check, a missing operand" 2 sh -c 'cd "$1" && "$2" check refs/heads/main "$3"' - "$srv" "$TK" "$base"
status_is "twokey check of an unknown object" 1 sh -c 'cd "$1" && "$2" check --pusher pat refs/heads/ops "$3" "$4"' - "$srv" "$TK" "$base" "$(echo "$u1" | tr 0-9a-f 1-9a-f0)"
status_is "twokey check of ops without a pusher (needs one)" 1 sh -c 'cd "$1" && "$2" check refs/heads/ops "$3" "$4"' - "$srv" "$TK" "$base" "$u1"
status_is "twokey check of ops by pat" 0 sh -c 'cd "$1" && "$2" check --pusher pat refs/heads/ops "$3" "$4"' - "$srv" "$TK" "$base" "$u1"

# twokey-pre-receive installed as the update hook: git calls it with the
# update's three arguments and an empty stdin; it must not accept
srvm=$(new_server srvm none)
ln -s "$TK_BIN/twokey-pre-receive" "$srvm/hooks/update"
git -C "$w" push -q "$srvm" "$base:refs/heads/feature" 2>/dev/null
git -C "$srvm" update-ref refs/heads/main "$base"
refused "twokey-pre-receive installed as the update hook refuses an unapproved push" rita "$w" "$srvm" "$u1:refs/heads/main"
check "...main unmoved" ref_is "$srvm" refs/heads/main "$base"
check "...says why" expect_out 'takes no arguments'

# ============================== approval formats ===============================
# acase DESC TRAILER-LINES EXPECT(accept|refuse) [REF]: a fresh commit by
# rita on main's tip whose message ends with the trailer block given
# (TRAILER-LINES may refer to @BOB@, @SAM@: the approval line, signed
# after the commit's message is known, so the payload holds the block
# without the Approved-by lines).
git -C "$w" checkout -q -b ap "$base"
# tcommit MESSAGE: a commit by rita on base with MESSAGE.
tcommit() {
	git -C "$w" reset -q --hard "$base"
	test_tick
	echo "$tk_tick" >>"$w/ap"
	git -C "$w" add ap
	git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q -m "$1"
}
# with_trailers MESSAGE LINE...: commits MESSAGE, then amends it (as rita,
# the author) to end with the LINEs, each a sed program over the approval
# of the commit as first written: s/ATTR/value/ edits are done on the
# line approve_raw made.  Simpler: the LINEs are final text, made by the
# caller with approve_raw on the first commit (the payload does not change).
amend_msg() {
	test_tick
	git -C "$w" -c user.name=rita -c user.email=rita@example.com commit -q --amend -m "$1"
}
# The URL-alphabet case below needs bob's signature to hold a '+' or a
# '/' (an Ed25519 approval has neither about once in 60): the commit is
# made again, at a later time, until it does.
tries=0
while :; do
	tcommit "fix: a thing"
	c=$(head_of "$w")
	ab=$(approve_raw bob bob bob@example.com "$w" "$c")
	sig_b=${ab##* sshsig:}
	case $sig_b in *[+/]*) break ;; esac
	tries=$((tries + 1))
	[ "$tries" -lt 20 ] || { echo "# 20 signatures without '+' or '/'" >&2; exit 1; }
done
as=$(approve_raw sam sam sam@example.com "$w" "$c")
sig_s=${as##* sshsig:}
# try DESC accept|refuse MESSAGE [REF]
try() {
	amend_msg "$3"
	if [ "$2" = accept ]; then accepted "$1" rita "$w" origin "+HEAD:refs/heads/${4:-main}"
	else refused "$1" rita "$w" origin "+HEAD:refs/heads/${4:-main}"; fi
	git -C "$srv" update-ref refs/heads/${4:-main} "$base"
	git -C "$srv" update-ref refs/heads/two "$base"
}
try "the key in capitals (APPROVED-BY:)" accept "fix: a thing

APPROVED-BY: Bob Reviewer <bob@example.com> sshsig:$sig_b"
try "the key in lower case, no space after the colon" accept "fix: a thing

approved-by:Bob Reviewer <bob@example.com> sshsig:$sig_b"
try "no white space between > and sshsig:" accept "fix: a thing

Approved-by: Bob Reviewer <bob@example.com>sshsig:$sig_b"
try "the email in capitals (emails compare case-insensitively)" accept "fix: a thing

Approved-by: Bob Reviewer <BOB@EXAMPLE.COM> sshsig:$sig_b"
try "bob's second email" accept "fix: a thing

Approved-by: Bob Reviewer <bob.two@example.com> sshsig:$sig_b"
try "an empty display name" accept "fix: a thing

Approved-by: <bob@example.com> sshsig:$sig_b"
try "the base64 folded onto continuation lines" accept "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$(printf '%s' "$sig_b" | cut -c1-40)
 $(printf '%s' "$sig_b" | cut -c41-100)
	$(printf '%s' "$sig_b" | cut -c101-)"
try "bob's key signing as pat's email (forged)" refuse "fix: a thing

Approved-by: Pat <pat@example.com> sshsig:$sig_b"
try "an email no identity has" refuse "fix: a thing

Approved-by: Bob Reviewer <bob@elsewhere.example> sshsig:$sig_b"
try "a display name holding <" refuse "fix: a thing

Approved-by: Bob <x> Reviewer <bob@example.com> sshsig:$sig_b"
try "two emails in the value" refuse "fix: a thing

Approved-by: <pat@example.com> <bob@example.com> sshsig:$sig_b"
try "the base64 without its padding" refuse "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$(printf '%s' "$sig_b" | tr -d =)"
try "the base64 in the URL alphabet" refuse "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$(printf '%s' "$sig_b" | tr '+/' '-_')" 
try "sshsig: in capitals" refuse "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> SSHSIG:$sig_b"
try "a space inside the email" refuse "fix: a thing

Approved-by: Bob Reviewer <bob @example.com> sshsig:$sig_b"
try "white space before the colon (not a trailer block)" refuse "fix: a thing

Approved-by : Bob Reviewer <bob@example.com> sshsig:$sig_b"
try "the approval as the subject's paragraph" refuse "Approved-by: Bob Reviewer <bob@example.com> sshsig:$sig_b"
try "a prose line in the trailer block" refuse "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$sig_b
looks good to me"
try "the block followed by a blank line of spaces and a paragraph" refuse "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$sig_b
   
more"
try "one approval written twice counts once (min 2)" refuse "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$sig_b
Approved-by: Bob Reviewer <bob@example.com> sshsig:$sig_b" two
try "one identity under its two emails counts once (min 2)" refuse "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$sig_b
Approved-by: Bob Reviewer <bob.two@example.com> sshsig:$sig_b" two
try "the twin: bob and sam (min 2)" accept "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$sig_b
Approved-by: sam <sam@example.com> sshsig:$sig_s" two
# keys outside their window, signed in other namespaces
av=$(approve_raw vic vic vic@example.com "$w" "$c")
try "a key whose validity starts in 2099" refuse "fix: a thing

$av"
payload_of "$w" "$c" >"$TRASH/payload"
rm -f "$TRASH/payload.sig"
ssh-keygen -q -Y sign -n git -f "$KEYS/bob" "$TRASH/payload" >/dev/null 2>&1
try "a signature in namespace git" refuse "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$(sed '1d;$d' "$TRASH/payload.sig" | tr -d '\n')"
rm -f "$TRASH/payload.sig"
ssh-keygen -q -Y sign -n twokey-approval -O hashalg=sha256 -f "$KEYS/bob" "$TRASH/payload" >/dev/null 2>&1
try "the twin: hash sha256" accept "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$(sed '1d;$d' "$TRASH/payload.sig" | tr -d '\n')"
try "the armoured signature after sshsig:" refuse "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$(sed '1d;$d' "$TRASH/payload.sig" | tr -d '\n' | sed 's/^/-----BEGIN SSH SIGNATURE-----/')"
# the message changed after the approval: a trailing paragraph, the subject
try "an extra trailer after approval (the payload changed)" refuse "fix: a thing

Change: CHG000001
Approved-by: Bob Reviewer <bob@example.com> sshsig:$sig_b"
try "the subject changed after approval" refuse "fix: a thing!

Approved-by: Bob Reviewer <bob@example.com> sshsig:$sig_b"
try "the twin: trailing blank lines do not matter" accept "fix: a thing

Approved-by: Bob Reviewer <bob@example.com> sshsig:$sig_b


"

# Raw messages (git commit would clean them up): the payload is built
# here in python from the contract's words, independently of payload_of.
# payload_py COMMIT: the approval payload of COMMIT (in $w).
payload_py() {
	git -C "$w" cat-file commit "$1" | python3 -c '
import re, sys
raw = sys.stdin.buffer.read()
head, _, msg = raw.partition(b"\n\n")
out = b"twokey-approval v1\n"
for l in head.split(b"\n"):
    if l.startswith((b"tree ", b"parent ", b"author ")):
        out += l + b"\n"
lines = msg.split(b"\n")
if lines and lines[-1] == b"":
    lines.pop()
blank = lambda l: re.fullmatch(rb"[ \t\r]*", l) is not None
paras, cur = [], []
for i, l in enumerate(lines):
    if blank(l):
        if cur: paras.append(cur); cur = []
    else:
        cur.append(i)
if cur: paras.append(cur)
drop = set()
if len(paras) > 1:
    blk = paras[-1]
    ok = all(re.match(rb"[A-Za-z0-9-]+:", lines[i]) or lines[i][:1] in (b" ", b"\t") for i in blk) \
        and lines[blk[0]][:1] not in (b" ", b"\t")
    if ok:
        skip = False
        for i in blk:
            if lines[i][:1] in (b" ", b"\t"):
                if skip: drop.add(i)
            else:
                skip = lines[i].lower().startswith(b"approved-by:")
                if skip: drop.add(i)
keep = [l for i, l in enumerate(lines) if i not in drop]
while keep and blank(keep[-1]):
    keep.pop()
sys.stdout.buffer.write(out + b"\n" + b"\n".join(keep) + b"\n")
'
}
# raw_commit MESSAGE-FILE: a commit by rita on base with that exact
# message (printf-made bytes, not cleaned up) and the tree $rc_tree, at
# the current tick; prints its id.
raw_commit() {
	GIT_AUTHOR_NAME=rita GIT_AUTHOR_EMAIL=rita@example.com GIT_COMMITTER_NAME=rita \
		GIT_COMMITTER_EMAIL=rita@example.com git -C "$w" commit-tree -p "$base" "$rc_tree" <"$1"
}
# sign_py KEY COMMIT: the base64 of KEY's signature over payload_py.
sign_py() {
	payload_py "$2" >"$TRASH/payload"
	rm -f "$TRASH/payload.sig"
	ssh-keygen -q -Y sign -n twokey-approval -f "$KEYS/$1" "$TRASH/payload" >/dev/null 2>&1
	sed '1d;$d' "$TRASH/payload.sig" | tr -d '\n'
}
# rawcase DESC accept|refuse PRINTF-FORMAT [SIGNED-FORMAT]: the message
# printf FORMAT (with %s where bob's signature goes, AAAA at first) is
# committed; bob signs its payload (or, given SIGNED-FORMAT, the payload
# of that message: FORMAT as a reader that wrongly took the approval line
# for a trailer would cut it); the commit with the real signature is
# pushed to main.
rawcase() {
	test_tick
	rc_tree=$(printf '%s\n' "$tk_tick" | git -C "$w" hash-object -w --stdin |
		sed 's/^/100644 blob /; s/$/\tap/' | git -C "$w" mktree)
	printf "${4:-$3}" AAAA >"$TRASH/msg"
	c0=$(raw_commit "$TRASH/msg")
	s=$(sign_py bob "$c0")
	printf "$3" "$s" >"$TRASH/msg"
	c1=$(raw_commit "$TRASH/msg")
	if [ -z "${4:-}" ] && [ "$(payload_py "$c0" | sha1sum)" != "$(payload_py "$c1" | sha1sum)" ]; then
		not_ok "$1: (test) the payload changed with the signature"
		return
	fi
	if [ "$2" = accept ]; then accepted "$1" rita "$w" origin "+$c1:refs/heads/main"
	else refused "$1" rita "$w" origin "+$c1:refs/heads/main"; fi
	git -C "$srv" update-ref refs/heads/main "$base"
}
rawcase "CRLF line ends throughout" accept 'fix: crlf\r\n\r\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s\r\n'
rawcase "a blank line of spaces, tab and CR before the block" accept 'fix: ws\n \t\r\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s\n'
rawcase "trailing blanks after the block" accept 'fix: tail\n\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s\n\n \n\t\n'
rawcase "trailing spaces on the approval line" accept 'fix: sp\n\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s   \t\n'
rawcase "blank lines before the subject" accept '\n\nfix: lead\n\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s\n'
rawcase "no newline at the end of the message" accept 'fix: nonl\n\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s'
rawcase "the block folded before sshsig:" accept 'fix: fold\n\nApproved-by: Bob Reviewer <bob@example.com>\n sshsig:%s\n'
rawcase "a body paragraph, then the block" accept 'fix: body\n\nsome text\nmore\n\nChange: CHG000001\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s\n'
rawcase "a continuation line as the block's first line" refuse 'fix: cont\n\n Approved-by: Bob Reviewer <bob@example.com> sshsig:%s\n' 'fix: cont\n'
rawcase "a key with an underscore in the block (not a trailer block)" refuse 'fix: us\n\nChange_Id: x\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s\n' 'fix: us\n\nChange_Id: x\n%.0s'
rawcase "a form feed line separating the block (not blank)" refuse 'fix: ff\n\f\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s\n' 'fix: ff\n\f\n%.0s'
rawcase "a vertical tab line separating the block (not blank)" refuse 'fix: vt\n\v\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s\n' 'fix: vt\n\v\n%.0s'
rawcase "the approval in the first paragraph after blank lines" refuse '\n \nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s\n' '\n%.0s'
rawcase "the twin: a second paragraph holding only the approval" accept 'x\n\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s\n'
rawcase "a --- line before the block (git shows no trailers)" refuse 'fix: dashes\n\n---\n\nApproved-by: Bob Reviewer <bob@example.com> sshsig:%s\n'

# ============================== notes ===============================
git -C "$w" checkout -q -b nt "$base"
commit_as "$w" rita@example.com "for notes"
n1=$(head_of "$w")
git -C "$w" push -q origin +HEAD:refs/heads/wip 2>/dev/null
nb=$(approve_raw bob bob bob@example.com "$w" "$n1")
ns=$(approve_raw sam sam sam@example.com "$w" "$n1")
# other notes refs hold no approvals
git -C "$w" notes --ref=commits add -m "$nb" "$n1"
git -C "$w" notes --ref=TWOKEY add -m "$nb" "$n1"
git -C "$w" notes --ref=twokey-x add -m "$nb" "$n1"
accepted "bob's approval pushed to refs/notes/commits, TWOKEY and twokey-x (ordinary refs)" \
	rita "$w" origin refs/notes/commits refs/notes/TWOKEY refs/notes/twokey-x
refused "...does not approve main" rita "$w" origin HEAD:refs/heads/main
refused "...nor when pushed with the branch" rita "$w" origin HEAD:refs/heads/main refs/notes/commits
refused "bob's approval pushed as refs/notes/commits:refs/notes/twokey-old" rita "$w" origin "refs/notes/commits:refs/notes/twokey-old" HEAD:refs/heads/main
check "...main unmoved" ref_is "$srv" refs/heads/main "$base"
# note_raw COMMIT BYTES: the note on COMMIT is exactly the printf BYTES
note_raw() {
	b=$(printf "$2" | git -C "$w" hash-object -w --stdin)
	git -C "$w" notes --ref=twokey add -f -C "$b" "$1" 2>/dev/null
}
notes_back() {
	t=$(notes_tip "$srv")
	if [ -n "$t" ]; then git -C "$w" update-ref "$NOTES" "$t"
	else git -C "$w" update-ref -d "$NOTES"; fi
}
note_raw "$n1" ' %s\n' "$nb"
note_raw "$n1" "$(printf ' %s\n' "$nb" | sed 's/%/%%/g')"
refused "a note line that starts with a space" rita "$w" origin "$NOTES"
notes_back
note_raw "$n1" "$(printf '%s\n  sshsig-continued\n' "$nb" | sed 's/%/%%/g')"
refused "a note approval with a continuation line" rita "$w" origin "$NOTES"
notes_back
note_raw "$n1" "Approved-by: Bob Reviewer <bob@example.com>\n"
refused "a note line without sshsig: (a forge's line)" rita "$w" origin "$NOTES"
notes_back
note_raw "$n1" "Reviewed-by: Bob Reviewer <bob@example.com>\n"
refused "another trailer in a note" rita "$w" origin "$NOTES"
notes_back
note_raw "$n1" "# approvals\n$(printf '%s' "$nb" | sed 's/%/%%/g')\n"
refused "a comment line next to a valid approval" rita "$w" origin "$NOTES"
notes_back
note_raw "$n1" "$(printf '%s' "$nb" | sed 's/%/%%/g')\r\n\r\n"
accepted "a note with CRLF line ends (CR is white space)" rita "$w" origin "$NOTES"
accepted "...and it approves main" rita "$w" origin HEAD:refs/heads/main
git -C "$srv" update-ref refs/heads/main "$base"
commit_as "$w" rita@example.com "for notes 2"
n2=$(head_of "$w")
git -C "$w" push -q origin +HEAD:refs/heads/wip 2>/dev/null
nb2=$(approve_raw bob bob bob@example.com "$w" "$n2")
note_raw "$n2" "$(printf '%s' "$nb2" | sed 's/^Approved-by: /approved-BY:\t/; s/> sshsig:/>\tsshsig:/; s/%/%%/g')\n"
accepted "a note line with a lower-case key and tabs" rita "$w" origin "$NOTES"
check "...and it approves" sh -c 'GL_USER=rita git -C "$1" push origin HEAD:refs/heads/main >"$2" 2>&1' - "$w" "$TRASH/out"
git -C "$srv" update-ref refs/heads/two "$n2"
commit_as "$w" rita@example.com "for notes 3"
n3=$(head_of "$w")
git -C "$w" push -q origin +HEAD:refs/heads/wip 2>/dev/null
nb3=$(approve_raw bob bob bob@example.com "$w" "$n3")
note_raw "$n3" "$(printf '%s\n\n%s\n%s\n' "$nb3" "$nb3" "$(printf '%s' "$nb3" | sed 's/<bob@example.com>/<bob.two@example.com>/')" | sed 's/%/%%/g')"
accepted "one approval twice and under bob's other email, in one note" rita "$w" origin "$NOTES"
refused "...counts once on two (min 2)" rita "$w" origin HEAD:refs/heads/two
check "...needs one more" expect_out 'needs 1 more approval'
note_approve sam sam sam@example.com "$w" "$n3"
accepted "the twin: with sam's note" rita "$w" origin HEAD:refs/heads/two "$NOTES"
# a reviewer's note on their own key listed under an approval the server
# already holds is kept; the same commit's note rewritten with the lines
# in another order is no loss
git -C "$w" notes --ref=twokey show "$n3" | grep . | sort -r >"$TRASH/rev"
b=$(git -C "$w" hash-object -w "$TRASH/rev")
git -C "$w" notes --ref=twokey add -f -C "$b" "$n3" 2>/dev/null
accepted "a note whose lines were reordered (and blanks dropped)" rita "$w" origin "$NOTES"
git -C "$w" checkout -q main

# ============================== emergencies ===============================
STATE=$LOG.emergencies
git -C "$w" checkout -q -b em "$(git -C "$srv" rev-parse refs/heads/main)"
commit_as "$w" rita@example.com "hotfix"
e1=$(head_of "$w")
mtip=$(git -C "$srv" rev-parse refs/heads/main)
refused "-o twokey.emergency (no value)" pat "$w" origin -o "twokey.emergency" HEAD:refs/heads/main
check "...main unmoved" ref_is "$srv" refs/heads/main "$mtip"
refused "-o TWOKEY.EMERGENCY=... (another spelling)" pat "$w" origin -o "TWOKEY.EMERGENCY=INC-1 x" HEAD:refs/heads/main
refused "-o twokey.emergency:INC-1 (a colon)" pat "$w" origin -o "twokey.emergency:INC-1 x" HEAD:refs/heads/main
refused "-o twokey.emergency.reason=..." pat "$w" origin -o "twokey.emergency.reason=INC-1 x" HEAD:refs/heads/main
refused "-o 'twokey.emergency =INC-1 x' (a space before =)" pat "$w" origin -o "twokey.emergency =INC-1 x" HEAD:refs/heads/main
refused "an emergency to a ref no rule matches" pat "$w" origin -o "twokey.emergency=INC-1 x" HEAD:refs/heads/free-em
check "...says it has no emergency path" expect_out 'no emergency path'
check "...free-em not created" ref_is "$srv" refs/heads/free-em ""
refused "an emergency dry run" pat "$w" origin -o "twokey.emergency=INC-1 x" -o twokey.dry-run HEAD:refs/heads/main
check "...main unmoved" ref_is "$srv" refs/heads/main "$mtip"
check "...no emergency in the state" sh -c '! test -s "$1" || ! grep -q "$2" "$1"' - "$STATE" "$e1"
check "...the record is a dry run without an emergency object" audit_last "$LOG" "r.get('dry_run') is True" "'emergency' not in r" "r['would'] == 'accepted'"
# dry-run spelled otherwise must never land for real
note_approve bob bob bob@example.com "$w" "$e1"
git -C "$w" push -q origin "$NOTES" HEAD:refs/heads/wip-e 2>/dev/null
refused "-o TWOKEY.DRY-RUN (meant as a test) does not land an approved push" rita "$w" origin -o TWOKEY.DRY-RUN HEAD:refs/heads/main
check "...main unmoved" ref_is "$srv" refs/heads/main "$mtip"
refused "-o Twokey.dry-run does not land it either" rita "$w" origin -o Twokey.dry-run HEAD:refs/heads/main
refused "-o ' twokey.dry-run' (a leading space) does not land it either" rita "$w" origin -o " twokey.dry-run" HEAD:refs/heads/main
refused "-o twokey.dry-run=TRUE (not a known value)" rita "$w" origin -o twokey.dry-run=TRUE HEAD:refs/heads/main
check "...main unmoved" ref_is "$srv" refs/heads/main "$mtip"
accepted "the twin: the approved push" rita "$w" origin -o ci.skip HEAD:refs/heads/main
check "...records the other tool's option" audit_last "$LOG" "r['push_options'] == ['ci.skip']"
# an emergency rewind brings nothing in: ratified at once
mtip=$(git -C "$srv" rev-parse refs/heads/main)
accepted "pat's emergency rewinding main" pat "$w" origin -o "twokey.emergency=INC-2 rewind" "+$base:refs/heads/main"
check "...ratified at once, by (nothing entered)" sh -c '"$1" audit emergencies --format csv | grep "INC-2 rewind" | grep -q "nothing entered"' - "$TK"
check "...its record has the emergency object" audit_last "$LOG" "r['emergency']['reason'] == 'INC-2 rewind'" "r['emergency']['waived'] == ['approvals']" "re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', r['emergency']['ratify_by'])"
accepted "pat's emergency twice in a row (INC-3, INC-4)" pat "$w" origin -o "twokey.emergency=INC-3 again" "$mtip:refs/heads/main"
commit_as "$w" rita@example.com "hotfix 2"
e2=$(head_of "$w")
accepted "...the second" pat "$w" origin -o "twokey.emergency=INC-4 again" HEAD:refs/heads/main
check "...both listed, pending" sh -c '"$1" audit emergencies --format csv | grep -c ",\"pending\"," | grep -qx 2' - "$TK"
status_is "audit emergencies --overdue with none overdue" 0 "$TK" audit emergencies --overdue
# twokey check says what the hook would decide: an overdue emergency
# (overdue: block) blocks main for it too
python3 - "$STATE" "$e2" <<'EOF'
import sys
ls = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(ls):
    f = l.split(' ')
    if f[0] == 'e' and f[10] == sys.argv[2]:
        f[2] = '1000'; f[3] = '2000'; ls[i] = ' '.join(f)
open(sys.argv[1], 'w').write('\n'.join(ls) + '\n')
EOF
commit_as "$w" rita@example.com "after the overdue one"
e3=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$e3"
git -C "$w" push -q origin "$NOTES" HEAD:refs/heads/wip-e3 2>/dev/null
refused "an approved push to main while INC-4 is overdue (block)" rita "$w" origin HEAD:refs/heads/main
status_is "twokey check of the same update says refuse" 1 sh -c 'cd "$1" && GL_USER=rita "$2" check refs/heads/main "$3" "$4"' - "$srv" "$TK" "$e2" "$e3"
check "...naming the overdue emergency" expect_out 'overdue'
status_is "twokey check of an unprotected ref meanwhile" 0 sh -c 'cd "$1" && GL_USER=rita "$2" check refs/heads/free2 0 "$3"' - "$srv" "$TK" "$e3"
printf 'garbage\n' >"$TRASH/state.bad"
cp "$STATE" "$TRASH/state.good"
cp "$TRASH/state.bad" "$STATE"
status_is "twokey check with a corrupt emergency state says refuse" 1 sh -c 'cd "$1" && GL_USER=rita "$2" check refs/heads/free2 0 "$3"' - "$srv" "$TK" "$e3"
refused "...as the hook does" rita "$w" origin HEAD:refs/heads/free2
cp "$TRASH/state.good" "$STATE"
# ratify INC-4 (bob, by hand in the state) so that main moves again
python3 - "$STATE" "$e2" <<'EOF'
import sys
ls = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(ls):
    f = l.split(' ')
    if f[0] == 'e' and f[10] == sys.argv[2]:
        f[4] = '3000'; f[14] = 'bob'; ls[i] = ' '.join(f)
open(sys.argv[1], 'w').write('\n'.join(ls) + '\n')
EOF
status_is "twokey check once INC-4 is ratified" 0 sh -c 'cd "$1" && GL_USER=rita "$2" check refs/heads/main "$3" "$4"' - "$srv" "$TK" "$e2" "$e3"
accepted "...and the push" rita "$w" origin HEAD:refs/heads/main
status_is "audit emergencies --format yaml" 2 "$TK" audit emergencies --format yaml
check "audit emergencies --format json is JSON" sh -c '"$1" audit emergencies --format json | python3 -c "import json,sys; json.load(sys.stdin)"' - "$TK"
git -C "$w" checkout -q main

# ============================== freezes ===============================
git -C "$w" checkout -q -b fz "$(git -C "$srv" rev-parse refs/heads/main)"
status_is "freeze start without --reason" 2 "$TK" freeze start --refs 'refs/heads/ops'
status_is "freeze start without --refs" 2 "$TK" freeze start --reason 'x'
fails "freeze start --until in the past" "$TK" freeze start --refs 'refs/heads/ops' --reason x --until 2020-01-01T00:00:00Z
fails "freeze start --until with an offset" "$TK" freeze start --refs 'refs/heads/ops' --reason x --until 2099-01-01T00:00:00+01:00
fails "freeze start --until without a zone" "$TK" freeze start --refs 'refs/heads/ops' --reason x --until 2099-01-01T00:00:00
fails "freeze start --until +0m" "$TK" freeze start --refs 'refs/heads/ops' --reason x --until +0m
fails "freeze start --until +5s (no such unit)" "$TK" freeze start --refs 'refs/heads/ops' --reason x --until +5s
fails "freeze start with an invalid pattern" "$TK" freeze start --refs 'refs/heads/(ops' --reason x
fails "freeze start with a reason holding a newline" "$TK" freeze start --refs 'refs/heads/ops' --reason "$(printf 'a\nb')"
fails "freeze start with a name holding a tab" "$TK" freeze start --refs 'refs/heads/ops' --reason x --name "$(printf 'a\tb')"
status_is "freeze stop of a freeze that does not exist" 1 "$TK" freeze stop nosuch
check "...the freeze file was not created by the failures" test ! -s "$FREEZE"
status_is "freeze start f1" 0 "$TK" freeze start --refs 'refs/heads/ops' --reason 'INC-7 x' --name f1
status_is "freeze start f1 again (a name is unique)" 1 "$TK" freeze start --refs 'refs/heads/two' --reason 'INC-7 y' --name f1
status_is "freeze status" 0 "$TK" freeze status
check "freeze status --format json is JSON naming f1" sh -c '"$1" freeze status --format json | python3 -c "import json,sys; assert \"f1\" in json.dumps(json.load(sys.stdin))"' - "$TK"
status_is "freeze status --format yaml" 2 "$TK" freeze status --format yaml
refused "ops during f1 (pat, who may update it)" pat "$w" origin "HEAD:refs/heads/ops"
check "...names the freeze, its end and reason" expect_out "freeze 'f1'.*(until it is stopped|stopped).*INC-7 x|freeze 'f1'.*INC-7 x"
status_is "freeze stop f1" 0 "$TK" freeze stop f1
status_is "freeze stop f1 again" 1 "$TK" freeze stop f1
accepted "ops after f1" pat "$w" origin "HEAD:refs/heads/ops"
# the window's end: [from, until), judged by the clock
now=$(date -u +%s)
end=$(date -u -d "@$((now + 4))" +%Y-%m-%dT%H:%M:%SZ)
"$TK" freeze start --refs 'refs/heads/ops' --reason 'INC-8 short' --name f2 --until "$end" >/dev/null 2>&1 ||
	not_ok "freeze start --until $end"
commit_as "$w" pat@example.com "ops 2"
refused "ops before f2's end" pat "$w" origin "HEAD:refs/heads/ops"
check "...names its end" expect_out "$end"
while [ "$(date -u +%s)" -lt $((now + 5)) ]; do sleep 1; done
accepted "ops once f2 ended (until is exclusive)" pat "$w" origin "HEAD:refs/heads/ops"
# planned freezes that ended, or have not begun, freeze nothing
sed "s|^freeze-file:|freezes:\n  - {name: past, refs: 'refs/heads/ops', from: 2020-01-01T00:00:00Z, until: $(date -u -d "@$((now - 1))" +%Y-%m-%dT%H:%M:%SZ), reason: ended}\n  - {name: future, refs: 'refs/heads/ops', from: $(date -u -d "@$((now + 86400))" +%Y-%m-%dT%H:%M:%SZ), until: 2099-01-01T00:00:00Z, reason: later}\n  - {name: dateonly, refs: 'refs/heads/two', from: $(date -u +%Y-%m-%d), until: 2099-01-01, reason: whole days}\nfreeze-file:|" \
	"$POL" >"$TRASH/policy-fz.yaml"
commit_as "$w" pat@example.com "ops 3"
TWOKEY_CONFIG=$TRASH/policy-fz.yaml accepted "planned freezes that ended or have not begun" pat "$w" origin "HEAD:refs/heads/ops"
TWOKEY_CONFIG=$TRASH/policy-fz.yaml refused "a planned freeze from today's date (midnight UTC) is in force" pat "$w" origin "+HEAD:refs/heads/two"
check "...names it" expect_out "freeze 'dateonly'"
# a corrupt freeze file: every update refused, the notes ref aside
printf 'twokey-freeze 1\nbroken line\n' >"$FREEZE"
commit_as "$w" pat@example.com "ops 4"
refused "a corrupt freeze file refuses an unprotected ref" pat "$w" origin "HEAD:refs/heads/free-fz"
status_is "freeze status on a corrupt file" 1 "$TK" freeze status
status_is "freeze start on a corrupt file" 1 "$TK" freeze start --refs 'refs/heads/ops' --reason x --name f3
check "...the corrupt file kept as it was" grep -q 'broken line' "$FREEZE"
printf 'twokey-freeze 1\n' >"$FREEZE"
printf 'twokey-freeze 1\r\n' >"$FREEZE"
refused "a freeze file with a CR" pat "$w" origin "HEAD:refs/heads/free-fz"
printf 'twokey-freeze 1\nf4\t2020-01-01T00:00:00Z\t-\troot\trefs/heads/ops\tr\nf4\t2020-01-01T00:00:00Z\t-\troot\trefs/heads/two\tr\n' >"$FREEZE"
refused "a freeze file naming one freeze twice" pat "$w" origin "HEAD:refs/heads/free-fz"
printf 'twokey-freeze 1\nf5\t2020-01-01T00:00:00Z\t-\troot\trefs/heads/nothing\tr\n' >"$FREEZE"
accepted "the twin: a valid freeze file freezing another ref" pat "$w" origin "HEAD:refs/heads/free-fz"
rm -f "$FREEZE"
git -C "$w" checkout -q main

# ============================== paths ===============================
# rule paths: no approvals of its own; deep/**/x.conf, dir/ and top/*
# need security's approval; .ci/** may be written by operations only.
git -C "$w" checkout -q -b pa "$base"
mkdir -p "$w/.ci" "$w/keep"
echo ci >"$w/.ci/config"
echo k >"$w/keep/k"
git -C "$w" add .ci keep
test_tick
git -C "$w" -c user.name=pat -c user.email=pat@example.com commit -q -m "paths base"
pb=$(head_of "$w")
accepted "pat's base with .ci/" pat "$w" origin "+HEAD:refs/heads/paths"
# pcommit AS MESSAGE: commit what is staged, as AS.
pcommit() {
	test_tick
	git -C "$w" -c user.name="${1%@*}" -c user.email="$1" commit -q --allow-empty -m "$2"
}
# ptry DESC accept|refuse: push HEAD to paths (force), then reset paths
# and the work tree to pb.
ptry() {
	if [ "$2" = accept ]; then accepted "$1" rita "$w" origin "+HEAD:refs/heads/paths" "$NOTES"
	else refused "$1" rita "$w" origin "+HEAD:refs/heads/paths"; fi
	git -C "$srv" update-ref refs/heads/paths "$pb"
	git -C "$w" reset -q --hard "$pb"
}
# needs_sec DESC: the staged change, as rita: refused unapproved, then
# accepted with sam's note.
needs_sec() {
	pcommit rita@example.com "$1"
	refused "$1: unapproved" rita "$w" origin "+HEAD:refs/heads/paths"
	check "...asks for security" expect_out 'security'
	note_approve sam sam sam@example.com "$w" "$(head_of "$w")"
	ptry "$1: with security's note" accept
}
free() {
	pcommit rita@example.com "$1"
	ptry "$1: needs nothing" accept
}
mkdir -p "$w/deep/a/b"
echo x >"$w/deep/x.conf"; git -C "$w" add deep
needs_sec "deep/x.conf (** matches zero segments)"
mkdir -p "$w/deep/a/b"; echo x >"$w/deep/a/b/x.conf"; git -C "$w" add deep
needs_sec "deep/a/b/x.conf"
mkdir -p "$w/deep"; echo x >"$w/deep/x.confs"; git -C "$w" add deep
free "deep/x.confs"
mkdir -p "$w/dir/a"; echo x >"$w/dir/a/b"; git -C "$w" add dir
needs_sec "dir/a/b (trailing slash)"
echo x >"$w/dir"; git -C "$w" add dir
free "a file named dir (a trailing slash is below it)"
mkdir -p "$w/top"; echo x >"$w/top/.hidden"; git -C "$w" add top
needs_sec "top/.hidden (* matches a dot file)"
mkdir -p "$w/top/a"; echo x >"$w/top/a/b"; git -C "$w" add top
free "top/a/b (* does not cross /)"
# writers of .ci/**: operations only
echo more >>"$w/.ci/config"; git -C "$w" add .ci
pcommit rita@example.com "rita edits .ci/config"
ptry "rita edits .ci/config" refuse
git -C "$w" rm -q .ci/config
pcommit rita@example.com "rita deletes .ci/config"
ptry "rita deletes .ci/config" refuse
git -C "$w" mv .ci/config keep/config
pcommit rita@example.com "rita moves .ci/config out"
ptry "rita moves .ci/config out" refuse
echo new >"$w/.ci/.env"; git -C "$w" add .ci
pcommit rita@example.com "rita adds .ci/.env"
ptry "rita adds .ci/.env (a dot file below a dot directory)" refuse
git -C "$w" rm -q -r .ci
ln -s keep "$w/.ci"; git -C "$w" add .ci
pcommit rita@example.com "rita replaces .ci/ by a symlink"
ptry "rita replaces .ci/ by a symlink to keep/" refuse
git -C "$w" update-index --add --cacheinfo "160000,$base,.ci/sub"
pcommit rita@example.com "rita adds a submodule in .ci/"
ptry "rita adds a submodule in .ci/" refuse
echo more >>"$w/.ci/config"; git -C "$w" add .ci
pcommit pat@example.com "pat edits .ci/config"
ptry "the twin: pat (operations) edits .ci/config" accept
# a merge by pat of rita's .ci change: rita's commit is judged
git -C "$w" checkout -q -b rside "$pb"
echo r >>"$w/.ci/config"; git -C "$w" add .ci
pcommit rita@example.com "rita's .ci side"
git -C "$w" checkout -q pa
echo p >"$w/keep/p"; git -C "$w" add keep
pcommit pat@example.com "pat's own"
test_tick
git -C "$w" -c user.name=pat -c user.email=pat@example.com merge -q --no-ff -m "pat merges rita's side" rside
refused "pat merges rita's .ci change" pat "$w" origin "+HEAD:refs/heads/paths"
git -C "$w" reset -q --hard "$pb"
# a file .ci where no .ci existed: a symlink makes .ci/... readable elsewhere
git -C "$w" checkout -q -b nci "$base"
mkdir -p "$w/evil"; echo evil >"$w/evil/config"
ln -s evil "$w/.ci"
git -C "$w" add evil .ci
pcommit rita@example.com "rita adds .ci as a symlink to evil/"
refused "rita creates .ci as a symlink (what .ci/config reads is hers)" rita "$w" origin "+HEAD:refs/heads/paths"
git -C "$w" checkout -q main

# ============================== audit records and evidence ===============================
git -C "$w" checkout -q -b au "$(git -C "$srv" rev-parse refs/heads/ops)"
commit_as "$w" pat@example.com "audited"
SECRET=c2VjcmV0LXBhc3N3b3JkLTQ3MTE=
if GL_USER=pat SSH_CONNECTION="192.0.2.7 50022 198.51.100.1 22" REMOTE_ADDR=203.0.113.9 \
	HTTP_AUTHORIZATION="Basic $SECRET" git -C "$w" push -o ci.skip -o "note=x y" origin HEAD:refs/heads/ops >"$TRASH/out" 2>&1; then
	ok "a push with SSH_CONNECTION, REMOTE_ADDR and HTTP_AUTHORIZATION set"
else not_ok "a push with SSH_CONNECTION... (refused)"; sed 's/^/#   /' "$TRASH/out"; fi
check "...client is SSH_CONNECTION" audit_last "$LOG" "r['client'] == '192.0.2.7 50022 198.51.100.1 22'"
check "...the authorization is nowhere in the log" sh -c '! grep -q "$1" "$2"' - "$SECRET" "$LOG"
check "...push options as given, in order" audit_last "$LOG" "r['push_options'] == ['ci.skip', 'note=x y']"
check "...policy is the SHA-256 of the policy's bytes" audit_last "$LOG" "r['policy'] == '$(sha256sum "$POL" | cut -d' ' -f1)'"
check "...time is UTC RFC 3339 to the second" audit_last "$LOG" "re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', r['time']) is not None"
check "...pusher names login, identity and where it came from" audit_last "$LOG" "r['pusher'] == {'login': 'pat', 'identity': 'pat', 'from': 'GL_USER'}"
check "...the fields end with prev and hash" sh -c 'tail -1 "$1" | grep -Eq ",\"prev\":\"[0-9a-f]{64}\",\"hash\":\"[0-9a-f]{64}\"}$"' - "$LOG"
commit_as "$w" pat@example.com "audited 2"
if GL_USER=pat REMOTE_ADDR=203.0.113.9 git -C "$w" push origin HEAD:refs/heads/ops >"$TRASH/out" 2>&1; then
	ok "a push with REMOTE_ADDR only"
else not_ok "a push with REMOTE_ADDR only (refused)"; fi
check "...client is REMOTE_ADDR" audit_last "$LOG" "r['client'] == '203.0.113.9'"
# a policy that cannot be loaded: the refusal is recorded where the last
# loaded policy recorded, with the hash of the bytes it could not use
cp "$POL" "$TRASH/policy-broken.yaml"
printf 'rules2: []\n' >>"$TRASH/policy-broken.yaml"
commit_as "$w" pat@example.com "audited 3"
TWOKEY_CONFIG=$TRASH/policy-broken.yaml refused "a push under a broken policy" pat "$w" origin HEAD:refs/heads/ops
check "...recorded, refused, with an error and the broken bytes' hash" audit_last "$LOG" \
	"r['decision'] == 'refused'" "r['error']" "r['policy'] == '$(sha256sum "$TRASH/policy-broken.yaml" | cut -d' ' -f1)'"
status_is "audit verify of the log" 0 "$TK" audit verify
status_is "audit verify of the log named" 0 "$TK" audit verify "$LOG"
status_is "audit show" 0 "$TK" audit show
python3 - "$LOG" "$TRASH/tampered.jsonl" <<'EOF'
import sys
ls = open(sys.argv[1], 'rb').read().split(b'\n')
a, b = b'"decision":"accepted"', b'"decision":"refused"'
ls[1] = ls[1].replace(a, b'\0').replace(b, a).replace(b'\0', b)
open(sys.argv[2], 'wb').write(b'\n'.join(ls))
EOF
cmp -s "$LOG" "$TRASH/tampered.jsonl" && not_ok "(test) the tampered copy differs"
status_is "audit verify of a copy with one decision flipped" 1 "$TK" audit verify "$TRASH/tampered.jsonl"
sed '3d' "$LOG" >"$TRASH/cut.jsonl"
status_is "audit verify of a copy with a record removed" 1 "$TK" audit verify "$TRASH/cut.jsonl"
status_is "audit verify of a missing file" 1 "$TK" audit verify "$TRASH/none.jsonl"
: >"$TRASH/empty.jsonl"
status_is "audit verify of an empty file" 0 "$TK" audit verify "$TRASH/empty.jsonl"
# filters that cannot match are errors, not empty output
for f in "--since notadate" "--since 2026-02-30" "--until 2026-13" "--since 2026-01-01T25:00:00Z" "--format xml" "--since" "--since ''"; do
	for c in report stats show; do
		eval "set -- $f"
		fails "audit $c $f" "$TK" audit $c "$@"
	done
done
status_is "audit report --format json" 0 "$TK" audit report --format json
check "...is JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TRASH/out"
status_is "audit stats" 0 "$TK" audit stats
fails "audit report --ref naming a ref no record names" "$TK" audit report --ref refs/heads/none
# reconcile: a fresh server where every move went through twokey
srv2=$(new_server srv2)
git -C "$w" branch -f rc1 "$base"
git -C "$w" branch -f rc2 "$u1"
accepted "rc1 and rc2 pushed to a fresh server" rita "$w" "$srv2" rc1 rc2
status_is "audit reconcile of a server whose refs all moved through twokey" 0 "$TK" audit reconcile "$srv2"
git -C "$srv2" update-ref refs/heads/rc1 "$u1"
status_is "audit reconcile after rc1 moved by hand" 1 "$TK" audit reconcile "$srv2"
check "...names rc1" expect_out 'refs/heads/rc1'
status_is "audit reconcile of rc2 alone" 0 "$TK" audit reconcile "$srv2" refs/heads/rc2
git -C "$srv2" update-ref refs/heads/rc3 "$u1"
status_is "audit reconcile after rc3 was created by hand" 1 "$TK" audit reconcile "$srv2" refs/heads/rc3
git -C "$srv2" update-ref -d refs/heads/rc2
status_is "audit reconcile after rc2 was deleted by hand" 1 "$TK" audit reconcile "$srv2" refs/heads/rc2
status_is "audit reconcile of a missing repository" 1 "$TK" audit reconcile "$TRASH/none.git"
fails "audit reconcile without a repository" "$TK" audit reconcile
git -C "$w" checkout -q main

# ============================== keys: revoked, two spellings ===============================
git -C "$w" checkout -q -b rv "$base"
commit_as "$w" rita@example.com "revoked?"
rv1=$(head_of "$w")
add_trailers "$w" rita@example.com "$(approve_raw bob bob bob@example.com "$w" "$rv1")"
sed "s|^pusher:|revoked-keys: [\"$(pub bob | sed 's/ [^ ]*$/ another comment/')\"]\npusher:|" "$POL" >"$TRASH/policy-rv.yaml"
TWOKEY_CONFIG=$TRASH/policy-rv.yaml refused "bob's key revoked (listed with another comment)" rita "$w" origin "+HEAD:refs/heads/main"
check "...says revoked" expect_out 'revoked'
sed "s|^pusher:|revoked-keys: [\"$(pub bob | cut -d' ' -f1-2)\"]\npusher:|" "$POL" >"$TRASH/policy-rv.yaml"
TWOKEY_CONFIG=$TRASH/policy-rv.yaml refused "bob's key revoked (listed without a comment)" rita "$w" origin "+HEAD:refs/heads/main"
accepted "the twin: not revoked" rita "$w" origin "+HEAD:refs/heads/main"
git -C "$srv" update-ref refs/heads/main "$base"
# the pusher: an empty variable is no pusher
commit_as "$w" pat@example.com "ops by nobody"
refused "GL_USER set but empty, on a rule that needs the pusher" "" "$w" origin "+HEAD:refs/heads/ops"
if GL_USER="" git -C "$w" push origin "+HEAD:refs/heads/ops" >"$TRASH/out" 2>&1; then
	not_ok "GL_USER='' pushes to ops"
else ok "GL_USER='' refused on ops"; fi
if GL_USER=PAT git -C "$w" push origin "+HEAD:refs/heads/ops" >"$TRASH/out" 2>&1; then
	not_ok "GL_USER=PAT (not a login) pushes to ops"
else ok "GL_USER=PAT (logins are exact) refused on ops"; fi
if GL_USER="pat " git -C "$w" push origin "+HEAD:refs/heads/ops" >"$TRASH/out" 2>&1; then
	not_ok "GL_USER='pat ' pushes to ops"
else ok "GL_USER='pat ' refused on ops"; fi
git -C "$w" checkout -q main

# ============================== time zones ===============================
# windows and deadlines are UTC whatever the server's TZ
git -C "$w" checkout -q -b tz "$(git -C "$srv" rev-parse refs/heads/ops)"
now=$(date -u +%s)
sed "s|^freeze-file:|freezes:\n  - {name: tzf, refs: 'refs/heads/ops', from: $(date -u -d "@$((now - 1800))" +%Y-%m-%dT%H:%M:%SZ), until: $(date -u -d "@$((now + 1800))" +%Y-%m-%dT%H:%M:%SZ), reason: tz}\nfreeze-file:|" \
	"$POL" >"$TRASH/policy-tz.yaml"
commit_as "$w" pat@example.com "tz"
for z in Pacific/Kiritimati Etc/GMT+12 America/St_Johns; do
	TZ=$z TWOKEY_CONFIG=$TRASH/policy-tz.yaml refused "a freeze of the last and next half hour, TZ=$z" pat "$w" origin "HEAD:refs/heads/ops"
done
TZ=Pacific/Kiritimati "$TK" freeze start --refs 'refs/heads/ops' --reason 'INC-9 tz' --name tz1 --until +1h >/dev/null 2>&1 ||
	not_ok "freeze start under TZ=Pacific/Kiritimati"
check "...its end is stored in UTC, an hour from now" sh -c 'e=$(cut -f3 "$1" | grep -v twokey); t=$(date -u -d "$e" +%s); d=$((t - $2)); [ $d -ge 3590 ] && [ $d -le 3700 ]' - "$FREEZE" "$now"
TZ=Etc/GMT+12 refused "...in force under TZ=Etc/GMT+12" pat "$w" origin "HEAD:refs/heads/ops"
"$TK" freeze stop tz1 >/dev/null 2>&1
git -C "$w" checkout -q -b tze "$(git -C "$srv" rev-parse refs/heads/main)"
commit_as "$w" rita@example.com "tz emergency"
TZ=Pacific/Kiritimati accepted "an emergency under TZ=Pacific/Kiritimati" pat "$w" origin -o "twokey.emergency=INC-5 tz" HEAD:refs/heads/main
check "...its ratify_by is 24 h after its time, both UTC" audit_last "$LOG" \
	"__import__('calendar').timegm(__import__('time').strptime(r['emergency']['ratify_by'], '%Y-%m-%dT%H:%M:%SZ')) - __import__('calendar').timegm(__import__('time').strptime(r['time'], '%Y-%m-%dT%H:%M:%SZ')) == 86400"
check "...and the time is now in UTC" audit_last "$LOG" "abs(__import__('calendar').timegm(__import__('time').strptime(r['time'], '%Y-%m-%dT%H:%M:%SZ')) - $now) < 600"
git -C "$w" checkout -q main

# ============================== config diff and report ===============================
status_is "config diff of a policy with itself" 0 "$TK" config diff "$POL" "$POL"
sed 's/approvals: {min: 2, from: \[reviewer\]}/approvals: {min: 1, from: [reviewer]}/' "$POL" >"$TRASH/policy-looser.yaml"
status_is "config diff to a policy with a lower min" 1 "$TK" config diff "$POL" "$TRASH/policy-looser.yaml"
check "...names the rule" expect_out "two"
status_is "config diff back (stricter)" 0 "$TK" config diff "$TRASH/policy-looser.yaml" "$POL"
sed 's/    update: \[operations\]/    update: [operations, developer]/' "$POL" >"$TRASH/policy-looser.yaml"
status_is "config diff adding a role to update" 1 "$TK" config diff "$POL" "$TRASH/policy-looser.yaml"
check "...names rita (a person, not the role)" expect_out "rita"
fails "config diff with a broken NEW" "$TK" config diff "$POL" "$TRASH/policy-broken.yaml"
fails "config diff with one operand" "$TK" config diff "$POL"
for f in text csv json html; do
	status_is "config report --format $f" 0 "$TK" config report --format $f "$POL"
done
check "...json is JSON" sh -c '"$1" config report --format json "$2" | python3 -c "import json,sys; json.load(sys.stdin)"' - "$TK" "$POL"
fails "config report --format xml" "$TK" config report --format xml "$POL"
fails "config report of a broken policy" "$TK" config report "$TRASH/policy-broken.yaml"
status_is "config report --repo" 0 "$TK" config report --repo "$srv" "$POL"
check "...names the people who may update ops (pat, olga), not the role" sh -c '"$1" config report --format csv "$2" | grep ops | grep -q pat' - "$TK" "$POL"
fails "config report --repo of a missing repository" "$TK" config report --repo "$TRASH/none.git" "$POL"

# reconcile: a rewind by hand to a value the ref once had
git -C "$w" branch -f rc4 "$base"
accepted "rc4 created" rita "$w" "$srv2" rc4
git -C "$w" branch -f rc4 "$u1"
accepted "rc4 moved on" rita "$w" "$srv2" rc4
git -C "$srv2" update-ref refs/heads/rc4 "$base"
status_is "audit reconcile after rc4 was rewound by hand" 1 "$TK" audit reconcile "$srv2" refs/heads/rc4
# note_approvals and the report's rows
git -C "$w" checkout -q -b rp "$(git -C "$srv" rev-parse refs/heads/main)"
commit_as "$w" rita@example.com "reported"
rp1=$(head_of "$w")
note_approve bob bob bob@example.com "$w" "$rp1"
accepted "a commit and bob's note" rita "$w" origin HEAD:refs/heads/main "$NOTES"
check "...the notes update records bob's approval" audit_last "$LOG" \
	"[a for x in r['refs'] if x['ref'] == 'refs/notes/twokey' for a in x.get('note_approvals', [])] == [{'commit': '$rp1', 'identity': 'bob', 'email': 'bob@example.com', 'key': '$(ssh-keygen -lf "$KEYS/bob.pub" | cut -d' ' -f2)'}]"
check "audit report --format json: the commit, approved by bob via note, pushed by rita under mainline" sh -c '
	"$1" audit report --format json --ref refs/heads/main | python3 -c "
import json, sys
d = json.load(sys.stdin)
s = json.dumps(d)
assert \"$2\" in s, \"commit missing\"
rows = []
def walk(o):
    if isinstance(o, dict):
        if any(v == \"$2\" for v in o.values()): rows.append(o)
        for v in o.values(): walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(d)
r = json.dumps(rows)
for want in (\"bob\", \"note\", \"rita\", \"mainline\", \"$3\"):
    assert want in r, (want, r[:2000])
"' - "$TK" "$rp1" "$(sha256sum "$POL" | cut -d' ' -f1)"
git -C "$w" checkout -q main

# ============================== approve and install exit codes ===============================
reviewer bob bob@example.com "$w"
(cd "$TRASH/rev-bob" && git config user.signingKey "$KEYS/bob") 
fails "approve of an unknown commit" sh -c 'cd "$1" && "$2" approve -k "$3" 0123456789abcdef0123456789abcdef01234567' - "$TRASH/rev-bob" "$TK" "$KEYS/bob"
fails "approve with a key file that does not exist" sh -c 'cd "$1" && "$2" approve -k "$3" "$4"' - "$TRASH/rev-bob" "$TK" "$KEYS/nokey" "$base"
fails "approve --trailer of a range of two commits" sh -c 'cd "$1" && "$2" approve --trailer -k "$3" "$4..$5"' - "$TRASH/rev-bob" "$TK" "$KEYS/bob" "$base" "$n2"
fails "approve of a commit and a range" sh -c 'cd "$1" && "$2" approve -k "$3" "$4" "$4..$5"' - "$TRASH/rev-bob" "$TK" "$KEYS/bob" "$base" "$u1"
status_is "approve --trailer of one commit" 0 sh -c 'cd "$1" && "$2" approve --trailer -k "$3" "$4"' - "$TRASH/rev-bob" "$TK" "$KEYS/bob" "$u1"
check "...prints one Approved-by line with bob's email" sh -c 'grep -c "^Approved-by: .*<bob@example.com> sshsig:[A-Za-z0-9+/]*=*$" "$1" | grep -qx 1' - "$TRASH/out"
status_is "approve (notes) of one commit" 0 sh -c 'cd "$1" && "$2" approve -k "$3" "$4"' - "$TRASH/rev-bob" "$TK" "$KEYS/bob" "$u1"
check "...its note holds bob's approval, one line" sh -c 'git -C "$1" notes --ref=twokey show "$2" | grep -c "^Approved-by: .*<bob@example.com> sshsig:" | grep -qx 1' - "$TRASH/rev-bob" "$u1"
status_is "approve of the same commit again (already approved: nothing added)" 0 sh -c 'cd "$1" && "$2" approve -k "$3" "$4"' - "$TRASH/rev-bob" "$TK" "$KEYS/bob" "$u1"
check "...still one line" sh -c 'git -C "$1" notes --ref=twokey show "$2" | grep -c "^Approved-by:" | grep -qx 1' - "$TRASH/rev-bob" "$u1"
srvi=$TRASH/inst.git
git init -q --bare "$srvi"
status_is "install into a bare repository" 0 "$TK" install "$srvi"
check "...turns on receive.advertisePushOptions" test "$(git -C "$srvi" config --bool receive.advertisePushOptions)" = true
check "...the pre-receive hook is twokey's" sh -c 'test "$(readlink -f "$1/hooks/pre-receive")" = "$(readlink -f "$2/twokey-pre-receive")"' - "$srvi" "$TK_BIN"
status_is "install again (nothing changes)" 0 "$TK" install "$srvi"
fails "install into a path that is no repository" "$TK" install "$TRASH/none.git"
status_is "install without an operand" 2 "$TK" install


# ============================== more edges ===============================
# a planned freeze's start is inclusive, judged by the clock
git -C "$w" checkout -q -b fe "$(git -C "$srv" rev-parse refs/heads/ops)"
now=$(date -u +%s)
sed "s|^freeze-file:|freezes:\n  - {name: soon, refs: 'refs/heads/ops', from: $(date -u -d "@$((now + 4))" +%Y-%m-%dT%H:%M:%SZ), until: 2099-01-01T00:00:00Z, reason: starts soon}\nfreeze-file:|" \
	"$POL" >"$TRASH/policy-soon.yaml"
commit_as "$w" pat@example.com "before the freeze"
TWOKEY_CONFIG=$TRASH/policy-soon.yaml accepted "ops before a planned freeze begins" pat "$w" origin "HEAD:refs/heads/ops"
while [ "$(date -u +%s)" -lt $((now + 5)) ]; do sleep 1; done
commit_as "$w" pat@example.com "after it began"
TWOKEY_CONFIG=$TRASH/policy-soon.yaml refused "ops once it began" pat "$w" origin "HEAD:refs/heads/ops"
check "...names it" expect_out "freeze 'soon'"
git -C "$w" checkout -q main
# a dry run is no accepted record: a ref then set by hand to what the
# dry run would have pushed is reported by reconcile
git -C "$w" branch -f rc5 "$u1"
refused "a dry run creating rc5" rita "$w" "$srv2" -o twokey.dry-run rc5
git -C "$srv2" update-ref refs/heads/rc5 "$u1"
status_is "audit reconcile of rc5, set by hand as the dry run would have" 1 "$TK" audit reconcile "$srv2" refs/heads/rc5
# a refused push's commits are not landed: report lists none of them
git -C "$w" checkout -q -b nl "$(git -C "$srv" rev-parse refs/heads/main)"
commit_as "$w" rita@example.com "never landed"
nl1=$(head_of "$w")
refused "an unapproved push to main" rita "$w" origin "HEAD:refs/heads/main"
"$TK" audit report --format csv --ref refs/heads/main >"$TRASH/report.csv" 2>&1
check "audit report: the refused push's commit is in no landed row" sh -c '! grep "^\"landed\"" "$1" | grep -q "$2"' - "$TRASH/report.csv" "$nl1"
check "...and among the refusals, with its reason" sh -c 'grep "^\"refused\"" "$1" | grep -q "commit $(echo "$2" | cut -c1-12): not approved"' - "$TRASH/report.csv" "$nl1"
check "...the emergency rewind's row names it" sh -c 'grep "^\"landed\"" "$1" | grep -q "INC-2 rewind (waived: approvals"' - "$TRASH/report.csv"
check "...the approved commit's row says how bob counted" sh -c 'grep "^\"landed\"" "$1" | grep "$2" | grep -q "bob (reviewer) via note"' - "$TRASH/report.csv" "$rp1"

done_testing
