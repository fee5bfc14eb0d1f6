/*
 * SHA-256 and HMAC-SHA-256 through OpenSSL (kept with the other OpenSSL
 * code, in lib/sig/).
 */
#include <errno.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "internal.h"
#include "twokey/digest.h"

/*
 * SHA-256 fetched once: EVP_sha256() makes every EVP_Digest() look the
 * implementation up again (a lock and a hash table), which costs more
 * than hashing a key blob; a policy of 10,000 keys hashes each one for
 * its fingerprint.  Set before any thread starts, never changed after.
 */
static EVP_MD *sha256_md;

static const EVP_MD *
sha256(void)
{
	return sha256_md != NULL ? sha256_md : EVP_sha256();
}

int
tk_crypto_init(bool error_strings)
{
	uint64_t opts = OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT |
	    OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS;

	opts |= error_strings ? OPENSSL_INIT_LOAD_CRYPTO_STRINGS
	                      : OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS;
	if (OPENSSL_init_crypto(opts, NULL) != 1)
		return tk_error_set(TK_ECRYPTO, "cannot initialise OpenSSL");
	if (sha256_md == NULL)
		sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	return 0;
}

int
tk_sha256(unsigned char out[TK_SHA256_LEN], const void *data, size_t len)
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, sha256(), NULL) != 1 ||
	    n != TK_SHA256_LEN)
		return tk_error_set(TK_ECRYPTO, "SHA-256 failed");
	return 0;
}

int
tk_sha256_fd(
    unsigned char out[TK_SHA256_LEN], int fd, uint64_t max, uint64_t *len)
{
	unsigned char chunk[65536];
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	ssize_t got;
	int rc = 0;

	*len = 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return tk_error_set(TK_ECRYPTO, "SHA-256 failed");
	}
	while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = tk_error_set(
			    TK_EIO, "cannot read: %s", strerror(errno));
			break;
		}
		if ((*len += (uint64_t)got) > max) {
			rc = tk_error_set(TK_ETOOBIG, "larger than %llu bytes",
			    (unsigned long long)max);
			break;
		}
		if (EVP_DigestUpdate(ctx, chunk, (size_t)got) != 1) {
			rc = tk_error_set(TK_ECRYPTO, "SHA-256 failed");
			break;
		}
	}
	if (rc == 0 &&
	    (EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != TK_SHA256_LEN))
		rc = tk_error_set(TK_ECRYPTO, "SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
tk_sha1(unsigned char out[TK_SHA1_LEN], const void *data, size_t len)
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha1(), NULL) != 1 ||
	    n != TK_SHA1_LEN)
		return tk_error_set(TK_ECRYPTO, "SHA-1 failed");
	return 0;
}

int
tk_hmac_sha256(unsigned char out[TK_SHA256_LEN], const void *key, size_t keylen,
    const void *data, size_t len)
{
	unsigned int n = 0;

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

int
tk_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
