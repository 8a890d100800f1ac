/*
 * cmd_zset_ops.c: the sorted set commands that read ranges or combine sets:
 * ZRANGE (BYSCORE, BYLEX, REV, LIMIT, WITHSCORES), ZRANGESTORE, ZREVRANGE,
 * Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX, ZUNION, ZINTER, ZDIFF, their STORE
 * forms, and ZINTERCARD.
 *
 * Invariants:
 * - A *STORE command builds its result completely (scratch and result from
 *   the heap) before touching the destination; when the heap has no room it
 *   answers -OOM with every key unchanged. An empty result deletes the
 *   destination and answers 0.
 * - Plain sets are inputs with score 1, as in Redis. The set module is read
 *   only through set_length and set_visit, so a set that must be probed for
 *   membership (ZINTER, ZDIFF) is first copied into a hash-only accumulator.
 * - Union and intersection inputs are ordered by size first (smallest first),
 *   which is also the order Redis adds weighted scores in.
 */
#include "commands.h"

#include "db.h"
#include "index.h"
#include "item.h"
#include "multi.h"
#include "set.h"
#include "zset.h"

#include <math.h>

static const char ERROR_SCORE_RANGE[] = "ERR min or max is not a float";
static const char ERROR_LEX_RANGE[] = "ERR min or max not valid string range item";
static const char ERROR_LIMIT_RANK[] =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
static const char ERROR_WITHSCORES_LEX[] =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
static const char ERROR_WEIGHT[] = "ERR weight value is not a float";
static const char ERROR_LIMIT_NEGATIVE[] = "ERR LIMIT can't be negative";

/* ==== Shared helpers ==== */

static struct zset *zset_of(const struct item *item) {
    ASSERT(item != NULL);
    ASSERT(item->type == ITEM_ZSET);
    return item_object(item);
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

/*
 * Stores `result` (which it takes over; NULL means empty) at the key, replacing
 * whatever was there and dropping its TTL, and replies the new length. An
 * empty result deletes the key and replies 0.
 */
static void store_result(struct client *client, struct slice key, struct zset *result) {
    ASSERT(client->db != NULL);
    ASSERT(result == NULL || zset_encoding(result) <= ZSET_ENCODING_SKIPLIST);
    uint64_t hash = index_hash(key);
    struct item *old_item = db_find(&server.keyspace, client->db, key, hash);
    if (result == NULL || zset_length(result) == 0) {
        if (result != NULL) {
            zset_destroy(&server.heap, result);
        }
        if (old_item != NULL) {
            db_delete(&server.keyspace, client->db, old_item, hash);
        }
        reply_integer(&client->reply, 0);
        return;
    }
    struct item *item = NULL;
    if (old_item != NULL || db_prepare_insert(client->db, hash)) {
        item = item_create_object(&server.heap, ITEM_ZSET, key, result, 0);
    }
    if (item == NULL) {
        zset_destroy(&server.heap, result);
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    uint64_t length = zset_length(result);
    db_store(&server.keyspace, client->db, item, hash, old_item);
    reply_count(client, length);
}

/* ==== ZRANGE and friends ==== */

enum range_type { RANGE_AUTO = 0, RANGE_RANK, RANGE_SCORE, RANGE_LEX };
enum range_direction { DIRECTION_AUTO = 0, DIRECTION_FORWARD, DIRECTION_REVERSE };

struct range_request {
    uint32_t key_index;        /* the source key; min and max follow it */
    bool store;                /* ZRANGESTORE: argv[1] is the destination */
    enum range_type type;
    enum range_direction direction;
    bool with_scores;
    int64_t offset;
    int64_t limit;             /* -1 (or any negative): no limit */
    int64_t start;             /* rank ranges */
    int64_t end;
    struct zset_range range;   /* score and lex ranges */
};

/* The optional arguments after <key> <min> <max>, as zrangeGenericCommand reads them. */
static bool range_options(struct client *client, struct range_request *request) {
    ASSERT(request->key_index + 3 <= client->argv.count);
    ASSERT(request->limit == -1);
    for (uint32_t index = request->key_index + 3; index < client->argv.count; index++) {
        struct slice option = client_arg(client, index);
        uint32_t left = client->argv.count - index - 1;
        if (!request->store && slice_equal_nocase(option, "withscores")) {
            request->with_scores = true;
        } else if (slice_equal_nocase(option, "limit") && left >= 2) {
            if (!argument_int64_or_reply(client, client_arg(client, index + 1),
                                         &request->offset) ||
                !argument_int64_or_reply(client, client_arg(client, index + 2),
                                         &request->limit)) {
                return false;
            }
            index += 2;
        } else if (request->direction == DIRECTION_AUTO && slice_equal_nocase(option, "rev")) {
            request->direction = DIRECTION_REVERSE;
        } else if (request->type == RANGE_AUTO && slice_equal_nocase(option, "bylex")) {
            request->type = RANGE_LEX;
        } else if (request->type == RANGE_AUTO && slice_equal_nocase(option, "byscore")) {
            request->type = RANGE_SCORE;
        } else {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
    }
    return true;
}

/* Options, conflicts, then the range itself; false after replying an error. */
static bool range_parse(struct client *client, struct range_request *request) {
    ASSERT(request->key_index == (request->store ? 2u : 1u));
    ASSERT(request->offset == 0);
    request->limit = -1;
    if (!range_options(client, request)) {
        return false;
    }
    request->direction = request->direction == DIRECTION_AUTO ? DIRECTION_FORWARD
                                                              : request->direction;
    request->type = request->type == RANGE_AUTO ? RANGE_RANK : request->type;
    if (request->limit != -1 && request->type == RANGE_RANK) {
        reply_error(&client->reply, ERROR_LIMIT_RANK);
        return false;
    }
    if (request->with_scores && request->type == RANGE_LEX) {
        reply_error(&client->reply, ERROR_WITHSCORES_LEX);
        return false;
    }
    uint32_t min_index = request->key_index + 1;
    uint32_t max_index = request->key_index + 2;
    if (request->direction == DIRECTION_REVERSE && request->type != RANGE_RANK) {
        min_index = request->key_index + 2; /* given as <max> <min> */
        max_index = request->key_index + 1;
    }
    if (request->type == RANGE_RANK) {
        return argument_int64_or_reply(client, client_arg(client, min_index), &request->start) &&
               argument_int64_or_reply(client, client_arg(client, max_index), &request->end);
    }
    struct zset_range *range = &request->range;
    range->lex = request->type == RANGE_LEX;
    struct slice min = client_arg(client, min_index);
    struct slice max = client_arg(client, max_index);
    bool valid = range->lex ? zset_parse_lex_bound(min, &range->min) &&
                                  zset_parse_lex_bound(max, &range->max)
                            : zset_parse_score_bound(min, &range->min) &&
                                  zset_parse_score_bound(max, &range->max);
    if (!valid) {
        reply_error(&client->reply, range->lex ? ERROR_LEX_RANGE : ERROR_SCORE_RANGE);
    }
    return valid;
}

/* The elements to emit: `count` of them from forward rank `first`, walking `reverse`. */
struct range_span {
    uint64_t first;
    uint64_t count;
    bool reverse;
};

static struct range_span range_span_by_rank(const struct zset *zset,
                                            const struct range_request *request) {
    ASSERT(request->type == RANGE_RANK);
    int64_t length = (int64_t)zset_length(zset);
    ASSERT(length > 0);
    int64_t start = request->start < 0 ? length + request->start : request->start;
    int64_t end = request->end < 0 ? length + request->end : request->end;
    start = start < 0 ? 0 : start;
    struct range_span span = { .reverse = request->direction == DIRECTION_REVERSE };
    if (start > end || start >= length) {
        return span;
    }
    end = end >= length ? length - 1 : end;
    span.count = (uint64_t)(end - start) + 1;
    span.first = span.reverse ? (uint64_t)(length - 1 - start) : (uint64_t)start;
    ASSERT(span.count <= (uint64_t)length);
    return span;
}

/*
 * genericZrangebyscore/lex: from the first element in range (the last when
 * reversed), skip `offset`, then take elements while they stay on the right
 * side of the far bound, up to `limit`.
 */
static struct range_span range_span_by_value(const struct zset *zset,
                                             const struct range_request *request) {
    ASSERT(request->type == RANGE_SCORE || request->type == RANGE_LEX);
    struct range_span span = { .reverse = request->direction == DIRECTION_REVERSE };
    uint64_t length = zset_length(zset);
    const struct zset_range *range = &request->range;
    ASSERT(range->lex == (request->type == RANGE_LEX));
    uint64_t origin = 0;
    bool found = span.reverse ? zset_range_last(zset, range, &origin)
                              : zset_range_first(zset, range, &origin);
    /* A negative offset walks off the end in Redis: nothing is emitted. */
    if (!found || request->offset < 0 || (uint64_t)request->offset >= length) {
        return span;
    }
    uint64_t offset = (uint64_t)request->offset;
    if (span.reverse ? offset > origin : origin + offset >= length) {
        return span;
    }
    span.first = span.reverse ? origin - offset : origin + offset;
    struct zset_iterator iterator;
    zset_iterator_init(&iterator, zset, span.first, span.reverse);
    struct slice member;
    double score = 0;
    uint64_t limit = request->limit < 0 ? UINT64_MAX : (uint64_t)request->limit;
    while (span.count < limit && zset_iterator_next(&iterator, &member, &score)) {
        bool inside = span.reverse ? zset_range_above_min(range, member, score)
                                   : zset_range_below_max(range, member, score);
        if (!inside) {
            break;
        }
        span.count++;
    }
    ASSERT(span.count <= length);
    return span;
}

static void range_reply(struct client *client, const struct zset *zset,
                        const struct range_request *request, struct range_span span) {
    ASSERT(!request->store);
    ASSERT(span.count == 0 || span.first < zset_length(zset));
    if (request->with_scores) {
        reply_pair_array(&client->reply, span.count);
    } else {
        reply_array(&client->reply, span.count);
    }
    if (span.count == 0) {
        return;
    }
    struct zset_iterator iterator;
    zset_iterator_init(&iterator, zset, span.first, span.reverse);
    for (uint64_t index = 0; index < span.count; index++) {
        struct slice member;
        double score = 0;
        bool more = zset_iterator_next(&iterator, &member, &score);
        ASSERT(more);
        if (request->with_scores) {
            reply_pair(&client->reply);
        }
        reply_bulk_slice(&client->reply, member);
        if (request->with_scores) {
            reply_double(&client->reply, score);
        }
    }
}

/*
 * ZRANGESTORE's result, built as Redis 7.0.15 does: a rank range knows its
 * length up front and starts as a skiplist when that passes the listpack limit
 * (zsetTypeCreate); score and lex ranges start packed and convert as they grow.
 */
static struct zset *range_build(const struct zset *zset, const struct range_request *request,
                                struct range_span span, bool *no_room) {
    *no_room = false;
    if (span.count == 0) {
        return NULL;
    }
    struct zset_limits limits = zset_limits_now();
    bool packed = request->type != RANGE_RANK || span.count <= limits.entries_max;
    struct zset *result = zset_create(&server.heap, packed ? ZSET_ENCODING_LISTPACK
                                                           : ZSET_ENCODING_SKIPLIST);
    if (result == NULL) {
        *no_room = true;
        return NULL;
    }
    struct zset_iterator iterator;
    zset_iterator_init(&iterator, zset, span.first, span.reverse);
    for (uint64_t index = 0; index < span.count; index++) {
        struct slice member;
        double score = 0;
        double new_score = 0;
        double old_score = 0;
        bool more = zset_iterator_next(&iterator, &member, &score);
        ASSERT(more);
        if (zset_add(&server.heap, result, &limits, member, score, 0, &new_score,
                     &old_score) == ZSET_ADD_NO_ROOM) {
            zset_destroy(&server.heap, result);
            *no_room = true;
            return NULL;
        }
    }
    ASSERT(zset_length(result) == span.count);
    return result;
}

static void zrange_generic(struct client *client, struct range_request *request) {
    ASSERT(client->argv.count >= request->key_index + 3);
    ASSERT(request->type != RANGE_AUTO || request->direction == DIRECTION_AUTO);
    if (!range_parse(client, request)) {
        return;
    }
    uint64_t hash = 0;
    struct item *item = command_find(client, client_arg(client, request->key_index), &hash);
    if (item == NULL) {
        if (request->store) {
            store_result(client, client_arg(client, 1), NULL);
        } else {
            reply_empty_array(&client->reply);
        }
        return;
    }
    if (!command_check_type(client, item, ITEM_ZSET)) {
        return;
    }
    const struct zset *zset = zset_of(item);
    struct range_span span = request->type == RANGE_RANK ? range_span_by_rank(zset, request)
                                                         : range_span_by_value(zset, request);
    if (!request->store) {
        range_reply(client, zset, request, span);
        return;
    }
    bool no_room = false;
    struct zset *result = range_build(zset, request, span, &no_room);
    if (no_room) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    store_result(client, client_arg(client, 1), result);
}

static void zrange_command(struct client *client, enum range_type type,
                           enum range_direction direction) {
    ASSERT(client->argv.count >= 4);
    struct range_request request = { .key_index = 1, .type = type, .direction = direction };
    zrange_generic(client, &request);
}

void cmd_zrange(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    zrange_command(client, RANGE_AUTO, DIRECTION_AUTO);
}

void cmd_zrevrange(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    zrange_command(client, RANGE_RANK, DIRECTION_REVERSE);
}

void cmd_zrangebyscore(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    zrange_command(client, RANGE_SCORE, DIRECTION_FORWARD);
}

void cmd_zrevrangebyscore(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    zrange_command(client, RANGE_SCORE, DIRECTION_REVERSE);
}

void cmd_zrangebylex(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    zrange_command(client, RANGE_LEX, DIRECTION_FORWARD);
}

void cmd_zrevrangebylex(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    zrange_command(client, RANGE_LEX, DIRECTION_REVERSE);
}

void cmd_zrangestore(struct client *client) {
    ASSERT(client->argv.count >= 5);
    struct range_request request = { .key_index = 2, .store = true };
    zrange_generic(client, &request);
}

/* ==== ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD ==== */

enum set_operation { OPERATION_UNION, OPERATION_INTER, OPERATION_DIFF };

/* One input: a sorted set, a plain set (score 1) or a missing key (empty). */
struct source {
    const struct zset *zset;
    const struct set *set;
    struct zset *lookup;       /* a set's members, for membership tests (owned) */
    uint64_t length;
    double weight;
};

struct operation {
    const char *name;          /* for "at least 1 input key is needed for '...'" */
    enum set_operation kind;
    bool store;                /* argv[1] is the destination */
    bool cardinality_only;     /* ZINTERCARD */
    uint32_t numkeys_index;
    uint32_t source_count;
    struct source *sources;    /* heap scratch: source_count entries, then as many spare */
    enum zset_aggregate aggregate;
    bool with_scores;
    int64_t limit;             /* ZINTERCARD: 0 means none */
};

static bool operation_numkeys(struct client *client, struct operation *operation) {
    ASSERT(operation->numkeys_index < client->argv.count);
    ASSERT(operation->source_count == 0);
    int64_t numkeys = 0;
    if (!argument_int64_or_reply(client, client_arg(client, operation->numkeys_index),
                                 &numkeys)) {
        return false;
    }
    if (numkeys < 1) {
        reply_errorf(&client->reply, "ERR at least 1 input key is needed for '%s' command",
                     operation->name);
        return false;
    }
    if ((uint64_t)numkeys > client->argv.count - operation->numkeys_index - 1) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return false;
    }
    operation->source_count = (uint32_t)numkeys;
    ASSERT(operation->numkeys_index + operation->source_count < client->argv.count);
    return true;
}

/* Looks every input key up (read lookups); false after replying WRONGTYPE. */
static bool operation_lookup(struct client *client, struct operation *operation) {
    ASSERT(operation->sources != NULL);
    ASSERT(operation->source_count > 0);
    for (uint32_t index = 0; index < operation->source_count; index++) {
        struct source *source = &operation->sources[index];
        memset(source, 0, sizeof(*source));
        source->weight = 1.0;
        uint64_t hash = 0;
        struct slice key = client_arg(client, operation->numkeys_index + 1 + index);
        const struct item *item = command_find(client, key, &hash);
        if (item == NULL) {
            continue;
        }
        if (item->type == ITEM_ZSET) {
            source->zset = item_object(item);
            source->length = zset_length(source->zset);
        } else if (item->type == ITEM_SET) {
            source->set = item_object(item);
            source->length = set_length(source->set);
        } else {
            reply_error(&client->reply, ERROR_WRONGTYPE);
            return false;
        }
    }
    return true;
}

static bool operation_weights(struct client *client, struct operation *operation,
                              uint32_t index) {
    ASSERT(index + operation->source_count <= client->argv.count);
    ASSERT(operation->kind != OPERATION_DIFF);
    for (uint32_t source = 0; source < operation->source_count; source++) {
        if (!argument_double(client_arg(client, index + source),
                             &operation->sources[source].weight)) {
            reply_error(&client->reply, ERROR_WEIGHT);
            return false;
        }
    }
    return true;
}

static bool operation_aggregate(struct client *client, struct operation *operation,
                                struct slice name) {
    ASSERT(operation->kind != OPERATION_DIFF);
    ASSERT(!operation->cardinality_only);
    if (slice_equal_nocase(name, "sum")) {
        operation->aggregate = ZSET_AGGREGATE_SUM;
    } else if (slice_equal_nocase(name, "min")) {
        operation->aggregate = ZSET_AGGREGATE_MIN;
    } else if (slice_equal_nocase(name, "max")) {
        operation->aggregate = ZSET_AGGREGATE_MAX;
    } else {
        reply_error(&client->reply, ERROR_SYNTAX);
        return false;
    }
    return true;
}

/* WEIGHTS, AGGREGATE, WITHSCORES, LIMIT as zunionInterDiffGenericCommand accepts them. */
static bool operation_options(struct client *client, struct operation *operation) {
    ASSERT(operation->aggregate == ZSET_AGGREGATE_SUM);
    ASSERT(!operation->with_scores && operation->limit == 0);
    bool scored = operation->kind != OPERATION_DIFF && !operation->cardinality_only;
    uint32_t index = operation->numkeys_index + 1 + operation->source_count;
    while (index < client->argv.count) {
        struct slice option = client_arg(client, index);
        uint32_t remaining = client->argv.count - index;
        if (scored && remaining >= operation->source_count + 1 &&
            slice_equal_nocase(option, "weights")) {
            if (!operation_weights(client, operation, index + 1)) {
                return false;
            }
            index += 1 + operation->source_count;
        } else if (scored && remaining >= 2 && slice_equal_nocase(option, "aggregate")) {
            if (!operation_aggregate(client, operation, client_arg(client, index + 1))) {
                return false;
            }
            index += 2;
        } else if (!operation->store && !operation->cardinality_only &&
                   slice_equal_nocase(option, "withscores")) {
            operation->with_scores = true;
            index++;
        } else if (operation->cardinality_only && remaining >= 2 &&
                   slice_equal_nocase(option, "limit")) {
            if (!argument_int64(client_arg(client, index + 1), &operation->limit) ||
                operation->limit < 0) {
                reply_error(&client->reply, ERROR_LIMIT_NEGATIVE);
                return false;
            }
            index += 2;
        } else {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
    }
    return true;
}

/* Stable merge sort of the sources by length, smallest first (spare half as buffer). */
static void sources_sort(struct operation *operation) {
    ASSERT(operation->kind != OPERATION_DIFF); /* ZDIFF's first input must stay first */
    ASSERT(operation->source_count > 0);
    struct source *items = operation->sources;
    struct source *buffer = operation->sources + operation->source_count;
    uint32_t count = operation->source_count;
    for (uint32_t width = 1; width < count; width *= 2) {
        for (uint32_t left = 0; left < count; left += 2 * width) {
            uint32_t middle = MIN(left + width, count);
            uint32_t right = MIN(left + 2 * width, count);
            uint32_t a = left;
            uint32_t b = middle;
            for (uint32_t out = left; out < right; out++) {
                bool take_a = a < middle && (b >= right || items[a].length <= items[b].length);
                buffer[out] = take_a ? items[a++] : items[b++];
            }
        }
        memcpy(items, buffer, (size_t)count * sizeof(*items));
    }
    for (uint32_t index = 1; index < count; index++) {
        VERIFY(items[index - 1].length <= items[index].length);
    }
}

/* Adapts set_visit's callback (member only) to the scored one. */
struct set_adapter {
    void *context;
    zset_visit_callback visit;
};

static bool set_adapter_visit(void *context, struct slice member) {
    struct set_adapter *adapter = context;
    ASSERT(adapter->visit != NULL);
    return adapter->visit(adapter->context, member, 1.0);
}

/* Visits a source's members (sorted sets from the highest, as Redis's zuiNext). */
static void source_visit(const struct source *source, void *context,
                         zset_visit_callback visit) {
    ASSERT(visit != NULL);
    ASSERT(source->zset == NULL || source->set == NULL);
    if (source->zset != NULL) {
        zset_visit(source->zset, true, context, visit);
    } else if (source->set != NULL) {
        struct set_adapter adapter = { .context = context, .visit = visit };
        set_visit(source->set, &adapter, set_adapter_visit);
    }
}

static bool source_find(const struct source *source, struct slice member, double *score) {
    ASSERT(score != NULL);
    if (source->zset != NULL) {
        return zset_score(source->zset, member, score);
    }
    if (source->lookup != NULL) {
        return zset_score(source->lookup, member, score);
    }
    ASSERT(source->set == NULL); /* sets are copied into lookups before probing */
    return false;
}

struct fill_state {
    struct zset *target;
    double weight;
    enum zset_aggregate aggregate;
    bool no_room;
};

static bool fill_visit(void *context, struct slice member, double score) {
    struct fill_state *state = context;
    ASSERT(state->target != NULL);
    ASSERT(!state->no_room);
    score *= state->weight;
    if (isnan(score)) {
        score = 0; /* 0 * inf */
    }
    if (!zset_accumulate(&server.heap, state->target, member, score, state->aggregate)) {
        state->no_room = true;
        return false;
    }
    return true;
}

/* Copies plain sets at sources[from..] into hash-only lookups; false when no room. */
static bool sources_prepare_lookups(struct operation *operation, uint32_t from) {
    ASSERT(from >= 1);
    ASSERT(operation->kind != OPERATION_UNION);
    for (uint32_t index = from; index < operation->source_count; index++) {
        struct source *source = &operation->sources[index];
        if (source->set == NULL || source->lookup != NULL) {
            continue;
        }
        source->lookup = zset_create_accumulator(&server.heap, source->length);
        if (source->lookup == NULL) {
            return false;
        }
        struct fill_state state = { .target = source->lookup, .weight = 1.0 };
        set_visit(source->set, &(struct set_adapter){ .context = &state, .visit = fill_visit },
                  set_adapter_visit);
        if (state.no_room) {
            return false;
        }
    }
    return true;
}

static void sources_release(struct operation *operation) {
    ASSERT(operation->sources != NULL);
    for (uint32_t index = 0; index < operation->source_count; index++) {
        if (operation->sources[index].lookup != NULL) {
            zset_destroy(&server.heap, operation->sources[index].lookup);
        }
    }
    heap_free(&server.heap, operation->sources);
    operation->sources = NULL;
}

/* ---- ZINTER ---- */

struct inter_state {
    const struct operation *operation;
    struct zset *result;       /* NULL for ZINTERCARD */
    uint64_t cardinality;
    bool no_room;
};

static bool inter_visit(void *context, struct slice member, double score) {
    struct inter_state *state = context;
    const struct operation *operation = state->operation;
    ASSERT(operation->kind == OPERATION_INTER);
    ASSERT((state->result == NULL) == operation->cardinality_only);
    double total = operation->sources[0].weight * score;
    total = isnan(total) ? 0 : total;
    for (uint32_t index = 1; index < operation->source_count; index++) {
        double value = 0;
        if (!source_find(&operation->sources[index], member, &value)) {
            return true;
        }
        total = zset_aggregate(total, value * operation->sources[index].weight,
                               operation->aggregate);
    }
    if (state->result == NULL) {
        state->cardinality++;
        return operation->limit == 0 || state->cardinality < (uint64_t)operation->limit;
    }
    if (!zset_accumulate(&server.heap, state->result, member, total, ZSET_AGGREGATE_SUM)) {
        state->no_room = true;
        return false;
    }
    return true;
}

static bool compute_inter(struct operation *operation, struct zset *result,
                          uint64_t *cardinality) {
    ASSERT(operation->kind == OPERATION_INTER);
    ASSERT(cardinality != NULL);
    struct inter_state state = { .operation = operation, .result = result };
    if (operation->sources[0].length > 0) {
        if (!sources_prepare_lookups(operation, 1)) {
            return false;
        }
        source_visit(&operation->sources[0], &state, inter_visit);
    }
    *cardinality = state.cardinality;
    return !state.no_room;
}

/* ---- ZUNION ---- */

static bool compute_union(struct operation *operation, struct zset *result) {
    ASSERT(operation->kind == OPERATION_UNION);
    ASSERT(result != NULL);
    for (uint32_t index = 0; index < operation->source_count; index++) {
        const struct source *source = &operation->sources[index];
        struct fill_state state = { .target = result, .weight = source->weight,
                                    .aggregate = operation->aggregate };
        source_visit(source, &state, fill_visit);
        if (state.no_room) {
            return false;
        }
    }
    return true;
}

/* ---- ZDIFF ---- */

struct diff_state {
    const struct operation *operation;
    struct zset *result;
    bool no_room;
};

/* Algorithm 1: each member of the first input not found in any other. */
static bool diff_first_visit(void *context, struct slice member, double score) {
    struct diff_state *state = context;
    const struct operation *operation = state->operation;
    ASSERT(operation->kind == OPERATION_DIFF);
    ASSERT(!state->no_room);
    for (uint32_t index = 1; index < operation->source_count; index++) {
        double value = 0;
        if (source_find(&operation->sources[index], member, &value)) {
            return true;
        }
    }
    if (!zset_accumulate(&server.heap, state->result, member, score, ZSET_AGGREGATE_SUM)) {
        state->no_room = true;
        return false;
    }
    return true;
}

/* Algorithm 2: remove every member of the other inputs from a copy of the first. */
static bool diff_remove_visit(void *context, struct slice member, double score) {
    (void)score;
    struct diff_state *state = context;
    ASSERT(state->operation->kind == OPERATION_DIFF);
    ASSERT(zset_length(state->result) > 0);
    zset_remove(&server.heap, state->result, member);
    return zset_length(state->result) > 0;
}

static bool compute_diff(struct operation *operation, struct zset *result) {
    ASSERT(operation->kind == OPERATION_DIFF);
    ASSERT(result != NULL);
    const struct source *first = &operation->sources[0];
    if (first->length == 0) {
        return true;
    }
    /* zsetChooseDiffAlgorithm: compare the work, giving algorithm 1 an advantage. */
    uint64_t one_work = 0;
    uint64_t two_work = 0;
    for (uint32_t index = 0; index < operation->source_count; index++) {
        one_work += first->length;
        two_work += operation->sources[index].length;
    }
    struct diff_state state = { .operation = operation, .result = result };
    if (one_work / 2 <= two_work) {
        if (!sources_prepare_lookups(operation, 1)) {
            return false;
        }
        source_visit(first, &state, diff_first_visit);
        return !state.no_room;
    }
    struct fill_state fill = { .target = result, .weight = 1.0 };
    source_visit(first, &fill, fill_visit);
    if (fill.no_room) {
        return false;
    }
    for (uint32_t index = 1; index < operation->source_count && zset_length(result) > 0;
         index++) {
        source_visit(&operation->sources[index], &state, diff_remove_visit);
    }
    return true;
}

/* ---- Driver ---- */

static void operation_reply(struct client *client, const struct operation *operation,
                            struct zset *result) {
    ASSERT(result != NULL);
    ASSERT(!operation->cardinality_only);
    if (operation->store) {
        struct zset_limits limits = zset_limits_now();
        if (!zset_fit(&server.heap, result, &limits)) {
            zset_destroy(&server.heap, result);
            reply_error(&client->reply, ERROR_OOM);
            return;
        }
        store_result(client, client_arg(client, 1), result);
        return;
    }
    uint64_t length = zset_length(result);
    if (operation->with_scores) {
        reply_pair_array(&client->reply, length);
    } else {
        reply_array(&client->reply, length);
    }
    struct zset_iterator iterator;
    if (length > 0) {
        zset_iterator_init(&iterator, result, 0, false);
    }
    for (uint64_t index = 0; index < length; index++) {
        struct slice member;
        double score = 0;
        bool more = zset_iterator_next(&iterator, &member, &score);
        ASSERT(more);
        if (operation->with_scores) {
            reply_pair(&client->reply);
        }
        reply_bulk_slice(&client->reply, member);
        if (operation->with_scores) {
            reply_double(&client->reply, score);
        }
    }
    zset_destroy(&server.heap, result);
}

/* Computes the operation into a fresh result (NULL when no room). */
static struct zset *operation_compute(struct operation *operation, uint64_t *cardinality) {
    ASSERT(operation->source_count > 0);
    ASSERT(*cardinality == 0);
    /* Table size hint: a union is at least its largest input, the others at most the first. */
    uint64_t hint = operation->kind == OPERATION_UNION
                        ? operation->sources[operation->source_count - 1].length
                        : operation->sources[0].length;
    struct zset *result = NULL;
    if (!operation->cardinality_only) {
        result = zset_create_accumulator(&server.heap, hint);
        if (result == NULL) {
            return NULL;
        }
    }
    bool computed = false;
    switch (operation->kind) {
    case OPERATION_INTER: computed = compute_inter(operation, result, cardinality); break;
    case OPERATION_UNION: computed = compute_union(operation, result); break;
    case OPERATION_DIFF: computed = compute_diff(operation, result); break;
    }
    if (!computed) {
        if (result != NULL) {
            zset_destroy(&server.heap, result);
        }
        return NULL;
    }
    if (result != NULL) {
        zset_accumulator_finish(result);
    }
    return result;
}

static void operation_command(struct client *client, struct operation *operation) {
    ASSERT(operation->name != NULL);
    ASSERT(operation->sources == NULL);
    if (!operation_numkeys(client, operation)) {
        return;
    }
    uint64_t scratch_size = 2ull * operation->source_count * sizeof(struct source);
    operation->sources = heap_alloc(&server.heap, scratch_size);
    if (operation->sources == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    for (uint32_t index = 0; index < operation->source_count; index++) {
        operation->sources[index] = (struct source){ .weight = 1.0 };
    }
    if (!operation_lookup(client, operation) || !operation_options(client, operation)) {
        sources_release(operation);
        return;
    }
    if (operation->kind != OPERATION_DIFF) {
        sources_sort(operation);
    }
    uint64_t cardinality = 0;
    struct zset *result = operation_compute(operation, &cardinality);
    sources_release(operation);
    if (result == NULL && !operation->cardinality_only) {
        reply_error(&client->reply, ERROR_OOM);
    } else if (operation->cardinality_only) {
        reply_count(client, cardinality);
    } else {
        operation_reply(client, operation, result);
    }
}

static void set_operation(struct client *client, const char *name, enum set_operation kind,
                          bool store) {
    ASSERT(client->argv.count >= 3);
    struct operation operation = { .name = name, .kind = kind, .store = store,
                                   .numkeys_index = store ? 2 : 1 };
    operation_command(client, &operation);
}

void cmd_zunion(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    set_operation(client, "zunion", OPERATION_UNION, false);
}

void cmd_zinter(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    set_operation(client, "zinter", OPERATION_INTER, false);
}

void cmd_zdiff(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    set_operation(client, "zdiff", OPERATION_DIFF, false);
}

void cmd_zunionstore(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    set_operation(client, "zunionstore", OPERATION_UNION, true);
}

void cmd_zinterstore(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    set_operation(client, "zinterstore", OPERATION_INTER, true);
}

void cmd_zdiffstore(struct client *client) {
    ASSERT(client->argv.count >= 4); /* arity in commands.def */
    set_operation(client, "zdiffstore", OPERATION_DIFF, true);
}

void cmd_zintercard(struct client *client) {
    ASSERT(client->argv.count >= 3);
    struct operation operation = { .name = "zintercard", .kind = OPERATION_INTER,
                                   .cardinality_only = true, .numkeys_index = 1 };
    operation_command(client, &operation);
}
