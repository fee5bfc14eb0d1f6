/*
 * SHA-256 and HMAC-SHA-256 through OpenSSL (kept with the other OpenSSL
 * code, in lib/sig/).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "internal.h"
#include "twokey/digest.h"

int
tk_crypto_init(bool error_strings)
{
	uint64_t opts = OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT |
	    OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS;

	opts |= error_strings ? OPENSSL_INIT_LOAD_CRYPTO_STRINGS
	                      : OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS;
	if (OPENSSL_init_crypto(opts, NULL) != 1)
		return tk_error_set(TK_ECRYPTO, "cannot initialise OpenSSL");
	return 0;
}

int
tk_sha256(unsigned char out[TK_SHA256_LEN], const void *data, size_t len)
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != TK_SHA256_LEN)
		return tk_error_set(TK_ECRYPTO, "SHA-256 failed");
	return 0;
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
