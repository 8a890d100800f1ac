/*
 * cmd_acl.c: placeholder handler, replaced by the real implementation.
 */
#include "commands.h"

void cmd_acl(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}
