/*
 * cmd_debug.h: DEBUG (src/cmd_debug.c), Redis 7.0's test command, and the
 * enable-debug-command rule dispatch can apply before anything else.
 */
#pragma once

#include "base.h"

struct client;

/* Redis 7.0.15's text when enable-debug-command does not let this client run DEBUG. */
extern const char ERROR_DEBUG_NOT_ALLOWED[];

/*
 * Redis's allowProtectedAction(enable-debug-command): `yes` allows every
 * client, `local` only loopback peers (127.0.0.0/8 and ::1, as protected mode
 * decides: acl_address_loopback) and Unix-domain ones, `no` nobody.
 */
bool debug_command_allowed(const struct client *client);
