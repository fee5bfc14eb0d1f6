/*
 * Listing the refs under a few name prefixes (include/twokey/reflist.h).
 *
 * Why not libgit2's iterator: it loads the whole packed-refs file into a
 * map, 10,000 refs costing more than the rest of a created ref's proof,
 * while the refs that may vouch for a release branch are a few hundred
 * under refs/heads/release/.  What is read here keeps the semantics the
 * hook had through libgit2, or is stricter: a malformed packed-refs line
 * fails the listing (libgit2 fails it too), a loose ref shadows the packed
 * one of its name, and one that is symbolic, a symlink or unreadable
 * vouches for nothing (libgit2 fell back to the packed value of a loose
 * ref it could not read; git leaves such a ref out).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "twokey/digest.h"
#include "twokey/reflist.h"
#include "twokey/repo.h"

/* The most alternatives of a group expanded into prefixes. */
#define MAX_ALTS 32
/* The deepest directory nesting under refs/ read (git allows less). */
#define MAX_DEPTH 64
/* Largest loose ref file read; a direct ref is 41 bytes. */
#define MAX_LOOSE 512

/* ---- literal prefixes of a pattern ---- */

static bool
literal(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '/' || ch == '_' || ch == '-';
}

static bool
quantifier(char ch)
{
	return ch == '?' || ch == '*' || ch == '+' || ch == '{';
}

/* The literal run at s (up to end): characters every match starts with. */
static size_t
run(const char *s, const char *end)
{
	size_t n = 0;

	while (s + n < end && literal((unsigned char)s[n]))
		n++;
	/* "ab?" makes b optional */
	if (n > 0 && s + n < end && quantifier(s[n]))
		n--;
	return n;
}

struct shape {
	bool top; /* a '|' outside every group */
	size_t gpos; /* the group looked into: index of its '(' */
	size_t gend; /* its ')' */
	size_t bars[MAX_ALTS]; /* the '|' directly inside it */
	size_t nbars;
};

/*
 * Walks the pattern as PCRE2 parses it, for the constructs understood
 * here: literals, escapes of one character, classes, plain and (?:...)
 * groups, alternation.  False for anything else (\Q, \c, (? other than
 * (?:, (*, '#', POSIX classes, unbalanced groups): then no prefix is drawn.
 */
static bool
walk(const char *s, size_t len, struct shape *sh)
{
	size_t i, depth = 0, gdepth = 0;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\\':
			if (i + 1 >= len || s[i + 1] == 'Q' || s[i + 1] == 'c')
				return false;
			i++;
			break;
		case '#':
			return false;
		case '[':
			i++;
			if (i < len && s[i] == '^')
				i++;
			if (i < len && s[i] == ']')
				i++;
			for (; i < len && s[i] != ']'; i++) {
				if (s[i] == '\\')
					i++;
				else if (s[i] == '[' && i + 1 < len &&
				    strchr(":.=", s[i + 1]) != NULL)
					return false;
			}
			if (i >= len)
				return false;
			break;
		case '(':
			if (i + 1 < len && s[i + 1] == '*')
				return false;
			if (i + 1 < len && s[i + 1] == '?' &&
			    (i + 2 >= len || s[i + 2] != ':'))
				return false;
			depth++;
			if (i == sh->gpos)
				gdepth = depth;
			break;
		case ')':
			if (depth == 0)
				return false;
			if (gdepth != 0 && depth == gdepth) {
				sh->gend = i;
				gdepth = SIZE_MAX; /* closed */
			}
			depth--;
			break;
		case '|':
			if (depth == 0)
				sh->top = true;
			else if (gdepth != 0 && gdepth != SIZE_MAX &&
			    depth == gdepth) {
				if (sh->nbars == MAX_ALTS)
					return false;
				sh->bars[sh->nbars++] = i;
			}
			break;
		default:
			break;
		}
	}
	return depth == 0;
}

void
tk_reflist_prefixes_free(char **p, size_t n)
{
	size_t i;

	for (i = 0; p != NULL && i < n; i++)
		free(p[i]);
	free(p);
}

static int
add_prefix(char **out, size_t *n, const char *a, size_t alen, const char *b,
    size_t blen)
{
	char *s;

	if (alen + blen == 0) /* no prefix at all */
		return 1;
	if ((s = malloc(alen + blen + 1)) == NULL)
		return tk_error_set(TK_ENOMEM, "out of memory");
	memcpy(s, a, alen);
	memcpy(s + alen, b, blen);
	s[alen + blen] = '\0';
	out[(*n)++] = s;
	return 0;
}

int
tk_reflist_pattern_prefixes(char ***out, size_t *n, const char *src)
{
	struct shape sh;
	const char *p = src, *end = src + strlen(src), *a;
	size_t len, k, alen;
	char **v;
	int rc = 0;

	*out = NULL;
	*n = 0;
	memset(&sh, 0, sizeof(sh));
	if (*p == '^') /* patterns match whole names: '^' changes nothing */
		p++;
	len = run(p, end);
	sh.gpos = SIZE_MAX;
	/* a group right after the run, itself not optional or repeated */
	if (p[len] == '(' && (p[len + 1] != '?' || p[len + 2] == ':'))
		sh.gpos = (size_t)(p + len - src);
	if (!walk(src, (size_t)(end - src), &sh) || sh.top)
		return 0;
	if (sh.gpos != SIZE_MAX &&
	    (sh.gend == 0 || quantifier(src[sh.gend + 1])))
		sh.gpos = SIZE_MAX;
	if ((v = tk_calloc(MAX_ALTS + 2, sizeof(*v))) == NULL)
		return TK_ENOMEM;
	if (sh.gpos == SIZE_MAX) {
		rc = add_prefix(v, n, p, len, "", 0);
	} else {
		a = src + sh.gpos + 1;
		if (*a == '?')
			a += 2; /* "(?:" */
		for (k = 0; k <= sh.nbars && rc == 0; k++) {
			alen =
			    run(a, src + (k < sh.nbars ? sh.bars[k] : sh.gend));
			rc = add_prefix(v, n, p, len, a, alen);
			if (k < sh.nbars)
				a = src + sh.bars[k] + 1;
		}
	}
	if (rc != 0) { /* 1: an empty prefix, any name may match */
		tk_reflist_prefixes_free(v, *n);
		*n = 0;
		return rc < 0 ? rc : 0;
	}
	*out = v;
	return 0;
}

/* ---- the list ---- */

/* Names are copied into blocks of this size: thousands of refs, few
 * allocations. */
#define BLOCK (64 * 1024)

int
tk_reflist_add(
    struct tk_reflist *l, const char *name, size_t len, const git_oid *id)
{
	char *s;

	if (len >= BLOCK)
		return tk_error_set(TK_ETOOBIG, "a ref name too long");
	if (tk_grow_one(&l->refs, l->n, sizeof(*l->refs)) < 0)
		return TK_ENOMEM;
	if (l->left < len + 1) {
		if (tk_grow_one(&l->blocks, l->nblocks, sizeof(*l->blocks)) <
		        0 ||
		    (l->blocks[l->nblocks] = malloc(BLOCK)) == NULL)
			return tk_error_set(TK_ENOMEM, "out of memory");
		l->nblocks++;
		l->left = BLOCK;
	}
	s = l->blocks[l->nblocks - 1] + (BLOCK - l->left);
	l->left -= len + 1;
	memcpy(s, name, len);
	s[len] = '\0';
	l->refs[l->n].name = s;
	git_oid_cpy(&l->refs[l->n].id, id);
	l->n++;
	return 0;
}

void
tk_reflist_release(struct tk_reflist *l)
{
	size_t i;

	for (i = 0; i < l->nblocks; i++)
		free(l->blocks[i]);
	free(l->blocks);
	free(l->refs);
	memset(l, 0, sizeof(*l));
}

/* Moves the blocks (the names) of from to to. */
static int
adopt(struct tk_reflist *to, struct tk_reflist *from)
{
	size_t i, left = to->left;

	for (i = 0; i < from->nblocks; i++) {
		if (tk_grow_one(&to->blocks, to->nblocks, sizeof(*to->blocks)) <
		    0)
			return TK_ENOMEM;
		to->blocks[to->nblocks++] = from->blocks[i];
		from->blocks[i] = NULL;
	}
	from->nblocks = 0;
	/* the last block now is one of from's: no room taken from it */
	to->left = i > 0 ? 0 : left;
	return 0;
}

/* name[0..len) against the NUL-terminated s, as strcmp orders them. */
static int
cmp_name(const char *name, size_t len, const char *s, size_t slen)
{
	int r = memcmp(name, s, len < slen ? len : slen);

	if (r != 0)
		return r;
	return len < slen ? -1 : len > slen;
}

static bool
under(const char *name, size_t len, const char *const *prefixes,
    const size_t *plen, size_t np)
{
	size_t i;

	for (i = 0; i < np; i++)
		if (len >= plen[i] && memcmp(name, prefixes[i], plen[i]) == 0)
			return true;
	return false;
}

/* A name git accepts (check_refname_format), checked on a copy. */
static bool
valid_name(const char *name, size_t len)
{
	char buf[TK_REFLIST_MAX_NAME + 1];

	if (len > TK_REFLIST_MAX_NAME || memchr(name, '\0', len) != NULL)
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return tk_repo_refname_pushable(buf);
}

static bool
hex40(const char *s)
{
	size_t i;

	for (i = 0; i < GIT_OID_HEXSZ; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The packed-refs content being read. */
struct packed {
	const char *buf, *body, *end; /* body: after the header line */
	const char *const *prefixes;
	size_t plen[TK_REFLIST_MAX_PREFIXES], np;
};

static int
packed_bad(const struct packed *pk, const char *at, const char *why)
{
	return tk_error_set(TK_EINVAL,
	    "cannot read packed-refs: at byte %zu: %s", (size_t)(at - pk->buf),
	    why);
}

/* One line of the body: a ref ("<id> <name>") or a peeled value ("^<id>"). */
struct line {
	const char *p, *nl, *name;
	size_t nlen;
	bool peel;
};

static int
read_line(const struct packed *pk, const char *p, struct line *ln)
{
	ln->p = p;
	if ((ln->nl = memchr(p, '\n', (size_t)(pk->end - p))) == NULL)
		return packed_bad(pk, p, "no newline at the end");
	if ((ln->peel = *p == '^')) {
		if (ln->nl - p != 1 + GIT_OID_HEXSZ || !hex40(p + 1))
			return packed_bad(pk, p, "a bad peeled line");
		return 0;
	}
	if (ln->nl - p < GIT_OID_HEXSZ + 2 || p[GIT_OID_HEXSZ] != ' ')
		return packed_bad(pk, p, "not an id and a name");
	ln->name = p + GIT_OID_HEXSZ + 1;
	ln->nlen = (size_t)(ln->nl - ln->name);
	if (ln->nlen > TK_REFLIST_MAX_NAME)
		return packed_bad(pk, p, "a name too long");
	return 0;
}

static int
take(struct tk_reflist *l, const struct packed *pk, const struct line *ln)
{
	git_oid id;

	/* thousands of lines: a table, not git_oid_fromstrn's calls */
	if (!tk_unhex(id.id, ln->p, GIT_OID_RAWSZ))
		return packed_bad(pk, ln->p, "a bad id");
	if (!valid_name(ln->name, ln->nlen))
		return 0; /* git leaves such a ref out */
	return tk_reflist_add(l, ln->name, ln->nlen, &id);
}

/*
 * From p (the start of a ref line) on, the refs under the prefixes; with
 * stop (a sorted file), only until the names pass it.  Every line read is
 * checked; in a sorted file the names must increase.
 */
static int
scan(struct tk_reflist *l, const struct packed *pk, const char *p,
    const char *stop, size_t stoplen)
{
	struct line ln, prev = {NULL, NULL, NULL, 0, false};
	bool after_ref = false;
	int rc;

	for (; p < pk->end; p = ln.nl + 1) {
		if ((rc = read_line(pk, p, &ln)) < 0)
			return rc;
		if (ln.peel) { /* the peeled value of the ref above */
			if (!after_ref)
				return packed_bad(pk, p, "a peeled line alone");
			after_ref = false;
			continue;
		}
		after_ref = true;
		if (stop != NULL && prev.name != NULL &&
		    cmp_name(ln.name, ln.nlen, prev.name, prev.nlen) <= 0)
			return packed_bad(pk, p, "not sorted");
		prev = ln;
		if (stop != NULL ? ln.nlen >= stoplen &&
		            memcmp(ln.name, stop, stoplen) == 0
		                 : under(ln.name, ln.nlen, pk->prefixes,
		                       pk->plen, pk->np)) {
			if ((rc = take(l, pk, &ln)) < 0)
				return rc;
		} else if (stop != NULL &&
		    cmp_name(ln.name, ln.nlen, stop, stoplen) > 0)
			break;
		else if (stop == NULL && !hex40(p))
			return packed_bad(pk, p, "a bad id");
	}
	return 0;
}

/* The start of the line holding p (>= lo, itself a line start). */
static const char *
line_start(const char *lo, const char *p)
{
	while (p > lo && p[-1] != '\n')
		p--;
	return p;
}

/*
 * In a sorted file, the first ref line whose name is not below prefix:
 * a binary search on byte offsets, each probe moved back to the start of
 * its ref line.
 */
static int
seek(const struct packed *pk, const char *prefix, size_t plen, const char **out)
{
	const char *lo = pk->body, *hi = pk->end, *m;
	struct line ln;
	int rc;

	while (lo < hi) {
		m = line_start(lo, lo + (hi - lo) / 2);
		if (*m == '^' && m > lo) /* a peeled line: its ref is above */
			m = line_start(lo, m - 1);
		if ((rc = read_line(pk, m, &ln)) < 0)
			return rc;
		if (ln.peel)
			return packed_bad(pk, m, "a peeled line alone");
		if (cmp_name(ln.name, ln.nlen, prefix, plen) >= 0) {
			hi = m;
			continue;
		}
		lo = ln.nl + 1;
		if (lo < pk->end && *lo == '^') {
			if ((rc = read_line(pk, lo, &ln)) < 0)
				return rc;
			lo = ln.nl + 1;
		}
	}
	*out = lo;
	return 0;
}

/* Is prefix i under another prefix (or the same as an earlier one)? */
static bool
covered(const struct packed *pk, size_t i)
{
	size_t k;

	for (k = 0; k < pk->np; k++)
		if (k != i && pk->plen[k] <= pk->plen[i] &&
		    memcmp(pk->prefixes[i], pk->prefixes[k], pk->plen[k]) ==
		        0 &&
		    (pk->plen[k] < pk->plen[i] || k < i))
			return true;
	return false;
}

int
tk_reflist_parse_packed(struct tk_reflist *l, const char *buf, size_t len,
    const char *const *prefixes, size_t np)
{
	struct packed pk;
	const char *nl, *t, *from = NULL;
	bool sorted = false;
	size_t i;
	int rc = 0;

	if (len > TK_REFLIST_MAX_PACKED)
		return tk_error_set(TK_ETOOBIG,
		    "packed-refs larger than %zu bytes", TK_REFLIST_MAX_PACKED);
	if (np > TK_ARRAY_SIZE(pk.plen))
		return tk_error_set(TK_ETOOBIG, "more than %zu ref prefixes",
		    TK_ARRAY_SIZE(pk.plen));
	memset(&pk, 0, sizeof(pk));
	pk.buf = pk.body = buf;
	pk.end = buf + len;
	pk.prefixes = prefixes;
	pk.np = np;
	for (i = 0; i < np; i++)
		pk.plen[i] = strlen(prefixes[i]);
	if (len > 0 && *buf == '#') {
		/* git: only its header may be a comment; its traits */
		if ((nl = memchr(buf, '\n', len)) == NULL)
			return packed_bad(&pk, buf, "no newline at the end");
		if (nl - buf < 17 || memcmp(buf, "# pack-refs with:", 17) != 0)
			return packed_bad(&pk, buf, "not a pack-refs header");
		for (t = buf + 17; t < nl; t++)
			if (t[-1] == ' ' && nl - t >= 6 &&
			    memcmp(t, "sorted", 6) == 0 &&
			    (t + 6 == nl || t[6] == ' '))
				sorted = true;
		pk.body = nl + 1;
	}
	if (!sorted)
		return scan(l, &pk, pk.body, NULL, 0);
	for (i = 0; i < np && rc == 0; i++) {
		if (covered(&pk, i))
			continue;
		if ((rc = seek(&pk, prefixes[i], pk.plen[i], &from)) == 0)
			rc = scan(l, &pk, from, prefixes[i], pk.plen[i]);
	}
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(
	    ((const struct tk_ref *)a)->name, ((const struct tk_ref *)b)->name);
}

/* ---- reading the repository ---- */

static int
read_packed(struct tk_reflist *l, const char *dir, const char *const *prefixes,
    size_t np)
{
	struct tk_buf path = TK_BUF_INIT(8192);
	struct stat st;
	void *m = NULL;
	int fd, rc;

	if ((rc = tk_buf_printf(&path, "%s/packed-refs", dir)) < 0) {
		tk_buf_release(&path);
		return rc;
	}
	fd = open(path.ptr, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = errno == ENOENT
		    ? 0
		    : tk_error_set(TK_EIO, "cannot open '%s': %s", path.ptr,
		          strerror(errno));
		tk_buf_release(&path);
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		rc = tk_error_set(TK_EINVAL, "'%s' is not a file", path.ptr);
	else if ((uint64_t)st.st_size > TK_REFLIST_MAX_PACKED)
		rc = tk_error_set(TK_ETOOBIG, "'%s' is larger than %zu bytes",
		    path.ptr, TK_REFLIST_MAX_PACKED);
	else if (st.st_size > 0 &&
	    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
	         0)) == MAP_FAILED) {
		m = NULL;
		rc = tk_error_set(
		    TK_EIO, "cannot map '%s': %s", path.ptr, strerror(errno));
	}
	close(fd);
	if (rc == 0 && m != NULL)
		rc = tk_reflist_parse_packed(
		    l, m, (size_t)st.st_size, prefixes, np);
	if (m != NULL)
		munmap(m, (size_t)st.st_size);
	tk_buf_release(&path);
	return rc;
}

/* A loose ref: 1 direct (*id set), 0 anything else (shadows, no vouch). */
static int
read_loose(const char *path, git_oid *id)
{
	char buf[MAX_LOOSE];
	ssize_t r;
	int fd;

	if ((fd = open(path,
	         O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW)) <
	    0)
		return 0;
	r = read(fd, buf, sizeof(buf));
	close(fd);
	/* git: 40 hex digits, then the end or white space */
	if (r < GIT_OID_HEXSZ || !hex40(buf))
		return 0;
	if (r > GIT_OID_HEXSZ &&
	    (buf[GIT_OID_HEXSZ] == '\0' ||
	        strchr(" \t\n\r\v\f", buf[GIT_OID_HEXSZ]) == NULL))
		return 0;
	return tk_unhex(id->id, buf, GIT_OID_RAWSZ);
}

/* One directory to read: its name under the common directory. */
struct pending {
	char *rel; /* "refs/heads/" and the like, ending in '/' */
	size_t depth;
};

/*
 * The loose refs under dir whose names begin with one of prefixes, every
 * one of them (direct or not) in *loose, the direct ones with their id
 * and the others with the zero id.  Iterative: the names are pushers'.
 */
static int
read_loose_all(struct tk_reflist *loose, const char *dir,
    const char *const *prefixes, size_t np)
{
	struct pending *todo = NULL;
	size_t ntodo = 0, i, pl, k, nl;
	struct tk_buf full = TK_BUF_INIT(TK_REFLIST_MAX_NAME + 8192);
	size_t plen[TK_REFLIST_MAX_PREFIXES];
	struct dirent *de;
	struct stat st;
	const char *slash;
	char *rel = NULL, *name = NULL;
	size_t depth;
	DIR *d;
	git_oid id;
	int rc = 0;

	/* start from each prefix's directory ("refs/heads/" for
	 * "refs/heads/main"); a directory met twice is read twice, its refs
	 * then listed twice and merged below */
	for (i = 0; i < np && rc == 0; i++) {
		pl = strlen(prefixes[i]);
		if ((slash = memrchr(prefixes[i], '/', pl)) == NULL)
			continue; /* no loose refs outside refs/ */
		if ((rc = tk_grow_one(&todo, ntodo, sizeof(*todo))) < 0 ||
		    (todo[ntodo].rel = tk_strndup(prefixes[i],
		         (size_t)(slash - prefixes[i]) + 1)) == NULL) {
			rc = TK_ENOMEM;
			break;
		}
		todo[ntodo++].depth = 0;
	}
	for (i = 0; i < np && i < TK_ARRAY_SIZE(plen); i++)
		plen[i] = strlen(prefixes[i]);
	while (rc == 0 && ntodo > 0) {
		rel = todo[--ntodo].rel;
		depth = todo[ntodo].depth;
		tk_buf_reset(&full);
		if ((rc = tk_buf_printf(&full, "%s/%s", dir, rel)) < 0)
			break;
		if ((d = opendir(full.ptr)) == NULL) {
			if (errno != ENOENT && errno != ENOTDIR)
				rc =
				    tk_error_set(TK_EIO, "cannot read '%s': %s",
				        full.ptr, strerror(errno));
			free(rel);
			rel = NULL;
			continue;
		}
		while (rc == 0 && (de = readdir(d)) != NULL) {
			nl = strlen(de->d_name);
			/* git reads no ".*" entries and no "*.lock" files */
			if (de->d_name[0] == '.' ||
			    (nl >= 5 &&
			        strcmp(de->d_name + nl - 5, ".lock") == 0))
				continue;
			free(name);
			if ((name = malloc(strlen(rel) + nl + 2)) == NULL) {
				rc = TK_ENOMEM;
				break;
			}
			k = strlen(rel);
			memcpy(name, rel, k);
			memcpy(name + k, de->d_name, nl + 1);
			tk_buf_reset(&full);
			if ((rc = tk_buf_printf(&full, "%s/%s", dir, name)) < 0)
				break;
			if (lstat(full.ptr, &st) < 0)
				continue; /* gone meanwhile */
			if (S_ISDIR(st.st_mode)) {
				/* only where a prefix may lie below */
				name[k + nl] = '/';
				name[k + nl + 1] = '\0';
				for (i = 0; i < np; i++) {
					pl = strlen(prefixes[i]);
					if (strncmp(name, prefixes[i],
					        k + nl + 1 < pl ? k + nl + 1
					                        : pl) == 0)
						break;
				}
				if (i == np)
					continue;
				if (depth + 1 > MAX_DEPTH) {
					rc = tk_error_set(TK_ETOOBIG,
					    "refs nested deeper than %d "
					    "directories",
					    MAX_DEPTH);
					break;
				}
				if ((rc = tk_grow_one(
				         &todo, ntodo, sizeof(*todo))) < 0)
					break;
				todo[ntodo].rel = name;
				todo[ntodo++].depth = depth + 1;
				name = NULL;
				continue;
			}
			if (!under(name, k + nl, prefixes, plen, np) ||
			    !valid_name(name, k + nl))
				continue;
			if (!S_ISREG(st.st_mode) ||
			    read_loose(full.ptr, &id) != 1)
				memset(&id, 0, sizeof(id)); /* shadows only */
			rc = tk_reflist_add(loose, name, k + nl, &id);
		}
		closedir(d);
		free(rel);
		rel = NULL;
	}
	free(name);
	free(rel);
	while (ntodo > 0)
		free(todo[--ntodo].rel);
	free(todo);
	tk_buf_release(&full);
	return rc;
}

static void
sort_names(struct tk_reflist *l)
{
	size_t i;

	for (i = 1; i < l->n; i++)
		if (strcmp(l->refs[i - 1].name, l->refs[i].name) > 0)
			break;
	if (i < l->n) /* a sorted file read prefix by prefix is sorted */
		qsort(l->refs, l->n, sizeof(*l->refs), by_name);
}

/* Moves r to out (its name stays in its block: adopt()). */
static int
move(struct tk_reflist *out, const struct tk_ref *r)
{
	if (tk_grow_one(&out->refs, out->n, sizeof(*out->refs)) < 0)
		return TK_ENOMEM;
	out->refs[out->n++] = *r;
	return 0;
}

/*
 * Packed and loose, sorted, a loose name shadowing the packed one; out
 * takes their names (blocks).
 */
static int
merge(
    struct tk_reflist *out, struct tk_reflist *packed, struct tk_reflist *loose)
{
	size_t i = 0, k = 0;
	const struct tk_ref *r;
	int c, rc = 0;

	if ((rc = adopt(out, packed)) < 0 || (rc = adopt(out, loose)) < 0)
		return rc;
	sort_names(packed);
	sort_names(loose);
	for (i = 1; i < packed->n; i++)
		if (strcmp(packed->refs[i - 1].name, packed->refs[i].name) == 0)
			return tk_error_set(TK_EINVAL,
			    "cannot read packed-refs: a name listed twice");
	i = 0;
	while (rc == 0 && (i < packed->n || k < loose->n)) {
		if (i == packed->n)
			c = 1;
		else if (k == loose->n)
			c = -1;
		else
			c = strcmp(packed->refs[i].name, loose->refs[k].name);
		if (c < 0) {
			r = &packed->refs[i++];
		} else {
			if (c == 0)
				i++;
			r = &loose->refs[k++];
			/* the same loose name met twice (overlapping starts) */
			while (k < loose->n &&
			    strcmp(loose->refs[k].name, r->name) == 0)
				k++;
			if (git_oid_is_zero(&r->id))
				continue;
		}
		rc = move(out, r);
	}
	return rc;
}

static int
ref_storage(git_repository *repo)
{
	git_config *cfg = NULL;
	git_buf v = {NULL, 0, 0};
	int r, rc = 0;

	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return tk_error_set(
		    TK_EINVAL, "cannot read the repository's configuration");
	r = git_config_get_string_buf(&v, cfg, "extensions.refstorage");
	if (r == 0 || r != GIT_ENOTFOUND)
		rc = tk_error_set(TK_EUNSUPPORTED,
		    "refs stored in a way not read here (extensions.refStorage)");
	git_buf_dispose(&v);
	git_config_free(cfg);
	return rc;
}

int
tk_reflist_load(struct tk_reflist *l, git_repository *repo,
    const char *const *prefixes, size_t np)
{
	struct tk_reflist packed = TK_REFLIST_INIT, loose = TK_REFLIST_INIT;
	struct tk_buf dir = TK_BUF_INIT(8192);
	size_t n;
	int rc;

	memset(l, 0, sizeof(*l));
	if (np > TK_REFLIST_MAX_PREFIXES)
		return TK_EUNSUPPORTED; /* listed through libgit2 */
	if ((rc = ref_storage(repo)) < 0)
		return rc;
	if ((rc = tk_buf_puts(&dir, git_repository_commondir(repo))) < 0)
		goto out;
	n = dir.len;
	while (n > 1 && dir.ptr[n - 1] == '/')
		n--;
	tk_buf_truncate(&dir, n);
	if ((rc = read_packed(&packed, dir.ptr, prefixes, np)) < 0 ||
	    (rc = read_loose_all(&loose, dir.ptr, prefixes, np)) < 0 ||
	    (rc = merge(l, &packed, &loose)) < 0)
		tk_reflist_release(l);
out:
	tk_reflist_release(&packed);
	tk_reflist_release(&loose);
	tk_buf_release(&dir);
	return rc;
}
