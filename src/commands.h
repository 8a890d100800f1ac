/*
 * commands.h: the command table and what handlers share.
 *
 * src/commands.def holds one row per command (sorted by name, asserted at
 * init). Dispatch, arity and unknown-command errors, COMMAND's replies and
 * the OOM check are all generated from it. Handlers are thin: they decode
 * client->argv, call db_/heap_/list_ functions and write a reply.
 */
#pragma once

#include "base.h"
#include "server.h"

enum command_flag {
    CMD_WRITE = 1u << 0,
    CMD_READONLY = 1u << 1,
    CMD_DENYOOM = 1u << 2,
    CMD_FAST = 1u << 3,
    CMD_ADMIN = 1u << 4,
    CMD_NOAUTH = 1u << 5,
    CMD_LOADING = 1u << 6,
    CMD_STALE = 1u << 7,
    CMD_NOSCRIPT = 1u << 8,
    CMD_PUBSUB = 1u << 9,
    CMD_BLOCKING = 1u << 10,
    CMD_SENTINEL = 1u << 11,
    CMD_ALLOW_BUSY = 1u << 12,
    CMD_MAY_REPLICATE = 1u << 13,
    CMD_NO_MULTI = 1u << 14,
    CMD_SKIP_SLOWLOG = 1u << 15,
};

typedef void (*command_handler)(struct client *client);

struct command {
    const char *name;
    command_handler handler;
    int32_t arity;            /* negative: at least -arity arguments (name included) */
    uint32_t flags;
    int32_t first_key;
    int32_t last_key;         /* -1: the last argument */
    int32_t key_step;
    const char *categories;   /* ACL categories, e.g. "@read @string @fast" */
    const char *group;        /* COMMAND DOCS group: string, list, keyspace, server, ... */
    const char *since;
    const char *summary;
    uint64_t calls;
};

/* Declarations of every handler named in commands.def. */
#define COMMAND(name, handler, arity, flags, first, last, step, categories, group, since, \
                summary) \
    void handler(struct client *client);
#include "commands.def"
#undef COMMAND

void commands_init(void);
uint32_t commands_count(void);
struct command *commands_get(uint32_t index);
struct command *commands_lookup(struct slice name);

/* Runs the parsed command in client->argv (arity, auth, OOM checks, then the handler). */
void commands_dispatch(struct client *client);

/* ==== Shared error texts (Redis 7's, byte for byte) ==== */
extern const char ERROR_SYNTAX[];
extern const char ERROR_WRONGTYPE[];
extern const char ERROR_NOT_INTEGER[];
extern const char ERROR_NOT_FLOAT[];
extern const char ERROR_OOM[];
extern const char ERROR_OVERFLOW[];
extern const char ERROR_NOAUTH[];
extern const char ERROR_NOPERM_KEYS[];
extern const char ERROR_OUT_OF_RANGE_POSITIVE[];
extern const char ERROR_DB_INDEX[];
extern const char ERROR_STRING_TOO_LONG[];
extern const char ERROR_INVALID_CURSOR[];

/* ==== Argument helpers for handlers ==== */

/* Parses an int64 as Redis's getLongLongFromObject (strict); false if not one. */
bool argument_int64(struct slice text, int64_t *value);
/* Parses a double as Redis's getLongDoubleFromObject / strtod rules; false if not one. */
bool argument_double(struct slice text, double *value);
/*
 * Parses a SCAN-family cursor as Redis's parseScanCursorOrReply (strtoul, base
 * 10): no leading space, an optional sign ("-n" wraps), digits, and nothing
 * after them but a NUL byte; no digits reads as 0, valid only for an empty text
 * (or one starting with NUL); overflow is invalid.
 */
bool argument_cursor(struct slice text, uint64_t *cursor);

/* Replies ERROR_NOT_INTEGER on failure. */
bool argument_int64_or_reply(struct client *client, struct slice text, int64_t *value);

/* Looks up a key for reading in the client's db (lazy expiry; counts hits and misses).
 * Computes the key's hash into *hash. */
struct item *command_find(struct client *client, struct slice key, uint64_t *hash);

/*
 * Looks up a key for writing: lazy expiry, no hit/miss counting (Redis's
 * lookupKeyWrite). `hash` is index_hash(key), computed by the caller.
 */
struct item *command_find_write(struct client *client, struct slice key, uint64_t hash);

/* Replies WRONGTYPE and returns false unless item is NULL or of `type`. */
bool command_check_type(struct client *client, const struct item *item, uint8_t type);

/* Replies the wrong-number-of-arguments error for a subcommand, e.g. "config|get". */
void command_reply_arity(struct client *client, const char *full_name);

/* HELLO's slow-log redaction: AUTH user and password (cmd_hello.c). */
uint32_t hello_redacted_mask(const struct slice *arguments, uint32_t argc, uint32_t limit);
