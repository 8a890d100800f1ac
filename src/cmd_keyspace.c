/*
 * cmd_keyspace.c: the commands that work on the key space as a whole or move
 * keys around: KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX, COPY, MOVE, SWAPDB,
 * TOUCH, OBJECT, SORT and SORT_RO.
 *
 * Replies follow Redis 7.0 byte for byte (OBJECT ENCODING uses 7.2's names).
 * Invariants and limits:
 * - SCAN's cursor is a position in the 64-bit hash space (index.h): 0 starts,
 *   each call returns whole segments from the cursor on and answers the first
 *   hash after the last one, 0 when the space is covered. A key present for
 *   the whole scan is returned exactly once, however the index grows or is
 *   flushed between calls. A call collects at most SCAN_RESULTS_MAX keys
 *   (COUNT is a hint, as in Redis), so its buffers live on the stack.
 * - KEYS counts its matches in one pass and writes them in a second, so it
 *   needs no memory besides the reply.
 * - RENAME, MOVE and COPY either complete or answer -OOM with nothing changed:
 *   the target's index slot is made before anything is allocated, and db_
 *   functions allocate before they link. The expiry moves (or is copied) with
 *   the value.
 * - SORT copies the elements it sorts into heap scratch memory (a collection's
 *   visit may format members into temporary buffers), sorts pointers with a
 *   stable bottom-up merge sort, and frees everything before returning. Every
 *   allocation happens before the first reply byte, so -OOM is always whole.
 *   BY with a '*' pattern and GET need a user with access to every key (~*):
 *   the keys they read are not among those the ACL check saw (Redis 7).
 */
#include "commands.h"

#include "db.h"
#include "glob.h"
#include "hash.h"
#include "index.h"
#include "item.h"
#include "multi.h"
#include "list.h"
#include "set.h"
#include "zset.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>

#define SCAN_RESULTS_MAX 2048u            /* keys one SCAN call may return */
#define SCAN_SLOTS_PER_COUNT 10u          /* as Redis: COUNT * 10 buckets visited at most */
#define SORT_KEY_STACK_SIZE 1024u         /* substituted BY/GET keys up to this size */
#define SORT_SCORE_STACK_SIZE 512u        /* numeric texts up to this size parse on the stack */
#define OBJECT_SHARED_INTEGERS 10000      /* Redis's OBJ_SHARED_INTEGERS */
#define OBJECT_SHARED_REFCOUNT 2147483647 /* Redis's OBJ_SHARED_REFCOUNT (INT_MAX) */

STATIC_ASSERT(SCAN_RESULTS_MAX >= 2 * INDEX_SEGMENT_FILL_MAX, "a call holds two segments");

static const char ERROR_NO_SUCH_KEY[] = "ERR no such key";
static const char ERROR_SAME_OBJECT[] = "ERR source and destination objects are the same";
static const char ERROR_INT_RANGE[] =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
static const char ERROR_SORT_SCORE[] = "ERR One or more scores can't be converted into double";
/* BY with a pattern and GET read keys the ACL check never saw: Redis 7 allows them
 * only to users with access to every key. */
static const char ERROR_SORT_BY_ACL[] =
    "ERR BY option of SORT denied due to insufficient ACL permissions.";
static const char ERROR_SORT_GET_ACL[] =
    "ERR GET option of SORT denied due to insufficient ACL permissions.";
static const char ERROR_LFU_NOT_SELECTED[] =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust.";
static const char ERROR_LFU_SELECTED[] =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";

/* ==== Shared helpers ==== */

/*
 * Looks up a key for writing, as Redis's lookupKeyWrite: lazy expiry and the
 * LRU clock, but no keyspace_hits/keyspace_misses.
 */
static struct item *find_for_write(struct db *db, struct slice key, uint64_t hash) {
    ASSERT(db != NULL);
    VERIFY(hash == index_hash(key));
    return db_find(&server.keyspace, db, key, hash);
}

/*
 * Parses a database index as Redis's getIntFromObjectOrReply: an int64, then
 * the int range. `message` (NULL: Redis's defaults) replaces both errors.
 */
static bool parse_db_int(struct client *client, struct slice text, int64_t *value,
                         const char *message) {
    ASSERT(value != NULL);
    if (!argument_int64(text, value)) {
        reply_error(&client->reply, message != NULL ? message : ERROR_NOT_INTEGER);
        return false;
    }
    if (*value < INT32_MIN || *value > INT32_MAX) {
        reply_error(&client->reply, message != NULL ? message : ERROR_INT_RANGE);
        return false;
    }
    return true;
}

/* The database of an index that parse_db_int accepted, or NULL when out of range. */
static struct db *db_at(int64_t db_index) {
    ASSERT(db_index >= INT32_MIN && db_index <= INT32_MAX);
    if (db_index < 0 || db_index >= (int64_t)server.keyspace.db_count) {
        return NULL;
    }
    struct db *db = &server.keyspace.dbs[db_index];
    ASSERT(db->id == (uint32_t)db_index);
    return db;
}


/* ==== KEYS ==== */

/* KEYS's test: a bare "*" takes every key (even ""), other patterns glob. */
static bool keys_match(struct slice pattern, bool all, const struct item *item) {
    ASSERT(item != NULL);
    ASSERT(pattern.ptr != NULL || pattern.size == 0);
    if (db_expired(&server.keyspace, item)) {
        return false; /* Redis skips expired keys here without deleting them */
    }
    return all || glob_match(pattern, item_key(item), false);
}

/* One pass over the index: counts matches, or writes them when `write` is set. */
static uint64_t keys_pass(struct client *client, struct slice pattern, bool write) {
    const struct index *index = &client->db->index;
    bool all = pattern.size == 1 && pattern.ptr[0] == '*';
    struct item *items[INDEX_SEGMENT_FILL_MAX];
    uint64_t matched_count = 0;
    uint64_t position = 0;
    /* Each step covers one segment's range; there are segment_count of them. */
    for (uint32_t step = 0; step < index->segment_count; step++) {
        uint64_t next = 0;
        uint32_t count = index_scan(index, position, items, &next);
        for (uint32_t item_index = 0; item_index < count; item_index++) {
            if (keys_match(pattern, all, items[item_index])) {
                matched_count++;
                if (write) {
                    reply_bulk_slice(&client->reply, item_key(items[item_index]));
                }
            }
        }
        position = next;
        if (position == 0) {
            break;
        }
    }
    ASSERT(position == 0);
    ASSERT(matched_count <= index->count);
    return matched_count;
}

void cmd_keys(struct client *client) {
    ASSERT(client->argv.count == 2);
    struct slice pattern = client_arg(client, 1);
    /* Nothing changes between the passes: expired keys are skipped, not deleted. */
    uint64_t count = keys_pass(client, pattern, false);
    reply_array(&client->reply, count);
    uint64_t written = keys_pass(client, pattern, true);
    ASSERT(written == count);
}

/* ==== SCAN ==== */

struct scan_options {
    uint64_t count;
    bool use_pattern;
    struct slice pattern;
    bool use_type;
    struct slice type;
};

/* Parses COUNT, MATCH and TYPE from argv[2..] as Redis's scanGenericCommand. */
static bool scan_parse_options(struct client *client, struct scan_options *options) {
    ASSERT(client->argv.count >= 2);
    *options = (struct scan_options){ .count = 10 };
    uint32_t argc = client->argv.count;
    for (uint32_t index = 2; index < argc; index += 2) {
        struct slice option = client_arg(client, index);
        if (index + 1 >= argc) {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
        struct slice value = client_arg(client, index + 1);
        if (slice_equal_nocase(option, "count")) {
            int64_t count = 0;
            if (!argument_int64_or_reply(client, value, &count)) {
                return false;
            }
            if (count < 1) {
                reply_error(&client->reply, ERROR_SYNTAX);
                return false;
            }
            options->count = (uint64_t)count;
        } else if (slice_equal_nocase(option, "match")) {
            options->pattern = value;
            options->use_pattern = !(value.size == 1 && value.ptr[0] == '*');
        } else if (slice_equal_nocase(option, "type")) {
            options->type = value;
            options->use_type = true;
        } else {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
    }
    ASSERT(options->count >= 1);
    return true;
}

/*
 * Filters one segment's items into results as Redis does: the pattern, the
 * type (a lookup that counts a keyspace hit), then expiry (expired keys are
 * deleted). Returns how many were kept.
 */
static uint32_t scan_filter(struct client *client, const struct scan_options *options,
                            struct item **items, uint32_t count, struct item **results) {
    ASSERT(count <= INDEX_SEGMENT_FILL_MAX);
    uint32_t kept = 0;
    for (uint32_t index = 0; index < count; index++) {
        struct item *item = items[index];
        if (options->use_pattern && !glob_match(options->pattern, item_key(item), false)) {
            continue;
        }
        if (db_expired(&server.keyspace, item)) {
            db_delete(&server.keyspace, client->db, item, index_hash(item_key(item)));
            server.keyspace.expired_keys++;
            server.keyspace.keyspace_misses += options->use_type ? 1u : 0u;
            continue;
        }
        if (options->use_type) {
            server.keyspace.keyspace_hits++;
            if (!slice_equal_nocase(options->type, item_type_name(item))) {
                continue;
            }
        }
        results[kept] = item;
        kept++;
    }
    ASSERT(kept <= count);
    return kept;
}

/* Visits segments from `cursor` until enough keys or slots; replies [next cursor, keys]. */
static void scan_run(struct client *client, uint64_t cursor,
                     const struct scan_options *options) {
    const struct index *index = &client->db->index;
    struct item *results[SCAN_RESULTS_MAX];
    struct item *items[INDEX_SEGMENT_FILL_MAX];
    uint64_t slots_max = options->count > UINT64_MAX / SCAN_SLOTS_PER_COUNT
                             ? UINT64_MAX
                             : options->count * SCAN_SLOTS_PER_COUNT;
    uint32_t result_count = 0;
    uint64_t slots_visited = 0;
    uint64_t position = cursor;
    /* Each step covers one segment's range and moves past it. */
    for (uint32_t step = 0; step < index->segment_count; step++) {
        uint64_t next = 0;
        uint32_t count = index_scan(index, position, items, &next);
        result_count += scan_filter(client, options, items, count, results + result_count);
        slots_visited += INDEX_SEGMENT_SLOTS;
        position = next;
        bool full = result_count + INDEX_SEGMENT_FILL_MAX > SCAN_RESULTS_MAX;
        if (position == 0 || full || result_count >= options->count ||
            slots_visited >= slots_max) {
            break;
        }
    }
    ASSERT(result_count <= SCAN_RESULTS_MAX);
    char digits[24];
    int size = snprintf(digits, sizeof(digits), "%" PRIu64, position);
    ASSERT(size > 0 && (uint32_t)size < sizeof(digits));
    reply_array(&client->reply, 2);
    reply_bulk(&client->reply, digits, (uint64_t)size);
    reply_array(&client->reply, result_count);
    for (uint32_t result = 0; result < result_count; result++) {
        reply_bulk_slice(&client->reply, item_key(results[result]));
    }
}

void cmd_scan(struct client *client) {
    ASSERT(client->argv.count >= 2);
    uint64_t cursor = 0;
    if (!argument_cursor(client_arg(client, 1), &cursor)) {
        reply_error(&client->reply, ERROR_INVALID_CURSOR);
        return;
    }
    struct scan_options options;
    if (!scan_parse_options(client, &options)) {
        return;
    }
    scan_run(client, cursor, &options);
}

/* ==== RANDOMKEY, TOUCH ==== */

void cmd_randomkey(struct client *client) {
    ASSERT(client->argv.count == 1);
    uint64_t random = keyspace_random(&server.keyspace);
    const struct item *item = db_random(&server.keyspace, client->db, random);
    if (item == NULL) {
        ASSERT(client->db->index.count == 0);
        reply_null(&client->reply);
        return;
    }
    ASSERT(!db_expired(&server.keyspace, item));
    reply_bulk_slice(&client->reply, item_key(item));
}

void cmd_touch(struct client *client) {
    ASSERT(client->argv.count >= 2);
    int64_t touched_count = 0;
    for (uint32_t index = 1; index < client->argv.count; index++) {
        uint64_t hash = 0;
        if (command_find(client, client_arg(client, index), &hash) != NULL) {
            touched_count++;
        }
    }
    ASSERT(touched_count < (int64_t)client->argv.count);
    reply_integer(&client->reply, touched_count);
}

/* ==== RENAME, RENAMENX ==== */

/* renameGenericCommand: the same name is a no-op once the key is known to exist. */
static void rename_command(struct client *client, bool nx) {
    ASSERT(client->argv.count == 3);
    struct slice key = client_arg(client, 1);
    struct slice target_key = client_arg(client, 2);
    uint64_t hash = index_hash(key);
    struct item *item = find_for_write(client->db, key, hash);
    if (item == NULL) {
        reply_error(&client->reply, ERROR_NO_SUCH_KEY);
        return;
    }
    if (slice_equal(key, target_key)) {
        if (nx) {
            reply_integer(&client->reply, 0);
        } else {
            reply_ok(&client->reply);
        }
        return;
    }
    uint64_t target_hash = index_hash(target_key);
    struct item *target_item = find_for_write(client->db, target_key, target_hash);
    if (target_item != NULL && nx) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (!db_rename(&server.keyspace, client->db, item, hash, target_key, target_hash,
                   target_item)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    ASSERT(client->db->index.count > 0);
    if (nx) {
        reply_integer(&client->reply, 1);
    } else {
        reply_ok(&client->reply);
    }
}

void cmd_rename(struct client *client) {
    rename_command(client, false);
}

void cmd_renamenx(struct client *client) {
    rename_command(client, true);
}

/* ==== COPY, MOVE, SWAPDB ==== */

/* Parses COPY's [DB destination-db] [REPLACE]; NULL after replying an error. */
static struct db *copy_parse_options(struct client *client, bool *replace) {
    ASSERT(client->argv.count >= 3);
    struct db *target = client->db;
    *replace = false;
    for (uint32_t index = 3; index < client->argv.count; index++) {
        struct slice option = client_arg(client, index);
        bool has_value = index + 1 < client->argv.count;
        if (slice_equal_nocase(option, "replace")) {
            *replace = true;
        } else if (slice_equal_nocase(option, "db") && has_value) {
            int64_t db_index = 0;
            if (!parse_db_int(client, client_arg(client, index + 1), &db_index, NULL)) {
                return NULL;
            }
            target = db_at(db_index);
            if (target == NULL) {
                reply_error(&client->reply, ERROR_DB_INDEX);
                return NULL;
            }
            index++;
        } else {
            reply_error(&client->reply, ERROR_SYNTAX);
            return NULL;
        }
    }
    ASSERT(target != NULL);
    return target;
}

/* Stores a deep copy of item under key in target, replacing target_item (or NULL). */
static bool copy_store(struct db *target, const struct item *item, struct slice key,
                       uint64_t hash, struct item *target_item) {
    ASSERT(item != target_item);
    if (target_item == NULL && !db_prepare_insert(target, hash)) {
        return false;
    }
    struct item *copy = item_duplicate(&server.heap, item, key, item_expire_at_ms(item));
    if (copy == NULL) {
        return false;
    }
    ASSERT(copy->type == item->type);
    db_store(&server.keyspace, target, copy, hash, target_item);
    return true;
}

void cmd_copy(struct client *client) {
    ASSERT(client->argv.count >= 3);
    bool replace = false;
    struct db *target = copy_parse_options(client, &replace);
    if (target == NULL) {
        return;
    }
    struct slice key = client_arg(client, 1);
    struct slice target_key = client_arg(client, 2);
    if (target == client->db && slice_equal(key, target_key)) {
        reply_error(&client->reply, ERROR_SAME_OBJECT);
        return;
    }
    uint64_t hash = 0;
    const struct item *item = command_find(client, key, &hash);
    if (item == NULL) {
        reply_integer(&client->reply, 0);
        return;
    }
    uint64_t target_hash = index_hash(target_key);
    struct item *target_item = find_for_write(target, target_key, target_hash);
    if (target_item != NULL && !replace) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (!copy_store(target, item, target_key, target_hash, target_item)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    reply_integer(&client->reply, 1);
}

void cmd_move(struct client *client) {
    ASSERT(client->argv.count == 3);
    int64_t db_index = 0;
    if (!parse_db_int(client, client_arg(client, 2), &db_index, NULL)) {
        return;
    }
    struct db *target = db_at(db_index);
    if (target == NULL) {
        reply_error(&client->reply, ERROR_DB_INDEX);
        return;
    }
    if (target == client->db) {
        reply_error(&client->reply, ERROR_SAME_OBJECT);
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = find_for_write(client->db, key, hash);
    if (item == NULL || find_for_write(target, key, hash) != NULL) {
        reply_integer(&client->reply, 0);
        return;
    }
    ASSERT(item_key_size(item) == key.size);
    if (!db_move(&server.keyspace, client->db, target, item, hash)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    reply_integer(&client->reply, 1);
}

void cmd_swapdb(struct client *client) {
    ASSERT(client->argv.count == 3);
    int64_t first_index = 0;
    int64_t second_index = 0;
    if (!parse_db_int(client, client_arg(client, 1), &first_index,
                      "ERR invalid first DB index") ||
        !parse_db_int(client, client_arg(client, 2), &second_index,
                      "ERR invalid second DB index")) {
        return;
    }
    struct db *first = db_at(first_index);
    struct db *second = db_at(second_index);
    if (first == NULL || second == NULL) {
        reply_error(&client->reply, ERROR_DB_INDEX);
        return;
    }
    if (first != second) {
        /* Clients keep their struct db pointer, so they now see the other contents. */
        db_swap(first, second);
    }
    ASSERT(first->id == (uint32_t)first_index);
    ASSERT(second->id == (uint32_t)second_index);
    reply_ok(&client->reply);
}

/* ==== OBJECT ==== */

static bool policy_is_lfu(void) {
    enum maxmemory_policy policy = server.config.maxmemory_policy;
    return policy == POLICY_ALLKEYS_LFU || policy == POLICY_VOLATILE_LFU;
}

static bool policy_is_lru_or_lfu(void) {
    enum maxmemory_policy policy = server.config.maxmemory_policy;
    return policy_is_lfu() || policy == POLICY_ALLKEYS_LRU || policy == POLICY_VOLATILE_LRU;
}

/*
 * OBJECT REFCOUNT: Redis shares the objects of the integers 0..9999 (refcount
 * INT_MAX) unless an LRU or LFU policy needs a clock per key.
 */
static int64_t object_refcount(const struct item *item) {
    ASSERT(item != NULL);
    if (item->type == ITEM_STRING && item->encoding == ITEM_ENCODING_INT &&
        !policy_is_lru_or_lfu()) {
        int64_t value = item_int(item);
        if (value >= 0 && value < OBJECT_SHARED_INTEGERS) {
            return OBJECT_SHARED_REFCOUNT;
        }
    }
    return 1;
}

static void object_help(struct client *client) {
    static const char *const lines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    STATIC_ASSERT(ARRAY_COUNT(lines) == 15, "Redis 7.0's OBJECT HELP has 15 lines");
    ASSERT(client->argv.count == 2);
    reply_array(&client->reply, ARRAY_COUNT(lines));
    for (uint32_t index = 0; index < ARRAY_COUNT(lines); index++) {
        reply_simple(&client->reply, lines[index]);
    }
}

/* The key of an OBJECT subcommand: no LRU touch, but hits and misses count. */
static const struct item *object_lookup(struct client *client) {
    ASSERT(client->argv.count == 3);
    struct slice key = client_arg(client, 2);
    const struct item *item = db_peek(&server.keyspace, client->db, key, index_hash(key));
    if (item == NULL) {
        server.keyspace.keyspace_misses++;
        reply_null(&client->reply);
        return NULL;
    }
    server.keyspace.keyspace_hits++;
    return item;
}

/* Runs a key subcommand of OBJECT (argv = OBJECT <subcommand> <key>). */
static void object_key_subcommand(struct client *client, const char *name) {
    ASSERT(name != NULL);
    const struct item *item = object_lookup(client);
    if (item == NULL) {
        return;
    }
    if (strcmp(name, "encoding") == 0) {
        reply_bulk_cstr(&client->reply, item_encoding_name(item));
    } else if (strcmp(name, "refcount") == 0) {
        reply_integer(&client->reply, object_refcount(item));
    } else if (strcmp(name, "idletime") == 0) {
        if (policy_is_lfu()) {
            reply_error(&client->reply, ERROR_LFU_SELECTED);
            return;
        }
        uint32_t idle = item_lru_elapsed(server.keyspace.lru_clock, item->lru_clock);
        reply_integer(&client->reply, (int64_t)idle);
    } else {
        ASSERT(strcmp(name, "freq") == 0);
        if (!policy_is_lfu()) {
            reply_error(&client->reply, ERROR_LFU_NOT_SELECTED);
            return;
        }
        reply_integer(&client->reply, (int64_t)item_lfu_counter(&server.keyspace, item));
    }
}

void cmd_object(struct client *client) {
    ASSERT(client->argv.count >= 2);
    static const char *const names[] = { "help", "encoding", "freq", "idletime", "refcount" };
    struct slice sub = client_arg(client, 1);
    uint32_t found = ARRAY_COUNT(names);
    for (uint32_t index = 0; index < ARRAY_COUNT(names); index++) {
        if (slice_equal_nocase(sub, names[index])) {
            found = index;
        }
    }
    if (found == ARRAY_COUNT(names)) {
        reply_errorf(&client->reply, "ERR unknown subcommand '%.*s'. Try OBJECT HELP.",
                     (int)MIN(sub.size, 128u), (const char *)sub.ptr);
        return;
    }
    ASSERT(found < ARRAY_COUNT(names));
    uint32_t arity = found == 0 ? 2u : 3u;
    if (client->argv.count != arity) {
        reply_errorf(&client->reply, "ERR wrong number of arguments for 'object|%s' command",
                     names[found]);
        return;
    }
    if (found == 0) {
        object_help(client);
        return;
    }
    object_key_subcommand(client, names[found]);
}

/* ==== SORT, SORT_RO ==== */

struct sort_options {
    bool desc;
    bool alpha;
    bool dontsort;           /* BY without '*': keep the native order */
    bool has_by;
    struct slice by;
    bool has_store;
    struct slice store;
    int64_t limit_start;
    int64_t limit_count;     /* -1: no limit */
    uint32_t get_count;
    uint32_t first_option;   /* argv index where options start (GET walks from here) */
    uint32_t pattern_size_max; /* largest BY or GET pattern */
};

/* What a BY or GET pattern refers to (lookupKeyByPattern). */
enum sort_pattern_kind {
    SORT_PATTERN_SELF,      /* "#": the element itself */
    SORT_PATTERN_NONE,      /* no '*': never a value */
    SORT_PATTERN_KEY,       /* a string key */
    SORT_PATTERN_FIELD,     /* "...*...->field": a hash field */
};

struct sort_pattern {
    enum sort_pattern_kind kind;
    struct slice prefix;    /* before the '*' */
    struct slice postfix;   /* after the '*' (and before "->field") */
    struct slice field;
};

/* One element to sort. `by` points into an item, a hash or `digits`; NULL ptr if missing. */
struct sort_entry {
    struct slice element;   /* NUL-terminated copy in the pool */
    struct slice by;
    double score;
    char digits[24];
};

/* Scratch memory of one SORT, all from the heap and freed by sort_vector_release. */
struct sort_vector {
    struct sort_entry *entries;
    struct sort_entry **order;
    struct sort_entry **scratch;
    uint8_t *pool;          /* element bytes, each followed by a NUL */
    uint8_t *key_buffer;    /* for substituted keys longer than SORT_KEY_STACK_SIZE */
    uint64_t count;
    uint64_t pool_size;
    uint64_t element_size_max;
    uint64_t key_buffer_size;
};

/* The C-string length of a text (Redis's patterns are read with strchr/strstr). */
static uint32_t cstr_size(struct slice text) {
    const uint8_t *nul = text.size > 0 ? memchr(text.ptr, 0, text.size) : NULL;
    uint32_t size = nul == NULL ? text.size : (uint32_t)(nul - text.ptr);
    ASSERT(size <= text.size);
    return size;
}

/* Parses a BY/GET pattern exactly as lookupKeyByPattern reads it. */
static struct sort_pattern sort_pattern_parse(struct slice text) {
    struct sort_pattern pattern = { .kind = SORT_PATTERN_NONE };
    uint32_t c_size = cstr_size(text);
    if (c_size == 1 && text.ptr[0] == '#') {
        pattern.kind = SORT_PATTERN_SELF;
        return pattern;
    }
    const uint8_t *star = c_size > 0 ? memchr(text.ptr, '*', c_size) : NULL;
    if (star == NULL) {
        return pattern;
    }
    uint32_t prefix_size = (uint32_t)(star - text.ptr);
    uint32_t field_size = 0;
    for (uint32_t index = prefix_size + 1; index + 2 < c_size; index++) {
        if (text.ptr[index] == '-' && text.ptr[index + 1] == '>') {
            /* A hash field only when something follows the first "->". */
            field_size = text.size - index - 2;
            break;
        }
    }
    ASSERT(prefix_size < c_size);
    uint32_t postfix_size = text.size - prefix_size - 1 - (field_size ? field_size + 2 : 0);
    ASSERT(prefix_size + 1 + postfix_size <= text.size);
    pattern.kind = field_size > 0 ? SORT_PATTERN_FIELD : SORT_PATTERN_KEY;
    pattern.prefix = (struct slice){ .ptr = text.ptr, .size = prefix_size };
    pattern.postfix = (struct slice){ .ptr = star + 1, .size = postfix_size };
    pattern.field = (struct slice){ .ptr = text.ptr + text.size - field_size, .size = field_size };
    return pattern;
}

/*
 * The value a pattern gives for an element, looked up as Redis's lookupKeyRead
 * (hits, misses, lazy expiry). `digits` (24 bytes) holds an integer value's text.
 * The substituted key is built in `buffer` (at least key_buffer_size bytes).
 */
static bool sort_lookup(struct client *client, const struct sort_pattern *pattern,
                        struct slice element, uint8_t *buffer, struct slice *value,
                        char *digits) {
    ASSERT(buffer != NULL);
    ASSERT(digits != NULL);
    if (pattern->kind == SORT_PATTERN_SELF) {
        *value = element;
        return true;
    }
    if (pattern->kind == SORT_PATTERN_NONE) {
        return false;
    }
    uint64_t size = (uint64_t)pattern->prefix.size + element.size + pattern->postfix.size;
    if (size > UINT32_MAX) {
        return false; /* longer than any key */
    }
    memcpy(buffer, pattern->prefix.ptr, pattern->prefix.size);
    memcpy(buffer + pattern->prefix.size, element.ptr, element.size);
    memcpy(buffer + pattern->prefix.size + element.size, pattern->postfix.ptr,
           pattern->postfix.size);
    struct slice key = { .ptr = buffer, .size = (uint32_t)size };
    uint64_t hash = 0;
    const struct item *item = command_find(client, key, &hash);
    if (item == NULL) {
        return false;
    }
    if (pattern->kind == SORT_PATTERN_FIELD) {
        if (item->type != ITEM_HASH || !hash_get(item_object(item), pattern->field, value)) {
            return false;
        }
    } else if (item->type == ITEM_STRING) {
        *value = item_string(item, digits);
    } else {
        return false;
    }
    if (value->ptr == NULL) {
        ASSERT(value->size == 0);
        value->ptr = (const uint8_t *)""; /* found, and empty: never the "missing" NULL */
    }
    return true;
}

/* sortCommandGeneric's option loop; false after replying an error. */
static bool sort_parse(struct client *client, bool readonly, struct sort_options *options) {
    ASSERT(client->argv.count >= 2);
    *options = (struct sort_options){ .limit_count = -1, .first_option = 2 };
    uint32_t argc = client->argv.count;
    /* Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess: keel's users have one
     * selector, which reached this handler, so it comes down to "~*" (allkeys). */
    bool all_keys = acl_client_user(&server.acl, client)->allkeys;
    for (uint32_t index = 2; index < argc; index++) {
        struct slice option = client_arg(client, index);
        uint32_t left = argc - index - 1;
        if (slice_equal_nocase(option, "asc") || slice_equal_nocase(option, "desc")) {
            options->desc = slice_equal_nocase(option, "desc");
        } else if (slice_equal_nocase(option, "alpha")) {
            options->alpha = true;
        } else if (slice_equal_nocase(option, "limit") && left >= 2) {
            if (!argument_int64_or_reply(client, client_arg(client, index + 1),
                                         &options->limit_start) ||
                !argument_int64_or_reply(client, client_arg(client, index + 2),
                                         &options->limit_count)) {
                return false;
            }
            index += 2;
        } else if (!readonly && slice_equal_nocase(option, "store") && left >= 1) {
            options->has_store = true;
            options->store = client_arg(client, ++index);
        } else if (slice_equal_nocase(option, "by") && left >= 1) {
            options->has_by = true;
            options->by = client_arg(client, ++index);
            /* Once a BY without '*' is seen, the native order stays (as Redis). */
            uint32_t c_size = cstr_size(options->by);
            bool pattern = c_size > 0 && memchr(options->by.ptr, '*', c_size) != NULL;
            if (pattern && !all_keys) {
                reply_error(&client->reply, ERROR_SORT_BY_ACL);
                return false;
            }
            options->dontsort |= !pattern;
            options->pattern_size_max = MAX(options->pattern_size_max, options->by.size);
        } else if (slice_equal_nocase(option, "get") && left >= 1) {
            if (!all_keys) {
                reply_error(&client->reply, ERROR_SORT_GET_ACL);
                return false;
            }
            options->get_count++;
            index++;
            options->pattern_size_max = MAX(options->pattern_size_max,
                                             client_arg(client, index).size);
        } else {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
    }
    ASSERT(options->get_count < argc);
    return true;
}

/* The argv index of the next GET pattern at or after option index `index` (validated argv). */
static uint32_t sort_next_get(const struct client *client, uint32_t index) {
    uint32_t argc = client->argv.count;
    ASSERT(index >= 2);
    while (index < argc) {
        struct slice option = client_arg(client, index);
        if (slice_equal_nocase(option, "get")) {
            return index + 1;
        }
        if (slice_equal_nocase(option, "limit")) {
            index += 3;
        } else if (slice_equal_nocase(option, "by") || slice_equal_nocase(option, "store")) {
            index += 2;
        } else {
            index += 1;
        }
    }
    ASSERT(false); /* called only get_count times */
    return argc;
}

/* ==== SORT: loading the elements ==== */

/*
 * Loads elements in two passes over the same visit: the first counts them and
 * their bytes, the second (once memory is there) copies them.
 */
struct sort_loader {
    struct sort_vector *vector;
    uint64_t skip;          /* elements passed over first */
    uint64_t take;          /* elements loaded after them */
    uint64_t seen;
    uint64_t loaded;
    uint64_t pool_used;
    bool copying;
};

static bool sort_load_element(void *context, struct slice element) {
    struct sort_loader *loader = context;
    if (loader->seen < loader->skip) {
        loader->seen++;
        return true;
    }
    if (loader->loaded == loader->take) {
        return false;
    }
    struct sort_vector *vector = loader->vector;
    if (loader->copying) {
        ASSERT(loader->loaded < vector->count);
        ASSERT(loader->pool_used + element.size + 1 <= vector->pool_size);
        uint8_t *bytes = vector->pool + loader->pool_used;
        if (element.size > 0) {
            memcpy(bytes, element.ptr, element.size);
        }
        bytes[element.size] = 0;
        vector->entries[loader->loaded] = (struct sort_entry){
            .element = { .ptr = bytes, .size = element.size },
        };
    }
    vector->element_size_max = MAX(vector->element_size_max, element.size);
    loader->pool_used += (uint64_t)element.size + 1;
    loader->loaded++;
    return true;
}

static bool sort_load_member(void *context, struct slice member, double score) {
    (void)score;
    return sort_load_element(context, member);
}

/* Feeds the elements of `item` to the loader in the order the command needs. */
static void sort_visit(const struct item *item, bool native_desc, bool ranged,
                       struct sort_loader *loader) {
    ASSERT(item->encoding == ITEM_ENCODING_OBJECT);
    ASSERT(loader->loaded == 0);
    if (item->type == ITEM_LIST) {
        const struct list *list = item_object(item);
        uint64_t length = list_length(list);
        struct list_iterator iterator;
        uint64_t start = ranged ? loader->skip : 0;
        if (start < length) {
            loader->seen = loader->skip; /* the iterator starts at the first wanted one */
            uint64_t from = native_desc ? length - 1 - start : start;
            list_iterator_init(&iterator, list, from, native_desc);
            struct slice value;
            for (uint64_t step = 0; step < length && list_iterator_next(&iterator, &value);
                 step++) {
                if (!sort_load_element(loader, value)) {
                    break;
                }
            }
        }
    } else if (item->type == ITEM_SET) {
        set_visit(item_object(item), loader, sort_load_element);
    } else {
        ASSERT(item->type == ITEM_ZSET);
        zset_visit(item_object(item), native_desc, loader, sort_load_member);
    }
}

static void sort_vector_release(struct sort_vector *vector) {
    ASSERT(vector != NULL);
    void *parts[] = { vector->entries, vector->order, vector->scratch, vector->pool,
                      vector->key_buffer };
    for (uint32_t index = 0; index < ARRAY_COUNT(parts); index++) {
        if (parts[index] != NULL) {
            heap_free(&server.heap, parts[index]);
        }
    }
    *vector = (struct sort_vector){ 0 };
}

/* Allocates the arrays for `count` elements of `pool_size` bytes; false when no room. */
static bool sort_vector_allocate(struct sort_vector *vector, uint64_t count,
                                 uint64_t pool_size) {
    ASSERT(vector->entries == NULL);
    ASSERT(pool_size >= count); /* each element has at least its NUL */
    vector->count = count;
    vector->pool_size = pool_size;
    if (count == 0) {
        return true;
    }
    if (count > UINT64_MAX / sizeof(struct sort_entry)) {
        return false;
    }
    vector->entries = heap_alloc(&server.heap, count * sizeof(struct sort_entry));
    vector->order = heap_alloc(&server.heap, count * sizeof(struct sort_entry *));
    vector->scratch = heap_alloc(&server.heap, count * sizeof(struct sort_entry *));
    vector->pool = heap_alloc(&server.heap, pool_size);
    return vector->entries != NULL && vector->order != NULL && vector->scratch != NULL &&
           vector->pool != NULL;
}

/*
 * Loads the elements of `item` (NULL: none) into vector: all of them, or with
 * `ranged` only `take` after `skip` in native order. False when no room.
 */
static bool sort_load(const struct item *item, bool desc, bool ranged, uint64_t skip,
                      uint64_t take, struct sort_vector *vector) {
    *vector = (struct sort_vector){ 0 };
    if (item == NULL || take == 0) {
        return true;
    }
    struct sort_loader loader = { .vector = vector, .skip = skip, .take = take };
    sort_visit(item, ranged && desc, ranged, &loader);
    uint64_t count = loader.loaded;
    uint64_t pool_size = loader.pool_used;
    if (!sort_vector_allocate(vector, count, pool_size)) {
        return false;
    }
    loader = (struct sort_loader){ .vector = vector, .skip = skip, .take = take,
                                   .copying = true };
    sort_visit(item, ranged && desc, ranged, &loader);
    ASSERT(loader.loaded == count);
    ASSERT(loader.pool_used == pool_size);
    for (uint64_t index = 0; index < count; index++) {
        vector->order[index] = &vector->entries[index];
    }
    return true;
}

/* A buffer for substituted keys: the stack one, or heap scratch for long elements. */
static uint8_t *sort_key_buffer(const struct sort_options *options, struct sort_vector *vector,
                                uint8_t *stack_buffer) {
    bool by_used = options->has_by && !options->dontsort;
    if (!by_used && options->get_count == 0) {
        return stack_buffer; /* nothing is looked up */
    }
    uint64_t size = vector->element_size_max + options->pattern_size_max;
    if (size <= SORT_KEY_STACK_SIZE) {
        return stack_buffer;
    }
    ASSERT(vector->key_buffer == NULL);
    vector->key_buffer = heap_alloc(&server.heap, size);
    vector->key_buffer_size = size;
    return vector->key_buffer;
}

/* ==== SORT: scores and order ==== */

/*
 * Parses a score as SORT does: strtod over the text up to its first NUL byte,
 * which must end there; ERANGE and NaN are errors. Leading spaces are allowed
 * and the empty text is 0. False with *oom set when a long text has no room.
 */
static bool sort_parse_score(struct slice text, double *score, bool *oom) {
    ASSERT(score != NULL);
    ASSERT(!*oom);
    uint32_t size = cstr_size(text);
    char stack_copy[SORT_SCORE_STACK_SIZE];
    char *copy = stack_copy;
    if (size >= SORT_SCORE_STACK_SIZE) {
        copy = heap_alloc(&server.heap, (uint64_t)size + 1);
        if (copy == NULL) {
            *oom = true;
            return false;
        }
    }
    if (size > 0) {
        memcpy(copy, text.ptr, size);
    }
    copy[size] = 0;
    char *end = NULL;
    errno = 0;
    *score = strtod(copy, &end);
    bool valid = *end == 0 && errno != ERANGE && !isnan(*score);
    if (copy != stack_copy) {
        heap_free(&server.heap, copy);
    }
    return valid;
}

/*
 * Loads what each entry sorts by: its score, or with ALPHA and BY the BY value.
 * Returns false when a score does not parse (*oom when memory ran out).
 */
static bool sort_load_keys(struct client *client, const struct sort_options *options,
                           struct sort_vector *vector, uint8_t *buffer, bool *oom) {
    ASSERT(!options->dontsort);
    if (options->alpha && !options->has_by) {
        return true; /* the elements themselves are compared */
    }
    struct sort_pattern by = { .kind = SORT_PATTERN_SELF };
    if (options->has_by) {
        by = sort_pattern_parse(options->by);
    }
    bool valid = true;
    for (uint64_t index = 0; index < vector->count; index++) {
        struct sort_entry *entry = &vector->entries[index];
        struct slice value;
        if (!sort_lookup(client, &by, entry->element, buffer, &value, entry->digits)) {
            continue; /* no BY value: score 0, or first with ALPHA */
        }
        if (options->alpha) {
            ASSERT(value.ptr != NULL);
            entry->by = value;
        } else if (!sort_parse_score(value, &entry->score, oom)) {
            valid = false;
            if (*oom) {
                return false;
            }
        }
    }
    return valid;
}

/* Binary comparison, then length (Redis's compareStringObjects). */
static int sort_compare_bytes(struct slice a, struct slice b) {
    uint32_t size = MIN(a.size, b.size);
    int order = size > 0 ? memcmp(a.ptr, b.ptr, size) : 0;
    if (order != 0) {
        return order;
    }
    return a.size < b.size ? -1 : (a.size > b.size ? 1 : 0);
}

/* Redis's sortCompare (binary comparisons stand in for strcoll in the C locale). */
static int sort_compare(const struct sort_options *options, const struct sort_entry *a,
                        const struct sort_entry *b) {
    ASSERT(a != NULL);
    ASSERT(b != NULL);
    int order = 0;
    if (!options->alpha) {
        if (a->score != b->score) {
            order = a->score > b->score ? 1 : -1;
        } else {
            order = sort_compare_bytes(a->element, b->element);
        }
    } else if (options->has_by) {
        if (a->by.ptr == NULL || b->by.ptr == NULL) {
            order = (a->by.ptr == NULL) - (b->by.ptr == NULL);
            order = -order; /* a missing value sorts first */
        } else {
            order = sort_compare_bytes(a->by, b->by);
        }
    } else {
        order = sort_compare_bytes(a->element, b->element);
    }
    return options->desc ? -order : order;
}

/* A stable bottom-up merge sort of vector->order (using vector->scratch). */
static void sort_merge(const struct sort_options *options, struct sort_vector *vector) {
    uint64_t count = vector->count;
    struct sort_entry **source = vector->order;
    struct sort_entry **target = vector->scratch;
    for (uint64_t width = 1; width < count; width *= 2) {
        for (uint64_t left = 0; left < count; left += 2 * width) {
            uint64_t middle = MIN(left + width, count);
            uint64_t right = MIN(left + 2 * width, count);
            uint64_t a = left;
            uint64_t b = middle;
            for (uint64_t out = left; out < right; out++) {
                bool take_a = b >= right ||
                              (a < middle && sort_compare(options, source[a], source[b]) <= 0);
                target[out] = take_a ? source[a++] : source[b++];
            }
        }
        struct sort_entry **swap = source;
        source = target;
        target = swap;
    }
    if (source != vector->order) {
        memcpy(vector->order, source, count * sizeof(*source));
    }
#ifdef KEEL_VERIFY
    for (uint64_t index = 1; index < count; index++) {
        VERIFY(sort_compare(options, vector->order[index - 1], vector->order[index]) <= 0);
    }
#endif
}

/* ==== SORT: output ==== */

/* Replies the elements order[start..end] with their GET values. */
static void sort_reply(struct client *client, const struct sort_options *options,
                       const struct sort_vector *vector, int64_t start, int64_t end,
                       uint8_t *buffer) {
    uint64_t range = end >= start ? (uint64_t)(end - start + 1) : 0;
    ASSERT(range == 0 || (start >= 0 && (uint64_t)end < vector->count));
    uint64_t get_count = options->get_count;
    reply_array(&client->reply, get_count > 0 ? get_count * range : range);
    for (uint64_t position = 0; position < range; position++) {
        const struct sort_entry *entry = vector->order[(uint64_t)start + position];
        if (get_count == 0) {
            reply_bulk_slice(&client->reply, entry->element);
        }
        uint32_t index = options->first_option;
        for (uint64_t get = 0; get < get_count; get++) {
            index = sort_next_get(client, index);
            struct sort_pattern pattern = sort_pattern_parse(client_arg(client, index));
            char digits[24];
            struct slice value;
            if (sort_lookup(client, &pattern, entry->element, buffer, &value, digits)) {
                reply_bulk_slice(&client->reply, value);
            } else {
                reply_null(&client->reply);
            }
            index++;
        }
    }
}

/* Builds the STORE list from order[start..end]; NULL when the heap has no room. */
static struct list *sort_store_list(struct client *client, const struct sort_options *options,
                                    const struct sort_vector *vector, int64_t start,
                                    int64_t end, uint8_t *buffer) {
    ASSERT(start >= 0);
    ASSERT(end >= start && (uint64_t)end < vector->count);
    struct list *list = list_create(&server.heap);
    if (list == NULL) {
        return NULL;
    }
    list_set_node_limit(list, server.config.list_max_listpack_size);
    bool pushed = true;
    for (int64_t position = start; position <= end && pushed; position++) {
        const struct sort_entry *entry = vector->order[position];
        if (options->get_count == 0) {
            pushed = list_push(&server.heap, list, LIST_TAIL, entry->element);
            continue;
        }
        uint32_t index = options->first_option;
        for (uint32_t get = 0; get < options->get_count && pushed; get++) {
            index = sort_next_get(client, index);
            struct sort_pattern pattern = sort_pattern_parse(client_arg(client, index));
            char digits[24];
            struct slice value = { .ptr = (const uint8_t *)"", .size = 0 };
            (void)sort_lookup(client, &pattern, entry->element, buffer, &value, digits);
            pushed = list_push(&server.heap, list, LIST_TAIL, value);
            index++;
        }
    }
    if (!pushed) {
        list_destroy(&server.heap, list);
        return NULL;
    }
    /* Redis's LIST_CONV_AUTO for a list built in one go. */
    list_update_encoding(list, server.config.list_max_listpack_size);
    return list;
}

/* STORE: the result replaces the destination as a list (no TTL); empty deletes it. */
static bool sort_store(struct client *client, const struct sort_options *options,
                       const struct sort_vector *vector, int64_t start, int64_t end,
                       uint8_t *buffer) {
    ASSERT(options->has_store);
    uint64_t range = end >= start ? (uint64_t)(end - start + 1) : 0;
    uint64_t output_count = options->get_count > 0 ? options->get_count * range : range;
    struct list *list = NULL;
    if (output_count > 0) {
        list = sort_store_list(client, options, vector, start, end, buffer);
        if (list == NULL) {
            return false;
        }
    }
    /* Looked up last: a GET may have expired it. */
    uint64_t hash = index_hash(options->store);
    struct item *old_item = find_for_write(client->db, options->store, hash);
    if (list == NULL) {
        if (old_item != NULL) {
            db_delete(&server.keyspace, client->db, old_item, hash);
        }
        reply_integer(&client->reply, 0);
        return true;
    }
    struct item *item = NULL;
    if (old_item != NULL || db_prepare_insert(client->db, hash)) {
        item = item_create_object(&server.heap, ITEM_LIST, options->store, list, 0);
    }
    if (item == NULL) {
        list_destroy(&server.heap, list);
        return false;
    }
    db_store(&server.keyspace, client->db, item, hash, old_item);
    ASSERT(output_count <= (uint64_t)INT64_MAX);
    reply_integer(&client->reply, (int64_t)output_count);
    return true;
}

/* ==== SORT: the command ==== */

/* The range of the sorted output, as sortCommandGeneric computes it (may be empty). */
static void sort_range(const struct sort_options *options, int64_t length, int64_t *start,
                       int64_t *end) {
    ASSERT(length >= 0);
    *start = MIN(MAX(options->limit_start, 0), length);
    int64_t count = MIN(MAX(options->limit_count, -1), length);
    *end = count < 0 ? length : *start + count - 1;
    if (*start >= length) {
        *start = length - 1;
        *end = length - 2;
    }
    if (*end >= length) {
        *end = length - 1;
    }
    ASSERT(*end >= *start - 1); /* an empty range at worst */
}

static uint64_t sort_length(const struct item *item) {
    if (item == NULL) {
        return 0;
    }
    switch (item->type) {
    case ITEM_LIST: return list_length(item_object(item));
    case ITEM_SET: return set_length(item_object(item));
    case ITEM_ZSET: return zset_length(item_object(item));
    default: ASSERT(false);
    }
    return 0;
}

/*
 * Loads, orders and outputs. Lists and sorted sets left in native order (BY
 * without '*') load only the LIMIT range, which then starts at 0.
 */
static bool sort_execute(struct client *client, struct sort_options *options,
                         const struct item *item, struct sort_vector *vector) {
    int64_t length = (int64_t)sort_length(item);
    int64_t start = 0;
    int64_t end = 0;
    sort_range(options, length, &start, &end);
    bool ranged = item != NULL && item->type != ITEM_SET && options->dontsort;
    uint64_t take = (uint64_t)length;
    if (ranged) {
        take = end >= start ? (uint64_t)(end - start + 1) : 0;
    }
    if (!sort_load(item, options->desc, ranged, ranged ? (uint64_t)MAX(start, 0) : 0, take,
                   vector)) {
        return false;
    }
    if (ranged) {
        end -= start;
        start = 0;
    }
    ASSERT(end < (int64_t)vector->count);
    uint8_t stack_buffer[SORT_KEY_STACK_SIZE];
    uint8_t *buffer = sort_key_buffer(options, vector, stack_buffer);
    if (buffer == NULL) {
        return false;
    }
    if (!options->dontsort) {
        bool oom = false;
        if (!sort_load_keys(client, options, vector, buffer, &oom)) {
            if (oom) {
                return false;
            }
            reply_error(&client->reply, ERROR_SORT_SCORE);
            return true;
        }
        sort_merge(options, vector);
    }
    if (options->has_store) {
        return sort_store(client, options, vector, start, end, buffer);
    }
    sort_reply(client, options, vector, start, end, buffer);
    return true;
}

static bool sort_convert_visit(void *context, struct slice member, double score) {
    return zset_accumulate(&server.heap, context, member, score, ZSET_AGGREGATE_SUM);
}

/*
 * Redis 7.0's SORT converts a packed sorted set to its skiplist form before
 * sorting (a visible side effect: OBJECT ENCODING, and "-0" scores kept). When
 * the heap has no room the set stays as it is.
 */
static void sort_convert_zset(struct zset *zset) {
    if (zset_encoding(zset) != ZSET_ENCODING_LISTPACK) {
        return;
    }
    struct zset *converted = zset_create_accumulator(&server.heap, zset_length(zset));
    if (converted == NULL) {
        return;
    }
    zset_visit(zset, false, converted, sort_convert_visit);
    if (zset_length(converted) != zset_length(zset)) {
        zset_destroy(&server.heap, converted);
        return;
    }
    zset_accumulator_finish(converted);
    zset_swap(zset, converted);
    zset_destroy(&server.heap, converted);
    ASSERT(zset_encoding(zset) == ZSET_ENCODING_SKIPLIST);
}

static void sort_command(struct client *client, bool readonly) {
    ASSERT(client->argv.count >= 2);
    struct sort_options options;
    if (!sort_parse(client, readonly, &options)) {
        return;
    }
    uint64_t hash = 0;
    const struct item *item = command_find(client, client_arg(client, 1), &hash);
    if (item != NULL && item->type != ITEM_LIST && item->type != ITEM_SET &&
        item->type != ITEM_ZSET) {
        reply_error(&client->reply, ERROR_WRONGTYPE);
        return;
    }
    if (item != NULL && item->type == ITEM_ZSET) {
        sort_convert_zset(item_object(item));
    }
    if (options.dontsort && item != NULL && item->type == ITEM_SET && options.has_store) {
        /* A set has no native order to store: sort it by its members. */
        options.dontsort = false;
        options.alpha = true;
        options.has_by = false;
    }
    struct sort_vector vector = { 0 };
    bool done = sort_execute(client, &options, item, &vector);
    sort_vector_release(&vector);
    if (!done) {
        reply_error(&client->reply, ERROR_OOM);
    }
}

void cmd_sort(struct client *client) {
    sort_command(client, false);
}

void cmd_sort_ro(struct client *client) {
    sort_command(client, true);
}
