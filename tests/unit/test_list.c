/*
 * test_list.c: unit tests for the list value type (src/list.c).
 *
 * Built against tests/unit/fake_heap.c by default, which counts live bytes and
 * can refuse allocations, so every "heap is full" path is reached and checked to
 * leave the list unchanged. Built with -DLIST_TEST_REAL_HEAP it runs against
 * src/heap.c instead (the failure-injection tests are left out).
 *
 * Elements are "kinds": a kind is a size and a byte pattern, so the reference
 * model (an array of kinds) needs no copies of the bytes. Two kinds share a size
 * with different bytes, so equality is checked on content.
 */
#ifdef LIST_TEST_REAL_HEAP
#define _DEFAULT_SOURCE
#endif
#include "list.h"

#include <criterion/criterion.h>

#ifdef LIST_TEST_REAL_HEAP
#include "heap_mapping.h"
#else
#include "fake_heap.h"
#endif

#define MODEL_LENGTH_MAX 200000u
#define VALUE_SIZE_MAX ((uint32_t)(3 * MIB))
#define NODE_ENTRIES_SIZE (LIST_NODE_SIZE_MAX - LIST_NODE_HEADER_SIZE)

static struct heap heap;
static uint8_t value_buffer[VALUE_SIZE_MAX];
static uint8_t model[MODEL_LENGTH_MAX];
static uint64_t model_length;

/* ==== Heap setup: the fake heap, or the real one over an anonymous mapping ==== */

#ifdef LIST_TEST_REAL_HEAP
#define TEST_PAGE_COUNT 8192u
static struct heap_mapping mapping;

static void heap_setup(void) {
    heap_mapping_init(&mapping, &heap, TEST_PAGE_COUNT);
}

static void heap_teardown(void) {
    cr_assert_eq(heap.used_size, 0);
    cr_assert_eq(heap.object_count, 0);
    heap_verify(&heap);
    heap_mapping_release(&mapping);
}

static uint64_t live_size(void) {
    return heap.used_size;
}
#else
static void heap_setup(void) {
    fake_heap_reset();
}

static void heap_teardown(void) {
    cr_assert_eq(fake_heap_live_size(), 0);
    cr_assert_eq(fake_heap_live_count(), 0);
    fake_heap_reset();
}

static uint64_t live_size(void) {
    return fake_heap_live_size();
}
#endif

static void setup(void) {
    model_length = 0;
    heap_setup();
}

static void teardown(void) {
    heap_teardown();
}

TestSuite(list, .init = setup, .fini = teardown);

/* ==== Values ==== */

static uint64_t xorshift(uint64_t *state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

static uint8_t pattern_byte(uint32_t seed, uint32_t index) {
    return (uint8_t)(seed * 37u + index * 11u + (index >> 8) + (index >> 16));
}

/* A value of size bytes in value_buffer, its bytes drawn from seed. */
static struct slice pattern_value(uint32_t size, uint32_t seed) {
    cr_assert(size <= VALUE_SIZE_MAX);
    for (uint32_t index = 0; index < size; index++) {
        value_buffer[index] = pattern_byte(seed, index);
    }
    return (struct slice){ .ptr = value_buffer, .size = size };
}

static bool pattern_matches(struct slice value, uint32_t size, uint32_t seed) {
    if (value.size != size) {
        return false;
    }
    for (uint32_t index = 0; index < size; index++) {
        if (value.ptr[index] != pattern_byte(seed, index)) {
            return false;
        }
    }
    return true;
}

/*
 * Kinds 0..KIND_SMALL_COUNT-1 are small, then medium (up to a full node), then
 * large (a node of their own). Kinds 3 and 4 have the same size.
 */
static const uint32_t kind_sizes[] = {
    0,    1,    2,    5,    5,    8,    13,   21,   34,   55,    89,    126,   127,   128,
    129,  200,  300,  1000, 2000, 3000, 4000, 5000, 6000, 7000,  8000,  8160,  8163,  8164,
    8165, 8166, 9000, 12000, 16383, 16384, 70000,
};
#define KIND_COUNT ((uint32_t)ARRAY_COUNT(kind_sizes))
#define KIND_SMALL_COUNT 17u
#define KIND_MEDIUM_END 28u

static struct slice kind_value(uint32_t kind) {
    cr_assert(kind < KIND_COUNT);
    return pattern_value(kind_sizes[kind], kind + 1);
}

static bool kind_matches(struct slice value, uint32_t kind) {
    return pattern_matches(value, kind_sizes[kind], kind + 1);
}

/* Mostly small kinds, some medium, a few large. */
static uint8_t random_kind(uint64_t *state) {
    uint64_t roll = xorshift(state) % 100;
    if (roll < 85) {
        return (uint8_t)(xorshift(state) % KIND_SMALL_COUNT);
    }
    if (roll < 97) {
        return (uint8_t)(KIND_SMALL_COUNT + xorshift(state) % (KIND_MEDIUM_END - KIND_SMALL_COUNT));
    }
    return (uint8_t)(KIND_MEDIUM_END + xorshift(state) % (KIND_COUNT - KIND_MEDIUM_END));
}

/* ==== The reference model ==== */

static void model_insert(uint64_t index, uint8_t kind) {
    cr_assert(index <= model_length);
    cr_assert(model_length < MODEL_LENGTH_MAX);
    memmove(model + index + 1, model + index, model_length - index);
    model[index] = kind;
    model_length++;
}

static void model_delete(uint64_t index, uint64_t count) {
    cr_assert(index + count <= model_length);
    memmove(model + index, model + index + count, model_length - index - count);
    model_length -= count;
}

/* LREM on the model. Kinds are distinct values, so equal kinds mean equal bytes. */
static uint64_t model_remove(uint8_t kind, int64_t count) {
    uint64_t removed = 0;
    uint64_t limit = count == 0 ? UINT64_MAX : count < 0 ? 0 - (uint64_t)count : (uint64_t)count;
    uint64_t length = model_length;
    uint64_t index = count < 0 ? length : 0;
    for (uint64_t step = 0; step < length && removed < limit; step++) {
        if (count < 0) {
            index--;
            if (model[index] == kind) {
                model_delete(index, 1);
                removed++;
            }
        } else if (model[index] == kind) {
            model_delete(index, 1);
            removed++;
        } else {
            index++;
        }
    }
    return removed;
}

/* The list holds exactly the model's elements, and is consistent. */
static void model_check(const struct list *list) {
    list_verify(&heap, list);
    cr_assert_eq(list_length(list), model_length);
    struct list_iterator iterator;
    list_iterator_init(&iterator, list, 0, false);
    struct slice value;
    for (uint64_t index = 0; index < model_length; index++) {
        cr_assert(list_iterator_next(&iterator, &value));
        cr_assert(kind_matches(value, model[index]), "element %lu", (unsigned long)index);
    }
    cr_assert_not(list_iterator_next(&iterator, &value));
    cr_assert_eq(list_memory_size(&heap, list), live_size());
}

static struct list *model_list_create(void) {
    struct list *list = list_create(&heap);
    cr_assert(list != NULL);
    model_length = 0;
    return list;
}

/* ==== Operations, applied to a list and to the model ==== */

enum op_type {
    OP_PUSH,
    OP_POP,
    OP_INSERT,
    OP_SET,
    OP_SELF_MOVE,   /* LMOVE from the list to itself: peek, push, pop */
    OP_SELF_SET,    /* LSET with another element of the list */
    OP_SELF_INSERT, /* LINSERT of another element of the list */
    OP_REMOVE,
    OP_DELETE_RANGE,
    OP_TRIM,
    OP_INDEX,
};

struct op {
    enum op_type type;
    enum list_end end;
    enum list_end other_end;
    uint64_t index;
    uint64_t other_index; /* source element, or count for ranges */
    uint8_t kind;
    int64_t count;
};

/* Applies op to the list only. False when the heap refused. */
static bool op_apply_list(struct list *list, const struct op *op) {
    switch (op->type) {
    case OP_PUSH:
        return list_push(&heap, list, op->end, kind_value(op->kind));
    case OP_POP:
        list_pop(&heap, list, op->end);
        return true;
    case OP_INSERT:
        return list_insert(&heap, list, op->index, kind_value(op->kind));
    case OP_SET:
        return list_set(&heap, list, op->index, kind_value(op->kind));
    case OP_SELF_MOVE:
        if (!list_push(&heap, list, op->other_end, list_peek(list, op->end))) {
            return false;
        }
        list_pop(&heap, list, op->end);
        return true;
    case OP_SELF_SET:
        return list_set(&heap, list, op->index, list_index(list, op->other_index));
    case OP_SELF_INSERT:
        return list_insert(&heap, list, op->index, list_index(list, op->other_index));
    case OP_REMOVE: {
        uint64_t expected = model_remove(op->kind, op->count);
        cr_assert_eq(list_remove(&heap, list, kind_value(op->kind), op->count), expected);
        return true;
    }
    case OP_DELETE_RANGE:
        list_delete_range(&heap, list, op->index, op->other_index);
        return true;
    case OP_TRIM:
        list_trim(&heap, list, op->index, op->other_index);
        return true;
    case OP_INDEX:
        cr_assert(kind_matches(list_index(list, op->index), model[op->index]));
        return true;
    }
    cr_assert_fail("unknown op");
    return false;
}

/* Applies a successful op to the model (OP_REMOVE already changed it). */
static void op_apply_model(const struct op *op) {
    uint8_t kind = op->kind;
    switch (op->type) {
    case OP_PUSH:
        model_insert(op->end == LIST_HEAD ? 0 : model_length, kind);
        break;
    case OP_POP:
        model_delete(op->end == LIST_HEAD ? 0 : model_length - 1, 1);
        break;
    case OP_SELF_MOVE:
        kind = model[op->end == LIST_HEAD ? 0 : model_length - 1];
        model_insert(op->other_end == LIST_HEAD ? 0 : model_length, kind);
        model_delete(op->end == LIST_HEAD ? 0 : model_length - 1, 1);
        break;
    case OP_SELF_SET:
        model[op->index] = model[op->other_index];
        break;
    case OP_SET:
        model[op->index] = kind;
        break;
    case OP_SELF_INSERT:
        kind = model[op->other_index];
        model_insert(op->index, kind);
        break;
    case OP_INSERT:
        model_insert(op->index, kind);
        break;
    case OP_DELETE_RANGE:
        model_delete(op->index, op->other_index);
        break;
    case OP_TRIM:
        model_delete(op->index + op->other_index, model_length - op->index - op->other_index);
        model_delete(0, op->index);
        break;
    case OP_REMOVE:
    case OP_INDEX:
        break;
    }
}

static uint64_t random_below(uint64_t *state, uint64_t bound) {
    cr_assert(bound > 0);
    return xorshift(state) % bound;
}

/* A random op valid for the model's current length; pops win past length_max. */
static struct op op_random(uint64_t *state, uint64_t length_max) {
    uint64_t length = model_length;
    uint64_t roll = random_below(state, 100);
    struct op op = { .type = OP_PUSH,
                     .end = (enum list_end)random_below(state, 2),
                     .other_end = (enum list_end)random_below(state, 2),
                     .kind = random_kind(state) };
    if (length == 0) {
        op.type = roll < 50 ? OP_PUSH : OP_INSERT;
        return op;
    }
    op.index = random_below(state, length);
    op.other_index = random_below(state, length);
    if (length >= length_max && roll < 35) {
        roll += 35;
    }
    if (roll < 30) {
        op.type = OP_PUSH;
    } else if (roll < 40) {
        op.type = OP_INSERT;
        op.index = random_below(state, length + 1);
    } else if (roll < 60) {
        op.type = OP_POP;
    } else if (roll < 68) {
        op.type = OP_SET;
    } else if (roll < 73) {
        op.type = OP_SELF_MOVE;
    } else if (roll < 76) {
        op.type = OP_SELF_SET;
    } else if (roll < 79) {
        op.type = OP_SELF_INSERT;
        op.index = random_below(state, length + 1);
    } else if (roll < 85) {
        op.type = OP_REMOVE;
        op.kind = (uint8_t)random_below(state, KIND_SMALL_COUNT);
        op.count = (int64_t)random_below(state, 7) - 3;
    } else if (roll < 88) {
        op.type = OP_DELETE_RANGE;
        op.other_index = random_below(state, MIN(length - op.index, 60) + 1);
    } else if (roll < 89) {
        op.type = OP_TRIM;
        op.index = random_below(state, MIN(length, 30) + 1);
        op.other_index = length - op.index - random_below(state, MIN(length - op.index, 30) + 1);
    } else {
        op.type = OP_INDEX;
    }
    return op;
}

/* The head and tail of the list agree with the model (a cheap check for every op). */
static void ends_check(const struct list *list) {
    cr_assert_eq(list_length(list), model_length);
    if (model_length > 0) {
        cr_assert(kind_matches(list_peek(list, LIST_HEAD), model[0]));
        cr_assert(kind_matches(list_peek(list, LIST_TAIL), model[model_length - 1]));
    }
}

/* ==== Tests: basics ==== */

Test(list, create_destroy_empty) {
    struct list *list = list_create(&heap);
    cr_assert(list != NULL);
    list_verify(&heap, list);
    cr_assert_eq(list_length(list), 0);
    cr_assert_eq(list_node_count(list), 0);
    cr_assert_eq(list_memory_size(&heap, list), live_size());
    struct list_iterator iterator;
    struct slice value;
    list_iterator_init(&iterator, list, 0, false);
    cr_assert_not(list_iterator_next(&iterator, &value));
    list_iterator_init(&iterator, list, 0, true);
    cr_assert_not(list_iterator_next(&iterator, &value));
    list_destroy(&heap, list);
    cr_assert_eq(live_size(), 0);
}

Test(list, push_peek_pop_order) {
    struct list *list = model_list_create();
    for (uint8_t kind = 0; kind < KIND_SMALL_COUNT; kind++) {
        cr_assert(list_push(&heap, list, kind % 2 ? LIST_HEAD : LIST_TAIL, kind_value(kind)));
        model_insert(kind % 2 ? 0 : model_length, kind);
        ends_check(list);
    }
    model_check(list);
    cr_assert_eq(list_node_count(list), 1);
    for (uint32_t step = 0; step < KIND_SMALL_COUNT; step++) {
        enum list_end end = step % 3 ? LIST_HEAD : LIST_TAIL;
        list_pop(&heap, list, end);
        model_delete(end == LIST_HEAD ? 0 : model_length - 1, 1);
        model_check(list);
    }
    cr_assert_eq(list_node_count(list), 0);
    list_destroy(&heap, list);
}

/* Sizes at the varint boundaries, the node boundaries and beyond. */
static const uint32_t edge_sizes[] = {
    0,
    1,
    127,
    128,
    16383,
    16384,
    NODE_ENTRIES_SIZE - 4 - 1, /* entry size: one byte short of a fresh node */
    NODE_ENTRIES_SIZE - 4,     /* exactly a fresh node */
    NODE_ENTRIES_SIZE - 4 + 1, /* one byte over: a node of its own */
    LIST_NODE_SIZE_MAX - LIST_NODE_HEADER_SIZE - 1,
    LIST_NODE_SIZE_MAX - LIST_NODE_HEADER_SIZE,
    LIST_NODE_SIZE_MAX - LIST_NODE_HEADER_SIZE + 1,
    2097151, /* the last 3-byte varint */
    2097152,
    (uint32_t)MIB,
};

Test(list, push_pop_edge_sizes_every_end) {
    for (uint32_t size_index = 0; size_index < ARRAY_COUNT(edge_sizes); size_index++) {
        uint32_t size = edge_sizes[size_index];
        for (uint32_t combination = 0; combination < 8; combination++) {
            enum list_end push_end = (enum list_end)(combination & 1);
            enum list_end pop_end = (enum list_end)((combination >> 1) & 1);
            bool neighbours = (combination & 4) != 0;
            struct list *list = list_create(&heap);
            cr_assert(list != NULL);
            if (neighbours) {
                cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(3, 1)));
                cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(3000, 2)));
            }
            cr_assert(list_push(&heap, list, push_end, pattern_value(size, size_index + 7)));
            list_verify(&heap, list);
            cr_assert(pattern_matches(list_peek(list, push_end), size, size_index + 7));
            cr_assert_eq(list_memory_size(&heap, list), live_size());
            uint64_t length = list_length(list);
            for (uint64_t step = 0; step < length; step++) {
                list_pop(&heap, list, pop_end);
                list_verify(&heap, list);
            }
            cr_assert_eq(list_length(list), 0);
            list_destroy(&heap, list);
            cr_assert_eq(live_size(), 0);
        }
    }
}

Test(list, edge_sizes_in_order) {
    struct list *list = list_create(&heap);
    for (uint32_t round = 0; round < 2; round++) {
        for (uint32_t size_index = 0; size_index < ARRAY_COUNT(edge_sizes); size_index++) {
            enum list_end end = round == 0 ? LIST_TAIL : LIST_HEAD;
            cr_assert(list_push(&heap, list, end, pattern_value(edge_sizes[size_index],
                                                                 size_index)));
        }
    }
    list_verify(&heap, list);
    uint32_t count = (uint32_t)ARRAY_COUNT(edge_sizes);
    cr_assert_eq(list_length(list), 2 * count);
    struct list_iterator iterator;
    struct slice value;
    list_iterator_init(&iterator, list, 0, false);
    for (uint32_t step = 0; step < 2 * count; step++) {
        uint32_t size_index = step < count ? count - 1 - step : step - count;
        cr_assert(list_iterator_next(&iterator, &value));
        cr_assert(pattern_matches(value, edge_sizes[size_index], size_index));
    }
    cr_assert_not(list_iterator_next(&iterator, &value));
    for (uint32_t step = 0; step < 2 * count; step++) {
        uint32_t size_index = step < count ? count - 1 - step : step - count;
        cr_assert(pattern_matches(list_peek(list, LIST_HEAD), edge_sizes[size_index],
                                  size_index));
        list_pop(&heap, list, LIST_HEAD);
    }
    list_destroy(&heap, list);
}

/* ==== Tests: node boundaries and memory ==== */

Test(list, element_filling_a_node_exactly) {
    struct list *list = list_create(&heap);
    uint64_t header_size = list_memory_size(&heap, list);
    uint32_t size = NODE_ENTRIES_SIZE - 4; /* entry: 2 + size + 2 */
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(size, 1)));
    cr_assert_eq(list_node_count(list), 1);
    cr_assert_eq(list_memory_size(&heap, list),
                 header_size + heap_size_for(&heap, LIST_NODE_SIZE_MAX));
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(0, 2)));
    cr_assert_eq(list_node_count(list), 2);
    cr_assert(list_push(&heap, list, LIST_HEAD, pattern_value(0, 3)));
    cr_assert_eq(list_node_count(list), 3);
    list_verify(&heap, list);
    list_destroy(&heap, list);
}

Test(list, two_entries_filling_a_node_exactly) {
    struct list *list = list_create(&heap);
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(8160, 1))); /* entry 8164 */
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(2, 2)));    /* entry 4 */
    cr_assert_eq(list_node_count(list), 1);
    cr_assert(list_push(&heap, list, LIST_HEAD, pattern_value(0, 3)));
    cr_assert_eq(list_node_count(list), 2);
    list_pop(&heap, list, LIST_HEAD);
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(0, 3)));
    cr_assert_eq(list_node_count(list), 2);
    list_verify(&heap, list);
    list_destroy(&heap, list);
}

Test(list, element_one_byte_over_gets_its_own_node) {
    struct list *list = list_create(&heap);
    uint64_t header_size = list_memory_size(&heap, list);
    uint32_t size = NODE_ENTRIES_SIZE - 4 + 1;
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(size, 1)));
    cr_assert_eq(list_memory_size(&heap, list),
                 header_size +
                     heap_size_for(&heap, LIST_NODE_HEADER_SIZE + (uint64_t)size + 4));
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(1, 2)));
    cr_assert(list_push(&heap, list, LIST_HEAD, pattern_value(1, 3)));
    cr_assert_eq(list_node_count(list), 3);
    cr_assert(list_push(&heap, list, LIST_HEAD, pattern_value(size, 4)));
    cr_assert_eq(list_node_count(list), 4);
    list_verify(&heap, list);
    list_destroy(&heap, list);
}

Test(list, entry_one_byte_short_then_small_push_starts_a_node) {
    struct list *list = list_create(&heap);
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(NODE_ENTRIES_SIZE - 5, 1)));
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(0, 2))); /* entry 2: 1 over */
    cr_assert_eq(list_node_count(list), 2);
    list_verify(&heap, list);
    list_destroy(&heap, list);
}

Test(list, one_mebibyte_element) {
    struct list *list = model_list_create();
    uint32_t size = (uint32_t)MIB;
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(10, 1)));
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(size, 2)));
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(10, 3)));
    cr_assert_eq(list_node_count(list), 3);
    cr_assert(list_memory_size(&heap, list) >= MIB + LIST_NODE_HEADER_SIZE + 6);
    cr_assert(pattern_matches(list_index(list, 1), size, 2));
    cr_assert(list_set(&heap, list, 1, pattern_value(5, 4)));
    cr_assert(list_memory_size(&heap, list) < 4 * KIB);
    cr_assert(pattern_matches(list_index(list, 1), 5, 4));
    cr_assert(list_set(&heap, list, 1, pattern_value(size, 5)));
    cr_assert(pattern_matches(list_index(list, 1), size, 5));
    list_verify(&heap, list);
    list_pop(&heap, list, LIST_HEAD);
    cr_assert(pattern_matches(list_peek(list, LIST_HEAD), size, 5));
    list_pop(&heap, list, LIST_HEAD);
    cr_assert(list_memory_size(&heap, list) < 4 * KIB);
    list_verify(&heap, list);
    list_destroy(&heap, list);
}

/* The first size with a five-byte varint; the bytes are an untouched (zero) array. */
#define FIVE_BYTE_SIZE ((uint32_t)1 << 28)
static uint8_t zeros[FIVE_BYTE_SIZE];

Test(list, five_byte_varint_element) {
    struct list *list = list_create(&heap);
    struct slice value = { .ptr = zeros, .size = FIVE_BYTE_SIZE };
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(1, 1)));
    cr_assert(list_push(&heap, list, LIST_HEAD, value));
    cr_assert(list_push(&heap, list, LIST_HEAD, pattern_value(1, 2)));
    list_verify(&heap, list);
    struct slice peeked = list_index(list, 1);
    cr_assert_eq(peeked.size, FIVE_BYTE_SIZE);
    cr_assert_eq(memcmp(peeked.ptr, zeros, FIVE_BYTE_SIZE), 0);
    cr_assert(list_memory_size(&heap, list) > FIVE_BYTE_SIZE + 10);
    list_pop(&heap, list, LIST_HEAD);
    list_pop(&heap, list, LIST_HEAD);
    cr_assert(pattern_matches(list_peek(list, LIST_HEAD), 1, 1));
    list_destroy(&heap, list);
}

Test(list, memory_returns_to_zero_after_destroy) {
    uint64_t state = 11;
    struct list *list = model_list_create();
    for (uint32_t step = 0; step < 5000; step++) {
        uint8_t kind = random_kind(&state);
        enum list_end end = (enum list_end)(step % 2);
        cr_assert(list_push(&heap, list, end, kind_value(kind)));
        model_insert(end == LIST_HEAD ? 0 : model_length, kind);
    }
    model_check(list);
    cr_assert(list_node_count(list) > 100);
    cr_assert(live_size() > 0);
    list_destroy(&heap, list);
    cr_assert_eq(live_size(), 0);
}

Test(list, nodes_shrink_as_elements_leave) {
    struct list *list = list_create(&heap);
    for (uint32_t step = 0; step < 700; step++) {
        cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(8, step)));
    }
    cr_assert_eq(list_node_count(list), 1);
    uint64_t full_size = list_memory_size(&heap, list);
    for (uint32_t step = 0; step < 690; step++) {
        list_pop(&heap, list, step % 2 ? LIST_HEAD : LIST_TAIL);
    }
    list_verify(&heap, list);
    cr_assert(list_memory_size(&heap, list) * 8 < full_size);
    cr_assert_eq(list_memory_size(&heap, list), live_size());
    list_destroy(&heap, list);
}

/* ==== Tests: random access ==== */

/* A multi-node list of length elements of the kinds chosen by seed. */
static struct list *model_list_build(uint64_t seed, uint64_t length) {
    uint64_t state = seed;
    struct list *list = model_list_create();
    for (uint64_t step = 0; step < length; step++) {
        uint8_t kind = random_kind(&state);
        cr_assert(list_push(&heap, list, LIST_TAIL, kind_value(kind)));
        model_insert(model_length, kind);
    }
    model_check(list);
    return list;
}

Test(list, iterate_from_every_index_both_ways) {
    struct list *list = model_list_build(5, 900);
    cr_assert(list_node_count(list) > 20);
    struct list_iterator iterator;
    struct slice value;
    for (uint64_t start = 0; start <= model_length + 1; start++) {
        list_iterator_init(&iterator, list, start, false);
        for (uint64_t index = start; index < model_length; index++) {
            cr_assert(list_iterator_next(&iterator, &value));
            cr_assert(kind_matches(value, model[index]));
        }
        cr_assert_not(list_iterator_next(&iterator, &value));
        list_iterator_init(&iterator, list, start, true);
        for (uint64_t count = start < model_length ? start + 1 : 0; count > 0; count--) {
            cr_assert(list_iterator_next(&iterator, &value));
            cr_assert(kind_matches(value, model[count - 1]));
        }
        cr_assert_not(list_iterator_next(&iterator, &value));
    }
    list_destroy(&heap, list);
}

Test(list, index_every_position) {
    struct list *list = model_list_build(6, 1500);
    for (uint64_t index = 0; index < model_length; index++) {
        cr_assert(kind_matches(list_index(list, index), model[index]));
    }
    list_destroy(&heap, list);
}

Test(list, set_every_position_to_every_size_class) {
    static const uint8_t kinds[] = { 0, 3, 4, 16, 20, 27, 28, 31, 34 };
    struct list *list = model_list_build(7, 120);
    for (uint64_t index = 0; index < model_length; index++) {
        uint8_t kind = kinds[index % ARRAY_COUNT(kinds)];
        cr_assert(list_set(&heap, list, index, kind_value(kind)));
        model[index] = kind;
        model_check(list);
    }
    list_destroy(&heap, list);
}

Test(list, insert_at_every_position_splits_full_nodes) {
    static const uint8_t kinds[] = { 1, 14, 19, 24, 27, 29, 34 };
    for (uint32_t kind_index = 0; kind_index < ARRAY_COUNT(kinds); kind_index++) {
        struct list *list = model_list_build(8, 60);
        uint64_t length = model_length;
        for (uint64_t index = 0; index <= length; index++) {
            uint64_t position = index * 2; /* before the original element index */
            cr_assert(list_insert(&heap, list, position, kind_value(kinds[kind_index])));
            model_insert(position, kinds[kind_index]);
            model_check(list);
        }
        list_destroy(&heap, list);
    }
}

Test(list, remove_counts_as_lrem) {
    struct list *list = model_list_create();
    static const uint8_t kinds[] = { 3, 4, 3, 5, 3, 3, 4, 3 }; /* 3 and 4: same size */
    for (uint32_t round = 0; round < 3; round++) {
        for (uint32_t index = 0; index < ARRAY_COUNT(kinds); index++) {
            cr_assert(list_push(&heap, list, LIST_TAIL, kind_value(kinds[index])));
            model_insert(model_length, kinds[index]);
        }
    }
    cr_assert_eq(list_remove(&heap, list, kind_value(3), 2), 2);
    cr_assert_eq(model_remove(3, 2), 2);
    model_check(list);
    cr_assert_eq(list_remove(&heap, list, kind_value(3), -3), 3);
    cr_assert_eq(model_remove(3, -3), 3);
    model_check(list);
    cr_assert_eq(list_remove(&heap, list, kind_value(6), 0), 0);
    cr_assert_eq(list_remove(&heap, list, kind_value(4), INT64_MIN), 6);
    cr_assert_eq(model_remove(4, 0), 6);
    model_check(list);
    cr_assert_eq(list_remove(&heap, list, kind_value(3), 0), 10);
    cr_assert_eq(model_remove(3, 0), 10);
    model_check(list);
    cr_assert_eq(list_remove(&heap, list, kind_value(5), 1), 1);
    cr_assert_eq(list_remove(&heap, list, kind_value(5), -100), 2);
    cr_assert_eq(list_length(list), 0);
    cr_assert_eq(list_node_count(list), 0);
    list_destroy(&heap, list);
}

Test(list, remove_merges_sparse_nodes) {
    struct list *list = model_list_create();
    for (uint32_t step = 0; step < 4000; step++) {
        uint8_t kind = step % 2 ? 16 : 15; /* 300 and 200 bytes */
        cr_assert(list_push(&heap, list, LIST_TAIL, kind_value(kind)));
        model_insert(model_length, kind);
    }
    uint64_t node_count = list_node_count(list);
    cr_assert_eq(list_remove(&heap, list, kind_value(16), 0), 2000);
    cr_assert_eq(model_remove(16, 0), 2000);
    model_check(list);
    cr_assert(list_node_count(list) * 10 < node_count * 6);
    cr_assert_eq(list_remove(&heap, list, kind_value(15), -1000), 1000);
    cr_assert_eq(model_remove(15, -1000), 1000);
    model_check(list);
    list_destroy(&heap, list);
}

Test(list, delete_range_and_trim_every_range) {
    uint64_t length = 40;
    for (uint64_t start = 0; start <= length; start++) {
        for (uint64_t count = 0; start + count <= length; count += 3) {
            struct list *list = model_list_build(9, length);
            list_delete_range(&heap, list, start, count);
            model_delete(start, count);
            model_check(list);
            list_destroy(&heap, list);
            list = model_list_build(9, length);
            list_trim(&heap, list, start, count);
            model_delete(start + count, length - start - count);
            model_delete(0, start);
            model_check(list);
            list_destroy(&heap, list);
        }
    }
}

/* ==== Tests: the reference model ==== */

Test(list, model_100000_mixed_operations) {
    uint64_t state = 0x9e3779b97f4a7c15u;
    struct list *list = model_list_create();
    uint32_t counts[OP_INDEX + 1] = { 0 };
    for (uint32_t step = 0; step < 100000; step++) {
        struct op op = op_random(&state, 2000);
        cr_assert(op_apply_list(list, &op));
        op_apply_model(&op);
        counts[op.type]++;
        ends_check(list);
        if (step % 97 == 0) {
            model_check(list);
        }
    }
    model_check(list);
    for (uint32_t type = 0; type <= OP_INDEX; type++) {
        cr_assert(counts[type] > 100, "op %u ran %u times", type, counts[type]);
    }
    list_destroy(&heap, list);
}

/* ==== Tests: a full heap (fake heap only) ==== */

#ifndef LIST_TEST_REAL_HEAP

/*
 * Runs op with the heap refusing after 0, 1, 2, ... allocations until it
 * succeeds; every refusal must leave the list as it was. Returns the refusals.
 */
static uint32_t op_apply_until_room(struct list *list, const struct op *op) {
    for (uint32_t allowed = 0; allowed < 8; allowed++) {
        uint64_t memory_size = list_memory_size(&heap, list);
        uint64_t live = live_size();
        fake_heap_fail_after(allowed);
        bool done = op_apply_list(list, op);
        fake_heap_fail_never();
        if (done) {
            op_apply_model(op);
            model_check(list);
            return allowed;
        }
        cr_assert_eq(list_memory_size(&heap, list), memory_size);
        cr_assert_eq(live_size(), live);
        model_check(list);
    }
    cr_assert_fail("op never succeeded");
    return 0;
}

Test(list, create_without_room) {
    fake_heap_fail_after(0);
    cr_assert_null(list_create(&heap));
    fake_heap_fail_never();
    cr_assert_eq(live_size(), 0);
}

Test(list, every_allocation_failure_leaves_the_list_unchanged) {
    uint64_t state = 77;
    struct list *list = model_list_create();
    uint32_t refusals = 0;
    uint32_t counts[OP_INDEX + 1] = { 0 };
    for (uint32_t step = 0; step < 6000; step++) {
        struct op op = op_random(&state, 400);
        refusals += op_apply_until_room(list, &op);
        counts[op.type]++;
    }
    /* Enough refusals to have reached every allocation point many times (nodes grow
     * geometrically, so pushes allocate less often than once per element). */
    cr_assert(refusals > 500, "refusals %u", refusals);
    for (uint32_t type = 0; type <= OP_INDEX; type++) {
        cr_assert(counts[type] > 20, "op %u ran %u times", type, counts[type]);
    }
    list_destroy(&heap, list);
}

Test(list, failures_at_node_boundaries) {
    static const uint8_t kinds[] = { 0, 14, 24, 27, 28, 29, 34 };
    for (uint32_t kind_index = 0; kind_index < ARRAY_COUNT(kinds); kind_index++) {
        struct list *list = model_list_build(10, 50);
        uint8_t kind = kinds[kind_index];
        uint64_t length = model_length;
        for (uint64_t index = 0; index < length; index++) {
            struct op insert = { .type = OP_INSERT, .index = index * 2, .kind = kind };
            op_apply_until_room(list, &insert);
        }
        for (uint64_t index = 0; index < model_length; index += 3) {
            struct op set = { .type = OP_SET, .index = index, .kind = kinds[index % 7] };
            op_apply_until_room(list, &set);
        }
        for (uint32_t end = 0; end < 2; end++) {
            struct op push = { .type = OP_PUSH, .end = (enum list_end)end, .kind = kind };
            op_apply_until_room(list, &push);
        }
        list_destroy(&heap, list);
    }
}

/* A set that overflows its node moves the element to the head of the next node. */
Test(list, set_moving_to_next_node_without_room) {
    struct list *list = list_create(&heap);
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(4000, 1)));
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(4000, 2)));
    cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(200, 3)));
    cr_assert_eq(list_node_count(list), 2);
    uint64_t memory_size = list_memory_size(&heap, list);
    fake_heap_fail_after(0);
    cr_assert_not(list_set(&heap, list, 1, pattern_value(4200, 4)));
    fake_heap_fail_never();
    cr_assert_eq(list_memory_size(&heap, list), memory_size);
    list_verify(&heap, list);
    cr_assert(pattern_matches(list_index(list, 1), 4000, 2));
    cr_assert(pattern_matches(list_index(list, 2), 200, 3));
    fake_heap_fail_after(0);
    cr_assert_not(list_insert(&heap, list, 2, pattern_value(4200, 4)));
    fake_heap_fail_never();
    cr_assert(list_set(&heap, list, 1, pattern_value(4200, 4)));
    list_verify(&heap, list);
    cr_assert_eq(list_node_count(list), 2);
    cr_assert(pattern_matches(list_index(list, 0), 4000, 1));
    cr_assert(pattern_matches(list_index(list, 1), 4200, 4));
    cr_assert(pattern_matches(list_index(list, 2), 200, 3));
    list_destroy(&heap, list);
}

Test(list, removals_succeed_without_room) {
    struct list *list = model_list_build(12, 600);
    fake_heap_fail_after(0);
    cr_assert_eq(list_remove(&heap, list, kind_value(2), 0), model_remove(2, 0));
    list_pop(&heap, list, LIST_HEAD);
    list_pop(&heap, list, LIST_TAIL);
    model_delete(0, 1);
    model_delete(model_length - 1, 1);
    list_delete_range(&heap, list, 100, 200);
    model_delete(100, 200);
    list_trim(&heap, list, 10, 150);
    model_delete(160, model_length - 160);
    model_delete(0, 10);
    fake_heap_fail_never();
    model_check(list);
    list_destroy(&heap, list);
}

#endif

/* ==== Tests: node limits (list-max-listpack-size) ==== */

/* A list with a fill's node limits, and the model emptied. */
static struct list *model_list_with_fill(int32_t fill) {
    struct list *list = model_list_create();
    list_set_node_limit(list, fill);
    return list;
}

/* Pushes count copies of an 8-byte value (a 10-byte entry) at the tail. */
static void push_small(struct list *list, uint32_t count) {
    for (uint32_t step = 0; step < count; step++) {
        cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(8, 1)));
    }
}

Test(list, node_size_limit_follows_a_negative_fill) {
    /* Entries of 10 bytes: (limit - 24 header bytes) / 10 per node. */
    static const struct {
        int32_t fill;
        uint64_t node_count;
    } cases[] = {
        { -1, 3 },        /* 4 KiB: 407 per node */
        { -2, 2 },        /* 8 KiB: 816 per node */
        { -3, 1 },        /* 16 KiB */
        { -5, 1 },        /* 64 KiB */
        { INT32_MIN, 1 }, /* below -5: 64 KiB */
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        struct list *list = model_list_with_fill(cases[index].fill);
        push_small(list, 1000);
        list_verify(&heap, list);
        cr_assert_eq(list_node_count(list), cases[index].node_count, "fill %d",
                     (int)cases[index].fill);
        list_destroy(&heap, list);
    }
    /* 64 KiB nodes: 6540 entries of 10 bytes fill one, the next starts another. */
    struct list *list = model_list_with_fill(-5);
    push_small(list, (LIST_NODE_SIZE_LIMIT_MAX - LIST_NODE_HEADER_SIZE) / 10);
    cr_assert_eq(list_node_count(list), 1);
    push_small(list, 1);
    cr_assert_eq(list_node_count(list), 2);
    list_verify(&heap, list);
    list_destroy(&heap, list);
}

Test(list, node_entry_limit_follows_a_positive_fill) {
    static const int32_t fills[] = { 0, 1, 2, 3, 7, 128 };
    for (uint32_t index = 0; index < ARRAY_COUNT(fills); index++) {
        int32_t fill = fills[index];
        uint32_t per_node = fill == 0 ? 1 : (uint32_t)fill;
        struct list *list = model_list_with_fill(fill);
        push_small(list, 300);
        list_verify(&heap, list);
        cr_assert_eq(list_node_count(list), (300 + per_node - 1) / per_node, "fill %d",
                     (int)fill);
        list_destroy(&heap, list);
    }
    /* A count limit keeps an 8 KiB size limit (Redis's SIZE_SAFETY_LIMIT). */
    struct list *list = model_list_with_fill(INT32_MAX);
    push_small(list, 1000);
    cr_assert_eq(list_node_count(list), 2);
    list_verify(&heap, list);
    list_destroy(&heap, list);
}

Test(list, model_operations_under_every_kind_of_fill) {
    static const int32_t fills[] = { -1, -5, 0, 1, 2, 5 };
    for (uint32_t index = 0; index < ARRAY_COUNT(fills); index++) {
        uint64_t state = 0x51ed2701u + index;
        struct list *list = model_list_with_fill(fills[index]);
        for (uint32_t step = 0; step < 12000; step++) {
            struct op op = op_random(&state, 600);
            cr_assert(op_apply_list(list, &op));
            op_apply_model(&op);
            ends_check(list);
            if (step % 211 == 0) {
                model_check(list);
            }
        }
        model_check(list);
        list_destroy(&heap, list);
    }
}

/* ==== Tests: Redis 7.2's encoding rule ==== */

/* Sizes of one entry in Redis's listpack, read from Redis 7.0.15 (DEBUG LISTPACK). */
Test(list, packed_entry_sizes_match_redis) {
    static const struct {
        const char *text;
        uint64_t size;
    } cases[] = {
        { "", 2 },          { "a", 3 },          { "0", 2 },
        { "127", 2 },       { "128", 3 },        { "-1", 3 },
        { "-4096", 3 },     { "4095", 3 },       { "4096", 4 },
        { "-4097", 4 },     { "32767", 4 },      { "32768", 5 },
        { "-32769", 5 },    { "8388607", 5 },    { "8388608", 6 },
        { "-8388609", 6 },  { "2147483647", 6 }, { "2147483648", 10 },
        { "-2147483649", 10 }, { "9223372036854775807", 10 },
        { "-9223372036854775808", 10 }, { "9223372036854775808", 21 },
        { "01", 4 },        { "-0", 4 },         { "+1", 4 },
        { " 1", 4 },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        uint64_t size = list_packed_entry_size(slice_from_cstr(cases[index].text));
        cr_assert_eq(size, cases[index].size, "'%s': %lu", cases[index].text,
                     (unsigned long)size);
    }
    static const struct {
        uint32_t length;
        uint64_t size;
    } strings[] = {
        { 63, 65 },     { 64, 67 },       { 125, 128 },     { 126, 130 },
        { 4095, 4099 }, { 4096, 4103 },   { 16380, 16388 }, { 16381, 16389 },
        { 20000, 20008 },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(strings); index++) {
        memset(value_buffer, 'x', strings[index].length);
        struct slice value = { .ptr = value_buffer, .size = strings[index].length };
        cr_assert_eq(list_packed_entry_size(value), strings[index].size, "%u bytes",
                     strings[index].length);
    }
}

Test(list, packed_size_follows_every_mutation) {
    struct list *list = list_create(&heap);
    cr_assert_eq(list_packed_size(list), LIST_PACKED_EMPTY_SIZE);
    cr_assert(list_push(&heap, list, LIST_TAIL, slice_from_cstr("a")));       /* 3 */
    cr_assert(list_push(&heap, list, LIST_HEAD, slice_from_cstr("128")));     /* 3 */
    cr_assert(list_insert(&heap, list, 1, slice_from_cstr("2147483648")));    /* 10 */
    cr_assert_eq(list_packed_size(list), LIST_PACKED_EMPTY_SIZE + 16);
    cr_assert(list_set(&heap, list, 0, slice_from_cstr("0")));                /* 3 -> 2 */
    cr_assert_eq(list_packed_size(list), LIST_PACKED_EMPTY_SIZE + 15);
    cr_assert_eq(list_remove(&heap, list, slice_from_cstr("a"), 0), 1);
    cr_assert_eq(list_packed_size(list), LIST_PACKED_EMPTY_SIZE + 12);
    list_pop(&heap, list, LIST_TAIL);
    cr_assert_eq(list_packed_size(list), LIST_PACKED_EMPTY_SIZE + 2);
    push_small(list, 50);
    list_delete_range(&heap, list, 10, 30);
    list_trim(&heap, list, 1, 5);
    list_verify(&heap, list); /* recounts the packed size from the entries */
    cr_assert_eq(list_packed_size(list), LIST_PACKED_EMPTY_SIZE + 5 * 10);
    list_destroy(&heap, list);
}

Test(list, growth_converts_past_the_limit) {
    struct list *list = list_create(&heap);
    cr_assert_str_eq(list_encoding_name(list), "listpack");
    /* Size limit (fill -2, 8192 bytes): packed size plus the raw bytes added. */
    cr_assert_not(list_growth_converts(list, -2, 8192 - LIST_PACKED_EMPTY_SIZE, 1));
    cr_assert(list_growth_converts(list, -2, 8192 - LIST_PACKED_EMPTY_SIZE + 1, 1));
    cr_assert_not(list_growth_converts(list, -1, 4096 - LIST_PACKED_EMPTY_SIZE, 1000));
    cr_assert(list_growth_converts(list, -1, 4096 - LIST_PACKED_EMPTY_SIZE + 1, 1));
    cr_assert_not(list_growth_converts(list, INT32_MIN, 65536 - LIST_PACKED_EMPTY_SIZE, 1));
    cr_assert(list_growth_converts(list, -6, 65536 - LIST_PACKED_EMPTY_SIZE + 1, 1));
    /* Count limit: entries, and 8192 bytes at most. */
    cr_assert_not(list_growth_converts(list, 4, 10, 4));
    cr_assert(list_growth_converts(list, 4, 10, 5));
    cr_assert(list_growth_converts(list, 1000, 8192 - LIST_PACKED_EMPTY_SIZE + 1, 1));
    cr_assert(list_growth_converts(list, 0, 0, 2));
    cr_assert_not(list_growth_converts(list, 0, 0, 1));
    push_small(list, 3); /* packed: 7 + 3 * 10 */
    cr_assert_not(list_growth_converts(list, -2, 8192 - 37, 0));
    cr_assert(list_growth_converts(list, -2, 8192 - 36, 0));
    cr_assert(list_growth_converts(list, 3, 0, 1));
    /* A quicklist never converts on growth; mutations never change the encoding. */
    list_set_quicklist(list);
    cr_assert_str_eq(list_encoding_name(list), "quicklist");
    cr_assert_not(list_growth_converts(list, 3, 100000, 100));
    list_pop(&heap, list, LIST_HEAD);
    cr_assert(list_is_quicklist(list));
    list_destroy(&heap, list);
}

Test(list, shrink_converts_within_half_the_limit) {
    for (uint32_t size = 4070; size < 4100; size++) {
        struct list *list = list_create(&heap);
        cr_assert(list_push(&heap, list, LIST_TAIL, pattern_value(size, 3)));
        list_shrink_encoding(list, -2); /* a listpack stays one */
        cr_assert_not(list_is_quicklist(list));
        list_set_quicklist(list);
        list_shrink_encoding(list, -2);
        cr_assert_eq(list_is_quicklist(list), list_packed_size(list) > 4096, "%u", size);
        list_destroy(&heap, list);
    }
    /* Count limit 5: back to a listpack at 2 entries (5 / 2). */
    struct list *list = list_create(&heap);
    push_small(list, 3);
    list_set_quicklist(list);
    list_shrink_encoding(list, 5);
    cr_assert(list_is_quicklist(list));
    list_pop(&heap, list, LIST_HEAD);
    list_shrink_encoding(list, 5);
    cr_assert_not(list_is_quicklist(list));
    /* Fill 0 and 1: half the count limit is 0, so a quicklist stays one. */
    list_set_quicklist(list);
    list_pop(&heap, list, LIST_HEAD);
    list_shrink_encoding(list, 0);
    list_shrink_encoding(list, 1);
    cr_assert(list_is_quicklist(list));
    list_destroy(&heap, list);
}

Test(list, update_encoding_uses_the_full_limit) {
    struct list *list = list_create(&heap);
    push_small(list, 900); /* 7 + 9000 bytes: past 8192, still a listpack */
    cr_assert_not(list_is_quicklist(list));
    list_update_encoding(list, -2);
    cr_assert(list_is_quicklist(list));
    list_delete_range(&heap, list, 0, 200); /* 7007 bytes: above half, within the limit */
    list_shrink_encoding(list, -2);
    cr_assert(list_is_quicklist(list));
    list_update_encoding(list, -2);
    cr_assert_not(list_is_quicklist(list));
    list_update_encoding(list, 700);
    cr_assert_not(list_is_quicklist(list));
    list_update_encoding(list, 699);
    cr_assert(list_is_quicklist(list));
    list_destroy(&heap, list);
}

#ifndef LIST_TEST_REAL_HEAP

Test(list, allocation_failures_under_small_node_limits) {
    static const int32_t fills[] = { -1, 1, 3 };
    for (uint32_t index = 0; index < ARRAY_COUNT(fills); index++) {
        uint64_t state = 91 + index;
        struct list *list = model_list_with_fill(fills[index]);
        uint32_t refusals = 0;
        for (uint32_t step = 0; step < 2500; step++) {
            struct op op = op_random(&state, 300);
            refusals += op_apply_until_room(list, &op);
        }
        cr_assert(refusals > 200, "fill %d: refusals %u", (int)fills[index], refusals);
        list_destroy(&heap, list);
    }
}

/* A failed push keeps the encoding decision unapplied: the caller sets it on success. */
Test(list, failed_push_changes_neither_elements_nor_encoding) {
    struct list *list = list_create(&heap);
    push_small(list, 3);
    uint64_t packed_size = list_packed_size(list);
    bool converts = list_growth_converts(list, -2, 9000, 1);
    cr_assert(converts);
    fake_heap_fail_after(0);
    cr_assert_not(list_push(&heap, list, LIST_TAIL, pattern_value(9000, 2)));
    fake_heap_fail_never();
    cr_assert_eq(list_packed_size(list), packed_size);
    cr_assert_eq(list_length(list), 3);
    cr_assert_str_eq(list_encoding_name(list), "listpack");
    list_verify(&heap, list);
    list_destroy(&heap, list);
}

#endif
