/*
 * arena.h: the one reservation. At startup keel computes its memory plan,
 * reserves the plan's total with a single mmap, carves every pool out of it
 * with arena_take, and seals the arena before the first client is accepted.
 * After arena_seal any arena_take aborts, and the C library allocator is
 * watched: a malloc/calloc/realloc/free made after the seal is counted
 * (arena_allocations_after_seal) and logged once to stderr.
 *
 * Pages are touched lazily unless lock_memory is set, in which case the whole
 * reservation is prefaulted and mlocked.
 */
#pragma once

#include "base.h"

struct arena {
    uint8_t *base;
    uint64_t size;       /* bytes reserved */
    uint64_t used_size;  /* bytes handed out by arena_take */
    bool sealed;
    bool locked;
};

/* Reserves `size` bytes. False (with errno set) if the kernel refuses. */
bool arena_reserve(struct arena *arena, uint64_t size, bool lock_memory);

/* Carves `size` bytes aligned to `alignment` (a power of two). Aborts past the reservation. */
void *arena_take(struct arena *arena, uint64_t size, uint64_t alignment);

/* Forbids every later arena_take and arms the allocation watch. */
void arena_seal(struct arena *arena);

/* Number of C library allocator calls seen after the seal (should stay 0). */
uint64_t arena_allocations_after_seal(void);
