/*
 * test_db.c: unit tests for items and keyspaces (src/db.c): string encodings,
 * expiry fields, store/find/delete, lazy and active expiry, flush.
 *
 * The heap runs over an anonymous 64 MiB mapping (tests only), as in
 * test_heap.c; heap.used_size and heap.object_count tell whether every object
 * an operation made was freed again.
 */
#define _DEFAULT_SOURCE
#include "db.h"

#include "list.h"

#include <criterion/criterion.h>

#include "heap_mapping.h"

#define TEST_PAGE_COUNT ((uint32_t)(64 * MIB / HEAP_PAGE_SIZE))
#define TEST_DB_COUNT 4u
#define LARGE_SIZE (3u * ITEM_EMBEDDED_SIZE_MAX)

static struct heap heap;
static struct heap_mapping mapping;
static struct keyspace keyspace;
static struct db dbs[TEST_DB_COUNT];
static uint64_t baseline_used_size;
static uint64_t baseline_object_count;
static uint8_t large[LARGE_SIZE + 1];

static void setup(void) {
    heap_mapping_init(&mapping, &heap, TEST_PAGE_COUNT);
    cr_assert(keyspace_init(&keyspace, &heap, dbs, TEST_DB_COUNT));
    cr_assert_eq(keyspace.db_count, TEST_DB_COUNT);
    for (uint32_t index = 0; index < TEST_DB_COUNT; index++) {
        cr_assert_eq(dbs[index].id, index);
        cr_assert_eq(dbs[index].index.count, 0);
        cr_assert_eq(dbs[index].expires_count, 0);
    }
    baseline_used_size = heap.used_size;
    baseline_object_count = heap.object_count;
    for (uint32_t index = 0; index < sizeof(large); index++) {
        large[index] = (uint8_t)(index * 31 + 7);
    }
}

static void teardown(void) {
    heap_verify(&heap);
    heap_mapping_release(&mapping);
}

TestSuite(db, .init = setup, .fini = teardown);

/* ==== Helpers ==== */

static struct slice bytes_slice(const void *bytes, uint32_t size) {
    return (struct slice){ .ptr = bytes, .size = size };
}

static struct item *create(const char *key, struct slice value, int64_t expire_at_ms) {
    struct item *item = item_create_string(&heap, slice_from_cstr(key), value, expire_at_ms,
                                           NULL);
    cr_assert(item != NULL);
    return item;
}

static void expect_string(const struct item *item, struct slice value) {
    char digits[24];
    struct slice stored = item_string(item, digits);
    cr_assert(slice_equal(stored, value), "stored %u bytes '%.*s', expected %u bytes",
              stored.size, (int)MIN(stored.size, 40u), (const char *)stored.ptr, value.size);
}

/* SET key value [expiry]: replaces an existing key like the string commands do. */
static struct item *put(struct db *db, const char *name, struct slice value,
                        int64_t expire_at_ms) {
    struct slice key = slice_from_cstr(name);
    uint64_t hash = index_hash(key);
    struct item *old_item = db_find(&keyspace, db, key, hash);
    if (old_item == NULL) {
        cr_assert(db_prepare_insert(db, hash));
    }
    struct item *item = item_create_string(&heap, key, value, expire_at_ms, NULL);
    cr_assert(item != NULL);
    db_store(&keyspace, db, item, hash, old_item);
    return item;
}

static struct item *find(struct db *db, const char *name) {
    struct slice key = slice_from_cstr(name);
    return db_find(&keyspace, db, key, index_hash(key));
}

static void delete(struct db *db, const char *name) {
    struct item *item = find(db, name);
    cr_assert(item != NULL, "%s", name);
    struct slice key = slice_from_cstr(name);
    db_delete(&keyspace, db, item, index_hash(key));
}

static void key_name(char *name, uint32_t index) {
    snprintf(name, 32, "key:%u", index);
}

/* ==== Encodings ==== */

Test(db, canonical_ints_become_int) {
    static const struct {
        const char *text;
        int64_t value;
    } ints[] = {
        { "0", 0 },
        { "123", 123 },
        { "-5", -5 },
        { "9223372036854775807", INT64_MAX },
        { "-9223372036854775808", INT64_MIN },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(ints); index++) {
        struct slice value = slice_from_cstr(ints[index].text);
        int64_t parsed = 0;
        cr_assert(parse_int64(value.ptr, value.size, &parsed), "%s", ints[index].text);
        cr_assert_eq(parsed, ints[index].value);
        struct item *item = create("k", value, 0);
        cr_assert_eq(item->encoding, ITEM_ENCODING_INT, "%s", ints[index].text);
        cr_assert_eq(item->type, ITEM_STRING);
        cr_assert_eq(item_int(item), ints[index].value);
        cr_assert_eq(item_value_size(item), value.size);
        expect_string(item, value);
        item_free(&heap, item);
    }
    cr_assert_eq(heap.object_count, baseline_object_count);
}

Test(db, non_canonical_ints_stay_strings) {
    static const char *texts[] = {
        "0123", "+1", "1.0", "-0", "00", "", "-", " 1", "1 ", "1e3", "0x10",
        "9223372036854775808", "-9223372036854775809", "100000000000000000000",
        "-10000000000000000000", "123456789012345678901",
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(texts); index++) {
        struct slice value = slice_from_cstr(texts[index]);
        int64_t parsed = 777;
        cr_assert_not(parse_int64(value.ptr, value.size, &parsed), "'%s'", texts[index]);
        cr_assert_eq(parsed, 777);
        struct item *item = create("k", value, 0);
        cr_assert_eq(item->encoding, ITEM_ENCODING_EMBEDDED, "'%s'", texts[index]);
        expect_string(item, value);
        item_free(&heap, item);
    }
    cr_assert_eq(heap.object_count, baseline_object_count);
}

Test(db, embedded_up_to_the_limit_then_external) {
    struct item *small = create("k", slice_from_cstr("hello"), 0);
    cr_assert_eq(small->encoding, ITEM_ENCODING_EMBEDDED);
    expect_string(small, slice_from_cstr("hello"));

    struct slice at_limit = bytes_slice(large, ITEM_EMBEDDED_SIZE_MAX);
    struct item *embedded = create("k", at_limit, 0);
    cr_assert_eq(embedded->encoding, ITEM_ENCODING_EMBEDDED);
    cr_assert_eq(item_value_size(embedded), ITEM_EMBEDDED_SIZE_MAX);
    expect_string(embedded, at_limit);

    struct slice over_limit = bytes_slice(large, ITEM_EMBEDDED_SIZE_MAX + 1);
    uint64_t objects_before = heap.object_count;
    struct item *external = create("k", over_limit, 0);
    cr_assert_eq(external->encoding, ITEM_ENCODING_EXTERNAL);
    cr_assert_eq(heap.object_count, objects_before + 2); /* the item and its value */
    cr_assert(item_external(external) != large, "the value is copied");
    cr_assert_geq(heap_usable_size(&heap, item_external(external)), over_limit.size);
    cr_assert_eq(item_memory_size(&heap, external),
                 heap_usable_size(&heap, external) +
                     heap_usable_size(&heap, item_external(external)));
    expect_string(external, over_limit);

    item_free(&heap, small);
    item_free(&heap, embedded);
    item_free(&heap, external);
    cr_assert_eq(heap.object_count, baseline_object_count);
    cr_assert_eq(heap.used_size, baseline_used_size);
}

Test(db, external_value_is_adopted) {
    uint8_t *object = heap_alloc(&heap, LARGE_SIZE);
    cr_assert(object != NULL);
    memcpy(object, large, LARGE_SIZE);
    struct slice value = bytes_slice(object, LARGE_SIZE);
    struct item *item = item_create_string(&heap, slice_from_cstr("big"), value, 0, object);
    cr_assert(item != NULL);
    cr_assert_eq(item->encoding, ITEM_ENCODING_EXTERNAL);
    cr_assert_eq(item_external(item), object);
    cr_assert_eq(item_value_size(item), LARGE_SIZE);
    expect_string(item, bytes_slice(large, LARGE_SIZE));
    /* Freeing the item frees the adopted object too. */
    item_free(&heap, item);
    cr_assert_eq(heap.object_count, baseline_object_count);
    cr_assert_eq(heap.used_size, baseline_used_size);
}

Test(db, keys_and_payload_layout) {
    static const char key_bytes[] = "0123456789abcdefghijklmnopq";
    static const char *values[] = { "42", "text", "" };
    for (uint32_t key_size = 0; key_size <= 20; key_size++) {
        for (uint32_t index = 0; index < ARRAY_COUNT(values); index++) {
            for (int64_t expire = 0; expire <= 1; expire++) {
                struct slice key = bytes_slice(key_bytes, key_size);
                struct slice value = slice_from_cstr(values[index]);
                int64_t expire_at_ms = expire ? 1234567 : 0;
                struct item *item = item_create_string(&heap, key, value, expire_at_ms, NULL);
                cr_assert(item != NULL);
                cr_assert(slice_equal(item_key(item), key));
                cr_assert_eq(item_has_expire(item), expire == 1);
                cr_assert_eq(item_expire_at_ms(item), expire_at_ms);
                /* No padding: header, optional expiry, key, then the payload. */
                uint32_t payload = item->encoding == ITEM_ENCODING_INT ? 8 : value.size;
                cr_assert_eq(item_payload_offset(item) + payload,
                             sizeof(struct item) + (expire ? 8u : 0u) + key_size + payload);
                expect_string(item, value);
                item_free(&heap, item);
            }
        }
    }
    cr_assert_eq(heap.object_count, baseline_object_count);
}

Test(db, item_overhead_is_eight_bytes_plus_the_expiry) {
    /* A 16-byte key with a 32-byte value fills a 56-byte object exactly; a TTL adds 8. */
    struct slice key = slice_from_cstr("key:000000000001");
    char value_bytes[32];
    memset(value_bytes, 'v', sizeof(value_bytes));
    struct slice value = bytes_slice(value_bytes, sizeof(value_bytes));
    struct item *plain = item_create_string(&heap, key, value, 0, NULL);
    struct item *expiring = item_create_string(&heap, key, value, 99, NULL);
    cr_assert(plain != NULL && expiring != NULL);
    cr_assert_eq(heap_usable_size(&heap, plain), 56);
    cr_assert_eq(heap_usable_size(&heap, expiring), 64);
    item_free(&heap, plain);
    item_free(&heap, expiring);
}

Test(db, long_keys_keep_their_size_after_the_header) {
    /* 65534 bytes fit the header's 16 bits; 65535 and more move the size after it. */
    static const uint32_t sizes[] = { 65534, 65535, 65536, 200000 };
    for (uint32_t index = 0; index < ARRAY_COUNT(sizes); index++) {
        uint8_t *key_bytes = heap_alloc(&heap, sizes[index]);
        cr_assert(key_bytes != NULL);
        memset(key_bytes, 'a' + (int)index, sizes[index]);
        struct slice key = { .ptr = key_bytes, .size = sizes[index] };
        for (int64_t expire = 0; expire <= 1; expire++) {
            struct item *item = item_create_string(&heap, key, slice_from_cstr("value"),
                                                   expire ? 777 : 0, NULL);
            cr_assert(item != NULL);
            cr_assert_eq(item_key_size(item), sizes[index]);
            cr_assert(slice_equal(item_key(item), key));
            cr_assert_eq(item_expire_at_ms(item), expire ? 777 : 0);
            expect_string(item, slice_from_cstr("value"));
            item_free(&heap, item);
        }
        heap_free(&heap, key_bytes);
    }
    cr_assert_eq(heap.object_count, baseline_object_count);
}

Test(db, lru_idle_time_wraps_at_24_bits) {
    cr_assert_eq(item_lru_elapsed(100, 40), 60);
    cr_assert_eq(item_lru_elapsed(5, ITEM_LRU_MASK - 4), 10);
    cr_assert_eq(item_lru_elapsed(7, 7), 0);
}

/* ==== item_with_expire ==== */

static void check_with_expire(struct slice value, uint8_t encoding) {
    struct item *plain = create("some-key", value, 0);
    cr_assert_eq(plain->encoding, encoding);
    plain->lru_clock = 99;
    uint64_t objects = heap.object_count;

    struct item *expiring = item_with_expire(&heap, plain, 5000);
    cr_assert(expiring != NULL);
    cr_assert_neq(expiring, plain);
    cr_assert_eq(heap.object_count, objects + 1, "only the item is copied, not the value");
    cr_assert(item_has_expire(expiring));
    cr_assert_eq(item_expire_at_ms(expiring), 5000);
    cr_assert_eq(expiring->encoding, encoding);
    cr_assert_eq(expiring->type, ITEM_STRING);
    cr_assert_eq(expiring->lru_clock, 99);
    cr_assert(slice_equal(item_key(expiring), slice_from_cstr("some-key")));
    expect_string(expiring, value);
    /* The original is untouched. */
    cr_assert_not(item_has_expire(plain));
    expect_string(plain, value);

    struct item *persistent = item_with_expire(&heap, expiring, 0);
    cr_assert(persistent != NULL);
    cr_assert_not(item_has_expire(persistent));
    cr_assert_eq(item_expire_at_ms(persistent), 0);
    cr_assert_eq(persistent->encoding, encoding);
    cr_assert(slice_equal(item_key(persistent), slice_from_cstr("some-key")));
    expect_string(persistent, value);
    cr_assert_eq(heap_usable_size(&heap, persistent), heap_usable_size(&heap, plain));

    /* An EXTERNAL value is shared by the copies: free it once. */
    heap_free(&heap, expiring);
    heap_free(&heap, persistent);
    item_free(&heap, plain);
    cr_assert_eq(heap.object_count, baseline_object_count);
}

Test(db, with_expire_keeps_the_value) {
    check_with_expire(slice_from_cstr("-12345"), ITEM_ENCODING_INT);
    check_with_expire(slice_from_cstr("a value"), ITEM_ENCODING_EMBEDDED);
    check_with_expire(slice_from_cstr(""), ITEM_ENCODING_EMBEDDED);
    check_with_expire(bytes_slice(large, ITEM_EMBEDDED_SIZE_MAX), ITEM_ENCODING_EMBEDDED);
    check_with_expire(bytes_slice(large, LARGE_SIZE), ITEM_ENCODING_EXTERNAL);
}

/* ==== Keyspace ==== */

Test(db, store_find_delete) {
    struct db *db = &dbs[0];
    char name[32];
    char value[32];
    for (uint32_t index = 0; index < 3000; index++) {
        key_name(name, index);
        snprintf(value, sizeof(value), "value-%u", index);
        put(db, name, slice_from_cstr(value), 0);
    }
    cr_assert_eq(db->index.count, 3000);
    for (uint32_t index = 0; index < 3000; index++) {
        key_name(name, index);
        snprintf(value, sizeof(value), "value-%u", index);
        struct item *item = find(db, name);
        cr_assert(item != NULL, "%s", name);
        cr_assert(slice_equal(item_key(item), slice_from_cstr(name)));
        expect_string(item, slice_from_cstr(value));
        /* Databases are separate. */
        cr_assert_null(find(&dbs[1], name));
    }
    cr_assert_null(find(db, "absent"));
    for (uint32_t index = 0; index < 3000; index += 2) {
        key_name(name, index);
        delete(db, name);
    }
    cr_assert_eq(db->index.count, 1500);
    for (uint32_t index = 0; index < 3000; index++) {
        key_name(name, index);
        cr_assert_eq(find(db, name) != NULL, index % 2 == 1, "%s", name);
    }
    index_verify(&db->index);
    cr_assert_eq(keyspace.expired_keys, 0);
}

Test(db, replace_frees_the_old_item) {
    struct db *db = &dbs[0];
    put(db, "k", slice_from_cstr("first"), 0);
    uint64_t objects = heap.object_count;
    put(db, "k", slice_from_cstr("second"), 0);
    cr_assert_eq(heap.object_count, objects);
    expect_string(find(db, "k"), slice_from_cstr("second"));
    put(db, "k", bytes_slice(large, LARGE_SIZE), 0);
    cr_assert_eq(heap.object_count, objects + 1);
    put(db, "k", slice_from_cstr("17"), 0);
    cr_assert_eq(heap.object_count, objects);
    cr_assert_eq(find(db, "k")->encoding, ITEM_ENCODING_INT);
    cr_assert_eq(db->index.count, 1);
    delete(db, "k");
    cr_assert_eq(db->index.count, 0);
    cr_assert_eq(heap.object_count, baseline_object_count);
    cr_assert_eq(heap.used_size, baseline_used_size);
}

/* Regression: EXPIRE on an EXTERNAL string stores a copy that shares the value. */
Test(db, store_with_expire_copy_keeps_external_value) {
    struct db *db = &dbs[0];
    struct item *item = put(db, "big", bytes_slice(large, LARGE_SIZE), 0);
    uint8_t *value = item_external(item);
    uint64_t objects = heap.object_count;
    struct item *changed = item_with_expire(&heap, item, 10000);
    cr_assert(changed != NULL);
    db_store(&keyspace, db, changed, index_hash(slice_from_cstr("big")), item);
    cr_assert_eq(heap.object_count, objects, "only the old item's shell was freed");
    cr_assert_eq(db->expires_count, 1);
    struct item *found = find(db, "big");
    cr_assert_eq(found, changed);
    cr_assert_eq(item_external(found), value);
    expect_string(found, bytes_slice(large, LARGE_SIZE));
    delete(db, "big");
    cr_assert_eq(db->expires_count, 0);
    cr_assert_eq(heap.object_count, baseline_object_count);
}

Test(db, expires_count_follows_every_change) {
    struct db *db = &dbs[2];
    put(db, "a", slice_from_cstr("1"), 5000);
    cr_assert_eq(db->expires_count, 1);
    put(db, "a", slice_from_cstr("2"), 6000); /* replaced: still one */
    cr_assert_eq(db->expires_count, 1);
    put(db, "a", slice_from_cstr("3"), 0);    /* SET without expiry drops it */
    cr_assert_eq(db->expires_count, 0);
    put(db, "b", slice_from_cstr("x"), 7000);
    put(db, "c", slice_from_cstr("y"), 8000);
    cr_assert_eq(db->expires_count, 2);

    /* PERSIST-like: a copy without the field replaces the item. */
    struct item *item = find(db, "b");
    struct item *persistent = item_with_expire(&heap, item, 0);
    db_store(&keyspace, db, persistent, index_hash(slice_from_cstr("b")), item);
    cr_assert_eq(db->expires_count, 1);
    /* EXPIRE-like on a key without one. */
    item = find(db, "a");
    struct item *expiring = item_with_expire(&heap, item, 9000);
    db_store(&keyspace, db, expiring, index_hash(slice_from_cstr("a")), item);
    cr_assert_eq(db->expires_count, 2);

    delete(db, "c");
    cr_assert_eq(db->expires_count, 1);
    delete(db, "a");
    cr_assert_eq(db->expires_count, 0);
    delete(db, "b");
    cr_assert_eq(db->expires_count, 0);
    cr_assert_eq(dbs[0].expires_count, 0);
}

Test(db, lazy_expiry) {
    struct db *db = &dbs[1];
    keyspace.now_ms = 1000;
    put(db, "k", slice_from_cstr("v"), 2000);
    put(db, "other", slice_from_cstr("w"), 0);
    uint64_t objects = heap.object_count;
    keyspace.now_ms = 1999;
    cr_assert_not_null(find(db, "k"));
    cr_assert_eq(keyspace.expired_keys, 0);

    keyspace.now_ms = 2000; /* expire_at <= now: gone */
    cr_assert_null(find(db, "k"));
    cr_assert_eq(keyspace.expired_keys, 1);
    cr_assert_eq(db->expires_count, 0);
    cr_assert_eq(db->index.count, 1);
    cr_assert_eq(heap.object_count, objects - 1);
    /* Once deleted, a lookup is a plain miss. */
    cr_assert_null(find(db, "k"));
    cr_assert_eq(keyspace.expired_keys, 1);
    cr_assert_not_null(find(db, "other"));
}

Test(db, active_expiry_removes_only_expired_keys) {
    keyspace.now_ms = 1000;
    char name[32];
    /* Per database: 1000 past (after now moves), 1000 future, 1000 without expiry. */
    uint32_t used_dbs[] = { 0, 2 };
    for (uint32_t db_slot = 0; db_slot < ARRAY_COUNT(used_dbs); db_slot++) {
        struct db *db = &dbs[used_dbs[db_slot]];
        for (uint32_t index = 0; index < 3000; index++) {
            key_name(name, index);
            int64_t expire_at_ms = index % 3 == 0 ? 1500 : index % 3 == 1 ? 1000000 : 0;
            put(db, name, slice_from_cstr("v"), expire_at_ms);
        }
        cr_assert_eq(db->expires_count, 2000);
    }
    keyspace.now_ms = 2000;
    uint64_t expired = 0;
    uint32_t steps = 0;
    for (; steps < 10000 && expired < 2000; steps++) {
        uint32_t count = db_expire_step(&keyspace);
        cr_assert_leq(count, 2 * DB_EXPIRE_ITEMS_MAX);
        expired += count;
    }
    cr_assert_eq(expired, 2000, "after %u steps", steps);
    cr_assert_gt(steps, 1, "the work is spread over steps");
    cr_assert_eq(keyspace.expired_keys, 2000);
    /* Nothing more to do. */
    for (uint32_t extra = 0; extra < 50; extra++) {
        cr_assert_eq(db_expire_step(&keyspace), 0);
    }
    for (uint32_t db_slot = 0; db_slot < ARRAY_COUNT(used_dbs); db_slot++) {
        struct db *db = &dbs[used_dbs[db_slot]];
        cr_assert_eq(db->index.count, 2000);
        cr_assert_eq(db->expires_count, 1000);
        index_verify(&db->index);
        uint64_t found = 0;
        for (uint32_t index = 0; index < 3000; index++) {
            key_name(name, index);
            struct item *item = find(db, name);
            if (index % 3 == 0) {
                cr_assert_null(item, "%s", name);
            } else {
                cr_assert_not_null(item, "%s", name);
                found++;
            }
        }
        cr_assert_eq(found, 2000);
    }
    cr_assert_eq(keyspace.expired_keys, 2000);
}

Test(db, active_expiry_skips_databases_without_expires) {
    put(&dbs[3], "k", slice_from_cstr("v"), 0);
    keyspace.now_ms = INT64_MAX;
    cr_assert_eq(db_expire_step(&keyspace), 0);
    cr_assert_not_null(find(&dbs[3], "k"));
}

Test(db, flush_empties_one_database) {
    char name[32];
    for (uint32_t index = 0; index < 5000; index++) {
        key_name(name, index);
        put(&dbs[1], name, index % 100 == 0 ? bytes_slice(large, LARGE_SIZE)
                                            : slice_from_cstr("value"),
            index % 2 == 0 ? 100000 : 0);
    }
    put(&dbs[0], "keep", slice_from_cstr("me"), 100000);
    cr_assert_eq(dbs[1].expires_count, 2500);
    cr_assert_gt(dbs[1].index.segment_count, 1);

    db_flush(&keyspace, &dbs[1]);
    cr_assert_eq(dbs[1].index.count, 0);
    cr_assert_eq(dbs[1].expires_count, 0);
    cr_assert_null(find(&dbs[1], "key:1"));
    cr_assert_not_null(find(&dbs[0], "keep"));
    cr_assert_eq(dbs[0].expires_count, 1);
    index_verify(&dbs[1].index);

    /* The flushed database works as new. */
    put(&dbs[1], "again", slice_from_cstr("x"), 5);
    cr_assert_eq(dbs[1].expires_count, 1);
    expect_string(find(&dbs[1], "again"), slice_from_cstr("x"));

    db_flush(&keyspace, &dbs[1]);
    db_flush(&keyspace, &dbs[0]);
    cr_assert_eq(heap.used_size, baseline_used_size);
    cr_assert_eq(heap.object_count, baseline_object_count);
}

/* ==== RENAME, MOVE, SWAPDB, RANDOMKEY, COPY ==== */

static uint64_t hash_of(const char *name) {
    return index_hash(slice_from_cstr(name));
}

/* A list item stored under `name` holding `count` elements "e<n>". */
static struct item *put_list(struct db *db, const char *name, uint32_t count,
                             int64_t expire_at_ms) {
    struct list *list = list_create(&heap);
    cr_assert(list != NULL);
    char element[32];
    for (uint32_t index = 0; index < count; index++) {
        snprintf(element, sizeof(element), "e%u", index);
        cr_assert(list_push(&heap, list, LIST_TAIL, slice_from_cstr(element)));
    }
    struct slice key = slice_from_cstr(name);
    uint64_t hash = index_hash(key);
    cr_assert_null(db_find(&keyspace, db, key, hash));
    cr_assert(db_prepare_insert(db, hash));
    struct item *item = item_create_object(&heap, ITEM_LIST, key, list, expire_at_ms);
    cr_assert(item != NULL);
    db_store(&keyspace, db, item, hash, NULL);
    return item;
}

static void expect_list(const struct item *item, uint32_t count) {
    cr_assert_eq(item->type, ITEM_LIST);
    const struct list *list = item_object(item);
    cr_assert_eq(list_length(list), count);
    list_verify(&heap, list);
    char element[32];
    for (uint32_t index = 0; index < count; index++) {
        snprintf(element, sizeof(element), "e%u", index);
        cr_assert(slice_equal(list_index(list, index), slice_from_cstr(element)));
    }
}

Test(db, rename_moves_value_and_expiry) {
    struct db *db = &dbs[0];
    struct item *item = put(db, "a", bytes_slice(large, LARGE_SIZE), 123456);
    uint8_t *value = item_external(item);
    uint64_t objects = heap.object_count;
    cr_assert(db_rename(&keyspace, db, item, hash_of("a"), slice_from_cstr("a-new-name"),
                        hash_of("a-new-name"), NULL));
    cr_assert_null(find(db, "a"));
    struct item *renamed = find(db, "a-new-name");
    cr_assert_not_null(renamed);
    cr_assert_eq(item_external(renamed), value, "the value moved, not copied");
    cr_assert_eq(item_expire_at_ms(renamed), 123456);
    cr_assert_eq(db->expires_count, 1);
    cr_assert_eq(db->index.count, 1);
    cr_assert_eq(heap.object_count, objects);
    expect_string(renamed, bytes_slice(large, LARGE_SIZE));
    /* Embedded and int payloads are copied into the new item. */
    struct item *small = put(db, "s", slice_from_cstr("payload"), 0);
    cr_assert(db_rename(&keyspace, db, small, hash_of("s"), slice_from_cstr("t"), hash_of("t"),
                        NULL));
    expect_string(find(db, "t"), slice_from_cstr("payload"));
    struct item *number = put(db, "n", slice_from_cstr("-42"), 0);
    cr_assert(db_rename(&keyspace, db, number, hash_of("n"), slice_from_cstr(""), hash_of(""),
                        NULL));
    cr_assert_eq(item_int(find(db, "")), -42);
    index_verify(&db->index);
}

Test(db, rename_replaces_the_target) {
    struct db *db = &dbs[1];
    struct item *source = put_list(db, "l", 500, 0);
    put(db, "target", bytes_slice(large, LARGE_SIZE), 99999);
    const void *list = item_object(source);
    uint64_t objects = heap.object_count;
    uint64_t target_objects = 2; /* the target item and its external value */
    struct item *target = find(db, "target");
    cr_assert(db_rename(&keyspace, db, source, hash_of("l"), slice_from_cstr("target"),
                        hash_of("target"), target));
    cr_assert_eq(heap.object_count, objects - target_objects);
    struct item *renamed = find(db, "target");
    cr_assert_eq(item_object(renamed), list);
    cr_assert_eq(item_has_expire(renamed), false);
    cr_assert_eq(db->expires_count, 0);
    cr_assert_eq(db->index.count, 1);
    expect_list(renamed, 500);
}

Test(db, rename_into_a_full_heap_changes_nothing) {
    struct db *db = &dbs[0];
    struct item *item = put(db, "k", slice_from_cstr("value"), 5000);
    /* Fill the heap: objects of shrinking sizes until even 8 bytes fail. */
    uint64_t sizes[] = { 4 * MIB, 256 * KIB, 64 * KIB, 8 * KIB, 1024, 128, 8 };
    for (uint32_t size_index = 0; size_index < ARRAY_COUNT(sizes); size_index++) {
        for (uint32_t count = 0; count < 10000000; count++) {
            if (heap_alloc(&heap, sizes[size_index]) == NULL) {
                break;
            }
        }
    }
    uint64_t objects = heap.object_count;
    char long_name[3000];
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = 0;
    cr_assert_not(db_rename(&keyspace, db, item, hash_of("k"), slice_from_cstr(long_name),
                            hash_of(long_name), NULL));
    cr_assert_eq(heap.object_count, objects);
    cr_assert_eq(find(db, "k"), item);
    cr_assert_null(find(db, long_name));
    cr_assert_eq(db->expires_count, 1);
    cr_assert_eq(db->index.count, 1);
    cr_assert_null(item_duplicate(&heap, item, slice_from_cstr(long_name), 0));
    cr_assert_eq(heap.object_count, objects);
}

Test(db, move_relinks_the_item) {
    struct item *item = put(&dbs[0], "k", slice_from_cstr("v"), 777);
    put(&dbs[0], "stay", slice_from_cstr("w"), 0);
    uint64_t objects = heap.object_count;
    cr_assert(db_move(&keyspace, &dbs[0], &dbs[2], item, hash_of("k")));
    cr_assert_eq(heap.object_count, objects, "no copy");
    cr_assert_null(find(&dbs[0], "k"));
    cr_assert_eq(find(&dbs[2], "k"), item);
    cr_assert_eq(dbs[0].expires_count, 0);
    cr_assert_eq(dbs[2].expires_count, 1);
    cr_assert_eq(dbs[0].index.count, 1);
    cr_assert_eq(dbs[2].index.count, 1);
    /* Many moves: the target's index grows through splits. */
    char name[32];
    for (uint32_t index = 0; index < 5000; index++) {
        key_name(name, index);
        put(&dbs[1], name, slice_from_cstr("x"), index % 2 == 0 ? 1000 : 0);
    }
    for (uint32_t index = 0; index < 5000; index++) {
        key_name(name, index);
        struct item *moving = find(&dbs[1], name);
        cr_assert(db_move(&keyspace, &dbs[1], &dbs[3], moving, hash_of(name)));
    }
    cr_assert_eq(dbs[1].index.count, 0);
    cr_assert_eq(dbs[3].index.count, 5000);
    cr_assert_eq(dbs[1].expires_count, 0);
    cr_assert_eq(dbs[3].expires_count, 2500);
    index_verify(&dbs[3].index);
}

Test(db, swap_exchanges_contents_and_keeps_ids) {
    put(&dbs[0], "zero", slice_from_cstr("0"), 1000);
    char name[32];
    for (uint32_t index = 0; index < 3000; index++) {
        key_name(name, index);
        put(&dbs[1], name, slice_from_cstr("1"), 0);
    }
    struct db *first = &dbs[0];
    db_swap(&dbs[0], &dbs[1]);
    cr_assert_eq(first, &dbs[0], "a client's pointer stays valid");
    cr_assert_eq(dbs[0].id, 0);
    cr_assert_eq(dbs[1].id, 1);
    cr_assert_eq(dbs[0].index.count, 3000);
    cr_assert_eq(dbs[1].index.count, 1);
    cr_assert_eq(dbs[0].expires_count, 0);
    cr_assert_eq(dbs[1].expires_count, 1);
    cr_assert_not_null(find(&dbs[1], "zero"));
    cr_assert_not_null(find(&dbs[0], "key:17"));
    cr_assert_null(find(&dbs[0], "zero"));
    index_verify(&dbs[0].index);
    index_verify(&dbs[1].index);
    /* Expiry follows the contents. */
    keyspace.now_ms = 5000;
    cr_assert_null(find(&dbs[1], "zero"));
    cr_assert_eq(dbs[1].expires_count, 0);
}

Test(db, random_returns_live_keys_and_deletes_expired_ones) {
    struct db *db = &dbs[0];
    cr_assert_null(db_random(&keyspace, db, 1));
    put(db, "only", slice_from_cstr("v"), 0);
    cr_assert_eq(db_random(&keyspace, db, 2), find(db, "only"));
    keyspace.now_ms = 100;
    char name[32];
    for (uint32_t index = 0; index < 2000; index++) {
        key_name(name, index);
        put(db, name, slice_from_cstr("v"), 200);
    }
    keyspace.now_ms = 300;
    struct item *item = db_random(&keyspace, db, 3);
    cr_assert(slice_equal(item_key(item), slice_from_cstr("only")));
    cr_assert_eq(db->index.count + keyspace.expired_keys, 2001);
    delete(db, "only");
    /* Only expired keys: all of them go, and the answer is none. */
    cr_assert_null(db_random(&keyspace, db, 4));
    cr_assert_eq(db->index.count, 0);
    cr_assert_eq(db->expires_count, 0);
    cr_assert_eq(keyspace.expired_keys, 2000);
}

Test(db, peek_does_not_touch_the_lru_clock) {
    keyspace.lru_clock = 10;
    put(&dbs[0], "k", slice_from_cstr("v"), 0);
    keyspace.lru_clock = 20;
    struct slice key = slice_from_cstr("k");
    struct item *item = db_peek(&keyspace, &dbs[0], key, index_hash(key));
    cr_assert_eq(item->lru_clock, 10);
    cr_assert_eq(find(&dbs[0], "k")->lru_clock, 20);
    keyspace.now_ms = 10;
    put(&dbs[0], "e", slice_from_cstr("v"), 20);
    keyspace.now_ms = 20;
    struct slice expired = slice_from_cstr("e");
    cr_assert_null(db_peek(&keyspace, &dbs[0], expired, index_hash(expired)));
    cr_assert_eq(keyspace.expired_keys, 1);
}

Test(db, duplicate_is_deep) {
    struct db *db = &dbs[0];
    struct slice values[] = { slice_from_cstr("12"), slice_from_cstr("text"),
                              bytes_slice(large, LARGE_SIZE) };
    for (uint32_t index = 0; index < ARRAY_COUNT(values); index++) {
        struct item *item = put(db, "s", values[index], 0);
        struct item *copy = item_duplicate(&heap, item, slice_from_cstr("copy"), 4321);
        cr_assert_not_null(copy);
        cr_assert_eq(copy->encoding, item->encoding);
        cr_assert_eq(item_expire_at_ms(copy), 4321);
        cr_assert(slice_equal(item_key(copy), slice_from_cstr("copy")));
        delete(db, "s");
        expect_string(copy, values[index]);
        item_free(&heap, copy);
    }
    struct item *list_item = put_list(db, "l", 3000, 0);
    uint64_t objects = heap.object_count;
    struct item *copy = item_duplicate(&heap, list_item, slice_from_cstr("m"), 0);
    cr_assert_not_null(copy);
    cr_assert_neq(item_object(copy), item_object(list_item));
    cr_assert_gt(heap.object_count, objects + 2);
    delete(db, "l");
    expect_list(copy, 3000);
    item_free(&heap, copy);
    cr_assert_eq(heap.object_count, baseline_object_count);
    cr_assert_eq(heap.used_size, baseline_used_size);
}

/* SCAN across a FLUSHDB: the index shrinks, the cursor resumes mid-segment. */
Test(db, scan_after_flush_returns_later_keys_once) {
    struct db *db = &dbs[0];
    char name[32];
    for (uint32_t index = 0; index < 100000; index++) {
        key_name(name, index);
        put(db, name, slice_from_cstr("v"), 0);
    }
    uint32_t depth_before = db->index.global_depth;
    struct item *batch[INDEX_SEGMENT_FILL_MAX];
    uint64_t position = 0;
    for (uint32_t call = 0; call < 5; call++) {
        (void)index_scan(&db->index, position, batch, &position);
    }
    uint64_t flush_position = position;
    db_flush(&keyspace, db);
    for (uint32_t index = 0; index < 3000; index++) {
        key_name(name, index);
        put(db, name, slice_from_cstr("v"), 0);
    }
    cr_assert_lt(db->index.global_depth, depth_before);
    uint32_t found = 0;
    for (uint32_t call = 0; call < db->index.segment_count && position != 0; call++) {
        uint32_t count = index_scan(&db->index, position, batch, &position);
        for (uint32_t index = 0; index < count; index++) {
            cr_assert_geq(index_hash(item_key(batch[index])), flush_position);
            batch[index]->string_hint++; /* a spare byte as a visit counter */
            found++;
        }
    }
    cr_assert_eq(position, 0);
    uint32_t expected = 0;
    for (uint32_t index = 0; index < 3000; index++) {
        key_name(name, index);
        struct item *item = find(db, name);
        bool later = hash_of(name) >= flush_position;
        expected += later ? 1u : 0u;
        cr_assert_eq(item->string_hint, later ? 1 : 0, "%s", name);
    }
    cr_assert_eq(found, expected);
    cr_assert_gt(expected, 0);
}

/* ==== Compaction ==== */

/* The value stored under key `index` in database `db_index`: distinct per database. */
static void compact_value(char *value, uint32_t db_index, uint32_t index) {
    snprintf(value, 64, "value-%u-%u-padding-to-fill-the-object", db_index, index);
}

Test(db, compaction_moves_items_and_keeps_every_key) {
    /* The same key names in two databases: a move must re-point the right index. */
    uint32_t count = 6000;
    char name[32];
    char value[64];
    for (uint32_t db_index = 0; db_index < 2; db_index++) {
        for (uint32_t index = 0; index < count; index++) {
            key_name(name, index);
            compact_value(value, db_index, index);
            put(&dbs[db_index], name, slice_from_cstr(value), db_index == 1 ? 999999999 : 0);
        }
    }
    /* Thin out every slab: delete 4 keys of 5 in both databases. */
    for (uint32_t db_index = 0; db_index < 2; db_index++) {
        for (uint32_t index = 0; index < count; index++) {
            if (index % 5 != 0) {
                key_name(name, index);
                delete(&dbs[db_index], name);
            }
        }
    }
    cr_assert_eq(db_compact_step(&keyspace, 1000), 0, "free pages are plentiful");
    heap.compact_free_pages_min = heap.page_count;
    uint32_t moved = 0;
    for (uint32_t round = 0; round < 1000; round++) {
        uint32_t step = db_compact_step(&keyspace, 64);
        cr_assert_leq(step, 64);
        moved += step;
        if (step == 0) {
            break;
        }
    }
    cr_assert_gt(moved, 0);
    cr_assert_gt(heap.evacuation.slabs_emptied, 1);
    heap_verify(&heap);
    for (uint32_t db_index = 0; db_index < 2; db_index++) {
        index_verify(&dbs[db_index].index);
        cr_assert_eq(dbs[db_index].index.count, count / 5);
        for (uint32_t index = 0; index < count; index += 5) {
            key_name(name, index);
            compact_value(value, db_index, index);
            struct item *item = find(&dbs[db_index], name);
            cr_assert(item != NULL, "%s", name);
            expect_string(item, slice_from_cstr(value));
            cr_assert_eq(item_expire_at_ms(item), db_index == 1 ? 999999999 : 0);
        }
    }
    /* Movable slabs of the items' class are now dense: nothing more is wanted. */
    cr_assert_not(heap_compaction_wanted(&heap) && heap_evacuation_start(&heap));
    heap.compact_free_pages_min = 2;
}
