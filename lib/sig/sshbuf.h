/*
 * Bounded reading and writing of the SSH wire encoding (RFC 4251 section 5):
 * uint32 big-endian lengths, strings, mpints.  Private to lib/sig.
 *
 * Every byte read here comes from an attacker (a signature in a commit or a
 * trailer), so each getter checks the remaining length before it reads,
 * with size_t arithmetic that cannot wrap: a string length of 0xffffffff
 * simply fails.  Getters hand out pointers borrowed from the underlying
 * bytes, never copies; on failure they record a message naming what was
 * being read and leave the reader where it was.
 */
#ifndef TK_SIG_SSHBUF_H
#define TK_SIG_SSHBUF_H

#include "internal.h"

struct tk_sshbuf {
	const unsigned char *p; /* next unread byte */
	size_t len; /* bytes left */
	const char *what; /* names the data in messages: "public key" */
};

/* Starts reading len bytes at p; what is borrowed and used in messages. */
void tk_sshbuf_init(
    struct tk_sshbuf *b, const void *p, size_t len, const char *what);

/* Each returns 0, or TK_EINVAL when fewer bytes remain than needed. */
int tk_sshbuf_get_u8(struct tk_sshbuf *b, uint8_t *v);
int tk_sshbuf_get_u32(struct tk_sshbuf *b, uint32_t *v);
/* Exactly n raw bytes (no length prefix). */
int tk_sshbuf_get_raw(struct tk_sshbuf *b, const unsigned char **p, size_t n);

/*
 * A length-prefixed string: *p borrows its bytes (not NUL-terminated) and
 * *len is their count.  Returns 0 or TK_EINVAL.
 */
int tk_sshbuf_get_string(
    struct tk_sshbuf *b, const unsigned char **p, size_t *len);

/*
 * A string that will be used as text: same as tk_sshbuf_get_string but also
 * TK_EINVAL when it contains a NUL, which would make a C-string comparison
 * see a different value than the bytes that were signed.
 */
int tk_sshbuf_get_cstring(struct tk_sshbuf *b, const char **p, size_t *len);

/* A string read as a nested reader (the inner signature, for instance). */
int tk_sshbuf_get_sub(
    struct tk_sshbuf *b, struct tk_sshbuf *sub, const char *what);

/*
 * An mpint that must be non-negative and minimally encoded (no leading zero
 * byte unless the next byte has its high bit set; zero is the empty
 * string), so every value has exactly one encoding.  *p and *len receive
 * the magnitude without the sign byte, at most maxlen bytes.  Returns 0 or
 * TK_EINVAL (negative, not minimal, over maxlen, truncated).
 */
int tk_sshbuf_get_mpint(
    struct tk_sshbuf *b, const unsigned char **p, size_t *len, size_t maxlen);

/* 0 when everything was read, TK_EINVAL when bytes trail. */
int tk_sshbuf_done(const struct tk_sshbuf *b);

/* True when the len bytes at p are exactly the C string s. */
bool tk_sshbuf_eq(const void *p, size_t len, const char *s);

/*
 * Copies at most dstsize - 1 bytes of attacker text into dst for a message:
 * printable ASCII kept, every other byte shown as '?', "..." when cut.
 */
void tk_sshbuf_show(char *dst, size_t dstsize, const void *p, size_t len);

/* Writers; each returns 0, TK_ETOOBIG or TK_ENOMEM (see tk_buf_put). */
int tk_sshbuf_put_u8(struct tk_buf *b, uint8_t v);
int tk_sshbuf_put_u32(struct tk_buf *b, uint32_t v);
int tk_sshbuf_put_string(struct tk_buf *b, const void *p, size_t len);
int tk_sshbuf_put_cstring(struct tk_buf *b, const char *s);

#endif
