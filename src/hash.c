/*
 * hash.c: the hash value type (see hash.h for the layout and the rules).
 *
 * Listpack: pairs packed in one heap object, each string as a LEB128 length
 * (1 byte below 128 bytes) then its bytes, so a pair of short strings costs 2
 * bytes beyond its data. Lookups walk the pairs (O(n), n <= the entries
 * limit). The object is reallocated to fit on growth (heap classes are spaced
 * <= 12.5% apart, so appends copy O(1) bytes amortised) and halved when a
 * delete leaves it under half full.
 *
 * Table: chained buckets. An entry is one heap object: next pointer, field
 * size, value size, field bytes, value bytes (16 bytes of header: a 16-byte
 * field and a 32-byte value fill a 64-byte object exactly). Entries do not
 * store their hash; a resize recomputes it (XXH3, index_hash).
 *
 * All-or-nothing: every allocation a change needs is made before the hash is
 * touched. A set of several pairs (HSET) on a listpack works on a private copy
 * that replaces the original only once every pair is in; on a table it first
 * builds every entry it will link, then links them, which cannot fail.
 * Bucket-array resizes are optional: when one finds no room the operation
 * completes anyway and the next one retries.
 */
#include "hash.h"

#include "index.h"

enum hash_encoding {
    HASH_ENCODING_LISTPACK = 1,
    HASH_ENCODING_TABLE = 2,
};

struct hash {
    uint8_t encoding;        /* enum hash_encoding */
    uint8_t bucket_log2;     /* table: log2 of the bucket count */
    uint16_t reserved;
    uint32_t listpack_size;  /* listpack: bytes of data in use */
    uint64_t count;          /* fields */
    void *data;              /* listpack bytes (NULL while empty), or the bucket array */
};

STATIC_ASSERT(sizeof(struct hash) == 24, "the hash header is 24 bytes");

struct hash_entry {
    struct hash_entry *next;
    uint32_t field_size;
    uint32_t value_size;
    uint8_t bytes[];         /* field, then value */
};

STATIC_ASSERT(sizeof(struct hash_entry) == 16, "a table entry has a 16-byte header");

#define HASH_VARINT_SIZE_MAX 5u           /* LEB128 bytes of a uint32 */
#define HASH_BUCKET_LOG2_MAX 48u          /* far beyond any heap */
#define HASH_RANDOM_PROBES_MAX 64u        /* random buckets tried before a linear search */
#define HASH_SAMPLE_SET_LOG2_MIN 3u
/* Sampling scratch up to these sizes lives on the stack (8 KiB each): no heap, no failure. */
#define HASH_STACK_OFFSETS_MAX 2048u
#define HASH_STACK_SET_LOG2_MAX 10u

STATIC_ASSERT(HASH_TABLE_BUCKETS_MIN == 4, "log2 of the minimum is 2 below");

/* ==== Varints and slices ==== */

static uint32_t varint_size(uint32_t value) {
    uint32_t size = 1;
    for (uint32_t step = 1; step < HASH_VARINT_SIZE_MAX && value >= 0x80; step++) {
        value >>= 7;
        size++;
    }
    ASSERT(size <= HASH_VARINT_SIZE_MAX);
    return size;
}

static uint32_t varint_write(uint8_t *target, uint32_t value) {
    ASSERT(target != NULL);
    uint32_t size = 0;
    for (uint32_t step = 1; step < HASH_VARINT_SIZE_MAX && value >= 0x80; step++) {
        target[size++] = (uint8_t)(value | 0x80);
        value >>= 7;
    }
    ASSERT(value < 0x80);
    target[size++] = (uint8_t)value;
    return size;
}

static uint32_t varint_read(const uint8_t *source, uint32_t *value) {
    ASSERT(source != NULL);
    uint32_t result = 0;
    for (uint32_t index = 0; index < HASH_VARINT_SIZE_MAX; index++) {
        result |= (uint32_t)(source[index] & 0x7f) << (7 * index);
        if ((source[index] & 0x80) == 0) {
            *value = result;
            return index + 1;
        }
    }
    ASSERT(false); /* a length never takes more than 5 bytes */
    return 0;
}

/* Bytes a pair takes in a listpack. */
static uint64_t listpack_pair_size(struct slice field, struct slice value) {
    uint64_t size = (uint64_t)varint_size(field.size) + field.size;
    size += (uint64_t)varint_size(value.size) + value.size;
    ASSERT(size >= 2);
    return size;
}

static uint64_t entry_size(uint32_t field_size, uint32_t value_size) {
    uint64_t size = sizeof(struct hash_entry) + (uint64_t)field_size + value_size;
    ASSERT(size >= sizeof(struct hash_entry));
    return size;
}

static struct slice entry_field(const struct hash_entry *entry) {
    ASSERT(entry != NULL);
    return (struct slice){ .ptr = entry->bytes, .size = entry->field_size };
}

static struct slice entry_value(const struct hash_entry *entry) {
    ASSERT(entry != NULL);
    return (struct slice){ .ptr = entry->bytes + entry->field_size, .size = entry->value_size };
}

static uint64_t field_hash(struct slice field) {
    return index_hash(field);
}

/* True when a slice points into the listpack (callers must not pass such slices). */
static bool listpack_holds(const struct hash *hash, struct slice text) {
    if (hash->encoding != HASH_ENCODING_LISTPACK || hash->data == NULL || text.ptr == NULL) {
        return false;
    }
    const uint8_t *data = hash->data;
    return text.ptr >= data && text.ptr < data + hash->listpack_size;
}

/* ==== Listpack ==== */

/* One pair of a listpack and where its parts are. */
struct listpack_pair {
    uint32_t start;        /* offset of the field's length */
    uint32_t value_start;  /* offset of the value's length */
    uint32_t end;          /* offset just past the value */
    struct slice field;
    struct slice value;
};

static void listpack_read(const struct hash *hash, uint32_t offset, struct listpack_pair *pair) {
    ASSERT(hash->encoding == HASH_ENCODING_LISTPACK);
    ASSERT(offset < hash->listpack_size);
    const uint8_t *data = hash->data;
    uint32_t size = 0;
    pair->start = offset;
    offset += varint_read(data + offset, &size);
    pair->field = (struct slice){ .ptr = data + offset, .size = size };
    offset += size;
    pair->value_start = offset;
    offset += varint_read(data + offset, &size);
    pair->value = (struct slice){ .ptr = data + offset, .size = size };
    pair->end = offset + size;
    ASSERT(pair->end <= hash->listpack_size);
}

static bool listpack_find(const struct hash *hash, struct slice field,
                          struct listpack_pair *pair) {
    ASSERT(hash->encoding == HASH_ENCODING_LISTPACK);
    uint32_t offset = 0;
    for (uint64_t index = 0; index < hash->count; index++) {
        listpack_read(hash, offset, pair);
        if (slice_equal(pair->field, field)) {
            return true;
        }
        offset = pair->end;
    }
    ASSERT(offset == hash->listpack_size);
    return false;
}

/*
 * Replaces bytes [start, end) with insert_size bytes the caller fills in at
 * start. In place when the object has room, else into a new object (the old
 * one is freed). Returns the data, or NULL (nothing changed) when no room.
 */
static uint8_t *listpack_splice(struct heap *heap, struct hash *hash, uint32_t start,
                                uint32_t end, uint64_t insert_size) {
    ASSERT(start <= end);
    ASSERT(end <= hash->listpack_size);
    uint32_t used = hash->listpack_size;
    uint64_t new_size = (uint64_t)used - (end - start) + insert_size;
    ASSERT(new_size <= HASH_LISTPACK_SIZE_MAX);
    uint8_t *data = hash->data;
    uint64_t capacity = data == NULL ? 0 : heap_usable_size(heap, data);
    if (new_size <= capacity) {
        memmove(data + start + insert_size, data + end, used - end);
    } else {
        uint8_t *grown = heap_alloc(heap, new_size);
        if (grown == NULL) {
            return NULL;
        }
        if (data != NULL) {
            memcpy(grown, data, start);
            memcpy(grown + start + insert_size, data + end, used - end);
            heap_free(heap, data);
        }
        hash->data = grown;
        data = grown;
    }
    hash->listpack_size = (uint32_t)new_size;
    return data;
}

static uint32_t listpack_write_pair(uint8_t *target, struct slice field, struct slice value) {
    uint32_t offset = varint_write(target, field.size);
    memcpy(target + offset, field.ptr, field.size);
    offset += field.size;
    offset += varint_write(target + offset, value.size);
    memcpy(target + offset, value.ptr, value.size);
    offset += value.size;
    ASSERT(offset == listpack_pair_size(field, value));
    return offset;
}

static bool listpack_append(struct heap *heap, struct hash *hash, struct slice field,
                            struct slice value) {
    uint32_t at = hash->listpack_size;
    uint8_t *data = listpack_splice(heap, hash, at, at, listpack_pair_size(field, value));
    if (data == NULL) {
        return false;
    }
    listpack_write_pair(data + at, field, value);
    hash->count++;
    ASSERT(hash->listpack_size > at);
    return true;
}

static bool listpack_update(struct heap *heap, struct hash *hash,
                            const struct listpack_pair *pair, struct slice value) {
    uint32_t at = pair->value_start;
    uint64_t insert_size = (uint64_t)varint_size(value.size) + value.size;
    uint8_t *data = listpack_splice(heap, hash, at, pair->end, insert_size);
    if (data == NULL) {
        return false;
    }
    at += varint_write(data + at, value.size);
    memcpy(data + at, value.ptr, value.size);
    ASSERT(at + value.size <= hash->listpack_size);
    return true;
}

/* After a delete: frees an empty listpack, moves a half-empty one to a smaller object. */
static void listpack_shrink(struct heap *heap, struct hash *hash) {
    ASSERT(hash->encoding == HASH_ENCODING_LISTPACK);
    if (hash->count == 0) {
        ASSERT(hash->listpack_size == 0);
        if (hash->data != NULL) {
            heap_free(heap, hash->data);
            hash->data = NULL;
        }
        return;
    }
    ASSERT(hash->data != NULL);
    uint64_t capacity = heap_usable_size(heap, hash->data);
    if (heap_size_for(heap, hash->listpack_size) * 2 > capacity) {
        return;
    }
    uint8_t *smaller = heap_alloc(heap, hash->listpack_size);
    if (smaller == NULL) {
        return; /* keep the larger object: a delete never fails */
    }
    memcpy(smaller, hash->data, hash->listpack_size);
    heap_free(heap, hash->data);
    hash->data = smaller;
}

static void listpack_delete(struct heap *heap, struct hash *hash,
                            const struct listpack_pair *pair) {
    ASSERT(hash->count > 0);
    uint32_t size_before = hash->listpack_size;
    uint8_t *data = listpack_splice(heap, hash, pair->start, pair->end, 0);
    ASSERT(data != NULL); /* shrinking in place needs no memory */
    hash->count--;
    ASSERT(hash->listpack_size == size_before - (pair->end - pair->start));
    listpack_shrink(heap, hash);
}

/* ==== Table ==== */

static struct hash_entry **table_buckets(const struct hash *hash) {
    ASSERT(hash->encoding == HASH_ENCODING_TABLE);
    ASSERT(hash->data != NULL);
    return hash->data;
}

static uint64_t table_bucket_count(const struct hash *hash) {
    ASSERT(hash->encoding == HASH_ENCODING_TABLE);
    ASSERT(hash->bucket_log2 <= HASH_BUCKET_LOG2_MAX);
    return (uint64_t)1 << hash->bucket_log2;
}

/* The smallest log2 whose bucket count holds `count` entries (at least the minimum). */
static uint8_t table_log2_for(uint64_t count) {
    uint8_t log2 = 2;
    for (uint32_t step = 0; step < HASH_BUCKET_LOG2_MAX && ((uint64_t)1 << log2) < count; step++) {
        log2++;
    }
    ASSERT(((uint64_t)1 << log2) >= HASH_TABLE_BUCKETS_MIN);
    return log2;
}

static struct hash_entry *entry_create(struct heap *heap, struct slice field,
                                       struct slice value) {
    struct hash_entry *entry = heap_alloc(heap, entry_size(field.size, value.size));
    if (entry == NULL) {
        return NULL;
    }
    entry->next = NULL;
    entry->field_size = field.size;
    entry->value_size = value.size;
    memcpy(entry->bytes, field.ptr, field.size);
    memcpy(entry->bytes + field.size, value.ptr, value.size);
    ASSERT(slice_equal(entry_field(entry), field));
    return entry;
}

/* The link (bucket slot or a `next` field) that points at the field's entry, or NULL. */
static struct hash_entry **table_find_link(const struct hash *hash, struct slice field,
                                           uint64_t hashed) {
    struct hash_entry **link = table_buckets(hash) + (hashed & (table_bucket_count(hash) - 1));
    for (uint64_t step = 0; step < hash->count; step++) {
        struct hash_entry *entry = *link;
        if (entry == NULL) {
            return NULL;
        }
        if (slice_equal(entry_field(entry), field)) {
            return link;
        }
        link = &entry->next;
    }
    ASSERT(*link == NULL);
    return NULL;
}

/* An empty table with room for `capacity` entries at one per bucket. */
static bool table_init(struct heap *heap, struct hash *table, uint64_t capacity) {
    uint8_t log2 = table_log2_for(capacity);
    uint64_t bytes = sizeof(struct hash_entry *) << log2;
    struct hash_entry **buckets = heap_alloc(heap, bytes);
    if (buckets == NULL) {
        return false;
    }
    memset(buckets, 0, bytes);
    *table = (struct hash){ .encoding = HASH_ENCODING_TABLE, .bucket_log2 = log2,
                            .count = 0, .data = buckets };
    ASSERT(table_bucket_count(table) >= capacity);
    return true;
}

/* Links an entry whose field is known to be absent at the head of its chain. */
static void table_link_new(struct hash *hash, struct hash_entry *entry) {
    ASSERT(entry != NULL);
    struct hash_entry **bucket =
        table_buckets(hash) + (field_hash(entry_field(entry)) & (table_bucket_count(hash) - 1));
    entry->next = *bucket;
    *bucket = entry;
    hash->count++;
    ASSERT(hash->count > 0);
}

/* Moves every entry into a new bucket array of 2^log2 buckets; false (unchanged) on no room. */
static bool table_resize(struct heap *heap, struct hash *hash, uint8_t log2) {
    ASSERT(log2 <= HASH_BUCKET_LOG2_MAX);
    struct hash fresh;
    if (!table_init(heap, &fresh, (uint64_t)1 << log2)) {
        return false;
    }
    ASSERT(fresh.bucket_log2 == log2);
    struct hash_entry **buckets = table_buckets(hash);
    uint64_t bucket_count = table_bucket_count(hash);
    for (uint64_t index = 0; index < bucket_count; index++) {
        struct hash_entry *entry = buckets[index];
        while (entry != NULL) {
            ASSERT(fresh.count < hash->count); /* bounds the walk */
            struct hash_entry *next = entry->next;
            table_link_new(&fresh, entry);
            entry = next;
        }
    }
    ASSERT(fresh.count == hash->count);
    heap_free(heap, buckets);
    hash->data = fresh.data;
    hash->bucket_log2 = fresh.bucket_log2;
    return true;
}

/* Before an insert: doubles the bucket array when the table would pass one entry per bucket. */
static void table_grow_for_insert(struct heap *heap, struct hash *hash) {
    if (hash->count + 1 > table_bucket_count(hash) && hash->bucket_log2 < HASH_BUCKET_LOG2_MAX) {
        (void)table_resize(heap, hash, (uint8_t)(hash->bucket_log2 + 1)); /* optional */
    }
}

/* After a delete: Redis's htNeedsResize, then dictResize to the smallest fitting size. */
static void table_shrink_after_delete(struct heap *heap, struct hash *hash) {
    uint64_t bucket_count = table_bucket_count(hash);
    if (bucket_count > HASH_TABLE_BUCKETS_MIN &&
        hash->count * 100 / bucket_count < HASH_TABLE_FILL_MIN_PERCENT) {
        (void)table_resize(heap, hash, table_log2_for(hash->count)); /* optional */
    }
}

static void entry_set_value(struct hash_entry *entry, struct slice value) {
    memmove(entry->bytes + entry->field_size, value.ptr, value.size);
    entry->value_size = value.size;
    ASSERT(entry_value(entry).size == value.size);
}

/* Replaces the value of the entry *link points at (a new object when it does not fit). */
static bool table_update(struct heap *heap, struct hash_entry **link, struct slice value) {
    struct hash_entry *old = *link;
    uint64_t need = entry_size(old->field_size, value.size);
    uint64_t usable = heap_usable_size(heap, old);
    bool fits = need <= usable;
    if (fits && heap_size_for(heap, need) * 2 > usable) {
        entry_set_value(old, value);
        return true;
    }
    struct hash_entry *entry = entry_create(heap, entry_field(old), value);
    if (entry == NULL) {
        if (fits) {
            entry_set_value(old, value); /* no room for a tighter object: keep this one */
        }
        return fits;
    }
    entry->next = old->next;
    *link = entry;
    heap_free(heap, old);
    return true;
}

static enum hash_set_result table_set(struct heap *heap, struct hash *hash, struct slice field,
                                      struct slice value) {
    uint64_t hashed = field_hash(field);
    struct hash_entry **link = table_find_link(hash, field, hashed);
    if (link != NULL) {
        return table_update(heap, link, value) ? HASH_SET_UPDATED : HASH_SET_NO_ROOM;
    }
    struct hash_entry *entry = entry_create(heap, field, value);
    if (entry == NULL) {
        return HASH_SET_NO_ROOM;
    }
    uint64_t count_before = hash->count;
    table_grow_for_insert(heap, hash);
    table_link_new(hash, entry);
    ASSERT(hash->count == count_before + 1);
    return HASH_SET_INSERTED;
}

/* Links a prepared entry: replaces the field's entry (freeing it) or inserts. True if new. */
static bool table_put(struct heap *heap, struct hash *hash, struct hash_entry *entry) {
    struct slice field = entry_field(entry);
    struct hash_entry **link = table_find_link(hash, field, field_hash(field));
    if (link != NULL) {
        struct hash_entry *old = *link;
        entry->next = old->next;
        *link = entry;
        heap_free(heap, old);
        return false;
    }
    table_grow_for_insert(heap, hash);
    table_link_new(hash, entry);
    return true;
}

static void table_release(struct heap *heap, struct hash *hash) {
    struct hash_entry **buckets = table_buckets(hash);
    uint64_t bucket_count = table_bucket_count(hash);
    uint64_t freed_count = 0;
    for (uint64_t index = 0; index < bucket_count; index++) {
        struct hash_entry *entry = buckets[index];
        while (entry != NULL) {
            ASSERT(freed_count < hash->count);
            struct hash_entry *next = entry->next;
            heap_free(heap, entry);
            freed_count++;
            entry = next;
        }
    }
    ASSERT(freed_count == hash->count);
    heap_free(heap, buckets);
    hash->data = NULL;
    hash->count = 0;
}

/* Builds a table holding a listpack's pairs, with room for `extra` more. */
static bool table_from_listpack(struct heap *heap, const struct hash *listpack, uint64_t extra,
                                struct hash *table) {
    ASSERT(listpack->encoding == HASH_ENCODING_LISTPACK);
    if (!table_init(heap, table, listpack->count + extra)) {
        return false;
    }
    struct hash_iterator iterator;
    hash_iterator_init(&iterator, listpack);
    struct slice field;
    struct slice value;
    while (hash_iterator_next(&iterator, &field, &value)) {
        struct hash_entry *entry = entry_create(heap, field, value);
        if (entry == NULL) {
            table_release(heap, table);
            return false;
        }
        table_link_new(table, entry);
    }
    ASSERT(table->count == listpack->count);
    return true;
}

/* Frees what the header points at (not the header). */
static void hash_release(struct heap *heap, struct hash *hash) {
    if (hash->encoding == HASH_ENCODING_TABLE) {
        table_release(heap, hash);
        return;
    }
    ASSERT(hash->encoding == HASH_ENCODING_LISTPACK);
    if (hash->data != NULL) {
        heap_free(heap, hash->data);
        hash->data = NULL;
    }
    hash->count = 0;
    hash->listpack_size = 0;
}

/* ==== Life cycle and reads ==== */

struct hash *hash_create(struct heap *heap) {
    ASSERT(heap != NULL);
    struct hash *hash = heap_alloc(heap, sizeof(struct hash));
    if (hash == NULL) {
        return NULL;
    }
    *hash = (struct hash){ .encoding = HASH_ENCODING_LISTPACK, .data = NULL };
    ASSERT(hash->count == 0);
    return hash;
}

void hash_destroy(struct heap *heap, struct hash *hash) {
    ASSERT(heap != NULL);
    ASSERT(hash != NULL);
    hash_release(heap, hash);
    heap_free(heap, hash);
}

uint64_t hash_length(const struct hash *hash) {
    ASSERT(hash != NULL);
    ASSERT(hash->encoding == HASH_ENCODING_LISTPACK || hash->encoding == HASH_ENCODING_TABLE);
    return hash->count;
}

const char *hash_encoding_name(const struct hash *hash) {
    ASSERT(hash != NULL);
    if (hash->encoding == HASH_ENCODING_TABLE) {
        return "hashtable";
    }
    ASSERT(hash->encoding == HASH_ENCODING_LISTPACK);
    return "listpack";
}

uint64_t hash_memory_size(const struct heap *heap, const struct hash *hash) {
    ASSERT(hash != NULL);
    uint64_t size = heap_usable_size(heap, hash);
    if (hash->data != NULL) {
        size += heap_usable_size(heap, hash->data);
    }
    if (hash->encoding == HASH_ENCODING_TABLE) {
        struct hash_entry **buckets = table_buckets(hash);
        uint64_t bucket_count = table_bucket_count(hash);
        uint64_t seen_count = 0;
        for (uint64_t index = 0; index < bucket_count; index++) {
            const struct hash_entry *entry = buckets[index];
            while (entry != NULL) {
                ASSERT(seen_count < hash->count);
                size += heap_usable_size(heap, entry);
                seen_count++;
                entry = entry->next;
            }
        }
        ASSERT(seen_count == hash->count);
    }
    return size;
}

bool hash_get(const struct hash *hash, struct slice field, struct slice *value) {
    ASSERT(hash != NULL);
    ASSERT(value != NULL);
    if (hash->encoding == HASH_ENCODING_LISTPACK) {
        struct listpack_pair pair;
        if (!listpack_find(hash, field, &pair)) {
            return false;
        }
        *value = pair.value;
        return true;
    }
    struct hash_entry **link = table_find_link(hash, field, field_hash(field));
    if (link == NULL) {
        return false;
    }
    *value = entry_value(*link);
    return true;
}

/* ==== Copy ==== */

static bool table_copy_into(struct heap *heap, const struct hash *source, struct hash *target) {
    if (!table_init(heap, target, table_bucket_count(source))) {
        return false;
    }
    ASSERT(target->bucket_log2 == source->bucket_log2);
    struct hash_entry **source_buckets = table_buckets(source);
    struct hash_entry **target_buckets = table_buckets(target);
    uint64_t bucket_count = table_bucket_count(source);
    for (uint64_t index = 0; index < bucket_count; index++) {
        struct hash_entry **tail = &target_buckets[index];
        const struct hash_entry *entry = source_buckets[index];
        while (entry != NULL) {
            ASSERT(target->count < source->count);
            struct hash_entry *copy = entry_create(heap, entry_field(entry), entry_value(entry));
            if (copy == NULL) {
                table_release(heap, target);
                return false;
            }
            *tail = copy;
            tail = &copy->next;
            target->count++;
            entry = entry->next;
        }
    }
    ASSERT(target->count == source->count);
    return true;
}

struct hash *hash_copy(struct heap *heap, const struct hash *hash) {
    ASSERT(hash != NULL);
    struct hash *copy = hash_create(heap);
    if (copy == NULL) {
        return NULL;
    }
    if (hash->encoding == HASH_ENCODING_TABLE) {
        if (!table_copy_into(heap, hash, copy)) {
            heap_free(heap, copy);
            return NULL;
        }
        return copy;
    }
    if (hash->data != NULL) {
        uint8_t *data = heap_alloc(heap, hash->listpack_size);
        if (data == NULL) {
            heap_free(heap, copy);
            return NULL;
        }
        memcpy(data, hash->data, hash->listpack_size);
        copy->data = data;
    }
    copy->listpack_size = hash->listpack_size;
    copy->count = hash->count;
    ASSERT(hash_length(copy) == hash_length(hash));
    return copy;
}

/* ==== Set and delete ==== */

/* Converts to a table (with the pair added); the listpack is freed only on success. */
static enum hash_set_result listpack_convert_and_set(struct heap *heap, struct hash *hash,
                                                     struct slice field, struct slice value) {
    struct hash table;
    if (!table_from_listpack(heap, hash, 1, &table)) {
        return HASH_SET_NO_ROOM;
    }
    enum hash_set_result result = table_set(heap, &table, field, value);
    if (result == HASH_SET_NO_ROOM) {
        table_release(heap, &table);
        return HASH_SET_NO_ROOM;
    }
    hash_release(heap, hash);
    *hash = table;
    ASSERT(hash->encoding == HASH_ENCODING_TABLE);
    return result;
}

static enum hash_set_result listpack_set(struct heap *heap, struct hash *hash,
                                         struct hash_limits limits, struct slice field,
                                         struct slice value) {
    struct listpack_pair pair;
    bool found = listpack_find(hash, field, &pair);
    bool too_long = field.size > limits.listpack_value_size_max ||
                    value.size > limits.listpack_value_size_max;
    bool too_many = !found && hash->count + 1 > limits.listpack_entries_max;
    bool too_big = hash->listpack_size + listpack_pair_size(field, value) >
                   HASH_LISTPACK_SIZE_MAX;
    if (too_long || too_many || too_big) {
        return listpack_convert_and_set(heap, hash, field, value);
    }
    if (found) {
        return listpack_update(heap, hash, &pair, value) ? HASH_SET_UPDATED : HASH_SET_NO_ROOM;
    }
    return listpack_append(heap, hash, field, value) ? HASH_SET_INSERTED : HASH_SET_NO_ROOM;
}

enum hash_set_result hash_set(struct heap *heap, struct hash *hash, struct hash_limits limits,
                              struct slice field, struct slice value) {
    ASSERT(hash != NULL);
    ASSERT(!listpack_holds(hash, field));
    ASSERT(!listpack_holds(hash, value));
    if (hash->encoding == HASH_ENCODING_LISTPACK) {
        return listpack_set(heap, hash, limits, field, value);
    }
    return table_set(heap, hash, field, value);
}

/* Several pairs on a listpack: applied to a private copy that replaces it when all are in. */
static bool listpack_set_pairs(struct heap *heap, struct hash *hash, struct hash_limits limits,
                               const struct slice *pairs, uint64_t pair_count,
                               uint64_t *inserted_count) {
    struct hash work = *hash;
    if (hash->data != NULL) {
        work.data = heap_alloc(heap, hash->listpack_size);
        if (work.data == NULL) {
            return false;
        }
        memcpy(work.data, hash->data, hash->listpack_size);
    }
    uint64_t inserted = 0;
    for (uint64_t index = 0; index < pair_count; index++) {
        enum hash_set_result result = hash_set(heap, &work, limits, pairs[2 * index],
                                               pairs[2 * index + 1]);
        if (result == HASH_SET_NO_ROOM) {
            hash_release(heap, &work);
            return false;
        }
        inserted += result == HASH_SET_INSERTED ? 1 : 0;
    }
    hash_release(heap, hash);
    *hash = work;
    *inserted_count = inserted;
    ASSERT(hash->count >= inserted);
    return true;
}

/* Several pairs on a table: every entry is built first, then linking cannot fail. */
static bool table_set_pairs(struct heap *heap, struct hash *hash, const struct slice *pairs,
                            uint64_t pair_count, uint64_t *inserted_count) {
    struct hash_entry *head = NULL;
    struct hash_entry **tail = &head;
    for (uint64_t index = 0; index < pair_count; index++) {
        struct hash_entry *entry = entry_create(heap, pairs[2 * index], pairs[2 * index + 1]);
        if (entry == NULL) {
            for (uint64_t undo = 0; undo < index; undo++) {
                struct hash_entry *next = head->next;
                heap_free(heap, head);
                head = next;
            }
            ASSERT(head == NULL);
            return false;
        }
        *tail = entry;
        tail = &entry->next;
    }
    uint64_t inserted = 0;
    for (uint64_t index = 0; index < pair_count; index++) {
        ASSERT(head != NULL);
        struct hash_entry *next = head->next;
        inserted += table_put(heap, hash, head) ? 1 : 0;
        head = next;
    }
    ASSERT(head == NULL);
    *inserted_count = inserted;
    return true;
}

bool hash_set_pairs(struct heap *heap, struct hash *hash, struct hash_limits limits,
                    const struct slice *pairs, uint64_t pair_count, uint64_t *inserted_count) {
    ASSERT(pair_count > 0);
    ASSERT(inserted_count != NULL);
    for (uint64_t index = 0; index < 2 * pair_count; index++) {
        ASSERT(!listpack_holds(hash, pairs[index]));
    }
    if (pair_count == 1) {
        enum hash_set_result result = hash_set(heap, hash, limits, pairs[0], pairs[1]);
        *inserted_count = result == HASH_SET_INSERTED ? 1 : 0;
        return result != HASH_SET_NO_ROOM;
    }
    if (hash->encoding == HASH_ENCODING_LISTPACK) {
        return listpack_set_pairs(heap, hash, limits, pairs, pair_count, inserted_count);
    }
    return table_set_pairs(heap, hash, pairs, pair_count, inserted_count);
}

bool hash_delete(struct heap *heap, struct hash *hash, struct slice field) {
    ASSERT(hash != NULL);
    ASSERT(heap != NULL);
    if (hash->encoding == HASH_ENCODING_LISTPACK) {
        struct listpack_pair pair;
        if (!listpack_find(hash, field, &pair)) {
            return false;
        }
        listpack_delete(heap, hash, &pair);
        return true;
    }
    struct hash_entry **link = table_find_link(hash, field, field_hash(field));
    if (link == NULL) {
        return false;
    }
    struct hash_entry *entry = *link;
    *link = entry->next;
    heap_free(heap, entry);
    hash->count--;
    table_shrink_after_delete(heap, hash);
    return true;
}

/* ==== Iteration and scan ==== */

void hash_iterator_init(struct hash_iterator *iterator, const struct hash *hash) {
    ASSERT(iterator != NULL);
    ASSERT(hash != NULL);
    *iterator = (struct hash_iterator){ .hash = hash, .remaining = hash->count };
}

bool hash_iterator_next(struct hash_iterator *iterator, struct slice *field,
                        struct slice *value) {
    ASSERT(field != NULL);
    ASSERT(value != NULL);
    if (iterator->remaining == 0) {
        return false;
    }
    const struct hash *hash = iterator->hash;
    iterator->remaining--;
    if (hash->encoding == HASH_ENCODING_LISTPACK) {
        struct listpack_pair pair;
        listpack_read(hash, iterator->offset, &pair);
        iterator->offset = pair.end;
        *field = pair.field;
        *value = pair.value;
        return true;
    }
    struct hash_entry **buckets = table_buckets(hash);
    uint64_t bucket_count = table_bucket_count(hash);
    const struct hash_entry *entry = iterator->entry;
    while (entry == NULL && iterator->bucket_index < bucket_count) {
        entry = buckets[iterator->bucket_index];
        iterator->bucket_index++;
    }
    ASSERT(entry != NULL); /* `remaining` said there is one more */
    iterator->entry = entry->next;
    *field = entry_field(entry);
    *value = entry_value(entry);
    return true;
}

void hash_visit(const struct hash *hash, void *context, hash_visit_callback visit) {
    ASSERT(hash != NULL);
    ASSERT(visit != NULL);
    struct hash_iterator iterator;
    hash_iterator_init(&iterator, hash);
    struct slice field;
    struct slice value;
    while (hash_iterator_next(&iterator, &field, &value)) {
        if (!visit(context, field, value)) {
            return;
        }
    }
}

static uint64_t bits_reverse(uint64_t value) {
    value = ((value >> 1) & 0x5555555555555555ull) | ((value & 0x5555555555555555ull) << 1);
    value = ((value >> 2) & 0x3333333333333333ull) | ((value & 0x3333333333333333ull) << 2);
    value = ((value >> 4) & 0x0f0f0f0f0f0f0f0full) | ((value & 0x0f0f0f0f0f0f0f0full) << 4);
    value = ((value >> 8) & 0x00ff00ff00ff00ffull) | ((value & 0x00ff00ff00ff00ffull) << 8);
    value = ((value >> 16) & 0x0000ffff0000ffffull) | ((value & 0x0000ffff0000ffffull) << 16);
    return (value >> 32) | (value << 32);
}

uint64_t hash_scan(const struct hash *hash, uint64_t cursor, void *context,
                   hash_visit_callback visit) {
    ASSERT(hash != NULL);
    ASSERT(visit != NULL);
    if (hash->encoding == HASH_ENCODING_LISTPACK) {
        hash_visit(hash, context, visit);
        return 0;
    }
    uint64_t mask = table_bucket_count(hash) - 1;
    const struct hash_entry *entry = table_buckets(hash)[cursor & mask];
    for (uint64_t step = 0; step < hash->count && entry != NULL; step++) {
        (void)visit(context, entry_field(entry), entry_value(entry)); /* whole buckets */
        entry = entry->next;
    }
    ASSERT(entry == NULL);
    /* Increment the unmasked high bits of the reversed cursor (dictScan). */
    cursor |= ~mask;
    cursor = bits_reverse(cursor);
    cursor++;
    return bits_reverse(cursor);
}

/* ==== Random sampling ==== */

uint64_t hash_random_next(uint64_t *state) {
    ASSERT(state != NULL);
    *state += 0x9e3779b97f4a7c15ull;
    uint64_t value = *state;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ull;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebull;
    return value ^ (value >> 31);
}

static uint64_t random_below(uint64_t *state, uint64_t bound) {
    ASSERT(bound > 0);
    uint64_t value = hash_random_next(state) % bound;
    ASSERT(value < bound);
    return value;
}

/* A random entry: a random non-empty bucket, then a random position in its chain. */
static const struct hash_entry *table_random_entry(const struct hash *hash, uint64_t *state) {
    ASSERT(hash->count > 0);
    struct hash_entry **buckets = table_buckets(hash);
    uint64_t mask = table_bucket_count(hash) - 1;
    const struct hash_entry *chain = NULL;
    for (uint32_t probe = 0; probe < HASH_RANDOM_PROBES_MAX && chain == NULL; probe++) {
        chain = buckets[hash_random_next(state) & mask];
    }
    uint64_t start = hash_random_next(state);
    for (uint64_t step = 0; step <= mask && chain == NULL; step++) {
        chain = buckets[(start + step) & mask]; /* a very sparse table: search from a point */
    }
    ASSERT(chain != NULL);
    uint64_t length = 0;
    for (const struct hash_entry *entry = chain; entry != NULL && length < hash->count;
         entry = entry->next) {
        length++;
    }
    uint64_t skip = random_below(state, length);
    for (uint64_t step = 0; step < skip; step++) {
        chain = chain->next;
    }
    ASSERT(chain != NULL);
    return chain;
}

/*
 * Draws with repetition from a listpack through an array of pair offsets (on
 * the stack up to HASH_STACK_OFFSETS_MAX pairs, from the heap above that).
 */
static bool listpack_random_repeat(struct heap *heap, const struct hash *hash, uint64_t count,
                                   uint64_t *state, void *context, hash_visit_callback visit) {
    uint32_t stack_offsets[HASH_STACK_OFFSETS_MAX];
    bool on_stack = hash->count <= HASH_STACK_OFFSETS_MAX;
    uint32_t *offsets = on_stack ? stack_offsets
                                 : heap_alloc(heap, hash->count * sizeof(uint32_t));
    if (offsets == NULL) {
        return false;
    }
    struct listpack_pair pair;
    uint32_t offset = 0;
    for (uint64_t index = 0; index < hash->count; index++) {
        offsets[index] = offset;
        listpack_read(hash, offset, &pair);
        offset = pair.end;
    }
    ASSERT(offset == hash->listpack_size);
    for (uint64_t drawn = 0; drawn < count; drawn++) {
        listpack_read(hash, offsets[random_below(state, hash->count)], &pair);
        if (!visit(context, pair.field, pair.value)) {
            break;
        }
    }
    if (!on_stack) {
        heap_free(heap, offsets);
    }
    return true;
}

/* Selection sampling (Knuth's algorithm S): count distinct pairs in storage order, O(n). */
static void sample_in_order(const struct hash *hash, uint64_t count, uint64_t *state,
                            void *context, hash_visit_callback visit) {
    ASSERT(count <= hash->count);
    uint64_t needed = count;
    uint64_t remaining = hash->count;
    struct hash_iterator iterator;
    hash_iterator_init(&iterator, hash);
    struct slice field;
    struct slice value;
    while (needed > 0 && hash_iterator_next(&iterator, &field, &value)) {
        if (random_below(state, remaining) < needed) {
            needed--;
            if (!visit(context, field, value)) {
                return;
            }
        }
        remaining--;
    }
    ASSERT(needed == 0);
}

/* Adds an entry to an open-addressing set of 2^log2 pointers; false if it was there. */
static bool sample_set_add(uint64_t *set, uint8_t log2, const struct hash_entry *entry) {
    uint64_t key = (uint64_t)(uintptr_t)entry;
    ASSERT(key != 0);
    uint64_t mask = ((uint64_t)1 << log2) - 1;
    uint64_t slot = ((key >> 3) * 0x9e3779b97f4a7c15ull) >> (64 - log2);
    for (uint64_t probe = 0; probe <= mask; probe++) {
        uint64_t *cell = &set[(slot + probe) & mask];
        if (*cell == key) {
            return false;
        }
        if (*cell == 0) {
            *cell = key;
            return true;
        }
    }
    ASSERT(false); /* the set is at most half full */
    return false;
}

/* Adds unseen entries in storage order until `found` reaches count. */
static void sample_fill_in_order(const struct hash *hash, uint64_t *set, uint8_t log2,
                                 uint64_t found, uint64_t count, void *context,
                                 hash_visit_callback visit) {
    struct hash_entry **buckets = table_buckets(hash);
    uint64_t bucket_count = table_bucket_count(hash);
    for (uint64_t index = 0; index < bucket_count && found < count; index++) {
        const struct hash_entry *entry = buckets[index];
        for (uint64_t step = 0; step < hash->count && entry != NULL && found < count; step++) {
            if (sample_set_add(set, log2, entry)) {
                found++;
                if (!visit(context, entry_field(entry), entry_value(entry))) {
                    return;
                }
            }
            entry = entry->next;
        }
    }
    ASSERT(found == count);
}

/* count distinct entries of a large table (count * 3 <= length): random draws, deduplicated. */
static bool table_random_unique(struct heap *heap, const struct hash *hash, uint64_t count,
                                uint64_t *state, void *context, hash_visit_callback visit) {
    ASSERT(count * 3 <= hash->count);
    uint8_t log2 = (uint8_t)MAX(HASH_SAMPLE_SET_LOG2_MIN, table_log2_for(2 * count));
    uint64_t bytes = sizeof(uint64_t) << log2;
    uint64_t stack_set[(size_t)1 << HASH_STACK_SET_LOG2_MAX];
    bool on_stack = log2 <= HASH_STACK_SET_LOG2_MAX;
    uint64_t *set = on_stack ? stack_set : heap_alloc(heap, bytes);
    if (set == NULL) {
        return false;
    }
    memset(set, 0, bytes);
    uint64_t found = 0;
    /* At least 2/3 of draws are new; the bound only guards against a pathological run. */
    uint64_t draws_max = 8 * count + 64;
    bool stopped = false;
    for (uint64_t draw = 0; draw < draws_max && found < count && !stopped; draw++) {
        const struct hash_entry *entry = table_random_entry(hash, state);
        if (sample_set_add(set, log2, entry)) {
            found++;
            stopped = !visit(context, entry_field(entry), entry_value(entry));
        }
    }
    if (!stopped && found < count) {
        sample_fill_in_order(hash, set, log2, found, count, context, visit);
    }
    if (!on_stack) {
        heap_free(heap, set);
    }
    return true;
}

bool hash_random_pairs(struct heap *heap, const struct hash *hash, uint64_t count, bool unique,
                       uint64_t *random_state, void *context, hash_visit_callback visit) {
    ASSERT(count > 0);
    ASSERT(hash->count > 0);
    if (unique && count >= hash->count) {
        hash_visit(hash, context, visit);
        return true;
    }
    if (count == 1 && hash->encoding == HASH_ENCODING_LISTPACK) {
        sample_in_order(hash, 1, random_state, context, visit);
        return true;
    }
    if (!unique && hash->encoding == HASH_ENCODING_LISTPACK) {
        return listpack_random_repeat(heap, hash, count, random_state, context, visit);
    }
    if (!unique) {
        for (uint64_t drawn = 0; drawn < count; drawn++) {
            const struct hash_entry *entry = table_random_entry(hash, random_state);
            if (!visit(context, entry_field(entry), entry_value(entry))) {
                break;
            }
        }
        return true;
    }
    if (hash->encoding == HASH_ENCODING_LISTPACK || count * 3 > hash->count) {
        sample_in_order(hash, count, random_state, context, visit);
        return true;
    }
    return table_random_unique(heap, hash, count, random_state, context, visit);
}

/* ==== Verification ==== */

static void listpack_verify(const struct heap *heap, const struct hash *hash) {
    ASSERT(hash->count <= hash->listpack_size / 2);
    if (hash->data == NULL) {
        ASSERT(hash->count == 0);
        ASSERT(hash->listpack_size == 0);
        return;
    }
    ASSERT(hash->count > 0);
    ASSERT(hash->listpack_size <= heap_usable_size(heap, hash->data));
    struct listpack_pair pair;
    uint32_t offset = 0;
    for (uint64_t index = 0; index < hash->count; index++) {
        listpack_read(hash, offset, &pair);
        offset = pair.end;
    }
    ASSERT(offset == hash->listpack_size);
}

static void table_verify(const struct hash *hash) {
    struct hash_entry **buckets = table_buckets(hash);
    uint64_t bucket_count = table_bucket_count(hash);
    uint64_t seen_count = 0;
    for (uint64_t index = 0; index < bucket_count; index++) {
        const struct hash_entry *entry = buckets[index];
        while (entry != NULL) {
            ASSERT(seen_count < hash->count);
            ASSERT((field_hash(entry_field(entry)) & (bucket_count - 1)) == index);
            seen_count++;
            entry = entry->next;
        }
    }
    ASSERT(seen_count == hash->count);
}

void hash_verify(const struct heap *heap, const struct hash *hash) {
    ASSERT(hash != NULL);
    ASSERT(heap_contains(heap, hash));
    if (hash->encoding == HASH_ENCODING_LISTPACK) {
        listpack_verify(heap, hash);
        return;
    }
    ASSERT(hash->encoding == HASH_ENCODING_TABLE);
    table_verify(hash);
}
