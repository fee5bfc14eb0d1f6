/*
 * twokey approve, split by concern: choosing and showing the key
 * (approve_key.c), the local and remote notes ref (approve_notes.c), and
 * the command itself (cmd_approve.c).
 */
#ifndef TK_CLI_APPROVE_H
#define TK_CLI_APPROVE_H

#include <git2.h>
#include <stdbool.h>
#include <stdio.h>

#include "internal.h"

struct tk_commit;
struct tk_sshkey;

/* More commits than this in one range: approve it in parts. */
#define APPROVE_MAX_COMMITS 1000
/* Pushes tried before giving up when other reviewers keep winning. */
#define APPROVE_PUSH_TRIES 6

struct approve_key {
	char *file; /* what ssh-keygen -f gets */
	bool agent; /* a literal key: -U, the agent must hold it */
	struct tk_sshkey *pub; /* NULL when unknown before signing */
	char *comment; /* "" when unknown */
};

/* One commit to approve. */
struct approve_target {
	git_oid id;
	struct tk_commit *c;
	struct tk_buf payload; /* its approval payload */
	char *line; /* "Approved-by: ...", once signed */
	bool skip; /* this key already approved it in the local notes */
};

struct approve {
	git_repository *repo;
	char tmpdir[64];
	char *name, *email; /* git's user.name, user.email */
	char *program; /* gpg.ssh.program, else ssh-keygen */
	struct approve_key key;
	struct approve_target *t;
	size_t n;
	const char *remote; /* with --push */
	bool trailer;
};

/*
 * Picks the signing key: opt (-k), else git's user.signingKey, else the
 * key ssh-agent holds when it holds exactly one; with several and no
 * choice, refuses and lists them.  A key is a file (private key, or a
 * public key whose private half the agent holds), a public key line, or
 * "key::" and a line.  0, or -1 with a message printed.
 */
int approve_key_choose(struct approve *a, const char *opt);

/* Prints the key: type, SHA256 fingerprint, comment. */
void approve_key_show(FILE *f, const struct approve_key *k);

void approve_key_release(struct approve_key *k);

/*
 * With --push: fetches the remote's notes ref and fast-forwards the local
 * one to it when the local one is missing or behind, so that what this
 * reviewer adds goes on top.  0, or -1 with a message printed.
 */
int approve_sync(struct approve *a);

/*
 * Adds each signed target's line to its note in the local notes ref, in
 * one new notes commit on top of the current one.  Returns the number of
 * lines added, or -1 with a message printed.
 */
int approve_write_notes(struct approve *a);

/*
 * Pushes the local notes ref to a->remote: fetches and merges the
 * remote's first (git notes merge -s cat_sort_uniq: no line lost), and
 * when another reviewer pushed in between, merges again and retries, up
 * to APPROVE_PUSH_TRIES times.  0, or -1 with a message printed.
 */
int approve_push(struct approve *a);

#endif
