/*
 * multi.c: the transaction state of clients and the watched-key table.
 *
 * Invariants:
 * - client->multi_count queued commands are on client->multi_head's chain,
 *   their bytes (argument slices and inline bytes, plus the big arguments
 *   they own) sum to client->multi_size <= client-query-buffer-limit.
 * - A dirty transaction (MULTI_DIRTY_EXEC or MULTI_DIRTY_CAS) stores nothing
 *   more: EXEC will not run it (Redis's queueMultiCommand does the same).
 * - watch_key_count is the number of used entries of the table; each used
 *   entry is on exactly one bucket chain and on its client's list, and
 *   client->watch_count counts the latter.
 * Every loop is bounded by the table's capacity or the client's counts.
 */
#include "multi.h"

#include "acl.h"
#include "commands.h"
#include "index.h"

uint32_t watch_key_count = 0;
uint32_t watch_quiet = 0;
struct watch_table watch_table_global;

static const char ERROR_MULTI_TOO_LARGE[] =
    "ERR Transaction discarded: the queued commands exceed client-query-buffer-limit";
static const char ERROR_MULTI_NO_ROOM[] =
    "ERR Transaction discarded: no room left in the input pool to queue it";
static const char ERROR_NOT_IN_MULTI[] = "ERR Command not allowed inside a transaction";

/* One queued command: an input-heap object of object_size bytes. */
struct multi_command {
    struct multi_command *next;
    struct command *command;
    uint64_t object_size;
    uint32_t acl_id;
    uint32_t argc;
    struct slice argv[];    /* then the bytes of the arguments that are not big */
};

/* ==== The watched-key table ==== */

uint32_t watch_capacity(const struct config *config) {
    ASSERT(config->maxclients > 0);
    if (config->watched_keys_max != 0) {
        return config->watched_keys_max;
    }
    uint64_t derived = (uint64_t)config->maxclients * WATCH_KEYS_PER_CLIENT;
    return (uint32_t)MAX(1, MIN(derived, (uint64_t)CONFIG_WATCHED_KEYS_MAX));
}

uint64_t watch_unit_size(void) {
    return sizeof(struct watch_entry) + sizeof(uint32_t);
}

void watch_init(struct watch_table *table, void *memory, uint32_t capacity) {
    ASSERT(memory != NULL);
    ASSERT(capacity > 0);
    table->entries = memory;
    table->buckets = (uint32_t *)(table->entries + capacity);
    table->capacity = capacity;
    table->used_count = 0;
    table->free_head = 0;
    for (uint32_t index = 0; index < capacity; index++) {
        table->entries[index] = (struct watch_entry){ .bucket_next = WATCH_NONE,
                                                      .client_next = index + 1 };
        table->buckets[index] = WATCH_NONE;
    }
    table->entries[capacity - 1].client_next = WATCH_NONE;
    watch_key_count = 0;
}

static struct slice watch_entry_key(const struct watch_entry *entry) {
    return (struct slice){ .ptr = entry->key, .size = entry->key_size };
}

static bool watch_entry_matches(const struct watch_entry *entry, uint32_t db_id,
                                struct slice key, uint64_t hash) {
    return entry->hash == hash && entry->db_id == db_id &&
           slice_equal(watch_entry_key(entry), key);
}

/* The item of a key in db, without lazy expiry (it may be logically expired). */
static const struct item *watch_lookup(const struct db *db, struct slice key, uint64_t hash) {
    return index_find(&db->index, key, hash);
}

static bool watch_key_expired(const struct db *db, struct slice key, uint64_t hash) {
    const struct item *item = watch_lookup(db, key, hash);
    return item != NULL && db_expired(&server.keyspace, item);
}

static void watch_bucket_unlink(struct watch_table *table, uint32_t entry_index) {
    struct watch_entry *entry = &table->entries[entry_index];
    uint32_t *link = &table->buckets[entry->hash % table->capacity];
    for (uint32_t step = 0; step < table->capacity && *link != WATCH_NONE; step++) {
        if (*link == entry_index) {
            *link = entry->bucket_next;
            entry->bucket_next = WATCH_NONE;
            return;
        }
        link = &table->entries[*link].bucket_next;
    }
    ASSERT(false); /* a used entry is on its bucket's chain */
}

/* Frees one entry (already off its client's list) back to the pool. */
static void watch_entry_release(struct watch_table *table, uint32_t entry_index) {
    struct watch_entry *entry = &table->entries[entry_index];
    ASSERT(entry->used);
    ASSERT(table->used_count > 0);
    watch_bucket_unlink(table, entry_index);
    heap_free(&server.input_heap, entry->key);
    entry->key = NULL;
    entry->used = false;
    entry->client_next = table->free_head;
    table->free_head = entry_index;
    table->used_count--;
    watch_key_count = table->used_count;
}

/* Releases the client's newest `count` entries (the head of its list). */
static void watch_release_newest(struct client *client, uint32_t count) {
    struct watch_table *table = &watch_table_global;
    ASSERT(count <= client->watch_count);
    for (uint32_t released = 0; released < count; released++) {
        uint32_t entry_index = client->watch_head;
        ASSERT(entry_index != WATCH_NONE);
        client->watch_head = table->entries[entry_index].client_next;
        watch_entry_release(table, entry_index);
        client->watch_count--;
    }
}

void multi_unwatch_all(struct client *client) {
    watch_release_newest(client, client->watch_count);
    ASSERT(client->watch_head == WATCH_NONE);
}

static bool watch_client_has(const struct client *client, struct slice key, uint64_t hash) {
    const struct watch_table *table = &watch_table_global;
    uint32_t entry_index = client->watch_head;
    for (uint32_t step = 0; step < client->watch_count; step++) {
        const struct watch_entry *entry = &table->entries[entry_index];
        if (watch_entry_matches(entry, client->db->id, key, hash)) {
            return true;
        }
        entry_index = entry->client_next;
    }
    ASSERT(entry_index == WATCH_NONE);
    return false;
}

static bool multi_watch_key(struct client *client, struct slice key) {
    struct watch_table *table = &watch_table_global;
    uint64_t hash = index_hash(key);
    if (watch_client_has(client, key, hash)) {
        return true;
    }
    if (table->free_head == WATCH_NONE) {
        return false;
    }
    uint8_t *copy = heap_alloc(&server.input_heap, MAX(key.size, 1u));
    if (copy == NULL) {
        return false;
    }
    memcpy(copy, key.ptr, key.size);
    uint32_t entry_index = table->free_head;
    struct watch_entry *entry = &table->entries[entry_index];
    ASSERT(!entry->used);
    table->free_head = entry->client_next;
    uint32_t bucket = (uint32_t)(hash % table->capacity);
    *entry = (struct watch_entry){
        .hash = hash, .key = copy, .key_size = key.size, .db_id = client->db->id,
        .client_index = client->slot_index, .bucket_next = table->buckets[bucket],
        .client_next = client->watch_head, .used = true,
        .expired = watch_key_expired(client->db, key, hash),
    };
    table->buckets[bucket] = entry_index;
    client->watch_head = entry_index;
    client->watch_count++;
    table->used_count++;
    watch_key_count = table->used_count;
    return true;
}

bool multi_watch_arguments(struct client *client) {
    uint32_t count_before = client->watch_count;
    for (uint32_t index = 1; index < client->argv.count; index++) {
        if (!multi_watch_key(client, client_arg(client, index))) {
            watch_release_newest(client, client->watch_count - count_before);
            return false;
        }
    }
    return true;
}

bool multi_watched_key_expired(const struct client *client) {
    const struct watch_table *table = &watch_table_global;
    uint32_t entry_index = client->watch_head;
    for (uint32_t step = 0; step < client->watch_count; step++) {
        const struct watch_entry *entry = &table->entries[entry_index];
        const struct db *db = &server.keyspace.dbs[entry->db_id];
        if (!entry->expired && watch_key_expired(db, watch_entry_key(entry), entry->hash)) {
            return true;
        }
        entry_index = entry->client_next;
    }
    return false;
}

static void watch_mark_dirty(const struct watch_entry *entry) {
    struct client *client = &server.clients[entry->client_index];
    ASSERT(client->state != CLIENT_FREE);
    client->multi_flags |= MULTI_DIRTY_CAS;
}

/* Redis's touchWatchedKey. */
void watch_touch_slow(const struct db *db, struct slice key, uint64_t hash) {
    struct watch_table *table = &watch_table_global;
    uint32_t entry_index = table->buckets[hash % table->capacity];
    for (uint32_t step = 0; step < table->capacity && entry_index != WATCH_NONE; step++) {
        struct watch_entry *entry = &table->entries[entry_index];
        entry_index = entry->bucket_next;
        if (!watch_entry_matches(entry, db->id, key, hash)) {
            continue;
        }
        if (entry->expired) {
            /* Expired when watched: its deletion is no logical change. */
            if (watch_lookup(db, key, hash) == NULL) {
                entry->expired = false;
            }
            continue;
        }
        watch_mark_dirty(entry);
    }
}

/* One entry of touchAllWatchedKeysInDb. */
static void watch_touch_entry_in_db(struct watch_entry *entry, const struct db *emptied,
                                    const struct db *replaced_with) {
    struct slice key = watch_entry_key(entry);
    bool exists_in_emptied = watch_lookup(emptied, key, entry->hash) != NULL;
    bool exists_in_other =
        replaced_with != NULL && watch_lookup(replaced_with, key, entry->hash) != NULL;
    if (!exists_in_emptied && !exists_in_other) {
        return;
    }
    if (entry->expired) {
        if (!exists_in_other) {
            entry->expired = false; /* an expired key now deleted: no logical change */
            return;
        }
        if (watch_key_expired(replaced_with, key, entry->hash)) {
            return; /* an expired key stays expired */
        }
    } else if (!exists_in_emptied && watch_key_expired(replaced_with, key, entry->hash)) {
        entry->expired = true; /* a missing key replaced by an expired one */
        return;
    }
    watch_mark_dirty(entry);
}

void watch_touch_db_slow(const struct db *emptied, const struct db *replaced_with) {
    struct watch_table *table = &watch_table_global;
    uint32_t seen = 0;
    for (uint32_t index = 0; index < table->capacity && seen < table->used_count; index++) {
        struct watch_entry *entry = &table->entries[index];
        if (!entry->used) {
            continue;
        }
        seen++;
        if (entry->db_id == emptied->id) {
            watch_touch_entry_in_db(entry, emptied, replaced_with);
        }
    }
}

/* ==== Client life cycle ==== */

void multi_client_init(struct client *client) {
    client->multi_flags = 0;
    client->multi_count = 0;
    client->multi_size = 0;
    client->multi_head = NULL;
    client->multi_tail = NULL;
    client->watch_head = WATCH_NONE;
    client->watch_count = 0;
    client->in_exec = false;
    client->exec_error_count = 0;
}

/* Frees one queued command and the big arguments it still owns. */
static void multi_command_free(struct multi_command *queued) {
    const uint8_t *start = (const uint8_t *)queued;
    for (uint32_t index = 0; index < queued->argc; index++) {
        const uint8_t *ptr = queued->argv[index].ptr;
        if (ptr != NULL && (ptr < start || ptr >= start + queued->object_size)) {
            heap_free(&server.heap, (void *)ptr);
        }
    }
    heap_free(&server.input_heap, queued);
}

static void multi_queue_free(struct client *client) {
    struct multi_command *queued = client->multi_head;
    for (uint32_t index = 0; index < client->multi_count; index++) {
        ASSERT(queued != NULL);
        struct multi_command *next = queued->next;
        multi_command_free(queued);
        queued = next;
    }
    ASSERT(queued == NULL);
    client->multi_head = NULL;
    client->multi_tail = NULL;
    client->multi_count = 0;
    client->multi_size = 0;
}

void multi_discard(struct client *client) {
    ASSERT(!client->in_exec);
    multi_queue_free(client);
    client->multi_flags = 0;
    multi_unwatch_all(client);
}

void multi_client_release(struct client *client) {
    multi_queue_free(client);
    multi_unwatch_all(client);
    client->multi_flags = 0;
    ASSERT(client->watch_count == 0);
}

/* ==== Dispatch hooks ==== */

bool multi_reject(struct client *client, const struct command *command, const char *error) {
    if (command != NULL && command->handler == cmd_exec) {
        /* Redis's execCommandAbort: a refused EXEC ends the transaction. */
        if (client->multi_flags & MULTI_ACTIVE) {
            multi_discard(client);
        }
        if (error != NULL) {
            reply_errorf(&client->reply, "EXECABORT Transaction discarded because of: %s",
                         error);
            return true;
        }
        return false;
    }
    if (client->multi_flags & MULTI_ACTIVE) {
        client->multi_flags |= MULTI_DIRTY_EXEC;
        multi_queue_free(client); /* it will never run */
    }
    return false;
}

bool multi_reject_arity(struct client *client, const struct command *command) {
    ASSERT(command != NULL);
    if (command->handler != cmd_exec) {
        return multi_reject(client, command, NULL);
    }
    return multi_reject(client, command, "wrong number of arguments for 'exec' command");
}

bool multi_queues(const struct client *client, const struct command *command) {
    if ((client->multi_flags & MULTI_ACTIVE) == 0) {
        return false;
    }
    command_handler handler = command->handler;
    return handler != cmd_exec && handler != cmd_discard && handler != cmd_multi &&
           handler != cmd_watch && handler != cmd_quit && handler != cmd_reset;
}

bool multi_allowed(struct client *client, const struct command *command) {
    if ((client->multi_flags & MULTI_ACTIVE) == 0 || (command->flags & CMD_NO_MULTI) == 0) {
        return true;
    }
    reply_error(&client->reply, ERROR_NOT_IN_MULTI);
    return false;
}

bool multi_denyoom(const struct client *client, const struct command *command) {
    if (command->handler == cmd_exec) {
        return (client->multi_flags & MULTI_HAS_DENYOOM) != 0;
    }
    return (client->multi_flags & MULTI_ACTIVE) != 0 && command->handler != cmd_discard &&
           command->handler != cmd_quit && command->handler != cmd_reset;
}

/* Bytes a queued command takes: its object and the big arguments it keeps. */
static uint64_t multi_command_sizes(const struct client *client, uint64_t *big_size) {
    uint64_t object_size = sizeof(struct multi_command) +
                           (uint64_t)client->argv.count * sizeof(struct slice);
    *big_size = 0;
    for (uint32_t index = 0; index < client->argv.count; index++) {
        if (client_arg_owned(client, index)) {
            *big_size += client->argv.items[index].size;
        } else {
            object_size += client->argv.items[index].size;
        }
    }
    return object_size;
}

/* The transaction cannot be queued whole: drop it (EXEC will abort). */
static void multi_queue_refuse(struct client *client, const char *error) {
    multi_queue_free(client);
    client->multi_flags |= MULTI_DIRTY_EXEC;
    reply_error(&client->reply, error);
}

void multi_queue(struct client *client, struct command *command, uint32_t acl_id) {
    ASSERT(client->multi_flags & MULTI_ACTIVE);
    ASSERT(client->argv.count > 0);
    if (client->multi_flags & (MULTI_DIRTY_EXEC | MULTI_DIRTY_CAS)) {
        reply_simple(&client->reply, "QUEUED"); /* it will not run: keep nothing */
        return;
    }
    uint64_t big_size = 0;
    uint64_t object_size = multi_command_sizes(client, &big_size);
    if (client->multi_size + object_size + big_size > server.config.client_query_buffer_limit) {
        multi_queue_refuse(client, ERROR_MULTI_TOO_LARGE);
        return;
    }
    struct multi_command *queued = heap_alloc(&server.input_heap, object_size);
    if (queued == NULL) {
        multi_queue_refuse(client, ERROR_MULTI_NO_ROOM);
        return;
    }
    ASSERT(object_size <= UINT32_MAX); /* an input-heap object: EXEC's input_capacity */
    *queued = (struct multi_command){ .command = command, .object_size = object_size,
                                      .acl_id = acl_id, .argc = client->argv.count };
    uint8_t *bytes = (uint8_t *)&queued->argv[queued->argc];
    for (uint32_t index = 0; index < client->argv.count; index++) {
        struct slice argument = client->argv.items[index];
        if (client_arg_owned(client, index)) {
            client->argv.items[index].ptr = NULL; /* the queue owns it now */
        } else {
            memcpy(bytes, argument.ptr, argument.size);
            /* An empty argument points at the object itself, never past its end. */
            argument.ptr = argument.size > 0 ? bytes : (uint8_t *)queued;
            bytes += argument.size;
        }
        queued->argv[index] = argument;
    }
    ASSERT(bytes == (uint8_t *)queued + object_size);
    if (client->multi_tail != NULL) {
        ((struct multi_command *)client->multi_tail)->next = queued;
    } else {
        client->multi_head = queued;
    }
    client->multi_tail = queued;
    client->multi_count++;
    client->multi_size += object_size + big_size;
    if (command->flags & CMD_DENYOOM) {
        client->multi_flags |= MULTI_HAS_DENYOOM;
    }
    if (command->flags & (CMD_WRITE | CMD_MAY_REPLICATE)) {
        client->multi_flags |= MULTI_HAS_WRITE;
    }
    reply_simple(&client->reply, "QUEUED");
}

/* ==== EXEC ==== */

/* ACL rules may have changed since the command was queued: Redis checks again. */
static bool multi_exec_permitted(struct client *client, const struct multi_command *queued) {
    const struct acl_user *user = acl_client_user(&server.acl, client);
    uint32_t key_index = 0;
    enum acl_verdict verdict = acl_check(&server.acl, user, queued->acl_id, client->argv.items,
                                         client->argv.count, &key_index);
    if (verdict == ACL_ALLOWED) {
        return true;
    }
    acl_log_denied(&server.acl, client, verdict, queued->acl_id, key_index);
    reply_errorf(&client->reply, "NOPERM ACLs rules changed between the moment the "
                 "transaction was accumulated and the EXEC call. This command is no longer "
                 "allowed for the following reason: %s",
                 verdict == ACL_DENIED_COMMAND
                     ? "no permission to execute the command or subcommand"
                     : "no permission to touch the specified keys");
    return false;
}

/*
 * Runs each queued command with client->argv pointing at its slices and
 * client->input at its object, so client_arg_owned tells its big arguments
 * (data-heap objects a handler may adopt) from the bytes copied inline.
 */
void multi_exec_queued(struct client *client) {
    ASSERT(client->multi_flags & MULTI_ACTIVE);
    ASSERT(!client->in_exec);
    struct resp_argv saved_argv = client->argv;
    uint8_t *saved_input = client->input;
    uint32_t saved_capacity = client->input_capacity;
    struct multi_command *queued = client->multi_head;
    uint32_t count = client->multi_count;
    client->multi_head = NULL;
    client->multi_tail = NULL;
    client->multi_count = 0;
    client->multi_size = 0;
    multi_unwatch_all(client); /* as Redis: modifications from here on do not matter */
    client->in_exec = true;
    uint64_t errors_before = client->reply.error_count;
    reply_array(&client->reply, count);
    for (uint32_t index = 0; index < count; index++) {
        ASSERT(queued != NULL);
        struct multi_command *next = queued->next;
        client->input = (uint8_t *)queued;
        client->input_capacity = (uint32_t)queued->object_size;
        client->argv = (struct resp_argv){ .items = queued->argv, .count = queued->argc,
                                           .capacity = queued->argc };
        if (multi_exec_permitted(client, queued)) {
            commands_call(client, queued->command, queued->acl_id);
        }
        ASSERT(client->argv.items == queued->argv);
        multi_command_free(queued);
        queued = next;
    }
    ASSERT(queued == NULL);
    client->exec_error_count = client->reply.error_count - errors_before;
    client->in_exec = false;
    client->argv = saved_argv;
    client->input = saved_input;
    client->input_capacity = saved_capacity;
    client->multi_flags = 0;
}
