/*
 * The emergency state: entries, their text form, and the store front end
 * (include/twokey/emergency.h).
 *
 * The text form, one entry and its commits a few lines at a time:
 *   twokey-emergencies 2 <next seq>
 *   e <seq> <time> <ratify_by> <ratified> <waived> <block> <repo> <ref>
 *     <old> <new> <pusher> <rule> <reason> <ratifiers> <ncommits>
 *     <pusher-as>,<pusher-as>...
 *   c <id> <writer>,<writer>... <email>,<email>... <key>,<key>...
 * (the e line is one line).  Version 1, which older twokeys wrote, has
 * no pusher-as field and no emails or keys on its c lines; it is still read
 * (parse.c), and written back as version 2.  Text fields are percent-encoded:
 * every byte outside '!'..'~', and '%', ',' and '~', becomes %XX; an empty or
 * absent field is "~".  So no field can hold a space or a line break, and a
 * reason or ref name an attacker chose cannot forge a field or an entry.
 * The parser accepts exactly what the formatter writes and nothing else:
 * a state someone edited badly fails closed.
 */
#include "store.h"
#include "twokey/policy.h"

static int
enc(struct tk_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	int rc = 0;

	if (s == NULL || *s == '\0')
		return tk_buf_putc(b, '~');
	for (i = 0; s[i] != '\0' && rc == 0; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch >= 0x7f || ch == '%' || ch == ',' ||
		    ch == '~')
			rc = tk_buf_printf(
			    b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
		else
			rc = tk_buf_putc(b, (char)ch);
	}
	return rc;
}

/* v[0..n) comma-separated, each encoded; "~" when n is 0. */
static int
enc_list(struct tk_buf *b, char *const *v, size_t n)
{
	size_t k;
	int rc = 0;

	if (n == 0)
		return tk_buf_putc(b, '~');
	for (k = 0; k < n && rc == 0; k++)
		if ((rc = k ? tk_buf_putc(b, ',') : 0) == 0)
			rc = enc(b, v[k]);
	return rc;
}

static int
format_entry(struct tk_buf *b, const struct tk_emergency_entry *e)
{
	size_t i;
	int rc;

	rc = tk_buf_printf(b, "e %llu %lld %lld %lld %u %d ",
	    (unsigned long long)e->seq, (long long)e->time,
	    (long long)e->ratify_by, (long long)e->ratified, e->waived,
	    e->block ? 1 : 0);
	const char *f[] = {e->repo, e->ref, e->old, e->new_, e->pusher, e->rule,
	    e->reason, e->ratifiers};
	for (i = 0; i < sizeof(f) / sizeof(f[0]) && rc == 0; i++)
		if ((rc = enc(b, f[i])) == 0)
			rc = tk_buf_putc(b, ' ');
	if (rc == 0 && (rc = tk_buf_printf(b, "%zu ", e->ncommits)) == 0 &&
	    (rc = enc_list(b, e->pusher_as, e->npusher_as)) == 0)
		rc = tk_buf_putc(b, '\n');
	for (i = 0; i < e->ncommits && rc == 0; i++) {
		const struct tk_emergency_commit *cm = &e->commits[i];

		if ((rc = tk_buf_printf(b, "c %s ", cm->id)) == 0 &&
		    (rc = enc_list(b, cm->writers, cm->nwriters)) == 0 &&
		    (rc = tk_buf_putc(b, ' ')) == 0 &&
		    (rc = enc_list(b, cm->emails, cm->nemails)) == 0 &&
		    (rc = tk_buf_putc(b, ' ')) == 0 &&
		    (rc = enc_list(b, cm->keys, cm->nkeys)) == 0)
			rc = tk_buf_putc(b, '\n');
	}
	return rc;
}

int
tk_emergency_state_format(
    struct tk_buf *out, const struct tk_emergency_state *st)
{
	size_t i;
	int rc;

	rc = tk_buf_printf(out, "twokey-emergencies 2 %llu\n",
	    (unsigned long long)(st->next ? st->next : 1));
	for (i = 0; i < st->n && rc == 0; i++)
		rc = format_entry(out, &st->items[i]);
	return rc == TK_ETOOBIG
	    ? tk_error_set(rc, "the emergency state is too large")
	    : rc;
}

void
tk_emergency_entry_release(struct tk_emergency_entry *e)
{
	size_t i, k;

	free(e->repo);
	free(e->ref);
	free(e->old);
	free(e->new_);
	free(e->pusher);
	free(e->rule);
	free(e->reason);
	free(e->ratifiers);
	for (i = 0; i < e->npusher_as; i++)
		free(e->pusher_as[i]);
	free(e->pusher_as);
	for (i = 0; i < e->ncommits; i++) {
		struct tk_emergency_commit *cm = &e->commits[i];

		for (k = 0; k < cm->nwriters; k++)
			free(cm->writers[k]);
		for (k = 0; k < cm->nemails; k++)
			free(cm->emails[k]);
		for (k = 0; k < cm->nkeys; k++)
			free(cm->keys[k]);
		free(cm->writers);
		free(cm->emails);
		free(cm->keys);
	}
	free(e->commits);
	memset(e, 0, sizeof(*e));
}

void
tk_emergency_state_release(struct tk_emergency_state *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		tk_emergency_entry_release(&st->items[i]);
	free(st->items);
	memset(st, 0, sizeof(*st));
}

static char *
dup_or_null(const char *s, bool *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = tk_strdup(s)) == NULL)
		*fail = true;
	return d;
}

/* *out[0..*n) = copies of v[0..m). */
static int
copy_list(char ***out, size_t *n, char *const *v, size_t m)
{
	size_t k;

	if (m == 0)
		return 0;
	if ((*out = tk_calloc(m, sizeof(**out))) == NULL)
		return TK_ENOMEM;
	for (k = 0; k < m; k++, (*n)++)
		if (((*out)[k] = tk_strdup(v[k])) == NULL)
			return TK_ENOMEM;
	return 0;
}

static int
copy_commits(struct tk_emergency_entry *d, const struct tk_emergency_entry *e)
{
	size_t i;

	if (e->ncommits == 0)
		return 0;
	if ((d->commits = tk_calloc(e->ncommits, sizeof(*d->commits))) == NULL)
		return TK_ENOMEM;
	for (i = 0; i < e->ncommits; i++) {
		const struct tk_emergency_commit *ec = &e->commits[i];
		struct tk_emergency_commit *dc = &d->commits[d->ncommits++];

		memcpy(dc->id, ec->id, sizeof(dc->id));
		if (copy_list(&dc->writers, &dc->nwriters, ec->writers,
		        ec->nwriters) < 0 ||
		    copy_list(&dc->emails, &dc->nemails, ec->emails,
		        ec->nemails) < 0 ||
		    copy_list(&dc->keys, &dc->nkeys, ec->keys, ec->nkeys) < 0)
			return TK_ENOMEM;
	}
	return 0;
}

int
tk_emergency_state_add(
    struct tk_emergency_state *st, const struct tk_emergency_entry *e)
{
	struct tk_emergency_entry *d;
	bool fail = false;

	if (st->n >= TK_EMERGENCY_MAX_ENTRIES)
		return tk_error_set(TK_ETOOBIG,
		    "the emergency state holds %d emergencies already",
		    TK_EMERGENCY_MAX_ENTRIES);
	if (tk_grow(&st->items, &st->cap, st->n + 1, sizeof(*st->items)) < 0)
		return tk_error_set(TK_ENOMEM, "out of memory");
	d = &st->items[st->n++];
	*d = *e;
	d->seq = st->next ? st->next : 1;
	st->next = d->seq + 1;
	d->repo = dup_or_null(e->repo, &fail);
	d->ref = dup_or_null(e->ref, &fail);
	d->old = dup_or_null(e->old, &fail);
	d->new_ = dup_or_null(e->new_, &fail);
	d->pusher = dup_or_null(e->pusher, &fail);
	d->rule = dup_or_null(e->rule, &fail);
	d->reason = dup_or_null(e->reason, &fail);
	d->ratifiers = dup_or_null(e->ratifiers, &fail);
	d->commits = NULL;
	d->ncommits = 0;
	d->pusher_as = NULL;
	d->npusher_as = 0;
	if (fail ||
	    copy_list(&d->pusher_as, &d->npusher_as, e->pusher_as,
	        e->npusher_as) < 0 ||
	    copy_commits(d, e) < 0)
		return tk_error_set(TK_ENOMEM, "out of memory");
	return 0;
}

bool
tk_emergency_overdue(const struct tk_emergency_entry *e, int64_t now)
{
	return e->ratified == 0 && now > e->ratify_by;
}

const char *
tk_emergency_reason_invalid(const char *reason)
{
	size_t n, i, k;

	if (reason == NULL || *reason == '\0')
		return "the reason is empty; give one, e.g. "
		       "-o twokey.emergency=\"INC-4711 restoring the config\"";
	if ((n = strlen(reason)) > TK_EMERGENCY_MAX_REASON)
		return "the reason is longer than 200 bytes";
	for (i = 0; i < n; i += k) {
		if ((unsigned char)reason[i] < 0x20 ||
		    (unsigned char)reason[i] == 0x7f)
			return "the reason holds control characters";
		if ((k = tk_utf8_len(
		         (const unsigned char *)reason + i, n - i)) == 0)
			return "the reason is not valid UTF-8";
		/* C1 controls (U+0080..U+009F) are control characters too */
		if (k == 2 && (unsigned char)reason[i] == 0xc2 &&
		    (unsigned char)reason[i + 1] < 0xa0)
			return "the reason holds control characters";
	}
	return NULL;
}

/* ---- the store front end ---------------------------------------------- */

int
tk_emergency_store_open(
    struct tk_emergency_store **out, const struct tk_policy *p)
{
	char path[4200];

	*out = NULL;
	/* Every node must see the same emergencies: they live with the chain.
	 */
	if (p->audit_postgres != NULL)
		return tk_emergency_pg_store(out, p->audit_postgres);
	if (p->audit_path == NULL)
		return tk_error_set(TK_ENOTFOUND,
		    "the policy keeps no audit log (audit.path), so no "
		    "emergency can be recorded");
	if ((size_t)snprintf(path, sizeof(path), "%s.emergencies",
	        p->audit_path) >= sizeof(path))
		return tk_error_set(TK_ETOOBIG, "audit.path is too long");
	return tk_emergency_file_store(out, path);
}

static int
read_parse(struct tk_emergency_store *s, struct tk_emergency_state *st)
{
	struct tk_buf text = TK_BUF_INIT(TK_EMERGENCY_MAX_STATE);
	int rc;

	if ((rc = s->ops->read(s, &text)) == 0)
		rc = tk_emergency_state_parse(
		    st, text.ptr ? text.ptr : "", text.len);
	if (rc < 0)
		rc = tk_error_set(rc,
		    "the emergency state %s cannot be used: %s", s->where,
		    tk_error_last());
	tk_buf_release(&text);
	return rc;
}

int
tk_emergency_store_read(
    struct tk_emergency_store *s, struct tk_emergency_state *st)
{
	return read_parse(s, st);
}

int
tk_emergency_store_lock(
    struct tk_emergency_store *s, struct tk_emergency_state *st)
{
	int rc;

	if ((rc = s->ops->lock(s)) < 0)
		return rc;
	if ((rc = read_parse(s, st)) < 0)
		s->ops->unlock(s);
	return rc;
}

int
tk_emergency_store_write(
    struct tk_emergency_store *s, const struct tk_emergency_state *st)
{
	struct tk_buf text = TK_BUF_INIT(TK_EMERGENCY_MAX_STATE);
	int rc;

	if ((rc = tk_emergency_state_format(&text, st)) == 0)
		rc = s->ops->write(s, &text);
	tk_buf_release(&text);
	return rc;
}

void
tk_emergency_store_unlock(struct tk_emergency_store *s)
{
	if (s != NULL)
		s->ops->unlock(s);
}

const char *
tk_emergency_store_where(const struct tk_emergency_store *s)
{
	return s->where;
}

bool
tk_emergency_store_with_record(const struct tk_emergency_store *s)
{
	return s->with_record;
}

void
tk_emergency_store_free(struct tk_emergency_store *s)
{
	if (s != NULL)
		s->ops->free(s);
}

int
tk_emergency_repo_key(struct tk_buf *out, const char *path, const char *ns)
{
	if (ns == NULL || *ns == '\0')
		return tk_buf_puts(out, path);
	return tk_buf_printf(out, "%s (namespace %s)", path, ns);
}
