/*
 * test_config_requirepass.c: where requirepass lives (config.h, "requirepass
 * storage"): struct config refers to the password; at startup the bytes sit
 * in a static buffer, at run time in the data heap, one object per password.
 *
 * The steps are the ones main and CONFIG SET take: apply to a copy
 * (config_set_bytes refers to the argument, allocating nothing), keep
 * (copy or adopt into the heap, or share the current object), then release
 * the replaced object. Each test checks the heap's used size returns to where
 * it was: nothing leaks, and a failed CONFIG SET allocates nothing.
 */
#define _DEFAULT_SOURCE

#include <criterion/criterion.h>

#include "heap_mapping.h"

#include "config.h"
#include "heap.h"


#define TEST_PAGE_COUNT 64u /* 4 MiB */
#define PASSWORD_SIZE_MAX (1024u * 1024u)

static struct heap heap;
static struct heap_mapping mapping;
static char error[CONFIG_ERROR_SIZE_MAX];
static struct config reserved;
static uint8_t password[PASSWORD_SIZE_MAX];

static void setup(void) {
    heap_mapping_init(&mapping, &heap, TEST_PAGE_COUNT);
    config_defaults(&reserved);
}

static void teardown(void) {
    heap_verify(&heap);
    heap_mapping_release(&mapping);
}

TestSuite(config_requirepass, .init = setup, .fini = teardown);

static uint32_t keyword(const char *name) {
    uint32_t index = config_keyword_find(name, (uint32_t)strlen(name));
    cr_assert_neq(index, UINT32_MAX, "keyword %s", name);
    return index;
}

/* CONFIG SET requirepass <bytes> on `live`, as cmd_info.c does (copy, keep, release). */
static bool set_password(struct config *live, const uint8_t *bytes, uint32_t size, bool adopt) {
    struct config candidate = *live;
    struct slice value = { .ptr = bytes, .size = size };
    cr_assert_eq(config_set_bytes(&candidate, &reserved, keyword("requirepass"), value, error),
                 CONFIG_SET_OK, "%s", error);
    if (!config_requirepass_keep(&candidate, live, &heap, adopt)) {
        return false;
    }
    config_requirepass_release(live, &candidate, &heap);
    *live = candidate;
    return true;
}

static void assert_password(const struct config *config, const uint8_t *bytes, uint32_t size) {
    cr_assert_eq(config->requirepass_size, size);
    if (size == 0) {
        cr_assert_null(config->requirepass);
        return;
    }
    cr_assert(heap_contains(&heap, config->requirepass));
    cr_assert_geq(heap_usable_size(&heap, config->requirepass), size);
    cr_assert(memcmp(config->requirepass, bytes, size) == 0);
}

/* main: the password of the file or the flags moves from the startup buffer to the heap. */
Test(config_requirepass, startup_moves_into_the_heap) {
    struct config config;
    config_defaults(&config);
    cr_assert(config_apply_line(&config, "requirepass \"start\\x00up\"", error), "%s", error);
    cr_assert_eq(config.requirepass_size, 8);
    cr_assert_not(heap_contains(&heap, config.requirepass));
    struct config at_startup = config;
    cr_assert(config_requirepass_keep(&config, NULL, &heap, false));
    assert_password(&config, (const uint8_t *)"start\0up", 8);
    cr_assert_eq(heap.object_count, 1);
    /* No password: nothing in the heap. */
    struct config empty;
    config_defaults(&empty);
    cr_assert(config_requirepass_keep(&empty, NULL, &heap, false));
    cr_assert_null(empty.requirepass);
    cr_assert_eq(heap.object_count, 1);
    /* The startup copy is not the heap's: releasing the startup config frees nothing. */
    cr_assert(at_startup.requirepass != config.requirepass);
    struct config cleared = config;
    cleared.requirepass = NULL;
    cleared.requirepass_size = 0;
    config_requirepass_release(&config, &cleared, &heap);
    cr_assert_eq(heap.used_size, 0);
}

/* 512 bytes, 16 KiB and 1 MiB passwords, each replacing the last; back to nothing at the end. */
Test(config_requirepass, any_size_and_no_leak) {
    static const uint32_t sizes[] = { 511, 512, 513, 4096, 16384, 16385, PASSWORD_SIZE_MAX, 1 };
    struct config live;
    config_defaults(&live);
    uint64_t used_before = heap.used_size;
    for (uint32_t round = 0; round < 50; round++) {
        for (uint32_t index = 0; index < ARRAY_COUNT(sizes); index++) {
            memset(password, 'a' + (int)((round + index) % 26), sizes[index]);
            cr_assert(set_password(&live, password, sizes[index], false));
            assert_password(&live, password, sizes[index]);
            cr_assert_eq(heap.object_count, 1);
            cr_assert_eq(heap.used_size - used_before, heap_size_for(&heap, sizes[index]));
        }
    }
    cr_assert(set_password(&live, password, 0, false));
    assert_password(&live, password, 0);
    cr_assert_eq(heap.used_size, used_before);
    cr_assert_eq(heap.object_count, 0);
}

/* Setting the password it already has shares the object: no allocation (even with the heap full). */
Test(config_requirepass, same_password_shares_the_object) {
    struct config live;
    config_defaults(&live);
    memset(password, 's', 3000);
    cr_assert(set_password(&live, password, 3000, false));
    const uint8_t *object = live.requirepass;
    static uint8_t again[3000];
    memset(again, 's', sizeof(again));
    cr_assert(set_password(&live, again, sizeof(again), false));
    cr_assert_eq(live.requirepass, object);
    cr_assert_eq(heap.object_count, 1);
}

/* A big argument (a heap object of its size) is adopted rather than copied. */
Test(config_requirepass, big_argument_is_adopted) {
    struct config live;
    config_defaults(&live);
    memset(password, 'o', 100);
    cr_assert(set_password(&live, password, 100, false));
    uint8_t *argument = heap_alloc(&heap, 3 * HEAP_PAGE_SIZE);
    cr_assert_not_null(argument);
    memset(argument, 'b', 3 * HEAP_PAGE_SIZE);
    uint64_t used = heap.used_size;
    cr_assert(set_password(&live, argument, 3 * HEAP_PAGE_SIZE, true));
    cr_assert_eq(live.requirepass, argument); /* the caller no longer frees it */
    cr_assert_eq(heap.object_count, 1);        /* the old 100-byte object was released */
    cr_assert_eq(heap.used_size, used - heap_size_for(&heap, 100));
    cr_assert(set_password(&live, password, 0, false));
    cr_assert_eq(heap.used_size, 0);
}

/* A CONFIG SET failing on a later argument: the copy is dropped, nothing was allocated. */
Test(config_requirepass, failed_set_allocates_nothing) {
    struct config live;
    config_defaults(&live);
    memset(password, 'k', 600);
    cr_assert(set_password(&live, password, 600, false));
    const uint8_t *object = live.requirepass;
    uint64_t used = heap.used_size;
    struct config candidate = live;
    static uint8_t replacement[20000];
    memset(replacement, 'r', sizeof(replacement));
    struct slice value = { .ptr = replacement, .size = sizeof(replacement) };
    cr_assert_eq(config_set_bytes(&candidate, &reserved, keyword("requirepass"), value, error),
                 CONFIG_SET_OK);
    struct slice bad = { .ptr = (const uint8_t *)"x", .size = 1 };
    cr_assert_eq(config_set_bytes(&candidate, &reserved, keyword("maxmemory-samples"), bad,
                                  error),
                 CONFIG_SET_INVALID);
    /* CONFIG SET answers the error and drops `candidate`: nothing was kept or released. */
    cr_assert_eq(heap.used_size, used);
    cr_assert_eq(live.requirepass, object);
    assert_password(&live, password, 600);
}

/* With no room in the heap: false, nothing allocated, candidate and the live password intact. */
Test(config_requirepass, full_heap_refuses_and_changes_nothing) {
    struct config live;
    config_defaults(&live);
    memset(password, 'h', 100);
    cr_assert(set_password(&live, password, 100, false));
    /* Fill every page: whole pages first, then 4 KiB objects (one-page slabs) in the rest. */
    static void *filler[TEST_PAGE_COUNT * 16];
    static const uint32_t filler_sizes[] = { HEAP_PAGE_SIZE, 4096 };
    uint32_t filler_count = 0;
    for (uint32_t size_index = 0; size_index < ARRAY_COUNT(filler_sizes); size_index++) {
        for (; filler_count < ARRAY_COUNT(filler); filler_count++) {
            filler[filler_count] = heap_alloc(&heap, filler_sizes[size_index]);
            if (filler[filler_count] == NULL) {
                break;
            }
        }
    }
    cr_assert_lt(filler_count, ARRAY_COUNT(filler));
    cr_assert_eq(heap.free_page_count, 0);
    uint64_t used = heap.used_size;
    static uint8_t other[70000];
    memset(other, 'n', sizeof(other));
    struct config candidate = live;
    struct slice value = { .ptr = other, .size = sizeof(other) };
    cr_assert_eq(config_set_bytes(&candidate, &reserved, keyword("requirepass"), value, error),
                 CONFIG_SET_OK);
    cr_assert_not(config_requirepass_keep(&candidate, &live, &heap, false));
    cr_assert_eq(candidate.requirepass, other);
    cr_assert_eq(heap.used_size, used);
    assert_password(&live, password, 100);
    /* The same password, or none, needs no room and still succeeds. */
    cr_assert(set_password(&live, password, 100, false));
    assert_password(&live, password, 100);
    cr_assert(set_password(&live, password, 0, false));
    for (uint32_t index = 0; index < filler_count; index++) {
        heap_free(&heap, filler[index]);
    }
    cr_assert_eq(heap.used_size, 0);
}
