/*
 * hash.c: placeholder, replaced by the real implementation.
 */
#include "hash.h"

void hash_destroy(struct heap *heap, struct hash *hash) {
    (void)heap;
    (void)hash;
    ASSERT(false);
}

uint64_t hash_memory_size(const struct heap *heap, const struct hash *hash) {
    (void)heap;
    (void)hash;
    ASSERT(false);
    return 0;
}

uint64_t hash_length(const struct hash *hash) {
    (void)hash;
    ASSERT(false);
    return 0;
}

const char *hash_encoding_name(const struct hash *hash) {
    (void)hash;
    ASSERT(false);
    return "";
}

struct hash *hash_copy(struct heap *heap, const struct hash *hash) {
    (void)heap;
    (void)hash;
    ASSERT(false);
    return NULL;
}

bool hash_get(const struct hash *hash, struct slice field, struct slice *value) {
    (void)hash;
    (void)field;
    (void)value;
    ASSERT(false);
    return false;
}

void hash_visit(const struct hash *hash, void *context, hash_visit_callback visit) {
    (void)hash;
    (void)context;
    (void)visit;
    ASSERT(false);
}
