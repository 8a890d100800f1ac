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
 *
 * Node limits follow Redis's list-max-listpack-size ("fill"), fixed when the
 * list is created (list_set_node_limit, as a Redis quicklist keeps its fill):
 * a negative fill -1..-5 caps a node at 4/8/16/32/64 KiB (below -5: 64 KiB),
 * a positive fill caps its entry count (and its size at LIST_NODE_SIZE_SAFETY),
 * 0 means one entry per node. The default is -2: LIST_NODE_SIZE_MAX bytes.
 *
 * OBJECT ENCODING follows Redis 7.2's rule, not the node chain: a list is
 * "listpack" until an addition would take it past the limit of the configured
 * fill, counted in the bytes the elements take as one Redis listpack
 * (list_packed_size), and "quicklist" until removals bring it to half the
 * limit. The caller passes the configured fill to each check (list.c does not
 * read the server's configuration); mutations never change the encoding.
 * (Redis also needs its quicklist to be down to one node before it turns back
 * into a listpack; keel does not model Redis's node layout, so it checks the
 * sizes alone. For lists built by pushes and pops the outcome is the same.)
 */
#pragma once

#include "base.h"
#include "heap.h"

#define LIST_NODE_SIZE_MAX ((uint32_t)8192)        /* a node's bytes under the default fill */
#define LIST_NODE_SIZE_LIMIT_MAX ((uint32_t)65536)  /* the largest node limit (fill -5) */
#define LIST_NODE_SIZE_SAFETY ((uint32_t)8192)      /* Redis's SIZE_SAFETY_LIMIT for fill > 0 */
#define LIST_FILL_DEFAULT ((int32_t)-2)
/* Bytes of an empty Redis listpack: a 6-byte header and the end byte. */
#define LIST_PACKED_EMPTY_SIZE ((uint64_t)7)
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

/* OBJECT ENCODING's name: "listpack" or "quicklist" (see the rule above). */
const char *list_encoding_name(const struct list *list);

/* Sets the node limits from a list-max-listpack-size value. The list must be empty. */
void list_set_node_limit(struct list *list, int32_t fill);

/* ==== Encoding (Redis 7.2's listTypeTryConversion) ==== */

/* Bytes value takes as a Redis listpack entry (integers packed as Redis packs them). */
uint64_t list_packed_entry_size(struct slice value);

/* Bytes the list's elements take as one Redis listpack (lpBytes). */
uint64_t list_packed_size(const struct list *list);

/* quicklistNodeExceedsLimit: true when packed_size bytes / length entries pass fill's limit. */
bool list_packed_exceeds(int32_t fill, uint64_t packed_size, uint64_t length);

bool list_is_quicklist(const struct list *list);

/*
 * LIST_CONV_GROWING, decided before elements are added as Redis does: true when
 * the list is a listpack and its packed size plus add_size raw bytes (the new
 * elements' lengths) or its length plus add_count pass fill's limit. Pure: once
 * the elements are in, the caller applies it with list_set_quicklist, so a
 * failed addition leaves the encoding as it was.
 */
bool list_growth_converts(const struct list *list, int32_t fill, uint64_t add_size,
                          uint64_t add_count);

/* Marks the list "quicklist". */
void list_set_quicklist(struct list *list);

/*
 * LIST_CONV_SHRINKING, after elements were removed: a quicklist whose packed
 * size and length are within half of fill's limits becomes a listpack again.
 */
void list_shrink_encoding(struct list *list, int32_t fill);

/*
 * LIST_CONV_AUTO, for a list built by other means (SORT ... STORE): a listpack
 * past the limit becomes a quicklist, a quicklist within it a listpack.
 */
void list_update_encoding(struct list *list, int32_t fill);

/* Nodes in the chain (independent of OBJECT ENCODING, which follows Redis's rule). */
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
