/*
 * pubsub.c: the channel, pattern and subscription pools (see pubsub.h), and
 * the hooks the connection and dispatch layers call.
 *
 * Invariants:
 * - A target is live iff it has at least one subscription; the last
 *   unsubscribe releases it (and its heap name) at once, as Redis deletes an
 *   empty channel.
 * - Every subscription is on exactly one target list and one client list, and
 *   in the subscription table; counts on the client, the target and the pool
 *   match the lists.
 * - Tables use linear probing with backward-shift deletion and stay at most
 *   half full (PUBSUB_TABLE_FACTOR slots per record), so a probe always ends.
 */
#include "pubsub.h"

#include "commands.h"
#include "glob.h"
#include "heap.h"
#include "index.h"
#include "server.h"

struct pubsub pubsub_global;

/* ==== Records (index i, 1-based, is array element i - 1) ==== */

static struct pubsub_subscription *subscription_at(const struct pubsub *pubsub, uint32_t index) {
    ASSERT(index != PUBSUB_NONE);
    ASSERT(index <= pubsub->subscription_max);
    return &pubsub->subscriptions[index - 1];
}

static struct pubsub_target *space_target(const struct pubsub_space *space, uint32_t index) {
    ASSERT(index != PUBSUB_NONE);
    ASSERT(index <= space->count_max);
    return &space->targets[index - 1];
}

/* ==== Tables ==== */

typedef uint64_t (*pubsub_hash_of)(const struct pubsub *pubsub, uint32_t kind, uint32_t entry);

static uint32_t table_home(const struct pubsub_table *table, uint64_t hash) {
    ASSERT(table->size > 0);
    return (uint32_t)(((hash >> 32) * table->size) >> 32);
}

static uint32_t table_next(const struct pubsub_table *table, uint32_t position) {
    ASSERT(position < table->size);
    return position + 1 == table->size ? 0 : position + 1;
}

static void table_insert(struct pubsub_table *table, uint64_t hash, uint32_t entry) {
    ASSERT(entry != PUBSUB_NONE);
    uint32_t position = table_home(table, hash);
    for (uint32_t probe = 0; probe < table->size; probe++) {
        if (table->slots[position] == PUBSUB_NONE) {
            table->slots[position] = entry;
            return;
        }
        position = table_next(table, position);
    }
    ASSERT(false); /* at most half full */
}

/* Removes the entry at `position`, shifting later entries of the cluster back. */
static void table_remove(const struct pubsub *pubsub, struct pubsub_table *table,
                         uint32_t position, pubsub_hash_of hash_of, uint32_t kind) {
    ASSERT(position < table->size);
    ASSERT(table->slots[position] != PUBSUB_NONE);
    uint32_t hole = position;
    uint32_t cursor = position;
    for (uint32_t probe = 1; probe < table->size; probe++) {
        cursor = table_next(table, cursor);
        uint32_t entry = table->slots[cursor];
        if (entry == PUBSUB_NONE) {
            break;
        }
        uint32_t home = table_home(table, hash_of(pubsub, kind, entry));
        /* The entry stays when its home lies cyclically in (hole, cursor]. */
        bool stays = hole <= cursor ? (home > hole && home <= cursor)
                                    : (home > hole || home <= cursor);
        if (!stays) {
            table->slots[hole] = entry;
            hole = cursor;
        }
    }
    table->slots[hole] = PUBSUB_NONE;
}

static uint64_t mix64(uint64_t value) {
    value ^= value >> 33;
    value *= 0xff51afd7ed558ccdull;
    value ^= value >> 33;
    value *= 0xc4ceb9fe1a85ec53ull;
    value ^= value >> 33;
    return value;
}

static uint64_t subscription_key_hash(uint32_t client_slot, uint32_t kind, uint32_t target) {
    ASSERT(kind <= PUBSUB_PATTERN);
    return mix64(((uint64_t)client_slot << 32) ^ ((uint64_t)kind << 31) ^ target);
}

static uint64_t target_hash_of(const struct pubsub *pubsub, uint32_t kind, uint32_t entry) {
    return pubsub_target_at(pubsub, (enum pubsub_kind)kind, entry)->hash;
}

static uint64_t subscription_hash_of(const struct pubsub *pubsub, uint32_t kind,
                                     uint32_t entry) {
    (void)kind;
    ASSERT(entry != PUBSUB_NONE && entry <= pubsub->subscription_max);
    const struct pubsub_subscription *subscription = subscription_at(pubsub, entry);
    return subscription_key_hash(subscription->client_slot, subscription->kind,
                                 subscription->target);
}

/* ==== Setup ==== */

uint64_t pubsub_target_unit_size(void) {
    return sizeof(struct pubsub_target) + PUBSUB_TABLE_FACTOR * sizeof(uint32_t);
}

uint64_t pubsub_subscription_unit_size(void) {
    return sizeof(struct pubsub_subscription) + PUBSUB_TABLE_FACTOR * sizeof(uint32_t);
}

uint32_t pubsub_limit(uint32_t configured, uint32_t maxclients, uint32_t per_client) {
    ASSERT(per_client > 0);
    if (configured != 0) {
        return configured;
    }
    uint64_t derived = (uint64_t)maxclients * per_client;
    return (uint32_t)MAX(1, MIN(derived, (uint64_t)PUBSUB_LIMIT_MAX));
}

/*
 * A pool area: `count` records (record index i is element i - 1: index 0 is
 * "none"), then count * PUBSUB_TABLE_FACTOR table slots.
 */
static void space_init(struct pubsub_space *space, void *memory, uint32_t count) {
    ASSERT(memory != NULL);
    ASSERT(count > 0 && count <= PUBSUB_LIMIT_MAX);
    struct pubsub_target *records = memory;
    space->targets = records;
    space->table.slots = (uint32_t *)(records + count);
    space->table.size = count * PUBSUB_TABLE_FACTOR;
    space->count_max = count;
    space->count = 0;
    space->free_head = PUBSUB_NONE;
    space->untouched = 1;
    space->live_head = PUBSUB_NONE;
    space->live_tail = PUBSUB_NONE;
}

void pubsub_init(struct pubsub *pubsub, struct heap *heap, void *channels,
                 uint32_t channel_max, void *patterns, uint32_t pattern_max,
                 void *subscriptions, uint32_t subscription_max) {
    ASSERT(heap != NULL);
    ASSERT(subscriptions != NULL);
    ASSERT(subscription_max > 0 && subscription_max <= PUBSUB_LIMIT_MAX);
    memset(pubsub, 0, sizeof(*pubsub));
    pubsub->heap = heap;
    space_init(&pubsub->spaces[PUBSUB_CHANNEL], channels, channel_max);
    space_init(&pubsub->spaces[PUBSUB_PATTERN], patterns, pattern_max);
    struct pubsub_subscription *records = subscriptions;
    pubsub->subscriptions = records;
    pubsub->subscription_table.slots = (uint32_t *)(records + subscription_max);
    pubsub->subscription_table.size = subscription_max * PUBSUB_TABLE_FACTOR;
    pubsub->subscription_max = subscription_max;
    pubsub->subscription_free_head = PUBSUB_NONE;
    pubsub->subscription_untouched = 1;
}

/* ==== Targets ==== */

static uint32_t target_position(const struct pubsub *pubsub, enum pubsub_kind kind,
                                struct slice name, uint64_t hash) {
    const struct pubsub_space *space = &pubsub->spaces[kind];
    const struct pubsub_table *table = &space->table;
    uint32_t position = table_home(table, hash);
    for (uint32_t probe = 0; probe < table->size; probe++) {
        uint32_t entry = table->slots[position];
        if (entry == PUBSUB_NONE) {
            return UINT32_MAX;
        }
        const struct pubsub_target *target = space_target(space, entry);
        if (target->hash == hash && slice_equal(pubsub_target_name(target), name)) {
            return position;
        }
        position = table_next(table, position);
    }
    return UINT32_MAX;
}

uint32_t pubsub_find(const struct pubsub *pubsub, enum pubsub_kind kind, struct slice name) {
    ASSERT(kind <= PUBSUB_PATTERN);
    uint32_t position = target_position(pubsub, kind, name, index_hash(name));
    if (position == UINT32_MAX) {
        return PUBSUB_NONE;
    }
    return pubsub->spaces[kind].table.slots[position];
}

/* A new live target (the caller checked the pool has room). NONE: no heap room. */
static uint32_t target_create(struct pubsub *pubsub, enum pubsub_kind kind, struct slice name,
                              uint64_t hash) {
    struct pubsub_space *space = &pubsub->spaces[kind];
    ASSERT(space->count < space->count_max);
    const uint8_t *stored = NULL;
    if (name.size > PUBSUB_NAME_INLINE_SIZE) {
        uint8_t *copy = heap_alloc(pubsub->heap, name.size);
        if (copy == NULL) {
            return PUBSUB_NONE;
        }
        memcpy(copy, name.ptr, name.size);
        stored = copy;
    }
    uint32_t index = space->free_head;
    if (index != PUBSUB_NONE) {
        space->free_head = space_target(space, index)->live_next;
    } else {
        ASSERT(space->untouched <= space->count_max);
        index = space->untouched++;
    }
    struct pubsub_target *target = space_target(space, index);
    memset(target, 0, sizeof(*target));
    if (stored == NULL) {
        memcpy(target->name_inline, name.ptr, name.size);
        stored = target->name_inline;
    }
    target->name = stored;
    target->name_size = name.size;
    target->hash = hash;
    target->live_previous = space->live_tail;
    if (space->live_tail == PUBSUB_NONE) {
        space->live_head = index;
    } else {
        space_target(space, space->live_tail)->live_next = index;
    }
    space->live_tail = index;
    table_insert(&space->table, hash, index);
    space->count++;
    return index;
}

static void target_release(struct pubsub *pubsub, enum pubsub_kind kind, uint32_t index) {
    struct pubsub_space *space = &pubsub->spaces[kind];
    struct pubsub_target *target = space_target(space, index);
    ASSERT(target->subscriber_count == 0);
    ASSERT(space->count > 0);
    uint32_t position = target_position(pubsub, kind, pubsub_target_name(target), target->hash);
    ASSERT(position != UINT32_MAX && space->table.slots[position] == index);
    table_remove(pubsub, &space->table, position, target_hash_of, kind);
    if (target->live_previous == PUBSUB_NONE) {
        space->live_head = target->live_next;
    } else {
        space_target(space, target->live_previous)->live_next = target->live_next;
    }
    if (target->live_next == PUBSUB_NONE) {
        space->live_tail = target->live_previous;
    } else {
        space_target(space, target->live_next)->live_previous = target->live_previous;
    }
    if (target->name != target->name_inline) {
        heap_free(pubsub->heap, (void *)target->name);
    }
    target->name = NULL;
    target->live_next = space->free_head;
    space->free_head = index;
    space->count--;
}

/* ==== Subscriptions ==== */

static uint32_t subscription_position(const struct pubsub *pubsub, uint32_t client_slot,
                                      uint32_t kind, uint32_t target) {
    const struct pubsub_table *table = &pubsub->subscription_table;
    uint32_t position = table_home(table, subscription_key_hash(client_slot, kind, target));
    for (uint32_t probe = 0; probe < table->size; probe++) {
        uint32_t entry = table->slots[position];
        if (entry == PUBSUB_NONE) {
            return UINT32_MAX;
        }
        const struct pubsub_subscription *subscription = subscription_at(pubsub, entry);
        if (subscription->client_slot == client_slot && subscription->kind == kind &&
            subscription->target == target) {
            return position;
        }
        position = table_next(table, position);
    }
    return UINT32_MAX;
}

static void subscription_link(struct pubsub *pubsub, struct pubsub_client *state,
                              uint32_t index) {
    struct pubsub_subscription *subscription = subscription_at(pubsub, index);
    struct pubsub_target *target =
        pubsub_target_at(pubsub, (enum pubsub_kind)subscription->kind, subscription->target);
    subscription->target_previous = target->subscriber_tail;
    subscription->target_next = PUBSUB_NONE;
    if (target->subscriber_tail == PUBSUB_NONE) {
        target->subscriber_head = index;
    } else {
        subscription_at(pubsub, target->subscriber_tail)->target_next = index;
    }
    target->subscriber_tail = index;
    target->subscriber_count++;
    subscription->client_previous = state->tail;
    subscription->client_next = PUBSUB_NONE;
    if (state->tail == PUBSUB_NONE) {
        state->head = index;
    } else {
        subscription_at(pubsub, state->tail)->client_next = index;
    }
    state->tail = index;
}

static void subscription_unlink(struct pubsub *pubsub, struct pubsub_client *state,
                                uint32_t index) {
    struct pubsub_subscription *subscription = subscription_at(pubsub, index);
    struct pubsub_target *target =
        pubsub_target_at(pubsub, (enum pubsub_kind)subscription->kind, subscription->target);
    ASSERT(target->subscriber_count > 0);
    if (subscription->target_previous == PUBSUB_NONE) {
        target->subscriber_head = subscription->target_next;
    } else {
        subscription_at(pubsub, subscription->target_previous)->target_next =
            subscription->target_next;
    }
    if (subscription->target_next == PUBSUB_NONE) {
        target->subscriber_tail = subscription->target_previous;
    } else {
        subscription_at(pubsub, subscription->target_next)->target_previous =
            subscription->target_previous;
    }
    target->subscriber_count--;
    if (subscription->client_previous == PUBSUB_NONE) {
        state->head = subscription->client_next;
    } else {
        subscription_at(pubsub, subscription->client_previous)->client_next =
            subscription->client_next;
    }
    if (subscription->client_next == PUBSUB_NONE) {
        state->tail = subscription->client_previous;
    } else {
        subscription_at(pubsub, subscription->client_next)->client_previous =
            subscription->client_previous;
    }
}

static uint32_t subscription_acquire(struct pubsub *pubsub) {
    ASSERT(pubsub->subscription_count < pubsub->subscription_max);
    uint32_t index = pubsub->subscription_free_head;
    if (index != PUBSUB_NONE) {
        pubsub->subscription_free_head = subscription_at(pubsub, index)->client_next;
    } else {
        ASSERT(pubsub->subscription_untouched <= pubsub->subscription_max);
        index = pubsub->subscription_untouched++;
    }
    pubsub->subscription_count++;
    return index;
}

/* Removes one subscription (found at `position` in the table), and its target if emptied. */
static void subscription_remove(struct pubsub *pubsub, struct pubsub_client *state,
                                uint32_t position) {
    uint32_t index = pubsub->subscription_table.slots[position];
    ASSERT(index != PUBSUB_NONE);
    struct pubsub_subscription *subscription = subscription_at(pubsub, index);
    enum pubsub_kind kind = (enum pubsub_kind)subscription->kind;
    uint32_t target = subscription->target;
    table_remove(pubsub, &pubsub->subscription_table, position, subscription_hash_of, 0);
    subscription_unlink(pubsub, state, index);
    if (kind == PUBSUB_CHANNEL) {
        ASSERT(state->channel_count > 0);
        state->channel_count--;
    } else {
        ASSERT(state->pattern_count > 0);
        state->pattern_count--;
    }
    subscription->client_next = pubsub->subscription_free_head;
    pubsub->subscription_free_head = index;
    ASSERT(pubsub->subscription_count > 0);
    pubsub->subscription_count--;
    if (pubsub_target_at(pubsub, kind, target)->subscriber_count == 0) {
        target_release(pubsub, kind, target);
    }
}

enum pubsub_status pubsub_subscribe(struct pubsub *pubsub, struct pubsub_client *state,
                                    uint32_t client_slot, enum pubsub_kind kind,
                                    struct slice name) {
    ASSERT(kind <= PUBSUB_PATTERN);
    ASSERT(state != NULL);
    uint64_t hash = index_hash(name);
    uint32_t position = target_position(pubsub, kind, name, hash);
    uint32_t target = PUBSUB_NONE;
    if (position != UINT32_MAX) {
        target = pubsub->spaces[kind].table.slots[position];
        if (subscription_position(pubsub, client_slot, kind, target) != UINT32_MAX) {
            return PUBSUB_ALREADY;
        }
    }
    if (pubsub->subscription_count == pubsub->subscription_max) {
        return PUBSUB_FULL_SUBSCRIPTIONS;
    }
    if (target == PUBSUB_NONE) {
        if (pubsub->spaces[kind].count == pubsub->spaces[kind].count_max) {
            return PUBSUB_FULL_TARGETS;
        }
        target = target_create(pubsub, kind, name, hash);
        if (target == PUBSUB_NONE) {
            return PUBSUB_NO_MEMORY;
        }
    }
    uint32_t index = subscription_acquire(pubsub);
    struct pubsub_subscription *subscription = subscription_at(pubsub, index);
    subscription->client_slot = client_slot;
    subscription->kind = kind;
    subscription->target = target;
    subscription_link(pubsub, state, index);
    table_insert(&pubsub->subscription_table, subscription_key_hash(client_slot, kind, target),
                 index);
    if (kind == PUBSUB_CHANNEL) {
        state->channel_count++;
    } else {
        state->pattern_count++;
    }
    return PUBSUB_OK;
}

enum pubsub_status pubsub_unsubscribe(struct pubsub *pubsub, struct pubsub_client *state,
                                      uint32_t client_slot, enum pubsub_kind kind,
                                      struct slice name) {
    ASSERT(kind <= PUBSUB_PATTERN);
    ASSERT(state != NULL);
    uint32_t target = pubsub_find(pubsub, kind, name);
    if (target == PUBSUB_NONE) {
        return PUBSUB_ALREADY;
    }
    uint32_t position = subscription_position(pubsub, client_slot, kind, target);
    if (position == UINT32_MAX) {
        return PUBSUB_ALREADY;
    }
    subscription_remove(pubsub, state, position);
    return PUBSUB_OK;
}

uint32_t pubsub_client_first(const struct pubsub *pubsub, const struct pubsub_client *state,
                             enum pubsub_kind kind) {
    return pubsub_client_next(pubsub, state->head, kind);
}

uint32_t pubsub_client_next(const struct pubsub *pubsub, uint32_t index, enum pubsub_kind kind) {
    ASSERT(kind <= PUBSUB_PATTERN);
    for (uint32_t visited = 0; index != PUBSUB_NONE; visited++) {
        ASSERT(visited < pubsub->subscription_max);
        const struct pubsub_subscription *subscription = subscription_at(pubsub, index);
        if (subscription->kind == (uint32_t)kind) {
            return index;
        }
        index = subscription->client_next;
    }
    return PUBSUB_NONE;
}

void pubsub_client_clear(struct pubsub *pubsub, struct pubsub_client *state,
                         uint32_t client_slot) {
    for (uint32_t round = 0; state->head != PUBSUB_NONE; round++) {
        ASSERT(round < pubsub->subscription_max);
        const struct pubsub_subscription *subscription = subscription_at(pubsub, state->head);
        ASSERT(subscription->client_slot == client_slot);
        uint32_t position = subscription_position(pubsub, client_slot, subscription->kind,
                                                  subscription->target);
        ASSERT(position != UINT32_MAX);
        subscription_remove(pubsub, state, position);
    }
    ASSERT(state->channel_count == 0 && state->pattern_count == 0);
    state->tail = PUBSUB_NONE;
}

/* ==== Hooks ==== */

bool pubsub_client_subscribed(const struct client *client) {
    return pubsub_client_count(&client->pubsub) > 0;
}

const struct output_limit *pubsub_output_limit(const struct client *client) {
    ASSERT(client != NULL);
    if (pubsub_client_subscribed(client)) {
        return &server.config.output_limit_pubsub;
    }
    return &server.config.output_limit_normal;
}

void pubsub_client_close(struct client *client) {
    ASSERT(client != NULL);
    if (client->pubsub.head == PUBSUB_NONE) {
        ASSERT(!pubsub_client_subscribed(client));
        return;
    }
    pubsub_client_clear(&pubsub_global, &client->pubsub, client->slot_index);
    /* Back to the normal output-limit class (RESET keeps the connection). */
    client->output.limit_size = client_output_limit(client);
    client->soft_limit_since_ms = 0;
}

/* Redis's processCommand list for a RESP2 client in subscribed mode. */
static const char *const pubsub_context_commands[] = {
    "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
    "psubscribe", "punsubscribe", "quit", "reset",
};

static const char ERROR_NOPERM_CHANNELS[] =
    "NOPERM this user has no permissions to access one of the channels used as arguments";

/*
 * Redis's ACLCheckChannelAgainstList: a channel is matched against each of the
 * user's channel patterns (glob); a pattern (PSUBSCRIBE) must equal one of
 * them literally. The patterns are packed in channel_area as a 2-byte size
 * and the bytes, one after another (acl.c's layout).
 */
static bool pubsub_channel_permitted(const struct acl_user *user, struct slice name,
                                     bool is_pattern) {
    if (user->allchannels) {
        return true;
    }
    uint32_t offset = 0;
    for (uint32_t index = 0; index < user->channels.count; index++) {
        uint16_t size;
        memcpy(&size, user->channel_area + offset, sizeof(size));
        struct slice pattern = { user->channel_area + offset + sizeof(size), size };
        offset += (uint32_t)sizeof(size) + size;
        ASSERT(offset <= user->channels.used_size);
        if (is_pattern ? slice_equal(pattern, name) : glob_match(pattern, name, false)) {
            return true;
        }
    }
    return false;
}

/*
 * The ACL's channel check (Redis's ACLSelectorCheckCmd): PUBLISH's channel,
 * SUBSCRIBE's channels and PSUBSCRIBE's patterns; UNSUBSCRIBE and PUBSUB are
 * not checked. A denial is logged (ACL LOG, reason "channel") and answered
 * with NOPERM; nothing of the command runs.
 */
static bool pubsub_channels_permitted(struct client *client, const struct command *command) {
    uint32_t end = client->argv.count;
    if (command->handler == cmd_publish) {
        end = 2;
    } else if (command->handler != cmd_subscribe && command->handler != cmd_psubscribe) {
        return true;
    }
    const struct acl_user *user = acl_client_user(&server.acl, client);
    bool is_pattern = command->handler == cmd_psubscribe;
    for (uint32_t index = 1; index < end; index++) {
        if (!pubsub_channel_permitted(user, client_arg(client, index), is_pattern)) {
            struct slice username = { (const uint8_t *)user->name, user->name_size };
            acl_log_add(&server.acl, client, ACL_LOG_CHANNEL, client_arg(client, index),
                        username);
            reply_error(&client->reply, ERROR_NOPERM_CHANNELS);
            return false;
        }
    }
    return true;
}

bool pubsub_command_allowed(struct client *client, const struct command *command,
                            uint32_t acl_id) {
    ASSERT(command != NULL);
    if (!pubsub_channels_permitted(client, command)) {
        return false;
    }
    if (client->reply.protocol != 2 || !pubsub_client_subscribed(client)) {
        return true;
    }
    for (uint32_t index = 0; index < ARRAY_COUNT(pubsub_context_commands); index++) {
        if (strcmp(command->name, pubsub_context_commands[index]) == 0) {
            return true;
        }
    }
    char name[ACL_ID_NAME_SIZE_MAX];
    acl_id_name(&server.acl, acl_id, name, sizeof(name));
    reply_errorf(&client->reply, "ERR Can't execute '%s': only (P|S)SUBSCRIBE / "
                 "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", name);
    return false;
}

bool pubsub_ping(struct client *client) {
    ASSERT(client->argv.count <= 2);
    if (client->reply.protocol != 2 || !pubsub_client_subscribed(client)) {
        return false;
    }
    reply_array(&client->reply, 2);
    reply_bulk(&client->reply, "pong", 4);
    if (client->argv.count == 2) {
        reply_bulk_slice(&client->reply, client_arg(client, 1));
    } else {
        reply_bulk(&client->reply, "", 0);
    }
    return true;
}
