/*
 * Unit tests for OpenSSH public keys and SSHSIG signatures.
 *
 * Signatures made by the real ssh-keygen live in $TK_TEST_DATA/sshsig
 * (scripts/mk-testdata-sshsig).  FIDO signatures, which need an
 * authenticator, and a SHA-1 RSA signature, which ssh-keygen no longer
 * makes, are produced here by signing in software with OpenSSL; that is the
 * only reason this test includes OpenSSL headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "internal.h"
#include "fixture.h"
#include "sig/sshbuf.h"
#include "twokey/sshsig.h"
#include "twokey/trailer.h"
#include "engine/approvals.h"
#include "engine/prepare.h"

#define NS "twokey-approval"
#define BIG (1024 * 1024)

/* Key types with a valid fixture signature. */
static const char *const good_types[] = {
    "ed25519",
    "ecdsa256",
    "ecdsa384",
    "ecdsa521",
    "rsa2048",
    "rsa3072",
};

/* Every fixture signature over msg with namespace NS. */
static const char *const approval_sigs[] = {
    "ed25519.sig",
    "ed25519.sha256.sig",
    "ecdsa256.sig",
    "ecdsa256.sha256.sig",
    "ecdsa384.sig",
    "ecdsa521.sig",
    "rsa2048.sig",
    "rsa3072.sig",
    "rsa3072.sha256.sig",
};

/* ---- fixtures ---- */

static char *
read_fixture(const char *name, size_t *lenp)
{
	return read_fixture_in("sshsig", name, lenp);
}

static struct tk_sshsig *
load_sig(const char *name)
{
	struct tk_sshsig *sig;
	size_t len;
	char *text = read_fixture(name, &len);
	int rc = tk_sshsig_parse_armor(&sig, text, len);

	if (rc != 0)
		fail_msg("%s: %s", name, tk_error_last());
	free(text);
	return sig;
}

/* The raw blob inside an armoured fixture. */
static unsigned char *
dearmor(const char *name, size_t *len)
{
	char *text = read_fixture(name, NULL);
	char *b = strchr(text, '\n'), *e = strstr(text, "-----END");
	unsigned char *blob;

	assert_non_null(b);
	assert_non_null(e);
	assert_int_equal(
	    tk_base64_decode(&blob, len, b, (size_t)(e - b), BIG), 0);
	free(text);
	return blob;
}

static void
expect_verify(const unsigned char *blob, size_t len, const char *ns,
    const void *msg, size_t msglen, int want)
{
	struct tk_sshsig *sig;

	if (tk_sshsig_parse_blob(&sig, blob, len) != 0)
		fail_msg("parse: %s", tk_error_last());
	assert_int_equal(tk_sshsig_verify(sig, ns, msg, msglen), want);
	tk_sshsig_free(sig);
}

/* ---- good signatures, namespaces, messages ---- */

static void
check_fingerprint(const char *type, const struct tk_sshkey *k)
{
	char name[64], want[128];
	char *fp;

	snprintf(name, sizeof(name), "%s.fp", type);
	fp = read_fixture(name, NULL);
	/* "256 SHA256:... comment (ED25519)" */
	assert_int_equal(sscanf(fp, "%*u %127s", want), 1);
	assert_string_equal(tk_sshkey_fingerprint(k), want);
	free(fp);
}

static void
test_sshsig__good(void **state)
{
	struct tk_sshsig *sig;
	struct tk_sshkey *pub;
	const unsigned char *a, *b;
	char name[64], *line, *msg;
	size_t i, alen, blen, msglen;

	msg = read_fixture("msg", &msglen);
	for (i = 0; i < TK_ARRAY_SIZE(approval_sigs); i++) {
		sig = load_sig(approval_sigs[i]);
		assert_string_equal(tk_sshsig_namespace(sig), NS);
		if (tk_sshsig_verify(sig, NS, msg, msglen) != 0)
			fail_msg("%s: %s", approval_sigs[i], tk_error_last());
		tk_sshsig_free(sig);
	}
	for (i = 0; i < TK_ARRAY_SIZE(good_types); i++) {
		snprintf(name, sizeof(name), "%s.git.sig", good_types[i]);
		sig = load_sig(name);
		assert_int_equal(tk_sshsig_verify(sig, "git", msg, msglen), 0);
		assert_int_equal(
		    tk_sshsig_verify(sig, NS, msg, msglen), TK_EBADSIG);
		/* The embedded key is the .pub key, byte for byte. */
		snprintf(name, sizeof(name), "%s.pub", good_types[i]);
		line = read_fixture(name, NULL);
		assert_int_equal(tk_sshkey_parse_line(&pub, line), 0);
		a = tk_sshkey_blob(pub, &alen);
		b = tk_sshkey_blob(tk_sshsig_key(sig), &blen);
		assert_int_equal(alen, blen);
		assert_memory_equal(a, b, alen);
		assert_string_equal(
		    tk_sshkey_type(pub), tk_sshkey_type(tk_sshsig_key(sig)));
		check_fingerprint(good_types[i], pub);
		check_fingerprint(good_types[i], tk_sshsig_key(sig));
		tk_sshkey_free(pub);
		free(line);
		tk_sshsig_free(sig);
	}
	free(msg);
}

static void
test_sshsig__wrong_namespace(void **state)
{
	static const char *const wrong[] = {"git", "twokey-approva",
	    "twokey-approvalx", "Twokey-approval", "", "file"};
	struct tk_sshsig *sig;
	size_t i, j, msglen;
	char *msg = read_fixture("msg", &msglen);

	for (i = 0; i < TK_ARRAY_SIZE(approval_sigs); i++) {
		sig = load_sig(approval_sigs[i]);
		for (j = 0; j < TK_ARRAY_SIZE(wrong); j++)
			assert_int_equal(
			    tk_sshsig_verify(sig, wrong[j], msg, msglen),
			    TK_EBADSIG);
		tk_sshsig_free(sig);
	}
	free(msg);
}

static void
test_sshsig__tampered_message(void **state)
{
	struct tk_sshsig *sig;
	size_t i, msglen;
	char *msg = read_fixture("msg", &msglen), *copy;

	copy = malloc(msglen + 1);
	assert_non_null(copy);
	for (i = 0; i < TK_ARRAY_SIZE(approval_sigs); i++) {
		sig = load_sig(approval_sigs[i]);
		memcpy(copy, msg, msglen);
		copy[msglen - 2] ^= 0x20;
		assert_int_equal(
		    tk_sshsig_verify(sig, NS, copy, msglen), TK_EBADSIG);
		assert_int_equal(
		    tk_sshsig_verify(sig, NS, msg, msglen - 1), TK_EBADSIG);
		memcpy(copy, msg, msglen);
		copy[msglen] = '\n';
		assert_int_equal(
		    tk_sshsig_verify(sig, NS, copy, msglen + 1), TK_EBADSIG);
		assert_int_equal(tk_sshsig_verify(sig, NS, "", 0), TK_EBADSIG);
		tk_sshsig_free(sig);
	}
	free(copy);
	free(msg);
}

/* ---- OpenSSH's sig_fuzz: every single-bit change must fail ---- */

static void
flip_every_bit(unsigned char *blob, size_t len, const void *msg, size_t msglen)
{
	struct tk_sshsig *sig;
	size_t bit;
	int rc;

	for (bit = 0; bit < len * 8; bit++) {
		blob[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		rc = tk_sshsig_parse_blob(&sig, blob, len);
		if (rc == 0) {
			rc = tk_sshsig_verify(sig, NS, msg, msglen);
			tk_sshsig_free(sig);
		} else
			assert_null(sig);
		if (rc == 0)
			fail_msg("bit %zu flipped still verifies", bit);
		assert_true(rc < 0);
		blob[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	/* The loop restored the blob: it must verify again. */
	expect_verify(blob, len, NS, msg, msglen, 0);
}

static void
test_sshsig__bitflip_blob(void **state)
{
	unsigned char *blob;
	size_t i, len, msglen;
	char *msg = read_fixture("msg", &msglen);

	for (i = 0; i < TK_ARRAY_SIZE(approval_sigs); i++) {
		blob = dearmor(approval_sigs[i], &len);
		flip_every_bit(blob, len, msg, msglen);
		free(blob);
	}
	free(msg);
}

static void
test_sshsig__bitflip_message(void **state)
{
	struct tk_sshsig *sig;
	size_t i, bit, msglen;
	char *msg = read_fixture("msg", &msglen);

	for (i = 0; i < TK_ARRAY_SIZE(approval_sigs); i++) {
		sig = load_sig(approval_sigs[i]);
		for (bit = 0; bit < msglen * 8; bit++) {
			msg[bit / 8] ^= (char)(1u << (bit % 8));
			assert_int_equal(
			    tk_sshsig_verify(sig, NS, msg, msglen), TK_EBADSIG);
			msg[bit / 8] ^= (char)(1u << (bit % 8));
		}
		assert_int_equal(tk_sshsig_verify(sig, NS, msg, msglen), 0);
		tk_sshsig_free(sig);
	}
	free(msg);
}

/* ---- rewriting the fields of a real blob ---- */

struct fields {
	const unsigned char *magic;
	uint32_t version;
	const unsigned char *key, *ns, *reserved, *hash, *alg, *sigblob;
	size_t keylen, nslen, reservedlen, hashlen, alglen, sigbloblen;
	const unsigned char *sigrest; /* sk flags and counter */
	size_t sigrestlen;
};

static void
split_blob(struct fields *f, const unsigned char *blob, size_t len)
{
	struct tk_sshbuf b, s;

	memset(f, 0, sizeof(*f));
	tk_sshbuf_init(&b, blob, len, "test");
	assert_int_equal(tk_sshbuf_get_raw(&b, &f->magic, 6), 0);
	assert_int_equal(tk_sshbuf_get_u32(&b, &f->version), 0);
	assert_int_equal(tk_sshbuf_get_string(&b, &f->key, &f->keylen), 0);
	assert_int_equal(tk_sshbuf_get_string(&b, &f->ns, &f->nslen), 0);
	assert_int_equal(
	    tk_sshbuf_get_string(&b, &f->reserved, &f->reservedlen), 0);
	assert_int_equal(tk_sshbuf_get_string(&b, &f->hash, &f->hashlen), 0);
	assert_int_equal(tk_sshbuf_get_sub(&b, &s, "test sig"), 0);
	assert_int_equal(tk_sshbuf_done(&b), 0);
	assert_int_equal(tk_sshbuf_get_string(&s, &f->alg, &f->alglen), 0);
	assert_int_equal(
	    tk_sshbuf_get_string(&s, &f->sigblob, &f->sigbloblen), 0);
	f->sigrest = s.p;
	f->sigrestlen = s.len;
}

static void
join_blob(struct tk_buf *out, const struct fields *f)
{
	struct tk_buf sig = TK_BUF_INIT(BIG);

	tk_buf_reset(out);
	assert_int_equal(tk_sshbuf_put_string(&sig, f->alg, f->alglen), 0);
	assert_int_equal(
	    tk_sshbuf_put_string(&sig, f->sigblob, f->sigbloblen), 0);
	assert_int_equal(tk_buf_put(&sig, f->sigrest, f->sigrestlen), 0);
	assert_int_equal(tk_buf_put(out, f->magic, 6), 0);
	assert_int_equal(tk_sshbuf_put_u32(out, f->version), 0);
	assert_int_equal(tk_sshbuf_put_string(out, f->key, f->keylen), 0);
	assert_int_equal(tk_sshbuf_put_string(out, f->ns, f->nslen), 0);
	assert_int_equal(
	    tk_sshbuf_put_string(out, f->reserved, f->reservedlen), 0);
	assert_int_equal(tk_sshbuf_put_string(out, f->hash, f->hashlen), 0);
	assert_int_equal(tk_sshbuf_put_string(out, sig.ptr, sig.len), 0);
	tk_buf_release(&sig);
}

static int
parse_fields(const struct fields *f)
{
	struct tk_buf b = TK_BUF_INIT(BIG);
	struct tk_sshsig *sig = NULL;
	int rc;

	join_blob(&b, f);
	rc = tk_sshsig_parse_blob(&sig, (unsigned char *)b.ptr, b.len);
	if (rc != 0)
		assert_null(sig);
	tk_sshsig_free(sig);
	tk_buf_release(&b);
	return rc;
}

#define SET(f, field, s)                                                       \
	((f).field = (const unsigned char *)(s), (f).field##len = sizeof(s) - 1)

static void
test_sshsig__blob_fields(void **state)
{
	struct fields f, orig;
	struct tk_buf b = TK_BUF_INIT(BIG);
	unsigned char *blob;
	size_t len, msglen;
	char *msg = read_fixture("msg", &msglen);

	blob = dearmor("ed25519.sig", &len);
	split_blob(&orig, blob, len);
	join_blob(&b, &orig); /* the round trip is exact */
	assert_int_equal(b.len, len);
	assert_memory_equal(b.ptr, blob, len);
	expect_verify((unsigned char *)b.ptr, b.len, NS, msg, msglen, 0);

	f = orig, f.version = 2;
	assert_int_equal(parse_fields(&f), TK_EUNSUPPORTED);
	f = orig, f.version = 0;
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	f = orig, SET(f, reserved, "x");
	assert_int_equal(parse_fields(&f), TK_EUNSUPPORTED);
	f = orig, SET(f, hash, "sha1");
	assert_int_equal(parse_fields(&f), TK_EUNSUPPORTED);
	f = orig, SET(f, hash, "SHA512");
	assert_int_equal(parse_fields(&f), TK_EUNSUPPORTED);
	f = orig, SET(f, hash, "sha384");
	assert_int_equal(parse_fields(&f), TK_EUNSUPPORTED);
	f = orig, SET(f, ns, "twokey-approval\0git");
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	f = orig, f.magic = (const unsigned char *)"SSHSIH";
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	f = orig, SET(f, alg, "ssh-rsa");
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	f = orig, SET(f, alg, "sk-ssh-ed25519@openssh.com");
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	f = orig, f.sigbloblen--;
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	f = orig, SET(f, sigrest, "\x01");
	assert_int_equal(parse_fields(&f), TK_EINVAL); /* trailing in sig */
	free(blob);
	free(msg);
	tk_buf_release(&b);
}

static void
test_sshsig__trailing_and_lengths(void **state)
{
	struct tk_sshsig *sig;
	unsigned char *blob, *big;
	size_t i, n, len;

	for (i = 0; i < TK_ARRAY_SIZE(approval_sigs); i++) {
		blob = dearmor(approval_sigs[i], &len);
		big = malloc(len + 1);
		assert_non_null(big);
		memcpy(big, blob, len);
		big[len] = 0;
		assert_int_equal(
		    tk_sshsig_parse_blob(&sig, big, len + 1), TK_EINVAL);
		assert_null(sig);
		/* Every truncation fails. */
		for (n = 0; n < len; n++)
			assert_int_equal(
			    tk_sshsig_parse_blob(&sig, blob, n), TK_EINVAL);
		/* A length of 0xffffffff in the key, namespace, signature. */
		memcpy(big, blob, len);
		memcpy(big + 10, "\xff\xff\xff\xff", 4);
		assert_int_equal(
		    tk_sshsig_parse_blob(&sig, big, len), TK_EINVAL);
		memcpy(big, blob, len);
		n = 14 + (((size_t)blob[12] << 8) | blob[13]);
		memcpy(big + n, "\xff\xff\xff\xff", 4);
		assert_int_equal(
		    tk_sshsig_parse_blob(&sig, big, len), TK_EINVAL);
		free(big);
		free(blob);
	}
	big = calloc(1, TK_SSHSIG_MAX_BLOB + 1);
	assert_non_null(big);
	assert_int_equal(
	    tk_sshsig_parse_blob(&sig, big, TK_SSHSIG_MAX_BLOB + 1),
	    TK_ETOOBIG);
	free(big);
}

/* Rewrites the inside of the key blob and of the ECDSA signature blob. */
static void
test_sshsig__inner_trailing(void **state)
{
	struct fields f, orig;
	unsigned char *blob, buf[4096];
	size_t len;

	blob = dearmor("ecdsa256.sig", &len);
	split_blob(&orig, blob, len);
	assert_true(orig.keylen < sizeof(buf) - 1);
	f = orig;
	memcpy(buf, f.key, f.keylen);
	buf[f.keylen] = 0;
	f.key = buf, f.keylen++;
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	f = orig;
	memcpy(buf, f.sigblob, f.sigbloblen);
	buf[f.sigbloblen] = 0;
	f.sigblob = buf, f.sigbloblen++;
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	/* ECDSA r with a redundant leading zero: not minimal. */
	f = orig;
	memcpy(buf, "\0\0\0\0", 4);
	buf[3] = (unsigned char)(orig.sigblob[3] + 1);
	buf[4] = 0;
	memcpy(buf + 5, orig.sigblob + 4, orig.sigbloblen - 4);
	f.sigblob = buf, f.sigbloblen++;
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	free(blob);
}

/* ---- RSA ---- */

static void
test_sshsig__rsa_small_key(void **state)
{
	struct tk_sshkey *k;
	struct tk_sshsig *sig;
	size_t len;
	char *text = read_fixture("rsa1024.pub", NULL);

	assert_int_equal(tk_sshkey_parse_line(&k, text), TK_EUNSUPPORTED);
	assert_null(k);
	free(text);
	text = read_fixture("rsa1024.sig", &len);
	assert_int_equal(
	    tk_sshsig_parse_armor(&sig, text, len), TK_EUNSUPPORTED);
	assert_null(sig);
	free(text);
}

static void
test_sshsig__rsa_sigalg(void **state)
{
	struct fields f, orig;
	unsigned char *blob;
	size_t len;

	blob = dearmor("rsa3072.sig", &len);
	split_blob(&orig, blob, len);
	assert_true(tk_sshbuf_eq(orig.alg, orig.alglen, "rsa-sha2-512"));
	f = orig, SET(f, alg, "ssh-rsa");
	assert_int_equal(parse_fields(&f), TK_EUNSUPPORTED);
	f = orig, SET(f, alg, "rsa-sha2-384");
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	f = orig, SET(f, alg, "ssh-ed25519");
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	f = orig, f.sigbloblen = 0;
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	free(blob);
}

/* ---- software signers for vectors ssh-keygen cannot make ---- */

static void
sw_sign(EVP_PKEY *k, const char *md, const void *data, size_t len,
    unsigned char *sig, size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(ctx);
	assert_int_equal(
	    EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, k, NULL), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, siglen, data, len), 1);
	EVP_MD_CTX_free(ctx);
}

static void
put_mpint_bn(struct tk_buf *b, const BIGNUM *bn)
{
	unsigned char tmp[1024];
	int n = BN_num_bytes(bn);

	assert_true(n >= 0 && n < (int)sizeof(tmp));
	tmp[0] = 0;
	BN_bn2bin(bn, tmp + 1);
	/* A sign byte only when the top bit is set. */
	if (n > 0 && (tmp[1] & 0x80) != 0)
		assert_int_equal(
		    tk_sshbuf_put_string(b, tmp, (size_t)n + 1), 0);
	else
		assert_int_equal(
		    tk_sshbuf_put_string(b, tmp + 1, (size_t)n), 0);
}

/* DER ECDSA signature to the SSH "mpint r, mpint s" blob. */
static void
ecdsa_der_to_ssh(struct tk_buf *out, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;

	assert_non_null(es);
	ECDSA_SIG_get0(es, &r, &s);
	put_mpint_bn(out, r);
	put_mpint_bn(out, s);
	ECDSA_SIG_free(es);
}

/* The signed data of an SSHSIG (PROTOCOL.sshsig). */
static void
make_tbs(struct tk_buf *tbs, const char *ns, const char *hash, const void *msg,
    size_t msglen)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen;

	assert_int_equal(
	    EVP_Digest(msg, msglen, h, &hlen,
	        strcmp(hash, "sha256") == 0 ? EVP_sha256() : EVP_sha512(),
	        NULL),
	    1);
	assert_int_equal(tk_buf_put(tbs, "SSHSIG", 6), 0);
	assert_int_equal(tk_sshbuf_put_cstring(tbs, ns), 0);
	assert_int_equal(tk_sshbuf_put_string(tbs, "", 0), 0);
	assert_int_equal(tk_sshbuf_put_cstring(tbs, hash), 0);
	assert_int_equal(tk_sshbuf_put_string(tbs, h, hlen), 0);
}

static void
make_sshsig(struct tk_buf *out, const struct tk_buf *key, const char *ns,
    const char *hash, const struct tk_buf *sig)
{
	tk_buf_reset(out);
	assert_int_equal(tk_buf_put(out, "SSHSIG", 6), 0);
	assert_int_equal(tk_sshbuf_put_u32(out, 1), 0);
	assert_int_equal(tk_sshbuf_put_string(out, key->ptr, key->len), 0);
	assert_int_equal(tk_sshbuf_put_cstring(out, ns), 0);
	assert_int_equal(tk_sshbuf_put_string(out, "", 0), 0);
	assert_int_equal(tk_sshbuf_put_cstring(out, hash), 0);
	assert_int_equal(tk_sshbuf_put_string(out, sig->ptr, sig->len), 0);
}

static void
rsa_key_blob(struct tk_buf *out, EVP_PKEY *k)
{
	BIGNUM *e = NULL, *n = NULL;

	assert_int_equal(
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e), 1);
	assert_int_equal(
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(tk_sshbuf_put_cstring(out, "ssh-rsa"), 0);
	put_mpint_bn(out, e);
	put_mpint_bn(out, n);
	BN_free(e);
	BN_free(n);
}

/* An RSA SSHSIG signed with digest md and labelled alg. */
static void
rsa_sshsig(struct tk_buf *out, EVP_PKEY *k, const char *md, const char *alg,
    const char *msg, size_t skip)
{
	struct tk_buf key = TK_BUF_INIT(BIG), tbs = TK_BUF_INIT(BIG);
	struct tk_buf sig = TK_BUF_INIT(BIG);
	unsigned char raw[1024];
	size_t rawlen = sizeof(raw);

	rsa_key_blob(&key, k);
	make_tbs(&tbs, NS, "sha512", msg, strlen(msg));
	sw_sign(k, md, tbs.ptr, tbs.len, raw, &rawlen);
	assert_true(skip <= rawlen);
	assert_int_equal(tk_sshbuf_put_cstring(&sig, alg), 0);
	assert_int_equal(
	    tk_sshbuf_put_string(&sig, raw + skip, rawlen - skip), 0);
	make_sshsig(out, &key, NS, "sha512", &sig);
	tk_buf_release(&key);
	tk_buf_release(&tbs);
	tk_buf_release(&sig);
}

static int
parse_and_verify(const struct tk_buf *b, const char *msg)
{
	struct tk_sshsig *sig;
	int rc;

	if ((rc = tk_sshsig_parse_blob(
	         &sig, (const unsigned char *)b->ptr, b->len)) < 0)
		return rc;
	rc = tk_sshsig_verify(sig, NS, msg, strlen(msg));
	tk_sshsig_free(sig);
	return rc;
}

static void
test_sshsig__rsa_software(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	struct tk_buf b = TK_BUF_INIT(BIG);
	char msg[64];
	int i;

	assert_non_null(k);
	rsa_sshsig(&b, k, "SHA256", "rsa-sha2-256", "hello", 0);
	assert_int_equal(parse_and_verify(&b, "hello"), 0);
	rsa_sshsig(&b, k, "SHA512", "rsa-sha2-512", "hello", 0);
	assert_int_equal(parse_and_verify(&b, "hello"), 0);
	/* The digest comes from the algorithm name. */
	rsa_sshsig(&b, k, "SHA512", "rsa-sha2-256", "hello", 0);
	assert_int_equal(parse_and_verify(&b, "hello"), TK_EBADSIG);
	/* A valid SHA-1 signature is still refused. */
	rsa_sshsig(&b, k, "SHA1", "ssh-rsa", "hello", 0);
	assert_int_equal(parse_and_verify(&b, "hello"), TK_EUNSUPPORTED);
	/* A signature with a leading zero may come shortened: padded. */
	for (i = 0; i < 20000; i++) {
		snprintf(msg, sizeof(msg), "message %d", i);
		rsa_sshsig(&b, k, "SHA256", "rsa-sha2-256", msg, 0);
		/* sig string is the last 4 + 4 + 12 + 4 + 256 bytes */
		if (b.ptr[b.len - 256] == 0)
			break;
	}
	assert_true(i < 20000);
	rsa_sshsig(&b, k, "SHA256", "rsa-sha2-256", msg, 1);
	assert_int_equal(parse_and_verify(&b, msg), 0);
	tk_buf_release(&b);
	EVP_PKEY_free(k);
}

static void
test_sshsig__rsa_long_sig(void **state)
{
	struct fields f, orig;
	unsigned char *blob, buf[2048];
	size_t len;

	blob = dearmor("rsa2048.sig", &len);
	split_blob(&orig, blob, len);
	f = orig;
	buf[0] = 0;
	memcpy(buf + 1, orig.sigblob, orig.sigbloblen);
	f.sigblob = buf, f.sigbloblen++;
	assert_int_equal(parse_fields(&f), TK_EINVAL);
	free(blob);
}

/* ---- FIDO ---- */

struct skcase {
	uint8_t signflags, wireflags;
	uint32_t signcounter, wirecounter;
	const char *signapp, *keyapp;
	const char *alg; /* NULL: the key type */
};

static void
sk_key_blob(struct tk_buf *out, EVP_PKEY *k, bool ecdsa, const char *app)
{
	unsigned char pub[256];
	size_t len = sizeof(pub);

	if (ecdsa) {
		assert_int_equal(
		    EVP_PKEY_get_octet_string_param(
		        k, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &len),
		    1);
		assert_int_equal(tk_sshbuf_put_cstring(
		                     out, "sk-ecdsa-sha2-nistp256@openssh.com"),
		    0);
		assert_int_equal(tk_sshbuf_put_cstring(out, "nistp256"), 0);
	} else {
		assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &len), 1);
		assert_int_equal(
		    tk_sshbuf_put_cstring(out, "sk-ssh-ed25519@openssh.com"),
		    0);
	}
	assert_int_equal(tk_sshbuf_put_string(out, pub, len), 0);
	assert_int_equal(tk_sshbuf_put_cstring(out, app), 0);
}

/* What the authenticator signs (PROTOCOL.u2f). */
static void
sk_signed(
    struct tk_buf *out, const struct skcase *c, const void *tbs, size_t tbslen)
{
	unsigned char h[32];

	assert_int_equal(EVP_Digest(c->signapp, strlen(c->signapp), h, NULL,
	                     EVP_sha256(), NULL),
	    1);
	assert_int_equal(tk_buf_put(out, h, 32), 0);
	assert_int_equal(tk_sshbuf_put_u8(out, c->signflags), 0);
	assert_int_equal(tk_sshbuf_put_u32(out, c->signcounter), 0);
	assert_int_equal(
	    EVP_Digest(tbs, tbslen, h, NULL, EVP_sha256(), NULL), 1);
	assert_int_equal(tk_buf_put(out, h, 32), 0);
}

static void
sk_sshsig(struct tk_buf *out, EVP_PKEY *k, bool ecdsa, const struct skcase *c,
    const char *hash)
{
	struct tk_buf key = TK_BUF_INIT(BIG), tbs = TK_BUF_INIT(BIG);
	struct tk_buf data = TK_BUF_INIT(BIG), sig = TK_BUF_INIT(BIG);
	struct tk_buf inner = TK_BUF_INIT(BIG);
	unsigned char raw[256];
	size_t rawlen = sizeof(raw);

	sk_key_blob(&key, k, ecdsa, c->keyapp);
	make_tbs(&tbs, NS, hash, "hello", 5);
	sk_signed(&data, c, tbs.ptr, tbs.len);
	sw_sign(k, ecdsa ? "SHA256" : NULL, data.ptr, data.len, raw, &rawlen);
	if (ecdsa)
		ecdsa_der_to_ssh(&inner, raw, rawlen);
	else
		assert_int_equal(tk_buf_put(&inner, raw, rawlen), 0);
	assert_int_equal(tk_sshbuf_put_cstring(&sig,
	                     c->alg != NULL ? c->alg
	                         : ecdsa ? "sk-ecdsa-sha2-nistp256@openssh.com"
	                                 : "sk-ssh-ed25519@openssh.com"),
	    0);
	assert_int_equal(tk_sshbuf_put_string(&sig, inner.ptr, inner.len), 0);
	assert_int_equal(tk_sshbuf_put_u8(&sig, c->wireflags), 0);
	assert_int_equal(tk_sshbuf_put_u32(&sig, c->wirecounter), 0);
	make_sshsig(out, &key, NS, hash, &sig);
	tk_buf_release(&key);
	tk_buf_release(&tbs);
	tk_buf_release(&data);
	tk_buf_release(&sig);
	tk_buf_release(&inner);
}

static const struct {
	struct skcase c;
	int want;
} skcases[] = {
    {{0x01, 0x01, 7, 7, "ssh:", "ssh:", NULL}, 0},
    {{0x05, 0x05, 7, 7, "ssh:", "ssh:", NULL}, 0}, /* UP + UV */
    {{0x01, 0x01, 0, 0, "ssh:twokey", "ssh:twokey", NULL}, 0},
    {{0x00, 0x00, 7, 7, "ssh:", "ssh:", NULL}, TK_EUNSUPPORTED}, /* no UP */
    {{0x04, 0x04, 7, 7, "ssh:", "ssh:", NULL}, TK_EUNSUPPORTED}, /* UV */
    {{0x01, 0x01, 7, 8, "ssh:", "ssh:", NULL}, TK_EBADSIG}, /* counter */
    {{0x01, 0x05, 7, 7, "ssh:", "ssh:", NULL}, TK_EBADSIG}, /* flags */
    {{0x00, 0x01, 7, 7, "ssh:", "ssh:", NULL}, TK_EBADSIG}, /* flags */
    {{0x01, 0x01, 7, 7, "ssh:", "ssh:x", NULL}, TK_EBADSIG}, /* app */
    {{0x01, 0x01, 7, 7,
         "ssh:", "ssh:", "webauthn-sk-ecdsa-sha2-nistp256@openssh.com"},
        TK_EUNSUPPORTED},
};

static void
run_sk(EVP_PKEY *k, bool ecdsa)
{
	struct tk_buf b = TK_BUF_INIT(BIG);
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(skcases); i++) {
		sk_sshsig(&b, k, ecdsa, &skcases[i].c, "sha512");
		if (parse_and_verify(&b, "hello") != skcases[i].want)
			fail_msg("sk case %zu (%s): %s", i,
			    ecdsa ? "ecdsa" : "ed25519", tk_error_last());
	}
	sk_sshsig(&b, k, ecdsa, &skcases[3].c, "sha512");
	assert_int_equal(parse_and_verify(&b, "hello"), TK_EUNSUPPORTED);
	assert_non_null(strstr(tk_error_last(), "user presence"));
	sk_sshsig(&b, k, ecdsa, &skcases[0].c, "sha256");
	assert_int_equal(parse_and_verify(&b, "hello"), 0);
	assert_int_equal(parse_and_verify(&b, "hellO"), TK_EBADSIG);
	sk_sshsig(&b, k, ecdsa, &skcases[0].c, "sha512");
	flip_every_bit((unsigned char *)b.ptr, b.len, "hello", 5);
	tk_buf_release(&b);
}

/* sk keys as policy lines; the application must be NUL-free text. */
static void
sk_key_line(EVP_PKEY *k, bool ecdsa)
{
	struct tk_buf blob = TK_BUF_INIT(BIG), line = TK_BUF_INIT(BIG);
	struct tk_sshkey *key;

	sk_key_blob(&blob, k, ecdsa, "ssh:");
	assert_int_equal(tk_buf_puts(&line,
	                     ecdsa ? "sk-ecdsa-sha2-nistp256@openssh.com "
	                           : "sk-ssh-ed25519@openssh.com "),
	    0);
	assert_int_equal(
	    tk_base64_encode(&line, (const unsigned char *)blob.ptr, blob.len),
	    0);
	assert_int_equal(tk_buf_puts(&line, " twokey-test-only"), 0);
	assert_int_equal(tk_sshkey_parse_line(&key, line.ptr), 0);
	assert_true(strncmp(tk_sshkey_type(key), "sk-", 3) == 0);
	tk_sshkey_free(key);
	tk_buf_reset(&blob);
	sk_key_blob(&blob, k, ecdsa, "ssh:");
	blob.ptr[blob.len - 2] = '\0'; /* "ssh:" -> "ss\0:" */
	assert_int_equal(tk_sshkey_from_blob(
	                     &key, (const unsigned char *)blob.ptr, blob.len),
	    TK_EINVAL);
	tk_buf_release(&blob);
	tk_buf_release(&line);
}

/*
 * An approval whose security key signed without user presence is refused
 * for that reason, all the way to the engine's text: not "does not match
 * this commit", which would send the approver after the wrong problem.
 * Its twin with the presence bit counts as a verified signature.
 */
static void
sk_approval_reason(EVP_PKEY *k, bool ecdsa)
{
	static const struct skcase up = {
	    0x01, 0x01, 7, 7, "ssh:", "ssh:", NULL};
	static const struct skcase noup = {
	    0x04, 0x04, 7, 7, "ssh:", "ssh:", NULL};
	const struct skcase *cases[2] = {&up, &noup};
	struct tk_buf b = TK_BUF_INIT(BIG), why = TK_BUF_INIT(1024);
	struct tk_approval_trailer t;
	struct tk_sigres s;
	struct tk_sshsig_msg m;
	const struct tk_key *key = NULL;
	const char *res;
	size_t i;

	for (i = 0; i < 2; i++) {
		tk_buf_reset(&b);
		tk_buf_reset(&why);
		sk_sshsig(&b, k, ecdsa, cases[i], "sha512");
		memset(&t, 0, sizeof(t));
		memset(&s, 0, sizeof(s));
		t.sig = malloc(b.len);
		assert_non_null(t.sig);
		memcpy(t.sig, b.ptr, b.len);
		t.sig_len = b.len;
		tk_sshsig_msg_init(&m, "hello", 5);
		tk_sigres_approval(&s, &t, &m);
		assert_true(s.parsed);
		if (i == 0) {
			assert_int_equal(s.status, 0);
		} else {
			assert_int_equal(s.status, TK_EUNSUPPORTED);
			/* refused before the key is looked up: no policy */
			res = tk_approval_invalid(NULL, 0, &s, &t, &key, &why);
			assert_non_null(res);
			assert_non_null(strstr(res,
			    "its signature is refused: security key signature "
			    "made without user presence"));
			assert_null(strstr(res, "does not match"));
			assert_null(key);
		}
		tk_sigres_release(&s);
		free(t.sig);
	}
	tk_buf_release(&b);
	tk_buf_release(&why);
}

static void
test_sshsig__fido(void **state)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(ed);
	assert_non_null(ec);
	run_sk(ed, false);
	run_sk(ec, true);
	sk_key_line(ed, false);
	sk_key_line(ec, true);
	sk_approval_reason(ed, false);
	sk_approval_reason(ec, true);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(ec);
}

/* ---- armour and base64 ---- */

static int
parse_armor_text(const char *text, size_t len)
{
	struct tk_sshsig *sig = NULL;
	size_t msglen;
	char *msg;
	int rc;

	if ((rc = tk_sshsig_parse_armor(&sig, text, len)) != 0) {
		assert_null(sig);
		return rc;
	}
	msg = read_fixture("msg", &msglen);
	rc = tk_sshsig_verify(sig, NS, msg, msglen);
	free(msg);
	tk_sshsig_free(sig);
	return rc;
}

static void
to_crlf(struct tk_buf *out, const char *text)
{
	for (; *text != '\0'; text++) {
		if (*text == '\n')
			assert_int_equal(tk_buf_putc(out, '\r'), 0);
		assert_int_equal(tk_buf_putc(out, *text), 0);
	}
}

static void
test_sshsig__armor(void **state)
{
	struct tk_buf b = TK_BUF_INIT(BIG);
	size_t len;
	char *text = read_fixture("ecdsa384.sig", &len), *p;

	assert_int_equal(parse_armor_text(text, len), 0);
	/* CR LF after the header is refused, as OpenSSH 9.2 does ... */
	to_crlf(&b, text);
	assert_int_equal(parse_armor_text(b.ptr, b.len), TK_EINVAL);
	/* ... but CRs inside the base64 are white space. */
	p = strchr(b.ptr, '\r');
	memmove(p, p + 1, b.len - (size_t)(p - b.ptr));
	b.len--;
	assert_int_equal(parse_armor_text(b.ptr, b.len), 0);
	/* Garbage after the footer is ignored, as OpenSSH does. */
	tk_buf_reset(&b);
	assert_int_equal(
	    tk_buf_printf(&b, "%s\x01garbage\n-----BEGIN", text), 0);
	assert_int_equal(parse_armor_text(b.ptr, b.len), 0);
	assert_int_equal(parse_armor_text(text, len - 1), 0); /* no LF */
	/* Must start with the header line. */
	tk_buf_reset(&b);
	assert_int_equal(tk_buf_printf(&b, " %s", text), 0);
	assert_int_equal(parse_armor_text(b.ptr, b.len), TK_EINVAL);
	assert_int_equal(parse_armor_text(text + 1, len - 1), TK_EINVAL);
	assert_int_equal(parse_armor_text("", 0), TK_EINVAL);
	p = strchr(text, '\n');
	assert_int_equal(
	    parse_armor_text(p + 1, len - (size_t)(p + 1 - text)), TK_EINVAL);
	tk_buf_reset(&b);
	assert_int_equal(
	    tk_buf_printf(&b, "-----BEGIN SSH SIGNATURE----- %s", p + 1), 0);
	assert_int_equal(parse_armor_text(b.ptr, b.len), TK_EINVAL);
	/* No footer. */
	assert_int_equal(
	    parse_armor_text(text, (size_t)(strstr(text, "-----END") - text)),
	    TK_EINVAL);
	/* Bad base64 inside. */
	tk_buf_reset(&b);
	assert_int_equal(tk_buf_put(&b, text, len), 0);
	b.ptr[40] = '*';
	assert_int_equal(parse_armor_text(b.ptr, b.len), TK_EINVAL);
	tk_buf_release(&b);
	free(text);
}

static void
test_sshsig__armor_bounds(void **state)
{
	struct tk_sshsig *sig;
	size_t len = TK_SSHSIG_MAX_ARMOR + 1;
	char *text = malloc(len);

	assert_non_null(text);
	memset(text, 'A', len);
	memcpy(text, "-----BEGIN SSH SIGNATURE-----\n", 30);
	assert_int_equal(tk_sshsig_parse_armor(&sig, text, len), TK_ETOOBIG);
	assert_null(sig);
	assert_int_equal(
	    tk_sshsig_parse_base64(&sig, text + 30, len - 30), TK_ETOOBIG);
	/* Under the text bound but decoding past the blob bound. */
	assert_int_equal(
	    tk_sshsig_parse_base64(&sig, text + 30, TK_SSHSIG_MAX_ARMOR - 100),
	    TK_ETOOBIG);
	free(text);
}

static void
test_sshsig__base64(void **state)
{
	struct tk_buf b64 = TK_BUF_INIT(BIG), folded = TK_BUF_INIT(BIG);
	struct tk_sshsig *sig;
	unsigned char *blob;
	size_t i, len, msglen;
	char *msg = read_fixture("msg", &msglen);

	blob = dearmor("rsa2048.sig", &len);
	assert_int_equal(tk_base64_encode(&b64, blob, len), 0);
	assert_int_equal(tk_sshsig_parse_base64(&sig, b64.ptr, b64.len), 0);
	assert_int_equal(tk_sshsig_verify(sig, NS, msg, msglen), 0);
	tk_sshsig_free(sig);
	/* Folded as in a trailer continuation. */
	for (i = 0; i < b64.len; i++) {
		if (i > 0 && i % 60 == 0)
			assert_int_equal(tk_buf_puts(&folded, "\n \t"), 0);
		assert_int_equal(tk_buf_putc(&folded, b64.ptr[i]), 0);
	}
	assert_int_equal(
	    tk_sshsig_parse_base64(&sig, folded.ptr, folded.len), 0);
	assert_int_equal(tk_sshsig_verify(sig, NS, msg, msglen), 0);
	tk_sshsig_free(sig);
	/* Unpadded, or with a stray character: refused. */
	assert_int_equal(
	    tk_sshsig_parse_base64(&sig, b64.ptr, b64.len - 1), TK_EINVAL);
	b64.ptr[5] = '.';
	assert_int_equal(
	    tk_sshsig_parse_base64(&sig, b64.ptr, b64.len), TK_EINVAL);
	assert_null(sig);
	free(blob);
	free(msg);
	tk_buf_release(&b64);
	tk_buf_release(&folded);
}

/* ---- public key lines ---- */

static int
parse_line(const char *line)
{
	struct tk_sshkey *k = NULL;
	int rc = tk_sshkey_parse_line(&k, line);

	if (rc != 0)
		assert_null(k);
	tk_sshkey_free(k);
	return rc;
}

static void
check_good_line(const char *type)
{
	struct tk_buf b = TK_BUF_INIT(BIG);
	char name[64], word[64], b64[2048];
	char *line;

	snprintf(name, sizeof(name), "%s.pub", type);
	line = read_fixture(name, NULL);
	assert_int_equal(sscanf(line, "%63s %2047s", word, b64), 2);
	if (parse_line(line) != 0)
		fail_msg("%s: %s", name, tk_error_last());
	assert_int_equal(tk_buf_printf(&b, "%s %s", word, b64), 0);
	assert_int_equal(parse_line(b.ptr), 0); /* no comment */
	tk_buf_reset(&b);
	assert_int_equal(
	    tk_buf_printf(&b, " \t%s\t%s  a b c\r\n", word, b64), 0);
	assert_int_equal(parse_line(b.ptr), 0);
	/* Claimed type disagrees with the blob. */
	tk_buf_reset(&b);
	assert_int_equal(
	    tk_buf_printf(&b, "%s %s",
	        strcmp(word, "ssh-ed25519") == 0 ? "ssh-rsa" : "ssh-ed25519",
	        b64),
	    0);
	assert_int_equal(parse_line(b.ptr), TK_EINVAL);
	/* Bad base64. */
	tk_buf_reset(&b);
	assert_int_equal(tk_buf_printf(&b, "%s %s", word, b64 + 1), 0);
	assert_int_equal(parse_line(b.ptr), TK_EINVAL);
	/* Two keys on one line. */
	tk_buf_reset(&b);
	assert_int_equal(
	    tk_buf_printf(&b, "%s %s\n%s %s", word, b64, word, b64), 0);
	assert_int_equal(parse_line(b.ptr), TK_EINVAL);
	tk_buf_release(&b);
	free(line);
}

/* Re-encodes a .pub blob with one extra byte appended. */
static void
check_trailing_line(const char *type)
{
	struct tk_buf b = TK_BUF_INIT(BIG), enc = TK_BUF_INIT(BIG);
	char name[64], word[64], b64[2048];
	unsigned char *blob, *more;
	size_t len;
	char *line;

	snprintf(name, sizeof(name), "%s.pub", type);
	line = read_fixture(name, NULL);
	assert_int_equal(sscanf(line, "%63s %2047s", word, b64), 2);
	assert_int_equal(
	    tk_base64_decode(&blob, &len, b64, strlen(b64), BIG), 0);
	more = malloc(len + 1);
	assert_non_null(more);
	memcpy(more, blob, len);
	more[len] = 0;
	assert_int_equal(tk_base64_encode(&enc, more, len + 1), 0);
	assert_int_equal(tk_buf_printf(&b, "%s %s", word, enc.ptr), 0);
	assert_int_equal(parse_line(b.ptr), TK_EINVAL);
	free(more);
	free(blob);
	free(line);
	tk_buf_release(&b);
	tk_buf_release(&enc);
}

static void
test_sshsig__key_lines(void **state)
{
	struct tk_buf b = TK_BUF_INIT(BIG);
	char *line;
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(good_types); i++) {
		check_good_line(good_types[i]);
		check_trailing_line(good_types[i]);
	}
	line = read_fixture("ed25519-cert.pub", NULL);
	assert_int_equal(parse_line(line), TK_EUNSUPPORTED);
	/* The certificate blob under a plain type word. */
	assert_int_equal(
	    tk_buf_printf(&b, "ssh-ed25519 %s", strchr(line, ' ') + 1), 0);
	assert_int_equal(parse_line(b.ptr), TK_EUNSUPPORTED);
	tk_buf_release(&b);
	free(line);
	assert_int_equal(parse_line(""), TK_EINVAL);
	assert_int_equal(parse_line("   \n"), TK_EINVAL);
	assert_int_equal(parse_line("ssh-ed25519"), TK_EINVAL);
	assert_int_equal(parse_line("ssh-ed25519 "), TK_EINVAL);
	assert_int_equal(parse_line("ssh-dss AAAA"), TK_EUNSUPPORTED);
	assert_int_equal(parse_line("webauthn-sk-ecdsa-sha2-nistp256@openssh"
	                            ".com AAAA"),
	    TK_EUNSUPPORTED);
	assert_int_equal(parse_line("from=\"*\" ssh-ed25519 AAAA"), TK_EINVAL);
	assert_int_equal(parse_line("ssh-ed448 AAAA"), TK_EINVAL);
	/* A key blob of type "ssh-dss", announced as ssh-ed25519. */
	assert_int_equal(
	    parse_line("ssh-ed25519 AAAAB3NzaC1kc3M="), TK_EUNSUPPORTED);
}

/* ---- key blobs ---- */

static int
parse_key_blob(const struct tk_buf *b)
{
	struct tk_sshkey *k = NULL;
	int rc = tk_sshkey_from_blob(&k, (const unsigned char *)b->ptr, b->len);

	if (rc != 0)
		assert_null(k);
	tk_sshkey_free(k);
	return rc;
}

static unsigned char *
pub_blob(const char *type, size_t *len)
{
	char name[64], word[64], b64[2048];
	unsigned char *blob;
	char *line;

	snprintf(name, sizeof(name), "%s.pub", type);
	line = read_fixture(name, NULL);
	assert_int_equal(sscanf(line, "%63s %2047s", word, b64), 2);
	assert_int_equal(
	    tk_base64_decode(&blob, len, b64, strlen(b64), BIG), 0);
	free(line);
	return blob;
}

static void
test_sshsig__ecdsa_keys(void **state)
{
	struct tk_buf b = TK_BUF_INIT(BIG);
	unsigned char *blob, q[65];
	size_t len;

	/* string type(19) string curve(8) string Q(65) */
	blob = pub_blob("ecdsa256", &len);
	assert_int_equal(len, 4 + 19 + 4 + 8 + 4 + 65);
	memcpy(q, blob + len - 65, 65);
	assert_int_equal(tk_buf_put(&b, blob, len), 0);
	assert_int_equal(parse_key_blob(&b), 0);
	b.ptr[len - 1] ^= 1; /* off the curve */
	assert_int_equal(parse_key_blob(&b), TK_EINVAL);
	tk_buf_reset(&b);
	assert_int_equal(tk_sshbuf_put_cstring(&b, "ecdsa-sha2-nistp256"), 0);
	assert_int_equal(tk_sshbuf_put_cstring(&b, "nistp384"), 0);
	assert_int_equal(tk_sshbuf_put_string(&b, q, 65), 0);
	assert_int_equal(parse_key_blob(&b), TK_EINVAL); /* curve mismatch */
	tk_buf_reset(&b);
	assert_int_equal(tk_sshbuf_put_cstring(&b, "ecdsa-sha2-nistp256"), 0);
	assert_int_equal(tk_sshbuf_put_cstring(&b, "nistp256"), 0);
	q[0] = (unsigned char)(2 + (q[64] & 1));
	assert_int_equal(tk_sshbuf_put_string(&b, q, 33), 0);
	assert_int_equal(parse_key_blob(&b), TK_EINVAL); /* compressed */
	tk_buf_reset(&b);
	assert_int_equal(tk_sshbuf_put_cstring(&b, "ecdsa-sha2-nistp256"), 0);
	assert_int_equal(tk_sshbuf_put_cstring(&b, "nistp256"), 0);
	memset(q + 1, 0, 64);
	q[0] = 4;
	assert_int_equal(tk_sshbuf_put_string(&b, q, 65), 0);
	assert_int_equal(parse_key_blob(&b), TK_EINVAL); /* (0, 0) */
	free(blob);
	tk_buf_release(&b);
}

static void
test_sshsig__other_keys(void **state)
{
	struct tk_buf b = TK_BUF_INIT(BIG);
	unsigned char pk[33] = {0}, *blob;
	size_t len;

	assert_int_equal(tk_sshbuf_put_cstring(&b, "ssh-ed25519"), 0);
	assert_int_equal(tk_sshbuf_put_string(&b, pk, 31), 0);
	assert_int_equal(parse_key_blob(&b), TK_EINVAL);
	/* string "ssh-rsa", mpint e, mpint n; add a redundant zero to e */
	blob = pub_blob("rsa2048", &len);
	assert_int_equal(blob[14], 3);
	tk_buf_reset(&b);
	assert_int_equal(tk_buf_put(&b, blob, 11), 0);
	assert_int_equal(tk_sshbuf_put_u32(&b, 4), 0);
	assert_int_equal(tk_buf_put(&b, "\0", 1), 0);
	assert_int_equal(tk_buf_put(&b, blob + 15, len - 15), 0);
	assert_int_equal(parse_key_blob(&b), TK_EINVAL);
	/* e even */
	tk_buf_reset(&b);
	assert_int_equal(tk_buf_put(&b, blob, len), 0);
	b.ptr[17] ^= 1;
	assert_int_equal(parse_key_blob(&b), TK_EINVAL);
	tk_buf_reset(&b);
	assert_int_equal(
	    tk_sshbuf_put_cstring(&b, "ssh-ed25519-cert-v01@openssh.com"), 0);
	assert_int_equal(parse_key_blob(&b), TK_EUNSUPPORTED);
	tk_buf_reset(&b);
	assert_int_equal(tk_sshbuf_put_string(&b, "ssh-ed25519\0", 12), 0);
	assert_int_equal(parse_key_blob(&b), TK_EINVAL);
	free(blob);
	blob = calloc(1, TK_SSHKEY_MAX_BLOB + 1);
	assert_non_null(blob);
	assert_int_equal(tk_sshkey_from_blob(&(struct tk_sshkey *){NULL}, blob,
	                     TK_SSHKEY_MAX_BLOB + 1),
	    TK_ETOOBIG);
	free(blob);
	tk_buf_release(&b);
}

/* ---- the wire reader ---- */

static int
read_mpint(const void *p, size_t len, size_t max, size_t *outlen)
{
	struct tk_sshbuf b;
	const unsigned char *v;
	int rc;

	tk_sshbuf_init(&b, p, len, "test");
	if ((rc = tk_sshbuf_get_mpint(&b, &v, outlen, max)) == 0)
		rc = tk_sshbuf_done(&b);
	return rc;
}

static void
test_sshsig__wire_reader(void **state)
{
	struct tk_sshbuf b;
	const unsigned char *p;
	size_t n = 99;

	assert_int_equal(read_mpint("\0\0\0\0", 4, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(read_mpint("\0\0\0\1\x7f", 5, 1, &n), 0);
	assert_int_equal(read_mpint("\0\0\0\2\0\x80", 6, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(read_mpint("\0\0\0\1\x80", 5, 4, &n), TK_EINVAL);
	assert_int_equal(read_mpint("\0\0\0\1\0", 5, 4, &n), TK_EINVAL);
	assert_int_equal(read_mpint("\0\0\0\2\0\x7f", 6, 4, &n), TK_EINVAL);
	assert_int_equal(read_mpint("\0\0\0\3\1\2\3", 7, 2, &n), TK_EINVAL);
	assert_int_equal(read_mpint("\0\0\0\3\0\x80\3", 7, 2, &n), 0);
	assert_int_equal(read_mpint("\xff\xff\xff\xff\0", 5, 4, &n), TK_EINVAL);
	tk_sshbuf_init(&b,
	    "\xff\xff\xff\xff"
	    "abc",
	    7, "test");
	assert_int_equal(tk_sshbuf_get_string(&b, &p, &n), TK_EINVAL);
	assert_int_equal(b.len, 7); /* unchanged on failure */
	tk_sshbuf_init(&b, "\0\0\0\3abc", 7, "test");
	assert_int_equal(tk_sshbuf_get_string(&b, &p, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(tk_sshbuf_done(&b), 0);
	tk_sshbuf_init(&b, "\0\0\0\3a\0c", 7, "test");
	assert_int_equal(
	    tk_sshbuf_get_cstring(&b, (const char **)&p, &n), TK_EINVAL);
	tk_sshbuf_init(&b, "\0\0\0", 3, "test");
	assert_int_equal(tk_sshbuf_get_u32(&b, &(uint32_t){0}), TK_EINVAL);
}

static void
test_sshsig__show(void **state)
{
	char out[8];

	tk_sshbuf_show(out, sizeof(out), "abc", 3);
	assert_string_equal(out, "abc");
	tk_sshbuf_show(out, sizeof(out), "a\x1b\n", 3);
	assert_string_equal(out, "a??");
	tk_sshbuf_show(out, sizeof(out), "1234567", 7);
	assert_string_equal(out, "1234567");
	tk_sshbuf_show(out, sizeof(out), "12345678", 8);
	assert_string_equal(out, "1234...");
}

/* ---- threads ---- */

struct shared {
	struct tk_sshsig *sigs[TK_ARRAY_SIZE(approval_sigs)];
	char *msg;
	size_t msglen;
	int failures;
};

static void *
worker(void *arg)
{
	struct shared *sh = arg;
	size_t i, round;
	int bad = 0;

	for (round = 0; round < 30; round++)
		for (i = 0; i < TK_ARRAY_SIZE(approval_sigs); i++) {
			if (tk_sshsig_verify(
			        sh->sigs[i], NS, sh->msg, sh->msglen) != 0)
				bad++;
			if (tk_sshsig_verify(sh->sigs[i], NS, sh->msg,
			        sh->msglen - 1) != TK_EBADSIG)
				bad++;
		}
	return bad != 0 ? arg : NULL;
}

static void
test_sshsig__threads(void **state)
{
	struct shared sh;
	pthread_t t[4];
	void *res;
	size_t i;

	sh.msg = read_fixture("msg", &sh.msglen);
	for (i = 0; i < TK_ARRAY_SIZE(approval_sigs); i++)
		sh.sigs[i] = load_sig(approval_sigs[i]);
	for (i = 0; i < TK_ARRAY_SIZE(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, &sh), 0);
	for (i = 0; i < TK_ARRAY_SIZE(t); i++) {
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
	for (i = 0; i < TK_ARRAY_SIZE(approval_sigs); i++)
		tk_sshsig_free(sh.sigs[i]);
	free(sh.msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sshsig__good),
	    cmocka_unit_test(test_sshsig__wrong_namespace),
	    cmocka_unit_test(test_sshsig__tampered_message),
	    cmocka_unit_test(test_sshsig__bitflip_blob),
	    cmocka_unit_test(test_sshsig__bitflip_message),
	    cmocka_unit_test(test_sshsig__blob_fields),
	    cmocka_unit_test(test_sshsig__trailing_and_lengths),
	    cmocka_unit_test(test_sshsig__inner_trailing),
	    cmocka_unit_test(test_sshsig__rsa_small_key),
	    cmocka_unit_test(test_sshsig__rsa_sigalg),
	    cmocka_unit_test(test_sshsig__rsa_software),
	    cmocka_unit_test(test_sshsig__rsa_long_sig),
	    cmocka_unit_test(test_sshsig__fido),
	    cmocka_unit_test(test_sshsig__armor),
	    cmocka_unit_test(test_sshsig__armor_bounds),
	    cmocka_unit_test(test_sshsig__base64),
	    cmocka_unit_test(test_sshsig__key_lines),
	    cmocka_unit_test(test_sshsig__ecdsa_keys),
	    cmocka_unit_test(test_sshsig__other_keys),
	    cmocka_unit_test(test_sshsig__wire_reader),
	    cmocka_unit_test(test_sshsig__show),
	    cmocka_unit_test(test_sshsig__threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
