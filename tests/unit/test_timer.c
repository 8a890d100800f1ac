/*
 * test_timer.c: unit tests for the deadline heap (src/timer.c).
 *
 * Hand-picked cases (order, ties, moves, cancels, the capacity) and a seeded
 * random sequence checked against a brute-force model: the nearest deadline
 * and the pop order must always agree with a linear scan.
 */
#include "timer.h"

#include <criterion/criterion.h>
#include <stdlib.h>

#define CAPACITY 64u

static uint64_t memory[CAPACITY * 2];
static struct timer_heap timers;

static void setup(void) {
    cr_assert_leq(timer_memory_size(CAPACITY), sizeof(memory));
    timer_init(&timers, memory, CAPACITY);
}

TestSuite(timer, .init = setup);

Test(timer, empty) {
    cr_assert_eq(timer_next_ms(&timers), INT64_MAX);
    cr_assert_eq(timer_pop_expired(&timers, INT64_MAX), TIMER_NONE);
    cr_assert_not(timer_active(&timers, 0));
    timer_cancel(&timers, 5); /* no deadline: nothing to do */
    cr_assert_eq(timers.count, 0);
}

Test(timer, pops_in_deadline_order) {
    int64_t deadlines[] = { 50, 10, 40, 20, 30 };
    for (uint32_t id = 0; id < 5; id++) {
        timer_set(&timers, id, deadlines[id]);
    }
    cr_assert_eq(timer_next_ms(&timers), 10);
    cr_assert_eq(timer_pop_expired(&timers, 9), TIMER_NONE);
    uint32_t expected[] = { 1, 3, 4, 2, 0 };
    for (uint32_t index = 0; index < 5; index++) {
        cr_assert_eq(timer_pop_expired(&timers, 100), expected[index]);
        cr_assert_not(timer_active(&timers, expected[index]));
    }
    cr_assert_eq(timer_pop_expired(&timers, 100), TIMER_NONE);
}

Test(timer, pop_only_what_expired) {
    timer_set(&timers, 7, 100);
    timer_set(&timers, 8, 200);
    cr_assert_eq(timer_pop_expired(&timers, 100), 7); /* a deadline equal to now has passed */
    cr_assert_eq(timer_pop_expired(&timers, 199), TIMER_NONE);
    cr_assert_eq(timer_next_ms(&timers), 200);
    cr_assert(timer_active(&timers, 8));
}

Test(timer, ties_and_moves) {
    timer_set(&timers, 1, 100);
    timer_set(&timers, 2, 100);
    timer_set(&timers, 3, 100);
    timer_set(&timers, 2, 5);    /* earlier */
    timer_set(&timers, 1, 500);  /* later */
    cr_assert_eq(timers.count, 3);
    cr_assert_eq(timer_pop_expired(&timers, 1000), 2);
    cr_assert_eq(timer_pop_expired(&timers, 1000), 3);
    cr_assert_eq(timer_pop_expired(&timers, 1000), 1);
}

Test(timer, cancel_anywhere) {
    for (uint32_t id = 0; id < 10; id++) {
        timer_set(&timers, id, 1000 - (int64_t)id * 10);
    }
    timer_cancel(&timers, 9);  /* the root */
    timer_cancel(&timers, 0);  /* a leaf */
    timer_cancel(&timers, 4);  /* the middle */
    timer_cancel(&timers, 4);  /* twice: nothing */
    cr_assert_eq(timers.count, 7);
    int64_t previous = INT64_MIN;
    for (uint32_t round = 0; round < 7; round++) {
        int64_t next = timer_next_ms(&timers);
        uint32_t id = timer_pop_expired(&timers, INT64_MAX);
        cr_assert_neq(id, TIMER_NONE);
        cr_assert(id != 9 && id != 0 && id != 4);
        cr_assert_geq(next, previous);
        previous = next;
    }
    cr_assert_eq(timers.count, 0);
}

Test(timer, full_capacity) {
    for (uint32_t id = 0; id < CAPACITY; id++) {
        timer_set(&timers, id, (int64_t)((id * 37u) % CAPACITY));
    }
    cr_assert_eq(timers.count, CAPACITY);
    for (int64_t expected = 0; expected < (int64_t)CAPACITY; expected++) {
        cr_assert_eq(timer_next_ms(&timers), expected);
        uint32_t id = timer_pop_expired(&timers, expected);
        cr_assert_eq((int64_t)((id * 37u) % CAPACITY), expected);
    }
}

/* Brute force: the earliest deadline among active ids, or INT64_MAX. */
static int64_t model_next(const bool *active, const int64_t *deadlines) {
    int64_t next = INT64_MAX;
    for (uint32_t id = 0; id < CAPACITY; id++) {
        if (active[id] && deadlines[id] < next) {
            next = deadlines[id];
        }
    }
    return next;
}

Test(timer, random_against_model) {
    bool active[CAPACITY] = { false };
    int64_t deadlines[CAPACITY] = { 0 };
    srand(20261125);
    for (uint32_t step = 0; step < 200000; step++) {
        uint32_t id = (uint32_t)rand() % CAPACITY;
        int action = rand() % 4;
        if (action <= 1) {
            deadlines[id] = rand() % 1000;
            active[id] = true;
            timer_set(&timers, id, deadlines[id]);
        } else if (action == 2) {
            active[id] = false;
            timer_cancel(&timers, id);
        } else {
            int64_t now = rand() % 1000;
            uint32_t popped = timer_pop_expired(&timers, now);
            int64_t next = model_next(active, deadlines);
            if (next > now) {
                cr_assert_eq(popped, TIMER_NONE);
            } else {
                cr_assert_neq(popped, TIMER_NONE);
                cr_assert(active[popped]);
                cr_assert_eq(deadlines[popped], next);
                active[popped] = false;
            }
        }
        cr_assert_eq(timer_next_ms(&timers), model_next(active, deadlines));
        cr_assert_eq(timer_active(&timers, id), active[id]);
    }
}
