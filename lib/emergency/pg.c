/*
 * The database store of the emergency state: with audit.postgres, the
 * state lives in the audit database (table twokey_emergencies, one row
 * holding the state's text and a version), so every node sees and
 * enforces the same emergencies (docs/postgres.md, "Shared state").
 *
 * The static programs reach the database only through this run's
 * twokey-pg session (lib/audit/pgclient.c), one connection:
 *   read    em-read: the row as it is now
 *   lock    em-lock: BEGIN, the row read FOR UPDATE (so every node's
 *           writers queue on it); the text read under the lock is kept
 *           for the read that follows
 *   write   em-write: the row replaced inside that transaction
 *           (twokey-pg parses the text first)
 *   unlock  em-unlock: rolls back whatever is still uncommitted
 * The transaction is committed by the audit record the hook appends
 * next, in the same transaction: the state and the record describing it
 * become durable together or not at all (with_record), so a record that
 * cannot be written takes the state's change back with it.  The text is
 * parsed here exactly as the file's is: a row edited into nonsense fails
 * closed the same way.  twokey-pg never prints the connection string.
 */
#include "store.h"
#include "audit/store.h"

struct pg_store {
	struct tk_emergency_store base;
	char *conn; /* the connection file's path */
	bool locked;
	struct tk_buf held; /* the text em-lock read, until read takes it */
	bool have_held;
};

static int
pg_lock(struct tk_emergency_store *s)
{
	struct pg_store *ps = (struct pg_store *)s;
	char *argv[4] = {NULL, "em-lock", ps->conn, NULL};
	int rc;

	if (ps->locked)
		return 0;
	tk_buf_reset(&ps->held);
	if ((rc = tk_audit_pg_run(argv, NULL, 0, &ps->held)) < 0)
		return rc;
	ps->locked = ps->have_held = true;
	return 0;
}

static void
pg_unlock(struct tk_emergency_store *s)
{
	struct pg_store *ps = (struct pg_store *)s;
	char *argv[4] = {NULL, "em-unlock", ps->conn, NULL};

	if (!ps->locked)
		return;
	/* a lost session has rolled back already: nothing to report */
	(void)tk_audit_pg_run(argv, NULL, 0, NULL);
	ps->locked = ps->have_held = false;
	tk_buf_release(&ps->held);
}

static int
pg_read(struct tk_emergency_store *s, struct tk_buf *text)
{
	struct pg_store *ps = (struct pg_store *)s;
	char *argv[4] = {NULL, "em-read", ps->conn, NULL};
	int rc;

	if (ps->have_held) {
		ps->have_held = false;
		rc = tk_buf_put(
		    text, ps->held.ptr ? ps->held.ptr : "", ps->held.len);
		tk_buf_release(&ps->held);
		return rc == TK_ETOOBIG
		    ? tk_error_set(rc, "the state is too large")
		    : rc;
	}
	return tk_audit_pg_run(argv, NULL, 0, text);
}

static int
pg_write(struct tk_emergency_store *s, const struct tk_buf *text)
{
	struct pg_store *ps = (struct pg_store *)s;
	char *argv[4] = {NULL, "em-write", ps->conn, NULL};

	if (!ps->locked)
		return tk_error_set(TK_ERROR, "state written without its lock");
	return tk_audit_pg_run(argv, text->ptr, text->len, NULL);
}

static void
pg_free(struct tk_emergency_store *s)
{
	struct pg_store *ps = (struct pg_store *)s;

	pg_unlock(s);
	tk_buf_release(&ps->held);
	free(ps->conn);
	free(ps);
}

static const struct tk_emergency_store_ops pg_ops = {
    pg_lock, pg_unlock, pg_read, pg_write, pg_free};

int
tk_emergency_pg_store(struct tk_emergency_store **out, const char *conn)
{
	struct tk_buf held = TK_BUF_INIT(TK_EMERGENCY_MAX_STATE);
	struct pg_store *ps;

	*out = NULL;
	if ((ps = tk_calloc(1, sizeof(*ps))) == NULL ||
	    (ps->conn = tk_strdup(conn)) == NULL) {
		free(ps);
		return tk_error_set(TK_ENOMEM, "out of memory");
	}
	ps->base.ops = &pg_ops;
	ps->base.where = "postgres:twokey_emergencies";
	ps->base.with_record = true;
	ps->held = held;
	*out = &ps->base; /* transferred */
	return 0;
}
