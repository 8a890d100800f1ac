/*
 * cmd_lcs.c: LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN], the
 * longest common subsequence of two strings (Redis 7.0's lcsCommand).
 *
 * Replies, error texts and the order of the checks are Redis 7.0.15's: both
 * keys are looked up (a missing key reads as an empty string), then their
 * types ("The specified keys must contain string values", not WRONGTYPE), then
 * the options left to right, then LEN with IDX, then the sizes. Options are
 * compared as Redis's strcasecmp does: an argument ends at its first NUL byte.
 * IDX lists the matches from the end of the strings backwards, as Redis's walk
 * finds them; in RESP3 its reply is a map.
 *
 * Memory: the dynamic-programming table has (size1 + 1) * (size2 + 1) 32-bit
 * cells, as Redis's. It is scratch: one data-heap object, freed before the
 * handler returns, with room after the cells for the LCS bytes:
 *
 *   | row 0 | row 1 | ... | row size1 |  LCS bytes (<= min(size1, size2))  |
 *     each row: size2 + 1 cells; cell (i, j) = LCS length of the prefixes
 *     source[0, i) and target[0, j)
 *
 * A table larger than proto-max-bulk-len is refused with Redis's text. When
 * the heap cannot hold a smaller one, the reply is Redis's text for its
 * ztrymalloc failing ("failed allocating transient memory for LCS"), not
 * -OOM: Redis answers exactly that when the allocation fails, LCS is not
 * denyoom, and it changes nothing in the dataset either way.
 *
 * Work: O(size1 * size2) to fill the table, as Redis; O(size1 + size2) per
 * walk back through it. IDX walks twice (once to count the matches its array
 * announces, once to write them): keel writes replies in order, with no
 * deferred lengths.
 */
#include "commands.h"

#include "db.h"
#include "heap.h"
#include "item.h"
#include "reply.h"
#include "server.h"

#include <stdint.h>
#include <string.h>

/* Bytes for an int64 in decimal, sign included, and a spare (item_string's digits). */
#define LCS_DIGITS_SIZE 24u
#define LCS_CELL_SIZE ((uint64_t)sizeof(uint32_t))
/* Redis refuses strings of this many bytes or more (its indexes are 32-bit). */
#define LCS_STRING_SIZE_LIMIT ((uint64_t)UINT32_MAX - 1)

static const char ERROR_LCS_NOT_STRING[] =
    "ERR The specified keys must contain string values";
static const char ERROR_LCS_LEN_AND_IDX[] =
    "ERR If you want both the length and indexes, please just use IDX.";
static const char ERROR_LCS_TOO_LONG[] = "ERR String too long for LCS";
static const char ERROR_LCS_OVER_BULK_LIMIT[] =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
static const char ERROR_LCS_NO_MEMORY[] =
    "ERR Insufficient memory, failed allocating transient memory for LCS";

struct lcs_options {
    bool length;               /* LEN */
    bool indexes;              /* IDX */
    bool with_match_length;    /* WITHMATCHLEN */
    uint64_t match_length_min; /* MINMATCHLEN (a negative value reads as 0) */
};

struct lcs_table {
    struct slice source;       /* key1's value */
    struct slice target;       /* key2's value */
    uint32_t *cells;           /* (source.size + 1) rows of (target.size + 1) cells */
};

/* The match being extended backwards by a walk: inclusive ends (Redis's arange/brange). */
struct lcs_range {
    bool open;
    uint32_t source_start;
    uint32_t source_end;
    uint32_t target_start;
    uint32_t target_end;
};

/* What one walk back through the table does with what it finds. */
struct lcs_walk {
    const struct lcs_table *table;
    uint64_t match_length_min;
    bool with_match_length;
    struct reply *reply;       /* where matches are written; NULL: only count them */
    uint8_t *bytes;            /* where the LCS bytes go; NULL: not wanted */
};

/* ==== Arguments ==== */

/* Redis compares options with strcasecmp: the argument ends at its first NUL byte. */
static bool lcs_option_is(struct slice argument, const char *lower) {
    ASSERT(lower != NULL);
    ASSERT(lower[0] != 0);
    if (argument.size > 0) {
        const uint8_t *nul = memchr(argument.ptr, 0, argument.size);
        if (nul != NULL) {
            argument.size = (uint32_t)(nul - argument.ptr);
        }
    }
    return slice_equal_nocase(argument, lower);
}

/* Parses the options from argument 3 on; replies Redis's error and returns false. */
static bool lcs_options_parse(struct client *client, struct lcs_options *options) {
    ASSERT(client->argv.count >= 3);
    ASSERT(options != NULL);
    *options = (struct lcs_options){ .length = false };
    uint32_t count = client->argv.count;
    for (uint32_t index = 3; index < count; index++) {
        struct slice option = client_arg(client, index);
        if (lcs_option_is(option, "idx")) {
            options->indexes = true;
        } else if (lcs_option_is(option, "len")) {
            options->length = true;
        } else if (lcs_option_is(option, "withmatchlen")) {
            options->with_match_length = true;
        } else if (lcs_option_is(option, "minmatchlen") && index + 1 < count) {
            int64_t value = 0;
            if (!argument_int64_or_reply(client, client_arg(client, index + 1), &value)) {
                return false;
            }
            options->match_length_min = value < 0 ? 0 : (uint64_t)value;
            index++;
        } else {
            reply_error(&client->reply, ERROR_SYNTAX);
            return false;
        }
    }
    if (options->length && options->indexes) {
        reply_error(&client->reply, ERROR_LCS_LEN_AND_IDX);
        return false;
    }
    return true;
}

/* A key's value for LCS: a missing key is the empty string. */
static struct slice lcs_value(const struct item *item, char *digits) {
    ASSERT(digits != NULL);
    if (item == NULL) {
        return (struct slice){ .ptr = (const uint8_t *)"", .size = 0 };
    }
    ASSERT(item->type == ITEM_STRING);
    return item_string(item, digits);
}

/* ==== The table ==== */

/*
 * The scratch object for the table and the LCS bytes, from the data heap; or
 * NULL after replying Redis's error (too large, or the heap has no room).
 */
static uint32_t *lcs_table_alloc(struct client *client, struct slice source,
                                 struct slice target) {
    ASSERT(source.size < LCS_STRING_SIZE_LIMIT);
    ASSERT(target.size < LCS_STRING_SIZE_LIMIT);
    /* Below 2^64: both factors are below 2^32. */
    uint64_t cell_count = ((uint64_t)source.size + 1) * ((uint64_t)target.size + 1);
    if (cell_count > UINT64_MAX / LCS_CELL_SIZE) {
        reply_error(&client->reply, ERROR_LCS_NO_MEMORY); /* Redis: its overflow check */
        return NULL;
    }
    uint64_t table_size = cell_count * LCS_CELL_SIZE;
    if (table_size > server.config.proto_max_bulk_len) {
        reply_error(&client->reply, ERROR_LCS_OVER_BULK_LIMIT);
        return NULL;
    }
    uint32_t *cells = heap_alloc(&server.heap, table_size + MIN(source.size, target.size));
    if (cells == NULL) {
        reply_error(&client->reply, ERROR_LCS_NO_MEMORY);
        return NULL;
    }
    return cells;
}

static uint32_t lcs_cell(const struct lcs_table *table, uint32_t source_index,
                         uint32_t target_index) {
    ASSERT(source_index <= table->source.size);
    ASSERT(target_index <= table->target.size);
    uint64_t width = (uint64_t)table->target.size + 1;
    return table->cells[(uint64_t)source_index * width + target_index];
}

/* Fills every cell, row by row: O(source.size * target.size). */
static void lcs_table_fill(const struct lcs_table *table) {
    ASSERT(table->cells != NULL);
    uint64_t width = (uint64_t)table->target.size + 1;
    uint32_t *cells = table->cells;
    for (uint64_t column = 0; column < width; column++) {
        cells[column] = 0;
    }
    for (uint64_t row = 1; row <= table->source.size; row++) {
        uint32_t *current = cells + row * width;
        const uint32_t *previous = current - width;
        uint8_t byte = table->source.ptr[row - 1];
        current[0] = 0;
        for (uint64_t column = 1; column < width; column++) {
            if (byte == table->target.ptr[column - 1]) {
                current[column] = previous[column - 1] + 1;
            } else {
                current[column] = MAX(previous[column], current[column - 1]);
            }
        }
    }
    ASSERT(lcs_cell(table, table->source.size, table->target.size) <=
           MIN(table->source.size, table->target.size));
}

/* ==== The walk back (Redis's, step for step) ==== */

/*
 * A match at source[source_index - 1] and target[target_index - 1]: opens a
 * range or extends the open one backwards. True when the range must be
 * emitted now: it reached the first byte of a string, or (which Redis's walk
 * never meets, a gap emits first) the match does not continue it.
 */
static bool lcs_range_extend(struct lcs_range *range, uint32_t source_index,
                             uint32_t target_index) {
    ASSERT(source_index > 0);
    ASSERT(target_index > 0);
    bool emit = false;
    if (!range->open) {
        *range = (struct lcs_range){ .open = true, .source_start = source_index - 1,
                                     .source_end = source_index - 1,
                                     .target_start = target_index - 1,
                                     .target_end = target_index - 1 };
    } else if (range->source_start == source_index && range->target_start == target_index) {
        range->source_start--;
        range->target_start--;
    } else {
        emit = true;
    }
    return emit || range->source_start == 0 || range->target_start == 0;
}

/* Counts the range, and writes it, when it is at least MINMATCHLEN long. */
static void lcs_range_emit(const struct lcs_walk *walk, const struct lcs_range *range,
                           uint32_t *count) {
    ASSERT(range->open);
    ASSERT(range->source_end >= range->source_start);
    uint32_t length = range->source_end - range->source_start + 1;
    ASSERT(range->target_end - range->target_start + 1 == length);
    if (walk->match_length_min != 0 && length < walk->match_length_min) {
        return;
    }
    (*count)++;
    struct reply *reply = walk->reply;
    if (reply == NULL) {
        return;
    }
    reply_array(reply, walk->with_match_length ? 3 : 2);
    reply_array(reply, 2);
    reply_integer(reply, range->source_start);
    reply_integer(reply, range->source_end);
    reply_array(reply, 2);
    reply_integer(reply, range->target_start);
    reply_integer(reply, range->target_end);
    if (walk->with_match_length) {
        reply_integer(reply, length);
    }
}

/*
 * Walks back from the last cell: a common byte is part of the LCS (written
 * backwards into walk->bytes) and extends the current match; otherwise the
 * walk moves towards the larger neighbour (the target's side on a tie) and
 * the match, if any, is emitted. Returns the matches at least MINMATCHLEN long.
 */
static uint32_t lcs_walk_run(const struct lcs_walk *walk) {
    const struct lcs_table *table = walk->table;
    uint32_t source_index = table->source.size;
    uint32_t target_index = table->target.size;
    uint32_t length = lcs_cell(table, source_index, target_index);
    struct lcs_range range = { .open = false };
    uint32_t count = 0;
    /* Each step moves back in one string or both. */
    uint64_t step_count_max = (uint64_t)source_index + target_index;
    for (uint64_t step = 0; step < step_count_max; step++) {
        if (source_index == 0 || target_index == 0) {
            break;
        }
        bool emit = false;
        uint8_t byte = table->source.ptr[source_index - 1];
        if (byte == table->target.ptr[target_index - 1]) {
            ASSERT(length > 0);
            if (walk->bytes != NULL) {
                walk->bytes[length - 1] = byte;
            }
            emit = lcs_range_extend(&range, source_index, target_index);
            length--;
            source_index--;
            target_index--;
        } else {
            if (lcs_cell(table, source_index - 1, target_index) >
                lcs_cell(table, source_index, target_index - 1)) {
                source_index--;
            } else {
                target_index--;
            }
            emit = range.open;
        }
        if (emit) {
            lcs_range_emit(walk, &range, &count);
            range.open = false;
        }
    }
    ASSERT(source_index == 0 || target_index == 0);
    ASSERT(length == 0);
    ASSERT(!range.open);
    return count;
}

/* ==== Replies ==== */

/* IDX: a map of "matches" (the array of ranges) and "len". */
static void lcs_reply_indexes(struct client *client, const struct lcs_table *table,
                              const struct lcs_options *options) {
    ASSERT(options->indexes);
    ASSERT(!options->length);
    struct lcs_walk walk = { .table = table, .match_length_min = options->match_length_min,
                             .with_match_length = options->with_match_length,
                             .reply = NULL, .bytes = NULL };
    uint32_t count = lcs_walk_run(&walk);
    reply_map(&client->reply, 2);
    reply_bulk_cstr(&client->reply, "matches");
    reply_array(&client->reply, count);
    walk.reply = &client->reply;
    uint32_t written = lcs_walk_run(&walk);
    ASSERT(written == count);
    reply_bulk_cstr(&client->reply, "len");
    reply_integer(&client->reply, lcs_cell(table, table->source.size, table->target.size));
}

static void lcs_reply(struct client *client, const struct lcs_table *table,
                      const struct lcs_options *options) {
    uint32_t length = lcs_cell(table, table->source.size, table->target.size);
    if (options->indexes) {
        lcs_reply_indexes(client, table, options);
    } else if (options->length) {
        reply_integer(&client->reply, length);
    } else {
        /* The bytes go after the cells (lcs_table_alloc made room for them). */
        uint64_t cell_count = ((uint64_t)table->source.size + 1) *
                              ((uint64_t)table->target.size + 1);
        uint8_t *bytes = (uint8_t *)(table->cells + cell_count);
        struct lcs_walk walk = { .table = table, .match_length_min = 0,
                                 .with_match_length = false, .reply = NULL, .bytes = bytes };
        (void)lcs_walk_run(&walk);
        reply_bulk(&client->reply, bytes, length);
    }
}

/* ==== LCS ==== */

void cmd_lcs(struct client *client) {
    ASSERT(client->argv.count >= 3);
    uint64_t hash = 0;
    const struct item *source_item = command_find(client, client_arg(client, 1), &hash);
    const struct item *target_item = command_find(client, client_arg(client, 2), &hash);
    if ((source_item != NULL && source_item->type != ITEM_STRING) ||
        (target_item != NULL && target_item->type != ITEM_STRING)) {
        reply_error(&client->reply, ERROR_LCS_NOT_STRING);
        return;
    }
    struct lcs_options options;
    if (!lcs_options_parse(client, &options)) {
        return;
    }
    char source_digits[LCS_DIGITS_SIZE];
    char target_digits[LCS_DIGITS_SIZE];
    struct lcs_table table = { .source = lcs_value(source_item, source_digits),
                               .target = lcs_value(target_item, target_digits),
                               .cells = NULL };
    if (table.source.size >= LCS_STRING_SIZE_LIMIT ||
        table.target.size >= LCS_STRING_SIZE_LIMIT) {
        reply_error(&client->reply, ERROR_LCS_TOO_LONG);
        return;
    }
    table.cells = lcs_table_alloc(client, table.source, table.target);
    if (table.cells == NULL) {
        return;
    }
    lcs_table_fill(&table);
    lcs_reply(client, &table, &options);
    heap_free(&server.heap, table.cells);
}
