/*
 * set.h: the set value type, made only of heap objects. Small all-integer sets
 * are a sorted integer array ("intset"), other small sets one packed object
 * ("listpack"), large ones a hash table ("hashtable"); thresholds come from
 * set-max-intset-entries, set-max-listpack-entries and set-max-listpack-value.
 *
 * Conversions follow Redis 7.2 and only go one way: intset -> listpack (a
 * member that is not an integer arrives while the listpack limits hold),
 * intset -> hashtable (too many members, or a non-integer the listpack limits
 * refuse), listpack -> hashtable (too many members or one too long). A set
 * never converts back.
 *
 * Every mutating function either completes or returns false (no room) with
 * the set unchanged. Slices returned point into the set (or into a caller's
 * digits buffer for integers) and stay valid until its next mutation.
 */
#pragma once

#include "base.h"
#include "heap.h"

/* Bytes for an int64 formatted in decimal (format_int64 needs at least 21). */
#define SET_DIGITS_SIZE 24u
/* Redis caps set-max-intset-entries at this (intsetMaxEntries). */
#define SET_INTSET_ENTRIES_CAP ((uint64_t)1 << 30)
/* A listpack never grows past this many bytes (Redis's LISTPACK_MAX_SAFETY_SIZE). */
#define SET_LISTPACK_SIZE_MAX ((uint64_t)1 << 30)
/* Hash table sizes: a power of two between these (32-bit hashes are kept per member). */
#define SET_BUCKET_COUNT_MIN ((uint64_t)4)
#define SET_BUCKET_COUNT_MAX ((uint64_t)1 << 32)

struct set;
struct set_entry;

enum set_encoding {
    SET_ENCODING_INTSET = 1,
    SET_ENCODING_LISTPACK = 2,
    SET_ENCODING_HASHTABLE = 3,
};

/* The encoding thresholds (from the live configuration). */
struct set_limits {
    uint64_t intset_entries_max;    /* set-max-intset-entries */
    uint64_t listpack_entries_max;  /* set-max-listpack-entries */
    uint64_t listpack_value_max;    /* set-max-listpack-value */
};

enum set_add_result {
    SET_ADD_NO_ROOM = 0, /* the heap is full: the set is unchanged */
    SET_ADD_EXISTS = 1,
    SET_ADD_ADDED = 2,
};

void set_destroy(struct heap *heap, struct set *set);
uint64_t set_memory_size(const struct heap *heap, const struct set *set);
uint64_t set_length(const struct set *set);
const char *set_encoding_name(const struct set *set);
enum set_encoding set_encoding_of(const struct set *set);

/* A deep copy (COPY), or NULL when the heap has no room. */
struct set *set_copy(struct heap *heap, const struct set *set);
/* Exchanges two sets' contents (a changed copy takes over in place). */
void set_swap(struct set *a, struct set *b);

/* Visits every member (integers formatted as decimal); stops when visit returns false. */
typedef bool (*set_visit_callback)(void *context, struct slice member);
void set_visit(const struct set *set, void *context, set_visit_callback visit);

/* ==== Creation and membership ==== */

/*
 * The encoding Redis 7.2 gives a new set whose first member is `first` and that
 * is about to receive size_hint members (setTypeCreate): intset if `first` is an
 * integer and the hint fits set-max-intset-entries, else listpack if the hint
 * fits set-max-listpack-entries, else hashtable.
 */
enum set_encoding set_initial_encoding(const struct set_limits *limits, struct slice first,
                                       uint64_t size_hint);

/* A new empty set; a hash table gets buckets for size_hint members. NULL: no room. */
struct set *set_create(struct heap *heap, enum set_encoding encoding, uint64_t size_hint);

/*
 * Before adding size_hint members to an existing set (setTypeMaybeConvert): an
 * intset or listpack whose limit the hint exceeds becomes a presized hash table.
 * False (set unchanged) when the heap has no room.
 */
bool set_reserve(struct heap *heap, struct set *set, const struct set_limits *limits,
                 uint64_t size_hint);

/* Adds a member, converting the encoding when the limits require it. */
enum set_add_result set_add(struct heap *heap, struct set *set, const struct set_limits *limits,
                            struct slice member);

/* Removes a member; false when it was absent. Never fails (shrinking is optional). */
bool set_remove(struct heap *heap, struct set *set, struct slice member);

bool set_contains(const struct set *set, struct slice member);

/* ==== Handles: random members, SPOP, SRANDMEMBER ==== */

/*
 * A handle names one member until the next mutation: an intset index, a
 * listpack offset or a hash table entry. Distinct members have distinct handles.
 */

/* A random member's handle (uniform for intset and listpack; for a hash table a
 * random non-empty bucket, then a random member of its chain, as Redis). */
uint64_t set_random_handle(const struct set *set);

/* The member a handle names; integers are formatted into digits (SET_DIGITS_SIZE). */
struct slice set_member_at(const struct set *set, uint64_t handle, char *digits);

/* Removes the member a handle names. Never fails. */
void set_remove_handle(struct heap *heap, struct set *set, uint64_t handle);

/* A random number below limit (limit > 0), from the module's generator. */
uint64_t set_random_below(uint64_t limit);

/* Seeds the generator (tests; otherwise it seeds itself from getrandom on first use). */
void set_seed(uint64_t seed);

/* ==== Iteration and SSCAN ==== */

struct set_iterator {
    const struct set *set;
    uint64_t position;              /* intset index, listpack offset or bucket index */
    const struct set_entry *entry;  /* hash table: the next entry of the current chain */
    uint64_t remaining;             /* members not yet returned (bounds the walk) */
    char digits[SET_DIGITS_SIZE];
};

void set_iterator_init(struct set_iterator *iterator, const struct set *set);
/* Writes the next member into *member; false when the walk is over. */
bool set_iterator_next(struct set_iterator *iterator, struct slice *member);

/*
 * One SSCAN step. An intset or listpack is visited whole and 0 is returned. A
 * hash table is visited bucket by bucket from `cursor` in reverse-binary order
 * (Redis's dictScan), until member_min members were visited or bucket_budget
 * buckets were; the next cursor is returned (0 when the scan is complete).
 * Every member present from the first call to the last is visited at least
 * once even if the table grows or shrinks in between (see set.c). The walk is
 * deterministic, so calling it twice with the same arguments and no mutation
 * in between visits the same members in the same order.
 */
uint64_t set_scan(const struct set *set, uint64_t cursor, uint64_t member_min,
                  uint64_t bucket_budget, void *context, set_visit_callback visit);

/* ==== Tests ==== */

/* O(n) consistency check: order, uniqueness, counts, encoding limits, chains. */
void set_verify(const struct heap *heap, const struct set *set);

/*
 * Failure injection for unit tests: the next `allocation_count` heap allocations
 * made by this module succeed and later ones fail as if the heap were full.
 * UINT64_MAX (the default) turns it off.
 */
void set_fail_after(uint64_t allocation_count);
