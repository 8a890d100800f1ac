/*
 * reply.h: writing replies in RESP2 or RESP3 (reply->protocol, set by HELLO).
 * Handlers only call these; the wire format is decided here alone. In RESP2
 * every call writes what Redis 7.0 writes for a RESP2 client (maps and sets
 * as flat arrays, doubles and verbatim text as bulk strings, booleans as
 * integers); in RESP3 the typed forms (% ~ , = # _ >).
 */
#pragma once

#include "base.h"
#include "output.h"

struct reply {
    struct output_pool *pool;
    struct output *output;
    uint32_t protocol;     /* 2 or 3 */
    uint64_t error_count;  /* errors written through this reply (for stats) */
};

void reply_raw(struct reply *reply, const void *bytes, uint64_t size);
void reply_simple(struct reply *reply, const char *text);
void reply_ok(struct reply *reply);
/* `text` starts with the error code, e.g. "ERR syntax error"; CR/LF become spaces. */
void reply_error(struct reply *reply, const char *text);
void reply_errorf(struct reply *reply, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void reply_integer(struct reply *reply, int64_t value);
void reply_bulk(struct reply *reply, const void *bytes, uint64_t size);
void reply_bulk_slice(struct reply *reply, struct slice value);
void reply_bulk_cstr(struct reply *reply, const char *text);
void reply_bulk_int64(struct reply *reply, int64_t value);
/* A bulk string announced with its total size and written in pieces. */
void reply_bulk_header(struct reply *reply, uint64_t size);
void reply_bulk_trailer(struct reply *reply);
void reply_null(struct reply *reply);        /* $-1, RESP3 _ */
void reply_null_array(struct reply *reply);  /* *-1, RESP3 _ */
void reply_array(struct reply *reply, uint64_t count);
void reply_map(struct reply *reply, uint64_t pair_count);  /* *2n, RESP3 %n */
void reply_set(struct reply *reply, uint64_t count);       /* *n, RESP3 ~n */
/* An out-of-band message (pub/sub): *n, RESP3 >n. */
void reply_push(struct reply *reply, uint64_t count);
void reply_empty_array(struct reply *reply);
/* A double as Redis's addReplyDouble: %.17g (inf/-inf) in a bulk string, RESP3 `,`. */
void reply_double(struct reply *reply, double value);
/* A double always as a bulk string (%.17g, inf/-inf), as Redis writes scores in ZSCAN. */
void reply_double_bulk(struct reply *reply, double value);
/*
 * An array of `pair_count` pairs (ZRANGE WITHSCORES, HRANDFIELD WITHVALUES):
 * one flat array of 2n elements in RESP2; in RESP3 an array of n two-element
 * arrays, each opened by reply_pair before its two elements.
 */
void reply_pair_array(struct reply *reply, uint64_t pair_count);
void reply_pair(struct reply *reply);
/* A boolean: :1 / :0, RESP3 #t / #f. */
void reply_bool(struct reply *reply, bool value);
/* Text as Redis's addReplyVerbatim: a bulk string, RESP3 =<size>\r\n<format>:<text>.
 * `format` is exactly three characters ("txt"). */
void reply_verbatim(struct reply *reply, const void *bytes, uint64_t size,
                    const char *format);
/* The verbatim header alone, for text written in pieces (size excludes the format). */
void reply_verbatim_header(struct reply *reply, uint64_t size, const char *format);
