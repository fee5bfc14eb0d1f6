/*
 * Private to lib/engine.
 */
#ifndef TK_ENGINE_PUSHER_H
#define TK_ENGINE_PUSHER_H

#include "engine.h"

/* The pusher from the environment or the override; fills c->r. */
int tk_check_pusher(struct tk_check *c, const char *override);

/* Refuses because the pusher is unknown; why_needed ends the message. */
int tk_check_unknown_pusher(struct tk_check *c, const char *why_needed);

#endif
