/*
 * Ref-name patterns.  The only file that includes PCRE2.
 *
 * Threats: an unanchored or "$"-anchored pattern that matches more than the
 * admin meant ("main$" also matches "main\n"; "^a|b$" matches "xb"), and a
 * pattern with catastrophic backtracking that stalls every push.  Patterns
 * are compiled anchored at both ends with DOLLAR_ENDONLY, and every match
 * runs under a match limit; reaching it is an error, never a "no match".
 *
 * Ref names are bytes, not necessarily UTF-8, so patterns work on bytes:
 * in UTF mode with MATCH_INVALID_UTF no pattern item can match an invalid
 * sequence, and a catch-all rule '.*' would let "refs/heads/\xff" (a name
 * git accepts) through as matched by no rule.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>

#include "internal.h"
#include "twokey/pattern.h"

struct tk_pattern {
	pcre2_code *code;
	pcre2_match_context *mctx;
};

static int
pcre2_message(int code, const char *what, size_t offset)
{
	PCRE2_UCHAR msg[256];

	if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", code);
	if (offset == SIZE_MAX) /* a match failed: no offset to show */
		return tk_error_set(TK_EINVAL, "%s: %s", what, (char *)msg);
	return tk_error_set(
	    TK_EINVAL, "%s at offset %zu: %s", what, offset, (char *)msg);
}

int
tk_pattern_compile(struct tk_pattern **out, const char *src, size_t len)
{
	struct tk_pattern *p = NULL;
	pcre2_compile_context *cctx = NULL;
	uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED |
	    PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_UTF;
	PCRE2_SIZE erroff = 0;
	int err = 0, rc = TK_ENOMEM;

	*out = NULL;
	if (len > TK_PATTERN_MAX_LEN)
		return tk_error_set(TK_ETOOBIG, "pattern longer than %d bytes",
		    TK_PATTERN_MAX_LEN);
	if ((p = tk_calloc(1, sizeof(*p))) == NULL ||
	    (cctx = pcre2_compile_context_create(NULL)) == NULL ||
	    (p->mctx = pcre2_match_context_create(NULL)) == NULL)
		goto out;
	pcre2_set_max_pattern_length(cctx, TK_PATTERN_MAX_LEN);
	pcre2_set_parens_nest_limit(cctx, 64);
	p->code =
	    pcre2_compile((PCRE2_SPTR)src, len, opts, &err, &erroff, cctx);
	if (p->code == NULL) {
		rc = pcre2_message(err, "invalid pattern", erroff);
		goto out;
	}
	/*
	 * No JIT: compiling costs more than the few matches a push makes (a
	 * ref name against each rule), and it needs memory that is both
	 * writable and executable.
	 */
	pcre2_set_match_limit(p->mctx, TK_PATTERN_MATCH_LIMIT);
	pcre2_set_depth_limit(p->mctx, TK_PATTERN_MATCH_LIMIT);
	pcre2_set_heap_limit(p->mctx, 20 * 1024);
	*out = p;
	p = NULL; /* transferred */
	rc = 0;
out:
	if (rc == TK_ENOMEM)
		tk_error_set(rc, "out of memory");
	pcre2_compile_context_free(cctx);
	tk_pattern_free(p);
	return rc;
}

/*
 * One match data per thread, kept across matches: creating one per match
 * also allocates its backtracking frames each time, and a created ref
 * matches thousands of ref names against the rules.  No captures are
 * read, so one pair of offsets is enough (pcre2_match then returns 0 on
 * a match).  Freed when its thread ends.
 */
static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static bool md_key_ok;

static void
md_free(void *md)
{
	pcre2_match_data_free(md);
}

static void
md_init(void)
{
	md_key_ok = pthread_key_create(&md_key, md_free) == 0;
}

static pcre2_match_data *
thread_md(void)
{
	pcre2_match_data *md;

	if (pthread_once(&md_once, md_init) != 0 || !md_key_ok)
		return NULL;
	if ((md = pthread_getspecific(md_key)) != NULL)
		return md;
	if ((md = pcre2_match_data_create(1, NULL)) != NULL &&
	    pthread_setspecific(md_key, md) != 0) {
		pcre2_match_data_free(md);
		md = NULL;
	}
	return md;
}

int
tk_pattern_match(const struct tk_pattern *p, const char *subject, size_t len)
{
	pcre2_match_data *md, *own = NULL;
	int r;

	if ((md = thread_md()) == NULL &&
	    (md = own = pcre2_match_data_create(1, NULL)) == NULL)
		return tk_error_set(TK_ENOMEM, "out of memory");
	r = pcre2_match(p->code, (PCRE2_SPTR)subject, len, 0, 0, md, p->mctx);
	pcre2_match_data_free(own);
	if (r >= 0)
		return 1;
	if (r == PCRE2_ERROR_NOMATCH)
		return 0;
	/* Limits reached, bad UTF and the like: undecided, so refuse. */
	(void)pcre2_message(r, "pattern cannot be evaluated", SIZE_MAX);
	return TK_ERROR;
}

/*
 * A partial match (PCRE2_PARTIAL_SOFT) says whether the subject could be
 * the beginning of a match: PCRE2 decides it on the compiled pattern, so
 * alternatives, groups and classes need no analysis here.  PCRE2 refuses
 * partial matching with PCRE2_ENDANCHORED, so the pattern is compiled
 * again as "(?:src)\z" (the same whole-name match), for the interpreter,
 * under the same limits.  A source that does not survive the wrapping
 * (an unterminated \Q, an extended-mode comment) is an error: undecided.
 */
int
tk_pattern_may_start_with(
    const char *src, size_t srclen, const char *prefix, size_t len)
{
	struct tk_buf w = TK_BUF_INIT(TK_PATTERN_MAX_LEN + 16);
	pcre2_code *code = NULL;
	pcre2_match_context *mctx = NULL;
	pcre2_match_data *md = NULL;
	PCRE2_SIZE erroff = 0;
	int err = 0, r, rc;

	(void)tk_buf_puts(&w, "(?:");
	(void)tk_buf_put(&w, src, srclen);
	if (tk_buf_puts(&w, ")\\z") < 0) {
		rc = tk_error_set(TK_ETOOBIG, "pattern too long");
		goto out;
	}
	if ((code = pcre2_compile((PCRE2_SPTR)w.ptr, w.len,
	         PCRE2_ANCHORED | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_UTF, &err,
	         &erroff, NULL)) == NULL) {
		rc = pcre2_message(err, "invalid pattern", erroff);
		goto out;
	}
	if ((mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (md = pcre2_match_data_create_from_pattern(code, NULL)) == NULL) {
		rc = tk_error_set(TK_ENOMEM, "out of memory");
		goto out;
	}
	pcre2_set_match_limit(mctx, TK_PATTERN_MATCH_LIMIT);
	pcre2_set_depth_limit(mctx, TK_PATTERN_MATCH_LIMIT);
	pcre2_set_heap_limit(mctx, 20 * 1024);
	r = pcre2_match(
	    code, (PCRE2_SPTR)prefix, len, 0, PCRE2_PARTIAL_SOFT, md, mctx);
	if (r >= 0 || r == PCRE2_ERROR_PARTIAL)
		rc = 1;
	else if (r == PCRE2_ERROR_NOMATCH)
		rc = 0;
	else
		rc = pcre2_message(r, "pattern cannot be evaluated", SIZE_MAX);
out:
	pcre2_match_data_free(md);
	pcre2_match_context_free(mctx);
	pcre2_code_free(code);
	tk_buf_release(&w);
	return rc;
}

void
tk_pattern_free(struct tk_pattern *p)
{
	if (p == NULL)
		return;
	pcre2_code_free(p->code);
	pcre2_match_context_free(p->mctx);
	free(p);
}
