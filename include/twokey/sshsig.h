/*
 * twokey: OpenSSH public keys and SSHSIG signatures, verified in-process.
 *
 * Supported key types: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa
 * keys of at least 2048 bits (signatures rsa-sha2-256/512 only),
 * sk-ssh-ed25519@openssh.com and sk-ecdsa-sha2-nistp256@openssh.com (user
 * presence required).  Certificates and webauthn keys are refused.
 */
#ifndef TWOKEY_SSHSIG_H
#define TWOKEY_SSHSIG_H

#include <stddef.h>

/* Bounds on attacker-supplied signature material. */
#define TK_SSHSIG_MAX_BLOB 16384 /* decoded SSHSIG blob */
#define TK_SSHSIG_MAX_ARMOR 32768 /* armoured text */
#define TK_SSHKEY_MAX_BLOB 8192 /* decoded public key */

struct tk_sshkey;
struct tk_sshsig;

/*
 * Parses an authorized_keys-style public key line: "type base64 [comment]",
 * surrounding white space ignored, no options.  The type word must name a
 * supported type and agree with the type inside the blob; the blob must be
 * well formed with nothing trailing.  Returns 0, TK_EINVAL (malformed),
 * TK_EUNSUPPORTED (a known but unsupported type such as a certificate or an
 * RSA key under 2048 bits) or TK_ENOMEM.  *out (caller frees) is NULL on
 * failure.  A key read from a line is for comparison (policy keys): it
 * may lack what verifying needs, so verification goes through the key a
 * signature embeds.
 */
int tk_sshkey_parse_line(struct tk_sshkey **out, const char *line);

/* Same, from the SSH wire encoding of a public key. */
int tk_sshkey_from_blob(
    struct tk_sshkey **out, const unsigned char *blob, size_t len);

/*
 * Same, for comparison only, as tk_sshkey_parse_line() reads policy keys:
 * the compiled policy (lib/policy/compiled.c) rebuilds its keys with it.
 * fp, when not NULL, is the key's fingerprint as tk_sshkey_fingerprint()
 * gave it when the key was first read (it must have that form; TK_EINVAL
 * otherwise): hashing 10,000 keys again is most of their cost.
 */
int tk_sshkey_from_blob_compare(struct tk_sshkey **out,
    const unsigned char *blob, size_t len, const char *fp);

/*
 * The public half an OpenSSH private key file ("-----BEGIN OPENSSH
 * PRIVATE KEY-----", len bytes of text) keeps in the clear, even when
 * the private half is encrypted: for showing and comparing, not
 * verifying.  Returns 0, TK_EINVAL, TK_EUNSUPPORTED, TK_ETOOBIG or
 * TK_ENOMEM; *out (caller frees) is NULL on failure.
 */
int tk_sshkey_from_private(
    struct tk_sshkey **out, const char *text, size_t len);

/* The key type name ("ssh-ed25519"); borrowed. */
const char *tk_sshkey_type(const struct tk_sshkey *k);

/*
 * The canonical wire encoding of the key; borrowed.  Two keys are the same
 * key exactly when these bytes are equal (comments play no part).
 */
const unsigned char *tk_sshkey_blob(const struct tk_sshkey *k, size_t *len);

/*
 * "SHA256:" followed by the unpadded base64 of SHA-256(blob), as
 * "ssh-keygen -l" prints it; borrowed, valid as long as k.
 */
const char *tk_sshkey_fingerprint(const struct tk_sshkey *k);

void tk_sshkey_free(struct tk_sshkey *k);

/*
 * Parses a raw SSHSIG blob (PROTOCOL.sshsig): magic, version 1, public key,
 * namespace, empty reserved field, hash algorithm sha256 or sha512, and a
 * signature whose algorithm suits the key; no trailing bytes.  Nothing is
 * verified yet.  Returns 0, TK_EINVAL, TK_ETOOBIG, TK_EUNSUPPORTED or
 * TK_ENOMEM; *out (caller frees) is NULL on failure.
 */
int tk_sshsig_parse_blob(
    struct tk_sshsig **out, const unsigned char *blob, size_t len);

/* Same, from standard padded base64 (white space allowed), as in trailers */
int tk_sshsig_parse_base64(
    struct tk_sshsig **out, const char *text, size_t len);

/*
 * Same, from the armoured form "-----BEGIN SSH SIGNATURE-----" ...
 * "-----END SSH SIGNATURE-----" that git stores in gpgsig headers.
 */
int tk_sshsig_parse_armor(struct tk_sshsig **out, const char *text, size_t len);

/* The signing key embedded in the signature; borrowed from sig. */
const struct tk_sshkey *tk_sshsig_key(const struct tk_sshsig *sig);

/* The namespace written in the signature; borrowed, NUL-free. */
const char *tk_sshsig_namespace(const struct tk_sshsig *sig);

/*
 * Verifies sig over msg: the namespace must equal ns exactly, and the
 * signature must verify under the embedded key.  Whether that key belongs to
 * anyone is the caller's question.  Returns 0 when valid, TK_EBADSIG when it
 * does not verify (with the reason in tk_error_last()), TK_EUNSUPPORTED for
 * a security-key signature made without user presence (refused before the
 * bytes are checked), or another negative code when verification could not
 * run.  Safe to call from several threads
 * at once on different or the same sig.
 */
int tk_sshsig_verify(const struct tk_sshsig *sig, const char *ns,
    const void *msg, size_t msglen);

/*
 * A message several signatures cover (all the approvals of one commit):
 * its digests are computed once, on first use, and kept here.  Not shared
 * between threads.
 */
struct tk_sshsig_msg {
	const void *msg;
	size_t len;
	unsigned char have; /* 1: h256 set, 2: h512 set */
	unsigned char h256[32];
	unsigned char h512[64];
};

void tk_sshsig_msg_init(struct tk_sshsig_msg *m, const void *msg, size_t len);

/* tk_sshsig_verify() over m, hashing m's message at most once per hash. */
int tk_sshsig_verify_msg(
    const struct tk_sshsig *sig, const char *ns, struct tk_sshsig_msg *m);

void tk_sshsig_free(struct tk_sshsig *sig);

#endif
