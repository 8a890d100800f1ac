/*
 * evict.c: eviction by maxmemory-policy (see evict.h).
 */
#include "evict.h"

static bool policy_volatile(enum maxmemory_policy policy) {
    return policy == POLICY_VOLATILE_LRU || policy == POLICY_VOLATILE_LFU ||
           policy == POLICY_VOLATILE_RANDOM || policy == POLICY_VOLATILE_TTL;
}

/* Higher is a better candidate. */
static uint64_t evict_score(const struct keyspace *keyspace, enum maxmemory_policy policy,
                            const struct item *item) {
    switch (policy) {
    case POLICY_ALLKEYS_LRU:
    case POLICY_VOLATILE_LRU:
        return item_lru_elapsed(keyspace->lru_clock, item->lru_clock);
    case POLICY_ALLKEYS_LFU:
    case POLICY_VOLATILE_LFU:
        return 255 - item_lfu_counter(keyspace, item);
    case POLICY_VOLATILE_TTL:
        return UINT64_MAX - (uint64_t)item_expire_at_ms(item);
    default:
        return 0; /* random: the first sample wins */
    }
}

/* A random database holding candidates for the policy, or NULL. */
static struct db *evict_pick_db(struct keyspace *keyspace, bool volatile_only) {
    uint32_t start = (uint32_t)(keyspace_random(keyspace) % keyspace->db_count);
    for (uint32_t offset = 0; offset < keyspace->db_count; offset++) {
        struct db *db = &keyspace->dbs[(start + offset) % keyspace->db_count];
        uint64_t candidates = volatile_only ? db->expires_count : db->index.count;
        if (candidates > 0) {
            return db;
        }
    }
    return NULL;
}

struct evict_choice {
    struct db *db;
    struct item *item;
    uint64_t score;
};

/*
 * volatile-*: keys with a TTL may be too rare for random draws to meet (Redis
 * samples its expires table instead). Walks the index from the database's
 * eviction cursor, at most EVICT_WALK_SLOTS_MAX slots across the databases
 * that have such keys, keeping the best of the first `samples` found; the
 * cursor persists, so successive calls cover the whole index.
 */
static bool evict_walk(struct keyspace *keyspace, enum maxmemory_policy policy, uint32_t samples,
                       struct evict_choice *best) {
    struct item *items[EVICT_WALK_BATCH];
    uint32_t slots_left = EVICT_WALK_SLOTS_MAX;
    uint32_t taken = 0;
    uint32_t start = (uint32_t)(keyspace_random(keyspace) % keyspace->db_count);
    for (uint32_t offset = 0; offset < keyspace->db_count && taken < samples; offset++) {
        struct db *db = &keyspace->dbs[(start + offset) % keyspace->db_count];
        bool done = false;
        for (uint32_t round = 0; db->expires_count > 0 && !done && slots_left > 0 &&
                                 taken < samples && round < EVICT_WALK_SLOTS_MAX; round++) {
            uint32_t slots = MIN(slots_left, EVICT_WALK_BATCH);
            uint32_t count = index_walk(&db->index, &db->evict_cursor, slots, items,
                                        EVICT_WALK_BATCH, &done);
            slots_left -= slots;
            for (uint32_t index = 0; index < count && taken < samples; index++) {
                if (!item_has_expire(items[index])) {
                    continue;
                }
                taken++;
                uint64_t score = evict_score(keyspace, policy, items[index]);
                if (best->item == NULL || score > best->score) {
                    *best = (struct evict_choice){ .db = db, .item = items[index],
                                                   .score = score };
                }
            }
        }
    }
    return best->item != NULL;
}

/* Samples keys and keeps the best candidate; false when none qualifies. */
static bool evict_sample(struct keyspace *keyspace, enum maxmemory_policy policy,
                         uint32_t samples, struct evict_choice *best) {
    bool volatile_only = policy_volatile(policy);
    uint32_t draws_max = samples * (volatile_only ? EVICT_DRAWS_PER_SAMPLE : 1u);
    *best = (struct evict_choice){ .db = NULL, .item = NULL, .score = 0 };
    for (uint32_t draw = 0, taken = 0; draw < draws_max && taken < samples; draw++) {
        struct db *db = evict_pick_db(keyspace, volatile_only);
        if (db == NULL) {
            return false;
        }
        struct item *item = index_random(&db->index, keyspace_random(keyspace));
        ASSERT(item != NULL);
        if (volatile_only && !item_has_expire(item)) {
            continue;
        }
        taken++;
        uint64_t score = evict_score(keyspace, policy, item);
        if (best->item == NULL || score > best->score) {
            *best = (struct evict_choice){ .db = db, .item = item, .score = score };
        }
        if (policy == POLICY_ALLKEYS_RANDOM || policy == POLICY_VOLATILE_RANDOM) {
            break;
        }
    }
    if (best->item == NULL && volatile_only) {
        return evict_walk(keyspace, policy, samples, best);
    }
    return best->item != NULL;
}

enum evict_result evict_until(struct keyspace *keyspace, enum maxmemory_policy policy,
                              uint32_t samples, uint64_t target_size, uint64_t incoming_size) {
    ASSERT(samples > 0);
    samples = MIN(samples, EVICT_SAMPLES_MAX);
    for (uint32_t evicted = 0; evicted < EVICT_KEYS_PER_CALL_MAX; evicted++) {
        if (keyspace->heap->used_size + incoming_size <= target_size) {
            return EVICT_OK;
        }
        struct evict_choice best;
        if (policy == POLICY_NOEVICTION || !evict_sample(keyspace, policy, samples, &best)) {
            return EVICT_FAIL;
        }
        db_delete(keyspace, best.db, best.item, index_hash(item_key(best.item)));
        keyspace->evicted_keys++;
    }
    return keyspace->heap->used_size + incoming_size <= target_size ? EVICT_OK : EVICT_RUNNING;
}
