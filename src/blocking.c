/*
 * blocking.c: blocked clients, the keys they wait for, and their deadlines
 * (see blocking.h for the model and where memory comes from).
 *
 *   buckets[h] -> blocking_key -> blocking_key ...     (bucket_next)
 *                   | head                 tail |
 *                   v                           v
 *                 waiter (client A) <-> waiter (client C) <-> ...   FIFO
 *
 * Invariants:
 * - a client is blocked iff its kind is not BLOCKING_NONE; blocked_count
 *   counts them; its waiters are queued on distinct keys (a repeated key
 *   argument gets a waiter with key NULL);
 * - a key record is in its bucket iff its FIFO is not empty; a record whose
 *   FIFO empties while it is on the ready list or being served is freed by
 *   the server loop, otherwise at once;
 * - a key record's bytes are its head waiter's argument, which stays valid
 *   while that client is blocked (its input is not parsed).
 */
#include "blocking.h"

#include "commands.h"
#include "index.h"
#include "server.h"

static const char ERROR_UNBLOCKED[] = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

struct blocking blocking_global;

/* ==== Memory ==== */

static uint64_t blocking_client_size(void) {
    STATIC_ASSERT(sizeof(struct blocking_client) <= 24, "a blocking_client stays small");
    return align_up(sizeof(struct blocking_client), 8);
}

uint64_t blocking_unit_size(void) {
    return blocking_client_size() + timer_memory_size(1) +
           BLOCKING_BUCKETS_PER_CLIENT * sizeof(struct blocking_key *);
}

void blocking_init(struct blocking *blocking, void *memory, uint32_t client_capacity) {
    ASSERT(memory != NULL);
    ASSERT(client_capacity > 0);
    memset(blocking, 0, sizeof(*blocking));
    uint8_t *bytes = memory;
    blocking->clients = (struct blocking_client *)bytes;
    blocking->client_capacity = client_capacity;
    bytes += blocking_client_size() * client_capacity;
    blocking->buckets = (struct blocking_key **)bytes;
    blocking->bucket_count = client_capacity * BLOCKING_BUCKETS_PER_CLIENT;
    bytes += (uint64_t)blocking->bucket_count * sizeof(struct blocking_key *);
    timer_init(&blocking->timers, bytes, client_capacity);
    for (uint32_t index = 0; index < client_capacity; index++) {
        blocking->clients[index] = (struct blocking_client){ .kind = BLOCKING_NONE };
    }
    for (uint32_t index = 0; index < blocking->bucket_count; index++) {
        blocking->buckets[index] = NULL;
    }
}

/* ==== Key records ==== */

static struct slice blocking_waiter_key(const struct blocking_waiter *waiter) {
    ASSERT(waiter->client_index < server.client_count);
    const struct client *client = &server.clients[waiter->client_index];
    return client_arg(client, waiter->argument_index);
}

static struct blocking_key **blocking_bucket(uint64_t hash) {
    uint64_t index = ((hash >> 32) * (uint64_t)blocking_global.bucket_count) >> 32;
    ASSERT(index < blocking_global.bucket_count);
    return &blocking_global.buckets[index];
}

static struct blocking_key *blocking_key_find(uint32_t db_index, struct slice key,
                                              uint64_t hash) {
    struct blocking_key *entry = *blocking_bucket(hash);
    for (uint64_t visited = 0; entry != NULL; visited++) {
        ASSERT(visited <= blocking_global.key_count);
        ASSERT(entry->head != NULL);
        if (entry->hash == hash && entry->db_index == db_index &&
            slice_equal(blocking_waiter_key(entry->head), key)) {
            return entry;
        }
        entry = entry->bucket_next;
    }
    return NULL;
}

static void blocking_bucket_remove(struct blocking_key *entry) {
    struct blocking_key **link = blocking_bucket(entry->hash);
    for (uint64_t visited = 0; *link != entry; visited++) {
        ASSERT(visited <= blocking_global.key_count);
        ASSERT(*link != NULL);
        link = &(*link)->bucket_next;
    }
    *link = entry->bucket_next;
    entry->bucket_next = NULL;
}

static void blocking_ready_push(struct blocking_key *entry) {
    ASSERT(!entry->ready);
    ASSERT(entry->head != NULL);
    entry->ready = true;
    entry->ready_next = NULL;
    if (blocking_global.ready_tail == NULL) {
        blocking_global.ready_head = entry;
    } else {
        blocking_global.ready_tail->ready_next = entry;
    }
    blocking_global.ready_tail = entry;
}

/* Takes a waiter off its key's FIFO; an emptied record leaves its bucket. */
static void blocking_waiter_unlink(struct blocking_waiter *waiter) {
    struct blocking_key *entry = waiter->key;
    ASSERT(entry != NULL);
    if (waiter->previous != NULL) {
        waiter->previous->next = waiter->next;
    } else {
        entry->head = waiter->next;
    }
    if (waiter->next != NULL) {
        waiter->next->previous = waiter->previous;
    } else {
        entry->tail = waiter->previous;
    }
    waiter->key = NULL;
    if (entry->head != NULL) {
        return;
    }
    ASSERT(entry->tail == NULL);
    blocking_bucket_remove(entry);
    ASSERT(blocking_global.key_count > 0);
    blocking_global.key_count--;
    if (!entry->ready && !entry->serving) {
        heap_free(&server.input_heap, entry);
    }
}

/* Queues a waiter on its key, creating the record. False when the input heap is full. */
static bool blocking_waiter_link(struct blocking_waiter *waiter, uint32_t db_index,
                                 struct slice key, uint64_t hash) {
    struct blocking_key *entry = blocking_key_find(db_index, key, hash);
    if (entry != NULL && entry->tail->client_index == waiter->client_index) {
        return true; /* the key repeats in this command: one place in the queue */
    }
    if (entry == NULL) {
        entry = heap_alloc(&server.input_heap, sizeof(*entry));
        if (entry == NULL) {
            return false;
        }
        *entry = (struct blocking_key){ .hash = hash, .db_index = db_index };
        struct blocking_key **bucket = blocking_bucket(hash);
        entry->bucket_next = *bucket;
        *bucket = entry;
        blocking_global.key_count++;
    }
    waiter->key = entry;
    waiter->previous = entry->tail;
    waiter->next = NULL;
    if (entry->tail != NULL) {
        entry->tail->next = waiter;
    } else {
        entry->head = waiter;
    }
    entry->tail = waiter;
    ASSERT(entry->head != NULL);
    return true;
}

/* ==== Blocking and unblocking ==== */

/* Forgets the client's waiters and deadline (it is no longer blocked). */
static void blocking_release(struct client *client) {
    struct blocking_client *state = &blocking_global.clients[client->slot_index];
    ASSERT(state->kind != BLOCKING_NONE);
    for (uint32_t index = 0; index < state->waiter_count; index++) {
        if (state->waiters[index].key != NULL) {
            blocking_waiter_unlink(&state->waiters[index]);
        }
    }
    if (state->waiters != NULL) {
        heap_free(&server.input_heap, state->waiters);
    }
    timer_cancel(&blocking_global.timers, client->slot_index);
    *state = (struct blocking_client){ .kind = BLOCKING_NONE };
    ASSERT(blocking_global.blocked_count > 0);
    blocking_global.blocked_count--;
}

bool blocking_block(struct client *client, enum blocking_kind kind, uint32_t first_key,
                    uint32_t key_count, uint32_t where_index, int64_t deadline_ms) {
    ASSERT(kind != BLOCKING_NONE);
    ASSERT(key_count > 0 && first_key + key_count <= client->argv.count);
    struct blocking_client *state = &blocking_global.clients[client->slot_index];
    ASSERT(state->kind == BLOCKING_NONE);
    struct blocking_waiter *waiters =
        heap_alloc(&server.input_heap, (uint64_t)key_count * sizeof(*waiters));
    if (waiters == NULL) {
        return false;
    }
    *state = (struct blocking_client){ .waiters = waiters, .kind = (uint8_t)kind,
                                       .where_index = where_index };
    blocking_global.blocked_count++;
    for (uint32_t index = 0; index < key_count; index++) {
        struct blocking_waiter *waiter = &waiters[index];
        *waiter = (struct blocking_waiter){ .client_index = client->slot_index,
                                            .argument_index = first_key + index };
        state->waiter_count++;
        struct slice key = client_arg(client, first_key + index);
        if (!blocking_waiter_link(waiter, client->db->id, key, index_hash(key))) {
            blocking_release(client);
            return false;
        }
    }
    if (deadline_ms > 0) {
        timer_set(&blocking_global.timers, client->slot_index, deadline_ms);
    }
    ASSERT(blocking_client_blocked(&blocking_global, client->slot_index));
    return true;
}

bool blocking_unblock(struct client *client, bool with_error) {
    ASSERT(client->state != CLIENT_FREE);
    if (!blocking_client_blocked(&blocking_global, client->slot_index)) {
        return false;
    }
    if (with_error) {
        reply_error(&client->reply, ERROR_UNBLOCKED);
    } else {
        reply_null_array(&client->reply);
    }
    blocking_release(client);
    client_unblocked(client);
    return true;
}

void blocking_client_closed(struct client *client) {
    ASSERT(client->state != CLIENT_FREE);
    if (blocking_client_blocked(&blocking_global, client->slot_index)) {
        blocking_release(client);
    }
    ASSERT(!blocking_client_blocked(&blocking_global, client->slot_index));
}

/* ==== Wake-up ==== */

void blocking_signal_slow(const struct db *db, struct slice key, uint64_t hash) {
    ASSERT(db != NULL);
    ASSERT(blocking_global.blocked_count > 0);
    struct blocking_key *entry = blocking_key_find(db->id, key, hash);
    if (entry != NULL && !entry->ready) {
        blocking_ready_push(entry);
    }
}

void blocking_db_swapped(const struct db *first, const struct db *second) {
    ASSERT(first != NULL && second != NULL);
    if (blocking_global.blocked_count == 0) {
        return;
    }
    for (uint32_t index = 0; index < blocking_global.bucket_count; index++) {
        struct blocking_key *entry = blocking_global.buckets[index];
        for (uint64_t visited = 0; entry != NULL; visited++) {
            ASSERT(visited <= blocking_global.key_count);
            bool swapped = entry->db_index == first->id || entry->db_index == second->id;
            if (swapped && !entry->ready) {
                blocking_ready_push(entry); /* served if it now holds data */
            }
            entry = entry->bucket_next;
        }
    }
}

static bool blocking_kind_is_list(uint8_t kind) {
    ASSERT(kind != BLOCKING_NONE);
    return kind <= BLOCKING_LMPOP;
}

/* The first waiter of the FIFO whose command pops values of `type`, or NULL. */
static struct blocking_waiter *blocking_first_for(const struct blocking_key *entry,
                                                  uint8_t type) {
    struct blocking_waiter *waiter = entry->head;
    for (uint32_t visited = 0; waiter != NULL; visited++) {
        ASSERT(visited <= blocking_global.blocked_count);
        uint8_t kind = blocking_global.clients[waiter->client_index].kind;
        if (blocking_kind_is_list(kind) ? type == ITEM_LIST : type == ITEM_ZSET) {
            return waiter;
        }
        waiter = waiter->next;
    }
    return NULL;
}

/*
 * serveClientsBlockedOnListKey / ...SortedSetKey: while the key holds a list
 * (or sorted set), its first waiter for that type gets the command's answer
 * and resumes. Each round unblocks a client, so blocked_count bounds it.
 */
static void blocking_serve_key(struct blocking_key *entry) {
    ASSERT(!entry->ready);
    struct db *db = &server.keyspace.dbs[entry->db_index];
    entry->serving = true;
    uint32_t rounds_max = blocking_global.blocked_count;
    for (uint32_t round = 0; round < rounds_max && entry->head != NULL; round++) {
        struct slice key = blocking_waiter_key(entry->head);
        struct item *item = db_find(&server.keyspace, db, key, entry->hash);
        if (item == NULL) {
            break;
        }
        struct blocking_waiter *waiter = blocking_first_for(entry, item->type);
        if (waiter == NULL) {
            break;
        }
        struct client *client = &server.clients[waiter->client_index];
        struct blocking_client state = blocking_global.clients[client->slot_index];
        uint32_t argument_index = waiter->argument_index;
        ASSERT(client->db == db);
        /* Off every FIFO first: while its command runs on a borrowed argument vector,
         * no key record may read its argv (a BLMOVE push signals its target). */
        blocking_release(client);
        blocking_serve_client(client, state.kind, argument_index, state.where_index);
        client_unblocked(client);
    }
    entry->serving = false;
    if (entry->head == NULL && !entry->ready) {
        heap_free(&server.input_heap, entry);
    }
}

void blocking_serve_ready_slow(void) {
    /* Each round frees a record or serves one (serving BLMOVE may signal its target). */
    uint64_t rounds_max = (blocking_global.key_count + 1) * 2 + blocking_global.blocked_count;
    for (uint64_t round = 0; blocking_global.ready_head != NULL; round++) {
        ASSERT(round < rounds_max * 2);
        struct blocking_key *entry = blocking_global.ready_head;
        blocking_global.ready_head = entry->ready_next;
        if (blocking_global.ready_head == NULL) {
            blocking_global.ready_tail = NULL;
        }
        entry->ready = false;
        entry->ready_next = NULL;
        if (entry->head == NULL) {
            heap_free(&server.input_heap, entry); /* its waiters left while it was ready */
            continue;
        }
        blocking_serve_key(entry);
    }
    ASSERT(blocking_global.ready_tail == NULL);
}

/* ==== Deadlines ==== */

int64_t blocking_wait_ms(int64_t timeout_ms, int64_t now_ms) {
    ASSERT(timeout_ms >= 0);
    int64_t next_ms = timer_next_ms(&blocking_global.timers);
    if (next_ms == INT64_MAX) {
        return timeout_ms;
    }
    /* A deadline fires once it has passed (Redis: timeout < now). */
    return MAX((int64_t)0, MIN(timeout_ms, next_ms + 1 - now_ms));
}

void blocking_expire(int64_t now_ms) {
    for (uint32_t round = 0; round < blocking_global.client_capacity; round++) {
        uint32_t slot = timer_pop_expired(&blocking_global.timers, now_ms - 1);
        if (slot == TIMER_NONE) {
            return;
        }
        struct client *client = &server.clients[slot];
        ASSERT(blocking_client_blocked(&blocking_global, slot));
        ASSERT(client->state == CLIENT_OPEN || client->state == CLIENT_DRAINING);
        reply_null_array(&client->reply);
        blocking_release(client);
        client_unblocked(client);
    }
}

uint32_t blocking_blocked_count(void) {
    return blocking_global.blocked_count;
}

uint32_t blocking_timeout_count(void) {
    return blocking_global.timers.count;
}
