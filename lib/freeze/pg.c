/*
 * The database backend of the freeze store: with audit.postgres, the ad
 * hoc freezes live in the audit database (table twokey_freezes, one row
 * holding the freeze file's text and a version), so every node enforces
 * the same ones (docs/postgres.md, "Shared state").
 *
 * The static programs reach the database only through twokey-pg
 * (lib/audit/pgclient.c).  The hooks read; "twokey freeze" edits with
 * compare-and-swap on the version, retried a few times, so two admins'
 * starts never lose one another.  The text is parsed here exactly as the
 * file's is: a row edited by hand into nonsense fails closed the same
 * way.  twokey-pg never prints the connection string.
 */
#include "store.h"
#include "audit/store.h"

#define PG_FREEZE_TRIES 10

/* "VERSION\n" then the freeze text, as twokey-pg freeze-read prints it. */
static int
pg_read(struct tk_freeze_store *s, struct tk_freeze_list *out, char ver[24])
{
	char *argv[4] = {NULL, "freeze-read", s->path, NULL};
	struct tk_buf b = TK_BUF_INIT(TK_FREEZE_FILE_MAX + 64);
	char *nl;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tk_audit_pg_run(argv, NULL, 0, &b)) < 0)
		goto out;
	if (b.ptr == NULL || (nl = memchr(b.ptr, '\n', b.len)) == NULL ||
	    (n = (size_t)(nl - b.ptr)) == 0 || n >= 24 ||
	    strspn(b.ptr, "0123456789") != n) {
		rc = tk_error_set(TK_EIO, "twokey-pg's answer is malformed");
		goto out;
	}
	memcpy(ver, b.ptr, n);
	ver[n] = '\0';
	if ((rc = tk_freeze_parse(out, nl + 1, b.len - n - 1)) < 0 &&
	    rc != TK_ENOMEM)
		rc = tk_error_set(
		    rc, "%s is corrupt: %s", s->name, tk_error_last());
out:
	tk_buf_release(&b);
	return rc;
}

static int
pg_load(struct tk_freeze_store *s, struct tk_freeze_list *out)
{
	char ver[24];

	return pg_read(s, out, ver);
}

/* 1 when the row moved on since ver was read (try again). */
static int
pg_write(
    struct tk_freeze_store *s, const struct tk_freeze_list *l, char ver[24])
{
	char *argv[5] = {NULL, "freeze-write", s->path, ver, NULL};
	struct tk_buf b = TK_BUF_INIT(TK_FREEZE_FILE_MAX);
	int rc;

	if ((rc = tk_freeze_format(&b, l)) < 0)
		rc = tk_error_set(rc, "the freezes do not fit in %u bytes",
		    TK_FREEZE_FILE_MAX);
	else if ((rc = tk_audit_pg_run(argv, b.ptr, b.len, NULL)) < 0 &&
	    strstr(tk_error_last(), "changed meanwhile") != NULL)
		rc = 1;
	tk_buf_release(&b);
	return rc;
}

static int
pg_modify(struct tk_freeze_store *s,
    int (*edit)(struct tk_freeze_list *, void *), void *arg)
{
	struct tk_freeze_list cur;
	char ver[24];
	int tries, rc = 1;

	for (tries = 0; rc == 1 && tries < PG_FREEZE_TRIES; tries++) {
		if ((rc = pg_read(s, &cur, ver)) == 0 &&
		    (rc = edit(&cur, arg)) == 0)
			rc = pg_write(s, &cur, ver);
		tk_freeze_list_release(&cur);
	}
	if (rc == 1)
		rc = tk_error_set(TK_EIO,
		    "the freezes in the audit database kept changing; try "
		    "again");
	return rc;
}

static void
pg_free(struct tk_freeze_store *s)
{
	free(s->name);
	free(s->path);
	free(s);
}

static const struct tk_freeze_store_ops pg_ops = {pg_load, pg_modify, pg_free};

int
tk_freeze_pg_open(struct tk_freeze_store **out, const char *conninfo_file)
{
	struct tk_freeze_store *s;

	*out = NULL;
	if ((s = tk_calloc(1, sizeof(*s))) == NULL)
		return TK_ENOMEM;
	s->ops = &pg_ops;
	if ((s->path = tk_strdup(conninfo_file)) == NULL ||
	    (s->name = tk_strdup("the freeze state in the audit database")) ==
	        NULL) {
		pg_free(s);
		return TK_ENOMEM;
	}
	*out = s;
	return 0;
}
