/*
 * test_resp.c: unit tests for the incremental RESP2 request parser (src/resp.c).
 *
 * The central test feeds one pipelined stream to a fresh parser split at every
 * byte position, the way the connection layer does: parse until RESP_AGAIN,
 * then the buffer grows (here it also moves, so relocation is exercised) and
 * parsing resumes. The command list must not depend on where the split fell.
 * The first part of each split lives in a buffer of exactly that many bytes,
 * so the sanitizer build catches any read past `end`.
 *
 * The rest checks each protocol error against Redis's exact text, the limits
 * at the limit and at limit + 1, the quirks inherited from Redis, big
 * arguments, relocation and the strict integer parser.
 */
#define KEEL_ALLOW_LIBC_ALLOCATOR
#include "resp.h"

#include <criterion/criterion.h>

#define LOG_SIZE_MAX 80000u
#define ROUNDS_MAX 100000u

/* ==== Allocations: exact-size buffers, freed by the suite even when a test fails ==== */

#define TRACKED_COUNT_MAX 16u

static void *tracked[TRACKED_COUNT_MAX];

static void *tracked_alloc(size_t size) {
    void *ptr = malloc(size > 0 ? size : 1);
    cr_assert(ptr != NULL);
    for (uint32_t index = 0; index < TRACKED_COUNT_MAX; index++) {
        if (tracked[index] == NULL) {
            tracked[index] = ptr;
            return ptr;
        }
    }
    cr_assert_fail("too many live allocations");
    return NULL;
}

static void tracked_free(void *ptr) {
    for (uint32_t index = 0; index < TRACKED_COUNT_MAX; index++) {
        if (tracked[index] == ptr && ptr != NULL) {
            tracked[index] = NULL;
            free(ptr);
            return;
        }
    }
    cr_assert_fail("freeing an untracked pointer");
}

static void teardown(void) {
    for (uint32_t index = 0; index < TRACKED_COUNT_MAX; index++) {
        free(tracked[index]);
        tracked[index] = NULL;
    }
}

TestSuite(resp, .fini = teardown);

/* ==== Driver: the connection layer's use of the parser, in miniature ==== */

struct driver {
    struct resp_parser parser;
    struct resp_argv argv;
    struct resp_limits limits;
    uint8_t log[LOG_SIZE_MAX]; /* every command: argc, then (size, bytes) per argument */
    uint32_t log_size;
    uint32_t command_count;
    uint32_t empty_count;
    uint32_t grow_count;
};

static struct resp_limits limits_default(void) {
    return (struct resp_limits){
        .bulk_size_max = 512 * MIB,
        .big_arg_size = UINT32_MAX,
        .authenticated = true,
    };
}

static void driver_init(struct driver *driver, uint32_t argv_capacity) {
    memset(driver, 0, sizeof(*driver));
    resp_parser_reset(&driver->parser);
    driver->argv.items = tracked_alloc(argv_capacity * sizeof(struct slice));
    cr_assert(driver->argv.items != NULL);
    driver->argv.count = 0;
    driver->argv.capacity = argv_capacity;
    driver->limits = limits_default();
}

static void driver_fini(struct driver *driver) {
    tracked_free(driver->argv.items);
    driver->argv.items = NULL;
}

static void log_append(struct driver *driver, const void *bytes, uint32_t size) {
    cr_assert_leq(driver->log_size + size, LOG_SIZE_MAX);
    if (size > 0) {
        memcpy(driver->log + driver->log_size, bytes, size);
    }
    driver->log_size += size;
}

static void driver_record(struct driver *driver) {
    uint32_t count = driver->argv.count;
    cr_assert_gt(count, 0);
    log_append(driver, &count, sizeof(count));
    for (uint32_t index = 0; index < count; index++) {
        struct slice arg = driver->argv.items[index];
        log_append(driver, &arg.size, sizeof(arg.size));
        log_append(driver, arg.ptr, arg.size);
    }
    driver->command_count++;
}

/* RESP_ARGV_FULL: a larger array holding the items parsed so far. */
static void driver_grow(struct driver *driver) {
    struct resp_argv *argv = &driver->argv;
    cr_assert_gt(driver->parser.argv_needed, argv->capacity);
    uint32_t capacity = driver->parser.argv_needed;
    struct slice *items = tracked_alloc(capacity * sizeof(struct slice));
    cr_assert(items != NULL);
    memcpy(items, argv->items, argv->count * sizeof(struct slice));
    memset(argv->items, 0xa5, argv->capacity * sizeof(struct slice));
    tracked_free(argv->items);
    argv->items = items;
    argv->capacity = capacity;
    driver->grow_count++;
}

/* Parses [cursor, end) until the parser needs more bytes or stops. */
static enum resp_status driver_run(struct driver *driver, uint8_t *buffer, uint32_t end) {
    for (uint32_t round = 0; round < ROUNDS_MAX; round++) {
        enum resp_status status =
            resp_parse(&driver->parser, buffer, end, &driver->argv, &driver->limits);
        cr_assert_leq(driver->parser.cursor, end);
        switch (status) {
        case RESP_COMMAND:
            driver_record(driver);
            resp_parser_next_command(&driver->parser, &driver->argv);
            cr_assert_eq(driver->argv.count, 0);
            cr_assert_eq(driver->parser.command_start, driver->parser.cursor);
            break;
        case RESP_EMPTY:
            cr_assert_eq(driver->argv.count, 0);
            cr_assert_eq(driver->parser.command_start, driver->parser.cursor);
            driver->empty_count++;
            break;
        case RESP_ARGV_FULL:
            driver_grow(driver);
            break;
        case RESP_AGAIN:
        case RESP_ERROR:
        case RESP_BIG_ARG:
            return status;
        default:
            cr_assert_fail("unknown status %d", (int)status);
        }
    }
    cr_assert_fail("the parser did not stop");
    return RESP_ERROR;
}

/* Runs a whole byte string through a fresh parser; the result's error text is in driver. */
static enum resp_status parse_bytes(struct driver *driver, const void *bytes, uint32_t size) {
    uint8_t *buffer = tracked_alloc(size > 0 ? size : 1);
    cr_assert(buffer != NULL);
    memcpy(buffer, bytes, size);
    enum resp_status status = driver_run(driver, buffer, size);
    /* Commands were copied into the log; a partial argv is not used after this. */
    tracked_free(buffer);
    return status;
}

#define PARSE_LITERAL(driver, literal) parse_bytes((driver), (literal), sizeof(literal) - 1)

/* ==== The pipelined stream, split everywhere ==== */

static const char stream[] =
    "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$6\r\na\r\nb\0\xff\r\n"  /* empty bulk, binary payload */
    "set a \"b c\"\r\n"                                      /* inline with quotes */
    "PING\n"                                                 /* inline, bare \n */
    "*0\r\n"                                                 /* ignored */
    "\r\n"                                                   /* empty inline line */
    "*2\r\n$4\r\nECHO\r\n$2\r\n\r\n\r\n"                     /* payload is CRLF */
    "get \"\\x41\\n\" 'it\\'s'\r\n"                          /* escapes */
    "*-1\r\n"                                                /* ignored */
    "\n"                                                     /* empty inline line */
    "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n"
    "  x\t y  \r\n"                                          /* blanks around tokens */
    "*1\r\n$4\r\nLAST\r\n";

#define STREAM_SIZE ((uint32_t)(sizeof(stream) - 1))
#define STREAM_EMPTY_COUNT 4u

struct expected_command {
    uint32_t count;
    struct {
        const char *bytes;
        uint32_t size;
    } args[5];
};

#define ARG(literal) { literal, sizeof(literal) - 1 }

static const struct expected_command stream_commands[] = {
    { 3, { ARG("SET"), ARG(""), ARG("a\r\nb\0\xff") } },
    { 3, { ARG("set"), ARG("a"), ARG("b c") } },
    { 1, { ARG("PING") } },
    { 2, { ARG("ECHO"), ARG("\r\n") } },
    { 3, { ARG("get"), ARG("A\n"), ARG("it's") } },
    { 5, { ARG("1"), ARG("2"), ARG("3"), ARG("4"), ARG("5") } },
    { 2, { ARG("x"), ARG("y") } },
    { 1, { ARG("LAST") } },
};

static uint8_t expected_log[LOG_SIZE_MAX];
static uint32_t expected_log_size;

static void expected_append(const void *bytes, uint32_t size) {
    cr_assert_leq(expected_log_size + size, LOG_SIZE_MAX);
    memcpy(expected_log + expected_log_size, bytes, size);
    expected_log_size += size;
}

static void build_expected_log(void) {
    expected_log_size = 0;
    for (uint32_t command = 0; command < ARRAY_COUNT(stream_commands); command++) {
        const struct expected_command *expected = &stream_commands[command];
        expected_append(&expected->count, sizeof(expected->count));
        for (uint32_t index = 0; index < expected->count; index++) {
            expected_append(&expected->args[index].size, sizeof(uint32_t));
            expected_append(expected->args[index].bytes, expected->args[index].size);
        }
    }
}

static void check_log(const struct driver *driver, const char *what, uint32_t split) {
    cr_assert_eq(driver->command_count, ARRAY_COUNT(stream_commands), "%s %u: commands",
                 what, split);
    cr_assert_eq(driver->empty_count, STREAM_EMPTY_COUNT, "%s %u: empty requests", what,
                 split);
    cr_assert_eq(driver->log_size, expected_log_size, "%s %u: log size", what, split);
    cr_assert(memcmp(driver->log, expected_log, expected_log_size) == 0, "%s %u: log bytes",
              what, split);
}

Test(resp, stream_in_one_piece) {
    build_expected_log();
    struct driver driver;
    driver_init(&driver, 1);
    uint8_t *buffer = tracked_alloc(STREAM_SIZE);
    memcpy(buffer, stream, STREAM_SIZE);
    cr_assert_eq(driver_run(&driver, buffer, STREAM_SIZE), RESP_AGAIN);
    cr_assert_eq(driver.parser.cursor, STREAM_SIZE);
    check_log(&driver, "whole", STREAM_SIZE);
    /* argv started with room for one argument and had to grow. */
    cr_assert_geq(driver.grow_count, 2);
    tracked_free(buffer);
    driver_fini(&driver);
}

/*
 * Bytes [0, k) arrive first, in a buffer of exactly k bytes. Then the unparsed
 * part [command_start, k) moves to a larger buffer with the rest of the
 * stream, as the connection layer slides a partial command to the front.
 */
Test(resp, stream_split_at_every_position) {
    build_expected_log();
    for (uint32_t split = 0; split <= STREAM_SIZE; split++) {
        struct driver driver;
        driver_init(&driver, 1);
        uint8_t *first = tracked_alloc(split > 0 ? split : 1);
        memcpy(first, stream, split);
        cr_assert_eq(driver_run(&driver, first, split), RESP_AGAIN, "split %u", split);
        uint32_t from = driver.parser.command_start;
        cr_assert_leq(from, split);
        uint32_t rest_end = STREAM_SIZE - from;
        uint8_t *second = tracked_alloc(rest_end > 0 ? rest_end : 1);
        /* The parser may have rewritten inline bytes in place: move them, not the stream's. */
        memcpy(second, first + from, split - from);
        memcpy(second + (split - from), stream + split, STREAM_SIZE - split);
        resp_parser_relocate(&driver.parser, &driver.argv, first, split, from, second);
        memset(first, 'Z', split);
        tracked_free(first);
        cr_assert_eq(driver.parser.command_start, 0, "split %u", split);
        cr_assert_eq(driver_run(&driver, second, rest_end), RESP_AGAIN, "split %u", split);
        cr_assert_eq(driver.parser.cursor, rest_end, "split %u", split);
        check_log(&driver, "split", split);
        tracked_free(second);
        driver_fini(&driver);
    }
}

Test(resp, stream_one_byte_at_a_time) {
    build_expected_log();
    struct driver driver;
    driver_init(&driver, 1);
    uint8_t *buffer = tracked_alloc(STREAM_SIZE);
    for (uint32_t end = 0; end <= STREAM_SIZE; end++) {
        if (end > 0) {
            buffer[end - 1] = (uint8_t)stream[end - 1];
        }
        cr_assert_eq(driver_run(&driver, buffer, end), RESP_AGAIN, "end %u", end);
    }
    cr_assert_eq(driver.parser.cursor, STREAM_SIZE);
    check_log(&driver, "bytewise", STREAM_SIZE);
    tracked_free(buffer);
    driver_fini(&driver);
}

/* The same stream also splits cleanly when every chunk is two or three bytes long. */
Test(resp, stream_in_small_chunks) {
    build_expected_log();
    for (uint32_t chunk = 2; chunk <= 7; chunk++) {
        struct driver driver;
        driver_init(&driver, 2);
        uint8_t *buffer = tracked_alloc(STREAM_SIZE);
        memcpy(buffer, stream, STREAM_SIZE);
        for (uint32_t end = 0; end < STREAM_SIZE + chunk; end += chunk) {
            cr_assert_eq(driver_run(&driver, buffer, MIN(end, STREAM_SIZE)), RESP_AGAIN);
        }
        check_log(&driver, "chunk", chunk);
        tracked_free(buffer);
        driver_fini(&driver);
    }
}

/* ==== Protocol errors: Redis's exact text ==== */

static void expect_error(const void *bytes, uint32_t size, struct resp_limits limits,
                         const char *text) {
    struct driver driver;
    driver_init(&driver, 4);
    driver.limits = limits;
    cr_assert_eq(parse_bytes(&driver, bytes, size), RESP_ERROR, "expected '%s'", text);
    cr_assert_str_eq(driver.parser.error, text);
    driver_fini(&driver);
}

#define EXPECT_ERROR(literal, text) expect_error((literal), sizeof(literal) - 1, \
                                                 limits_default(), (text))

#define INVALID_MULTIBULK "Protocol error: invalid multibulk length"
#define INVALID_BULK "Protocol error: invalid bulk length"

Test(resp, invalid_multibulk_length) {
    EXPECT_ERROR("*3000000000\r\n", INVALID_MULTIBULK);
    EXPECT_ERROR("*+1\r\n", INVALID_MULTIBULK);
    EXPECT_ERROR("* 1\r\n", INVALID_MULTIBULK);
    EXPECT_ERROR("*2147483648\r\n", INVALID_MULTIBULK);
    EXPECT_ERROR("*01\r\n", INVALID_MULTIBULK);
    EXPECT_ERROR("*1x\r\n", INVALID_MULTIBULK);
    EXPECT_ERROR("*\r\n", INVALID_MULTIBULK);
    EXPECT_ERROR("*99999999999999999999\r\n", INVALID_MULTIBULK);
}

Test(resp, multibulk_length_at_int32_max_is_accepted) {
    struct driver driver;
    driver_init(&driver, 4);
    cr_assert_eq(PARSE_LITERAL(&driver, "*2147483647\r\n"), RESP_AGAIN);
    cr_assert_eq(driver.parser.argc_expected, INT32_MAX);
    cr_assert_eq(driver.parser.error[0], 0);
    driver_fini(&driver);
}

Test(resp, invalid_bulk_length) {
    EXPECT_ERROR("*1\r\n$-10\r\n", INVALID_BULK);
    EXPECT_ERROR("*1\r\n$-1\r\n", INVALID_BULK);
    EXPECT_ERROR("*1\r\n$blabla\r\n", INVALID_BULK);
    EXPECT_ERROR("*1\r\n$04\r\n", INVALID_BULK);
    EXPECT_ERROR("*1\r\n$+4\r\n", INVALID_BULK);
    EXPECT_ERROR("*1\r\n$\r\n", INVALID_BULK);
    /* The second argument's header is checked too. */
    EXPECT_ERROR("*2\r\n$1\r\na\r\n$x\r\n", INVALID_BULK);
}

Test(resp, bulk_length_limit) {
    struct resp_limits limits = limits_default();
    limits.bulk_size_max = 100;
    expect_error("*1\r\n$101\r\n", 10, limits, INVALID_BULK);
    /* At the limit: accepted, the parser waits for the payload. */
    struct driver driver;
    driver_init(&driver, 4);
    driver.limits = limits;
    cr_assert_eq(PARSE_LITERAL(&driver, "*1\r\n$100\r\n"), RESP_AGAIN);
    cr_assert_eq(driver.parser.bulk_size, 100);
    cr_assert_eq(driver.parser.error[0], 0);
    driver_fini(&driver);
}

Test(resp, expected_dollar) {
    EXPECT_ERROR("*1\r\nfoo\r\n", "Protocol error: expected '$', got 'f'");
    EXPECT_ERROR("*2\r\n$1\r\na\r\n:1\r\n", "Protocol error: expected '$', got ':'");
}

static void expect_boundary(const char *prefix, uint8_t fill, uint32_t size, const char *text) {
    /* `size` bytes from the cursor without a line end: waits; one more: the error. */
    uint32_t prefix_size = (uint32_t)strlen(prefix);
    uint32_t total = prefix_size + size + 1;
    uint8_t *bytes = tracked_alloc(total);
    memcpy(bytes, prefix, prefix_size);
    memset(bytes + prefix_size, fill, size + 1);

    struct driver driver;
    driver_init(&driver, 4);
    cr_assert_eq(driver_run(&driver, bytes, total - 1), RESP_AGAIN, "at the limit: %s", text);
    cr_assert_eq(driver.parser.error[0], 0);
    cr_assert_eq(driver_run(&driver, bytes, total), RESP_ERROR, "over the limit: %s", text);
    cr_assert_str_eq(driver.parser.error, text);
    driver_fini(&driver);
    tracked_free(bytes);
}

Test(resp, too_big_inline_request) {
    uint8_t *bytes = tracked_alloc(70000);
    memset(bytes, 'A', 70000);
    expect_error(bytes, 70000, limits_default(), "Protocol error: too big inline request");
    tracked_free(bytes);
    /* Redis errors when more than 64 KiB are buffered after the cursor. */
    expect_boundary("", 'A', RESP_INLINE_SIZE_MAX, "Protocol error: too big inline request");
    /* Counted from the cursor: a consumed command does not count. */
    expect_boundary("PING\r\n", 'A', RESP_INLINE_SIZE_MAX,
                    "Protocol error: too big inline request");
}

Test(resp, inline_line_of_64k_is_accepted) {
    uint32_t size = RESP_INLINE_SIZE_MAX + 2;
    uint8_t *bytes = tracked_alloc(size);
    memset(bytes, 'A', size);
    bytes[size - 2] = '\r';
    bytes[size - 1] = '\n';
    struct driver driver;
    driver_init(&driver, 4);
    cr_assert_eq(parse_bytes(&driver, bytes, size), RESP_AGAIN);
    cr_assert_eq(driver.command_count, 1);
    cr_assert_eq(driver.log_size, 4 + 4 + RESP_INLINE_SIZE_MAX);
    driver_fini(&driver);
    tracked_free(bytes);
}

Test(resp, too_big_count_strings) {
    /* '*' and 65535 digits (64 KiB in all) wait; one more byte is an error. */
    expect_boundary("*", '1', RESP_INLINE_SIZE_MAX - 1,
                    "Protocol error: too big mbulk count string");
    expect_boundary("*1\r\n$", '1', RESP_INLINE_SIZE_MAX - 1,
                    "Protocol error: too big bulk count string");
}

Test(resp, unbalanced_quotes) {
    const char *text = "Protocol error: unbalanced quotes in request";
    EXPECT_ERROR("set \"\"\"test-key\"\"\" test-value\r\n", text);
    EXPECT_ERROR("set \"foo\r\n", text);
    EXPECT_ERROR("set 'foo\r\n", text);
    EXPECT_ERROR("set \"foo\"bar\r\n", text);
    EXPECT_ERROR("set 'foo'bar\r\n", text);
    EXPECT_ERROR("set \"foo\\\"\r\n", text);  /* the escaped quote does not close */
    EXPECT_ERROR("set 'foo\\'\r\n", text);    /* \' inside single quotes is a quote */
    EXPECT_ERROR("set \"foo\\\r\n", text);    /* a trailing backslash */
}

Test(resp, unauthenticated_limits) {
    struct resp_limits limits = limits_default();
    limits.authenticated = false;
    expect_error("*11\r\n", 5, limits, "Protocol error: unauthenticated multibulk length");
    expect_error("*1\r\n$16385\r\n", 12, limits, "Protocol error: unauthenticated bulk length");

    struct driver driver;
    driver_init(&driver, 4);
    driver.limits = limits;
    cr_assert_eq(PARSE_LITERAL(&driver, "*10\r\n"), RESP_AGAIN);
    cr_assert_eq(driver.parser.argc_expected, 10);
    driver_fini(&driver);

    driver_init(&driver, 4);
    driver.limits = limits;
    cr_assert_eq(PARSE_LITERAL(&driver, "*1\r\n$16384\r\n"), RESP_AGAIN);
    cr_assert_eq(driver.parser.bulk_size, 16384);
    cr_assert_eq(driver.parser.error[0], 0);
    driver_fini(&driver);

    /* Once authenticated, both are fine. */
    driver_init(&driver, 4);
    cr_assert_eq(PARSE_LITERAL(&driver, "*11\r\n$16385\r\n"), RESP_AGAIN);
    cr_assert_eq(driver.parser.argc_expected, 11);
    cr_assert_eq(driver.parser.bulk_size, 16385);
    driver_fini(&driver);
}

/* ==== Quirks kept from Redis ==== */

Test(resp, crlf_after_payload_is_not_checked) {
    struct driver driver;
    driver_init(&driver, 4);
    cr_assert_eq(PARSE_LITERAL(&driver, "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n"), RESP_AGAIN);
    cr_assert_eq(driver.command_count, 2);
    static const char expected[] = "\1\0\0\0\4\0\0\0PING\1\0\0\0\4\0\0\0PING";
    cr_assert_eq(driver.log_size, sizeof(expected) - 1);
    cr_assert(memcmp(driver.log, expected, sizeof(expected) - 1) == 0);
    driver_fini(&driver);
}

Test(resp, header_line_ends_at_cr) {
    /* The byte after '\r' in a header is skipped unchecked. */
    struct driver driver;
    driver_init(&driver, 4);
    cr_assert_eq(PARSE_LITERAL(&driver, "*1\rX$4\rXPING\r\n"), RESP_AGAIN);
    cr_assert_eq(driver.command_count, 1);
    cr_assert_eq(driver.log_size, 4 + 4 + 4);
    cr_assert(memcmp(driver.log + 8, "PING", 4) == 0);
    driver_fini(&driver);
}

Test(resp, nul_before_newline_waits) {
    struct driver driver;
    driver_init(&driver, 4);
    cr_assert_eq(PARSE_LITERAL(&driver, "PI\0NG\r\n"), RESP_AGAIN);
    cr_assert_eq(driver.command_count, 0);
    cr_assert_eq(driver.parser.cursor, 0);
    driver_fini(&driver);

    driver_init(&driver, 4);
    cr_assert_eq(PARSE_LITERAL(&driver, "*1\0\r\n$4\r\nPING\r\n"), RESP_AGAIN);
    cr_assert_eq(driver.command_count, 0);
    driver_fini(&driver);

    /* A NUL inside a bulk payload is data. */
    driver_init(&driver, 4);
    cr_assert_eq(PARSE_LITERAL(&driver, "*1\r\n$3\r\n\0\0\0\r\n"), RESP_AGAIN);
    cr_assert_eq(driver.command_count, 1);
    driver_fini(&driver);
}

Test(resp, nul_hides_newline_until_the_line_limit) {
    uint32_t size = RESP_INLINE_SIZE_MAX + 1;
    uint8_t *bytes = tracked_alloc(size);
    memset(bytes, 'A', size);
    bytes[1] = 0;
    bytes[2] = '\n';
    struct driver driver;
    driver_init(&driver, 4);
    cr_assert_eq(driver_run(&driver, bytes, size - 1), RESP_AGAIN);
    cr_assert_eq(driver.command_count, 0);
    cr_assert_eq(driver_run(&driver, bytes, size), RESP_ERROR);
    cr_assert_str_eq(driver.parser.error, "Protocol error: too big inline request");
    driver_fini(&driver);
    tracked_free(bytes);
}

Test(resp, ignored_requests) {
    static const char *requests[] = { "*-1\r\n", "*0\r\n", "*-5\r\n", "\r\n", "\n",
                                      "   \r\n", "\t \n" };
    for (uint32_t index = 0; index < ARRAY_COUNT(requests); index++) {
        struct resp_parser parser;
        resp_parser_reset(&parser);
        struct slice items[4];
        struct resp_argv argv = { .items = items, .count = 0, .capacity = 4 };
        struct resp_limits limits = limits_default();
        uint8_t buffer[16];
        uint32_t size = (uint32_t)strlen(requests[index]);
        memcpy(buffer, requests[index], size);
        cr_assert_eq(resp_parse(&parser, buffer, size, &argv, &limits), RESP_EMPTY,
                     "request %u", index);
        cr_assert_eq(parser.cursor, size);
        cr_assert_eq(parser.command_start, size);
        cr_assert_eq(parser.argc_expected, -1);
        cr_assert_eq(argv.count, 0);
        cr_assert_eq(resp_parse(&parser, buffer, size, &argv, &limits), RESP_AGAIN);
    }
}

/* ==== Inline splitting (sdssplitargs) ==== */

struct inline_case {
    const char *line;
    uint32_t count;
    const char *args[4];
    uint32_t sizes[4];
};

static void expect_inline(const char *line, uint32_t count, const char *const *args,
                          const uint32_t *sizes) {
    struct driver driver;
    driver_init(&driver, 1);
    uint32_t size = (uint32_t)strlen(line);
    uint8_t *buffer = tracked_alloc(size);
    memcpy(buffer, line, size);
    enum resp_status status = driver_run(&driver, buffer, size);
    cr_assert_eq(status, RESP_AGAIN, "line '%s': %s", line, driver.parser.error);
    cr_assert_eq(driver.command_count, 1, "line '%s'", line);
    uint32_t offset = 0;
    uint32_t logged_count = 0;
    memcpy(&logged_count, driver.log, 4);
    cr_assert_eq(logged_count, count, "line '%s'", line);
    offset = 4;
    for (uint32_t index = 0; index < count; index++) {
        uint32_t arg_size = 0;
        memcpy(&arg_size, driver.log + offset, 4);
        offset += 4;
        cr_assert_eq(arg_size, sizes[index], "line '%s' arg %u", line, index);
        cr_assert(memcmp(driver.log + offset, args[index], arg_size) == 0, "line '%s' arg %u",
                  line, index);
        offset += arg_size;
    }
    tracked_free(buffer);
    driver_fini(&driver);
}

Test(resp, inline_quoting) {
    static const struct inline_case cases[] = {
        { "set a \"b c\"\r\n", 3, { "set", "a", "b c" }, { 3, 1, 3 } },
        { "echo \"\\x41\\x4a\\n\"\r\n", 2, { "echo", "AJ\n" }, { 4, 3 } },
        { "echo \"\\xZZ\"\r\n", 2, { "echo", "xZZ" }, { 4, 3 } },
        { "echo \"\\t\\r\\b\\a\\q\\\\\"\r\n", 2, { "echo", "\t\r\b\aq\\" }, { 4, 6 } },
        { "echo 'it\\'s'\r\n", 2, { "echo", "it's" }, { 4, 4 } },
        { "echo 'a\\nb'\r\n", 2, { "echo", "a\\nb" }, { 4, 4 } },
        { "echo \"\" ''\r\n", 3, { "echo", "", "" }, { 4, 0, 0 } },
        { "echo ab\"c d\"\r\n", 2, { "echo", "abc d" }, { 4, 5 } },
        { "echo \"a\"\t'b'\n", 3, { "echo", "a", "b" }, { 4, 1, 1 } },
        { "  lead   trail  \r\n", 2, { "lead", "trail" }, { 4, 5 } },
        { "a\rb\r\n", 2, { "a", "b" }, { 1, 1 } },
        { "echo \"\\x00\"\r\n", 2, { "echo", "\0" }, { 4, 1 } },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        expect_inline(cases[index].line, cases[index].count, cases[index].args,
                      cases[index].sizes);
    }
}

/*
 * BUG (reported): sdssplitargs ends an unquoted token only at ' ', '\n', '\r',
 * '\t' and NUL; '\v' and '\f' are ordinary bytes inside a token (they count
 * as blanks only between tokens and after a closing quote). Keel splits there.
 */
Test(resp, inline_vertical_tab_inside_token_is_data) {
    static const char *const args[] = { "echo", "a\vb", "c\fd" };
    static const uint32_t sizes[] = { 4, 3, 3 };
    expect_inline("echo a\vb c\fd\r\n", 3, args, sizes);
}

Test(resp, inline_vertical_tab_between_tokens_is_blank) {
    static const char *const args[] = { "echo", "a", "b" };
    static const uint32_t sizes[] = { 4, 1, 1 };
    expect_inline("\vecho \va \"b\"\f\r\n", 3, args, sizes);
}

Test(resp, inline_argv_full_then_complete) {
    /* Four tokens and room for one: the parser asks for four at once. */
    struct resp_parser parser;
    resp_parser_reset(&parser);
    struct slice one[1];
    struct slice four[4];
    struct resp_argv argv = { .items = one, .count = 0, .capacity = 1 };
    struct resp_limits limits = limits_default();
    uint8_t buffer[] = "a \"b\\x41\" c d\n";
    uint32_t size = (uint32_t)sizeof(buffer) - 1;
    cr_assert_eq(resp_parse(&parser, buffer, size, &argv, &limits), RESP_ARGV_FULL);
    cr_assert_eq(parser.argv_needed, 4);
    cr_assert_eq(argv.count, 0);
    cr_assert_eq(parser.cursor, 0);
    cr_assert(memcmp(buffer, "a \"b\\x41\" c d\n", size) == 0); /* untouched until it fits */
    argv = (struct resp_argv){ .items = four, .count = 0, .capacity = 4 };
    cr_assert_eq(resp_parse(&parser, buffer, size, &argv, &limits), RESP_COMMAND);
    cr_assert_eq(argv.count, 4);
    cr_assert(slice_equal(argv.items[1], slice_from_cstr("bA")));
    cr_assert(slice_equal(argv.items[3], slice_from_cstr("d")));
    cr_assert_eq(parser.cursor, size);
}

/* ==== Big arguments ==== */

struct big_fixture {
    struct resp_parser parser;
    struct slice items[8];
    struct resp_argv argv;
    struct resp_limits limits;
    uint8_t buffer[128];
    uint32_t end;
};

static void big_init(struct big_fixture *fixture, uint32_t capacity) {
    memset(fixture, 0, sizeof(*fixture));
    resp_parser_reset(&fixture->parser);
    fixture->argv = (struct resp_argv){ .items = fixture->items, .count = 0,
                                        .capacity = capacity };
    fixture->limits = limits_default();
    fixture->limits.big_arg_size = 16;
}

static void big_append(struct big_fixture *fixture, const char *bytes) {
    uint32_t size = (uint32_t)strlen(bytes);
    cr_assert_leq(fixture->end + size, sizeof(fixture->buffer));
    memcpy(fixture->buffer + fixture->end, bytes, size);
    fixture->end += size;
}

static enum resp_status big_parse(struct big_fixture *fixture) {
    return resp_parse(&fixture->parser, fixture->buffer, fixture->end, &fixture->argv,
                      &fixture->limits);
}

static const uint8_t big_value[20] = "0123456789abcdefghij";

/* The connection layer received the payload elsewhere: append it and continue. */
static void big_received(struct big_fixture *fixture) {
    cr_assert_eq(fixture->parser.bulk_size, 20);
    cr_assert_lt(fixture->argv.count, fixture->argv.capacity);
    fixture->argv.items[fixture->argv.count++] = (struct slice){ .ptr = big_value, .size = 20 };
    resp_parser_big_arg_done(&fixture->parser);
}

Test(resp, big_arg_last) {
    struct big_fixture fixture;
    big_init(&fixture, 8);
    big_append(&fixture, "*2\r\n$3\r\nSET\r\n$20\r\n");
    cr_assert_eq(big_parse(&fixture), RESP_BIG_ARG);
    cr_assert_eq(fixture.parser.cursor, fixture.end); /* at the payload */
    cr_assert_eq(fixture.argv.count, 1);
    big_received(&fixture);
    /* The two CRLF bytes after the payload are owed and arrive one at a time. */
    cr_assert_eq(big_parse(&fixture), RESP_AGAIN);
    big_append(&fixture, "\r");
    cr_assert_eq(big_parse(&fixture), RESP_AGAIN);
    big_append(&fixture, "\n");
    cr_assert_eq(big_parse(&fixture), RESP_COMMAND);
    cr_assert_eq(fixture.parser.cursor, fixture.end);
    cr_assert_eq(fixture.argv.count, 2);
    cr_assert(slice_equal(fixture.argv.items[0], slice_from_cstr("SET")));
    cr_assert_eq(fixture.argv.items[1].ptr, big_value);
    resp_parser_next_command(&fixture.parser, &fixture.argv);
    /* The stream continues normally. */
    big_append(&fixture, "*1\r\n$4\r\nPING\r\n");
    cr_assert_eq(big_parse(&fixture), RESP_COMMAND);
    cr_assert(slice_equal(fixture.argv.items[0], slice_from_cstr("PING")));
}

Test(resp, big_arg_in_the_middle) {
    struct big_fixture fixture;
    big_init(&fixture, 8);
    big_append(&fixture, "*3\r\n$3\r\nSET\r\n$20\r\n");
    cr_assert_eq(big_parse(&fixture), RESP_BIG_ARG);
    big_received(&fixture);
    big_append(&fixture, "\r\n$1\r\nx\r\n");
    cr_assert_eq(big_parse(&fixture), RESP_COMMAND);
    cr_assert_eq(fixture.argv.count, 3);
    cr_assert_eq(fixture.argv.items[1].ptr, big_value);
    cr_assert(slice_equal(fixture.argv.items[2], slice_from_cstr("x")));
    cr_assert_eq(fixture.parser.cursor, fixture.end);
}

Test(resp, big_arg_threshold) {
    /* bulk_size >= big_arg_size is big; one below is parsed in place. */
    struct big_fixture fixture;
    big_init(&fixture, 8);
    big_append(&fixture, "*1\r\n$15\r\n0123456789abcde\r\n");
    cr_assert_eq(big_parse(&fixture), RESP_COMMAND);
    cr_assert_eq(fixture.argv.items[0].size, 15);

    big_init(&fixture, 8);
    big_append(&fixture, "*1\r\n$16\r\n0123456789abcdef\r\n");
    cr_assert_eq(big_parse(&fixture), RESP_BIG_ARG);
    cr_assert_eq(fixture.parser.bulk_size, 16);
    cr_assert_eq(fixture.parser.cursor, 9);
}

/*
 * BUG (reported): a big argument's header that arrives when argv is full
 * returns RESP_ARGV_FULL; after the caller grows argv, the parser no longer
 * reports RESP_BIG_ARG (bulk_size is already set, so the header branch is
 * skipped) and waits for the whole payload in the query buffer instead.
 */
Test(resp, big_arg_after_argv_full) {
    struct big_fixture fixture;
    big_init(&fixture, 1);
    big_append(&fixture, "*2\r\n$1\r\na\r\n$20\r\n");
    cr_assert_eq(big_parse(&fixture), RESP_ARGV_FULL);
    cr_assert_eq(fixture.parser.argv_needed, 2);
    fixture.argv.capacity = 8; /* grown in place: items[] has room for 8 */
    cr_assert_eq(big_parse(&fixture), RESP_BIG_ARG);
    cr_assert_eq(fixture.parser.cursor, fixture.end);
}

/* ==== Relocation ==== */

Test(resp, relocate_mid_command) {
    static const char head[] = "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nva";
    uint32_t head_size = (uint32_t)sizeof(head) - 1;
    uint8_t *old_buffer = tracked_alloc(head_size);
    memcpy(old_buffer, head, head_size);
    struct resp_parser parser;
    resp_parser_reset(&parser);
    struct slice items[4];
    struct resp_argv argv = { .items = items, .count = 0, .capacity = 4 };
    struct resp_limits limits = limits_default();
    cr_assert_eq(resp_parse(&parser, old_buffer, head_size, &argv, &limits), RESP_COMMAND);
    resp_parser_next_command(&parser, &argv);
    cr_assert_eq(parser.command_start, 14);
    cr_assert_eq(resp_parse(&parser, old_buffer, head_size, &argv, &limits), RESP_AGAIN);
    cr_assert_eq(argv.count, 2);
    uint32_t cursor_before = parser.cursor;

    uint32_t from = parser.command_start;
    uint8_t new_buffer[64];
    memcpy(new_buffer, old_buffer + from, head_size - from);
    resp_parser_relocate(&parser, &argv, old_buffer, head_size, from, new_buffer);
    memset(old_buffer, 'Z', head_size);
    tracked_free(old_buffer);
    cr_assert_eq(parser.command_start, 0);
    cr_assert_eq(parser.cursor, cursor_before - from);
    cr_assert_eq(argv.items[0].ptr, new_buffer + 8);
    cr_assert(slice_equal(argv.items[0], slice_from_cstr("SET")));
    cr_assert(slice_equal(argv.items[1], slice_from_cstr("k")));

    uint32_t end = head_size - from;
    memcpy(new_buffer + end, "lue\r\n", 5);
    end += 5;
    cr_assert_eq(resp_parse(&parser, new_buffer, end, &argv, &limits), RESP_COMMAND);
    cr_assert_eq(argv.count, 3);
    cr_assert(slice_equal(argv.items[0], slice_from_cstr("SET")));
    cr_assert(slice_equal(argv.items[1], slice_from_cstr("k")));
    cr_assert(slice_equal(argv.items[2], slice_from_cstr("value")));
    cr_assert_eq(parser.cursor, end);
}

Test(resp, relocate_keeps_outside_pointers) {
    struct big_fixture fixture;
    big_init(&fixture, 8);
    big_append(&fixture, "*1\r\n$1\r\nx\r\n*3\r\n$3\r\nSET\r\n$20\r\n");
    cr_assert_eq(big_parse(&fixture), RESP_COMMAND);
    resp_parser_next_command(&fixture.parser, &fixture.argv);
    cr_assert_eq(big_parse(&fixture), RESP_BIG_ARG);
    big_received(&fixture);
    uint32_t from = fixture.parser.command_start;
    uint8_t target[128];
    memcpy(target, fixture.buffer + from, fixture.end - from);
    resp_parser_relocate(&fixture.parser, &fixture.argv, fixture.buffer, fixture.end, from,
                         target);
    cr_assert_eq(fixture.argv.items[0].ptr, target + 8);
    cr_assert_eq(fixture.argv.items[1].ptr, big_value);
    uint32_t end = fixture.end - from;
    memcpy(target + end, "\r\n$1\r\ny\r\n", 9);
    end += 9;
    cr_assert_eq(resp_parse(&fixture.parser, target, end, &fixture.argv, &fixture.limits),
                 RESP_COMMAND);
    cr_assert(slice_equal(fixture.argv.items[0], slice_from_cstr("SET")));
    cr_assert_eq(fixture.argv.items[1].ptr, big_value);
    cr_assert(slice_equal(fixture.argv.items[2], slice_from_cstr("y")));
}

/*
 * BUG (reported): relocation treats a pointer equal to old_base + old_end as
 * pointing into the moved bytes. A big argument's heap object can start
 * exactly there (the heap hands out neighbouring objects of one class, and
 * the connection layer relocates a full buffer, old_end == capacity), so its
 * pointer would be moved into the new buffer. No argument the parser makes
 * starts at `end`: every in-buffer argument is followed by its CRLF.
 */
Test(resp, relocate_keeps_pointer_just_past_the_buffer) {
    static uint8_t memory[128];
    static const char command[] = "*2\r\n$3\r\nSET\r\n$20\r\n";
    uint32_t command_size = (uint32_t)sizeof(command) - 1;
    uint32_t old_end = 64;
    /* Empty inline lines fill the front so the header ends exactly at old_end. */
    memset(memory, '\n', old_end - command_size);
    memcpy(memory + old_end - command_size, command, command_size);
    memcpy(memory + old_end, big_value, sizeof(big_value)); /* the neighbouring object */

    struct resp_parser parser;
    resp_parser_reset(&parser);
    struct slice items[4];
    struct resp_argv argv = { .items = items, .count = 0, .capacity = 4 };
    struct resp_limits limits = limits_default();
    limits.big_arg_size = 16;
    enum resp_status status = RESP_EMPTY;
    for (uint32_t round = 0; round < 100 && status == RESP_EMPTY; round++) {
        status = resp_parse(&parser, memory, old_end, &argv, &limits);
    }
    cr_assert_eq(status, RESP_BIG_ARG);
    cr_assert_eq(parser.cursor, old_end);
    argv.items[argv.count++] = (struct slice){ .ptr = memory + old_end, .size = 20 };
    resp_parser_big_arg_done(&parser);

    uint32_t from = parser.command_start;
    uint8_t target[64];
    memcpy(target, memory + from, old_end - from);
    resp_parser_relocate(&parser, &argv, memory, old_end, from, target);
    cr_assert_eq(argv.items[0].ptr, target + 8);
    cr_assert_eq(argv.items[1].ptr, memory + old_end, "the big argument was moved");
}

/* ==== parse_int64 (base.h; the parser uses it for every count) ==== */

static bool parse_int(const char *text, int64_t *value) {
    return parse_int64((const uint8_t *)text, (uint32_t)strlen(text), value);
}

Test(resp, parse_int64_accepts) {
    static const struct {
        const char *text;
        int64_t value;
    } cases[] = {
        { "0", 0 },
        { "1", 1 },
        { "-1", -1 },
        { "10", 10 },
        { "-99", -99 },
        { "9223372036854775807", INT64_MAX },
        { "-9223372036854775808", INT64_MIN },
        { "-9223372036854775807", -INT64_MAX },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        int64_t value = 12345;
        cr_assert(parse_int(cases[index].text, &value), "'%s'", cases[index].text);
        cr_assert_eq(value, cases[index].value, "'%s'", cases[index].text);
    }
}

Test(resp, parse_int64_rejects) {
    static const char *cases[] = {
        "",
        "-",
        "-0",
        "+1",
        "+0",
        "00",
        "01",
        "-01",
        " 1",
        "1 ",
        "1x",
        "0x10",
        "1.0",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999",
        "-99999999999999999999",
        "100000000000000000000",
        "--1",
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        int64_t value = 12345;
        cr_assert_not(parse_int(cases[index], &value), "'%s'", cases[index]);
        cr_assert_eq(value, 12345, "'%s' changed the value", cases[index]);
    }
}

Test(resp, parse_int64_uses_only_size_bytes) {
    int64_t value = 0;
    cr_assert(parse_int64((const uint8_t *)"12345", 2, &value));
    cr_assert_eq(value, 12);
    cr_assert(parse_int64((const uint8_t *)"-7x", 2, &value));
    cr_assert_eq(value, -7);
}
