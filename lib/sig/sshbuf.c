/*
 * SSH wire encoding, read with a bounds check before every access.  The
 * reader never allocates: parsed fields point into the caller's bytes, so a
 * hostile length can cost neither memory nor an out-of-bounds read.
 */
#include "sig/sshbuf.h"

void
tk_sshbuf_init(struct tk_sshbuf *b, const void *p, size_t len, const char *what)
{
	b->p = p;
	b->len = len;
	b->what = what;
}

int
tk_sshbuf_get_raw(struct tk_sshbuf *b, const unsigned char **p, size_t n)
{
	if (n > b->len)
		return tk_error_set(TK_EINVAL, "%s: truncated", b->what);
	*p = b->p;
	b->p += n;
	b->len -= n;
	return 0;
}

int
tk_sshbuf_get_u8(struct tk_sshbuf *b, uint8_t *v)
{
	const unsigned char *p = NULL;
	int rc;

	if ((rc = tk_sshbuf_get_raw(b, &p, 1)) < 0)
		return rc;
	*v = p[0];
	return 0;
}

int
tk_sshbuf_get_u32(struct tk_sshbuf *b, uint32_t *v)
{
	const unsigned char *p = NULL;
	int rc;

	if ((rc = tk_sshbuf_get_raw(b, &p, 4)) < 0)
		return rc;
	*v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
	return 0;
}

int
tk_sshbuf_get_string(struct tk_sshbuf *b, const unsigned char **p, size_t *len)
{
	struct tk_sshbuf save = *b;
	uint32_t n = 0;
	int rc;

	if ((rc = tk_sshbuf_get_u32(b, &n)) < 0)
		return rc;
	/* Compared against what is left, so 0xffffffff cannot wrap. */
	if ((size_t)n > b->len) {
		*b = save;
		return tk_error_set(TK_EINVAL,
		    "%s: string of %lu bytes exceeds the %zu left", b->what,
		    (unsigned long)n, b->len);
	}
	*len = n;
	return tk_sshbuf_get_raw(b, p, n);
}

int
tk_sshbuf_get_cstring(struct tk_sshbuf *b, const char **p, size_t *len)
{
	struct tk_sshbuf save = *b;
	const unsigned char *s = NULL;
	size_t n = 0;
	int rc;

	if ((rc = tk_sshbuf_get_string(b, &s, &n)) < 0)
		return rc;
	if (n > 0 && memchr(s, '\0', n) != NULL) {
		*b = save;
		return tk_error_set(
		    TK_EINVAL, "%s: text contains a NUL byte", b->what);
	}
	*p = (const char *)s;
	*len = n;
	return 0;
}

int
tk_sshbuf_get_sub(struct tk_sshbuf *b, struct tk_sshbuf *sub, const char *what)
{
	const unsigned char *p = NULL;
	size_t n = 0;
	int rc;

	if ((rc = tk_sshbuf_get_string(b, &p, &n)) < 0)
		return rc;
	tk_sshbuf_init(sub, p, n, what);
	return 0;
}

int
tk_sshbuf_get_mpint(
    struct tk_sshbuf *b, const unsigned char **p, size_t *len, size_t maxlen)
{
	struct tk_sshbuf save = *b;
	const unsigned char *d = NULL;
	size_t n = 0;
	int rc;

	if ((rc = tk_sshbuf_get_string(b, &d, &n)) < 0)
		return rc;
	rc = TK_EINVAL;
	/* One value, one encoding: the blob is compared byte for byte. */
	if (n > 0 && (d[0] & 0x80) != 0)
		tk_error_set(rc, "%s: negative integer", b->what);
	else if (n > 0 && d[0] == 0 && (n == 1 || (d[1] & 0x80) == 0))
		tk_error_set(rc, "%s: integer not minimally encoded", b->what);
	else {
		if (n > 0 && d[0] == 0) {
			d++;
			n--;
		}
		if (n <= maxlen) {
			*p = d;
			*len = n;
			return 0;
		}
		tk_error_set(rc, "%s: integer over %zu bytes", b->what, maxlen);
	}
	*b = save;
	return rc;
}

int
tk_sshbuf_done(const struct tk_sshbuf *b)
{
	if (b->len != 0)
		return tk_error_set(
		    TK_EINVAL, "%s: %zu trailing bytes", b->what, b->len);
	return 0;
}

bool
tk_sshbuf_eq(const void *p, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(p, s, len) == 0;
}

void
tk_sshbuf_show(char *dst, size_t dstsize, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i, n;

	if (dstsize < 4) {
		if (dstsize > 0)
			dst[0] = '\0';
		return;
	}
	n = len < dstsize ? len : dstsize - 4;
	for (i = 0; i < n; i++)
		dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	if (n < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

int
tk_sshbuf_put_u8(struct tk_buf *b, uint8_t v)
{
	return tk_buf_put(b, &v, 1);
}

int
tk_sshbuf_put_u32(struct tk_buf *b, uint32_t v)
{
	unsigned char p[4];

	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return tk_buf_put(b, p, 4);
}

int
tk_sshbuf_put_string(struct tk_buf *b, const void *p, size_t len)
{
	int rc;

	if (len > UINT32_MAX)
		return tk_error_set(TK_ETOOBIG, "string too long to encode");
	if ((rc = tk_sshbuf_put_u32(b, (uint32_t)len)) < 0)
		return rc;
	return tk_buf_put(b, p, len);
}

int
tk_sshbuf_put_cstring(struct tk_buf *b, const char *s)
{
	return tk_sshbuf_put_string(b, s, strlen(s));
}
