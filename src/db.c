/*
 * db.c: keyspaces and items (see db.h and item.h).
 */
#include "db.h"

#include "hash.h"
#include "list.h"
#include "set.h"
#include "zset.h"

/* ==== Items ==== */

static struct item *item_allocate(struct heap *heap, uint8_t type, uint8_t encoding,
                                  struct slice key, int64_t expire_at_ms, uint32_t payload_size) {
    ASSERT(expire_at_ms >= 0);
    uint8_t flags = expire_at_ms > 0 ? ITEM_FLAG_EXPIRE : 0;
    uint64_t size = (uint64_t)item_payload_offset(flags, key.size, encoding) + payload_size;
    struct item *item = heap_alloc(heap, size);
    if (item == NULL) {
        return NULL;
    }
    item->type = type;
    item->encoding = encoding;
    item->flags = flags;
    item->reserved = 0;
    item->lru_clock = 0;
    item->key_size = key.size;
    item->value_size = 0;
    if (flags & ITEM_FLAG_EXPIRE) {
        memcpy((uint8_t *)item + sizeof(struct item), &expire_at_ms, sizeof(expire_at_ms));
    }
    if (key.size > 0) {
        memcpy((uint8_t *)item + item_key_offset(flags), key.ptr, key.size);
    }
    ASSERT(item_key(item).size == key.size);
    return item;
}

struct item *item_create_string(struct heap *heap, struct slice key, struct slice value,
                                int64_t expire_at_ms, uint8_t *external) {
    int64_t number = 0;
    struct item *item = NULL;
    if (external != NULL) {
        item = item_allocate(heap, ITEM_STRING, ITEM_ENCODING_EXTERNAL, key, expire_at_ms, 8);
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
        item = item_allocate(heap, ITEM_STRING, ITEM_ENCODING_EXTERNAL, key, expire_at_ms, 8);
        if (item == NULL) {
            heap_free(heap, copy);
            return NULL;
        }
        memcpy(copy, value.ptr, value.size);
        memcpy(item_payload(item), &copy, sizeof(copy));
    }
    if (item != NULL) {
        item->value_size = value.size;
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
    if (item->encoding == ITEM_ENCODING_EMBEDDED) {
        return item->value_size;
    }
    return 8;
}

struct item *item_with_expire(struct heap *heap, const struct item *item, int64_t expire_at_ms) {
    ASSERT(expire_at_ms >= 0);
    struct slice key = item_key(item);
    uint32_t payload_size = item_payload_size(item);
    struct item *copy = item_allocate(heap, item->type, item->encoding, key, expire_at_ms,
                                      payload_size);
    if (copy == NULL) {
        return NULL;
    }
    copy->lru_clock = item->lru_clock;
    copy->value_size = item->value_size;
    if (payload_size > 0) {
        memcpy(item_payload(copy), item_payload((struct item *)item), payload_size);
    }
    ASSERT(copy->type == item->type);
    return copy;
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
        return (struct slice){ .ptr = item_external(item), .size = item->value_size };
    case ITEM_ENCODING_EMBEDDED:
        return (struct slice){ .ptr = item_payload((struct item *)item), .size = item->value_size };
    default:
        ASSERT(false);
    }
    return (struct slice){ 0 };
}

void item_free(struct heap *heap, struct item *item) {
    ASSERT(item != NULL);
    if (item->encoding == ITEM_ENCODING_EXTERNAL) {
        heap_free(heap, item_external(item));
    } else if (item->encoding == ITEM_ENCODING_OBJECT) {
        void *object = item_object(item);
        switch (item->type) {
        case ITEM_LIST: list_destroy(heap, object); break;
        case ITEM_HASH: hash_destroy(heap, object); break;
        case ITEM_SET: set_destroy(heap, object); break;
        case ITEM_ZSET: zset_destroy(heap, object); break;
        default: ASSERT(false);
        }
    }
    heap_free(heap, item);
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
        if (item->encoding == ITEM_ENCODING_INT) {
            return "int";
        }
        /* Redis keeps strings of up to 44 bytes in one allocation ("embstr"). */
        bool short_string = item->value_size <= 44;
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

struct item *db_find(struct keyspace *keyspace, struct db *db, struct slice key, uint64_t hash) {
    struct item *item = index_find(&db->index, key, hash);
    if (item == NULL) {
        return NULL;
    }
    if (item_expired(keyspace, item)) {
        db_delete(keyspace, db, item, hash);
        keyspace->expired_keys++;
        return NULL;
    }
    item->lru_clock = keyspace->lru_clock;
    return item;
}

void db_delete(struct keyspace *keyspace, struct db *db, struct item *item, uint64_t hash) {
    struct item *removed = index_remove(&db->index, item_key(item), hash);
    ASSERT(removed == item);
    if (item_has_expire(item)) {
        ASSERT(db->expires_count > 0);
        db->expires_count--;
    }
    item_free(keyspace->heap, item);
}

void db_flush(struct keyspace *keyspace, struct db *db) {
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
    item->lru_clock = keyspace->lru_clock;
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
