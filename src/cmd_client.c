/*
 * cmd_client.c: CLIENT and its subcommands, RESET, MONITOR and WAIT, with
 * Redis 7.0.15's replies and errors.
 *
 * State (all in struct client / struct server, nothing allocated):
 *   - reply_flags: CLIENT REPLY OFF / SKIP. A muted client's reply is pointed at
 *     a sink output that is always "overflowed", so every reply_* call drops
 *     its bytes (Redis's prepareClientToWrite refusing to write);
 *   - pause_type / pause_end_ms: CLIENT PAUSE. A held command stays parsed in
 *     argv (client->postponed) and conn.c runs it again once the pause ends;
 *   - monitors: a list linked through client->next_monitor, fed after each
 *     command only while monitor_count > 0 (a single compare otherwise).
 * Killing another client closes it now; killing oneself closes after the reply.
 *
 * Limits: a client name holds up to CLIENT_NAME_SIZE_MAX - 1 bytes (Redis has
 * none: a longer one gets a clear keel error); a MONITOR line is bounded by the
 * monitor's output limit like any reply (a slow monitor is closed).
 *
 * Not in keel: client-side caching (CLIENT TRACKING ON answers a keel error;
 * OFF, TRACKINGINFO, GETREDIR and CACHING answer what Redis answers for a
 * client without tracking), replicas (WAIT answers :0 at once).
 */
#include "cmd_client.h"

#include "acl.h"
#include "blocking.h"
#include "clientinfo.h"
#include "commands.h"
#include "multi.h"
#include "pubsub.h"
#include "server.h"

static const char ERROR_CLIENT_NAME[] =
    "ERR Client names cannot contain spaces, newlines or special characters.";
static const char ERROR_REPLICA_KEYSPACE[] = "ERR Replica can't interact with the keyspace";
static const char ERROR_TIMEOUT_NOT_INTEGER[] = "ERR timeout is not an integer or out of range";
static const char ERROR_TIMEOUT_NEGATIVE[] = "ERR timeout is negative";
static const char ERROR_TRACKING[] =
    "ERR CLIENT TRACKING is not supported by keel (no client-side caching)";

#define CLIENTCMD_TYPE_NONE (-1)
#define CLIENTCMD_TYPE_NORMAL 0
#define CLIENTCMD_TYPE_REPLICA 1
#define CLIENTCMD_TYPE_PUBSUB 2
#define CLIENTCMD_TYPE_MASTER 3
#define CLIENTCMD_TYPE_UNKNOWN (-2)

/* Where a muted client's replies go: marked overflowed, so writes are dropped. */
static struct output clientcmd_sink = { .head_index = OUTPUT_NONE, .tail_index = OUTPUT_NONE,
                                        .limit_size = 1, .overflowed = true };

/* ==== Client lookup and type ==== */

static struct client *clientcmd_find(uint64_t id) {
    for (uint32_t index = 0; index < server.untouched_client_index; index++) {
        struct client *client = &server.clients[index];
        if (client->state != CLIENT_FREE && client->id == id) {
            return client;
        }
    }
    return NULL;
}

/* Redis's getClientTypeByName; CLIENTCMD_TYPE_UNKNOWN when it is none. */
static int32_t clientcmd_type_by_name(struct slice name) {
    if (slice_equal_nocase(name, "normal")) {
        return CLIENTCMD_TYPE_NORMAL;
    }
    if (slice_equal_nocase(name, "slave") || slice_equal_nocase(name, "replica")) {
        return CLIENTCMD_TYPE_REPLICA;
    }
    if (slice_equal_nocase(name, "pubsub")) {
        return CLIENTCMD_TYPE_PUBSUB;
    }
    if (slice_equal_nocase(name, "master")) {
        return CLIENTCMD_TYPE_MASTER;
    }
    return CLIENTCMD_TYPE_UNKNOWN;
}

/* Redis's getClientType: a MONITOR client is normal; keel has no replicas. */
static int32_t clientcmd_type(const struct client *client) {
    char flags[32];
    clientinfo_flags(client, flags, sizeof(flags));
    return strchr(flags, 'P') != NULL ? CLIENTCMD_TYPE_PUBSUB : CLIENTCMD_TYPE_NORMAL;
}

/* "Unknown client type '%s'" (the name up to a NUL byte, as Redis's %s). */
static void clientcmd_reply_unknown_type(struct client *client, struct slice name) {
    const uint8_t *nul = name.size == 0 ? NULL : memchr(name.ptr, 0, name.size);
    uint32_t shown = nul == NULL ? name.size : (uint32_t)(nul - name.ptr);
    reply_errorf(&client->reply, "ERR Unknown client type '%.*s'", (int)MIN(shown, 1024u),
                 (const char *)name.ptr);
}

/* addReplySubcommandSyntaxError. */
static void clientcmd_reply_subcommand_syntax(struct client *client) {
    struct slice sub = client_arg(client, 1);
    reply_errorf(&client->reply, "ERR unknown subcommand or wrong number of arguments for "
                 "'%.*s'. Try CLIENT HELP.", (int)MIN(sub.size, 128u), (const char *)sub.ptr);
}

/* ==== Names, ids, info ==== */

bool clientcmd_set_name(struct client *client, struct slice name) {
    ASSERT(name.ptr != NULL || name.size == 0);
    for (uint32_t index = 0; index < name.size; index++) {
        uint8_t c = name.ptr[index];
        if (c < '!' || c > '~') {
            reply_error(&client->reply, ERROR_CLIENT_NAME);
            return false;
        }
    }
    if (name.size >= CLIENT_NAME_SIZE_MAX) {
        reply_errorf(&client->reply, "ERR Client name is too long (keel keeps up to %u bytes)",
                     CLIENT_NAME_SIZE_MAX - 1);
        return false;
    }
    memcpy(client->name, name.ptr, name.size);
    client->name[name.size] = 0;
    return true;
}

static void clientcmd_setname(struct client *client) {
    if (clientcmd_set_name(client, client_arg(client, 2))) {
        reply_ok(&client->reply);
    }
}

static void clientcmd_getname(struct client *client) {
    if (client->name[0] == 0) {
        reply_null(&client->reply);
        return;
    }
    reply_bulk_cstr(&client->reply, client->name);
}

static void clientcmd_info(struct client *client) {
    char line[CLIENTINFO_LINE_SIZE_MAX + 1];
    uint32_t size = clientinfo_format(&server.acl, client, clock_now_ms(), line,
                                      CLIENTINFO_LINE_SIZE_MAX);
    ASSERT(size < sizeof(line));
    line[size++] = '\n';
    reply_verbatim(&client->reply, line, size, "txt"); /* RESP3: =<size> txt:... */
}

/* ==== CLIENT LIST ==== */

/* One step of heapsort by client id: moves slots[root] down below limit. */
static void clientcmd_sift_down(uint32_t *slots, uint32_t root, uint32_t limit) {
    ASSERT(root < limit);
    for (uint32_t depth = 0; depth < 64; depth++) {
        uint32_t child = 2 * root + 1;
        if (child >= limit) {
            return;
        }
        if (child + 1 < limit &&
            server.clients[slots[child + 1]].id > server.clients[slots[child]].id) {
            child++;
        }
        if (server.clients[slots[root]].id >= server.clients[slots[child]].id) {
            return;
        }
        uint32_t swap = slots[root];
        slots[root] = slots[child];
        slots[child] = swap;
        root = child;
    }
    ASSERT(false); /* a heap of at most 2^32 entries is less than 64 deep */
}

/* Sorts slot indexes by client id (Redis lists clients in creation order):
 * heapsort, in place, no recursion, no allocation. */
static void clientcmd_sort_by_id(uint32_t *slots, uint32_t count) {
    if (count < 2) {
        return;
    }
    for (uint32_t step = 0; step < count / 2; step++) {
        clientcmd_sift_down(slots, count / 2 - 1 - step, count);
    }
    for (uint32_t limit = count - 1; limit > 0; limit--) {
        uint32_t top = slots[0];
        slots[0] = slots[limit];
        slots[limit] = top;
        clientcmd_sift_down(slots, 0, limit);
    }
    VERIFY(server.clients[slots[0]].id < server.clients[slots[count - 1]].id);
}

/*
 * Writes (or, without a reply, measures) the lines of the listed clients. The
 * current client's line is formatted once, before anything is written (its own
 * reply would change its omem and events between the passes).
 */
static uint64_t clientcmd_list_lines(struct reply *reply, const uint32_t *slots,
                                     uint32_t count, int64_t now_ms,
                                     const struct client *current, const char *current_line,
                                     uint32_t current_size) {
    uint64_t total = 0;
    char line[CLIENTINFO_LINE_SIZE_MAX + 1];
    for (uint32_t index = 0; index < count; index++) {
        const struct client *listed = &server.clients[slots[index]];
        const char *text = current_line;
        uint32_t size = current_size;
        if (listed != current) {
            size = clientinfo_format(&server.acl, listed, now_ms, line,
                                     CLIENTINFO_LINE_SIZE_MAX);
            line[size++] = '\n';
            text = line;
        }
        total += size;
        if (reply != NULL) {
            reply_raw(reply, text, size);
        }
    }
    return total;
}

/* The listed clients as one bulk string (sized by a first pass). */
static void clientcmd_reply_lines(struct client *client, const uint32_t *slots,
                                  uint32_t count) {
    int64_t now_ms = clock_now_ms();
    char own[CLIENTINFO_LINE_SIZE_MAX + 1];
    uint32_t own_size = clientinfo_format(&server.acl, client, now_ms, own,
                                          CLIENTINFO_LINE_SIZE_MAX);
    own[own_size++] = '\n';
    uint64_t total = clientcmd_list_lines(NULL, slots, count, now_ms, client, own, own_size);
    reply_verbatim_header(&client->reply, total, "txt"); /* RESP3: =<size> txt:... */
    uint64_t written = clientcmd_list_lines(&client->reply, slots, count, now_ms, client, own,
                                            own_size);
    ASSERT(written == total);
    reply_bulk_trailer(&client->reply);
}

/* The open clients' slots, sorted by id; returns their count. */
static uint32_t clientcmd_sorted_slots(uint32_t *slots) {
    uint32_t count = 0;
    for (uint32_t index = 0; index < server.untouched_client_index; index++) {
        if (server.clients[index].state != CLIENT_FREE) {
            ASSERT(count < server.connected_count);
            slots[count++] = index;
        }
    }
    clientcmd_sort_by_id(slots, count);
    return count;
}

/* Binary search of an id in slots sorted by id: the slot, or CLIENT_NONE. */
static uint32_t clientcmd_search(const uint32_t *slots, uint32_t count, uint64_t id) {
    uint32_t low = 0;
    uint32_t high = count;
    for (uint32_t step = 0; step < 64 && low < high; step++) {
        uint32_t middle = low + (high - low) / 2;
        uint64_t found = server.clients[slots[middle]].id;
        if (found == id) {
            return slots[middle];
        }
        if (found < id) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return CLIENT_NONE;
}

/*
 * CLIENT LIST ID id...: every id is checked before anything is written; the
 * listed clients come in the order asked (repeats too). O(N log N + ids log N)
 * with scratch from the input heap: the sorted slots, then the listed ones.
 */
static void clientcmd_list_ids(struct client *client) {
    uint32_t asked = client->argv.count - 3;
    for (uint32_t index = 3; index < client->argv.count; index++) {
        int64_t id = 0;
        if (!argument_int64(client_arg(client, index), &id)) {
            reply_error(&client->reply, "ERR Invalid client ID");
            return;
        }
    }
    uint64_t open_count = MAX(server.connected_count, 1u);
    uint32_t *slots = heap_alloc(&server.input_heap, (open_count + asked) * sizeof(uint32_t));
    if (slots == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    uint32_t count = clientcmd_sorted_slots(slots);
    uint32_t *listed = slots + open_count;
    uint32_t found = 0;
    for (uint32_t index = 3; index < client->argv.count; index++) {
        int64_t id = 0;
        bool parsed = argument_int64(client_arg(client, index), &id);
        ASSERT(parsed);
        uint32_t slot = clientcmd_search(slots, count, (uint64_t)id);
        if (slot != CLIENT_NONE) {
            listed[found++] = slot;
        }
    }
    clientcmd_reply_lines(client, listed, found);
    heap_free(&server.input_heap, slots);
}

static void clientcmd_list(struct client *client) {
    uint32_t argc = client->argv.count;
    int32_t type = CLIENTCMD_TYPE_NONE;
    if (argc == 4 && slice_equal_nocase(client_arg(client, 2), "type")) {
        type = clientcmd_type_by_name(client_arg(client, 3));
        if (type == CLIENTCMD_TYPE_UNKNOWN) {
            clientcmd_reply_unknown_type(client, client_arg(client, 3));
            return;
        }
    } else if (argc > 3 && slice_equal_nocase(client_arg(client, 2), "id")) {
        clientcmd_list_ids(client);
        return;
    } else if (argc != 2) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    uint32_t *slots = heap_alloc(&server.input_heap,
                                 (uint64_t)MAX(server.connected_count, 1u) * sizeof(uint32_t));
    if (slots == NULL) {
        reply_error(&client->reply, ERROR_OOM);
        return;
    }
    uint32_t count = clientcmd_sorted_slots(slots);
    uint32_t kept = 0;
    for (uint32_t index = 0; index < count; index++) {
        if (type == CLIENTCMD_TYPE_NONE || clientcmd_type(&server.clients[slots[index]]) == type) {
            slots[kept++] = slots[index];
        }
    }
    clientcmd_reply_lines(client, slots, kept);
    heap_free(&server.input_heap, slots);
}

/* ==== CLIENT KILL ==== */

struct clientcmd_kill_filter {
    struct slice addr;
    struct slice laddr;
    bool has_addr;
    bool has_laddr;
    int32_t type;
    uint64_t id;
    const struct acl_user *user;
    bool skipme;
};

/* One option of the new form; false with the error written. */
static bool clientcmd_kill_option(struct client *client, uint32_t index,
                                  struct clientcmd_kill_filter *filter) {
    struct slice option = client_arg(client, index);
    struct slice value = client_arg(client, index + 1);
    if (slice_equal_nocase(option, "id")) {
        int64_t id = 0;
        if (!argument_int64(value, &id) || id < 1) {
            reply_error(&client->reply, "ERR client-id should be greater than 0");
            return false;
        }
        filter->id = (uint64_t)id;
    } else if (slice_equal_nocase(option, "type")) {
        filter->type = clientcmd_type_by_name(value);
        if (filter->type == CLIENTCMD_TYPE_UNKNOWN) {
            clientcmd_reply_unknown_type(client, value);
            return false;
        }
    } else if (slice_equal_nocase(option, "addr")) {
        filter->addr = value;
        filter->has_addr = true;
    } else if (slice_equal_nocase(option, "laddr")) {
        filter->laddr = value;
        filter->has_laddr = true;
    } else if (slice_equal_nocase(option, "user")) {
        filter->user = acl_user_find(&server.acl, value);
        if (filter->user == NULL) {
            const uint8_t *nul = value.size == 0 ? NULL : memchr(value.ptr, 0, value.size);
            uint32_t shown = nul == NULL ? value.size : (uint32_t)(nul - value.ptr);
            reply_errorf(&client->reply, "ERR No such user '%.*s'", (int)MIN(shown, 1024u),
                         (const char *)value.ptr);
            return false;
        }
    } else if (slice_equal_nocase(option, "skipme") && slice_equal_nocase(value, "yes")) {
        filter->skipme = true;
    } else if (slice_equal_nocase(option, "skipme") && slice_equal_nocase(value, "no")) {
        filter->skipme = false;
    } else {
        reply_error(&client->reply, ERROR_SYNTAX);
        return false;
    }
    return true;
}

/* An address filter compares whole strings, as Redis's strcmp (a NUL byte ends it). */
static bool clientcmd_address_matches(struct slice wanted, const char *address) {
    const uint8_t *nul = wanted.size == 0 ? NULL : memchr(wanted.ptr, 0, wanted.size);
    uint32_t size = nul == NULL ? wanted.size : (uint32_t)(nul - wanted.ptr);
    return strlen(address) == size && memcmp(address, wanted.ptr, size) == 0;
}

static bool clientcmd_kill_matches(const struct client *current, const struct client *target,
                                   const struct clientcmd_kill_filter *filter) {
    if (filter->has_addr && !clientcmd_address_matches(filter->addr, target->address)) {
        return false;
    }
    if (filter->has_laddr) {
        char local[CLIENT_ADDRESS_SIZE_MAX + 16];
        clientinfo_local_address(target->fd, local, sizeof(local));
        if (!clientcmd_address_matches(filter->laddr, local)) {
            return false;
        }
    }
    if (filter->type != CLIENTCMD_TYPE_NONE && clientcmd_type(target) != filter->type) {
        return false;
    }
    if (filter->id != 0 && target->id != filter->id) {
        return false;
    }
    if (filter->user != NULL && acl_client_user(&server.acl, target) != filter->user) {
        return false;
    }
    return !(target == current && filter->skipme);
}

/* Kills the matching clients; the current one after its reply. */
static uint32_t clientcmd_kill_matching(struct client *client,
                                        const struct clientcmd_kill_filter *filter,
                                        bool *close_self) {
    uint32_t killed = 0;
    for (uint32_t index = 0; index < server.untouched_client_index; index++) {
        struct client *target = &server.clients[index];
        if (target->state == CLIENT_FREE || target->state == CLIENT_CLOSING) {
            continue;
        }
        if (!clientcmd_kill_matches(client, target, filter)) {
            continue;
        }
        if (target == client) {
            *close_self = true;
        } else {
            client_close_now(target);
        }
        killed++;
    }
    return killed;
}

static void clientcmd_kill(struct client *client) {
    uint32_t argc = client->argv.count;
    struct clientcmd_kill_filter filter = { .type = CLIENTCMD_TYPE_NONE, .skipme = true };
    if (argc == 3) {
        /* The old form: CLIENT KILL addr (the current client too). */
        filter.addr = client_arg(client, 2);
        filter.has_addr = true;
        filter.skipme = false;
    } else {
        ASSERT(argc > 3);
        for (uint32_t index = 2; index < argc; index += 2) {
            if (index + 1 >= argc) {
                reply_error(&client->reply, ERROR_SYNTAX);
                return;
            }
            if (!clientcmd_kill_option(client, index, &filter)) {
                return;
            }
        }
    }
    bool close_self = false;
    uint32_t killed = clientcmd_kill_matching(client, &filter, &close_self);
    if (argc == 3) {
        if (killed == 0) {
            reply_error(&client->reply, "ERR No such client");
        } else {
            reply_ok(&client->reply);
        }
    } else {
        reply_integer(&client->reply, killed);
    }
    if (close_self) {
        client_close_after_reply(client);
    }
}

/* ==== CLIENT PAUSE / UNPAUSE ==== */

static void clientcmd_pause_end(void) {
    server.pause_type = CLIENTCMD_PAUSE_NONE;
    server.pause_end_ms = 0;
    if (server.postponed_count == 0) {
        return;
    }
    for (uint32_t index = 0; index < server.untouched_client_index; index++) {
        struct client *held = &server.clients[index];
        if (held->state != CLIENT_FREE && held->postponed) {
            client_wake(held);
        }
    }
}

int64_t clientcmd_pause_timeout(int64_t timeout_ms) {
    if (LIKELY(server.pause_type == CLIENTCMD_PAUSE_NONE)) {
        return timeout_ms;
    }
    ASSERT(server.pause_end_ms > 0);
    int64_t now_ms = clock_now_ms();
    if (now_ms >= server.pause_end_ms) {
        clientcmd_pause_end();
        return timeout_ms;
    }
    return MAX((int64_t)1, MIN(timeout_ms, server.pause_end_ms - now_ms));
}

static void clientcmd_pause(struct client *client) {
    uint32_t argc = client->argv.count;
    if (argc > 4) {
        clientcmd_reply_subcommand_syntax(client);
        return;
    }
    int64_t timeout_ms = 0;
    if (!argument_int64(client_arg(client, 2), &timeout_ms)) {
        reply_error(&client->reply, ERROR_TIMEOUT_NOT_INTEGER);
        return;
    }
    if (timeout_ms < 0) {
        reply_error(&client->reply, ERROR_TIMEOUT_NEGATIVE);
        return;
    }
    uint8_t type = CLIENTCMD_PAUSE_ALL;
    if (argc == 4) {
        if (slice_equal_nocase(client_arg(client, 3), "write")) {
            type = CLIENTCMD_PAUSE_WRITE;
        } else if (!slice_equal_nocase(client_arg(client, 3), "all")) {
            reply_error(&client->reply, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    int64_t now_ms = clock_now_ms();
    /* Redis adds the timeout to the clock without an overflow check: a sum past
     * INT64_MAX wraps into the past, so such a pause ends at once. */
    if (timeout_ms > 0 && timeout_ms <= INT64_MAX - now_ms) {
        server.pause_type = MAX(server.pause_type, type);
        server.pause_end_ms = MAX(server.pause_end_ms, now_ms + timeout_ms);
    }
    reply_ok(&client->reply);
}

static void clientcmd_unpause(struct client *client) {
    clientcmd_pause_end();
    reply_ok(&client->reply);
}

uint32_t clientcmd_postponed_count(void) {
    return server.postponed_count;
}

/* Redis's processCommand: a write (or may-replicate) command waits during a
 * WRITE pause, every command during an ALL pause. */
static bool clientcmd_pause_holds(const struct client *client, const struct command *command) {
    if (server.pause_type == CLIENTCMD_PAUSE_NONE) {
        return false;
    }
    if (clock_now_ms() >= server.pause_end_ms) {
        clientcmd_pause_end();
        return false;
    }
    if (server.pause_type == CLIENTCMD_PAUSE_ALL) {
        return true;
    }
    /* EXEC of a transaction that queued a write is held too (Redis checks the
     * queued commands' flags): needs a MULTI_HAS_WRITE flag from src/multi.h. */
#ifdef MULTI_HAS_WRITE
    if (command->handler == cmd_exec && (client->multi_flags & MULTI_HAS_WRITE) != 0) {
        return true;
    }
#endif
    ASSERT(client != NULL);
    return (command->flags & (CMD_WRITE | CMD_MAY_REPLICATE)) != 0;
}

bool clientcmd_may_run(struct client *client, const struct command *command) {
    ASSERT(command != NULL);
    ASSERT(!client->postponed);
    if (client->monitor &&
        (command->flags & (CMD_WRITE | CMD_READONLY | CMD_MAY_REPLICATE)) != 0) {
        reply_error(&client->reply, ERROR_REPLICA_KEYSPACE);
        return false;
    }
    if (!clientcmd_pause_holds(client, command)) {
        return true;
    }
    client->postponed = true;
    server.postponed_count++;
    return false;
}

void clientcmd_resume(struct client *client) {
    ASSERT(client->postponed);
    ASSERT(server.postponed_count > 0);
    client->postponed = false;
    server.postponed_count--;
}

/* ==== CLIENT REPLY ==== */

/* Points the reply at the client's output, or at the sink while it is muted. */
static void clientcmd_reply_route(struct client *client) {
    bool muted = (client->reply_flags & (CLIENTCMD_REPLY_OFF | CLIENTCMD_REPLY_SKIP)) != 0;
    client->reply.output = muted ? &clientcmd_sink : &client->output;
    ASSERT(clientcmd_sink.overflowed);
}

/* Redis's resetClient: SKIP lasts one command; SKIP_NEXT becomes SKIP. */
void clientcmd_reply_after_command(struct client *client) {
    ASSERT(client->reply_flags != 0);
    client->reply_flags &= (uint8_t)~CLIENTCMD_REPLY_SKIP;
    if (client->reply_flags & CLIENTCMD_REPLY_SKIP_NEXT) {
        client->reply_flags |= CLIENTCMD_REPLY_SKIP;
        client->reply_flags &= (uint8_t)~CLIENTCMD_REPLY_SKIP_NEXT;
    }
    clientcmd_reply_route(client);
}

static void clientcmd_reply(struct client *client) {
    struct slice mode = client_arg(client, 2);
    if (slice_equal_nocase(mode, "on")) {
        client->reply_flags &= (uint8_t)~(CLIENTCMD_REPLY_SKIP | CLIENTCMD_REPLY_OFF);
        clientcmd_reply_route(client);
        reply_ok(&client->reply);
    } else if (slice_equal_nocase(mode, "off")) {
        client->reply_flags |= CLIENTCMD_REPLY_OFF;
        clientcmd_reply_route(client);
    } else if (slice_equal_nocase(mode, "skip")) {
        if ((client->reply_flags & CLIENTCMD_REPLY_OFF) == 0) {
            client->reply_flags |= CLIENTCMD_REPLY_SKIP_NEXT;
        }
    } else {
        reply_error(&client->reply, ERROR_SYNTAX);
    }
}

/* ==== Small subcommands ==== */

static void clientcmd_no_evict(struct client *client) {
    struct slice mode = client_arg(client, 2);
    if (slice_equal_nocase(mode, "on")) {
        client->no_evict = true;
    } else if (slice_equal_nocase(mode, "off")) {
        client->no_evict = false;
    } else {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    reply_ok(&client->reply);
}

static void clientcmd_unblock(struct client *client) {
    uint32_t argc = client->argv.count;
    if (argc > 4) {
        clientcmd_reply_subcommand_syntax(client);
        return;
    }
    int64_t id = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 2), &id)) {
        return;
    }
    bool error = false;
    if (argc == 4) {
        if (slice_equal_nocase(client_arg(client, 3), "error")) {
            error = true;
        } else if (!slice_equal_nocase(client_arg(client, 3), "timeout")) {
            reply_error(&client->reply, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    /* A command held by CLIENT PAUSE is not unblocked (Redis 7.0.15 crashes on it:
     * "Unknown btype in replyToBlockedClientTimedOut"). */
    struct client *target = clientcmd_find((uint64_t)id);
    bool unblocked = target != NULL && target != client && !target->postponed &&
                     blocking_unblock(target, error);
    reply_integer(&client->reply, unblocked ? 1 : 0);
}

static void clientcmd_tracking(struct client *client) {
    struct slice mode = client_arg(client, 2);
    bool on = slice_equal_nocase(mode, "on");
    if (!on && !slice_equal_nocase(mode, "off")) {
        reply_error(&client->reply, ERROR_SYNTAX);
        return;
    }
    if (!on && client->argv.count == 3) {
        reply_ok(&client->reply); /* tracking is off: nothing to turn off */
        return;
    }
    reply_error(&client->reply, ERROR_TRACKING);
}

static void clientcmd_caching(struct client *client) {
    reply_error(&client->reply, "ERR CLIENT CACHING can be called only when the client is in "
                "tracking mode with OPTIN or OPTOUT mode enabled");
}

static void clientcmd_trackinginfo(struct client *client) {
    reply_map(&client->reply, 3);
    reply_bulk_cstr(&client->reply, "flags");
    reply_set(&client->reply, 1);
    reply_bulk_cstr(&client->reply, "off");
    reply_bulk_cstr(&client->reply, "redirect");
    reply_integer(&client->reply, -1);
    reply_bulk_cstr(&client->reply, "prefixes");
    reply_array(&client->reply, 0);
}

static const char *const clientcmd_help_lines[] = {
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
};

static void clientcmd_help(struct client *client) {
    uint32_t count = (uint32_t)ARRAY_COUNT(clientcmd_help_lines);
    reply_array(&client->reply, count);
    for (uint32_t index = 0; index < count; index++) {
        reply_simple(&client->reply, clientcmd_help_lines[index]);
    }
}

static void clientcmd_id(struct client *client) {
    reply_integer(&client->reply, (int64_t)client->id);
}

static void clientcmd_getredir(struct client *client) {
    reply_integer(&client->reply, -1);
}

struct clientcmd_subcommand {
    const char *name;
    void (*handler)(struct client *client);
};

/* Arity is checked by dispatch from acl.c's subcommand table. */
static const struct clientcmd_subcommand clientcmd_subcommands[] = {
    { "id", clientcmd_id },           { "info", clientcmd_info },
    { "list", clientcmd_list },       { "kill", clientcmd_kill },
    { "setname", clientcmd_setname }, { "getname", clientcmd_getname },
    { "pause", clientcmd_pause },     { "unpause", clientcmd_unpause },
    { "reply", clientcmd_reply },     { "no-evict", clientcmd_no_evict },
    { "unblock", clientcmd_unblock }, { "getredir", clientcmd_getredir },
    { "tracking", clientcmd_tracking }, { "caching", clientcmd_caching },
    { "trackinginfo", clientcmd_trackinginfo }, { "help", clientcmd_help },
};

void cmd_client(struct client *client) {
    ASSERT(client->argv.count >= 2);
    struct slice name = client_arg(client, 1);
    for (uint32_t index = 0; index < ARRAY_COUNT(clientcmd_subcommands); index++) {
        if (slice_equal_nocase(name, clientcmd_subcommands[index].name)) {
            clientcmd_subcommands[index].handler(client);
            return;
        }
    }
    ASSERT(false); /* dispatch answers unknown subcommands */
}

/* ==== MONITOR ==== */

static void clientcmd_monitor_remove(struct client *client) {
    ASSERT(client->monitor);
    ASSERT(server.monitor_count > 0);
    uint32_t *link = &server.monitor_head;
    for (uint32_t step = 0; step < server.monitor_count; step++) {
        ASSERT(*link != CLIENT_NONE);
        if (*link == client->slot_index) {
            *link = client->next_monitor;
            client->monitor = false;
            client->next_monitor = CLIENT_NONE;
            server.monitor_count--;
            return;
        }
        link = &server.clients[*link].next_monitor;
    }
    ASSERT(false);
}

void cmd_monitor(struct client *client) {
    if (client->monitor) {
        return; /* Redis ignores MONITOR from a monitor: no reply at all */
    }
    /* Redis refuses MONITOR from a client that cannot block: inside EXEC. */
    if (client_in_exec(client)) {
        reply_error(&client->reply, "ERR MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    client->monitor = true;
    client->next_monitor = server.monitor_count == 0 ? CLIENT_NONE : server.monitor_head;
    server.monitor_head = client->slot_index;
    server.monitor_count++;
    reply_ok(&client->reply);
}

/* sdscatrepr of one argument, in pieces through the reply. */
static void clientcmd_monitor_quoted(struct reply *reply, struct slice argument) {
    char piece[512];
    uint32_t size = 0;
    piece[size++] = '"';
    for (uint32_t index = 0; index < argument.size; index++) {
        if (size > sizeof(piece) - 8) {
            reply_raw(reply, piece, size);
            size = 0;
        }
        uint8_t c = argument.ptr[index];
        const char *escape = c == '\\' ? "\\\\" : c == '"' ? "\\\"" : c == '\n' ? "\\n"
                           : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\a' ? "\\a"
                           : c == '\b' ? "\\b" : NULL;
        if (escape != NULL) {
            piece[size++] = escape[0];
            piece[size++] = escape[1];
        } else if (c >= 0x20 && c < 0x7f) {
            piece[size++] = (char)c;
        } else {
            size += (uint32_t)snprintf(piece + size, sizeof(piece) - size, "\\x%02x", c);
        }
    }
    piece[size++] = '"';
    reply_raw(reply, piece, size);
}

/* One line to one monitor: +<sec>.<usec> [<db> <addr>] "arg" ... */
static void clientcmd_monitor_line(struct client *monitor, const struct client *client,
                                   const struct slice *arguments, uint32_t kept,
                                   uint32_t redacted_mask, int64_t now_us) {
    char head[128];
    int size = snprintf(head, sizeof(head), "+%lld.%06lld [%u %s]",
                        (long long)(now_us / 1000000), (long long)(now_us % 1000000),
                        client->db_index, client->address);
    ASSERT(size > 0 && (uint32_t)size < sizeof(head));
    struct reply *reply = &monitor->reply;
    reply_raw(reply, head, (uint32_t)size);
    for (uint32_t index = 0; index < client->argv.count; index++) {
        reply_raw(reply, " ", 1);
        if (index < 32 && (redacted_mask & ((uint32_t)1 << index)) != 0) {
            reply_raw(reply, "\"(redacted)\"", 12);
            continue;
        }
        struct slice argument = index < kept ? arguments[index] : client->argv.items[index];
        if (argument.ptr == NULL) {
            argument.size = 0; /* adopted by its handler: no longer readable */
        }
        clientcmd_monitor_quoted(reply, argument);
    }
    reply_raw(reply, "\r\n", 2);
}

void clientcmd_monitor_feed(const struct client *client, uint32_t acl_id,
                            const struct slice *arguments, uint32_t kept,
                            uint32_t redacted_mask) {
    ASSERT(server.monitor_count > 0);
    ASSERT(acl_id < server.acl.id_count);
    /* Redis shows no admin command (CONFIG, CLIENT KILL, MONITOR, ...). */
    uint32_t admin = acl_category_find(slice_from_cstr("admin"));
    if ((server.acl.entries[acl_id].categories & ((uint32_t)1 << admin)) != 0) {
        return;
    }
    int64_t now_us = clock_now_us();
    uint32_t index = server.monitor_head;
    for (uint32_t step = 0; step < server.monitor_count; step++) {
        ASSERT(index != CLIENT_NONE);
        struct client *monitor = &server.clients[index];
        index = monitor->next_monitor;
        if (monitor->state != CLIENT_OPEN) {
            continue;
        }
        clientcmd_monitor_line(monitor, client, arguments, kept, redacted_mask, now_us);
        client_wake(monitor); /* its step sends the line, or closes it over its limit */
    }
}

/* ==== RESET, WAIT ==== */

void cmd_reset(struct client *client) {
    if (client->monitor) {
        clientcmd_monitor_remove(client);
    }
    client->db_index = 0;
    client->db = &server.keyspace.dbs[0];
    client->reply.protocol = 2; /* RESP2 (HELLO keeps no other per-client state) */
    client->acl_client_id = 0;  /* back to `default`, authenticated iff it needs no password */
    acl_client_begin(&server.acl, client);
    if (!client->in_exec) {
        multi_discard(client); /* the transaction and every watched key */
    }
    pubsub_client_close(client); /* every channel and pattern, no message sent */
    client->output.limit_size = client_output_limit(client); /* the normal class again */
    client->name[0] = 0;
    client->reply_flags &= (uint8_t)~(CLIENTCMD_REPLY_OFF | CLIENTCMD_REPLY_SKIP_NEXT);
    clientcmd_reply_route(client);
    reply_simple(&client->reply, "RESET");
}

static bool clientcmd_timeout_or_reply(struct client *client, struct slice text) {
    int64_t timeout = 0;
    if (!argument_int64(text, &timeout)) {
        reply_error(&client->reply, ERROR_TIMEOUT_NOT_INTEGER);
        return false;
    }
    if (timeout < 0) {
        reply_error(&client->reply, ERROR_TIMEOUT_NEGATIVE);
        return false;
    }
    return true;
}

/* keel has no replicas: every WAIT is satisfied by the 0 replicas there are.
 * (Redis blocks until the timeout when numreplicas > 0; keel answers at once.) */
void cmd_wait(struct client *client) {
    int64_t replicas = 0;
    if (!argument_int64_or_reply(client, client_arg(client, 1), &replicas)) {
        return;
    }
    if (!clientcmd_timeout_or_reply(client, client_arg(client, 2))) {
        return;
    }
    reply_integer(&client->reply, 0);
}

/* ==== Connection hooks ==== */

void clientcmd_client_open(struct client *client) {
    ASSERT(client->state == CLIENT_OPEN);
    client->reply_flags = 0;
    client->no_evict = false;
    client->monitor = false;
    client->postponed = false;
    client->next_monitor = CLIENT_NONE;
    client->last_command_index = 0;
}

void clientcmd_client_release(struct client *client) {
    if (client->monitor) {
        clientcmd_monitor_remove(client);
    }
    if (client->postponed) {
        clientcmd_resume(client);
    }
    ASSERT(!client->monitor && !client->postponed);
}
