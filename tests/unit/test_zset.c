/*
 * test_zset.c: unit tests for the sorted set type (src/zset.c): both
 * encodings, conversion at the thresholds, a 100,000-operation random run
 * against a simple model with zset_verify, ranges, iteration, scans, the
 * accumulator, and failure injection at every allocation point (the set and
 * the heap must be exactly as before a refused change).
 *
 * The heap runs over an anonymous mapping (tests only), as in test_db.c:
 * heap.used_size and heap.object_count tell whether every object an
 * operation made was freed again.
 */
#define _DEFAULT_SOURCE
#include "zset.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <sys/mman.h>

#define TEST_PAGE_COUNT ((uint32_t)(256 * MIB / HEAP_PAGE_SIZE))
#define UNIVERSE_MAX 2000u
#define MEMBER_SIZE_MAX 96u
#define SNAPSHOT_MAX 4096u

static struct heap heap;
static uint8_t *mapping;
static uint64_t mapping_size;
static struct heap_page *descriptors;
static uint32_t descriptor_page_count;

static void heap_setup(uint32_t page_count) {
    mapping_size = ((uint64_t)page_count + 1) * HEAP_PAGE_SIZE;
    void *area = mmap(NULL, mapping_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    cr_assert(area != MAP_FAILED);
    mapping = area;
    uint8_t *pages = (uint8_t *)align_up((uint64_t)(uintptr_t)mapping, HEAP_PAGE_SIZE);
    descriptor_page_count = page_count;
    void *table = mmap(NULL, heap_descriptor_size(page_count), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(table != MAP_FAILED);
    descriptors = table;
    heap_init(&heap, pages, page_count, descriptors);
}

static void setup(void) {
    heap_setup(TEST_PAGE_COUNT);
    zset_fail_after(UINT64_MAX);
}

static void teardown(void) {
    zset_fail_after(UINT64_MAX);
    heap_verify(&heap);
    munmap(descriptors, heap_descriptor_size(descriptor_page_count));
    munmap(mapping, mapping_size);
}

TestSuite(zset, .init = setup, .fini = teardown);

/* ==== Helpers ==== */

static const struct zset_limits default_limits = { .entries_max = 128, .value_size_max = 64 };

static struct slice text(const char *cstr) {
    return slice_from_cstr(cstr);
}

static enum zset_add_status add(struct zset *zset, const struct zset_limits *limits,
                                struct slice member, double score, uint32_t flags) {
    double new_score = 0;
    double old_score = 0;
    return zset_add(&heap, zset, limits, member, score, flags, &new_score, &old_score);
}

static struct zset *make_zset(const struct zset_limits *limits, uint32_t count) {
    struct zset *zset = zset_create(&heap, ZSET_ENCODING_LISTPACK);
    cr_assert(zset != NULL);
    for (uint32_t index = 0; index < count; index++) {
        char member[32];
        snprintf(member, sizeof(member), "member:%06u", index);
        cr_assert_eq(add(zset, limits, text(member), (double)(index % 17), 0), ZSET_ADD_ADDED);
    }
    zset_verify(&heap, zset);
    return zset;
}

static double score_of(const struct zset *zset, const char *member) {
    double score = NAN;
    cr_assert(zset_score(zset, text(member), &score), "%s missing", member);
    return score;
}

/* A copy of a set's contents, to prove a refused change left it exactly as it was. */
struct snapshot {
    uint64_t length;
    uint64_t memory_size;
    enum zset_encoding encoding;
    uint32_t count;
    double scores[SNAPSHOT_MAX];
    uint8_t members[SNAPSHOT_MAX][MEMBER_SIZE_MAX];
    uint32_t sizes[SNAPSHOT_MAX];
};

static struct snapshot snapshot_a;

static bool snapshot_visit(void *context, struct slice member, double score) {
    struct snapshot *snapshot = context;
    cr_assert(snapshot->count < SNAPSHOT_MAX);
    cr_assert(member.size <= MEMBER_SIZE_MAX);
    memcpy(snapshot->members[snapshot->count], member.ptr, member.size);
    snapshot->sizes[snapshot->count] = member.size;
    snapshot->scores[snapshot->count] = score;
    snapshot->count++;
    return true;
}

static void snapshot_take(struct snapshot *snapshot, const struct zset *zset) {
    memset(snapshot, 0, sizeof(*snapshot));
    snapshot->length = zset_length(zset);
    snapshot->memory_size = zset_memory_size(&heap, zset);
    snapshot->encoding = zset_encoding(zset);
    zset_visit(zset, false, snapshot, snapshot_visit);
    cr_assert_eq(snapshot->count, snapshot->length);
}

static void snapshot_expect(const struct snapshot *expected, const struct zset *zset) {
    static struct snapshot actual;
    zset_verify(&heap, zset);
    snapshot_take(&actual, zset);
    cr_assert_eq(actual.length, expected->length);
    cr_assert_eq(actual.encoding, expected->encoding);
    cr_assert_eq(actual.memory_size, expected->memory_size);
    for (uint32_t index = 0; index < expected->count; index++) {
        cr_assert_eq(actual.sizes[index], expected->sizes[index]);
        cr_assert(memcmp(actual.members[index], expected->members[index],
                         expected->sizes[index]) == 0);
        cr_assert(actual.scores[index] == expected->scores[index]);
        cr_assert_eq(signbit(actual.scores[index]), signbit(expected->scores[index]));
    }
}

/* ==== Both encodings ==== */

Test(zset, packed_basics) {
    uint64_t used_before = heap.used_size;
    struct zset *zset = zset_create(&heap, ZSET_ENCODING_LISTPACK);
    cr_assert(zset != NULL);
    cr_assert_str_eq(zset_encoding_name(zset), "listpack");
    cr_assert_eq(add(zset, &default_limits, text("b"), 2, 0), ZSET_ADD_ADDED);
    cr_assert_eq(add(zset, &default_limits, text("a"), 1, 0), ZSET_ADD_ADDED);
    cr_assert_eq(add(zset, &default_limits, text("c"), 2, 0), ZSET_ADD_ADDED);
    cr_assert_eq(add(zset, &default_limits, text(""), 2, 0), ZSET_ADD_ADDED);
    cr_assert_eq(add(zset, &default_limits, text("a"), 1, 0), ZSET_ADD_UNCHANGED);
    cr_assert_eq(add(zset, &default_limits, text("a"), 5, ZSET_ADD_NX), ZSET_ADD_SKIPPED);
    cr_assert_eq(add(zset, &default_limits, text("z"), 5, ZSET_ADD_XX), ZSET_ADD_SKIPPED);
    cr_assert_eq(zset_length(zset), 4);
    uint64_t rank = 0;
    cr_assert(zset_rank(zset, text("a"), &rank) && rank == 0);
    cr_assert(zset_rank(zset, text(""), &rank) && rank == 1);
    cr_assert(zset_rank(zset, text("c"), &rank) && rank == 3);
    cr_assert(!zset_rank(zset, text("x"), &rank));
    cr_assert_eq(add(zset, &default_limits, text("a"), 3, 0), ZSET_ADD_UPDATED);
    cr_assert(zset_rank(zset, text("a"), &rank) && rank == 3);
    cr_assert(score_of(zset, "a") == 3);
    zset_verify(&heap, zset);
    cr_assert(zset_remove(&heap, zset, text("")));
    cr_assert(!zset_remove(&heap, zset, text("")));
    cr_assert_eq(zset_length(zset), 3);
    zset_delete_ranks(&heap, zset, 0, 3);
    cr_assert_eq(zset_length(zset), 0);
    zset_verify(&heap, zset);
    zset_destroy(&heap, zset);
    cr_assert_eq(heap.used_size, used_before);
}

Test(zset, skiplist_basics) {
    uint64_t used_before = heap.used_size;
    struct zset *zset = zset_create(&heap, ZSET_ENCODING_SKIPLIST);
    cr_assert(zset != NULL);
    cr_assert_str_eq(zset_encoding_name(zset), "skiplist");
    const char *members[] = { "d", "a", "c", "b", "e" };
    const double scores[] = { 4, 1, 3, 2, 3 };
    for (uint32_t index = 0; index < 5; index++) {
        cr_assert_eq(add(zset, &default_limits, text(members[index]), scores[index], 0),
                     ZSET_ADD_ADDED);
    }
    const char *order[] = { "a", "b", "c", "e", "d" };
    struct zset_iterator iterator;
    zset_iterator_init(&iterator, zset, 0, false);
    for (uint32_t index = 0; index < 5; index++) {
        struct slice member;
        double score = 0;
        cr_assert(zset_iterator_next(&iterator, &member, &score));
        cr_assert(slice_equal(member, text(order[index])));
    }
    struct slice member;
    double score = 0;
    cr_assert(!zset_iterator_next(&iterator, &member, &score));
    zset_iterator_init(&iterator, zset, 3, true);
    cr_assert(zset_iterator_next(&iterator, &member, &score) && slice_equal(member, text("e")));
    cr_assert_eq(add(zset, &default_limits, text("a"), 10, ZSET_ADD_GT), ZSET_ADD_UPDATED);
    cr_assert_eq(add(zset, &default_limits, text("a"), 5, ZSET_ADD_GT), ZSET_ADD_SKIPPED);
    cr_assert_eq(add(zset, &default_limits, text("a"), 5, ZSET_ADD_LT), ZSET_ADD_UPDATED);
    cr_assert_eq(add(zset, &default_limits, text("a"), INFINITY, ZSET_ADD_INCR),
                 ZSET_ADD_UPDATED);
    cr_assert_eq(add(zset, &default_limits, text("a"), -INFINITY, ZSET_ADD_INCR), ZSET_ADD_NAN);
    cr_assert(score_of(zset, "a") == INFINITY);
    zset_verify(&heap, zset);
    zset_destroy(&heap, zset);
    cr_assert_eq(heap.used_size, used_before);
}

Test(zset, negative_zero_is_zero_when_packed) {
    struct zset *packed = zset_create(&heap, ZSET_ENCODING_LISTPACK);
    struct zset *skiplist = zset_create(&heap, ZSET_ENCODING_SKIPLIST);
    cr_assert(packed != NULL && skiplist != NULL);
    cr_assert_eq(add(packed, &default_limits, text("x"), -0.0, 0), ZSET_ADD_ADDED);
    cr_assert_eq(add(skiplist, &default_limits, text("x"), -0.0, 0), ZSET_ADD_ADDED);
    cr_assert(!signbit(score_of(packed, "x")));
    cr_assert(signbit(score_of(skiplist, "x")));
    /* -0 == 0: not an update in either encoding. */
    cr_assert_eq(add(packed, &default_limits, text("x"), 0.0, 0), ZSET_ADD_UNCHANGED);
    cr_assert_eq(add(skiplist, &default_limits, text("x"), 0.0, 0), ZSET_ADD_UNCHANGED);
    cr_assert(signbit(score_of(skiplist, "x")));
    cr_assert(zset_fit(&heap, skiplist, &default_limits));
    cr_assert_eq(zset_encoding(skiplist), ZSET_ENCODING_LISTPACK);
    cr_assert(!signbit(score_of(skiplist, "x")));
    zset_destroy(&heap, packed);
    zset_destroy(&heap, skiplist);
}

/* ==== Conversion ==== */

Test(zset, converts_one_past_the_entry_limit) {
    struct zset *zset = make_zset(&default_limits, 128);
    cr_assert_eq(zset_encoding(zset), ZSET_ENCODING_LISTPACK);
    /* Updates never convert, even at the limit. */
    cr_assert_eq(add(zset, &default_limits, text("member:000000"), 99, 0), ZSET_ADD_UPDATED);
    cr_assert_eq(zset_encoding(zset), ZSET_ENCODING_LISTPACK);
    cr_assert_eq(add(zset, &default_limits, text("one more"), 1, 0), ZSET_ADD_ADDED);
    cr_assert_eq(zset_encoding(zset), ZSET_ENCODING_SKIPLIST);
    cr_assert_eq(zset_length(zset), 129);
    zset_verify(&heap, zset);
    cr_assert(score_of(zset, "member:000000") == 99);
    /* One way: shrinking back below the limit keeps the skiplist. */
    zset_delete_ranks(&heap, zset, 0, 100);
    cr_assert_eq(zset_encoding(zset), ZSET_ENCODING_SKIPLIST);
    zset_verify(&heap, zset);
    zset_destroy(&heap, zset);
}

Test(zset, converts_one_past_the_value_limit) {
    char member[66];
    memset(member, 'v', sizeof(member));
    member[64] = 0;
    struct zset *zset = zset_create(&heap, ZSET_ENCODING_LISTPACK);
    cr_assert_eq(add(zset, &default_limits, text(member), 1, 0), ZSET_ADD_ADDED);
    cr_assert_eq(zset_encoding(zset), ZSET_ENCODING_LISTPACK);
    member[64] = 'v';
    member[65] = 0;
    cr_assert_eq(add(zset, &default_limits, text(member), 2, 0), ZSET_ADD_ADDED);
    cr_assert_eq(zset_encoding(zset), ZSET_ENCODING_SKIPLIST);
    cr_assert_eq(zset_length(zset), 2);
    zset_verify(&heap, zset);
    zset_destroy(&heap, zset);
}

Test(zset, entry_limit_zero_converts_at_once) {
    const struct zset_limits none = { .entries_max = 0, .value_size_max = 64 };
    struct zset *zset = zset_create(&heap, ZSET_ENCODING_LISTPACK);
    cr_assert_eq(add(zset, &none, text("a"), -0.0, 0), ZSET_ADD_ADDED);
    cr_assert_eq(zset_encoding(zset), ZSET_ENCODING_SKIPLIST);
    cr_assert(signbit(score_of(zset, "a"))); /* converted before the insert */
    zset_destroy(&heap, zset);
}

Test(zset, fit_and_copy) {
    struct zset *zset = zset_create(&heap, ZSET_ENCODING_SKIPLIST);
    for (uint32_t index = 0; index < 128; index++) {
        char member[16];
        snprintf(member, sizeof(member), "%u", index);
        cr_assert_eq(add(zset, &default_limits, text(member), index, 0), ZSET_ADD_ADDED);
    }
    struct zset *copy = zset_copy(&heap, zset);
    cr_assert(copy != NULL);
    snapshot_take(&snapshot_a, zset);
    snapshot_expect(&snapshot_a, copy);
    cr_assert(zset_fit(&heap, copy, &default_limits));
    cr_assert_eq(zset_encoding(copy), ZSET_ENCODING_LISTPACK);
    zset_verify(&heap, copy);
    cr_assert_eq(add(zset, &default_limits, text("x"), 1, 0), ZSET_ADD_ADDED);
    cr_assert(zset_fit(&heap, zset, &default_limits)); /* 129: stays */
    cr_assert_eq(zset_encoding(zset), ZSET_ENCODING_SKIPLIST);
    struct zset *packed_copy = zset_copy(&heap, copy);
    cr_assert(packed_copy != NULL && zset_length(packed_copy) == 128);
    zset_swap(copy, packed_copy);
    zset_verify(&heap, copy);
    zset_verify(&heap, packed_copy);
    zset_destroy(&heap, packed_copy);
    zset_destroy(&heap, copy);
    zset_destroy(&heap, zset);
}

/* ==== 100,000 random operations against a model ==== */

struct model {
    uint32_t universe;
    bool present[UNIVERSE_MAX];
    double score[UNIVERSE_MAX];
    char member[UNIVERSE_MAX][MEMBER_SIZE_MAX];
    uint32_t sorted[UNIVERSE_MAX];   /* ids of present members in (score, member) order */
    uint32_t sorted_count;
};

static struct model model;
static uint64_t random_state = 88172645463325252ull;

static uint64_t next_random(void) {
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return random_state;
}

static struct slice model_member(uint32_t id) {
    return text(model.member[id]);
}

static void model_init(uint32_t universe) {
    memset(&model, 0, sizeof(model));
    model.universe = universe;
    for (uint32_t id = 0; id < universe; id++) {
        /* Varied sizes, some past the 64-byte value limit, one empty member. */
        uint32_t size = id == 0 ? 0 : (id % 13 == 0 ? 70 : 1 + id % 9);
        for (uint32_t index = 0; index < size; index++) {
            model.member[id][index] = (char)('a' + (id * 7 + index) % 26);
        }
        char digits[16];
        snprintf(digits, sizeof(digits), "%06u", id % 1000000u);
        memcpy(model.member[id] + (size > 6 ? size - 6 : 0), digits, 6);
        model.member[id][MAX(size, 6u)] = 0;
        if (size == 0) {
            model.member[id][0] = 0;
        }
    }
}

static int model_compare(uint32_t a, uint32_t b) {
    if (model.score[a] != model.score[b]) {
        return model.score[a] < model.score[b] ? -1 : 1;
    }
    struct slice x = model_member(a);
    struct slice y = model_member(b);
    int order = memcmp(x.ptr, y.ptr, MIN(x.size, y.size));
    return order != 0 ? order : (x.size < y.size ? -1 : (x.size > y.size ? 1 : 0));
}

static void model_sort(void) {
    model.sorted_count = 0;
    for (uint32_t id = 0; id < model.universe; id++) {
        if (!model.present[id]) {
            continue;
        }
        uint32_t at = model.sorted_count++;
        for (; at > 0 && model_compare(model.sorted[at - 1], id) > 0; at--) {
            model.sorted[at] = model.sorted[at - 1];
        }
        model.sorted[at] = id;
    }
}

static double random_score(void) {
    static const double scores[] = { -INFINITY, -3, -1, -0.0, 0, 0.5, 1, 2, 3, 1e300, INFINITY };
    return scores[next_random() % ARRAY_COUNT(scores)];
}

/* What zset_add must do, as Redis's zsetAdd. */
static enum zset_add_status model_add(uint32_t id, double score, uint32_t flags, double *out) {
    if (!model.present[id]) {
        if (flags & ZSET_ADD_XX) {
            return ZSET_ADD_SKIPPED;
        }
        model.present[id] = true;
        model.score[id] = score;
        *out = score;
        return ZSET_ADD_ADDED;
    }
    if (flags & ZSET_ADD_NX) {
        return ZSET_ADD_SKIPPED;
    }
    double current = model.score[id];
    if (flags & ZSET_ADD_INCR) {
        score += current;
        if (isnan(score)) {
            return ZSET_ADD_NAN;
        }
    }
    if (((flags & ZSET_ADD_LT) && score >= current) ||
        ((flags & ZSET_ADD_GT) && score <= current)) {
        return ZSET_ADD_SKIPPED;
    }
    *out = score;
    model.score[id] = score;
    return score != current ? ZSET_ADD_UPDATED : ZSET_ADD_UNCHANGED;
}

static void model_check_all(const struct zset *zset) {
    zset_verify(&heap, zset);
    model_sort();
    cr_assert_eq(zset_length(zset), model.sorted_count);
    if (model.sorted_count == 0) {
        return;
    }
    struct zset_iterator iterator;
    zset_iterator_init(&iterator, zset, 0, false);
    for (uint32_t rank = 0; rank < model.sorted_count; rank++) {
        struct slice member;
        double score = 0;
        cr_assert(zset_iterator_next(&iterator, &member, &score));
        uint32_t id = model.sorted[rank];
        cr_assert(slice_equal(member, model_member(id)), "rank %u", rank);
        cr_assert(score == model.score[id]);
    }
}

static void random_step_add(struct zset *zset, const struct zset_limits *limits) {
    static const uint32_t flag_sets[] = {
        0, 0, 0, ZSET_ADD_NX, ZSET_ADD_XX, ZSET_ADD_GT, ZSET_ADD_LT, ZSET_ADD_INCR,
        ZSET_ADD_XX | ZSET_ADD_GT, ZSET_ADD_XX | ZSET_ADD_LT, ZSET_ADD_INCR | ZSET_ADD_NX,
    };
    uint32_t id = (uint32_t)(next_random() % model.universe);
    uint32_t flags = flag_sets[next_random() % ARRAY_COUNT(flag_sets)];
    double score = random_score();
    double expected = 0;
    double new_score = 0;
    double old_score = 0;
    enum zset_add_status want = model_add(id, score, flags, &expected);
    enum zset_add_status got = zset_add(&heap, zset, limits, model_member(id), score, flags,
                                        &new_score, &old_score);
    cr_assert_eq(got, want, "member %u flags %u", id, flags);
    if (want == ZSET_ADD_ADDED || want == ZSET_ADD_UPDATED || want == ZSET_ADD_UNCHANGED) {
        cr_assert(new_score == expected);
    }
}

static void random_step_rank_ops(struct zset *zset) {
    uint32_t id = (uint32_t)(next_random() % model.universe);
    uint64_t rank = 0;
    bool found = zset_rank(zset, model_member(id), &rank);
    cr_assert_eq(found, model.present[id]);
    if (found) {
        uint64_t expected = 0;
        for (uint32_t other = 0; other < model.universe; other++) {
            expected += model.present[other] && model_compare(other, id) < 0 ? 1 : 0;
        }
        cr_assert_eq(rank, expected);
    }
    if (next_random() % 8 != 0 || zset_length(zset) == 0) {
        return;
    }
    model_sort();
    uint64_t start = next_random() % model.sorted_count;
    uint64_t count = next_random() % MIN(model.sorted_count - start, 5u) + 1;
    zset_delete_ranks(&heap, zset, start, count);
    for (uint64_t index = start; index < start + count; index++) {
        model.present[model.sorted[index]] = false;
    }
}

static void random_step_range(const struct zset *zset) {
    struct zset_range range = { .lex = false };
    range.min.score = random_score();
    range.max.score = random_score();
    range.min.exclusive = next_random() % 2 == 0;
    range.max.exclusive = next_random() % 2 == 0;
    model_sort();
    int64_t first = -1;
    int64_t last = -1;
    uint64_t count = 0;
    for (uint32_t rank = 0; rank < model.sorted_count; rank++) {
        double score = model.score[model.sorted[rank]];
        bool inside = zset_range_above_min(&range, text(""), score) &&
                      zset_range_below_max(&range, text(""), score);
        if (inside) {
            first = first < 0 ? (int64_t)rank : first;
            last = (int64_t)rank;
            count++;
        }
    }
    uint64_t rank = 0;
    cr_assert_eq(zset_range_first(zset, &range, &rank), first >= 0);
    cr_assert(first < 0 || rank == (uint64_t)first);
    cr_assert_eq(zset_range_last(zset, &range, &rank), last >= 0);
    cr_assert(last < 0 || rank == (uint64_t)last);
    cr_assert_eq(zset_range_count(zset, &range), count);
}

static void random_run(const struct zset_limits *limits, uint32_t universe, uint32_t steps) {
    model_init(universe);
    uint64_t used_before = heap.used_size;
    struct zset *zset = zset_create(&heap, ZSET_ENCODING_LISTPACK);
    cr_assert(zset != NULL);
    for (uint32_t step = 0; step < steps; step++) {
        uint64_t choice = next_random() % 100;
        if (choice < 50) {
            random_step_add(zset, limits);
        } else if (choice < 75) {
            uint32_t id = (uint32_t)(next_random() % model.universe);
            cr_assert_eq(zset_remove(&heap, zset, model_member(id)), model.present[id]);
            model.present[id] = false;
        } else if (choice < 90) {
            random_step_rank_ops(zset);
        } else {
            random_step_range(zset);
        }
        if (step % 2000 == 0) {
            model_check_all(zset);
        }
    }
    model_check_all(zset);
    zset_destroy(&heap, zset);
    cr_assert_eq(heap.used_size, used_before);
}

Test(zset, random_operations_skiplist, .timeout = 120) {
    const struct zset_limits limits = { .entries_max = 32, .value_size_max = 64 };
    random_run(&limits, 1000, 100000);
}

Test(zset, random_operations_listpack, .timeout = 120) {
    const struct zset_limits limits = { .entries_max = 100000, .value_size_max = 1000 };
    random_run(&limits, 150, 100000);
}

/* ==== Ranges ==== */

static struct zset *lex_zset(enum zset_encoding encoding) {
    struct zset *zset = zset_create(&heap, encoding);
    const char *members[] = { "a", "aa", "ab", "b", "c", "d" };
    for (uint32_t index = 0; index < ARRAY_COUNT(members); index++) {
        cr_assert_eq(add(zset, &default_limits, text(members[index]), 0, 0), ZSET_ADD_ADDED);
    }
    return zset;
}

static struct zset_range lex_range(const char *min, const char *max) {
    struct zset_range range = { .lex = true };
    cr_assert(zset_parse_lex_bound(text(min), &range.min));
    cr_assert(zset_parse_lex_bound(text(max), &range.max));
    return range;
}

Test(zset, lex_ranges_in_both_encodings) {
    for (uint32_t encoding = 0; encoding < 2; encoding++) {
        struct zset *zset = lex_zset((enum zset_encoding)encoding);
        struct zset_range range = lex_range("-", "+");
        cr_assert_eq(zset_range_count(zset, &range), 6);
        range = lex_range("[aa", "(c");
        uint64_t rank = 0;
        cr_assert(zset_range_first(zset, &range, &rank) && rank == 1);
        cr_assert(zset_range_last(zset, &range, &rank) && rank == 3);
        cr_assert_eq(zset_range_count(zset, &range), 3);
        range = lex_range("(a", "(aa");
        cr_assert_eq(zset_range_count(zset, &range), 0);
        range = lex_range("+", "-");
        cr_assert(!zset_range_first(zset, &range, &rank));
        range = lex_range("-", "-");
        cr_assert_eq(zset_range_count(zset, &range), 0);
        range = lex_range("[b", "[b");
        cr_assert_eq(zset_range_count(zset, &range), 1);
        zset_destroy(&heap, zset);
    }
}

Test(zset, parse_bounds) {
    struct zset_bound bound;
    cr_assert(zset_parse_score_bound(text("(1.5"), &bound) && bound.exclusive &&
              bound.score == 1.5);
    cr_assert(zset_parse_score_bound(text("-inf"), &bound) && bound.score == -INFINITY);
    cr_assert(zset_parse_score_bound(text("+inf"), &bound) && bound.score == INFINITY);
    cr_assert(zset_parse_score_bound(text("inf"), &bound) && bound.score == INFINITY);
    cr_assert(zset_parse_score_bound(text(""), &bound) && bound.score == 0);
    cr_assert(zset_parse_score_bound(text(" 1"), &bound) && bound.score == 1);
    cr_assert(zset_parse_score_bound((struct slice){ (const uint8_t *)"2\0x", 3 }, &bound) &&
              bound.score == 2);
    cr_assert(!zset_parse_score_bound(text("1 "), &bound));
    cr_assert(!zset_parse_score_bound(text("nan"), &bound));
    cr_assert(!zset_parse_score_bound(text("abc"), &bound));
    cr_assert(zset_parse_lex_bound(text("-"), &bound) && bound.infinity == ZSET_LEX_MINUS);
    cr_assert(zset_parse_lex_bound(text("+"), &bound) && bound.infinity == ZSET_LEX_PLUS);
    cr_assert(zset_parse_lex_bound(text("["), &bound) && bound.member.size == 0);
    cr_assert(zset_parse_lex_bound(text("(x"), &bound) && bound.exclusive);
    cr_assert(!zset_parse_lex_bound(text("+x"), &bound));
    cr_assert(!zset_parse_lex_bound(text(""), &bound));
    cr_assert(!zset_parse_lex_bound(text("x"), &bound));
}

Test(zset, packed_score_format) {
    char buffer[32];
    struct { double value; const char *text; } cases[] = {
        { 1, "1" }, { 1.5, "1.5" }, { 0.1, "0.10000000000000001" }, { 1e17, "100000000000000000" },
        { -0.0, "0" }, { INFINITY, "inf" }, { -INFINITY, "-inf" }, { 5e18, "5e+18" },
        { 4611686018427387904.0, "4611686018427387904" }, { 2.5e-7, "2.4999999999999999e-07" },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        uint32_t size = zset_format_packed_score(buffer, cases[index].value);
        buffer[size] = 0;
        cr_assert_str_eq(buffer, cases[index].text);
    }
}

/* ==== Scan, sampling, accumulation ==== */

struct seen {
    uint8_t flags[20000];
    uint64_t visits;
};

static bool seen_visit(void *context, struct slice member, double score) {
    struct seen *seen = context;
    (void)score;
    unsigned index = 0;
    cr_assert(sscanf((const char *)member.ptr + 7, "%06u", &index) == 1);
    cr_assert(index < ARRAY_COUNT(seen->flags));
    seen->flags[index] = 1;
    seen->visits++;
    return true;
}

Test(zset, scan_sees_every_member_across_resizes) {
    struct zset *zset = make_zset(&default_limits, 5000);
    static struct seen seen;
    memset(&seen, 0, sizeof(seen));
    uint64_t cursor = 0;
    uint32_t added = 5000;
    for (uint32_t step = 0; step < 100000; step++) {
        cursor = zset_scan(zset, cursor, &seen, seen_visit);
        /* Grow the set while scanning: the table doubles and rehashes incrementally. */
        for (uint32_t more = 0; more < 3 && added < 20000; more++, added++) {
            char member[32];
            snprintf(member, sizeof(member), "member:%06u", added);
            cr_assert_eq(add(zset, &default_limits, text(member), 1, 0), ZSET_ADD_ADDED);
        }
        if (cursor == 0) {
            break;
        }
    }
    cr_assert_eq(cursor, 0);
    for (uint32_t index = 0; index < 5000; index++) {
        cr_assert(seen.flags[index], "member %u never returned", index);
    }
    zset_verify(&heap, zset);
    zset_destroy(&heap, zset);
}

struct sample_count {
    uint32_t hits[200];
    uint64_t total;
};

static bool sample_visit(void *context, struct slice member, double score) {
    struct sample_count *counts = context;
    (void)score;
    unsigned index = 0;
    cr_assert(sscanf((const char *)member.ptr + 7, "%06u", &index) == 1);
    counts->hits[index]++;
    counts->total++;
    return true;
}

Test(zset, samples_distinct_and_repeated) {
    for (uint32_t round = 0; round < 2; round++) {
        struct zset *zset = make_zset(&default_limits, round == 0 ? 100 : 200);
        uint64_t used_before = heap.used_size;
        uint64_t counts[] = { 1, 10, 40, 99 };
        for (uint32_t index = 0; index < ARRAY_COUNT(counts); index++) {
            struct sample_count sample = { 0 };
            cr_assert(zset_sample(&heap, zset, counts[index], true, &sample, sample_visit));
            cr_assert_eq(sample.total, counts[index]);
            for (uint32_t member = 0; member < 200; member++) {
                cr_assert(sample.hits[member] <= 1);
            }
        }
        struct sample_count sample = { 0 };
        cr_assert(zset_sample(&heap, zset, 1000, false, &sample, sample_visit));
        cr_assert_eq(sample.total, 1000);
        cr_assert_eq(heap.used_size, used_before); /* scratch memory given back */
        zset_destroy(&heap, zset);
    }
}

Test(zset, accumulator_union) {
    struct zset *zset = zset_create_accumulator(&heap, 3);
    cr_assert(zset != NULL);
    cr_assert(zset_accumulate(&heap, zset, text("a"), 1, ZSET_AGGREGATE_SUM));
    cr_assert(zset_accumulate(&heap, zset, text("b"), INFINITY, ZSET_AGGREGATE_SUM));
    cr_assert(zset_accumulate(&heap, zset, text("a"), 2, ZSET_AGGREGATE_SUM));
    cr_assert(zset_accumulate(&heap, zset, text("b"), -INFINITY, ZSET_AGGREGATE_SUM));
    for (uint32_t index = 0; index < 100; index++) {
        char member[16];
        snprintf(member, sizeof(member), "m%u", index);
        cr_assert(zset_accumulate(&heap, zset, text(member), index, ZSET_AGGREGATE_MAX));
    }
    cr_assert(zset_remove(&heap, zset, text("m5")));
    cr_assert(score_of(zset, "a") == 3);
    cr_assert(score_of(zset, "b") == 0);
    zset_verify(&heap, zset);
    zset_accumulator_finish(zset);
    zset_verify(&heap, zset);
    cr_assert_eq(zset_length(zset), 101);
    uint64_t rank = 0;
    cr_assert(zset_rank(zset, text("a"), &rank) && rank == 4);
    cr_assert(zset_fit(&heap, zset, &default_limits));
    cr_assert_eq(zset_encoding(zset), ZSET_ENCODING_LISTPACK);
    zset_verify(&heap, zset);
    zset_destroy(&heap, zset);
    cr_assert(zset_aggregate(1, 2, ZSET_AGGREGATE_MIN) == 1);
    cr_assert(zset_aggregate(1, 2, ZSET_AGGREGATE_MAX) == 2);
    cr_assert(zset_aggregate(INFINITY, -INFINITY, ZSET_AGGREGATE_SUM) == 0);
}

/* ==== Failure injection ==== */

typedef bool (*change_function)(struct zset *zset);

/*
 * Runs `change` with the k-th allocation refused, for k = 0, 1, ... until it
 * succeeds; every refusal must leave the set and the heap exactly as before.
 * Returns how many allocation points were exercised.
 */
static uint32_t inject_failures(struct zset *(*build)(void), change_function change) {
    for (uint32_t allowed = 0; allowed < 100000; allowed++) {
        struct zset *zset = build();
        snapshot_take(&snapshot_a, zset);
        uint64_t used_before = heap.used_size;
        uint64_t objects_before = heap.object_count;
        zset_fail_after(allowed);
        bool done = change(zset);
        zset_fail_after(UINT64_MAX);
        if (!done) {
            snapshot_expect(&snapshot_a, zset);
            cr_assert_eq(heap.used_size, used_before, "leak at allocation %u", allowed);
            cr_assert_eq(heap.object_count, objects_before);
        } else {
            zset_verify(&heap, zset);
        }
        zset_destroy(&heap, zset);
        if (done) {
            return allowed;
        }
    }
    cr_assert(false, "never succeeded");
    return 0;
}

static struct zset *build_packed(void) {
    return make_zset(&default_limits, 20);
}

static struct zset *build_full_packed(void) {
    return make_zset(&default_limits, 128);
}

static struct zset *build_skiplist(void) {
    return make_zset(&default_limits, 300);
}

static bool change_add_new(struct zset *zset) {
    uint64_t length = zset_length(zset);
    enum zset_add_status status = add(zset, &default_limits, text("brand new"), 7, 0);
    cr_assert(status == ZSET_ADD_ADDED || status == ZSET_ADD_NO_ROOM);
    cr_assert_eq(zset_length(zset), status == ZSET_ADD_ADDED ? length + 1 : length);
    return status == ZSET_ADD_ADDED;
}

/* A 64-byte member: more than the slack a 20-entry pack's size class can hold. */
static bool change_add_wide(struct zset *zset) {
    char member[65];
    memset(member, 'W', sizeof(member) - 1);
    member[sizeof(member) - 1] = 0;
    enum zset_add_status status = add(zset, &default_limits, text(member), 7, 0);
    cr_assert(status == ZSET_ADD_ADDED || status == ZSET_ADD_NO_ROOM);
    cr_assert_eq(zset_encoding(zset), ZSET_ENCODING_LISTPACK);
    return status == ZSET_ADD_ADDED;
}

static bool change_add_long(struct zset *zset) {
    char member[80];
    memset(member, 'L', sizeof(member) - 1);
    member[sizeof(member) - 1] = 0;
    enum zset_add_status status = add(zset, &default_limits, text(member), 7, 0);
    cr_assert(status == ZSET_ADD_ADDED || status == ZSET_ADD_NO_ROOM);
    return status == ZSET_ADD_ADDED;
}

static bool change_update(struct zset *zset) {
    /* Updates never allocate: they succeed even with every allocation refused. */
    cr_assert_eq(add(zset, &default_limits, text("member:000003"), -5, 0), ZSET_ADD_UPDATED);
    cr_assert_eq(add(zset, &default_limits, text("member:000004"), 1, ZSET_ADD_INCR),
                 ZSET_ADD_UPDATED);
    return true;
}

static bool change_remove(struct zset *zset) {
    cr_assert(zset_remove(&heap, zset, text("member:000007")));
    zset_delete_ranks(&heap, zset, 0, zset_length(zset) / 2);
    return true;
}

static struct zset *copy_made;

static bool change_copy(struct zset *zset) {
    copy_made = zset_copy(&heap, zset);
    if (copy_made == NULL) {
        return false;
    }
    zset_verify(&heap, copy_made);
    zset_destroy(&heap, copy_made);
    return true;
}

static bool change_sample(struct zset *zset) {
    struct sample_count sample = { 0 };
    return zset_sample(&heap, zset, 5, false, &sample, sample_visit);
}

static struct zset *build_small_skiplist(void) {
    struct zset *zset = zset_create(&heap, ZSET_ENCODING_SKIPLIST);
    cr_assert(zset != NULL);
    for (uint32_t index = 0; index < 100; index++) {
        char member[32];
        snprintf(member, sizeof(member), "member:%06u", index);
        cr_assert_eq(add(zset, &default_limits, text(member), index, 0), ZSET_ADD_ADDED);
    }
    return zset;
}

static bool change_fit(struct zset *zset) {
    bool fitted = zset_fit(&heap, zset, &default_limits);
    cr_assert(!fitted || zset_encoding(zset) == ZSET_ENCODING_LISTPACK);
    return fitted;
}

Test(zset, failure_at_every_allocation_point) {
    /* Packed growth: one allocation (the larger pack). */
    cr_assert_eq(inject_failures(build_packed, change_add_wide), 1);
    /* Conversion by length and by member size: every node, the table, the header. */
    cr_assert(inject_failures(build_full_packed, change_add_new) >= 128);
    cr_assert(inject_failures(build_packed, change_add_long) >= 20);
    /* Skiplist insert: the node (table growth is optional). */
    cr_assert(inject_failures(build_skiplist, change_add_new) >= 1);
    cr_assert_eq(inject_failures(build_skiplist, change_update), 0);
    cr_assert_eq(inject_failures(build_packed, change_update), 0);
    cr_assert_eq(inject_failures(build_skiplist, change_remove), 0);
    cr_assert_eq(inject_failures(build_packed, change_remove), 0);
    cr_assert(inject_failures(build_skiplist, change_copy) >= 300);
    cr_assert(inject_failures(build_packed, change_copy) >= 2);
    cr_assert(inject_failures(build_packed, change_sample) >= 1);
    cr_assert_eq(inject_failures(build_small_skiplist, change_fit), 1);
}

Test(zset, create_fails_cleanly) {
    uint64_t used_before = heap.used_size;
    for (uint32_t allowed = 0; allowed < 4; allowed++) {
        zset_fail_after(allowed);
        struct zset *zset = zset_create(&heap, ZSET_ENCODING_SKIPLIST);
        struct zset *accumulator = zset_create_accumulator(&heap, 10);
        zset_fail_after(UINT64_MAX);
        if (zset != NULL) {
            zset_destroy(&heap, zset);
        }
        if (accumulator != NULL) {
            zset_destroy(&heap, accumulator);
        }
        cr_assert_eq(heap.used_size, used_before);
    }
}

/* A real heap that fills up: the refused add changes nothing, and updates still work. */
Test(zset, real_heap_full) {
    teardown();
    heap_setup(32); /* 2 MiB */
    struct zset *zset = zset_create(&heap, ZSET_ENCODING_LISTPACK);
    cr_assert(zset != NULL);
    uint32_t count = 0;
    for (; count < 1000000; count++) {
        char member[32];
        snprintf(member, sizeof(member), "member:%06u", count);
        uint64_t used_before = heap.used_size;
        enum zset_add_status status = add(zset, &default_limits, text(member), count, 0);
        if (status == ZSET_ADD_NO_ROOM) {
            cr_assert_eq(heap.used_size, used_before);
            cr_assert(!zset_score(zset, text(member), &(double){ 0 }));
            break;
        }
        cr_assert_eq(status, ZSET_ADD_ADDED);
    }
    cr_assert(count > 1000 && count < 1000000);
    cr_assert_eq(zset_length(zset), count);
    zset_verify(&heap, zset);
    cr_assert_eq(add(zset, &default_limits, text("member:000000"), -1, 0), ZSET_ADD_UPDATED);
    /* Freeing half the nodes empties whole slabs, which any size class can reuse. */
    zset_delete_ranks(&heap, zset, 0, count / 2);
    zset_verify(&heap, zset);
    for (uint32_t index = 0; index < 100; index++) {
        char member[32];
        snprintf(member, sizeof(member), "again:%u", index);
        cr_assert_eq(add(zset, &default_limits, text(member), 1, 0), ZSET_ADD_ADDED);
    }
    zset_verify(&heap, zset);
    zset_destroy(&heap, zset);
    heap_verify(&heap);
}
