/*
 * tk_verify: twokey's in-process verifier as a command, for differential
 * tests against ssh-keygen and git (tests/e2e/t0020-differential.sh).  Test
 * only; not installed.
 *
 *   tk_verify sig NAMESPACE SIGFILE MSGFILE PUBKEYFILE
 *	exits 0 iff the armoured SSHSIG in SIGFILE parses, verifies over the
 *	bytes of MSGFILE with NAMESPACE, and its embedded key is the key in
 *	PUBKEYFILE: the question "ssh-keygen -Y verify -n NAMESPACE -f
 *	allowed_signers -I id -s SIGFILE < MSGFILE" answers when
 *	allowed_signers holds that one key for id.
 *
 *   tk_verify commit RAWCOMMITFILE PUBKEYFILE
 *	exits 0 iff the raw commit object (as "git cat-file commit" prints it)
 *	has an SSH signature header that verifies with namespace "git" over
 *	the payload git would verify, made by the key in PUBKEYFILE: the
 *	question "git verify-commit" answers when gpg.ssh.allowedSignersFile
 *	holds that key for the committer's email.
 *
 * PUBKEYFILE holds one public key line as ssh-keygen writes NAME.pub (the
 * first line that is neither blank nor a '#' comment is used).  Exit status
 * 1 means "does not verify" (the reason on stderr), 2 a usage or I/O
 * error, so a caller can tell a verdict from a broken run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twokey/commit.h"
#include "twokey/error.h"
#include "twokey/sshsig.h"

#define EXIT_BAD 1
#define EXIT_USAGE 2
/* Larger than any input the library accepts, so its bounds decide. */
#define READ_MAX (TK_COMMIT_MAX_SIZE + 1)

static const char *progname = "tk_verify";

static int
usage(void)
{
	fprintf(stderr,
	    "usage: %s sig NAMESPACE SIGFILE MSGFILE PUBKEYFILE\n"
	    "       %s commit RAWCOMMITFILE PUBKEYFILE\n",
	    progname, progname);
	return EXIT_USAGE;
}

/* The whole file, NUL-terminated (the NUL not counted); NULL on error. */
static char *
read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(
		    stderr, "%s: %s: %s\n", progname, path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > READ_MAX + 4096) {
				fprintf(stderr, "%s: %s: file too large\n",
				    progname, path);
				goto fail;
			}
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				fprintf(
				    stderr, "%s: out of memory\n", progname);
				goto fail;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: %s: read error\n", progname, path);
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

/*
 * Loads the key of PUBKEYFILE.  Returns 0, EXIT_BAD when twokey refuses the
 * key (so nothing can verify under it), or EXIT_USAGE on I/O errors.
 */
static int
load_pubkey(struct tk_sshkey **out, const char *path)
{
	char *text, *line, *nl;
	size_t len;
	int rc;

	*out = NULL;
	if ((text = read_file(path, &len)) == NULL)
		return EXIT_USAGE;
	for (line = text;; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		line += strspn(line, " \t\r");
		if (*line != '\0' && *line != '#')
			break;
		if (nl == NULL) {
			fprintf(stderr, "%s: %s: no key\n", progname, path);
			free(text);
			return EXIT_USAGE;
		}
	}
	rc = tk_sshkey_parse_line(out, line);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "%s: %s: key refused (%s): %s\n", progname,
		    path, tk_error_name(rc), tk_error_last());
		return EXIT_BAD;
	}
	return 0;
}

static int
same_key(const struct tk_sshkey *a, const struct tk_sshkey *b)
{
	const unsigned char *pa, *pb;
	size_t la, lb;

	pa = tk_sshkey_blob(a, &la);
	pb = tk_sshkey_blob(b, &lb);
	return la == lb && memcmp(pa, pb, la) == 0;
}

/* Verifies the armoured text; 0 or EXIT_BAD, the reason printed. */
static int
verify_armor(const char *what, const char *armor, size_t armorlen,
    const char *ns, const void *msg, size_t msglen,
    const struct tk_sshkey *want)
{
	struct tk_sshsig *sig = NULL;
	int rc;

	if ((rc = tk_sshsig_parse_armor(&sig, armor, armorlen)) != 0) {
		fprintf(stderr, "%s: %s: cannot parse signature (%s): %s\n",
		    progname, what, tk_error_name(rc), tk_error_last());
		return EXIT_BAD;
	}
	rc = tk_sshsig_verify(sig, ns, msg, msglen);
	if (rc != 0) {
		fprintf(stderr, "%s: %s: does not verify (%s): %s\n", progname,
		    what, tk_error_name(rc), tk_error_last());
		tk_sshsig_free(sig);
		return EXIT_BAD;
	}
	if (!same_key(tk_sshsig_key(sig), want)) {
		fprintf(stderr,
		    "%s: %s: good signature by %s %s, not the given key %s\n",
		    progname, what, tk_sshkey_type(tk_sshsig_key(sig)),
		    tk_sshkey_fingerprint(tk_sshsig_key(sig)),
		    tk_sshkey_fingerprint(want));
		tk_sshsig_free(sig);
		return EXIT_BAD;
	}
	printf("Good \"%s\" signature with %s key %s\n", ns,
	    tk_sshkey_type(want), tk_sshkey_fingerprint(want));
	tk_sshsig_free(sig);
	return 0;
}

static int
cmd_sig(const char *ns, const char *sigpath, const char *msgpath,
    const char *keypath)
{
	struct tk_sshkey *key = NULL;
	char *armor = NULL, *msg = NULL;
	size_t armorlen, msglen;
	int rc;

	if ((rc = load_pubkey(&key, keypath)) != 0)
		return rc;
	rc = EXIT_USAGE;
	if ((armor = read_file(sigpath, &armorlen)) == NULL ||
	    (msg = read_file(msgpath, &msglen)) == NULL)
		goto out;
	rc = verify_armor(sigpath, armor, armorlen, ns, msg, msglen, key);
out:
	free(armor);
	free(msg);
	tk_sshkey_free(key);
	return rc;
}

/* 64 for a SHA-256 repository's commit ("tree" + 64 hex), else 40. */
static size_t
hex_length(const char *raw, size_t len)
{
	const char *nl = memchr(raw, '\n', len);

	if (nl != NULL && (size_t)(nl - raw) == 5 + 64 &&
	    memcmp(raw, "tree ", 5) == 0)
		return 64;
	return 40;
}

static int
cmd_commit(const char *rawpath, const char *keypath)
{
	struct tk_sshkey *key = NULL;
	struct tk_commit *c = NULL;
	char *raw = NULL;
	size_t len;
	int rc;

	if ((rc = load_pubkey(&key, keypath)) != 0)
		return rc;
	if ((raw = read_file(rawpath, &len)) == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = tk_commit_parse(&c, raw, len, hex_length(raw, len));
	if (rc != 0) {
		fprintf(stderr, "%s: %s: commit refused (%s): %s\n", progname,
		    rawpath, tk_error_name(rc), tk_error_last());
		rc = EXIT_BAD;
	} else if (c->sig_format == TK_SIG_NONE) {
		fprintf(stderr, "%s: %s: unsigned commit\n", progname, rawpath);
		rc = EXIT_BAD;
	} else if (c->sig_format != TK_SIG_SSH) {
		fprintf(stderr, "%s: %s: not an SSH signature\n", progname,
		    rawpath);
		rc = EXIT_BAD;
	} else
		rc = verify_armor(rawpath, c->signature, c->signature_len,
		    "git", c->signed_payload, c->signed_payload_len, key);
out:
	tk_commit_free(c);
	free(raw);
	tk_sshkey_free(key);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
		const char *slash = strrchr(argv[0], '/');

		progname = slash != NULL ? slash + 1 : argv[0];
	}
	if (argc == 6 && strcmp(argv[1], "sig") == 0)
		return cmd_sig(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 4 && strcmp(argv[1], "commit") == 0)
		return cmd_commit(argv[2], argv[3]);
	return usage();
}
