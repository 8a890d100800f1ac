/*
 * set.c: the set value type (see set.h), three encodings behind one header.
 *
 * Every set has a fixed header object (struct set) that the key's item points
 * to, so the item never changes when the representation moves:
 *
 *   intset:    header ──> [ int ][ int ][ int ] ...   sorted, int16/int32/int64 each
 *   listpack:  header ──> [len|bytes][len|bytes] ...  insertion order, LEB128 lengths
 *   hashtable: header ──> [bucket][bucket][bucket] ... power-of-two array of chains
 *                            │
 *                            v
 *                         [next|hash32|size|bytes] ──> [next|hash32|size|bytes]
 *                         <------ 16 B ----->
 *
 * - intset: one heap object of count * int_size bytes, sorted ascending, no
 *   duplicates. A value wider than int_size rewrites the array at the wider
 *   size ("upgrade"); it is then either the new minimum or the new maximum.
 *   Lookups are binary searches. Iteration (SMEMBERS, SSCAN) is sorted.
 * - listpack: one heap object of entries, each a LEB128 length and the bytes.
 *   Lookups are linear, which the listpack limits keep small.
 * - hashtable: a bucket array of 8-byte pointers (load factor at most 1) and
 *   one heap object per member holding the low 32 bits of its XXH3 hash (used
 *   for resizing and to skip most byte comparisons). A 16-byte member takes a
 *   32-byte object.
 *
 * Growth and amortisation: the intset and listpack objects grow to the next
 * heap size class when their slack runs out (classes are at most 12.5% apart;
 * both are bounded by the encoding limits). The hash table doubles its bucket
 * array when an insert would make count exceed the bucket count: a new array
 * is allocated and every entry relinked by its stored hash, in one step. After
 * a doubling to 2b buckets, b more inserts happen before the next one, so each
 * insert pays for at most two relinks: O(1) amortised, with an O(n) pause at
 * powers of two (about 10 ms per million members). When removals leave the
 * table under 10% full it shrinks to the smallest power of two that holds the
 * members, if the heap has room (shrinking is optional, removal never fails).
 *
 * SSCAN on a hash table uses Redis's reverse-binary cursor: the cursor is a
 * bucket index whose bits are incremented from the most significant end of the
 * mask downwards. Because a resize is never left half done between two calls,
 * and bucket b of a table of size 2^k splits into buckets b and b + 2^k of the
 * doubled table (or merges with its sibling when halved), the buckets still to
 * visit after a resize are exactly those whose reversed index is at least the
 * cursor's, so every member present for the whole scan is returned at least
 * once; members may be returned twice after a shrink.
 *
 * Failure: every mutation allocates what it needs before it changes anything;
 * a conversion builds the new representation completely, then frees the old.
 */
#include "set.h"

#include "index.h"

#include <sys/random.h>

struct set {
    uint8_t encoding;       /* enum set_encoding */
    uint8_t int_size;       /* intset: bytes per integer (2, 4 or 8) */
    uint16_t reserved;
    uint32_t reserved_2;
    uint64_t count;         /* members */
    uint8_t *data;          /* intset array, listpack entries, or bucket array; may be NULL */
    uint64_t used_size;     /* intset, listpack: bytes of data in use */
    uint64_t bucket_mask;   /* hashtable: bucket count - 1 */
    uint64_t entries_size;  /* hashtable: usable bytes of every entry object */
};

struct set_entry {
    struct set_entry *next;
    uint32_t hash;          /* low 32 bits of index_hash(member) */
    uint32_t size;
    uint8_t bytes[];
};

STATIC_ASSERT(sizeof(struct set_entry) == 16, "a 16-byte member fits a 32-byte object");
STATIC_ASSERT(SET_DIGITS_SIZE >= 21, "format_int64 needs 21 bytes");

#define VARINT_SIZE_MAX 5u
#define SHRINK_FILL_PERCENT 10u
#define RANDOM_BUCKET_TRIES 64u

/* ==== Allocation (with the tests' failure injection) ==== */

static uint64_t allocation_budget = UINT64_MAX;

void set_fail_after(uint64_t allocation_count) {
    allocation_budget = allocation_count;
}

static void *set_alloc(struct heap *heap, uint64_t size) {
    ASSERT(heap != NULL);
    ASSERT(size > 0);
    if (allocation_budget != UINT64_MAX) {
        if (allocation_budget == 0) {
            return NULL;
        }
        allocation_budget--;
    }
    return heap_alloc(heap, size);
}

/* ==== Random numbers (splitmix64) ==== */

static uint64_t random_state;
static bool random_seeded;

void set_seed(uint64_t seed) {
    random_state = seed;
    random_seeded = true;
}

static uint64_t random_next(void) {
    if (!random_seeded) {
        uint64_t seed = 0;
        ssize_t got = getrandom(&seed, sizeof(seed), 0);
        ASSERT(got == (ssize_t)sizeof(seed));
        set_seed(seed);
    }
    random_state += 0x9e3779b97f4a7c15ull;
    uint64_t z = random_state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t set_random_below(uint64_t limit) {
    ASSERT(limit > 0);
    uint64_t value = random_next() % limit;
    ASSERT(value < limit);
    return value;
}

/* ==== Shared helpers ==== */

static uint64_t intset_max_entries(const struct set_limits *limits) {
    ASSERT(limits != NULL);
    return MIN(limits->intset_entries_max, SET_INTSET_ENTRIES_CAP);
}

/* Releases the data object of an intset or listpack. */
static void data_release(struct heap *heap, struct set *set) {
    ASSERT(set->encoding != SET_ENCODING_HASHTABLE);
    if (set->data != NULL) {
        heap_free(heap, set->data);
    }
    set->data = NULL;
    set->used_size = 0;
}

/* Makes the intset or listpack object hold at least `size` bytes (moving it if needed). */
static bool data_reserve(struct heap *heap, struct set *set, uint64_t size) {
    ASSERT(set->encoding != SET_ENCODING_HASHTABLE);
    ASSERT(size >= set->used_size);
    if (set->data != NULL && heap_usable_size(heap, set->data) >= size) {
        return true;
    }
    uint8_t *data = set_alloc(heap, size);
    if (data == NULL) {
        return false;
    }
    if (set->used_size > 0) {
        memcpy(data, set->data, set->used_size);
    }
    if (set->data != NULL) {
        heap_free(heap, set->data);
    }
    set->data = data;
    ASSERT(heap_usable_size(heap, data) >= size);
    return true;
}

/* After a removal: an object at least twice too large moves to a smaller one if it can. */
static void data_shrink(struct heap *heap, struct set *set) {
    ASSERT(set->encoding != SET_ENCODING_HASHTABLE);
    if (set->used_size == 0) {
        data_release(heap, set);
        return;
    }
    uint64_t usable_size = heap_usable_size(heap, set->data);
    if (usable_size < 2 * set->used_size || heap_size_for(heap, set->used_size) >= usable_size) {
        return;
    }
    uint8_t *data = set_alloc(heap, set->used_size);
    if (data == NULL) {
        return; /* optional: keep the larger object */
    }
    memcpy(data, set->data, set->used_size);
    heap_free(heap, set->data);
    set->data = data;
    ASSERT(heap_usable_size(heap, data) >= set->used_size);
}

/* ==== Intset ==== */

static uint8_t intset_size_for(int64_t value) {
    if (value >= INT16_MIN && value <= INT16_MAX) {
        return 2;
    }
    if (value >= INT32_MIN && value <= INT32_MAX) {
        return 4;
    }
    return 8;
}

static int64_t intset_read(const uint8_t *data, uint8_t int_size, uint64_t index) {
    const uint8_t *at = data + index * int_size;
    if (int_size == 2) {
        int16_t value = 0;
        memcpy(&value, at, sizeof(value));
        return value;
    }
    if (int_size == 4) {
        int32_t value = 0;
        memcpy(&value, at, sizeof(value));
        return value;
    }
    ASSERT(int_size == 8);
    int64_t value = 0;
    memcpy(&value, at, sizeof(value));
    return value;
}

static void intset_write(uint8_t *data, uint8_t int_size, uint64_t index, int64_t value) {
    ASSERT(intset_size_for(value) <= int_size);
    uint8_t *at = data + index * int_size;
    if (int_size == 2) {
        int16_t narrow = (int16_t)value;
        memcpy(at, &narrow, sizeof(narrow));
    } else if (int_size == 4) {
        int32_t narrow = (int32_t)value;
        memcpy(at, &narrow, sizeof(narrow));
    } else {
        ASSERT(int_size == 8);
        memcpy(at, &value, sizeof(value));
    }
}

static int64_t intset_get(const struct set *set, uint64_t index) {
    ASSERT(set->encoding == SET_ENCODING_INTSET);
    ASSERT(index < set->count);
    return intset_read(set->data, set->int_size, index);
}

/* Binary search: true when found; *position is its index or where it would go. */
static bool intset_search(const struct set *set, int64_t value, uint64_t *position) {
    ASSERT(set->encoding == SET_ENCODING_INTSET);
    uint64_t low = 0;
    uint64_t high = set->count;
    for (uint32_t step = 0; step < 64 && low < high; step++) {
        uint64_t middle = low + (high - low) / 2;
        int64_t found = intset_get(set, middle);
        if (found == value) {
            *position = middle;
            return true;
        }
        if (found < value) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    ASSERT(low == high);
    *position = low;
    return false;
}

/* Rewrites the array at the width `value` needs and adds it at the matching end. */
static bool intset_upgrade(struct heap *heap, struct set *set, int64_t value) {
    uint8_t int_size = intset_size_for(value);
    ASSERT(int_size > set->int_size);
    uint64_t used_size = (set->count + 1) * int_size;
    uint8_t *data = set_alloc(heap, used_size);
    if (data == NULL) {
        return false;
    }
    /* Wider than every member: smaller than all of them if negative, else larger. */
    uint64_t shift = value < 0 ? 1 : 0;
    for (uint64_t index = 0; index < set->count; index++) {
        intset_write(data, int_size, index + shift, intset_get(set, index));
    }
    intset_write(data, int_size, value < 0 ? 0 : set->count, value);
    data_release(heap, set);
    set->data = data;
    set->int_size = int_size;
    set->count++;
    set->used_size = used_size;
    return true;
}

static bool intset_insert(struct heap *heap, struct set *set, int64_t value, uint64_t position) {
    ASSERT(position <= set->count);
    if (intset_size_for(value) > set->int_size) {
        return intset_upgrade(heap, set, value);
    }
    uint64_t used_size = set->used_size + set->int_size;
    if (!data_reserve(heap, set, used_size)) {
        return false;
    }
    uint8_t *at = set->data + position * set->int_size;
    memmove(at + set->int_size, at, (set->count - position) * set->int_size);
    intset_write(set->data, set->int_size, position, value);
    set->count++;
    set->used_size = used_size;
    ASSERT(set->used_size == set->count * set->int_size);
    return true;
}

static void intset_remove_at(struct heap *heap, struct set *set, uint64_t position) {
    ASSERT(position < set->count);
    uint8_t *at = set->data + position * set->int_size;
    memmove(at, at + set->int_size, (set->count - position - 1) * set->int_size);
    set->count--;
    set->used_size -= set->int_size;
    ASSERT(set->used_size == set->count * set->int_size);
    data_shrink(heap, set);
}

/* ==== Listpack ==== */

static uint32_t varint_size(uint32_t value) {
    uint32_t size = 1;
    for (; size < VARINT_SIZE_MAX && (value >> (7 * size)) != 0; size++) {
    }
    ASSERT(size >= 1);
    ASSERT(size <= VARINT_SIZE_MAX);
    return size;
}

static uint64_t listpack_entry_size(uint32_t member_size) {
    return (uint64_t)varint_size(member_size) + member_size;
}

/* Writes the entry for member at target; returns its size. */
static uint64_t listpack_entry_write(uint8_t *target, struct slice member) {
    uint32_t head_size = varint_size(member.size);
    for (uint32_t group = 0; group < head_size; group++) {
        uint8_t byte = (uint8_t)((member.size >> (7 * group)) & 0x7f);
        target[group] = group + 1 < head_size ? (uint8_t)(byte | 0x80) : byte;
    }
    if (member.size > 0) {
        memcpy(target + head_size, member.ptr, member.size);
    }
    ASSERT(head_size + (uint64_t)member.size == listpack_entry_size(member.size));
    return head_size + (uint64_t)member.size;
}

/* Decodes the entry at offset into *member; returns the offset of the next one. */
static uint64_t listpack_next(const struct set *set, uint64_t offset, struct slice *member) {
    ASSERT(set->encoding == SET_ENCODING_LISTPACK);
    ASSERT(offset < set->used_size);
    const uint8_t *start = set->data + offset;
    uint32_t size = 0;
    uint32_t group = 0;
    for (; group < VARINT_SIZE_MAX; group++) {
        ASSERT(offset + group < set->used_size);
        size |= (uint32_t)(start[group] & 0x7f) << (7 * group);
        if ((start[group] & 0x80) == 0) {
            break;
        }
    }
    ASSERT(group < VARINT_SIZE_MAX);
    *member = (struct slice){ .ptr = start + group + 1, .size = size };
    uint64_t next = offset + group + 1 + size;
    ASSERT(next <= set->used_size);
    return next;
}

static bool listpack_find(const struct set *set, struct slice member, uint64_t *offset) {
    ASSERT(set->encoding == SET_ENCODING_LISTPACK);
    uint64_t at = 0;
    for (uint64_t index = 0; index < set->count; index++) {
        struct slice found;
        uint64_t next = listpack_next(set, at, &found);
        if (slice_equal(found, member)) {
            *offset = at;
            return true;
        }
        at = next;
    }
    ASSERT(at == set->used_size);
    return false;
}

/* Whether one more member fits the listpack limits (size, length, safety size). */
static bool listpack_accepts(const struct set *set, const struct set_limits *limits,
                             struct slice member) {
    ASSERT(set->encoding == SET_ENCODING_LISTPACK);
    return set->count < limits->listpack_entries_max &&
           member.size <= limits->listpack_value_max &&
           set->used_size + listpack_entry_size(member.size) <= SET_LISTPACK_SIZE_MAX;
}

static bool listpack_append(struct heap *heap, struct set *set, struct slice member) {
    ASSERT(set->encoding == SET_ENCODING_LISTPACK);
    uint64_t used_size = set->used_size + listpack_entry_size(member.size);
    if (!data_reserve(heap, set, used_size)) {
        return false;
    }
    listpack_entry_write(set->data + set->used_size, member);
    set->used_size = used_size;
    set->count++;
    return true;
}

static void listpack_remove_at(struct heap *heap, struct set *set, uint64_t offset) {
    struct slice member;
    uint64_t next = listpack_next(set, offset, &member);
    memmove(set->data + offset, set->data + next, set->used_size - next);
    set->used_size -= next - offset;
    set->count--;
    ASSERT(set->count > 0 || set->used_size == 0);
    data_shrink(heap, set);
}

/* The offset of the entry at index (a walk: listpacks are small). */
static uint64_t listpack_offset_of(const struct set *set, uint64_t index) {
    ASSERT(index < set->count);
    uint64_t offset = 0;
    for (uint64_t walked = 0; walked < index; walked++) {
        struct slice member;
        offset = listpack_next(set, offset, &member);
    }
    ASSERT(offset < set->used_size);
    return offset;
}

/* ==== Hash table ==== */

static struct set_entry **table_buckets(const struct set *set) {
    ASSERT(set->encoding == SET_ENCODING_HASHTABLE);
    ASSERT(set->data != NULL);
    return (struct set_entry **)(void *)set->data;
}

static uint32_t member_hash(struct slice member) {
    return (uint32_t)index_hash(member);
}

static struct slice entry_member(const struct set_entry *entry) {
    return (struct slice){ .ptr = entry->bytes, .size = entry->size };
}

/* The bucket count for `count` members: a power of two, at least count where possible. */
static uint64_t table_size_for(uint64_t count) {
    uint64_t size = SET_BUCKET_COUNT_MIN;
    for (uint32_t step = 0; step < 64 && size < count && size < SET_BUCKET_COUNT_MAX; step++) {
        size <<= 1;
    }
    ASSERT(size >= SET_BUCKET_COUNT_MIN);
    ASSERT(size <= SET_BUCKET_COUNT_MAX);
    return size;
}

static struct set_entry **buckets_allocate(struct heap *heap, uint64_t bucket_count) {
    ASSERT(bucket_count >= SET_BUCKET_COUNT_MIN);
    ASSERT((bucket_count & (bucket_count - 1)) == 0);
    struct set_entry **buckets = set_alloc(heap, bucket_count * sizeof(struct set_entry *));
    if (buckets != NULL) {
        memset(buckets, 0, bucket_count * sizeof(struct set_entry *));
    }
    return buckets;
}

/* The link that points at the member's entry, or NULL when absent. */
static struct set_entry **table_find_link(const struct set *set, struct slice member,
                                          uint32_t hash) {
    struct set_entry **link = &table_buckets(set)[hash & set->bucket_mask];
    for (uint64_t walked = 0; walked <= set->count && *link != NULL; walked++) {
        const struct set_entry *entry = *link;
        if (entry->hash == hash && slice_equal(entry_member(entry), member)) {
            return link;
        }
        link = &(*link)->next;
    }
    ASSERT(*link == NULL);
    return NULL;
}

static struct set_entry *entry_create(struct heap *heap, struct slice member, uint32_t hash) {
    struct set_entry *entry = set_alloc(heap, sizeof(struct set_entry) + (uint64_t)member.size);
    if (entry == NULL) {
        return NULL;
    }
    entry->next = NULL;
    entry->hash = hash;
    entry->size = member.size;
    if (member.size > 0) {
        memcpy(entry->bytes, member.ptr, member.size);
    }
    ASSERT(entry_member(entry).size == member.size);
    return entry;
}

static void table_link(const struct heap *heap, struct set *set, struct set_entry *entry) {
    struct set_entry **bucket = &table_buckets(set)[entry->hash & set->bucket_mask];
    entry->next = *bucket;
    *bucket = entry;
    set->count++;
    set->entries_size += heap_usable_size(heap, entry);
    ASSERT(set->count > 0);
}

/* Moves every entry into a new bucket array of bucket_count; false when no room. */
static bool table_resize(struct heap *heap, struct set *set, uint64_t bucket_count) {
    ASSERT(set->encoding == SET_ENCODING_HASHTABLE);
    struct set_entry **buckets = buckets_allocate(heap, bucket_count);
    if (buckets == NULL) {
        return false;
    }
    struct set_entry **old_buckets = table_buckets(set);
    uint64_t new_mask = bucket_count - 1;
    uint64_t moved = 0;
    for (uint64_t index = 0; index <= set->bucket_mask; index++) {
        struct set_entry *entry = old_buckets[index];
        for (; entry != NULL && moved < set->count; moved++) {
            struct set_entry *next = entry->next;
            entry->next = buckets[entry->hash & new_mask];
            buckets[entry->hash & new_mask] = entry;
            entry = next;
        }
        ASSERT(entry == NULL);
    }
    ASSERT(moved == set->count);
    heap_free(heap, old_buckets);
    set->data = (uint8_t *)buckets;
    set->bucket_mask = new_mask;
    return true;
}

static enum set_add_result table_add(struct heap *heap, struct set *set, struct slice member) {
    uint32_t hash = member_hash(member);
    if (table_find_link(set, member, hash) != NULL) {
        return SET_ADD_EXISTS;
    }
    struct set_entry *entry = entry_create(heap, member, hash);
    if (entry == NULL) {
        return SET_ADD_NO_ROOM;
    }
    uint64_t bucket_count = set->bucket_mask + 1;
    if (set->count + 1 > bucket_count && bucket_count < SET_BUCKET_COUNT_MAX) {
        if (!table_resize(heap, set, bucket_count * 2)) {
            heap_free(heap, entry);
            return SET_ADD_NO_ROOM;
        }
    }
    table_link(heap, set, entry);
    return SET_ADD_ADDED;
}

/* Frees every entry and the bucket array of a table (not its header). */
static void table_release(struct heap *heap, struct set *set) {
    struct set_entry **buckets = table_buckets(set);
    uint64_t freed = 0;
    for (uint64_t index = 0; index <= set->bucket_mask; index++) {
        struct set_entry *entry = buckets[index];
        for (; entry != NULL && freed < set->count; freed++) {
            struct set_entry *next = entry->next;
            heap_free(heap, entry);
            entry = next;
        }
        ASSERT(entry == NULL);
    }
    ASSERT(freed == set->count);
    heap_free(heap, buckets);
    set->data = NULL;
    set->count = 0;
    set->entries_size = 0;
}

static void table_unlink(struct heap *heap, struct set *set, struct set_entry **link) {
    struct set_entry *entry = *link;
    ASSERT(entry != NULL);
    ASSERT(set->count > 0);
    *link = entry->next;
    set->entries_size -= heap_usable_size(heap, entry);
    set->count--;
    heap_free(heap, entry);
    uint64_t bucket_count = set->bucket_mask + 1;
    bool sparse = set->count * 100 < bucket_count * SHRINK_FILL_PERCENT;
    if (bucket_count > SET_BUCKET_COUNT_MIN && sparse) {
        (void)table_resize(heap, set, table_size_for(set->count)); /* optional */
    }
}

/* ==== Conversions ==== */

/*
 * Replaces the representation by a hash table holding every member plus `extra`
 * (when not NULL), with buckets for size_hint members. False: nothing changed.
 */
static bool convert_to_table(struct heap *heap, struct set *set, uint64_t size_hint,
                             const struct slice *extra) {
    ASSERT(set->encoding != SET_ENCODING_HASHTABLE);
    uint64_t total = set->count + (extra != NULL ? 1 : 0);
    struct set table = { .encoding = SET_ENCODING_HASHTABLE };
    uint64_t bucket_count = table_size_for(MAX(size_hint, total));
    table.data = (uint8_t *)buckets_allocate(heap, bucket_count);
    if (table.data == NULL) {
        return false;
    }
    table.bucket_mask = bucket_count - 1;
    struct set_iterator iterator;
    set_iterator_init(&iterator, set);
    struct slice member;
    bool complete = true;
    for (uint64_t index = 0; index < total && complete; index++) {
        if (!set_iterator_next(&iterator, &member)) {
            ASSERT(extra != NULL);
            member = *extra;
        }
        struct set_entry *entry = entry_create(heap, member, member_hash(member));
        if (entry == NULL) {
            complete = false;
        } else {
            table_link(heap, &table, entry);
        }
    }
    if (!complete) {
        table_release(heap, &table);
        return false;
    }
    data_release(heap, set);
    ASSERT(table.count == total);
    set->encoding = SET_ENCODING_HASHTABLE;
    set->count = table.count;
    set->data = table.data;
    set->bucket_mask = table.bucket_mask;
    set->entries_size = table.entries_size;
    return true;
}

/*
 * The listpack size for an intset plus `member`, or 0 when the listpack limits
 * refuse it: too many members, a member or an integer's text too long, or the
 * listpack's safety size.
 */
static uint64_t intset_listpack_size(const struct set *set, const struct set_limits *limits,
                                     struct slice member) {
    ASSERT(set->encoding == SET_ENCODING_INTSET);
    if (set->count >= limits->listpack_entries_max || member.size > limits->listpack_value_max) {
        return 0;
    }
    uint64_t size = listpack_entry_size(member.size);
    char digits[SET_DIGITS_SIZE];
    for (uint64_t index = 0; index < set->count; index++) {
        uint32_t length = format_int64(digits, intset_get(set, index));
        if (length > limits->listpack_value_max) {
            return 0;
        }
        size += listpack_entry_size(length);
    }
    return size <= SET_LISTPACK_SIZE_MAX ? size : 0;
}

/* Rewrites an intset as a listpack of `size` bytes ending with `member`. */
static bool convert_intset_to_listpack(struct heap *heap, struct set *set, struct slice member,
                                       uint64_t size) {
    ASSERT(set->encoding == SET_ENCODING_INTSET);
    uint8_t *data = set_alloc(heap, size);
    if (data == NULL) {
        return false;
    }
    uint64_t offset = 0;
    char digits[SET_DIGITS_SIZE];
    for (uint64_t index = 0; index < set->count; index++) {
        uint32_t length = format_int64(digits, intset_get(set, index));
        struct slice text = { .ptr = (const uint8_t *)digits, .size = length };
        offset += listpack_entry_write(data + offset, text);
    }
    offset += listpack_entry_write(data + offset, member);
    ASSERT(offset == size);
    data_release(heap, set);
    set->encoding = SET_ENCODING_LISTPACK;
    set->data = data;
    set->used_size = size;
    set->count++;
    return true;
}

/* ==== Adding and removing ==== */

static enum set_add_result intset_add(struct heap *heap, struct set *set,
                                      const struct set_limits *limits, struct slice member) {
    int64_t value = 0;
    bool done = false;
    if (!parse_int64(member.ptr, member.size, &value)) {
        uint64_t listpack_size = intset_listpack_size(set, limits, member);
        if (listpack_size > 0) {
            done = convert_intset_to_listpack(heap, set, member, listpack_size);
        } else {
            done = convert_to_table(heap, set, set->count + 1, &member);
        }
        return done ? SET_ADD_ADDED : SET_ADD_NO_ROOM;
    }
    uint64_t position = 0;
    if (intset_search(set, value, &position)) {
        return SET_ADD_EXISTS;
    }
    if (set->count + 1 > intset_max_entries(limits)) {
        done = convert_to_table(heap, set, set->count + 1, &member);
    } else {
        done = intset_insert(heap, set, value, position);
    }
    return done ? SET_ADD_ADDED : SET_ADD_NO_ROOM;
}

static enum set_add_result listpack_add(struct heap *heap, struct set *set,
                                        const struct set_limits *limits, struct slice member) {
    uint64_t offset = 0;
    if (listpack_find(set, member, &offset)) {
        return SET_ADD_EXISTS;
    }
    bool done = false;
    if (listpack_accepts(set, limits, member)) {
        done = listpack_append(heap, set, member);
    } else {
        done = convert_to_table(heap, set, set->count + 1, &member);
    }
    return done ? SET_ADD_ADDED : SET_ADD_NO_ROOM;
}

enum set_add_result set_add(struct heap *heap, struct set *set, const struct set_limits *limits,
                            struct slice member) {
    ASSERT(set != NULL);
    ASSERT(limits != NULL);
    uint64_t count_before = set->count;
    enum set_add_result result = SET_ADD_NO_ROOM;
    switch (set->encoding) {
    case SET_ENCODING_INTSET: result = intset_add(heap, set, limits, member); break;
    case SET_ENCODING_LISTPACK: result = listpack_add(heap, set, limits, member); break;
    default: result = table_add(heap, set, member); break;
    }
    ASSERT(set->count == count_before + (result == SET_ADD_ADDED ? 1 : 0));
    return result;
}

/* The handle of a member, or false when it is absent. */
static bool set_find(const struct set *set, struct slice member, uint64_t *handle) {
    ASSERT(handle != NULL);
    if (set->encoding == SET_ENCODING_INTSET) {
        int64_t value = 0;
        return parse_int64(member.ptr, member.size, &value) && intset_search(set, value, handle);
    }
    if (set->encoding == SET_ENCODING_LISTPACK) {
        return listpack_find(set, member, handle);
    }
    struct set_entry **link = table_find_link(set, member, member_hash(member));
    if (link == NULL) {
        return false;
    }
    *handle = (uint64_t)(uintptr_t)*link;
    return true;
}

bool set_contains(const struct set *set, struct slice member) {
    ASSERT(set != NULL);
    uint64_t handle = 0;
    return set_find(set, member, &handle);
}

bool set_remove(struct heap *heap, struct set *set, struct slice member) {
    ASSERT(set != NULL);
    uint64_t handle = 0;
    if (!set_find(set, member, &handle)) {
        return false;
    }
    set_remove_handle(heap, set, handle);
    return true;
}

void set_remove_handle(struct heap *heap, struct set *set, uint64_t handle) {
    ASSERT(set->count > 0);
    uint64_t count_before = set->count;
    if (set->encoding == SET_ENCODING_INTSET) {
        intset_remove_at(heap, set, handle);
    } else if (set->encoding == SET_ENCODING_LISTPACK) {
        listpack_remove_at(heap, set, handle);
    } else {
        const struct set_entry *entry = (const struct set_entry *)(uintptr_t)handle;
        struct set_entry **link = &table_buckets(set)[entry->hash & set->bucket_mask];
        for (uint64_t walked = 0; walked < set->count && *link != entry; walked++) {
            link = &(*link)->next;
        }
        ASSERT(*link == entry);
        table_unlink(heap, set, link);
    }
    ASSERT(set->count == count_before - 1);
}

/* ==== Creation, destruction, size ==== */

enum set_encoding set_initial_encoding(const struct set_limits *limits, struct slice first,
                                       uint64_t size_hint) {
    ASSERT(limits != NULL);
    int64_t value = 0;
    if (parse_int64(first.ptr, first.size, &value) && size_hint <= intset_max_entries(limits)) {
        return SET_ENCODING_INTSET;
    }
    if (size_hint <= limits->listpack_entries_max) {
        return SET_ENCODING_LISTPACK;
    }
    return SET_ENCODING_HASHTABLE;
}

struct set *set_create(struct heap *heap, enum set_encoding encoding, uint64_t size_hint) {
    ASSERT(encoding >= SET_ENCODING_INTSET);
    ASSERT(encoding <= SET_ENCODING_HASHTABLE);
    struct set *set = set_alloc(heap, sizeof(struct set));
    if (set == NULL) {
        return NULL;
    }
    memset(set, 0, sizeof(*set));
    set->encoding = (uint8_t)encoding;
    set->int_size = 2;
    if (encoding == SET_ENCODING_HASHTABLE) {
        uint64_t bucket_count = table_size_for(size_hint);
        set->data = (uint8_t *)buckets_allocate(heap, bucket_count);
        if (set->data == NULL) {
            heap_free(heap, set);
            return NULL;
        }
        set->bucket_mask = bucket_count - 1;
    }
    return set;
}

bool set_reserve(struct heap *heap, struct set *set, const struct set_limits *limits,
                 uint64_t size_hint) {
    ASSERT(set != NULL);
    ASSERT(limits != NULL);
    bool too_many = (set->encoding == SET_ENCODING_LISTPACK &&
                     size_hint > limits->listpack_entries_max) ||
                    (set->encoding == SET_ENCODING_INTSET &&
                     size_hint > intset_max_entries(limits));
    if (!too_many) {
        return true;
    }
    return convert_to_table(heap, set, size_hint, NULL);
}

void set_destroy(struct heap *heap, struct set *set) {
    ASSERT(set != NULL);
    if (set->encoding == SET_ENCODING_HASHTABLE) {
        table_release(heap, set);
    } else {
        data_release(heap, set);
    }
    heap_free(heap, set);
}

uint64_t set_memory_size(const struct heap *heap, const struct set *set) {
    ASSERT(set != NULL);
    uint64_t size = heap_usable_size(heap, set);
    if (set->data != NULL) {
        size += heap_usable_size(heap, set->data);
    }
    if (set->encoding == SET_ENCODING_HASHTABLE) {
        size += set->entries_size;
    }
    return size;
}

uint64_t set_length(const struct set *set) {
    ASSERT(set != NULL);
    return set->count;
}

enum set_encoding set_encoding_of(const struct set *set) {
    ASSERT(set != NULL);
    return (enum set_encoding)set->encoding;
}

const char *set_encoding_name(const struct set *set) {
    ASSERT(set != NULL);
    switch (set->encoding) {
    case SET_ENCODING_INTSET: return "intset";
    case SET_ENCODING_LISTPACK: return "listpack";
    default: ASSERT(set->encoding == SET_ENCODING_HASHTABLE); return "hashtable";
    }
}

/* Copies a table's chains into `copy` (same bucket count); false when no room. */
static bool table_copy(struct heap *heap, struct set *copy, const struct set *set) {
    const struct set_entry *const *buckets = (const struct set_entry *const *)table_buckets(set);
    struct set_entry **copy_buckets = table_buckets(copy);
    uint64_t copied = 0;
    for (uint64_t index = 0; index <= set->bucket_mask; index++) {
        struct set_entry **tail = &copy_buckets[index];
        const struct set_entry *entry = buckets[index];
        for (; entry != NULL && copied < set->count; entry = entry->next) {
            struct set_entry *clone = entry_create(heap, entry_member(entry), entry->hash);
            if (clone == NULL) {
                return false;
            }
            *tail = clone;
            tail = &clone->next;
            copy->count++;
            copy->entries_size += heap_usable_size(heap, clone);
            copied++;
        }
    }
    ASSERT(copied == set->count);
    return true;
}

void set_swap(struct set *a, struct set *b) {
    ASSERT(a != NULL && b != NULL);
    ASSERT(a != b);
    /* Headers are plain values: nothing points back into one. */
    struct set held = *a;
    *a = *b;
    *b = held;
}

struct set *set_copy(struct heap *heap, const struct set *set) {
    ASSERT(set != NULL);
    struct set *copy = set_create(heap, (enum set_encoding)set->encoding, set->bucket_mask + 1);
    if (copy == NULL) {
        return NULL;
    }
    copy->int_size = set->int_size;
    if (set->encoding == SET_ENCODING_HASHTABLE) {
        if (!table_copy(heap, copy, set)) {
            set_destroy(heap, copy);
            return NULL;
        }
    } else if (set->used_size > 0) {
        if (!data_reserve(heap, copy, set->used_size)) {
            set_destroy(heap, copy);
            return NULL;
        }
        memcpy(copy->data, set->data, set->used_size);
        copy->used_size = set->used_size;
        copy->count = set->count;
    }
    ASSERT(copy->count == set->count);
    return copy;
}

/* ==== Iteration ==== */

void set_iterator_init(struct set_iterator *iterator, const struct set *set) {
    ASSERT(iterator != NULL);
    ASSERT(set != NULL);
    iterator->set = set;
    iterator->position = 0;
    iterator->entry = NULL;
    iterator->remaining = set->count;
}

bool set_iterator_next(struct set_iterator *iterator, struct slice *member) {
    const struct set *set = iterator->set;
    if (iterator->remaining == 0) {
        return false;
    }
    if (set->encoding == SET_ENCODING_INTSET) {
        int64_t value = intset_get(set, iterator->position++);
        uint32_t length = format_int64(iterator->digits, value);
        *member = (struct slice){ .ptr = (const uint8_t *)iterator->digits, .size = length };
    } else if (set->encoding == SET_ENCODING_LISTPACK) {
        iterator->position = listpack_next(set, iterator->position, member);
    } else {
        const struct set_entry *const *buckets =
            (const struct set_entry *const *)table_buckets(set);
        for (uint64_t step = 0; step <= set->bucket_mask && iterator->entry == NULL; step++) {
            ASSERT(iterator->position <= set->bucket_mask);
            iterator->entry = buckets[iterator->position++];
        }
        ASSERT(iterator->entry != NULL);
        *member = entry_member(iterator->entry);
        iterator->entry = iterator->entry->next;
    }
    iterator->remaining--;
    return true;
}

void set_visit(const struct set *set, void *context, set_visit_callback visit) {
    ASSERT(set != NULL);
    ASSERT(visit != NULL);
    struct set_iterator iterator;
    set_iterator_init(&iterator, set);
    struct slice member;
    for (uint64_t index = 0; index < set->count; index++) {
        bool more = set_iterator_next(&iterator, &member);
        ASSERT(more);
        if (!visit(context, member)) {
            return;
        }
    }
}

/* ==== Random members ==== */

/* A random entry of a non-empty table: a random non-empty bucket, then a random link. */
static const struct set_entry *table_random(const struct set *set) {
    const struct set_entry *const *buckets = (const struct set_entry *const *)table_buckets(set);
    const struct set_entry *chain = NULL;
    for (uint32_t attempt = 0; attempt < RANDOM_BUCKET_TRIES && chain == NULL; attempt++) {
        chain = buckets[random_next() & set->bucket_mask];
    }
    /* A nearly empty table (a shrink found no room): walk from a random bucket. */
    uint64_t start = random_next() & set->bucket_mask;
    for (uint64_t step = 0; step <= set->bucket_mask && chain == NULL; step++) {
        chain = buckets[(start + step) & set->bucket_mask];
    }
    ASSERT(chain != NULL);
    uint64_t length = 0;
    for (const struct set_entry *entry = chain; entry != NULL && length < set->count;
         entry = entry->next) {
        length++;
    }
    uint64_t pick = set_random_below(length);
    for (uint64_t index = 0; index < pick; index++) {
        chain = chain->next;
    }
    ASSERT(chain != NULL);
    return chain;
}

uint64_t set_random_handle(const struct set *set) {
    ASSERT(set != NULL);
    ASSERT(set->count > 0);
    if (set->encoding == SET_ENCODING_INTSET) {
        return set_random_below(set->count);
    }
    if (set->encoding == SET_ENCODING_LISTPACK) {
        return listpack_offset_of(set, set_random_below(set->count));
    }
    return (uint64_t)(uintptr_t)table_random(set);
}

struct slice set_member_at(const struct set *set, uint64_t handle, char *digits) {
    ASSERT(set != NULL);
    ASSERT(set->count > 0);
    struct slice member;
    if (set->encoding == SET_ENCODING_INTSET) {
        uint32_t length = format_int64(digits, intset_get(set, handle));
        member = (struct slice){ .ptr = (const uint8_t *)digits, .size = length };
    } else if (set->encoding == SET_ENCODING_LISTPACK) {
        (void)listpack_next(set, handle, &member);
    } else {
        member = entry_member((const struct set_entry *)(uintptr_t)handle);
    }
    return member;
}

/* ==== SSCAN ==== */

static uint64_t reverse_bits(uint64_t value) {
    value = ((value >> 1) & 0x5555555555555555ull) | ((value & 0x5555555555555555ull) << 1);
    value = ((value >> 2) & 0x3333333333333333ull) | ((value & 0x3333333333333333ull) << 2);
    value = ((value >> 4) & 0x0f0f0f0f0f0f0f0full) | ((value & 0x0f0f0f0f0f0f0f0full) << 4);
    value = ((value >> 8) & 0x00ff00ff00ff00ffull) | ((value & 0x00ff00ff00ff00ffull) << 8);
    value = ((value >> 16) & 0x0000ffff0000ffffull) | ((value & 0x0000ffff0000ffffull) << 16);
    return (value >> 32) | (value << 32);
}

/* The next cursor: increments the bits covered by mask, starting from the top one. */
static uint64_t cursor_next(uint64_t cursor, uint64_t mask) {
    cursor |= ~mask;
    cursor = reverse_bits(cursor);
    cursor++;
    return reverse_bits(cursor);
}

uint64_t set_scan(const struct set *set, uint64_t cursor, uint64_t member_min,
                  uint64_t bucket_budget, void *context, set_visit_callback visit) {
    ASSERT(set != NULL);
    ASSERT(visit != NULL);
    if (set->encoding != SET_ENCODING_HASHTABLE) {
        set_visit(set, context, visit);
        return 0;
    }
    const struct set_entry *const *buckets = (const struct set_entry *const *)table_buckets(set);
    uint64_t visited = 0;
    for (uint64_t step = 0; step <= bucket_budget; step++) {
        const struct set_entry *entry = buckets[cursor & set->bucket_mask];
        for (; entry != NULL && visited < set->count; entry = entry->next) {
            (void)visit(context, entry_member(entry));
            visited++;
        }
        ASSERT(entry == NULL);
        cursor = cursor_next(cursor, set->bucket_mask);
        if (cursor == 0 || visited >= member_min) {
            break;
        }
    }
    return cursor;
}

/* ==== Verification (tests) ==== */

static void table_verify(const struct heap *heap, const struct set *set) {
    const struct set_entry *const *buckets = (const struct set_entry *const *)table_buckets(set);
    ASSERT(((set->bucket_mask + 1) & set->bucket_mask) == 0);
    uint64_t count = 0;
    uint64_t entries_size = 0;
    for (uint64_t index = 0; index <= set->bucket_mask; index++) {
        const struct set_entry *entry = buckets[index];
        for (; entry != NULL && count <= set->count; entry = entry->next) {
            ASSERT(entry->hash == member_hash(entry_member(entry)));
            ASSERT((entry->hash & set->bucket_mask) == index);
            const struct set_entry *other = entry->next;
            for (; other != NULL; other = other->next) {
                ASSERT(!slice_equal(entry_member(entry), entry_member(other)));
            }
            entries_size += heap_usable_size(heap, entry);
            count++;
        }
    }
    ASSERT(count == set->count);
    ASSERT(entries_size == set->entries_size);
}

void set_verify(const struct heap *heap, const struct set *set) {
    ASSERT(set != NULL);
    if (set->encoding == SET_ENCODING_HASHTABLE) {
        table_verify(heap, set);
        return;
    }
    if (set->used_size > 0) {
        ASSERT(heap_usable_size(heap, set->data) >= set->used_size);
    }
    if (set->encoding == SET_ENCODING_INTSET) {
        ASSERT(set->used_size == set->count * set->int_size);
        for (uint64_t index = 1; index < set->count; index++) {
            ASSERT(intset_get(set, index - 1) < intset_get(set, index));
        }
        return;
    }
    ASSERT(set->encoding == SET_ENCODING_LISTPACK);
    uint64_t offset = 0;
    for (uint64_t index = 0; index < set->count; index++) {
        struct slice member;
        uint64_t next = listpack_next(set, offset, &member);
        uint64_t found = 0;
        ASSERT(listpack_find(set, member, &found) && found == offset);
        offset = next;
    }
    ASSERT(offset == set->used_size);
}
