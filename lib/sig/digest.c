/*
 * SHA-1, SHA-256, SHA-512 and HMAC-SHA-256 through OpenSSL (kept with the
 * other OpenSSL code, in lib/sig/).
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init and co., see below */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "internal.h"
#include "twokey/digest.h"

/*
 * The digests go through OpenSSL's low-level SHA functions, not EVP: the
 * first EVP fetch sets up the default provider, which builds every digest
 * (and, for keys, every key manager and signature) it has, about 0.7 ms a
 * hook run, more than the rest of a 1-commit push's decision.  The
 * low-level functions are the same assembly (SHA-NI where the CPU has it),
 * cannot fail and allocate nothing.  OpenSSL 3 marks them deprecated; they
 * are in every OpenSSL 3 release (docs/decisions.md).
 */
_Static_assert(sizeof(SHA256_CTX) <= sizeof(struct tk_sha256_ctx),
    "struct tk_sha256_ctx too small for SHA256_CTX");
_Static_assert(_Alignof(SHA256_CTX) <= _Alignof(struct tk_sha256_ctx),
    "struct tk_sha256_ctx misaligned for SHA256_CTX");
_Static_assert(sizeof(SHA512_CTX) <= sizeof(struct tk_sha512_ctx),
    "struct tk_sha512_ctx too small for SHA512_CTX");
_Static_assert(_Alignof(SHA512_CTX) <= _Alignof(struct tk_sha512_ctx),
    "struct tk_sha512_ctx misaligned for SHA512_CTX");

#define TK_OPENSSL_INIT                                                        \
	(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT |                \
	    OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS)

int
tk_crypto_init(bool error_strings)
{
	uint64_t opts = TK_OPENSSL_INIT;

	opts |= error_strings ? OPENSSL_INIT_LOAD_CRYPTO_STRINGS
	                      : OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS;
	if (OPENSSL_init_crypto(opts, NULL) != 1)
		return tk_error_set(TK_ECRYPTO, "cannot initialise OpenSSL");
	return 0;
}

/*
 * OpenSSL's own initialisation (threads, error queues) is needed only by
 * RSA and ECDSA keys; a hook whose push holds Ed25519 signatures alone
 * never pays for it.  It must come before OpenSSL's first use of EVP, or
 * OpenSSL would initialise itself and read openssl.cnf: every EVP call
 * in lib/sig/ follows a call to this.  OpenSSL's own once-only guard makes
 * it safe from any thread and cheap after the first call.
 */
int
tk_crypto_ready(void)
{
	if (OPENSSL_init_crypto(
	        TK_OPENSSL_INIT | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL) !=
	    1)
		return tk_error_set(TK_ECRYPTO, "cannot initialise OpenSSL");
	return 0;
}

void
tk_sha256_init(struct tk_sha256_ctx *c)
{
	(void)SHA256_Init((SHA256_CTX *)(void *)c->u.b);
}

void
tk_sha256_update(struct tk_sha256_ctx *c, const void *p, size_t n)
{
	if (n > 0)
		(void)SHA256_Update((SHA256_CTX *)(void *)c->u.b, p, n);
}

void
tk_sha256_final(struct tk_sha256_ctx *c, unsigned char out[TK_SHA256_LEN])
{
	(void)SHA256_Final(out, (SHA256_CTX *)(void *)c->u.b);
	explicit_bzero(c, sizeof(*c));
}

void
tk_sha512_init(struct tk_sha512_ctx *c)
{
	(void)SHA512_Init((SHA512_CTX *)(void *)c->u.b);
}

void
tk_sha512_update(struct tk_sha512_ctx *c, const void *p, size_t n)
{
	if (n > 0)
		(void)SHA512_Update((SHA512_CTX *)(void *)c->u.b, p, n);
}

void
tk_sha512_final(struct tk_sha512_ctx *c, unsigned char out[TK_SHA512_LEN])
{
	(void)SHA512_Final(out, (SHA512_CTX *)(void *)c->u.b);
	explicit_bzero(c, sizeof(*c));
}

int
tk_sha256(unsigned char out[TK_SHA256_LEN], const void *data, size_t len)
{
	struct tk_sha256_ctx c;

	tk_sha256_init(&c);
	tk_sha256_update(&c, data, len);
	tk_sha256_final(&c, out);
	return 0;
}

int
tk_sha256_fd(
    unsigned char out[TK_SHA256_LEN], int fd, uint64_t max, uint64_t *len)
{
	unsigned char chunk[65536];
	struct tk_sha256_ctx c;
	ssize_t got;

	*len = 0;
	tk_sha256_init(&c);
	while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return tk_error_set(
			    TK_EIO, "cannot read: %s", strerror(errno));
		if ((*len += (uint64_t)got) > max)
			return tk_error_set(TK_ETOOBIG,
			    "larger than %llu bytes", (unsigned long long)max);
		tk_sha256_update(&c, chunk, (size_t)got);
	}
	tk_sha256_final(&c, out);
	return 0;
}

int
tk_sha1(unsigned char out[TK_SHA1_LEN], const void *data, size_t len)
{
	(void)SHA1(data, len, out);
	return 0;
}

/*
 * OpenSSL's own HMAC (EVP): nothing on a push uses it; the tests check the
 * audit chain's HMAC, built on tk_sha256_*, against it.
 */
int
tk_hmac_sha256(unsigned char out[TK_SHA256_LEN], const void *key, size_t keylen,
    const void *data, size_t len)
{
	unsigned int n = 0;

	if (tk_crypto_ready() < 0)
		return TK_ECRYPTO;
	if (keylen > INT32_MAX ||
	    HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n) == NULL ||
	    n != TK_SHA256_LEN)
		return tk_error_set(TK_ECRYPTO, "HMAC-SHA-256 failed");
	return 0;
}

void
tk_hex(char *out, const unsigned char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * len] = '\0';
}

/* A hex digit's value plus one; 0 for every other byte. */
static const unsigned char unhex1[256] = {['0'] = 1,
    ['1'] = 2,
    ['2'] = 3,
    ['3'] = 4,
    ['4'] = 5,
    ['5'] = 6,
    ['6'] = 7,
    ['7'] = 8,
    ['8'] = 9,
    ['9'] = 10,
    ['a'] = 11,
    ['b'] = 12,
    ['c'] = 13,
    ['d'] = 14,
    ['e'] = 15,
    ['f'] = 16,
    ['A'] = 11,
    ['B'] = 12,
    ['C'] = 13,
    ['D'] = 14,
    ['E'] = 15,
    ['F'] = 16};

bool
tk_unhex(unsigned char *out, const char *hex, size_t len)
{
	const unsigned char *h = (const unsigned char *)hex;
	unsigned hi, lo;
	size_t i;

	for (i = 0; i < len; i++) {
		hi = unhex1[h[2 * i]];
		lo = unhex1[h[2 * i + 1]];
		if (hi == 0 || lo == 0)
			return false;
		out[i] = (unsigned char)((hi - 1) << 4 | (lo - 1));
	}
	return true;
}

int
tk_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
