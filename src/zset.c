/*
 * zset.c: placeholder, replaced by the real implementation.
 */
#include "zset.h"

void zset_destroy(struct heap *heap, struct zset *zset) {
    (void)heap;
    (void)zset;
    ASSERT(false);
}

uint64_t zset_memory_size(const struct heap *heap, const struct zset *zset) {
    (void)heap;
    (void)zset;
    ASSERT(false);
    return 0;
}

uint64_t zset_length(const struct zset *zset) {
    (void)zset;
    ASSERT(false);
    return 0;
}

const char *zset_encoding_name(const struct zset *zset) {
    (void)zset;
    ASSERT(false);
    return "";
}

struct zset *zset_copy(struct heap *heap, const struct zset *zset) {
    (void)heap;
    (void)zset;
    ASSERT(false);
    return NULL;
}

void zset_visit(const struct zset *zset, bool reverse, void *context, zset_visit_callback visit) {
    (void)zset;
    (void)reverse;
    (void)context;
    (void)visit;
    ASSERT(false);
}
