/*
 * resp.h: the incremental request parser (RESP2 multibulk and inline).
 *
 * The parser reads a query buffer [0, end) from `cursor` on and appends
 * arguments to a caller-owned argv array. It never copies payload bytes:
 * arguments point into the buffer (or, for big arguments, into heap objects
 * the connection layer fills). When the buffer moves, resp_parser_relocate
 * fixes every pointer.
 *
 * Limits (Redis's, see shared/RELIABILITY.md A1): 64 KiB for an inline line
 * and for a count line; bulk length <= proto-max-bulk-len; before
 * authentication at most 10 arguments of at most 16 KiB each.
 */
#pragma once

#include "base.h"

#define RESP_INLINE_SIZE_MAX ((uint32_t)(64 * 1024))
#define RESP_UNAUTHENTICATED_ARGC_MAX 10
#define RESP_UNAUTHENTICATED_BULK_SIZE_MAX (16 * 1024)
#define RESP_MULTIBULK_COUNT_MAX ((int64_t)INT32_MAX)
#define RESP_ERROR_SIZE_MAX 96u

enum resp_status {
    RESP_COMMAND = 0,  /* argv holds a complete command; cursor is past it */
    RESP_AGAIN,        /* need more bytes */
    RESP_ERROR,        /* protocol error: reply parser->error and close */
    RESP_ARGV_FULL,    /* argv has no room: grow to at least argv_needed and call again */
    RESP_BIG_ARG,      /* a bulk of bulk_size >= big_arg_size follows at cursor */
    RESP_EMPTY,        /* an ignored request (*0, *-1, empty inline line) was consumed */
};

struct resp_limits {
    uint64_t bulk_size_max;   /* proto-max-bulk-len */
    uint32_t big_arg_size;    /* bulks this large are received into their own object */
    bool authenticated;
};

struct resp_argv {
    struct slice *items;
    uint32_t count;
    uint32_t capacity;
};

struct resp_parser {
    uint32_t cursor;          /* next byte to parse */
    uint32_t command_start;   /* first byte of the command being parsed */
    int64_t argc_expected;    /* -1 until a multibulk header is parsed */
    int64_t bulk_size;        /* -1 until a bulk header is parsed */
    uint32_t skip_size;       /* bytes to skip before the next header (CRLF after a big arg) */
    uint32_t argv_needed;     /* with RESP_ARGV_FULL */
    char error[RESP_ERROR_SIZE_MAX];
};

void resp_parser_reset(struct resp_parser *parser);

enum resp_status resp_parse(struct resp_parser *parser, uint8_t *buffer, uint32_t end,
                            struct resp_argv *argv, const struct resp_limits *limits);

/* After a command was run: the next request starts at the cursor. */
void resp_parser_next_command(struct resp_parser *parser, struct resp_argv *argv);

/*
 * After a big argument of parser->bulk_size bytes was received elsewhere and
 * appended to argv by the caller: continue with the next argument.
 */
void resp_parser_big_arg_done(struct resp_parser *parser);

/*
 * The buffer's bytes [from, end) moved to new_base (offset 0 there). Fixes
 * cursor, command_start and argv pointers that pointed into the old bytes.
 */
void resp_parser_relocate(struct resp_parser *parser, struct resp_argv *argv,
                          const uint8_t *old_base, uint32_t old_end, uint32_t from,
                          uint8_t *new_base);
