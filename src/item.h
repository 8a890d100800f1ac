/*
 * item.h: the layout of one key in the keyspace. An item is one heap object:
 *
 *   +--------+----------+---------------------+-----------+---------------------+
 *   | header | [expire] | key bytes           | [pad to 8]| payload             |
 *   | 16 B   | 8 B, if  | key_size            |           | embedded value bytes|
 *   |        | flag set |                     |           | or a pointer        |
 *   +--------+----------+---------------------+-----------+---------------------+
 *
 * Payload by encoding:
 * - ITEM_ENCODING_EMBEDDED: the string's bytes follow the key (value_size of them).
 * - ITEM_ENCODING_INT: the string is a canonical int64 stored in 8 bytes.
 * - ITEM_ENCODING_EXTERNAL: an aligned pointer to a separate heap object holding
 *   value_size bytes (large strings, adopted straight from a big query argument).
 * - ITEM_ENCODING_OBJECT: an aligned pointer to a collection (list, ...).
 *
 * The expiry sits before the key so the key's offset depends only on a flag.
 */
#pragma once

#include "base.h"

enum item_type {
    ITEM_STRING = 0,
    ITEM_LIST = 1,
    ITEM_SET = 2,
    ITEM_ZSET = 3,
    ITEM_HASH = 4,
};

enum item_encoding {
    ITEM_ENCODING_EMBEDDED = 0,
    ITEM_ENCODING_INT = 1,
    ITEM_ENCODING_EXTERNAL = 2,
    ITEM_ENCODING_OBJECT = 3,
};

#define ITEM_FLAG_EXPIRE ((uint8_t)1)

/*
 * Redis names a string's encoding after the command that wrote it, not only
 * its bytes: SET's "123" is "int", but APPEND/SETRANGE/SETBIT/BITOP/BITFIELD
 * results are "raw" and INCRBYFLOAT's are "embstr" (when short). keel stores
 * bytes its own way and keeps this hint for OBJECT ENCODING.
 */
enum item_string_hint {
    ITEM_STRING_HINT_NONE = 0,   /* as SET: int, embstr up to 44 bytes, else raw */
    ITEM_STRING_HINT_RAW = 1,
    ITEM_STRING_HINT_EMBSTR = 2, /* embstr up to 44 bytes, else raw */
};

struct item {
    uint8_t type;
    uint8_t encoding;
    uint8_t flags;
    uint8_t string_hint;    /* strings: enum item_string_hint (what OBJECT ENCODING says) */
    uint32_t lru_clock;
    uint32_t key_size;
    uint32_t value_size;
};

STATIC_ASSERT(sizeof(struct item) == 16, "item header is 16 bytes");

static inline uint32_t item_key_offset(uint8_t flags) {
    return (uint32_t)sizeof(struct item) + ((flags & ITEM_FLAG_EXPIRE) ? 8u : 0u);
}

static inline struct slice item_key(const struct item *item) {
    const uint8_t *base = (const uint8_t *)item;
    return (struct slice){ .ptr = base + item_key_offset(item->flags), .size = item->key_size };
}

static inline bool item_has_expire(const struct item *item) {
    return (item->flags & ITEM_FLAG_EXPIRE) != 0;
}

static inline int64_t item_expire_at_ms(const struct item *item) {
    int64_t value = 0;
    if (item_has_expire(item)) {
        memcpy(&value, (const uint8_t *)item + sizeof(struct item), sizeof(value));
    }
    return value;
}

/* Offset of the payload: after the key, padded to 8 bytes for pointers and ints. */
static inline uint32_t item_payload_offset(uint8_t flags, uint32_t key_size, uint8_t encoding) {
    uint32_t offset = item_key_offset(flags) + key_size;
    if (encoding != ITEM_ENCODING_EMBEDDED) {
        offset = (uint32_t)align_up(offset, 8);
    }
    return offset;
}

static inline uint8_t *item_payload(struct item *item) {
    return (uint8_t *)item + item_payload_offset(item->flags, item->key_size, item->encoding);
}
