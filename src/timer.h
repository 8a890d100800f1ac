/*
 * timer.h: deadlines for a fixed set of ids (a binary min-heap).
 *
 * The event loop needs one deadline per blocked client; ids are client slot
 * indexes, so the capacity is maxclients and every array is sized once from
 * the plan. The heap holds ids ordered by deadline; positions[id] says where
 * an id sits (TIMER_NONE when it has no deadline), so setting, cancelling and
 * popping are O(log n) and finding the nearest deadline is O(1).
 *
 * Invariants: count <= capacity; for every held id, heap[positions[id]] == id;
 * a parent's deadline is never later than its children's.
 */
#pragma once

#include "base.h"

#define TIMER_NONE UINT32_MAX

struct timer_heap {
    uint32_t *heap;          /* capacity ids, the first `count` in heap order */
    uint32_t *positions;     /* capacity positions, by id */
    int64_t *deadlines_ms;   /* capacity deadlines, by id */
    uint32_t capacity;
    uint32_t count;
};

/* Bytes timer_init needs for `capacity` ids (for the plan). */
uint64_t timer_memory_size(uint32_t capacity);

/* Carves the arrays from `memory` (timer_memory_size bytes, 8-byte aligned). */
void timer_init(struct timer_heap *timers, void *memory, uint32_t capacity);

/* Sets (or moves) the deadline of `id`. */
void timer_set(struct timer_heap *timers, uint32_t id, int64_t deadline_ms);

/* Removes the deadline of `id`, if it has one. */
void timer_cancel(struct timer_heap *timers, uint32_t id);

/* True when `id` has a deadline. */
bool timer_active(const struct timer_heap *timers, uint32_t id);

/* The nearest deadline, or INT64_MAX when none is set. */
int64_t timer_next_ms(const struct timer_heap *timers);

/* Removes and returns an id whose deadline is <= now_ms (the earliest), or TIMER_NONE. */
uint32_t timer_pop_expired(struct timer_heap *timers, int64_t now_ms);
