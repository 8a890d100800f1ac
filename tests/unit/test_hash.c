/*
 * test_hash.c: unit tests for the hash type (src/hash.c): both encodings, the
 * conversion thresholds (at the limit and one past it), HSCAN's cursor under
 * growth and shrinking, random sampling, copies, and "heap full" at every
 * allocation point of each mutating operation.
 *
 * The heap runs over an anonymous mapping (tests only). Failure injection uses
 * the real heap: heap_fill_except() reserves one object per listed size, fills
 * every free page and every free slot of every class, then frees the reserved
 * objects, so exactly those allocations (by size class) can still succeed.
 * The size lists mirror the layout documented in hash.h/hash.c: a 24-byte
 * header, listpack pairs of 2 + field + value bytes for short strings,
 * 16 + field + value bytes per table entry, 8 bytes per bucket.
 */
#define _DEFAULT_SOURCE
#include "hash.h"

#include "index.h"

#include <criterion/criterion.h>
#include <sys/mman.h>
#include <time.h>

#define FILL_SIZES_MAX 32u
#define SNAPSHOT_SIZE_MAX ((uint64_t)(4 * MIB))
#define FIELD_SIZE 16u
#define VALUE_SIZE 32u
#define ENTRY_SIZE (16u + FIELD_SIZE + VALUE_SIZE)
#define PAIR_SIZE (2u + FIELD_SIZE + VALUE_SIZE)

static struct heap heap;
static uint8_t *mapping;
static uint64_t mapping_size;
static struct heap_page *descriptors;
static uint32_t descriptor_page_count;
static uint8_t snapshot_before[SNAPSHOT_SIZE_MAX];
static uint8_t snapshot_after[SNAPSHOT_SIZE_MAX];

static const struct hash_limits LIMITS_DEFAULT = { .listpack_entries_max = 512,
                                                   .listpack_value_size_max = 64 };
static const struct hash_limits LIMITS_TABLE = { .listpack_entries_max = 0,
                                                 .listpack_value_size_max = 64 };

/* ==== Heap over a mapping ==== */

static void heap_close(void) {
    if (mapping == NULL) {
        return;
    }
    heap_verify(&heap);
    munmap(descriptors, heap_descriptor_size(descriptor_page_count));
    munmap(mapping, mapping_size);
    mapping = NULL;
}

static void heap_open(uint32_t page_count) {
    heap_close();
    mapping_size = ((uint64_t)page_count + 1) * HEAP_PAGE_SIZE;
    void *area = mmap(NULL, mapping_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    cr_assert(area != MAP_FAILED);
    mapping = area;
    uint8_t *pages = (uint8_t *)align_up((uint64_t)(uintptr_t)mapping, HEAP_PAGE_SIZE);
    void *table = mmap(NULL, heap_descriptor_size(page_count), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    cr_assert(table != MAP_FAILED);
    descriptors = table;
    descriptor_page_count = page_count;
    heap_init(&heap, pages, page_count, descriptors);
}

static void setup(void) {
    heap_open(64);
}

TestSuite(hash, .init = setup, .fini = heap_close);

/*
 * Leaves the heap with no free page and no free slot in any class except one
 * slot per listed size (the reserved objects' slabs stay non-empty because
 * the class fill puts fillers in them, so their pages are not returned).
 */
static void heap_fill_except(const uint64_t *sizes, uint32_t size_count) {
    cr_assert(size_count <= FILL_SIZES_MAX);
    void *reserved[FILL_SIZES_MAX];
    for (uint32_t index = 0; index < size_count; index++) {
        cr_assert(sizes[index] <= HEAP_CLASS_SIZE_MAX);
        reserved[index] = heap_alloc(&heap, sizes[index]);
        cr_assert(reserved[index] != NULL);
    }
    uint64_t limit = (uint64_t)heap.page_count * HEAP_PAGE_SIZE / 8 + 1;
    for (uint64_t count = 0; count < limit && heap_alloc(&heap, 8) != NULL; count++) {
    }
    cr_assert_eq(heap.free_page_count, 0);
    for (uint32_t class_index = 0; class_index < heap.class_count; class_index++) {
        uint32_t size = heap.classes[class_index].object_size;
        for (uint64_t count = 0; count < limit && heap_alloc(&heap, size) != NULL; count++) {
        }
    }
    for (uint32_t index = 0; index < size_count; index++) {
        heap_free(&heap, reserved[index]);
    }
    cr_assert_eq(heap.free_page_count, 0);
}

/* ==== Helpers ==== */

static char text_buffers[8][256];
static uint32_t text_next;

/* A string of exactly `size` bytes: prefix then a zero-padded number. */
static struct slice sized(char prefix, uint64_t number, uint32_t size) {
    cr_assert(size >= 2 && size < 256);
    char *buffer = text_buffers[text_next++ % 8];
    snprintf(buffer, 256, "%c%0*llu", prefix, (int)(size - 1), (unsigned long long)number);
    cr_assert_eq(strlen(buffer), size);
    return (struct slice){ .ptr = (const uint8_t *)buffer, .size = size };
}

static struct slice field_of(uint64_t number) {
    return sized('f', number, FIELD_SIZE);
}

static struct slice value_of(uint64_t number) {
    return sized('v', number, VALUE_SIZE);
}

/* The number in a string made by sized() (its bytes after the prefix). */
static uint64_t number_in(struct slice made) {
    uint64_t number = 0;
    for (uint32_t index = 1; index < made.size; index++) {
        cr_assert(made.ptr[index] >= '0' && made.ptr[index] <= '9');
        number = number * 10 + (uint64_t)(made.ptr[index] - '0');
    }
    return number;
}

static struct slice text(const char *cstr) {
    return slice_from_cstr(cstr);
}

static void expect_value(const struct hash *hash, struct slice field, struct slice value) {
    struct slice stored = { 0 };
    cr_assert(hash_get(hash, field, &stored), "field %.*s missing", (int)field.size,
              (const char *)field.ptr);
    cr_assert(slice_equal(stored, value), "field %.*s: got %.*s", (int)field.size,
              (const char *)field.ptr, (int)stored.size, (const char *)stored.ptr);
}

static void expect_absent(const struct hash *hash, struct slice field) {
    struct slice stored = { 0 };
    cr_assert(!hash_get(hash, field, &stored));
}

static void set_ok(struct hash *hash, struct hash_limits limits, struct slice field,
                   struct slice value, enum hash_set_result expected) {
    enum hash_set_result result = hash_set(&heap, hash, limits, field, value);
    cr_assert_eq(result, expected);
    expect_value(hash, field, value);
}

/* Fills a hash with fields 0..count-1 (16 bytes) and values (32 bytes). */
static void fill(struct hash *hash, struct hash_limits limits, uint64_t count) {
    for (uint64_t index = 0; index < count; index++) {
        cr_assert_eq(hash_set(&heap, hash, limits, field_of(index), value_of(index)),
                     HASH_SET_INSERTED);
    }
}

/* Serialises the pairs in storage order (sizes and bytes) for before/after comparison. */
static uint64_t snapshot(const struct hash *hash, uint8_t *out) {
    uint64_t size = 0;
    struct hash_iterator iterator;
    hash_iterator_init(&iterator, hash);
    struct slice field;
    struct slice value;
    while (hash_iterator_next(&iterator, &field, &value)) {
        cr_assert(size + 8 + field.size + value.size <= SNAPSHOT_SIZE_MAX);
        memcpy(out + size, &field.size, 4);
        memcpy(out + size + 4, field.ptr, field.size);
        size += 4 + field.size;
        memcpy(out + size, &value.size, 4);
        memcpy(out + size + 4, value.ptr, value.size);
        size += 4 + value.size;
    }
    return size;
}

static uint64_t memory_of(const struct hash *hash) {
    return hash_memory_size(&heap, hash);
}

/* ==== Listpack ==== */

Test(hash, listpack_set_get_update_delete) {
    uint64_t baseline = heap.used_size;
    struct hash *hash = hash_create(&heap);
    cr_assert(hash != NULL);
    cr_assert_eq(hash_length(hash), 0);
    cr_assert_str_eq(hash_encoding_name(hash), "listpack");
    expect_absent(hash, text("a"));
    set_ok(hash, LIMITS_DEFAULT, text("a"), text("1"), HASH_SET_INSERTED);
    set_ok(hash, LIMITS_DEFAULT, text("b"), text("2"), HASH_SET_INSERTED);
    set_ok(hash, LIMITS_DEFAULT, text("c"), text("3"), HASH_SET_INSERTED);
    set_ok(hash, LIMITS_DEFAULT, text("b"), text("a longer value for b"), HASH_SET_UPDATED);
    set_ok(hash, LIMITS_DEFAULT, text("a"), text(""), HASH_SET_UPDATED);
    set_ok(hash, LIMITS_DEFAULT, text(""), text("empty field"), HASH_SET_INSERTED);
    struct slice binary = { .ptr = (const uint8_t *)"x\0y\r\n", .size = 5 };
    set_ok(hash, LIMITS_DEFAULT, binary, binary, HASH_SET_INSERTED);
    cr_assert_eq(hash_length(hash), 5);
    hash_verify(&heap, hash);
    /* Insertion order, as Redis's listpack. */
    const char *order[] = { "a", "b", "c", "" };
    struct hash_iterator iterator;
    hash_iterator_init(&iterator, hash);
    struct slice field;
    struct slice value;
    for (uint32_t index = 0; index < 4; index++) {
        cr_assert(hash_iterator_next(&iterator, &field, &value));
        cr_assert(slice_equal(field, text(order[index])));
    }
    cr_assert(hash_iterator_next(&iterator, &field, &value));
    cr_assert(slice_equal(field, binary));
    cr_assert(!hash_iterator_next(&iterator, &field, &value));
    cr_assert(hash_delete(&heap, hash, text("b")));
    cr_assert(!hash_delete(&heap, hash, text("b")));
    expect_absent(hash, text("b"));
    expect_value(hash, text("c"), text("3"));
    cr_assert_eq(hash_length(hash), 4);
    hash_verify(&heap, hash);
    cr_assert_str_eq(hash_encoding_name(hash), "listpack");
    hash_destroy(&heap, hash);
    cr_assert_eq(heap.used_size, baseline);
}

Test(hash, listpack_long_lengths_use_multibyte_varints) {
    struct hash_limits limits = { .listpack_entries_max = 512, .listpack_value_size_max = 70000 };
    static uint8_t big[70000];
    for (uint32_t index = 0; index < sizeof(big); index++) {
        big[index] = (uint8_t)(index * 7);
    }
    struct hash *hash = hash_create(&heap);
    uint32_t sizes[] = { 127, 128, 129, 16383, 16384, 70000, 0, 1 };
    for (uint32_t index = 0; index < ARRAY_COUNT(sizes); index++) {
        struct slice value = { .ptr = big, .size = sizes[index] };
        set_ok(hash, limits, sized('k', index, 8), value, HASH_SET_INSERTED);
    }
    cr_assert_str_eq(hash_encoding_name(hash), "listpack");
    for (uint32_t index = 0; index < ARRAY_COUNT(sizes); index++) {
        struct slice value = { .ptr = big, .size = sizes[index] };
        expect_value(hash, sized('k', index, 8), value);
    }
    /* Shrink and grow values across varint boundaries in the middle of the listpack. */
    set_ok(hash, limits, sized('k', 3, 8), (struct slice){ .ptr = big, .size = 5 },
           HASH_SET_UPDATED);
    set_ok(hash, limits, sized('k', 0, 8), (struct slice){ .ptr = big, .size = 300 },
           HASH_SET_UPDATED);
    hash_verify(&heap, hash);
    expect_value(hash, sized('k', 5, 8), (struct slice){ .ptr = big, .size = 70000 });
    for (uint32_t index = 0; index < ARRAY_COUNT(sizes); index++) {
        cr_assert(hash_delete(&heap, hash, sized('k', index, 8)));
        hash_verify(&heap, hash);
    }
    cr_assert_eq(hash_length(hash), 0);
    hash_destroy(&heap, hash);
}

/* ==== Conversion thresholds ==== */

Test(hash, converts_past_entry_limit_not_at_it) {
    struct hash_limits limits = { .listpack_entries_max = 8, .listpack_value_size_max = 64 };
    struct hash *hash = hash_create(&heap);
    fill(hash, limits, 8);
    cr_assert_str_eq(hash_encoding_name(hash), "listpack");
    /* Updating an existing field at the limit does not convert. */
    set_ok(hash, limits, field_of(3), value_of(99), HASH_SET_UPDATED);
    cr_assert_str_eq(hash_encoding_name(hash), "listpack");
    set_ok(hash, limits, field_of(8), value_of(8), HASH_SET_INSERTED);
    cr_assert_str_eq(hash_encoding_name(hash), "hashtable");
    cr_assert_eq(hash_length(hash), 9);
    for (uint64_t index = 0; index < 9; index++) {
        expect_value(hash, field_of(index), value_of(index == 3 ? 99 : index));
    }
    hash_verify(&heap, hash);
    /* Never converts back, even when emptied down to one field. */
    for (uint64_t index = 0; index < 8; index++) {
        cr_assert(hash_delete(&heap, hash, field_of(index)));
    }
    cr_assert_str_eq(hash_encoding_name(hash), "hashtable");
    hash_verify(&heap, hash);
    hash_destroy(&heap, hash);
}

Test(hash, converts_past_value_limit_not_at_it) {
    struct hash_limits limits = { .listpack_entries_max = 512, .listpack_value_size_max = 20 };
    struct hash *hash = hash_create(&heap);
    set_ok(hash, limits, sized('f', 1, 20), sized('v', 1, 20), HASH_SET_INSERTED);
    cr_assert_str_eq(hash_encoding_name(hash), "listpack");
    set_ok(hash, limits, sized('f', 2, 21), text("x"), HASH_SET_INSERTED);
    cr_assert_str_eq(hash_encoding_name(hash), "hashtable");
    hash_destroy(&heap, hash);

    hash = hash_create(&heap);
    set_ok(hash, limits, text("a"), text("1"), HASH_SET_INSERTED);
    set_ok(hash, limits, text("a"), sized('v', 1, 21), HASH_SET_UPDATED);
    cr_assert_str_eq(hash_encoding_name(hash), "hashtable");
    cr_assert_eq(hash_length(hash), 1);
    hash_destroy(&heap, hash);

    /* hash-max-listpack-entries 0: the first field already makes a table (Redis too). */
    hash = hash_create(&heap);
    set_ok(hash, LIMITS_TABLE, text("a"), text("1"), HASH_SET_INSERTED);
    cr_assert_str_eq(hash_encoding_name(hash), "hashtable");
    hash_destroy(&heap, hash);
}

Test(hash, set_pairs_duplicates_and_mid_way_conversion) {
    struct hash_limits limits = { .listpack_entries_max = 3, .listpack_value_size_max = 64 };
    struct hash *hash = hash_create(&heap);
    struct slice pairs[] = { text("f"), text("1"), text("g"), text("2"), text("f"), text("3") };
    uint64_t inserted = 99;
    cr_assert(hash_set_pairs(&heap, hash, limits, pairs, 3, &inserted));
    cr_assert_eq(inserted, 2);
    expect_value(hash, text("f"), text("3"));
    cr_assert_str_eq(hash_encoding_name(hash), "listpack");
    struct slice more[] = { text("h"), text("4"), text("i"), text("5"), text("f"), text("6") };
    cr_assert(hash_set_pairs(&heap, hash, limits, more, 3, &inserted));
    cr_assert_eq(inserted, 2);
    cr_assert_str_eq(hash_encoding_name(hash), "hashtable");
    cr_assert_eq(hash_length(hash), 4);
    expect_value(hash, text("f"), text("6"));
    expect_value(hash, text("i"), text("5"));
    struct slice table_pairs[] = { text("j"), text("7"), text("j"), text("8"), text("g"),
                                   text("9") };
    cr_assert(hash_set_pairs(&heap, hash, limits, table_pairs, 3, &inserted));
    cr_assert_eq(inserted, 1);
    expect_value(hash, text("j"), text("8"));
    expect_value(hash, text("g"), text("9"));
    cr_assert_eq(hash_length(hash), 5);
    hash_verify(&heap, hash);
    hash_destroy(&heap, hash);
}

/* ==== Table ==== */

Test(hash, table_grows_and_shrinks) {
    heap_open(1024);
    uint64_t baseline = heap.used_size;
    struct hash *hash = hash_create(&heap);
    const uint64_t count = 100000;
    fill(hash, LIMITS_DEFAULT, count);
    cr_assert_str_eq(hash_encoding_name(hash), "hashtable");
    hash_verify(&heap, hash);
    /* 2^17 buckets of 8 bytes for 100k entries of 64 bytes, and the header. */
    cr_assert_eq(memory_of(hash), 24 + 8 * 131072 + count * ENTRY_SIZE);
    cr_assert_eq(heap.used_size - baseline, memory_of(hash));
    for (uint64_t index = 0; index < count; index += 7) {
        expect_value(hash, field_of(index), value_of(index));
    }
    expect_absent(hash, field_of(count));
    for (uint64_t index = 0; index < count - 10; index++) {
        cr_assert(hash_delete(&heap, hash, field_of(index)));
    }
    hash_verify(&heap, hash);
    /*
     * Under 10% full resizes to fit (Redis's htNeedsResize): the last resize ran
     * at 25 entries (25 * 100 / 256 < 10), to 32 buckets; 10 of 32 is not under 10%.
     */
    cr_assert_eq(memory_of(hash), 24 + heap_size_for(&heap, 8 * 32) + 10 * ENTRY_SIZE);
    for (uint64_t index = count - 10; index < count; index++) {
        expect_value(hash, field_of(index), value_of(index));
    }
    hash_destroy(&heap, hash);
    cr_assert_eq(heap.used_size, baseline);
}

Test(hash, table_update_in_place_and_reallocated) {
    struct hash *hash = hash_create(&heap);
    fill(hash, LIMITS_TABLE, 4);
    uint64_t before = memory_of(hash);
    set_ok(hash, LIMITS_TABLE, field_of(1), sized('w', 1, 30), HASH_SET_UPDATED);
    cr_assert_eq(memory_of(hash), before); /* fits the 64-byte entry */
    set_ok(hash, LIMITS_TABLE, field_of(1), sized('w', 1, 200), HASH_SET_UPDATED);
    cr_assert_gt(memory_of(hash), before);
    set_ok(hash, LIMITS_TABLE, field_of(1), value_of(1), HASH_SET_UPDATED);
    cr_assert_eq(memory_of(hash), before); /* a much smaller value gets a tighter entry */
    hash_verify(&heap, hash);
    hash_destroy(&heap, hash);
}

Test(hash, copy_is_deep_for_both_encodings) {
    for (uint32_t round = 0; round < 2; round++) {
        struct hash_limits limits = round == 0 ? LIMITS_DEFAULT : LIMITS_TABLE;
        struct hash *hash = hash_create(&heap);
        fill(hash, limits, 50);
        struct hash *copy = hash_copy(&heap, hash);
        cr_assert(copy != NULL);
        cr_assert_str_eq(hash_encoding_name(copy), hash_encoding_name(hash));
        uint64_t size = snapshot(hash, snapshot_before);
        cr_assert_eq(snapshot(copy, snapshot_after), size);
        cr_assert(memcmp(snapshot_before, snapshot_after, size) == 0);
        cr_assert_eq(memory_of(copy), memory_of(hash));
        cr_assert(hash_delete(&heap, hash, field_of(7)));
        expect_value(copy, field_of(7), value_of(7));
        hash_verify(&heap, copy);
        hash_destroy(&heap, hash);
        hash_destroy(&heap, copy);
    }
    struct hash *empty = hash_create(&heap);
    struct hash *copy = hash_copy(&heap, empty);
    cr_assert(copy != NULL);
    cr_assert_eq(hash_length(copy), 0);
    hash_destroy(&heap, empty);
    hash_destroy(&heap, copy);
}

/* ==== Scan ==== */

static uint8_t seen[200000];

static bool mark_seen(void *context, struct slice field, struct slice value) {
    (void)context;
    cr_assert_eq(field.size, FIELD_SIZE);
    cr_assert_eq(value.size, VALUE_SIZE);
    uint64_t number = number_in(field);
    cr_assert(number < sizeof(seen));
    seen[number] = 1;
    return true;
}

/* Scans while the table changes between steps; every field present throughout is seen. */
static void scan_with_changes(uint64_t count, bool grow) {
    heap_open(1024);
    memset(seen, 0, sizeof(seen));
    struct hash *hash = hash_create(&heap);
    fill(hash, LIMITS_DEFAULT, count);
    uint64_t cursor = 0;
    uint64_t next_extra = count;
    uint64_t steps = 0;
    do {
        cursor = hash_scan(hash, cursor, NULL, mark_seen);
        steps++;
        if (grow && steps % 4 == 0 && next_extra < 8 * count) {
            for (uint32_t batch = 0; batch < 40; batch++) {
                cr_assert_eq(hash_set(&heap, hash, LIMITS_DEFAULT, field_of(next_extra),
                                      value_of(next_extra)), HASH_SET_INSERTED);
                next_extra++;
            }
        }
        for (uint32_t batch = 0; !grow && batch < 8 && next_extra > count / 20; batch++) {
            /* Delete from the top, keeping fields below count / 20 throughout. */
            next_extra--;
            cr_assert(hash_delete(&heap, hash, field_of(next_extra)));
        }
        cr_assert(steps < 100 * count);
    } while (cursor != 0);
    uint64_t stable = grow ? count : count / 20;
    for (uint64_t index = 0; index < stable; index++) {
        cr_assert(seen[index], "field %llu never returned", (unsigned long long)index);
    }
    hash_verify(&heap, hash);
    hash_destroy(&heap, hash);
}

Test(hash, scan_sees_every_field_while_growing) {
    scan_with_changes(2000, true);
}

Test(hash, scan_sees_every_field_while_shrinking) {
    scan_with_changes(20000, false);
}

static bool count_visit(void *context, struct slice field, struct slice value) {
    (void)field;
    (void)value;
    (*(uint64_t *)context)++;
    return true;
}

Test(hash, scan_listpack_returns_everything_at_once) {
    struct hash *hash = hash_create(&heap);
    fill(hash, LIMITS_DEFAULT, 100);
    uint64_t visited = 0;
    cr_assert_eq(hash_scan(hash, 12345, &visited, count_visit), 0);
    cr_assert_eq(visited, 100);
    hash_destroy(&heap, hash);
}

/* ==== Random sampling ==== */

struct sample {
    uint64_t count;
    uint8_t hits[2000];
};

static bool record_sample(void *context, struct slice field, struct slice value) {
    struct sample *sample = context;
    uint64_t number = number_in(field);
    cr_assert(number < 2000);
    cr_assert_eq(number_in(value), number);
    if (sample->hits[number] < 255) {
        sample->hits[number]++;
    }
    sample->count++;
    return true;
}

static void check_sampling(struct hash_limits limits, uint64_t length) {
    struct hash *hash = hash_create(&heap);
    fill(hash, limits, length);
    uint64_t state = 42;
    uint64_t counts[] = { 1, 2, length / 4, length / 3 + 1, length - 1, length, length + 5 };
    for (uint32_t index = 0; index < ARRAY_COUNT(counts); index++) {
        if (counts[index] == 0) {
            continue;
        }
        static struct sample sample;
        memset(&sample, 0, sizeof(sample));
        uint64_t used = heap.used_size;
        cr_assert(hash_random_pairs(&heap, hash, counts[index], true, &state, &sample,
                                    record_sample));
        cr_assert_eq(heap.used_size, used); /* scratch freed */
        cr_assert_eq(sample.count, MIN(counts[index], length));
        for (uint32_t number = 0; number < 2000; number++) {
            cr_assert(sample.hits[number] <= 1, "unique sampling repeated a field");
        }
        memset(&sample, 0, sizeof(sample));
        cr_assert(hash_random_pairs(&heap, hash, counts[index] * 3, false, &state, &sample,
                                    record_sample));
        cr_assert_eq(sample.count, counts[index] * 3);
        cr_assert_eq(heap.used_size, used);
    }
    hash_destroy(&heap, hash);
}

Test(hash, random_sampling_shapes) {
    check_sampling(LIMITS_DEFAULT, 1);
    check_sampling(LIMITS_DEFAULT, 7);
    check_sampling(LIMITS_DEFAULT, 300);
    check_sampling(LIMITS_TABLE, 1);
    check_sampling(LIMITS_TABLE, 10);
    check_sampling(LIMITS_TABLE, 1500);
}

Test(hash, random_draws_cover_every_field) {
    struct hash *hash = hash_create(&heap);
    fill(hash, LIMITS_TABLE, 100);
    static struct sample sample;
    memset(&sample, 0, sizeof(sample));
    uint64_t state = 7;
    cr_assert(hash_random_pairs(&heap, hash, 20000, false, &state, &sample, record_sample));
    for (uint32_t number = 0; number < 100; number++) {
        cr_assert_gt(sample.hits[number], 50, "field %u drawn %u times", number,
                     sample.hits[number]);
    }
    hash_destroy(&heap, hash);
}

static bool stop_after_three(void *context, struct slice field, struct slice value) {
    (void)field;
    (void)value;
    uint64_t *count = context;
    (*count)++;
    return *count < 3;
}

Test(hash, random_visit_can_stop) {
    struct hash *hash = hash_create(&heap);
    fill(hash, LIMITS_DEFAULT, 10);
    uint64_t state = 1;
    uint64_t visited = 0;
    cr_assert(hash_random_pairs(&heap, hash, 1000000, false, &state, &visited,
                                stop_after_three));
    cr_assert_eq(visited, 3);
    hash_destroy(&heap, hash);
}

/* ==== Heap full at every allocation point ==== */

/* A listpack's allocation sizes as it grows: a new object whenever it outgrows its class. */
struct listpack_model {
    uint64_t used;
    uint64_t capacity;
};

static void model_grow(struct listpack_model *model, uint64_t add, uint64_t *sizes,
                       uint32_t *count) {
    model->used += add;
    if (model->used > model->capacity) {
        sizes[(*count)++] = model->used;
        model->capacity = heap_size_for(&heap, model->used);
    }
}

typedef void (*state_build)(struct hash *hash);
typedef bool (*state_change)(struct hash *hash);
typedef void (*state_check)(const struct hash *hash);

/*
 * For k = 0 .. size_count: a fresh heap, the state, a heap with room for only
 * the first k allocations; the change must fail (hash and heap use unchanged)
 * for every k < required and succeed from `required` on.
 */
static void each_failure_point(state_build build, state_change change, state_check check,
                               const uint64_t *sizes, uint32_t size_count, uint32_t required) {
    for (uint32_t room = 0; room <= size_count; room++) {
        heap_open(16);
        struct hash *hash = hash_create(&heap);
        build(hash);
        const char *encoding = hash_encoding_name(hash);
        uint64_t length = hash_length(hash);
        uint64_t before_size = snapshot(hash, snapshot_before);
        heap_fill_except(sizes, room);
        uint64_t used = heap.used_size;
        bool changed = change(hash);
        hash_verify(&heap, hash);
        if (room < required) {
            cr_assert(!changed, "succeeded with room for %u of %u allocations", room, required);
            cr_assert_str_eq(hash_encoding_name(hash), encoding);
            cr_assert_eq(hash_length(hash), length);
            cr_assert_eq(snapshot(hash, snapshot_after), before_size);
            cr_assert(memcmp(snapshot_before, snapshot_after, before_size) == 0);
            cr_assert_eq(heap.used_size, used, "failed change leaked or freed memory");
        } else {
            cr_assert(changed, "failed with room for %u allocations", room);
            check(hash);
        }
        hash_destroy(&heap, hash);
    }
}

static void build_listpack3(struct hash *hash) {
    fill(hash, LIMITS_DEFAULT, 3);
}

static void build_listpack4(struct hash *hash) {
    fill(hash, (struct hash_limits){ .listpack_entries_max = 4, .listpack_value_size_max = 64 },
         4);
}

static void build_table4(struct hash *hash) {
    fill(hash, LIMITS_TABLE, 4);
}

static bool change_append(struct hash *hash) {
    return hash_set(&heap, hash, LIMITS_DEFAULT, field_of(3), value_of(3)) != HASH_SET_NO_ROOM;
}

static void check_append(const struct hash *hash) {
    cr_assert_eq(hash_length(hash), 4);
    expect_value(hash, field_of(3), value_of(3));
    cr_assert_str_eq(hash_encoding_name(hash), "listpack");
}

Test(hash, full_heap_listpack_append) {
    struct listpack_model model = { 0 };
    uint64_t sizes[FILL_SIZES_MAX];
    uint32_t count = 0;
    for (uint32_t index = 0; index < 3; index++) {
        model_grow(&model, PAIR_SIZE, sizes, &count);
    }
    count = 0;
    model_grow(&model, PAIR_SIZE, sizes, &count);
    cr_assert_eq(count, 1, "the fourth pair outgrows the object");
    each_failure_point(build_listpack3, change_append, check_append, sizes, count, count);
}

static bool change_update_grow(struct hash *hash) {
    return hash_set(&heap, hash, LIMITS_DEFAULT, field_of(1), sized('u', 1, 60)) !=
           HASH_SET_NO_ROOM;
}

static void check_update_grow(const struct hash *hash) {
    expect_value(hash, field_of(1), sized('u', 1, 60));
    expect_value(hash, field_of(2), value_of(2));
    cr_assert_str_eq(hash_encoding_name(hash), "listpack");
}

Test(hash, full_heap_listpack_update) {
    struct listpack_model model = { 0 };
    uint64_t sizes[FILL_SIZES_MAX];
    uint32_t count = 0;
    for (uint32_t index = 0; index < 3; index++) {
        model_grow(&model, PAIR_SIZE, sizes, &count);
    }
    count = 0;
    model_grow(&model, 60 - VALUE_SIZE, sizes, &count);
    cr_assert_eq(count, 1);
    each_failure_point(build_listpack3, change_update_grow, check_update_grow, sizes, count,
                       count);
}

static bool change_convert_by_count(struct hash *hash) {
    struct hash_limits limits = { .listpack_entries_max = 4, .listpack_value_size_max = 64 };
    return hash_set(&heap, hash, limits, field_of(4), value_of(4)) != HASH_SET_NO_ROOM;
}

static void check_convert_by_count(const struct hash *hash) {
    cr_assert_str_eq(hash_encoding_name(hash), "hashtable");
    cr_assert_eq(hash_length(hash), 5);
    for (uint64_t index = 0; index < 5; index++) {
        expect_value(hash, field_of(index), value_of(index));
    }
}

Test(hash, full_heap_conversion_by_count) {
    /* 8 buckets (64 bytes), the 4 old entries, the new entry: all 64 bytes. */
    uint64_t sizes[] = { 64, ENTRY_SIZE, ENTRY_SIZE, ENTRY_SIZE, ENTRY_SIZE, ENTRY_SIZE };
    each_failure_point(build_listpack4, change_convert_by_count, check_convert_by_count, sizes,
                       ARRAY_COUNT(sizes), ARRAY_COUNT(sizes));
}

static bool change_convert_by_value(struct hash *hash) {
    return hash_set(&heap, hash, LIMITS_DEFAULT, field_of(1), sized('l', 1, 65)) !=
           HASH_SET_NO_ROOM;
}

static void check_convert_by_value(const struct hash *hash) {
    cr_assert_str_eq(hash_encoding_name(hash), "hashtable");
    cr_assert_eq(hash_length(hash), 3);
    expect_value(hash, field_of(1), sized('l', 1, 65));
    expect_value(hash, field_of(2), value_of(2));
}

Test(hash, full_heap_conversion_by_value) {
    /* 4 buckets for 3 + 1, the 3 entries, then the updated entry (16 + 16 + 65). */
    uint64_t sizes[] = { 32, ENTRY_SIZE, ENTRY_SIZE, ENTRY_SIZE, 16 + FIELD_SIZE + 65 };
    each_failure_point(build_listpack3, change_convert_by_value, check_convert_by_value, sizes,
                       ARRAY_COUNT(sizes), ARRAY_COUNT(sizes));
}

static bool change_table_insert(struct hash *hash) {
    return hash_set(&heap, hash, LIMITS_TABLE, field_of(4), value_of(4)) != HASH_SET_NO_ROOM;
}

static void check_table_insert(const struct hash *hash) {
    cr_assert_eq(hash_length(hash), 5);
    for (uint64_t index = 0; index < 5; index++) {
        expect_value(hash, field_of(index), value_of(index));
    }
}

Test(hash, full_heap_table_insert_growth_is_optional) {
    /* The entry, then 8 buckets (64 bytes): the resize may fail, the insert may not. */
    uint64_t sizes[] = { ENTRY_SIZE, 64 };
    each_failure_point(build_table4, change_table_insert, check_table_insert, sizes, 2, 1);
    heap_open(16);
    struct hash *hash = hash_create(&heap);
    build_table4(hash);
    heap_fill_except(sizes, 1);
    cr_assert(change_table_insert(hash));
    cr_assert_eq(memory_of(hash), 24 + 4 * 8 + 5 * ENTRY_SIZE); /* still 4 buckets */
    hash_verify(&heap, hash);
    hash_destroy(&heap, hash);
}

static bool change_table_update(struct hash *hash) {
    return hash_set(&heap, hash, LIMITS_TABLE, field_of(2), sized('w', 2, 40)) !=
           HASH_SET_NO_ROOM;
}

static void check_table_update(const struct hash *hash) {
    expect_value(hash, field_of(2), sized('w', 2, 40));
    cr_assert_eq(hash_length(hash), 4);
}

static bool change_table_update_fits(struct hash *hash) {
    return hash_set(&heap, hash, LIMITS_TABLE, field_of(2), sized('w', 2, 20)) !=
           HASH_SET_NO_ROOM;
}

static void check_table_update_fits(const struct hash *hash) {
    expect_value(hash, field_of(2), sized('w', 2, 20));
}

Test(hash, full_heap_table_update) {
    uint64_t sizes[] = { 16 + FIELD_SIZE + 40 };
    each_failure_point(build_table4, change_table_update, check_table_update, sizes, 1, 1);
    /* A value that fits the entry needs no memory at all. */
    each_failure_point(build_table4, change_table_update_fits, check_table_update_fits, sizes,
                       0, 0);
}

static uint64_t pairs_inserted;

static bool change_pairs_table(struct hash *hash) {
    struct slice pairs[6];
    pairs[0] = field_of(1);
    pairs[1] = value_of(11);
    pairs[2] = field_of(5);
    pairs[3] = value_of(5);
    pairs[4] = field_of(6);
    pairs[5] = value_of(6);
    return hash_set_pairs(&heap, hash, LIMITS_TABLE, pairs, 3, &pairs_inserted);
}

static void check_pairs_table(const struct hash *hash) {
    cr_assert_eq(pairs_inserted, 2);
    cr_assert_eq(hash_length(hash), 6);
    expect_value(hash, field_of(1), value_of(11));
    expect_value(hash, field_of(6), value_of(6));
}

Test(hash, full_heap_set_pairs_on_table) {
    /* Every entry first; the resize past 4 buckets is optional. */
    uint64_t sizes[] = { ENTRY_SIZE, ENTRY_SIZE, ENTRY_SIZE, 64 };
    each_failure_point(build_table4, change_pairs_table, check_pairs_table, sizes, 4, 3);
}

static bool change_pairs_listpack(struct hash *hash) {
    struct slice pairs[6];
    pairs[0] = field_of(3);
    pairs[1] = value_of(3);
    pairs[2] = field_of(0);
    pairs[3] = value_of(10);
    pairs[4] = field_of(4);
    pairs[5] = value_of(4);
    return hash_set_pairs(&heap, hash, LIMITS_DEFAULT, pairs, 3, &pairs_inserted);
}

static void check_pairs_listpack(const struct hash *hash) {
    cr_assert_eq(pairs_inserted, 2);
    cr_assert_eq(hash_length(hash), 5);
    cr_assert_str_eq(hash_encoding_name(hash), "listpack");
    expect_value(hash, field_of(0), value_of(10));
    expect_value(hash, field_of(4), value_of(4));
}

Test(hash, full_heap_set_pairs_on_listpack) {
    /* The private copy, then each append that outgrows it. */
    uint64_t sizes[FILL_SIZES_MAX];
    uint32_t count = 0;
    sizes[count++] = 3 * PAIR_SIZE;
    struct listpack_model model = { .used = 3 * PAIR_SIZE,
                                    .capacity = heap_size_for(&heap, 3 * PAIR_SIZE) };
    model_grow(&model, PAIR_SIZE, sizes, &count);
    model_grow(&model, 0, sizes, &count);
    model_grow(&model, PAIR_SIZE, sizes, &count);
    each_failure_point(build_listpack3, change_pairs_listpack, check_pairs_listpack, sizes,
                       count, count);
}

static bool change_pairs_converting(struct hash *hash) {
    struct hash_limits limits = { .listpack_entries_max = 4, .listpack_value_size_max = 64 };
    struct slice pairs[6];
    pairs[0] = field_of(3);
    pairs[1] = value_of(3);
    pairs[2] = field_of(4);
    pairs[3] = value_of(4);
    pairs[4] = field_of(5);
    pairs[5] = value_of(5);
    return hash_set_pairs(&heap, hash, limits, pairs, 3, &pairs_inserted);
}

static void check_pairs_converting(const struct hash *hash) {
    cr_assert_eq(pairs_inserted, 3);
    cr_assert_eq(hash_length(hash), 6);
    cr_assert_str_eq(hash_encoding_name(hash), "hashtable");
    for (uint64_t index = 0; index < 6; index++) {
        expect_value(hash, field_of(index), value_of(index));
    }
}

Test(hash, full_heap_set_pairs_converting_mid_way) {
    uint64_t sizes[FILL_SIZES_MAX];
    uint32_t count = 0;
    sizes[count++] = 3 * PAIR_SIZE; /* the private copy */
    struct listpack_model model = { .used = 3 * PAIR_SIZE,
                                    .capacity = heap_size_for(&heap, 3 * PAIR_SIZE) };
    model_grow(&model, PAIR_SIZE, sizes, &count); /* the 4th pair */
    sizes[count++] = 64;                          /* 8 buckets for 4 + 1 */
    for (uint32_t index = 0; index < 5; index++) {
        sizes[count++] = ENTRY_SIZE;              /* 4 converted, then the 5th */
    }
    sizes[count++] = ENTRY_SIZE;                  /* the 6th, in the table */
    each_failure_point(build_listpack3, change_pairs_converting, check_pairs_converting, sizes,
                       count, count);
}

static struct hash *copy_result;

static bool change_copy(struct hash *hash) {
    copy_result = hash_copy(&heap, hash);
    if (copy_result == NULL) {
        return false;
    }
    hash_destroy(&heap, copy_result); /* compared before; heap checks after */
    return true;
}

static void check_copy(const struct hash *hash) {
    cr_assert(hash_length(hash) > 0);
}

Test(hash, full_heap_copy) {
    uint64_t listpack_sizes[] = { 24, 3 * PAIR_SIZE };
    each_failure_point(build_listpack3, change_copy, check_copy, listpack_sizes, 2, 2);
    uint64_t table_sizes[] = { 24, 32, ENTRY_SIZE, ENTRY_SIZE, ENTRY_SIZE, ENTRY_SIZE };
    each_failure_point(build_table4, change_copy, check_copy, table_sizes, 6, 6);
}

Test(hash, full_heap_create_and_deletes) {
    heap_open(16);
    heap_fill_except(NULL, 0);
    cr_assert(hash_create(&heap) == NULL);
    heap_open(16);
    uint64_t one[] = { 24 };
    heap_fill_except(one, 1);
    struct hash *hash = hash_create(&heap);
    cr_assert(hash != NULL);
    hash_destroy(&heap, hash);

    /* Deletes never fail: shrinking (listpack object, bucket array) is skipped. */
    heap_open(64);
    struct hash *table = hash_create(&heap);
    fill(table, LIMITS_TABLE, 1000);
    struct hash *listpack = hash_create(&heap);
    fill(listpack, LIMITS_DEFAULT, 100);
    heap_fill_except(NULL, 0);
    for (uint64_t index = 0; index < 999; index++) {
        cr_assert(hash_delete(&heap, table, field_of(index)));
    }
    for (uint64_t index = 0; index < 99; index++) {
        cr_assert(hash_delete(&heap, listpack, field_of(index)));
    }
    hash_verify(&heap, table);
    hash_verify(&heap, listpack);
    expect_value(table, field_of(999), value_of(999));
    expect_value(listpack, field_of(99), value_of(99));
    cr_assert(hash_delete(&heap, listpack, field_of(99)));
    cr_assert_eq(hash_length(listpack), 0);
    hash_destroy(&heap, table);
    hash_destroy(&heap, listpack);
}

/* ==== A million fields ==== */

static double now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

Test(hash, million_fields_flat_time_and_memory, .timeout = 120) {
    heap_open(2048); /* 128 MiB */
    const uint64_t count = 1000000;
    const uint64_t batch = 100000;
    uint64_t baseline = heap.used_size;
    struct hash *hash = hash_create(&heap);
    double batch_seconds[10];
    for (uint64_t start = 0; start < count; start += batch) {
        double begin = now_seconds();
        for (uint64_t index = start; index < start + batch; index++) {
            struct slice pair[2] = { field_of(index), value_of(index) };
            uint64_t inserted = 0;
            cr_assert(hash_set_pairs(&heap, hash, LIMITS_DEFAULT, pair, 1, &inserted));
            cr_assert_eq(inserted, 1);
        }
        batch_seconds[start / batch] = now_seconds() - begin;
    }
    cr_assert_eq(hash_length(hash), count);
    uint64_t per_field = (heap.used_size - baseline) / count;
    /* 64-byte entry plus 8 bytes per bucket at 2^20 buckets: 72 bytes. */
    cr_assert_eq(per_field, 72);
    double first_half = 0;
    double second_half = 0;
    for (uint32_t index = 0; index < 5; index++) {
        first_half += batch_seconds[index];
        second_half += batch_seconds[index + 5];
    }
    fprintf(stderr, "hash: 1M fields, %llu bytes/field, halves %.0f ms and %.0f ms\n",
            (unsigned long long)per_field, first_half * 1e3, second_half * 1e3);
    /*
     * Flat per-field time: a step linear in the hash's size would make the
     * second half cost about 3x the first (and take hours); resizes and cache
     * effects stay well under 2.5x.
     */
    cr_assert_lt(second_half, first_half * 2.5 + 0.05);
    hash_verify(&heap, hash);
    hash_destroy(&heap, hash);
    cr_assert_eq(heap.used_size, baseline);
}

/* ==== Sampling scratch on a full heap ==== */

Test(hash, full_heap_sampling) {
    heap_open(64);
    struct hash_limits limits = { .listpack_entries_max = 5000, .listpack_value_size_max = 64 };
    struct hash *listpack = hash_create(&heap);
    fill(listpack, limits, 3000);
    struct hash *table = hash_create(&heap);
    fill(table, LIMITS_TABLE, 3000);
    struct hash *small = hash_create(&heap);
    fill(small, LIMITS_DEFAULT, 500);
    heap_fill_except(NULL, 0);
    uint64_t state = 3;
    uint64_t visited = 0;
    /* Scratch too large for the stack: refused before anything is visited. */
    cr_assert(!hash_random_pairs(&heap, listpack, 10, false, &state, &visited, count_visit));
    cr_assert(!hash_random_pairs(&heap, table, 900, true, &state, &visited, count_visit));
    cr_assert_eq(visited, 0);
    /* Single draws, small listpacks and up to 512 distinct pairs need no heap. */
    cr_assert(hash_random_pairs(&heap, listpack, 1, false, &state, &visited, count_visit));
    cr_assert(hash_random_pairs(&heap, listpack, 1, true, &state, &visited, count_visit));
    cr_assert(hash_random_pairs(&heap, table, 1, true, &state, &visited, count_visit));
    cr_assert(hash_random_pairs(&heap, table, 512, true, &state, &visited, count_visit));
    cr_assert(hash_random_pairs(&heap, table, 50, false, &state, &visited, count_visit));
    cr_assert(hash_random_pairs(&heap, small, 700, false, &state, &visited, count_visit));
    cr_assert(hash_random_pairs(&heap, listpack, 1200, true, &state, &visited, count_visit));
    cr_assert(hash_random_pairs(&heap, table, 1200, true, &state, &visited, count_visit));
    cr_assert_eq(visited, 1 + 1 + 1 + 512 + 50 + 700 + 1200 + 1200);
    hash_destroy(&heap, listpack);
    hash_destroy(&heap, table);
    hash_destroy(&heap, small);
}
