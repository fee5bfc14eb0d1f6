/*
 * Appending to the audit log and checking its chain.
 *
 * Appends are serialised with flock(): the previous hash is read and the
 * new record written under one exclusive lock, in one write(2) on an
 * O_APPEND descriptor, and fsync()ed before the hook answers.  Anything
 * that goes wrong is an error, and the hook then refuses the push: nothing
 * is accepted unrecorded.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "internal.h"
#include "twokey/audit.h"
#include "twokey/check.h"
#include "twokey/digest.h"
#include "twokey/policy.h"

#define ZERO_HASH                                                              \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define TAIL_HASH ",\"hash\":\""
#define TAIL_PREV ",\"prev\":\""

static bool
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Finds the last occurrence of needle in [s, s + len). */
static const char *
rfind(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = len >= n ? len - n + 1 : 0; i-- > 0;)
		if (memcmp(s + i, needle, n) == 0)
			return s + i;
	return NULL;
}

/*
 * Splits one record line (without its '\n') into the canonical body length
 * (up to ,"hash":), prev, hash and optional hmac.  Strings inside a record
 * are escaped, so the structural ,"hash":" can only be the real one.
 */
static int
split(const char *line, size_t len, size_t *body, char prev[65], char hash[65],
    char hmac[65])
{
	const char *h = rfind(line, len, TAIL_HASH), *p, *end = line + len;

	hmac[0] = '\0';
	if (h == NULL || (size_t)(end - h) < 9 + 64 + 2 || !is_hex64(h + 9) ||
	    h[9 + 64] != '"')
		return -1;
	memcpy(hash, h + 9, 64);
	hash[64] = '\0';
	p = h + 9 + 64 + 1;
	if (end - p == 9 + 64 + 2 && memcmp(p, ",\"hmac\":\"", 9) == 0 &&
	    is_hex64(p + 9) && p[9 + 64] == '"') {
		memcpy(hmac, p + 9, 64);
		hmac[64] = '\0';
		p += 9 + 64 + 1;
	}
	if (end - p != 1 || *p != '}')
		return -1;
	*body = (size_t)(h - line);
	if (*body < 9 + 64 + 1 || memcmp(h - 74, TAIL_PREV, 9) != 0 ||
	    !is_hex64(h - 65) || h[-1] != '"')
		return -1;
	memcpy(prev, h - 65, 64);
	prev[64] = '\0';
	return 0;
}

/* hash (and hmac) of the canonical bytes: line[0..body) + "}". */
static int
digest(const char *line, size_t body, const unsigned char *key, size_t keylen,
    char hash[65], char hmac[65])
{
	struct tk_buf b = TK_BUF_INIT(TK_AUDIT_MAX_RECORD + 1);
	unsigned char d[TK_SHA256_LEN];
	int rc;

	if ((rc = tk_buf_put(&b, line, body)) < 0 ||
	    (rc = tk_buf_putc(&b, '}')) < 0 ||
	    (rc = tk_sha256(d, b.ptr, b.len)) < 0)
		goto out;
	tk_hex(hash, d, sizeof(d));
	hmac[0] = '\0';
	if (key != NULL) {
		if ((rc = tk_hmac_sha256(d, key, keylen, b.ptr, b.len)) < 0)
			goto out;
		tk_hex(hmac, d, sizeof(d));
	}
out:
	tk_buf_release(&b);
	return rc;
}

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
	if (n <= 0 || n > TK_AUDIT_MAX_KEY)
		return tk_error_set(TK_EIO,
		    "the audit key '%s' is empty, "
		    "unreadable or over %d bytes",
		    path, TK_AUDIT_MAX_KEY);
	if ((*key = malloc((size_t)n)) == NULL)
		return tk_error_set(TK_ENOMEM, "out of memory");
	memcpy(*key, buf, (size_t)n);
	*keylen = (size_t)n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/*
 * Reads the last record of the open log into *line (caller frees); NULL
 * when the log is empty.  A log that does not end in '\n' was cut in the
 * middle of a record.
 */
static int
last_line(int fd, char **line, size_t *len)
{
	struct stat st;
	off_t end, start;
	char c, *p;

	*line = NULL;
	if (fstat(fd, &st) < 0)
		return tk_error_set(
		    TK_EIO, "cannot stat the audit log: %s", strerror(errno));
	if (st.st_size == 0)
		return 0;
	if (pread(fd, &c, 1, st.st_size - 1) != 1 || c != '\n')
		return tk_error_set(TK_EIO,
		    "the audit log ends in the middle "
		    "of a record; run 'twokey audit verify'");
	end = st.st_size - 1;
	/* Walk back to the previous newline, in chunks. */
	for (start = end; start > 0;) {
		char chunk[8192];
		off_t from = start > (off_t)sizeof(chunk)
		    ? start - (off_t)sizeof(chunk)
		    : 0;
		ssize_t n = pread(fd, chunk, (size_t)(start - from), from);
		const char *nl;

		if (n != start - from)
			return tk_error_set(
			    TK_EIO, "cannot read the audit log");
		nl = rfind(chunk, (size_t)n, "\n");
		if (nl != NULL) {
			start = from + (nl - chunk) + 1;
			break;
		}
		start = from;
		if (end - start > (off_t)TK_AUDIT_MAX_RECORD)
			return tk_error_set(
			    TK_ETOOBIG, "audit record too long");
	}
	if ((p = malloc((size_t)(end - start) + 1)) == NULL)
		return tk_error_set(TK_ENOMEM, "out of memory");
	if (pread(fd, p, (size_t)(end - start), start) != end - start) {
		free(p);
		return tk_error_set(TK_EIO, "cannot read the audit log");
	}
	p[end - start] = '\0';
	*line = p;
	*len = (size_t)(end - start);
	return 0;
}

/*
 * The last record of the open log: its own hash and the hash it links
 * to, after checking the first against its content.  *empty when the log
 * has no record yet.
 */
static int
log_tail(int fd, char hash[65], char prev[65], bool *empty)
{
	char *line = NULL, h2[65], mac[65], mac2[65];
	size_t len = 0, body;
	int rc;

	*empty = false;
	if ((rc = last_line(fd, &line, &len)) < 0)
		return rc;
	if (line == NULL) {
		*empty = true;
		return 0;
	}
	if (split(line, len, &body, prev, hash, mac) < 0)
		rc = tk_error_set(TK_EIO,
		    "the audit log's last record is "
		    "malformed; run 'twokey audit verify'");
	else if ((rc = digest(line, body, NULL, 0, h2, mac2)) == 0 &&
	    strcmp(h2, hash) != 0)
		rc = tk_error_set(TK_EIO,
		    "the audit log's last record does "
		    "not match its hash (edited?); run 'twokey audit verify'");
	free(line);
	return rc;
}

/*
 * The head file (audit.path + ".head") holds the newest record's hash.
 * It outlives rotation: after "mv audit.jsonl audit.jsonl.1" the new
 * file's first record still links to the old file's last one, so the
 * chain continues across files.  It is also the lock, since the log's
 * own inode changes when the log is rotated.
 */
static int
read_head(int hfd, char head[65], bool *have)
{
	char buf[66];
	ssize_t n = pread(hfd, buf, sizeof(buf), 0);

	*have = false;
	if (n < 0)
		return tk_error_set(TK_EIO, "cannot read the audit head file");
	if (n == 0)
		return 0;
	if (n < 64 || !is_hex64(buf) || (n > 64 && buf[64] != '\n'))
		return tk_error_set(TK_EIO, "the audit head file is damaged");
	memcpy(head, buf, 64);
	head[64] = '\0';
	*have = true;
	return 0;
}

/* The hash the next record links to. */
static int
chain_prev(int hfd, int fd, char prev[65])
{
	char head[65], last[65], lastprev[65];
	bool have, empty;
	int rc;

	if ((rc = read_head(hfd, head, &have)) < 0 ||
	    (rc = log_tail(fd, last, lastprev, &empty)) < 0)
		return rc;
	if (empty)
		memcpy(prev, have ? head : ZERO_HASH, 65);
	else if (!have || strcmp(head, last) == 0 ||
	    strcmp(head, lastprev) == 0) /* crashed before updating head */
		memcpy(prev, last, 65);
	else
		return tk_error_set(TK_EIO,
		    "the audit log's last record is "
		    "not the one its head file names (edited or replaced?); "
		    "run 'twokey audit verify'");
	return 0;
}

/* Adds prev, hash and hmac to body, writes the line, then the head. */
static int
append_locked(int hfd, int fd, struct tk_buf *body, const unsigned char *key,
    size_t keylen)
{
	char prev[65], hash[65], hmac[65];
	size_t base;
	ssize_t n;
	int rc;

	if ((rc = chain_prev(hfd, fd, prev)) < 0)
		return rc;
	(void)tk_buf_printf(body, TAIL_PREV "%s\"", prev);
	base = body->len;
	if (body->err != 0 ||
	    (rc = digest(body->ptr, base, key, keylen, hash, hmac)) < 0)
		return body->err ? body->err : rc;
	(void)tk_buf_printf(body, TAIL_HASH "%s\"", hash);
	if (key != NULL)
		(void)tk_buf_printf(body, ",\"hmac\":\"%s\"", hmac);
	if (tk_buf_puts(body, "}\n") < 0)
		return body->err;
	n = write(fd, body->ptr, body->len);
	if (n < 0 || (size_t)n != body->len)
		return tk_error_set(TK_EIO, "cannot write the audit log: %s",
		    n < 0 ? strerror(errno) : "short write");
	if (fsync(fd) < 0)
		return tk_error_set(
		    TK_EIO, "cannot flush the audit log: %s", strerror(errno));
	hash[64] = '\n';
	if (pwrite(hfd, hash, 65, 0) != 65 || ftruncate(hfd, 65) < 0 ||
	    fsync(hfd) < 0)
		return tk_error_set(TK_EIO,
		    "cannot update the audit head "
		    "file: %s",
		    strerror(errno));
	return 0;
}

static int
open_locked(const char *path, const char *suffix, int *fd)
{
	char name[4096];

	if ((size_t)snprintf(name, sizeof(name), "%s%s", path, suffix) >=
	    sizeof(name))
		return tk_error_set(TK_EIO, "audit path too long");
	if ((*fd = open(name,
	         O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	             (*suffix ? 0 : O_APPEND),
	         0640)) < 0)
		return tk_error_set(
		    TK_EIO, "cannot open '%s': %s", name, strerror(errno));
	if (*suffix && flock(*fd, LOCK_EX) < 0)
		return tk_error_set(
		    TK_EIO, "cannot lock '%s': %s", name, strerror(errno));
	return 0;
}

static void
summary_to_syslog(const struct tk_updates *u, const struct tk_report *r,
    const struct tk_audit_push *push)
{
	struct tk_buf b = TK_BUF_INIT(4096);
	size_t i;

	for (i = 0; i < u->n && i < 5; i++)
		(void)tk_sanitize(
		    &b, u->items[i].ref, strlen(u->items[i].ref), 200),
		    (void)tk_buf_putc(&b, ' ');
	openlog("twokey", LOG_PID, LOG_AUTH);
	syslog(LOG_NOTICE, "%s: repo=%s pusher=%s decision=%s refs=%zu %s",
	    push->hook, push->repo, r->pusher_login ? r->pusher_login : "-",
	    r->refused || push->error ? "refused" : "accepted", u->n,
	    b.ptr ? b.ptr : "");
	closelog();
	tk_buf_release(&b);
}

int
tk_audit_write(const struct tk_policy *p, const struct tk_updates *u,
    const struct tk_report *r, const struct tk_audit_push *push)
{
	struct tk_buf body = TK_BUF_INIT(TK_AUDIT_MAX_RECORD);
	unsigned char *key = NULL;
	size_t keylen = 0;
	int hfd = -1, fd = -1, rc;

	if (p->audit_path == NULL)
		return 0;
	if ((p->audit_key_file != NULL &&
	        (rc = tk_audit_read_key(&key, &keylen, p->audit_key_file)) <
	            0) ||
	    (rc = tk_audit_format(&body, p, u, r, push)) < 0 ||
	    (rc = open_locked(p->audit_path, ".head", &hfd)) < 0 ||
	    (rc = open_locked(p->audit_path, "", &fd)) < 0)
		goto out;
	rc = append_locked(hfd, fd, &body, key, keylen);
	if (rc == 0 && p->audit_syslog)
		summary_to_syslog(u, r, push);
out:
	if (fd >= 0)
		close(fd);
	if (hfd >= 0)
		close(hfd); /* releases the lock */
	if (key != NULL)
		explicit_bzero(key, keylen);
	free(key);
	tk_buf_release(&body);
	return rc;
}

/* Reads one line into b (without '\n'); 1 line, 0 at EOF, <0 error. */
static int
read_line(FILE *f, struct tk_buf *b, bool *terminated)
{
	int ch, rc;

	tk_buf_reset(b);
	*terminated = false;
	while ((ch = getc_unlocked(f)) != EOF) {
		if (ch == '\n') {
			*terminated = true;
			return 1;
		}
		if ((rc = tk_buf_putc(b, ch)) < 0)
			return rc;
	}
	if (ferror(f))
		return tk_error_set(TK_EIO, "read error");
	return b->len > 0 ? 1 : 0;
}

static int
broken(struct tk_audit_verify *v, size_t file, size_t line, const char *why)
{
	v->bad_file = file;
	v->bad_line = line;
	snprintf(v->problem, sizeof(v->problem), "%s", why);
	return TK_EINVAL;
}

/* Checks one record against the chain so far. */
static int
check_record(struct tk_audit_verify *v, struct tk_map *seen,
    const struct tk_buf *b, bool terminated, size_t file, size_t lineno,
    const unsigned char *key, size_t keylen)
{
	char prev[65], hash[65], hmac[65], h2[65], m2[65];
	size_t body;
	int rc;

	if (!terminated)
		return broken(v, file, lineno,
		    "truncated: the last record "
		    "is cut off in the middle");
	if (split(b->ptr, b->len, &body, prev, hash, hmac) < 0)
		return broken(v, file, lineno,
		    "malformed: not a twokey audit "
		    "record (no prev/hash at its end)");
	if ((rc = digest(b->ptr, body, key, keylen, h2, m2)) < 0)
		return rc;
	if (strcmp(h2, hash) != 0)
		return broken(v, file, lineno,
		    "edited: the record does not "
		    "match its own hash");
	if (v->records == 0 && strcmp(prev, ZERO_HASH) != 0) {
		if (!v->allow_rotated)
			return broken(v, file, lineno,
			    "the first record links "
			    "to an earlier one: either the log was rotated "
			    "(give the earlier files first, or --rotated) or "
			    "its first records were deleted");
		v->rotated = true;
	} else if (v->records > 0 && strcmp(prev, v->last_hash) != 0)
		return broken(v, file, lineno,
		    tk_map_get(seen, prev, 64)
		        ? "reordered or inserted: it links to an earlier record, "
		          "not to the one before it"
		        : "deleted: the record it links to is missing (removed, "
		          "moved later, or edited)");
	if (key == NULL && hmac[0] != '\0')
		v->unchecked_hmacs++;
	if (key != NULL && hmac[0] == '\0')
		return broken(v, file, lineno,
		    "no HMAC, but a key was given: "
		    "the record was written without the key");
	if (key != NULL && !tk_memeq(hmac, m2, 64))
		return broken(v, file, lineno,
		    "the HMAC does not match: the "
		    "chain was recomputed without the key, or the key is "
		    "wrong");
	if ((rc = tk_map_put(seen, hash, 64, (void *)1, NULL)) == TK_ENOMEM)
		return rc;
	memcpy(v->last_hash, hash, 65);
	v->records++;
	return 0;
}

static int
verify_file(struct tk_audit_verify *v, struct tk_map *seen, const char *path,
    size_t file, const unsigned char *key, size_t keylen)
{
	struct tk_buf b = TK_BUF_INIT(TK_AUDIT_MAX_RECORD);
	size_t lineno = 0;
	bool term;
	FILE *f;
	int rc = 0, r;

	if ((f = fopen(path, "re")) == NULL)
		return tk_error_set(
		    TK_EIO, "cannot open '%s': %s", path, strerror(errno));
	while (rc == 0 && (r = read_line(f, &b, &term)) != 0) {
		lineno++;
		if (r == TK_ETOOBIG)
			rc = broken(v, file, lineno, "record too long");
		else if (r < 0)
			rc = tk_error_set(TK_EIO, "cannot read '%s'", path);
		else
			rc = check_record(
			    v, seen, &b, term, file, lineno, key, keylen);
	}
	fclose(f);
	tk_buf_release(&b);
	return rc;
}

int
tk_audit_verify_files(struct tk_audit_verify *v, const char *const *files,
    size_t n, const unsigned char *key, size_t keylen)
{
	struct tk_map *seen = NULL;
	size_t i;
	int rc;

	bool allow = v->allow_rotated;

	memset(v, 0, sizeof(*v));
	v->allow_rotated = allow;
	memcpy(v->last_hash, ZERO_HASH, 65);
	if ((rc = tk_map_new(&seen)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = verify_file(v, seen, files[i], i, key, keylen);
	tk_map_free(seen);
	return rc;
}
