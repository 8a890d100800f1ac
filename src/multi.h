/*
 * multi.h: transactions (MULTI/EXEC/DISCARD) and optimistic locking
 * (WATCH/UNWATCH), with Redis 7.0's semantics.
 *
 * Queued commands: each is one input-heap object holding its argument slices
 * and bytes (big arguments stay the data-heap objects they were received
 * into). A client's queue is bounded by client-query-buffer-limit; past it,
 * or when the input heap has no room, the whole transaction is discarded
 * (the queue is freed, EXEC answers EXECABORT): never partially executed.
 *
 * Watched keys: a fixed pool of watched-keys-max entries (the plan's
 * watched_keys pool), hashed by (key hash) into as many buckets, each entry
 * also on its client's list. Key bytes are copied into the input heap.
 *
 * The "key modified" signal (Redis's signalModifiedKey): the db layer calls
 * watch_touch for every store, delete (expiry and eviction included),
 * rename and move, watch_touch_db for FLUSHDB/FLUSHALL and SWAPDB, and write
 * handlers that change a value in place call watch_touch themselves. Each is
 * one load and a branch while no key is watched (watch_key_count == 0).
 */
#pragma once

#include "base.h"
#include "server.h"

struct command;

#define WATCH_NONE UINT32_MAX

/* client->multi_flags */
#define MULTI_ACTIVE 0x1u      /* between MULTI and EXEC/DISCARD */
#define MULTI_DIRTY_EXEC 0x2u  /* a command was refused while queuing: EXEC aborts */
#define MULTI_DIRTY_CAS 0x4u   /* a watched key was modified: EXEC answers a null array */
#define MULTI_IN_EXEC 0x8u     /* EXEC is running the queued commands */
#define MULTI_HAS_DENYOOM 0x10u /* a queued command is flagged denyoom */
#define MULTI_HAS_WRITE 0x20u   /* a queued write or may-replicate (CLIENT PAUSE WRITE) */

struct watch_entry {
    uint64_t hash;          /* index_hash(key) */
    uint8_t *key;           /* input-heap copy of the key */
    uint32_t key_size;
    uint32_t db_id;
    uint32_t client_index;  /* the watching client's slot */
    uint32_t bucket_next;   /* next entry of the bucket, or WATCH_NONE */
    uint32_t client_next;   /* next entry of the client (or of the free list) */
    bool expired;           /* the key was logically expired when WATCH ran */
    bool used;
};

struct watch_table {
    struct watch_entry *entries;
    uint32_t *buckets;      /* capacity heads */
    uint32_t capacity;
    uint32_t used_count;
    uint32_t free_head;
};

/* Keys watched by all clients: the only thing the touch hooks read when it is 0. */
extern uint32_t watch_key_count;
/* Non-zero while a store only changes a value's representation (no touch). */
extern uint32_t watch_quiet;
extern struct watch_table watch_table_global;

#define WATCH_KEYS_PER_CLIENT 8u   /* watched-keys-max 0 derives the pool from maxclients */

/* The pool's entries: watched-keys-max, or WATCH_KEYS_PER_CLIENT x maxclients. */
uint32_t watch_capacity(const struct config *config);
/* Bytes per watched key in the plan (an entry and a bucket head). */
uint64_t watch_unit_size(void);
/* Initialises the table on `capacity` entries carved from `memory`. */
void watch_init(struct watch_table *table, void *memory, uint32_t capacity);

void watch_touch_slow(const struct db *db, struct slice key, uint64_t hash);
/* Every watched key of `emptied` (FLUSHDB/FLUSHALL; `replaced_with` NULL) or of a
 * database swapped with `replaced_with` (SWAPDB), as Redis's touchAllWatchedKeysInDb.
 * Call before the change. */
void watch_touch_db_slow(const struct db *emptied, const struct db *replaced_with);

/* A key of db was modified (Redis's signalModifiedKey). */
static inline void watch_touch(const struct db *db, struct slice key, uint64_t hash) {
    if (UNLIKELY(watch_key_count != 0) && watch_quiet == 0) {
        watch_touch_slow(db, key, hash);
    }
}

static inline void watch_touch_db(const struct db *emptied, const struct db *replaced_with) {
    if (UNLIKELY(watch_key_count != 0)) {
        watch_touch_db_slow(emptied, replaced_with);
    }
}

/* ==== Client life cycle ==== */

/* A new client: no transaction, no watched key. */
void multi_client_init(struct client *client);
/* A closing client: frees its queue and its watched keys. */
void multi_client_release(struct client *client);

/* ==== Dispatch hooks (commands.c) ==== */

/*
 * A command was refused by the checks before running (unknown, arity, NOAUTH,
 * ACL, OOM, not allowed in MULTI): inside MULTI the transaction is flagged, as
 * Redis's flagTransaction. True when the refused command is EXEC and the
 * error was already written as EXECABORT (the caller writes nothing).
 */
bool multi_reject(struct client *client, const struct command *command, const char *error);

/* The arity check refused `command`: as multi_reject, with Redis's arity text. */
bool multi_reject_arity(struct client *client, const struct command *command);

/* Inside MULTI, commands other than EXEC, DISCARD, MULTI, WATCH, QUIT and RESET are
 * queued. */
bool multi_queues(const struct client *client, const struct command *command);
/* Queues the admitted command in client->argv and replies +QUEUED (or an error). */
void multi_queue(struct client *client, struct command *command, uint32_t acl_id);
/* The no-multi check: false (error written) for a command refused inside MULTI. */
bool multi_allowed(struct client *client, const struct command *command);
/*
 * Redis refuses, when over maxmemory, any command queued inside MULTI and an
 * EXEC whose queue holds a denyoom command, as if they were flagged denyoom.
 */
bool multi_denyoom(const struct client *client, const struct command *command);

/* ==== Commands (cmd_multi.c) ==== */

/* Ends the transaction: frees the queue, clears the flags and the watched keys. */
void multi_discard(struct client *client);
/* Watches the keys argv[1..] of the client's database. False, with none of them
 * newly watched, when the pool or the input heap is full. */
bool multi_watch_arguments(struct client *client);
void multi_unwatch_all(struct client *client);
/* True when a watched key that was alive at WATCH time has expired since. */
bool multi_watched_key_expired(const struct client *client);
/* Runs the queued commands, replying one array (the caller checked the flags). */
void multi_exec_queued(struct client *client);

/* Runs one admitted command as dispatch does (stats, slow log, latency): commands.c. */
void commands_call(struct client *client, struct command *command, uint32_t acl_id);
