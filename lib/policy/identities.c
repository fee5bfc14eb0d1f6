/*
 * identities: and revoked-keys: sections.
 *
 * Identity is the unit of separation: two emails or two keys of one person
 * must count once, and one email, login or key claimed by two identities
 * would let a person approve as someone else, so it is an error.
 */
#include "internal.h"
#include "load.h"
#include "twokey/sshsig.h"

static const char *const identity_keys[] = {
    "name", "emails", "logins", "keys", "roles", NULL};
static const char *const key_keys[] = {
    "key", "valid-after", "valid-before", NULL};

/* Adds name to map, reporting a clash with the identity that has it. */
static int
claim(struct tk_load *c, struct tk_map *map, const char *k, size_t klen,
    struct tk_identity *id, void *value, const struct ynode *n,
    const char *path, const char *what)
{
	void *prev = NULL;
	int r;

	if ((r = tk_map_put(map, k, klen, value, &prev)) == TK_ERROR) {
		const struct tk_identity *o = id;

		if (map == c->p->by_key)
			o = ((struct tk_key *)prev)->owner;
		else
			o = prev;
		tk_load_err(c, n, path, "%s already belongs to identity '%s'",
		    what, o->id);
		return TK_ECONFIG;
	}
	return r;
}

static int
add_email(struct tk_load *c, const struct ynode *n, const char *path, void *arg)
{
	struct tk_identity *id = arg;
	char *lower;
	size_t i;
	int r;

	if (n->type != YN_SCALAR || !tk_valid_name(n->str, n->len, 254) ||
	    memchr(n->str, '@', n->len) == NULL || strpbrk(n->str, "<> \t")) {
		tk_load_err(c, n, path, "expected an email address");
		return TK_ECONFIG;
	}
	if ((r = tk_grow_one(&id->emails, id->nemails, sizeof(char *))) < 0 ||
	    (lower = tk_strndup(n->str, n->len)) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < n->len; i++)
		lower[i] = (char)tk_ascii_tolower((unsigned char)lower[i]);
	id->emails[id->nemails++] = lower;
	return claim(
	    c, c->p->by_email, lower, n->len, id, id, n, path, "email");
}

static int
add_login(struct tk_load *c, const struct ynode *n, const char *path, void *arg)
{
	struct tk_identity *id = arg;
	char *s;

	if (n->type != YN_SCALAR ||
	    !tk_valid_name(n->str, n->len, TK_LOGIN_MAX_LEN)) {
		tk_load_err(c, n, path, "expected a login name");
		return TK_ECONFIG;
	}
	if (tk_grow_one(&id->logins, id->nlogins, sizeof(char *)) < 0 ||
	    (s = tk_strndup(n->str, n->len)) == NULL)
		return TK_ENOMEM;
	id->logins[id->nlogins++] = s;
	return claim(c, c->p->by_login, s, n->len, id, id, n, path, "login");
}

/*
 * A key whose base64 a line break cut in two (copied from a wrapped
 * terminal, or a YAML line fold): it parses once the pieces after the
 * type are joined.  Reports where the first cut is and returns true.
 */
static bool
wrapped(struct tk_load *c, const struct ynode *n, const char *path)
{
	struct tk_sshkey *k = NULL;
	char *s, *cut = NULL, *sp;
	unsigned line, col;
	int pieces;

	if ((s = tk_strndup(n->str, n->len)) == NULL)
		return false;
	sp = strchr(s, ' '); /* after the type */
	for (pieces = 0; sp != NULL && k == NULL && pieces < 8; pieces++) {
		if ((sp = strchr(sp + 1, ' ')) == NULL)
			break;
		if (cut == NULL)
			cut = sp;
		memmove(sp, sp + 1, strlen(sp + 1) + 1);
		sp--;
		(void)tk_sshkey_parse_line(&k, s);
	}
	if (k != NULL) {
		tk_load_value_pos(c, n, (size_t)(cut - s), &line, &col);
		tk_load_err_at(c, line, col, path,
		    "this key's base64 is cut here by a line break or space (a "
		    "wrapped or pasted line): a public key is one line, 'TYPE "
		    "BASE64 comment'; join the pieces");
	}
	tk_sshkey_free(k);
	free(s);
	tk_error_clear();
	return k != NULL;
}

/*
 * Two keys pasted into one entry ("ssh-ed25519 AAAA... ssh-ed25519
 * AAAA..."): the second would be read as the first one's comment, and
 * the identity would not have it.  Reports where it starts and returns
 * true when some word of the comment and the rest of the line parse as a
 * key.
 */
/* Whether the word at p is followed by one that starts "AAAA". */
static bool
followed_by_blob(const char *p)
{
	p += strcspn(p, " \t");
	p += strspn(p, " \t");
	return strncmp(p, "AAAA", 4) == 0;
}

static bool
second_key(struct tk_load *c, const struct ynode *n, const char *path)
{
	struct tk_sshkey *k = NULL;
	unsigned line, col;
	char *s, *p;
	int words = 0;
	bool found = false;

	if ((s = tk_strndup(n->str, n->len)) == NULL)
		return false;
	for (p = s; *p != '\0' && !found;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		/*
		 * The third word on is the comment; a key there is a type
		 * word followed by base64 of a blob ("AAAA": its length's
		 * zero bytes), so other words cost no parse (a long comment
		 * of many words would cost one each, over the rest of the
		 * line).
		 */
		if (++words >= 3 && followed_by_blob(p) &&
		    tk_sshkey_parse_line(&k, p) == 0) {
			tk_load_value_pos(c, n, (size_t)(p - s), &line, &col);
			tk_load_err_at(c, line, col, path,
			    "a second key in the same entry (it would be read "
			    "as the first one's comment): list each key as "
			    "its own item");
			found = true;
		}
		tk_sshkey_free(k);
		k = NULL;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	free(s);
	tk_error_clear();
	return found;
}

/* A key line, or {key: line, valid-after: date, valid-before: date}. */
static int
parse_key(struct tk_load *c, const struct ynode *n, const char *path,
    struct tk_key **out)
{
	const struct ynode *line = n, *v;
	struct tk_key *k;
	char sub[340], why[256];
	bool unknown = false;
	int r;

	*out = NULL;
	if (n->type == YN_MAP) {
		/* An unknown key is reported; the known ones still checked. */
		unknown = tk_load_check_keys(c, n, path, key_keys) < 0;
		if ((line = tk_load_get(n, "key")) == NULL) {
			tk_load_err(c, n, path, "missing 'key'");
			return TK_ECONFIG;
		}
	}
	if (line->type != YN_SCALAR) {
		tk_load_err(c, line, path, "expected an OpenSSH public key");
		return TK_ECONFIG;
	}
	if ((k = tk_calloc(1, sizeof(*k))) == NULL)
		return TK_ENOMEM;
	k->valid_after = INT64_MIN;
	k->valid_before = INT64_MAX;
	k->pos = (struct tk_pos){line->line, line->col};
	if ((r = tk_sshkey_parse_line(&k->key, line->str)) < 0) {
		snprintf(why, sizeof(why), "%s", tk_error_last());
		if (r == TK_ENOMEM || !wrapped(c, line, path))
			tk_load_err(c, line, path, "%s", why);
		free(k);
		return r == TK_ENOMEM ? r : TK_ECONFIG;
	}
	*out = k;
	r = unknown || second_key(c, line, path) ? TK_ECONFIG : 0;
	snprintf(sub, sizeof(sub), "%s.valid-after", path);
	if ((v = tk_load_get(n, "valid-after")) != NULL &&
	    tk_load_date(c, v, sub, &k->valid_after) < 0)
		r = TK_ECONFIG;
	snprintf(sub, sizeof(sub), "%s.valid-before", path);
	if ((v = tk_load_get(n, "valid-before")) != NULL &&
	    tk_load_date(c, v, sub, &k->valid_before) < 0)
		r = TK_ECONFIG;
	if (r == 0 && k->valid_after >= k->valid_before) {
		tk_load_err(
		    c, n, path, "valid-after is not before valid-before");
		r = TK_ECONFIG;
	}
	return r;
}

static void
key_free(struct tk_key *k)
{
	if (k == NULL)
		return;
	tk_sshkey_free(k->key);
	free(k);
}

static int
add_key(struct tk_load *c, const struct ynode *n, const char *path, void *arg)
{
	struct tk_identity *id = arg;
	struct tk_key *k = NULL;
	const unsigned char *blob;
	size_t len;
	int r;

	if ((r = parse_key(c, n, path, &k)) < 0 || k == NULL) {
		key_free(k);
		return r;
	}
	if (tk_grow_one(&id->keys, id->nkeys, sizeof(*id->keys)) < 0) {
		key_free(k);
		return TK_ENOMEM;
	}
	k->owner = id;
	id->keys[id->nkeys++] = k;
	blob = tk_sshkey_blob(k->key, &len);
	return claim(
	    c, c->p->by_key, (const char *)blob, len, id, k, n, path, "key");
}

static int
load_identity(struct tk_load *c, const struct ynode *idn, const struct ynode *n)
{
	struct tk_identity *id;
	const struct ynode *v;
	char path[300], sub[320];
	int rc = 0;

	snprintf(path, sizeof(path), "identities.%s", idn->str);
	if ((id = tk_calloc(1, sizeof(*id))) == NULL ||
	    (id->id = tk_strndup(idn->str, idn->len)) == NULL) {
		free(id);
		return TK_ENOMEM;
	}
	c->p->identities[c->p->nidentities++] = id;
	id->pos = (struct tk_pos){idn->line, idn->col};
	if (tk_load_check_keys(c, n, path, identity_keys) < 0) {
		if (n->type != YN_MAP)
			return TK_ECONFIG;
		rc = TK_ECONFIG; /* unknown keys: check the known ones too */
	}
#define SUB(k) (snprintf(sub, sizeof(sub), "%s.%s", path, k), sub)
	if ((v = tk_load_get(n, "name")) != NULL)
		rc |= tk_load_str(c, v, SUB("name"), &id->name);
	if (id->name == NULL && (id->name = tk_strdup(id->id)) == NULL)
		return TK_ENOMEM;
	if ((v = tk_load_get(n, "emails")) != NULL)
		rc |= tk_load_each(c, v, SUB("emails"), add_email, id);
	if ((v = tk_load_get(n, "logins")) != NULL)
		rc |= tk_load_each(c, v, SUB("logins"), add_login, id);
	if ((v = tk_load_get(n, "keys")) != NULL)
		rc |= tk_load_each(c, v, SUB("keys"), add_key, id);
	if ((v = tk_load_get(n, "roles")) != NULL)
		rc |= tk_load_roles(c, v, SUB("roles"), &id->roles);
#undef SUB
	return rc < 0 ? TK_ECONFIG : 0;
}

int
tk_load_identities(struct tk_load *c, const struct ynode *n)
{
	size_t i;
	int rc = 0, r;

	if (n->type != YN_MAP) {
		tk_load_err(c, n, "identities",
		    "expected a mapping of names "
		    "to identities");
		return TK_ECONFIG;
	}
	if ((c->p->identities =
	            tk_calloc(n->n / 2 + 1, sizeof(*c->p->identities))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i + 1 < n->n; i += 2) {
		if ((r = load_identity(c, n->items[i], n->items[i + 1])) ==
		    TK_ENOMEM)
			return r;
		if (r < 0)
			rc = r;
	}
	return rc;
}

static int
add_revoked(
    struct tk_load *c, const struct ynode *n, const char *path, void *arg)
{
	struct tk_policy *p = c->p;
	struct tk_key *k = NULL;
	const unsigned char *blob;
	size_t len;
	int r;

	(void)arg;
	if (n->type != YN_SCALAR) {
		tk_load_err(c, n, path, "expected an OpenSSH public key");
		return TK_ECONFIG;
	}
	if ((r = parse_key(c, n, path, &k)) < 0 || k == NULL) {
		key_free(k);
		return r;
	}
	if (tk_grow_one(&p->revoked, p->nrevoked, sizeof(*p->revoked)) < 0) {
		key_free(k);
		return TK_ENOMEM;
	}
	p->revoked[p->nrevoked++] = k;
	blob = tk_sshkey_blob(k->key, &len);
	/* Listing a key twice here is harmless. */
	r = tk_map_put(p->revoked_map, (const char *)blob, len, k, NULL);
	return r == TK_ERROR ? 0 : r;
}

int
tk_load_revoked(struct tk_load *c, const struct ynode *n)
{
	return tk_load_each(c, n, "revoked-keys", add_revoked, NULL);
}

void
tk_identity_free(struct tk_identity *id)
{
	size_t i;

	if (id == NULL)
		return;
	for (i = 0; i < id->nemails; i++)
		free(id->emails[i]);
	for (i = 0; i < id->nlogins; i++)
		free(id->logins[i]);
	for (i = 0; i < id->nkeys; i++)
		key_free(id->keys[i]);
	free(id->emails);
	free(id->logins);
	free(id->keys);
	free(id->name);
	free(id->id);
	free(id);
}

void
tk_key_free_(struct tk_key *k)
{
	key_free(k);
}
