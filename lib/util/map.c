/*
 * String-keyed hash map, open addressing with linear probing.  The policy
 * may hold 10,000 identities, each with several emails, logins and keys;
 * every commit looks its author and committer up here.
 */
#include "internal.h"

struct entry {
	char *key;
	size_t keylen;
	uint64_t hash;
	void *value;
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
rehash(struct tk_map *m)
{
	size_t ncap = m->cap * 2, i;
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
tk_map_put(struct tk_map *m, const void *key, size_t keylen, void *value,
    void **existing)
{
	uint64_t h = hash_bytes(key, keylen);
	struct entry *e;
	int rc;

	if ((m->count + 1) * 4 > m->cap * 3 && (rc = rehash(m)) < 0)
		return rc;
	e = find_slot(m->slots, m->cap, key, keylen, h);
	if (e->key != NULL) {
		if (existing != NULL)
			*existing = e->value;
		return TK_ERROR;
	}
	if ((e->key = tk_strndup(key, keylen)) == NULL)
		return TK_ENOMEM;
	e->keylen = keylen;
	e->hash = h;
	e->value = value;
	m->count++;
	return 0;
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
