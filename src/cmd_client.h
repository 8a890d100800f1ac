/*
 * cmd_client.h: client management (CLIENT, RESET, MONITOR, WAIT) and the
 * hooks conn.c and commands.c call for it.
 *
 * Hooks (each is one line at its call site):
 *   conn.c      clientcmd_client_open / clientcmd_client_release (fields, the
 *               monitor list, the count of paused commands);
 *               clientcmd_reply_after_command (CLIENT REPLY SKIP/OFF);
 *               clientcmd_pause_timeout (the pause deadline in the loop's wait);
 *   commands.c  clientcmd_may_run (a monitor may not touch keys; CLIENT PAUSE
 *               holds a command), clientcmd_monitor_feed (after a command ran,
 *               only while a monitor exists).
 */
#pragma once

#include "base.h"

struct client;
struct command;

/* client->reply_flags: Redis's CLIENT_REPLY_OFF, _SKIP and _SKIP_NEXT. */
#define CLIENTCMD_REPLY_OFF 1u
#define CLIENTCMD_REPLY_SKIP 2u
#define CLIENTCMD_REPLY_SKIP_NEXT 4u

/* server.pause_type: Redis's pause_type (a later pause never lowers it). */
enum clientcmd_pause {
    CLIENTCMD_PAUSE_NONE = 0,
    CLIENTCMD_PAUSE_WRITE,
    CLIENTCMD_PAUSE_ALL,
};

void clientcmd_client_open(struct client *client);
void clientcmd_client_release(struct client *client);
void clientcmd_reply_after_command(struct client *client);

/*
 * The loop's wait bounded by the pause deadline; ends a pause that is due
 * (its held clients are queued to run their command).
 */
int64_t clientcmd_pause_timeout(int64_t timeout_ms);

/* False when the command must not run now: refused (error written) or held by
 * CLIENT PAUSE (client->postponed set, nothing written). */
bool clientcmd_may_run(struct client *client, const struct command *command);

/* Sends the command that just ran to every MONITOR client (Redis's format).
 * arguments[0, kept) replace argv's first ones (a handler may adopt a big
 * argument); bit i of redacted_mask shows argument i as "(redacted)". */
void clientcmd_monitor_feed(const struct client *client, uint32_t acl_id,
                            const struct slice *arguments, uint32_t kept,
                            uint32_t redacted_mask);

/* A held command is about to run again (conn.c). */
void clientcmd_resume(struct client *client);

/* Clients whose command waits for the end of a pause (INFO blocked_clients). */
uint32_t clientcmd_postponed_count(void);

/* CLIENT SETNAME's rules for a name: true and set, or false with the error written. */
bool clientcmd_set_name(struct client *client, struct slice name);
