/*
 * test_pubsub.c: unit tests for the pub/sub pools (src/pubsub.c): subscribe and
 * unsubscribe bookkeeping, the limits at and one past each, long names in the
 * heap, table deletion under churn, and clearing a client.
 */
#define _DEFAULT_SOURCE
#include "pubsub.h"

#include "heap.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/mman.h>

#define TEST_HEAP_PAGES 16u

static struct heap heap;
static struct pubsub pubsub;
static void *mappings[4];
static uint64_t mapping_sizes[4];

static void *test_map(uint32_t which, uint64_t size) {
    void *area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(area != MAP_FAILED);
    mappings[which] = area;
    mapping_sizes[which] = size;
    return area;
}

static void pubsub_setup_limits(uint32_t channels, uint32_t patterns, uint32_t subscriptions) {
    uint64_t heap_size = (uint64_t)(TEST_HEAP_PAGES + 1) * HEAP_PAGE_SIZE;
    uint8_t *area = test_map(0, heap_size + heap_descriptor_size(TEST_HEAP_PAGES));
    uint8_t *pages = (uint8_t *)align_up((uint64_t)(uintptr_t)area, HEAP_PAGE_SIZE);
    heap_init(&heap, pages, TEST_HEAP_PAGES, (struct heap_page *)(area + heap_size));
    void *channel_memory = test_map(1, channels * pubsub_target_unit_size());
    void *pattern_memory = test_map(2, patterns * pubsub_target_unit_size());
    void *subscription_memory = test_map(3, subscriptions * pubsub_subscription_unit_size());
    pubsub_init(&pubsub, &heap, channel_memory, channels, pattern_memory, patterns,
                subscription_memory, subscriptions);
}

static void setup(void) {
    pubsub_setup_limits(64, 8, 128);
}

static void teardown(void) {
    for (uint32_t index = 0; index < 4; index++) {
        munmap(mappings[index], mapping_sizes[index]);
    }
}

static struct slice name_of(char *buffer, uint32_t number) {
    int size = snprintf(buffer, 32, "channel:%u", number);
    return (struct slice){ .ptr = (const uint8_t *)buffer, .size = (uint32_t)size };
}

TestSuite(pubsub, .init = setup, .fini = teardown);

Test(pubsub, subscribe_twice_counts_once) {
    struct pubsub_client client = { 0 };
    struct slice name = slice_from_cstr("news");
    cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_CHANNEL, name), PUBSUB_OK);
    cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_CHANNEL, name), PUBSUB_ALREADY);
    cr_assert_eq(client.channel_count, 1);
    cr_assert_eq(pubsub.subscription_count, 1);
    cr_assert_eq(pubsub.spaces[PUBSUB_CHANNEL].count, 1);
    /* The same name as a pattern is a different target. */
    cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_PATTERN, name), PUBSUB_OK);
    cr_assert_eq(pubsub_client_count(&client), 2);
    uint32_t found = pubsub_find(&pubsub, PUBSUB_CHANNEL, name);
    cr_assert_neq(found, PUBSUB_NONE);
    cr_assert_eq(pubsub_target_at(&pubsub, PUBSUB_CHANNEL, found)->subscriber_count, 1);
}

Test(pubsub, last_unsubscribe_releases_the_channel) {
    struct pubsub_client first = { 0 };
    struct pubsub_client second = { 0 };
    struct slice name = slice_from_cstr("news");
    cr_assert_eq(pubsub_subscribe(&pubsub, &first, 1, PUBSUB_CHANNEL, name), PUBSUB_OK);
    cr_assert_eq(pubsub_subscribe(&pubsub, &second, 2, PUBSUB_CHANNEL, name), PUBSUB_OK);
    uint32_t found = pubsub_find(&pubsub, PUBSUB_CHANNEL, name);
    const struct pubsub_target *target = pubsub_target_at(&pubsub, PUBSUB_CHANNEL, found);
    cr_assert_eq(target->subscriber_count, 2);
    /* Delivery order is subscription order. */
    cr_assert_eq(pubsub.subscriptions[target->subscriber_head - 1].client_slot, 1);
    cr_assert_eq(pubsub_unsubscribe(&pubsub, &first, 1, PUBSUB_CHANNEL, name), PUBSUB_OK);
    cr_assert_eq(pubsub_unsubscribe(&pubsub, &first, 1, PUBSUB_CHANNEL, name), PUBSUB_ALREADY);
    cr_assert_eq(pubsub.spaces[PUBSUB_CHANNEL].count, 1);
    cr_assert_eq(pubsub_unsubscribe(&pubsub, &second, 2, PUBSUB_CHANNEL, name), PUBSUB_OK);
    cr_assert_eq(pubsub.spaces[PUBSUB_CHANNEL].count, 0);
    cr_assert_eq(pubsub_find(&pubsub, PUBSUB_CHANNEL, name), PUBSUB_NONE);
    cr_assert_eq(pubsub.subscription_count, 0);
}

Test(pubsub, channel_limit_at_and_past) {
    struct pubsub_client client = { 0 };
    char buffer[32];
    for (uint32_t number = 0; number < 64; number++) {
        cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_CHANNEL,
                                      name_of(buffer, number)), PUBSUB_OK);
    }
    cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_CHANNEL, name_of(buffer, 64)),
                 PUBSUB_FULL_TARGETS);
    /* A live channel still takes more subscribers. */
    struct pubsub_client other = { 0 };
    cr_assert_eq(pubsub_subscribe(&pubsub, &other, 2, PUBSUB_CHANNEL, name_of(buffer, 3)),
                 PUBSUB_OK);
    cr_assert_eq(pubsub_unsubscribe(&pubsub, &client, 1, PUBSUB_CHANNEL, name_of(buffer, 0)),
                 PUBSUB_OK);
    cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_CHANNEL, name_of(buffer, 64)),
                 PUBSUB_OK);
}

Test(pubsub, subscription_limit_at_and_past) {
    teardown();
    pubsub_setup_limits(64, 8, 10);
    struct pubsub_client clients[10] = { { 0 } };
    struct slice name = slice_from_cstr("all");
    for (uint32_t slot = 0; slot < 10; slot++) {
        cr_assert_eq(pubsub_subscribe(&pubsub, &clients[slot], slot, PUBSUB_CHANNEL, name),
                     PUBSUB_OK);
    }
    struct pubsub_client late = { 0 };
    cr_assert_eq(pubsub_subscribe(&pubsub, &late, 10, PUBSUB_CHANNEL, name),
                 PUBSUB_FULL_SUBSCRIPTIONS);
    cr_assert_eq(pubsub_subscribe(&pubsub, &late, 10, PUBSUB_PATTERN, name),
                 PUBSUB_FULL_SUBSCRIPTIONS);
    cr_assert_eq(pubsub.spaces[PUBSUB_PATTERN].count, 0, "no target is left behind");
    pubsub_client_clear(&pubsub, &clients[4], 4);
    cr_assert_eq(pubsub_subscribe(&pubsub, &late, 10, PUBSUB_CHANNEL, name), PUBSUB_OK);
}

Test(pubsub, pattern_limit_at_and_past) {
    struct pubsub_client client = { 0 };
    char buffer[32];
    for (uint32_t number = 0; number < 8; number++) {
        cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_PATTERN,
                                      name_of(buffer, number)), PUBSUB_OK);
    }
    cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_PATTERN, name_of(buffer, 8)),
                 PUBSUB_FULL_TARGETS);
    cr_assert_eq(client.pattern_count, 8);
}

Test(pubsub, long_names_live_in_the_heap) {
    struct pubsub_client client = { 0 };
    uint8_t long_name[5000];
    for (uint32_t index = 0; index < sizeof(long_name); index++) {
        long_name[index] = (uint8_t)(index * 7);
    }
    struct slice name = { .ptr = long_name, .size = sizeof(long_name) };
    uint64_t used_before = heap.used_size;
    cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_CHANNEL, name), PUBSUB_OK);
    cr_assert_gt(heap.used_size, used_before);
    uint32_t found = pubsub_find(&pubsub, PUBSUB_CHANNEL, name);
    struct slice stored = pubsub_target_name(pubsub_target_at(&pubsub, PUBSUB_CHANNEL, found));
    cr_assert(slice_equal(stored, name));
    cr_assert_neq(stored.ptr, long_name);
    /* An inline-sized name takes nothing from the heap. */
    uint64_t used_long = heap.used_size;
    struct slice exact = { .ptr = long_name, .size = PUBSUB_NAME_INLINE_SIZE };
    cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_CHANNEL, exact), PUBSUB_OK);
    cr_assert_eq(heap.used_size, used_long);
    pubsub_client_clear(&pubsub, &client, 1);
    cr_assert_eq(heap.used_size, used_before);
}

Test(pubsub, a_full_heap_refuses_a_long_name) {
    struct pubsub_client client = { 0 };
    /* Fill the heap with page runs. */
    for (uint32_t round = 0; round < TEST_HEAP_PAGES * 2; round++) {
        if (heap_alloc(&heap, HEAP_PAGE_SIZE) == NULL) {
            break;
        }
    }
    static uint8_t long_name[2 * 65536];
    struct slice name = { .ptr = long_name, .size = sizeof(long_name) };
    cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_CHANNEL, name), PUBSUB_NO_MEMORY);
    cr_assert_eq(pubsub.spaces[PUBSUB_CHANNEL].count, 0);
    cr_assert_eq(pubsub.subscription_count, 0);
    cr_assert_eq(client.channel_count, 0);
    /* Short names still work. */
    cr_assert_eq(pubsub_subscribe(&pubsub, &client, 1, PUBSUB_CHANNEL, slice_from_cstr("x")),
                 PUBSUB_OK);
}

/* Random subscribe/unsubscribe churn checked against a plain matrix. */
Test(pubsub, churn_matches_a_model) {
    enum { CLIENTS = 6, NAMES = 40 };
    teardown();
    pubsub_setup_limits(NAMES, NAMES, CLIENTS * NAMES * 2);
    static bool model[CLIENTS][2][NAMES];
    struct pubsub_client clients[CLIENTS] = { { 0 } };
    char buffer[32];
    uint64_t seed = 12345;
    for (uint32_t step = 0; step < 20000; step++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t slot = (uint32_t)(seed >> 33) % CLIENTS;
        uint32_t kind = (uint32_t)(seed >> 40) % 2;
        uint32_t number = (uint32_t)(seed >> 45) % NAMES;
        bool subscribe = ((seed >> 60) & 1) != 0;
        struct slice name = name_of(buffer, number);
        enum pubsub_status status;
        if (subscribe) {
            status = pubsub_subscribe(&pubsub, &clients[slot], slot, (enum pubsub_kind)kind,
                                      name);
            cr_assert_eq(status, model[slot][kind][number] ? PUBSUB_ALREADY : PUBSUB_OK);
            model[slot][kind][number] = true;
        } else {
            status = pubsub_unsubscribe(&pubsub, &clients[slot], slot, (enum pubsub_kind)kind,
                                        name);
            cr_assert_eq(status, model[slot][kind][number] ? PUBSUB_OK : PUBSUB_ALREADY);
            model[slot][kind][number] = false;
        }
        if (step % 997 == 0) {
            pubsub_client_clear(&pubsub, &clients[slot], slot);
            memset(model[slot], 0, sizeof(model[slot]));
        }
    }
    for (uint32_t kind = 0; kind < 2; kind++) {
        uint32_t live = 0;
        for (uint32_t number = 0; number < NAMES; number++) {
            uint32_t expected = 0;
            for (uint32_t slot = 0; slot < CLIENTS; slot++) {
                expected += model[slot][kind][number] ? 1u : 0u;
            }
            uint32_t found = pubsub_find(&pubsub, (enum pubsub_kind)kind, name_of(buffer, number));
            if (expected == 0) {
                cr_assert_eq(found, PUBSUB_NONE);
                continue;
            }
            live++;
            cr_assert_neq(found, PUBSUB_NONE);
            cr_assert_eq(pubsub_target_at(&pubsub, (enum pubsub_kind)kind, found)
                             ->subscriber_count, expected);
        }
        cr_assert_eq(pubsub.spaces[kind].count, live);
    }
}

Test(pubsub, derived_limits) {
    cr_assert_eq(pubsub_limit(0, 10000, PUBSUB_SUBSCRIPTIONS_PER_CLIENT), 160000);
    cr_assert_eq(pubsub_limit(7, 10000, PUBSUB_SUBSCRIPTIONS_PER_CLIENT), 7);
    cr_assert_eq(pubsub_limit(0, 1000000, 128), PUBSUB_LIMIT_MAX);
}
