/*
 * The PostgreSQL store as the -static programs see it: every operation
 * goes to twokey-pg, the one program linked with libpq (hooks/pg), found
 * beside the running executable.  Debian ships libpq only as a shared
 * library, and static glibc's dlopen() of it crashes inside libcrypto, so
 * a file-log installation never touches libpq and a database one pays a
 * fork+exec per push (docs/postgres.md).
 *
 * One per run, not one per operation: the first operation starts
 * "twokey-pg session CONNFILE" and every later one for the same
 * connection file is a request to it (main.c there says how requests
 * are framed), on one connection.  So a push costs one process and one
 * login whatever it reads and writes, and the emergency state's lock
 * (em-lock) can be held across requests until the audit record commits
 * it in the same transaction.  tk_audit_pg_end, or the program's exit,
 * ends it (its end of input; an open transaction is rolled back).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "store.h"

#define PG_MAX_DUMP ((size_t)1 << 30) /* the whole chain, read at once */
#define PG_MAX_MSG 4096 /* bytes of a session's error message */

static struct {
	pid_t pid; /* 0: no session */
	int to, from; /* its stdin and stdout */
	char conn[PATH_MAX];
} sess = {0, -1, -1, ""};

/* <directory of this executable>/twokey-pg */
static int
helper_path(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return tk_error_set(TK_EIO, "cannot find this program's path");
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return tk_error_set(TK_EIO, "cannot find this program's path");
	*slash = '\0';
	if ((size_t)snprintf(out, size, "%s/twokey-pg", self) >= size ||
	    access(out, X_OK) < 0)
		return tk_error_set(TK_EUNSUPPORTED,
		    "audit.postgres is set but twokey-pg is not installed "
		    "beside this program (a build without TWOKEY_POSTGRES?)");
	return 0;
}

/* Reads fd to the end into b (bounded by b's maximum). */
static int
slurp(int fd, struct tk_buf *b)
{
	char chunk[65536];
	ssize_t n;
	int rc = 0;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tk_error_set(
			    TK_EIO, "reading twokey-pg: %s", strerror(errno));
		if (rc == 0 && tk_buf_put(b, chunk, (size_t)n) < 0)
			rc = tk_error_set(
			    TK_ETOOBIG, "twokey-pg's answer is over its bound");
	}
	return rc;
}

/*
 * The child: stdin, stdout and stderr on the pipes (err -1: /dev/null,
 * for a session, whose messages come in its answers), then exec.
 */
static void
child(const char *path, char *const *argv, int in, int out, int err)
{
	if (err < 0)
		err = open("/dev/null", O_WRONLY);
	if (err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	execv(path, argv);
	_exit(127);
}

struct run {
	const char *input; /* to stdin */
	size_t inlen;
	struct tk_buf *out; /* stdout, or NULL */
};

static int
finish(pid_t pid, int fdout, int fderr, struct run *r)
{
	struct tk_buf err = TK_BUF_INIT(4096), msg = TK_BUF_INIT(400);
	int st = 0, rc = 0;
	char *nl;

	if (fdout >= 0)
		rc = slurp(fdout, r->out);
	(void)slurp(fderr, &err);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		if (err.ptr != NULL && (nl = memchr(err.ptr, '\n', err.len)))
			err.len = (size_t)(nl - err.ptr);
		(void)tk_sanitize(&msg, err.ptr ? err.ptr : "", err.len, 300);
		rc = tk_error_set(TK_EIO, "%s",
		    msg.len > 0 ? msg.ptr
		                : "twokey-pg failed without a message");
	}
	tk_buf_release(&err);
	tk_buf_release(&msg);
	return rc;
}

/* Writes all of p to fd; EPIPE (the helper died early) is an error. */
static int
feed(int fd, const char *p, size_t len)
{
	struct sigaction ign, old;
	ssize_t n;
	int rc = 0;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &ign, &old);
	while (len > 0) {
		if ((n = write(fd, p, len)) < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = TK_EIO;
			break;
		}
		p += n, len -= (size_t)n;
	}
	(void)sigaction(SIGPIPE, &old, NULL);
	return rc;
}

static void
close3(int *p)
{
	for (int i = 0; i < 6; i++)
		if (p[i] >= 0)
			close(p[i]);
}

static int run_once(char **argv, struct run *r);

/* ---- the session ---- */

void
tk_audit_pg_end(void)
{
	int st;

	if (sess.pid <= 0)
		return;
	close(sess.to);
	close(sess.from);
	while (waitpid(sess.pid, &st, 0) < 0 && errno == EINTR)
		;
	sess.pid = 0;
	sess.to = sess.from = -1;
	sess.conn[0] = '\0';
}

static int
session_start(const char *path, const char *conn)
{
	char *argv[4] = {(char *)path, "session", (char *)conn, NULL};
	int p[4] = {-1, -1, -1, -1}; /* in r/w, out r/w */
	pid_t pid;

	if (strlen(conn) >= sizeof(sess.conn))
		return tk_error_set(TK_ETOOBIG, "audit.postgres is too long");
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(p + 2, O_CLOEXEC) < 0 ||
	    (pid = fork()) < 0) {
		for (int i = 0; i < 4; i++)
			if (p[i] >= 0)
				close(p[i]);
		return tk_error_set(
		    TK_EIO, "cannot run twokey-pg: %s", strerror(errno));
	}
	if (pid == 0)
		child(path, argv, p[0], p[3], -1);
	close(p[0]);
	close(p[3]);
	sess.pid = pid;
	sess.to = p[1];
	sess.from = p[2];
	snprintf(sess.conn, sizeof(sess.conn), "%s", conn);
	return 0;
}

/*
 * Reads exactly n bytes into b: NULL when the stream is out of step, else
 * what went wrong.
 */
static const char *
read_exact(int fd, struct tk_buf *b, size_t n)
{
	char chunk[65536];
	ssize_t got;

	if (n > 0 && (b == NULL || n > b->max - b->len))
		return "twokey-pg's answer is over its bound";
	while (n > 0) {
		got = read(fd, chunk, n < sizeof(chunk) ? n : sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return "twokey-pg stopped answering";
		if (tk_buf_put(b, chunk, (size_t)got) < 0)
			return "out of memory";
		n -= (size_t)got;
	}
	return NULL;
}

/* The answer's first line, "STATUS OUTLEN ERRLEN". */
static int
answer_head(int *status, size_t *outlen, size_t *errlen)
{
	char line[80];
	size_t n = 0;
	ssize_t got;
	unsigned long long o, e;
	int st;
	char nl;

	while (n + 1 < sizeof(line)) {
		if ((got = read(sess.from, line + n, 1)) < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	if (sscanf(line, "%d %llu %llu%c", &st, &o, &e, &nl) != 4 ||
	    nl != '\n' || (st != 0 && st != 1))
		return -1;
	*status = st, *outlen = (size_t)o, *errlen = (size_t)e;
	return 0;
}

/* Sends argv[1..] and r's input; reads the answer into r. */
static int
session_call(char **argv, struct run *r)
{
	struct tk_buf req = TK_BUF_INIT(64 * 1024),
	              err = TK_BUF_INIT(PG_MAX_MSG);
	struct tk_buf msg = TK_BUF_INIT(400);
	size_t argc, i, outlen = 0, errlen = 0;
	const char *why = NULL;
	int status = 1, rc = 0;

	for (argc = 0; argv[argc + 1] != NULL; argc++)
		;
	rc = tk_buf_printf(&req, "%zu", argc);
	for (i = 1; i <= argc && rc == 0; i++)
		rc = tk_buf_printf(&req, " %zu", strlen(argv[i]));
	if (rc == 0)
		rc = tk_buf_printf(&req, " %zu\n", r->inlen);
	for (i = 1; i <= argc && rc == 0; i++)
		rc = tk_buf_puts(&req, argv[i]);
	if (rc < 0)
		why = "out of memory";
	else if (feed(sess.to, req.ptr, req.len) < 0 ||
	    feed(sess.to, r->input ? r->input : "", r->inlen) < 0 ||
	    answer_head(&status, &outlen, &errlen) < 0)
		why = "twokey-pg stopped answering";
	else if ((why = read_exact(sess.from, r->out, outlen)) == NULL)
		why = read_exact(sess.from, &err, errlen);
	if (why != NULL) {
		/* The stream is out of step or the helper died: start over. */
		tk_audit_pg_end();
		rc = tk_error_set(TK_EIO, "%s", why);
	} else if (status != 0) {
		(void)tk_sanitize(&msg, err.ptr ? err.ptr : "", err.len, 300);
		rc = tk_error_set(TK_EIO, "%s",
		    msg.len > 0 ? msg.ptr
		                : "twokey-pg failed without a message");
	}
	tk_buf_release(&req);
	tk_buf_release(&err);
	tk_buf_release(&msg);
	return rc;
}

/*
 * Runs twokey-pg with argv[1..] (argv[2] is always the connection file):
 * a request to this run's session for that file, started on first use.
 * 0, or the helper's message.
 */
static int
run_helper(char **argv, struct run *r)
{
	char path[PATH_MAX];
	int rc;

	if (sess.pid > 0 && strcmp(sess.conn, argv[2]) != 0)
		return run_once(argv, r); /* a second database: rare */
	if (sess.pid <= 0) {
		if ((rc = helper_path(path, sizeof(path))) < 0 ||
		    (rc = session_start(path, argv[2])) < 0)
			return rc;
	}
	return session_call(argv, r);
}

/* Runs twokey-pg with argv[1..]; 0, or a message from its stderr. */
static int
run_once(char **argv, struct run *r)
{
	char path[PATH_MAX];
	int p[6] = {-1, -1, -1, -1, -1, -1}; /* in r/w, out r/w, err r/w */
	pid_t pid;
	int rc;

	if ((rc = helper_path(path, sizeof(path))) < 0)
		return rc;
	argv[0] = path;
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(p + 2, O_CLOEXEC) < 0 ||
	    pipe2(p + 4, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		rc = tk_error_set(
		    TK_EIO, "cannot run twokey-pg: %s", strerror(errno));
		close3(p);
		return rc;
	}
	if (pid == 0)
		child(path, argv, p[0], p[3], p[5]);
	close(p[0]), close(p[3]), close(p[5]);
	p[0] = p[3] = p[5] = -1;
	(void)feed(p[1], r->input ? r->input : "", r->inlen);
	close(p[1]);
	p[1] = -1;
	rc = finish(pid, r->out != NULL ? p[2] : -1, p[4], r);
	close3(p);
	return rc;
}

int
tk_audit_pg_run(
    char **argv, const char *input, size_t inlen, struct tk_buf *out)
{
	struct run r = {input, inlen, out};

	return run_helper(argv, &r);
}

struct pgc_store {
	struct tk_audit_store base;
	const struct tk_audit_dest *dest;
	const char *conn;
	struct tk_buf dump; /* reader: "head H", then "SEQ LINE" lines */
	size_t at;
	char head[65];
	bool have_head;
};

static int
pgc_append(struct tk_audit_store *base, struct tk_buf *body,
    const unsigned char *key, size_t keylen)
{
	struct pgc_store *s = (struct pgc_store *)base;
	char len[32],
	    *argv[8] = {NULL, "append", (char *)s->conn,
	        (char *)(s->dest->node ? s->dest->node : "-"), len,
	        (char *)s->dest->key_file, NULL};
	struct run r = {body->ptr, body->len, NULL};

	(void)key, (void)keylen; /* twokey-pg reads the key file itself */
	snprintf(len, sizeof(len), "%zu", body->len);
	return run_helper(argv, &r);
}

static int
pgc_next(struct tk_audit_store *base, struct tk_audit_line *l)
{
	struct pgc_store *s = (struct pgc_store *)base;
	char *p, *nl, *sp;

	if (s->at >= s->dump.len)
		return 0;
	p = s->dump.ptr + s->at;
	if ((nl = memchr(p, '\n', s->dump.len - s->at)) == NULL ||
	    (sp = memchr(p, ' ', (size_t)(nl - p))) == NULL)
		return tk_error_set(TK_EIO, "twokey-pg's answer is malformed");
	memset(l, 0, sizeof(*l));
	l->lineno = (size_t)strtoull(p, NULL, 10);
	l->ptr = sp + 1;
	l->len = (size_t)(nl - sp - 1);
	l->terminated = true;
	if (l->len == 1 && l->ptr[0] == '!')
		l->too_long = true, l->ptr = "", l->len = 0;
	s->at = (size_t)(nl - s->dump.ptr) + 1;
	return 1;
}

static int
pgc_head(struct tk_audit_store *base, char head[65], bool *have)
{
	struct pgc_store *s = (struct pgc_store *)base;

	memcpy(head, s->head, 65);
	*have = s->have_head;
	return 0;
}

static const char *
pgc_source(const struct tk_audit_store *base, size_t i)
{
	(void)base, (void)i;
	return "postgres:twokey_records";
}

static size_t
pgc_nsources(const struct tk_audit_store *base)
{
	(void)base;
	return 1;
}

static void
pgc_free(struct tk_audit_store *base)
{
	struct pgc_store *s = (struct pgc_store *)base;

	if (s == NULL)
		return;
	tk_buf_release(&s->dump);
	free(s);
}

static const struct tk_audit_store_ops pgc_ops = {
    pgc_append, pgc_next, pgc_head, pgc_source, pgc_nsources, pgc_free};

static struct pgc_store *
pgc_new(const char *conn)
{
	struct pgc_store *s = tk_calloc(1, sizeof(*s));
	struct tk_buf b = TK_BUF_INIT(PG_MAX_DUMP);

	if (s == NULL)
		return NULL;
	s->base.ops = &pgc_ops;
	s->conn = conn;
	s->dump = b;
	return s;
}

int
tk_audit_pg_store_writer(
    struct tk_audit_store **out, const struct tk_audit_dest *dest)
{
	struct pgc_store *s;
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	if ((rc = helper_path(path, sizeof(path))) < 0)
		return rc;
	if ((s = pgc_new(dest->postgres)) == NULL)
		return TK_ENOMEM;
	s->dest = dest;
	*out = &s->base;
	return 0;
}

/* The first line: "head HASH" or "head -". */
static int
pgc_parse_head(struct pgc_store *s)
{
	char *p = s->dump.ptr, *nl;

	if (p == NULL || (nl = memchr(p, '\n', s->dump.len)) == NULL ||
	    nl - p < 6 || memcmp(p, "head ", 5) != 0)
		return tk_error_set(TK_EIO, "twokey-pg's answer is malformed");
	if (nl - p == 5 + 64) {
		memcpy(s->head, p + 5, 64);
		s->head[64] = '\0';
		s->have_head = tk_audit_is_hex64(s->head);
	}
	s->at = (size_t)(nl - p) + 1;
	return 0;
}

int
tk_audit_pg_store_reader(struct tk_audit_store **out, const char *conninfo_file)
{
	char *argv[4] = {NULL, "read", (char *)conninfo_file, NULL};
	struct pgc_store *s;
	struct run r = {NULL, 0, NULL};
	int rc;

	*out = NULL;
	if ((s = pgc_new(conninfo_file)) == NULL)
		return TK_ENOMEM;
	r.out = &s->dump;
	if ((rc = run_helper(argv, &r)) < 0 || (rc = pgc_parse_head(s)) < 0) {
		pgc_free(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

int
tk_audit_pg_init(const char *conninfo_file)
{
	char *argv[4] = {NULL, "init", (char *)conninfo_file, NULL};
	struct run r = {NULL, 0, NULL};

	return run_helper(argv, &r);
}

/*
 * Whether the record line l is at or after since: its "time" parsed as the
 * filters parse dates.  A line without a readable time is an error: the
 * export must not silently start at the wrong place.
 */
static int
at_or_after(const struct tk_audit_line *l, int64_t since, bool *yes)
{
	struct tk_jv *v = NULL;
	const char *t;
	int64_t when;
	int rc;

	if ((rc = tk_json_parse(&v, l->ptr, l->len)) < 0)
		return tk_error_set(rc, "record %zu is not JSON", l->lineno);
	t = tk_json_str(tk_json_get(v, "time"), NULL);
	if (t == NULL || tk_audit_parse_date(&when, t, false) < 0)
		rc = tk_error_set(
		    TK_EINVAL, "record %zu has no readable time", l->lineno);
	else
		*yes = when >= since;
	tk_json_free(v);
	return rc < 0 ? rc : 0;
}

int
tk_audit_pg_export(
    FILE *out, const char *conninfo_file, int64_t since, size_t *n)
{
	struct tk_audit_store *s = NULL;
	struct tk_audit_line l;
	bool started = since == INT64_MIN;
	int rc;

	*n = 0;
	if ((rc = tk_audit_pg_store_reader(&s, conninfo_file)) < 0)
		return rc;
	while ((rc = s->ops->next(s, &l)) > 0) {
		if (l.too_long) {
			rc = tk_error_set(TK_ETOOBIG,
			    "record %zu is over %d bytes", l.lineno,
			    TK_AUDIT_MAX_RECORD);
			break;
		}
		if (!started && (rc = at_or_after(&l, since, &started)) < 0)
			break;
		if (!started)
			continue;
		if (fwrite(l.ptr, 1, l.len, out) != l.len ||
		    putc('\n', out) == EOF) {
			rc = tk_error_set(
			    TK_EIO, "cannot write: %s", strerror(errno));
			break;
		}
		(*n)++;
	}
	s->ops->free(s);
	return rc < 0 ? rc : 0;
}
