/*
 * set.h: the set value type, made only of heap objects. Small all-integer sets
 * are a sorted integer array ("intset"), other small sets one packed object
 * ("listpack"), large ones a hash table ("hashtable"); thresholds come from
 * set-max-intset-entries, set-max-listpack-entries and set-max-listpack-value.
 *
 * Every mutating function either completes or returns false (no room) with
 * the set unchanged.
 */
#pragma once

#include "base.h"
#include "heap.h"

struct set;

void set_destroy(struct heap *heap, struct set *set);
uint64_t set_memory_size(const struct heap *heap, const struct set *set);
uint64_t set_length(const struct set *set);
const char *set_encoding_name(const struct set *set);

/* A deep copy (COPY), or NULL when the heap has no room. */
struct set *set_copy(struct heap *heap, const struct set *set);

/* Visits every member (integers formatted as decimal); stops when visit returns false. */
typedef bool (*set_visit_callback)(void *context, struct slice member);
void set_visit(const struct set *set, void *context, set_visit_callback visit);
