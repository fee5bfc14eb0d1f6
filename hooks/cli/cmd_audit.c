/*
 * twokey audit verify|show|report|stats|reconcile
 *
 * The records are read through lib/audit's reader (twokey/audit.h): this
 * file never spells a record field.  Bad option values (an unparseable
 * date, an unknown format or decision, a ref or repository no record
 * names) are usage errors, exit 2: a filter that cannot match must never
 * read as "no changes".
 */
#include <ctype.h>
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit_cli.h"
#include "cli.h"
#include "internal.h"
#include "twokey/audit.h"
#include "twokey/evidence.h"
#include "twokey/policy.h"
#include "banned.h" /* last: after every system header */

#define USAGE                                                                    \
	"twokey audit verify [--key-file F] [--rotated] [--anchor HASH]\n"       \
	"                         [FILE...]\n"                                   \
	"       twokey audit show [FILTERS] [--decision accepted|refused]\n"     \
	"                         [--format text|json|csv] [FILE...]\n"          \
	"       twokey audit report [FILTERS] [--format text|csv|json|html]\n"   \
	"                         [-o OUT [--sign KEY]] [FILE...]\n"             \
	"       twokey audit stats [FILTERS] [--format text|csv|json] "          \
	"[FILE...]\n"                                                            \
	"       twokey audit reconcile [--log FILE]... [--format F] REPO "       \
	"[REF...]\n"                                                             \
	"       twokey audit emergencies [--overdue] [--format text|json|csv]\n" \
	"       twokey audit init-db\n"                                          \
	"       twokey audit export [--since D]\n"                               \
	"  FILTERS: [--repo R] [--ref REF] [--pusher P] [--since D] "            \
	"[--until D]"

/* The policy's audit.path (and key) when no FILE was given. */
static int
from_policy(struct audit_opts *o)
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
	if (o->policy == NULL ||
	    (o->policy->audit_path == NULL &&
	        o->policy->audit_postgres == NULL)) {
		fprintf(stderr,
		    "twokey: error: no FILE given and no policy "
		    "with audit.path or audit.postgres found\n");
		return -1;
	}
	o->pg = o->policy->audit_postgres;
	if (o->nfiles == 0 && o->pg == NULL) {
		o->files[0] = o->policy->audit_path;
		o->nfiles = 1;
	}
	if (o->key_file == NULL)
		o->key_file = o->policy->audit_key_file;
	return 0;
}

static const char **
value_slot(struct audit_opts *o, const char *a)
{
	static const struct {
		const char *name;
		size_t off;
	} v[] = {
	    {"--key-file", offsetof(struct audit_opts, key_file)},
	    {"--ref", offsetof(struct audit_opts, ref)},
	    {"--repo", offsetof(struct audit_opts, repo)},
	    {"--pusher", offsetof(struct audit_opts, pusher)},
	    {"--since", offsetof(struct audit_opts, since)},
	    {"--until", offsetof(struct audit_opts, until)},
	    {"--decision", offsetof(struct audit_opts, decision)},
	    {"--format", offsetof(struct audit_opts, format)},
	    {"--output", offsetof(struct audit_opts, output)},
	    {"-o", offsetof(struct audit_opts, output)},
	    {"--sign", offsetof(struct audit_opts, sign)},
	    {"--anchor", offsetof(struct audit_opts, anchor)},
	};
	size_t i;

	for (i = 0; i < TK_ARRAY_SIZE(v); i++)
		if (strcmp(a, v[i].name) == 0)
			return (const char **)((char *)o + v[i].off);
	return NULL;
}

static int
parse_opts(struct audit_opts *o, int argc, char **argv)
{
	const char **dst;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--rotated") == 0) {
			o->rotated = true;
			continue;
		}
		if (strcmp(a, "--overdue") == 0) {
			o->overdue = true;
			continue;
		}
		if (strcmp(a, "--log") == 0 && i + 1 < argc) {
			o->files[o->nfiles++] = argv[++i];
			continue;
		}
		if ((dst = value_slot(o, a)) == NULL) {
			if (a[0] == '-' && a[1] != '\0')
				return cli_usage_error(
				    USAGE, "unknown option '%s'", a);
			o->args[o->nargs++] = a;
			continue;
		}
		if (++i >= argc)
			return cli_usage_error(USAGE, "%s needs a value", a);
		*dst = argv[i];
	}
	return 0;
}

/* Parses the filters that need no log: dates, decision, format. */
static int
parse_filters(struct audit_opts *o, unsigned formats)
{
	o->filter.repo = o->repo;
	o->filter.ref = o->ref;
	o->filter.pusher = o->pusher;
	if (tk_audit_filter_dates(&o->filter, o->since, o->until) < 0 ||
	    (o->decision != NULL &&
	        tk_audit_parse_decision(&o->filter.decision, o->decision) <
	            0) ||
	    tk_format_parse(&o->fmt, o->format ? o->format : "text", formats) <
	        0)
		return cli_usage_error(USAGE, "%s", tk_error_last());
	return 0;
}

int
audit_open(struct tk_audit_reader **r, struct audit_opts *o)
{
	struct tk_audit_read_opts ro = {o->rotated, o->key, o->keylen};

	if ((o->pg != NULL ? tk_audit_reader_open_pg(r, o->pg, &ro)
	                   : tk_audit_reader_open_files(
	                         r, o->files, o->nfiles, &ro)) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		return 1;
	}
	return 0;
}

/* Resolves --ref, --repo, --pusher against the log: 0, 1 or 2 (usage). */
int
audit_resolve(struct audit_opts *o)
{
	struct tk_audit_reader *r = NULL;
	int rc;

	if (o->ref == NULL && o->repo == NULL && o->pusher == NULL)
		return 0;
	if ((rc = audit_open(&r, o)) != 0)
		return rc;
	rc = tk_audit_filter_resolve(&o->filter, r);
	tk_audit_reader_free(r);
	if (rc == TK_EINVAL)
		return cli_usage_error(USAGE, "%s", tk_error_last());
	if (rc < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		return 1;
	}
	return 0;
}

/* 64 hexadecimal digits: a record's hash */
static bool
anchor_ok(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[64] == '\0';
}

/* How many records r has read so far. */
static size_t
c_records(struct tk_audit_reader *r)
{
	return tk_audit_reader_chain(r)->records;
}

static int
verify(struct audit_opts *o)
{
	const struct tk_audit_chain *c;
	const struct tk_audit_record *rec;
	struct tk_audit_reader *r = NULL;
	size_t at = 0, at_src = 0, at_line = 0;
	bool broken;
	int rc;

	if (o->anchor != NULL && !anchor_ok(o->anchor))
		return cli_usage_error(USAGE,
		    "--anchor takes a record's hash: 64 hexadecimal digits");
	if ((rc = audit_open(&r, o)) != 0)
		return rc;
	while ((rc = tk_audit_next(r, &rec)) > 0)
		if (o->anchor != NULL && rec->hash != NULL &&
		    strcasecmp(rec->hash, o->anchor) == 0 && at == 0) {
			at = c_records(r);
			at_src = rec->source;
			at_line = rec->line;
		}
	c = tk_audit_reader_chain(r);
	if (rc < 0)
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
	else if (c->broken) {
		printf("%s:%zu: %s\n", tk_audit_reader_source(r, c->bad_source),
		    c->bad_line, c->problem);
		printf("twokey: the audit chain is broken (%zu records "
		       "verified before it)\n",
		    c->verified);
	} else {
		if (o->pg != NULL)
			printf(
			    "twokey: %zu records verified in the database%s; "
			    "chain intact; last hash %s\n",
			    c->verified, c->keyed ? " with HMAC" : "",
			    c->last_hash);
		else
			printf("twokey: %zu records verified in %zu file%s%s; "
			       "chain intact%s; last hash %s\n",
			    c->verified, o->nfiles, o->nfiles == 1 ? "" : "s",
			    c->keyed ? " with HMAC" : "",
			    c->rotated ? " (continues an earlier file)" : "",
			    c->last_hash);
		if (c->head_behind > 0)
			printf("note: the head file is %zu record%s behind "
			       "the log (not yet written to disk when the "
			       "machine stopped); the next push brings it up "
			       "to date\n",
			    c->head_behind, c->head_behind == 1 ? "" : "s");
		if (c->unkeyed > 0)
			printf("note: %zu record%s no HMAC (written while "
			       "audit.key-file was not set); the HMAC of a "
			       "later record covers each through the chain\n",
			    c->unkeyed,
			    c->unkeyed == 1 ? " carries" : "s carry");
		if (c->unchecked_hmacs > 0)
			printf("note: %zu records carry an HMAC that was not "
			       "checked; give --key-file to check them\n",
			    c->unchecked_hmacs);
	}
	broken = c->broken;
	if (rc >= 0 && !broken && o->anchor != NULL) {
		if (at == 0) {
			printf("twokey: the anchor %s is not in the chain: "
			       "records were removed from the log's end (or "
			       "the anchor is from another log)\n",
			    o->anchor);
			broken = true;
		} else
			printf("anchor: %s:%zu, record %zu of %zu (%zu after "
			       "it)\n",
			    tk_audit_reader_source(r, at_src), at_line, at,
			    c->verified, c->verified - at);
	}
	tk_audit_reader_free(r);
	return rc < 0 || broken ? 1 : 0;
}

/* init-db and export: the database the policy names. */
static int
audit_pg(const char *cmd, struct audit_opts *o)
{
	size_t n = 0;
	int rc;

	if (strcmp(cmd, "init-db") == 0)
		rc = tk_audit_pg_init(o->pg);
	else
		rc = tk_audit_pg_export(stdout, o->pg, o->filter.since, &n);
	if (rc == 0 && fflush(stdout) != 0)
		rc = tk_error_set(TK_EIO, "cannot write the output");
	if (rc < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		return 1;
	}
	if (strcmp(cmd, "init-db") == 0)
		printf("twokey: the audit database schema is ready\n");
	else
		fprintf(stderr, "twokey: %zu records exported\n", n);
	return 0;
}

static int
load_key(struct audit_opts *o)
{
	if (o->key_file != NULL &&
	    tk_audit_read_key(&o->key, &o->keylen, o->key_file) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		return 1;
	}
	return 0;
}

static int
run(const char *cmd, struct audit_opts *o)
{
	if (strcmp(cmd, "verify") == 0)
		return verify(o);
	if (strcmp(cmd, "show") == 0)
		return audit_show(o);
	if (strcmp(cmd, "report") == 0)
		return audit_report(o);
	if (strcmp(cmd, "stats") == 0)
		return audit_stats(o);
	if (strcmp(cmd, "init-db") == 0 || strcmp(cmd, "export") == 0)
		return audit_pg(cmd, o);
	if (strcmp(cmd, "emergencies") == 0)
		return audit_emergencies(o);
	return audit_reconcile(o);
}

static unsigned
formats_of(const char *cmd)
{
	if (strcmp(cmd, "report") == 0)
		return TK_FMT_TEXT | TK_FMT_CSV | TK_FMT_JSON | TK_FMT_HTML;
	return TK_FMT_TEXT | TK_FMT_CSV | TK_FMT_JSON;
}

/* Options that make no sense for cmd are errors, not ignored. */
static int
misplaced(const char *cmd, const struct audit_opts *o)
{
	bool filters = o->ref || o->repo || o->pusher || o->since || o->until;

	if (strcmp(cmd, "verify") == 0 && (filters || o->format || o->decision))
		return cli_usage_error(USAGE, "verify takes no filters");
	if (strcmp(cmd, "verify") != 0 && o->anchor != NULL)
		return cli_usage_error(USAGE, "--anchor is for 'verify' only");
	if (strcmp(cmd, "show") != 0 && o->decision != NULL)
		return cli_usage_error(USAGE, "--decision is for 'show' only");
	if (strcmp(cmd, "report") != 0 && (o->output || o->sign))
		return cli_usage_error(
		    USAGE, "--output and --sign are for 'report' only");
	if (strcmp(cmd, "init-db") == 0 && (filters || o->format))
		return cli_usage_error(USAGE, "init-db takes no options");
	if (strcmp(cmd, "export") == 0 &&
	    (o->ref || o->repo || o->pusher || o->until || o->format))
		return cli_usage_error(USAGE, "export takes --since only");
	if (strcmp(cmd, "emergencies") == 0 &&
	    (filters || o->rotated || o->key_file || o->nargs))
		return cli_usage_error(USAGE,
		    "emergencies takes --overdue and --format only (it reads "
		    "the policy's emergency state)");
	if (strcmp(cmd, "emergencies") != 0 && o->overdue)
		return cli_usage_error(
		    USAGE, "--overdue is for 'emergencies' only");
	if (strcmp(cmd, "reconcile") == 0 && filters)
		return cli_usage_error(
		    USAGE, "reconcile takes REPO and REF names, not filters");
	return 0;
}

static void
release(struct audit_opts *o)
{
	tk_audit_filter_release(&o->filter);
	if (o->key != NULL)
		explicit_bzero(o->key, o->keylen);
	free(o->key);
	tk_policy_free(o->policy);
}

static int
help(void)
{
	printf("usage: %s\n\n"
	       "verify checks the hash chain of the audit log (the policy's "
	       "audit.path by default; several files are checked in order, "
	       "as one chain across rotations) and every HMAC when a key "
	       "file is given or configured; it names the first bad line and "
	       "exits 1; --anchor HASH (a record's hash kept off the server, "
	       "as the syslog lines carry it) also exits 1 unless the chain "
	       "holds that record.\n"
	       "show lists decisions, one line per ref.\n"
	       "report lists every commit that landed in the period, with its "
	       "writers, counted approvers and how they counted, pusher, rule "
	       "and policy, then the refusals; --sign writes OUT.sig, an "
	       "SSHSIG (namespace twokey-evidence).\n"
	       "stats counts pushes, acceptances and refusals per month and "
	       "ref, refusals by rule and reason, emergencies.\n"
	       "reconcile compares a repository's refs with the log and names "
	       "every change that has no accepted record (exit 1).\n"
	       "emergencies lists every emergency push of the policy's "
	       "emergency state: when, who, reason, ref, commits, and "
	       "ratified by whom and when, or pending or overdue; with "
	       "--overdue only the overdue, exit 1 when there is one.\n"
	       "init-db creates the schema of the database audit.postgres "
	       "names; export writes its chain as JSON lines for an offline "
	       "verify (docs/postgres.md).\n"
	       "Dates: YYYY, YYYY-MM, YYYY-MM-DD or RFC 3339, periods "
	       "inclusive.  See twokey(1) and docs/audit.md.\n",
	    USAGE);
	return 0;
}

int
cmd_audit(int argc, char **argv)
{
	static const char *const cmds[] = {"verify", "show", "report", "stats",
	    "reconcile", "init-db", "export", "emergencies"};
	const char *files[TK_AUDIT_MAX_FILES + 1], *args[256];
	struct tk_audit_filter f0 = TK_AUDIT_FILTER_INIT;
	struct audit_opts o;
	size_t i;
	int rc;

	memset(&o, 0, sizeof(o));
	o.files = files;
	o.args = args;
	o.filter = f0;
	if (cli_wants_help(argc, argv))
		return help();
	for (i = 0; argc >= 2 && i < TK_ARRAY_SIZE(cmds); i++)
		if (strcmp(argv[1], cmds[i]) == 0)
			break;
	if (argc < 2 || i == TK_ARRAY_SIZE(cmds))
		return cli_usage_error(USAGE,
		    "expected verify, show, report, stats, reconcile, "
		    "emergencies, init-db or export");
	if (argc > 250)
		return cli_usage_error(USAGE, "too many arguments");
	if ((rc = parse_opts(&o, argc - 1, argv + 1)) != 0 ||
	    (rc = misplaced(argv[1], &o)) != 0 ||
	    (strcmp(argv[1], "verify") != 0 &&
	        (rc = parse_filters(&o, formats_of(argv[1]))) != 0))
		goto out;
	if (strcmp(argv[1], "reconcile") != 0 &&
	    strcmp(argv[1], "emergencies") != 0) {
		for (i = 0; i < o.nargs; i++)
			o.files[o.nfiles++] = o.args[i];
		o.nargs = 0;
	}
	if (o.nfiles == 0 && from_policy(&o) < 0) {
		rc = 1;
		goto out;
	}
	if ((strcmp(argv[1], "init-db") == 0 ||
	        strcmp(argv[1], "export") == 0) &&
	    (o.nfiles != 0 || o.nargs != 0 || o.pg == NULL)) {
		rc = cli_usage_error(USAGE,
		    "%s takes no FILE and needs a policy with audit.postgres",
		    argv[1]);
		goto out;
	}
	if ((rc = load_key(&o)) == 0)
		rc = run(argv[1], &o);
out:
	release(&o);
	return rc;
}
