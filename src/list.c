/*
 * list.c: the list value type (see list.h), a chain of packed nodes in the heap.
 *
 * Layout of one node (one heap object):
 *
 *   +------+------+-------------+------------+---------+---------+---------+-------+
 *   | prev | next | entry_count | used_size  | entry 0 | entry 1 |   ...   | slack |
 *   | 8 B  | 8 B  | 4 B         | 4 B        |         |         |         |       |
 *   +------+------+-------------+------------+---------+---------+---------+-------+
 *   <------------- LIST_NODE_HEADER_SIZE ----><------ used_size bytes ----->
 *
 * and of one entry:
 *
 *   +---------------------+-------------------+----------------------+
 *   | forward varint size | value_size bytes  | backward varint size |
 *   +---------------------+-------------------+----------------------+
 *
 * The forward varint is LEB128 (low 7 bits first, high bit = more bytes follow).
 * The backward varint holds the same number mirrored, as Redis's listpack does:
 * its last byte carries the low 7 bits and its high bit says more bytes precede,
 * so an entry can be decoded reading backwards from its end.
 *
 * Invariants (checked by list_verify):
 * - No node is empty; length is the sum of entry counts; node_count counts nodes.
 * - A node holds at most node_size_max bytes including its header, except a
 *   node holding a single element too large for that, which is sized for it,
 *   and at most node_entry_count_max entries (both set from the fill).
 * - Every entry's two varints agree and the entries fill used_size exactly.
 * - packed_size is LIST_PACKED_EMPTY_SIZE plus list_packed_entry_size of every
 *   element: what Redis's lpBytes would say, for the encoding rule.
 *
 * Memory: a node grows by moving to the next heap size class (classes are about
 * 12.5% apart) and uses the class slack before moving. When entries leave a node
 * and its class is at least twice what it needs, it moves to a smaller object if
 * the heap has room (never required: removal never fails). Every mutation
 * allocates first and links after, so a full heap leaves the list unchanged.
 */
#include "list.h"

struct list {
    struct list_node *head;
    struct list_node *tail;
    uint64_t length;     /* elements */
    uint64_t node_count;
    uint64_t packed_size;            /* bytes as one Redis listpack (lpBytes) */
    uint32_t node_size_max;          /* bytes of a node with 2+ entries, header included */
    uint32_t node_entry_count_max;   /* entries of a node */
    bool quicklist;                  /* OBJECT ENCODING: "quicklist", else "listpack" */
};

struct list_node {
    struct list_node *prev;
    struct list_node *next;
    uint32_t entry_count;
    uint32_t used_size;  /* bytes of entries[] holding entries */
    uint8_t entries[];
};

STATIC_ASSERT(sizeof(struct list_node) == LIST_NODE_HEADER_SIZE, "node header layout");
STATIC_ASSERT(LIST_NODE_SIZE_MAX > LIST_NODE_HEADER_SIZE + 16, "a node holds entries");
STATIC_ASSERT(LIST_NODE_SIZE_LIMIT_MAX <= HEAP_CLASS_SIZE_MAX, "a node is a small heap object");
STATIC_ASSERT(LIST_NODE_SIZE_SAFETY <= LIST_NODE_SIZE_LIMIT_MAX, "safety within the largest");

#define VARINT_SIZE_MAX 5u
/* Redis's optimization_level: a node's bytes for fill -1, -2, ... -5. */
#define FILL_SIZE_CLASS_COUNT 5u
#define FILL_SIZE_SMALLEST ((uint32_t)4096)
STATIC_ASSERT((FILL_SIZE_SMALLEST << (FILL_SIZE_CLASS_COUNT - 1)) == LIST_NODE_SIZE_LIMIT_MAX,
              "fill -5 is the largest node");
STATIC_ASSERT((FILL_SIZE_SMALLEST << 1) == LIST_NODE_SIZE_MAX, "fill -2 is the default node");

/* One decoded entry: where it starts inside its node, its total bytes, its value. */
struct entry {
    uint32_t offset;
    uint32_t size;
    struct slice value;
};

/* A located element: its node, its index inside the node and its byte offset. */
struct position {
    struct list_node *node;
    uint32_t index;
    uint32_t offset;
};

/* ==== Varints and entries ==== */

static uint32_t varint_size(uint32_t value) {
    uint32_t size = 1;
    for (; size < VARINT_SIZE_MAX && (value >> (7 * size)) != 0; size++) {
    }
    ASSERT(size >= 1);
    ASSERT(size <= VARINT_SIZE_MAX);
    return size;
}

static uint64_t entry_size_for(uint32_t value_size) {
    uint64_t size = (uint64_t)value_size + 2 * varint_size(value_size);
    ASSERT(size >= 2);
    return size;
}

/* Writes the 7-bit groups of value, low group first, into target[0..size). */
static void varint_write(uint8_t *target, uint32_t value, bool backward) {
    uint32_t size = varint_size(value);
    for (uint32_t group = 0; group < size; group++) {
        uint8_t byte = (uint8_t)((value >> (7 * group)) & 0x7f);
        if (group + 1 < size) {
            byte = (uint8_t)(byte | 0x80);
        }
        target[backward ? size - 1 - group : group] = byte;
    }
}

/* Decodes a varint whose byte for group g sits at source + g * step; returns its size. */
static uint32_t varint_read(const uint8_t *source, uint32_t available, int step,
                            uint32_t *value) {
    ASSERT(available > 0);
    uint32_t result = 0;
    for (uint32_t group = 0; group < VARINT_SIZE_MAX; group++) {
        ASSERT(group < available);
        uint8_t byte = source[(int64_t)group * step];
        if (group == VARINT_SIZE_MAX - 1) {
            ASSERT((byte & 0x7f) < 16); /* the fifth group holds bits 28..31 */
        }
        result |= (uint32_t)(byte & 0x7f) << (7 * group);
        if ((byte & 0x80) == 0) {
            *value = result;
            ASSERT(varint_size(result) == group + 1); /* canonical: no padding groups */
            return group + 1;
        }
    }
    ASSERT(false && "varint longer than five bytes");
    return 0;
}

/* Writes the whole entry for value at target. The value may overlap target. */
static void entry_write(uint8_t *target, struct slice value) {
    uint32_t head_size = varint_size(value.size);
    varint_write(target, value.size, false);
    if (value.size > 0) {
        memmove(target + head_size, value.ptr, value.size);
    }
    varint_write(target + head_size + value.size, value.size, true);
    if (value.size <= 0x7f) {
        ASSERT(target[0] == value.size);
    }
}

static struct entry entry_read_forward(const struct list_node *node, uint32_t offset) {
    ASSERT(offset < node->used_size);
    uint32_t available = node->used_size - offset;
    uint32_t value_size = 0;
    const uint8_t *start = node->entries + offset;
    uint32_t head_size = varint_read(start, available, 1, &value_size);
    uint64_t size = entry_size_for(value_size);
    ASSERT(size <= available);
    uint32_t back_size = 0;
    ASSERT(varint_read(start + size - 1, head_size, -1, &back_size) == head_size);
    ASSERT(back_size == value_size);
    return (struct entry){ .offset = offset,
                           .size = (uint32_t)size,
                           .value = { .ptr = start + head_size, .size = value_size } };
}

/* Decodes the entry that ends at end_offset. */
static struct entry entry_read_backward(const struct list_node *node, uint32_t end_offset) {
    ASSERT(end_offset > 0);
    ASSERT(end_offset <= node->used_size);
    uint32_t value_size = 0;
    uint32_t back_size = varint_read(node->entries + end_offset - 1, end_offset, -1, &value_size);
    uint64_t size = entry_size_for(value_size);
    ASSERT(size <= end_offset);
    struct entry entry = entry_read_forward(node, end_offset - (uint32_t)size);
    ASSERT(entry.size == size);
    ASSERT(back_size == varint_size(value_size));
    return entry;
}

/* Bytes taken by count entries starting at offset. */
static uint32_t node_range_size(const struct list_node *node, uint32_t offset, uint32_t count) {
    ASSERT(count > 0);
    uint32_t end = offset;
    for (uint32_t index = 0; index < count; index++) {
        end += entry_read_forward(node, end).size;
    }
    ASSERT(end <= node->used_size);
    return end - offset;
}

/* Byte offset of the entry at entry_index, walking from the nearer end of the node. */
static uint32_t node_entry_offset(const struct list_node *node, uint32_t entry_index) {
    ASSERT(entry_index < node->entry_count);
    if (entry_index <= node->entry_count / 2) {
        return entry_index == 0 ? 0 : node_range_size(node, 0, entry_index);
    }
    uint32_t end = node->used_size;
    for (uint32_t index = node->entry_count; index > entry_index + 1; index--) {
        end -= entry_read_backward(node, end).size;
    }
    uint32_t offset = end - entry_read_backward(node, end).size;
    ASSERT(offset < node->used_size);
    return offset;
}

/* ==== Redis listpack sizes (for the encoding rule) ==== */

/* lpEncodeBacklen's size for an entry of encoded_size bytes. */
static uint64_t packed_backlen_size(uint64_t encoded_size) {
    ASSERT(encoded_size >= 1);
    if (encoded_size <= 127) {
        return 1;
    }
    if (encoded_size < 16383) {
        return 2;
    }
    if (encoded_size < 2097151) {
        return 3;
    }
    return encoded_size < 268435455 ? 4 : 5;
}

/* lpEncodeGetType's size for an integer: 7-bit uint, 13/16/24/32/64-bit int. */
static uint64_t packed_integer_size(int64_t number) {
    if (number >= 0 && number <= 127) {
        return 1;
    }
    if (number >= -4096 && number <= 4095) {
        return 2;
    }
    if (number >= -32768 && number <= 32767) {
        return 3;
    }
    if (number >= -8388608 && number <= 8388607) {
        return 4;
    }
    return number >= INT32_MIN && number <= INT32_MAX ? 5 : 9;
}

uint64_t list_packed_entry_size(struct slice value) {
    int64_t number = 0;
    uint64_t encoded_size = 0;
    /* lpStringToInt64 accepts what string2ll does: canonical, at most 20 bytes. */
    if (value.size > 0 && value.size <= 20 && parse_int64(value.ptr, value.size, &number)) {
        encoded_size = packed_integer_size(number);
    } else if (value.size < 64) {
        encoded_size = 1 + (uint64_t)value.size;
    } else if (value.size < 4096) {
        encoded_size = 2 + (uint64_t)value.size;
    } else {
        encoded_size = 5 + (uint64_t)value.size;
    }
    uint64_t size = encoded_size + packed_backlen_size(encoded_size);
    ASSERT(size >= 2);
    ASSERT(size <= (uint64_t)value.size + 10);
    return size;
}

/* Packed bytes of count entries of node starting at offset. */
static uint64_t node_range_packed_size(const struct list_node *node, uint32_t offset,
                                       uint32_t count) {
    ASSERT(count <= node->entry_count);
    uint64_t size = 0;
    for (uint32_t index = 0; index < count; index++) {
        struct entry entry = entry_read_forward(node, offset);
        size += list_packed_entry_size(entry.value);
        offset += entry.size;
    }
    ASSERT(offset <= node->used_size);
    return size;
}

/* ==== Nodes ==== */

/* Bytes of entries a node with two or more entries may hold. */
static uint32_t list_entries_size_max(const struct list *list) {
    ASSERT(list->node_size_max > LIST_NODE_HEADER_SIZE + 16);
    ASSERT(list->node_size_max <= LIST_NODE_SIZE_LIMIT_MAX);
    return list->node_size_max - LIST_NODE_HEADER_SIZE;
}

static uint64_t node_capacity_size(const struct heap *heap, const struct list_node *node) {
    uint64_t usable_size = heap_usable_size(heap, node);
    ASSERT(usable_size >= LIST_NODE_HEADER_SIZE + (uint64_t)node->used_size);
    return usable_size - LIST_NODE_HEADER_SIZE;
}

/* An empty, unlinked node with room for entries_size bytes of entries, or NULL. */
static struct list_node *node_alloc(struct heap *heap, uint64_t entries_size) {
    ASSERT(entries_size >= 2);
    ASSERT(LIST_NODE_HEADER_SIZE + entries_size <= UINT32_MAX);
    struct list_node *node = heap_alloc(heap, LIST_NODE_HEADER_SIZE + entries_size);
    if (node == NULL) {
        return NULL;
    }
    node->prev = NULL;
    node->next = NULL;
    node->entry_count = 0;
    node->used_size = 0;
    ASSERT(node_capacity_size(heap, node) >= entries_size);
    return node;
}

/* A node holding just value, sized for it, or NULL. */
static struct list_node *node_create(struct heap *heap, struct slice value) {
    uint64_t size = entry_size_for(value.size);
    struct list_node *node = node_alloc(heap, size);
    if (node == NULL) {
        return NULL;
    }
    entry_write(node->entries, value);
    node->entry_count = 1;
    node->used_size = (uint32_t)size;
    ASSERT(entry_read_forward(node, 0).value.size == value.size);
    return node;
}

/* Links an unlinked node after left, or at the head when left is NULL. */
static void node_link_after(struct list *list, struct list_node *left, struct list_node *node) {
    ASSERT(node->prev == NULL);
    ASSERT(node->next == NULL);
    struct list_node *right = left != NULL ? left->next : list->head;
    node->prev = left;
    node->next = right;
    if (left != NULL) {
        left->next = node;
    } else {
        list->head = node;
    }
    if (right != NULL) {
        right->prev = node;
    } else {
        list->tail = node;
    }
    list->node_count++;
}

static void node_unlink(struct list *list, struct list_node *node) {
    ASSERT(list->node_count > 0);
    if (node->prev != NULL) {
        ASSERT(node->prev->next == node);
        node->prev->next = node->next;
    } else {
        ASSERT(list->head == node);
        list->head = node->next;
    }
    if (node->next != NULL) {
        ASSERT(node->next->prev == node);
        node->next->prev = node->prev;
    } else {
        ASSERT(list->tail == node);
        list->tail = node->prev;
    }
    node->prev = NULL;
    node->next = NULL;
    list->node_count--;
}

/* Puts target in source's place in the chain and frees source. */
static void node_replace(struct heap *heap, struct list *list, struct list_node *source,
                         struct list_node *target) {
    ASSERT(source != target);
    ASSERT(target->entry_count > 0);
    struct list_node *left = source->prev;
    node_unlink(list, source);
    heap_free(heap, source);
    node_link_after(list, left, target);
}

/* True when a node of needed_size bytes should leave an object of usable_size bytes. */
static bool node_oversized(const struct heap *heap, uint64_t usable_size, uint64_t needed_size) {
    ASSERT(needed_size > LIST_NODE_HEADER_SIZE);
    ASSERT(usable_size > LIST_NODE_HEADER_SIZE);
    return heap_size_for(heap, needed_size) * 2 <= usable_size;
}

/*
 * Moves a node that lost entries to a smaller object when that halves it or more.
 * Optional: when the heap has no room the node stays. Returns the node's address.
 */
static struct list_node *node_shrink(struct heap *heap, struct list *list,
                                     struct list_node *node) {
    ASSERT(node->entry_count > 0);
    uint64_t usable_size = heap_usable_size(heap, node);
    if (!node_oversized(heap, usable_size, LIST_NODE_HEADER_SIZE + (uint64_t)node->used_size)) {
        return node;
    }
    struct list_node *target = node_alloc(heap, node->used_size);
    if (target == NULL) {
        return node;
    }
    memcpy(target->entries, node->entries, node->used_size);
    target->entry_count = node->entry_count;
    target->used_size = node->used_size;
    node_replace(heap, list, node, target);
    ASSERT(heap_usable_size(heap, target) < usable_size);
    return target;
}

/* Removes size bytes holding count entries at offset, in place. */
static void node_cut(struct list_node *node, uint32_t offset, uint32_t size, uint32_t count) {
    ASSERT(count <= node->entry_count);
    ASSERT(size <= node->used_size - offset);
    uint32_t tail_offset = offset + size;
    memmove(node->entries + offset, node->entries + tail_offset, node->used_size - tail_offset);
    node->used_size -= size;
    node->entry_count -= count;
    ASSERT((node->entry_count == 0) == (node->used_size == 0));
}

/* After a cut: frees an empty node (returns NULL) or shrinks it (returns its address). */
static struct list_node *node_settle(struct heap *heap, struct list *list,
                                     struct list_node *node) {
    ASSERT(node != NULL);
    if (node->entry_count == 0) {
        ASSERT(node->used_size == 0);
        node_unlink(list, node);
        heap_free(heap, node);
        return NULL;
    }
    return node_shrink(heap, list, node);
}

/* Joins two neighbours when the result fits a node; optional, as node_shrink. */
static void node_merge(struct heap *heap, struct list *list, struct list_node *left,
                       struct list_node *right) {
    if (left == NULL || right == NULL) {
        return;
    }
    ASSERT(left->next == right);
    ASSERT(right->prev == left);
    uint64_t used_size = (uint64_t)left->used_size + right->used_size;
    uint64_t entry_count = (uint64_t)left->entry_count + right->entry_count;
    if (used_size > list_entries_size_max(list) || entry_count > list->node_entry_count_max) {
        return;
    }
    struct list_node *target = left;
    if (used_size > node_capacity_size(heap, left)) {
        target = node_alloc(heap, used_size);
        if (target == NULL) {
            return;
        }
        memcpy(target->entries, left->entries, left->used_size);
        target->entry_count = left->entry_count;
        target->used_size = left->used_size;
        node_replace(heap, list, left, target);
    }
    memcpy(target->entries + target->used_size, right->entries, right->used_size);
    target->used_size = (uint32_t)used_size;
    target->entry_count += right->entry_count;
    node_unlink(list, right);
    heap_free(heap, right);
    ASSERT(target->used_size <= node_capacity_size(heap, target));
}

/* ==== Splicing one entry into a node ==== */

/* True when node can hold the result of replacing old_size bytes with entry_size bytes. */
static bool node_fits(const struct list *list, const struct list_node *node, uint32_t old_size,
                      uint64_t entry_size) {
    ASSERT(old_size <= node->used_size);
    ASSERT(entry_size >= 2);
    if (old_size > 0 && node->entry_count == 1) {
        return true; /* it stays a node of one element, sized for it */
    }
    uint64_t entry_count = (uint64_t)node->entry_count + (old_size == 0 ? 1 : 0);
    return entry_count <= list->node_entry_count_max &&
           (uint64_t)node->used_size - old_size + entry_size <= list_entries_size_max(list);
}

/*
 * Replaces old_size bytes at offset with value's entry inside the node's object.
 * A value inside the part that moves (the same list's element) is followed.
 */
static void node_splice_in_place(struct list_node *node, uint32_t offset, uint32_t old_size,
                                 struct slice value) {
    uint32_t entry_size = (uint32_t)entry_size_for(value.size);
    uint32_t tail_offset = offset + old_size;
    uint32_t tail_size = node->used_size - tail_offset;
    uintptr_t tail_start = (uintptr_t)(node->entries + tail_offset);
    uintptr_t value_start = (uintptr_t)value.ptr;
    if (value.size > 0 && value_start >= tail_start && value_start < tail_start + tail_size) {
        value.ptr = node->entries + offset + entry_size + (value_start - tail_start);
    }
    memmove(node->entries + offset + entry_size, node->entries + tail_offset, tail_size);
    entry_write(node->entries + offset, value);
    node->used_size = node->used_size - old_size + entry_size;
    node->entry_count += old_size == 0 ? 1 : 0;
    ASSERT(node->used_size >= entry_size);
}

/*
 * Replaces old_size bytes at offset with value's entry (old_size 0 inserts). The
 * node must fit the result (node_fits). Moves to a new object when the current one
 * is too small (or twice too large). False, node unchanged, when the heap is full.
 */
static bool node_splice(struct heap *heap, struct list *list, struct list_node *node,
                        uint32_t offset, uint32_t old_size, struct slice value) {
    uint64_t entry_size = entry_size_for(value.size);
    ASSERT(node_fits(list, node, old_size, entry_size));
    uint64_t used_size = (uint64_t)node->used_size - old_size + entry_size;
    uint64_t capacity_size = node_capacity_size(heap, node);
    bool oversized = node_oversized(heap, capacity_size + LIST_NODE_HEADER_SIZE,
                                    LIST_NODE_HEADER_SIZE + used_size);
    if (used_size <= capacity_size && !oversized) {
        node_splice_in_place(node, offset, old_size, value);
        return true;
    }
    /* Growing: take half again as much, so a run of pushes reallocates O(log n) times.
     * (Less than double, so the slack never looks oversized to node_oversized.) */
    uint64_t target_size = used_size;
    if (used_size > capacity_size) {
        uint64_t size_max = list_entries_size_max(list);
        target_size = MAX(used_size, MIN(used_size + used_size / 2, size_max));
    }
    struct list_node *target = node_alloc(heap, target_size);
    if (target == NULL && target_size > used_size) {
        target = node_alloc(heap, used_size);
    }
    if (target == NULL) {
        if (used_size <= capacity_size) {
            node_splice_in_place(node, offset, old_size, value);
            return true;
        }
        return false;
    }
    uint32_t tail_offset = offset + old_size;
    memcpy(target->entries, node->entries, offset);
    entry_write(target->entries + offset, value);
    memcpy(target->entries + offset + entry_size, node->entries + tail_offset,
           node->used_size - tail_offset);
    target->entry_count = node->entry_count + (old_size == 0 ? 1 : 0);
    target->used_size = (uint32_t)used_size;
    node_replace(heap, list, node, target);
    return true;
}

/*
 * The entry at the start of at.node (old_size bytes, 0 to insert) becomes value's
 * entry, which goes to the end of the previous node when it fits, else to a node of
 * its own.
 */
static bool list_splice_before(struct heap *heap, struct list *list, struct position at,
                               uint32_t old_size, struct slice value) {
    ASSERT(at.offset == 0);
    ASSERT(at.index == 0);
    struct list_node *node = at.node;
    struct list_node *prev = node->prev;
    if (prev != NULL && node_fits(list, prev, 0, entry_size_for(value.size))) {
        if (!node_splice(heap, list, prev, prev->used_size, 0, value)) {
            return false;
        }
    } else {
        struct list_node *fresh = node_create(heap, value);
        if (fresh == NULL) {
            return false;
        }
        node_link_after(list, prev, fresh);
    }
    if (old_size > 0) {
        node_cut(node, 0, old_size, 1);
        struct list_node *settled = node_settle(heap, list, node);
        ASSERT(settled != NULL); /* node_fits failed, so other entries remain */
    }
    return true;
}

/* As list_splice_before, for an entry at the end of at.node and the next node. */
static bool list_splice_after(struct heap *heap, struct list *list, struct position at,
                              uint32_t old_size, struct slice value) {
    struct list_node *node = at.node;
    ASSERT(at.offset + old_size == node->used_size);
    struct list_node *next = node->next;
    if (next != NULL && node_fits(list, next, 0, entry_size_for(value.size))) {
        if (!node_splice(heap, list, next, 0, 0, value)) {
            return false;
        }
    } else {
        struct list_node *fresh = node_create(heap, value);
        if (fresh == NULL) {
            return false;
        }
        node_link_after(list, node, fresh);
    }
    if (old_size > 0) {
        node_cut(node, at.offset, old_size, 1);
        struct list_node *settled = node_settle(heap, list, node);
        ASSERT(settled != NULL); /* node_fits failed, so other entries remain */
    }
    return true;
}

/*
 * Splits at.node: the entries after the old one move to a new right node, which
 * starts with value's entry when that fits, else value gets a node of its own
 * between. Everything is allocated before the node is touched.
 */
static bool list_splice_split(struct heap *heap, struct list *list, struct position at,
                              uint32_t old_size, struct slice value) {
    struct list_node *node = at.node;
    uint32_t tail_offset = at.offset + old_size;
    uint32_t tail_size = node->used_size - tail_offset;
    uint32_t tail_count = node->entry_count - at.index - (old_size > 0 ? 1 : 0);
    ASSERT(at.offset > 0);
    ASSERT(tail_size > 0);
    uint64_t entry_size = entry_size_for(value.size);
    bool together = entry_size + tail_size <= list_entries_size_max(list) &&
                    (uint64_t)tail_count + 1 <= list->node_entry_count_max;
    struct list_node *fresh = NULL;
    if (!together) {
        fresh = node_create(heap, value);
        if (fresh == NULL) {
            return false;
        }
    }
    struct list_node *right = node_alloc(heap, tail_size + (together ? entry_size : 0));
    if (right == NULL) {
        if (fresh != NULL) {
            heap_free(heap, fresh);
        }
        return false;
    }
    if (together) {
        entry_write(right->entries, value);
        right->used_size = (uint32_t)entry_size;
        right->entry_count = 1;
    }
    memcpy(right->entries + right->used_size, node->entries + tail_offset, tail_size);
    right->used_size += tail_size;
    right->entry_count += tail_count;
    node->used_size = at.offset;
    node->entry_count = at.index;
    node_link_after(list, node, right);
    if (fresh != NULL) {
        node_link_after(list, node, fresh);
    }
    node_shrink(heap, list, node);
    return true;
}

/* Replaces the old_size-byte entry at `at` (0: inserts before it) with value's entry. */
static bool list_splice(struct heap *heap, struct list *list, struct position at,
                        uint32_t old_size, struct slice value) {
    ASSERT(value.size <= LIST_ELEMENT_SIZE_MAX);
    ASSERT(at.offset + old_size <= at.node->used_size);
    if (node_fits(list, at.node, old_size, entry_size_for(value.size))) {
        return node_splice(heap, list, at.node, at.offset, old_size, value);
    }
    if (at.offset == 0) {
        return list_splice_before(heap, list, at, old_size, value);
    }
    if (at.offset + old_size == at.node->used_size) {
        return list_splice_after(heap, list, at, old_size, value);
    }
    return list_splice_split(heap, list, at, old_size, value);
}

/* ==== Locating ==== */

/* The element at index (< length): walks nodes from the nearer end, then entries. */
static struct position list_locate(const struct list *list, uint64_t index) {
    ASSERT(index < list->length);
    struct list_node *node = NULL;
    uint64_t inside = 0;
    if (index < list->length / 2) {
        node = list->head;
        inside = index;
        for (uint64_t step = 0; step < list->node_count && inside >= node->entry_count; step++) {
            inside -= node->entry_count;
            node = node->next;
        }
    } else {
        node = list->tail;
        uint64_t from_tail = list->length - 1 - index;
        for (uint64_t step = 0; step < list->node_count && from_tail >= node->entry_count;
             step++) {
            from_tail -= node->entry_count;
            node = node->prev;
        }
        inside = node->entry_count - 1 - from_tail;
    }
    ASSERT(node != NULL);
    ASSERT(inside < node->entry_count);
    uint32_t entry_index = (uint32_t)inside;
    return (struct position){ .node = node,
                              .index = entry_index,
                              .offset = node_entry_offset(node, entry_index) };
}

/* ==== Public functions ==== */

struct list *list_create(struct heap *heap) {
    ASSERT(heap != NULL);
    struct list *list = heap_alloc(heap, sizeof(struct list));
    if (list == NULL) {
        return NULL;
    }
    *list = (struct list){ .head = NULL,
                           .tail = NULL,
                           .length = 0,
                           .node_count = 0,
                           .packed_size = LIST_PACKED_EMPTY_SIZE,
                           .quicklist = false };
    list_set_node_limit(list, LIST_FILL_DEFAULT);
    ASSERT(heap_usable_size(heap, list) >= sizeof(struct list));
    return list;
}

/* quicklistNodeLimit: a node's byte limit and entry limit for a fill. */
static void fill_limits(int32_t fill, uint64_t *size_max, uint64_t *count_max) {
    ASSERT(size_max != NULL);
    ASSERT(count_max != NULL);
    if (fill >= 0) {
        *size_max = UINT64_MAX;
        *count_max = fill == 0 ? 1 : (uint64_t)fill;
        return;
    }
    uint64_t level = MIN((uint64_t)(-(int64_t)fill) - 1, (uint64_t)FILL_SIZE_CLASS_COUNT - 1);
    *size_max = (uint64_t)FILL_SIZE_SMALLEST << level;
    *count_max = UINT64_MAX;
}

void list_set_node_limit(struct list *list, int32_t fill) {
    ASSERT(list != NULL);
    ASSERT(list->length == 0);
    uint64_t size_max = 0;
    uint64_t count_max = 0;
    fill_limits(fill, &size_max, &count_max);
    /* A count limit keeps Redis's safety limit on bytes too. */
    list->node_size_max = fill < 0 ? (uint32_t)size_max : LIST_NODE_SIZE_SAFETY;
    list->node_entry_count_max = (uint32_t)MIN(count_max, (uint64_t)UINT32_MAX);
    ASSERT(list->node_size_max <= LIST_NODE_SIZE_LIMIT_MAX);
    ASSERT(list->node_entry_count_max >= 1);
}

void list_destroy(struct heap *heap, struct list *list) {
    ASSERT(heap != NULL);
    ASSERT(list != NULL);
    struct list_node *node = list->head;
    uint64_t node_count = list->node_count;
    for (uint64_t step = 0; step < node_count; step++) {
        ASSERT(node != NULL);
        struct list_node *next = node->next;
        heap_free(heap, node);
        node = next;
    }
    ASSERT(node == NULL);
    heap_free(heap, list);
}

uint64_t list_length(const struct list *list) {
    ASSERT(list != NULL);
    return list->length;
}

uint64_t list_node_count(const struct list *list) {
    ASSERT(list != NULL);
    return list->node_count;
}

uint64_t list_memory_size(const struct heap *heap, const struct list *list) {
    ASSERT(list != NULL);
    uint64_t size = heap_usable_size(heap, list);
    const struct list_node *node = list->head;
    for (uint64_t step = 0; step < list->node_count; step++) {
        ASSERT(node != NULL);
        size += heap_usable_size(heap, node);
        node = node->next;
    }
    ASSERT(node == NULL);
    return size;
}

bool list_insert(struct heap *heap, struct list *list, uint64_t index, struct slice value) {
    ASSERT(index <= list->length);
    ASSERT(value.size <= LIST_ELEMENT_SIZE_MAX);
    /* Measured first: value may be an element of this list, which the insert moves. */
    uint64_t packed_size = list_packed_entry_size(value);
    bool inserted = false;
    if (list->length == 0) {
        struct list_node *fresh = node_create(heap, value);
        if (fresh != NULL) {
            node_link_after(list, NULL, fresh);
            inserted = true;
        }
    } else if (index == list->length) {
        struct list_node *tail = list->tail;
        struct position at = { .node = tail, .index = tail->entry_count,
                               .offset = tail->used_size };
        inserted = list_splice(heap, list, at, 0, value);
    } else {
        inserted = list_splice(heap, list, list_locate(list, index), 0, value);
    }
    if (inserted) {
        list->length++;
        list->packed_size += packed_size;
    }
    return inserted;
}

bool list_push(struct heap *heap, struct list *list, enum list_end end, struct slice value) {
    ASSERT(end == LIST_HEAD || end == LIST_TAIL);
    return list_insert(heap, list, end == LIST_HEAD ? 0 : list->length, value);
}

struct slice list_peek(const struct list *list, enum list_end end) {
    ASSERT(list->length > 0);
    ASSERT(end == LIST_HEAD || end == LIST_TAIL);
    if (end == LIST_HEAD) {
        return entry_read_forward(list->head, 0).value;
    }
    return entry_read_backward(list->tail, list->tail->used_size).value;
}

void list_pop(struct heap *heap, struct list *list, enum list_end end) {
    ASSERT(list->length > 0);
    ASSERT(end == LIST_HEAD || end == LIST_TAIL);
    struct list_node *node = end == LIST_HEAD ? list->head : list->tail;
    struct entry entry = end == LIST_HEAD ? entry_read_forward(node, 0)
                                          : entry_read_backward(node, node->used_size);
    uint64_t packed_size = list_packed_entry_size(entry.value);
    ASSERT(list->packed_size >= LIST_PACKED_EMPTY_SIZE + packed_size);
    node_cut(node, entry.offset, entry.size, 1);
    node_settle(heap, list, node);
    list->length--;
    list->packed_size -= packed_size;
}

struct slice list_index(const struct list *list, uint64_t index) {
    ASSERT(index < list->length);
    struct position at = list_locate(list, index);
    return entry_read_forward(at.node, at.offset).value;
}

bool list_set(struct heap *heap, struct list *list, uint64_t index, struct slice value) {
    ASSERT(index < list->length);
    ASSERT(value.size <= LIST_ELEMENT_SIZE_MAX);
    struct position at = list_locate(list, index);
    struct entry old = entry_read_forward(at.node, at.offset);
    uint64_t old_packed_size = list_packed_entry_size(old.value);
    uint64_t new_packed_size = list_packed_entry_size(value);
    uint64_t length = list->length;
    bool done = list_splice(heap, list, at, old.size, value);
    ASSERT(list->length == length);
    if (done) {
        list->packed_size = list->packed_size - old_packed_size + new_packed_size;
    }
    return done;
}

/* ==== Removal ==== */

/*
 * Removes entries equal to value from one node, walking toward the tail (or the
 * head when reverse), until *removed reaches limit. Returns the node's address,
 * NULL when it emptied and was freed.
 */
static struct list_node *node_remove_equal(struct heap *heap, struct list *list,
                                           struct list_node *node, struct slice value,
                                           bool reverse, uint64_t limit, uint64_t *removed) {
    uint32_t entry_count = node->entry_count;
    uint32_t offset = reverse ? node->used_size : 0; /* the end of the next entry if reverse */
    uint32_t cut_count = 0;
    for (uint32_t step = 0; step < entry_count && *removed < limit; step++) {
        struct entry entry = reverse ? entry_read_backward(node, offset)
                                     : entry_read_forward(node, offset);
        bool equal = slice_equal(entry.value, value);
        if (equal) {
            node_cut(node, entry.offset, entry.size, 1);
            (*removed)++;
            cut_count++;
        }
        if (reverse) {
            offset -= entry.size;
        } else if (!equal) {
            offset += entry.size;
        }
    }
    ASSERT(cut_count <= entry_count);
    ASSERT(node->entry_count == entry_count - cut_count);
    list->length -= cut_count;
    return cut_count == 0 ? node : node_settle(heap, list, node);
}

uint64_t list_remove(struct heap *heap, struct list *list, struct slice value, int64_t count) {
    ASSERT(list != NULL);
    bool reverse = count < 0;
    uint64_t limit = count == 0 ? UINT64_MAX
                   : reverse    ? (uint64_t)(-(count + 1)) + 1
                                : (uint64_t)count;
    uint64_t removed = 0;
    uint64_t length = list->length;
    uint64_t node_count = list->node_count;
    uint64_t packed_size = list_packed_entry_size(value);
    struct list_node *node = reverse ? list->tail : list->head;
    for (uint64_t step = 0; step < node_count && node != NULL && removed < limit; step++) {
        struct list_node *following = reverse ? node->prev : node->next;
        uint64_t removed_before = removed;
        node = node_remove_equal(heap, list, node, value, reverse, limit, &removed);
        if (node != NULL && removed > removed_before) {
            /* Join with the neighbour already walked, so LREM leaves no sparse nodes. */
            node_merge(heap, list, reverse ? node : node->prev, reverse ? node->next : node);
        }
        node = following;
    }
    ASSERT(removed <= limit);
    ASSERT(list->length + removed == length);
    ASSERT(list->packed_size >= LIST_PACKED_EMPTY_SIZE + removed * packed_size);
    list->packed_size -= removed * packed_size;
    return removed;
}

void list_delete_range(struct heap *heap, struct list *list, uint64_t start_index,
                       uint64_t count) {
    ASSERT(start_index <= list->length);
    ASSERT(count <= list->length - start_index);
    if (count == 0) {
        return;
    }
    struct position at = list_locate(list, start_index);
    struct list_node *seam = at.node->prev; /* the last node before the range that survives */
    struct list_node *node = at.node;
    uint64_t left = count;
    uint64_t node_count = list->node_count;
    for (uint64_t step = 0; step < node_count && left > 0; step++) {
        ASSERT(node != NULL);
        struct list_node *next = node->next;
        uint32_t take = (uint32_t)MIN(left, (uint64_t)(node->entry_count - at.index));
        uint32_t size = take == node->entry_count - at.index
                            ? node->used_size - at.offset
                            : node_range_size(node, at.offset, take);
        list->packed_size -= node_range_packed_size(node, at.offset, take);
        node_cut(node, at.offset, size, take);
        node = node_settle(heap, list, node);
        if (step == 0 && node != NULL) {
            seam = node;
        }
        left -= take;
        node = next;
        at = (struct position){ .node = next, .index = 0, .offset = 0 };
    }
    ASSERT(left == 0);
    list->length -= count;
    node_merge(heap, list, seam, seam != NULL ? seam->next : NULL);
}

void list_trim(struct heap *heap, struct list *list, uint64_t start_index, uint64_t keep_count) {
    ASSERT(start_index <= list->length);
    ASSERT(keep_count <= list->length - start_index);
    uint64_t end_index = start_index + keep_count;
    list_delete_range(heap, list, end_index, list->length - end_index);
    list_delete_range(heap, list, 0, start_index);
    ASSERT(list->length == keep_count);
}

/* ==== Iteration ==== */

void list_iterator_init(struct list_iterator *iterator, const struct list *list,
                        uint64_t start_index, bool reverse) {
    ASSERT(iterator != NULL);
    ASSERT(list != NULL);
    *iterator = (struct list_iterator){
        .list = list, .node = NULL, .offset = 0, .remaining = 0, .reverse = reverse
    };
    if (start_index >= list->length) {
        return;
    }
    struct position at = list_locate(list, start_index);
    iterator->node = at.node;
    iterator->offset = at.offset;
    iterator->remaining = list->length - start_index;
    if (reverse) {
        iterator->offset = at.offset + entry_read_forward(at.node, at.offset).size;
        iterator->remaining = start_index + 1;
    }
}

bool list_iterator_next(struct list_iterator *iterator, struct slice *value) {
    ASSERT(value != NULL);
    if (iterator->remaining == 0) {
        return false;
    }
    const struct list_node *node = iterator->node;
    ASSERT(node != NULL);
    if (!iterator->reverse) {
        struct entry entry = entry_read_forward(node, iterator->offset);
        *value = entry.value;
        iterator->offset += entry.size;
        if (iterator->offset == node->used_size) {
            iterator->node = node->next;
            iterator->offset = 0;
        }
    } else {
        struct entry entry = entry_read_backward(node, iterator->offset);
        *value = entry.value;
        iterator->offset = entry.offset;
        if (iterator->offset == 0) {
            iterator->node = node->prev;
            iterator->offset = node->prev != NULL ? node->prev->used_size : 0;
        }
    }
    iterator->remaining--;
    if (iterator->remaining > 0) {
        ASSERT(iterator->node != NULL);
    }
    return true;
}

/* ==== Verification ==== */

/* Checks one node's layout; returns the packed size of its entries. */
static uint64_t node_verify(const struct heap *heap, const struct list *list,
                            const struct list_node *node) {
    ASSERT(node->entry_count > 0);
    ASSERT(node->entry_count <= list->node_entry_count_max);
    ASSERT(node->used_size >= 2 * node->entry_count);
    ASSERT(node->used_size <= node_capacity_size(heap, node));
    if (node->used_size > list_entries_size_max(list)) {
        ASSERT(node->entry_count == 1);
    }
    uint32_t offset = 0;
    uint64_t packed_size = 0;
    for (uint32_t index = 0; index < node->entry_count; index++) {
        struct entry entry = entry_read_forward(node, offset);
        packed_size += list_packed_entry_size(entry.value);
        offset += entry.size;
    }
    ASSERT(offset == node->used_size);
    uint32_t end = node->used_size;
    for (uint32_t index = 0; index < node->entry_count; index++) {
        end -= entry_read_backward(node, end).size;
    }
    ASSERT(end == 0);
    return packed_size;
}

void list_verify(const struct heap *heap, const struct list *list) {
    ASSERT(list != NULL);
    ASSERT((list->head == NULL) == (list->length == 0));
    ASSERT((list->tail == NULL) == (list->node_count == 0));
    ASSERT(list->node_count <= list->length);
    ASSERT(heap_usable_size(heap, list) >= sizeof(struct list));
    const struct list_node *prev = NULL;
    const struct list_node *node = list->head;
    uint64_t length = 0;
    uint64_t node_count = 0;
    uint64_t packed_size = LIST_PACKED_EMPTY_SIZE;
    for (; node_count < list->node_count && node != NULL; node_count++) {
        ASSERT(node->prev == prev);
        packed_size += node_verify(heap, list, node);
        length += node->entry_count;
        prev = node;
        node = node->next;
    }
    ASSERT(node == NULL);
    ASSERT(prev == list->tail);
    ASSERT(node_count == list->node_count);
    ASSERT(length == list->length);
    ASSERT(packed_size == list->packed_size);
}

/* ==== Encoding ==== */

const char *list_encoding_name(const struct list *list) {
    ASSERT(list != NULL);
    return list->quicklist ? "quicklist" : "listpack";
}

uint64_t list_packed_size(const struct list *list) {
    ASSERT(list != NULL);
    ASSERT(list->packed_size >= LIST_PACKED_EMPTY_SIZE + 2 * list->length);
    return list->packed_size;
}

bool list_packed_exceeds(int32_t fill, uint64_t packed_size, uint64_t length) {
    ASSERT(packed_size >= LIST_PACKED_EMPTY_SIZE);
    uint64_t size_max = 0;
    uint64_t count_max = 0;
    fill_limits(fill, &size_max, &count_max);
    if (size_max != UINT64_MAX) {
        return packed_size > size_max;
    }
    ASSERT(count_max != UINT64_MAX);
    return packed_size > LIST_NODE_SIZE_SAFETY || length > count_max;
}

bool list_is_quicklist(const struct list *list) {
    ASSERT(list != NULL);
    return list->quicklist;
}

bool list_growth_converts(const struct list *list, int32_t fill, uint64_t add_size,
                          uint64_t add_count) {
    ASSERT(list != NULL);
    ASSERT(add_size <= UINT64_MAX - list->packed_size);
    if (list->quicklist) {
        return false; /* growing never turns a quicklist back */
    }
    return list_packed_exceeds(fill, list->packed_size + add_size, list->length + add_count);
}

void list_set_quicklist(struct list *list) {
    ASSERT(list != NULL);
    list->quicklist = true;
    ASSERT(list_is_quicklist(list));
}

/* listTypeTryConvertQuicklist: within the limits (halved when shrinking), a listpack. */
static void list_try_listpack(struct list *list, int32_t fill, bool shrinking) {
    ASSERT(list->quicklist);
    uint64_t size_max = 0;
    uint64_t count_max = 0;
    fill_limits(fill, &size_max, &count_max);
    if (shrinking) {
        size_max /= 2;
        count_max /= 2;
    }
    if (list->packed_size <= size_max && list->length <= count_max) {
        list->quicklist = false;
    }
}

void list_shrink_encoding(struct list *list, int32_t fill) {
    ASSERT(list != NULL);
    if (list->quicklist) {
        list_try_listpack(list, fill, true);
    }
}

void list_update_encoding(struct list *list, int32_t fill) {
    ASSERT(list != NULL);
    if (list->quicklist) {
        list_try_listpack(list, fill, false);
    } else if (list_packed_exceeds(fill, list->packed_size, list->length)) {
        list->quicklist = true;
    }
}
