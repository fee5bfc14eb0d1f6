/*
 * twokey approve [-k KEY] [COMMIT]: print this user's approval trailer.
 *
 * Signing goes through ssh-keygen -Y sign, so keys held by ssh-agent,
 * passphrase-protected keys and FIDO keys all work exactly as they do for
 * git's own SSH signing.  The payload comes from the library function the
 * hooks verify against, so the two cannot drift apart.
 */
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "internal.h"
#include "twokey/commit.h"
#include "twokey/sshsig.h"
#include "twokey/trailer.h"
#include "banned.h" /* last: after every system header */

#define USAGE "twokey approve [-k KEY] [COMMIT]"

struct approve {
	git_repository *repo;
	char tmpdir[64];
	char *keyfile; /* what ssh-keygen -f gets */
	bool literal; /* a key:: literal: the agent must hold it */
};

static int
run(char *const argv[])
{
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "twokey: error: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* A literal public key line goes to a file for ssh-keygen -f. */
static int
key_literal(struct approve *a, const char *line)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/key.pub", a->tmpdir);
	if (write_file(path, line, strlen(line)) < 0 ||
	    (a->keyfile = tk_strdup(path)) == NULL)
		return -1;
	a->literal = true;
	return 0;
}

/* The first key ssh-agent offers, from ssh-add -L. */
static int
key_from_agent(struct approve *a)
{
	char path[128], line[16384];
	FILE *p;

	p = popen("ssh-add -L 2>/dev/null", "r");
	if (p == NULL)
		return -1;
	if (fgets(line, sizeof(line), p) == NULL ||
	    strncmp(line, "The agent", 9) == 0) {
		pclose(p);
		fprintf(stderr,
		    "twokey: error: no key given (-k), no git "
		    "user.signingKey, and ssh-agent offers none\n");
		return -1;
	}
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	snprintf(path, sizeof(path), "%s/agent.pub", a->tmpdir);
	if (write_file(path, line, strlen(line)) < 0 ||
	    (a->keyfile = tk_strdup(path)) == NULL)
		return -1;
	a->literal = true;
	return 0;
}

static int
choose_key(struct approve *a, const char *opt)
{
	git_config *cfg = NULL;
	git_buf v = {NULL, 0, 0};
	const char *k = opt;
	int rc;

	if (k == NULL && git_repository_config_snapshot(&cfg, a->repo) == 0 &&
	    git_config_get_string_buf(&v, cfg, "user.signingkey") == 0)
		k = v.ptr;
	if (k == NULL)
		rc = key_from_agent(a);
	else if (strncmp(k, "key::", 5) == 0)
		rc = key_literal(a, k + 5);
	else if (strncmp(k, "ssh-", 4) == 0 || strncmp(k, "ecdsa-", 6) == 0 ||
	    strncmp(k, "sk-", 3) == 0)
		rc = key_literal(a, k);
	else if (k[0] == '~' && k[1] == '/' && getenv("HOME") != NULL) {
		struct tk_buf b = TK_BUF_INIT(4096);

		(void)tk_buf_printf(&b, "%s%s", getenv("HOME"), k + 1);
		a->keyfile = tk_buf_detach(&b, NULL);
		rc = a->keyfile ? 0 : -1;
	} else
		rc = (a->keyfile = tk_strdup(k)) ? 0 : -1;
	git_buf_dispose(&v);
	git_config_free(cfg);
	return rc;
}

/* The base64 between the armour lines, white space removed. */
static int
dearmor(struct tk_buf *out, const char *text)
{
	const char *b = strstr(text, "-----BEGIN SSH SIGNATURE-----");
	const char *e = strstr(text, "-----END SSH SIGNATURE-----");

	if (b == NULL || e == NULL || e < b)
		return -1;
	for (b += 29; b < e; b++)
		if (*b != '\n' && *b != '\r' && *b != ' ' && *b != '\t' &&
		    tk_buf_putc(out, *b) < 0)
			return -1;
	return 0;
}

static int
read_all(struct tk_buf *b, const char *path)
{
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (tk_buf_put(b, chunk, n) < 0) {
			fclose(f);
			return -1;
		}
	fclose(f);
	return 0;
}

/* Signs payload with ssh-keygen; the raw blob's base64 into out. */
static int
sign(struct approve *a, const struct tk_buf *payload, struct tk_buf *out)
{
	struct tk_buf armor = TK_BUF_INIT(TK_SSHSIG_MAX_ARMOR);
	struct tk_sshsig *sig = NULL;
	char path[128], sigpath[140];
	char *argv[] = {"ssh-keygen", "-q", "-Y", "sign", "-n",
	    "twokey-approval", "-f", a->keyfile, "-U", path, NULL};
	int rc = -1;

	snprintf(path, sizeof(path), "%s/payload", a->tmpdir);
	snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
	if (!a->literal) {
		argv[8] = path;
		argv[9] = NULL;
	}
	if (write_file(path, payload->ptr, payload->len) < 0)
		goto out;
	if (run(argv) != 0) {
		fprintf(stderr,
		    "twokey: error: ssh-keygen could not sign with "
		    "%s\n",
		    a->keyfile);
		goto out;
	}
	if (read_all(&armor, sigpath) < 0 || dearmor(out, armor.ptr) < 0 ||
	    tk_sshsig_parse_base64(&sig, out->ptr, out->len) < 0 ||
	    tk_sshsig_verify(
	        sig, "twokey-approval", payload->ptr, payload->len) < 0) {
		fprintf(stderr,
		    "twokey: error: ssh-keygen made a signature "
		    "that does not verify: %s\n",
		    tk_error_last());
		goto out;
	}
	rc = 0;
out:
	tk_sshsig_free(sig);
	tk_buf_release(&armor);
	unlink(sigpath);
	unlink(path);
	return rc;
}

static int
load_payload(struct approve *a, const char *rev, struct tk_buf *payload,
    struct tk_commit **cm)
{
	git_object *o = NULL;
	git_odb *odb = NULL;
	git_odb_object *raw = NULL;
	int rc = -1;

	if (git_revparse_single(&o, a->repo, rev) < 0 ||
	    git_object_type(o) != GIT_OBJECT_COMMIT) {
		fprintf(stderr, "twokey: error: '%s' is not a commit\n", rev);
		goto out;
	}
	if (git_repository_odb(&odb, a->repo) < 0 ||
	    git_odb_read(&raw, odb, git_object_id(o)) < 0 ||
	    tk_commit_parse(cm, git_odb_object_data(raw),
	        git_odb_object_size(raw), GIT_OID_HEXSZ) < 0 ||
	    tk_trailer_approval_payload(payload, *cm) < 0) {
		fprintf(stderr, "twokey: error: cannot read commit '%s': %s\n",
		    rev, tk_error_last());
		goto out;
	}
	rc = 0;
out:
	git_odb_object_free(raw);
	git_odb_free(odb);
	git_object_free(o);
	return rc;
}

static int
print_trailer(
    struct approve *a, const struct tk_commit *cm, const struct tk_buf *b64)
{
	git_config *cfg = NULL;
	git_buf name = {NULL, 0, 0}, email = {NULL, 0, 0};
	int rc = -1;

	if (git_repository_config_snapshot(&cfg, a->repo) < 0 ||
	    git_config_get_string_buf(&email, cfg, "user.email") < 0) {
		fprintf(stderr,
		    "twokey: error: set git config user.email to "
		    "the email the policy lists for you\n");
		goto out;
	}
	(void)git_config_get_string_buf(&name, cfg, "user.name");
	if (strchr(name.ptr ? name.ptr : "", '<') != NULL ||
	    strpbrk(email.ptr, "<>\n") != NULL) {
		fprintf(stderr,
		    "twokey: error: user.name or user.email holds "
		    "'<', '>' or a newline\n");
		goto out;
	}
	if (cm->author.email_len == email.size &&
	    tk_ascii_ieq(
	        cm->author.email, cm->author.email_len, email.ptr, email.size))
		fprintf(stderr,
		    "twokey: warning: you are this commit's "
		    "author; your approval will not count\n");
	printf("Approved-by: %s <%s> sshsig:%s\n", name.ptr ? name.ptr : "",
	    email.ptr, b64->ptr);
	fprintf(stderr,
	    "twokey: the author adds it with: git commit --amend "
	    "--no-edit --trailer \"<the line above>\"\n");
	rc = 0;
out:
	git_buf_dispose(&name);
	git_buf_dispose(&email);
	git_config_free(cfg);
	return rc;
}

static int
approve(struct approve *a, const char *key, const char *rev)
{
	struct tk_buf payload = TK_BUF_INIT(TK_COMMIT_MAX_SIZE + 65536);
	struct tk_buf b64 = TK_BUF_INIT(TK_SSHSIG_MAX_ARMOR);
	struct tk_commit *cm = NULL;
	int rc = 1;

	if (load_payload(a, rev, &payload, &cm) < 0)
		goto out;
	if (choose_key(a, key) < 0) {
		fprintf(stderr,
		    "twokey: error: cannot find a key to sign "
		    "with\n");
		goto out;
	}
	if (sign(a, &payload, &b64) == 0 && print_trailer(a, cm, &b64) == 0)
		rc = 0;
out:
	tk_commit_free(cm);
	tk_buf_release(&payload);
	tk_buf_release(&b64);
	return rc;
}

int
cmd_approve(int argc, char **argv)
{
	struct approve a;
	git_buf dir = {NULL, 0, 0};
	const char *key = NULL, *rev = "HEAD";
	int i = 1, rc;

	if (cli_wants_help(argc, argv)) {
		printf(
		    "usage: %s\n\nSigns COMMIT's approval payload (default "
		    "HEAD) with ssh-keygen -Y sign -n twokey-approval and "
		    "prints the Approved-by trailer, for the author to add "
		    "with git commit --amend --no-edit --trailer.  KEY is a "
		    "key file, or a public key whose private half ssh-agent "
		    "holds; by default git's user.signingKey, else the first "
		    "key ssh-agent offers.  The trailer names git's "
		    "user.name and user.email.\n",
		    USAGE);
		return 0;
	}
	if (i + 1 < argc && strcmp(argv[i], "-k") == 0) {
		key = argv[i + 1];
		i += 2;
	}
	if (argc - i > 1)
		return cli_usage_error(USAGE, "too many arguments");
	if (argc - i == 1)
		rev = argv[i];
	memset(&a, 0, sizeof(a));
	snprintf(a.tmpdir, sizeof(a.tmpdir), "/tmp/twokey-approve.XXXXXX");
	if (mkdtemp(a.tmpdir) == NULL) {
		fprintf(stderr,
		    "twokey: error: cannot make a temporary "
		    "directory: %s\n",
		    strerror(errno));
		return 1;
	}
	if (git_repository_discover(&dir, ".", 0, NULL) < 0 ||
	    git_repository_open(&a.repo, dir.ptr) < 0) {
		fprintf(stderr, "twokey: error: not in a git repository\n");
		rc = 1;
	} else
		rc = approve(&a, key, rev);
	if (a.literal)
		unlink(a.keyfile);
	rmdir(a.tmpdir);
	free(a.keyfile);
	git_repository_free(a.repo);
	git_buf_dispose(&dir);
	return rc;
}
