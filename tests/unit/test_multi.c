/*
 * test_multi.c: unit tests for the watched-key table (src/multi.c): watching
 * and touching by database and key, duplicates, the pool limit at and one past
 * it (a WATCH that does not fit watches none of its keys), release back to the
 * pool and the input heap, Redis 7.0's rules for keys already expired when
 * watched, FLUSHDB/SWAPDB touches, and the queue of a transaction freed whole.
 *
 * The globals multi.c works on (server.clients, server.keyspace and
 * server.input_heap) are set up here over anonymous mappings.
 */
#define _DEFAULT_SOURCE
#include "multi.h"

#include "commands.h"
#include "index.h"

#include <criterion/criterion.h>
#include <sys/mman.h>

#define TEST_PAGES 32u
#define TEST_DBS 2u
#define TEST_CLIENTS 3u
#define TEST_CAPACITY 4u

static struct db dbs[TEST_DBS];
static struct client clients[TEST_CLIENTS];
static struct slice arguments[TEST_CLIENTS][8];
static void *mappings[3];
static uint64_t mapping_sizes[3];
static uint64_t input_baseline;
static struct output_pool output_pool;
static struct output_chunk chunks[8];

static void *test_map(uint32_t which, uint64_t size) {
    void *area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(area != MAP_FAILED);
    mappings[which] = area;
    mapping_sizes[which] = size;
    return area;
}

static void heap_setup(struct heap *heap, uint32_t which) {
    uint64_t size = (uint64_t)(TEST_PAGES + 1) * HEAP_PAGE_SIZE;
    uint8_t *area = test_map(which, size + heap_descriptor_size(TEST_PAGES));
    uint8_t *pages = (uint8_t *)align_up((uint64_t)(uintptr_t)area, HEAP_PAGE_SIZE);
    heap_init(heap, pages, TEST_PAGES, (struct heap_page *)(area + size));
}

static void setup(void) {
    heap_setup(&server.heap, 0);
    heap_setup(&server.input_heap, 1);
    cr_assert(keyspace_init(&server.keyspace, &server.heap, dbs, TEST_DBS));
    server.keyspace.now_ms = 1000000;
    watch_init(&watch_table_global, test_map(2, TEST_CAPACITY * watch_unit_size()),
               TEST_CAPACITY);
    server.clients = clients;
    server.config.client_query_buffer_limit = MIB;
    output_pool_init(&output_pool, chunks, 8);
    for (uint32_t index = 0; index < TEST_CLIENTS; index++) {
        memset(&clients[index], 0, sizeof(clients[index]));
        clients[index].slot_index = index;
        clients[index].state = CLIENT_OPEN;
        clients[index].db = &dbs[0];
        clients[index].argv.items = arguments[index];
        multi_client_init(&clients[index]);
        output_init(&clients[index].output, 1024);
        clients[index].reply = (struct reply){ .pool = &output_pool,
                                               .output = &clients[index].output,
                                               .protocol = 2 };
    }
    input_baseline = server.input_heap.used_size;
}

static void teardown(void) {
    for (uint32_t index = 0; index < TEST_CLIENTS; index++) {
        multi_client_release(&clients[index]);
        output_release(&output_pool, &clients[index].output);
    }
    cr_assert_eq(watch_key_count, 0);
    cr_assert_eq(server.input_heap.used_size, input_baseline);
    for (uint32_t index = 0; index < 3; index++) {
        munmap(mappings[index], mapping_sizes[index]);
    }
}

TestSuite(multi, .init = setup, .fini = teardown);

/* WATCH with the given keys (NULL-terminated). */
static bool watch(struct client *client, const char *first, ...) {
    __builtin_va_list list;
    __builtin_va_start(list, first);
    client->argv.count = 1;
    arguments[client->slot_index][0] = slice_from_cstr("watch");
    for (const char *key = first; key != NULL; key = __builtin_va_arg(list, const char *)) {
        arguments[client->slot_index][client->argv.count++] = slice_from_cstr(key);
    }
    __builtin_va_end(list);
    return multi_watch_arguments(client);
}

static void store(uint32_t db_index, const char *name, int64_t expire_at_ms) {
    struct slice key = slice_from_cstr(name);
    uint64_t hash = index_hash(key);
    struct db *db = &dbs[db_index];
    struct item *old = index_find(&db->index, key, hash);
    if (old == NULL) {
        cr_assert(db_prepare_insert(db, hash));
    }
    struct item *item = item_create_string(&server.heap, key, slice_from_cstr("v"),
                                           expire_at_ms, NULL);
    cr_assert_not_null(item);
    db_store(&server.keyspace, db, item, hash, old);
}

static void delete(uint32_t db_index, const char *name) {
    struct slice key = slice_from_cstr(name);
    uint64_t hash = index_hash(key);
    struct item *item = index_find(&dbs[db_index].index, key, hash);
    cr_assert_not_null(item);
    db_delete(&server.keyspace, &dbs[db_index], item, hash);
}

static bool dirty(const struct client *client) {
    return (client->multi_flags & MULTI_DIRTY_CAS) != 0;
}

Test(multi, touch_marks_only_the_watchers_of_that_key_and_db) {
    cr_assert_eq(watch_key_count, 0);
    cr_assert(watch(&clients[0], "a", "b", NULL));
    cr_assert(watch(&clients[1], "b", NULL));
    cr_assert_eq(watch_key_count, 3);
    store(1, "a", 0);                 /* same name, another database */
    store(0, "c", 0);                 /* another key */
    cr_assert(!dirty(&clients[0]));
    cr_assert(!dirty(&clients[1]));
    store(0, "b", 0);
    cr_assert(dirty(&clients[0]));
    cr_assert(dirty(&clients[1]));
    cr_assert(!dirty(&clients[2]));
}

Test(multi, duplicates_count_once_and_unwatch_releases) {
    cr_assert(watch(&clients[0], "a", "a", "b", NULL));
    cr_assert(watch(&clients[0], "b", NULL));
    cr_assert_eq(clients[0].watch_count, 2);
    cr_assert_eq(watch_key_count, 2);
    cr_assert_gt(server.input_heap.used_size, input_baseline);
    multi_unwatch_all(&clients[0]);
    cr_assert_eq(watch_key_count, 0);
    cr_assert_eq(clients[0].watch_head, WATCH_NONE);
    cr_assert_eq(server.input_heap.used_size, input_baseline);
    store(0, "a", 0);
    cr_assert(!dirty(&clients[0]));
}

Test(multi, pool_limit_at_and_past_it) {
    cr_assert(watch(&clients[0], "a", "b", NULL));
    cr_assert(watch(&clients[1], "c", "d", NULL));     /* exactly TEST_CAPACITY */
    cr_assert_eq(watch_key_count, TEST_CAPACITY);
    cr_assert(watch(&clients[1], "c", NULL));          /* already watched: no entry needed */
    cr_assert(!watch(&clients[2], "e", NULL));         /* one past */
    cr_assert_eq(clients[2].watch_count, 0);
    multi_unwatch_all(&clients[1]);
    /* A WATCH that does not fit as a whole watches none of its keys. */
    cr_assert(!watch(&clients[2], "e", "f", "g", NULL));
    cr_assert_eq(clients[2].watch_count, 0);
    cr_assert_eq(watch_key_count, 2);
    cr_assert(watch(&clients[2], "e", "f", NULL));
    cr_assert_eq(watch_key_count, TEST_CAPACITY);
    store(0, "g", 0);
    cr_assert(!dirty(&clients[2]));
    store(0, "f", 0);
    cr_assert(dirty(&clients[2]));
}

Test(multi, key_expired_when_watched) {
    int64_t now = server.keyspace.now_ms;
    store(0, "gone", now - 1);        /* logically expired, still in the index */
    store(0, "alive", now + 1000);
    cr_assert(watch(&clients[0], "gone", "alive", NULL));
    cr_assert(!multi_watched_key_expired(&clients[0]));
    /* Deleting the already-expired key is no logical change. */
    delete(0, "gone");
    cr_assert(!dirty(&clients[0]));
    /* Writing it afterwards is. */
    store(0, "gone", 0);
    cr_assert(dirty(&clients[0]));
    clients[0].multi_flags = 0;
    /* A key alive at WATCH that expires since counts as modified at EXEC. */
    server.keyspace.now_ms = now + 2000;
    cr_assert(multi_watched_key_expired(&clients[0]));
}

Test(multi, flush_and_swap_touch_present_keys) {
    store(0, "a", 0);
    cr_assert(watch(&clients[0], "a", NULL));
    cr_assert(watch(&clients[1], "missing", NULL));
    watch_touch_db(&dbs[0], NULL);
    cr_assert(dirty(&clients[0]));
    cr_assert(!dirty(&clients[1]));
    /* SWAPDB: a key that arrives from the other database counts too. */
    store(1, "missing", 0);
    watch_touch_db(&dbs[0], &dbs[1]);
    cr_assert(dirty(&clients[1]));
}

/* SET key value, its arguments inline in the client's input. */
static struct command *queue_setup(struct client *client) {
    static uint8_t bytes[] = "setkeyvalue";
    arguments[client->slot_index][0] = (struct slice){ .ptr = bytes, .size = 3 };
    arguments[client->slot_index][1] = (struct slice){ .ptr = bytes + 3, .size = 3 };
    arguments[client->slot_index][2] = (struct slice){ .ptr = bytes + 6, .size = 5 };
    client->argv.count = 3;
    client->input = bytes;
    client->input_capacity = sizeof(bytes);
    client->multi_flags = MULTI_ACTIVE;
    struct command *set = commands_lookup(slice_from_cstr("set"));
    cr_assert_not_null(set);
    return set;
}

Test(multi, queue_bounded_by_client_query_buffer_limit) {
    struct client *client = &clients[1];
    struct command *set = queue_setup(client);
    /* Each queued SET: a 32-byte header, 3 slices of 16 bytes, 3 + 3 + 5 bytes. */
    uint64_t each = 32 + 3 * sizeof(struct slice) + 11;
    server.config.client_query_buffer_limit = 2 * each;
    multi_queue(client, set, 0);
    multi_queue(client, set, 0);
    cr_assert_eq(client->multi_count, 2);
    cr_assert_eq(client->multi_size, 2 * each);             /* at the limit */
    cr_assert(!(client->multi_flags & MULTI_DIRTY_EXEC));
    multi_queue(client, set, 0);                             /* one past */
    cr_assert_eq(client->multi_count, 0);                    /* the whole queue goes */
    cr_assert(client->multi_flags & MULTI_DIRTY_EXEC);
    cr_assert_eq(server.input_heap.used_size, input_baseline);
    cr_assert_eq(client->reply.error_count, 1);
    multi_queue(client, set, 0);                             /* dirty: nothing kept */
    cr_assert_eq(client->multi_count, 0);
    multi_discard(client);
}

Test(multi, discard_frees_the_queue) {
    struct client *client = &clients[0];
    struct command *set = queue_setup(client);
    for (uint32_t round = 0; round < 5; round++) {
        multi_queue(client, set, 0);
    }
    cr_assert_eq(client->multi_count, 5);
    cr_assert_eq(client->output.pending_size, 5 * 9u);   /* +QUEUED\r\n x 5 */
    cr_assert(client->multi_flags & MULTI_HAS_DENYOOM);
    cr_assert_gt(server.input_heap.used_size, input_baseline);
    multi_discard(client);
    cr_assert_eq(client->multi_count, 0);
    cr_assert_eq(client->multi_size, 0);
    cr_assert_eq(client->multi_flags, 0);
    cr_assert_eq(server.input_heap.used_size, input_baseline);
}
