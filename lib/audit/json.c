/*
 * JSON reading for audit records.  Recursion is bounded by
 * TK_JSON_MAX_DEPTH, so a hostile line cannot exhaust the stack.
 */
#include "internal.h"
#include "json.h"
#include "twokey/audit.h"

struct parser {
	const char *p, *end;
	int depth;
};

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	    (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
	        *ps->p == '\r'))
		ps->p++;
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int
put_utf8(struct tk_buf *b, unsigned cp)
{
	char o[4];
	size_t n;

	if (cp < 0x80)
		o[0] = (char)cp, n = 1;
	else if (cp < 0x800)
		o[0] = (char)(0xc0 | (cp >> 6)),
		o[1] = (char)(0x80 | (cp & 63)), n = 2;
	else if (cp < 0x10000)
		o[0] = (char)(0xe0 | (cp >> 12)),
		o[1] = (char)(0x80 | ((cp >> 6) & 63)),
		o[2] = (char)(0x80 | (cp & 63)), n = 3;
	else
		o[0] = (char)(0xf0 | (cp >> 18)),
		o[1] = (char)(0x80 | ((cp >> 12) & 63)),
		o[2] = (char)(0x80 | ((cp >> 6) & 63)),
		o[3] = (char)(0x80 | (cp & 63)), n = 4;
	return tk_buf_put(b, o, n);
}

static int
escape(struct parser *ps, struct tk_buf *b)
{
	unsigned cp, lo;
	char c;

	if (ps->end - ps->p < 2)
		return TK_EINVAL;
	c = ps->p[1];
	ps->p += 2;
	switch (c) {
	case '"':
	case '\\':
	case '/':
		return tk_buf_putc(b, c);
	case 'b':
		return tk_buf_putc(b, '\b');
	case 'f':
		return tk_buf_putc(b, '\f');
	case 'n':
		return tk_buf_putc(b, '\n');
	case 'r':
		return tk_buf_putc(b, '\r');
	case 't':
		return tk_buf_putc(b, '\t');
	case 'u':
		if (ps->end - ps->p < 4 || hex4(ps->p, &cp) < 0)
			return TK_EINVAL;
		ps->p += 4;
		if (cp >= 0xd800 && cp <= 0xdbff && ps->end - ps->p >= 6 &&
		    ps->p[0] == '\\' && ps->p[1] == 'u' &&
		    hex4(ps->p + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
			ps->p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;
		return put_utf8(b, cp);
	default:
		return TK_EINVAL;
	}
}

static int
string(struct parser *ps, char **out, size_t *len)
{
	struct tk_buf b = TK_BUF_INIT(64u * 1024 * 1024);
	int rc = 0;

	ps->p++; /* the opening quote */
	while (rc == 0 && ps->p < ps->end && *ps->p != '"') {
		if (*ps->p == '\\')
			rc = escape(ps, &b);
		else if ((unsigned char)*ps->p < 0x20)
			rc = TK_EINVAL;
		else
			rc = tk_buf_putc(&b, *ps->p++);
	}
	if (rc == 0 && ps->p >= ps->end)
		rc = TK_EINVAL;
	if (rc == 0 && (*out = tk_buf_detach(&b, len)) == NULL)
		rc = TK_ENOMEM;
	ps->p++;
	tk_buf_release(&b);
	return rc;
}

static int value(struct parser *ps, struct tk_jv **out);

static int
add(struct tk_jv *v, struct tk_jv *item, char *key)
{
	if (tk_grow(&v->items, &v->cap, v->n + 1, sizeof(*v->items)) < 0 ||
	    (v->t == TK_J_OBJ &&
	        tk_grow(&v->keys, &v->kcap, v->n + 1, sizeof(*v->keys)) < 0))
		return TK_ENOMEM;
	v->items[v->n] = item;
	if (v->t == TK_J_OBJ)
		v->keys[v->n] = key;
	v->n++;
	return 0;
}

static int
container(struct parser *ps, struct tk_jv *v, char close)
{
	struct tk_jv *item = NULL;
	char *key = NULL;
	size_t klen;
	int rc;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		skip_ws(ps);
		if (v->t == TK_J_OBJ) {
			if (ps->p >= ps->end || *ps->p != '"' ||
			    (rc = string(ps, &key, &klen)) < 0)
				return TK_EINVAL;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p++ != ':') {
				free(key);
				return TK_EINVAL;
			}
		}
		if ((rc = value(ps, &item)) < 0 ||
		    (rc = add(v, item, key)) < 0) {
			free(key);
			tk_json_free(item);
			return rc;
		}
		key = NULL;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		return TK_EINVAL;
	}
}

static int
scalar(struct parser *ps, struct tk_jv *v)
{
	const char *s = ps->p;
	size_t n;

	if (*s == '"') {
		v->t = TK_J_STR;
		return string(ps, &v->s, &v->slen);
	}
	/*
	 * strchr() finds the terminating NUL too: without the check, NUL
	 * bytes were read as part of a number ("\0" alone was one).
	 */
	for (n = 0; s + n < ps->end && s[n] != '\0' &&
	     strchr("+-.0123456789eEtruefalsn", s[n]) != NULL;
	     n++)
		;
	if (n == 4 && memcmp(s, "true", 4) == 0)
		v->t = TK_J_BOOL, v->b = true;
	else if (n == 5 && memcmp(s, "false", 5) == 0)
		v->t = TK_J_BOOL;
	else if (n == 4 && memcmp(s, "null", 4) == 0)
		v->t = TK_J_NULL;
	else if (n > 0 && n < 64 && strchr("-0123456789", *s) != NULL) {
		v->t = TK_J_NUM;
		if ((v->s = tk_strndup(s, n)) == NULL)
			return TK_ENOMEM;
		v->slen = n;
	} else
		return TK_EINVAL;
	ps->p += n;
	return 0;
}

static int
value(struct parser *ps, struct tk_jv **out)
{
	struct tk_jv *v;
	int rc;

	*out = NULL;
	skip_ws(ps);
	if (ps->p >= ps->end)
		return TK_EINVAL;
	if ((v = tk_calloc(1, sizeof(*v))) == NULL)
		return TK_ENOMEM;
	if (*ps->p == '{' || *ps->p == '[') {
		if (++ps->depth > TK_JSON_MAX_DEPTH) {
			free(v);
			return TK_ETOOBIG;
		}
		v->t = *ps->p == '{' ? TK_J_OBJ : TK_J_ARR;
		rc = container(ps, v, *ps->p == '{' ? '}' : ']');
		ps->depth--;
	} else
		rc = scalar(ps, v);
	if (rc < 0) {
		tk_json_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

int
tk_json_parse(struct tk_jv **out, const char *s, size_t len)
{
	struct parser ps = {s, s + len, 0};
	int rc;

	if ((rc = value(&ps, out)) < 0)
		return tk_error_set(rc, "malformed JSON");
	skip_ws(&ps);
	if (ps.p != ps.end) {
		tk_json_free(*out);
		*out = NULL;
		return tk_error_set(TK_EINVAL, "trailing data after JSON");
	}
	return 0;
}

void
tk_json_free(struct tk_jv *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		tk_json_free(v->items[i]); /* depth bounded by the parser */
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	free(v);
}

const struct tk_jv *
tk_json_get(const struct tk_jv *obj, const char *key)
{
	size_t i;

	for (i = 0; obj != NULL && obj->t == TK_J_OBJ && i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

const char *
tk_json_str(const struct tk_jv *v, const char *def)
{
	return v != NULL && v->t == TK_J_STR ? v->s : def;
}

int
tk_json_string(struct tk_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	int rc = tk_buf_putc(out, '"');

	while (rc == 0 && i < len) {
		if (p[i] == '"' || p[i] == '\\') {
			rc = tk_buf_printf(out, "\\%c", p[i]);
			n = 1;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			rc = tk_buf_printf(out, "\\u%04x", p[i]);
			n = 1;
		} else if ((n = tk_utf8_len(p + i, len - i)) == 0) {
			rc = tk_buf_puts(out, "\\ufffd");
			n = 1;
		} else if (n == 2 && p[i] == 0xc2 && p[i + 1] <= 0x9f) {
			/* C1 controls: some terminals act on them */
			rc = tk_buf_printf(out, "\\u%04x", p[i + 1]);
		} else if (n == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			/* U+2028, U+2029: line ends to JavaScript, splitlines()
			 */
			rc = tk_buf_printf(
			    out, "\\u%04x", 0x2000 + p[i + 2] - 0x80);
		} else if (tk_is_bidi(p + i, n)) {
			/* reorders what a terminal or a page shows after it */
			rc = tk_buf_printf(out, "\\u%04x",
			    n == 2 ? 0x061cu
			           : ((p[i] & 0x0fu) << 12) |
			            ((p[i + 1] & 0x3fu) << 6) |
			            (p[i + 2] & 0x3fu));
		} else
			rc = tk_buf_put(out, p + i, n);
		i += n;
	}
	return rc == 0 ? tk_buf_putc(out, '"') : rc;
}

int
tk_audit_refname(struct tk_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	int rc = 0;

	while (rc == 0 && i < len) {
		if (p[i] == '\\' || (n = tk_utf8_len(p + i, len - i)) == 0) {
			rc = tk_buf_printf(out, "\\x%02x", p[i]);
			n = 1;
		} else
			rc = tk_buf_put(out, p + i, n);
		i += n;
	}
	return rc;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
tk_audit_refname_raw(struct tk_buf *out, const char *s, size_t len)
{
	size_t i;
	int rc = 0, hi, lo;

	for (i = 0; rc == 0 && i < len; i++)
		if (s[i] == '\\' && len - i >= 4 && s[i + 1] == 'x' &&
		    (hi = hexval(s[i + 2])) >= 0 &&
		    (lo = hexval(s[i + 3])) >= 0) {
			rc = tk_buf_putc(out, (char)(hi << 4 | lo));
			i += 3;
		} else
			rc = tk_buf_putc(out, s[i]);
	return rc;
}

int
tk_json_refname(struct tk_buf *out, const char *s, size_t len)
{
	struct tk_buf b = TK_BUF_INIT(64u * 1024);
	int rc;

	if ((rc = tk_audit_refname(&b, s, len)) == 0)
		rc = tk_json_string(out, b.ptr ? b.ptr : "", b.len);
	tk_buf_release(&b);
	return rc;
}
