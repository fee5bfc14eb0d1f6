/*
 * twokey: the hook programs' whole job, shared by their thin mains.
 */
#ifndef TWOKEY_HOOK_H
#define TWOKEY_HOOK_H

enum tk_hook_kind { TK_HOOK_PRE_RECEIVE, TK_HOOK_UPDATE };

/*
 * Runs a hook: opens the repository (quarantine included), loads the
 * policy, reads the ref updates (stdin for pre-receive, argv for update),
 * decides, prints the findings on stderr and returns the exit status: 0 to
 * accept, 1 to refuse.  Every error refuses, with a message saying so.
 * Once per process, which must then exit: the repository and the policy
 * are left to the exit (see its end).
 */
int tk_hook_main(enum tk_hook_kind kind, int argc, char **argv);

/* The version string, "0.1.0". */
const char *tk_version(void);

#endif
