/*
 * cmd_bitmap.c: placeholder handlers, replaced by the real implementation.
 */
#include "commands.h"

void cmd_setbit(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_getbit(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_bitcount(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_bitpos(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_bitop(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_bitfield(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_bitfield_ro(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}
