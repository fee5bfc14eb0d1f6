/*
 * The file store: records in audit.path, one a line.
 *
 * Appends are serialised with flock() on the head file (audit.path +
 * ".head"), which also holds the newest record's hash and outlives
 * rotation: after "mv audit.jsonl audit.jsonl.1" the new file's first
 * record still links to the old file's last one.  The previous hash is
 * read and the new record written under one exclusive lock, in one
 * write(2) on an O_APPEND descriptor (a record over TK_AUDIT_SPOOL_AT
 * comes from a temporary file in pieces); a failed write (a full disk
 * writes part of a line) cuts the log back to where it was.  The line is
 * fsync()ed before the hook answers.  Anything that goes
 * wrong is an error, and the hook then refuses the push: nothing is accepted
 * unrecorded.
 *
 * The head file is written after the log and not flushed (docs/decisions.md,
 * "The audit head file is not flushed"): after a crash it may name a record
 * some way before the end.  The writer accepts a head that names a record
 * of the log's tail whose links lead to the last record, and refuses one
 * that names no such record (records removed from the end).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

/* How far back from the end a head left behind by a crash is looked for. */
#define HEAD_SCAN_MAX (256u << 20)

struct file_store {
	struct tk_audit_store base;
	/* writing */
	const char *path;
	/* reading */
	const char *const *files;
	const char **filev; /* files, owned array */
	size_t nfiles, cur, lineno;
	FILE *f;
	struct tk_buf line;
};

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
		nl = memrchr(chunk, '\n', (size_t)n);
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
	if (tk_audit_split(line, len, &body, prev, hash, mac) < 0)
		rc = tk_error_set(TK_EIO,
		    "the audit log's last record is "
		    "malformed; run 'twokey audit verify'");
	else if ((rc = tk_audit_digest(line, body, NULL, 0, h2, mac2)) == 0 &&
	    strcmp(h2, hash) != 0)
		rc = tk_error_set(TK_EIO,
		    "the audit log's last record does "
		    "not match its hash (edited?); run 'twokey audit verify'");
	free(line);
	return rc;
}

static int
read_head_fd(int hfd, char head[65], bool *have)
{
	char buf[66];
	ssize_t n = pread(hfd, buf, sizeof(buf), 0);

	*have = false;
	if (n < 0)
		return tk_error_set(TK_EIO, "cannot read the audit head file");
	if (n == 0)
		return 0;
	if (n < 64 || !tk_audit_is_hex64(buf) || (n > 64 && buf[64] != '\n'))
		return tk_error_set(TK_EIO, "the audit head file is damaged");
	memcpy(head, buf, 64);
	head[64] = '\0';
	*have = true;
	return 0;
}

/* The log read backwards, a window at a time. */
struct back {
	int fd;
	off_t from; /* buf holds [from, from + n) */
	size_t n;
	char buf[65536];
};

/* The offset of the last '\n' before `before`, or -1 when there is none. */
static int
back_newline(struct back *b, off_t before, off_t *nl)
{
	const char *p;

	while (before > 0) {
		if (before <= b->from || before > b->from + (off_t)b->n) {
			off_t from = before > (off_t)sizeof(b->buf)
			    ? before - (off_t)sizeof(b->buf)
			    : 0;

			if (pread(b->fd, b->buf, (size_t)(before - from),
			        from) != before - from)
				return tk_error_set(
				    TK_EIO, "cannot read the audit log");
			b->from = from;
			b->n = (size_t)(before - from);
		}
		if ((p = memrchr(b->buf, '\n', (size_t)(before - b->from))) !=
		    NULL) {
			*nl = b->from + (p - b->buf);
			return 0;
		}
		before = b->from;
	}
	*nl = -1;
	return 0;
}

/*
 * Whether head names a record that the log's last record links back to:
 * walks back from the end, each record's hash equal to the prev of the one
 * after it, at most HEAD_SCAN_MAX bytes.  `want` is the last record's
 * prev; at the start of the file, the first record's prev names the last
 * record of a rotated file.  Only the end of each line is read: prev and
 * hash are the last fields of every record.  Taken only after a crash left
 * the head file behind, never on an ordinary push.
 */
static int
head_behind(int fd, const char *head, const char *want, bool *found)
{
	struct back *b;
	char tail[256], prev[65], hash[65], mac[65], link[65];
	struct stat st;
	off_t end, start;
	size_t body, n;
	int rc = 0;

	/* zeros: the prev of a first record, never a record's hash */
	if ((*found = strcmp(head, want) == 0) ||
	    strcmp(head, TK_ZERO_HASH) == 0)
		return 0;
	if (fstat(fd, &st) < 0)
		return tk_error_set(
		    TK_EIO, "cannot stat the audit log: %s", strerror(errno));
	if ((b = tk_calloc(1, sizeof(*b))) == NULL)
		return TK_ENOMEM;
	b->fd = fd;
	memcpy(link, want, 65);
	/* the '\n' before the last record ends the one before it */
	if ((rc = back_newline(b, st.st_size - 1, &end)) < 0)
		goto out;
	while (end >= 0 && !*found) {
		if (st.st_size - end > (off_t)HEAD_SCAN_MAX) {
			rc = tk_error_set(TK_EIO,
			    "the audit head file names no record in the "
			    "last %u MiB of the log; run 'twokey audit "
			    "verify'",
			    HEAD_SCAN_MAX >> 20);
			goto out;
		}
		if ((rc = back_newline(b, end, &start)) < 0)
			goto out;
		start++;
		n = end - start > (off_t)sizeof(tail) ? sizeof(tail)
		                                      : (size_t)(end - start);
		if (pread(fd, tail, n, end - (off_t)n) != (ssize_t)n) {
			rc = tk_error_set(TK_EIO, "cannot read the audit log");
			goto out;
		}
		if (tk_audit_split(tail, n, &body, prev, hash, mac) < 0 ||
		    strcmp(hash, link) != 0) {
			rc = tk_error_set(TK_EIO,
			    "the audit log's records before its last one do "
			    "not link to it; run 'twokey audit verify'");
			goto out;
		}
		memcpy(link, prev, 65);
		*found = strcmp(head, link) == 0;
		end = start - 1;
	}
out:
	free(b);
	return rc;
}

/* The hash the next record links to. */
static int
chain_prev(int hfd, int fd, char prev[65])
{
	char head[65], last[65], lastprev[65];
	bool have, empty, found = false;
	int rc;

	if ((rc = read_head_fd(hfd, head, &have)) < 0 ||
	    (rc = log_tail(fd, last, lastprev, &empty)) < 0)
		return rc;
	if (empty) {
		memcpy(prev, have ? head : TK_ZERO_HASH, 65);
		return 0;
	}
	/* the head names the last record, or one before it after a crash */
	if (have && strcmp(head, last) != 0 &&
	    (rc = head_behind(fd, head, lastprev, &found)) < 0)
		return rc;
	if (have && strcmp(head, last) != 0 && !found)
		return tk_error_set(TK_EIO,
		    "the audit head file names a record that is not in the "
		    "log (records removed from its end, or the log edited "
		    "or replaced?); run 'twokey audit verify'");
	memcpy(prev, last, 65);
	return 0;
}

/*
 * The newest record's hash, once the record itself is on disk.  Not
 * flushed: a head that a crash left behind still names a record of the
 * log, which chain_prev() accepts.
 */
static int
write_head(int hfd, char hash[66])
{
	hash[64] = '\n';
	if (pwrite(hfd, hash, 65, 0) != 65 || ftruncate(hfd, 65) < 0)
		return tk_error_set(TK_EIO,
		    "cannot update the audit head file: %s", strerror(errno));
	return 0;
}

/*
 * Ends an append that began when the log was `was` bytes long: flushes
 * the line when rc is 0, else cuts the log back to `was` (a full disk
 * writes part of a line, and every later record would follow half a
 * record, the chain broken even after the space comes back); then the
 * head.
 */
static int
end_append(int hfd, int fd, off_t was, int rc, char hash[66])
{
	if (rc == 0 && fsync(fd) < 0)
		rc = tk_error_set(
		    TK_EIO, "cannot flush the audit log: %s", strerror(errno));
	if (rc < 0) {
		if (ftruncate(fd, was) < 0) {
			/* the error above is the one to report */
		}
		return rc;
	}
	return write_head(hfd, hash);
}

/* Seals body, writes the line, then the head. */
static int
append_locked(int hfd, int fd, struct tk_buf *body, const unsigned char *key,
    size_t keylen)
{
	char prev[65], hash[66];
	struct stat st;
	ssize_t n;
	int rc;

	if ((rc = chain_prev(hfd, fd, prev)) < 0 ||
	    (rc = tk_audit_seal(body, prev, key, keylen, hash)) < 0)
		return rc;
	if (fstat(fd, &st) < 0)
		return tk_error_set(
		    TK_EIO, "cannot stat the audit log: %s", strerror(errno));
	n = write(fd, body->ptr, body->len);
	if (n < 0 || (size_t)n != body->len)
		rc = tk_error_set(TK_EIO, "cannot write the audit log: %s",
		    n < 0 ? strerror(errno) : "short write (disk full?)");
	return end_append(hfd, fd, st.st_size, rc, hash);
}

int
tk_audit_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * A spooled record: the spool's bytes are copied to the log and hashed in
 * pieces, then body is sealed after them and written.  The line takes
 * several writes: on any failure the log is cut back to where it was, so
 * that no partial record stays in it.
 */
static int
append_spooled_locked(int hfd, int fd, const struct tk_audit_spool *sp,
    struct tk_buf *body, const unsigned char *key, size_t keylen)
{
	struct tk_audit_hasher h;
	char prev[65], hash[66], chunk[65536];
	struct stat st;
	size_t off, n;
	int rc;

	if ((rc = chain_prev(hfd, fd, prev)) < 0)
		return rc;
	if (fstat(fd, &st) < 0)
		return tk_error_set(
		    TK_EIO, "cannot stat the audit log: %s", strerror(errno));
	if ((rc = tk_audit_hasher_init(&h, key, keylen)) < 0)
		return rc;
	for (off = 0; off < sp->len && rc == 0; off += n) {
		n = sp->len - off < sizeof(chunk) ? sp->len - off
		                                  : sizeof(chunk);
		if ((rc = tk_audit_spool_read(sp, off, chunk, n)) == 0 &&
		    (rc = tk_audit_hasher_update(&h, chunk, n)) == 0 &&
		    tk_audit_write_all(fd, chunk, n) < 0)
			rc = tk_error_set(TK_EIO,
			    "cannot write the audit log: %s", strerror(errno));
	}
	if (rc == 0 && (rc = tk_audit_seal_rest(&h, body, prev, hash)) == 0 &&
	    tk_audit_write_all(fd, body->ptr, body->len) < 0)
		rc = tk_error_set(
		    TK_EIO, "cannot write the audit log: %s", strerror(errno));
	tk_audit_hasher_free(&h);
	explicit_bzero(chunk, sizeof(chunk));
	return end_append(hfd, fd, st.st_size, rc, hash);
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

static int
fs_append(struct tk_audit_store *s, struct tk_buf *body,
    const unsigned char *key, size_t keylen)
{
	struct file_store *fs = (struct file_store *)s;
	int hfd = -1, fd = -1, rc;

	if ((rc = open_locked(fs->path, ".head", &hfd)) == 0 &&
	    (rc = open_locked(fs->path, "", &fd)) == 0)
		rc = append_locked(hfd, fd, body, key, keylen);
	if (fd >= 0)
		close(fd);
	if (hfd >= 0)
		close(hfd); /* releases the lock */
	return rc;
}

int
tk_audit_file_append_spooled(const char *path, const struct tk_audit_spool *sp,
    struct tk_buf *body, const unsigned char *key, size_t keylen)
{
	int hfd = -1, fd = -1, rc;

	if ((rc = open_locked(path, ".head", &hfd)) == 0 &&
	    (rc = open_locked(path, "", &fd)) == 0)
		rc = append_spooled_locked(hfd, fd, sp, body, key, keylen);
	if (fd >= 0)
		close(fd);
	if (hfd >= 0)
		close(hfd); /* releases the lock */
	return rc;
}

/* Reads one line of the current file into fs->line. */
static int
read_line(struct file_store *fs, struct tk_audit_line *l)
{
	int ch, rc = 0;

	tk_buf_reset(&fs->line);
	memset(l, 0, sizeof(*l));
	while ((ch = getc_unlocked(fs->f)) != EOF && ch != '\n')
		if (rc == 0 && (rc = tk_buf_putc(&fs->line, ch)) == TK_ENOMEM)
			return tk_error_set(TK_ENOMEM, "out of memory");
	if (ferror(fs->f))
		return tk_error_set(TK_EIO, "cannot read '%s': %s",
		    fs->files[fs->cur], strerror(errno));
	if (ch == EOF && fs->line.len == 0 && rc == 0)
		return 0;
	l->terminated = ch == '\n';
	l->too_long = rc == TK_ETOOBIG;
	l->ptr = l->too_long || fs->line.ptr == NULL ? "" : fs->line.ptr;
	l->len = l->too_long ? 0 : fs->line.len;
	l->source = fs->cur;
	l->lineno = ++fs->lineno;
	return 1;
}

static int
fs_next(struct tk_audit_store *s, struct tk_audit_line *l)
{
	struct file_store *fs = (struct file_store *)s;
	int rc;

	while (fs->cur < fs->nfiles) {
		if (fs->f == NULL &&
		    (fs->f = fopen(fs->files[fs->cur], "re")) == NULL)
			return tk_error_set(TK_EIO, "cannot open '%s': %s",
			    fs->files[fs->cur], strerror(errno));
		if ((rc = read_line(fs, l)) != 0)
			return rc;
		fclose(fs->f);
		fs->f = NULL;
		fs->lineno = 0;
		fs->cur++;
	}
	return 0;
}

/* The head file beside the last file read, when there is one. */
static int
fs_head(struct tk_audit_store *s, char head[65], bool *have)
{
	struct file_store *fs = (struct file_store *)s;
	const char *base = fs->path;
	char name[4096];
	int fd, rc;

	*have = false;
	if (base == NULL && fs->nfiles > 0)
		base = fs->files[fs->nfiles - 1];
	if (base == NULL ||
	    (size_t)snprintf(name, sizeof(name), "%s.head", base) >=
	        sizeof(name))
		return 0;
	if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0; /* no head file: nothing to compare */
	rc = read_head_fd(fd, head, have);
	close(fd);
	return rc;
}

static const char *
fs_source(const struct tk_audit_store *s, size_t i)
{
	const struct file_store *fs = (const struct file_store *)s;

	if (fs->path != NULL)
		return fs->path;
	return i < fs->nfiles ? fs->files[i] : "?";
}

static size_t
fs_nsources(const struct tk_audit_store *s)
{
	const struct file_store *fs = (const struct file_store *)s;

	return fs->path != NULL ? 1 : fs->nfiles;
}

static void
fs_free(struct tk_audit_store *s)
{
	struct file_store *fs = (struct file_store *)s;

	if (fs == NULL)
		return;
	if (fs->f != NULL)
		fclose(fs->f);
	tk_buf_release(&fs->line);
	free(fs->filev);
	free(fs);
}

static const struct tk_audit_store_ops file_ops = {
    fs_append, fs_next, fs_head, fs_source, fs_nsources, fs_free};

int
tk_audit_file_store_writer(
    struct tk_audit_store **out, const struct tk_audit_dest *dest)
{
	struct file_store *fs;

	*out = NULL;
	if ((fs = tk_calloc(1, sizeof(*fs))) == NULL)
		return TK_ENOMEM;
	fs->base.ops = &file_ops;
	fs->path = dest->path;
	*out = &fs->base;
	return 0;
}

int
tk_audit_file_store_reader(
    struct tk_audit_store **out, const char *const *files, size_t n)
{
	struct file_store *fs;

	*out = NULL;
	if (n > TK_AUDIT_MAX_FILES)
		return tk_error_set(
		    TK_ETOOBIG, "more than %d audit files", TK_AUDIT_MAX_FILES);
	if ((fs = tk_calloc(1, sizeof(*fs))) == NULL)
		return TK_ENOMEM;
	fs->base.ops = &file_ops;
	/* the array is copied, the names are borrowed */
	if (n > 0 && (fs->filev = tk_calloc(n, sizeof(*fs->filev))) == NULL) {
		free(fs);
		return TK_ENOMEM;
	}
	if (n > 0)
		memcpy(fs->filev, files, n * sizeof(*fs->filev));
	fs->files = (const char *const *)fs->filev;
	fs->nfiles = n;
	tk_buf_init(&fs->line, TK_AUDIT_MAX_RECORD);
	*out = &fs->base;
	return 0;
}
