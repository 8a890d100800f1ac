/*
 * zset.c: the sorted set value type (see zset.h).
 *
 * Header object (every sorted set):
 *
 *   struct zset { encoding | pack_size | length | memory_size | pack | skiplist }
 *
 * "listpack": `pack` is one heap object of entries sorted by (score, member):
 *
 *   +--------------+------------------+--------------+----------------------+
 *   | score (8 B)  | varint size      | member bytes | backward varint size |
 *   +--------------+------------------+--------------+----------------------+
 *
 * The varints are LEB128, the backward one mirrored (as in list.c) so the
 * pack can be walked from either end. A score of -0 is kept as 0: Redis 7.0
 * stores integral scores as integers in its listpack, which loses the sign.
 *
 * "skiplist": a header object (`struct zset_skiplist`) with a header node of
 * ZSET_LEVEL_MAX levels, nodes that each hold score, backward link, hash
 * chain link, levels (forward pointer and span) and the member bytes in one
 * heap object, and a chained hash table from member to node:
 *
 *   head ->[L2]---------------------->[L2]-> NULL       tables[0]: [*][ ][*][*]
 *          [L1]------->[L1]---------->[L1]-> NULL                   |     |  |
 *          [L0]->[L0]->[L0]->[L0]---->[L0]-> NULL                 node  node node
 *                 a:1   b:2   c:2      d:7                              (hash_next)
 *
 * A span counts the nodes a forward pointer skips (to the end when it is
 * NULL), so ranks cost O(log n). Levels are drawn with p = 1/4. The table
 * doubles when it holds as many nodes as buckets and halves below 10% fill;
 * both move buckets a few at a time on later changes (incremental rehash,
 * as Redis's dict), so no change ever walks the whole table.
 *
 * Invariants (zset_verify): entries strictly ordered; spans consistent with
 * ranks; every node in exactly one bucket; length and memory_size exact.
 * Memory: memory_size sums the usable sizes of every object the set owns.
 */
#include "zset.h"

#include "index.h"

#include <math.h>

#define VARINT_SIZE_MAX 5u
#define PACK_SCORE_SIZE 8u
#define REHASH_NONE UINT64_MAX
#define REHASH_BUCKETS_PER_STEP 2u
#define REHASH_EMPTY_VISITS_MAX 20u
#define TABLE_FILL_MIN_PERCENT 10u
#define FAIL_NEVER UINT64_MAX

struct zset_node;

struct zset_level {
    struct zset_node *forward;
    uint64_t span;
};

struct zset_node {
    double score;
    struct zset_node *backward;
    struct zset_node *hash_next;
    uint32_t member_size;
    uint32_t level_count;
    struct zset_level levels[];   /* then member_size bytes of member */
};

STATIC_ASSERT(sizeof(struct zset_node) == 32, "node header is 32 bytes");
STATIC_ASSERT(sizeof(struct zset_level) == 16, "a level is 16 bytes");

struct zset_table {
    struct zset_node **buckets;
    uint64_t size;   /* a power of two, or 0 when unused */
    uint64_t count;
};

struct zset_skiplist {
    struct zset_node *header;      /* ZSET_LEVEL_MAX levels, no member */
    struct zset_node *tail;
    uint64_t length;               /* nodes linked in the skiplist */
    uint32_t level;                /* levels in use, 1..ZSET_LEVEL_MAX */
    bool linked;                   /* false while accumulating: nodes only in the table */
    uint64_t rehash_index;         /* next bucket of tables[0] to move, or REHASH_NONE */
    struct zset_table tables[2];   /* tables[1] only while rehashing */
};

struct zset {
    uint8_t encoding;
    uint32_t pack_size;            /* bytes of entries in pack */
    uint64_t length;
    uint64_t memory_size;
    uint8_t *pack;                 /* listpack: NULL when empty */
    struct zset_skiplist *skiplist;
};

/* ==== Allocation (with the test failure seam) ==== */

static uint64_t allocations_allowed = FAIL_NEVER;
static uint64_t random_state = 0x9e3779b97f4a7c15ull;

void zset_fail_after(uint64_t count) {
    allocations_allowed = count;
    ASSERT(allocations_allowed == count);
}

static void *scratch_alloc(struct heap *heap, uint64_t size) {
    ASSERT(size > 0);
    if (allocations_allowed != FAIL_NEVER) {
        if (allocations_allowed == 0) {
            return NULL;
        }
        allocations_allowed--;
    }
    return heap_alloc(heap, size);
}

/* An object owned by the set: counted in memory_size. */
static void *zset_alloc(struct heap *heap, struct zset *zset, uint64_t size) {
    ASSERT(zset != NULL);
    ASSERT(size > 0);
    void *ptr = scratch_alloc(heap, size);
    if (ptr != NULL) {
        zset->memory_size += heap_usable_size(heap, ptr);
    }
    return ptr;
}

static void zset_release(struct heap *heap, struct zset *zset, void *ptr) {
    ASSERT(ptr != NULL);
    uint64_t size = heap_usable_size(heap, ptr);
    ASSERT(zset->memory_size >= size);
    zset->memory_size -= size;
    heap_free(heap, ptr);
}

uint64_t zset_random(void) {
    /* xorshift64* */
    uint64_t x = random_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    random_state = x;
    ASSERT(x != 0);
    return x * 0x2545f4914f6cdd1dull;
}

/* ==== Comparisons ==== */

static int member_compare(struct slice a, struct slice b) {
    ASSERT(a.ptr != NULL || a.size == 0);
    ASSERT(b.ptr != NULL || b.size == 0);
    uint32_t common = MIN(a.size, b.size);
    int order = common > 0 ? memcmp(a.ptr, b.ptr, common) : 0;
    if (order != 0) {
        return order;
    }
    return a.size < b.size ? -1 : (a.size > b.size ? 1 : 0);
}

/* Order of (score, member) pairs. */
static int entry_compare(double a_score, struct slice a_member, double b_score,
                         struct slice b_member) {
    ASSERT(!isnan(a_score));
    ASSERT(!isnan(b_score));
    if (a_score < b_score) {
        return -1;
    }
    if (a_score > b_score) {
        return 1;
    }
    return member_compare(a_member, b_member);
}

/* ==== Packed entries ==== */

static uint32_t varint_size(uint32_t value) {
    uint32_t size = 1;
    for (; size < VARINT_SIZE_MAX && (value >> (7 * size)) != 0; size++) {
    }
    ASSERT(size >= 1 && size <= VARINT_SIZE_MAX);
    return size;
}

static uint64_t pack_entry_size(uint32_t member_size) {
    uint64_t size = PACK_SCORE_SIZE + 2ull * varint_size(member_size) + member_size;
    ASSERT(size > member_size);
    return size;
}

static void varint_write(uint8_t *target, uint32_t value, bool backward) {
    ASSERT(target != NULL);
    uint32_t size = varint_size(value);
    for (uint32_t group = 0; group < size; group++) {
        uint8_t byte = (uint8_t)((value >> (7 * group)) & 0x7f);
        if (group + 1 < size) {
            byte = (uint8_t)(byte | 0x80);
        }
        target[backward ? size - 1 - group : group] = byte;
    }
}

/* Decodes a varint whose group g sits at source[g * step]; returns its size. */
static uint32_t varint_read(const uint8_t *source, int step, uint32_t *value) {
    uint32_t result = 0;
    for (uint32_t group = 0; group < VARINT_SIZE_MAX; group++) {
        uint8_t byte = source[(int64_t)group * step];
        result |= (uint32_t)(byte & 0x7f) << (7 * group);
        if ((byte & 0x80) == 0) {
            *value = result;
            ASSERT(varint_size(result) == group + 1);
            return group + 1;
        }
    }
    ASSERT(false && "varint longer than five bytes");
    return 0;
}

struct pack_entry {
    uint32_t offset;
    uint32_t size;
    double score;
    struct slice member;
};

static struct pack_entry pack_decode(const struct zset *zset, uint32_t offset) {
    ASSERT(offset < zset->pack_size);
    const uint8_t *base = zset->pack + offset;
    struct pack_entry entry = { .offset = offset };
    memcpy(&entry.score, base, sizeof(entry.score));
    uint32_t member_size = 0;
    uint32_t prefix = varint_read(base + PACK_SCORE_SIZE, 1, &member_size);
    entry.member = (struct slice){ .ptr = base + PACK_SCORE_SIZE + prefix, .size = member_size };
    entry.size = (uint32_t)pack_entry_size(member_size);
    ASSERT(offset + entry.size <= zset->pack_size);
    return entry;
}

/* Offset of the entry that ends at `end` (> 0). */
static uint32_t pack_previous(const struct zset *zset, uint32_t end) {
    ASSERT(end > 0 && end <= zset->pack_size);
    uint32_t member_size = 0;
    varint_read(zset->pack + end - 1, -1, &member_size);
    uint64_t size = pack_entry_size(member_size);
    ASSERT(size <= end);
    return end - (uint32_t)size;
}

static void pack_encode(uint8_t *target, struct slice member, double score) {
    ASSERT(target != NULL);
    ASSERT(!isnan(score));
    if (score == 0) {
        score = 0.0; /* -0 is stored as the integer 0 by Redis's listpack */
    }
    memcpy(target, &score, sizeof(score));
    uint32_t prefix = varint_size(member.size);
    varint_write(target + PACK_SCORE_SIZE, member.size, false);
    if (member.size > 0) {
        memcpy(target + PACK_SCORE_SIZE + prefix, member.ptr, member.size);
    }
    varint_write(target + PACK_SCORE_SIZE + prefix + member.size, member.size, true);
}

static bool pack_find(const struct zset *zset, struct slice member, struct pack_entry *found) {
    ASSERT(zset->encoding == ZSET_ENCODING_LISTPACK);
    uint32_t offset = 0;
    for (uint64_t index = 0; index < zset->length; index++) {
        struct pack_entry entry = pack_decode(zset, offset);
        if (slice_equal(entry.member, member)) {
            *found = entry;
            return true;
        }
        offset += entry.size;
    }
    ASSERT(offset == zset->pack_size);
    return false;
}

/* Offset of the entry at `rank` (rank == length: the end). */
static uint32_t pack_offset_at_rank(const struct zset *zset, uint64_t rank) {
    ASSERT(zset->encoding == ZSET_ENCODING_LISTPACK);
    ASSERT(rank <= zset->length);
    uint32_t offset = 0;
    if (rank > zset->length / 2) {
        offset = zset->pack_size;
        for (uint64_t index = zset->length; index > rank; index--) {
            offset = pack_previous(zset, offset);
        }
        return offset;
    }
    for (uint64_t index = 0; index < rank; index++) {
        offset += pack_decode(zset, offset).size;
    }
    return offset;
}

/* Where (score, member) goes: before the first entry that sorts after it. */
static uint32_t pack_insert_offset(const struct zset *zset, struct slice member, double score) {
    ASSERT(!isnan(score));
    uint32_t offset = 0;
    for (uint64_t index = 0; index < zset->length; index++) {
        struct pack_entry entry = pack_decode(zset, offset);
        if (entry_compare(entry.score, entry.member, score, member) > 0) {
            return offset;
        }
        offset += entry.size;
    }
    ASSERT(offset == zset->pack_size);
    return offset;
}

/* Inserts a member known to be absent; false (unchanged) when a larger pack has no room. */
static bool pack_insert(struct heap *heap, struct zset *zset, struct slice member, double score) {
    ASSERT(zset->encoding == ZSET_ENCODING_LISTPACK);
    uint64_t entry_size = pack_entry_size(member.size);
    uint64_t new_size = zset->pack_size + entry_size;
    ASSERT(new_size <= ZSET_PACK_SIZE_MAX);
    uint32_t offset = pack_insert_offset(zset, member, score);
    uint32_t tail_size = zset->pack_size - offset;
    uint64_t capacity = zset->pack != NULL ? heap_usable_size(heap, zset->pack) : 0;
    uint8_t *pack = zset->pack;
    if (new_size > capacity) {
        pack = zset_alloc(heap, zset, new_size);
        if (pack == NULL) {
            return false;
        }
        if (zset->pack != NULL) {
            memcpy(pack, zset->pack, offset);
            memcpy(pack + offset + entry_size, zset->pack + offset, tail_size);
            zset_release(heap, zset, zset->pack);
        }
    } else if (tail_size > 0) {
        memmove(pack + offset + entry_size, pack + offset, tail_size);
    }
    pack_encode(pack + offset, member, score);
    zset->pack = pack;
    zset->pack_size = (uint32_t)new_size;
    zset->length++;
    return true;
}

/* Removes `count` entries taking `size` bytes from `offset`; the object keeps its size. */
static void pack_cut(struct zset *zset, uint32_t offset, uint32_t size, uint64_t count) {
    ASSERT(offset + size <= zset->pack_size);
    ASSERT(count <= zset->length);
    uint32_t tail_size = zset->pack_size - offset - size;
    if (tail_size > 0) {
        memmove(zset->pack + offset, zset->pack + offset + size, tail_size);
    }
    zset->pack_size -= size;
    zset->length -= count;
}

/* Gives memory back after removals: frees an empty pack, moves a mostly empty one. */
static void pack_shrink(struct heap *heap, struct zset *zset) {
    ASSERT(zset->encoding == ZSET_ENCODING_LISTPACK);
    if (zset->pack == NULL) {
        return;
    }
    if (zset->pack_size == 0) {
        ASSERT(zset->length == 0);
        zset_release(heap, zset, zset->pack);
        zset->pack = NULL;
        return;
    }
    uint64_t capacity = heap_usable_size(heap, zset->pack);
    if (capacity / 2 < zset->pack_size || heap_size_for(heap, zset->pack_size) >= capacity) {
        return;
    }
    uint8_t *smaller = zset_alloc(heap, zset, zset->pack_size);
    if (smaller == NULL) {
        return; /* optional: keep the larger object */
    }
    memcpy(smaller, zset->pack, zset->pack_size);
    zset_release(heap, zset, zset->pack);
    zset->pack = smaller;
}

/* ==== Skiplist nodes ==== */

static struct slice node_member(const struct zset_node *node) {
    ASSERT(node != NULL);
    ASSERT(node->level_count >= 1 && node->level_count <= ZSET_LEVEL_MAX);
    const uint8_t *bytes = (const uint8_t *)&node->levels[node->level_count];
    return (struct slice){ .ptr = bytes, .size = node->member_size };
}

static uint32_t random_level(void) {
    uint64_t bits = zset_random();
    uint32_t level = 1;
    for (; level < ZSET_LEVEL_MAX && (bits & 3u) == 0; level++) {
        bits >>= 2;
    }
    ASSERT(level >= 1 && level <= ZSET_LEVEL_MAX);
    return level;
}

static struct zset_node *node_create(struct heap *heap, struct zset *zset, uint32_t level_count,
                                     struct slice member, double score) {
    ASSERT(level_count >= 1 && level_count <= ZSET_LEVEL_MAX);
    uint64_t size = sizeof(struct zset_node) + (uint64_t)level_count * sizeof(struct zset_level)
                    + member.size;
    struct zset_node *node = zset_alloc(heap, zset, size);
    if (node == NULL) {
        return NULL;
    }
    node->score = score;
    node->backward = NULL;
    node->hash_next = NULL;
    node->member_size = member.size;
    node->level_count = level_count;
    memset(node->levels, 0, (size_t)level_count * sizeof(struct zset_level));
    if (member.size > 0) {
        memcpy((uint8_t *)&node->levels[level_count], member.ptr, member.size);
    }
    ASSERT(slice_equal(node_member(node), member));
    return node;
}

/* ==== Hash table ==== */

static bool table_rehashing(const struct zset_skiplist *skiplist) {
    ASSERT(skiplist != NULL);
    ASSERT(skiplist->rehash_index == REHASH_NONE || skiplist->tables[1].size > 0);
    return skiplist->rehash_index != REHASH_NONE;
}

static struct zset_node *table_find(const struct zset_skiplist *skiplist, struct slice member,
                                    uint64_t hash) {
    for (uint32_t table_index = 0; table_index < 2; table_index++) {
        const struct zset_table *table = &skiplist->tables[table_index];
        if (table->size == 0) {
            continue;
        }
        struct zset_node *node = table->buckets[hash & (table->size - 1)];
        for (uint64_t step = 0; node != NULL; step++) {
            ASSERT(step < table->count);
            if (slice_equal(node_member(node), member)) {
                return node;
            }
            node = node->hash_next;
        }
    }
    return NULL;
}

static void table_insert(struct zset_skiplist *skiplist, struct zset_node *node, uint64_t hash) {
    ASSERT(node->hash_next == NULL);
    struct zset_table *table = &skiplist->tables[table_rehashing(skiplist) ? 1 : 0];
    ASSERT(table->size > 0);
    uint64_t bucket = hash & (table->size - 1);
    node->hash_next = table->buckets[bucket];
    table->buckets[bucket] = node;
    table->count++;
}

static void table_remove(struct zset_skiplist *skiplist, struct zset_node *node, uint64_t hash) {
    for (uint32_t table_index = 0; table_index < 2; table_index++) {
        struct zset_table *table = &skiplist->tables[table_index];
        if (table->size == 0) {
            continue;
        }
        struct zset_node **link = &table->buckets[hash & (table->size - 1)];
        for (uint64_t step = 0; *link != NULL; step++) {
            ASSERT(step < table->count);
            if (*link == node) {
                *link = node->hash_next;
                node->hash_next = NULL;
                table->count--;
                return;
            }
            link = &(*link)->hash_next;
        }
    }
    ASSERT(false && "node missing from the hash table");
}

static uint64_t table_size_for(uint64_t count) {
    uint64_t size = ZSET_TABLE_SIZE_MIN;
    for (uint32_t shift = 0; shift < 62 && size < count; shift++) {
        size <<= 1;
    }
    ASSERT(size >= count);
    return size;
}

static struct zset_node **table_buckets_create(struct heap *heap, struct zset *zset,
                                               uint64_t size) {
    ASSERT(size >= ZSET_TABLE_SIZE_MIN);
    ASSERT((size & (size - 1)) == 0);
    struct zset_node **buckets = zset_alloc(heap, zset, size * sizeof(struct zset_node *));
    if (buckets != NULL) {
        memset(buckets, 0, (size_t)(size * sizeof(struct zset_node *)));
    }
    return buckets;
}

/* Starts moving to a table of `size` buckets; skipped (still correct) when there is no room. */
static void table_start_resize(struct heap *heap, struct zset *zset, uint64_t size) {
    struct zset_skiplist *skiplist = zset->skiplist;
    ASSERT(size >= skiplist->tables[0].count);
    ASSERT(!table_rehashing(skiplist));
    if (size == skiplist->tables[0].size) {
        return;
    }
    struct zset_node **buckets = table_buckets_create(heap, zset, size);
    if (buckets == NULL) {
        return; /* longer chains, same answers */
    }
    skiplist->tables[1] = (struct zset_table){ .buckets = buckets, .size = size, .count = 0 };
    skiplist->rehash_index = 0;
}

/* Moves one bucket chain of tables[0] into tables[1]. */
static void table_move_bucket(struct zset_skiplist *skiplist, uint64_t bucket) {
    struct zset_table *source = &skiplist->tables[0];
    struct zset_table *target = &skiplist->tables[1];
    struct zset_node *node = source->buckets[bucket];
    uint64_t count_before = source->count;
    uint64_t target_before = target->count;
    for (uint64_t step = 0; node != NULL; step++) {
        ASSERT(step < count_before);
        struct zset_node *next = node->hash_next;
        uint64_t index = index_hash(node_member(node)) & (target->size - 1);
        node->hash_next = target->buckets[index];
        target->buckets[index] = node;
        source->count--;
        target->count++;
        node = next;
    }
    source->buckets[bucket] = NULL;
    /* Every node that left the source arrived in the target. */
    ASSERT(target->count - target_before == count_before - source->count);
}

static void table_rehash_step(struct heap *heap, struct zset *zset) {
    struct zset_skiplist *skiplist = zset->skiplist;
    if (!table_rehashing(skiplist)) {
        return;
    }
    struct zset_table *source = &skiplist->tables[0];
    uint32_t moved = 0;
    uint32_t empty = 0;
    while (moved < REHASH_BUCKETS_PER_STEP && empty < REHASH_EMPTY_VISITS_MAX &&
           source->count > 0) {
        ASSERT(skiplist->rehash_index < source->size);
        if (source->buckets[skiplist->rehash_index] == NULL) {
            empty++;
        } else {
            table_move_bucket(skiplist, skiplist->rehash_index);
            moved++;
        }
        skiplist->rehash_index++;
    }
    ASSERT(skiplist->rehash_index <= source->size);
    if (source->count == 0) {
        zset_release(heap, zset, source->buckets);
        skiplist->tables[0] = skiplist->tables[1];
        skiplist->tables[1] = (struct zset_table){ 0 };
        skiplist->rehash_index = REHASH_NONE;
    }
}

/* Grows before an insert when the table is full (Redis's dict: load factor 1). */
static void table_expand_if_needed(struct heap *heap, struct zset *zset) {
    ASSERT(zset->encoding == ZSET_ENCODING_SKIPLIST);
    struct zset_skiplist *skiplist = zset->skiplist;
    ASSERT(skiplist->tables[0].size > 0);
    if (table_rehashing(skiplist) || skiplist->tables[0].count < skiplist->tables[0].size) {
        return;
    }
    table_start_resize(heap, zset, table_size_for(skiplist->tables[0].count + 1));
}

/* Shrinks after removals below TABLE_FILL_MIN_PERCENT (Redis's htNeedsResize). */
static void table_shrink_if_needed(struct heap *heap, struct zset *zset) {
    ASSERT(zset->encoding == ZSET_ENCODING_SKIPLIST);
    struct zset_skiplist *skiplist = zset->skiplist;
    ASSERT(skiplist->tables[0].size > 0);
    const struct zset_table *table = &skiplist->tables[0];
    if (table_rehashing(skiplist) || table->size <= ZSET_TABLE_SIZE_MIN) {
        return;
    }
    if (table->count * 100 / table->size >= TABLE_FILL_MIN_PERCENT) {
        return;
    }
    table_start_resize(heap, zset, table_size_for(table->count));
}

/* ==== Skiplist ==== */

/*
 * Finds, at every level, the last node before (score, member); rank[i] is that
 * node's 1-based rank (0 for the header). Returns the level-0 predecessor.
 */
static struct zset_node *skiplist_find_update(const struct zset_skiplist *skiplist, double score,
                                              struct slice member, struct zset_node **update,
                                              uint64_t *rank) {
    struct zset_node *x = skiplist->header;
    ASSERT(skiplist->level >= 1 && skiplist->level <= ZSET_LEVEL_MAX);
    for (uint32_t i = skiplist->level; i-- > 0;) {
        rank[i] = i == skiplist->level - 1 ? 0 : rank[i + 1];
        for (uint64_t step = 0; x->levels[i].forward != NULL; step++) {
            ASSERT(step <= skiplist->length);
            struct zset_node *next = x->levels[i].forward;
            if (entry_compare(next->score, node_member(next), score, member) >= 0) {
                break;
            }
            rank[i] += x->levels[i].span;
            x = next;
        }
        update[i] = x;
    }
    return update[0];
}

/* Links a node (its level already chosen) at its place (zslInsert). */
static void skiplist_insert_node(struct zset_skiplist *skiplist, struct zset_node *node) {
    struct zset_node *update[ZSET_LEVEL_MAX];
    uint64_t rank[ZSET_LEVEL_MAX];
    skiplist_find_update(skiplist, node->score, node_member(node), update, rank);
    uint32_t level = node->level_count;
    if (level > skiplist->level) {
        for (uint32_t i = skiplist->level; i < level; i++) {
            rank[i] = 0;
            update[i] = skiplist->header;
            update[i]->levels[i].span = skiplist->length;
        }
        skiplist->level = level;
    }
    for (uint32_t i = 0; i < level; i++) {
        node->levels[i].forward = update[i]->levels[i].forward;
        update[i]->levels[i].forward = node;
        node->levels[i].span = update[i]->levels[i].span - (rank[0] - rank[i]);
        update[i]->levels[i].span = (rank[0] - rank[i]) + 1;
    }
    for (uint32_t i = level; i < skiplist->level; i++) {
        update[i]->levels[i].span++;
    }
    ASSERT(rank[0] <= skiplist->length);
    ASSERT(skiplist->level <= ZSET_LEVEL_MAX);
    node->backward = update[0] == skiplist->header ? NULL : update[0];
    if (node->levels[0].forward != NULL) {
        node->levels[0].forward->backward = node;
    } else {
        skiplist->tail = node;
    }
    skiplist->length++;
}

/* Unlinks x given its predecessors (zslDeleteNode). */
static void skiplist_unlink(struct zset_skiplist *skiplist, struct zset_node *x,
                            struct zset_node **update) {
    ASSERT(skiplist->length > 0);
    for (uint32_t i = 0; i < skiplist->level; i++) {
        if (update[i]->levels[i].forward == x) {
            update[i]->levels[i].span += x->levels[i].span - 1;
            update[i]->levels[i].forward = x->levels[i].forward;
        } else {
            update[i]->levels[i].span -= 1;
        }
    }
    if (x->levels[0].forward != NULL) {
        x->levels[0].forward->backward = x->backward;
    } else {
        skiplist->tail = x->backward;
    }
    while (skiplist->level > 1 && skiplist->header->levels[skiplist->level - 1].forward == NULL) {
        skiplist->level--;
    }
    skiplist->length--;
    ASSERT(skiplist->length > 0 || skiplist->tail == NULL);
}

static void skiplist_unlink_node(struct zset_skiplist *skiplist, struct zset_node *node) {
    struct zset_node *update[ZSET_LEVEL_MAX];
    uint64_t rank[ZSET_LEVEL_MAX];
    struct zset_node *before = skiplist_find_update(skiplist, node->score, node_member(node),
                                                    update, rank);
    ASSERT(before->levels[0].forward == node);
    ASSERT(skiplist->linked);
    skiplist_unlink(skiplist, node, update);
}

/* Changes a node's score, moving it only when the order requires (zslUpdateScore). */
static void skiplist_update_score(struct zset_skiplist *skiplist, struct zset_node *node,
                                  double score) {
    ASSERT(skiplist->linked);
    const struct zset_node *next = node->levels[0].forward;
    bool after_previous = node->backward == NULL || node->backward->score < score;
    bool before_next = next == NULL || next->score > score;
    if (after_previous && before_next) {
        node->score = score;
        return;
    }
    skiplist_unlink_node(skiplist, node);
    node->score = score;
    skiplist_insert_node(skiplist, node);
    ASSERT(node->score == score);
}

/* The node of 1-based `rank` (zslGetElementByRank). */
static struct zset_node *skiplist_node_at(const struct zset_skiplist *skiplist, uint64_t rank) {
    ASSERT(rank >= 1 && rank <= skiplist->length);
    struct zset_node *x = skiplist->header;
    uint64_t traversed = 0;
    for (uint32_t i = skiplist->level; i-- > 0;) {
        for (uint64_t step = 0; x->levels[i].forward != NULL; step++) {
            ASSERT(step <= skiplist->length);
            if (traversed + x->levels[i].span > rank) {
                break;
            }
            traversed += x->levels[i].span;
            x = x->levels[i].forward;
        }
        if (traversed == rank) {
            return x;
        }
    }
    ASSERT(false && "rank not found");
    return NULL;
}

/* The 1-based rank of a linked (score, member) (zslGetRank). */
static uint64_t skiplist_rank_of(const struct zset_skiplist *skiplist, double score,
                                 struct slice member) {
    const struct zset_node *x = skiplist->header;
    uint64_t rank = 0;
    for (uint32_t i = skiplist->level; i-- > 0;) {
        for (uint64_t step = 0; x->levels[i].forward != NULL; step++) {
            ASSERT(step <= skiplist->length);
            const struct zset_node *next = x->levels[i].forward;
            if (entry_compare(next->score, node_member(next), score, member) > 0) {
                break;
            }
            rank += x->levels[i].span;
            x = next;
        }
        if (x != skiplist->header && x->score == score && slice_equal(node_member(x), member)) {
            return rank;
        }
    }
    ASSERT(false && "member not linked");
    return 0;
}

/* Appending nodes in order (copies and conversions): O(levels) per node. */
struct skiplist_appender {
    struct zset_node *last[ZSET_LEVEL_MAX];
    uint64_t last_rank[ZSET_LEVEL_MAX];
};

static void appender_init(struct skiplist_appender *appender,
                          const struct zset_skiplist *skiplist) {
    ASSERT(skiplist->length == 0);
    ASSERT(skiplist->header != NULL);
    for (uint32_t i = 0; i < ZSET_LEVEL_MAX; i++) {
        appender->last[i] = skiplist->header;
        appender->last_rank[i] = 0;
    }
}

static void skiplist_append(struct zset_skiplist *skiplist, struct skiplist_appender *appender,
                            struct zset_node *node) {
    uint64_t rank = skiplist->length + 1;
    ASSERT(skiplist->tail == NULL || skiplist->tail->score <= node->score);
    for (uint32_t i = 0; i < node->level_count; i++) {
        struct zset_node *last = appender->last[i];
        last->levels[i].forward = node;
        last->levels[i].span = rank - appender->last_rank[i];
        node->levels[i].forward = NULL;
        node->levels[i].span = 0;
        appender->last[i] = node;
        appender->last_rank[i] = rank;
    }
    skiplist->level = MAX(skiplist->level, node->level_count);
    for (uint32_t i = node->level_count; i < skiplist->level; i++) {
        appender->last[i]->levels[i].span = rank - appender->last_rank[i];
    }
    node->backward = skiplist->tail;
    skiplist->tail = node;
    skiplist->length = rank;
    ASSERT(skiplist->level <= ZSET_LEVEL_MAX);
}

/* ==== Skiplist life cycle ==== */

/* An empty skiplist part with a table of `table_size` buckets; false when no room. */
static bool skiplist_create(struct heap *heap, struct zset *zset, uint64_t table_size) {
    ASSERT(zset->skiplist == NULL);
    ASSERT(table_size >= ZSET_TABLE_SIZE_MIN);
    struct zset_skiplist *skiplist = zset_alloc(heap, zset, sizeof(*skiplist));
    if (skiplist == NULL) {
        return false;
    }
    struct zset_node *header = node_create(heap, zset, ZSET_LEVEL_MAX, (struct slice){ 0 }, 0);
    struct zset_node **buckets = header != NULL ? table_buckets_create(heap, zset, table_size)
                                                : NULL;
    if (buckets == NULL) {
        if (header != NULL) {
            zset_release(heap, zset, header);
        }
        zset_release(heap, zset, skiplist);
        return false;
    }
    memset(skiplist, 0, sizeof(*skiplist));
    skiplist->header = header;
    skiplist->level = 1;
    skiplist->linked = true;
    skiplist->rehash_index = REHASH_NONE;
    skiplist->tables[0] = (struct zset_table){ .buckets = buckets, .size = table_size };
    zset->skiplist = skiplist;
    return true;
}

/* Frees every node, the tables, the header and the skiplist part. */
static void skiplist_destroy(struct heap *heap, struct zset *zset) {
    struct zset_skiplist *skiplist = zset->skiplist;
    ASSERT(skiplist != NULL);
    for (uint32_t table_index = 0; table_index < 2; table_index++) {
        struct zset_table *table = &skiplist->tables[table_index];
        for (uint64_t bucket = 0; bucket < table->size; bucket++) {
            struct zset_node *node = table->buckets[bucket];
            for (uint64_t step = 0; node != NULL; step++) {
                ASSERT(step < table->count);
                struct zset_node *next = node->hash_next;
                zset_release(heap, zset, node);
                node = next;
            }
        }
        if (table->buckets != NULL) {
            zset_release(heap, zset, table->buckets);
        }
    }
    zset_release(heap, zset, skiplist->header);
    zset_release(heap, zset, skiplist);
    zset->skiplist = NULL;
}

/* Adds a new node for an absent member to the table (and the skiplist when linked). */
static struct zset_node *skiplist_add_new(struct heap *heap, struct zset *zset,
                                          struct slice member, uint64_t hash, double score) {
    struct zset_skiplist *skiplist = zset->skiplist;
    ASSERT(!isnan(score));
    VERIFY(table_find(skiplist, member, hash) == NULL);
    struct zset_node *node = node_create(heap, zset, random_level(), member, score);
    if (node == NULL) {
        return NULL;
    }
    table_expand_if_needed(heap, zset);
    table_insert(skiplist, node, hash);
    if (skiplist->linked) {
        skiplist_insert_node(skiplist, node);
    }
    zset->length++;
    table_rehash_step(heap, zset);
    ASSERT(skiplist->tables[0].count + skiplist->tables[1].count == zset->length);
    return node;
}

/* Converts a packed set to a skiplist; false (unchanged) when there is no room. */
static bool zset_convert_to_skiplist(struct heap *heap, struct zset *zset) {
    ASSERT(zset->encoding == ZSET_ENCODING_LISTPACK);
    ASSERT(zset->skiplist == NULL);
    if (!skiplist_create(heap, zset, table_size_for(zset->length))) {
        return false;
    }
    struct zset_skiplist *skiplist = zset->skiplist;
    struct skiplist_appender appender;
    appender_init(&appender, skiplist);
    uint32_t offset = 0;
    for (uint64_t index = 0; index < zset->length; index++) {
        struct pack_entry entry = pack_decode(zset, offset);
        struct zset_node *node = node_create(heap, zset, random_level(), entry.member,
                                             entry.score);
        if (node == NULL) {
            skiplist_destroy(heap, zset);
            return false;
        }
        table_insert(skiplist, node, index_hash(entry.member));
        skiplist_append(skiplist, &appender, node);
        offset += entry.size;
    }
    if (zset->pack != NULL) {
        zset_release(heap, zset, zset->pack);
    }
    zset->pack = NULL;
    zset->pack_size = 0;
    zset->encoding = ZSET_ENCODING_SKIPLIST;
    ASSERT(skiplist->length == zset->length);
    return true;
}

/* ==== Public: life cycle ==== */

struct zset *zset_create(struct heap *heap, enum zset_encoding encoding) {
    struct zset probe = { 0 };
    struct zset *zset = zset_alloc(heap, &probe, sizeof(struct zset));
    if (zset == NULL) {
        return NULL;
    }
    memset(zset, 0, sizeof(*zset));
    zset->memory_size = probe.memory_size;
    zset->encoding = (uint8_t)encoding;
    if (encoding == ZSET_ENCODING_SKIPLIST &&
        !skiplist_create(heap, zset, ZSET_TABLE_SIZE_MIN)) {
        heap_free(heap, zset);
        return NULL;
    }
    ASSERT(zset->length == 0);
    return zset;
}

struct zset *zset_create_accumulator(struct heap *heap, uint64_t size_hint) {
    struct zset probe = { 0 };
    struct zset *zset = zset_alloc(heap, &probe, sizeof(struct zset));
    if (zset == NULL) {
        return NULL;
    }
    memset(zset, 0, sizeof(*zset));
    zset->memory_size = probe.memory_size;
    zset->encoding = ZSET_ENCODING_SKIPLIST;
    if (!skiplist_create(heap, zset, table_size_for(size_hint))) {
        heap_free(heap, zset);
        return NULL;
    }
    zset->skiplist->linked = false;
    return zset;
}

void zset_destroy(struct heap *heap, struct zset *zset) {
    ASSERT(zset != NULL);
    if (zset->encoding == ZSET_ENCODING_SKIPLIST) {
        skiplist_destroy(heap, zset);
    } else if (zset->pack != NULL) {
        zset_release(heap, zset, zset->pack);
    }
    ASSERT(zset->memory_size == heap_usable_size(heap, zset));
    heap_free(heap, zset);
}

uint64_t zset_memory_size(const struct heap *heap, const struct zset *zset) {
    (void)heap;
    ASSERT(zset->memory_size > 0);
    return zset->memory_size;
}

uint64_t zset_length(const struct zset *zset) {
    ASSERT(zset != NULL);
    ASSERT(zset->encoding <= ZSET_ENCODING_SKIPLIST);
    return zset->length;
}

enum zset_encoding zset_encoding(const struct zset *zset) {
    ASSERT(zset->encoding <= ZSET_ENCODING_SKIPLIST);
    return (enum zset_encoding)zset->encoding;
}

const char *zset_encoding_name(const struct zset *zset) {
    ASSERT(zset != NULL);
    return zset_encoding(zset) == ZSET_ENCODING_LISTPACK ? "listpack" : "skiplist";
}

void zset_swap(struct zset *a, struct zset *b) {
    ASSERT(a != NULL && b != NULL);
    ASSERT(a != b);
    /* Both headers are objects of one size class, so memory_size moves with the contents. */
    struct zset held = *a;
    *a = *b;
    *b = held;
}

static bool copy_skiplist(struct heap *heap, struct zset *copy, const struct zset *zset) {
    const struct zset_skiplist *source = zset->skiplist;
    ASSERT(source->linked);
    if (!skiplist_create(heap, copy, table_size_for(zset->length))) {
        return false;
    }
    copy->encoding = ZSET_ENCODING_SKIPLIST; /* from here on destroy frees the skiplist */
    struct skiplist_appender appender;
    appender_init(&appender, copy->skiplist);
    const struct zset_node *node = source->header->levels[0].forward;
    for (uint64_t index = 0; index < zset->length; index++) {
        ASSERT(node != NULL);
        struct zset_node *added = node_create(heap, copy, node->level_count, node_member(node),
                                              node->score);
        if (added == NULL) {
            return false;
        }
        table_insert(copy->skiplist, added, index_hash(node_member(node)));
        skiplist_append(copy->skiplist, &appender, added);
        copy->length++;
        node = node->levels[0].forward;
    }
    return true;
}

struct zset *zset_copy(struct heap *heap, const struct zset *zset) {
    struct zset *copy = zset_create(heap, ZSET_ENCODING_LISTPACK);
    if (copy == NULL) {
        return NULL;
    }
    bool copied = true;
    if (zset->encoding == ZSET_ENCODING_SKIPLIST) {
        copied = copy_skiplist(heap, copy, zset);
    } else if (zset->pack_size > 0) {
        copy->pack = zset_alloc(heap, copy, zset->pack_size);
        copied = copy->pack != NULL;
        if (copied) {
            memcpy(copy->pack, zset->pack, zset->pack_size);
            copy->pack_size = zset->pack_size;
            copy->length = zset->length;
        }
    }
    if (!copied) {
        zset_destroy(heap, copy);
        return NULL;
    }
    ASSERT(copy->length == zset->length);
    return copy;
}

/* ==== Public: lookups ==== */

static struct zset_node *skiplist_find(const struct zset *zset, struct slice member) {
    ASSERT(zset->encoding == ZSET_ENCODING_SKIPLIST);
    return table_find(zset->skiplist, member, index_hash(member));
}

bool zset_score(const struct zset *zset, struct slice member, double *score) {
    ASSERT(score != NULL);
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        struct pack_entry entry;
        if (!pack_find(zset, member, &entry)) {
            return false;
        }
        *score = entry.score;
        return true;
    }
    const struct zset_node *node = skiplist_find(zset, member);
    if (node == NULL) {
        return false;
    }
    *score = node->score;
    return true;
}

bool zset_rank(const struct zset *zset, struct slice member, uint64_t *rank) {
    ASSERT(rank != NULL);
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        uint32_t offset = 0;
        for (uint64_t index = 0; index < zset->length; index++) {
            struct pack_entry entry = pack_decode(zset, offset);
            if (slice_equal(entry.member, member)) {
                *rank = index;
                return true;
            }
            offset += entry.size;
        }
        return false;
    }
    ASSERT(zset->skiplist->linked);
    const struct zset_node *node = skiplist_find(zset, member);
    if (node == NULL) {
        return false;
    }
    *rank = skiplist_rank_of(zset->skiplist, node->score, member) - 1;
    return true;
}

/* ==== Public: changes ==== */

/* What ZADD's options make of an existing member; *score becomes the score to set. */
static enum zset_add_status add_decide(double current, double *score, uint32_t flags) {
    ASSERT(!isnan(current));
    ASSERT(!isnan(*score));
    if (flags & ZSET_ADD_NX) {
        return ZSET_ADD_SKIPPED;
    }
    if (flags & ZSET_ADD_INCR) {
        *score += current;
        if (isnan(*score)) {
            return ZSET_ADD_NAN;
        }
    }
    if (((flags & ZSET_ADD_LT) && *score >= current) ||
        ((flags & ZSET_ADD_GT) && *score <= current)) {
        return ZSET_ADD_SKIPPED;
    }
    return *score != current ? ZSET_ADD_UPDATED : ZSET_ADD_UNCHANGED;
}

/* Adds a member to a packed set that must convert first; the node is allocated first. */
static enum zset_add_status pack_add_converting(struct heap *heap, struct zset *zset,
                                                struct slice member, double score) {
    struct zset_node *node = node_create(heap, zset, random_level(), member, score);
    if (node == NULL) {
        return ZSET_ADD_NO_ROOM;
    }
    if (!zset_convert_to_skiplist(heap, zset)) {
        zset_release(heap, zset, node);
        return ZSET_ADD_NO_ROOM;
    }
    table_expand_if_needed(heap, zset);
    table_insert(zset->skiplist, node, index_hash(member));
    skiplist_insert_node(zset->skiplist, node);
    zset->length++;
    table_rehash_step(heap, zset);
    ASSERT(zset->skiplist->length == zset->length);
    return ZSET_ADD_ADDED;
}

static enum zset_add_status pack_add(struct heap *heap, struct zset *zset,
                                     const struct zset_limits *limits, struct slice member,
                                     double score, uint32_t flags, double *new_score,
                                     double *old_score) {
    struct pack_entry entry;
    if (pack_find(zset, member, &entry)) {
        enum zset_add_status status = add_decide(entry.score, &score, flags);
        *new_score = score;
        *old_score = entry.score;
        if (status == ZSET_ADD_UPDATED) {
            /* The freed bytes take the entry back at its new place: no allocation. */
            pack_cut(zset, entry.offset, entry.size, 1);
            bool inserted = pack_insert(heap, zset, member, score);
            ASSERT(inserted);
        }
        return status;
    }
    if (flags & ZSET_ADD_XX) {
        return ZSET_ADD_SKIPPED;
    }
    *new_score = score;
    bool fits = zset->length < limits->entries_max && member.size <= limits->value_size_max &&
                zset->pack_size + pack_entry_size(member.size) <= ZSET_PACK_SIZE_MAX;
    if (!fits) {
        return pack_add_converting(heap, zset, member, score);
    }
    return pack_insert(heap, zset, member, score) ? ZSET_ADD_ADDED : ZSET_ADD_NO_ROOM;
}

static enum zset_add_status skiplist_add(struct heap *heap, struct zset *zset,
                                         struct slice member, double score, uint32_t flags,
                                         double *new_score, double *old_score) {
    ASSERT(zset->skiplist->linked);
    uint64_t hash = index_hash(member);
    struct zset_node *node = table_find(zset->skiplist, member, hash);
    if (node != NULL) {
        enum zset_add_status status = add_decide(node->score, &score, flags);
        *new_score = score;
        *old_score = node->score;
        if (status == ZSET_ADD_UPDATED) {
            skiplist_update_score(zset->skiplist, node, score);
        }
        return status;
    }
    if (flags & ZSET_ADD_XX) {
        return ZSET_ADD_SKIPPED;
    }
    *new_score = score;
    if (skiplist_add_new(heap, zset, member, hash, score) == NULL) {
        return ZSET_ADD_NO_ROOM;
    }
    return ZSET_ADD_ADDED;
}

enum zset_add_status zset_add(struct heap *heap, struct zset *zset,
                              const struct zset_limits *limits, struct slice member,
                              double score, uint32_t flags, double *new_score,
                              double *old_score) {
    ASSERT(!isnan(score));
    ASSERT(new_score != NULL && old_score != NULL);
    *new_score = score;
    *old_score = 0;
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        return pack_add(heap, zset, limits, member, score, flags, new_score, old_score);
    }
    return skiplist_add(heap, zset, member, score, flags, new_score, old_score);
}

bool zset_remove(struct heap *heap, struct zset *zset, struct slice member) {
    ASSERT(zset != NULL);
    ASSERT(member.ptr != NULL || member.size == 0);
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        struct pack_entry entry;
        if (!pack_find(zset, member, &entry)) {
            return false;
        }
        pack_cut(zset, entry.offset, entry.size, 1);
        pack_shrink(heap, zset);
        return true;
    }
    struct zset_skiplist *skiplist = zset->skiplist;
    uint64_t hash = index_hash(member);
    struct zset_node *node = table_find(skiplist, member, hash);
    if (node == NULL) {
        return false;
    }
    if (skiplist->linked) {
        skiplist_unlink_node(skiplist, node);
    }
    table_remove(skiplist, node, hash);
    zset_release(heap, zset, node);
    zset->length--;
    table_shrink_if_needed(heap, zset);
    table_rehash_step(heap, zset);
    return true;
}

/* zslDeleteRangeByRank for 1-based ranks start..start+count-1. */
static void skiplist_delete_ranks(struct heap *heap, struct zset *zset, uint64_t start,
                                  uint64_t count) {
    struct zset_skiplist *skiplist = zset->skiplist;
    struct zset_node *update[ZSET_LEVEL_MAX];
    struct zset_node *x = skiplist->header;
    uint64_t traversed = 0;
    for (uint32_t i = skiplist->level; i-- > 0;) {
        for (uint64_t step = 0; x->levels[i].forward != NULL; step++) {
            ASSERT(step <= skiplist->length);
            if (traversed + x->levels[i].span >= start) {
                break;
            }
            traversed += x->levels[i].span;
            x = x->levels[i].forward;
        }
        update[i] = x;
    }
    x = x->levels[0].forward;
    for (uint64_t removed = 0; removed < count; removed++) {
        ASSERT(x != NULL);
        struct zset_node *next = x->levels[0].forward;
        skiplist_unlink(skiplist, x, update);
        table_remove(skiplist, x, index_hash(node_member(x)));
        zset_release(heap, zset, x);
        zset->length--;
        x = next;
    }
}

void zset_delete_ranks(struct heap *heap, struct zset *zset, uint64_t start, uint64_t count) {
    ASSERT(start + count <= zset->length);
    ASSERT(start < zset->length || count == 0);
    if (count == 0) {
        return;
    }
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        uint32_t begin = pack_offset_at_rank(zset, start);
        uint32_t end = begin;
        for (uint64_t index = 0; index < count; index++) {
            end += pack_decode(zset, end).size;
        }
        pack_cut(zset, begin, end - begin, count);
        pack_shrink(heap, zset);
        return;
    }
    ASSERT(zset->skiplist->linked);
    skiplist_delete_ranks(heap, zset, start + 1, count);
    table_shrink_if_needed(heap, zset);
    table_rehash_step(heap, zset);
}

/* ==== Public: ranges ==== */

/* sdscmplex(member, bound): the lex infinities sort below / above every member. */
static int lex_compare_member(struct slice member, const struct zset_bound *bound) {
    ASSERT(bound->infinity <= ZSET_LEX_PLUS);
    ASSERT(bound->infinity != ZSET_FINITE || bound->member.ptr != NULL || bound->member.size == 0);
    if (bound->infinity == ZSET_LEX_MINUS) {
        return 1;
    }
    if (bound->infinity == ZSET_LEX_PLUS) {
        return -1;
    }
    return member_compare(member, bound->member);
}

/* sdscmplex(min, max) for two bounds; the same infinity compares equal to itself. */
static int lex_compare_bounds(const struct zset_bound *a, const struct zset_bound *b) {
    ASSERT(a->infinity == ZSET_FINITE || a->exclusive);
    ASSERT(b->infinity == ZSET_FINITE || b->exclusive);
    if (a->infinity != ZSET_FINITE && a->infinity == b->infinity) {
        return 0;
    }
    if (a->infinity == ZSET_LEX_MINUS || b->infinity == ZSET_LEX_PLUS) {
        return -1;
    }
    if (a->infinity == ZSET_LEX_PLUS || b->infinity == ZSET_LEX_MINUS) {
        return 1;
    }
    return member_compare(a->member, b->member);
}

bool zset_range_above_min(const struct zset_range *range, struct slice member, double score) {
    ASSERT(!isnan(score));
    ASSERT(range->lex || range->min.infinity == ZSET_FINITE);
    if (!range->lex) {
        return range->min.exclusive ? score > range->min.score : score >= range->min.score;
    }
    int order = lex_compare_member(member, &range->min);
    return range->min.exclusive ? order > 0 : order >= 0;
}

bool zset_range_below_max(const struct zset_range *range, struct slice member, double score) {
    ASSERT(!isnan(score));
    ASSERT(range->lex || range->max.infinity == ZSET_FINITE);
    if (!range->lex) {
        return range->max.exclusive ? score < range->max.score : score <= range->max.score;
    }
    int order = lex_compare_member(member, &range->max);
    return range->max.exclusive ? order < 0 : order <= 0;
}

static bool range_empty(const struct zset_range *range) {
    ASSERT(!isnan(range->min.score));
    ASSERT(!isnan(range->max.score));
    bool either_exclusive = range->min.exclusive || range->max.exclusive;
    if (!range->lex) {
        return range->min.score > range->max.score ||
               (range->min.score == range->max.score && either_exclusive);
    }
    int order = lex_compare_bounds(&range->min, &range->max);
    return order > 0 || (order == 0 && either_exclusive);
}

/* The first (or last) element. The set must not be empty. */
static void element_at_end(const struct zset *zset, bool last, struct slice *member,
                           double *score) {
    ASSERT(zset->length > 0);
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        uint32_t offset = last ? pack_previous(zset, zset->pack_size) : 0;
        struct pack_entry entry = pack_decode(zset, offset);
        *member = entry.member;
        *score = entry.score;
        return;
    }
    const struct zset_skiplist *skiplist = zset->skiplist;
    const struct zset_node *node = last ? skiplist->tail : skiplist->header->levels[0].forward;
    ASSERT(node != NULL);
    *member = node_member(node);
    *score = node->score;
}

/* zslIsInRange / zslIsInLexRange: the range is not empty and overlaps the set. */
static bool range_overlaps(const struct zset *zset, const struct zset_range *range) {
    ASSERT(range != NULL);
    ASSERT(zset->encoding == ZSET_ENCODING_LISTPACK || zset->skiplist->linked);
    if (zset->length == 0 || range_empty(range)) {
        return false;
    }
    struct slice member;
    double score = 0;
    element_at_end(zset, true, &member, &score);
    if (!zset_range_above_min(range, member, score)) {
        return false;
    }
    element_at_end(zset, false, &member, &score);
    return zset_range_below_max(range, member, score);
}

static bool node_above_min(const struct zset_range *range, const struct zset_node *node) {
    ASSERT(node != NULL);
    return zset_range_above_min(range, node_member(node), node->score);
}

static bool node_below_max(const struct zset_range *range, const struct zset_node *node) {
    ASSERT(node != NULL);
    return zset_range_below_max(range, node_member(node), node->score);
}

bool zset_range_first(const struct zset *zset, const struct zset_range *range, uint64_t *rank) {
    if (!range_overlaps(zset, range)) {
        return false;
    }
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        uint32_t offset = 0;
        for (uint64_t index = 0; index < zset->length; index++) {
            struct pack_entry entry = pack_decode(zset, offset);
            if (zset_range_above_min(range, entry.member, entry.score)) {
                *rank = index;
                return zset_range_below_max(range, entry.member, entry.score);
            }
            offset += entry.size;
        }
        return false;
    }
    const struct zset_skiplist *skiplist = zset->skiplist;
    const struct zset_node *x = skiplist->header;
    uint64_t traversed = 0;
    for (uint32_t i = skiplist->level; i-- > 0;) {
        for (uint64_t step = 0; x->levels[i].forward != NULL; step++) {
            ASSERT(step <= skiplist->length);
            if (node_above_min(range, x->levels[i].forward)) {
                break;
            }
            traversed += x->levels[i].span;
            x = x->levels[i].forward;
        }
    }
    x = x->levels[0].forward;
    ASSERT(x != NULL);
    *rank = traversed;
    return node_below_max(range, x);
}

bool zset_range_last(const struct zset *zset, const struct zset_range *range, uint64_t *rank) {
    if (!range_overlaps(zset, range)) {
        return false;
    }
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        uint32_t end = zset->pack_size;
        for (uint64_t index = zset->length; index-- > 0;) {
            struct pack_entry entry = pack_decode(zset, pack_previous(zset, end));
            if (zset_range_below_max(range, entry.member, entry.score)) {
                *rank = index;
                return zset_range_above_min(range, entry.member, entry.score);
            }
            end = entry.offset;
        }
        return false;
    }
    const struct zset_skiplist *skiplist = zset->skiplist;
    const struct zset_node *x = skiplist->header;
    uint64_t traversed = 0;
    for (uint32_t i = skiplist->level; i-- > 0;) {
        for (uint64_t step = 0; x->levels[i].forward != NULL; step++) {
            ASSERT(step <= skiplist->length);
            if (!node_below_max(range, x->levels[i].forward)) {
                break;
            }
            traversed += x->levels[i].span;
            x = x->levels[i].forward;
        }
    }
    ASSERT(x != skiplist->header);
    *rank = traversed - 1;
    return node_above_min(range, x);
}

uint64_t zset_range_count(const struct zset *zset, const struct zset_range *range) {
    uint64_t first = 0;
    if (!zset_range_first(zset, range, &first)) {
        return 0;
    }
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        /* As zcountCommand: walk from the first while below the maximum. */
        struct zset_iterator iterator;
        zset_iterator_init(&iterator, zset, first, false);
        struct slice member;
        double score = 0;
        uint64_t count = 0;
        while (zset_iterator_next(&iterator, &member, &score) &&
               zset_range_below_max(range, member, score)) {
            count++;
        }
        return count;
    }
    uint64_t count = zset->length - first;
    uint64_t last = 0;
    if (zset_range_last(zset, range, &last)) {
        count -= zset->length - (last + 1);
    }
    ASSERT(count <= zset->length);
    return count;
}

/* ==== Public: iteration ==== */

void zset_iterator_init(struct zset_iterator *iterator, const struct zset *zset, uint64_t rank,
                        bool reverse) {
    ASSERT(rank < zset->length);
    memset(iterator, 0, sizeof(*iterator));
    iterator->zset = zset;
    iterator->reverse = reverse;
    iterator->remaining = reverse ? rank + 1 : zset->length - rank;
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        iterator->offset = pack_offset_at_rank(zset, rank);
    } else {
        ASSERT(zset->skiplist->linked);
        iterator->node = skiplist_node_at(zset->skiplist, rank + 1);
    }
}

bool zset_iterator_next(struct zset_iterator *iterator, struct slice *member, double *score) {
    if (iterator->remaining == 0) {
        return false;
    }
    iterator->remaining--;
    const struct zset *zset = iterator->zset;
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        struct pack_entry entry = pack_decode(zset, iterator->offset);
        *member = entry.member;
        *score = entry.score;
        if (iterator->remaining > 0) {
            iterator->offset = iterator->reverse ? pack_previous(zset, entry.offset)
                                                 : entry.offset + entry.size;
        }
        return true;
    }
    const struct zset_node *node = iterator->node;
    ASSERT(node != NULL);
    *member = node_member(node);
    *score = node->score;
    iterator->node = iterator->reverse ? node->backward : node->levels[0].forward;
    return true;
}

void zset_visit(const struct zset *zset, bool reverse, void *context, zset_visit_callback visit) {
    ASSERT(visit != NULL);
    if (zset->length == 0) {
        return;
    }
    struct zset_iterator iterator;
    zset_iterator_init(&iterator, zset, reverse ? zset->length - 1 : 0, reverse);
    struct slice member;
    double score = 0;
    for (uint64_t index = 0; index < zset->length; index++) {
        bool more = zset_iterator_next(&iterator, &member, &score);
        ASSERT(more);
        if (!visit(context, member, score)) {
            return;
        }
    }
}

/* ==== Public: building results ==== */

double zset_aggregate(double target, double value, enum zset_aggregate aggregate) {
    switch (aggregate) {
    case ZSET_AGGREGATE_SUM:
        target += value;
        /* +inf plus -inf is NaN: Redis keeps the convention of 0. */
        return isnan(target) ? 0.0 : target;
    case ZSET_AGGREGATE_MIN:
        return value < target ? value : target;
    case ZSET_AGGREGATE_MAX:
        return value > target ? value : target;
    }
    ASSERT(false && "unknown aggregate");
    return target;
}

bool zset_accumulate(struct heap *heap, struct zset *zset, struct slice member, double score,
                     enum zset_aggregate aggregate) {
    ASSERT(zset->encoding == ZSET_ENCODING_SKIPLIST);
    ASSERT(!zset->skiplist->linked);
    uint64_t hash = index_hash(member);
    struct zset_node *node = table_find(zset->skiplist, member, hash);
    if (node != NULL) {
        node->score = zset_aggregate(node->score, score, aggregate);
        return true;
    }
    return skiplist_add_new(heap, zset, member, hash, score) != NULL;
}

void zset_accumulator_finish(struct zset *zset) {
    struct zset_skiplist *skiplist = zset->skiplist;
    ASSERT(!skiplist->linked);
    ASSERT(skiplist->length == 0);
    for (uint32_t table_index = 0; table_index < 2; table_index++) {
        struct zset_table *table = &skiplist->tables[table_index];
        for (uint64_t bucket = 0; bucket < table->size; bucket++) {
            struct zset_node *node = table->buckets[bucket];
            for (uint64_t step = 0; node != NULL; step++) {
                ASSERT(step < table->count);
                skiplist_insert_node(skiplist, node);
                node = node->hash_next;
            }
        }
    }
    skiplist->linked = true;
    ASSERT(skiplist->length == zset->length);
}

/* Bytes a pack of the set's members would take; UINT64_MAX when a member passes the limit. */
static uint64_t pack_size_for(const struct zset *zset, const struct zset_limits *limits) {
    uint64_t size = 0;
    const struct zset_node *node = zset->skiplist->header->levels[0].forward;
    for (uint64_t index = 0; index < zset->length; index++) {
        ASSERT(node != NULL);
        if (node->member_size > limits->value_size_max) {
            return UINT64_MAX;
        }
        size += pack_entry_size(node->member_size);
        node = node->levels[0].forward;
    }
    return size;
}

bool zset_fit(struct heap *heap, struct zset *zset, const struct zset_limits *limits) {
    if (zset->encoding != ZSET_ENCODING_SKIPLIST || zset->length > limits->entries_max) {
        return true;
    }
    ASSERT(zset->skiplist->linked);
    uint64_t size = pack_size_for(zset, limits);
    if (size == UINT64_MAX || size > ZSET_PACK_SIZE_MAX) {
        return true;
    }
    uint8_t *pack = NULL;
    if (size > 0) {
        pack = zset_alloc(heap, zset, size);
        if (pack == NULL) {
            return false;
        }
    }
    uint64_t offset = 0;
    const struct zset_node *node = zset->skiplist->header->levels[0].forward;
    for (uint64_t index = 0; index < zset->length; index++) {
        pack_encode(pack + offset, node_member(node), node->score);
        offset += pack_entry_size(node->member_size);
        node = node->levels[0].forward;
    }
    ASSERT(offset == size);
    skiplist_destroy(heap, zset);
    zset->encoding = ZSET_ENCODING_LISTPACK;
    zset->pack = pack;
    zset->pack_size = (uint32_t)size;
    return true;
}

/* ==== Public: ZSCAN ==== */

static uint64_t reverse_bits(uint64_t value) {
    value = ((value >> 1) & 0x5555555555555555ull) | ((value & 0x5555555555555555ull) << 1);
    value = ((value >> 2) & 0x3333333333333333ull) | ((value & 0x3333333333333333ull) << 2);
    value = ((value >> 4) & 0x0f0f0f0f0f0f0f0full) | ((value & 0x0f0f0f0f0f0f0f0full) << 4);
    return __builtin_bswap64(value);
}

/* Advances the reverse-binary cursor over the bits of `mask`. */
static uint64_t cursor_next(uint64_t cursor, uint64_t mask) {
    ASSERT((mask & (mask + 1)) == 0); /* a table mask: 2^k - 1 */
    ASSERT(reverse_bits(reverse_bits(cursor)) == cursor);
    cursor |= ~mask;
    cursor = reverse_bits(cursor);
    cursor++;
    return reverse_bits(cursor);
}

static void scan_bucket(const struct zset_table *table, uint64_t cursor, void *context,
                        zset_visit_callback visit) {
    const struct zset_node *node = table->buckets[cursor & (table->size - 1)];
    for (uint64_t step = 0; node != NULL; step++) {
        ASSERT(step < table->count);
        visit(context, node_member(node), node->score);
        node = node->hash_next;
    }
}

uint64_t zset_scan(const struct zset *zset, uint64_t cursor, void *context,
                   zset_visit_callback visit) {
    ASSERT(visit != NULL);
    ASSERT(zset->encoding == ZSET_ENCODING_LISTPACK || zset->skiplist->linked);
    if (zset->encoding == ZSET_ENCODING_LISTPACK || zset->length == 0) {
        zset_visit(zset, false, context, visit);
        return 0;
    }
    const struct zset_skiplist *skiplist = zset->skiplist;
    if (!table_rehashing(skiplist)) {
        scan_bucket(&skiplist->tables[0], cursor, context, visit);
        return cursor_next(cursor, skiplist->tables[0].size - 1);
    }
    /* dictScan while rehashing: the smaller table's bucket, then its expansions. */
    const struct zset_table *small = &skiplist->tables[0];
    const struct zset_table *large = &skiplist->tables[1];
    if (small->size > large->size) {
        small = &skiplist->tables[1];
        large = &skiplist->tables[0];
    }
    uint64_t small_mask = small->size - 1;
    uint64_t large_mask = large->size - 1;
    scan_bucket(small, cursor, context, visit);
    for (uint64_t round = 0; round <= large_mask; round++) {
        scan_bucket(large, cursor, context, visit);
        cursor = cursor_next(cursor, large_mask);
        if ((cursor & (small_mask ^ large_mask)) == 0) {
            break;
        }
    }
    return cursor;
}

uint32_t zset_format_packed_score(char *buffer, double score) {
    ASSERT(!isnan(score));
    /* Redis's double2ll range: integral scores within +-2^62 are stored as integers. */
    if (score >= -4611686018427387904.0 && score <= 4611686018427387904.0) {
        int64_t integer = (int64_t)score;
        if ((double)integer == score) {
            return format_int64(buffer, integer);
        }
    }
    if (isinf(score)) {
        memcpy(buffer, score > 0 ? "inf" : "-inf", score > 0 ? 4 : 5);
        return score > 0 ? 3 : 4;
    }
    int size = snprintf(buffer, 32, "%.17g", score);
    ASSERT(size > 0 && size < 32);
    return (uint32_t)size;
}

/* ==== Public: ZRANDMEMBER ==== */

static bool sample_repeated(struct heap *heap, const struct zset *zset, uint64_t count,
                            void *context, zset_visit_callback visit) {
    ASSERT(zset->length > 0);
    ASSERT(count > 0);
    if (zset->encoding == ZSET_ENCODING_SKIPLIST) {
        for (uint64_t index = 0; index < count; index++) {
            const struct zset_node *node =
                skiplist_node_at(zset->skiplist, zset_random() % zset->length + 1);
            if (!visit(context, node_member(node), node->score)) {
                break;
            }
        }
        return true;
    }
    /* A packed set is walked once into an offset table, then each pick is O(1). */
    uint32_t *offsets = scratch_alloc(heap, zset->length * sizeof(uint32_t));
    if (offsets == NULL) {
        return false;
    }
    uint32_t offset = 0;
    for (uint64_t index = 0; index < zset->length; index++) {
        offsets[index] = offset;
        offset += pack_decode(zset, offset).size;
    }
    for (uint64_t index = 0; index < count; index++) {
        struct pack_entry entry = pack_decode(zset, offsets[zset_random() % zset->length]);
        if (!visit(context, entry.member, entry.score)) {
            break;
        }
    }
    heap_free(heap, offsets);
    return true;
}

/* Selection sampling (Knuth's algorithm S): distinct elements in rank order, O(length). */
static void sample_selection(const struct zset *zset, uint64_t count, void *context,
                             zset_visit_callback visit) {
    struct zset_iterator iterator;
    zset_iterator_init(&iterator, zset, 0, false);
    uint64_t needed = count;
    for (uint64_t index = 0; index < zset->length && needed > 0; index++) {
        struct slice member;
        double score = 0;
        bool more = zset_iterator_next(&iterator, &member, &score);
        ASSERT(more);
        if (zset_random() % (zset->length - index) < needed) {
            needed--;
            if (!visit(context, member, score)) {
                return;
            }
        }
    }
    ASSERT(needed == 0);
}

/* Inserts a rank into an open-addressing set; false when it was there already. */
static bool rank_set_insert(uint64_t *slots, uint64_t capacity, uint64_t rank) {
    uint64_t index = (rank * 0x9e3779b97f4a7c15ull) & (capacity - 1);
    for (uint64_t probe = 0; probe < capacity; probe++) {
        if (slots[index] == rank) {
            return false;
        }
        if (slots[index] == UINT64_MAX) {
            slots[index] = rank;
            return true;
        }
        index = (index + 1) & (capacity - 1);
    }
    ASSERT(false && "rank set full");
    return false;
}

/* Floyd's sampling of distinct ranks: O(count log length) for a skiplist. */
static bool sample_floyd(struct heap *heap, const struct zset *zset, uint64_t count,
                         void *context, zset_visit_callback visit) {
    ASSERT(zset->encoding == ZSET_ENCODING_SKIPLIST);
    uint64_t capacity = table_size_for(count * 2);
    uint64_t *slots = scratch_alloc(heap, capacity * sizeof(uint64_t));
    if (slots == NULL) {
        return false;
    }
    memset(slots, 0xff, (size_t)(capacity * sizeof(uint64_t)));
    for (uint64_t top = zset->length - count; top < zset->length; top++) {
        uint64_t rank = zset_random() % (top + 1);
        if (!rank_set_insert(slots, capacity, rank)) {
            rank = top;
            bool inserted = rank_set_insert(slots, capacity, rank);
            ASSERT(inserted);
        }
        const struct zset_node *node = skiplist_node_at(zset->skiplist, rank + 1);
        if (!visit(context, node_member(node), node->score)) {
            break;
        }
    }
    heap_free(heap, slots);
    return true;
}

bool zset_sample(struct heap *heap, const struct zset *zset, uint64_t count, bool distinct,
                 void *context, zset_visit_callback visit) {
    ASSERT(zset->length > 0);
    ASSERT(visit != NULL);
    if (!distinct) {
        return sample_repeated(heap, zset, count, context, visit);
    }
    ASSERT(count < zset->length);
    if (zset->encoding == ZSET_ENCODING_LISTPACK || count > zset->length / 3) {
        sample_selection(zset, count, context, visit);
        return true;
    }
    return sample_floyd(heap, zset, count, context, visit);
}

/* ==== Verification (tests) ==== */

static void verify_pack(const struct heap *heap, const struct zset *zset) {
    uint32_t offset = 0;
    struct pack_entry previous = { 0 };
    for (uint64_t index = 0; index < zset->length; index++) {
        struct pack_entry entry = pack_decode(zset, offset);
        ASSERT(entry.score == entry.score);
        ASSERT(!(entry.score == 0 && signbit(entry.score)));
        if (index > 0) {
            ASSERT(entry_compare(previous.score, previous.member, entry.score, entry.member) < 0);
            ASSERT(pack_previous(zset, offset) == previous.offset);
        }
        previous = entry;
        offset += entry.size;
    }
    ASSERT(offset == zset->pack_size);
    ASSERT((zset->pack == NULL) == (zset->pack_size == 0));
    uint64_t memory = heap_usable_size(heap, zset);
    if (zset->pack != NULL) {
        memory += heap_usable_size(heap, zset->pack);
    }
    ASSERT(memory == zset->memory_size);
}

/* Every span at `level` equals the level-0 distance it skips (to the end when NULL). */
static void verify_level(const struct zset_skiplist *skiplist, uint32_t level) {
    const struct zset_node *x = skiplist->header;
    uint64_t x_rank = 0;
    const struct zset_node *node = skiplist->header->levels[0].forward;
    for (uint64_t rank = 1; node != NULL; rank++) {
        ASSERT(rank <= skiplist->length);
        if (x->levels[level].forward == node) {
            ASSERT(x->levels[level].span == rank - x_rank);
            ASSERT(node->level_count > level);
            x = node;
            x_rank = rank;
        } else {
            ASSERT(node->level_count <= level);
        }
        node = node->levels[0].forward;
    }
    ASSERT(x->levels[level].forward == NULL);
    ASSERT(x->levels[level].span == skiplist->length - x_rank || x == skiplist->header);
}

static uint64_t verify_tables(const struct heap *heap, const struct zset_skiplist *skiplist) {
    uint64_t memory = 0;
    for (uint32_t table_index = 0; table_index < 2; table_index++) {
        const struct zset_table *table = &skiplist->tables[table_index];
        uint64_t count = 0;
        for (uint64_t bucket = 0; bucket < table->size; bucket++) {
            const struct zset_node *node = table->buckets[bucket];
            if (table_index == 0 && table_rehashing(skiplist) && bucket < skiplist->rehash_index) {
                ASSERT(node == NULL);
            }
            for (; node != NULL; node = node->hash_next) {
                ASSERT((index_hash(node_member(node)) & (table->size - 1)) == bucket);
                ASSERT(count < table->count);
                memory += heap_usable_size(heap, node);
                count++;
            }
        }
        ASSERT(count == table->count);
        if (table->buckets != NULL) {
            memory += heap_usable_size(heap, table->buckets);
        }
    }
    ASSERT(table_rehashing(skiplist) || skiplist->tables[1].size == 0);
    return memory;
}

static void verify_skiplist(const struct heap *heap, const struct zset *zset) {
    const struct zset_skiplist *skiplist = zset->skiplist;
    ASSERT(skiplist->tables[0].count + skiplist->tables[1].count == zset->length);
    uint64_t memory = heap_usable_size(heap, zset) + heap_usable_size(heap, skiplist) +
                      heap_usable_size(heap, skiplist->header);
    memory += verify_tables(heap, skiplist);
    ASSERT(memory == zset->memory_size);
    if (!skiplist->linked) {
        return;
    }
    ASSERT(skiplist->length == zset->length);
    const struct zset_node *previous = NULL;
    const struct zset_node *node = skiplist->header->levels[0].forward;
    for (uint64_t rank = 1; node != NULL; rank++) {
        ASSERT(rank <= zset->length);
        ASSERT(node->backward == previous);
        if (previous != NULL) {
            ASSERT(entry_compare(previous->score, node_member(previous), node->score,
                                 node_member(node)) < 0);
        }
        ASSERT(table_find(skiplist, node_member(node), index_hash(node_member(node))) == node);
        previous = node;
        node = node->levels[0].forward;
    }
    ASSERT(skiplist->tail == previous);
    for (uint32_t level = 0; level < skiplist->level; level++) {
        verify_level(skiplist, level);
    }
}

void zset_verify(const struct heap *heap, const struct zset *zset) {
    ASSERT(zset != NULL);
    if (zset->encoding == ZSET_ENCODING_LISTPACK) {
        ASSERT(zset->skiplist == NULL);
        verify_pack(heap, zset);
    } else {
        ASSERT(zset->pack == NULL);
        verify_skiplist(heap, zset);
    }
}

/* ==== Public: parsing range bounds ==== */

#define SCORE_TEXT_SIZE_MAX 5120u

bool zset_parse_score_bound(struct slice text, struct zset_bound *bound) {
    ASSERT(bound != NULL);
    memset(bound, 0, sizeof(*bound));
    /* Redis reads the argument as a C string: it ends at the first NUL byte. */
    const uint8_t *nul = text.size > 0 ? memchr(text.ptr, 0, text.size) : NULL;
    uint32_t size = nul != NULL ? (uint32_t)(nul - text.ptr) : text.size;
    uint32_t start = 0;
    if (size > 0 && text.ptr[0] == '(') {
        bound->exclusive = true;
        start = 1;
    }
    if (size - start >= SCORE_TEXT_SIZE_MAX) {
        return false;
    }
    char buffer[SCORE_TEXT_SIZE_MAX];
    if (size > start) {
        memcpy(buffer, text.ptr + start, size - start);
    }
    buffer[size - start] = 0;
    char *end = NULL;
    double value = strtod(buffer, &end);
    if (*end != 0 || isnan(value)) {
        return false;
    }
    bound->score = value;
    return true;
}

bool zset_parse_lex_bound(struct slice text, struct zset_bound *bound) {
    ASSERT(bound != NULL);
    memset(bound, 0, sizeof(*bound));
    if (text.size == 0) {
        return false;
    }
    bool alone = text.size == 1 || text.ptr[1] == 0; /* Redis tests c[1] == '\0' */
    switch (text.ptr[0]) {
    case '+':
    case '-':
        if (!alone) {
            return false;
        }
        bound->exclusive = true;
        bound->infinity = text.ptr[0] == '+' ? ZSET_LEX_PLUS : ZSET_LEX_MINUS;
        return true;
    case '(':
    case '[':
        bound->exclusive = text.ptr[0] == '(';
        bound->member = (struct slice){ .ptr = text.ptr + 1, .size = text.size - 1 };
        return true;
    default:
        return false;
    }
}
