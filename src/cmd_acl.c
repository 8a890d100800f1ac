/*
 * cmd_acl.c: the ACL command (Redis 7.0.15's replies and errors): SETUSER,
 * GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, DRYRUN and HELP. The
 * users and rules themselves live in acl.c.
 *
 * LOAD and SAVE answer what Redis answers without an ACL file (keel has none).
 * LOG shows the ACL log (acl.c keeps it) in Redis 7.0.15's format: seven
 * fields per entry (7.2 added entry-id and the timestamps).
 *
 * Descriptions (ACL LIST lines, GETUSER's fields) are produced twice through
 * an acl_text sink: once to count the bytes, once into the reply behind the
 * bulk header, so no buffer bounds them.
 */
#include "commands.h"

#include <sys/random.h>

#define GENPASS_BITS_DEFAULT 256
#define GENPASS_BITS_MAX 4096
#define SHOWN_SIZE_MAX 128u

static const char ERROR_ACL_FILE[] =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
    "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
    "Redis configuration file set) in order to store users in the Redis configuration.";

/* How much of an argument Redis's "%s" shows: up to the first NUL. */
static int shown_size(struct slice text) {
    const uint8_t *nul = text.size == 0 ? NULL : memchr(text.ptr, 0, text.size);
    return nul == NULL ? (int)text.size : (int)(nul - text.ptr);
}

/* ==== Text replies (counted, then written behind the bulk header) ==== */

enum text_part { TEXT_USER_LINE, TEXT_COMMANDS, TEXT_KEYS, TEXT_CHANNELS };

static void text_part_write(const struct acl_user *user, const struct acl_rules *rules,
                            enum text_part part, struct acl_text *text) {
    switch (part) {
    case TEXT_USER_LINE:
        acl_text_user(&server.acl, user, rules, text);
        break;
    case TEXT_COMMANDS:
        acl_text_rules(&server.acl, rules, text);
        break;
    case TEXT_KEYS:
        acl_text_keys(user, text);
        break;
    case TEXT_CHANNELS:
        acl_text_channels(user, text);
        break;
    }
}

static void reply_text_part(struct client *client, const struct acl_user *user,
                            const struct acl_rules *rules, enum text_part part) {
    struct acl_text counter = { .reply = NULL, .buffer = NULL, .capacity = 0, .size = 0 };
    text_part_write(user, rules, part, &counter);
    reply_bulk_header(&client->reply, counter.size);
    struct acl_text writer = { .reply = &client->reply, .buffer = NULL, .capacity = 0,
                               .size = 0 };
    text_part_write(user, rules, part, &writer);
    ASSERT(writer.size == counter.size);
    reply_bulk_trailer(&client->reply);
}

/* ==== SETUSER, DELUSER, GETUSER, LIST, USERS, WHOAMI ==== */

static void acl_setuser_command(struct client *client) {
    struct acl_setuser_result result = { ACL_ID_NONE, NULL };
    const struct slice *rules = &client->argv.items[3];
    struct slice name = client_arg(client, 2);
    enum acl_setuser_status status =
        acl_setuser(&server.acl, name, rules, client->argv.count - 3, &result);
    struct slice rule = result.rule_index == ACL_ID_NONE ? name : rules[result.rule_index];
    switch (status) {
    case ACL_SETUSER_OK:
        reply_ok(&client->reply);
        break;
    case ACL_SETUSER_BAD_NAME:
        reply_error(&client->reply, "ERR Usernames can't contain spaces or null characters");
        break;
    case ACL_SETUSER_LONG_NAME:
        reply_errorf(&client->reply, "ERR Usernames can't be longer than %u bytes in keel",
                     ACL_USER_NAME_SIZE_MAX);
        break;
    case ACL_SETUSER_UNMATCHED:
        reply_errorf(&client->reply, "ERR Unmatched parenthesis in acl selector starting at "
                     "'%.*s'.", shown_size(rule), (const char *)rule.ptr);
        break;
    case ACL_SETUSER_BAD_RULE:
        reply_errorf(&client->reply, "ERR Error in ACL SETUSER modifier '%.*s': %s",
                     shown_size(rule), (const char *)rule.ptr, result.error);
        break;
    case ACL_SETUSER_FULL:
        reply_errorf(&client->reply, "ERR No room for another ACL user (acl-users-max is %u)",
                     server.acl.user_max);
        break;
    }
}

static void acl_deluser_command(struct client *client) {
    for (uint32_t index = 2; index < client->argv.count; index++) {
        if (slice_equal(client_arg(client, index), slice_from_cstr("default"))) {
            reply_error(&client->reply, "ERR The 'default' user cannot be removed");
            return;
        }
    }
    int64_t deleted = 0;
    for (uint32_t index = 2; index < client->argv.count; index++) {
        deleted += acl_deluser(&server.acl, client_arg(client, index), client) ? 1 : 0;
    }
    reply_integer(&client->reply, deleted);
}

static void reply_user_flags(struct client *client, const struct acl_user *user) {
    const char *flags[4];
    uint32_t count = 0;
    flags[count++] = user->enabled ? "on" : "off";
    if (user->nopass) {
        flags[count++] = "nopass";
    }
    if (user->sanitize == ACL_SANITIZE_SKIP) {
        flags[count++] = "skip-sanitize-payload";
    } else if (user->sanitize == ACL_SANITIZE_PAYLOAD) {
        flags[count++] = "sanitize-payload";
    }
    ASSERT(count <= ARRAY_COUNT(flags));
    reply_set(&client->reply, count);
    for (uint32_t index = 0; index < count; index++) {
        reply_bulk_cstr(&client->reply, flags[index]);
    }
}

static void acl_getuser_command(struct client *client) {
    const struct acl_user *user = acl_user_find(&server.acl, client_arg(client, 2));
    if (user == NULL) {
        reply_null(&client->reply);
        return;
    }
    struct acl_rules rules;
    acl_describe_commands(&server.acl, user, &rules);
    reply_map(&client->reply, 6);
    reply_bulk_cstr(&client->reply, "flags");
    reply_user_flags(client, user);
    reply_bulk_cstr(&client->reply, "passwords");
    reply_array(&client->reply, user->password_count);
    for (uint32_t index = 0; index < user->password_count; index++) {
        char hash[ACL_HASH_TEXT_SIZE];
        acl_hash_text(user->passwords[index], hash);
        reply_bulk(&client->reply, hash, sizeof(hash));
    }
    reply_bulk_cstr(&client->reply, "commands");
    reply_text_part(client, user, &rules, TEXT_COMMANDS);
    reply_bulk_cstr(&client->reply, "keys");
    reply_text_part(client, user, &rules, TEXT_KEYS);
    reply_bulk_cstr(&client->reply, "channels");
    reply_text_part(client, user, &rules, TEXT_CHANNELS);
    reply_bulk_cstr(&client->reply, "selectors");
    reply_empty_array(&client->reply);
}

/* ACL LIST (the configuration-file lines) or ACL USERS (the names), in name order. */
static void acl_list_command(struct client *client, bool names_only) {
    reply_array(&client->reply, server.acl.user_count);
    for (uint32_t index = 0; index < server.acl.user_count; index++) {
        const struct acl_user *user = acl_user_at(&server.acl, index);
        if (names_only) {
            reply_bulk(&client->reply, user->name, user->name_size);
            continue;
        }
        struct acl_rules rules;
        acl_describe_commands(&server.acl, user, &rules);
        reply_text_part(client, user, &rules, TEXT_USER_LINE);
    }
}

/* ==== CAT, GENPASS, DRYRUN, HELP ==== */

static void acl_cat_command(struct client *client) {
    if (client->argv.count == 2) {
        reply_array(&client->reply, ACL_CATEGORY_COUNT);
        for (uint32_t category = 0; category < ACL_CATEGORY_COUNT; category++) {
            reply_bulk_cstr(&client->reply, acl_category_name(category));
        }
        return;
    }
    struct slice name = client_arg(client, 2);
    uint32_t category = acl_category_find(name);
    if (category == ACL_CATEGORY_COUNT) {
        reply_errorf(&client->reply, "ERR Unknown category '%.*s'",
                     MIN(shown_size(name), (int)SHOWN_SIZE_MAX), (const char *)name.ptr);
        return;
    }
    const struct acl *acl = &server.acl;
    uint32_t count = 0;
    for (uint32_t id = 0; id < acl->id_count; id++) {
        count += (acl->entries[id].categories >> category) & 1u;
    }
    reply_array(&client->reply, count);
    /* Each command, then its subcommands (as Redis walks them). */
    for (uint32_t id = 0; id < acl->command_count; id++) {
        const struct acl_entry *entry = &acl->entries[id];
        for (uint32_t step = 0; step <= entry->sub_count; step++) {
            uint32_t target = step == 0 ? id : entry->sub_first + step - 1;
            if ((acl->entries[target].categories >> category) & 1u) {
                char text[ACL_ID_NAME_SIZE_MAX];
                acl_id_name(acl, target, text, sizeof(text));
                reply_bulk_cstr(&client->reply, text);
            }
        }
    }
}

static void acl_genpass_command(struct client *client) {
    int64_t bits = GENPASS_BITS_DEFAULT;
    if (client->argv.count == 3 && !argument_int64_or_reply(client, client_arg(client, 2), &bits)) {
        return;
    }
    if (bits <= 0 || bits > GENPASS_BITS_MAX) {
        reply_errorf(&client->reply, "ERR ACL GENPASS argument must be the number of bits for "
                     "the output password, a positive number up to %d", GENPASS_BITS_MAX);
        return;
    }
    uint32_t chars = (uint32_t)(bits + 3) / 4;
    uint8_t random_bytes[GENPASS_BITS_MAX / 8];
    uint32_t byte_count = (chars + 1) / 2;
    ssize_t got = getrandom(random_bytes, byte_count, 0);
    ASSERT(got == (ssize_t)byte_count);
    static const char digits[] = "0123456789abcdef";
    char text[GENPASS_BITS_MAX / 4];
    for (uint32_t index = 0; index < chars; index++) {
        uint8_t byte = random_bytes[index / 2];
        text[index] = digits[index % 2 == 0 ? byte >> 4 : byte & 0xf];
    }
    reply_bulk(&client->reply, text, chars);
}

/* A bulk string "<prefix><middle><suffix>" (the middle binary-safe up to a NUL, as %s). */
static void reply_bulk_three(struct client *client, const char *prefix, struct slice middle,
                             const char *suffix) {
    uint32_t middle_size = (uint32_t)shown_size(middle);
    reply_bulk_header(&client->reply, strlen(prefix) + middle_size + strlen(suffix));
    reply_raw(&client->reply, prefix, strlen(prefix));
    reply_raw(&client->reply, middle.ptr, middle_size);
    reply_raw(&client->reply, suffix, strlen(suffix));
    reply_bulk_trailer(&client->reply);
}

static void acl_dryrun_command(struct client *client) {
    struct slice user_name = client_arg(client, 2);
    struct slice command_name = client_arg(client, 3);
    const struct acl_user *user = acl_user_find(&server.acl, user_name);
    if (user == NULL) {
        reply_errorf(&client->reply, "ERR User '%.*s' not found", shown_size(user_name),
                     (const char *)user_name.ptr);
        return;
    }
    const struct slice *argv = &client->argv.items[3];
    uint32_t argc = client->argv.count - 3;
    const struct command *command = commands_lookup(command_name);
    bool known = command != NULL;
    uint32_t id = known ? acl_resolve(&server.acl, command, argv, argc, &known) : 0;
    if (!known) {
        reply_errorf(&client->reply, "ERR Command '%.*s' not found", shown_size(command_name),
                     (const char *)command_name.ptr);
        return;
    }
    char name[ACL_ID_NAME_SIZE_MAX];
    acl_id_name(&server.acl, id, name, sizeof(name));
    if (!acl_arity_ok(&server.acl, id, argc)) {
        command_reply_arity(client, name);
        return;
    }
    uint32_t key_index = 0;
    switch (acl_check(&server.acl, user, id, argv, argc, &key_index)) {
    case ACL_ALLOWED:
        reply_ok(&client->reply);
        break;
    case ACL_DENIED_COMMAND:
        reply_bulk_three(client, "This user has no permissions to run the '",
                         slice_from_cstr(name), "' command");
        break;
    case ACL_DENIED_KEY:
        reply_bulk_three(client, "This user has no permissions to access the '",
                         argv[key_index], "' key");
        break;
    }
}

/* ==== LOG ==== */

static void reply_log_text(struct client *client, const struct acl_log_text *text) {
    reply_bulk(&client->reply, text->bytes, text->kept_size);
}

static void reply_log_entry(struct client *client, const struct acl_log_entry *entry,
                            int64_t now_ms) {
    reply_map(&client->reply, 7);
    reply_bulk_cstr(&client->reply, "count");
    reply_integer(&client->reply, (int64_t)entry->count);
    reply_bulk_cstr(&client->reply, "reason");
    reply_bulk_cstr(&client->reply, acl_log_reason_name(entry->reason));
    reply_bulk_cstr(&client->reply, "context");
    reply_bulk_cstr(&client->reply, acl_log_context_name(entry->context));
    reply_bulk_cstr(&client->reply, "object");
    reply_log_text(client, &entry->object);
    reply_bulk_cstr(&client->reply, "username");
    reply_log_text(client, &entry->username);
    reply_bulk_cstr(&client->reply, "age-seconds");
    reply_double(&client->reply, (double)(now_ms - entry->updated_ms) / 1000);
    reply_bulk_cstr(&client->reply, "client-info");
    reply_bulk(&client->reply, entry->client_info, entry->client_info_size);
}

/* ACL LOG [<count> | RESET]: the newest entries first, 10 without a count. */
static void acl_log_command(struct client *client) {
    int64_t count = ACL_LOG_REPLY_DEFAULT;
    if (client->argv.count == 3) {
        struct slice argument = client_arg(client, 2);
        if (slice_equal_nocase(argument, "reset")) {
            acl_log_reset(&server.acl);
            reply_ok(&client->reply);
            return;
        }
        if (!argument_int64_or_reply(client, argument, &count)) {
            return;
        }
        count = MAX(count, 0);
    }
    uint32_t shown = (uint32_t)MIN((uint64_t)count, (uint64_t)server.acl.log.count);
    reply_array(&client->reply, shown);
    int64_t now_ms = clock_now_ms();
    for (uint32_t position = 0; position < shown; position++) {
        reply_log_entry(client, acl_log_at(&server.acl, position), now_ms);
    }
}

static void acl_help_command(struct client *client) {
    static const char *const lines[] = {
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        ("    Returns whether the user can execute the given command without executing the "
         "command."),
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    };
    reply_array(&client->reply, ARRAY_COUNT(lines));
    for (uint32_t index = 0; index < ARRAY_COUNT(lines); index++) {
        reply_simple(&client->reply, lines[index]);
    }
}

/* ==== Dispatch ==== */

/* The subcommands with an argument count they accept (dispatch checked the
 * table's arity; CAT, GENPASS and LOG also have an upper bound). */
static bool acl_run_subcommand(struct client *client, struct slice sub, uint32_t argc) {
    if (slice_equal_nocase(sub, "setuser") && argc >= 3) {
        acl_setuser_command(client);
    } else if (slice_equal_nocase(sub, "deluser") && argc >= 3) {
        acl_deluser_command(client);
    } else if (slice_equal_nocase(sub, "getuser") && argc == 3) {
        acl_getuser_command(client);
    } else if ((slice_equal_nocase(sub, "list") || slice_equal_nocase(sub, "users")) &&
               argc == 2) {
        acl_list_command(client, slice_equal_nocase(sub, "users"));
    } else if (slice_equal_nocase(sub, "whoami") && argc == 2) {
        const struct acl_user *user = acl_client_user(&server.acl, client);
        reply_bulk(&client->reply, user->name, user->name_size);
    } else if (slice_equal_nocase(sub, "load") || slice_equal_nocase(sub, "save")) {
        reply_error(&client->reply, ERROR_ACL_FILE);
    } else if (slice_equal_nocase(sub, "cat") && argc <= 3) {
        acl_cat_command(client);
    } else if (slice_equal_nocase(sub, "genpass") && argc <= 3) {
        acl_genpass_command(client);
    } else if (slice_equal_nocase(sub, "log") && argc <= 3) {
        acl_log_command(client);
    } else if (slice_equal_nocase(sub, "dryrun") && argc >= 4) {
        acl_dryrun_command(client);
    } else if (slice_equal_nocase(sub, "help") && argc == 2) {
        acl_help_command(client);
    } else {
        return false;
    }
    return true;
}

void cmd_acl(struct client *client) {
    ASSERT(client->argv.count >= 2);
    struct slice sub = client_arg(client, 1);
    if (acl_run_subcommand(client, sub, client->argv.count)) {
        return;
    }
    /* Unknown subcommands never get here: dispatch answers them (as Redis does). */
    reply_errorf(&client->reply, "ERR unknown subcommand or wrong number of arguments for "
                 "'%.*s'. Try ACL HELP.", MIN(shown_size(sub), (int)SHOWN_SIZE_MAX),
                 (const char *)sub.ptr);
}
