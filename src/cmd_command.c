/*
 * cmd_command.c: COMMAND, COMMAND COUNT, COMMAND INFO, COMMAND DOCS and
 * COMMAND LIST, all generated from the command table.
 */
#include "commands.h"

#define COMMAND_FLAG_NAMES_MAX 16u

struct flag_name {
    uint32_t flag;
    const char *name;
};

static const struct flag_name flag_names[] = {
    { CMD_WRITE, "write" },       { CMD_READONLY, "readonly" }, { CMD_DENYOOM, "denyoom" },
    { CMD_ADMIN, "admin" },       { CMD_PUBSUB, "pubsub" },     { CMD_NOSCRIPT, "noscript" },
    { CMD_BLOCKING, "blocking" }, { CMD_LOADING, "loading" },   { CMD_STALE, "stale" },
    { CMD_SKIP_SLOWLOG, "skip_slowlog" },
    { CMD_FAST, "fast" },         { CMD_NOAUTH, "no_auth" },    { CMD_NO_MULTI, "no_multi" },
    { CMD_ALLOW_BUSY, "allow_busy" },
};

#define COMMAND_CATEGORY_COUNT_MAX 16u

/* The command's ACL categories, from the space-separated list in commands.def. */
static void command_reply_categories(struct client *client, const struct command *command) {
    const char *cursor = command->categories;
    struct slice words[COMMAND_CATEGORY_COUNT_MAX];
    uint32_t count = 0;
    while (*cursor != 0 && count < COMMAND_CATEGORY_COUNT_MAX) {
        const char *end = strchr(cursor, ' ');
        uint32_t size = end == NULL ? (uint32_t)strlen(cursor) : (uint32_t)(end - cursor);
        words[count++] = (struct slice){ .ptr = (const uint8_t *)cursor, .size = size };
        cursor += size;
        cursor += *cursor == ' ' ? 1 : 0;
    }
    ASSERT(*cursor == 0);
    reply_set(&client->reply, count);
    for (uint32_t index = 0; index < count; index++) {
        reply_raw(&client->reply, "+", 1);
        reply_raw(&client->reply, words[index].ptr, words[index].size);
        reply_raw(&client->reply, "\r\n", 2);
    }
}

static void command_reply_info(struct client *client, const struct command *command) {
    uint32_t flag_count = 0;
    for (uint32_t index = 0; index < ARRAY_COUNT(flag_names); index++) {
        flag_count += (command->flags & flag_names[index].flag) ? 1u : 0u;
    }
    ASSERT(flag_count <= COMMAND_FLAG_NAMES_MAX);
    reply_array(&client->reply, 10);
    reply_bulk_cstr(&client->reply, command->name);
    reply_integer(&client->reply, command->arity);
    reply_set(&client->reply, flag_count);
    for (uint32_t index = 0; index < ARRAY_COUNT(flag_names); index++) {
        if (command->flags & flag_names[index].flag) {
            reply_simple(&client->reply, flag_names[index].name);
        }
    }
    reply_integer(&client->reply, command->first_key);
    reply_integer(&client->reply, command->last_key);
    reply_integer(&client->reply, command->key_step);
    command_reply_categories(client, command);
    /* Tips, key specifications, subcommands: empty sets (*0 in RESP2, ~0 in RESP3). */
    reply_set(&client->reply, 0); /* tips */
    reply_set(&client->reply, 0); /* key specifications */
    reply_set(&client->reply, 0); /* subcommands */
}

static void command_reply_docs(struct client *client, const struct command *command) {
    reply_bulk_cstr(&client->reply, command->name);
    reply_map(&client->reply, 3);
    reply_bulk_cstr(&client->reply, "summary");
    reply_bulk_cstr(&client->reply, command->summary);
    reply_bulk_cstr(&client->reply, "since");
    reply_bulk_cstr(&client->reply, command->since);
    reply_bulk_cstr(&client->reply, "group");
    reply_bulk_cstr(&client->reply, command->group);
}

static void command_info(struct client *client, bool docs) {
    uint32_t total = commands_count();
    if (client->argv.count == 2) {
        if (docs) {
            reply_map(&client->reply, total);
        } else {
            reply_array(&client->reply, total);
        }
        for (uint32_t index = 0; index < total; index++) {
            if (docs) {
                command_reply_docs(client, commands_get(index));
            } else {
                command_reply_info(client, commands_get(index));
            }
        }
        return;
    }
    uint32_t found = 0;
    for (uint32_t index = 2; index < client->argv.count; index++) {
        found += commands_lookup(client_arg(client, index)) != NULL ? 1u : 0u;
    }
    if (docs) {
        reply_map(&client->reply, found);
    } else {
        reply_array(&client->reply, client->argv.count - 2);
    }
    for (uint32_t index = 2; index < client->argv.count; index++) {
        const struct command *command = commands_lookup(client_arg(client, index));
        if (command == NULL) {
            if (!docs) {
                reply_null(&client->reply); /* Redis's addReplyNull: $-1 (not *-1) */
            }
        } else if (docs) {
            command_reply_docs(client, command);
        } else {
            command_reply_info(client, command);
        }
    }
}

void cmd_command(struct client *client) {
    if (client->argv.count == 1) {
        client->argv.count = 2; /* COMMAND alone is COMMAND INFO of everything. */
        command_info(client, false);
        client->argv.count = 1;
        return;
    }
    struct slice sub = client_arg(client, 1);
    if (slice_equal_nocase(sub, "count")) {
        if (client->argv.count != 2) {
            command_reply_arity(client, "command|count");
            return;
        }
        reply_integer(&client->reply, commands_count());
    } else if (slice_equal_nocase(sub, "info")) {
        command_info(client, false);
    } else if (slice_equal_nocase(sub, "docs")) {
        command_info(client, true);
    } else if (slice_equal_nocase(sub, "list")) {
        reply_array(&client->reply, commands_count());
        for (uint32_t index = 0; index < commands_count(); index++) {
            reply_bulk_cstr(&client->reply, commands_get(index)->name);
        }
    } else {
        reply_errorf(&client->reply, "ERR unknown subcommand '%.*s'. Try COMMAND HELP.",
                     (int)MIN(sub.size, 128u), (const char *)sub.ptr);
    }
}
