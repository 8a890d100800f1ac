/*
 * test_set.c: unit tests for the set type (src/set.c): each encoding, the
 * conversions at each threshold and one past it, handles and random members,
 * SSCAN's cursor while the table grows and shrinks, copies, and failure at
 * every allocation point (set_fail_after) leaving the set unchanged, plus a
 * genuinely full heap.
 *
 * The heap runs over an anonymous mapping (tests only), as in test_db.c;
 * heap.used_size and heap.object_count show whether everything made was freed.
 */
#define _DEFAULT_SOURCE
#include "set.h"

#include <criterion/criterion.h>
#include <sys/mman.h>

#define TEST_PAGE_COUNT ((uint32_t)(256 * MIB / HEAP_PAGE_SIZE))
#define SMALL_PAGE_COUNT 8u
#define NAME_SIZE 96u
#define FILLER_COUNT_MAX 200000u

static struct heap heap;
static uint8_t *mapping;
static uint64_t mapping_size;
static struct heap_page *descriptors;
static uint64_t descriptors_size;
static const struct set_limits limits = {
    .intset_entries_max = 512, .listpack_entries_max = 128, .listpack_value_max = 64,
};

static void heap_setup(uint32_t page_count) {
    mapping_size = ((uint64_t)page_count + 1) * HEAP_PAGE_SIZE;
    void *area = mmap(NULL, mapping_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    cr_assert(area != MAP_FAILED);
    mapping = area;
    uint8_t *pages = (uint8_t *)align_up((uint64_t)(uintptr_t)mapping, HEAP_PAGE_SIZE);
    descriptors_size = heap_descriptor_size(page_count);
    void *table = mmap(NULL, descriptors_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(table != MAP_FAILED);
    descriptors = table;
    heap_init(&heap, pages, page_count, descriptors);
}

static void heap_teardown(void) {
    heap_verify(&heap);
    munmap(descriptors, descriptors_size);
    munmap(mapping, mapping_size);
}

static void setup(void) {
    heap_setup(TEST_PAGE_COUNT);
    set_fail_after(UINT64_MAX);
    set_seed(12345);
}

static void teardown(void) {
    set_fail_after(UINT64_MAX);
    cr_assert_eq(heap.object_count, 0, "objects left: %lu", (unsigned long)heap.object_count);
    heap_teardown();
}

TestSuite(set, .init = setup, .fini = teardown);

/* ==== Helpers ==== */

static struct slice text(const char *cstr) {
    return slice_from_cstr(cstr);
}

/* Member i of a generated family: integers, short strings, or long strings. */
enum family { FAMILY_INT, FAMILY_SHORT, FAMILY_LONG };

static struct slice member_of(char *buffer, enum family family, uint64_t index) {
    int size = 0;
    if (family == FAMILY_INT) {
        size = snprintf(buffer, NAME_SIZE, "%ld", (long)(index * 7919 % 1000003) - 500000);
    } else if (family == FAMILY_SHORT) {
        size = snprintf(buffer, NAME_SIZE, "m:%lu", (unsigned long)index);
    } else {
        size = snprintf(buffer, NAME_SIZE, "%080lu", (unsigned long)index);
    }
    return (struct slice){ .ptr = (const uint8_t *)buffer, .size = (uint32_t)size };
}

static struct set *make(enum set_encoding encoding) {
    struct set *set = set_create(&heap, encoding, 0);
    cr_assert(set != NULL);
    return set;
}

static void add_ok(struct set *set, struct slice member) {
    enum set_add_result result = set_add(&heap, set, &limits, member);
    cr_assert_eq(result, SET_ADD_ADDED, "adding '%.*s'", (int)member.size,
                 (const char *)member.ptr);
}

static void fill(struct set *set, enum family family, uint64_t first, uint64_t count) {
    char buffer[NAME_SIZE];
    for (uint64_t index = first; index < first + count; index++) {
        add_ok(set, member_of(buffer, family, index));
    }
}

static void expect_family(const struct set *set, enum family family, uint64_t first,
                          uint64_t count) {
    char buffer[NAME_SIZE];
    for (uint64_t index = first; index < first + count; index++) {
        struct slice member = member_of(buffer, family, index);
        cr_assert(set_contains(set, member), "missing '%.*s'", (int)member.size,
                  (const char *)member.ptr);
    }
}

static void expect_encoding(const struct set *set, const char *name) {
    cr_assert_str_eq(set_encoding_name(set), name);
}

struct collect {
    char members[64][NAME_SIZE];
    uint32_t count;
};

static bool collect_visit(void *context, struct slice member) {
    struct collect *collect = context;
    cr_assert(collect->count < 64);
    cr_assert(member.size < NAME_SIZE);
    memcpy(collect->members[collect->count], member.ptr, member.size);
    collect->members[collect->count][member.size] = 0;
    collect->count++;
    return true;
}

/* ==== Intset ==== */

Test(set, intset_sorted_unique_and_upgrades) {
    struct set *set = make(SET_ENCODING_INTSET);
    const char *values[] = { "5", "-3", "100", "0", "70000", "-70000", "9223372036854775807",
                             "-9223372036854775808", "42" };
    for (uint32_t index = 0; index < ARRAY_COUNT(values); index++) {
        add_ok(set, text(values[index]));
        set_verify(&heap, set);
    }
    cr_assert_eq(set_add(&heap, set, &limits, text("5")), SET_ADD_EXISTS);
    cr_assert_eq(set_add(&heap, set, &limits, text("-9223372036854775808")), SET_ADD_EXISTS);
    expect_encoding(set, "intset");
    struct collect collect = { .count = 0 };
    set_visit(set, &collect, collect_visit);
    const char *sorted[] = { "-9223372036854775808", "-70000", "-3", "0", "5", "42", "100",
                             "70000", "9223372036854775807" };
    cr_assert_eq(collect.count, ARRAY_COUNT(sorted));
    for (uint32_t index = 0; index < ARRAY_COUNT(sorted); index++) {
        cr_assert_str_eq(collect.members[index], sorted[index]);
    }
    /* Texts that are not canonical integers are not members of an intset. */
    cr_assert(!set_contains(set, text("05")));
    cr_assert(!set_contains(set, text("+5")));
    cr_assert(!set_contains(set, text("5 ")));
    cr_assert(!set_remove(&heap, set, text("-0")));
    cr_assert(set_remove(&heap, set, text("42")));
    cr_assert(!set_contains(set, text("42")));
    cr_assert_eq(set_length(set), ARRAY_COUNT(values) - 1);
    set_verify(&heap, set);
    set_destroy(&heap, set);
}

Test(set, intset_to_hashtable_past_max_entries) {
    struct set *set = make(SET_ENCODING_INTSET);
    fill(set, FAMILY_INT, 0, 512);
    expect_encoding(set, "intset");
    cr_assert_eq(set_length(set), 512);
    fill(set, FAMILY_INT, 512, 1);
    expect_encoding(set, "hashtable");
    cr_assert_eq(set_length(set), 513);
    expect_family(set, FAMILY_INT, 0, 513);
    set_verify(&heap, set);
    set_destroy(&heap, set);
}

Test(set, intset_to_listpack_on_string) {
    struct set *set = make(SET_ENCODING_INTSET);
    fill(set, FAMILY_INT, 0, 127);
    add_ok(set, text("abc"));
    expect_encoding(set, "listpack");
    cr_assert_eq(set_length(set), 128);
    expect_family(set, FAMILY_INT, 0, 127);
    cr_assert(set_contains(set, text("abc")));
    set_verify(&heap, set);
    /* The listpack is full at 128: one more converts it. */
    add_ok(set, text("def"));
    expect_encoding(set, "hashtable");
    expect_family(set, FAMILY_INT, 0, 127);
    set_verify(&heap, set);
    set_destroy(&heap, set);
}

Test(set, intset_to_hashtable_on_string_when_listpack_is_too_small) {
    /* 128 integers: a listpack would exceed set-max-listpack-entries. */
    struct set *set = make(SET_ENCODING_INTSET);
    fill(set, FAMILY_INT, 0, 128);
    add_ok(set, text("abc"));
    expect_encoding(set, "hashtable");
    expect_family(set, FAMILY_INT, 0, 128);
    set_destroy(&heap, set);
    /* A string longer than set-max-listpack-value (64 is fine, 65 is not). */
    char long_member[65];
    memset(long_member, 'x', sizeof(long_member));
    set = make(SET_ENCODING_INTSET);
    add_ok(set, text("1"));
    add_ok(set, (struct slice){ .ptr = (const uint8_t *)long_member, .size = 64 });
    expect_encoding(set, "listpack");
    set_destroy(&heap, set);
    set = make(SET_ENCODING_INTSET);
    add_ok(set, text("1"));
    add_ok(set, (struct slice){ .ptr = (const uint8_t *)long_member, .size = 65 });
    expect_encoding(set, "hashtable");
    set_destroy(&heap, set);
}

Test(set, intset_to_hashtable_when_an_integer_text_is_too_long) {
    const struct set_limits narrow = { .intset_entries_max = 512, .listpack_entries_max = 128,
                                       .listpack_value_max = 5 };
    struct set *set = make(SET_ENCODING_INTSET);
    cr_assert_eq(set_add(&heap, set, &narrow, text("-1234")), SET_ADD_ADDED); /* 5 chars */
    cr_assert_eq(set_add(&heap, set, &narrow, text("abc")), SET_ADD_ADDED);
    expect_encoding(set, "listpack");
    set_destroy(&heap, set);
    set = make(SET_ENCODING_INTSET);
    cr_assert_eq(set_add(&heap, set, &narrow, text("-12345")), SET_ADD_ADDED); /* 6 chars */
    cr_assert_eq(set_add(&heap, set, &narrow, text("abc")), SET_ADD_ADDED);
    expect_encoding(set, "hashtable");
    cr_assert(set_contains(set, text("-12345")));
    set_destroy(&heap, set);
}

Test(set, intset_limit_is_capped_and_zero_limits_work) {
    const struct set_limits zero = { 0, 0, 0 };
    struct set *set = make(SET_ENCODING_INTSET);
    cr_assert_eq(set_add(&heap, set, &zero, text("1")), SET_ADD_ADDED);
    expect_encoding(set, "hashtable");
    set_destroy(&heap, set);
    const struct set_limits huge = { UINT64_MAX, UINT64_MAX, UINT64_MAX };
    cr_assert_eq(set_initial_encoding(&huge, text("1"), SET_INTSET_ENTRIES_CAP),
                 SET_ENCODING_INTSET);
    cr_assert_eq(set_initial_encoding(&huge, text("1"), SET_INTSET_ENTRIES_CAP + 1),
                 SET_ENCODING_LISTPACK);
}

/* ==== Listpack ==== */

Test(set, listpack_thresholds) {
    struct set *set = make(SET_ENCODING_LISTPACK);
    fill(set, FAMILY_SHORT, 0, 128);
    expect_encoding(set, "listpack");
    cr_assert_eq(set_add(&heap, set, &limits, text("m:5")), SET_ADD_EXISTS);
    set_verify(&heap, set);
    fill(set, FAMILY_SHORT, 128, 1);
    expect_encoding(set, "hashtable");
    expect_family(set, FAMILY_SHORT, 0, 129);
    set_verify(&heap, set);
    set_destroy(&heap, set);

    char value[65];
    memset(value, 'v', sizeof(value));
    set = make(SET_ENCODING_LISTPACK);
    add_ok(set, (struct slice){ .ptr = (const uint8_t *)value, .size = 64 });
    expect_encoding(set, "listpack");
    add_ok(set, (struct slice){ .ptr = (const uint8_t *)value, .size = 65 });
    expect_encoding(set, "hashtable");
    set_verify(&heap, set);
    set_destroy(&heap, set);
}

Test(set, listpack_keeps_insertion_order_and_removes) {
    struct set *set = make(SET_ENCODING_LISTPACK);
    const char *members[] = { "b", "", "a", "10", "\xff\x00z" };
    for (uint32_t index = 0; index < ARRAY_COUNT(members); index++) {
        add_ok(set, text(members[index]));
    }
    cr_assert_eq(set_length(set), 5);
    struct collect collect = { .count = 0 };
    set_visit(set, &collect, collect_visit);
    for (uint32_t index = 0; index < ARRAY_COUNT(members); index++) {
        cr_assert_str_eq(collect.members[index], members[index]);
    }
    cr_assert(set_remove(&heap, set, text("")));
    cr_assert(!set_remove(&heap, set, text("")));
    cr_assert(set_remove(&heap, set, text("b")));
    cr_assert(set_contains(set, text("10")));
    set_verify(&heap, set);
    cr_assert(set_remove(&heap, set, text("a")));
    cr_assert(set_remove(&heap, set, text("10")));
    cr_assert(set_remove(&heap, set, text("\xff")));
    cr_assert_eq(set_length(set), 0);
    set_destroy(&heap, set);
}

/* ==== Creation hints (Redis 7.2's setTypeCreate / setTypeMaybeConvert) ==== */

Test(set, initial_encoding_and_reserve) {
    cr_assert_eq(set_initial_encoding(&limits, text("7"), 512), SET_ENCODING_INTSET);
    cr_assert_eq(set_initial_encoding(&limits, text("7"), 513), SET_ENCODING_HASHTABLE);
    cr_assert_eq(set_initial_encoding(&limits, text("x"), 128), SET_ENCODING_LISTPACK);
    cr_assert_eq(set_initial_encoding(&limits, text("x"), 129), SET_ENCODING_HASHTABLE);
    cr_assert_eq(set_initial_encoding(&limits, text("07"), 1), SET_ENCODING_LISTPACK);
    struct set *set = make(SET_ENCODING_LISTPACK);
    fill(set, FAMILY_SHORT, 0, 3);
    cr_assert(set_reserve(&heap, set, &limits, 128));
    expect_encoding(set, "listpack");
    cr_assert(set_reserve(&heap, set, &limits, 129));
    expect_encoding(set, "hashtable");
    expect_family(set, FAMILY_SHORT, 0, 3);
    set_verify(&heap, set);
    set_destroy(&heap, set);
    set = make(SET_ENCODING_INTSET);
    fill(set, FAMILY_INT, 0, 3);
    cr_assert(set_reserve(&heap, set, &limits, 512));
    expect_encoding(set, "intset");
    cr_assert(set_reserve(&heap, set, &limits, 513));
    expect_encoding(set, "hashtable");
    expect_family(set, FAMILY_INT, 0, 3);
    set_destroy(&heap, set);
}

/* ==== Hash table ==== */

Test(set, hashtable_grows_shrinks_and_frees_everything) {
    uint64_t used_before = heap.used_size;
    struct set *set = make(SET_ENCODING_HASHTABLE);
    fill(set, FAMILY_SHORT, 0, 100000);
    cr_assert_eq(set_length(set), 100000);
    set_verify(&heap, set);
    expect_family(set, FAMILY_SHORT, 0, 100000);
    cr_assert_eq(set_memory_size(&heap, set), heap.used_size - used_before);
    uint64_t full_size = set_memory_size(&heap, set);
    char buffer[NAME_SIZE];
    for (uint64_t index = 0; index < 99990; index++) {
        cr_assert(set_remove(&heap, set, member_of(buffer, FAMILY_SHORT, index)));
    }
    set_verify(&heap, set);
    cr_assert_eq(set_length(set), 10);
    expect_family(set, FAMILY_SHORT, 99990, 10);
    cr_assert_lt(set_memory_size(&heap, set), full_size / 100, "the table shrank");
    cr_assert_eq(set_memory_size(&heap, set), heap.used_size - used_before);
    set_destroy(&heap, set);
    cr_assert_eq(heap.used_size, used_before);
}

Test(set, hashtable_binary_members) {
    struct set *set = make(SET_ENCODING_HASHTABLE);
    uint8_t bytes[4] = { 0, '\r', '\n', 0xff };
    for (uint32_t size = 0; size <= 4; size++) {
        add_ok(set, (struct slice){ .ptr = bytes, .size = size });
    }
    cr_assert_eq(set_length(set), 5);
    cr_assert(set_contains(set, (struct slice){ .ptr = bytes, .size = 0 }));
    cr_assert(set_contains(set, (struct slice){ .ptr = bytes, .size = 3 }));
    cr_assert(!set_contains(set, (struct slice){ .ptr = bytes + 1, .size = 3 }));
    set_verify(&heap, set);
    set_destroy(&heap, set);
}

Test(set, memory_per_member) {
    /* 16-byte members take a 32-byte entry plus an 8-byte bucket at most. */
    struct set *set = make(SET_ENCODING_HASHTABLE);
    char buffer[NAME_SIZE];
    for (uint64_t index = 0; index < 65536; index++) {
        snprintf(buffer, sizeof(buffer), "member:%09lu", (unsigned long)index);
        add_ok(set, (struct slice){ .ptr = (const uint8_t *)buffer, .size = 16 });
    }
    uint64_t per_member = set_memory_size(&heap, set) / set_length(set);
    cr_assert_leq(per_member, 40, "%lu bytes per member", (unsigned long)per_member);
    set_destroy(&heap, set);
}

/* ==== Iteration, handles, random members ==== */

Test(set, handles_name_members_in_every_encoding) {
    enum family families[] = { FAMILY_INT, FAMILY_SHORT, FAMILY_SHORT };
    uint64_t counts[] = { 50, 50, 1000 };
    const char *names[] = { "intset", "listpack", "hashtable" };
    for (uint32_t round = 0; round < 3; round++) {
        struct set *set = make(round == 0 ? SET_ENCODING_INTSET : SET_ENCODING_LISTPACK);
        fill(set, families[round], 0, counts[round]);
        expect_encoding(set, names[round]);
        char digits[SET_DIGITS_SIZE];
        for (uint32_t pick = 0; pick < 200; pick++) {
            uint64_t handle = set_random_handle(set);
            cr_assert(set_contains(set, set_member_at(set, handle, digits)));
        }
        /* Pop everything by handle, as SPOP does. */
        for (uint64_t left = counts[round]; left > 0; left--) {
            uint64_t handle = set_random_handle(set);
            struct slice member = set_member_at(set, handle, digits);
            char copy[NAME_SIZE];
            memcpy(copy, member.ptr, member.size);
            set_remove_handle(&heap, set, handle);
            cr_assert(!set_contains(set, (struct slice){ (const uint8_t *)copy, member.size }));
            cr_assert_eq(set_length(set), left - 1);
        }
        set_verify(&heap, set);
        set_destroy(&heap, set);
    }
}

/* The index of a generated member, by search (integers) or parsing (strings). */
static uint64_t index_of(struct slice member, enum family family, uint64_t count) {
    char buffer[NAME_SIZE];
    if (family == FAMILY_SHORT) {
        cr_assert(member.size > 2 && member.size < NAME_SIZE);
        memcpy(buffer, member.ptr + 2, member.size - 2);
        buffer[member.size - 2] = 0;
        return strtoul(buffer, NULL, 10);
    }
    for (uint64_t index = 0; index < count; index++) {
        if (slice_equal(member, member_of(buffer, family, index))) {
            return index;
        }
    }
    cr_assert_fail("not a member");
    return 0;
}

Test(set, random_members_cover_the_set) {
    for (uint32_t round = 0; round < 3; round++) {
        struct set *set = make(round == 0 ? SET_ENCODING_INTSET : SET_ENCODING_LISTPACK);
        enum family family = round == 0 ? FAMILY_INT : FAMILY_SHORT;
        uint64_t count = round == 2 ? 300 : 20;
        fill(set, family, 0, count);
        uint32_t hits[300] = { 0 };
        char digits[SET_DIGITS_SIZE];
        for (uint32_t pick = 0; pick < 100 * count; pick++) {
            struct slice member = set_member_at(set, set_random_handle(set), digits);
            uint64_t index = index_of(member, family, count);
            cr_assert(index < count);
            hits[index]++;
        }
        for (uint64_t index = 0; index < count; index++) {
            cr_assert_gt(hits[index], 20, "member %lu picked %u times of ~100",
                         (unsigned long)index, hits[index]);
        }
        set_destroy(&heap, set);
    }
}

static bool stop_after_two(void *context, struct slice member) {
    uint32_t *seen = context;
    (void)member;
    (*seen)++;
    return *seen < 2;
}

Test(set, visit_stops_when_asked) {
    struct set *set = make(SET_ENCODING_HASHTABLE);
    fill(set, FAMILY_SHORT, 0, 10);
    uint32_t seen = 0;
    set_visit(set, &seen, stop_after_two);
    cr_assert_eq(seen, 2);
    set_destroy(&heap, set);
}

/* ==== SSCAN ==== */

#define SCAN_MEMBERS 5000u

struct scan_seen {
    uint8_t seen[4 * SCAN_MEMBERS];
    uint64_t visits;
};

static bool scan_record(void *context, struct slice member) {
    struct scan_seen *record = context;
    char buffer[16];
    cr_assert(member.size > 2 && member.size < sizeof(buffer));
    memcpy(buffer, member.ptr + 2, member.size - 2);
    buffer[member.size - 2] = 0;
    unsigned long index = strtoul(buffer, NULL, 10);
    cr_assert(index < 4 * SCAN_MEMBERS);
    record->seen[index] = 1;
    record->visits++;
    return true;
}

/* Scans while `change` members are added (or removed) between calls. */
static void scan_while_changing(bool grow) {
    static struct scan_seen record;
    memset(&record, 0, sizeof(record));
    struct set *set = make(SET_ENCODING_HASHTABLE);
    fill(set, FAMILY_SHORT, 0, SCAN_MEMBERS);
    uint64_t cursor = 0;
    uint64_t next_index = SCAN_MEMBERS;
    uint64_t calls = 0;
    char buffer[NAME_SIZE];
    do {
        cursor = set_scan(set, cursor, 10, 100, &record, scan_record);
        calls++;
        for (uint32_t change = 0; change < 40; change++) {
            if (grow && next_index < 4 * SCAN_MEMBERS) {
                add_ok(set, member_of(buffer, FAMILY_SHORT, next_index++));
            } else if (!grow && set_length(set) > SCAN_MEMBERS / 10) {
                /* Remove all but the lowest tenth, which stays for the whole scan. */
                uint64_t index = SCAN_MEMBERS - 1 - (SCAN_MEMBERS - set_length(set));
                cr_assert(set_remove(&heap, set, member_of(buffer, FAMILY_SHORT, index)));
            }
        }
        cr_assert_lt(calls, 100000);
    } while (cursor != 0);
    uint64_t kept = grow ? SCAN_MEMBERS : SCAN_MEMBERS / 10;
    for (uint64_t index = 0; index < kept; index++) {
        cr_assert(record.seen[index], "member %lu never returned", (unsigned long)index);
    }
    set_verify(&heap, set);
    set_destroy(&heap, set);
}

Test(set, scan_returns_every_member_while_the_table_grows) {
    scan_while_changing(true);
}

Test(set, scan_returns_every_member_while_the_table_shrinks) {
    scan_while_changing(false);
}

Test(set, scan_small_encodings_return_everything) {
    static struct scan_seen record;
    memset(&record, 0, sizeof(record));
    struct set *set = make(SET_ENCODING_LISTPACK);
    fill(set, FAMILY_SHORT, 0, 100);
    cr_assert_eq(set_scan(set, 12345, 1, 1, &record, scan_record), 0);
    cr_assert_eq(record.visits, 100);
    set_destroy(&heap, set);
}

Test(set, scan_is_deterministic_and_bounded) {
    static struct scan_seen first;
    static struct scan_seen second;
    memset(&first, 0, sizeof(first));
    memset(&second, 0, sizeof(second));
    struct set *set = make(SET_ENCODING_HASHTABLE);
    fill(set, FAMILY_SHORT, 0, 1000);
    uint64_t cursor_one = set_scan(set, 0, 10, 100, &first, scan_record);
    uint64_t cursor_two = set_scan(set, 0, 10, 100, &second, scan_record);
    cr_assert_eq(cursor_one, cursor_two);
    cr_assert_neq(cursor_one, 0);
    cr_assert_eq(first.visits, second.visits);
    cr_assert_eq(memcmp(first.seen, second.seen, sizeof(first.seen)), 0);
    cr_assert_geq(first.visits, 10);
    set_destroy(&heap, set);
}

/* ==== Copies ==== */

Test(set, copies_are_deep) {
    enum set_encoding encodings[] = { SET_ENCODING_INTSET, SET_ENCODING_LISTPACK,
                                      SET_ENCODING_HASHTABLE };
    for (uint32_t round = 0; round < 3; round++) {
        struct set *set = make(encodings[round]);
        enum family family = round == 0 ? FAMILY_INT : FAMILY_SHORT;
        fill(set, family, 0, round == 2 ? 500 : 50);
        struct set *copy = set_copy(&heap, set);
        cr_assert(copy != NULL);
        cr_assert_str_eq(set_encoding_name(copy), set_encoding_name(set));
        cr_assert_eq(set_length(copy), set_length(set));
        cr_assert_eq(set_memory_size(&heap, copy), set_memory_size(&heap, set));
        expect_family(copy, family, 0, set_length(set));
        set_verify(&heap, copy);
        char buffer[NAME_SIZE];
        cr_assert(set_remove(&heap, set, member_of(buffer, family, 3)));
        cr_assert(set_contains(copy, member_of(buffer, family, 3)));
        set_destroy(&heap, set);
        set_verify(&heap, copy);
        set_destroy(&heap, copy);
    }
}

/* ==== Failure at every allocation point ==== */

/* Builds the starting state of a scenario. */
typedef struct set *(*scenario_build)(void);
/* Runs the operation that may fail; true when it completed. */
typedef bool (*scenario_run)(struct set *set);

struct scenario {
    const char *name;
    scenario_build build;
    scenario_run run;
    enum family family;
    uint64_t count;          /* the state: members [0, count) of family */
};

static struct set *build_intset_small(void) {
    struct set *set = make(SET_ENCODING_INTSET);
    fill(set, FAMILY_INT, 0, 40);
    return set;
}

static struct set *build_intset_full(void) {
    struct set *set = make(SET_ENCODING_INTSET);
    fill(set, FAMILY_INT, 0, 512);
    return set;
}

static struct set *build_listpack_small(void) {
    struct set *set = make(SET_ENCODING_LISTPACK);
    fill(set, FAMILY_SHORT, 0, 40);
    return set;
}

static struct set *build_listpack_full(void) {
    struct set *set = make(SET_ENCODING_LISTPACK);
    fill(set, FAMILY_SHORT, 0, 128);
    return set;
}

static struct set *build_table_at_power(void) {
    struct set *set = make(SET_ENCODING_HASHTABLE);
    fill(set, FAMILY_SHORT, 0, 1024); /* the next insert doubles the buckets */
    return set;
}

static bool run_add(struct set *set, const char *member) {
    return set_add(&heap, set, &limits, text(member)) != SET_ADD_NO_ROOM;
}

static bool run_add_int(struct set *set) {
    return run_add(set, "1234567");
}

static bool run_add_wide_int(struct set *set) {
    return run_add(set, "-9000000000");
}

static bool run_add_string(struct set *set) {
    return run_add(set, "a string");
}

static bool run_add_long_string(struct set *set) {
    return run_add(set, "a string longer than sixty-four bytes, which is more than any listpack "
                        "member may hold");
}

static bool run_reserve(struct set *set) {
    return set_reserve(&heap, set, &limits, 100000);
}

static const struct scenario scenarios[] = {
    { "intset insert", build_intset_small, run_add_int, FAMILY_INT, 40 },
    { "intset upgrade", build_intset_small, run_add_wide_int, FAMILY_INT, 40 },
    { "intset to listpack", build_intset_small, run_add_string, FAMILY_INT, 40 },
    { "intset to hashtable (string)", build_intset_small, run_add_long_string, FAMILY_INT, 40 },
    { "intset to hashtable (count)", build_intset_full, run_add_int, FAMILY_INT, 512 },
    { "intset reserve", build_intset_small, run_reserve, FAMILY_INT, 40 },
    { "listpack append", build_listpack_small, run_add_string, FAMILY_SHORT, 40 },
    { "listpack to hashtable (count)", build_listpack_full, run_add_string, FAMILY_SHORT, 128 },
    { "listpack to hashtable (size)", build_listpack_small, run_add_long_string, FAMILY_SHORT,
      40 },
    { "listpack reserve", build_listpack_small, run_reserve, FAMILY_SHORT, 40 },
    { "hashtable add with growth", build_table_at_power, run_add_string, FAMILY_SHORT, 1024 },
};

/* Runs a scenario with 0, 1, 2, ... allocations allowed until it completes. */
static void scenario_check(const struct scenario *scenario) {
    uint64_t failures = 0;
    for (uint64_t allowed = 0; allowed < 4096; allowed++) {
        struct set *set = scenario->build();
        const char *encoding = set_encoding_name(set);
        uint64_t used_size = heap.used_size;
        uint64_t object_count = heap.object_count;
        set_fail_after(allowed);
        bool done = scenario->run(set);
        set_fail_after(UINT64_MAX);
        set_verify(&heap, set);
        expect_family(set, scenario->family, 0, scenario->count);
        if (done) {
            cr_assert_gt(failures, 0, "%s: never failed", scenario->name);
            set_destroy(&heap, set);
            return;
        }
        failures++;
        cr_assert_eq(set_length(set), scenario->count, "%s", scenario->name);
        cr_assert_str_eq(set_encoding_name(set), encoding, "%s", scenario->name);
        cr_assert_eq(heap.used_size, used_size, "%s: leaked at %lu", scenario->name,
                     (unsigned long)allowed);
        cr_assert_eq(heap.object_count, object_count, "%s", scenario->name);
        set_destroy(&heap, set);
    }
    cr_assert_fail("%s: never completed", scenario->name);
}

Test(set, failure_at_every_allocation_leaves_the_set_unchanged) {
    for (uint32_t index = 0; index < ARRAY_COUNT(scenarios); index++) {
        scenario_check(&scenarios[index]);
    }
}

Test(set, failure_in_create_and_copy_leaks_nothing) {
    for (uint64_t allowed = 0; allowed < 2; allowed++) {
        set_fail_after(allowed);
        cr_assert_null(set_create(&heap, SET_ENCODING_HASHTABLE, 1000));
        set_fail_after(UINT64_MAX);
    }
    enum set_encoding encodings[] = { SET_ENCODING_INTSET, SET_ENCODING_LISTPACK,
                                      SET_ENCODING_HASHTABLE };
    for (uint32_t round = 0; round < 3; round++) {
        struct set *set = make(encodings[round]);
        fill(set, round == 0 ? FAMILY_INT : FAMILY_SHORT, 0, 20);
        uint64_t object_count = heap.object_count;
        uint64_t allowed = 0;
        struct set *copy = NULL;
        for (; allowed < 64 && copy == NULL; allowed++) {
            set_fail_after(allowed);
            copy = set_copy(&heap, set);
            set_fail_after(UINT64_MAX);
            if (copy == NULL) {
                cr_assert_eq(heap.object_count, object_count);
            }
        }
        cr_assert(copy != NULL);
        cr_assert_gt(allowed, 1);
        set_destroy(&heap, copy);
        set_destroy(&heap, set);
    }
}

/* Removal never fails, even when a shrink finds no room. */
Test(set, removal_without_room_still_removes) {
    struct set *set = make(SET_ENCODING_HASHTABLE);
    fill(set, FAMILY_SHORT, 0, 2000);
    set_fail_after(0);
    char buffer[NAME_SIZE];
    for (uint64_t index = 0; index < 1990; index++) {
        cr_assert(set_remove(&heap, set, member_of(buffer, FAMILY_SHORT, index)));
    }
    set_fail_after(UINT64_MAX);
    set_verify(&heap, set);
    expect_family(set, FAMILY_SHORT, 1990, 10);
    char digits[SET_DIGITS_SIZE];
    for (uint32_t pick = 0; pick < 100; pick++) {
        cr_assert(set_contains(set, set_member_at(set, set_random_handle(set), digits)));
    }
    set_destroy(&heap, set);
}

/* ==== A genuinely full heap ==== */

static void *fillers[FILLER_COUNT_MAX];

/* Longer than any slack an intset or listpack object may have, short enough for a listpack. */
#define SIXTY_BYTES "012345678901234567890123456789012345678901234567890123456789"

/* Allocates objects of every class, largest first, until the heap refuses each; returns
 * how many. Afterwards no class has a free slot and no page is free. */
static uint32_t exhaust(struct heap *target) {
    uint32_t count = 0;
    for (uint32_t class_index = target->class_count; class_index > 0; class_index--) {
        uint64_t size = target->classes[class_index - 1].object_size;
        for (; count < FILLER_COUNT_MAX; count++) {
            fillers[count] = heap_alloc(target, size);
            if (fillers[count] == NULL) {
                break;
            }
        }
    }
    cr_assert(count < FILLER_COUNT_MAX);
    cr_assert_eq(target->free_page_count, 0);
    return count;
}

Test(small_heap, full_heap_leaves_sets_unchanged) {
    heap_setup(SMALL_PAGE_COUNT);
    set_fail_after(UINT64_MAX);
    struct set *sets[3] = { build_intset_small(), build_listpack_small(), NULL };
    sets[2] = make(SET_ENCODING_HASHTABLE);
    fill(sets[2], FAMILY_SHORT, 0, 64);
    uint32_t filler_count = exhaust(&heap);
    uint64_t used_size = heap.used_size;
    for (uint32_t round = 0; round < 3; round++) {
        enum family family = round == 0 ? FAMILY_INT : FAMILY_SHORT;
        uint64_t count = set_length(sets[round]);
        const char *encoding = set_encoding_name(sets[round]);
        cr_assert_eq(set_add(&heap, sets[round], &limits, text(SIXTY_BYTES)), SET_ADD_NO_ROOM);
        cr_assert_eq(set_add(&heap, sets[round], &limits, text("-9000000000")), SET_ADD_NO_ROOM);
        if (round < 2) {
            cr_assert(!set_reserve(&heap, sets[round], &limits, 100000));
        }
        cr_assert_null(set_copy(&heap, sets[round]));
        cr_assert_eq(heap.used_size, used_size);
        cr_assert_eq(set_length(sets[round]), count);
        cr_assert_str_eq(set_encoding_name(sets[round]), encoding);
        expect_family(sets[round], family, 0, count);
        set_verify(&heap, sets[round]);
        /* Existing members still answer, removal still works. */
        char buffer[NAME_SIZE];
        cr_assert_eq(set_add(&heap, sets[round], &limits, member_of(buffer, family, 1)),
                     SET_ADD_EXISTS);
        cr_assert(set_remove(&heap, sets[round], member_of(buffer, family, 1)));
    }
    for (uint32_t index = 0; index < filler_count; index++) {
        heap_free(&heap, fillers[index]);
    }
    cr_assert_eq(set_add(&heap, sets[0], &limits, text("a string")), SET_ADD_ADDED);
    for (uint32_t round = 0; round < 3; round++) {
        set_destroy(&heap, sets[round]);
    }
    cr_assert_eq(heap.object_count, 0);
    heap_teardown();
}
