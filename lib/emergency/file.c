/*
 * The file store of the emergency state: <audit.path>.emergencies.
 *
 * Writers serialize on flock() of a separate lock file (the state file
 * itself is replaced by rename, so a lock on it would lock the old
 * inode).  A write goes to a temporary file in the same directory, is
 * fsync()ed, renamed over the state and the directory fsync()ed: a crash
 * leaves the old state or the new one, never half of one.  Every open
 * refuses symbolic links (O_NOFOLLOW): someone who can write the
 * directory could otherwise point the state elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

struct file_store {
	struct tk_emergency_store base;
	char *path;
	int lockfd; /* -1 when not locked */
};

static int
file_lock(struct tk_emergency_store *s)
{
	struct file_store *fs = (struct file_store *)s;
	char name[4200];

	if (fs->lockfd >= 0)
		return 0;
	snprintf(name, sizeof(name), "%s.lock", fs->path);
	if ((fs->lockfd = open(
	         name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) < 0)
		return tk_error_set(
		    TK_EIO, "cannot open '%s': %s", name, strerror(errno));
	while (flock(fs->lockfd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		close(fs->lockfd);
		fs->lockfd = -1;
		return tk_error_set(
		    TK_EIO, "cannot lock '%s': %s", name, strerror(errno));
	}
	return 0;
}

static void
file_unlock(struct tk_emergency_store *s)
{
	struct file_store *fs = (struct file_store *)s;

	if (fs->lockfd < 0)
		return;
	(void)flock(fs->lockfd, LOCK_UN);
	close(fs->lockfd);
	fs->lockfd = -1;
}

static int
file_read(struct tk_emergency_store *s, struct tk_buf *text)
{
	struct file_store *fs = (struct file_store *)s;
	char chunk[65536];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(fs->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT
		    ? 0
		    : tk_error_set(TK_EIO, "cannot read '%s': %s", fs->path,
		          strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		rc = tk_error_set(TK_EIO, "'%s' is not a file", fs->path);
	while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = tk_error_set(TK_EIO, "cannot read '%s': %s",
			    fs->path, strerror(errno));
		else if ((rc = tk_buf_put(text, chunk, (size_t)n)) ==
		    TK_ETOOBIG)
			rc = tk_error_set(
			    TK_ETOOBIG, "'%s' is too large", fs->path);
	}
	close(fd);
	return rc;
}

static void
sync_dir(const char *path)
{
	char copy[4200];
	int fd;

	snprintf(copy, sizeof(copy), "%s", path);
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >=
	    0) {
		(void)fsync(fd);
		close(fd);
	}
}

static int
file_write(struct tk_emergency_store *s, const struct tk_buf *text)
{
	struct file_store *fs = (struct file_store *)s;
	char tmp[4200];
	int fd, rc = 0;

	if (fs->lockfd < 0)
		return tk_error_set(TK_ERROR, "state written without its lock");
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", fs->path, (long)getpid());
	(void)unlink(tmp); /* a leftover of a crashed hook with our pid */
	if ((fd = open(tmp,
	         O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640)) <
	    0)
		return tk_error_set(
		    TK_EIO, "cannot create '%s': %s", tmp, strerror(errno));
	if ((text->len > 0 &&
	        write(fd, text->ptr, text->len) != (ssize_t)text->len) ||
	    fsync(fd) < 0)
		rc = tk_error_set(
		    TK_EIO, "cannot write '%s': %s", tmp, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = tk_error_set(TK_EIO, "cannot write '%s'", tmp);
	if (rc == 0 && rename(tmp, fs->path) < 0)
		rc = tk_error_set(
		    TK_EIO, "cannot rename '%s': %s", tmp, strerror(errno));
	if (rc < 0)
		(void)unlink(tmp);
	else
		sync_dir(fs->path);
	return rc;
}

static void
file_free(struct tk_emergency_store *s)
{
	struct file_store *fs = (struct file_store *)s;

	file_unlock(s);
	free(fs->path);
	free(fs);
}

static const struct tk_emergency_store_ops file_ops = {
    file_lock, file_unlock, file_read, file_write, file_free};

int
tk_emergency_file_store(struct tk_emergency_store **out, const char *path)
{
	struct file_store *fs;

	*out = NULL;
	if ((fs = tk_calloc(1, sizeof(*fs))) == NULL ||
	    (fs->path = tk_strdup(path)) == NULL) {
		free(fs);
		return tk_error_set(TK_ENOMEM, "out of memory");
	}
	fs->base.ops = &file_ops;
	fs->base.where = fs->path;
	fs->lockfd = -1;
	*out = &fs->base; /* transferred */
	return 0;
}
