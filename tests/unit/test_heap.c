/*
 * test_heap.c: unit tests for the data heap (src/heap.c).
 *
 * The pages area comes from an anonymous mapping (tests only), aligned to
 * HEAP_PAGE_SIZE; untouched pages stay untouched, so large heaps are cheap.
 */
#define _DEFAULT_SOURCE
#include "heap.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <sys/mman.h>

#define TEST_PAGE_COUNT 256u
#define TEST_LIVE_MAX 200000u

static struct heap heap;
static uint8_t *mapping;
static uint64_t mapping_size;
static struct heap_page *descriptors;
static void *live[TEST_LIVE_MAX];
static uint64_t live_size[TEST_LIVE_MAX];

static void heap_setup_pages(uint32_t page_count) {
    mapping_size = ((uint64_t)page_count + 1) * HEAP_PAGE_SIZE;
    void *area = mmap(NULL, mapping_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    cr_assert(area != MAP_FAILED);
    mapping = area;
    uint8_t *pages = (uint8_t *)align_up((uint64_t)(uintptr_t)mapping, HEAP_PAGE_SIZE);
    uint64_t descriptor_size = heap_descriptor_size(page_count);
    cr_assert(descriptor_size == (uint64_t)page_count * sizeof(struct heap_page));
    void *table = mmap(NULL, descriptor_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(table != MAP_FAILED);
    descriptors = table;
    heap_init(&heap, pages, page_count, descriptors);
    heap_verify(&heap);
}

static void setup(void) {
    heap_setup_pages(TEST_PAGE_COUNT);
}

static void teardown(void) {
    heap_verify(&heap);
    munmap(descriptors, heap_descriptor_size(heap.page_count));
    munmap(mapping, mapping_size);
}

static uint64_t xorshift(uint64_t *state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* The smallest class size that holds `size`, by a linear scan (the reference). */
static uint64_t reference_size_for(uint64_t size) {
    for (uint32_t class_index = 0; class_index < heap.class_count; class_index++) {
        if (heap.classes[class_index].object_size >= size) {
            return heap.classes[class_index].object_size;
        }
    }
    return align_up(size, HEAP_PAGE_SIZE);
}

TestSuite(heap, .init = setup, .fini = teardown);

Test(heap, class_table) {
    cr_assert(heap.class_count <= HEAP_CLASS_COUNT_MAX);
    cr_assert(heap.class_count > 16);
    for (uint32_t class_index = 0; class_index < 16; class_index++) {
        cr_assert_eq(heap.classes[class_index].object_size, (class_index + 1) * 8);
    }
    cr_assert_eq(heap.classes[heap.class_count - 1].object_size, HEAP_CLASS_SIZE_MAX);
    for (uint32_t class_index = 0; class_index < heap.class_count; class_index++) {
        const struct heap_class *class = &heap.classes[class_index];
        cr_assert_eq(class->object_size % 8, 0);
        uint64_t slab_size = (uint64_t)class->slab_pages * HEAP_PAGE_SIZE;
        cr_assert_eq(class->objects_per_slab, slab_size / class->object_size);
        cr_assert_geq(class->objects_per_slab, 1);
        /* Tail waste below 1/8 of the slab, with the fewest pages that achieve it. */
        cr_assert_lt((slab_size % class->object_size) * 8, slab_size);
        for (uint32_t fewer = 1; fewer < class->slab_pages; fewer++) {
            uint64_t smaller = (uint64_t)fewer * HEAP_PAGE_SIZE;
            cr_assert_geq((smaller % class->object_size) * 8, smaller);
        }
        /* Every class up to 8 KiB (an index segment's size) takes single pages. */
        if (class->object_size <= 8360) {
            cr_assert_eq(class->slab_pages, 1, "class %u", class->object_size);
        }
        if (class_index > 0) {
            uint32_t previous = heap.classes[class_index - 1].object_size;
            cr_assert_gt(class->object_size, previous);
            if (previous >= 128) {
                cr_assert_leq((uint64_t)(class->object_size - previous) * 8, previous);
            }
        }
    }
}

Test(heap, partial_slab_pages_sum_one_slab_per_class) {
    /* The plan's allowance for partly used slabs: one slab of each class up to the size. */
    uint32_t expected_small = 0;
    uint32_t expected_all = 0;
    for (uint32_t class_index = 0; class_index < heap.class_count; class_index++) {
        const struct heap_class *class = &heap.classes[class_index];
        if (class->object_size <= 8192) {
            expected_small += class->slab_pages;
        }
        expected_all += class->slab_pages;
    }
    cr_assert_eq(heap_partial_slab_pages(8192), expected_small);
    cr_assert_eq(heap_partial_slab_pages(8192), 52, "52 single-page classes up to 8 KiB");
    cr_assert_eq(heap_partial_slab_pages(HEAP_CLASS_SIZE_MAX), expected_all);
    cr_assert_eq(heap_partial_slab_pages(8), 1);
    cr_assert_eq(heap_partial_slab_pages(15), 1, "classes above the size do not count");
}

Test(heap, every_class_boundary) {
    for (uint32_t class_index = 0; class_index < heap.class_count; class_index++) {
        uint32_t size = heap.classes[class_index].object_size;
        uint64_t next_size = class_index + 1 < heap.class_count
                                 ? heap.classes[class_index + 1].object_size
                                 : align_up((uint64_t)size + 1, HEAP_PAGE_SIZE);
        cr_assert_eq(heap_size_for(&heap, size), size);
        cr_assert_eq(heap_size_for(&heap, (uint64_t)size + 1), next_size);
        uint8_t *exact = heap_alloc(&heap, size);
        uint8_t *above = heap_alloc(&heap, (uint64_t)size + 1);
        cr_assert(exact != NULL);
        cr_assert(above != NULL);
        cr_assert_eq((uintptr_t)exact % HEAP_ALIGNMENT, 0);
        cr_assert_eq((uintptr_t)above % HEAP_ALIGNMENT, 0);
        cr_assert_eq(heap_usable_size(&heap, exact), size);
        cr_assert_eq(heap_usable_size(&heap, above), next_size);
        memset(exact, 0xa5, size);
        memset(above, 0x5a, (uint64_t)size + 1);
        cr_assert_eq(exact[size - 1], 0xa5);
        heap_free(&heap, exact);
        heap_free(&heap, above);
        heap_verify(&heap);
    }
    cr_assert_eq(heap.free_page_count, heap.page_count);
    cr_assert_eq(heap.object_count, 0);
    cr_assert_eq(heap.used_size, 0);
}

Test(heap, size_for_matches_reference) {
    for (uint64_t size = 1; size <= 2 * HEAP_CLASS_SIZE_MAX + 9; size++) {
        cr_assert_eq(heap_size_for(&heap, size), reference_size_for(size), "size %lu",
                     (unsigned long)size);
    }
    cr_assert_eq(heap_size_for(&heap, UINT64_MAX), UINT64_MAX);
}

Test(heap, alignment_of_every_small_size) {
    for (uint64_t size = 1; size <= 4096; size++) {
        void *ptr = heap_alloc(&heap, size);
        cr_assert(ptr != NULL);
        cr_assert_eq((uintptr_t)ptr % HEAP_ALIGNMENT, 0);
        cr_assert(heap_contains(&heap, ptr));
        cr_assert_geq(heap_usable_size(&heap, ptr), size);
        live[size] = ptr;
    }
    heap_verify(&heap);
    for (uint64_t size = 1; size <= 4096; size++) {
        heap_free(&heap, live[size]);
    }
    cr_assert_eq(heap.free_page_count, heap.page_count);
}

Test(heap, free_and_reuse) {
    uint8_t *first = heap_alloc(&heap, 40);
    uint8_t *second = heap_alloc(&heap, 40);
    uint8_t *third = heap_alloc(&heap, 40);
    cr_assert_eq(second, first + 40);
    cr_assert_eq(third, second + 40);
    heap_free(&heap, second);
    heap_verify(&heap);
    uint8_t *again = heap_alloc(&heap, 33); /* same class */
    cr_assert_eq(again, second);
    heap_free(&heap, first);
    heap_free(&heap, third);
    uint8_t *reused = heap_alloc(&heap, 40);
    cr_assert_eq(reused, third); /* last freed, first reused */
    heap_free(&heap, reused);
    heap_free(&heap, again);
    cr_assert_eq(heap.free_page_count, heap.page_count);
}

Test(heap, slab_emptying_returns_pages) {
    uint32_t initial = heap.free_page_count;
    uint32_t class_index = 20;
    const struct heap_class *class = &heap.classes[class_index];
    uint32_t count = class->objects_per_slab * 2 + 1; /* three slabs */
    for (uint32_t index = 0; index < count; index++) {
        live[index] = heap_alloc(&heap, class->object_size);
        cr_assert(live[index] != NULL);
    }
    cr_assert_eq(class->slab_count, 3);
    cr_assert_eq(class->object_count, count);
    cr_assert_eq(heap.free_page_count, initial - 3 * class->slab_pages);
    heap_verify(&heap);
    for (uint32_t index = 0; index < count; index++) {
        heap_free(&heap, live[index]);
        if (index % 97 == 0) {
            heap_verify(&heap);
        }
    }
    cr_assert_eq(class->slab_count, 0);
    cr_assert_eq(class->partial_head[0], HEAP_NONE);
    cr_assert_eq(class->partial_head[1], HEAP_NONE);
    cr_assert_eq(heap.free_page_count, initial);
    cr_assert_eq(heap.descriptors[0].kind, HEAP_PAGE_FREE);
    cr_assert_eq(heap.descriptors[0].run_pages, heap.page_count);
}

Test(heap, large_runs) {
    uint8_t *one = heap_alloc(&heap, HEAP_CLASS_SIZE_MAX + 1);
    cr_assert(one != NULL);
    cr_assert_eq(one, heap.pages); /* from the low end */
    cr_assert_eq(heap_usable_size(&heap, one), 5 * (uint64_t)HEAP_PAGE_SIZE);
    uint8_t *two = heap_alloc(&heap, 10 * (uint64_t)HEAP_PAGE_SIZE);
    cr_assert_eq(two, one + 5 * (uint64_t)HEAP_PAGE_SIZE);
    cr_assert_eq(heap_usable_size(&heap, two), 10 * (uint64_t)HEAP_PAGE_SIZE);
    memset(two, 1, 10 * (uint64_t)HEAP_PAGE_SIZE);
    cr_assert_eq(heap.free_page_count, heap.page_count - 15);
    cr_assert_eq(heap.used_size, 15 * (uint64_t)HEAP_PAGE_SIZE);
    heap_verify(&heap);
    heap_free(&heap, one);
    heap_free(&heap, two);
    cr_assert_eq(heap.free_page_count, heap.page_count);
    /* The whole heap as one object, then one page more. */
    uint8_t *all = heap_alloc(&heap, heap_capacity_size(&heap));
    cr_assert_eq(all, heap.pages);
    cr_assert_eq(heap.free_page_count, 0);
    cr_assert_null(heap_alloc(&heap, 8));
    heap_free(&heap, all);
    cr_assert_null(heap_alloc(&heap, heap_capacity_size(&heap) + 1));
    cr_assert_null(heap_alloc(&heap, UINT64_MAX));
    cr_assert_eq(heap.free_page_count, heap.page_count);
}

Test(heap, coalescing_both_sides) {
    uint64_t run_size = 4 * (uint64_t)HEAP_PAGE_SIZE + 1; /* 5 pages, above every class */
    uint8_t *left = heap_alloc(&heap, run_size);
    uint8_t *middle = heap_alloc(&heap, run_size);
    uint8_t *right = heap_alloc(&heap, run_size);
    uint8_t *guard = heap_alloc(&heap, run_size);
    cr_assert(guard != NULL);
    heap_free(&heap, left);
    heap_free(&heap, right);
    heap_verify(&heap);
    /* Two separate 5-page holes: 10 pages cannot come from them. */
    uint8_t *big = heap_alloc(&heap, 10 * (uint64_t)HEAP_PAGE_SIZE);
    cr_assert(big > guard);
    heap_free(&heap, big);
    heap_free(&heap, middle); /* merges with left and right */
    heap_verify(&heap);
    const struct heap_page *head = &heap.descriptors[0];
    cr_assert_eq(head->kind, HEAP_PAGE_FREE);
    cr_assert_eq(head->run_pages, 15);
    cr_assert_eq(heap.descriptors[14].kind, HEAP_PAGE_FREE);
    cr_assert_eq(heap.descriptors[14].head_index, 0);
    cr_assert_eq(heap.descriptors[14].run_pages, 15);
    big = heap_alloc(&heap, 15 * (uint64_t)HEAP_PAGE_SIZE);
    cr_assert_eq(big, left);
    heap_free(&heap, big);
    heap_free(&heap, guard); /* merges with both sides: one run again */
    cr_assert_eq(heap.descriptors[0].run_pages, heap.page_count);
    cr_assert_eq(heap.free_page_count, heap.page_count);
}

Test(heap, higher_bucket_when_scan_fails) {
    /* Holes of 5 pages (bucket 2) separated by guards; ask for 7 pages (bucket 2 too). */
    uint8_t *holes[20];
    uint8_t *guards[20];
    for (uint32_t index = 0; index < 20; index++) {
        holes[index] = heap_alloc(&heap, 5 * (uint64_t)HEAP_PAGE_SIZE);
        guards[index] = heap_alloc(&heap, HEAP_CLASS_SIZE_MAX + 1); /* a 5-page run */
        cr_assert(guards[index] != NULL);
    }
    for (uint32_t index = 0; index < 20; index++) {
        heap_free(&heap, holes[index]);
    }
    heap_verify(&heap);
    uint8_t *seven = heap_alloc(&heap, 7 * (uint64_t)HEAP_PAGE_SIZE);
    cr_assert(seven > guards[19]);
    uint8_t *five = heap_alloc(&heap, 5 * (uint64_t)HEAP_PAGE_SIZE);
    cr_assert(five < guards[19]);
    heap_free(&heap, seven);
    heap_free(&heap, five);
    for (uint32_t index = 0; index < 20; index++) {
        heap_free(&heap, guards[index]);
    }
    cr_assert_eq(heap.free_page_count, heap.page_count);
}

Test(heap, accounting) {
    void *small = heap_alloc(&heap, 100);
    void *large = heap_alloc(&heap, 300 * KIB);
    uint64_t expected = heap_size_for(&heap, 100) + heap_size_for(&heap, 300 * KIB);
    cr_assert_eq(heap.used_size, expected);
    cr_assert_eq(heap.used_size_peak, expected);
    cr_assert_eq(heap.object_count, 2);
    heap_free(&heap, large);
    cr_assert_eq(heap.used_size, heap_size_for(&heap, 100));
    cr_assert_eq(heap.used_size_peak, expected);
    cr_assert_eq(heap.object_count, 1);
    heap_free(&heap, small);
    cr_assert_eq(heap.used_size, 0);
    cr_assert_eq(heap_free_size(&heap), heap_capacity_size(&heap));
    cr_assert_not(heap_contains(&heap, heap.pages + heap_capacity_size(&heap)));
    cr_assert_not(heap_contains(&heap, heap.pages - 1));
}

static void exhaust_with(uint64_t size, uint32_t *count) {
    for (uint32_t step = 0; step < TEST_LIVE_MAX; step++) {
        void *ptr = heap_alloc(&heap, size);
        if (ptr == NULL) {
            return;
        }
        cr_assert_lt(*count, TEST_LIVE_MAX);
        live[*count] = ptr;
        live_size[*count] = size;
        *count += 1;
    }
    cr_assert_fail("exhaustion did not happen");
}

Test(heap, exhaustion_then_recovery) {
    uint32_t count = 0;
    exhaust_with(200 * KIB, &count);
    cr_assert_gt(count, 0);
    exhaust_with(1000, &count);
    exhaust_with(8, &count);
    cr_assert_eq(heap.free_page_count, 0);
    cr_assert_null(heap_alloc(&heap, 8));
    cr_assert_null(heap_alloc(&heap, 1000));
    cr_assert_null(heap_alloc(&heap, HEAP_CLASS_SIZE_MAX + 1));
    heap_verify(&heap);
    uint64_t used_size = heap.used_size;
    uint64_t object_count = heap.object_count;
    /* Free every other object: the same sizes fit again, into the same slots. */
    for (uint32_t index = 0; index < count; index += 2) {
        heap_free(&heap, live[index]);
        live[index] = NULL;
    }
    heap_verify(&heap);
    cr_assert_lt(heap.used_size, used_size);
    for (uint32_t index = 0; index < count; index += 2) {
        live[index] = heap_alloc(&heap, live_size[index]);
        cr_assert(live[index] != NULL);
    }
    cr_assert_eq(heap.used_size, used_size);
    cr_assert_eq(heap.object_count, object_count);
    cr_assert_null(heap_alloc(&heap, 8));
    heap_verify(&heap);
    for (uint32_t index = 0; index < count; index++) {
        heap_free(&heap, live[index]);
    }
    cr_assert_eq(heap.free_page_count, heap.page_count);
    cr_assert_eq(heap.object_count, 0);
    void *all = heap_alloc(&heap, heap_capacity_size(&heap));
    cr_assert(all != NULL);
    heap_free(&heap, all);
}

static uint64_t churn_size(uint64_t *state) {
    uint64_t pick = xorshift(state) % 100;
    if (pick < 70) {
        return 1 + xorshift(state) % 512;
    }
    if (pick < 95) {
        return 1 + xorshift(state) % HEAP_CLASS_SIZE_MAX;
    }
    return 1 + xorshift(state) % (20 * (uint64_t)HEAP_PAGE_SIZE);
}

/* Marks an object at its start, middle and end (cheaper than filling it). */
static void churn_mark(uint32_t index) {
    uint8_t *bytes = live[index];
    uint64_t size = live_size[index];
    memset(bytes, (int)(uint8_t)index, MIN(size, 256));
    bytes[size / 2] = (uint8_t)index;
    bytes[size - 1] = (uint8_t)index;
}

static void churn_check(uint32_t index) {
    uint8_t *bytes = live[index];
    uint8_t expected = (uint8_t)index;
    uint64_t size = live_size[index];
    for (uint64_t offset = 0; offset < MIN(size, 256); offset++) {
        cr_assert_eq(bytes[offset], expected);
    }
    cr_assert_eq(bytes[size - 1], expected);
    cr_assert_eq(bytes[size / 2], expected);
}

Test(heap, randomized_churn) {
    uint64_t state = 0x9e3779b97f4a7c15u;
    uint32_t slot_count = 500;
    uint32_t failures = 0;
    for (uint32_t step = 0; step < 200000; step++) {
        uint32_t index = (uint32_t)(xorshift(&state) % slot_count);
        if (live[index] != NULL) {
            churn_check(index);
            heap_free(&heap, live[index]);
            live[index] = NULL;
        } else {
            uint64_t size = churn_size(&state);
            live[index] = heap_alloc(&heap, size);
            if (live[index] == NULL) {
                failures++;
                continue;
            }
            live_size[index] = size;
            cr_assert_geq(heap_usable_size(&heap, live[index]), size);
            churn_mark(index);
        }
        if (step % 1000 == 0) {
            heap_verify(&heap);
        }
    }
    heap_verify(&heap);
    cr_assert_gt(failures, 0, "the churn should reach a full heap at times");
    cr_assert_gt(heap.used_size_peak, heap_capacity_size(&heap) / 2);
    for (uint32_t index = 0; index < slot_count; index++) {
        if (live[index] != NULL) {
            churn_check(index);
            heap_free(&heap, live[index]);
        }
    }
    cr_assert_eq(heap.free_page_count, heap.page_count);
    cr_assert_eq(heap.used_size, 0);
    cr_assert_eq(heap.descriptors[0].run_pages, heap.page_count);
}

Test(heap, one_page_heap) {
    teardown();
    heap_setup_pages(1);
    void *small = heap_alloc(&heap, 4000);
    cr_assert(small != NULL);
    cr_assert_null(heap_alloc(&heap, 9000)); /* needs a 2-page slab */
    heap_free(&heap, small);
    cr_assert_null(heap_alloc(&heap, 9000));
    cr_assert_null(heap_alloc(&heap, HEAP_PAGE_SIZE + 1));
    void *page = heap_alloc(&heap, 7000); /* the largest class with 1-page slabs */
    cr_assert(page != NULL);
    heap_free(&heap, page);
    cr_assert_eq(heap.free_page_count, 1);
}

Test(heap, double_free_of_run_aborts, .signal = SIGABRT) {
    void *run = heap_alloc(&heap, HEAP_CLASS_SIZE_MAX + 1);
    void *keep = heap_alloc(&heap, 8);
    heap_free(&heap, run);
    (void)keep;
    heap_free(&heap, run);
}

Test(heap, misaligned_free_aborts, .signal = SIGABRT) {
    uint8_t *object = heap_alloc(&heap, 64);
    heap_free(&heap, object + 8);
}

Test(heap, free_beyond_bump_aborts, .signal = SIGABRT) {
    uint8_t *object = heap_alloc(&heap, 64);
    heap_free(&heap, object + 64);
}

/* ==== Compaction ==== */

static uint64_t page_of(const void *object) {
    return (uint64_t)((const uint8_t *)object - heap.pages) / HEAP_PAGE_SIZE;
}

/* Fills `slabs` movable slabs of the 64-byte class, stamping each object with its index. */
static uint32_t fill_movable(uint32_t slabs) {
    const struct heap_class *class = &heap.classes[7];
    cr_assert_eq(class->object_size, 64);
    uint32_t count = slabs * class->objects_per_slab;
    cr_assert_leq(count, TEST_LIVE_MAX);
    for (uint32_t index = 0; index < count; index++) {
        live[index] = heap_alloc_movable(&heap, 64);
        cr_assert(live[index] != NULL);
        memset(live[index], 0, 64);
        memcpy(live[index], &index, sizeof(index));
    }
    cr_assert_eq(class->movable_slab_count, slabs);
    return count;
}

/* Moves an object as an owner would: new object, copy, repoint, free the old one. */
static void move_object(void *object, uint32_t count) {
    uint32_t index = 0;
    memcpy(&index, object, sizeof(index));
    cr_assert_lt(index, count);
    cr_assert_eq(live[index], object);
    void *moved = heap_alloc_movable(&heap, 64);
    cr_assert(moved != NULL);
    memcpy(moved, object, 64);
    heap_free(&heap, object);
    live[index] = moved;
}

Test(heap, movable_objects_use_their_own_slabs) {
    void *ordinary = heap_alloc(&heap, 64);
    void *movable = heap_alloc_movable(&heap, 64);
    cr_assert(ordinary != NULL && movable != NULL);
    uint64_t ordinary_page = page_of(ordinary);
    uint64_t movable_page = page_of(movable);
    cr_assert_neq(ordinary_page, movable_page);
    cr_assert_eq(heap.descriptors[movable_page].flags, HEAP_SLAB_MOVABLE);
    cr_assert_eq(heap.descriptors[ordinary_page].flags, 0);
    cr_assert_eq(heap_usable_size(&heap, movable), 64);
    heap_verify(&heap);
    heap_free(&heap, ordinary);
    heap_free(&heap, movable);
    cr_assert_eq(heap.free_page_count, heap.page_count);
}

Test(heap, compaction_empties_the_sparsest_slab) {
    uint32_t count = fill_movable(8);
    const struct heap_class *class = &heap.classes[7];
    /* Free 3 of every 4 objects: every slab is a quarter full, none empty. */
    for (uint32_t index = 0; index < count; index++) {
        if (index % 4 != 0) {
            heap_free(&heap, live[index]);
            live[index] = NULL;
        }
    }
    /* And a few more from the first slab, so it is the sparsest. */
    for (uint32_t index = 0; index < 40; index += 4) {
        heap_free(&heap, live[index]);
        live[index] = NULL;
    }
    cr_assert_eq(class->movable_slab_count, 8);
    cr_assert_not(heap_compaction_wanted(&heap)); /* plenty of free pages */
    heap.compact_free_pages_min = heap.page_count;
    cr_assert(heap_compaction_wanted(&heap));
    uint32_t free_pages = heap.free_page_count;
    cr_assert(heap_evacuation_start(&heap));
    uint32_t head_index = heap.evacuation.head_index;
    cr_assert_eq(head_index, page_of(live[44]));
    uint32_t expected = heap.descriptors[head_index].object_count;
    heap_verify(&heap);
    uint32_t moved = 0;
    for (void *object = heap_evacuation_next(&heap); object != NULL;
         object = heap_evacuation_next(&heap)) {
        cr_assert_eq(page_of(object), head_index);
        move_object(object, count);
        moved++;
        cr_assert_leq(moved, expected);
    }
    cr_assert_eq(moved, expected);
    cr_assert_eq(heap.evacuation.head_index, HEAP_NONE);
    cr_assert_eq(heap.evacuation.slabs_emptied, 1);
    cr_assert_eq(class->movable_slab_count, 7);
    cr_assert_eq(heap.free_page_count, free_pages + 1);
    heap_verify(&heap);
    /* Every surviving object kept its contents. */
    for (uint32_t index = 0; index < count; index++) {
        if (live[index] != NULL) {
            uint32_t stamp = 0;
            memcpy(&stamp, live[index], sizeof(stamp));
            cr_assert_eq(stamp, index);
            heap_free(&heap, live[index]);
        }
    }
}

Test(heap, evacuation_skips_objects_freed_meanwhile_and_can_stop) {
    uint32_t count = fill_movable(4);
    for (uint32_t index = 0; index < count; index++) {
        if (index % 2 != 0) {
            heap_free(&heap, live[index]);
            live[index] = NULL;
        }
    }
    heap.compact_free_pages_min = heap.page_count;
    cr_assert(heap_evacuation_start(&heap));
    uint32_t head_index = heap.evacuation.head_index;
    /* The owner deletes two live objects of the slab before they are handed out. */
    uint32_t deleted = 0;
    for (uint32_t index = count; index > 0 && deleted < 2; index--) {
        void *object = live[index - 1];
        if (object != NULL && page_of(object) == head_index) {
            heap_free(&heap, object);
            live[index - 1] = NULL;
            deleted++;
        }
    }
    cr_assert_eq(deleted, 2);
    uint32_t remaining = heap.descriptors[head_index].object_count;
    void *first = heap_evacuation_next(&heap);
    cr_assert(first != NULL);
    move_object(first, count);
    heap_verify(&heap);
    /* Stopping puts the slab back in service with what it still holds. */
    heap_evacuation_stop(&heap);
    cr_assert_eq(heap.evacuation.head_index, HEAP_NONE);
    cr_assert_eq(heap.descriptors[head_index].object_count, remaining - 1);
    cr_assert_eq(heap.descriptors[head_index].flags, HEAP_SLAB_MOVABLE);
    cr_assert_null(heap_evacuation_next(&heap));
    heap_verify(&heap);
    for (uint32_t index = 0; index < count; index++) {
        if (live[index] != NULL) {
            heap_free(&heap, live[index]);
        }
    }
    cr_assert_eq(heap.free_page_count, heap.page_count);
}

Test(heap, no_evacuation_without_holes_to_fill) {
    uint32_t count = fill_movable(3);
    heap.compact_free_pages_min = heap.page_count;
    /* Full slabs: nothing to gain. */
    cr_assert_not(heap_compaction_wanted(&heap));
    cr_assert_not(heap_evacuation_start(&heap));
    /* Ordinary slabs are never evacuated, however sparse. */
    void *ordinary[64];
    for (uint32_t index = 0; index < 64; index++) {
        ordinary[index] = heap_alloc(&heap, 1024);
        cr_assert(ordinary[index] != NULL);
    }
    for (uint32_t index = 1; index < 64; index++) {
        heap_free(&heap, ordinary[index]);
    }
    cr_assert_not(heap_evacuation_start(&heap));
    heap_free(&heap, ordinary[0]);
    for (uint32_t index = 0; index < count; index++) {
        heap_free(&heap, live[index]);
    }
    heap_verify(&heap);
}

Test(heap, compaction_gathers_scattered_free_pages_into_a_run) {
    /* Every page a movable slab; then every other slab freed and the rest half emptied:
     * plenty of free pages, but single ones, so no 4-page run for a big object. */
    teardown();
    heap_setup_pages(64);
    uint32_t slabs = heap.page_count;
    uint32_t count = fill_movable(slabs);
    const struct heap_class *class = &heap.classes[7];
    uint32_t per_slab = class->objects_per_slab;
    cr_assert_eq(heap.free_page_count, 0);
    for (uint32_t index = 0; index < count; index++) {
        uint32_t slab = index / per_slab;
        if (slab % 2 == 0 || index % 2 == 0) {
            heap_free(&heap, live[index]);
            live[index] = NULL;
        }
    }
    cr_assert_eq(heap.free_page_count, slabs / 2);
    cr_assert_eq(heap.run_bucket_mask, 1); /* only single free pages */
    cr_assert_null(heap_alloc(&heap, 4 * HEAP_PAGE_SIZE));
    cr_assert(heap_compaction_wanted(&heap));
    uint32_t moved = 0;
    for (uint32_t round = 0; round < 100000 && heap_compaction_wanted(&heap); round++) {
        if (heap.evacuation.head_index == HEAP_NONE) {
            cr_assert(heap_evacuation_start(&heap));
        }
        void *object = heap_evacuation_next(&heap);
        if (object != NULL) {
            move_object(object, count);
            moved++;
        }
    }
    cr_assert_not(heap_compaction_wanted(&heap));
    cr_assert_gt(moved, 0);
    cr_assert_leq(moved, per_slab); /* two half-full slabs: F S F S F -> F F F S F -> F F F F F */
    cr_assert_neq(heap.run_bucket_mask >> HEAP_CONTIGUOUS_BUCKET, 0);
    heap_verify(&heap);
    void *big = heap_alloc(&heap, 4 * HEAP_PAGE_SIZE);
    cr_assert(big != NULL);
    heap_free(&heap, big);
    for (uint32_t index = 0; index < count; index++) {
        if (live[index] != NULL) {
            uint32_t stamp = 0;
            memcpy(&stamp, live[index], sizeof(stamp));
            cr_assert_eq(stamp, index);
            heap_free(&heap, live[index]);
        }
    }
    cr_assert_eq(heap.free_page_count, heap.page_count);
}
