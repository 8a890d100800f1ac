/*
 * db.h: the keyspaces (SELECT 0..databases-1) and the item life cycle:
 * lookup with lazy expiry, store, delete, and the bounded active-expiry step.
 *
 * Every item, value and index segment lives in one heap. A function that
 * needs memory either completes or returns false with nothing changed, so a
 * command can answer -OOM without a half-written dataset.
 */
#pragma once

#include "base.h"
#include "heap.h"
#include "index.h"
#include "item.h"

#define DB_COUNT_MAX 1024u
#define DB_EXPIRE_SLOTS_PER_STEP 4096u   /* index slots visited per active-expiry step */
#define DB_EXPIRE_ITEMS_MAX 256u         /* items examined per step */
#define DB_COMPACT_MOVES_PER_TURN 256u     /* items moved per event-loop turn, at most */
#define DB_COMPACT_MOVES_PER_COMMAND 1024u /* before a denyoom command when pages are scarce */
#define ITEM_EMBSTR_SIZE_MAX 44u  /* Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT */
#define ITEM_EMBEDDED_SIZE_MAX ((uint32_t)(16 * 1024)) /* larger strings are external */

struct db {
    struct index index;
    uint64_t expires_count;
    uint64_t expire_ttl_sum_ms;           /* not maintained: avg_ttl is sampled */
    struct index_cursor expire_cursor;
    struct index_cursor evict_cursor;     /* volatile-* eviction walks (see evict.c) */
    uint32_t id;
};

struct keyspace {
    struct heap *heap;
    struct db *dbs;
    uint32_t db_count;
    int64_t now_ms;                       /* cached clock for the command being run */
    uint32_t lru_clock;
    uint64_t expired_keys;
    uint64_t keyspace_hits;
    uint64_t keyspace_misses;
    uint32_t expire_db_index;             /* database the active-expiry step resumes in */
    /* Access tracking: LRU keeps the seconds clock in item->lru_clock; under an
     * LFU policy it holds Redis's layout instead: minutes (16 bits) << 8 | a
     * logarithmic access counter (8 bits). */
    bool lfu;
    uint32_t lfu_log_factor;              /* lfu-log-factor 10 */
    uint32_t lfu_decay_time;              /* lfu-decay-time 1 (minutes per halving step) */
    uint64_t random_state;                /* xorshift state for LFU and eviction sampling */
    uint64_t evicted_keys;
};

#define LFU_INIT_VAL 5u

/* A pseudo-random 64-bit value (xorshift64*), for sampling. */
uint64_t keyspace_random(struct keyspace *keyspace);

/* The LFU counter of an item after Redis's time decay (OBJECT FREQ). */
uint32_t item_lfu_counter(const struct keyspace *keyspace, const struct item *item);

/* Sets a new item's access field (LRU clock, or LFU minutes and the initial counter). */
void item_touch_new(struct keyspace *keyspace, struct item *item);

/* Initialises `db_count` databases whose structs come from the arena. */
bool keyspace_init(struct keyspace *keyspace, struct heap *heap, struct db *dbs,
                   uint32_t db_count);

/* Finds a live key (expired keys are deleted on the way), or NULL. */
struct item *db_find(struct keyspace *keyspace, struct db *db, struct slice key, uint64_t hash);

/* As db_find, but leaves the item's LRU clock alone (OBJECT, SCAN TYPE). */
struct item *db_peek(struct keyspace *keyspace, struct db *db, struct slice key, uint64_t hash);

/* True when the item's expiry has passed (it is still in the index until deleted). */
bool db_expired(const struct keyspace *keyspace, const struct item *item);

/* Deletes an item found in db (frees it and its value). */
void db_delete(struct keyspace *keyspace, struct db *db, struct item *item, uint64_t hash);

/* Removes every key of one database. */
void db_flush(struct keyspace *keyspace, struct db *db);

/*
 * Makes room for a new key: call before allocating an item for a key that is
 * absent. False when the index cannot grow (answer -OOM).
 */
bool db_prepare_insert(struct db *db, uint64_t hash);

/* Stores `item` for its key: inserts (after db_prepare_insert) or replaces `old_item`.
 * A value shared by both (item_with_expire) moves to `item`; anything else of the old
 * item is freed. */
void db_store(struct keyspace *keyspace, struct db *db, struct item *item, uint64_t hash,
              struct item *old_item);

/*
 * RENAME: the value and expiry of `item` (found in db under hash) move to a new
 * item for `key`, stored under target_hash in place of target_item (found in db
 * under that key, or NULL); `item` leaves the index. False with nothing changed
 * when the heap has no room (the new key's index slot is made first).
 */
bool db_rename(struct keyspace *keyspace, struct db *db, struct item *item, uint64_t hash,
               struct slice key, uint64_t target_hash, struct item *target_item);

/*
 * MOVE: relinks `item` (found in source under hash) into target, where its key
 * must be absent; the item, its value and its expiry are unchanged. False with
 * nothing changed when target's index cannot grow.
 */
bool db_move(struct keyspace *keyspace, struct db *source, struct db *target,
             struct item *item, uint64_t hash);

/* SWAPDB: exchanges the contents of two databases; each keeps its id (and its clients). */
void db_swap(struct db *first, struct db *second);

/*
 * RANDOMKEY: a random live key of db, or NULL when it has none. Expired keys it
 * meets are deleted (and counted) on the way, as Redis's dbRandomKey does;
 * `random` seeds the choices.
 */
struct item *db_random(struct keyspace *keyspace, struct db *db, uint64_t random);

/* Runs one bounded active-expiry step over the databases. Returns keys expired. */
uint32_t db_expire_step(struct keyspace *keyspace);

/*
 * Compaction: while heap_compaction_wanted, moves up to moves_max items out of
 * the slab being evacuated (starting one when none is). Call between commands
 * only: a command may hold item pointers. Returns items moved.
 */
uint32_t db_compact_step(struct keyspace *keyspace, uint32_t moves_max);

/* ==== Items ==== */

/* A string item; expire_at_ms 0 means none. `external` (may be NULL) is a heap
 * object of at least value.size bytes holding the value, adopted by the item. */
struct item *item_create_string(struct heap *heap, struct slice key, struct slice value,
                                int64_t expire_at_ms, uint8_t *external);

/* An item whose payload is a pointer to a collection object. */
struct item *item_create_object(struct heap *heap, uint8_t type, struct slice key,
                                void *object, int64_t expire_at_ms);

/* A copy of `item` with another expiry (0 removes it); the old item is untouched. */
struct item *item_with_expire(struct heap *heap, const struct item *item, int64_t expire_at_ms);

/*
 * COPY: a deep copy of `item` under another key and expiry (0: none), sharing
 * nothing with it; NULL (nothing allocated) when the heap has no room.
 */
struct item *item_duplicate(struct heap *heap, const struct item *item, struct slice key,
                            int64_t expire_at_ms);

/* Frees an item and what it owns. */
void item_free(struct heap *heap, struct item *item);

/* A string item's bytes; INT-encoded values are formatted into `digits` (>= 24 bytes). */
struct slice item_string(const struct item *item, char *digits);

/*
 * Where a string can grow to `size` bytes without moving (an EMBEDDED item's
 * or an EXTERNAL value's spare capacity), or NULL. INT strings never can.
 * The caller writes the bytes and then item_set_value_size.
 */
uint8_t *item_string_room(const struct heap *heap, struct item *item, uint64_t size);

/* For INT-encoded strings: the value. */
int64_t item_int(const struct item *item);

/* The collection pointer of an ITEM_ENCODING_OBJECT item. */
void *item_object(const struct item *item);

/* For EXTERNAL strings: the value's heap object (capacity = heap_usable_size). */
uint8_t *item_external(const struct item *item);

/* OBJECT ENCODING's name for the item's representation ("embstr", "listpack", ...). */
const char *item_encoding_name(const struct item *item);

/* TYPE's name for the item ("string", "list", "set", "zset", "hash"). */
const char *item_type_name(const struct item *item);

/* Bytes the item holds in the heap, itself and what it owns. */
uint64_t item_memory_size(const struct heap *heap, const struct item *item);
