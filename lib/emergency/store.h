/*
 * Private to lib/emergency: where the state of emergencies is kept,
 * behind one interface (include/twokey/emergency.h says what the state
 * is and how the hooks use it).
 *
 * A store keeps one state: the whole list of emergencies, replaced as a
 * whole under an exclusive lock.  file.c is the file store
 * (<audit.path>.emergencies, its lock <audit.path>.emergencies.lock);
 * pg.c the database store (audit.postgres: several server nodes,
 * docs/postgres.md).  Both implement the same five operations:
 *   lock    take the exclusive lock that serializes every writer (a
 *           transaction holding a row or advisory lock, for a database);
 *           held until unlock
 *   unlock  release it (commit, for a database); never fails
 *   read    the state as text (tk_emergency_state_format's format); a
 *           missing state is "" with 0; anything unreadable a negative
 *           code with a message.  Called with or without the lock (a
 *           database reads one consistent snapshot either way)
 *   write   replace the state with text, durably, before returning 0;
 *           only under the lock; on failure the old state stays whole
 *   free    close; unlocks first when still locked
 * The text (not rows) crosses the interface so that one parser decides
 * what a valid state is, whatever keeps it.
 */
#ifndef TK_EMERGENCY_STORE_H
#define TK_EMERGENCY_STORE_H

#include "internal.h"
#include "twokey/emergency.h"

struct tk_emergency_store_ops {
	int (*lock)(struct tk_emergency_store *s);
	void (*unlock)(struct tk_emergency_store *s);
	int (*read)(struct tk_emergency_store *s, struct tk_buf *text);
	int (*write)(struct tk_emergency_store *s, const struct tk_buf *text);
	void (*free)(struct tk_emergency_store *s);
};

struct tk_emergency_store {
	const struct tk_emergency_store_ops *ops;
	const char *where; /* for messages; owned by the store */
	/*
	 * Writes become durable only with the audit record appended next
	 * (the database: one transaction), and unlock without one takes them
	 * back; else (the file) write is durable at once.
	 */
	bool with_record;
};

/*
 * The file store at path (the state file; path + ".lock" its lock).
 * 0 with *out, or TK_ENOMEM.
 */
int tk_emergency_file_store(struct tk_emergency_store **out, const char *path);

/*
 * The database store, through twokey-pg, for the connection file conn
 * (audit.postgres).  0 with *out, or TK_ENOMEM.
 */
int tk_emergency_pg_store(struct tk_emergency_store **out, const char *conn);

#endif
