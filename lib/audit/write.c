/*
 * Writing audit records: the key, the choice of store, the syslog line.
 */
#include <errno.h>
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include "store.h"
#include "twokey/check.h"
#include "twokey/policy.h"

int
tk_audit_read_key(unsigned char **key, size_t *keylen, const char *path)
{
	unsigned char buf[TK_AUDIT_MAX_KEY + 1];
	ssize_t n;
	int fd, fl;

	*key = NULL;
	/*
	 * Opened without waiting: a FIFO at the key's path would otherwise
	 * hold every push until someone writes to it.  One with no writer
	 * then reads as empty; a pipe that is written (--key-file <(...))
	 * still works.
	 */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return tk_error_set(TK_EIO,
		    "cannot read the audit key '%s': %s", path,
		    strerror(errno));
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		close(fd);
		return tk_error_set(TK_EIO,
		    "cannot read the audit key '%s': %s", path,
		    strerror(errno));
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	/* Every way out wipes buf: an oversize file is still secret. */
	if (n <= 0 || n > TK_AUDIT_MAX_KEY) {
		explicit_bzero(buf, sizeof(buf));
		return tk_error_set(TK_EIO,
		    "the audit key '%s' is empty, "
		    "unreadable or over %d bytes",
		    path, TK_AUDIT_MAX_KEY);
	}
	if ((*key = malloc((size_t)n)) == NULL) {
		explicit_bzero(buf, sizeof(buf));
		return tk_error_set(TK_ENOMEM, "out of memory");
	}
	memcpy(*key, buf, (size_t)n);
	*keylen = (size_t)n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/*
 * The summary of a push just recorded, to syslog, with the hash of its
 * record: sealed is what was appended (or its sealed end, for a spooled
 * record).  A collector off the server then holds every record's hash,
 * an anchor that no one with write access to the log can take back
 * (docs/audit.md, "Syslog").
 */
static void
to_syslog(const char *summary, const struct tk_buf *sealed)
{
	char prev[65], hash[65], hmac[65];
	size_t body, len = sealed->len;

	if (len > 0 && sealed->ptr[len - 1] == '\n')
		len--;
	if (sealed->ptr == NULL ||
	    tk_audit_split(sealed->ptr, len, &body, prev, hash, hmac) < 0)
		memcpy(hash, "-", 2);
	openlog("twokey", LOG_PID, LOG_AUTH);
	syslog(LOG_NOTICE, "%s hash=%s", summary, hash);
	closelog();
}

int
tk_audit_store_for(
    struct tk_audit_store **out, const struct tk_audit_dest *dest)
{
	if (dest->postgres != NULL)
		return tk_audit_pg_store_writer(out, dest);
	return tk_audit_file_store_writer(out, dest);
}

int
tk_audit_append(
    const struct tk_audit_dest *dest, struct tk_buf *body, const char *summary)
{
	struct tk_audit_store *s = NULL;
	unsigned char *key = NULL;
	size_t keylen = 0;
	int rc;

	if ((dest->key_file != NULL &&
	        (rc = tk_audit_read_key(&key, &keylen, dest->key_file)) < 0) ||
	    (rc = tk_audit_store_for(&s, dest)) < 0)
		goto out;
	rc = s->ops->append(s, body, key, keylen);
	if (rc == 0 && dest->syslog && summary != NULL)
		to_syslog(summary, body);
out:
	if (s != NULL)
		s->ops->free(s);
	if (key != NULL)
		explicit_bzero(key, keylen);
	free(key);
	return rc;
}

/* ---- spooling a large record ---------------------------------------- */

/* An unlinked file in $TMPDIR (else /tmp), readable by no one else. */
static int
spool_open(struct tk_audit_spool *sp)
{
	const char *dir = getenv("TMPDIR");
	char name[4096];

	if (dir == NULL || *dir != '/')
		dir = "/tmp";
	if ((size_t)snprintf(name, sizeof(name), "%s/twokey-audit.XXXXXX",
	        dir) >= sizeof(name))
		return tk_error_set(TK_EIO, "TMPDIR is too long");
	if ((sp->fd = mkostemp(name, O_CLOEXEC)) < 0)
		return tk_error_set(TK_EIO,
		    "cannot create a temporary file for the audit record in "
		    "%s: %s",
		    dir, strerror(errno));
	(void)unlink(name);
	sp->len = 0;
	return 0;
}

int
tk_audit_spool_put(struct tk_audit_spool *sp, struct tk_buf *b)
{
	int rc;

	if (b->err != 0)
		return b->err;
	if (sp->len + b->len > TK_AUDIT_MAX_RECORD)
		rc = tk_error_set(TK_ETOOBIG,
		    "the audit record would exceed %u bytes",
		    TK_AUDIT_MAX_RECORD);
	else if (sp->fd < 0 && (rc = spool_open(sp)) < 0)
		; /* not made: nothing of b may be counted as written */
	else if (tk_audit_write_all(sp->fd, b->ptr, b->len) < 0)
		rc = tk_error_set(TK_EIO,
		    "cannot write the audit record's temporary file: %s",
		    strerror(errno));
	else
		rc = 0;
	if (rc < 0)
		return b->err = rc;
	sp->len += b->len;
	tk_buf_reset(b);
	/* the record as a whole stays within its bound */
	b->max = TK_AUDIT_MAX_RECORD - sp->len;
	return 0;
}

int
tk_audit_spool_read(
    const struct tk_audit_spool *sp, size_t off, void *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = pread(sp->fd, p, n, (off_t)off)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return tk_error_set(TK_EIO,
			    "cannot read the audit record's temporary file: %s",
			    r < 0 ? strerror(errno) : "cut short");
		p = (char *)p + r;
		off += (size_t)r;
		n -= (size_t)r;
	}
	return 0;
}

void
tk_audit_spool_close(struct tk_audit_spool *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
	sp->len = 0;
}

/* For a store that takes whole bodies: the spool read back, then body. */
static int
unspool(const struct tk_audit_spool *sp, const struct tk_buf *body,
    struct tk_buf *whole)
{
	char chunk[65536];
	size_t off, n;
	int rc;

	for (off = 0; off < sp->len; off += n) {
		n = sp->len - off < sizeof(chunk) ? sp->len - off
		                                  : sizeof(chunk);
		if ((rc = tk_audit_spool_read(sp, off, chunk, n)) < 0 ||
		    (rc = tk_buf_put(whole, chunk, n)) < 0)
			return rc;
	}
	return tk_buf_put(whole, body->ptr ? body->ptr : "", body->len);
}

int
tk_audit_append_spooled(const struct tk_audit_dest *dest,
    const struct tk_audit_spool *sp, struct tk_buf *body, const char *summary)
{
	struct tk_audit_store *s = NULL;
	struct tk_buf whole = TK_BUF_INIT(TK_AUDIT_MAX_RECORD);
	unsigned char *key = NULL;
	size_t keylen = 0;
	int rc;

	if (sp->fd < 0)
		return tk_audit_append(dest, body, summary);
	if (dest->key_file != NULL &&
	    (rc = tk_audit_read_key(&key, &keylen, dest->key_file)) < 0)
		goto out;
	if (dest->postgres == NULL)
		rc = tk_audit_file_append_spooled(
		    dest->path, sp, body, key, keylen);
	else if ((rc = tk_audit_store_for(&s, dest)) == 0 &&
	    (rc = unspool(sp, body, &whole)) == 0)
		rc = s->ops->append(s, &whole, key, keylen);
	if (rc == 0 && dest->syslog && summary != NULL)
		to_syslog(summary, dest->postgres == NULL ? body : &whole);
out:
	if (s != NULL)
		s->ops->free(s);
	if (key != NULL)
		explicit_bzero(key, keylen);
	free(key);
	tk_buf_release(&whole);
	return rc;
}

static void
summary(struct tk_buf *out, const struct tk_updates *u,
    const struct tk_report *r, const struct tk_audit_push *push)
{
	const char *login = r->pusher_login ? r->pusher_login : "-";
	size_t i;

	/* every field sanitized: no byte of it may start a forged line */
	(void)tk_buf_printf(out, "%s: repo=", push->hook);
	(void)tk_sanitize(out, push->repo, strlen(push->repo), 1024);
	(void)tk_buf_puts(out, " pusher=");
	(void)tk_sanitize(out, login, strlen(login), 200);
	(void)tk_buf_printf(out, " decision=%s refs=%zu",
	    r->refused || push->error ? "refused" : "accepted", u->n);
	for (i = 0; i < u->n && i < 5; i++) {
		(void)tk_buf_putc(out, ' ');
		(void)tk_sanitize(
		    out, u->items[i].ref, strlen(u->items[i].ref), 200);
	}
}

int
tk_audit_write(const struct tk_policy *p, const struct tk_updates *u,
    const struct tk_report *r, const struct tk_audit_push *push)
{
	struct tk_buf body = TK_BUF_INIT(TK_AUDIT_MAX_RECORD);
	struct tk_buf line = TK_BUF_INIT(8192);
	struct tk_audit_spool sp = TK_AUDIT_SPOOL_INIT;
	struct tk_audit_dest d = {p->audit_path, p->audit_key_file,
	    p->audit_syslog, p->audit_postgres, p->audit_node};
	int rc;

	if (p->audit_path == NULL && p->audit_postgres == NULL)
		return 0;
	if ((rc = tk_audit_format_spooled(&body, &sp, p, u, r, push)) == 0) {
		if (d.syslog)
			summary(&line, u, r, push);
		rc = tk_audit_append_spooled(&d, &sp, &body, line.ptr);
	}
	tk_audit_spool_close(&sp);
	tk_buf_release(&body);
	tk_buf_release(&line);
	return rc;
}

int
tk_audit_verify_files(struct tk_audit_verify *v, const char *const *files,
    size_t n, const unsigned char *key, size_t keylen)
{
	struct tk_audit_read_opts o = {v->allow_rotated, key, keylen};
	struct tk_audit_store *s = NULL;
	struct tk_chain_check cc;
	struct tk_audit_chain st;
	struct tk_audit_line l;
	bool allow = v->allow_rotated;
	int rc;

	memset(v, 0, sizeof(*v));
	v->allow_rotated = allow;
	if ((rc = tk_audit_file_store_reader(&s, files, n)) < 0)
		return rc;
	if ((rc = tk_chain_check_init(&cc, &st, &o)) < 0)
		goto out;
	while (!st.broken && (rc = s->ops->next(s, &l)) > 0) {
		if ((rc = tk_chain_check_line(&cc, &l)) < 0)
			break;
		v->bad_file = l.source;
		v->bad_line = l.lineno;
	}
	if (rc == 0)
		tk_chain_check_end(&cc, v->bad_file, v->bad_line);
	v->bad_file = v->bad_line = 0;
	v->records = st.verified;
	v->unkeyed = st.unkeyed;
	v->rotated = st.rotated;
	v->unchecked_hmacs = st.unchecked_hmacs;
	memcpy(v->last_hash, st.last_hash, 65);
	if (rc >= 0 && st.broken) {
		v->bad_file = st.bad_source;
		v->bad_line = st.bad_line;
		snprintf(v->problem, sizeof(v->problem), "%s", st.problem);
		rc = TK_EINVAL;
	} else if (rc > 0)
		rc = 0;
out:
	tk_chain_check_release(&cc);
	s->ops->free(s);
	return rc;
}
