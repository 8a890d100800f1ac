/*
 * cmd_multi.c: MULTI, EXEC, DISCARD, WATCH and UNWATCH (Redis 7.0's replies).
 * The state and the queue live in multi.c; dispatch (commands.c) queues the
 * commands sent between MULTI and EXEC.
 */
#include "commands.h"
#include "multi.h"

static const char ERROR_WATCH_FULL[] =
    "ERR too many watched keys: the watched-keys-max pool (or the input pool) is full";

void cmd_multi(struct client *client) {
    ASSERT(client->argv.count == 1);
    if (client->multi_flags & MULTI_ACTIVE) {
        reply_error(&client->reply, "ERR MULTI calls can not be nested");
        return;
    }
    ASSERT(client->multi_count == 0);
    client->multi_flags |= MULTI_ACTIVE;
    reply_ok(&client->reply);
}

void cmd_exec(struct client *client) {
    ASSERT(client->argv.count == 1);
    if ((client->multi_flags & MULTI_ACTIVE) == 0) {
        reply_error(&client->reply, "ERR EXEC without MULTI");
        return;
    }
    if (multi_watched_key_expired(client)) {
        client->multi_flags |= MULTI_DIRTY_CAS;
    }
    if (client->multi_flags & MULTI_DIRTY_EXEC) {
        reply_error(&client->reply,
                    "EXECABORT Transaction discarded because of previous errors.");
        multi_discard(client);
        return;
    }
    if (client->multi_flags & MULTI_DIRTY_CAS) {
        reply_null_array(&client->reply);
        multi_discard(client);
        return;
    }
    multi_exec_queued(client);
    ASSERT(client->multi_flags == 0);
}

void cmd_discard(struct client *client) {
    ASSERT(client->argv.count == 1);
    if ((client->multi_flags & MULTI_ACTIVE) == 0) {
        reply_error(&client->reply, "ERR DISCARD without MULTI");
        return;
    }
    multi_discard(client);
    reply_ok(&client->reply);
}

void cmd_watch(struct client *client) {
    ASSERT(client->argv.count >= 2);
    if (client->multi_flags & MULTI_ACTIVE) {
        reply_error(&client->reply, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    if (client->multi_flags & MULTI_DIRTY_CAS) {
        reply_ok(&client->reply); /* as Redis: no point watching more, EXEC will fail */
        return;
    }
    if (!multi_watch_arguments(client)) {
        reply_error(&client->reply, ERROR_WATCH_FULL);
        return;
    }
    reply_ok(&client->reply);
}

void cmd_unwatch(struct client *client) {
    ASSERT(client->argv.count == 1);
    multi_unwatch_all(client);
    client->multi_flags &= ~MULTI_DIRTY_CAS;
    reply_ok(&client->reply);
}
