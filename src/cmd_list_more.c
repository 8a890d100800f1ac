/*
 * cmd_list_more.c: placeholder handlers, replaced by the real implementation.
 */
#include "commands.h"

void cmd_lindex(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_lset(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_linsert(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_lrem(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_ltrim(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_lpos(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_lmove(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_rpoplpush(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_lpushx(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_rpushx(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_lmpop(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}
