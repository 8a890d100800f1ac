/*
 * cmd_keys.c: the keyspace commands: DEL, UNLINK, EXISTS, TYPE, the EXPIRE
 * family (EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX/XX/GT/LT), TTL, PTTL,
 * EXPIRETIME, PEXPIRETIME and PERSIST.
 *
 * Replies follow Redis 7.0 byte for byte. Invariants:
 * - A key's expiry is part of its item's layout (item.h), so setting or
 *   removing one builds a new item (item_with_expire) and swaps it in with
 *   db_store, which frees the old item and keeps db->expires_count right.
 *   When the heap has no room for the copy the reply is -OOM and nothing
 *   changed.
 * - A stored expiry is always in the future: an expiry at or before now
 *   deletes the key instead (Redis's checkAlreadyExpired), and lookups delete
 *   keys whose time has passed. So stored expiry times are > 0, and 0 can
 *   mean "none" in item_with_expire.
 * - Times are int64 milliseconds; every conversion is checked for overflow
 *   before it is made, as Redis does, and answered with its error text.
 *
 * UNLINK frees synchronously: with a bounded heap there is no background
 * thread to hand values to, and the reply is the same.
 */
#include "commands.h"

#include "db.h"
#include "index.h"
#include "item.h"
#include "multi.h"

/* The option bits of the EXPIRE family, as Redis's EXPIRE_NX... */
enum expire_flag {
    EXPIRE_FLAG_NX = 1u << 0,
    EXPIRE_FLAG_XX = 1u << 1,
    EXPIRE_FLAG_GT = 1u << 2,
    EXPIRE_FLAG_LT = 1u << 3,
};

/* The time an EXPIRE argument counts from. */
enum expire_base { EXPIRE_BASE_NOW = 0, EXPIRE_BASE_EPOCH = 1 };
enum expire_unit { EXPIRE_UNIT_SECONDS = 0, EXPIRE_UNIT_MILLISECONDS = 1 };

#define EXPIRE_NO_TTL ((int64_t)-1)   /* getExpire's answer for a key without one */
#define TTL_NO_KEY ((int64_t)-2)

/* Formats are macros so that the compiler checks their arguments. */
#define ERROR_EXPIRE_TIME_FORMAT "ERR invalid expire time in '%s' command"
#define ERROR_UNSUPPORTED_OPTION_FORMAT "ERR Unsupported option %.*s"
static const char ERROR_EXPIRE_NX[] =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
static const char ERROR_EXPIRE_GT_LT[] =
    "ERR GT and LT options at the same time are not compatible";

/* ==== DEL, UNLINK, EXISTS, TYPE ==== */

/* Deletes every key named in argv[1..] and replies how many existed. */
static void keys_delete(struct client *client) {
    ASSERT(client->argv.count >= 2);
    ASSERT(client->db != NULL);
    int64_t deleted_count = 0;
    for (uint32_t index = 1; index < client->argv.count; index++) {
        struct slice key = client_arg(client, index);
        uint64_t hash = index_hash(key);
        struct item *item = command_find_write(client, key, hash);
        if (item != NULL) {
            db_delete(&server.keyspace, client->db, item, hash);
            deleted_count++;
        }
    }
    ASSERT(deleted_count < (int64_t)client->argv.count);
    reply_integer(&client->reply, deleted_count);
}

void cmd_del(struct client *client) {
    ASSERT(client->argv.count >= 2); /* arity in commands.def */
    keys_delete(client);
}

void cmd_unlink(struct client *client) {
    ASSERT(client->argv.count >= 2); /* arity in commands.def */
    keys_delete(client);
}

void cmd_exists(struct client *client) {
    ASSERT(client->argv.count >= 2);
    int64_t found_count = 0;
    /* A key named twice is counted twice, as in Redis. */
    for (uint32_t index = 1; index < client->argv.count; index++) {
        struct slice key = client_arg(client, index);
        uint64_t hash = index_hash(key);
        if (command_find(client, key, &hash) != NULL) {
            found_count++;
        }
    }
    ASSERT(found_count < (int64_t)client->argv.count);
    reply_integer(&client->reply, found_count);
}

void cmd_type(struct client *client) {
    ASSERT(client->argv.count == 2);
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    const struct item *item = command_find(client, key, &hash);
    reply_simple(&client->reply, item == NULL ? "none" : item_type_name(item));
}

/* ==== EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT ==== */

/*
 * Redis compares options with strcasecmp on the argument as a C string, so
 * an argument is read up to its first NUL byte (in matching and in the error).
 */
static struct slice option_cstr(struct slice text) {
    const uint8_t *nul = text.size > 0 ? memchr(text.ptr, 0, text.size) : NULL;
    if (nul != NULL) {
        text.size = (uint32_t)(nul - text.ptr);
    }
    return text;
}

/* Parses argv[3..] into EXPIRE_FLAG_* bits (parseExtendedExpireArgumentsOrReply). */
static bool expire_parse_flags(struct client *client, uint32_t *flags) {
    ASSERT(client->argv.count >= 3);
    ASSERT(*flags == 0);
    for (uint32_t index = 3; index < client->argv.count; index++) {
        struct slice option = option_cstr(client_arg(client, index));
        if (slice_equal_nocase(option, "nx")) {
            *flags |= EXPIRE_FLAG_NX;
        } else if (slice_equal_nocase(option, "xx")) {
            *flags |= EXPIRE_FLAG_XX;
        } else if (slice_equal_nocase(option, "gt")) {
            *flags |= EXPIRE_FLAG_GT;
        } else if (slice_equal_nocase(option, "lt")) {
            *flags |= EXPIRE_FLAG_LT;
        } else {
            const char *text = option.size > 0 ? (const char *)option.ptr : "";
            reply_errorf(&client->reply, ERROR_UNSUPPORTED_OPTION_FORMAT, (int)option.size,
                         text);
            return false;
        }
    }
    uint32_t not_with_nx = EXPIRE_FLAG_XX | EXPIRE_FLAG_GT | EXPIRE_FLAG_LT;
    if ((*flags & EXPIRE_FLAG_NX) && (*flags & not_with_nx)) {
        reply_error(&client->reply, ERROR_EXPIRE_NX);
        return false;
    }
    if ((*flags & EXPIRE_FLAG_GT) && (*flags & EXPIRE_FLAG_LT)) {
        reply_error(&client->reply, ERROR_EXPIRE_GT_LT);
        return false;
    }
    return true;
}

/*
 * Turns the time argument into an absolute time in milliseconds, refusing
 * what would overflow int64 (the conversion, then the addition of the base).
 * The result may be negative: a time in the past.
 */
static bool expire_parse_time(struct client *client, const char *name, int64_t base_ms,
                              enum expire_unit unit, int64_t *when_ms) {
    ASSERT(base_ms >= 0);
    ASSERT(name != NULL);
    int64_t when = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &when)) {
        return false;
    }
    if (unit == EXPIRE_UNIT_SECONDS) {
        if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) {
            reply_errorf(&client->reply, ERROR_EXPIRE_TIME_FORMAT, name);
            return false;
        }
        when *= 1000;
    }
    if (when > INT64_MAX - base_ms) {
        reply_errorf(&client->reply, ERROR_EXPIRE_TIME_FORMAT, name);
        return false;
    }
    *when_ms = when + base_ms;
    return true;
}

/* True when the NX/XX/GT/LT conditions allow setting `when_ms` on a key. */
static bool expire_flags_allow(uint32_t flags, int64_t current_ms, int64_t when_ms) {
    ASSERT(current_ms == EXPIRE_NO_TTL || current_ms > 0);
    ASSERT(!((flags & EXPIRE_FLAG_GT) && (flags & EXPIRE_FLAG_LT)));
    if ((flags & EXPIRE_FLAG_NX) && current_ms != EXPIRE_NO_TTL) {
        return false;
    }
    if ((flags & EXPIRE_FLAG_XX) && current_ms == EXPIRE_NO_TTL) {
        return false;
    }
    /* A key without a TTL counts as an infinite one: GT never passes, LT always does. */
    if ((flags & EXPIRE_FLAG_GT) && (current_ms == EXPIRE_NO_TTL || when_ms <= current_ms)) {
        return false;
    }
    if ((flags & EXPIRE_FLAG_LT) && current_ms != EXPIRE_NO_TTL && when_ms >= current_ms) {
        return false;
    }
    return true;
}

/* Replaces item with a copy whose expiry is expire_at_ms (0: none); false on -OOM. */
static bool expire_store(struct client *client, struct item *item, uint64_t hash,
                         int64_t expire_at_ms) {
    ASSERT(item != NULL);
    ASSERT(expire_at_ms >= 0);
    struct item *changed = item_with_expire(&server.heap, item, expire_at_ms);
    if (changed == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return false;
    }
    ASSERT(item_expire_at_ms(changed) == expire_at_ms);
    db_store(&server.keyspace, client->db, changed, hash, item);
    return true;
}

/* expireGenericCommand: options, then the time, then the key. */
static void expire_command(struct client *client, const char *name, enum expire_base base,
                           enum expire_unit unit) {
    ASSERT(client->argv.count >= 3);
    ASSERT(server.keyspace.now_ms > 0);
    uint32_t flags = 0;
    if (!expire_parse_flags(client, &flags)) {
        return;
    }
    int64_t base_ms = base == EXPIRE_BASE_NOW ? server.keyspace.now_ms : 0;
    int64_t when_ms = 0;
    if (!expire_parse_time(client, name, base_ms, unit, &when_ms)) {
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL) {
        reply_integer(&client->reply, 0);
        return;
    }
    int64_t current_ms = item_has_expire(item) ? item_expire_at_ms(item) : EXPIRE_NO_TTL;
    if (!expire_flags_allow(flags, current_ms, when_ms)) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (when_ms <= server.keyspace.now_ms) {
        /* Already expired: the key goes now, and the command still answers 1. */
        db_delete(&server.keyspace, client->db, item, hash);
        reply_integer(&client->reply, 1);
        return;
    }
    if (expire_store(client, item, hash, when_ms)) {
        reply_integer(&client->reply, 1);
    }
}

void cmd_expire(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    expire_command(client, "expire", EXPIRE_BASE_NOW, EXPIRE_UNIT_SECONDS);
}

void cmd_pexpire(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    expire_command(client, "pexpire", EXPIRE_BASE_NOW, EXPIRE_UNIT_MILLISECONDS);
}

void cmd_expireat(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    expire_command(client, "expireat", EXPIRE_BASE_EPOCH, EXPIRE_UNIT_SECONDS);
}

void cmd_pexpireat(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    expire_command(client, "pexpireat", EXPIRE_BASE_EPOCH, EXPIRE_UNIT_MILLISECONDS);
}

/* ==== TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST ==== */

/* Milliseconds to seconds rounded to nearest, (ms + 500) / 1000 without overflowing. */
static int64_t milliseconds_to_seconds_rounded(int64_t milliseconds) {
    ASSERT(milliseconds >= 0);
    int64_t seconds = milliseconds / 1000 + (milliseconds % 1000 >= 500 ? 1 : 0);
    ASSERT(seconds >= 0);
    return seconds;
}

/* ttlGenericCommand: -2 without the key, -1 without a TTL, else the TTL or the time. */
static void ttl_command(struct client *client, enum expire_unit unit, bool absolute) {
    ASSERT(client->argv.count == 2);
    ASSERT(server.keyspace.now_ms > 0);
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    const struct item *item = command_find(client, key, &hash);
    if (item == NULL) {
        reply_integer(&client->reply, TTL_NO_KEY);
        return;
    }
    if (!item_has_expire(item)) {
        reply_integer(&client->reply, EXPIRE_NO_TTL);
        return;
    }
    int64_t expire_at_ms = item_expire_at_ms(item);
    ASSERT(expire_at_ms > 0);
    int64_t value_ms = absolute ? expire_at_ms : expire_at_ms - server.keyspace.now_ms;
    if (value_ms < 0) {
        value_ms = 0;
    }
    if (unit == EXPIRE_UNIT_SECONDS) {
        value_ms = milliseconds_to_seconds_rounded(value_ms);
    }
    reply_integer(&client->reply, value_ms);
}

void cmd_ttl(struct client *client) {
    ASSERT(client->argv.count == 2); /* arity in commands.def */
    ttl_command(client, EXPIRE_UNIT_SECONDS, false);
}

void cmd_pttl(struct client *client) {
    ASSERT(client->argv.count == 2); /* arity in commands.def */
    ttl_command(client, EXPIRE_UNIT_MILLISECONDS, false);
}

void cmd_expiretime(struct client *client) {
    ASSERT(client->argv.count == 2); /* arity in commands.def */
    ttl_command(client, EXPIRE_UNIT_SECONDS, true);
}

void cmd_pexpiretime(struct client *client) {
    ASSERT(client->argv.count == 2); /* arity in commands.def */
    ttl_command(client, EXPIRE_UNIT_MILLISECONDS, true);
}

void cmd_persist(struct client *client) {
    ASSERT(client->argv.count == 2);
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL || !item_has_expire(item)) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (expire_store(client, item, hash, 0)) {
        reply_integer(&client->reply, 1);
    }
}
