/*
 * cmd_string.c: the string commands (GET, SET and its variants, MGET/MSET,
 * INCR family, INCRBYFLOAT, APPEND, GETRANGE/SETRANGE, GETEX/GETDEL, STRLEN).
 *
 * Replies and error texts are Redis 7.0's, byte for byte, including the order
 * in which arguments are validated (it decides which error a bad command gets).
 *
 * Invariants:
 * - A command that answers an error, -OOM included, leaves the dataset as it
 *   found it: every allocation happens before the first change, and a reply
 *   that quotes an old value is written before the old item is released.
 *   One exception: MSET/MSETNX make every item first, but the index may still
 *   fail to grow for a new key midway (db.h reserves room for one insert at a
 *   time); the pairs before it stay stored.
 * - A string is INT (canonical int64), EMBEDDED (<= ITEM_EMBEDDED_SIZE_MAX
 *   bytes, in the item) or EXTERNAL (a separate heap object whose capacity is
 *   heap_usable_size). Only values longer than ITEM_EMBEDDED_SIZE_MAX are built
 *   or adopted as EXTERNAL here.
 * - A big argument (a heap object the connection allocated, outside the input
 *   buffer) becomes a value without a copy: the item adopts it and the argument
 *   slot is cleared so the connection does not free it.
 *
 * Limits: values are capped by proto-max-bulk-len (itself <= UINT32_MAX);
 * INCRBYFLOAT parses at most NUMBER_LONG_DOUBLE_TEXT_SIZE_MAX - 1 bytes, as Redis
 * (src/number.c, shared with HINCRBYFLOAT).
 */
#include "commands.h"

#include "db.h"
#include "heap.h"
#include "index.h"
#include "item.h"
#include "multi.h"
#include "number.h"
#include "reply.h"
#include "server.h"

#include <math.h>
#include <stdint.h>

/* Bytes for an int64 in decimal, sign included, and a spare. */
#define STRING_DIGITS_SIZE 24u
/* Growth slack for values rebuilt by APPEND/SETRANGE: at most this much beyond 2x. */
#define STRING_SLACK_SIZE_MAX MIB

STATIC_ASSERT(NUMBER_LONG_DOUBLE_TEXT_SIZE_MAX <= ITEM_EMBEDDED_SIZE_MAX,
              "a formatted float fits the scratch buffer");

static const char ERROR_OFFSET_RANGE[] = "ERR offset is out of range";
static const char ERROR_DECREMENT_OVERFLOW[] = "ERR decrement would overflow";
static const char ERROR_NAN_OR_INFINITY[] = "ERR increment would produce NaN or Infinity";

/*
 * Scratch for values up to ITEM_EMBEDDED_SIZE_MAX being rebuilt, and for float
 * texts. The server is single-threaded and no handler nests, so one suffices.
 */
static uint8_t string_scratch[ITEM_EMBEDDED_SIZE_MAX];

/* ==== Options of SET and GETEX (Redis's parseExtendedStringArgumentsOrReply) ==== */

enum string_flag {
    STRING_NX = 1u << 0,
    STRING_XX = 1u << 1,
    STRING_EX = 1u << 2,
    STRING_PX = 1u << 3,
    STRING_KEEPTTL = 1u << 4,
    STRING_GET = 1u << 5,
    STRING_EXAT = 1u << 6,
    STRING_PXAT = 1u << 7,
    STRING_PERSIST = 1u << 8,
};

#define STRING_EXPIRE_FLAGS (STRING_EX | STRING_PX | STRING_EXAT | STRING_PXAT)

struct string_options {
    uint32_t flags;
    uint32_t expire_index; /* argument holding the expire value; 0 when none */
};

/*
 * One option: the flags it sets and the flags that may not be set with it.
 * Mirrors Redis: repeating an option is allowed (EX 1 EX 2: the last wins).
 */
struct string_option {
    const char *name;
    uint32_t flag;
    uint32_t conflicts;
    bool set_only;
    bool get_only;
    bool takes_value;
};

static const struct string_option string_option_table[] = {
    { "nx", STRING_NX, STRING_XX, true, false, false },
    { "xx", STRING_XX, STRING_NX, true, false, false },
    { "get", STRING_GET, 0, true, false, false },
    { "keepttl", STRING_KEEPTTL, STRING_PERSIST | STRING_EXPIRE_FLAGS, true, false, false },
    { "persist", STRING_PERSIST, STRING_KEEPTTL | STRING_EXPIRE_FLAGS, false, true, false },
    { "ex", STRING_EX, STRING_KEEPTTL | STRING_PERSIST | STRING_EXAT | STRING_PX | STRING_PXAT,
      false, false, true },
    { "px", STRING_PX, STRING_KEEPTTL | STRING_PERSIST | STRING_EX | STRING_EXAT | STRING_PXAT,
      false, false, true },
    { "exat", STRING_EXAT, STRING_KEEPTTL | STRING_PERSIST | STRING_EX | STRING_PX | STRING_PXAT,
      false, false, true },
    { "pxat", STRING_PXAT, STRING_KEEPTTL | STRING_PERSIST | STRING_EX | STRING_EXAT | STRING_PX,
      false, false, true },
};

/* Parses options from argument first_index on; replies "syntax error" and returns false. */
static bool string_options_parse(struct client *client, uint32_t first_index, bool is_set,
                                 struct string_options *options) {
    ASSERT(first_index >= 2);
    ASSERT(options != NULL);
    options->flags = 0;
    options->expire_index = 0;
    uint32_t count = client->argv.count;
    for (uint32_t index = first_index; index < count; index++) {
        struct slice option = client_arg(client, index);
        const struct string_option *match = NULL;
        for (uint32_t entry = 0; entry < ARRAY_COUNT(string_option_table); entry++) {
            if (slice_equal_nocase(option, string_option_table[entry].name)) {
                match = &string_option_table[entry];
                break;
            }
        }
        bool valid = match != NULL && (options->flags & match->conflicts) == 0 &&
                     !(match->set_only && !is_set) && !(match->get_only && is_set) &&
                     !(match->takes_value && index + 1 == count);
        if (!valid) {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
        options->flags |= match->flag;
        if (match->takes_value) {
            index++;
            options->expire_index = index;
        }
    }
    if (options->expire_index != 0) {
        ASSERT((options->flags & STRING_EXPIRE_FLAGS) != 0);
    }
    return true;
}

/*
 * Converts an expire argument to an absolute time in ms (Redis's
 * getExpireMillisecondsOrReply): EX/PX are relative, EXAT/PXAT absolute.
 */
static bool string_expire_parse(struct client *client, struct slice text, uint32_t flags,
                                const char *command_name, int64_t *expire_at_ms) {
    ASSERT((flags & STRING_EXPIRE_FLAGS) != 0);
    ASSERT(server.keyspace.now_ms > 0);
    int64_t value = 0;
    if (!argument_int64_or_reply(client, text, &value)) {
        return false;
    }
    bool seconds = (flags & (STRING_EX | STRING_EXAT)) != 0;
    bool relative = (flags & (STRING_EX | STRING_PX)) != 0;
    bool invalid = value <= 0 || (seconds && value > INT64_MAX / 1000);
    if (!invalid && seconds) {
        value *= 1000;
    }
    if (!invalid && relative) {
        invalid = value > INT64_MAX - server.keyspace.now_ms;
        value = invalid ? value : value + server.keyspace.now_ms;
    }
    if (invalid) {
        reply_errorf(&client->reply, "ERR invalid expire time in '%s' command", command_name);
        return false;
    }
    *expire_at_ms = value;
    return true;
}

/* ==== Helpers ==== */

static void reply_string_item(struct client *client, const struct item *item) {
    ASSERT(item != NULL);
    ASSERT(item->type == ITEM_STRING);
    if (item->encoding == ITEM_ENCODING_INT) {
        reply_bulk_int64(&client->reply, item_int(item));
        return;
    }
    char digits[STRING_DIGITS_SIZE];
    reply_bulk_slice(&client->reply, item_string(item, digits));
}

static void reply_string_or_null(struct client *client, const struct item *item) {
    ASSERT(client != NULL);
    if (item == NULL) {
        reply_null(&client->reply);
    } else {
        reply_string_item(client, item);
    }
}

static uint32_t string_size(const struct item *item) {
    ASSERT(item->type == ITEM_STRING);
    char digits[STRING_DIGITS_SIZE];
    struct slice value = item_string(item, digits);
    ASSERT(value.size == item_value_size(item));
    return value.size;
}

/*
 * True when argument `index` is a heap object the connection allocated for a
 * big argument (exactly its size requested), which an item may adopt. Only
 * values that would be EXTERNAL anyway are adopted.
 */
static bool argument_adoptable(const struct client *client, uint32_t index) {
    struct slice argument = client_arg(client, index);
    if (argument.size <= ITEM_EMBEDDED_SIZE_MAX || !client_arg_owned(client, index)) {
        return false;
    }
    ASSERT(heap_contains(&server.heap, argument.ptr));
    ASSERT(heap_usable_size(&server.heap, argument.ptr) >= argument.size);
    return true;
}

/* A string item for `key` whose value is argument value_index, adopted when big. */
static struct item *string_create_from_argument(struct client *client, struct slice key,
                                                uint32_t value_index, int64_t expire_at_ms) {
    ASSERT(expire_at_ms >= 0);
    ASSERT(value_index >= 2);
    struct slice value = client_arg(client, value_index);
    uint8_t *external = NULL;
    if (argument_adoptable(client, value_index)) {
        external = (uint8_t *)(uintptr_t)value.ptr;
    }
    struct item *item = item_create_string(&server.heap, key, value, expire_at_ms, external);
    if (item != NULL) {
        ASSERT(item_value_size(item) == value.size);
    }
    return item;
}

/* True when `item` owns argument value_index's object (it adopted the big argument). */
static bool string_owns_argument(const struct client *client, const struct item *item,
                                 uint32_t value_index) {
    ASSERT(item != NULL);
    struct slice value = client_arg(client, value_index);
    return item->encoding == ITEM_ENCODING_EXTERNAL && value.ptr != NULL &&
           item_external(item) == value.ptr;
}

/* After `item` was stored: an adopted argument is no longer the connection's to free. */
static void string_settle_argument(struct client *client, const struct item *item,
                                   uint32_t value_index) {
    ASSERT(item != NULL);
    if (string_owns_argument(client, item, value_index)) {
        client->argv.items[value_index].ptr = NULL;
    }
    ASSERT(!string_owns_argument(client, item, value_index));
}

/* Releases an item that was never stored; an adopted argument stays the connection's. */
static void string_discard(struct client *client, struct item *item, uint32_t value_index) {
    ASSERT(item != NULL);
    if (string_owns_argument(client, item, value_index)) {
        heap_free(&server.heap, item);
    } else {
        item_free(&server.heap, item);
    }
}

/*
 * Stores `value` (copied) for `key` with an expiry, replacing old_item (or
 * inserting when NULL). Returns the stored item; NULL, with nothing changed,
 * when memory is short.
 */
static struct item *string_store_value(struct client *client, struct slice key, uint64_t hash,
                                       struct item *old_item, struct slice value,
                                       int64_t expire_at_ms) {
    ASSERT(expire_at_ms >= 0);
    if (old_item == NULL && !db_prepare_insert(client->db, hash)) {
        return NULL;
    }
    struct item *item = item_create_string(&server.heap, key, value, expire_at_ms, NULL);
    if (item == NULL) {
        return NULL;
    }
    db_store(&server.keyspace, client->db, item, hash, old_item);
    ASSERT(item_value_size(item) == value.size);
    return item;
}

/* ==== GET, SET and variants ==== */

void cmd_get(struct client *client) {
    ASSERT(client->argv.count == 2);
    struct slice key = client_arg(client, 1);
    uint64_t hash = 0;
    struct item *item = command_find(client, key, &hash);
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    reply_string_or_null(client, item);
}

struct string_set_request {
    uint32_t flags;          /* STRING_NX, STRING_XX, STRING_KEEPTTL, STRING_GET */
    int64_t expire_at_ms;    /* absolute; 0: none */
    uint32_t value_index;
    bool reply_integer;      /* SETNX answers 1/0 instead of OK/nil */
};

/* Redis's setGenericCommand, with every allocation before the first reply byte. */
static void string_set(struct client *client, const struct string_set_request *request) {
    ASSERT(request->value_index >= 2);
    ASSERT(request->expire_at_ms >= 0);
    struct slice key = client_arg(client, 1);
    uint64_t hash = 0;
    struct item *old_item = command_find(client, key, &hash);
    bool get = (request->flags & STRING_GET) != 0;
    if (get && !command_check_type(client, old_item, ITEM_STRING)) {
        return;
    }
    bool found = old_item != NULL;
    if (((request->flags & STRING_NX) && found) || ((request->flags & STRING_XX) && !found)) {
        if (get) {
            reply_string_or_null(client, old_item);
        } else if (request->reply_integer) {
            reply_integer(&client->reply, 0);
        } else {
            reply_null(&client->reply);
        }
        return;
    }
    int64_t expire_at_ms = request->expire_at_ms;
    if ((request->flags & STRING_KEEPTTL) && found) {
        expire_at_ms = item_expire_at_ms(old_item);
    }
    if (!found && !db_prepare_insert(client->db, hash)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    struct item *item = string_create_from_argument(client, key, request->value_index,
                                                    expire_at_ms);
    if (item == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    if (get) {
        reply_string_or_null(client, old_item);
    } else if (request->reply_integer) {
        reply_integer(&client->reply, 1);
    } else {
        reply_ok(&client->reply);
    }
    db_store(&server.keyspace, client->db, item, hash, old_item);
    string_settle_argument(client, item, request->value_index);
}

void cmd_set(struct client *client) {
    ASSERT(client->argv.count >= 3);
    struct string_options options;
    if (!string_options_parse(client, 3, true, &options)) {
        return;
    }
    struct string_set_request request = {
        .flags = options.flags, .expire_at_ms = 0, .value_index = 2, .reply_integer = false
    };
    if (options.expire_index != 0 &&
        !string_expire_parse(client, client_arg(client, options.expire_index), options.flags,
                             "set", &request.expire_at_ms)) {
        return;
    }
    string_set(client, &request);
}

void cmd_setnx(struct client *client) {
    ASSERT(client->argv.count == 3);
    struct string_set_request request = {
        .flags = STRING_NX, .expire_at_ms = 0, .value_index = 2, .reply_integer = true
    };
    string_set(client, &request);
}

void cmd_getset(struct client *client) {
    ASSERT(client->argv.count == 3);
    struct string_set_request request = {
        .flags = STRING_GET, .expire_at_ms = 0, .value_index = 2, .reply_integer = false
    };
    string_set(client, &request);
}

/* SETEX/PSETEX key time value. */
static void string_set_with_expire(struct client *client, uint32_t unit_flag,
                                   const char *command_name) {
    ASSERT(client->argv.count == 4);
    ASSERT(unit_flag == STRING_EX || unit_flag == STRING_PX);
    struct string_set_request request = {
        .flags = 0, .expire_at_ms = 0, .value_index = 3, .reply_integer = false
    };
    if (!string_expire_parse(client, client_arg(client, 2), unit_flag, command_name,
                             &request.expire_at_ms)) {
        return;
    }
    string_set(client, &request);
}

void cmd_setex(struct client *client) {
    ASSERT(client->argv.count == 4);
    string_set_with_expire(client, STRING_EX, "setex");
}

void cmd_psetex(struct client *client) {
    ASSERT(client->argv.count == 4);
    string_set_with_expire(client, STRING_PX, "psetex");
}

void cmd_getdel(struct client *client) {
    ASSERT(client->argv.count == 2);
    struct slice key = client_arg(client, 1);
    uint64_t hash = 0;
    struct item *item = command_find(client, key, &hash);
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    reply_string_or_null(client, item);
    if (item != NULL) {
        db_delete(&server.keyspace, client->db, item, hash);
    }
}

/*
 * First half of giving `item` another expiry (0: none): returns `item` itself
 * when its expiry field can be overwritten in place, else a copy with the new
 * expiry, or NULL (nothing changed) when the copy does not fit. The caller
 * quotes the value, then calls string_expire_commit.
 */
static struct item *string_expire_prepare(struct item *item, int64_t expire_at_ms) {
    ASSERT(expire_at_ms >= 0);
    ASSERT(item->type == ITEM_STRING);
    if (item_has_expire(item) && expire_at_ms > 0) {
        return item;
    }
    return item_with_expire(&server.heap, item, expire_at_ms);
}

static void string_expire_commit(struct client *client, struct item *item,
                                 struct item *updated, uint64_t hash, int64_t expire_at_ms) {
    ASSERT(updated != NULL);
    if (updated == item) {
        ASSERT(item_has_expire(item));
        memcpy((uint8_t *)item + sizeof(struct item), &expire_at_ms, sizeof(expire_at_ms));
        ASSERT(item_expire_at_ms(item) == expire_at_ms);
        watch_touch(client->db, item_key(item), hash);
        return;
    }
    /* An EXTERNAL value is shared by the copy: db_store moves it and frees the old shell. */
    if (item->encoding == ITEM_ENCODING_EXTERNAL) {
        ASSERT(item_external(item) == item_external(updated));
    }
    db_store(&server.keyspace, client->db, updated, hash, item);
    ASSERT(item_expire_at_ms(updated) == expire_at_ms);
}

void cmd_getex(struct client *client) {
    ASSERT(client->argv.count >= 2);
    struct string_options options;
    if (!string_options_parse(client, 2, false, &options)) {
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = 0;
    struct item *item = command_find(client, key, &hash);
    if (item == NULL) {
        reply_null(&client->reply);
        return;
    }
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    int64_t expire_at_ms = 0;
    if (options.expire_index != 0 &&
        !string_expire_parse(client, client_arg(client, options.expire_index), options.flags,
                             "getex", &expire_at_ms)) {
        return;
    }
    bool absolute = (options.flags & (STRING_EXAT | STRING_PXAT)) != 0;
    if (absolute && expire_at_ms <= server.keyspace.now_ms) {
        reply_string_item(client, item);
        db_delete(&server.keyspace, client->db, item, hash);
        return;
    }
    bool persist = (options.flags & STRING_PERSIST) != 0 && item_has_expire(item);
    if (options.expire_index == 0 && !persist) {
        reply_string_item(client, item);
        return;
    }
    struct item *updated = string_expire_prepare(item, expire_at_ms);
    if (updated == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    reply_string_item(client, item);
    string_expire_commit(client, item, updated, hash, expire_at_ms);
}

/* ==== MGET, MSET, MSETNX ==== */

void cmd_mget(struct client *client) {
    ASSERT(client->argv.count >= 2);
    uint32_t count = client->argv.count;
    reply_array(&client->reply, count - 1);
    for (uint32_t index = 1; index < count; index++) {
        struct slice key = client_arg(client, index);
        uint64_t hash = 0;
        struct item *item = command_find(client, key, &hash);
        if (item == NULL || item->type != ITEM_STRING) {
            reply_null(&client->reply);
        } else {
            reply_string_item(client, item);
        }
    }
}

/* Creates the items of every pair; on failure releases those made and returns false. */
static bool string_mset_create(struct client *client, struct item **items, uint32_t pair_count) {
    ASSERT(pair_count * 2 + 1 == client->argv.count);
    for (uint32_t pair = 0; pair < pair_count; pair++) {
        uint32_t key_index = 1 + pair * 2;
        items[pair] = string_create_from_argument(client, client_arg(client, key_index),
                                                  key_index + 1, 0);
        if (items[pair] == NULL) {
            for (uint32_t made = 0; made < pair; made++) {
                string_discard(client, items[made], 1 + made * 2 + 1);
            }
            return false;
        }
    }
    return true;
}

/*
 * Stores the created items in order (a repeated key is stored twice, the last
 * value wins). False if the index could not grow for a new key: the pairs
 * before it are stored, the rest released.
 */
/* Deletes the new keys stored by pairs [0, count) of an MSET that cannot complete. */
static void string_mset_undo(struct client *client, struct item **items, bool *stored,
                             uint32_t count) {
    for (uint32_t pair = 0; pair < count; pair++) {
        if (stored[pair]) {
            struct slice key = client_arg(client, 1 + pair * 2);
            db_delete(&server.keyspace, client->db, items[pair], index_hash(key));
            stored[pair] = false;
            items[pair] = NULL;
        }
    }
}

/*
 * Stores the new keys first, making index room for each; when the index cannot
 * grow, the new keys stored so far are deleted again and false is returned
 * with the dataset as it was (no existing key has been touched yet). Then the
 * existing keys are replaced, which needs no memory. A key named twice is new
 * at its first pair and existing at its second, so the last value wins.
 */
static bool string_mset_store(struct client *client, struct item **items, uint32_t pair_count) {
    ASSERT(pair_count * 2 + 1 == client->argv.count);
    bool *stored = (bool *)(items + pair_count); /* flags after the item pointers */
    for (uint32_t pair = 0; pair < pair_count; pair++) {
        struct slice key = client_arg(client, 1 + pair * 2);
        uint64_t hash = index_hash(key);
        stored[pair] = false;
        if (command_find_write(client, key, hash) != NULL) {
            continue;
        }
        if (!db_prepare_insert(client->db, hash)) {
            string_mset_undo(client, items, stored, pair);
            for (uint32_t rest = 0; rest < pair_count; rest++) {
                if (items[rest] != NULL) { /* undone ones were freed with their keys */
                    string_discard(client, items[rest], 1 + rest * 2 + 1);
                }
            }
            return false;
        }
        db_store(&server.keyspace, client->db, items[pair], hash, NULL);
        string_settle_argument(client, items[pair], 1 + pair * 2 + 1);
        stored[pair] = true;
    }
    for (uint32_t pair = 0; pair < pair_count; pair++) {
        if (stored[pair]) {
            continue;
        }
        struct slice key = client_arg(client, 1 + pair * 2);
        uint64_t hash = index_hash(key);
        struct item *old_item = command_find_write(client, key, hash);
        ASSERT(old_item != NULL);
        db_store(&server.keyspace, client->db, items[pair], hash, old_item);
        string_settle_argument(client, items[pair], 1 + pair * 2 + 1);
    }
    return true;
}

static void string_mset(struct client *client, bool only_new, const char *command_name) {
    uint32_t count = client->argv.count;
    ASSERT(count >= 3);
    if (count % 2 == 0) {
        command_reply_arity(client, command_name);
        return;
    }
    uint32_t pair_count = (count - 1) / 2;
    ASSERT(pair_count >= 1);
    if (only_new) {
        for (uint32_t pair = 0; pair < pair_count; pair++) {
            struct slice key = client_arg(client, 1 + pair * 2);
            uint64_t hash = 0;
            if (command_find(client, key, &hash) != NULL) {
                reply_integer(&client->reply, 0);
                return;
            }
        }
    }
    /* Every item is made before the first store, so -OOM changes nothing. */
    /* The item pointers, then one "stored" flag per pair (string_mset_store). */
    uint64_t scratch_size = (uint64_t)pair_count * (sizeof(struct item *) + sizeof(bool));
    struct item **items = heap_alloc(&server.heap, scratch_size);
    if (items == NULL || !string_mset_create(client, items, pair_count) ||
        !string_mset_store(client, items, pair_count)) {
        if (items != NULL) {
            heap_free(&server.heap, items);
        }
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    heap_free(&server.heap, items);
    if (only_new) {
        reply_integer(&client->reply, 1);
    } else {
        reply_ok(&client->reply);
    }
}

void cmd_mset(struct client *client) {
    ASSERT(client->argv.count >= 3);
    string_mset(client, false, "mset");
}

void cmd_msetnx(struct client *client) {
    ASSERT(client->argv.count >= 3);
    string_mset(client, true, "msetnx");
}

/* ==== STRLEN, GETRANGE ==== */

void cmd_strlen(struct client *client) {
    ASSERT(client->argv.count == 2);
    struct slice key = client_arg(client, 1);
    uint64_t hash = 0;
    struct item *item = command_find(client, key, &hash);
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    reply_integer(&client->reply, item == NULL ? 0 : (int64_t)string_size(item));
}

void cmd_getrange(struct client *client) {
    ASSERT(client->argv.count == 4);
    int64_t start = 0;
    int64_t end = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &start) ||
        !argument_int64_or_reply(client, client_arg(client, 3), &end)) {
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = 0;
    struct item *item = command_find(client, key, &hash);
    if (item == NULL) {
        reply_bulk(&client->reply, "", 0);
        return;
    }
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    char digits[STRING_DIGITS_SIZE];
    struct slice value = item_string(item, digits);
    int64_t size = (int64_t)value.size;
    /* Redis's order: both negative and reversed is empty before any clamping. */
    if (start < 0 && end < 0 && start > end) {
        reply_bulk(&client->reply, "", 0);
        return;
    }
    start = start < 0 ? MAX(size + start, 0) : start;
    end = end < 0 ? MAX(size + end, 0) : end;
    end = MIN(end, size - 1);
    if (start > end || size == 0) {
        reply_bulk(&client->reply, "", 0);
        return;
    }
    ASSERT(start >= 0 && end < size);
    reply_bulk(&client->reply, value.ptr + start, (uint64_t)(end - start + 1));
}

/* ==== APPEND, SETRANGE ==== */

/* Writes `bytes` at `offset` of a value of old_size bytes, zero-filling any gap. */
static void string_splice_into(uint8_t *target, uint64_t old_size, uint64_t offset,
                               struct slice bytes) {
    ASSERT(target != NULL);
    ASSERT(bytes.size > 0);
    if (offset > old_size) {
        memset(target + old_size, 0, offset - old_size);
    }
    memcpy(target + offset, bytes.ptr, bytes.size);
}


/*
 * A new string item for `key`: old_value with `bytes` written at `offset`.
 * Large results get an external object with slack (`grow`) so that repeated
 * APPENDs are amortised O(1). NULL when memory is short (nothing allocated).
 */
static struct item *string_build(struct slice key, struct slice old_value, uint64_t offset,
                                 struct slice bytes, int64_t expire_at_ms, bool grow) {
    uint64_t new_size = MAX((uint64_t)old_value.size, offset + bytes.size);
    ASSERT(new_size <= UINT32_MAX);
    ASSERT(new_size > old_value.size || bytes.size > 0);
    if (new_size <= ITEM_EMBEDDED_SIZE_MAX) {
        if (old_value.size > 0) {
            memcpy(string_scratch, old_value.ptr, old_value.size);
        }
        string_splice_into(string_scratch, old_value.size, offset, bytes);
        struct slice value = { .ptr = string_scratch, .size = (uint32_t)new_size };
        return item_create_string(&server.heap, key, value, expire_at_ms, NULL);
    }
    uint8_t *external = NULL;
    if (grow) {
        uint64_t capacity = new_size + MIN(new_size, STRING_SLACK_SIZE_MAX);
        external = heap_alloc(&server.heap, capacity);
    }
    if (external == NULL) {
        external = heap_alloc(&server.heap, new_size);
    }
    if (external == NULL) {
        return NULL;
    }
    if (old_value.size > 0) {
        memcpy(external, old_value.ptr, old_value.size);
    }
    string_splice_into(external, old_value.size, offset, bytes);
    struct slice value = { .ptr = external, .size = (uint32_t)new_size };
    struct item *item = item_create_string(&server.heap, key, value, expire_at_ms, external);
    if (item == NULL) {
        heap_free(&server.heap, external);
    }
    return item;
}

/*
 * Writes `bytes` at `offset` of an existing string (in place when it has room,
 * else by replacing the item; the expiry is kept). Returns the new length, or
 * -1 when memory is short (nothing changed).
 */
static int64_t string_splice(struct client *client, struct item *item, uint64_t hash,
                             uint64_t offset, struct slice bytes) {
    ASSERT(item->type == ITEM_STRING);
    ASSERT(bytes.size > 0);
    char digits[STRING_DIGITS_SIZE];
    struct slice old_value = item_string(item, digits);
    uint64_t new_size = MAX((uint64_t)old_value.size, offset + bytes.size);
    ASSERT(new_size <= UINT32_MAX);
    uint8_t *target = item_string_room(&server.heap, item, new_size);
    if (target != NULL) {
        string_splice_into(target, old_value.size, offset, bytes);
        item_set_value_size(item, (uint32_t)new_size);
        item->string_hint = ITEM_STRING_HINT_RAW; /* Redis unshares into a raw string */
        watch_touch(client->db, item_key(item), hash);
        return (int64_t)new_size;
    }
    struct item *updated = string_build(item_key(item), old_value, offset, bytes,
                                        item_expire_at_ms(item), true);
    if (updated == NULL) {
        return -1;
    }
    updated->string_hint = ITEM_STRING_HINT_RAW;
    db_store(&server.keyspace, client->db, updated, hash, item);
    ASSERT(string_size(updated) == new_size);
    return (int64_t)new_size;
}

/* Redis's checkStringLength: replies and returns false past proto-max-bulk-len. */
static bool string_check_size(struct client *client, uint64_t offset, uint64_t size) {
    ASSERT(offset <= (uint64_t)INT64_MAX);
    ASSERT(server.config.proto_max_bulk_len <= UINT32_MAX);
    if (offset + size > server.config.proto_max_bulk_len) {
        reply_error(&client->reply, ERROR_STRING_TOO_LONG);
        return false;
    }
    return true;
}

void cmd_append(struct client *client) {
    ASSERT(client->argv.count == 3);
    struct slice key = client_arg(client, 1);
    struct slice addition = client_arg(client, 2);
    uint64_t hash = 0;
    struct item *item = command_find(client, key, &hash);
    if (item == NULL) {
        struct item *created = NULL;
        if (db_prepare_insert(client->db, hash)) {
            created = string_create_from_argument(client, key, 2, 0);
        }
        if (created == NULL) {
            reply_error(&client->reply, ERROR_OOM);
            return;
        }
        db_store(&server.keyspace, client->db, created, hash, NULL);
        string_settle_argument(client, created, 2);
        reply_integer(&client->reply, (int64_t)addition.size);
        return;
    }
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    uint32_t old_size = string_size(item);
    if (!string_check_size(client, old_size, addition.size)) {
        return;
    }
    if (addition.size == 0) {
        item->string_hint = ITEM_STRING_HINT_RAW; /* Redis unshares even for nothing */
        watch_touch(client->db, key, hash);       /* and signals the key all the same */
        reply_integer(&client->reply, old_size);
        return;
    }
    int64_t new_size = string_splice(client, item, hash, old_size, addition);
    if (new_size < 0) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    reply_integer(&client->reply, new_size);
}

/* SETRANGE on an absent key: a zero-padded new value. */
static void string_setrange_new(struct client *client, struct slice key, uint64_t hash,
                                uint64_t offset, struct slice bytes) {
    ASSERT(bytes.size > 0);
    ASSERT(offset + bytes.size <= UINT32_MAX);
    struct item *created = NULL;
    if (db_prepare_insert(client->db, hash)) {
        struct slice empty = { .ptr = NULL, .size = 0 };
        created = string_build(key, empty, offset, bytes, 0, false);
    }
    if (created == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    created->string_hint = ITEM_STRING_HINT_RAW;
    db_store(&server.keyspace, client->db, created, hash, NULL);
    reply_integer(&client->reply, (int64_t)(offset + bytes.size));
}

void cmd_setrange(struct client *client) {
    ASSERT(client->argv.count == 4);
    int64_t offset = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &offset)) {
        return;
    }
    if (offset < 0) {
        reply_error(&client->reply, ERROR_OFFSET_RANGE);
        return;
    }
    struct slice key = client_arg(client, 1);
    struct slice bytes = client_arg(client, 3);
    uint64_t hash = 0;
    struct item *item = command_find(client, key, &hash);
    if (item == NULL) {
        if (bytes.size == 0) {
            reply_integer(&client->reply, 0);
        } else if (string_check_size(client, (uint64_t)offset, bytes.size)) {
            string_setrange_new(client, key, hash, (uint64_t)offset, bytes);
        }
        return;
    }
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    if (bytes.size == 0) {
        reply_integer(&client->reply, string_size(item));
        return;
    }
    if (!string_check_size(client, (uint64_t)offset, bytes.size)) {
        return;
    }
    int64_t new_size = string_splice(client, item, hash, (uint64_t)offset, bytes);
    if (new_size < 0) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    reply_integer(&client->reply, new_size);
}

/* ==== INCR, DECR, INCRBY, DECRBY ==== */

/* The value of a string item as Redis's getLongLongFromObject sees it. */
static bool string_item_int64(const struct item *item, int64_t *value) {
    ASSERT(item->type == ITEM_STRING);
    ASSERT(value != NULL);
    if (item->encoding == ITEM_ENCODING_INT) {
        *value = item_int(item);
        return true;
    }
    char digits[STRING_DIGITS_SIZE];
    struct slice text = item_string(item, digits);
    return parse_int64(text.ptr, text.size, value);
}

static void string_increment(struct client *client, int64_t increment) {
    ASSERT(client->argv.count >= 2);
    struct slice key = client_arg(client, 1);
    uint64_t hash = 0;
    struct item *item = command_find(client, key, &hash);
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    int64_t value = 0;
    if (item != NULL && !string_item_int64(item, &value)) {
        reply_error(&client->reply, ERROR_NOT_INTEGER);
        return;
    }
    if (int64_add_overflows(value, increment)) {
        reply_error(&client->reply, ERROR_OVERFLOW);
        return;
    }
    value += increment;
    char digits[STRING_DIGITS_SIZE];
    uint32_t digits_size = format_int64(digits, value);
    if (item != NULL && item->encoding == ITEM_ENCODING_INT) {
        /* Same layout, same key, same expiry: only the payload changes. */
        memcpy(item_payload(item), &value, sizeof(value));
        item_set_value_size(item, digits_size);
        item->string_hint = ITEM_STRING_HINT_NONE; /* an INCR result is "int" again */
        ASSERT(item_int(item) == value);
        watch_touch(client->db, key, hash);
    } else {
        struct slice text = { .ptr = (const uint8_t *)digits, .size = digits_size };
        int64_t expire_at_ms = item == NULL ? 0 : item_expire_at_ms(item);
        if (!string_store_value(client, key, hash, item, text, expire_at_ms)) {
            reply_error(&client->reply, ERROR_OOM);
            return;
        }
    }
    reply_integer(&client->reply, value);
}

void cmd_incr(struct client *client) {
    ASSERT(client->argv.count == 2);
    string_increment(client, 1);
}

void cmd_decr(struct client *client) {
    ASSERT(client->argv.count == 2);
    string_increment(client, -1);
}

void cmd_incrby(struct client *client) {
    ASSERT(client->argv.count == 3);
    int64_t increment = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &increment)) {
        return;
    }
    string_increment(client, increment);
}

void cmd_decrby(struct client *client) {
    ASSERT(client->argv.count == 3);
    int64_t decrement = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &decrement)) {
        return;
    }
    /* Negating INT64_MIN overflows. */
    if (decrement == INT64_MIN) {
        reply_error(&client->reply, ERROR_DECREMENT_OVERFLOW);
        return;
    }
    string_increment(client, -decrement);
}

/* ==== INCRBYFLOAT ==== */

void cmd_incrbyfloat(struct client *client) {
    ASSERT(client->argv.count == 3);
    struct slice key = client_arg(client, 1);
    uint64_t hash = 0;
    struct item *item = command_find(client, key, &hash);
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    long double value = 0;
    long double increment = 0;
    bool valid = true;
    if (item != NULL && item->encoding == ITEM_ENCODING_INT) {
        value = (long double)item_int(item);
    } else if (item != NULL) {
        char digits[STRING_DIGITS_SIZE];
        valid = number_parse_long_double(item_string(item, digits), &value);
    }
    if (!valid || !number_parse_long_double(client_arg(client, 2), &increment)) {
        reply_error(&client->reply, ERROR_NOT_FLOAT);
        return;
    }
    value += increment;
    if (isnan(value) || isinf(value)) {
        reply_error(&client->reply, ERROR_NAN_OR_INFINITY);
        return;
    }
    char *text = (char *)string_scratch;
    uint32_t size = number_format_long_double(text, NUMBER_LONG_DOUBLE_TEXT_SIZE_MAX, value);
    struct slice result = { .ptr = string_scratch, .size = size };
    int64_t expire_at_ms = item == NULL ? 0 : item_expire_at_ms(item);
    struct item *stored = string_store_value(client, key, hash, item, result, expire_at_ms);
    if (stored == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    stored->string_hint = ITEM_STRING_HINT_EMBSTR; /* Redis: createStringObject */
    reply_bulk(&client->reply, text, size);
}
