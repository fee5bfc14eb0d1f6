/*
 * twokey audit verify [--key-file F] [--rotated] [FILE...]
 * twokey audit show [--ref R] [--pusher P] [--since T] [--until T]
 *                   [--decision D] [--format text|json|csv] [FILE...]
 */
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/json.h"
#include "cli.h"
#include "internal.h"
#include "twokey/audit.h"
#include "twokey/policy.h"

#define USAGE                                                                  \
	"twokey audit verify [--key-file F] [--rotated] [FILE...]\n"           \
	"       twokey audit show [--ref R] [--pusher P] [--since T] "         \
	"[--until T]\n"                                                        \
	"                         [--decision D] [--format text|json|csv] "    \
	"[FILE...]"

struct opts {
	const char *key_file, *ref, *pusher, *since, *until, *decision;
	const char *format;
	bool rotated;
	const char **files;
	size_t nfiles;
	struct tk_policy *policy;
};

/* The policy's audit.path (and key) when no FILE was given. */
static int
from_policy(struct opts *o)
{
	git_buf dir = {NULL, 0, 0};
	char *path = NULL, *errors = NULL;
	int r;

	r = git_repository_discover(&dir, ".", 0, NULL);
	r = tk_policy_locate(&path, r == 0 ? dir.ptr : NULL);
	git_buf_dispose(&dir);
	if (r == 0 && tk_policy_load(&o->policy, &errors, path) < 0)
		fprintf(stderr, "%s", errors ? errors : "");
	free(errors);
	free(path);
	if (o->policy == NULL || o->policy->audit_path == NULL) {
		fprintf(stderr,
		    "twokey: error: no FILE given and no policy "
		    "with audit.path found\n");
		return -1;
	}
	if (o->nfiles == 0) {
		o->files[0] = o->policy->audit_path;
		o->nfiles = 1;
	}
	if (o->key_file == NULL)
		o->key_file = o->policy->audit_key_file;
	return 0;
}

static int
parse_opts(struct opts *o, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;

		if (strcmp(a, "--rotated") == 0) {
			o->rotated = true;
			continue;
		}
		if (strcmp(a, "--key-file") == 0)
			dst = &o->key_file;
		else if (strcmp(a, "--ref") == 0)
			dst = &o->ref;
		else if (strcmp(a, "--pusher") == 0)
			dst = &o->pusher;
		else if (strcmp(a, "--since") == 0)
			dst = &o->since;
		else if (strcmp(a, "--until") == 0)
			dst = &o->until;
		else if (strcmp(a, "--decision") == 0)
			dst = &o->decision;
		else if (strcmp(a, "--format") == 0)
			dst = &o->format;
		else if (a[0] == '-' && a[1] != '\0')
			return cli_usage_error(USAGE, "unknown option '%s'", a);
		if (dst == NULL) {
			o->files[o->nfiles++] = a;
			continue;
		}
		if (++i >= argc)
			return cli_usage_error(USAGE, "%s needs a value", a);
		*dst = argv[i];
	}
	if (strcmp(o->format, "text") && strcmp(o->format, "json") &&
	    strcmp(o->format, "csv"))
		return cli_usage_error(USAGE, "unknown format '%s'", o->format);
	return 0;
}

/*
 * The writer keeps the newest hash in FILE.head; a log that ends before
 * that record lost records at its end, which the chain alone cannot show.
 */
static bool
head_mismatch(const char *file, const char *last)
{
	char path[4096], head[66] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s.head", file);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	if (fgets(head, sizeof(head), f) == NULL)
		head[0] = '\0';
	fclose(f);
	head[strcspn(head, "\n")] = '\0';
	if (head[0] == '\0' || strcmp(head, last) == 0)
		return false;
	printf("%s: its last record is not the newest one written (%s names "
	       "%.16s...): records were removed from the end\n",
	    file, path, head);
	printf("twokey: the audit chain is broken\n");
	return true;
}

static int
verify(struct opts *o)
{
	struct tk_audit_verify v;
	unsigned char *key = NULL;
	size_t keylen = 0;
	bool keyed;
	int rc;

	if (o->key_file != NULL &&
	    tk_audit_read_key(&key, &keylen, o->key_file) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		return 1;
	}
	memset(&v, 0, sizeof(v));
	v.allow_rotated = o->rotated;
	rc = tk_audit_verify_files(&v, o->files, o->nfiles, key, keylen);
	keyed = key != NULL;
	free(key);
	if (rc == TK_EINVAL) {
		printf("%s:%zu: %s\n", o->files[v.bad_file], v.bad_line,
		    v.problem);
		printf("twokey: the audit chain is broken (%zu records "
		       "verified before it)\n",
		    v.records);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		return 1;
	}
	if (head_mismatch(o->files[o->nfiles - 1], v.last_hash))
		return 1;
	printf("twokey: %zu records verified in %zu file%s%s; chain intact%s; "
	       "last hash %s\n",
	    v.records, o->nfiles, o->nfiles == 1 ? "" : "s",
	    keyed ? " with HMAC" : "",
	    v.rotated ? " (continues an earlier file)" : "", v.last_hash);
	if (v.unchecked_hmacs > 0)
		printf("note: %zu records carry an HMAC that was not checked; "
		       "give --key-file to check them\n",
		    v.unchecked_hmacs);
	return 0;
}

/*
 * A CSV cell; cells a spreadsheet would run as formulas are defused, and
 * control characters (C0, DEL, C1) and invalid UTF-8 become '?'.
 */
static void
csv_cell(FILE *f, const char *s, bool last)
{
	struct tk_buf b = TK_BUF_INIT(1 << 20);
	const char *p;

	(void)tk_sanitize(&b, s ? s : "", s ? strlen(s) : 0, 65536);
	s = b.ptr ? b.ptr : "";
	fputc('"', f);
	if (strchr("=+-@", s[0]) != NULL && s[0] != '\0')
		fputc('\'', f);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
	fputc(last ? '\n' : ',', f);
	tk_buf_release(&b);
}

static void
join(struct tk_buf *b, const struct tk_jv *arr, const char *field)
{
	size_t i;

	tk_buf_reset(b);
	for (i = 0; arr != NULL && arr->t == TK_J_ARR && i < arr->n; i++) {
		const struct tk_jv *it = arr->items[i];
		const struct tk_jv *roles = tk_json_get(it, "roles");
		size_t k;

		(void)tk_buf_printf(b, "%s%s", i ? "; " : "",
		    tk_json_str(field ? tk_json_get(it, field) : it, "?"));
		for (k = 0; roles && roles->t == TK_J_ARR && k < roles->n; k++)
			(void)tk_buf_printf(b, "%s%s", k ? "," : " (",
			    tk_json_str(roles->items[k], "?"));
		if (roles && roles->n > 0)
			(void)tk_buf_putc(b, ')');
	}
}

static void
csv_rows(const struct tk_jv *rec, const struct tk_jv *ref)
{
	const struct tk_jv *commits = tk_json_get(ref, "commits");
	const struct tk_jv *pusher = tk_json_get(rec, "pusher");
	struct tk_buf w = TK_BUF_INIT(1 << 20), a = TK_BUF_INIT(1 << 20);
	size_t i;

	for (i = 0; commits && commits->t == TK_J_ARR && i < commits->n; i++) {
		const struct tk_jv *c = commits->items[i];

		join(&w, tk_json_get(c, "writers"), NULL);
		join(&a, tk_json_get(c, "approvers"), "identity");
		csv_cell(stdout, tk_json_str(tk_json_get(rec, "time"), ""), 0);
		csv_cell(stdout, tk_json_str(tk_json_get(rec, "repo"), ""), 0);
		csv_cell(stdout, tk_json_str(tk_json_get(ref, "ref"), ""), 0);
		csv_cell(stdout, tk_json_str(tk_json_get(ref, "rule"), ""), 0);
		csv_cell(
		    stdout, tk_json_str(tk_json_get(ref, "decision"), ""), 0);
		csv_cell(
		    stdout, tk_json_str(tk_json_get(pusher, "login"), ""), 0);
		csv_cell(stdout,
		    tk_json_str(tk_json_get(pusher, "identity"), ""), 0);
		csv_cell(stdout, tk_json_str(tk_json_get(c, "id"), ""), 0);
		csv_cell(stdout, tk_json_str(tk_json_get(c, "subject"), ""), 0);
		csv_cell(stdout, tk_json_str(tk_json_get(c, "author"), ""), 0);
		csv_cell(stdout, w.ptr ? w.ptr : "", 0);
		csv_cell(stdout, a.ptr ? a.ptr : "", 0);
		csv_cell(stdout, tk_json_str(tk_json_get(rec, "hash"), ""), 1);
	}
	tk_buf_release(&w);
	tk_buf_release(&a);
}

static bool
matches(const struct opts *o, const struct tk_jv *rec, const struct tk_jv *ref)
{
	const char *t = tk_json_str(tk_json_get(rec, "time"), "");
	const struct tk_jv *pu = tk_json_get(rec, "pusher");

	if (o->since && strncmp(t, o->since, strlen(o->since)) < 0)
		return false;
	if (o->until && strncmp(t, o->until, strlen(o->until)) > 0)
		return false;
	if (o->pusher &&
	    strcmp(tk_json_str(tk_json_get(pu, "login"), ""), o->pusher) &&
	    strcmp(tk_json_str(tk_json_get(pu, "identity"), ""), o->pusher))
		return false;
	if (o->ref && strcmp(tk_json_str(tk_json_get(ref, "ref"), ""), o->ref))
		return false;
	if (o->decision &&
	    strcmp(tk_json_str(tk_json_get(ref, "decision"), ""), o->decision))
		return false;
	/*
	 * The evidence export lists commits that landed, unless asked: the
	 * ref passed and so did the push as a whole (pre-receive refuses all
	 * refs when one fails).
	 */
	if (!o->decision && strcmp(o->format, "csv") == 0 &&
	    (strcmp(
	         tk_json_str(tk_json_get(ref, "decision"), ""), "accepted") ||
	        strcmp(
	            tk_json_str(tk_json_get(rec, "decision"), ""), "accepted")))
		return false;
	return true;
}

static void
show_ref(const struct opts *o, const struct tk_jv *rec, const struct tk_jv *ref)
{
	const struct tk_jv *pu = tk_json_get(rec, "pusher");
	const struct tk_jv *n = tk_json_get(ref, "entering");
	struct tk_buf safe = TK_BUF_INIT(4096);
	const char *fields[6];
	size_t i;

	if (strcmp(o->format, "csv") == 0) {
		csv_rows(rec, ref);
		return;
	}
	fields[0] = tk_json_str(tk_json_get(rec, "time"), "?");
	fields[1] = tk_json_str(tk_json_get(ref, "decision"), "?");
	fields[2] = tk_json_str(tk_json_get(pu, "login"), "-");
	fields[3] = tk_json_str(tk_json_get(ref, "ref"), "?");
	fields[4] = tk_json_str(tk_json_get(ref, "kind"), "?");
	fields[5] = tk_json_str(tk_json_get(ref, "rule"), "-");
	/* Log text came from pushers: never raw to a terminal. */
	for (i = 0; i < 6; i++) {
		tk_buf_reset(&safe);
		(void)tk_sanitize(&safe, fields[i], strlen(fields[i]), 300);
		printf("%s%s", i ? " " : "", safe.ptr ? safe.ptr : "");
	}
	printf(" %s commits\n", n && n->t == TK_J_NUM ? n->s : "0");
	tk_buf_release(&safe);
}

static int
show_line(const struct opts *o, const char *line, size_t len)
{
	struct tk_jv *rec = NULL;
	const struct tk_jv *refs;
	size_t i;
	bool printed = false;

	if (tk_json_parse(&rec, line, len) < 0)
		return -1;
	refs = tk_json_get(rec, "refs");
	for (i = 0; refs && refs->t == TK_J_ARR && i < refs->n; i++) {
		if (!matches(o, rec, refs->items[i]))
			continue;
		if (strcmp(o->format, "json") == 0) {
			if (!printed)
				printf("%.*s\n", (int)len, line);
			printed = true;
		} else
			show_ref(o, rec, refs->items[i]);
	}
	tk_json_free(rec);
	return 0;
}

static int
show(struct opts *o)
{
	struct tk_buf b = TK_BUF_INIT(TK_AUDIT_MAX_RECORD);
	size_t i, lineno;
	int ch, status = 0;
	FILE *f;

	if (strcmp(o->format, "csv") == 0)
		printf("time,repository,ref,rule,decision,pusher_login,"
		       "pusher_identity,commit,subject,author,writers,"
		       "approvers,record_hash\n");
	for (i = 0; i < o->nfiles; i++) {
		if ((f = fopen(o->files[i], "re")) == NULL) {
			fprintf(stderr, "twokey: error: cannot open '%s': %s\n",
			    o->files[i], strerror(errno));
			return 1;
		}
		for (lineno = 1;; lineno++) {
			tk_buf_reset(&b);
			while ((ch = getc_unlocked(f)) != EOF && ch != '\n')
				(void)tk_buf_putc(&b, ch);
			if (b.len == 0 && ch == EOF)
				break;
			if (b.err || show_line(o, b.ptr, b.len) < 0) {
				fprintf(stderr,
				    "twokey: warning: %s:%zu: not a "
				    "readable record\n",
				    o->files[i], lineno);
				status = 1;
			}
			if (ch == EOF)
				break;
		}
		fclose(f);
	}
	tk_buf_release(&b);
	return status;
}

int
cmd_audit(int argc, char **argv)
{
	const char *files[256];
	struct opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.files = files;
	o.format = "text";
	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n\nverify checks the hash chain of the audit "
		       "log (the policy's audit.path by default; several files "
		       "are checked in order, as one chain across rotations) "
		       "and every HMAC when a key file is given or configured; "
		       "it names the first bad line and exits 1.\nshow lists "
		       "decisions, one line per ref; --format csv is the "
		       "evidence export, one row per commit landed.\n",
		    USAGE);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "verify") && strcmp(argv[1], "show")))
		return cli_usage_error(USAGE, "expected 'verify' or 'show'");
	if (argc > 250)
		return cli_usage_error(USAGE, "too many files");
	if ((rc = parse_opts(&o, argc - 1, argv + 1)) != 0)
		return rc;
	if (o.nfiles == 0 && from_policy(&o) < 0) {
		tk_policy_free(o.policy);
		return 1;
	}
	rc = argv[1][0] == 'v' ? verify(&o) : show(&o);
	tk_policy_free(o.policy);
	return rc;
}
