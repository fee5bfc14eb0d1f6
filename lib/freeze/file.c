/*
 * The freeze file backend: the ad hoc freezes in one small text file
 * (freeze-file:, docs/freezes.md).
 *
 * Hooks only read it, without a lock: writers replace it with rename(2),
 * so a reader sees the old file or the new one, never half of one.
 * Writers ("twokey freeze start/stop") serialize on flock(2) of a lock
 * file beside it, read, edit, write a temporary file, fsync it, rename it
 * over the old one and fsync the directory, so a crash leaves either
 * state.  A missing file means no ad hoc freeze; anything else that
 * cannot be read or parsed is an error, on which the hooks fail closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

static int
file_read(struct tk_freeze_store *s, struct tk_freeze_list *out)
{
	struct tk_buf b = TK_BUF_INIT(TK_FREEZE_FILE_MAX);
	char chunk[8192];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	memset(out, 0, sizeof(*out));
	/* O_NONBLOCK: a FIFO planted there must not hang the hook. */
	if ((fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) <
	    0)
		return errno == ENOENT
		    ? 0
		    : tk_error_set(TK_EIO, "cannot open %s: %s", s->name,
		          strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return tk_error_set(
		    TK_EIO, "%s is not a regular file", s->name);
	}
	/* Anyone who may write it may lift every freeze: not obeyed. */
	if ((st.st_mode & S_IWOTH) != 0) {
		close(fd);
		return tk_error_set(TK_EIO,
		    "%s is writable by every user of the server (mode %04o), "
		    "so anyone could lift a freeze; an admin must run "
		    "'chmod o-w' on it",
		    s->name, (unsigned)(st.st_mode & 07777));
	}
	while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = tk_error_set(TK_EIO, "cannot read %s: %s", s->name,
			    strerror(errno));
		else if (tk_buf_put(&b, chunk, (size_t)n) < 0)
			rc = tk_error_set(TK_ETOOBIG,
			    "%s is larger than %u bytes", s->name,
			    TK_FREEZE_FILE_MAX);
	}
	close(fd);
	if (rc == 0 &&
	    (rc = tk_freeze_parse(out, b.ptr ? b.ptr : "", b.len)) < 0 &&
	    rc != TK_ENOMEM)
		rc = tk_error_set(
		    rc, "%s is corrupt: %s", s->name, tk_error_last());
	tk_buf_release(&b);
	return rc;
}

/* Writes all of b to fd. */
static int
write_all(int fd, const struct tk_buf *b)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		if ((n = write(fd, b->ptr + off, b->len - off)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* The directory of path, for fsync after the rename. */
static int
sync_dir(const char *path)
{
	char dir[4096];
	char *slash;
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
file_write(struct tk_freeze_store *s, const struct tk_freeze_list *l)
{
	struct tk_buf b = TK_BUF_INIT(TK_FREEZE_FILE_MAX);
	char tmp[4200];
	int fd = -1, rc;

	if ((rc = tk_freeze_format(&b, l)) < 0) {
		rc = tk_error_set(rc, "the freezes do not fit in %u bytes",
		    TK_FREEZE_FILE_MAX);
		goto out;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", s->path) >=
	    sizeof(tmp)) {
		rc = tk_error_set(TK_EINVAL, "freeze file name too long");
		goto out;
	}
	/* Under the lock: a stale .tmp is ours to replace. */
	(void)unlink(tmp);
	if ((fd = open(tmp,
	         O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644)) <
	        0 ||
	    write_all(fd, &b) < 0 || fsync(fd) < 0 || close(fd) < 0 ||
	    (fd = -1, rename(tmp, s->path) < 0) || sync_dir(s->path) < 0) {
		rc = tk_error_set(
		    TK_EIO, "cannot write %s: %s", s->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		(void)unlink(tmp);
	}
out:
	tk_buf_release(&b);
	return rc;
}

static int
file_modify(struct tk_freeze_store *s,
    int (*edit)(struct tk_freeze_list *, void *), void *arg)
{
	struct tk_freeze_list cur;
	char lock[4200];
	int fd, rc;

	memset(&cur, 0, sizeof(cur));
	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", s->path) >=
	    sizeof(lock))
		return tk_error_set(TK_EINVAL, "freeze file name too long");
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) <
	    0)
		return tk_error_set(TK_EIO, "cannot open the lock %s: %s", lock,
		    strerror(errno));
	while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (rc < 0)
		rc = tk_error_set(
		    TK_EIO, "cannot lock %s: %s", lock, strerror(errno));
	else if ((rc = file_read(s, &cur)) == 0 && (rc = edit(&cur, arg)) == 0)
		rc = file_write(s, &cur);
	tk_freeze_list_release(&cur);
	close(fd); /* drops the lock */
	return rc;
}

static void
file_free(struct tk_freeze_store *s)
{
	free(s->name);
	free(s->path);
	free(s);
}

static const struct tk_freeze_store_ops file_ops = {
    file_read, file_modify, file_free};

int
tk_freeze_file_open(struct tk_freeze_store **out, const char *path)
{
	struct tk_freeze_store *s;
	struct tk_buf n = TK_BUF_INIT(4200);

	*out = NULL;
	if ((s = tk_calloc(1, sizeof(*s))) == NULL)
		return TK_ENOMEM;
	s->ops = &file_ops;
	(void)tk_buf_puts(&n, "the freeze file '");
	(void)tk_sanitize(&n, path, strlen(path), 4000);
	(void)tk_buf_putc(&n, '\'');
	if ((s->path = tk_strdup(path)) == NULL ||
	    (s->name = tk_buf_detach(&n, NULL)) == NULL) {
		tk_buf_release(&n);
		file_free(s);
		return TK_ENOMEM;
	}
	*out = s;
	return 0;
}
