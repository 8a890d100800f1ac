/*
 * cmd_zset.c: placeholder handlers, replaced by the real implementation.
 */
#include "commands.h"

void cmd_zadd(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zrem(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zscore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zmscore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zincrby(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zcard(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zcount(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zlexcount(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zrange(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zrangestore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zrevrange(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zrangebyscore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zrevrangebyscore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zrangebylex(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zrevrangebylex(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zrank(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zrevrank(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zpopmin(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zpopmax(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zmpop(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zrandmember(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zremrangebyrank(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zremrangebyscore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zremrangebylex(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zunion(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zinter(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zdiff(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zunionstore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zinterstore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zdiffstore(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zintercard(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}

void cmd_zscan(struct client *client) {
    reply_error(&client->reply, "ERR not implemented yet");
}
