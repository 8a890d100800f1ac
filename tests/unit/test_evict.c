/*
 * test_evict.c: unit tests for eviction (src/evict.c): which key each
 * maxmemory-policy removes, where evict_until stops, its per-call bound, the
 * evicted_keys counter, several databases, and the wrap of the 24-bit LRU clock.
 *
 * Sampling is pseudo-random but deterministic: each test fixes
 * keyspace.random_state and the hash seed is the unit-test default, so the same
 * keys are drawn on every run. Orders are checked on keyspaces of at most 10
 * keys with maxmemory-samples 64 (draws with replacement: every key is drawn
 * with overwhelming probability), and the LRU and LFU orders under several
 * seeds. Every check names the keys that must go and the ones that must stay.
 *
 * "Evict one" means a target of used_size - 1 with nothing incoming: any key
 * frees at least one byte, so exactly one key goes.
 */
#define _DEFAULT_SOURCE
#include "evict.h"

#include <criterion/criterion.h>

#include "heap_mapping.h"
#include <stdio.h>

#define TEST_PAGE_COUNT ((uint32_t)(64 * MIB / HEAP_PAGE_SIZE))
#define TEST_DB_COUNT 8u
#define KEY_NAME_SIZE 16u
#define ORDER_KEYS_MAX 16u  /* keys an order check follows */
#define SAMPLES_ALL 64u     /* maxmemory-samples large enough to see every key of 10 */
#define MINUTE_MS ((int64_t)60000)
#define NOW_MS ((int64_t)1764000000000) /* 2025-11-24, a realistic clock */
#define LRU_NOW 100000u

static struct heap heap;
static struct heap_mapping mapping;
static struct keyspace keyspace;
static struct db dbs[TEST_DB_COUNT];
static uint64_t baseline_object_count;

static void setup(void) {
    heap_mapping_init(&mapping, &heap, TEST_PAGE_COUNT);
    cr_assert(keyspace_init(&keyspace, &heap, dbs, TEST_DB_COUNT));
    keyspace.now_ms = NOW_MS;
    keyspace.lru_clock = LRU_NOW;
    keyspace.lfu_log_factor = 10;
    keyspace.lfu_decay_time = 1;
    keyspace.random_state = 42;
    baseline_object_count = heap.object_count;
}

static void teardown(void) {
    heap_verify(&heap);
    heap_mapping_release(&mapping);
}

TestSuite(evict, .init = setup, .fini = teardown);

/* ==== Helpers ==== */

/* key:<number> in database db. */
struct test_key {
    uint32_t db;
    uint32_t number;
};

static struct slice key_name(char *name, uint32_t number) {
    int size = snprintf(name, KEY_NAME_SIZE, "key:%04u", number);
    cr_assert(size > 0 && size < (int)KEY_NAME_SIZE);
    return (struct slice){ .ptr = (const uint8_t *)name, .size = (uint32_t)size };
}

/* SET key:<number> value [expiry] as a new key; every key has the same size. */
static struct item *put(uint32_t db, uint32_t number, int64_t expire_at_ms) {
    char name[KEY_NAME_SIZE];
    struct slice key = key_name(name, number);
    uint64_t hash = index_hash(key);
    cr_assert(index_find(&dbs[db].index, key, hash) == NULL);
    cr_assert(db_prepare_insert(&dbs[db], hash));
    struct item *item = item_create_string(&heap, key, slice_from_cstr("value"), expire_at_ms,
                                           NULL);
    cr_assert(item != NULL);
    db_store(&keyspace, &dbs[db], item, hash, NULL);
    return item;
}

/* The item, without touching it (no LRU/LFU update, no lazy expiry). */
static struct item *lookup(uint32_t db, uint32_t number) {
    char name[KEY_NAME_SIZE];
    struct slice key = key_name(name, number);
    return index_find(&dbs[db].index, key, index_hash(key));
}

/* A read (GET): db_find updates the access field as commands do. */
static void touch(uint32_t db, uint32_t number) {
    char name[KEY_NAME_SIZE];
    struct slice key = key_name(name, number);
    cr_assert(db_find(&keyspace, &dbs[db], key, index_hash(key)) != NULL, "key:%04u", number);
}

static void set_access(uint32_t db, uint32_t number, uint32_t access) {
    struct item *item = lookup(db, number);
    cr_assert(item != NULL);
    cr_assert_leq(access, ITEM_LRU_MASK);
    item->lru_clock = access & ITEM_LRU_MASK;
}

/* The LFU access field: minutes since the epoch (16 bits) << 8 | counter. */
static uint32_t lfu_field(int64_t time_ms, uint32_t counter) {
    cr_assert_leq(counter, 255u);
    return (uint32_t)(((time_ms / MINUTE_MS) & 0xffff) << 8) | counter;
}

static uint64_t key_count(void) {
    uint64_t count = 0;
    for (uint32_t db = 0; db < TEST_DB_COUNT; db++) {
        count += dbs[db].index.count;
    }
    return count;
}

/* Evicts exactly one key and returns its position in keys[] (gone[] marks those evicted). */
static uint32_t evict_one(enum maxmemory_policy policy, uint32_t samples,
                          const struct test_key *keys, uint32_t count, bool *gone) {
    uint64_t evicted_before = keyspace.evicted_keys;
    uint64_t keys_before = key_count();
    uint64_t used_before = heap.used_size;
    enum evict_result result = evict_until(&keyspace, policy, samples, used_before - 1, 0);
    cr_assert_eq(result, EVICT_OK, "policy %d: result %d", policy, result);
    cr_assert_eq(keyspace.evicted_keys, evicted_before + 1);
    cr_assert_eq(key_count(), keys_before - 1);
    cr_assert_lt(heap.used_size, used_before);
    uint32_t found = UINT32_MAX;
    for (uint32_t position = 0; position < count; position++) {
        if (!gone[position] && lookup(keys[position].db, keys[position].number) == NULL) {
            cr_assert_eq(found, UINT32_MAX, "two keys went in one eviction");
            found = position;
        }
    }
    cr_assert_neq(found, UINT32_MAX, "the evicted key was not one of the test's keys");
    gone[found] = true;
    return found;
}

/* Evicts order_count keys one by one; the i-th must be keys[order[i]]. */
static void expect_order(enum maxmemory_policy policy, uint32_t samples,
                         const struct test_key *keys, uint32_t count, const uint32_t *order,
                         uint32_t order_count) {
    bool gone[ORDER_KEYS_MAX] = { false };
    cr_assert_leq(count, ORDER_KEYS_MAX);
    for (uint32_t step = 0; step < order_count; step++) {
        uint32_t position = evict_one(policy, samples, keys, count, gone);
        cr_assert_eq(position, order[step],
                     "policy %d, eviction %u: key:%04u (db %u) went, expected key:%04u (db %u)",
                     policy, step, keys[position].number, keys[position].db,
                     keys[order[step]].number, keys[order[step]].db);
    }
}

/* keys[i] = key:<i> in database db. */
static void keys_in_db(struct test_key *keys, uint32_t count, uint32_t db) {
    for (uint32_t number = 0; number < count; number++) {
        keys[number] = (struct test_key){ .db = db, .number = number };
    }
}

/* ==== allkeys-lru ==== */

/*
 * Ten keys written at one clock; nine are read later, one at a time, one
 * second apart (db_find sets the access field from keyspace.lru_clock). The
 * one never read is the idlest and goes first; the rest go in the order they
 * were last read. Checked under several seeds.
 */
Test(evict, allkeys_lru_evicts_idlest_first) {
    static const uint32_t reads[] = { 3, 9, 0, 5, 1, 8, 2, 6, 4 };
    static const uint32_t order[] = { 7, 3, 9, 0, 5, 1, 8, 2, 6, 4 };
    static const uint64_t seeds[] = { 42, 1, 7, 0x9e3779b97f4a7c15ull, 123456789 };
    struct test_key keys[10];
    keys_in_db(keys, 10, 0);
    for (uint32_t seed_index = 0; seed_index < ARRAY_COUNT(seeds); seed_index++) {
        keyspace.random_state = seeds[seed_index];
        keyspace.lru_clock = 1000;
        for (uint32_t number = 0; number < 10; number++) {
            put(0, number, 0);
        }
        for (uint32_t read = 0; read < ARRAY_COUNT(reads); read++) {
            keyspace.lru_clock = 2000 + read;
            touch(0, reads[read]);
        }
        keyspace.lru_clock = 3000;
        cr_assert_eq(item_lru_elapsed(keyspace.lru_clock, lookup(0, 7)->lru_clock), 2000u);
        cr_assert_eq(item_lru_elapsed(keyspace.lru_clock, lookup(0, 3)->lru_clock), 1000u);
        expect_order(POLICY_ALLKEYS_LRU, SAMPLES_ALL, keys, 10, order, 10);
        cr_assert_eq(dbs[0].index.count, 0);
    }
    cr_assert_eq(keyspace.evicted_keys, 10u * ARRAY_COUNT(seeds));
    cr_assert_eq(heap.object_count, baseline_object_count);
}

/*
 * The access field is 24 bits of seconds: a key touched just before the clock
 * wraps holds a large raw value, yet it is idler than one touched just after.
 */
Test(evict, lru_clock_wrap_keeps_idle_order) {
    static const uint32_t order[] = { 0, 1, 2, 3 };
    struct test_key keys[4];
    keys_in_db(keys, 4, 0);
    keyspace.lru_clock = ITEM_LRU_MASK - 100;
    put(0, 0, 0);                        /* idle 121 s at the end */
    keyspace.lru_clock = ITEM_LRU_MASK - 9;
    put(0, 1, 0);                        /* idle 30 s: just before the wrap */
    keyspace.lru_clock = 5;
    put(0, 2, 0);                        /* idle 15 s: just after it */
    keyspace.lru_clock = 19;
    put(0, 3, 0);                        /* idle 1 s */
    keyspace.lru_clock = 20;
    cr_assert_gt(lookup(0, 1)->lru_clock, lookup(0, 2)->lru_clock, "raw values wrapped");
    cr_assert_eq(item_lru_elapsed(keyspace.lru_clock, lookup(0, 0)->lru_clock), 121u);
    cr_assert_eq(item_lru_elapsed(keyspace.lru_clock, lookup(0, 1)->lru_clock), 30u);
    cr_assert_eq(item_lru_elapsed(keyspace.lru_clock, lookup(0, 2)->lru_clock), 15u);
    cr_assert_eq(item_lru_elapsed(keyspace.lru_clock, lookup(0, 3)->lru_clock), 1u);
    expect_order(POLICY_ALLKEYS_LRU, SAMPLES_ALL, keys, 4, order, 4);
}

/* ==== allkeys-lfu ==== */

/*
 * lfu-log-factor 0 makes every access count (probability 1), so the counters
 * are exact: 5 (LFU_INIT_VAL) + reads. Keys go in the order of their counts,
 * the key never read (counter 5) first, although the least-read keys were
 * read most recently.
 */
Test(evict, allkeys_lfu_evicts_least_frequent_first) {
    static const uint32_t read_counts[] = { 7, 2, 9, 0, 4, 1, 8, 3, 6, 5 };
    static const uint32_t order[] = { 3, 5, 1, 7, 4, 9, 8, 0, 6, 2 };
    static const uint64_t seeds[] = { 42, 3, 99, 0xfeedfaceull };
    struct test_key keys[10];
    keys_in_db(keys, 10, 0);
    keyspace.lfu = true;
    keyspace.lfu_log_factor = 0;
    for (uint32_t seed_index = 0; seed_index < ARRAY_COUNT(seeds); seed_index++) {
        keyspace.random_state = seeds[seed_index];
        for (uint32_t number = 0; number < 10; number++) {
            put(0, number, 0);
            cr_assert_eq(item_lfu_counter(&keyspace, lookup(0, number)), LFU_INIT_VAL);
        }
        /* Rounds read the most-read keys alone first, so the least-read are read last. */
        for (uint32_t round = 9; round > 0; round--) {
            for (uint32_t number = 0; number < 10; number++) {
                if (read_counts[number] >= round) {
                    touch(0, number);
                }
            }
        }
        for (uint32_t number = 0; number < 10; number++) {
            uint32_t expected = LFU_INIT_VAL + read_counts[number];
            cr_assert_eq(item_lfu_counter(&keyspace, lookup(0, number)), expected);
        }
        expect_order(POLICY_ALLKEYS_LFU, SAMPLES_ALL, keys, 10, order, 10);
    }
    cr_assert_eq(keyspace.evicted_keys, 10u * ARRAY_COUNT(seeds));
}

/*
 * lfu-decay-time: a counter loses one per lfu-decay-time minutes since its
 * last access. key:0 was read a lot (20) 15 minutes ago, key:1 less (10) just
 * now. With decay 1 key:0 is down to 5 and goes first; with decay 10 it is
 * 19 and with decay 0 (never decay) 20, so key:1 goes first.
 */
Test(evict, lfu_decay_time_ages_counters) {
    static const struct {
        uint32_t decay_time;
        uint32_t counter_old;
        uint32_t first;
    } cases[] = { { 1, 5, 0 }, { 10, 19, 1 }, { 0, 20, 1 }, { 2, 13, 1 }, { 3, 15, 1 } };
    struct test_key keys[2];
    keys_in_db(keys, 2, 0);
    keyspace.lfu = true;
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        keyspace.lfu_decay_time = cases[index].decay_time;
        keyspace.now_ms = NOW_MS;
        put(0, 0, 0);
        put(0, 1, 0);
        set_access(0, 0, lfu_field(NOW_MS - 15 * MINUTE_MS, 20));
        set_access(0, 1, lfu_field(NOW_MS, 10));
        cr_assert_eq(item_lfu_counter(&keyspace, lookup(0, 0)), cases[index].counter_old,
                     "decay time %u", cases[index].decay_time);
        cr_assert_eq(item_lfu_counter(&keyspace, lookup(0, 1)), 10u);
        uint32_t order[] = { cases[index].first, 1 - cases[index].first };
        expect_order(POLICY_ALLKEYS_LFU, SAMPLES_ALL, keys, 2, order, 2);
    }
}

/*
 * Decay across the 16-bit minute clock's wrap: key:0 read (counter 12) at
 * minute 65530, now is minute 4 of the next cycle: 9 periods elapsed (Redis's
 * LFUTimeElapsed counts 65535 - last + now), so it holds 3 and goes before
 * key:1 (a new key, counter 5), though its raw minute is far "ahead".
 */
Test(evict, lfu_decay_across_minute_wrap) {
    static const uint32_t order[] = { 0, 1 };
    struct test_key keys[2];
    keys_in_db(keys, 2, 0);
    keyspace.lfu = true;
    keyspace.now_ms = (int64_t)(65536 + 4) * MINUTE_MS;
    put(0, 0, 0);
    put(0, 1, 0);
    set_access(0, 0, (65530u << 8) | 12u);
    cr_assert_eq(lookup(0, 1)->lru_clock, (4u << 8) | LFU_INIT_VAL);
    cr_assert_eq(item_lfu_counter(&keyspace, lookup(0, 0)), 3u);
    cr_assert_eq(item_lfu_counter(&keyspace, lookup(0, 1)), LFU_INIT_VAL);
    expect_order(POLICY_ALLKEYS_LFU, SAMPLES_ALL, keys, 2, order, 2);
}

/*
 * lfu-log-factor: 50 reads make counter 55 with factor 0, fewer with the
 * default 10 (Redis's table: about 10 after 100 hits), and 6 with a huge
 * factor (the first read past LFU_INIT_VAL always counts, later ones almost
 * never). Counters saturate at 255. Eviction follows the counters.
 */
Test(evict, lfu_log_factor_shapes_counters) {
    static const uint32_t factors[] = { 0, 10, 1000000 };
    static const uint32_t order[] = { 3, 2, 1, 0 };
    struct test_key keys[5];
    keys_in_db(keys, 5, 0);
    keyspace.lfu = true;
    for (uint32_t number = 0; number < 5; number++) {
        put(0, number, 0);
    }
    for (uint32_t key = 0; key < ARRAY_COUNT(factors); key++) {
        keyspace.lfu_log_factor = factors[key];
        for (uint32_t read = 0; read < 50; read++) {
            touch(0, key);
        }
    }
    keyspace.lfu_log_factor = 0;
    for (uint32_t read = 0; read < 300; read++) {
        touch(0, 4);
    }
    uint32_t counter_default = item_lfu_counter(&keyspace, lookup(0, 1));
    cr_assert_eq(item_lfu_counter(&keyspace, lookup(0, 0)), 55u);
    cr_assert_gt(counter_default, 6u);
    cr_assert_lt(counter_default, 15u);
    cr_assert_eq(item_lfu_counter(&keyspace, lookup(0, 2)), 6u);
    cr_assert_eq(item_lfu_counter(&keyspace, lookup(0, 3)), LFU_INIT_VAL);
    cr_assert_eq(item_lfu_counter(&keyspace, lookup(0, 4)), 255u);
    expect_order(POLICY_ALLKEYS_LFU, SAMPLES_ALL, keys, 5, order, 4);
    cr_assert(lookup(0, 4) != NULL);
}

/* ==== allkeys-random ==== */

/*
 * allkeys-random ignores idle time: 2000 single evictions (the evicted key is
 * written back each time) hit every one of 10 keys between 50 and 500 times
 * (200 if uniform; index_random favours keys after empty slots a little),
 * although key:0 is by far the idlest: a policy that preferred it would
 * evict it most of the time.
 */
Test(evict, allkeys_random_reaches_every_key) {
    uint32_t hits[10] = { 0 };
    struct test_key keys[10];
    keys_in_db(keys, 10, 0);
    keyspace.lru_clock = 10;
    put(0, 0, 0);
    keyspace.lru_clock = LRU_NOW;
    for (uint32_t number = 1; number < 10; number++) {
        put(0, number, 0);
    }
    for (uint32_t round = 0; round < 2000; round++) {
        bool gone[10] = { false };
        uint32_t position = evict_one(POLICY_ALLKEYS_RANDOM, 5, keys, 10, gone);
        hits[position]++;
        put(0, position, 0);
        if (position == 0) {
            set_access(0, 0, 10);
        }
    }
    for (uint32_t number = 0; number < 10; number++) {
        cr_assert_geq(hits[number], 50u, "key:%04u evicted %u times of 2000", number,
                      hits[number]);
        cr_assert_leq(hits[number], 500u, "key:%04u evicted %u times of 2000", number,
                      hits[number]);
    }
    cr_assert_eq(keyspace.evicted_keys, 2000u);
    cr_assert_eq(dbs[0].index.count, 10u);
}

/* ==== volatile-* ==== */

/*
 * Ten keys: key:0..4 without a TTL, the best candidates for every policy
 * (idlest, least used); key:5..9 with a TTL. Nearest expiry first: 6, 8, 7,
 * 9, 5; idlest first: 9, 5, 7, 6, 8; least used first: 6, 7, 5, 9, 8. Each
 * policy evicts the five volatile keys in its own order (any order for
 * volatile-random), then fails with nothing removed.
 */
static void check_volatile_policy(enum maxmemory_policy policy, const uint32_t *order) {
    static const int64_t expire_in_s[] = { 5, 1, 3, 2, 4 };
    static const uint32_t idle_s[] = { 400, 100, 300, 50, 500 };
    static const uint32_t counters[] = { 30, 10, 20, 50, 40 };
    struct test_key keys[10];
    keys_in_db(keys, 10, 0);
    bool lfu = policy == POLICY_VOLATILE_LFU;
    keyspace.lfu = lfu;
    for (uint32_t number = 0; number < 10; number++) {
        int64_t expire = number < 5 ? 0 : NOW_MS + expire_in_s[number - 5] * 1000;
        put(0, number, expire);
        if (number < 5) {
            set_access(0, number, lfu ? lfu_field(NOW_MS - 60 * MINUTE_MS, 0) : 1u);
        } else {
            set_access(0, number, lfu ? lfu_field(NOW_MS, counters[number - 5])
                                      : LRU_NOW - idle_s[number - 5]);
        }
    }
    cr_assert_eq(dbs[0].expires_count, 5u);
    bool gone[10] = { false };
    for (uint32_t step = 0; step < 5; step++) {
        uint32_t position = evict_one(policy, SAMPLES_ALL, keys, 10, gone);
        cr_assert_geq(position, 5u, "policy %d evicted key:%04u, which has no TTL", policy,
                      position);
        if (order != NULL) {
            cr_assert_eq(position, order[step], "policy %d, eviction %u: key:%04u, expected %u",
                         policy, step, position, order[step]);
        }
    }
    cr_assert_eq(dbs[0].expires_count, 0u);
    uint64_t used_size = heap.used_size;
    cr_assert_eq(evict_until(&keyspace, policy, SAMPLES_ALL, 0, 0), EVICT_FAIL);
    cr_assert_eq(heap.used_size, used_size);
    for (uint32_t number = 0; number < 5; number++) {
        cr_assert(lookup(0, number) != NULL, "key:%04u (no TTL) was evicted", number);
    }
    cr_assert_eq(keyspace.evicted_keys, 5u);
}

Test(evict, volatile_lru_spares_keys_without_ttl) {
    static const uint32_t order[] = { 9, 5, 7, 6, 8 };
    check_volatile_policy(POLICY_VOLATILE_LRU, order);
}

Test(evict, volatile_lfu_spares_keys_without_ttl) {
    static const uint32_t order[] = { 6, 7, 5, 9, 8 };
    check_volatile_policy(POLICY_VOLATILE_LFU, order);
}

Test(evict, volatile_random_spares_keys_without_ttl) {
    check_volatile_policy(POLICY_VOLATILE_RANDOM, NULL);
}

Test(evict, volatile_ttl_evicts_nearest_expiry_first) {
    static const uint32_t order[] = { 6, 8, 7, 9, 5 };
    check_volatile_policy(POLICY_VOLATILE_TTL, order);
}

/* With no key holding a TTL, every volatile policy fails and removes nothing. */
Test(evict, volatile_without_ttl_keys_fails) {
    static const enum maxmemory_policy policies[] = {
        POLICY_VOLATILE_LRU, POLICY_VOLATILE_LFU, POLICY_VOLATILE_RANDOM, POLICY_VOLATILE_TTL,
    };
    for (uint32_t number = 0; number < 10; number++) {
        put(number % 2 == 0 ? 2 : 5, number, 0);
    }
    uint64_t used_size = heap.used_size;
    uint64_t object_count = heap.object_count;
    for (uint32_t index = 0; index < ARRAY_COUNT(policies); index++) {
        enum evict_result result = evict_until(&keyspace, policies[index], SAMPLES_ALL,
                                               used_size - 1, 0);
        cr_assert_eq(result, EVICT_FAIL, "policy %d", policies[index]);
        cr_assert_eq(heap.used_size, used_size);
        cr_assert_eq(heap.object_count, object_count);
    }
    cr_assert_eq(key_count(), 10u);
    cr_assert_eq(keyspace.evicted_keys, 0u);
}

/* ==== noeviction ==== */

Test(evict, noeviction_fails_and_removes_nothing) {
    for (uint32_t number = 0; number < 10; number++) {
        put(0, number, number < 5 ? NOW_MS + 1000 : 0);
    }
    uint64_t used_size = heap.used_size;
    cr_assert_eq(evict_until(&keyspace, POLICY_NOEVICTION, SAMPLES_ALL, used_size - 1, 0),
                 EVICT_FAIL);
    cr_assert_eq(evict_until(&keyspace, POLICY_NOEVICTION, SAMPLES_ALL, used_size, 1),
                 EVICT_FAIL);
    cr_assert_eq(evict_until(&keyspace, POLICY_NOEVICTION, SAMPLES_ALL, 0, 0), EVICT_FAIL);
    /* Under the target there is nothing to do. */
    cr_assert_eq(evict_until(&keyspace, POLICY_NOEVICTION, SAMPLES_ALL, used_size, 0),
                 EVICT_OK);
    cr_assert_eq(heap.used_size, used_size);
    cr_assert_eq(dbs[0].index.count, 10u);
    cr_assert_eq(keyspace.evicted_keys, 0u);
}

/* ==== evict_until's stopping rule and bound ==== */

/* All keys have one size, so the number of evictions follows from the target. */
Test(evict, evict_until_stops_at_target) {
    for (uint32_t number = 0; number < 20; number++) {
        put(0, number, 0);
    }
    uint64_t key_size = heap_usable_size(&heap, lookup(0, 0));
    for (uint32_t number = 1; number < 20; number++) {
        cr_assert_eq(heap_usable_size(&heap, lookup(0, number)), key_size);
    }
    /* Already there: nothing goes (incoming included). */
    uint64_t used_size = heap.used_size;
    cr_assert_eq(evict_until(&keyspace, POLICY_ALLKEYS_LRU, 5, used_size, 0), EVICT_OK);
    cr_assert_eq(evict_until(&keyspace, POLICY_ALLKEYS_LRU, 5, used_size + 7, 7), EVICT_OK);
    cr_assert_eq(dbs[0].index.count, 20u);
    /* Three keys' worth below: exactly three go. */
    cr_assert_eq(evict_until(&keyspace, POLICY_ALLKEYS_LRU, 5, used_size - 3 * key_size, 0),
                 EVICT_OK);
    cr_assert_eq(dbs[0].index.count, 17u);
    cr_assert_eq(heap.used_size, used_size - 3 * key_size);
    /* One byte short of two keys' worth: still two. */
    used_size = heap.used_size;
    uint64_t target = used_size - 2 * key_size + key_size - 1;
    cr_assert_eq(evict_until(&keyspace, POLICY_ALLKEYS_LFU, 5, target, 0), EVICT_OK);
    cr_assert_eq(dbs[0].index.count, 15u);
    /* Room for an incoming write of four keys' size at the current usage: four go. */
    used_size = heap.used_size;
    cr_assert_eq(evict_until(&keyspace, POLICY_ALLKEYS_RANDOM, 5, used_size, 4 * key_size),
                 EVICT_OK);
    cr_assert_eq(dbs[0].index.count, 11u);
    cr_assert_eq(heap.used_size, used_size - 4 * key_size);
    cr_assert_eq(keyspace.evicted_keys, 9u);
}

/*
 * One call evicts at most EVICT_KEYS_PER_CALL_MAX keys: with 1100 keys and a
 * target of 0 it stops after 1024 (EVICT_RUNNING); the next call takes the
 * other 76 and then fails, the keyspace being empty.
 */
Test(evict, evict_until_bounded_per_call) {
    STATIC_ASSERT(EVICT_KEYS_PER_CALL_MAX == 1024u, "the counts below assume 1024");
    for (uint32_t number = 0; number < 1100; number++) {
        put(0, number, 0);
    }
    uint64_t key_size = heap_usable_size(&heap, lookup(0, 0));
    uint64_t used_size = heap.used_size;
    uint64_t object_count = heap.object_count;
    cr_assert_eq(evict_until(&keyspace, POLICY_ALLKEYS_RANDOM, 5, 0, 0), EVICT_RUNNING);
    cr_assert_eq(keyspace.evicted_keys, 1024u);
    cr_assert_eq(dbs[0].index.count, 76u);
    cr_assert_eq(heap.used_size, used_size - 1024 * key_size);
    cr_assert_eq(evict_until(&keyspace, POLICY_ALLKEYS_RANDOM, 5, 0, 0), EVICT_FAIL);
    cr_assert_eq(keyspace.evicted_keys, 1100u);
    cr_assert_eq(dbs[0].index.count, 0u);
    cr_assert_eq(heap.object_count, object_count - 1100); /* the index keeps its segments */
}

/* Exactly 1024 needed: the last eviction reaches the target and the call says OK. */
Test(evict, evict_until_bound_reached_exactly) {
    for (uint32_t number = 0; number < 1100; number++) {
        put(0, number, 0);
    }
    uint64_t key_size = heap_usable_size(&heap, lookup(0, 0));
    uint64_t used_size = heap.used_size;
    cr_assert_eq(evict_until(&keyspace, POLICY_ALLKEYS_LRU, 5, used_size - 1024 * key_size, 0),
                 EVICT_OK);
    cr_assert_eq(dbs[0].index.count, 76u);
    /* A target nothing can reach: the other 76 go, then the call fails. */
    cr_assert_eq(evict_until(&keyspace, POLICY_ALLKEYS_LRU, 5, 0, 0), EVICT_FAIL);
    cr_assert_eq(dbs[0].index.count, 0u);
    /* 1025 of 1100: RUNNING after 1024, then OK after one more. */
    for (uint32_t number = 0; number < 1100; number++) {
        put(0, number, 0);
    }
    used_size = heap.used_size;
    cr_assert_eq(evict_until(&keyspace, POLICY_ALLKEYS_LFU, 5, used_size - 1025 * key_size, 0),
                 EVICT_RUNNING);
    cr_assert_eq(dbs[0].index.count, 76u);
    cr_assert_eq(evict_until(&keyspace, POLICY_ALLKEYS_LFU, 5, used_size - 1025 * key_size, 0),
                 EVICT_OK);
    cr_assert_eq(dbs[0].index.count, 75u);
    cr_assert_eq(keyspace.evicted_keys, 1024u + 76u + 1025u);
}

/* ==== Several databases ==== */

/*
 * Keys in db 2 and db 5 only, with the same names in both: the idlest goes
 * first whichever database holds it, and the copy of a name in the other
 * database stays until its own turn.
 */
Test(evict, allkeys_lru_across_databases) {
    static const struct test_key keys[] = {
        { 2, 0 }, { 5, 0 }, { 2, 1 }, { 5, 1 }, { 2, 2 }, { 5, 2 },
    };
    static const uint32_t idle_s[] = { 50, 600, 400, 10, 200, 300 };
    static const uint32_t order[] = { 1, 2, 5, 4, 0, 3 };
    for (uint32_t position = 0; position < ARRAY_COUNT(keys); position++) {
        put(keys[position].db, keys[position].number, 0);
        set_access(keys[position].db, keys[position].number, LRU_NOW - idle_s[position]);
    }
    cr_assert_eq(dbs[2].index.count, 3u);
    cr_assert_eq(dbs[5].index.count, 3u);
    expect_order(POLICY_ALLKEYS_LRU, SAMPLES_ALL, keys, ARRAY_COUNT(keys), order,
                 ARRAY_COUNT(order));
    cr_assert_eq(keyspace.evicted_keys, 6u);
    cr_assert_eq(key_count(), 0u);
}

/*
 * db 2 holds only keys without a TTL (the idlest); db 5 holds volatile keys
 * (and one persistent). volatile-lru takes db 5's volatile keys, idlest first,
 * then fails; every database's expires_count follows.
 */
Test(evict, volatile_lru_across_databases) {
    static const struct test_key keys[] = {
        { 2, 0 }, { 2, 1 }, { 2, 2 }, { 5, 0 }, { 5, 1 }, { 5, 2 }, { 5, 3 },
    };
    static const uint32_t order[] = { 5, 3, 4 };
    for (uint32_t number = 0; number < 3; number++) {
        put(2, number, 0);
        set_access(2, number, 1);
    }
    put(5, 0, NOW_MS + 10000);
    put(5, 1, NOW_MS + 20000);
    put(5, 2, NOW_MS + 30000);
    put(5, 3, 0);
    set_access(5, 0, LRU_NOW - 200);
    set_access(5, 1, LRU_NOW - 100);
    set_access(5, 2, LRU_NOW - 300);
    set_access(5, 3, 2);
    cr_assert_eq(dbs[5].expires_count, 3u);
    expect_order(POLICY_VOLATILE_LRU, SAMPLES_ALL, keys, ARRAY_COUNT(keys), order,
                 ARRAY_COUNT(order));
    cr_assert_eq(dbs[5].expires_count, 0u);
    cr_assert_eq(evict_until(&keyspace, POLICY_VOLATILE_LRU, SAMPLES_ALL, 0, 0), EVICT_FAIL);
    cr_assert_eq(dbs[2].index.count, 3u);
    cr_assert_eq(dbs[5].index.count, 1u);
    cr_assert(lookup(5, 3) != NULL);
    cr_assert_eq(keyspace.evicted_keys, 3u);
}

/* Random eviction reaches both databases. */
Test(evict, allkeys_random_across_databases) {
    uint32_t hits[TEST_DB_COUNT] = { 0 };
    static const struct test_key keys[] = { { 2, 0 }, { 2, 1 }, { 5, 0 }, { 5, 1 } };
    for (uint32_t position = 0; position < ARRAY_COUNT(keys); position++) {
        put(keys[position].db, keys[position].number, 0);
    }
    for (uint32_t round = 0; round < 400; round++) {
        bool gone[4] = { false };
        uint32_t position = evict_one(POLICY_ALLKEYS_RANDOM, 5, keys, 4, gone);
        hits[keys[position].db]++;
        put(keys[position].db, keys[position].number, 0);
    }
    cr_assert_geq(hits[2], 40u, "db 2: %u of 400", hits[2]);
    cr_assert_geq(hits[5], 40u, "db 5: %u of 400", hits[5]);
    cr_assert_eq(hits[2] + hits[5], 400u);
}

/*
 * volatile-* policies with few keys carrying a TTL: random draws over the
 * whole index rarely meet one, so evict_sample falls back to walking the
 * index (Redis samples its expires table and always finds them). Here: 1000
 * keys without a TTL and one with, maxmemory-samples 5 (the default): the
 * volatile key must go, under each of 20 seeds, for each volatile policy.
 */
Test(evict, volatile_finds_rare_ttl_keys) {
    static const enum maxmemory_policy policies[] = {
        POLICY_VOLATILE_LRU, POLICY_VOLATILE_LFU, POLICY_VOLATILE_RANDOM, POLICY_VOLATILE_TTL,
    };
    for (uint32_t number = 0; number < 1000; number++) {
        put(0, number, 0);
    }
    for (uint32_t index = 0; index < ARRAY_COUNT(policies); index++) {
        for (uint64_t seed = 1; seed <= 20; seed++) {
            put(0, 1000, NOW_MS + 100000);
            keyspace.random_state = seed;
            uint64_t used_size = heap.used_size;
            enum evict_result result = evict_until(&keyspace, policies[index], 5,
                                                   used_size - 1, 0);
            cr_assert_eq(result, EVICT_OK, "policy %d, seed %lu: the one volatile key of 1001 "
                         "was not found", policies[index], (unsigned long)seed);
            cr_assert(lookup(0, 1000) == NULL);
            cr_assert_eq(dbs[0].index.count, 1000u);
        }
    }
}
