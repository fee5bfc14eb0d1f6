/*
 * PATH.compiled next to the policy at PATH: when the hooks may use it
 * (docs/spec.md, "The compiled policy").
 *
 * The policy's bytes are read and hashed on every load (each audit
 * record names the policy in force by that hash); the compiled file is
 * used only when its header names that very hash, its body's checksum
 * holds, the strict reader accepts it, and whoever owns it could have
 * written the policy itself: its owner is the policy's owner or root,
 * and it is writable by nobody the policy is not writable by.  Anything
 * else falls back to the YAML, so a stale, damaged or planted file can
 * cost time but never change a decision, and never makes a load fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "load.h"
#include "twokey/digest.h"

/* Whether a file with st may stand in for the policy with pst. */
static int
trusted(const struct stat *st, const struct stat *pst, char **why)
{
	const char *msg = NULL;
	char buf[200];

	if (st->st_uid != pst->st_uid && st->st_uid != 0) {
		snprintf(buf, sizeof(buf),
		    "it is owned by uid %lu, neither the policy's owner "
		    "(uid %lu) nor root",
		    (unsigned long)st->st_uid, (unsigned long)pst->st_uid);
		msg = buf;
	} else if ((st->st_mode & 022 & ~pst->st_mode) != 0)
		msg = "it is writable by group or others and the policy is not";
	else if ((st->st_mode & 020) != 0 && st->st_gid != pst->st_gid)
		msg = "it is writable by a group that may not write the policy";
	if (msg == NULL)
		return 0;
	if ((*why = tk_strdup(msg)) == NULL)
		return TK_ENOMEM;
	return TK_EINVAL;
}

/*
 * Reads PATH.compiled for the policy bytes hashed to sha (file status
 * pst).  Returns 0 with *out (when out is not NULL) or with the header
 * and checksum checked; TK_ENOTFOUND when there is no such file;
 * TK_EINVAL with *why (caller frees) when it exists but may not be used;
 * TK_ENOMEM.
 */
static int
compiled_open(struct tk_policy **out, char **why, const char *path,
    const struct stat *pst, const unsigned char sha[TK_SHA256_LEN])
{
	struct tk_buf cpath = TK_BUF_INIT(8192);
	void *map = MAP_FAILED;
	struct stat st;
	size_t len = 0;
	int fd = -1, rc;

	*why = NULL;
	if ((rc = tk_buf_printf(
	         &cpath, "%s%s", path, TK_POLICY_COMPILED_SUFFIX)) < 0)
		goto out;
	if ((fd = open(cpath.ptr,
	         O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		rc = errno == ENOENT
		    ? TK_ENOTFOUND
		    : tk_error_set(TK_EIO, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = tk_error_set(TK_EIO, "not a regular file");
		goto out;
	}
	/* Judged before a byte is read: an untrusted file is never mapped. */
	if ((rc = trusted(&st, pst, why)) < 0)
		goto out;
	if (st.st_size <= 0 || (uint64_t)st.st_size > TK_POLICY_COMPILED_MAX) {
		rc = tk_error_set(TK_ETOOBIG, "empty or larger than %u bytes",
		    TK_POLICY_COMPILED_MAX);
		goto out;
	}
	/*
	 * Mapped, not read: no copy, no fresh pages.  It is replaced by
	 * rename (twokey config compile), never rewritten in place; only its
	 * owner, who could rewrite the policy too, could truncate it under
	 * the hook, which then dies of SIGBUS and so refuses the push.
	 */
	len = (size_t)st.st_size;
	if ((map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0)) ==
	    MAP_FAILED) {
		rc = tk_error_set(TK_EIO, "cannot map: %s", strerror(errno));
		goto out;
	}
	if (out != NULL)
		rc = tk_policy_compiled_read(
		    out, path, (const unsigned char *)map, len, sha);
	else
		rc = tk_policy_compiled_check(
		    (const unsigned char *)map, len, sha);
out:
	if (rc < 0 && rc != TK_ENOTFOUND && *why == NULL &&
	    (*why = tk_strdup(tk_error_last())) == NULL)
		rc = TK_ENOMEM;
	else if (rc < 0 && rc != TK_ENOTFOUND && rc != TK_ENOMEM)
		rc = TK_EINVAL;
	if (map != MAP_FAILED)
		munmap(map, len);
	if (fd >= 0)
		close(fd);
	tk_buf_release(&cpath);
	return rc;
}

/*
 * Opens the policy and hashes it in chunks: when the compiled form is
 * used the policy's bytes are never needed whole.  0 with *pst, or a
 * negative code with a message.
 */
static int
hash_policy(
    unsigned char sha[TK_SHA256_LEN], struct stat *pst, const char *path)
{
	uint64_t len;
	int fd, rc;

	/* as tk_policy_read_file_() opens it: O_NONBLOCK for a FIFO */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return tk_error_set(
		    TK_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, pst) < 0 || !S_ISREG(pst->st_mode))
		rc = tk_error_set(TK_EIO, "'%s' is not a regular file", path);
	else if ((rc = tk_policy_mode_ok_(pst, path)) == 0)
		rc = tk_sha256_fd(sha, fd, TK_POLICY_MAX_SIZE, &len);
	close(fd);
	return rc;
}

/* Whether PATH.compiled may exist (anything but "no such file"). */
static bool
compiled_exists(const char *path)
{
	struct tk_buf cpath = TK_BUF_INIT(8192);
	struct stat st;
	bool yes;

	if (tk_buf_printf(&cpath, "%s%s", path, TK_POLICY_COMPILED_SUFFIX) < 0)
		yes = true; /* let compiled_open() say what is wrong */
	else
		yes = lstat(cpath.ptr, &st) == 0 || errno != ENOENT;
	tk_buf_release(&cpath);
	return yes;
}

int
tk_policy_load_fast(struct tk_policy **out, char **errors,
    enum tk_compiled_use *use, char **why, const char *path)
{
	unsigned char sha[TK_SHA256_LEN];
	struct stat pst;
	int rc;

	*out = NULL;
	*errors = NULL;
	*why = NULL;
	*use = TK_COMPILED_ABSENT;
	/* No compiled file (the usual small policy): one read, as before. */
	if (!compiled_exists(path))
		return tk_policy_load(out, errors, path);
	/* Any failure here is the YAML loader's to report, as without. */
	if (hash_policy(sha, &pst, path) < 0)
		goto yaml;
	rc = compiled_open(out, why, path, &pst, sha);
	if (rc == 0) {
		*use = TK_COMPILED_USED;
		return 0;
	}
	if (rc == TK_ENOMEM) {
		*errors = tk_strdup("out of memory\n");
		return rc;
	}
	if (rc == TK_EINVAL)
		*use = TK_COMPILED_IGNORED;
yaml:
	tk_error_clear();
	/* read again: the bytes parsed are the bytes hashed and recorded */
	return tk_policy_load(out, errors, path);
}

int
tk_policy_compiled_state(enum tk_compiled_use *use, char **why,
    const char *path, const struct tk_policy *loaded)
{
	unsigned char sha[TK_SHA256_LEN];
	struct tk_policy *p = NULL;
	struct stat pst;
	int rc;

	*use = TK_COMPILED_ABSENT;
	*why = NULL;
	if (stat(path, &pst) < 0)
		return tk_error_set(
		    TK_EIO, "cannot stat '%s': %s", path, strerror(errno));
	if ((rc = tk_unhex_(sha, loaded->sha256, sizeof(sha))) < 0)
		return rc;
	rc = compiled_open(&p, why, path, &pst, sha);
	tk_policy_free(p);
	if (rc == TK_ENOTFOUND)
		return 0;
	if (rc == TK_ENOMEM)
		return rc;
	*use = rc == 0 ? TK_COMPILED_USED : TK_COMPILED_IGNORED;
	return 0;
}

/* Writes data to path through a temporary file renamed over it. */
static int
write_atomic(
    const char *path, const struct tk_buf *data, const struct stat *pst)
{
	struct tk_buf tmp = TK_BUF_INIT(8192);
	size_t off = 0;
	ssize_t n;
	int fd = -1, rc;

	if ((rc = tk_buf_printf(&tmp, "%s.tmp%ld", path, (long)getpid())) < 0)
		goto out;
	(void)unlink(tmp.ptr);
	/* never more writable than the policy, never by group or others */
	if ((fd = open(tmp.ptr,
	         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	         pst->st_mode & 0644)) < 0) {
		rc = tk_error_set(
		    TK_EIO, "cannot create '%s': %s", tmp.ptr, strerror(errno));
		goto out;
	}
	if (fchmod(fd, pst->st_mode & 0644) < 0) {
		rc = tk_error_set(
		    TK_EIO, "cannot chmod '%s': %s", tmp.ptr, strerror(errno));
		goto out;
	}
	/* root compiles for the policy's owner, whom the hooks compare */
	if (geteuid() == 0 && fchown(fd, pst->st_uid, pst->st_gid) < 0) {
		rc = tk_error_set(
		    TK_EIO, "cannot chown '%s': %s", tmp.ptr, strerror(errno));
		goto out;
	}
	while (off < data->len) {
		if ((n = write(fd, data->ptr + off, data->len - off)) < 0 &&
		    errno == EINTR)
			continue;
		if (n < 0) {
			rc = tk_error_set(TK_EIO, "cannot write '%s': %s",
			    tmp.ptr, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		rc = tk_error_set(
		    TK_EIO, "cannot write '%s': %s", tmp.ptr, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp.ptr, path) < 0)
		rc = tk_error_set(TK_EIO, "cannot rename '%s' to '%s': %s",
		    tmp.ptr, path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp.ptr != NULL)
		(void)unlink(tmp.ptr);
	tk_buf_release(&tmp);
	return rc;
}

int
tk_policy_compile_file(char **errors, char **written, const char *path)
{
	struct tk_buf out = TK_BUF_INIT(TK_POLICY_COMPILED_MAX);
	struct tk_buf cpath = TK_BUF_INIT(8192);
	struct tk_policy *p = NULL;
	struct stat pst;
	char *data = NULL;
	size_t len = 0;
	int rc;

	*errors = NULL;
	*written = NULL;
	if ((rc = tk_policy_read_file_(
	         &data, &len, &pst, path, TK_POLICY_MAX_SIZE)) < 0 ||
	    (rc = tk_policy_mode_ok_(&pst, path)) < 0)
		goto fail;
	/* the bytes compiled are the bytes hashed: no second read */
	if ((rc = tk_policy_load_buffer(&p, errors, path, data, len)) < 0)
		goto out;
	if ((rc = tk_policy_compile(&out, p)) < 0 ||
	    (rc = tk_buf_printf(
	         &cpath, "%s%s", path, TK_POLICY_COMPILED_SUFFIX)) < 0 ||
	    (rc = write_atomic(cpath.ptr, &out, &pst)) < 0)
		goto fail;
	*written = tk_buf_detach(&cpath, NULL);
	rc = *written != NULL ? 0 : TK_ENOMEM;
	goto out;
fail : {
	struct tk_buf eb = TK_BUF_INIT(4096);

	(void)tk_buf_printf(&eb, "%s\n", tk_error_last());
	*errors = tk_buf_detach(&eb, NULL);
	tk_buf_release(&eb);
}
out:
	tk_policy_free(p);
	free(data);
	tk_buf_release(&out);
	tk_buf_release(&cpath);
	return rc;
}
