/*
 * twokey: the bounded byte buffer that the public functions producing text
 * or bytes (payloads, canonical messages, audit records, role lists)
 * append to.
 *
 * Usage: struct tk_buf b = TK_BUF_INIT(max); append with tk_buf_put*;
 * read b.ptr and b.len; hand the bytes over with tk_buf_detach() or free
 * them with tk_buf_release().  The buffer owns ptr.  A function that takes
 * a struct tk_buf * appends to it; on failure it leaves it as it was
 * unless its contract says otherwise.
 */
#ifndef TWOKEY_BUF_H
#define TWOKEY_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "twokey/error.h"

/*
 * A growable byte buffer with a hard maximum (curl's dynbuf "toobig",
 * OpenSSH's sshbuf max_size): attacker-sized input can never make it grow
 * past what its owner allowed.  ptr is always NUL-terminated once anything
 * was added, so text can be used as a C string; len excludes that NUL.
 */
struct tk_buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
	int err; /* sticky: the first failure, so a series of puts can be
	            checked once at the end */
};

#define TK_BUF_INIT(maxlen)                                                    \
	{                                                                      \
		NULL, 0, 0, (maxlen), 0                                        \
	}

void tk_buf_init(struct tk_buf *b, size_t max);
/*
 * Frees the contents and leaves b empty with the same maximum; clears the
 * sticky error.
 */
void tk_buf_release(struct tk_buf *b);
/* Forgets the contents and the sticky error; keeps the allocation. */
void tk_buf_reset(struct tk_buf *b);
/*
 * Rolls b back to its first len bytes (len <= b->len) and clears the
 * sticky error: for functions that leave a buffer as it was on failure.
 */
void tk_buf_truncate(struct tk_buf *b, size_t len);
/* Each returns 0, TK_ETOOBIG past the maximum, or TK_ENOMEM. */
/*
 * Room for n more bytes and a NUL after len (ptr may move): 0, or
 * TK_ETOOBIG past max, TK_ENOMEM.  For reading straight into ptr + len.
 */
int tk_buf_reserve(struct tk_buf *b, size_t n);
int tk_buf_put(struct tk_buf *b, const void *p, size_t n);
int tk_buf_puts(struct tk_buf *b, const char *s);
int tk_buf_putc(struct tk_buf *b, int c);
int tk_buf_printf(struct tk_buf *b, const char *fmt, ...) TK_PRINTF(2, 3);
int tk_buf_vprintf(struct tk_buf *b, const char *fmt, va_list ap)
    TK_PRINTF(2, 0);
/*
 * Hands the contents to the caller (always a NUL-terminated string, "" when
 * empty) and leaves b empty.  Returns NULL only when allocation fails.
 */
char *tk_buf_detach(struct tk_buf *b, size_t *len);

#endif
