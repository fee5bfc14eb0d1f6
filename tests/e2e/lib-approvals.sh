# Helpers for the approval, merge and signed-commit end-to-end tests
# (t0010, t0011, t0012).  Sourced after lib.sh.
#
# Keys are made at test time with ssh-keygen; approvals are made with the
# real `twokey approve` (in a repository configured with the reviewer's
# user.name and user.email) or with ssh-keygen -Y sign over a payload built
# here in shell, exactly as docs/spec.md ("Approval payload v1") says; commits
# are signed by git itself (gpg.format=ssh).

KEYS="$TRASH/keys"
mkdir -p "$KEYS"

# mkkey NAME TYPE [BITS]: a new key pair $KEYS/NAME, $KEYS/NAME.pub.
mkkey() {
	ssh-keygen -q -t "$2" ${3:+-b "$3"} -N '' -C "$1@test" -f "$KEYS/$1" ||
		{ echo "# ssh-keygen -t $2 failed" >&2; exit 1; }
}
# pub NAME: the public key line, for the policy.
pub() { cat "$KEYS/$1.pub"; }

# reviewer NAME EMAIL WORKDIR: a repository of NAME's own, configured with
# NAME's git identity, that sees every object of WORKDIR (alternates), so
# `twokey approve` runs there as it would in the reviewer's clone.
reviewer() {
	r="$TRASH/rev-$1"
	git init -q "$r"
	echo "$3/.git/objects" >"$r/.git/objects/info/alternates"
	git -C "$r" config user.name "$1"
	git -C "$r" config user.email "$2"
}

# approve_tk NAME KEY COMMIT: the trailer `twokey approve -k` prints in
# NAME's repository.
approve_tk() {
	(cd "$TRASH/rev-$1" && "$TK_BIN/twokey" approve --trailer -k "$KEYS/$2" "$3" \
		2>"$TRASH/approve.err")
}

# payload_of WORKDIR COMMIT: the approval payload, built from the raw commit
# object per docs/spec.md: magic line, tree, parents, the author header value
# byte for byte, a blank line, then the message without its Approved-by
# trailers (and their continuation lines), trailing blank lines dropped,
# ending with exactly one newline.
payload_of() {
	git -C "$1" cat-file commit "$2" >"$TRASH/raw-commit"
	printf 'twokey-approval v1\n'
	sed -n '/^$/q; s/^tree /tree /p' "$TRASH/raw-commit"
	sed -n '/^$/q; s/^parent /parent /p' "$TRASH/raw-commit"
	sed -n '/^$/q; s/^author /author /p' "$TRASH/raw-commit"
	printf '\n'
	canon=$(sed '1,/^$/d' "$TRASH/raw-commit" | awk '
		/^[Aa][Pp][Pp][Rr][Oo][Vv][Ee][Dd]-[Bb][Yy]:/ { skip = 1; next }
		skip && /^[ \t]/ { next }
		{ skip = 0; print }')
	printf '%s\n' "$canon"
}

# approve_raw KEY NAME EMAIL WORKDIR COMMIT: the trailer, signed directly
# with ssh-keygen -Y sign -n twokey-approval over payload_of ($SIGN_OPTS
# adds options, e.g. -O hashalg=sha256).
approve_raw() {
	payload_of "$4" "$5" >"$TRASH/payload"
	rm -f "$TRASH/payload.sig"
	ssh-keygen -q -Y sign ${SIGN_OPTS:-} -n twokey-approval -f "$KEYS/$1" "$TRASH/payload" \
		>/dev/null 2>&1 || { echo "# ssh-keygen -Y sign failed" >&2; return 1; }
	printf 'Approved-by: %s <%s> sshsig:%s\n' "$2" "$3" \
		"$(sed '1d;$d' "$TRASH/payload.sig" | tr -d '\n')"
}

# amend_as WORKDIR EMAIL ARGS...: git commit --amend as EMAIL (so EMAIL is
# the committer of the result), with ARGS (--trailer, -S, -m ...).
amend_as() {
	wd=$1
	n=${2%%@*}
	e=$2
	shift 2
	test_tick
	git -C "$wd" -c user.name="$n" -c user.email="$e" commit -q --amend "$@"
}

# add_trailers WORKDIR EMAIL TRAILER...: the author (EMAIL) adds each
# trailer with git commit --amend --no-edit --trailer.
add_trailers() {
	wd=$1
	e=$2
	shift 2
	for t in "$@"; do
		amend_as "$wd" "$e" --no-edit --trailer "$t" || return 1
	done
}

# signed_commit_as WORKDIR EMAIL KEY MESSAGE [FILE]: commit_as, SSH-signed
# by git with KEY.
signed_commit_as() {
	test_tick
	n=${2%%@*}
	f=${5:-file-$tk_tick}
	echo "$tk_tick $4" >>"$1/$f"
	git -C "$1" add "$f"
	git -C "$1" -c user.name="$n" -c user.email="$2" -c gpg.format=ssh \
		-c user.signingKey="$KEYS/$3" commit -q -S -m "$4"
}

# short COMMIT: the 7-hex id the hook prints (from $w).
short() { git -C "$w" rev-parse --short=7 "$1"; }

# expect_push accept|refuse DESCRIPTION LOGIN WORKDIR REFSPEC REF VALUE
#   [REGEX...]: pushes REFSPEC from WORKDIR with GL_USER=LOGIN, then checks
# the exit status, that the server ref REF (in $srv) is VALUE ("" absent)
# and that the output has a line matching each REGEX.
expect_push() {
	ep_want=$1 ep_d=$2 ep_login=$3 ep_wd=$4 ep_spec=$5 ep_ref=$6 ep_val=$7
	shift 7
	if push_as "$ep_login" "$ep_wd" origin "$ep_spec"; then ep_got=accepted
	else ep_got=refused; fi
	if [ "$ep_got" = "${ep_want}ed" ] || [ "$ep_got" = "${ep_want}d" ]; then
		ok "$ep_d: push $ep_got"
	else
		not_ok "$ep_d: push $ep_got, expected it ${ep_want%e}ed"
		sed 's/^/#   /' "$TRASH/out"
	fi
	check "$ep_d: $ep_ref is ${ep_val:-absent}" ref_is "$srv" "$ep_ref" "$ep_val"
	for ep_re in "$@"; do
		check "$ep_d: says /$ep_re/" expect_out "$ep_re"
	done
}


# ere STRING: STRING with the ERE metacharacters escaped.
ere() { printf '%s' "$1" | sed 's/[][\.*^$(){}?+|/]/\\&/g'; }
