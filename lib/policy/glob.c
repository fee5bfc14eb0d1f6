/*
 * Path globs (twokey/glob.h).
 *
 * Paths come from the pusher's trees: any bytes but NUL and '/' in a name,
 * invalid UTF-8, newlines.  So the matcher works on bytes only, never calls
 * the C library's locale-dependent fnmatch(), and never recurses: both
 * levels (bytes within a segment, segments within a path) use the classic
 * two-pointer wildcard algorithm, which backtracks only to the last star.
 * That is exact for these patterns because a star matches any run of
 * items and every other item matches exactly one, and it bounds the work
 * by about len(glob) * len(path); a step counter makes the bound hard.
 */
#include "internal.h"
#include "twokey/glob.h"

enum tok_type { T_LIT, T_ANY, T_STAR, T_CLASS };

struct tok {
	unsigned char type;
	unsigned char byte; /* T_LIT */
	unsigned short cls; /* T_CLASS: index into classes */
};

/* One segment of the glob: "**", or tokens matching one path segment. */
struct seg {
	bool globstar;
	size_t first, n; /* tokens */
};

struct tk_glob {
	char *src;
	struct tok *toks;
	size_t ntoks;
	struct seg *segs;
	size_t nsegs;
	unsigned char (*classes)[32];
	size_t nclasses;
};

struct parser {
	struct tk_glob *g;
	const char *s;
	size_t i, end;
};

static int
bad(const struct parser *p, size_t at, const char *why)
{
	return tk_error_set(
	    TK_EINVAL, "invalid glob at offset %zu: %s", at, why);
}

static void
set_bit(unsigned char *bm, unsigned char c)
{
	bm[c / 8] |= (unsigned char)(1u << (c % 8));
}

/* One class member byte at p->i (an escape taken), advancing past it. */
static int
class_byte(struct parser *p, size_t open, unsigned char *out)
{
	if (p->i >= p->end)
		return bad(p, open, "unterminated '['");
	if (p->s[p->i] == '\\') {
		if (++p->i >= p->end)
			return bad(p, open, "unterminated '['");
	}
	if (p->s[p->i] == '/')
		return bad(p, p->i, "a class never matches '/'");
	*out = (unsigned char)p->s[p->i++];
	return 0;
}

/* "[...]" at p->i: ranges, "!" or "^" negation, "]" first is literal. */
static int
parse_class(struct parser *p)
{
	unsigned char *bm = p->g->classes[p->g->nclasses], lo, hi;
	size_t open = p->i++, k;
	bool neg = false, first = true;
	int rc;

	memset(bm, 0, 32);
	if (p->i < p->end && (p->s[p->i] == '!' || p->s[p->i] == '^')) {
		neg = true;
		p->i++;
	}
	for (;;) {
		if (p->i >= p->end)
			return bad(p, open, "unterminated '['");
		if (p->s[p->i] == ']' && !first)
			break;
		first = false;
		if ((rc = class_byte(p, open, &lo)) < 0)
			return rc;
		hi = lo;
		if (p->i + 1 < p->end && p->s[p->i] == '-' &&
		    p->s[p->i + 1] != ']') {
			p->i++;
			if ((rc = class_byte(p, open, &hi)) < 0)
				return rc;
			if (hi < lo)
				return bad(
				    p, p->i - 1, "reversed range in '['");
		}
		for (k = lo; k <= hi; k++)
			set_bit(bm, (unsigned char)k);
	}
	p->i++; /* the ']' */
	for (k = 0; neg && k < 32; k++)
		bm[k] = (unsigned char)~bm[k];
	bm['/' / 8] &= (unsigned char)~(1u << ('/' % 8));
	p->g->toks[p->g->ntoks].type = T_CLASS;
	p->g->toks[p->g->ntoks++].cls = (unsigned short)p->g->nclasses++;
	return 0;
}

/* One token at p->i. */
static int
parse_tok(struct parser *p)
{
	struct tok *t = &p->g->toks[p->g->ntoks];
	char c = p->s[p->i];

	memset(t, 0, sizeof(*t));
	if (c == '[')
		return parse_class(p);
	if (c == '*' && p->i + 1 < p->end && p->s[p->i + 1] == '*')
		return bad(p, p->i,
		    "'**' must be a whole path segment, as in 'a/**/b' or "
		    "'**/*.tf'");
	if (c == '\\') {
		if (p->i + 1 >= p->end)
			return bad(p, p->i, "'\\' at the end escapes nothing");
		c = p->s[++p->i];
		if (c == '/')
			return bad(p, p->i, "'/' cannot be escaped");
		t->type = T_LIT;
	} else
		t->type = c == '*' ? T_STAR : c == '?' ? T_ANY : T_LIT;
	t->byte = (unsigned char)c;
	p->i++;
	p->g->ntoks++;
	return 0;
}

static bool
is_dots(const struct tk_glob *g, const struct seg *sg)
{
	size_t k;

	if (sg->n == 0 || sg->n > 2)
		return false;
	for (k = 0; k < sg->n; k++)
		if (g->toks[sg->first + k].type != T_LIT ||
		    g->toks[sg->first + k].byte != '.')
			return false;
	return true;
}

static void
add_globstar(struct tk_glob *g)
{
	if (g->nsegs > 0 && g->segs[g->nsegs - 1].globstar)
		return; /* "**" + "/" + "**" is one "**" */
	memset(&g->segs[g->nsegs], 0, sizeof(g->segs[0]));
	g->segs[g->nsegs++].globstar = true;
}

/* One segment at p->i, up to the next '/' or the end. */
static int
parse_seg(struct parser *p)
{
	struct tk_glob *g = p->g;
	struct seg *sg;
	size_t start = p->i;
	int rc;

	if (p->end - p->i >= 2 && p->s[p->i] == '*' && p->s[p->i + 1] == '*' &&
	    (p->i + 2 == p->end || p->s[p->i + 2] == '/')) {
		p->i += 2;
		add_globstar(g);
		return 0;
	}
	sg = &g->segs[g->nsegs];
	memset(sg, 0, sizeof(*sg));
	sg->first = g->ntoks;
	while (p->i < p->end && p->s[p->i] != '/')
		if ((rc = parse_tok(p)) < 0)
			return rc;
	sg->n = g->ntoks - sg->first;
	if (sg->n == 0)
		return bad(p, start, "empty path segment");
	if (is_dots(g, sg))
		return bad(p, start,
		    "'.' and '..' segments never match a path git stores");
	g->nsegs++;
	return 0;
}

/* Every glob ending in "**" needs one more segment: "a/" + "**" is not "a". */
static void
finish(struct tk_glob *g, bool dir)
{
	if (dir)
		add_globstar(g);
	if (!g->segs[g->nsegs - 1].globstar)
		return;
	g->toks[g->ntoks].type = T_STAR;
	g->segs[g->nsegs - 1].globstar = false;
	g->segs[g->nsegs - 1].first = g->ntoks++;
	g->segs[g->nsegs - 1].n = 1;
	add_globstar(g);
}

static int
parse(struct parser *p)
{
	bool dir = false;
	int rc;

	p->i = p->end > 0 && p->s[0] == '/';
	if (p->end > p->i && p->s[p->end - 1] == '/') {
		p->end--;
		dir = true;
	}
	if (p->i >= p->end)
		return bad(p, 0, "empty glob");
	for (;;) {
		if ((rc = parse_seg(p)) < 0)
			return rc;
		if (p->i >= p->end)
			break;
		if (++p->i >= p->end) /* "a//" with the last '/' taken */
			return bad(p, p->i, "empty path segment");
	}
	finish(p->g, dir);
	return 0;
}

int
tk_glob_compile(struct tk_glob **out, const char *src, size_t len)
{
	struct tk_glob *g = NULL;
	struct parser p;
	int rc = TK_ENOMEM;

	*out = NULL;
	if (len > TK_GLOB_MAX_LEN)
		return tk_error_set(
		    TK_ETOOBIG, "glob longer than %d bytes", TK_GLOB_MAX_LEN);
	if (memchr(src, '\0', len) != NULL)
		return tk_error_set(TK_EINVAL, "NUL byte in glob");
	/* Each byte makes at most one token, segment or class; +3 for finish */
	if ((g = tk_calloc(1, sizeof(*g))) == NULL ||
	    (g->src = tk_strndup(src, len)) == NULL ||
	    (g->toks = tk_calloc(len + 3, sizeof(*g->toks))) == NULL ||
	    (g->segs = tk_calloc(len + 3, sizeof(*g->segs))) == NULL ||
	    (g->classes = tk_calloc(len / 2 + 1, sizeof(*g->classes))) == NULL)
		goto out;
	memset(&p, 0, sizeof(p));
	p.g = g;
	p.s = src;
	p.end = len;
	if ((rc = parse(&p)) < 0)
		goto out;
	*out = g;
	g = NULL; /* transferred */
out:
	if (rc == TK_ENOMEM)
		tk_error_set(rc, "out of memory");
	tk_glob_free(g);
	return rc;
}

static bool
tok_matches(const struct tk_glob *g, const struct tok *t, unsigned char b)
{
	switch (t->type) {
	case T_LIT:
		return t->byte == b;
	case T_CLASS:
		return (g->classes[t->cls][b / 8] >> (b % 8)) & 1;
	default: /* T_ANY; a segment holds no '/' */
		return true;
	}
}

/* One glob segment against one path segment s[0..n). */
static bool
seg_matches(const struct tk_glob *g, const struct seg *sg, const char *s,
    size_t n, size_t *steps)
{
	const struct tok *t = g->toks + sg->first;
	size_t ti = 0, bi = 0, star_ti = SIZE_MAX, star_bi = 0;

	while (bi < n) {
		if (++*steps > TK_GLOB_MAX_STEPS)
			return false;
		if (ti < sg->n && t[ti].type == T_STAR) {
			star_ti = ti++;
			star_bi = bi;
		} else if (ti < sg->n &&
		    tok_matches(g, &t[ti], (unsigned char)s[bi])) {
			ti++;
			bi++;
		} else if (star_ti != SIZE_MAX) {
			ti = star_ti + 1;
			bi = ++star_bi;
		} else
			return false;
	}
	while (ti < sg->n && t[ti].type == T_STAR)
		ti++;
	return ti == sg->n;
}

/* Offset of the segment after the one at off; len + 1 past the last. */
static size_t
next_seg(const char *path, size_t len, size_t off)
{
	const char *sl = memchr(path + off, '/', len - off);

	return sl != NULL ? (size_t)(sl - path) + 1 : len + 1;
}

static size_t
seg_len(const char *path, size_t len, size_t off)
{
	return next_seg(path, len, off) - off - 1;
}

int
tk_glob_match(const struct tk_glob *g, const char *path, size_t len)
{
	size_t pi = 0, si = 0, star_pi = SIZE_MAX, star_si = 0, steps = 0;

	while (si <= len) {
		if (++steps > TK_GLOB_MAX_STEPS)
			break;
		if (pi < g->nsegs && g->segs[pi].globstar) {
			star_pi = pi++;
			star_si = si;
		} else if (pi < g->nsegs &&
		    seg_matches(g, &g->segs[pi], path + si,
		        seg_len(path, len, si), &steps)) {
			pi++;
			si = next_seg(path, len, si);
		} else if (steps > TK_GLOB_MAX_STEPS)
			break;
		else if (star_pi != SIZE_MAX) {
			pi = star_pi + 1;
			si = star_si = next_seg(path, len, star_si);
		} else
			return 0;
	}
	if (steps > TK_GLOB_MAX_STEPS)
		return tk_error_set(TK_ETOOBIG,
		    "glob '%s' needs more than %d steps for one path", g->src,
		    TK_GLOB_MAX_STEPS);
	while (pi < g->nsegs && g->segs[pi].globstar)
		pi++;
	return pi == g->nsegs;
}

/* Adds the states a "**" at s or after it lets the match skip to. */
static void
close_globstars(const struct tk_glob *g, bool *st)
{
	size_t s;

	for (s = 0; s < g->nsegs; s++)
		if (st[s] && g->segs[s].globstar)
			st[s + 1] = true;
}

/*
 * Whether g matches a path below path: path + "/" + more segments.  The
 * matcher above follows one alignment; this one keeps the set of glob
 * positions every alignment of path's segments can reach (at most
 * nsegs + 1), since "**" + "/a" matches "a/a" below "a" although it
 * matches "a" itself too.  Every segment left after the path can be met
 * by some name, so any position short of the end will do.
 */
int
tk_glob_match_below(const struct tk_glob *g, const char *path, size_t len)
{
	bool *cur, *nxt, *tmp, below = false;
	size_t s, si = 0, n, steps = 0;

	if ((cur = calloc(2 * (g->nsegs + 1), sizeof(*cur))) == NULL)
		return tk_error_set(TK_ENOMEM, "out of memory");
	nxt = cur + g->nsegs + 1;
	cur[0] = true;
	close_globstars(g, cur);
	while (si <= len && steps <= TK_GLOB_MAX_STEPS) {
		n = seg_len(path, len, si);
		memset(nxt, 0, (g->nsegs + 1) * sizeof(*nxt));
		for (s = 0; s < g->nsegs && steps <= TK_GLOB_MAX_STEPS; s++) {
			if (!cur[s] || ++steps > TK_GLOB_MAX_STEPS)
				continue;
			if (g->segs[s].globstar)
				nxt[s] = true;
			else if (seg_matches(
			             g, &g->segs[s], path + si, n, &steps))
				nxt[s + 1] = true;
		}
		close_globstars(g, nxt);
		tmp = cur;
		cur = nxt;
		nxt = tmp;
		si = next_seg(path, len, si);
	}
	for (s = 0; s < g->nsegs; s++)
		below = below || cur[s];
	free(cur < nxt ? cur : nxt);
	if (steps > TK_GLOB_MAX_STEPS)
		return tk_error_set(TK_ETOOBIG,
		    "glob '%s' needs more than %d steps for one path", g->src,
		    TK_GLOB_MAX_STEPS);
	return below;
}

const char *
tk_glob_source(const struct tk_glob *g)
{
	return g->src;
}

void
tk_glob_free(struct tk_glob *g)
{
	if (g == NULL)
		return;
	free(g->src);
	free(g->toks);
	free(g->segs);
	free(g->classes);
	free(g);
}
