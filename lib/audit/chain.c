/*
 * The hash chain (docs/spec.md, "Canonical bytes, hash and chain"): how a
 * record is sealed, and how a sequence of records is checked.  Storage
 * knows nothing of this, and this knows nothing of storage.
 */
#include <string.h>

#include "store.h"
#include "twokey/digest.h"

#define TAIL_HASH ",\"hash\":\""
#define TAIL_PREV ",\"prev\":\""

bool
tk_audit_is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Finds the last occurrence of needle in [s, s + len). */
static const char *
rfind(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = len >= n ? len - n + 1 : 0; i-- > 0;)
		if (memcmp(s + i, needle, n) == 0)
			return s + i;
	return NULL;
}

/*
 * Strings inside a record are escaped, so the structural ,"hash":" can
 * only be the real one: the last on the line.
 */
int
tk_audit_split(const char *line, size_t len, size_t *body, char prev[65],
    char hash[65], char hmac[65])
{
	const char *h = rfind(line, len, TAIL_HASH), *p, *end = line + len;

	hmac[0] = '\0';
	if (h == NULL || (size_t)(end - h) < 9 + 64 + 2 ||
	    !tk_audit_is_hex64(h + 9) || h[9 + 64] != '"')
		return -1;
	memcpy(hash, h + 9, 64);
	hash[64] = '\0';
	p = h + 9 + 64 + 1;
	if (end - p == 9 + 64 + 2 && memcmp(p, ",\"hmac\":\"", 9) == 0 &&
	    tk_audit_is_hex64(p + 9) && p[9 + 64] == '"') {
		memcpy(hmac, p + 9, 64);
		hmac[64] = '\0';
		p += 9 + 64 + 1;
	}
	if (end - p != 1 || *p != '}')
		return -1;
	*body = (size_t)(h - line);
	if (*body < 9 + 64 + 1 || memcmp(h - 74, TAIL_PREV, 9) != 0 ||
	    !tk_audit_is_hex64(h - 65) || h[-1] != '"')
		return -1;
	memcpy(prev, h - 65, 64);
	prev[64] = '\0';
	return 0;
}

/*
 * SHA-256 and HMAC-SHA-256 (RFC 2104, over the same SHA-256) of bytes
 * given in pieces: a record of 40 MB is hashed as it is copied, never
 * held twice.
 */
#define SHA256_BLOCK 64

void
tk_audit_hasher_free(struct tk_audit_hasher *h)
{
	explicit_bzero(h, sizeof(*h));
}

int
tk_audit_hasher_init(
    struct tk_audit_hasher *h, const unsigned char *key, size_t keylen)
{
	unsigned char k0[SHA256_BLOCK], ipad[SHA256_BLOCK];
	size_t i;

	memset(h, 0, sizeof(*h));
	tk_sha256_init(&h->sha);
	if (key == NULL)
		return 0;
	h->keyed = true;
	memset(k0, 0, sizeof(k0));
	if (keylen > SHA256_BLOCK)
		(void)tk_sha256(k0, key, keylen);
	else if (keylen > 0)
		memcpy(k0, key, keylen);
	for (i = 0; i < SHA256_BLOCK; i++) {
		ipad[i] = k0[i] ^ 0x36;
		h->opad[i] = k0[i] ^ 0x5c;
	}
	tk_sha256_init(&h->inner);
	tk_sha256_update(&h->inner, ipad, sizeof(ipad));
	explicit_bzero(k0, sizeof(k0));
	explicit_bzero(ipad, sizeof(ipad));
	return 0;
}

int
tk_audit_hasher_update(struct tk_audit_hasher *h, const void *p, size_t n)
{
	tk_sha256_update(&h->sha, p, n);
	if (h->keyed)
		tk_sha256_update(&h->inner, p, n);
	return 0;
}

int
tk_audit_hasher_final(struct tk_audit_hasher *h, char hash[65], char hmac[65])
{
	unsigned char d[TK_SHA256_LEN], in[TK_SHA256_LEN];
	struct tk_sha256_ctx outer;

	hmac[0] = '\0';
	tk_sha256_final(&h->sha, d);
	tk_hex(hash, d, sizeof(d));
	if (!h->keyed)
		return 0;
	tk_sha256_final(&h->inner, in);
	tk_sha256_init(&outer);
	tk_sha256_update(&outer, h->opad, sizeof(h->opad));
	tk_sha256_update(&outer, in, sizeof(in));
	tk_sha256_final(&outer, d);
	tk_hex(hmac, d, sizeof(d));
	explicit_bzero(in, sizeof(in));
	return 0;
}

int
tk_audit_digest(const char *line, size_t body, const unsigned char *key,
    size_t keylen, char hash[65], char hmac[65])
{
	struct tk_audit_hasher h;
	int rc;

	if ((rc = tk_audit_hasher_init(&h, key, keylen)) < 0)
		return rc;
	if ((rc = tk_audit_hasher_update(&h, line, body)) == 0 &&
	    (rc = tk_audit_hasher_update(&h, "}", 1)) == 0)
		rc = tk_audit_hasher_final(&h, hash, hmac);
	tk_audit_hasher_free(&h);
	return rc;
}

int
tk_audit_seal(struct tk_buf *body, const char prev[65],
    const unsigned char *key, size_t keylen, char hash[65])
{
	struct tk_audit_hasher h;
	int rc;

	if ((rc = tk_audit_hasher_init(&h, key, keylen)) < 0)
		return rc;
	rc = tk_audit_seal_rest(&h, body, prev, hash);
	tk_audit_hasher_free(&h);
	return rc;
}

int
tk_audit_seal_rest(struct tk_audit_hasher *h, struct tk_buf *body,
    const char prev[65], char hash[65])
{
	char hmac[65];
	int rc;

	(void)tk_buf_printf(body, TAIL_PREV "%s\"", prev);
	if (body->err != 0)
		return body->err;
	if ((rc = tk_audit_hasher_update(h, body->ptr, body->len)) < 0 ||
	    (rc = tk_audit_hasher_update(h, "}", 1)) < 0 ||
	    (rc = tk_audit_hasher_final(h, hash, hmac)) < 0)
		return rc;
	(void)tk_buf_printf(body, TAIL_HASH "%s\"", hash);
	if (h->keyed)
		(void)tk_buf_printf(body, ",\"hmac\":\"%s\"", hmac);
	(void)tk_buf_puts(body, "}\n");
	return body->err;
}

int
tk_chain_check_init(struct tk_chain_check *cc, struct tk_audit_chain *st,
    const struct tk_audit_read_opts *o)
{
	memset(cc, 0, sizeof(*cc));
	memset(st, 0, sizeof(*st));
	cc->st = st;
	cc->allow_rotated = o != NULL && o->allow_rotated;
	cc->key = o != NULL ? o->key : NULL;
	cc->keylen = o != NULL ? o->keylen : 0;
	st->keyed = cc->key != NULL;
	memcpy(st->last_hash, TK_ZERO_HASH, 65);
	memcpy(cc->last, TK_ZERO_HASH, 65);
	return tk_map_new(&cc->seen);
}

static int
broken(
    struct tk_chain_check *cc, const struct tk_audit_line *l, const char *why)
{
	struct tk_audit_chain *st = cc->st;

	if (!st->broken) {
		st->broken = true;
		st->bad_source = l->source;
		st->bad_line = l->lineno;
		snprintf(st->problem, sizeof(st->problem), "%s", why);
	}
	return 1;
}

/* The link from this record to the one read before it. */
static const char *
link_problem(struct tk_chain_check *cc, const char *prev)
{
	if (cc->st->records == 1 && strcmp(prev, TK_ZERO_HASH) != 0) {
		if (!cc->allow_rotated)
			return "the first record links to an earlier one: "
			       "either the log was rotated (give the earlier "
			       "files first, or --rotated) or its first "
			       "records were deleted";
		cc->st->rotated = true;
	} else if (cc->st->records > 1 && strcmp(prev, cc->last) != 0)
		return tk_map_get(cc->seen, prev, 64)
		    ? "reordered or inserted: it links to an earlier record, "
		      "not to the one before it"
		    : "deleted: the record it links to is missing (removed, "
		      "moved later, or edited)";
	return NULL;
}

/*
 * With a key, a record written while audit.key-file was not set carries
 * no HMAC.  The HMAC of any later record covers it all the same: that
 * record's prev is its hash, or the hash of a record whose prev is, and
 * so on; changing it breaks that HMAC.  So every record but the last may
 * lack one (tk_chain_check_end checks the last: after it nothing covers
 * it, and the writer with the key always writes one).
 */
static const char *
hmac_problem(struct tk_chain_check *cc, const char *hmac, const char *want)
{
	if (cc->key == NULL && hmac[0] != '\0')
		cc->st->unchecked_hmacs++;
	cc->last_unkeyed = hmac[0] == '\0';
	if (cc->key != NULL && hmac[0] == '\0') {
		cc->st->unkeyed++;
		return NULL;
	}
	cc->keyed_seen = true;
	if (cc->key != NULL && !tk_memeq(hmac, want, 64))
		return "the HMAC does not match: the chain was recomputed "
		       "without the key, or the key is wrong";
	return NULL;
}

int
tk_chain_check_line(struct tk_chain_check *cc, const struct tk_audit_line *l)
{
	char prev[65], hash[65], hmac[65], h2[65], m2[65];
	const char *why = NULL;
	size_t body;
	int rc;

	cc->st->records++;
	if (l->too_long)
		why = "record too long";
	else if (!l->terminated)
		why = "truncated: the last record is cut off in the middle";
	else if (tk_audit_split(l->ptr, l->len, &body, prev, hash, hmac) < 0)
		why = "malformed: not a twokey audit record (no prev/hash at "
		      "its end)";
	if (why != NULL)
		return broken(cc, l, why);
	if ((rc = tk_audit_digest(l->ptr, body, cc->key, cc->keylen, h2, m2)) <
	    0)
		return rc;
	if (cc->st->records == 1)
		memcpy(cc->first_prev, prev, 65);
	if (strcmp(h2, hash) != 0)
		why = "edited: the record does not match its own hash";
	else if ((why = link_problem(cc, prev)) == NULL)
		why = hmac_problem(cc, hmac, m2);
	memcpy(cc->last, hash, 65);
	if (why != NULL)
		return broken(cc, l, why);
	/* the value: the record's number (from 1), for the head's lag */
	if (tk_map_put(cc->seen, hash, 64, (void *)(uintptr_t)cc->st->records,
	        NULL) == TK_ENOMEM)
		return tk_error_set(TK_ENOMEM, "out of memory");
	if (cc->st->broken)
		return 1;
	cc->st->verified++;
	memcpy(cc->before_last, cc->st->last_hash, 65);
	memcpy(cc->st->last_hash, hash, 65);
	return 0;
}

void
tk_chain_check_head(
    struct tk_chain_check *cc, const char *head, size_t source, size_t lineno)
{
	struct tk_audit_line l;
	uintptr_t at;

	if (cc->st->broken || head == NULL || cc->st->records == 0 ||
	    strcmp(head, cc->st->last_hash) == 0)
		return;
	/*
	 * A head naming an earlier record of the chain: the head file is not
	 * flushed, and a crash left it behind (docs/audit.md).  The writer
	 * accepts it too, and its next record brings it up to date.
	 */
	if ((at = (uintptr_t)tk_map_get(cc->seen, head, 64)) != 0) {
		cc->st->head_behind = cc->st->records - (size_t)at;
		return;
	}
	/* a rotated file read alone: the head names the earlier file's last */
	if (cc->st->rotated && strcmp(head, cc->first_prev) == 0) {
		cc->st->head_behind = cc->st->records;
		return;
	}
	memset(&l, 0, sizeof(l));
	l.source = source;
	l.lineno = lineno;
	(void)broken(cc, &l,
	    "the log ends before the newest record written (its head file "
	    "names another): records were removed from the end");
}

void
tk_chain_check_end(struct tk_chain_check *cc, size_t source, size_t lineno)
{
	struct tk_audit_line l;

	if (cc->st->broken || cc->key == NULL || cc->st->records == 0 ||
	    !cc->last_unkeyed)
		return;
	/* the last record counted as verified: it is not */
	cc->st->verified--;
	memcpy(cc->st->last_hash, cc->before_last, 65);
	memset(&l, 0, sizeof(l));
	l.source = source;
	l.lineno = lineno;
	(void)broken(cc, &l,
	    cc->keyed_seen
	        ? "no HMAC, but a key was given: the newest record was "
	          "written without the key, or its HMAC was removed"
	        : "no record carries an HMAC, but a key was given: the log "
	          "was written without the key (verify it without "
	          "--key-file), or its HMACs were removed");
}

void
tk_chain_check_release(struct tk_chain_check *cc)
{
	tk_map_free(cc->seen);
	cc->seen = NULL;
}
