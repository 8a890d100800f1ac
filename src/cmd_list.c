/*
 * cmd_list.c: the list commands that push and pop at the ends: LPUSH, RPUSH,
 * LPUSHX, RPUSHX, LPOP, RPOP, LMPOP, LMOVE, RPOPLPUSH, and LRANGE, LLEN.
 * (cmd_list_more.c has the ones working inside a list.)
 *
 * Replies follow Redis 7.0 byte for byte. Invariants:
 * - A list key never holds an empty list: a pop that empties it deletes the
 *   key, and a push that creates it stores the key only once every element
 *   is in.
 * - A push either adds every element or, when the heap has no room, none:
 *   the elements this command already pushed are popped back (list_pop never
 *   fails) and a list it created is destroyed before -OOM is sent.
 * - LMOVE/RPOPLPUSH push to the destination first and pop the source after,
 *   so a push that fails leaves both lists as they were.
 * - A popped element is written to the reply before list_pop, because
 *   list_peek's slice points into the node that list_pop may free.
 * - OBJECT ENCODING follows Redis 7.2 (list.h): a growth check with the
 *   configured list-max-listpack-size before elements are added (applied once
 *   they are in), a shrink check after elements were removed.
 */
#include "commands.h"

#include "db.h"
#include "index.h"
#include "item.h"
#include "multi.h"
#include "list.h"

/* ==== LPUSH, RPUSH ==== */

/* The list of a key known to hold one. */
static struct list *list_of(const struct item *item) {
    ASSERT(item != NULL);
    ASSERT(item->type == ITEM_LIST);
    return item_object(item);
}

/* Replies a list length, which always fits in int64. */
static void reply_length(struct client *client, uint64_t length) {
    ASSERT(length <= (uint64_t)INT64_MAX);
    reply_integer(&client->reply, (int64_t)length);
}

/* The configured list-max-listpack-size, for node limits and encoding checks. */
static int32_t list_fill(void) {
    return server.config.list_max_listpack_size;
}

/* A new empty list with node limits from the configuration; NULL when the heap is full. */
static struct list *list_new(void) {
    struct list *list = list_create(&server.heap);
    if (list != NULL) {
        list_set_node_limit(list, list_fill());
        ASSERT(list_length(list) == 0);
    }
    return list;
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

/* Sum of the sizes of argv[first..]: the raw bytes Redis's growth check adds. */
static uint64_t arguments_size(const struct client *client, uint32_t first_index) {
    ASSERT(first_index <= client->argv.count);
    uint64_t size = 0;
    for (uint32_t index = first_index; index < client->argv.count; index++) {
        size += client_arg(client, index).size;
    }
    return size;
}

/* Pushes argv[2..] one by one; on failure pops back what it pushed and returns false. */
static bool list_push_arguments(struct client *client, struct list *list, enum list_end end) {
    ASSERT(client->argv.count >= 3);
    uint64_t length_before = list_length(list);
    bool converts = list_growth_converts(list, list_fill(), arguments_size(client, 2),
                                         client->argv.count - 2);
    uint32_t pushed_count = 0;
    for (uint32_t index = 2; index < client->argv.count; index++) {
        if (!list_push(&server.heap, list, end, client_arg(client, index))) {
            break;
        }
        pushed_count++;
    }
    if (pushed_count == client->argv.count - 2) {
        ASSERT(list_length(list) == length_before + pushed_count);
        if (converts) {
            list_set_quicklist(list);
        }
        return true;
    }
    for (uint32_t undo = 0; undo < pushed_count; undo++) {
        list_pop(&server.heap, list, end);
    }
    ASSERT(list_length(list) == length_before);
    return false;
}

/* Creates the key with a new list holding argv[2..]; false (nothing changed) on no room. */
static bool list_push_new(struct client *client, struct slice key, uint64_t hash,
                          enum list_end end) {
    ASSERT(client->argv.count >= 3);
    if (!db_prepare_insert(client->db, hash)) {
        return false;
    }
    struct list *list = list_new();
    if (list == NULL) {
        return false;
    }
    if (!list_push_arguments(client, list, end)) {
        list_destroy(&server.heap, list);
        return false;
    }
    struct item *item = item_create_object(&server.heap, ITEM_LIST, key, list, 0);
    if (item == NULL) {
        list_destroy(&server.heap, list);
        return false;
    }
    db_store(&server.keyspace, client->db, item, hash, NULL);
    ASSERT(list_length(list) == client->argv.count - 2);
    return true;
}

/*
 * pushGenericCommand: every element in argument order at one end, then the
 * length. LPUSHX/RPUSHX (only_existing) answer 0 for a missing key.
 */
static void list_push_command(struct client *client, enum list_end end, bool only_existing) {
    ASSERT(client->argv.count >= 3);
    ASSERT(end == LIST_HEAD || end == LIST_TAIL);
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (!command_check_type(client, item, ITEM_LIST)) {
        return;
    }
    if (item == NULL && only_existing) {
        reply_integer(&client->reply, 0);
        return;
    }
    for (uint32_t index = 2; index < client->argv.count; index++) {
        if (client_arg(client, index).size > LIST_ELEMENT_SIZE_MAX) {
            reply_error(&client->reply, ERROR_OOM); /* more than any node can hold */
            return;
        }
    }
    if (item == NULL) {
        if (!list_push_new(client, key, hash, end)) {
            reply_error(&client->reply, ERROR_OOM);
            return;
        }
        reply_length(client, client->argv.count - 2);
        return;
    }
    struct list *list = list_of(item);
    if (!list_push_arguments(client, list, end)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    watch_touch(client->db, key, hash);
    reply_length(client, list_length(list));
}

void cmd_lpush(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    list_push_command(client, LIST_HEAD, false);
}

void cmd_rpush(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    list_push_command(client, LIST_TAIL, false);
}

void cmd_lpushx(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    list_push_command(client, LIST_HEAD, true);
}

void cmd_rpushx(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    list_push_command(client, LIST_TAIL, true);
}

/* ==== LPOP, RPOP ==== */

/* Replies the element at `end`, then removes it. */
static void list_pop_reply(struct client *client, struct list *list, enum list_end end) {
    ASSERT(list_length(list) > 0);
    uint64_t length_before = list_length(list);
    reply_bulk_slice(&client->reply, list_peek(list, end));
    list_pop(&server.heap, list, end);
    ASSERT(list_length(list) == length_before - 1);
}

/*
 * popGenericCommand: without a count, one bulk (nil when the key is missing);
 * with one, an array of up to count elements in pop order (nil array when the
 * key is missing, empty array for a count of 0).
 */
static void list_pop_command(struct client *client, const char *name, enum list_end end) {
    ASSERT(client->argv.count >= 2);
    ASSERT(name != NULL);
    if (client->argv.count > 3) {
        command_reply_arity(client, name);
        return;
    }
    bool has_count = client->argv.count == 3;
    int64_t count = 0;
    if (has_count && (!argument_int64(client_arg(client, 2), &count) || count < 0)) {
        reply_error(&client->reply, ERROR_OUT_OF_RANGE_POSITIVE);
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL) {
        if (has_count) {
            reply_null_array(&client->reply);
        } else {
            reply_null(&client->reply);
        }
        return;
    }
    if (!command_check_type(client, item, ITEM_LIST)) {
        return;
    }
    if (has_count && count == 0) {
        reply_empty_array(&client->reply);
        return;
    }
    struct list *list = list_of(item);
    if (!has_count) {
        list_pop_reply(client, list, end);
    } else {
        uint64_t pop_count = MIN((uint64_t)count, list_length(list));
        reply_array(&client->reply, pop_count);
        for (uint64_t popped = 0; popped < pop_count; popped++) {
            list_pop_reply(client, list, end);
        }
    }
    list_settle(client, item, hash);
}

void cmd_lpop(struct client *client) {
    ASSERT(client->argv.count >= 2); /* arity in commands.def */
    list_pop_command(client, "lpop", LIST_HEAD);
}

void cmd_rpop(struct client *client) {
    ASSERT(client->argv.count >= 2); /* arity in commands.def */
    list_pop_command(client, "rpop", LIST_TAIL);
}

/* ==== LMOVE, RPOPLPUSH ==== */

static const char ERROR_NUMKEYS[] = "ERR numkeys should be greater than 0";
static const char ERROR_COUNT_POSITIVE[] = "ERR count should be greater than 0";

/* LEFT or RIGHT (any case), else a syntax error reply. */
static bool list_end_parse(struct client *client, struct slice text, enum list_end *end) {
    ASSERT(end != NULL);
    ASSERT(client->argv.count >= 4);
    if (slice_equal_nocase(text, "left")) {
        *end = LIST_HEAD;
    } else if (slice_equal_nocase(text, "right")) {
        *end = LIST_TAIL;
    } else {
        reply_error(&client->reply, ERROR_SYNTAX);
        return false;
    }
    return true;
}

/* LMOVE from a list to itself: push a copy at `to`, reply and pop at `from`. */
static bool list_move_within(struct client *client, struct list *list, enum list_end from,
                             enum list_end to) {
    struct slice value = list_peek(list, from);
    uint64_t length = list_length(list);
    /* Redis pops first, so its growth check sees the list without the element. */
    uint64_t packed_size = list_packed_size(list) - list_packed_entry_size(value) + value.size;
    bool converts = !list_is_quicklist(list) &&
                    list_packed_exceeds(list_fill(), packed_size, length);
    if (!list_push(&server.heap, list, to, value)) {
        return false;
    }
    ASSERT(list_length(list) == length + 1);
    reply_bulk_slice(&client->reply, list_peek(list, from));
    list_pop(&server.heap, list, from);
    if (converts) {
        list_set_quicklist(list);
    }
    list_shrink_encoding(list, list_fill());
    ASSERT(list_length(list) == length);
    return true;
}

/*
 * The bytes Redis's growth check counts for an element LMOVE takes from source:
 * a quicklist pops integers as integer objects, which the check counts as 0.
 */
static uint64_t list_moved_size(const struct list *source, struct slice value) {
    ASSERT(list_length(source) > 0);
    int64_t number = 0;
    if (list_is_quicklist(source) && parse_int64(value.ptr, value.size, &number)) {
        return 0;
    }
    return value.size;
}

/* Pushes value at `to` of the destination key (created when target is NULL); add_size
 * is what the growth check counts for it. */
static bool list_move_push(struct client *client, struct slice key, uint64_t hash,
                           struct item *target, enum list_end to, struct slice value,
                           uint64_t add_size) {
    ASSERT(target == NULL || target->type == ITEM_LIST);
    ASSERT(add_size <= value.size);
    if (target != NULL) {
        struct list *list = list_of(target);
        bool converts = list_growth_converts(list, list_fill(), add_size, 1);
        if (!list_push(&server.heap, list, to, value)) {
            return false;
        }
        if (converts) {
            list_set_quicklist(list);
        }
        watch_touch(client->db, key, hash);
        return true;
    }
    if (!db_prepare_insert(client->db, hash)) {
        return false;
    }
    struct list *list = list_new();
    if (list == NULL) {
        return false;
    }
    bool converts = list_growth_converts(list, list_fill(), add_size, 1);
    struct item *item = NULL;
    if (list_push(&server.heap, list, to, value)) {
        item = item_create_object(&server.heap, ITEM_LIST, key, list, 0);
    }
    if (item == NULL) {
        list_destroy(&server.heap, list);
        return false;
    }
    if (converts) {
        list_set_quicklist(list);
    }
    db_store(&server.keyspace, client->db, item, hash, NULL);
    ASSERT(list_length(list) == 1);
    return true;
}

/* lmoveGenericCommand: pop at `from` of argv[1], push at `to` of argv[2], reply it. */
static void list_move_command(struct client *client, enum list_end from, enum list_end to) {
    ASSERT(client->argv.count >= 3);
    struct slice source_key = client_arg(client, 1);
    uint64_t source_hash = index_hash(source_key);
    struct item *source = command_find_write(client, source_key, source_hash);
    if (source == NULL) {
        reply_null(&client->reply);
        return;
    }
    if (!command_check_type(client, source, ITEM_LIST)) {
        return;
    }
    struct slice target_key = client_arg(client, 2);
    uint64_t target_hash = index_hash(target_key);
    struct item *target = command_find_write(client, target_key, target_hash);
    if (!command_check_type(client, target, ITEM_LIST)) {
        return;
    }
    struct list *list = list_of(source);
    if (target == source) {
        if (!list_move_within(client, list, from, to)) {
            reply_error(&client->reply, ERROR_OOM);
            return;
        }
        watch_touch(client->db, source_key, source_hash);
        return;
    }
    struct slice value = list_peek(list, from);
    if (!list_move_push(client, target_key, target_hash, target, to, value,
                        list_moved_size(list, value))) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    list_pop_reply(client, list, from);
    list_settle(client, source, source_hash);
}

void cmd_lmove(struct client *client) {
    ASSERT(client->argv.count == 5);
    enum list_end from = LIST_HEAD;
    enum list_end to = LIST_HEAD;
    if (!list_end_parse(client, client_arg(client, 3), &from) ||
        !list_end_parse(client, client_arg(client, 4), &to)) {
        return;
    }
    list_move_command(client, from, to);
}

void cmd_rpoplpush(struct client *client) {
    ASSERT(client->argv.count == 3);
    list_move_command(client, LIST_TAIL, LIST_HEAD);
}

/* ==== LMPOP ==== */

/* Replies [key, [elements]] for up to count elements at `end`, then removes them. */
static void list_pop_range_reply(struct client *client, struct item *item, uint64_t hash,
                                 enum list_end end, uint64_t count) {
    struct list *list = list_of(item);
    uint64_t length = list_length(list);
    uint64_t pop_count = MIN(count, length);
    ASSERT(pop_count > 0);
    ASSERT(end == LIST_HEAD || end == LIST_TAIL);
    reply_array(&client->reply, 2);
    reply_bulk_slice(&client->reply, item_key(item));
    reply_array(&client->reply, pop_count);
    struct list_iterator iterator;
    list_iterator_init(&iterator, list, end == LIST_HEAD ? 0 : length - 1, end == LIST_TAIL);
    for (uint64_t index = 0; index < pop_count; index++) {
        struct slice value = { 0 };
        bool more = list_iterator_next(&iterator, &value);
        ASSERT(more);
        reply_bulk_slice(&client->reply, value);
    }
    list_delete_range(&server.heap, list, end == LIST_HEAD ? 0 : length - pop_count, pop_count);
    ASSERT(list_length(list) == length - pop_count);
    list_settle(client, item, hash);
}

/* lmpopGenericCommand's argument checks: numkeys, LEFT|RIGHT, [COUNT count]. */
static bool list_mpop_parse(struct client *client, uint64_t *key_count, enum list_end *end,
                            uint64_t *count) {
    ASSERT(client->argv.count >= 4);
    ASSERT(key_count != NULL && end != NULL && count != NULL);
    int64_t number = 0;
    if (!argument_int64(client_arg(client, 1), &number) || number < 1) {
        reply_error(&client->reply, ERROR_NUMKEYS);
        return false;
    }
    if ((uint64_t)number > client->argv.count - 3) {
        reply_error(&client->reply, ERROR_SYNTAX); /* LEFT|RIGHT would be past the end */
        return false;
    }
    *key_count = (uint64_t)number;
    uint32_t end_index = 2 + (uint32_t)number;
    if (!list_end_parse(client, client_arg(client, end_index), end)) {
        return false;
    }
    *count = 0;
    for (uint32_t index = end_index + 1; index < client->argv.count; index++) {
        bool more = index + 1 < client->argv.count;
        if (*count != 0 || !more || !slice_equal_nocase(client_arg(client, index), "count")) {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
        index++;
        if (!argument_int64(client_arg(client, index), &number) || number < 1) {
            reply_error(&client->reply, ERROR_COUNT_POSITIVE);
            return false;
        }
        *count = (uint64_t)number;
    }
    *count = *count == 0 ? 1 : *count;
    ASSERT(*key_count + 3 <= client->argv.count);
    return true;
}

void cmd_lmpop(struct client *client) {
    ASSERT(client->argv.count >= 4);
    uint64_t key_count = 0;
    enum list_end end = LIST_HEAD;
    uint64_t count = 0;
    if (!list_mpop_parse(client, &key_count, &end, &count)) {
        return;
    }
    ASSERT(key_count >= 1 && count >= 1);
    for (uint32_t index = 2; index < 2 + key_count; index++) {
        struct slice key = client_arg(client, index);
        uint64_t hash = index_hash(key);
        struct item *item = command_find_write(client, key, hash);
        if (item == NULL) {
            continue;
        }
        if (!command_check_type(client, item, ITEM_LIST)) {
            return;
        }
        list_pop_range_reply(client, item, hash, end, count);
        return;
    }
    reply_null_array(&client->reply);
}

/* ==== LRANGE, LLEN ==== */

/*
 * Resolves LRANGE's indexes as addListRangeReply: negative ones count from
 * the end, then the range is clamped. False when it is empty.
 */
static bool list_range_resolve(int64_t length, int64_t start, int64_t stop,
                               uint64_t *start_index, uint64_t *count) {
    ASSERT(length > 0);
    ASSERT(start_index != NULL);
    /* length <= INT64_MAX and the index is negative, so these cannot overflow. */
    if (start < 0) {
        start = length + start;
    }
    if (stop < 0) {
        stop = length + stop;
    }
    if (start < 0) {
        start = 0;
    }
    if (start > stop || start >= length) {
        return false;
    }
    if (stop >= length) {
        stop = length - 1;
    }
    *start_index = (uint64_t)start;
    *count = (uint64_t)(stop - start) + 1;
    ASSERT(*start_index + *count <= (uint64_t)length);
    return true;
}

void cmd_lrange(struct client *client) {
    ASSERT(client->argv.count == 4);
    int64_t start = 0;
    int64_t stop = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &start) ||
        !argument_int64_or_reply(client, client_arg(client, 3), &stop)) {
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    const struct item *item = command_find(client, key, &hash);
    if (item == NULL) {
        reply_empty_array(&client->reply);
        return;
    }
    if (!command_check_type(client, item, ITEM_LIST)) {
        return;
    }
    const struct list *list = list_of(item);
    ASSERT(list_length(list) > 0);
    ASSERT(list_length(list) <= (uint64_t)INT64_MAX);
    uint64_t start_index = 0;
    uint64_t count = 0;
    if (!list_range_resolve((int64_t)list_length(list), start, stop, &start_index, &count)) {
        reply_empty_array(&client->reply);
        return;
    }
    reply_array(&client->reply, count);
    struct list_iterator iterator;
    list_iterator_init(&iterator, list, start_index, false);
    for (uint64_t index = 0; index < count; index++) {
        struct slice value = { 0 };
        bool more = list_iterator_next(&iterator, &value);
        ASSERT(more);
        reply_bulk_slice(&client->reply, value);
    }
}

void cmd_llen(struct client *client) {
    ASSERT(client->argv.count == 2);
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    const struct item *item = command_find(client, key, &hash);
    if (item == NULL) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (!command_check_type(client, item, ITEM_LIST)) {
        return;
    }
    reply_length(client, list_length(list_of(item)));
}
