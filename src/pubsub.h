/*
 * pubsub.h: channels, patterns and subscriptions (SUBSCRIBE, PSUBSCRIBE,
 * PUBLISH, PUBSUB), all in fixed pools from the memory plan.
 *
 *   channels:      [target][target]...  + lookup table (2 slots per target)
 *   patterns:      [target][target]...  + lookup table (2 slots per target)
 *   subscriptions: [sub][sub][sub]...    + lookup table (2 slots per sub)
 *
 * A target (a channel or a pattern) keeps its name (inline up to
 * PUBSUB_NAME_INLINE_SIZE bytes, else one data-heap object, counted in
 * used_memory as Redis counts its channel names), the doubly linked list of its
 * subscriptions in subscription order (PUBLISH's delivery order) and its place
 * in the list of live targets (PUBSUB CHANNELS, pattern matching).
 * A subscription (client slot, kind, target) is on its target's list and on its
 * client's list; the subscription table finds one by that triple in O(1).
 *
 * Limits: pubsub-channels-max distinct channels, pubsub-patterns-max distinct
 * patterns, pubsub-subscriptions-max subscriptions over all clients (each 0 in
 * the configuration: derived from maxclients). Reaching one answers an error
 * naming the keyword. Indices are 1-based: 0 (PUBSUB_NONE) is "none", so the
 * zero-filled fresh mapping is an empty table that is never touched at init.
 */
#pragma once

#include "base.h"

struct heap;
struct client;
struct output_limit;
struct command;

#define PUBSUB_NONE 0u
#define PUBSUB_NAME_INLINE_SIZE 40u
#define PUBSUB_TABLE_FACTOR 2u       /* table slots per record: load at most 1/2 */
#define PUBSUB_LIMIT_MAX (1u << 26)  /* upper bound of each pubsub-*-max keyword */
/* Defaults when the keyword is 0: per maxclients. */
#define PUBSUB_CHANNELS_PER_CLIENT 8u
#define PUBSUB_PATTERNS_PER_CLIENT 1u
#define PUBSUB_SUBSCRIPTIONS_PER_CLIENT 16u

enum pubsub_kind { PUBSUB_CHANNEL = 0, PUBSUB_PATTERN = 1 };

enum pubsub_status {
    PUBSUB_OK = 0,            /* subscribed / unsubscribed */
    PUBSUB_ALREADY,           /* subscribe: already there; unsubscribe: was not */
    PUBSUB_FULL_TARGETS,      /* pubsub-channels-max / pubsub-patterns-max reached */
    PUBSUB_FULL_SUBSCRIPTIONS,/* pubsub-subscriptions-max reached */
    PUBSUB_NO_MEMORY,         /* a long name found no room in the data heap */
};

/* The per-client part (in struct client): its subscriptions, oldest first. */
struct pubsub_client {
    uint32_t head;
    uint32_t tail;
    uint32_t channel_count;
    uint32_t pattern_count;
};

struct pubsub_target {
    uint64_t hash;
    const uint8_t *name;            /* name_inline, or a data-heap object */
    uint32_t name_size;
    uint32_t subscriber_count;
    uint32_t subscriber_head;       /* subscriptions, in subscription order */
    uint32_t subscriber_tail;
    uint32_t live_previous;         /* the list of live targets (or free-list link) */
    uint32_t live_next;
    uint8_t name_inline[PUBSUB_NAME_INLINE_SIZE];
};

struct pubsub_subscription {
    uint32_t client_slot;
    uint32_t target;
    uint32_t kind;                  /* enum pubsub_kind */
    uint32_t target_previous;       /* on the target's list */
    uint32_t target_next;
    uint32_t client_previous;       /* on the client's list (or free-list link) */
    uint32_t client_next;
};

struct pubsub_table {
    uint32_t *slots;
    uint32_t size;
};

/* The channels or the patterns. */
struct pubsub_space {
    struct pubsub_target *targets;  /* index i (1-based) is targets[i - 1] */
    struct pubsub_table table;
    uint32_t count_max;
    uint32_t count;
    uint32_t free_head;
    uint32_t untouched;             /* records from here on were never used */
    uint32_t live_head;
    uint32_t live_tail;
};

struct pubsub {
    struct heap *heap;              /* long names */
    struct pubsub_space spaces[2];  /* by enum pubsub_kind */
    struct pubsub_subscription *subscriptions; /* index i is subscriptions[i - 1] */
    struct pubsub_table subscription_table;
    uint32_t subscription_max;
    uint32_t subscription_count;
    uint32_t subscription_free_head;
    uint32_t subscription_untouched;
};

extern struct pubsub pubsub_global;

/* Plan units: one record plus its table slots. */
uint64_t pubsub_target_unit_size(void);
uint64_t pubsub_subscription_unit_size(void);
/* A pubsub-*-max value: the keyword, or maxclients * per_client when it is 0. */
uint32_t pubsub_limit(uint32_t configured, uint32_t maxclients, uint32_t per_client);

/* Memory: zero-filled, pubsub_*_unit_size() * count bytes each. */
void pubsub_init(struct pubsub *pubsub, struct heap *heap, void *channels,
                 uint32_t channel_max, void *patterns, uint32_t pattern_max,
                 void *subscriptions, uint32_t subscription_max);

enum pubsub_status pubsub_subscribe(struct pubsub *pubsub, struct pubsub_client *state,
                                    uint32_t client_slot, enum pubsub_kind kind,
                                    struct slice name);
enum pubsub_status pubsub_unsubscribe(struct pubsub *pubsub, struct pubsub_client *state,
                                      uint32_t client_slot, enum pubsub_kind kind,
                                      struct slice name);
/* The client's oldest subscription of `kind`, or PUBSUB_NONE. */
uint32_t pubsub_client_first(const struct pubsub *pubsub, const struct pubsub_client *state,
                             enum pubsub_kind kind);
/* The first subscription of `kind` from `index` on along its client's list (inclusive). */
uint32_t pubsub_client_next(const struct pubsub *pubsub, uint32_t index, enum pubsub_kind kind);
/* Drops every subscription of the client (close, RESET). */
void pubsub_client_clear(struct pubsub *pubsub, struct pubsub_client *state,
                         uint32_t client_slot);

/* The target named `name`, or PUBSUB_NONE. */
uint32_t pubsub_find(const struct pubsub *pubsub, enum pubsub_kind kind, struct slice name);
static inline struct pubsub_target *pubsub_target_at(const struct pubsub *pubsub,
                                                     enum pubsub_kind kind, uint32_t index) {
    ASSERT(index != PUBSUB_NONE);
    ASSERT(index <= pubsub->spaces[kind].count_max);
    return &pubsub->spaces[kind].targets[index - 1];
}
static inline struct slice pubsub_target_name(const struct pubsub_target *target) {
    return (struct slice){ .ptr = target->name, .size = target->name_size };
}
static inline uint32_t pubsub_client_count(const struct pubsub_client *state) {
    return state->channel_count + state->pattern_count;
}

/* ==== Hooks for the connection and dispatch layers (need struct client) ==== */

/* True while the client has a subscription (Redis's CLIENT_PUBSUB). */
bool pubsub_client_subscribed(const struct client *client);
/* The client's output-limit class: pubsub while subscribed, else normal. */
const struct output_limit *pubsub_output_limit(const struct client *client);
/* Close and RESET hook: drops every subscription of the client, sending nothing, and
 * puts it back in the normal output-limit class. */
void pubsub_client_close(struct client *client);
/*
 * Dispatch hook, after the ACL command and key checks and the OOM check: the
 * ACL channel check (SUBSCRIBE, PSUBSCRIBE, PUBLISH), then subscribed mode
 * (RESP2): only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET run;
 * anything else is refused with Redis's error. False when refused (the error
 * is written).
 */
bool pubsub_command_allowed(struct client *client, const struct command *command,
                            uint32_t acl_id);
/* PING while subscribed in RESP2: ["pong", arg or ""]. True when it replied. */
bool pubsub_ping(struct client *client);
