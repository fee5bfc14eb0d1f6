/*
 * The compiled policy: a compact binary form of a loaded policy, so that
 * a hook facing a policy of 10,000 identities need not run libyaml and
 * the validator on every push (docs/spec.md, "The compiled policy";
 * docs/decisions.md says why it can never widen the policy).
 *
 * Layout (every integer little-endian):
 *
 *	magic "TWOKEYPC", u32 format version, str build tag,
 *	32 bytes SHA-256 of the policy bytes it was compiled from,
 *	u64 body length, 32 bytes SHA-256 of the body, then the body.
 *
 * A str is a u32 length and that many bytes.  The body holds every field
 * the loader fills, in the order of the writer below; the reader rebuilds
 * patterns, globs, keys and lookup maps from it.  The reader is strict:
 * every count is bounded by the bytes left and by the loader's own
 * bounds, every role index by the roles, every boolean is 0 or 1, and
 * the body must end exactly where it says.  Whoever can write the file
 * can write the policy (the owner checks in compiled_file.c), so the
 * body's checksum guards against damage, not against its owner.
 */
#include "loader_tag.h" /* generated: TWOKEY_LOADER_TAG */
#include "internal.h"
#include "load.h"
#include "twokey/digest.h"
#include "twokey/freeze.h"
#include "twokey/glob.h"
#include "twokey/pattern.h"
#include "twokey/sshsig.h"

#define MAGIC "TWOKEYPC"
#define FORMAT 1
#define HEADER_MAX 256 /* bytes before the body */

/* ---- writer ------------------------------------------------------------ */

struct wr {
	struct tk_buf *b;
	int rc;
};

static void
w_bytes(struct wr *w, const void *p, size_t n)
{
	int rc;

	if (w->rc == 0 && (rc = tk_buf_put(w->b, p, n)) < 0)
		w->rc = rc;
}

static void
w_u32(struct wr *w, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 24)};

	w_bytes(w, b, sizeof(b));
}

static void
w_u64(struct wr *w, uint64_t v)
{
	w_u32(w, (uint32_t)v);
	w_u32(w, (uint32_t)(v >> 32));
}

static void
w_i64(struct wr *w, int64_t v)
{
	w_u64(w, (uint64_t)v);
}

static void
w_bool(struct wr *w, bool v)
{
	w_bytes(w, v ? "\1" : "\0", 1);
}

static void
w_count(struct wr *w, size_t n)
{
	if (n > UINT32_MAX && w->rc == 0)
		w->rc = tk_error_set(TK_ETOOBIG, "too many entries");
	w_u32(w, (uint32_t)n);
}

static void
w_blob(struct wr *w, const void *p, size_t n)
{
	w_count(w, n);
	w_bytes(w, p, n);
}

static void
w_str(struct wr *w, const char *s)
{
	w_blob(w, s, strlen(s));
}

/* An optional string: a flag, then the string when present. */
static void
w_optstr(struct wr *w, const char *s)
{
	w_bool(w, s != NULL);
	if (s != NULL)
		w_str(w, s);
}

static void
w_pos(struct wr *w, struct tk_pos p)
{
	w_u32(w, p.line);
	w_u32(w, p.col);
}

/* A role set: how many roles, then their indexes in ascending order. */
static void
w_roles(struct wr *w, const struct tk_roleset *s)
{
	unsigned i, n = 0;

	for (i = 0; i < TK_POLICY_MAX_ROLES; i++)
		n += tk_roleset_has(s, i);
	w_u32(w, n);
	for (i = 0; i < TK_POLICY_MAX_ROLES; i++)
		if (tk_roleset_has(s, i))
			w_u32(w, i);
}

static void
w_rolelist(struct wr *w, const struct tk_rolelist *l)
{
	w_bool(w, l->set);
	w_roles(w, &l->roles);
	w_pos(w, l->pos);
}

static void
w_require(struct wr *w, const struct tk_role_min *req, size_t n)
{
	size_t i;

	w_count(w, n);
	for (i = 0; i < n; i++) {
		w_u32(w, req[i].role);
		w_u32(w, req[i].min);
		w_pos(w, req[i].pos);
	}
}

static void
w_key(struct wr *w, const struct tk_key *k)
{
	const unsigned char *blob;
	size_t len = 0;

	blob = tk_sshkey_blob(k->key, &len);
	w_blob(w, blob, len);
	w_str(w, tk_sshkey_fingerprint(k->key));
	w_i64(w, k->valid_after);
	w_i64(w, k->valid_before);
	w_pos(w, k->pos);
}

static void
w_identity(struct wr *w, const struct tk_identity *id)
{
	size_t i;

	w_str(w, id->id);
	w_str(w, id->name);
	w_pos(w, id->pos);
	w_count(w, id->nemails);
	for (i = 0; i < id->nemails; i++)
		w_str(w, id->emails[i]);
	w_count(w, id->nlogins);
	for (i = 0; i < id->nlogins; i++)
		w_str(w, id->logins[i]);
	w_count(w, id->nkeys);
	for (i = 0; i < id->nkeys; i++)
		w_key(w, id->keys[i]);
	w_roles(w, &id->roles);
}

static void
w_emergency(struct wr *w, const struct tk_emergency *e)
{
	w_roles(w, &e->by);
	w_optstr(w, e->reason_src);
	w_u32(w, e->waive);
	w_i64(w, e->within);
	w_u32(w, e->min);
	w_roles(w, &e->from);
	w_require(w, e->require, e->nrequire);
	w_u32(w, (uint32_t)e->overdue);
	w_pos(w, e->pos);
	w_pos(w, e->by_pos);
	w_pos(w, e->waive_pos);
	w_pos(w, e->within_pos);
	w_pos(w, e->min_pos);
}

static void
w_change(struct wr *w, const struct tk_rule *r)
{
	size_t i;

	w_count(w, r->npaths);
	for (i = 0; i < r->npaths; i++) {
		const struct tk_path_rule *e = &r->paths[i];

		w_str(w, e->match_src);
		w_bool(w, e->approvals);
		w_u32(w, e->min);
		w_roles(w, &e->from);
		w_require(w, e->require, e->nrequire);
		w_rolelist(w, &e->writers);
		w_u32(w, e->line);
		w_u32(w, e->col);
	}
	w_count(w, r->ntrailers);
	for (i = 0; i < r->ntrailers; i++) {
		w_str(w, r->trailers[i].key);
		w_str(w, r->trailers[i].src);
	}
	w_optstr(w, r->emails_src);
}

static void
w_rule(struct wr *w, const struct tk_rule *r)
{
	w_str(w, r->name);
	w_str(w, r->refs_src);
	w_pos(w, r->refs_pos);
	w_bool(w, r->refs_exact);
	w_rolelist(w, &r->update);
	w_rolelist(w, &r->create);
	w_rolelist(w, &r->delete_);
	w_rolelist(w, &r->force_push);
	w_bool(w, r->approvals);
	w_u32(w, r->approvals_min);
	w_roles(w, &r->approvals_from);
	w_require(w, r->require, r->nrequire);
	w_pos(w, r->approvals_pos);
	w_bool(w, r->signed_commits);
	w_bool(w, r->pusher_may_approve);
	w_bool(w, r->pusher_may_write);
	w_optstr(w, r->promote_from);
	w_u32(w, (uint32_t)r->mode);
	w_u32(w, r->line);
	w_change(w, r);
	w_bool(w, r->emergency != NULL);
	if (r->emergency != NULL)
		w_emergency(w, r->emergency);
}

static void
w_freeze(struct wr *w, const struct tk_freeze *f)
{
	w_str(w, f->name);
	w_str(w, f->refs_src);
	w_i64(w, f->from);
	w_i64(w, f->until);
	w_optstr(w, f->reason);
	w_optstr(w, f->by);
	w_bool(w, f->adhoc);
	w_pos(w, f->pos);
}

static void
w_body(struct wr *w, const struct tk_policy *p)
{
	size_t i;

	w_count(w, p->nroles);
	for (i = 0; i < p->nroles; i++) {
		w_str(w, p->roles[i]);
		w_pos(w, p->role_pos[i]);
	}
	w_count(w, p->nidentities);
	for (i = 0; i < p->nidentities; i++)
		w_identity(w, p->identities[i]);
	w_count(w, p->nrevoked);
	for (i = 0; i < p->nrevoked; i++)
		w_key(w, p->revoked[i]);
	w_count(w, p->npusher_env);
	for (i = 0; i < p->npusher_env; i++)
		w_str(w, p->pusher_env[i]);
	w_count(w, p->nrules);
	for (i = 0; i < p->nrules; i++)
		w_rule(w, p->rules[i]);
	w_optstr(w, p->audit_path);
	w_optstr(w, p->audit_key_file);
	w_bool(w, p->audit_syslog);
	w_optstr(w, p->audit_postgres);
	w_optstr(w, p->audit_node);
	w_count(w, p->nfreezes);
	for (i = 0; i < p->nfreezes; i++)
		w_freeze(w, &p->freezes[i]);
	w_optstr(w, p->freeze_file);
	w_pos(w, p->freeze_file_pos);
	w_count(w, p->ntrusted);
	for (i = 0; i < p->ntrusted; i++) {
		w_bytes(w, p->trusted[i], 20);
		w_pos(w, p->trusted_pos[i]);
	}
}

int
tk_unhex_(unsigned char *out, const char *hex, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = tk_ascii_tolower((unsigned char)hex[2 * i]);
		lo = tk_ascii_tolower((unsigned char)hex[2 * i + 1]);
		hi = hi >= 'a' && hi <= 'f'  ? hi - 'a' + 10
		    : hi >= '0' && hi <= '9' ? hi - '0'
		                             : -1;
		lo = lo >= 'a' && lo <= 'f'  ? lo - 'a' + 10
		    : lo >= '0' && lo <= '9' ? lo - '0'
		                             : -1;
		if (hi < 0 || lo < 0)
			return tk_error_set(TK_EINVAL, "bad policy hash");
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/*
 * The version and the loader's fingerprint (loader_tag.h, made by
 * cmake/loader-tag.cmake from the loader's sources): a compiled form is
 * what this loader made of the YAML, so one made by any other loader is
 * ignored, whatever version number both carry.
 */
const char *
tk_policy_compiled_tag(void)
{
	return "twokey " TWOKEY_VERSION " loader " TWOKEY_LOADER_TAG;
}

int
tk_policy_compile(struct tk_buf *out, const struct tk_policy *p)
{
	struct tk_buf body = TK_BUF_INIT(TK_POLICY_COMPILED_MAX);
	unsigned char sha[TK_SHA256_LEN], bsha[TK_SHA256_LEN];
	struct wr w = {&body, 0};
	struct wr h = {out, 0};
	int rc;

	if ((rc = tk_unhex_(sha, p->sha256, sizeof(sha))) < 0)
		goto out;
	w_body(&w, p);
	if ((rc = w.rc) < 0 ||
	    (rc = tk_sha256(bsha, body.ptr ? body.ptr : "", body.len)) < 0)
		goto out;
	w_bytes(&h, MAGIC, 8);
	w_u32(&h, FORMAT);
	w_str(&h, tk_policy_compiled_tag());
	w_bytes(&h, sha, sizeof(sha));
	w_u64(&h, body.len);
	w_bytes(&h, bsha, sizeof(bsha));
	w_bytes(&h, body.ptr ? body.ptr : "", body.len);
	rc = h.rc;
out:
	if (rc == TK_ETOOBIG)
		rc = tk_error_set(TK_ETOOBIG,
		    "compiled policy larger than %u bytes",
		    TK_POLICY_COMPILED_MAX);
	tk_buf_release(&body);
	return rc;
}

/* ---- arena ------------------------------------------------------------- */

/*
 * The identities of a compiled policy live in a few large blocks, freed
 * at once: 10,000 identities otherwise cost 140,000 allocations and as
 * many frees, a third of the load.
 */
struct arena {
	struct arena *next;
	size_t used, cap;
	max_align_t data[];
};

#define ARENA_BLOCK (256u * 1024)

static void *
arena_alloc(struct arena **a, size_t n)
{
	struct arena *b = *a;
	size_t cap;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (b == NULL || b->cap - b->used < n) {
		cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		if ((b = calloc(1, sizeof(*b) + cap)) == NULL)
			return NULL;
		b->cap = cap;
		b->next = *a;
		*a = b;
	}
	p = (unsigned char *)b->data + b->used;
	b->used += n;
	return p;
}

void
tk_policy_arena_free_(void *arena)
{
	struct arena *b = arena, *next;

	for (; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
}

/* ---- reader ------------------------------------------------------------ */

/*
 * A cursor over hostile bytes.  The first problem sticks: later reads
 * return zeroes, and the caller checks rc where it matters.
 */
struct rd {
	const unsigned char *p;
	size_t len, off;
	int rc;
	const char *why;
	struct tk_policy *pol;
	struct arena **arena; /* NULL: allocate one by one */
};

static void
bad(struct rd *r, const char *why)
{
	if (r->rc == 0) {
		r->rc = TK_EINVAL;
		r->why = why;
	}
}

static void
nomem(struct rd *r)
{
	if (r->rc == 0) {
		r->rc = TK_ENOMEM;
		r->why = "out of memory";
	}
}

/* Zeroed memory from the arena, or one allocation without it. */
static void *
r_alloc(struct rd *r, size_t n, size_t size)
{
	void *p;

	if (r->rc != 0)
		return NULL;
	if (size != 0 && n > SIZE_MAX / size / 2)
		p = NULL;
	else if (r->arena != NULL)
		p = arena_alloc(r->arena, n * size == 0 ? 1 : n * size);
	else
		p = tk_calloc(n == 0 ? 1 : n, size);
	if (p == NULL)
		nomem(r);
	return p;
}

static const unsigned char *
r_bytes(struct rd *r, size_t n)
{
	const unsigned char *s;

	if (r->rc != 0)
		return NULL;
	if (r->len - r->off < n) {
		bad(r, "truncated");
		return NULL;
	}
	s = r->p + r->off;
	r->off += n;
	return s;
}

static uint32_t
r_u32(struct rd *r)
{
	const unsigned char *b = r_bytes(r, 4);

	if (b == NULL)
		return 0;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static uint64_t
r_u64(struct rd *r)
{
	uint64_t lo = r_u32(r);

	return lo | (uint64_t)r_u32(r) << 32;
}

static int64_t
r_i64(struct rd *r)
{
	return (int64_t)r_u64(r);
}

static bool
r_bool(struct rd *r)
{
	const unsigned char *b = r_bytes(r, 1);

	if (b == NULL)
		return false;
	if (*b > 1)
		bad(r, "a flag is neither 0 nor 1");
	return *b == 1;
}

/* A u32 at most max, of entries of at least min_size bytes each. */
static size_t
r_count(struct rd *r, size_t max, size_t min_size)
{
	uint32_t n = r_u32(r);

	if (r->rc != 0)
		return 0;
	if (n > max || (size_t)n > (r->len - r->off) / min_size) {
		bad(r, "a count is out of bounds");
		return 0;
	}
	return n;
}

/* A unsigned value at most max. */
static unsigned
r_uint(struct rd *r, unsigned max)
{
	uint32_t v = r_u32(r);

	if (v > max)
		bad(r, "a number is out of bounds");
	return r->rc == 0 ? (unsigned)v : 0;
}

/*
 * A string of the policy: at most TK_POLICY_MAX_SCALAR bytes (a rule's
 * name may add its index) with no control character, as the YAML loader
 * admits them.
 */
static char *
r_str(struct rd *r)
{
	size_t n = r_count(r, TK_POLICY_MAX_SCALAR + 64, 1), i, k;
	const unsigned char *s;
	char *out;

	if ((s = r_bytes(r, n)) == NULL)
		return NULL;
	for (i = 0; i < n; i += k) {
		k = 1;
		if (s[i] < 0x20 || s[i] == 0x7f ||
		    (s[i] >= 0x80 && (k = tk_utf8_len(s + i, n - i)) == 0)) {
			bad(r, "a control character or bad UTF-8 in a string");
			return NULL;
		}
	}
	if ((out = r_alloc(r, n + 1, 1)) != NULL)
		memcpy(out, s, n);
	return out;
}

static char *
r_optstr(struct rd *r)
{
	return r_bool(r) ? r_str(r) : NULL;
}

static struct tk_pos
r_pos(struct rd *r)
{
	struct tk_pos p;

	p.line = r_u32(r);
	p.col = r_u32(r);
	return p;
}

static void
r_roles(struct rd *r, struct tk_roleset *s)
{
	size_t n = r_count(r, TK_POLICY_MAX_ROLES, 4), i;
	uint32_t v, prev = 0;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < n && r->rc == 0; i++) {
		v = r_u32(r);
		if (v >= r->pol->nroles || (i > 0 && v <= prev)) {
			bad(r, "a role index is out of bounds or order");
			return;
		}
		s->bits[v / 64] |= (uint64_t)1 << (v % 64);
		prev = v;
	}
}

static void
r_rolelist(struct rd *r, struct tk_rolelist *l)
{
	l->set = r_bool(r);
	r_roles(r, &l->roles);
	l->pos = r_pos(r);
	if (!l->set && !tk_roleset_empty(&l->roles))
		bad(r, "roles in an unset role list");
}

static struct tk_role_min *
r_require(struct rd *r, size_t *n)
{
	struct tk_role_min *req;
	size_t i;

	*n = r_count(r, TK_POLICY_MAX_ROLES, 16);
	if (r->rc != 0)
		return NULL;
	if ((req = tk_calloc(*n + 1, sizeof(*req))) == NULL) {
		nomem(r);
		*n = 0;
		return NULL;
	}
	for (i = 0; i < *n; i++) {
		req[i].role = r_uint(r, (unsigned)r->pol->nroles - 1);
		if (r->pol->nroles == 0)
			bad(r, "a role minimum without roles");
		req[i].min = r_uint(r, UINT32_MAX);
		req[i].pos = r_pos(r);
	}
	return req;
}

static struct tk_key *
r_key(struct rd *r, struct tk_identity *owner)
{
	size_t len = r_count(r, TK_SSHKEY_MAX_BLOB, 1), fplen;
	const unsigned char *blob = r_bytes(r, len), *fp;
	char fps[64]; /* "SHA256:" and 43 characters */
	struct tk_key *k;
	int rc;

	fplen = r_count(r, sizeof(fps) - 1, 1);
	if ((fp = r_bytes(r, fplen)) == NULL || blob == NULL)
		return NULL;
	memcpy(fps, fp, fplen);
	fps[fplen] = '\0';
	if ((k = r_alloc(r, 1, sizeof(*k))) == NULL)
		return NULL;
	if ((rc = tk_sshkey_from_blob_compare(&k->key, blob, len, fps)) < 0) {
		if (r->arena == NULL)
			free(k);
		if (rc == TK_ENOMEM)
			nomem(r);
		bad(r, "a key does not parse");
		return NULL;
	}
	k->owner = owner;
	k->valid_after = r_i64(r);
	k->valid_before = r_i64(r);
	k->pos = r_pos(r);
	if (r->rc == 0 && k->valid_after >= k->valid_before)
		bad(r, "a key's window is empty");
	return k;
}

/* Adds key to map; a key two entries share is corrupt (dup_ok: not). */
static void
r_claim(struct rd *r, struct tk_map *map, const void *key, size_t len,
    void *value, bool dup_ok)
{
	int rc;

	if (r->rc != 0)
		return;
	rc = r->arena != NULL ? tk_map_put_borrowed(map, key, len, value, NULL)
	                      : tk_map_put(map, key, len, value, NULL);
	if (rc == TK_ENOMEM)
		nomem(r);
	else if (rc == TK_ERROR && !dup_ok)
		bad(r, "an email, login or key belongs to two identities");
	else if (rc < 0 && rc != TK_ERROR)
		bad(r, "a lookup could not be built");
}

/* Strings read into the arena, each claimed in map (NULL: none). */
static char **
r_names(struct rd *r, size_t *n, struct tk_map *map, struct tk_identity *id)
{
	char **v;
	size_t i;

	*n = r_count(r, TK_POLICY_MAX_SCALAR, 4);
	if ((v = r_alloc(r, *n + 1, sizeof(char *))) == NULL) {
		*n = 0;
		return NULL;
	}
	for (i = 0; i < *n && r->rc == 0; i++)
		if ((v[i] = r_str(r)) != NULL)
			r_claim(r, map, v[i], strlen(v[i]), id, false);
	return v;
}

static void
r_identity_lists(struct rd *r, struct tk_identity *id)
{
	struct tk_policy *p = r->pol;
	const unsigned char *blob;
	size_t i, len;

	id->emails = r_names(r, &id->nemails, p->by_email, id);
	for (i = 0; i < id->nemails && r->rc == 0; i++)
		for (len = 0; id->emails[i][len] != '\0'; len++)
			if (id->emails[i][len] >= 'A' &&
			    id->emails[i][len] <= 'Z')
				bad(r, "an email not in lower case");
	id->logins = r_names(r, &id->nlogins, p->by_login, id);
	id->nkeys = r_count(r, TK_POLICY_MAX_SCALAR, 28);
	if ((id->keys = r_alloc(r, id->nkeys + 1, sizeof(*id->keys))) == NULL) {
		id->nkeys = 0;
		return;
	}
	for (i = 0; i < id->nkeys && r->rc == 0; i++) {
		if ((id->keys[i] = r_key(r, id)) == NULL)
			return;
		blob = tk_sshkey_blob(id->keys[i]->key, &len);
		r_claim(r, p->by_key, blob, len, id->keys[i], false);
	}
}

static void
r_identities(struct rd *r)
{
	struct tk_policy *p = r->pol;
	struct tk_identity *id;
	size_t n = r_count(r, UINT32_MAX, 40), i;

	if (r->rc != 0)
		return;
	if ((p->identities = tk_calloc(n + 1, sizeof(*p->identities))) ==
	        NULL ||
	    tk_map_reserve(p->by_email, n) < 0 ||
	    tk_map_reserve(p->by_login, n) < 0 ||
	    tk_map_reserve(p->by_key, n) < 0) {
		nomem(r);
		return;
	}
	r->arena = (struct arena **)&p->arena;
	for (i = 0; i < n && r->rc == 0; i++) {
		if ((id = r_alloc(r, 1, sizeof(*id))) == NULL)
			break;
		p->identities[p->nidentities++] = id;
		id->id = r_str(r);
		id->name = r_str(r);
		id->pos = r_pos(r);
		r_identity_lists(r, id);
		r_roles(r, &id->roles);
	}
	r->arena = NULL;
}

static void
r_revoked(struct rd *r)
{
	struct tk_policy *p = r->pol;
	const unsigned char *blob;
	size_t n = r_count(r, UINT32_MAX, 28), i, len;

	if (r->rc != 0)
		return;
	if ((p->revoked = tk_calloc(n + 1, sizeof(*p->revoked))) == NULL) {
		nomem(r);
		return;
	}
	for (i = 0; i < n && r->rc == 0; i++) {
		if ((p->revoked[i] = r_key(r, NULL)) == NULL)
			return;
		p->nrevoked++;
		blob = tk_sshkey_blob(p->revoked[i]->key, &len);
		/* Listing a key twice here is harmless, as in the loader. */
		r_claim(r, p->revoked_map, blob, len, p->revoked[i], true);
	}
}

/* Compiles src as the loader did; a failure marks the file corrupt. */
static void
r_pattern(struct rd *r, struct tk_pattern **out, const char *src)
{
	int rc;

	if (r->rc != 0 || src == NULL)
		return;
	if ((rc = tk_pattern_compile(out, src, strlen(src))) == TK_ENOMEM)
		nomem(r);
	else if (rc < 0)
		bad(r, "a pattern does not compile");
}

static void
r_emergency(struct rd *r, struct tk_rule *rule)
{
	struct tk_emergency *e;

	if ((e = rule->emergency = tk_calloc(1, sizeof(*e))) == NULL) {
		nomem(r);
		return;
	}
	r_roles(r, &e->by);
	e->reason_src = r_optstr(r);
	r_pattern(r, &e->reason, e->reason_src);
	e->waive = r_uint(r, TK_WAIVE_ALL);
	e->within = r_i64(r);
	e->min = r_uint(r, UINT32_MAX);
	r_roles(r, &e->from);
	e->require = r_require(r, &e->nrequire);
	e->overdue = r_uint(r, TK_OVERDUE_BLOCK) == TK_OVERDUE_BLOCK
	    ? TK_OVERDUE_BLOCK
	    : TK_OVERDUE_WARN;
	e->pos = r_pos(r);
	e->by_pos = r_pos(r);
	e->waive_pos = r_pos(r);
	e->within_pos = r_pos(r);
	e->min_pos = r_pos(r);
	if (r->rc == 0 &&
	    (e->waive == 0 || tk_roleset_empty(&e->by) || e->within <= 0 ||
	        e->within > TK_EMERGENCY_MAX_WITHIN))
		bad(r, "an emergency block out of bounds");
}

static void
r_paths(struct rd *r, struct tk_rule *rule)
{
	size_t n = r_count(r, TK_POLICY_MAX_PATHS, 32), i;
	struct tk_path_rule *e;
	int rc;

	if (r->rc != 0 || n == 0)
		return;
	if ((rule->paths = tk_calloc(n, sizeof(*rule->paths))) == NULL) {
		nomem(r);
		return;
	}
	for (i = 0; i < n && r->rc == 0; i++) {
		e = &rule->paths[rule->npaths++];
		if ((e->match_src = r_str(r)) != NULL &&
		    (rc = tk_glob_compile(
		         &e->glob, e->match_src, strlen(e->match_src))) < 0) {
			if (rc == TK_ENOMEM)
				nomem(r);
			bad(r, "a paths glob does not compile");
		}
		e->approvals = r_bool(r);
		e->min = r_uint(r, UINT32_MAX);
		r_roles(r, &e->from);
		e->require = r_require(r, &e->nrequire);
		r_rolelist(r, &e->writers);
		e->line = r_u32(r);
		e->col = r_u32(r);
	}
}

static void
r_trailers(struct rd *r, struct tk_rule *rule)
{
	size_t n = r_count(r, TK_POLICY_MAX_TRAILERS, 8), i;
	struct tk_trailer_rule *t;

	if (r->rc != 0 || n == 0)
		return;
	if ((rule->trailers = tk_calloc(n, sizeof(*rule->trailers))) == NULL) {
		nomem(r);
		return;
	}
	for (i = 0; i < n && r->rc == 0; i++) {
		t = &rule->trailers[rule->ntrailers++];
		t->key = r_str(r);
		t->src = r_str(r);
		r_pattern(r, &t->value, t->src);
	}
}

static void
r_rule_body(struct rd *r, struct tk_rule *rule)
{
	rule->approvals = r_bool(r);
	rule->approvals_min = r_uint(r, UINT32_MAX);
	r_roles(r, &rule->approvals_from);
	rule->require = r_require(r, &rule->nrequire);
	rule->approvals_pos = r_pos(r);
	rule->signed_commits = r_bool(r);
	rule->pusher_may_approve = r_bool(r);
	rule->pusher_may_write = r_bool(r);
	rule->promote_from = r_optstr(r);
	rule->mode = r_uint(r, TK_MODE_WARN) == TK_MODE_WARN ? TK_MODE_WARN
	                                                     : TK_MODE_ENFORCE;
	rule->line = r_u32(r);
	r_paths(r, rule);
	r_trailers(r, rule);
	rule->emails_src = r_optstr(r);
	r_pattern(r, &rule->emails, rule->emails_src);
	if (r_bool(r))
		r_emergency(r, rule);
}

static void
r_rules(struct rd *r)
{
	struct tk_policy *p = r->pol;
	struct tk_rule *rule;
	size_t n = r_count(r, UINT32_MAX, 64), i;

	if (r->rc != 0)
		return;
	if ((p->rules = tk_calloc(n + 1, sizeof(*p->rules))) == NULL) {
		nomem(r);
		return;
	}
	for (i = 0; i < n && r->rc == 0; i++) {
		if ((rule = tk_calloc(1, sizeof(*rule))) == NULL) {
			nomem(r);
			return;
		}
		p->rules[p->nrules++] = rule;
		rule->name = r_str(r);
		rule->refs_src = r_str(r);
		r_pattern(r, &rule->refs, rule->refs_src);
		if (r->rc == 0 && rule->refs == NULL)
			bad(r, "a rule without a pattern");
		rule->refs_pos = r_pos(r);
		rule->refs_exact = r_bool(r);
		r_rolelist(r, &rule->update);
		r_rolelist(r, &rule->create);
		r_rolelist(r, &rule->delete_);
		r_rolelist(r, &rule->force_push);
		r_rule_body(r, rule);
	}
}

static void
r_roles_section(struct rd *r)
{
	struct tk_policy *p = r->pol;
	size_t n = r_count(r, TK_POLICY_MAX_ROLES, 12), i;
	char *s;

	if (r->rc != 0)
		return;
	if ((p->roles = tk_calloc(n + 1, sizeof(*p->roles))) == NULL ||
	    (p->role_pos = tk_calloc(n + 1, sizeof(*p->role_pos))) == NULL) {
		nomem(r);
		return;
	}
	for (i = 0; i < n && r->rc == 0; i++) {
		if ((s = r_str(r)) == NULL)
			return;
		p->roles[p->nroles] = s;
		p->role_pos[p->nroles++] = r_pos(r);
		if (*s == '\0' || strpbrk(s, " \t,") != NULL)
			bad(r, "an invalid role name");
		r_claim(r, p->role_index, s, strlen(s),
		    (void *)(uintptr_t)p->nroles, false);
	}
}

static void
r_freezes(struct rd *r)
{
	struct tk_policy *p = r->pol;
	size_t n = r_count(r, TK_FREEZE_MAX_PLANNED, 30), i;
	struct tk_freeze *f;

	if (r->rc != 0 || n == 0)
		return;
	if ((p->freezes = tk_calloc(n, sizeof(*p->freezes))) == NULL) {
		nomem(r);
		return;
	}
	for (i = 0; i < n && r->rc == 0; i++) {
		f = &p->freezes[p->nfreezes++];
		f->name = r_str(r);
		f->refs_src = r_str(r);
		r_pattern(r, &f->refs, f->refs_src);
		f->from = r_i64(r);
		f->until = r_i64(r);
		f->reason = r_optstr(r);
		f->by = r_optstr(r);
		f->adhoc = r_bool(r);
		f->pos = r_pos(r);
		if (r->rc == 0 &&
		    (f->name == NULL || f->refs == NULL || f->adhoc ||
		        f->from >= f->until))
			bad(r, "a planned freeze out of bounds");
	}
}

static void
r_rest(struct rd *r)
{
	struct tk_policy *p = r->pol;
	const unsigned char *id;
	size_t n, i;

	n = r_count(r, TK_POLICY_MAX_SCALAR, 4);
	if (r->rc == 0 &&
	    (p->pusher_env = tk_calloc(n + 1, sizeof(char *))) == NULL) {
		nomem(r);
		return;
	}
	for (i = 0; i < n && r->rc == 0; i++)
		if ((p->pusher_env[p->npusher_env] = r_str(r)) != NULL)
			p->npusher_env++;
	r_rules(r);
	p->audit_path = r_optstr(r);
	p->audit_key_file = r_optstr(r);
	p->audit_syslog = r_bool(r);
	p->audit_postgres = r_optstr(r);
	p->audit_node = r_optstr(r);
	r_freezes(r);
	p->freeze_file = r_optstr(r);
	p->freeze_file_pos = r_pos(r);
	n = r_count(r, TK_POLICY_MAX_TRUSTED, 28);
	if (r->rc == 0 &&
	    ((p->trusted = tk_calloc(n + 1, sizeof(*p->trusted))) == NULL ||
	        (p->trusted_pos = tk_calloc(n + 1, sizeof(*p->trusted_pos))) ==
	            NULL)) {
		nomem(r);
		return;
	}
	for (i = 0; i < n && r->rc == 0; i++) {
		if ((id = r_bytes(r, 20)) == NULL)
			return;
		memcpy(p->trusted[i], id, 20);
		p->trusted_pos[i] = r_pos(r);
		p->ntrusted++;
	}
}

/* The header: 0 with *body and *blen, or TK_EINVAL with why. */
static int
read_header(struct rd *r, const unsigned char sha[TK_SHA256_LEN],
    const unsigned char **body, size_t *blen)
{
	const char *tag = tk_policy_compiled_tag();
	const unsigned char *s, *want, *bsha;
	unsigned char got[TK_SHA256_LEN];
	uint64_t n;
	size_t taglen;

	if ((s = r_bytes(r, 8)) == NULL || memcmp(s, MAGIC, 8) != 0) {
		bad(r, "not a compiled twokey policy");
		return r->rc;
	}
	if (r_u32(r) != FORMAT)
		bad(r, "another format version");
	taglen = r_count(r, HEADER_MAX, 1);
	if ((s = r_bytes(r, taglen)) == NULL || taglen != strlen(tag) ||
	    memcmp(s, tag, taglen) != 0)
		bad(r, "compiled by another version of twokey");
	want = r_bytes(r, TK_SHA256_LEN);
	n = r_u64(r);
	bsha = r_bytes(r, TK_SHA256_LEN);
	if (r->rc != 0)
		return r->rc;
	if (!tk_memeq(want, sha, TK_SHA256_LEN)) {
		bad(r, "compiled from other policy bytes (stale)");
		return r->rc;
	}
	if (n != r->len - r->off) {
		bad(r, "the body's length is wrong");
		return r->rc;
	}
	*body = r->p + r->off;
	*blen = (size_t)n;
	if (tk_sha256(got, *body, *blen) < 0) {
		r->rc = TK_ECRYPTO;
		r->why = "cannot hash";
		return r->rc;
	}
	if (!tk_memeq(got, bsha, TK_SHA256_LEN))
		bad(r, "the body's checksum does not match (damaged)");
	return r->rc;
}

int
tk_policy_compiled_check(const unsigned char *data, size_t len,
    const unsigned char sha[TK_SHA256_LEN])
{
	struct rd r = {data, len, 0, 0, NULL, NULL, NULL};
	const unsigned char *body;
	size_t blen;

	if (len > TK_POLICY_COMPILED_MAX)
		return tk_error_set(
		    TK_ETOOBIG, "larger than %u bytes", TK_POLICY_COMPILED_MAX);
	if (read_header(&r, sha, &body, &blen) < 0)
		return tk_error_set(r.rc, "%s", r.why);
	return 0;
}

int
tk_policy_compiled_read(struct tk_policy **out, const char *name,
    const unsigned char *data, size_t len,
    const unsigned char sha[TK_SHA256_LEN])
{
	struct rd r = {data, len, 0, 0, NULL, NULL, NULL};
	struct tk_policy *p = NULL;
	const unsigned char *body;
	size_t blen;
	int rc;

	*out = NULL;
	if (len > TK_POLICY_COMPILED_MAX)
		return tk_error_set(
		    TK_ETOOBIG, "larger than %u bytes", TK_POLICY_COMPILED_MAX);
	if (read_header(&r, sha, &body, &blen) < 0)
		return tk_error_set(r.rc, "%s", r.why);
	if ((rc = tk_policy_new_(&p, name)) < 0)
		return rc;
	tk_hex(p->sha256, sha, TK_SHA256_LEN);
	r = (struct rd){body, blen, 0, 0, NULL, p, NULL};
	r_roles_section(&r);
	r_identities(&r);
	r_revoked(&r);
	r_rest(&r);
	if (r.rc == 0 && r.off != r.len)
		bad(&r, "bytes after the end");
	if (r.rc != 0) {
		/* a pattern's or key's message would mislead: ours says it */
		rc = tk_error_set(
		    r.rc, "%s at byte %zu of the body", r.why, r.off);
		tk_policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void
tk_identity_keys_free_(struct tk_identity *id)
{
	size_t i;

	if (id == NULL || id->keys == NULL)
		return;
	for (i = 0; i < id->nkeys; i++)
		if (id->keys[i] != NULL)
			tk_sshkey_free(id->keys[i]->key);
}
