#!/bin/sh
# Differential test of twokey's in-process SSH signature verification
# against the real tools: every item of a freshly generated corpus is judged
# by twokey (tests/tools/tk_verify) and by OpenSSH or git, and the verdicts
# must agree.
#
#   approval-style SSHSIGs: "ssh-keygen -Y sign" over random payloads with
#     keys ed25519, ecdsa 256/384/521, rsa 2048/3072, hash sha512 (default)
#     and sha256, namespace twokey-approval or git; judged by
#     "ssh-keygen -Y verify" with an allowed_signers file holding the key
#     (tk_verify sig).  Variants: good; message changed in one byte; wrong
#     namespace (signed with git, verified as twokey-approval, and the
#     reverse); signature made by another key; one random byte of the blob
#     changed and re-armoured; the good blob re-armoured differently (wrap
#     at 76 or 64, one line, CR before every LF after the header line, text
#     after the footer, blank lines and tabs in the base64).
#   signed commits: "git commit -S" with gpg.format=ssh; judged by
#     "git verify-commit" with gpg.ssh.allowedSignersFile holding the key
#     for the committer's email (tk_verify commit on the raw object).
#     Variants: good; signed by another key; an SSHSIG over the right
#     payload but with namespace twokey-approval; the object edited after
#     signing (a message byte, the author line, an added header) and
#     written with "git hash-object -t commit -w --stdin"; the gpgsig header
#     moved into the message body (first or last lines); an extra
#     gpgsig-sha256 or gpgsig-like header added after signing (git drops
#     those from the payload, so both must still say good).
#
# Not compared, but checked and counted (mode column of the totals):
#   tk-stricter: twokey refuses on purpose what the reference accepts, and
#     tk_verify must say bad: the gpgsig header duplicated (git
#     concatenates, ssh-keygen reads the first armour; include/twokey/
#     commit.h), and the unsigned SSHSIG fields rewritten, version 1 -> 0
#     and a non-empty reserved field (OpenSSH ignores both; twokey requires
#     version 1 and an empty reserved field, include/twokey/sshsig.h).
# Compared like the rest: "-----BEGIN SSH SIGNATURE-----" followed by CR LF,
#   in an armoured file and in a commit's gpgsig header.  OpenSSH accepts
#   that only since 9.5; the target's 9.2 refuses it, and so does twokey.
#
# Usage: sh tests/e2e/t0020-differential.sh [N]
#   N signatures of each kind (default 100: about 20 s on two idle cores; ctest
#   runs it as e2e.t0020-differential).  The full size is
#       sh tests/e2e/t0020-differential.sh 1000
#   (measured on two cores: 235 s to generate and judge, 380 s wall with
#   the summary and the removal of the corpus).  Outside ctest, TK_SRC
#   defaults to this source tree and TK_BIN to its newest build directory
#   containing tests/tools/tk_verify; DIFF_JOBS sets the parallelism
#   (default: nproc); TK_KEEP=1 keeps the corpus, which is kept anyway on
#   failure; TK_SEED=N replays the corpus of seed N (the seed of every run
#   is printed; by default it is the date).
#
# Output: one "not ok" line per disagreement (kind, variant, the two
# verdicts, the item's directory, tk_verify's reason and the reference's
# output), then per-variant totals and "N good, N bad, N/N agree".

# ---- one item, run by the xargs workers (before lib.sh: no new TRASH) ----

# The corpus comes from a seeded generator, not /dev/urandom, so that a
# failure can be replayed: the seed (TK_SEED, else today's UTC date) is
# printed, and TK_SEED=that gives the same messages, flipped bytes, key
# choices and dates.  Each item has its own stream ($d/rng, from the seed
# and the item's kind and number), so the parallel workers' order does not
# matter.  The keys, and the nonces of ECDSA and RSA signatures, are still
# ssh-keygen's own.
#
# The generator is an LCG mod 2^31 (the C standard's example constants);
# rnd takes the high 15 bits of two steps.

# rng_init KIND INDEX: item INDEX's stream; needs $d.
rng_init() {
	RNG=$d/rng
	echo $(((DIFF_SEED % 2147483648 * 48271 + $1 * 7919 + $2 * 104729 + 1) %
		2147483648)) >"$RNG"
}
# rnd: a pseudo-random number in 0..2^30-1 (works in $(...): the state is
# in $RNG).
rnd() {
	read -r rs <"$RNG"
	rs=$(((rs * 1103515245 + 12345) % 2147483648))
	ra=$((rs / 65536))
	rs=$(((rs * 1103515245 + 12345) % 2147483648))
	echo "$rs" >"$RNG"
	echo $((ra * 32768 + rs / 65536))
}
# rbytes N: N pseudo-random bytes on stdout.
rbytes() {
	read -r rs <"$RNG"
	rb_n=$1 rb_f=""
	while [ "$rb_n" -gt 0 ]; do
		rs=$(((rs * 1103515245 + 12345) % 2147483648))
		rb=$((rs / 65536 % 256))
		rb_f="$rb_f\\$((rb / 64))$((rb / 8 % 8))$((rb % 8))"
		rb_n=$((rb_n - 1))
	done
	echo "$rs" >"$RNG"
	# shellcheck disable=SC2059 # octal escapes only
	printf "$rb_f"
}

# flip_byte FILE POS: changes the byte at POS (xor with a non-zero byte).
flip_byte() {
	fb_old=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' \n')
	fb_x=$(($(rnd) % 255 + 1))
	fb_new=$((fb_old ^ fb_x))
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' "$fb_new")" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# set_byte FILE POS: replaces the byte at POS by a different letter.
set_byte() {
	sb_old=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' \n')
	if [ "$sb_old" -eq 120 ]; then sb_new=y; else sb_new=x; fi
	printf '%s' "$sb_new" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# verdict STATUS: good for 0, bad for 1 (or 255 for ssh-keygen), else err.
tk_verdict() { case $1 in 0) echo good ;; 1) echo bad ;; *) echo "err($1)" ;; esac; }
ref_verdict() { if [ "$1" -eq 0 ]; then echo good; else echo bad; fi; }

# result KIND VARIANT MODE TKSTATUS REFSTATUS DIR
result() {
	echo "$1 $2 $3 $(tk_verdict "$4") $(ref_verdict "$5") $6"
}

# key_of INDEX: the name of key INDEX mod the number of keys.
key_of() { sed -n "$(($1 % DIFF_NKEYS + 1))p" "$DIFF_DIR/keys.list"; }

# sig_case VARIANT NS SIG MSG KEY DIR [MODE]: both verdicts on one
# signature.
sig_case() {
	"$TK_VERIFY" sig "$2" "$3" "$4" "$DIFF_DIR/keys/$5.pub" \
		>/dev/null 2>"$6/$1.tk.err"
	sc_tk=$?
	ssh-keygen -Y verify -n "$2" -f "$DIFF_DIR/keys/$5.allowed" \
		-I "$5@example.com" -s "$3" <"$4" >"$6/$1.ref.out" 2>&1
	sc_ref=$?
	cat >"$6/$1.cmd" <<-EOF
	$TK_VERIFY sig $2 $3 $4 $DIFF_DIR/keys/$5.pub
	ssh-keygen -Y verify -n $2 -f $DIFF_DIR/keys/$5.allowed -I $5@example.com -s $3 <$4
	EOF
	result sig "$1" "${7:-compare}" "$sc_tk" "$sc_ref" "$6"
}

# armor BLOB: the armoured form, as ssh-keygen writes it.
armor() {
	echo "-----BEGIN SSH SIGNATURE-----"
	base64 -w 70 "$1"
	echo "-----END SSH SIGNATURE-----"
}

# u32 FILE POS: the big-endian uint32 at POS.
u32() {
	# shellcheck disable=SC2046 # four numbers, split on purpose
	set -- $(od -An -tu1 -j "$2" -N4 "$1")
	echo $(($1 * 16777216 + $2 * 65536 + $3 * 256 + $4))
}

# sign KEY NS HASHOPT FILE: FILE.sig, made by ssh-keygen.
sign() {
	rm -f "$4.sig"
	# shellcheck disable=SC2086
	ssh-keygen -q -Y sign -f "$DIFF_DIR/keys/$1" -n "$2" $3 "$4" \
		2>"$4.sign.err" || {
		echo "# ssh-keygen -Y sign failed for $4:" >&2
		cat "$4.sign.err" >&2
		return 1
	}
}

sig_item() {
	i=$1
	d=$DIFF_DIR/sig/$i
	mkdir -p "$d"
	rng_init 1 "$i"
	k=$(key_of "$i")
	k2=$(key_of "$((i + 1 + $(rnd) % (DIFF_NKEYS - 1)))")
	# Every key meets every (hash, namespace) pair, and small N see all.
	combo=$(((i / DIFF_NKEYS + i) % 4))
	if [ $((combo % 2)) -eq 0 ]; then hashopt=; else hashopt="-O hashalg=sha256"; fi
	if [ "$combo" -lt 2 ]; then
		ns=twokey-approval other=git
	else
		ns=git other=twokey-approval
	fi
	echo "key=$k other=$k2 ns=$ns hash=${hashopt:-sha512}" >"$d/info"
	if [ $((i % 25)) -eq 7 ]; then len=0; else len=$(($(rnd) % 3000)); fi
	rbytes "$len" >"$d/msg"
	sign "$k" "$ns" "$hashopt" "$d/msg" || return 1
	sig_case good "$ns" "$d/msg.sig" "$d/msg" "$k" "$d"

	# The message changed in one byte (an empty one gains a byte).
	cp "$d/msg" "$d/msg1"
	if [ "$len" -eq 0 ]; then
		rbytes 1 >"$d/msg1"
	else
		flip_byte "$d/msg1" "$(($(rnd) % len))"
	fi
	sig_case message "$ns" "$d/msg.sig" "$d/msg1" "$k" "$d"

	sig_case namespace "$other" "$d/msg.sig" "$d/msg" "$k" "$d"

	cp "$d/msg" "$d/other"
	sign "$k2" "$ns" "$hashopt" "$d/other" || return 1
	sig_case otherkey "$ns" "$d/other.sig" "$d/msg" "$k" "$d"

	# One byte of the blob changed, armoured again as ssh-keygen does.
	sed '1d;$d' "$d/msg.sig" | base64 -d >"$d/blob"
	bl=$(wc -c <"$d/blob")
	pos=$(($(rnd) % bl))
	flip_byte "$d/blob" "$pos"
	echo "flipped blob byte $pos of $bl" >>"$d/info"
	armor "$d/blob" >"$d/flip.sig"
	sig_case blobbyte "$ns" "$d/flip.sig" "$d/msg" "$k" "$d"

	# The good blob in other armour (both tools skip white space).
	sed '1d;$d' "$d/msg.sig" | base64 -d >"$d/blob"
	b64=$(base64 -w 0 "$d/blob")
	hdr="-----BEGIN SSH SIGNATURE-----"
	ftr="-----END SSH SIGNATURE-----"
	case $((i % 5)) in
	0) { echo "$hdr"; base64 -w 76 "$d/blob"; echo "$ftr"; } ;;
	1) printf '%s\n%s\n%s\n' "$hdr" "$b64" "$ftr" ;;
	2) { echo "$hdr"; base64 -w 64 "$d/blob" | sed 's/$/\r/'; printf '%s\r\n' "$ftr"; } ;;
	3) printf '%s\n%s\n%s\nnot part of it\n%s' "$hdr" "$b64" "$ftr" "$ftr" ;;
	4) { echo "$hdr"; echo; base64 -w 40 "$d/blob" | sed 's/^/\t/; s/$/  /'; echo; echo "$ftr"; } ;;
	esac >"$d/armor.sig"
	echo "armor style $((i % 5))" >>"$d/info"
	sig_case armor "$ns" "$d/armor.sig" "$d/msg" "$k" "$d"

	# CR LF after the header line: OpenSSH 9.2 and twokey refuse it.
	printf '%s\r\n' "$hdr" >"$d/crlf.sig"
	base64 -w 70 "$d/blob" | sed 's/$/\r/' >>"$d/crlf.sig"
	printf '%s\r\n' "$ftr" >>"$d/crlf.sig"
	sig_case crlfheader "$ns" "$d/crlf.sig" "$d/msg" "$k" "$d" compare

	# The fields no signature covers: version 0, a non-empty reserved one.
	cp "$d/blob" "$d/v0.blob"
	printf '\000' | dd of="$d/v0.blob" bs=1 seek=9 conv=notrunc 2>/dev/null
	armor "$d/v0.blob" >"$d/v0.sig"
	sig_case version0 "$ns" "$d/v0.sig" "$d/msg" "$k" "$d" tk-stricter
	kl=$(u32 "$d/blob" 10)
	nl=$(u32 "$d/blob" $((14 + kl)))
	ro=$((18 + kl + nl))
	{
		head -c "$ro" "$d/blob"
		printf '\000\000\000\003abc'
		tail -c +$((ro + 5)) "$d/blob"
	} >"$d/res.blob"
	armor "$d/res.blob" >"$d/res.sig"
	sig_case reserved "$ns" "$d/res.sig" "$d/msg" "$k" "$d" tk-stricter
}

# commit_case VARIANT MODE OID DIR KEY: both verdicts on one commit.
commit_case() {
	git -C "$4/repo" cat-file commit "$3" >"$4/$1.raw" || return 1
	"$TK_VERIFY" commit "$4/$1.raw" "$DIFF_DIR/keys/$5.pub" \
		>/dev/null 2>"$4/$1.tk.err"
	cc_tk=$?
	git -C "$4/repo" verify-commit "$3" >"$4/$1.ref.out" 2>&1
	cc_ref=$?
	cat >"$4/$1.cmd" <<-EOF
	$TK_VERIFY commit $4/$1.raw $DIFF_DIR/keys/$5.pub
	git -C $4/repo verify-commit $3
	EOF
	result commit "$1" "$2" "$cc_tk" "$cc_ref" "$4"
}

# write_commit FILE: writes the raw object FILE, prints its id.
write_commit() { git -C "$d/repo" hash-object -t commit -w --stdin <"$1"; }

# The awk programs read the raw object; h is 1 while in the headers.
# strip_sig: the object without its gpgsig header (the signed payload).
strip_sig() {
	awk 'h == 0 && /^gpgsig / { s = 1; next }
	     h == 0 && s && /^ / { next }
	     { s = 0 } h == 0 && $0 == "" { h = 1 } { print }' "$1"
}
# sig_lines: only the gpgsig header and its continuation lines.
sig_lines() {
	awk 'h == 0 && /^gpgsig / { s = 1; print; next }
	     h == 0 && s && /^ / { print; next }
	     { s = 0 } $0 == "" { exit }' "$1"
}
# add_header FILE HEADERFILE: HEADERFILE's lines inserted before the blank
# line that ends the headers.
add_header() {
	awk -v hf="$2" 'h == 0 && $0 == "" {
		while ((getline l < hf) > 0) print l
		h = 1
	} { print }' "$1"
}

commit_item() {
	j=$1
	d=$DIFF_DIR/commit/$j
	mkdir -p "$d"
	rng_init 2 "$j"
	k=$(key_of "$j")
	k2=$(key_of "$((j + 1 + $(rnd) % (DIFF_NKEYS - 1)))")
	echo "key=$k other=$k2" >"$d/info"
	git init -q "$d/repo" || return 1
	cat >>"$d/repo/.git/config" <<-EOF
	[user]
		name = Committer $k
		email = $k@example.com
		signingKey = $DIFF_DIR/keys/$k
	[gpg]
		format = ssh
	[gpg "ssh"]
		allowedSignersFile = $DIFF_DIR/keys/$k.allowed
	EOF
	t=$((1500000000 + $(rnd) % 400000000))
	export GIT_AUTHOR_DATE="$t +0000" GIT_COMMITTER_DATE="$((t + 60)) +0000"
	# Odd items get a parent.
	if [ $((j % 2)) -eq 1 ]; then
		rbytes 100 | od -An -tx1 >"$d/repo/base"
		git -C "$d/repo" add base &&
			git -C "$d/repo" commit -q -m "base $j" || return 1
	fi
	rbytes $(($(rnd) % 2000)) | od -An -tx1 >"$d/repo/file"
	git -C "$d/repo" add file || return 1
	body=$(rbytes $(($(rnd) % 300 + 1)) | od -An -tx1)
	git -C "$d/repo" commit -q -S -m "item $j" -m "$body" || return 1
	oid=$(git -C "$d/repo" rev-parse HEAD)
	commit_case good compare "$oid" "$d" "$k"
	good=$d/good.raw

	# Signed by another key, same committer (and so the same allowed key).
	git -C "$d/repo" -c user.signingKey="$DIFF_DIR/keys/$k2" \
		commit -q -S --amend --no-edit || return 1
	commit_case otherkey compare "$(git -C "$d/repo" rev-parse HEAD)" "$d" "$k"

	# The right payload signed with namespace twokey-approval.
	strip_sig "$good" >"$d/payload"
	sign "$k" twokey-approval "" "$d/payload" || return 1
	sed '1s/^/gpgsig /; 2,$s/^/ /' "$d/payload.sig" >"$d/nshdr"
	add_header "$d/payload" "$d/nshdr" >"$d/ns.in"
	commit_case namespace compare "$(write_commit "$d/ns.in")" "$d" "$k"

	# Edited after signing.
	case $(((j / DIFF_NKEYS + j) % 3)) in
	0) # a byte of the message
		hl=$(awk '{ n += length($0) + 1 } $0 == "" { print n; exit }' "$good")
		size=$(wc -c <"$good")
		pos=$((hl + $(rnd) % (size - hl)))
		cp "$good" "$d/edit.in"
		set_byte "$d/edit.in" "$pos"
		echo "edit: message byte $pos" >>"$d/info"
		;;
	1) # the author's name
		awk 'h == 0 && /^author / { sub(/ </, "x <") }
		     $0 == "" { h = 1 } { print }' "$good" >"$d/edit.in"
		echo "edit: author" >>"$d/info"
		;;
	2) # a header added
		echo "encoding ISO-8859-1" >"$d/hdr"
		add_header "$good" "$d/hdr" >"$d/edit.in"
		echo "edit: encoding header" >>"$d/info"
		;;
	esac
	commit_case edited compare "$(write_commit "$d/edit.in")" "$d" "$k"

	# The gpgsig header moved into the message body.
	sig_lines "$good" >"$d/sighdr"
	if [ $((j % 2)) -eq 0 ]; then
		awk -v hf="$d/sighdr" '{ print }
		    h == 0 && $0 == "" { while ((getline l < hf) > 0) print l; h = 1 }' \
			"$d/payload" >"$d/moved.in"
		echo "moved: top of body" >>"$d/info"
	else
		cat "$d/payload" "$d/sighdr" >"$d/moved.in"
		echo "moved: end of body" >>"$d/info"
	fi
	commit_case moved compare "$(write_commit "$d/moved.in")" "$d" "$k"

	# Another gpgsig* header, which git leaves out of the payload.
	if [ $((j / 2 % 2)) -eq 0 ]; then
		sed '1s/^gpgsig /gpgsig-sha256 /' "$d/sighdr" >"$d/fhdr"
	else
		printf 'gpgsig-x something\n else\n' >"$d/fhdr"
	fi
	add_header "$good" "$d/fhdr" >"$d/foreign.in"
	commit_case foreignhdr compare "$(write_commit "$d/foreign.in")" "$d" "$k"

	# Documented divergence: the signature header twice.
	add_header "$good" "$d/sighdr" >"$d/dup.in"
	commit_case dupsig tk-stricter "$(write_commit "$d/dup.in")" "$d" "$k"

	# CR LF after the armour's header line (see the note above).
	awk 'h == 0 && /^gpgsig / { $0 = $0 "\r" } $0 == "" { h = 1 } { print }' \
		"$good" >"$d/crlf.in"
	commit_case crlfheader compare "$(write_commit "$d/crlf.in")" "$d" "$k"
}

if [ "${1:-}" = --sig-items ] || [ "${1:-}" = --commit-items ]; then
	what=${1#--}
	shift
	for n in "$@"; do
		if [ "$what" = sig-items ]; then sig_item "$n"; else commit_item "$n"; fi ||
			echo "generation-failed ${what%-items} $n - - - $DIFF_DIR/${what%-items}/$n"
	done
	exit 0
fi

# ---- the test ----

N=${1:-100}
case $N in '' | *[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;; esac
if [ -z "${TK_SRC:-}" ]; then
	TK_SRC=$(cd "$(dirname "$0")/../.." && pwd)
	export TK_SRC
fi
if [ -z "${TK_BIN:-}" ]; then
	# shellcheck disable=SC2012
	tv=$(ls -t "$TK_SRC"/build*/tests/tools/tk_verify 2>/dev/null | head -n 1)
	TK_BIN=${tv%/tests/tools/tk_verify}
	export TK_BIN
fi
. "$(dirname "$0")/lib.sh"

TK_VERIFY=$TK_BIN/tests/tools/tk_verify
if [ ! -x "$TK_VERIFY" ]; then
	echo "# $TK_VERIFY missing: build the tk_verify target" >&2
	exit 1
fi
for tool in ssh-keygen git base64 od dd awk xargs; do
	command -v "$tool" >/dev/null || { echo "# $tool is missing" >&2; exit 1; }
done
JOBS=${DIFF_JOBS:-$(nproc 2>/dev/null || echo 2)}
DIFF_DIR=$TRASH/corpus
DIFF_SEED=${TK_SEED:-$(date -u +%Y%m%d)}
case $DIFF_SEED in
'' | *[!0-9]* | ??????????????????*) echo "TK_SEED: a number of at most 17 digits" >&2; exit 2 ;;
esac
echo "# seed $DIFF_SEED (TK_SEED=$DIFF_SEED draws the same corpus again)"
export TK_VERIFY DIFF_DIR DIFF_SEED
mkdir -p "$DIFF_DIR/keys" "$DIFF_DIR/sig" "$DIFF_DIR/commit"
start=$(date +%s)

# Two keys of each type, so that "another key" can also be of the same type.
for spec in ed25519 ecdsa256 ecdsa384 ecdsa521 rsa2048 rsa3072; do
	for n in 1 2; do echo "$spec-$n"; done
done >"$DIFF_DIR/keys.list"
DIFF_NKEYS=$(wc -l <"$DIFF_DIR/keys.list")
export DIFF_NKEYS
# shellcheck disable=SC2016
xargs -P "$JOBS" -I KEY sh -c '
	k=KEY
	case $k in
	ed25519*) opt="-t ed25519" ;;
	ecdsa*) b=${k#ecdsa}; opt="-t ecdsa -b ${b%-*}" ;;
	rsa*) b=${k#rsa}; opt="-t rsa -b ${b%-*}" ;;
	esac
	ssh-keygen -q $opt -N "" -C "twokey-test-only $k" -f "$DIFF_DIR/keys/$k" &&
	echo "$k@example.com $(cut -d" " -f1,2 "$DIFF_DIR/keys/$k.pub")" \
		>"$DIFF_DIR/keys/$k.allowed"' <"$DIFF_DIR/keys.list"
while read -r k; do
	if [ ! -s "$DIFF_DIR/keys/$k.allowed" ]; then
		echo "# key generation failed for $k" >&2
		exit 1
	fi
done <"$DIFF_DIR/keys.list"

seq 0 $((N - 1)) | xargs -P "$JOBS" -n 8 sh "$0" --sig-items >"$DIFF_DIR/sig.results"
seq 0 $((N - 1)) | xargs -P "$JOBS" -n 4 sh "$0" --commit-items >"$DIFF_DIR/commit.results"
end=$(date +%s)

cat "$DIFF_DIR/sig.results" "$DIFF_DIR/commit.results" >"$DIFF_DIR/results"

# Disagreements and other failures, each with both tools' reasons.
while read -r kind variant mode tk ref dir; do
	case $kind in
	generation-failed)
		not_ok "generating $variant item: $dir"
		continue
		;;
	esac
	case $mode:$tk:$ref in
	compare:good:good | compare:bad:bad) [ "$variant:$ref" != good:bad ] && continue ;;
	tk-stricter:bad:*) continue ;;
	esac
	if [ "$variant" = good ] && [ "$ref" = bad ]; then
		why="the reference rejects an untampered item (broken corpus)"
	elif [ "$mode" = tk-stricter ]; then
		why="twokey accepts what it documents refusing"
	else
		why="disagreement"
	fi
	if [ "$kind" = sig ]; then refname=ssh-keygen; else refname=git; fi
	not_ok "$kind $variant: twokey $tk, $refname $ref: $why ($dir)"
	sed 's/^/#   info: /' "$dir/info"
	sed 's/^/#   tk_verify: /' "$dir/$variant.tk.err"
	sed 's/^/#   reference: /' "$dir/$variant.ref.out"
	sed 's/^/#   rerun: /' "$dir/$variant.cmd"
done <"$DIFF_DIR/results"

# The corpus itself: N items of each kind, every variant judged.
for kv in sig.good sig.message sig.namespace sig.otherkey sig.blobbyte \
	sig.armor sig.crlfheader sig.version0 sig.reserved \
	commit.good commit.otherkey commit.namespace commit.edited \
	commit.moved commit.foreignhdr commit.dupsig commit.crlfheader; do
	c=$(awk -v k="${kv%%.*}" -v v="${kv#*.}" '$1 == k && $2 == v' \
		"$DIFF_DIR/results" | wc -l)
	check "$kv: $c of $N items judged" [ "$c" -eq "$N" ]
done

echo "# variant              mode         items  ref-good  ref-bad  tk-good  tk-bad  agree"
awk '$1 != "generation-failed" {
	v = $1 "." $2; m[v] = $3; n[v]++
	if ($5 == "good") rg[v]++; else rb[v]++
	if ($4 == "good") tg[v]++; else if ($4 == "bad") tb[v]++
	if ($4 == $5) a[v]++
} END {
	for (v in n)
		printf "# %-20s %-11s %6d  %8d  %7d  %7d  %6d  %5d\n", v, m[v],
		    n[v], rg[v], rb[v], tg[v], tb[v], a[v]
}' "$DIFF_DIR/results" | sort -b -k3,3 -k2,2
awk '$1 != "generation-failed" && $3 == "compare" {
	n++; if ($5 == "good") g++; else b++; if ($4 == $5) a++
} $3 == "tk-stricter" { s++; if ($4 == "bad") sb++; if ($5 == "good") sg++ }
END {
	printf "# compared: %d items, %d good, %d bad (by the reference), %d/%d agree\n", n, g, b, a, n
	printf "# tk-stricter: %d items, the reference accepted %d, twokey refused %d\n", s, sg, sb
}' "$DIFF_DIR/results"
echo "# N=$N, $JOBS jobs, $((end - start)) s"
done_testing
