/*
 * Reading git's commit-graph file (include/twokey/cgraph.h).
 *
 * Threat: the file lies in the server's object store, which pushes cannot
 * write (receive-pack stores packs and loose objects, never files under
 * objects/info), but a damaged or truncated file, or one written by
 * another git for another repository, must not make a created ref look
 * vouched for.  So its structure (header, chunk table, fanout, chunk
 * sizes) is checked before any of it is used and every position read from
 * it is bounds-checked.  Its SHA-1 checksum (a full read of a file of tens
 * of megabytes) is checked either at once (tk_cgraph_open) or, for a graph
 * opened as a hint (tk_cgraph_open_hint), only before the caller trusts
 * it without checking its answer: a positive answer the caller confirms
 * against the objects themselves (each commit of the first-parent path it
 * found read, its first parent compared) needs no checksum; a long path,
 * or a negative answer the caller wants to rest on, calls
 * tk_cgraph_verify first.  Callers also check the tip's tree and first
 * parent against its object.
 */
#include <fcntl.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "twokey/cgraph.h"
#include "twokey/digest.h"

#define HDR 8
#define OIDLEN 20
#define CDAT_W (OIDLEN + 16)
#define PARENT_NONE 0x70000000u
#define GEN_V1_MAX 0x3FFFFFFFu
#define MAX_CHUNKS 64

struct tk_cgraph {
	const unsigned char *map;
	size_t size;
	bool mapped; /* map is ours to unmap (not a caller's buffer) */
	int sum; /* the checksum: 0 not checked yet, 1 matches, -1 does not */
	uint32_t n;
	const unsigned char *fanout, *oids, *cdat;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static int
bad(const char *why)
{
	return tk_error_set(TK_EINVAL, "commit-graph not used: %s", why);
}

/* Finds chunk id in the table; its bounds, checked against the file. */
static int
chunk(const struct tk_cgraph *g, unsigned nchunks, const char *id,
    const unsigned char **start, uint64_t *len)
{
	const unsigned char *t = g->map + HDR;
	uint64_t off, next, end = g->size - OIDLEN;
	unsigned i;

	for (i = 0; i < nchunks; i++, t += 12) {
		if (memcmp(t, id, 4) != 0)
			continue;
		off = be64(t + 4);
		next = be64(t + 16);
		if (off < HDR + 12 * ((uint64_t)nchunks + 1) || next < off ||
		    next > end)
			return bad("a chunk lies outside the file");
		*start = g->map + off;
		*len = next - off;
		return 0;
	}
	return bad("a required chunk is missing");
}

/* Header, chunk table, fanout and the sizes of the chunks read. */
static int
check_layout(struct tk_cgraph *g)
{
	const unsigned char *p = g->map;
	uint64_t flen, olen, clen;
	unsigned nchunks, i;
	int rc;

	if (g->size < HDR + 12 + OIDLEN || memcmp(p, "CGPH", 4) != 0)
		return bad("not a commit-graph file");
	if (p[4] != 1 || p[5] != 1)
		return bad("not version 1 with SHA-1 ids");
	if (p[7] != 0)
		return bad("a split graph (base graphs)");
	nchunks = p[6];
	if (nchunks > MAX_CHUNKS ||
	    g->size < HDR + 12 * ((size_t)nchunks + 1) + OIDLEN ||
	    be32(p + HDR + 12 * nchunks) != 0)
		return bad("bad chunk table");
	if ((rc = chunk(g, nchunks, "OIDF", &g->fanout, &flen)) < 0 ||
	    (rc = chunk(g, nchunks, "OIDL", &g->oids, &olen)) < 0 ||
	    (rc = chunk(g, nchunks, "CDAT", &g->cdat, &clen)) < 0)
		return rc;
	if (flen != 256 * 4)
		return bad("bad fanout");
	for (i = 1; i < 256; i++)
		if (be32(g->fanout + 4 * i) < be32(g->fanout + 4 * (i - 1)))
			return bad("bad fanout");
	g->n = be32(g->fanout + 4 * 255);
	if (g->n >= PARENT_NONE || olen != (uint64_t)g->n * OIDLEN ||
	    clen != (uint64_t)g->n * CDAT_W)
		return bad("chunk sizes do not match the commit count");
	return 0;
}

static int
check_sum(struct tk_cgraph *g)
{
	unsigned char d[TK_SHA1_LEN];
	int rc;

	if (g->sum == 0) {
		if ((rc = tk_sha1(d, g->map, g->size - OIDLEN)) < 0)
			return rc;
		g->sum =
		    memcmp(d, g->map + g->size - OIDLEN, OIDLEN) == 0 ? 1 : -1;
	}
	return g->sum > 0 ? 0 : bad("its checksum does not match");
}

static int
map_file(struct tk_cgraph *g, const char *path)
{
	struct stat st;
	void *m;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return errno == ENOENT
		    ? tk_error_set(TK_ENOTFOUND, "no commit-graph")
		    : tk_error_set(TK_EIO, "cannot open '%s': %s", path,
		          strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return bad("not a regular file");
	}
	if ((uint64_t)st.st_size > TK_CGRAPH_MAX_SIZE) {
		close(fd);
		return tk_error_set(TK_ETOOBIG,
		    "commit-graph not used: larger than %zu bytes",
		    TK_CGRAPH_MAX_SIZE);
	}
	g->size = (size_t)st.st_size;
	if (g->size == 0) {
		close(fd);
		return bad("empty");
	}
	m = mmap(NULL, g->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return tk_error_set(
		    TK_EIO, "cannot map '%s': %s", path, strerror(errno));
	g->map = m;
	g->mapped = true;
	return 0;
}

int
tk_cgraph_parse(struct tk_cgraph **out, const void *data, size_t len)
{
	struct tk_cgraph *g;
	int rc;

	*out = NULL;
	if (len > TK_CGRAPH_MAX_SIZE)
		return tk_error_set(TK_ETOOBIG,
		    "commit-graph not used: larger than %zu bytes",
		    TK_CGRAPH_MAX_SIZE);
	if ((g = tk_calloc(1, sizeof(*g))) == NULL)
		return TK_ENOMEM;
	g->map = data;
	g->size = len;
	if ((rc = check_layout(g)) < 0 || (rc = check_sum(g)) < 0) {
		tk_cgraph_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

static int
open_file(struct tk_cgraph **out, const char *path, bool sum)
{
	struct tk_cgraph *g;
	int rc;

	*out = NULL;
	if ((g = tk_calloc(1, sizeof(*g))) == NULL)
		return TK_ENOMEM;
	if ((rc = map_file(g, path)) < 0 || (rc = check_layout(g)) < 0 ||
	    (sum && (rc = check_sum(g)) < 0))
		goto out;
	*out = g;
	g = NULL; /* transferred */
out:
	tk_cgraph_free(g);
	return rc;
}

int
tk_cgraph_open_file(struct tk_cgraph **out, const char *path)
{
	return open_file(out, path, true);
}

static int
open_repo(struct tk_cgraph **out, git_repository *repo, bool sum)
{
	struct tk_buf path = TK_BUF_INIT(8192);
	git_config *cfg = NULL;
	int on = 1, rc;

	*out = NULL;
	/* git reads no graph when core.commitGraph is false */
	if (git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_bool(&on, cfg, "core.commitGraph") < 0)
		on = 1;
	git_config_free(cfg);
	if (!on)
		return tk_error_set(TK_ENOTFOUND, "commit-graph disabled");
	if ((rc = tk_buf_printf(&path, "%sobjects/info/commit-graph",
	         git_repository_path(repo))) < 0) {
		tk_buf_release(&path);
		return rc == TK_ENOMEM
		    ? rc
		    : tk_error_set(TK_ETOOBIG, "repository path too long");
	}
	rc = open_file(out, path.ptr, sum);
	tk_buf_release(&path);
	return rc;
}

int
tk_cgraph_open(struct tk_cgraph **out, git_repository *repo)
{
	return open_repo(out, repo, true);
}

int
tk_cgraph_open_hint(struct tk_cgraph **out, git_repository *repo)
{
	return open_repo(out, repo, false);
}

int
tk_cgraph_verify(struct tk_cgraph *g)
{
	return check_sum(g);
}

bool
tk_cgraph_verified(const struct tk_cgraph *g)
{
	return g->sum > 0;
}

void
tk_cgraph_free(struct tk_cgraph *g)
{
	if (g == NULL)
		return;
	if (g->mapped)
		munmap((void *)(uintptr_t)g->map, g->size);
	free(g);
}

uint32_t
tk_cgraph_count(const struct tk_cgraph *g)
{
	return g->n;
}

/* The first 8 bytes of an object id as a number that sorts as they do. */
static uint64_t
head8(const unsigned char *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 |
	    (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 |
	    (uint64_t)p[5] << 16 | (uint64_t)p[6] << 8 | p[7];
}

/* How the id at pos sorts against id (whose first 8 bytes are want). */
static int
cmp_at(
    const struct tk_cgraph *g, uint32_t pos, uint64_t want, const git_oid *id)
{
	uint64_t have = head8(g->oids + (size_t)pos * OIDLEN);

	if (have != want)
		return have < want ? -1 : 1;
	return memcmp(
	    g->oids + (size_t)pos * OIDLEN + 8, id->id + 8, OIDLEN - 8);
}

/*
 * The bucket of id (ids with its first byte: [*lo, *hi)) and, when it is
 * large enough to narrow, the two probes a <= b either side of the guess
 * (true).  False for a bucket the fanout cannot hold (cannot happen: the
 * fanout was checked) or too small to narrow (then *a = *b = *lo).
 */
static bool
probes(const struct tk_cgraph *g, const git_oid *id, uint64_t want,
    uint32_t *lo, uint32_t *hi, uint32_t *a, uint32_t *b)
{
	uint32_t guess;

	*lo = id->id[0] == 0 ? 0 : be32(g->fanout + 4 * (id->id[0] - 1));
	*hi = be32(g->fanout + 4 * id->id[0]);
	*a = *b = *lo;
	if (*hi > g->n || *lo > *hi || *hi - *lo <= 128)
		return false;
	guess = *lo +
	    (uint32_t)((((want >> 24) & 0xffffffffu) * (uint64_t)(*hi - *lo)) >>
	        32);
	*a = guess - *lo > 32 ? guess - 32 : *lo;
	*b = *hi - 1 - guess > 32 ? guess + 32 : *hi - 1;
	return true;
}

/*
 * A created ref looks up thousands of vouching refs.  Ids are uniform
 * within their first byte's bucket, so the bytes after it say about where
 * in the bucket the id lies: two probes 32 places either side of that
 * guess usually narrow the binary search to 64 neighbouring ids (a few
 * cache lines) instead of the whole bucket.  The probes only narrow, by
 * the order alone; a guess far off costs them and nothing else.  The
 * comparisons take the ids' first 8 bytes as one number, and compare
 * byte by byte only on a tie.
 */
bool
tk_cgraph_find(const struct tk_cgraph *g, const git_oid *id, uint32_t *pos)
{
	uint64_t want = head8(id->id);
	uint32_t lo, hi, mid, a, b;
	int cmp;

	if (probes(g, id, want, &lo, &hi, &a, &b)) {
		if ((cmp = cmp_at(g, a, want, id)) == 0) {
			*pos = a;
			return true;
		}
		if (cmp > 0)
			hi = a;
		else {
			lo = a + 1;
			if ((cmp = cmp_at(g, b, want, id)) == 0) {
				*pos = b;
				return true;
			}
			if (cmp > 0)
				hi = b;
			else
				lo = b + 1;
		}
	} else if (hi > g->n || lo > hi)
		return false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = cmp_at(g, mid, want, id);
		if (cmp == 0) {
			*pos = mid;
			return true;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

const unsigned char *
tk_cgraph_oid(const struct tk_cgraph *g, uint32_t pos)
{
	return g->oids + (size_t)pos * OIDLEN;
}

const unsigned char *
tk_cgraph_tree(const struct tk_cgraph *g, uint32_t pos)
{
	return g->cdat + (size_t)pos * CDAT_W;
}

int
tk_cgraph_first_parent(
    const struct tk_cgraph *g, uint32_t pos, uint32_t *parent)
{
	uint32_t p = be32(g->cdat + (size_t)pos * CDAT_W + OIDLEN);

	if (p == PARENT_NONE) {
		*parent = TK_CGRAPH_NONE;
		return 0;
	}
	if (p >= g->n)
		return bad("a parent lies outside the graph");
	*parent = p;
	return 0;
}

uint32_t
tk_cgraph_generation(const struct tk_cgraph *g, uint32_t pos)
{
	uint32_t v = be32(g->cdat + (size_t)pos * CDAT_W + OIDLEN + 8) >> 2;

	return v >= GEN_V1_MAX ? 0 : v;
}

void
tk_cgraph_prefetch_find(const struct tk_cgraph *g, const git_oid *id)
{
	const unsigned char *o = g->oids;
	uint32_t lo, hi, a, b;

	if (!probes(g, id, head8(id->id), &lo, &hi, &a, &b))
		return;
	/* the two probes, then where the search between them goes first */
	__builtin_prefetch(o + (size_t)a * OIDLEN);
	__builtin_prefetch(o + (size_t)b * OIDLEN);
	__builtin_prefetch(o + (size_t)(a + (b - a) / 2) * OIDLEN);
	__builtin_prefetch(o + (size_t)(a + (b - a) / 4) * OIDLEN);
	__builtin_prefetch(o + (size_t)(b - (b - a) / 4) * OIDLEN);
}

void
tk_cgraph_prefetch(const struct tk_cgraph *g, uint32_t pos)
{
	if (pos < g->n)
		__builtin_prefetch(g->cdat + (size_t)pos * CDAT_W + OIDLEN + 8);
}
