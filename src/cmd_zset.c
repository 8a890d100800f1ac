/*
 * cmd_zset.c: the sorted set commands that change or read single members:
 * ZADD, ZINCRBY, ZREM, ZSCORE, ZMSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, ZRANK,
 * ZREVRANK, ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER, ZSCAN and ZREMRANGEBY*.
 * The range reads and the set operations are in cmd_zset_ops.c.
 *
 * Replies follow Redis 7.0 byte for byte (scores through reply_double, which
 * is Redis 7.0's "%.17g"). Invariants:
 * - A sorted set key never holds an empty set: a removal that empties it
 *   deletes the key; a ZADD that creates it stores the key once it is filled.
 * - A ZADD of several pairs either applies all of them or, when the heap has
 *   no room, none: a packed set is changed through a private copy that takes
 *   over at the end, a skiplist through an undo log of what changed.
 * - Popped members are written to the reply before they are removed (their
 *   slices point into the set).
 */
#include "commands.h"

#include "db.h"
#include "glob.h"
#include "index.h"
#include "item.h"
#include "multi.h"
#include "zset.h"

#include <math.h>

static const char ERROR_NAN[] = "ERR resulting score is not a number (NaN)";
static const char ERROR_SCORE_RANGE[] = "ERR min or max is not a float";
static const char ERROR_LEX_RANGE[] = "ERR min or max not valid string range item";
static const char ERROR_XX_NX[] = "ERR XX and NX options at the same time are not compatible";
static const char ERROR_GT_LT_NX[] =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
static const char ERROR_INCR_PAIR[] = "ERR INCR option supports a single increment-element pair";
static const char EMPTY_SCAN[] = "*2\r\n$1\r\n0\r\n*0\r\n";

/* ==== Shared helpers ==== */

static struct zset *zset_of(const struct item *item) {
    ASSERT(item != NULL);
    ASSERT(item->type == ITEM_ZSET);
    struct zset *zset = item_object(item);
    ASSERT(zset_length(zset) > 0); /* an empty set is never stored */
    return zset;
}

static struct zset_limits zset_limits_now(void) {
    ASSERT(server.config.zset_max_listpack_entries <= UINT32_MAX);
    return (struct zset_limits){
        .entries_max = server.config.zset_max_listpack_entries,
        .value_size_max = server.config.zset_max_listpack_value,
    };
}

static void reply_count(struct client *client, uint64_t count) {
    ASSERT(count <= (uint64_t)INT64_MAX);
    reply_integer(&client->reply, (int64_t)count);
}

/* After members were removed: deletes the key when its set became empty. */
static void delete_if_empty(struct client *client, struct item *item, uint64_t hash) {
    ASSERT(item->type == ITEM_ZSET);
    VERIFY(hash == index_hash(item_key(item)));
    if (zset_length(item_object(item)) == 0) {
        db_delete(&server.keyspace, client->db, item, hash);
    } else {
        watch_touch(client->db, item_key(item), hash);
    }
}

/* Looks a key up for reading; NULL when it is missing or (after replying) of another type. */
static struct zset *find_for_read(struct client *client, uint32_t key_index, bool *wrong_type) {
    ASSERT(key_index < client->argv.count);
    ASSERT(wrong_type != NULL);
    uint64_t hash = 0;
    struct item *item = command_find(client, client_arg(client, key_index), &hash);
    *wrong_type = !command_check_type(client, item, ITEM_ZSET);
    if (item == NULL || *wrong_type) {
        return NULL;
    }
    return zset_of(item);
}

/* ==== ZADD, ZINCRBY ==== */

struct zadd_request {
    uint32_t flags;        /* ZSET_ADD_* */
    bool changed;          /* CH: count updates too */
    uint32_t first_index;  /* argv index of the first score */
    uint32_t pair_count;
};

struct zadd_totals {
    uint64_t added;
    uint64_t updated;
    uint64_t processed;
    double score;          /* the last resulting score (INCR replies it) */
};

/* One change of a multi-pair ZADD on a skiplist, to put back if a later pair fails. */
struct zadd_undo {
    uint32_t member_index;
    bool added;
    double old_score;
};

static bool zadd_option(struct slice argument, struct zadd_request *request) {
    ASSERT(request != NULL);
    if (slice_equal_nocase(argument, "nx")) {
        request->flags |= ZSET_ADD_NX;
    } else if (slice_equal_nocase(argument, "xx")) {
        request->flags |= ZSET_ADD_XX;
    } else if (slice_equal_nocase(argument, "ch")) {
        request->changed = true;
    } else if (slice_equal_nocase(argument, "incr")) {
        request->flags |= ZSET_ADD_INCR;
    } else if (slice_equal_nocase(argument, "gt")) {
        request->flags |= ZSET_ADD_GT;
    } else if (slice_equal_nocase(argument, "lt")) {
        request->flags |= ZSET_ADD_LT;
    } else {
        return false;
    }
    return true;
}

/* zaddGenericCommand's argument checks, in Redis's order. */
static bool zadd_parse(struct client *client, uint32_t flags, struct zadd_request *request) {
    ASSERT(client->argv.count >= 4);
    ASSERT(flags == 0 || flags == ZSET_ADD_INCR);
    memset(request, 0, sizeof(*request));
    request->flags = flags;
    uint32_t index = 2;
    for (; index < client->argv.count && zadd_option(client_arg(client, index), request);
         index++) {
    }
    uint32_t elements = client->argv.count - index;
    if (elements % 2 != 0 || elements == 0) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return false;
    }
    request->first_index = index;
    request->pair_count = elements / 2;
    bool nx = (request->flags & ZSET_ADD_NX) != 0;
    bool gt = (request->flags & ZSET_ADD_GT) != 0;
    bool lt = (request->flags & ZSET_ADD_LT) != 0;
    const char *error = NULL;
    if (nx && (request->flags & ZSET_ADD_XX)) {
        error = ERROR_XX_NX;
    } else if ((gt && nx) || (lt && nx) || (gt && lt)) {
        error = ERROR_GT_LT_NX;
    } else if ((request->flags & ZSET_ADD_INCR) && request->pair_count > 1) {
        error = ERROR_INCR_PAIR;
    }
    for (uint32_t pair = 0; error == NULL && pair < request->pair_count; pair++) {
        double score = 0;
        if (!argument_double(client_arg(client, index + 2 * pair), &score)) {
            error = ERROR_NOT_FLOAT;
        }
    }
    if (error != NULL) {
        reply_error(&client->reply, error);
        return false;
    }
    return true;
}

/*
 * Applies every pair in order. Stops at the first NaN or no-room status and
 * returns it (ZSET_ADD_ADDED when all went through); `undo` (may be NULL)
 * records each change so the caller can put the set back.
 */
static enum zset_add_status zadd_apply(struct client *client, struct zset *zset,
                                       const struct zadd_request *request,
                                       struct zadd_totals *totals, struct zadd_undo *undo) {
    ASSERT(request->pair_count > 0);
    ASSERT(request->first_index + 2 * request->pair_count == client->argv.count);
    struct zset_limits limits = zset_limits_now();
    memset(totals, 0, sizeof(*totals));
    for (uint32_t pair = 0; pair < request->pair_count; pair++) {
        uint32_t member_index = request->first_index + 2 * pair + 1;
        double score = 0;
        double old_score = 0;
        bool parsed = argument_double(client_arg(client, member_index - 1), &score);
        ASSERT(parsed); /* zadd_parse checked it */
        enum zset_add_status status =
            zset_add(&server.heap, zset, &limits, client_arg(client, member_index), score,
                     request->flags, &totals->score, &old_score);
        if (status == ZSET_ADD_NAN || status == ZSET_ADD_NO_ROOM) {
            return status;
        }
        bool added = status == ZSET_ADD_ADDED;
        if (undo != NULL && (added || status == ZSET_ADD_UPDATED)) {
            undo[totals->added + totals->updated] =
                (struct zadd_undo){ .member_index = member_index, .added = added,
                                    .old_score = old_score };
        }
        totals->added += added ? 1 : 0;
        totals->updated += status == ZSET_ADD_UPDATED ? 1 : 0;
        totals->processed += status != ZSET_ADD_SKIPPED ? 1 : 0;
    }
    return ZSET_ADD_ADDED;
}

/* Puts back, newest first, the changes recorded by zadd_apply. Never allocates. */
static void zadd_undo(struct client *client, struct zset *zset, const struct zadd_undo *undo,
                      uint64_t count) {
    ASSERT(undo != NULL);
    ASSERT(zset_encoding(zset) == ZSET_ENCODING_SKIPLIST);
    struct zset_limits limits = zset_limits_now();
    for (uint64_t index = count; index-- > 0;) {
        struct slice member = client_arg(client, undo[index].member_index);
        if (undo[index].added) {
            bool removed = zset_remove(&server.heap, zset, member);
            ASSERT(removed);
            continue;
        }
        double new_score = 0;
        double old_score = 0;
        enum zset_add_status status = zset_add(&server.heap, zset, &limits, member,
                                               undo[index].old_score, 0, &new_score,
                                               &old_score);
        ASSERT(status == ZSET_ADD_UPDATED);
    }
}

/* Applies a multi-pair ZADD to an existing set atomically. */
static enum zset_add_status zadd_apply_atomic(struct client *client, struct zset *zset,
                                              const struct zadd_request *request,
                                              struct zadd_totals *totals) {
    ASSERT(zset_length(zset) > 0);
    ASSERT(request->pair_count > 0);
    if (request->pair_count == 1) {
        return zadd_apply(client, zset, request, totals, NULL);
    }
    if (zset_encoding(zset) == ZSET_ENCODING_LISTPACK) {
        /* A packed set is small: change a copy, which takes over when all went in. */
        struct zset *copy = zset_copy(&server.heap, zset);
        if (copy == NULL) {
            return ZSET_ADD_NO_ROOM;
        }
        enum zset_add_status status = zadd_apply(client, copy, request, totals, NULL);
        if (status == ZSET_ADD_ADDED) {
            zset_swap(zset, copy);
        }
        zset_destroy(&server.heap, copy);
        return status;
    }
    struct zadd_undo *undo = heap_alloc(&server.heap,
                                        (uint64_t)request->pair_count * sizeof(*undo));
    if (undo == NULL) {
        return ZSET_ADD_NO_ROOM;
    }
    enum zset_add_status status = zadd_apply(client, zset, request, totals, undo);
    if (status != ZSET_ADD_ADDED) {
        zadd_undo(client, zset, undo, totals->added + totals->updated);
    }
    heap_free(&server.heap, undo);
    return status;
}

/* Creates the key with a new set holding the pairs; a status other than ADDED changed nothing. */
static enum zset_add_status zadd_create(struct client *client, struct slice key, uint64_t hash,
                                        const struct zadd_request *request,
                                        struct zadd_totals *totals) {
    ASSERT((request->flags & ZSET_ADD_XX) == 0);
    VERIFY(hash == index_hash(key));
    if (!db_prepare_insert(client->db, hash)) {
        return ZSET_ADD_NO_ROOM;
    }
    struct slice first_member = client_arg(client, request->first_index + 1);
    bool packed = server.config.zset_max_listpack_entries > 0 &&
                  first_member.size <= server.config.zset_max_listpack_value;
    struct zset *zset = zset_create(&server.heap, packed ? ZSET_ENCODING_LISTPACK
                                                         : ZSET_ENCODING_SKIPLIST);
    if (zset == NULL) {
        return ZSET_ADD_NO_ROOM;
    }
    enum zset_add_status status = zadd_apply(client, zset, request, totals, NULL);
    struct item *item = NULL;
    if (status == ZSET_ADD_ADDED) {
        ASSERT(zset_length(zset) > 0);
        item = item_create_object(&server.heap, ITEM_ZSET, key, zset, 0);
        status = item != NULL ? ZSET_ADD_ADDED : ZSET_ADD_NO_ROOM;
    }
    if (item == NULL) {
        zset_destroy(&server.heap, zset);
        return status;
    }
    db_store(&server.keyspace, client->db, item, hash, NULL);
    return ZSET_ADD_ADDED;
}

static void zadd_reply(struct client *client, const struct zadd_request *request,
                       const struct zadd_totals *totals) {
    ASSERT(totals->processed <= request->pair_count);
    ASSERT(totals->added + totals->updated <= totals->processed);
    if (request->flags & ZSET_ADD_INCR) {
        if (totals->processed > 0) {
            reply_double(&client->reply, totals->score);
        } else {
            reply_null(&client->reply);
        }
        return;
    }
    reply_count(client, request->changed ? totals->added + totals->updated : totals->added);
}

static void zadd_command(struct client *client, uint32_t flags) {
    ASSERT(client->argv.count >= 4);
    struct zadd_request request;
    if (!zadd_parse(client, flags, &request)) {
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (!command_check_type(client, item, ITEM_ZSET)) {
        return;
    }
    struct zadd_totals totals = { 0 };
    enum zset_add_status status = ZSET_ADD_ADDED;
    if (item != NULL) {
        status = zadd_apply_atomic(client, zset_of(item), &request, &totals);
    } else if ((request.flags & ZSET_ADD_XX) == 0) {
        status = zadd_create(client, key, hash, &request, &totals);
    }
    if (status == ZSET_ADD_NAN) {
        reply_error(&client->reply, ERROR_NAN);
    } else if (status == ZSET_ADD_NO_ROOM) {
        reply_error(&client->reply, ERROR_OOM);
    } else {
        if (item != NULL && totals.added + totals.updated > 0) {
            watch_touch(client->db, key, hash);
        }
        zadd_reply(client, &request, &totals);
    }
}

void cmd_zadd(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    zadd_command(client, 0);
}

void cmd_zincrby(struct client *client) {
    ASSERT(client->argv.count == 4); /* arity in commands.def */
    /* Redis runs ZINCRBY through ZADD's parser with INCR set (options included). */
    zadd_command(client, ZSET_ADD_INCR);
}

/* ==== ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK ==== */

void cmd_zrem(struct client *client) {
    ASSERT(client->argv.count >= 3);
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (!command_check_type(client, item, ITEM_ZSET)) {
        return;
    }
    struct zset *zset = zset_of(item);
    uint64_t deleted = 0;
    for (uint32_t index = 2; index < client->argv.count; index++) {
        deleted += zset_remove(&server.heap, zset, client_arg(client, index)) ? 1 : 0;
        if (zset_length(zset) == 0) {
            db_delete(&server.keyspace, client->db, item, hash);
            item = NULL;
            break;
        }
    }
    if (item != NULL && deleted > 0) {
        watch_touch(client->db, key, hash);
    }
    ASSERT(deleted <= client->argv.count - 2);
    reply_count(client, deleted);
}

void cmd_zcard(struct client *client) {
    ASSERT(client->argv.count == 2);
    bool wrong_type = false;
    const struct zset *zset = find_for_read(client, 1, &wrong_type);
    if (!wrong_type) {
        reply_count(client, zset != NULL ? zset_length(zset) : 0);
    }
}

void cmd_zscore(struct client *client) {
    ASSERT(client->argv.count == 3);
    bool wrong_type = false;
    const struct zset *zset = find_for_read(client, 1, &wrong_type);
    if (wrong_type) {
        return;
    }
    double score = 0;
    if (zset != NULL && zset_score(zset, client_arg(client, 2), &score)) {
        reply_double(&client->reply, score);
    } else {
        reply_null(&client->reply);
    }
}

void cmd_zmscore(struct client *client) {
    ASSERT(client->argv.count >= 3);
    bool wrong_type = false;
    const struct zset *zset = find_for_read(client, 1, &wrong_type);
    if (wrong_type) {
        return;
    }
    reply_array(&client->reply, client->argv.count - 2);
    ASSERT(zset == NULL || zset_length(zset) > 0);
    for (uint32_t index = 2; index < client->argv.count; index++) {
        double score = 0;
        if (zset != NULL && zset_score(zset, client_arg(client, index), &score)) {
            reply_double(&client->reply, score);
        } else {
            reply_null(&client->reply);
        }
    }
}

static void zrank_command(struct client *client, bool reverse) {
    ASSERT(client->argv.count == 3);
    bool wrong_type = false;
    const struct zset *zset = find_for_read(client, 1, &wrong_type);
    if (wrong_type) {
        return;
    }
    uint64_t rank = 0;
    if (zset == NULL || !zset_rank(zset, client_arg(client, 2), &rank)) {
        reply_null(&client->reply);
        return;
    }
    ASSERT(rank < zset_length(zset));
    reply_count(client, reverse ? zset_length(zset) - 1 - rank : rank);
}

void cmd_zrank(struct client *client) {
    ASSERT(client->argv.count == 3); /* arity in commands.def */
    zrank_command(client, false);
}

void cmd_zrevrank(struct client *client) {
    ASSERT(client->argv.count == 3); /* arity in commands.def */
    zrank_command(client, true);
}

/* ==== ZCOUNT, ZLEXCOUNT ==== */

/* Parses argv[min_index] and argv[min_index + 1] as a range; replies the error when invalid. */
static bool parse_range(struct client *client, uint32_t min_index, bool lex,
                        struct zset_range *range) {
    ASSERT(min_index + 1 < client->argv.count);
    memset(range, 0, sizeof(*range));
    range->lex = lex;
    struct slice min = client_arg(client, min_index);
    struct slice max = client_arg(client, min_index + 1);
    bool valid = lex ? zset_parse_lex_bound(min, &range->min) &&
                           zset_parse_lex_bound(max, &range->max)
                     : zset_parse_score_bound(min, &range->min) &&
                           zset_parse_score_bound(max, &range->max);
    if (!valid) {
        reply_error(&client->reply, lex ? ERROR_LEX_RANGE : ERROR_SCORE_RANGE);
    }
    return valid;
}

static void zcount_command(struct client *client, bool lex) {
    ASSERT(client->argv.count == 4);
    struct zset_range range;
    if (!parse_range(client, 2, lex, &range)) {
        return;
    }
    bool wrong_type = false;
    const struct zset *zset = find_for_read(client, 1, &wrong_type);
    if (!wrong_type) {
        reply_count(client, zset != NULL ? zset_range_count(zset, &range) : 0);
    }
}

void cmd_zcount(struct client *client) {
    ASSERT(client->argv.count == 4); /* arity in commands.def */
    zcount_command(client, false);
}

void cmd_zlexcount(struct client *client) {
    ASSERT(client->argv.count == 4); /* arity in commands.def */
    zcount_command(client, true);
}

/* ==== ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX ==== */

enum remove_kind { REMOVE_RANK, REMOVE_SCORE, REMOVE_LEX };

/* Ranks [*start, *start + *count) to remove; false when there are none. */
static bool remove_span(const struct zset *zset, enum remove_kind kind,
                        const struct zset_range *range, int64_t start, int64_t end,
                        uint64_t *first, uint64_t *count) {
    int64_t length = (int64_t)zset_length(zset);
    ASSERT(length > 0);
    if (kind == REMOVE_RANK) {
        start = start < 0 ? length + start : start;
        end = end < 0 ? length + end : end;
        start = start < 0 ? 0 : start;
        if (start > end || start >= length) {
            return false;
        }
        end = end >= length ? length - 1 : end;
        *first = (uint64_t)start;
        *count = (uint64_t)(end - start) + 1;
        return true;
    }
    if (!zset_range_first(zset, range, first)) {
        return false;
    }
    /* As zzlDeleteRangeByScore/Lex: from the first while below the maximum. */
    struct zset_iterator iterator;
    zset_iterator_init(&iterator, zset, *first, false);
    struct slice member;
    double score = 0;
    *count = 0;
    while (zset_iterator_next(&iterator, &member, &score) &&
           zset_range_below_max(range, member, score)) {
        (*count)++;
    }
    ASSERT(*count > 0); /* the first element is in range */
    ASSERT(*first + *count <= (uint64_t)length);
    return true;
}

static void zremrange_command(struct client *client, enum remove_kind kind) {
    ASSERT(client->argv.count == 4);
    int64_t start = 0;
    int64_t end = 0;
    struct zset_range range = { 0 };
    if (kind == REMOVE_RANK) {
        if (!argument_int64_or_reply(client, client_arg(client, 2), &start) ||
            !argument_int64_or_reply(client, client_arg(client, 3), &end)) {
            return;
        }
    } else if (!parse_range(client, 2, kind == REMOVE_LEX, &range)) {
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (!command_check_type(client, item, ITEM_ZSET)) {
        return;
    }
    struct zset *zset = zset_of(item);
    uint64_t first = 0;
    uint64_t count = 0;
    if (remove_span(zset, kind, &range, start, end, &first, &count)) {
        zset_delete_ranks(&server.heap, zset, first, count);
        delete_if_empty(client, item, hash);
    }
    reply_count(client, count);
}

void cmd_zremrangebyrank(struct client *client) {
    ASSERT(client->argv.count == 4); /* arity in commands.def */
    zremrange_command(client, REMOVE_RANK);
}

void cmd_zremrangebyscore(struct client *client) {
    ASSERT(client->argv.count == 4); /* arity in commands.def */
    zremrange_command(client, REMOVE_SCORE);
}

void cmd_zremrangebylex(struct client *client) {
    ASSERT(client->argv.count == 4); /* arity in commands.def */
    zremrange_command(client, REMOVE_LEX);
}

/* ==== ZPOPMIN, ZPOPMAX, ZMPOP ==== */

struct pop_request {
    uint32_t first_key;
    uint32_t key_count;
    bool max;              /* pop the highest scores */
    bool emit_key;         /* ZMPOP: [key, [[member, score], ...]] */
    bool nil_when_empty;   /* ZMPOP answers a null array when no key holds a set */
    int64_t count;         /* -1: a single pop */
};

/* genericZpopCommand: the first key holding a set loses up to count members. */
static void zpop_generic(struct client *client, const struct pop_request *request) {
    ASSERT(request->key_count > 0);
    ASSERT(request->first_key + request->key_count <= client->argv.count);
    struct item *item = NULL;
    struct slice key = { 0 };
    uint64_t hash = 0;
    for (uint32_t index = 0; index < request->key_count && item == NULL; index++) {
        key = client_arg(client, request->first_key + index);
        hash = index_hash(key);
        item = command_find_write(client, key, hash);
        if (!command_check_type(client, item, ITEM_ZSET)) {
            return;
        }
    }
    if (item == NULL) {
        if (request->nil_when_empty) {
            reply_null_array(&client->reply);
        } else {
            reply_empty_array(&client->reply);
        }
        return;
    }
    if (request->count == 0) {
        reply_empty_array(&client->reply);
        return;
    }
    struct zset *zset = zset_of(item);
    uint64_t length = zset_length(zset);
    uint64_t count = request->count < 0 ? 1 : MIN((uint64_t)request->count, length);
    if (request->emit_key) {
        reply_array(&client->reply, 2);
        reply_bulk_slice(&client->reply, key);
        reply_array(&client->reply, count);
    } else if (request->count < 0) {
        reply_array(&client->reply, 2);   /* no count: one flat pair, in RESP3 too */
    } else {
        reply_pair_array(&client->reply, count);
    }
    struct zset_iterator iterator;
    zset_iterator_init(&iterator, zset, request->max ? length - 1 : 0, request->max);
    for (uint64_t index = 0; index < count; index++) {
        struct slice member;
        double score = 0;
        bool more = zset_iterator_next(&iterator, &member, &score);
        ASSERT(more);
        if (request->emit_key) {
            reply_array(&client->reply, 2);
        } else if (request->count >= 0) {
            reply_pair(&client->reply);
        }
        reply_bulk_slice(&client->reply, member);
        reply_double(&client->reply, score);
    }
    ASSERT(count > 0 && count <= length);
    zset_delete_ranks(&server.heap, zset, request->max ? length - count : 0, count);
    delete_if_empty(client, item, hash);
}

static void zpop_command(struct client *client, bool max) {
    ASSERT(client->argv.count >= 2);
    if (client->argv.count > 3) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    struct pop_request request = { .first_key = 1, .key_count = 1, .max = max, .count = -1 };
    if (client->argv.count == 3 &&
        (!argument_int64(client_arg(client, 2), &request.count) || request.count < 0)) {
        reply_error(&client->reply, ERROR_OUT_OF_RANGE_POSITIVE);
        return;
    }
    zpop_generic(client, &request);
}

void cmd_zpopmin(struct client *client) {
    ASSERT(client->argv.count >= 2); /* arity in commands.def */
    zpop_command(client, false);
}

void cmd_zpopmax(struct client *client) {
    ASSERT(client->argv.count >= 2); /* arity in commands.def */
    zpop_command(client, true);
}

void cmd_zmpop(struct client *client) {
    ASSERT(client->argv.count >= 4);
    int64_t numkeys = 0;
    if (!argument_int64(client_arg(client, 1), &numkeys) || numkeys < 1) {
        reply_error(&client->reply, "ERR numkeys should be greater than 0");
        return;
    }
    if ((uint64_t)numkeys + 2 > client->argv.count - 1) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    uint32_t where_index = (uint32_t)numkeys + 2;
    struct slice where = client_arg(client, where_index);
    struct pop_request request = { .first_key = 2, .key_count = (uint32_t)numkeys,
                                   .emit_key = true, .nil_when_empty = true, .count = -1 };
    if (slice_equal_nocase(where, "max")) {
        request.max = true;
    } else if (!slice_equal_nocase(where, "min")) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    for (uint32_t index = where_index + 1; index < client->argv.count; index++) {
        bool more = index + 1 < client->argv.count;
        if (request.count != -1 || !more ||
            !slice_equal_nocase(client_arg(client, index), "count")) {
            reply_error(&client->reply, ERROR_SYNTAX);
            return;
        }
        index++;
        if (!argument_int64(client_arg(client, index), &request.count) || request.count < 1) {
            reply_error(&client->reply, "ERR count should be greater than 0");
            return;
        }
    }
    ASSERT(request.count == -1 || request.count >= 1);
    zpop_generic(client, &request);
}

/* ==== ZRANDMEMBER ==== */

struct random_reply {
    struct client *client;
    uint64_t reply_count;   /* elements announced in the array header */
    bool with_scores;
    bool header_written;    /* written at the first element, so a refusal can answer -OOM */
};

static bool random_reply_visit(void *context, struct slice member, double score) {
    struct random_reply *state = context;
    ASSERT(state->reply_count > 0);
    ASSERT(!isnan(score));
    struct reply *reply = &state->client->reply;
    if (!state->header_written) {
        if (state->with_scores) {
            reply_pair_array(reply, state->reply_count);
        } else {
            reply_array(reply, state->reply_count);
        }
        state->header_written = true;
    }
    if (state->with_scores) {
        reply_pair(reply);
    }
    reply_bulk_slice(reply, member);
    if (state->with_scores) {
        reply_double(reply, score);
    }
    /* A huge negative count stops once the client's output is over its limit. */
    return !state->client->output.overflowed;
}

static void zrandmember_with_count(struct client *client, int64_t count_argument,
                                   bool with_scores) {
    ASSERT(count_argument != INT64_MIN);
    ASSERT(!with_scores || (count_argument >= -INT64_MAX / 2 && count_argument <= INT64_MAX / 2));
    bool wrong_type = false;
    const struct zset *zset = find_for_read(client, 1, &wrong_type);
    if (wrong_type) {
        return;
    }
    uint64_t count = count_argument >= 0 ? (uint64_t)count_argument : (uint64_t)-count_argument;
    if (zset == NULL || count == 0) {
        reply_empty_array(&client->reply);
        return;
    }
    bool unique = count_argument >= 0;
    uint64_t size = zset_length(zset);
    struct random_reply state = { .client = client, .with_scores = with_scores };
    if (unique && count >= size) {
        /* Redis walks the whole set from the highest score (zuiInitIterator). */
        state.reply_count = size;
        zset_visit(zset, true, &state, random_reply_visit);
        return;
    }
    state.reply_count = count;
    bool repeated = !unique || count == 1;
    if (!zset_sample(&server.heap, zset, count, !repeated, &state, random_reply_visit)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    ASSERT(state.header_written);
}

void cmd_zrandmember(struct client *client) {
    ASSERT(client->argv.count >= 2);
    if (client->argv.count >= 3) {
        int64_t count = 0;
        if (!argument_int64_or_reply(client, client_arg(client, 2), &count)) {
            return;
        }
        if (count == INT64_MIN) {
            reply_error(&client->reply, "ERR value is out of range, value must between "
                                        "-9223372036854775807 and 9223372036854775807");
            return;
        }
        bool with_scores = client->argv.count == 4 &&
                           slice_equal_nocase(client_arg(client, 3), "withscores");
        if (client->argv.count > 4 || (client->argv.count == 4 && !with_scores)) {
            reply_error(&client->reply, ERROR_SYNTAX);
            return;
        }
        if (with_scores && (count < -INT64_MAX / 2 || count > INT64_MAX / 2)) {
            reply_error(&client->reply, "ERR value is out of range");
            return;
        }
        zrandmember_with_count(client, count, with_scores);
        return;
    }
    bool wrong_type = false;
    const struct zset *zset = find_for_read(client, 1, &wrong_type);
    if (wrong_type) {
        return;
    }
    if (zset == NULL) {
        reply_null(&client->reply);
        return;
    }
    struct zset_iterator iterator;
    zset_iterator_init(&iterator, zset, zset_random() % zset_length(zset), false);
    struct slice member;
    double score = 0;
    bool found = zset_iterator_next(&iterator, &member, &score);
    ASSERT(found);
    ASSERT(client->argv.count == 2);
    reply_bulk_slice(&client->reply, member);
}

/* ==== ZSCAN ==== */

struct scan_state {
    struct client *client;
    struct slice pattern;
    bool use_pattern;
    bool emit;             /* second pass: write the matches */
    bool packed;           /* score format of a packed set */
    uint64_t collected;    /* Redis's listLength(keys): 2 per element, before MATCH */
    uint64_t matched;
};

static bool scan_visit(void *context, struct slice member, double score) {
    struct scan_state *state = context;
    ASSERT(state->client != NULL);
    ASSERT(!isnan(score));
    state->collected += 2;
    if (state->use_pattern && !glob_match(state->pattern, member, false)) {
        return true;
    }
    state->matched++;
    if (state->emit) {
        reply_bulk_slice(&state->client->reply, member);
        if (state->packed) {
            char text[32];
            uint32_t size = zset_format_packed_score(text, score);
            reply_bulk(&state->client->reply, text, size);
        } else {
            reply_double_bulk(&state->client->reply, score);
        }
    }
    return true;
}

/* Runs scanGenericCommand's loop; returns the next cursor. Both passes take the same steps. */
static uint64_t scan_run(const struct zset *zset, uint64_t cursor, int64_t count,
                         struct scan_state *state) {
    ASSERT(count >= 1);
    ASSERT(state->collected == 0 && state->matched == 0);
    uint64_t iterations_max = (uint64_t)count > UINT64_MAX / 10 ? UINT64_MAX
                                                                 : (uint64_t)count * 10;
    for (uint64_t iteration = 0; iteration <= iterations_max; iteration++) {
        cursor = zset_scan(zset, cursor, state, scan_visit);
        if (cursor == 0 || iteration == iterations_max || state->collected >= (uint64_t)count) {
            break;
        }
    }
    return cursor;
}

/* The options after the cursor; false after replying an error. */
static bool scan_options(struct client *client, int64_t *count, struct scan_state *state) {
    ASSERT(client->argv.count >= 3);
    ASSERT(*count == 10); /* Redis's default COUNT */
    for (uint32_t index = 3; index < client->argv.count; index += 2) {
        struct slice option = client_arg(client, index);
        bool has_value = client->argv.count - index >= 2;
        if (has_value && slice_equal_nocase(option, "count")) {
            if (!argument_int64_or_reply(client, client_arg(client, index + 1), count)) {
                return false;
            }
            if (*count < 1) {
                reply_error(&client->reply, ERROR_SYNTAX);
                return false;
            }
        } else if (has_value && slice_equal_nocase(option, "match")) {
            state->pattern = client_arg(client, index + 1);
            state->use_pattern = !(state->pattern.size == 1 && state->pattern.ptr[0] == '*');
        } else {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
    }
    return true;
}

void cmd_zscan(struct client *client) {
    ASSERT(client->argv.count >= 3);
    uint64_t cursor = 0;
    if (!argument_cursor(client_arg(client, 2), &cursor)) {
        reply_error(&client->reply, ERROR_INVALID_CURSOR);
        return;
    }
    bool wrong_type = false;
    const struct zset *zset = find_for_read(client, 1, &wrong_type);
    if (wrong_type) {
        return;
    }
    if (zset == NULL) {
        reply_raw(&client->reply, EMPTY_SCAN, sizeof(EMPTY_SCAN) - 1);
        return;
    }
    int64_t count = 10;
    struct scan_state state = { .client = client };
    if (!scan_options(client, &count, &state)) {
        return;
    }
    state.packed = zset_encoding(zset) == ZSET_ENCODING_LISTPACK;
    /* First pass counts the matches for the array header; the second writes them. */
    uint64_t next = scan_run(zset, cursor, count, &state);
    uint64_t matched = state.matched;
    reply_array(&client->reply, 2);
    char digits[24];
    int size = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)next);
    ASSERT(size > 0 && size < (int)sizeof(digits));
    reply_bulk(&client->reply, digits, (uint64_t)size);
    reply_array(&client->reply, matched * 2);
    state.emit = true;
    state.collected = 0;
    state.matched = 0;
    uint64_t again = scan_run(zset, cursor, count, &state);
    ASSERT(again == next);
    ASSERT(state.matched == matched);
}
