/*
 * output.h: reply bytes waiting to be sent, as a chain of fixed-size chunks
 * drawn from one shared pool sized by the plan (output-pool-size).
 *
 *   pool:  [chunk][chunk][chunk][chunk] ... free list of indices
 *   client: head -> [sent|pending] -> [pending] -> [pending|free] <- tail
 *
 * A client's chain never exceeds its limit (client-output-buffer-limit hard
 * size, capped by the pool). Writing past the limit, or when the pool is
 * empty, marks the chain as overflowed: later writes are dropped and the
 * connection layer closes the client without sending anything further, as
 * Redis does for a client over its output limit.
 */
#pragma once

#include "base.h"

#include <sys/uio.h>

#define OUTPUT_CHUNK_SIZE ((uint32_t)(16 * 1024))
#define OUTPUT_CHUNK_DATA_SIZE (OUTPUT_CHUNK_SIZE - 16u)
#define OUTPUT_NONE UINT32_MAX

struct output_chunk {
    uint32_t next_index;  /* next chunk in a chain or in the free list */
    uint32_t start;       /* first byte not yet sent */
    uint32_t end;         /* first free byte */
    uint32_t reserved;
    uint8_t data[OUTPUT_CHUNK_DATA_SIZE];
};

STATIC_ASSERT(sizeof(struct output_chunk) == OUTPUT_CHUNK_SIZE, "chunk is exactly one unit");

struct output_pool {
    struct output_chunk *chunks;
    uint32_t chunk_count;
    uint32_t free_count;
    uint32_t free_head;        /* released chunks */
    uint32_t untouched_index;  /* chunks from here on were never used: pages stay untouched */
};

struct output {
    uint32_t head_index;
    uint32_t tail_index;
    uint64_t pending_size;   /* bytes written and not yet sent */
    uint64_t limit_size;     /* hard limit for this client */
    uint64_t soft_limit_size;
    bool overflowed;
};

void output_pool_init(struct output_pool *pool, struct output_chunk *chunks, uint32_t chunk_count);

void output_init(struct output *output, uint64_t limit_size);

/* Appends bytes; on overflow marks the output and drops them. */
void output_write(struct output_pool *pool, struct output *output, const void *bytes,
                  uint64_t size);

/* Fills up to iov_max iovecs with pending bytes; returns the count. */
uint32_t output_iovecs(const struct output_pool *pool, const struct output *output,
                       struct iovec *iov, uint32_t iov_max);

/* Drops `size` sent bytes from the front, releasing emptied chunks. */
void output_consume(struct output_pool *pool, struct output *output, uint64_t size);

/* Releases every chunk (on close or after overflow). */
void output_release(struct output_pool *pool, struct output *output);

/* Remembers the pending size so a reply can be rolled back (used for overflow checks). */
static inline bool output_empty(const struct output *output) {
    return output->pending_size == 0;
}
