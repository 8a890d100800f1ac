/*
 * cmd_hash.c: placeholder handlers, replaced by the real implementation.
 */
#include "commands.h"

void cmd_hset(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hsetnx(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hget(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hmget(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hmset(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hdel(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hlen(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hstrlen(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hexists(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hkeys(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hvals(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hgetall(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hincrby(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hincrbyfloat(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hrandfield(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_hscan(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}
