/*
 * twokey freeze start|stop|status: ad hoc change freezes (docs/freezes.md).
 *
 * The arguments are hostile in the sense that matters here: a reason is
 * echoed to every pusher's terminal and a pattern is matched against
 * every pushed ref, so both are checked as the policy's own are
 * (tk_freeze_new) before anything is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "internal.h"
#include "twokey/audit.h"
#include "twokey/freeze.h"
#include "twokey/pattern.h"
#include "twokey/policy.h"
#include "twokey/review.h"
#include "banned.h" /* last: after every system header */

#define USAGE                                                                  \
	"twokey freeze start --refs PATTERN --reason TEXT [--until TIME] "     \
	"[--name NAME]\n"                                                      \
	"       twokey freeze stop [NAME]\n"                                   \
	"       twokey freeze status [--format text|json]\n"                   \
	"  each takes [--policy FILE]; TIME is YYYY-MM-DDTHH:MM:SSZ (UTC) or " \
	"+N[mhd]"

struct fopts {
	const char *policy, *refs, *reason, *until, *name, *format;
	const char *arg; /* stop's NAME */
};

/* --until: RFC 3339 UTC, or +N followed by m, h or d from now. */
static int
parse_until(int64_t *out, const char *s, int64_t now)
{
	char *end;
	unsigned long long n;

	if (s[0] != '+')
		return tk_freeze_time_parse(out, s, strlen(s));
	if (s[1] < '0' || s[1] > '9' || strlen(s) > 10)
		return tk_error_set(
		    TK_EINVAL, "expected +N followed by m, h or d");
	n = strtoull(s + 1, &end, 10);
	if (end[0] == '\0' || end[1] != '\0' || n == 0 || n > 100000)
		return tk_error_set(
		    TK_EINVAL, "expected +N followed by m, h or d");
	if (*end == 'm')
		*out = now + (int64_t)n * 60;
	else if (*end == 'h')
		*out = now + (int64_t)n * 3600;
	else if (*end == 'd')
		*out = now + (int64_t)n * 86400;
	else
		return tk_error_set(
		    TK_EINVAL, "expected +N followed by m, h or d");
	return 0;
}

/* Who runs this: the local account's name, else uid:N. */
static void
whoami(char *out, size_t size)
{
	struct cli_user u;

	if (cli_user_find(&u, NULL, (unsigned)getuid()) == 0 &&
	    tk_freeze_by_ok(u.name))
		snprintf(out, size, "%s", u.name);
	else
		snprintf(out, size, "uid:%u", (unsigned)getuid());
}

static int
do_start(struct tk_policy *p, struct tk_freeze_store *s, const struct fopts *o)
{
	int64_t now = (int64_t)time(NULL), until = TK_FREEZE_OPEN;
	char name[TK_FREEZE_MAX_NAME + 1], by[80], t[21];
	const char *dead;
	struct tk_freeze f;
	int rc;

	if (o->refs == NULL || o->reason == NULL)
		return cli_usage_error(
		    USAGE, "start needs --refs and --reason");
	if (o->until != NULL && parse_until(&until, o->until, now) < 0)
		return cli_usage_error(USAGE, "--until: %s", tk_error_last());
	if (until <= now)
		return cli_usage_error(USAGE, "--until: that time has passed");
	tk_freeze_time_format(t, now);
	snprintf(name, sizeof(name), "adhoc-%.4s%.2s%.2sT%.2s%.2s%.2sZ", t,
	    t + 5, t + 8, t + 11, t + 14, t + 17);
	whoami(by, sizeof(by));
	rc = tk_freeze_new(
	    &f, o->name ? o->name : name, o->refs, o->reason, by, now, until);
	if (rc < 0) {
		tk_freeze_release(&f);
		return cli_usage_error(USAGE, "%s", tk_error_last());
	}
	/*
	 * A freeze that can match no ref freezes nothing while the admin
	 * believes it holds (--refs main): refuse it rather than store it.
	 */
	if ((dead = tk_review_refs_dead(o->refs)) != NULL) {
		tk_freeze_release(&f);
		return cli_usage_error(
		    USAGE, "--refs '%s' can match no ref: %s", o->refs, dead);
	}
	rc = tk_freeze_store_start(s, p, &f, now);
	if (rc == 0) {
		printf("twokey: freeze '%s' started", f.name);
		if (until == TK_FREEZE_OPEN)
			printf(", in force until stopped\n");
		else {
			tk_freeze_time_format(t, until);
			printf(", in force until %s\n", t);
		}
	} else
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
	tk_freeze_release(&f);
	return rc == 0 ? 0 : 1;
}

static int
do_stop(struct tk_freeze_store *s, const struct fopts *o)
{
	char *stopped = NULL;

	if (o->arg != NULL && !tk_freeze_name_ok(o->arg, strlen(o->arg)))
		return cli_usage_error(USAGE, "invalid freeze name");
	if (tk_freeze_store_stop(s, o->arg, (int64_t)time(NULL), &stopped) <
	    0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		return 1;
	}
	printf("twokey: freeze '%s' stopped\n", stopped);
	free(stopped);
	return 0;
}

static const char *
state(const struct tk_freeze *f, int64_t now)
{
	if (tk_freeze_active(f, now))
		return "in force";
	return f->from > now ? "later" : "over";
}

static void
print_text(const struct tk_freeze *f, int64_t now)
{
	struct tk_buf b = TK_BUF_INIT(4096);
	char from[21], until[21];

	tk_freeze_time_format(from, f->from);
	if (f->until == TK_FREEZE_OPEN)
		snprintf(until, sizeof(until), "(until stopped)");
	else
		tk_freeze_time_format(until, f->until);
	(void)tk_buf_printf(&b, "%-8s %-7s %s\n  refs:   ", state(f, now),
	    f->adhoc ? "ad hoc" : "planned", f->name);
	(void)tk_sanitize(&b, f->refs_src, strlen(f->refs_src), 2048);
	(void)tk_buf_printf(
	    &b, "\n  from:   %s\n  until:  %s\n  reason: ", from, until);
	(void)tk_sanitize(&b, f->reason, strlen(f->reason), 1024);
	if (f->by != NULL)
		(void)tk_buf_printf(&b, "\n  by:     %s", f->by);
	(void)tk_buf_putc(&b, '\n');
	fwrite(b.ptr ? b.ptr : "", 1, b.len, stdout);
	tk_buf_release(&b);
}

static void
print_json(const struct tk_freeze *f, int64_t now, bool first)
{
	struct tk_buf b = TK_BUF_INIT(8192);
	char t[21];

	(void)tk_buf_puts(&b, first ? "\n  {\"name\":" : ",\n  {\"name\":");
	(void)tk_json_string(&b, f->name, strlen(f->name));
	(void)tk_buf_printf(&b, ",\"kind\":\"%s\",\"state\":\"%s\",\"refs\":",
	    f->adhoc ? "adhoc" : "planned", state(f, now));
	(void)tk_json_string(&b, f->refs_src, strlen(f->refs_src));
	tk_freeze_time_format(t, f->from);
	(void)tk_buf_printf(&b, ",\"from\":\"%s\",\"until\":", t);
	tk_freeze_time_format(t, f->until);
	(void)tk_buf_printf(
	    &b, f->until == TK_FREEZE_OPEN ? "null" : "\"%s\"", t);
	(void)tk_buf_puts(&b, ",\"reason\":");
	(void)tk_json_string(&b, f->reason, strlen(f->reason));
	(void)tk_buf_puts(&b, ",\"by\":");
	if (f->by != NULL)
		(void)tk_json_string(&b, f->by, strlen(f->by));
	else
		(void)tk_buf_puts(&b, "null");
	(void)tk_buf_putc(&b, '}');
	fwrite(b.ptr ? b.ptr : "", 1, b.len, stdout);
	tk_buf_release(&b);
}

/* Every freeze, planned then ad hoc; exit 1 when the store is unreadable. */
static int
do_status(struct tk_policy *p, struct tk_freeze_store *s, const struct fopts *o)
{
	struct tk_freeze_list l;
	int64_t now = (int64_t)time(NULL);
	bool json = o->format != NULL && strcmp(o->format, "json") == 0;
	size_t i, k = 0;
	int rc;

	if (o->format != NULL && !json && strcmp(o->format, "text") != 0)
		return cli_usage_error(USAGE, "--format: text or json");
	if ((rc = tk_freeze_store_load(s, &l)) < 0)
		fprintf(stderr,
		    "twokey: error: %s; the hooks refuse every push to a ref "
		    "a freeze could cover until it is repaired\n",
		    tk_error_last());
	if (json)
		printf("{\"store_ok\":%s,\"freezes\":[",
		    rc < 0 ? "false" : "true");
	for (i = 0; i < p->nfreezes + l.n; i++, k++) {
		const struct tk_freeze *f = i < p->nfreezes
		    ? &p->freezes[i]
		    : &l.items[i - p->nfreezes];

		if (json)
			print_json(f, now, k == 0);
		else
			print_text(f, now);
	}
	if (json)
		printf("%s]}\n", k ? "\n" : "");
	else if (k == 0 && rc == 0)
		printf("no freezes\n");
	tk_freeze_list_release(&l);
	return rc < 0 ? 1 : 0;
}

/* Options may come before or after the subcommand's one operand. */
static int
parse(struct fopts *o, int argc, char **argv)
{
	const char **slot;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 2; i < argc; i++) {
		slot = strcmp(argv[i], "--policy") == 0 ? &o->policy
		    : strcmp(argv[i], "--refs") == 0    ? &o->refs
		    : strcmp(argv[i], "--reason") == 0  ? &o->reason
		    : strcmp(argv[i], "--until") == 0   ? &o->until
		    : strcmp(argv[i], "--name") == 0    ? &o->name
		    : strcmp(argv[i], "--format") == 0  ? &o->format
		                                        : NULL;
		if (slot == NULL && argv[i][0] == '-')
			return cli_usage_error(
			    USAGE, "unknown option '%s'", argv[i]);
		if (slot == NULL && o->arg != NULL)
			return cli_usage_error(USAGE, "too many arguments");
		if (slot == NULL) {
			o->arg = argv[i];
			continue;
		}
		if (i + 1 >= argc)
			return cli_usage_error(
			    USAGE, "%s needs a value", argv[i]);
		*slot = argv[++i];
	}
	return 0;
}

int
cmd_freeze(int argc, char **argv)
{
	struct tk_freeze_store *s = NULL;
	struct tk_policy *p = NULL;
	struct fopts o;
	char *path = NULL;
	int status = 1, start, stop, st;

	if (cli_wants_help(argc, argv) || argc < 2) {
		printf("usage: %s\n", USAGE);
		return argc < 2 ? 2 : 0;
	}
	start = strcmp(argv[1], "start") == 0;
	stop = strcmp(argv[1], "stop") == 0;
	st = strcmp(argv[1], "status") == 0;
	if (!start && !stop && !st)
		return cli_usage_error(
		    USAGE, "unknown subcommand '%s'", argv[1]);
	if ((status = parse(&o, argc, argv)) != 0)
		return status;
	if (o.arg != NULL && !stop)
		return cli_usage_error(
		    USAGE, "unexpected argument '%s'", o.arg);
	status = 1;
	if (cli_load_policy(&p, &path, o.policy) < 0)
		goto out;
	if (tk_freeze_store_open(&s, p) < 0) {
		fprintf(stderr, "twokey: error: %s\n", tk_error_last());
		goto out;
	}
	status = start ? do_start(p, s, &o)
	    : stop     ? do_stop(s, &o)
	               : do_status(p, s, &o);
out:
	tk_freeze_store_free(s);
	tk_policy_free(p);
	free(path);
	return status;
}
