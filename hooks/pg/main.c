/*
 * twokey-pg append CONNFILE NODE|- LENGTH [KEYFILE]  (the body on stdin)
 * twokey-pg read CONNFILE
 * twokey-pg init CONNFILE
 * twokey-pg freeze-read CONNFILE
 * twokey-pg freeze-write CONNFILE VERSION  (the freeze text on stdin)
 * twokey-pg em-read CONNFILE
 * twokey-pg session CONNFILE
 *
 * The helper the -static twokey programs run for audit.postgres
 * (lib/audit/pgclient.c; docs/postgres.md).  Exit 0, or 1 with one line
 * on stderr that never quotes the connection string.
 *
 * "session" serves any number of the requests above (and em-lock,
 * em-write, em-unlock, which need one) on one connection, so that a push
 * costs one process and one login: each request on stdin is a line
 * "ARGC LEN... INLEN" then the arguments' bytes and INLEN bytes of input;
 * each answer on stdout a line "STATUS OUTLEN ERRLEN" then the output
 * and the message.  End of input ends the session (and rolls back an
 * open transaction).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg.h"
#include "twokey/emergency.h"
#include "banned.h" /* last: after every system header */

#define PG_MAX_ARGS 8
#define PG_MAX_ARG 4096
#define PG_MAX_INPUT ((size_t)TK_EMERGENCY_MAX_STATE + 1)

static int
append(const char *conn, const char *node, const char *len, const char *keyfile,
    const struct tk_buf *in)
{
	struct tk_audit_dest d = {NULL, keyfile, false, conn, node};
	struct tk_buf body = TK_BUF_INIT(TK_AUDIT_MAX_RECORD + 1024);
	struct tk_audit_store *s = NULL;
	unsigned char *key = NULL;
	size_t keylen = 0;
	int rc = 0;

	/* The whole body or nothing: a cut one must never be recorded. */
	if (in->len == 0 || in->len > TK_AUDIT_MAX_RECORD ||
	    strspn(len, "0123456789") != strlen(len) ||
	    strtoull(len, NULL, 10) != in->len ||
	    tk_buf_put(&body, in->ptr, in->len) < 0)
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

/* Whether the command argv[1] takes input on stdin. */
static bool
takes_input(const char *cmd)
{
	return strcmp(cmd, "append") == 0 || strcmp(cmd, "freeze-write") == 0 ||
	    strcmp(cmd, "em-write") == 0;
}

/* One command; 1 for a usage error, else 0 or a negative code. */
static int
dispatch(int argc, char **argv, const struct tk_buf *in, FILE *out)
{
	const char *cmd = argc >= 3 ? argv[1] : "";

	/* em-lock's transaction is committed only by an append. */
	if (pgd_session_busy() && strcmp(cmd, "append") != 0 &&
	    strcmp(cmd, "em-write") != 0 && strcmp(cmd, "em-read") != 0 &&
	    strcmp(cmd, "em-unlock") != 0 && strcmp(cmd, "freeze-read") != 0)
		return tk_error_set(TK_EINVAL,
		    "'%.20s' while the emergency state is locked", cmd);
	if (argc == 3 && strcmp(cmd, "read") == 0)
		return pgd_dump(out, argv[2]);
	if (argc == 3 && strcmp(cmd, "init") == 0)
		return pgd_init(argv[2]);
	if (argc == 3 && strcmp(cmd, "freeze-read") == 0)
		return pgd_freeze_read(out, argv[2]);
	if (argc == 4 && strcmp(cmd, "freeze-write") == 0)
		return pgd_freeze_write(argv[2], argv[3], in);
	if (argc == 3 && strcmp(cmd, "em-read") == 0)
		return pgd_em_read(out, argv[2], false);
	if (argc == 3 && strcmp(cmd, "em-lock") == 0)
		return pgd_em_read(out, argv[2], true);
	if (argc == 3 && strcmp(cmd, "em-write") == 0)
		return pgd_em_write(argv[2], in);
	if (argc == 3 && strcmp(cmd, "em-unlock") == 0)
		return pgd_em_unlock();
	if ((argc == 5 || argc == 6) && strcmp(cmd, "append") == 0)
		return append(argv[2],
		    strcmp(argv[3], "-") == 0 ? NULL : argv[3], argv[4],
		    argc == 6 ? argv[5] : NULL, in);
	return 1;
}

/* Reads all of fd into b, or until it is over b's bound. */
static int
slurp_input(struct tk_buf *b)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(0, chunk, sizeof(chunk))) > 0)
		if (tk_buf_put(b, chunk, (size_t)n) < 0)
			return TK_ETOOBIG;
	return n < 0 ? TK_EIO : 0;
}

/* "ARGC LEN... INLEN\n": 0 with the numbers, 1 at end of input. */
static int
request_head(size_t *argc, size_t len[PG_MAX_ARGS], size_t *inlen)
{
	char line[256], *p, *end;
	size_t i, n = 0;
	int ch;

	while ((ch = getchar()) != EOF && ch != '\n')
		if (n + 1 < sizeof(line))
			line[n++] = (char)ch;
		else
			return tk_error_set(
			    TK_EINVAL, "a request is malformed");
	if (ch == EOF && n == 0)
		return 1;
	line[n] = '\0';
	*argc = strtoull(line, &end, 10);
	if (end == line || *argc < 1 || *argc > PG_MAX_ARGS)
		return tk_error_set(TK_EINVAL, "a request is malformed");
	for (i = 0; i <= *argc; i++) {
		p = end;
		if (*p != ' ')
			return tk_error_set(
			    TK_EINVAL, "a request is malformed");
		n = strtoull(p + 1, &end, 10);
		if (end == p + 1 ||
		    n > (i < *argc ? PG_MAX_ARG : PG_MAX_INPUT - 1))
			return tk_error_set(
			    TK_EINVAL, "a request is malformed");
		if (i < *argc)
			len[i] = n;
		else
			*inlen = n;
	}
	return *end == '\0' ? 0
	                    : tk_error_set(TK_EINVAL, "a request is malformed");
}

/* One request: 1 at the end of input, <0 when the stream is broken. */
static int
serve_one(const char *conn)
{
	char *argv[PG_MAX_ARGS + 2] = {NULL}, *mem = NULL;
	size_t argc = 0, len[PG_MAX_ARGS], inlen = 0, i, memlen = 0;
	struct tk_buf in = TK_BUF_INIT(PG_MAX_INPUT);
	const char *msg;
	FILE *out;
	int rc;

	if ((rc = request_head(&argc, len, &inlen)) != 0)
		return rc;
	argv[0] = "twokey-pg";
	for (i = 0; i < argc && rc == 0; i++)
		if ((argv[i + 1] = tk_calloc(1, len[i] + 1)) == NULL ||
		    fread(argv[i + 1], 1, len[i], stdin) != len[i])
			rc = tk_error_set(TK_EIO, "a request arrived cut");
	while (rc == 0 && in.len < inlen) {
		char chunk[65536];
		size_t want = inlen - in.len < sizeof(chunk) ? inlen - in.len
		                                             : sizeof(chunk);

		if (fread(chunk, 1, want, stdin) != want ||
		    tk_buf_put(&in, chunk, want) < 0)
			rc = tk_error_set(TK_EIO, "a request arrived cut");
	}
	if (rc == 0 && (out = open_memstream(&mem, &memlen)) == NULL)
		rc = tk_error_set(TK_ENOMEM, "out of memory");
	if (rc < 0)
		goto out;
	/* The session serves its own connection file only. */
	if (argc < 2 || strcmp(argv[2], conn) != 0)
		rc = tk_error_set(TK_EINVAL, "a request for another database");
	else if ((rc = dispatch((int)argc + 1, argv, &in, out)) == 1)
		rc = tk_error_set(TK_EINVAL, "unknown request");
	if (fclose(out) != 0 && rc == 0)
		rc = tk_error_set(TK_ENOMEM, "out of memory");
	msg = rc < 0 ? tk_error_last() : "";
	if (rc < 0)
		memlen = 0;
	printf("%d %zu %zu\n", rc < 0 ? 1 : 0, memlen, strlen(msg));
	fwrite(mem, 1, memlen, stdout);
	fputs(msg, stdout);
	rc = fflush(stdout) == 0 ? 0 : TK_EIO;
out:
	for (i = 1; i <= argc && i <= PG_MAX_ARGS; i++)
		free(argv[i]);
	free(mem);
	tk_buf_release(&in);
	return rc;
}

static int
session(const char *conn)
{
	int rc;

	pgd_session_begin(conn);
	while ((rc = serve_one(conn)) == 0)
		;
	pgd_session_end();
	return rc == 1 ? 0 : rc;
}

int
main(int argc, char **argv)
{
	struct tk_buf in = TK_BUF_INIT(PG_MAX_INPUT);
	int rc = 1;

	if (argc == 3 && strcmp(argv[1], "session") == 0)
		rc = session(argv[2]);
	else if (argc >= 3 && takes_input(argv[1]) && slurp_input(&in) < 0)
		rc = tk_error_set(TK_EINVAL, "the input arrived cut");
	else if (argc >= 3)
		rc = dispatch(argc, argv, &in, stdout);
	tk_buf_release(&in);
	if (rc == 1) {
		fprintf(stderr,
		    "usage: twokey-pg append|read|init|freeze-read|"
		    "freeze-write|em-read|session CONNFILE "
		    "...\n");
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "%s\n", tk_error_last());
		return 1;
	}
	return 0;
}
