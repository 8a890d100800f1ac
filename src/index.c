/*
 * index.c: the hash index, extendible hashing over heap objects (see index.h).
 *
 * Invariants:
 * - The directory has 2^global_depth slots. A segment of local depth d
 *   (d <= global_depth) fills the 2^(global_depth - d) consecutive directory
 *   slots whose index shares its top d bits, and holds exactly the items
 *   whose hash starts with those d bits.
 * - Inside a segment an item sits at its home slot or after it, with no empty
 *   slot in between (linear probing, wrapping inside the segment). Deletion
 *   shifts later entries back instead of leaving tombstones, so this holds at
 *   all times.
 * - A segment holds fewer than segment_fill_max(capacity) items, so every
 *   probe meets an empty slot within `capacity` steps.
 *
 * Slot layout (0 is empty):
 *
 *   63              44 43                                      0
 *   +-----------------+----------------------------------------+
 *   | hash bits 0..19 | item pointer >> 3 (user space < 2^47)   |
 *   +-----------------+----------------------------------------+
 *
 * The home slot is (hash bits 0..15) * capacity >> 16: a function of the bits
 * the slot keeps, so resizing moves slots without reading any item. The 20
 * bits also filter key comparisons: entries met while probing have homes at
 * or near ours, so a stored value equal to ours is a false match only about
 * one time in 1,000 per entry. The directory uses the top bits (>= 32).
 * Splits need the bit below the local depth, which the slot does not keep,
 * so a split recomputes the hash of each item it moves from its key.
 */
#include "index.h"

#include <xxhash.h>

/* Resizes from the smallest to the largest capacity (~1/8 apart) plus splits. */
#define INDEX_GROW_STEPS_MAX 128u
#define INDEX_POINTER_BITS 44u
#define INDEX_POINTER_MASK (((uint64_t)1 << INDEX_POINTER_BITS) - 1)
#define INDEX_HASH_BITS 20u
#define INDEX_HASH_MASK (((uint64_t)1 << INDEX_HASH_BITS) - 1)
#define INDEX_HOME_BITS 16u
#define INDEX_HOME_MASK (((uint64_t)1 << INDEX_HOME_BITS) - 1)

STATIC_ASSERT(INDEX_POINTER_BITS + INDEX_HASH_BITS == 64, "a slot is 64 bits");
STATIC_ASSERT(INDEX_HOME_BITS <= INDEX_HASH_BITS, "the home comes from the kept bits");
STATIC_ASSERT(INDEX_SEGMENT_SLOTS <= ((uint64_t)1 << INDEX_HOME_BITS), "home bits cover slots");
STATIC_ASSERT(INDEX_SEGMENT_FILL_MAX < INDEX_SEGMENT_SLOTS, "a probe always meets an empty slot");
STATIC_ASSERT(INDEX_GLOBAL_DEPTH_MAX <= 32, "directory bits stay above the kept bits");
STATIC_ASSERT(INDEX_SEGMENT_SLOTS_MIN >= 8, "a minimal segment takes one item before growing");

static uint64_t index_hash_seed = 0;

/* ==== Slots and hashing ==== */

static uint64_t slot_make(const struct item *item, uint64_t hash) {
    uint64_t address = (uint64_t)(uintptr_t)item;
    ASSERT(address != 0);
    ASSERT(address % 8 == 0);
    ASSERT((address >> 3) <= INDEX_POINTER_MASK);
    return ((hash & INDEX_HASH_MASK) << INDEX_POINTER_BITS) | (address >> 3);
}

struct item *index_slot_item(uint64_t slot) {
    ASSERT(slot != 0);
    struct item *item = (struct item *)(uintptr_t)((slot & INDEX_POINTER_MASK) << 3);
    ASSERT(item != NULL);
    return item;
}

static struct item *slot_item(uint64_t slot) {
    return index_slot_item(slot);
}

static bool slot_matches(uint64_t slot, uint64_t hash, struct slice key) {
    ASSERT(slot != 0);
    if ((slot >> INDEX_POINTER_BITS) != (hash & INDEX_HASH_MASK)) {
        return false;
    }
    return slice_equal(item_key(slot_item(slot)), key);
}

uint32_t index_slot_home(uint64_t hash, uint32_t capacity) {
    ASSERT(capacity > 0 && capacity <= INDEX_SEGMENT_SLOTS);
    uint32_t home = (uint32_t)(((hash & INDEX_HOME_MASK) * capacity) >> INDEX_HOME_BITS);
    ASSERT(home < capacity);
    return home;
}

static uint32_t slot_next(const struct index_segment *segment, uint32_t slot_index) {
    ASSERT(slot_index < segment->capacity);
    return slot_index + 1u == segment->capacity ? 0 : slot_index + 1u;
}

/* The home slot of the entry a slot holds, from the bits it keeps. */
static uint32_t slot_home(const struct index_segment *segment, uint64_t slot) {
    return index_slot_home(slot >> INDEX_POINTER_BITS, segment->capacity);
}

/* Items a segment of `capacity` slots may hold before it must grow: 7/8. */
static uint32_t segment_fill_max(uint32_t capacity) {
    ASSERT(capacity >= INDEX_SEGMENT_SLOTS_MIN && capacity <= INDEX_SEGMENT_SLOTS);
    uint32_t fill_max = capacity - capacity / 8u;
    ASSERT(fill_max < capacity);
    return fill_max;
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
    ASSERT(segment->count < segment->capacity);
    return segment;
}

/* ==== Probing inside a segment ==== */

/* The slot index holding key, or INDEX_SEGMENT_SLOTS when absent. */
static uint32_t segment_find(const struct index_segment *segment, struct slice key,
                             uint64_t hash) {
    ASSERT(segment->count < segment->capacity);
    uint32_t slot_index = index_slot_home(hash, segment->capacity);
    for (uint32_t probe = 0; probe < segment->capacity; probe++) {
        uint64_t slot = segment->slots[slot_index];
        if (slot == 0) {
            return INDEX_SEGMENT_SLOTS;
        }
        if (slot_matches(slot, hash, key)) {
            return slot_index;
        }
        slot_index = slot_next(segment, slot_index);
    }
    ASSERT(false); /* a segment always has an empty slot */
    return INDEX_SEGMENT_SLOTS;
}

/* Places a slot at the first empty position from its home. */
static void segment_place(struct index_segment *segment, uint64_t slot) {
    ASSERT(slot != 0);
    ASSERT(segment->count + 1u < segment->capacity);
    uint32_t slot_index = slot_home(segment, slot);
    for (uint32_t probe = 0; probe < segment->capacity; probe++) {
        if (segment->slots[slot_index] == 0) {
            segment->slots[slot_index] = slot;
            segment->count++;
            return;
        }
        slot_index = slot_next(segment, slot_index);
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
    uint32_t capacity = segment->capacity;
    uint32_t hole = slot_index;
    uint32_t probe_index = slot_index;
    for (uint32_t probe = 0; probe < capacity; probe++) {
        probe_index = slot_next(segment, probe_index);
        uint64_t slot = segment->slots[probe_index];
        if (slot == 0) {
            break;
        }
        uint32_t home = slot_home(segment, slot);
        /* The entry may move back to the hole if the hole is not before its home. */
        uint32_t distance_home = (probe_index + capacity - home) % capacity;
        uint32_t distance_hole = (probe_index + capacity - hole) % capacity;
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

static uint64_t segment_bytes(uint32_t capacity) {
    return sizeof(struct index_segment) + (uint64_t)capacity * sizeof(uint64_t);
}

/*
 * The capacity for a segment about to hold `count` items: room for 1/6 more
 * (so it is at most 6/7 full when made, below the 7/8 that makes it grow),
 * rounded up to fill the heap object it will occupy (classes are about 1/8
 * apart, so a resize lands near 7/9 full), at most INDEX_SEGMENT_SLOTS.
 */
static uint32_t segment_capacity_for(const struct heap *heap, uint32_t count) {
    ASSERT(count <= INDEX_SEGMENT_FILL_MAX);
    uint32_t wanted = MAX(INDEX_SEGMENT_SLOTS_MIN, count + count / 6u + 1u);
    if (wanted >= INDEX_SEGMENT_SLOTS) {
        return INDEX_SEGMENT_SLOTS;
    }
    uint64_t held = heap_size_for(heap, segment_bytes(wanted));
    uint64_t capacity = (held - sizeof(struct index_segment)) / sizeof(uint64_t);
    capacity = MIN(capacity, (uint64_t)INDEX_SEGMENT_SLOTS);
    ASSERT(capacity >= wanted);
    return (uint32_t)capacity;
}

static struct index_segment *segment_create(struct heap *heap, uint32_t local_depth,
                                            uint32_t capacity) {
    ASSERT(local_depth <= INDEX_GLOBAL_DEPTH_MAX);
    ASSERT(capacity >= INDEX_SEGMENT_SLOTS_MIN && capacity <= INDEX_SEGMENT_SLOTS);
    struct index_segment *segment = heap_alloc(heap, segment_bytes(capacity));
    if (segment == NULL) {
        return NULL;
    }
    memset(segment, 0, segment_bytes(capacity));
    segment->local_depth = local_depth;
    segment->capacity = capacity;
    ASSERT(segment->count == 0);
    return segment;
}

/* Points every directory slot of `old` (which fills the slots around directory_index) at `new`. */
static void directory_redirect(struct index *index, uint64_t directory_index,
                               const struct index_segment *old, struct index_segment *new) {
    uint64_t span = segment_span(index, old);
    uint64_t first = directory_index & ~(span - 1);
    for (uint64_t offset = 0; offset < span; offset++) {
        ASSERT(index->directory[first + offset] == old);
        index->directory[first + offset] = new;
    }
}

/* Copies the segment holding `hash` into a larger one; false when the heap has no room. */
static bool segment_resize(struct index *index, uint64_t hash) {
    struct index_segment *segment = segment_of(index, hash);
    uint32_t capacity = segment_capacity_for(index->heap, segment->count);
    ASSERT(capacity > segment->capacity);
    struct index_segment *larger = segment_create(index->heap, segment->local_depth, capacity);
    if (larger == NULL) {
        return false;
    }
    for (uint32_t slot_index = 0; slot_index < segment->capacity; slot_index++) {
        if (segment->slots[slot_index] != 0) {
            segment_place(larger, segment->slots[slot_index]);
        }
    }
    ASSERT(larger->count == segment->count);
    directory_redirect(index, directory_index_of(index, hash), segment, larger);
    heap_free(index->heap, segment);
    return true;
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

/* Counts the items of `segment` whose hash bit below `depth` bits is 1. */
static uint32_t split_upper_count(const struct index_segment *segment, uint32_t depth) {
    uint32_t upper = 0;
    for (uint32_t slot_index = 0; slot_index < segment->capacity; slot_index++) {
        uint64_t slot = segment->slots[slot_index];
        if (slot != 0) {
            uint64_t hash = index_hash(item_key(slot_item(slot)));
            upper += (uint32_t)((hash >> (63u - depth)) & 1u);
        }
    }
    ASSERT(upper <= segment->count);
    return upper;
}

/*
 * Splits `source` (which fills the directory slots around directory_index)
 * into `lower` and `upper` by the next hash bit, then frees it.
 */
static void segment_split(struct index *index, uint64_t directory_index,
                          struct index_segment *lower, struct index_segment *upper) {
    struct index_segment *source = index->directory[directory_index];
    ASSERT(source->local_depth < index->global_depth);
    ASSERT(lower->count == 0 && upper->count == 0);
    uint32_t depth = source->local_depth;
    uint64_t span = segment_span(index, source);
    uint64_t first = directory_index & ~(span - 1);
    for (uint32_t slot_index = 0; slot_index < source->capacity; slot_index++) {
        uint64_t slot = source->slots[slot_index];
        if (slot == 0) {
            continue;
        }
        uint64_t hash = index_hash(item_key(slot_item(slot)));
        bool to_upper = ((hash >> (63u - depth)) & 1u) != 0;
        segment_place(to_upper ? upper : lower, slot);
    }
    ASSERT(lower->count + upper->count == source->count);
    for (uint64_t offset = 0; offset < span; offset++) {
        index->directory[first + offset] = offset < span / 2 ? lower : upper;
    }
    heap_free(index->heap, source);
    index->segment_count++;
}

/* Frees whichever of the given objects were allocated; returns false. */
static bool grow_undo(struct heap *heap, void *first, void *second, void *third) {
    void *objects[3] = { first, second, third };
    for (uint32_t index = 0; index < 3; index++) {
        if (objects[index] != NULL) {
            heap_free(heap, objects[index]);
        }
    }
    return false;
}

/* One split of the full segment holding `hash`; false when the heap has no room. */
static bool segment_split_at(struct index *index, uint64_t hash) {
    struct index_segment *segment = segment_of(index, hash);
    ASSERT(segment->capacity == INDEX_SEGMENT_SLOTS);
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
    uint32_t depth = segment->local_depth;
    uint32_t upper_count = split_upper_count(segment, depth);
    uint32_t lower_count = segment->count - upper_count;
    struct index_segment *lower =
        segment_create(index->heap, depth + 1, segment_capacity_for(index->heap, lower_count));
    struct index_segment *upper =
        segment_create(index->heap, depth + 1, segment_capacity_for(index->heap, upper_count));
    if (lower == NULL || upper == NULL) {
        return grow_undo(index->heap, directory, lower, upper);
    }
    if (doubling) {
        directory_double(index, directory);
    }
    segment_split(index, directory_index_of(index, hash), lower, upper);
    ASSERT(index->segment_count == segment_count + 1);
    return true;
}

/* One growth step for the segment holding `hash`: a resize, or a split at full size. */
static bool index_grow(struct index *index, uint64_t hash) {
    const struct index_segment *segment = segment_of(index, hash);
    ASSERT(segment->count == segment_fill_max(segment->capacity));
    if (segment->capacity < INDEX_SEGMENT_SLOTS) {
        return segment_resize(index, hash);
    }
    return segment_split_at(index, hash);
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
    struct index_segment *segment = segment_create(heap, 0, INDEX_SEGMENT_SLOTS_MIN);
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
    ASSERT(item_key_size(item) == key.size);
    return item;
}

bool index_prepare_insert(struct index *index, uint64_t hash) {
    ASSERT(index->directory != NULL);
    /* Each step enlarges the segment holding hash or raises its local depth. */
    for (uint32_t step = 0; step < INDEX_GROW_STEPS_MAX; step++) {
        const struct index_segment *segment = segment_of(index, hash);
        if (segment->count < segment_fill_max(segment->capacity)) {
            return true;
        }
        if (!index_grow(index, hash)) {
            return false;
        }
    }
    ASSERT(false); /* resizes to the largest capacity, then local depth <= the maximum */
    return false;
}

void index_insert(struct index *index, struct item *item, uint64_t hash) {
    ASSERT(item != NULL);
    struct index_segment *segment = segment_of(index, hash);
    ASSERT(segment->count < segment_fill_max(segment->capacity)); /* prepare_insert ran */
    ASSERT(segment_find(segment, item_key(item), hash) == INDEX_SEGMENT_SLOTS);
    segment_place(segment, slot_make(item, hash));
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
    ASSERT(*slots_left > 0);
    uint32_t written = 0;
    while (cursor->slot_index < segment->capacity && *slots_left > 0 && written < items_max) {
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
            if (cursor->slot_index < segment->capacity) {
                continue; /* (a resize between walks may leave the cursor past the end) */
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
    for (uint32_t slot_index = 0; slot_index < segment->capacity; slot_index++) {
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
    ASSERT(slot_index < segment->capacity);
    for (uint32_t probe = 0; probe < segment->capacity; probe++) {
        uint64_t slot = segment->slots[slot_index];
        if (slot != 0) {
            return slot_item(slot);
        }
        slot_index = slot_next(segment, slot_index);
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
            return segment_probe(segment, (uint32_t)(random % segment->capacity));
        }
    }
    /* Mostly empty segments: take the next non-empty one (count > 0, so one exists). */
    for (uint64_t step = 0; step < count; step++) {
        directory_index = (directory_index + 1) & (count - 1);
        const struct index_segment *segment = index->directory[directory_index];
        if (segment->count > 0) {
            return segment_probe(segment, (uint32_t)(random % segment->capacity));
        }
    }
    ASSERT(false);
    return NULL;
}

static void verify_segment(const struct index *index, uint64_t first,
                           const struct index_segment *segment) {
    uint32_t count = 0;
    uint64_t span = segment_span(index, segment);
    ASSERT(segment->capacity >= INDEX_SEGMENT_SLOTS_MIN);
    ASSERT(segment->capacity <= INDEX_SEGMENT_SLOTS);
    for (uint32_t slot_index = 0; slot_index < segment->capacity; slot_index++) {
        uint64_t slot = segment->slots[slot_index];
        if (slot == 0) {
            continue;
        }
        count++;
        struct item *item = slot_item(slot);
        uint64_t hash = index_hash(item_key(item));
        ASSERT((slot >> INDEX_POINTER_BITS) == (hash & INDEX_HASH_MASK));
        uint64_t directory_index = directory_index_of(index, hash);
        ASSERT(directory_index >= first);
        ASSERT(directory_index < first + span);
        /* Reachable from its home and the first match for its key. */
        ASSERT(segment_find(segment, item_key(item), hash) == slot_index);
    }
    ASSERT(count == segment->count);
    ASSERT(count <= segment_fill_max(segment->capacity));
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
