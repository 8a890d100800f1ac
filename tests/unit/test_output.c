/*
 * test_output.c: unit tests for the reply chunk pool and per-client chains
 * (src/output.c).
 *
 * The chunks come from an anonymous mapping, as the arena's do, so the tests
 * can ask the kernel (mincore) whether a chunk's pages were ever touched.
 */
#define _DEFAULT_SOURCE
#include "output.h"

#include <criterion/criterion.h>
#include <sys/mman.h>
#include <unistd.h>

#define TEST_CHUNK_COUNT 64u
#define DATA OUTPUT_CHUNK_DATA_SIZE
#define PATTERN_SIZE_MAX (8u * OUTPUT_CHUNK_DATA_SIZE)
#define LIMIT_NONE ((uint64_t)1 << 40)

static struct output_pool pool;
static struct output_chunk *chunks;
static uint64_t mapping_size;
static uint8_t pattern[PATTERN_SIZE_MAX];
static uint8_t gathered[PATTERN_SIZE_MAX];

static void pool_setup(uint32_t chunk_count) {
    mapping_size = (uint64_t)chunk_count * sizeof(struct output_chunk);
    void *area = mmap(NULL, mapping_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    cr_assert(area != MAP_FAILED);
    chunks = area;
    output_pool_init(&pool, chunks, chunk_count);
    cr_assert_eq(pool.chunk_count, chunk_count);
    cr_assert_eq(pool.free_count, chunk_count);
    cr_assert_eq(pool.untouched_index, 0);
    cr_assert_eq(pool.free_head, OUTPUT_NONE);
}

static void setup(void) {
    pool_setup(TEST_CHUNK_COUNT);
    for (uint32_t index = 0; index < PATTERN_SIZE_MAX; index++) {
        pattern[index] = (uint8_t)(index * 7 + index / 251);
    }
}

static void teardown(void) {
    munmap(chunks, mapping_size);
}

TestSuite(output, .init = setup, .fini = teardown);

/* Copies every pending byte out through the iovec export; returns the count. */
static uint64_t gather(const struct output *output, uint32_t *iov_count) {
    struct iovec iov[TEST_CHUNK_COUNT];
    uint32_t count = output_iovecs(&pool, output, iov, TEST_CHUNK_COUNT);
    uint64_t size = 0;
    for (uint32_t index = 0; index < count; index++) {
        cr_assert_gt(iov[index].iov_len, 0);
        cr_assert_leq(size + iov[index].iov_len, PATTERN_SIZE_MAX);
        memcpy(gathered + size, iov[index].iov_base, iov[index].iov_len);
        size += iov[index].iov_len;
    }
    if (iov_count != NULL) {
        *iov_count = count;
    }
    cr_assert_eq(size, output->pending_size);
    return size;
}

static void expect_pending(const struct output *output, const uint8_t *bytes, uint64_t size) {
    cr_assert_eq(output->pending_size, size);
    cr_assert_eq(gather(output, NULL), size);
    cr_assert(memcmp(gathered, bytes, size) == 0);
}

/* Chunks reachable from the head (a chain never loops: bounded by the pool). */
static uint32_t chain_length(const struct output *output) {
    uint32_t length = 0;
    for (uint32_t index = output->head_index; index != OUTPUT_NONE;
         index = pool.chunks[index].next_index) {
        cr_assert_lt(length, pool.chunk_count);
        length++;
    }
    return length;
}

Test(output, init_is_empty) {
    struct output output;
    output_init(&output, 100);
    cr_assert(output_empty(&output));
    cr_assert_eq(output.head_index, OUTPUT_NONE);
    cr_assert_eq(output.tail_index, OUTPUT_NONE);
    cr_assert_eq(output.limit_size, 100);
    cr_assert_not(output.overflowed);
    struct iovec iov[4];
    cr_assert_eq(output_iovecs(&pool, &output, iov, 4), 0);
    output_write(&pool, &output, pattern, 0);
    cr_assert(output_empty(&output));
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT);
    cr_assert_eq(pool.untouched_index, 0);
}

Test(output, small_writes_share_a_chunk) {
    struct output output;
    output_init(&output, LIMIT_NONE);
    output_write(&pool, &output, "+OK\r\n", 5);
    output_write(&pool, &output, ":1\r\n", 4);
    cr_assert_eq(chain_length(&output), 1);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 1);
    expect_pending(&output, (const uint8_t *)"+OK\r\n:1\r\n", 9);
    output_release(&pool, &output);
}

Test(output, write_across_chunk_boundary) {
    struct output output;
    output_init(&output, LIMIT_NONE);
    output_write(&pool, &output, pattern, DATA - 3);
    cr_assert_eq(chain_length(&output), 1);
    output_write(&pool, &output, pattern + DATA - 3, 10);
    cr_assert_eq(chain_length(&output), 2);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 2);
    uint32_t iov_count = 0;
    cr_assert_eq(gather(&output, &iov_count), DATA + 7);
    cr_assert_eq(iov_count, 2);
    cr_assert(memcmp(gathered, pattern, DATA + 7) == 0);

    struct iovec iov[2];
    cr_assert_eq(output_iovecs(&pool, &output, iov, 2), 2);
    cr_assert_eq(iov[0].iov_len, DATA);
    cr_assert_eq(iov[1].iov_len, 7);
    cr_assert_eq(iov[0].iov_base, (void *)pool.chunks[output.head_index].data);
    cr_assert_eq(iov[1].iov_base, (void *)pool.chunks[output.tail_index].data);
    output_release(&pool, &output);
}

Test(output, exact_chunk_fill_takes_no_extra_chunk) {
    struct output output;
    output_init(&output, LIMIT_NONE);
    output_write(&pool, &output, pattern, DATA);
    cr_assert_eq(chain_length(&output), 1);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 1);
    output_write(&pool, &output, pattern + DATA, 1);
    cr_assert_eq(chain_length(&output), 2);
    expect_pending(&output, pattern, DATA + 1);
    output_release(&pool, &output);
}

Test(output, fills_every_byte_before_the_next_chunk) {
    struct output output;
    output_init(&output, LIMIT_NONE);
    output_write(&pool, &output, pattern, DATA - 1);
    output_write(&pool, &output, pattern + DATA - 1, 2);
    struct iovec iov[4];
    cr_assert_eq(output_iovecs(&pool, &output, iov, 4), 2);
    cr_assert_eq(iov[0].iov_len, DATA);
    cr_assert_eq(iov[1].iov_len, 1);
    expect_pending(&output, pattern, DATA + 1);
    output_release(&pool, &output);
}

Test(output, one_write_spanning_many_chunks) {
    struct output output;
    output_init(&output, LIMIT_NONE);
    uint64_t size = 3 * (uint64_t)DATA + 5;
    output_write(&pool, &output, pattern, size);
    cr_assert_eq(chain_length(&output), 4);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 4);
    uint32_t iov_count = 0;
    gather(&output, &iov_count);
    cr_assert_eq(iov_count, 4);
    expect_pending(&output, pattern, size);

    /* iov_max caps the export; the first entries are the oldest bytes. */
    struct iovec iov[2];
    cr_assert_eq(output_iovecs(&pool, &output, iov, 2), 2);
    cr_assert_eq(iov[0].iov_len, DATA);
    cr_assert(memcmp(iov[1].iov_base, pattern + DATA, DATA) == 0);
    output_release(&pool, &output);
}

Test(output, partial_consume) {
    struct output output;
    output_init(&output, LIMIT_NONE);
    uint64_t size = 2 * (uint64_t)DATA + 100;
    output_write(&pool, &output, pattern, size);
    uint32_t first = output.head_index;
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 3);

    output_consume(&pool, &output, 5);
    cr_assert_eq(output.head_index, first);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 3);
    expect_pending(&output, pattern + 5, size - 5);
    struct iovec iov[4];
    cr_assert_eq(output_iovecs(&pool, &output, iov, 4), 3);
    cr_assert_eq(iov[0].iov_base, (void *)(pool.chunks[first].data + 5));
    cr_assert_eq(iov[0].iov_len, DATA - 5);

    /* Finishing the first chunk releases it at once. */
    output_consume(&pool, &output, DATA - 5);
    cr_assert_neq(output.head_index, first);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 2);
    cr_assert_eq(pool.free_head, first);
    expect_pending(&output, pattern + DATA, size - DATA);

    /* Across a boundary in one call. */
    output_consume(&pool, &output, DATA + 1);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 1);
    expect_pending(&output, pattern + 2 * DATA + 1, 99);
    cr_assert_eq(output.head_index, output.tail_index);

    output_consume(&pool, &output, 99);
    cr_assert(output_empty(&output));
    cr_assert_eq(output.head_index, OUTPUT_NONE);
    cr_assert_eq(output.tail_index, OUTPUT_NONE);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT);
    cr_assert_eq(output_iovecs(&pool, &output, iov, 4), 0);

    /* Writing again reuses released chunks; untouched ones stay untouched. */
    output_write(&pool, &output, "x", 1);
    cr_assert_eq(pool.untouched_index, 3);
    expect_pending(&output, (const uint8_t *)"x", 1);
    output_release(&pool, &output);
}

Test(output, consume_zero_and_write_after_partial_consume) {
    struct output output;
    output_init(&output, LIMIT_NONE);
    output_write(&pool, &output, pattern, 10);
    output_consume(&pool, &output, 0);
    expect_pending(&output, pattern, 10);
    output_consume(&pool, &output, 4);
    output_write(&pool, &output, pattern + 10, 6);
    expect_pending(&output, pattern + 4, 12);
    cr_assert_eq(chain_length(&output), 1);
    output_release(&pool, &output);
}

Test(output, release_returns_every_chunk) {
    struct output first;
    struct output second;
    output_init(&first, LIMIT_NONE);
    output_init(&second, LIMIT_NONE);
    /* Interleaved, so the two chains alternate in the pool. */
    for (uint32_t round = 0; round < 4; round++) {
        output_write(&pool, &first, pattern + round * DATA, DATA);
        output_write(&pool, &second, pattern + round * 100, 100);
    }
    output_write(&pool, &first, pattern + 4 * DATA, 1);
    cr_assert_eq(chain_length(&first), 5);
    cr_assert_eq(chain_length(&second), 1);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 6);

    output_consume(&pool, &first, DATA + 3);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 5);
    output_release(&pool, &first);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 1);
    cr_assert(output_empty(&first));
    cr_assert_eq(first.head_index, OUTPUT_NONE);
    cr_assert_eq(first.tail_index, OUTPUT_NONE);
    expect_pending(&second, pattern, 400);

    output_release(&pool, &second);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT);
    /* Releasing an empty output changes nothing. */
    output_release(&pool, &second);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT);

    /* Every chunk can be acquired again: the free list holds them all once. */
    struct output all;
    output_init(&all, LIMIT_NONE);
    for (uint32_t index = 0; index < TEST_CHUNK_COUNT; index++) {
        output_write(&pool, &all, pattern, DATA);
    }
    cr_assert_not(all.overflowed);
    cr_assert_eq(pool.free_count, 0);
    cr_assert_eq(chain_length(&all), TEST_CHUNK_COUNT);
    output_release(&pool, &all);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT);
}

Test(output, limit_exact_and_plus_one) {
    struct output output;
    output_init(&output, 100);
    output_write(&pool, &output, pattern, 60);
    output_write(&pool, &output, pattern + 60, 40);
    cr_assert_not(output.overflowed);
    expect_pending(&output, pattern, 100);

    output_write(&pool, &output, pattern + 100, 1);
    cr_assert(output.overflowed);
    cr_assert_eq(output.pending_size, 100);
    expect_pending(&output, pattern, 100);
    output_release(&pool, &output);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT);
}

Test(output, limit_plus_one_in_one_write_writes_nothing) {
    struct output output;
    output_init(&output, 100);
    output_write(&pool, &output, pattern, 101);
    cr_assert(output.overflowed);
    cr_assert(output_empty(&output));
    cr_assert_eq(output.head_index, OUTPUT_NONE);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT);
    /* Later writes are dropped, even ones that would fit. */
    output_write(&pool, &output, pattern, 1);
    cr_assert(output_empty(&output));
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT);
    cr_assert_eq(pool.untouched_index, 0);
}

Test(output, limit_counts_pending_bytes) {
    struct output output;
    output_init(&output, 100);
    output_write(&pool, &output, pattern, 100);
    output_consume(&pool, &output, 30);
    output_write(&pool, &output, pattern + 100, 30);
    cr_assert_not(output.overflowed);
    expect_pending(&output, pattern + 30, 100);
    output_write(&pool, &output, pattern, 1);
    cr_assert(output.overflowed);
    cr_assert_eq(output.pending_size, 100);
    output_release(&pool, &output);
}

Test(output, limit_spanning_chunks) {
    struct output output;
    uint64_t limit = 2 * (uint64_t)DATA + 1;
    output_init(&output, limit);
    output_write(&pool, &output, pattern, limit);
    cr_assert_not(output.overflowed);
    cr_assert_eq(chain_length(&output), 3);
    output_write(&pool, &output, pattern, 1);
    cr_assert(output.overflowed);
    cr_assert_eq(chain_length(&output), 3);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT - 3);
    output_release(&pool, &output);
    cr_assert_eq(pool.free_count, TEST_CHUNK_COUNT);
}

Test(output, pool_exhaustion_marks_overflow) {
    teardown();
    pool_setup(2);
    struct output first;
    struct output second;
    output_init(&first, LIMIT_NONE);
    output_init(&second, LIMIT_NONE);
    output_write(&pool, &first, pattern, 2 * (uint64_t)DATA);
    cr_assert_not(first.overflowed);
    cr_assert_eq(pool.free_count, 0);
    expect_pending(&first, pattern, 2 * (uint64_t)DATA);

    output_write(&pool, &first, pattern, 1);
    cr_assert(first.overflowed);
    output_write(&pool, &second, pattern, 1);
    cr_assert(second.overflowed);
    cr_assert(output_empty(&second));
    cr_assert_eq(pool.free_count, 0);

    output_release(&pool, &first);
    output_release(&pool, &second);
    cr_assert_eq(pool.free_count, 2);
    /* A fresh output can use the returned chunks. */
    struct output third;
    output_init(&third, LIMIT_NONE);
    output_write(&pool, &third, pattern, 5);
    cr_assert_not(third.overflowed);
    expect_pending(&third, pattern, 5);
    output_release(&pool, &third);
}

Test(output, pool_exhaustion_in_the_middle_of_a_write) {
    teardown();
    pool_setup(2);
    struct output output;
    output_init(&output, LIMIT_NONE);
    output_write(&pool, &output, pattern, 3 * (uint64_t)DATA);
    cr_assert(output.overflowed);
    cr_assert_eq(pool.free_count, 0);
    cr_assert_leq(output.pending_size, 2 * (uint64_t)DATA);
    output_release(&pool, &output);
    cr_assert_eq(pool.free_count, 2);
}

static bool chunk_resident(uint32_t index) {
    long page_size = sysconf(_SC_PAGESIZE);
    cr_assert_gt(page_size, 0);
    unsigned char vector[sizeof(struct output_chunk) / 4096 + 1];
    uint64_t pages = sizeof(struct output_chunk) / (uint64_t)page_size;
    cr_assert_leq(pages, sizeof(vector));
    cr_assert_eq(mincore(&chunks[index], sizeof(struct output_chunk), vector), 0);
    for (uint64_t page = 0; page < pages; page++) {
        if (vector[page] & 1) {
            return true;
        }
    }
    return false;
}

Test(output, untouched_chunks_stay_untouched) {
    struct output first;
    struct output second;
    output_init(&first, LIMIT_NONE);
    output_init(&second, LIMIT_NONE);
    /* Many write/send cycles of one client use one chunk. */
    for (uint32_t round = 0; round < 1000; round++) {
        output_write(&pool, &first, pattern, 100 + round);
        output_consume(&pool, &first, 100 + round);
    }
    cr_assert_eq(pool.untouched_index, 1);
    /* Two clients with pending output need two. */
    output_write(&pool, &first, pattern, 10);
    output_write(&pool, &second, pattern, 10);
    cr_assert_eq(pool.untouched_index, 2);
    output_release(&pool, &first);
    output_release(&pool, &second);
    /* Both go back to the free list and are reused before any untouched chunk. */
    output_write(&pool, &first, pattern, 2 * (uint64_t)DATA);
    cr_assert_eq(pool.untouched_index, 2);
    output_write(&pool, &first, pattern, 1);
    cr_assert_eq(pool.untouched_index, 3);
    output_release(&pool, &first);

    cr_assert(chunk_resident(0));
    for (uint32_t index = pool.untouched_index; index < TEST_CHUNK_COUNT; index++) {
        cr_assert_not(chunk_resident(index), "chunk %u was touched", index);
    }
}
