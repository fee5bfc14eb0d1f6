/*
 * The inside of struct tk_sshkey, shared by sshkey.c (which parses keys)
 * and sshsig.c (which verifies with them).  Private to lib/sig: nothing
 * outside this directory sees OpenSSL.
 */
#ifndef TK_SIG_SSHKEY_H
#define TK_SIG_SSHKEY_H

#include <openssl/evp.h>

#include "internal.h"
#include "twokey/sshsig.h"

enum tk_keykind {
	TK_KEY_ED25519,
	TK_KEY_ECDSA,
	TK_KEY_RSA,
};

/* One supported key type; the table lives in sshkey.c. */
struct tk_keytype {
	const char *name; /* the wire name, "ecdsa-sha2-nistp256" */
	enum tk_keykind kind;
	bool sk; /* FIDO: an application string follows the key */
	const char *curve; /* ECDSA: the curve name inside the blob */
	const char *group; /* ECDSA: the OpenSSL group name */
	const char *md; /* ECDSA: the curve's digest (RFC 5656) */
	size_t scalarlen; /* ECDSA: bytes of a coordinate, of r and s */
};

#define TK_SSHKEY_FP_MAX 64 /* "SHA256:" + 43 base64 characters + NUL */

struct tk_sshkey {
	const struct tk_keytype *type;
	unsigned char *blob; /* canonical: every field minimally encoded */
	size_t bloblen;
	/*
	 * Built once at parse time and never modified afterwards, so that
	 * many threads can verify with it at once.
	 */
	EVP_PKEY *pkey; /* ECDSA and RSA */
	unsigned char ed25519[32]; /* Ed25519: the public key (ed25519.c) */
	size_t rsalen; /* RSA: modulus bytes */
	unsigned char apphash[32]; /* sk: SHA-256 of the application */
	char fingerprint[TK_SSHKEY_FP_MAX];
};

/*
 * Records the OpenSSL error queue's latest reason after what, clears the
 * queue (it is per thread; leftovers would be blamed on a later call) and
 * returns code.
 */
int tk_sig_ossl_error(int code, const char *what);

#endif
