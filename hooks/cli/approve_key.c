/*
 * Which key twokey approve signs with, and showing it before it signs.
 *
 * A reviewer's agent often holds several keys (a work key, a GitHub key,
 * a deploy key); signing with "the first one" once approved with a key the
 * policy does not list.  So: -k, else user.signingKey (as git uses it for
 * SSH commit signing), else the agent's key only when it holds exactly
 * one; with several and no choice, refuse and list them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approve.h"
#include "cli.h"
#include "twokey/sshsig.h"
#include "banned.h" /* last: after every system header */

#define KEYFILE_MAX (64 * 1024)

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

/* Reads a whole small file; NULL when it cannot be read or is too big. */
static char *
read_small(const char *path, size_t *len)
{
	struct tk_buf b = TK_BUF_INIT(KEYFILE_MAX);
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (tk_buf_put(&b, chunk, n) < 0)
			break;
	fclose(f);
	if (b.err != 0 || memchr(b.ptr ? b.ptr : "", '\0', b.len) != NULL) {
		tk_buf_release(&b);
		return NULL;
	}
	return tk_buf_detach(&b, len);
}

/* The comment of a key line: what follows "type base64". */
static char *
line_comment(const char *line)
{
	const char *s = line;
	size_t n;
	int field;

	for (field = 0; field < 2; field++) {
		while (*s == ' ' || *s == '\t')
			s++;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, "\r\n");
	return tk_strndup(s, n);
}

/* A public key line: the agent must hold its private half (-U). */
static int
from_line(struct approve *a, const char *line)
{
	char path[128];
	size_t n = strcspn(line, "\r\n");
	char *one = tk_strndup(line, n);
	int rc = -1;

	if (one == NULL)
		return -1;
	if (tk_sshkey_parse_line(&a->key.pub, one) < 0) {
		fprintf(stderr, "twokey: error: not a usable public key: %s\n",
		    tk_error_last());
		goto out;
	}
	snprintf(path, sizeof(path), "%s/key.pub", a->tmpdir);
	if (write_file(path, one, n) < 0 ||
	    (a->key.file = tk_strdup(path)) == NULL ||
	    (a->key.comment = line_comment(one)) == NULL)
		goto out;
	a->key.agent = true;
	rc = 0;
out:
	free(one);
	return rc;
}

static bool
same_key(const struct tk_sshkey *x, const struct tk_sshkey *y)
{
	size_t lx, ly;
	const unsigned char *bx = tk_sshkey_blob(x, &lx),
	                    *by = tk_sshkey_blob(y, &ly);

	return lx == ly && memcmp(bx, by, lx) == 0;
}

/*
 * The public half of a key file, when it can be known without signing:
 * the file itself (a public key), its ".pub" twin (with the comment), or
 * what an OpenSSH private key keeps in the clear.
 */
static void
file_pub(struct approve *a, const char *path)
{
	char pubpath[4200], *text, *pubtext;
	struct tk_sshkey *k = NULL, *p = NULL;
	size_t len, plen;

	if ((text = read_small(path, &len)) == NULL)
		return;
	if (tk_sshkey_parse_line(&k, text) == 0) /* a public key file */
		a->key.comment = line_comment(text);
	else
		(void)tk_sshkey_from_private(&k, text, len);
	free(text);
	snprintf(pubpath, sizeof(pubpath), "%s.pub", path);
	if (a->key.comment == NULL &&
	    (pubtext = read_small(pubpath, &plen)) != NULL) {
		if (tk_sshkey_parse_line(&p, pubtext) == 0 &&
		    (k == NULL || same_key(k, p))) {
			tk_sshkey_free(k);
			k = p;
			p = NULL;
			a->key.comment = line_comment(pubtext);
		}
		tk_sshkey_free(p);
		free(pubtext);
	}
	a->key.pub = k;
}

static int
from_file(struct approve *a, const char *v)
{
	struct tk_buf b = TK_BUF_INIT(4096);
	const char *home = getenv("HOME");

	if (v[0] == '~' && v[1] == '/' && home != NULL)
		(void)tk_buf_printf(&b, "%s%s", home, v + 1);
	else
		(void)tk_buf_puts(&b, v);
	if ((a->key.file = tk_buf_detach(&b, NULL)) == NULL)
		return -1;
	if (access(a->key.file, R_OK) != 0) {
		fprintf(stderr, "twokey: error: cannot read key file %s: %s\n",
		    a->key.file, strerror(errno));
		return -1;
	}
	file_pub(a, a->key.file);
	if (a->key.comment == NULL && (a->key.comment = tk_strdup("")) == NULL)
		return -1;
	return 0;
}

static int
from_value(struct approve *a, const char *v)
{
	if (strncmp(v, "key::", 5) == 0)
		return from_line(a, v + 5);
	/* git takes these as literal keys too (gpg.format=ssh) */
	if (strncmp(v, "ssh-", 4) == 0 || strncmp(v, "ecdsa-", 6) == 0 ||
	    strncmp(v, "sk-", 3) == 0)
		return from_line(a, v);
	return from_file(a, v);
}

static void
list_keys(const char *lines)
{
	const char *p = lines, *e;
	struct tk_sshkey *k;
	char *one, *c;

	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		if ((one = tk_strndup(p, (size_t)(e - p))) == NULL)
			return;
		k = NULL;
		if (tk_sshkey_parse_line(&k, one) == 0 &&
		    (c = line_comment(one)) != NULL) {
			fprintf(stderr, "twokey:   %s %s %s\n",
			    tk_sshkey_type(k), tk_sshkey_fingerprint(k), c);
			free(c);
		}
		tk_sshkey_free(k);
		free(one);
	}
}

static int
from_agent(struct approve *a)
{
	struct tk_buf out = TK_BUF_INIT(1024 * 1024);
	char *argv[] = {"ssh-add", "-L", NULL};
	size_t i, nkeys = 0;
	int st = cli_run(argv, &out, NULL, 0), rc = -1;

	if (st != 0 || out.ptr == NULL) {
		fprintf(stderr,
		    "twokey: error: no key given: use -k KEY, or set git "
		    "config user.signingKey, or add your key to ssh-agent "
		    "(%s)\n",
		    st == 1 ? "the agent holds no keys" : "no agent running");
		goto out;
	}
	for (i = 0; i < out.len; i++)
		nkeys += out.ptr[i] == '\n' ||
		    (i + 1 == out.len && out.ptr[i] != '\n');
	if (nkeys == 1)
		rc = from_line(a, out.ptr);
	else {
		fprintf(stderr,
		    "twokey: error: ssh-agent holds %zu keys and none was "
		    "chosen; pick the one your policy lists with -k KEY or "
		    "git config user.signingKey. The agent holds:\n",
		    nkeys);
		list_keys(out.ptr);
	}
out:
	tk_buf_release(&out);
	return rc;
}

int
approve_key_choose(struct approve *a, const char *opt)
{
	char *v = NULL;
	int rc, r;

	if (opt != NULL)
		return from_value(a, opt);
	if ((r = cli_git_config(&v, "user.signingkey")) < 0)
		return -1;
	rc = r == 0 && *v != '\0' ? from_value(a, v) : from_agent(a);
	free(v);
	return rc;
}

void
approve_key_show(FILE *f, const struct approve_key *k)
{
	struct tk_buf c = TK_BUF_INIT(1024);

	if (k->pub == NULL) {
		fprintf(f,
		    "twokey: key: %s (its public half is not readable "
		    "before signing)\n",
		    k->file);
		return;
	}
	(void)tk_sanitize(&c, k->comment ? k->comment : "",
	    k->comment ? strlen(k->comment) : 0, 200);
	fprintf(f, "twokey: key: %s %s%s%s\n", tk_sshkey_type(k->pub),
	    tk_sshkey_fingerprint(k->pub), c.len ? " " : "",
	    c.ptr ? c.ptr : "");
	tk_buf_release(&c);
}

void
approve_key_release(struct approve_key *k)
{
	if (k->agent && k->file != NULL)
		unlink(k->file);
	free(k->file);
	free(k->comment);
	tk_sshkey_free(k->pub);
	memset(k, 0, sizeof(*k));
}
