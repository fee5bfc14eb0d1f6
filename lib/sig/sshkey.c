/*
 * OpenSSH public keys: the wire blob (RFC 4253 section 6.6, RFC 5656,
 * PROTOCOL.u2f) and the authorized_keys line.
 *
 * Keys are compared by their blob (revocation, identity lookup), so a blob
 * is accepted only in its one canonical form: minimal mpints, uncompressed
 * EC points of exact length, nothing trailing.  Otherwise a revoked key
 * re-encoded differently would no longer match its revocation entry.
 */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "sig/sshbuf.h"
#include "sig/ed25519.h"
#include "sig/sshkey.h"
#include "twokey/digest.h"

#define RSA_MIN_BITS 2048
#define RSA_MAX_BYTES (16384 / 8) /* OpenSSH's SSHBUF_MAX_BIGNUM */
#define RSA_MAX_EBYTES 8 /* OpenSSL refuses e over 64 bits anyway */
/* type + base64 of the largest blob + a comment of reasonable length */
#define KEY_LINE_MAX (TK_SSHKEY_MAX_BLOB * 2)

static const struct tk_keytype keytypes[] = {
    {"ssh-ed25519", TK_KEY_ED25519, false, NULL, NULL, NULL, 0},
    {"sk-ssh-ed25519@openssh.com", TK_KEY_ED25519, true, NULL, NULL, NULL, 0},
    {"ecdsa-sha2-nistp256", TK_KEY_ECDSA, false, "nistp256", "P-256", "SHA256",
        32},
    {"ecdsa-sha2-nistp384", TK_KEY_ECDSA, false, "nistp384", "P-384", "SHA384",
        48},
    {"ecdsa-sha2-nistp521", TK_KEY_ECDSA, false, "nistp521", "P-521", "SHA512",
        66},
    {"sk-ecdsa-sha2-nistp256@openssh.com", TK_KEY_ECDSA, true, "nistp256",
        "P-256", "SHA256", 32},
    {"ssh-rsa", TK_KEY_RSA, false, NULL, NULL, NULL, 0},
};

int
tk_sig_ossl_error(int code, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char reason[256];

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	return tk_error_set(
	    code, "%s: %s", what, e != 0 ? reason : "openssl failed");
}

static const struct tk_keytype *
find_type(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(keytypes); i++)
		if (tk_sshbuf_eq(name, len, keytypes[i].name))
			return &keytypes[i];
	return NULL;
}

static bool
has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/*
 * Certificates would need CA validation (PROTOCOL.certkeys) and webauthn
 * signatures a different signed-data layout; accepting either without that
 * work would trust whatever the blob claims, so they are refused by name,
 * as are the retired DSA and the experimental XMSS keys.  Any other name is
 * not an OpenSSH key type at all: malformed.
 */
static int
unsupported_type(const char *name, size_t len)
{
	char shown[80];

	tk_sshbuf_show(shown, sizeof(shown), name, len);
	if (has_suffix(name, len, "-cert-v01@openssh.com"))
		return tk_error_set(TK_EUNSUPPORTED,
		    "key type '%s': certificates are not supported", shown);
	if (len >= 12 && memcmp(name, "webauthn-sk-", 12) == 0)
		return tk_error_set(TK_EUNSUPPORTED,
		    "key type '%s': webauthn keys are not supported", shown);
	if (tk_sshbuf_eq(name, len, "ssh-dss") ||
	    tk_sshbuf_eq(name, len, "ssh-xmss@openssh.com"))
		return tk_error_set(
		    TK_EUNSUPPORTED, "key type '%s' is not supported", shown);
	return tk_error_set(TK_EINVAL, "unknown key type '%s'", shown);
}

static int
import_pkey(EVP_PKEY **out, const char *alg, const OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = NULL;
	int rc = TK_ECRYPTO;

	*out = NULL;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1) {
		rc = tk_sig_ossl_error(rc, "cannot set up key import");
		goto out;
	}
	/* The inputs passed the format checks: a refusal is bad material. */
	if (EVP_PKEY_fromdata(
	        ctx, out, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) != 1) {
		rc = tk_sig_ossl_error(TK_EINVAL, "invalid public key");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int
parse_ed25519(struct tk_sshkey *k, struct tk_sshbuf *b, bool verifier)
{
	const unsigned char *pk;
	size_t len;
	int rc;

	if ((rc = tk_sshbuf_get_string(b, &pk, &len)) < 0)
		return rc;
	if (len != 32)
		return tk_error_set(
		    TK_EINVAL, "ed25519 public key of %zu bytes, not 32", len);
	/*
	 * Any 32 bytes are a well-formed Ed25519 key (OpenSSL does not
	 * check the point either); twokey verifies Ed25519 itself
	 * (ed25519.c), without an OpenSSL key object.
	 */
	(void)verifier;
	if (tk_ed25519_small_order(pk))
		return tk_error_set(TK_EINVAL,
		    "ed25519 key of small order: anyone can sign as it");
	memcpy(k->ed25519, pk, 32);
	return 0;
}

/*
 * A point off the curve would let a crafted key verify forged signatures
 * (invalid-curve attacks).  The quick check (on the curve, not at infinity)
 * is enough: the NIST curves have cofactor 1, and the full check's order
 * multiplication would cost as much as a verification.
 */
static int
check_ec_point(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx;
	int ok;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL)
		return tk_sig_ossl_error(TK_ECRYPTO, "cannot check ec key");
	ok = EVP_PKEY_public_check_quick(ctx);
	EVP_PKEY_CTX_free(ctx);
	if (ok != 1)
		return tk_sig_ossl_error(TK_EINVAL, "ecdsa public key point");
	return 0;
}

static int
parse_ecdsa(struct tk_sshkey *k, struct tk_sshbuf *b)
{
	const struct tk_keytype *t = k->type;
	const unsigned char *q;
	const char *curve;
	size_t curvelen, qlen;
	OSSL_PARAM params[3];
	int rc;

	if ((rc = tk_crypto_ready()) < 0)
		return rc;

	if ((rc = tk_sshbuf_get_cstring(b, &curve, &curvelen)) < 0 ||
	    (rc = tk_sshbuf_get_string(b, &q, &qlen)) < 0)
		return rc;
	if (!tk_sshbuf_eq(curve, curvelen, t->curve))
		return tk_error_set(TK_EINVAL,
		    "ecdsa key: curve does not match key type '%s'", t->name);
	/* Uncompressed only, as OpenSSH writes it: one encoding per key. */
	if (qlen != 1 + 2 * t->scalarlen || q[0] != 0x04)
		return tk_error_set(TK_EINVAL,
		    "ecdsa key: point is not an uncompressed %s point",
		    t->curve);
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, (char *)t->group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_PKEY_PARAM_PUB_KEY, (void *)q, qlen);
	params[2] = OSSL_PARAM_construct_end();
	if ((rc = import_pkey(&k->pkey, "EC", params)) < 0)
		return rc;
	return check_ec_point(k->pkey);
}

static int
check_rsa_numbers(
    const unsigned char *e, size_t elen, const unsigned char *n, size_t nlen)
{
	unsigned int top;
	size_t bits;

	if (elen == 0 || (e[elen - 1] & 1) == 0 || (elen == 1 && e[0] < 3))
		return tk_error_set(TK_EINVAL, "rsa key: bad public exponent");
	if (nlen == 0 || (n[nlen - 1] & 1) == 0)
		return tk_error_set(TK_EINVAL, "rsa key: bad modulus");
	/* n[0] != 0: the mpint was minimal. */
	bits = nlen * 8;
	for (top = n[0]; (top & 0x80) == 0; top <<= 1)
		bits--;
	if (bits < RSA_MIN_BITS)
		return tk_error_set(TK_EUNSUPPORTED,
		    "rsa key of %zu bits is under the %d-bit minimum", bits,
		    RSA_MIN_BITS);
	return 0;
}

static int
parse_rsa(struct tk_sshkey *k, struct tk_sshbuf *b)
{
	const unsigned char *e, *n;
	size_t elen, nlen;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *bn_e = NULL, *bn_n = NULL;
	int rc;

	if ((rc = tk_crypto_ready()) < 0)
		return rc;

	if ((rc = tk_sshbuf_get_mpint(b, &e, &elen, RSA_MAX_EBYTES)) < 0 ||
	    (rc = tk_sshbuf_get_mpint(b, &n, &nlen, RSA_MAX_BYTES)) < 0 ||
	    (rc = check_rsa_numbers(e, elen, n, nlen)) < 0)
		return rc;
	if ((bn_e = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bn_n = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		rc = tk_sig_ossl_error(TK_ECRYPTO, "cannot build rsa key");
		goto out;
	}
	if ((rc = import_pkey(&k->pkey, "RSA", params)) < 0)
		goto out;
	if (EVP_PKEY_get_size(k->pkey) <= 0) {
		rc = tk_sig_ossl_error(TK_ECRYPTO, "rsa key size");
		goto out;
	}
	k->rsalen = (size_t)EVP_PKEY_get_size(k->pkey);
	rc = 0;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_e);
	BN_free(bn_n);
	return rc;
}

/* FIDO keys sign SHA-256(application) || ...; hash it once here. */
static int
parse_application(struct tk_sshkey *k, struct tk_sshbuf *b)
{
	const char *app;
	size_t len;
	int rc;

	if ((rc = tk_sshbuf_get_cstring(b, &app, &len)) < 0)
		return rc;
	return tk_sha256(k->apphash, app, len);
}

/* "SHA256:" and 43 characters of unpadded base64. */
static bool
fingerprint_ok(const char *fp)
{
	size_t i;

	if (strncmp(fp, "SHA256:", 7) != 0 || strlen(fp) != 7 + 43)
		return false;
	for (i = 7; fp[i] != '\0'; i++)
		if (!((fp[i] >= 'A' && fp[i] <= 'Z') ||
		        (fp[i] >= 'a' && fp[i] <= 'z') ||
		        (fp[i] >= '0' && fp[i] <= '9') || fp[i] == '+' ||
		        fp[i] == '/'))
			return false;
	return true;
}

/*
 * Keeps a copy of the blob and derives the ssh-keygen -l fingerprint, or
 * takes fp, the one derived when the key was first read (a compiled
 * policy keeps it).
 */
static int
keep_blob(
    struct tk_sshkey *k, const unsigned char *blob, size_t len, const char *fp)
{
	struct tk_buf b64 = TK_BUF_INIT(TK_SSHKEY_FP_MAX);
	unsigned char md[32];
	int rc;

	if ((k->blob = malloc(len == 0 ? 1 : len)) == NULL)
		return tk_error_set(TK_ENOMEM, "out of memory");
	memcpy(k->blob, blob, len);
	k->bloblen = len;
	if (fp != NULL) {
		if (!fingerprint_ok(fp))
			return tk_error_set(TK_EINVAL, "malformed fingerprint");
		snprintf(k->fingerprint, sizeof(k->fingerprint), "%s", fp);
		return 0;
	}
	if ((rc = tk_sha256(md, blob, len)) < 0)
		return rc;
	if ((rc = tk_base64_encode(&b64, md, sizeof(md))) < 0)
		goto out;
	while (b64.len > 0 && b64.ptr[b64.len - 1] == '=')
		b64.len--;
	snprintf(k->fingerprint, sizeof(k->fingerprint), "SHA256:%.*s",
	    (int)b64.len, b64.ptr);
	rc = 0;
out:
	tk_buf_release(&b64);
	return rc;
}

static int
parse_body(struct tk_sshkey *k, struct tk_sshbuf *b, bool verifier)
{
	int rc = 0;

	switch (k->type->kind) {
	case TK_KEY_ED25519:
		rc = parse_ed25519(k, b, verifier);
		break;
	case TK_KEY_ECDSA:
		rc = parse_ecdsa(k, b);
		break;
	case TK_KEY_RSA:
		rc = parse_rsa(k, b);
		break;
	}
	if (rc == 0 && k->type->sk)
		rc = parse_application(k, b);
	if (rc == 0)
		rc = tk_sshbuf_done(b);
	return rc;
}

/* verifier: build what tk_sshsig_verify needs, not only check the form */
static int
from_blob(struct tk_sshkey **out, const unsigned char *blob, size_t len,
    bool verifier, const char *fp)
{
	struct tk_sshkey *k = NULL;
	struct tk_sshbuf b;
	const char *name;
	size_t namelen;
	int rc;

	*out = NULL;
	if (len > TK_SSHKEY_MAX_BLOB)
		return tk_error_set(
		    TK_ETOOBIG, "public key over %d bytes", TK_SSHKEY_MAX_BLOB);
	tk_sshbuf_init(&b, blob, len, "public key");
	if ((rc = tk_sshbuf_get_cstring(&b, &name, &namelen)) < 0)
		return rc;
	if ((k = tk_calloc(1, sizeof(*k))) == NULL)
		return TK_ENOMEM;
	if ((k->type = find_type(name, namelen)) == NULL) {
		rc = unsupported_type(name, namelen);
		goto out;
	}
	if ((rc = parse_body(k, &b, verifier)) < 0 ||
	    (rc = keep_blob(k, blob, len, fp)) < 0)
		goto out;
	*out = k;
	k = NULL; /* transferred */
	rc = 0;
out:
	tk_sshkey_free(k);
	return rc;
}

int
tk_sshkey_from_blob(
    struct tk_sshkey **out, const unsigned char *blob, size_t len)
{
	return from_blob(out, blob, len, true, NULL);
}

int
tk_sshkey_from_blob_compare(struct tk_sshkey **out, const unsigned char *blob,
    size_t len, const char *fp)
{
	return from_blob(out, blob, len, false, fp);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Splits "type base64 [comment]", with surrounding white space trimmed. */
static int
split_line(const char *line, const char **type, size_t *typelen,
    const char **b64, size_t *b64len)
{
	const char *s = line, *e = line + strlen(line);

	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	/* One key per line: a second one hidden behind a line break is not. */
	if (memchr(s, '\n', (size_t)(e - s)) != NULL ||
	    memchr(s, '\r', (size_t)(e - s)) != NULL)
		return tk_error_set(
		    TK_EINVAL, "key line contains a line break");
	for (*type = s; s < e && *s != ' ' && *s != '\t'; s++)
		;
	*typelen = (size_t)(s - *type);
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	for (*b64 = s; s < e && *s != ' ' && *s != '\t'; s++)
		;
	*b64len = (size_t)(s - *b64);
	if (*typelen == 0 || *b64len == 0)
		return tk_error_set(
		    TK_EINVAL, "key line is not \"type base64 [comment]\"");
	return 0;
}

int
tk_sshkey_parse_line(struct tk_sshkey **out, const char *line)
{
	struct tk_sshkey *k = NULL;
	unsigned char *blob = NULL;
	const char *type = NULL, *b64 = NULL;
	size_t typelen = 0, b64len = 0, bloblen;
	int rc;

	*out = NULL;
	if (strnlen(line, KEY_LINE_MAX + 1) > KEY_LINE_MAX)
		return tk_error_set(
		    TK_ETOOBIG, "key line over %d bytes", KEY_LINE_MAX);
	if ((rc = split_line(line, &type, &typelen, &b64, &b64len)) < 0)
		return rc;
	if (find_type(type, typelen) == NULL)
		return unsupported_type(type, typelen);
	if ((rc = tk_base64_decode(
	         &blob, &bloblen, b64, b64len, TK_SSHKEY_MAX_BLOB)) < 0 ||
	    (rc = from_blob(&k, blob, bloblen, false, NULL)) < 0)
		goto out;
	/* The word is what an admin reads; it must not lie about the key. */
	if (!tk_sshbuf_eq(type, typelen, k->type->name)) {
		rc = tk_error_set(TK_EINVAL,
		    "key line says '%.*s' but the key is '%s'", (int)typelen,
		    type, k->type->name);
		goto out;
	}
	*out = k;
	k = NULL; /* transferred */
	rc = 0;
out:
	free(blob);
	tk_sshkey_free(k);
	return rc;
}

#define PRIV_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define PRIV_END "-----END OPENSSH PRIVATE KEY-----"
#define PRIV_MAGIC "openssh-key-v1"

int
tk_sshkey_from_private(struct tk_sshkey **out, const char *text, size_t len)
{
	const char *b = text, *e;
	const unsigned char *p;
	unsigned char *raw = NULL;
	struct tk_sshbuf sb;
	size_t rawlen, n;
	uint32_t nkeys;
	int rc;

	*out = NULL;
	if (len < sizeof(PRIV_BEGIN) ||
	    memcmp(b, PRIV_BEGIN, sizeof(PRIV_BEGIN) - 1) != 0 ||
	    (e = memmem(b, len, PRIV_END, sizeof(PRIV_END) - 1)) == NULL)
		return tk_error_set(
		    TK_EINVAL, "not an OpenSSH private key file");
	b += sizeof(PRIV_BEGIN) - 1;
	if ((rc = tk_base64_decode(&raw, &rawlen, b, (size_t)(e - b),
	         4 * TK_SSHKEY_MAX_BLOB)) < 0)
		return rc;
	/* "openssh-key-v1\0" cipher kdf kdfoptions nkeys publickey... */
	tk_sshbuf_init(&sb, raw, rawlen, "private key file");
	if ((rc = tk_sshbuf_get_raw(&sb, &p, sizeof(PRIV_MAGIC))) < 0 ||
	    memcmp(p, PRIV_MAGIC, sizeof(PRIV_MAGIC)) != 0 ||
	    (rc = tk_sshbuf_get_string(&sb, &p, &n)) < 0 ||
	    (rc = tk_sshbuf_get_string(&sb, &p, &n)) < 0 ||
	    (rc = tk_sshbuf_get_string(&sb, &p, &n)) < 0 ||
	    (rc = tk_sshbuf_get_u32(&sb, &nkeys)) < 0 || nkeys < 1 ||
	    (rc = tk_sshbuf_get_string(&sb, &p, &n)) < 0)
		rc = tk_error_set(TK_EINVAL, "malformed OpenSSH private key");
	else
		rc = from_blob(out, p, n, false, NULL);
	free(raw);
	return rc;
}

const char *
tk_sshkey_type(const struct tk_sshkey *k)
{
	return k->type->name;
}

const unsigned char *
tk_sshkey_blob(const struct tk_sshkey *k, size_t *len)
{
	*len = k->bloblen;
	return k->blob;
}

const char *
tk_sshkey_fingerprint(const struct tk_sshkey *k)
{
	return k->fingerprint;
}

void
tk_sshkey_free(struct tk_sshkey *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->blob);
	free(k);
}
