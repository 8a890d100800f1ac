/*
 * cmd_server.c: connection and server commands: PING, ECHO, QUIT, AUTH,
 * SELECT, DBSIZE, FLUSHDB, FLUSHALL, TIME, SHUTDOWN.
 * (INFO, CONFIG and COMMAND live in cmd_info.c.)
 */
#include "commands.h"

#include <sys/time.h>

void cmd_ping(struct client *client) {
    if (client->argv.count > 2) {
        command_reply_arity(client, "ping");
        return;
    }
    if (pubsub_ping(client)) {
        return; /* RESP2 subscribed mode: ["pong", arg] (src/pubsub.c) */
    }
    if (client->argv.count == 2) {
        reply_bulk_slice(&client->reply, client_arg(client, 1));
    } else {
        reply_simple(&client->reply, "PONG");
    }
}

void cmd_echo(struct client *client) {
    reply_bulk_slice(&client->reply, client_arg(client, 1));
}

void cmd_quit(struct client *client) {
    reply_ok(&client->reply);
    client_close_after_reply(client);
}

/*
 * AUTH <password> (the default user) and AUTH <user> <password>. Every failure
 * answers the same WRONGPASS, and the connection keeps the user it had.
 */
void cmd_auth(struct client *client) {
    if (client->argv.count > 3) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    struct slice name = slice_from_cstr("default");
    struct slice password = client_arg(client, 1);
    if (client->argv.count == 2 && acl_default_nopass(&server.acl)) {
        reply_error(&client->reply, "ERR AUTH <password> called without any password "
                    "configured for the default user. Are you sure your configuration is "
                    "correct?");
        return;
    }
    if (client->argv.count == 3) {
        name = client_arg(client, 1);
        password = client_arg(client, 2);
    }
    if (acl_authenticate(&server.acl, client, name, password)) {
        client->output.limit_size = client_output_limit(client);
        reply_ok(&client->reply);
        return;
    }
    reply_error(&client->reply,
                "WRONGPASS invalid username-password pair or user is disabled.");
}

void cmd_select(struct client *client) {
    int64_t index = 0;
    if (!argument_int64(client_arg(client, 1), &index)) {
        reply_error(&client->reply, ERROR_NOT_INTEGER);
        return;
    }
    if (index < INT32_MIN || index > INT32_MAX) {
        /* Redis reads the index as an int first (sic "must between"). */
        reply_error(&client->reply, "ERR value is out of range, value must between "
                    "-2147483648 and 2147483647");
        return;
    }
    if (index < 0 || index >= (int64_t)server.keyspace.db_count) {
        reply_error(&client->reply, ERROR_DB_INDEX);
        return;
    }
    client->db_index = (uint32_t)index;
    client->db = &server.keyspace.dbs[index];
    reply_ok(&client->reply);
}

void cmd_dbsize(struct client *client) {
    reply_integer(&client->reply, (int64_t)client->db->index.count);
}

/* FLUSHDB / FLUSHALL take an optional ASYNC or SYNC; both run synchronously here. */
static bool flush_mode_ok(struct client *client) {
    if (client->argv.count > 2) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return false;
    }
    if (client->argv.count == 2) {
        struct slice mode = client_arg(client, 1);
        if (!slice_equal_nocase(mode, "async") && !slice_equal_nocase(mode, "sync")) {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
    }
    return true;
}

void cmd_flushdb(struct client *client) {
    if (!flush_mode_ok(client)) {
        return;
    }
    db_flush(&server.keyspace, client->db);
    reply_ok(&client->reply);
}

void cmd_flushall(struct client *client) {
    if (!flush_mode_ok(client)) {
        return;
    }
    for (uint32_t index = 0; index < server.keyspace.db_count; index++) {
        db_flush(&server.keyspace, &server.keyspace.dbs[index]);
    }
    reply_ok(&client->reply);
}

void cmd_time(struct client *client) {
    struct timeval now;
    gettimeofday(&now, NULL);
    reply_array(&client->reply, 2);
    reply_bulk_int64(&client->reply, (int64_t)now.tv_sec);
    reply_bulk_int64(&client->reply, (int64_t)now.tv_usec);
}

void cmd_shutdown(struct client *client) {
    for (uint32_t index = 1; index < client->argv.count; index++) {
        struct slice option = client_arg(client, index);
        if (!slice_equal_nocase(option, "nosave") && !slice_equal_nocase(option, "save") &&
            !slice_equal_nocase(option, "now") && !slice_equal_nocase(option, "force")) {
            if (slice_equal_nocase(option, "abort")) {
                reply_error(&client->reply, "ERR No shutdown in progress.");
            } else {
                reply_error(&client->reply, ERROR_SYNTAX);
            }
            return;
        }
    }
    server_log(LOG_WARNING, "User requested shutdown...");
    server.shutdown_requested = true;
    client_close_now(client);
}
