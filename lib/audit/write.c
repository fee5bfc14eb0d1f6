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
	int fd;

	*key = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return tk_error_set(TK_EIO,
		    "cannot read the audit key '%s': %s", path,
		    strerror(errno));
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
	if (rc == 0 && dest->syslog && summary != NULL) {
		openlog("twokey", LOG_PID, LOG_AUTH);
		syslog(LOG_NOTICE, "%s", summary);
		closelog();
	}
out:
	if (s != NULL)
		s->ops->free(s);
	if (key != NULL)
		explicit_bzero(key, keylen);
	free(key);
	return rc;
}

static void
summary(struct tk_buf *out, const struct tk_updates *u,
    const struct tk_report *r, const struct tk_audit_push *push)
{
	struct tk_buf b = TK_BUF_INIT(4096);
	size_t i;

	for (i = 0; i < u->n && i < 5; i++)
		(void)tk_sanitize(
		    &b, u->items[i].ref, strlen(u->items[i].ref), 200),
		    (void)tk_buf_putc(&b, ' ');
	(void)tk_buf_printf(out,
	    "%s: repo=%s pusher=%s decision=%s refs=%zu %s", push->hook,
	    push->repo, r->pusher_login ? r->pusher_login : "-",
	    r->refused || push->error ? "refused" : "accepted", u->n,
	    b.ptr ? b.ptr : "");
	tk_buf_release(&b);
}

int
tk_audit_write(const struct tk_policy *p, const struct tk_updates *u,
    const struct tk_report *r, const struct tk_audit_push *push)
{
	struct tk_buf body = TK_BUF_INIT(TK_AUDIT_MAX_RECORD);
	struct tk_buf line = TK_BUF_INIT(8192);
	struct tk_audit_dest d = {p->audit_path, p->audit_key_file,
	    p->audit_syslog, p->audit_postgres, p->audit_node};
	int rc;

	if (p->audit_path == NULL && p->audit_postgres == NULL)
		return 0;
	if ((rc = tk_audit_format(&body, p, u, r, push)) == 0) {
		if (d.syslog)
			summary(&line, u, r, push);
		rc = tk_audit_append(&d, &body, line.ptr);
	}
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
	while (!st.broken && (rc = s->ops->next(s, &l)) > 0)
		if ((rc = tk_chain_check_line(&cc, &l)) < 0)
			break;
	v->records = st.verified;
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
