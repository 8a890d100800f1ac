/*
 * hash.h: the hash value type, made only of heap objects. A small hash is one
 * packed object (reported as "listpack"); past hash-max-listpack-entries or
 * hash-max-listpack-value it converts to a hash table ("hashtable").
 *
 * Every mutating function either completes or returns false (no room) with
 * the hash unchanged. Slices returned point into the hash and stay valid until
 * its next mutation.
 */
#pragma once

#include "base.h"
#include "heap.h"

struct hash;

void hash_destroy(struct heap *heap, struct hash *hash);
uint64_t hash_memory_size(const struct heap *heap, const struct hash *hash);
uint64_t hash_length(const struct hash *hash);
const char *hash_encoding_name(const struct hash *hash);

/* A deep copy (COPY), or NULL when the heap has no room. */
struct hash *hash_copy(struct heap *heap, const struct hash *hash);

/* The value of a field; false when absent. */
bool hash_get(const struct hash *hash, struct slice field, struct slice *value);

/* Visits every field and value; stops early when visit returns false. */
typedef bool (*hash_visit_callback)(void *context, struct slice field, struct slice value);
void hash_visit(const struct hash *hash, void *context, hash_visit_callback visit);
