/*
 * fake_heap.h: a stand-in for src/heap.c in unit tests, over the C library's
 * allocator. It rounds sizes to classes spaced at most 12.5% apart (pages of
 * HEAP_PAGE_SIZE above HEAP_CLASS_SIZE_MAX) as the real heap does, counts live
 * objects and bytes, and can be told to fail after a number of allocations so
 * that tests reach every "heap is full" path.
 */
#pragma once

#include "heap.h"

/* Forgets the failure setting and checks that nothing is live. */
void fake_heap_reset(void);

/* The next allocation_count allocations succeed, the ones after return NULL. */
void fake_heap_fail_after(uint64_t allocation_count);

/* Every allocation succeeds again. */
void fake_heap_fail_never(void);

/* Sum of the usable sizes of live objects. */
uint64_t fake_heap_live_size(void);

uint64_t fake_heap_live_count(void);

/* Allocations attempted since the last reset, including refused ones. */
uint64_t fake_heap_attempt_count(void);
