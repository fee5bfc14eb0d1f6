#!/bin/sh
# A compiled policy that was tampered with or planted never widens the
# policy (docs/decisions.md, "A compiled policy can never widen it"):
# bytes flipped anywhere, dave's role changed in place, the compiled form
# of a looser policy copied over, one made by another loader (its build
# tag), a file owned by another user, one
# writable by others, a directory or a FIFO in its place: each time the
# YAML decides, the push it refuses stays refused, the one it accepts
# stays accepted, and no push fails because of the cache itself.
. "$(dirname "$0")/lib.sh"

TK="$TK_BIN/twokey"
command -v python3 >/dev/null || {
	echo "Bail out! python3 is required (scripts/deps installs it)"
	exit 1
}
P="$TRASH/etc/policy.yaml"
L="$TRASH/etc/loose.yaml"
mkdir -p "$TRASH/etc" "$TRASH/log"
policy() { # FILE ROLE-OF-DAVE
	cat >"$1" <<EOF
version: 1
roles:
  developer: writes code
  operations: deploys
identities:
  rita:
    emails: [rita@example.com]
    logins: [rita]
    roles: [operations]
  dave:
    emails: [dave@example.com]
    logins: [dave]
    roles: [$2]
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
# The strict policy (dave a developer) and a looser one that differs only
# in dave's role (the same length: "developer" and "operations" differ
# by one byte, so everything after it lines up).
policy "$P" developer
policy "$L" "operations"
export TWOKEY_CONFIG="$P"
"$TK" config compile "$P" >/dev/null && "$TK" config compile "$L" >/dev/null
check "both compiled" test -f "$P.compiled" -a -f "$L.compiled"
cp "$P.compiled" "$TRASH/good.compiled"

srv=$(new_server srv)
w=$(new_work w)
git -C "$w" remote add origin "$srv"
commit_as "$w" rita@example.com "base"
accepted "rita (operations) creates main" rita "$w" origin main
base=$(head_of "$w")
commit_as "$w" dave@example.com "dave's change"

# try LABEL: dave's push to main is refused and rita's accepted, as the
# strict YAML says, whatever the compiled file in place.
n=0
try() {
	refused "$1: dave (developer) is refused on main" dave "$w" origin "HEAD:refs/heads/main"
	check "$1: main unchanged" ref_is "$srv" refs/heads/main "$base"
	n=$((n + 1))
	accepted "$1: rita (operations) still pushes" rita "$w" origin "HEAD~1:refs/heads/rita-$n"
}
try "the good compiled form"

# --- bytes flipped: at the start, the policy hash, the body, the end -------
size=$(stat -c %s "$TRASH/good.compiled")
for off in 0 12 40 90 $((size / 2)) $((size - 1)); do
	python3 - "$TRASH/good.compiled" "$P.compiled" "$off" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[3])] ^= 0x01
open(sys.argv[2], "wb").write(b)
PY
	try "byte $off flipped"
done

# --- dave's role changed in place: the bytes where the two forms differ ----
python3 - "$TRASH/good.compiled" "$L.compiled" "$P.compiled" <<'PY'
import sys
good = open(sys.argv[1], "rb").read()
loose = open(sys.argv[2], "rb").read()
assert len(good) == len(loose), "the two forms should line up"
# the header (magic .. body checksum) stays the strict policy's
taglen = int.from_bytes(good[12:16], "little")
body = 16 + taglen + 32 + 8 + 32
out = bytearray(good)
diff = [i for i in range(body, len(good)) if good[i] != loose[i]]
assert diff, "the bodies should differ in dave's role"
for i in diff:
    out[i] = loose[i]
open(sys.argv[3], "wb").write(out)
print("# %d body bytes changed to the looser policy's" % len(diff))
PY
try "dave's role changed in the body"

# --- the looser policy's compiled form copied over -------------------------
cp "$L.compiled" "$P.compiled"
try "a looser policy's compiled form"
"$TK" config check "$P" >"$TRASH/out" 2>&1
check "config check calls it stale" expect_out "compiled from other policy bytes \(stale\)"

# --- not trusted: writable by others, owned by another user -----------------
cp "$TRASH/good.compiled" "$P.compiled"
chmod 646 "$P.compiled"
"$TK" config check "$P" >"$TRASH/out" 2>&1
check "config check: writable by others is ignored" expect_out \
	"ignore it .*writable by group or others and the policy is not"
# A good form, but the hooks may not trust it: dave's push stays refused
# because the YAML decides; the form would decide the same, so show it
# is not used with one that would widen, made writable by others.
python3 - "$TRASH/good.compiled" "$L.compiled" "$P.compiled" <<'PY'
import sys
good = open(sys.argv[1], "rb").read()
loose = open(sys.argv[2], "rb").read()
taglen = int.from_bytes(good[12:16], "little")
at = 16 + taglen
# the looser form, under the strict policy's hash: a forgery
open(sys.argv[3], "wb").write(loose[:at] + good[at:at + 32] + loose[at + 32:])
PY
chmod 646 "$P.compiled"
try "a forged form, writable by others"
if [ "$(id -u)" -eq 0 ]; then
	chmod 644 "$P.compiled"
	chown nobody "$P.compiled"
	"$TK" config check "$P" >"$TRASH/out" 2>&1
	check "config check: owned by another user is ignored" expect_out \
		"ignore it and parse the YAML \(it is owned by uid [0-9]+, neither the policy's owner \(uid 0\) nor root\)"
	try "a forged form, owned by nobody"
else
	# not root: the policy is ours; root's /etc/hostname stands in for a
	# file of another owner (a symlink: the check is on what it names)
	ln -sf /etc/hostname "$P.compiled"
	try "a file owned by root, the policy by $(id -un)"
fi

# --- made by another loader ---------------------------------------------------
# The build tag names the version and a fingerprint of the loader's
# sources: a form one loader made means what that loader read in the
# YAML, so another loader's is ignored even under the same version (an
# upgrade that refuses what the old loader accepted must not keep using
# the old form).  The looser form under the strict policy's hash, as an
# owner could reseal it: used with this loader's tag, ignored with another.
python3 - "$TRASH/good.compiled" "$L.compiled" "$TRASH/resealed" "$TRASH/other-loader" <<'PY'
import re, sys
good = open(sys.argv[1], "rb").read()
loose = open(sys.argv[2], "rb").read()
taglen = int.from_bytes(good[12:16], "little")
at = 16 + taglen
tag = good[16:at]
assert re.fullmatch(rb"twokey [0-9.]+ loader [0-9a-f]{16}", tag), tag
resealed = loose[:at] + good[at:at + 32] + loose[at + 32:]
open(sys.argv[3], "wb").write(resealed)
other = tag[:-16] + (b"0123456789abcdef" if tag[-16:] != b"0123456789abcdef" else b"fedcba9876543210")
open(sys.argv[4], "wb").write(resealed[:16] + other + resealed[at:])
PY
rm -f "$P.compiled" && cp "$TRASH/resealed" "$P.compiled"
"$TK" config check "$P" >"$TRASH/out" 2>&1
check "control: resealed by its owner with this loader's tag, the hooks would use it" \
	expect_out "up to date: the hooks use it"
rm -f "$P.compiled" && cp "$TRASH/other-loader" "$P.compiled"
"$TK" config check "$P" >"$TRASH/out" 2>&1
check "another loader's tag: config check says it is ignored" \
	expect_out "compiled by another version of twokey"
try "a looser form made by another loader"

# --- not a file ---------------------------------------------------------------
rm -f "$P.compiled"
mkdir "$P.compiled"
try "a directory in its place"
rmdir "$P.compiled"
mkfifo "$P.compiled"
try "a FIFO in its place (never waited on)"
rm -f "$P.compiled"
: >"$P.compiled"
try "an empty file"

# --- and the good form again: used, deciding the same ------------------------
cp "$TRASH/good.compiled" "$P.compiled"
"$TK" config check "$P" >"$TRASH/out" 2>&1
check "the good form is up to date" expect_out "up to date: the hooks use it"
try "the good form again"

done_testing
