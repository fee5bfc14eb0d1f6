/*
 * Unit tests for twokey's own Ed25519 verification (lib/sig/ed25519.c).
 *
 * Its answer must be OpenSSL 3.0's for every input, so every case here is
 * also put to OpenSSL's EVP verification in the same run and the two
 * answers must agree, besides the answer the case expects: the RFC 8032
 * vectors, the edges of the acceptance rule (S against L, non-canonical
 * and small-order R, public keys that are the identity, of small order,
 * off the curve, with y >= p or x = 0 with the sign bit), and a seeded
 * differential run over real signatures made by OpenSSL and then mutated.
 * OpenSSL also makes the keys and signatures, which is why this test links
 * it directly.
 *
 * TK_SEED=N replays the differential run with another seed;
 * TK_ED25519_CASES=N sets its size (default 20000, never below 2000: the
 * valgrind leg sets 2000).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sig/ed25519.h"
#include "twokey/error.h"
#include "twokey/sshsig.h"

#define DEFAULT_CASES 20000
#define MIN_CASES 2000
#define DEFAULT_SEED 0x2551925519ULL

/* L = 2^252 + 27742317777372353535851937790883648493, little-endian */
static const unsigned char ell[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12,
    0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0x10};

/* RFC 8032 section 7.1: TEST 1, TEST 2, TEST 3 and TEST SHA(abc) */
static const struct vector {
	const char *pk, *msg, *sig;
} vectors[] = {
    {"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
        "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

/* ---- helpers ---- */

static size_t
unhex(unsigned char *out, size_t max, const char *hex)
{
	size_t n = strlen(hex) / 2, i;
	unsigned v;

	assert_true(n <= max);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
	return n;
}

static int
evp_verify(const unsigned char sig[64], const unsigned char pk[32],
    const unsigned char *msg, size_t len)
{
	EVP_PKEY *key;
	EVP_MD_CTX *ctx;
	int rc;

	key = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pk, 32);
	assert_non_null(key);
	ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(
	    EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, key, NULL), 1);
	rc = EVP_DigestVerify(ctx, sig, 64, msg, len);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc == 1;
}

/* Our answer, after checking that it is 0 or 1 and OpenSSL's. */
static int
both(const unsigned char sig[64], const unsigned char pk[32],
    const unsigned char *msg, size_t len)
{
	int mine = tk_ed25519_verify(sig, pk, msg, len);
	int theirs = evp_verify(sig, pk, msg, len);

	assert_true(mine == 0 || mine == 1);
	assert_int_equal(mine, theirs);
	return mine;
}

/* Both say want. */
static void
expect(const unsigned char sig[64], const unsigned char pk[32],
    const unsigned char *msg, size_t len, int want)
{
	assert_int_equal(both(sig, pk, msg, len), want);
}

/* out = a + b modulo 2^256, little-endian */
static void
add256(
    unsigned char out[32], const unsigned char a[32], const unsigned char b[32])
{
	unsigned c = 0;
	int i;

	for (i = 0; i < 32; i++) {
		c += (unsigned)a[i] + b[i];
		out[i] = (unsigned char)c;
		c >>= 8;
	}
}

/* ell - 1, ell, ell + 1 */
static void
ell_plus(unsigned char out[32], int k)
{
	unsigned char kb[32] = {0};

	memcpy(out, ell, 32);
	if (k >= 0) {
		kb[0] = (unsigned char)k;
		add256(out, ell, kb);
	} else {
		out[0] = (unsigned char)(out[0] + k); /* 0xed: no borrow */
	}
}

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void
rng_bytes(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(rng() >> 32);
}

/*
 * Encodings of points whose discrete logarithm is known: the identity
 * (y = 1), B and -B (y = 4/5 with x even and odd).  A signature (R, S)
 * under a public key that decodes to the identity verifies exactly when R
 * is the encoding of [S]B, whatever the message.
 */
static const unsigned char enc_identity[32] = {1};

static void
enc_base(unsigned char out[32], int negate)
{
	memset(out, 0x66, 32);
	out[0] = 0x58;
	if (negate)
		out[31] |= 0x80;
}

/* y = p + k (0 <= k <= 18): a non-canonical y, with the sign bit given */
static void
enc_p_plus(unsigned char out[32], int k, int sign)
{
	memset(out, 0xff, 32);
	out[0] = (unsigned char)(0xed + k);
	out[31] = sign ? 0xff : 0x7f;
}

/* ---- the built-in constants and the scalar reduction ---- */

static void
test_ed25519__selftest(void **state)
{
	(void)state;
	assert_int_equal(tk_ed25519_selftest(), 1);
}

/* in (64 bytes) modulo L, one bit at a time */
static void
reduce_slow(unsigned char out[32], const unsigned char in[64])
{
	unsigned char r[33] = {0}, l33[33] = {0};
	int bit, i, ge;
	unsigned c;

	memcpy(l33, ell, 32);
	for (bit = 511; bit >= 0; bit--) {
		c = (in[bit / 8] >> (bit % 8)) & 1;
		for (i = 0; i < 33; i++) { /* r = 2r + bit */
			c += (unsigned)r[i] << 1;
			r[i] = (unsigned char)c;
			c >>= 8;
		}
		ge = 1;
		for (i = 32; i >= 0; i--)
			if (r[i] != l33[i]) {
				ge = r[i] > l33[i];
				break;
			}
		if (ge) {
			c = 0;
			for (i = 0; i < 33; i++) {
				unsigned t = (unsigned)r[i] - l33[i] - c;

				c = (t >> 8) & 1;
				r[i] = (unsigned char)t;
			}
		}
	}
	memcpy(out, r, 32);
}

static void
check_reduce(const unsigned char in[64])
{
	unsigned char a[32], b[32];

	tk_ed25519_reduce(a, in);
	reduce_slow(b, in);
	assert_memory_equal(a, b, 32);
}

static void
test_ed25519__reduce(void **state)
{
	unsigned char in[64];
	int i, k;

	(void)state;
	rng_state = DEFAULT_SEED;
	memset(in, 0, 64);
	check_reduce(in);
	memset(in, 0xff, 64);
	check_reduce(in);
	for (k = -1; k <= 1; k++) { /* L - 1, L, L + 1 */
		memset(in, 0, 64);
		ell_plus(in, k);
		check_reduce(in);
	}
	/* k L (mod 2^512) for a few k near the top, and L 2^j */
	for (i = 0; i < 256; i++) {
		memset(in, 0, 64);
		memcpy(in + (i % 32), ell, 32);
		if (i >= 32)
			in[rng() % 64] ^= (unsigned char)(1u << (rng() % 8));
		check_reduce(in);
	}
	for (i = 0; i < 2000; i++) {
		rng_bytes(in, 64);
		check_reduce(in);
	}
}

/* ---- RFC 8032 ---- */

static void
flip(unsigned char *p, int bit)
{
	p[bit / 8] ^= (unsigned char)(1u << (bit % 8));
}

static void
test_ed25519__rfc8032(void **state)
{
	static const int bits[] = {0, 1, 77, 128, 200, 251, 252, 254, 255};
	unsigned char pk[32], sig[64], msg[65], t[64];
	size_t v, len, i;
	int b;

	(void)state;
	for (v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		unhex(pk, 32, vectors[v].pk);
		len = unhex(msg, sizeof(msg), vectors[v].msg);
		unhex(sig, 64, vectors[v].sig);
		expect(sig, pk, msg, len, 1);
		for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
			b = bits[i];
			memcpy(t, sig, 64);
			flip(t, b); /* in R */
			expect(t, pk, msg, len, 0);
			memcpy(t, sig, 64);
			flip(t + 32, b); /* in S */
			expect(t, pk, msg, len, 0);
			memcpy(t, pk, 32);
			flip(t, b); /* in the key */
			expect(sig, t, msg, len, 0);
		}
		for (i = 0; i < len * 8; i += 5) {
			memcpy(t, msg, len);
			flip(t, (int)i);
			expect(sig, pk, t, len, 0);
		}
		if (len > 0) /* one byte short, one byte more */
			expect(sig, pk, msg, len - 1, 0);
		msg[len] = 0;
		expect(sig, pk, msg, len + 1, 0);
	}
}

/* ---- S against L ---- */

static void
test_ed25519__scalar_s(void **state)
{
	unsigned char pk[32], sig[64], msg[8], t[64];
	int k;

	(void)state;
	unhex(pk, 32, vectors[1].pk);
	unhex(msg, sizeof(msg), vectors[1].msg);
	unhex(sig, 64, vectors[1].sig);

	/* S + L is the same scalar, refused: S must be below L */
	memcpy(t, sig, 64);
	add256(t + 32, sig + 32, ell);
	expect(t, pk, msg, 1, 0);
	/* S + 15 L still fits in 256 bits */
	for (k = 0; k < 14; k++)
		add256(t + 32, t + 32, ell);
	expect(t, pk, msg, 1, 0);
	/* the high bits of S set (the 3 that would be outside 2^253) */
	memcpy(t, sig, 64);
	t[63] |= 0xe0;
	expect(t, pk, msg, 1, 0);

	/*
	 * Under a key that decodes to the identity, R = enc([S]B) verifies:
	 * S = 0, 1 and L - 1 pass, S = L and L + 1 (the same points) do not.
	 */
	memset(t, 0, 64);
	memcpy(t, enc_identity, 32);
	expect(t, enc_identity, msg, 1, 1); /* S = 0 */
	ell_plus(t + 32, 0);
	expect(t, enc_identity, msg, 1, 0); /* S = L */
	enc_base(t, 0);
	memset(t + 32, 0, 32);
	t[32] = 1;
	expect(t, enc_identity, msg, 1, 1); /* S = 1 */
	ell_plus(t + 32, 1);
	expect(t, enc_identity, msg, 1, 0); /* S = L + 1 */
	enc_base(t, 1);
	ell_plus(t + 32, -1);
	expect(t, enc_identity, msg, 1, 1); /* S = L - 1: -B */
	enc_base(t, 0);
	expect(t, enc_identity, msg, 1, 0); /* +B is not [L - 1]B */
	t[63] |= 0x80;
	expect(t, enc_identity, msg, 1, 0);
	memset(t + 32, 0xff, 32);
	expect(t, enc_identity, msg, 1, 0);
}

/* ---- R ---- */

static void
test_ed25519__r(void **state)
{
	unsigned char sig[64], msg[3] = {'a', 'b', 'c'};
	int k;

	(void)state;
	/* [0]B is the identity; y = p + 1 encodes it too, non-canonically */
	memset(sig, 0, 64);
	memcpy(sig, enc_identity, 32);
	expect(sig, enc_identity, msg, 3, 1);
	enc_p_plus(sig, 1, 0);
	expect(sig, enc_identity, msg, 3, 0);
	/* the identity with the sign bit set (x = 0 cannot be odd) */
	memcpy(sig, enc_identity, 32);
	sig[31] |= 0x80;
	expect(sig, enc_identity, msg, 3, 0);
	/* [1]B: its y + p does not fit, but y with the wrong sign must fail */
	enc_base(sig, 0);
	sig[32] = 1;
	expect(sig, enc_identity, msg, 3, 1);
	enc_base(sig, 1);
	expect(sig, enc_identity, msg, 3, 0);
	/* R of small order ((0, -1), (+-sqrt(-1), 0)) and every y >= p */
	for (k = 0; k <= 18; k++) {
		memset(sig, 0, 64);
		enc_p_plus(sig, k, k & 1);
		expect(sig, enc_identity, msg, 3, 0);
		sig[32] = 1;
		expect(sig, enc_identity, msg, 3, 0);
	}
	memset(sig, 0, 64);
	sig[0] = 0xec;
	memset(sig + 1, 0xff, 30);
	sig[31] = 0x7f; /* y = p - 1: (0, -1), order 2 */
	expect(sig, enc_identity, msg, 3, 0);
	memset(sig, 0, 64); /* y = 0: order 4 */
	expect(sig, enc_identity, msg, 3, 0);
}

/* ---- the public key A ---- */

/* h = SHA-512(R || A || M) mod L, by OpenSSL's digest */
static int
h_is_odd(const unsigned char sig[64], const unsigned char pk[32],
    const unsigned char *msg, size_t len)
{
	unsigned char buf[128], d[64], h[32];
	unsigned dlen = 0;

	assert_true(len <= 64);
	memcpy(buf, sig, 32);
	memcpy(buf + 32, pk, 32);
	memcpy(buf + 64, msg, len);
	assert_int_equal(
	    EVP_Digest(buf, 64 + len, d, &dlen, EVP_sha512(), NULL), 1);
	tk_ed25519_reduce(h, d);
	return h[0] & 1;
}

static void
test_ed25519__key_identity(void **state)
{
	unsigned char pk[32], sig[64], msg[1] = {0x72};
	int k;

	(void)state;
	/*
	 * Every encoding OpenSSL decodes to the identity: y = 1, y = 1 with
	 * the sign bit (x = 0 taken as it is), y = p + 1 with either sign.
	 * Under each, R = enc([S]B) verifies for any message.
	 */
	for (k = 0; k < 4; k++) {
		if (k < 2) {
			memcpy(pk, enc_identity, 32);
			pk[31] |= (unsigned char)(k << 7);
		} else {
			enc_p_plus(pk, 1, k & 1);
		}
		enc_base(sig, 1);
		ell_plus(sig + 32, -1);
		expect(sig, pk, msg, 1, 1);
		enc_base(sig, 0);
		expect(sig, pk, msg, 1, 0);
		memset(sig, 0, 64);
		memcpy(sig, enc_identity, 32);
		expect(sig, pk, msg, 0, 1);
	}
}

static void
test_ed25519__key_small_order(void **state)
{
	unsigned char pk[32], sig[64], msg[1];
	int seen[2] = {0, 0}, odd, n;

	(void)state;
	/*
	 * A = (0, -1), of order 2 (y = p - 1, canonical).  With R the
	 * identity and S = 0, [S]B - [h]A is the identity exactly when h is
	 * even: a forgery OpenSSL accepts, as must we (no cofactor, no
	 * small-order check).
	 */
	pk[0] = 0xec;
	memset(pk + 1, 0xff, 30);
	pk[31] = 0x7f;
	memset(sig, 0, 64);
	memcpy(sig, enc_identity, 32);
	for (n = 0; n < 256 && !(seen[0] && seen[1]); n++) {
		msg[0] = (unsigned char)n;
		odd = h_is_odd(sig, pk, msg, 1);
		expect(sig, pk, msg, 1, !odd);
		seen[odd] = 1;
	}
	assert_true(seen[0] && seen[1]);
	/* the same point with the sign bit: x = 0, so the same key */
	pk[31] |= 0x80;
	for (n = 0; n < 16; n++) {
		msg[0] = (unsigned char)n;
		expect(sig, pk, msg, 1, !h_is_odd(sig, pk, msg, 1));
	}
	/* y = 0: (+-sqrt(-1), 0), of order 4; whatever OpenSSL says */
	memset(pk, 0, 32);
	for (n = 0; n < 16; n++) {
		msg[0] = (unsigned char)n;
		pk[31] = (unsigned char)((n & 1) << 7);
		both(sig, pk, msg, 1);
	}
}

static void
test_ed25519__key_off_curve(void **state)
{
	unsigned char pk[32], sig[64], msg[1] = {0};
	int k;

	(void)state;
	/* y = 2 and y = 7: (y^2 - 1)/(d y^2 + 1) has no square root */
	memset(sig, 0, 64);
	memcpy(sig, enc_identity, 32);
	memset(pk, 0, 32);
	pk[0] = 2;
	expect(sig, pk, msg, 1, 0);
	pk[0] = 7;
	pk[31] = 0x80;
	expect(sig, pk, msg, 1, 0);
	/* y = p + 2, p + 7, and every other y >= p, with both signs */
	for (k = 0; k <= 18; k++) {
		enc_p_plus(pk, k, 0);
		both(sig, pk, msg, 1);
		enc_p_plus(pk, k, 1);
		both(sig, pk, msg, 1);
	}
	enc_p_plus(pk, 2, 0);
	expect(sig, pk, msg, 1, 0);
	enc_p_plus(pk, 7, 1);
	expect(sig, pk, msg, 1, 0);
	memset(pk, 0xff, 32); /* y = 2^255 - 1 = p + 18 */
	both(sig, pk, msg, 1);
}

/* ---- differential against OpenSSL ---- */

struct diffstats {
	int cases, ok;
};

static void
diff_case(struct diffstats *st, const unsigned char sig[64],
    const unsigned char pk[32], const unsigned char *msg, size_t len)
{
	st->cases++;
	st->ok += both(sig, pk, msg, len);
}

/* one key, one signature, ten variations of it */
static void
diff_round(struct diffstats *st)
{
	unsigned char priv[32], pk[32], sig[64], msg[101], t[64], p[32];
	unsigned char m2[102];
	size_t len = rng() % sizeof(msg), n = 32, sl = 64;
	EVP_PKEY *key;
	EVP_MD_CTX *ctx;
	int k;

	rng_bytes(priv, 32);
	rng_bytes(msg, len);
	key = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, priv, 32);
	assert_non_null(key);
	assert_int_equal(EVP_PKEY_get_raw_public_key(key, pk, &n), 1);
	ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(
	    EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, key, NULL), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &sl, msg, len), 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);

	diff_case(st, sig, pk, msg, len); /* as made: verifies */
	memcpy(t, sig, 64); /* a bit of R */
	flip(t, (int)(rng() % 256));
	diff_case(st, t, pk, msg, len);
	memcpy(t, sig, 64); /* a bit of S */
	flip(t + 32, (int)(rng() % 256));
	diff_case(st, t, pk, msg, len);
	memcpy(p, pk, 32); /* a bit of the key */
	flip(p, (int)(rng() % 256));
	diff_case(st, sig, p, msg, len);
	memcpy(m2, msg, len); /* a bit of the message, or one byte more */
	if (len > 0) {
		flip(m2, (int)(rng() % (len * 8)));
		diff_case(st, sig, pk, m2, len);
	} else {
		m2[0] = (unsigned char)rng();
		diff_case(st, sig, pk, m2, 1);
	}
	memcpy(t, sig, 64); /* S + k L (mod 2^256), 1 <= k <= 16 */
	for (k = 1 + (int)(rng() % 16); k > 0; k--)
		add256(t + 32, t + 32, ell);
	diff_case(st, t, pk, msg, len);
	rng_bytes(t, 64); /* 96 random bytes */
	rng_bytes(p, 32);
	diff_case(st, t, p, msg, len);
	rng_bytes(p, 32); /* a random key */
	diff_case(st, sig, p, msg, len);
	/*
	 * Half the time a key OpenSSL decodes to the identity (y = 1 or
	 * p + 1, either sign) under a forgery R = enc([S]B) for S = 0, 1 or
	 * L - 1; otherwise y in [0, 18] or y = p + k, either sign, under the
	 * real signature.
	 */
	k = (int)(rng() % 19);
	if (rng() & 1) {
		memset(p, 0, 32);
		p[0] = 1;
		if (rng() & 1)
			enc_p_plus(p, 1, 0);
		p[31] |= (unsigned char)(rng() & 0x80);
		memset(t, 0, 64);
		switch (rng() % 3) {
		case 0:
			memcpy(t, enc_identity, 32);
			break;
		case 1:
			enc_base(t, 0);
			t[32] = 1;
			break;
		default:
			enc_base(t, 1);
			ell_plus(t + 32, -1);
		}
	} else {
		if (rng() & 1)
			enc_p_plus(p, k, 0);
		else {
			memset(p, 0, 32);
			p[0] = (unsigned char)k;
		}
		p[31] ^= (unsigned char)(rng() & 0x80);
		memcpy(t, sig, 64);
	}
	diff_case(st, t, p, msg, len);
	memcpy(t, sig, 64); /* random high bits of S, and R's sign bit */
	t[63] ^= (unsigned char)(rng() & 0xf0);
	t[31] ^= (unsigned char)(rng() & 0x80);
	diff_case(st, t, pk, msg, len);
}

static void
test_ed25519__differential(void **state)
{
	struct diffstats st = {0, 0};
	const char *e;
	uint64_t seed = DEFAULT_SEED;
	long cases = DEFAULT_CASES;

	(void)state;
	if ((e = getenv("TK_SEED")) != NULL && *e != '\0')
		seed = strtoull(e, NULL, 10);
	if ((e = getenv("TK_ED25519_CASES")) != NULL && *e != '\0')
		cases = strtol(e, NULL, 10);
	if (cases < MIN_CASES)
		cases = MIN_CASES;
	print_message("ed25519 differential: %ld cases, seed %llu "
	              "(TK_SEED=%llu to replay)\n",
	    cases, (unsigned long long)seed, (unsigned long long)seed);
	rng_state = seed != 0 ? seed : 1;
	while (st.cases < cases)
		diff_round(&st);
	print_message(
	    "ed25519 differential: %d cases, %d verified\n", st.cases, st.ok);
	/* a tenth as made, a twentieth forged under identity keys */
	assert_true(st.ok >= st.cases / 10 + st.cases / 40);
	assert_true(st.ok <= st.cases / 4);
}

/* ---- threads ---- */

struct decoded {
	unsigned char pk[32], sig[64], msg[64];
	size_t len;
};

static struct decoded decoded[sizeof(vectors) / sizeof(vectors[0])];

static void *
verify_thread(void *arg)
{
	unsigned char sig[64];
	size_t v;
	int i, *bad = arg;

	for (i = 0; i < 10; i++)
		for (v = 0; v < sizeof(decoded) / sizeof(decoded[0]); v++) {
			const struct decoded *d = &decoded[v];

			memcpy(sig, d->sig, 64);
			if (tk_ed25519_verify(sig, d->pk, d->msg, d->len) != 1)
				(*bad)++;
			sig[i] ^= 1;
			if (tk_ed25519_verify(sig, d->pk, d->msg, d->len) != 0)
				(*bad)++;
		}
	return NULL;
}

/* Four threads at once, over the same vectors. */
static void
test_ed25519__threads(void **state)
{
	pthread_t th[4];
	int bad[4] = {0, 0, 0, 0}, i;
	size_t v;

	(void)state;
	for (v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		unhex(decoded[v].pk, 32, vectors[v].pk);
		decoded[v].len = unhex(decoded[v].msg, 64, vectors[v].msg);
		unhex(decoded[v].sig, 64, vectors[v].sig);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(
		    pthread_create(&th[i], NULL, verify_thread, &bad[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(bad[i], 0);
	}
}

/*
 * tk_ed25519_small_order names exactly the keys of small order: each of
 * the fourteen encodings below is proved small through OpenSSL itself (a
 * signature with R the identity and S = 0 verifies for some message: h A
 * is the identity for an h below 2^8), and a key in the list is refused
 * when read; a one-bit change of each, and random keys, are not small.
 */
static void
test_ed25519__small_order_list(void **state)
{
	static const unsigned char o8[2][32] = {
	    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
	        0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3,
	        0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc,
	        0x05},
	    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	        0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c,
	        0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03,
	        0x7a}};
	unsigned char keys[14][32], sig[64], msg[1], blob[4 + 11 + 4 + 32];
	struct tk_sshkey *k = NULL;
	int i, j, n, verified;

	(void)state;
	for (i = 0; i < 14; i++) {
		memset(keys[i], 0, 32);
		switch (i / 2) {
		case 0: /* identity, y = 1 */
			keys[i][0] = 1;
			break;
		case 1: /* identity, y = p + 1 */
			enc_p_plus(keys[i], 1, 0);
			break;
		case 2: /* order 2, y = p - 1 */
			memset(keys[i], 0xff, 32);
			keys[i][0] = 0xec;
			keys[i][31] = 0x7f;
			break;
		case 3: /* order 4, y = 0 */
			break;
		case 4: /* order 4, y = p */
			enc_p_plus(keys[i], 0, 0);
			break;
		default: /* order 8 */
			memcpy(keys[i], o8[i / 2 - 5], 32);
			break;
		}
		keys[i][31] =
		    (unsigned char)((keys[i][31] & 0x7f) | (i & 1) << 7);
	}
	memset(sig, 0, 64);
	memcpy(sig, enc_identity, 32);
	for (i = 0; i < 14; i++) {
		assert_int_equal(tk_ed25519_small_order(keys[i]), 1);
		for (n = 0, verified = 0; n < 256 && !verified; n++) {
			msg[0] = (unsigned char)n;
			verified = both(sig, keys[i], msg, 1);
		}
		if (!verified)
			fail_msg("key %d is not of small order", i);
		/* read as an OpenSSH key: refused */
		memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
		memcpy(blob + 19, keys[i], 32);
		assert_int_equal(
		    tk_sshkey_from_blob(&k, blob, sizeof(blob)), TK_EINVAL);
		assert_non_null(strstr(tk_error_last(), "small order"));
		/* one bit away (and not another of the list): not small */
		for (j = 0; j < 255; j += 17) {
			unsigned char near[32];
			int m, listed = 0;

			memcpy(near, keys[i], 32);
			near[j / 8] ^= (unsigned char)(1u << (j % 8));
			for (m = 0; m < 14; m++)
				listed |= memcmp(near, keys[m], 32) == 0;
			if (!listed)
				assert_int_equal(
				    tk_ed25519_small_order(near), 0);
		}
	}
	rng_state = 0x853c49e6748fea9bULL;
	for (n = 0; n < 1000; n++) {
		rng_bytes(keys[0], 32);
		assert_int_equal(tk_ed25519_small_order(keys[0]), 0);
	}
	/* a key of large order (B itself) is read */
	enc_base(blob + 19, 0);
	assert_int_equal(tk_sshkey_from_blob(&k, blob, sizeof(blob)), 0);
	tk_sshkey_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ed25519__selftest),
	    cmocka_unit_test(test_ed25519__reduce),
	    cmocka_unit_test(test_ed25519__rfc8032),
	    cmocka_unit_test(test_ed25519__scalar_s),
	    cmocka_unit_test(test_ed25519__r),
	    cmocka_unit_test(test_ed25519__key_identity),
	    cmocka_unit_test(test_ed25519__key_small_order),
	    cmocka_unit_test(test_ed25519__small_order_list),
	    cmocka_unit_test(test_ed25519__key_off_curve),
	    cmocka_unit_test(test_ed25519__differential),
	    cmocka_unit_test(test_ed25519__threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
