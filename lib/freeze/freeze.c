/*
 * Freeze records: names, reasons and times checked as hostile input, and
 * the freeze file's text format (docs/freezes.md, "The freeze file").
 *
 * The format is one header line and one line per ad hoc freeze, fields
 * separated by tabs.  Every field is validated on the way in and on the
 * way out, so a field can hold neither a tab nor a line break, and a file
 * someone edited by hand, or a cut one, is refused as a whole: the hooks
 * then fail closed instead of guessing which freezes were meant.
 */
#include <time.h>

#include "internal.h"
#include "twokey/freeze.h"
#include "twokey/pattern.h"

#define HEADER "twokey-freeze 1\n"
#define NFIELDS 6 /* name from until by refs reason */

void
tk_freeze_release(struct tk_freeze *f)
{
	free(f->name);
	free(f->refs_src);
	tk_pattern_free(f->refs);
	free(f->reason);
	free(f->by);
	memset(f, 0, sizeof(*f));
}

void
tk_freeze_list_release(struct tk_freeze_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		tk_freeze_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

bool
tk_freeze_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > TK_FREEZE_MAX_NAME)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		        s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

bool
tk_freeze_reason_ok(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	if (len == 0 || len > TK_FREEZE_MAX_REASON)
		return false;
	while (i < len) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return false;
		if ((n = tk_utf8_len(u + i, len - i)) == 0)
			return false;
		/* C1 controls, U+0080..U+009F: 0xc2 0x80..0x9f */
		if (n == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)
			return false;
		i += n;
	}
	return true;
}

/* n decimal digits at s; -1 when any is not one. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
tk_freeze_time_parse(int64_t *out, const char *s, size_t len)
{
	struct tm tm, want;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		goto bad;
	tm.tm_year = digits(s, 4);
	tm.tm_mon = digits(s + 5, 2);
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_hour = digits(s + 11, 2);
	tm.tm_min = digits(s + 14, 2);
	tm.tm_sec = digits(s + 17, 2);
	if (tm.tm_year < 1970 || tm.tm_year > 9999 || tm.tm_mon < 1 ||
	    tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 59)
		goto bad;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	want = tm;
	if ((t = timegm(&tm)) == (time_t)-1 || tm.tm_mday != want.tm_mday ||
	    tm.tm_mon != want.tm_mon)
		goto bad; /* 2026-02-31 would normalise to March */
	*out = (int64_t)t;
	return 0;
bad:
	return tk_error_set(
	    TK_EINVAL, "expected a UTC time, YYYY-MM-DDTHH:MM:SSZ");
}

void
tk_freeze_time_format(char out[21], int64_t t)
{
	tk_utc_format(out, t);
}

bool
tk_freeze_active(const struct tk_freeze *f, int64_t now)
{
	return f->from <= now && now < f->until;
}

bool
tk_freeze_by_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > TK_FREEZE_MAX_BY)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		        s[i] == '_' || s[i] == '-' || s[i] == ':' ||
		        s[i] == '@'))
			return false;
	return true;
}

int
tk_freeze_new(struct tk_freeze *f, const char *name, const char *refs,
    const char *reason, const char *by, int64_t from, int64_t until)
{
	size_t rlen = strlen(refs);
	int rc;

	memset(f, 0, sizeof(*f));
	if (!tk_freeze_name_ok(name, strlen(name)))
		return tk_error_set(TK_EINVAL,
		    "the name must be 1 to %d of A-Z a-z 0-9 . _ -",
		    TK_FREEZE_MAX_NAME);
	if (!tk_freeze_reason_ok(reason, strlen(reason)))
		return tk_error_set(TK_EINVAL,
		    "the reason must be 1 to %d bytes of printable UTF-8 "
		    "(no control characters)",
		    TK_FREEZE_MAX_REASON);
	if (by != NULL && !tk_freeze_by_ok(by))
		return tk_error_set(TK_EINVAL, "invalid user name");
	if (rlen == 0 || rlen > TK_FREEZE_MAX_REFS ||
	    !tk_valid_name(refs, rlen, TK_FREEZE_MAX_REFS) ||
	    strchr(refs, '\t') != NULL)
		return tk_error_set(TK_EINVAL,
		    "the refs pattern must be 1 to %d bytes without control "
		    "characters",
		    TK_FREEZE_MAX_REFS);
	if (from >= until)
		return tk_error_set(
		    TK_EINVAL, "the end must come after the start");
	if ((rc = tk_pattern_compile(&f->refs, refs, rlen)) < 0)
		return rc == TK_ENOMEM
		    ? rc
		    : tk_error_set(
		          TK_EINVAL, "refs pattern: %s", tk_error_last());
	f->from = from;
	f->until = until;
	f->adhoc = true;
	if ((f->name = tk_strdup(name)) == NULL ||
	    (f->refs_src = tk_strdup(refs)) == NULL ||
	    (f->reason = tk_strdup(reason)) == NULL ||
	    (by != NULL && (f->by = tk_strdup(by)) == NULL))
		return tk_error_set(TK_ENOMEM, "out of memory");
	return 0;
}

/* Splits line (no newline) at tabs into exactly NFIELDS fields. */
static int
split(char *line, char *field[NFIELDS])
{
	int i;

	for (i = 0; i < NFIELDS; i++) {
		field[i] = line;
		line = strchr(line, '\t');
		if (i < NFIELDS - 1) {
			if (line == NULL)
				return -1;
			*line++ = '\0';
		}
	}
	return line == NULL ? 0 : -1;
}

static int
parse_line(struct tk_freeze *f, char *line)
{
	char *fl[NFIELDS];
	int64_t from, until = TK_FREEZE_OPEN;
	int rc;

	if (split(line, fl) < 0)
		return tk_error_set(TK_EINVAL, "expected %d fields", NFIELDS);
	if (tk_freeze_time_parse(&from, fl[1], strlen(fl[1])) < 0 ||
	    (strcmp(fl[2], "-") != 0 &&
	        tk_freeze_time_parse(&until, fl[2], strlen(fl[2])) < 0))
		return TK_EINVAL;
	rc = tk_freeze_new(f, fl[0], fl[4], fl[5], fl[3], from, until);
	return rc;
}

static int
parse_lines(struct tk_freeze_list *out, char *s, const char *end)
{
	size_t line = 1, i;
	char *nl;
	int rc;

	for (; s < end; s = nl + 1) {
		line++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			return tk_error_set(TK_EINVAL,
			    "line %zu: cut short (no line end)", line);
		*nl = '\0';
		if (out->n >= TK_FREEZE_MAX_ADHOC)
			return tk_error_set(TK_ETOOBIG, "more than %d freezes",
			    TK_FREEZE_MAX_ADHOC);
		if (tk_grow_one(&out->items, out->n, sizeof(*out->items)) < 0)
			return TK_ENOMEM;
		memset(&out->items[out->n], 0, sizeof(out->items[0]));
		rc = parse_line(&out->items[out->n], s);
		out->n++; /* released with the list even when half-filled */
		if (rc < 0)
			return rc == TK_ENOMEM
			    ? rc
			    : tk_error_set(TK_EINVAL, "line %zu: %s", line,
			          tk_error_last());
		for (i = 0; i + 1 < out->n; i++)
			if (strcmp(out->items[i].name,
			        out->items[out->n - 1].name) == 0)
				return tk_error_set(TK_EINVAL,
				    "line %zu: a second freeze named '%s'",
				    line, out->items[i].name);
	}
	return 0;
}

int
tk_freeze_parse(struct tk_freeze_list *out, const char *data, size_t len)
{
	char *copy = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > TK_FREEZE_FILE_MAX)
		return tk_error_set(
		    TK_ETOOBIG, "larger than %u bytes", TK_FREEZE_FILE_MAX);
	if (len < strlen(HEADER) || memcmp(data, HEADER, strlen(HEADER)) != 0)
		return tk_error_set(TK_EINVAL,
		    "line 1: expected '%.*s' (not written by twokey freeze?)",
		    (int)strlen(HEADER) - 1, HEADER);
	if (memchr(data, '\0', len) != NULL)
		return tk_error_set(TK_EINVAL, "holds a NUL byte");
	if ((copy = tk_strndup(data, len)) == NULL)
		return TK_ENOMEM;
	rc = parse_lines(out, copy + strlen(HEADER), copy + len);
	free(copy);
	if (rc < 0)
		tk_freeze_list_release(out);
	return rc;
}

int
tk_freeze_format(struct tk_buf *out, const struct tk_freeze_list *l)
{
	char from[21], until[21];
	size_t i;
	int rc = tk_buf_puts(out, HEADER);

	for (i = 0; rc == 0 && i < l->n; i++) {
		const struct tk_freeze *f = &l->items[i];

		tk_freeze_time_format(from, f->from);
		if (f->until == TK_FREEZE_OPEN)
			snprintf(until, sizeof(until), "-");
		else
			tk_freeze_time_format(until, f->until);
		rc = tk_buf_printf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", f->name,
		    from, until, f->by ? f->by : "-", f->refs_src, f->reason);
	}
	return rc;
}
