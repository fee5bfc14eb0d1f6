/*
 * twokey: change freezes (docs/spec.md, "Change freezes"; docs/freezes.md).
 *
 * A freeze is a time window during which updates of the refs its pattern
 * matches are refused (unless an emergency waives "freeze").  Planned
 * freezes are in the policy (top-level "freezes:"); ad hoc ones are
 * started and stopped with "twokey freeze" and kept in a freeze store:
 * the file named by "freeze-file:" (lib/freeze/file.c), or the audit
 * database when audit.postgres is set.
 */
#ifndef TWOKEY_FREEZE_H
#define TWOKEY_FREEZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twokey/buf.h"
#include "twokey/policy.h"

#define TK_FREEZE_MAX_NAME 64 /* bytes of [A-Za-z0-9._-] */
#define TK_FREEZE_MAX_REASON 256 /* bytes of printable UTF-8 */
#define TK_FREEZE_MAX_REFS 1024 /* bytes of the refs pattern */
#define TK_FREEZE_MAX_BY 64 /* who started an ad hoc freeze */
#define TK_FREEZE_MAX_ADHOC 64 /* ad hoc freezes kept at once */
#define TK_FREEZE_MAX_PLANNED 256 /* freezes: entries in the policy */
#define TK_FREEZE_FILE_MAX (64u * 1024) /* bytes of the freeze file */
#define TK_FREEZE_OPEN INT64_MAX /* until: in force until stopped */
#ifndef TWOKEY_FREEZE_FILE
#define TWOKEY_FREEZE_FILE "/var/lib/twokey/freeze" /* no freeze-file: */
#endif

struct tk_pattern;

struct tk_freeze {
	char *name;
	char *refs_src;
	struct tk_pattern *refs; /* anchored at both ends */
	int64_t from, until; /* in force while from <= now < until (UTC) */
	char *reason;
	char *by; /* ad hoc: who started it; NULL for a planned one */
	bool adhoc;
	struct tk_pos pos; /* planned: the item in the policy */
};

struct tk_freeze_list {
	struct tk_freeze *items;
	size_t n;
};

/*
 * The ad hoc freezes as a hook read them: status 0 and the list, or a
 * negative status when the store could not be read (the hook then
 * refuses every update a freeze could cover: fail closed).
 */
struct tk_freeze_state {
	int status;
	struct tk_freeze_list list;
};

/* Releases what f holds and zeroes it. */
void tk_freeze_release(struct tk_freeze *f);

/* Releases what the list holds and zeroes it. */
void tk_freeze_list_release(struct tk_freeze_list *l);

/*
 * A freeze name: 1 to TK_FREEZE_MAX_NAME bytes of A-Z a-z 0-9 . _ -
 * (names are shown to pushers and put in files line by line).
 */
bool tk_freeze_name_ok(const char *s, size_t len);

/*
 * A reason: 1 to TK_FREEZE_MAX_REASON bytes of valid UTF-8 with no
 * control character (C0, DEL, C1): it is echoed to pushers' terminals.
 */
bool tk_freeze_reason_ok(const char *s, size_t len);

/* Who started an ad hoc freeze: 1 to 64 of A-Z a-z 0-9 . _ - : @ */
bool tk_freeze_by_ok(const char *s);

/*
 * Parses "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC, no fraction) into *out
 * (seconds since the epoch).  0, or TK_EINVAL with a message.
 */
int tk_freeze_time_parse(int64_t *out, const char *s, size_t len);

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void tk_freeze_time_format(char out[21], int64_t t);

/* True when f is in force at now. */
bool tk_freeze_active(const struct tk_freeze *f, int64_t now);

/*
 * Parses the freeze file format (docs/freezes.md, "The freeze file"):
 * strictly, bounded by TK_FREEZE_FILE_MAX and TK_FREEZE_MAX_ADHOC.
 * 0 with *out filled (release it), or TK_EINVAL / TK_ETOOBIG with a
 * message naming the line; TK_ENOMEM.
 */
int tk_freeze_parse(struct tk_freeze_list *out, const char *data, size_t len);

/* Appends l in the freeze file format to out.  0 or a buffer error. */
int tk_freeze_format(struct tk_buf *out, const struct tk_freeze_list *l);

/*
 * Checks a new ad hoc freeze's fields (as from the command line) and
 * fills f (release it with tk_freeze_release, also on failure).  until may be
 * TK_FREEZE_OPEN.  0, or TK_EINVAL with a message saying which field is wrong.
 */
int tk_freeze_new(struct tk_freeze *f, const char *name, const char *refs,
    const char *reason, const char *by, int64_t from, int64_t until);

/* Where ad hoc freezes are kept (file or database). */
struct tk_freeze_store;

/*
 * Opens the store policy p names: the audit database when
 * audit.postgres is set, else the freeze file (freeze-file:, default
 * TWOKEY_FREEZE_FILE).  Nothing is read yet.  0 or TK_ENOMEM.
 */
int tk_freeze_store_open(
    struct tk_freeze_store **out, const struct tk_policy *p);

/* Opens the file backend on path directly (tests, tools). */
int tk_freeze_store_open_file(struct tk_freeze_store **out, const char *path);

/* What the store is, for messages: "freeze file '/x'" or similar. */
const char *tk_freeze_store_name(const struct tk_freeze_store *s);

/*
 * Reads every ad hoc freeze, in force or not.  A store that was never
 * written (no file) holds none.  0 with *out filled, or a negative code
 * with a message (unreadable, corrupt): the caller must fail closed.
 */
int tk_freeze_store_load(struct tk_freeze_store *s, struct tk_freeze_list *out);

/*
 * Adds ad hoc freeze f (its fields are copied), under the store's lock:
 * TK_EINVAL when a freeze of that name is still in force or is planned
 * in policy p, TK_ETOOBIG when TK_FREEZE_MAX_ADHOC are kept.  Freezes
 * whose end passed before now are dropped on the way.
 */
int tk_freeze_store_start(struct tk_freeze_store *s, const struct tk_policy *p,
    const struct tk_freeze *f, int64_t now);

/*
 * Ends ad hoc freeze name at now (NULL: the only one in force; TK_EINVAL
 * when several are), under the store's lock; its record is removed.
 * TK_ENOTFOUND when no such freeze is in force.  *stopped (caller frees)
 * is the name stopped.
 */
int tk_freeze_store_stop(
    struct tk_freeze_store *s, const char *name, int64_t now, char **stopped);

void tk_freeze_store_free(struct tk_freeze_store *s);

/*
 * Reads the ad hoc freezes policy p's store holds into *st for a hook: a
 * store error becomes st->status (message kept in tk_error_last()), not
 * a return code.  Returns 0 or TK_ENOMEM.
 */
int tk_freeze_state_load(struct tk_freeze_state *st, const struct tk_policy *p);

void tk_freeze_state_release(struct tk_freeze_state *st);

#endif
