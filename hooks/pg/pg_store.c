/*
 * twokey-pg's half of the PostgreSQL store: every node's decisions in ONE
 * chain (docs/postgres.md, docs/spec.md "audit records").
 *
 * Only this small program links libpq (dynamically: Debian ships no
 * usable static libpq, and static glibc's dlopen() of libpq crashes in
 * libcrypto's thread-local state).  The -static hooks and `twokey` run it
 * (lib/audit/pgclient.c) only when a policy names audit.postgres.
 *
 * Secrets: the connection string (and its password) is read from a file
 * only its owner can read, handed to libpq and wiped; libpq's own messages
 * can quote host and user, so no message of libpq is ever shown: fixed
 * texts plus the SQLSTATE.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pg.h"
#include "store.h"
#include "twokey/emergency.h"
#include "twokey/freeze.h"
#include "banned.h" /* last: after every system header */

#define PG_MAX_CONNINFO 4096

/* libpq's ABI (libpq-fe.h, stable for libpq.so.5): no header needed. */
typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
enum { PG_CONNECTION_OK = 0 };
enum { PG_COMMAND_OK = 1, PG_TUPLES_OK = 2 };
#define PG_DIAG_SQLSTATE 'C'
PGconn *PQconnectdbParams(const char *const *, const char *const *, int);
int PQstatus(const PGconn *);
void PQfinish(PGconn *);
PGresult *PQexecParams(PGconn *, const char *, int, const unsigned int *,
    const char *const *, const int *, const int *, int);
int PQresultStatus(const PGresult *);
char *PQresultErrorField(const PGresult *, int);
void PQclear(PGresult *);
int PQntuples(const PGresult *);
char *PQgetvalue(const PGresult *, int, int);
int PQgetlength(const PGresult *, int, int);
int PQtransactionStatus(const PGconn *);
int PQsendQueryParams(PGconn *, const char *, int, const unsigned int *,
    const char *const *, const int *, const int *, int);
PGresult *PQgetResult(PGconn *);
char *PQcmdStatus(PGresult *);
enum { PG_TRANS_IDLE = 0, PG_TRANS_INTRANS = 2 };

static const struct {
	PGconn *(*connectdb_params)(
	    const char *const *, const char *const *, int);
	int (*status)(const PGconn *);
	void (*finish)(PGconn *);
	PGresult *(*exec_params)(PGconn *, const char *, int,
	    const unsigned int *, const char *const *, const int *, const int *,
	    int);
	int (*result_status)(const PGresult *);
	char *(*error_field)(const PGresult *, int);
	void (*clear)(PGresult *);
	int (*ntuples)(const PGresult *);
	char *(*getvalue)(const PGresult *, int, int);
	int (*getlength)(const PGresult *, int, int);
	int (*tx_status)(const PGconn *);
	int (*send_query_params)(PGconn *, const char *, int,
	    const unsigned int *, const char *const *, const int *, const int *,
	    int);
	PGresult *(*get_result)(PGconn *);
	char *(*cmd_status)(PGresult *);
} pq = {PQconnectdbParams, PQstatus, PQfinish, PQexecParams, PQresultStatus,
    PQresultErrorField, PQclear, PQntuples, PQgetvalue, PQgetlength,
    PQtransactionStatus, PQsendQueryParams, PQgetResult, PQcmdStatus};

/* The connection string: a regular file only its owner may read. */
static int
read_conninfo(char *buf, size_t size, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return tk_error_set(TK_EIO,
		    "cannot read the audit.postgres file '%s': %s", path,
		    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077) != 0 || st.st_uid != geteuid())
		rc = tk_error_set(TK_EIO,
		    "the audit.postgres file '%s' must be a regular file "
		    "owned by this user and readable by no one else (it "
		    "holds a password)",
		    path);
	else if ((n = read(fd, buf, size - 1)) <= 0 || (size_t)n >= size - 1)
		rc = tk_error_set(TK_EIO,
		    "the audit.postgres file '%s' is empty, unreadable or "
		    "over %zu bytes",
		    path, size - 2);
	else {
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		buf[n] = '\0';
	}
	close(fd);
	return rc;
}

/* Bounded waits: a dead or locked server refuses the push in seconds. */
static int
pg_connect(PGconn **out, const char *file)
{
	char info[PG_MAX_CONNINFO];
	const char *keys[] = {
	    "dbname", "connect_timeout", "options", "application_name", NULL};
	const char *vals[] = {info, "5",
	    "-c statement_timeout=5000 -c lock_timeout=5000 "
	    "-c idle_in_transaction_session_timeout=10000",
	    "twokey", NULL};
	PGconn *c;
	int rc;

	*out = NULL;
	if ((rc = read_conninfo(info, sizeof(info), file)) < 0)
		return rc;
	c = pq.connectdb_params(keys, vals, 1);
	explicit_bzero(info, sizeof(info));
	if (c == NULL || pq.status(c) != PG_CONNECTION_OK) {
		if (c != NULL)
			pq.finish(c);
		return tk_error_set(TK_EIO,
		    "cannot connect to the audit database (audit.postgres): "
		    "it is down, unreachable or refused the login");
	}
	*out = c;
	return 0;
}

/* Runs sql with n text parameters; 0 with *res (tuples) or an error. */
static int
pg_run(PGconn *c, PGresult **res, const char *what, const char *sql, int n,
    const char *const *params)
{
	PGresult *r = pq.exec_params(c, sql, n, NULL, params, NULL, NULL, 0);
	const char *state;
	int st;

	if (res != NULL)
		*res = NULL;
	st = r != NULL ? pq.result_status(r) : -1;
	if (st == PG_COMMAND_OK || st == PG_TUPLES_OK) {
		if (res != NULL)
			*res = r;
		else
			pq.clear(r);
		return 0;
	}
	state = r != NULL ? pq.error_field(r, PG_DIAG_SQLSTATE) : NULL;
	tk_error_set(TK_EIO,
	    "the audit database failed to %s (SQLSTATE %.5s)%s", what,
	    state != NULL ? state : "none",
	    state == NULL ? ""
	        : strcmp(state, "42P01") == 0
	        ? ": no schema, run 'twokey audit "
	          "init-db'"
	        : strcmp(state, "42501") == 0 ? ": permission denied, see the "
	                                        "grants in docs/postgres.md"
	                                      : "");
	if (r != NULL)
		pq.clear(r);
	return TK_EIO;
}

/*
 * A session (twokey-pg session, main.c) keeps one connection for every
 * request of one program run; em-lock leaves a transaction open on it
 * that the next append commits (the emergency state and the record that
 * describes it become durable together) and em-unlock rolls back.
 */
static struct {
	const char *file; /* NULL: not a session */
	PGconn *conn; /* NULL until the first request, or after a failure */
	bool tx; /* em-lock's transaction is open */
} sess;

/*
 * COMMIT, judged by every answer the server sent, not the last one.  A
 * server told to stop (a fast shutdown, a failover) ends each session at
 * its next chance, which can be right after a COMMIT it has just made
 * durable: the answer is then the COMMIT's success followed by
 * "terminating connection", and PQexec() reports only the error.  Taking
 * that for a failure refused pushes whose records were committed (the
 * chain held one record more than the refs landed).  The server sends
 * the COMMIT's success only once the commit is flushed, so seeing it is
 * proof.  An error before it stays a failure: the push is refused (fail
 * closed; were it committed after all, `twokey audit reconcile` shows
 * the record of a push that did not land).
 */
static int
pg_commit(PGconn *c, const char *what)
{
	const char *state;
	char sqlstate[6] = "none";
	bool committed = false;
	PGresult *r;

	if (!pq.send_query_params(c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0))
		return tk_error_set(TK_EIO,
		    "the audit database failed to %s (the connection is lost)",
		    what);
	while ((r = pq.get_result(c)) != NULL) {
		if (pq.result_status(r) == PG_COMMAND_OK &&
		    strcmp(pq.cmd_status(r), "COMMIT") == 0)
			committed = true;
		else if ((state = pq.error_field(r, PG_DIAG_SQLSTATE)) !=
		        NULL &&
		    strcmp(sqlstate, "none") == 0)
			snprintf(sqlstate, sizeof(sqlstate), "%.5s", state);
		pq.clear(r);
		if (pq.status(c) != PG_CONNECTION_OK)
			break; /* no more answers will come */
	}
	if (committed)
		return 0;
	return tk_error_set(TK_EIO,
	    "the audit database failed to %s (SQLSTATE %s)", what, sqlstate);
}

/* ---- writer ---- */

struct pg_store {
	struct tk_audit_store base;
	PGconn *conn;
	bool shared; /* the session's connection: not closed by pg_free */
	const struct tk_audit_dest *dest;
	PGresult *rows; /* reader: seq, line in chain order */
	int nrows, at;
	char head[65];
	bool have_head;
	char source[32];
};

/* The node's name: audit.node, else the host name made safe for JSON. */
static void
node_name(char *out, size_t size, const char *node)
{
	size_t i;

	if (node != NULL) {
		snprintf(out, size, "%s", node);
		return;
	}
	if (gethostname(out, size - 1) < 0 || out[0] == '\0')
		snprintf(out, size, "unknown");
	out[size - 1] = '\0';
	for (i = 0; out[i] != '\0'; i++)
		if (!((out[i] >= 'a' && out[i] <= 'z') ||
		        (out[i] >= 'A' && out[i] <= 'Z') ||
		        (out[i] >= '0' && out[i] <= '9') || out[i] == '.' ||
		        out[i] == '-' || out[i] == '_'))
			out[i] = '_';
}

/*
 * After a failure inside a transaction: closing the connection rolls it
 * back, whatever state it is in (a session connects again on its next
 * request).
 */
static void
pg_drop(struct pg_store *s)
{
	if (s->conn != NULL)
		pq.finish(s->conn);
	if (s->shared)
		sess.conn = NULL, sess.tx = false;
	s->conn = NULL;
}

/* Under the head row's lock: prev and seq are read inside the transaction. */
static int
pg_append_tx(struct pg_store *s, struct tk_buf *body, const unsigned char *key,
    size_t keylen, const char *node)
{
	PGresult *r = NULL;
	char prev[65], hash[65], seq[32];
	const char *p[3];
	int rc;

	if ((rc = pg_run(s->conn, &r, "lock the chain head",
	         "SELECT seq, hash FROM twokey_head WHERE id = 1 FOR UPDATE", 0,
	         NULL)) < 0)
		return rc;
	if (pq.ntuples(r) != 1 || pq.getlength(r, 0, 1) != 64) {
		pq.clear(r);
		return tk_error_set(TK_EIO,
		    "the audit database has no chain head: run 'twokey "
		    "audit init-db'");
	}
	snprintf(seq, sizeof(seq), "%.20s", pq.getvalue(r, 0, 0));
	memcpy(prev, pq.getvalue(r, 0, 1), 64);
	prev[64] = '\0';
	pq.clear(r);
	if (!tk_audit_is_hex64(prev))
		return tk_error_set(TK_EIO, "the audit chain head is corrupt");
	if (tk_buf_printf(body, ",\"node\":\"%s\"", node) < 0 ||
	    (rc = tk_audit_seal(body, prev, key, keylen, hash)) < 0)
		return rc < 0 ? rc : TK_ENOMEM;
	body->ptr[body->len - 1] = '\0'; /* the line without its '\n' */
	p[0] = seq, p[1] = node, p[2] = body->ptr;
	if ((rc = pg_run(s->conn, NULL, "append the record",
	         "INSERT INTO twokey_records (seq, node, line) "
	         "VALUES ($1::bigint + 1, $2, $3)",
	         3, p)) < 0)
		return rc;
	p[0] = hash;
	return pg_run(s->conn, NULL, "move the chain head",
	    "UPDATE twokey_head SET seq = seq + 1, hash = $1 WHERE id = 1", 1,
	    p);
}

static int
pg_append(struct tk_audit_store *base, struct tk_buf *body,
    const unsigned char *key, size_t keylen)
{
	struct pg_store *s = (struct pg_store *)base;
	char node[65];
	int rc;

	node_name(node, sizeof(node), s->dest->node);
	/* In a session em-lock may have begun it (the emergency state). */
	if (!(s->shared && sess.tx) &&
	    (rc = pg_run(s->conn, NULL, "begin", "BEGIN", 0, NULL)) < 0) {
		pg_drop(s);
		return rc;
	}
	if ((rc = pg_append_tx(s, body, key, keylen, node)) < 0 ||
	    (rc = pg_commit(s->conn, "commit the record")) < 0) {
		pg_drop(s);
		return rc;
	}
	if (s->shared)
		sess.tx = false;
	return 0;
}

static int
pg_next(struct tk_audit_store *base, struct tk_audit_line *l)
{
	struct pg_store *s = (struct pg_store *)base;
	size_t len;

	if (s->rows == NULL || s->at >= s->nrows)
		return 0;
	memset(l, 0, sizeof(*l));
	len = (size_t)pq.getlength(s->rows, s->at, 1);
	l->ptr = pq.getvalue(s->rows, s->at, 1);
	l->len = len;
	l->terminated = true;
	l->too_long = len > TK_AUDIT_MAX_RECORD;
	if (l->too_long)
		l->ptr = "", l->len = 0;
	l->source = 0;
	l->lineno = (size_t)strtoull(pq.getvalue(s->rows, s->at, 0), NULL, 10);
	s->at++;
	return 1;
}

static int
pg_head(struct tk_audit_store *base, char head[65], bool *have)
{
	struct pg_store *s = (struct pg_store *)base;

	memcpy(head, s->head, 65);
	*have = s->have_head;
	return 0;
}

static const char *
pg_source(const struct tk_audit_store *base, size_t i)
{
	(void)i;
	return ((const struct pg_store *)base)->source;
}

static size_t
pg_nsources(const struct tk_audit_store *base)
{
	(void)base;
	return 1;
}

static void
pg_free(struct tk_audit_store *base)
{
	struct pg_store *s = (struct pg_store *)base;

	if (s == NULL)
		return;
	if (s->rows != NULL)
		pq.clear(s->rows);
	/*
	 * The session's connection outlives the request, but never in a
	 * transaction that failed half-way: only em-lock's stays open.
	 */
	if (s->shared && s->conn != NULL &&
	    pq.tx_status(s->conn) != PG_TRANS_IDLE &&
	    !(sess.tx && pq.tx_status(s->conn) == PG_TRANS_INTRANS))
		pg_drop(s);
	if (s->conn != NULL && !s->shared)
		pq.finish(s->conn);
	free(s);
}

static const struct tk_audit_store_ops pg_ops = {
    pg_append, pg_next, pg_head, pg_source, pg_nsources, pg_free};

static int
pg_open(struct pg_store **out, const char *file)
{
	struct pg_store *s;
	int rc;

	*out = NULL;
	if ((s = tk_calloc(1, sizeof(*s))) == NULL)
		return TK_ENOMEM;
	s->base.ops = &pg_ops;
	snprintf(s->source, sizeof(s->source), "postgres:twokey_records");
	if (sess.file != NULL && strcmp(sess.file, file) == 0) {
		s->shared = true;
		if (sess.conn != NULL &&
		    pq.status(sess.conn) != PG_CONNECTION_OK)
			pq.finish(sess.conn), sess.conn = NULL, sess.tx = false;
		if (sess.conn == NULL &&
		    (rc = pg_connect(&sess.conn, file)) < 0) {
			free(s);
			return rc;
		}
		s->conn = sess.conn;
	} else if ((rc = pg_connect(&s->conn, file)) < 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
pgd_session_begin(const char *conninfo_file)
{
	sess.file = conninfo_file;
}

bool
pgd_session_busy(void)
{
	return sess.tx;
}

void
pgd_session_end(void)
{
	if (sess.conn != NULL)
		pq.finish(sess.conn); /* rolls back an open transaction */
	memset(&sess, 0, sizeof(sess));
}

int
pgd_store_writer(struct tk_audit_store **out, const struct tk_audit_dest *dest)
{
	struct pg_store *s = NULL;
	int rc;

	*out = NULL;
	if ((rc = pg_open(&s, dest->postgres)) < 0)
		return rc;
	s->dest = dest;
	*out = &s->base;
	return 0;
}

/* One snapshot: the records and the head agree with each other. */
static int
pg_snapshot(struct pg_store *s)
{
	PGresult *r = NULL;
	int rc;

	if ((rc = pg_run(s->conn, NULL, "begin",
	         "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL)) <
	        0 ||
	    (rc = pg_run(s->conn, &s->rows, "read the records",
	         "SELECT seq, line FROM twokey_records ORDER BY seq", 0,
	         NULL)) < 0 ||
	    (rc = pg_run(s->conn, &r, "read the chain head",
	         "SELECT hash FROM twokey_head WHERE id = 1", 0, NULL)) < 0)
		return rc;
	s->nrows = pq.ntuples(s->rows);
	if (pq.ntuples(r) == 1 && pq.getlength(r, 0, 0) == 64) {
		memcpy(s->head, pq.getvalue(r, 0, 0), 64);
		s->head[64] = '\0';
		/* A fresh chain's head is zero: no record to name. */
		s->have_head = strcmp(s->head, TK_ZERO_HASH) != 0;
	}
	pq.clear(r);
	return pg_run(s->conn, NULL, "end", "COMMIT", 0, NULL);
}

int
pgd_store_reader(struct tk_audit_store **out, const char *conninfo_file)
{
	struct pg_store *s = NULL;
	int rc;

	*out = NULL;
	if ((rc = pg_open(&s, conninfo_file)) < 0)
		return rc;
	if ((rc = pg_snapshot(s)) < 0) {
		pg_free(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

/* ---- init-db and export ---- */

/*
 * Schema version 1.  Records are append-only: a trigger refuses UPDATE,
 * DELETE and TRUNCATE even for a role someone granted too much.
 */
static const char *const schema[] = {
    "CREATE TABLE IF NOT EXISTS twokey_schema (version integer NOT NULL)",
    "LOCK TABLE twokey_schema IN EXCLUSIVE MODE",
    "INSERT INTO twokey_schema (version) SELECT 1 WHERE NOT EXISTS "
    "(SELECT 1 FROM twokey_schema)",
    "CREATE TABLE IF NOT EXISTS twokey_records (seq bigint PRIMARY KEY, "
    "node text NOT NULL, at timestamptz NOT NULL DEFAULT now(), "
    "line text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS twokey_head (id integer PRIMARY KEY "
    "CHECK (id = 1), seq bigint NOT NULL, hash text NOT NULL)",
    "INSERT INTO twokey_head (id, seq, hash) VALUES (1, 0, "
    "'" TK_ZERO_HASH "') ON CONFLICT (id) DO NOTHING",
    "CREATE OR REPLACE FUNCTION twokey_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION "
    "'twokey_records is append-only'; END$$",
    "CREATE OR REPLACE TRIGGER twokey_records_append_only BEFORE UPDATE "
    "OR DELETE ON twokey_records FOR EACH ROW EXECUTE FUNCTION "
    "twokey_append_only()",
    "CREATE OR REPLACE TRIGGER twokey_records_no_truncate BEFORE "
    "TRUNCATE ON twokey_records FOR EACH STATEMENT EXECUTE FUNCTION "
    "twokey_append_only()",
    /* version 2: ad hoc freezes, the freeze file's text (pgd_freeze_*) */
    "CREATE TABLE IF NOT EXISTS twokey_freezes (id integer PRIMARY KEY "
    "CHECK (id = 1), version bigint NOT NULL, body text NOT NULL)",
    "INSERT INTO twokey_freezes (id, version, body) VALUES (1, 0, "
    "'twokey-freeze 1' || chr(10)) ON CONFLICT (id) DO NOTHING",
    "UPDATE twokey_schema SET version = 2 WHERE version < 2",
    /*
     * version 3: emergencies pending ratification, the emergency state's
     * text (pgd_em_*), header only when there is none
     */
    "CREATE TABLE IF NOT EXISTS twokey_emergencies (id integer PRIMARY "
    "KEY CHECK (id = 1), version bigint NOT NULL, body text NOT NULL)",
    "INSERT INTO twokey_emergencies (id, version, body) VALUES (1, 0, "
    "'twokey-emergencies 1 1' || chr(10)) ON CONFLICT (id) DO NOTHING",
    "UPDATE twokey_schema SET version = 3 WHERE version < 3",
};

int
pgd_init(const char *conninfo_file)
{
	struct pg_store *s = NULL;
	size_t i;
	int rc;

	if ((rc = pg_open(&s, conninfo_file)) < 0)
		return rc;
	if ((rc = pg_run(s->conn, NULL, "begin", "BEGIN", 0, NULL)) < 0)
		goto out;
	for (i = 0; i < TK_ARRAY_SIZE(schema) && rc == 0; i++)
		rc = pg_run(
		    s->conn, NULL, "create the schema", schema[i], 0, NULL);
	if (rc == 0)
		rc = pg_run(
		    s->conn, NULL, "commit the schema", "COMMIT", 0, NULL);
out:
	pg_free(&s->base);
	return rc;
}

int
pgd_dump(FILE *out, const char *conninfo_file)
{
	struct tk_audit_store *s = NULL;
	struct tk_audit_line l;
	char head[65];
	bool have = false;
	size_t i;
	int rc;

	if ((rc = pgd_store_reader(&s, conninfo_file)) < 0)
		return rc;
	(void)s->ops->head(s, head, &have);
	fprintf(out, "head %s\n", have ? head : "-");
	while ((rc = s->ops->next(s, &l)) > 0) {
		fprintf(out, "%zu %s", l.lineno, l.too_long ? "!" : "");
		/* An edited row could hold a newline: one line per record. */
		for (i = 0; i < l.len; i++)
			putc(l.ptr[i] == '\n' ? ' ' : l.ptr[i], out);
		putc('\n', out);
	}
	s->ops->free(s);
	if (rc == 0 && fflush(out) != 0)
		rc = tk_error_set(TK_EIO, "cannot write: %s", strerror(errno));
	return rc < 0 ? rc : 0;
}

/* ---- ad hoc freezes (lib/freeze/pg.c) ---- */

int
pgd_freeze_read(FILE *out, const char *conninfo_file)
{
	struct pg_store *s = NULL;
	PGresult *r = NULL;
	int rc;

	if ((rc = pg_open(&s, conninfo_file)) < 0)
		return rc;
	if ((rc = pg_run(s->conn, &r, "read the freezes",
	         "SELECT version, body FROM twokey_freezes WHERE id = 1", 0,
	         NULL)) == 0 &&
	    pq.ntuples(r) != 1)
		rc = tk_error_set(TK_EIO,
		    "the audit database holds no freeze state: run 'twokey "
		    "audit init-db'");
	if (rc == 0) {
		fprintf(out, "%s\n", pq.getvalue(r, 0, 0));
		fwrite(pq.getvalue(r, 0, 1), 1, (size_t)pq.getlength(r, 0, 1),
		    out);
		if (fflush(out) != 0)
			rc = tk_error_set(
			    TK_EIO, "cannot write: %s", strerror(errno));
	}
	if (r != NULL)
		pq.clear(r);
	pg_free(&s->base);
	return rc;
}

/*
 * Replaces the freeze text if its version is still ver (compare and
 * swap: lib/freeze/pg.c reads, edits and retries).  The text is parsed
 * first, so nothing this program stores can fail the hooks.  The update
 * runs in a transaction ended by pg_commit: in autocommit, a server
 * stopping right after the commit answers with an error alone, and the
 * freeze would be reported as not stored while it was.
 */
static int
freeze_swap(struct pg_store *s, const char *ver, const struct tk_buf *body)
{
	const char *p[2] = {ver, body->ptr ? body->ptr : ""};
	PGresult *r = NULL;
	int rc;

	if (s->shared && sess.tx)
		return tk_error_set(TK_EINVAL,
		    "the freeze state is not written inside another "
		    "transaction (em-lock)");
	if ((rc = pg_run(s->conn, NULL, "begin", "BEGIN", 0, NULL)) < 0)
		return rc;
	rc = pg_run(s->conn, &r, "store the freezes",
	    "UPDATE twokey_freezes SET version = version + 1, body = $2 "
	    "WHERE id = 1 AND version = $1::bigint RETURNING version",
	    2, p);
	if (rc < 0 && strstr(tk_error_last(), "42501") != NULL)
		return tk_error_set(TK_EIO,
		    "this database role may not change freezes (SQLSTATE "
		    "42501): run twokey freeze with a policy whose "
		    "audit.postgres names a connection allowed to "
		    "(docs/postgres.md)");
	if (rc == 0 && pq.ntuples(r) != 1)
		rc = tk_error_set(
		    TK_EIO, "the freeze state changed meanwhile; try again");
	if (r != NULL)
		pq.clear(r);
	if (rc == 0)
		rc = pg_commit(s->conn, "store the freezes");
	if (rc < 0)
		pg_drop(s); /* nothing of the transaction stays */
	return rc;
}

int
pgd_freeze_write(
    const char *conninfo_file, const char *ver, const struct tk_buf *body)
{
	struct pg_store *s = NULL;
	struct tk_freeze_list l;
	int rc;

	if (body->len > TK_FREEZE_FILE_MAX ||
	    strspn(ver, "0123456789") != strlen(ver) || !*ver)
		rc = tk_error_set(TK_EINVAL, "the freeze text arrived cut");
	else if ((rc = tk_freeze_parse(
	              &l, body->ptr ? body->ptr : "", body->len)) == 0) {
		tk_freeze_list_release(&l);
		if ((rc = pg_open(&s, conninfo_file)) == 0)
			rc = freeze_swap(s, ver, body);
	}
	if (s != NULL)
		pg_free(&s->base);
	return rc;
}

/* ---- emergencies pending ratification (lib/emergency/pg.c) ---- */

/* The one row's body: never empty (init-db writes the header). */
static int
em_print(FILE *out, PGresult *r)
{
	if (pq.ntuples(r) != 1)
		return tk_error_set(TK_EIO,
		    "the audit database holds no emergency state: run "
		    "'twokey audit init-db'");
	if (pq.getlength(r, 0, 0) == 0)
		return tk_error_set(TK_EIO,
		    "the emergency state in the audit database is empty (not "
		    "even its header line)");
	fwrite(pq.getvalue(r, 0, 0), 1, (size_t)pq.getlength(r, 0, 0), out);
	if (fflush(out) != 0)
		return tk_error_set(
		    TK_EIO, "cannot write: %s", strerror(errno));
	return 0;
}

/*
 * em-read prints the state; em-lock (sessions only) begins the
 * transaction that holds the row's lock until the next append commits
 * it or em-unlock rolls it back, and prints the state read under it.
 */
int
pgd_em_read(FILE *out, const char *conninfo_file, bool lock)
{
	struct pg_store *s = NULL;
	PGresult *r = NULL;
	int rc;

	if (lock && (sess.file == NULL || sess.tx))
		return tk_error_set(TK_EINVAL,
		    sess.tx ? "the emergency state is locked already"
		            : "em-lock needs a twokey-pg session");
	if ((rc = pg_open(&s, conninfo_file)) < 0)
		return rc;
	if (lock && (rc = pg_run(s->conn, NULL, "begin", "BEGIN", 0, NULL)) < 0)
		goto out;
	if ((rc = pg_run(s->conn, &r,
	         lock ? "lock the emergency state" : "read the emergency state",
	         lock ? "SELECT body FROM twokey_emergencies WHERE id = 1 FOR "
	                "UPDATE"
	              : "SELECT body FROM twokey_emergencies WHERE id = 1",
	         0, NULL)) == 0 &&
	    (rc = em_print(out, r)) == 0 && lock)
		sess.tx = true;
out:
	if (r != NULL)
		pq.clear(r);
	pg_free(&s->base); /* a failed lock's transaction is rolled back */
	return rc;
}

/*
 * Replaces the state inside em-lock's transaction.  The text is parsed
 * first, exactly as the hooks parse it: nothing this program stores can
 * fail them.
 */
int
pgd_em_write(const char *conninfo_file, const struct tk_buf *body)
{
	const char *p[1] = {body->ptr ? body->ptr : ""};
	struct tk_emergency_state st;
	struct pg_store *s = NULL;
	PGresult *r = NULL;
	int rc;

	memset(&st, 0, sizeof(st));
	if (sess.file == NULL || strcmp(sess.file, conninfo_file) != 0 ||
	    !sess.tx || sess.conn == NULL)
		return tk_error_set(TK_EINVAL,
		    "the emergency state is written only under its lock "
		    "(em-lock in a twokey-pg session)");
	rc = body->len == 0 || memchr(body->ptr, '\0', body->len) != NULL
	    ? tk_error_set(TK_EINVAL, "the emergency state arrived empty")
	    : tk_emergency_state_parse(&st, body->ptr, body->len);
	tk_emergency_state_release(&st);
	if (rc < 0 || (rc = pg_open(&s, conninfo_file)) < 0)
		return rc;
	if ((rc = pg_run(s->conn, &r, "store the emergency state",
	         "UPDATE twokey_emergencies SET version = version + 1, body = "
	         "$1 WHERE id = 1 RETURNING version",
	         1, p)) == 0 &&
	    pq.ntuples(r) != 1)
		rc = tk_error_set(TK_EIO,
		    "the audit database holds no emergency state: run "
		    "'twokey audit init-db'");
	if (r != NULL)
		pq.clear(r);
	if (rc < 0)
		pg_drop(s); /* nothing of the transaction stays */
	pg_free(&s->base);
	return rc;
}

/* Rolls back what em-lock began and no append committed. */
int
pgd_em_unlock(void)
{
	int rc = 0;

	if (sess.tx && sess.conn != NULL &&
	    (rc = pg_run(sess.conn, NULL, "roll back", "ROLLBACK", 0, NULL)) <
	        0) {
		pq.finish(sess.conn);
		sess.conn = NULL;
	}
	sess.tx = false;
	return rc;
}
