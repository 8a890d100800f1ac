/*
 * cmd_set.c: placeholder handlers, replaced by the real implementation.
 */
#include "commands.h"

void cmd_sadd(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_srem(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_sismember(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_smismember(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_smembers(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_scard(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_spop(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_srandmember(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_smove(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_sinter(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_sintercard(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_sinterstore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_sunion(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_sunionstore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_sdiff(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_sdiffstore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_sscan(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}
