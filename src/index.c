/*
 * index.c: the hash index, extendible hashing over heap objects (see index.h).
 *
 * Invariants:
 * - The directory has 2^global_depth slots. A segment of local depth d
 *   (d <= global_depth) fills the 2^(global_depth - d) consecutive directory
 *   slots whose index shares its top d bits, and holds exactly the items
 *   whose hash starts with those d bits.
 * - Inside a segment an item sits at its home slot (hash & (SLOTS - 1)) or
 *   after it, with no empty slot in between (linear probing, wrapping inside
 *   the segment). Deletion shifts later entries back instead of leaving
 *   tombstones, so this holds at all times.
 * - A segment holds at most INDEX_SEGMENT_FILL_MAX < INDEX_SEGMENT_SLOTS
 *   items, so every probe meets an empty slot within INDEX_SEGMENT_SLOTS steps.
 *
 * Slot layout (0 is empty):
 *
 *   63            48 47                                       0
 *   +---------------+------------------------------------------+
 *   | fingerprint16 | item pointer (user space is below 2^48)  |
 *   +---------------+------------------------------------------+
 *
 * The fingerprint is hash bits 16..31 (never 0), disjoint from the home-slot
 * bits (0..9) and, as global_depth <= 32, from the directory bits (32..63).
 * A slot does not hold the home-slot bits, so backward-shift deletion and
 * splits recompute the hash of the items they move from their keys.
 */
#include "index.h"

#include <xxhash.h>

#define INDEX_SLOT_MASK ((uint64_t)INDEX_SEGMENT_SLOTS - 1)
#define INDEX_POINTER_BITS 48u
#define INDEX_POINTER_MASK (((uint64_t)1 << INDEX_POINTER_BITS) - 1)

STATIC_ASSERT((INDEX_SEGMENT_SLOTS & (INDEX_SEGMENT_SLOTS - 1)) == 0, "slots are a power of 2");
STATIC_ASSERT(INDEX_SEGMENT_SLOTS <= ((uint64_t)1 << 16), "home-slot bits stay below bit 16");
STATIC_ASSERT(INDEX_SEGMENT_FILL_MAX < INDEX_SEGMENT_SLOTS, "a probe always meets an empty slot");
STATIC_ASSERT(INDEX_GLOBAL_DEPTH_MAX <= 32, "directory bits stay above the fingerprint");

static uint64_t index_hash_seed = 0;

/* ==== Slots and hashing ==== */

static uint64_t slot_fingerprint(uint64_t hash) {
    uint64_t fingerprint = (hash >> 16) & 0xffffu;
    fingerprint = fingerprint == 0 ? 1 : fingerprint;
    ASSERT(fingerprint != 0);
    ASSERT(fingerprint <= 0xffffu);
    return fingerprint;
}

static uint64_t slot_make(const struct item *item, uint64_t hash) {
    uint64_t address = (uint64_t)(uintptr_t)item;
    ASSERT(address != 0);
    ASSERT((address & ~INDEX_POINTER_MASK) == 0);
    return (slot_fingerprint(hash) << INDEX_POINTER_BITS) | address;
}

static struct item *slot_item(uint64_t slot) {
    ASSERT(slot != 0);
    struct item *item = (struct item *)(uintptr_t)(slot & INDEX_POINTER_MASK);
    ASSERT(item != NULL);
    return item;
}

static bool slot_matches(uint64_t slot, uint64_t fingerprint, struct slice key) {
    ASSERT(slot != 0);
    ASSERT(fingerprint != 0);
    if ((slot >> INDEX_POINTER_BITS) != fingerprint) {
        return false;
    }
    return slice_equal(item_key(slot_item(slot)), key);
}

static uint32_t slot_home(uint64_t hash) {
    return (uint32_t)(hash & INDEX_SLOT_MASK);
}

static uint32_t slot_next(uint32_t slot_index) {
    ASSERT(slot_index < INDEX_SEGMENT_SLOTS);
    return (uint32_t)((slot_index + 1u) & INDEX_SLOT_MASK);
}

/* The home slot of the item a slot refers to, from its key's hash. */
static uint32_t slot_rehome(uint64_t slot) {
    return slot_home(index_hash(item_key(slot_item(slot))));
}

/* ==== Directory ==== */

static uint64_t directory_count(const struct index *index) {
    ASSERT(index->global_depth <= INDEX_GLOBAL_DEPTH_MAX);
    return (uint64_t)1 << index->global_depth;
}

/* The directory slot of a hash: its top global_depth bits. */
static uint64_t directory_index_of(const struct index *index, uint64_t hash) {
    ASSERT(index->global_depth <= INDEX_GLOBAL_DEPTH_MAX);
    if (index->global_depth == 0) {
        return 0; /* a shift by 64 would be undefined */
    }
    uint64_t directory_index = hash >> (64u - index->global_depth);
    ASSERT(directory_index < directory_count(index));
    return directory_index;
}

/* How many consecutive directory slots a segment fills. */
static uint64_t segment_span(const struct index *index, const struct index_segment *segment) {
    ASSERT(segment->local_depth <= index->global_depth);
    return (uint64_t)1 << (index->global_depth - segment->local_depth);
}

static struct index_segment *segment_of(const struct index *index, uint64_t hash) {
    struct index_segment *segment = index->directory[directory_index_of(index, hash)];
    ASSERT(segment != NULL);
    ASSERT(segment->count <= INDEX_SEGMENT_FILL_MAX);
    return segment;
}

/* ==== Probing inside a segment ==== */

/* The slot index holding key, or INDEX_SEGMENT_SLOTS when absent. */
static uint32_t segment_find(const struct index_segment *segment, struct slice key,
                             uint64_t hash) {
    ASSERT(segment->count < INDEX_SEGMENT_SLOTS);
    uint64_t fingerprint = slot_fingerprint(hash);
    uint32_t slot_index = slot_home(hash);
    for (uint32_t probe = 0; probe < INDEX_SEGMENT_SLOTS; probe++) {
        uint64_t slot = segment->slots[slot_index];
        if (slot == 0) {
            return INDEX_SEGMENT_SLOTS;
        }
        if (slot_matches(slot, fingerprint, key)) {
            return slot_index;
        }
        slot_index = slot_next(slot_index);
    }
    ASSERT(false); /* a segment always has an empty slot */
    return INDEX_SEGMENT_SLOTS;
}

/* Places a slot at the first empty position from its home. */
static void segment_place(struct index_segment *segment, uint64_t slot, uint64_t hash) {
    ASSERT(slot != 0);
    ASSERT(segment->count < INDEX_SEGMENT_SLOTS - 1);
    uint32_t slot_index = slot_home(hash);
    for (uint32_t probe = 0; probe < INDEX_SEGMENT_SLOTS; probe++) {
        if (segment->slots[slot_index] == 0) {
            segment->slots[slot_index] = slot;
            segment->count++;
            return;
        }
        slot_index = slot_next(slot_index);
    }
    ASSERT(false);
}

/*
 * Empties slot_index and shifts later entries of its cluster back into the
 * hole when that keeps them at or after their home (Knuth's algorithm R).
 */
static void segment_delete(struct index_segment *segment, uint32_t slot_index) {
    ASSERT(segment->slots[slot_index] != 0);
    ASSERT(segment->count > 0);
    uint32_t hole = slot_index;
    uint32_t probe_index = slot_index;
    for (uint32_t probe = 0; probe < INDEX_SEGMENT_SLOTS; probe++) {
        probe_index = slot_next(probe_index);
        uint64_t slot = segment->slots[probe_index];
        if (slot == 0) {
            break;
        }
        uint32_t home = slot_rehome(slot);
        /* The entry may move back to the hole if the hole is not before its home. */
        uint64_t distance_home = (probe_index - home) & INDEX_SLOT_MASK;
        uint64_t distance_hole = (probe_index - hole) & INDEX_SLOT_MASK;
        if (distance_home >= distance_hole) {
            segment->slots[hole] = slot;
            hole = probe_index;
        }
    }
    ASSERT(segment->slots[probe_index] == 0);
    segment->slots[hole] = 0;
    segment->count--;
}

/* ==== Growth ==== */

static struct index_segment *segment_create(struct heap *heap, uint32_t local_depth) {
    ASSERT(local_depth <= INDEX_GLOBAL_DEPTH_MAX);
    struct index_segment *segment = heap_alloc(heap, sizeof(struct index_segment));
    if (segment == NULL) {
        return NULL;
    }
    memset(segment, 0, sizeof(*segment));
    segment->local_depth = local_depth;
    ASSERT(segment->count == 0);
    return segment;
}

/* Moves the directory into `target` (twice the slots) and raises global_depth. */
static void directory_double(struct index *index, struct index_segment **target) {
    ASSERT(target != NULL);
    ASSERT(index->global_depth < INDEX_GLOBAL_DEPTH_MAX);
    uint64_t count = directory_count(index);
    /* Top-bit indexing: old slot i becomes new slots 2i and 2i + 1. */
    for (uint64_t source = 0; source < count; source++) {
        target[2 * source] = index->directory[source];
        target[2 * source + 1] = index->directory[source];
    }
    heap_free(index->heap, index->directory);
    index->directory = target;
    index->global_depth++;
    ASSERT(directory_count(index) == 2 * count);
}

/*
 * Splits `source` (which fills the directory slots around directory_index)
 * into itself and `target`: items whose next hash bit is 1 move to target.
 */
static void segment_split(struct index *index, uint64_t directory_index,
                          struct index_segment *target) {
    struct index_segment *source = index->directory[directory_index];
    ASSERT(source->local_depth < index->global_depth);
    ASSERT(target->count == 0);
    uint32_t depth = source->local_depth;
    uint64_t span = segment_span(index, source);
    uint64_t first = directory_index & ~(span - 1);
    /* A copy of the slots, so entries can be placed afresh in both segments. */
    uint64_t slots[INDEX_SEGMENT_SLOTS];
    memcpy(slots, source->slots, sizeof(slots));
    memset(source->slots, 0, sizeof(source->slots));
    uint32_t moved_count = source->count;
    source->count = 0;
    for (uint32_t slot_index = 0; slot_index < INDEX_SEGMENT_SLOTS; slot_index++) {
        if (slots[slot_index] == 0) {
            continue;
        }
        uint64_t hash = index_hash(item_key(slot_item(slots[slot_index])));
        bool upper = ((hash >> (63u - depth)) & 1u) != 0;
        segment_place(upper ? target : source, slots[slot_index], hash);
    }
    ASSERT(source->count + target->count == moved_count);
    source->local_depth = depth + 1;
    target->local_depth = depth + 1;
    for (uint64_t offset = span / 2; offset < span; offset++) {
        index->directory[first + offset] = target;
    }
    index->segment_count++;
}

/* One split of the segment holding `hash`; false when the heap has no room. */
static bool index_grow(struct index *index, uint64_t hash) {
    struct index_segment *segment = segment_of(index, hash);
    ASSERT(segment->count == INDEX_SEGMENT_FILL_MAX);
    uint32_t segment_count = index->segment_count;
    bool doubling = segment->local_depth == index->global_depth;
    if (doubling && index->global_depth == INDEX_GLOBAL_DEPTH_MAX) {
        return false;
    }
    /* Everything is allocated before anything moves: a failure changes nothing. */
    struct index_segment **directory = NULL;
    if (doubling) {
        uint64_t size = 2 * directory_count(index) * sizeof(struct index_segment *);
        directory = heap_alloc(index->heap, size);
        if (directory == NULL) {
            return false;
        }
    }
    struct index_segment *target = segment_create(index->heap, segment->local_depth + 1);
    if (target == NULL) {
        if (directory != NULL) {
            heap_free(index->heap, directory);
        }
        return false;
    }
    if (doubling) {
        directory_double(index, directory);
    }
    segment_split(index, directory_index_of(index, hash), target);
    ASSERT(index->segment_count == segment_count + 1);
    ASSERT(segment->local_depth == target->local_depth);
    return true;
}

/* ==== Public API ==== */

void index_seed(uint64_t seed) {
    index_hash_seed = seed;
}

uint64_t index_hash(struct slice key) {
    ASSERT(key.ptr != NULL || key.size == 0);
    return XXH3_64bits_withSeed(key.ptr, key.size, index_hash_seed);
}

bool index_init(struct index *index, struct heap *heap) {
    ASSERT(index != NULL);
    ASSERT(heap != NULL);
    memset(index, 0, sizeof(*index));
    index->heap = heap;
    struct index_segment **directory = heap_alloc(heap, sizeof(struct index_segment *));
    if (directory == NULL) {
        return false;
    }
    struct index_segment *segment = segment_create(heap, 0);
    if (segment == NULL) {
        heap_free(heap, directory);
        return false;
    }
    directory[0] = segment;
    index->directory = directory;
    index->global_depth = 0;
    index->segment_count = 1;
    index->count = 0;
    return true;
}

void index_release(struct index *index) {
    ASSERT(index->directory != NULL);
    uint64_t count = directory_count(index);
    uint32_t released_count = 0;
    for (uint64_t directory_index = 0; directory_index < count;) {
        struct index_segment *segment = index->directory[directory_index];
        uint64_t span = segment_span(index, segment);
        ASSERT(directory_index % span == 0);
        heap_free(index->heap, segment);
        released_count++;
        directory_index += span;
    }
    ASSERT(released_count == index->segment_count);
    heap_free(index->heap, index->directory);
    index->directory = NULL;
    index->segment_count = 0;
    index->count = 0;
}

struct item *index_find(const struct index *index, struct slice key, uint64_t hash) {
    ASSERT(index->directory != NULL);
    const struct index_segment *segment = segment_of(index, hash);
    uint32_t slot_index = segment_find(segment, key, hash);
    if (slot_index == INDEX_SEGMENT_SLOTS) {
        return NULL;
    }
    struct item *item = slot_item(segment->slots[slot_index]);
    ASSERT(item->key_size == key.size);
    return item;
}

bool index_prepare_insert(struct index *index, uint64_t hash) {
    ASSERT(index->directory != NULL);
    /* Each split raises the local depth of the segment holding hash. */
    for (uint32_t split = 0; split <= INDEX_GLOBAL_DEPTH_MAX; split++) {
        if (segment_of(index, hash)->count < INDEX_SEGMENT_FILL_MAX) {
            return true;
        }
        if (!index_grow(index, hash)) {
            return false;
        }
    }
    ASSERT(false); /* local depth cannot pass INDEX_GLOBAL_DEPTH_MAX */
    return false;
}

void index_insert(struct index *index, struct item *item, uint64_t hash) {
    ASSERT(item != NULL);
    struct index_segment *segment = segment_of(index, hash);
    ASSERT(segment->count < INDEX_SEGMENT_FILL_MAX); /* index_prepare_insert ran */
    ASSERT(segment_find(segment, item_key(item), hash) == INDEX_SEGMENT_SLOTS);
    segment_place(segment, slot_make(item, hash), hash);
    index->count++;
}

void index_replace(struct index *index, struct item *old_item, struct item *new_item,
                   uint64_t hash) {
    ASSERT(old_item != NULL);
    ASSERT(new_item != NULL);
    ASSERT(slice_equal(item_key(old_item), item_key(new_item)));
    struct index_segment *segment = segment_of(index, hash);
    uint32_t slot_index = segment_find(segment, item_key(old_item), hash);
    ASSERT(slot_index < INDEX_SEGMENT_SLOTS);
    ASSERT(slot_item(segment->slots[slot_index]) == old_item);
    segment->slots[slot_index] = slot_make(new_item, hash);
}

struct item *index_remove(struct index *index, struct slice key, uint64_t hash) {
    ASSERT(index->directory != NULL);
    struct index_segment *segment = segment_of(index, hash);
    uint32_t slot_index = segment_find(segment, key, hash);
    if (slot_index == INDEX_SEGMENT_SLOTS) {
        return NULL;
    }
    struct item *item = slot_item(segment->slots[slot_index]);
    segment_delete(segment, slot_index);
    ASSERT(index->count > 0);
    index->count--;
    return item;
}

/* Collects items from one segment starting at cursor->slot_index. */
static uint32_t walk_segment(const struct index_segment *segment, struct index_cursor *cursor,
                             uint32_t *slots_left, struct item **items, uint32_t items_max) {
    ASSERT(cursor->slot_index < INDEX_SEGMENT_SLOTS);
    ASSERT(*slots_left > 0);
    uint32_t written = 0;
    while (cursor->slot_index < INDEX_SEGMENT_SLOTS && *slots_left > 0 && written < items_max) {
        uint64_t slot = segment->slots[cursor->slot_index];
        if (slot != 0) {
            items[written] = slot_item(slot);
            written++;
        }
        cursor->slot_index++;
        *slots_left -= 1;
    }
    ASSERT(written <= items_max);
    return written;
}

uint32_t index_walk(const struct index *index, struct index_cursor *cursor, uint32_t slots_max,
                    struct item **items, uint32_t items_max, bool *done) {
    ASSERT(index->directory != NULL);
    ASSERT(items != NULL || items_max == 0);
    *done = false;
    uint64_t count = directory_count(index);
    uint32_t slots_left = slots_max;
    uint32_t written = 0;
    /* Each pass visits a slot or leaves a directory slot: bounded by both counts. */
    for (uint64_t pass = 0; pass <= (uint64_t)slots_max + count; pass++) {
        if (cursor->directory_index >= count || slots_left == 0 || written == items_max) {
            break;
        }
        const struct index_segment *segment = index->directory[cursor->directory_index];
        uint64_t span = segment_span(index, segment);
        uint64_t first = cursor->directory_index & ~(span - 1);
        if (cursor->directory_index == first) {
            written += walk_segment(segment, cursor, &slots_left, items + written,
                                    items_max - written);
            if (cursor->slot_index < INDEX_SEGMENT_SLOTS) {
                continue;
            }
        }
        /* Done with this segment (or it was visited at its first directory slot). */
        cursor->directory_index = first + span;
        cursor->slot_index = 0;
    }
    if (cursor->directory_index >= count) {
        /* Wrapped past the end: the next walk starts over. */
        *done = true;
        cursor->directory_index = 0;
        cursor->slot_index = 0;
    }
    ASSERT(written <= items_max);
    return written;
}

/* ==== SCAN and random items ==== */

#define INDEX_RANDOM_TRIES 8u

/* The first hash of the range held by a segment of `local_depth` that holds `position`. */
static uint64_t range_first(uint32_t local_depth, uint64_t position) {
    ASSERT(local_depth <= INDEX_GLOBAL_DEPTH_MAX);
    if (local_depth == 0) {
        return 0; /* a shift by 64 would be undefined */
    }
    uint64_t range_size = (uint64_t)1 << (64u - local_depth);
    uint64_t first = position & ~(range_size - 1);
    ASSERT(first <= position);
    return first;
}

/* The first hash after that range, 0 when the range ends the hash space. */
static uint64_t range_next(uint32_t local_depth, uint64_t first) {
    ASSERT(local_depth <= INDEX_GLOBAL_DEPTH_MAX);
    if (local_depth == 0) {
        return 0;
    }
    uint64_t range_size = (uint64_t)1 << (64u - local_depth);
    ASSERT((first & (range_size - 1)) == 0);
    return first + range_size; /* wraps to 0 after the last range */
}

uint32_t index_scan(const struct index *index, uint64_t position, struct item **items,
                    uint64_t *next) {
    ASSERT(index->directory != NULL);
    ASSERT(items != NULL);
    const struct index_segment *segment = segment_of(index, position);
    uint64_t first = range_first(segment->local_depth, position);
    /* Mid-range only when the directory got coarser since the cursor was made. */
    bool filter = position != first;
    uint32_t written = 0;
    for (uint32_t slot_index = 0; slot_index < INDEX_SEGMENT_SLOTS; slot_index++) {
        uint64_t slot = segment->slots[slot_index];
        if (slot == 0) {
            continue;
        }
        struct item *item = slot_item(slot);
        if (filter && index_hash(item_key(item)) < position) {
            continue;
        }
        items[written] = item;
        written++;
    }
    ASSERT(written <= segment->count);
    *next = range_next(segment->local_depth, first);
    ASSERT(*next == 0 || *next > position);
    return written;
}

/* One step of splitmix64: spreads a counter or a weak seed over 64 bits. */
static uint64_t random_mix(uint64_t value) {
    value += 0x9e3779b97f4a7c15u;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9u;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebu;
    return value ^ (value >> 31);
}

/* The first item from slot_index on, probing forward (wrapping) inside a non-empty segment. */
static struct item *segment_probe(const struct index_segment *segment, uint32_t slot_index) {
    ASSERT(segment->count > 0);
    ASSERT(slot_index < INDEX_SEGMENT_SLOTS);
    for (uint32_t probe = 0; probe < INDEX_SEGMENT_SLOTS; probe++) {
        uint64_t slot = segment->slots[slot_index];
        if (slot != 0) {
            return slot_item(slot);
        }
        slot_index = slot_next(slot_index);
    }
    ASSERT(false); /* count > 0 */
    return NULL;
}

struct item *index_random(const struct index *index, uint64_t random) {
    ASSERT(index->directory != NULL);
    if (index->count == 0) {
        return NULL;
    }
    uint64_t count = directory_count(index);
    uint64_t directory_index = 0;
    for (uint32_t try = 0; try < INDEX_RANDOM_TRIES; try++) {
        random = random_mix(random);
        directory_index = (random >> 16) & (count - 1);
        const struct index_segment *segment = index->directory[directory_index];
        if (segment->count > 0) {
            return segment_probe(segment, (uint32_t)(random & INDEX_SLOT_MASK));
        }
    }
    /* Mostly empty segments: take the next non-empty one (count > 0, so one exists). */
    for (uint64_t step = 0; step < count; step++) {
        directory_index = (directory_index + 1) & (count - 1);
        const struct index_segment *segment = index->directory[directory_index];
        if (segment->count > 0) {
            return segment_probe(segment, (uint32_t)(random & INDEX_SLOT_MASK));
        }
    }
    ASSERT(false);
    return NULL;
}

static void verify_segment(const struct index *index, uint64_t first,
                           const struct index_segment *segment) {
    uint32_t count = 0;
    uint64_t span = segment_span(index, segment);
    for (uint32_t slot_index = 0; slot_index < INDEX_SEGMENT_SLOTS; slot_index++) {
        uint64_t slot = segment->slots[slot_index];
        if (slot == 0) {
            continue;
        }
        count++;
        struct item *item = slot_item(slot);
        uint64_t hash = index_hash(item_key(item));
        ASSERT((slot >> INDEX_POINTER_BITS) == slot_fingerprint(hash));
        uint64_t directory_index = directory_index_of(index, hash);
        ASSERT(directory_index >= first);
        ASSERT(directory_index < first + span);
        /* Reachable from its home and the first match for its key. */
        ASSERT(segment_find(segment, item_key(item), hash) == slot_index);
    }
    ASSERT(count == segment->count);
    ASSERT(count <= INDEX_SEGMENT_FILL_MAX);
}

void index_verify(const struct index *index) {
    ASSERT(index->directory != NULL);
    ASSERT(index->global_depth <= INDEX_GLOBAL_DEPTH_MAX);
    uint64_t count = directory_count(index);
    uint64_t item_count = 0;
    uint32_t segment_count = 0;
    for (uint64_t directory_index = 0; directory_index < count;) {
        const struct index_segment *segment = index->directory[directory_index];
        ASSERT(segment != NULL);
        ASSERT(heap_contains(index->heap, segment));
        uint64_t span = segment_span(index, segment);
        ASSERT(directory_index % span == 0);
        for (uint64_t offset = 0; offset < span; offset++) {
            ASSERT(index->directory[directory_index + offset] == segment);
        }
        if (directory_index + span < count) {
            ASSERT(index->directory[directory_index + span] != segment);
        }
        verify_segment(index, directory_index, segment);
        item_count += segment->count;
        segment_count++;
        directory_index += span;
    }
    ASSERT(item_count == index->count);
    ASSERT(segment_count == index->segment_count);
}
