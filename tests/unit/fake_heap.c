/*
 * fake_heap.c: see fake_heap.h. Each object is a libc block with a 16-byte
 * prefix holding its usable size and a tag; the block holds exactly the usable
 * size after the prefix, so AddressSanitizer catches writes past the class size.
 *
 *   malloc block: | usable_size (8 B) | tag (8 B) | usable_size bytes ... |
 *                                                 ^ pointer handed out
 */
#define KEEL_ALLOW_LIBC_ALLOCATOR
#include "fake_heap.h"

#define FAKE_PREFIX_SIZE ((uint64_t)16)
#define FAKE_TAG_LIVE ((uint64_t)0x6b65656c6c697665) /* "keellive" */
#define FAKE_TAG_DEAD ((uint64_t)0x6b65656c64656164) /* "keeldead" */
#define FAKE_NEVER UINT64_MAX

static uint64_t live_size;
static uint64_t live_count;
static uint64_t attempt_count;
static uint64_t allowed_count = FAKE_NEVER;

static uint64_t *fake_prefix(const void *ptr) {
    ASSERT(ptr != NULL);
    uint64_t *prefix = (uint64_t *)((uintptr_t)ptr - FAKE_PREFIX_SIZE);
    ASSERT(prefix[1] == FAKE_TAG_LIVE);
    return prefix;
}

uint64_t heap_size_for(const struct heap *heap, uint64_t size) {
    (void)heap;
    ASSERT(size > 0);
    if (size <= 128) {
        return align_up(size, 8);
    }
    if (size <= HEAP_CLASS_SIZE_MAX) {
        uint64_t power = (uint64_t)1 << (63 - __builtin_clzll(size - 1));
        return align_up(size, power / 8);
    }
    return align_up(size, HEAP_PAGE_SIZE);
}

void *heap_alloc(struct heap *heap, uint64_t size) {
    ASSERT(size > 0);
    attempt_count++;
    if (allowed_count == 0) {
        return NULL;
    }
    if (allowed_count != FAKE_NEVER) {
        allowed_count--;
    }
    uint64_t usable_size = heap_size_for(heap, size);
    uint64_t *prefix = malloc((size_t)(FAKE_PREFIX_SIZE + usable_size));
    ASSERT(prefix != NULL);
    prefix[0] = usable_size;
    prefix[1] = FAKE_TAG_LIVE;
    uint8_t *ptr = (uint8_t *)prefix + FAKE_PREFIX_SIZE;
    memset(ptr, 0xa5, (size_t)usable_size); /* garbage, as a reused object would hold */
    live_size += usable_size;
    live_count++;
    return ptr;
}

void heap_free(struct heap *heap, void *ptr) {
    (void)heap;
    uint64_t *prefix = fake_prefix(ptr);
    ASSERT(live_count > 0);
    ASSERT(live_size >= prefix[0]);
    live_size -= prefix[0];
    live_count--;
    prefix[1] = FAKE_TAG_DEAD;
    free(prefix);
}

uint64_t heap_usable_size(const struct heap *heap, const void *ptr) {
    (void)heap;
    uint64_t usable_size = fake_prefix(ptr)[0];
    ASSERT(usable_size > 0);
    return usable_size;
}

void fake_heap_reset(void) {
    ASSERT(live_count == 0);
    ASSERT(live_size == 0);
    allowed_count = FAKE_NEVER;
    attempt_count = 0;
}

void fake_heap_fail_after(uint64_t allocation_count) {
    ASSERT(allocation_count != FAKE_NEVER);
    allowed_count = allocation_count;
}

void fake_heap_fail_never(void) {
    allowed_count = FAKE_NEVER;
}

uint64_t fake_heap_live_size(void) {
    return live_size;
}

uint64_t fake_heap_live_count(void) {
    return live_count;
}

uint64_t fake_heap_attempt_count(void) {
    return attempt_count;
}
