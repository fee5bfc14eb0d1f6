/*
 * The PostgreSQL store as the -static programs see it: every operation
 * runs twokey-pg, the one program linked with libpq (hooks/pg), found
 * beside the running executable.  Debian ships libpq only as a shared
 * library, and static glibc's dlopen() of it crashes inside libcrypto, so
 * a file-log installation never touches libpq and a database one pays a
 * fork+exec per push (docs/postgres.md).
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

/* The child: stdin, stdout and stderr on the pipes, then exec. */
static void
child(const char *path, char *const *argv, int in, int out, int err)
{
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
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

/* Runs twokey-pg with argv[1..]; 0, or a message from its stderr. */
static int
run_helper(char **argv, struct run *r)
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
