/*
 * twokey-pg append CONNFILE NODE|- LENGTH [KEYFILE]  (the body on stdin)
 * twokey-pg read CONNFILE
 * twokey-pg init CONNFILE
 * twokey-pg freeze-read CONNFILE
 * twokey-pg freeze-write CONNFILE VERSION  (the freeze text on stdin)
 *
 * The helper the -static twokey programs run for audit.postgres
 * (lib/audit/pgclient.c; docs/postgres.md).  Exit 0, or 1 with one line
 * on stderr that never quotes the connection string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg.h"
#include "banned.h" /* last: after every system header */

static int
append(const char *conn, const char *node, const char *len, const char *keyfile)
{
	struct tk_audit_dest d = {NULL, keyfile, false, conn, node};
	struct tk_buf body = TK_BUF_INIT(TK_AUDIT_MAX_RECORD + 1024);
	struct tk_audit_store *s = NULL;
	unsigned char *key = NULL;
	size_t keylen = 0;
	char chunk[8192];
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = read(0, chunk, sizeof(chunk))) > 0)
		rc = tk_buf_put(&body, chunk, (size_t)n);
	/* The whole body or nothing: a cut one must never be recorded. */
	if (rc < 0 || n < 0 || body.len == 0 ||
	    body.len > TK_AUDIT_MAX_RECORD ||
	    strtoull(len, NULL, 10) != body.len)
		rc = tk_error_set(TK_EINVAL, "the record body arrived cut");
	else if ((keyfile == NULL ||
	             (rc = tk_audit_read_key(&key, &keylen, keyfile)) == 0) &&
	    (rc = pgd_store_writer(&s, &d)) == 0)
		rc = s->ops->append(s, &body, key, keylen);
	if (s != NULL)
		s->ops->free(s);
	if (key != NULL)
		explicit_bzero(key, keylen);
	free(key);
	tk_buf_release(&body);
	return rc;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc == 3 && strcmp(argv[1], "read") == 0)
		rc = pgd_dump(stdout, argv[2]);
	else if (argc == 3 && strcmp(argv[1], "init") == 0)
		rc = pgd_init(argv[2]);
	else if (argc == 3 && strcmp(argv[1], "freeze-read") == 0)
		rc = pgd_freeze_read(stdout, argv[2]);
	else if (argc == 4 && strcmp(argv[1], "freeze-write") == 0)
		rc = pgd_freeze_write(argv[2], argv[3], 0);
	else if ((argc == 5 || argc == 6) && strcmp(argv[1], "append") == 0)
		rc = append(argv[2], strcmp(argv[3], "-") == 0 ? NULL : argv[3],
		    argv[4], argc == 6 ? argv[5] : NULL);
	else {
		fprintf(stderr,
		    "usage: twokey-pg append|read|init|freeze-read|"
		    "freeze-write CONNFILE "
		    "...\n");
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "%s\n", tk_error_last());
		return 1;
	}
	return 0;
}
