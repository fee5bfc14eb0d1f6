/*
 * Strict standard base64.  Signatures arrive base64-encoded inside commit
 * headers and trailers, so the decoder refuses everything a lenient one
 * would silently accept (bad padding, stray bytes, non-zero pad bits): two
 * encodings of one blob must not both verify.
 */
#include "internal.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* Emits the bytes of one complete or padded quantum. */
static int
flush_quad(unsigned char *o, size_t *olen, const int q[4], size_t pad)
{
	uint32_t v = ((uint32_t)q[0] << 18) | ((uint32_t)q[1] << 12) |
	    ((uint32_t)q[2] << 6) | (uint32_t)q[3];

	/* Non-zero bits under the padding make a second encoding. */
	if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))
		return tk_error_set(TK_EINVAL, "base64 has non-zero pad bits");
	o[(*olen)++] = (unsigned char)(v >> 16);
	if (pad < 2)
		o[(*olen)++] = (unsigned char)(v >> 8);
	if (pad < 1)
		o[(*olen)++] = (unsigned char)v;
	return 0;
}

int
tk_base64_decode(unsigned char **out, size_t *outlen, const char *in,
    size_t inlen, size_t max)
{
	unsigned char *o = NULL;
	size_t i, n = 0, olen = 0, pad = 0;
	int q[4], v, rc = TK_EINVAL;

	*out = NULL;
	*outlen = 0;
	if (inlen / 4 * 3 > max + 3 || (o = malloc(inlen / 4 * 3 + 4)) == NULL)
		return inlen / 4 * 3 > max + 3
		    ? tk_error_set(TK_ETOOBIG, "base64 text too long")
		    : tk_error_set(TK_ENOMEM, "out of memory");
	for (i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (is_space(c))
			continue;
		if (pad > 0 && c != '=') {
			tk_error_set(rc, "base64 data after padding");
			goto out;
		}
		if (c == '=') {
			if (n < 2 || ++pad > 2) {
				tk_error_set(rc, "misplaced base64 padding");
				goto out;
			}
			q[n++] = 0;
		} else if ((v = value(c)) < 0) {
			tk_error_set(rc, "invalid base64 character");
			goto out;
		} else
			q[n++] = v;
		if (n == 4) {
			if ((rc = flush_quad(o, &olen, q, pad)) < 0)
				goto out;
			rc = TK_EINVAL;
			n = 0;
		}
	}
	if (n != 0) {
		tk_error_set(rc, "truncated base64");
		goto out;
	}
	if (olen > max) {
		rc = tk_error_set(
		    TK_ETOOBIG, "decoded base64 over %zu bytes", max);
		goto out;
	}
	*out = o;
	*outlen = olen;
	o = NULL; /* transferred */
	rc = 0;
out:
	free(o);
	return rc;
}

int
tk_base64_encode(struct tk_buf *out, const unsigned char *in, size_t len)
{
	size_t i;
	char q[4];
	int rc;

	for (i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		q[0] = alphabet[(v >> 18) & 63];
		q[1] = alphabet[(v >> 12) & 63];
		q[2] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? alphabet[v & 63] : '=';
		if ((rc = tk_buf_put(out, q, 4)) < 0)
			return rc;
	}
	return 0;
}
