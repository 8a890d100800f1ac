/*
 * plan.c: the memory plan. Every pool keel will ever use, with its count and
 * unit size, computed from the configuration before anything is reserved.
 * Each term is linear in one parameter (maxmemory, maxclients, the input
 * buffer size, the output pool size, databases, acl-users-max, acllog-max-len,
 * slowlog-max-len, pubsub-*-max): none multiplies two of them.
 */
#include "plan.h"

#include "blocking.h"
#include "multi.h"
#include "slowlog.h"

#include <stdio.h>


static void plan_add(struct plan *plan, const char *name, uint64_t count, uint64_t unit_size) {
    ASSERT(plan->pool_count < PLAN_POOL_COUNT_MAX);
    struct plan_pool *pool = &plan->pools[plan->pool_count++];
    pool->name = name;
    pool->count = count;
    pool->unit_size = unit_size;
    /* Each pool starts page-aligned in the arena. */
    pool->size = align_up(count * unit_size, 4096);
    plan->total_size += pool->size;
}

uint64_t plan_heap_size(uint64_t maxmemory) {
    uint64_t partial_slabs = (uint64_t)heap_partial_slab_pages(PLAN_PARTIAL_SLAB_SIZE_MAX) *
                             HEAP_PAGE_SIZE;
    return maxmemory + maxmemory / PLAN_HEAP_SLACK_FRACTION + partial_slabs;
}

uint32_t plan_socket_count(const struct config *config) {
    /* Clients, listeners and the few descriptors of the process itself. */
    return config->maxclients + PLAN_EXTRA_SOCKETS;
}

void plan_build(struct plan *plan, const struct config *config) {
    memset(plan, 0, sizeof(*plan));
    /* maxmemory bounds the bytes of live objects (used_memory); the pages that hold them
     * also hold the unused tails of slabs, so the heap gets an eighth more pages: what size
     * classes spaced 12.5% apart can waste. And the free slots of partly used slabs: one
     * slab of each small class, which compaction cannot empty when it holds collection
     * nodes (without it an 8 MB budget with a few collections refused writes at 85%). */
    uint64_t heap_size = plan_heap_size(config->maxmemory);
    plan->heap_page_count = (uint32_t)((heap_size + HEAP_PAGE_SIZE - 1) / HEAP_PAGE_SIZE);
    plan->output_chunk_count = (uint32_t)MAX(2, config->output_pool_size / OUTPUT_CHUNK_SIZE);
    /* The heap pages must be page-size aligned: the first pool, aligned by the mapping. */
    plan_add(plan, "heap_pages", plan->heap_page_count, HEAP_PAGE_SIZE);
    plan_add(plan, "heap_descriptors", plan->heap_page_count,
             heap_descriptor_size(plan->heap_page_count) / plan->heap_page_count);
    plan_add(plan, "clients", config->maxclients, sizeof(struct client));
    plan_add(plan, "input_buffers", config->maxclients, config->client_input_buffer_size);
    plan_add(plan, "output_chunks", plan->output_chunk_count, OUTPUT_CHUNK_SIZE);
    plan_add(plan, "databases", config->databases, sizeof(struct db));
    plan_add(plan, "io_completions", IO_COMPLETIONS_PER_TURN_MAX, sizeof(struct io_completion));
    plan_add(plan, "discard_buffer", 1, 64 * KIB);
    /* Query buffers past the fixed one and argv arrays past 16 arguments: a heap of
     * their own, so a full data budget never stops a client from reading or deleting. */
    plan->input_heap_page_count =
        (uint32_t)((config->input_pool_size + HEAP_PAGE_SIZE - 1) / HEAP_PAGE_SIZE);
    plan_add(plan, "input_heap_pages", plan->input_heap_page_count, HEAP_PAGE_SIZE);
    plan_add(plan, "input_heap_descriptors", plan->input_heap_page_count,
             heap_descriptor_size(plan->input_heap_page_count) / plan->input_heap_page_count);
    /* The epoll backend's per-socket state and completion ring (unused with io_uring). */
    uint32_t socket_count = plan_socket_count(config);
    plan_add(plan, "io_sockets", socket_count, io_epoll_memory_size(socket_count) / socket_count);
    /* ACL users: a fixed pool of records (acl-users-max), each with its place in
     * the name order; ACL SETUSER never allocates. */
    plan_add(plan, "acl_users", config->acl_users_max, acl_user_unit_size());
    /* The ACL log: a ring of acllog-max-len fixed entries (ACL LOG). */
    plan_add(plan, "acl_log", config->acllog_max_len, acl_log_entry_size());
    /* The slow log: a ring of slowlog-max-len fixed records (at least one, so the
     * pool exists when it is 0); CONFIG SET may lower the length, never raise it. */
    plan_add(plan, "slowlog", MAX(1, config->slowlog_max_len), slowlog_entry_size());
    /* Pub/sub: distinct channels, distinct patterns and subscriptions, each a fixed
     * record plus two lookup-table slots (pubsub-*-max, else a multiple of maxclients). */
    plan_add(plan, "pubsub_channels",
             pubsub_limit(config->pubsub_channels_max, config->maxclients,
                          PUBSUB_CHANNELS_PER_CLIENT),
             pubsub_target_unit_size());
    plan_add(plan, "pubsub_patterns",
             pubsub_limit(config->pubsub_patterns_max, config->maxclients,
                          PUBSUB_PATTERNS_PER_CLIENT),
             pubsub_target_unit_size());
    plan_add(plan, "pubsub_subscriptions",
             pubsub_limit(config->pubsub_subscriptions_max, config->maxclients,
                          PUBSUB_SUBSCRIPTIONS_PER_CLIENT),
             pubsub_subscription_unit_size());
    /* WATCH: watched-keys-max entries, each with a bucket head (else 8 per client). */
    plan_add(plan, "watched_keys", watch_capacity(config), watch_unit_size());
    /* Blocked clients (BLPOP & co.): per client slot its state, its deadline and two
     * buckets of the waited-keys table; the waiters themselves use the input heap. */
    plan_add(plan, "blocking", config->maxclients, blocking_unit_size());
    /* The mapping is 4 KiB aligned; each heap's pages need HEAP_PAGE_SIZE alignment. */
    plan_add(plan, "alignment_slack", 2, HEAP_PAGE_SIZE);
    ASSERT(plan->pool_count == PLAN_POOL_COUNT);
}

void plan_print(const struct plan *plan, int fd) {
    for (uint32_t index = 0; index < plan->pool_count; index++) {
        const struct plan_pool *pool = &plan->pools[index];
        dprintf(fd, "plan %-18s count %-10llu unit %-8llu bytes %llu\n", pool->name,
                (unsigned long long)pool->count, (unsigned long long)pool->unit_size,
                (unsigned long long)pool->size);
    }
    dprintf(fd, "total %llu bytes\n", (unsigned long long)plan->total_size);
}

