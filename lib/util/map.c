/*
 * String-keyed hash map, open addressing with linear probing.  The policy
 * may hold 10,000 identities, each with several emails, logins and keys;
 * every commit looks its author and committer up here.
 *
 * The probed table holds only a 32-bit hash and an entry number (8 bytes
 * a slot: 10,000 keys fit in 128 KiB, in cache); the entries themselves
 * are appended to a dense array.  Loading a compiled policy inserts
 * 30,000 keys, and with 40-byte slots nearly every insert was a cache
 * miss.
 */
#include "internal.h"

struct entry {
	char *key;
	void *value;
	uint32_t keylen; /* keys are policy values: TK_POLICY_MAX_SCALAR */
	bool borrowed; /* key is the caller's: not freed here */
};

struct slot {
	uint32_t hash;
	uint32_t idx; /* entry number + 1; 0: empty */
};

struct tk_map {
	struct slot *slots;
	size_t cap; /* a power of two */
	struct entry *entries;
	size_t count, ecap;
};

/* FNV-1a: inserts come from the policy only, so no flooding concern. */
static uint32_t
hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	/*
	 * FNV's low bits, which pick the slot, depend only on the low bits
	 * of each step: keys that differ in a few digits in the middle
	 * ("id00042@example.com") pile up.  A final mix spreads them.
	 */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

int
tk_map_new(struct tk_map **out)
{
	struct tk_map *m;

	*out = NULL;
	if ((m = tk_calloc(1, sizeof(*m))) == NULL)
		return TK_ENOMEM;
	m->cap = 16;
	if ((m->slots = tk_calloc(m->cap, sizeof(*m->slots))) == NULL) {
		free(m);
		return TK_ENOMEM;
	}
	*out = m;
	return 0;
}

void
tk_map_free(struct tk_map *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->count; i++)
		if (!m->entries[i].borrowed)
			free(m->entries[i].key);
	free(m->entries);
	free(m->slots);
	free(m);
}

/* The slot holding key, or the empty slot where it would go. */
static struct slot *
find_slot(const struct tk_map *m, const void *key, size_t keylen, uint32_t h)
{
	size_t i = (size_t)h & (m->cap - 1);
	const struct entry *e;

	for (;;) {
		struct slot *s = &m->slots[i];

		if (s->idx == 0)
			return s;
		e = &m->entries[s->idx - 1];
		if (s->hash == h && e->keylen == keylen &&
		    memcmp(e->key, key, keylen) == 0)
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

static int
rehash(struct tk_map *m, size_t ncap)
{
	struct slot *ns;
	size_t i, j;

	if ((ns = tk_calloc(ncap, sizeof(*ns))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].idx == 0)
			continue;
		for (j = m->slots[i].hash & (ncap - 1); ns[j].idx != 0;
		     j = (j + 1) & (ncap - 1))
			;
		ns[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return 0;
}

/* Room for n entries: table and entry array. */
static int
grow(struct tk_map *m, size_t n)
{
	size_t ncap = m->cap;
	struct entry *ne;
	int rc;

	if (n >= UINT32_MAX || n > SIZE_MAX / 8)
		return tk_error_set(TK_ETOOBIG, "map too large");
	while ((n + 1) * 4 > ncap * 3)
		ncap *= 2;
	if (ncap != m->cap && (rc = rehash(m, ncap)) < 0)
		return rc;
	if (n > m->ecap) {
		if ((ne = realloc(m->entries, n * sizeof(*ne))) == NULL)
			return tk_error_set(TK_ENOMEM, "out of memory");
		m->entries = ne;
		m->ecap = n;
	}
	return 0;
}

int
tk_map_reserve(struct tk_map *m, size_t n)
{
	return n > m->count ? grow(m, n) : 0;
}

static int
put(struct tk_map *m, const void *key, size_t keylen, void *value,
    void **existing, bool borrow)
{
	uint32_t h = hash_bytes(key, keylen);
	struct entry *e;
	struct slot *s;
	int rc;

	if (keylen > UINT32_MAX)
		return tk_error_set(TK_ETOOBIG, "map key too long");
	s = find_slot(m, key, keylen, h);
	if (s->idx != 0) {
		if (existing != NULL)
			*existing = m->entries[s->idx - 1].value;
		return TK_ERROR;
	}
	if (m->count + 1 > m->ecap || (m->count + 1) * 4 > m->cap * 3) {
		if ((rc = grow(m, m->count < 8 ? 16 : m->count * 2)) < 0)
			return rc;
		s = find_slot(m, key, keylen, h);
	}
	e = &m->entries[m->count];
	if (borrow)
		e->key = (char *)(uintptr_t)key;
	else if ((e->key = tk_strndup(key, keylen)) == NULL)
		return TK_ENOMEM;
	e->borrowed = borrow;
	e->keylen = (uint32_t)keylen;
	e->value = value;
	s->hash = h;
	s->idx = (uint32_t)++m->count;
	return 0;
}

int
tk_map_put(struct tk_map *m, const void *key, size_t keylen, void *value,
    void **existing)
{
	return put(m, key, keylen, value, existing, false);
}

int
tk_map_put_borrowed(struct tk_map *m, const void *key, size_t keylen,
    void *value, void **existing)
{
	return put(m, key, keylen, value, existing, true);
}

void *
tk_map_get(const struct tk_map *m, const void *key, size_t keylen)
{
	const struct slot *s;

	if (keylen > UINT32_MAX)
		return NULL;
	s = find_slot(m, key, keylen, hash_bytes(key, keylen));
	return s->idx != 0 ? m->entries[s->idx - 1].value : NULL;
}

size_t
tk_map_count(const struct tk_map *m)
{
	return m->count;
}
