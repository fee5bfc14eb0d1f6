/*
 * The freeze store: which backend holds the ad hoc freezes, and the
 * start and stop edits every backend shares (docs/freezes.md).
 */
#include "store.h"

int
tk_freeze_store_open(struct tk_freeze_store **out, const struct tk_policy *p)
{
	/* Every node must see the same freezes: they live with the chain. */
	if (p->audit_postgres != NULL)
		return tk_freeze_pg_open(out, p->audit_postgres);
	return tk_freeze_file_open(
	    out, p->freeze_file != NULL ? p->freeze_file : TWOKEY_FREEZE_FILE);
}

int
tk_freeze_store_open_file(struct tk_freeze_store **out, const char *path)
{
	return tk_freeze_file_open(out, path);
}

const char *
tk_freeze_store_name(const struct tk_freeze_store *s)
{
	return s->name;
}

int
tk_freeze_store_load(struct tk_freeze_store *s, struct tk_freeze_list *out)
{
	return s->ops->load(s, out);
}

void
tk_freeze_store_free(struct tk_freeze_store *s)
{
	if (s != NULL)
		s->ops->free(s);
}

/* Drops the freezes whose end passed: the store stays bounded. */
static void
prune(struct tk_freeze_list *l, int64_t now)
{
	size_t i, k = 0;

	for (i = 0; i < l->n; i++) {
		if (l->items[i].until > now)
			l->items[k++] = l->items[i];
		else
			tk_freeze_release(&l->items[i]);
	}
	l->n = k;
}

struct start_arg {
	const struct tk_policy *p;
	const struct tk_freeze *f;
	int64_t now;
};

static int
start_edit(struct tk_freeze_list *l, void *arg)
{
	const struct start_arg *a = arg;
	const struct tk_freeze *f = a->f;
	size_t i;
	int rc;

	prune(l, a->now);
	for (i = 0; a->p != NULL && i < a->p->nfreezes; i++)
		if (strcmp(a->p->freezes[i].name, f->name) == 0)
			return tk_error_set(TK_EINVAL,
			    "a planned freeze in the policy is named '%s'",
			    f->name);
	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].name, f->name) == 0)
			return tk_error_set(TK_EINVAL,
			    "freeze '%s' is already in force or planned",
			    f->name);
	if (l->n >= TK_FREEZE_MAX_ADHOC)
		return tk_error_set(TK_ETOOBIG,
		    "%d ad hoc freezes are kept already; stop one first",
		    TK_FREEZE_MAX_ADHOC);
	if (tk_grow_one(&l->items, l->n, sizeof(*l->items)) < 0)
		return TK_ENOMEM;
	rc = tk_freeze_new(&l->items[l->n], f->name, f->refs_src, f->reason,
	    f->by, f->from, f->until);
	l->n++; /* released with the list even when half-filled */
	return rc;
}

int
tk_freeze_store_start(struct tk_freeze_store *s, const struct tk_policy *p,
    const struct tk_freeze *f, int64_t now)
{
	struct start_arg a = {p, f, now};

	return s->ops->modify(s, start_edit, &a);
}

struct stop_arg {
	const char *name;
	int64_t now;
	char *stopped;
};

static int
stop_edit(struct tk_freeze_list *l, void *arg)
{
	struct stop_arg *a = arg;
	size_t i, hit = l->n, n = 0;

	for (i = 0; i < l->n; i++) {
		if (l->items[i].until <= a->now)
			continue; /* over already */
		if (a->name == NULL || strcmp(a->name, l->items[i].name) == 0)
			hit = i, n++;
	}
	if (n == 0)
		return tk_error_set(TK_ENOTFOUND,
		    a->name ? "no ad hoc freeze named '%s' is in force"
		            : "no ad hoc freeze is in force%s",
		    a->name ? a->name : "");
	if (n > 1)
		return tk_error_set(TK_EINVAL,
		    "%zu ad hoc freezes are in force; name the one to stop "
		    "(twokey freeze status lists them)",
		    n);
	a->stopped = l->items[hit].name;
	l->items[hit].name = NULL;
	tk_freeze_release(&l->items[hit]);
	l->items[hit] = l->items[--l->n];
	prune(l, a->now);
	return 0;
}

int
tk_freeze_store_stop(
    struct tk_freeze_store *s, const char *name, int64_t now, char **stopped)
{
	struct stop_arg a = {name, now, NULL};
	int rc;

	*stopped = NULL;
	rc = s->ops->modify(s, stop_edit, &a);
	if (rc == 0)
		*stopped = a.stopped;
	else
		free(a.stopped);
	return rc;
}

int
tk_freeze_state_load(struct tk_freeze_state *st, const struct tk_policy *p)
{
	struct tk_freeze_store *s = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = tk_freeze_store_open(&s, p)) == TK_ENOMEM)
		return rc;
	if (rc == 0)
		rc = tk_freeze_store_load(s, &st->list);
	tk_freeze_store_free(s);
	if (rc == TK_ENOMEM)
		return rc;
	st->status = rc;
	return 0;
}

void
tk_freeze_state_release(struct tk_freeze_state *st)
{
	tk_freeze_list_release(&st->list);
	st->status = 0;
}
