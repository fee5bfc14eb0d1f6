#!/bin/sh
# twokey config allowed-signers: the policy's keys as an OpenSSH
# allowed_signers file, checked with the real ssh-keygen -Y verify (valid
# key accepted in both namespaces, revoked key and wrong principal
# refused, validity windows in UTC) and git log --show-signature.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

mkkey alice ed25519
mkkey bob ecdsa 256
mkkey carol ed25519
mkkey carol2 ed25519
mkkey dave rsa 3072
write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles: {developer: writes, reviewer: approves}
identities:
  alice: {emails: [alice@example.com, alice@users.example.com], keys: ["$(pub alice)"], roles: [developer]}
  bob:
    emails: [bob@example.com]
    keys:
      - key: "$(pub bob)"
        valid-after: 2020-01-01
        valid-before: "2099-01-01T00:00:00Z"
    roles: [reviewer]
  carol: {emails: [carol@example.com], keys: ["$(pub carol)", "$(pub carol2)"], roles: [reviewer]}
  dave: {emails: [dave@example.com], keys: ["$(pub dave)"], roles: [reviewer]}
revoked-keys: ["$(pub carol)"]
rules: []
EOF
S=$TRASH/allowed_signers
check "config allowed-signers" sh -c \
	"'$TK_BIN/twokey' config allowed-signers '$TWOKEY_CONFIG' >'$S' 2>'$TRASH/err'"
check "alice: both emails as principals, both namespaces" grep -qx \
	"alice@example.com,alice@users.example.com namespaces=\"git,twokey-approval\" $(cut -d' ' -f1,2 "$KEYS/alice.pub")" "$S"
check "bob: his window in UTC, valid-before one second earlier" grep -qx \
	"bob@example.com namespaces=\"git,twokey-approval\",valid-after=\"20200101000000Z\",valid-before=\"20981231235959Z\" $(cut -d' ' -f1,2 "$KEYS/bob.pub")" "$S"
check "carol: the revoked key is left out" sh -c \
	"! grep -q '$(cut -d' ' -f2 "$KEYS/carol.pub")' '$S'"
check "carol: the other key is there" grep -q "$(cut -d' ' -f2 "$KEYS/carol2.pub")" "$S"

echo "a message to sign" >"$TRASH/msg"
# verify KEY PRINCIPAL NAMESPACE [OPTIONS]: ssh-keygen -Y verify against $S
verify() {
	rm -f "$TRASH/msg.sig"
	ssh-keygen -q -Y sign -n "$3" -f "$KEYS/$1" "$TRASH/msg" >/dev/null 2>&1 || return 2
	shift 0
	k=$1 p=$2 n=$3
	shift 3
	ssh-keygen -Y verify -f "$S" -I "$p" -n "$n" -s "$TRASH/msg.sig" "$@" \
		<"$TRASH/msg" >"$TRASH/verify.out" 2>&1
}
check "alice verifies as twokey-approval" verify alice alice@example.com twokey-approval
check "...saying Good" grep -q "Good \"twokey-approval\" signature for alice@example.com" "$TRASH/verify.out"
check "alice verifies under her second email" verify alice alice@users.example.com twokey-approval
check "alice verifies as git" verify alice alice@example.com git
check "carol's second key verifies" verify carol2 carol@example.com twokey-approval
check "dave's RSA key verifies" verify dave dave@example.com git
verify carol carol@example.com twokey-approval
check "carol's revoked key is refused" test $? -eq 255
verify alice bob@example.com twokey-approval
check "alice as bob is refused" test $? -eq 255
verify alice alice@example.com file
check "another namespace is refused" test $? -eq 255
check "bob verifies now" verify bob bob@example.com twokey-approval
verify bob bob@example.com twokey-approval -Overify-time=20191231
check "bob before his window is refused" test $? -eq 255
verify bob bob@example.com twokey-approval -Overify-time=20990101000000Z
check "bob at his valid-before is refused (twokey's end is exclusive)" test $? -eq 255
check "bob one second earlier verifies" verify bob bob@example.com twokey-approval \
	-Overify-time=20981231235959Z

# git itself, with gpg.ssh.allowedSignersFile
w=$(new_work w)
git -C "$w" config gpg.ssh.allowedSignersFile "$S"
signed_commit_as "$w" alice@example.com alice "signed by alice"
check "git verify-commit with the file" sh -c "git -C '$w' verify-commit HEAD 2>'$TRASH/vc'"
check "...Good for alice" grep -q 'Good "git" signature for alice@example.com' "$TRASH/vc"
signed_commit_as "$w" carol@example.com carol "signed with carol's revoked key"
check "git refuses the revoked key" sh -c "! git -C '$w' verify-commit HEAD 2>/dev/null"
done_testing
