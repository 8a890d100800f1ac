/*
 * evict.h: freeing memory by maxmemory-policy when the data budget is full.
 *
 * Redis's approximated algorithms: each eviction samples maxmemory-samples keys
 * at random positions of the index (across databases) and removes the best
 * candidate for the policy — the longest idle (LRU), the least frequently used
 * (LFU, Redis's logarithmic counter with decay), the nearest expiry (TTL), or
 * any (random); volatile-* policies consider only keys with a TTL, and when
 * random draws meet none (TTL keys are rare) they walk the index from a
 * per-database cursor instead, a bounded number of slots per call. Work per
 * call is bounded by EVICT_KEYS_PER_CALL_MAX evictions.
 */
#pragma once

#include "base.h"
#include "config.h"
#include "db.h"

#define EVICT_KEYS_PER_CALL_MAX 1024u
#define EVICT_SAMPLES_MAX 64u
#define EVICT_DRAWS_PER_SAMPLE 8u   /* volatile-*: random draws to find one key with a TTL */
#define EVICT_WALK_SLOTS_MAX (1u << 20) /* volatile-*: slots walked when draws find no TTL */
#define EVICT_WALK_BATCH 256u
#define EVICT_HEADROOM_FRACTION 1024u /* evict down to maxmemory - maxmemory/1024 */

enum evict_result {
    EVICT_OK = 0,       /* under the target */
    EVICT_RUNNING,      /* evicted the maximum for one call; still over */
    EVICT_FAIL,         /* over the target and nothing could be evicted */
};

/*
 * Evicts keys until heap used_size + incoming_size <= target_size, at most
 * EVICT_KEYS_PER_CALL_MAX of them. noeviction always answers EVICT_FAIL when over.
 */
enum evict_result evict_until(struct keyspace *keyspace, enum maxmemory_policy policy,
                              uint32_t samples, uint64_t target_size, uint64_t incoming_size);
