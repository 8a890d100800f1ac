/*
 * cmd_bitmap.c: bit operations on string values: SETBIT, GETBIT, BITCOUNT,
 * BITPOS, BITOP, BITFIELD and BITFIELD_RO.
 *
 * Bit 0 is the most significant bit of the first byte, as in Redis. Replies,
 * error texts and the order in which arguments and keys are checked are Redis
 * 7.0's (it decides which error a bad command gets).
 *
 * Invariants:
 * - A command that answers an error, -OOM included, changed nothing: a write
 *   first makes the string long enough (bitmap_writable, the only step that
 *   allocates), then changes bytes in place, which cannot fail.
 * - Strings are items (item.h): EMBEDDED and EXTERNAL values that have room
 *   are grown and written in place, as APPEND and SETRANGE do (cmd_string.c);
 *   INT values and values without room are rebuilt into a new item (keeping
 *   the expiry) that replaces the old one.
 * - BITOP builds its result before it touches the destination, so the
 *   destination may also be a source; an empty result deletes it.
 *
 * Limits: bit offsets stop below proto-max-bulk-len * 8, as in Redis. BITFIELD
 * may reach 8 bytes past that (Redis does too); a string that would pass
 * UINT32_MAX bytes, which only a proto-max-bulk-len near 4 GiB allows, is
 * refused with Redis's checkStringLength error since keel's sizes are 32-bit.
 */
#include "commands.h"

#include "db.h"
#include "heap.h"
#include "index.h"
#include "item.h"
#include "multi.h"

/* Bytes for an int64 in decimal, sign included, and a spare. */
#define BITMAP_DIGITS_SIZE 24u
/* Growth slack for values rebuilt larger: at most this much beyond 2x (as APPEND). */
#define BITMAP_SLACK_SIZE_MAX MIB
/* BITFIELD widths: i1..i64, u1..u63 (replies are signed 64-bit integers). */
#define BITFIELD_BITS_MAX 64u

static const char ERROR_BIT_OFFSET[] = "ERR bit offset is not an integer or out of range";
static const char ERROR_BIT_VALUE[] = "ERR bit is not an integer or out of range";
static const char ERROR_BIT_ARGUMENT[] = "ERR The bit argument must be 1 or 0.";
static const char ERROR_BITOP_NOT[] = "ERR BITOP NOT must be called with a single source key.";
static const char ERROR_BITFIELD_TYPE[] =
    "ERR Invalid bitfield type. Use something like i16 u8. "
    "Note that u64 is not supported but i64 is.";
static const char ERROR_OVERFLOW_TYPE[] = "ERR Invalid OVERFLOW type specified";
static const char ERROR_BITFIELD_RO[] = "ERR BITFIELD_RO only supports the GET subcommand";

/*
 * Scratch for values up to ITEM_EMBEDDED_SIZE_MAX being rebuilt and for BITOP
 * results that size. The server is single-threaded and no handler nests.
 */
static uint8_t bitmap_scratch[ITEM_EMBEDDED_SIZE_MAX];

/* ==== Strings: reading and making room ==== */

/* A string item's bytes (INT values formatted into digits); empty for NULL. */
static struct slice bitmap_bytes(const struct item *item, char *digits) {
    ASSERT(digits != NULL);
    if (item == NULL) {
        return (struct slice){ .ptr = NULL, .size = 0 };
    }
    ASSERT(item->type == ITEM_STRING);
    return item_string(item, digits);
}


/*
 * A new string item for key holding `old` zero-padded to size bytes, with
 * writable bytes (never INT); *bytes points at them. Large values get an
 * external object with slack when `grow`. NULL when memory is short.
 */
static struct item *bitmap_build(struct slice key, struct slice old, uint64_t size,
                                 int64_t expire_at_ms, bool grow, uint8_t **bytes) {
    ASSERT(size >= old.size);
    ASSERT(size > 0 && size <= UINT32_MAX);
    struct slice value = { .ptr = bitmap_scratch, .size = (uint32_t)size };
    uint8_t *external = NULL;
    if (size > ITEM_EMBEDDED_SIZE_MAX) {
        uint64_t slack = grow ? MIN(size, BITMAP_SLACK_SIZE_MAX) : 0;
        external = slack > 0 ? heap_alloc(&server.heap, size + slack) : NULL;
        external = external != NULL ? external : heap_alloc(&server.heap, size);
        if (external == NULL) {
            return NULL;
        }
        value.ptr = external;
    }
    uint8_t *target = (uint8_t *)(uintptr_t)value.ptr;
    if (old.size > 0) {
        memcpy(target, old.ptr, old.size);
    }
    memset(target + old.size, 0, size - old.size);
    /* A first byte that is not a digit keeps item_create_string from choosing INT:
     * the bytes must stay writable. The real byte goes back in below. */
    uint8_t first = target[0];
    target[0] = 'x';
    struct item *item = item_create_string(&server.heap, key, value, expire_at_ms, external);
    if (item == NULL) {
        if (external != NULL) {
            heap_free(&server.heap, external);
        }
        return NULL;
    }
    ASSERT(item->encoding != ITEM_ENCODING_INT);
    *bytes = external != NULL ? external : item_payload(item);
    (*bytes)[0] = first;
    return item;
}

/*
 * lookupStringForBitCommand: makes the string at key (item, NULL if absent)
 * at least size bytes long, zero-padded, creating the key if needed, and
 * returns its bytes for writing; *value_size gets its new length. NULL with
 * nothing changed when memory is short.
 */
static uint8_t *bitmap_writable(struct client *client, struct slice key, uint64_t hash,
                                struct item *item, uint64_t size, uint64_t *value_size) {
    ASSERT(size > 0 && size <= UINT32_MAX);
    uint8_t *bytes = NULL;
    if (item == NULL) {
        if (!db_prepare_insert(client->db, hash)) {
            return NULL;
        }
        struct slice empty = { .ptr = NULL, .size = 0 };
        struct item *created = bitmap_build(key, empty, size, 0, false, &bytes);
        if (created == NULL) {
            return NULL;
        }
        created->string_hint = ITEM_STRING_HINT_RAW; /* Redis: a raw string */
        db_store(&server.keyspace, client->db, created, hash, NULL);
        *value_size = size;
        return bytes;
    }
    char digits[BITMAP_DIGITS_SIZE];
    struct slice old = bitmap_bytes(item, digits);
    uint64_t new_size = MAX((uint64_t)old.size, size);
    if (item->encoding != ITEM_ENCODING_INT) {
        bytes = item_string_room(&server.heap, item, new_size);
    }
    if (bytes != NULL) {
        memset(bytes + old.size, 0, new_size - old.size);
        item_set_value_size(item, (uint32_t)new_size);
        item->string_hint = ITEM_STRING_HINT_RAW; /* Redis unshares into a raw string */
        if (new_size > old.size) {
            watch_touch(client->db, key, hash); /* grown: Redis's lookupStringForBitCommand */
        }
    } else {
        struct item *updated = bitmap_build(item_key(item), old, new_size,
                                            item_expire_at_ms(item), true, &bytes);
        if (updated == NULL) {
            return NULL;
        }
        updated->string_hint = ITEM_STRING_HINT_RAW;
        watch_quiet++; /* a new representation is no change (Redis's dbUnshareStringValue) */
        db_store(&server.keyspace, client->db, updated, hash, item);
        watch_quiet--;
        if (new_size > old.size) {
            watch_touch(client->db, key, hash);
        }
    }
    *value_size = new_size;
    return bytes;
}

/* ==== Bits ==== */

/* getBitOffsetFromArgument: "#N" means N * bits when `bits` > 0 (BITFIELD). */
static bool bitmap_offset_parse(struct client *client, struct slice text, uint32_t bits,
                                uint64_t *offset) {
    ASSERT(bits <= BITFIELD_BITS_MAX);
    uint32_t skip = bits > 0 && text.size > 0 && text.ptr[0] == '#' ? 1 : 0;
    int64_t value = 0;
    if (!parse_int64(text.ptr + skip, text.size - skip, &value)) {
        reply_error(&client->reply, ERROR_BIT_OFFSET);
        return false;
    }
    if (skip == 1) {
        value = (int64_t)((uint64_t)value * bits); /* wraps as Redis's multiplication does */
    }
    if (value < 0 || ((uint64_t)value >> 3) >= server.config.proto_max_bulk_len) {
        reply_error(&client->reply, ERROR_BIT_OFFSET);
        return false;
    }
    *offset = (uint64_t)value;
    return true;
}

/* The bit at offset of bytes[0..size), zero past the end. */
static uint64_t bitmap_get_bit(const uint8_t *bytes, uint64_t size, uint64_t offset) {
    uint64_t byte = offset >> 3;
    if (byte >= size) {
        return 0;
    }
    ASSERT(bytes != NULL);
    return (uint64_t)(bytes[byte] >> (7 - (offset & 7))) & 1u;
}

static void bitmap_set_bit(uint8_t *bytes, uint64_t offset, uint64_t bit) {
    ASSERT(bytes != NULL);
    ASSERT(bit <= 1);
    uint8_t mask = (uint8_t)(1u << (7 - (offset & 7)));
    uint64_t byte = offset >> 3;
    bytes[byte] = bit ? (uint8_t)(bytes[byte] | mask) : (uint8_t)(bytes[byte] & ~mask);
    ASSERT(bitmap_get_bit(bytes, byte + 1, offset) == bit);
}

/* ==== SETBIT, GETBIT ==== */

void cmd_setbit(struct client *client) {
    ASSERT(client->argv.count == 4);
    uint64_t offset = 0;
    if (!bitmap_offset_parse(client, client_arg(client, 2), 0, &offset)) {
        return;
    }
    int64_t bit = 0;
    if (!argument_int64(client_arg(client, 3), &bit) || (bit != 0 && bit != 1)) {
        reply_error(&client->reply, ERROR_BIT_VALUE);
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    struct item *item = command_find_write(client, key, hash);
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    uint64_t size = 0;
    uint8_t *bytes = bitmap_writable(client, key, hash, item, (offset >> 3) + 1, &size);
    if (bytes == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    ASSERT(size > offset >> 3);
    uint64_t old_bit = bitmap_get_bit(bytes, size, offset);
    bitmap_set_bit(bytes, offset, (uint64_t)bit);
    if (old_bit != (uint64_t)bit) {
        watch_touch(client->db, key, hash);
    }
    reply_integer(&client->reply, (int64_t)old_bit);
}

void cmd_getbit(struct client *client) {
    ASSERT(client->argv.count == 3);
    ASSERT(server.config.proto_max_bulk_len <= UINT32_MAX);
    uint64_t offset = 0;
    if (!bitmap_offset_parse(client, client_arg(client, 2), 0, &offset)) {
        return;
    }
    uint64_t hash = 0;
    const struct item *item = command_find(client, client_arg(client, 1), &hash);
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    char digits[BITMAP_DIGITS_SIZE];
    struct slice bytes = bitmap_bytes(item, digits);
    reply_integer(&client->reply, (int64_t)bitmap_get_bit(bytes.ptr, bytes.size, offset));
}

/* ==== BITCOUNT, BITPOS ==== */

/* Bits [0, 8) of a byte from `first` to `last` (inclusive), as a mask. */
static uint8_t bitmap_byte_mask(uint64_t first, uint64_t last) {
    ASSERT(first <= last);
    ASSERT(last <= 7);
    return (uint8_t)((0xffu >> first) & (0xffu << (7 - last)));
}

/* Set bits in [first_bit, last_bit] of bytes. */
static uint64_t bitmap_count(const uint8_t *bytes, uint64_t first_bit, uint64_t last_bit) {
    ASSERT(first_bit <= last_bit);
    uint64_t first_byte = first_bit >> 3;
    uint64_t last_byte = last_bit >> 3;
    if (first_byte == last_byte) {
        uint8_t mask = bitmap_byte_mask(first_bit & 7, last_bit & 7);
        return (uint64_t)__builtin_popcount((unsigned)(bytes[first_byte] & mask));
    }
    uint64_t count = (uint64_t)__builtin_popcount(
        (unsigned)(bytes[first_byte] & bitmap_byte_mask(first_bit & 7, 7)));
    count += (uint64_t)__builtin_popcount(
        (unsigned)(bytes[last_byte] & bitmap_byte_mask(0, last_bit & 7)));
    uint64_t index = first_byte + 1;
    for (; index + 8 <= last_byte; index += 8) {
        uint64_t word = 0;
        memcpy(&word, bytes + index, sizeof(word));
        count += (uint64_t)__builtin_popcountll(word);
    }
    for (; index < last_byte; index++) {
        count += (uint64_t)__builtin_popcount((unsigned)bytes[index]);
    }
    return count;
}

/* Position of the first bit equal to `bit` in [first_bit, last_bit], or -1. */
static int64_t bitmap_find(const uint8_t *bytes, uint64_t first_bit, uint64_t last_bit,
                           uint64_t bit) {
    ASSERT(first_bit <= last_bit);
    ASSERT(bit <= 1);
    uint8_t flip = bit ? 0x00 : 0xff; /* looking for zeros: look for ones in ~byte */
    uint64_t skip_word = bit ? 0 : UINT64_MAX;
    uint64_t last_byte = last_bit >> 3;
    uint64_t byte = first_bit >> 3;
    for (uint64_t step = 0; step <= last_byte && byte <= last_byte; step++) {
        if (byte + 8 <= last_byte && (byte << 3) >= first_bit) {
            uint64_t word = 0;
            memcpy(&word, bytes + byte, sizeof(word));
            if (word == skip_word) {
                byte += 8;
                continue;
            }
        }
        uint64_t low = byte == first_bit >> 3 ? first_bit & 7 : 0;
        uint64_t high = byte == last_byte ? last_bit & 7 : 7;
        uint8_t found = (uint8_t)((bytes[byte] ^ flip) & bitmap_byte_mask(low, high));
        if (found != 0) {
            uint64_t position = (byte << 3) + (uint64_t)(__builtin_clz((unsigned)found) - 24);
            ASSERT(position >= first_bit && position <= last_bit);
            return (int64_t)position;
        }
        byte++;
    }
    return -1;
}

/*
 * Resolves a [start, end] range over total units as BITCOUNT/BITPOS do:
 * negative values count from the end, then both are clamped. False when empty.
 */
static bool bitmap_range_resolve(int64_t total, int64_t *start, int64_t *end) {
    ASSERT(total >= 0);
    ASSERT(start != NULL && end != NULL);
    /* total < 2^36 and the values are negative, so these cannot overflow. */
    if (*start < 0) {
        *start = total + *start;
    }
    if (*end < 0) {
        *end = total + *end;
    }
    *start = MAX(*start, 0);
    *end = MAX(*end, 0);
    *end = MIN(*end, total - 1);
    return *start <= *end;
}

/* BIT or BYTE (any case); false otherwise. */
static bool bitmap_unit_parse(struct slice text, bool *is_bit) {
    ASSERT(is_bit != NULL);
    ASSERT(text.ptr != NULL || text.size == 0);
    if (slice_equal_nocase(text, "bit")) {
        *is_bit = true;
        return true;
    }
    *is_bit = false;
    return slice_equal_nocase(text, "byte");
}

/* bitcountCommand's argument part, once the key was found: the reply. */
static void bitmap_count_range(struct client *client, struct slice bytes) {
    ASSERT(client->argv.count == 4 || client->argv.count == 5);
    ASSERT(bytes.ptr != NULL || bytes.size == 0);
    int64_t start = 0;
    int64_t end = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &start) ||
        !argument_int64_or_reply(client, client_arg(client, 3), &end)) {
        return;
    }
    if (start < 0 && end < 0 && start > end) {
        reply_integer(&client->reply, 0);
        return;
    }
    bool is_bit = false;
    if (client->argv.count == 5 && !bitmap_unit_parse(client_arg(client, 4), &is_bit)) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    int64_t total = (int64_t)bytes.size * (is_bit ? 8 : 1);
    if (!bitmap_range_resolve(total, &start, &end)) {
        reply_integer(&client->reply, 0);
        return;
    }
    uint64_t first_bit = is_bit ? (uint64_t)start : (uint64_t)start << 3;
    uint64_t last_bit = is_bit ? (uint64_t)end : ((uint64_t)end << 3) + 7;
    ASSERT(last_bit < (uint64_t)bytes.size * 8);
    reply_integer(&client->reply, (int64_t)bitmap_count(bytes.ptr, first_bit, last_bit));
}

void cmd_bitcount(struct client *client) {
    ASSERT(client->argv.count >= 2);
    uint64_t hash = 0;
    const struct item *item = command_find(client, client_arg(client, 1), &hash);
    if (item == NULL) {
        reply_integer(&client->reply, 0);
        return;
    }
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    char digits[BITMAP_DIGITS_SIZE];
    struct slice bytes = bitmap_bytes(item, digits);
    if (client->argv.count == 4 || client->argv.count == 5) {
        bitmap_count_range(client, bytes);
    } else if (client->argv.count == 2) {
        uint64_t last_bit = (uint64_t)bytes.size * 8 - 1;
        uint64_t count = bytes.size == 0 ? 0 : bitmap_count(bytes.ptr, 0, last_bit);
        reply_integer(&client->reply, (int64_t)count);
    } else {
        reply_error(&client->reply, ERROR_SYNTAX);
    }
}

/* BITPOS's range arguments: [start [end [BIT|BYTE]]]. False after an error reply. */
static bool bitpos_parse(struct client *client, uint64_t value_size, uint64_t *first_bit,
                         uint64_t *last_bit, bool *end_given, bool *empty) {
    ASSERT(client->argv.count >= 3 && client->argv.count <= 6);
    ASSERT(value_size <= UINT32_MAX);
    int64_t start = 0;
    int64_t end = (int64_t)value_size - 1;
    bool is_bit = false;
    uint32_t count = client->argv.count;
    if (count > 3 && !argument_int64_or_reply(client, client_arg(client, 3), &start)) {
        return false;
    }
    if (count == 6 && !bitmap_unit_parse(client_arg(client, 5), &is_bit)) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return false;
    }
    *end_given = count >= 5;
    if (*end_given && !argument_int64_or_reply(client, client_arg(client, 4), &end)) {
        return false;
    }
    int64_t total = (int64_t)value_size * (is_bit ? 8 : 1);
    *empty = !bitmap_range_resolve(total, &start, &end);
    *first_bit = is_bit ? (uint64_t)start : (uint64_t)start << 3;
    *last_bit = is_bit ? (uint64_t)end : ((uint64_t)end << 3) + 7;
    return true;
}

void cmd_bitpos(struct client *client) {
    ASSERT(client->argv.count >= 3);
    int64_t bit = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &bit)) {
        return;
    }
    if (bit != 0 && bit != 1) {
        reply_error(&client->reply, ERROR_BIT_ARGUMENT);
        return;
    }
    uint64_t hash = 0;
    const struct item *item = command_find(client, client_arg(client, 1), &hash);
    if (item == NULL) {
        reply_integer(&client->reply, bit ? -1 : 0); /* an endless run of zeros */
        return;
    }
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    if (client->argv.count > 6) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    char digits[BITMAP_DIGITS_SIZE];
    struct slice bytes = bitmap_bytes(item, digits);
    uint64_t first_bit = 0;
    uint64_t last_bit = 0;
    bool end_given = false;
    bool empty = false;
    if (!bitpos_parse(client, bytes.size, &first_bit, &last_bit, &end_given, &empty)) {
        return;
    }
    int64_t position = empty ? -1 : bitmap_find(bytes.ptr, first_bit, last_bit, (uint64_t)bit);
    if (position == -1 && !empty && bit == 0 && !end_given) {
        /* No clear bit: the string counts as padded with zeros on the right. */
        position = (int64_t)(((last_bit >> 3) + 1) << 3);
    }
    reply_integer(&client->reply, position);
}

/* ==== BITOP ==== */

enum bitop_kind { BITOP_AND, BITOP_OR, BITOP_XOR, BITOP_NOT };

static bool bitop_parse(struct slice text, enum bitop_kind *kind) {
    static const char *const names[] = { "and", "or", "xor", "not" };
    STATIC_ASSERT(BITOP_NOT == 3, "names follow enum bitop_kind");
    ASSERT(kind != NULL);
    for (uint32_t index = 0; index < ARRAY_COUNT(names); index++) {
        if (slice_equal_nocase(text, names[index])) {
            *kind = (enum bitop_kind)index;
            return true;
        }
    }
    return false;
}

/* Folds one source into result[0..size): the first source is copied in. */
static void bitop_fold(enum bitop_kind kind, uint8_t *result, uint64_t size,
                       struct slice source, bool first) {
    ASSERT(source.size <= size);
    if (first) {
        if (source.size > 0) {
            memcpy(result, source.ptr, source.size);
        }
        memset(result + source.size, 0, size - source.size);
        for (uint64_t index = 0; kind == BITOP_NOT && index < size; index++) {
            result[index] = (uint8_t)~result[index];
        }
        return;
    }
    for (uint64_t index = 0; index < source.size; index++) {
        uint8_t byte = source.ptr[index];
        result[index] = kind == BITOP_AND   ? (uint8_t)(result[index] & byte)
                        : kind == BITOP_OR  ? (uint8_t)(result[index] | byte)
                                            : (uint8_t)(result[index] ^ byte);
    }
    if (kind == BITOP_AND) {
        memset(result + source.size, 0, size - source.size); /* a shorter source pads 0s */
    }
}

/* Checks every source's type; *size gets the longest length. False after WRONGTYPE. */
static bool bitop_sources(struct client *client, uint64_t *size) {
    ASSERT(client->argv.count >= 4);
    *size = 0;
    for (uint32_t index = 3; index < client->argv.count; index++) {
        uint64_t hash = 0;
        const struct item *item = command_find(client, client_arg(client, index), &hash);
        if (!command_check_type(client, item, ITEM_STRING)) {
            return false;
        }
        char digits[BITMAP_DIGITS_SIZE];
        *size = MAX(*size, (uint64_t)bitmap_bytes(item, digits).size);
    }
    ASSERT(*size <= UINT32_MAX);
    return true;
}

/* Computes the result into result[0..size) (the sources were checked already). */
static void bitop_compute(struct client *client, enum bitop_kind kind, uint8_t *result,
                          uint64_t size) {
    ASSERT(size > 0);
    ASSERT(kind != BITOP_NOT || client->argv.count == 4);
    for (uint32_t index = 3; index < client->argv.count; index++) {
        struct slice key = client_arg(client, index);
        const struct item *item = db_find(&server.keyspace, client->db, key, index_hash(key));
        char digits[BITMAP_DIGITS_SIZE];
        bitop_fold(kind, result, size, bitmap_bytes(item, digits), index == 3);
    }
}

void cmd_bitop(struct client *client) {
    ASSERT(client->argv.count >= 4);
    enum bitop_kind kind = BITOP_AND;
    if (!bitop_parse(client_arg(client, 1), &kind)) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    if (kind == BITOP_NOT && client->argv.count != 4) {
        reply_error(&client->reply, ERROR_BITOP_NOT);
        return;
    }
    uint64_t size = 0;
    if (!bitop_sources(client, &size)) {
        return;
    }
    struct slice key = client_arg(client, 2);
    uint64_t hash = index_hash(key);
    struct item *target = command_find_write(client, key, hash);
    if (size == 0) {
        if (target != NULL) {
            db_delete(&server.keyspace, client->db, target, hash);
        }
        reply_integer(&client->reply, 0);
        return;
    }
    if (target == NULL && !db_prepare_insert(client->db, hash)) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    uint8_t *external = size > ITEM_EMBEDDED_SIZE_MAX ? heap_alloc(&server.heap, size) : NULL;
    if (size > ITEM_EMBEDDED_SIZE_MAX && external == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    uint8_t *result = external != NULL ? external : bitmap_scratch;
    bitop_compute(client, kind, result, size);
    struct slice value = { .ptr = result, .size = (uint32_t)size };
    struct item *item = item_create_string(&server.heap, key, value, 0, external);
    if (item == NULL) {
        if (external != NULL) {
            heap_free(&server.heap, external);
        }
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    item->string_hint = ITEM_STRING_HINT_RAW; /* BITOP stores a raw string */
    db_store(&server.keyspace, client->db, item, hash, target);
    reply_integer(&client->reply, (int64_t)size);
}

/* ==== BITFIELD, BITFIELD_RO ==== */

enum bitfield_opcode { BITFIELD_GET, BITFIELD_SET, BITFIELD_INCRBY };
enum bitfield_overflow { OVERFLOW_WRAP, OVERFLOW_SAT, OVERFLOW_FAIL };

struct bitfield_op {
    enum bitfield_opcode opcode;
    enum bitfield_overflow overflow;
    bool sign;
    uint32_t bits;
    uint64_t offset;
    int64_t value;     /* SET's value or INCRBY's increment */
};

/* getBitfieldTypeFromArgument: i1..i64 or u1..u63; the number ends at a NUL as in Redis. */
static bool bitfield_type_parse(struct slice text, bool *sign, uint32_t *bits) {
    if (text.size == 0 || (text.ptr[0] != 'i' && text.ptr[0] != 'u')) {
        return false;
    }
    *sign = text.ptr[0] == 'i';
    const uint8_t *digits = text.ptr + 1;
    uint32_t size = 0;
    for (; size < text.size - 1 && digits[size] != '\0'; size++) {
    }
    int64_t value = 0;
    if (!parse_int64(digits, size, &value) || value < 1 || value > (*sign ? 64 : 63)) {
        return false;
    }
    *bits = (uint32_t)value;
    ASSERT(*bits >= 1 && *bits <= BITFIELD_BITS_MAX);
    return true;
}

/*
 * Reads the subcommand at *index (advancing past it and its arguments); an
 * OVERFLOW only changes *overflow. Returns false after an error reply; *has_op
 * says whether an operation was read into *op.
 */
static bool bitfield_next(struct client *client, uint32_t *index,
                          enum bitfield_overflow *overflow, struct bitfield_op *op,
                          bool *has_op) {
    ASSERT(*index >= 2 && *index < client->argv.count);
    ASSERT(op != NULL);
    struct slice name = client_arg(client, *index);
    uint32_t remaining = client->argv.count - *index - 1;
    *has_op = false;
    if (slice_equal_nocase(name, "overflow") && remaining >= 1) {
        struct slice kind = client_arg(client, *index + 1);
        if (slice_equal_nocase(kind, "wrap")) {
            *overflow = OVERFLOW_WRAP;
        } else if (slice_equal_nocase(kind, "sat")) {
            *overflow = OVERFLOW_SAT;
        } else if (slice_equal_nocase(kind, "fail")) {
            *overflow = OVERFLOW_FAIL;
        } else {
            reply_error(&client->reply, ERROR_OVERFLOW_TYPE);
            return false;
        }
        *index += 2;
        return true;
    }
    if (slice_equal_nocase(name, "get") && remaining >= 2) {
        op->opcode = BITFIELD_GET;
    } else if (slice_equal_nocase(name, "set") && remaining >= 3) {
        op->opcode = BITFIELD_SET;
    } else if (slice_equal_nocase(name, "incrby") && remaining >= 3) {
        op->opcode = BITFIELD_INCRBY;
    } else {
        reply_error(&client->reply, ERROR_SYNTAX);
        return false;
    }
    if (!bitfield_type_parse(client_arg(client, *index + 1), &op->sign, &op->bits)) {
        reply_error(&client->reply, ERROR_BITFIELD_TYPE);
        return false;
    }
    if (!bitmap_offset_parse(client, client_arg(client, *index + 2), op->bits, &op->offset)) {
        return false;
    }
    op->value = 0;
    if (op->opcode != BITFIELD_GET &&
        !argument_int64_or_reply(client, client_arg(client, *index + 3), &op->value)) {
        return false;
    }
    op->overflow = *overflow;
    *index += op->opcode == BITFIELD_GET ? 3 : 4;
    *has_op = true;
    return true;
}

/* The first pass: validates every subcommand. False after an error reply. */
static bool bitfield_check(struct client *client, uint64_t *op_count, bool *writes,
                           uint64_t *highest_bit) {
    ASSERT(client->argv.count >= 2);
    enum bitfield_overflow overflow = OVERFLOW_WRAP;
    *op_count = 0;
    *writes = false;
    *highest_bit = 0;
    uint32_t index = 2;
    for (uint32_t step = 0; step < client->argv.count && index < client->argv.count; step++) {
        struct bitfield_op op;
        bool has_op = false;
        if (!bitfield_next(client, &index, &overflow, &op, &has_op)) {
            return false;
        }
        if (has_op && op.opcode != BITFIELD_GET) {
            *writes = true;
            *highest_bit = MAX(*highest_bit, op.offset + op.bits - 1);
        }
        *op_count += has_op ? 1 : 0;
    }
    ASSERT(index == client->argv.count);
    return true;
}

/* getUnsignedBitfield over bytes[0..size), zero past the end. */
static uint64_t bitfield_get(const uint8_t *bytes, uint64_t size, uint64_t offset,
                             uint32_t bits) {
    ASSERT(bits >= 1 && bits <= BITFIELD_BITS_MAX);
    uint64_t value = 0;
    for (uint32_t index = 0; index < bits; index++) {
        value = (value << 1) | bitmap_get_bit(bytes, size, offset + index);
    }
    return value;
}

static int64_t bitfield_get_signed(const uint8_t *bytes, uint64_t size, uint64_t offset,
                                   uint32_t bits) {
    uint64_t value = bitfield_get(bytes, size, offset, bits);
    if (bits < 64 && (value & ((uint64_t)1 << (bits - 1))) != 0) {
        value |= UINT64_MAX << bits; /* sign extension */
    }
    if (bits < 64) {
        ASSERT((int64_t)value >= -((int64_t)1 << (bits - 1)));
        ASSERT((int64_t)value < ((int64_t)1 << (bits - 1)));
    }
    return (int64_t)value;
}

static void bitfield_set(uint8_t *bytes, uint64_t offset, uint32_t bits, uint64_t value) {
    ASSERT(bytes != NULL);
    ASSERT(bits >= 1 && bits <= BITFIELD_BITS_MAX);
    for (uint32_t index = 0; index < bits; index++) {
        bitmap_set_bit(bytes, offset + index, (value >> (bits - 1 - index)) & 1u);
    }
}

/*
 * checkUnsignedBitfieldOverflow: 0 when value + increment fits `bits`, else 1
 * (above) or -1 (below) with *limit the wrapped or saturated result.
 */
static int32_t bitfield_unsigned_overflow(uint64_t value, int64_t increment, uint32_t bits,
                                          enum bitfield_overflow overflow, uint64_t *limit) {
    ASSERT(bits >= 1 && bits < 64);
    ASSERT(limit != NULL);
    uint64_t max = ((uint64_t)1 << bits) - 1;
    int32_t result = 0;
    if (value > max || (increment > 0 && (uint64_t)increment > max - value)) {
        result = 1;
    } else if (increment < 0 && (uint64_t)(-(increment + 1)) + 1 > value) {
        result = -1;
    }
    if (result != 0 && overflow == OVERFLOW_WRAP) {
        *limit = (value + (uint64_t)increment) & max;
    } else if (result != 0 && overflow == OVERFLOW_SAT) {
        *limit = result > 0 ? max : 0;
    }
    return result;
}

/* checkSignedBitfieldOverflow, with the same contract for signed fields. */
static int32_t bitfield_signed_overflow(int64_t value, int64_t increment, uint32_t bits,
                                        enum bitfield_overflow overflow, int64_t *limit) {
    ASSERT(bits >= 1 && bits <= 64);
    ASSERT(limit != NULL);
    int64_t max = bits == 64 ? INT64_MAX : (int64_t)(((uint64_t)1 << (bits - 1)) - 1);
    int64_t min = -max - 1;
    /* Redis's differences wrap (so SET of a value far below min saturates to max). */
    int64_t max_increment = (int64_t)((uint64_t)max - (uint64_t)value);
    int64_t min_increment = (int64_t)((uint64_t)min - (uint64_t)value);
    int32_t result = 0;
    if (value > max || (bits != 64 && increment > max_increment) ||
        (value >= 0 && increment > 0 && increment > max_increment)) {
        result = 1;
    } else if (value < min || (bits != 64 && increment < min_increment) ||
               (value < 0 && increment < 0 && increment < min_increment)) {
        result = -1;
    }
    if (result != 0 && overflow == OVERFLOW_WRAP) {
        uint64_t sum = (uint64_t)value + (uint64_t)increment;
        if (bits < 64) {
            uint64_t mask = UINT64_MAX << bits;
            sum = (sum & ((uint64_t)1 << (bits - 1))) != 0 ? sum | mask : sum & ~mask;
        }
        *limit = (int64_t)sum;
    } else if (result != 0 && overflow == OVERFLOW_SAT) {
        *limit = result > 0 ? max : min;
    }
    return result;
}

/* Runs a SET or INCRBY on a signed field and replies its result (nil on FAIL). */
static void bitfield_write_signed(struct client *client, uint8_t *bytes, uint64_t size,
                                  const struct bitfield_op *op) {
    int64_t old_value = bitfield_get_signed(bytes, size, op->offset, op->bits);
    int64_t limit = 0;
    int64_t new_value = op->value;
    int32_t overflow = 0;
    if (op->opcode == BITFIELD_INCRBY) {
        overflow = bitfield_signed_overflow(old_value, op->value, op->bits, op->overflow, &limit);
        new_value = (int64_t)((uint64_t)old_value + (uint64_t)op->value);
    } else {
        overflow = bitfield_signed_overflow(op->value, 0, op->bits, op->overflow, &limit);
    }
    if (overflow != 0 && op->overflow == OVERFLOW_FAIL) {
        reply_null(&client->reply);
        return;
    }
    new_value = overflow != 0 ? limit : new_value;
    reply_integer(&client->reply, op->opcode == BITFIELD_INCRBY ? new_value : old_value);
    bitfield_set(bytes, op->offset, op->bits, (uint64_t)new_value);
    if (new_value != old_value && watch_key_count != 0) {
        watch_touch(client->db, client_arg(client, 1), index_hash(client_arg(client, 1)));
    }
}

/* Runs a SET or INCRBY on an unsigned field and replies its result (nil on FAIL). */
static void bitfield_write_unsigned(struct client *client, uint8_t *bytes, uint64_t size,
                                    const struct bitfield_op *op) {
    uint64_t old_value = bitfield_get(bytes, size, op->offset, op->bits);
    uint64_t limit = 0;
    uint64_t new_value = (uint64_t)op->value;
    int32_t overflow = 0;
    if (op->opcode == BITFIELD_INCRBY) {
        overflow = bitfield_unsigned_overflow(old_value, op->value, op->bits, op->overflow,
                                              &limit);
        new_value = old_value + (uint64_t)op->value;
    } else {
        overflow = bitfield_unsigned_overflow(new_value, 0, op->bits, op->overflow, &limit);
    }
    if (overflow != 0 && op->overflow == OVERFLOW_FAIL) {
        reply_null(&client->reply);
        return;
    }
    new_value = overflow != 0 ? limit : new_value;
    uint64_t result = op->opcode == BITFIELD_INCRBY ? new_value : old_value;
    ASSERT(result <= (uint64_t)INT64_MAX);
    reply_integer(&client->reply, (int64_t)result);
    bitfield_set(bytes, op->offset, op->bits, new_value);
    if (new_value != old_value && watch_key_count != 0) {
        watch_touch(client->db, client_arg(client, 1), index_hash(client_arg(client, 1)));
    }
}

/* The second pass: runs every operation on bytes[0..size) (writable when writes). */
static void bitfield_run(struct client *client, const uint8_t *bytes, uint8_t *writable,
                         uint64_t size) {
    ASSERT(writable == NULL || writable == bytes);
    ASSERT(bytes != NULL || size == 0);
    enum bitfield_overflow overflow = OVERFLOW_WRAP;
    uint32_t index = 2;
    for (uint32_t step = 0; step < client->argv.count && index < client->argv.count; step++) {
        struct bitfield_op op;
        bool has_op = false;
        bool valid = bitfield_next(client, &index, &overflow, &op, &has_op);
        ASSERT(valid); /* the first pass checked every argument */
        if (!has_op) {
            continue;
        }
        if (op.opcode == BITFIELD_GET) {
            int64_t value = op.sign ? bitfield_get_signed(bytes, size, op.offset, op.bits)
                                    : (int64_t)bitfield_get(bytes, size, op.offset, op.bits);
            reply_integer(&client->reply, value);
        } else if (op.sign) {
            ASSERT(writable != NULL);
            bitfield_write_signed(client, writable, size, &op);
        } else {
            ASSERT(writable != NULL);
            bitfield_write_unsigned(client, writable, size, &op);
        }
    }
}

/* bitfieldGeneric: BITFIELD, or BITFIELD_RO (read_only: GET only). */
static void bitfield_command(struct client *client, bool read_only) {
    ASSERT(client->argv.count >= 2);
    uint64_t op_count = 0;
    bool writes = false;
    uint64_t highest_bit = 0;
    if (!bitfield_check(client, &op_count, &writes, &highest_bit)) {
        return;
    }
    struct slice key = client_arg(client, 1);
    uint64_t hash = index_hash(key);
    if (!writes) {
        const struct item *item = command_find(client, key, &hash);
        if (!command_check_type(client, item, ITEM_STRING)) {
            return;
        }
        char digits[BITMAP_DIGITS_SIZE];
        struct slice bytes = bitmap_bytes(item, digits);
        reply_array(&client->reply, op_count);
        bitfield_run(client, bytes.ptr, NULL, bytes.size);
        return;
    }
    if (read_only) {
        reply_error(&client->reply, ERROR_BITFIELD_RO);
        return;
    }
    struct item *item = command_find_write(client, key, hash);
    if (!command_check_type(client, item, ITEM_STRING)) {
        return;
    }
    uint64_t needed_size = (highest_bit >> 3) + 1;
    if (needed_size > UINT32_MAX) {
        reply_error(&client->reply, ERROR_STRING_TOO_LONG); /* keel's sizes are 32-bit */
        return;
    }
    uint64_t size = 0;
    uint8_t *bytes = bitmap_writable(client, key, hash, item, needed_size, &size);
    if (bytes == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    reply_array(&client->reply, op_count);
    bitfield_run(client, bytes, bytes, size);
}

void cmd_bitfield(struct client *client) {
    ASSERT(client->argv.count >= 2);
    bitfield_command(client, false);
}

void cmd_bitfield_ro(struct client *client) {
    ASSERT(client->argv.count >= 2);
    bitfield_command(client, true);
}
