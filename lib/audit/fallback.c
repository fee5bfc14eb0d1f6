/*
 * Recording pushes refused because no policy could be loaded
 * (docs/audit.md, "When the policy cannot be loaded").
 *
 * Without a policy there is no audit.path, yet the refusal is evidence
 * too (someone broke the policy, or pushed while it was broken).  After
 * every successful load the hook remembers where that policy records, in
 * the repository's own <gitdir>/twokey-audit-state; a refusal for an
 * unloadable policy goes there, else to the path fixed at build time
 * (TWOKEY_FALLBACK_AUDIT_PATH).  The state file lives in the repository
 * because the policy is per repository (git config twokey.config) and the
 * hook can always write there; pushers cannot.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "twokey/check.h"
#include "twokey/policy.h"

#define STATE_NAME "twokey-audit-state"
#define STATE_MAX 16384

#ifndef TWOKEY_FALLBACK_AUDIT_PATH
#define TWOKEY_FALLBACK_AUDIT_PATH "/var/log/twokey/audit.jsonl"
#endif

const char *
tk_audit_fallback_path(void)
{
	return TWOKEY_FALLBACK_AUDIT_PATH;
}

static int
state_path(char *out, size_t size, const char *gitdir)
{
	size_t n = strlen(gitdir);

	while (n > 1 && gitdir[n - 1] == '/')
		n--;
	if ((size_t)snprintf(
	        out, size, "%.*s/%s", (int)n, gitdir, STATE_NAME) >= size)
		return tk_error_set(TK_ETOOBIG, "repository path too long");
	return 0;
}

/* Reads the state file into b (bounded); 0 also when it is absent. */
static int
read_state(struct tk_buf *b, const char *path)
{
	char chunk[4096];
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT
		    ? 0
		    : tk_error_set(TK_EIO, "cannot read '%s'", path);
	while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		rc = tk_buf_put(b, chunk, (size_t)n);
	close(fd);
	return rc;
}

static void
state_text(struct tk_buf *b, const struct tk_policy *p)
{
	(void)tk_buf_puts(b,
	    "# twokey: where the last policy that loaded here records "
	    "(docs/audit.md)\n");
	/* one value a line: a name with a newline could forge a line */
	if (tk_valid_name(p->path, strlen(p->path), 4095))
		(void)tk_buf_printf(b, "policy %s\n", p->path);
	if (p->audit_path != NULL &&
	    tk_valid_name(p->audit_path, strlen(p->audit_path), 4095))
		(void)tk_buf_printf(b, "path %s\n", p->audit_path);
	if (p->audit_key_file != NULL &&
	    tk_valid_name(p->audit_key_file, strlen(p->audit_key_file), 4095))
		(void)tk_buf_printf(b, "key-file %s\n", p->audit_key_file);
	(void)tk_buf_printf(b, "syslog %d\n", p->audit_syslog ? 1 : 0);
}

static int
write_state(const char *path, const struct tk_buf *b)
{
	char tmp[4200];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if ((fd = open(tmp,
	         O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640)) <
	    0)
		return tk_error_set(
		    TK_EIO, "cannot create '%s': %s", tmp, strerror(errno));
	/*
	 * Not flushed: a file a crash left empty or missing names no log,
	 * and such a refusal goes to the fallback path until the next push
	 * under a valid policy writes it again (docs/decisions.md).
	 */
	if (write(fd, b->ptr, b->len) != (ssize_t)b->len)
		rc = tk_error_set(TK_EIO, "cannot write '%s'", tmp);
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = tk_error_set(
		    TK_EIO, "cannot rename '%s': %s", tmp, strerror(errno));
	if (rc < 0)
		(void)unlink(tmp);
	return rc;
}

int
tk_audit_remember(const struct tk_policy *p, const char *gitdir)
{
	struct tk_buf want = TK_BUF_INIT(STATE_MAX),
	              have = TK_BUF_INIT(STATE_MAX);
	char path[4096];
	int rc;

	if (gitdir == NULL)
		return 0;
	state_text(&want, p);
	if ((rc = want.err) < 0 ||
	    (rc = state_path(path, sizeof(path), gitdir)) < 0)
		goto out;
	/* Most pushes find it as it should be: no write. */
	if (read_state(&have, path) == 0 && have.len == want.len &&
	    memcmp(have.ptr, want.ptr, want.len) == 0)
		goto out;
	rc = write_state(path, &want);
out:
	tk_buf_release(&want);
	tk_buf_release(&have);
	return rc;
}

/* An absolute path without control characters, or NULL. */
static char *
value(const char *line, size_t len, const char *key)
{
	size_t k = strlen(key);

	if (len <= k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ' ||
	    line[k + 1] != '/' ||
	    !tk_valid_name(line + k + 1, len - k - 1, 4095))
		return NULL;
	return tk_strndup(line + k + 1, len - k - 1);
}

/*
 * The destination the state file names, with the strings in *path and
 * *key (caller frees); both NULL when it names none or cannot be read.
 */
static void
remembered(struct tk_audit_dest *d, char **path, char **key, const char *gitdir)
{
	struct tk_buf b = TK_BUF_INIT(STATE_MAX);
	char sp[4096];
	const char *l, *e;

	*path = *key = NULL;
	if (gitdir == NULL || state_path(sp, sizeof(sp), gitdir) < 0 ||
	    read_state(&b, sp) < 0 || b.ptr == NULL)
		goto out;
	for (l = b.ptr; *l != '\0'; l = *e ? e + 1 : e) {
		e = strchrnul(l, '\n');
		if (*path == NULL)
			*path = value(l, (size_t)(e - l), "path");
		if (*key == NULL)
			*key = value(l, (size_t)(e - l), "key-file");
		if ((size_t)(e - l) == 8 && memcmp(l, "syslog 1", 8) == 0)
			d->syslog = true;
	}
	if (*path == NULL) { /* a key without its log means nothing */
		free(*key);
		*key = NULL;
	}
out:
	d->path = *path;
	d->key_file = *key;
	tk_buf_release(&b);
}

int
tk_audit_record_unloadable(const char *gitdir, const struct tk_updates *u,
    const char *policy_path, const char *why, int64_t now, const char *hook)
{
	struct tk_buf body = TK_BUF_INIT(TK_AUDIT_MAX_RECORD),
	              err = TK_BUF_INIT(8192);
	struct tk_audit_dest d = {NULL, NULL, false, NULL, NULL};
	struct tk_audit_push push;
	struct tk_report r;
	char hash[65], *path = NULL, *key = NULL;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&push, 0, sizeof(push));
	remembered(&d, &path, &key, gitdir);
	if (d.path == NULL) {
		d.path = tk_audit_fallback_path();
		d.syslog = false;
	}
	if ((r.verdicts = tk_calloc(u->n + 1, sizeof(*r.verdicts))) == NULL) {
		rc = TK_ENOMEM;
		goto out;
	}
	for (i = 0; i < u->n; i++)
		r.verdicts[i].decision = TK_REFUSE;
	r.nverdicts = u->n;
	r.refused = true;
	(void)tk_buf_printf(&err, "the policy cannot be used: %s", why);
	push.hook = hook;
	push.repo = gitdir;
	push.now = now;
	push.error = err.ptr ? err.ptr : "the policy cannot be used";
	push.policy =
	    policy_path != NULL && tk_policy_hash_file(hash, policy_path) == 0
	    ? hash
	    : NULL;
	if ((rc = tk_audit_format(&body, NULL, u, &r, &push)) == 0)
		rc = tk_audit_append(
		    &d, &body, "refused: the policy cannot be loaded");
out:
	free(r.verdicts);
	free(path);
	free(key);
	tk_buf_release(&body);
	tk_buf_release(&err);
	return rc;
}
