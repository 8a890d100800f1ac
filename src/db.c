/*
 * db.c: keyspaces and items (see db.h and item.h).
 */
#include "db.h"

#include "blocking.h"
#include "hash.h"
#include "list.h"
#include "multi.h"
#include "set.h"
#include "zset.h"

/* ==== Items ==== */

static struct item *item_allocate(struct heap *heap, uint8_t type, uint8_t encoding,
                                  struct slice key, int64_t expire_at_ms, uint32_t payload_size) {
    ASSERT(expire_at_ms >= 0);
    ASSERT(encoding != ITEM_ENCODING_EMBEDDED || payload_size <= ITEM_EMBEDDED_SIZE_MAX);
    uint8_t flags = expire_at_ms > 0 ? ITEM_FLAG_EXPIRE : 0;
    uint32_t key_offset = item_key_offset(flags, key.size);
    uint64_t size = (uint64_t)key_offset + key.size + payload_size;
    struct item *item = heap_alloc_movable(heap, size); /* see db_compact_step */
    if (item == NULL) {
        return NULL;
    }
    item->type = type & 7u;
    item->encoding = encoding & 3u;
    item->flags = flags & 1u;
    item->string_hint = ITEM_STRING_HINT_NONE;
    item->lru_clock = 0;
    item->key_size_short = key.size >= ITEM_KEY_SIZE_LONG ? ITEM_KEY_SIZE_LONG : (uint16_t)key.size;
    item->value_size_short = 0;
    if (key.size >= ITEM_KEY_SIZE_LONG) {
        memcpy((uint8_t *)item + sizeof(struct item), &key.size, sizeof(uint32_t));
    }
    if (flags & ITEM_FLAG_EXPIRE) {
        memcpy((uint8_t *)item + item_expire_offset(item), &expire_at_ms, sizeof(expire_at_ms));
    }
    if (key.size > 0) {
        memcpy((uint8_t *)item + key_offset, key.ptr, key.size);
    }
    ASSERT(item_key(item).size == key.size);
    ASSERT(item_payload_offset(item) + payload_size == size);
    return item;
}

struct item *item_create_string(struct heap *heap, struct slice key, struct slice value,
                                int64_t expire_at_ms, uint8_t *external) {
    int64_t number = 0;
    struct item *item = NULL;
    if (external != NULL) {
        item = item_allocate(heap, ITEM_STRING, ITEM_ENCODING_EXTERNAL, key, expire_at_ms,
                             ITEM_EXTERNAL_PAYLOAD_SIZE);
        if (item != NULL) {
            memcpy(item_payload(item), &external, sizeof(external));
        }
    } else if (parse_int64(value.ptr, value.size, &number)) {
        item = item_allocate(heap, ITEM_STRING, ITEM_ENCODING_INT, key, expire_at_ms, 8);
        if (item != NULL) {
            memcpy(item_payload(item), &number, sizeof(number));
        }
    } else if (value.size <= ITEM_EMBEDDED_SIZE_MAX) {
        item = item_allocate(heap, ITEM_STRING, ITEM_ENCODING_EMBEDDED, key, expire_at_ms,
                             value.size);
        if (item != NULL && value.size > 0) {
            memcpy(item_payload(item), value.ptr, value.size);
        }
    } else {
        uint8_t *copy = heap_alloc(heap, value.size);
        if (copy == NULL) {
            return NULL;
        }
        item = item_allocate(heap, ITEM_STRING, ITEM_ENCODING_EXTERNAL, key, expire_at_ms,
                             ITEM_EXTERNAL_PAYLOAD_SIZE);
        if (item == NULL) {
            heap_free(heap, copy);
            return NULL;
        }
        memcpy(copy, value.ptr, value.size);
        memcpy(item_payload(item), &copy, sizeof(copy));
    }
    if (item != NULL) {
        item_set_value_size(item, value.size);
    }
    return item;
}

struct item *item_create_object(struct heap *heap, uint8_t type, struct slice key,
                                void *object, int64_t expire_at_ms) {
    ASSERT(type != ITEM_STRING);
    ASSERT(object != NULL);
    struct item *item = item_allocate(heap, type, ITEM_ENCODING_OBJECT, key, expire_at_ms, 8);
    if (item != NULL) {
        memcpy(item_payload(item), &object, sizeof(object));
    }
    return item;
}

static uint32_t item_payload_size(const struct item *item) {
    switch (item->encoding) {
    case ITEM_ENCODING_EMBEDDED: return item->value_size_short;
    case ITEM_ENCODING_EXTERNAL: return ITEM_EXTERNAL_PAYLOAD_SIZE;
    default: return (uint32_t)sizeof(int64_t); /* INT value or OBJECT pointer */
    }
}

/* A new item for `key` with another expiry, holding the same payload (bytes or pointer). */
static struct item *item_rebuild(struct heap *heap, const struct item *item, struct slice key,
                                 int64_t expire_at_ms) {
    ASSERT(expire_at_ms >= 0);
    ASSERT(key.ptr != NULL || key.size == 0);
    uint32_t payload_size = item_payload_size(item);
    struct item *copy = item_allocate(heap, item->type, item->encoding, key, expire_at_ms,
                                      payload_size);
    if (copy == NULL) {
        return NULL;
    }
    copy->lru_clock = item->lru_clock;
    copy->value_size_short = item->value_size_short;
    copy->string_hint = item->string_hint;
    if (payload_size > 0) {
        memcpy(item_payload(copy), item_payload((struct item *)item), payload_size);
    }
    ASSERT(copy->type == item->type);
    return copy;
}

struct item *item_with_expire(struct heap *heap, const struct item *item, int64_t expire_at_ms) {
    return item_rebuild(heap, item, item_key(item), expire_at_ms);
}

void *item_object(const struct item *item) {
    ASSERT(item->encoding == ITEM_ENCODING_OBJECT);
    void *object = NULL;
    memcpy(&object, item_payload((struct item *)item), sizeof(object));
    ASSERT(object != NULL);
    return object;
}

uint8_t *item_external(const struct item *item) {
    ASSERT(item->encoding == ITEM_ENCODING_EXTERNAL);
    uint8_t *value = NULL;
    memcpy(&value, item_payload((struct item *)item), sizeof(value));
    ASSERT(value != NULL);
    return value;
}

int64_t item_int(const struct item *item) {
    ASSERT(item->type == ITEM_STRING);
    ASSERT(item->encoding == ITEM_ENCODING_INT);
    int64_t value = 0;
    memcpy(&value, item_payload((struct item *)item), sizeof(value));
    return value;
}

struct slice item_string(const struct item *item, char *digits) {
    ASSERT(item->type == ITEM_STRING);
    switch (item->encoding) {
    case ITEM_ENCODING_INT: {
        uint32_t size = format_int64(digits, item_int(item));
        return (struct slice){ .ptr = (const uint8_t *)digits, .size = size };
    }
    case ITEM_ENCODING_EXTERNAL:
        return (struct slice){ .ptr = item_external(item), .size = item_value_size(item) };
    case ITEM_ENCODING_EMBEDDED:
        return (struct slice){ .ptr = item_payload((struct item *)item),
                               .size = item->value_size_short };
    default:
        ASSERT(false);
    }
    return (struct slice){ 0 };
}

uint8_t *item_string_room(const struct heap *heap, struct item *item, uint64_t size) {
    ASSERT(item->type == ITEM_STRING);
    ASSERT(size >= item_value_size(item));
    if (item->encoding == ITEM_ENCODING_EXTERNAL) {
        uint8_t *external = item_external(item);
        return heap_usable_size(heap, external) >= size ? external : NULL;
    }
    if (item->encoding == ITEM_ENCODING_EMBEDDED && size <= ITEM_EMBEDDED_SIZE_MAX) {
        uint64_t offset = item_payload_offset(item);
        uint64_t usable = heap_usable_size(heap, item);
        ASSERT(usable >= offset + item->value_size_short);
        return usable - offset >= size ? item_payload(item) : NULL;
    }
    return NULL;
}

/* Frees a collection of the given item type. */
static void object_destroy(struct heap *heap, uint8_t type, void *object) {
    ASSERT(object != NULL);
    switch (type) {
    case ITEM_LIST: list_destroy(heap, object); break;
    case ITEM_HASH: hash_destroy(heap, object); break;
    case ITEM_SET: set_destroy(heap, object); break;
    case ITEM_ZSET: zset_destroy(heap, object); break;
    default: ASSERT(false);
    }
}

void item_free(struct heap *heap, struct item *item) {
    ASSERT(item != NULL);
    if (item->encoding == ITEM_ENCODING_EXTERNAL) {
        heap_free(heap, item_external(item));
    } else if (item->encoding == ITEM_ENCODING_OBJECT) {
        object_destroy(heap, item->type, item_object(item));
    }
    heap_free(heap, item);
}

/* A copy of a list built with the public iterator; NULL (nothing kept) when the heap is full. */
static struct list *list_duplicate(struct heap *heap, const struct list *list) {
    uint64_t length = list_length(list);
    struct list *copy = list_create(heap);
    if (copy == NULL) {
        return NULL;
    }
    struct list_iterator iterator;
    list_iterator_init(&iterator, list, 0, false);
    struct slice value;
    for (uint64_t index = 0; index < length && list_iterator_next(&iterator, &value); index++) {
        if (!list_push(heap, copy, LIST_TAIL, value)) {
            list_destroy(heap, copy);
            return NULL;
        }
    }
    ASSERT(list_length(copy) == length);
    if (list_is_quicklist(list)) {
        list_set_quicklist(copy); /* a copy reports the encoding of its source */
    }
    return copy;
}

/* A deep copy of a collection; NULL when the heap has no room. */
static void *object_duplicate(struct heap *heap, const struct item *item) {
    const void *object = item_object(item);
    switch (item->type) {
    case ITEM_LIST: return list_duplicate(heap, object);
    case ITEM_HASH: return hash_copy(heap, object);
    case ITEM_SET: return set_copy(heap, object);
    case ITEM_ZSET: return zset_copy(heap, object);
    default: ASSERT(false);
    }
    return NULL;
}

struct item *item_duplicate(struct heap *heap, const struct item *item, struct slice key,
                            int64_t expire_at_ms) {
    ASSERT(expire_at_ms >= 0);
    if (item->encoding == ITEM_ENCODING_EMBEDDED || item->encoding == ITEM_ENCODING_INT) {
        return item_rebuild(heap, item, key, expire_at_ms); /* the payload is the value */
    }
    if (item->encoding == ITEM_ENCODING_EXTERNAL) {
        uint32_t size = item_value_size(item);
        uint8_t *value = heap_alloc(heap, MAX(size, 1u));
        if (value == NULL) {
            return NULL;
        }
        memcpy(value, item_external(item), size);
        struct slice bytes = { .ptr = value, .size = size };
        struct item *copy = item_create_string(heap, key, bytes, expire_at_ms, value);
        if (copy == NULL) {
            heap_free(heap, value);
        } else {
            copy->string_hint = item->string_hint;
        }
        return copy;
    }
    void *object = object_duplicate(heap, item);
    if (object == NULL) {
        return NULL;
    }
    struct item *copy = item_create_object(heap, item->type, key, object, expire_at_ms);
    if (copy == NULL) {
        object_destroy(heap, item->type, object);
    }
    return copy;
}

uint64_t item_memory_size(const struct heap *heap, const struct item *item) {
    uint64_t size = heap_usable_size(heap, item);
    if (item->encoding == ITEM_ENCODING_EXTERNAL) {
        size += heap_usable_size(heap, item_external(item));
    } else if (item->encoding == ITEM_ENCODING_OBJECT) {
        const void *object = item_object(item);
        switch (item->type) {
        case ITEM_LIST: size += list_memory_size(heap, object); break;
        case ITEM_HASH: size += hash_memory_size(heap, object); break;
        case ITEM_SET: size += set_memory_size(heap, object); break;
        case ITEM_ZSET: size += zset_memory_size(heap, object); break;
        default: ASSERT(false);
        }
    }
    return size;
}

const char *item_encoding_name(const struct item *item) {
    if (item->type == ITEM_STRING) {
        /* Redis keeps strings of up to 44 bytes in one allocation ("embstr"). */
        bool short_string = item_value_size(item) <= ITEM_EMBSTR_SIZE_MAX;
        switch (item->string_hint) {
        case ITEM_STRING_HINT_RAW: return "raw";
        case ITEM_STRING_HINT_EMBSTR: return short_string ? "embstr" : "raw";
        default: break;
        }
        if (item->encoding == ITEM_ENCODING_INT) {
            return "int";
        }
        return item->encoding == ITEM_ENCODING_EMBEDDED && short_string ? "embstr" : "raw";
    }
    const void *object = item_object(item);
    switch (item->type) {
    case ITEM_LIST: return list_encoding_name(object);
    case ITEM_HASH: return hash_encoding_name(object);
    case ITEM_SET: return set_encoding_name(object);
    case ITEM_ZSET: return zset_encoding_name(object);
    default: ASSERT(false);
    }
    return "";
}

const char *item_type_name(const struct item *item) {
    static const char *const names[] = {
        [ITEM_STRING] = "string", [ITEM_LIST] = "list", [ITEM_SET] = "set",
        [ITEM_ZSET] = "zset",     [ITEM_HASH] = "hash",
    };
    ASSERT(item->type < ARRAY_COUNT(names));
    return names[item->type];
}

/* ==== Keyspace ==== */

bool keyspace_init(struct keyspace *keyspace, struct heap *heap, struct db *dbs,
                   uint32_t db_count) {
    ASSERT(db_count > 0 && db_count <= DB_COUNT_MAX);
    ASSERT(dbs != NULL);
    memset(keyspace, 0, sizeof(*keyspace));
    keyspace->heap = heap;
    keyspace->dbs = dbs;
    keyspace->db_count = db_count;
    for (uint32_t index = 0; index < db_count; index++) {
        memset(&dbs[index], 0, sizeof(dbs[index]));
        dbs[index].id = index;
        if (!index_init(&dbs[index].index, heap)) {
            return false;
        }
    }
    return true;
}

static bool item_expired(const struct keyspace *keyspace, const struct item *item) {
    return item_has_expire(item) && item_expire_at_ms(item) <= keyspace->now_ms;
}

bool db_expired(const struct keyspace *keyspace, const struct item *item) {
    return item_expired(keyspace, item);
}

struct item *db_peek(struct keyspace *keyspace, struct db *db, struct slice key, uint64_t hash) {
    struct item *item = index_find(&db->index, key, hash);
    if (item == NULL) {
        return NULL;
    }
    if (item_expired(keyspace, item)) {
        db_delete(keyspace, db, item, hash);
        keyspace->expired_keys++;
        return NULL;
    }
    return item;
}

uint64_t keyspace_random(struct keyspace *keyspace) {
    uint64_t x = keyspace->random_state;
    if (x == 0) {
        x = 0x9e3779b97f4a7c15ull;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    keyspace->random_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

static uint32_t lfu_minutes(const struct keyspace *keyspace) {
    return (uint32_t)((keyspace->now_ms / 60000) & 0xffff);
}

uint32_t item_lfu_counter(const struct keyspace *keyspace, const struct item *item) {
    uint32_t counter = item->lru_clock & 0xff;
    uint32_t last = (item->lru_clock >> 8) & 0xffff;
    uint32_t now = lfu_minutes(keyspace);
    uint32_t elapsed = now >= last ? now - last : 65535 - last + now; /* 16-bit wrap */
    uint32_t periods = keyspace->lfu_decay_time > 0 ? elapsed / keyspace->lfu_decay_time : 0;
    return periods > counter ? 0 : counter - periods;
}

/* Redis's LFULogIncr: the more accesses, the less likely the next one counts. */
static uint32_t lfu_increment(struct keyspace *keyspace, uint32_t counter) {
    if (counter == 255) {
        return counter;
    }
    double random = (double)(keyspace_random(keyspace) >> 11) / (double)(1ull << 53);
    double base = counter > LFU_INIT_VAL ? (double)(counter - LFU_INIT_VAL) : 0.0;
    double probability = 1.0 / (base * keyspace->lfu_log_factor + 1.0);
    return random < probability ? counter + 1 : counter;
}

/* The access field for an item touched now with LFU counter `counter` (unused under LRU). */
static uint32_t access_field(const struct keyspace *keyspace, uint32_t counter) {
    ASSERT(counter <= 255);
    uint32_t value = keyspace->lfu ? (lfu_minutes(keyspace) << 8) | counter : keyspace->lru_clock;
    ASSERT(value <= ITEM_LRU_MASK);
    return value;
}

static void item_touch(struct keyspace *keyspace, struct item *item) {
    uint32_t counter = 0;
    if (keyspace->lfu) {
        counter = lfu_increment(keyspace, item_lfu_counter(keyspace, item));
    }
    item->lru_clock = access_field(keyspace, counter) & ITEM_LRU_MASK;
}

void item_touch_new(struct keyspace *keyspace, struct item *item) {
    item->lru_clock = access_field(keyspace, LFU_INIT_VAL) & ITEM_LRU_MASK;
}

struct item *db_find(struct keyspace *keyspace, struct db *db, struct slice key, uint64_t hash) {
    struct item *item = db_peek(keyspace, db, key, hash);
    if (item != NULL) {
        item_touch(keyspace, item);
    }
    return item;
}

void db_delete(struct keyspace *keyspace, struct db *db, struct item *item, uint64_t hash) {
    struct item *removed = index_remove(&db->index, item_key(item), hash);
    ASSERT(removed == item);
    watch_touch(db, item_key(item), hash); /* WATCH: deleted, expired or evicted */
    if (item_has_expire(item)) {
        ASSERT(db->expires_count > 0);
        db->expires_count--;
    }
    item_free(keyspace->heap, item);
}

void db_flush(struct keyspace *keyspace, struct db *db) {
    watch_touch_db(db, NULL); /* WATCH: the keys it holds */
    struct item *items[256];
    struct index_cursor cursor = { 0 };
    bool done = false;
    uint64_t rounds_max = db->index.count + (uint64_t)db->index.segment_count * INDEX_SEGMENT_SLOTS;
    for (uint64_t round = 0; !done && round <= rounds_max; round++) {
        uint32_t count = index_walk(&db->index, &cursor, 256, items, 256, &done);
        for (uint32_t index = 0; index < count; index++) {
            item_free(keyspace->heap, items[index]);
        }
    }
    ASSERT(done);
    index_release(&db->index);
    bool initialised = index_init(&db->index, keyspace->heap);
    ASSERT(initialised); /* the released segments give back at least what init needs */
    db->expires_count = 0;
    memset(&db->expire_cursor, 0, sizeof(db->expire_cursor));
    memset(&db->evict_cursor, 0, sizeof(db->evict_cursor));
}

bool db_prepare_insert(struct db *db, uint64_t hash) {
    return index_prepare_insert(&db->index, hash);
}

/* True when both items point at the same external value or collection. */
static bool item_shares_value(const struct item *a, const struct item *b) {
    bool a_points = a->encoding == ITEM_ENCODING_EXTERNAL || a->encoding == ITEM_ENCODING_OBJECT;
    if (!a_points || a->encoding != b->encoding) {
        return false;
    }
    void *a_value = NULL;
    void *b_value = NULL;
    memcpy(&a_value, item_payload((struct item *)a), sizeof(a_value));
    memcpy(&b_value, item_payload((struct item *)b), sizeof(b_value));
    return a_value == b_value;
}

void db_store(struct keyspace *keyspace, struct db *db, struct item *item, uint64_t hash,
              struct item *old_item) {
    ASSERT(item != NULL);
    if (old_item != NULL && keyspace->lfu) {
        item->lru_clock = old_item->lru_clock; /* an overwrite keeps the access history */
    } else {
        item_touch_new(keyspace, item);
    }
    if (old_item != NULL) {
        ASSERT(old_item != item);
        index_replace(&db->index, old_item, item, hash);
        if (item_has_expire(old_item)) {
            db->expires_count--;
        }
        if (item_shares_value(old_item, item)) {
            /* The value moved to the new item (a new expiry, say): free only the shell. */
            heap_free(keyspace->heap, old_item);
        } else {
            item_free(keyspace->heap, old_item);
        }
    } else {
        index_insert(&db->index, item, hash);
    }
    if (item_has_expire(item)) {
        db->expires_count++;
    }
    watch_touch(db, item_key(item), hash); /* WATCH: stored */
    blocking_signal(db, item_key(item), hash, item->type); /* wakes BLPOP & co. */
}

/* ==== RENAME, MOVE, SWAPDB, RANDOMKEY ==== */

/* Takes an item out of the index and frees its shell; its value now belongs to another item. */
static void db_unlink_shell(struct keyspace *keyspace, struct db *db, struct item *item,
                            uint64_t hash) {
    struct item *removed = index_remove(&db->index, item_key(item), hash);
    ASSERT(removed == item);
    watch_touch(db, item_key(item), hash); /* WATCH: renamed away */
    if (item_has_expire(item)) {
        ASSERT(db->expires_count > 0);
        db->expires_count--;
    }
    heap_free(keyspace->heap, item);
}

bool db_rename(struct keyspace *keyspace, struct db *db, struct item *item, uint64_t hash,
               struct slice key, uint64_t target_hash, struct item *target_item) {
    ASSERT(item != target_item);
    ASSERT(!slice_equal(item_key(item), key));
    if (target_item == NULL && !db_prepare_insert(db, target_hash)) {
        return false;
    }
    /* The index slot exists; a split moved slots only, never items. */
    struct item *renamed = item_rebuild(keyspace->heap, item, key, item_expire_at_ms(item));
    if (renamed == NULL) {
        return false;
    }
    db_store(keyspace, db, renamed, target_hash, target_item);
    db_unlink_shell(keyspace, db, item, hash);
    ASSERT(index_find(&db->index, key, target_hash) == renamed);
    return true;
}

bool db_move(struct keyspace *keyspace, struct db *source, struct db *target,
             struct item *item, uint64_t hash) {
    ASSERT(source != target);
    ASSERT(index_find(&target->index, item_key(item), hash) == NULL);
    (void)keyspace;
    if (!db_prepare_insert(target, hash)) {
        return false;
    }
    struct item *removed = index_remove(&source->index, item_key(item), hash);
    ASSERT(removed == item);
    index_insert(&target->index, item, hash);
    if (item_has_expire(item)) {
        ASSERT(source->expires_count > 0);
        source->expires_count--;
        target->expires_count++;
    }
    watch_touch(source, item_key(item), hash); /* WATCH: moved out and in */
    watch_touch(target, item_key(item), hash);
    blocking_signal(target, item_key(item), hash, item->type); /* wakes BLPOP & co. */
    return true;
}

void db_swap(struct db *first, struct db *second) {
    ASSERT(first != NULL);
    ASSERT(second != NULL);
    watch_touch_db(first, second); /* WATCH: keys in either database (watches stay by id) */
    watch_touch_db(second, first);
    uint32_t first_id = first->id;
    uint32_t second_id = second->id;
    struct db swap = *first;
    *first = *second;
    *second = swap;
    first->id = first_id;
    second->id = second_id;
    blocking_db_swapped(first, second); /* waiters of either may now find data */
}

struct item *db_random(struct keyspace *keyspace, struct db *db, uint64_t random) {
    /* Each pass returns or deletes one expired key, so count + 1 passes suffice. */
    uint64_t passes_max = db->index.count + 1;
    for (uint64_t pass = 0; pass < passes_max; pass++) {
        struct item *item = index_random(&db->index, random + pass);
        if (item == NULL || !item_expired(keyspace, item)) {
            return item;
        }
        db_delete(keyspace, db, item, index_hash(item_key(item)));
        keyspace->expired_keys++;
    }
    ASSERT(db->index.count == 0);
    return NULL;
}

static uint32_t db_expire_db_step(struct keyspace *keyspace, struct db *db) {
    struct item *items[DB_EXPIRE_ITEMS_MAX];
    bool done = false;
    uint32_t count = index_walk(&db->index, &db->expire_cursor, DB_EXPIRE_SLOTS_PER_STEP, items,
                                DB_EXPIRE_ITEMS_MAX, &done);
    uint32_t expired = 0;
    for (uint32_t index = 0; index < count; index++) {
        struct item *item = items[index];
        if (item_expired(keyspace, item)) {
            db_delete(keyspace, db, item, index_hash(item_key(item)));
            expired++;
        }
    }
    if (done) {
        memset(&db->expire_cursor, 0, sizeof(db->expire_cursor));
    }
    keyspace->expired_keys += expired;
    return expired;
}

uint32_t db_expire_step(struct keyspace *keyspace) {
    uint32_t expired = 0;
    /* Visit every database that has keys with a TTL, a bounded slice each. */
    for (uint32_t visited = 0; visited < keyspace->db_count; visited++) {
        uint32_t db_index = (keyspace->expire_db_index + visited) % keyspace->db_count;
        struct db *db = &keyspace->dbs[db_index];
        if (db->expires_count > 0) {
            expired += db_expire_db_step(keyspace, db);
        }
    }
    keyspace->expire_db_index = (keyspace->expire_db_index + 1) % keyspace->db_count;
    return expired;
}

/* ==== Compaction ==== */

/* Bytes of an item that matter: header, optional fields, key and payload (not spare room). */
static uint64_t item_used_size(const struct item *item) {
    return (uint64_t)item_payload_offset(item) + item_payload_size(item);
}

/*
 * Moves one item to a new heap object: finds the database whose index holds
 * exactly this object (the key alone may exist in several), copies, re-points
 * the index slot and frees the old object. False when the heap has no room.
 */
static bool db_relocate(struct keyspace *keyspace, struct item *item) {
    struct slice key = item_key(item);
    uint64_t hash = index_hash(key);
    for (uint32_t db_index = 0; db_index < keyspace->db_count; db_index++) {
        struct db *db = &keyspace->dbs[db_index];
        if (index_find(&db->index, key, hash) != item) {
            continue;
        }
        uint64_t size = item_used_size(item);
        struct item *moved = heap_alloc_movable(keyspace->heap, size);
        if (moved == NULL) {
            return false;
        }
        memcpy(moved, item, size);
        index_replace(&db->index, item, moved, hash);
        heap_free(keyspace->heap, item);
        return true;
    }
    ASSERT(false); /* between commands every item is in an index */
    return false;
}

uint32_t db_compact_step(struct keyspace *keyspace, uint32_t moves_max) {
    struct heap *heap = keyspace->heap;
    uint32_t moved = 0;
    /* Each round moves an object, or starts or ends an evacuation (at most one each). */
    for (uint32_t round = 0; round < 2 * moves_max + 2 && moved < moves_max; round++) {
        if (heap->evacuation.head_index == HEAP_NONE) {
            if (!heap_compaction_wanted(heap) || !heap_evacuation_start(heap)) {
                break;
            }
        }
        struct item *item = heap_evacuation_next(heap);
        if (item == NULL) {
            continue; /* that slab is done; another may start */
        }
        if (!db_relocate(keyspace, item)) {
            heap_evacuation_stop(heap);
            break;
        }
        moved++;
    }
    return moved;
}
