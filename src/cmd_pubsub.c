/*
 * cmd_pubsub.c: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and
 * PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS / SHARDNUMSUB / HELP, with
 * Redis 7.0.15's replies.
 *
 * PUBLISH writes each message straight into every receiver's output chain
 * (the shared chunk pool, bounded per client by the pubsub class of
 * client-output-buffer-limit while the client is subscribed) and wakes the
 * receiver so its send goes out this loop turn. A receiver past its hard limit
 * is only marked: the connection layer closes it at its next step, as Redis
 * closes a slow subscriber asynchronously; the publisher is never slowed.
 *
 * A (P)SUBSCRIBE that meets a full pool (pubsub-*-max) or a long name with no
 * heap room answers an error in place of that name's confirmation and stops:
 * the names before it stay subscribed, the ones after it are not tried.
 */
#include "commands.h"
#include "glob.h"
#include "pubsub.h"

static const char ERROR_PUBSUB_CHANNELS_FULL[] =
    "ERR max number of pubsub channels reached (pubsub-channels-max)";
static const char ERROR_PUBSUB_PATTERNS_FULL[] =
    "ERR max number of pubsub patterns reached (pubsub-patterns-max)";
static const char ERROR_PUBSUB_SUBSCRIPTIONS_FULL[] =
    "ERR max number of pubsub subscriptions reached (pubsub-subscriptions-max)";

static const char *const pubsub_kind_verbs[2][2] = {
    { "subscribe", "unsubscribe" },
    { "psubscribe", "punsubscribe" },
};

/*
 * The header of a message or of a (un)subscribe confirmation: an array in
 * RESP2, a push (">") in RESP3, as Redis's addReplyPushLen.
 */
static void pubsub_reply_push(struct reply *reply, uint64_t count) {
    ASSERT(count >= 3);
    ASSERT(count <= 4);
    reply_push(reply, count);
}

/* ["subscribe", name, count] and friends; a NULL name is nil (nothing to unsubscribe). */
static void pubsub_reply_confirmation(struct client *client, const char *verb,
                                      const struct slice *name) {
    ASSERT(verb != NULL);
    pubsub_reply_push(&client->reply, 3);
    reply_bulk_cstr(&client->reply, verb);
    if (name == NULL) {
        reply_null(&client->reply);
    } else {
        reply_bulk_slice(&client->reply, *name);
    }
    reply_integer(&client->reply, (int64_t)pubsub_client_count(&client->pubsub));
}

/* Entering or leaving subscribed mode changes the client's output-limit class. */
static void pubsub_client_mode_changed(struct client *client, bool was_subscribed) {
    if (pubsub_client_subscribed(client) != was_subscribed) {
        client->output.limit_size = client_output_limit(client);
        client->soft_limit_since_ms = 0;
    }
}

static void pubsub_subscribe_command(struct client *client, enum pubsub_kind kind) {
    ASSERT(client->argv.count >= 2);
    bool was_subscribed = pubsub_client_subscribed(client);
    for (uint32_t index = 1; index < client->argv.count; index++) {
        struct slice name = client_arg(client, index);
        enum pubsub_status status = pubsub_subscribe(&pubsub_global, &client->pubsub,
                                                     client->slot_index, kind, name);
        if (status == PUBSUB_FULL_TARGETS) {
            reply_error(&client->reply, kind == PUBSUB_CHANNEL ? ERROR_PUBSUB_CHANNELS_FULL
                                                               : ERROR_PUBSUB_PATTERNS_FULL);
            break;
        }
        if (status == PUBSUB_FULL_SUBSCRIPTIONS) {
            reply_error(&client->reply, ERROR_PUBSUB_SUBSCRIPTIONS_FULL);
            break;
        }
        if (status == PUBSUB_NO_MEMORY) {
            reply_error(&client->reply, ERROR_OOM);
            break;
        }
        pubsub_reply_confirmation(client, pubsub_kind_verbs[kind][0], &name);
    }
    pubsub_client_mode_changed(client, was_subscribed);
}

/* Without names: every subscription of that kind, oldest first; nil when none. */
static void pubsub_unsubscribe_all(struct client *client, enum pubsub_kind kind) {
    const char *verb = pubsub_kind_verbs[kind][1];
    uint32_t first = pubsub_client_first(&pubsub_global, &client->pubsub, kind);
    if (first == PUBSUB_NONE) {
        pubsub_reply_confirmation(client, verb, NULL);
        return;
    }
    for (uint32_t round = 0; first != PUBSUB_NONE; round++) {
        ASSERT(round < pubsub_global.subscription_max);
        const struct pubsub_subscription *subscription = &pubsub_global.subscriptions[first - 1];
        uint32_t next = subscription->client_next; /* stays on the list: O(1) per name */
        struct slice name =
            pubsub_target_name(pubsub_target_at(&pubsub_global, kind, subscription->target));
        /* The name may go with its last subscription: write it before removing. */
        pubsub_reply_push(&client->reply, 3);
        reply_bulk_cstr(&client->reply, verb);
        reply_bulk_slice(&client->reply, name);
        enum pubsub_status status = pubsub_unsubscribe(&pubsub_global, &client->pubsub,
                                                       client->slot_index, kind, name);
        ASSERT(status == PUBSUB_OK);
        reply_integer(&client->reply, (int64_t)pubsub_client_count(&client->pubsub));
        first = pubsub_client_next(&pubsub_global, next, kind);
    }
}

static void pubsub_unsubscribe_command(struct client *client, enum pubsub_kind kind) {
    ASSERT(client->argv.count >= 1);
    bool was_subscribed = pubsub_client_subscribed(client);
    if (client->argv.count == 1) {
        pubsub_unsubscribe_all(client, kind);
    }
    for (uint32_t index = 1; index < client->argv.count; index++) {
        struct slice name = client_arg(client, index);
        pubsub_unsubscribe(&pubsub_global, &client->pubsub, client->slot_index, kind, name);
        pubsub_reply_confirmation(client, pubsub_kind_verbs[kind][1], &name);
    }
    pubsub_client_mode_changed(client, was_subscribed);
}

void cmd_subscribe(struct client *client) {
    pubsub_subscribe_command(client, PUBSUB_CHANNEL);
}

void cmd_psubscribe(struct client *client) {
    pubsub_subscribe_command(client, PUBSUB_PATTERN);
}

void cmd_unsubscribe(struct client *client) {
    pubsub_unsubscribe_command(client, PUBSUB_CHANNEL);
}

void cmd_punsubscribe(struct client *client) {
    pubsub_unsubscribe_command(client, PUBSUB_PATTERN);
}

/* ==== PUBLISH ==== */

/*
 * True while the output pool is within its reserve: the quarter of the chunks
 * conn.c keeps for clients with no pending output (backpressure_low_chunks,
 * the same formula).
 */
static bool pubsub_pool_low(void) {
    const struct output_pool *pool = &server.output_pool;
    ASSERT(pool->chunk_count > 0);
    return pool->free_count < MAX(2u, pool->chunk_count / 4);
}

/*
 * Writes one message into a receiver's output and wakes it to send. A receiver
 * that already holds unsent output while the pool is in its reserve is a slow
 * subscriber eating the memory others need: it is cut as if over its hard
 * limit (the publisher and every other client keep the reserve).
 */
static void pubsub_deliver(struct client *receiver, const struct pubsub_target *pattern,
                           struct slice channel, struct slice message) {
    ASSERT(receiver->state == CLIENT_OPEN || receiver->state == CLIENT_DRAINING);
    struct reply *reply = &receiver->reply;
    if (!output_empty(&receiver->output) && pubsub_pool_low()) {
        receiver->output.overflowed = true;
        client_wake(receiver);
        return;
    }
    if (pattern == NULL) {
        pubsub_reply_push(reply, 3);
        reply_bulk(reply, "message", 7);
    } else {
        pubsub_reply_push(reply, 4);
        reply_bulk(reply, "pmessage", 8);
        reply_bulk_slice(reply, pubsub_target_name(pattern));
    }
    reply_bulk_slice(reply, channel);
    reply_bulk_slice(reply, message);
    client_wake(receiver);
}

/* Delivers to every subscription of one target; returns how many. */
static uint64_t pubsub_deliver_all(const struct pubsub_target *target, bool is_pattern,
                                   struct slice channel, struct slice message) {
    uint64_t receivers = 0;
    uint32_t index = target->subscriber_head;
    for (; index != PUBSUB_NONE; receivers++) {
        ASSERT(receivers < target->subscriber_count);
        const struct pubsub_subscription *subscription = &pubsub_global.subscriptions[index - 1];
        ASSERT(subscription->client_slot < server.client_count);
        pubsub_deliver(&server.clients[subscription->client_slot], is_pattern ? target : NULL,
                       channel, message);
        index = subscription->target_next;
    }
    ASSERT(receivers == target->subscriber_count);
    return receivers;
}

/* Channel subscribers in subscription order, then every matching pattern's. */
void cmd_publish(struct client *client) {
    struct slice channel = client_arg(client, 1);
    struct slice message = client_arg(client, 2);
    uint64_t receivers = 0;
    uint32_t found = pubsub_find(&pubsub_global, PUBSUB_CHANNEL, channel);
    if (found != PUBSUB_NONE) {
        receivers += pubsub_deliver_all(pubsub_target_at(&pubsub_global, PUBSUB_CHANNEL, found),
                                        false, channel, message);
    }
    const struct pubsub_space *patterns = &pubsub_global.spaces[PUBSUB_PATTERN];
    uint32_t index = patterns->live_head;
    for (uint32_t visited = 0; index != PUBSUB_NONE; visited++) {
        ASSERT(visited < patterns->count);
        const struct pubsub_target *pattern = pubsub_target_at(&pubsub_global, PUBSUB_PATTERN,
                                                               index);
        if (glob_match(pubsub_target_name(pattern), channel, false)) {
            receivers += pubsub_deliver_all(pattern, true, channel, message);
        }
        index = pattern->live_next;
    }
    reply_integer(&client->reply, (int64_t)receivers);
}

/* ==== PUBSUB ==== */

#define PUBSUB_HELP_SHARDCHANNELS \
    "    Return the currently active shard level channels matching a <pattern> (default: '*')."

static const char *const pubsub_help_lines[] = {
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    PUBSUB_HELP_SHARDCHANNELS,
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
};

/* PUBSUB CHANNELS [pattern]: live channels matching, in the order they became live. */
static void pubsub_channels(struct client *client) {
    bool all = client->argv.count == 2;
    struct slice pattern = all ? slice_from_cstr("*") : client_arg(client, 2);
    const struct pubsub_space *channels = &pubsub_global.spaces[PUBSUB_CHANNEL];
    uint64_t matched = 0;
    for (uint32_t pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            reply_array(&client->reply, matched);
        }
        uint32_t index = channels->live_head;
        for (uint32_t visited = 0; index != PUBSUB_NONE; visited++) {
            ASSERT(visited < channels->count);
            const struct pubsub_target *target =
                pubsub_target_at(&pubsub_global, PUBSUB_CHANNEL, index);
            struct slice name = pubsub_target_name(target);
            if (all || glob_match(pattern, name, false)) {
                if (pass == 0) {
                    matched++;
                } else {
                    reply_bulk_slice(&client->reply, name);
                }
            }
            index = target->live_next;
        }
    }
}

/* PUBSUB NUMSUB / SHARDNUMSUB: name, count pairs (shard channels: always 0). */
static void pubsub_numsub(struct client *client, bool shard) {
    uint32_t count = client->argv.count - 2;
    reply_array(&client->reply, (uint64_t)count * 2);
    for (uint32_t index = 2; index < client->argv.count; index++) {
        struct slice name = client_arg(client, index);
        uint64_t subscribers = 0;
        uint32_t found = shard ? PUBSUB_NONE : pubsub_find(&pubsub_global, PUBSUB_CHANNEL, name);
        if (found != PUBSUB_NONE) {
            subscribers = pubsub_target_at(&pubsub_global, PUBSUB_CHANNEL, found)
                              ->subscriber_count;
        }
        reply_bulk_slice(&client->reply, name);
        reply_integer(&client->reply, (int64_t)subscribers);
    }
}

void cmd_pubsub(struct client *client) {
    struct slice sub = client_arg(client, 1);
    uint32_t argc = client->argv.count;
    if (slice_equal_nocase(sub, "help")) {
        reply_array(&client->reply, ARRAY_COUNT(pubsub_help_lines));
        for (uint32_t index = 0; index < ARRAY_COUNT(pubsub_help_lines); index++) {
            reply_simple(&client->reply, pubsub_help_lines[index]);
        }
    } else if (slice_equal_nocase(sub, "channels") && argc <= 3) {
        pubsub_channels(client);
    } else if (slice_equal_nocase(sub, "numsub")) {
        pubsub_numsub(client, false);
    } else if (slice_equal_nocase(sub, "numpat")) {
        reply_integer(&client->reply, (int64_t)pubsub_global.spaces[PUBSUB_PATTERN].count);
    } else if (slice_equal_nocase(sub, "shardchannels") && argc <= 3) {
        reply_empty_array(&client->reply); /* keel has no shard channels */
    } else if (slice_equal_nocase(sub, "shardnumsub")) {
        pubsub_numsub(client, true);
    } else {
        /* Redis's addReplySubcommandSyntaxError (CHANNELS with two patterns, say). */
        reply_errorf(&client->reply, "ERR unknown subcommand or wrong number of arguments for "
                     "'%.*s'. Try PUBSUB HELP.", (int)MIN(sub.size, 128u),
                     (const char *)sub.ptr);
    }
}
