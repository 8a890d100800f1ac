/*
 * fuzz_command.c: libFuzzer target for the whole command path, in process.
 *
 * The input is what one client sends. It goes through the real connection
 * layer (conn.c's input buffer, big arguments, argv growth, limits), the real
 * parser, the real dispatch (commands.c: arity, ACL, OOM check) and the real
 * handlers, on a server set up once from a small memory plan (4 MB data
 * budget, 1 KB input buffers so big arguments start at 512 bytes, 1 MB output
 * and input pools, 4 clients, the epoll backend set up but never used). The
 * only seam is conn.c's conn_fuzz_* block: each fragment of the input is one
 * receive completion; the replies land in the normal output chunks and are
 * drained here instead of being sent. Startup is main.c's own: the file is
 * included below with main renamed, for server_init_memory and plan_take.
 * Between inputs the client is closed (its slot released as usual), every
 * database flushed, and the configuration and ACL users restored.
 *
 * Input layout: byte 0 chooses the fragment sizes (0: each receive takes all
 * the room the connection offers; else sizes drawn from a generator seeded by
 * the byte, up to 64 << 2*(byte >> 6) bytes), byte 1 arms fault injection (low
 * 7 bits n: the n-th data-heap allocation made inside a command fails, 0: off;
 * high bit: that command's later allocations fail too, as when the heap is
 * really full, so rollback code that allocates is caught), byte 2 sets up the
 * session (bit 0: requirepass "fuzz" is configured before the client connects,
 * so it starts unauthenticated and the pre-auth limits apply; bits 1-2: how the
 * client reads, 0 at once after every command, 1 once per loop turn, 2 or 3
 * never, so replies pile up against the output limits and backpressure; other
 * bits are ignored), the rest is the client's bytes.
 *
 * Oracles (each failure prints what broke and aborts):
 *  (a) every reply is exactly one well-formed value in the client's protocol
 *      (a strict reader: + - : $ * in RESP2, also the RESP3 types after HELLO 3;
 *      canonical integers, exact bulk sizes), plus any RESP3 pushes; each command
 *      parsed yields exactly one reply, except commands that close the
 *      connection without one (SHUTDOWN, POST / Host:), a reply dropped for
 *      overflowing the output limit (the connection is then closed), and a
 *      protocol error, which is the last thing written (-ERR Protocol error:)
 *      and after which no command runs. Also, the commands the connection
 *      layer hands to dispatch are the ones a single whole-buffer parse of the
 *      same bytes finds (same arguments, same order), whatever the fragments.
 *  (b) an error reply leaves the dataset unchanged: a digest of every live
 *      key (database, key, type, expiry, value; sets and hashes hashed order-
 *      independently) taken before each command must equal the one after a
 *      command that answered '-'. A second digest covers OBJECT ENCODING
 *      (except after SORT / SORT_RO, which convert a sorted set as Redis does).
 *  (c) after each input, the data structures verify (index, list, hash, set,
 *      zset, both heaps), and once the keyspace is flushed and the client
 *      closed, both heaps hold exactly what they held after startup (a leak
 *      check) and every output chunk is back in the pool. ASan/UBSan as usual.
 *
 * Time is frozen (clock_gettime is replaced for src/server.c, the clock's
 * only reader), so a key is expired only if it was already expired when it
 * was written, and the digest leaves out keys whose expiry has passed: lazy
 * expiry deleting such a key during an erroring command changes nothing the
 * digest sees. That is the first of the two exceptions to (b); the second is
 * eviction: like Redis's performEvictions, keel evicts before a command runs
 * (under an allkeys-* / volatile-* policy set with CONFIG SET), whatever the
 * command then answers; a command during which keys were evicted is not
 * checked. Redis 7.0.15 has no other command that changes data and then
 * replies with an error (SORT's encoding change aside), and keel should have
 * none either.
 *
 * The digest is skipped (counted, not failed) when the dataset passes
 * FUZZ_DIGEST_KEYS_MAX keys or FUZZ_DIGEST_ELEMENTS_MAX collection elements,
 * so a command costs at most one bounded walk.
 *
 * Fault injection (byte 1) makes the n-th heap_alloc / heap_alloc_movable on
 * the data heap inside a command return NULL (the linker wraps both; calls
 * inside heap.c itself are not seen), optionally with every later one of that
 * command: every handler must then either complete or answer an error with the
 * dataset unchanged. FLUSHALL and FLUSHDB are exempt: db_flush asserts that
 * re-creating the empty index after freeing everything cannot fail, which is
 * true of a real heap.
 *
 * Known open keel bugs are waived (counted, not fatal) until fixed: see
 * fuzz_waivers; FUZZ_COMMAND_STRICT=1 makes them fatal again.
 *
 * Set FUZZ_COMMAND_LOG=1 to see the server's log lines; FUZZ_COMMAND_TRACE=1
 * prints every command and reply.
 */
#define main keel_main
#include "../../src/main.c"
#undef main

#include "blocking.h"
#include "cmd_client.h"
#include "hash.h"
#include "list.h"
#include "set.h"
#include "zset.h"

#include <stdarg.h>
#include <xxhash.h>

#define FUZZ_NOW_MS 1700000000123ll
#define FUZZ_SEED 0x5eed5eed5eedull
#define FUZZ_HEADER_SIZE 3u
#define FUZZ_SESSION_PASSWORD 1u          /* byte 2: requirepass set before the client connects */
#define FUZZ_PASSWORD "fuzz"
#define FUZZ_MAXMEMORY (4 * MIB)
#define FUZZ_REPLY_SIZE_MAX (2 * MIB)      /* > the output limit (the 1 MB pool) */
#define FUZZ_DIGEST_KEYS_MAX 1024u
#define FUZZ_DIGEST_ELEMENTS_MAX 65536u
#define FUZZ_COMMANDS_MAX 65536u           /* of the whole-buffer parse */
#define FUZZ_ARGV_MAX 65536u
#define FUZZ_PARSE_BUFFER_SIZE (1024 * 1024)
#define FUZZ_FEEDS_MAX (1u << 22)
#define FUZZ_RESP_DEPTH_MAX 32u

/* ==== Failing ==== */

static const uint8_t *fuzz_input;
static size_t fuzz_input_size;

static _Noreturn __attribute__((format(printf, 1, 2))) void fuzz_fail(const char *format, ...) {
    char message[1024];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, sizeof(message), format, arguments);
    va_end(arguments);
    fprintf(stderr, "fuzz_command: %s\n", message);
    fprintf(stderr, "fuzz_command: input (%zu bytes): \"", fuzz_input_size);
    for (size_t index = 0; index < fuzz_input_size && index < 4096; index++) {
        uint8_t c = fuzz_input[index];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            fputc(c, stderr);
        } else {
            fprintf(stderr, "\\x%02x", c);
        }
    }
    fprintf(stderr, "\"\n");
    abort();
}

static void fuzz_print_bytes(const char *label, const uint8_t *bytes, uint64_t size) {
    fprintf(stderr, "%s (%llu bytes): ", label, (unsigned long long)size);
    for (uint64_t index = 0; index < size && index < 512; index++) {
        uint8_t c = bytes[index];
        if (c >= 0x20 && c < 0x7f) {
            fputc(c, stderr);
        } else {
            fprintf(stderr, "\\x%02x", c);
        }
    }
    fputc('\n', stderr);
}

/* ==== The frozen clock (src/server.c is built with clock_gettime renamed to this) ==== */

int fuzz_clock_gettime(clockid_t clock, struct timespec *now);
int fuzz_clock_gettime(clockid_t clock, struct timespec *now) {
    (void)clock;
    now->tv_sec = (time_t)(FUZZ_NOW_MS / 1000);
    now->tv_nsec = (long)(FUZZ_NOW_MS % 1000) * 1000000;
    return 0;
}

/* ==== A strict RESP2 reader ==== */

/* A canonical decimal (no sign but an optional '-', no leading zero, no "-0") that fits. */
static bool fuzz_resp_number(const uint8_t *text, uint64_t size, int64_t *value) {
    uint64_t index = 0;
    bool negative = size > 0 && text[0] == '-';
    index = negative ? 1 : 0;
    if (index >= size || size - index > 19) {
        return false;
    }
    if (text[index] == '0' && (size - index > 1 || negative)) {
        return false;
    }
    uint64_t magnitude = 0;
    for (; index < size; index++) {
        if (text[index] < '0' || text[index] > '9') {
            return false;
        }
        magnitude = magnitude * 10 + (uint64_t)(text[index] - '0');
    }
    if (magnitude > (uint64_t)INT64_MAX + (negative ? 1u : 0u)) {
        return false;
    }
    *value = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return true;
}

/* The line at bytes[start..): its size before "\r\n", or -1 (no CRLF, or a bare CR/LF). */
static int64_t fuzz_resp_line(const uint8_t *bytes, uint64_t size, uint64_t start) {
    for (uint64_t index = start; index < size; index++) {
        if (bytes[index] == '\n') {
            return -1;
        }
        if (bytes[index] == '\r') {
            if (index + 1 >= size || bytes[index + 1] != '\n') {
                return -1;
            }
            return (int64_t)(index - start);
        }
    }
    return -1;
}

/* A RESP3 double as Redis writes it: inf, -inf, nan, or [-]digits[.digits][e[+-]digits]. */
static bool fuzz_resp_double(const uint8_t *text, uint64_t size) {
    struct slice value = { text, (uint32_t)size };
    if (slice_equal_nocase(value, "inf") || slice_equal_nocase(value, "-inf") ||
        slice_equal_nocase(value, "nan")) {
        return true;
    }
    uint64_t index = size > 0 && text[0] == '-' ? 1 : 0;
    uint64_t digits = 0;
    for (; index < size && text[index] >= '0' && text[index] <= '9'; index++) {
        digits++;
    }
    if (index < size && text[index] == '.') {
        for (index++; index < size && text[index] >= '0' && text[index] <= '9'; index++) {
            digits++;
        }
    }
    if (digits == 0) {
        return false;
    }
    if (index < size && (text[index] == 'e' || text[index] == 'E')) {
        index++;
        index += index < size && (text[index] == '+' || text[index] == '-') ? 1 : 0;
        uint64_t exponent_start = index;
        for (; index < size && text[index] >= '0' && text[index] <= '9'; index++) {
        }
        if (index == exponent_start) {
            return false;
        }
    }
    return index == size;
}

/* A length-prefixed payload ($, !, =) at `after`: true when it is all there with its CRLF. */
static bool fuzz_resp_payload(const uint8_t *bytes, uint64_t size, uint64_t *after,
                              int64_t length) {
    if (length < 0 || size - *after < (uint64_t)length + 2 ||
        bytes[*after + (uint64_t)length] != '\r' || bytes[*after + (uint64_t)length + 1] != '\n') {
        return false;
    }
    *after += (uint64_t)length + 2;
    return true;
}

/* An aggregate's count: canonical, >= 0 (RESP2 also allows the null array *-1). */
static bool fuzz_resp_count(const uint8_t *text, uint64_t size, bool null_allowed,
                            int64_t *count) {
    return fuzz_resp_number(text, size, count) && *count >= (null_allowed ? -1 : 0);
}

/*
 * Reads one value's header at *position (skipping a bulk's payload) in RESP2
 * (protocol 2: + - : $ *) or RESP3 (protocol 3: also _ , # ( ! = % ~ > |, and
 * no $-1 / *-1: nulls are _). Sets *children to the values the header opens.
 * False when malformed or incomplete.
 */
static bool fuzz_resp_header(const uint8_t *bytes, uint64_t size, uint64_t *position,
                             uint32_t protocol, int64_t *children) {
    uint64_t start = *position;
    *children = 0;
    int64_t line = start < size ? fuzz_resp_line(bytes, size, start + 1) : -1;
    if (line < 0) {
        return false;
    }
    const uint8_t *text = bytes + start + 1;
    uint64_t after = start + 1 + (uint64_t)line + 2;
    int64_t number = 0;
    bool resp3 = protocol == 3;
    bool ok = false;
    switch (bytes[start]) {
    case '+': ok = true; break;
    /* An error starts with its code: ERR, WRONGTYPE, OOM, NOPERM... */
    case '-': ok = line > 0 && text[0] >= 'A' && text[0] <= 'Z'; break;
    case ':': ok = fuzz_resp_number(text, (uint64_t)line, &number); break;
    case '$':
        ok = fuzz_resp_number(text, (uint64_t)line, &number) && number <= (int64_t)(512 * MIB) &&
             ((!resp3 && number == -1) || fuzz_resp_payload(bytes, size, &after, number));
        break;
    case '*':
        ok = fuzz_resp_count(text, (uint64_t)line, !resp3, &number);
        *children = number > 0 ? number : 0;
        break;
    case '_': ok = resp3 && line == 0; break;
    case ',': ok = resp3 && fuzz_resp_double(text, (uint64_t)line); break;
    case '#': ok = resp3 && line == 1 && (text[0] == 't' || text[0] == 'f'); break;
    case '(': ok = resp3 && fuzz_resp_number(text, (uint64_t)line, &number); break;
    case '!':
        ok = resp3 && fuzz_resp_number(text, (uint64_t)line, &number) &&
             fuzz_resp_payload(bytes, size, &after, number);
        break;
    case '=': /* a verbatim string: "txt:" or "mkd:" then the text */
        ok = resp3 && fuzz_resp_number(text, (uint64_t)line, &number) && number >= 4 &&
             fuzz_resp_payload(bytes, size, &after, number) &&
             bytes[after - 2 - (uint64_t)number + 3] == ':';
        break;
    case '%':
    case '|':
        ok = resp3 && fuzz_resp_count(text, (uint64_t)line, false, &number);
        /* An attribute (|) is followed by the value it describes. */
        *children = number * 2 + (bytes[start] == '|' ? 1 : 0);
        break;
    case '~':
    case '>':
        ok = resp3 && fuzz_resp_count(text, (uint64_t)line, false, &number);
        *children = number;
        break;
    default: ok = false; break;
    }
    *position = after;
    return ok;
}

/* Reads one complete value at *position; *type is its first byte. */
static bool fuzz_resp_value(const uint8_t *bytes, uint64_t size, uint64_t *position,
                            uint32_t protocol, uint8_t *type) {
    int64_t remaining[FUZZ_RESP_DEPTH_MAX];
    uint32_t depth = 0;
    remaining[0] = 1;
    *type = *position < size ? bytes[*position] : 0;
    /* Each round reads one header: bounded by the bytes (a header is >= 3 bytes). */
    for (uint64_t round = 0; round <= size; round++) {
        while (depth > 0 && remaining[depth] == 0) {
            depth--;
        }
        if (remaining[depth] == 0) {
            return true; /* depth 0: the value is complete */
        }
        int64_t children = 0;
        bool top = depth == 0;
        bool push = *position < size && bytes[*position] == '>';
        if ((push && !top) || !fuzz_resp_header(bytes, size, position, protocol, &children)) {
            return false; /* (a push is only ever a whole message) */
        }
        remaining[depth]--;
        if (children > 0) {
            if (depth + 1 >= FUZZ_RESP_DEPTH_MAX) {
                return false;
            }
            remaining[++depth] = children;
        }
    }
    return false;
}

/* What one command wrote: complete values, the pushes among them, and the reply's type. */
struct fuzz_values {
    uint32_t count;
    uint32_t push_count;
    uint8_t reply_type;     /* first byte of the first value that is not a push; 0: none */
};

/* Reads bytes[0..size) as whole values; false when malformed or a value is cut. */
static bool fuzz_resp_read(const uint8_t *bytes, uint64_t size, uint32_t protocol,
                           struct fuzz_values *values) {
    memset(values, 0, sizeof(*values));
    uint64_t position = 0;
    for (uint64_t round = 0; position < size; round++) {
        ASSERT(round <= size);
        uint8_t type = 0;
        if (!fuzz_resp_value(bytes, size, &position, protocol, &type)) {
            return false;
        }
        values->count++;
        if (type == '>') {
            values->push_count++;
        } else if (values->reply_type == 0) {
            values->reply_type = type;
        }
    }
    return true;
}

/* True when bytes[0..size) is exactly one value (not a push). */
static bool fuzz_resp_one(const uint8_t *bytes, uint64_t size, uint32_t protocol) {
    struct fuzz_values values;
    return fuzz_resp_read(bytes, size, protocol, &values) && values.count == 1 &&
           values.push_count == 0;
}

/* The reader's own check, run once at startup: a wrong reader would prove nothing. */
static void fuzz_resp_self_test(void) {
    static const char *const good2[] = {
        "+OK\r\n", "+\r\n", "-ERR x\r\n", ":0\r\n", ":-9223372036854775808\r\n", "$-1\r\n",
        "$0\r\n\r\n", "$3\r\na\r\n\r\n", "*-1\r\n", "*0\r\n", "*2\r\n$1\r\na\r\n*1\r\n:1\r\n",
        "*1\r\n*1\r\n*0\r\n",
    };
    static const char *const bad2[] = {
        "", "+OK\n", "+O\rK\r\n", "-err\r\n", "-\r\n", ":01\r\n", ":-0\r\n", ":+1\r\n",
        ":9223372036854775808\r\n", "$-2\r\n", "$1\r\nab\r\n", "$2\r\na\r\n", "*2\r\n:1\r\n",
        "*1\r\n:1\r\n:2\r\n", "+OK\r\n+OK\r\n", "_\r\n", "%0\r\n", ",1.5\r\n", "*-2\r\n",
        "$1\r\na\n\n", ">1\r\n:1\r\n",
    };
    static const char *const good3[] = {
        "_\r\n", ",1.5\r\n", ",-inf\r\n", ",1e+308\r\n", "#t\r\n", "(123\r\n", "!3\r\nERR\r\n",
        "=7\r\ntxt:abc\r\n", "%1\r\n+a\r\n:1\r\n", "~2\r\n:1\r\n:2\r\n", "*1\r\n%0\r\n",
        "|1\r\n+k\r\n+v\r\n:5\r\n",
    };
    static const char *const bad3[] = {
        "$-1\r\n", "*-1\r\n", "_x\r\n", ",1.5.\r\n", ",e5\r\n", "#x\r\n", "%1\r\n+a\r\n",
        "=3\r\ntxt\r\n", "*1\r\n>1\r\n:1\r\n", ">0\r\n",
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(good2); index++) {
        ASSERT(fuzz_resp_one((const uint8_t *)good2[index], strlen(good2[index]), 2));
    }
    for (uint32_t index = 0; index < ARRAY_COUNT(bad2); index++) {
        ASSERT(!fuzz_resp_one((const uint8_t *)bad2[index], strlen(bad2[index]), 2));
    }
    for (uint32_t index = 0; index < ARRAY_COUNT(good3); index++) {
        ASSERT(fuzz_resp_one((const uint8_t *)good3[index], strlen(good3[index]), 3));
    }
    for (uint32_t index = 0; index < ARRAY_COUNT(bad3); index++) {
        ASSERT(!fuzz_resp_one((const uint8_t *)bad3[index], strlen(bad3[index]), 3));
    }
    struct fuzz_values values;
    const char *pushes = ">3\r\n+message\r\n+c\r\n+m\r\n:1\r\n";
    ASSERT(fuzz_resp_read((const uint8_t *)pushes, strlen(pushes), 3, &values));
    ASSERT(values.count == 2 && values.push_count == 1 && values.reply_type == ':');
}

/* ==== The dataset digest ==== */

/* One key as the digest saw it: printed when a digest changes where it must not. */
struct fuzz_key {
    uint32_t db_index;
    uint32_t key_size;
    uint8_t key[40];
    uint8_t type;
    const char *encoding;
    int64_t expire_at_ms;
    uint64_t value;       /* the value's hash */
};

struct fuzz_digest {
    uint64_t keys;
    uint64_t content;     /* keys, types, expiries, values */
    uint64_t encodings;   /* OBJECT ENCODING of each key */
    struct fuzz_key *records;
};

/* Two record buffers: a command's "before" and "after" digests never share one. */
static struct fuzz_key fuzz_records[2][FUZZ_DIGEST_KEYS_MAX];
static uint32_t fuzz_records_flip;

static uint64_t fuzz_mix(uint64_t state, uint64_t value) {
    return XXH3_64bits_withSeed(&value, sizeof(value), state);
}

static uint64_t fuzz_hash_bytes(uint64_t state, struct slice bytes) {
    return fuzz_mix(XXH3_64bits_withSeed(bytes.ptr, bytes.size, state), bytes.size);
}

static uint64_t fuzz_score_bits(double score) {
    double canonical = score == 0 ? 0.0 : score; /* -0 and 0 compare equal */
    uint64_t bits = 0;
    memcpy(&bits, &canonical, sizeof(bits));
    return bits;
}

/* A collection's value hash; false when it would pass the element budget. */
static bool fuzz_hash_collection(const struct item *item, uint64_t *budget, uint64_t *value) {
    const void *object = item_object(item);
    uint64_t state = item->type;
    struct slice member;
    struct slice field;
    double score = 0;
    uint64_t length = 0;
    switch (item->type) {
    case ITEM_LIST: {
        length = list_length(object);
        if (length > *budget) {
            return false;
        }
        struct list_iterator iterator;
        if (length > 0) {
            list_iterator_init(&iterator, object, 0, false);
            for (uint64_t index = 0; index < length && list_iterator_next(&iterator, &member);
                 index++) {
                state = fuzz_hash_bytes(state, member); /* ordered */
            }
        }
        break;
    }
    case ITEM_SET: {
        length = set_length(object);
        if (length > *budget) {
            return false;
        }
        struct set_iterator iterator;
        set_iterator_init(&iterator, object);
        for (uint64_t index = 0; index < length && set_iterator_next(&iterator, &member);
             index++) {
            state += fuzz_hash_bytes(FUZZ_SEED, member); /* any order */
        }
        break;
    }
    case ITEM_HASH: {
        length = hash_length(object);
        if (length > *budget) {
            return false;
        }
        struct hash_iterator iterator;
        hash_iterator_init(&iterator, object);
        for (uint64_t index = 0; index < length && hash_iterator_next(&iterator, &field, &member);
             index++) {
            state += fuzz_hash_bytes(fuzz_hash_bytes(FUZZ_SEED, field), member);
        }
        break;
    }
    case ITEM_ZSET: {
        length = zset_length(object);
        if (length > *budget) {
            return false;
        }
        struct zset_iterator iterator;
        if (length > 0) {
            zset_iterator_init(&iterator, object, 0, false);
            for (uint64_t index = 0;
                 index < length && zset_iterator_next(&iterator, &member, &score); index++) {
                state = fuzz_mix(fuzz_hash_bytes(state, member), fuzz_score_bits(score));
            }
        }
        break;
    }
    default:
        fuzz_fail("item of unknown type %u", (unsigned)item->type);
    }
    *budget -= length;
    *value = fuzz_mix(state, length);
    return true;
}

static bool fuzz_digest_item(struct fuzz_digest *digest, uint32_t db_index,
                             const struct item *item, uint64_t *budget) {
    uint64_t value = 0;
    if (item->type == ITEM_STRING) {
        char digits[32];
        value = fuzz_hash_bytes(ITEM_STRING, item_string(item, digits));
    } else if (!fuzz_hash_collection(item, budget, &value)) {
        return false;
    }
    struct slice key = item_key(item);
    uint64_t state = fuzz_hash_bytes(db_index + 1u, key);
    state = fuzz_mix(state, item->type);
    state = fuzz_mix(state, (uint64_t)item_expire_at_ms(item));
    digest->content += fuzz_mix(state, value);
    const char *encoding = item_encoding_name(item);
    digest->encodings += fuzz_hash_bytes(state, slice_from_cstr(encoding));
    ASSERT(digest->keys < FUZZ_DIGEST_KEYS_MAX);
    struct fuzz_key *record = &digest->records[digest->keys++];
    record->db_index = db_index;
    record->key_size = key.size;
    memcpy(record->key, key.ptr, MIN(key.size, (uint32_t)sizeof(record->key)));
    record->type = (uint8_t)item->type;
    record->encoding = encoding;
    record->expire_at_ms = item_expire_at_ms(item);
    record->value = value;
    return true;
}

static bool fuzz_key_equal(const struct fuzz_key *a, const struct fuzz_key *b) {
    return a->db_index == b->db_index && a->key_size == b->key_size &&
           memcmp(a->key, b->key, MIN(a->key_size, (uint32_t)sizeof(a->key))) == 0 &&
           a->type == b->type && a->encoding == b->encoding &&
           a->expire_at_ms == b->expire_at_ms && a->value == b->value;
}

/* Prints the keys of `from` that `to` does not have as they were. */
static void fuzz_digest_print_missing(char sign, const struct fuzz_digest *from,
                                      const struct fuzz_digest *to) {
    for (uint64_t index = 0; index < from->keys; index++) {
        const struct fuzz_key *record = &from->records[index];
        bool found = false;
        for (uint64_t other = 0; other < to->keys && !found; other++) {
            found = fuzz_key_equal(record, &to->records[other]);
        }
        if (!found) {
            int shown = (int)MIN(record->key_size, (uint32_t)sizeof(record->key));
            fprintf(stderr, "  %c db %u key '%.*s' type %u encoding %s expire %lld value %016llx\n",
                    sign, record->db_index, shown, (const char *)record->key, record->type,
                    record->encoding,
                    (long long)record->expire_at_ms, (unsigned long long)record->value);
        }
    }
}

/* The live dataset's digest; false when it is too large to walk per command. */
static bool fuzz_digest_compute(struct fuzz_digest *digest) {
    struct keyspace *keyspace = &server.keyspace;
    uint64_t total = 0;
    for (uint32_t db_index = 0; db_index < keyspace->db_count; db_index++) {
        total += keyspace->dbs[db_index].index.count;
    }
    if (total > FUZZ_DIGEST_KEYS_MAX) {
        return false;
    }
    memset(digest, 0, sizeof(*digest));
    fuzz_records_flip ^= 1u;
    digest->records = fuzz_records[fuzz_records_flip];
    uint64_t budget = FUZZ_DIGEST_ELEMENTS_MAX;
    for (uint32_t db_index = 0; db_index < keyspace->db_count; db_index++) {
        struct db *db = &keyspace->dbs[db_index];
        struct index_cursor cursor = { 0 };
        struct item *items[256];
        bool done = db->index.count == 0;
        for (uint64_t round = 0; !done; round++) {
            if (round > (1u << 20)) {
                fuzz_fail("index walk of db %u does not end", db_index);
            }
            uint32_t count = index_walk(&db->index, &cursor, 256, items, 256, &done);
            for (uint32_t index = 0; index < count; index++) {
                if (db_expired(keyspace, items[index])) {
                    continue; /* logically gone already: lazy expiry may delete it any time */
                }
                if (!fuzz_digest_item(digest, db_index, items[index], &budget)) {
                    return false;
                }
            }
        }
    }
    return true;
}

/* ==== State of one run ==== */

/* How the simulated client reads its replies (byte 2, bits 1-2). */
enum fuzz_drain {
    FUZZ_DRAIN_COMMAND = 0,  /* at once: output is empty before every command */
    FUZZ_DRAIN_TURN,         /* once per loop turn (after each receive): replies pile up */
    FUZZ_DRAIN_NEVER,        /* never: output limits and backpressure bite */
};

struct fuzz_parsed {
    uint64_t hashes[FUZZ_COMMANDS_MAX];  /* argv hash of each complete command */
    uint32_t count;
    bool error;                          /* a protocol error ended the stream */
    bool authenticated;                  /* parsed with the limits of this state */
    bool overflow;                       /* too many commands to record: not compared */
};

struct fuzz_run {
    struct client *client;
    uint64_t client_id;
    uint32_t dispatched;
    uint32_t replies;
    bool compare_parse;          /* the whole-buffer parse is comparable (see fuzz_parse_ok) */
    bool protocol_error;
    bool digest_valid;           /* `digest` is the dataset's right now */
    bool digest_available;
    struct fuzz_digest digest;
    uint32_t fault_countdown;    /* 0: off */
    bool fault_persistent;       /* after the first failure, fail the rest of that command */
    bool fault_armed;
    bool fault_failing;
    uint32_t dispatch_depth;     /* > 0 inside a command (EXEC dispatches the queued ones) */
    enum fuzz_drain drain_mode;
    uint64_t accounted;          /* pending output bytes already checked */
    bool trace;
};

struct fuzz_totals {
    uint64_t inputs;
    uint64_t commands;
    uint64_t error_replies;
    uint64_t errors_checked;
    uint64_t digests_skipped;
    uint64_t evictions_skipped;
    uint64_t faults_injected;
};

struct fuzz_saved {
    struct config config;
    struct acl acl;
    struct acl_user default_user;
    uint32_t default_order;
    uint64_t heap_used_size;
    uint64_t heap_object_count;
    uint64_t input_heap_used_size;
    uint64_t input_heap_object_count;
};

static struct fuzz_run fuzz;
static struct fuzz_totals fuzz_totals;
static struct fuzz_saved fuzz_saved;
static struct fuzz_parsed fuzz_parsed;
static uint8_t fuzz_reply[FUZZ_REPLY_SIZE_MAX];

/* ==== The whole-buffer parse (the reference for what dispatch must receive) ==== */

static uint64_t fuzz_argv_hash(const struct slice *items, uint32_t count) {
    uint64_t state = fuzz_mix(FUZZ_SEED, count);
    for (uint32_t index = 0; index < count; index++) {
        state = fuzz_hash_bytes(state, items[index]);
    }
    return state;
}

/* Handles one parser status; false when the parse is over. */
static bool fuzz_parse_status(enum resp_status status, struct resp_parser *parser,
                              struct resp_argv *argv, const uint8_t *buffer, uint32_t end) {
    switch (status) {
    case RESP_AGAIN:
        return false;
    case RESP_ERROR:
        fuzz_parsed.error = true;
        return false;
    case RESP_ARGV_FULL:
        if (parser->argv_needed > FUZZ_ARGV_MAX) {
            fuzz_parsed.overflow = true;
            return false;
        }
        argv->capacity = MAX(parser->argv_needed, MIN(argv->capacity * 2, FUZZ_ARGV_MAX));
        return true;
    case RESP_BIG_ARG:
        /* The buffer holds every byte and never moves: the payload is used in place. */
        if ((uint64_t)(end - parser->cursor) < (uint64_t)parser->bulk_size) {
            return false;
        }
        argv->items[argv->count++] =
            (struct slice){ .ptr = buffer + parser->cursor, .size = (uint32_t)parser->bulk_size };
        parser->cursor += (uint32_t)parser->bulk_size;
        resp_parser_big_arg_done(parser);
        return true;
    case RESP_COMMAND:
    case RESP_EMPTY:
        return true;
    }
    return false;
}

/*
 * Parses the client's bytes in one buffer, as the connection would if they all
 * arrived at once, and records each complete command's argument hash.
 */
static void fuzz_parse_whole(const uint8_t *data, uint32_t size, bool authenticated) {
    static uint8_t buffer[FUZZ_PARSE_BUFFER_SIZE];
    static struct slice items[FUZZ_ARGV_MAX];
    memset(&fuzz_parsed.count, 0, sizeof(fuzz_parsed) - offsetof(struct fuzz_parsed, count));
    fuzz_parsed.authenticated = authenticated;
    if (size > FUZZ_PARSE_BUFFER_SIZE) {
        fuzz_parsed.overflow = true;
        return;
    }
    memcpy(buffer, data, size);
    struct resp_parser parser;
    resp_parser_reset(&parser);
    struct resp_argv argv = { .items = items, .count = 0, .capacity = CLIENT_ARGV_INLINE_COUNT };
    struct resp_limits limits = {
        .bulk_size_max = fuzz_saved.config.proto_max_bulk_len,
        .big_arg_size = (uint32_t)(fuzz_saved.config.client_input_buffer_size / 2),
        .authenticated = authenticated,
    };
    for (uint32_t round = 0; round < 2 * size + 16; round++) {
        enum resp_status status = resp_parse(&parser, buffer, size, &argv, &limits);
        if (!fuzz_parse_status(status, &parser, &argv, buffer, size)) {
            return;
        }
        if (status == RESP_COMMAND) {
            if (fuzz_parsed.count == FUZZ_COMMANDS_MAX) {
                fuzz_parsed.overflow = true;
                return;
            }
            fuzz_parsed.hashes[fuzz_parsed.count++] = fuzz_argv_hash(argv.items, argv.count);
        }
        if (status == RESP_COMMAND || status == RESP_EMPTY) {
            resp_parser_next_command(&parser, &argv);
            argv.capacity = CLIENT_ARGV_INLINE_COUNT;
        }
    }
    fuzz_fail("the whole-buffer parse does not end");
}

/*
 * The parse is a fair reference only while the connection parses with the
 * same limits: authenticated (the pre-auth limits differ) and the startup
 * proto-max-bulk-len.
 */
static bool fuzz_parse_comparable(const struct client *client) {
    return !fuzz_parsed.overflow && client->authenticated == fuzz_parsed.authenticated &&
           server.config.proto_max_bulk_len == fuzz_saved.config.proto_max_bulk_len;
}

/* ==== Fault injection (heap_alloc is wrapped at link time) ==== */

void *__real_heap_alloc(struct heap *heap, uint64_t size);
void *__wrap_heap_alloc(struct heap *heap, uint64_t size);
void *__real_heap_alloc_movable(struct heap *heap, uint64_t size);
void *__wrap_heap_alloc_movable(struct heap *heap, uint64_t size);

/* True when this data-heap allocation is the one to fail. */
static bool fuzz_fault_now(const struct heap *heap) {
    if (!fuzz.fault_armed || heap != &server.heap) {
        return false;
    }
    if (fuzz.fault_failing) {
        fuzz_totals.faults_injected++;
        return true; /* the heap stays "full" until this command ends */
    }
    ASSERT(fuzz.fault_countdown > 0);
    if (--fuzz.fault_countdown > 0) {
        return false;
    }
    fuzz.fault_armed = fuzz.fault_persistent;
    fuzz.fault_failing = fuzz.fault_persistent;
    fuzz_totals.faults_injected++;
    return true;
}

void *__wrap_heap_alloc(struct heap *heap, uint64_t size) {
    return fuzz_fault_now(heap) ? NULL : __real_heap_alloc(heap, size);
}

void *__wrap_heap_alloc_movable(struct heap *heap, uint64_t size) {
    return fuzz_fault_now(heap) ? NULL : __real_heap_alloc_movable(heap, size);
}

/* FLUSHALL and FLUSHDB assert that the emptied index can be re-created (true of a real heap). */
static bool fuzz_fault_allowed(const struct client *client) {
    struct slice name = client_arg(client, 0);
    return !slice_equal_nocase(name, "flushall") && !slice_equal_nocase(name, "flushdb");
}

/* ==== Replies ==== */

/*
 * Copies the output written since the last check (the pending bytes past
 * fuzz.accounted) into fuzz_reply; returns its size. Checks the chain's size.
 */
static uint64_t fuzz_output_copy(const struct client *client) {
    const struct output_pool *pool = &server.output_pool;
    if (client->output.pending_size < fuzz.accounted) {
        fuzz.accounted = 0; /* released (over the limit): nothing of it is left */
    }
    uint64_t skip = fuzz.accounted;
    uint64_t total = 0;
    uint64_t size = 0;
    uint32_t index = client->output.head_index;
    for (uint32_t visited = 0; index != OUTPUT_NONE; visited++) {
        if (visited > pool->chunk_count) {
            fuzz_fail("output chain longer than the pool");
        }
        const struct output_chunk *chunk = &pool->chunks[index];
        ASSERT(chunk->start <= chunk->end);
        uint32_t part = chunk->end - chunk->start;
        total += part;
        uint32_t skipped = (uint32_t)MIN((uint64_t)part, skip);
        skip -= skipped;
        if (size + part - skipped > sizeof(fuzz_reply)) {
            fuzz_fail("pending output larger than %zu bytes", sizeof(fuzz_reply));
        }
        memcpy(fuzz_reply + size, chunk->data + chunk->start + skipped, part - skipped);
        size += part - skipped;
        index = chunk->next_index;
    }
    if (total != client->output.pending_size) {
        fuzz_fail("output chain holds %llu bytes, pending_size says %llu",
                  (unsigned long long)total, (unsigned long long)client->output.pending_size);
    }
    return size;
}

/* The checked bytes: sent at once (a reader as fast as the server), or left pending. */
static void fuzz_output_settle(struct client *client) {
    if (fuzz.drain_mode == FUZZ_DRAIN_COMMAND) {
        output_consume(&server.output_pool, &client->output, client->output.pending_size);
    }
    fuzz.accounted = client->output.pending_size;
}

/* The end of a loop turn: the send completion of a reader that reads every turn. */
static void fuzz_output_turn_end(struct client *client) {
    if (fuzz.drain_mode == FUZZ_DRAIN_TURN && !client->output.overflowed) {
        ASSERT(fuzz.accounted == client->output.pending_size);
        output_consume(&server.output_pool, &client->output, client->output.pending_size);
        fuzz.accounted = 0;
    }
}

static void fuzz_trace_command(const struct client *client) {
    fprintf(stderr, "> ");
    for (uint32_t index = 0; index < client->argv.count; index++) {
        struct slice argument = client->argv.items[index];
        if (argument.ptr == NULL) {
            fprintf(stderr, "<%u discarded bytes> ", argument.size);
            continue;
        }
        fprintf(stderr, "'%.*s' ", (int)MIN(argument.size, 64u), (const char *)argument.ptr);
    }
    fputc('\n', stderr);
}

/* ==== The dispatch wrapper: runs around every command the connection parsed ==== */

void __real_commands_dispatch(struct client *client);
void __wrap_commands_dispatch(struct client *client);

/* Oracle (a), first half: the dispatched command is the next one of the whole-buffer parse. */
static void fuzz_check_parsed(struct client *client) {
    if (!fuzz.compare_parse || !fuzz_parse_comparable(client)) {
        fuzz.compare_parse = false;
        return;
    }
    if (client->command_discarding) {
        return; /* a refused big argument: its bytes were dropped, answered -OOM */
    }
    if (fuzz.dispatched >= fuzz_parsed.count) {
        fuzz_fail("command %u dispatched; a whole-buffer parse finds only %u", fuzz.dispatched,
                  fuzz_parsed.count);
    }
    uint64_t hash = fuzz_argv_hash(client->argv.items, client->argv.count);
    if (hash != fuzz_parsed.hashes[fuzz.dispatched]) {
        fuzz_trace_command(client);
        fuzz_fail("command %u differs from the whole-buffer parse's", fuzz.dispatched);
    }
}

/*
 * The exception to the encoding check: SORT and SORT_RO convert a listpack
 * sorted set to a skiplist before anything else ("Destructively convert encoded
 * sorted sets for SORT", Redis's sort.c), so on Redis 7.0.15 too `ZADD a 1 x`
 * then `SORT a` answers an error and OBJECT ENCODING a says "skiplist".
 */
static bool fuzz_sort_command(void) {
    struct slice name = client_arg(fuzz.client, 0);
    return slice_equal_nocase(name, "sort") || slice_equal_nocase(name, "sort_ro");
}

/*
 * Known open keel bugs this target finds, waived so that CI stays usable until
 * they are fixed: a waived hit is counted (and printed at exit), not fatal.
 * FUZZ_COMMAND_STRICT=1 turns every waiver off; tests/fuzz/findings/ holds a
 * reproducer for each (replay them with FUZZ_COMMAND_STRICT=1). When a bug is
 * fixed, remove its entry and move the reproducer into the corpus.
 */
enum fuzz_oracle {
    FUZZ_ORACLE_NONE = 0,               /* the table's terminator */
    FUZZ_ORACLE_ERROR_CHANGED_DATA,     /* (b) */
    FUZZ_ORACLE_RAN_AFTER_OVERFLOW,     /* (a): a command ran for a client being closed */
};

struct fuzz_waiver {
    enum fuzz_oracle oracle;
    const char *command;      /* lower case; NULL: any */
    const char *reply_prefix; /* (b): the error reply it gives */
    const char *finding;      /* tests/fuzz/findings/<name> */
};

/*
 * None is open. Fixed so far (their reproducers are in the corpus now):
 * corpus/command/finding_mset_partial_oom (MSET answered -OOM with earlier
 * pairs stored) and corpus/command/finding_commands_after_output_overflow
 * (pipelined commands ran after the client went over its output limit).
 * An entry looks like { FUZZ_ORACLE_ERROR_CHANGED_DATA, "mset", "-OOM ", "name" }.
 */
static const struct fuzz_waiver fuzz_waivers[] = {
    { FUZZ_ORACLE_NONE, NULL, NULL, NULL },
};

static bool fuzz_strict;
static uint64_t fuzz_waived[ARRAY_COUNT(fuzz_waivers)];

/* True (and counted) when a failure of `oracle` now is a known, waived bug. */
static bool fuzz_waived_failure(enum fuzz_oracle oracle, uint64_t reply_size) {
    if (fuzz_strict) {
        return false;
    }
    struct slice name = client_arg(fuzz.client, 0);
    for (uint32_t index = 0; index < ARRAY_COUNT(fuzz_waivers); index++) {
        const struct fuzz_waiver *waiver = &fuzz_waivers[index];
        uint64_t prefix_size = waiver->reply_prefix == NULL ? 0 : strlen(waiver->reply_prefix);
        if (waiver->oracle != FUZZ_ORACLE_NONE && waiver->oracle == oracle &&
            (waiver->command == NULL || slice_equal_nocase(name, waiver->command)) &&
            reply_size >= prefix_size &&
            (prefix_size == 0 || memcmp(fuzz_reply, waiver->reply_prefix, prefix_size) == 0)) {
            fuzz_waived[index]++;
            return true;
        }
    }
    return false;
}

/* Oracle (b): an error reply left the dataset as it was. */
static void fuzz_check_error(const struct fuzz_digest *before, bool before_available,
                             uint64_t evicted_before, uint64_t reply_size) {
    fuzz_totals.error_replies++;
    if (!before_available) {
        fuzz_totals.digests_skipped++;
        return;
    }
    if (server.keyspace.evicted_keys != evicted_before) {
        fuzz_totals.evictions_skipped++; /* evicted before the command ran, as Redis */
        return;
    }
    struct fuzz_digest after;
    if (!fuzz_digest_compute(&after)) {
        fuzz_fail("the dataset grew past the digest limits during an error reply");
    }
    fuzz_totals.errors_checked++;
    bool content_changed = after.keys != before->keys || after.content != before->content;
    bool encoding_changed = after.encodings != before->encodings && !fuzz_sort_command();
    if ((content_changed || encoding_changed) &&
        !fuzz_waived_failure(FUZZ_ORACLE_ERROR_CHANGED_DATA, reply_size)) {
        fuzz_print_bytes("reply", fuzz_reply, reply_size);
        fprintf(stderr, "keys that changed (- before, + after):\n");
        fuzz_digest_print_missing('-', before, &after);
        fuzz_digest_print_missing('+', &after, before);
        fuzz_fail("an error reply changed %s (keys %llu -> %llu)",
                  content_changed ? "the dataset" : "a key's OBJECT ENCODING",
                  (unsigned long long)before->keys, (unsigned long long)after.keys);
    }
    fuzz.digest = after;
    fuzz.digest_valid = true;
    fuzz.digest_available = true;
}

/* The subscribe family answers one message per channel (arrays, or RESP3 pushes). */
static bool fuzz_subscribe_command(const struct client *client) {
    struct slice name = client_arg(client, 0);
    static const char *const names[] = {
        "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe",
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(names); index++) {
        if (slice_equal_nocase(name, names[index])) {
            return true;
        }
    }
    return false;
}

/* BLPOP & co. waiting: no reply until served (never: one client) or timed out. */
static bool fuzz_client_blocked(const struct client *client) {
    return blocking_client_blocked(&blocking_global, client->slot_index);
}

/* What a command ran with, read before and after it. */
struct fuzz_command_context {
    bool muted;          /* CLIENT REPLY OFF / SKIP: its reply may be suppressed */
    bool monitor;        /* MONITOR: the client also gets a line per command */
    bool subscribe;      /* one message per channel */
};

/*
 * Oracle (a), second half: what the command wrote is whole, well-formed values
 * in the client's protocol, and as many as Redis writes: one reply plus any
 * RESP3 pushes; none when the command closed the connection (SHUTDOWN, POST /
 * Host:), was held by CLIENT PAUSE, or its reply was muted (CLIENT REPLY); one
 * per channel for the subscribe family; MONITOR lines on a monitor.
 */
static void fuzz_check_reply(struct client *client, const struct fuzz_command_context *context,
                             const struct fuzz_digest *before, bool before_available,
                             uint64_t evicted_before) {
    uint64_t size = fuzz_output_copy(client);
    if (fuzz.trace) {
        fuzz_print_bytes("<", fuzz_reply, size);
    }
    if (client->output.overflowed) {
        return; /* over the output limit: dropped, and the step closes the client */
    }
    struct fuzz_values values;
    if (!fuzz_resp_read(fuzz_reply, size, client->reply.protocol, &values)) {
        fuzz_print_bytes("output", fuzz_reply, size);
        fuzz_fail("command %u wrote malformed RESP%u", fuzz.dispatched, client->reply.protocol);
    }
    fuzz_output_settle(client);
    uint32_t replies = values.count - values.push_count;
    bool silent = client->state == CLIENT_CLOSING || client->postponed || context->muted ||
                  fuzz_client_blocked(client);
    bool several = context->monitor || (context->subscribe && values.count >= 1);
    if (!several && replies != 1 && !(silent && replies == 0)) {
        fuzz_print_bytes("output", fuzz_reply, size);
        fuzz_fail("command %u wrote %u replies (and %u pushes)", fuzz.dispatched, replies,
                  values.push_count);
    }
    fuzz.replies += replies;
    if (replies == 1 && !several && (values.reply_type == '-' || values.reply_type == '!')) {
        fuzz_check_error(before, before_available, evicted_before, size);
    }
}

void __wrap_commands_dispatch(struct client *client) {
    if (fuzz.dispatch_depth > 0) {
        __real_commands_dispatch(client); /* EXEC running the queued commands */
        return;
    }
    if (client != fuzz.client || client->id != fuzz.client_id) {
        fuzz_fail("a command ran for another client");
    }
    if (client->state != CLIENT_OPEN) {
        fuzz_fail("a command ran after the connection stopped reading");
    }
    /* Over the output limit, the client is closed without another word: Redis
     * (CLIENT_CLOSE_ASAP) runs none of the commands still in its query buffer. */
    if (client->output.overflowed && !fuzz_waived_failure(FUZZ_ORACLE_RAN_AFTER_OVERFLOW, 0)) {
        fuzz_fail("a command ran after the client went over its output limit");
    }
    if (!client->output.overflowed && client->output.pending_size != fuzz.accounted) {
        fuzz_fail("output nobody accounted for before command %u", fuzz.dispatched);
    }
    if (fuzz.trace) {
        fuzz_trace_command(client);
    }
    fuzz_check_parsed(client);
    if (!fuzz.digest_valid) {
        fuzz.digest_available = fuzz_digest_compute(&fuzz.digest);
        fuzz.digest_valid = true;
    }
    struct fuzz_digest before = fuzz.digest;
    bool before_available = fuzz.digest_available;
    uint64_t evicted_before = server.keyspace.evicted_keys;
    struct fuzz_command_context context = {
        .muted = client->reply_flags != 0, .monitor = client->monitor,
        .subscribe = fuzz_subscribe_command(client),
    };
    fuzz.digest_valid = false; /* a successful command may change anything */
    fuzz.fault_armed = fuzz.fault_countdown > 0 && fuzz_fault_allowed(client);
    fuzz.dispatch_depth++;
    __real_commands_dispatch(client);
    fuzz.dispatch_depth--;
    fuzz.fault_armed = false;
    if (fuzz.fault_failing) {
        fuzz.fault_failing = false;
        fuzz.fault_countdown = 0; /* one failing command per input */
    }
    context.muted = context.muted || client->reply_flags != 0;
    context.monitor = context.monitor || client->monitor;
    if (!client->postponed) {
        fuzz.dispatched++; /* (a held command is dispatched again when it runs) */
    }
    fuzz_totals.commands++;
    fuzz_check_reply(client, &context, &before, before_available, evicted_before);
}

/* ==== One input ==== */

/* Output written outside dispatch: only a protocol error's reply, once, at the end. */
static void fuzz_check_tail(struct client *client) {
    uint64_t size = fuzz_output_copy(client);
    if (size == 0) {
        return;
    }
    static const char prefix[] = "-ERR Protocol error: ";
    if (fuzz.protocol_error || !fuzz_resp_one(fuzz_reply, size, client->reply.protocol) ||
        size < sizeof(prefix) - 1 || memcmp(fuzz_reply, prefix, sizeof(prefix) - 1) != 0) {
        fuzz_print_bytes("output", fuzz_reply, size);
        fuzz_fail("output written outside a command that is not one protocol error");
    }
    if (client->state != CLIENT_DRAINING) {
        fuzz_fail("a protocol error did not stop the connection reading");
    }
    if (fuzz.trace) {
        fuzz_print_bytes("<", fuzz_reply, size);
    }
    fuzz.protocol_error = true;
    fuzz.replies++;
    fuzz_output_settle(client);
}

/*
 * A blocked client's timeout, brought forward: blocking_expire is called with a
 * time past every finite deadline (the clock itself stays frozen). The blocked
 * command's reply comes now, outside dispatch: exactly one value (the null
 * reply). False when the client stays blocked (timeout 0).
 */
static bool fuzz_expire_blocked(struct client *client) {
    ASSERT(fuzz_client_blocked(client));
    /* CLIENT REPLY OFF / SKIP in force when it blocked: the timeout's reply is dropped. */
    bool muted = client->reply_flags != 0;
    blocking_expire(FUZZ_NOW_MS + 100ll * 365 * 24 * 3600 * 1000);
    if (fuzz_client_blocked(client)) {
        return false;
    }
    uint64_t size = fuzz_output_copy(client);
    if (fuzz.trace) {
        fuzz_print_bytes("< (timed out)", fuzz_reply, size);
    }
    if (muted && size != 0) {
        fuzz_print_bytes("output", fuzz_reply, size);
        fuzz_fail("a blocked command timed out under CLIENT REPLY OFF/SKIP wrote a reply");
    }
    if (!client->output.overflowed && !muted) {
        if (!fuzz_resp_one(fuzz_reply, size, client->reply.protocol)) {
            fuzz_print_bytes("output", fuzz_reply, size);
            fuzz_fail("a blocked command timed out without exactly one reply");
        }
        fuzz_output_settle(client);
        fuzz.replies++;
    }
    return true;
}

/* Fragment sizes: all the room (seed 0), or a generator seeded by the first byte. */
static uint32_t fuzz_fragment_size(uint8_t control, uint64_t *state) {
    if (control == 0) {
        return UINT32_MAX;
    }
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    uint32_t largest = (uint32_t)((control & 0x3f) + 1) << (2 * (control >> 6));
    return 1 + (uint32_t)(x % largest);
}

/*
 * Delivers the bytes fragment by fragment. A client that stops taking input is
 * held by CLIENT PAUSE (never ended: the clock is frozen) or blocked (its
 * timeout is brought forward, then its buffered input runs on); anything else
 * is a failure.
 */
static void fuzz_feed_all(struct client *client, const uint8_t *bytes, uint32_t size,
                          uint8_t control) {
    uint64_t state = FUZZ_SEED ^ control;
    uint32_t offset = 0;
    for (uint32_t round = 0; client->state == CLIENT_OPEN; round++) {
        if (round >= FUZZ_FEEDS_MAX) {
            fuzz_fail("feeding does not end");
        }
        if (client->postponed || (client->paused && fuzz.drain_mode == FUZZ_DRAIN_NEVER)) {
            return;
        }
        if (fuzz_client_blocked(client) && !fuzz_expire_blocked(client)) {
            return; /* blocked without a timeout: no other client can serve it */
        }
        uint32_t fragment = fuzz_fragment_size(control, &state); /* (MIN evaluates twice) */
        uint32_t want = MIN(fragment, size - offset);
        bool pending = client->has_input;
        uint32_t taken = conn_fuzz_feed(client, bytes + offset, want);
        fuzz_check_tail(client);
        fuzz_output_turn_end(client);
        offset += taken;
        /* (a client paused by backpressure that never reads waits for ever) */
        bool waiting = client->postponed || fuzz_client_blocked(client) ||
                       (client->paused && fuzz.drain_mode == FUZZ_DRAIN_NEVER);
        if (taken == 0 && want > 0 && !pending && !waiting && client->state == CLIENT_OPEN) {
            fuzz_fail("the connection takes no more input at offset %u of %u", offset, size);
        }
        if (offset == size && !client->has_input && !waiting) {
            return;
        }
    }
}

/* Oracle (a), the count: every complete command ran (or the connection was closed). */
static void fuzz_check_counts(const struct client *client) {
    if (!fuzz.compare_parse || !fuzz_parse_comparable(client) || client->postponed ||
        client->paused || fuzz_client_blocked(client)) {
        return;
    }
    if (client->state == CLIENT_OPEN && fuzz.dispatched != fuzz_parsed.count) {
        fuzz_fail("%u commands ran; a whole-buffer parse finds %u", fuzz.dispatched,
                  fuzz_parsed.count);
    }
    if (fuzz.protocol_error && (!fuzz_parsed.error || fuzz.dispatched != fuzz_parsed.count)) {
        fuzz_fail("a protocol error after %u commands; the whole-buffer parse: %u, %s",
                  fuzz.dispatched, fuzz_parsed.count, fuzz_parsed.error ? "error" : "no error");
    }
    if (client->state == CLIENT_OPEN && fuzz_parsed.error) {
        fuzz_fail("the whole-buffer parse finds a protocol error the connection did not");
    }
}

/* Structure checks of every key (O(dataset), once per input). */
static void fuzz_verify_dataset(void) {
    struct keyspace *keyspace = &server.keyspace;
    for (uint32_t db_index = 0; db_index < keyspace->db_count; db_index++) {
        struct db *db = &keyspace->dbs[db_index];
        index_verify(&db->index);
        struct index_cursor cursor = { 0 };
        struct item *items[256];
        bool done = db->index.count == 0;
        for (uint64_t round = 0; !done && round < (1u << 20); round++) {
            uint32_t count = index_walk(&db->index, &cursor, 256, items, 256, &done);
            for (uint32_t index = 0; index < count; index++) {
                const struct item *item = items[index];
                switch (item->type) {
                case ITEM_LIST: list_verify(&server.heap, item_object(item)); break;
                case ITEM_SET: set_verify(&server.heap, item_object(item)); break;
                case ITEM_HASH: hash_verify(&server.heap, item_object(item)); break;
                case ITEM_ZSET: zset_verify(&server.heap, item_object(item)); break;
                default: break;
                }
            }
        }
    }
    heap_verify(&server.heap);
    heap_verify(&server.input_heap);
}

/* Back to the state after startup: empty keyspace, startup config and users. */
static void fuzz_reset(void) {
    for (uint32_t db_index = 0; db_index < server.keyspace.db_count; db_index++) {
        db_flush(&server.keyspace, &server.keyspace.dbs[db_index]);
    }
    /* The session's password (set above or by CONFIG SET) is a heap object: free it. */
    config_requirepass_release(&server.config, &fuzz_saved.config, &server.heap);
    server.config = fuzz_saved.config;
    memcpy(&server.acl, &fuzz_saved.acl, sizeof(server.acl));
    server.acl.users[ACL_USER_DEFAULT] = fuzz_saved.default_user;
    server.acl.order[0] = fuzz_saved.default_order;
    server_config_changed();
    server.keyspace.random_state = FUZZ_SEED | 1u;
    server.keyspace.evicted_keys = 0;
    server.shutdown_requested = false;
    server.pause_type = CLIENTCMD_PAUSE_NONE; /* CLIENT PAUSE is server-wide */
    server.pause_end_ms = 0;
    set_seed(FUZZ_SEED);
}

static void fuzz_check_leaks(void) {
    heap_verify(&server.heap);
    heap_verify(&server.input_heap);
    if (server.heap.used_size != fuzz_saved.heap_used_size ||
        server.heap.object_count != fuzz_saved.heap_object_count) {
        fuzz_fail("data heap leak: %llu bytes in %llu objects after reset, %llu in %llu at start",
                  (unsigned long long)server.heap.used_size,
                  (unsigned long long)server.heap.object_count,
                  (unsigned long long)fuzz_saved.heap_used_size,
                  (unsigned long long)fuzz_saved.heap_object_count);
    }
    if (server.input_heap.used_size != fuzz_saved.input_heap_used_size ||
        server.input_heap.object_count != fuzz_saved.input_heap_object_count) {
        fuzz_fail("input heap leak: %llu bytes in %llu objects",
                  (unsigned long long)server.input_heap.used_size,
                  (unsigned long long)server.input_heap.object_count);
    }
    if (server.output_pool.free_count != server.output_pool.chunk_count) {
        fuzz_fail("output chunks leaked: %u of %u free", server.output_pool.free_count,
                  server.output_pool.chunk_count);
    }
    if (server.connected_count != 0 || server.ready_head != CLIENT_NONE ||
        server.monitor_count != 0 || server.postponed_count != 0 ||
        blocking_blocked_count() != 0) {
        fuzz_fail("a client outlived its input");
    }
}

/*
 * The client's descriptor: one end of a fresh Unix socketpair (a local peer, as
 * protected mode wants; the connection layer's setsockopt and shutdown calls act
 * on it harmlessly). Nothing is ever sent on it: replies are drained in process.
 */
static int fuzz_socket(void) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        fuzz_fail("socketpair: %s", strerror(errno));
    }
    close(pair[1]);
    return pair[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < FUZZ_HEADER_SIZE || size > UINT32_MAX / 2) {
        return 0;
    }
    fuzz_input = data;
    fuzz_input_size = size;
    const uint8_t *bytes = data + FUZZ_HEADER_SIZE;
    uint32_t bytes_size = (uint32_t)(size - FUZZ_HEADER_SIZE);
    bool password = (data[2] & FUZZ_SESSION_PASSWORD) != 0;
    fuzz_parse_whole(bytes, bytes_size, !password);
    if (password) {
        /* As `requirepass fuzz` in the configuration: the client starts unauthenticated.
         * The password moves into the heap as main does (no fault is armed here). */
        server.config.requirepass = (const uint8_t *)FUZZ_PASSWORD;
        server.config.requirepass_size = (uint32_t)strlen(FUZZ_PASSWORD);
        if (!config_requirepass_keep(&server.config, NULL, &server.heap, false)) {
            fuzz_fail("no room for the session's password");
        }
        acl_set_default_password(&server.acl, (const uint8_t *)FUZZ_PASSWORD,
                                 server.config.requirepass_size);
    }
    bool trace = fuzz.trace;
    memset(&fuzz, 0, sizeof(fuzz));
    fuzz.trace = trace;
    fuzz.compare_parse = true;
    fuzz.fault_countdown = data[1] & 0x7fu;
    fuzz.fault_persistent = (data[1] & 0x80u) != 0;
    uint32_t drain = (data[2] >> 1) & 3u;
    fuzz.drain_mode = drain >= FUZZ_DRAIN_NEVER ? FUZZ_DRAIN_NEVER : (enum fuzz_drain)drain;
    fuzz.client = conn_fuzz_open(fuzz_socket());
    fuzz.client_id = fuzz.client->id;
    fuzz_feed_all(fuzz.client, bytes, bytes_size, data[0]);
    fuzz_check_tail(fuzz.client);
    fuzz_check_counts(fuzz.client);
    fuzz_verify_dataset();
    conn_fuzz_close(fuzz.client);
    fuzz.client = NULL;
    fuzz_reset();
    fuzz_check_leaks();
    fuzz_totals.inputs++;
    return 0;
}

/* ==== Startup: main.c's own steps, minus the io backend and the listeners ==== */

static void fuzz_report(void) {
    fprintf(stderr, "fuzz_command: %llu inputs, %llu commands, %llu error replies "
            "(%llu checked, %llu too large to digest, %llu after evictions), "
            "%llu faults injected\n",
            (unsigned long long)fuzz_totals.inputs, (unsigned long long)fuzz_totals.commands,
            (unsigned long long)fuzz_totals.error_replies,
            (unsigned long long)fuzz_totals.errors_checked,
            (unsigned long long)fuzz_totals.digests_skipped,
            (unsigned long long)fuzz_totals.evictions_skipped,
            (unsigned long long)fuzz_totals.faults_injected);
    for (uint32_t index = 0; index < ARRAY_COUNT(fuzz_waivers); index++) {
        if (fuzz_waived[index] > 0) {
            fprintf(stderr, "fuzz_command: known bug waived %llu times: "
                    "tests/fuzz/findings/%s (%s)\n", (unsigned long long)fuzz_waived[index],
                    fuzz_waivers[index].finding,
                    fuzz_waivers[index].command == NULL ? "any command"
                                                         : fuzz_waivers[index].command);
        }
    }
}

static void fuzz_configure(void) {
    config_defaults(&server.config);
    server.config.maxmemory = FUZZ_MAXMEMORY;
    server.config.maxclients = 4;
    server.config.client_input_buffer_size = KIB; /* the minimum: big arguments from 512 B */
    server.config.output_pool_size = MIB;         /* the minimum: replies over ~1 MB overflow */
    server.config.input_pool_size = MIB;
    server.config.acl_users_max = 8;
    char error[CONFIG_ERROR_SIZE_MAX];
    if (!config_validate(&server.config, error)) {
        fprintf(stderr, "fuzz_command: %s\n", error);
        abort();
    }
    const char *log = getenv("FUZZ_COMMAND_LOG");
    if (log == NULL || strcmp(log, "1") != 0) {
        server.config.loglevel = LOG_NOTHING;
    }
    const char *strict = getenv("FUZZ_COMMAND_STRICT");
    fuzz_strict = strict != NULL && strcmp(strict, "1") == 0;
    const char *trace = getenv("FUZZ_COMMAND_TRACE");
    fuzz.trace = trace != NULL && strcmp(trace, "1") == 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_resp_self_test();
    fuzz_configure();
    server.reserved = server.config;
    plan_build(&server.plan, &server.config);
    commands_init();
    index_seed(FUZZ_SEED);
    server.sampling_seed = FUZZ_SEED;
    snprintf(server.run_id, sizeof(server.run_id), "%040d", 0);
    server.start_ms = clock_now_ms();
    server.now_ms = server.start_ms;
    if (!arena_reserve(&server.arena, server.plan.total_size, false)) {
        fprintf(stderr, "fuzz_command: cannot reserve %llu bytes\n",
                (unsigned long long)server.plan.total_size);
        abort();
    }
    server_init_memory();
    server.keyspace.random_state = server.sampling_seed | 1u;
    server_config_changed();
    /* INFO names the backend and close calls io_shutdown_done: a real (idle) epoll. */
    char error[256] = "";
    if (!io_init(&server.io, IO_BACKEND_EPOLL, IO_SUBMISSIONS_PER_TURN,
                 plan_socket_count(&server.config), plan_take(&server.plan, PLAN_POOL_IO_SOCKETS),
                 error, sizeof(error))) {
        fprintf(stderr, "fuzz_command: %s\n", error);
        abort();
    }
    arena_seal(&server.arena);
    server.startup_used_size = server.heap.used_size;
    server.ready = true;
    fuzz_saved.config = server.config;
    fuzz_saved.acl = server.acl;
    fuzz_saved.default_user = server.acl.users[ACL_USER_DEFAULT];
    fuzz_saved.default_order = server.acl.order[0];
    fuzz_reset();
    fuzz_saved.heap_used_size = server.heap.used_size;
    fuzz_saved.heap_object_count = server.heap.object_count;
    fuzz_saved.input_heap_used_size = server.input_heap.used_size;
    fuzz_saved.input_heap_object_count = server.input_heap.object_count;
    atexit(fuzz_report);
    return 0;
}
