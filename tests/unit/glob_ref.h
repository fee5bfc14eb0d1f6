/*
 * A second, independent reading of twokey's glob syntax (twokey/glob.h),
 * for differential tests: the glob is translated to a PCRE2 pattern and
 * matched with tk_pattern (anchored at both ends, bytes, no UTF).  Shared
 * by tests/unit/test_glob.c and tests/fuzz/fuzz_glob.c.  Only meaningful
 * for globs that tk_glob_compile() accepts.
 */
#ifndef TK_GLOB_REF_H
#define TK_GLOB_REF_H

#include "internal.h"
#include "twokey/pattern.h"

static void
ref_byte(struct tk_buf *re, unsigned char c)
{
	(void)tk_buf_printf(re, "\\x{%02x}", c);
}

/* A class at s[*i] == '[' to a regex class that never matches '/'. */
static void
ref_class(struct tk_buf *re, const char *s, size_t n, size_t *i)
{
	size_t k = *i + 1;
	bool first = true;

	(void)tk_buf_puts(re, "(?!/)[");
	if (k < n && (s[k] == '!' || s[k] == '^')) {
		(void)tk_buf_putc(re, '^');
		k++;
	}
	while (k < n && (s[k] != ']' || first)) {
		first = false;
		if (s[k] == '\\')
			k++;
		ref_byte(re, (unsigned char)s[k++]);
		if (k + 1 < n && s[k] == '-' && s[k + 1] != ']') {
			(void)tk_buf_putc(re, '-');
			if (s[++k] == '\\')
				k++;
			ref_byte(re, (unsigned char)s[k++]);
		}
	}
	(void)tk_buf_putc(re, ']');
	*i = k + 1;
}

/* One segment s[0..n) that is not "**". */
static void
ref_segment(struct tk_buf *re, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (s[i] == '[')
			ref_class(re, s, n, &i);
		else if (s[i] == '*') {
			(void)tk_buf_puts(re, "[^/]*");
			i++;
		} else if (s[i] == '?') {
			(void)tk_buf_puts(re, "[^/]");
			i++;
		} else {
			if (s[i] == '\\')
				i++;
			ref_byte(re, (unsigned char)s[i++]);
		}
	}
}

/* The regex for glob src; the caller releases re. */
static void
ref_regex(struct tk_buf *re, const char *src, size_t len)
{
	size_t start = 0, end = len, i, k, nseg = 0;
	bool dir = false, prev_star = false, last;

	if (end > 0 && src[0] == '/')
		start = 1;
	if (end > start && src[end - 1] == '/') {
		end--;
		dir = true;
	}
	for (i = start; i <= end; i = k + 1) {
		for (k = i; k < end && src[k] != '/'; k++)
			;
		last = k >= end && !dir;
		if (k - i == 2 && src[i] == '*' && src[i + 1] == '*') {
			if (prev_star && last)
				(void)tk_buf_puts(re, "[^/]*(?:/[^/]*)*");
			if (prev_star)
				continue;
			if (last)
				(void)tk_buf_puts(re,
				    nseg ? "/[^/]*(?:/[^/]*)*"
				         : "[^/]*(?:/[^/]*)*");
			else
				(void)tk_buf_puts(
				    re, nseg ? "/(?:[^/]*/)*" : "(?:[^/]*/)*");
			prev_star = true;
		} else {
			if (nseg && !prev_star)
				(void)tk_buf_putc(re, '/');
			ref_segment(re, src + i, k - i);
			prev_star = false;
		}
		nseg++;
	}
	if (dir && !prev_star)
		(void)tk_buf_puts(re, "/[^/]*(?:/[^/]*)*");
	else if (dir)
		(void)tk_buf_puts(re, "[^/]*(?:/[^/]*)*");
}

/* 1, 0, or -1 when the reference cannot decide (PCRE2 limits). */
static int
ref_match(const char *glob, size_t glen, const char *path, size_t plen)
{
	struct tk_buf re = TK_BUF_INIT(1 << 20);
	struct tk_pattern *p = NULL;
	int r = -1;

	ref_regex(&re, glob, glen);
	if (re.err == 0 && tk_pattern_compile(&p, re.ptr, re.len) == 0) {
		r = tk_pattern_match(p, path, plen);
		if (r < 0)
			r = -1;
	}
	tk_pattern_free(p);
	tk_buf_release(&re);
	return r;
}

#endif
