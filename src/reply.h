/*
 * reply.h: writing replies in RESP2 (and RESP3 later, behind the same calls).
 * Handlers only call these; the wire format is decided here alone.
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
void reply_null(struct reply *reply);        /* $-1 */
void reply_null_array(struct reply *reply);  /* *-1 */
void reply_array(struct reply *reply, uint64_t count);
void reply_map(struct reply *reply, uint64_t pair_count);
void reply_set(struct reply *reply, uint64_t count);
void reply_empty_array(struct reply *reply);
/* A double as Redis formats it in bulk replies (%.17g, inf/-inf). */
void reply_double(struct reply *reply, double value);
