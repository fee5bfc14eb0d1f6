/*
 * Bounded growable buffers and small allocation helpers.
 */
#include "internal.h"

void
tk_buf_init(struct tk_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->err = 0;
}

void
tk_buf_release(struct tk_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = 0;
}

void
tk_buf_reset(struct tk_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->ptr != NULL)
		b->ptr[0] = '\0';
}

void
tk_buf_truncate(struct tk_buf *b, size_t len)
{
	if (len < b->len)
		b->len = len;
	if (b->ptr != NULL)
		b->ptr[b->len] = '\0';
	b->err = 0;
}

/* Makes room for n more bytes plus the terminating NUL. */
static int
reserve(struct tk_buf *b, size_t n)
{
	size_t need, ncap;
	char *p;

	if (b->err != 0)
		return b->err;
	if (n > b->max || b->len > b->max - n)
		return b->err = tk_error_set(TK_ETOOBIG,
		           "buffer would exceed its limit of %zu bytes",
		           b->max);
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap < 64 ? 64 : b->cap;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if ((p = realloc(b->ptr, ncap)) == NULL)
		return b->err = tk_error_set(TK_ENOMEM, "out of memory");
	b->ptr = p;
	b->cap = ncap;
	return 0;
}

int
tk_buf_reserve(struct tk_buf *b, size_t n)
{
	return reserve(b, n);
}

int
tk_buf_put(struct tk_buf *b, const void *p, size_t n)
{
	int rc;

	if ((rc = reserve(b, n)) < 0)
		return rc;
	if (n > 0)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int
tk_buf_puts(struct tk_buf *b, const char *s)
{
	return tk_buf_put(b, s, strlen(s));
}

int
tk_buf_putc(struct tk_buf *b, int c)
{
	char ch = (char)c;

	return tk_buf_put(b, &ch, 1);
}

int
tk_buf_vprintf(struct tk_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return tk_error_set(TK_ERROR, "cannot format text");
	if ((rc = reserve(b, (size_t)n)) < 0)
		return rc;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
tk_buf_printf(struct tk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = tk_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *
tk_buf_detach(struct tk_buf *b, size_t *len)
{
	char *p;

	if (b->ptr == NULL && reserve(b, 0) < 0)
		return NULL;
	b->ptr[b->len] = '\0';
	p = b->ptr;
	if (len != NULL)
		*len = b->len;
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

void *
tk_calloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		tk_error_set(TK_ENOMEM, "out of memory");
	return p;
}

char *
tk_strndup(const char *s, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL) {
		tk_error_set(TK_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
tk_strdup(const char *s)
{
	return tk_strndup(s, strlen(s));
}

int
tk_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	void **ap = arr;
	size_t ncap;
	void *p;

	if (n <= *cap)
		return 0;
	ncap = *cap < 8 ? 8 : *cap;
	while (ncap < n)
		ncap *= 2;
	if (ncap > SIZE_MAX / size)
		return tk_error_set(TK_ENOMEM, "out of memory");
	if ((p = realloc(*ap, ncap * size)) == NULL)
		return tk_error_set(TK_ENOMEM, "out of memory");
	*ap = p;
	*cap = ncap;
	return 0;
}

int
tk_grow_one(void *arr, size_t n, size_t size)
{
	size_t cap = 0;

	/* The capacities tk_grow() hands out: 8, then doubling. */
	if (n > 0)
		for (cap = 8; cap < n; cap *= 2)
			;
	return tk_grow(arr, &cap, n + 1, size);
}

int
tk_ascii_tolower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

bool
tk_ascii_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (tk_ascii_tolower((unsigned char)a[i]) !=
		    tk_ascii_tolower((unsigned char)b[i]))
			return false;
	return true;
}
