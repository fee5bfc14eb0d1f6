/*
 * Private to lib/freeze: the freeze store's backends.  A backend reads
 * the whole list, and replaces it under a lock that it holds from the
 * read to the write, so two "twokey freeze" commands never lose one
 * another's change.
 */
#ifndef TK_FREEZE_STORE_H
#define TK_FREEZE_STORE_H

#include "internal.h"
#include "twokey/freeze.h"

struct tk_freeze_store;

struct tk_freeze_store_ops {
	/* Reads every record; none when the store was never written. */
	int (*load)(struct tk_freeze_store *s, struct tk_freeze_list *out);
	/*
	 * Takes the lock, reads the list into *cur, calls edit(cur, arg),
	 * and when it returns 0 stores *cur, then drops the lock.  Returns
	 * edit's code or a store error.
	 */
	int (*modify)(struct tk_freeze_store *s,
	    int (*edit)(struct tk_freeze_list *cur, void *arg), void *arg);
	void (*free)(struct tk_freeze_store *s);
};

struct tk_freeze_store {
	const struct tk_freeze_store_ops *ops;
	char *name; /* for messages */
	char *path; /* file backend: the freeze file; db: the conninfo file */
};

/* The file backend on path (file.c). */
int tk_freeze_file_open(struct tk_freeze_store **out, const char *path);
/* The database backend, through twokey-pg (pg.c). */
int tk_freeze_pg_open(struct tk_freeze_store **out, const char *conninfo_file);

#endif
