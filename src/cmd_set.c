/*
 * cmd_set.c: the set commands SADD, SREM, SISMEMBER, SMISMEMBER, SMEMBERS,
 * SCARD, SPOP, SRANDMEMBER, SMOVE, SINTER, SINTERCARD, SINTERSTORE, SUNION,
 * SUNIONSTORE, SDIFF, SDIFFSTORE and SSCAN.
 *
 * Replies follow Redis 7.0 byte for byte; encodings follow Redis 7.2 (see
 * set.h). Invariants:
 * - A set key never holds an empty set: a removal that empties it deletes the
 *   key, and a STORE whose result is empty deletes the destination.
 * - A write either completes or answers -OOM with the dataset unchanged. SADD
 *   removes again the members it added when one does not fit (an encoding
 *   conversion it made stays: the members are the same). SMOVE adds to the
 *   destination before it removes from the source. STORE variants build the
 *   result completely in the heap, then replace the destination.
 * - Replies are written before the set is mutated (a member's slice points
 *   into the set), and the reply length is known before the first element:
 *   SINTER and SSCAN walk twice (count, then reply), which needs no memory.
 * - Scratch memory (more than SET_GROUP_INLINE_COUNT source sets, SADD's
 *   undo bitmap past SADD_INLINE_BIT_COUNT members, SRANDMEMBER's distinct
 *   picks) comes from the data heap and is freed before the handler returns.
 */
#include "commands.h"

#include "db.h"
#include "glob.h"
#include "index.h"
#include "item.h"
#include "multi.h"
#include "set.h"

#include <inttypes.h>

#define SET_GROUP_INLINE_COUNT 64u
#define SADD_INLINE_BIT_COUNT 4096u
#define SSCAN_COUNT_DEFAULT 10u
#define SSCAN_BUCKETS_PER_MEMBER 10u
/* SRANDMEMBER with a positive count picks distinct handles while count * 3 <= size. */
#define SRANDMEMBER_SPARSE_FACTOR 3u
#define SRANDMEMBER_ATTEMPTS_PER_MEMBER 16u
#define CURSOR_TEXT_SIZE 24u

static const char ERROR_SRANDMEMBER_RANGE[] =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
static const char ERROR_NUMKEYS[] = "ERR numkeys should be greater than 0";
static const char ERROR_NUMKEYS_ARGS[] = "ERR Number of keys can't be greater than number of args";
static const char ERROR_LIMIT_NEGATIVE[] = "ERR LIMIT can't be negative";

/* ==== Shared helpers ==== */

static struct set_limits limits_current(void) {
    struct set_limits limits = {
        .intset_entries_max = server.config.set_max_intset_entries,
        .listpack_entries_max = server.config.set_max_listpack_entries,
        .listpack_value_max = server.config.set_max_listpack_value,
    };
    ASSERT(limits.intset_entries_max == server.config.set_max_intset_entries);
    return limits;
}

static struct set *set_of(const struct item *item) {
    ASSERT(item != NULL);
    ASSERT(item->type == ITEM_SET);
    return item_object(item);
}

static void reply_count(struct client *client, uint64_t count) {
    ASSERT(count <= (uint64_t)INT64_MAX);
    reply_integer(&client->reply, (int64_t)count);
}

/* Writes one member; stops a walk once the client's output has overflowed. */
static bool reply_member_visit(void *context, struct slice member) {
    struct client *client = context;
    ASSERT(client != NULL);
    ASSERT(member.ptr != NULL || member.size == 0);
    reply_bulk_slice(&client->reply, member);
    return !client->output.overflowed;
}

/* A whole set as a RESP set reply (an array in RESP2). */
static void reply_members(struct client *client, const struct set *set) {
    ASSERT(set_length(set) > 0);
    reply_set(&client->reply, set_length(set));
    set_visit(set, client, reply_member_visit);
}

/* ==== SADD ==== */

static bool bit_get(const uint8_t *bits, uint64_t index) {
    ASSERT(bits != NULL);
    uint32_t byte = bits[index / 8];
    return ((byte >> (index % 8)) & 1u) != 0;
}

static void bit_set(uint8_t *bits, uint64_t index) {
    ASSERT(bits != NULL);
    bits[index / 8] = (uint8_t)(bits[index / 8] | (1u << (index % 8)));
}

/*
 * Adds argv[2..] and stores the number added in *added. When one does not fit,
 * removes again the members added so far (marked in a bitmap) and returns false.
 */
static bool sadd_members(struct client *client, struct set *set, uint64_t *added) {
    ASSERT(client->argv.count >= 3);
    uint32_t member_count = client->argv.count - 2;
    uint8_t inline_bits[SADD_INLINE_BIT_COUNT / 8];
    uint8_t *bits = inline_bits;
    uint64_t bits_size = ((uint64_t)member_count + 7) / 8;
    if (member_count > SADD_INLINE_BIT_COUNT) {
        bits = heap_alloc(&server.heap, bits_size);
        if (bits == NULL) {
            return false;
        }
    }
    memset(bits, 0, bits_size);
    struct set_limits limits = limits_current();
    uint64_t length_before = set_length(set);
    uint32_t failed_index = member_count;
    for (uint32_t index = 0; index < member_count; index++) {
        enum set_add_result result =
            set_add(&server.heap, set, &limits, client_arg(client, index + 2));
        if (result == SET_ADD_NO_ROOM) {
            failed_index = index;
            break;
        }
        if (result == SET_ADD_ADDED) {
            bit_set(bits, index);
        }
    }
    for (uint32_t index = 0; failed_index < member_count && index < failed_index; index++) {
        if (bit_get(bits, index)) {
            bool removed = set_remove(&server.heap, set, client_arg(client, index + 2));
            ASSERT(removed);
        }
    }
    if (bits != inline_bits) {
        heap_free(&server.heap, bits);
    }
    ASSERT(set_length(set) >= length_before);
    *added = set_length(set) - length_before;
    if (failed_index < member_count) {
        ASSERT(*added == 0); /* rolled back */
    }
    return failed_index == member_count;
}

/* Creates the key with a set of argv[2..]; false (nothing changed) when no room. */
static bool sadd_new(struct client *client, struct slice key, uint64_t hash, uint64_t *added) {
    ASSERT(client->argv.count >= 3);
    ASSERT(added != NULL);
    if (!db_prepare_insert(client->db, hash)) {
        return false;
    }
    struct set_limits limits = limits_current();
    uint64_t hint = client->argv.count - 2;
    enum set_encoding encoding = set_initial_encoding(&limits, client_arg(client, 2), hint);
    struct set *set = set_create(&server.heap, encoding, hint);
    if (set == NULL) {
        return false;
    }
    if (!sadd_members(client, set, added)) {
        set_destroy(&server.heap, set);
        return false;
    }
    struct item *item = item_create_object(&server.heap, ITEM_SET, key, set, 0);
    if (item == NULL) {
        set_destroy(&server.heap, set);
        return false;
    }
    db_store(&server.keyspace, client->db, item, hash, NULL);
    ASSERT(set_length(set) == *added);
    return true;
}

/*
 * Adds to an existing set, all or nothing. A failed add removes the members it had
 * added, but an intset or listpack may have changed encoding on the way: a small set
 * with several members to add is therefore changed as a copy that takes over only
 * when every member went in (an error leaves even OBJECT ENCODING as it was).
 */
static bool sadd_existing(struct client *client, struct set *set, uint64_t *added) {
    struct set_limits limits = limits_current();
    uint64_t member_count = client->argv.count - 2;
    if (member_count == 1 || set_encoding_of(set) == SET_ENCODING_HASHTABLE) {
        return set_reserve(&server.heap, set, &limits, member_count) &&
               sadd_members(client, set, added);
    }
    struct set *copy = set_copy(&server.heap, set);
    if (copy == NULL) {
        return false;
    }
    bool done = set_reserve(&server.heap, copy, &limits, member_count) &&
                sadd_members(client, copy, added);
    if (done) {
        set_swap(set, copy);
    }
    set_destroy(&server.heap, copy);
    return done;
}

void cmd_sadd(struct client *client) {
    ASSERT(client->argv.count >= 3); /* arity in commands.def */
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (!command_check_type(client, item, ITEM_SET)) {
        return;
    }
    uint64_t added = 0;
    bool done = false;
    if (item == NULL) {
        done = sadd_new(client, key, hash, &added);
    } else {
        done = sadd_existing(client, set_of(item), &added);
    }
    if (!done) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    ASSERT(added <= client->argv.count - 2);
    if (item != NULL && added > 0) {
        watch_touch(client->db, key, hash);
    }
    reply_count(client, added);
}

/* ==== SREM, SISMEMBER, SMISMEMBER, SMEMBERS, SCARD ==== */

void cmd_srem(struct client *client) {
    ASSERT(client->argv.count >= 3);
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL) {
        reply_count(client, 0);
        return;
    }
    if (!command_check_type(client, item, ITEM_SET)) {
        return;
    }
    struct set *set = set_of(item);
    uint64_t removed = 0;
    for (uint32_t index = 2; index < client->argv.count; index++) {
        if (set_remove(&server.heap, set, client_arg(client, index))) {
            removed++;
            if (set_length(set) == 0) {
                db_delete(&server.keyspace, client->db, item, hash);
                item = NULL;
                break;
            }
        }
    }
    if (item != NULL && removed > 0) {
        watch_touch(client->db, key, hash);
    }
    reply_count(client, removed);
}

/* The set of a key for reading; NULL when missing or (after replying) of another type. */
static const struct set *find_for_read(struct client *client, struct slice key, bool *wrong) {
    ASSERT(wrong != NULL);
    ASSERT(client->db != NULL);
    uint64_t hash = 0;
    struct item *item = command_find(client, key, &hash);
    *wrong = !command_check_type(client, item, ITEM_SET);
    return item == NULL || *wrong ? NULL : set_of(item);
}

void cmd_sismember(struct client *client) {
    ASSERT(client->argv.count == 3);
    bool wrong = false;
    const struct set *set = find_for_read(client, client_arg(client, 1), &wrong);
    if (wrong) {
        return;
    }
    bool member = set != NULL && set_contains(set, client_arg(client, 2));
    reply_count(client, member ? 1 : 0);
}

void cmd_smismember(struct client *client) {
    ASSERT(client->argv.count >= 3);
    bool wrong = false;
    const struct set *set = find_for_read(client, client_arg(client, 1), &wrong);
    if (wrong) {
        return;
    }
    reply_array(&client->reply, client->argv.count - 2);
    for (uint32_t index = 2; index < client->argv.count; index++) {
        bool member = set != NULL && set_contains(set, client_arg(client, index));
        reply_count(client, member ? 1 : 0);
    }
}

void cmd_smembers(struct client *client) {
    ASSERT(client->argv.count == 2);
    bool wrong = false;
    const struct set *set = find_for_read(client, client_arg(client, 1), &wrong);
    if (wrong) {
        return;
    }
    if (set == NULL) {
        reply_set(&client->reply, 0);
        return;
    }
    reply_members(client, set);
}

void cmd_scard(struct client *client) {
    ASSERT(client->argv.count == 2);
    bool wrong = false;
    const struct set *set = find_for_read(client, client_arg(client, 1), &wrong);
    if (wrong) {
        return;
    }
    reply_count(client, set == NULL ? 0 : set_length(set));
}

/* ==== SPOP ==== */

/* Replies one random member, then removes it. */
static void pop_one(struct client *client, struct set *set) {
    ASSERT(set_length(set) > 0);
    char digits[SET_DIGITS_SIZE];
    uint64_t length_before = set_length(set);
    uint64_t handle = set_random_handle(set);
    reply_bulk_slice(&client->reply, set_member_at(set, handle, digits));
    set_remove_handle(&server.heap, set, handle);
    ASSERT(set_length(set) == length_before - 1);
}

static void spop_count(struct client *client, struct slice key, uint64_t hash) {
    ASSERT(client->argv.count == 3);
    VERIFY(hash == index_hash(key));
    int64_t count = 0;
    if (!argument_int64(client_arg(client, 2), &count) || count < 0) {
        reply_error(&client->reply, ERROR_OUT_OF_RANGE_POSITIVE);
        return;
    }
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL) {
        reply_set(&client->reply, 0);
        return;
    }
    if (!command_check_type(client, item, ITEM_SET)) {
        return;
    }
    if (count == 0) {
        reply_set(&client->reply, 0);
        return;
    }
    struct set *set = set_of(item);
    if ((uint64_t)count >= set_length(set)) {
        /* The whole set: reply it and delete the key. */
        reply_members(client, set);
        db_delete(&server.keyspace, client->db, item, hash);
        return;
    }
    reply_set(&client->reply, (uint64_t)count);
    for (int64_t popped = 0; popped < count; popped++) {
        pop_one(client, set);
    }
    ASSERT(set_length(set) > 0);
    watch_touch(client->db, key, hash);
}

void cmd_spop(struct client *client) {
    ASSERT(client->argv.count >= 2);
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    if (client->argv.count > 3) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    if (client->argv.count == 3) {
        spop_count(client, key, hash);
        return;
    }
    struct item *item = command_find_write(client, key, hash);
    if (item == NULL) {
        reply_null(&client->reply);
        return;
    }
    if (!command_check_type(client, item, ITEM_SET)) {
        return;
    }
    struct set *set = set_of(item);
    pop_one(client, set);
    if (set_length(set) == 0) {
        db_delete(&server.keyspace, client->db, item, hash);
    } else {
        watch_touch(client->db, key, hash);
    }
}

/* ==== SRANDMEMBER ==== */

struct sample_context {
    struct client *client;
    uint64_t needed;     /* members still to pick */
    uint64_t remaining;  /* members not yet visited */
};

/* Selection sampling (Knuth's algorithm S): each member is taken with probability
 * needed / remaining, which picks a uniformly random subset of the wanted size. */
static bool sample_visit(void *context, struct slice member) {
    struct sample_context *sample = context;
    ASSERT(sample->needed > 0);
    ASSERT(sample->remaining >= sample->needed);
    if (set_random_below(sample->remaining) < sample->needed) {
        reply_bulk_slice(&sample->client->reply, member);
        sample->needed--;
    }
    sample->remaining--;
    return sample->needed > 0;
}

static void srandmember_sample(struct client *client, const struct set *set, uint64_t count) {
    ASSERT(count < set_length(set));
    struct sample_context sample = { .client = client, .needed = count,
                                     .remaining = set_length(set) };
    reply_array(&client->reply, count);
    set_visit(set, &sample, sample_visit);
    ASSERT(sample.needed == 0);
}

/* Inserts handle + 1 into an open-addressing table; false when already there. */
static bool handle_insert(uint64_t *slots, uint64_t slot_mask, uint64_t handle) {
    uint64_t key = handle + 1;
    ASSERT(key != 0);
    uint64_t index = (key * 0x9e3779b97f4a7c15ull) & slot_mask;
    for (uint64_t probe = 0; probe <= slot_mask; probe++) {
        uint64_t *slot = &slots[(index + probe) & slot_mask];
        if (*slot == key) {
            return false;
        }
        if (*slot == 0) {
            *slot = key;
            return true;
        }
    }
    ASSERT(false && "handle table full");
    return false;
}

/*
 * count * 3 <= size: picks random members until `count` distinct handles are
 * found (each pick is new with probability >= 2/3), then replies them. False
 * (nothing written) when the scratch table has no room or the picks run long.
 */
static bool srandmember_sparse(struct client *client, const struct set *set, uint64_t count) {
    ASSERT(count > 0);
    ASSERT(count * SRANDMEMBER_SPARSE_FACTOR <= set_length(set));
    uint64_t slot_count = 4;
    for (uint32_t step = 0; step < 64 && slot_count < count * 2; step++) {
        slot_count <<= 1;
    }
    uint64_t *slots = heap_alloc(&server.heap, slot_count * sizeof(uint64_t));
    if (slots == NULL) {
        return false;
    }
    memset(slots, 0, slot_count * sizeof(uint64_t));
    uint64_t found = 0;
    uint64_t attempts_max = count * SRANDMEMBER_ATTEMPTS_PER_MEMBER + 64;
    for (uint64_t attempt = 0; attempt < attempts_max && found < count; attempt++) {
        if (handle_insert(slots, slot_count - 1, set_random_handle(set))) {
            found++;
        }
    }
    if (found == count) {
        char digits[SET_DIGITS_SIZE];
        reply_array(&client->reply, count);
        for (uint64_t index = 0; index < slot_count; index++) {
            if (slots[index] != 0) {
                reply_bulk_slice(&client->reply, set_member_at(set, slots[index] - 1, digits));
            }
        }
    }
    heap_free(&server.heap, slots);
    return found == count;
}

static void srandmember_count(struct client *client, const struct set *set, int64_t value) {
    ASSERT(value != 0);
    ASSERT(value != INT64_MIN);
    char digits[SET_DIGITS_SIZE];
    if (value < 0) {
        /* Repeats allowed: independent picks, stopped early if the output overflows. */
        uint64_t count = (uint64_t)(-value);
        reply_array(&client->reply, count);
        for (uint64_t index = 0; index < count && !client->output.overflowed; index++) {
            uint64_t handle = set_random_handle(set);
            reply_bulk_slice(&client->reply, set_member_at(set, handle, digits));
        }
        return;
    }
    uint64_t count = (uint64_t)value;
    uint64_t length = set_length(set);
    if (count >= length) {
        reply_array(&client->reply, length);
        set_visit(set, client, reply_member_visit);
        return;
    }
    if (count * SRANDMEMBER_SPARSE_FACTOR <= length && srandmember_sparse(client, set, count)) {
        return;
    }
    srandmember_sample(client, set, count); /* O(size), and size < 3 * count here */
}

void cmd_srandmember(struct client *client) {
    ASSERT(client->argv.count >= 2);
    if (client->argv.count > 3) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    int64_t value = 0;
    bool has_count = client->argv.count == 3;
    if (has_count) {
        if (!argument_int64_or_reply(client, client_arg(client, 2), &value)) {
            return;
        }
        if (value == INT64_MIN) {
            reply_error(&client->reply, ERROR_SRANDMEMBER_RANGE);
            return;
        }
    }
    bool wrong = false;
    const struct set *set = find_for_read(client, client_arg(client, 1), &wrong);
    if (wrong) {
        return;
    }
    if (has_count && (set == NULL || value == 0)) {
        reply_empty_array(&client->reply);
        return;
    }
    if (set == NULL) {
        reply_null(&client->reply);
        return;
    }
    if (has_count) {
        srandmember_count(client, set, value);
        return;
    }
    char digits[SET_DIGITS_SIZE];
    reply_bulk_slice(&client->reply, set_member_at(set, set_random_handle(set), digits));
}

/* ==== SMOVE ==== */

/* Creates the destination key holding one member; false (nothing changed) if no room. */
static bool smove_create(struct client *client, struct slice key, uint64_t hash,
                         struct slice member) {
    ASSERT(client->argv.count == 4);
    VERIFY(hash == index_hash(key));
    if (!db_prepare_insert(client->db, hash)) {
        return false;
    }
    struct set_limits limits = limits_current();
    struct set *set = set_create(&server.heap, set_initial_encoding(&limits, member, 1), 1);
    if (set == NULL) {
        return false;
    }
    struct item *item = NULL;
    if (set_add(&server.heap, set, &limits, member) == SET_ADD_ADDED) {
        item = item_create_object(&server.heap, ITEM_SET, key, set, 0);
    }
    if (item == NULL) {
        set_destroy(&server.heap, set);
        return false;
    }
    db_store(&server.keyspace, client->db, item, hash, NULL);
    return true;
}

void cmd_smove(struct client *client) {
    ASSERT(client->argv.count == 4);
    struct slice source_key = client_arg(client, 1);
    struct slice target_key = client_arg(client, 2);
    struct slice member = client_arg(client, 3);
    uint64_t source_hash = index_hash(source_key);
    uint64_t target_hash = index_hash(target_key);
    struct item *source = command_find_write(client, source_key, source_hash);
    struct item *target = command_find_write(client, target_key, target_hash);
    if (source == NULL) {
        reply_count(client, 0);
        return;
    }
    if (!command_check_type(client, source, ITEM_SET) ||
        !command_check_type(client, target, ITEM_SET)) {
        return;
    }
    struct set *source_set = set_of(source);
    if (source == target || !set_contains(source_set, member)) {
        reply_count(client, source == target && set_contains(source_set, member) ? 1 : 0);
        return;
    }
    /* Add first: the only step that can fail. */
    bool added = false;
    bool target_changed = false; /* Redis signals the target only when the member is new */
    if (target == NULL) {
        added = smove_create(client, target_key, target_hash, member);
    } else {
        struct set_limits limits = limits_current();
        enum set_add_result status = set_add(&server.heap, set_of(target), &limits, member);
        added = status != SET_ADD_NO_ROOM;
        target_changed = status == SET_ADD_ADDED;
    }
    if (!added) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    bool removed = set_remove(&server.heap, source_set, member);
    ASSERT(removed);
    if (set_length(source_set) == 0) {
        db_delete(&server.keyspace, client->db, source, source_hash);
    } else {
        watch_touch(client->db, source_key, source_hash);
    }
    if (target_changed) {
        watch_touch(client->db, target_key, target_hash);
    }
    reply_count(client, 1);
}

/* ==== Groups of source sets (SINTER, SUNION, SDIFF and their variants) ==== */

struct set_group {
    const struct set **sets;      /* NULL entries are missing keys */
    uint32_t count;
    bool any_missing;
    const struct set *inline_sets[SET_GROUP_INLINE_COUNT];
};

static void group_release(struct set_group *group) {
    ASSERT(group != NULL);
    if (group->sets != NULL && group->sets != group->inline_sets) {
        heap_free(&server.heap, (void *)group->sets);
    }
    group->sets = NULL;
}

/*
 * Looks up argv[first, first + count) as sets (reads: hits and misses counted).
 * Replies WRONGTYPE (or -OOM when the scratch array has no room) and returns
 * false; on success the caller releases the group.
 */
static bool group_load(struct client *client, struct set_group *group, uint32_t first,
                       uint32_t count) {
    ASSERT(count > 0);
    ASSERT(first + count <= client->argv.count);
    group->sets = group->inline_sets;
    group->count = count;
    group->any_missing = false;
    if (count > SET_GROUP_INLINE_COUNT) {
        group->sets = heap_alloc(&server.heap, (uint64_t)count * sizeof(struct set *));
        if (group->sets == NULL) {
            reply_error(&client->reply, ERROR_OOM);
            return false;
        }
    }
    for (uint32_t index = 0; index < count; index++) {
        bool wrong = false;
        group->sets[index] = find_for_read(client, client_arg(client, first + index), &wrong);
        if (wrong) {
            group_release(group);
            return false;
        }
        group->any_missing = group->any_missing || group->sets[index] == NULL;
    }
    return true;
}

/* Sorts by length, smallest first (Shell sort: no recursion, no memory). */
static void group_sort(struct set_group *group) {
    ASSERT(!group->any_missing);
    uint32_t gap = group->count / 2;
    for (uint32_t round = 0; round < 32 && gap > 0; round++, gap /= 2) {
        for (uint32_t index = gap; index < group->count; index++) {
            const struct set *moving = group->sets[index];
            uint32_t at = index;
            for (; at >= gap && set_length(group->sets[at - gap]) > set_length(moving);
                 at -= gap) {
                group->sets[at] = group->sets[at - gap];
            }
            group->sets[at] = moving;
        }
    }
    for (uint32_t index = 1; index < group->count; index++) {
        ASSERT(set_length(group->sets[index - 1]) <= set_length(group->sets[index]));
    }
}

/*
 * Visits every member of the intersection of a sorted group with no missing
 * set: walks the smallest set and probes the others (O(N * M), N the smallest
 * size and M the number of sets). Stops when visit returns false.
 */
static void intersect_visit(const struct set_group *group, void *context,
                            set_visit_callback visit) {
    ASSERT(!group->any_missing);
    ASSERT(group->count > 0);
    const struct set *smallest = group->sets[0];
    struct set_iterator iterator;
    set_iterator_init(&iterator, smallest);
    struct slice member;
    for (uint64_t index = 0; index < set_length(smallest); index++) {
        bool more = set_iterator_next(&iterator, &member);
        ASSERT(more);
        bool everywhere = true;
        for (uint32_t other = 1; other < group->count && everywhere; other++) {
            everywhere = group->sets[other] == smallest ||
                         set_contains(group->sets[other], member);
        }
        if (everywhere && !visit(context, member)) {
            return;
        }
    }
}

struct count_context {
    uint64_t count;
    uint64_t limit;  /* 0: none */
};

static bool count_visit(void *context, struct slice member) {
    struct count_context *counter = context;
    (void)member;
    ASSERT(counter->limit == 0 || counter->count < counter->limit);
    counter->count++;
    return counter->limit == 0 || counter->count < counter->limit;
}

struct build_context {
    struct set *result;
    struct set_limits limits;
    bool failed;
};

static bool build_visit(void *context, struct slice member) {
    struct build_context *build = context;
    ASSERT(!build->failed);
    if (set_add(&server.heap, build->result, &build->limits, member) == SET_ADD_NO_ROOM) {
        build->failed = true;
    }
    return !build->failed;
}

/* Adds every member of `set` to the result under construction; false when no room. */
static bool build_add_all(struct build_context *build, const struct set *set) {
    ASSERT(build->result != NULL);
    ASSERT(!build->failed);
    set_visit(set, build, build_visit);
    return !build->failed;
}

/* An empty result set to build into (Redis starts every result as an intset). */
static bool build_begin(struct build_context *build) {
    ASSERT(build != NULL);
    build->limits = limits_current();
    build->failed = false;
    build->result = set_create(&server.heap, SET_ENCODING_INTSET, 0);
    return build->result != NULL;
}

/* Frees a result that could not be completed; always returns NULL. */
static struct set *build_abandon(struct build_context *build) {
    ASSERT(build->result != NULL);
    set_destroy(&server.heap, build->result);
    build->result = NULL;
    return NULL;
}

/* ==== STORE destinations ==== */

struct destination {
    struct slice key;
    uint64_t hash;
    struct item *item;   /* the key's current item (any type), or NULL */
};

/* Looks up the destination and makes room for it in the index; false: -OOM. */
static bool destination_prepare(struct client *client, struct destination *destination) {
    ASSERT(client->argv.count >= 3);
    ASSERT(destination != NULL);
    destination->key = client_arg(client, 1);
    destination->hash = index_hash(destination->key);
    destination->item = command_find_write(client, destination->key, destination->hash);
    return destination->item != NULL || db_prepare_insert(client->db, destination->hash);
}

/*
 * Replaces the destination (whatever its type, dropping any TTL) by a finished
 * result, or deletes it when the result is empty; replies the result's length.
 */
static void destination_store(struct client *client, const struct destination *destination,
                              struct set *result) {
    ASSERT(result != NULL);
    uint64_t length = set_length(result);
    if (length == 0) {
        set_destroy(&server.heap, result);
        if (destination->item != NULL) {
            db_delete(&server.keyspace, client->db, destination->item, destination->hash);
        }
        reply_count(client, 0);
        return;
    }
    struct item *item = item_create_object(&server.heap, ITEM_SET, destination->key, result, 0);
    if (item == NULL) {
        set_destroy(&server.heap, result);
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    db_store(&server.keyspace, client->db, item, destination->hash, destination->item);
    reply_count(client, length);
}

/* ==== SINTER, SINTERCARD, SINTERSTORE ==== */

void cmd_sinter(struct client *client) {
    ASSERT(client->argv.count >= 2);
    struct set_group group;
    if (!group_load(client, &group, 1, client->argv.count - 1)) {
        return;
    }
    ASSERT(group.count == client->argv.count - 1);
    if (group.any_missing) {
        reply_set(&client->reply, 0);
        group_release(&group);
        return;
    }
    group_sort(&group);
    struct count_context counter = { 0 };
    intersect_visit(&group, &counter, count_visit);
    ASSERT(counter.count <= set_length(group.sets[0]));
    reply_set(&client->reply, counter.count);
    intersect_visit(&group, client, reply_member_visit);
    group_release(&group);
}

/* Parses SINTERCARD's numkeys and LIMIT; false after replying an error. */
static bool sintercard_parse(struct client *client, uint32_t *key_count, uint64_t *limit) {
    ASSERT(key_count != NULL);
    ASSERT(limit != NULL);
    int64_t numkeys = 0;
    if (!argument_int64(client_arg(client, 1), &numkeys) || numkeys < 1) {
        reply_error(&client->reply, ERROR_NUMKEYS);
        return false;
    }
    if (numkeys > (int64_t)client->argv.count - 2) {
        reply_error(&client->reply, ERROR_NUMKEYS_ARGS);
        return false;
    }
    *key_count = (uint32_t)numkeys;
    *limit = 0;
    for (uint32_t index = 2 + *key_count; index < client->argv.count; index++) {
        bool more = index + 1 < client->argv.count;
        if (!more || !slice_equal_nocase(client_arg(client, index), "limit")) {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
        index++;
        int64_t value = 0;
        if (!argument_int64(client_arg(client, index), &value) || value < 0) {
            reply_error(&client->reply, ERROR_LIMIT_NEGATIVE);
            return false;
        }
        *limit = (uint64_t)value;
    }
    return true;
}

void cmd_sintercard(struct client *client) {
    ASSERT(client->argv.count >= 3);
    uint32_t key_count = 0;
    uint64_t limit = 0;
    if (!sintercard_parse(client, &key_count, &limit)) {
        return;
    }
    struct set_group group;
    if (!group_load(client, &group, 2, key_count)) {
        return;
    }
    ASSERT(key_count >= 1);
    struct count_context counter = { .count = 0, .limit = limit };
    if (!group.any_missing) {
        group_sort(&group);
        intersect_visit(&group, &counter, count_visit);
    }
    group_release(&group);
    reply_count(client, counter.count);
}

void cmd_sinterstore(struct client *client) {
    ASSERT(client->argv.count >= 3);
    struct set_group group;
    if (!group_load(client, &group, 2, client->argv.count - 2)) {
        return;
    }
    struct destination destination;
    struct build_context build = { 0 };
    if (!destination_prepare(client, &destination) || !build_begin(&build)) {
        group_release(&group);
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    if (!group.any_missing) {
        group_sort(&group);
        intersect_visit(&group, &build, build_visit);
    }
    group_release(&group);
    ASSERT(build.result != NULL);
    if (build.failed) {
        build_abandon(&build);
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    destination_store(client, &destination, build.result);
}

/* ==== SUNION, SDIFF and their STORE variants ==== */

static struct set *build_union(const struct set_group *group) {
    ASSERT(group->count > 0);
    struct build_context build;
    if (!build_begin(&build)) {
        return NULL;
    }
    for (uint32_t index = 0; index < group->count; index++) {
        if (group->sets[index] != NULL && !build_add_all(&build, group->sets[index])) {
            return build_abandon(&build);
        }
    }
    return build.result;
}

struct difference_context {
    const struct set_group *group;
    struct build_context *build;
};

/* Difference, first algorithm: keeps a member of the first set found in no other. */
static bool difference_visit(void *context, struct slice member) {
    struct difference_context *difference = context;
    const struct set_group *group = difference->group;
    ASSERT(group->sets[0] != NULL);
    for (uint32_t index = 1; index < group->count; index++) {
        if (group->sets[index] != NULL && set_contains(group->sets[index], member)) {
            return true;
        }
    }
    return build_visit(difference->build, member);
}

/*
 * Redis's choice: probing costs (first set's size) x (sets) / 2, copying then
 * removing costs the sum of the sizes; take the cheaper.
 */
static bool difference_probes(const struct set_group *group) {
    ASSERT(group->count > 0);
    ASSERT(group->sets[0] != NULL);
    uint64_t probe_work = 0;
    uint64_t remove_work = 0;
    for (uint32_t index = 0; index < group->count; index++) {
        if (group->sets[index] != NULL) {
            probe_work += set_length(group->sets[0]);
            remove_work += set_length(group->sets[index]);
        }
    }
    return probe_work / 2 <= remove_work;
}

static struct set *build_difference(const struct set_group *group) {
    ASSERT(group->count > 0);
    struct build_context build;
    if (!build_begin(&build)) {
        return NULL;
    }
    const struct set *first = group->sets[0];
    for (uint32_t index = 1; first != NULL && index < group->count; index++) {
        if (group->sets[index] == first) {
            return build.result; /* a set minus itself: empty */
        }
    }
    if (first == NULL) {
        return build.result;
    }
    if (difference_probes(group)) {
        struct difference_context difference = { .group = group, .build = &build };
        set_visit(first, &difference, difference_visit);
        return build.failed ? build_abandon(&build) : build.result;
    }
    if (!build_add_all(&build, first)) {
        return build_abandon(&build);
    }
    struct set_iterator iterator;
    struct slice member;
    for (uint32_t index = 1; index < group->count && set_length(build.result) > 0; index++) {
        if (group->sets[index] == NULL) {
            continue;
        }
        set_iterator_init(&iterator, group->sets[index]);
        while (set_iterator_next(&iterator, &member)) { /* bounded by the set's length */
            (void)set_remove(&server.heap, build.result, member);
        }
    }
    return build.result;
}

/* SUNION, SDIFF (store false) and SUNIONSTORE, SDIFFSTORE (store true). */
static void union_difference_command(struct client *client, bool difference, bool store) {
    uint32_t first = store ? 2 : 1;
    ASSERT(client->argv.count > first);
    struct set_group group;
    if (!group_load(client, &group, first, client->argv.count - first)) {
        return;
    }
    struct destination destination;
    if (store && !destination_prepare(client, &destination)) {
        group_release(&group);
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    struct set *result = difference ? build_difference(&group) : build_union(&group);
    group_release(&group);
    if (result == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    if (store) {
        destination_store(client, &destination, result);
        return;
    }
    if (set_length(result) == 0) {
        reply_set(&client->reply, 0);
    } else {
        reply_members(client, result);
    }
    set_destroy(&server.heap, result);
}

void cmd_sunion(struct client *client) {
    ASSERT(client->argv.count >= 2);
    union_difference_command(client, false, false);
}

void cmd_sunionstore(struct client *client) {
    ASSERT(client->argv.count >= 3);
    union_difference_command(client, false, true);
}

void cmd_sdiff(struct client *client) {
    ASSERT(client->argv.count >= 2);
    union_difference_command(client, true, false);
}

void cmd_sdiffstore(struct client *client) {
    ASSERT(client->argv.count >= 3);
    union_difference_command(client, true, true);
}

/* ==== SSCAN ==== */

struct scan_context {
    struct client *client;
    struct slice pattern;
    bool use_pattern;
    bool emit;             /* false: count matches; true: reply them */
    uint64_t matched;
};

static bool scan_visit(void *context, struct slice member) {
    struct scan_context *scan = context;
    ASSERT(scan->client != NULL);
    if (scan->use_pattern && !glob_match(scan->pattern, member, false)) {
        return true;
    }
    scan->matched++;
    if (scan->emit) {
        reply_bulk_slice(&scan->client->reply, member);
    }
    return true;
}

/* Parses COUNT and MATCH (argv[3..]); false after replying an error. */
static bool sscan_options(struct client *client, uint64_t *count, struct scan_context *scan) {
    ASSERT(client->argv.count >= 3);
    ASSERT(scan->client == client);
    *count = SSCAN_COUNT_DEFAULT;
    scan->use_pattern = false;
    for (uint32_t index = 3; index < client->argv.count; index += 2) {
        struct slice option = client_arg(client, index);
        bool has_value = index + 1 < client->argv.count;
        if (has_value && slice_equal_nocase(option, "count")) {
            int64_t value = 0;
            if (!argument_int64_or_reply(client, client_arg(client, index + 1), &value)) {
                return false;
            }
            if (value < 1) {
                reply_error(&client->reply, ERROR_SYNTAX);
                return false;
            }
            *count = (uint64_t)value;
        } else if (has_value && slice_equal_nocase(option, "match")) {
            scan->pattern = client_arg(client, index + 1);
            scan->use_pattern = !(scan->pattern.size == 1 && scan->pattern.ptr[0] == '*');
        } else {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
    }
    return true;
}

void cmd_sscan(struct client *client) {
    ASSERT(client->argv.count >= 3);
    uint64_t cursor = 0;
    if (!argument_cursor(client_arg(client, 2), &cursor)) {
        reply_error(&client->reply, ERROR_INVALID_CURSOR);
        return;
    }
    bool wrong = false;
    const struct set *set = find_for_read(client, client_arg(client, 1), &wrong);
    if (wrong) {
        return;
    }
    if (set == NULL) {
        reply_raw(&client->reply, "*2\r\n$1\r\n0\r\n*0\r\n", 15);
        return;
    }
    uint64_t count = 0;
    struct scan_context scan = { .client = client };
    if (!sscan_options(client, &count, &scan)) {
        return;
    }
    uint64_t budget = count > UINT64_MAX / SSCAN_BUCKETS_PER_MEMBER
                          ? UINT64_MAX - 1
                          : count * SSCAN_BUCKETS_PER_MEMBER;
    /* Two identical walks: the first counts what the second replies. */
    uint64_t next = set_scan(set, cursor, count, budget, &scan, scan_visit);
    uint64_t matched = scan.matched;
    char text[CURSOR_TEXT_SIZE];
    int size = snprintf(text, sizeof(text), "%" PRIu64, next);
    ASSERT(size > 0 && (uint32_t)size < sizeof(text));
    reply_array(&client->reply, 2);
    reply_bulk(&client->reply, text, (uint64_t)size);
    reply_array(&client->reply, matched);
    scan.emit = true;
    scan.matched = 0;
    uint64_t again = set_scan(set, cursor, count, budget, &scan, scan_visit);
    ASSERT(again == next);
    ASSERT(scan.matched == matched);
}
