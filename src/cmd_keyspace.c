/*
 * cmd_keyspace.c: placeholder handlers, replaced by the real implementation.
 */
#include "commands.h"

void cmd_keys(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_scan(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_randomkey(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_rename(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_renamenx(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_copy(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_move(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_swapdb(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_touch(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_object(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_sort(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_sort_ro(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}
