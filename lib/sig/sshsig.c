/*
 * SSHSIG signatures (PROTOCOL.sshsig), parsed strictly and verified with
 * OpenSSL 3.  Approvals and git commit signatures both arrive in this form,
 * written by whoever pushes, so everything here treats its input as
 * hostile: bounded sizes, no trailing bytes, one accepted encoding.
 *
 * The signature is decoded for OpenSSL at parse time (ECDSA to DER, RSA
 * padded to the modulus size) and the key object is built then too, so that
 * tk_sshsig_verify() only hashes and verifies, and shares nothing mutable
 * between threads.  Ed25519 (plain and FIDO) is verified by ed25519.c,
 * without OpenSSL's providers, whose set-up would cost every push more than
 * its signatures (docs/decisions.md).
 */
#include <openssl/ecdsa.h>
#include <openssl/err.h>

#include "sig/ed25519.h"
#include "sig/sshbuf.h"
#include "sig/sshkey.h"
#include "twokey/digest.h"

#define MAGIC "SSHSIG"
#define MAGIC_LEN 6
#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "\n-----END SSH SIGNATURE-----"
#define SK_USER_PRESENT 0x01
/* base64 characters of the largest blob, white space removed */
#define B64_MAX ((TK_SSHSIG_MAX_BLOB + 2) / 3 * 4)

struct tk_sshsig {
	struct tk_sshkey *key;
	char *ns; /* NUL-free */
	bool sha512; /* hash algorithm: sha512, else sha256 */
	const char *mdname; /* ECDSA/RSA digest; NULL for Ed25519 */
	unsigned char *sig; /* as OpenSSL wants it */
	size_t siglen;
	uint8_t flags; /* sk only */
	uint32_t counter; /* sk only */
};

static int
parse_preamble(struct tk_sshbuf *b)
{
	const unsigned char *magic;
	uint32_t version;
	int rc;

	if ((rc = tk_sshbuf_get_raw(b, &magic, MAGIC_LEN)) < 0 ||
	    (rc = tk_sshbuf_get_u32(b, &version)) < 0)
		return rc;
	if (memcmp(magic, MAGIC, MAGIC_LEN) != 0)
		return tk_error_set(TK_EINVAL, "not an sshsig blob");
	if (version != 1)
		return tk_error_set(version > 1 ? TK_EUNSUPPORTED : TK_EINVAL,
		    "sshsig version %lu is not 1", (unsigned long)version);
	return 0;
}

/* Namespace, reserved field and hash algorithm. */
static int
parse_fields(struct tk_sshsig *s, struct tk_sshbuf *b)
{
	const char *ns, *hash;
	const unsigned char *reserved;
	size_t nslen, reslen, hashlen;
	int rc;

	if ((rc = tk_sshbuf_get_cstring(b, &ns, &nslen)) < 0 ||
	    (rc = tk_sshbuf_get_string(b, &reserved, &reslen)) < 0 ||
	    (rc = tk_sshbuf_get_cstring(b, &hash, &hashlen)) < 0)
		return rc;
	/* The verifier signs over an empty one; anything else is unknown. */
	if (reslen != 0)
		return tk_error_set(
		    TK_EUNSUPPORTED, "sshsig reserved field is not empty");
	if (tk_sshbuf_eq(hash, hashlen, "sha512"))
		s->sha512 = true;
	else if (!tk_sshbuf_eq(hash, hashlen, "sha256")) {
		char shown[32];

		tk_sshbuf_show(shown, sizeof(shown), hash, hashlen);
		return tk_error_set(TK_EUNSUPPORTED,
		    "sshsig hash algorithm '%s' is not sha256 or sha512",
		    shown);
	}
	if ((s->ns = tk_strndup(ns, nslen)) == NULL)
		return TK_ENOMEM;
	return 0;
}

/*
 * Which signature algorithm suits the key.  For RSA the digest comes from
 * this name, never from the blob's hash algorithm, and SHA-1 ("ssh-rsa") is
 * refused: its collisions are practical.
 */
static int
check_sigalg(struct tk_sshsig *s, const char *alg, size_t len)
{
	const struct tk_keytype *t = s->key->type;
	char shown[80];

	if (t->kind == TK_KEY_RSA && tk_sshbuf_eq(alg, len, "rsa-sha2-256"))
		s->mdname = "SHA256";
	else if (t->kind == TK_KEY_RSA &&
	    tk_sshbuf_eq(alg, len, "rsa-sha2-512"))
		s->mdname = "SHA512";
	else if (t->kind == TK_KEY_RSA && tk_sshbuf_eq(alg, len, "ssh-rsa"))
		return tk_error_set(
		    TK_EUNSUPPORTED, "ssh-rsa (sha1) signatures are refused");
	else if (t->kind == TK_KEY_ED25519 && tk_sshbuf_eq(alg, len, t->name))
		s->mdname = NULL;
	else if (t->kind == TK_KEY_ECDSA && tk_sshbuf_eq(alg, len, t->name))
		s->mdname = t->sk ? "SHA256" : t->md; /* PROTOCOL.u2f */
	else if (len >= 12 && memcmp(alg, "webauthn-sk-", 12) == 0)
		return tk_error_set(
		    TK_EUNSUPPORTED, "webauthn signatures are not supported");
	else {
		tk_sshbuf_show(shown, sizeof(shown), alg, len);
		return tk_error_set(TK_EINVAL,
		    "signature algorithm '%s' does not suit a %s key", shown,
		    t->name);
	}
	return 0;
}

static int
keep_sig(struct tk_sshsig *s, const unsigned char *p, size_t len, size_t pad)
{
	if ((s->sig = tk_calloc(1, pad + len)) == NULL)
		return TK_ENOMEM;
	memcpy(s->sig + pad, p, len);
	s->siglen = pad + len;
	return 0;
}

static int
parse_ed25519_sig(struct tk_sshsig *s, struct tk_sshbuf *b)
{
	if (b->len != 64)
		return tk_error_set(TK_EINVAL,
		    "ed25519 signature of %zu bytes, not 64", b->len);
	return keep_sig(s, b->p, b->len, 0);
}

/* OpenSSH pads a short RSA signature; one longer than n is not one. */
static int
parse_rsa_sig(struct tk_sshsig *s, struct tk_sshbuf *b)
{
	size_t modlen = s->key->rsalen;

	if (b->len == 0 || b->len > modlen)
		return tk_error_set(TK_EINVAL,
		    "rsa signature of %zu bytes for a %zu-byte key", b->len,
		    modlen);
	return keep_sig(s, b->p, b->len, modlen - b->len);
}

/* mpint r, mpint s, re-encoded as the DER that OpenSSL verifies. */
static int
parse_ecdsa_sig(struct tk_sshsig *s, struct tk_sshbuf *b)
{
	size_t max = s->key->type->scalarlen, rlen, slen;
	const unsigned char *r, *sv;
	unsigned char *der = NULL;
	BIGNUM *bn_r = NULL, *bn_s = NULL;
	ECDSA_SIG *es = NULL;
	int rc, derlen;

	if ((rc = tk_sshbuf_get_mpint(b, &r, &rlen, max)) < 0 ||
	    (rc = tk_sshbuf_get_mpint(b, &sv, &slen, max)) < 0 ||
	    (rc = tk_sshbuf_done(b)) < 0)
		return rc;
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (bn_r = BN_bin2bn(r, (int)rlen, NULL)) == NULL ||
	    (bn_s = BN_bin2bn(sv, (int)slen, NULL)) == NULL ||
	    ECDSA_SIG_set0(es, bn_r, bn_s) != 1) {
		rc = tk_sig_ossl_error(TK_ECRYPTO, "cannot build ecdsa sig");
		goto out;
	}
	bn_r = bn_s = NULL; /* transferred */
	if ((derlen = i2d_ECDSA_SIG(es, &der)) <= 0) {
		rc = tk_sig_ossl_error(TK_ECRYPTO, "cannot encode ecdsa sig");
		goto out;
	}
	rc = keep_sig(s, der, (size_t)derlen, 0);
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	BN_free(bn_r);
	BN_free(bn_s);
	return rc;
}

/*
 * The SSH signature: string algorithm, string blob, and for FIDO keys the
 * authenticator's flags and counter, which are signed too.
 */
static int
parse_signature(struct tk_sshsig *s, struct tk_sshbuf *b)
{
	struct tk_sshbuf inner;
	const char *alg;
	size_t alglen;
	int rc = 0;

	if ((rc = tk_sshbuf_get_cstring(b, &alg, &alglen)) < 0 ||
	    (rc = check_sigalg(s, alg, alglen)) < 0 ||
	    (rc = tk_sshbuf_get_sub(b, &inner, "signature blob")) < 0)
		return rc;
	switch (s->key->type->kind) {
	case TK_KEY_ED25519:
		rc = parse_ed25519_sig(s, &inner);
		break;
	case TK_KEY_ECDSA:
		rc = parse_ecdsa_sig(s, &inner);
		break;
	case TK_KEY_RSA:
		rc = parse_rsa_sig(s, &inner);
		break;
	}
	if (rc == 0 && s->key->type->sk &&
	    ((rc = tk_sshbuf_get_u8(b, &s->flags)) < 0 ||
	        (rc = tk_sshbuf_get_u32(b, &s->counter)) < 0))
		return rc;
	return rc < 0 ? rc : tk_sshbuf_done(b);
}

static int
parse_key(struct tk_sshsig *s, struct tk_sshbuf *b)
{
	const unsigned char *blob;
	size_t len;
	int rc;

	if ((rc = tk_sshbuf_get_string(b, &blob, &len)) < 0)
		return rc;
	return tk_sshkey_from_blob(&s->key, blob, len);
}

int
tk_sshsig_parse_blob(
    struct tk_sshsig **out, const unsigned char *blob, size_t len)
{
	struct tk_sshsig *s = NULL;
	struct tk_sshbuf b, sigb;
	int rc;

	*out = NULL;
	if (len > TK_SSHSIG_MAX_BLOB)
		return tk_error_set(TK_ETOOBIG, "sshsig blob over %d bytes",
		    TK_SSHSIG_MAX_BLOB);
	if ((s = tk_calloc(1, sizeof(*s))) == NULL)
		return TK_ENOMEM;
	tk_sshbuf_init(&b, blob, len, "sshsig");
	if ((rc = parse_preamble(&b)) < 0 || (rc = parse_key(s, &b)) < 0 ||
	    (rc = parse_fields(s, &b)) < 0 ||
	    (rc = tk_sshbuf_get_sub(&b, &sigb, "ssh signature")) < 0 ||
	    (rc = parse_signature(s, &sigb)) < 0 ||
	    (rc = tk_sshbuf_done(&b)) < 0)
		goto out;
	*out = s;
	s = NULL; /* transferred */
	rc = 0;
out:
	tk_sshsig_free(s);
	return rc;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

int
tk_sshsig_parse_base64(struct tk_sshsig **out, const char *text, size_t len)
{
	struct tk_buf compact = TK_BUF_INIT(B64_MAX);
	unsigned char *blob = NULL;
	size_t i, bloblen;
	int rc;

	*out = NULL;
	if (len > TK_SSHSIG_MAX_ARMOR)
		return tk_error_set(TK_ETOOBIG, "sshsig text over %d bytes",
		    TK_SSHSIG_MAX_ARMOR);
	/* Folding white space must not count against the blob's bound. */
	for (i = 0; i < len; i++) {
		if (is_space(text[i]))
			continue;
		if ((rc = tk_buf_putc(&compact, text[i])) < 0) {
			if (rc == TK_ETOOBIG)
				tk_error_set(rc, "sshsig blob over %d bytes",
				    TK_SSHSIG_MAX_BLOB);
			goto out;
		}
	}
	if ((rc = tk_base64_decode(&blob, &bloblen,
	         compact.ptr != NULL ? compact.ptr : "", compact.len,
	         TK_SSHSIG_MAX_BLOB)) < 0)
		goto out;
	rc = tk_sshsig_parse_blob(out, blob, bloblen);
out:
	free(blob);
	tk_buf_release(&compact);
	return rc;
}

int
tk_sshsig_parse_armor(struct tk_sshsig **out, const char *text, size_t len)
{
	const size_t hlen = sizeof(ARMOR_BEGIN) - 1;
	const char *body, *end;
	size_t rest;

	*out = NULL;
	if (len > TK_SSHSIG_MAX_ARMOR)
		return tk_error_set(TK_ETOOBIG, "armored sshsig over %d bytes",
		    TK_SSHSIG_MAX_ARMOR);
	if (len < hlen || memcmp(text, ARMOR_BEGIN, hlen) != 0)
		return tk_error_set(TK_EINVAL,
		    "signature does not start with '%s'", ARMOR_BEGIN);
	body = text + hlen;
	rest = len - hlen;
	/*
	 * LF only, as OpenSSH 9.2 (Debian 12) and so git verify-commit want:
	 * accepting CR LF too would let a commit's id change without
	 * re-signing while twokey and git disagree about its signature.
	 */
	if (rest >= 1 && body[0] == '\n')
		body++;
	else
		return tk_error_set(
		    TK_EINVAL, "no line feed after the signature header");
	/* From the header's own LF, as OpenSSH does; what follows is ignored */
	end = memmem(body - 1, len - (size_t)(body - 1 - text), ARMOR_END,
	    sizeof(ARMOR_END) - 1);
	if (end == NULL)
		return tk_error_set(
		    TK_EINVAL, "no '-----END SSH SIGNATURE-----' line");
	return tk_sshsig_parse_base64(
	    out, body, end > body ? (size_t)(end - body) : 0);
}

const struct tk_sshkey *
tk_sshsig_key(const struct tk_sshsig *sig)
{
	return sig->key;
}

const char *
tk_sshsig_namespace(const struct tk_sshsig *sig)
{
	return sig->ns;
}

/* The message's digest for sig's hash algorithm, computed once per msg. */
static int
msg_digest(const struct tk_sshsig *s, struct tk_sshsig_msg *m,
    const unsigned char **h, unsigned int *hlen)
{
	unsigned char *out = s->sha512 ? m->h512 : m->h256;
	unsigned char bit = s->sha512 ? 2 : 1;
	struct tk_sha512_ctx c;

	if ((m->have & bit) == 0) {
		if (s->sha512) {
			tk_sha512_init(&c);
			tk_sha512_update(&c, m->msg, m->len);
			tk_sha512_final(&c, out);
		} else
			(void)tk_sha256(out, m->msg, m->len);
		m->have |= bit;
	}
	*h = out;
	*hlen = s->sha512 ? 64 : 32;
	return 0;
}

/* "SSHSIG" || string ns || string "" || string hashalg || string H(msg) */
static int
signed_data(
    const struct tk_sshsig *s, struct tk_sshsig_msg *m, struct tk_buf *out)
{
	const char *hashname = s->sha512 ? "sha512" : "sha256";
	const unsigned char *h = NULL;
	unsigned int hlen = 0;
	int rc;

	if ((rc = msg_digest(s, m, &h, &hlen)) < 0)
		return rc;
	if ((rc = tk_buf_put(out, MAGIC, MAGIC_LEN)) < 0 ||
	    (rc = tk_sshbuf_put_cstring(out, s->ns)) < 0 ||
	    (rc = tk_sshbuf_put_string(out, "", 0)) < 0 ||
	    (rc = tk_sshbuf_put_cstring(out, hashname)) < 0 ||
	    (rc = tk_sshbuf_put_string(out, h, hlen)) < 0)
		return rc;
	return 0;
}

/*
 * What a FIDO authenticator signs: SHA-256(application) || flags ||
 * counter || SHA-256(data) (PROTOCOL.u2f).  ssh-keygen only logs the flags;
 * without the user-presence bit, malware could have had a plugged-in key
 * sign silently, so such a signature is not an approval.
 */
static int
sk_data(const struct tk_sshsig *s, const unsigned char *tbs, size_t tbslen,
    unsigned char out[69])
{
	/* Not a mismatch: callers must not blame the signed bytes. */
	if ((s->flags & SK_USER_PRESENT) == 0)
		return tk_error_set(TK_EUNSUPPORTED,
		    "security key signature made without user presence "
		    "(the key was not touched)");
	memcpy(out, s->key->apphash, 32);
	out[32] = s->flags;
	out[33] = (unsigned char)(s->counter >> 24);
	out[34] = (unsigned char)(s->counter >> 16);
	out[35] = (unsigned char)(s->counter >> 8);
	out[36] = (unsigned char)s->counter;
	return tk_sha256(out + 37, tbs, tbslen);
}

static int
verify_data(const struct tk_sshsig *s, const unsigned char *tbs, size_t tbslen)
{
	const struct tk_sshkey *k = s->key;
	unsigned char skbuf[69];
	EVP_MD_CTX *ctx = NULL;
	int rc, ok;

	if (k->type->sk) {
		if ((rc = sk_data(s, tbs, tbslen, skbuf)) < 0)
			return rc;
		tbs = skbuf;
		tbslen = sizeof(skbuf);
	}
	/*
	 * Ed25519 (plain and FIDO) by twokey's own verifier: OpenSSL's
	 * would set up its provider on every hook run (docs/decisions.md).
	 */
	if (k->type->kind == TK_KEY_ED25519) {
		if (s->siglen != 64 ||
		    tk_ed25519_verify(s->sig, k->ed25519, tbs, tbslen) != 1)
			return tk_error_set(TK_EBADSIG,
			    "signature by %s key %s does not verify",
			    k->type->name, k->fingerprint);
		return 0;
	}
	if ((rc = tk_crypto_ready()) < 0)
		return rc;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return tk_error_set(TK_ENOMEM, "out of memory");
	if (EVP_DigestVerifyInit_ex(
	        ctx, NULL, s->mdname, NULL, NULL, k->pkey, NULL) != 1) {
		rc = tk_sig_ossl_error(TK_ECRYPTO, "cannot start verifying");
		goto out;
	}
	ok = EVP_DigestVerify(ctx, s->sig, s->siglen, tbs, tbslen);
	if (ok != 1) {
		ERR_clear_error();
		rc = tk_error_set(TK_EBADSIG,
		    "signature by %s key %s does not verify", k->type->name,
		    k->fingerprint);
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

void
tk_sshsig_msg_init(struct tk_sshsig_msg *m, const void *msg, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->msg = msg;
	m->len = len;
}

int
tk_sshsig_verify_msg(
    const struct tk_sshsig *sig, const char *ns, struct tk_sshsig_msg *m)
{
	struct tk_buf tbs = TK_BUF_INIT(TK_SSHSIG_MAX_BLOB + 256);
	char shown[80];
	int rc;

	/* Pins the purpose: a commit signature is not an approval. */
	if (strcmp(sig->ns, ns) != 0) {
		tk_sshbuf_show(shown, sizeof(shown), sig->ns, strlen(sig->ns));
		return tk_error_set(TK_EBADSIG,
		    "signature namespace '%s' is not '%s'", shown, ns);
	}
	if ((rc = signed_data(sig, m, &tbs)) < 0)
		goto out;
	rc = verify_data(sig, (const unsigned char *)tbs.ptr, tbs.len);
out:
	tk_buf_release(&tbs);
	return rc;
}

int
tk_sshsig_verify(
    const struct tk_sshsig *sig, const char *ns, const void *msg, size_t msglen)
{
	struct tk_sshsig_msg m;

	tk_sshsig_msg_init(&m, msg, msglen);
	return tk_sshsig_verify_msg(sig, ns, &m);
}

void
tk_sshsig_free(struct tk_sshsig *sig)
{
	if (sig == NULL)
		return;
	tk_sshkey_free(sig->key);
	free(sig->ns);
	free(sig->sig);
	free(sig);
}
