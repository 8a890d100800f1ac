/*
 * conn.c: clients and the event loop.
 *
 * One loop turn:
 *   1. io_wait submits every queued operation and collects completions;
 *   2. each completion only records facts (bytes received, bytes sent, a new
 *      socket) and puts its client on the ready list;
 *   3. every ready client then parses and runs its commands (at most
 *      CLIENT_COMMANDS_PER_TURN_MAX), and queues at most one send and one
 *      receive for the next io_wait;
 *   4. the cron runs every 1000/hz ms (active expiry, idle timeouts).
 *
 * Invariants:
 * - A client has at most one receive and one send in flight. Its slot is
 *   reused only after both have completed (tokens carry the slot's
 *   generation to catch a violation).
 * - Input is parsed only while no receive is in flight, so the receive never
 *   races with compaction of the input buffer.
 * - When the output pool runs low, no client's input is processed
 *   (backpressure) until sends return chunks to the pool.
 */
#include "server.h"

#include "acl.h"
#include "blocking.h"
#include "cmd_client.h"
#include "commands.h"
#include "evict.h"
#include "multi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#define TOKEN_ACCEPT 1u
#define TOKEN_RECV 2u
#define TOKEN_SEND 3u
#define DISCARD_BUFFER_SIZE ((uint32_t)(64 * 1024))
#define RECV_SIZE_MAX ((uint64_t)(1u << 30))

static const char ERROR_MAXCLIENTS[] = "-ERR max number of clients reached\r\n";
/* Redis 7.0.15's text, byte for byte (including its "Setup a an"). */
static const char ERROR_DENIED[] =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from "
    "the loopback interface. If you want to connect from external computers to Redis you may "
    "adopt one of the following solutions: 1) Just disable protected mode sending the command "
    "'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    "the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    "from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    "Alternatively you can just disable the protected mode by editing the Redis configuration "
    "file, and setting the protected mode option to 'no', and then restarting the server. 3) "
    "If you started the server manually just for testing, restart it with the "
    "'--protected-mode no' option. 4) Setup a an authentication password for the default "
    "user. NOTE: You only need to do one of the above things in order for the server to start "
    "accepting connections from the outside.\r\n";
STATIC_ASSERT(sizeof(ERROR_DENIED) - 1 == 1067, "the DENIED reply is Redis 7.0.15's 1067 bytes");

static uint64_t token_make(uint32_t kind, uint32_t slot_index, uint32_t generation) {
    ASSERT(kind <= 0xff);
    ASSERT(slot_index < (1u << 24));
    return (uint64_t)kind | ((uint64_t)slot_index << 8) | ((uint64_t)generation << 32);
}

/*
 * The free output chunks below which clients holding chunks stop running
 * commands. The quarter of the pool kept free serves clients whose output is
 * empty (a reply larger than that can still find the pool exhausted: that
 * client is then closed like one over its limit).
 */
static uint32_t backpressure_low_chunks(void) {
    return MAX(2u, server.output_pool.chunk_count / 4);
}

static bool backpressure_active(void) {
    return server.output_pool.free_count < backpressure_low_chunks();
}

static void client_queue(struct client *client) {
    if (client->queued) {
        return;
    }
    client->queued = true;
    client->next_ready = CLIENT_NONE;
    if (server.ready_tail == CLIENT_NONE) {
        server.ready_head = client->slot_index;
    } else {
        server.clients[server.ready_tail].next_ready = client->slot_index;
    }
    server.ready_tail = client->slot_index;
}

/*
 * The pool-wait list: clients whose next command is parsed (argv holds it) but
 * held back because the pool is low and more of their commands are pipelined
 * behind it. Such a client holds no output, so no send completion would bring
 * it back: the loop wakes the list, oldest first, once the pool recovers.
 */
static void pool_wait_add(struct client *client) {
    ASSERT(!client->pool_waiting);
    ASSERT(client->argv.count > 0);
    client->pool_waiting = true;
    client->pool_wait_prev = server.pool_wait_tail;
    client->pool_wait_next = CLIENT_NONE;
    if (server.pool_wait_tail == CLIENT_NONE) {
        server.pool_wait_head = client->slot_index;
    } else {
        server.clients[server.pool_wait_tail].pool_wait_next = client->slot_index;
    }
    server.pool_wait_tail = client->slot_index;
}

static void pool_wait_remove(struct client *client) {
    ASSERT(client->pool_waiting);
    if (client->pool_wait_prev == CLIENT_NONE) {
        ASSERT(server.pool_wait_head == client->slot_index);
        server.pool_wait_head = client->pool_wait_next;
    } else {
        server.clients[client->pool_wait_prev].pool_wait_next = client->pool_wait_next;
    }
    if (client->pool_wait_next == CLIENT_NONE) {
        ASSERT(server.pool_wait_tail == client->slot_index);
        server.pool_wait_tail = client->pool_wait_prev;
    } else {
        server.clients[client->pool_wait_next].pool_wait_prev = client->pool_wait_prev;
    }
    client->pool_waiting = false;
}

/*
 * While the pool is low, a client that holds no output may still run a command:
 * the reserve serves request-response clients. A command with more pipelined
 * behind it runs only when the client has shown it reads (its last reply was
 * all sent) or while at least half the reserve is free (one reply as a probe);
 * otherwise a crowd of pipelining non-readers, one reply each, would take the
 * reserve from everyone else.
 */
static bool pool_wait_needed(const struct client *client) {
    if (!backpressure_active() || client->parser.cursor == client->input_end ||
        client->reply_drained) {
        return false;
    }
    ASSERT(output_empty(&client->output));
    return server.output_pool.free_count < backpressure_low_chunks() / 2;
}

/* Puts waiting clients back on the ready list while the pool has room, oldest first. */
static void server_wake_pool_waiters(void) {
    for (uint32_t woken = 0; woken < server.client_count; woken++) {
        if (server.pool_wait_head == CLIENT_NONE || backpressure_active()) {
            return;
        }
        struct client *client = &server.clients[server.pool_wait_head];
        pool_wait_remove(client);
        client_queue(client);
    }
}

/* ==== Opening and closing ==== */

static void client_describe_peer(struct client *client) {
    struct sockaddr_storage address;
    socklen_t size = sizeof(address);
    client->address[0] = 0;
    if (getpeername(client->fd, (struct sockaddr *)&address, &size) != 0) {
        return;
    }
    char host[INET6_ADDRSTRLEN] = { 0 };
    uint16_t port = 0;
    if (address.ss_family == AF_INET) {
        struct sockaddr_in *ipv4 = (struct sockaddr_in *)&address;
        inet_ntop(AF_INET, &ipv4->sin_addr, host, sizeof(host));
        port = ntohs(ipv4->sin_port);
        snprintf(client->address, sizeof(client->address), "%s:%u", host, port);
    } else if (address.ss_family == AF_INET6) {
        struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)&address;
        inet_ntop(AF_INET6, &ipv6->sin6_addr, host, sizeof(host));
        port = ntohs(ipv6->sin6_port);
        snprintf(client->address, sizeof(client->address), "[%s]:%u", host, port);
    }
}

static void client_configure_socket(int fd) {
    int enabled = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &enabled, sizeof(enabled));
    uint32_t keepalive = server.config.tcp_keepalive_seconds;
    if (keepalive > 0) {
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &enabled, sizeof(enabled));
        int idle = (int)keepalive;
        int interval = MAX(1, idle / 3);
        int count = 3;
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
    }
}

uint64_t client_output_limit(const struct client *client) {
    if (!client->authenticated) {
        /* Never authenticated: a small fixed cap, so a client that sends commands
         * without the password and never reads cannot hold memory (CVE-2025-21605). */
        return CLIENT_UNAUTHENTICATED_OUTPUT_MAX;
    }
    uint64_t pool_size = (uint64_t)server.output_pool.chunk_count * OUTPUT_CHUNK_DATA_SIZE;
    uint64_t limit = pubsub_output_limit(client)->hard_size; /* normal, or pubsub */
    if (limit == 0 || limit > pool_size) {
        limit = pool_size;
    }
    return limit;
}

/* Answers a refused connection without a slot and closes it (rejected_connections). */
static void client_refuse(int fd, const char *error, uint32_t size) {
    ASSERT(fd >= 0);
    ASSERT(size > 0);
    ssize_t sent = send(fd, error, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)sent;
    close(fd);
    server.stats.connections_rejected++;
}

/*
 * Protected mode (see acl_protected_mode_refuses): decided at accept, before a
 * slot is taken or a byte read, so both io backends refuse the same way. A
 * Unix-domain peer counts as local, as in Redis (keel listens on TCP only;
 * the command fuzzer's socketpair is one).
 */
static bool client_protected_refused(int fd) {
    if (!server.config.protected_mode || !acl_default_nopass(&server.acl)) {
        return false;
    }
    struct sockaddr_storage peer;
    socklen_t size = sizeof(peer);
    memset(&peer, 0, sizeof(peer));
    if (getpeername(fd, (struct sockaddr *)&peer, &size) == 0 && peer.ss_family == AF_UNIX) {
        return false;
    }
    return acl_protected_mode_refuses(&server.acl, &server.config, &peer);
}

/* A free slot: a released one, else one never used (its memory untouched until now). */
static struct client *client_slot_acquire(void) {
    struct client *client;
    if (server.free_client_head != CLIENT_NONE) {
        client = &server.clients[server.free_client_head];
        server.free_client_head = client->next_free;
    } else {
        ASSERT(server.untouched_client_index < server.client_count);
        uint32_t index = server.untouched_client_index++;
        client = &server.clients[index];
        memset(client, 0, sizeof(*client));
        client->slot_index = index;
        client->input_fixed = server.client_inputs +
                              (uint64_t)index * server.reserved.client_input_buffer_size;
    }
    ASSERT(client->state == CLIENT_FREE);
    ASSERT(!client->queued);
    return client;
}

static void client_open(int fd) {
    ASSERT(fd >= 0);
    server.stats.connections_received++;
    if (server.connected_count >= server.config.maxclients) {
        /* The table is full: answered as Redis does, before protected mode. */
        client_refuse(fd, ERROR_MAXCLIENTS, sizeof(ERROR_MAXCLIENTS) - 1);
        return;
    }
    if (client_protected_refused(fd)) {
        client_refuse(fd, ERROR_DENIED, sizeof(ERROR_DENIED) - 1);
        return;
    }
    struct client *client = client_slot_acquire();
    server.connected_count++;
    client->fd = fd;
    client->state = CLIENT_OPEN;
    client->id = ++server.next_client_id;
    client->recv_in_flight = false;
    client->send_in_flight = false;
    client->has_input = false;
    client->queued = false;
    acl_client_begin(&server.acl, client); /* `default`; authenticated iff it needs no password */
    client->input_large = false;
    client->input_filled = false;
    client->received_since_drain = 0;
    client->soft_limit_since_ms = 0;
    client->command_discarding = false;
    client->big_arg_active = false;
    client->paused = false;
    client->pool_held = false;
    client->pool_waiting = false;
    client->reply_drained = false;
    client->db_index = 0;
    client->db = &server.keyspace.dbs[0];
    client->input = client->input_fixed;
    client->input_capacity = (uint32_t)server.reserved.client_input_buffer_size;
    client->input_end = 0;
    resp_parser_reset(&client->parser);
    client->argv.items = client->argv_inline;
    client->argv.count = 0;
    client->argv.capacity = CLIENT_ARGV_INLINE_COUNT;
    client->big_arg = NULL;
    client->big_arg_received = 0;
    client->command_size = 0;
    output_init(&client->output, client_output_limit(client));
    client->reply = (struct reply){ .pool = &server.output_pool, .output = &client->output,
                                    .protocol = 2, .error_count = 0 };
    client->send_size = 0;
    client->commands_processed = 0;
    client->created_ms = server.now_ms;
    client->last_interaction_ms = server.now_ms;
    client->last_command_index = 0;
    client->name[0] = 0;
    multi_client_init(client);
    clientcmd_client_open(client); /* CLIENT REPLY/NO-EVICT, MONITOR, PAUSE fields */
    client_configure_socket(fd);
    client_describe_peer(client);
    client_queue(client);
}

static void client_release_argv(struct client *client) {
    for (uint32_t index = 0; index < client->argv.count; index++) {
        if (client_arg_owned(client, index)) {
            heap_free(&server.heap, (void *)client->argv.items[index].ptr);
        }
    }
    client->argv.count = 0;
    if (client->argv.items != client->argv_inline) {
        heap_free(&server.input_heap, client->argv.items);
        client->argv.items = client->argv_inline;
        client->argv.capacity = CLIENT_ARGV_INLINE_COUNT;
    }
}

static void client_release(struct client *client) {
    ASSERT(client->state == CLIENT_CLOSING);
    ASSERT(!client->recv_in_flight && !client->send_in_flight);
    ASSERT(!client->queued); /* a queued slot must not be reused */
    close(client->fd);
    client_release_argv(client);
    multi_client_release(client); /* the queue and the watched keys */
    clientcmd_client_release(client); /* the monitor list, a command held by a pause */
    if (client->pool_waiting) {
        pool_wait_remove(client);
    }
    client->pool_held = false;
    if (client->big_arg != NULL) {
        heap_free(&server.heap, client->big_arg);
        client->big_arg = NULL;
    }
    if (client->input_large) {
        heap_free(&server.input_heap, client->input);
        client->input_large = false;
    }
    output_release(&server.output_pool, &client->output);
    client->fd = -1;
    client->state = CLIENT_FREE;
    client->generation++;
    client->next_free = server.free_client_head;
    server.free_client_head = client->slot_index;
    ASSERT(server.connected_count > 0);
    server.connected_count--;
}

void client_close_now(struct client *client) {
    ASSERT(client->state != CLIENT_FREE);
    if (client->state != CLIENT_CLOSING) {
        client->state = CLIENT_CLOSING;
        pubsub_client_close(client); /* no message reaches a closing client */
        blocking_client_closed(client); /* off the keys it waited for, no reply */
        /* Completes any receive or send in flight so the slot can be released. */
        shutdown(client->fd, SHUT_RDWR);
        io_shutdown_done(&server.io, client->fd);
    }
    client_queue(client);
}

void client_wake(struct client *client) {
    ASSERT(client->state != CLIENT_FREE);
    client_queue(client);
}

static void client_command_done(struct client *client);

void client_unblocked(struct client *client) {
    ASSERT(client->state == CLIENT_OPEN);
    ASSERT(!blocking_client_blocked(&blocking_global, client->slot_index));
    /* Served or timed out just now: not idle (the cron could otherwise close it as idle
     * before its reply goes out, its last interaction being the blocking command). */
    client->last_interaction_ms = server.now_ms;
    client_command_done(client);
    /* A receive in flight was posted with every byte parsed (client_step): none waits. */
    client->has_input = !client->recv_in_flight;
    client_queue(client);
}

void client_close_after_reply(struct client *client) {
    ASSERT(client->state != CLIENT_FREE);
    if (client->state == CLIENT_OPEN) {
        blocking_client_closed(client); /* off the keys it waited for, no reply */
        client->state = CLIENT_DRAINING;
        shutdown(client->fd, SHUT_RD);
        io_shutdown_done(&server.io, client->fd);
    }
    client_queue(client);
}

/* ==== Input ==== */

static void client_protocol_error(struct client *client) {
    char line[RESP_ERROR_SIZE_MAX + 8];
    snprintf(line, sizeof(line), "ERR %s", client->parser.error);
    reply_error(&client->reply, line);
    client_close_after_reply(client);
}

static void client_query_limit_close(struct client *client) {
    server_log(LOG_WARNING, "Closing client that reached max query buffer length");
    server.stats.query_limit_disconnections++;
    client_close_now(client);
}

/* Moves the unparsed input [from, end) to `target` and fixes the parser's pointers. */
static void client_move_input(struct client *client, uint8_t *target, uint32_t from) {
    uint32_t size = client->input_end - from;
    memmove(target, client->input + from, size);
    resp_parser_relocate(&client->parser, &client->argv, client->input, client->input_end, from,
                         target);
    client->input_end = size;
}

/*
 * Moves the unparsed input into an input-heap buffer of `capacity` bytes. Used
 * for a client that keeps its fixed buffer full (a busy pipeline): fewer, larger
 * receives and no sliding of partial commands. False when the input heap is full.
 */
static bool client_input_enlarge(struct client *client, uint64_t capacity) {
    ASSERT(!client->input_large);
    ASSERT(capacity > client->input_capacity);
    uint8_t *larger = heap_alloc(&server.input_heap, capacity);
    if (larger == NULL) {
        return false;
    }
    client_move_input(client, larger, client->parser.command_start);
    client->input = larger;
    client->input_capacity = (uint32_t)capacity;
    client->input_large = true;
    return true;
}

/*
 * The parser needs more bytes. Make room for them: reset an empty buffer,
 * slide a partial command to the front, or move it into a larger heap buffer
 * (the query-buffer limit bounds that). False when the client was closed.
 */
static bool client_make_room(struct client *client) {
    struct resp_parser *parser = &client->parser;
    uint32_t fixed_capacity = (uint32_t)server.reserved.client_input_buffer_size;
    uint64_t busy_capacity = (uint64_t)fixed_capacity * CLIENT_BUSY_INPUT_FACTOR;
    if (parser->argc_expected < 0 && parser->cursor == client->input_end) {
        /* A busy client keeps its larger buffer while what it sends between drains
         * stays large, so a pipeline batch is not split at the fixed buffer's size. */
        bool busy = client->input_capacity == busy_capacity &&
                    client->received_since_drain > fixed_capacity / 2;
        client->received_since_drain = 0;
        parser->cursor = 0;
        parser->command_start = 0;
        client->input_end = 0;
        if (client->input_large && !busy) {
            heap_free(&server.input_heap, client->input);
            client->input = client->input_fixed;
            client->input_capacity = fixed_capacity;
            client->input_large = false;
        }
        return true;
    }
    if (client->input_end < client->input_capacity) {
        return true;
    }
    if (!client->input_large && client->input_filled &&
        client_input_enlarge(client, busy_capacity)) {
        return true;
    }
    if (parser->command_start > 0) {
        client_move_input(client, client->input, parser->command_start);
        return true;
    }
    uint64_t capacity = (uint64_t)client->input_capacity * 2;
    if (capacity > server.config.client_query_buffer_limit || capacity > UINT32_MAX / 2) {
        client_query_limit_close(client);
        return false;
    }
    uint8_t *larger = heap_alloc(&server.input_heap, capacity);
    if (larger == NULL) {
        server_log(LOG_WARNING, "Closing client: input-pool-size has no room for its query "
                   "buffer");
        client_close_now(client);
        return false;
    }
    uint8_t *old_input = client->input;
    bool old_large = client->input_large;
    client_move_input(client, larger, 0);
    client->input = larger;
    client->input_capacity = (uint32_t)capacity;
    client->input_large = true;
    if (old_large) {
        heap_free(&server.input_heap, old_input);
    }
    return true;
}

static bool client_grow_argv(struct client *client) {
    struct resp_argv *argv = &client->argv;
    uint64_t needed = client->parser.argv_needed;
    ASSERT(needed > argv->capacity);
    uint64_t capacity = MAX((uint64_t)argv->capacity * 2, MIN(needed, CLIENT_ARGV_INITIAL_MAX));
    capacity = MAX(capacity, needed);
    if (client->parser.argc_expected > 0) {
        capacity = MIN(capacity, (uint64_t)client->parser.argc_expected);
    }
    struct slice *items = heap_alloc(&server.input_heap, capacity * sizeof(struct slice));
    if (items == NULL) {
        server_log(LOG_WARNING, "Closing client: input-pool-size has no room for its "
                   "arguments");
        client_close_now(client);
        return false;
    }
    memcpy(items, argv->items, argv->count * sizeof(struct slice));
    if (argv->items != client->argv_inline) {
        heap_free(&server.input_heap, argv->items);
    }
    argv->items = items;
    argv->capacity = (uint32_t)capacity;
    return true;
}

static void client_big_arg_finish(struct client *client) {
    ASSERT(client->big_arg_active);
    ASSERT(client->big_arg_received == (uint64_t)client->parser.bulk_size);
    struct resp_argv *argv = &client->argv;
    ASSERT(argv->count < argv->capacity);
    argv->items[argv->count++] =
        (struct slice){ .ptr = client->big_arg, .size = (uint32_t)client->parser.bulk_size };
    client->big_arg = NULL;
    client->big_arg_active = false;
    client->big_arg_received = 0;
    resp_parser_big_arg_done(&client->parser);
}

/* A big argument's header was parsed: receive its bytes into their own object. */
static bool client_big_arg_start(struct client *client) {
    uint64_t size = (uint64_t)client->parser.bulk_size;
    client->command_size += size;
    if (client->command_size > server.config.client_query_buffer_limit) {
        client_query_limit_close(client);
        return false;
    }
    client->big_arg = heap_alloc(&server.heap, size);
    if (client->big_arg == NULL) {
        client->command_discarding = true;
    }
    client->big_arg_active = true;
    uint32_t cursor = client->parser.cursor;
    uint32_t available = (uint32_t)MIN((uint64_t)(client->input_end - cursor), size);
    if (client->big_arg != NULL) {
        memcpy(client->big_arg, client->input + cursor, available);
    }
    memmove(client->input + cursor, client->input + cursor + available,
            client->input_end - cursor - available);
    client->input_end -= available;
    client->big_arg_received = available;
    if (available == size) {
        client_big_arg_finish(client);
    }
    return true;
}

/* After a command ran: release its arguments and shrink a large buffer when possible. */
static void client_command_done(struct client *client) {
    if (UNLIKELY(client->reply_flags != 0)) {
        clientcmd_reply_after_command(client); /* CLIENT REPLY SKIP lasts one command */
    }
    client_release_argv(client);
    resp_parser_next_command(&client->parser, &client->argv);
    client->command_discarding = false;
    client->command_size = 0;
    uint32_t fixed_capacity = (uint32_t)server.reserved.client_input_buffer_size;
    uint32_t remaining = client->input_end - client->parser.cursor;
    /* A buffer grown for one huge command goes back at once; a busy client's
     * buffer stays until its input drains (client_make_room). */
    uint32_t busy_capacity = fixed_capacity * CLIENT_BUSY_INPUT_FACTOR;
    if (client->input_large && client->input_capacity > busy_capacity &&
        remaining <= fixed_capacity) {
        uint8_t *large = client->input;
        client_move_input(client, client->input_fixed, client->parser.cursor);
        client->input = client->input_fixed;
        client->input_capacity = fixed_capacity;
        client->input_large = false;
        heap_free(&server.input_heap, large);
    }
}

static void client_run_command(struct client *client) {
    ASSERT(client->argv.count > 0);
    client->last_interaction_ms = server.now_ms;
    client->reply_drained = false;
    commands_dispatch(client);
    if (UNLIKELY(client->postponed)) {
        return; /* CLIENT PAUSE holds it in argv: it runs again at the pause's end */
    }
    server.stats.commands_processed++;
    client->commands_processed++;
    if (UNLIKELY(blocking_client_blocked(&blocking_global, client->slot_index))) {
        return; /* BLPOP & co.: its keys stay in argv until client_unblocked */
    }
    client_command_done(client);
}

/* A command held by CLIENT PAUSE runs again; true while it is still held. */
static bool client_rerun_held(struct client *client) {
    clientcmd_resume(client);
    client_run_command(client);
    return client->postponed;
}

/* A command held back by a low pool runs once the pool has recovered; false while held. */
static bool client_resume_held_for_pool(struct client *client) {
    ASSERT(client->pool_held);
    ASSERT(client->argv.count > 0);
    /* Its output may have grown meanwhile (a subscriber's messages): that is fine. */
    if (backpressure_active()) {
        if (!client->pool_waiting) {
            pool_wait_add(client);
        }
        return false;
    }
    if (client->pool_waiting) {
        pool_wait_remove(client);
    }
    client->pool_held = false;
    client_run_command(client);
    return true;
}

/* Holds a parsed command back when the pool is low (pool_wait_needed); true if held. */
static bool client_hold_for_pool(struct client *client) {
    if (!pool_wait_needed(client)) {
        return false;
    }
    client->pool_held = true;
    pool_wait_add(client);
    server.stats.backpressure_pauses++;
    return true;
}

/* A command is incomplete: close past the query limit, else make room for the rest. */
static void client_await_input(struct client *client) {
    if (client->command_size + (client->input_end - client->parser.command_start) >
        server.config.client_query_buffer_limit) {
        client_query_limit_close(client);
        return;
    }
    client_make_room(client);
}

/* Parses and runs buffered commands. Returns true when all input was consumed. */
static bool client_process_input(struct client *client) {
    struct resp_limits limits = {
        .bulk_size_max = server.config.proto_max_bulk_len,
        .big_arg_size = (uint32_t)(server.reserved.client_input_buffer_size / 2),
        .authenticated = client->authenticated,
    };
    client->paused = false;
    /* One clock reading serves the batch: expiry and LRU decisions see one "now". */
    int64_t now_us = clock_now_us();
    server.keyspace.now_ms = now_us / 1000;
    server.keyspace.lru_clock = (uint32_t)(now_us / 1000000) & ITEM_LRU_MASK;
    for (uint32_t round = 0; round < CLIENT_COMMANDS_PER_TURN_MAX * 4; round++) {
        /* Overflowed: closed at its next step; nothing more runs (Redis's CLOSE_ASAP). */
        if (client->state != CLIENT_OPEN || client->big_arg_active || client->output.overflowed) {
            return true;
        }
        if (round >= CLIENT_COMMANDS_PER_TURN_MAX ||
            blocking_client_blocked(&blocking_global, client->slot_index)) {
            return false; /* the rest next turn; after a blocked command, once it is served */
        }
        if (UNLIKELY(client->postponed)) {
            if (client_rerun_held(client)) {
                return false;
            }
            continue;
        }
        if (backpressure_active() && !output_empty(&client->output)) {
            /* Clients holding chunks wait; the others keep being served. */
            client->paused = true;
            server.stats.backpressure_pauses++;
            return false;
        }
        if (UNLIKELY(client->pool_held)) {
            if (!client_resume_held_for_pool(client)) {
                return false;
            }
            continue; /* the state checks above again: it may have blocked or closed */
        }
        limits.authenticated = client->authenticated;
        enum resp_status status = resp_parse(&client->parser, client->input, client->input_end,
                                             &client->argv, &limits);
        switch (status) {
        case RESP_COMMAND:
            if (UNLIKELY(client_hold_for_pool(client))) {
                return false;
            }
            client_run_command(client);
            break;
        case RESP_EMPTY:
            break;
        case RESP_AGAIN:
            client_await_input(client);
            return true;
        case RESP_ERROR:
            client_protocol_error(client);
            return true;
        case RESP_ARGV_FULL:
            if (!client_grow_argv(client)) {
                return true;
            }
            break;
        case RESP_BIG_ARG:
            if (!client_big_arg_start(client)) {
                return true;
            }
            break;
        default:
            ASSERT(false);
        }
    }
    return false;
}

/* ==== Completions ==== */

static void client_on_recv(struct client *client, int32_t result) {
    ASSERT(client->recv_in_flight);
    client->recv_in_flight = false;
    client_queue(client);
    if (client->state != CLIENT_OPEN) {
        return;
    }
    if (result == -EINTR || result == -EAGAIN || result == -ENOBUFS) {
        return;
    }
    if (result <= 0) {
        client_close_now(client);
        return;
    }
    server.stats.net_input_bytes += (uint64_t)result;
    client->last_interaction_ms = server.now_ms;
    if (client->big_arg_active) {
        client->big_arg_received += (uint64_t)result;
        ASSERT(client->big_arg_received <= (uint64_t)client->parser.bulk_size);
        if (client->big_arg_received == (uint64_t)client->parser.bulk_size) {
            client_big_arg_finish(client);
            client->has_input = true;
        }
        return;
    }
    client->input_filled = client->input_end + (uint32_t)result == client->input_capacity;
    client->received_since_drain += (uint32_t)result;
    client->input_end += (uint32_t)result;
    ASSERT(client->input_end <= client->input_capacity);
    client->has_input = true;
}

static void client_on_send(struct client *client, int32_t result) {
    ASSERT(client->send_in_flight);
    client->send_in_flight = false;
    client_queue(client);
    if (result < 0) {
        if (result != -EINTR && result != -EAGAIN) {
            output_release(&server.output_pool, &client->output);
            if (client->state != CLIENT_CLOSING) {
                client_close_now(client);
            }
        }
        return;
    }
    ASSERT((uint64_t)result <= client->send_size);
    output_consume(&server.output_pool, &client->output, (uint64_t)result);
    server.stats.net_output_bytes += (uint64_t)result;
    client->reply_drained = output_empty(&client->output);
}

static void server_on_completion(const struct io_completion *completion) {
    uint32_t kind = (uint32_t)(completion->token & 0xff);
    uint32_t slot_index = (uint32_t)((completion->token >> 8) & 0xffffff);
    uint32_t generation = (uint32_t)(completion->token >> 32);
    if (kind == TOKEN_ACCEPT) {
        ASSERT(slot_index < server.listen_count);
        if (completion->result >= 0) {
            client_open(completion->result);
        } else {
            server_log(LOG_VERBOSE, "Accepting client connection: %s",
                       strerror(-completion->result));
        }
        if ((completion->flags & IO_COMPLETION_MORE) == 0) {
            io_accept(&server.io, server.listen_fds[slot_index], completion->token);
        }
        return;
    }
    ASSERT(slot_index < server.client_count);
    struct client *client = &server.clients[slot_index];
    ASSERT(client->generation == generation);
    ASSERT(client->state != CLIENT_FREE);
    if (kind == TOKEN_RECV) {
        client_on_recv(client, completion->result);
    } else {
        ASSERT(kind == TOKEN_SEND);
        client_on_send(client, completion->result);
    }
}

/* ==== Queuing the next operations ==== */

static void client_post_send(struct client *client) {
    ASSERT(!client->send_in_flight);
    uint32_t count = output_iovecs(&server.output_pool, &client->output, client->send_iov,
                                   CLIENT_SEND_IOV_MAX);
    ASSERT(count > 0);
    uint64_t size = 0;
    for (uint32_t index = 0; index < count; index++) {
        size += client->send_iov[index].iov_len;
    }
    client->send_size = size;
    client->send_in_flight = true;
    uint64_t token = token_make(TOKEN_SEND, client->slot_index, client->generation);
    if (count == 1) {
        io_send(&server.io, client->fd, client->send_iov[0].iov_base, (uint32_t)size, token);
        return;
    }
    memset(&client->send_message, 0, sizeof(client->send_message));
    client->send_message.msg_iov = client->send_iov;
    client->send_message.msg_iovlen = count;
    io_sendmsg(&server.io, client->fd, &client->send_message, token);
}

static void client_post_recv(struct client *client) {
    ASSERT(!client->recv_in_flight);
    uint8_t *target;
    uint64_t size;
    if (client->big_arg_active) {
        size = (uint64_t)client->parser.bulk_size - client->big_arg_received;
        if (client->big_arg != NULL) {
            target = client->big_arg + client->big_arg_received;
        } else {
            /* A refused big argument: its bytes are read and dropped. */
            target = server.discard_buffer;
            size = MIN(size, (uint64_t)DISCARD_BUFFER_SIZE);
        }
        size = MIN(size, RECV_SIZE_MAX);
    } else {
        ASSERT(client->input_end < client->input_capacity);
        target = client->input + client->input_end;
        size = client->input_capacity - client->input_end;
    }
    ASSERT(size > 0);
    client->recv_in_flight = true;
    io_recv(&server.io, client->fd, target, (uint32_t)size,
            token_make(TOKEN_RECV, client->slot_index, client->generation));
}

enum client_next {
    CLIENT_NEXT_WAIT = 0,  /* nothing to do until a completion arrives */
    CLIENT_NEXT_READY,     /* more buffered commands: visit again next turn */
};

/*
 * client-output-buffer-limit's soft limit (Redis's checkClientOutputBufferLimits):
 * a client whose pending output stays above it for more than soft-seconds in a
 * row is closed like one over the hard limit. Checked at each step and in the
 * cron, so a client that never reads is caught even when nothing else happens.
 */
static bool client_over_soft_limit(struct client *client) {
    const struct output_limit *limit = pubsub_output_limit(client); /* normal, or pubsub */
    if (limit->soft_size == 0 || client->output.pending_size <= limit->soft_size) {
        client->soft_limit_since_ms = 0;
        return false;
    }
    if (client->soft_limit_since_ms == 0) {
        client->soft_limit_since_ms = server.now_ms;
        return false;
    }
    uint64_t over_ms = (uint64_t)(server.now_ms - client->soft_limit_since_ms);
    return over_ms > limit->soft_seconds * 1000;
}

/* Decides what a ready client does next. */
static enum client_next client_step(struct client *client) {
    if (client->state == CLIENT_OPEN && client->has_input && !client->recv_in_flight) {
        bool consumed = client_process_input(client);
        client->has_input = !consumed;
    }
    if (client->state != CLIENT_CLOSING && client_over_soft_limit(client)) {
        client->output.overflowed = true;
    }
    if (client->output.overflowed && client->state != CLIENT_CLOSING) {
        server_log(LOG_WARNING, "Client id=%llu scheduled to be closed ASAP for overcoming of "
                   "output buffer limits.", (unsigned long long)client->id);
        server.stats.output_limit_disconnections++;
        output_release(&server.output_pool, &client->output);
        client_close_now(client);
    }
    if (client->state == CLIENT_CLOSING) {
        /* Closed during this step: it is queued again and released next turn. */
        if (!client->recv_in_flight && !client->send_in_flight && !client->queued) {
            client_release(client);
        }
        return CLIENT_NEXT_WAIT;
    }
    if (!output_empty(&client->output) && !client->send_in_flight) {
        client_post_send(client);
    }
    if (client->state == CLIENT_DRAINING) {
        if (output_empty(&client->output) && !client->send_in_flight) {
            client_close_now(client);
        }
        return CLIENT_NEXT_WAIT;
    }
    if (client->has_input && client->postponed) {
        return CLIENT_NEXT_WAIT; /* CLIENT PAUSE: queued again when the pause ends */
    }
    if (UNLIKELY(blocking_client_blocked(&blocking_global, client->slot_index))) {
        /* Blocked: a receive only when every byte is parsed, so a disconnect is seen
         * and no receive in flight holds back pipelined commands once it is served. */
        if (!client->recv_in_flight && !client->big_arg_active &&
            client->parser.cursor == client->input_end &&
            client->input_end < client->input_capacity) {
            client_post_recv(client);
        }
        return CLIENT_NEXT_WAIT;
    }
    if (client->has_input) {
        /* A paused client holds output, so a send is in flight: its completion
         * brings the client back, and its input runs once the pool recovers. A
         * client holding a command for the pool is woken from the pool-wait list. */
        ASSERT(!client->paused || client->send_in_flight);
        ASSERT(!client->pool_held || client->pool_waiting || client->paused);
        return client->paused || client->pool_held ? CLIENT_NEXT_WAIT : CLIENT_NEXT_READY;
    }
    if (!client->recv_in_flight) {
        client_post_recv(client);
    }
    return CLIENT_NEXT_WAIT;
}

/* ==== The loop ==== */

static void server_step_ready_clients(void) {
    /* Clients queued while this list is walked wait for the next turn. */
    uint32_t index = server.ready_head;
    server.ready_head = CLIENT_NONE;
    server.ready_tail = CLIENT_NONE;
    for (uint32_t visited = 0; index != CLIENT_NONE; visited++) {
        ASSERT(visited < server.client_count);
        struct client *client = &server.clients[index];
        uint32_t next = client->next_ready;
        ASSERT(client->queued);
        client->queued = false;
        ASSERT(client->state != CLIENT_FREE);
        enum client_next next_step = client_step(client);
        if (next_step == CLIENT_NEXT_READY) {
            client_queue(client);
        }
        index = next;
    }
}

/*
 * A blocked client (BLPOP & co.) with unparsed input has no receive posted
 * (client_step): a peer that has gone is seen here, once per cron tick, by
 * peeking at the socket, as Redis notices it by reading.
 */
static void client_blocked_peek(struct client *client) {
    ASSERT(client->state == CLIENT_OPEN);
    if (client->recv_in_flight) {
        return;
    }
    uint8_t byte = 0;
    ssize_t received = recv(client->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (received == 0 ||
        (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        client_close_now(client);
    }
}

/* The cron's pass over clients: idle timeouts and soft output limits held too long. */
static void server_check_clients(void) {
    uint64_t timeout_ms = (uint64_t)server.config.timeout_seconds * 1000;
    for (uint32_t index = 0; index < server.untouched_client_index; index++) {
        struct client *client = &server.clients[index];
        if (client->state != CLIENT_OPEN) {
            continue;
        }
        if (client->soft_limit_since_ms != 0 && client_over_soft_limit(client)) {
            client_queue(client); /* its step closes it */
            continue;
        }
        if (blocking_client_blocked(&blocking_global, index)) {
            client_blocked_peek(client); /* not idle (its own timeout applies) */
            continue;
        }
        if (timeout_ms == 0 || pubsub_client_subscribed(client) || client->monitor ||
            client->postponed || client->pool_held) {
            /* Subscribers, monitors, paused commands: never idle-closed (Redis); nor a
             * client whose commands wait for the output pool. */
            continue;
        }
        if ((uint64_t)(server.now_ms - client->last_interaction_ms) > timeout_ms) {
            server_log(LOG_VERBOSE, "Closing idle client");
            client_close_now(client);
        }
    }
}

static void server_cron(void) {
    server.cron_count++;
    server.keyspace.now_ms = server.now_ms;
    server.keyspace.lru_clock = (uint32_t)(server.now_ms / 1000) & ITEM_LRU_MASK;
    if (!server.active_expire_disabled) {
        db_expire_step(&server.keyspace); /* off after DEBUG SET-ACTIVE-EXPIRE 0 */
    }
    if (server.heap.used_size > server.config.maxmemory) {
        /* Over budget (a lowered maxmemory, say): keep evicting a bounded batch per tick. */
        evict_until(&server.keyspace, server.config.maxmemory_policy,
                    server.config.maxmemory_samples, server.config.maxmemory, 0);
    }
    server_check_clients();
    server.next_cron_ms = server.now_ms + 1000 / (int64_t)server.config.hz;
}

void server_run(void) {
    ASSERT(server.ready);
    for (uint32_t index = 0; index < server.listen_count; index++) {
        io_accept(&server.io, server.listen_fds[index], token_make(TOKEN_ACCEPT, index, 0));
    }
    server.next_cron_ms = clock_now_ms();
    /* The loop is bounded by shutdown only: each turn does bounded work. */
    while (!server.shutdown_requested) {
        server.now_ms = clock_now_ms();
        int64_t timeout_ms = MAX((int64_t)1, server.next_cron_ms - server.now_ms);
        timeout_ms = clientcmd_pause_timeout(timeout_ms); /* CLIENT PAUSE's deadline */
        timeout_ms = blocking_wait_ms(timeout_ms, server.now_ms); /* blocked clients' */
        if (server.ready_head != CLIENT_NONE) {
            timeout_ms = 0;
        }
        uint32_t count = io_wait(&server.io, server.completions, IO_COMPLETIONS_PER_TURN_MAX,
                                 timeout_ms);
        server.now_ms = clock_now_ms();
        for (uint32_t index = 0; index < count; index++) {
            server_on_completion(&server.completions[index]);
        }
        blocking_expire(server.now_ms); /* timed-out blocked clients answer and resume */
        server_wake_pool_waiters();
        server_step_ready_clients();
        if (heap_compaction_wanted(&server.heap)) {
            db_compact_step(&server.keyspace, DB_COMPACT_MOVES_PER_TURN);
        }
        if (server.now_ms >= server.next_cron_ms) {
            server_cron();
        }
    }
    ASSERT(server.shutdown_requested);
}

/* ==== Listening ==== */

static int server_listen_one(const char *address) {
    bool optional = address[0] == '-';
    const char *host = optional ? address + 1 : address;
    bool ipv6 = strchr(host, ':') != NULL;
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return optional ? -2 : -1;
    }
    int enabled = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &enabled, sizeof(enabled));
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof(storage));
    socklen_t size;
    int parsed;
    if (ipv6) {
        struct sockaddr_in6 *ipv6_address = (struct sockaddr_in6 *)&storage;
        ipv6_address->sin6_family = AF_INET6;
        ipv6_address->sin6_port = htons((uint16_t)server.config.port);
        parsed = inet_pton(AF_INET6, host, &ipv6_address->sin6_addr);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &enabled, sizeof(enabled));
        size = sizeof(*ipv6_address);
    } else {
        struct sockaddr_in *ipv4_address = (struct sockaddr_in *)&storage;
        ipv4_address->sin_family = AF_INET;
        ipv4_address->sin_port = htons((uint16_t)server.config.port);
        parsed = inet_pton(AF_INET, host, &ipv4_address->sin_addr);
        size = sizeof(*ipv4_address);
    }
    if (parsed != 1 || bind(fd, (struct sockaddr *)&storage, size) != 0 ||
        listen(fd, (int)server.config.tcp_backlog) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return optional ? -2 : -1;
    }
    return fd;
}

bool server_listen(void) {
    server.listen_count = 0;
    for (uint32_t index = 0; index < server.config.bind_count; index++) {
        const char *address = server.config.bind[index];
        int fd = server_listen_one(address);
        if (fd == -2) {
            continue;
        }
        if (fd < 0) {
            server_log(LOG_WARNING, "Could not create server TCP listening socket %s:%u: %s",
                       address, server.config.port, strerror(errno));
            return false;
        }
        server.listen_fds[server.listen_count++] = fd;
    }
    if (server.listen_count == 0) {
        server_log(LOG_WARNING, "Failed listening on any address");
        return false;
    }
    return true;
}

/* ==== In-process seam for the command fuzzer (tests/fuzz/fuzz_command.c) ==== */

/*
 * The fuzzer drives one client without a socket or an io backend by playing
 * the event loop's part for it: conn_fuzz_feed is one receive completion
 * (the bytes land where client_post_recv would have asked the kernel to put
 * them, never more than the room it would give) followed by the client's
 * step without the send. The caller drains client->output itself, as send
 * completions would (output_consume). Only this client is ever on the ready
 * list, and the io backend (the fuzzer sets up epoll) is never asked to
 * receive or send for it.
 */
#define CONN_FUZZ_STEPS_MAX 4096u

static void conn_fuzz_unqueue(struct client *client) {
    if (!client->queued) {
        return;
    }
    ASSERT(server.ready_head == client->slot_index);
    ASSERT(server.ready_tail == client->slot_index);
    client->queued = false;
    server.ready_head = CLIENT_NONE;
    server.ready_tail = CLIENT_NONE;
}

struct client *conn_fuzz_open(int fd) {
    ASSERT(fd >= 0);
    ASSERT(server.ready_head == CLIENT_NONE);
    client_open(fd);
    ASSERT(server.ready_tail != CLIENT_NONE); /* not refused: maxclients leaves room */
    struct client *client = &server.clients[server.ready_tail];
    ASSERT(client->fd == fd);
    conn_fuzz_unqueue(client);
    return client;
}

/* client_step up to its send: run buffered commands, apply the output limits. */
static void conn_fuzz_step(struct client *client) {
    for (uint32_t round = 0; round < CONN_FUZZ_STEPS_MAX; round++) {
        if (client->state == CLIENT_OPEN && client->has_input) {
            bool consumed = client_process_input(client);
            client->has_input = !consumed;
        }
        conn_fuzz_unqueue(client);
        if (client->state != CLIENT_CLOSING && client_over_soft_limit(client)) {
            client->output.overflowed = true;
        }
        if (client->output.overflowed && client->state != CLIENT_CLOSING) {
            server_log(LOG_WARNING, "Client id=%llu scheduled to be closed ASAP for "
                       "overcoming of output buffer limits.", (unsigned long long)client->id);
            server.stats.output_limit_disconnections++;
            output_release(&server.output_pool, &client->output);
            client_close_now(client);
            conn_fuzz_unqueue(client);
        }
        /* More than a turn's worth of commands runs on (the loop would revisit it);
         * a paused client waits for the caller to drain its output. */
        if (client->state != CLIENT_OPEN || !client->has_input || client->paused ||
            client->pool_held || client->postponed ||
            blocking_client_blocked(&blocking_global, client->slot_index)) {
            return;
        }
    }
    ASSERT(false);
}

uint32_t conn_fuzz_feed(struct client *client, const uint8_t *bytes, uint32_t size) {
    ASSERT(client->state != CLIENT_FREE);
    ASSERT(!client->recv_in_flight && !client->send_in_flight);
    conn_fuzz_step(client);
    if (client->state != CLIENT_OPEN || client->has_input || size == 0) {
        return 0;
    }
    /* What client_post_recv would ask for. */
    uint8_t *target;
    uint64_t room;
    if (client->big_arg_active) {
        room = (uint64_t)client->parser.bulk_size - client->big_arg_received;
        target = client->big_arg != NULL ? client->big_arg + client->big_arg_received
                                         : server.discard_buffer;
        room = client->big_arg != NULL ? room : MIN(room, (uint64_t)DISCARD_BUFFER_SIZE);
        room = MIN(room, RECV_SIZE_MAX);
    } else {
        ASSERT(client->input_end < client->input_capacity);
        target = client->input + client->input_end;
        room = client->input_capacity - client->input_end;
    }
    ASSERT(room > 0);
    uint32_t taken = (uint32_t)MIN(room, (uint64_t)size);
    memcpy(target, bytes, taken);
    client->recv_in_flight = true;
    client_on_recv(client, (int32_t)taken);
    conn_fuzz_unqueue(client);
    conn_fuzz_step(client);
    return taken;
}

void conn_fuzz_close(struct client *client) {
    ASSERT(client->state != CLIENT_FREE);
    ASSERT(!client->recv_in_flight && !client->send_in_flight);
    if (client->state != CLIENT_CLOSING) {
        client_close_now(client);
    }
    conn_fuzz_unqueue(client);
    client_release(client);
    ASSERT(client->state == CLIENT_FREE);
}
