/*
 * item.h: the layout of one key in the keyspace. An item is one heap object:
 *
 *   +--------+------------+----------+-----------+-------------------------------+
 *   | header | [key size] | [expire] | key bytes | payload                       |
 *   | 8 B    | 4 B, keys  | 8 B, if  | key size  | embedded value bytes, an int, |
 *   |        | >= 65535 B | flag set |           | or a pointer (+ size)         |
 *   +--------+------------+----------+-----------+-------------------------------+
 *
 * Nothing is aligned past the header: the optional fields and the payload are
 * read and written with memcpy, so no byte is spent on padding.
 *
 * Payload by encoding:
 * - ITEM_ENCODING_EMBEDDED: the string's bytes (value_size of them, at most
 *   ITEM_EMBEDDED_SIZE_MAX, so the size fits the header's 16 bits).
 * - ITEM_ENCODING_INT: the string is a canonical int64 stored in 8 bytes;
 *   value_size is the length of its decimal form.
 * - ITEM_ENCODING_EXTERNAL: a pointer to a separate heap object holding the
 *   value, then the value's size as a uint32_t (large strings, adopted
 *   straight from a big query argument).
 * - ITEM_ENCODING_OBJECT: a pointer to a collection (list, ...).
 *
 * The access field is 24 bits, as in Redis: an LRU clock in seconds modulo
 * 2^24 (idle times wrap after 194 days), or under an LFU policy minutes (16
 * bits) << 8 | a logarithmic counter (8 bits).
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
#define ITEM_LRU_BITS 24u
#define ITEM_LRU_MASK ((1u << ITEM_LRU_BITS) - 1u)
/* key_size_short holding this value means the size is a uint32_t after the header. */
#define ITEM_KEY_SIZE_LONG ((uint16_t)0xffff)
#define ITEM_EXTERNAL_PAYLOAD_SIZE ((uint32_t)(sizeof(void *) + sizeof(uint32_t)))

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
    uint32_t type : 3;          /* enum item_type */
    uint32_t encoding : 2;      /* enum item_encoding */
    uint32_t string_hint : 2;   /* strings: enum item_string_hint (what OBJECT ENCODING says) */
    uint32_t flags : 1;         /* ITEM_FLAG_EXPIRE */
    uint32_t lru_clock : 24;    /* LRU seconds or LFU minutes and counter (see above) */
    uint16_t key_size_short;    /* the key's size, or ITEM_KEY_SIZE_LONG */
    uint16_t value_size_short;  /* EMBEDDED and INT strings: the value's size */
};

STATIC_ASSERT(sizeof(struct item) == 8, "item header is 8 bytes");

/* Bytes between the header and the key: the long key size and the expiry. */
static inline uint32_t item_key_offset(uint8_t flags, uint32_t key_size) {
    uint32_t offset = (uint32_t)sizeof(struct item);
    offset += key_size >= ITEM_KEY_SIZE_LONG ? (uint32_t)sizeof(uint32_t) : 0u;
    offset += (flags & ITEM_FLAG_EXPIRE) ? (uint32_t)sizeof(int64_t) : 0u;
    return offset;
}

static inline uint32_t item_key_size(const struct item *item) {
    if (item->key_size_short != ITEM_KEY_SIZE_LONG) {
        return item->key_size_short;
    }
    uint32_t size = 0;
    memcpy(&size, (const uint8_t *)item + sizeof(struct item), sizeof(size));
    return size;
}

static inline struct slice item_key(const struct item *item) {
    uint32_t size = item_key_size(item);
    const uint8_t *base = (const uint8_t *)item;
    return (struct slice){ .ptr = base + item_key_offset(item->flags, size), .size = size };
}

static inline bool item_has_expire(const struct item *item) {
    return (item->flags & ITEM_FLAG_EXPIRE) != 0;
}

/* Offset of the expiry field (valid when the flag is set). */
static inline uint32_t item_expire_offset(const struct item *item) {
    bool long_key = item->key_size_short == ITEM_KEY_SIZE_LONG;
    return (uint32_t)sizeof(struct item) + (long_key ? (uint32_t)sizeof(uint32_t) : 0u);
}

static inline int64_t item_expire_at_ms(const struct item *item) {
    int64_t value = 0;
    if (item_has_expire(item)) {
        memcpy(&value, (const uint8_t *)item + item_expire_offset(item), sizeof(value));
    }
    return value;
}

/* Offset of the payload: right after the key. */
static inline uint32_t item_payload_offset(const struct item *item) {
    uint32_t key_size = item_key_size(item);
    return item_key_offset(item->flags, key_size) + key_size;
}

static inline uint8_t *item_payload(struct item *item) {
    return (uint8_t *)item + item_payload_offset(item);
}

/* A string's size in bytes (for INT, the length of its decimal form). */
static inline uint32_t item_value_size(const struct item *item) {
    if (item->encoding != ITEM_ENCODING_EXTERNAL) {
        return item->value_size_short;
    }
    uint32_t size = 0;
    memcpy(&size, item_payload((struct item *)item) + sizeof(void *), sizeof(size));
    return size;
}

/* Records a string's new size after an in-place change. */
static inline void item_set_value_size(struct item *item, uint32_t size) {
    if (item->encoding == ITEM_ENCODING_EXTERNAL) {
        memcpy(item_payload(item) + sizeof(void *), &size, sizeof(size));
    } else {
        ASSERT(size <= UINT16_MAX);
        item->value_size_short = (uint16_t)size;
    }
}

/* Seconds since the LRU clock `then`, both modulo 2^24 (Redis's estimateObjectIdleTime). */
static inline uint32_t item_lru_elapsed(uint32_t now, uint32_t then) {
    return (now - then) & ITEM_LRU_MASK;
}
