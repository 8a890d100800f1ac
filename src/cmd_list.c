/*
 * cmd_list.c: the list commands LPUSH, RPUSH, LPOP, RPOP, LRANGE and LLEN.
 *
 * Replies follow Redis 7.0 byte for byte. Invariants:
 * - A list key never holds an empty list: a pop that empties it deletes the
 *   key, and a push that creates it stores the key only once every element
 *   is in.
 * - A push either adds every element or, when the heap has no room, none:
 *   the elements this command already pushed are popped back (list_pop never
 *   fails) and a list it created is destroyed before -OOM is sent.
 * - A popped element is written to the reply before list_pop, because
 *   list_peek's slice points into the node that list_pop may free.
 */
#include "commands.h"

#include "db.h"
#include "index.h"
#include "item.h"
#include "list.h"

/* ==== LPUSH, RPUSH ==== */

/*
 * Looks up a key for writing, as Redis's lookupKeyWrite: lazy expiry and the
 * LRU clock, but no keyspace_hits/keyspace_misses (command_find counts those,
 * which Redis does only for reads).
 */
static struct item *find_for_write(struct client *client, struct slice key, uint64_t hash) {
    ASSERT(client->db != NULL);
    ASSERT(key.ptr != NULL || key.size == 0);
    VERIFY(hash == index_hash(key));
    return db_find(&server.keyspace, client->db, key, hash);
}

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

/* Pushes argv[2..] one by one; on failure pops back what it pushed and returns false. */
static bool list_push_arguments(struct client *client, struct list *list, enum list_end end) {
    ASSERT(client->argv.count >= 3);
    uint64_t length_before = list_length(list);
    uint32_t pushed_count = 0;
    for (uint32_t index = 2; index < client->argv.count; index++) {
        if (!list_push(&server.heap, list, end, client_arg(client, index))) {
            break;
        }
        pushed_count++;
    }
    if (pushed_count == client->argv.count - 2) {
        ASSERT(list_length(list) == length_before + pushed_count);
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
    struct list *list = list_create(&server.heap);
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

/* pushGenericCommand: every element in argument order at one end, then the length. */
static void list_push_command(struct client *client, enum list_end end) {
    ASSERT(client->argv.count >= 3);
    ASSERT(end == LIST_HEAD || end == LIST_TAIL);
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = find_for_write(client, key, hash);
    if (!command_check_type(client, item, ITEM_LIST)) {
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
    reply_length(client, list_length(list));
}

void cmd_lpush(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    list_push_command(client, LIST_HEAD);
}

void cmd_rpush(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    list_push_command(client, LIST_TAIL);
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
    struct item *item = find_for_write(client, key, hash);
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
    if (list_length(list) == 0) {
        db_delete(&server.keyspace, client->db, item, hash);
    }
}

void cmd_lpop(struct client *client) {
    ASSERT(client->argv.count >= 2); /* arity in commands.def */
    list_pop_command(client, "lpop", LIST_HEAD);
}

void cmd_rpop(struct client *client) {
    ASSERT(client->argv.count >= 2); /* arity in commands.def */
    list_pop_command(client, "rpop", LIST_TAIL);
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
