/*
 * hash.h: the hash value type, made only of heap objects. A small hash is one
 * packed object (reported as "listpack"); past hash-max-listpack-entries or
 * hash-max-listpack-value it converts to a hash table ("hashtable").
 *
 *   struct hash (24 B, never moves, the item points at it)
 *     listpack:  data -> | varint fsize | field | varint vsize | value | ... |
 *                        pairs in insertion order, listpack_size bytes used
 *     hashtable: data -> [bucket 0][bucket 1] ... [bucket 2^bucket_log2 - 1]
 *                            |
 *                            v
 *                        [next | fsize | vsize | field | value] -> [entry] -> NULL
 *
 * Conversion follows Redis 7: a set whose field or value is longer than
 * hash-max-listpack-value, or that makes the hash hold more than
 * hash-max-listpack-entries fields, turns the listpack into a table. A table
 * never turns back into a listpack (as in Redis).
 *
 * The table keeps at most one entry per bucket on average: an insert that
 * would pass that doubles the bucket array in one step (every entry is
 * rehashed: O(n), amortised O(1) per insert), and a delete that leaves it
 * under 10% full halves it down to fit (Redis's dict rules, without the
 * incremental rehash). A resize that finds no room is skipped: the insert or
 * delete still completes, with longer chains until a later resize succeeds.
 *
 * Every mutating function either completes or returns false / HASH_SET_NO_ROOM
 * (no room) with the hash unchanged. Slices returned point into the hash and
 * stay valid until its next mutation; slices passed in must not point into it.
 */
#pragma once

#include "base.h"
#include "heap.h"

/* Redis's LISTPACK_MAX_SAFETY_SIZE: a listpack that would grow past it converts. */
#define HASH_LISTPACK_SIZE_MAX ((uint32_t)1 << 30)
/* Redis's DICT_HT_INITIAL_SIZE and HASHTABLE_MIN_FILL. */
#define HASH_TABLE_BUCKETS_MIN ((uint64_t)4)
#define HASH_TABLE_FILL_MIN_PERCENT ((uint64_t)10)

struct hash;

/* The conversion thresholds (hash-max-listpack-entries, hash-max-listpack-value). */
struct hash_limits {
    uint32_t listpack_entries_max;
    uint32_t listpack_value_size_max;
};

/* A new empty hash (listpack); NULL when the heap has no room. */
struct hash *hash_create(struct heap *heap);

void hash_destroy(struct heap *heap, struct hash *hash);
uint64_t hash_memory_size(const struct heap *heap, const struct hash *hash);
uint64_t hash_length(const struct hash *hash);
const char *hash_encoding_name(const struct hash *hash);

/* A deep copy (COPY), or NULL when the heap has no room. */
struct hash *hash_copy(struct heap *heap, const struct hash *hash);

/* The value of a field; false when absent. */
bool hash_get(const struct hash *hash, struct slice field, struct slice *value);

enum hash_set_result {
    HASH_SET_NO_ROOM = 0,   /* the heap had no room: the hash is unchanged */
    HASH_SET_INSERTED = 1,  /* a new field */
    HASH_SET_UPDATED = 2,   /* an existing field got the new value */
};

/* Sets one field (converting the encoding when the limits say so). */
enum hash_set_result hash_set(struct heap *heap, struct hash *hash, struct hash_limits limits,
                              struct slice field, struct slice value);

/*
 * Sets pair_count pairs given as pairs[2i] (field) and pairs[2i + 1] (value),
 * in order, as HSET: a field repeated later wins. All or nothing: false (no
 * room) leaves the hash unchanged. *inserted_count gets the number of new fields.
 */
bool hash_set_pairs(struct heap *heap, struct hash *hash, struct hash_limits limits,
                    const struct slice *pairs, uint64_t pair_count, uint64_t *inserted_count);

/* Removes a field; false when it was absent. Never fails. */
bool hash_delete(struct heap *heap, struct hash *hash, struct slice field);

/* Visits every field and value; stops early when visit returns false. */
typedef bool (*hash_visit_callback)(void *context, struct slice field, struct slice value);
void hash_visit(const struct hash *hash, void *context, hash_visit_callback visit);

/* Iteration in storage order (insertion order for a listpack). No mutation meanwhile. */
struct hash_iterator {
    const struct hash *hash;
    const void *entry;        /* table: next entry of the current chain, or NULL */
    uint64_t bucket_index;    /* table: next bucket to open */
    uint64_t remaining;       /* pairs not yet returned */
    uint32_t offset;          /* listpack: byte offset of the next pair */
};
void hash_iterator_init(struct hash_iterator *iterator, const struct hash *hash);
bool hash_iterator_next(struct hash_iterator *iterator, struct slice *field, struct slice *value);

/*
 * One step of HSCAN. A listpack visits every pair and returns 0. A table
 * visits the chain of the bucket the cursor addresses and returns the next
 * cursor (0 when the walk is over). Cursors advance in reverse binary order
 * (Redis's dictScan): a field present for the whole walk is visited at least
 * once even if the table doubles or halves between steps. visit's result is
 * ignored: a step always visits its whole bucket.
 */
uint64_t hash_scan(const struct hash *hash, uint64_t cursor, void *context,
                   hash_visit_callback visit);

/*
 * HRANDFIELD's sampling (hash not empty, count > 0). unique: min(count, length)
 * distinct pairs (every pair when count >= length); otherwise count pairs drawn
 * with repetition, in random order. visit returning false stops the walk.
 * False, before anything is visited, when the heap has no room for the scratch
 * the sampling needs: an offsets array for a listpack of more than 2048 pairs
 * drawn with repetition, or a set of chosen entries when more than 512 distinct
 * pairs are drawn from a large table (smaller scratch is on the stack, so a
 * single draw never fails).
 */
bool hash_random_pairs(struct heap *heap, const struct hash *hash, uint64_t count, bool unique,
                       uint64_t *random_state, void *context, hash_visit_callback visit);

/* The PRNG the sampling uses (splitmix64): the next value of *state. */
uint64_t hash_random_next(uint64_t *state);

/* O(n) consistency check for tests: sizes, counts, buckets. */
void hash_verify(const struct heap *heap, const struct hash *hash);
