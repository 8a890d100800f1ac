/*
 * zset.h: the sorted set value type, made only of heap objects. A small sorted
 * set is one packed object ordered by (score, member) ("listpack"); past
 * zset-max-listpack-entries or zset-max-listpack-value it converts to a
 * skiplist plus a hash table from member to score ("skiplist").
 *
 * Every mutating function either completes or returns false (no room) with
 * the sorted set unchanged.
 */
#pragma once

#include "base.h"
#include "heap.h"

struct zset;

void zset_destroy(struct heap *heap, struct zset *zset);
uint64_t zset_memory_size(const struct heap *heap, const struct zset *zset);
uint64_t zset_length(const struct zset *zset);
const char *zset_encoding_name(const struct zset *zset);

/* A deep copy (COPY), or NULL when the heap has no room. */
struct zset *zset_copy(struct heap *heap, const struct zset *zset);

/* Visits members in score order (reverse: highest first); stops when visit returns false. */
typedef bool (*zset_visit_callback)(void *context, struct slice member, double score);
void zset_visit(const struct zset *zset, bool reverse, void *context, zset_visit_callback visit);
