/*
 * The audit log reader's JSON parser (tk_json_parse): a log line may have
 * been tampered with.  A parsed value must be a well-formed tree no deeper
 * than the bound; and the writer's escaping (tk_json_string) of the same
 * bytes must read back as one string, equal to the input when that is
 * valid UTF-8.
 */
#include "fuzz.h"

#include "internal.h"
#include "audit/json.h"
#include "twokey/audit.h"

/* Depth is bounded by the parser, so this recursion is too. */
static void
walk(const struct tk_jv *v, int depth)
{
	size_t i;

	FUZZ_CHECK(v != NULL && depth <= TK_JSON_MAX_DEPTH);
	switch (v->t) {
	case TK_J_STR:
	case TK_J_NUM:
		FUZZ_CHECK(v->s != NULL && v->s[v->slen] == '\0');
		FUZZ_CHECK(v->t == TK_J_STR || strlen(v->s) == v->slen);
		FUZZ_CHECK(v->n == 0);
		break;
	case TK_J_ARR:
	case TK_J_OBJ:
		FUZZ_CHECK(depth < TK_JSON_MAX_DEPTH);
		FUZZ_CHECK(v->n <= v->cap);
		FUZZ_CHECK(v->t == TK_J_ARR || v->n == 0 || v->keys != NULL);
		for (i = 0; i < v->n; i++) {
			FUZZ_CHECK(v->t == TK_J_ARR || v->keys[i] != NULL);
			walk(v->items[i], depth + 1);
		}
		break;
	default:
		FUZZ_CHECK(v->n == 0 && v->s == NULL);
	}
}

/* Length of a valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
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
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static bool
valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_len(s + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

static void
round_trip(const uint8_t *data, size_t size)
{
	struct tk_buf b = TK_BUF_INIT(8 * size + 16);
	struct tk_jv *v = NULL;

	FUZZ_CHECK(tk_json_string(&b, (const char *)data, size) == 0);
	FUZZ_CHECK(tk_json_parse(&v, b.ptr, b.len) == 0);
	FUZZ_CHECK(v->t == TK_J_STR);
	if (valid_utf8(data, size))
		FUZZ_CHECK(v->slen == size && memcmp(v->s, data, size) == 0);
	tk_json_free(v);
	tk_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_jv *v = NULL;
	int rc;

	rc = tk_json_parse(&v, (const char *)data, size);
	if (rc == 0) {
		walk(v, 0);
		(void)tk_json_str(tk_json_get(v, "hash"), NULL);
		(void)tk_json_str(tk_json_get(v, "prev"), "");
	} else
		FUZZ_CHECK(v == NULL);
	tk_json_free(v);
	round_trip(data, size);
	return 0;
}
