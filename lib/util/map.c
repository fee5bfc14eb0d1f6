/*
 * String-keyed hash map, open addressing with linear probing.  The policy
 * may hold 10,000 identities, each with several emails, logins and keys;
 * every commit looks its author and committer up here.
 */
#include "internal.h"

struct entry {
	char *key;
	void *value;
	uint64_t hash;
	uint32_t keylen; /* keys are policy values: TK_POLICY_MAX_SCALAR */
	bool borrowed; /* key is the caller's: not freed here */
};

struct tk_map {
	struct entry *slots;
	size_t cap; /* a power of two */
	size_t count;
};

/* FNV-1a: inserts come from the policy only, so no flooding concern. */
static uint64_t
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
	return h;
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
	for (i = 0; i < m->cap; i++)
		if (!m->slots[i].borrowed)
			free(m->slots[i].key);
	free(m->slots);
	free(m);
}

static struct entry *
find_slot(
    struct entry *slots, size_t cap, const void *key, size_t keylen, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	for (;;) {
		struct entry *e = &slots[i];

		if (e->key == NULL ||
		    (e->hash == h && e->keylen == keylen &&
		        memcmp(e->key, key, keylen) == 0))
			return e;
		i = (i + 1) & (cap - 1);
	}
}

static int
rehash(struct tk_map *m, size_t ncap)
{
	size_t i;
	struct entry *ns, *e;

	if ((ns = tk_calloc(ncap, sizeof(*ns))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].key == NULL)
			continue;
		e = find_slot(ns, ncap, m->slots[i].key, m->slots[i].keylen,
		    m->slots[i].hash);
		*e = m->slots[i];
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return 0;
}

int
tk_map_reserve(struct tk_map *m, size_t n)
{
	size_t ncap = m->cap;

	if (n > SIZE_MAX / 8)
		return TK_ENOMEM;
	while ((n + 1) * 4 > ncap * 3)
		ncap *= 2;
	return ncap == m->cap ? 0 : rehash(m, ncap);
}

static int
put(struct tk_map *m, const void *key, size_t keylen, void *value,
    void **existing, bool borrow)
{
	uint64_t h = hash_bytes(key, keylen);
	struct entry *e;
	int rc;

	if (keylen > UINT32_MAX)
		return tk_error_set(TK_ETOOBIG, "map key too long");
	if ((m->count + 1) * 4 > m->cap * 3 && (rc = rehash(m, m->cap * 2)) < 0)
		return rc;
	e = find_slot(m->slots, m->cap, key, keylen, h);
	if (e->key != NULL) {
		if (existing != NULL)
			*existing = e->value;
		return TK_ERROR;
	}
	if (borrow)
		e->key = (char *)(uintptr_t)key;
	else if ((e->key = tk_strndup(key, keylen)) == NULL)
		return TK_ENOMEM;
	e->borrowed = borrow;
	e->keylen = (uint32_t)keylen;
	e->hash = h;
	e->value = value;
	m->count++;
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
	struct entry *e;

	e = find_slot(m->slots, m->cap, key, keylen, hash_bytes(key, keylen));
	return e->key != NULL ? e->value : NULL;
}

size_t
tk_map_count(const struct tk_map *m)
{
	return m->count;
}
