/*
 * index.h: the hash index of one keyspace (one per database), built from heap
 * objects only: extendible hashing, as in Dragonfly's dashtable.
 *
 *   directory (heap object, 2^global_depth slots)
 *   [0] [1] [2] [3]
 *    |   |   \  /
 *    v   v    v
 *   seg  seg  seg (local_depth 1: shared by two directory slots)
 *
 * A segment is an array of `capacity` slots with linear probing inside the
 * segment (wrapping within it) and backward-shift deletion, so no tombstones.
 * A slot holds an item pointer (shifted right by 3: items are 8-byte aligned)
 * in its low 44 bits and the low 20 bits of the key's hash in its high bits;
 * 0 means empty. The directory is indexed by the top global_depth bits of the
 * 64-bit hash; the home slot inside a segment comes from the low 16 bits,
 * scaled to the capacity, so a slot alone says where it belongs.
 *
 * Growth is one segment at a time, in two kinds of step, each bounded:
 * - a segment whose count reaches 7/8 of its capacity is copied into a larger
 *   one (capacities follow the heap's size classes, about 1/8 apart, up to
 *   INDEX_SEGMENT_SLOTS) without touching any item: the slots carry their
 *   home bits;
 * - a segment at INDEX_SEGMENT_SLOTS splits in two (local_depth + 1), each half
 *   sized for its entries, doubling the directory first if local_depth equals
 *   global_depth.
 * Segments therefore stay between about 3/4 and 7/8 full once past their
 * first resize: about 9.5 bytes of index per key. No full rehash, no large
 * contiguous block beyond the directory (8 bytes per segment).
 *
 * The index owns no items: the caller allocates and frees them.
 */
#pragma once

#include "base.h"
#include "heap.h"
#include "item.h"

/* The largest segment's capacity: 16 + 8 * 1043 = 8,360 bytes, a heap size class exactly. */
#define INDEX_SEGMENT_SLOTS 1043u
#define INDEX_SEGMENT_SLOTS_MIN 8u   /* an empty database's segment */
#define INDEX_SEGMENT_FILL_MAX (INDEX_SEGMENT_SLOTS - INDEX_SEGMENT_SLOTS / 8u)
#define INDEX_GLOBAL_DEPTH_MAX 32u

struct index_segment {
    uint32_t local_depth;
    uint32_t count;
    uint32_t capacity;              /* slots: INDEX_SEGMENT_SLOTS_MIN..INDEX_SEGMENT_SLOTS */
    uint32_t reserved;
    uint64_t slots[];               /* capacity of them */
};

struct index {
    struct heap *heap;
    struct index_segment **directory; /* heap object of 2^global_depth pointers */
    uint32_t global_depth;
    uint32_t segment_count;
    uint64_t count;                   /* items in the index */
};

/* A position for incremental walks: directory slot and slot within segment. */
struct index_cursor {
    uint64_t directory_index;
    uint32_t slot_index;
};

/* Allocates the directory and the first segment. False when the heap has no room. */
bool index_init(struct index *index, struct heap *heap);

/* Releases every segment and the directory (not the items). */
void index_release(struct index *index);

/* The 64-bit hash of a key (seeded at startup with index_seed). */
uint64_t index_hash(struct slice key);
void index_seed(uint64_t seed);

struct item *index_find(const struct index *index, struct slice key, uint64_t hash);

/*
 * Makes room so that one insert of `hash` cannot fail: splits the target
 * segment (and doubles the directory) as needed, possibly several times when
 * the keys of a split all go one way. False when the heap has no room for a
 * split: the failed split changed nothing, the index holds the same items and
 * is still valid (splits completed earlier in the same call remain).
 */
bool index_prepare_insert(struct index *index, uint64_t hash);

/* Inserts an item whose key is not present. index_prepare_insert must have succeeded. */
void index_insert(struct index *index, struct item *item, uint64_t hash);

/* Replaces the item for the same key (same hash) in place, e.g. after a resize. */
void index_replace(struct index *index, struct item *old_item, struct item *new_item,
                   uint64_t hash);

/* Removes the item with this key; returns it, or NULL when absent. */
struct item *index_remove(struct index *index, struct slice key, uint64_t hash);

/*
 * Visits up to `slots_max` slots from *cursor and returns the items found
 * there into items[] (up to items_max), advancing the cursor. Returns the
 * number of items written; sets *done when the walk wrapped past the end.
 * Items may be removed by the caller between calls; splits in between may
 * make a walk repeat or skip entries, which expiry sweeps tolerate.
 */
uint32_t index_walk(const struct index *index, struct index_cursor *cursor, uint32_t slots_max,
                    struct item **items, uint32_t items_max, bool *done);

/*
 * SCAN. Segments partition the 64-bit hash space: a segment of local depth d
 * holds the hashes whose top d bits are its prefix, the range
 * [prefix << (64 - d), (prefix + 1) << (64 - d)). A position in that space
 * names the segment holding it. index_scan writes into items[] (room for
 * INDEX_SEGMENT_FILL_MAX) the items of the segment holding `position` whose
 * hash is >= position: all of them, without hashing, when position is the
 * segment's first hash. It sets *next to the first hash after the segment,
 * 0 when the segment ends the space.
 *
 * A cursor that only ever holds 0 or a value of *next therefore moves through
 * the space in ranges [position, next) that never overlap and, once it is back
 * at 0, cover it all: every key present for the whole walk is returned once,
 * whatever splits (which only make boundaries finer) or resets (which make
 * them coarser; hence the filter) happen between calls.
 */
uint32_t index_scan(const struct index *index, uint64_t position, struct item **items,
                    uint64_t *next);

/*
 * A pseudo-random item chosen from `random` (any 64-bit value): a random
 * directory slot (a few tries to land on a non-empty segment, then the next
 * non-empty one), a random slot in it, then the first item probing forward.
 * NULL only when the index is empty. Bounded by the directory and segment size.
 */
struct item *index_random(const struct index *index, uint64_t random);

/* The home slot of `hash` in a segment of `capacity` slots (for tests). */
uint32_t index_slot_home(uint64_t hash, uint32_t capacity);

/* The item a non-empty slot refers to (for tests). */
struct item *index_slot_item(uint64_t slot);

/* O(n) consistency check for tests. */
void index_verify(const struct index *index);
