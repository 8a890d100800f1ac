/*
 * resp.c: the incremental RESP2 request parser (see resp.h).
 *
 * It mirrors Redis 7's processMultibulkBuffer/processInlineBuffer, including
 * their quirks, because clients and tests observe them:
 * - header lines end at '\r' and the byte after it is skipped unchecked;
 * - the two bytes after a bulk payload are skipped, not checked;
 * - a NUL byte ends the search for a line end (Redis uses strchr), so such a
 *   line waits until the 64 KiB line limit is reached;
 * - `*0` and `*-1` are consumed silently, as are empty inline lines.
 */
#include "resp.h"

void resp_parser_reset(struct resp_parser *parser) {
    ASSERT(parser != NULL);
    parser->cursor = 0;
    parser->command_start = 0;
    parser->argc_expected = -1;
    parser->bulk_size = -1;
    parser->skip_size = 0;
    parser->argv_needed = 0;
    parser->error[0] = 0;
}

/* Index of `target` in [from, end), or -1 if a NUL or the end comes first (strchr). */
static int64_t resp_find(const uint8_t *buffer, uint32_t from, uint32_t end, uint8_t target) {
    ASSERT(from <= end);
    for (uint32_t index = from; index < end; index++) {
        if (buffer[index] == target) {
            return index;
        }
        if (buffer[index] == 0) {
            return -1;
        }
    }
    return -1;
}

static enum resp_status resp_fail(struct resp_parser *parser, const char *text, int detail) {
    ASSERT(text != NULL);
    if (detail >= 0) {
        snprintf(parser->error, sizeof(parser->error), text, detail);
    } else {
        snprintf(parser->error, sizeof(parser->error), "%s", text);
    }
    return RESP_ERROR;
}

/*
 * Parses "<prefix><number>\r?" at the cursor. Returns RESP_COMMAND with *value
 * when a whole line is present, RESP_AGAIN when not, RESP_ERROR past the limit.
 */
static enum resp_status resp_header(struct resp_parser *parser, const uint8_t *buffer,
                                    uint32_t end, int64_t *value, bool *valid,
                                    const char *too_big) {
    int64_t newline = resp_find(buffer, parser->cursor, end, '\r');
    if (newline < 0) {
        if (end - parser->cursor > RESP_INLINE_SIZE_MAX) {
            return resp_fail(parser, too_big, -1);
        }
        return RESP_AGAIN;
    }
    if ((uint64_t)newline + 2 > end) {
        return RESP_AGAIN;
    }
    uint32_t digits_start = parser->cursor + 1;
    *valid = parse_int64(buffer + digits_start, (uint32_t)newline - digits_start, value);
    parser->cursor = (uint32_t)newline + 2;
    ASSERT(parser->cursor <= end);
    return RESP_COMMAND;
}

static enum resp_status resp_multibulk_header(struct resp_parser *parser, const uint8_t *buffer,
                                              uint32_t end, const struct resp_limits *limits) {
    int64_t count = 0;
    bool valid = false;
    enum resp_status status = resp_header(parser, buffer, end, &count, &valid,
                                          "Protocol error: too big mbulk count string");
    if (status != RESP_COMMAND) {
        return status;
    }
    if (!valid || count > RESP_MULTIBULK_COUNT_MAX) {
        return resp_fail(parser, "Protocol error: invalid multibulk length", -1);
    }
    if (!limits->authenticated && count > RESP_UNAUTHENTICATED_ARGC_MAX) {
        return resp_fail(parser, "Protocol error: unauthenticated multibulk length", -1);
    }
    if (count <= 0) {
        parser->command_start = parser->cursor;
        return RESP_EMPTY;
    }
    parser->argc_expected = count;
    return RESP_COMMAND;
}

static enum resp_status resp_bulk_header(struct resp_parser *parser, const uint8_t *buffer,
                                         uint32_t end, const struct resp_limits *limits) {
    uint32_t start = parser->cursor;
    int64_t size = 0;
    bool valid = false;
    enum resp_status status = resp_header(parser, buffer, end, &size, &valid,
                                          "Protocol error: too big bulk count string");
    if (status != RESP_COMMAND) {
        return status;
    }
    if (buffer[start] != '$') {
        return resp_fail(parser, "Protocol error: expected '$', got '%c'", buffer[start]);
    }
    if (!valid || size < 0 || (uint64_t)size > limits->bulk_size_max) {
        return resp_fail(parser, "Protocol error: invalid bulk length", -1);
    }
    if (!limits->authenticated && size > RESP_UNAUTHENTICATED_BULK_SIZE_MAX) {
        return resp_fail(parser, "Protocol error: unauthenticated bulk length", -1);
    }
    parser->bulk_size = size;
    return RESP_COMMAND;
}

/* Skips the bytes owed after a big argument; false while some are still missing. */
static bool resp_skip(struct resp_parser *parser, uint32_t end) {
    ASSERT(parser->cursor <= end);
    uint32_t skip = MIN(parser->skip_size, end - parser->cursor);
    parser->cursor += skip;
    parser->skip_size -= skip;
    return parser->skip_size == 0;
}

static enum resp_status resp_parse_multibulk(struct resp_parser *parser, uint8_t *buffer,
                                             uint32_t end, struct resp_argv *argv,
                                             const struct resp_limits *limits) {
    ASSERT(parser->argc_expected > 0);
    while ((int64_t)argv->count < parser->argc_expected) {
        if (!resp_skip(parser, end)) {
            return RESP_AGAIN;
        }
        if (argv->count == argv->capacity) {
            /* Before the header: a big argument must find room in argv when it starts. */
            parser->argv_needed = argv->count + 1;
            return RESP_ARGV_FULL;
        }
        if (parser->bulk_size < 0) {
            if (parser->cursor == end) {
                return RESP_AGAIN;
            }
            enum resp_status status = resp_bulk_header(parser, buffer, end, limits);
            if (status != RESP_COMMAND) {
                return status;
            }
            if (parser->bulk_size >= limits->big_arg_size) {
                return RESP_BIG_ARG;
            }
        }
        uint64_t bulk_size = (uint64_t)parser->bulk_size;
#ifdef KEEL_FUZZ_CANARY
        /* A planted off-by-one for the fuzzing canary build only; never shipped. */
        if ((uint64_t)(end - parser->cursor) < bulk_size + 1) {
#else
        if ((uint64_t)(end - parser->cursor) < bulk_size + 2) {
#endif
            return RESP_AGAIN;
        }
        argv->items[argv->count++] =
            (struct slice){ .ptr = buffer + parser->cursor, .size = (uint32_t)bulk_size };
        parser->cursor += (uint32_t)bulk_size + 2;
        parser->bulk_size = -1;
    }
    /* The CRLF after a final big argument belongs to the command. */
    return resp_skip(parser, end) ? RESP_COMMAND : RESP_AGAIN;
}

static bool resp_is_space(uint8_t c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

/* An unquoted token ends here (sdssplitargs: space, \n, \r, \t or NUL). */
static bool resp_ends_token(uint8_t c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0;
}

static int resp_hex_value(uint8_t c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static uint8_t resp_escape(uint8_t c) {
    switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'a': return '\a';
    default: return c;
    }
}

/*
 * Splits one token starting at *position (not a space) as sdssplitargs does.
 * With `write`, the unescaped bytes go to *out (never ahead of the input, so the
 * line is rewritten in place); without, the line is only scanned (for counting).
 * Returns false on unbalanced quotes.
 */
static bool resp_split_token(uint8_t *line, uint32_t size, uint32_t *position, uint32_t *out,
                             bool write) {
    uint32_t index = *position;
    uint32_t produced = *out;
    uint8_t quote = 0;
    bool closed = false;
    while (index < size && !closed) {
        uint8_t c = line[index];
        uint8_t byte = c;
        uint32_t consumed = 1;
        if (quote == '"' && c == '\\' && index + 3 < size && line[index + 1] == 'x' &&
            resp_hex_value(line[index + 2]) >= 0 && resp_hex_value(line[index + 3]) >= 0) {
            int high = resp_hex_value(line[index + 2]);
            byte = (uint8_t)(high * 16 + resp_hex_value(line[index + 3]));
            consumed = 4;
        } else if (quote == '"' && c == '\\' && index + 1 < size) {
            byte = resp_escape(line[index + 1]);
            consumed = 2;
        } else if (quote == '\'' && c == '\\' && index + 1 < size && line[index + 1] == '\'') {
            byte = '\'';
            consumed = 2;
        } else if (quote != 0 && c == quote) {
            /* A closing quote must end the token. */
            if (index + 1 < size && !resp_is_space(line[index + 1])) {
                return false;
            }
            index++;
            quote = 0;
            closed = true;
            continue;
        } else if (quote == 0 && resp_ends_token(c)) {
            break;
        } else if (quote == 0 && (c == '"' || c == '\'')) {
            quote = c;
            index++;
            continue;
        }
        if (write) {
            line[produced] = byte;
        }
        produced++;
        index += consumed;
    }
    if (quote != 0) {
        return false;
    }
    *position = index;
    *out = produced;
    return true;
}

/* Counts the tokens of a line without changing it; false on unbalanced quotes. */
static bool resp_count_tokens(uint8_t *line, uint32_t size, uint32_t *count) {
    uint32_t position = 0;
    uint32_t tokens = 0;
    for (uint32_t round = 0; round <= size; round++) {
        while (position < size && resp_is_space(line[position])) {
            position++;
        }
        if (position == size) {
            *count = tokens;
            return true;
        }
        uint32_t produced = 0;
        if (!resp_split_token(line, size, &position, &produced, false)) {
            return false;
        }
        tokens++;
    }
    ASSERT(false); /* each round consumes at least one byte */
    return false;
}

static enum resp_status resp_parse_inline(struct resp_parser *parser, uint8_t *buffer,
                                          uint32_t end, struct resp_argv *argv) {
    int64_t newline = resp_find(buffer, parser->cursor, end, '\n');
    if (newline < 0) {
        if (end - parser->cursor > RESP_INLINE_SIZE_MAX) {
            return resp_fail(parser, "Protocol error: too big inline request", -1);
        }
        return RESP_AGAIN;
    }
    uint32_t line_start = parser->cursor;
    uint32_t line_end = (uint32_t)newline;
    if (line_end > line_start && buffer[line_end - 1] == '\r') {
        line_end--;
    }
    uint8_t *line = buffer + line_start;
    uint32_t size = line_end - line_start;
    uint32_t count = 0;
    if (!resp_count_tokens(line, size, &count)) {
        return resp_fail(parser, "Protocol error: unbalanced quotes in request", -1);
    }
    if (count > argv->capacity) {
        parser->argv_needed = count;
        return RESP_ARGV_FULL;
    }
    uint32_t position = 0;
    uint32_t out = 0;
    for (uint32_t token = 0; token < count; token++) {
        while (position < size && resp_is_space(line[position])) {
            position++;
        }
        uint32_t token_start = out;
        bool balanced = resp_split_token(line, size, &position, &out, true);
        ASSERT(balanced);
        argv->items[argv->count++] =
            (struct slice){ .ptr = line + token_start, .size = out - token_start };
    }
    parser->cursor = (uint32_t)newline + 1;
    if (count == 0) {
        parser->command_start = parser->cursor;
        return RESP_EMPTY;
    }
    return RESP_COMMAND;
}

enum resp_status resp_parse(struct resp_parser *parser, uint8_t *buffer, uint32_t end,
                            struct resp_argv *argv, const struct resp_limits *limits) {
    ASSERT(parser->cursor <= end);
    ASSERT(argv->count <= argv->capacity);
    if (parser->argc_expected < 0) {
        if (parser->cursor == end) {
            return RESP_AGAIN;
        }
        ASSERT(argv->count == 0);
        if (buffer[parser->cursor] != '*') {
            return resp_parse_inline(parser, buffer, end, argv);
        }
        enum resp_status status = resp_multibulk_header(parser, buffer, end, limits);
        if (status != RESP_COMMAND) {
            return status;
        }
    }
    return resp_parse_multibulk(parser, buffer, end, argv, limits);
}

void resp_parser_next_command(struct resp_parser *parser, struct resp_argv *argv) {
    ASSERT(parser->skip_size == 0);
    parser->command_start = parser->cursor;
    parser->argc_expected = -1;
    parser->bulk_size = -1;
    argv->count = 0;
}

void resp_parser_big_arg_done(struct resp_parser *parser) {
    ASSERT(parser->bulk_size >= 0);
    ASSERT(parser->argc_expected > 0);
    parser->bulk_size = -1;
    parser->skip_size = 2;
}

void resp_parser_relocate(struct resp_parser *parser, struct resp_argv *argv,
                          const uint8_t *old_base, uint32_t old_end, uint32_t from,
                          uint8_t *new_base) {
    ASSERT(from <= parser->command_start);
    ASSERT(parser->cursor <= old_end);
    for (uint32_t index = 0; index < argv->count; index++) {
        const uint8_t *ptr = argv->items[index].ptr;
        /* Strictly below the end: a big argument's object may start right there. */
        if (ptr >= old_base + from && ptr < old_base + old_end) {
            argv->items[index].ptr = new_base + (ptr - (old_base + from));
        }
    }
    parser->cursor -= from;
    parser->command_start -= from;
}
