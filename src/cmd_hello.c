/*
 * cmd_hello.c: HELLO [protover [AUTH username password] [SETNAME clientname]].
 *
 * As Redis 7.0.15's helloCommand: the protocol version is checked first
 * (NOPROTO for anything but 2 and 3), then the options run in the order
 * given, each taking effect at once (an AUTH that fails answers WRONGPASS, a
 * SETNAME with a bad name answers its error, an unknown option a syntax
 * error: what earlier options did stays done). Only then must the client be
 * authenticated; the protocol switches and the reply describes the server in
 * the new protocol (a map in RESP3, a flat array in RESP2).
 */
#include "cmd_client.h"
#include "commands.h"

#define HELLO_SERVER_NAME "redis"

static const char ERROR_HELLO_NOAUTH[] =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
    "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
    "the RESP protocol version at the same time";

/* Runs the options from argument `first` on; false once one has replied an error.
 * SETNAME validates and sets the name as CLIENT SETNAME (clientcmd_set_name). */
static bool hello_options(struct client *client, uint32_t first) {
    uint32_t count = client->argv.count;
    ASSERT(first >= 1 && first <= count);
    for (uint32_t index = first; index < count; index++) {
        uint32_t more = count - 1 - index;
        struct slice option = client_arg(client, index);
        if (slice_equal_nocase(option, "auth") && more >= 2) {
            if (!acl_authenticate(&server.acl, client, client_arg(client, index + 1),
                                  client_arg(client, index + 2))) {
                reply_error(&client->reply,
                            "WRONGPASS invalid username-password pair or user is disabled.");
                return false;
            }
            client->output.limit_size = client_output_limit(client);
            index += 2;
        } else if (slice_equal_nocase(option, "setname") && more >= 1) {
            if (!clientcmd_set_name(client, client_arg(client, index + 1))) {
                return false;
            }
            index += 1;
        } else {
            reply_errorf(&client->reply, "ERR Syntax error in HELLO option '%.*s'",
                         (int)MIN(option.size, 256u), option.ptr);
            return false;
        }
    }
    return true;
}

static void hello_field(struct reply *reply, const char *name, const char *value) {
    reply_bulk_cstr(reply, name);
    reply_bulk_cstr(reply, value);
}

void cmd_hello(struct client *client) {
    int64_t version = 0;
    if (client->argv.count >= 2) {
        if (!argument_int64(client_arg(client, 1), &version)) {
            reply_error(&client->reply,
                        "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (version < 2 || version > 3) {
            reply_error(&client->reply, "NOPROTO unsupported protocol version");
            return;
        }
        if (!hello_options(client, 2)) {
            return;
        }
    }
    if (!client->authenticated) {
        reply_error(&client->reply, ERROR_HELLO_NOAUTH);
        return;
    }
    if (version != 0) {
        client->reply.protocol = (uint32_t)version;
    }
    struct reply *reply = &client->reply;
    ASSERT(reply->protocol == 2 || reply->protocol == 3);
    reply_map(reply, 7);
    hello_field(reply, "server", HELLO_SERVER_NAME);
    hello_field(reply, "version", REDIS_COMPATIBLE_VERSION);
    reply_bulk_cstr(reply, "proto");
    reply_integer(reply, (int64_t)reply->protocol);
    reply_bulk_cstr(reply, "id");
    reply_integer(reply, (int64_t)client->id);
    hello_field(reply, "mode", "standalone");
    hello_field(reply, "role", "master");
    reply_bulk_cstr(reply, "modules");
    reply_empty_array(reply);
}

/*
 * Slow log redaction (Redis's redactClientCommandArgument): the user and
 * password of every AUTH option up to the first unknown option. Bit i:
 * argument i, for i below `limit`.
 */
uint32_t hello_redacted_mask(const struct slice *arguments, uint32_t argc, uint32_t limit) {
    ASSERT(arguments != NULL && argc >= 1);
    ASSERT(limit <= 32);
    uint32_t mask = 0;
    for (uint32_t index = 2; index < argc; index++) {
        uint32_t more = argc - 1 - index;
        if (slice_equal_nocase(arguments[index], "auth") && more >= 2) {
            for (uint32_t redacted = index + 1; redacted <= index + 2; redacted++) {
                mask |= redacted < limit ? (uint32_t)1 << redacted : 0;
            }
            index += 2;
        } else if (slice_equal_nocase(arguments[index], "setname") && more >= 1) {
            index += 1;
        } else {
            break;
        }
    }
    return mask;
}
