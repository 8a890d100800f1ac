/*
 * test_reply.c: unit tests for reply encoding (src/reply.c): the exact bytes
 * of every reply function in RESP2, their RESP3 forms (null, map, set, push,
 * double, boolean, verbatim text, pair arrays), integer formatting at the
 * int64 limits and error-text sanitising.
 */
#include "reply.h"

#include <criterion/criterion.h>
#include <math.h>

#define TEST_CHUNK_COUNT 8u
#define COLLECTED_SIZE_MAX (TEST_CHUNK_COUNT * OUTPUT_CHUNK_DATA_SIZE)

static struct output_chunk chunks[TEST_CHUNK_COUNT];
static struct output_pool pool;
static struct output output;
static struct reply reply;
static uint8_t collected[COLLECTED_SIZE_MAX];

static void setup(void) {
    output_pool_init(&pool, chunks, TEST_CHUNK_COUNT);
    output_init(&output, COLLECTED_SIZE_MAX);
    reply = (struct reply){ .pool = &pool, .output = &output, .protocol = 2, .error_count = 0 };
}

static void teardown(void) {
    output_release(&pool, &output);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT);
}

TestSuite(reply, .init = setup, .fini = teardown);

/* Takes every pending byte out of the output (as a send would). */
static uint64_t take(void) {
    struct iovec iov[TEST_CHUNK_COUNT];
    uint32_t count = output_iovecs(&pool, &output, iov, TEST_CHUNK_COUNT);
    uint64_t size = 0;
    for (uint32_t index = 0; index < count; index++) {
        memcpy(collected + size, iov[index].iov_base, iov[index].iov_len);
        size += iov[index].iov_len;
    }
    cr_assert_eq(size, output.pending_size);
    output_consume(&pool, &output, size);
    cr_assert(output_empty(&output));
    return size;
}

static void expect_bytes(const void *expected, uint64_t expected_size, const char *what) {
    cr_assert_not(output.overflowed, "%s: overflowed", what);
    uint64_t size = take();
    cr_assert_eq(size, expected_size, "%s: %lu bytes, expected %lu: '%.*s'", what,
                 (unsigned long)size, (unsigned long)expected_size, (int)size,
                 (const char *)collected);
    cr_assert(memcmp(collected, expected, size) == 0, "%s: got '%.*s'", what, (int)size,
              (const char *)collected);
}

#define EXPECT(literal) expect_bytes((literal), sizeof(literal) - 1, #literal)

Test(reply, simple_and_ok) {
    reply_ok(&reply);
    EXPECT("+OK\r\n");
    reply_simple(&reply, "PONG");
    EXPECT("+PONG\r\n");
    reply_simple(&reply, "");
    EXPECT("+\r\n");
    reply_raw(&reply, "ab\0c", 4);
    EXPECT("ab\0c");
    reply_raw(&reply, NULL, 0);
    EXPECT("");
    cr_assert_eq(reply.error_count, 0);
}

Test(reply, errors) {
    reply_error(&reply, "ERR syntax error");
    EXPECT("-ERR syntax error\r\n");
    cr_assert_eq(reply.error_count, 1);
    reply_error(&reply, "ERR bad\r\nline\rand\nmore");
    EXPECT("-ERR bad  line and more\r\n");
    cr_assert_eq(reply.error_count, 2);
    reply_errorf(&reply, "ERR unknown command '%s', with args beginning with: %d", "foo", 7);
    EXPECT("-ERR unknown command 'foo', with args beginning with: 7\r\n");
    cr_assert_eq(reply.error_count, 3);
    reply_errorf(&reply, "ERR %s", "a\r\nb");
    EXPECT("-ERR a  b\r\n");
    cr_assert_eq(reply.error_count, 4);
}

Test(reply, long_error_stays_one_line) {
    char text[2000];
    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 1] = 0;
    memcpy(text, "ERR ", 4);
    text[1500] = '\n';
    reply_error(&reply, text);
    uint64_t size = take();
    cr_assert_geq(size, 4 + 2);
    cr_assert_leq(size, 512 + 2, "an error line is bounded");
    cr_assert_eq(collected[0], '-');
    cr_assert(memcmp(collected + 1, "ERR ", 4) == 0);
    cr_assert(memcmp(collected + size - 2, "\r\n", 2) == 0);
    for (uint64_t index = 5; index < size - 2; index++) {
        cr_assert_eq(collected[index], 'x', "byte %lu", (unsigned long)index);
    }
    cr_assert_eq(reply.error_count, 1);
}

Test(reply, integers) {
    reply_integer(&reply, 0);
    EXPECT(":0\r\n");
    reply_integer(&reply, -1);
    EXPECT(":-1\r\n");
    reply_integer(&reply, 1000);
    EXPECT(":1000\r\n");
    reply_integer(&reply, INT64_MAX);
    EXPECT(":9223372036854775807\r\n");
    reply_integer(&reply, INT64_MIN);
    EXPECT(":-9223372036854775808\r\n");
}

Test(reply, bulks) {
    reply_bulk(&reply, "foo", 3);
    EXPECT("$3\r\nfoo\r\n");
    reply_bulk(&reply, "", 0);
    EXPECT("$0\r\n\r\n");
    reply_bulk(&reply, "a\r\n\0b", 5);
    EXPECT("$5\r\na\r\n\0b\r\n");
    reply_bulk_slice(&reply, slice_from_cstr("hello"));
    EXPECT("$5\r\nhello\r\n");
    reply_bulk_cstr(&reply, "world!");
    EXPECT("$6\r\nworld!\r\n");
    reply_bulk_int64(&reply, 0);
    EXPECT("$1\r\n0\r\n");
    reply_bulk_int64(&reply, -42);
    EXPECT("$3\r\n-42\r\n");
    reply_bulk_int64(&reply, INT64_MIN);
    EXPECT("$20\r\n-9223372036854775808\r\n");
    reply_bulk_int64(&reply, INT64_MAX);
    EXPECT("$19\r\n9223372036854775807\r\n");
}

Test(reply, bulk_in_pieces) {
    reply_bulk_header(&reply, 10);
    reply_raw(&reply, "01234", 5);
    reply_raw(&reply, "56789", 5);
    reply_bulk_trailer(&reply);
    EXPECT("$10\r\n0123456789\r\n");
}

Test(reply, large_bulk_across_chunks) {
    static uint8_t value[OUTPUT_CHUNK_DATA_SIZE * 2];
    for (uint32_t index = 0; index < sizeof(value); index++) {
        value[index] = (uint8_t)(index % 253);
    }
    reply_bulk(&reply, value, sizeof(value));
    uint64_t size = take();
    char header[32];
    int header_size = snprintf(header, sizeof(header), "$%u\r\n", (unsigned)sizeof(value));
    cr_assert_eq(size, (uint64_t)header_size + sizeof(value) + 2);
    cr_assert(memcmp(collected, header, (size_t)header_size) == 0);
    cr_assert(memcmp(collected + header_size, value, sizeof(value)) == 0);
    cr_assert(memcmp(collected + size - 2, "\r\n", 2) == 0);
}

Test(reply, aggregates_resp2) {
    reply_null(&reply);
    EXPECT("$-1\r\n");
    reply_null_array(&reply);
    EXPECT("*-1\r\n");
    reply_array(&reply, 3);
    EXPECT("*3\r\n");
    reply_array(&reply, 0);
    EXPECT("*0\r\n");
    reply_empty_array(&reply);
    EXPECT("*0\r\n");
    reply_map(&reply, 2);
    EXPECT("*4\r\n");
    reply_map(&reply, 0);
    EXPECT("*0\r\n");
    reply_set(&reply, 5);
    EXPECT("*5\r\n");
}

Test(reply, aggregates_resp3) {
    reply.protocol = 3;
    reply_null(&reply);
    EXPECT("_\r\n");
    reply_null_array(&reply);
    EXPECT("_\r\n");
    reply_map(&reply, 2);
    EXPECT("%2\r\n");
    reply_map(&reply, 0);
    EXPECT("%0\r\n");
    reply_set(&reply, 5);
    EXPECT("~5\r\n");
    /* Arrays, bulks and integers are the same in both protocols. */
    reply_array(&reply, 2);
    EXPECT("*2\r\n");
    reply_bulk_cstr(&reply, "x");
    EXPECT("$1\r\nx\r\n");
    reply_integer(&reply, 7);
    EXPECT(":7\r\n");
}

Test(reply, doubles) {
    reply_double(&reply, 1.5);
    EXPECT("$3\r\n1.5\r\n");
    reply_double(&reply, 0.1);
    EXPECT("$19\r\n0.10000000000000001\r\n");
    reply_double(&reply, INFINITY);
    EXPECT("$3\r\ninf\r\n");
    reply_double(&reply, -INFINITY);
    EXPECT("$4\r\n-inf\r\n");
    reply_double(&reply, 0.0);
    EXPECT("$1\r\n0\r\n");
    reply_double(&reply, -2.0);
    EXPECT("$2\r\n-2\r\n");
    reply_double(&reply, 1e300);
    EXPECT("$23\r\n1.0000000000000001e+300\r\n");
    reply_double(&reply, 3.0000000000000004);
    EXPECT("$18\r\n3.0000000000000004\r\n");
}

Test(reply, doubles_resp3) {
    reply.protocol = 3;
    reply_double(&reply, 1.5);
    EXPECT(",1.5\r\n");
    reply_double(&reply, 0.1);
    EXPECT(",0.10000000000000001\r\n");
    reply_double(&reply, INFINITY);
    EXPECT(",inf\r\n");
    reply_double(&reply, -INFINITY);
    EXPECT(",-inf\r\n");
    reply_double(&reply, 0.0);
    EXPECT(",0\r\n");
    reply_double(&reply, 1e300);
    EXPECT(",1.0000000000000001e+300\r\n");
    reply_double(&reply, -1.7976931348623157e308);
    EXPECT(",-1.7976931348623157e+308\r\n");
    reply_double(&reply, 5e-324);
    EXPECT(",4.9406564584124654e-324\r\n");
    /* ZSCAN's scores stay bulk strings in RESP3, as Redis's. */
    reply_double_bulk(&reply, 0.1);
    EXPECT("$19\r\n0.10000000000000001\r\n");
    reply_double_bulk(&reply, -INFINITY);
    EXPECT("$4\r\n-inf\r\n");
    reply.protocol = 2;
    reply_double_bulk(&reply, 2.5);
    EXPECT("$3\r\n2.5\r\n");
}

Test(reply, push_bool_verbatim) {
    reply_push(&reply, 3);
    EXPECT("*3\r\n");
    reply_bool(&reply, true);
    EXPECT(":1\r\n");
    reply_bool(&reply, false);
    EXPECT(":0\r\n");
    reply_verbatim(&reply, "a\r\nb", 4, "txt");
    EXPECT("$4\r\na\r\nb\r\n");
    reply_verbatim(&reply, "", 0, "txt");
    EXPECT("$0\r\n\r\n");
    reply.protocol = 3;
    reply_push(&reply, 3);
    EXPECT(">3\r\n");
    reply_push(&reply, 0);
    EXPECT(">0\r\n");
    reply_bool(&reply, true);
    EXPECT("#t\r\n");
    reply_bool(&reply, false);
    EXPECT("#f\r\n");
    reply_verbatim(&reply, "a\r\nb", 4, "txt");
    EXPECT("=8\r\ntxt:a\r\nb\r\n");
    reply_verbatim(&reply, "", 0, "mkd");
    EXPECT("=4\r\nmkd:\r\n");
    reply_verbatim_header(&reply, 10, "txt");
    reply_raw(&reply, "0123456789", 10);
    reply_bulk_trailer(&reply);
    EXPECT("=14\r\ntxt:0123456789\r\n");
}

Test(reply, pair_arrays) {
    /* RESP2: one flat array; RESP3: an array of two-element arrays. */
    reply_pair_array(&reply, 2);
    for (uint32_t index = 0; index < 2; index++) {
        reply_pair(&reply);
        reply_bulk_cstr(&reply, index == 0 ? "a" : "b");
        reply_double(&reply, index == 0 ? 1.5 : 2.0);
    }
    EXPECT("*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n");
    reply_pair_array(&reply, 0);
    EXPECT("*0\r\n");
    reply.protocol = 3;
    reply_pair_array(&reply, 2);
    for (uint32_t index = 0; index < 2; index++) {
        reply_pair(&reply);
        reply_bulk_cstr(&reply, index == 0 ? "a" : "b");
        reply_double(&reply, index == 0 ? 1.5 : 2.0);
    }
    EXPECT("*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,2\r\n");
    reply_pair_array(&reply, 0);
    EXPECT("*0\r\n");
}

Test(reply, format_int64) {
    static const struct {
        int64_t value;
        const char *text;
    } cases[] = {
        { 0, "0" },
        { 1, "1" },
        { -1, "-1" },
        { 9, "9" },
        { 10, "10" },
        { -10, "-10" },
        { 1234567890, "1234567890" },
        { INT64_MAX, "9223372036854775807" },
        { INT64_MIN, "-9223372036854775808" },
        { INT64_MIN + 1, "-9223372036854775807" },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        char buffer[32];
        memset(buffer, 0x7f, sizeof(buffer));
        uint32_t size = format_int64(buffer, cases[index].value);
        cr_assert_eq(size, strlen(cases[index].text), "%s", cases[index].text);
        cr_assert(memcmp(buffer, cases[index].text, size) == 0, "%s", cases[index].text);
        /* Nothing is written past the digits (no terminator either). */
        for (uint32_t rest = size; rest < sizeof(buffer); rest++) {
            cr_assert_eq(buffer[rest], 0x7f, "%s: byte %u", cases[index].text, rest);
        }
    }
}

Test(reply, overflow_drops_replies) {
    output_release(&pool, &output);
    output_init(&output, 10);
    reply_bulk_cstr(&reply, "abc");
    EXPECT("$3\r\nabc\r\n");
    /* The limit counts pending bytes: two +OK fill it exactly, a third is one too many. */
    reply_ok(&reply);
    reply_ok(&reply);
    cr_assert_not(output.overflowed);
    cr_assert_eq(output.pending_size, 10);
    reply_ok(&reply);
    cr_assert(output.overflowed);
    cr_assert_eq(output.pending_size, 10);
    reply_error(&reply, "ERR x");
    cr_assert_eq(output.pending_size, 10);
    cr_assert_eq(reply.error_count, 1);
}
