/*
 * cmd_list_more.c: the list commands that work inside a list: LINDEX, LSET,
 * LINSERT, LREM, LTRIM and LPOS. (cmd_list.c has the ones at the ends.)
 *
 * Replies, error texts and the order of the checks are Redis 7.0's. Invariants:
 * - A list key never holds an empty list: LREM and LTRIM delete a key they
 *   empty.
 * - LSET and LINSERT either complete or answer -OOM with the list as it was
 *   (list_set and list_insert allocate before they link); LREM and LTRIM never
 *   allocate.
 * - OBJECT ENCODING follows Redis 7.2 (list.h): LSET and LINSERT run the growth
 *   check with their element before changing the list, as Redis does (so even
 *   an LINSERT whose pivot is missing may turn a listpack into a quicklist);
 *   LSET, LREM and LTRIM run the shrink check after.
 *
 * Limits: LPOS with COUNT walks the list twice (once to count the matches for
 * the array header, once to reply), so it needs no scratch memory.
 */
#include "commands.h"

#include "db.h"
#include "index.h"
#include "item.h"
#include "multi.h"
#include "list.h"

static const char ERROR_NO_SUCH_KEY[] = "ERR no such key";
static const char ERROR_INDEX_RANGE[] = "ERR index out of range";
static const char ERROR_RANK_ZERO[] =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list";
static const char ERROR_COUNT_NEGATIVE[] = "ERR COUNT can't be negative";
static const char ERROR_MAXLEN_NEGATIVE[] = "ERR MAXLEN can't be negative";

/* ==== Helpers ==== */

static struct list *list_of(const struct item *item) {
    ASSERT(item != NULL);
    ASSERT(item->type == ITEM_LIST);
    return item_object(item);
}

static int32_t list_fill(void) {
    return server.config.list_max_listpack_size;
}

/* An index as LINDEX/LSET read it: negative counts from the tail. False when outside. */
static bool list_index_resolve(const struct list *list, int64_t index, uint64_t *resolved) {
    uint64_t length = list_length(list);
    ASSERT(length > 0);
    ASSERT(length <= (uint64_t)INT64_MAX);
    if (index < 0) {
        index += (int64_t)length; /* cannot overflow: length > 0 */
    }
    if (index < 0 || (uint64_t)index >= length) {
        return false;
    }
    *resolved = (uint64_t)index;
    return true;
}

/* After elements were removed: deletes an emptied key, else the shrink check. */
static void list_settle(struct client *client, struct item *item, uint64_t hash) {
    struct list *list = list_of(item);
    if (list_length(list) == 0) {
        db_delete(&server.keyspace, client->db, item, hash);
        return;
    }
    list_shrink_encoding(list, list_fill());
    ASSERT(list_length(list) > 0);
    watch_touch(client->db, item_key(item), hash);
}

/* ==== LINDEX, LSET ==== */

void cmd_lindex(struct client *client) {
    ASSERT(client->argv.count == 3);
    struct slice key = client_arg(client, 1);
    uint64_t hash = 0;
    const struct item *item = command_find(client, key, &hash);
    if (item == NULL) {
        reply_null(&client->reply);
        return;
    }
    if (!command_check_type(client, item, ITEM_LIST)) {
        return;
    }
    int64_t index = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &index)) {
        return;
    }
    const struct list *list = list_of(item);
    uint64_t resolved = 0;
    if (!list_index_resolve(list, index, &resolved)) {
        reply_null(&client->reply);
        return;
    }
    ASSERT(resolved < list_length(list));
    reply_bulk_slice(&client->reply, list_index(list, resolved));
}

void cmd_lset(struct client *client) {
    ASSERT(client->argv.count == 4);
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL) {
        reply_error(&client->reply, ERROR_NO_SUCH_KEY);
        return;
    }
    if (!command_check_type(client, item, ITEM_LIST)) {
        return;
    }
    int64_t index = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &index)) {
        return;
    }
    struct slice value = client_arg(client, 3);
    if (value.size > LIST_ELEMENT_SIZE_MAX) {
        reply_error(&client->reply, ERROR_OOM); /* more than any node can hold */
        return;
    }
    struct list *list = list_of(item);
    /* Redis converts before it looks at the index, with one element's worth added. */
    bool converts = list_growth_converts(list, list_fill(), value.size, 1);
    uint64_t resolved = 0;
    if (!list_index_resolve(list, index, &resolved)) {
        if (converts) {
            list_set_quicklist(list);
        }
        reply_error(&client->reply, ERROR_INDEX_RANGE);
        return;
    }
    if (!list_set(&server.heap, list, resolved, value)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    watch_touch(client->db, item_key(item), hash);
    if (converts) {
        list_set_quicklist(list);
    }
    list_shrink_encoding(list, list_fill());
    reply_ok(&client->reply);
}

/* ==== LINSERT ==== */

/* Index of the first element equal to pivot, walking from the head; false if none. */
static bool list_find(const struct list *list, struct slice pivot, uint64_t *found_index) {
    ASSERT(found_index != NULL);
    ASSERT(list_length(list) > 0);
    struct list_iterator iterator;
    list_iterator_init(&iterator, list, 0, false);
    uint64_t length = list_length(list);
    struct slice value = { 0 };
    for (uint64_t index = 0; index < length; index++) {
        bool more = list_iterator_next(&iterator, &value);
        ASSERT(more);
        if (slice_equal(value, pivot)) {
            *found_index = index;
            return true;
        }
    }
    return false;
}

void cmd_linsert(struct client *client) {
    ASSERT(client->argv.count == 5);
    struct slice where = client_arg(client, 2);
    bool after = slice_equal_nocase(where, "after");
    if (!after && !slice_equal_nocase(where, "before")) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (!command_check_type(client, item, ITEM_LIST)) {
        return;
    }
    struct slice value = client_arg(client, 4);
    if (value.size > LIST_ELEMENT_SIZE_MAX) {
        reply_error(&client->reply, ERROR_OOM); /* more than any node can hold */
        return;
    }
    struct list *list = list_of(item);
    bool converts = list_growth_converts(list, list_fill(), value.size, 1);
    uint64_t pivot_index = 0;
    if (!list_find(list, client_arg(client, 3), &pivot_index)) {
        if (converts) {
            list_set_quicklist(list);
        }
        reply_integer(&client->reply, -1);
        return;
    }
    if (!list_insert(&server.heap, list, pivot_index + (after ? 1 : 0), value)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    watch_touch(client->db, item_key(item), hash);
    if (converts) {
        list_set_quicklist(list);
    }
    ASSERT(list_length(list) <= (uint64_t)INT64_MAX);
    reply_integer(&client->reply, (int64_t)list_length(list));
}

/* ==== LREM, LTRIM ==== */

void cmd_lrem(struct client *client) {
    ASSERT(client->argv.count == 4);
    int64_t count = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &count)) {
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (!command_check_type(client, item, ITEM_LIST)) {
        return;
    }
    struct list *list = list_of(item);
    uint64_t length = list_length(list);
    uint64_t removed = list_remove(&server.heap, list, client_arg(client, 3), count);
    ASSERT(removed <= (uint64_t)INT64_MAX);
    ASSERT(list_length(list) + removed == length);
    if (list_length(list) == 0) {
        db_delete(&server.keyspace, client->db, item, hash);
    } else if (removed > 0) {
        list_shrink_encoding(list, list_fill());
        watch_touch(client->db, key, hash);
    }
    reply_integer(&client->reply, (int64_t)removed);
}

void cmd_ltrim(struct client *client) {
    ASSERT(client->argv.count == 4);
    int64_t start = 0;
    int64_t stop = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &start) ||
        !argument_int64_or_reply(client, client_arg(client, 3), &stop)) {
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL) {
        reply_ok(&client->reply);
        return;
    }
    if (!command_check_type(client, item, ITEM_LIST)) {
        return;
    }
    struct list *list = list_of(item);
    ASSERT(list_length(list) <= (uint64_t)INT64_MAX);
    int64_t length = (int64_t)list_length(list);
    /* ltrimCommand: negative indexes count from the end (no overflow: length > 0). */
    start = start < 0 ? MAX(length + start, 0) : start;
    stop = stop < 0 ? length + stop : stop;
    uint64_t keep_start = 0;
    uint64_t keep_count = 0;
    if (start <= stop && start < length) {
        stop = MIN(stop, length - 1);
        keep_start = (uint64_t)start;
        keep_count = (uint64_t)(stop - start) + 1;
    }
    ASSERT(keep_start + keep_count <= (uint64_t)length);
    list_trim(&server.heap, list, keep_start, keep_count);
    list_settle(client, item, hash);
    reply_ok(&client->reply);
}

/* ==== LPOS ==== */

struct lpos_options {
    int64_t rank;       /* 1: the first match; negative: counted from the tail */
    int64_t count;      /* -1: not given (one index or nil); 0: every match */
    int64_t maxlen;     /* elements compared at most; 0: all */
};

/* Reads one non-negative option value; replies `error` for anything else. */
static bool lpos_positive(struct client *client, struct slice text, const char *error,
                          int64_t *value) {
    ASSERT(error != NULL);
    if (!argument_int64(text, value) || *value < 0) {
        reply_error(&client->reply, error);
        return false;
    }
    return true;
}

/* lposCommand's option loop: RANK, COUNT and MAXLEN in any order, last one wins. */
static bool lpos_parse(struct client *client, struct lpos_options *options) {
    ASSERT(client->argv.count >= 3);
    *options = (struct lpos_options){ .rank = 1, .count = -1, .maxlen = 0 };
    for (uint32_t index = 3; index < client->argv.count; index++) {
        struct slice option = client_arg(client, index);
        bool more = index + 1 < client->argv.count;
        if (more && slice_equal_nocase(option, "rank")) {
            index++;
            if (!argument_int64_or_reply(client, client_arg(client, index), &options->rank)) {
                return false;
            }
            if (options->rank == 0) {
                reply_error(&client->reply, ERROR_RANK_ZERO);
                return false;
            }
        } else if (more && slice_equal_nocase(option, "count")) {
            index++;
            if (!lpos_positive(client, client_arg(client, index), ERROR_COUNT_NEGATIVE,
                               &options->count)) {
                return false;
            }
        } else if (more && slice_equal_nocase(option, "maxlen")) {
            index++;
            if (!lpos_positive(client, client_arg(client, index), ERROR_MAXLEN_NEGATIVE,
                               &options->maxlen)) {
                return false;
            }
        } else {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
    }
    ASSERT(options->rank != 0);
    ASSERT(options->count >= -1 && options->maxlen >= 0);
    return true;
}

/*
 * Walks the list for matches, as lposCommand: skips the first |rank| - 1, then
 * takes up to `limit` (0: no limit), comparing at most maxlen elements (0: all).
 * Replies each index taken when `reply` is set; returns how many were taken and
 * the index of the last one in *position. RANK -9223372036854775808 skips
 * nothing: Redis negates it, which overflows back to itself.
 */
static uint64_t lpos_scan(struct client *client, const struct list *list, struct slice value,
                          const struct lpos_options *options, uint64_t limit, bool reply,
                          int64_t *position) {
    bool reverse = options->rank < 0;
    uint64_t skip = options->rank == INT64_MIN ? 0
                    : reverse                  ? (uint64_t)(-options->rank) - 1
                                               : (uint64_t)options->rank - 1;
    uint64_t length = list_length(list);
    ASSERT(length > 0);
    uint64_t scan_count = options->maxlen == 0 ? length : MIN(length, (uint64_t)options->maxlen);
    struct list_iterator iterator;
    list_iterator_init(&iterator, list, reverse ? length - 1 : 0, reverse);
    uint64_t taken = 0;
    for (uint64_t index = 0; index < scan_count; index++) {
        struct slice element = { 0 };
        bool more = list_iterator_next(&iterator, &element);
        ASSERT(more);
        if (!slice_equal(element, value)) {
            continue;
        }
        if (skip > 0) {
            skip--;
            continue;
        }
        *position = (int64_t)(reverse ? length - 1 - index : index);
        if (reply) {
            reply_integer(&client->reply, *position);
        }
        taken++;
        if (taken == limit) {
            break;
        }
    }
    ASSERT(limit == 0 || taken <= limit);
    return taken;
}

void cmd_lpos(struct client *client) {
    ASSERT(client->argv.count >= 3);
    struct lpos_options options;
    if (!lpos_parse(client, &options)) {
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = 0;
    const struct item *item = command_find(client, key, &hash);
    bool has_count = options.count != -1;
    if (item == NULL) {
        if (has_count) {
            reply_empty_array(&client->reply);
        } else {
            reply_null(&client->reply);
        }
        return;
    }
    if (!command_check_type(client, item, ITEM_LIST)) {
        return;
    }
    const struct list *list = list_of(item);
    struct slice value = client_arg(client, 2);
    int64_t position = -1;
    if (!has_count) {
        if (lpos_scan(client, list, value, &options, 1, false, &position) == 0) {
            reply_null(&client->reply);
        } else {
            reply_integer(&client->reply, position);
        }
        return;
    }
    /* With RANK -9223372036854775808, Redis's COUNT test overflows and never stops. */
    uint64_t limit = options.rank == INT64_MIN ? 0 : (uint64_t)options.count;
    uint64_t taken = lpos_scan(client, list, value, &options, limit, false, &position);
    reply_array(&client->reply, taken);
    uint64_t replied = lpos_scan(client, list, value, &options, limit, true, &position);
    ASSERT(replied == taken);
}
