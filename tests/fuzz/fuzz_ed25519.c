/*
 * twokey's own Ed25519 verification (lib/sig/ed25519.c) against OpenSSL's:
 * the input is a public key (32 bytes), a signature (64 bytes) and the
 * message (the rest), and the two verdicts must be the same.  The seeds
 * verify (RFC 8032 vectors, forgeries OpenSSL accepts under keys that
 * decode to the identity or a point of order 2), so mutations of them
 * reach every step of both verifiers, not only the refusals.
 *
 * The seeds in corpus/ed25519/ are made by hand, not by
 * scripts/mk-fuzz-corpus:
 *   seed-rfc8032-*              RFC 8032 section 7.1, TEST 1, 2, 3, SHA(abc)
 *   seed-identity-key           A = (0, 1), R = -B, S = L - 1: verifies
 *   seed-identity-noncanonical  A as y = p + 1 with the sign bit: verifies
 *   seed-identity-signbit       A = (0, 1) with the sign bit, R = B, S = 1
 *   seed-key-order2             A = (0, -1), R = (0, 1), S = 0, h even
 *   seed-key-order4             A with y = 0 (order 4): refused
 *   seed-key-off-curve          A with y = 2 (no x): refused
 *   seed-s-equals-l             S = L: refused
 *   seed-r-noncanonical         R = (0, 1) as y = p + 1: refused
 */
#include "fuzz.h"

#include <openssl/evp.h>

#include "sig/ed25519.h"

static int
evp_verify(
    const uint8_t *sig, const uint8_t *pk, const uint8_t *msg, size_t len)
{
	EVP_PKEY *key;
	EVP_MD_CTX *ctx;
	int rc;

	key = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pk, 32);
	FUZZ_CHECK(key != NULL);
	ctx = EVP_MD_CTX_new();
	FUZZ_CHECK(ctx != NULL);
	FUZZ_CHECK(EVP_DigestVerifyInit_ex(
	               ctx, NULL, NULL, NULL, NULL, key, NULL) == 1);
	rc = EVP_DigestVerify(ctx, sig, 64, msg, len);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc == 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int mine;

	if (size < 96)
		return 0;
	mine = tk_ed25519_verify(data + 32, data, data + 96, size - 96);
	FUZZ_CHECK(mine == 0 || mine == 1);
	FUZZ_CHECK(mine == evp_verify(data + 32, data, data + 96, size - 96));
	return 0;
}
