/*
 * twokey: hashing for the audit chain (SHA-256, HMAC-SHA-256).
 */
#ifndef TWOKEY_DIGEST_H
#define TWOKEY_DIGEST_H

#include <stddef.h>

#define TK_SHA256_LEN 32

/* Returns 0 or TK_ECRYPTO. */
int tk_sha256(unsigned char out[TK_SHA256_LEN], const void *data, size_t len);
int tk_hmac_sha256(unsigned char out[TK_SHA256_LEN], const void *key,
    size_t keylen, const void *data, size_t len);

/* Writes 2 * len lowercase hex digits and a NUL to out. */
void tk_hex(char *out, const unsigned char *p, size_t len);

/* Constant-time comparison of two equal-length byte strings. */
int tk_memeq(const void *a, const void *b, size_t len);

#endif
