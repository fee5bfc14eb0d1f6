/*
 * twokey: hashing for the audit chain (SHA-256, HMAC-SHA-256).
 */
#ifndef TWOKEY_DIGEST_H
#define TWOKEY_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TK_SHA256_LEN 32

/*
 * Initialises OpenSSL for twokey, once, before any other use and before
 * threads start: no configuration file (openssl.cnf and $OPENSSL_CONF
 * could load engines or providers into a hook, and parsing it costs every
 * push), no cipher or digest name tables, no clean-up at exit (the process
 * is ending).  error_strings: load OpenSSL's error texts (0.3 ms), for the
 * command line; without them an OpenSSL failure reads "error:CODE" after
 * twokey's own words.  Returns 0 or TK_ECRYPTO.  Without this call OpenSSL
 * initialises itself with its defaults on first use.
 */
int tk_crypto_init(bool error_strings);

/*
 * The same without error strings, called by lib/sig/ before any use of
 * OpenSSL's EVP layer (RSA and ECDSA keys); hooks call nothing else, so
 * that a push signed with Ed25519 keys alone leaves OpenSSL untouched.
 * Returns 0 or TK_ECRYPTO.
 */
int tk_crypto_ready(void);

/*
 * Streaming SHA-256 and SHA-512 (OpenSSL's low-level functions inside: no
 * provider set-up, no allocation, no failure).  _final wipes the context;
 * a context is used by one thread at a time.
 */
#define TK_SHA512_LEN 64
struct tk_sha256_ctx {
	union {
		unsigned char b[128];
		uint64_t align;
	} u;
};
struct tk_sha512_ctx {
	union {
		unsigned char b[224];
		uint64_t align;
	} u;
};
void tk_sha256_init(struct tk_sha256_ctx *c);
void tk_sha256_update(struct tk_sha256_ctx *c, const void *p, size_t n);
void tk_sha256_final(struct tk_sha256_ctx *c, unsigned char out[TK_SHA256_LEN]);
void tk_sha512_init(struct tk_sha512_ctx *c);
void tk_sha512_update(struct tk_sha512_ctx *c, const void *p, size_t n);
void tk_sha512_final(struct tk_sha512_ctx *c, unsigned char out[TK_SHA512_LEN]);

/* Returns 0 (kept int for the callers' error paths). */
int tk_sha256(unsigned char out[TK_SHA256_LEN], const void *data, size_t len);
/*
 * SHA-256 of what is left to read from fd, in chunks (no copy of the
 * whole file); *len the bytes read.  0, TK_EIO, TK_ETOOBIG past max
 * bytes.
 */
int tk_sha256_fd(
    unsigned char out[TK_SHA256_LEN], int fd, uint64_t max, uint64_t *len);
/*
 * SHA-1, for the checksum git writes at the end of a commit-graph file
 * (lib/commit/cgraph.c), and nothing else.  Returns 0.
 */
#define TK_SHA1_LEN 20
int tk_sha1(unsigned char out[TK_SHA1_LEN], const void *data, size_t len);
int tk_hmac_sha256(unsigned char out[TK_SHA256_LEN], const void *key,
    size_t keylen, const void *data, size_t len);

/* Writes 2 * len lowercase hex digits and a NUL to out. */
void tk_hex(char *out, const unsigned char *p, size_t len);

/*
 * Reads 2 * len hex digits (either case, as git reads them) into len
 * bytes at out.  False, with out undefined, when one is not a hex digit.
 */
bool tk_unhex(unsigned char *out, const char *hex, size_t len);

/* Constant-time comparison of two equal-length byte strings. */
int tk_memeq(const void *a, const void *b, size_t len);

#endif
