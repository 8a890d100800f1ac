/*
 * cmd_blocking.c: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
 * BZPOPMAX, BZMPOP (Redis 7.0.15's replies and argument checks).
 *
 * When a key holds data at call time the command answers as its non-blocking
 * form; otherwise the client blocks (blocking.c) until a key gets data, the
 * timeout passes (null array), or it disconnects. Inside EXEC a command never
 * blocks: it answers as on a timeout (BLMOVE and BRPOPLPUSH a null bulk, as
 * Redis's blmoveGenericCommand).
 *
 * Serving reuses the non-blocking handlers (LPOP, RPOP, LMOVE, RPOPLPUSH,
 * LMPOP, ZMPOP) by running them on an argument vector of the blocked
 * command's own slices; only BZPOPMIN/BZPOPMAX's [key, member, score] shape
 * is written here.
 */
#include "commands.h"

#include "blocking.h"
#include "index.h"
#include "multi.h"
#include "zset.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>

static const char ERROR_TIMEOUT_NOT_FLOAT[] = "ERR timeout is not a float or out of range";
static const char ERROR_TIMEOUT_NEGATIVE[] = "ERR timeout is negative";
static const char ERROR_NUMKEYS[] = "ERR numkeys should be greater than 0";
static const char ERROR_COUNT[] = "ERR count should be greater than 0";

#define TIMEOUT_TEXT_SIZE_MAX 5120u  /* Redis's MAX_LONG_DOUBLE_CHARS */
#define SERVE_ARGV_MAX 8u

/* ==== Timeouts ==== */

/* Redis's string2ld: strtold over the whole text (a NUL byte ends it). */
static bool timeout_parse_seconds(struct slice text, long double *seconds) {
    ASSERT(seconds != NULL);
    ASSERT(text.ptr != NULL || text.size == 0);
    char buffer[TIMEOUT_TEXT_SIZE_MAX];
    if (text.size == 0 || text.size >= sizeof(buffer)) {
        return false;
    }
    memcpy(buffer, text.ptr, text.size);
    buffer[text.size] = 0;
    if (isspace((unsigned char)buffer[0])) {
        return false;
    }
    char *end = NULL;
    errno = 0;
    long double value = strtold(buffer, &end);
    if (end[0] != 0 || errno == EINVAL || isnan(value)) {
        return false;
    }
    if (errno == ERANGE && (value == HUGE_VALL || value == -HUGE_VALL || value == 0)) {
        return false;
    }
    *seconds = value;
    return true;
}

/*
 * getTimeoutFromObjectOrReply(UNIT_SECONDS): milliseconds are ceil(seconds x
 * 1000), converted as x86 does (out of range gives INT64_MIN: "negative"), so
 * 0.0001 waits 1 ms and -0.0001 is 0; 0 means no deadline. A deadline past
 * INT64_MAX never fires in Redis (its timeout table reads it unsigned): none
 * here either.
 */
static bool timeout_parse_or_reply(struct client *client, struct slice text,
                                   int64_t *deadline_ms) {
    ASSERT(deadline_ms != NULL);
    long double seconds = 0;
    if (!timeout_parse_seconds(text, &seconds)) {
        reply_error(&client->reply, ERROR_TIMEOUT_NOT_FLOAT);
        return false;
    }
    long double product = ceill(seconds * 1000.0L);
    int64_t milliseconds = INT64_MIN;
    if (product < 9223372036854775808.0L && product > -9223372036854775808.0L) {
        milliseconds = (int64_t)product;
    }
    if (milliseconds < 0) {
        reply_error(&client->reply, ERROR_TIMEOUT_NEGATIVE);
        return false;
    }
    int64_t now_ms = clock_now_ms();
    ASSERT(now_ms > 0);
    *deadline_ms = 0;
    if (milliseconds > 0 && milliseconds <= INT64_MAX - now_ms) {
        *deadline_ms = now_ms + milliseconds;
    }
    ASSERT(*deadline_ms >= 0);
    return true;
}

/* ==== Serving ==== */

/* Runs a non-blocking handler on `items` in place of the client's arguments. */
static void serve_with_arguments(struct client *client, command_handler handler,
                                 struct slice *items, uint32_t count) {
    ASSERT(count > 0 && count <= SERVE_ARGV_MAX);
    struct resp_argv saved = client->argv;
    client->argv.items = items;
    client->argv.count = count;
    client->argv.capacity = count;
    handler(client);
    ASSERT(client->argv.items == items);
    client->argv = saved;
}

/* BZPOPMIN/BZPOPMAX: [key, member, score] of the lowest (highest) member, removed. */
static void serve_zpop(struct client *client, struct slice key, bool max) {
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    ASSERT(item != NULL && item->type == ITEM_ZSET);
    struct zset *zset = item_object(item);
    uint64_t length = zset_length(zset);
    ASSERT(length > 0);
    struct zset_iterator iterator;
    zset_iterator_init(&iterator, zset, max ? length - 1 : 0, max);
    struct slice member = { 0 };
    double score = 0;
    bool found = zset_iterator_next(&iterator, &member, &score);
    ASSERT(found);
    reply_array(&client->reply, 3);
    reply_bulk_slice(&client->reply, key);
    reply_bulk_slice(&client->reply, member);
    reply_double(&client->reply, score);
    zset_delete_ranks(&server.heap, zset, max ? length - 1 : 0, 1);
    if (length == 1) {
        db_delete(&server.keyspace, client->db, item, hash);
    } else {
        watch_touch(client->db, key, hash);
    }
}

/* BLMPOP/BZMPOP: LMPOP/ZMPOP on the one key, with the command's direction and COUNT. */
static void serve_mpop(struct client *client, command_handler handler,
                       uint32_t argument_index, uint32_t where_index) {
    ASSERT(where_index < client->argv.count);
    uint32_t tail_count = client->argv.count - where_index;
    ASSERT(tail_count == 1 || tail_count == 3);
    struct slice items[SERVE_ARGV_MAX];
    items[0] = client_arg(client, 0);
    items[1] = (struct slice){ .ptr = (const uint8_t *)"1", .size = 1 };
    items[2] = client_arg(client, argument_index);
    for (uint32_t index = 0; index < tail_count; index++) {
        items[3 + index] = client_arg(client, where_index + index);
    }
    serve_with_arguments(client, handler, items, 3 + tail_count);
}

void blocking_serve_client(struct client *client, uint8_t kind, uint32_t argument_index,
                           uint32_t where_index) {
    ASSERT(kind != BLOCKING_NONE);
    ASSERT(argument_index > 0);
    struct slice key = client_arg(client, argument_index);
    struct slice items[2] = { client_arg(client, 0), key };
    switch (kind) {
    case BLOCKING_LIST_HEAD:
    case BLOCKING_LIST_TAIL:
        reply_array(&client->reply, 2);
        reply_bulk_slice(&client->reply, key);
        serve_with_arguments(client, kind == BLOCKING_LIST_HEAD ? cmd_lpop : cmd_rpop, items, 2);
        break;
    case BLOCKING_LMOVE:
        ASSERT(argument_index == 1);
        serve_with_arguments(client, cmd_lmove, client->argv.items, 5);
        break;
    case BLOCKING_RPOPLPUSH:
        ASSERT(argument_index == 1);
        serve_with_arguments(client, cmd_rpoplpush, client->argv.items, 3);
        break;
    case BLOCKING_LMPOP:
        serve_mpop(client, cmd_lmpop, argument_index, where_index);
        break;
    case BLOCKING_ZSET_MIN:
    case BLOCKING_ZSET_MAX:
        serve_zpop(client, key, kind == BLOCKING_ZSET_MAX);
        break;
    case BLOCKING_ZMPOP:
        serve_mpop(client, cmd_zmpop, argument_index, where_index);
        break;
    default:
        ASSERT(false);
    }
}

/* ==== The commands ==== */

/*
 * The immediate path: the first key that exists answers (WRONGTYPE when it
 * holds another type). True when one did.
 */
static bool serve_now(struct client *client, enum blocking_kind kind, uint32_t first_key,
                      uint32_t key_count, uint32_t where_index) {
    ASSERT(key_count > 0);
    ASSERT(first_key + key_count <= client->argv.count);
    uint8_t type = kind <= BLOCKING_LMPOP ? ITEM_LIST : ITEM_ZSET;
    for (uint32_t index = first_key; index < first_key + key_count; index++) {
        struct slice key = client_arg(client, index);
        struct item *item = command_find_write(client, key, index_hash(key));
        if (item == NULL) {
            continue;
        }
        if (command_check_type(client, item, type)) {
            blocking_serve_client(client, (uint8_t)kind, index, where_index);
        }
        return true;
    }
    return false;
}

/* No key has data: block, or inside EXEC answer as a timeout. */
static void block_or_answer(struct client *client, enum blocking_kind kind, uint32_t first_key,
                            uint32_t key_count, uint32_t where_index, int64_t deadline_ms) {
    ASSERT(kind != BLOCKING_NONE);
    ASSERT(deadline_ms >= 0);
    if (client_in_exec(client)) {
        if (kind == BLOCKING_LMOVE || kind == BLOCKING_RPOPLPUSH) {
            reply_null(&client->reply);
        } else {
            reply_null_array(&client->reply);
        }
        return;
    }
    if (!blocking_block(client, kind, first_key, key_count, where_index, deadline_ms)) {
        reply_error(&client->reply, ERROR_OOM); /* the input heap has no room */
    }
}

/* BLPOP, BRPOP, BZPOPMIN, BZPOPMAX: key [key ...] timeout. */
static void blocking_keys_command(struct client *client, enum blocking_kind kind) {
    ASSERT(client->argv.count >= 3);
    uint32_t key_count = client->argv.count - 2;
    int64_t deadline_ms = 0;
    if (!timeout_parse_or_reply(client, client_arg(client, client->argv.count - 1),
                                &deadline_ms)) {
        return;
    }
    if (!serve_now(client, kind, 1, key_count, 0)) {
        block_or_answer(client, kind, 1, key_count, 0, deadline_ms);
    }
}

void cmd_blpop(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    blocking_keys_command(client, BLOCKING_LIST_HEAD);
}

void cmd_brpop(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    blocking_keys_command(client, BLOCKING_LIST_TAIL);
}

void cmd_bzpopmin(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    blocking_keys_command(client, BLOCKING_ZSET_MIN);
}

void cmd_bzpopmax(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    blocking_keys_command(client, BLOCKING_ZSET_MAX);
}

/* blmoveGenericCommand: a source that exists runs LMOVE; a missing one blocks. */
static void blocking_move_command(struct client *client, enum blocking_kind kind,
                                  struct slice timeout) {
    ASSERT(kind == BLOCKING_LMOVE || kind == BLOCKING_RPOPLPUSH);
    ASSERT(client->argv.count >= 4);
    int64_t deadline_ms = 0;
    if (!timeout_parse_or_reply(client, timeout, &deadline_ms)) {
        return;
    }
    if (!serve_now(client, kind, 1, 1, 0)) {
        block_or_answer(client, kind, 1, 1, 0, deadline_ms);
    }
}

static bool list_end_valid(struct slice text) {
    ASSERT(text.ptr != NULL || text.size == 0);
    return slice_equal_nocase(text, "left") || slice_equal_nocase(text, "right");
}

void cmd_blmove(struct client *client) {
    ASSERT(client->argv.count == 6);
    if (!list_end_valid(client_arg(client, 3)) || !list_end_valid(client_arg(client, 4))) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    blocking_move_command(client, BLOCKING_LMOVE, client_arg(client, 5));
}

void cmd_brpoplpush(struct client *client) {
    ASSERT(client->argv.count == 4);
    blocking_move_command(client, BLOCKING_RPOPLPUSH, client_arg(client, 3));
}

/*
 * lmpopGenericCommand / zmpopGenericCommand with is_block: timeout numkeys
 * key [key ...] <first|second> [COUNT count]; checked in that order, the
 * timeout last.
 */
static void blocking_mpop_command(struct client *client, enum blocking_kind kind,
                                  const char *first, const char *second) {
    ASSERT(client->argv.count >= 5);
    int64_t number = 0;
    if (!argument_int64(client_arg(client, 2), &number) || number < 1) {
        reply_error(&client->reply, ERROR_NUMKEYS);
        return;
    }
    if ((uint64_t)number >= client->argv.count - 3) {
        reply_error(&client->reply, ERROR_SYNTAX); /* the direction would be past the end */
        return;
    }
    uint32_t key_count = (uint32_t)number;
    uint32_t where_index = 3 + key_count;
    struct slice where = client_arg(client, where_index);
    if (!slice_equal_nocase(where, first) && !slice_equal_nocase(where, second)) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    bool has_count = false;
    for (uint32_t index = where_index + 1; index < client->argv.count; index++) {
        bool more = index + 1 < client->argv.count;
        if (has_count || !more || !slice_equal_nocase(client_arg(client, index), "count")) {
            reply_error(&client->reply, ERROR_SYNTAX);
            return;
        }
        index++;
        if (!argument_int64(client_arg(client, index), &number) || number < 1) {
            reply_error(&client->reply, ERROR_COUNT);
            return;
        }
        has_count = true;
    }
    int64_t deadline_ms = 0;
    if (!timeout_parse_or_reply(client, client_arg(client, 1), &deadline_ms)) {
        return;
    }
    if (!serve_now(client, kind, 3, key_count, where_index)) {
        block_or_answer(client, kind, 3, key_count, where_index, deadline_ms);
    }
}

void cmd_blmpop(struct client *client) {
    ASSERT(client->argv.count >= 5); /* arity in commands.def */
    blocking_mpop_command(client, BLOCKING_LMPOP, "left", "right");
}

void cmd_bzmpop(struct client *client) {
    ASSERT(client->argv.count >= 5); /* arity in commands.def */
    blocking_mpop_command(client, BLOCKING_ZMPOP, "min", "max");
}
