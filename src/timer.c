/*
 * timer.c: a binary min-heap of ids keyed by deadline (see timer.h).
 *
 * Sifting is bounded by the heap's height (at most 32 levels for 2^32 ids).
 */
#include "timer.h"

#define TIMER_LEVELS_MAX 33u

uint64_t timer_memory_size(uint32_t capacity) {
    return (uint64_t)capacity * (sizeof(uint32_t) * 2 + sizeof(int64_t));
}

void timer_init(struct timer_heap *timers, void *memory, uint32_t capacity) {
    ASSERT(memory != NULL || capacity == 0);
    ASSERT(((uintptr_t)memory & 7u) == 0);
    uint8_t *bytes = memory;
    timers->deadlines_ms = (int64_t *)bytes;
    timers->heap = (uint32_t *)(bytes + (uint64_t)capacity * sizeof(int64_t));
    timers->positions = timers->heap + capacity;
    timers->capacity = capacity;
    timers->count = 0;
    for (uint32_t id = 0; id < capacity; id++) {
        timers->positions[id] = TIMER_NONE;
        timers->deadlines_ms[id] = 0;
    }
}

static int64_t timer_deadline_at(const struct timer_heap *timers, uint32_t position) {
    ASSERT(position < timers->count);
    return timers->deadlines_ms[timers->heap[position]];
}

static void timer_place(struct timer_heap *timers, uint32_t position, uint32_t id) {
    ASSERT(position < timers->count);
    ASSERT(id < timers->capacity);
    timers->heap[position] = id;
    timers->positions[id] = position;
}

/* Moves the id at `position` up while its deadline is earlier than its parent's. */
static void timer_sift_up(struct timer_heap *timers, uint32_t position) {
    uint32_t id = timers->heap[position];
    int64_t deadline = timers->deadlines_ms[id];
    for (uint32_t level = 0; level < TIMER_LEVELS_MAX && position > 0; level++) {
        uint32_t parent = (position - 1) / 2;
        if (timer_deadline_at(timers, parent) <= deadline) {
            break;
        }
        timer_place(timers, position, timers->heap[parent]);
        position = parent;
    }
    timer_place(timers, position, id);
}

/* Moves the id at `position` down while a child's deadline is earlier. */
static void timer_sift_down(struct timer_heap *timers, uint32_t position) {
    uint32_t id = timers->heap[position];
    int64_t deadline = timers->deadlines_ms[id];
    for (uint32_t level = 0; level < TIMER_LEVELS_MAX; level++) {
        uint64_t child = (uint64_t)position * 2 + 1;
        if (child >= timers->count) {
            break;
        }
        if (child + 1 < timers->count &&
            timer_deadline_at(timers, (uint32_t)child + 1) <
                timer_deadline_at(timers, (uint32_t)child)) {
            child++;
        }
        if (timer_deadline_at(timers, (uint32_t)child) >= deadline) {
            break;
        }
        timer_place(timers, position, timers->heap[child]);
        position = (uint32_t)child;
    }
    timer_place(timers, position, id);
}

void timer_set(struct timer_heap *timers, uint32_t id, int64_t deadline_ms) {
    ASSERT(id < timers->capacity);
    timers->deadlines_ms[id] = deadline_ms;
    uint32_t position = timers->positions[id];
    if (position == TIMER_NONE) {
        ASSERT(timers->count < timers->capacity);
        position = timers->count++;
        timer_place(timers, position, id);
    }
    timer_sift_up(timers, position);
    timer_sift_down(timers, timers->positions[id]);
    ASSERT(timers->heap[timers->positions[id]] == id);
}

void timer_cancel(struct timer_heap *timers, uint32_t id) {
    ASSERT(id < timers->capacity);
    uint32_t position = timers->positions[id];
    if (position == TIMER_NONE) {
        return;
    }
    ASSERT(position < timers->count);
    timers->positions[id] = TIMER_NONE;
    uint32_t last = timers->heap[--timers->count];
    if (last != id) {
        /* The last id fills the hole, then finds its place either way. */
        timer_place(timers, position, last);
        timer_sift_up(timers, position);
        timer_sift_down(timers, timers->positions[last]);
    }
    ASSERT(timers->positions[id] == TIMER_NONE);
}

bool timer_active(const struct timer_heap *timers, uint32_t id) {
    ASSERT(id < timers->capacity);
    return timers->positions[id] != TIMER_NONE;
}

int64_t timer_next_ms(const struct timer_heap *timers) {
    if (timers->count == 0) {
        return INT64_MAX;
    }
    return timer_deadline_at(timers, 0);
}

uint32_t timer_pop_expired(struct timer_heap *timers, int64_t now_ms) {
    if (timers->count == 0 || timer_deadline_at(timers, 0) > now_ms) {
        return TIMER_NONE;
    }
    uint32_t id = timers->heap[0];
    timer_cancel(timers, id);
    ASSERT(!timer_active(timers, id));
    return id;
}
