/*
 * twokey-update: the update hook, "REF OLD NEW", or gitolite's VREF call
 * with seven arguments.  Exit 0 accepts this ref, 1 refuses it.
 */
#include "twokey/hook.h"
#include "banned.h" /* last: after every system header */

int
main(int argc, char **argv)
{
	return tk_hook_main(TK_HOOK_UPDATE, argc, argv);
}
