/*
 * plan.h: the memory plan (see plan.c). Pool order is fixed: main.c carves
 * the arena in this order (PLAN_POOL_* indices).
 */
#pragma once

#include "base.h"
#include "server.h"

enum plan_pool_index {
    PLAN_POOL_HEAP_PAGES = 0,
    PLAN_POOL_HEAP_DESCRIPTORS,
    PLAN_POOL_CLIENTS,
    PLAN_POOL_INPUT_BUFFERS,
    PLAN_POOL_OUTPUT_CHUNKS,
    PLAN_POOL_DATABASES,
    PLAN_POOL_IO_COMPLETIONS,
    PLAN_POOL_DISCARD_BUFFER,
    PLAN_POOL_INPUT_HEAP_PAGES,
    PLAN_POOL_INPUT_HEAP_DESCRIPTORS,
    PLAN_POOL_IO_SOCKETS,
    PLAN_POOL_ACL_USERS,
    PLAN_POOL_ACL_LOG,
    PLAN_POOL_SLOWLOG,
    PLAN_POOL_PUBSUB_CHANNELS,
    PLAN_POOL_PUBSUB_PATTERNS,
    PLAN_POOL_PUBSUB_SUBSCRIPTIONS,
    PLAN_POOL_WATCHED_KEYS,
    PLAN_POOL_BLOCKING,
    PLAN_POOL_ALIGNMENT_SLACK,
    PLAN_POOL_COUNT,
};

/* Descriptors beyond maxclients the io backend tracks (listeners, log, epoll, ...). */
#define PLAN_EXTRA_SOCKETS 64u

/* The data heap holds maxmemory of live objects plus 1/8 for size-class waste, plus
 * one slab of every class up to PLAN_PARTIAL_SLAB_SIZE_MAX (the single-page classes) for
 * partly used slabs: 52 pages, 3.25 MiB of address space, touched only when used. */
#define PLAN_HEAP_SLACK_FRACTION 8u
#define PLAN_PARTIAL_SLAB_SIZE_MAX ((uint32_t)8192)
uint64_t plan_heap_size(uint64_t maxmemory);

void plan_build(struct plan *plan, const struct config *config);

/* How many socket descriptors the io backend must be able to track. */
uint32_t plan_socket_count(const struct config *config);

/* One line per pool, then "total <N> bytes". */
void plan_print(const struct plan *plan, int fd);
