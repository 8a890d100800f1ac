/*
 * set.c: placeholder, replaced by the real implementation.
 */
#include "set.h"

void set_destroy(struct heap *heap, struct set *set) {
    (void)heap;
    (void)set;
    ASSERT(false);
}

uint64_t set_memory_size(const struct heap *heap, const struct set *set) {
    (void)heap;
    (void)set;
    ASSERT(false);
    return 0;
}

uint64_t set_length(const struct set *set) {
    (void)set;
    ASSERT(false);
    return 0;
}

const char *set_encoding_name(const struct set *set) {
    (void)set;
    ASSERT(false);
    return "";
}

struct set *set_copy(struct heap *heap, const struct set *set) {
    (void)heap;
    (void)set;
    ASSERT(false);
    return NULL;
}

void set_visit(const struct set *set, void *context, set_visit_callback visit) {
    (void)set;
    (void)context;
    (void)visit;
    ASSERT(false);
}
