/*
 * Ed25519 signature verification (RFC 8032 section 5.1.7, PureEdDSA) of
 * twokey's own, so that a push signed only with Ed25519 keys never sets up
 * OpenSSL's providers.  Private to lib/sig.
 *
 * The acceptance rule is exactly OpenSSL 3.0's, byte for byte, so that a
 * signature git, ssh-keygen or OpenSSH accepts or refuses is judged the
 * same here (tests/unit/test_ed25519.c and tests/fuzz/fuzz_ed25519.c
 * compare every answer with OpenSSL's EVP verification):
 *   - S >= L refuses;
 *   - the public key's y is its low 255 bits taken modulo p (a y >= p is
 *     not refused), x is the square root whose parity is the top bit, an
 *     x of 0 with the top bit set is taken as x = 0, and a y with no x on
 *     the curve refuses;
 *   - h = SHA-512(R || A || M) modulo L, over the 32 key bytes as given;
 *   - the canonical encoding of [S]B - [h]A must equal the 32 bytes of R
 *     (no cofactor; a non-canonical R therefore never verifies).
 * Variable time: everything it reads is public.
 */
#ifndef TK_SIG_ED25519_H
#define TK_SIG_ED25519_H

#include <stddef.h>

/*
 * Returns 1 when sig is a valid signature of the len bytes at msg under the
 * public key pk, 0 otherwise (never anything else).  Allocates nothing,
 * keeps no state: any number of threads may call it at once.
 */
int tk_ed25519_verify(const unsigned char sig[64], const unsigned char pk[32],
    const unsigned char *msg, size_t len);

/*
 * out = in (512 bits, little-endian) modulo L, as 32 little-endian bytes.
 * The scalar reduction of tk_ed25519_verify, declared for its unit test.
 */
void tk_ed25519_reduce(unsigned char out[32], const unsigned char in[64]);

/*
 * Recomputes the built-in constants (d, 2d, sqrt(-1), the base point B and
 * the table of B, 3B, ..., 127B) from their definitions; returns 1 when
 * every one matches, 0 otherwise.  For the unit test.
 */
int tk_ed25519_selftest(void);

/*
 * 1 when pk decodes to a point of small order (order 1, 2, 4 or 8): a key
 * under which anyone can sign some messages (OpenSSL's rule, which
 * tk_ed25519_verify keeps, has no check for it).  Such a key is refused
 * where keys are read (sshkey.c).
 */
int tk_ed25519_small_order(const unsigned char pk[32]);

#endif
