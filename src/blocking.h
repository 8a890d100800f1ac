/*
 * blocking.h: clients blocked by BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
 * BZPOPMIN, BZPOPMAX and BZMPOP (Redis 7.0's blocking.c), and their timeouts.
 *
 * A blocked client keeps its command in argv (the connection stops parsing
 * its input until it is served, times out, or closes), so the keys it waits
 * for are slices of that argv: nothing is copied.
 *
 * Memory:
 * - the plan's `blocking` pool, maxclients units: per client slot its state
 *   and its deadline (timer.h), and two hash buckets per client;
 * - per blocked command, from the input heap (which already holds argv arrays
 *   past 16 arguments): one array of waiters, one per key argument, and one
 *   key record per distinct (db, key) waited for. Both are freed when the
 *   client is unblocked. When the input heap has no room the command answers
 *   -OOM and does not block.
 *
 * Wake-up (Redis 7.0's signalKeyAsReady / handleClientsBlockedOnKeys): the db
 * layer calls blocking_signal whenever a list or sorted set is stored under a
 * key (created, renamed, moved, copied, stored by a *STORE command) and on
 * SWAPDB; a key with waiters goes on the ready list once. After each command
 * (after EXEC for a transaction) the ready keys are served in signal order,
 * each to its waiters first-come-first-served while it holds data of the type
 * they wait for; a waiter of the other type stays blocked, as in 7.0.
 */
#pragma once

#include "base.h"
#include "db.h"
#include "item.h"
#include "timer.h"

struct client;

enum blocking_kind {
    BLOCKING_NONE = 0,
    BLOCKING_LIST_HEAD,   /* BLPOP */
    BLOCKING_LIST_TAIL,   /* BRPOP */
    BLOCKING_LMOVE,       /* BLMOVE: argv[1..4] are LMOVE's */
    BLOCKING_RPOPLPUSH,   /* BRPOPLPUSH */
    BLOCKING_LMPOP,       /* BLMPOP */
    BLOCKING_ZSET_MIN,    /* BZPOPMIN */
    BLOCKING_ZSET_MAX,    /* BZPOPMAX */
    BLOCKING_ZMPOP,       /* BZMPOP */
};

#define BLOCKING_BUCKETS_PER_CLIENT 2u

struct blocking_key;

/* One key argument of a blocked command, on its key's FIFO. */
struct blocking_waiter {
    struct blocking_key *key;        /* NULL: a repeated key, not queued */
    struct blocking_waiter *next;    /* FIFO order on the key */
    struct blocking_waiter *previous;
    uint32_t client_index;
    uint32_t argument_index;         /* the key is argv[argument_index] */
};

/* A (db, key) with waiters. Its bytes are the head waiter's argument. */
struct blocking_key {
    struct blocking_key *bucket_next;
    struct blocking_key *ready_next;
    struct blocking_waiter *head;
    struct blocking_waiter *tail;
    uint64_t hash;                   /* index_hash(key) */
    uint32_t db_index;
    bool ready;                      /* on the ready list */
    bool serving;                    /* being served: freed by the server, not by unblock */
};

/* Per client slot. */
struct blocking_client {
    struct blocking_waiter *waiters; /* input-heap array, waiter_count long */
    uint32_t waiter_count;
    uint32_t where_index;            /* BLMPOP/BZMPOP: argv index of LEFT|RIGHT / MIN|MAX */
    uint8_t kind;                    /* enum blocking_kind; BLOCKING_NONE: not blocked */
};

struct blocking {
    struct blocking_client *clients;
    uint32_t client_capacity;
    struct blocking_key **buckets;
    uint32_t bucket_count;
    struct timer_heap timers;        /* deadlines by client slot */
    struct blocking_key *ready_head;
    struct blocking_key *ready_tail;
    uint32_t blocked_count;
    uint64_t key_count;
};

extern struct blocking blocking_global;

/* Bytes of the plan's pool per client slot. */
uint64_t blocking_unit_size(void);
/* Carves the state for `client_capacity` slots from memory (unit size each). */
void blocking_init(struct blocking *blocking, void *memory, uint32_t client_capacity);

static inline bool blocking_client_blocked(const struct blocking *blocking, uint32_t slot) {
    return blocking->clients[slot].kind != BLOCKING_NONE;
}

/*
 * Blocks the client (its command stays in argv) on argv[first_key ..
 * first_key + key_count - 1], with a deadline (0: none). False, with nothing
 * changed, when the input heap has no room.
 */
bool blocking_block(struct client *client, enum blocking_kind kind, uint32_t first_key,
                    uint32_t key_count, uint32_t where_index, int64_t deadline_ms);

/*
 * CLIENT UNBLOCK: answers as on a timeout (null array) or with Redis's
 * -UNBLOCKED error, and resumes the client. False when it was not blocked.
 */
bool blocking_unblock(struct client *client, bool with_error);

/*
 * Writes the answer of a blocked command of `kind` served by the key
 * argv[argument_index], which holds a value of the type it pops
 * (cmd_blocking.c; also its immediate path).
 */
void blocking_serve_client(struct client *client, uint8_t kind, uint32_t argument_index,
                           uint32_t where_index);

/* A closing client: forgets it, without a reply. */
void blocking_client_closed(struct client *client);

/* db layer: a value of `type` was stored under key in db. */
void blocking_signal_slow(const struct db *db, struct slice key, uint64_t hash);
static inline void blocking_signal(const struct db *db, struct slice key, uint64_t hash,
                                   uint8_t type) {
    if (UNLIKELY(blocking_global.blocked_count != 0) &&
        (type == ITEM_LIST || type == ITEM_ZSET)) {
        blocking_signal_slow(db, key, hash);
    }
}

/* SWAPDB: every waited-for key of both databases may now hold data. */
void blocking_db_swapped(const struct db *first, const struct db *second);

/* After a command (not inside EXEC): serves the ready keys. */
void blocking_serve_ready_slow(void);
static inline void blocking_serve_ready(void) {
    if (UNLIKELY(blocking_global.ready_head != NULL)) {
        blocking_serve_ready_slow();
    }
}

/* The event loop's wait: `timeout_ms` or less, to wake for the nearest deadline. */
int64_t blocking_wait_ms(int64_t timeout_ms, int64_t now_ms);
/* Answers the clients whose deadline passed (null array) and resumes them. */
void blocking_expire(int64_t now_ms);

uint32_t blocking_blocked_count(void);
/* Blocked clients with a deadline (INFO clients_in_timeout_table). */
uint32_t blocking_timeout_count(void);
