/*
 * cmd_hash.c: the hash commands (HSET, HSETNX, HGET, HMGET, HMSET, HDEL, HLEN,
 * HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD,
 * HSCAN).
 *
 * Replies, error texts and the order of validation are Redis 7.0's (t_hash.c
 * and scanGenericCommand in db.c). Invariants:
 * - A hash key never holds an empty hash: HDEL deletes the key with its last
 *   field, and a command that creates a key stores it only once its fields
 *   are in.
 * - A write either completes or answers -OOM with the dataset unchanged: the
 *   hash module's sets are all-or-nothing, and a new key's hash is destroyed
 *   if the key cannot be stored.
 * - Reads come through command_find (hits and misses), writes through db_find.
 *
 * Limits: HRANDFIELD with a negative count draws until the count is reached or
 * the client's output overflows (then the client is closed, as Redis closes a
 * client past its output limit); HSCAN visits at most COUNT * 10 + 1 buckets.
 */
#include "commands.h"

#include "db.h"
#include "glob.h"
#include "hash.h"
#include "index.h"
#include "item.h"
#include "multi.h"
#include "number.h"

#include <inttypes.h>
#include <math.h>

static const char ERROR_HASH_NOT_INTEGER[] = "ERR hash value is not an integer";
static const char ERROR_HASH_NOT_FLOAT[] = "ERR hash value is not a float";
static const char ERROR_NAN_OR_INFINITY_VALUE[] = "ERR value is NaN or Infinity";
static const char ERROR_NAN_OR_INFINITY_RESULT[] = "ERR increment would produce NaN or Infinity";
static const char ERROR_VALUE_OUT_OF_RANGE[] = "ERR value is out of range";
static const char ERROR_COUNT_OUT_OF_RANGE[] =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/* Redis's reply to a scan of a missing key: cursor "0" and no elements. */
static const char HASH_EMPTY_SCAN[] = "*2\r\n$1\r\n0\r\n*0\r\n";
/* Bytes for a uint64 in decimal and a spare. */
#define HASH_DIGITS_SIZE 24u
/* Redis's HSCAN default COUNT. */
#define HASH_SCAN_COUNT_DEFAULT 10

/* HINCRBYFLOAT's formatted result (single-threaded; handlers do not nest). */
static char hash_float_text[NUMBER_LONG_DOUBLE_TEXT_SIZE_MAX];
static uint64_t hash_random_state;

/* ==== Helpers ==== */

static struct hash_limits hash_limits_now(void) {
    return (struct hash_limits){
        .listpack_entries_max = server.config.hash_max_listpack_entries,
        .listpack_value_size_max = server.config.hash_max_listpack_value,
    };
}

static struct hash *hash_of(const struct item *item) {
    ASSERT(item != NULL);
    ASSERT(item->type == ITEM_HASH);
    return item_object(item);
}

static void reply_count(struct client *client, uint64_t count) {
    ASSERT(count <= (uint64_t)INT64_MAX);
    reply_integer(&client->reply, (int64_t)count);
}

static uint64_t *random_state(void) {
    if (hash_random_state == 0) {
        hash_random_state = (uint64_t)clock_now_us() ^ (uint64_t)(uintptr_t)&hash_random_state;
    }
    ASSERT(hash_random_state != 0);
    return &hash_random_state;
}

/* Creates the key with a new hash holding `pairs`; false (nothing changed) on no room. */
static bool hash_create_key(struct client *client, struct slice key, uint64_t hashed,
                            const struct slice *pairs, uint64_t pair_count,
                            uint64_t *inserted_count) {
    ASSERT(pair_count > 0);
    if (!db_prepare_insert(client->db, hashed)) {
        return false;
    }
    struct hash *hash = hash_create(&server.heap);
    if (hash == NULL) {
        return false;
    }
    if (!hash_set_pairs(&server.heap, hash, hash_limits_now(), pairs, pair_count,
                        inserted_count)) {
        hash_destroy(&server.heap, hash);
        return false;
    }
    struct item *item = item_create_object(&server.heap, ITEM_HASH, key, hash, 0);
    if (item == NULL) {
        hash_destroy(&server.heap, hash);
        return false;
    }
    db_store(&server.keyspace, client->db, item, hashed, NULL);
    ASSERT(hash_length(hash) > 0);
    return true;
}

/* Sets one field of a key's hash (item) or of a new key (item NULL); false on no room. */
static bool hash_set_field(struct client *client, struct slice key, uint64_t hashed,
                           struct item *item, struct slice field, struct slice value) {
    if (item == NULL) {
        struct slice pair[2] = { field, value };
        uint64_t inserted_count = 0;
        return hash_create_key(client, key, hashed, pair, 1, &inserted_count);
    }
    if (hash_set(&server.heap, hash_of(item), hash_limits_now(), field, value) ==
        HASH_SET_NO_ROOM) {
        return false;
    }
    watch_touch(client->db, key, hashed);
    return true;
}

/* ==== HSET, HMSET, HSETNX ==== */

/* hsetCommand: pairs in argument order; HSET replies the new fields, HMSET OK. */
static void hash_set_command(struct client *client, const char *name, bool reply_inserted) {
    ASSERT(client->argv.count >= 4);
    if (client->argv.count % 2 == 1) {
        command_reply_arity(client, name);
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hashed = index_hash(key);
    struct item *item = command_find_write(client, key, hashed);
    if (!command_check_type(client, item, ITEM_HASH)) {
        return;
    }
    const struct slice *pairs = &client->argv.items[2];
    uint64_t pair_count = (client->argv.count - 2) / 2;
    uint64_t inserted_count = 0;
    bool done = item == NULL
                    ? hash_create_key(client, key, hashed, pairs, pair_count, &inserted_count)
                    : hash_set_pairs(&server.heap, hash_of(item), hash_limits_now(), pairs,
                                     pair_count, &inserted_count);
    if (!done) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    watch_touch(client->db, key, hashed); /* HSET always signals, even for equal values */
    if (reply_inserted) {
        reply_count(client, inserted_count);
    } else {
        reply_ok(&client->reply);
    }
}

void cmd_hset(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    hash_set_command(client, "hset", true);
}

void cmd_hmset(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    hash_set_command(client, "hmset", false);
}

void cmd_hsetnx(struct client *client) {
    ASSERT(client->argv.count == 4);
    struct slice key = client_arg(client, 1);
    uint64_t hashed = index_hash(key);
    struct item *item = command_find_write(client, key, hashed);
    if (!command_check_type(client, item, ITEM_HASH)) {
        return;
    }
    struct slice field = client_arg(client, 2);
    struct slice value = { 0 };
    if (item != NULL && hash_get(hash_of(item), field, &value)) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (!hash_set_field(client, key, hashed, item, field, client_arg(client, 3))) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    reply_integer(&client->reply, 1);
}

/* ==== HGET, HMGET, HSTRLEN, HEXISTS, HLEN ==== */

/* The hash of a key for reading: NULL when missing or of another type (replied). */
static const struct hash *hash_for_read(struct client *client, bool *wrong_type) {
    struct slice key = client_arg(client, 1);
    uint64_t hashed = 0;
    const struct item *item = command_find(client, key, &hashed);
    *wrong_type = !command_check_type(client, item, ITEM_HASH);
    if (item == NULL || *wrong_type) {
        return NULL;
    }
    return hash_of(item);
}

void cmd_hget(struct client *client) {
    ASSERT(client->argv.count == 3);
    bool wrong_type = false;
    const struct hash *hash = hash_for_read(client, &wrong_type);
    struct slice value = { 0 };
    if (wrong_type) {
        return;
    }
    if (hash == NULL || !hash_get(hash, client_arg(client, 2), &value)) {
        reply_null(&client->reply);
        return;
    }
    reply_bulk_slice(&client->reply, value);
}

void cmd_hmget(struct client *client) {
    ASSERT(client->argv.count >= 3);
    bool wrong_type = false;
    const struct hash *hash = hash_for_read(client, &wrong_type);
    if (wrong_type) {
        return;
    }
    reply_array(&client->reply, client->argv.count - 2);
    for (uint32_t index = 2; index < client->argv.count; index++) {
        struct slice value = { 0 };
        if (hash != NULL && hash_get(hash, client_arg(client, index), &value)) {
            reply_bulk_slice(&client->reply, value);
        } else {
            reply_null(&client->reply);
        }
    }
}

void cmd_hstrlen(struct client *client) {
    ASSERT(client->argv.count == 3);
    bool wrong_type = false;
    const struct hash *hash = hash_for_read(client, &wrong_type);
    struct slice value = { 0 };
    if (wrong_type) {
        return;
    }
    if (hash == NULL || !hash_get(hash, client_arg(client, 2), &value)) {
        reply_integer(&client->reply, 0);
        return;
    }
    reply_count(client, value.size);
}

void cmd_hexists(struct client *client) {
    ASSERT(client->argv.count == 3);
    bool wrong_type = false;
    const struct hash *hash = hash_for_read(client, &wrong_type);
    struct slice value = { 0 };
    if (wrong_type) {
        return;
    }
    bool exists = hash != NULL && hash_get(hash, client_arg(client, 2), &value);
    reply_integer(&client->reply, exists ? 1 : 0);
}

void cmd_hlen(struct client *client) {
    ASSERT(client->argv.count == 2);
    bool wrong_type = false;
    const struct hash *hash = hash_for_read(client, &wrong_type);
    if (wrong_type) {
        return;
    }
    reply_count(client, hash == NULL ? 0 : hash_length(hash));
}

/* ==== HDEL ==== */

void cmd_hdel(struct client *client) {
    ASSERT(client->argv.count >= 3);
    struct slice key = client_arg(client, 1);
    uint64_t hashed = index_hash(key);
    struct item *item = command_find_write(client, key, hashed);
    if (item == NULL) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (!command_check_type(client, item, ITEM_HASH)) {
        return;
    }
    struct hash *hash = hash_of(item);
    uint64_t deleted_count = 0;
    for (uint32_t index = 2; index < client->argv.count; index++) {
        if (hash_delete(&server.heap, hash, client_arg(client, index))) {
            deleted_count++;
        }
        if (hash_length(hash) == 0) {
            break; /* as Redis: the key goes with its last field */
        }
    }
    if (hash_length(hash) == 0) {
        db_delete(&server.keyspace, client->db, item, hashed);
    } else if (deleted_count > 0) {
        watch_touch(client->db, key, hashed);
    }
    reply_count(client, deleted_count);
}

/* ==== HKEYS, HVALS, HGETALL ==== */

struct hash_reply_context {
    struct client *client;
    bool fields;
    bool values;
};

static bool hash_reply_pair(void *context, struct slice field, struct slice value) {
    struct hash_reply_context *reply = context;
    ASSERT(reply->fields || reply->values);
    if (reply->fields) {
        reply_bulk_slice(&reply->client->reply, field);
    }
    if (reply->values) {
        reply_bulk_slice(&reply->client->reply, value);
    }
    return true;
}

/* genericHgetallCommand. */
static void hash_reply_all(struct client *client, bool fields, bool values) {
    ASSERT(client->argv.count == 2);
    ASSERT(fields || values);
    bool wrong_type = false;
    const struct hash *hash = hash_for_read(client, &wrong_type);
    if (wrong_type) {
        return;
    }
    uint64_t length = hash == NULL ? 0 : hash_length(hash);
    if (fields && values) {
        reply_map(&client->reply, length);
    } else {
        reply_array(&client->reply, length);
    }
    if (hash != NULL) {
        struct hash_reply_context context = { .client = client, .fields = fields,
                                              .values = values };
        hash_visit(hash, &context, hash_reply_pair);
    }
}

void cmd_hkeys(struct client *client) {
    hash_reply_all(client, true, false);
}

void cmd_hvals(struct client *client) {
    hash_reply_all(client, false, true);
}

void cmd_hgetall(struct client *client) {
    hash_reply_all(client, true, true);
}

/* ==== HINCRBY, HINCRBYFLOAT ==== */

void cmd_hincrby(struct client *client) {
    ASSERT(client->argv.count == 4);
    int64_t increment = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 3), &increment)) {
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hashed = index_hash(key);
    struct item *item = command_find_write(client, key, hashed);
    if (!command_check_type(client, item, ITEM_HASH)) {
        return;
    }
    struct slice field = client_arg(client, 2);
    struct slice old = { 0 };
    int64_t value = 0;
    if (item != NULL && hash_get(hash_of(item), field, &old) &&
        !parse_int64(old.ptr, old.size, &value)) {
        reply_error(&client->reply, ERROR_HASH_NOT_INTEGER);
        return;
    }
    if (int64_add_overflows(value, increment)) {
        reply_error(&client->reply, ERROR_OVERFLOW);
        return;
    }
    value += increment;
    char digits[HASH_DIGITS_SIZE];
    struct slice text = { .ptr = (const uint8_t *)digits, .size = format_int64(digits, value) };
    if (!hash_set_field(client, key, hashed, item, field, text)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    reply_integer(&client->reply, value);
}

void cmd_hincrbyfloat(struct client *client) {
    ASSERT(client->argv.count == 4);
    long double increment = 0;
    if (!number_parse_long_double(client_arg(client, 3), &increment)) {
        reply_error(&client->reply, ERROR_NOT_FLOAT);
        return;
    }
    if (isnan(increment) || isinf(increment)) {
        reply_error(&client->reply, ERROR_NAN_OR_INFINITY_VALUE);
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hashed = index_hash(key);
    struct item *item = command_find_write(client, key, hashed);
    if (!command_check_type(client, item, ITEM_HASH)) {
        return;
    }
    struct slice field = client_arg(client, 2);
    struct slice old = { 0 };
    long double value = 0;
    if (item != NULL && hash_get(hash_of(item), field, &old) &&
        !number_parse_long_double(old, &value)) {
        reply_error(&client->reply, ERROR_HASH_NOT_FLOAT);
        return;
    }
    value += increment;
    if (isnan(value) || isinf(value)) {
        reply_error(&client->reply, ERROR_NAN_OR_INFINITY_RESULT);
        return;
    }
    uint32_t size = number_format_long_double(hash_float_text, sizeof(hash_float_text), value);
    struct slice text = { .ptr = (const uint8_t *)hash_float_text, .size = size };
    if (!hash_set_field(client, key, hashed, item, field, text)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    reply_bulk(&client->reply, hash_float_text, size);
}

/* ==== HRANDFIELD ==== */

/* Writes the array header before the first pair, so a refused sampling replies -OOM instead. */
struct hash_random_context {
    struct client *client;
    uint64_t reply_length;
    bool header_written;
    bool with_values;
};

static bool hash_random_reply(void *context, struct slice field, struct slice value) {
    struct hash_random_context *random = context;
    struct reply *reply = &random->client->reply;
    if (!random->header_written) {
        if (random->with_values) {
            reply_pair_array(reply, random->reply_length / 2);
        } else {
            reply_array(reply, random->reply_length);
        }
        random->header_written = true;
    }
    if (random->with_values) {
        reply_pair(reply);
    }
    reply_bulk_slice(reply, field);
    if (random->with_values) {
        reply_bulk_slice(reply, value);
    }
    return !reply->output->overflowed;
}

/* hrandfieldWithCountCommand; count is in [-INT64_MAX, INT64_MAX]. */
static void hash_random_with_count(struct client *client, int64_t count, bool with_values) {
    ASSERT(count != INT64_MIN);
    bool wrong_type = false;
    const struct hash *hash = hash_for_read(client, &wrong_type);
    if (wrong_type) {
        return;
    }
    if (hash == NULL || count == 0) {
        reply_empty_array(&client->reply);
        return;
    }
    bool unique = count > 0;
    uint64_t draw_count = unique ? (uint64_t)count : (uint64_t)(-count);
    uint64_t pair_count = unique ? MIN(draw_count, hash_length(hash)) : draw_count;
    ASSERT(!with_values || pair_count <= (uint64_t)INT64_MAX / 2);
    struct hash_random_context context = {
        .client = client,
        .reply_length = with_values ? pair_count * 2 : pair_count,
        .with_values = with_values,
    };
    if (!hash_random_pairs(&server.heap, hash, draw_count, unique, random_state(), &context,
                           hash_random_reply)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    ASSERT(context.header_written);
}

static bool hash_random_one(void *context, struct slice field, struct slice value) {
    (void)value;
    struct client *client = context;
    reply_bulk_slice(&client->reply, field);
    return true;
}

void cmd_hrandfield(struct client *client) {
    ASSERT(client->argv.count >= 2);
    if (client->argv.count >= 3) {
        int64_t count = 0;
        if (!argument_int64_or_reply(client, client_arg(client, 2), &count)) {
            return;
        }
        if (count == INT64_MIN) {
            reply_error(&client->reply, ERROR_COUNT_OUT_OF_RANGE);
            return;
        }
        bool with_values = client->argv.count == 4 &&
                           slice_equal_nocase(client_arg(client, 3), "withvalues");
        if (client->argv.count > 4 || (client->argv.count == 4 && !with_values)) {
            reply_error(&client->reply, ERROR_SYNTAX);
            return;
        }
        if (with_values && (count < -INT64_MAX / 2 || count > INT64_MAX / 2)) {
            reply_error(&client->reply, ERROR_VALUE_OUT_OF_RANGE);
            return;
        }
        hash_random_with_count(client, count, with_values);
        return;
    }
    bool wrong_type = false;
    const struct hash *hash = hash_for_read(client, &wrong_type);
    if (wrong_type) {
        return;
    }
    if (hash == NULL) {
        reply_null(&client->reply);
        return;
    }
    if (!hash_random_pairs(&server.heap, hash, 1, true, random_state(), client,
                           hash_random_one)) {
        reply_error(&client->reply, ERROR_OOM);
    }
}

/* ==== HSCAN ==== */

struct hash_scan_options {
    struct slice pattern;
    bool use_pattern;
    uint64_t count;
};

/* scanGenericCommand's option loop (COUNT n, MATCH pattern); false when replied an error. */
static bool hash_scan_options_parse(struct client *client, struct hash_scan_options *options) {
    *options = (struct hash_scan_options){ .count = HASH_SCAN_COUNT_DEFAULT };
    uint32_t index = 3;
    while (index < client->argv.count) {
        uint32_t remaining = client->argv.count - index;
        struct slice name = client_arg(client, index);
        if (slice_equal_nocase(name, "count") && remaining >= 2) {
            int64_t count = 0;
            if (!argument_int64_or_reply(client, client_arg(client, index + 1), &count)) {
                return false;
            }
            if (count < 1) {
                reply_error(&client->reply, ERROR_SYNTAX);
                return false;
            }
            options->count = (uint64_t)count;
        } else if (slice_equal_nocase(name, "match") && remaining >= 2) {
            options->pattern = client_arg(client, index + 1);
            options->use_pattern = !(options->pattern.size == 1 && options->pattern.ptr[0] == '*');
        } else {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
        index += 2;
    }
    ASSERT(options->count >= 1);
    return true;
}

struct hash_scan_context {
    struct client *client;
    const struct hash_scan_options *options;
    uint64_t collected_count;  /* fields and values seen, as Redis's list of keys */
    uint64_t matched_count;    /* pairs whose field matches */
    bool emit;
};

static bool hash_scan_pair(void *context, struct slice field, struct slice value) {
    struct hash_scan_context *scan = context;
    scan->collected_count += 2;
    if (scan->options->use_pattern && !glob_match(scan->options->pattern, field, false)) {
        return true;
    }
    scan->matched_count++;
    if (scan->emit) {
        reply_bulk_slice(&scan->client->reply, field);
        reply_bulk_slice(&scan->client->reply, value);
    }
    return true;
}

/*
 * Runs the scan loop: at most count * 10 + 1 steps, stopping once the cursor
 * wraps to 0 or count elements were collected. Returns the steps taken.
 */
static uint64_t hash_scan_run(const struct hash *hash, uint64_t *cursor, uint64_t step_count_max,
                              uint64_t count, struct hash_scan_context *scan) {
    uint64_t step_count = 0;
    do {
        *cursor = hash_scan(hash, *cursor, scan, hash_scan_pair);
        step_count++;
    } while (*cursor != 0 && step_count < step_count_max && scan->collected_count < count);
    ASSERT(step_count >= 1);
    return step_count;
}

void cmd_hscan(struct client *client) {
    ASSERT(client->argv.count >= 3);
    uint64_t cursor = 0;
    if (!argument_cursor(client_arg(client, 2), &cursor)) {
        reply_error(&client->reply, ERROR_INVALID_CURSOR);
        return;
    }
    bool wrong_type = false;
    const struct hash *hash = hash_for_read(client, &wrong_type);
    if (wrong_type) {
        return;
    }
    if (hash == NULL) {
        reply_raw(&client->reply, HASH_EMPTY_SCAN, sizeof(HASH_EMPTY_SCAN) - 1);
        return;
    }
    struct hash_scan_options options;
    if (!hash_scan_options_parse(client, &options)) {
        return;
    }
    /* Redis's maxiterations = count * 10, post-decremented: count * 10 + 1 steps. */
    uint64_t step_count_max = options.count > UINT64_MAX / 16 ? UINT64_MAX
                                                                : options.count * 10 + 1;
    /* Pass one counts what matches (the reply's length comes first); pass two replies. */
    struct hash_scan_context scan = { .client = client, .options = &options };
    uint64_t next = cursor;
    uint64_t step_count = hash_scan_run(hash, &next, step_count_max, options.count, &scan);
    uint64_t matched_count = scan.matched_count;
    char digits[HASH_DIGITS_SIZE];
    int size = snprintf(digits, sizeof(digits), "%" PRIu64, next);
    ASSERT(size > 0 && (uint32_t)size < sizeof(digits));
    reply_array(&client->reply, 2);
    reply_bulk(&client->reply, digits, (uint64_t)size);
    reply_array(&client->reply, matched_count * 2);
    scan = (struct hash_scan_context){ .client = client, .options = &options, .emit = true };
    uint64_t replay = cursor;
    for (uint64_t step = 0; step < step_count; step++) {
        replay = hash_scan(hash, replay, &scan, hash_scan_pair);
    }
    ASSERT(replay == next);
    ASSERT(scan.matched_count == matched_count);
}
