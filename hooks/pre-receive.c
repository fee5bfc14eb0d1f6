/*
 * twokey-pre-receive: the pre-receive hook.  Reads "old new ref" lines on
 * stdin; exit 0 accepts the whole push, 1 refuses it.
 */
#include "twokey/hook.h"
#include "banned.h" /* last: after every system header */

int
main(int argc, char **argv)
{
	return tk_hook_main(TK_HOOK_PRE_RECEIVE, argc, argv);
}
