/*
 * output.c: the shared chunk pool and per-client reply chains (see output.h).
 */
#include "output.h"

void output_pool_init(struct output_pool *pool, struct output_chunk *chunks, uint32_t chunk_count) {
    ASSERT(chunks != NULL);
    ASSERT(chunk_count > 0);
    pool->chunks = chunks;
    pool->chunk_count = chunk_count;
    pool->free_count = chunk_count;
    pool->free_head = OUTPUT_NONE;
    pool->untouched_index = 0;
}

void output_init(struct output *output, uint64_t limit_size) {
    ASSERT(limit_size > 0);
    output->head_index = OUTPUT_NONE;
    output->tail_index = OUTPUT_NONE;
    output->pending_size = 0;
    output->limit_size = limit_size;
    output->soft_limit_size = 0;
    output->overflowed = false;
}

static uint32_t output_chunk_acquire(struct output_pool *pool) {
    if (pool->free_count == 0) {
        return OUTPUT_NONE;
    }
    uint32_t index = pool->free_head;
    if (index == OUTPUT_NONE) {
        ASSERT(pool->untouched_index < pool->chunk_count);
        index = pool->untouched_index++;
    } else {
        pool->free_head = pool->chunks[index].next_index;
    }
    ASSERT(index < pool->chunk_count);
    struct output_chunk *chunk = &pool->chunks[index];
    pool->free_count--;
    chunk->next_index = OUTPUT_NONE;
    chunk->start = 0;
    chunk->end = 0;
    return index;
}

static void output_chunk_release(struct output_pool *pool, uint32_t index) {
    ASSERT(index < pool->chunk_count);
    ASSERT(pool->free_count < pool->chunk_count);
    pool->chunks[index].next_index = pool->free_head;
    pool->free_head = index;
    pool->free_count++;
}

void output_write(struct output_pool *pool, struct output *output, const void *bytes,
                  uint64_t size) {
    if (output->overflowed) {
        return;
    }
    if (size > output->limit_size - MIN(output->limit_size, output->pending_size)) {
        output->overflowed = true;
        return;
    }
    const uint8_t *source = bytes;
    uint64_t remaining = size;
    while (remaining > 0) {
        struct output_chunk *tail = NULL;
        if (output->tail_index != OUTPUT_NONE) {
            tail = &pool->chunks[output->tail_index];
        }
        if (tail == NULL || tail->end == OUTPUT_CHUNK_DATA_SIZE) {
            uint32_t index = output_chunk_acquire(pool);
            if (index == OUTPUT_NONE) {
                output->overflowed = true;
                return;
            }
            if (tail == NULL) {
                output->head_index = index;
            } else {
                tail->next_index = index;
            }
            output->tail_index = index;
            tail = &pool->chunks[index];
        }
        uint32_t room = OUTPUT_CHUNK_DATA_SIZE - tail->end;
        uint32_t copy_size = (uint32_t)MIN((uint64_t)room, remaining);
        memcpy(tail->data + tail->end, source, copy_size);
        tail->end += copy_size;
        source += copy_size;
        remaining -= copy_size;
        output->pending_size += copy_size;
    }
}

uint32_t output_iovecs(const struct output_pool *pool, const struct output *output,
                       struct iovec *iov, uint32_t iov_max) {
    ASSERT(iov_max > 0);
    uint32_t count = 0;
    uint32_t index = output->head_index;
    while (index != OUTPUT_NONE && count < iov_max) {
        const struct output_chunk *chunk = &pool->chunks[index];
        ASSERT(chunk->start <= chunk->end);
        if (chunk->end > chunk->start) {
            iov[count].iov_base = (void *)(chunk->data + chunk->start);
            iov[count].iov_len = chunk->end - chunk->start;
            count++;
        }
        index = chunk->next_index;
    }
    return count;
}

void output_consume(struct output_pool *pool, struct output *output, uint64_t size) {
    ASSERT(size <= output->pending_size);
    output->pending_size -= size;
    while (output->head_index != OUTPUT_NONE) {
        struct output_chunk *chunk = &pool->chunks[output->head_index];
        uint32_t available = chunk->end - chunk->start;
        uint32_t take = (uint32_t)MIN((uint64_t)available, size);
        chunk->start += take;
        size -= take;
        if (chunk->start < chunk->end) {
            break;
        }
        /* A drained chunk goes back to the pool at once: idle clients hold none. */
        uint32_t next = chunk->next_index;
        output_chunk_release(pool, output->head_index);
        output->head_index = next;
        if (next == OUTPUT_NONE) {
            output->tail_index = OUTPUT_NONE;
        }
    }
    ASSERT(size == 0);
}

void output_release(struct output_pool *pool, struct output *output) {
    uint32_t index = output->head_index;
    uint32_t released = 0;
    while (index != OUTPUT_NONE) {
        ASSERT(released < pool->chunk_count);
        uint32_t next = pool->chunks[index].next_index;
        output_chunk_release(pool, index);
        index = next;
        released++;
    }
    output->head_index = OUTPUT_NONE;
    output->tail_index = OUTPUT_NONE;
    output->pending_size = 0;
}
