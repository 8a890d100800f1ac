/*
 * cmd_debug.c: DEBUG, Redis 7.0.15's test command, for what keel has.
 *
 * Allowed only as enable-debug-command says (no by default; immutable):
 * debug_command_allowed. Subcommands, matched case-insensitively with Redis's
 * argument counts (anything else, or a wrong count, answers Redis's
 * "unknown subcommand or wrong number of arguments for '<sub>'"):
 *
 *   ASSERT, PANIC      abort the process (SIGABRT) with a message and file:line
 *                      on stderr: ASSERT through a real failing ASSERT.
 *   SEGFAULT           a real SIGSEGV: a write to read-only memory.
 *   SLEEP <seconds>    blocks the whole server (strtod, as Redis: text that is
 *                      not a number sleeps 0 s).
 *   SET-ACTIVE-EXPIRE <0|1>   turns the cron's active expiry off / on (atoi).
 *   ERROR <string>     replies -<string> (CR and LF become spaces), written
 *                      raw: not counted in errorstats nor failed_calls, as Redis.
 *   LOG <message>      "DEBUG LOG: <message>" at warning level.
 *   PROTOCOL <type>    Redis's test values in the client's protocol.
 *   POPULATE <count> [<prefix>] [<size>]   string keys <prefix>:<n> holding
 *                      value:<n> (zero-padded or cut to <size>); existing keys
 *                      are skipped.
 *
 * Not built (they need persistence, replication or Redis's internals):
 * DIGEST, DIGEST-VALUE, OBJECT, SDSLEN, RELOAD, LOADAOF, RESTART,
 * CRASH-AND-RECOVER, OOM, JMAP, LISTPACK, QUICKLIST, HTSTATS, STRUCTSIZE, ...
 *
 * Limits: POPULATE's count is the client's, up to LONG_MAX; its loop does O(1)
 * work plus the value's bytes per key, every turn allocates or skips an
 * existing key, and it ends at count, at the first allocation that fails
 * (-OOM; the keys made so far stay: DEBUG is a test tool, and Redis would
 * abort) or once key names are cut to Redis's 127 bytes (nothing new can
 * follow). Text arguments read as C strings (SLEEP, SET-ACTIVE-EXPIRE) are
 * copied up to their first NUL byte into DEBUG_TEXT_SIZE_MAX bytes on the stack.
 */
#include "cmd_debug.h"

#include "acl.h"
#include "commands.h"
#include "db.h"
#include "heap.h"
#include "index.h"
#include "item.h"

#include <inttypes.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Bytes of a number's text that SLEEP and SET-ACTIVE-EXPIRE look at (strtod, atoi). */
#define DEBUG_TEXT_SIZE_MAX 256u
/* Redis formats POPULATE's key and value into a 128-byte buffer (longer keys are cut). */
#define DEBUG_POPULATE_NAME_SIZE 128u
/* Redis quotes at most 128 bytes of an unknown subcommand. */
#define DEBUG_SUBCOMMAND_SHOWN_MAX 128u
/* Bytes of a LOG message kept (server_log's line is 1 KiB). */
#define DEBUG_LOG_SHOWN_MAX 1024u
/* ERROR's text is written in pieces of this size (CR/LF mapped on the way). */
#define DEBUG_ERROR_PIECE_SIZE 4096u

STATIC_ASSERT(DEBUG_TEXT_SIZE_MAX >= 64u, "a number's text fits");
STATIC_ASSERT(DEBUG_POPULATE_NAME_SIZE > 21u + 1u, "a key has room for the number");

const char ERROR_DEBUG_NOT_ALLOWED[] =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
    "you can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";

/* ==== Who may run DEBUG ==== */

/* A loopback or Unix-domain peer (the rule protected mode applies at accept). */
static bool debug_client_local(const struct client *client) {
    ASSERT(client != NULL);
    struct sockaddr_storage peer;
    socklen_t size = sizeof(peer);
    memset(&peer, 0, sizeof(peer));
    if (getpeername(client->fd, (struct sockaddr *)&peer, &size) != 0) {
        return false; /* no peer address: not local, as in Redis */
    }
    if (peer.ss_family == AF_UNIX) {
        return true;
    }
    return acl_address_loopback(&peer);
}

bool debug_command_allowed(const struct client *client) {
    ASSERT(client != NULL);
    enum protected_action allowed = server.config.enable_debug_command;
    ASSERT(allowed <= PROTECTED_ACTION_LOCAL);
    if (allowed == PROTECTED_ACTION_YES) {
        return true;
    }
    return allowed == PROTECTED_ACTION_LOCAL && debug_client_local(client);
}

/* ==== Helpers ==== */

/* Bytes of `text` before its first NUL byte (Redis reads these arguments as C strings). */
static uint32_t debug_cstr_size(struct slice text) {
    const uint8_t *nul = text.size == 0 ? NULL : memchr(text.ptr, 0, text.size);
    uint32_t size = nul == NULL ? text.size : (uint32_t)(nul - text.ptr);
    ASSERT(size <= text.size);
    return size;
}

/* Redis's addReplySubcommandSyntaxError: the subcommand as typed (to a NUL, 128 bytes). */
static void debug_reply_syntax(struct client *client) {
    ASSERT(client->argv.count >= 2);
    struct slice sub = client_arg(client, 1);
    uint32_t shown = MIN(debug_cstr_size(sub), DEBUG_SUBCOMMAND_SHOWN_MAX);
    reply_errorf(&client->reply, "ERR unknown subcommand or wrong number of arguments for "
                 "'%.*s'. Try DEBUG HELP.", (int)shown, (const char *)sub.ptr);
}

/* Copies `text` up to its first NUL (at most size - 1 bytes) as a C string. */
static void debug_copy_text(struct slice text, char *buffer, uint32_t size) {
    ASSERT(buffer != NULL);
    ASSERT(size > 0);
    uint32_t copied = MIN(debug_cstr_size(text), size - 1);
    if (copied > 0) {
        memcpy(buffer, text.ptr, copied);
    }
    buffer[copied] = 0;
}

/* ==== HELP ==== */

static void debug_help(struct client *client) {
    static const char *const lines[] = {
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ASSERT",
        "    Crash by assertion failed.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "PANIC",
        "    Crash the server simulating a panic.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "SEGFAULT",
        "    Crash the server with sigsegv.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "HELP",
        "    Prints this help.",
    };
    ASSERT(client->argv.count == 2);
    reply_array(&client->reply, ARRAY_COUNT(lines));
    for (uint32_t index = 0; index < ARRAY_COUNT(lines); index++) {
        reply_simple(&client->reply, lines[index]);
    }
}

/* ==== ASSERT, PANIC, SEGFAULT ==== */

/* A real failing ASSERT (Redis: serverAssertWithInfo(c, argv[0], 1 == 2)). */
static void debug_assert(struct client *client) {
    ASSERT(client->argv.count >= 2);
    volatile uint32_t two = 2; /* not a constant: the check stays in the code */
    server_log(LOG_WARNING, "DEBUG ASSERT: failing an assertion on purpose");
    ASSERT(1 == two);
}

/* Redis's serverPanic("DEBUG PANIC called at Unix time %lld"): a message, then abort. */
static _Noreturn void debug_panic(struct client *client) {
    ASSERT(client->argv.count >= 2);
    char message[160];
    int size = snprintf(message, sizeof(message),
                        "keel: panic: DEBUG PANIC called at Unix time %lld at %s:%d\n",
                        (long long)time(NULL), __FILE__, __LINE__);
    ASSERT(size > 0);
    ASSERT((uint32_t)size < sizeof(message));
    ssize_t written = write(STDERR_FILENO, message, (size_t)size);
    (void)written;
    abort();
}

/* Read-only data: writing to it faults, as Redis's write to a PROT_READ page. */
static const uint8_t debug_read_only[64] = { 1 };

static _Noreturn void debug_segfault(struct client *client) {
    ASSERT(client->argv.count >= 2);
    static const char message[] = "keel: DEBUG SEGFAULT: writing to read-only memory\n";
    ssize_t written = write(STDERR_FILENO, message, sizeof(message) - 1);
    (void)written;
    volatile uint8_t *target = (volatile uint8_t *)(uintptr_t)debug_read_only;
    target[0] = 'x';
    raise(SIGSEGV); /* not reached: the write faults */
    abort();
}

/* ==== SLEEP, SET-ACTIVE-EXPIRE, ERROR, LOG ==== */

/* Redis: strtod, then (long long)(seconds * 1e6) microseconds in one nanosleep. */
static void debug_sleep(struct client *client) {
    ASSERT(client->argv.count == 3);
    char text[DEBUG_TEXT_SIZE_MAX];
    debug_copy_text(client_arg(client, 2), text, sizeof(text));
    double micros = strtod(text, NULL) * 1000000.0;
    /* Zero, negative, NaN, or past LLONG_MAX (where Redis's conversion gives LLONG_MIN
     * on x86-64): nanosleep refuses a negative time and Redis answers at once. */
    if (micros >= 1.0 && micros < 9223372036854775808.0) {
        int64_t utime = (int64_t)micros;
        struct timespec delay = { .tv_sec = (time_t)(utime / 1000000),
                                  .tv_nsec = (long)(utime % 1000000) * 1000 };
        nanosleep(&delay, NULL); /* a signal (SIGTERM) ends it early, as in Redis */
    }
    reply_ok(&client->reply);
}

/* Redis: server.active_expire_enabled = atoi(argument). */
static void debug_set_active_expire(struct client *client) {
    ASSERT(client->argv.count == 3);
    char text[DEBUG_TEXT_SIZE_MAX];
    debug_copy_text(client_arg(client, 2), text, sizeof(text));
    long value = strtol(text, NULL, 10); /* glibc's atoi: (int)strtol, the low 32 bits */
    server.active_expire_disabled = (uint32_t)(unsigned long)value == 0;
    reply_ok(&client->reply);
}

/* "-<string>\r\n" with CR and LF as spaces, written raw (Redis's addReplySds). */
static void debug_error(struct client *client) {
    ASSERT(client->argv.count == 3);
    struct slice text = client_arg(client, 2);
    char piece[DEBUG_ERROR_PIECE_SIZE];
    reply_raw(&client->reply, "-", 1);
    /* 64-bit offset: a text of nearly 4 GiB must not wrap it around. */
    for (uint64_t offset = 0; offset < text.size; offset += DEBUG_ERROR_PIECE_SIZE) {
        uint32_t size = (uint32_t)MIN(text.size - offset, (uint64_t)DEBUG_ERROR_PIECE_SIZE);
        for (uint32_t index = 0; index < size; index++) {
            uint8_t byte = text.ptr[offset + index];
            piece[index] = (byte == '\r' || byte == '\n') ? ' ' : (char)byte;
        }
        reply_raw(&client->reply, piece, size);
    }
    reply_raw(&client->reply, "\r\n", 2);
}

/* Redis: serverLog(LL_WARNING, "DEBUG LOG: %s", argument). */
static void debug_log(struct client *client) {
    ASSERT(client->argv.count == 3);
    struct slice text = client_arg(client, 2);
    uint32_t shown = MIN(debug_cstr_size(text), DEBUG_LOG_SHOWN_MAX);
    server_log(LOG_WARNING, "DEBUG LOG: %.*s", (int)shown, (const char *)text.ptr);
    reply_ok(&client->reply);
}

/* ==== PROTOCOL ==== */

enum debug_protocol_type {
    DEBUG_PROTOCOL_STRING = 0,
    DEBUG_PROTOCOL_INTEGER,
    DEBUG_PROTOCOL_DOUBLE,
    DEBUG_PROTOCOL_BIGNUM,
    DEBUG_PROTOCOL_NULL,
    DEBUG_PROTOCOL_ARRAY,
    DEBUG_PROTOCOL_SET,
    DEBUG_PROTOCOL_MAP,
    DEBUG_PROTOCOL_ATTRIB,
    DEBUG_PROTOCOL_PUSH,
    DEBUG_PROTOCOL_VERBATIM,
    DEBUG_PROTOCOL_TRUE,
    DEBUG_PROTOCOL_FALSE,
    DEBUG_PROTOCOL_COUNT,
};

static const char *const debug_protocol_names[DEBUG_PROTOCOL_COUNT] = {
    "string", "integer", "double", "bignum", "null", "array", "set",
    "map", "attrib", "push", "verbatim", "true", "false",
};

/* The attribute (RESP3 only) and the real reply after it, as Redis's DEBUG PROTOCOL attrib. */
static void debug_protocol_attribute(struct client *client) {
    ASSERT(client->argv.count == 3);
    ASSERT(client->reply.protocol == 2 || client->reply.protocol == 3);
    if (client->reply.protocol == 3) {
        reply_raw(&client->reply, "|1\r\n", 4);
        reply_bulk_cstr(&client->reply, "key-popularity");
        reply_array(&client->reply, 2);
        reply_bulk_cstr(&client->reply, "key:123");
        reply_integer(&client->reply, 90);
    }
    reply_bulk_cstr(&client->reply, "Some real reply following the attribute");
}

/* A push, then a real reply (RESP3 only: RESP2 gets Redis's error). */
static void debug_protocol_push(struct client *client) {
    ASSERT(client->argv.count == 3);
    ASSERT(client->reply.protocol == 2 || client->reply.protocol == 3);
    if (client->reply.protocol != 3) {
        reply_error(&client->reply, "ERR RESP2 is not supported by this command");
        return;
    }
    reply_push(&client->reply, 2);
    reply_bulk_cstr(&client->reply, "server-cpu-usage");
    reply_integer(&client->reply, 42);
    reply_bulk_cstr(&client->reply, "Some real reply following the push reply");
}

/* A number too big for an integer: RESP3's `(`, a bulk string in RESP2. */
static void debug_protocol_bignum(struct client *client) {
    static const char digits[] = "1234567999999999999999999999999999999";
    STATIC_ASSERT(sizeof(digits) - 1 == 37, "Redis's 37 digits");
    ASSERT(client->reply.protocol == 2 || client->reply.protocol == 3);
    if (client->reply.protocol == 3) {
        reply_raw(&client->reply, "(", 1);
        reply_raw(&client->reply, digits, sizeof(digits) - 1);
        reply_raw(&client->reply, "\r\n", 2);
    } else {
        reply_bulk(&client->reply, digits, sizeof(digits) - 1);
    }
}

/* Three elements 0, 1, 2 (array, set), or the map 0 => false, 1 => true, 2 => false. */
static void debug_protocol_aggregate(struct client *client, enum debug_protocol_type type) {
    ASSERT(type == DEBUG_PROTOCOL_ARRAY || type == DEBUG_PROTOCOL_SET ||
           type == DEBUG_PROTOCOL_MAP);
    if (type == DEBUG_PROTOCOL_ARRAY) {
        reply_array(&client->reply, 3);
    } else if (type == DEBUG_PROTOCOL_SET) {
        reply_set(&client->reply, 3);
    } else {
        reply_map(&client->reply, 3);
    }
    for (int64_t value = 0; value < 3; value++) {
        reply_integer(&client->reply, value);
        if (type == DEBUG_PROTOCOL_MAP) {
            reply_bool(&client->reply, value == 1);
        }
    }
}

/* The type Redis names `name` (case-insensitive), or DEBUG_PROTOCOL_COUNT. */
static enum debug_protocol_type debug_protocol_lookup(struct slice name) {
    for (uint32_t index = 0; index < DEBUG_PROTOCOL_COUNT; index++) {
        if (slice_equal_nocase(name, debug_protocol_names[index])) {
            return (enum debug_protocol_type)index;
        }
    }
    return DEBUG_PROTOCOL_COUNT;
}

static void debug_protocol(struct client *client) {
    ASSERT(client->argv.count == 3);
    enum debug_protocol_type type = debug_protocol_lookup(client_arg(client, 2));
    ASSERT(type <= DEBUG_PROTOCOL_COUNT);
    switch (type) {
    case DEBUG_PROTOCOL_STRING:
        reply_bulk_cstr(&client->reply, "Hello World");
        break;
    case DEBUG_PROTOCOL_INTEGER:
        reply_integer(&client->reply, 12345);
        break;
    case DEBUG_PROTOCOL_DOUBLE:
        reply_double(&client->reply, 3.141);
        break;
    case DEBUG_PROTOCOL_BIGNUM:
        debug_protocol_bignum(client);
        break;
    case DEBUG_PROTOCOL_NULL:
        reply_null(&client->reply);
        break;
    case DEBUG_PROTOCOL_ARRAY:
    case DEBUG_PROTOCOL_SET:
    case DEBUG_PROTOCOL_MAP:
        debug_protocol_aggregate(client, type);
        break;
    case DEBUG_PROTOCOL_ATTRIB:
        debug_protocol_attribute(client);
        break;
    case DEBUG_PROTOCOL_PUSH:
        debug_protocol_push(client);
        break;
    case DEBUG_PROTOCOL_VERBATIM:
        reply_verbatim(&client->reply, "This is a verbatim\nstring", 25, "txt");
        break;
    case DEBUG_PROTOCOL_TRUE:
    case DEBUG_PROTOCOL_FALSE:
        reply_bool(&client->reply, type == DEBUG_PROTOCOL_TRUE);
        break;
    case DEBUG_PROTOCOL_COUNT:
    default:
        reply_error(&client->reply, "ERR Wrong protocol type name. Please use one of the "
                    "following: string|integer|double|bignum|null|array|set|map|attrib|push|"
                    "verbatim|true|false");
        break;
    }
}

/* ==== POPULATE ==== */

enum debug_populate_outcome { DEBUG_POPULATE_CREATED, DEBUG_POPULATE_SKIPPED, DEBUG_POPULATE_OOM };

/* Redis's getPositiveLongFromObjectOrReply: one error text for "not a number" and "< 0". */
static bool debug_positive_or_reply(struct client *client, uint32_t index, uint64_t *value) {
    ASSERT(index < client->argv.count);
    ASSERT(value != NULL);
    int64_t parsed = 0;
    if (!argument_int64(client_arg(client, index), &parsed) || parsed < 0) {
        reply_error(&client->reply, "ERR value is out of range, must be positive");
        return false;
    }
    *value = (uint64_t)parsed;
    return true;
}

/*
 * The value "value:<n>" (`text`) as a string of `size` bytes: zero bytes after
 * the text or the text cut. An embedded value is built in `scratch` (zeroed by
 * the caller once: the text only grows with n, so every byte past it stays 0);
 * a larger one in its own heap object, which the item adopts.
 */
static struct item *debug_populate_item(struct slice key, struct slice text, uint64_t size,
                                        uint8_t *scratch) {
    ASSERT(scratch != NULL);
    ASSERT(text.size > 0);
    ASSERT(text.size < DEBUG_POPULATE_NAME_SIZE);
    if (size == 0) {
        return item_create_string(&server.heap, key, text, 0, NULL);
    }
    uint32_t copied = (uint32_t)MIN((uint64_t)text.size, size);
    if (size <= ITEM_EMBEDDED_SIZE_MAX) {
        memcpy(scratch, text.ptr, copied);
        struct slice value = { .ptr = scratch, .size = (uint32_t)size };
        return item_create_string(&server.heap, key, value, 0, NULL);
    }
    if (size > CONFIG_BULK_SIZE_MAX) {
        return NULL; /* a keel string's size is 32-bit: no room for it, whatever the heap */
    }
    uint8_t *external = heap_alloc(&server.heap, size);
    if (external == NULL) {
        return NULL;
    }
    memset(external, 0, size);
    memcpy(external, text.ptr, copied);
    struct slice value = { .ptr = external, .size = (uint32_t)size };
    struct item *item = item_create_string(&server.heap, key, value, 0, external);
    if (item == NULL) {
        heap_free(&server.heap, external);
    }
    return item;
}

/*
 * Key number n: "<prefix>:<n>" and "value:<n>", each cut to 127 bytes as Redis's
 * snprintf. *cut says the name was cut: every later number's name is then one the
 * loop has already visited (the prefix alone fills the buffer, or the digits that fit
 * are those of a smaller number), so nothing more can be created.
 */
static enum debug_populate_outcome debug_populate_one(struct client *client, struct slice prefix,
                                                      uint64_t number, uint64_t size,
                                                      uint8_t *scratch, bool *cut) {
    char name[DEBUG_POPULATE_NAME_SIZE];
    char text[DEBUG_POPULATE_NAME_SIZE];
    int name_size = snprintf(name, sizeof(name), "%.*s:%" PRIu64, (int)prefix.size,
                             (const char *)prefix.ptr, number);
    int text_size = snprintf(text, sizeof(text), "value:%" PRIu64, number);
    ASSERT(name_size > 0);
    ASSERT(text_size > 0);
    ASSERT((uint32_t)text_size < sizeof(text));
    *cut = (uint32_t)name_size >= sizeof(name);
    struct slice key = { .ptr = (const uint8_t *)name,
                         .size = (uint32_t)MIN(name_size, (int)sizeof(name) - 1) };
    uint64_t hash = index_hash(key);
    if (command_find_write(client, key, hash) != NULL) {
        return DEBUG_POPULATE_SKIPPED; /* any type, as Redis's lookupKeyWrite */
    }
    if (!db_prepare_insert(client->db, hash)) {
        return DEBUG_POPULATE_OOM;
    }
    struct slice value = { .ptr = (const uint8_t *)text, .size = (uint32_t)text_size };
    struct item *item = debug_populate_item(key, value, size, scratch);
    if (item == NULL) {
        return DEBUG_POPULATE_OOM;
    }
    db_store(&server.keyspace, client->db, item, hash, NULL);
    ASSERT(item_value_size(item) == (size == 0 ? value.size : size));
    return DEBUG_POPULATE_CREATED;
}

static void debug_populate(struct client *client) {
    ASSERT(client->argv.count >= 3);
    ASSERT(client->argv.count <= 5);
    uint64_t count = 0;
    uint64_t size = 0;
    if (!debug_positive_or_reply(client, 2, &count)) {
        return;
    }
    if (client->argv.count == 5 && !debug_positive_or_reply(client, 4, &size)) {
        return;
    }
    struct slice prefix = slice_from_cstr("key");
    if (client->argv.count >= 4) {
        prefix = client_arg(client, 3);
        prefix.size = MIN(debug_cstr_size(prefix), DEBUG_POPULATE_NAME_SIZE); /* %s */
    }
    uint8_t scratch[ITEM_EMBEDDED_SIZE_MAX];
    if (size > 0 && size <= ITEM_EMBEDDED_SIZE_MAX) {
        memset(scratch, 0, size);
    }
    /* Bounded by count (client input), and by memory: each turn is O(1) plus the value's
     * bytes, every name up to the first cut one is new, so a turn either allocates or skips
     * one of the existing keys, and an allocation that fails ends the loop. From the first
     * cut name on, Redis's remaining turns only skip: keel stops there. */
    bool cut = false;
    for (uint64_t number = 0; number < count && !cut; number++) {
        enum debug_populate_outcome outcome =
            debug_populate_one(client, prefix, number, size, scratch, &cut);
        if (outcome == DEBUG_POPULATE_OOM) {
            reply_error(&client->reply, ERROR_OOM); /* the keys made so far stay */
            return;
        }
    }
    reply_ok(&client->reply);
}

/* ==== DEBUG ==== */

struct debug_subcommand {
    const char *name;      /* lower case */
    uint32_t argc_min;     /* Redis's argument counts, DEBUG and the name included */
    uint32_t argc_max;
    void (*run)(struct client *client);
};

/* In Redis's order of tests: HELP first (with exactly 2 arguments). */
static const struct debug_subcommand debug_subcommands[] = {
    { "help", 2, 2, debug_help },
    { "segfault", 2, UINT32_MAX, debug_segfault },
    { "panic", 2, UINT32_MAX, debug_panic },
    { "assert", 2, UINT32_MAX, debug_assert },
    { "log", 3, 3, debug_log },
    { "populate", 3, 5, debug_populate },
    { "protocol", 3, 3, debug_protocol },
    { "sleep", 3, 3, debug_sleep },
    { "set-active-expire", 3, 3, debug_set_active_expire },
    { "error", 3, 3, debug_error },
};

void cmd_debug(struct client *client) {
    ASSERT(client->argv.count >= 2);
    if (!debug_command_allowed(client)) {
        /* Dispatch may refuse it earlier (Redis checks before NOAUTH); this is the floor. */
        reply_error(&client->reply, ERROR_DEBUG_NOT_ALLOWED);
        return;
    }
    struct slice sub = client_arg(client, 1);
    uint32_t argc = client->argv.count;
    for (uint32_t index = 0; index < ARRAY_COUNT(debug_subcommands); index++) {
        const struct debug_subcommand *entry = &debug_subcommands[index];
        if (argc >= entry->argc_min && argc <= entry->argc_max &&
            slice_equal_nocase(sub, entry->name)) {
            entry->run(client);
            return;
        }
    }
    debug_reply_syntax(client);
}
