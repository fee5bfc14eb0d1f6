/*
 * Making attacker text safe to show.  Commit subjects, author names, ref
 * names and trailer values end up on the pusher's terminal (as "remote:"
 * lines) and in logs; an escape sequence there could rewrite what the user
 * sees, so anything a terminal might interpret is replaced.
 */
#include "internal.h"

size_t
tk_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* C1 controls (U+0080..U+009F): some terminals act on them as CSI. */
static bool
is_c1(const unsigned char *s, size_t n)
{
	return n == 2 && s[0] == 0xc2 && s[1] <= 0x9f;
}

bool
tk_is_bidi(const unsigned char *s, size_t n)
{
	if (n == 2)
		return s[0] == 0xd8 && s[1] == 0x9c; /* U+061C */
	if (n != 3 || s[0] != 0xe2)
		return false;
	return (s[1] == 0x80 &&
	           (s[2] == 0x8e || s[2] == 0x8f ||
	               (s[2] >= 0xaa && s[2] <= 0xae))) ||
	    (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9);
}

int
tk_sanitize(struct tk_buf *out, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, written = 0, n;
	int rc;

	while (i < len) {
		if (written >= max)
			return tk_buf_puts(out, "...");
		n = tk_utf8_len(p + i, len - i);
		if (n == 0 || is_c1(p + i, n) || tk_is_bidi(p + i, n) ||
		    (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			if ((rc = tk_buf_putc(out, '?')) < 0)
				return rc;
			/* a bidirectional control is one '?', as it is shown */
			i += n > 0 && tk_is_bidi(p + i, n) ? n : 1;
			written++;
			continue;
		}
		if ((rc = tk_buf_put(out, p + i, n)) < 0)
			return rc;
		i += n;
		written += n;
	}
	return 0;
}

bool
tk_valid_name(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}
