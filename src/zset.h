/*
 * zset.h: the sorted set value type, made only of heap objects. A small sorted
 * set is one packed object ordered by (score, member) ("listpack"); past
 * zset-max-listpack-entries or zset-max-listpack-value it converts to a
 * skiplist plus a hash table from member to node ("skiplist").
 *
 * Every mutating function either completes or returns false (no room) with
 * the sorted set unchanged.
 *
 * Ranks are zero-based and count from the lowest (score, member). Slices
 * handed out (members) stay valid until the sorted set is next mutated.
 * Scores are never NaN; callers validate input before calling.
 */
#pragma once

#include "base.h"
#include "heap.h"

#define ZSET_LEVEL_MAX 32u                          /* skiplist levels, as Redis */
#define ZSET_PACK_SIZE_MAX ((uint64_t)1 << 30)      /* a larger packed set converts */
#define ZSET_TABLE_SIZE_MIN 4u                      /* smallest hash table (buckets) */

struct zset;

enum zset_encoding {
    ZSET_ENCODING_LISTPACK = 0,
    ZSET_ENCODING_SKIPLIST = 1,
};

/* The conversion thresholds (zset-max-listpack-entries and -value). */
struct zset_limits {
    uint64_t entries_max;
    uint64_t value_size_max;
};

void zset_destroy(struct heap *heap, struct zset *zset);
uint64_t zset_memory_size(const struct heap *heap, const struct zset *zset);
uint64_t zset_length(const struct zset *zset);
const char *zset_encoding_name(const struct zset *zset);
enum zset_encoding zset_encoding(const struct zset *zset);

/* A new empty sorted set, or NULL when the heap has no room. */
struct zset *zset_create(struct heap *heap, enum zset_encoding encoding);

/* A deep copy (COPY), or NULL when the heap has no room. */
struct zset *zset_copy(struct heap *heap, const struct zset *zset);

/* Exchanges the contents of two sorted sets (a command's private copy takes over). */
void zset_swap(struct zset *a, struct zset *b);

/* Visits members in score order (reverse: highest first); stops when visit returns false. */
typedef bool (*zset_visit_callback)(void *context, struct slice member, double score);
void zset_visit(const struct zset *zset, bool reverse, void *context, zset_visit_callback visit);

/* ==== Lookups ==== */

bool zset_score(const struct zset *zset, struct slice member, double *score);
bool zset_rank(const struct zset *zset, struct slice member, uint64_t *rank);

/* ==== Changes ==== */

enum zset_add_flag {
    ZSET_ADD_NX = 1u << 0,   /* only add new members */
    ZSET_ADD_XX = 1u << 1,   /* only update existing members */
    ZSET_ADD_GT = 1u << 2,   /* only update when the new score is greater */
    ZSET_ADD_LT = 1u << 3,   /* only update when the new score is less */
    ZSET_ADD_INCR = 1u << 4, /* add the score to the current one */
};

enum zset_add_status {
    ZSET_ADD_ADDED = 0,   /* a new member */
    ZSET_ADD_UPDATED,     /* the score changed */
    ZSET_ADD_UNCHANGED,   /* the member exists with that very score */
    ZSET_ADD_SKIPPED,     /* NX, XX, GT or LT said no (Redis's NOP) */
    ZSET_ADD_NAN,         /* INCR made NaN: nothing changed */
    ZSET_ADD_NO_ROOM,     /* the heap is full: nothing changed */
};

/*
 * Adds or updates one member as Redis's zsetAdd, converting a packed set that
 * would pass `limits`. *new_score is the resulting score (ADDED, UPDATED,
 * UNCHANGED); *old_score the previous one (UPDATED, UNCHANGED). Updating an
 * existing member never allocates, so it never returns NO_ROOM.
 */
enum zset_add_status zset_add(struct heap *heap, struct zset *zset,
                              const struct zset_limits *limits, struct slice member,
                              double score, uint32_t flags, double *new_score,
                              double *old_score);

/* Removes a member; false when absent. Never fails. */
bool zset_remove(struct heap *heap, struct zset *zset, struct slice member);

/* Removes `count` members from rank `start` on (start + count <= length). Never fails. */
void zset_delete_ranks(struct heap *heap, struct zset *zset, uint64_t start, uint64_t count);

/* ==== Ranges (ZRANGEBYSCORE, ZRANGEBYLEX and friends) ==== */

enum zset_infinity {
    ZSET_FINITE = 0,
    ZSET_LEX_MINUS = 1, /* "-": below every member */
    ZSET_LEX_PLUS = 2,  /* "+": above every member */
};

struct zset_bound {
    double score;          /* score ranges */
    struct slice member;   /* lex ranges (not owned) */
    bool exclusive;
    uint8_t infinity;      /* enum zset_infinity, lex ranges only */
};

struct zset_range {
    bool lex;
    struct zset_bound min;
    struct zset_bound max;
};

/*
 * Parses one bound as Redis's zslParseRange ("(" for exclusive, strtod up to the
 * first NUL byte, NaN refused) and zslParseLexRange ("(" or "[" then the member,
 * or exactly "-" / "+"). False when the text is not a valid bound.
 */
bool zset_parse_score_bound(struct slice text, struct zset_bound *bound);
bool zset_parse_lex_bound(struct slice text, struct zset_bound *bound);

/* True when an element is at or above the range's minimum / at or below its maximum. */
bool zset_range_above_min(const struct zset_range *range, struct slice member, double score);
bool zset_range_below_max(const struct zset_range *range, struct slice member, double score);

/*
 * The rank of the first element at or above min, if it is also at or below max
 * (Redis's zslFirstInRange); zset_range_last mirrors it from the top.
 */
bool zset_range_first(const struct zset *zset, const struct zset_range *range, uint64_t *rank);
bool zset_range_last(const struct zset *zset, const struct zset_range *range, uint64_t *rank);

/* Elements in the range, as ZCOUNT and ZLEXCOUNT count them. */
uint64_t zset_range_count(const struct zset *zset, const struct zset_range *range);

/* ==== Iteration by rank ==== */

struct zset_iterator {
    const struct zset *zset;
    const void *node;      /* skiplist: the next node */
    uint32_t offset;       /* listpack: byte offset of the next entry */
    uint64_t remaining;    /* elements left in the walk's direction */
    bool reverse;
};

/* Starts at the element of `rank` (< length) and walks up (or down when reverse). */
void zset_iterator_init(struct zset_iterator *iterator, const struct zset *zset, uint64_t rank,
                        bool reverse);
bool zset_iterator_next(struct zset_iterator *iterator, struct slice *member, double *score);

/* ==== Building results (ZUNION, ZINTER, ZDIFF) ==== */

enum zset_aggregate {
    ZSET_AGGREGATE_SUM = 0,
    ZSET_AGGREGATE_MIN,
    ZSET_AGGREGATE_MAX,
};

/* Redis's zunionInterAggregate: SUM of +inf and -inf is 0. */
double zset_aggregate(double target, double value, enum zset_aggregate aggregate);

/*
 * An accumulator: a skiplist-encoded sorted set whose nodes are only in the
 * hash table until zset_accumulator_finish links them in order, so a union
 * costs O(1) per input element. While accumulating only zset_accumulate,
 * zset_score, zset_remove, zset_length and zset_destroy may be used.
 */
struct zset *zset_create_accumulator(struct heap *heap, uint64_t size_hint);
/* Adds a member or aggregates its score into the existing one; false when no room. */
bool zset_accumulate(struct heap *heap, struct zset *zset, struct slice member, double score,
                     enum zset_aggregate aggregate);
void zset_accumulator_finish(struct zset *zset);

/*
 * Converts a skiplist-encoded set to a packed one when it fits `limits` (what
 * Redis does for Z*STORE results). False when the heap has no room (unchanged).
 */
bool zset_fit(struct heap *heap, struct zset *zset, const struct zset_limits *limits);

/* ==== ZSCAN and ZRANDMEMBER ==== */

/*
 * One step of Redis's reverse-binary cursor scan: visits the members of one
 * bucket (and its expansions while the table is being resized) and returns the
 * next cursor, 0 when done. A packed set is visited whole and returns 0.
 */
uint64_t zset_scan(const struct zset *zset, uint64_t cursor, void *context,
                   zset_visit_callback visit);

/* A 64-bit pseudo-random number (skiplist levels, ZRANDMEMBER). */
uint64_t zset_random(void);

/*
 * Visits `count` random elements: with repetition, or distinct (count < length).
 * May use heap scratch memory; false (nothing visited) when there is no room.
 */
bool zset_sample(struct heap *heap, const struct zset *zset, uint64_t count, bool distinct,
                 void *context, zset_visit_callback visit);

/* Formats a score as Redis 7.0 stores it in a listpack (ZSCAN of a small set). */
uint32_t zset_format_packed_score(char *buffer, double score);

/* ==== Tests ==== */

/* O(n) consistency check: order, spans, backward links, hash table, sizes. */
void zset_verify(const struct heap *heap, const struct zset *zset);

/*
 * Failure injection for tests: the next `count` allocations by this module
 * succeed and later ones fail as on a full heap; UINT64_MAX turns it off.
 */
void zset_fail_after(uint64_t count);
