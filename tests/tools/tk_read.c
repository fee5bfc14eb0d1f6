/*
 * tk_read: what twokey reads in a commit object or a message, as text, for
 * the differential check against git in tests/e2e/t0016-commit-reading.sh.
 * Test only; not installed.
 *
 *   tk_read commit RAWCOMMITFILE
 *	exits 0 and prints "AUTHOR-EMAIL|COMMITTER-EMAIL|AUTHOR-NAME" when
 *	the object (as "git cat-file commit" prints it, SHA-1 ids) parses and
 *	its identity fields pass (tk_commit_check_identity): the line
 *	"git show -s --format='%ae|%ce|%an'" must then print too.  Exits 1
 *	with the reason on stderr when twokey refuses the commit.
 *
 *   tk_read approvals MSGFILE
 *	prints the email of every Approved-by trailer of the message that
 *	twokey reads as well formed (its signature is not checked), one a
 *	line: each must be among the approvals "git interpret-trailers
 *	--parse" shows.  Exits 0, or 1 when twokey refuses the message.
 *
 * Exit status 2 is a usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twokey/commit.h"
#include "twokey/error.h"
#include "twokey/trailer.h"

#define READ_MAX (TK_COMMIT_MAX_SIZE + 1)

static const char *progname = "tk_read";

/* The whole file; NULL on error (said on stderr). */
static char *
read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t len;

	if (f == NULL) {
		fprintf(
		    stderr, "%s: %s: %s\n", progname, path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(READ_MAX + 1)) == NULL) {
		fclose(f);
		fprintf(stderr, "%s: out of memory\n", progname);
		return NULL;
	}
	len = fread(buf, 1, READ_MAX + 1, f);
	if (ferror(f) || len > READ_MAX) {
		fprintf(stderr, "%s: %s: read error or too large\n", progname,
		    path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*lenp = len;
	return buf;
}

static int
read_commit(const char *raw, size_t len)
{
	struct tk_commit *c = NULL;
	int rc;

	if ((rc = tk_commit_parse(&c, raw, len, 40)) < 0 ||
	    (rc = tk_commit_check_identity(c)) < 0) {
		fprintf(stderr, "%s: refused: %s\n", progname, tk_error_last());
		tk_commit_free(c);
		return 1;
	}
	printf("%.*s|%.*s|%.*s\n", (int)c->author.email_len, c->author.email,
	    (int)c->committer.email_len, c->committer.email,
	    (int)c->author.name_len, c->author.name);
	tk_commit_free(c);
	return 0;
}

static int
read_approvals(const char *msg, size_t len)
{
	struct tk_approval_list *l = NULL;
	size_t i;

	if (tk_trailer_parse_approvals(&l, msg, len) < 0) {
		fprintf(stderr, "%s: refused: %s\n", progname, tk_error_last());
		return 1;
	}
	for (i = 0; i < l->count; i++)
		if (l->items[i].problem == TK_TRAILER_OK)
			printf("%s\n", l->items[i].email);
	tk_approval_list_free(l);
	return 0;
}

int
main(int argc, char **argv)
{
	char *buf;
	size_t len = 0;
	int rc;

	if (argc != 3 ||
	    (strcmp(argv[1], "commit") != 0 &&
	        strcmp(argv[1], "approvals") != 0)) {
		fprintf(stderr,
		    "usage: %s commit RAWCOMMITFILE\n"
		    "       %s approvals MSGFILE\n",
		    progname, progname);
		return 2;
	}
	if ((buf = read_file(argv[2], &len)) == NULL)
		return 2;
	if (strcmp(argv[1], "commit") == 0)
		rc = read_commit(buf, len);
	else
		rc = read_approvals(buf, len);
	free(buf);
	if (fflush(stdout) != 0)
		return 2;
	return rc;
}
