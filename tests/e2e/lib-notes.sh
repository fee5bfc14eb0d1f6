# Helpers for the detached-approval tests (t0070-t0079): approvals in
# refs/notes/twokey.  Sourced after lib.sh and lib-approvals.sh.
#
# Note approvals are made two ways: with the real `twokey approve` in a
# reviewer's clone, and by hand (approve_raw: ssh-keygen -Y sign over the
# payload built in shell, then `git notes append`), so that a bug shared by
# the signer and the verifier cannot hide.

NOTES=refs/notes/twokey

# note_line WORKDIR COMMIT LINE: appends LINE to the note on COMMIT in
# WORKDIR's refs/notes/twokey, as `git notes append` does (blank line
# between entries).
note_line() {
	git -C "$1" notes --ref=twokey append -m "$3" "$2"
}

# note_approve KEY NAME EMAIL WORKDIR COMMIT: KEY's approval of COMMIT,
# signed with ssh-keygen and appended to WORKDIR's note on it.
note_approve() {
	nl_line=$(approve_raw "$1" "$2" "$3" "$4" "$5") || return 1
	note_line "$4" "$5" "$nl_line"
}

# audit_last LOG EXPR...: each python EXPR is true of the last record of
# LOG (r is the record).
audit_last() {
	al_log=$1
	shift
	python3 - "$al_log" "$@" <<'EOF'
import json, re, sys
lines = open(sys.argv[1], 'rb').read().splitlines()
r = json.loads(lines[-1].decode('utf-8'))
for e in sys.argv[2:]:
    if not eval(e, {'r': r, 're': re}):
        print('# false: %s\n# record: %s' % (e, json.dumps(r)[:3000]))
        sys.exit(1)
EOF
}

# approvers_of LOG REF COMMIT: "identity:via ..." of COMMIT in the last
# record's entry for REF, sorted.
approvers_of() {
	python3 - "$@" <<'EOF'
import json, sys
r = json.loads(open(sys.argv[1], 'rb').read().splitlines()[-1])
for ref in r['refs']:
    if ref['ref'] != sys.argv[2]:
        continue
    for c in ref['commits']:
        if c['id'] == sys.argv[3]:
            print(' '.join(sorted('%s:%s' % (a['identity'], a['via'])
                                  for a in c.get('approvers', []))))
EOF
}

# notes_tip REPO: the value of refs/notes/twokey there ("" when absent).
notes_tip() { git -C "$1" rev-parse -q --verify "$NOTES" 2>/dev/null || true; }
