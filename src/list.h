/*
 * list.h: the list value type, made only of heap objects.
 *
 * A list is a small header object plus a doubly linked chain of packed nodes.
 * Each node is one heap object holding up to LIST_NODE_SIZE_MAX bytes of
 * entries; an entry is a forward varint length, the bytes, then a backward
 * varint length so the node can be walked from either end. An element larger
 * than a node gets a node of its own, sized to fit it.
 *
 *   list ──> [node] <──> [node] <──> [node]
 *            |len|bytes|backlen|len|bytes|backlen|...
 *
 * Every mutating function either completes or, when the heap has no room,
 * returns false with the list unchanged.
 */
#pragma once

#include "base.h"
#include "heap.h"

#define LIST_NODE_SIZE_MAX ((uint32_t)8192)
/* Bytes of a node before its entries: prev, next, entry count, used bytes. */
#define LIST_NODE_HEADER_SIZE ((uint32_t)24)
/*
 * The largest element a list accepts, so that a node's size fits in 32 bits.
 * Callers validate client input against it (proto-max-bulk-len is far lower).
 */
#define LIST_ELEMENT_SIZE_MAX ((uint32_t)(UINT32_MAX - 64))

struct list;
struct list_node;

enum list_end { LIST_HEAD = 0, LIST_TAIL = 1 };

/* A new empty list; NULL when the heap has no room. */
struct list *list_create(struct heap *heap);

/* Frees every node and the header. */
void list_destroy(struct heap *heap, struct list *list);

uint64_t list_length(const struct list *list);

/* OBJECT ENCODING's name: "listpack" while the list is one node, else "quicklist". */
const char *list_encoding_name(const struct list *list);

/* Nodes in the chain: 1 means one packed allocation (OBJECT ENCODING "listpack"). */
uint64_t list_node_count(const struct list *list);

/* Bytes held in the heap by the list (header and nodes), for INFO and MEMORY USAGE. */
uint64_t list_memory_size(const struct heap *heap, const struct list *list);

/* Adds one element at an end. False (list unchanged) when the heap has no room. */
bool list_push(struct heap *heap, struct list *list, enum list_end end, struct slice value);

/*
 * The element at an end, valid until the next mutation of the list.
 * The list must not be empty.
 */
struct slice list_peek(const struct list *list, enum list_end end);

/* Removes the element at an end. The list must not be empty. Never fails. */
void list_pop(struct heap *heap, struct list *list, enum list_end end);

/*
 * Iteration from a zero-based index toward the tail (or toward the head when
 * reverse). Elements are valid until the list is mutated.
 */
struct list_iterator {
    const struct list *list;
    const struct list_node *node;
    uint32_t offset;   /* byte offset of the next entry inside node (of its end when reverse) */
    uint64_t remaining;
    bool reverse;
};
void list_iterator_init(struct list_iterator *iterator, const struct list *list,
                        uint64_t start_index, bool reverse);
/* Writes the next element into *value; false when the walk is over. */
bool list_iterator_next(struct list_iterator *iterator, struct slice *value);

/*
 * Random access, for LINDEX, LSET, LINSERT, LREM and LTRIM. Indexes are zero-based
 * and already resolved (callers turn negative indexes into positive ones). Locating
 * an index walks nodes from the nearer end, then entries inside one node.
 * A `value` given to list_push, list_insert or list_set may be an element of the
 * same list (LMOVE from a list to itself); list_remove's may not.
 */

/* The element at index (< length), valid until the next mutation of the list. */
struct slice list_index(const struct list *list, uint64_t index);

/* Replaces the element at index (< length). False (list unchanged) when the heap has no room. */
bool list_set(struct heap *heap, struct list *list, uint64_t index, struct slice value);

/*
 * Inserts value so that it becomes the element at index (<= length): 0 pushes at
 * the head, length at the tail. False (list unchanged) when the heap has no room.
 */
bool list_insert(struct heap *heap, struct list *list, uint64_t index, struct slice value);

/*
 * Removes elements equal to value, as LREM: count > 0 removes at most count from
 * the head, count < 0 at most -count from the tail, 0 removes all. Returns the
 * number removed. Never fails.
 */
uint64_t list_remove(struct heap *heap, struct list *list, struct slice value, int64_t count);

/* Removes count elements starting at start_index (start_index + count <= length). */
void list_delete_range(struct heap *heap, struct list *list, uint64_t start_index,
                       uint64_t count);

/* Keeps only keep_count elements starting at start_index, as LTRIM. Never fails. */
void list_trim(struct heap *heap, struct list *list, uint64_t start_index, uint64_t keep_count);

/* O(n) consistency check for tests. */
void list_verify(const struct heap *heap, const struct list *list);
