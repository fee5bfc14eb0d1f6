/*
 * Filters over audit records (docs/audit.md, "Filters"): periods as a
 * person means them, short ref names, repositories.  A filter that cannot
 * match is an error, never an empty answer: empty evidence reads as "no
 * changes".
 */
#include <time.h>

#include "internal.h"
#include "twokey/audit.h"

static int
digits(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Fields of a date; -1 marks "not given" (the period is coarser). */
struct when {
	int y, mo, d, h, mi, s;
	int offset; /* seconds east of UTC */
	bool frac; /* the seconds had a fraction */
};

/* The optional ".frac" and the zone of an RFC 3339 time at s. */
static int
zone(const char *s, struct when *w)
{
	int oh, om;

	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9')
			return -1;
		for (s++; *s >= '0' && *s <= '9'; s++)
			w->frac = true;
	}
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0')
		return 0;
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
	    (oh = digits(s + 1, 2)) < 0 || (om = digits(s + 4, 2)) < 0 ||
	    oh > 23 || om > 59)
		return -1;
	w->offset = (s[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
	return 0;
}

/* Splits s into w; -1 when its form is not one of the accepted ones. */
static int
split_date(const char *s, struct when *w)
{
	size_t n = strlen(s);

	memset(w, -1, sizeof(*w));
	w->offset = 0;
	w->frac = false;
	if (n < 4 || (w->y = digits(s, 4)) < 0)
		return -1;
	if (n == 4)
		return 0;
	if (s[4] != '-' || n < 7 || (w->mo = digits(s + 5, 2)) < 0)
		return -1;
	if (n == 7)
		return 0;
	if (s[7] != '-' || n < 10 || (w->d = digits(s + 8, 2)) < 0)
		return -1;
	if (n == 10)
		return 0;
	if ((s[10] != 'T' && s[10] != 't') || n < 13 ||
	    (w->h = digits(s + 11, 2)) < 0)
		return -1;
	if (n == 13)
		return 0;
	if (s[13] != ':' || n < 16 || (w->mi = digits(s + 14, 2)) < 0)
		return -1;
	if (n == 16)
		return 0;
	if (s[16] != ':' || n < 20 || (w->s = digits(s + 17, 2)) < 0)
		return -1;
	return zone(s + 19, w);
}

static bool
real(const struct when *w)
{
	return w->y >= 1970 && w->y <= 9999 &&
	    (w->mo == -1 || (w->mo >= 1 && w->mo <= 12)) &&
	    (w->d == -1 || (w->d >= 1 && w->d <= days_in(w->y, w->mo))) &&
	    w->h <= 23 && w->mi <= 59 && w->s <= 60;
}

int
tk_audit_parse_date(int64_t *out, const char *s, bool end)
{
	struct when w;
	struct tm tm;
	int64_t t;

	if (s == NULL || split_date(s, &w) < 0 || !real(&w))
		return tk_error_set(TK_EINVAL,
		    "'%.64s' is not a date: use YYYY, YYYY-MM, YYYY-MM-DD or "
		    "an RFC 3339 time (2026-11-30T23:59:59Z)",
		    s ? s : "");
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = w.y - 1900;
	tm.tm_mon = (w.mo > 0 ? w.mo : end ? 12 : 1) - 1;
	tm.tm_mday = w.d > 0 ? w.d : end ? days_in(w.y, tm.tm_mon + 1) : 1;
	tm.tm_hour = w.h >= 0 ? w.h : end ? 23 : 0;
	tm.tm_min = w.mi >= 0 ? w.mi : end ? 59 : 0;
	tm.tm_sec = w.s >= 0 ? w.s : end ? 59 : 0;
	t = (int64_t)timegm(&tm) - w.offset;
	/* A fraction: the first whole second after it starts the period. */
	if (w.frac && !end)
		t++;
	*out = t;
	return 0;
}

int
tk_audit_parse_decision(enum tk_audit_decision_filter *out, const char *s)
{
	if (strcmp(s, "accepted") == 0)
		*out = TK_AUDIT_ACCEPTED;
	else if (strcmp(s, "refused") == 0)
		*out = TK_AUDIT_REFUSED;
	else
		return tk_error_set(TK_EINVAL,
		    "unknown decision '%.64s' (accepted or refused)", s);
	return 0;
}

int
tk_audit_filter_dates(
    struct tk_audit_filter *f, const char *since, const char *until)
{
	int rc;

	f->since_text = since;
	f->until_text = until;
	if ((since &&
	        (rc = tk_audit_parse_date(&f->since, since, false)) < 0) ||
	    (until && (rc = tk_audit_parse_date(&f->until, until, true)) < 0))
		return rc;
	if (f->since > f->until)
		return tk_error_set(TK_EINVAL,
		    "the period is empty: --until '%.64s' ends before --since "
		    "'%.64s' starts",
		    until, since);
	return 0;
}

void
tk_audit_time_str(char *out, size_t size, int64_t t)
{
	char s[TK_UTC_LEN + 1];

	tk_utc_format(s, t);
	snprintf(out, size, "%s", s);
}

/* The length of path without its trailing slashes. */
static size_t
trimmed(const char *p)
{
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	return n;
}

bool
tk_audit_repo_matches(const char *repo, const char *want)
{
	size_t rn, wn, bn;
	const char *base;

	if (repo == NULL)
		return false;
	rn = trimmed(repo);
	wn = trimmed(want);
	if (strchr(want, '/') != NULL)
		return rn == wn && memcmp(repo, want, rn) == 0;
	for (base = repo + rn; base > repo && base[-1] != '/'; base--)
		;
	bn = (size_t)(repo + rn - base);
	if (bn == wn && memcmp(base, want, wn) == 0)
		return true;
	return bn == wn + 4 && memcmp(base, want, wn) == 0 &&
	    memcmp(base + wn, ".git", 4) == 0;
}

bool
tk_audit_filter_record(
    const struct tk_audit_filter *f, const struct tk_audit_record *rec)
{
	if (rec->when < f->since || rec->when > f->until)
		return false;
	if (f->repo != NULL && !tk_audit_repo_matches(rec->repo, f->repo))
		return false;
	if (f->pusher != NULL &&
	    (rec->pusher_login == NULL ||
	        strcmp(rec->pusher_login, f->pusher) != 0) &&
	    (rec->pusher_identity == NULL ||
	        strcmp(rec->pusher_identity, f->pusher) != 0))
		return false;
	return true;
}

/* The ref's own decision, and the push's: pre-receive refuses all. */
static bool
landed(const struct tk_audit_record *rec, const struct tk_audit_ref *ref)
{
	return ref->decision != NULL &&
	    strcmp(ref->decision, "accepted") == 0 && rec->decision != NULL &&
	    strcmp(rec->decision, "accepted") == 0;
}

bool
tk_audit_filter_ref(const struct tk_audit_filter *f,
    const struct tk_audit_record *rec, const struct tk_audit_ref *ref)
{
	const char *want = f->ref_full ? f->ref_full : f->ref;

	/* the ref git wrote: through a symbolic ref, inside a namespace */
	if (want != NULL &&
	    (ref->stored == NULL || strcmp(ref->stored, want) != 0))
		return false;
	if (f->decision == TK_AUDIT_ACCEPTED && !landed(rec, ref))
		return false;
	if (f->decision == TK_AUDIT_REFUSED && landed(rec, ref))
		return false;
	return true;
}

void
tk_audit_filter_release(struct tk_audit_filter *f)
{
	free(f->ref_full);
	f->ref_full = NULL;
}

/*
 * --ref in the log's form (docs/spec.md, "Ref names in records"): a name
 * typed with a backslash is that form already (git allows none in a ref
 * name); one typed with raw bytes that are not UTF-8 is converted.
 */
static int
log_form(char **out, const char *ref)
{
	struct tk_buf b = TK_BUF_INIT(8192);
	int rc;

	if (strchr(ref, '\\') != NULL)
		rc = tk_buf_puts(&b, ref);
	else
		rc = tk_audit_refname(&b, ref, strlen(ref));
	*out = rc == 0 ? tk_buf_detach(&b, NULL) : NULL;
	tk_buf_release(&b);
	return *out != NULL ? 0 : rc < 0 ? rc : TK_ENOMEM;
}

/* What --ref may stand for: a full name, or refs/heads/X and refs/tags/X. */
static int
ref_candidates(const char *arg, char *cand[2])
{
	struct tk_buf b = TK_BUF_INIT(8192);
	bool two = false;
	char *ref;
	int rc;

	cand[0] = cand[1] = NULL;
	if ((rc = log_form(&ref, arg)) < 0)
		return rc;
	if (strncmp(ref, "refs/", 5) == 0)
		cand[0] = tk_strdup(ref);
	else if (strncmp(ref, "heads/", 6) == 0 ||
	    strncmp(ref, "tags/", 5) == 0) {
		(void)tk_buf_printf(&b, "refs/%s", ref);
		cand[0] = tk_buf_detach(&b, NULL);
	} else {
		two = true;
		(void)tk_buf_printf(&b, "refs/heads/%s", ref);
		cand[0] = tk_buf_detach(&b, NULL);
		(void)tk_buf_printf(&b, "refs/tags/%s", ref);
		cand[1] = tk_buf_detach(&b, NULL);
	}
	tk_buf_release(&b);
	free(ref);
	return cand[0] == NULL || (two && cand[1] == NULL) ? TK_ENOMEM : 0;
}

struct seen {
	bool repo, pusher, cand[2];
	size_t records;
};

static void
look(const struct tk_audit_filter *f, const struct tk_audit_record *rec,
    char *const cand[2], struct seen *s)
{
	size_t i, k;

	s->records++;
	if (f->pusher != NULL &&
	    ((rec->pusher_login && strcmp(rec->pusher_login, f->pusher) == 0) ||
	        (rec->pusher_identity &&
	            strcmp(rec->pusher_identity, f->pusher) == 0)))
		s->pusher = true;
	if (f->repo != NULL && !tk_audit_repo_matches(rec->repo, f->repo))
		return;
	s->repo = true;
	for (i = 0; i < rec->nrefs; i++)
		for (k = 0; k < 2; k++)
			if (cand[k] != NULL && rec->refs[i].stored != NULL &&
			    strcmp(rec->refs[i].stored, cand[k]) == 0)
				s->cand[k] = true;
}

static int
judge_names(struct tk_audit_filter *f, char *cand[2], const struct seen *s)
{
	if (f->repo != NULL && !s->repo)
		return tk_error_set(TK_EINVAL,
		    "--repo '%.200s' names no repository in the %zu records "
		    "read",
		    f->repo, s->records);
	if (f->pusher != NULL && !s->pusher)
		return tk_error_set(TK_EINVAL,
		    "--pusher '%.200s' names no pusher in the %zu records read",
		    f->pusher, s->records);
	if (f->ref == NULL)
		return 0;
	if (s->cand[0] && s->cand[1])
		return tk_error_set(TK_EINVAL,
		    "--ref '%.200s' is ambiguous: the log names both %s and "
		    "%s; give the full name",
		    f->ref, cand[0], cand[1]);
	if (!s->cand[0] && !s->cand[1])
		return tk_error_set(TK_EINVAL,
		    "--ref '%.200s': no record names %s%s%s", f->ref, cand[0],
		    cand[1] ? " or " : "", cand[1] ? cand[1] : "");
	f->ref_full = cand[s->cand[0] ? 0 : 1];
	cand[s->cand[0] ? 0 : 1] = NULL; /* transferred */
	return 0;
}

int
tk_audit_filter_resolve(struct tk_audit_filter *f, struct tk_audit_reader *r)
{
	const struct tk_audit_record *rec;
	char *cand[2] = {NULL, NULL};
	struct seen s;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	free(f->ref_full);
	f->ref_full = NULL;
	if (f->ref == NULL && f->repo == NULL && f->pusher == NULL)
		return 0;
	if (f->ref != NULL && (rc = ref_candidates(f->ref, cand)) < 0)
		goto out;
	while ((rc = tk_audit_next(r, &rec)) > 0)
		look(f, rec, cand, &s);
	if (rc == 0)
		rc = judge_names(f, cand, &s);
out:
	free(cand[0]);
	free(cand[1]);
	return rc;
}
