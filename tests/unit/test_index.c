/*
 * test_index.c: unit tests for the hash index (src/index.c).
 *
 * Items are built by hand in heap memory following item.h: an 8-byte header
 * with flags 0, then the key bytes. The heap's pages come from an anonymous
 * mapping (tests only).
 */
#define _DEFAULT_SOURCE
#include "index.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>

#define TEST_KEY_COUNT 200000u
#define TEST_BALLAST_MAX 200000u
#define TEST_KEY_SIZE_MAX 32u

static struct heap heap;
static struct index index_;
static uint8_t *mapping;
static uint64_t mapping_size;
static struct heap_page *descriptors;
static struct item *items[TEST_KEY_COUNT];
static void *ballast[TEST_BALLAST_MAX];
static uint32_t ballast_count;

static void heap_setup_pages(uint32_t page_count) {
    mapping_size = ((uint64_t)page_count + 1) * HEAP_PAGE_SIZE;
    void *area = mmap(NULL, mapping_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    cr_assert(area != MAP_FAILED);
    mapping = area;
    uint8_t *pages = (uint8_t *)align_up((uint64_t)(uintptr_t)mapping, HEAP_PAGE_SIZE);
    void *table = mmap(NULL, heap_descriptor_size(page_count), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(table != MAP_FAILED);
    descriptors = table;
    heap_init(&heap, pages, page_count, descriptors);
    index_seed(0x1234567887654321u);
    cr_assert(index_init(&index_, &heap));
    index_verify(&index_);
}

static void setup(void) {
    heap_setup_pages(1024); /* 64 MiB, touched lazily */
}

static void teardown(void) {
    heap_verify(&heap);
    munmap(descriptors, heap_descriptor_size(heap.page_count));
    munmap(mapping, mapping_size);
}

static struct slice key_of(uint32_t number, char *buffer) {
    int size = snprintf(buffer, TEST_KEY_SIZE_MAX, "key:%u", number);
    cr_assert_gt(size, 0);
    return (struct slice){ .ptr = (const uint8_t *)buffer, .size = (uint32_t)size };
}

/* An item for `key` in heap memory, or NULL when the heap is full. */
static struct item *item_make(struct slice key) {
    struct item *item = heap_alloc(&heap, sizeof(struct item) + key.size);
    if (item == NULL) {
        return NULL;
    }
    memset(item, 0, sizeof(*item));
    item->type = ITEM_STRING;
    item->encoding = ITEM_ENCODING_EMBEDDED;
    item->flags = 0;
    item->key_size_short = (uint16_t)key.size;
    memcpy((uint8_t *)item + item_key_offset(0, key.size), key.ptr, key.size);
    cr_assert(slice_equal(item_key(item), key));
    return item;
}

static struct item *item_make_number(uint32_t number) {
    char buffer[TEST_KEY_SIZE_MAX];
    return item_make(key_of(number, buffer));
}

static struct item *find_number(uint32_t number) {
    char buffer[TEST_KEY_SIZE_MAX];
    struct slice key = key_of(number, buffer);
    return index_find(&index_, key, index_hash(key));
}

static bool insert_item(struct item *item) {
    struct slice key = item_key(item);
    uint64_t hash = index_hash(key);
    if (!index_prepare_insert(&index_, hash)) {
        return false;
    }
    index_insert(&index_, item, hash);
    return true;
}

static struct item *remove_number(uint32_t number) {
    char buffer[TEST_KEY_SIZE_MAX];
    struct slice key = key_of(number, buffer);
    return index_remove(&index_, key, index_hash(key));
}

static uint32_t segment_fill_max_for_test(uint32_t capacity) {
    return capacity - capacity / 8;
}

static void insert_numbers(uint32_t count) {
    for (uint32_t number = 0; number < count; number++) {
        items[number] = item_make_number(number);
        cr_assert(items[number] != NULL);
        cr_assert(insert_item(items[number]));
    }
    cr_assert_eq(index_.count, count);
}

TestSuite(index, .init = setup, .fini = teardown);

Test(index, hash_is_seeded) {
    struct slice key = slice_from_cstr("hello");
    uint64_t first = index_hash(key);
    cr_assert_eq(index_hash(key), first);
    index_seed(7);
    cr_assert_neq(index_hash(key), first);
    cr_assert_neq(index_hash(slice_from_cstr("")), 0);
}

Test(index, empty_index) {
    cr_assert_eq(index_.global_depth, 0);
    cr_assert_eq(index_.segment_count, 1);
    cr_assert_null(find_number(1));
    cr_assert_null(remove_number(1));
    index_release(&index_);
    cr_assert_eq(heap.free_page_count, heap.page_count);
}

Test(index, many_keys_with_splits) {
    insert_numbers(TEST_KEY_COUNT);
    index_verify(&index_);
    cr_assert_gt(index_.global_depth, 5);
    cr_assert_gt(index_.segment_count, TEST_KEY_COUNT / INDEX_SEGMENT_FILL_MAX);
    cr_assert_lt(index_.segment_count, 2 * TEST_KEY_COUNT / (INDEX_SEGMENT_FILL_MAX / 2));
    /* Segments stay at least 3/4 full past their first resizes: under 11 bytes per key. */
    uint64_t index_bytes = 0;
    uint64_t directory_count = (uint64_t)1 << index_.global_depth;
    for (uint64_t slot = 0; slot < directory_count; slot++) {
        struct index_segment *segment = index_.directory[slot];
        uint64_t span = (uint64_t)1 << (index_.global_depth - segment->local_depth);
        if (slot % span == 0) {
            index_bytes += heap_usable_size(&heap, segment);
            cr_assert_geq(segment->count * 4, segment->capacity * 3 - 8);
        }
    }
    index_bytes += heap_usable_size(&heap, index_.directory);
    cr_assert_lt(index_bytes, 11 * (uint64_t)TEST_KEY_COUNT, "%llu bytes",
                 (unsigned long long)index_bytes);
    for (uint32_t number = 0; number < TEST_KEY_COUNT; number++) {
        cr_assert_eq(find_number(number), items[number]);
    }
    for (uint32_t number = TEST_KEY_COUNT; number < TEST_KEY_COUNT + 10000; number++) {
        cr_assert_null(find_number(number));
    }
    for (uint32_t number = 0; number < TEST_KEY_COUNT; number += 2) {
        cr_assert_eq(remove_number(number), items[number]);
        cr_assert_null(remove_number(number));
    }
    index_verify(&index_);
    cr_assert_eq(index_.count, TEST_KEY_COUNT / 2);
    for (uint32_t number = 0; number < TEST_KEY_COUNT; number++) {
        struct item *expected = number % 2 == 0 ? NULL : items[number];
        cr_assert_eq(find_number(number), expected);
    }
    for (uint32_t number = 1; number < TEST_KEY_COUNT; number += 2) {
        cr_assert_eq(remove_number(number), items[number]);
    }
    cr_assert_eq(index_.count, 0);
    index_verify(&index_);
    index_release(&index_);
    for (uint32_t number = 0; number < TEST_KEY_COUNT; number++) {
        heap_free(&heap, items[number]);
    }
    cr_assert_eq(heap.object_count, 0);
    cr_assert_eq(heap.free_page_count, heap.page_count);
}

Test(index, reinsert_after_remove) {
    insert_numbers(5000);
    for (uint32_t round = 0; round < 3; round++) {
        for (uint32_t number = round; number < 5000; number += 3) {
            cr_assert_eq(remove_number(number), items[number]);
        }
        for (uint32_t number = round; number < 5000; number += 3) {
            cr_assert(insert_item(items[number]));
        }
        index_verify(&index_);
    }
    for (uint32_t number = 0; number < 5000; number++) {
        cr_assert_eq(find_number(number), items[number]);
    }
}

Test(index, replace_in_place) {
    insert_numbers(3000);
    char buffer[TEST_KEY_SIZE_MAX];
    struct slice key = key_of(1234, buffer);
    struct item *copy = item_make(key);
    cr_assert(copy != NULL);
    index_replace(&index_, items[1234], copy, index_hash(key));
    cr_assert_eq(find_number(1234), copy);
    cr_assert_eq(index_.count, 3000);
    index_verify(&index_);
    cr_assert_eq(remove_number(1234), copy);
    cr_assert_null(find_number(1234));
}

/*
 * Grows the one segment of a fresh index to its largest capacity (by inserting
 * and then removing keys numbered from 10,000,000), so that the cluster tests
 * know the capacity their homes depend on.
 */
static struct index_segment *one_large_empty_segment(void) {
    uint32_t base = 10000000;
    for (uint32_t index = 0; index < INDEX_SEGMENT_FILL_MAX; index++) {
        items[index] = item_make_number(base + index);
        cr_assert(insert_item(items[index]));
    }
    for (uint32_t index = 0; index < INDEX_SEGMENT_FILL_MAX; index++) {
        cr_assert_eq(remove_number(base + index), items[index]);
        heap_free(&heap, items[index]);
    }
    cr_assert_eq(index_.segment_count, 1);
    struct index_segment *segment = index_.directory[0];
    cr_assert_eq(segment->capacity, INDEX_SEGMENT_SLOTS);
    cr_assert_eq(segment->count, 0);
    return segment;
}

/* Numbers whose keys have home slot `home` in a one-segment index of the largest capacity. */
static uint32_t colliding_numbers(uint32_t home, uint32_t *numbers, uint32_t count,
                                  uint32_t start) {
    uint32_t found = 0;
    for (uint32_t number = start; found < count && number < start + 10000000; number++) {
        char buffer[TEST_KEY_SIZE_MAX];
        struct slice key = key_of(number, buffer);
        if (index_slot_home(index_hash(key), INDEX_SEGMENT_SLOTS) == home) {
            numbers[found] = number;
            found++;
        }
    }
    cr_assert_eq(found, count);
    return found;
}

static void backward_shift_at(uint32_t home) {
    uint32_t numbers[8];
    colliding_numbers(home, numbers, 8, 0);
    struct index_segment *segment = one_large_empty_segment();
    for (uint32_t index = 0; index < 8; index++) {
        items[index] = item_make_number(numbers[index]);
        cr_assert(insert_item(items[index]));
    }
    /* A cluster of 8 from home, wrapping inside the segment when home is near the end. */
    for (uint32_t index = 0; index < 8; index++) {
        uint64_t slot = segment->slots[(home + index) % INDEX_SEGMENT_SLOTS];
        cr_assert_eq(index_slot_item(slot), items[index]);
    }
    cr_assert_eq(remove_number(numbers[0]), items[0]);
    /* The next entry moved back into the home slot: no tombstone. */
    cr_assert_eq(index_slot_item(segment->slots[home]), items[1]);
    cr_assert_eq(segment->slots[(home + 7) % INDEX_SEGMENT_SLOTS], 0);
    cr_assert_eq(remove_number(numbers[4]), items[4]);
    index_verify(&index_);
    for (uint32_t index = 0; index < 8; index++) {
        struct item *expected = index == 0 || index == 4 ? NULL : items[index];
        cr_assert_eq(find_number(numbers[index]), expected);
    }
    cr_assert_eq(segment->count, 6);
}

Test(index, backward_shift_deletion) {
    backward_shift_at(100);
}

Test(index, backward_shift_deletion_wraps) {
    backward_shift_at(INDEX_SEGMENT_SLOTS - 3);
}

Test(index, backward_shift_keeps_entries_at_their_home) {
    /* Cluster: A(home h), B(home h), C(home h+2), D(home h+2) at h..h+3. */
    uint32_t home = 500;
    uint32_t first[2];
    uint32_t second[2];
    colliding_numbers(home, first, 2, 0);
    colliding_numbers(home + 2, second, 2, 0);
    uint32_t numbers[4] = { first[0], first[1], second[0], second[1] };
    struct index_segment *segment = one_large_empty_segment();
    for (uint32_t index = 0; index < 4; index++) {
        items[index] = item_make_number(numbers[index]);
        cr_assert(insert_item(items[index]));
    }
    cr_assert_neq(segment->slots[home + 3], 0);
    cr_assert_eq(remove_number(numbers[1]), items[1]); /* hole at h+1 */
    /* C sits at its home h+2 and D right after it: moving either would put it before home. */
    cr_assert_eq(segment->slots[home + 1], 0);
    cr_assert_eq(index_slot_item(segment->slots[home + 2]), items[2]);
    cr_assert_eq(index_slot_item(segment->slots[home + 3]), items[3]);
    index_verify(&index_);
    cr_assert_eq(find_number(numbers[3]), items[3]);
}

Test(index, prepare_insert_splits_until_room) {
    /* Keys whose hashes start with 00: the first two splits send them all one way. */
    uint32_t count = 0;
    for (uint32_t number = 0; count < INDEX_SEGMENT_FILL_MAX + 1; number++) {
        cr_assert_lt(number, 100000);
        char buffer[TEST_KEY_SIZE_MAX];
        if (index_hash(key_of(number, buffer)) >> 62 == 0) {
            items[count] = item_make_number(number);
            count++;
        }
    }
    for (uint32_t index = 0; index < INDEX_SEGMENT_FILL_MAX; index++) {
        cr_assert(insert_item(items[index]));
    }
    cr_assert_eq(index_.segment_count, 1);
    cr_assert(insert_item(items[INDEX_SEGMENT_FILL_MAX]));
    cr_assert_eq(index_.global_depth, 3);
    cr_assert_eq(index_.segment_count, 4);
    cr_assert_eq(index_.directory[4], index_.directory[7]); /* depth 1: four slots */
    cr_assert_eq(index_.directory[2], index_.directory[3]); /* depth 2: two slots */
    cr_assert_eq(index_.directory[4]->count, 0);
    cr_assert_eq(index_.directory[2]->count, 0);
    index_verify(&index_);
    for (uint32_t index = 0; index < count; index++) {
        struct slice key = item_key(items[index]);
        cr_assert_eq(index_find(&index_, key, index_hash(key)), items[index]);
    }
}

Test(index, randomized_operations) {
    uint32_t key_range = 20000;
    bool present[20000] = { false };
    uint64_t state = 88172645463325252u;
    uint64_t count = 0;
    for (uint32_t number = 0; number < key_range; number++) {
        items[number] = item_make_number(number);
    }
    for (uint32_t step = 0; step < 300000; step++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        /* Grow for the first half, shrink toward empty in the second. */
        uint32_t number = (uint32_t)(state % key_range);
        bool insert = (state >> 32) % 100 < (step < 150000 ? 70u : 30u);
        if (insert && !present[number]) {
            cr_assert_null(find_number(number));
            cr_assert(insert_item(items[number]));
            present[number] = true;
            count++;
        } else if (!insert) {
            struct item *expected = present[number] ? items[number] : NULL;
            cr_assert_eq(remove_number(number), expected);
            count -= present[number] ? 1 : 0;
            present[number] = false;
        }
        cr_assert_eq(index_.count, count);
        if (step % 10000 == 0) {
            index_verify(&index_);
        }
    }
    index_verify(&index_);
    for (uint32_t number = 0; number < key_range; number++) {
        cr_assert_eq(find_number(number), present[number] ? items[number] : NULL);
    }
}

static uint32_t walk_all(uint32_t slots_max, uint32_t items_max) {
    struct index_cursor cursor = { 0, 0 };
    struct item *batch[64];
    cr_assert_leq(items_max, 64);
    uint32_t visited = 0;
    bool done = false;
    for (uint32_t call = 0; !done; call++) {
        cr_assert_lt(call, 10000000);
        uint32_t written = index_walk(&index_, &cursor, slots_max, batch, items_max, &done);
        cr_assert_leq(written, items_max);
        for (uint32_t index = 0; index < written; index++) {
            batch[index]->lru_clock++;
            visited++;
        }
    }
    cr_assert_eq(cursor.directory_index, 0);
    cr_assert_eq(cursor.slot_index, 0);
    return visited;
}

Test(index, walk_visits_every_item_once) {
    uint32_t count = 60000;
    insert_numbers(count);
    cr_assert_gt(index_.global_depth, 3);
    uint32_t configurations[4][2] = { { 100, 7 }, { 1, 1 }, { 5000, 64 }, { 1024, 64 } };
    for (uint32_t round = 0; round < 4; round++) {
        uint32_t visited = walk_all(configurations[round][0], configurations[round][1]);
        cr_assert_eq(visited, count);
        for (uint32_t number = 0; number < count; number++) {
            cr_assert_eq(items[number]->lru_clock, round + 1, "item %u round %u", number, round);
        }
    }
}

Test(index, walk_after_removals) {
    /* Few keys left in many segments, some spanning several directory slots. */
    insert_numbers(20000);
    for (uint32_t number = 0; number < 20000; number++) {
        if (number % 10 != 0) {
            cr_assert_eq(remove_number(number), items[number]);
            items[number]->lru_clock = 1000;
        }
    }
    uint32_t visited = walk_all(300, 13);
    cr_assert_eq(visited, 2000);
    for (uint32_t number = 0; number < 20000; number += 10) {
        cr_assert_eq(items[number]->lru_clock, 1);
    }
}

Test(index, walk_empty_index) {
    struct index_cursor cursor = { 0, 0 };
    struct item *batch[4];
    bool done = false;
    uint32_t written = index_walk(&index_, &cursor, INDEX_SEGMENT_SLOTS, batch, 4, &done);
    cr_assert_eq(written, 0);
    cr_assert(done);
    written = index_walk(&index_, &cursor, 5, batch, 4, &done);
    cr_assert_eq(written, 0);
    cr_assert_not(done);
    cr_assert_eq(cursor.slot_index, 5);
}

/* Allocates `size` objects until the heap refuses one. */
static void ballast_fill(uint64_t size) {
    for (uint32_t step = 0; step < TEST_BALLAST_MAX; step++) {
        void *ptr = heap_alloc(&heap, size);
        if (ptr == NULL) {
            return;
        }
        cr_assert_lt(ballast_count, TEST_BALLAST_MAX);
        ballast[ballast_count] = ptr;
        ballast_count++;
    }
    cr_assert_fail("the heap did not fill");
}

/* Fills every free page and every free object of every size class. */
static void ballast_fill_all(void) {
    uint64_t sizes[] = { 4 * MIB, HEAP_CLASS_SIZE_MAX + 1 };
    for (uint32_t index = 0; index < ARRAY_COUNT(sizes); index++) {
        ballast_fill(sizes[index]);
    }
    for (uint32_t class_index = heap.class_count; class_index > 0; class_index--) {
        ballast_fill(heap.classes[class_index - 1].object_size);
    }
    cr_assert_eq(heap.free_page_count, 0);
}

static void ballast_release(void) {
    for (uint32_t index = 0; index < ballast_count; index++) {
        heap_free(&heap, ballast[index]);
    }
    ballast_count = 0;
}

/* Inserts prepared items until prepare_insert fails; returns how many went in. */
static uint32_t insert_until_full(uint32_t start, uint32_t count) {
    for (uint32_t number = start; number < count; number++) {
        uint64_t object_count = heap.object_count;
        uint64_t used_size = heap.used_size;
        uint32_t segment_count = index_.segment_count;
        if (!insert_item(items[number])) {
            /* The failed split changed nothing. */
            cr_assert_eq(heap.object_count, object_count);
            cr_assert_eq(heap.used_size, used_size);
            cr_assert_eq(index_.segment_count, segment_count);
            cr_assert_eq(index_.count, number);
            return number;
        }
    }
    cr_assert_fail("prepare_insert never failed");
    return count;
}

static void check_failure_then_recover(uint32_t count, uint32_t inserted) {
    index_verify(&index_);
    heap_verify(&heap);
    for (uint32_t number = 0; number < count; number++) {
        struct item *expected = number < inserted ? items[number] : NULL;
        cr_assert_eq(find_number(number), expected);
    }
    ballast_release();
    for (uint32_t number = inserted; number < count; number++) {
        cr_assert(insert_item(items[number]));
    }
    index_verify(&index_);
    for (uint32_t number = 0; number < count; number++) {
        cr_assert_eq(find_number(number), items[number]);
    }
}

Test(index, prepare_insert_fails_when_heap_full) {
    teardown();
    heap_setup_pages(64);
    uint32_t count = 30000;
    for (uint32_t number = 0; number < count; number++) {
        items[number] = item_make_number(number);
        cr_assert(items[number] != NULL);
    }
    cr_assert(insert_item(items[0]));
    for (uint32_t number = 1; number < 5000; number++) {
        cr_assert(insert_item(items[number]));
    }
    ballast_fill_all();
    uint32_t inserted = insert_until_full(5000, count);
    cr_assert_gt(inserted, 5000);
    check_failure_then_recover(count, inserted);
}

Test(index, prepare_insert_fails_after_directory_allocated) {
    /* One segment (local depth 0 == global depth): a split must double the directory. */
    teardown();
    heap_setup_pages(16);
    uint32_t count = INDEX_SEGMENT_SLOTS;
    for (uint32_t number = 0; number < count; number++) {
        items[number] = item_make_number(number);
        cr_assert(items[number] != NULL);
    }
    /* The segment grows to its largest capacity while there is room. */
    for (uint32_t number = 0; number < INDEX_SEGMENT_FILL_MAX; number++) {
        cr_assert(insert_item(items[number]));
    }
    cr_assert_eq(index_.directory[0]->capacity, INDEX_SEGMENT_SLOTS);
    void *reserve = heap_alloc(&heap, 16);
    cr_assert(reserve != NULL);
    ballast_fill_all();
    /* Room for the 16-byte directory of depth 1, but not for the two halves. */
    heap_free(&heap, reserve);
    uint32_t inserted = insert_until_full(INDEX_SEGMENT_FILL_MAX, count);
    cr_assert_eq(inserted, INDEX_SEGMENT_FILL_MAX);
    cr_assert_eq(index_.global_depth, 0);
    check_failure_then_recover(count, inserted);
    cr_assert_gt(index_.global_depth, 0);
}

Test(index, segments_resize_before_they_split) {
    /* One segment grows through the size classes to the largest capacity, keeping its keys. */
    uint32_t previous_capacity = index_.directory[0]->capacity;
    cr_assert_eq(previous_capacity, INDEX_SEGMENT_SLOTS_MIN);
    uint32_t resizes = 0;
    for (uint32_t number = 0; number < INDEX_SEGMENT_FILL_MAX; number++) {
        items[number] = item_make_number(number);
        cr_assert(insert_item(items[number]));
        struct index_segment *segment = index_.directory[0];
        cr_assert_eq(index_.segment_count, 1);
        if (segment->capacity != previous_capacity) {
            cr_assert_gt(segment->capacity, previous_capacity);
            /* Each step at most about 1/8 + rounding larger: never a jump. */
            cr_assert_leq(segment->capacity, previous_capacity + previous_capacity / 2 + 8);
            cr_assert_eq(heap_usable_size(&heap, segment),
                         sizeof(struct index_segment) + 8 * (uint64_t)segment->capacity);
            previous_capacity = segment->capacity;
            resizes++;
        }
        cr_assert_lt(segment->count, segment->capacity);
    }
    cr_assert_eq(previous_capacity, INDEX_SEGMENT_SLOTS);
    cr_assert_gt(resizes, 10);
    index_verify(&index_);
    /* The next insert splits it into two segments sized for their halves. */
    items[INDEX_SEGMENT_FILL_MAX] = item_make_number(INDEX_SEGMENT_FILL_MAX);
    cr_assert(insert_item(items[INDEX_SEGMENT_FILL_MAX]));
    cr_assert_eq(index_.segment_count, 2);
    for (uint32_t side = 0; side < 2; side++) {
        struct index_segment *half = index_.directory[side];
        cr_assert_lt(half->capacity, INDEX_SEGMENT_SLOTS);
        cr_assert_leq(half->count * 8, half->capacity * 7);
    }
    index_verify(&index_);
    for (uint32_t number = 0; number <= INDEX_SEGMENT_FILL_MAX; number++) {
        cr_assert_eq(find_number(number), items[number]);
    }
}

Test(index, resize_failure_changes_nothing) {
    teardown();
    heap_setup_pages(16);
    for (uint32_t number = 0; number < 200; number++) {
        items[number] = item_make_number(number);
        cr_assert(items[number] != NULL);
    }
    ballast_fill_all();
    uint32_t inserted = insert_until_full(0, 200);
    cr_assert_eq(inserted, segment_fill_max_for_test(INDEX_SEGMENT_SLOTS_MIN));
    check_failure_then_recover(200, inserted);
}

Test(index, init_fails_when_heap_full) {
    ballast_fill_all();
    struct index other;
    uint64_t object_count = heap.object_count;
    cr_assert_not(index_init(&other, &heap));
    cr_assert_eq(heap.object_count, object_count);
    /* Room for the directory only: still false, and the directory is given back. */
    ballast_count--;
    heap_free(&heap, ballast[ballast_count]);
    object_count = heap.object_count;
    cr_assert_not(index_init(&other, &heap));
    cr_assert_eq(heap.object_count, object_count);
    ballast_release();
    cr_assert(index_init(&other, &heap));
    index_verify(&other);
    index_release(&other);
}

Test(index, release_returns_all_memory) {
    uint32_t free_page_count = heap.free_page_count;
    insert_numbers(50000);
    index_release(&index_);
    for (uint32_t number = 0; number < 50000; number++) {
        heap_free(&heap, items[number]);
    }
    cr_assert_eq(heap.object_count, 0);
    cr_assert_gt(heap.free_page_count, free_page_count);
    cr_assert_eq(heap.free_page_count, heap.page_count);
}

Test(index, insert_of_present_key_aborts, .signal = SIGABRT) {
    insert_numbers(10);
    struct item *duplicate = item_make_number(3);
    (void)insert_item(duplicate);
}

/* ==== SCAN ==== */

#define SCAN_GROWTH_COUNT 100000u

/* items[] numbers 0..TEST_KEY_COUNT-1: how often a scan returned each. */
static uint8_t returned[TEST_KEY_COUNT];

/* The number of a test key ("key:<n>"). */
static uint32_t number_of(const struct item *item) {
    struct slice key = item_key(item);
    char text[TEST_KEY_SIZE_MAX];
    cr_assert_lt(key.size, sizeof(text));
    memcpy(text, key.ptr, key.size);
    text[key.size] = 0;
    unsigned number = 0;
    cr_assert_eq(sscanf(text, "key:%u", &number), 1);
    cr_assert_lt(number, TEST_KEY_COUNT);
    return number;
}

/*
 * One index_scan call from *position: checks every item lies in [position, next)
 * of the hash space, counts it in returned[], and moves *position on.
 */
static uint32_t scan_step(uint64_t *position) {
    struct item *batch[INDEX_SEGMENT_FILL_MAX];
    uint64_t next = 0;
    uint32_t count = index_scan(&index_, *position, batch, &next);
    cr_assert_leq(count, INDEX_SEGMENT_FILL_MAX);
    cr_assert(next == 0 || next > *position);
    for (uint32_t index = 0; index < count; index++) {
        uint64_t hash = index_hash(item_key(batch[index]));
        cr_assert_geq(hash, *position);
        cr_assert(next == 0 || hash < next);
        uint32_t number = number_of(batch[index]);
        cr_assert_lt(returned[number], 255);
        returned[number]++;
    }
    *position = next;
    return count;
}

Test(index, scan_returns_every_item_once) {
    uint32_t count = 60000;
    insert_numbers(count);
    memset(returned, 0, sizeof(returned));
    uint64_t position = 0;
    uint32_t calls = 0;
    uint64_t total = 0;
    do {
        total += scan_step(&position);
        calls++;
        cr_assert_leq(calls, index_.segment_count);
    } while (position != 0);
    cr_assert_eq(calls, index_.segment_count, "one call per segment");
    cr_assert_eq(total, count);
    for (uint32_t number = 0; number < count; number++) {
        cr_assert_eq(returned[number], 1, "key %u", number);
    }
}

Test(index, scan_of_empty_index) {
    struct item *batch[INDEX_SEGMENT_FILL_MAX];
    uint64_t next = 1;
    cr_assert_eq(index_scan(&index_, 0, batch, &next), 0);
    cr_assert_eq(next, 0);
    cr_assert_eq(index_scan(&index_, UINT64_MAX, batch, &next), 0);
    cr_assert_eq(next, 0);
}

/* Every key present for the whole scan comes back exactly once, with 100k inserts between. */
Test(index, scan_while_growing_returns_present_keys_once) {
    uint32_t original_count = 20000;
    cr_assert_leq(original_count + SCAN_GROWTH_COUNT, TEST_KEY_COUNT);
    insert_numbers(original_count);
    uint32_t depth_before = index_.global_depth;
    for (uint32_t number = original_count; number < original_count + SCAN_GROWTH_COUNT;
         number++) {
        items[number] = item_make_number(number);
        cr_assert(items[number] != NULL);
    }
    memset(returned, 0, sizeof(returned));
    uint64_t position = 0;
    uint32_t inserted = original_count;
    uint32_t calls = 0;
    do {
        scan_step(&position);
        calls++;
        cr_assert_lt(calls, 1000000);
        /* Thousands of inserts between calls: many segments split under the cursor. */
        uint32_t batch_end = MIN(inserted + 5000, original_count + SCAN_GROWTH_COUNT);
        for (; inserted < batch_end; inserted++) {
            cr_assert(insert_item(items[inserted]));
        }
    } while (position != 0);
    cr_assert_eq(inserted, original_count + SCAN_GROWTH_COUNT, "the scan outlived the growth");
    cr_assert_gt(index_.global_depth, depth_before + 1);
    for (uint32_t number = 0; number < original_count; number++) {
        cr_assert_eq(returned[number], 1, "key %u returned %u times", number, returned[number]);
    }
    /* Keys added during the scan: never twice (the ranges never overlap). */
    for (uint32_t number = original_count; number < inserted; number++) {
        cr_assert_leq(returned[number], 1);
    }
    index_verify(&index_);
}

/*
 * After a reset (what FLUSHDB does) the directory is coarser than the cursor:
 * the scan resumes mid-segment and returns exactly the keys at or after it.
 */
Test(index, scan_resumes_mid_segment_after_reset) {
    insert_numbers(100000);
    uint32_t depth_before = index_.global_depth;
    memset(returned, 0, sizeof(returned));
    uint64_t position = 0;
    for (uint32_t call = 0; call < 7; call++) {
        scan_step(&position);
    }
    cr_assert_neq(position, 0);
    uint64_t reset_position = position;
    index_release(&index_);
    cr_assert(index_init(&index_, &heap));
    memset(returned, 0, sizeof(returned));
    uint32_t kept_count = 5000;
    for (uint32_t number = 0; number < kept_count; number++) {
        cr_assert(insert_item(items[number]));
    }
    cr_assert_lt(index_.global_depth, depth_before);
    uint32_t calls = 0;
    do {
        scan_step(&position);
        calls++;
        cr_assert_leq(calls, index_.segment_count);
    } while (position != 0);
    uint32_t expected_count = 0;
    for (uint32_t number = 0; number < kept_count; number++) {
        struct slice key = item_key(items[number]);
        bool after = index_hash(key) >= reset_position;
        expected_count += after ? 1u : 0u;
        cr_assert_eq(returned[number], after ? 1 : 0, "key %u", number);
    }
    cr_assert_gt(expected_count, 0);
    cr_assert_lt(expected_count, kept_count);
}

/* ==== Random items ==== */

Test(index, random_of_empty_index_is_null) {
    for (uint64_t seed = 0; seed < 100; seed++) {
        cr_assert_null(index_random(&index_, seed));
    }
}

Test(index, random_returns_present_items_and_spreads) {
    insert_numbers(1);
    for (uint64_t seed = 0; seed < 100; seed++) {
        cr_assert_eq(index_random(&index_, seed * 7919), items[0]);
    }
    uint32_t count = 3000;
    for (uint32_t number = 1; number < count; number++) {
        items[number] = item_make_number(number);
        cr_assert(insert_item(items[number]));
    }
    memset(returned, 0, sizeof(returned));
    for (uint64_t seed = 0; seed < 60000; seed++) {
        struct item *item = index_random(&index_, seed);
        cr_assert_not_null(item);
        uint32_t number = number_of(item);
        cr_assert_lt(number, count);
        returned[number] = 1;
    }
    uint32_t seen = 0;
    for (uint32_t number = 0; number < count; number++) {
        seen += returned[number];
    }
    cr_assert_gt(seen, count * 9 / 10, "seen %u of %u", seen, count);
}

Test(index, random_in_a_mostly_empty_index) {
    /* Many segments, a handful of items left: the fallback walk finds them. */
    insert_numbers(50000);
    for (uint32_t number = 0; number < 50000; number++) {
        if (number % 10000 != 0) {
            cr_assert_eq(remove_number(number), items[number]);
        }
    }
    cr_assert_eq(index_.count, 5);
    cr_assert_gt(index_.segment_count, 50);
    memset(returned, 0, sizeof(returned));
    for (uint64_t seed = 0; seed < 20000; seed++) {
        struct item *item = index_random(&index_, seed);
        cr_assert_not_null(item);
        uint32_t number = number_of(item);
        cr_assert_eq(number % 10000, 0);
        returned[number] = 1;
    }
    for (uint32_t number = 0; number < 50000; number += 10000) {
        cr_assert_eq(returned[number], 1, "key %u never chosen", number);
    }
}
